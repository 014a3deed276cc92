/* writeback.c: a Chatwoot conversation's changes written back through
 * Chatwoot's REST API: its status and labels as they are when sent, an
 * end note as a private message, never posted twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libchat.h"
#include "net.h"

/* What a delivery sends, read when it is sent: the conversation's ref,
 * the status Chatwoot is to have (NULL: none sent, for a conversation
 * never closed or parked, so that a tag leaves Chatwoot's own open,
 * pending or snoozed alone), its tags as a JSON array of their names. */
#define SYNC_FIELDS(tags) "SELECT c.ref, CASE WHEN c.state = 'closed' THEN" \
	" 'resolved' WHEN c.state = 'parked' THEN 'snoozed' WHEN EXISTS" \
	" (SELECT 1 FROM events e WHERE e.conversation = c.id AND e.action" \
	" IN ('closed', 'parked', 'reopened')) THEN 'open' END, " tags \
	" FROM conversations c WHERE c.id = ?1"
static const char sync_fields[] = SYNC_FIELDS(
	"(SELECT json_group_array(name) FROM (SELECT t.name FROM"
	"  conversation_tags ct JOIN tags t ON t.id = ct.tag"
	"  WHERE ct.conversation = c.id ORDER BY ct.tag))");
static const char pg_sync_fields[] = SYNC_FIELDS(
	"coalesce((SELECT json_agg(t.name ORDER BY ct.tag) FROM"
	"  conversation_tags ct JOIN tags t ON t.id = ct.tag"
	"  WHERE ct.conversation = c.id), '[]')");

/* One conversation's requests: its URL (the caller's, to
 * sqlite3_free()), the ref it is named by in errors. */
struct conv {
	char *url;
	char ref[128];
	long display;
};

/* The conversation's URL from its ref, chatwoot:INBOX:ID: the account is
 * the config's (the ref names none). A ref that is not one is refused
 * for good in r. */
static int
conv_url(const char *ref, struct conv *cv, struct sent *r)
{
	const struct config *cfg;
	const char *id = strrchr(ref, ':');
	char *end;
	size_t n;
	int rc;

	cv->url = NULL;
	snprintf(cv->ref, sizeof cv->ref, "%s", ref);
	if ((rc = config_get(&cfg)) != 0)
		return rc;
	cv->display = id != NULL ? strtol(id + 1, &end, 10) : 0;
	if (cv->display <= 0 || *end != '\0') {
		r->status = ST_REMOTE;
		snprintf(r->error, sizeof r->error, "%s: not the ref of a "
		    "Chatwoot conversation (chatwoot:INBOX:ID)", ref);
		return 0;
	}
	n = strlen(cfg->cw_url);
	while (n > 0 && cfg->cw_url[n - 1] == '/')
		n--;
	cv->url = sqlite3_mprintf("%.*s/api/v1/accounts/%ld/conversations/%ld",
	    (int)n, cfg->cw_url, cfg->cw_account, cv->display);
	return cv->url == NULL ? chat_err(ST_DB, "out of memory") : 0;
}

/* One request to the conversation's path (NULL post: a GET); a refusal
 * is r's, in Chatwoot's words, a 404 naming the conversation. The
 * token goes to curl only, in the header Chatwoot reads. */
static int
request(const struct conv *cv, const char *path, const char *post,
    sqlite3_str *body, long *code, struct sent *r)
{
	const struct config *cfg;
	struct curl_slist *headers = NULL;
	char *token, *line, *url, why[512], *answer;
	size_t n;
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
	headers = curl_slist_append(headers, line);
	memset(line, 0, strlen(line));
	sqlite3_free(line);
	url = sqlite3_mprintf("%s%s", cv->url, path);
	net_request(c, "chatwoot", url, post, &headers, body, code, r);
	curl_slist_free_all(headers);
	sqlite3_free(url);
	net_close(c);
	if (r->status == 0 && (*code < 200 || *code > 299)) {
		r->status = net_refusal(*code);
		answer = sqlite3_str_value(body);
		net_reason(answer ? answer : "", *code, r->error,
		    sizeof r->error);
		n = strlen(r->error);
		if (*code == 404)
			snprintf(r->error + n, sizeof r->error - n, " (%s: no "
			    "conversation %ld in account %ld on Chatwoot: "
			    "deleted there?)", cv->ref, cv->display,
			    cfg->cw_account);
	}
	return 0;
}

/* A request whose answer is read by the local statement st: its first
 * column, when the answer gives it, is kept in out (NULL: not read). */
static int
ask(const struct conv *cv, const char *path, const char *post,
    struct stmt *st, char *out, size_t size, struct sent *r)
{
	sqlite3_str *body = sqlite3_str_new(NULL);
	char *answer;
	long code;
	int rc;

