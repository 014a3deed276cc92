/* import.c: newline-delimited JSON events in, read with SQLite's JSON
 * functions, in batches that commit whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libchat.h"

#define BATCH_MAX 10000

/* The fields of one event line; strings point into the line's arena. */
struct event {
	const char *conversation, *type, *channel, *visitor, *visitor_email;
	const char *operator, *author, *name, *id, *text;
	time_t at;
};

/* A line of the open transaction: what it changed is known once the
 * results of its statements are in (db_send()). */
struct line {
	long no;
	int64_t id;
	int created;
	int upd, add, other;	/* rows changed by each; -1: it failed */
};

/* The conversation the last line found or made, as this import leaves
 * it: the next lines are mostly of the same one, and need neither wait for
 * the server to read it again nor write it each (an UPDATE a line was
 * most of an import on PostgreSQL): what each line changes is worked out
 * here, as apply()'s UPDATE did it, and the row written once, when the
 * next line is of another conversation or the batch ends. True until the
 * transaction ends, since writers take turns and only this import changes
 * the row meanwhile (closed_at never). */
struct known {
	char *ref, *channel, *operator, *visitor, *visitor_email; /* NULL: NULL */
	int64_t id, assigned_at, closed_at;	/* -1: NULL */
	int64_t started_at, last_activity_at, visitor_left_at;
	struct line *dirty;	/* the last line that changed it, unwritten */
};

struct import {
	int quiet, progress;
	time_t now;
	int64_t *batch;		/* conversations changed by this batch */
	size_t nbatch, batch_cap;
	long lines;		/* lines in the open transaction */
	int64_t first_message;	/* first message of the batch, to index */
	int64_t first_conversation;	/* and first conversation */
	char *arena;
	size_t arena_len, arena_cap;
	struct line *line;	/* BATCH_MAX, whose place the driver keeps */
	long settled;		/* the lines whose changes are noted */
	struct known known;
};

int
import_begin(struct import **out, int quiet)
{
	struct import *im;

	*out = NULL;
	/* reheaded: the headers, as indexed, of the conversations of earlier
	 * batches that this batch changes (see header_kept()). */
	/* A small cache is SQLite's only; ids past int4 need bigint on
	 * PostgreSQL, where INTEGER is 32 bits. */
	if (db_exec(DB_SQL("PRAGMA temp.cache_size = -64;"
	    " CREATE TEMP TABLE printed (id INTEGER PRIMARY KEY);"
	    " CREATE TEMP TABLE reheaded (id INTEGER PRIMARY KEY, visitor TEXT,"
	    "  visitor_email TEXT, ref TEXT)",
	    "CREATE TEMP TABLE printed (id bigint PRIMARY KEY);"
	    " CREATE TEMP TABLE reheaded (id bigint PRIMARY KEY, visitor text,"
	    "  visitor_email text, ref text)"), "preparing the import") != 0)
		return ST_DB;
	if ((im = calloc(1, sizeof *im)) == NULL ||
	    (im->line = calloc(BATCH_MAX, sizeof *im->line)) == NULL) {
		free(im);
		return chat_err(ST_DB, "out of memory");
	}
	im->quiet = quiet;
	im->progress = isatty(2);
	im->now = time(NULL);
	*out = im;
	return 0;
}

static int
changed_add(struct import *im, int64_t id)
{
	int64_t *b;

	if (im->nbatch > 0 && im->batch[im->nbatch - 1] == id)
		return 0;
	if (im->nbatch == im->batch_cap) {
		im->batch_cap = im->batch_cap ? im->batch_cap * 2 : 256;
		if ((b = realloc(im->batch, im->batch_cap * sizeof *b)) == NULL)
			return chat_err(ST_DB, "out of memory");
		im->batch = b;
	}
	im->batch[im->nbatch++] = id;
	return 0;
}

/* Indexes what the batch wrote, once, since every statement that writes
 * FTS5 makes it write a segment: the new messages, the headers of the new
 * conversations, and those of the older ones whose visitor changed, their
 * old words taken out first. */
