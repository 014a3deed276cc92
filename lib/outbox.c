/* outbox.c: deliveries, a row first and a network call second: queueing
 * them with the command's other changes, attempting them after the commit,
 * back-off, and the cron's --flush. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

#define BACKOFF_FIRST 60
#define BACKOFF_CAP (6 * 3600)

static int64_t *queued;		/* deliveries this process asked for */
static size_t nqueued, queued_cap;

/* An address we put in a header: no spaces, controls or brackets, one @. */
int
outbox_address(const char *addr)
{
	const char *at = strchr(addr, '@'), *p;

	if (at == NULL || at == addr || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strlen(addr) > 254)
		return chat_err(ST_DATA, "%s: not a mail address", addr);
	for (p = addr; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("<>,;:\"()[]\\", *p) != NULL)
			return chat_err(ST_DATA, "%s: not a mail address", addr);
	return 0;
}

static int
remember(int64_t delivery)
{
	int64_t *q;
	size_t i;

	for (i = 0; i < nqueued; i++)
		if (queued[i] == delivery)
			return 0;
	if (nqueued == queued_cap) {
		queued_cap = queued_cap ? queued_cap * 2 : 64;
		if ((q = realloc(queued, queued_cap * sizeof *q)) == NULL)
			return chat_err(ST_DB, "out of memory");
		queued = q;
	}
	queued[nqueued++] = delivery;
	return 0;
}

/* In the caller's transaction: the delivery of conv by mail to mail_to,
 * or to Zendesk when it is NULL, made when there is none (or, with again, a
 * new one), and kept for outbox_run(). */
static int
queue(int64_t conv, const char *mail_to, int again)
{
	char target[300];
	sqlite3_stmt *find = db_prep("SELECT id FROM deliveries WHERE"
	    " conversation = ? AND target = ? ORDER BY seq DESC LIMIT 1");
	sqlite3_stmt *add = db_prep("INSERT INTO deliveries (conversation,"
	    " target, seq, next_attempt_at, created_at, updated_at)"
	    " SELECT ?1, ?2, coalesce(max(seq), 0) + 1, ?3, ?3, ?3"
	    " FROM deliveries WHERE conversation = ?1 AND target = ?2");
	int64_t id = 0;
	int rc;

	if (find == NULL || add == NULL)
		return ST_DB;
	snprintf(target, sizeof target, mail_to ? "mail:%s" : "zendesk",
	    mail_to);
	sqlite3_bind_int64(find, 1, conv);
	db_bind_text(find, 2, target);
	if ((rc = db_step(find, "finding a delivery")) == SQLITE_ROW)
		id = sqlite3_column_int64(find, 0);
	sqlite3_reset(find);
	if (rc == -1)
		return ST_DB;
	if (id == 0 || again) {
		sqlite3_bind_int64(add, 1, conv);
		db_bind_text(add, 2, target);
		sqlite3_bind_int64(add, 3, time(NULL));
		rc = db_step(add, "queueing a delivery");
		sqlite3_reset(add);
		if (rc == -1)
			return ST_DB;
		id = sqlite3_last_insert_rowid(db);
		if ((rc = event_add(conv, time(NULL), "queued", target)) != 0)
			return rc;
	}
	return remember(id);
}

/* Queues the deliveries of the batch's conversations, in the order they
 * came. */
int
outbox_apply(const void *req)
{
	const struct deliveries *d = req;
	sqlite3_stmt *st = db_prep("SELECT id FROM batch_ok ORDER BY seq");
	int64_t conv;
	size_t i;
	int rc = 0;

	if (d->nmail == 0 && !d->zendesk)
		return 0;
	if (st == NULL)
		return ST_DB;
	while (rc == 0 && (rc = db_step(st, "queueing")) == SQLITE_ROW) {
		conv = sqlite3_column_int64(st, 0);
		for (i = 0, rc = 0; rc == 0 && i < d->nmail; i++)
			rc = queue(conv, d->mail[i], d->again);
		if (rc == 0 && d->zendesk)
			rc = queue(conv, NULL, d->again);
	}
	sqlite3_reset(st);
	return rc == -1 ? ST_DB : rc == SQLITE_DONE ? 0 : rc;
}

