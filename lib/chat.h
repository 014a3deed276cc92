/* chat.h: the one public interface of libchat, shared by every chat-* binary. */
#ifndef CHAT_H
#define CHAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CHAT_VERSION "0.1.0"

/* Exit statuses of chat-tools(7); chat_exit() returns the worst one recorded. */
enum {
	ST_OK = 0,
	ST_SOME = 1,		/* some inputs refused or unknown; listing: no match */
	ST_USAGE = 2,
	ST_DATA = 65,
	ST_REMOTE = 69,
	ST_DB = 74,
	ST_TEMP = 75,
	ST_CONFIG = 78
};

/* errors.c */
void chat_init(const char *argv0);
const char *chat_prog(void);
int chat_err(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void chat_status(int status);
/* The worst status recorded, once standard output is flushed. */
int chat_worst(void);

/* opt.c: the command driver. Each binary declares its options as a table
 * of struct opt ending in OPT_END; opt_parse() builds getopt_long's
 * arguments from it, sets what each option sets, and prints --help and
 * the usage from it. An argument refused is reported, with the usage for
 * a usage error. */
enum opt_type {
	OPT_NOMORE,	/* the end of a table: OPT_END */
	OPT_FLAG,	/* int *p = value */
	OPT_STR,	/* const char **p = the argument */
	OPT_LIST,	/* struct opt_list *p: the argument appended; the
			 * kinds that allocate (LIST, TAGS, RATING) are freed
			 * by chat_exit() */
	OPT_MODE,	/* struct opt_mode *p: one of exclusive modes */
	OPT_CHOICE,	/* one of words: const char **p = it, *word = its
			 * place from 1 */
	OPT_TIME,	/* time_t *p, by time_parse(); or one of words, *word
			 * its place from 1 */
	OPT_COUNT,	/* long *p, by opt_count() */
	OPT_TAGS,	/* struct taglist *p, by taglist_add() */
	OPT_RATING,	/* struct ratings *p, by ratings_add() */
	OPT_CALL,	/* fn(o, p, argument) */
	OPT_TEXT,	/* help's text, printed as it is, in its place */
	OPT_INCLUDE,	/* sub's entries here; p is the context of those
			 * whose p is NULL */
	OPT_HELP, OPT_VERSION
};
struct opt {
	enum opt_type type;
	const char *name;	/* --name, or NULL */
	int letter;		/* -l, or 0 */
	const char *arg;	/* the argument's name in --help; NULL: none */
	const char *help;	/* --help's text; NULL: not listed */
	void *p;		/* what it sets, by type */
	int value;		/* OPT_FLAG, OPT_MODE: the value set */
	int *given;		/* set to 1 when given, or NULL */
	/* The argument accepted, or the status of its refusal, reported. */
	int (*check)(const char *arg);
	const char *const *words;	/* OPT_CHOICE's, OPT_TIME's, NULL-ended */
	int *word;
	/* OPT_CALL's: 0, or the status of the refusal, reported. */
	int (*fn)(const struct opt *o, void *p, const char *arg);
	const char *twice;	/* the usage error when given twice, or NULL */
	const struct opt *sub;	/* OPT_INCLUDE's */
};
#define OPT_END { .type = OPT_NOMORE }
/* The usual rows, as a table reads best: letter, long name, the
 * argument's name, what it sets, then its help and any other field. */
#define OPT_BOOL(l, n, var, ...) { .type = OPT_FLAG, .letter = (l), \
	.name = (n), .p = (var), .value = 1, .help = __VA_ARGS__ }
#define OPT_ARG(t, l, n, a, var, ...) { .type = (t), .letter = (l), \
	.name = (n), .arg = (a), .p = (var), .help = __VA_ARGS__ }
#define OPT_CMDMODE(l, n, m, v, ...) { .type = OPT_MODE, .letter = (l), \
	.name = (n), .p = (m), .value = (v), .help = __VA_ARGS__ }
#define OPT_WORDS(...) (const char *const[]){ __VA_ARGS__, NULL }
/* The appended arguments; the driver frees v in chat_exit(). */
struct opt_list { const char **v; size_t n; };
/* A group of exclusive modes: value is the first given's (0: none), name
 * and arg its long name and argument. With a clash message, another one is
 * that usage error; without, name2 is the first other one given. */
struct opt_mode {
	int value;
	const char *clash;
	const char *name, *name2, *arg;
};
struct command {
	const char *usage;	/* the synopsis, "usage: ..." lines */
	const struct opt *opts;
};
/* -d, -c, --as, -h and --version, for an OPT_INCLUDE. */
extern const struct opt chat_options[];
struct chat_flags { int quiet, dry_run, by_ref; };
extern struct chat_flags chat_flags;
#define OPT__QUIET OPT_BOOL('q', "quiet", &chat_flags.quiet, "print no ids")
#define OPT__DRY_RUN OPT_BOOL('n', "dry-run", &chat_flags.dry_run, \
	"print the changes that would be made, make none")
