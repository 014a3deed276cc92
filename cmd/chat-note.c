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
	if (fp != stdout)
		return;
	fputs("  -m, --message TEXT    the note (several -m are its "
	    "paragraphs)\n"
	    "  -F, --file FILE       the note in FILE (- for standard input)\n"
	    "  -l, --list            list the notes\n"
	    "      --all             with -l: every conversation's notes\n"
	    "  -o, --output FORMAT   the listing's format: table, tsv, json "
	    "or ids\n"
	    "      --ref             the ids are the platform's refs\n"
	    "  -q, --quiet           print no ids\n"
	    "  -n, --dry-run         print the changes that would be made, "
	    "make none\n", fp);
	chat_help(fp);
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
	const char **ms, *file = NULL, *o = NULL;
	char *text = NULL;
	enum fmt fmt = FMT_TABLE;
	size_t i, nm = 0;
	int64_t id;
	int c, rc, list = 0, all = 0;

	chat_init(argv[0]);
	/* Each -m, kept until the options are known to agree. */
	if ((ms = calloc((size_t)argc, sizeof *ms)) == NULL)
		return chat_err(ST_DB, "out of memory");
	while ((c = getopt_long(argc, argv, "qnm:F:lo:d:c:h", longopts, NULL))
	    != -1) {
		switch (c) {
		case 'm': ms[nm++] = optarg; continue;
		case 'F':
			if (file != NULL) {
				chat_err(ST_USAGE, "-F given twice: one note "
				    "file");
				goto bad;
			}
			file = optarg;
			continue;
		case 'l': list = 1; continue;
		case OPT_ALL: all = 1; continue;
		case 'o': o = optarg; continue;
		case 'h':
		case OPT_HELP: usage(stdout); goto done;
		}
		if ((rc = chat_opt(c, optarg)) == 1)
			goto done;
		if (rc != 0)
			goto bad;
	}
	argc -= optind;
	argv += optind;
	if (o != NULL && !list) {
		chat_err(ST_USAGE, "-o %s: only -l prints a listing", o);
		goto bad;
	}
	if (all && (!list || argc > 0)) {
		chat_err(ST_USAGE, "--all: with -l, and no ids");
		goto bad;
	}
	if (o != NULL && fmt_parse(o, &fmt, 0) != 0)
		goto bad;
	if (list) {
		if (nm || file) {
			chat_err(ST_USAGE, "-l lists notes: no -m or -F");
			goto bad;
		}
		if (db_open(DB_READ) == 0)
			list_run(LIST_NOTES, fmt, argv, argc,
			    chat_flags.by_ref, all);
		goto done;
	}
	if ((nm && file) || (!nm && !file && argc != 1) ||
	    (file && strcmp(file, "-") == 0 && argc == 0)) {
		chat_err(ST_USAGE, "one of -m or -F, or a single id with the "
		    "note on standard input or from an editor");
		goto bad;
	}

	for (i = 0, rc = 0; rc == 0 && i < nm; i++)
		rc = note_paragraph(&text, ms[i]);
	if (file != NULL)
		rc = note_read(file, &text);
	if (rc != 0 || db_open(DB_WRITE) != 0 ||
	    ids_open(&ids, argv, argc, chat_flags.by_ref) != 0)
		goto done;
	if (nm == 0 && file == NULL) {
		/* The one id is known before the note is typed: an unknown
		 * one would throw the note away. */
		if (ids_next(ids, &id) <= 0 || conv_check(id) != 0 ||
		    (isatty(0) ? note_edit(&text) : note_read("-", &text)) != 0)
			goto done;
		if (batch_open(&b, chat_flags.quiet, chat_flags.dry_run,
		    notes_apply, text) == 0)
			batch_add(b, id, 0);
		goto done;
	}
	if (batch_open(&b, chat_flags.quiet, chat_flags.dry_run, notes_apply,
	    text) == 0)
		while ((rc = ids_next(ids, &id)) != 0)
			if (rc > 0 && batch_add(b, id, ids_ready(ids)) != 0)
				break;
done:
	batch_close(b);
	ids_close(ids);
	free(text);
	free(ms);
	return chat_exit();
bad:
	usage(stderr);
	chat_status(ST_USAGE);
	goto done;
}
