/* chat-history: find conversations by filter, or show them in full. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

enum { OPT_LIMIT = OPT_FIRST_LOCAL, OPT_COUNT };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: chat-history [FILTER...] [-o table|tsv|json|ids] "
	    "[--limit N] [--count]\n"
	    "       chat-history [--ref] [-o text|json|table|tsv|ids] "
	    "ID... | -\n");
	if (fp != stdout)
		return;
	fputs("filters, combined with AND:\n" FILTER_HELP "options:\n", fp);
	fputs("  -o, --output FORMAT   table, tsv, json or ids; ids given: text "
	    "or json\n"
	    "                        show them, the others list them\n"
	    "      --limit N         list the newest N only\n"
	    "      --count           print how many match, not them\n"
	    "      --ref             the ids are the platform's refs\n", fp);
	chat_help(fp);
}

/* The ids given, shown in full (-o text or json) or as a listing's rows
 * (-o table, tsv or ids). */
static int
show(char **argv, int argc, enum fmt fmt)
{
	struct ids *ids;
	int64_t id;
	long listed;
	int rc, n = 0;

	if (argc == 1 && strcmp(argv[0], "-") == 0)
		argc = 0;
	if ((rc = ids_open(&ids, argv, argc, chat_flags.by_ref)) != 0)
		return rc;
	if (fmt != FMT_TEXT && fmt != FMT_JSON) {
		if (conv_rows(ids, fmt, &listed) == 0 && listed == 0)
			chat_status(ST_SOME);
		ids_close(ids);
		return 0;
	}
	while ((rc = ids_next(ids, &id)) != 0) {
		if (rc < 0)
			continue;
		if (fmt == FMT_TEXT && n++ > 0)
			putchar('\n');
		if ((rc = conv_show(id, fmt)) == ST_SOME)
			chat_err(ST_SOME, "%lld: no such conversation",
			    (long long)id);
		else if (rc != 0)
			break;
	}
	ids_close(ids);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CHAT_LONGOPTS, FILTER_LONGOPTS,
		{"limit", 1, 0, OPT_LIMIT}, {"count", 0, 0, OPT_COUNT},
		{"ref", 0, 0, OPT_REF}, {"output", 1, 0, 'o'}, {0, 0, 0, 0}
	};
	struct filter *f = filter_new();
	const char *o = NULL;
	enum fmt fmt = FMT_TABLE;
	long limit = 0, matched = 0;
	int c, rc, count = 0, filtered = 0;

	chat_init(argv[0]);
	if (f == NULL)
		return chat_exit();
	while ((c = getopt_long(argc, argv, "o:d:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o = optarg; continue;
		case OPT_COUNT: count = 1; continue;
		case OPT_LIMIT:
			if (opt_count("limit", optarg, &limit) != 0)
				goto bad;
			continue;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			filter_free(f);
			return 0;
		}
		if ((rc = filter_opt(f, c, optarg)) == 0) {
			filtered = 1;
			continue;
		}
		if (rc == ST_USAGE)
			goto bad;
		if (rc > 0)
			goto done;
		if ((rc = chat_opt(c, optarg)) == 1)
			goto done;
		if (rc < 0)
			goto bad;
	}
	argc -= optind;
	argv += optind;
	if (argc > 0) {
		if (filtered || count || limit) {
			chat_err(ST_USAGE, "filters, --count and --limit are "
			    "for listing, not for showing ids");
			goto bad;
		}
		fmt = FMT_TEXT;
	}
	if (o != NULL && count) {
		chat_err(ST_USAGE, "-o %s: --count prints a number, not a "
		    "listing", o);
		goto bad;
	}
	if (o != NULL && fmt_parse(o, &fmt, argc > 0) != 0)
		goto bad;
	if (argc == 0 && chat_flags.by_ref) {
		chat_err(ST_USAGE, "--ref: no refs given, as operands or, "
		    "with -, on standard input");
		goto bad;
	}
	if (db_open(DB_READ) == 0) {
		if (argc > 0)
			show(argv, argc, fmt);
		else if (conv_list(f, fmt, limit, count, &matched) == 0 &&
		    matched == 0)
			chat_status(ST_SOME);
	}
done:
	filter_free(f);
	return chat_exit();
bad:
	usage(stderr);
	filter_free(f);
	return ST_USAGE;
}