static int
index_batch(struct import *im)
{
	struct stmt *msgs;
	int64_t first = im->first_conversation ? im->first_conversation :
	    INT64_MAX;
	int rc = 0;

	/* FTS5 is SQLite's: PostgreSQL's search index is search.c's. */
	if (db_engine_pg()) {
		im->first_message = im->first_conversation = 0;
		return db_run("DELETE FROM reheaded", "indexing conversations",
		    "");
	}
	if ((msgs = db_prep("INSERT INTO messages_fts (rowid, body)"
	    " SELECT id, body FROM messages WHERE id >= ?")) == NULL)
		return ST_DB;
	if (im->first_message != 0) {
		st_bind_int(msgs, 1, im->first_message);
		rc = db_done(msgs, "indexing messages");
	}
	if (rc == 0)
		rc = db_run("INSERT INTO conversations_fts (conversations_fts,"
		    " rowid, visitor, visitor_email, ref) SELECT 'delete', id,"
		    " visitor, visitor_email, ref FROM reheaded",
		    "indexing conversations", "");
	if (rc == 0)
		rc = db_run("INSERT INTO conversations_fts (rowid, visitor,"
		    " visitor_email, ref) SELECT id, visitor, visitor_email, ref"
		    " FROM conversations WHERE id >= ?1 UNION ALL SELECT c.id,"
		    " c.visitor, c.visitor_email, c.ref FROM reheaded r JOIN"
		    " conversations c ON c.id = r.id",
		    "indexing conversations", "i", first);
	if (rc == 0)
		rc = db_run("DELETE FROM reheaded",
		    "indexing conversations", "");
	im->first_message = im->first_conversation = 0;
	return rc;
}

/* Runs st for each conversation the batch changed, its id bound to ?1;
 * with kept, keeps in the batch only the ids st changed a row for, and
 * their count in *kept. */
static int
each_changed(struct import *im, struct stmt *st, const char *context,
    size_t *kept)
{
	size_t i, n = 0;
	int rc = 0;

	if (st == NULL)
		return ST_DB;
	for (i = 0; rc == 0 && i < im->nbatch; i++) {
		st_bind_int(st, 1, im->batch[i]);
		rc = db_done(st, context);
		if (rc == 0 && kept != NULL && db_changes() > 0)
			im->batch[n++] = im->batch[i];
	}
	if (kept != NULL)
		*kept = n;
	return rc;
}

/* Keeps the first visitor message and the first response to it on each
 * conversation the batch changed, from its messages: messages come in any
 * order, and an earlier visitor message can make an earlier operator
 * message the response. Two lookups in messages_conversation each, once
 * per batch rather than per message. */
static int
firsts_kept(struct import *im)
{
	return each_changed(im, db_prep("UPDATE conversations SET"
	    " (first_visitor_at, first_response_at) = (SELECT v.at,"
	    "  (SELECT min(at) FROM messages WHERE conversation = ?1"
	    "  AND author = 'operator' AND at >= v.at) FROM (SELECT min(at)"
	    "  AS at FROM messages WHERE conversation = ?1"
	    "  AND author = 'visitor') AS v) WHERE id = ?1"),
	    "keeping first responses", NULL);
}

/* The ids of the batch that no earlier batch printed, kept in a temporary
 * table with a small cache rather than in memory: a million-line import
 * needs no more memory than a short one. */
static int
unprinted(struct import *im, size_t *n)
{
	return each_changed(im, db_prep("INSERT INTO printed VALUES (?1)"
	    " ON CONFLICT DO NOTHING"), "noting printed ids", n);
}

static int known_write(struct known *k);

static void
known_clear(struct known *k)
{
	free(k->ref);
	free(k->channel);
	free(k->operator);
	free(k->visitor);
	free(k->visitor_email);
	memset(k, 0, sizeof *k);
}

/* Waits for the results of the lines' statements, then notes the
 * conversations they changed, in the lines' order. */
