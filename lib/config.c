/* config.c: config.yaml, loaded by libyaml on first use, typed strictly. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "libchat.h"

enum kind {
	K_MAP, K_STR, K_NAME, K_PATH, K_BOOL, K_INT, K_ID, K_DUR, K_DUR_MS,
	K_LIST, K_REQUIRE, K_CRITERIA, K_AUTO_TAG
};

/* Every key the file may hold: its dotted path, its type, where it lives in
 * struct config and, for a list, where its length does. Loading types a
 * value and config_free() frees it from this table alone, so a new key is
 * one line here and a field in struct config. */
#define F(m) offsetof(struct config, m)
#define CONFIG_MAX (1024 * 1024)
#define CONFIG_DEPTH 16
static const struct key {
	const char *name;
	enum kind kind;
	size_t off, count;
} keys[] = {
	{"db", K_PATH, F(db), 0},
	{"db_busy_timeout", K_DUR_MS, F(busy_timeout_ms), 0},
	{"operator", K_NAME, F(operator), 0},
	{"tags", K_MAP, 0, 0},
	{"tags.catalog", K_LIST, F(tags_catalog), F(ntags_catalog)},
	{"tags.strict", K_BOOL, F(tags_strict), 0},
	{"close", K_MAP, 0, 0},
	{"close.require", K_REQUIRE, 0, 0},
	{"close.forgotten_after", K_DUR, F(forgotten_after), 0},
	{"close.social_channels", K_LIST, F(social_channels),
	    F(nsocial_channels)},
	{"rating", K_MAP, 0, 0},
	{"rating.criteria", K_CRITERIA, F(criteria), F(ncriteria)},
	{"auto_tag", K_AUTO_TAG, F(auto_tags), F(nauto_tags)},
	{"mail", K_MAP, 0, 0},
	{"mail.url", K_STR, F(mail_url), 0},
	{"mail.from", K_STR, F(mail_from), 0},
	{"mail.username", K_STR, F(mail_username), 0},
	{"mail.password_env", K_STR, F(mail_password_env), 0},
	{"mail.password_file", K_PATH, F(mail_password_file), 0},
	{"mail.insecure", K_BOOL, F(mail_insecure), 0},
	{"mail.ca_file", K_PATH, F(mail_ca_file), 0},
	{"zendesk", K_MAP, 0, 0},
	{"zendesk.url", K_STR, F(zd_url), 0},
	{"zendesk.email", K_STR, F(zd_email), 0},
	{"zendesk.token_env", K_STR, F(zd_token_env), 0},
	{"zendesk.token_file", K_PATH, F(zd_token_file), 0},
	{"zendesk.oauth_token_env", K_STR, F(zd_oauth_token_env), 0},
	{"zendesk.oauth_token_file", K_PATH, F(zd_oauth_token_file), 0},
	{"zendesk.status", K_STR, F(zd_status), 0},
	{"zendesk.insecure", K_BOOL, F(zd_insecure), 0},
	{"zendesk.ca_file", K_PATH, F(zd_ca_file), 0},
	{"chatwoot", K_MAP, 0, 0},
	{"chatwoot.url", K_STR, F(cw_url), 0},
	{"chatwoot.account", K_ID, F(cw_account), 0},
	{"chatwoot.inboxes", K_LIST, F(cw_inboxes), F(ncw_inboxes)},
	{"chatwoot.token_env", K_STR, F(cw_token_env), 0},
	{"chatwoot.token_file", K_PATH, F(cw_token_file), 0},
	{"chatwoot.insecure", K_BOOL, F(cw_insecure), 0},
	{"chatwoot.ca_file", K_PATH, F(cw_ca_file), 0},
	{"chatwoot.secret_env", K_STR, F(cw_secret_env), 0},
	{"chatwoot.secret_file", K_PATH, F(cw_secret_file), 0},
	{"delivery", K_MAP, 0, 0},
	{"delivery.max_attempts", K_INT, F(max_attempts), 0},
	{"delivery.connect_timeout", K_DUR, F(connect_timeout), 0},
	{"delivery.timeout", K_DUR, F(timeout), 0},
};
#undef F
#define NKEYS (sizeof keys / sizeof keys[0])
#define FIELD(c, off, type) ((type)(void *)((char *)(c) + (off)))

