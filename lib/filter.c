/* filter.c: the selection options shared by chat-history and chat-stats,
 * turned into a WHERE clause whose values are all bound parameters. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

enum { S_OPEN = 1, S_PARKED = 2, S_CLOSED = 4 };
/* The filter options, the value of each one's entry in filter_options. */
enum {
	F_OPEN, F_PARKED, F_CLOSED, F_CHANNEL, F_SOCIAL, F_OPERATOR,
	F_TAG, F_UNTAGGED, F_UNRATED, F_NO_NOTE, F_SINCE, F_UNTIL,
	F_IDLE, F_VISITOR_LEFT, F_FORGOTTEN, F_GREP, F_EXPLAIN, F_AFTER_CLOSE,
	F_CLOSED_SINCE, F_CLOSED_UNTIL
};

struct filter {
	int states;
	const char **channels; size_t nchannels;
	const char **tags; size_t ntags;
	const char **tags_given; size_t ntags_given;	/* as typed */
	const char *operator;
	struct query *grep;
	const char *grep_text;	/* as given, for filter_describe() */
	int social, untagged, unrated, no_note, visitor_left, forgotten;
	int after_close;
	int explain;
	int given;		/* any filter option */
	int has_since, has_until, has_idle;
	time_t since, until;
	long idle;
	int has_closed_since, has_closed_until;
	time_t closed_since, closed_until;
};

struct filter *
filter_new(void)
{
	struct filter *f = calloc(1, sizeof *f);

	if (f == NULL)
		chat_err(ST_DB, "out of memory");
	return f;
}

void
filter_free(struct filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	free(f->channels);
	for (i = 0; i < f->ntags; i++)
		free((char *)f->tags[i]);
	free(f->tags);
	free(f->tags_given);
	query_free(f->grep);
	free(f);
}

static int
push(const char ***list, size_t *n, const char *s)
{
	const char **l = realloc(*list, (*n + 1) * sizeof *l);

	if (l == NULL)
		return chat_err(ST_DB, "out of memory");
	*list = l;
	l[(*n)++] = s;
	return 0;
}

/* Tags are looked up by their folded key. */
static int
tag_opt(struct filter *f, const char *arg)
{
	char *key;

	if (tag_check(arg) != 0)
		return ST_DATA;
	if ((key = tag_fold(arg)) == NULL)
		return chat_err(ST_DB, "out of memory");
	if (push(&f->tags, &f->ntags, key) != 0) {
		free(key);
		return ST_DB;
	}
	return push(&f->tags_given, &f->ntags_given, arg);
}

/* A query that does not parse is a usage error, like a bad option. */
static int
grep_opt(struct filter *f, const char *arg)
{
	struct query_error qe;

	query_free(f->grep);
	f->grep_text = arg;
	if (query_parse(arg, &f->grep, &qe) == 0)
		return 0;
	if (qe.col == 0)
		return chat_err(ST_DB, "--grep: %s", qe.msg);
	return chat_err(ST_USAGE, "--grep: col %d: %s", qe.col, qe.msg);
}

static int
time_opt(const char *opt, const char *arg, time_t *t, int *has)
{
	if (time_parse(arg, time(NULL), t) != 0)
		return chat_err(ST_DATA, "--%s %s: not a time", opt, arg);
	*has = 1;
	return 0;
}

/* A range that ends before it starts is a mistake, not an empty result. */
static int
range_check(const char *from, time_t t0, int has0, const char *to,
    time_t t1, int has1)
{
	char a[32], b[32];

	if (has0 && has1 && t0 > t1)
		return chat_err(ST_USAGE, "--%s %s is after --%s %s", from,
		    time_local(t0, a), to, time_local(t1, b));
	return 0;
}

