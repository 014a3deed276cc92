/* chat-stats: handling time and satisfaction of closed conversations, by
 * tag, operator, channel or period. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "chat.h"

enum { OPT_BY = OPT_FIRST_LOCAL, OPT_CHART, OPT_HTML };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: chat-stats [--by tag|operator|channel|day|week|month] "
	    "[FILTER...]\n"
	    "                  [-o table|tsv|json | --chart | --html]\n");
	if (fp != stdout)
		return;
	fputs("filters, as chat-history's, combined with AND:\n" FILTER_HELP
	    "options:\n", fp);
	fputs("      --by WHAT         group by tag, operator, channel, day, "
	    "week or month\n"
	    "  -o, --output FORMAT   the report's format: table, tsv or json\n"
	    "      --chart           draw bars in the table\n"
	    "      --html            write the report as an HTML page\n", fp);
	chat_help(fp);
}

static int
parse_by(const char *s, enum stats_by *by)
{
	static const char *const names[] = {
		"tag", "operator", "channel", "day", "week", "month"
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0) {
			*by = (enum stats_by)(i + 1);
			return 0;
		}
	return chat_err(ST_USAGE, "--by %s: tag, operator, channel, day, "
	    "week or month", s);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CHAT_LONGOPTS, FILTER_LONGOPTS, {"by", 1, 0, OPT_BY},
		{"chart", 0, 0, OPT_CHART}, {"html", 0, 0, OPT_HTML},
		{"output", 1, 0, 'o'},
		{0, 0, 0, 0}
	};
	struct filter *f = filter_new();
	enum stats_by by = BY_NONE;
	enum fmt fmt = FMT_TABLE;
	enum stats_out how = STATS_FMT;
	int c, rc, by_given = 0, fmt_given = 0;

	chat_init(argv[0]);
	if (f == NULL)
		return chat_exit();
	while ((c = getopt_long(argc, argv, "o:d:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_BY:
			if (by_given++) {
				chat_err(ST_USAGE, "--by given twice: one "
				    "grouping");
				goto bad;
			}
			if (parse_by(optarg, &by) != 0)
				goto bad;
			continue;
		case OPT_CHART:
		case OPT_HTML:
			if (how != STATS_FMT && how != (c == OPT_CHART ?
			    STATS_CHART : STATS_HTML)) {
				chat_err(ST_USAGE, "--chart and --html: one "
				    "or the other");
				goto bad;
			}
			how = c == OPT_CHART ? STATS_CHART : STATS_HTML;
			continue;
		case 'o':
			fmt_given = 1;
			if (fmt_parse(optarg, &fmt, 0) != 0)
				goto bad;
			if (fmt == FMT_IDS) {
				chat_err(ST_USAGE, "-o ids: a report lists "
				    "groups, not conversations");
				goto bad;
			}
			continue;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			filter_free(f);
			return 0;
		}
		if ((rc = filter_opt(f, c, optarg)) == 0)
			continue;
		if (rc == ST_USAGE)
			goto bad;
		if (rc > 0)
			goto done;
		if ((rc = chat_opt(c, optarg)) == 1)
			goto done;
		if (rc < 0)
			goto bad;
	}
	if (how == STATS_CHART && fmt != FMT_TABLE) {
		chat_err(ST_USAGE, "--chart draws in a table, not in -o tsv "
		    "or json");
		goto bad;
	}
	if (how == STATS_HTML && fmt_given) {
		chat_err(ST_USAGE, "--html is a format of its own: no -o");
		goto bad;
	}
	if (optind < argc) {
		chat_err(ST_USAGE, "%s: a report takes no operand, only "
		    "filters", argv[optind]);
		goto bad;
	}
	if (db_open(DB_READ) == 0)
		stats_report(f, by, fmt, how);
done:
	filter_free(f);
	return chat_exit();
bad:
	usage(stderr);
	filter_free(f);
	return ST_USAGE;
}