/* One file being read: its document, as libyaml's loader built it. */
struct load {
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *fp;
	const char *file;
	int seen;		/* nodes met so far, in document order */
	int deep;		/* 1 when read_some() stopped the parser */
};

static const char *path_opt;
static struct config loaded;
static int load_status = -1;

int
config_set_path(const char *p)
{
	path_opt = p;
	return 0;
}

static int
bad(const char *file, long line, const char *key, const char *msg)
{
	if (key != NULL)
		return chat_err(ST_CONFIG, "%s:%ld: %s: %s", file, line, key,
		    msg);
	return chat_err(ST_CONFIG, "%s:%ld: %s", file, line, msg);
}

static yaml_node_t *
node(struct load *l, int index)
{
	return yaml_document_get_node(&l->doc, index);
}

static long
line_of(const yaml_node_t *n)
{
	return (long)n->start_mark.line + 1;
}

static const char *
text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static size_t
items(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
}

static yaml_node_t *
item(struct load *l, const yaml_node_t *n, size_t i)
{
	return node(l, n->data.sequence.items.start[i]);
}

/* The line after prev, a node of n: in a block collection an entry after one
 * that ends on its own last line (a flow node: its end mark is not the next
 * entry's) starts on a new line. */
static long
past(const yaml_node_t *n, const yaml_node_t *prev)
{
	int block = n->type == YAML_SEQUENCE_NODE ?
	    n->data.sequence.style == YAML_BLOCK_SEQUENCE_STYLE :
	    n->data.mapping.style == YAML_BLOCK_MAPPING_STYLE;
	int flow = prev->type == YAML_SCALAR_NODE ?
	    prev->data.scalar.style != YAML_LITERAL_SCALAR_STYLE &&
	    prev->data.scalar.style != YAML_FOLDED_SCALAR_STYLE :
	    prev->type == YAML_SEQUENCE_NODE ?
	    prev->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE :
	    prev->data.mapping.style == YAML_FLOW_MAPPING_STYLE;

	return (long)prev->end_mark.line + 1 + (block && flow);
}

/* Refuses, in document order, what the loader takes and a configuration
 * does not: aliases, keys that are not strings, a key given twice, nesting
 * deeper than CONFIG_DEPTH (the schema's own is 4). The loader numbers
 * nodes in document order and an alias makes none, so a node whose number
 * is not the next is an alias; having no mark of its own, it is placed at
 * at, the line where the node before it in its parent ended (see past()). */
static int
check(struct load *l, int index, long at, int depth)
{
	const yaml_node_t *n = node(l, index), *k;
	const yaml_node_pair_t *p, *q;
	size_t i;
	int rc;

	if (index != ++l->seen)
		return bad(l->file, at, NULL, "aliases are not allowed");
	if (n->type == YAML_SCALAR_NODE)
		return 0;
	if (depth > CONFIG_DEPTH)
		return bad(l->file, line_of(n), NULL, "nested too deep");
	at = line_of(n);
	if (n->type == YAML_SEQUENCE_NODE) {
		for (i = 0; i < items(n); i++) {
			if ((rc = check(l, n->data.sequence.items.start[i], at,
			    depth + 1)) != 0)
				return rc;
			at = past(n, item(l, n, i));
		}
		return 0;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		if ((rc = check(l, p->key, at, depth + 1)) != 0)
			return rc;
		k = node(l, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return bad(l->file, line_of(k), NULL,
			    "a key must be a plain string");
		for (q = n->data.mapping.pairs.start; q < p; q++)
			if (strcmp(text(node(l, q->key)), text(k)) == 0)
				return bad(l->file, line_of(k), text(k),
				    "duplicate key");
		if ((rc = check(l, p->value, (long)k->end_mark.line + 1,
		    depth + 1)) != 0)
			return rc;
		at = past(n, node(l, p->value));
	}
	return 0;
}

static int
is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (text(n)[0] == '\0' || strcmp(text(n), "~") == 0 ||
	    strcmp(text(n), "null") == 0);
}

static int
to_string(struct load *l, const yaml_node_t *n, const char *key,
    int is_path, char **out)
{
	const char *home = getenv("HOME"), *s;
	size_t len;

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return bad(l->file, line_of(n), key, "expected a string");
	s = text(n);
	free(*out);
	if (is_path && strncmp(s, "~/", 2) == 0 && home != NULL) {
		len = strlen(home) + strlen(s);
		if ((*out = malloc(len)) != NULL)
			snprintf(*out, len, "%s%s", home, s + 1);
	} else
		*out = strdup(s);
	return *out == NULL ? chat_err(ST_DB, "out of memory") : 0;
}

