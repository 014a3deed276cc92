/* libchat.h: what the files of lib/ share among themselves and not with cmd/. */
#ifndef LIBCHAT_H
#define LIBCHAT_H

#include <stdarg.h>

#include <sqlite3.h>

#include "chat.h"

/* PRAGMA application_id of a chat-tools database: "CHAT". */
#define CHAT_APPLICATION_ID 1128808788
#define STR(x) #x
#define XSTR(x) STR(x)

/* Seconds a platform's clock may run ahead of this machine's: an imported
 * time up to that far in the future is taken as now, and a close falls at
 * a last activity up to that far ahead rather than before it. */
#define CLOCK_SKEW 300

/* The time x as RFC 3339 UTC: strftime() is SQLite's alone, to_char()
 * PostgreSQL's. The statements with one are written once over TIME and
 * made twice, side by side. */
#define LITE_TIME(x) "strftime('%Y-%m-%dT%H:%M:%SZ', " x ", 'unixepoch')"
#define PG_TIME(x) "to_char(to_timestamp(" x ") AT TIME ZONE 'UTC'," \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Conversation c's tag names as a JSON array, in the order they were
 * made, as the requests of a delivery send them: PostgreSQL keeps the
 * order only when told within the aggregate, and has no array of none. */
#define LITE_TAG_ARRAY "(SELECT json_group_array(name) FROM (SELECT" \
	" t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag" \
	" WHERE ct.conversation = c.id ORDER BY ct.tag))"
#define PG_TAG_ARRAY "coalesce((SELECT json_agg(t.name ORDER BY ct.tag)" \
	" FROM conversation_tags ct JOIN tags t ON t.id = ct.tag WHERE" \
	" ct.conversation = c.id), '[]')"

/* Whether a newer delivery (to the same conversation and target) has
 * replaced the delivery d: it sends what d would have, so a failed d is
 * neither retried nor listed as outstanding. */
#define DELIVERY_REPLACED "EXISTS (SELECT 1 FROM deliveries n WHERE" \
	" n.conversation = d.conversation AND n.target = d.target AND" \
	" n.seq > d.seq)"

/* schema.c: step N brings a database from version N-1 to N, on SQLite and
 * on PostgreSQL (NULL: nothing to do on that engine). */
extern const char *const schema_steps[];
extern const char *const schema_pg_steps[];
extern const size_t schema_nsteps;

/* db.c: the statements of every lib/ file, over one of two engines (the
 * drivers below). Those returning int return an exit status: 0, or the
 * status of the failure, reported (ST_TEMP when the database is busy or
 * out of reach, else ST_DB). */
enum db_type { DB_INT = 1, DB_REAL, DB_TEXT, DB_NULL = 5 };
/* A prepared statement; each driver's begins with this. */
struct stmt {
	const struct driver *drv;
};
/* A statement prepared once per process, keyed by its SQL string's address;
 * db.c owns it, the caller resets it when done. NULL when refused
 * (reported). */
struct stmt *db_prep(const char *sql);
/* The same, of a statement that reads no table (JSON, dates, a format over
 * bound values): on PostgreSQL it runs in an in-memory SQLite, so that
 * what it makes is SQLite's, byte for byte. */
struct stmt *db_prep_local(const char *sql);
/* The statement that engine's SQL says: lite on SQLite, pg on PostgreSQL,
 * for the few statements written twice, side by side. */
#define DB_SQL(lite, pg) (db_engine_pg() ? (pg) : (lite))
int db_engine_pg(void);
/* A statement of SQL made at run time (by sqlite3_str_new(NULL) and
 * appends): sql is finished and freed whatever comes of it; *out is the
 * caller's, to st_finalize(), NULL on failure. */
int db_prepare(sqlite3_str *sql, const char *context, struct stmt **out);
int db_prepare_local(sqlite3_str *sql, const char *context,
    struct stmt **out);
/* Steps st: 1 when it has a row; 0 when it has no more rows, *status 0,
 * or when it failed, *status the failure's (reported, st reset). */
int db_row(struct stmt *st, const char *context, int *status);
/* Steps st to its end, then resets it. */
int db_done(struct stmt *st, const char *context);
/* db_done() without waiting for the result, for a run of writes that
 * costs one round trip to the server: on PostgreSQL, st is sent down a
 * pipeline and its result read by the next call that waits (db_row(),
 * db_done(), db_exec(), db_commit(), db_sync()...), which a failure of st
 * makes fail, reported with st's context, the statements sent after it
 * not run. *changes, unless changes is NULL, gets the rows st changed, or
 * -1 when it failed, once its result is in: it must stay valid until then.
 * On SQLite, db_done() itself. */