#define OPT__REF OPT_BOOL(0, "ref", &chat_flags.by_ref, \
	"the ids are the platform's refs")
#define OPT__COMMON { .type = OPT_INCLUDE, .sub = chat_options }
/* Names the program and parses the options, leaving *argc and *argv the
 * operands. Non-zero: done (refused and reported, or --help or --version
 * printed): return chat_exit(). */
int opt_parse(const struct command *c, int *argc, char ***argv);
/* The usage, on standard error, for a usage error reported: ST_USAGE;
 * usage_err() reports one found after the options, with the usage. */
int opt_usage(void);
/* chat-tag's old -d TAG: see opt.c. */
int opt_old_remove(struct opt_mode *m, int value);
int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The place of arg among the NULL-ended words, or -1, the usage error
 * "OPT ARG: a, b or c" reported (the usage not printed). */
int opt_choice(const char *opt, const char *const *words, const char *arg);
/* Relations between options, checked after parsing: a table of rules in
 * the order they are said, ended by one with a NULL fmt. The first broken
 * one is the usage error fmt with a and b, the usage printed too when
 * usage is set: ST_USAGE, else 0. */
struct opt_rule { int broken; const char *fmt, *a, *b; };
#define OPT_RULE(broken_, ...) { .broken = (broken_), .fmt = __VA_ARGS__ }
#define OPT_RULES(...) (const struct opt_rule[]){ __VA_ARGS__, \
	{ .fmt = NULL } }
int opt_rules(const struct opt_rule *r, int usage);
/* Closes the database and the configuration, frees what the options held:
 * the exit status, the worst recorded. */
int chat_exit(void);

/* db.c: the database file and its schema. */
/* DB_CREATE (chat-import's) writes and creates the database when there is
 * none; the others refuse a path where none exists (74). */
enum db_mode { DB_READ, DB_WRITE, DB_CREATE };
int db_set_path(const char *path);
/* -n: a writer's upgrade of an older schema is made in a copy in memory. */
void db_set_dry_run(int on);
int db_open(enum db_mode mode);
void db_close(void);
int db_begin(void);
int db_commit(void);
void db_rollback(void);
const char *db_path(void);

/* config.c: config.yaml, parsed on first use only. */
struct config;		/* lib/libchat.h: its fields are lib/'s */
int config_set_path(const char *path);
int config_get(const struct config **out);
int config_load_file(const char *path, int must_exist, struct config *c);
void config_free(struct config *c);
void config_release(void);

/* actor.c: who is acting, as recorded on every change. */
const char *actor(void);
int actor_set(const char *name);

/* lines.c: lines from a file descriptor, memory bounded by the longest. */
int input_open(const char *path);	/* -1: reported, exit 2 */
struct lines;
/* The reader is the caller's, to lines_close(); fd stays the caller's. NULL
 * when out of memory (reported). */
struct lines *lines_open(int fd, const char *name);
/* 1 with a line (NUL-terminated, no newline; *line is the reader's, valid
 * until the next call); 0 at the end, *status 0, or on a read error,
 * *status its status (reported). */
int lines_next(struct lines *l, char **line, size_t *len, int *status);
/* The last line lines_next() gave is given again by the next call; only
 * right after it. */
void lines_back(struct lines *l);
/* Reads the input to its end and gives what lines_next() has not given
 * yet, taking nothing: 1 with it in *text (NUL-terminated, the reader's,
 * valid until the next lines_*() call); 0 when it is longer than max
 * bytes, or on a read error, *status its status (reported). */
int lines_rest(struct lines *l, size_t max, const char **text, size_t *len,
    int *status);
/* The next lines_next() gives the rest of the input as one line, its
 * newlines in it, numbered as the line it begins on. */
void lines_whole(struct lines *l);
int lines_ready(struct lines *l);
long lines_lineno(const struct lines *l);
void lines_close(struct lines *l);

/* ids.c: the ids-in contract: operands, else piped standard input. */
struct ids;
/* *out is the caller's, to ids_close(). */
int ids_open(struct ids **out, char **argv, int argc, int by_ref);
/* 1 with the next id in *id; 0 when there is none: at the end, *status
 * 0, or on a failure that ends the input (a read error, the database),
 * *status its status. A word that is no id is refused (reported) and
 * passed over. */
int ids_next(struct ids *ids, int64_t *id, int *status);
int ids_ready(struct ids *ids);
void ids_close(struct ids *ids);

/* time.c */
int time_parse(const char *s, time_t now, time_t *out);
int duration_parse(const char *s, long *secs);
char *time_local(time_t t, char buf[32]);
char *time_rfc3339(time_t t, char buf[32]);
/* The zone of local time at t: "CET (UTC+01:00)", "UTC", "UTC-03:00";
 * brief, the abbreviation (or the offset) alone. Returns buf. */
