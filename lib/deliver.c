/* deliver.c: the attempts of deliveries, in chat-deliver only, the one
 * binary that links libcurl (outbox.c hands them over): each claimed,
 * sent, recorded with its back-off, and reported as the command that
 * queued it speaks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

#define BACKOFF_FIRST 60
#define BACKOFF_CAP (6 * 3600)

struct delivery {
	int64_t id, conv;
	char target[300], state[16], last_error[256];
	int attempts;
	time_t created, due, updated;
};

static int
load(int64_t id, struct delivery *d)
{
	struct stmt *st = db_prep("SELECT conversation, target, state,"
	    " attempts, created_at, next_attempt_at, coalesce(last_error, ''),"
	    " updated_at FROM deliveries WHERE id = ?");
	int rc, found;

	if (st == NULL)
		return ST_DB;
	st_bind_int(st, 1, id);
	if ((found = db_row(st, "reading a delivery", &rc))) {
		d->id = id;
		d->conv = st_int64(st, 0);
		snprintf(d->target, sizeof d->target, "%s",
		    st_text(st, 1));
		snprintf(d->state, sizeof d->state, "%s",
		    st_text(st, 2));
		d->attempts = st_int(st, 3);
		d->created = st_int64(st, 4);
		d->due = st_int64(st, 5);
		snprintf(d->last_error, sizeof d->last_error, "%s",
		    st_text(st, 6));
		d->updated = st_int64(st, 7);
	}
	st_reset(st);
	return found || rc ? rc : ST_SOME;
}

/* Takes the delivery for this process: it is leased (LEASED in outbox.c) past the
 * longest a try can last, so a concurrent --flush, --retry or --cancel
 * leaves it alone. */
static int
claim(int64_t id, struct delivery *d, int *mine)
{
	const struct config *cfg;
	struct stmt *st = db_prep("UPDATE deliveries SET next_attempt_at = ?2,"
	    " updated_at = ?2 WHERE id = ?1 AND state = 'pending' AND"
	    " next_attempt_at <= ?3");
	time_t now = time(NULL);
	int rc;

	*mine = 0;
	if ((rc = config_get(&cfg)) != 0)
		return rc;
	d->state[0] = '\0';
	if (st == NULL || (rc = db_begin()) != 0)
		return st ? rc : ST_DB;
	/* Gone: queued in an item that was then undone, or cancelled. */
	if ((rc = load(id, d)) == ST_SOME)
		rc = 0;
	else if (rc == 0) {
		st_bind_int(st, 1, id);
		st_bind_int(st, 2, now + cfg->timeout +
		    cfg->connect_timeout + 60);
		st_bind_int(st, 3, now);
		rc = db_done(st, "claiming a delivery");
		*mine = db_changes() > 0;
	}
	if (rc != 0) {
		db_rollback();
		return rc;
	}
	return db_commit();
}

/* Nothing was sent (a config error, say): the delivery is as it was, due
 * again at once, for the next command, once the cause is mended. */
static void
release(const struct delivery *d)
{
	struct stmt *st = db_prep("UPDATE deliveries SET next_attempt_at = ?2,"
	    " updated_at = ?3 WHERE id = ?1 AND state = 'pending'");

	if (st == NULL || db_begin() != 0)
		return;
	st_bind_int(st, 1, d->id);
	st_bind_int(st, 2, d->due);
	st_bind_int(st, 3, d->updated);
	if (db_done(st, "releasing a delivery") != 0 || db_commit() != 0)
		db_rollback();
}

/* The delivery's key, unique across databases (the Message-ID's left
 * part, Zendesk's external id): the caller's, to sqlite3_free(); NULL on
 * failure. */
