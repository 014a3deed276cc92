/* outbox.c: deliveries, a row first and a network call second: queueing
 * them with the command's other changes (a change to a Chatwoot
 * conversation's too), handing them to chat-deliver
 * after the commit (deliver.c attempts them), the cron's --flush, --retry
 * and --cancel. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libchat.h"

extern char **environ;

/* A delivery being attempted is leased: claim() moves both its
 * next_attempt_at and its updated_at to the end of the lease, which no
 * other write makes equal (a queued delivery is due at once, a recorded
 * attempt waits at least a second). So "leased" is that equality in the
 * future; a lease left by a killed process runs out by itself. ?1 is now. */
#define LEASED "(d.updated_at = d.next_attempt_at AND d.next_attempt_at > ?1)"

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

/* The config of each target asked for, checked before anything is
 * written. */
int
outbox_check(const struct deliveries *d)
{
	char why[512];
	int rc, absent;

	if (d->nmail > 0 && (rc = target_check("mail", why, sizeof why,
	    &absent)) != 0)
		return rc == ST_CONFIG ? chat_err(rc, "%s", why) : rc;
	if (d->zendesk && (rc = target_check("zendesk", why, sizeof why,
	    &absent)) != 0)
		return rc == ST_CONFIG ? chat_err(rc, "%s", why) : rc;
	return 0;
}

/* Keeps a delivery for the hand-off; one that may be kept already (fresh
 * 0) is kept once. Fresh ones are new rows or a query's distinct ids: a
 * look for each among a batch's 100,000 would be quadratic. */
