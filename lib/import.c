/* import.c: newline-delimited JSON events in, read with SQLite's JSON
 * functions, in batches that commit whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libchat.h"

#define BATCH_MAX 10000
/* PostgreSQL's lines are read ahead and written by the chunk: a
 * statement a row costs its server more than the row does (see bulk). */
#define CHUNK_LINES 2000
#define CHUNK_BYTES (4 << 20)

/* What a line is: a message or what the visitor or the operator did,
 * many to a conversation; or its history, a few: written a line at a
 * time on either engine. */
enum kind {
	EV_MESSAGE, EV_LEFT, EV_ASSIGN, EV_UPDATE, EV_CLOSE, EV_PARK,
	EV_REOPEN, EV_NOTE, EV_EDIT, EV_TAG, EV_UNTAG, EV_TAGS
};
static const char *const kinds[] = {
	"message", "visitor_left", "assign", "update", "close", "park",
	"reopen", "note", "edit", "tag", "untag", "tags"
};

/* The fields of one event line; strings point into the line's arena. */
struct event {
	const char *conversation, *type, *channel, *visitor, *visitor_email;
	const char *operator, *author, *name, *id, *text, *by;
	const char *tags;	/* TAG,TAG */
	enum kind kind;
	time_t at;
	int stored;		/* bulk: the database has this message */
};

/* A line of the open transaction: what it changed is known once the
 * results of its statements are in (db_send()). */
