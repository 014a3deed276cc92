/* fuzz.c: the scratch files and database of the fuzz targets, kept in
 * /dev/shm when there is one, and the replay driver used without
 * libFuzzer: each argument, a file or a directory of files, is one run. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libchat.h"
#include "fuzz.h"

static char file_path[64], db_path_buf[64];
static int file_fd = -1;

static const char *
scratch(void)
{
	struct stat st;

	return stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ?
	    "/dev/shm" : "/tmp";
}

char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		fuzz_fail("out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static void
cleanup(void)
{
	if (file_path[0] != '\0')
		unlink(file_path);
	if (db_path_buf[0] != '\0') {
		char p[80];

		db_close();
		unlink(db_path_buf);
		snprintf(p, sizeof p, "%s-wal", db_path_buf);
		unlink(p);
		snprintf(p, sizeof p, "%s-shm", db_path_buf);
		unlink(p);
	}
}

int
fuzz_file(const uint8_t *data, size_t size, const char **path)
{
	if (file_fd < 0) {
		snprintf(file_path, sizeof file_path, "%s/chat-fuzz-%ld.in",
		    scratch(), (long)getpid());
		file_fd = open(file_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (file_fd < 0)
			fuzz_fail(file_path);
		atexit(cleanup);
	}
	if (ftruncate(file_fd, 0) != 0 ||
	    pwrite(file_fd, data, size, 0) != (ssize_t)size ||
	    lseek(file_fd, 0, SEEK_SET) != 0)
		fuzz_fail(file_path);
	*path = file_path;
	return file_fd;
}

void
fuzz_db(void)
{
	snprintf(db_path_buf, sizeof db_path_buf, "%s/chat-fuzz-%ld.db",
	    scratch(), (long)getpid());
	cleanup();
	atexit(cleanup);
	setenv("HOME", "/nonexistent", 1);
	unsetenv("CHAT_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	db_set_path(db_path_buf);
	if (db_open(DB_CREATE) != 0 ||
	    db_exec("PRAGMA synchronous = OFF", "fuzz") != 0)
		fuzz_fail(db_path_buf);
}

_Noreturn void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz: %s\n", what);
	abort();
}

void
fuzz_sent_check(const struct sent *r)
{
	if (strnlen(r->error, sizeof r->error) == sizeof r->error ||
	    strnlen(r->remote_ref, sizeof r->remote_ref) ==
	    sizeof r->remote_ref)
		fuzz_fail("an unterminated string");
	if (strpbrk(r->error, "\r\n") != NULL)
		fuzz_fail("a reason over more than one line");
}

#ifdef FUZZ_REPLAY
static int
replay(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL, *nb;
	size_t n = 0, cap = 0, got;

	if (fp == NULL) {
		perror(path);
		return 1;
	}
	do {
		if (n == cap) {
			if ((nb = realloc(buf, cap * 2 + 4096)) == NULL)
				fuzz_fail("out of memory");
			buf = nb;
			cap = cap * 2 + 4096;
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dirent *e;
	struct stat st;
	char p[4096];
	int i, rc = 0, runs = 0;
	DIR *d;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && !S_ISDIR(st.st_mode)) {
			rc |= replay(argv[i]);
			runs++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			perror(argv[i]);
			return 1;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
			rc |= replay(p);
			runs++;
		}
		closedir(d);
	}
	printf("%d inputs\n", runs);
	return rc;
}
#endif