static int
filter_opt(const struct opt *o, void *p, const char *arg)
{
	struct filter *f = *(struct filter **)p;
	int rc;

	f->given = 1;
	switch (o->value) {
	case F_OPEN: f->states |= S_OPEN; return 0;
	case F_PARKED: f->states |= S_PARKED; return 0;
	case F_CLOSED: f->states |= S_CLOSED; return 0;
	case F_CHANNEL: return push(&f->channels, &f->nchannels, arg);
	case F_SOCIAL: f->social = 1; return 0;
	case F_OPERATOR: f->operator = arg; return 0;
	case F_TAG: return tag_opt(f, arg);
	case F_UNTAGGED: f->untagged = 1; return 0;
	case F_UNRATED: f->unrated = 1; return 0;
	case F_NO_NOTE: f->no_note = 1; return 0;
	case F_SINCE:
	case F_UNTIL:
		if ((rc = o->value == F_SINCE ? time_opt("since", arg,
		    &f->since, &f->has_since) : time_opt("until", arg, &f->until,
		    &f->has_until)) != 0)
			return rc;
		return range_check("since", f->since, f->has_since, "until",
		    f->until, f->has_until);
	case F_IDLE:
		if (duration_parse(arg, &f->idle) != 0)
			return chat_err(ST_DATA, "--idle %s: not a duration",
			    arg);
		f->has_idle = 1;
		return 0;
	case F_VISITOR_LEFT: f->visitor_left = 1; return 0;
	case F_FORGOTTEN: f->forgotten = 1; return 0;
	case F_GREP: return grep_opt(f, arg);
	case F_EXPLAIN: f->explain = 1; return 0;
	case F_AFTER_CLOSE: f->after_close = 1; return 0;
	case F_CLOSED_SINCE:
	case F_CLOSED_UNTIL:
		if ((rc = o->value == F_CLOSED_SINCE ? time_opt("closed-since",
		    arg, &f->closed_since, &f->has_closed_since) :
		    time_opt("closed-until", arg, &f->closed_until,
		    &f->has_closed_until)) != 0)
			return rc;
		return range_check("closed-since", f->closed_since,
		    f->has_closed_since, "closed-until", f->closed_until,
		    f->has_closed_until);
	}
	return 0;
}

/* The filter options of --help in their order; --open, --parked and
 * --closed share a line. */
#define F(n, a, h, v) \
	{ .type = OPT_CALL, .name = (n), .arg = (a), .help = (h), .value = (v), \
	    .fn = filter_opt }
const struct opt filter_options[] = {
	{ .type = OPT_TEXT, .help = "      --open, --parked, --closed\n"
	    "                        in that state (several: any of them)\n" },
	F("open", NULL, NULL, F_OPEN),
	F("parked", NULL, NULL, F_PARKED),
	F("closed", NULL, NULL, F_CLOSED),
	F("channel", "C", "on channel C (repeated: any of them)", F_CHANNEL),
	F("social", NULL, "on a social channel", F_SOCIAL),
	F("operator", "O", "handled by operator O", F_OPERATOR),
	F("tag", "T", "tagged T (repeated: all of them)", F_TAG),
	F("untagged", NULL, "without a tag", F_UNTAGGED),
	F("unrated", NULL, "without a rating", F_UNRATED),
	F("no-note", NULL, "without a note", F_NO_NOTE),
	F("since", "T", "started at T or later", F_SINCE),
	F("until", "T", "started before T", F_UNTIL),
	F("idle", "DUR", "open or parked, with no activity for DUR", F_IDLE),
	F("visitor-left", NULL, "the visitor left", F_VISITOR_LEFT),
	F("forgotten", NULL,
	    "open, and the visitor left or long idle", F_FORGOTTEN),
	F("after-close", NULL,
	    "closed, the visitor wrote after it", F_AFTER_CLOSE),
	F("closed-since", "T", "closed at T or later", F_CLOSED_SINCE),
	F("closed-until", "T", "closed before T", F_CLOSED_UNTIL),
	F("grep", "QUERY", "matching the search QUERY as a whole", F_GREP),
	F("explain", NULL,
	    "print the selection's query plan instead", F_EXPLAIN),
	OPT_END
};
#undef F

int
filter_given(const struct filter *f)
{
	return f->given;
}

/* One part of a description, after a separator unless the first. */
static void
said(sqlite3_str *out, const char *fmt, ...)
{
	va_list ap;

	if (sqlite3_str_length(out) > 0)
		sqlite3_str_appendall(out, "; ");
	va_start(ap, fmt);
	sqlite3_str_vappendf(out, fmt, ap);
	va_end(ap);
}

static void
said_time(sqlite3_str *out, const char *what, time_t t)
{
	char buf[32];

	said(out, "%s %s", what, time_local(t, buf));
}

