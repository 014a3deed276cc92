/* history.c: listing conversations by filter, and showing one in full. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libchat.h"

#define RFC3339(x) "strftime('%Y-%m-%dT%H:%M:%SZ', " x ", 'unixepoch')"
#define TAGS_OF(c) "(SELECT json_group_array(name) FROM (SELECT t.name" \
	" FROM conversation_tags ct JOIN tags t ON t.id = ct.tag" \
	" WHERE ct.conversation = " c " ORDER BY t.key))"
/* Tags hold no commas: text formats take them joined, with no JSON to
 * take apart row by row. */
#define TAGS_JOINED(c, sep) "(SELECT coalesce(group_concat(name, '" sep "')," \
	" '') FROM (SELECT t.name" \
	" FROM conversation_tags ct JOIN tags t ON t.id = ct.tag" \
	" WHERE ct.conversation = " c " ORDER BY t.key))"
/* The same on PostgreSQL, which has neither strftime() nor group_concat()
 * and keeps an aggregate's order only when told within it (a conversation
 * with no tag has a NULL list there: out.c takes it as []). */
#define PG_RFC3339(x) "to_char(to_timestamp(" x ") AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define PG_TAGS_OF(c) "(SELECT json_agg(t.name ORDER BY t.key)" \
	" FROM conversation_tags ct JOIN tags t ON t.id = ct.tag" \
	" WHERE ct.conversation = " c ")"
#define PG_TAGS_JOINED(c, sep) "(SELECT coalesce(string_agg(t.name, '" \
	sep "' ORDER BY t.key), '')" \
	" FROM conversation_tags ct JOIN tags t ON t.id = ct.tag" \
	" WHERE ct.conversation = " c ")"

/* A listing's columns: a table's, and TSV's and JSON's, which carry the
 * ref too; -o ids takes the first. */
static const struct col list_cols[] = {
	{"id", COL_INT}, {"state", COL_TEXT}, {"channel", COL_TEXT},
	{"started", COL_TIME}, {"duration", COL_DUR}, {"operator", COL_TEXT},
	{"visitor", COL_TEXT}, {"tags", COL_LIST},
};
static const struct col list_ref_cols[] = {
	{"id", COL_INT}, {"ref", COL_TEXT}, {"state", COL_TEXT},
	{"channel", COL_TEXT}, {"started", COL_TIME}, {"duration", COL_DUR},
	{"operator", COL_TEXT}, {"visitor", COL_TEXT}, {"tags", COL_LIST},
};
#define LIST_COLS " c.state, c.channel, c.started_at, coalesce(c.closed_at," \
	" c.last_activity_at) - c.started_at, c.operator, c.visitor, "
#define SELECT_TABLE(tags) "SELECT c.id," LIST_COLS tags("c.id", ",") \
	" FROM conversations c"
#define SELECT_TSV(tags) "SELECT c.id, c.ref," LIST_COLS tags("c.id", ",") \
	" FROM conversations c"
#define SELECT_JSON(tags) "SELECT c.id, c.ref," LIST_COLS tags("c.id") \
	" FROM conversations c"
#define SELECT_IDS "SELECT c.id FROM conversations c"
/* Each format's SELECT of those columns, and of one conversation's, on
 * SQLite ([0]) and on PostgreSQL ([1]). */
static const char *const list_select[2][FMT_IDS + 1] = {{
	[FMT_TABLE] = SELECT_TABLE(TAGS_JOINED),
	[FMT_TSV] = SELECT_TSV(TAGS_JOINED),
	[FMT_JSON] = SELECT_JSON(TAGS_OF), [FMT_IDS] = SELECT_IDS,
}, {
	[FMT_TABLE] = SELECT_TABLE(PG_TAGS_JOINED),
	[FMT_TSV] = SELECT_TSV(PG_TAGS_JOINED),
	[FMT_JSON] = SELECT_JSON(PG_TAGS_OF), [FMT_IDS] = SELECT_IDS,
}};
static const char *const list_by_id[2][FMT_IDS + 1] = {{
	[FMT_TABLE] = SELECT_TABLE(TAGS_JOINED) " WHERE c.id = ?",
	[FMT_TSV] = SELECT_TSV(TAGS_JOINED) " WHERE c.id = ?",
	[FMT_JSON] = SELECT_JSON(TAGS_OF) " WHERE c.id = ?",
	[FMT_IDS] = SELECT_IDS " WHERE c.id = ?",
}, {
	[FMT_TABLE] = SELECT_TABLE(PG_TAGS_JOINED) " WHERE c.id = ?",
	[FMT_TSV] = SELECT_TSV(PG_TAGS_JOINED) " WHERE c.id = ?",
	[FMT_JSON] = SELECT_JSON(PG_TAGS_OF) " WHERE c.id = ?",
	[FMT_IDS] = SELECT_IDS " WHERE c.id = ?",
}};