char *time_zone(time_t t, int brief, char buf[64]);
char *duration_fmt(long secs, char buf[32]);

/* utf8.c */
int utf8_valid(const char *s, size_t len);
size_t utf8_cut(const char *s, size_t n);
int utf8_control(const char *s, size_t *n);
const char *one_line_fault(const char *s);

/* out.c: listing formats. */
enum fmt { FMT_TABLE, FMT_TSV, FMT_JSON, FMT_IDS, FMT_TEXT };
int fmt_parse(const char *s, enum fmt *f, int allow_text);

/* filter.c: the selection options of chat-history and chat-stats. */
struct filter;
/* The caller's, to filter_free(); NULL when out of memory (reported). */
struct filter *filter_new(void);
void filter_free(struct filter *f);
/* The filter options, for an OPT_INCLUDE whose p is a struct filter **:
 * OPT__FILTERS(&f). */
extern const struct opt filter_options[];
#define OPT__FILTERS(fp) { .type = OPT_INCLUDE, .p = (fp), \
	.sub = filter_options }
/* 1 when any filter option was given. */
int filter_given(const struct filter *f);

/* history.c: listing and showing conversations. */
int conv_list(const struct filter *f, enum fmt fmt, long limit,
    int count_only, long *matched);
/* The ids as a listing's rows (table, tsv, json, ids), in the order they
 * come, each unknown one reported. */
int conv_rows(struct ids *ids, enum fmt fmt, long *listed);
int conv_show(int64_t id, enum fmt fmt);

/* batch.c: ids changed in batches that commit whole. The loop hands each
 * id to batch_add(); a batch of them (up to 10,000, or what came before
 * the input paused) is applied at once by the function given to
 * batch_open(), set-based. Unknown ids are refused first; the function
 * refuses what else it must, changes the rest, and they are printed once
 * committed. -n prints the events instead and rolls back. */
struct batch;
typedef int batch_fn(const void *req);
/* *b is the caller's, to batch_close(), which applies what is left and
 * frees it; req stays the caller's and must outlive the batch. */
int batch_open(struct batch **b, int quiet, int dry_run, batch_fn *apply,
    const void *req);
int batch_add(struct batch *b, int64_t id, int ready);
/* Hands b each id of ids as it comes: 0, or the status of a batch that
 * failed. A batch or an input failing is reported and ends the feed; the
 * batches before it stand. */
int batch_feed(struct batch *b, struct ids *ids);
int batch_close(struct batch *b);

/* opt.c, continued: the loops of the commands. */
/* The ids given (operands, else standard input) through batches of
 * apply(req): the status of opening them, else batch_close()'s. A batch or
 * an input failing on the way is reported (the exit status has it) and
 * ends the run; the batches before it stand. */
int batch_ids(char **argv, int argc, int dry_run, batch_fn *apply,
    const void *req);
/* -l, --all and -o of a command that lists what it adds (note, rate). */
struct listing_opts { int list, all; const char *o; };
#define OPT__LISTING(l, what) \
	OPT_BOOL('l', "list", &(l).list, "list the " what), \
	OPT_BOOL(0, "all", &(l).all, "with -l: every conversation's " what), \
	OPT_ARG(OPT_STR, 'o', "output", "FORMAT", &(l).o, "the listing's " \
	    "format: table, tsv, json or ids")
int listing_opts(const struct listing_opts *l, int argc, enum fmt *fmt);
/* -o's format, when given: fmt_parse(), the usage printed on a refusal. */
int opt_fmt(const char *o, enum fmt *fmt, int allow_text);

/* When a change happened: at when given (--at), else now. */
struct when { int given; time_t at; };

/* tagname.c: names and lists of names; tags.c: tagging. */
struct taglist { char **names; size_t n; };
enum tag_op { TAG_ADD, TAG_REMOVE, TAG_SET };
struct tag_req { struct taglist tags; enum tag_op op; struct when when; };
int taglist_add(struct taglist *t, const char *comma_list);
int taglist_check(const struct taglist *t);
void taglist_free(struct taglist *t);
int tags_apply(const void *tag_req);
int tags_rename(const char *old, const char *new, int dry_run, int quiet);
/* The auto_tag rules over the ids, or, with ids NULL (--all), over every
 * closed conversation without a tag, tagging them when. */
int tags_auto(struct ids *ids, const struct when *when, int dry_run,
    int quiet);

/* notes.c */
#define NOTE_MAX 65536
/* A note's text, checked, from a file (- for standard input) or the
 * editor: *out is the caller's, to free(); NULL when there is none. */