char *
filter_describe(const struct filter *f)
{
	static const char *const states[] = { "open", "parked", "closed" };
	sqlite3_str *out = sqlite3_str_new(NULL);
	char buf[32], *text, *s;
	size_t i;
	int k;

	for (k = 0, i = 0; i < 3; i++)
		if (f->states & 1 << i)
			sqlite3_str_appendf(out, "%s%s",
			    k++ ? " or " : "state ", states[i]);
	for (i = 0; i < f->nchannels; i++)
		if (i == 0)
			said(out, "channel %s", f->channels[i]);
		else
			sqlite3_str_appendf(out, " or %s", f->channels[i]);
	if (f->social)
		said(out, "social channels");
	if (f->operator != NULL)
		said(out, "operator %s", f->operator);
	for (i = 0; i < f->ntags_given; i++)
		if (i == 0)
			said(out, "tagged %s", f->tags_given[i]);
		else
			sqlite3_str_appendf(out, " and %s", f->tags_given[i]);
	if (f->untagged)
		said(out, "untagged");
	if (f->unrated)
		said(out, "unrated");
	if (f->no_note)
		said(out, "without a note");
	if (f->has_since)
		said_time(out, "started from", f->since);
	if (f->has_until)
		said_time(out, "started before", f->until);
	if (f->has_idle)
		said(out, "idle for %s", duration_fmt(f->idle, buf));
	if (f->visitor_left)
		said(out, "the visitor left");
	if (f->forgotten)
		said(out, "forgotten");
	if (f->after_close)
		said(out, "written to after the close");
	if (f->has_closed_since)
		said_time(out, "closed from", f->closed_since);
	if (f->has_closed_until)
		said_time(out, "closed before", f->closed_until);
	if (f->grep_text != NULL)
		said(out, "matching %s", f->grep_text);
	if (sqlite3_str_errcode(out) != SQLITE_OK) {
		sqlite3_free(sqlite3_str_finish(out));
		return NULL;
	}
	text = sqlite3_str_finish(out);
	s = strdup(text ? text : "");
	sqlite3_free(text);
	return s;
}

/* Channels and operators compare as SQLite's NOCASE does (ASCII letters),
 * the collation of their indexes (schema step 6); on PostgreSQL, by
 * lower() in the "C" collation, which folds ASCII letters only, the
 * expression its indexes are on. */
#define PG_FOLDED "lower(CAST(?%d AS text) COLLATE \"C\")"

static void
in_list(sqlite3_str *sql, const char *column, size_t n, int *p)
{
	size_t i;

	/* sql: constants; column is one of this file's names */
	sqlite3_str_appendf(sql, DB_SQL(" AND %s COLLATE NOCASE IN (",
	    " AND lower(%s) IN ("), column);
	for (i = 0; i < n; i++)
		/* sql: constants */
		sqlite3_str_appendf(sql, DB_SQL("%s?%d", "%s" PG_FOLDED),
		    i ? ", " : "", (*p)++);
	sqlite3_str_appendall(sql, ")");
}

/* The clause and filter_bind() walk the options in the same order; the
 * parameters are numbered from first, and the next free number returned. */
