/* chat-note: end-of-conversation notes, appended, never edited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"

static struct listing_opts l;
static struct opt_list ms;
static const char *file;
static struct note_req req;

static const struct opt opts[] = {
	OPT_ARG(OPT_LIST, 'm', "message", "TEXT", &ms, "the note (several -m "
	    "are its paragraphs)"),
	OPT_ARG(OPT_STR, 'F', "file", "FILE", &file, "the note in FILE (- for "
	    "standard input)", .twice = "-F given twice: one note file"),
	OPT_ARG(OPT_TIME, 0, "at", "TIME", &req.when.at, "when the note was "
	    "written: default now", .given = &req.when.given),
	OPT__LISTING(l, "notes"), OPT__REF, OPT__QUIET, OPT__DRY_RUN,
	OPT__COMMON, OPT_END
};

static const struct command note = {
	"usage: chat-note [-qn] [--ref] [--at TIME] -m TEXT | -F FILE [ID...]\n"
	"       chat-note [-qn] [--ref] [--at TIME] ID   (text on stdin, else "
	"$VISUAL\n"
	"                 or $EDITOR)\n"
	"       chat-note -l [-o table|tsv|json|ids] [--ref] [ID...]\n"
	"       chat-note -l --all [-o table|tsv|json|ids]\n",
	opts
};

/* The one id is known before the note is typed: an unknown one would
 * throw the note away. */
static int
typed(char **argv, char **text)
{
	struct ids *ids = NULL;
	int64_t id;
	int rc = ST_SOME, status;

	if (ids_open(&ids, argv, 1, chat_flags.by_ref) == 0 &&
	    ids_next(ids, &id, &status) && conv_check(id) == 0 &&
	    (isatty(0) ? note_edit(text) : note_read("-", text)) == 0)
		rc = 0;
	ids_close(ids);
	return rc;
}

int
main(int argc, char *argv[])
{
	enum fmt fmt = FMT_TABLE;
	char *text = NULL;
	size_t i;
	int rc = 0;

	if (opt_parse(&note, &argc, &argv) || listing_opts(&l, argc, &fmt))
		return chat_exit();
	if (l.list && (ms.n || file || req.when.given))
		usage_err("-l lists notes: no -m, -F or --at");
	else if (l.list) {
		if (db_open(DB_READ) == 0)
			list_run(LIST_NOTES, fmt, argv, argc,
			    chat_flags.by_ref, l.all);
	} else if ((ms.n && file) || (!ms.n && !file && argc != 1) ||
	    (file && strcmp(file, "-") == 0 && argc == 0))
		usage_err("one of -m or -F, or a single id with the note on "
		    "standard input or from an editor");
	else {
		for (i = 0; rc == 0 && i < ms.n; i++)
			rc = note_paragraph(&text, ms.v[i]);
		if (file != NULL)
			rc = note_read(file, &text);
		if (rc == 0 && outbox_writeback_check() == 0 &&
		    db_open(DB_WRITE) == 0 && (ms.n || file ||
		    typed(argv, &text) == 0)) {
			req.text = text;
			batch_ids(argv, argc, chat_flags.dry_run, notes_apply,
			    &req);
			/* To a Chatwoot conversation, the note goes as a
			 * private one: a failure for now only warns. */
			if (!chat_flags.dry_run &&
			    (rc = outbox_run()) == ST_REMOTE)
				chat_status(rc);
		}
	}
	free(text);
	return chat_exit();
}
