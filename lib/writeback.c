/* writeback.c: a Chatwoot conversation's changes written back through
 * Chatwoot's REST API, to it and no other account's: its status or its
 * labels as they are when sent, an end note as a private message, never
 * posted twice; Chatwoot's answers read. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libchat.h"
#include "net.h"

/* What a delivery of the status or the labels sends, read when it is
 * sent: the conversation's ref, and the status Chatwoot is to have or
 * its tags as a JSON array of their names (Chatwoot's call replaces the
 * whole list). */
static const char status_sql[] = "SELECT ref, CASE state WHEN 'closed'"
    " THEN 'resolved' WHEN 'parked' THEN 'snoozed' ELSE 'open' END"
    " FROM conversations WHERE id = ?1";
#define LABELS_SQL(tags) "SELECT c.ref, " tags " FROM conversations c" \
	" WHERE c.id = ?1"
static const char labels_sql[] = LABELS_SQL(LITE_TAG_ARRAY);
static const char pg_labels_sql[] = LABELS_SQL(PG_TAG_ARRAY);

/* The pages of older messages a retried note's lookup reads, at most:
 * Chatwoot gives 20 a page, and more than this many made since a note
 * was queued is no conversation a retry comes back to. */
#define MAX_PAGES 50

/* One conversation's requests: its URL (the caller's, to sqlite3_free()),
 * what its answers are read by. */
struct conv {
	char *url;
	char ref[128];
	struct wb_req q;
};

/* The conversation's URL from its ref, chatwoot:INBOX:ID: the account is
 * the config's (the ref names none). A ref that is not one is refused
 * for good in r. */
static int
conv_url(const char *ref, struct conv *cv, struct sent *r)
{
	static const char prefix[] = "chatwoot:";
	const struct config *cfg;
	char *end;
	size_t n;
	int rc, ok = 0;

	memset(cv, 0, sizeof *cv);
	snprintf(cv->ref, sizeof cv->ref, "%s", ref);
	cv->q.ref = cv->ref;
	if ((rc = config_get(&cfg)) != 0)
		return rc;
	cv->q.account = cfg->cw_account;
	if (strncmp(ref, prefix, sizeof prefix - 1) == 0 &&
	    isdigit((unsigned char)ref[sizeof prefix - 1])) {
		cv->q.inbox = strtol(ref + sizeof prefix - 1, &end, 10);
		if (*end == ':' && isdigit((unsigned char)end[1])) {
			cv->q.display = strtol(end + 1, &end, 10);
			ok = *end == '\0' && cv->q.display > 0;
		}
	}
	if (!ok) {
		r->status = ST_REMOTE;
		snprintf(r->error, sizeof r->error, "%s: not the ref of a "
		    "Chatwoot conversation (chatwoot:INBOX:ID)", ref);
		return 0;
	}
	n = strlen(cfg->cw_url);
	while (n > 0 && cfg->cw_url[n - 1] == '/')
		n--;
	cv->url = sqlite3_mprintf("%.*s/api/v1/accounts/%ld/conversations/%ld",
	    (int)n, cfg->cw_url, cfg->cw_account, cv->q.display);
	return cv->url == NULL ? chat_err(ST_DB, "out of memory") : 0;
}

/* One request to the conversation's path (NULL post: a GET), its answer
 * read as op's by writeback_read(). The token goes to curl only, in the
 * header Chatwoot reads. */