int db_send(struct stmt *st, const char *context, int *changes);
/* Waits for the results of every statement sent: 0, or the status of the
 * first that failed (reported). */
int db_sync(void);
/* The same, the failure not reported: for a caller that tries again
 * another way (the import's chunk, a line at a time, to name the line). */
int db_sync_unreported(void);
/* Hands what was sent to the server now, without waiting for it: the
 * server works on it while the caller goes on. */
int db_push(void);
/* ROLLBACK TO SAVEPOINT savepoint (an SQL name): what the transaction
 * did since is undone, the ids the engine drew for it included (pg.c's
 * undo_to()); the transaction and the savepoint go on. */
int db_undo_to(const char *savepoint);
/* Runs the statement sql; parameter i binds the i-th argument after
 * types, each "i" (an int64_t) or "t" (a string or NULL). */
int db_run(const char *sql, const char *context, const char *types, ...);
/* Binds the arguments ap holds as db_run() does. */
void st_bindv(struct stmt *st, const char *types, va_list ap);
/* Reports the database's last error with context. */
int db_fail(const char *context);
int db_exec(const char *sql, const char *context);
/* The id the query sql finds for key, its one parameter; *id 0 when it
 * finds none. */
int db_id(const char *sql, const char *key, const char *context,
    int64_t *id);
/* The rows the last statement changed. */
int db_changes(void);
/* Now, as the changes of a write transaction record it: the time it
 * began, one instant for all its events, so that their order by time is
 * the order they were written in. */
time_t db_now(void);
int db_in_transaction(void);
/* A read transaction: one snapshot for every statement until
 * db_commit(). */
int db_begin_read(void);
/* The values of one column of many rows, bound as one PostgreSQL array
 * parameter (?N::bigint[], ?N::text[]) that unnest() makes rows of again:
 * one statement for a chunk of rows where a statement a row costs the
 * server more than the row. Empty ({0}) to start; st_bind_column_array()
 * binds it and empties it: PostgreSQL's only, whose driver copies what is
 * bound. */
struct column {
	sqlite3_str *s;
	long n;
};
void column_int(struct column *c, int64_t v);
void column_text(struct column *c, const char *s);	/* NULL: NULL */
void column_time(struct column *c, int64_t t);	/* -1: NULL */
int st_bind_column_array(struct stmt *st, int i, struct column *c);
void column_clear(struct column *c);
/* The in-memory SQLite of local statements (the database's connection on
 * SQLite), NULL when it cannot open (reported). */
sqlite3 *db_local_handle(void);

/* The statement interface, the same on both engines. A text bound is the
 * caller's until the statement is reset (st_bind_text) or handed over to
 * be freed by free (st_bind_textn; NULL: the caller's, as with
 * st_bind_text); len -1 means up to its NUL. A column's text is the
 * statement's, until the next step or reset. */
int st_step(struct stmt *st);	/* 1 a row, 0 done, -1 failed */
void st_reset(struct stmt *st);
void st_finalize(struct stmt *st);
void st_bind_int(struct stmt *st, int i, int64_t v);
void st_bind_double(struct stmt *st, int i, double v);
void st_bind_null(struct stmt *st, int i);
void st_bind_text(struct stmt *st, int i, const char *s);
void st_bind_textn(struct stmt *st, int i, const char *s, int len,
    void (*free)(void *));
/* Binds column j of row (any engine) as parameter i of st. */
void st_bind_column(struct stmt *st, int i, struct stmt *row, int j);
enum db_type st_type(struct stmt *st, int i);
int64_t st_int64(struct stmt *st, int i);
int st_int(struct stmt *st, int i);
double st_double(struct stmt *st, int i);
const char *st_text(struct stmt *st, int i);
int st_bytes(struct stmt *st, int i);

/* The engines: sqlite.c and pg.c. Their functions return what the
 * statement interface above does, and int ones -1 on failure, whose
 * status (ST_TEMP or ST_DB) and message error() then tells. */
