/* stats.c: the figures of chat-stats' report on closed conversations, per
 * group: counts, handling time (average, p10, median, p90), first
 * response, satisfaction and share tagged, from one unsorted read of their
 * rows. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* A growing array of durations. */
struct durations {
	int64_t *v;
	size_t n, cap;
};

/* A group as the rows come: its durations, unsorted, and its sums. */
struct group {
	char *name;
	struct durations ht, frt;
	long tagged;
	double *sum;		/* per criterion */
	long *scored;
};

/* A row read: a conversation of a group, by its index in the groups. */
struct member {
	int64_t id;
	size_t g;
};

struct pass {
	struct group *groups;	/* as they came */
	size_t *order;		/* their indexes by name, as SQLite's BINARY */
	size_t ngroups, cap;
	size_t last;		/* rows of a period come together */
	struct group total;
	struct member *members;
	size_t nmembers, mcap;
	unsigned char *in;	/* bit per id: in the report */
	int64_t lo, hi;		/* the ids in it */
	size_t ncriteria;
	int grouped;		/* not --by: the total is the report */
};

static int
durations_add(struct durations *d, int64_t v)
{
	int64_t *nv;
	size_t cap;

	if (d->n == d->cap) {
		cap = d->cap ? 2 * d->cap : 64;
		if ((nv = realloc(d->v, cap * sizeof *nv)) == NULL)
			return chat_err(ST_DB, "out of memory");
		d->v = nv;
		d->cap = cap;
	}
	d->v[d->n++] = v;
	return 0;
}

/* The k-th smallest of v[0..n) (from 0), v reordered: Hoare's FIND, so
 * that each percentile costs a pass rather than a sort; libc has no
 * selection. */
static int64_t
kth(int64_t *v, size_t n, size_t k)
{
	ptrdiff_t l = 0, r = (ptrdiff_t)n - 1, i, j, kk = (ptrdiff_t)k;
	int64_t x, t;

	while (l < r) {
		x = v[kk];
		i = l;
		j = r;
		do {
			while (v[i] < x)
				i++;
			while (x < v[j])
				j--;
			if (i <= j) {
				t = v[i];
				v[i++] = v[j];
				v[j--] = t;
			}
		} while (i <= j);
		if (j < kk)
			l = i;
		if (kk < i)
			r = j;
	}
	return v[k];
}

/* The median: the middle value, or the mean of the two middle ones
 * rounded half away from zero, as SQLite's round() does. */
static long
median(struct durations *d)
{
	int64_t a, b;

	if (d->n == 0)
		return -1;
	a = kth(d->v, d->n, (d->n - 1) / 2);
	b = d->n % 2 ? a : kth(d->v, d->n, d->n / 2);
	return (long)llround(((double)a + (double)b) / 2);
}

/* The nearest-rank percentile: the ceil(n * pct / 100)-th value. */
static long
percentile(struct durations *d, size_t pct)
{
	return (long)kth(d->v, d->n, (d->n * pct + 99) / 100 - 1);
}

/* v rounded to digits decimals by SQLite's round(), so that the figures
 * are those TSV and JSON have always shown. */
static double
rounded(double v, int digits)
{
	sqlite3_stmt *st = db_prep("SELECT round(?1, ?2)");
	double r = v;

	if (st == NULL)
		return v;
	sqlite3_bind_double(st, 1, v);
	sqlite3_bind_int(st, 2, digits);
	if (db_step(st, "reporting") == SQLITE_ROW)
		r = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	return r;
}

static int
group_init(struct group *g, const char *name, size_t ncriteria)
{
	memset(g, 0, sizeof *g);
	g->name = strdup(name);
	g->sum = calloc(ncriteria + 1, sizeof *g->sum);
	g->scored = calloc(ncriteria + 1, sizeof *g->scored);
	if (g->name == NULL || g->sum == NULL || g->scored == NULL)
		return chat_err(ST_DB, "out of memory");
	return 0;
}

static void
group_free(struct group *g)
{
	free(g->name);
	free(g->ht.v);
	free(g->frt.v);
	free(g->sum);
	free(g->scored);
}

/* The index of the group named name, made when new, in *g. Groups are few
 * and their order kept by name, found by bisection; the last one found is
 * tried first. */
