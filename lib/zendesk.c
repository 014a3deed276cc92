/* zendesk.c: a conversation saved as a Zendesk ticket: the request made
 * with SQLite's JSON functions, the answers read with them (in memory when
 * the database is PostgreSQL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libchat.h"
#include "net.h"

/* The conversation's fields the ticket takes, its tags as a JSON array. */
#define TICKET_FIELDS(tags) "SELECT coalesce(c.ref, 'chat-' || c.id)," \
	" c.visitor, c.visitor_email, c.channel, " tags \
	" FROM conversations c WHERE c.id = ?1"
static const char ticket_fields[] = TICKET_FIELDS(LITE_TAG_ARRAY);
static const char pg_ticket_fields[] = TICKET_FIELDS(PG_TAG_ARRAY);

/* The ticket of those fields (?1 to ?5): the transcript and notes go as a
 * private comment (?6); the requester only when the visitor's email is
 * known. */
static const char ticket_sql[] =
	"SELECT json_object('ticket', json_patch(json_object("
	"  'subject', 'Conversation ' || ?1 || ' with '"
	"    || coalesce(?2, 'a visitor') || ' (' || ?4 || ')',"
	"  'comment', json_object('body', ?6, 'public', json('false')),"
	"  'tags', json(?5), 'external_id', ?1, 'status', ?7),"
	"  CASE WHEN ?3 IS NULL THEN '{}' ELSE"
	"  json_object('requester', json_object('name', coalesce(?2, ?3),"
	"    'email', ?3)) END))";

/* The ticket's JSON, appended to out. */
static int
zendesk_body(int64_t id, sqlite3_str *out)
{
	const struct config *cfg;
	struct stmt *f = db_prep(DB_SQL(ticket_fields, pg_ticket_fields));
	struct stmt *st = db_prep_local(ticket_sql);
	sqlite3_str *text = sqlite3_str_new(NULL);
	char *comment;
	int rc, found, i;

	if ((rc = config_get(&cfg)) != 0 || f == NULL || st == NULL) {
		sqlite3_free(sqlite3_str_finish(text));
		return rc ? rc : ST_DB;
	}
	rc = conv_text(id, 0, text);
	comment = sqlite3_str_finish(text);
	if (rc != 0) {
		sqlite3_free(comment);
		return rc;
	}
	st_bind_int(f, 1, id);
	if ((found = db_row(f, "making the ticket", &rc))) {
		for (i = 0; i < 5; i++)
			st_bind_column(st, i + 1, f, i);
		st_bind_text(st, 6, comment);
		st_bind_text(st, 7, cfg->zd_status);
		if (db_row(st, "making the ticket", &rc))
			sqlite3_str_appendall(out, st_text(st, 0));
		st_reset(st);
	}
	st_reset(f);
	sqlite3_free(comment);
	return found || rc ? rc : ST_SOME;
}

/* The authentication of the config (target_check() passed): basic with
 * an API token, else an OAuth bearer token; the secret never leaves this
 * function but to curl. */
static int
authenticate(CURL *c, struct curl_slist **headers)
{
	const struct config *cfg;
	char *token = NULL, *line, why[512];
	int rc;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	if (cfg->zd_token_env != NULL || cfg->zd_token_file != NULL) {
		if ((rc = target_secret("zendesk", cfg->zd_token_env,
		    cfg->zd_token_file, &token, why, sizeof why)) != 0)
			return rc == ST_CONFIG ? chat_err(rc, "%s", why) : rc;
		line = sqlite3_mprintf("%s/token", cfg->zd_email);
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, line);
		curl_easy_setopt(c, CURLOPT_PASSWORD, token);
		sqlite3_free(line);
	} else {
		if ((rc = target_secret("zendesk", cfg->zd_oauth_token_env,
		    cfg->zd_oauth_token_file, &token, why, sizeof why)) != 0)
			return rc == ST_CONFIG ? chat_err(rc, "%s", why) : rc;
		line = sqlite3_mprintf("Authorization: Bearer %s", token);
		*headers = curl_slist_append(*headers, line);
		memset(line, 0, strlen(line));
		sqlite3_free(line);
	}
	memset(token, 0, strlen(token));
	free(token);
	return 0;
}

/* One request; the answer's body in *body, its code in *code. */
static int
request(const char *path, const char *post, const char *key,
    sqlite3_str *body, long *code, struct sent *r)
{
	const struct config *cfg;
	struct curl_slist *headers = NULL;
	char *url, *line, why[512];
	CURL *c;
	int rc, absent;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	if ((rc = target_check("zendesk", why, sizeof why, &absent)) != 0)
		return rc == ST_CONFIG ? chat_err(rc, "%s", why) : rc;
	if ((c = net_open("zendesk", cfg->zd_insecure, cfg->zd_ca_file))
	    == NULL)
		return ST_TEMP;
	if ((rc = authenticate(c, &headers)) != 0) {
		net_close(c);
		return rc;
	}
	url = sqlite3_mprintf("%s%s", cfg->zd_url, path);
	if (post != NULL) {
		line = sqlite3_mprintf("Idempotency-Key: %s", key);
		headers = curl_slist_append(headers, line);
		sqlite3_free(line);
	}
	net_request(c, "zendesk", url, post, &headers, body, code, r);
	curl_slist_free_all(headers);
	sqlite3_free(url);
	net_close(c);
	return 0;
}

