/* sqlite.c: the SQLite engine: a file's connection, its pragmas, schema
 * version and SQL functions, and statements on it. */
#include <stdint.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>

#include "libchat.h"

struct lite {
	struct stmt base;
	sqlite3_stmt *st;
};

static sqlite3 *db;
static int nomem;		/* a wrapper of ours was not allocated */

sqlite3 *
sqlite_handle(void)
{
	return db;
}

int
sqlite_is_open(void)
{
	return db != NULL;
}

const char *
sqlite_error(void)
{
	return sqlite3_errmsg(db);
}

/* Busy is ST_TEMP with no message: db_fail() says it in its own words. */
static int
error(const char **message)
{
	int code = sqlite3_errcode(db);

	*message = NULL;
	if (nomem) {
		nomem = 0;
		*message = "out of memory";
		return ST_DB;
	}
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return ST_TEMP;
	*message = sqlite3_errmsg(db);
	return ST_DB;
}

/* What db_fail() says, before db.c has its driver. */
static int
fail(const char *path, const char *context)
{
	const char *msg;

	if (error(&msg) == ST_TEMP && msg == NULL)
		return chat_err(ST_TEMP, "%s: %s: database is busy; try again",
		    path, context);
	return chat_err(ST_DB, "%s: %s: %s", path, context, msg);
}

static int
prepare(const char *sql, int persistent, struct stmt **out)
{
	struct lite *l;

	*out = NULL;
	if ((l = malloc(sizeof *l)) == NULL) {
		nomem = 1;
		return -1;
	}
	l->base.drv = &sqlite_driver;
	if (sqlite3_prepare_v3(db, sql, -1, persistent ?
	    SQLITE_PREPARE_PERSISTENT : 0, &l->st, NULL) != SQLITE_OK) {
		free(l);
		return -1;
	}
	*out = &l->base;
	return 0;
}

#define LITE(s) (((struct lite *)(void *)(s))->st)