static int
ask(struct conv *cv, const char *path, const char *post, enum wb_op op,
    struct sent *r)
{
	const struct config *cfg;
	struct curl_slist *headers = NULL;
	sqlite3_str *body;
	char *token, *line, *url, why[512], *answer;
	long code;
	CURL *c;
	int rc;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	if ((rc = target_secret("chatwoot", cfg->cw_token_env,
	    cfg->cw_token_file, &token, why, sizeof why)) != 0)
		return rc == ST_CONFIG ? chat_err(rc, "%s", why) : rc;
	if ((c = net_open("chatwoot", cfg->cw_insecure, cfg->cw_ca_file))
	    == NULL) {
		memset(token, 0, strlen(token));
		free(token);
		return ST_TEMP;
	}
	line = sqlite3_mprintf("api_access_token: %s", token);
	memset(token, 0, strlen(token));
	free(token);
	url = sqlite3_mprintf("%s%s", cv->url, path);
	if (line == NULL || url == NULL) {
		if (line != NULL)
			memset(line, 0, strlen(line));
		sqlite3_free(line);
		sqlite3_free(url);
		net_close(c);
		return chat_err(ST_DB, "out of memory");
	}
	headers = curl_slist_append(headers, line);
	memset(line, 0, strlen(line));
	sqlite3_free(line);
	body = sqlite3_str_new(NULL);
	net_request(c, "chatwoot", url, post, &headers, body, &code, r);
	curl_slist_free_all(headers);
	sqlite3_free(url);
	net_close(c);
	answer = sqlite3_str_finish(body);
	if (r->status == 0)
		rc = writeback_read(op, code, answer ? answer : "", &cv->q, r);
	sqlite3_free(answer);
	return rc;
}

/* What Chatwoot's answers are read by (?1 the body): the conversation's
 * inbox, the status it took, the id of the message made. An id is a
 * whole number that SQLite keeps as one (JSON's may be longer). */
#define ID(path) "CASE WHEN typeof(json_extract(?1, '" path "')) =" \
	" 'integer' AND json_extract(?1, '" path "') >= 0 THEN" \
	" json_extract(?1, '" path "') END"
static const char *const keeps[] = {
	[WB_CONV] = "SELECT CASE WHEN json_valid(?1) THEN"
	    " " ID("$.inbox_id") " END",
	[WB_STATUS] = "SELECT CASE WHEN json_valid(?1) THEN CASE WHEN"
	    " json_extract(?1, '$.payload.current_status') IN ('open',"
	    " 'resolved', 'pending', 'snoozed') THEN"
	    " json_extract(?1, '$.payload.current_status') END END",
	[WB_POST] = "SELECT CASE WHEN json_valid(?1) THEN"
	    " " ID("$.id") " END",
};

/* A page of messages (?1): the newest private one with the note's text
 * (?2) made since ?3, the oldest id, and how many were made before ?3.
 * A message without a time may be the note. */
static const char find_sql[] = "WITH m(v) AS (SELECT CASE WHEN type ="
	" 'object' THEN value END FROM json_each(CASE WHEN json_valid(?1) THEN"
	" CASE json_type(?1, '$.payload') WHEN 'array' THEN ?1 END END,"
	" '$.payload')), k(id, at, v) AS (SELECT * FROM (SELECT"
	" json_extract(v, '$.id') AS id, CASE WHEN json_type(v, '$.created_at')"
	" IN ('integer', 'real') THEN json_extract(v, '$.created_at') END, v"
	" FROM m) WHERE typeof(id) = 'integer' AND id >= 0)"
	" SELECT (SELECT id FROM k WHERE json_type(v, '$.private') = 'true'"
	"  AND json_type(v, '$.content') = 'text'"
	"  AND json_extract(v, '$.content') = ?2 AND coalesce(at, ?3) >= ?3"
	"  ORDER BY id DESC LIMIT 1),"
	" (SELECT min(id) FROM k), (SELECT count(*) FROM k WHERE at < ?3)";

/* A page read: the note's id if it is there, else where the next page
 * ends, none when this one was empty, went back past q->since or did
 * not go back at all (a server that ignores before=). */
static int
find(const char *answer, struct wb_req *q, struct sent *r)
{
	struct stmt *st = db_prep_local(find_sql);
	int64_t before = q->before;
	int rc;

	if (st == NULL)
		return ST_DB;
	q->before = 0;
	st_bind_text(st, 1, answer);
	st_bind_text(st, 2, q->note);
	st_bind_int(st, 3, q->since);
	if (db_row(st, "reading Chatwoot's answer", &rc)) {
		if (st_type(st, 0) != DB_NULL)
			snprintf(r->remote_ref, sizeof r->remote_ref, "%s",
			    st_text(st, 0));
		else if (st_type(st, 1) != DB_NULL && st_int(st, 2) == 0 &&
		    (before == 0 || st_int64(st, 1) < before))
			q->before = st_int64(st, 1);
	}
	st_reset(st);
	return rc;
}

