/* report.c: chat-stats' report written out: a table, TSV or JSON through
 * out.c, a chart of bars, or the HTML page of html.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libchat.h"

/* The columns: the group, the figures, then each criterion's average and
 * count; names of criteria come from config. The array and *names (the
 * names made for the criteria, and each name) are the caller's, to free();
 * NULL when out of memory. */
static struct col *
columns(enum stats_by by, size_t *n, char ***names, size_t *nnames)
{
	const struct config *cfg;
	struct col *cols;
	size_t i, k = 0;

	if (config_get(&cfg) != 0)
		return NULL;
	*n = 1 + STATS_NFIGURES + 2 * cfg->ncriteria + 1;
	cols = calloc(*n, sizeof *cols);
	*names = calloc(2 * cfg->ncriteria + 1, sizeof **names);
	if (cols == NULL || *names == NULL) {
		free(cols);
		chat_err(ST_DB, "out of memory");
		return NULL;
	}
	*nnames = 2 * cfg->ncriteria;
	cols[k].name = stats_group_name(by);
	cols[k++].type = COL_TEXT;
	for (i = 0; i < STATS_NFIGURES; i++)
		cols[k++] = stats_figures[i];
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

	/* Some is never drawn as none. */
	if (units == 0 && value > 0)
		units = 1;

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
chart(const struct stats *s)
{
	struct chart_row *r;
	size_t i, n = s->nrows ? s->nrows : 1;
	const struct stats_row *row;
	struct chart_layout l;
	char title[64], line[96];
	int rc = 0, cols = terminal_width();

	if ((r = calloc(n, sizeof *r)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; rc == 0 && i < n; i++) {
		row = s->nrows ? &s->rows[i] : &s->total;
		r[i].n = row->n;
		r[i].median = row->ht_median;
		if ((r[i].label = shown_text(row->group)) == NULL)
			rc = chat_err(ST_DB, "out of memory");
	}
	if (rc == 0 && s->total.n > 0) {
		l = chart_layout(r, n, cols);
		snprintf(title, sizeof title, "closed conversations by %s",
		    stats_group_name(s->by));
		if ((rc = chart_section(title, r, n, 0, &l, cols)) == 0) {
			putchar('\n');
			snprintf(title, sizeof title, "median handling time by"
			    " %s", stats_group_name(s->by));
			rc = chart_section(title, r, n, 1, &l, cols);
		}
	}
	snprintf(line, sizeof line, "not counted: %ld open, %ld parked",
	    s->open, s->parked);
	if (rc == 0)
		rc = put_wrapped(line, cols);
	for (i = 0; i < n; i++)
		free(r[i].label);
	free(r);
	return rc;
}

/* Binds row's figures to st's parameters in the columns' order, NULL
 * for what is not there. */
static void
bind_row(struct stmt *st, const struct stats_row *row, size_t ncriteria)
{
	int k = 1;
	size_t c;

	st_bind_text(st, k++, row->group);
	st_bind_int(st, k++, row->n);
	st_bind_int(st, k++, row->ht_avg);
	st_bind_int(st, k++, row->ht_p10);
	st_bind_int(st, k++, row->ht_median);
	st_bind_int(st, k++, row->ht_p90);
	if (row->frt_median < 0)
		st_bind_null(st, k++);
	else
		st_bind_int(st, k++, row->frt_median);
	for (c = 0; c < ncriteria; c++) {
		if (row->scored[c] == 0)
			st_bind_null(st, k++);
		else
			st_bind_double(st, k++, row->score[c]);
		st_bind_int(st, k++, row->scored[c]);
	}
	st_bind_double(st, k, row->tagged);
}

/* The figures through out.c as a listing's rows: a statement selects
 * each row's values, bound, so that every format writes them as it
 * writes any column. */
static int
table(const struct stats *s, enum fmt fmt)
{
	sqlite3_str *sql = sqlite3_str_new(NULL);
	struct stmt *st = NULL;
	struct col *cols = NULL;
	struct out *o = NULL;
	char **names = NULL;
	size_t ncols = 0, nnames = 0, i;
	int k, rc = ST_DB;

	if ((cols = columns(s->by, &ncols, &names, &nnames)) == NULL) {
		sqlite3_free(sqlite3_str_finish(sql));
		goto done;
	}
	for (k = 1; k <= (int)ncols; k++)
		/* sql: constants */
		sqlite3_str_appendf(sql, "%s?%d", k > 1 ? ", " : "SELECT ", k);
	if ((rc = db_prepare_local(sql, "reporting", &st)) != 0)
		goto done;
	rc = ST_DB;
	if ((o = out_begin(fmt, cols, ncols)) == NULL)
		goto done;
	rc = 0;
	for (i = 0; rc == 0 && s->total.n > 0 && i <= s->nrows; i++) {
		bind_row(st, i < s->nrows ? &s->rows[i] : &s->total,
		    s->ncriteria);
		if (db_row(st, "reporting", &rc))
			rc = out_row(o, st);
		st_reset(st);
	}
	if (out_end(o) != 0 && rc == 0)
		rc = ST_DB;
	/* Also when nothing was closed: what the filters match is there,
	 * only not counted. */
	if (rc == 0 && fmt == FMT_TABLE)
		printf("not counted: %ld open, %ld parked\n", s->open,
		    s->parked);
done:
	st_finalize(st);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(cols);
	return rc;
}

int
stats_report(const struct filter *f, enum stats_by by, enum fmt fmt,
    enum stats_out how)
{
	struct stats *s = NULL;
	int rc;

	if (filter_explain(f))
		return stats_explain(f, by);
	/* The page's chart by day or week is a second report of the same
	 * snapshot. */
	if (how == STATS_HTML && (rc = db_begin_read()) != 0)
		return rc;
	if ((rc = stats_compute(f, by, &s)) != 0) {
		db_rollback();
		return rc;
	}
	if (how == STATS_HTML)
		rc = stats_html(s, f);
	else if (how == STATS_CHART)
		rc = chart(s);
	else
		rc = table(s, fmt);
	if (rc == 0 && s->total.n == 0)
		chat_status(ST_SOME);
	db_rollback();
	stats_free(s);
	return rc;
}
