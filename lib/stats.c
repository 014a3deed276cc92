/* stats.c: reporting on closed conversations: counts, handling time
 * (average, median, p90), first response, satisfaction, share tagged,
 * per group, computed in SQL with window functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libchat.h"

static const char *const group_names[] = {
	[BY_NONE] = "all", [BY_TAG] = "tag", [BY_OPERATOR] = "operator",
	[BY_CHANNEL] = "channel", [BY_DAY] = "day", [BY_WEEK] = "week",
	[BY_MONTH] = "month",
};

/* Periods are of the start time, in local time; weeks are ISO 8601,
 * named by the year of their Thursday. */
#define THURSDAY "date(c.started_at, 'unixepoch', 'localtime', '-3 days'," \
	" 'weekday 4')"
static const char *const group_exprs[] = {
	[BY_NONE] = "'(total)'",
	[BY_TAG] = "coalesce(gt.name, '(untagged)')",
	[BY_OPERATOR] = "coalesce(c.operator, '(none)')",
	[BY_CHANNEL] = "c.channel",
	[BY_DAY] = "date(c.started_at, 'unixepoch', 'localtime')",
	[BY_WEEK] = "strftime('%Y', " THURSDAY ") || '-W' || printf('%02d',"
	    " (strftime('%j', " THURSDAY ") - 1) / 7 + 1)",
	[BY_MONTH] = ("strftime('%Y-%m', c.started_at, 'unixepoch',"
	    " 'localtime')"),
};

#define FIRST_VISITOR "(SELECT min(v.at) FROM messages v WHERE" \
	" v.conversation = c.id AND v.author = 'visitor')"

/* The report's query for one grouping; the criteria are bound from
 * parameter 1, the filter's after them. */
static sqlite3_stmt *
prepare(const struct filter *f, enum stats_by by, size_t ncrit)
{
	sqlite3_str *sql = sqlite3_str_new(db);
	sqlite3_stmt *st = NULL;
	char *text;
	size_t i;

	if (filter_explain(f))
		sqlite3_str_appendall(sql, "EXPLAIN QUERY PLAN ");
	/* sql: constants; group_exprs is this file's */
	sqlite3_str_appendf(sql, "WITH base AS (SELECT %s AS grp,"
	    " c.closed_at - c.started_at AS ht,"
	    " (SELECT min(o.at) FROM messages o WHERE o.conversation = c.id"
	    "  AND o.author = 'operator' AND o.at >= " FIRST_VISITOR ") - "
	    FIRST_VISITOR " AS frt,"
	    " EXISTS (SELECT 1 FROM conversation_tags WHERE"
	    "  conversation = c.id) AS tagged", group_exprs[by]);
	for (i = 0; i < ncrit; i++)
		sqlite3_str_appendf(sql, ", (SELECT score FROM ratings WHERE"
		    " conversation = c.id AND criterion = ?%d) AS s%d",
		    (int)i + 1, (int)i);
	sqlite3_str_appendall(sql, " FROM conversations c");
	if (by == BY_TAG)
		sqlite3_str_appendall(sql, " LEFT JOIN conversation_tags gct"
		    " ON gct.conversation = c.id LEFT JOIN tags gt"
		    " ON gt.id = gct.tag");
	if (filter_where(f, sql, (int)ncrit + 1) < 0) {
		sqlite3_free(sqlite3_str_finish(sql));
		return NULL;
	}
	sqlite3_str_appendall(sql, " AND c.state = 'closed'),"
	    " ranked AS (SELECT *,"
	    " row_number() OVER (PARTITION BY grp ORDER BY ht) AS rn,"
	    " count(*) OVER (PARTITION BY grp) AS n,"
	    " row_number() OVER (PARTITION BY grp ORDER BY frt IS NULL, frt)"
	    "  AS frn,"
	    " count(frt) OVER (PARTITION BY grp) AS fn FROM base)"
	    " SELECT grp, count(*), CAST(round(avg(ht)) AS INTEGER),"
	    " CAST(round(avg(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2)"
	    "  THEN ht END)) AS INTEGER),"
	    " max(CASE WHEN rn = (9 * n + 9) / 10 THEN ht END),"
	    " CAST(round(avg(CASE WHEN frt NOT NULL AND"
	    "  frn IN ((fn + 1) / 2, (fn + 2) / 2) THEN frt END)) AS INTEGER)");
	for (i = 0; i < ncrit; i++)
		sqlite3_str_appendf(sql, ", round(avg(s%d), 2), count(s%d)",
		    (int)i, (int)i);
	sqlite3_str_appendall(sql, ", round(avg(tagged), 4) FROM ranked"
	    " GROUP BY grp ORDER BY grp");
	if ((text = sqlite3_str_finish(sql)) == NULL) {
		chat_err(ST_DB, "out of memory");
		return NULL;
	}
	if (sqlite3_prepare_v2(db, text, -1, &st, NULL) != SQLITE_OK)
		db_fail("reporting");
	sqlite3_free(text);
	return st;
}

