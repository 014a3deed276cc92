/* listing.c: notes, ratings and the tag catalogue as listings, for one
 * conversation at a time or all of them. */
#include <stdlib.h>

#include "libchat.h"

static const struct col note_cols[] = {
	{"id", COL_INT}, {"at", COL_TIME}, {"author", COL_TEXT},
	{"note", COL_TEXT},
};
static const struct col rating_cols[] = {
	{"id", COL_INT}, {"criterion", COL_TEXT}, {"score", COL_INT},
	{"rated", COL_TIME}, {"by", COL_TEXT},
};
/* The deliveries --pending lists: those waiting, and the failed ones no
 * newer delivery replaced. */
#define OUTSTANDING "(d.state = 'pending' OR (d.state = 'failed' AND NOT " \
	DELIVERY_REPLACED "))"

static const struct col delivery_cols[] = {
	{"id", COL_INT}, {"target", COL_TEXT}, {"state", COL_TEXT},
	{"attempts", COL_INT}, {"next", COL_TIME}, {"error", COL_TEXT},
	{"delivery", COL_INT},
};
static const struct col tag_cols[] = {
	{"tag", COL_TEXT}, {"conversations", COL_INT}, {"created", COL_TIME},
};

/* A kind's rows for one conversation and for all; with -o ids, ids: each
 * conversation once, in the order of its first row in all. */
static const struct kind {
	const struct col *cols;
	size_t ncols;
	const char *one, *all, *ids;
} kinds[] = {
	[LIST_NOTES] = { note_cols, 4,
	    "SELECT conversation, at, author, body FROM notes"
	    " WHERE conversation = ? ORDER BY at, id",
	    "SELECT conversation, at, author, body FROM notes"
	    " ORDER BY at DESC, id DESC",
	    "SELECT conversation FROM notes GROUP BY conversation"
	    " ORDER BY max(at) DESC, max(id) DESC" },
	[LIST_RATINGS] = { rating_cols, 5,
	    "SELECT conversation, criterion, score, rated_at, rated_by"
	    " FROM ratings WHERE conversation = ? ORDER BY criterion",
	    "SELECT conversation, criterion, score, rated_at, rated_by"
	    " FROM ratings ORDER BY conversation DESC, criterion",
	    "SELECT DISTINCT conversation FROM ratings"
	    " ORDER BY conversation DESC" },
	[LIST_TAGS] = { tag_cols, 3, NULL, NULL, NULL },
	[LIST_DELIVERIES] = { delivery_cols, 7,
	    "SELECT conversation, target, state, attempts, CASE state WHEN"
	    " 'pending' THEN next_attempt_at END, last_error, id"
	    " FROM deliveries d WHERE conversation = ? AND " OUTSTANDING
	    " ORDER BY id",
	    "SELECT conversation, target, state, attempts, CASE state WHEN"
	    " 'pending' THEN next_attempt_at END, last_error, id"
	    " FROM deliveries d WHERE " OUTSTANDING
	    " ORDER BY state DESC, next_attempt_at NULLS FIRST, id",
	    "SELECT conversation FROM deliveries d WHERE " OUTSTANDING
	    " GROUP BY conversation ORDER BY max(state) DESC,"
	    " min(next_attempt_at) NULLS FIRST, min(id)" },
};

struct listing {
	const struct kind *kind;
	enum list_kind which;
	enum fmt fmt;
	struct out *out;
	long rows;
};

