/* chat-stats: handling time and satisfaction of closed conversations, by
 * tag, operator, channel or period. */
#include <stdio.h>
#include <string.h>

#include "chat.h"

static struct filter *f;
static enum stats_by by = BY_NONE;
static const char *o;
static struct opt_mode how = { 0, "--chart and --html: one or the other",
    NULL, NULL, NULL };

static int
by_opt(const struct opt *opt, void *p, const char *s)
{
	static const char *const names[] = {
		"tag", "operator", "channel", "day", "week", "month"
	};
	size_t i;

	(void)opt;
	(void)p;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0) {
			by = (enum stats_by)(i + 1);
			return 0;
		}
	return chat_err(ST_USAGE, "--by %s: tag, operator, channel, day, "
	    "week or month", s);
}

static const struct opt opts[] = {
	{ OPT_TEXT, NULL, 0, NULL, "filters, as chat-history's, combined with "
	    "AND:\n", NULL, 0, NULL, NULL, NULL },
	OPT__FILTERS(&f),
	{ OPT_TEXT, NULL, 0, NULL, "options:\n", NULL, 0, NULL, NULL, NULL },
	{ OPT_CALL, "by", 0, "WHAT", "group by tag, operator, channel, day, "
	    "week or month", NULL, 0, by_opt, "--by given twice: one grouping",
	    NULL },
	{ OPT_STR, "output", 'o', "FORMAT", "the report's format: table, tsv "
	    "or json", &o, 0, NULL, NULL, NULL },
	{ OPT_MODE, "chart", 0, NULL, "draw bars in the table", &how,
	    STATS_CHART, NULL, NULL, NULL },
	{ OPT_MODE, "html", 0, NULL, "write the report as an HTML page", &how,
	    STATS_HTML, NULL, NULL, NULL },
	OPT__COMMON, OPT_END
};

static const struct command stats = {
	"usage: chat-stats [--by tag|operator|channel|day|week|month] "
	"[FILTER...]\n"
	"                  [-o table|tsv|json | --chart | --html]\n",
	opts
};

int
main(int argc, char *argv[])
{
	enum fmt fmt = FMT_TABLE;

	if ((f = filter_new()) == NULL || opt_parse(&stats, &argc, &argv))
		goto done;
	if (o != NULL && fmt_parse(o, &fmt, 0) != 0)
		opt_usage();
	else if (fmt == FMT_IDS)
		usage_err("-o ids: a report lists groups, not conversations");
	else if (how.value == STATS_CHART && fmt != FMT_TABLE)
		usage_err("--chart draws in a table, not in -o tsv or json");
	else if (how.value == STATS_HTML && o != NULL)
		usage_err("--html is a format of its own: no -o");
	else if (argc > 0)
		usage_err("%s: a report takes no operand, only filters",
		    argv[0]);
	else if (db_open(DB_READ) == 0)
		stats_report(f, by, fmt, (enum stats_out)how.value);
done:
	filter_free(f);
	return chat_exit();
}
