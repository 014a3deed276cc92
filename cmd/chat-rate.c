/* chat-rate: the satisfaction form, one score per configured criterion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

static struct listing_opts l;

static const struct opt opts[] = {
	OPT__LISTING(l, "ratings"), OPT__REF, OPT__QUIET, OPT__DRY_RUN,
	OPT__COMMON, OPT_END
};

static const struct command rate = {
	"usage: chat-rate [-qn] [--ref] CRITERION=SCORE... [ID...]\n"
	"       chat-rate -l [-o table|tsv|json|ids] [--ref] [ID...]\n"
	"       chat-rate -l --all [-o table|tsv|json|ids]\n",
	opts
};

int
main(int argc, char *argv[])
{
	struct ratings set = { NULL, 0 };
	enum fmt fmt = FMT_TABLE;

	if (opt_parse(&rate, &argc, &argv) || listing_opts(&l, argc, &fmt))
		return chat_exit();
	if (l.list) {
		if (db_open(DB_READ) == 0)
			list_run(LIST_RATINGS, fmt, argv, argc,
			    chat_flags.by_ref, l.all);
		return chat_exit();
	}
	/* The leading CRITERION=SCORE operands, all checked first. */
	if ((set.r = calloc((size_t)argc + 1, sizeof *set.r)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (; argc > 0 && strchr(argv[0], '=') != NULL; argc--, argv++)
		if (rating_parse(argv[0], &set.r[set.n++]) != 0)
			goto done;
	if (set.n == 0)
		usage_err("no CRITERION=SCORE given");
	else if (ratings_unique(&set) != 0)
		opt_usage();
	else if (db_open(DB_WRITE) == 0)
		batch_ids(argv, argc, chat_flags.dry_run, ratings_apply, &set);
done:
	free(set.r);
	return chat_exit();
}
