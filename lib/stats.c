/* stats.c: the figures of chat-stats' report on closed conversations, per
 * group: counts, handling time (average, p10, median, p90), first
 * response, satisfaction and share tagged, from one unsorted read of their
 * rows. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

const struct col stats_figures[STATS_NFIGURES] = {
	{"conversations", COL_INT}, {"handling_avg", COL_DUR},
	{"handling_p10", COL_DUR}, {"handling_median", COL_DUR},
	{"handling_p90", COL_DUR}, {"first_response_median", COL_DUR},
};

static const char *const group_names[] = {
	[BY_NONE] = "all", [BY_TAG] = "tag", [BY_OPERATOR] = "operator",
	[BY_CHANNEL] = "channel", [BY_DAY] = "day", [BY_WEEK] = "week",
	[BY_MONTH] = "month",
};

/* A period is named in C from the start time (period_name()): in the
 * client's time zone on either engine, as SQLite's 'localtime' has it,
 * where a PostgreSQL session's zone is the server's idea of a name that
 * TZ may not even be. */
static const char *const group_exprs[] = {
	[BY_NONE] = "'(total)'",
	[BY_TAG] = "coalesce(gt.name, '(untagged)')",
	[BY_OPERATOR] = "coalesce(c.operator, '(none)')",
	[BY_CHANNEL] = "c.channel",
	[BY_DAY] = "c.started_at",
	[BY_WEEK] = "c.started_at",
	[BY_MONTH] = "c.started_at",
};

/* A growing array: durations, or ids. */
struct values {
	int64_t *v;
	size_t n, cap;
};

/* A group as the rows come: its durations, unsorted, and its sums. */
struct group {
	char *name;
	struct values ht, frt;
	long tagged;
	double *sum;		/* per criterion */
	long *scored;
};

/* A row read: a conversation of a group, by its index in the groups. */
struct member {
	int64_t id;
	size_t g;
};

/* A rating read: criterion crit (in the config's order) scored. */
struct rated {
	size_t crit;
	int score;
};

struct pass {
	struct group *groups;	/* as they came */
	size_t ngroups, cap;
	size_t *slots;		/* by name's hash: a group's index + 1, or 0 */
	size_t nslots;
	size_t last;		/* rows of a period come together */
	struct group total;
	struct values ids;	/* the total's conversations, once each */
	struct member *members;
	size_t nmembers, mcap;
	int64_t lo, hi;		/* their least and greatest id */
	size_t ncriteria;
	int grouped;		/* not --by: the total is the report */
};

/* Array v of n elements of size, with room for *cap, made room for one
 * more: v itself, or v moved to twice the room; NULL when out of memory
 * (reported; v is still the caller's, and *cap unchanged). */
static void *
room(void *v, size_t n, size_t *cap, size_t size)
{
	size_t more = *cap ? 2 * *cap : 64;

	if (n < *cap)
		return v;
	if ((v = realloc(v, more * size)) == NULL) {
		chat_err(ST_DB, "out of memory");
		return NULL;
	}
	*cap = more;
	return v;
}

