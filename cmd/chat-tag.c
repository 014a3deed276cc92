/* chat-tag: qualify conversations with tags; the catalogue; renames; the
 * auto_tag rules for late qualification. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "chat.h"

enum { OPT_RENAME = OPT_FIRST_LOCAL, OPT_AUTO, OPT_ALL };

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: chat-tag [-qn] [--ref] [-r] TAG[,TAG...] [ID...]\n"
	    "       chat-tag [-qn] [--ref] -s TAG[,TAG...] [ID...]\n"
	    "       chat-tag -l [-o table|tsv|json]\n"
	    "       chat-tag [-qn] --rename OLD NEW\n"
	    "       chat-tag --auto [-qn] [--ref] [ID...]\n"
	    "       chat-tag --auto --all [-qn]\n");
	if (fp != stdout)
		return;
	fputs("  -r, --remove          remove the tags instead of adding "
	    "them\n"
	    "  -s, --set TAGS        set exactly these tags, removing the "
	    "others\n"
	    "  -l, --list            list the catalogue, with counts\n"
	    "  -o, --output FORMAT   the listing's format: table, tsv or "
	    "json\n"
	    "      --rename          rename OLD to NEW, merging into NEW when "
	    "it exists\n"
	    "      --auto            apply the configuration's auto_tag "
	    "rules\n"
	    "      --all             with --auto: to every closed "
	    "conversation without a tag\n"
	    "      --ref             the ids are the platform's refs\n"
	    "  -q, --quiet           print no ids\n"
	    "  -n, --dry-run         print the changes that would be made, "
	    "make none\n", fp);
	chat_help(fp);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CHAT_LONGOPTS, {"quiet", 0, 0, 'q'}, {"dry-run", 0, 0, 'n'},
		{"ref", 0, 0, OPT_REF}, {"remove", 0, 0, 'r'},
		{"set", 1, 0, 's'}, {"list", 0, 0, 'l'},
		{"output", 1, 0, 'o'}, {"rename", 0, 0, OPT_RENAME},
		{"auto", 0, 0, OPT_AUTO}, {"all", 0, 0, OPT_ALL}, {0, 0, 0, 0}
	};
	struct tag_req req = { { NULL, 0 }, TAG_ADD };
	enum fmt fmt = FMT_TABLE;
	struct batch *b = NULL;
	struct ids *ids = NULL;
	const char *set = NULL, *o = NULL;
	int64_t id;
	int c, rc, list = 0, mode = 0, all = 0;

	chat_init(argv[0]);
	while ((c = getopt_long(argc, argv, "qnrs:lo:d:c:h", longopts, NULL))
	    != -1) {
		switch (c) {
		case 'r':
			if (req.op == TAG_SET)
				goto remove_set;
			req.op = TAG_REMOVE;
			continue;
		case 's':
			if (req.op == TAG_REMOVE)
				goto remove_set;
			if (set != NULL) {
				chat_err(ST_USAGE, "-s given twice: one comma "
				    "list of the tags to set");
				goto bad;
			}
			req.op = TAG_SET;
			set = optarg;
			continue;
		case 'l': list = 1; continue;
		case 'o': o = optarg; continue;
		case OPT_RENAME:
		case OPT_AUTO:
			if (mode != 0 && mode != c) {
				chat_err(ST_USAGE, "--rename and --auto: one or "
				    "the other");
				goto bad;
			}
			mode = c;
			continue;
		case OPT_ALL: all = 1; continue;
		case 'h':
		case OPT_HELP: usage(stdout); return 0;
		}
		if ((rc = chat_opt(c, optarg)) == 1)
			return chat_exit();
		if (rc != 0)
			goto bad;
	}
	argc -= optind;
	argv += optind;
	if (o != NULL && !list) {
		chat_err(ST_USAGE, "-o %s: only -l prints a listing", o);
		goto bad;
	}
	if (o != NULL && (fmt_parse(o, &fmt, 0) != 0))
		goto bad;
	if (fmt == FMT_IDS) {
		chat_err(ST_USAGE, "-o ids: the catalogue lists tags, not "
		    "conversations");
		goto bad;
	}
	if (all && (mode != OPT_AUTO || argc > 0)) {
		chat_err(ST_USAGE, "--all goes with --auto, without ids");
		goto bad;
	}
	if ((list || mode) && req.op != TAG_ADD) {
		chat_err(ST_USAGE, "-%c: not with %s", req.op == TAG_SET ?
		    's' : 'r', list ? "-l" : mode == OPT_AUTO ? "--auto" :
		    "--rename");
		goto bad;
	}

	if (list) {
		if (argc > 0 || mode) {
			chat_err(ST_USAGE, "-l lists the catalogue: no ids, "
			    "no --rename or --auto");
			goto bad;
		}
		if (db_open(DB_READ) == 0) {
			struct listing *l = list_open(LIST_TAGS, fmt);

			if (l != NULL && list_all(l) == 0 && list_close(l) == 0)
				chat_status(ST_SOME);
		}
		return chat_exit();
	}
	if (mode == OPT_RENAME) {
		if (argc != 2) {
			chat_err(ST_USAGE, "--rename takes OLD and NEW");
			goto bad;
		}
		if (db_open(DB_WRITE) == 0)
			tags_rename(argv[0], argv[1], chat_flags.dry_run,
			    chat_flags.quiet);
		return chat_exit();
	}
	if (mode == OPT_AUTO) {
		/* --all: every closed untagged one; else the ids given. */
		if (db_open(DB_WRITE) == 0 && (all ||
		    ids_open(&ids, argv, argc, chat_flags.by_ref) == 0))
			tags_auto(ids, chat_flags.dry_run, chat_flags.quiet);
		ids_close(ids);
		return chat_exit();
	}

	if (set == NULL) {
		if (argc == 0)
			goto bad;
		set = *argv++;
		argc--;
	}
	if (taglist_add(&req.tags, set) != 0)
		goto done;
	if (db_open(DB_WRITE) != 0 || (req.op != TAG_REMOVE &&
	    taglist_check(&req.tags) != 0) ||
	    ids_open(&ids, argv, argc, chat_flags.by_ref) != 0 ||
	    batch_open(&b, chat_flags.quiet, chat_flags.dry_run, tags_apply,
	    &req) != 0)
		goto done;
	while ((rc = ids_next(ids, &id)) != 0)
		if (rc > 0 && batch_add(b, id, ids_ready(ids)) != 0)
			break;
done:
	batch_close(b);
	ids_close(ids);
	taglist_free(&req.tags);
	return chat_exit();
remove_set:
	chat_err(ST_USAGE, "-r and -s: remove tags or set them, not both");
bad:
	usage(stderr);
	taglist_free(&req.tags);
	chat_status(ST_USAGE);
	return chat_exit();
}
