/* html.c: chat-stats --html: the report as one self-contained HTML page,
 * its figures in a table and drawn as inline SVG, with no script and
 * nothing to fetch, so that it opens offline and can be mailed as is. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

/* A chart's width in SVG units (CSS pixels at full size); the column of
 * the groups' names, and how many terminal cells of a name fit in it at
 * 12px (longer ones are cut with an ellipsis, whole in their tooltip). */
#define CHART_W 720
#define LABEL_W 250
#define LABEL_CELLS 36
#define ROW_H 22
#define TOP 8
/* The charts by group draw at most this many groups, those with the most
 * conversations, in the table's order: past it bars would be too thin to
 * read. The table has every group. */
#define MAX_BARS 40
/* Conversations per day when those counted spread over at most this many
 * ISO weeks (a quarter, 91 days), else per week. */
#define DAILY_WEEKS 13

/* Colours are custom properties, so that the SVG's fills follow the
 * scheme the reader prefers. */
static const char style[] =
    ":root{color-scheme:light dark;--bg:#ffffff;--fg:#1f2328;"
    "--muted:#59636e;--grid:#d1d9e0;--bar:#2f6fb3;--box:#9cc3ee;"
    "--median:#0b3d75;--track:#e3e8ee;--stripe:#f6f8fa}\n"
    "@media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;"
    "--muted:#9198a1;--grid:#3d444d;--bar:#4493f8;--box:#1f4f8a;"
    "--median:#d8e8ff;--track:#262c36;--stripe:#151b23}}\n"
    "body{margin:0 auto;max-width:90rem;padding:1rem 1.5rem;"
    "background:var(--bg);color:var(--fg);"
    "font:15px/1.45 system-ui,sans-serif}\n"
    "h1{font-size:1.5rem;margin:.5rem 0}"
    "h2{font-size:1.1rem;margin:1.75rem 0 .4rem}\n"
    ".meta,.note{color:var(--muted);margin:.25rem 0}figure{margin:0}\n"
    "svg{display:block;max-width:100%;height:auto;"
    "font:12px system-ui,sans-serif}\n"
    "svg text{fill:var(--fg)}svg text.axis{fill:var(--muted)}\n"
    ".bar{fill:var(--bar)}.box{fill:var(--box);stroke:var(--bar)}"
    ".median{stroke:var(--median);stroke-width:3}"
    ".grid{stroke:var(--grid)}.track{fill:var(--track)}\n"
    ".scroll{overflow-x:auto}table{border-collapse:collapse;"
    "font-size:.8rem;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:.25rem .4rem;border-bottom:1px solid var(--grid);"
    "text-align:right;white-space:nowrap}\n"
    "thead th{white-space:normal;vertical-align:bottom}\n"
    "th[scope=row],thead th:first-child{text-align:left;"
    "white-space:normal;min-width:5rem;max-width:18rem;"
    "overflow-wrap:break-word}\n"
    "tbody th{font-weight:normal}"
    "tbody tr:nth-child(even){background:var(--stripe)}"
    "tfoot th,tfoot td{font-weight:bold;border-top:2px solid var(--fg)}\n";

/* A group the charts draw: its index in the page's groups. */
struct pick {
	size_t i;
	long n;
};

struct page {
	const struct stats *s;
	const struct stats_row *groups;	/* the rows, or the total alone */
	size_t ngroups;
	struct pick *picks;	/* those the charts draw, in table order */
	size_t npicks;
	const struct stats *period;	/* by day or by week */
	struct stats *own;	/* period, when computed here */
	int weekly;
	const char *by;		/* the grouping's name, "" for none */
	char title[64];		/* what the report is, its grouping said */
	char *filters;		/* and its filter, in words */
	int rc;			/* the first error; the page stops there */
};

/* s's first len bytes, escaped for HTML text and attribute values. */
static void
put_escaped(const char *s, size_t len)
{
	const char *end = s + len;

	for (; s < end; s++)
		switch (*s) {
		case '&': fputs("&amp;", stdout); break;
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
		case '\'': fputs("&#39;", stdout); break;
		default: putchar(*s);
		}
}

/* A text of the data (a group, a criterion's name) as a table's cell shows
 * it (control characters as \xHH), escaped; cut with an ellipsis where it
 * takes more than cells. */