int
filter_where(const struct filter *f, sqlite3_str *sql, int first)
{
	const struct config *cfg;
	size_t i;
	int p = first;

	if (config_get(&cfg) != 0)
		return -1;
	sqlite3_str_appendall(sql, " WHERE true");
	/* With a range of start times, that range's index serves: unary +
	 * keeps SQLite from taking an index led by the state for an
	 * equality, which would read all the closed (nine in ten) to keep a
	 * week's. (PostgreSQL has statistics, and no unary + on text.) */
	if (f->states) {
		/* sql: constants */
		sqlite3_str_appendf(sql, " AND %sc.state IN ('%s', '%s', '%s')",
		    (f->has_since || f->has_until) && !db_engine_pg() ? "+" :
		    "",
		    f->states & S_OPEN ? "open" : "",
		    f->states & S_PARKED ? "parked" : "",
		    f->states & S_CLOSED ? "closed" : "");
	}
	if (f->nchannels)
		in_list(sql, "c.channel", f->nchannels, &p);
	if (f->social)
		in_list(sql, "c.channel", cfg->nsocial_channels ?
		    cfg->nsocial_channels : 1, &p);
	if (f->operator)
		sqlite3_str_appendf(sql, DB_SQL(" AND c.operator = ?%d"
		    " COLLATE NOCASE", " AND lower(c.operator) = " PG_FOLDED),
		    p++);
	for (i = 0; i < f->ntags; i++)
		sqlite3_str_appendf(sql, " AND c.id IN (SELECT ct.conversation"
		    " FROM conversation_tags ct JOIN tags t ON t.id = ct.tag"
		    " WHERE t.key = ?%d)", p++);
	if (f->untagged)
		sqlite3_str_appendall(sql, " AND NOT EXISTS (SELECT 1 FROM"
		    " conversation_tags WHERE conversation = c.id)");
	if (f->unrated)
		sqlite3_str_appendall(sql, " AND NOT EXISTS (SELECT 1 FROM"
		    " ratings WHERE conversation = c.id)");
	if (f->no_note)
		sqlite3_str_appendall(sql, " AND NOT EXISTS (SELECT 1 FROM"
		    " notes WHERE conversation = c.id)");
	if (f->has_since)
		sqlite3_str_appendf(sql, " AND c.started_at >= ?%d", p++);
	if (f->has_until)
		sqlite3_str_appendf(sql, " AND c.started_at < ?%d", p++);
	if (f->has_idle)
		sqlite3_str_appendf(sql, " AND c.state IN ('open', 'parked')"
		    " AND c.last_activity_at <= ?%d", p++);
	/* unlikely(): without statistics SQLite takes a NOT NULL to keep
	 * most rows, and would rather walk conversations_started in the
	 * listing's order than search the partial index conversations_left
	 * and sort what it finds. PostgreSQL has no unlikely(), and
	 * statistics. */
	if (f->visitor_left)
		/* sql: constants */
		sqlite3_str_appendall(sql, DB_SQL(" AND unlikely("
		    "c.visitor_left_at IS NOT NULL)",
		    " AND c.visitor_left_at IS NOT NULL"));
	if (f->forgotten)
		sqlite3_str_appendf(sql, " AND c.state = 'open' AND"
		    " (c.visitor_left_at IS NOT NULL"
		    " OR c.last_activity_at <= ?%d)", p++);
	/* Closed, and the visitor wrote after the close in force. */
	if (f->after_close)
		sqlite3_str_appendall(sql, " AND c.state = 'closed' AND EXISTS"
		    " (SELECT 1 FROM messages m WHERE m.conversation = c.id AND"
		    " m.at > c.closed_at AND m.author = 'visitor')");
	/* Only a closed conversation has a close time (a reopen clears it);
	 * the state is said, for conversations_closed (state, closed_at). */
	if (f->has_closed_since || f->has_closed_until)
		sqlite3_str_appendall(sql, " AND c.state = 'closed'");
	if (f->has_closed_since)
		sqlite3_str_appendf(sql, " AND c.closed_at >= ?%d", p++);
	if (f->has_closed_until)
		sqlite3_str_appendf(sql, " AND c.closed_at < ?%d", p++);
	if (f->grep) {
		sqlite3_str_appendall(sql, " AND c.id IN (");
		p = search_sql(f->grep, sql, p);
		sqlite3_str_appendall(sql, ")");
	}
	return p;
}

int
filter_bind(const struct filter *f, struct stmt *st, int first)
{
	const struct config *cfg;
	time_t now = time(NULL);
	size_t i;
	int p = first, rc;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	for (i = 0; i < f->nchannels; i++)
		st_bind_text(st, p++, f->channels[i]);
	if (f->social) {
		for (i = 0; i < cfg->nsocial_channels; i++)
			st_bind_text(st, p++, cfg->social_channels[i]);
		if (cfg->nsocial_channels == 0)
			st_bind_null(st, p++);
	}
	if (f->operator)
		st_bind_text(st, p++, f->operator);
	for (i = 0; i < f->ntags; i++)
		st_bind_text(st, p++, f->tags[i]);
	if (f->has_since)
		st_bind_int(st, p++, f->since);
	if (f->has_until)
		st_bind_int(st, p++, f->until);
	if (f->has_idle)
		st_bind_int(st, p++, now - f->idle);
	if (f->forgotten)
		st_bind_int(st, p++, now - cfg->forgotten_after);
	if (f->has_closed_since)
		st_bind_int(st, p++, f->closed_since);
	if (f->has_closed_until)
		st_bind_int(st, p++, f->closed_until);
	if (f->grep)
		return search_bind(f->grep, st, p);
	return 0;
}

int
filter_explain(const struct filter *f)
{
	return f->explain;
}

/* Prints the rows of an EXPLAIN QUERY PLAN, indented as a tree, and
 * finalizes the statement. PostgreSQL's EXPLAIN is its lines, indented. */
int
plan_print(struct stmt *st)
{
	int rc, depth, parents[64], n = 0;

	if (db_engine_pg()) {
		while (db_row(st, "listing", &rc))
			printf("%s\n", st_text(st, 0));
		st_finalize(st);
		return rc;
	}
	while (db_row(st, "listing", &rc)) {
		int parent = st_int(st, 1);

		for (depth = 0; depth < n && parents[depth] != parent; depth++)
			;
		n = depth + 1 < 64 ? depth + 1 : 63;
		parents[n - 1] = parent;
		parents[n < 63 ? n : 62] = st_int(st, 0);
		printf("%*s%s\n", 2 * depth, "", st_text(st, 3));
	}
	st_finalize(st);
	return rc;
}