/* A name recorded as who did something: a one-line field, not empty,
 * as --as takes it. */
static int
to_name(struct load *l, const yaml_node_t *n, const char *key, char **out)
{
	const char *why;

	if (n->type == YAML_SCALAR_NODE && text(n)[0] == '\0')
		return bad(l->file, line_of(n), key, "empty name");
	if (n->type == YAML_SCALAR_NODE &&
	    (why = one_line_fault(text(n))) != NULL)
		return bad(l->file, line_of(n), key, why);
	return to_string(l, n, key, 0, out);
}

/* Decimal only: YAML 1.1 would read 010 as octal and 0x10 as hex. */
static int
to_int(struct load *l, const yaml_node_t *n, const char *key, long min,
    long max, long *out)
{
	const char *s;
	long v = 0;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    text(n)[0] == '\0')
		return bad(l->file, line_of(n), key, "expected a whole number");
	s = text(n);
	if (*s == '-')
		s++;
	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return bad(l->file, line_of(n), key,
		    "expected a decimal number");
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return bad(l->file, line_of(n), key,
			    "expected a decimal number");
		if (v > (max - (*s - '0')) / 10)
			return bad(l->file, line_of(n), key,
			    "number out of range");
		v = v * 10 + (*s - '0');
	}
	if (text(n)[0] == '-')
		v = -v;
	if (v < min || v > max)
		return bad(l->file, line_of(n), key, "number out of range");
	*out = v;
	return 0;
}

static void
free_list(char **list, size_t *count)
{
	size_t i;

	for (i = 0; i < *count; i++)
		free(list[i]);
	free(list);
	*count = 0;
}

