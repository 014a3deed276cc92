/* opt.c: the command driver: options as data, --help and usage from them,
 * the common options, the ids -> batch loop, teardown. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chat.h"

struct chat_flags chat_flags;

/* The command being run: its options, flattened (an OPT_INCLUDE's entries
 * in its place), each with the context its handler gets and how many
 * times it was given. */
static const struct command *cmd;
static struct flat {
	const struct opt *o;
	void *p;
	int given;
} *flat;
static size_t nflat;
/* Whether the option being taken was spelt long; the argument of -d
 * spelt short, for chat-tag's old removal, read after parsing (--db is
 * always the database). */
static int spelt_long;
static const char *short_d, *long_db;

static int
db_opt(const char *arg)
{
	if (spelt_long)
		long_db = arg;
	else
		short_d = arg;
	return db_set_path(arg);
}

/* actor_set(): -1 is a usage error, another non-zero reported. */
static int
as_opt(const char *arg)
{
	int rc = actor_set(arg);

	return rc < 0 ? ST_USAGE : rc;
}

const struct opt chat_options[] = {
	OPT_ARG(OPT_STR, 'd', "db", "DB", NULL, "the database (else $CHAT_DB, "
	    "then the configuration)", .check = db_opt),
	OPT_ARG(OPT_STR, 'c', "config", "FILE", NULL, "the configuration (else "
	    "$CHAT_CONFIG)", .check = config_set_path),
	OPT_ARG(OPT_STR, 0, "as", "NAME", NULL, "the actor recorded on changes "
	    "(else $CHAT_OPERATOR)", .check = as_opt),
	{ .type = OPT_HELP, .letter = 'h', .name = "help",
	    .help = "print this help" },
	{ .type = OPT_VERSION, .name = "version", .help = "print the version" },
	OPT_END
};

/* The table into flat, each OPT_INCLUDE's entries in its place: 0, or the
 * status of the failure, reported. */
static int
flatten(const struct opt *o, void *ctx)
{
	struct flat *f;

	for (; o->type != OPT_NOMORE; o++)
		if (o->type == OPT_INCLUDE) {
			if (flatten(o->sub, o->p) != 0)
				return ST_DB;
		} else {
			if ((f = realloc(flat, (nflat + 1) * sizeof *f)) == NULL)
				return chat_err(ST_DB, "out of memory");
			flat = f;
			flat[nflat].o = o;
			flat[nflat].given = 0;
			flat[nflat++].p = o->p != NULL ? o->p : ctx;
		}
	return 0;
}

/* --help's line of one option: the option in a column of 24, then its
 * text, each of its lines after the first under the first. */
static void
help_line(const struct opt *o, FILE *fp)
{
	char left[64];
	const char *s;
	int n;

	n = snprintf(left, sizeof left, "  %c%c%s%s%s%s%s",
	    o->letter ? '-' : ' ', o->letter ? o->letter : ' ',
	    o->letter && o->name ? ", " : o->letter ? "" : "  ",
	    o->name ? "--" : "", o->name ? o->name : "",
	    o->arg ? " " : "", o->arg ? o->arg : "");
	fprintf(fp, "%s%*s", left, n < 22 ? 24 - n : 2, "");
	for (s = o->help; *s != '\0'; s++)
		if (*s == '\n')
			fprintf(fp, "\n%24s", "");
		else
			fputc(*s, fp);
	fputc('\n', fp);
}

static void
help(FILE *fp)
{
	size_t i;

	fputs(cmd->usage, fp);
	if (fp != stdout)
		return;
	for (i = 0; i < nflat; i++)
		if (flat[i].o->type == OPT_TEXT)
			fputs(flat[i].o->help, fp);
		else if (flat[i].o->help != NULL)
			help_line(flat[i].o, fp);
}

int
opt_usage(void)
{
	help(stderr);
	chat_status(ST_USAGE);
	return ST_USAGE;
}

int
usage_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	chat_err(ST_USAGE, "%s", msg);
	help(stderr);
	return ST_USAGE;
}

/* The two modes of a group, the first given and the first other one; a
 * group with a clash message refuses the second at once. */
static int
mode(const struct opt *o, struct opt_mode *m, const char *arg)
{
	const char *name = o->name ? o->name : "";

	if (m->value != 0 && m->value != o->value) {
		if (m->name2 == NULL)
			m->name2 = name;
		if (m->clash != NULL)
			return chat_err(ST_USAGE, "%s", m->clash);
	}
	if (m->value == 0) {
		m->value = o->value;
		m->name = name;
	}
	m->arg = arg;
	return 0;
}

