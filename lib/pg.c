/* pg.c: the PostgreSQL engine, the module chat-pg.so: a connection by
 * libpq, and statements on it that behave as SQLite's do for the rest of
 * lib/. It calls nothing of lib/ but chat_err(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "libchat.h"

/* pg_type.h's, which libpq-dev does not install for clients. */
#define BOOLOID 16
#define INT8OID 20
#define INT2OID 21
#define INT4OID 23
#define OIDOID 26
#define FLOAT4OID 700
#define FLOAT8OID 701
#define NUMERICOID 1700

/* The key of the advisory lock every write transaction holds: writers
 * take turns, as on SQLite, and what the code reads in one stays true
 * until it commits. "chat" in ASCII. */
#define WRITE_LOCK "1667785076"

/* The comment on meta that says the schema's version, then its number. */
#define SCHEMA_COMMENT "chat-tools schema "

/* What db.c finds by dlsym(). */
extern const struct driver pg_driver;

struct pgst {
	struct stmt base;
	char *sql;		/* with $N for ?N */
	int nparam;
	char **value;		/* owned copies; NULL is SQL NULL */
	int *len;
	Oid *type;
	char name[16];		/* "" until prepared on the server */
	int runs;		/* executions: the second one prepares */
	PGresult *res;		/* of the last execution, until reset */
	int row, nrow;
	char real[32];		/* a real column's text, as SQLite's */
	int nomem;		/* a parameter's copy failed */
};

static PGconn *conn;
static PGresult *last_error;	/* of the last statement that failed */
static int broken;		/* the connection was lost */
static int changed;
static int nprepared;
static char lock_timeout[64];
static int have_schema;		/* its tables are there: version() > 0 */
static int nomem;		/* a copy of ours was not allocated */

/* The pipeline: statements sent whose results are not read yet, in order,
 * read all at once by the next call that waits (one round trip for a run
 * of db_send()s and the read after them). At most QUEUE_MAX, so that
 * neither end blocks writing while the other does too: unread results
 * stay well within a socket's buffer. */
#define QUEUE_MAX 256
static struct queued {
	struct pgst *prepared;	/* a PQsendPrepare() of it, or NULL */
	struct pgst *waiting;	/* the statement that waits for this result */
	const char *context;	/* db_send()'s, NULL for one that waits */
	int *changes;
} queue[QUEUE_MAX];
static int nqueue;
static const char *failed_send;	/* the context of a sent one that failed */

static void
keep_error(PGresult *res)
{
	PQclear(last_error);
	last_error = res;
	if (PQstatus(conn) != CONNECTION_OK)
		broken = 1;
}

/* Lock timeouts and cancellations are a busy database (ST_TEMP, no
 * message: db_fail() says so); a lost connection is ST_TEMP; anything
 * else ST_DB. An error with no SQLSTATE is libpq's own: the server went
 * away (libpq 15 still says CONNECTION_OK right after). */
static int
error(const char **message)
{
	const char *state = last_error ? PQresultErrorField(last_error,
	    PG_DIAG_SQLSTATE) : NULL;
	const char *primary = last_error ? PQresultErrorField(last_error,
	    PG_DIAG_MESSAGE_PRIMARY) : NULL;

	*message = NULL;
	if (nomem) {
		nomem = 0;
		*message = "out of memory";
		return ST_DB;
	}
	if (broken || PQstatus(conn) != CONNECTION_OK || state == NULL ||
	    strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
		*message = "connection to the server lost";
		return ST_TEMP;
	}
	if (state && (strcmp(state, "55P03") == 0 ||
	    strcmp(state, "57014") == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0))
		return ST_TEMP;
	*message = primary;
	return ST_DB;
}

/* SQLite's ?N and ? as PostgreSQL's $N, outside quotes. The caller's, to
 * free(); *n the highest parameter. */
static char *
translate(const char *sql, int *n)
{
	size_t len = strlen(sql);
	/* A bare ? (1 byte) becomes at most $99999 (6). */
	char *out = malloc(6 * len + 1), *o = out, quote = 0;
	const char *s;
	int next = 0, k;

	*n = 0;
	if (out == NULL)
		return NULL;
	for (s = sql; *s != '\0'; s++) {
		if (quote) {
			if (*s == quote)
				quote = 0;
			*o++ = *s;
		} else if (*s == '\'' || *s == '"') {
			quote = *s;
			*o++ = *s;
		} else if (*s == '?') {
			if (s[1] >= '0' && s[1] <= '9') {
				k = (int)strtol(s + 1, (char **)&s, 10);
				s--;
			} else
				k = ++next;
			if (k > next)
				next = k;
			o += sprintf(o, "$%d", k);
		} else
			*o++ = *s;
	}
	*o = '\0';
	*n = next;
	return out;
}