static int
to_list(struct load *l, const yaml_node_t *n, const char *key,
    char ***list, size_t *count)
{
	size_t i;
	int rc;

	if (n->type != YAML_SEQUENCE_NODE)
		return bad(l->file, line_of(n), key, "expected a list");
	free_list(*list, count);
	if ((*list = calloc(items(n) + 1, sizeof **list)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; i < items(n); i++) {
		if ((rc = to_string(l, item(l, n, i), key, 0, &(*list)[i])) != 0)
			return rc;
		(*count)++;
	}
	return 0;
}

static int
to_require(struct load *l, const yaml_node_t *n, const char *key,
    struct config *c)
{
	const yaml_node_t *k;
	const char *s;
	size_t i;
	char msg[80];

	if (n->type != YAML_SEQUENCE_NODE)
		return bad(l->file, line_of(n), key, "expected a list");
	c->require_tag = c->require_note = c->require_rating = 0;
	for (i = 0; i < items(n); i++) {
		k = item(l, n, i);
		s = k->type == YAML_SCALAR_NODE ? text(k) : "";
		if (strcmp(s, "tag") == 0)
			c->require_tag = 1;
		else if (strcmp(s, "note") == 0)
			c->require_note = 1;
		else if (strcmp(s, "rating") == 0)
			c->require_rating = 1;
		else {
			snprintf(msg, sizeof msg, "'%.40s' is not tag, note or "
			    "rating", s);
			return bad(l->file, line_of(k), key, msg);
		}
	}
	return 0;
}

static void
free_criteria(struct criterion **list, size_t *count)
{
	size_t i;

	for (i = 0; i < *count; i++)
		free((*list)[i].name);
	free(*list);
	*list = NULL;
	*count = 0;
}

static int
to_criteria(struct load *l, const yaml_node_t *n, const char *key,
    struct criterion **list, size_t *count)
{
	const yaml_node_pair_t *p;
	const yaml_node_t *scale;
	const char *name;
	long lo = 0, hi = 0;
	int rc;

	if (n->type != YAML_MAPPING_NODE ||
	    n->data.mapping.pairs.top == n->data.mapping.pairs.start)
		return bad(l->file, line_of(n), key,
		    "expected a mapping of criterion: [min, max]");
	free_criteria(list, count);
	if ((*list = calloc((size_t)(n->data.mapping.pairs.top -
	    n->data.mapping.pairs.start), sizeof **list)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		name = text(node(l, p->key));
		scale = node(l, p->value);
		if (scale->type != YAML_SEQUENCE_NODE || items(scale) != 2)
			return bad(l->file, line_of(scale), name,
			    "expected [min, max]");
		if ((rc = to_int(l, item(l, scale, 0), name, -1000000, 1000000,
		    &lo)) != 0 || (rc = to_int(l, item(l, scale, 1), name,
		    -1000000, 1000000, &hi)) != 0)
			return rc;
		if (lo >= hi)
			return bad(l->file, line_of(scale), name,
			    "min must be below max");
		if (((*list)[*count].name = strdup(name)) == NULL)
			return chat_err(ST_DB, "out of memory");
		(*list)[*count].min = (int)lo;
		(*list)[(*count)++].max = (int)hi;
	}
	return 0;
}

static void
free_auto_tags(struct auto_tag **list, size_t *count)
{
	size_t i;

	for (i = 0; i < *count; i++) {
		free((*list)[i].tag);
		free((*list)[i].match);
		free((*list)[i].channel);
		query_free((*list)[i].query);
	}
	free(*list);
	*list = NULL;
	*count = 0;
}

static int
to_auto_tags(struct load *l, const yaml_node_t *n, struct auto_tag **list,
    size_t *count)
{
	const yaml_node_t *rule, *k, *match;
	const yaml_node_pair_t *p;
	struct auto_tag *a;
	struct query_error qe;
	char **field, msg[120];
	size_t i;
	int rc;

	if (n->type != YAML_SEQUENCE_NODE)
		return bad(l->file, line_of(n), "auto_tag", "expected a list");
	free_auto_tags(list, count);
	if ((*list = calloc(items(n) + 1, sizeof **list)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; i < items(n); i++) {
		rule = match = item(l, n, i);
		a = &(*list)[(*count)++];
		if (rule->type != YAML_MAPPING_NODE)
			return bad(l->file, line_of(rule), "auto_tag",
			    "expected {tag, match, channel}");
		for (p = rule->data.mapping.pairs.start;
		    p < rule->data.mapping.pairs.top; p++) {
			k = node(l, p->key);
			if (strcmp(text(k), "tag") == 0)
				field = &a->tag;
			else if (strcmp(text(k), "match") == 0) {
				field = &a->match;
				match = node(l, p->value);
			} else if (strcmp(text(k), "channel") == 0)
				field = &a->channel;
			else
				return bad(l->file, line_of(k), text(k),
				    "unknown key in auto_tag (tag, match, "
				    "channel)");
			if ((rc = to_string(l, node(l, p->value), text(k), 0,
			    field)) != 0)
				return rc;
		}
		if (a->tag == NULL || a->match == NULL)
			return bad(l->file, line_of(rule), "auto_tag",
			    "a rule needs tag and match");
		/* col 0: the parser ran out of memory. */
		if (query_parse(a->match, &a->query, &qe) != 0 &&
		    qe.col == 0)
			return chat_err(ST_DB, "%s: %s", l->file, qe.msg);
		if (a->query == NULL) {
			snprintf(msg, sizeof msg, "col %d: %s", qe.col, qe.msg);
			return bad(l->file, line_of(match), "match", msg);
		}
	}
	return 0;
}

static int
to_bool(struct load *l, const yaml_node_t *n, const char *key, int *out)
{
	if (n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		*out = strcmp(text(n), "true") == 0;
		if (*out || strcmp(text(n), "false") == 0)
			return 0;
	}
	return bad(l->file, line_of(n), key, "expected true or false");
}

static int
to_duration(struct load *l, const yaml_node_t *n, const char *key,
    long unit, long *out)
{
	long secs;

	if (n->type != YAML_SCALAR_NODE || duration_parse(text(n), &secs) != 0)
		return bad(l->file, line_of(n), key,
		    "expected a duration such as 30s, 10m, 2h");
	*out = secs * unit;
	return 0;
}

static int
apply(struct load *l, const yaml_node_t *map, const char *prefix,
    struct config *c)
{
	const yaml_node_pair_t *p;
	const yaml_node_t *k, *v;
	const struct key *spec;
	char full[128];
	size_t j;
	int rc = 0;

	if (map->type != YAML_MAPPING_NODE)
		return bad(l->file, line_of(map), *prefix ? prefix : NULL,
		    "expected a mapping");
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top && rc == 0; p++) {
		k = node(l, p->key);
		v = node(l, p->value);
		snprintf(full, sizeof full, "%s%s%s", prefix,
		    *prefix ? "." : "", text(k));
		for (j = 0, spec = NULL; j < NKEYS; j++)
			if (strcmp(keys[j].name, full) == 0)
				spec = &keys[j];
		if (spec == NULL)
			return bad(l->file, line_of(k), full, "unknown key");
		switch (spec->kind) {
		case K_MAP:
			rc = apply(l, v, full, c);
			break;
		case K_STR:
		case K_PATH:
			rc = to_string(l, v, full, spec->kind == K_PATH,
			    FIELD(c, spec->off, char **));
			break;
		case K_NAME:
			rc = to_name(l, v, full, FIELD(c, spec->off, char **));
			break;
		case K_BOOL:
			rc = to_bool(l, v, full, FIELD(c, spec->off, int *));
			break;
		case K_INT:
		case K_ID:
			/* A count is a human's; an id is a server's. */
			rc = to_int(l, v, full, 1, spec->kind == K_ID ?
			    LONG_MAX : 1000000, FIELD(c, spec->off, long *));
			break;
		case K_DUR:
		case K_DUR_MS:
			rc = to_duration(l, v, full,
			    spec->kind == K_DUR_MS ? 1000 : 1,
			    FIELD(c, spec->off, long *));
			break;
		case K_LIST:
			rc = to_list(l, v, full, FIELD(c, spec->off, char ***),
			    FIELD(c, spec->count, size_t *));
			break;
		case K_REQUIRE:
			rc = to_require(l, v, full, c);
			break;
		case K_CRITERIA:
			rc = to_criteria(l, v, full,
			    FIELD(c, spec->off, struct criterion **),
			    FIELD(c, spec->count, size_t *));
			break;
		case K_AUTO_TAG:
			rc = to_auto_tags(l, v,
			    FIELD(c, spec->off, struct auto_tag **),
			    FIELD(c, spec->count, size_t *));
			break;
		}
	}
	return rc;
}

/* Feeds the parser a little at a time, so that flow collections nested
 * past any configuration's depth stop it within a few hundred bytes: the
 * scanner's work grows with the square of their depth, half a minute for
 * 100,000. Deeper block nesting costs the file the square in indentation,
 * and check() refuses it. */
static int
read_some(void *data, unsigned char *buf, size_t size, size_t *got)
{
	struct load *l = data;

	if (l->parser.flow_level > CONFIG_DEPTH) {
		l->deep = 1;
		return 0;
	}
	*got = fread(buf, 1, size < 256 ? size : 256, l->fp);
	return !ferror(l->fp);
}

/* What the parser or the loader refused, where. The loader's own refusals
 * are anchors: one used undefined, or one given twice. */
static int
refused(const struct load *l)
{
	const yaml_parser_t *p = &l->parser;
	const char *msg = p->problem ? p->problem : "YAML syntax error";

	if (p->error == YAML_MEMORY_ERROR)
		return chat_err(ST_DB, "%s: out of memory", l->file);
	if (l->deep)
		return bad(l->file, (long)p->mark.line + 1, NULL,
		    "nested too deep");
	if (p->error == YAML_COMPOSER_ERROR)
		msg = p->context ? "duplicate anchor" :
		    "aliases are not allowed";
	return bad(l->file, (long)p->problem_mark.line + 1, NULL, msg);
}

/* Loads the first document whole (libyaml 0.2's loader keeps its nesting
 * off the stack), refuses a second at its start unread, and types the
 * first into c. */
static int
load(FILE *fp, const char *file, struct config *c)
{
	struct load l = { .fp = fp, .file = file };
	const yaml_node_t *root;
	yaml_event_t ev;
	int rc = 0;

	if (!yaml_parser_initialize(&l.parser))
		return chat_err(ST_DB, "%s: out of memory", file);
	yaml_parser_set_input(&l.parser, read_some, &l);
	if (!yaml_parser_load(&l.parser, &l.doc)) {
		rc = refused(&l);
		yaml_parser_delete(&l.parser);
		return rc;
	}
	if ((root = yaml_document_get_root_node(&l.doc)) != NULL) {
		rc = check(&l, 1, line_of(root), 1);
		if (rc == 0 && !yaml_parser_parse(&l.parser, &ev))
			rc = refused(&l);
		else if (rc == 0) {
			if (ev.type == YAML_DOCUMENT_START_EVENT)
				rc = bad(file, (long)ev.start_mark.line + 1,
				    NULL, "only one YAML document is allowed");
			yaml_event_delete(&ev);
		}
		if (rc == 0 && !is_null(root))
			rc = apply(&l, root, "", c);
	}
	yaml_document_delete(&l.doc);
	yaml_parser_delete(&l.parser);
	return rc;
}

static int
set_defaults(struct config *c)
{
	static const char *social[] = {
		"messenger", "facebook", "twitter", "whatsapp", "instagram"
	};
	static const char *criteria[] = { "network", "solution" };
	size_t i;

	memset(c, 0, sizeof *c);
	c->busy_timeout_ms = 10000;
	c->forgotten_after = 30 * 60;
	c->max_attempts = 10;
	c->connect_timeout = 10;
	c->timeout = 60;
	c->social_channels = calloc(5, sizeof *c->social_channels);
	c->criteria = calloc(2, sizeof *c->criteria);
	c->zd_status = strdup("solved");
	if (c->social_channels == NULL || c->criteria == NULL ||
	    c->zd_status == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; i < 5; i++)
		if ((c->social_channels[c->nsocial_channels++] =
		    strdup(social[i])) == NULL)
			return chat_err(ST_DB, "out of memory");
	for (i = 0; i < 2; i++) {
		if ((c->criteria[c->ncriteria].name = strdup(criteria[i]))
		    == NULL)
			return chat_err(ST_DB, "out of memory");
		c->criteria[c->ncriteria].min = 1;
		c->criteria[c->ncriteria++].max = 5;
	}
	return 0;
}

int
config_load_file(const char *file, int must_exist, struct config *c)
{
	struct stat st;
	FILE *fp;
	int rc;

	if ((rc = set_defaults(c)) != 0)
		return rc;
	if ((c->file = strdup(file)) == NULL)
		return chat_err(ST_DB, "out of memory");
	if ((fp = fopen(file, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return chat_err(ST_CONFIG, "%s: %s", file, strerror(errno));
	}
	c->file_read = 1;
	/* A file this big is not a configuration but a mistaken path. */
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > CONFIG_MAX) {
		fclose(fp);
		return chat_err(ST_CONFIG, "%s: over %d bytes; not a "
		    "configuration", file, CONFIG_MAX);
	}
	rc = load(fp, file, c);
	fclose(fp);
	return rc;
}

void
config_free(struct config *c)
{
	const struct key *k;

	for (k = keys; k < keys + NKEYS; k++)
		switch (k->kind) {
		case K_STR:
		case K_NAME:
		case K_PATH:
			free(*FIELD(c, k->off, char **));
			break;
		case K_LIST:
			free_list(*FIELD(c, k->off, char ***),
			    FIELD(c, k->count, size_t *));
			break;
		case K_CRITERIA:
			free_criteria(FIELD(c, k->off, struct criterion **),
			    FIELD(c, k->count, size_t *));
			break;
		case K_AUTO_TAG:
			free_auto_tags(FIELD(c, k->off, struct auto_tag **),
			    FIELD(c, k->count, size_t *));
			break;
		default:
			break;
		}
	free(c->file);
	memset(c, 0, sizeof *c);
}

/* Loads the config once per process, on first need. */
int
config_get(const struct config **out)
{
	char file[4096];
	const char *p = path_opt, *home;
	int explicit = 1;

	*out = &loaded;
	if (load_status >= 0)
		return load_status;
	if (p == NULL || *p == '\0')
		p = getenv("CHAT_CONFIG");
	if (p == NULL || *p == '\0') {
		explicit = 0;
		if ((p = getenv("XDG_CONFIG_HOME")) != NULL && *p == '/')
			snprintf(file, sizeof file,
			    "%s/chat-tools/config.yaml", p);
		else if ((home = getenv("HOME")) != NULL)
			snprintf(file, sizeof file,
			    "%s/.config/chat-tools/config.yaml", home);
		else
			file[0] = '\0';
		p = file;
	}
	load_status = *p ? config_load_file(p, explicit, &loaded) :
	    set_defaults(&loaded);
	return load_status;
}

void
config_release(void)
{
	if (load_status >= 0)
		config_free(&loaded);
	load_status = -1;
}
