/* chat-import: conversations and their transcripts in, as NDJSON events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"

static const char *format;
static int format_word;

static const struct opt opts[] = {
	OPT_ARG(OPT_CHOICE, 'f', "format", "FORMAT", &format, "the events' "
	    "format: ndjson (chat-tools', the default) or chatwoot (its "
	    "webhooks' payloads)", .words = OPT_WORDS("ndjson", "chatwoot"),
	    .word = &format_word, .twice = "-f given twice"),
	OPT__QUIET, OPT__COMMON, OPT_END
};

static const struct command import = {
	"usage: chat-import [-q] [-f FORMAT] [-d DB] [-c CONFIG] [--as NAME]"
	" [FILE...]\n",
	opts
};

int
main(int argc, char *argv[])
{
	struct import *im = NULL;
	int i, *fds;

	if (opt_parse(&import, &argc, &argv) != 0)
		return chat_exit();
	if (argc == 0 && isatty(0)) {
		usage_err("no input: give files or pipe events in");
		return chat_exit();
	}

	/* Every file opens before anything is written: a typo does nothing. */
	if ((fds = calloc((size_t)argc + 1, sizeof *fds)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") != 0 &&
		    (fds[i] = input_open(argv[i])) < 0)
			break;
	if (i == argc && db_open(DB_CREATE) == 0 &&
	    import_begin(&im, chat_flags.quiet, format_word == 2 ?
	    IMPORT_CHATWOOT : IMPORT_NDJSON) == 0) {
		if (argc == 0)
			import_file(im, 0, "stdin");
		for (i = 0; i < argc; i++)
			if (import_file(im, fds[i], strcmp(argv[i], "-") ?
			    argv[i] : "stdin") != 0)
				break;
	}
	import_end(im);
	for (i = 0; i < argc; i++)
		if (fds[i] > 0)
			close(fds[i]);
	free(fds);
	return chat_exit();
}