static int
settle(struct import *im)
{
	struct line *ln;
	int rc;

	if ((rc = known_write(&im->known)) == 0)
		rc = db_sync();
	for (; rc == 0 && im->settled < im->lines; im->settled++) {
		ln = &im->line[im->settled];
		if (ln->created || ln->upd > 0 || ln->add > 0)
			rc = changed_add(im, ln->id);
	}
	return rc;
}

/* Undoes the batch after a failure of status rc: the line at fault is the
 * first whose statement failed, else the one read last. */
static int
undone(struct import *im, const char *name, int rc)
{
	long i, no = im->lines > 0 ? im->line[im->lines - 1].no : 0;

	for (i = im->settled; i < im->lines; i++)
		if (im->line[i].upd < 0 || im->line[i].add < 0 ||
		    im->line[i].other < 0) {
			no = im->line[i].no;
			break;
		}
	chat_err(rc, "%s:%ld: not imported; the batch since the last commit "
	    "is undone", name, no);
	db_rollback();
	im->lines = im->settled = 0;
	im->nbatch = 0;
	im->first_message = im->first_conversation = 0;
	known_clear(&im->known);
	return rc;
}

static int
commit(struct import *im, const char *name)
{
	size_t i, n = 0;
	int rc;

	if (im->lines == 0)
		return 0;
	if ((rc = settle(im)) != 0)
		return undone(im, name, rc);
	im->lines = im->settled = 0;
	known_clear(&im->known);
	if ((rc = firsts_kept(im)) != 0 || (rc = index_batch(im)) != 0 ||
	    (rc = unprinted(im, &n)) != 0 ||
	    (rc = db_commit()) != 0) {
		db_rollback();
		im->nbatch = 0;
		return rc;
	}
	for (i = 0; i < n && !im->quiet; i++)
		printf("%lld\n", (long long)im->batch[i]);
	im->nbatch = 0;
	fflush(stdout);
	return 0;
}

static const char *
keep(struct import *im, const char *s, int n)
{
	char *p;

	if (s == NULL || im->arena_len + (size_t)n + 1 > im->arena_cap)
		return NULL;
	p = im->arena + im->arena_len;
	memcpy(p, s, (size_t)n);
	p[n] = '\0';
	im->arena_len += (size_t)n + 1;
	return p;
}

/* "key: what", in a buffer the next call reuses. */
static const char *
field_error(const char *key, const char *what)
{
	static char msg[128];

	snprintf(msg, sizeof msg, "%s: %s", key, what);
	return msg;
}

/* A string value as stored: SQLite decodes an escaped surrogate that is
 * not half of a pair into the bytes of the surrogate itself, which are not
 * UTF-8; and a field shown on one line holds no control character. */
static const char *
text_fault(const char *key, const char *s, int n, int one_line)
{
	const char *why;

	if (!utf8_valid(s, (size_t)n))
		return field_error(key, "a \\uD800-\\uDFFF escape that is "
		    "not half of a surrogate pair");
	if (one_line && (why = one_line_fault(s)) != NULL)
		return field_error(key, why);
	return NULL;
}

/* SQLite's JSON functions end a string at an escaped NUL without a word:
 * such a line is refused before, or the rest of its text would be lost. */
static int
escaped_nul(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 5 < len; i++)
		if (s[i] == '\\' && memcmp(s + ++i, "u0000", 5) == 0)
			return 1;
	return 0;
}

/* What parse() says when memory ran out: no fault of the line. */
static const char oom[] = "out of memory";

