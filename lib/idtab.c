/* idtab.c: the ids of the open batch, kept in C once each in the order they
 * came, with what refused them. SQL sees those still standing as the table
 * batch_ok (id, seq): on SQLite a virtual table over the C array (copied
 * into a temporary table instead, the ids cost a statement each or a
 * b-tree insert each, a fifth of a piped batch's work); on PostgreSQL,
 * which has no such thing, a temporary table filled by one statement per
 * batch. A query refuses ids by returning them (idtab_refuse()). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libchat.h"

/* The batch open in this process: the one idtab_refuse() refuses ids of. */
static struct idtab *current;

struct table {
	sqlite3_vtab base;
	struct idtab *t;
};

struct cursor {
	sqlite3_vtab_cursor base;
	const struct idtab *t;
	long i;
};

/* An index into t->id for id: the slot where it is, or the empty one where
 * it goes. */
static uint32_t *
slot(const struct idtab *t, int64_t id)
{
	uint32_t h = (uint32_t)(((uint64_t)id * 0x9E3779B97F4A7C15u) >> 40);
	uint32_t mask = t->nslot - 1;

	for (h &= mask; t->slot[h] != 0; h = (h + 1) & mask)
		if (t->id[t->slot[h] - 1] == id)
			break;
	return &t->slot[h];
}

static int
connect(sqlite3 *c, void *aux, int argc, const char *const *argv,
    sqlite3_vtab **out, char **err)
{
	struct table *v;
	int rc;

	(void)argc, (void)argv, (void)err;
	if ((rc = sqlite3_declare_vtab(c, "CREATE TABLE x (id INTEGER,"
	    " seq INTEGER)")) != SQLITE_OK)
		return rc;
	if ((v = sqlite3_malloc(sizeof *v)) == NULL)
		return SQLITE_NOMEM;
	*v = (struct table){ .t = aux };
	*out = &v->base;
	return SQLITE_OK;
}

/* A scan, in the order the ids came: ORDER BY seq costs nothing. */
static int
best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
	const struct idtab *t = ((struct table *)vt)->t;

	info->estimatedRows = t->n;
	info->estimatedCost = (double)t->n;
	if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == 1 &&
	    !info->aOrderBy[0].desc)
		info->orderByConsumed = 1;
	return SQLITE_OK;
}

static int
disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

static int
open_cursor(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	struct cursor *c;

	if ((c = sqlite3_malloc(sizeof *c)) == NULL)
		return SQLITE_NOMEM;
	*c = (struct cursor){ .t = ((struct table *)vt)->t };
	*out = &c->base;
	return SQLITE_OK;
}

static int
close_cursor(sqlite3_vtab_cursor *c)
{
	sqlite3_free(c);
	return SQLITE_OK;
}

static int
next(sqlite3_vtab_cursor *vc)
{
	struct cursor *c = (struct cursor *)vc;

	while (++c->i < c->t->n && c->t->status[c->i] != IDTAB_STANDING)
		;
	return SQLITE_OK;
}

static int
filter(sqlite3_vtab_cursor *vc, int plan, const char *plan_name, int argc,
    sqlite3_value **argv)
{
	struct cursor *c = (struct cursor *)vc;

	(void)plan, (void)plan_name, (void)argc, (void)argv;
	c->i = -1;
	return next(vc);
}

static int
eof(sqlite3_vtab_cursor *vc)
{
	const struct cursor *c = (struct cursor *)vc;

	return c->i >= c->t->n;
}

static int
column(sqlite3_vtab_cursor *vc, sqlite3_context *ctx, int col)
{
	const struct cursor *c = (struct cursor *)vc;

	sqlite3_result_int64(ctx, col == 0 ? c->t->id[c->i] : c->i);
	return SQLITE_OK;
}

static int
rowid(sqlite3_vtab_cursor *vc, sqlite3_int64 *out)
{
	*out = ((struct cursor *)vc)->i;
	return SQLITE_OK;
}

/* Eponymous only (no xCreate): the table exists without CREATE VIRTUAL
 * TABLE, and nothing of it is written to the database file. */
static const sqlite3_module module = {
	.xConnect = connect,
	.xBestIndex = best_index,
	.xDisconnect = disconnect,
	.xOpen = open_cursor,
	.xClose = close_cursor,
	.xFilter = filter,
	.xNext = next,
	.xEof = eof,
	.xColumn = column,
	.xRowid = rowid,
};

