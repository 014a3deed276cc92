/* query.c: the search language of --grep and auto_tag, parsed into a tree
 * that knows nothing of any database engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libchat.h"

/* Bounds that keep every query's SQL within what an engine accepts and
 * the parser's recursion shallow; no one types more. */
#define QUERY_MAX_TERMS 64
#define QUERY_MAX_DEPTH 32

enum tok { T_END, T_WORD, T_PHRASE, T_AND, T_OR, T_NOT, T_OPEN, T_CLOSE };

static const char *const op_name[] = {
	[T_AND] = "AND", [T_OR] = "OR", [T_NOT] = "NOT"
};

struct parser {
	const char *text;	/* the query as given */
	const char *p;		/* where the next token starts */
	enum tok tok;		/* the current token */
	const char *start;	/* its first byte */
	size_t len;		/* its text: a word or a phrase's inside */
	int prefix;		/* a word or phrase followed by '*' */
	enum tok prev;		/* the token before it; T_END at the start */
	const char *prev_start;
	int depth, terms;
	struct query *q;
	struct query_error *err;
};

/* Columns count characters, not bytes: what a person counts. */
static int
col(const struct parser *ps, const char *at)
{
	const unsigned char *s = (const unsigned char *)ps->text;
	int n = 1;

	for (; s < (const unsigned char *)at; s++)
		n += (*s & 0xc0) != 0x80;
	return n;
}