/* Fills ev from one JSON object; NULL when it is fine, else why not. */
static const char *
parse(struct import *im, const char *line, size_t len, struct event *ev)
{
	static const char *const strings[] = {
		"type", "channel", "visitor", "visitor_email", "operator",
		"author", "name", "text"
	};
	/* Which of strings[] are one-line fields (type and author are
	 * checked against their few words below). */
	static const int one_line[] = { 0, 1, 1, 1, 1, 0, 1, 0 };
	const char **slots[] = {
		&ev->type, &ev->channel, &ev->visitor, &ev->visitor_email,
		&ev->operator, &ev->author, &ev->name, &ev->text
	};
	/* A ref given as a number is its JSON text: the atom of an integer
	 * past 64 bits is a rounded float. */
	struct stmt *st = db_prep_local("SELECT key, type, CASE WHEN type ="
	    " 'integer' AND key IN ('conversation', 'id') THEN ?1 -> fullkey"
	    " ELSE atom END, json_type(?1) FROM json_each(?1)");
	const char *key, *type, *err = NULL;
	const char *atom;
	int rc, n, has_at = 0;
	size_t i;

	memset(ev, 0, sizeof *ev);
	if (st == NULL)
		return "cannot prepare the JSON reader";
	if (len * 2 + 1024 > im->arena_cap) {
		free(im->arena);
		im->arena_cap = len * 2 + 1024;
		if ((im->arena = malloc(im->arena_cap)) == NULL) {
			im->arena_cap = 0;
			return oom;
		}
	}
	im->arena_len = 0;
	if (escaped_nul(line, len))
		return "\\u0000: a NUL character cannot be stored";
	st_bind_textn(st, 1, line, (int)len, NULL);
	while (err == NULL && (rc = st_step(st)) == 1) {
		if (strcmp(st_text(st, 3), "object")
		    != 0) {
			err = "not a JSON object";
			break;
		}
		key = st_text(st, 0);
		type = st_text(st, 1);
		atom = st_text(st, 2);
		n = st_bytes(st, 2);
		if (strcmp(type, "null") == 0)
			continue;
		if (strcmp(key, "conversation") == 0 || strcmp(key, "id") == 0) {
			if (strcmp(type, "text") != 0 &&
			    strcmp(type, "integer") != 0)
				err = field_error(key, "expected a string or an "
				    "integer");
			else if (n == 0)
				err = field_error(key, "expected a non-empty "
				    "string");
			else if ((err = text_fault(key, atom, n,
			    1)) == NULL && *key == 'c')
				ev->conversation = keep(im, atom, n);
			else if (err == NULL)
				ev->id = keep(im, atom, n);
		} else if (strcmp(key, "at") == 0) {
			has_at = 1;
			if (strcmp(type, "text") == 0) {
				if (time_parse(atom, im->now,
				    &ev->at) != 0)
					err = "at: not a time (RFC 3339 or Unix "
					    "seconds)";
			} else if (strcmp(type, "integer") == 0 ||
			    strcmp(type, "real") == 0) {
				double t = st_double(st, 2);

				if (t < 0 || t > 253402300799.0)
					err = "at: time out of range";
				else
					ev->at = (time_t)t;
			} else
				err = "at: not a time (RFC 3339 or Unix "
				    "seconds)";
		} else {
			for (i = 0; i < sizeof strings / sizeof strings[0]; i++)
				if (strcmp(key, strings[i]) == 0)
					break;
			if (i == sizeof strings / sizeof strings[0])
				continue;	/* a platform's own field */
			if (strcmp(type, "text") != 0)
				err = field_error(key, "expected a string");
			else if ((err = text_fault(key, atom, n,
			    one_line[i])) == NULL)
				*slots[i] = keep(im, atom, n);
		}
	}
	if (err == NULL && rc < 0)
		err = "malformed JSON";
	st_reset(st);
	if (err != NULL)
		return err;
	if (ev->conversation == NULL)
		return "conversation: missing";
	if (!has_at)
		ev->at = im->now;
	if (ev->at > im->now + CLOCK_SKEW)
		return "at: more than " XSTR(CLOCK_SKEW) " seconds in the future";
	if (ev->at > im->now)
		ev->at = im->now;	/* a platform's clock a little ahead */
	if (ev->type == NULL)
		ev->type = "message";
	if (strcmp(ev->type, "message") == 0) {
		if (ev->author == NULL)
			return "author: missing (a message needs author and "
			    "text)";
		if (strcmp(ev->author, "visitor") != 0 &&
		    strcmp(ev->author, "operator") != 0 &&
		    strcmp(ev->author, "bot") != 0 &&
		    strcmp(ev->author, "system") != 0)
			return "author: expected visitor, operator, bot or "
			    "system";
		if (ev->text == NULL)
			return "text: missing (a message needs author and text)";
	} else if (strcmp(ev->type, "assign") == 0) {
		if (ev->operator == NULL)
			return "operator: missing (assign names the operator)";
	} else if (strcmp(ev->type, "visitor_left") != 0)
		return "type: expected message, visitor_left or assign";
	if (ev->channel != NULL && *ev->channel == '\0')
		return "channel: empty";
	return NULL;
}