static int
prepare(const char *sql, int persistent, struct stmt **out)
{
	struct pgst *p;

	(void)persistent;
	*out = NULL;
	if ((p = calloc(1, sizeof *p)) == NULL) {
		nomem = 1;
		return -1;
	}
	p->base.drv = &pg_driver;
	if ((p->sql = translate(sql, &p->nparam)) == NULL ||
	    (p->nparam > 0 && ((p->value = calloc((size_t)p->nparam,
	    sizeof *p->value)) == NULL || (p->len = calloc((size_t)p->nparam,
	    sizeof *p->len)) == NULL || (p->type = calloc((size_t)p->nparam,
	    sizeof *p->type)) == NULL))) {
		free(p->sql);
		free(p->value);
		free(p->len);
		free(p);
		nomem = 1;
		return -1;
	}
	*out = &p->base;
	return 0;
}

#define PG(s) ((struct pgst *)(void *)(s))

static void
reset(struct stmt *st)
{
	struct pgst *p = PG(st);

	PQclear(p->res);
	p->res = NULL;
	p->row = p->nrow = 0;
}

/* Queues p in the pipeline: by its text the first time, prepared on the
 * server from the second (a statement a process runs once costs nothing
 * more), the PREPARE in the same round trip. */
static int
dispatch(struct pgst *p, const char *context, int *changes,
    struct pgst *waiting)
{
	const int *len = p->len;
	int ok;

	if (PQpipelineStatus(conn) == PQ_PIPELINE_OFF &&
	    PQenterPipelineMode(conn) != 1)
		goto fail;
	if (p->name[0] == '\0' && p->runs > 0) {
		snprintf(p->name, sizeof p->name, "s%d", nprepared++);
		if (PQsendPrepare(conn, p->name, p->sql, p->nparam,
		    p->type) != 1) {
			p->name[0] = '\0';
			goto fail;
		}
		queue[nqueue++] = (struct queued){ p, NULL, context, NULL };
	}
	p->runs++;
	if (p->name[0] != '\0')
		ok = PQsendQueryPrepared(conn, p->name, p->nparam,
		    (const char *const *)p->value, len, NULL, 0);
	else
		ok = PQsendQueryParams(conn, p->sql, p->nparam, p->type,
		    (const char *const *)p->value, len, NULL, 0);
	if (ok != 1)
		goto fail;
	queue[nqueue++] = (struct queued){ NULL, waiting, context, changes };
	return 0;
fail:
	keep_error(NULL);
	return -1;
}

/* Reads the results of the queue, up to the sync that ends it, and leaves
 * pipeline mode. A failure is the first one's, the statements after it
 * not run (aborted): its error kept, its context in failed_send, -1 in its
 * *changes. */
static int
collect(void)
{
	struct queued *e;
	PGresult *res;
	int i = 0, rc = 0, s;

	failed_send = NULL;
	if (PQpipelineSync(conn) != 1) {
		keep_error(NULL);
		broken = 1;
		rc = -1;
	}
	while (!broken) {
		/* Each statement's results end with a NULL; the sync's, not. */
		if ((res = PQgetResult(conn)) == NULL) {
			if (PQstatus(conn) != CONNECTION_OK || ++i > nqueue) {
				if (rc == 0)
					keep_error(NULL);
				broken = 1;
				rc = -1;
			}
			continue;
		}
		if ((s = PQresultStatus(res)) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (i >= nqueue) {
			PQclear(res);
			continue;
		}
		e = &queue[i];
		if (s == PGRES_PIPELINE_ABORTED)
			PQclear(res);
		else if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			if (e->prepared != NULL)
				e->prepared->name[0] = '\0';
			if (rc == 0) {
				keep_error(res);
				failed_send = e->context;
				if (e->changes != NULL)
					*e->changes = -1;
			} else
				PQclear(res);
			rc = -1;
		} else {
			if (e->changes != NULL)
				*e->changes = (int)strtol(PQcmdTuples(res), NULL, 10);
			if (e->waiting != NULL) {
				e->waiting->res = res;
				changed = (int)strtol(PQcmdTuples(res), NULL, 10);
			} else
				PQclear(res);
		}
	}
	nqueue = 0;
	if (PQpipelineStatus(conn) != PQ_PIPELINE_OFF &&
	    PQexitPipelineMode(conn) != 1)
		broken = 1;
	return rc;
}

/* Waits for the results of everything sent: before a statement of its
 * own (PQexec() is not allowed in pipeline mode), or for db_sync(). */