struct driver {
	const char *name;
	int (*prepare)(const char *sql, int persistent, struct stmt **out);
	int (*step)(struct stmt *st);
	void (*reset)(struct stmt *st);
	void (*finalize)(struct stmt *st);
	void (*bind_int)(struct stmt *st, int i, int64_t v);
	void (*bind_double)(struct stmt *st, int i, double v);
	void (*bind_null)(struct stmt *st, int i);
	void (*bind_text)(struct stmt *st, int i, const char *s, int len,
	    void (*free)(void *));
	enum db_type (*type)(struct stmt *st, int i);
	int64_t (*int64)(struct stmt *st, int i);
	double (*real)(struct stmt *st, int i);
	const char *(*text)(struct stmt *st, int i);
	int (*bytes)(struct stmt *st, int i);
	int (*exec)(const char *sql);
	int (*error)(const char **message);
	int (*changes)(void);
	int (*in_transaction)(void);
	/* The write transaction, which serialises writers, and the read
	 * one, one snapshot. */
	int (*begin)(void);
	int (*begin_read)(void);
	/* The schema version (0: none yet); refuses another application's
	 * database. Then the version written after a step. */
	int (*version)(const char *path, int *version);
	int (*set_version)(int version);
	void (*close)(void);
	/* Connects to the URL (PostgreSQL's; SQLite's is sqlite_open());
	 * a URL that cannot be read is status bad (ST_USAGE from -d, else
	 * ST_CONFIG). */
	int (*open)(const char *url, int64_t busy_ms, int bad);
	/* The pipeline (PostgreSQL's; NULL on SQLite): db_send()'s and
	 * db_sync()'s; sent_failure(), the context of the sent statement
	 * whose failure the last call that waited failed on (NULL: its
	 * own). */
	int (*send)(struct stmt *st, const char *context, int *changes);
	int (*sync)(void);
	const char *(*sent_failure)(void);
	int (*push)(void);
	/* ROLLBACK TO SAVEPOINT savepoint, and what the engine keeps
	 * apart from the rows put back as it was (NULL: nothing). */
	int (*undo_to)(const char *savepoint);
};
/* PostgreSQL's is pg_driver in the module chat-pg.so (pg.c), loaded by
 * db.c when the database is a URL, or for chat-copy's other database by
 * db_pg_module(): NULL when it cannot be (reported). */
extern const struct driver sqlite_driver;
const struct driver *db_pg_module(void);
/* sqlite.c: opens the file at path (created by the caller), or an
 * in-memory database when path is NULL: the engine of local statements
 * when the database is on PostgreSQL. */
int sqlite_open(const char *path, enum db_mode mode, int dry_run,
    int64_t busy_ms);
int sqlite_is_open(void);
/* The message of its connection's last error. */
const char *sqlite_error(void);
/* The connection itself, for idtab.c's virtual table; NULL when closed. */
sqlite3 *sqlite_handle(void);
/* Whether s names a PostgreSQL database rather than a SQLite file. */
int db_is_url(const char *s);

/* batch.c: prints the ids the query returns, one per line. */
int batch_print(const char *sql);
/* Hands b every id st (bound, stepped here, then reset) finds, read whole
 * first: the batch writes what st reads. 0, or the status of a failure. */
int batch_feed_query(struct batch *b, struct stmt *st, const char *context);

/* idtab.c: the ids of the open batch, once each in the order they came
 * (seq), each standing or refused with a status and a reason; SQL reads
 * the standing ones as the table batch_ok (id, seq), which idtab_load()
 * fills in the batch's write transaction (on PostgreSQL; on SQLite it is
 * the C array itself). idtab_refuse() runs sql, bound as db_run() binds,
 * and refuses with status each id it returns (column 0), its message
 * column 1 (NULL: none); an id's first refusal is the one kept. */
#define IDTAB_STANDING (-1)
struct idtab {
	int64_t *id;
	int *status;		/* IDTAB_STANDING, or the refusal's */
	char **why;		/* the refusal's message, or NULL */
	long n;
	uint32_t *slot, nslot;	/* 1 + the index of an id, by its hash */
};
int idtab_open(struct idtab *t, long max);
void idtab_add(struct idtab *t, int64_t id);
int idtab_load(const struct idtab *t);
int idtab_refuse(int status, const char *sql, const char *context,
    const char *types, ...);
void idtab_clear(struct idtab *t);
void idtab_free(struct idtab *t);

/* batch.c */
int event_add(int64_t conv, time_t at, const char *action, const char *detail);
/* The same, by who rather than the one running the tool (an imported
 * history's own actors). */
int event_add_by(int64_t conv, time_t at, const char *who, const char *action,
    const char *detail);
