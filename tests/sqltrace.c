/* sqltrace.c: an LD_PRELOAD library for tests/security.bats. The text of
 * every statement the program hands SQLite (sqlite3_prepare_v2, _v3 and
 * sqlite3_exec) is appended to SQL_LOG, one statement a line, so that a
 * test can check that no input ever becomes SQL text: values reach SQLite
 * bound. Only the entry points lib/ calls are wrapped; the test checks
 * that it calls no other. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int prepare_fn(sqlite3 *, const char *, int, sqlite3_stmt **,
    const char **);
typedef int prepare3_fn(sqlite3 *, const char *, int, unsigned,
    sqlite3_stmt **, const char **);
typedef int exec_fn(sqlite3 *, const char *, int (*)(void *, int, char **,
    char **), void *, char **);

static void
trace(const char *sql, int len)
{
	const char *path = getenv("SQL_LOG");
	char *line;
	size_t n;
	int fd;

	if (path == NULL || sql == NULL)
		return;
	n = len < 0 ? strlen(sql) : strnlen(sql, (size_t)len);
	if ((line = malloc(n + 1)) == NULL ||
	    (fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600)) < 0)
		abort();
	memcpy(line, sql, n);
	line[n] = '\n';
	/* One write() a statement: processes may log at once. */
	if (write(fd, line, n + 1) != (ssize_t)(n + 1))
		abort();
	close(fd);
	free(line);
}

int
sqlite3_prepare_v2(sqlite3 *db, const char *sql, int len, sqlite3_stmt **st,
    const char **tail)
{
	prepare_fn *next = (prepare_fn *)dlsym(RTLD_NEXT, "sqlite3_prepare_v2");

	trace(sql, len);
	return next(db, sql, len, st, tail);
}

int
sqlite3_prepare_v3(sqlite3 *db, const char *sql, int len, unsigned flags,
    sqlite3_stmt **st, const char **tail)
{
	prepare3_fn *next = (prepare3_fn *)dlsym(RTLD_NEXT,
	    "sqlite3_prepare_v3");

	trace(sql, len);
	return next(db, sql, len, flags, st, tail);
}

int
sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **,
    char **), void *arg, char **err)
{
	exec_fn *next = (exec_fn *)dlsym(RTLD_NEXT, "sqlite3_exec");

	trace(sql, -1);
	return next(db, sql, cb, arg, err);
}
