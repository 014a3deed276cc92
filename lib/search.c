/* search.c: a query's tree as SQL: the conversations it holds for, over
 * the full-text indexes of messages, notes and conversation headers (FTS5
 * on SQLite, the tsvectors of PG_SCHEMA_SEARCH on PostgreSQL). */
#include <stdio.h>
#include <string.h>

#include "libchat.h"

/* A term's conversations. FTS5 takes the term as a string that
 * search_bind() makes; PostgreSQL has no FTS5: chat_query() splits and
 * folds the term's text there as FTS5 does, into a phrase (prefix: a
 * constant, so that the parameters stay one a node). */
static void
term(sqlite3_str *sql, int n, int p, int prefix)
{
	const char *pre = prefix ? "true" : "false";

	if (db_engine_pg()) {
		/* sql: constants (pre is "true" or "false") */
		sqlite3_str_appendf(sql, "q%d(id) AS (SELECT conversation"
		    " FROM messages WHERE id IN (SELECT id FROM messages_fts"
		    " WHERE words @@ chat_query(?%d, %s)) UNION SELECT"
		    " conversation FROM notes WHERE id IN (SELECT id FROM"
		    " notes_fts WHERE words @@ chat_query(?%d, %s)) UNION"
		    " SELECT id FROM conversations_fts WHERE words @@"
		    " chat_query(?%d, %s))", n, p, pre, p, pre, p, pre);
		return;
	}
	sqlite3_str_appendf(sql, "q%d(id) AS (SELECT conversation FROM"
	    " messages WHERE id IN (SELECT rowid FROM messages_fts WHERE"
	    " messages_fts MATCH ?%d) UNION SELECT conversation FROM notes"
	    " WHERE id IN (SELECT rowid FROM notes_fts WHERE notes_fts"
	    " MATCH ?%d) UNION SELECT rowid FROM conversations_fts WHERE"
	    " conversations_fts MATCH ?%d)", n, p, p, p);
}

/* Term n's parameter: the terms' are numbered in the order of the tree's
 * nodes, one each, with no gap for the others: PostgreSQL refuses a
 * parameter no statement uses, since it cannot tell its type. */
static int
param(const struct query *q, int n, int first)
{
	int i;

	for (i = 0; i < n; i++)
		first += q->node[i].op == Q_TERM;
	return first;
}

/* Each node of the tree is a common table expression q<index>(id) of the
 * conversations it holds for, written after its operands, so that the
 * SQL stays flat however deep the query. A term is looked up in each
 * index alone: a phrase or a prefix matches inside one message, note or
 * header, while AND, OR and NOT combine whole conversations. */
static void
emit(const struct query *q, int n, sqlite3_str *sql, int first)
{
	const struct query_node *x = &q->node[n], *a, *b;
	int left = x->a, right = x->b;
	const char *how = "UNION";

	switch (x->op) {
	case Q_TERM:
		term(sql, n, param(q, n, first), x->prefix);
		return;
	case Q_NOT:
		emit(q, left, sql, first);
		sqlite3_str_appendf(sql, ", q%d(id) AS (SELECT id FROM"
		    " conversations EXCEPT SELECT id FROM q%d)", n, left);
		return;
	case Q_OR:
		break;
	case Q_AND:
		/* a AND NOT b is a difference: no set of every conversation. */
		a = &q->node[x->a];
		b = &q->node[x->b];
		how = "INTERSECT";
		if (b->op == Q_NOT && a->op != Q_NOT) {
			how = "EXCEPT";
			right = b->a;
		} else if (a->op == Q_NOT && b->op != Q_NOT) {
			how = "EXCEPT";
			left = x->b;
			right = a->a;
		}
		break;
	}
	emit(q, left, sql, first);
	sqlite3_str_appendall(sql, ", ");
	emit(q, right, sql, first);
	/* sql: constants; how is one of three operators above */
	sqlite3_str_appendf(sql, ", q%d(id) AS (SELECT id FROM q%d %s"
	    " SELECT id FROM q%d)", n, left, how, right);
}

int
search_sql(const struct query *q, sqlite3_str *sql, int first)
{
	sqlite3_str_appendall(sql, "WITH ");
	emit(q, q->root, sql, first);
	sqlite3_str_appendf(sql, " SELECT id FROM q%d", q->root);
	return param(q, q->n, first);
}

/* Each term as an FTS5 string, which FTS5 splits into the words of its
 * tokenizer and matches as a phrase: any text a person types, quotes
 * included, is a term and never an FTS5 syntax error. PostgreSQL's
 * chat_query() takes the term's text as it is. */
