/* db.c: finding, creating, opening and migrating the database, and the
 * statement cache and transactions every write goes through. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libchat.h"

static sqlite3 *db;

static const char *path_opt;
static int dry_run;
static char path[PATH_MAX];

static struct cached {
	const char *sql;
	sqlite3_stmt *st;
} cache[64];
static size_t ncache;

int
db_set_path(const char *p)
{
	path_opt = p;
	return 0;
}

static int
resolve_path(void)
{
	const struct config *cfg;
	const char *p = path_opt, *home;
	int rc;

	if (p == NULL || *p == '\0')
		p = getenv("CHAT_DB");
	if (p == NULL || *p == '\0') {
		if ((rc = config_get(&cfg)) != 0)
			return rc;
		p = cfg->db;
	}
	if (p != NULL && *p != '\0') {
		if ((size_t)snprintf(path, sizeof path, "%s", p) >= sizeof path)
			return chat_err(ST_USAGE, "%s: path too long", p);
		return 0;
	}
	if ((p = getenv("XDG_DATA_HOME")) != NULL && *p == '/')
		rc = snprintf(path, sizeof path, "%s/chat-tools/chat.db", p);
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		rc = snprintf(path, sizeof path,
		    "%s/.local/share/chat-tools/chat.db", home);
	else
		return chat_err(ST_DB, "no database: set --db, $CHAT_DB or $HOME");
	if (rc < 0 || (size_t)rc >= sizeof path)
		return chat_err(ST_DB, "database path too long");
	return 0;
}

void
db_set_dry_run(int on)
{
	dry_run = on;
}

const char *
db_path(void)
{
	return path;
}

/* Creates the missing directories above the file, private to the user. */
static int
make_parents(void)
{
	char dir[PATH_MAX];
	char *s;

	memcpy(dir, path, sizeof dir);
	for (s = dir + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return chat_err(ST_DB, "%s: %s", dir, strerror(errno));
		*s = '/';
	}
	return 0;
}

static int
create_file(void)
{
	int fd;

	if (make_parents() != 0)
		return ST_DB;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST)
		return chat_err(ST_DB, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return 0;
}

int
db_fail(const char *context)
{
	int code = sqlite3_errcode(db), status = ST_DB;

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return chat_err(ST_TEMP, "%s: %s: database is busy; try again",
		    path, context);
	return chat_err(status, "%s: %s: %s", path, context,
	    sqlite3_errmsg(db));
}

int
db_exec(const char *sql, const char *context)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(context);
	return 0;
}

sqlite3_stmt *
db_prep(const char *sql)
{
	size_t i;
	sqlite3_stmt *st;

	for (i = 0; i < ncache; i++)
		if (cache[i].sql == sql)
			return cache[i].st;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	    NULL) != SQLITE_OK) {
		db_fail("prepare");
		return NULL;
	}
	if (ncache < sizeof cache / sizeof cache[0]) {
		cache[ncache].sql = sql;
		cache[ncache++].st = st;
	}
	return st;
}

int
db_prepare(sqlite3_str *sql, const char *context, sqlite3_stmt **out)
{
	char *text = sqlite3_str_finish(sql);
	int rc = 0;

	*out = NULL;
	if (text == NULL)
		return chat_err(ST_DB, "out of memory");
	if (sqlite3_prepare_v2(db, text, -1, out, NULL) != SQLITE_OK)
		rc = db_fail(context);
	sqlite3_free(text);
	return rc;
}

int
db_row(sqlite3_stmt *st, const char *context, int *status)
{
	int rc = sqlite3_step(st);

	*status = 0;
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE) {
		*status = db_fail(context);
		sqlite3_reset(st);
	}
	return 0;
}

int
db_done(sqlite3_stmt *st, const char *context)
{
	int rc;

	while (db_row(st, context, &rc))
		;
	sqlite3_reset(st);
	return rc;
}

int
db_run(const char *sql, const char *context, const char *types, ...)
{
	sqlite3_stmt *st = db_prep(sql);
	va_list ap;
	int i;

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
	return db_done(st, context);
}

int64_t
db_last_id(void)
{
	return sqlite3_last_insert_rowid(db);
}

int
db_changes(void)
{
	return sqlite3_changes(db);
}

int
db_in_transaction(void)
{
	return db != NULL && !sqlite3_get_autocommit(db);
}

sqlite3 *
db_handle(void)
{
	return db;
}

void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Reads the schema version; refuses another application's database or a
 * newer schema than this build knows. */
static int
schema_check(int *version)
{
	sqlite3_stmt *st;
	int appid = 0, tables = 0, rc;

	*version = 0;
	if (sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM"
	    " pragma_user_version), (SELECT application_id FROM"
	    " pragma_application_id), (SELECT count(*) FROM sqlite_schema)",
	    -1, &st, NULL) != SQLITE_OK)
		return chat_err(ST_DB, "%s: cannot read the database: %s",
		    path, sqlite3_errmsg(db));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		appid = sqlite3_column_int(st, 1);
		tables = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return chat_err(rc == SQLITE_BUSY ? ST_TEMP : ST_DB,
		    "%s: cannot read the database: %s", path, sqlite3_errmsg(db));
	if (appid != CHAT_APPLICATION_ID && (*version != 0 || tables != 0))
		return chat_err(ST_DB, "%s: not a chat-tools database (it holds "
		    "another application's tables); refusing to change it",
		    path);
	if ((size_t)*version > schema_nsteps)
		return chat_err(ST_DB, "%s: schema version %d is newer than "
		    "this chat-tools knows (%zu); upgrade chat-tools", path,
		    *version, schema_nsteps);
	return 0;
}