struct delivery {
	int64_t id, conv;
	char target[300], state[16], last_error[256];
	int attempts;
	time_t created, due;
};

static int
load(int64_t id, struct delivery *d)
{
	sqlite3_stmt *st = db_prep("SELECT conversation, target, state,"
	    " attempts, created_at, next_attempt_at, coalesce(last_error, '')"
	    " FROM deliveries WHERE id = ?");
	int rc;

	if (st == NULL)
		return ST_DB;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = db_step(st, "reading a delivery")) == SQLITE_ROW) {
		d->id = id;
		d->conv = sqlite3_column_int64(st, 0);
		snprintf(d->target, sizeof d->target, "%s",
		    sqlite3_column_text(st, 1));
		snprintf(d->state, sizeof d->state, "%s",
		    sqlite3_column_text(st, 2));
		d->attempts = sqlite3_column_int(st, 3);
		d->created = sqlite3_column_int64(st, 4);
		d->due = sqlite3_column_int64(st, 5);
		snprintf(d->last_error, sizeof d->last_error, "%s",
		    sqlite3_column_text(st, 6));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == -1 ? ST_DB : ST_SOME;
}

/* Takes the delivery for this process: its next attempt moves past the
 * longest a try can last, so a concurrent --flush leaves it alone. */
static int
claim(int64_t id, struct delivery *d, int *mine)
{
	const struct config *cfg;
	sqlite3_stmt *st = db_prep("UPDATE deliveries SET next_attempt_at = ?2"
	    " WHERE id = ?1 AND state = 'pending' AND next_attempt_at <= ?3");
	time_t now = time(NULL);
	int rc;

	*mine = 0;
	if ((rc = config_get(&cfg)) != 0)
		return rc;
	d->state[0] = '\0';
	if (st == NULL || (rc = db_begin()) != 0)
		return st ? rc : ST_DB;
	/* Gone: queued in an item that was then undone. */
	if ((rc = load(id, d)) == ST_SOME)
		rc = 0;
	else if (rc == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, now + cfg->timeout +
		    cfg->connect_timeout + 60);
		sqlite3_bind_int64(st, 3, now);
		if (db_step(st, "claiming a delivery") == -1)
			rc = ST_DB;
		*mine = sqlite3_changes(db) > 0;
		sqlite3_reset(st);
	}
	if (rc != 0) {
		db_rollback();
		return rc;
	}
	return db_commit();
}

/* Nothing was sent (a config error, say): the delivery is due again at
 * once, for the next command, once the cause is mended. */
static void
release(const struct delivery *d)
{
	sqlite3_stmt *st = db_prep("UPDATE deliveries SET next_attempt_at = ?2"
	    " WHERE id = ?1 AND state = 'pending'");

	if (st == NULL || db_begin() != 0)
		return;
	sqlite3_bind_int64(st, 1, d->id);
	sqlite3_bind_int64(st, 2, d->due);
	if (db_step(st, "releasing a delivery") == -1 || db_commit() != 0)
		db_rollback();
	sqlite3_reset(st);
}

static char *
delivery_key(int64_t id, char sep)
{
	sqlite3_stmt *st = db_prep("SELECT value FROM meta"
	    " WHERE key = 'database_id'");
	char *key = NULL;

	if (st != NULL && db_step(st, "reading the database id") == SQLITE_ROW)
		key = sqlite3_mprintf("d%lld%c%s", (long long)id, sep,
		    sqlite3_column_text(st, 0));
	if (st != NULL)
		sqlite3_reset(st);
	return key;
}