/* What an event does to its conversation, decided from the row as it was
 * before the event. */
struct effect {
	int64_t id;
	int created;
	int assigns;		/* it names an operator newer than the one in
				 * force: the operator and assigned_at are set */
	int reassigns;		/* and that operator is another one */
	int after_close;	/* the conversation is closed before its time */
	int reheads;		/* it changes a header already indexed */
};

/* Keeps the header of conversation id as the index has it, the first time
 * this batch changes it: the index takes a header out by the words it
 * had, which the UPDATE overwrites. (A trigger did this, and cost every
 * imported line a sixth more: it runs for each row the UPDATE writes.) */
static int
header_kept(int64_t id)
{
	return db_run("INSERT INTO reheaded SELECT id, visitor,"
	    " visitor_email, ref FROM conversations WHERE id = ?1"
	    " ON CONFLICT DO NOTHING",
	    "indexing conversations", "i", id);
}

/* Whether value, when given, differs from now. */
static int
differs(const char *value, const char *now)
{
	return value != NULL && (now == NULL || strcmp(now, value) != 0);
}

/* A copy of s into *to, NULL for NULL: 0, or -1 when out of memory. */
static int
known_set(char **to, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return -1;
	free(*to);
	*to = copy;
	return 0;
}

/* Column i of st as an integer, -1 for NULL. */
static int64_t
time_or_null(struct stmt *st, int i)
{
	return st_type(st, i) != DB_NULL ? st_int64(st, i) : -1;
}

static void
time_bind(struct stmt *st, int i, int64_t t)
{
	if (t >= 0)
		st_bind_int(st, i, t);
	else
		st_bind_null(st, i);
}

/* Knows the row the INSERT of conversation() makes. */
static int
known_made(struct known *k, const struct event *ev, int64_t id)
{
	known_clear(k);
	k->id = id;
	k->assigned_at = k->closed_at = k->visitor_left_at = -1;
	k->started_at = k->last_activity_at = ev->at;
	if (known_set(&k->ref, ev->conversation) != 0 ||
	    known_set(&k->channel, ev->channel ? ev->channel : "chat") != 0) {
		known_clear(k);
		return chat_err(ST_DB, "out of memory");
	}
	return 0;
}

/* Knows the row find stands on. */
static int
known_load(struct known *k, const char *ref, struct stmt *find)
{
	known_clear(k);
	k->id = st_int64(find, 0);
	k->assigned_at = time_or_null(find, 2);
	k->closed_at = time_or_null(find, 3);
	k->started_at = time_or_null(find, 7);
	k->last_activity_at = time_or_null(find, 8);
	k->visitor_left_at = time_or_null(find, 9);
	if (known_set(&k->ref, ref) != 0 ||
	    known_set(&k->operator, st_text(find, 1)) != 0 ||
	    known_set(&k->visitor, st_text(find, 4)) != 0 ||
	    known_set(&k->visitor_email, st_text(find, 5)) != 0 ||
	    known_set(&k->channel, st_text(find, 6)) != 0) {
		known_clear(k);
		return chat_err(ST_DB, "out of memory");
	}
	return 0;
}