static int
remember(int64_t delivery, int fresh)
{
	int64_t *q;
	size_t i;

	for (i = 0; !fresh && i < nqueued; i++)
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

/* The ids of the deliveries statement st (bound by the caller) returns,
 * kept for outbox_run() as remember() does. */
static int
remember_rows(struct stmt *st, int fresh, const char *what)
{
	int rc = 0;

	while (db_row(st, what, &rc))
		if ((rc = remember(st_int64(st, 0), fresh)) != 0)
			break;
	st_reset(st);
	return rc;
}

/* In the caller's transaction: the delivery of conv by mail to mail_to,
 * or to Zendesk when it is NULL, made when there is none (or, with again, a
 * new one), and kept for outbox_run(); asked for again while it is
 * pending, it is due at once. */
static int
queue(int64_t conv, const char *mail_to, int again)
{
	char target[300];
	struct stmt *find = db_prep("SELECT id FROM deliveries WHERE"
	    " conversation = ? AND target = ? ORDER BY seq DESC LIMIT 1");
	struct stmt *due = db_prep("UPDATE deliveries AS d SET"
	    " next_attempt_at = ?1 WHERE id = ?2 AND state = 'pending' AND"
	    " next_attempt_at > ?1 AND NOT " LEASED);
	struct stmt *add = db_prep("INSERT INTO deliveries (conversation,"
	    " target, seq, next_attempt_at, created_at, updated_at)"
	    " SELECT ?1, ?2, coalesce(max(seq), 0) + 1, ?3, ?3, ?3"
	    " FROM deliveries WHERE conversation = ?1 AND target = ?2"
	    " RETURNING id");
	int64_t id = 0;
	int rc;

	if (find == NULL || add == NULL || due == NULL)
		return ST_DB;
	snprintf(target, sizeof target, mail_to ? "mail:%s" : "zendesk",
	    mail_to);
	st_bind_int(find, 1, conv);
	st_bind_text(find, 2, target);
	if (db_row(find, "finding a delivery", &rc))
		id = st_int64(find, 0);
	st_reset(find);
	if (rc != 0)
		return rc;
	if (id == 0 || again) {
		st_bind_int(add, 1, conv);
		st_bind_text(add, 2, target);
		st_bind_int(add, 3, time(NULL));
		if (db_row(add, "queueing a delivery", &rc))
			id = st_int64(add, 0);
		st_reset(add);
		if (rc != 0)
			return rc;
		if ((rc = event_add(conv, time(NULL), "queued", target)) != 0)
			return rc;
	} else {
		st_bind_int(due, 1, time(NULL));
		st_bind_int(due, 2, id);
		if ((rc = db_done(due, "making a delivery due")) != 0)
			return rc;
	}
	return remember(id, 0);
}

/* Queues the deliveries of the batch's conversations, in the order they
 * came. */
int
outbox_apply(const void *req)
{
	const struct deliveries *d = req;
	struct stmt *st = db_prep("SELECT id FROM batch_ok ORDER BY seq");
	int64_t conv;
	size_t i;
	int rc = 0;

	if (d->nmail == 0 && !d->zendesk)
		return 0;
	if (st == NULL)
		return ST_DB;
	while (rc == 0 && db_row(st, "queueing", &rc)) {
		conv = st_int64(st, 0);
		for (i = 0, rc = 0; rc == 0 && i < d->nmail; i++)
			rc = queue(conv, d->mail[i], d->again);
		if (rc == 0 && d->zendesk)
			rc = queue(conv, NULL, d->again);
	}
	st_reset(st);
	return rc;
}

/* Write-back to Chatwoot is on when chatwoot.url is set; the rest of its
 * config is checked before any change is written, as outbox_check() does
 * for a target asked for. */
int
outbox_writeback_check(void)
{
	const struct config *cfg;
	char why[512];
	int rc, absent;

	if ((rc = config_get(&cfg)) != 0 || cfg->cw_url == NULL)
		return rc;
	if ((rc = target_check("chatwoot", why, sizeof why, &absent)) != 0)
		return rc == ST_CONFIG ? chat_err(rc, "%s", why) : rc;
	return 0;
}

/* Where a change begins in its transaction: the last event, note and
 * delivery written before it. No statement when write-back is off
 * (m->on 0). */
int
outbox_mark(struct wb_mark *m)
{
	const struct config *cfg;
	struct stmt *st;
	int rc;

	memset(m, 0, sizeof *m);
	if ((rc = config_get(&cfg)) != 0 || cfg->cw_url == NULL)
		return rc;
	if ((st = db_prep("SELECT (SELECT coalesce(max(id), 0) FROM events),"
	    " (SELECT coalesce(max(id), 0) FROM notes),"
	    " (SELECT coalesce(max(id), 0) FROM deliveries)")) == NULL)
		return ST_DB;
	if (db_row(st, "marking a change", &rc)) {
		m->on = 1;
		m->event = st_int64(st, 0);
		m->note = st_int64(st, 1);
		m->delivery = st_int64(st, 2);
	}
	st_reset(st);
	return rc;
}

/* Conversation c is one of Chatwoot's, of an inbox of chatwoot.inboxes
 * (?3, ",ID,ID,") when it is set: a ref names its inbox, not the account
 * (chat-import(1)). INBOX is the ref's inbox. */
#define OURS(INBOX) " substr(c.ref, 1, 9) = 'chatwoot:' AND (CAST(?3 AS" \
	" TEXT) IS NULL OR ?3 LIKE '%,' || " INBOX " || ',%')"
#define LITE_INBOX "substr(c.ref, 10, instr(substr(c.ref, 10), ':') - 1)"
#define PG_INBOX "split_part(c.ref, ':', 2)"
#define NOTES_BACK(INBOX) "INSERT INTO deliveries (conversation, target," \
	" seq, next_attempt_at, created_at, updated_at) SELECT" \
	" n.conversation, 'chatwoot:note:' || n.id, 1, ?1, ?1, ?1 FROM notes n" \
	" JOIN conversations c ON c.id = n.conversation WHERE n.id > ?2 AND" \
	OURS(INBOX) " ORDER BY n.id"
/* The events that change a conversation's labels, and its status, on
 * Chatwoot: each its own delivery, so that a tag sends no status (one
 * Chatwoot's bot holds as pending stays so) and a close no labels. */
#define LABEL_EVENTS "('tagged', 'untagged', 'retagged')"
#define STATUS_EVENTS "('closed', 'parked', 'reopened')"
/* A waiting delivery to TARGET, not under way (it may have read the
 * conversation already), takes the change: no new one. */
#define WAITING(TARGET) " EXISTS (SELECT 1 FROM deliveries d WHERE" \
	" d.conversation = c.id AND d.target = '" TARGET "' AND" \
	" d.state = 'pending' AND NOT " LEASED ")"
#define SYNC_BACK(TARGET, EVENTS, INBOX) "INSERT INTO deliveries" \
	" (conversation, target, seq, next_attempt_at, created_at," \
	" updated_at) SELECT c.id, '" TARGET "', coalesce((SELECT" \
	" max(d.seq) FROM deliveries d WHERE d.conversation = c.id AND" \
	" d.target = '" TARGET "'), 0) + 1, ?1, ?1, ?1 FROM (SELECT" \
	" conversation, min(id) AS first FROM events WHERE id > ?2 AND" \
	" action IN " EVENTS " GROUP BY conversation) AS e JOIN" \
	" conversations c ON c.id = e.conversation WHERE" OURS(INBOX) " AND" \
	" NOT" WAITING(TARGET) " ORDER BY e.first"
/* The one that waits (queued before the mark, ?3) is attempted with the
 * change's own, at once, even when it waits out a failure, as a delivery
 * asked for again is (queue()). */
#define SYNC_DUE(TARGET, EVENTS) "UPDATE deliveries AS d SET" \
	" next_attempt_at = ?1 WHERE d.target = '" TARGET "' AND" \
	" d.state = 'pending' AND d.id <= ?3 AND NOT " LEASED \
	" AND d.conversation IN (SELECT conversation FROM events WHERE" \
	" id > ?2 AND action IN " EVENTS ") RETURNING id"

/* chatwoot.inboxes as ",ID,ID," for OURS(), NULL when it is not set: the
 * caller's, to sqlite3_free(). */
static int
inboxes(char **out)
{
	const struct config *cfg;
	sqlite3_str *s;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = config_get(&cfg)) != 0 || cfg->ncw_inboxes == 0)
		return rc;
	s = sqlite3_str_new(NULL);
	for (i = 0; i < cfg->ncw_inboxes; i++)
		sqlite3_str_appendf(s, ",%s", cfg->cw_inboxes[i]);
	sqlite3_str_appendchar(s, 1, ',');
	if ((*out = sqlite3_str_finish(s)) == NULL)
		return chat_err(ST_DB, "out of memory");
	return 0;
}

