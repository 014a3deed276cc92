/* out.c: listing output: aligned table, TSV, JSON lines (made by SQLite's
 * JSON functions) or bare ids. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#include "libchat.h"

struct out {
	enum fmt fmt;
	const struct col *cols;
	size_t ncols;
	struct stmt *json;	/* SELECT json_object(...) over bound values */
	char **cells;		/* table: every cell, row by row */
	size_t ncells, cap;
	int tty;
};

int
fmt_parse(const char *s, enum fmt *f, int allow_text)
{
	if (strcmp(s, "table") == 0)
		*f = FMT_TABLE;
	else if (strcmp(s, "tsv") == 0)
		*f = FMT_TSV;
	else if (strcmp(s, "json") == 0)
		*f = FMT_JSON;
	else if (strcmp(s, "ids") == 0)
		*f = FMT_IDS;
	else if (allow_text && strcmp(s, "text") == 0)
		*f = FMT_TEXT;
	else
		return chat_err(ST_USAGE, "-o %s: unknown format (table, tsv, "
		    "json, ids%s)", s, allow_text ? ", text" : "");
	return 0;
}

/* SELECT json_object(?1, v1, ?3, v2, ...): keys bound once here, values
 * bound per row by out_row(). The caller's, to st_finalize(); NULL
 * on failure (reported). */
static struct stmt *
json_stmt(const struct col *cols, size_t ncols)
{
	struct stmt *st = NULL;
	sqlite3_str *sql = sqlite3_str_new(NULL);
	size_t i;
	int k, v;

	sqlite3_str_appendall(sql, "SELECT json_object(");
	for (i = 0; i < ncols; i++) {
		k = 2 * (int)i + 1;
		v = k + 1;
		/* sql: constants */
		sqlite3_str_appendf(sql, "%s?%d, ", i ? ", " : "", k);
		switch (cols[i].type) {
		case COL_TIME:
			sqlite3_str_appendf(sql, "strftime('%%Y-%%m-%%dT%%H:"
			    "%%M:%%SZ', ?%d, 'unixepoch')", v);
			break;
		case COL_LIST:
			sqlite3_str_appendf(sql, "coalesce(json(?%d), "
			    "json_array())", v);
			break;
		default:
			sqlite3_str_appendf(sql, "?%d", v);
		}
	}
	sqlite3_str_appendall(sql, ")");
	db_prepare_local(sql, "preparing JSON output", &st);
	for (i = 0; st != NULL && i < ncols; i++)
		st_bind_text(st, 2 * (int)i + 1, cols[i].name);
	return st;
}

struct out *
out_begin(enum fmt fmt, const struct col *cols, size_t ncols)
{
	struct out *o = calloc(1, sizeof *o);
	size_t i;

	if (o == NULL) {
		chat_err(ST_DB, "out of memory");
		return NULL;
	}
	o->fmt = fmt;
	o->cols = cols;
	o->ncols = ncols;
	o->tty = isatty(1);
	if (fmt == FMT_JSON && (o->json = json_stmt(cols, ncols)) == NULL) {
		free(o);
		return NULL;
	}
	if (fmt == FMT_TSV)
		for (i = 0; i < ncols; i++)
			printf("%s%c", cols[i].name, i + 1 < ncols ? '\t' : '\n');
	return o;
}

void
str_text(sqlite3_str *out, const char *s, size_t len, enum shown how)
{
	const char *end = s + len, *run;
	size_t n = 0;
	int c = -1;

	while (s < end) {
		for (run = s; s < end; s += n)
			if ((c = utf8_control(s, &n)) >= 0 &&
			    !(c == '\t' && how == SHOW_LINE))
				break;
		sqlite3_str_append(out, run, (int)(s - run));
		if (s == end)
			break;
		if (how == SHOW_CELL && c == '\r' && end - s > 1 && s[1] == '\n')
			n = 2, c = '\n';
		if (how == SHOW_CELL && (c == '\t' || c == '\n'))
			sqlite3_str_appendchar(out, 1, ' ');
		else
			sqlite3_str_appendf(out, "\\x%02x", c);
		s += n;
	}
}

