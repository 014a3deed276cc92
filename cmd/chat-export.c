/* chat-export: transcripts out: to standard output, by mail, to Zendesk,
 * and the outbox of deliveries. */
#include <stdio.h>

#include "chat.h"

enum { FLUSH = 1, PENDING, RETRY, CANCEL };

static struct deliveries d;
static struct opt_list mail;
static struct opt_mode mode;	/* each contradiction is said after parsing */
static const char *f, *o;
static long max;
static int all;

static const struct opt opts[] = {
	OPT_ARG(OPT_STR, 'f', "format", "FORMAT", &f, "write the conversations "
	    "to standard output: txt,\njson, csv or eml"),
	OPT_ARG(OPT_LIST, 0, "mail", "ADDR", &mail, "deliver by mail to ADDR "
	    "(repeatable)", .check = outbox_address),
	OPT_BOOL(0, "zendesk", &d.zendesk, "deliver to Zendesk as a ticket"),
	OPT_BOOL(0, "again", &d.again, "a new delivery even where one was "
	    "made"),
	OPT_CMDMODE(0, "flush", &mode, FLUSH, "attempt the deliveries that are "
	    "due"),
	OPT_ARG(OPT_COUNT, 0, "max", "N", &max, "with --flush: at most N of "
	    "them"),
	OPT_CMDMODE(0, "pending", &mode, PENDING, "list the deliveries not yet "
	    "sent"),
	OPT_ARG(OPT_STR, 'o', "output", "FORMAT", &o, "--pending's format: "
	    "table, tsv, json or ids"),
	OPT_CMDMODE(0, "retry", &mode, RETRY, "make pending and failed "
	    "deliveries due now"),
	OPT_CMDMODE(0, "cancel", &mode, CANCEL, "drop pending deliveries"),
	OPT_BOOL(0, "all", &all, "with --retry or --cancel: every "
	    "conversation's"),
	OPT__REF, OPT__QUIET, OPT__COMMON, OPT_END
};

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

/* Options that contradict each other, or that nothing would read, said
 * in this order. */
static int
contradiction(int ids)
{
	const char *send = mail.n ? "--mail" : d.zendesk ? "--zendesk" : NULL;
	const char *m = mode.name ? mode.name : "";
	int v = mode.value;

	return opt_rules(OPT_RULES(
	    OPT_RULE(mode.name2 != NULL, "--%s and --%s: one or the other", m,
	    mode.name2),
	    OPT_RULE(*m && send, "--%s and %s: one or the other", m, send),
	    OPT_RULE(max && v != FLUSH, "--max goes with --flush only"),
	    OPT_RULE(f && send, "-f is the format written to standard output; "
	    "%s writes none", send),
	    OPT_RULE(f && *m, "-f is the format written to standard output; "
	    "--%s writes none", m),
	    OPT_RULE(o && v != PENDING, "-o is the format of --pending's "
	    "listing; it goes with --pending only"),
	    OPT_RULE(d.again && !send, "--again goes with --mail or --zendesk "
	    "only"),
	    OPT_RULE(all && v != RETRY && v != CANCEL, "--all goes with --retry "
	    "or --cancel only"),
	    OPT_RULE(all && ids, "--all and ids: one or the other"),
	    OPT_RULE(all && chat_flags.by_ref, "--all and --ref: --all takes no "
	    "refs"),
	    OPT_RULE((v == FLUSH || v == PENDING) && (ids || chat_flags.by_ref),
	    "--%s takes no ids", m)), 0);
}

int
main(int argc, char *argv[])
{
	enum fmt fmt = FMT_TABLE;
	int i = 0;

	if (opt_parse(&export, &argc, &argv) != 0 || (f != NULL && (i =
	    opt_choice("-f", OPT_WORDS("txt", "json", "csv", "eml"), f)) < 0 &&
	    opt_usage()) || opt_fmt(o, &fmt, 0) != 0 ||
	    contradiction(argc > 0) != 0)
		return chat_exit();
	if (mode.value != 0 && db_open(DB_WRITE) != 0)
		return chat_exit();
	d.mail = mail.v;
	d.nmail = mail.n;
	if (mode.value == 0 && !mail.n && !d.zendesk) {
		if (db_open(DB_READ) == 0)
			export_ids(argv, argc, chat_flags.by_ref,
			    (enum export_fmt)i);
	} else if (mode.value == 0) {
		/* A delivery failing for now is 75 here, unlike chat-close's
		 * warning. */
		if (outbox_check(&d) == 0 && db_open(DB_WRITE) == 0) {
			batch_ids(argv, argc, 0, outbox_apply, &d);
			chat_status(outbox_run());
		}
	} else if (mode.value == FLUSH)
		chat_status(outbox_flush(max, chat_flags.quiet));
	else if (mode.value == PENDING)
		list_run(LIST_DELIVERIES, fmt, NULL, 0, 0, 1);
	else if (all)
		outbox_all(mode.value == RETRY, chat_flags.quiet);
	else
		batch_ids(argv, argc, 0, mode.value == RETRY ? outbox_retry :
		    outbox_cancel, NULL);
	return chat_exit();
}