static int
values_add(struct values *d, int64_t v)
{
	int64_t *nv;

	if ((nv = room(d->v, d->n, &d->cap, sizeof *nv)) == NULL)
		return ST_DB;
	d->v = nv;
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
median(struct values *d)
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
percentile(struct values *d, size_t pct)
{
	return (long)kth(d->v, d->n, (d->n * pct + 99) / 100 - 1);
}

/* v rounded to digits decimals by SQLite's round(), so that the figures
 * are those TSV and JSON have always shown. */
static double
rounded(double v, int digits)
{
	char buf[400];

	/* What round() does: its own printf, read back; no statement to
	 * step for a number. */
	sqlite3_snprintf(sizeof buf, buf, "%!.*f", digits, v);
	return strtod(buf, NULL);
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

/* FNV-1a, for the groups' table. */
static size_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Puts group g in the table of slots, which has room. */
static void
slot_put(struct pass *p, size_t g)
{
	size_t i, mask = p->nslots - 1;

	for (i = name_hash(p->groups[g].name) & mask; p->slots[i] != 0;
	    i = (i + 1) & mask)
		;
	p->slots[i] = g + 1;
}

/* The index of the group named name, made when new, in *g: found by its
 * hash in a table kept under half full, so that a report by a million
 * operators costs a lookup a row (libc's hsearch() is one table a
 * process, which cannot grow); the last one found is tried first. */
static int
group_find(struct pass *p, const char *name, size_t *g)
{
	size_t i, cap, *ns;
	struct group *ng;

	if (p->last < p->ngroups &&
	    strcmp(p->groups[p->last].name, name) == 0) {
		*g = p->last;
		return 0;
	}
	for (i = p->nslots ? name_hash(name) & (p->nslots - 1) : 0;
	    p->nslots && p->slots[i] != 0; i = (i + 1) & (p->nslots - 1))
		if (strcmp(p->groups[p->slots[i] - 1].name, name) == 0) {
			*g = p->last = p->slots[i] - 1;
			return 0;
		}
	if ((ng = room(p->groups, p->ngroups, &p->cap, sizeof *ng)) == NULL)
		return ST_DB;
	p->groups = ng;
	if (group_init(&p->groups[p->ngroups], name, p->ncriteria) != 0) {
		group_free(&p->groups[p->ngroups]);
		return ST_DB;
	}
	*g = p->last = p->ngroups++;
	if (2 * p->ngroups <= p->nslots) {
		slot_put(p, *g);
		return 0;
	}
	cap = p->nslots ? 2 * p->nslots : 64;
	if ((ns = calloc(cap, sizeof *ns)) == NULL) {
		chat_err(ST_DB, "out of memory");
		return ST_DB;
	}
	free(p->slots);
	p->slots = ns;
	p->nslots = cap;
	for (i = 0; i < p->ngroups; i++)
		slot_put(p, i);
	return 0;
}

static int
member_add(struct pass *p, int64_t id, size_t g)
{
	struct member *nm;

	if ((nm = room(p->members, p->nmembers, &p->mcap, sizeof *nm)) ==
	    NULL)
		return ST_DB;
	p->members = nm;
	p->members[p->nmembers].id = id;
	p->members[p->nmembers++].g = g;
	return 0;
}

/* The report's rows: a conversation's group, handling time, first
 * response and id, and with --by tag whether it has a tag; the filter's
 * parameters bound from 1. Unsorted: the figures are computed in C. The
 * statement is the caller's, to st_finalize(); NULL on failure. */
static struct stmt *
rows_query(const struct filter *f, enum stats_by by)
{
	sqlite3_str *sql = sqlite3_str_new(NULL);
	struct stmt *st = NULL;

	if (filter_explain(f))
		/* sql: constants */
		sqlite3_str_appendall(sql, DB_SQL("EXPLAIN QUERY PLAN ",
		    "EXPLAIN "));
	/* sql: constants; group_exprs is this file's */
	sqlite3_str_appendf(sql, "SELECT %s, c.closed_at - c.started_at,"
	    " c.first_response_at - c.first_visitor_at, c.id, %s"
	    " FROM conversations c", group_exprs[by],
	    by == BY_TAG ? "gct.tag IS NOT NULL" : "0");
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
	 * (0.15 s rather than 1.7 s at a million conversations).
	 * sql: constants */
	sqlite3_str_appendall(sql, DB_SQL(" AND +c.state = 'closed'",
	    " AND c.state = 'closed'"));
	/* A conversation's rows by its tags come one after the other on
	 * SQLite (see read_rows()); PostgreSQL may hash the join. */
	if (by == BY_TAG && db_engine_pg())
		sqlite3_str_appendall(sql, " ORDER BY c.id");
	db_prepare(sql, "reporting", &st);
	if (st != NULL && filter_bind(f, st, 1) != 0) {
		st_finalize(st);
		return NULL;
	}
	return st;
}

/* Adds a row's handling time, first response and tag to g. */
static int
group_add(struct group *g, struct stmt *row)
{
	g->tagged += st_int(row, 4);
	if (values_add(&g->ht, st_int64(row, 1)) != 0)
		return ST_DB;
	if (st_type(row, 2) == DB_NULL)
		return 0;
	return values_add(&g->frt, st_int64(row, 2));
}

/* The period of time t in local time, in name: a day YYYY-MM-DD, a month
 * YYYY-MM or an ISO 8601 week YYYY-Www, named by the year of its
 * Thursday. */
static void
period_name(enum stats_by by, int64_t t, char name[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	int shift = 0, monday;

	/* SQLite's 'localtime' takes a time outside 1970 to 2038-01-18 in
	 * the year 2000 + Y % 4 of the same calendar, for localtime_r()s
	 * that stop at 2038: so do its periods here. */
	if ((t < 0 || t > 2147385600) && gmtime_r(&tt, &tm) != NULL) {
		shift = 2000 + (tm.tm_year + 1900) % 4 - (tm.tm_year + 1900);
		tm.tm_year += shift;
		tt = timegm(&tm);
	}
	if (localtime_r(&tt, &tm) == NULL) {
		snprintf(name, 32, "%s", "");
		return;
	}
	/* The local day at noon, as UTC: its weekday and its week's
	 * Thursday by arithmetic. */
	tm.tm_year -= shift;
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tt = timegm(&tm);
	if (by == BY_WEEK) {
		gmtime_r(&tt, &tm);
		monday = (tm.tm_wday + 6) % 7;
		tt += (time_t)(3 - monday) * 86400;
	}
	gmtime_r(&tt, &tm);
	if (by == BY_WEEK)
		snprintf(name, 32, "%04d-W%02d", tm.tm_year + 1900,
		    tm.tm_yday / 7 + 1);
	else if (by == BY_MONTH)
		snprintf(name, 32, "%04d-%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1);
	else
		snprintf(name, 32, "%04d-%02d-%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
}

/* Reads the rows into their groups and the total: a conversation in
 * several groups (its tags) counts once in the total. Its rows come one
 * after the other: SQLite never reorders an outer join, so conversations
 * stay the outer loop of their LEFT JOIN to their tags. */
static int
read_rows(struct pass *p, struct stmt *st, enum stats_by by)
{
	const char *name;
	char period[32];
	int64_t id;
	size_t g = 0;
	int rc;

	p->lo = INT64_MAX;
	p->hi = INT64_MIN;
	while (db_row(st, "reporting", &rc)) {
		name = st_text(st, 0);
		if (by >= BY_DAY) {
			period_name(by, st_int64(st, 0), period);
			name = period;
		}
		id = st_int64(st, 3);
		if (p->grouped && (group_find(p, name ? (const char *)name :
		    "", &g) != 0 || group_add(&p->groups[g], st) != 0 ||
		    member_add(p, id, g) != 0))
			return ST_DB;
		if (p->ids.n > 0 && p->ids.v[p->ids.n - 1] == id)
			continue;
		if (values_add(&p->ids, id) != 0 ||
		    group_add(&p->total, st) != 0)
			return ST_DB;
		if (id < p->lo)
			p->lo = id;
		if (id > p->hi)
			p->hi = id;
	}
	return rc;
}

/* The ratings of the conversations between lo and hi, by id, and those of
 * them that have a tag: read by a range of ids rather than looked up per
 * row, which cost more than the rest of the report; kept in arrays as
 * long as the rows, whatever the ids. */
struct facts {
	struct values tagged;	/* ids, ascending */
	struct values rated;	/* ids, ascending, one per rating */
	struct rated *ratings;	/* the ratings of those */
	size_t cap;
	size_t tag, rat;	/* where the last lookup ended in each */
};

static int
facts_read(struct facts *fx, const struct pass *p, const struct stats *s,
    int tagged)
{
	struct stmt *tags = db_prep("SELECT DISTINCT conversation FROM"
	    " conversation_tags WHERE conversation BETWEEN ?1 AND ?2"
	    " ORDER BY conversation");
	struct stmt *ratings = db_prep("SELECT conversation, criterion,"
	    " score FROM ratings WHERE conversation BETWEEN ?1 AND ?2"
	    " ORDER BY conversation");
	struct rated *nr;
	const char *crit;
	size_t c;
	int rc = 0;

	if (tags == NULL || ratings == NULL)
		return ST_DB;
	st_bind_int(tags, 1, p->lo);
	st_bind_int(tags, 2, p->hi);
	while (rc == 0 && tagged && db_row(tags, "reporting", &rc))
		rc = values_add(&fx->tagged, st_int64(tags, 0));
	st_reset(tags);
	st_bind_int(ratings, 1, p->lo);
	st_bind_int(ratings, 2, p->hi);
	while (rc == 0 && s->ncriteria > 0 &&
	    db_row(ratings, "reporting", &rc)) {
		crit = st_text(ratings, 1);
		for (c = 0; c < s->ncriteria; c++)
			if (strcmp(crit, s->criteria[c].name) == 0)
				break;
		if (c == s->ncriteria)
			continue;	/* a criterion no longer asked */
		if ((nr = room(fx->ratings, fx->rated.n, &fx->cap,
		    sizeof *nr)) == NULL) {
			rc = ST_DB;
			break;
		}
		fx->ratings = nr;
		nr = &fx->ratings[fx->rated.n];
		nr->crit = c;
		nr->score = st_int(ratings, 2);
		rc = values_add(&fx->rated, st_int64(ratings, 0));
	}
	st_reset(ratings);
	return rc;
}

/* The first of the ascending values of v not less than id: from *at
 * forward while ids come ascending, as a scan of the table reads them, so
 * that a report's lookups cost one pass over the facts; by bisection
 * before it when an id comes back. */
static size_t
seek(const struct values *v, size_t *at, int64_t id)
{
	size_t lo = 0, hi = *at, mid;

	if (*at < v->n && v->v[*at] < id) {
		while (*at < v->n && v->v[*at] < id)
			++*at;
		return *at;
	}
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (v->v[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return *at = lo;
}

/* Conversation id's facts: whether it has a tag, and where its ratings
 * are (from *first, count *n). */
static int
facts_find(struct facts *fx, int64_t id, size_t *first, size_t *n)
{
	size_t i = seek(&fx->rated, &fx->rat, id);
	size_t t = seek(&fx->tagged, &fx->tag, id);

	*first = i;
	for (*n = 0; i < fx->rated.n && fx->rated.v[i] == id; i++)
		++*n;
	return t < fx->tagged.n && fx->tagged.v[t] == id;
}

static void
facts_add(const struct facts *fx, struct group *g, int tagged,
    size_t first, size_t n)
{
	const struct rated *r;

	g->tagged += tagged;
	for (r = fx->ratings + first; r < fx->ratings + first + n; r++) {
		g->sum[r->crit] += r->score;
		g->scored[r->crit]++;
	}
}

/* Whether each conversation of the report has a tag, and its ratings,
 * looked up once per conversation and added to the total and to each
 * group it is in: the members of one come one after the other, as its
 * rows did. */
static int
read_facts(struct pass *p, const struct stats *s, int tagged)
{
	struct facts fx;
	size_t k, n = p->grouped ? p->nmembers : p->ids.n, first = 0, nr = 0;
	int64_t id, prev = 0;
	int rc, has_tag = 0;

	if (p->ids.n == 0 || (!tagged && s->ncriteria == 0))
		return 0;	/* nothing closed, or nothing to read */
	memset(&fx, 0, sizeof fx);
	if ((rc = facts_read(&fx, p, s, tagged)) == 0)
		for (k = 0; k < n; k++) {
			id = p->grouped ? p->members[k].id : p->ids.v[k];
			if (k == 0 || id != prev) {
				has_tag = facts_find(&fx, id, &first, &nr);
				facts_add(&fx, &p->total, has_tag, first, nr);
				prev = id;
			}
			if (p->grouped)
				facts_add(&fx, &p->groups[p->members[k].g],
				    has_tag, first, nr);
		}
	free(fx.tagged.v);
	free(fx.rated.v);
	free(fx.ratings);
	return rc;
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
	sqlite3_str *sql = sqlite3_str_new(NULL);
	struct stmt *st = NULL;
	int rc = ST_DB;

	sqlite3_str_appendall(sql, "SELECT count(CASE WHEN c.state = 'open'"
	    " THEN 1 END), count(CASE WHEN c.state = 'parked' THEN 1 END)"
	    " FROM conversations c");
	if (filter_where(f, sql, 1) < 0) {
		sqlite3_free(sqlite3_str_finish(sql));
		return ST_CONFIG;
	}
	/* An equality the state index serves, not a scan of the closed. */
	sqlite3_str_appendall(sql, " AND c.state IN ('open', 'parked')");
	if ((rc = db_prepare(sql, "counting", &st)) == 0 &&
	    (rc = filter_bind(f, st, 1)) == 0 &&
	    db_row(st, "counting", &rc)) {
		s->open = (long)st_int64(st, 0);
		s->parked = (long)st_int64(st, 1);
	}
	st_finalize(st);
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
	free(p->slots);
	group_free(&p->total);
	free(p->ids.v);
	free(p->members);
}

/* A group's name and index, to put the groups in order. */
struct named {
	const char *name;
	size_t i;
};

static int
named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name,
	    ((const struct named *)b)->name);
}

/* The groups' figures in s->rows, by name as SQLite's BINARY orders them,
 * then the total's. */
static int
rows_made(struct stats *s, struct pass *p)
{
	struct named *order = calloc(p->ngroups + 1, sizeof *order);
	size_t i;
	int rc = 0;

	s->rows = calloc(p->ngroups + 1, sizeof *s->rows);
	if (order == NULL || s->rows == NULL) {
		free(order);
		return chat_err(ST_DB, "out of memory");
	}
	for (i = 0; i < p->ngroups; i++) {
		order[i].name = p->groups[i].name;
		order[i].i = i;
	}
	qsort(order, p->ngroups, sizeof *order, named_cmp);
	for (i = 0; rc == 0 && p->grouped && i < p->ngroups; i++)
		rc = figures(&s->rows[s->nrows++], &p->groups[order[i].i],
		    s->ncriteria);
	free(order);
	return rc ? rc : figures(&s->total, &p->total, s->ncriteria);
}

int
stats_compute(const struct filter *f, enum stats_by by, struct stats **out)
{
	const struct config *cfg;
	struct pass p;
	struct stats *s;
	struct stmt *st = NULL;
	int rc, own;

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
	/* One snapshot for every read: the rows, their facts, the rest; the
	 * caller's when it has one, for several reports that must agree. */
	own = !db_in_transaction();
	if ((rc = own ? db_begin_read() : 0) == 0 &&
	    (rc = group_init(&p.total, "(total)", s->ncriteria)) == 0 &&
	    (rc = (st = rows_query(f, by)) == NULL ? ST_DB : 0) == 0 &&
	    (rc = read_rows(&p, st, by)) == 0 &&
	    (rc = read_facts(&p, s, by != BY_TAG)) == 0 &&
	    (rc = uncounted(f, s)) == 0)
		rc = rows_made(s, &p);
	st_finalize(st);
	pass_free(&p);
	if (own)
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
	struct stmt *plan = rows_query(f, by);

	return plan == NULL ? ST_DB : plan_print(plan);
}