static int
send_one(const struct delivery *d, struct sent *r)
{
	sqlite3_str *msg;
	char *key, *text, msgid[300];
	int rc;

	if (strcmp(d->target, "zendesk") == 0) {
		if ((key = delivery_key(d->id, '-')) == NULL)
			return ST_DB;
		rc = zendesk_send(d->conv, key, d->attempts > 0, d->created, r);
		sqlite3_free(key);
		return rc;
	}
	if ((key = delivery_key(d->id, '.')) == NULL)
		return ST_DB;
	msg = sqlite3_str_new(db);
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
	sqlite3_stmt *st = db_prep("UPDATE deliveries SET state = ?2,"
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
		snprintf(detail, sizeof detail, "%s %s", d->target,
		    r->remote_ref);
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
	sqlite3_bind_int64(st, 1, d->id);
	db_bind_text(st, 2, state);
	sqlite3_bind_int64(st, 3, *next);
	db_bind_text(st, 4, r->status ? r->error : NULL);
	db_bind_text(st, 5, r->status ? NULL : r->remote_ref);
	sqlite3_bind_int64(st, 6, now);
	rc = db_step(st, "recording a delivery") == -1 ? ST_DB : 0;
	sqlite3_reset(st);
	if (rc == 0)
		rc = event_add(d->conv, now, action, detail);
	if (rc != 0) {
		db_rollback();
		return rc;
	}
	if ((rc = db_commit()) != 0)
		return rc;
	return strcmp(state, "failed") == 0 ? ST_REMOTE : r->status;
}

/* One attempt of a delivery, if it is due and no one else is on it.
 * Returns 0 when it is sent, ST_TEMP while it waits, ST_REMOTE when it
 * failed for good; says so on standard error. */
int
outbox_attempt(int64_t id)
{
	struct delivery d;
	struct sent r;
	time_t next = 0;
	char when[32];
	int rc, mine;

	if ((rc = claim(id, &d, &mine)) != 0)
		return rc;
	if (!mine) {
		if (d.state[0] == '\0')
			return 0;
		if (strcmp(d.state, "failed") == 0) {
			fprintf(stderr, "%s: %lld: %s: failed for good: %s "
			    "(--again makes a new delivery)\n", chat_prog(),
			    (long long)d.conv, d.target, d.last_error);
			return ST_REMOTE;
		}
		return strcmp(d.state, "sent") == 0 ? 0 : ST_TEMP;
	}
	if ((rc = send_one(&d, &r)) != 0) {
		release(&d);
		return rc;
	}
	rc = record(&d, &r, &next);
	if (rc == ST_TEMP)
		fprintf(stderr, "%s: %lld: %s: %s; queued, next attempt at %s\n",
		    chat_prog(), (long long)d.conv, d.target, r.error,
		    time_rfc3339(next, when));
	else if (rc == ST_REMOTE)
		fprintf(stderr, "%s: %lld: %s: %s; failed for good\n",
		    chat_prog(), (long long)d.conv, d.target, r.error);
	return rc;
}

/* Attempts what this process queued; the worst result. */
int
outbox_run(void)
{
	size_t i;
	int rc, worst = 0;

	for (i = 0; i < nqueued; i++) {
		rc = outbox_attempt(queued[i]);
		if (rc == ST_REMOTE || (rc != 0 && worst != ST_REMOTE))
			worst = rc;
	}
	free(queued);
	queued = NULL;
	nqueued = queued_cap = 0;
	net_cleanup();
	return worst;
}

/* The cron job: every pending delivery that is due, at most max. */
int
outbox_flush(long max)
{
	sqlite3_stmt *st = db_prep("SELECT id FROM deliveries WHERE"
	    " state = 'pending' AND next_attempt_at <= ? ORDER BY"
	    " next_attempt_at, id LIMIT ?");
	int rc;

	if (st == NULL)
		return ST_DB;
	sqlite3_bind_int64(st, 1, time(NULL));
	sqlite3_bind_int64(st, 2, max > 0 ? max : -1);
	while ((rc = db_step(st, "finding due deliveries")) == SQLITE_ROW)
		if ((rc = remember(sqlite3_column_int64(st, 0))) != 0)
			break;
	sqlite3_reset(st);
	if (rc == -1)
		return ST_DB;
	return outbox_run();
}