/* In the change's transaction, what it made since the mark goes back to
 * the Chatwoot conversations it touched (OURS()): each note a delivery
 * "chatwoot:note:ID", then a change of tags "chatwoot:labels" and one of
 * state "chatwoot:status", which read them when they are sent (labels
 * first: Chatwoot's echo of the status then carries them). A few
 * statements whatever the batch's size; each delivery queued with its
 * event, and kept with those made due for outbox_run(). */
int
outbox_writeback(const struct wb_mark *m)
{
	static const struct {
		const char *target, *lite, *pg, *due;
	} syncs[] = {
		{ "chatwoot:labels",
		  SYNC_BACK("chatwoot:labels", LABEL_EVENTS, LITE_INBOX),
		  SYNC_BACK("chatwoot:labels", LABEL_EVENTS, PG_INBOX),
		  SYNC_DUE("chatwoot:labels", LABEL_EVENTS) },
		{ "chatwoot:status",
		  SYNC_BACK("chatwoot:status", STATUS_EVENTS, LITE_INBOX),
		  SYNC_BACK("chatwoot:status", STATUS_EVENTS, PG_INBOX),
		  SYNC_DUE("chatwoot:status", STATUS_EVENTS) },
	};
	/* The new ones of a kind (?2, a LIKE pattern), in the order made. */
	struct stmt *made = db_prep("SELECT id FROM deliveries WHERE id > ?1"
	    " AND target LIKE ?2 ORDER BY id");
	struct stmt *st;
	int64_t now = db_now();
	char *ours;
	size_t i;
	int rc;

	if (!m->on)
		return 0;
	if ((rc = inboxes(&ours)) != 0)
		return rc;
	rc = db_run(DB_SQL(NOTES_BACK(LITE_INBOX), NOTES_BACK(PG_INBOX)),
	    "queueing notes for Chatwoot", "iit", now, m->note, ours);
	for (i = 0; rc == 0 && i < sizeof syncs / sizeof syncs[0]; i++)
		rc = db_run(DB_SQL(syncs[i].lite, syncs[i].pg),
		    "queueing changes for Chatwoot", "iit", now, m->event,
		    ours);
	sqlite3_free(ours);
	/* outbox_apply()'s deliveries of this change have their events. */
	if (rc != 0 || (rc = db_run("INSERT INTO events (conversation, at,"
	    " actor, action, detail) SELECT conversation, ?1, ?2, 'queued',"
	    " target FROM deliveries WHERE id > ?3 AND substr(target, 1, 9) ="
	    " 'chatwoot:' ORDER BY id", "queueing for Chatwoot", "iti", now,
	    actor(), m->delivery)) != 0)
		return rc;
	/* Handed over notes first, then each kind's, the one made due
	 * before the new: labels before status, whichever waited. */
	if (made == NULL)
		return ST_DB;
	st_bind_int(made, 1, m->delivery);
	st_bind_text(made, 2, "chatwoot:note:%");
	rc = remember_rows(made, 1, "queueing for Chatwoot");
	for (i = 0; rc == 0 && i < sizeof syncs / sizeof syncs[0]; i++) {
		if ((st = db_prep(syncs[i].due)) == NULL)
			return ST_DB;
		st_bind_int(st, 1, now);
		st_bind_int(st, 2, m->event);
		st_bind_int(st, 3, m->delivery);
		if ((rc = remember_rows(st, 0, "making a delivery due")) != 0)
			break;
		st_bind_int(made, 1, m->delivery);
		st_bind_text(made, 2, syncs[i].target);
		rc = remember_rows(made, 1, "queueing for Chatwoot");
	}
	return rc;
}