/* Writes the row known, when a line changed it. */
static int
known_write(struct known *k)
{
	struct stmt *st;
	struct line *ln;

	if (k->dirty == NULL)
		return 0;
	if ((st = db_prep("UPDATE conversations SET channel = ?2,"
	    " visitor = ?3, visitor_email = ?4, operator = ?5,"
	    " assigned_at = ?6, started_at = ?7, last_activity_at = ?8,"
	    " visitor_left_at = ?9 WHERE id = ?1")) == NULL)
		return ST_DB;
	st_bind_int(st, 1, k->id);
	st_bind_text(st, 2, k->channel);
	st_bind_text(st, 3, k->visitor);
	st_bind_text(st, 4, k->visitor_email);
	st_bind_text(st, 5, k->operator);
	time_bind(st, 6, k->assigned_at);
	time_bind(st, 7, k->started_at);
	time_bind(st, 8, k->last_activity_at);
	time_bind(st, 9, k->visitor_left_at);
	ln = k->dirty;
	k->dirty = NULL;
	return db_send(st, "updating a conversation", &ln->other);
}

/* Sets text column *col to value when given: whether it changed. */
static int
text_set(char **col, const char *value, int *oom)
{
	if (!differs(value, *col))
		return 0;
	if (known_set(col, value) != 0)
		*oom = 1;
	return 1;
}

/* What an event does to the row, as this UPDATE did it, kept for a
 * statement that sets every column at once:
 *   UPDATE conversations SET channel = coalesce(?2, channel), ... WHERE
 *   id = ?1 AND (coalesce(?2, channel) IS DISTINCT FROM channel OR ...)
 * active the time of a message or a leaving (else -1), left a leaving's.
 * Whether it changed anything shown is *changed; assigned_at moves to an
 * assignment's time in any case, which nothing shows. */
static int
known_apply(struct known *k, struct line *ln, const struct event *ev,
    const struct effect *fx, int64_t active, int64_t left)
{
	int oom = 0, changed = 0;

	changed |= text_set(&k->channel, ev->channel, &oom);
	changed |= text_set(&k->visitor, ev->visitor, &oom);
	changed |= text_set(&k->visitor_email, ev->visitor_email, &oom);
	if (fx->assigns) {
		changed |= text_set(&k->operator, ev->operator, &oom);
		k->assigned_at = ev->at;
	}
	if (k->started_at >= 0 && ev->at < k->started_at) {
		k->started_at = ev->at;
		changed = 1;
	}
	if (active >= 0 && k->last_activity_at >= 0 &&
	    active > k->last_activity_at) {
		k->last_activity_at = active;
		changed = 1;
	}
	if (left >= 0 && (k->visitor_left_at < 0 ||
	    left > k->visitor_left_at)) {
		k->visitor_left_at = left;
		changed = 1;
	}
	if (oom) {
		known_clear(k);
		return chat_err(ST_DB, "out of memory");
	}
	ln->upd = changed;
	if (changed || fx->assigns)
		k->dirty = ln;
	return 0;
}

