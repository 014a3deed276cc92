/* conv.c: a conversation's state: close (with its time and who closed it),
 * park, reopen, with tags, note, ratings and deliveries (the write-back to
 * Chatwoot's too) in the same transaction. Every refusal is decided before
 * the first write, so a refused id leaves no trace. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

/* The close time of conversation c, by ?1: AT_GIVEN, ?2; AT_LAST, its last
 * activity; AT_NOW, ?2 (now) or, when a platform's clock ahead of ours put
 * its last activity later, that (refuse_time() bounds how much later). */
enum { AT_GIVEN, AT_LAST, AT_NOW };
#define CLOSE_AT "CASE ?1 WHEN 1 THEN c.last_activity_at WHEN 2 THEN CASE" \
	" WHEN ?2 > c.last_activity_at THEN ?2 ELSE c.last_activity_at END" \
	" ELSE ?2 END"

/* Refuses the ids close.require would still find lacking once this
 * command's own tags, note and ratings are in, each with all it lacks in
 * one message. The rule is the operators': a close by the system (an
 * auto-close from cron) or by the visitor is not held back by it. */
static int
refuse_lacking(const struct close_req *r)
{
	const struct config *cfg;
	int64_t tag, note, rating;
	int rc;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	if (strcmp(r->by, "operator") != 0)
		return 0;
	tag = cfg->require_tag && r->tags.n == 0;
	note = cfg->require_note && r->note == NULL;
	rating = cfg->require_rating && r->ratings.n == 0;
	if (!tag && !note && !rating)
		return 0;
	/* "a tag (-t), a note (-m or -F) and a rating (-r)", or any two of
	 * them joined by "and", or one. */
	return idtab_refuse(ST_SOME, "SELECT id, id || ': not closed:"
	    " close.require wants ' || CASE WHEN t THEN 'a tag (-t)' || CASE"
	    " WHEN n AND r THEN ', ' WHEN n OR r THEN ' and ' ELSE '' END ELSE"
	    " '' END || CASE WHEN n THEN 'a note (-m or -F)' || CASE WHEN r"
	    " THEN ' and ' ELSE '' END ELSE '' END || CASE WHEN r THEN"
	    " 'a rating (-r)' ELSE '' END FROM (SELECT b.id, ?1 <> 0 AND NOT"
	    " EXISTS (SELECT 1 FROM conversation_tags WHERE conversation ="
	    " c.id) AS t, ?2 <> 0 AND NOT EXISTS (SELECT 1 FROM notes WHERE"
	    " conversation = c.id) AS n, ?3 <> 0 AND NOT EXISTS (SELECT 1 FROM"
	    " ratings WHERE conversation = c.id) AS r FROM batch_ok b CROSS"
	    " JOIN conversations c WHERE c.id = b.id AND c.state <> 'closed')"
	    " AS x WHERE t OR n OR r",
	    "checking close.require", "iii", tag, note, rating);
}

/* The conversations of the batch a close moves, with its time (at) and
 * their start. */
#define CLOSING "SELECT b.id, b.seq, c.started_at AS started, " CLOSE_AT \
	" AS at FROM batch_ok b CROSS JOIN conversations c WHERE c.id = b.id" \
	" AND c.state <> 'closed'"
/* A close time refused: before the conversation's start, or in the future
 * by more than a platform's clock may be ahead. */
#define LATE "(at < started OR at > ?3 + " XSTR(CLOCK_SKEW) ")"
#define WHY_LATE(TIME) "id || ': close time ' || " TIME("at") " || CASE" \
	" WHEN at < started THEN ' is before the conversation''s start, ' || " \
	TIME("started") " ELSE ' is in the future' END"
#define REFUSE_TIME(TIME) "SELECT id, " WHY_LATE(TIME) " FROM (" CLOSING \
	") AS x WHERE " LATE

static int
refuse_time(int64_t mode, int64_t at, int64_t now)
{
	return idtab_refuse(ST_DATA, DB_SQL(REFUSE_TIME(LITE_TIME),
	    REFUSE_TIME(PG_TIME)), "checking the close time", "iii", mode,
	    at, now);
}

/* On PostgreSQL, a close that writes nothing before its events refuses
 * its times in the statement that writes them: one join of the batch to
 * conversations the less, a seventh of a piped close (SQLite has no
 * writing WITH, and its join costs little). The events' detail is
 * STATE_EVENTS's for a close. */