/* Where chat-deliver is: next to this binary, as make install puts it. */
static int
helper(char *path, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", path, size - sizeof "chat-deliver");
	char *name;

	if (n < 0)
		return chat_err(ST_TEMP, "cannot find chat-deliver: "
		    "/proc/self/exe: %s", strerror(errno));
	path[n] = '\0';
	name = (name = strrchr(path, '/')) != NULL ? name + 1 : path;
	snprintf(name, size - (size_t)(name - path), "chat-deliver");
	return 0;
}

/* Writes the ids, one a line, to fd, which it closes. A helper that
 * stopped reading says why itself: no SIGPIPE here. */
static void
send_ids(int fd)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
	FILE *fp;
	size_t i;

	sigaction(SIGPIPE, &ignore, &old);
	if ((fp = fdopen(fd, "w")) == NULL)
		close(fd);
	else {
		for (i = 0; i < nqueued; i++)
			fprintf(fp, "%lld\n", (long long)queued[i]);
		fclose(fp);
	}
	sigaction(SIGPIPE, &old, NULL);
}

/* The deliveries queued or found due are attempted by chat-deliver, the
 * one binary that links libcurl, as git-remote-http is git's: the others
 * start without its libraries. It is given the database and config this
 * process resolved and its actor, never a secret; it speaks as this
 * program (argv[0]); the delivery ids come on its standard input. Its
 * exit status is what it reported, merged into this process's; the worst
 * result of its attempts (deliver_ids()) comes on its fd 3 and is
 * returned. */