static int
group_find(struct pass *p, const char *name, size_t *g)
{
	size_t lo = 0, hi = p->ngroups, mid, cap, *no;
	struct group *ng;
	int cmp;

	if (p->last < p->ngroups &&
	    strcmp(p->groups[p->last].name, name) == 0) {
		*g = p->last;
		return 0;
	}
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((cmp = strcmp(p->groups[p->order[mid]].name, name)) == 0) {
			*g = p->last = p->order[mid];
			return 0;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (p->ngroups == p->cap) {
		cap = p->cap ? 2 * p->cap : 16;
		if ((ng = realloc(p->groups, cap * sizeof *ng)) != NULL)
			p->groups = ng;
		if ((no = realloc(p->order, cap * sizeof *no)) != NULL)
			p->order = no;
		if (ng == NULL || no == NULL) {
			chat_err(ST_DB, "out of memory");
			return ST_DB;
		}
		p->cap = cap;
	}
	if (group_init(&p->groups[p->ngroups], name, p->ncriteria) != 0) {
		group_free(&p->groups[p->ngroups]);
		return ST_DB;
	}
	memmove(p->order + lo + 1, p->order + lo,
	    (p->ngroups - lo) * sizeof *p->order);
	p->order[lo] = p->ngroups;
	*g = p->last = p->ngroups++;
	return 0;
}

static int
member_add(struct pass *p, int64_t id, size_t g)
{
	struct member *nm;
	size_t cap;

	if (p->nmembers == p->mcap) {
		cap = p->mcap ? 2 * p->mcap : 256;
		if ((nm = realloc(p->members, cap * sizeof *nm)) == NULL)
			return chat_err(ST_DB, "out of memory");
		p->members = nm;
		p->mcap = cap;
	}
	p->members[p->nmembers].id = id;
	p->members[p->nmembers++].g = g;
	return 0;
}

#define IN(p, id) ((p)->in[(size_t)(id) / 8] & 1 << (id) % 8)

/* The report's rows: a conversation's group, handling time, first
 * response and id, and with --by tag whether it has a tag; the filter's
 * parameters bound from 1. Unsorted: the figures are computed in C. */
static sqlite3_stmt *
rows_query(const struct filter *f, enum stats_by by)
{
	sqlite3_str *sql = sqlite3_str_new(db);
	sqlite3_stmt *st = NULL;
	char *text;

	if (filter_explain(f))
		sqlite3_str_appendall(sql, "EXPLAIN QUERY PLAN ");
	/* sql: constants; group_exprs is this file's */
	sqlite3_str_appendf(sql, "SELECT %s, c.closed_at - c.started_at,"
	    " c.first_response_at - c.first_visitor_at, c.id, %s"
	    " FROM conversations c", group_exprs[by],
	    by == BY_TAG ? "gct.tag NOT NULL" : "0");
	if (by == BY_TAG)
		sqlite3_str_appendall(sql, " LEFT JOIN conversation_tags gct"
		    " ON gct.conversation = c.id LEFT JOIN tags gt"
		    " ON gt.id = gct.tag");
	if (filter_where(f, sql, 1) < 0) {
		sqlite3_free(sqlite3_str_finish(sql));
		return NULL;
	}
	/* Unary + keeps the planner off conversations_closed, which it
	 * would take for an equality on its first column, and for nine rows
	 * in ten read the table through it: without a filter a scan of the
	 * table is faster, with one (a week's --since) its own index is
	 * (0.15 s rather than 1.7 s at a million conversations). */
	sqlite3_str_appendall(sql, " AND +c.state = 'closed'");
	if ((text = sqlite3_str_finish(sql)) == NULL) {
		chat_err(ST_DB, "out of memory");
		return NULL;
	}
	if (sqlite3_prepare_v2(db, text, -1, &st, NULL) != SQLITE_OK)
		db_fail("reporting");
	sqlite3_free(text);
	if (st != NULL && filter_bind(f, st, 1) != 0) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Adds a row's handling time, first response and tag to g. */
static int
group_add(struct group *g, sqlite3_stmt *row)
{
	g->tagged += sqlite3_column_int(row, 4);
	if (durations_add(&g->ht, sqlite3_column_int64(row, 1)) != 0)
		return ST_DB;
	if (sqlite3_column_type(row, 2) == SQLITE_NULL)
		return 0;
	return durations_add(&g->frt, sqlite3_column_int64(row, 2));
}

/* Reads the rows into their groups and the total: a conversation in
 * several groups (its tags) counts once in the total. Every id is at
 * most maxid, read in the same transaction. */
static int
read_rows(struct pass *p, sqlite3_stmt *st, int64_t maxid)
{
	const unsigned char *name;
	int64_t id;
	size_t g = 0;
	int rc, first;

	if ((p->in = calloc((size_t)maxid / 8 + 1, 1)) == NULL)
		return chat_err(ST_DB, "out of memory");
	p->lo = INT64_MAX;
	p->hi = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = sqlite3_column_text(st, 0);
		id = sqlite3_column_int64(st, 3);
		first = !IN(p, id);
		p->in[id / 8] |= (unsigned char)(1 << id % 8);
		if (id < p->lo)
			p->lo = id;
		if (id > p->hi)
			p->hi = id;
		if (p->grouped && (group_find(p, name ? (const char *)name :
		    "", &g) != 0 || group_add(&p->groups[g], st) != 0 ||
		    member_add(p, id, g) != 0))
			return ST_DB;
		if (first && group_add(&p->total, st) != 0)
			return ST_DB;
	}
	return rc == SQLITE_DONE ? 0 : db_fail("reporting");
}

/* Whether each conversation of the report has a tag, and its ratings:
 * read by ranges of ids rather than looked up per row, which cost more
 * than the rest of the report; then added to the groups of each member
 * and, once per conversation, to the total. */
static int
read_facts(struct pass *p, const struct stats *s, int tagged)
{
	sqlite3_stmt *tags = db_prep("SELECT DISTINCT conversation FROM"
	    " conversation_tags WHERE conversation BETWEEN ?1 AND ?2");
	sqlite3_stmt *ratings = db_prep("SELECT conversation, criterion,"
	    " score FROM ratings WHERE conversation BETWEEN ?1 AND ?2");
	size_t span = (size_t)(p->hi - p->lo + 1), i, k, c;
	unsigned char *has_tag = NULL;
	int32_t *score = NULL;
	const char *crit;
	int64_t id;
	int rc = 0;

	if (tags == NULL || ratings == NULL)
		return ST_DB;
	if (p->hi < p->lo || (!tagged && s->ncriteria == 0))
		return 0;	/* nothing closed, or nothing to read */
	if ((tagged && (has_tag = calloc(span / 8 + 1, 1)) == NULL) ||
	    (score = malloc(span * (s->ncriteria + 1) * sizeof *score))
	    == NULL) {
		free(has_tag);
		return chat_err(ST_DB, "out of memory");
	}
	for (i = 0; i < span * s->ncriteria; i++)
		score[i] = INT32_MIN;
	sqlite3_bind_int64(tags, 1, p->lo);
	sqlite3_bind_int64(tags, 2, p->hi);
	while (tagged && (rc = db_step(tags, "reporting")) == SQLITE_ROW) {
		i = (size_t)(sqlite3_column_int64(tags, 0) - p->lo);
		has_tag[i / 8] |= (unsigned char)(1 << i % 8);
	}
	sqlite3_reset(tags);
	sqlite3_bind_int64(ratings, 1, p->lo);
	sqlite3_bind_int64(ratings, 2, p->hi);
	while (rc != -1 && s->ncriteria > 0 &&
	    (rc = db_step(ratings, "reporting")) == SQLITE_ROW) {
		crit = (const char *)sqlite3_column_text(ratings, 1);
		for (c = 0; c < s->ncriteria; c++)
			if (strcmp(crit, s->criteria[c].name) == 0)
				break;
		i = (size_t)(sqlite3_column_int64(ratings, 0) - p->lo);
		if (c < s->ncriteria)
			score[c * span + i] = sqlite3_column_int(ratings, 2);
	}
	sqlite3_reset(ratings);
	for (k = 0; rc != -1 && k < p->nmembers + span; k++) {
		/* The members, then each conversation once for the total. */
		struct group *g = k < p->nmembers ?
		    &p->groups[p->members[k].g] : &p->total;

		id = k < p->nmembers ? p->members[k].id :
		    p->lo + (int64_t)(k - p->nmembers);
		if (k >= p->nmembers && !IN(p, id))
			continue;
		i = (size_t)(id - p->lo);
		if (tagged && has_tag[i / 8] & 1 << i % 8)
			g->tagged++;
		for (c = 0; c < s->ncriteria; c++)
			if (score[c * span + i] != INT32_MIN) {
				g->sum[c] += score[c * span + i];
				g->scored[c]++;
			}
	}
	free(has_tag);
	free(score);
	return rc == -1 ? ST_DB : 0;
}

/* A group's figures; the durations are reordered. */
static int
figures(struct stats_row *r, struct group *g, size_t ncriteria)
{
	int64_t sum = 0;
	size_t c, i;

	r->n = (long)g->ht.n;
	r->group = g->name;
	g->name = NULL;
	r->score = calloc(ncriteria + 1, sizeof *r->score);
	r->scored = calloc(ncriteria + 1, sizeof *r->scored);
	if (r->score == NULL || r->scored == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; i < g->ht.n; i++)
		sum += g->ht.v[i];
	r->ht_avg = r->n ? (long)llround((double)sum / (double)r->n) : 0;
	r->ht_p10 = r->n ? percentile(&g->ht, 10) : 0;
	r->ht_median = median(&g->ht);
	r->ht_p90 = r->n ? percentile(&g->ht, 90) : 0;
	r->frt_median = median(&g->frt);
	for (c = 0; c < ncriteria; c++) {
		r->scored[c] = g->scored[c];
		r->score[c] = g->scored[c] ? rounded(g->sum[c] /
		    (double)g->scored[c], 2) : NAN;
	}
	r->tagged = r->n ? rounded((double)g->tagged / (double)r->n, 4) : 0;
	return 0;
}

/* Open and parked conversations under the same filters, not counted. */
static int
uncounted(const struct filter *f, struct stats *s)
{
	sqlite3_str *sql = sqlite3_str_new(db);
	sqlite3_stmt *st = NULL;
	char *text;
	int rc = ST_DB;

	sqlite3_str_appendall(sql, "SELECT total(c.state = 'open'),"
	    " total(c.state = 'parked') FROM conversations c");
	if (filter_where(f, sql, 1) < 0) {
		sqlite3_free(sqlite3_str_finish(sql));
		return ST_CONFIG;
	}
	/* An equality the state index serves, not a scan of the closed. */
	sqlite3_str_appendall(sql, " AND c.state IN ('open', 'parked')");
	if ((text = sqlite3_str_finish(sql)) == NULL)
		return chat_err(ST_DB, "out of memory");
	if (sqlite3_prepare_v2(db, text, -1, &st, NULL) != SQLITE_OK)
		db_fail("counting");
	else if (filter_bind(f, st, 1) == 0 &&
	    db_step(st, "counting") == SQLITE_ROW) {
		s->open = (long)sqlite3_column_int64(st, 0);
		s->parked = (long)sqlite3_column_int64(st, 1);
		rc = 0;
	}
	sqlite3_finalize(st);
	sqlite3_free(text);
	return rc;
}

static void
row_free(struct stats_row *r)
{
	free(r->group);
	free(r->score);
	free(r->scored);
}

void
stats_free(struct stats *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nrows; i++)
		row_free(&s->rows[i]);
	row_free(&s->total);
	free(s->rows);
	free(s);
}