static char *
delivery_key(int64_t id, char sep)
{
	struct stmt *st = db_prep("SELECT value FROM meta"
	    " WHERE key = 'database_id'");
	char *key = NULL;
	int rc;

	if (st != NULL && db_row(st, "reading the database id", &rc))
		key = sqlite3_mprintf("d%lld%c%s", (long long)id, sep,
		    st_text(st, 0));
	if (st != NULL)
		st_reset(st);
	return key;
}

/* A try that may follow another: one was recorded, or one was claimed
 * (the lease moved updated_at) by a process that died before it could
 * record it, maybe after its request was acted on. */
static int
tried(const struct delivery *d)
{
	return d->attempts > 0 || d->updated != d->created;
}

static int
send_one(const struct delivery *d, struct sent *r)
{
	sqlite3_str *msg;
	char *key, *text, msgid[300];
	int rc;

	if (target_chatwoot(d->target))
		return writeback_send(d->conv, d->target, tried(d), d->created,
		    r);
	if (strcmp(d->target, "zendesk") == 0) {
		if ((key = delivery_key(d->id, '-')) == NULL)
			return ST_DB;
		rc = zendesk_send(d->conv, key, tried(d), d->created, r);
		sqlite3_free(key);
		return rc;
	}
	if ((key = delivery_key(d->id, '.')) == NULL)
		return ST_DB;
	msg = sqlite3_str_new(NULL);
	rc = mail_message(d->conv, d->target + 5, key, d->created, msg, msgid);
	text = sqlite3_str_finish(msg);
	if (rc == 0)
		rc = mail_send(d->target + 5, text, r);
	if (rc == 0 && r->status == 0)
		snprintf(r->remote_ref, sizeof r->remote_ref, "%s", msgid);
	sqlite3_free(text);
	sqlite3_free(key);
	return rc;
}

/* Writes what the attempt came to, with its event. */
static int
record(const struct delivery *d, const struct sent *r, time_t *next)
{
	const struct config *cfg;
	struct stmt *st = db_prep("UPDATE deliveries SET state = ?2,"
	    " attempts = attempts + 1, next_attempt_at = ?3, last_error = ?4,"
	    " remote_ref = coalesce(?5, remote_ref), updated_at = ?6"
	    " WHERE id = ?1");
	time_t now = time(NULL);
	long wait;
	char detail[600], when[32];
	const char *state, *action;
	int rc;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	if (st == NULL)
		return ST_DB;
	wait = BACKOFF_FIRST << (d->attempts < 16 ? d->attempts : 16);
	if (wait > BACKOFF_CAP)
		wait = BACKOFF_CAP;
	if (r->retry_after > 0)
		wait = r->retry_after;
	*next = now + wait;
	if (r->status == 0) {
		state = "sent";
		action = "delivered";
		snprintf(detail, sizeof detail, "%s%s%s", d->target,
		    r->remote_ref[0] ? " " : "", r->remote_ref);
	} else if (r->status == ST_TEMP && d->attempts + 1 <
	    cfg->max_attempts) {
		state = "pending";
		action = "delivery_deferred";
		snprintf(detail, sizeof detail, "%s: %s; next attempt at %s",
		    d->target, r->error, time_rfc3339(*next, when));
	} else {
		state = "failed";
		action = "delivery_failed";
		snprintf(detail, sizeof detail, "%s: %s", d->target, r->error);
	}
	if ((rc = db_begin()) != 0)
		return rc;
	st_bind_int(st, 1, d->id);
	st_bind_text(st, 2, state);
	st_bind_int(st, 3, *next);
	st_bind_text(st, 4, r->status ? r->error : NULL);
	st_bind_text(st, 5, r->status || !r->remote_ref[0] ? NULL :
	    r->remote_ref);
	st_bind_int(st, 6, now);
	if ((rc = db_done(st, "recording a delivery")) == 0)
		rc = event_add(d->conv, now, action, detail);
	if (rc != 0) {
		db_rollback();
		return rc;
	}
	if ((rc = db_commit()) != 0)
		return rc;
	return strcmp(state, "failed") == 0 ? ST_REMOTE : r->status;
}