static int
list_add(struct opt_list *l, const char *arg)
{
	const char **v = realloc(l->v, (l->n + 1) * sizeof *v);

	if (v == NULL)
		return chat_err(ST_DB, "out of memory");
	l->v = v;
	v[l->n++] = arg;
	return 0;
}

/* The place of arg among words, or -1. */
static int
word(const char *const *words, const char *arg)
{
	int i;

	for (i = 0; words != NULL && words[i] != NULL; i++)
		if (strcmp(words[i], arg) == 0)
			return i;
	return -1;
}

int
opt_choice(const char *opt, const char *const *words, const char *arg)
{
	char list[256];
	size_t len = 0;
	int i = word(words, arg);

	if (i >= 0)
		return i;
	for (i = 0; words[i] != NULL && len < sizeof list; i++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
		    i == 0 ? "" : words[i + 1] ? ", " : " or ", words[i]);
	chat_err(ST_USAGE, "%s %s: %s", opt, arg, list);
	return -1;
}

/* A count given to --opt: decimal, positive, fitting a long. */
static int
opt_count(const char *opt, const char *arg, long *n)
{
	char *end;

	errno = 0;
	*n = strtol(arg, &end, 10);
	if (!isdigit((unsigned char)*arg) || *end != '\0' || errno == ERANGE ||
	    *n <= 0)
		return chat_err(ST_USAGE, "--%s %s: not a positive number", opt,
		    arg);
	return 0;
}

/* What an option given sets, by its type: 0, a refusal's status, or -1:
 * done, the help or version printed. */
static int
set(const struct opt *o, void *p, const char *arg)
{
	char name[64];
	int i;

	switch (o->type) {
	case OPT_FLAG: *(int *)p = o->value; return 0;
	case OPT_STR:
		if (p != NULL)
			*(const char **)p = arg;
		return 0;
	case OPT_MODE: return mode(o, p, arg);
	case OPT_LIST: return list_add(p, arg);
	case OPT_CHOICE:
		snprintf(name, sizeof name, "--%s", o->name);
		if ((i = opt_choice(name, o->words, arg)) < 0)
			return ST_USAGE;
		if (p != NULL)
			*(const char **)p = o->words[i];
		if (o->word != NULL)
			*o->word = i + 1;
		return 0;
	case OPT_TIME:
		if ((i = word(o->words, arg)) >= 0)
			*o->word = i + 1;
		else if (time_parse(arg, time(NULL), p) != 0)
			return chat_err(ST_DATA, "--%s %s: not a time", o->name,
			    arg);
		return 0;
	case OPT_COUNT: return opt_count(o->name, arg, p);
	case OPT_TAGS: return taglist_add(p, arg);
	case OPT_RATING: return ratings_add(p, arg);
	case OPT_CALL: return o->fn(o, p, arg);
	case OPT_HELP: help(stdout); return -1;
	case OPT_VERSION:
		printf("%s %s\n", chat_prog(), CHAT_VERSION);
		return -1;
	default: return 0;
	}
}

/* One option given: 0, or the status of its refusal, reported (with the
 * usage for a usage error); -1: done, the help or version printed. */
static int
take(struct flat *f, const char *arg)
{
	const struct opt *o = f->o;
	int rc = 0;

	if (f->given++ && o->twice != NULL)
		return usage_err("%s", o->twice);
	if (o->check != NULL)
		rc = o->check(arg);
	if (rc == 0 && (rc = set(o, f->p, arg)) == 0 && o->given != NULL)
		*o->given = 1;
	if (rc == ST_USAGE)
		help(stderr);
	return rc;
}

