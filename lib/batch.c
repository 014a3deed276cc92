/* batch.c: the write side shared by the tools that change conversations:
 * events, and batches of ids that commit whole. The ids of a batch wait in
 * the temporary table batch and are then applied together, a statement per
 * kind of row rather than per id: the cost of a statement, not of a row,
 * is what a pipe of 100,000 ids would otherwise pay 100,000 times. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "libchat.h"

#define BATCH_MAX 10000

struct batch {
	int quiet, dry_run;
	long n;			/* ids in the open batch */
	batch_fn *apply;
	const void *req;
};

int
event_add(int64_t conv, time_t at, const char *action, const char *detail)
{
	sqlite3_stmt *st = db_prep("INSERT INTO events (conversation, at,"
	    " actor, action, detail) VALUES (?, ?, ?, ?, ?)");
	int rc;

	if (st == NULL)
		return ST_DB;
	sqlite3_bind_int64(st, 1, conv);
	sqlite3_bind_int64(st, 2, at);
	db_bind_text(st, 3, actor());
	db_bind_text(st, 4, action);
	db_bind_text(st, 5, detail);
	rc = db_step(st, "recording an event");
	sqlite3_reset(st);
	return rc == -1 ? ST_DB : 0;
}

int
event_last(int64_t *id)
{
	sqlite3_stmt *st = db_prep("SELECT coalesce(max(id), 0) FROM events");
	int rc;

	if (st == NULL)
		return ST_DB;
	if ((rc = db_step(st, "reading events")) == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : ST_DB;
}

int
batch_run(const char *sql, const char *context, const char *types, ...)
{
	sqlite3_stmt *st = db_prep(sql);
	va_list ap;
	int i, rc;

	if (st == NULL)
		return ST_DB;
	va_start(ap, types);
	for (i = 0; types[i] != '\0'; i++) {
		if (types[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		else
			db_bind_text(st, i + 1, va_arg(ap, const char *));
	}
	va_end(ap);
	while ((rc = db_step(st, context)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	return rc == -1 ? ST_DB : 0;
}

int
batch_open(struct batch **out, int quiet, int dry_run, batch_fn *apply,
    const void *req)
{
	struct batch *b;

	/* Keyed by id, the batch joins conversations in their order; an id
	 * given twice in a batch is applied once. */
	if (db_exec("CREATE TEMP TABLE IF NOT EXISTS batch (id INTEGER"
	    " PRIMARY KEY, seq INTEGER NOT NULL, status INTEGER, why TEXT);"
	    " CREATE TEMP VIEW IF NOT EXISTS batch_ok AS SELECT id FROM batch"
	    " WHERE status IS NULL", "preparing a batch") != 0)
		return ST_DB;
	if ((*out = b = calloc(1, sizeof *b)) == NULL)
		return chat_err(ST_DB, "out of memory");
	b->quiet = quiet;
	b->dry_run = dry_run;
	b->apply = apply;
	b->req = req;
	return 0;
}

/* The refusals, in the order the ids came. */
static int
report(void)
{
	sqlite3_stmt *st = db_prep("SELECT status, why FROM batch"
	    " WHERE status > 0 ORDER BY seq");
	int rc;

	if (st == NULL)
		return ST_DB;
	while ((rc = db_step(st, "reading a batch")) == SQLITE_ROW)
		chat_err(sqlite3_column_int(st, 0), "%s",
		    (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return rc == -1 ? ST_DB : 0;
}

/* -n shows the events the batch would have written, by conversation in
 * the order the ids came. */
static int
describe(int64_t mark)
{
	sqlite3_stmt *st = db_prep("SELECT e.conversation, e.action, e.detail"
	    " FROM events e JOIN batch b ON b.id = e.conversation"
	    " WHERE e.id > ? ORDER BY b.seq, e.id");
	int rc;

	if (st == NULL)
		return ST_DB;
	sqlite3_bind_int64(st, 1, mark);
	while ((rc = db_step(st, "reading events")) == SQLITE_ROW) {
		printf("%lld %s", (long long)sqlite3_column_int64(st, 0),
		    sqlite3_column_text(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			putchar(' ');
			put_text((const char *)sqlite3_column_text(st, 2), 0);
		}
		putchar('\n');
	}
	sqlite3_reset(st);
	return rc == -1 ? ST_DB : 0;
}

int
batch_print(const char *sql)
{
	sqlite3_stmt *st = db_prep(sql);
	int rc;

	if (st == NULL)
		return ST_DB;
	while ((rc = db_step(st, "printing ids")) == SQLITE_ROW)
		printf("%lld\n", (long long)sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	return rc == -1 ? ST_DB : 0;
}

static int
flush(struct batch *b)
{
	int64_t mark = 0;
	int rc;

	if (b->n == 0)
		return 0;
	b->n = 0;
	rc = b->dry_run ? event_last(&mark) : 0;
	if (rc == 0)
		rc = batch_run("UPDATE batch SET status = ?1, why = format('%d: no such"
	    " conversation', id) WHERE status IS NULL AND NOT EXISTS"
	    " (SELECT 1 FROM conversations WHERE id = batch.id)", "reading a batch", "i",
	    (int64_t)ST_SOME);
	if (rc == 0)
		rc = b->apply(b->req);
	if (rc == 0)
		rc = report();
	if (rc == 0 && b->dry_run)
		rc = describe(mark);
	if (rc != 0 || b->dry_run)
		db_rollback();
	else if ((rc = db_commit()) == 0 && !b->quiet)
		rc = batch_print("SELECT id FROM batch WHERE status IS NULL"
		    " ORDER BY seq");
	fflush(stdout);
	return rc;
}

int
batch_add(struct batch *b, int64_t id, int ready)
{
	int rc;

	/* What the last batch left in the table goes in this transaction. */
	if (b->n == 0 && ((rc = db_begin()) != 0 ||
	    (rc = db_exec("DELETE FROM batch", "starting a batch")) != 0))
		return rc;
	if ((rc = batch_run("INSERT INTO batch (id, seq) VALUES (?, ?)"
	    " ON CONFLICT DO NOTHING", "starting a batch", "ii", id,
	    (int64_t)b->n)) != 0) {
		db_rollback();
		b->n = 0;
		return rc;
	}
	if (++b->n >= BATCH_MAX || !ready)
		return flush(b);
	return 0;
}

int
batch_close(struct batch *b)
{
	int rc;

	if (b == NULL)
		return 0;
	rc = flush(b);
	free(b);
	return rc;
}