/* A server's words, as stored and shown: each control character as
 * \xHH (str_text()), cut between characters to fit. */
static void
clean(char *s, size_t size)
{
	sqlite3_str *out = sqlite3_str_new(NULL);
	char *t;
	size_t n;

	str_text(out, s, strlen(s), SHOW_FIELD);
	if ((t = sqlite3_str_finish(out)) == NULL)
		return;
	n = strlen(t);
	if (n >= size)
		n = utf8_cut(t, size - 1);
	memcpy(s, t, n);
	s[n] = '\0';
	sqlite3_free(t);
}

/* What one attempt came to. */
enum outcome {
	NONE,		/* gone, or sent before */
	SENT, DEFERRED, FAILED,
	HELD,		/* its server said wait, or did not answer, just now */
	WAS_FAILED,	/* failed before this command */
	BUSY,		/* another process is attempting it */
	UNCONFIGURED,	/* its target's config section is gone */
	MISCONFIGURED	/* its target's config cannot deliver */
};

struct attempt {
	struct delivery d;
	struct sent r;
	enum outcome what;
	time_t next;
	char why[512];
};

/* The HTTP servers (Zendesk's, Chatwoot's) this command leaves alone:
 * one that answered 429 until its Retry-After, one that did not answer
 * at all for the rest of the command. A --flush of 500 deliveries then
 * knocks once, not 500 times, on a server that said wait or is down. */
static struct hold {
	int on;
	time_t until;		/* 0: the deliveries keep their own times */
} holds[2];

static struct hold *
hold_of(const char *target)
{
	if (target_chatwoot(target))
		return &holds[1];
	return strcmp(target, "zendesk") == 0 ? &holds[0] : NULL;
}

/* One attempt of a delivery, if it is due and no one else is on it: the
 * config its target needs is checked first, and a delivery that cannot
 * be attempted is left as it was. */
static int
attempt(int64_t id, struct attempt *a)
{
	struct hold *h;
	int rc, mine, absent;

	memset(a, 0, sizeof *a);
	a->what = NONE;
	if ((rc = claim(id, &a->d, &mine)) != 0)
		return rc;
	if (!mine) {
		if (strcmp(a->d.state, "failed") == 0)
			a->what = WAS_FAILED;
		else if (strcmp(a->d.state, "pending") == 0)
			a->what = BUSY;
		return 0;
	}
	if ((rc = target_check(a->d.target, a->why, sizeof a->why,
	    &absent)) != 0) {
		release(&a->d);
		a->what = absent ? UNCONFIGURED : MISCONFIGURED;
		return rc == ST_CONFIG ? 0 : rc;
	}
	if ((h = hold_of(a->d.target)) != NULL && h->on) {
		if (h->until > a->d.due)
			a->d.due = h->until;
		release(&a->d);
		a->next = h->until;
		a->what = HELD;
		return 0;
	}
	if ((rc = send_one(&a->d, &a->r)) != 0) {
		release(&a->d);
		return rc;
	}
	clean(a->r.error, sizeof a->r.error);
	rc = record(&a->d, &a->r, &a->next);
	a->what = rc == 0 ? SENT : rc == ST_TEMP ? DEFERRED : rc == ST_REMOTE ?
	    FAILED : NONE;
	if (h != NULL && rc == ST_TEMP && (a->r.retry_after > 0 ||
	    a->r.unheard)) {
		h->on = 1;
		h->until = a->r.retry_after > 0 ? a->next : 0;
	}
	return rc == ST_TEMP || rc == ST_REMOTE ? 0 : rc;
}

/* Says what an attempt came to, with lines, as --flush does: one line on
 * standard output for each delivery attempted; else, a warning on
 * standard error for each that was not sent. A delivery that could not
 * be attempted for its config is always on standard error. Returns the
 * status it makes. */
