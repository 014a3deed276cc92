/* chat-history: find conversations by filter, or show them in full. */
#include <stdio.h>
#include <string.h>

#include "chat.h"

static struct filter *f;
static const char *o;
static int count;
static long limit;

static const struct opt opts[] = {
	{ .type = OPT_TEXT, .help = "filters, combined with AND:\n" },
	OPT__FILTERS(&f),
	{ .type = OPT_TEXT, .help = "options:\n" },
	OPT_ARG(OPT_STR, 'o', "output", "FORMAT", &o, "table, tsv, json or "
	    "ids; ids given: text or json\nshow them, the others list them"),
	OPT_ARG(OPT_COUNT, 0, "limit", "N", &limit, "list the newest N only"),
	OPT_BOOL(0, "count", &count, "print how many match, not them"),
	OPT__REF, OPT__COMMON, OPT_END
};

static const struct command history = {
	"usage: chat-history [FILTER...] [-o table|tsv|json|ids] "
	"[--limit N] [--count]\n"
	"       chat-history [--ref] [-o text|json|table|tsv|ids] ID... | -\n",
	opts
};

/* The ids given, shown in full (-o text or json) or as a listing's rows
 * (-o table, tsv or ids). */
static void
show(char **argv, int argc, enum fmt fmt)
{
	struct ids *ids;
	int64_t id;
	long listed;
	int rc, n = 0;

	if (argc == 1 && strcmp(argv[0], "-") == 0)
		argc = 0;
	if (ids_open(&ids, argv, argc, chat_flags.by_ref) != 0)
		return;
	if (fmt != FMT_TEXT && fmt != FMT_JSON) {
		if (conv_rows(ids, fmt, &listed) == 0 && listed == 0)
			chat_status(ST_SOME);
	} else
		while (ids_next(ids, &id, &rc)) {
			if (fmt == FMT_TEXT && n++ > 0)
				putchar('\n');
			if ((rc = conv_show(id, fmt)) == ST_SOME)
				chat_err(ST_SOME, "%lld: no such conversation",
				    (long long)id);
			else if (rc != 0)
				break;
		}
	ids_close(ids);
}

int
main(int argc, char *argv[])
{
	enum fmt fmt;
	long matched = 0;

	if ((f = filter_new()) == NULL || opt_parse(&history, &argc, &argv))
		goto done;
	fmt = argc > 0 ? FMT_TEXT : FMT_TABLE;
	if (opt_rules(OPT_RULES(
	    OPT_RULE(argc > 0 && (filter_given(f) || count || limit), "filters, "
	    "--count and --limit are for listing, not for showing ids"),
	    OPT_RULE(o != NULL && count, "-o %s: --count prints a number, not a "
	    "listing", o)), 1) != 0 || opt_fmt(o, &fmt, argc > 0) != 0 ||
	    opt_rules(OPT_RULES(OPT_RULE(argc == 0 && chat_flags.by_ref, "--ref: "
	    "no refs given, as operands or, with -, on standard input")), 1) != 0)
		goto done;
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
}