static int
sync(void)
{
	failed_send = NULL;
	return nqueue > 0 ? collect() : 0;
}

/* Runs p after whatever was sent before it, in the same round trip. */
static int
run(struct pgst *p)
{
	if (dispatch(p, NULL, NULL, p) != 0) {
		if (nqueue > 0)
			collect();
		return -1;
	}
	if (collect() != 0) {
		PQclear(p->res);
		p->res = NULL;
		return -1;
	}
	p->nrow = PQntuples(p->res);
	p->row = -1;
	return 0;
}

static int
send(struct stmt *st, const char *context, int *changes)
{
	/* Room for this one and the statement that will wait after it. */
	if (nqueue + 4 > QUEUE_MAX && sync() != 0)
		return -1;
	failed_send = NULL;
	return dispatch(PG(st), context, changes, NULL);
}

/* libpq keeps what is sent until its buffer fills or a sync. */
static int
push(void)
{
	if (nqueue > 0 && PQflush(conn) != 0) {
		keep_error(NULL);
		broken = 1;
		return -1;
	}
	return 0;
}

static const char *
sent_failure(void)
{
	return failed_send;
}

static int
step(struct stmt *st)
{
	struct pgst *p = PG(st);

	/* A parameter not copied would run as NULL: the statement fails. */
	if (p->res == NULL && p->nomem) {
		p->nomem = 0;
		nomem = 1;
		return -1;
	}
	if (p->res == NULL && run(p) != 0)
		return -1;
	if (p->row + 1 >= p->nrow) {
		p->row = p->nrow;
		return 0;
	}
	p->row++;
	return 1;
}

static void
finalize(struct stmt *st)
{
	struct pgst *p = PG(st);
	int i;

	/* A PREPARE sent and not read yet names p, which may go first. */
	for (i = 0; i < nqueue; i++)
		if (queue[i].prepared == p)
			queue[i].prepared = NULL;
	reset(st);
	for (i = 0; i < p->nparam; i++)
		free(p->value[i]);
	free(p->value);
	free(p->len);
	free(p->type);
	free(p->sql);
	free(p);
}

/* Parameter i (from 1) holds a copy of s, of type type. */
static void
bind(struct stmt *st, int i, const char *s, int len, Oid type)
{
	struct pgst *p = PG(st);
	char *copy = NULL;

	if (i < 1 || i > p->nparam)
		return;
	if (s != NULL) {
		if (len < 0)
			len = (int)strlen(s);
		if ((copy = malloc((size_t)len + 1)) == NULL)
			p->nomem = 1;
		else {
			memcpy(copy, s, (size_t)len);
			copy[len] = '\0';
		}
	}
	free(p->value[i - 1]);
	p->value[i - 1] = copy;
	p->len[i - 1] = len;
	/* A parameter's type is fixed when the statement is prepared: only
	 * the first execution's count. */
	if (p->name[0] == '\0' && type != 0)
		p->type[i - 1] = type;
}

static void
bind_int(struct stmt *st, int i, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%lld", (long long)v);
	bind(st, i, buf, -1, INT8OID);
}

static void
bind_double(struct stmt *st, int i, double v)
{
	char buf[40];

	snprintf(buf, sizeof buf, "%.17g", v);
	bind(st, i, buf, -1, FLOAT8OID);
}

static void
bind_null(struct stmt *st, int i)
{
	bind(st, i, NULL, 0, 0);
}

static void
bind_text(struct stmt *st, int i, const char *s, int len,
    void (*free)(void *))
{
	bind(st, i, s, len, 0);
	if (free != NULL)
		free((void *)s);
}

static enum db_type
type(struct stmt *st, int i)
{
	struct pgst *p = PG(st);

	if (p->res == NULL || p->row < 0 || p->row >= p->nrow ||
	    PQgetisnull(p->res, p->row, i))
		return DB_NULL;
	switch (PQftype(p->res, i)) {
	case BOOLOID:
	case INT8OID:
	case INT2OID:
	case INT4OID:
	case OIDOID:
		return DB_INT;
	case NUMERICOID:
		/* sum() of integers: an integer, as SQLite's is. */
		if (strchr(PQgetvalue(p->res, p->row, i), '.') == NULL)
			return DB_INT;
		return DB_REAL;
	case FLOAT4OID:
	case FLOAT8OID:
		return DB_REAL;
	default:
		return DB_TEXT;
	}
}

/* A column as text, as SQLite gives it: NULL for NULL, 1 and 0 for a
 * boolean, a real by SQLite's own format. */