static void
html_text(struct page *p, const char *s, size_t cells)
{
	char *shown;

	if (p->rc != 0)
		return;
	if ((shown = shown_text(s)) == NULL) {
		p->rc = chat_err(ST_DB, "out of memory");
		return;
	}
	if (text_width(shown) > cells) {
		put_escaped(shown, text_fit(shown, cells - 1, NULL));
		fputs("\u2026", stdout);
	} else
		put_escaped(shown, strlen(shown));
	free(shown);
}

enum kind { COUNT, DURATION, SCORE, SHARE };

/* A real as SQLite's JSON writes it, by SQLite's own printf: 15
 * significant digits, and a decimal point even when whole. */
static void
json_real(double v, char json[32])
{
	sqlite3_snprintf(32, json, "%!.15g", v);
}

/* A figure as -o json writes it (json: "null" where there is none, a
 * NAN) and as the table shows it (shown: "-" then). Averages of scores
 * and shares come rounded as -o json writes them. */
static void
figure(enum kind k, double v, char json[32], char shown[32])
{
	if (isnan(v)) {
		snprintf(json, 32, "null");
		snprintf(shown, 32, "-");
		return;
	}
	switch (k) {
	case COUNT:
		snprintf(json, 32, "%.0f", v);
		snprintf(shown, 32, "%s", json);
		break;
	case DURATION:
		snprintf(json, 32, "%.0f", v);
		duration_fmt((long)v, shown);
		break;
	case SCORE:
		json_real(v, json);
		snprintf(shown, 32, "%.2f", v);
		break;
	case SHARE:
		json_real(v, json);
		share_fmt(v, shown);
		break;
	}
}

/* A cell of the table: shown for people, the exact value in data-value
 * as -o json writes it (null where -o json has null), for programs. */
static void
cell(enum kind k, double v)
{
	char json[32], shown[32];

	figure(k, v, json, shown);
	printf("<td data-value=\"%s\">%s</td>", json, shown);
}

static double
response(const struct stats_row *r)
{
	return r->frt_median < 0 ? NAN : (double)r->frt_median;
}

static void
table_row(struct page *p, const struct stats_row *r)
{
	size_t i;

	fputs("<tr><th scope=\"row\">", stdout);
	html_text(p, r->group, SIZE_MAX);
	fputs("</th>", stdout);
	cell(COUNT, (double)r->n);
	cell(DURATION, (double)r->ht_avg);
	cell(DURATION, (double)r->ht_p10);
	cell(DURATION, (double)r->ht_median);
	cell(DURATION, (double)r->ht_p90);
	cell(DURATION, response(r));
	for (i = 0; i < p->s->ncriteria; i++) {
		cell(SCORE, r->score[i]);
		cell(COUNT, (double)r->scored[i]);
	}
	cell(SHARE, r->tagged);
	puts("</tr>");
}

/* A column's head, a name of this program's: the browser may break it
 * after an underscore, so that the table fits where names are long. */
static void
column_head(const char *name)
{
	const char *u;

	fputs("<th scope=\"col\">", stdout);
	for (; (u = strchr(name, '_')) != NULL; name = u + 1)
		printf("%.*s_<wbr>", (int)(u - name), name);
	printf("%s</th>", name);
}

/* The figures, with -o json's names as column heads: a row per group, the
 * total in the footer. */
static void
table(struct page *p)
{
	const struct stats *s = p->s;
	size_t i;

	printf("<h2>Figures</h2>\n<div class=\"scroll\"><table id=\"figures\">"
	    "\n<thead><tr><th scope=\"col\">%s</th>", stats_group_name(s->by));
	for (i = 0; i < STATS_NFIGURES; i++)
		column_head(stats_figures[i].name);
	for (i = 0; i < s->ncriteria; i++) {
		fputs("<th scope=\"col\">", stdout);
		html_text(p, s->criteria[i].name, SIZE_MAX);
		fputs("</th><th scope=\"col\">", stdout);
		html_text(p, s->criteria[i].name, SIZE_MAX);
		fputs("_<wbr>n</th>", stdout);
	}
	puts("<th scope=\"col\">tagged</th></tr></thead>\n<tbody>");
	for (i = 0; s->by != BY_NONE && i < s->nrows; i++)
		table_row(p, &s->rows[i]);
	puts("</tbody>\n<tfoot>");
	table_row(p, &s->total);
	puts("</tfoot></table></div>");
}

static int
by_period(enum stats_by by)
{
	return by == BY_DAY || by == BY_WEEK || by == BY_MONTH;
}

