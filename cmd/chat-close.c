/* chat-close: end, park or reopen conversations, qualifying, annotating
 * and rating them in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat.h"

static struct close_req req = { .op = CLOSE, .by = "operator" };
static struct opt_mode op = { 0, "--park and --reopen: one or the other",
    NULL, NULL, NULL };
static struct opt_list notes, mail;
static const char *note_file;
static int by_given;

static int
at_opt(const struct opt *o, void *p, const char *arg)
{
	(void)o;
	(void)p;
	if (strcmp(arg, "last") == 0)
		req.at_last = 1;
	else if (time_parse(arg, time(NULL), &req.at) != 0)
		return chat_err(ST_DATA, "--at %s: not a time", arg);
	req.has_at = 1;
	return 0;
}

static int
by_opt(const struct opt *o, void *p, const char *arg)
{
	(void)o;
	(void)p;
	if (strcmp(arg, "operator") != 0 && strcmp(arg, "visitor") != 0 &&
	    strcmp(arg, "system") != 0)
		return chat_err(ST_USAGE, "--by %s: operator, visitor or system",
		    arg);
	req.by = arg;
	by_given = 1;
	return 0;
}

static int
tag_opt(const struct opt *o, void *p, const char *arg)
{
	(void)o;
	(void)p;
	return taglist_add(&req.tags, arg);
}

static int
rate_opt(const struct opt *o, void *p, const char *arg)
{
	struct ratings *set = &req.ratings;
	struct rating *r = realloc(set->r, (set->n + 1) * sizeof *r);

	(void)o;
	(void)p;
	if (r == NULL)
		return chat_err(ST_DB, "out of memory");
	set->r = r;
	return rating_parse(arg, &r[set->n++]);
}

static int
mail_opt(const struct opt *o, void *p, const char *arg)
{
	(void)o;
	(void)p;
	return outbox_address(arg);
}

#define CALL(name, letter, arg, help, fn, twice) \
	{ OPT_CALL, name, letter, arg, help, NULL, 0, fn, twice, NULL }
static const struct opt opts[] = {
	{ OPT_MODE, "park", 0, NULL, "park instead: off the operator's desk, "
	    "not counted", &op, PARK, NULL, NULL, NULL },
	{ OPT_MODE, "reopen", 0, NULL, "undo a close or a park", &op, REOPEN,
	    NULL, NULL, NULL },
	CALL("at", 0, "TIME|last", "the close time: default now, last its "
	    "last activity", at_opt, NULL),
	CALL("by", 0, "WHO", "who closed it: operator (default), visitor or "
	    "system", by_opt, "--by given twice"),
	CALL("tag", 't', "TAGS", "add these tags", tag_opt, NULL),
	{ OPT_LIST, "note", 'm', "NOTE", "add a note (several -m are its "
	    "paragraphs)", &notes, 0, NULL, NULL, NULL },
	{ OPT_STR, "note-file", 'F', "FILE", "add the note in FILE (- for "
	    "standard input)", &note_file, 0, NULL, "-F given twice: one note "
	    "file", NULL },
	CALL("rate", 'r', "C=SCORE", "rate the criterion C", rate_opt, NULL),
	{ OPT_LIST, "mail", 0, "ADDR", "mail the transcript and notes to ADDR",
	    &mail, 0, mail_opt, NULL, NULL },
	{ OPT_FLAG, "zendesk", 0, NULL, "save it as a Zendesk ticket",
	    &req.deliver.zendesk, 1, NULL, NULL, NULL },
	OPT__REF, OPT__QUIET, OPT__DRY_RUN, OPT__COMMON, OPT_END
};
#undef CALL

static const struct command close_cmd = {
	"usage: chat-close [-qn] [--ref] [--park | --reopen] [--at TIME|last]\n"
	"                  [--by operator|visitor|system] [-t TAG[,TAG...]]...\n"
	"                  [-m NOTE | -F FILE] [-r CRITERION=SCORE]...\n"
	"                  [--mail ADDR]... [--zendesk] [ID...]\n",
	opts
};

static int
check(int argc)
{
	size_t i;

	req.op = (enum close_op)op.value;
	if (notes.n && note_file)
		return usage_err("-m and -F: the note is one or the other");
	if (req.op != CLOSE && (req.has_at || by_given))
		return usage_err("--at and --by go with a close, not with --%s",
		    req.op == PARK ? "park" : "reopen");
	if (note_file != NULL && strcmp(note_file, "-") == 0 && argc == 0)
		return usage_err("-F -: the note is on standard input, so the "
		    "ids must be operands");
	if (ratings_unique(&req.ratings) != 0) {
		opt_usage();
		return ST_USAGE;
	}
	for (i = 0; i < notes.n; i++)
		if (note_paragraph(&req.note, notes.v[i]) != 0)
			return ST_DB;
	return note_file ? note_read(note_file, &req.note) : 0;
}

int
main(int argc, char *argv[])
{
	int rc;

	if (opt_parse(&close_cmd, &argc, &argv) == 0 && check(argc) == 0) {
		req.deliver.mail = mail.v;
		req.deliver.nmail = mail.n;
		/* The close stands: a delivery failing for now only warns. -n
		 * attempts nothing. */
		if (outbox_check(&req.deliver) == 0 && db_open(DB_WRITE) == 0 &&
		    taglist_check(&req.tags) == 0 && batch_ids(argv, argc,
		    chat_flags.dry_run, conv_close, &req) == 0 &&
		    !chat_flags.dry_run && (rc = outbox_run()) == ST_REMOTE)
			chat_status(rc);
	}
	taglist_free(&req.tags);
	free(req.note);
	free(req.ratings.r);
	return chat_exit();
}
