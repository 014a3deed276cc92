/* lines.c: input files named on the command line, and a line reader over a
 * file descriptor that can tell whether more input is ready, so batches
 * commit when a pipe goes quiet. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chat.h"

struct lines {
	int fd;
	const char *name;
	char *buf;
	size_t cap, start, end, scanned;
	long lineno;
	int eof;
	int whole;		/* lines_whole(): the rest is one line */
	size_t back, cut;	/* the last line's start, and where its
				 * terminator was overwritten */
	char cutc;		/* with what */
};

/* A directory opens, so it is refused here rather than at its first read,
 * before anything is written. */
int
input_open(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		fd = -1;
		errno = EISDIR;
	}
	if (fd < 0)
		chat_err(ST_USAGE, "%s: %s", path, strerror(errno));
	return fd;
}

struct lines *
lines_open(int fd, const char *name)
{
	struct lines *l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	l->fd = fd;
	l->name = name;
	l->cap = 65536;
	if ((l->buf = malloc(l->cap)) == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

static int
fill(struct lines *l)
{
	ssize_t n;

	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->scanned -= l->start;
		l->start = 0;
	}
	if (l->end + 1 >= l->cap) {
		char *nb = realloc(l->buf, l->cap * 2);

		if (nb == NULL)
			return chat_err(ST_DATA, "%s: line %ld: out of memory",
			    l->name, l->lineno + 1);
		l->buf = nb;
		l->cap *= 2;
	}
	do
		n = read(l->fd, l->buf + l->end, l->cap - 1 - l->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return chat_err(ST_DB, "%s: %s", l->name, strerror(errno));
	if (n == 0)
		l->eof = 1;
	l->end += (size_t)n;
	return 0;
}

int
lines_next(struct lines *l, char **line, size_t *len, int *status)
{
	char *nl;

	*status = 0;
	for (;;) {
		nl = l->whole ? NULL :
		    memchr(l->buf + l->scanned, '\n', l->end - l->scanned);
		if (nl != NULL || (l->eof && l->start < l->end)) {
			if (nl == NULL)
				nl = l->buf + l->end;
			*line = l->buf + l->start;
			*len = (size_t)(nl - *line);
			if (*len > 0 && (*line)[*len - 1] == '\r')
				(*len)--;
			l->back = l->start;
			l->cut = (size_t)(*line + *len - l->buf);
			l->cutc = (*line)[*len];
			(*line)[*len] = '\0';
			l->start = l->scanned = (size_t)(nl - l->buf) +
			    (nl < l->buf + l->end);
			l->lineno++;
			return 1;
		}
		if (l->eof)
			return 0;
		l->scanned = l->end;
		if ((*status = fill(l)) != 0)
			return 0;
	}
}

void
lines_back(struct lines *l)
{
	l->buf[l->cut] = l->cutc;
	l->start = l->scanned = l->back;
	l->lineno--;
}

int
lines_rest(struct lines *l, size_t max, const char **text, size_t *len,
    int *status)
{
	*status = 0;
	while (!l->eof && l->end - l->start <= max)
		if ((*status = fill(l)) != 0)
			return 0;
	if (l->end - l->start > max)
		return 0;
	l->buf[l->end] = '\0';
	*text = l->buf + l->start;
	*len = l->end - l->start;
	return 1;
}

void
lines_whole(struct lines *l)
{
	l->whole = 1;
}

int
lines_ready(struct lines *l)
{
	struct pollfd p = { .fd = l->fd, .events = POLLIN };

	if (l->eof || memchr(l->buf + l->scanned, '\n', l->end - l->scanned))
		return 1;
	return poll(&p, 1, 0) > 0;
}

long
lines_lineno(const struct lines *l)
{
	return l->lineno;
}

void
lines_close(struct lines *l)
{
	if (l == NULL)
		return;
	free(l->buf);
	free(l);
}
