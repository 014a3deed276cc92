/* chat-close: end, park or reopen conversations, qualifying, annotating
 * and rating them in the same transaction. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat.h"

enum {
	OPT_PARK = OPT_FIRST_LOCAL, OPT_REOPEN, OPT_AT, OPT_BY, OPT_MAIL,
	OPT_ZENDESK
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: chat-close [-qn] [--ref] [--park | --reopen] "
	    "[--at TIME|last]\n"
	    "                  [--by operator|visitor|system] "
	    "[-t TAG[,TAG...]]...\n"
	    "                  [-m NOTE | -F FILE] [-r CRITERION=SCORE]...\n"
	    "                  [--mail ADDR]... [--zendesk] [ID...]\n");
	if (fp != stdout)
		return;
	fputs("      --park            park instead: off the operator's desk, "
	    "not counted\n"
	    "      --reopen          undo a close or a park\n"
	    "      --at TIME|last    the close time: default now, last its "
	    "last activity\n"
	    "      --by WHO          who closed it: operator (default), "
	    "visitor or system\n"
	    "  -t, --tag TAGS        add these tags\n"
	    "  -m, --note NOTE       add a note (several -m are its "
	    "paragraphs)\n"
	    "  -F, --note-file FILE  add the note in FILE (- for standard "
	    "input)\n"
	    "  -r, --rate C=SCORE    rate the criterion C\n"
	    "      --mail ADDR       mail the transcript and notes to ADDR\n"
	    "      --zendesk         save it as a Zendesk ticket\n"
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
		{"ref", 0, 0, OPT_REF}, {"park", 0, 0, OPT_PARK},
		{"reopen", 0, 0, OPT_REOPEN}, {"at", 1, 0, OPT_AT},
		{"by", 1, 0, OPT_BY}, {"tag", 1, 0, 't'}, {"note", 1, 0, 'm'},
		{"note-file", 1, 0, 'F'}, {"rate", 1, 0, 'r'},
		{"mail", 1, 0, OPT_MAIL}, {"zendesk", 0, 0, OPT_ZENDESK},
		{0, 0, 0, 0}
	};
	struct close_req req = { .op = CLOSE, .by = "operator" };
	struct rating *r;
	struct batch *b = NULL;
	struct ids *ids = NULL;
	const char **notes, *note_file = NULL, **t;
	size_t i, nnotes = 0;
	int64_t id;
	int c, rc, by = 0, files = 0;

	chat_init(argv[0]);
	/* Each -m, kept until the options are known to agree. */
	if ((notes = calloc((size_t)argc, sizeof *notes)) == NULL)
		return chat_err(ST_DB, "out of memory");
	while ((c = getopt_long(argc, argv, "qnt:m:F:r:d:c:h", longopts,
	    NULL)) != -1) {
		switch (c) {
		case OPT_PARK:
		case OPT_REOPEN:
			if (req.op != CLOSE && req.op != (c == OPT_PARK ? PARK :
			    REOPEN)) {
				chat_err(ST_USAGE, "--park and --reopen: one "
				    "or the other");
				goto bad;
			}
			req.op = c == OPT_PARK ? PARK : REOPEN;
			continue;
		case OPT_BY:
			if (by++) {
				chat_err(ST_USAGE, "--by given twice");
				goto bad;
			}
			if (strcmp(optarg, "operator") != 0 &&
			    strcmp(optarg, "visitor") != 0 &&
			    strcmp(optarg, "system") != 0) {
				chat_err(ST_USAGE, "--by %s: operator, visitor "
				    "or system", optarg);
				goto bad;
			}
			req.by = optarg;
			continue;
		case OPT_AT:
			if (strcmp(optarg, "last") == 0)
				req.at_last = 1;
			else if (time_parse(optarg, time(NULL), &req.at) != 0) {
				chat_err(ST_DATA, "--at %s: not a time", optarg);
				goto done;
			}
			req.has_at = 1;
			continue;
		case 't':
			if (taglist_add(&req.tags, optarg) != 0)
				goto fail;
			continue;
		case 'm': notes[nnotes++] = optarg; continue;
		case 'F':
			if (files++) {
				chat_err(ST_USAGE, "-F given twice: one note "
				    "file");
				goto bad;
			}
			note_file = optarg;
			continue;
		case 'r':
			r = realloc(req.ratings.r, (req.ratings.n + 1) *
			    sizeof *r);
			if (r == NULL) {
				chat_err(ST_DB, "out of memory");
				goto fail;
			}
			req.ratings.r = r;
			if (rating_parse(optarg, &r[req.ratings.n++]) != 0)
				goto fail;
			continue;
		case OPT_MAIL:
			if (outbox_address(optarg) != 0)
				goto fail;
			t = realloc(req.deliver.mail, (req.deliver.nmail + 1) *
			    sizeof *t);
			if (t == NULL) {
				chat_err(ST_DB, "out of memory");
				goto fail;
			}
			req.deliver.mail = t;
			t[req.deliver.nmail++] = optarg;
			continue;
		case OPT_ZENDESK: req.deliver.zendesk = 1; continue;
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
	if (nnotes && note_file) {
		chat_err(ST_USAGE, "-m and -F: the note is one or the other");
		goto bad;
	}
	if (req.op != CLOSE && (req.has_at || by)) {
		chat_err(ST_USAGE, "--at and --by go with a close, not with "
		    "--%s", req.op == PARK ? "park" : "reopen");
		goto bad;
	}
	if (note_file != NULL && strcmp(note_file, "-") == 0 && argc == 0) {
		chat_err(ST_USAGE, "-F -: the note is on standard input, so "
		    "the ids must be operands");
		goto bad;
	}
	if (ratings_unique(&req.ratings) != 0)
		goto bad;
	for (i = 0; i < nnotes; i++)
		if (note_paragraph(&req.note, notes[i]) != 0)
			goto fail;
	if (note_file && note_read(note_file, &req.note) != 0)
		goto fail;

	if (outbox_check(&req.deliver) != 0 || db_open(DB_WRITE) != 0 ||
	    taglist_check(&req.tags) != 0 ||
	    ids_open(&ids, argv, argc, chat_flags.by_ref) != 0 ||
	    batch_open(&b, chat_flags.quiet, chat_flags.dry_run, conv_close,
	    &req) != 0)
		goto fail;
	while ((rc = ids_next(ids, &id)) != 0)
		if (rc > 0 && batch_add(b, id, ids_ready(ids)) != 0)
			break;
	/* The close stands: a delivery failing for now only warns. -n
	 * attempts nothing. */
	if (batch_close(b) == 0 && !chat_flags.dry_run &&
	    (rc = outbox_run()) == ST_REMOTE)
		chat_status(rc);
	b = NULL;
fail:
	batch_close(b);
	ids_close(ids);
done:
	free(notes);
	free(req.deliver.mail);
	taglist_free(&req.tags);
	free(req.note);
	free(req.ratings.r);
	return chat_exit();
bad:
	usage(stderr);
	chat_status(ST_USAGE);
	goto done;
}