/* The id of the last event written, 0 when there is none. */
int event_last(int64_t *id);
/* -n: prints the events written since mark, those of the batch's ids by
 * the order they came (of_batch), or all as written. */
int events_describe(int64_t mark, int of_batch);

/* The work of tags_apply() and notes_apply() without their write-back,
 * for chat-close's, which does its own once. */
int tags_change(const struct tag_req *r);
int notes_add(const struct note_req *r);

/* outbox.c: a change's write-back to Chatwoot, in its transaction:
 * outbox_mark() before it, outbox_writeback() after (off, and no
 * statement, when chatwoot.url is unset). */
struct wb_mark { int on; int64_t event, note, delivery; };
int outbox_mark(struct wb_mark *m);
int outbox_writeback(const struct wb_mark *m);

/* out.c: rows of a listing in the format asked. */
enum coltype {
	COL_INT, COL_TEXT, COL_TIME, COL_DUR, COL_LIST, COL_REAL, COL_PCT
};
struct col {
	const char *name;
	enum coltype type;
};
struct out;
/* The caller's, to out_end(), which writes what is left (a table is laid
 * out only then); NULL on failure (reported). */
struct out *out_begin(enum fmt fmt, const struct col *cols, size_t ncols);
int out_row(struct out *o, struct stmt *row);
int out_end(struct out *o);
/* A share for people, in whole percents, never 100% or 0% when it is not
 * all or none (">99%", "<1%"); returns buf. */
char *share_fmt(double v, char buf[32]);
/* Writes s to stdout, in TSV's escapes or, with tsv 0, as str_text()
 * shows a cell. */
void put_text(const char *s, int tsv);
/* s as str_text() shows a cell, in a copy that is the caller's, to
 * free(); NULL when out of memory. */
char *shown_text(const char *s);
/* The cells s takes on a terminal (wide characters two, combining marks
 * none); text_fit(): the bytes of the longest start of s that takes at most
 * cells, its width in *width when not NULL. */
size_t text_width(const char *s);
size_t text_fit(const char *s, size_t cells, size_t *width);
/* How str_text() shows a text: each control character (utf8_control()) as
 * \xHH, its code point in hex, but for a tab in a line of a message or a
 * note, kept, and a tab or line break (LF, CR LF) in a table's cell, made
 * a space so that the cell stays on its line and reads on. */
enum shown { SHOW_FIELD, SHOW_LINE, SHOW_CELL };
void str_text(sqlite3_str *out, const char *s, size_t len, enum shown how);
/* history.c: a conversation as text: header, transcript, notes and, with
 * with_events, deliveries and events. */
int conv_text(int64_t id, int with_events, sqlite3_str *out);
int conv_json(int64_t id, sqlite3_str *out);

/* notes.c: the time a change is written at, in *at: when's, else
 * db_now(). Given, it refuses (65) first the batch's conversations it
 * cannot be for: those that started after it, and every one when it is
 * more than CLOCK_SKEW ahead of now, as a close's time is (conv.c); what
 * names the change in the message. */
int when_check(const char *what, const struct when *when, int64_t *at);

/* tagname.c */
/* The tag's key: its name in NFC, fully case-folded; tag_nfc(), the name
 * as stored, in NFC. Each a copy of name when it is not UTF-8; the
 * caller's, to free(); NULL when out of memory. */
char *tag_fold(const char *name);
char *tag_nfc(const char *name);
int tag_check(const char *name);
/* Whether name is a tag, as tag_check() says, unsaid. */
int tag_valid(const char *name);
#define TAG_RULE "1 to 64 letters, digits, spaces or - _ . / :"
/* The SQL functions tag_key(name), tag_fold()'s key, and tag_nfc(name),
 * the name as stored, that db_open() registers. */
void tag_key_sql(sqlite3_context *cx, int argc, sqlite3_value **argv);
void tag_nfc_sql(sqlite3_context *cx, int argc, sqlite3_value **argv);

/* query.c: the search language, parsed into a tree of nodes: a term (a
 * word or a "phrase", its last word a prefix when followed by *), or AND,
 * OR and NOT over the nodes a and b. */
enum query_op { Q_TERM, Q_AND, Q_OR, Q_NOT };
struct query_node {
	enum query_op op;
	int a, b;		/* operands' indexes; NOT has a only */
	size_t text, len;	/* a term's words: bytes of the query's text */
	int prefix;
};
struct query {
	char *text;		/* the query as given */
	struct query_node *node;
	int n, cap, root;
};
struct query_error { int col; char msg[80]; };
/* On success *out is the caller's, to free with query_free(); on failure
 * err says where (a column in characters, from 1; 0 when out of memory)
 * and why. */