char *
shown_text(const char *s)
{
	sqlite3_str *out = sqlite3_str_new(NULL);
	char *c = NULL;

	str_text(out, s, strlen(s), SHOW_CELL);
	if (sqlite3_str_errcode(out) == SQLITE_OK)
		c = strdup(sqlite3_str_length(out) > 0 ?
		    sqlite3_str_value(out) : "");
	sqlite3_free(sqlite3_str_finish(out));
	return c;
}

char *
share_fmt(double v, char buf[32])
{
	if (v > 0.995 && v < 1)
		snprintf(buf, 32, ">99%%");
	else if (v > 0 && v < 0.005)
		snprintf(buf, 32, "<1%%");
	else
		snprintf(buf, 32, "%.0f%%", v * 100);
	return buf;
}

/* A cell as text: local times and short durations for people, RFC 3339
 * and seconds for TSV. The caller's, to free(); NULL when out of memory. */
static char *
cell(const struct out *o, struct stmt *row, size_t i)
{
	char buf[32];
	int null = st_type(row, (int)i) == DB_NULL;
	const char *text = st_text(row, (int)i);

	if (null)
		return strdup(o->fmt == FMT_TABLE ? "-" : "");
	switch (o->cols[i].type) {
	case COL_TIME:
		return strdup(o->fmt == FMT_TABLE ?
		    time_local(st_int64(row, (int)i), buf) :
		    time_rfc3339(st_int64(row, (int)i), buf));
	case COL_DUR:
		if (o->fmt == FMT_TABLE)
			return strdup(duration_fmt(
			    (long)st_int64(row, (int)i), buf));
		break;
	case COL_REAL:
		if (o->fmt == FMT_TABLE) {
			snprintf(buf, sizeof buf, "%.2f",
			    st_double(row, (int)i));
			return strdup(buf);
		}
		break;
	case COL_PCT:
		if (o->fmt == FMT_TABLE)
			return strdup(share_fmt(st_double(row,
			    (int)i), buf));
		break;
	default:
		break;
	}
	return shown_text(text ? text : "");
}

static int
keep(struct out *o, char *c)
{
	char **nc;

	if (c == NULL)
		return chat_err(ST_DB, "out of memory");
	if (o->ncells == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;

		if ((nc = realloc(o->cells, cap * sizeof *nc)) == NULL) {
			free(c);
			return chat_err(ST_DB, "out of memory");
		}
		o->cells = nc;
		o->cap = cap;
	}
	o->cells[o->ncells++] = c;
	return 0;
}

/* TSV's rule: tab, line feed, carriage return and backslash escaped as in
 * C, every other control character a '?', so that a row stays one line of
 * cells; runs of plain characters go out whole, since listings write
 * every cell through here. */
void
put_text(const char *s, int tsv)
{
	const char *run;
	unsigned char c;
	char *one_line;

	if (!tsv) {
		if ((one_line = shown_text(s)) != NULL)
			fputs(one_line, stdout);
		free(one_line);
		return;
	}
	for (;;) {
		for (run = s; (c = (unsigned char)*s) >= 0x20 && c != 0x7f &&
		    c != '\\'; s++)
			;
		fwrite(run, 1, (size_t)(s - run), stdout);
		if (c == '\0')
			return;
		if (c == '\t' || c == '\n' || c == '\r' || c == '\\') {
			putchar('\\');
			putchar(c == '\t' ? 't' : c == '\n' ? 'n' :
			    c == '\r' ? 'r' : '\\');
		} else
			putchar('?');
		s++;
	}
}

