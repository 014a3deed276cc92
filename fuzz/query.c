/* fuzz/query.c: the search language. A query either fails with a column
 * inside it and a reason, or its SQL runs, and finds over a few fixed
 * conversations what its tree says when each term is looked up alone and
 * AND, OR and NOT are taken as and, or and not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libchat.h"
#include "fuzz.h"

/* Conversation i of the fixture is bit i - 1 of a set. */
#define NCONV 6
#define ALL ((1u << NCONV) - 1)

static void
fixture(void)
{
	fuzz_db();
	if (db_exec("INSERT INTO conversations (id, ref, visitor, visitor_email,"
	    " started_at, last_activity_at) VALUES"
	    " (1, 'IA-1', 'Jane Roe', 'jane@example.com', 1, 1),"
	    " (2, 'IA-2', 'Marie Lefèvre', NULL, 1, 1),"
	    " (3, 'IA-3', NULL, NULL, 1, 1), (4, '4', 'and or', NULL, 1, 1),"
	    " (5, 'x-5', 'NOT', NULL, 1, 1), (6, 'IA-6', 'Éa', NULL, 1, 1);"
	    "INSERT INTO messages (conversation, at, author, body) VALUES"
	    " (1, 1, 'visitor', 'my parcel is late'),"
	    " (1, 2, 'operator', 'the parcel left, sorry'),"
	    " (2, 1, 'visitor', 'le produit reçu'),"
	    " (2, 2, 'operator', 'un échange ?'),"
	    " (3, 1, 'visitor', 'can''t pay 30€ 👍 parcel'),"
	    " (4, 1, 'visitor', 'late late refund'),"
	    " (6, 1, 'bot', 'ae ea a e');"
	    "INSERT INTO notes (conversation, at, author, body) VALUES"
	    " (5, 1, 'x', 'refund sent; parcel lost'), (3, 1, 'x', 'produit');"
	    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');"
	    "INSERT INTO conversations_fts (conversations_fts)"
	    " VALUES ('rebuild')", "fuzz") != 0)
		fuzz_fail("fixture");
}

/* The set the SQL of q finds. */
static unsigned
found(const struct query *q)
{
	sqlite3_str *sql = sqlite3_str_new(NULL);
	struct stmt *st;
	unsigned set = 0;
	int rc;

	search_sql(q, sql, 1);
	if (db_prepare(sql, "the SQL of a query that parsed", &st) != 0)
		fuzz_fail("the SQL of a query that parsed");
	if (search_bind(q, st, 1) != 0)
		fuzz_fail("search_bind");
	while (db_row(st, "a query that parsed", &rc))
		set |= 1u << (st_int(st, 0) - 1);
	if (rc != 0)
		fuzz_fail("a query that parsed failed in the engine");
	st_finalize(st);
	return set;
}

/* What node n holds for, from its terms' sets: the reference. */
static unsigned
eval(const struct query *q, int n)
{
	const struct query_node *x = &q->node[n];
	struct query_node term;
	struct query one;

	if (n < 0 || n >= q->n)
		fuzz_fail("a node index out of the tree");
	switch (x->op) {
	case Q_TERM:
		if (x->text + x->len > strlen(q->text))
			fuzz_fail("a term out of the query's text");
		term = *x;
		one = *q;
		one.node = &term;
		one.n = 1;
		one.root = 0;
		return found(&one);
	case Q_NOT:
		return ALL & ~eval(q, x->a);
	case Q_AND:
		return eval(q, x->a) & eval(q, x->b);
	case Q_OR:
		return eval(q, x->a) | eval(q, x->b);
	}
	fuzz_fail("a node of no kind");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct query_error err;
	struct query *q;
	char *text;
	long chars = 0;
	size_t i, terms;

	if (!ready++)
		fixture();
	text = fuzz_string(data, size);
	for (i = 0; text[i] != '\0'; i++)
		chars += ((unsigned char)text[i] & 0xc0) != 0x80;
	if (query_parse(text, &q, &err) != 0) {
		if (err.col < 1 || err.col > chars + 1 || err.msg[0] == '\0')
			fuzz_fail("a refusal without a place or a reason");
	} else {
		for (terms = i = 0; i < (size_t)q->n; i++)
			terms += q->node[i].op == Q_TERM;
		if (terms < 1 || terms > 64)
			fuzz_fail("a tree without terms, or too many");
		if (found(q) != eval(q, q->root))
			fuzz_fail("the SQL finds other conversations than the"
			    " tree says");
		query_free(q);
	}
	free(text);
	return 0;
}
