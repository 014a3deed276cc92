/* copy.c: chat-copy, a whole database into an empty one on the other
 * engine (or another SQLite file), ids kept, then checked table by table;
 * the one file that uses a driver apart from db.c, whose connection is
 * TO's: FROM is the other driver's own, or a file attached to TO's. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libchat.h"

/* The tables in an order their references allow, each with its columns
 * and its key, the order rows are read and hashed in. Of meta, only the
 * two rows that say which database this is: the schema version is TO's
 * own. */
static const struct table {
	const char *name, *cols, *key;
	const char *where;	/* the rows copied, when not all */
} tables[] = {
	{ "meta", "key, value", "key",
	    "key IN ('database_id', 'created_at')" },
	{ "conversations", "id, ref, channel, visitor, visitor_email, "
	    "operator, started_at, last_activity_at, visitor_left_at, state, "
	    "closed_at, closed_by, assigned_at, first_visitor_at, "
	    "first_response_at", "id", NULL },
	{ "tags", "id, name, key, created_at", "id", NULL },
	{ "conversation_tags", "conversation, tag, tagged_at, tagged_by",
	    "conversation, tag", NULL },
	{ "messages", "id, conversation, ref, at, author, name, body", "id",
	    NULL },
	{ "notes", "id, conversation, at, author, body", "id", NULL },
	{ "ratings", "conversation, criterion, score, rated_at, rated_by",
	    "conversation, criterion", NULL },
	{ "deliveries", "id, conversation, target, seq, state, attempts, "
	    "next_attempt_at, last_error, remote_ref, created_at, updated_at",
	    "id", NULL },
	{ "events", "id, conversation, at, actor, action, detail", "id", NULL },
	{ "marks", "conversation, what, at", "conversation, what", NULL },
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* Rows a statement inserts on the other engine: a round trip each on
 * PostgreSQL, and at most 15 columns, far below either engine's limit of
 * parameters. */
#define ROWS 500

/* A database of the copy: its driver, its name as given, and the schema
 * its tables are in ("src." for FROM attached to TO's connection). */
struct side {
	const struct driver *drv;
	const char *name;
	const char *schema;
};

/* A table's content: its rows and their FNV-1a hash. */
struct sum {
	long rows;
	uint64_t hash;
};

static int
fail(const struct side *s, const char *context)
{
	const char *msg;
	int status = s->drv->error(&msg);

	return chat_err(status, "%s: %s: %s", s->name, context, msg ? msg :
	    "database is busy; try again");
}

/* sql, finished and freed whatever comes of it, prepared on s: *out is
 * the caller's, to st_finalize(). */
static int
prep(const struct side *s, sqlite3_str *sql, const char *context,
    struct stmt **out)
{
	char *text = sqlite3_str_finish(sql);
	int rc = 0;

	*out = NULL;
	if (text == NULL)
		return chat_err(ST_DB, "out of memory");
	if (s->drv->prepare(text, 0, out) != 0)
		rc = fail(s, context);
	sqlite3_free(text);
	return rc;
}

static int
run(const struct side *s, struct stmt *st, const char *context)
{
	int r;

	while ((r = st_step(st)) == 1)
		;
	if (r < 0)
		return fail(s, context);
	st_reset(st);
	return 0;
}

/* Runs on s the one statement fmt formats. */
static int
exec_on(const struct side *s, const char *context, const char *fmt, ...)
{
	sqlite3_str *sql = sqlite3_str_new(NULL);
	struct stmt *st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	/* sql: constants; what fmt formats is tables[]'s */
	sqlite3_str_vappendf(sql, fmt, ap);
	va_end(ap);
	if ((rc = prep(s, sql, context, &st)) == 0)
		rc = run(s, st, context);
	st_finalize(st);
	return rc;
}

/* The statement reading t's rows on s by its key. */
static int
reader(const struct side *s, const struct table *t, struct stmt **out)
{
	sqlite3_str *sql = sqlite3_str_new(NULL);

	/* sql: constants; t is tables[]'s, s->schema "" or "src." */
	sqlite3_str_appendf(sql, "SELECT %s FROM %s%s", t->cols, s->schema,
	    t->name);
	if (t->where != NULL)
		/* sql: constants */
		sqlite3_str_appendf(sql, " WHERE %s", t->where);
	/* sql: constants */
	sqlite3_str_appendf(sql, " ORDER BY %s", t->key);
	return prep(s, sql, t->name, out);
}

static void
fnv(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		*h = (*h ^ *b++) * 1099511628211u;
}

/* Hashes a value by its type and its bytes, so that 1 and '1' differ and
 * no value runs into the next. */
static void
hash_value(uint64_t *h, struct stmt *st, int j)
{
	enum db_type t = st_type(st, j);
	unsigned char tag = (unsigned char)t;
	int64_t i;
	double d;
	uint32_t len;

	fnv(h, &tag, 1);
	switch (t) {
	case DB_INT:
		i = st_int64(st, j);
		fnv(h, &i, sizeof i);
		break;
	case DB_REAL:
		d = st_double(st, j);
		fnv(h, &d, sizeof d);
		break;
	case DB_TEXT:
		len = (uint32_t)st_bytes(st, j);
		fnv(h, &len, sizeof len);
		fnv(h, st_text(st, j), len);
		break;
	default:
		break;
	}
}

static int
columns(const struct table *t)
{
	const char *s;
	int n = 1;

	for (s = t->cols; *s != '\0'; s++)
		n += *s == ',';
	return n;
}

/* t's rows on s, counted and hashed in the order of its key. */
static int
sum(const struct side *s, const struct table *t, struct sum *out)
{
	struct stmt *st;
	int ncols = columns(t), j, r, rc;

	out->rows = 0;
	out->hash = 14695981039346656037u;
	if ((rc = reader(s, t, &st)) != 0)
		return rc;
	while ((r = st_step(st)) == 1) {
		out->rows++;
		for (j = 0; j < ncols; j++)
			hash_value(&out->hash, st, j);
	}
	if (r < 0)
		rc = fail(s, t->name);
	st_finalize(st);
	return rc;
}

/* An INSERT of rows rows of t into s. */
static int
inserter(const struct side *s, const struct table *t, int rows,
    struct stmt **out)
{
	sqlite3_str *sql = sqlite3_str_new(NULL);
	int ncols = columns(t), i, j;

	/* sql: constants; t is tables[]'s */
	sqlite3_str_appendf(sql, "INSERT INTO %s (%s) VALUES ", t->name,
	    t->cols);
	for (i = 0; i < rows; i++) {
		/* sql: constants */
		sqlite3_str_appendall(sql, i ? ", (" : "(");
		for (j = 0; j < ncols; j++)
			/* sql: constants */
			sqlite3_str_appendf(sql, "%s?%d", j ? ", " : "",
			    i * ncols + j + 1);
		sqlite3_str_appendall(sql, ")");
	}
	return prep(s, sql, t->name, out);
}

/* Copies t's rows, n of them (FROM's sum), from one engine to the other:
 * ROWS a statement, then the rest in one of their own. A text is bound
 * where the reader holds it: pg.c copies what it is bound, and keeps a
 * result's rows until it is reset. */
static int
copy_rows(const struct side *from, const struct side *to,
    const struct table *t, long n)
{
	struct stmt *rd = NULL, *full = NULL, *last = NULL, *st;
	long k = 0, rest = n % ROWS;
	int ncols = columns(t), j, r, rc;

	if ((rc = reader(from, t, &rd)) != 0 ||
	    (n >= ROWS && (rc = inserter(to, t, ROWS, &full)) != 0) ||
	    (rest > 0 && (rc = inserter(to, t, (int)rest, &last)) != 0))
		goto done;
	while (rc == 0 && (r = st_step(rd)) == 1) {
		if (k == n) {
			rc = chat_err(ST_DB, "%s: %s: more rows than counted",
			    from->name, t->name);
			break;
		}
		st = k < n - rest ? full : last;
		for (j = 0; j < ncols; j++)
			st_bind_column(st, (int)(k % ROWS) * ncols + j + 1, rd,
			    j);
		k++;
		if (k % ROWS == 0 || k == n)
			rc = run(to, st, t->name);
	}
	if (rc == 0 && r < 0)
		rc = fail(from, t->name);
done:
	st_finalize(rd);
	st_finalize(full);
	st_finalize(last);
	return rc;
}

/* A SQLite file's schema version on schema (main or src): 0 with no
 * tables; another application's file is refused. Pragmas one by one: as
 * a table (pragma_user_version), they read main whatever the schema. */
static int
lite_version(const struct side *s, const char *schema, int *v)
{
	static const char *const asked[] = { "PRAGMA %s.user_version",
	    "PRAGMA %s.application_id", "SELECT count(*) FROM %s.sqlite_schema" };
	sqlite3_str *sql;
	struct stmt *st;
	int got[3] = { 0 }, i, r, rc;

	for (i = 0; i < 3; i++) {
		sql = sqlite3_str_new(NULL);
		/* sql: constants; schema is "main" or "src" */
		sqlite3_str_appendf(sql, asked[i], schema);
		if ((rc = prep(s, sql, "reading the schema", &st)) != 0)
			return rc;
		if ((r = st_step(st)) == 1)
			got[i] = st_int(st, 0);
		st_finalize(st);
		if (r < 0)
			return fail(s, "reading the schema");
	}
	*v = got[0];
	if (got[1] != CHAT_APPLICATION_ID && (got[0] != 0 || got[2] != 0))
		return chat_err(ST_DB, "%s: not a chat-tools database", s->name);
	return 0;
}

/* FROM's schema must be this build's: its columns are the ones copied. */
static int
from_version(const struct side *from, const char *schema)
{
	int v = 0, rc;

	rc = from->drv != &sqlite_driver ? from->drv->version(from->name, &v) :
	    lite_version(from, schema, &v);
	if (rc != 0)
		return rc;
	if (v == 0)
		return chat_err(ST_DB, "no database at %s", from->name);
	if ((size_t)v > schema_nsteps)
		return chat_err(ST_DB, "%s: schema version %d is newer than "
		    "this chat-tools knows (%zu); upgrade chat-tools",
		    from->name, v, schema_nsteps);
	if ((size_t)v < schema_nsteps)
		return chat_err(ST_DB, "%s: schema version %d is older than "
		    "this chat-tools' (%zu): upgrade it first (chat-import -d "
		    "FROM </dev/null)", from->name, v, schema_nsteps);
	return 0;
}

/* TO has a schema, made by db_open() if need be, and no rows but meta's
 * own. */
static int
to_empty(const struct side *to)
{
	sqlite3_str *sql;
	struct stmt *st;
	size_t i;
	int r, rc;

	for (i = 0; i < NTABLES; i++) {
		if (tables[i].where != NULL)
			continue;
		sql = sqlite3_str_new(NULL);
		/* sql: constants */
		sqlite3_str_appendf(sql, "SELECT 1 FROM %s LIMIT 1",
		    tables[i].name);
		if ((rc = prep(to, sql, tables[i].name, &st)) != 0)
			return rc;
		r = st_step(st);
		st_finalize(st);
		if (r < 0)
			return fail(to, tables[i].name);
		if (r == 1)
			return chat_err(ST_DB, "%s: the database holds %s: "
			    "chat-copy copies into an empty database only",
			    to->name, tables[i].name);
	}
	return 0;
}

/* What the tables imply on TO's engine: SQLite's full-text indexes of
 * messages and conversations (chat-import writes them by batches, not
 * by trigger); PostgreSQL's sequences past the ids copied, which
 * chat-tools' writers set anyway (pg.c's begin()), for a row inserted by
 * hand. */
static int
after_copy(const struct side *to)
{
	static const char *const ids[] = { "conversations", "tags",
	    "messages", "notes", "deliveries", "events" };
	size_t i;
	int rc = 0;

	if (to->drv == &sqlite_driver) {
		if ((rc = exec_on(to, "indexing", "INSERT INTO messages_fts "
		    "(messages_fts) VALUES ('rebuild')")) != 0)
			return rc;
		return exec_on(to, "indexing", "INSERT INTO conversations_fts "
		    "(conversations_fts) VALUES ('rebuild')");
	}
	for (i = 0; rc == 0 && i < sizeof ids / sizeof ids[0]; i++)
		rc = exec_on(to, "moving the sequences", "SELECT setval("
		    "pg_get_serial_sequence('%s', 'id'), max(id)) FROM %s",
		    ids[i], ids[i]);
	return rc;
}

/* Every table into TO, in TO's write transaction, then checked: FROM's
 * rows (in one snapshot) and TO's must count and hash the same. */
static int
copy_all(const struct side *from, const struct side *to,
    struct sum sums[NTABLES])
{
	struct sum got;
	size_t i;
	int rc;

	if ((rc = db_begin()) != 0)
		return rc;
	if (from->drv != to->drv && from->drv->begin_read() != 0) {
		rc = fail(from, "starting a transaction");
		goto fail;
	}
	if ((from->drv == to->drv && (rc = from_version(from, "src")) != 0) ||
	    (rc = to_empty(to)) != 0)
		goto fail;
	for (i = 0; i < NTABLES; i++) {
		const struct table *t = &tables[i];

		if ((rc = sum(from, t, &sums[i])) != 0)
			goto fail;
		if (t->where != NULL && (rc = exec_on(to, t->name, "DELETE FROM"
		    " %s WHERE %s", t->name, t->where)) != 0)
			goto fail;
		if (from->drv == to->drv)
			rc = exec_on(to, t->name, "INSERT INTO %s (%s) SELECT %s "
			    "FROM src.%s%s%s", t->name, t->cols, t->cols,
			    t->name, t->where ? " WHERE " : "",
			    t->where ? t->where : "");
		else
			rc = copy_rows(from, to, t, sums[i].rows);
		if (rc != 0)
			goto fail;
	}
	if ((rc = after_copy(to)) != 0)
		goto fail;
	for (i = 0; i < NTABLES; i++) {
		if ((rc = sum(to, &tables[i], &got)) != 0)
			goto fail;
		if (got.rows != sums[i].rows || got.hash != sums[i].hash) {
			rc = chat_err(ST_DB, "%s: %s: the copy differs from %s "
			    "(%ld rows, checksum %016" PRIx64 "; %ld rows, "
			    "checksum %016" PRIx64 " there); nothing was "
			    "copied", to->name, tables[i].name, from->name,
			    got.rows, got.hash, sums[i].rows, sums[i].hash);
			goto fail;
		}
	}
	if (from->drv != to->drv)
		from->drv->exec("ROLLBACK");
	return db_commit();
fail:
	if (from->drv != to->drv && from->drv->in_transaction())
		from->drv->exec("ROLLBACK");
	db_rollback();
	return rc;
}

/* path as a read-only SQLite URI: the characters a URI gives a meaning
 * escaped. The caller's, to sqlite3_free(); NULL when out of memory. */
static char *
ro_uri(const char *path)
{
	sqlite3_str *s = sqlite3_str_new(NULL);
	const char *p;

	sqlite3_str_appendall(s, *path == '/' ? "file://" : "file:");
	for (p = path; *p != '\0'; p++)
		if (*p == '%' || *p == '?' || *p == '#')
			sqlite3_str_appendf(s, "%%%02X", (unsigned char)*p);
		else
			sqlite3_str_appendchar(s, 1, *p);
	sqlite3_str_appendall(s, "?mode=ro");
	return sqlite3_str_finish(s);
}

/* FROM, a SQLite file, must be there: it is never made. */
static int
lite_exists(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) == 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR)
		return chat_err(ST_DB, "no database at %s", path);
	return chat_err(ST_DB, "%s: %s", path, strerror(errno));
}

