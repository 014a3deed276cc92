/* batch.c: the write side shared by the tools that change conversations:
 * events, and batches of ids that commit whole. A change refuses an id
 * before writing anything for it, so a refused id needs no undoing; a
 * failure of the database undoes the batch. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "libchat.h"

#define BATCH_MAX 10000

struct batch {
	int quiet, dry_run;
	int64_t *ids;		/* left in the asked state, printed on commit */
	size_t n, cap, item_start;
	long items;
	int64_t mark;		/* last event before the item, for -n */
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
conv_exists(int64_t id)
{
	sqlite3_stmt *st = db_prep("SELECT 1 FROM conversations WHERE id = ?");
	int rc;

	if (st == NULL)
		return ST_DB;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step(st, "looking up a conversation");
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return chat_err(ST_SOME, "%lld: no such conversation",
		    (long long)id);
	return rc == -1 ? ST_DB : 0;
}

int
batch_open(struct batch **out, int quiet, int dry_run)
{
	struct batch *b = calloc(1, sizeof *b);

	if ((*out = b) == NULL)
		return chat_err(ST_DB, "out of memory");
	b->quiet = quiet;
	b->dry_run = dry_run;
	return 0;
}

static int64_t
last_event(void)
{
	sqlite3_stmt *st = db_prep("SELECT max(id) FROM events");
	int64_t id = 0;

	if (st != NULL && db_step(st, "reading events") == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	if (st != NULL)
		sqlite3_reset(st);
	return id;
}

int
batch_item(struct batch *b)
{
	int rc;

	if (b->items == 0 && (rc = db_begin()) != 0)
		return rc;
	b->item_start = b->n;
	if (b->dry_run)
		b->mark = last_event();
	return 0;
}

/* -n shows the events the item would have written. */
static int
describe(struct batch *b)
{
	sqlite3_stmt *st = db_prep("SELECT conversation, action, detail"
	    " FROM events WHERE id > ? ORDER BY id");
	int rc;

	if (st == NULL)
		return ST_DB;
	sqlite3_bind_int64(st, 1, b->mark);
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

static int
flush(struct batch *b)
{
	size_t i;
	int rc = 0;

	if (b->items == 0)
		return 0;
	b->items = 0;
	if (b->dry_run)
		db_rollback();
	else if ((rc = db_commit()) == 0 && !b->quiet)
		for (i = 0; i < b->n; i++)
			printf("%lld\n", (long long)b->ids[i]);
	b->n = 0;
	fflush(stdout);
	return rc;
}

int
batch_keep(struct batch *b, int64_t id)
{
	int64_t *ids;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		if ((ids = realloc(b->ids, b->cap * sizeof *ids)) == NULL)
			return chat_err(ST_DB, "out of memory");
		b->ids = ids;
	}
	b->ids[b->n++] = id;
	return 0;
}

int
batch_item_end(struct batch *b, int64_t id, int status, int ready)
{
	if (status == 0 && b->dry_run)
		status = describe(b);
	if (status == 0 && id > 0)
		status = batch_keep(b, id);
	if (status == ST_SOME || status == ST_DATA)
		b->n = b->item_start;
	else if (status != 0) {
		db_rollback();
		b->items = 0;
		b->n = 0;
		return status;
	}
	if (++b->items >= BATCH_MAX || !ready)
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
	free(b->ids);
	free(b);
	return rc;
}
