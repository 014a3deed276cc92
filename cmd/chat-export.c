/* chat-export: transcripts out: to standard output, by mail, to Zendesk,
 * and the outbox of deliveries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

enum { FLUSH = 1, PENDING, RETRY, CANCEL };

static struct deliveries d;
static struct opt_list mail;
static struct opt_mode mode;	/* each contradiction is said after parsing */
static const char *f, *o;
static long max;
static int all;

static int
max_opt(const struct opt *opt, void *p, const char *arg)
{
	(void)opt;
	(void)p;
	return opt_count("max", arg, &max) != 0 ? ST_USAGE : 0;
}

static int
mail_opt(const struct opt *opt, void *p, const char *arg)
{
	(void)opt;
	(void)p;
	return outbox_address(arg);
}

#define MODE(name, help, v) \
	{ OPT_MODE, name, 0, NULL, help, &mode, v, NULL, NULL, NULL }
static const struct opt opts[] = {
	{ OPT_STR, "format", 'f', "FORMAT", "write the conversations to "
	    "standard output: txt,\njson, csv or eml", &f, 0, NULL, NULL, NULL },
	{ OPT_LIST, "mail", 0, "ADDR", "deliver by mail to ADDR (repeatable)",
	    &mail, 0, mail_opt, NULL, NULL },
	{ OPT_FLAG, "zendesk", 0, NULL, "deliver to Zendesk as a ticket",
	    &d.zendesk, 1, NULL, NULL, NULL },
	{ OPT_FLAG, "again", 0, NULL, "a new delivery even where one was made",
	    &d.again, 1, NULL, NULL, NULL },
	MODE("flush", "attempt the deliveries that are due", FLUSH),
	{ OPT_CALL, "max", 0, "N", "with --flush: at most N of them", NULL, 0,
	    max_opt, NULL, NULL },
	MODE("pending", "list the deliveries not yet sent", PENDING),
	{ OPT_STR, "output", 'o', "FORMAT", "--pending's format: table, tsv, "
	    "json or ids", &o, 0, NULL, NULL, NULL },
	MODE("retry", "make pending and failed deliveries due now", RETRY),
	MODE("cancel", "drop pending deliveries", CANCEL),
	{ OPT_FLAG, "all", 0, NULL, "with --retry or --cancel: every "
	    "conversation's", &all, 1, NULL, NULL, NULL },
	OPT__REF, OPT__QUIET, OPT__COMMON, OPT_END
};
#undef MODE

static const struct command export = {
	"usage: chat-export [-f txt|json|csv|eml] [--ref] [ID...]\n"
	"       chat-export [-q] [--ref] [--again] --mail ADDR... [--zendesk] "
	"[ID...]\n"
	"       chat-export [-q] [--ref] [--again] --zendesk [ID...]\n"
	"       chat-export [-q] --flush [--max N]\n"
	"       chat-export --pending [-o table|tsv|json|ids]\n"
	"       chat-export [-q] [--ref] --retry [--all | ID...]\n"
	"       chat-export [-q] [--ref] --cancel [--all | ID...]\n",
	opts
};

/* Options that contradict each other, or that nothing would read. */
static int
contradiction(int ids)
{
	const char *send = mail.n ? "--mail" : d.zendesk ? "--zendesk" : NULL;
	const char *m = mode.name ? mode.name : "";

	if (mode.name2 || (*m && send))
		return chat_err(ST_USAGE, "--%s and %s%s: one or the other", m,
		    mode.name2 ? "--" : "", mode.name2 ? mode.name2 : send);
	if (max && mode.value != FLUSH)
		return chat_err(ST_USAGE, "--max goes with --flush only");
	if (f && (send || *m))
		return chat_err(ST_USAGE, "-f is the format written to standard "
		    "output; %s%s writes none", send ? "" : "--", send ? send : m);
	if (o && mode.value != PENDING)
		return chat_err(ST_USAGE, "-o is the format of --pending's "
		    "listing; it goes with --pending only");
	if (d.again && !send)
		return chat_err(ST_USAGE, "--again goes with --mail or --zendesk "
		    "only");
	if (all && mode.value != RETRY && mode.value != CANCEL)
		return chat_err(ST_USAGE, "--all goes with --retry or --cancel "
		    "only");
	if (all && (ids || chat_flags.by_ref))
		return chat_err(ST_USAGE, ids ? "--all and ids: one or the other"
		    : "--all and --ref: --all takes no refs");
	if ((mode.value == FLUSH || mode.value == PENDING) &&
	    (ids || chat_flags.by_ref))
		return chat_err(ST_USAGE, "--%s takes no ids", m);
	return 0;
}

static void
to_stdout(char **argv, int argc, enum export_fmt ef)
{
	struct ids *ids = NULL;
	int64_t id;
	int rc;

	if (db_open(DB_READ) == 0 && ids_open(&ids, argv, argc,
	    chat_flags.by_ref) == 0 && export_begin(ef) == 0)
		while ((rc = ids_next(ids, &id)) != 0)
			if (rc > 0 && (rc = export_one(id, ef)) != 0 &&
			    rc != ST_SOME)
				break;
	ids_close(ids);
}

int
main(int argc, char *argv[])
{
	static const char *const formats[] = { "txt", "json", "csv", "eml" };
	enum fmt fmt = FMT_TABLE;
	struct listing *l;
	struct batch *b = NULL;
	size_t i = 0;

	if (opt_parse(&export, &argc, &argv))
		return chat_exit();
	for (; f && i < 4 && strcmp(f, formats[i]) != 0; i++)
		;
	d.mail = mail.v;
	d.nmail = mail.n;
	if (i == 4)
		usage_err("-f %s: txt, json, csv or eml", f);
	else if (o && fmt_parse(o, &fmt, 0) != 0)
		opt_usage();
	else if (contradiction(argc > 0) != 0)
		;
	else if (mode.value == RETRY || mode.value == CANCEL) {
		batch_fn *fn = mode.value == RETRY ? outbox_retry :
		    outbox_cancel;

		if (db_open(DB_WRITE) != 0)
			;
		else if (!all)
			batch_ids(argv, argc, 0, fn, NULL);
		else if (batch_open(&b, chat_flags.quiet, 0, fn, NULL) == 0) {
			outbox_all(b, mode.value == RETRY);
			batch_close(b);
		}
	} else if (mode.value != 0) {
		if (db_open(DB_WRITE) != 0)
			;
		else if (mode.value == FLUSH) {
			int rc = outbox_flush(max, chat_flags.quiet);

			if (rc != 0)
				chat_status(rc);
		} else if ((l = list_open(LIST_DELIVERIES, fmt)) != NULL &&
		    list_all(l) == 0 && list_close(l) == 0)
			chat_status(ST_SOME);
	} else if (!mail.n && !d.zendesk)
		to_stdout(argv, argc, (enum export_fmt)i);
	else if (outbox_check(&d) == 0 && db_open(DB_WRITE) == 0 &&
	    batch_ids(argv, argc, 0, outbox_apply, &d) == 0) {
		/* A delivery failing for now is 75 here, unlike chat-close's
		 * warning. */
		int rc = outbox_run();

		if (rc != 0)
			chat_status(rc);
	}
	return chat_exit();
}
