/* chat-stats: handling time and satisfaction of closed conversations, by
 * tag, operator, channel or period. */
#include <stdio.h>
#include <string.h>

#include "chat.h"

static struct filter *f;
static int by;	/* an enum stats_by */
static const char *o;
static struct opt_mode how = { 0, "--chart and --html: one or the other",
    NULL, NULL, NULL };

/* --by's words in the order of enum stats_by, from BY_TAG. */
static const struct opt opts[] = {
	{ .type = OPT_TEXT, .help = "filters, as chat-history's, combined "
	    "with AND:\n" },
	OPT__FILTERS(&f),
	{ .type = OPT_TEXT, .help = "options:\n" },
	OPT_ARG(OPT_CHOICE, 0, "by", "WHAT", NULL, "group by tag, operator, "
	    "channel, day, week or month", .word = &by, .words = OPT_WORDS(
	    "tag", "operator", "channel", "day", "week", "month"),
	    .twice = "--by given twice: one grouping"),
	OPT_ARG(OPT_STR, 'o', "output", "FORMAT", &o, "the report's format: "
	    "table, tsv or json"),
	OPT_CMDMODE(0, "chart", &how, STATS_CHART, "draw bars in the table"),
	OPT_CMDMODE(0, "html", &how, STATS_HTML, "write the report as an HTML "
	    "page"),
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

	if ((f = filter_new()) == NULL || opt_parse(&stats, &argc, &argv) ||
	    opt_fmt(o, &fmt, 0) != 0 || opt_rules(OPT_RULES(
	    OPT_RULE(fmt == FMT_IDS, "-o ids: a report lists groups, not "
	    "conversations"),
	    OPT_RULE(how.value == STATS_CHART && fmt != FMT_TABLE, "--chart "
	    "draws in a table, not in -o tsv or json"),
	    OPT_RULE(how.value == STATS_HTML && o != NULL, "--html is a format "
	    "of its own: no -o"),
	    OPT_RULE(argc > 0, "%s: a report takes no operand, only filters",
	    argv[0])), 1) != 0)
		goto done;
	if (db_open(DB_READ) == 0)
		stats_report(f, (enum stats_by)by, fmt, (enum stats_out)how.value);
done:
	filter_free(f);
	return chat_exit();
}
