/* conv.c: a conversation's state: close (with its time and who closed it),
 * park, reopen, with tags, note and ratings in the same transaction. Every
 * refusal is decided before the first write, so a refused id leaves no
 * trace and needs no savepoint. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

/* Which of close.require the conversation would still lack once this
 * command's own tags, note and ratings are in; NULL when none. */
static const char *
lacking(const struct close_req *r, int64_t id, int *status)
{
	const struct config *cfg;
	sqlite3_stmt *st = db_prep("SELECT"
	    " EXISTS (SELECT 1 FROM conversation_tags WHERE conversation = ?1),"
	    " EXISTS (SELECT 1 FROM notes WHERE conversation = ?1),"
	    " EXISTS (SELECT 1 FROM ratings WHERE conversation = ?1)");
	const char *why = NULL;

	if ((*status = config_get(&cfg)) != 0)
		return NULL;
	if (!(cfg->require_tag && r->tags.n == 0) &&
	    !(cfg->require_note && r->note == NULL) &&
	    !(cfg->require_rating && r->nratings == 0))
		return NULL;
	if (st == NULL) {
		*status = ST_DB;
		return NULL;
	}
	sqlite3_bind_int64(st, 1, id);
	if (db_step(st, "checking close.require") != SQLITE_ROW)
		*status = ST_DB;
	else if (cfg->require_tag && r->tags.n == 0 &&
	    !sqlite3_column_int(st, 0))
		why = "a tag (-t)";
	else if (cfg->require_note && r->note == NULL &&
	    !sqlite3_column_int(st, 1))
		why = "a note (-m or -F)";
	else if (cfg->require_rating && r->nratings == 0 &&
	    !sqlite3_column_int(st, 2))
		why = "a rating (-r)";
	sqlite3_reset(st);
	return why;
}

static int
set_state(int64_t id, const char *state, time_t at, const char *by)
{
	sqlite3_stmt *st = db_prep("UPDATE conversations SET state = ?2,"
	    " closed_at = ?3, closed_by = ?4 WHERE id = ?1");
	int rc;

	if (st == NULL)
		return ST_DB;
	sqlite3_bind_int64(st, 1, id);
	db_bind_text(st, 2, state);
	if (by != NULL)
		sqlite3_bind_int64(st, 3, at);
	else
		sqlite3_bind_null(st, 3);
	db_bind_text(st, 4, by);
	rc = db_step(st, "changing the state");
	sqlite3_reset(st);
	return rc == -1 ? ST_DB : 0;
}

/* Whether the command changes the state (*change), or refuses the id
 * (its status, reported). */
static int
decide(const struct close_req *r, int64_t id, const char *state,
    time_t started, time_t at, int *change)
{
	time_t now = time(NULL);
	char t1[32], t2[32];
	const char *why;
	int rc;

	*change = 0;
	switch (r->op) {
	case CLOSE:
		if (strcmp(state, "closed") == 0)
			return 0;	/* it keeps its close time */
		if ((why = lacking(r, id, &rc)) != NULL)
			return chat_err(ST_SOME, "%lld: not closed: close.require "
			    "wants %s", (long long)id, why);
		if (rc != 0)
			return rc;
		if (at < started)
			return chat_err(ST_DATA, "%lld: close time %s is before "
			    "the conversation's start, %s", (long long)id,
			    time_rfc3339(at, t1), time_rfc3339(started, t2));
		if (at > now + 60)
			return chat_err(ST_DATA, "%lld: close time %s is in the "
			    "future", (long long)id, time_rfc3339(at, t1));
		break;
	case PARK:
		if (strcmp(state, "closed") == 0)
			return chat_err(ST_SOME, "%lld: closed; reopen it "
			    "before parking it", (long long)id);
		if (strcmp(state, "parked") == 0)
			return 0;
		break;
	case REOPEN:
		if (strcmp(state, "open") == 0)
			return 0;
		break;
	}
	*change = 1;
	return 0;
}

int
conv_close(const struct close_req *r, int64_t id)
{
	sqlite3_stmt *st = db_prep("SELECT state, started_at, last_activity_at"
	    " FROM conversations WHERE id = ?");
	char state[16], detail[96], when[32];
	time_t started, at;
	int rc, change;

	if (st == NULL)
		return ST_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step(st, "reading a conversation");
	if (rc == SQLITE_ROW) {
		snprintf(state, sizeof state, "%s", sqlite3_column_text(st, 0));
		started = sqlite3_column_int64(st, 1);
		at = r->at_last ? sqlite3_column_int64(st, 2) : r->has_at ?
		    r->at : time(NULL);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == -1 ? ST_DB : chat_err(ST_SOME,
		    "%lld: no such conversation", (long long)id);
	if ((rc = decide(r, id, state, started, at, &change)) != 0)
		return rc;

	if (r->tags.n > 0 && (rc = tags_apply(id, &r->tags, TAG_ADD)) != 0)
		return rc;
	if (r->note != NULL && (rc = note_add(id, r->note)) != 0)
		return rc;
	if (r->nratings > 0 && (rc = ratings_apply(id, r->ratings,
	    r->nratings)) != 0)
		return rc;
	if (!change)
		return 0;
	switch (r->op) {
	case CLOSE:
		if ((rc = set_state(id, "closed", at, r->by)) != 0)
			return rc;
		snprintf(detail, sizeof detail, "by %s at %s", r->by,
		    time_rfc3339(at, when));
		return event_add(id, time(NULL), "closed", detail);
	case PARK:
		if ((rc = set_state(id, "parked", 0, NULL)) != 0)
			return rc;
		return event_add(id, time(NULL), "parked", NULL);
	case REOPEN:
		if ((rc = set_state(id, "open", 0, NULL)) != 0)
			return rc;
		return event_add(id, time(NULL), "reopened", state);
	}
	return 0;
}