static int
fail(struct parser *ps, const char *at, const char *fmt, const char *what)
{
	ps->err->col = col(ps, at);
	snprintf(ps->err->msg, sizeof ps->err->msg, fmt, what);
	return -1;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static int
ends_word(int c)
{
	return c == '\0' || is_space(c) || c == '(' || c == ')' || c == '"';
}

/* Reads the next token; a word is everything up to white space, a
 * parenthesis or a quote, so that any text can be a word. */
static int
next(struct parser *ps)
{
	const char *s = ps->p, *e;

	ps->prev = ps->tok;
	ps->prev_start = ps->start;
	while (is_space((unsigned char)*s))
		s++;
	ps->start = s;
	ps->prefix = 0;
	if (*s == '\0') {
		ps->tok = T_END;
		ps->p = s;
		return 0;
	}
	if (*s == '(' || *s == ')') {
		ps->tok = *s == '(' ? T_OPEN : T_CLOSE;
		ps->p = s + 1;
		return 0;
	}
	if (*s == '"') {
		if ((e = strchr(s + 1, '"')) == NULL)
			return fail(ps, s, "%s without its closing '\"'", "'\"'");
		ps->tok = T_PHRASE;
		ps->start = s + 1;
		ps->len = (size_t)(e - s - 1);
		ps->p = e + 1;
		if (*ps->p == '*') {
			ps->prefix = 1;
			while (*ps->p == '*')
				ps->p++;
		}
		return 0;
	}
	for (e = s; !ends_word((unsigned char)*e); e++)
		;
	ps->p = e;
	ps->len = (size_t)(e - s);
	if (ps->len == 3 && memcmp(s, "AND", 3) == 0)
		ps->tok = T_AND;
	else if (ps->len == 2 && memcmp(s, "OR", 2) == 0)
		ps->tok = T_OR;
	else if (ps->len == 3 && memcmp(s, "NOT", 3) == 0)
		ps->tok = T_NOT;
	else {
		/* Stars alone are a word without a letter, not a prefix of
		 * nothing (which FTS5 would take for every word). */
		ps->tok = T_WORD;
		while (ps->len > 0 && s[ps->len - 1] == '*')
			ps->len--;
		ps->prefix = ps->len > 0 && ps->len < (size_t)(e - s);
		if (ps->len == 0)
			ps->len = (size_t)(e - s);
	}
	return 0;
}

/* Adds a node; returns its index, or -1 out of memory. */
static int
node(struct parser *ps, enum query_op op, int a, int b)
{
	struct query *q = ps->q;
	struct query_node *n;

	if (q->n == q->cap) {
		int cap = q->cap ? q->cap * 2 : 16;

		if ((n = realloc(q->node, (size_t)cap * sizeof *n)) == NULL) {
			ps->err->col = 0;
			snprintf(ps->err->msg, sizeof ps->err->msg,
			    "out of memory");
			return -1;
		}
		q->node = n;
		q->cap = cap;
	}
	n = &q->node[q->n];
	memset(n, 0, sizeof *n);
	n->op = op;
	n->a = a;
	n->b = b;
	return q->n++;
}

static int parse_or(struct parser *);

/* Says why the current token cannot start a term. */
static int
no_term(struct parser *ps)
{
	if (ps->prev == T_AND || ps->prev == T_OR || ps->prev == T_NOT)
		return fail(ps, ps->prev_start, "%s without a term after it",
		    op_name[ps->prev]);
	if (ps->tok == T_AND || ps->tok == T_OR)
		return fail(ps, ps->start, "%s without a term before it",
		    op_name[ps->tok]);
	if (ps->prev == T_OPEN && ps->tok == T_END)
		return fail(ps, ps->prev_start, "%s without ')'", "'('");
	if (ps->prev == T_OPEN)
		return fail(ps, ps->prev_start, "%s without a term inside",
		    "'()'");
	if (ps->tok == T_CLOSE)
		return fail(ps, ps->start, "%s without '('", "')'");
	return fail(ps, ps->start, "%s", "empty query");
}

static int
parse_not(struct parser *ps)
{
	const char *open;
	int n;

	if (ps->depth >= QUERY_MAX_DEPTH)
		return fail(ps, ps->start, "nested deeper than %s",
		    XSTR(QUERY_MAX_DEPTH));
	switch (ps->tok) {
	case T_NOT:
		if (next(ps) != 0)
			return -1;
		ps->depth++;
		n = parse_not(ps);
		ps->depth--;
		return n < 0 ? -1 : node(ps, Q_NOT, n, -1);
	case T_OPEN:
		open = ps->start;
		if (next(ps) != 0)
			return -1;
		ps->depth++;
		n = parse_or(ps);
		ps->depth--;
		if (n < 0)
			return -1;
		if (ps->tok != T_CLOSE)
			return fail(ps, open, "%s without ')'", "'('");
		return next(ps) != 0 ? -1 : n;
	case T_WORD:
	case T_PHRASE:
		if (++ps->terms > QUERY_MAX_TERMS)
			return fail(ps, ps->start, "more than %s terms",
			    XSTR(QUERY_MAX_TERMS));
		if ((n = node(ps, Q_TERM, -1, -1)) < 0)
			return -1;
		ps->q->node[n].text = (size_t)(ps->start - ps->text);
		ps->q->node[n].len = ps->len;
		ps->q->node[n].prefix = ps->prefix;
		return next(ps) != 0 ? -1 : n;
	default:
		return no_term(ps);
	}
}

/* Terms side by side are joined by AND, as in FTS5 and web searches. */
static int
parse_and(struct parser *ps)
{
	int left, right;

	if ((left = parse_not(ps)) < 0)
		return -1;
	for (;;) {
		if (ps->tok == T_AND) {
			if (next(ps) != 0)
				return -1;
		} else if (ps->tok != T_WORD && ps->tok != T_PHRASE &&
		    ps->tok != T_NOT && ps->tok != T_OPEN)
			return left;
		if ((right = parse_not(ps)) < 0 ||
		    (left = node(ps, Q_AND, left, right)) < 0)
			return -1;
	}
}

static int
parse_or(struct parser *ps)
{
	int left, right;

	if ((left = parse_and(ps)) < 0)
		return -1;
	while (ps->tok == T_OR) {
		if (next(ps) != 0 || (right = parse_and(ps)) < 0 ||
		    (left = node(ps, Q_OR, left, right)) < 0)
			return -1;
	}
	return left;
}

int
query_parse(const char *text, struct query **out, struct query_error *err)
{
	struct parser ps;
	struct query *q;

	*out = NULL;
	memset(err, 0, sizeof *err);
	if ((q = calloc(1, sizeof *q)) == NULL ||
	    (q->text = strdup(text)) == NULL) {
		free(q);
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return -1;
	}
	memset(&ps, 0, sizeof ps);
	ps.text = ps.p = ps.start = q->text;
	ps.q = q;
	ps.err = err;
	if (next(&ps) != 0 || (q->root = parse_or(&ps)) < 0 ||
	    (ps.tok != T_END && no_term(&ps) != 0)) {
		query_free(q);
		return -1;
	}
	*out = q;
	return 0;
}

void
query_free(struct query *q)
{
	if (q == NULL)
		return;
	free(q->node);
	free(q->text);
	free(q);
}