static int
step(struct stmt *st)
{
	int rc = sqlite3_step(LITE(st));

	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static void
reset(struct stmt *st)
{
	sqlite3_reset(LITE(st));
}

static void
finalize(struct stmt *st)
{
	sqlite3_finalize(LITE(st));
	free(st);
}

static void
bind_int(struct stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(LITE(st), i, v);
}

static void
bind_double(struct stmt *st, int i, double v)
{
	sqlite3_bind_double(LITE(st), i, v);
}

static void
bind_null(struct stmt *st, int i)
{
	sqlite3_bind_null(LITE(st), i);
}

static void
bind_text(struct stmt *st, int i, const char *s, int len,
    void (*free)(void *))
{
	sqlite3_bind_text(LITE(st), i, s, len, free ? free : SQLITE_STATIC);
}

static enum db_type
type(struct stmt *st, int i)
{
	int t = sqlite3_column_type(LITE(st), i);

	return t == SQLITE_INTEGER ? DB_INT : t == SQLITE_FLOAT ? DB_REAL :
	    t == SQLITE_NULL ? DB_NULL : DB_TEXT;
}

static int64_t
int64(struct stmt *st, int i)
{
	return sqlite3_column_int64(LITE(st), i);
}

static double
real(struct stmt *st, int i)
{
	return sqlite3_column_double(LITE(st), i);
}

static const char *
text(struct stmt *st, int i)
{
	return (const char *)sqlite3_column_text(LITE(st), i);
}

static int
bytes(struct stmt *st, int i)
{
	return sqlite3_column_bytes(LITE(st), i);
}

static int
exec(const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int
changes(void)
{
	return sqlite3_changes(db);
}

static int
in_transaction(void)
{
	return db != NULL && !sqlite3_get_autocommit(db);
}

static int
begin(void)
{
	return exec("BEGIN IMMEDIATE");
}

static int
begin_read(void)
{
	return exec("BEGIN");
}

/* Reads the schema version; refuses another application's database. */
static int
version(const char *path, int *v)
{
	sqlite3_stmt *st;
	int appid = 0, tables = 0, rc;

	*v = 0;
	if (sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM"
	    " pragma_user_version), (SELECT application_id FROM"
	    " pragma_application_id), (SELECT count(*) FROM sqlite_schema)",
	    -1, &st, NULL) != SQLITE_OK)
		return chat_err(ST_DB, "%s: cannot read the database: %s",
		    path, sqlite3_errmsg(db));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		appid = sqlite3_column_int(st, 1);
		tables = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return chat_err(rc == SQLITE_BUSY ? ST_TEMP : ST_DB,
		    "%s: cannot read the database: %s", path, sqlite3_errmsg(db));
	if (appid != CHAT_APPLICATION_ID && (*v != 0 || tables != 0))
		return chat_err(ST_DB, "%s: not a chat-tools database (it holds "
		    "another application's tables); refusing to change it",
		    path);
	return 0;
}

/* Also moves the schema cookie on, so that every connection rereads the
 * schema: a step that edits sqlite_schema itself does not move it. */
static int
set_version(int v)
{
	sqlite3_stmt *st;
	char sql[96];
	int cookie = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA schema_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		cookie = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (cookie < 0)
		return -1;
	snprintf(sql, sizeof sql, "PRAGMA schema_version = %d; PRAGMA "
	    "user_version = %d; PRAGMA application_id = %d", cookie + 1, v,
	    CHAT_APPLICATION_ID);
	return exec(sql);
}

static void
close_db(void)
{
	sqlite3_close(db);
	db = NULL;
}

/* The SQL functions of chat-tools, before migrating or any statement needs
 * them. */
static int
functions(void)
{
	static const struct {
		const char *name;
		void (*fn)(sqlite3_context *, int, sqlite3_value **);
	} fns[] = {
		{ "tag_key", tag_key_sql },
		{ "tag_nfc", tag_nfc_sql },
	};
	size_t i;

	for (i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (sqlite3_create_function_v2(db, fns[i].name, 1, SQLITE_UTF8 |
		    SQLITE_DETERMINISTIC, NULL, fns[i].fn, NULL, NULL, NULL)
		    != SQLITE_OK)
			return -1;
	return 0;
}

/* -n writes nothing, not even the upgrade of an older schema: the
 * database is copied into memory, where the upgrade and the dry run are
 * done and forgotten. */
static int
to_memory(const char *path, int64_t busy_ms)
{
	sqlite3 *mem = NULL;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(mem);
		return chat_err(ST_DB, "%s: a copy in memory: out of memory",
		    path);
	}
	if ((b = sqlite3_backup_init(mem, "main", db, "main")) == NULL)
		rc = sqlite3_errcode(mem);
	else {
		sqlite3_backup_step(b, -1);
		rc = sqlite3_backup_finish(b);
	}
	if (rc != SQLITE_OK) {
		rc = chat_err(rc == SQLITE_BUSY || rc == SQLITE_LOCKED ?
		    ST_TEMP : ST_DB, "%s: a copy in memory: %s", path,
		    sqlite3_errmsg(mem));
		sqlite3_close(mem);
		return rc;
	}
	sqlite3_close(db);
	db = mem;
	sqlite3_busy_timeout(db, (int)busy_ms);
	if (functions() != 0)
		return chat_err(ST_DB, "%s: %s", path, sqlite3_errmsg(db));
	return 0;
}

int
sqlite_open(const char *path, enum db_mode mode, int dry_run,
    int64_t busy_ms)
{
	int v, rc;

#ifdef __GLIBC__
	/* Each write statement of a transaction has SQLite allocate, then
	 * free, a statement journal sized to the database (87 KB at 100,000
	 * conversations): glibc gave it back to the kernel every time, one
	 * brk() pair per id, half the time of a batch. */
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
#endif
	if (sqlite3_open_v2(path ? path : ":memory:", &db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = chat_err(ST_DB, "%s: %s", path ? path : "memory",
		    db ? sqlite3_errmsg(db) : "cannot open");
		close_db();
		return rc;
	}
	sqlite3_extended_result_codes(db, 0);
	sqlite3_busy_timeout(db, (int)busy_ms);
	if (functions() != 0)
		return chat_err(ST_DB, "%s: %s", path ? path : "memory",
		    sqlite3_errmsg(db));
	if (path == NULL)
		return 0;
	if ((rc = version(path, &v)) != 0)
		return rc;
	if (mode != DB_READ && dry_run && (size_t)v < schema_nsteps &&
	    (rc = to_memory(path, busy_ms)) != 0)
		return rc;
	/* Readers need none of this; a reader's migration is written with
	 * the defaults, which are the same but for WAL. */
	if (mode != DB_READ && exec("PRAGMA journal_mode = WAL") != 0)
		return fail(path, "setting WAL mode");
	if (mode != DB_READ && exec("PRAGMA foreign_keys = ON; "
	    "PRAGMA synchronous = FULL") != 0)
		return fail(path, "setting up");
	return 0;
}

const struct driver sqlite_driver = {
	"SQLite", prepare, step, reset, finalize, bind_int, bind_double,
	bind_null, bind_text, type, int64, real, text, bytes, exec, error,
	changes, in_transaction, begin, begin_read, version,
	set_version, close_db, NULL, NULL, NULL, NULL, NULL, NULL,
};
