/* batch.c: the write side shared by the tools that change conversations:
 * events, and batches of ids that commit whole. The ids of a batch wait in
 * an idtab and are then applied together, a statement per kind of row
 * rather than per id: the cost of a statement, not of a row, is what a
 * pipe of 100,000 ids would otherwise pay 100,000 times. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "libchat.h"

#define BATCH_MAX 10000

struct batch {
	int quiet, dry_run;
	long inputs;		/* ids given to the open batch */
	struct idtab ids;
	batch_fn *apply;
	const void *req;
};

int
event_add(int64_t conv, time_t at, const char *action, const char *detail)
{
	return event_add_by(conv, at, actor(), action, detail);
}

int
event_add_by(int64_t conv, time_t at, const char *who, const char *action,
    const char *detail)
{
	struct stmt *st = db_prep("INSERT INTO events (conversation, at,"
	    " actor, action, detail) VALUES (?, ?, ?, ?, ?)");

	if (st == NULL)
		return ST_DB;
	st_bind_int(st, 1, conv);
	st_bind_int(st, 2, at);
	st_bind_text(st, 3, who);
	st_bind_text(st, 4, action);
	st_bind_text(st, 5, detail);
	return db_done(st, "recording an event");
}

int
event_last(int64_t *id)
{
	struct stmt *st = db_prep("SELECT coalesce(max(id), 0) FROM events");
	int rc;

	if (st == NULL)
		return ST_DB;
	if (db_row(st, "reading events", &rc))
		*id = st_int64(st, 0);
	st_reset(st);
	return rc;
}

int
batch_open(struct batch **out, int quiet, int dry_run, batch_fn *apply,
    const void *req)
{
	struct batch *b;
	int rc;

	if ((*out = b = calloc(1, sizeof *b)) == NULL)
		return chat_err(ST_DB, "out of memory");
	b->quiet = quiet;
	b->dry_run = dry_run;
	b->apply = apply;
	b->req = req;
	if ((rc = idtab_open(&b->ids, BATCH_MAX)) != 0) {
		free(b);
		*out = NULL;
	}
	return rc;
}

/* The refusals, in the order the ids came. */
static void
report(const struct idtab *t)
{
	long i;

	for (i = 0; i < t->n; i++)
		if (t->status[i] > 0)
			chat_err(t->status[i], "%s", t->why[i]);
}

static const char batch_events[] = "SELECT e.conversation, e.action,"
    " e.detail FROM events e JOIN batch_ok b ON b.id = e.conversation"
    " WHERE e.id > ? ORDER BY b.seq, e.id";
static const char all_events[] = "SELECT conversation, action, detail"
    " FROM events WHERE id > ? ORDER BY id";

/* -n shows the events written since mark, which are then rolled back: a
 * batch's by conversation in the order the ids came, else as written. */
int
events_describe(int64_t mark, int of_batch)
{
	struct stmt *st = of_batch ? db_prep(batch_events) :
	    db_prep(all_events);
	int rc;

	if (st == NULL)
		return ST_DB;
	st_bind_int(st, 1, mark);
	while (db_row(st, "reading events", &rc)) {
		printf("%lld %s", (long long)st_int64(st, 0),
		    st_text(st, 1));
		if (st_type(st, 2) != DB_NULL) {
			putchar(' ');
			put_text(st_text(st, 2), 0);
		}
		putchar('\n');
	}
	st_reset(st);
	return rc;
}

int
batch_print(const char *sql)
{
	struct stmt *st = db_prep(sql);
	int rc;

	if (st == NULL)
		return ST_DB;
	while (db_row(st, "printing ids", &rc))
		printf("%lld\n", (long long)st_int64(st, 0));
	st_reset(st);
	return rc;
}

static int
flush(struct batch *b)
{
	struct idtab *t = &b->ids;
	int64_t mark = 0;
	long i;
	int rc;

	if (t->n == 0)
		return 0;
	b->inputs = 0;
	if ((rc = db_begin()) == 0 && (rc = idtab_load(t)) == 0)
		rc = idtab_refuse(ST_SOME, "SELECT b.id, b.id || ': no such"
		    " conversation' FROM batch_ok b LEFT JOIN conversations c"
		    " ON c.id = b.id WHERE c.id IS NULL", "reading a batch", "");
	if (rc == 0 && b->dry_run)
		rc = event_last(&mark);
	if (rc == 0)
		rc = b->apply(b->req);
	if (rc == 0)
		report(t);
	if (rc == 0 && b->dry_run)
		rc = events_describe(mark, 1);
	if (rc != 0 || b->dry_run)
		db_rollback();
	else if ((rc = db_commit()) == 0 && !b->quiet)
		for (i = 0; i < t->n; i++)
			if (t->status[i] == IDTAB_STANDING)
				printf("%lld\n", (long long)t->id[i]);
	fflush(stdout);
	idtab_clear(t);
	return rc;
}

int
batch_add(struct batch *b, int64_t id, int ready)
{
	idtab_add(&b->ids, id);
	if (++b->inputs >= BATCH_MAX || !ready)
		return flush(b);
	return 0;
}

int
batch_feed(struct batch *b, struct ids *ids)
{
	int64_t id;
	int input, rc = 0;

	while (ids_next(ids, &id, &input) &&
	    (rc = batch_add(b, id, ids_ready(ids))) == 0)
		;
	return rc;
}

int
batch_feed_query(struct batch *b, struct stmt *st, const char *context)
{
	int64_t *v = NULL, *more;
	size_t n = 0, cap = 0, i;
	int rc;

	while (db_row(st, context, &rc)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			if ((more = realloc(v, cap * sizeof *v)) == NULL) {
				rc = chat_err(ST_DB, "out of memory");
				break;
			}
			v = more;
		}
		v[n++] = st_int64(st, 0);
	}
	st_reset(st);
	for (i = 0; rc == 0 && i < n; i++)
		rc = batch_add(b, v[i], 1);
	free(v);
	return rc;
}

int
batch_close(struct batch *b)
{
	int rc;

	if (b == NULL)
		return 0;
	rc = flush(b);
	idtab_free(&b->ids);
	free(b);
	return rc;
}
