/* chat-close: end, park or reopen conversations, qualifying, annotating
 * and rating them in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

static struct close_req req = { .op = CLOSE, .by = "operator" };
static struct opt_mode op = { .clash = "--park and --reopen: one or the "
    "other" };
static struct opt_list notes, mail;
static const char *note_file;
static int by_given;

static const struct opt opts[] = {
	OPT_CMDMODE(0, "park", &op, PARK, "park instead: off the operator's "
	    "desk, not counted"),
	OPT_CMDMODE(0, "reopen", &op, REOPEN, "undo a close or a park"),
	OPT_ARG(OPT_TIME, 0, "at", "TIME|last", &req.at, "the close time: "
	    "default now, last its last activity", .given = &req.has_at,
	    .words = OPT_WORDS("last"), .word = &req.at_last),
	OPT_ARG(OPT_CHOICE, 0, "by", "WHO", &req.by, "who closed it: operator "
	    "(default), visitor or system", .given = &by_given, .words =
	    OPT_WORDS("operator", "visitor", "system"), .twice = "--by given "
	    "twice"),
	OPT_ARG(OPT_TAGS, 't', "tag", "TAGS", &req.tags, "add these tags"),
	OPT_ARG(OPT_LIST, 'm', "note", "NOTE", &notes, "add a note (several -m "
	    "are its paragraphs)"),
	OPT_ARG(OPT_STR, 'F', "note-file", "FILE", &note_file, "add the note "
	    "in FILE (- for standard input)", .twice = "-F given twice: one "
	    "note file"),
	OPT_ARG(OPT_RATING, 'r', "rate", "C=SCORE", &req.ratings, "rate the "
	    "criterion C"),
	OPT_ARG(OPT_LIST, 0, "mail", "ADDR", &mail, "mail the transcript and "
	    "notes to ADDR", .check = outbox_address),
	OPT_BOOL(0, "zendesk", &req.deliver.zendesk, "save it as a Zendesk "
	    "ticket"),
	OPT__REF, OPT__QUIET, OPT__DRY_RUN, OPT__COMMON, OPT_END
};

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
	if (opt_rules(OPT_RULES(
	    OPT_RULE(notes.n && note_file, "-m and -F: the note is one or the "
	    "other"),
	    OPT_RULE(req.op != CLOSE && (req.has_at || by_given), "--at and --by "
	    "go with a close, not with --%s", op.name),
	    OPT_RULE(note_file && strcmp(note_file, "-") == 0 && argc == 0,
	    "-F -: the note is on standard input, so the ids must be "
	    "operands")), 1) != 0)
		return ST_USAGE;
	if (ratings_unique(&req.ratings) != 0)
		return opt_usage();
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
		/* What the batches that stood queued is delivered, whatever
		 * came after them (the write-back to Chatwoot too); the
		 * close stands, and a delivery failing for now only warns.
		 * -n attempts nothing. */
		if (outbox_check(&req.deliver) == 0 &&
		    outbox_writeback_check() == 0 && db_open(DB_WRITE) == 0 &&
		    taglist_check(&req.tags) == 0) {
			batch_ids(argv, argc, chat_flags.dry_run, conv_close,
			    &req);
			if (!chat_flags.dry_run &&
			    (rc = outbox_run()) == ST_REMOTE)
				chat_status(rc);
		}
	}
	free(req.note);
	return chat_exit();
}