/* The listing's output: the caller's, to out_end(). */
static struct out *
list_out(enum fmt fmt)
{
	if (fmt == FMT_TSV || fmt == FMT_JSON)
		return out_begin(fmt, list_ref_cols,
		    sizeof list_ref_cols / sizeof list_ref_cols[0]);
	return out_begin(fmt, list_cols,
	    sizeof list_cols / sizeof list_cols[0]);
}

/* SELECT ... FROM conversations c, the filter's WHERE, then tail, which
 * may use parameter ?L for a limit. The statement is the caller's, to
 * st_finalize(); NULL on failure (reported). */
static struct stmt *
prepare_list(const struct filter *f, const char *select, const char *tail,
    int *next)
{
	sqlite3_str *sql = sqlite3_str_new(NULL);
	struct stmt *st = NULL;

	if (filter_explain(f))
		/* sql: constants */
		sqlite3_str_appendall(sql, DB_SQL("EXPLAIN QUERY PLAN ",
		    "EXPLAIN "));
	/* sql: constants; select and tail are the callers' literals */
	sqlite3_str_appendall(sql, select);
	if ((*next = filter_where(f, sql, 1)) < 0) {
		sqlite3_free(sqlite3_str_finish(sql));
		return NULL;
	}
	/* sql: constants */
	sqlite3_str_appendall(sql, tail);
	if (*tail != '\0')
		sqlite3_str_appendf(sql, "%d", *next);
	if (db_prepare(sql, "listing", &st) == 0 &&
	    filter_bind(f, st, 1) != 0) {
		st_finalize(st);
		st = NULL;
	}
	return st;
}

int
conv_list(const struct filter *f, enum fmt fmt, long limit, int count_only,
    long *matched)
{
	struct stmt *st;
	struct out *o = NULL;
	int status = 0, lim;

	*matched = 0;
	if (count_only)
		st = prepare_list(f, "SELECT count(*) FROM conversations c", "",
		    &lim);
	else
		st = prepare_list(f, list_select[db_engine_pg()][fmt ==
		    FMT_TEXT ? FMT_TABLE : fmt], " ORDER BY c.started_at DESC,"
		    " c.id DESC LIMIT ?", &lim);
	if (st == NULL)
		return ST_DB;
	if (filter_explain(f)) {
		*matched = 1;
		return plan_print(st);
	}
	if (!count_only) {
		st_bind_int(st, lim, limit > 0 ? limit : INT64_MAX);
		if ((o = list_out(fmt)) == NULL) {
			st_finalize(st);
			return ST_DB;
		}
	}
	while (db_row(st, "listing", &status)) {
		if (count_only) {
			*matched = (long)st_int64(st, 0);
			printf("%ld\n", *matched);
		} else if ((status = out_row(o, st)) != 0)
			break;
		else
			(*matched)++;
	}
	if (o != NULL)
		out_end(o);
	st_finalize(st);
	return status;
}

int
conv_rows(struct ids *ids, enum fmt fmt, long *listed)
{
	struct stmt *st;
	struct out *o;
	int64_t id;
	int status = 0;

	*listed = 0;
	if ((st = db_prep(list_by_id[db_engine_pg()][fmt == FMT_TEXT ?
	    FMT_TABLE : fmt])) == NULL || (o = list_out(fmt)) == NULL)
		return ST_DB;
	while (status == 0 && ids_next(ids, &id, &status)) {
		st_bind_int(st, 1, id);
		if (db_row(st, "listing", &status)) {
			status = out_row(o, st);
			(*listed)++;
		} else if (status == 0)
			chat_err(ST_SOME, "%lld: no such conversation",
			    (long long)id);
		st_reset(st);
	}
	out_end(o);
	return status;
}