int note_read(const char *path, char **out);
int note_edit(char **out);
/* Appends -m's paragraph m to *note, which stays the caller's, to free(). */
int note_paragraph(char **note, const char *m);
/* A batch_fn: the note's text, appended when. */
struct note_req { const char *text; struct when when; };
int notes_apply(const void *note_req);
/* The start of a note as its event shows it: its first line, cut at 63
 * bytes on a character boundary. */
void note_detail(const char *text, char detail[64]);

/* ratings.c */
struct rating { char criterion[64]; long score; };
struct ratings { struct rating *r; size_t n; };
int rating_parse(const char *arg, struct rating *r);
int ratings_add(struct ratings *set, const char *arg);
int ratings_unique(const struct ratings *set);
int ratings_apply(const void *ratings);

/* outbox.c: deliveries by mail, to Zendesk and to Chatwoot.
 * outbox_check() checks the config they need before anything is written;
 * outbox_apply() queues them in the command's transaction; outbox_run()
 * attempts them after it. */
struct deliveries { const char **mail; size_t nmail; int zendesk, again; };
int outbox_address(const char *addr);
int outbox_check(const struct deliveries *d);
int outbox_apply(const void *deliveries);
int outbox_run(void);
/* Write-back to Chatwoot, on when chatwoot.url is set: its config checked
 * before a change (chat-close, chat-tag, chat-note), 78 when it cannot
 * deliver; what the change queued is handed over by outbox_run(). */
int outbox_writeback_check(void);
/* Forgets what was queued and not handed over (with -n, nothing is). */
void outbox_release(void);
int outbox_flush(long max, int quiet);
/* deliver.c, for chat-deliver: attempts the delivery ids on in, one a
 * line; lines as chat-export --flush prints them. The worst result. */
int deliver_ids(FILE *in, int lines);
/* batch_fns of chat-export --retry and --cancel; outbox_all(), --all, runs
 * one of them on every conversation it would act on. */
int outbox_retry(const void *unused);
int outbox_cancel(const void *unused);
int outbox_all(int retry, int quiet);

/* conv.c: close, park, reopen, with the qualifying extras. */
enum close_op { CLOSE, PARK, REOPEN };
struct close_req {
	enum close_op op;
	int at_last, has_at;
	time_t at;
	const char *by;
	struct taglist tags;
	char *note;
	struct ratings ratings;
	struct deliveries deliver;
};
int conv_close(const void *close_req);
int conv_check(int64_t id);

/* listing.c: notes, ratings and the tag catalogue as listings. */
enum list_kind { LIST_NOTES, LIST_RATINGS, LIST_TAGS, LIST_DELIVERIES };
struct listing;
/* The listing of the ids given as operands or piped in, or, with all,
 * of every conversation. */
int list_run(enum list_kind kind, enum fmt fmt, char **argv, int argc,
    int by_ref, int all);

/* export.c: conversations to standard output. */
enum export_fmt { EXPORT_TXT, EXPORT_JSON, EXPORT_CSV, EXPORT_EML };
int export_ids(char **argv, int argc, int by_ref, enum export_fmt f);

/* stats.c: the report of chat-stats. */
enum stats_by {
	BY_NONE, BY_TAG, BY_OPERATOR, BY_CHANNEL, BY_DAY, BY_WEEK, BY_MONTH
};
/* How the report is written: -o's formats, --chart, or --html. */
enum stats_out { STATS_FMT, STATS_CHART, STATS_HTML };
int stats_report(const struct filter *f, enum stats_by by, enum fmt fmt,
    enum stats_out how);

/* import.c: NDJSON events in. */
struct import;
/* *out is the caller's, to import_end(). */
enum import_format { IMPORT_NDJSON, IMPORT_CHATWOOT };
int import_begin(struct import **out, int quiet, enum import_format format);
/* The events of one input, from a reader of lines_open(), the caller's. */
int import_lines(struct import *im, struct lines *l, const char *name);
void import_end(struct import *im);
/* chatwoot.c: whether chat-import -f chatwoot may import in, the first of
 * its inputs (name), before anything is parsed or written. With a secret
 * configured (chatwoot.secret_env, chatwoot.secret_file), in must be the
 * only input, signed: ts and sig (--timestamp and --signature, Chatwoot's
 * X-Chatwoot-Timestamp and X-Chatwoot-Signature; NULL or empty: not
 * given) are checked against all of it, read here, which is then one
 * payload (lines_whole()). Without a secret, a signature given is a
 * configuration error. 0, else the status, reported. */
int chatwoot_verify(struct lines *in, const char *name, int inputs,
    const char *ts, const char *sig);

/* copy.c: chat-copy, the database from into the empty database to (a
 * SQLite path or a PostgreSQL URL each, not both URLs), then checked;
 * unless quiet, each table's rows and checksum on standard output. */
int db_copy(const char *from, const char *to, int quiet);

#endif