int
opt_parse(const struct command *c, int *argc, char ***argv)
{
	struct option *longopts;
	char *shorts, *s;
	size_t i, n;
	int ch, rc = 0;

	chat_init((*argv)[0]);
	/* getopt_long's own messages begin with argv[0]: the name, as
	 * chat_err() says it, not the path it was run by. */
	(*argv)[0] += strlen((*argv)[0]) - strlen(chat_prog());
	cmd = c;
	if ((rc = flatten(c->opts, NULL)) != 0)
		return rc;
	longopts = calloc(nflat + 1, sizeof *longopts);
	s = shorts = malloc(2 * nflat + 1);
	if (longopts == NULL || shorts == NULL) {
		rc = chat_err(ST_DB, "out of memory");
		goto done;
	}
	for (i = n = 0; i < nflat; i++) {
		const struct opt *o = flat[i].o;

		if (o->letter) {
			*s++ = (char)o->letter;
			if (o->arg)
				*s++ = ':';
		}
		if (o->name != NULL) {
			longopts[n].name = o->name;
			longopts[n].has_arg = o->arg != NULL;
			longopts[n++].val = 0x100 + (int)i;
		}
	}
	*s = '\0';
	while (rc == 0 && (ch = getopt_long(*argc, *argv, shorts, longopts,
	    NULL)) != -1) {
		for (i = 0; i < nflat && (ch >= 0x100 ? i != (size_t)ch -
		    0x100 : flat[i].o->letter != ch); i++)
			;
		spelt_long = ch >= 0x100;
		if (i < nflat)
			rc = take(&flat[i], optarg);
		else {	/* getopt said what is wrong */
			opt_usage();
			rc = ST_USAGE;
		}
	}
	*argc -= optind;
	*argv += optind;
	db_set_dry_run(chat_flags.dry_run);
done:
	free(longopts);
	free(shorts);
	return rc;
}

/* The ids given, operands or standard input, through batches of apply. */
int
batch_ids(char **argv, int argc, int dry_run, batch_fn *apply,
    const void *req)
{
	struct batch *b = NULL;
	struct ids *ids = NULL;
	int rc;

	/* A batch or an input failing on the way is reported there; the
	 * batches before it stand, and what they queued is for the caller to
	 * deliver: the status is batch_close()'s. */
	if ((rc = ids_open(&ids, argv, argc, chat_flags.by_ref)) == 0 &&
	    (rc = batch_open(&b, chat_flags.quiet, dry_run, apply, req)) == 0) {
		batch_feed(b, ids);
		rc = batch_close(b);
	}
	ids_close(ids);
	return rc;
}

int
opt_rules(const struct opt_rule *r, int usage)
{
	for (; r->fmt != NULL; r++)
		if (r->broken) {
			chat_err(ST_USAGE, r->fmt, r->a, r->b);
			if (usage)
				help(stderr);
			return ST_USAGE;
		}
	return 0;
}

/* -l, --all and -o of chat-note and chat-rate. */
int
listing_opts(const struct listing_opts *l, int argc, enum fmt *fmt)
{
	if (l->o != NULL && !l->list)
		return usage_err("-o %s: only -l prints a listing", l->o);
	if (l->all && (!l->list || argc > 0))
		return usage_err("--all: with -l, and no ids");
	return opt_fmt(l->o, fmt, 0);
}

int
opt_fmt(const char *o, enum fmt *fmt, int allow_text)
{
	return o != NULL && fmt_parse(o, fmt, allow_text) != 0 ? opt_usage() :
	    0;
}

/* -d TAG, chat-tag's old removal, for one release: a -d naming no file
 * (and no directory) cannot be a database, since chat-tag makes none. It
 * is then the mode value of m, with the tags as its argument. */
int
opt_old_remove(struct opt_mode *m, int value)
{
	const char *d = short_d;

	if (d == NULL || strchr(d, '/') != NULL || access(d, F_OK) == 0)
		return 0;
	fprintf(stderr, "%s: -d TAG to remove tags is deprecated: use -r TAG "
	    "(-d is the database)\n", chat_prog());
	db_set_path(long_db);
	if (m->value != 0 && m->value != value)
		return usage_err("%s", m->clash);
	m->value = value;
	m->arg = d;
	return 0;
}

/* What the options made goes (lists, tags, ratings: the driver owns what
 * its kinds allocate); then the database, the configuration and what the
 * outbox kept are released, and the worst status is the exit status. */
int
chat_exit(void)
{
	size_t i;

	for (i = 0; i < nflat; i++)
		switch (flat[i].o->type) {
		case OPT_LIST: free(((struct opt_list *)flat[i].p)->v); break;
		case OPT_TAGS: taglist_free(flat[i].p); break;
		case OPT_RATING: free(((struct ratings *)flat[i].p)->r); break;
		default: break;
		}
	free(flat);
	flat = NULL;
	nflat = 0;
	outbox_release();
	db_close();
	config_release();
	return chat_worst();
}
