/* chat-import: conversations and their transcripts in, as NDJSON events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"

static const char *format, *timestamp, *signature;
static int format_word;

static const struct opt opts[] = {
	OPT_ARG(OPT_CHOICE, 'f', "format", "FORMAT", &format, "the events' "
	    "format: ndjson (chat-tools', the default) or chatwoot (its "
	    "webhooks' payloads)", .words = OPT_WORDS("ndjson", "chatwoot"),
	    .word = &format_word, .twice = "-f given twice"),
	OPT_ARG(OPT_STR, 0, "timestamp", "TS", &timestamp, "a Chatwoot "
	    "delivery's X-Chatwoot-Timestamp (empty: none)",
	    .twice = "--timestamp given twice"),
	OPT_ARG(OPT_STR, 0, "signature", "sha256=HEX", &signature, "its "
	    "X-Chatwoot-Signature, checked with the secret the config names "
	    "(empty: none)", .twice = "--signature given twice"),
	OPT__QUIET, OPT__COMMON, OPT_END
};

static const struct command import = {
	"usage: chat-import [-q] [-f FORMAT] [-d DB] [-c CONFIG] [--as NAME]"
	" [FILE...]\n"
	"       chat-import -f chatwoot [--timestamp TS --signature sha256=HEX]"
	" [-q]\n"
	"                   [-d DB] [-c CONFIG] [--as NAME] [FILE]\n",
	opts
};

/* One input: a file named, or standard input. */
struct input {
	const char *name;
	int fd;
	struct lines *lines;
};

int
main(int argc, char *argv[])
{
	struct import *im = NULL;
	struct input *in;
	int i, n;

	if (opt_parse(&import, &argc, &argv) != 0 ||
	    opt_rules(OPT_RULES(OPT_RULE((timestamp || signature) &&
	    format_word != 2, "--timestamp and --signature go with -f "
	    "chatwoot")), 1) != 0)
		return chat_exit();
	if (argc == 0 && isatty(0)) {
		usage_err("no input: give files or pipe events in");
		return chat_exit();
	}

	/* Every file opens before anything is written: a typo does nothing.
	 * No operand is standard input, as "-" is. */
	n = argc > 0 ? argc : 1;
	if ((in = calloc((size_t)n, sizeof *in)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; i < n; i++) {
		in[i].name = argc > 0 && strcmp(argv[i], "-") != 0 ? argv[i] :
		    "stdin";
		if (argc > 0 && strcmp(argv[i], "-") != 0 &&
		    (in[i].fd = input_open(argv[i])) < 0)
			break;
		if ((in[i].lines = lines_open(in[i].fd, in[i].name)) == NULL) {
			chat_err(ST_DB, "out of memory");
			break;
		}
	}
	/* A signed delivery is checked before the database is opened, which
	 * may make it: a refused one changes nothing. */
	if (i == n && (format_word != 2 || chatwoot_verify(in[0].lines,
	    in[0].name, n, timestamp, signature) == 0) &&
	    db_open(DB_CREATE) == 0 && import_begin(&im, chat_flags.quiet,
	    format_word == 2 ? IMPORT_CHATWOOT : IMPORT_NDJSON) == 0)
		for (i = 0; i < n; i++)
			if (import_lines(im, in[i].lines, in[i].name) != 0)
				break;
	import_end(im);
	for (i = 0; i < n; i++) {
		lines_close(in[i].lines);
		if (in[i].fd > 0)
			close(in[i].fd);
	}
	free(in);
	return chat_exit();
}
