/* chat-import: conversations and their transcripts in, as NDJSON events. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: chat-import [-q] [-d DB] [-c CONFIG] [--as NAME] "
	    "[FILE...]\n");
	if (fp != stdout)
		return;
	fputs("  -q, --quiet           print no ids\n", fp);
	chat_help(fp);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CHAT_LONGOPTS, {"quiet", 0, 0, 'q'}, {0, 0, 0, 0}
	};
	struct import *im = NULL;
	int c, i, rc, *fds;

	chat_init(argv[0]);
	while ((c = getopt_long(argc, argv, "qd:c:h", longopts, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP) {
			usage(stdout);
			return 0;
		}
		if ((rc = chat_opt(c, optarg)) != 0) {
			if (rc < 0)
				usage(stderr);
			return rc < 0 ? ST_USAGE : chat_exit();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 && isatty(0)) {
		chat_err(ST_USAGE, "no input: give files or pipe events in");
		usage(stderr);
		return ST_USAGE;
	}

	/* Every file opens before anything is written: a typo does nothing. */
	if ((fds = calloc((size_t)argc + 1, sizeof *fds)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") != 0 &&
		    (fds[i] = input_open(argv[i])) < 0)
			break;
	if (i == argc && db_open(DB_CREATE) == 0 &&
	    import_begin(&im, chat_flags.quiet) == 0) {
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
