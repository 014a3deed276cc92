/* chat-note: end-of-conversation notes, appended, never edited. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"

enum { OPT_ALL = OPT_FIRST_LOCAL };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: chat-note [-qn] [--ref] -m TEXT | -F FILE [ID...]\n"
	    "       chat-note [-qn] [--ref] ID   (text on stdin, else "
	    "$VISUAL or $EDITOR)\n"
	    "       chat-note -l [-o table|tsv|json|ids] [--ref] [ID...]\n"
	    "       chat-note -l --all [-o table|tsv|json|ids]\n");
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CHAT_LONGOPTS, {"quiet", 0, 0, 'q'}, {"dry-run", 0, 0, 'n'},
		{"ref", 0, 0, OPT_REF}, {"message", 1, 0, 'm'},
		{"file", 1, 0, 'F'}, {"list", 0, 0, 'l'},
		{"output", 1, 0, 'o'}, {"all", 0, 0, OPT_ALL}, {0, 0, 0, 0}
	};
	struct batch *b = NULL;
	struct ids *ids = NULL;
	const char *m = NULL, *file = NULL, *o = NULL;
	char *text = NULL;
	enum fmt fmt = FMT_TABLE;
	int64_t id;
	int c, rc, list = 0, all = 0;

	chat_init(argv[0]);
	while ((c = getopt_long(argc, argv, "qnm:F:lo:d:c:h", longopts, NULL))
	    != -1) {
		switch (c) {
		case 'm': m = optarg; continue;
		case 'F': file = optarg; continue;
		case 'l': list = 1; continue;
		case OPT_ALL: all = 1; continue;
		case 'o': o = optarg; continue;
		case 'h':
		case OPT_HELP: usage(stdout); return 0;
		}
		if ((rc = chat_opt(c, optarg)) == 1)
			return chat_exit();
		if (rc != 0)
			goto bad;
	}
	argc -= optind;
	argv += optind;
	if ((o != NULL && (!list || fmt_parse(o, &fmt, 0) != 0)) ||
	    (all && (!list || argc > 0)))
		goto bad;
	if (list) {
		if (m || file)
			goto bad;
		if (db_open(DB_READ) == 0)
			list_run(LIST_NOTES, fmt, argv, argc,
			    chat_flags.by_ref, all);
		return chat_exit();
	}
	if ((m && file) || (!m && !file && argc != 1) ||
	    (file && strcmp(file, "-") == 0 && argc == 0)) {
		chat_err(ST_USAGE, "one of -m or -F, or a single id with the "
		    "note on standard input or from an editor");
		goto bad;
	}

	if (m != NULL)
		rc = note_text(m, strlen(m), "-m", &text);
	else if (file != NULL)
		rc = note_read(file, &text);
	else if (!isatty(0))
		rc = note_read("-", &text);
	else
		rc = note_edit(&text);
	if (rc == 0 && db_open(DB_WRITE) == 0 &&
	    ids_open(&ids, argv, argc, chat_flags.by_ref) == 0 &&
	    batch_open(&b, chat_flags.quiet, chat_flags.dry_run, notes_apply,
	    text) == 0)
		while ((rc = ids_next(ids, &id)) != 0)
			if (rc > 0 && batch_add(b, id, ids_ready(ids)) != 0)
				break;
	batch_close(b);
	ids_close(ids);
	free(text);
	return chat_exit();
bad:
	usage(stderr);
	chat_status(ST_USAGE);
	return chat_exit();
}
