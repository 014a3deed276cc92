/* errors.c: the program name, diagnostics and the exit status to return
 * (the worst recorded); calls nothing above utf8.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "chat.h"

static const char *prog = "chat";
static int worst = ST_OK;

void
chat_init(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	prog = slash ? slash + 1 : argv0;
}

const char *
chat_prog(void)
{
	return prog;
}

/* "The worst that applies wins": later entries are worse. */
static int
rank(int status)
{
	static const int order[] = {
		ST_OK, ST_SOME, ST_DATA, ST_REMOTE, ST_TEMP, ST_DB, ST_CONFIG,
		ST_USAGE
	};
	size_t i;

	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		if (order[i] == status)
			return (int)i;
	return 0;
}

void
chat_status(int status)
{
	if (rank(status) > rank(worst))
		worst = status;
}

/* A message names its input, which may hold control characters: shown
 * as \xHH, as everywhere else, so that none reaches a terminal raw. Made
 * on the stack, so that out of memory can be said too; a message longer
 * than the buffer is cut. */
int
chat_err(int status, const char *fmt, ...)
{
	char msg[1024], *s;
	size_t n;
	va_list ap;
	int c;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: ", prog);
	for (s = msg; *s != '\0'; s += n)
		if ((c = utf8_control(s, &n)) >= 0)
			fprintf(stderr, "\\x%02x", c);
		else
			fwrite(s, 1, n, stderr);
	fputc('\n', stderr);
	chat_status(status);
	return status;
}

int
chat_worst(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		chat_err(ST_DB, "standard output: write error");
	return worst;
}