/* Finds or creates the conversation and decides what ev does to it. */
static int
conversation(struct import *im, const struct event *ev, struct effect *fx)
{
	struct stmt *find = db_prep("SELECT id, operator, assigned_at,"
	    " closed_at, visitor, visitor_email, channel, started_at,"
	    " last_activity_at, visitor_left_at FROM conversations"
	    " WHERE ref = ?");
	struct stmt *make = db_prep("INSERT INTO conversations (ref,"
	    " channel, started_at, last_activity_at) VALUES (?1,"
	    " coalesce(?2, 'chat'), ?3, ?3) RETURNING id");
	const struct known *k = &im->known;
	int rc = 0, found = 1;

	memset(fx, 0, sizeof *fx);
	if (find == NULL || make == NULL)
		return ST_DB;
	if (k->ref == NULL || strcmp(k->ref, ev->conversation) != 0) {
		if ((rc = known_write(&im->known)) != 0)
			return rc;
		st_bind_text(find, 1, ev->conversation);
		if ((found = db_row(find, "finding a conversation", &rc)))
			rc = known_load(&im->known, ev->conversation, find);
		st_reset(find);
	}
	if (rc != 0)
		return rc;
	if (found) {
		fx->id = k->id;
		fx->assigns = ev->operator != NULL &&
		    (k->assigned_at < 0 || ev->at > k->assigned_at);
		fx->reassigns = fx->assigns &&
		    (k->operator == NULL || strcmp(k->operator, ev->operator)
		    != 0);
		fx->after_close = k->closed_at >= 0 && ev->at > k->closed_at;
		/* A ref is never changed once made. */
		fx->reheads = (differs(ev->visitor, k->visitor) ||
		    differs(ev->visitor_email, k->visitor_email)) &&
		    (im->first_conversation == 0 ||
		    fx->id < im->first_conversation);
		return 0;
	}
	fx->created = 1;
	st_bind_text(make, 1, ev->conversation);
	st_bind_text(make, 2, ev->channel);
	st_bind_int(make, 3, ev->at);
	if (db_row(make, "creating a conversation", &rc))
		fx->id = st_int64(make, 0);
	st_reset(make);
	if (rc != 0 || (rc = known_made(&im->known, ev, fx->id)) != 0)
		return rc;
	fx->assigns = ev->operator != NULL;
	if (im->first_conversation == 0)
		im->first_conversation = fx->id;
	return event_add(fx->id, im->now, "imported", ev->conversation);
}

/* Adds a message unless the conversation has it: the same id or, for a
 * message without one, the same time, author and text.  Two statements,
 * not an INSERT ... SELECT that reads messages: that has SQLite copy the
 * row to a temporary b-tree before writing it. Its changes in *added. */
static int
message_add(struct import *im, int64_t id, const struct event *ev,
    int *added)
{
	struct stmt *seen = db_prep("SELECT 1 FROM messages"
	    " WHERE conversation = ?1 AND at = ?2 AND author = ?3"
	    " AND body = ?4");
	/* PostgreSQL draws an id for a row its ON CONFLICT then drops: a
	 * message imported again would leave a gap in the ids. And it looks
	 * for the same message in the INSERT, whose result is not waited
	 * for, rather than by a round trip of its own. */
	struct stmt *add = db_prep(DB_SQL("INSERT INTO messages (conversation,"
	    " ref, at, author, name, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT DO NOTHING RETURNING id",
	    "INSERT INTO messages (conversation, ref, at, author, name, body)"
	    " SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS (SELECT 1"
	    " FROM messages WHERE conversation = ?1 AND (ref = ?2"
	    " OR ?2 IS NULL AND at = ?3 AND author = ?4 AND body = ?6))"
	    " ON CONFLICT DO NOTHING RETURNING id"));
	int rc, found;

	*added = 0;
	if (seen == NULL || add == NULL)
		return ST_DB;
	if (ev->id == NULL && !db_engine_pg()) {
		st_bind_int(seen, 1, id);
		st_bind_int(seen, 2, ev->at);
		st_bind_text(seen, 3, ev->author);
		st_bind_text(seen, 4, ev->text);
		found = db_row(seen, "finding a message", &rc);
		st_reset(seen);
		if (found || rc != 0)
			return rc;
	}
	st_bind_int(add, 1, id);
	st_bind_text(add, 2, ev->id);
	st_bind_int(add, 3, ev->at);
	st_bind_text(add, 4, ev->author);
	st_bind_text(add, 5, ev->name);
	st_bind_text(add, 6, ev->text);
	/* The batch's first message, which the index starts from, is read;
	 * the others are sent. */
	if (im->first_message != 0)
		return db_send(add, "adding a message", added);
	if ((*added = db_row(add, "adding a message", &rc)))
		im->first_message = st_int64(add, 0);
	st_reset(add);
	return rc;
}