/* Moves the schema cookie on, so that every connection rereads the schema:
 * a step that edits sqlite_schema itself does not move it. */
static int
schema_touch(void)
{
	sqlite3_stmt *st;
	char sql[64];
	int cookie = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA schema_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		cookie = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (cookie < 0)
		return db_fail("reading the schema version");
	snprintf(sql, sizeof sql, "PRAGMA schema_version = %d", cookie + 1);
	return db_exec(sql, "setting the schema version");
}

/* Brings the schema up to date, every step in one transaction; a concurrent
 * process doing the same is serialised by BEGIN IMMEDIATE. */
static int
migrate(int version)
{
	char sql[64];
	int rc;

	if ((size_t)version == schema_nsteps)
		return 0;
	if ((rc = db_begin()) != 0)
		return rc;
	if ((rc = schema_check(&version)) != 0)
		goto fail;
	if (version == 0 && (rc = db_exec("PRAGMA application_id = "
	    XSTR(CHAT_APPLICATION_ID), "setting the application id")) != 0)
		goto fail;
	for (; (size_t)version < schema_nsteps; version++) {
		if ((rc = db_exec(schema_steps[version], "creating the schema"))
		    != 0 || (rc = schema_touch()) != 0)
			goto fail;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
		    version + 1);
		if ((rc = db_exec(sql, "setting the schema version")) != 0)
			goto fail;
	}
	return db_commit();
fail:
	db_rollback();
	return rc;
}

static int
busy_timeout(void)
{
	const struct config *cfg;
	int rc;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	sqlite3_busy_timeout(db, (int)cfg->busy_timeout_ms);
	return 0;
}

/* The SQL functions of chat-tools, before migrate() or any statement needs
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
			return db_fail(fns[i].name);
	return 0;
}

/* -n writes nothing, not even the upgrade of an older schema: the
 * database is copied into memory, where the upgrade and the dry run are
 * done and forgotten. */
static int
to_memory(void)
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
	if ((rc = busy_timeout()) != 0 || (rc = functions()) != 0)
		return rc;
	return 0;
}

int
db_open(enum db_mode mode)
{
	struct stat sb;
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int version;

	if ((rc = resolve_path()) != 0)
		return rc;
#ifdef __GLIBC__
	/* Each write statement of a transaction has SQLite allocate, then
	 * free, a statement journal sized to the database (87 KB at 100,000
	 * conversations): glibc gave it back to the kernel every time, one
	 * brk() pair per id, half the time of a batch. */
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
#endif
	/* Only chat-import creates a database: a misspelt path elsewhere is
	 * an error, not a new empty database. */
	if (stat(path, &sb) != 0) {
		if (mode != DB_CREATE && (errno == ENOENT || errno == ENOTDIR))
			return chat_err(ST_DB, "no database at %s (chat-import "
			    "creates one)", path);
		if (errno != ENOENT)
			return chat_err(ST_DB, "%s: %s", path, strerror(errno));
		if ((rc = create_file()) != 0)
			return rc;
	} else if (!S_ISREG(sb.st_mode))
		return chat_err(ST_DB, "%s: not a regular file", path);
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		rc = chat_err(ST_DB, "%s: %s", path, db ? sqlite3_errmsg(db) :
		    "cannot open");
		db_close();
		return rc;
	}
	sqlite3_extended_result_codes(db, 0);
	if ((rc = busy_timeout()) != 0 || (rc = functions()) != 0)
		return rc;
	if ((rc = schema_check(&version)) != 0)
		return rc;
	if (mode != DB_READ && dry_run &&
	    (size_t)version < schema_nsteps && (rc = to_memory()) != 0)
		return rc;
	/* Readers need none of this; a reader's migration is written with
	 * the defaults, which are the same but for WAL. */
	if (mode != DB_READ &&
	    (rc = db_exec("PRAGMA journal_mode = WAL", "setting WAL mode")) != 0)
		return rc;
	if (mode != DB_READ && (rc = db_exec("PRAGMA foreign_keys = ON; "
	    "PRAGMA synchronous = FULL", "setting up")) != 0)
		return rc;
	return migrate(version);
}

void
db_close(void)
{
	size_t i;

	for (i = 0; i < ncache; i++)
		sqlite3_finalize(cache[i].st);
	ncache = 0;
	sqlite3_close(db);
	db = NULL;
}

int
db_begin(void)
{
	return db_exec("BEGIN IMMEDIATE", "starting a transaction");
}

int
db_commit(void)
{
	int rc = db_exec("COMMIT", "committing");

	if (rc != 0)
		db_rollback();
	return rc;
}

void
db_rollback(void)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int
db_id(const char *sql, const char *key, const char *context, int64_t *id)
{
	sqlite3_stmt *st = db_prep(sql);
	int rc;

	*id = 0;
	if (st == NULL)
		return ST_DB;
	db_bind_text(st, 1, key);
	if (db_row(st, context, &rc))
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc;
}