static const char show_json[] =
	"SELECT json_object('id', c.id, 'ref', c.ref, 'channel', c.channel,"
	" 'visitor', c.visitor, 'visitor_email', c.visitor_email,"
	" 'operator', c.operator, 'state', c.state,"
	" 'started_at', " RFC3339("c.started_at") ","
	" 'last_activity_at', " RFC3339("c.last_activity_at") ","
	" 'visitor_left_at', " RFC3339("c.visitor_left_at") ","
	" 'closed_at', " RFC3339("c.closed_at") ","
	" 'closed_by', c.closed_by,"
	" 'handling_time', c.closed_at - c.started_at,"
	" 'first_visitor_at', " RFC3339("c.first_visitor_at") ","
	" 'first_response_at', " RFC3339("c.first_response_at") ","
	" 'first_response_time', c.first_response_at - c.first_visitor_at,"
	" 'tags', json(" TAGS_OF("c.id") "),"
	" 'ratings', json((SELECT json_group_object(criterion, score) FROM"
	"   (SELECT criterion, score FROM ratings WHERE conversation = c.id"
	"   ORDER BY criterion))),"
	" 'deliveries', json((SELECT json_group_array(json_object('target',"
	"   target, 'state', state, 'attempts', attempts, 'remote_ref',"
	"   remote_ref, 'last_error', last_error, 'updated_at', "
	    RFC3339("updated_at") ")) FROM (SELECT * FROM deliveries"
	"   WHERE conversation = c.id ORDER BY id))),"
	" 'messages', json((SELECT json_group_array(json_object('at', "
	    RFC3339("at") ", 'author', author, 'name', name, 'id', ref,"
	"   'text', body)) FROM (SELECT * FROM messages"
	"   WHERE conversation = c.id ORDER BY at, id))),"
	" 'notes', json((SELECT json_group_array(json_object('at', "
	    RFC3339("at") ", 'author', author, 'text', body)) FROM"
	"   (SELECT * FROM notes WHERE conversation = c.id ORDER BY at, id))),"
	" 'events', json((SELECT json_group_array(json_object('at', "
	    RFC3339("at") ", 'actor', actor, 'action', action, 'detail',"
	"   detail)) FROM (SELECT * FROM events WHERE conversation = c.id"
	"   ORDER BY at, id))))"
	" FROM conversations c WHERE c.id = ?";

/* The same document on PostgreSQL, whose text local_json() makes
 * SQLite's: json_build_object() keeps the keys' order, and escapes a
 * string as SQLite does; an aggregate of no rows is NULL there. */
static const char pg_show_json[] =
	"SELECT json_build_object('id', c.id, 'ref', c.ref,"
	" 'channel', c.channel, 'visitor', c.visitor,"
	" 'visitor_email', c.visitor_email,"
	" 'operator', c.operator, 'state', c.state,"
	" 'started_at', " PG_RFC3339("c.started_at") ","
	" 'last_activity_at', " PG_RFC3339("c.last_activity_at") ","
	" 'visitor_left_at', " PG_RFC3339("c.visitor_left_at") ","
	" 'closed_at', " PG_RFC3339("c.closed_at") ","
	" 'closed_by', c.closed_by,"
	" 'handling_time', c.closed_at - c.started_at,"
	" 'first_visitor_at', " PG_RFC3339("c.first_visitor_at") ","
	" 'first_response_at', " PG_RFC3339("c.first_response_at") ","
	" 'first_response_time', c.first_response_at - c.first_visitor_at,"
	" 'tags', coalesce(" PG_TAGS_OF("c.id") ", '[]'),"
	" 'ratings', coalesce((SELECT json_object_agg(criterion, score"
	"   ORDER BY criterion) FROM ratings WHERE conversation = c.id), '{}'),"
	" 'deliveries', coalesce((SELECT json_agg(json_build_object('target',"
	"   target, 'state', state, 'attempts', attempts, 'remote_ref',"
	"   remote_ref, 'last_error', last_error, 'updated_at', "
	    PG_RFC3339("updated_at") ") ORDER BY id) FROM deliveries"
	"   WHERE conversation = c.id), '[]'),"
	" 'messages', coalesce((SELECT json_agg(json_build_object('at', "
	    PG_RFC3339("at") ", 'author', author, 'name', name, 'id', ref,"
	"   'text', body) ORDER BY at, id) FROM messages"
	"   WHERE conversation = c.id), '[]'),"
	" 'notes', coalesce((SELECT json_agg(json_build_object('at', "
	    PG_RFC3339("at") ", 'author', author, 'text', body)"
	"   ORDER BY at, id) FROM notes WHERE conversation = c.id), '[]'),"
	" 'events', coalesce((SELECT json_agg(json_build_object('at', "
	    PG_RFC3339("at") ", 'actor', actor, 'action', action, 'detail',"
	"   detail) ORDER BY at, id) FROM events WHERE conversation = c.id),"
	"   '[]'))"
	" FROM conversations c WHERE c.id = ?";

#define SHOW_HEAD(tags, ratings) \
	"SELECT c.ref, c.channel, c.visitor, c.visitor_email, c.operator," \
	" c.state, c.closed_by, c.started_at, c.last_activity_at," \
	" c.visitor_left_at, c.closed_at, " tags("c.id", ", ") ", " ratings \
	", c.first_visitor_at, c.first_response_at - c.first_visitor_at" \
	" FROM conversations c WHERE c.id = ?"