/* The ticket made by an earlier try of this delivery, if any: one with our
 * external_id created since the delivery was queued. */
static int
lookup(int64_t id, time_t since, struct sent *r)
{
	struct stmt *ext = db_prep("SELECT coalesce(ref, 'chat-' || id)"
	    " FROM conversations WHERE id = ?");
	struct stmt *pick = db_prep_local("SELECT json_extract(value, '$.id')"
	    " FROM json_each(?1, '$.tickets') WHERE"
	    " unixepoch(json_extract(value, '$.created_at')) >= ?2"
	    " ORDER BY json_extract(value, '$.id') LIMIT 1");
	sqlite3_str *body = sqlite3_str_new(NULL);
	char *path, *answer, *escaped;
	long code = 0;
	int rc;

	if (ext == NULL || pick == NULL) {
		sqlite3_free(sqlite3_str_finish(body));
		return ST_DB;
	}
	st_bind_int(ext, 1, id);
	escaped = db_row(ext, "finding the external id", &rc) ?
	    curl_easy_escape(NULL,
	    st_text(ext, 0), 0) : NULL;
	st_reset(ext);
	path = sqlite3_mprintf("/api/v2/tickets?external_id=%s", escaped);
	curl_free(escaped);
	rc = request(path, NULL, NULL, body, &code, r);
	sqlite3_free(path);
	answer = sqlite3_str_finish(body);
	if (rc == 0 && r->status == 0 && code == 200) {
		st_bind_text(pick, 1, answer ? answer : "{}");
		st_bind_int(pick, 2, since - 300);
		if (st_step(pick) == 1)
			snprintf(r->remote_ref, sizeof r->remote_ref, "%s",
			    st_text(pick, 0));
		st_reset(pick);
	} else if (rc == 0 && r->status == 0) {
		r->status = net_refusal(code);
		net_reason(answer ? answer : "", code, r->error,
		    sizeof r->error);
	}
	sqlite3_free(answer);
	return rc;
}

/* What the answer to a ticket's creation says: the ticket's id, else why
 * not and whether to try again. An id is a number or a short string; an
 * answer without one leaves the ticket's making in doubt. */
int
zendesk_read(long code, const char *answer, struct sent *r)
{
	struct stmt *ticket = db_prep_local("SELECT json_extract(?1,"
	    " '$.ticket.id')"
	    " WHERE json_type(?1, '$.ticket.id') = 'integer' OR"
	    " (json_type(?1, '$.ticket.id') = 'text' AND"
	    "  length(json_extract(?1, '$.ticket.id')) BETWEEN 1 AND 64)");

	if (ticket == NULL)
		return ST_DB;
	if (code == 200 || code == 201) {
		st_bind_text(ticket, 1, answer);
		if (st_step(ticket) == 1)
			snprintf(r->remote_ref, sizeof r->remote_ref, "%s",
			    st_text(ticket, 0));
		else {
			r->status = ST_TEMP;
			r->ambiguous = 1;
			snprintf(r->error, sizeof r->error, "HTTP %ld without a "
			    "ticket id", code);
		}
		st_reset(ticket);
	} else {
		r->status = net_refusal(code);
		net_reason(answer, code, r->error, sizeof r->error);
	}
	return 0;
}

int
zendesk_send(int64_t id, const char *key, int retry, time_t since,
    struct sent *r)
{
	sqlite3_str *post = sqlite3_str_new(NULL), *body;
	char *json, *answer;
	long code = 0;
	int rc;

	memset(r, 0, sizeof *r);
	rc = zendesk_body(id, post);
	json = sqlite3_str_finish(post);
	if (rc != 0) {
		sqlite3_free(json);
		return rc;
	}
	/* A retry first looks for what an earlier try may have made. */
	if (retry && ((rc = lookup(id, since, r)) != 0 || r->status != 0 ||
	    r->remote_ref[0] != '\0')) {
		sqlite3_free(json);
		return rc;
	}
	body = sqlite3_str_new(NULL);
	rc = request("/api/v2/tickets", json, key, body, &code, r);
	answer = sqlite3_str_finish(body);
	if (rc == 0 && r->status == 0)
		rc = zendesk_read(code, answer ? answer : "", r);
	sqlite3_free(answer);
	sqlite3_free(json);
	return rc;
}