static int
most_first(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int
in_order(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	return x->i < y->i ? -1 : x->i > y->i;
}

/* The groups the charts draw: all of them, or MAX_BARS: the latest of
 * periods, which come in time order, else those with the most
 * conversations. */
static void
pick_groups(struct page *p)
{
	size_t i, from = p->ngroups > MAX_BARS ? p->ngroups - MAX_BARS : 0;

	if ((p->picks = calloc(p->ngroups, sizeof *p->picks)) == NULL) {
		p->rc = chat_err(ST_DB, "out of memory");
		return;
	}
	for (i = 0; i < p->ngroups; i++) {
		p->picks[i].i = i;
		p->picks[i].n = p->groups[i].n;
	}
	p->npicks = p->ngroups;
	if (p->npicks <= MAX_BARS)
		return;
	p->npicks = MAX_BARS;
	if (by_period(p->s->by)) {
		memmove(p->picks, p->picks + from, MAX_BARS * sizeof *p->picks);
		return;
	}
	qsort(p->picks, p->ngroups, sizeof *p->picks, most_first);
	qsort(p->picks, p->npicks, sizeof *p->picks, in_order);
}

/* A step for an axis up to max, in at most 5 steps: the first of steps
 * that does, else one of them times a power of 10. */
static long
axis_step(long max, const long *steps, size_t n)
{
	long scale;
	size_t i;

	for (scale = 1;; scale *= 10)
		for (i = 0; i < n; i++)
			if (max <= 5 * steps[i] * scale)
				return steps[i] * scale;
}

static const long count_steps[] = { 1, 2, 5 };
static const long duration_steps[] = {
	1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
	10800, 21600, 43200, 86400, 172800, 604800
};

/* An axis's end: max, at least 1, rounded up to a whole step. */
static long
axis_end(long max, long step)
{
	return max < 1 ? step : (max + step - 1) / step * step;
}

/* A chart's start: a heading, and an SVG image of that name (its title,
 * for screen readers and as a tooltip). */
static void
chart_open(const char *id, const char *title, int height)
{
	printf("<h2 id=\"%s\">%s</h2>\n<figure><svg viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\">"
	    "<title>%s</title>\n", id, title, CHART_W, height, CHART_W, height,
	    title, title);
}

static void
chart_close(void)
{
	puts("</svg></figure>");
}

/* A group's line of a chart opens with its tooltip, the name whole and
 * then the figures the caller writes; line_label() ends the tooltip and
 * writes the name at the left, cut to fit. */
static void
line_open(struct page *p, const char *name)
{
	fputs("<g><title>", stdout);
	html_text(p, name, SIZE_MAX);
	fputs(": ", stdout);
}

static void
line_label(struct page *p, const char *name, int y)
{
	printf("</title><text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
	    LABEL_W - 6, y + 15);
	html_text(p, name, LABEL_CELLS);
	fputs("</text>", stdout);
}

/* The x of value on an axis from 0 to end, width units wide at LABEL_W. */
static double
x_at(double value, double end, int width)
{
	return LABEL_W + value / end * width;
}

/* Vertical lines at each step of a duration axis, labelled below. */
static void
duration_axis(long step, long end, int width, int bottom)
{
	char buf[32];
	double x;
	long t;

	for (t = 0; t <= end; t += step) {
		x = x_at((double)t, (double)end, width);
		printf("<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
		    "y2=\"%d\"/><text class=\"axis\" x=\"%.1f\" y=\"%d\" "
		    "text-anchor=\"middle\">%s</text>\n", x, x, TOP, bottom, x,
		    bottom + 14, duration_fmt(t, buf));
	}
}

/* Conversations per group, as bars. */
static void
chart_counts(struct page *p)
{
	const int width = CHART_W - LABEL_W - 60;
	const struct stats_row *g;
	char title[64];
	long max = 1;
	size_t k;
	double w;
	int y;

	for (k = 0; k < p->npicks; k++)
		if (p->picks[k].n > max)
			max = p->picks[k].n;
	snprintf(title, sizeof title, "Conversations by %s", p->by);
	chart_open("conversations", title, TOP * 2 + (int)p->npicks * ROW_H);
	for (k = 0; k < p->npicks && p->rc == 0; k++) {
		g = &p->groups[p->picks[k].i];
		y = TOP + (int)k * ROW_H;
		w = x_at((double)g->n, (double)max, width) - LABEL_W;
		line_open(p, g->group);
		printf("%ld conversation%s", g->n, g->n == 1 ? "" : "s");
		line_label(p, g->group, y);
		printf("<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
		    "height=\"%d\"/><text x=\"%.1f\" y=\"%d\">%ld</text></g>\n",
		    LABEL_W, y + 4, w, ROW_H - 8, LABEL_W + w + 5, y + 15,
		    g->n);
	}
	chart_close();
}

/* Handling time per group: a box from p10 to p90, the median marked and
 * written at the right. */
static void
chart_handling(struct page *p)
{
	const int width = CHART_W - LABEL_W - 70;
	const struct stats_row *g;
	char title[64], p10[32], median[32], p90[32];
	long max = 0, step, end;
	int y, bottom = TOP + (int)p->npicks * ROW_H;
	size_t k;
	double x0, x1, xm;

	for (k = 0; k < p->npicks; k++)
		if (p->groups[p->picks[k].i].ht_p90 > max)
			max = p->groups[p->picks[k].i].ht_p90;
	step = axis_step(max, duration_steps,
	    sizeof duration_steps / sizeof duration_steps[0]);
	end = axis_end(max, step);
	snprintf(title, sizeof title, "Handling time%s%s: p10 to p90, "
	    "median marked", *p->by ? " by " : "", p->by);
	chart_open("handling", title, bottom + 22);
	duration_axis(step, end, width, bottom);
	for (k = 0; k < p->npicks && p->rc == 0; k++) {
		g = &p->groups[p->picks[k].i];
		y = TOP + (int)k * ROW_H;
		x0 = x_at((double)g->ht_p10, (double)end, width);
		x1 = x_at((double)g->ht_p90, (double)end, width);
		xm = x_at((double)g->ht_median, (double)end, width);
		line_open(p, g->group);
		printf("p10 %s, median %s, p90 %s",
		    duration_fmt(g->ht_p10, p10),
		    duration_fmt(g->ht_median, median),
		    duration_fmt(g->ht_p90, p90));
		line_label(p, g->group, y);
		printf("<rect class=\"box\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
		    "height=\"%d\"/><line class=\"median\" x1=\"%.1f\" "
		    "x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/><text x=\"%d\" y=\"%d\">"
		    "%s</text></g>\n", x0, y + 4, x1 - x0 > 1 ? x1 - x0 : 1,
		    ROW_H - 8, xm, xm, y + 2, y + ROW_H - 2,
		    LABEL_W + width + 10, y + 15, median);
	}
	chart_close();
}

/* Satisfaction: each criterion's average over all the conversations
 * counted, on the criterion's scale, with how many rated it. */
static void
chart_scores(struct page *p)
{
	const int width = CHART_W - LABEL_W - 190;
	const struct stats_row *t = &p->s->total;
	const struct criterion *c;
	char avg[32], json[32];
	size_t i;
	int y, span;

	chart_open("satisfaction", "Satisfaction: the average score on each "
	    "criterion's scale", TOP * 2 + (int)p->s->ncriteria * ROW_H);
	for (i = 0; i < p->s->ncriteria && p->rc == 0; i++) {
		c = &p->s->criteria[i];
		y = TOP + (int)i * ROW_H;
		span = c->max > c->min ? c->max - c->min : 1;
		figure(SCORE, t->score[i], json, avg);
		line_open(p, c->name);
		if (isnan(t->score[i]))
			printf("not rated, on %d to %d", c->min, c->max);
		else
			printf("average %s on %d to %d, %ld rated", avg,
			    c->min, c->max, t->scored[i]);
		line_label(p, c->name, y);
		printf("<rect class=\"track\" x=\"%d\" y=\"%d\" width=\"%d\" "
		    "height=\"%d\"/>", LABEL_W, y + 4, width, ROW_H - 8);
		/* A scale changed since the ratings may not hold their
		 * average: the bar stays on its track. */
		if (!isnan(t->score[i]))
			printf("<rect class=\"bar\" x=\"%d\" y=\"%d\" "
			    "width=\"%.1f\" height=\"%d\"/>", LABEL_W, y + 4,
			    fmin(fmax(x_at(t->score[i] - c->min, span, width) -
			    LABEL_W, 0), width), ROW_H - 8);
		printf("<text x=\"%d\" y=\"%d\">", LABEL_W + width + 10,
		    y + 15);
		if (isnan(t->score[i]))
			printf("not rated (%d\u2013%d)", c->min, c->max);
		else
			printf("%s of %d\u2013%d, %ld rated", avg, c->min,
			    c->max, t->scored[i]);
		puts("</text></g>");
	}
	chart_close();
}

/* Days since 1970-01-01 of a date, by libc's timegm(). */
static long
days_from_civil(long y, long m, long d)
{
	struct tm tm = { .tm_year = (int)y - 1900, .tm_mon = (int)m - 1,
	    .tm_mday = (int)d, .tm_hour = 12 };

	return (long)(timegm(&tm) / 86400);
}

/* The Monday of day's week: 1970-01-01 was a Thursday. */
static long
monday(long day)
{
	return day - ((day + 3) % 7 + 7) % 7;
}

/* The number the n digits at s write; -1 where one is not a digit (the
 * end of s included). */
static long
digits(const char *s, int n)
{
	long v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* The first day of a period the report names: a day (2026-11-23) or an
 * ISO week (2026-W48, whose week 1 holds January 4th); 0 when name is
 * neither. */
static int
period_day(const char *name, long *day)
{
	size_t len = strlen(name);
	long y = digits(name, 4), m, d;

	if (y < 0 || name[4] != '-')
		return 0;
	if (len == 10 && name[7] == '-' && (m = digits(name + 5, 2)) > 0 &&
	    (d = digits(name + 8, 2)) > 0) {
		*day = days_from_civil(y, m, d);
		return 1;
	}
	if (len == 8 && name[5] == 'W' && (m = digits(name + 6, 2)) > 0) {
		*day = monday(days_from_civil(y, 1, 4)) + 7 * (m - 1);
		return 1;
	}
	return 0;
}

/* How many weeks the periods of s, by day or week, spread over. */
static long
weeks_spanned(const struct stats *s)
{
	long first, last;

	if (s->nrows == 0 || !period_day(s->rows[0].group, &first) ||
	    !period_day(s->rows[s->nrows - 1].group, &last))
		return 0;
	return (monday(last) - monday(first)) / 7 + 1;
}

/* The report again by day, or by week past DAILY_WEEKS; the report itself
 * when it is that already. */
static int
period_stats(struct page *p, const struct filter *f)
{
	const struct stats *s = p->s;
	int rc;

	p->period = s;
	if (s->by == BY_DAY && weeks_spanned(s) <= DAILY_WEEKS)
		return 0;
	p->weekly = 1;
	if (s->by != BY_WEEK) {
		if ((rc = stats_compute(f, BY_WEEK, &p->own)) != 0)
			return rc;
		p->period = p->own;
	}
	if (p->period->nrows == 0 || weeks_spanned(p->period) > DAILY_WEEKS)
		return 0;
	p->weekly = 0;
	stats_free(p->own);
	p->own = NULL;
	if ((rc = stats_compute(f, BY_DAY, &p->own)) != 0)
		return rc;
	p->period = p->own;
	return 0;
}

/* Conversations per day or week over the period, a column each, the
 * periods without any left empty; at most 6 of them named below, evenly
 * spaced. */
static void
chart_period(struct page *p)
{
	const int left = 50, right = 30, height = 160, bottom = TOP + height;
	const double width = CHART_W - left - right;
	const struct stats *ps = p->period;
	const long unit = p->weekly ? 7 : 1;
	long first, last, day, units, max = 1, step, end, t, u;
	char name[16];
	time_t day_t;
	struct tm tm;
	double slot, bar, x, h;
	size_t i;
	int y;

	if (!period_day(ps->rows[0].group, &first) ||
	    !period_day(ps->rows[ps->nrows - 1].group, &last))
		return;
	units = (last - first) / unit + 1;
	slot = width / (double)units;
	bar = slot > 3 ? slot * 0.8 : slot;
	for (i = 0; i < ps->nrows; i++)
		if (ps->rows[i].n > max)
			max = ps->rows[i].n;
	step = axis_step(max, count_steps, 3);
	end = axis_end(max, step);
	chart_open("period", p->weekly ? "Closed conversations by the week "
	    "they started" : "Closed conversations by the day they started",
	    bottom + 24);
	for (t = 0; t <= end; t += step) {
		y = bottom - (int)((double)t / (double)end * height);
		printf("<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%d\" "
		    "y2=\"%d\"/><text class=\"axis\" x=\"%d\" y=\"%d\" "
		    "text-anchor=\"end\">%ld</text>\n", left, CHART_W - right,
		    y, y, left - 6, y + 4, t);
	}
	for (i = 0; i < ps->nrows && p->rc == 0; i++) {
		if (!period_day(ps->rows[i].group, &day))
			continue;
		u = (day - first) / unit;
		x = left + (double)u * slot;
		h = (double)ps->rows[i].n / (double)end * height;
		printf("<rect class=\"bar\" x=\"%.2f\" y=\"%.1f\" "
		    "width=\"%.2f\" height=\"%.1f\"><title>",
		    x + (slot - bar) / 2, bottom - h, bar, h);
		html_text(p, ps->rows[i].group, SIZE_MAX);
		printf(": %ld</title></rect>\n", ps->rows[i].n);
	}
	/* The dates below at even steps, whether a bar is there or not. */
	for (u = 0; u < units; u += (units + 5) / 6) {
		day_t = (time_t)(first + u * unit) * 86400;
		if (gmtime_r(&day_t, &tm) == NULL || strftime(name, sizeof name,
		    p->weekly ? "%G-W%V" : "%Y-%m-%d", &tm) == 0)
			continue;
		printf("<text class=\"axis\" x=\"%.1f\" y=\"%d\" "
		    "text-anchor=\"middle\">%s</text>\n",
		    left + ((double)u + 0.5) * slot, bottom + 16, name);
	}
	chart_close();
}

/* The page's start: what it reports, over which period, and when. */
static void
heading(struct page *p)
{
	const struct stats *ps = p->period;
	char now[32], zone[64];
	time_t t = time(NULL);

	printf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"color-scheme\" content=\"light dark\">\n"
	    "<meta name=\"generator\" content=\"chat-stats %s\">\n"
	    "<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n"
	    "<h1>%s</h1>\n<p class=\"meta\">", CHAT_VERSION, p->title, style,
	    p->title);
	if (ps->nrows == 0)
		fputs("No closed conversation matched", stdout);
	else {
		printf("Conversations started %s ",
		    p->weekly ? "in the weeks" : "from");
		html_text(p, ps->rows[0].group, SIZE_MAX);
		fputs(" to ", stdout);
		html_text(p, ps->rows[ps->nrows - 1].group, SIZE_MAX);
		fputs(", in local time", stdout);
	}
	printf("; generated %s, times in %s.</p>\n", time_local(t, now),
	    time_zone(t, 0, zone));
	if (*p->filters != '\0') {
		fputs("<p class=\"meta\" id=\"filters\">Filters: ", stdout);
		html_text(p, p->filters, SIZE_MAX);
		fputs(".</p>\n", stdout);
	}
	if (p->npicks < p->ngroups)
		printf("<p class=\"note\">The charts by %s draw the %d %s, of "
		    "%zu; the table has them all.</p>\n", p->by, MAX_BARS,
		    by_period(p->s->by) ? "latest" :
		    "with the most conversations", p->ngroups);
}

int
stats_html(const struct stats *s, const struct filter *f)
{
	struct page p = { .s = s };

	p.by = s->by == BY_NONE ? "" : stats_group_name(s->by);
	snprintf(p.title, sizeof p.title, "Closed conversations%s%s",
	    *p.by ? " by " : "", p.by);
	p.groups = s->by == BY_NONE ? &s->total : s->rows;
	p.ngroups = s->by == BY_NONE ? s->total.n > 0 : s->nrows;
	if ((p.filters = filter_describe(f)) == NULL)
		p.rc = chat_err(ST_DB, "out of memory");
	else if ((p.rc = period_stats(&p, f)) == 0 && p.ngroups > 0)
		pick_groups(&p);
	if (p.rc == 0)
		heading(&p);
	if (p.rc == 0 && p.ngroups > 0) {
		/* Not for one group, nor when the chart by day or week will
		 * be the same. */
		if (s->by != BY_NONE && p.period != s)
			chart_counts(&p);
		if (p.rc == 0)
			chart_handling(&p);
		if (p.rc == 0 && s->ncriteria > 0)
			chart_scores(&p);
		if (p.rc == 0 && p.period->nrows > 0)
			chart_period(&p);
		if (p.rc == 0)
			table(&p);
	}
	if (p.rc == 0)
		printf("<p class=\"note\" id=\"not-counted\">not counted: %ld "
		    "open, %ld parked</p>\n</body>\n</html>\n", s->open,
		    s->parked);
	stats_free(p.own);
	free(p.picks);
	free(p.filters);
	return p.rc;
}