int
writeback_read(enum wb_op op, long code, const char *answer,
    struct wb_req *q, struct sent *r)
{
	struct stmt *st = NULL;
	size_t n;
	int rc = 0, kept;

	if (code < 200 || code > 299) {
		q->before = 0;
		r->status = net_refusal(code);
		net_reason(answer, code, r->error, sizeof r->error);
		n = strlen(r->error);
		if (code == 404)
			snprintf(r->error + n, sizeof r->error - n, " (%s: no "
			    "conversation %ld in account %ld on Chatwoot: "
			    "deleted there?)", q->ref, q->display, q->account);
		return 0;
	}
	if (op == WB_FIND)
		return find(answer, q, r);
	if (op == WB_LABELS)
		return 0;
	if ((st = db_prep_local(keeps[op])) == NULL)
		return ST_DB;
	st_bind_text(st, 1, answer);
	kept = db_row(st, "reading Chatwoot's answer", &rc) &&
	    st_type(st, 0) != DB_NULL;
	if (kept && op != WB_CONV)
		snprintf(r->remote_ref, sizeof r->remote_ref, "%s",
		    st_text(st, 0));
	if (rc == 0 && op == WB_CONV && kept && st_int64(st, 0) != q->inbox) {
		r->status = ST_REMOTE;
		snprintf(r->error, sizeof r->error, "%s: conversation %ld of "
		    "account %ld on Chatwoot is in inbox %lld, not %ld: "
		    "another account's, not written to (chatwoot.inboxes)",
		    q->ref, q->display, q->account,
		    (long long)st_int64(st, 0), q->inbox);
	} else if (rc == 0 && !kept && op != WB_STATUS) {
		r->status = ST_TEMP;
		r->ambiguous = op == WB_POST;
		snprintf(r->error, sizeof r->error, "HTTP %ld without %s",
		    code, op == WB_CONV ? "the conversation's inbox_id" :
		    "the message's id");
	}
	st_reset(st);
	return rc;
}

/* Before the first write: the conversation the account's path names is
 * the ref's, in its inbox. Display ids repeat across accounts, and a
 * database fed by two would have this account's token write to its own
 * conversation of another's number. */
static int
verify(struct conv *cv, struct sent *r)
{
	return ask(cv, "", NULL, WB_CONV, r);
}

/* The one request of a delivery of the status or the labels: read gives
 * the ref and the value, make (SQLite's JSON, local) the body from it. */
static int
put(int64_t id, const char *read, const char *make, const char *path,
    enum wb_op op, struct sent *r)
{
	struct stmt *f = db_prep(read), *body = db_prep_local(make);
	struct conv cv = { NULL, "", { NULL, 0, 0, 0, NULL, 0, 0 } };
	char *post = NULL;
	int rc, found;

	if (f == NULL || body == NULL)
		return ST_DB;
	st_bind_int(f, 1, id);
	if ((found = db_row(f, "reading the conversation", &rc)) &&
	    (rc = conv_url(st_text(f, 0), &cv, r)) == 0 && r->status == 0) {
		st_bind_text(body, 1, st_text(f, 1));
		if (db_row(body, "making a request", &rc) &&
		    (post = sqlite3_mprintf("%s", st_text(body, 0))) == NULL)
			rc = chat_err(ST_DB, "out of memory");
		st_reset(body);
	}
	st_reset(f);
	if (rc == 0 && found && r->status == 0)
		rc = verify(&cv, r);
	if (rc == 0 && found && r->status == 0)
		rc = ask(&cv, path, post, op, r);
	sqlite3_free(post);
	sqlite3_free(cv.url);
	return found || rc ? rc : ST_SOME;
}