static int
report(const struct attempt *a, int lines)
{
	const struct delivery *d = &a->d;
	const char *prog = chat_prog();
	long long conv = (long long)d->conv;
	char when[32], why[96];

	switch (a->what) {
	case NONE:
		return 0;
	case SENT:
		if (lines)
			printf("%lld %s sent\n", conv, d->target);
		return 0;
	case DEFERRED:
		time_rfc3339(a->next, when);
		if (lines)
			printf("%lld %s pending: %s, next at %s\n", conv,
			    d->target, a->r.error, when);
		else
			fprintf(stderr, "%s: %lld: %s: %s; queued, next "
			    "attempt at %s\n", prog, conv, d->target,
			    a->r.error, when);
		return ST_TEMP;
	case HELD:
		/* a->next: the server's wait, or 0 when it did not answer */
		if (a->next != 0)
			snprintf(why, sizeof why, "its server asked to wait "
			    "until %s", time_rfc3339(a->next, when));
		else
			snprintf(why, sizeof why, "its server did not answer "
			    "just now");
		if (lines)
			printf("%lld %s pending: not attempted, %s\n", conv,
			    d->target, why);
		else
			fprintf(stderr, "%s: %lld: %s: not attempted, %s; "
			    "queued\n", prog, conv, d->target, why);
		return ST_TEMP;
	case FAILED:
		if (lines)
			printf("%lld %s failed: %s\n", conv, d->target,
			    a->r.error);
		else
			fprintf(stderr, "%s: %lld: %s: %s; failed for good\n",
			    prog, conv, d->target, a->r.error);
		return ST_REMOTE;
	case WAS_FAILED:
		fprintf(stderr, "%s: %lld: %s: failed for good: %s "
		    "(chat-export --retry makes it due again, --again makes a "
		    "new delivery)\n", prog, conv, d->target, d->last_error);
		return ST_REMOTE;
	case BUSY:
		fprintf(stderr, "%s: %lld: %s: being attempted by another "
		    "process; chat-export --pending shows how it went\n", prog,
		    conv, d->target);
		return ST_TEMP;
	case UNCONFIGURED:
		fprintf(stderr, "%s: %lld: %s: not attempted: %s; it stays "
		    "pending (chat-export --cancel %lld drops it)\n", prog,
		    conv, d->target, a->why, conv);
		return ST_SOME;
	case MISCONFIGURED:
		chat_status(ST_CONFIG);
		fprintf(stderr, "%s: %lld: %s: not attempted: %s; it stays "
		    "due\n", prog, conv, d->target, a->why);
		return ST_CONFIG;
	}
	return 0;
}

/* The worse of two results of deliveries: a refusal for good is worse
 * than a delay, unlike chat_status()'s order, so that chat-close can tell
 * it apart. */
static int
worse(int a, int b)
{
	static const int order[] = {
		ST_OK, ST_SOME, ST_TEMP, ST_REMOTE, ST_DB, ST_CONFIG
	};
	size_t i, ra = 0, rb = 0;

	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (order[i] == a)
			ra = i;
		if (order[i] == b)
			rb = i;
	}
	return rb > ra ? b : a;
}

/* Attempts the deliveries whose ids come on in, one a line, in that
 * order; with lines, a line on standard output for each attempted, as
 * --flush says. Returns the worst result (worse()). */
int
deliver_ids(FILE *in, int lines)
{
	struct attempt a;
	char line[32], *end;
	int64_t id;
	int rc, worst = 0;

	/* The ids are outbox.c's, written by send_ids(): one a line. */
	while (fgets(line, sizeof line, in) != NULL &&
	    (id = strtoll(line, &end, 10), end != line && *end == '\n')) {
		if ((rc = attempt(id, &a)) == 0)
			rc = report(&a, lines);
		else if (rc == ST_CONFIG)
			chat_status(rc);
		worst = worse(worst, rc);
		fflush(stdout);
	}
	net_cleanup();
	return worst;
}