struct line {
	long no;
	int64_t id;
	int created;
	int upd, add, other;	/* rows changed by each; -1: it failed */
	size_t conv;		/* bulk: its conversation, conv[] index + 1 */
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

/* Bulk, PostgreSQL's way: a chunk of lines is read ahead, the
 * conversations it names read in one statement, its lines applied to
 * them here, and what they make written a statement a table. A statement
 * a row was most of the server's time: each runs its triggers, its plan
 * and a round trip of its own. The rows made live until the chunk is
 * written; the conversations until the transaction ends. */
struct pending {
	long no;
	const char *err;	/* why the line is refused, or NULL */
	struct event ev;	/* its strings in mem */
	char *mem;
};

enum conv_state { CONV_NEW, CONV_MADE, CONV_STORED };

struct conv {
	struct known k;		/* k.dirty: changed since written */
	/* Made by this transaction, all its messages are this import's: its
	 * first visitor message and first response are worked out here
	 * from their times, and written with the row rather than by a
	 * statement of firsts_kept() that reads them back. */
	int fresh;
	int64_t first_visitor;	/* -1: none */
	int64_t *op_at;		/* its operator messages' times */
	size_t nop, op_cap;
	enum conv_state state;	/* NEW: not in the database; MADE: its
				 * first line read, to insert with the chunk */
	long last_msg;		/* its last message of the chunk, or -1 */
};

struct msgrow {
	size_t conv;
	const struct event *ev;
	long prev;		/* the message before it of its conversation */
};

struct evrow {
	size_t conv;
	time_t at;
	const char *action, *detail;
};

struct bulk {
	struct pending *pend;	/* the chunk sent, then the one read */
	size_t npend, pend_cap, pend_bytes;
	long start;		/* the first of its lines in im->line */
	size_t nsent;		/* lines of the chunk sent, not yet known
				 * written: its results are waited for once
				 * the next chunk is read, while the server
				 * writes it */
	struct conv *conv;	/* the conversations of the transaction */
	size_t nconv, conv_cap;
	size_t *slot, nslot;	/* conv[] by ref, index + 1; nslot a power
				 * of 2 at least twice nconv */
	size_t *made, nmade;	/* conv[] the chunk inserts, in order */
	struct msgrow *msg;
	size_t nmsg, msg_cap;
	struct evrow *ev;
	size_t nev, ev_cap;
	int64_t *stale;		/* conversations of earlier transactions given
				 * messages: firsts_kept()'s */
	size_t nstale, stale_cap;
	int redone;		/* a chunk went a line at a time: firsts_kept()
				 * for every conversation changed */
	int savepoint;		/* the transaction has a chunk's savepoint */
};

struct import {
	const char *name;	/* the file read */
	enum import_format format;
	sqlite3_str *events;	/* a payload's, as lines of events */
	long skipped;		/* payloads of no event kept */
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
	struct known *cur;	/* the row of the line applied: known, or
				 * its bulk conversation's */
	struct bulk *bulk;	/* PostgreSQL's, else NULL */
};

int
import_begin(struct import **out, int quiet, enum import_format format)
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
	    (im->line = calloc(BATCH_MAX, sizeof *im->line)) == NULL ||
	    (db_engine_pg() && (im->bulk = calloc(1, sizeof *im->bulk)) ==
	    NULL)) {
		if (im != NULL)
			free(im->line);
		free(im);
		return chat_err(ST_DB, "out of memory");
	}
	im->quiet = quiet;
	im->format = format;
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
	struct stmt *st;
	struct column ids = { 0 };
	size_t i;
	int rc;

	if (im->bulk != NULL) {
		if ((st = db_prep("UPDATE conversations AS c SET"
		    " (first_visitor_at, first_response_at) = (SELECT v.at,"
		    "  (SELECT min(at) FROM messages WHERE conversation = c.id"
		    "  AND author = 'operator' AND at >= v.at) FROM (SELECT"
		    "  min(at) AS at FROM messages WHERE conversation = c.id"
		    "  AND author = 'visitor') AS v) FROM unnest(?1::bigint[])"
		    " AS b (id) WHERE c.id = b.id")) == NULL)
			return ST_DB;
		if (im->bulk->redone)
			for (i = 0; i < im->nbatch; i++)
				column_int(&ids, im->batch[i]);
		else
			for (i = 0; i < im->bulk->nstale; i++)
				column_int(&ids, im->bulk->stale[i]);
		if (ids.n == 0)
			return 0;
		if ((rc = st_bind_column_array(st, 1, &ids)) != 0)
			return rc;
		return db_done(st, "keeping first responses");
	}
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
id_order(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
unprinted(struct import *im, size_t *n)
{
	struct stmt *st;
	struct column ids = { 0 };
	int64_t *fresh, *f;
	char *used;
	size_t i, nfresh = 0;
	int rc;

	if (im->bulk == NULL)
		return each_changed(im, db_prep("INSERT INTO printed VALUES"
		    " (?1) ON CONFLICT DO NOTHING"), "noting printed ids", n);
	/* The ids new to printed, kept in the batch's order, once each. */
	*n = 0;
	if (im->nbatch == 0)
		return 0;
	if ((st = db_prep("INSERT INTO printed SELECT DISTINCT id FROM"
	    " unnest(?1::bigint[]) AS b (id) ON CONFLICT DO NOTHING"
	    " RETURNING id")) == NULL)
		return ST_DB;
	if ((fresh = malloc(im->nbatch * sizeof *fresh)) == NULL ||
	    (used = calloc(im->nbatch, 1)) == NULL) {
		free(fresh);
		return chat_err(ST_DB, "out of memory");
	}
	for (i = 0; i < im->nbatch; i++)
		column_int(&ids, im->batch[i]);
	if ((rc = st_bind_column_array(st, 1, &ids)) != 0) {
		free(fresh);
		free(used);
		return rc;
	}
	while (nfresh < im->nbatch && db_row(st, "noting printed ids", &rc))
		fresh[nfresh++] = st_int64(st, 0);
	st_reset(st);
	qsort(fresh, nfresh, sizeof *fresh, id_order);
	for (i = 0; rc == 0 && i < im->nbatch; i++)
		if ((f = bsearch(&im->batch[i], fresh, nfresh, sizeof *fresh,
		    id_order)) != NULL && !used[f - fresh]) {
			im->batch[(*n)++] = *f;
			used[f - fresh] = 1;	/* printed once */
		}
	free(fresh);
	free(used);
	return rc;
}

static int known_write(struct known *k);
static void bulk_clear(struct bulk *b, int all);
static int confirm(struct import *im, const char *name);

static void
known_clear(struct known *k)
{
	free(k->ref);
	free(k->channel);
	free(k->operator);
	free(k->visitor);
	free(k->visitor_email);
	*k = (struct known){ .ref = NULL };
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

	if (im->bulk != NULL && im->bulk->npend > 0)
		no = im->bulk->pend[im->bulk->npend - 1].no;
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
	if (im->bulk != NULL)
		bulk_clear(im->bulk, 1);
	return rc;
}

static int
commit(struct import *im, const char *name)
{
	size_t i, n = 0;
	int rc;

	if (im->lines == 0)
		return 0;
	if (im->bulk != NULL) {
		if ((rc = confirm(im, name)) != 0 || im->lines == 0)
			return rc;
	} else if ((rc = settle(im)) != 0)
		return undone(im, name, rc);
	im->lines = im->settled = 0;
	known_clear(&im->known);
	if ((rc = firsts_kept(im)) != 0 || (rc = index_batch(im)) != 0 ||
	    (rc = unprinted(im, &n)) != 0 ||
	    (rc = db_commit()) != 0) {
		db_rollback();
		im->nbatch = 0;
	}
	if (im->bulk != NULL)
		bulk_clear(im->bulk, 1);
	if (rc != 0)
		return rc;
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

/* A message's attachments, [{"name": ..., "url": ...}], as lines of its
 * text, "Attachment: NAME <URL>", in the arena (*files): the store keeps
 * text, and a search finds a file by its name. NULL when they are fine,
 * else why not. */
static const char *
attachments(struct import *im, const char *json, int n, const char **files)
{
	struct stmt *st = db_prep_local("SELECT type, CASE WHEN type ="
	    " 'object' THEN value ->> 'name' END, CASE WHEN type = 'object'"
	    " THEN value ->> 'url' END, CASE WHEN type = 'object' THEN"
	    " coalesce(json_type(value, '$.name'), 'text') END, CASE WHEN"
	    " type = 'object' THEN coalesce(json_type(value, '$.url'), 'text')"
	    " END FROM json_each(?1)");
	sqlite3_str *s;
	const char *err = NULL, *name, *url;
	int rc = 0, any = 0;

	if (st == NULL)
		return "cannot prepare the JSON reader";
	s = sqlite3_str_new(NULL);
	st_bind_textn(st, 1, json, n, NULL);
	while (err == NULL && (rc = st_step(st)) == 1) {
		name = st_text(st, 1);
		url = st_text(st, 2);
		if (strcmp(st_text(st, 0), "object") != 0 ||
		    strcmp(st_text(st, 3), "text") != 0 ||
		    strcmp(st_text(st, 4), "text") != 0 ||
		    (name == NULL && url == NULL))
			err = "attachments: expected objects with a name or a "
			    "url, strings";
		else if ((name != NULL && (err = text_fault("attachments: "
		    "name", name, (int)strlen(name), 1)) != NULL) ||
		    (url != NULL && (err = text_fault("attachments: url",
		    url, (int)strlen(url), 1)) != NULL))
			break;
		else {
			sqlite3_str_appendf(s, "%sAttachment: %s", any++ ?
			    "\n" : "", name ? name : "");
			if (url != NULL)
				sqlite3_str_appendf(s, "%s<%s>", name ? " " : "",
				    url);
		}
	}
	if (err == NULL && rc < 0)
		err = "attachments: malformed JSON";
	st_reset(st);
	if (err == NULL && !any)
		err = "attachments: none in the array";
	if (err == NULL && (sqlite3_str_errcode(s) != SQLITE_OK ||
	    (*files = keep(im, sqlite3_str_value(s), sqlite3_str_length(s)))
	    == NULL))
		err = oom;
	sqlite3_free(sqlite3_str_finish(s));
	return err;
}

/* An array of tags as TAG,TAG in the arena (*tags): a tag has no comma. */
static const char *
tags_joined(struct import *im, const char *json, int n, const char **tags)
{
	struct stmt *st = db_prep_local("SELECT count(*), count(*) FILTER"
	    " (WHERE type <> 'text' OR instr(value, ',') > 0 OR trim(value) ="
	    " ''),"
	    " group_concat(value, ',') FROM json_each(?1)");
	const char *err = NULL;

	if (st == NULL)
		return "cannot prepare the JSON reader";
	st_bind_textn(st, 1, json, n, NULL);
	if (st_step(st) != 1)
		err = "tags: malformed JSON";
	else if (st_int(st, 1) > 0)
		err = "tags: expected tags: strings, not empty, without a "
		    "comma";
	else if ((*tags = keep(im, st_int(st, 0) ? st_text(st, 2) : "",
	    st_int(st, 0) ? st_bytes(st, 2) : 0)) == NULL)
		err = oom;
	else
		err = text_fault("tags", *tags, (int)strlen(*tags), 1);
	st_reset(st);
	return err;
}

/* Why one of TAG,TAG is no tag, or NULL: the message is the next call's. */
static const char *
tags_fault(const char *tags)
{
	static char why[128];
	const char *p, *end;
	char name[256];
	size_t n;

	for (p = tags; ; p = end + 1) {
		end = p + strcspn(p, ",");
		n = (size_t)(end - p) < sizeof name ? (size_t)(end - p) :
		    sizeof name - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		if (n == 0 || (size_t)(end - p) >= sizeof name ||
		    !tag_valid(name)) {
			snprintf(why, sizeof why, "tags: '%.40s': " TAG_RULE,
			    name);
			return why;
		}
		if (*end == '\0')
			return NULL;
	}
}

/* text, a line break and files, in the arena; NULL when there is no room. */
static const char *
joined(struct import *im, const char *text, const char *files)
{
	size_t room = im->arena_cap - im->arena_len;
	char *p = im->arena + im->arena_len;
	int n = snprintf(p, room, "%s\n%s", text, files);

	if (n < 0 || (size_t)n >= room)
		return NULL;
	im->arena_len += (size_t)n + 1;
	return p;
}

/* A note's text as chat-note keeps one: its trailing white space cut (in
 * the arena, where it is), not empty, at most NOTE_MAX bytes. */
static const char *
note_checked(struct import *im, struct event *ev)
{
	char *t;
	size_t len;

	if (ev->text == NULL)
		return "text: missing (a note needs its text)";
	t = im->arena + (ev->text - im->arena);
	len = strlen(t);
	while (len > 0 && strchr(" \t\r\n\v\f", t[len - 1]) != NULL)
		t[--len] = '\0';
	if (len == 0)
		return "text: an empty note";
	return len > NOTE_MAX ? "text: a note over " XSTR(NOTE_MAX) " bytes" :
	    NULL;
}

/* Fills ev from one JSON object; NULL when it is fine, else why not. */
static const char *
parse(struct import *im, const char *line, size_t len, struct event *ev)
{
	static const char *const strings[] = {
		"type", "channel", "visitor", "visitor_email", "operator",
		"author", "name", "text", "by"
	};
	/* Which of strings[] are one-line fields (type, author and by are
	 * checked against their few words below). */
	static const int one_line[] = { 0, 1, 1, 1, 1, 0, 1, 0, 0 };
	const char **slots[] = {
		&ev->type, &ev->channel, &ev->visitor, &ev->visitor_email,
		&ev->operator, &ev->author, &ev->name, &ev->text, &ev->by
	};
	/* A ref given as a number is its JSON text: the atom of an integer
	 * past 64 bits is a rounded float; an array, its JSON. */
	struct stmt *st = db_prep_local("SELECT key, type, CASE WHEN type ="
	    " 'integer' AND key IN ('conversation', 'id') THEN ?1 -> fullkey"
	    " WHEN type = 'array' THEN value ELSE atom END, json_type(?1)"
	    " FROM json_each(?1)");
	const char *key, *type, *err = NULL;
	const char *atom, *files = NULL;
	int rc, n, has_at = 0;
	size_t i;

	memset(ev, 0, sizeof *ev);
	if (st == NULL)
		return "cannot prepare the JSON reader";
	/* Room for each field, and a message's attachments as text. */
	if (len * 3 + 1024 > im->arena_cap) {
		free(im->arena);
		im->arena_cap = len * 3 + 1024;
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
		} else if (strcmp(key, "tags") == 0) {
			if (strcmp(type, "array") == 0)
				err = tags_joined(im, atom, n, &ev->tags);
			else if (strcmp(type, "text") != 0)
				err = "tags: expected a string (TAG,TAG) or an "
				    "array of strings";
			else if ((err = text_fault(key, atom, n, 1)) == NULL)
				ev->tags = keep(im, atom, n);
		} else if (strcmp(key, "attachments") == 0) {
			if (strcmp(type, "array") != 0)
				err = "attachments: expected an array";
			else
				err = attachments(im, atom, n, &files);
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
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(ev->type, kinds[i]) == 0)
			break;
	if (i == sizeof kinds / sizeof kinds[0])
		return "type: expected message, visitor_left, assign, update, "
		    "close, park, reopen, note, edit, tag, untag or tags";
	ev->kind = (enum kind)i;
	if (ev->channel != NULL && *ev->channel == '\0')
		return "channel: empty";
	if (files != NULL && ev->kind != EV_MESSAGE && ev->kind != EV_EDIT)
		return "attachments: a message's or an edit's only";
	if (ev->tags != NULL && ev->kind < EV_TAG)
		return "tags: a tag, untag or tags line's only";
	if (files != NULL && (ev->text = ev->text == NULL ? files :
	    joined(im, ev->text, files)) == NULL)
		return oom;
	if (ev->by != NULL && (ev->kind != EV_CLOSE ||
	    (strcmp(ev->by, "operator") != 0 &&
	    strcmp(ev->by, "visitor") != 0 && strcmp(ev->by, "system") != 0)))
		return ev->kind != EV_CLOSE ? "by: a close's only" :
		    "by: expected operator, visitor or system";
	switch (ev->kind) {
	case EV_MESSAGE:
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
			return "text: missing (a message needs author and text, "
			    "or attachments)";
		return NULL;
	case EV_ASSIGN:
		return ev->operator == NULL ?
		    "operator: missing (assign names the operator)" : NULL;
	case EV_CLOSE:
		if (ev->by == NULL)
			ev->by = "operator";
		return NULL;
	case EV_NOTE:
		return note_checked(im, ev);
	case EV_TAG:
	case EV_UNTAG:
	case EV_TAGS:
		if (ev->tags == NULL)
			return "tags: missing (TAG,TAG, or an array)";
		if (ev->kind != EV_TAGS && *ev->tags == '\0')
			return "tags: none given";
		return *ev->tags != '\0' ? tags_fault(ev->tags) : NULL;
	case EV_EDIT:
		if (ev->id == NULL)
			return "id: missing (an edit names the message's id)";
		return ev->text == NULL ? "text: missing (an edit gives the "
		    "new text, or attachments)" : NULL;
	default:
		return NULL;
	}
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
	size_t conv;		/* bulk: its conversation, conv[] index + 1 */
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

/* What ev does to the conversation k, as it stands. */
static void
effect_of(const struct import *im, const struct known *k,
    const struct event *ev, struct effect *fx)
{
	fx->id = k->id;
	fx->assigns = ev->operator != NULL &&
	    (k->assigned_at < 0 || ev->at > k->assigned_at);
	fx->reassigns = fx->assigns &&
	    (k->operator == NULL || strcmp(k->operator, ev->operator) != 0);
	fx->after_close = k->closed_at >= 0 && ev->at > k->closed_at;
	/* A ref is never changed once made; the old header is SQLite's
	 * index's concern only (index_batch()). */
	fx->reheads = !db_engine_pg() && (differs(ev->visitor, k->visitor) ||
	    differs(ev->visitor_email, k->visitor_email)) &&
	    (im->first_conversation == 0 || fx->id < im->first_conversation);
}

static int event_of(struct import *im, const struct effect *fx, time_t at,
    const char *action, const char *detail);
static struct conv *conv_find(struct bulk *b, const char *ref, size_t *i);

/* The conversation of ev among those resolve() read ahead; one the
 * database does not have is made by its first line, and inserted with the
 * chunk. */
static int
conversation_bulk(struct import *im, const struct event *ev,
    struct effect *fx)
{
	struct bulk *b = im->bulk;
	struct conv *c = conv_find(b, ev->conversation, &fx->conv);
	int rc;

	fx->conv++;
	im->cur = &c->k;
	if (c->state != CONV_NEW) {
		effect_of(im, &c->k, ev, fx);
		return 0;
	}
	if ((rc = known_made(&c->k, ev, 0)) != 0)
		return rc;
	c->state = CONV_MADE;
	c->fresh = 1;
	c->first_visitor = -1;
	b->made[b->nmade++] = fx->conv - 1;
	fx->created = 1;
	fx->assigns = ev->operator != NULL;
	return event_of(im, fx, im->now, "imported", c->k.ref);
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
	if (im->bulk != NULL)
		return conversation_bulk(im, ev, fx);
	im->cur = &im->known;
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
		effect_of(im, k, ev, fx);
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
	return event_of(im, fx, im->now, "imported", ev->conversation);
}

static int message_buffered(struct import *im, size_t conv,
    const struct event *ev, int *added);

/* Adds a message unless the conversation has it: the same id or, for a
 * message without one, the same time, author and text.  Two statements,
 * not an INSERT ... SELECT that reads messages: that has SQLite copy the
 * row to a temporary b-tree before writing it. Its changes in *added. */
static int
message_add(struct import *im, const struct effect *fx,
    const struct event *ev, int *added)
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
	int64_t id = fx->id;
	int rc, found;

	*added = 0;
	if (im->bulk != NULL)
		return message_buffered(im, fx->conv, ev, added);
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

/* Whether a line of history of kind what (marks), at its time, is the
 * latest of its kind the conversation has had, even among those that
 * changed nothing: its time kept if so, in *newer. */
static int
mark_newer(int64_t conv, const char *what, time_t at, int *newer)
{
	struct stmt *st = db_prep("INSERT INTO marks VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (conversation, what) DO UPDATE SET at = excluded.at"
	    " WHERE excluded.at >= marks.at RETURNING at");
	int rc;

	*newer = 0;
	if (st == NULL)
		return ST_DB;
	st_bind_int(st, 1, conv);
	st_bind_text(st, 2, what);
	st_bind_int(st, 3, at);
	*newer = db_row(st, "keeping a line's time", &rc);
	st_reset(st);
	return rc;
}

/* A close's event: its detail names who closed it and when, as
 * chat-close's does. */
static int
closed_event(int64_t conv, time_t at, const char *who, const char *by)
{
	char detail[64], t[32];

	snprintf(detail, sizeof detail, "by %s at %s", by, time_rfc3339(at, t));
	return event_add_by(conv, at, who, "closed", detail);
}

/* A park or reopen told late, after the conversation was closed at
 * closed_at and closed again: one between the close in force and the
 * latest close line (marks, "close:BY"), which left the close time as it
 * was, proves that the latest close closed it anew. Its time becomes the
 * close time, with the close's event, by the one running the import (the
 * line of that close is gone). */
static int
close_moved(struct import *im, const struct event *ev,
    const struct effect *fx, struct line *ln)
{
	struct stmt *last = db_prep("SELECT m.at, substr(m.what, 7) FROM"
	    " marks m JOIN conversations c ON c.id = m.conversation"
	    " WHERE m.conversation = ?1 AND m.what LIKE 'close:%'"
	    " AND c.state = 'closed' AND c.closed_at < ?2 AND m.at > ?2"
	    " ORDER BY m.at DESC LIMIT 1");
	char by[16] = "";
	int64_t at = 0;
	int rc, found;

	if (last == NULL)
		return ST_DB;
	st_bind_int(last, 1, fx->id);
	st_bind_int(last, 2, ev->at);
	if ((found = db_row(last, "reading a close's time", &rc))) {
		at = st_int64(last, 0);
		snprintf(by, sizeof by, "%s", st_text(last, 1));
	}
	st_reset(last);
	if (rc != 0 || !found)
		return rc;
	if ((rc = db_run("UPDATE conversations SET closed_at = ?2,"
	    " closed_by = ?3 WHERE id = ?1", "changing the close time", "iit",
	    fx->id, at, by)) != 0)
		return rc;
	im->cur->closed_at = at;
	ln->upd = 1;
	return closed_event(fx->id, (time_t)at, actor(), by);
}

/* Moves the conversation to a close's, park's or reopen's state at its
 * time, with its event. Lines come in any order, a platform's retries
 * too: one older than the conversation's last line of state (marks) or
 * change of state (its events: chat-close's too) is history already told,
 * and left, and so is one told already (its event, at its time). A close
 * of a closed conversation keeps its close time, as chat-close does: it
 * is most often the platform's echo of the close made here, which the
 * write-back sent it later (see close_moved()). */
static int
state_set(struct import *im, const struct event *ev, const struct effect *fx,
    const char *who, struct line *ln)
{
	struct stmt *was = db_prep("SELECT state, EXISTS (SELECT 1 FROM events"
	    " WHERE conversation = ?1 AND at = ?2 AND action = ?3)"
	    " FROM conversations WHERE id = ?1 AND NOT EXISTS (SELECT 1"
	    " FROM events WHERE conversation = ?1 AND at > ?2 AND action IN"
	    " ('closed', 'parked', 'reopened'))");
	struct stmt *set = db_prep("UPDATE conversations SET state = ?2,"
	    " closed_at = ?3, closed_by = ?4 WHERE id = ?1");
	static const char *const state[] = {
		[EV_CLOSE] = "closed", [EV_PARK] = "parked", [EV_REOPEN] = "open"
	};
	static const char *const action[] = {
		[EV_CLOSE] = "closed", [EV_PARK] = "parked",
		[EV_REOPEN] = "reopened"
	};
	int close = ev->kind == EV_CLOSE, told = 0, newer;
	char from[16] = "", what[32];
	int rc;

	if (was == NULL || set == NULL)
		return ST_DB;
	st_bind_int(was, 1, fx->id);
	st_bind_int(was, 2, ev->at);
	st_bind_text(was, 3, action[ev->kind]);
	if (db_row(was, "reading a conversation's state", &rc)) {
		snprintf(from, sizeof from, "%s", st_text(was, 0));
		told = st_int(was, 1);
	}
	st_reset(was);
	if (rc != 0 || *from == '\0' || told)
		return rc;
	if (close) {
		snprintf(what, sizeof what, "close:%s", ev->by);
		rc = mark_newer(fx->id, what, ev->at, &newer);
	}
	if (rc != 0 || (rc = mark_newer(fx->id, "state", ev->at, &newer)) != 0)
		return rc;
	if (!newer)
		return close ? 0 : close_moved(im, ev, fx, ln);
	if (strcmp(from, state[ev->kind]) == 0)
		return 0;
	st_bind_int(set, 1, fx->id);
	st_bind_text(set, 2, state[ev->kind]);
	time_bind(set, 3, close ? ev->at : -1);
	st_bind_text(set, 4, close ? ev->by : NULL);
	if ((rc = db_done(set, "changing the state")) != 0)
		return rc;
	im->cur->closed_at = close ? ev->at : -1;
	ln->upd = 1;
	/* the events of chat-close's */
	if (close)
		return closed_event(fx->id, ev->at, who, ev->by);
	return event_add_by(fx->id, ev->at, who, action[ev->kind],
	    ev->kind == EV_REOPEN ? from : NULL);
}

/* Adds the note unless the conversation has that very note, as chat-note
 * does. */
static int
note_add(const struct event *ev, const struct effect *fx, const char *who,
    struct line *ln)
{
	char detail[64];
	int rc;

	if ((rc = db_run("INSERT INTO notes (conversation, at, author, body)"
	    " SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM notes"
	    " WHERE conversation = ?1 AND body = ?4)", "adding a note", "iitt",
	    fx->id, (int64_t)ev->at, who, ev->text)) != 0 || db_changes() == 0)
		return rc;
	ln->upd = 1;
	note_detail(ev->text, detail);
	return event_add_by(fx->id, ev->at, who, "noted", detail);
}

/* Gives the message of ev->id its new text; the search index follows it;
 * an edit older than the message's latest (marks) is left. An edit of a
 * message the conversation does not have is said and skipped: its
 * message may come later, or never did. */
static int
message_edit(struct import *im, const struct event *ev,
    const struct effect *fx, const char *who, struct line *ln)
{
	struct stmt *old = db_prep("SELECT body = ?3 FROM messages"
	    " WHERE conversation = ?1 AND ref = ?2");
	char *what;
	int rc, found, same = 0, newer;

	if (old == NULL)
		return ST_DB;
	st_bind_int(old, 1, fx->id);
	st_bind_text(old, 2, ev->id);
	st_bind_text(old, 3, ev->text);
	if ((found = db_row(old, "finding a message", &rc)))
		same = st_int(old, 0);
	st_reset(old);
	if (rc != 0 || same)
		return rc;
	if (found && (what = sqlite3_mprintf("edit:%s", ev->id)) == NULL)
		return chat_err(ST_DB, "out of memory");
	if (found) {
		rc = mark_newer(fx->id, what, ev->at, &newer);
		sqlite3_free(what);
		if (rc != 0 || !newer)
			return rc;
	}
	if (!found) {
		chat_err(ST_DATA, "%s:%ld: id %s: no such message in "
		    "conversation %s; the edit is skipped", im->name, ln->no,
		    ev->id, ev->conversation);
		return 0;
	}
	/* FTS5 takes a row out by the words it was indexed with: the
	 * batch's messages are indexed first (SQLite's only). */
	if (!db_engine_pg() && ((rc = known_write(&im->known)) != 0 ||
	    (rc = db_sync()) != 0 || (rc = index_batch(im)) != 0))
		return rc;
	if ((rc = db_run("UPDATE messages SET body = ?3 WHERE conversation ="
	    " ?1 AND ref = ?2", "editing a message", "itt", fx->id, ev->id,
	    ev->text)) != 0)
		return rc;
	ln->upd = 1;
	return event_add_by(fx->id, ev->at, who, "edited", ev->id);
}

/* Tags (add 1) or untags the conversation with name, unless a line of
 * that tag later than ev's time was imported (marks) or it was tagged or
 * untagged with it since, with its event, which names the tag as the
 * catalogue does. */
static int
tag_one(const struct event *ev, const struct effect *fx, const char *who,
    const char *name, int add, struct line *ln)
{
	char *key = tag_fold(name), *form = tag_nfc(name), *known = NULL;
	struct stmt *find = db_prep("SELECT id, name FROM tags WHERE key = ?1");
	struct stmt *later = db_prep("SELECT 1 FROM events WHERE"
	    " conversation = ?1 AND at > ?2 AND action IN ('tagged',"
	    " 'untagged') AND detail = ?3");
	char what[300];
	int64_t tag = 0;
	int rc = 0, found = 0, newer;

	if (key == NULL || form == NULL) {
		rc = chat_err(ST_DB, "out of memory");
		goto done;
	}
	if (find == NULL || later == NULL) {
		rc = ST_DB;
		goto done;
	}
	snprintf(what, sizeof what, "tag:%s", key);
	if ((rc = mark_newer(fx->id, what, ev->at, &newer)) != 0 || !newer)
		goto done;
	if (add && (rc = db_run("INSERT INTO tags (name, key, created_at)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT (key) DO NOTHING", "adding a tag",
	    "tti", form, key, (int64_t)ev->at)) != 0)
		goto done;
	st_bind_text(find, 1, key);
	if (db_row(find, "looking up a tag", &rc) &&
	    (tag = st_int64(find, 0), known = strdup(st_text(find, 1))) == NULL)
		rc = chat_err(ST_DB, "out of memory");
	st_reset(find);
	if (rc != 0 || tag == 0)
		goto done;
	st_bind_int(later, 1, fx->id);
	st_bind_int(later, 2, ev->at);
	st_bind_text(later, 3, known);
	found = db_row(later, "reading tag events", &rc);
	st_reset(later);
	if (rc != 0 || found)
		goto done;
	if (add)
		rc = db_run("INSERT INTO conversation_tags VALUES (?1, ?2, ?3,"
		    " ?4) ON CONFLICT DO NOTHING", "tagging", "iiit", fx->id,
		    tag, (int64_t)ev->at, who);
	else
		rc = db_run("DELETE FROM conversation_tags WHERE conversation ="
		    " ?1 AND tag = ?2", "untagging", "ii", fx->id, tag);
	if (rc != 0 || db_changes() == 0)
		goto done;
	ln->upd = 1;
	rc = event_add_by(fx->id, ev->at, who, add ? "tagged" : "untagged",
	    known);
done:
	free(key);
	free(form);
	free(known);
	return rc;
}

/* A tag, untag or tags line: the tags named added or taken away, or, for
 * tags, made the conversation's only ones (a platform's labels, sent
 * whole). A tags line says all there was at its time: one older than the
 * latest tags line is left whole, and so is a tag or untag line. */
static int
tags_set(const struct event *ev, const struct effect *fx, const char *who,
    struct line *ln)
{
	struct stmt *had = db_prep("SELECT t.name, t.key FROM"
	    " conversation_tags ct JOIN tags t ON t.id = ct.tag"
	    " WHERE ct.conversation = ?1 ORDER BY t.key");
	struct stmt *set = db_prep("SELECT at FROM marks WHERE conversation"
	    " = ?1 AND what = 'tags'");
	struct taglist given = { NULL, 0 }, gone = { NULL, 0 };
	size_t i, j;
	char *key;
	int rc = 0, kept, newer;

	if (had == NULL || set == NULL)
		return ST_DB;
	if (ev->kind == EV_TAGS)
		rc = mark_newer(fx->id, "tags", ev->at, &newer);
	else {
		st_bind_int(set, 1, fx->id);
		newer = !db_row(set, "reading a line's time", &rc) ||
		    ev->at >= st_int64(set, 0);
		st_reset(set);
	}
	if (rc != 0 || !newer)
		return rc;
	if (*ev->tags != '\0' && (rc = taglist_add(&given, ev->tags)) != 0) {
		taglist_free(&given);
		return rc;
	}
	if (ev->kind == EV_TAGS) {
		st_bind_int(had, 1, fx->id);
		while (rc == 0 && db_row(had, "reading tags", &rc)) {
			for (j = kept = 0; !kept && j < given.n; j++) {
				key = tag_fold(given.names[j]);
				kept = key != NULL &&
				    strcmp(key, st_text(had, 1)) == 0;
				free(key);
			}
			if (!kept)
				rc = taglist_add(&gone, st_text(had, 0));
		}
		st_reset(had);
	}
	for (i = 0; rc == 0 && i < gone.n; i++)
		rc = tag_one(ev, fx, who, gone.names[i], 0, ln);
	for (i = 0; rc == 0 && i < given.n; i++)
		rc = tag_one(ev, fx, who, given.names[i], ev->kind != EV_UNTAG,
		    ln);
	taglist_free(&given);
	taglist_free(&gone);
	return rc;
}

/* A line of a conversation's history, by the one it names or else the
 * one running the import. */
static int
history_add(struct import *im, const struct event *ev,
    const struct effect *fx, struct line *ln)
{
	const char *who = ev->name != NULL ? ev->name : actor();

	if (ev->kind == EV_NOTE)
		return note_add(ev, fx, who, ln);
	if (ev->kind >= EV_TAG)
		return tags_set(ev, fx, who, ln);
	if (ev->kind == EV_EDIT)
		return message_edit(im, ev, fx, who, ln);
	return state_set(im, ev, fx, who, ln);
}

/* Applies one event; what it changed is ln's, once its results are in. */
static int
apply(struct import *im, const struct event *ev, struct line *ln)
{
	struct effect fx;
	int rc, is_msg = ev->kind == EV_MESSAGE, left = ev->kind == EV_LEFT;

	if ((rc = conversation(im, ev, &fx)) != 0)
		return rc;
	/* The header as indexed is the one in the table. */
	if (fx.reheads && ((rc = known_write(&im->known)) != 0 ||
	    (rc = header_kept(fx.id)) != 0))
		return rc;
	ln->id = fx.id;
	ln->conv = fx.conv;
	ln->created = fx.created;
	if ((rc = known_apply(im->cur, ln, ev, &fx, is_msg || left ?
	    ev->at : -1, left ? ev->at : -1)) != 0)
		return rc;
	if (!fx.created && ln->upd && left &&
	    (rc = event_of(im, &fx, ev->at, "visitor_left", NULL)) != 0)
		return rc;
	if (fx.reassigns &&
	    (rc = event_of(im, &fx, ev->at, "assigned", ev->operator)) != 0)
		return rc;
	if (is_msg && (rc = message_add(im, &fx, ev, &ln->add)) != 0)
		return rc;
	/* A new conversation's firsts are written with its row. */
	if (im->bulk != NULL && ln->add > 0 &&
	    im->bulk->conv[fx.conv - 1].fresh)
		im->cur->dirty = ln;
	/* A visitor writing again after the close: the conversation stays
	 * closed, and the event lets an operator find it and decide. Whether
	 * the message was added is its INSERT's result: waited for on these
	 * few lines only. */
	if (is_msg && fx.after_close && strcmp(ev->author, "visitor") == 0 &&
	    ((rc = db_sync()) != 0 || (ln->add > 0 && (rc = event_of(im, &fx,
	    ev->at, "message_after_close", ev->id)) != 0)))
		return rc;
	return ev->kind >= EV_CLOSE ? history_add(im, ev, &fx, ln) : 0;
}

static int
event_of(struct import *im, const struct effect *fx, time_t at,
    const char *action, const char *detail)
{
	struct bulk *b = im->bulk;
	struct evrow *e;

	if (b == NULL)
		return event_add(fx->id, at, action, detail);
	if (b->nev == b->ev_cap) {
		b->ev_cap = b->ev_cap ? b->ev_cap * 2 : 1024;
		if ((e = realloc(b->ev, b->ev_cap * sizeof *e)) == NULL)
			return chat_err(ST_DB, "out of memory");
		b->ev = e;
	}
	b->ev[b->nev++] = (struct evrow){ fx->conv, at, action, detail };
	return 0;
}

/* Whether the conversation has ev's message already as a: the same id,
 * or, for a message without one, the same time, author and text. */
static int
same_message(const struct event *a, const struct event *ev)
{
	if (ev->id != NULL)
		return a->id != NULL && strcmp(a->id, ev->id) == 0;
	return a->at == ev->at && strcmp(a->author, ev->author) == 0 &&
	    strcmp(a->text, ev->text) == 0;
}

/* Keeps ev's message for the chunk's INSERT unless the database has it
 * (resolve()) or an earlier line of the chunk adds it. */
static int
message_buffered(struct import *im, size_t conv, const struct event *ev,
    int *added)
{
	struct bulk *b = im->bulk;
	struct conv *c = &b->conv[conv - 1];
	struct msgrow *m;
	int64_t *m_at;
	long i;

	*added = 0;
	if (ev->stored)
		return 0;
	for (i = c->last_msg; i >= 0; i = b->msg[i].prev)
		if (same_message(b->msg[i].ev, ev))
			return 0;
	if (b->nmsg == b->msg_cap) {
		b->msg_cap = b->msg_cap ? b->msg_cap * 2 : 1024;
		if ((m = realloc(b->msg, b->msg_cap * sizeof *m)) == NULL)
			return chat_err(ST_DB, "out of memory");
		b->msg = m;
	}
	b->msg[b->nmsg] = (struct msgrow){ conv, ev, c->last_msg };
	c->last_msg = (long)b->nmsg++;
	*added = 1;
	if (c->fresh && ev->author[0] == 'v' && (c->first_visitor < 0 ||
	    ev->at < c->first_visitor))
		c->first_visitor = ev->at;
	if (c->fresh && ev->author[0] == 'o') {
		if (c->nop == c->op_cap) {
			c->op_cap = c->op_cap ? 2 * c->op_cap : 8;
			if ((m_at = realloc(c->op_at, c->op_cap *
			    sizeof *m_at)) == NULL)
				return chat_err(ST_DB, "out of memory");
			c->op_at = m_at;
		}
		c->op_at[c->nop++] = ev->at;
	}
	return 0;
}

/* firsts_kept()'s first_response_at of a fresh conversation: its first
 * operator message at or after its first visitor message; -1: none. */
static int64_t
first_response(const struct conv *c)
{
	int64_t r = -1;
	size_t i;

	for (i = 0; c->first_visitor >= 0 && i < c->nop; i++)
		if (c->op_at[i] >= c->first_visitor && (r < 0 ||
		    c->op_at[i] < r))
			r = c->op_at[i];
	return r;
}

static size_t
ref_hash(const char *ref)
{
	size_t h = 2166136261u;

	for (; *ref != '\0'; ref++)
		h = (h ^ (unsigned char)*ref) * 16777619u;
	return h;
}

/* The conversation of ref, its conv[] index in *i; NULL if none. */
static struct conv *
conv_find(struct bulk *b, const char *ref, size_t *i)
{
	size_t h;

	if (b->nslot == 0)
		return NULL;
	for (h = ref_hash(ref) & (b->nslot - 1); b->slot[h] != 0;
	    h = (h + 1) & (b->nslot - 1))
		if (strcmp(b->conv[b->slot[h] - 1].k.ref, ref) == 0) {
			*i = b->slot[h] - 1;
			return &b->conv[*i];
		}
	return NULL;
}

/* A conversation of ref, not in the database until resolve() says. */
static int
conv_new(struct bulk *b, const char *ref)
{
	struct conv *c;
	size_t i, h, *slot, *made;

	if (b->nconv == b->conv_cap) {
		b->conv_cap = b->conv_cap ? b->conv_cap * 2 : 1024;
		if ((c = realloc(b->conv, b->conv_cap * sizeof *c)) == NULL)
			return chat_err(ST_DB, "out of memory");
		b->conv = c;
		if ((made = realloc(b->made, b->conv_cap * sizeof *made)) ==
		    NULL)
			return chat_err(ST_DB, "out of memory");
		b->made = made;
	}
	if (2 * (b->nconv + 1) > b->nslot) {
		if ((slot = calloc(b->nslot ? 2 * b->nslot : 4096,
		    sizeof *slot)) == NULL)
			return chat_err(ST_DB, "out of memory");
		free(b->slot);
		b->slot = slot;
		b->nslot = b->nslot ? 2 * b->nslot : 4096;
		for (i = 0; i < b->nconv; i++) {
			for (h = ref_hash(b->conv[i].k.ref) & (b->nslot - 1);
			    b->slot[h] != 0; h = (h + 1) & (b->nslot - 1))
				;
			b->slot[h] = i + 1;
		}
	}
	c = &b->conv[b->nconv];
	memset(c, 0, sizeof *c);
	c->last_msg = -1;
	if (known_set(&c->k.ref, ref) != 0)
		return chat_err(ST_DB, "out of memory");
	for (h = ref_hash(ref) & (b->nslot - 1); b->slot[h] != 0;
	    h = (h + 1) & (b->nslot - 1))
		;
	b->slot[h] = ++b->nconv;
	return 0;
}

/* Forgets the conversations: the transaction ended, or a chunk is
 * redone a line at a time. */
static void
convs_clear(struct bulk *b)
{
	size_t i;

	for (i = 0; i < b->nconv; i++) {
		known_clear(&b->conv[i].k);
		free(b->conv[i].op_at);
	}
	b->nconv = 0;
	if (b->nslot > 0)
		memset(b->slot, 0, b->nslot * sizeof *b->slot);
}

/* Forgets the chunk's rows; with all, the lines read and the
 * conversations too. */
static void
bulk_clear(struct bulk *b, int all)
{
	size_t i;

	b->nmade = b->nmsg = b->nev = 0;
	for (i = 0; i < b->nconv; i++)
		b->conv[i].last_msg = -1;
	if (!all)
		return;
	convs_clear(b);
	b->nstale = 0;
	b->redone = 0;
	b->savepoint = 0;
	for (i = 0; i < b->npend; i++)
		free(b->pend[i].mem);
	b->npend = b->nsent = b->pend_bytes = 0;
}

/* Forgets the lines of the chunk sent, once known written. */
static void
sent_drop(struct bulk *b)
{
	size_t i;

	for (i = 0; i < b->nsent; i++)
		free(b->pend[i].mem);
	memmove(b->pend, b->pend + b->nsent,
	    (b->npend - b->nsent) * sizeof *b->pend);
	b->npend -= b->nsent;
	b->nsent = 0;
}

/* Keeps a line read ahead: its fields copied out of the arena parse()
 * reuses, or why it is refused. */
static int
pending_add(struct import *im, long no, const char *err,
    const struct event *ev)
{
	struct bulk *b = im->bulk;
	struct pending *p;
	size_t i;

	if (b->npend == b->pend_cap) {
		b->pend_cap = b->pend_cap ? b->pend_cap * 2 : CHUNK_LINES;
		if ((p = realloc(b->pend, b->pend_cap * sizeof *p)) == NULL)
			return chat_err(ST_DB, "out of memory");
		b->pend = p;
	}
	p = &b->pend[b->npend];
	memset(p, 0, sizeof *p);
	p->no = no;
	if (err != NULL) {
		/* field_error()'s buffer is the next line's */
		if ((p->mem = strdup(err)) == NULL)
			return chat_err(ST_DB, "out of memory");
		p->err = p->mem;
	} else {
		const char **f[] = { &p->ev.conversation, &p->ev.type,
		    &p->ev.channel, &p->ev.visitor, &p->ev.visitor_email,
		    &p->ev.operator, &p->ev.author, &p->ev.name, &p->ev.id,
		    &p->ev.text };

		p->ev = *ev;
		if ((p->mem = malloc(im->arena_len + 1)) == NULL)
			return chat_err(ST_DB, "out of memory");
		memcpy(p->mem, im->arena, im->arena_len);
		/* type may be a constant rather than the line's */
		for (i = 0; i < sizeof f / sizeof f[0]; i++)
			if (*f[i] >= im->arena && *f[i] < im->arena +
			    im->arena_len)
				*f[i] = p->mem + (*f[i] - im->arena);
		b->pend_bytes += im->arena_len;
	}
	b->npend++;
	return 0;
}

/* Reads ahead the conversations the chunk names that the transaction has
 * not seen, in one statement, and which of the chunk's messages of
 * conversations in the database it has already, in another. */
static int
resolve(struct import *im)
{
	struct bulk *b = im->bulk;
	/* LATERAL ... LIMIT 1 (here and below): a look in the index a row,
	 * where a plan for unnest() taken for a few rows, kept once the table
	 * has grown, would read the whole table. */
	struct stmt *find = db_prep("SELECT c.* FROM unnest(?1::text[]) AS r"
	    " (ref) CROSS JOIN LATERAL (SELECT id, operator, assigned_at,"
	    " closed_at, visitor, visitor_email, channel, started_at,"
	    " last_activity_at, visitor_left_at, ref FROM conversations"
	    " WHERE ref = r.ref LIMIT 1) AS c");
	struct stmt *stored = db_prep("SELECT o FROM unnest(?1::bigint[],"
	    " ?2::text[], ?3::bigint[], ?4::text[], ?5::text[]) WITH ORDINALITY"
	    " AS u (c, r, a, au, b, o) CROSS JOIN LATERAL (SELECT 1 FROM"
	    " messages m WHERE m.conversation = u.c AND (m.ref = u.r OR u.r"
	    " IS NULL AND m.at = u.a AND m.author = u.au AND m.body = u.b)"
	    " LIMIT 1) AS m");
	struct column refs = { 0 }, col[5] = { { 0 } };
	struct conv *c;
	struct event *ev;
	size_t i, j, first = b->nconv, *asked, nasked = 0;
	int rc = 0;

	if (find == NULL || stored == NULL)
		return ST_DB;
	for (i = b->nsent; rc == 0 && i < b->npend; i++)
		if (b->pend[i].err == NULL &&
		    conv_find(b, b->pend[i].ev.conversation, &j) == NULL &&
		    (rc = conv_new(b, b->pend[i].ev.conversation)) == 0)
			column_text(&refs, b->pend[i].ev.conversation);
	if (rc != 0 || b->nconv == first)
		column_clear(&refs);
	else if ((rc = st_bind_column_array(find, 1, &refs)) == 0) {
		while (rc == 0 && db_row(find, "finding conversations", &rc))
			if ((c = conv_find(b, st_text(find, 10), &j)) != NULL &&
			    (rc = known_load(&c->k, st_text(find, 10), find))
			    == 0)
				c->state = CONV_STORED;
		st_reset(find);
	}
	if (rc != 0)
		return rc;
	if ((asked = malloc(b->npend * sizeof *asked)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = b->nsent; i < b->npend; i++) {
		ev = &b->pend[i].ev;
		if (b->pend[i].err != NULL || ev->kind != EV_MESSAGE ||
		    (c = conv_find(b, ev->conversation, &j)) == NULL ||
		    c->state != CONV_STORED)
			continue;
		column_int(&col[0], c->k.id);
		column_text(&col[1], ev->id);
		column_int(&col[2], ev->at);
		column_text(&col[3], ev->author);
		/* the text is compared only for a message without an id */
		column_text(&col[4], ev->id ? NULL : ev->text);
		asked[nasked++] = i;
	}
	for (j = 0; j < 5; j++)
		if (rc == 0)
			rc = st_bind_column_array(stored, (int)j + 1, &col[j]);
		else
			column_clear(&col[j]);
	while (rc == 0 && nasked > 0 && db_row(stored, "finding messages",
	    &rc))
		if ((i = (size_t)st_int64(stored, 0)) >= 1 && i <= nasked)
			b->pend[asked[i - 1]].ev.stored = 1;
	st_reset(stored);
	free(asked);
	return rc;
}

/* Runs st, sent: the statements of a chunk wait for none of their
 * results but the ids of the conversations it makes. */
static int
bulk_send(struct stmt *st, struct column *col, int ncol, const char *what)
{
	int i, rc = 0;

	for (i = 0; i < ncol; i++)
		if (rc == 0)
			rc = st_bind_column_array(st, i + 1, &col[i]);
		else
			column_clear(&col[i]);
	return rc != 0 ? rc : db_send(st, what, NULL);
}

/* The words of conversation k's header, as its index keeps them. */
static int
header_words(const struct known *k, struct column *out)
{
	const char *parts[] = { k->visitor, k->visitor_email, k->ref };
	sqlite3_str *w = sqlite3_str_new(NULL);
	int rc = search_words(parts, 3, w);

	if (rc == 0 && sqlite3_str_errcode(w) != SQLITE_OK)
		rc = chat_err(ST_DB, "out of memory");
	/* no word: an empty string's value is NULL */
	if (rc == 0)
		column_text(out, sqlite3_str_value(w) ? sqlite3_str_value(w) :
		    "");
	sqlite3_free(sqlite3_str_finish(w));
	return rc;
}

/* A conversation's row as the chunk's statements take it: columns 1 to 8
 * and 10 and 11 (0, the ref or id, and 9 are the caller's). */
static void
conv_columns(const struct conv *c, struct column col[12])
{
	column_text(&col[1], c->k.channel);
	column_text(&col[2], c->k.visitor);
	column_text(&col[3], c->k.visitor_email);
	column_text(&col[4], c->k.operator);
	column_time(&col[5], c->k.assigned_at);
	column_time(&col[6], c->k.started_at);
	column_time(&col[7], c->k.last_activity_at);
	column_time(&col[8], c->k.visitor_left_at);
	column_time(&col[10], c->first_visitor);
	column_time(&col[11], first_response(c));
}

/* Writes what the chunk's lines made: the conversations first (their
 * ids are waited for), then the others' changes, the events and the
 * messages, with the words of what is new for the index: sent, their
 * results waited for by confirm(). -1 when the conversations could not be
 * made, unreported: the chunk is to be redone a line at a time, which
 * names the line; else a status, reported. */
static int
flush(struct import *im)
{
	struct bulk *b = im->bulk;
	struct stmt *make = db_prep("WITH made AS (INSERT INTO conversations"
	    " (ref, channel, visitor, visitor_email, operator, assigned_at,"
	    " started_at, last_activity_at, visitor_left_at, first_visitor_at,"
	    " first_response_at) SELECT r, ch, v, ve, op, aa, sa, la, vl, fv,"
	    " fr FROM unnest(?1::text[], ?2::text[], ?3::text[], ?4::text[],"
	    " ?5::text[], ?6::bigint[], ?7::bigint[], ?8::bigint[],"
	    " ?9::bigint[], ?11::bigint[], ?12::bigint[]) WITH ORDINALITY AS u"
	    " (r, ch, v, ve, op, aa, sa, la, vl, fv, fr, o) ORDER BY o"
	    " RETURNING id, ref),"
	    " indexed AS (INSERT INTO conversations_fts SELECT made.id, w.words"
	    " FROM made JOIN unnest(?1::text[], ?10::tsvector[]) AS w (r,"
	    " words) ON w.r = made.ref) SELECT id, ref FROM made");
	struct stmt *update = db_prep("UPDATE conversations AS c SET"
	    " channel = u.ch, visitor = u.v, visitor_email = u.ve,"
	    " operator = u.op, assigned_at = u.aa, started_at = u.sa,"
	    " last_activity_at = u.la, visitor_left_at = u.vl,"
	    " first_visitor_at = CASE WHEN u.fresh = 1 THEN u.fv ELSE"
	    " c.first_visitor_at END, first_response_at = CASE WHEN"
	    " u.fresh = 1 THEN u.fr ELSE c.first_response_at END FROM"
	    " unnest(?1::bigint[], ?2::text[], ?3::text[], ?4::text[],"
	    " ?5::text[], ?6::bigint[], ?7::bigint[], ?8::bigint[],"
	    " ?9::bigint[], ?10::bigint[], ?11::bigint[], ?12::bigint[]) AS u"
	    " (id, ch, v, ve, op, aa, sa, la, vl, fresh, fv, fr)"
	    " WHERE c.id = u.id");
	struct stmt *events = db_prep("INSERT INTO events (conversation, at,"
	    " actor, action, detail) SELECT c, a, ?5, ac, d FROM"
	    " unnest(?1::bigint[], ?2::bigint[], ?3::text[], ?4::text[])"
	    " WITH ORDINALITY AS u (c, a, ac, d, o) ORDER BY o");
	struct stmt *msgs = db_prep("WITH added AS (INSERT INTO messages"
	    " (conversation, ref, at, author, name, body) SELECT c, r, a, au,"
	    " n, t FROM unnest(?1::bigint[], ?2::text[], ?3::bigint[],"
	    " ?4::text[], ?5::text[], ?6::text[]) WITH ORDINALITY AS u (c, r,"
	    " a, au, n, t, o) ORDER BY o RETURNING id) INSERT INTO messages_fts"
	    " SELECT a.id, w.words FROM (SELECT id, row_number() OVER (ORDER"
	    " BY id) AS o FROM added) AS a JOIN unnest(?7::tsvector[]) WITH"
	    " ORDINALITY AS w (words, o) USING (o)");
	struct stmt *end;
	struct column col[12] = { { 0 } };
	struct known *k;
	struct conv *c;
	sqlite3_str *w;
	const char *body[1];
	size_t i, j, n;
	int rc = 0;

	if (make == NULL || update == NULL || events == NULL || msgs == NULL)
		return ST_DB;
	/* No JIT, for the transaction: the planner, which takes unnest()
	 * for a few rows, costs some of these statements high enough to
	 * compile them, for longer than they run. The chunk before is
	 * written: its savepoint goes, or each chunk's would be a
	 * subtransaction of the batch, past the 64 a server keeps in memory
	 * for every session's snapshots. */
	if ((rc = db_exec(b->savepoint ? "RELEASE SAVEPOINT chunk;"
	    " SAVEPOINT chunk; SET LOCAL chat.writer_indexes = on" :
	    "SET LOCAL jit = off; SAVEPOINT chunk;"
	    " SET LOCAL chat.writer_indexes = on", "writing a chunk")) != 0)
		return rc;
	b->savepoint = 1;
	for (i = 0; rc == 0 && i < b->nmade; i++) {
		k = &b->conv[b->made[i]].k;
		column_text(&col[0], k->ref);
		conv_columns(&b->conv[b->made[i]], col);
		rc = header_words(k, &col[9]);
	}
	for (j = 0; j < 12; j++)
		if (rc == 0 && b->nmade > 0)
			rc = st_bind_column_array(make, (int)j + 1, &col[j]);
		else
			column_clear(&col[j]);
	for (n = 0; rc == 0 && n < b->nmade; n++) {
		if (st_step(make) != 1) {
			st_reset(make);
			return -1;
		}
		if ((c = conv_find(b, st_text(make, 1), &j)) == NULL)
			break;
		c->k.id = st_int64(make, 0);
		c->state = CONV_STORED;
		c->k.dirty = NULL;
	}
	if (b->nmade > 0)
		st_reset(make);
	if (rc == 0 && n < b->nmade)
		rc = chat_err(ST_DB, "making conversations: %zu of %zu made",
		    n, b->nmade);
	for (i = n = 0; rc == 0 && i < b->nconv; i++) {
		if ((k = &b->conv[i].k)->dirty == NULL)
			continue;
		column_int(&col[0], k->id);
		conv_columns(&b->conv[i], col);
		column_int(&col[9], b->conv[i].fresh);
		k->dirty = NULL;
		n++;
	}
	if (rc == 0 && n > 0)
		rc = bulk_send(update, col, 12, "updating conversations");
	for (i = 0; rc == 0 && i < b->nev; i++) {
		column_int(&col[0], b->conv[b->ev[i].conv - 1].k.id);
		column_int(&col[1], b->ev[i].at);
		column_text(&col[2], b->ev[i].action);
		column_text(&col[3], b->ev[i].detail);
	}
	if (rc == 0 && b->nev > 0) {
		st_bind_text(events, 5, actor());
		rc = bulk_send(events, col, 4, "recording events");
	}
	w = sqlite3_str_new(NULL);
	for (i = 0; rc == 0 && i < b->nmsg; i++) {
		const struct event *ev = b->msg[i].ev;

		column_int(&col[0], b->conv[b->msg[i].conv - 1].k.id);
		column_text(&col[1], ev->id);
		column_int(&col[2], ev->at);
		column_text(&col[3], ev->author);
		column_text(&col[4], ev->name);
		column_text(&col[5], ev->text);
		body[0] = ev->text;
		sqlite3_str_reset(w);
		if ((rc = search_words(body, 1, w)) == 0 &&
		    sqlite3_str_errcode(w) != SQLITE_OK)
			rc = chat_err(ST_DB, "out of memory");
		column_text(&col[6], sqlite3_str_value(w) ?
		    sqlite3_str_value(w) : "");
	}
	sqlite3_free(sqlite3_str_finish(w));
	if (rc == 0 && b->nmsg > 0)
		rc = bulk_send(msgs, col, 7, "adding messages");
	for (j = 0; j < 12; j++)
		column_clear(&col[j]);
	if (rc == 0 && (end = db_prep("SELECT set_config("
	    "'chat.writer_indexes', 'off', true)")) == NULL)
		rc = ST_DB;
	if (rc == 0)
		rc = db_send(end, "writing a chunk", NULL);
	return rc == 0 ? db_push() : rc;
}

static int line_one(struct import *im, const char *name, long no,
    const char *err, const struct event *ev);

/* Lines applied a line at a time, as on SQLite, the chunk's conversations
 * put aside: what a chunk cannot take. */
static int
unbulked(struct import *im, const char *name, const struct pending *p,
    size_t n)
{
	struct bulk *b = im->bulk;
	size_t i;
	int rc = 0;

	convs_clear(b);
	im->bulk = NULL;
	for (i = 0; rc == 0 && i < n; i++)
		rc = line_one(im, name, p[i].no, p[i].err, &p[i].ev);
	if (rc == 0 && (rc = settle(im)) != 0)
		undone(im, name, rc);
	known_clear(&im->known);
	im->bulk = b;
	if (rc != 0)
		bulk_clear(b, 1);
	return rc;
}

/* Redoes the lines of the chunk sent, a line at a time, after one of its
 * statements failed: that names the line at fault and undoes the batch,
 * or goes through. */
static int
redo(struct import *im, const char *name, long start)
{
	struct bulk *b = im->bulk;
	size_t n = b->nsent;
	int rc;

	if ((rc = db_undo_to("chunk")) != 0)
		return undone(im, name, rc);
	im->lines = im->settled = start;
	bulk_clear(b, 0);
	b->redone = 1;
	return unbulked(im, name, b->pend, n);
}

static int
stale_add(struct bulk *b, int64_t id)
{
	int64_t *s;

	if (b->nstale > 0 && b->stale[b->nstale - 1] == id)
		return 0;
	if (b->nstale == b->stale_cap) {
		b->stale_cap = b->stale_cap ? 2 * b->stale_cap : 256;
		if ((s = realloc(b->stale, b->stale_cap * sizeof *s)) == NULL)
			return chat_err(ST_DB, "out of memory");
		b->stale = s;
	}
	b->stale[b->nstale++] = id;
	return 0;
}

/* Waits for the results of the chunk sent; notes what its lines changed
 * and says its refused lines, in their order. */
static int
confirm(struct import *im, const char *name)
{
	struct bulk *b = im->bulk;
	struct line *ln;
	size_t i;
	int rc = 0;

	if (b->nsent == 0)
		return 0;
	if (db_sync_unreported() != 0) {
		if ((rc = redo(im, name, b->start)) != 0)
			return rc;
	} else {
		for (; im->settled < im->lines; im->settled++) {
			ln = &im->line[im->settled];
			ln->id = b->conv[ln->conv - 1].k.id;
			if ((ln->created || ln->upd > 0 || ln->add > 0) &&
			    (rc = changed_add(im, ln->id)) != 0)
				return undone(im, name, rc);
			if (ln->add > 0 && !b->conv[ln->conv - 1].fresh &&
			    (rc = stale_add(b, ln->id)) != 0)
				return undone(im, name, rc);
		}
		for (i = 0; i < b->nsent; i++)
			if (b->pend[i].err != NULL)
				chat_err(ST_DATA, "%s:%ld: %s", name,
				    b->pend[i].no, b->pend[i].err);
	}
	sent_drop(b);
	return 0;
}

/* Applies the lines read ahead and sends what they made, once the chunk
 * before is known written. */
static int
chunk_run(struct import *im, const char *name)
{
	struct bulk *b = im->bulk;
	struct pending *p;
	struct line *ln;
	size_t i;
	int rc = 0, any = 0;

	if ((rc = confirm(im, name)) != 0)
		return rc;
	for (i = 0; i < b->npend; i++)
		any |= b->pend[i].err == NULL;
	if (!any) {
		b->nsent = b->npend;	/* nothing to write: said by confirm() */
		b->pend_bytes = 0;
		return confirm(im, name);
	}
	if (im->lines == 0 && (rc = db_begin()) != 0)
		return rc;
	if ((rc = resolve(im)) != 0)
		return undone(im, name, rc);
	b->start = im->lines;
	for (i = 0; rc == 0 && i < b->npend; i++) {
		if ((p = &b->pend[i])->err != NULL)
			continue;
		ln = &im->line[im->lines++];
		memset(ln, 0, sizeof *ln);
		ln->no = p->no;
		rc = apply(im, &p->ev, ln);
	}
	if (rc == 0)
		rc = flush(im);
	b->nsent = b->npend;
	b->pend_bytes = 0;
	if (rc > 0)
		return undone(im, name, rc);
	/* redo() says the refused lines: confirm() must not again */
	if (rc < 0 && (rc = redo(im, name, b->start)) == 0)
		sent_drop(b);
	else if (rc == 0)
		bulk_clear(b, 0);
	return rc;
}

static int
is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return 0;
	return 1;
}

/* One line, its statements run (or sent) now: SQLite's way, and
 * PostgreSQL's for a chunk that failed. */
static int
line_one(struct import *im, const char *name, long no, const char *err,
    const struct event *ev)
{
	struct line *ln;
	int rc;

	/* A line sent before this one fails first, as it would have had its
	 * result been waited for. */
	if (err != NULL && (rc = settle(im)) != 0)
		return undone(im, name, rc);
	if (err != NULL) {
		chat_err(ST_DATA, "%s:%ld: %s", name, no, err);
		return 0;
	}
	if (im->lines == 0 && (rc = db_begin()) != 0)
		return rc;
	ln = &im->line[im->lines++];
	memset(ln, 0, sizeof *ln);
	ln->no = no;
	if ((rc = apply(im, ev, ln)) != 0)
		return undone(im, name, rc);
	return 0;
}

/* A line of history on PostgreSQL: the lines read before it written
 * first, then it alone, a line at a time; the conversations read ahead
 * are read again after it. */
static int
line_alone(struct import *im, const char *name, long no,
    const struct event *ev)
{
	struct pending one = { no, NULL, *ev, NULL };
	int rc;

	if ((rc = chunk_run(im, name)) != 0 || (rc = confirm(im, name)) != 0)
		return rc;
	return unbulked(im, name, &one, 1);
}

/* One line of events, or why it is refused (err): applied, or kept for
 * the chunk, and the batch committed when it is full or the input has
 * nothing more ready. */
static int
line_in(struct import *im, struct lines *l, const char *name,
    const char *line, size_t len, const char *err)
{
	struct bulk *b = im->bulk;
	struct event ev;
	int rc = 0;

	if (err == NULL)
		err = parse(im, line, len, &ev);
	if (err == oom)
		return chat_err(ST_DB, "%s:%ld: out of memory; the batch since "
		    "the last commit is undone", name, lines_lineno(l));
	if (b != NULL && err == NULL && ev.kind >= EV_CLOSE)
		rc = line_alone(im, name, lines_lineno(l), &ev);
	else if (b != NULL) {
		if ((rc = pending_add(im, lines_lineno(l), err, &ev)) == 0 &&
		    (b->npend - b->nsent >= CHUNK_LINES ||
		    b->pend_bytes >= CHUNK_BYTES ||
		    im->lines + (long)(b->npend - b->nsent) >= BATCH_MAX ||
		    !lines_ready(l)))
			rc = chunk_run(im, name);
	} else
		rc = line_one(im, name, lines_lineno(l), err, &ev);
	if (rc == 0 && (im->lines >= BATCH_MAX || !lines_ready(l)) &&
	    (b == NULL || b->npend == b->nsent))
		rc = commit(im, name);
	return rc;
}

/* A Chatwoot webhook's payload: the lines of chat-import's own events it
 * makes, each applied as a line of the input, with its number. */
static int
payload_in(struct import *im, struct lines *l, const char *name,
    const char *payload, size_t len)
{
	const char *why, *p, *end;
	int rc = 0, skipped = 0;

	if (im->events == NULL && (im->events = sqlite3_str_new(NULL)) == NULL)
		return chat_err(ST_DB, "out of memory");
	sqlite3_str_reset(im->events);
	if ((why = chatwoot_lines(payload, len, im->events, &skipped)) != NULL)
		return line_in(im, l, name, NULL, 0, why);
	if (sqlite3_str_errcode(im->events) != SQLITE_OK)
		return chat_err(ST_DB, "out of memory");
	im->skipped += skipped;
	p = sqlite3_str_value(im->events);
	for (; rc == 0 && p != NULL && *p != '\0'; p = end + 1) {
		end = strchr(p, '\n');
		rc = line_in(im, l, name, p, (size_t)(end - p), NULL);
	}
	return rc;
}

/* Chatwoot's payloads are a line each, or a file is one payload: when the
 * first line, just given, is not a whole JSON value but the rest of the
 * input from it is, the next line given is that rest; otherwise it is that
 * first line again. 0, else the status of a read error, reported. */
static int
payload_or_lines(struct lines *l)
{
	const char *text;
	size_t n;
	int rc;

	lines_back(l);
	if (lines_rest(l, PAYLOAD_MAX, &text, &n, &rc) &&
	    strlen(text) == n && chatwoot_one(text, n))
		lines_whole(l);
	return rc;
}

int
import_lines(struct import *im, struct lines *l, const char *name)
{
	char *line;
	size_t len;
	int rc = 0, first = 1;

	im->name = name;
	im->skipped = 0;
	while (rc == 0 && lines_next(l, &line, &len, &rc)) {
		if (is_blank(line) && strlen(line) == len)
			continue;
		if (first && im->format == IMPORT_CHATWOOT) {
			first = 0;
			if (!chatwoot_one(line, len)) {
				rc = payload_or_lines(l);
				continue;
			}
		}
		if (strlen(line) != len)
			rc = line_in(im, l, name, NULL, 0,
			    "contains a NUL byte");
		else if (!utf8_valid(line, len))
			rc = line_in(im, l, name, NULL, 0, "not valid UTF-8");
		else if (im->format == IMPORT_CHATWOOT)
			rc = payload_in(im, l, name, line, len);
		else
			rc = line_in(im, l, name, line, len, NULL);
		if (im->progress && lines_lineno(l) % 10000 == 0)
			fprintf(stderr, "\r%s: %s: %ld lines", chat_prog(),
			    name, lines_lineno(l));
	}
	if (rc == 0 && im->bulk != NULL)
		rc = chunk_run(im, name);
	if (rc == 0)
		rc = commit(im, name);
	if (im->progress && lines_lineno(l) >= 10000)
		fprintf(stderr, "\r%s: %s: %ld lines\n", chat_prog(), name,
		    lines_lineno(l));
	if (im->skipped > 0)
		fprintf(stderr, "%s: %s: %ld payload%s with nothing chat-tools "
		    "keeps, skipped\n", chat_prog(), name, im->skipped,
		    im->skipped == 1 ? "" : "s");
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
	sqlite3_free(sqlite3_str_finish(im->events));
	if (im->bulk != NULL) {
		bulk_clear(im->bulk, 1);
		free(im->bulk->pend);
		free(im->bulk->conv);
		free(im->bulk->slot);
		free(im->bulk->made);
		free(im->bulk->msg);
		free(im->bulk->ev);
		free(im->bulk->stale);
		free(im->bulk);
	}
	free(im->line);
	free(im->batch);
	free(im->arena);
	free(im);
}
