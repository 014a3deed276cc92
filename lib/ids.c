/* ids.c: conversation ids in, from operands or else from piped standard
 * input, one per line, first field only; a listing's header is skipped. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libchat.h"

struct ids {
	char **argv;
	int argc, next;
	int by_ref;
	int started;		/* a line with a field has been read */
	struct lines *in;
};

int
ids_open(struct ids **out, char **argv, int argc, int by_ref)
{
	struct ids *ids;

	*out = NULL;
	if (argc == 0 && isatty(0))
		return chat_err(ST_USAGE, "no conversation ids given, as "
		    "operands or on standard input");
	if ((ids = calloc(1, sizeof *ids)) == NULL)
		return chat_err(ST_DB, "out of memory");
	ids->argv = argv;
	ids->argc = argc;
	ids->by_ref = by_ref;
	if (argc == 0 && (ids->in = lines_open(0, "stdin")) == NULL) {
		free(ids);
		return chat_err(ST_DB, "out of memory");
	}
	*out = ids;
	return 0;
}

/* Whether the first field [f, end) is a listing's header: "id", as TSV
 * has it, or as a table has it on a terminal, perhaps after the escape
 * that makes it bold (ESC [ 1 m). */
static int
header(const char *f, const char *end)
{
	const char *p = f;

	if (end - p > 2 && p[0] == '\033' && p[1] == '[') {
		for (p += 2; p < end && (isdigit((unsigned char)*p) ||
		    *p == ';'); p++)
			;
		p = p < end && *p == 'm' ? p + 1 : f;
	}
	return end - p == 2 && p[0] == 'i' && p[1] == 'd';
}

/* The next input word: an operand, or the first field of the next line
 * that is neither blank nor a comment, but for a first such line that is
 * a listing's header; a word holding a NUL is refused and passed over.
 * 1: got one; 0: none, at the end (*status 0) or on a read error. */
static int
next_word(struct ids *ids, char **word, int *status)
{
	char *line, *end, *lim;
	size_t len;

	*status = 0;
	if (ids->in == NULL) {
		if (ids->next >= ids->argc)
			return 0;
		*word = ids->argv[ids->next++];
		return 1;
	}
	while (lines_next(ids->in, &line, &len, status)) {
		lim = line + len;
		while (line < lim && isspace((unsigned char)*line))
			line++;
		if (line == lim || *line == '#')
			continue;
		for (end = line; end < lim && !isspace((unsigned char)*end);
		    end++)
			;
		if (!ids->started) {
			ids->started = 1;
			if (header(line, end))
				continue;
		}
		if (memchr(line, '\0', (size_t)(end - line)) != NULL) {
			chat_err(ST_DATA, "stdin:%ld: a NUL byte in the id",
			    lines_lineno(ids->in));
			continue;
		}
		*word = line;
		*end = '\0';
		return 1;
	}
	return 0;
}

/* Where a refused word came from, and the word itself cut short: a
 * stray megabyte of input is named, not echoed. */
static const char *
where(struct ids *ids, const char *word, char buf[96])
{
	size_t n = strlen(word);
	int cut = n > 48;

	if (cut)
		n = utf8_cut(word, 48);
	if (ids->in == NULL)
		snprintf(buf, 96, "%.*s%s", (int)n, word, cut ? "..." : "");
	else
		snprintf(buf, 96, "stdin:%ld: %.*s%s", lines_lineno(ids->in),
		    (int)n, word, cut ? "..." : "");
	return buf;
}

int
ids_next(struct ids *ids, int64_t *id, int *status)
{
	char *word, *end, buf[96];
	long long v;

	while (next_word(ids, &word, status)) {
		if (ids->by_ref) {
			if ((*status = db_id("SELECT id FROM conversations"
			    " WHERE ref = ?", word, "looking up a ref", id)) != 0)
				return 0;
			if (*id != 0)
				return 1;
			chat_err(ST_SOME, "%s: no such conversation ref",
			    where(ids, word, buf));
			continue;
		}
		errno = 0;
		v = strtoll(word, &end, 10);
		if (isdigit((unsigned char)*word) && *end == '\0' &&
		    errno == 0 && v > 0) {
			*id = v;
			return 1;
		}
		chat_err(ST_DATA, "%s: not a conversation id",
		    where(ids, word, buf));
	}
	return 0;
}

int
ids_ready(struct ids *ids)
{
	return ids->in == NULL || lines_ready(ids->in);
}

void
ids_close(struct ids *ids)
{
	if (ids == NULL)
		return;
	lines_close(ids->in);
	free(ids);
}