static const char *
text(struct stmt *st, int i)
{
	struct pgst *p = PG(st);
	enum db_type t = type(st, i);
	const char *v;

	if (t == DB_NULL)
		return NULL;
	v = PQgetvalue(p->res, p->row, i);
	if (PQftype(p->res, i) == BOOLOID)
		return *v == 't' ? "1" : "0";
	if (t == DB_REAL) {
		sqlite3_snprintf(sizeof p->real, p->real, "%!.15g",
		    strtod(v, NULL));
		return p->real;
	}
	return v;
}

static int64_t
int64(struct stmt *st, int i)
{
	const char *v = text(st, i);

	return v ? strtoll(v, NULL, 10) : 0;
}

static double
real(struct stmt *st, int i)
{
	struct pgst *p = PG(st);

	if (type(st, i) == DB_NULL)
		return 0;
	return strtod(PQgetvalue(p->res, p->row, i), NULL);
}

static int
bytes(struct stmt *st, int i)
{
	const char *v = text(st, i);

	return v ? (int)strlen(v) : 0;
}

static int
exec(const char *sql)
{
	PGresult *res;
	int ok;

	if (sync() != 0)
		return -1;
	res = PQexec(conn, sql);
	ok = PQresultStatus(res);
	if (ok != PGRES_COMMAND_OK && ok != PGRES_TUPLES_OK) {
		keep_error(res);
		return -1;
	}
	changed = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

static int
changes(void)
{
	return changed;
}

static int
in_transaction(void)
{
	return conn != NULL && PQtransactionStatus(conn) != PQTRANS_IDLE;
}

/* A new row's id is the table's greatest plus one, as SQLite's rowid
 * is, not the next of a sequence: a sequence is not rolled back, and a
 * -n, a refused batch or a crash would leave gaps that SQLite does not,
 * in ids every tool prints. The writer holding the lock sets each
 * sequence so; no other writer uses one meanwhile. */
#define NEXT_ID(t) "setval(pg_get_serial_sequence('" t "', 'id'), (SELECT" \
	" coalesce(max(id), 0) + 1 FROM " t "), false)"
#define NEXT_IDS "; SELECT " NEXT_ID("conversations") ", " \
	NEXT_ID("messages") ", " NEXT_ID("tags") ", " NEXT_ID("notes") ", " \
	NEXT_ID("deliveries") ", " NEXT_ID("events")

/* Writers wait for one another at most the busy timeout, as on SQLite;
 * the ids are set once the tables are there. */
static int
begin(void)
{
	char sql[sizeof NEXT_IDS + 192];

	snprintf(sql, sizeof sql, "BEGIN ISOLATION LEVEL READ COMMITTED; SET"
	    " LOCAL lock_timeout = %s; SELECT"
	    " pg_advisory_xact_lock(" WRITE_LOCK ")%s", lock_timeout,
	    have_schema ? NEXT_IDS : "");
	return exec(sql);
}

/* The rows' ids the sequences had drawn are free again. */
static int
undo_to(const char *savepoint)
{
	char sql[sizeof NEXT_IDS + 64];

	snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT %s%s", savepoint,
	    NEXT_IDS);
	return exec(sql);
}

static int
begin_read(void)
{
	return exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

/* The version is the comment on the table meta, readable in one statement
 * whether or not the table is there; a database with other tables and no
 * meta is another application's. */
static int
version(const char *path, int *v)
{
	PGresult *res = PQexec(conn, "SELECT obj_description(to_regclass("
	    "'meta'), 'pg_class'), (SELECT count(*) FROM pg_catalog.pg_tables"
	    " WHERE schemaname = current_schema())");
	const char *comment;
	const char *msg;
	int rc;

	*v = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		keep_error(res);
		rc = error(&msg);
		return chat_err(rc, "%s: cannot read the database: %s", path,
		    msg ? msg : "database is busy; try again");
	}
	comment = PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0);
	if (comment != NULL && strncmp(comment, SCHEMA_COMMENT,
	    sizeof SCHEMA_COMMENT - 1) == 0) {
		*v = (int)strtol(comment + sizeof SCHEMA_COMMENT - 1, NULL, 10);
		rc = 0;
		have_schema = *v > 0;
	} else if (comment != NULL || strcmp(PQgetvalue(res, 0, 1), "0") != 0)
		rc = chat_err(ST_DB, "%s: not a chat-tools database (it holds "
		    "another application's tables); refusing to change it",
		    path);
	else
		rc = 0;
	PQclear(res);
	return rc;
}

static int
set_version(int v)
{
	char sql[160];

	snprintf(sql, sizeof sql, "COMMENT ON TABLE meta IS '" SCHEMA_COMMENT
	    "%d'; UPDATE meta SET value = '%d' WHERE key = "
	    "'schema_version'", v, v);
	have_schema = 1;
	return exec(sql);
}

