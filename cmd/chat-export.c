/* chat-export: transcripts out: to standard output, by mail, to Zendesk,
 * and the outbox of deliveries. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

enum {
	OPT_MAIL = OPT_FIRST_LOCAL, OPT_ZENDESK, OPT_AGAIN, OPT_FLUSH,
	OPT_MAX, OPT_PENDING, OPT_RETRY, OPT_CANCEL, OPT_ALL
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: chat-export [-f txt|json|csv|eml] [--ref] [ID...]\n"
	    "       chat-export [-q] [--ref] [--again] --mail ADDR... "
	    "[--zendesk] [ID...]\n"
	    "       chat-export [-q] [--ref] [--again] --zendesk [ID...]\n"
	    "       chat-export [-q] --flush [--max N]\n"
	    "       chat-export --pending [-o table|tsv|json|ids]\n"
	    "       chat-export [-q] [--ref] --retry [--all | ID...]\n"
	    "       chat-export [-q] [--ref] --cancel [--all | ID...]\n");
	if (fp != stdout)
		return;
	fputs("  -f, --format FORMAT   write the conversations to standard "
	    "output: txt,\n"
	    "                        json, csv or eml\n"
	    "      --mail ADDR       deliver by mail to ADDR (repeatable)\n"
	    "      --zendesk         deliver to Zendesk as a ticket\n"
	    "      --again           a new delivery even where one was made\n"
	    "      --flush           attempt the deliveries that are due\n"
	    "      --max N           with --flush: at most N of them\n"
	    "      --pending         list the deliveries not yet sent\n"
	    "  -o, --output FORMAT   --pending's format: table, tsv, json or "
	    "ids\n"
	    "      --retry           make pending and failed deliveries due "
	    "now\n"
	    "      --cancel          drop pending deliveries\n"
	    "      --all             with --retry or --cancel: every "
	    "conversation's\n"
	    "      --ref             the ids are the platform's refs\n"
	    "  -q, --quiet           print no ids\n", fp);
	chat_help(fp);
}

/* Options that contradict each other, or that nothing would read: the
 * reason, or NULL. */
struct given {
	const char *mode, *mode2;	/* --flush, --pending, --retry, --cancel */
	int format, output, max, again, all, ids;
};

static const char *
contradiction(const struct given *g, const struct deliveries *d, char *buf,
    size_t size)
{
	const char *send = d->nmail > 0 ? "--mail" : d->zendesk ? "--zendesk" :
	    NULL;
	const char *m = g->mode ? g->mode : "";

	if (g->mode2)
		snprintf(buf, size, "%s and %s: one or the other", g->mode,
		    g->mode2);
	else if (g->mode && send)
		snprintf(buf, size, "%s and %s: one or the other", g->mode,
		    send);
	else if (g->max && strcmp(m, "--flush") != 0)
		snprintf(buf, size, "--max goes with --flush only");
	else if (g->format && (send || g->mode))
		snprintf(buf, size, "-f is the format written to standard "
		    "output; %s writes none", send ? send : g->mode);
	else if (g->output && strcmp(m, "--pending") != 0)
		snprintf(buf, size, "-o is the format of --pending's listing; "
		    "it goes with --pending only");
	else if (g->again && !send)
		snprintf(buf, size, "--again goes with --mail or --zendesk "
		    "only");
	else if (g->all && strcmp(m, "--retry") != 0 &&
	    strcmp(m, "--cancel") != 0)
		snprintf(buf, size, "--all goes with --retry or --cancel only");
	else if (g->all && g->ids)
		snprintf(buf, size, "--all and ids: one or the other");
	else if (g->all && chat_flags.by_ref)
		snprintf(buf, size, "--all and --ref: --all takes no refs");
	else if ((strcmp(m, "--flush") == 0 || strcmp(m, "--pending") == 0) &&
	    (g->ids || chat_flags.by_ref))
		snprintf(buf, size, "%s takes no ids", m);
	else
		return NULL;
	return buf;
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
		{"retry", 0, 0, OPT_RETRY}, {"cancel", 0, 0, OPT_CANCEL},
		{"all", 0, 0, OPT_ALL},
		{0, 0, 0, 0}
	};
	static const char *const modes[] = {
		[OPT_FLUSH - OPT_MAIL] = "--flush",
		[OPT_PENDING - OPT_MAIL] = "--pending",
		[OPT_RETRY - OPT_MAIL] = "--retry",
		[OPT_CANCEL - OPT_MAIL] = "--cancel"
	};
	static const char *const formats[] = { "txt", "json", "csv", "eml" };
	struct deliveries d = { NULL, 0, 0, 0 };
	struct given g = { NULL, NULL, 0, 0, 0, 0, 0, 0 };
	const char **t, *mode;
	char why[160];
	enum export_fmt f = EXPORT_TXT;
	enum fmt fmt = FMT_TABLE;
	struct batch *b = NULL;
	struct ids *ids = NULL;
	size_t i;
	long max = 0;
	int64_t id;
	int c, rc, retry;

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
			g.format = 1;
			continue;
		case 'o':
			if (fmt_parse(optarg, &fmt, 0) != 0)
				goto bad;
			g.output = 1;
			continue;
		case OPT_MAIL:
			if (outbox_address(optarg) != 0)
				goto done;
			if ((t = realloc(d.mail, (d.nmail + 1) * sizeof *t))
			    == NULL) {
				chat_err(ST_DB, "out of memory");
				goto done;
			}
			d.mail = t;
			t[d.nmail++] = optarg;
			continue;
		case OPT_ZENDESK: d.zendesk = 1; continue;
		case OPT_AGAIN: d.again = g.again = 1; continue;
		case OPT_FLUSH:
		case OPT_PENDING:
		case OPT_RETRY:
		case OPT_CANCEL:
			mode = modes[c - OPT_MAIL];
			if (g.mode == NULL)
				g.mode = mode;
			else if (g.mode != mode && g.mode2 == NULL)
				g.mode2 = mode;
			continue;
		case OPT_ALL: g.all = 1; continue;
		case OPT_MAX:
			if (opt_count("max", optarg, &max) != 0)
				goto bad;
			g.max = 1;
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
	g.ids = argc > 0;
	if (contradiction(&g, &d, why, sizeof why) != NULL) {
		chat_err(ST_USAGE, "%s", why);
		goto done;
	}

	mode = g.mode ? g.mode : "";
	retry = strcmp(mode, "--retry") == 0;
	if (retry || strcmp(mode, "--cancel") == 0) {
		if (db_open(DB_WRITE) != 0 || batch_open(&b, chat_flags.quiet,
		    0, retry ? outbox_retry : outbox_cancel, NULL) != 0)
			goto done;
		if (g.all)
			outbox_all(b, retry);
		else if (ids_open(&ids, argv, argc, chat_flags.by_ref) != 0)
			goto done;
		else
			while ((rc = ids_next(ids, &id)) != 0)
				if (rc > 0 && batch_add(b, id, ids_ready(ids))
				    != 0)
					break;
		goto done;
	}
	if (*mode != '\0') {
		if (db_open(DB_WRITE) != 0)
			goto done;
		if (strcmp(mode, "--flush") == 0) {
			if ((rc = outbox_flush(max, chat_flags.quiet)) != 0)
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

	if (outbox_check(&d) != 0 || db_open(DB_WRITE) != 0 ||
	    ids_open(&ids, argv, argc, chat_flags.by_ref) != 0 ||
	    batch_open(&b, chat_flags.quiet, 0, outbox_apply, &d) != 0)
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