int
search_bind(const struct query *q, struct stmt *st, int first)
{
	const struct query_node *x;
	char *s;
	int i;

	for (i = 0; i < q->n; i++) {
		x = &q->node[i];
		if (x->op != Q_TERM)
			continue;
		if (db_engine_pg()) {
			st_bind_textn(st, first++, q->text + x->text,
			    (int)x->len, NULL);
			continue;
		}
		if ((s = sqlite3_mprintf("\"%.*w\"%s", (int)x->len,
		    q->text + x->text, x->prefix ? "*" : "")) == NULL)
			return chat_err(ST_DB, "out of memory");
		st_bind_textn(st, first++, s, -1, sqlite3_free);
	}
	return 0;
}

/* Fills the temporary table matched (id), made by the caller, with
 * the conversations of batch_ok that q holds for: the auto_tag rules ask
 * it once per batch and rule. */
int
search_batch(const struct query *q)
{
	sqlite3_str *sql = sqlite3_str_new(NULL);
	struct stmt *st = NULL;
	int rc;

	if ((rc = db_exec("DELETE FROM matched", "searching")) != 0) {
		sqlite3_free(sqlite3_str_finish(sql));
		return rc;
	}
	sqlite3_str_appendall(sql, "INSERT INTO matched SELECT id FROM"
	    " batch_ok WHERE id IN (");
	search_sql(q, sql, 1);
	sqlite3_str_appendall(sql, ")");
	if ((rc = db_prepare(sql, "searching", &st)) == 0 &&
	    (rc = search_bind(q, st, 1)) == 0)
		rc = db_done(st, "searching");
	st_finalize(st);
	return rc;
}

/* The tokenizer of the SQLite index, asked of FTS5 itself: its words are
 * the ones chat_words() gets from chat_fold()'s tables of the same. */
static fts5_tokenizer tokenizer;
static Fts5Tokenizer *words_of;

static int
tokenizer_open(void)
{
	static const char *const args[] = { "remove_diacritics", "2" };
	sqlite3 *db = db_local_handle();
	sqlite3_stmt *st;
	fts5_api *api = NULL;
	void *ud;

	if (words_of != NULL)
		return 0;
	if (db == NULL)
		return ST_DB;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) !=
	    SQLITE_OK)
		return chat_err(ST_DB, "indexing: %s", sqlite3_errmsg(db));
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (api == NULL || api->xFindTokenizer(api, "unicode61", &ud,
	    &tokenizer) != SQLITE_OK || tokenizer.xCreate(ud,
	    (const char **)args, 2, &words_of) != SQLITE_OK)
		return chat_err(ST_DB, "indexing: no unicode61 tokenizer");
	return 0;
}

struct words {
	sqlite3_str *out;
	int n;			/* the position of the last word */
	long size;		/* what the lexemes take, as chat_words() counts */
};

static int
word_add(void *ctx, int flags, const char *w, int len, int start, int end)
{
	struct words *ws = ctx;
	int i;

	(void)flags, (void)start, (void)end;
	if (len == 0)
		return SQLITE_OK;	/* chat_words() skips it uncounted */
	ws->n++;
	if (len > 2046 || (ws->size += len + 8) > 1000000)
		return SQLITE_OK;
	if (sqlite3_str_length(ws->out) > 0)
		sqlite3_str_appendchar(ws->out, 1, ' ');
	sqlite3_str_appendchar(ws->out, 1, '\'');
	for (i = 0; i < len; i++) {
		if (w[i] == '\'' || w[i] == '\\')
			sqlite3_str_appendchar(ws->out, 1, w[i]);
		sqlite3_str_appendchar(ws->out, 1, w[i]);
	}
	sqlite3_str_appendf(ws->out, "':%d", ws->n < 16383 ? ws->n : 16383);
	return SQLITE_OK;
}

int
search_words(const char *const *parts, int nparts, sqlite3_str *out)
{
	struct words ws = { out, 0, 0 };
	int i, rc;

	if ((rc = tokenizer_open()) != 0)
		return rc;
	for (i = 0; i < nparts; i++) {
		if (parts[i] == NULL)
			continue;
		if (tokenizer.xTokenize(words_of, &ws, FTS5_TOKENIZE_DOCUMENT,
		    parts[i], (int)strlen(parts[i]), word_add) != SQLITE_OK)
			return chat_err(ST_DB, "indexing: out of memory");
		ws.n++;
	}
	return 0;
}