#define CLOSE_REFUSING "WITH x AS MATERIALIZED (" CLOSING "), e AS (INSERT" \
	" INTO events (conversation, at, actor, action, detail) SELECT id, ?3," \
	" ?4, 'closed', 'by ' || ?5 || ' at ' || " PG_TIME("at") " FROM x" \
	" WHERE NOT " LATE " ORDER BY seq) SELECT id, " WHY_LATE(PG_TIME) \
	" FROM x WHERE " LATE

/* A closed conversation is reopened before it is parked, not parked. */
static int
refuse_closed(void)
{
	return idtab_refuse(ST_SOME, "SELECT b.id, b.id || ': closed; reopen"
	    " it before parking it' FROM batch_ok b CROSS JOIN conversations c"
	    " WHERE c.id = b.id AND c.state = 'closed'", "checking the state",
	    "");
}

#define STATE_EVENTS(TIME) "INSERT INTO events (conversation, at, actor," \
	" action, detail) SELECT c.id, ?5, ?6, ?4, CASE ?4 WHEN 'closed'" \
	" THEN 'by ' || ?7 || ' at ' || " TIME(CLOSE_AT) " WHEN 'reopened'" \
	" THEN c.state END FROM batch_ok o CROSS JOIN conversations c WHERE" \
	" c.id = o.id AND c.state <> ?3 ORDER BY o.seq"

/* Moves the batch's conversations not in it yet to the state, each with
 * its event: "closed" (by whom, when), "parked", "reopened" (from what);
 * with refusing, a close refuses its times as it goes (CLOSE_REFUSING).
 * The detail is built with ||: format() made a batch close 4 % slower. */
static int
set_state(const struct close_req *r, int64_t mode, int64_t at, int64_t now,
    int refusing)
{
	static const char *const state[] = { "closed", "parked", "open" };
	static const char *const action[] = { "closed", "parked", "reopened" };
	const char *by = r->op == CLOSE ? r->by : NULL;
	int rc;

	if (refusing)
		rc = idtab_refuse(ST_DATA, CLOSE_REFUSING, "checking the close"
		    " time", "iiitt", mode, at, now, actor(), by);
	else
		rc = db_run(DB_SQL(STATE_EVENTS(LITE_TIME),
		    STATE_EVENTS(PG_TIME)), "changing the state", "iittitt",
		    mode, at, state[r->op], action[r->op], now, actor(), by);
	if (rc != 0)
		return rc;
	return db_run("UPDATE conversations AS c SET state = ?3, closed_at ="
	    " CASE WHEN CAST(?4 AS TEXT) IS NOT NULL THEN " CLOSE_AT " END,"
	    " closed_by = ?4 WHERE id IN (SELECT id FROM batch_ok) AND"
	    " state <> ?3", "changing the state", "iitt", mode, at,
	    state[r->op], by);
}

/* 0 when the conversation exists; else reported: 1 when it does not, 74
 * when the database failed. */
int
conv_check(int64_t id)
{
	struct stmt *st = db_prep("SELECT 1 FROM conversations WHERE id = ?");
	int rc, found;

	if (st == NULL)
		return ST_DB;
	st_bind_int(st, 1, id);
	found = db_row(st, "looking up a conversation", &rc);
	st_reset(st);
	if (found || rc != 0)
		return rc;
	return chat_err(ST_SOME, "%lld: no such conversation", (long long)id);
}

int
conv_close(const void *req)
{
	const struct close_req *r = req;
	struct tag_req tags = { .tags = r->tags, .op = TAG_ADD };
	struct note_req note = { .text = r->note };
	int64_t now = db_now();
	int64_t mode = r->at_last ? AT_LAST : r->has_at ? AT_GIVEN : AT_NOW;
	int64_t at = r->has_at && !r->at_last ? (int64_t)r->at : now;
	int refusing = db_engine_pg() && r->op == CLOSE && r->tags.n == 0 &&
	    r->note == NULL && r->ratings.n == 0;
	struct wb_mark m;
	int rc;

	if ((rc = outbox_mark(&m)) != 0)
		return rc;
	if (r->op == CLOSE && (rc = refuse_lacking(r)) == 0 && !refusing)
		rc = refuse_time(mode, at, now);
	else if (r->op == PARK)
		rc = refuse_closed();
	if (rc == 0 && r->tags.n > 0)
		rc = tags_change(&tags);
	if (rc == 0 && r->note != NULL)
		rc = notes_add(&note);
	if (rc == 0 && r->ratings.n > 0)
		rc = ratings_apply(&r->ratings);
	if (rc == 0)
		rc = set_state(r, mode, at, now, refusing);
	if (rc == 0)
		rc = outbox_apply(&r->deliver);
	if (rc == 0)
		rc = outbox_writeback(&m);
	return rc;
}