static sqlite3_stmt *
report(const struct filter *f, enum stats_by by)
{
	const struct config *cfg;
	sqlite3_stmt *st;
	size_t i;

	if (config_get(&cfg) != 0 ||
	    (st = prepare(f, by, cfg->ncriteria)) == NULL)
		return NULL;
	for (i = 0; i < cfg->ncriteria; i++)
		db_bind_text(st, (int)i + 1, cfg->criteria[i].name);
	if (filter_bind(f, st, (int)cfg->ncriteria + 1) != 0) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* The columns: the group, the figures, then each criterion's average and
 * count; names of criteria come from config. */
static struct col *
columns(enum stats_by by, size_t *n, char ***names, size_t *nnames)
{
	static const struct col fixed[] = {
		{"conversations", COL_INT}, {"handling_avg", COL_DUR},
		{"handling_median", COL_DUR}, {"handling_p90", COL_DUR},
		{"first_response_median", COL_DUR},
	};
	const struct config *cfg;
	struct col *cols;
	size_t i, k = 0;

	if (config_get(&cfg) != 0)
		return NULL;
	*n = 1 + 5 + 2 * cfg->ncriteria + 1;
	cols = calloc(*n, sizeof *cols);
	*names = calloc(2 * cfg->ncriteria + 1, sizeof **names);
	if (cols == NULL || *names == NULL) {
		free(cols);
		chat_err(ST_DB, "out of memory");
		return NULL;
	}
	*nnames = 2 * cfg->ncriteria;
	cols[k].name = group_names[by];
	cols[k++].type = COL_TEXT;
	for (i = 0; i < 5; i++)
		cols[k++] = fixed[i];
	for (i = 0; i < cfg->ncriteria; i++) {
		size_t len = strlen(cfg->criteria[i].name) + 3;

		(*names)[2 * i] = strdup(cfg->criteria[i].name);
		if (((*names)[2 * i + 1] = malloc(len)) == NULL ||
		    (*names)[2 * i] == NULL) {
			free(cols);
			chat_err(ST_DB, "out of memory");
			return NULL;
		}
		snprintf((*names)[2 * i + 1], len, "%s_n",
		    cfg->criteria[i].name);
		cols[k].name = (*names)[2 * i];
		cols[k++].type = COL_REAL;
		cols[k].name = (*names)[2 * i + 1];
		cols[k++].type = COL_INT;
	}
	cols[k].name = "tagged";
	cols[k].type = COL_PCT;
	return cols;
}

/* The narrowest terminal --chart fits. */
#define CHART_MIN 20

/* The terminal's width, else COLUMNS, else 80; never under CHART_MIN. */
static int
terminal_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	long n = env != NULL ? strtol(env, NULL, 10) : 0;
	int w = 80;

	if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		w = ws.ws_col;
	else if (n > 0 && n < 10000)
		w = (int)n;
	return w < CHART_MIN ? CHART_MIN : w;
}

/* text on lines of at most cols cells, broken at spaces where it is
 * wider. */
