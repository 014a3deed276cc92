/* chat.h: the one public interface of libchat, shared by every chat-* binary. */
#ifndef CHAT_H
#define CHAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CHAT_VERSION "0.1.0"

/* Exit statuses of DESIGN.md; chat_exit() returns the worst one recorded. */
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
int chat_exit(void);

/* Long options every binary takes; chat_opt() handles them. */
enum {
	OPT_DB = 0x100, OPT_CONFIG, OPT_AS, OPT_VERSION, OPT_HELP, OPT_REF,
	OPT_FIRST_LOCAL = 0x140		/* binaries number their own from here */
};
#define CHAT_LONGOPTS \
	{"db", 1, 0, OPT_DB}, {"config", 1, 0, OPT_CONFIG}, \
	{"as", 1, 0, OPT_AS}, {"version", 0, 0, OPT_VERSION}, \
	{"help", 0, 0, OPT_HELP}
/* chat_opt() also takes the short options every binary spells alike, when
 * the binary has them: -d DB, -c CONFIG, -q, -n, and --ref; their flags: */
struct chat_flags { int quiet, dry_run, by_ref; };
extern struct chat_flags chat_flags;
/* 0: handled; 1: done (--version printed, or a refused argument reported),
 * return chat_exit() now; -1: not a common option or a bad argument: print
 * usage, exit 2. --help is the binary's. */
int chat_opt(int c, const char *arg);
/* The lines of --help for the options chat_opt() handles. */
void chat_help(FILE *fp);
/* A count given to --opt: decimal, positive, fitting a long. */
int opt_count(const char *opt, const char *arg, long *n);

/* db.c: the database file and its schema. */
/* DB_CREATE (chat-import's) writes and creates the database when there is
 * none; the others refuse a path where none exists (74). */
enum db_mode { DB_READ, DB_WRITE, DB_CREATE };
int db_set_path(const char *path);
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
struct lines *lines_open(int fd, const char *name);
int lines_next(struct lines *l, char **line, size_t *len);
int lines_ready(struct lines *l);
const char *lines_name(const struct lines *l);
long lines_lineno(const struct lines *l);
void lines_close(struct lines *l);

/* ids.c: the ids-in contract: operands, else piped standard input. */
struct ids;
int ids_open(struct ids **out, char **argv, int argc, int by_ref);
/* 1: *id set; 0: end; -1: this input was refused (reported). */
int ids_next(struct ids *ids, int64_t *id);
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
struct filter *filter_new(void);
void filter_free(struct filter *f);
#define FILTER_LONGOPTS \
	{"open", 0, 0, 0x180}, {"parked", 0, 0, 0x181}, \
	{"closed", 0, 0, 0x182}, {"channel", 1, 0, 0x183}, \
	{"social", 0, 0, 0x184}, {"operator", 1, 0, 0x185}, \
	{"tag", 1, 0, 0x186}, {"untagged", 0, 0, 0x187}, \
	{"unrated", 0, 0, 0x188}, {"no-note", 0, 0, 0x189}, \
	{"since", 1, 0, 0x18a}, {"until", 1, 0, 0x18b}, \
	{"idle", 1, 0, 0x18c}, {"visitor-left", 0, 0, 0x18d}, \
	{"forgotten", 0, 0, 0x18e}, {"grep", 1, 0, 0x18f}, \
	{"explain", 0, 0, 0x190}, {"after-close", 0, 0, 0x191}, \
	{"closed-since", 1, 0, 0x192}, {"closed-until", 1, 0, 0x193}
/* The lines of --help for the filter options. */
#define FILTER_HELP \
	"      --open, --parked, --closed\n" \
	"                        in that state (several: any of them)\n" \
	"      --channel C       on channel C (repeated: any of them)\n" \
	"      --social          on a social channel\n" \
	"      --operator O      handled by operator O\n" \
	"      --tag T           tagged T (repeated: all of them)\n" \
	"      --untagged        without a tag\n" \
	"      --unrated         without a rating\n" \
	"      --no-note         without a note\n" \
	"      --since T         started at T or later\n" \
	"      --until T         started before T\n" \
	"      --idle DUR        open or parked, with no activity for DUR\n" \
	"      --visitor-left    the visitor left\n" \
	"      --forgotten       open, and the visitor left or long idle\n" \
	"      --after-close     closed, the visitor wrote after it\n" \
	"      --closed-since T  closed at T or later\n" \
	"      --closed-until T  closed before T\n" \
	"      --grep QUERY      matching the search QUERY as a whole\n" \
	"      --explain         print the selection's query plan instead\n"
/* 0: handled; -1: not a filter option; else an exit status (reported). */
int filter_opt(struct filter *f, int c, const char *arg);

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
int batch_open(struct batch **b, int quiet, int dry_run, batch_fn *apply,
    const void *req);
int batch_add(struct batch *b, int64_t id, int ready);
int batch_close(struct batch *b);

/* tags.c */
struct taglist { char **names; size_t n; };
enum tag_op { TAG_ADD, TAG_REMOVE, TAG_SET };
struct tag_req { struct taglist tags; enum tag_op op; };
int taglist_add(struct taglist *t, const char *comma_list);
int taglist_check(const struct taglist *t);
void taglist_free(struct taglist *t);
int tags_apply(const void *tag_req);
int tags_rename(const char *old, const char *new, int dry_run, int quiet);
/* The auto_tag rules over the ids, or, with ids NULL (--all), over every
 * closed conversation without a tag. */
int tags_auto(struct ids *ids, int dry_run, int quiet);

/* notes.c */
#define NOTE_MAX 65536
int note_text(const char *in, size_t len, const char *what, char **out);
int note_read(const char *path, char **out);
int note_edit(char **out);
int note_paragraph(char **note, const char *m);
/* A batch_fn; its request is the note's text. */
int notes_apply(const void *text);

/* ratings.c */
struct rating { char criterion[64]; long score; };
struct ratings { struct rating *r; size_t n; };
int rating_parse(const char *arg, struct rating *r);
int ratings_unique(const struct ratings *set);
int ratings_apply(const void *ratings);

/* outbox.c: deliveries by mail and to Zendesk. outbox_check() checks the
 * config they need before anything is written; outbox_apply() queues them
 * in the command's transaction; outbox_run() attempts them after it. */
struct deliveries { const char **mail; size_t nmail; int zendesk, again; };
int outbox_address(const char *addr);
int outbox_check(const struct deliveries *d);
int outbox_apply(const void *deliveries);
int outbox_run(void);
int outbox_flush(long max, int quiet);
/* batch_fns of chat-export --retry and --cancel; outbox_all() feeds a
 * batch the conversations they would act on (failed_too: --retry's). */
int outbox_retry(const void *unused);
int outbox_cancel(const void *unused);
int outbox_all(struct batch *b, int failed_too);

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
struct listing *list_open(enum list_kind kind, enum fmt fmt);
int list_id(struct listing *l, int64_t id);
int list_all(struct listing *l);
/* Returns how many rows were listed. */
long list_close(struct listing *l);
/* The listing of the ids given as operands or piped in, or, with all,
 * of every conversation. */
int list_run(enum list_kind kind, enum fmt fmt, char **argv, int argc,
    int by_ref, int all);

/* export.c: conversations to standard output. */
enum export_fmt { EXPORT_TXT, EXPORT_JSON, EXPORT_CSV, EXPORT_EML };
int export_begin(enum export_fmt f);
int export_one(int64_t id, enum export_fmt f);

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
int import_begin(struct import **out, int quiet);
int import_file(struct import *im, int fd, const char *name);
void import_end(struct import *im);

#endif
