/* chat-rate: the satisfaction form, one score per configured criterion. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

enum { OPT_ALL = OPT_FIRST_LOCAL };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: chat-rate [-qn] [--ref] CRITERION=SCORE... [ID...]\n"
	    "       chat-rate -l [-o table|tsv|json|ids] [--ref] [ID...]\n"
	    "       chat-rate -l --all [-o table|tsv|json|ids]\n");
	if (fp != stdout)
		return;
	fputs("  -l, --list            list the ratings\n"
	    "      --all             with -l: every conversation's ratings\n"
	    "  -o, --output FORMAT   the listing's format: table, tsv, json or "
	    "ids\n"
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
		{"ref", 0, 0, OPT_REF}, {"list", 0, 0, 'l'},
		{"output", 1, 0, 'o'}, {"all", 0, 0, OPT_ALL}, {0, 0, 0, 0}
	};
	struct rating *r = NULL;
	struct ratings set;
	struct batch *b = NULL;
	struct ids *ids = NULL;
	const char *o = NULL;
	enum fmt fmt = FMT_TABLE;
	size_t n = 0;
	int64_t id;
	int c, rc, list = 0, all = 0;

	chat_init(argv[0]);
	while ((c = getopt_long(argc, argv, "qnlo:d:c:h", longopts, NULL))
	    != -1) {
		switch (c) {
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
		if (db_open(DB_READ) == 0)
			list_run(LIST_RATINGS, fmt, argv, argc,
			    chat_flags.by_ref, all);
		return chat_exit();
	}

	/* The leading CRITERION=SCORE operands, all checked first. */
	if ((r = calloc((size_t)argc + 1, sizeof *r)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (; argc > 0 && strchr(argv[0], '=') != NULL; argc--, argv++)
		if (rating_parse(argv[0], &r[n++]) != 0)
			goto done;
	if (n == 0) {
		chat_err(ST_USAGE, "no CRITERION=SCORE given");
		free(r);
		goto bad;
	}
	set.r = r;
	set.n = n;
	if (ratings_unique(&set) != 0) {
		free(r);
		goto bad;
	}
	if (db_open(DB_WRITE) != 0 || ids_open(&ids, argv, argc,
	    chat_flags.by_ref) != 0 || batch_open(&b, chat_flags.quiet,
	    chat_flags.dry_run, ratings_apply, &set) != 0)
		goto done;
	while ((rc = ids_next(ids, &id)) != 0)
		if (rc > 0 && batch_add(b, id, ids_ready(ids)) != 0)
			break;
done:
	batch_close(b);
	ids_close(ids);
	free(r);
	return chat_exit();
bad:
	usage(stderr);
	chat_status(ST_USAGE);
	return chat_exit();
}