static int
hand_off(int lines)
{
	const struct config *cfg;
	const char *argv[8];
	char path[PATH_MAX], word[16];
	posix_spawn_file_actions_t fa;
	int in[2], out[2], rc, status, argc = 0;
	ssize_t n, got = 0;
	pid_t pid;

	if ((rc = config_get(&cfg)) != 0 || (rc = helper(path, sizeof path))
	    != 0)
		return rc;
	argv[argc++] = chat_prog();
	argv[argc++] = "-d";
	argv[argc++] = db_path();
	if (cfg->file_read) {
		argv[argc++] = "-c";
		argv[argc++] = cfg->file;
	}
	if (lines)
		argv[argc++] = "--flush";
	argv[argc] = NULL;
	/* Through the environment, as the helper would read it: an option
	 * would be checked again. */
	if (setenv("CHAT_OPERATOR", actor(), 1) != 0 || pipe(in) != 0)
		return chat_err(ST_TEMP, "chat-deliver: %s", strerror(errno));
	if (pipe(out) != 0) {
		close(in[0]);
		close(in[1]);
		return chat_err(ST_TEMP, "chat-deliver: %s", strerror(errno));
	}
	/* What this process printed comes before what the helper prints. */
	fflush(stdout);
	if ((rc = fcntl(in[1], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(out[0], F_SETFD, FD_CLOEXEC) != 0 ? errno : 0) == 0 &&
	    (rc = posix_spawn_file_actions_init(&fa)) == 0) {
		if ((rc = posix_spawn_file_actions_adddup2(&fa, in[0], 0)) ==
		    0 && (rc = posix_spawn_file_actions_adddup2(&fa, out[1], 3))
		    == 0)
			rc = posix_spawn(&pid, path, &fa, NULL,
			    (char *const *)argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		return chat_err(ST_TEMP, "%s: %s; the deliveries stay pending "
		    "(chat-export --flush attempts them)", path, strerror(rc));
	}
	send_ids(in[1]);
	while ((n = read(out[0], word + got, sizeof word - 1 - (size_t)got))
	    > 0 || (n < 0 && errno == EINTR))
		got += n > 0 ? n : 0;
	close(out[0]);
	word[got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return chat_err(ST_TEMP, "chat-deliver: %s",
			    strerror(errno));
	/* A reader of --flush's lines that went away (| head) ends this
	 * process as it ended the helper, as when it printed them itself. */
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	if (!WIFEXITED(status))
		return chat_err(ST_TEMP, "chat-deliver: killed by signal %d",
		    WTERMSIG(status));
	chat_status(WEXITSTATUS(status));
	return got > 0 ? (int)strtol(word, NULL, 10) : WEXITSTATUS(status);
}

void
outbox_release(void)
{
	free(queued);
	queued = NULL;
	nqueued = queued_cap = 0;
}

/* Hands over what this process queued or found due; the worst result. */
static int
run(int lines)
{
	int rc = nqueued > 0 ? hand_off(lines) : 0;

	outbox_release();
	return rc;
}

/* Attempts what this process queued; the worst result. */
int
outbox_run(void)
{
	return run(0);
}

/* The cron job: every pending delivery that is due, at most max of those
 * its target's config can deliver; unless quiet, a line for each one
 * attempted. Those it cannot are each reported and not counted in max:
 * left as they were, they stay the oldest due, and would otherwise take
 * max's places at every run. */
int
outbox_flush(long max, int quiet)
{
	struct stmt *st = db_prep("SELECT id FROM deliveries WHERE"
	    " state = 'pending' AND next_attempt_at <= ?1 AND CASE WHEN"
	    " target = 'zendesk' THEN ?3 WHEN substr(target, 1, 8) ="
	    " 'chatwoot' THEN ?6 ELSE ?4 END = ?5 ORDER BY"
	    " next_attempt_at, id LIMIT ?2");
	char why[512];
	int rc = 0, absent, deliverable;

	if (st == NULL)
		return ST_DB;
	st_bind_int(st, 1, time(NULL));
	st_bind_int(st, 3, target_check("zendesk", why, sizeof why,
	    &absent) == 0);
	st_bind_int(st, 4, target_check("mail", why, sizeof why,
	    &absent) == 0);
	st_bind_int(st, 6, target_check("chatwoot", why, sizeof why,
	    &absent) == 0);
	for (deliverable = 0; rc == 0 && deliverable < 2; deliverable++) {
		st_bind_int(st, 2, deliverable && max > 0 ? max : INT64_MAX);
		st_bind_int(st, 5, deliverable);
		rc = remember_rows(st, 1, "finding due deliveries");
	}
	return rc != 0 ? rc : run(!quiet);
}

/* What --retry makes due now: a pending delivery waiting for its next
 * attempt (not one under way), and a failed one that no newer delivery
 * to its target has replaced. ?1 is now. */
#define RETRYABLE "d.conversation IN (SELECT id FROM batch_ok) AND" \
	" ((d.state = 'pending' AND d.next_attempt_at > ?1 AND NOT " LEASED \
	") OR (d.state = 'failed' AND NOT " DELIVERY_REPLACED "))"

/* A batch_fn: the batch's deliveries that wait or failed are due now,
 * each with a delivery_retried event; a failed one is pending again (and
 * one that used up delivery.max_attempts has one more attempt). */
int
outbox_retry(const void *unused)
{
	int64_t now = time(NULL);
	int rc;

	(void)unused;
	if ((rc = db_run("INSERT INTO events (conversation, at, actor,"
	    " action, detail) SELECT d.conversation, ?1, ?2,"
	    " 'delivery_retried', d.target || ' (' || d.state || ')' FROM"
	    " deliveries d WHERE " RETRYABLE " ORDER BY d.id",
	    "retrying deliveries", "it", now, actor())) != 0)
		return rc;
	return db_run("UPDATE deliveries AS d SET state = 'pending',"
	    " next_attempt_at = ?1, updated_at = ?1 WHERE " RETRYABLE,
	    "retrying deliveries", "i", now);
}

/* A batch_fn: the batch's pending and failed deliveries are dropped, each
 * with a delivery_cancelled event that keeps what it came to (a failure
 * acknowledged leaves --pending); a conversation whose delivery is under
 * way is refused whole (75: cancel it once that attempt is over). */
int
outbox_cancel(const void *unused)
{
	int64_t now = time(NULL);
	int rc;

	(void)unused;
	if ((rc = idtab_refuse(ST_TEMP, "SELECT d.conversation, d.conversation"
	    " || ': ' || d.target || ' is being attempted; not cancelled' FROM"
	    " deliveries d WHERE d.conversation IN (SELECT id FROM batch_ok)"
	    " AND d.state = 'pending' AND " LEASED " ORDER BY d.id",
	    "cancelling deliveries", "i", now)) != 0 ||
	    (rc = db_run("INSERT INTO events (conversation, at, actor,"
	    " action, detail) SELECT d.conversation, ?1, ?2,"
	    " 'delivery_cancelled', d.target || ', ' || d.attempts ||"
	    " ' attempt' || CASE d.attempts WHEN 1 THEN '' ELSE 's' END ||"
	    " coalesce(': ' || d.last_error, '') FROM deliveries d WHERE"
	    " d.conversation IN (SELECT id FROM batch_ok) AND"
	    " d.state <> 'sent' ORDER BY d.id",
	    "cancelling deliveries", "it", now, actor())) != 0)
		return rc;
	return db_run("DELETE FROM deliveries WHERE conversation IN (SELECT"
	    " id FROM batch_ok) AND state <> 'sent'",
	    "cancelling deliveries", "");
}

/* --all: the conversations --retry or --cancel would act on, those
 * --pending lists, in one batch of outbox_retry() or outbox_cancel(). */
int
outbox_all(int retry, int quiet)
{
	struct stmt *st = db_prep("SELECT DISTINCT conversation FROM"
	    " deliveries d WHERE d.state = 'pending' OR (d.state = 'failed'"
	    " AND NOT " DELIVERY_REPLACED ") ORDER BY conversation");
	struct batch *b = NULL;
	int rc, closed;

	if (st == NULL)
		return ST_DB;
	if ((rc = batch_open(&b, quiet, 0, retry ? outbox_retry :
	    outbox_cancel, NULL)) != 0)
		return rc;
	rc = batch_feed_query(b, st, "finding deliveries");
	if ((closed = batch_close(b)) != 0 && rc == 0)
		rc = closed;
	return rc;
}
