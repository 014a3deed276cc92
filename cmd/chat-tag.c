/* chat-tag: qualify conversations with tags; the catalogue; renames; the
 * auto_tag rules for late qualification. */
#include <stdio.h>
#include <string.h>

#include "chat.h"

static struct opt_mode op = { .clash = "-r and -s: remove tags or set "
    "them, not both" };
static struct opt_mode mode = { .clash = "--rename and --auto: one or the "
    "other" };
static const char *o;
static int list, all;
static struct tag_req req = { .op = TAG_ADD };

enum { RENAME = 1, AUTO };

static const struct opt opts[] = {
	OPT_CMDMODE('r', "remove", &op, TAG_REMOVE, "remove the tags instead "
	    "of adding them"),
	OPT_CMDMODE('s', "set", &op, TAG_SET, "set exactly these tags, "
	    "removing the others", .arg = "TAGS", .twice = "-s given twice: "
	    "one comma list of the tags to set"),
	OPT_BOOL('l', "list", &list, "list the catalogue, with counts"),
	OPT_ARG(OPT_STR, 'o', "output", "FORMAT", &o, "the listing's format: "
	    "table, tsv or json"),
	OPT_CMDMODE(0, "rename", &mode, RENAME, "rename OLD to NEW, merging "
	    "into NEW when it exists"),
	OPT_CMDMODE(0, "auto", &mode, AUTO, "apply the configuration's "
	    "auto_tag rules"),
	OPT_BOOL(0, "all", &all, "with --auto: to every closed conversation "
	    "without a tag"),
	OPT_ARG(OPT_TIME, 0, "at", "TIME", &req.when.at, "when the tags were "
	    "added or removed: default now", .given = &req.when.given),
	OPT__REF, OPT__QUIET, OPT__DRY_RUN, OPT__COMMON, OPT_END
};

static const struct command tag = {
	"usage: chat-tag [-qn] [--ref] [--at TIME] [-r] TAG[,TAG...] [ID...]\n"
	"       chat-tag [-qn] [--ref] [--at TIME] -s TAG[,TAG...] [ID...]\n"
	"       chat-tag -l [-o table|tsv|json]\n"
	"       chat-tag [-qn] --rename OLD NEW\n"
	"       chat-tag --auto [-qn] [--ref] [--at TIME] [ID...]\n"
	"       chat-tag --auto --all [-qn] [--at TIME]\n",
	opts
};

/* Non-zero: a usage error, reported. */
static int
check(int argc, enum fmt *fmt)
{
	return opt_rules(OPT_RULES(OPT_RULE(o && !list, "-o %s: only -l prints "
	    "a listing", o)), 1) || opt_fmt(o, fmt, 0) || opt_rules(OPT_RULES(
	    OPT_RULE(*fmt == FMT_IDS, "-o ids: the catalogue lists tags, not "
	    "conversations"),
	    OPT_RULE(all && (mode.value != AUTO || argc > 0), "--all goes with "
	    "--auto, without ids"),
	    OPT_RULE((list || mode.value) && op.value != TAG_ADD, "-%s: not "
	    "with %s", op.value == TAG_SET ? "s" : "r", list ? "-l" :
	    mode.value == AUTO ? "--auto" : "--rename"),
	    OPT_RULE(list && (argc > 0 || mode.value), "-l lists the "
	    "catalogue: no ids, no --rename or --auto"),
	    OPT_RULE(req.when.given && (list || mode.value == RENAME), "--at: "
	    "the time of a tagging, not with %s", list ? "-l" : "--rename"),
	    OPT_RULE(mode.value == RENAME && argc != 2, "--rename takes OLD and "
	    "NEW")), 1) || (!list && !mode.value && op.value != TAG_SET &&
	    op.arg == NULL && argc == 0 && opt_usage());
}

int
main(int argc, char *argv[])
{
	enum fmt fmt = FMT_TABLE;
	struct ids *ids = NULL;
	const char *set;
	int rc;

	if (opt_parse(&tag, &argc, &argv) || opt_old_remove(&op, TAG_REMOVE) ||
	    check(argc, &fmt) || (!list && outbox_writeback_check() != 0) ||
	    ((list || mode.value) && db_open(list ? DB_READ : DB_WRITE) != 0))
		return chat_exit();
	if (list)
		list_run(LIST_TAGS, fmt, NULL, 0, 0, 1);
	else if (mode.value == RENAME)
		tags_rename(argv[0], argv[1], chat_flags.dry_run,
		    chat_flags.quiet);
	else if (mode.value == AUTO) {
		/* --all: every closed untagged one; else the ids given. */
		if (all || ids_open(&ids, argv, argc, chat_flags.by_ref) == 0)
			tags_auto(ids, &req.when, chat_flags.dry_run,
			    chat_flags.quiet);
	} else {
		req.op = (enum tag_op)op.value;
		/* The tags: -s's or -d's, else the first operand. */
		set = op.arg != NULL ? op.arg : (argc--, *argv++);
		if (taglist_add(&req.tags, set) == 0 && db_open(DB_WRITE) == 0 &&
		    (req.op == TAG_REMOVE || taglist_check(&req.tags) == 0))
			batch_ids(argv, argc, chat_flags.dry_run, tags_apply,
			    &req);
		taglist_free(&req.tags);
	}
	/* A change to a Chatwoot conversation goes back to it (chat-close
	 * does the same): a delivery failing for now only warns. */
	if (!list && !chat_flags.dry_run && (rc = outbox_run()) == ST_REMOTE)
		chat_status(rc);
	ids_close(ids);
	return chat_exit();
}