static int
put_wrapped(const char *text, int cols)
{
	const char *word = text, *end;
	size_t line = 0, w;
	char *one;

	while (*word != '\0') {
		end = strchr(word, ' ');
		if (end == NULL)
			end = word + strlen(word);
		if ((one = strndup(word, (size_t)(end - word))) == NULL)
			return chat_err(ST_DB, "out of memory");
		w = text_width(one);
		if (line > 0 && line + 1 + w > (size_t)cols) {
			putchar('\n');
			line = 0;
		} else if (line > 0) {
			putchar(' ');
			line++;
		}
		fputs(one, stdout);
		free(one);
		line += w;
		word = *end == ' ' ? end + 1 : end;
	}
	putchar('\n');
	return 0;
}

/* One bar in eighths of a block. */
static void
bar(double value, double max, int width, int colour)
{
	static const char *const eighths[] = {
		"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a",
		"\u2589"
	};
	long units = max > 0 ? (long)(value / max * width * 8 + 0.5) : 0;
	long i;

	if (colour)
		fputs("\033[36m", stdout);
	for (i = 0; i < units / 8; i++)
		fputs("\u2588", stdout);
	fputs(eighths[units % 8], stdout);
	if (colour)
		fputs("\033[0m", stdout);
	for (i = units / 8 + (units % 8 != 0); i < width; i++)
		putchar(' ');
}

struct chart_row {
	char *label;
	long n, median;
	char count[32], duration[32];
};

/* Where a chart's lines fit in cols cells: label, two spaces, bar, two
 * spaces, value; the label cut with an ellipsis where the terminal is too
 * narrow for it and a bar of 10 cells (the bar keeps half of the room).
 * The same for both sections, so that their bars start together. */
struct chart_layout {
	size_t label, bar, value;
};

static struct chart_layout
chart_layout(struct chart_row *r, size_t n, int cols)
{
	struct chart_layout l = {0, 0, 0};
	size_t i, w;
	long room, bar_min;

	for (i = 0; i < n; i++) {
		snprintf(r[i].count, sizeof r[i].count, "%ld", r[i].n);
		duration_fmt(r[i].median, r[i].duration);
		if ((w = text_width(r[i].label)) > l.label)
			l.label = w;
		if ((w = strlen(r[i].count)) > l.value)
			l.value = w;
		if ((w = strlen(r[i].duration)) > l.value)
			l.value = w;
	}
	room = (long)cols - 4 - (long)l.value;
	bar_min = room / 2 < 10 ? room / 2 : 10;
	if ((long)l.label > room - bar_min)
		l.label = room - bar_min > 1 ? (size_t)(room - bar_min) : 1;
	l.bar = room - (long)l.label > 1 ? (size_t)(room - (long)l.label) : 1;
	return l;
}

/* One section: its title, then a line per group. */
static int
chart_section(const char *title, const struct chart_row *r, size_t n,
    int median, const struct chart_layout *l, int cols)
{
	size_t i, w, cut;
	double max = 0, v;
	int colour = isatty(1) && getenv("NO_COLOR") == NULL;

	for (i = 0; i < n; i++) {
		v = median ? (double)r[i].median : (double)r[i].n;
		if (v > max)
			max = v;
	}
	if (put_wrapped(title, cols) != 0)
		return ST_DB;
	for (i = 0; i < n; i++) {
		if ((w = text_width(r[i].label)) > l->label) {
			cut = text_fit(r[i].label, l->label - 1, &w);
			printf("%.*s\u2026", (int)cut, r[i].label);
			w++;
		} else
			fputs(r[i].label, stdout);
		printf("%*s", (int)(l->label - w) + 2, "");
		bar(median ? (double)r[i].median : (double)r[i].n, max,
		    (int)l->bar, colour);
		printf("  %s\n", median ? r[i].duration : r[i].count);
	}
	return 0;
}