int
idtab_open(struct idtab *t, long max)
{
	int rc = 0;

	for (t->nslot = 1; t->nslot < 2 * (uint32_t)max; t->nslot *= 2)
		;
	t->n = 0;
	t->id = malloc(max * sizeof *t->id);
	t->status = malloc(max * sizeof *t->status);
	t->why = calloc(max, sizeof *t->why);
	t->slot = calloc(t->nslot, sizeof *t->slot);
	if (t->id == NULL || t->status == NULL || t->why == NULL ||
	    t->slot == NULL) {
		idtab_free(t);
		return chat_err(ST_DB, "out of memory");
	}
	/* Its rows go at the end of each batch's transaction, committed or
	 * not. */
	if (db_engine_pg())
		rc = db_exec("CREATE TEMP TABLE IF NOT EXISTS batch_ok (id bigint"
		    " PRIMARY KEY, seq bigint NOT NULL) ON COMMIT DELETE ROWS",
		    "preparing a batch");
	else if (sqlite3_create_module(sqlite_handle(), "batch_ok", &module,
	    t) != SQLITE_OK)
		rc = db_fail("preparing a batch");
	if (rc != 0) {
		idtab_free(t);
		return rc;
	}
	current = t;
	return 0;
}

/* id after the others in a PostgreSQL array's text, {1,2,3}, which the
 * caller closes with '}'. */
static void
append_id(sqlite3_str *a, int64_t id)
{
	sqlite3_str_appendf(a, "%c%lld", sqlite3_str_length(a) ? ',' : '{',
	    (long long)id);
}

/* Runs sql on the ids in the array text a, a sqlite3_str finished and
 * freed here. */
static int
run_array(const char *sql, const char *context, sqlite3_str *a)
{
	char *text;
	int rc;

	sqlite3_str_appendchar(a, 1, '}');
	if ((text = sqlite3_str_finish(a)) == NULL)
		return chat_err(ST_DB, "out of memory");
	rc = db_run(sql, context, "t", text);
	sqlite3_free(text);
	return rc;
}

int
idtab_load(const struct idtab *t)
{
	sqlite3_str *a;
	long i;
	int rc;

	if (!db_engine_pg() || t->n == 0)
		return 0;
	a = sqlite3_str_new(NULL);
	for (i = 0; i < t->n; i++)
		append_id(a, t->id[i]);
	if ((rc = run_array("INSERT INTO batch_ok SELECT * FROM unnest(CAST(?1"
	    " AS bigint[])) WITH ORDINALITY", "reading a batch", a)) != 0)
		return rc;
	/* A temporary table has no statistics unless made: without them the
	 * planner takes batch_ok for thousands of rows, and joins it to
	 * conversations by reading all of them (10 ms a statement at
	 * 100,000 conversations, for one id). */
	return db_exec("ANALYZE batch_ok", "reading a batch");
}

int
idtab_refuse(int status, const char *sql, const char *context,
    const char *types, ...)
{
	struct idtab *t = current;
	struct stmt *st = db_prep(sql);
	sqlite3_str *gone;
	const char *why;
	uint32_t *s;
	va_list ap;
	long i;
	int rc;

	if (st == NULL)
		return ST_DB;
	va_start(ap, types);
	st_bindv(st, types, ap);
	va_end(ap);
	gone = sqlite3_str_new(NULL);
	while (db_row(st, context, &rc)) {
		s = slot(t, st_int64(st, 0));
		if (*s == 0 || t->status[i = *s - 1] != IDTAB_STANDING)
			continue;
		why = st_text(st, 1);
		if (why != NULL && (t->why[i] = strdup(why)) == NULL) {
			rc = chat_err(ST_DB, "out of memory");
			break;
		}
		t->status[i] = status;
		append_id(gone, t->id[i]);
	}
	st_reset(st);
	if (rc != 0 || !db_engine_pg() || sqlite3_str_length(gone) == 0) {
		sqlite3_free(sqlite3_str_finish(gone));
		return rc;
	}
	return run_array("DELETE FROM batch_ok WHERE id = ANY (CAST(?1 AS"
	    " bigint[]))", context, gone);
}

/* Adds id unless the batch has it already: an id given twice is applied
 * once, where it first came. */
void
idtab_add(struct idtab *t, int64_t id)
{
	uint32_t *s = slot(t, id);

	if (*s != 0)
		return;
	t->id[t->n] = id;
	t->status[t->n] = IDTAB_STANDING;
	*s = (uint32_t)++t->n;
}

static void
free_why(struct idtab *t)
{
	long i;

	for (i = 0; i < t->n; i++) {
		free(t->why[i]);
		t->why[i] = NULL;
	}
}

void
idtab_clear(struct idtab *t)
{
	free_why(t);
	memset(t->slot, 0, t->nslot * sizeof *t->slot);
	t->n = 0;
}

/* The table goes with t: nothing is left pointing at it. */
void
idtab_free(struct idtab *t)
{
	sqlite3 *db;

	if (current == t)
		current = NULL;

	if (t->why != NULL)
		free_why(t);
	free(t->id);
	free(t->status);
	free(t->why);
	free(t->slot);
	*t = (struct idtab){ 0 };
	if ((db = sqlite_handle()) != NULL)
		sqlite3_create_module(db, "batch_ok", NULL, NULL);
}