	rc = request(cv, path, post, body, &code, r);
	answer = sqlite3_str_finish(body);
	if (rc == 0 && r->status == 0 && st != NULL) {
		st_bind_text(st, 1, answer ? answer : "");
		if (db_row(st, "reading Chatwoot's answer", &rc) &&
		    st_type(st, 0) != DB_NULL)
			snprintf(out, size, "%s", st_text(st, 0));
		st_reset(st);
	}
	sqlite3_free(answer);
	return rc;
}

/* The conversation's status and labels as chat-tools has them now: the
 * labels the whole set (Chatwoot's call replaces the list), the status
 * Chatwoot answered kept as the remote ref. */
static int
sync(int64_t id, struct sent *r)
{
	struct stmt *f = db_prep(DB_SQL(sync_fields, pg_sync_fields));
	struct stmt *status = db_prep_local("SELECT json_object('status', ?1)");
	struct stmt *labels = db_prep_local("SELECT json_object('labels',"
	    " json(?1))");
	struct stmt *current = db_prep_local("SELECT CASE WHEN"
	    " json_valid(?1) THEN json_extract(?1, '$.payload.current_status')"
	    " END");
	struct conv cv = { NULL, "", 0 };
	char *post = NULL, *tags = NULL;
	int rc, found;

	if (f == NULL || status == NULL || labels == NULL || current == NULL)
		return ST_DB;
	st_bind_int(f, 1, id);
	if ((found = db_row(f, "reading the conversation", &rc)) &&
	    (rc = conv_url(st_text(f, 0), &cv, r)) == 0 && r->status == 0) {
		if (st_type(f, 1) != DB_NULL) {
			st_bind_text(status, 1, st_text(f, 1));
			if (db_row(status, "making a request", &rc))
				post = sqlite3_mprintf("%s", st_text(status, 0));
			st_reset(status);
		}
		tags = sqlite3_mprintf("%s", st_text(f, 2));
	}
	st_reset(f);
	if (rc == 0 && found && r->status == 0 && post != NULL)
		rc = ask(&cv, "/toggle_status", post, current, r->remote_ref,
		    sizeof r->remote_ref, r);
	if (rc == 0 && found && r->status == 0 && tags != NULL) {
		st_bind_text(labels, 1, tags);
		sqlite3_free(post);
		post = NULL;
		if (db_row(labels, "making a request", &rc))
			post = sqlite3_mprintf("%s", st_text(labels, 0));
		st_reset(labels);
		if (rc == 0)
			rc = ask(&cv, "/labels", post, NULL, NULL, 0, r);
	}
	sqlite3_free(post);
	sqlite3_free(tags);
	sqlite3_free(cv.url);
	return found || rc ? rc : ST_SOME;
}

/* An end note as a private message. A retry first lists the
 * conversation's messages: a private one with the note's text, made
 * since the delivery was queued, is the one an earlier try posted
 * without hearing the answer (its id the remote ref), and nothing is
 * posted again. */
static int
note(int64_t id, int64_t note_id, int retry, time_t since, struct sent *r)
{
	struct stmt *f = db_prep("SELECT c.ref, n.body FROM notes n JOIN"
	    " conversations c ON c.id = n.conversation WHERE n.id = ?1 AND"
	    " n.conversation = ?2");
	struct stmt *make = db_prep_local("SELECT json_object('content', ?1,"
	    " 'message_type', 'outgoing', 'private', json('true'))");
	struct stmt *made = db_prep_local("SELECT CASE WHEN json_valid(?1)"
	    " AND json_type(?1, '$.id') IN ('integer', 'real') THEN"
	    " json_extract(?1, '$.id') END");
	struct stmt *posted = db_prep_local("SELECT json_extract(value, '$.id')"
	    " FROM json_each(CASE WHEN json_valid(?1) THEN ?1 END, '$.payload')"
	    " WHERE json_type(value, '$.private') = 'true' AND"
	    " json_extract(value, '$.content') = ?2 AND"
	    " coalesce(json_extract(value, '$.created_at'), ?3) >= ?3"
	    " ORDER BY json_extract(value, '$.id') DESC LIMIT 1");
	struct conv cv = { NULL, "", 0 };
	char *body = NULL, *post = NULL;
	int rc, found;

	if (f == NULL || make == NULL || made == NULL || posted == NULL)
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
	if (rc == 0 && found && r->status == 0 && retry) {
		st_bind_text(posted, 2, body);
		st_bind_int(posted, 3, since - CLOCK_SKEW);
		rc = ask(&cv, "/messages", NULL, posted, r->remote_ref,
		    sizeof r->remote_ref, r);
	}
	if (rc == 0 && found && r->status == 0 && r->remote_ref[0] == '\0') {
		rc = ask(&cv, "/messages", post, made, r->remote_ref,
		    sizeof r->remote_ref, r);
		if (rc == 0 && r->status == 0 && r->remote_ref[0] == '\0') {
			r->status = ST_TEMP;
			r->ambiguous = 1;
			snprintf(r->error, sizeof r->error, "an answer without "
			    "the message's id");
		}
	}
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
	return sync(id, r);
}