static const char show_head[] = SHOW_HEAD(TAGS_JOINED,
	"(SELECT group_concat(criterion || ' ' || score, ', ') FROM"
	"   (SELECT * FROM ratings WHERE conversation = c.id"
	"   ORDER BY criterion))");
static const char pg_show_head[] = SHOW_HEAD(PG_TAGS_JOINED,
	"(SELECT string_agg(criterion || ' ' || score, ', '"
	"   ORDER BY criterion) FROM ratings WHERE conversation = c.id)");
static const char show_deliveries[] =
	"SELECT target, state, attempts, remote_ref, last_error FROM deliveries"
	" WHERE conversation = ? ORDER BY id";
static const char show_messages[] =
	"SELECT m.at, coalesce(m.name, CASE m.author WHEN 'visitor' THEN"
	" c.visitor WHEN 'operator' THEN c.operator END, m.author), m.author,"
	" m.body FROM messages m JOIN conversations c ON c.id = m.conversation"
	" WHERE m.conversation = ? ORDER BY m.at, m.id";
static const char show_notes[] =
	"SELECT at, author, '', body FROM notes WHERE conversation = ?"
	" ORDER BY at, id";
static const char show_events[] =
	"SELECT at, actor, action || coalesce(' ' || detail, ''), '' FROM events"
	" WHERE conversation = ? ORDER BY at, id";

static const char *
text(struct stmt *st, int i)
{
	const char *s = st_text(st, i);

	return s ? s : "";
}

static void
field(sqlite3_str *out, const char *label, const char *value)
{
	if (*value == '\0')
		return;
	sqlite3_str_appendf(out, "%-14s ", label);
	str_text(out, value, strlen(value), SHOW_FIELD);
	sqlite3_str_appendchar(out, 1, '\n');
}

/* The zone a transcript names in its header, the one of its start: a
 * time in another (past a change to or from summer time) says its own. */
static char shown_zone[64];

static char *
local(time_t t, char buf[96])
{
	char z[64], brief[64];

	time_local(t, buf);
	if (strcmp(time_zone(t, 0, z), shown_zone) != 0)
		snprintf(buf + strlen(buf), 96 - strlen(buf), " %s",
		    time_zone(t, 1, brief));
	return buf;
}

static void
time_field(sqlite3_str *out, const char *label, struct stmt *st, int i)
{
	char buf[96];

	if (st_type(st, i) != DB_NULL)
		field(out, label, local(st_int64(st, i), buf));
}

/* A body over several lines, each after the first indented under it; a
 * line ends at LF or CR LF, and keeps its tabs. */
static void
body(sqlite3_str *out, const char *s)
{
	const char *nl;
	size_t len;

	for (;;) {
		nl = strchr(s, '\n');
		len = nl ? (size_t)(nl - s) : strlen(s);
		if (nl != NULL && len > 0 && s[len - 1] == '\r')
			len--;
		str_text(out, s, len, SHOW_LINE);
		if (nl == NULL)
			break;
		sqlite3_str_appendall(out, "\n                  ");
		s = nl + 1;
	}
	sqlite3_str_appendchar(out, 1, '\n');
}

/* The rows of a (time, who, what, text) query under a heading, each as
 * time, who, between[0], what, between[1] and the text. */
static int
section(sqlite3_str *out, const char *heading, const char *sql, int64_t id,
    const char *const between[2])
{
	struct stmt *st = db_prep(sql);
	char buf[96];
	int rc, n = 0;

	if (st == NULL)
		return ST_DB;
	st_bind_int(st, 1, id);
	while (db_row(st, heading, &rc)) {
		if (n++ == 0)
			sqlite3_str_appendf(out, "\n%s\n", heading);
		sqlite3_str_appendf(out, "%s  ",
		    local(st_int64(st, 0), buf));
		str_text(out, text(st, 1), strlen(text(st, 1)), SHOW_FIELD);
		sqlite3_str_appendall(out, between[0]);
		str_text(out, text(st, 2), strlen(text(st, 2)), SHOW_FIELD);
		sqlite3_str_appendall(out, between[1]);
		body(out, text(st, 3));
	}
	st_reset(st);
	return rc;
}