/* A retry's look for the note an earlier try posted without hearing the
 * answer: a private message with its text made since the delivery was
 * queued, its id the remote ref. Pages back (before=) from the newest
 * until a message older than that, or none: later messages may have
 * pushed it off the first page. */
static int
lookup(struct conv *cv, struct sent *r)
{
	char *path;
	int rc = 0, pages = 0;

	cv->q.before = 0;
	do {
		path = cv->q.before == 0 ? sqlite3_mprintf("/messages") :
		    sqlite3_mprintf("/messages?before=%lld",
		    (long long)cv->q.before);
		rc = ask(cv, path, NULL, WB_FIND, r);
		sqlite3_free(path);
	} while (rc == 0 && r->status == 0 && r->remote_ref[0] == '\0' &&
	    cv->q.before != 0 && ++pages < MAX_PAGES);
	if (rc == 0 && r->status == 0 && r->remote_ref[0] == '\0' &&
	    cv->q.before != 0) {
		r->status = ST_REMOTE;
		snprintf(r->error, sizeof r->error, "%s: not among the %d "
		    "latest messages, all made since the note was queued: not "
		    "posted again (look on Chatwoot, then chat-export --cancel)",
		    cv->q.ref, MAX_PAGES * 20);
	}
	return rc;
}

/* An end note as a private message; a retry first looks for it
 * (lookup()), and nothing is posted again when it is there. */
static int
note(int64_t id, int64_t note_id, int retry, time_t since, struct sent *r)
{
	struct stmt *f = db_prep("SELECT c.ref, n.body FROM notes n JOIN"
	    " conversations c ON c.id = n.conversation WHERE n.id = ?1 AND"
	    " n.conversation = ?2");
	struct stmt *make = db_prep_local("SELECT json_object('content', ?1,"
	    " 'message_type', 'outgoing', 'private', json('true'))");
	struct conv cv = { NULL, "", { NULL, 0, 0, 0, NULL, 0, 0 } };
	char *body = NULL, *post = NULL;
	int rc, found;

	if (f == NULL || make == NULL)
		return ST_DB;
	st_bind_int(f, 1, note_id);
	st_bind_int(f, 2, id);
	if ((found = db_row(f, "reading the note", &rc)) &&
	    (rc = conv_url(st_text(f, 0), &cv, r)) == 0 && r->status == 0) {
		body = sqlite3_mprintf("%s", st_text(f, 1));
		st_bind_text(make, 1, body);
		if (db_row(make, "making a request", &rc))
			post = sqlite3_mprintf("%s", st_text(make, 0));
		st_reset(make);
	}
	st_reset(f);
	if (rc == 0 && found && r->status == 0)
		rc = verify(&cv, r);
	if (rc == 0 && found && r->status == 0 && retry) {
		cv.q.note = body;
		cv.q.since = since - CLOCK_SKEW;
		rc = lookup(&cv, r);
	}
	if (rc == 0 && found && r->status == 0 && r->remote_ref[0] == '\0')
		rc = ask(&cv, "/messages", post, WB_POST, r);
	sqlite3_free(post);
	sqlite3_free(body);
	sqlite3_free(cv.url);
	return found || rc ? rc : ST_SOME;
}

int
writeback_send(int64_t id, const char *target, int retry, time_t since,
    struct sent *r)
{
	static const char note_target[] = "chatwoot:note:";

	memset(r, 0, sizeof *r);
	if (strncmp(target, note_target, sizeof note_target - 1) == 0)
		return note(id, strtoll(target + sizeof note_target - 1, NULL,
		    10), retry, since, r);
	if (strcmp(target, "chatwoot:labels") == 0)
		return put(id, DB_SQL(labels_sql, pg_labels_sql),
		    "SELECT json_object('labels', json(?1))", "/labels",
		    WB_LABELS, r);
	return put(id, status_sql, "SELECT json_object('status', ?1)",
	    "/toggle_status", WB_STATUS, r);
}