static struct listing *
list_open(enum list_kind which, enum fmt fmt)
{
	struct listing *l = calloc(1, sizeof *l);

	if (l == NULL) {
		chat_err(ST_DB, "out of memory");
		return NULL;
	}
	l->which = which;
	l->fmt = fmt;
	l->kind = &kinds[which];
	if ((l->out = out_begin(fmt, l->kind->cols, l->kind->ncols)) == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

/* The rows of st, or with -o ids only its first: one conversation's. */
static int
rows(struct listing *l, struct stmt *st, int one)
{
	int status = 0;

	while (status == 0 && db_row(st, "listing", &status)) {
		status = out_row(l->out, st);
		l->rows++;
		if (one && l->fmt == FMT_IDS)
			break;
	}
	return status;
}

static int
list_id(struct listing *l, int64_t id)
{
	struct stmt *st;
	int rc;

	if ((rc = conv_check(id)) != 0)
		return rc;
	if ((st = db_prep(l->kind->one)) == NULL)
		return ST_DB;
	st_bind_int(st, 1, id);
	rc = rows(l, st, 1);
	st_reset(st);
	return rc;
}

/* The catalogue: the database's tags and the config's not used yet, their
 * names as stored and keys made here. The statement is the caller's, to
 * st_finalize(); NULL on failure. */
static struct stmt *
catalogue(void)
{
	const struct config *cfg;
	sqlite3_str *sql = sqlite3_str_new(NULL);
	struct stmt *st = NULL;
	char *s;
	size_t i;

	if (config_get(&cfg) != 0)
		return NULL;
	/* PostgreSQL orders a UNION only by its columns as they are: the
	 * NOCASE order, lower() in "C", is over it as a subquery. */
	/* sql: constants */
	sqlite3_str_appendall(sql, DB_SQL("", "SELECT * FROM ("));
	sqlite3_str_appendall(sql, "SELECT name, (SELECT count(*) FROM"
	    " conversation_tags WHERE tag = t.id), created_at FROM tags t");
	if (cfg->ntags_catalog > 0) {
		sqlite3_str_appendall(sql, " UNION ALL SELECT column1,"
		    " 0, NULL FROM (VALUES");
		for (i = 0; i < cfg->ntags_catalog; i++)
			/* sql: constants */
			sqlite3_str_appendall(sql, i ? ", (?, ?)" : " (?, ?)");
		sqlite3_str_appendall(sql, ") AS v WHERE column2 NOT IN"
		    " (SELECT key FROM tags)");
	}
	/* sql: constants */
	sqlite3_str_appendall(sql, DB_SQL(" ORDER BY 1 COLLATE NOCASE",
	    ") AS catalogue ORDER BY lower(name COLLATE \"C\")"));
	db_prepare(sql, "listing tags", &st);
	for (i = 0; st != NULL && i < cfg->ntags_catalog; i++) {
		if ((s = tag_nfc(cfg->tags_catalog[i])) != NULL)
			st_bind_textn(st, (int)(2 * i + 1), s, -1, free);
		if ((s = tag_fold(cfg->tags_catalog[i])) != NULL)
			st_bind_textn(st, (int)(2 * i + 2), s, -1, free);
	}
	return st;
}

static int
list_all(struct listing *l)
{
	struct stmt *st;
	int rc;

	if (l->which == LIST_TAGS) {
		if ((st = catalogue()) == NULL)
			return ST_DB;
		rc = rows(l, st, 0);
		st_finalize(st);
		return rc;
	}
	if (l->fmt == FMT_IDS)
		st = db_prep(l->kind->ids);
	else
		st = db_prep(l->kind->all);
	if (st == NULL)
		return ST_DB;
	rc = rows(l, st, 0);
	st_reset(st);
	return rc;
}

static long
list_close(struct listing *l)
{
	long n;

	if (l == NULL)
		return 0;
	n = l->rows;
	out_end(l->out);
	free(l);
	return n;
}

/* The listing mode of chat-note and chat-rate: the ids given as operands
 * or piped in (none piped in: none listed), or, with all (--all), every
 * conversation. Exit 1 when nothing was listed. */
int
list_run(enum list_kind which, enum fmt fmt, char **argv, int argc,
    int by_ref, int all)
{
	struct listing *l;
	struct ids *ids = NULL;
	int64_t id;
	int rc = 0;

	if (!all && (rc = ids_open(&ids, argv, argc, by_ref)) != 0)
		return rc;
	if ((l = list_open(which, fmt)) == NULL) {
		ids_close(ids);
		return ST_DB;
	}
	while (ids != NULL && ids_next(ids, &id, &rc))
		if ((rc = list_id(l, id)) != 0 && rc != ST_SOME)
			break;
	ids_close(ids);
	if (all)
		rc = list_all(l);
	if (list_close(l) == 0 && rc == 0)
		chat_status(ST_SOME);
	return rc;
}
