/* chat-export: transcripts out: to standard output, by mail, to Zendesk,
 * and the outbox of deliveries. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

enum {
	OPT_MAIL = OPT_FIRST_LOCAL, OPT_ZENDESK, OPT_AGAIN, OPT_FLUSH,
	OPT_MAX, OPT_PENDING
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: chat-export [-f txt|json|csv|eml] [--ref] [ID...]\n"
	    "       chat-export [-q] [--ref] [--again] --mail ADDR... "
	    "[--zendesk] [ID...]\n"
	    "       chat-export [-q] [--ref] [--again] --zendesk [ID...]\n"
	    "       chat-export --flush [--max N]\n"
	    "       chat-export --pending [-o table|tsv|json|ids]\n");
}

/* A delivery failing for now is 75 here, unlike chat-close's warning. */
static void
deliver(void)
{
	int rc = outbox_run();

	if (rc != 0)
		chat_status(rc);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CHAT_LONGOPTS, {"quiet", 0, 0, 'q'}, {"ref", 0, 0, OPT_REF},
		{"format", 1, 0, 'f'}, {"output", 1, 0, 'o'},
		{"mail", 1, 0, OPT_MAIL}, {"zendesk", 0, 0, OPT_ZENDESK},
		{"again", 0, 0, OPT_AGAIN}, {"flush", 0, 0, OPT_FLUSH},
		{"max", 1, 0, OPT_MAX}, {"pending", 0, 0, OPT_PENDING},
		{0, 0, 0, 0}
	};
	static const char *const formats[] = { "txt", "json", "csv", "eml" };
	struct deliveries d = { NULL, 0, 0, 0 };
	const char **t;
	enum export_fmt f = EXPORT_TXT;
	enum fmt fmt = FMT_TABLE;
	struct batch *b = NULL;
	struct ids *ids = NULL;
	size_t i;
	long max = 0;
	int64_t id;
	int c, rc, mode = 0;

	chat_init(argv[0]);
	while ((c = getopt_long(argc, argv, "qf:o:d:c:h", longopts, NULL))
	    != -1) {
		switch (c) {
		case 'f':
			for (i = 0; i < 4 && strcmp(optarg, formats[i]) != 0; i++)
				;
			if (i == 4) {
				chat_err(ST_USAGE, "-f %s: txt, json, csv or eml",
				    optarg);
				goto bad;
			}
			f = (enum export_fmt)i;
			continue;
		case 'o':
			if (fmt_parse(optarg, &fmt, 0) != 0)
				goto bad;
			continue;
		case OPT_MAIL:
			if (outbox_address(optarg) != 0)
				goto done;
			if ((t = realloc(d.mail, (d.nmail + 1) * sizeof *t))
			    == NULL)
				goto done;
			d.mail = t;
			t[d.nmail++] = optarg;
			continue;
		case OPT_ZENDESK: d.zendesk = 1; continue;
		case OPT_AGAIN: d.again = 1; continue;
		case OPT_FLUSH:
		case OPT_PENDING: mode = c; continue;
		case OPT_MAX:
			if (opt_count("max", optarg, &max) != 0)
				goto bad;
			continue;
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

	if (mode == OPT_PENDING || mode == OPT_FLUSH) {
		if (argc > 0 || d.nmail || d.zendesk)
			goto bad;
		if (db_open(DB_WRITE) != 0)
			goto done;
		if (mode == OPT_FLUSH) {
			if ((rc = outbox_flush(max)) != 0)
				chat_status(rc);
		} else {
			struct listing *l = list_open(LIST_DELIVERIES, fmt);

			if (l != NULL && list_all(l) == 0 && list_close(l) == 0)
				chat_status(ST_SOME);
		}
		goto done;
	}
	if (d.nmail == 0 && !d.zendesk) {
		if (db_open(DB_READ) != 0 || ids_open(&ids, argv, argc,
		    chat_flags.by_ref) != 0 || export_begin(f) != 0)
			goto done;
		while ((rc = ids_next(ids, &id)) != 0)
			if (rc > 0 && (rc = export_one(id, f)) != 0 &&
			    rc != ST_SOME)
				break;
		goto done;
	}

	if (db_open(DB_WRITE) != 0 || ids_open(&ids, argv, argc,
	    chat_flags.by_ref) != 0 || batch_open(&b, chat_flags.quiet, 0,
	    outbox_apply, &d) != 0)
		goto done;
	while ((rc = ids_next(ids, &id)) != 0)
		if (rc > 0 && batch_add(b, id, ids_ready(ids)) != 0)
			break;
	if (batch_close(b) == 0)
		deliver();
	b = NULL;
done:
	batch_close(b);
	ids_close(ids);
	free(d.mail);
	return chat_exit();
bad:
	usage(stderr);
	chat_status(ST_USAGE);
	goto done;
}