static void
close_db(void)
{
	PQclear(last_error);
	last_error = NULL;
	PQfinish(conn);
	conn = NULL;
	broken = 0;
	nqueue = 0;
}

/* libpq's message s on one line: its lines joined by "; ", without the
 * last newline. Into buf, returned. */
static const char *
one_line(const char *s, char buf[512])
{
	char *o = buf;

	for (; *s != '\0' && o < buf + 509; s++) {
		if (*s == '\n' && s[1] == '\t') {
			*o++ = ';';
			*o++ = ' ';
			s++;
		} else if (*s == '\n' || *s == '\t') {
			if (s[1] != '\0' && o > buf && o[-1] != ' ')
				*o++ = ' ';
		} else
			*o++ = *s;
	}
	*o = '\0';
	return buf;
}

/* Whether the URL's user part, before the host, holds a password
 * (user:password@): said before libpq reads it, whose messages quote the
 * URL whole. */
static int
has_password(const char *url)
{
	const char *s = strstr(url, "://"), *end, *colon;

	if (s == NULL)
		return 0;
	s += 3;
	end = s + strcspn(s, "/?#");
	colon = memchr(s, ':', (size_t)(end - s));
	return colon != NULL && memchr(colon, '@', (size_t)(end - colon)) !=
	    NULL;
}

static int
refuse_password(void)
{
	return chat_err(ST_CONFIG, "the database URL holds a password: remove "
	    "it, and put it in ~/.pgpass (or the file $PGPASSFILE names), or "
	    "in $PGPASSWORD");
}

/* A password in the URL would be on a command line, in the environment
 * of every process and in the config: refused, as is sslpassword, the
 * key's. A URL libpq cannot read is bad, a usage error or a
 * configuration error by where it came from. */
static int
check_url(const char *url, int bad)
{
	PQconninfoOption *opts, *o;
	char *err = NULL, buf[512];
	int rc, secret = 0;

	if (has_password(url))
		return refuse_password();
	if ((opts = PQconninfoParse(url, &err)) == NULL) {
		rc = chat_err(bad, "the database URL: %s", err ?
		    one_line(err, buf) : "out of memory");
		PQfreemem(err);
		return rc;
	}
	for (o = opts; o->keyword != NULL; o++)
		if ((strcmp(o->keyword, "password") == 0 ||
		    strcmp(o->keyword, "sslpassword") == 0) && o->val != NULL &&
		    *o->val != '\0')
			secret = 1;
	PQconninfoFree(opts);
	return secret ? refuse_password() : 0;
}

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* What a failed connection is: libpq gives no code, only its words. A
 * server out of reach is temporary; credentials and option values are
 * the configuration's; a database that is not there is 74. */
static int
conn_status(const char *msg, int bad)
{
	if (PQconnectionNeedsPassword(conn) ||
	    strstr(msg, "authentication failed") != NULL ||
	    strstr(msg, "role \"") != NULL)
		return ST_CONFIG;
	if (strstr(msg, "invalid ") != NULL)
		return bad;
	if (strstr(msg, "does not exist") != NULL)
		return ST_DB;
	return ST_TEMP;
}

static int
pg_open(const char *url, int64_t busy_ms, int bad)
{
	const char *msg;
	char buf[512];
	int rc;

	if ((rc = check_url(url, bad)) != 0)
		return rc;
	snprintf(lock_timeout, sizeof lock_timeout, "'%lldms'",
	    (long long)busy_ms);
	conn = PQconnectdb(url);
	if (conn == NULL)
		return chat_err(ST_DB, "out of memory");
	if (PQstatus(conn) != CONNECTION_OK) {
		msg = one_line(PQerrorMessage(conn), buf);
		return chat_err(conn_status(msg, bad), "%s: %s", url, msg);
	}
	/* Times, text and sorting as SQLite's: UTC, UTF-8, backslashes
	 * in literals as themselves, and no notice on standard error. */
	PQsetNoticeProcessor(conn, quiet, NULL);
	if (exec("SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET "
	    "standard_conforming_strings = on") != 0) {
		rc = error(&msg);
		return chat_err(rc, "%s: %s", url, msg ? msg : "busy");
	}
	return 0;
}

const struct driver pg_driver = {
	"PostgreSQL", prepare, step, reset, finalize, bind_int, bind_double,
	bind_null, bind_text, type, int64, real, text, bytes, exec, error,
	changes, in_transaction, begin, begin_read, version,
	set_version, close_db, pg_open, send, sync, sent_failure, push,
	undo_to,
};