int
conv_text(int64_t id, int with_events, sqlite3_str *out)
{
	static const char *const said[2] = { " (", "): " };
	static const char *const noted[2] = { "", ": " };
	static const char *const did[2] = { " ", "" };
	struct stmt *st = db_prep(DB_SQL(show_head, pg_show_head)), *d;
	char state[64], buf[32];
	int rc;

	if (st == NULL || (d = db_prep(show_deliveries)) == NULL)
		return ST_DB;
	st_bind_int(st, 1, id);
	if (!db_row(st, "showing", &rc)) {
		st_reset(st);
		return rc ? rc : ST_SOME;
	}
	sqlite3_str_appendf(out, "conversation %lld\n", (long long)id);
	field(out, "ref", text(st, 0));
	field(out, "channel", text(st, 1));
	field(out, "visitor", text(st, 2));
	field(out, "visitor email", text(st, 3));
	field(out, "operator", text(st, 4));
	snprintf(state, sizeof state, "%s%s%s", text(st, 5),
	    *text(st, 6) ? " by " : "", text(st, 6));
	field(out, "state", state);
	time_zone(st_int64(st, 7), 0, shown_zone);
	field(out, "time zone", shown_zone);
	time_field(out, "started", st, 7);
	time_field(out, "last activity", st, 8);
	time_field(out, "visitor left", st, 9);
	time_field(out, "closed", st, 10);
	if (st_type(st, 10) != DB_NULL)
		field(out, "handling time", duration_fmt((long)(
		    st_int64(st, 10) - st_int64(st, 7)),
		    buf));
	/* Asked and never answered is a fact too. */
	if (st_type(st, 13) != DB_NULL)
		field(out, "first response",
		    st_type(st, 14) == DB_NULL ? "none" :
		    duration_fmt((long)st_int64(st, 14), buf));
	field(out, "tags", text(st, 11));
	field(out, "ratings", text(st, 12));
	st_reset(st);
	st_bind_int(d, 1, id);
	while (with_events && db_row(d, "showing deliveries", &rc)) {
		/* The ticket and the error are the server's words. */
		sqlite3_str_appendf(out, "%-14s ", "delivery");
		str_text(out, text(d, 0), strlen(text(d, 0)), SHOW_FIELD);
		sqlite3_str_appendf(out, " %s", text(d, 1));
		if (*text(d, 3)) {
			sqlite3_str_appendall(out, " (");
			str_text(out, text(d, 3), strlen(text(d, 3)),
			    SHOW_FIELD);
			sqlite3_str_appendchar(out, 1, ')');
		}
		if (*text(d, 4)) {
			sqlite3_str_appendall(out, ": ");
			str_text(out, text(d, 4), strlen(text(d, 4)),
			    SHOW_FIELD);
		}
		sqlite3_str_appendf(out, ", %d attempt%s\n",
		    st_int(d, 2),
		    st_int(d, 2) == 1 ? "" : "s");
	}
	st_reset(d);
	if (rc == 0 &&
	    (rc = section(out, "transcript", show_messages, id, said)) == 0 &&
	    (rc = section(out, "notes", show_notes, id, noted)) == 0 &&
	    with_events)
		rc = section(out, "events", show_events, id, did);
	return rc;
}

/* Prints what conv_text() or a JSON query makes of a conversation. */
static int
print_str(sqlite3_str *out, int rc)
{
	char *s = sqlite3_str_finish(out);

	if (rc == 0 && s != NULL)
		fputs(s, stdout);
	sqlite3_free(s);
	return rc;
}

int
conv_show(int64_t id, enum fmt fmt)
{
	sqlite3_str *out = sqlite3_str_new(NULL);

	return print_str(out, fmt == FMT_JSON ? conv_json(id, out) :
	    conv_text(id, 1, out));
}

/* JSON as SQLite writes it, from PostgreSQL's text of the same value. */
static int
local_json(const char *json, sqlite3_str *out)
{
	struct stmt *st = db_prep_local("SELECT json(?1)");
	int rc;

	if (st == NULL)
		return ST_DB;
	st_bind_text(st, 1, json);
	if (db_row(st, "making JSON", &rc))
		sqlite3_str_appendf(out, "%s\n", text(st, 0));
	st_reset(st);
	return rc;
}

int
conv_json(int64_t id, sqlite3_str *out)
{
	struct stmt *st;
	int rc, found;

	if ((st = db_prep(DB_SQL(show_json, pg_show_json))) == NULL)
		return ST_DB;
	st_bind_int(st, 1, id);
	if ((found = db_row(st, "showing", &rc)) && db_engine_pg())
		rc = local_json(text(st, 0), out);
	else if (found)
		sqlite3_str_appendf(out, "%s\n", text(st, 0));
	st_reset(st);
	return found || rc ? rc : ST_SOME;
}