int query_parse(const char *text, struct query **out, struct query_error *err);
void query_free(struct query *q);

/* config.c: the configuration's fields, typed and filled from config.yaml
 * by the table in config.c; cmd/ sees only struct config's name. */
struct criterion { char *name; int min, max; };
struct auto_tag { char *tag, *match, *channel; struct query *query; };
struct config {
	char *file;		/* the path looked at, NULL if none */
	int file_read;		/* 1 when it existed and was read */
	char *db;
	long busy_timeout_ms;
	char *operator;
	char **tags_catalog; size_t ntags_catalog;
	int tags_strict;
	int require_tag, require_note, require_rating;
	long forgotten_after;
	char **social_channels; size_t nsocial_channels;
	struct criterion *criteria; size_t ncriteria;
	struct auto_tag *auto_tags; size_t nauto_tags;
	char *mail_url, *mail_from, *mail_username;
	char *mail_password_env, *mail_password_file, *mail_ca_file;
	int mail_insecure;
	char *zd_url, *zd_email, *zd_token_env, *zd_token_file;
	char *zd_oauth_token_env, *zd_oauth_token_file, *zd_status, *zd_ca_file;
	int zd_insecure;
	char *cw_url, *cw_token_env, *cw_token_file, *cw_ca_file;
	long cw_account;
	char **cw_inboxes; size_t ncw_inboxes;
	int cw_insecure;
	char *cw_secret_env, *cw_secret_file;
	long max_attempts, connect_timeout, timeout;
};

/* signature.c: a signed delivery's headers, X-Chatwoot-Timestamp (Unix
 * seconds) and X-Chatwoot-Signature ("sha256=" and the HMAC-SHA256 of
 * "<timestamp>.<raw body>" in hex). signature_parse() gives NULL when both
 * are well formed, with the time and the MAC, else why not.
 * signature_verify() is 0 when they sign body under secret and the time is
 * within SIGNATURE_WINDOW seconds of now either way; else ST_DATA with why
 * (never the MAC expected), unreported, or ST_DB out of memory, reported. */
#define SIGNATURE_LEN 32
#define SIGNATURE_WINDOW 300
const char *signature_parse(const char *ts, const char *sig, int64_t *t,
    unsigned char mac[SIGNATURE_LEN]);
int signature_verify(const char *secret, const char *ts, const char *sig,
    const char *body, size_t len, time_t now, const char **why);

/* chatwoot.c: the events of one Chatwoot webhook payload as chat-import's
 * own lines (NDJSON, each ending in a newline) appended to out; none, and
 * *skipped 1, for an event chat-tools keeps nothing of. NULL when the
 * payload is fine, else why it is not one of Chatwoot's. */
const char *chatwoot_lines(const char *payload, size_t len, sqlite3_str *out,
    int *skipped);
/* Whether text is one JSON value, white space around it allowed. */
int chatwoot_one(const char *text, size_t len);
/* The most of one payload read whole: a file of one pretty-printed
 * payload, a signed delivery. */
#define PAYLOAD_MAX 16777216

/* search.c: appends a SELECT of the ids of the conversations q holds for,
 * with parameters numbered from first that search_bind() binds; returns
 * the next free number. */
int search_sql(const struct query *q, sqlite3_str *sql, int first);
int search_bind(const struct query *q, struct stmt *st, int first);
int search_batch(const struct query *q);
/* Appends to out the text of the tsvector that chat_words() (schema.c)
 * makes of parts (NULL ones left out), made here for the rows a writer
 * indexes itself on PostgreSQL: the same words, from FTS5's own tokenizer,
 * the same positions and limits, without a server function a row. */
int search_words(const char *const *parts, int nparts, sqlite3_str *out);

/* What a delivery attempt came to: status 0 (done), ST_TEMP (try again,
 * after retry_after seconds when the server said so) or ST_REMOTE (refused
 * for good); ambiguous when the request may have been acted on; unheard
 * when the server was not reached or did not answer. */
struct sent {
	int status, ambiguous, unheard;
	long retry_after;
	char error[256];
	char remote_ref[300];
};