int
out_row(struct out *o, struct stmt *row)
{
	size_t i;
	char *c;
	int rc;

	switch (o->fmt) {
	case FMT_IDS:
		printf("%lld\n", (long long)st_int64(row, 0));
		return 0;
	case FMT_JSON:
		for (i = 0; i < o->ncols; i++)
			st_bind_column(o->json, 2 * (int)i + 2, row, (int)i);
		if (db_row(o->json, "making JSON", &rc))
			printf("%s\n", st_text(o->json, 0));
		st_reset(o->json);
		return rc;
	case FMT_TSV:
		for (i = 0; i < o->ncols; i++) {
			if (o->cols[i].type == COL_TEXT ||
			    o->cols[i].type == COL_LIST) {
				const char *t =
				    st_text(row, (int)i);

				put_text(t ? (const char *)t : "", 1);
			} else if ((c = cell(o, row, i)) == NULL)
				return chat_err(ST_DB, "out of memory");
			else {
				put_text(c, 1);
				free(c);
			}
			putchar(i + 1 < o->ncols ? '\t' : '\n');
		}
		return 0;
	default:
		/* A row kept whole or not at all: the table is laid out by
		 * rows of ncols cells. */
		for (i = 0; i < o->ncols; i++)
			if ((rc = keep(o, cell(o, row, i))) != 0) {
				while (i-- > 0)
					free(o->cells[--o->ncells]);
				return rc;
			}
		return 0;
	}
}

/* The cells a terminal gives s, as utf8proc counts them: two for a wide
 * character (CJK, most emoji), none for a combining mark or a joiner, one
 * for any other character and for each byte that is not UTF-8. Not
 * wcswidth(): its count depends on the locale (in the C locale of a cron
 * job every character past ASCII is an error, -1) and on the C library's
 * tables, and this one must be the same wherever the tools run; utf8proc,
 * which keys tags, is linked anyway and knows the Unicode of its version. */
size_t
text_width(const char *s)
{
	size_t w;

	text_fit(s, SIZE_MAX, &w);
	return w;
}

size_t
text_fit(const char *s, size_t cells, size_t *width)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;
	utf8proc_ssize_t n;
	size_t w = 0;
	int cw;

	while (*p != '\0') {
		if ((n = utf8proc_iterate(p, -1, &c)) <= 0)
			n = 1, cw = 1;
		else
			cw = utf8proc_charwidth(c);
		if (w + (size_t)cw > cells)
			break;
		w += (size_t)cw;
		p += n;
	}
	if (width != NULL)
		*width = w;
	return (size_t)((const char *)p - s);
}

/* Pads lazily so that no line ends in blanks. */
static void
table_line(struct out *o, char **cells, const size_t *w, int header)
{
	size_t i, pad = 0;
	int bold = header && getenv("NO_COLOR") == NULL;

	if (bold)
		fputs("\033[1m", stdout);
	for (i = 0; i < o->ncols; i++) {
		if (*cells[i] != '\0') {
			printf("%*s%s", (int)pad, "", cells[i]);
			pad = 0;
		}
		pad += w[i] + 2 - text_width(cells[i]);
	}
	if (bold)
		fputs("\033[0m", stdout);
	putchar('\n');
}

int
out_end(struct out *o)
{
	size_t i, r, *w, cw;
	char **header;
	int rc = 0;

	if (o == NULL)
		return ST_DB;
	/* Only a table is laid out at its end; the others are written. */
	w = o->fmt == FMT_TABLE ? calloc(o->ncols, sizeof *w) : NULL;
	header = o->fmt == FMT_TABLE ? calloc(o->ncols, sizeof *header) : NULL;
	if (o->fmt == FMT_TABLE && (w == NULL || header == NULL))
		rc = chat_err(ST_DB, "out of memory");
	else if (o->fmt == FMT_TABLE) {
		for (i = 0; i < o->ncols; i++) {
			header[i] = (char *)o->cols[i].name;
			if (o->tty)
				w[i] = text_width(header[i]);
		}
		for (r = 0; r < o->ncells; r++)
			if ((cw = text_width(o->cells[r])) > w[r % o->ncols])
				w[r % o->ncols] = cw;
		if (o->tty)
			table_line(o, header, w, 1);
		for (r = 0; r < o->ncells; r += o->ncols)
			table_line(o, o->cells + r, w, 0);
	}
	free(w);
	free(header);
	for (i = 0; i < o->ncells; i++)
		free(o->cells[i]);
	free(o->cells);
	st_finalize(o->json);
	free(o);
	return rc;
}