/* FROM, a SQLite file, attached to TO's connection as src, read-only;
 * its name is bound, never SQL. */
static int
attach(const struct side *from, const struct side *to)
{
	sqlite3_str *sql;
	struct stmt *st;
	char *uri;
	int rc;

	if ((uri = ro_uri(from->name)) == NULL)
		return chat_err(ST_DB, "out of memory");
	sql = sqlite3_str_new(NULL);
	sqlite3_str_appendall(sql, "ATTACH ?1 AS src");
	if ((rc = prep(to, sql, "attaching it", &st)) == 0) {
		st_bind_text(st, 1, uri);
		rc = run(to, st, "attaching it");
	}
	st_finalize(st);
	sqlite3_free(uri);
	return rc;
}

int
db_copy(const char *from_name, const char *to_name, int quiet)
{
	struct side from = { NULL, from_name, "" }, to = { NULL, to_name, "" };
	struct sum sums[NTABLES] = { { 0 } };
	const struct config *cfg;
	size_t i;
	int rc;

	if (strcmp(from_name, to_name) == 0)
		return chat_err(ST_USAGE, "FROM and TO are the same database");
	if (db_is_url(from_name) && db_is_url(to_name))
		return chat_err(ST_USAGE, "both databases are PostgreSQL's: "
		    "copy them with pg_dump and psql");
	if ((rc = config_get(&cfg)) != 0)
		return rc;
	from.drv = to.drv = &sqlite_driver;
	if ((db_is_url(from_name) && (from.drv = db_pg_module()) == NULL) ||
	    (db_is_url(to_name) && (to.drv = db_pg_module()) == NULL))
		return ST_DB;
	/* FROM is checked before TO is made; a SQLite FROM, checked alone,
	 * is attached to TO's connection when TO is SQLite too. */
	if ((rc = from.drv != &sqlite_driver ? from.drv->open(from_name,
	    cfg->busy_timeout_ms, ST_USAGE) : lite_exists(from_name)) != 0 ||
	    (from.drv == &sqlite_driver && (rc = sqlite_open(from_name,
	    DB_READ, 0, cfg->busy_timeout_ms)) != 0) ||
	    (rc = from_version(&from, "main")) != 0)
		goto done;
	if (from.drv == to.drv) {
		sqlite_driver.close();
		from.schema = "src.";
	}
	if ((rc = db_set_path(to_name)) != 0 ||
	    (rc = db_open(DB_CREATE)) != 0 ||
	    (from.drv == to.drv && (rc = attach(&from, &to)) != 0))
		goto done;
	if ((rc = copy_all(&from, &to, sums)) != 0 || quiet)
		goto done;
	for (i = 0; i < NTABLES; i++)
		printf("%s\t%ld\t%016" PRIx64 "\n", tables[i].name,
		    sums[i].rows, sums[i].hash);
done:
	if (from.drv != &sqlite_driver)
		from.drv->close();
	return rc;
}
