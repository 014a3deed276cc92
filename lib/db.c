/* db.c: finding, creating, opening and migrating the database on its
 * engine, the statement cache and interface, and the transactions every
 * write goes through. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libchat.h"

/* The engine of the database, and of local statements (SQLite's, on the
 * database's connection or in memory). */
static const struct driver *drv;

static const char *path_opt;
static int dry_run;

static char path[PATH_MAX];

static struct cached {
	const char *sql;
	struct stmt *st;
} cache[64];
static size_t ncache;

int
db_set_path(const char *p)
{
	path_opt = p;
	return 0;
}

/* The status of a database path that is no path: a usage error when -d
 * gave it, else the environment's or the configuration's. */
static int
bad_path(void)
{
	return path_opt != NULL && *path_opt != '\0' ? ST_USAGE : ST_CONFIG;
}

/* A URL of another scheme, or misspelt (postgress://, postgresql:/x), is
 * refused rather than taken for a file path: it would make directories
 * named after it and a SQLite database there, and a team would think it
 * had moved to its server. */
static int
url_typo(const char *p)
{
	size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

	if (n == 0 || p[n] != ':' || p[n + 1] != '/' || db_is_url(p))
		return 0;
	return chat_err(bad_path(), "%s: not a database chat-tools knows: a "
	    "file path, or a URL postgresql://… or postgres://…", p);
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
		return url_typo(path);
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
db_is_url(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0;
}

int
db_engine_pg(void)
{
	return drv != NULL && drv != &sqlite_driver;
}

/* The PostgreSQL engine, from chat-pg.so in ../lib/chat-tools/ of the
 * directory this program is in. Loaded for good: nothing unloads it. */
const struct driver *
db_pg_module(void)
{
	char exe[PATH_MAX], so[PATH_MAX + 32], *slash;
	const char *why;
	void *h;
	const struct driver *d;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n < 0) {
		chat_err(ST_DB, "PostgreSQL: /proc/self/exe: %s",
		    strerror(errno));
		return NULL;
	}
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	snprintf(so, sizeof so, "%s/lib/chat-tools/chat-pg.so", exe);
	if ((h = dlopen(so, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (d = dlsym(h, "pg_driver")) == NULL) {
		why = dlerror();
		chat_err(ST_DB, "PostgreSQL support is not installed: %s",
		    why ? why : so);
		return NULL;
	}
	return d;
}

int
db_fail(const char *context)
{
	const char *msg, *sent = drv->sent_failure ? drv->sent_failure() : NULL;
	int status = drv->error(&msg);

	if (sent != NULL)
		context = sent;
	if (status == ST_TEMP && msg == NULL)
		return chat_err(ST_TEMP, "%s: %s: database is busy; try again",
		    path, context);
	return chat_err(status, "%s: %s: %s", path, context, msg);
}

int
db_exec(const char *sql, const char *context)
{
	if (drv->exec(sql) != 0)
		return db_fail(context);
	return 0;
}

/* The cached statement of sql on d, prepared when first asked for. */
static struct stmt *
cached(const struct driver *d, const char *sql)
{
	size_t i;
	struct stmt *st;

	for (i = 0; i < ncache; i++)
		if (cache[i].sql == sql)
			return cache[i].st;
	if (d->prepare(sql, 1, &st) != 0) {
		if (d == drv)
			db_fail("prepare");
		else
			chat_err(ST_DB, "prepare: %s", sqlite_error());
		return NULL;
	}
	if (ncache < sizeof cache / sizeof cache[0]) {
		cache[ncache].sql = sql;
		cache[ncache++].st = st;
	}
	return st;
}

struct stmt *
db_prep(const char *sql)
{
	return cached(drv, sql);
}

/* On PostgreSQL, an in-memory SQLite, opened when first needed. */
static int
local(void)
{
	const struct config *cfg;
	int rc;

	if (sqlite_is_open())
		return 0;
	if ((rc = config_get(&cfg)) != 0)
		return rc;
	return sqlite_open(NULL, DB_READ, 0, cfg->busy_timeout_ms);
}

struct stmt *
db_prep_local(const char *sql)
{
	if (local() != 0)
		return NULL;
	return cached(&sqlite_driver, sql);
}

static int
prepare_on(const struct driver *d, sqlite3_str *sql, const char *context,
    struct stmt **out)
{
	char *text = sqlite3_str_finish(sql);
	int rc = 0;

	*out = NULL;
	if (text == NULL)
		return chat_err(ST_DB, "out of memory");
	if (d->prepare(text, 0, out) != 0)
		rc = d == drv ? db_fail(context) : chat_err(ST_DB, "%s: %s",
		    context, sqlite_error());
	sqlite3_free(text);
	return rc;
}

int
db_prepare(sqlite3_str *sql, const char *context, struct stmt **out)
{
	return prepare_on(drv, sql, context, out);
}

int
db_prepare_local(sqlite3_str *sql, const char *context, struct stmt **out)
{
	int rc;

	if ((rc = local()) != 0) {
		sqlite3_free(sqlite3_str_finish(sql));
		*out = NULL;
		return rc;
	}
	return prepare_on(&sqlite_driver, sql, context, out);
}

int
db_row(struct stmt *st, const char *context, int *status)
{
	int rc = st->drv->step(st);

	*status = 0;
	if (rc == 1)
		return 1;
	if (rc != 0) {
		*status = st->drv == drv ? db_fail(context) :
		    chat_err(ST_DB, "%s: %s", context, sqlite_error());
		st->drv->reset(st);
	}
	return 0;
}

int
db_done(struct stmt *st, const char *context)
{
	int rc;

	while (db_row(st, context, &rc))
		;
	st->drv->reset(st);
	return rc;
}

int
db_send(struct stmt *st, const char *context, int *changes)
{
	int rc;

	if (st->drv->send == NULL) {
		rc = db_done(st, context);
		if (changes != NULL)
			*changes = rc == 0 ? st->drv->changes() : -1;
		return rc;
	}
	if (st->drv->send(st, context, changes) != 0)
		return db_fail(context);
	return 0;
}

int
db_sync(void)
{
	if (drv->sync != NULL && drv->sync() != 0)
		return db_fail("waiting for the database");
	return 0;
}

int
db_undo_to(const char *savepoint)
{
	char sql[64];

	snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT %s", savepoint);
	if ((drv->undo_to ? drv->undo_to(savepoint) : drv->exec(sql)) != 0)
		return db_fail("rolling back to a savepoint");
	return 0;
}

int
db_push(void)
{
	if (drv->push != NULL && drv->push() != 0)
		return db_fail("sending to the database");
	return 0;
}

int
db_sync_unreported(void)
{
	const char *msg;

	if (drv->sync != NULL && drv->sync() != 0)
		return drv->error(&msg);
	return 0;
}

void
st_bindv(struct stmt *st, const char *types, va_list ap)
{
	int i;

	for (i = 0; types[i] != '\0'; i++) {
		if (types[i] == 'i')
			st_bind_int(st, i + 1, va_arg(ap, int64_t));
		else
			st_bind_text(st, i + 1, va_arg(ap, const char *));
	}
}

int
db_run(const char *sql, const char *context, const char *types, ...)
{
	struct stmt *st = db_prep(sql);
	va_list ap;

	if (st == NULL)
		return ST_DB;
	va_start(ap, types);
	st_bindv(st, types, ap);
	va_end(ap);
	return db_done(st, context);
}

int
db_changes(void)
{
	return drv->changes();
}

int
db_in_transaction(void)
{
	return drv != NULL && drv->in_transaction();
}

int st_step(struct stmt *st) { return st->drv->step(st); }
void st_reset(struct stmt *st) { st->drv->reset(st); }
void st_bind_int(struct stmt *st, int i, int64_t v)
{ st->drv->bind_int(st, i, v); }
void st_bind_double(struct stmt *st, int i, double v)
{ st->drv->bind_double(st, i, v); }
void st_bind_null(struct stmt *st, int i) { st->drv->bind_null(st, i); }
enum db_type st_type(struct stmt *st, int i) { return st->drv->type(st, i); }
int64_t st_int64(struct stmt *st, int i) { return st->drv->int64(st, i); }
int st_int(struct stmt *st, int i) { return (int)st->drv->int64(st, i); }
double st_double(struct stmt *st, int i) { return st->drv->real(st, i); }
const char *st_text(struct stmt *st, int i) { return st->drv->text(st, i); }
int st_bytes(struct stmt *st, int i) { return st->drv->bytes(st, i); }

void
st_finalize(struct stmt *st)
{
	if (st != NULL)
		st->drv->finalize(st);
}

void
st_bind_text(struct stmt *st, int i, const char *s)
{
	if (s == NULL)
		st->drv->bind_null(st, i);
	else
		st->drv->bind_text(st, i, s, -1, NULL);
}

void
st_bind_textn(struct stmt *st, int i, const char *s, int len,
    void (*free)(void *))
{
	st->drv->bind_text(st, i, s, len, free);
}

void
st_bind_column(struct stmt *st, int i, struct stmt *row, int j)
{
	switch (st_type(row, j)) {
	case DB_INT:
		st_bind_int(st, i, st_int64(row, j));
		break;
	case DB_REAL:
		st_bind_double(st, i, st_double(row, j));
		break;
	case DB_TEXT:
		st_bind_textn(st, i, st_text(row, j), st_bytes(row, j), NULL);
		break;
	default:
		st_bind_null(st, i);
	}
}

/* Refuses a newer schema than this build knows. */
static int
schema_check(int *version)
{
	int rc;

	if ((rc = drv->version(path, version)) != 0)
		return rc;
	if ((size_t)*version > schema_nsteps)
		return chat_err(ST_DB, "%s: schema version %d is newer than "
		    "this chat-tools knows (%zu); upgrade chat-tools", path,
		    *version, schema_nsteps);
	return 0;
}

/* Brings the schema up to date, every step in one transaction; a concurrent
 * process doing the same waits for the write lock, then finds it done. */
static int
migrate(int version)
{
	const char *const *steps = db_engine_pg() ? schema_pg_steps :
	    schema_steps;
	int rc;

	if ((size_t)version == schema_nsteps)
		return 0;
	if ((rc = db_begin()) != 0)
		return rc;
	if ((rc = schema_check(&version)) != 0)
		goto fail;
	for (; (size_t)version < schema_nsteps; version++) {
		if (steps[version] == NULL)
			continue;
		if ((rc = db_exec(steps[version], "creating the schema")) != 0)
			goto fail;
		if (drv->set_version(version + 1) != 0) {
			rc = db_fail("setting the schema version");
			goto fail;
		}
	}
	return db_commit();
fail:
	db_rollback();
	return rc;
}

int
db_open(enum db_mode mode)
{
	const struct config *cfg;
	struct stat sb;
	int rc, version;

	if ((rc = resolve_path()) != 0 || (rc = config_get(&cfg)) != 0)
		return rc;
	if (db_is_url(path)) {
		if ((drv = db_pg_module()) == NULL)
			return ST_DB;
		if ((rc = drv->open(path, cfg->busy_timeout_ms, bad_path())) != 0)
			return rc;
		if ((rc = schema_check(&version)) != 0)
			return rc;
		/* A database with no schema is what a missing file is. */
		if (version == 0 && mode != DB_CREATE)
			return chat_err(ST_DB, "no database at %s (chat-import "
			    "creates one)", path);
		return migrate(version);
	}
	drv = &sqlite_driver;
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
	if ((rc = sqlite_open(path, mode, dry_run, cfg->busy_timeout_ms)) != 0)
		return rc;
	if ((rc = schema_check(&version)) != 0)
		return rc;
	return migrate(version);
}

void
db_close(void)
{
	size_t i;

	for (i = 0; i < ncache; i++)
		st_finalize(cache[i].st);
	ncache = 0;
	if (drv != NULL && drv != &sqlite_driver)
		drv->close();
	sqlite_driver.close();
	drv = NULL;
}

/* When the open write transaction began. */
static time_t began;

time_t
db_now(void)
{
	return db_in_transaction() && began != 0 ? began : time(NULL);
}

int
db_begin(void)
{
	began = time(NULL);
	if (drv->begin() != 0)
		return db_fail("starting a transaction");
	return 0;
}

int
db_begin_read(void)
{
	if (drv->begin_read() != 0)
		return db_fail("starting a transaction");
	return 0;
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
	if (drv != NULL && drv->in_transaction())
		drv->exec("ROLLBACK");
}

int
db_id(const char *sql, const char *key, const char *context, int64_t *id)
{
	struct stmt *st = db_prep(sql);
	int rc;

	*id = 0;
	if (st == NULL)
		return ST_DB;
	st_bind_text(st, 1, key);
	if (db_row(st, context, &rc))
		*id = st_int64(st, 0);
	st_reset(st);
	return rc;
}

/* PostgreSQL's array literal: every element quoted, so that no text needs
 * telling apart from NULL or a nested array; a backslash before " and \.
 * Written here rather than asked of the server, whose answer would cost
 * the round trip the array saves. */
void
column_text(struct column *c, const char *s)
{
	if (c->s == NULL)
		c->s = sqlite3_str_new(NULL);
	sqlite3_str_appendchar(c->s, 1, c->n++ ? ',' : '{');
	if (s == NULL) {
		sqlite3_str_appendall(c->s, "NULL");
		return;
	}
	sqlite3_str_appendchar(c->s, 1, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			sqlite3_str_appendchar(c->s, 1, '\\');
		sqlite3_str_appendchar(c->s, 1, *s);
	}
	sqlite3_str_appendchar(c->s, 1, '"');
}

void
column_int(struct column *c, int64_t v)
{
	if (c->s == NULL)
		c->s = sqlite3_str_new(NULL);
	sqlite3_str_appendf(c->s, "%c%lld", c->n++ ? ',' : '{', (long long)v);
}

/* -1 for NULL, as the import keeps its times. */
void
column_time(struct column *c, int64_t t)
{
	if (t >= 0)
		column_int(c, t);
	else
		column_text(c, NULL);
}

int
st_bind_column_array(struct stmt *st, int i, struct column *c)
{
	if (c->s == NULL)
		c->s = sqlite3_str_new(NULL);
	sqlite3_str_appendall(c->s, c->n ? "}" : "{}");
	if (sqlite3_str_errcode(c->s) != SQLITE_OK) {
		column_clear(c);
		return chat_err(ST_DB, "out of memory");
	}
	st_bind_textn(st, i, sqlite3_str_value(c->s), sqlite3_str_length(c->s),
	    NULL);
	column_clear(c);
	return 0;
}

void
column_clear(struct column *c)
{
	sqlite3_free(sqlite3_str_finish(c->s));
	c->s = NULL;
	c->n = 0;
}

sqlite3 *
db_local_handle(void)
{
	return local() == 0 ? sqlite_handle() : NULL;
}