/* target.c: target_check() says, without the network, whether the config
 * can deliver to target ("zendesk", one of Chatwoot's, else mail): 0, else
 * ST_CONFIG with the reason in why (unreported), *absent when the target's
 * section is missing altogether. target_secret() reads a secret the config
 * names. target_chatwoot() says whether a target is Chatwoot's. */
int target_check(const char *target, char *why, size_t size, int *absent);
int target_chatwoot(const char *target);
int target_secret(const char *what, const char *env, const char *file,
    char **out, char *why, size_t size);

/* mail.c */
int mail_message(int64_t id, const char *to, const char *key, time_t date,
    sqlite3_str *out, char msgid[300]);
/* smtp.c */
int mail_send(const char *to, const char *message, struct sent *r);

/* zendesk.c */
int zendesk_read(long code, const char *answer, struct sent *r);
int zendesk_send(int64_t id, const char *key, int retry, time_t since,
    struct sent *r);

/* writeback.c: a Chatwoot delivery (target "chatwoot", the status and
 * labels, or "chatwoot:note:ID") of conversation id; retry when it was
 * tried before, since when it was queued.
 * writeback_read() reads Chatwoot's answer (HTTP code, body) to one
 * request of kind op about conversation q: a refusal is r's, with why;
 * else WB_CONV checks that the conversation is in the ref's inbox,
 * WB_STATUS keeps the status answered and WB_POST the message's id in
 * r->remote_ref, WB_FIND keeps there the id of the newest private message
 * with text q->note made since q->since, if any, else sets q->before to
 * the id a page of older messages ends before (0: none worth reading). */
enum wb_op { WB_CONV, WB_STATUS, WB_LABELS, WB_FIND, WB_POST };
struct wb_req {
	const char *ref;
	long account, inbox, display;
	const char *note;
	int64_t since, before;
};
int writeback_send(int64_t id, const char *target, int retry, time_t since,
    struct sent *r);
int writeback_read(enum wb_op op, long code, const char *answer,
    struct wb_req *q, struct sent *r);

/* net.c */
void net_cleanup(void);

/* filter.c: the WHERE clause of a selection, over conversations AS c,
 * its parameters numbered from first; returns the next free number, or -1
 * on a config error. */
int filter_where(const struct filter *f, sqlite3_str *sql, int first);
int filter_bind(const struct filter *f, struct stmt *st, int first);
/* --explain: the query plan is printed instead of the rows. */
int filter_explain(const struct filter *f);
/* The filter in words for a report's reader ("channel chat; started from
 * 2026-11-16 00:00"), "" for none: the caller's, to free(); NULL when out
 * of memory. */
char *filter_describe(const struct filter *f);
int plan_print(struct stmt *st);

/* stats.c: the report's figures, computed in one read of the closed
 * conversations' rows. Durations are in seconds; percentiles are
 * nearest-rank, the median of an even count the mean of its two middle
 * values, rounded half away from zero; averages of scores and the share
 * tagged are rounded as SQLite's round() does, to 2 and 4 decimals. For
 * --by nothing, rows is empty: the total is the report. */
struct stats_row {
	char *group;		/* as stored: a tag's name, a day... */
	long n;			/* closed conversations */
	long ht_avg, ht_p10, ht_median, ht_p90;	/* handling time */
	long frt_median;	/* first response; -1 when none answered */
	double *score;		/* per criterion, its average; NAN if none */
	long *scored;		/* per criterion, how many ratings */
	double tagged;		/* the share of the n that have a tag */
};
struct stats {
	enum stats_by by;
	struct stats_row *rows;	/* one per group, by group */
	size_t nrows;
	struct stats_row total;	/* each conversation once, whatever by */
	const struct criterion *criteria;	/* the config's */
	size_t ncriteria;
	long open, parked;	/* under the same filters, not counted */
};
/* *out is the caller's, freed with stats_free(). Everything is read in
 * one snapshot: the caller's open transaction, if any, else its own. */
int stats_compute(const struct filter *f, enum stats_by by,
    struct stats **out);
void stats_free(struct stats *s);
/* The figures' columns after the group's, before each criterion's and
 * tagged, as every format names them. */
#define STATS_NFIGURES 6
extern const struct col stats_figures[STATS_NFIGURES];
const char *stats_group_name(enum stats_by by);
/* --explain: the plan of the query that reads the report's rows. */
int stats_explain(const struct filter *f, enum stats_by by);

/* html.c: the report as one self-contained HTML page with SVG charts. */
int stats_html(const struct stats *s, const struct filter *f);

#endif