static int
chart(sqlite3_stmt *st, enum stats_by by, long *groups)
{
	struct chart_row *r = NULL, *nr;
	size_t i, n = 0;
	struct chart_layout l;
	char title[64];
	const char *text;
	int rc, cols = terminal_width();

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nr = realloc(r, (n + 1) * sizeof *r)) == NULL) {
			rc = chat_err(ST_DB, "out of memory");
			break;
		}
		r = nr;
		r[n].n = (long)sqlite3_column_int64(st, 1);
		r[n].median = (long)sqlite3_column_int64(st, 3);
		text = (const char *)sqlite3_column_text(st, 0);
		if ((r[n++].label = shown_text(text ? text : "")) == NULL) {
			rc = chat_err(ST_DB, "out of memory");
			break;
		}
	}
	*groups = (long)n;
	if (rc == SQLITE_DONE && n > 0) {
		l = chart_layout(r, n, cols);
		snprintf(title, sizeof title, "closed conversations by %s",
		    group_names[by]);
		if (chart_section(title, r, n, 0, &l, cols) != 0)
			rc = ST_DB;
		else {
			putchar('\n');
			snprintf(title, sizeof title, "median handling time by"
			    " %s", group_names[by]);
			if (chart_section(title, r, n, 1, &l, cols) != 0)
				rc = ST_DB;
		}
	}
	for (i = 0; i < n; i++)
		free(r[i].label);
	free(r);
	if (rc == ST_DB)
		return rc;
	return rc == SQLITE_DONE ? 0 : db_fail("reporting");
}

/* Open and parked conversations under the same filters, not counted; on
 * lines of at most cols cells when cols is not 0 (a chart's). */
static int
footer(const struct filter *f, int cols)
{
	sqlite3_str *sql = sqlite3_str_new(db);
	sqlite3_stmt *st = NULL;
	char *text, line[96];
	int rc = ST_DB;

	sqlite3_str_appendall(sql, "SELECT total(c.state = 'open'),"
	    " total(c.state = 'parked') FROM conversations c");
	if (filter_where(f, sql, 1) < 0) {
		sqlite3_free(sqlite3_str_finish(sql));
		return ST_CONFIG;
	}
	if ((text = sqlite3_str_finish(sql)) == NULL)
		return chat_err(ST_DB, "out of memory");
	if (sqlite3_prepare_v2(db, text, -1, &st, NULL) == SQLITE_OK &&
	    filter_bind(f, st, 1) == 0 &&
	    db_step(st, "counting") == SQLITE_ROW) {
		snprintf(line, sizeof line, "not counted: %lld open, %lld parked",
		    (long long)sqlite3_column_int64(st, 0),
		    (long long)sqlite3_column_int64(st, 1));
		if (cols > 0)
			rc = put_wrapped(line, cols);
		else {
			puts(line);
			rc = 0;
		}
	}
	sqlite3_finalize(st);
	sqlite3_free(text);
	return rc;
}

int
stats_report(const struct filter *f, enum stats_by by, enum fmt fmt,
    enum stats_out how)
{
	sqlite3_stmt *st = NULL, *total = NULL;
	struct col *cols = NULL;
	struct out *o = NULL;
	char **names = NULL;
	size_t ncols = 0, nnames = 0, i;
	long groups = 0;
	int rc = ST_DB;

	if ((st = report(f, by)) == NULL)
		goto done;
	if (filter_explain(f)) {
		rc = plan_print(st);
		return rc;
	}
	if (by != BY_NONE && (total = report(f, BY_NONE)) == NULL)
		goto done;
	if (how == STATS_CHART) {
		if ((rc = chart(st, by, &groups)) == 0)
			rc = footer(f, terminal_width());
		goto done;
	}
	if ((cols = columns(by, &ncols, &names, &nnames)) == NULL ||
	    (o = out_begin(fmt, cols, ncols)) == NULL)
		goto done;
	rc = 0;
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		groups++;
		rc = out_row(o, st);
	}
	if (rc == SQLITE_DONE && total != NULL && groups > 0 &&
	    (rc = sqlite3_step(total)) == SQLITE_ROW)
		rc = out_row(o, total);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc != 0 && rc != ST_DB)
		rc = db_fail("reporting");
	if (out_end(o) != 0 && rc == 0)
		rc = ST_DB;
	/* Also when nothing was closed: what the filters match is there,
	 * only not counted. */
	if (rc == 0 && fmt == FMT_TABLE)
		rc = footer(f, 0);
done:
	if (rc == 0 && groups == 0)
		chat_status(ST_SOME);
	sqlite3_finalize(st);
	sqlite3_finalize(total);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(cols);
	return rc;
}