/* Applies one event; what it changed is ln's, once its results are in. */
static int
apply(struct import *im, const struct event *ev, struct line *ln)
{
	struct effect fx;
	int rc, is_msg = ev->type[0] == 'm', left = ev->type[0] == 'v';

	if ((rc = conversation(im, ev, &fx)) != 0)
		return rc;
	/* The header as indexed is the one in the table. */
	if (fx.reheads && ((rc = known_write(&im->known)) != 0 ||
	    (rc = header_kept(fx.id)) != 0))
		return rc;
	ln->id = fx.id;
	ln->created = fx.created;
	if ((rc = known_apply(&im->known, ln, ev, &fx, is_msg || left ?
	    ev->at : -1, left ? ev->at : -1)) != 0)
		return rc;
	if (!fx.created && ln->upd && left &&
	    (rc = event_add(fx.id, ev->at, "visitor_left", NULL)) != 0)
		return rc;
	if (fx.reassigns &&
	    (rc = event_add(fx.id, ev->at, "assigned", ev->operator)) != 0)
		return rc;
	if (is_msg && (rc = message_add(im, fx.id, ev, &ln->add)) != 0)
		return rc;
	/* A visitor writing again after the close: the conversation stays
	 * closed, and the event lets an operator find it and decide. Whether
	 * the message was added is its INSERT's result: waited for on these
	 * few lines only. */
	if (is_msg && fx.after_close && strcmp(ev->author, "visitor") == 0 &&
	    ((rc = db_sync()) != 0 || (ln->add > 0 && (rc = event_add(fx.id,
	    ev->at, "message_after_close", ev->id)) != 0)))
		return rc;
	return 0;
}

static int
is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return 0;
	return 1;
}

int
import_file(struct import *im, int fd, const char *name)
{
	struct lines *l = lines_open(fd, name);
	struct event ev;
	struct line *ln;
	const char *err;
	char *line;
	size_t len;
	int rc = 0;

	if (l == NULL)
		return chat_err(ST_DB, "out of memory");
	while (lines_next(l, &line, &len, &rc)) {
		if (is_blank(line) && strlen(line) == len)
			continue;
		if (strlen(line) != len)
			err = "contains a NUL byte";
		else if (!utf8_valid(line, len))
			err = "not valid UTF-8";
		else
			err = parse(im, line, len, &ev);
		if (err == oom) {
			rc = chat_err(ST_DB, "%s:%ld: out of memory; the batch "
			    "since the last commit is undone", name,
			    lines_lineno(l));
			break;
		}
		/* A line sent before this one fails first, as it would
		 * have had its result been waited for. */
		if (err != NULL && (rc = settle(im)) != 0) {
			undone(im, name, rc);
			break;
		}
		if (err != NULL) {
			chat_err(ST_DATA, "%s:%ld: %s", name, lines_lineno(l),
			    err);
			continue;
		}
		if (im->lines == 0 && (rc = db_begin()) != 0)
			break;
		ln = &im->line[im->lines++];
		memset(ln, 0, sizeof *ln);
		ln->no = lines_lineno(l);
		if ((rc = apply(im, &ev, ln)) != 0) {
			undone(im, name, rc);
			break;
		}
		if ((im->lines >= BATCH_MAX || !lines_ready(l)) &&
		    (rc = commit(im, name)) != 0)
			break;
		if (im->progress && lines_lineno(l) % 10000 == 0)
			fprintf(stderr, "\r%s: %s: %ld lines", chat_prog(),
			    name, lines_lineno(l));
	}
	if (rc == 0)
		rc = commit(im, name);
	if (im->progress && lines_lineno(l) >= 10000)
		fprintf(stderr, "\r%s: %s: %ld lines\n", chat_prog(), name,
		    lines_lineno(l));
	lines_close(l);
	return rc;
}

void
import_end(struct import *im)
{
	if (im == NULL)
		return;
	if (im->lines > 0)
		db_rollback();
	known_clear(&im->known);
	free(im->line);
	free(im->batch);
	free(im->arena);
	free(im);
}