static void
pass_free(struct pass *p)
{
	size_t i;

	for (i = 0; i < p->ngroups; i++)
		group_free(&p->groups[i]);
	free(p->groups);
	free(p->order);
	group_free(&p->total);
	free(p->members);
	free(p->in);
}

int
stats_compute(const struct filter *f, enum stats_by by, struct stats **out)
{
	const struct config *cfg;
	struct pass p;
	struct stats *s;
	sqlite3_stmt *st = NULL;
	int64_t maxid = 0;
	size_t i;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof p);
	if (config_get(&cfg) != 0)
		return ST_CONFIG;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return chat_err(ST_DB, "out of memory");
	s->by = by;
	s->criteria = cfg->criteria;
	s->ncriteria = p.ncriteria = cfg->ncriteria;
	p.grouped = by != BY_NONE;
	/* One snapshot for every read: the rows, their facts, the rest. */
	if (db_exec("BEGIN", "reporting") != 0 ||
	    (st = db_prep("SELECT max(id) FROM conversations")) == NULL ||
	    db_step(st, "reporting") == -1) {
		db_rollback();
		stats_free(s);
		return ST_DB;
	}
	maxid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = NULL;
	if ((rc = group_init(&p.total, "(total)", s->ncriteria)) != 0 ||
	    (st = rows_query(f, by)) == NULL)
		rc = rc ? rc : ST_DB;
	else if ((rc = read_rows(&p, st, maxid)) == 0 &&
	    (rc = read_facts(&p, s, by != BY_TAG)) == 0 &&
	    (rc = uncounted(f, s)) == 0) {
		if (by != BY_NONE && (s->rows = calloc(p.ngroups + 1,
		    sizeof *s->rows)) == NULL)
			rc = chat_err(ST_DB, "out of memory");
		for (i = 0; rc == 0 && by != BY_NONE && i < p.ngroups; i++)
			if ((rc = figures(&s->rows[s->nrows++],
			    &p.groups[p.order[i]], s->ncriteria)) != 0)
				break;
		if (rc == 0)
			rc = figures(&s->total, &p.total, s->ncriteria);
	}
	sqlite3_finalize(st);
	pass_free(&p);
	db_rollback();
	if (rc != 0) {
		stats_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

const char *
stats_group_name(enum stats_by by)
{
	return group_names[by];
}

int
stats_explain(const struct filter *f, enum stats_by by)
{
	sqlite3_stmt *plan = rows_query(f, by);

	return plan == NULL ? ST_DB : plan_print(plan);
}
