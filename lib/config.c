/* config.c: config.yaml, read with libyaml on first use, typed strictly. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "libchat.h"

struct node {
	enum { N_SCALAR, N_SEQ, N_MAP } type;
	char *value;
	int plain;
	long line;
	struct node **kids;	/* a mapping's are key, value, key, value... */
	size_t n;
};

enum kind {
	K_MAP, K_STR, K_NAME, K_PATH, K_BOOL, K_INT, K_DUR, K_DUR_MS, K_LIST,
	K_REQUIRE, K_CRITERIA, K_AUTO_TAG
};

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
	{"rating.criteria", K_CRITERIA, 0, 0},
	{"auto_tag", K_AUTO_TAG, 0, 0},
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
	{"delivery", K_MAP, 0, 0},
	{"delivery.max_attempts", K_INT, F(max_attempts), 0},
	{"delivery.connect_timeout", K_DUR, F(connect_timeout), 0},
	{"delivery.timeout", K_DUR, F(timeout), 0},
};
#undef F

static const char *path_opt;
static struct config loaded;
static int load_status = -1;

int
config_set_path(const char *p)
{
	path_opt = p;
	return 0;
}

static void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n);
}

static int
bad(const char *file, long line, const char *key, const char *msg)
{
	if (key != NULL)
		return chat_err(ST_CONFIG, "%s:%ld: %s: %s", file, line, key,
		    msg);
	return chat_err(ST_CONFIG, "%s:%ld: %s", file, line, msg);
}

static int
add_kid(struct node *n, struct node *kid)
{
	struct node **k = realloc(n->kids, (n->n + 1) * sizeof(struct node *));

	if (k == NULL) {
		node_free(kid);
		return -1;
	}
	n->kids = k;
	n->kids[n->n++] = kid;
	return 0;
}

/* Builds the tree of one node from the event stream; *ev holds the node's
 * first event, already parsed, and is deleted here. The depth is bounded
 * so that no file can exhaust the stack; the schema's own is 4. */
static int
load_node(yaml_parser_t *p, yaml_event_t *ev, const char *file, int depth,
    struct node **out)
{
	struct node *n = calloc(1, sizeof *n), *kid;
	yaml_event_type_t end;
	size_t i;
	int rc = 0;

	if (n == NULL) {
		yaml_event_delete(ev);
		return chat_err(ST_DB, "%s: out of memory", file);
	}
	n->line = (long)ev->start_mark.line + 1;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n->type = N_SCALAR;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->value = strdup((char *)ev->data.scalar.value);
		yaml_event_delete(ev);
		if (n->value == NULL) {
			free(n);
			return chat_err(ST_DB, "%s: out of memory", file);
		}
		*out = n;
		return 0;
	case YAML_SEQUENCE_START_EVENT:
		n->type = N_SEQ;
		end = YAML_SEQUENCE_END_EVENT;
		break;
	case YAML_MAPPING_START_EVENT:
		n->type = N_MAP;
		end = YAML_MAPPING_END_EVENT;
		break;
	default:
		rc = bad(file, n->line, NULL, ev->type == YAML_ALIAS_EVENT ?
		    "aliases are not allowed" : "unexpected YAML event");
		yaml_event_delete(ev);
		free(n);
		return rc;
	}
	yaml_event_delete(ev);
	if (depth > CONFIG_DEPTH) {
		rc = bad(file, n->line, NULL, "nested too deep");
		free(n);
		return rc;
	}
	for (;;) {
		if (!yaml_parser_parse(p, ev)) {
			rc = bad(file, (long)p->problem_mark.line + 1, NULL,
			    p->problem ? p->problem : "YAML syntax error");
			break;
		}
		if (ev->type == end) {
			yaml_event_delete(ev);
			break;
		}
		if ((rc = load_node(p, ev, file, depth + 1, &kid)) != 0)
			break;
		if (n->type == N_MAP && n->n % 2 == 0) {
			if (kid->type != N_SCALAR) {
				rc = bad(file, kid->line, NULL,
				    "a key must be a plain string");
				node_free(kid);
				break;
			}
			for (i = 0; i < n->n; i += 2)
				if (strcmp(n->kids[i]->value, kid->value) == 0)
					break;
			if (i < n->n) {
				rc = bad(file, kid->line, kid->value,
				    "duplicate key");
				node_free(kid);
				break;
			}
		}
		if (add_kid(n, kid) != 0) {
			rc = chat_err(ST_DB, "%s: out of memory", file);
			break;
		}
	}
	if (rc != 0) {
		node_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

static int
load_tree(FILE *fp, const char *file, struct node **root)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0, docs = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return chat_err(ST_DB, "%s: out of memory", file);
	yaml_parser_set_input_file(&p, fp);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = bad(file, (long)p.problem_mark.line + 1, NULL,
			    p.problem ? p.problem : "YAML syntax error");
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			rc = bad(file, (long)ev.start_mark.line + 1, NULL,
			    "only one YAML document is allowed");
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT ||
		    ev.type == YAML_ALIAS_EVENT) {
			if ((rc = load_node(&p, &ev, file, 1, root)) != 0)
				break;
			continue;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

static int
is_null(const struct node *n)
{
	return n->type == N_SCALAR && n->plain && (n->value[0] == '\0' ||
	    strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0);
}

static int
to_string(const struct node *n, const char *file, const char *key,
    int is_path, char **out)
{
	const char *home = getenv("HOME");
	size_t len;

	if (n->type != N_SCALAR || is_null(n))
		return bad(file, n->line, key, "expected a string");
	free(*out);
	if (is_path && strncmp(n->value, "~/", 2) == 0 && home != NULL) {
		len = strlen(home) + strlen(n->value);
		if ((*out = malloc(len)) != NULL)
			snprintf(*out, len, "%s%s", home, n->value + 1);
	} else
		*out = strdup(n->value);
	return *out == NULL ? chat_err(ST_DB, "out of memory") : 0;
}

/* A name recorded as who did something: a one-line field, not empty,
 * as --as takes it. */
static int
to_name(const struct node *n, const char *file, const char *key, char **out)
{
	const char *why;

	if (n->type == N_SCALAR && n->value[0] == '\0')
		return bad(file, n->line, key, "empty name");
	if (n->type == N_SCALAR && (why = one_line_fault(n->value)) != NULL)
		return bad(file, n->line, key, why);
	return to_string(n, file, key, 0, out);
}

/* Decimal only: YAML 1.1 would read 010 as octal and 0x10 as hex. */
static int
to_int(const struct node *n, const char *file, const char *key, long min,
    long max, long *out)
{
	const char *s = n->value;
	long v = 0;

	if (n->type != N_SCALAR || !n->plain || *s == '\0')
		return bad(file, n->line, key, "expected a whole number");
	if (*s == '-')
		s++;
	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return bad(file, n->line, key, "expected a decimal number");
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return bad(file, n->line, key,
			    "expected a decimal number");
		if (v > (max - (*s - '0')) / 10)
			return bad(file, n->line, key, "number out of range");
		v = v * 10 + (*s - '0');
	}
	if (n->value[0] == '-')
		v = -v;
	if (v < min || v > max)
		return bad(file, n->line, key, "number out of range");
	*out = v;
	return 0;
}

static int
to_list(const struct node *n, const char *file, const char *key,
    char ***list, size_t *count)
{
	size_t i;
	int rc;

	if (n->type != N_SEQ)
		return bad(file, n->line, key, "expected a list");
	for (i = 0; i < *count; i++)
		free((*list)[i]);
	free(*list);
	*count = 0;
	if ((*list = calloc(n->n + 1, sizeof **list)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; i < n->n; i++) {
		if ((rc = to_string(n->kids[i], file, key, 0, &(*list)[i])) != 0)
			return rc;
		(*count)++;
	}
	return 0;
}

static int
to_require(const struct node *n, const char *file, const char *key,
    struct config *c)
{
	size_t i;
	const struct node *k;
	char msg[80];

	if (n->type != N_SEQ)
		return bad(file, n->line, key, "expected a list");
	c->require_tag = c->require_note = c->require_rating = 0;
	for (i = 0; i < n->n; i++) {
		k = n->kids[i];
		if (k->type == N_SCALAR && strcmp(k->value, "tag") == 0)
			c->require_tag = 1;
		else if (k->type == N_SCALAR && strcmp(k->value, "note") == 0)
			c->require_note = 1;
		else if (k->type == N_SCALAR && strcmp(k->value, "rating") == 0)
			c->require_rating = 1;
		else {
			snprintf(msg, sizeof msg, "'%.40s' is not tag, note or "
			    "rating", k->type == N_SCALAR ? k->value : "");
			return bad(file, k->line, key, msg);
		}
	}
	return 0;
}

static void
free_criteria(struct config *c)
{
	size_t i;

	for (i = 0; i < c->ncriteria; i++)
		free(c->criteria[i].name);
	free(c->criteria);
	c->criteria = NULL;
	c->ncriteria = 0;
}

static int
to_criteria(const struct node *n, const char *file, const char *key,
    struct config *c)
{
	const struct node *name, *scale;
	long lo = 0, hi = 0;
	size_t i;
	int rc;

	if (n->type != N_MAP || n->n == 0)
		return bad(file, n->line, key,
		    "expected a mapping of criterion: [min, max]");
	free_criteria(c);
	if ((c->criteria = calloc(n->n / 2, sizeof *c->criteria)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; i < n->n; i += 2) {
		name = n->kids[i];
		scale = n->kids[i + 1];
		if (scale->type != N_SEQ || scale->n != 2)
			return bad(file, scale->line, name->value,
			    "expected [min, max]");
		if ((rc = to_int(scale->kids[0], file, name->value, -1000000,
		    1000000, &lo)) != 0 || (rc = to_int(scale->kids[1], file,
		    name->value, -1000000, 1000000, &hi)) != 0)
			return rc;
		if (lo >= hi)
			return bad(file, scale->line, name->value,
			    "min must be below max");
		if ((c->criteria[c->ncriteria].name = strdup(name->value))
		    == NULL)
			return chat_err(ST_DB, "out of memory");
		c->criteria[c->ncriteria].min = (int)lo;
		c->criteria[c->ncriteria++].max = (int)hi;
	}
	return 0;
}

static void
free_auto_tags(struct config *c)
{
	size_t i;

	for (i = 0; i < c->nauto_tags; i++) {
		free(c->auto_tags[i].tag);
		free(c->auto_tags[i].match);
		free(c->auto_tags[i].channel);
		query_free(c->auto_tags[i].query);
	}
	free(c->auto_tags);
	c->auto_tags = NULL;
	c->nauto_tags = 0;
}

static int
to_auto_tags(const struct node *n, const char *file, struct config *c)
{
	const struct node *rule, *k, *match;
	struct auto_tag *a;
	struct query_error qe;
	char **field, msg[120];
	size_t i, j;
	int rc;

	if (n->type != N_SEQ)
		return bad(file, n->line, "auto_tag", "expected a list");
	free_auto_tags(c);
	if ((c->auto_tags = calloc(n->n + 1, sizeof *c->auto_tags)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (i = 0; i < n->n; i++) {
		rule = match = n->kids[i];
		a = &c->auto_tags[c->nauto_tags++];
		if (rule->type != N_MAP)
			return bad(file, rule->line, "auto_tag",
			    "expected {tag, match, channel}");
		for (j = 0; j < rule->n; j += 2) {
			k = rule->kids[j];
			if (strcmp(k->value, "tag") == 0)
				field = &a->tag;
			else if (strcmp(k->value, "match") == 0) {
				field = &a->match;
				match = rule->kids[j + 1];
			}
			else if (strcmp(k->value, "channel") == 0)
				field = &a->channel;
			else
				return bad(file, k->line, k->value,
				    "unknown key in auto_tag (tag, match, "
				    "channel)");
			if ((rc = to_string(rule->kids[j + 1], file, k->value,
			    0, field)) != 0)
				return rc;
		}
		if (a->tag == NULL || a->match == NULL)
			return bad(file, rule->line, "auto_tag",
			    "a rule needs tag and match");
		/* col 0: the parser ran out of memory. */
		if (query_parse(a->match, &a->query, &qe) != 0 &&
		    qe.col == 0)
			return chat_err(ST_DB, "%s: %s", file, qe.msg);
		if (a->query == NULL) {
			snprintf(msg, sizeof msg, "col %d: %s", qe.col, qe.msg);
			return bad(file, match->line, "match", msg);
		}
	}
	return 0;
}

static int
apply(const struct node *map, const char *prefix, const char *file,
    struct config *c)
{
	const struct node *k, *v;
	const struct key *spec;
	char full[128];
	size_t i, j;
	long num;
	int rc = 0, *flag;

	if (map->type != N_MAP)
		return bad(file, map->line, *prefix ? prefix : NULL,
		    "expected a mapping");
	for (i = 0; i < map->n && rc == 0; i += 2) {
		k = map->kids[i];
		v = map->kids[i + 1];
		snprintf(full, sizeof full, "%s%s%s", prefix,
		    *prefix ? "." : "", k->value);
		for (j = 0, spec = NULL; j < sizeof keys / sizeof keys[0]; j++)
			if (strcmp(keys[j].name, full) == 0)
				spec = &keys[j];
		if (spec == NULL)
			return bad(file, k->line, full, "unknown key");
		switch (spec->kind) {
		case K_MAP:
			rc = apply(v, full, file, c);
			break;
		case K_STR:
		case K_PATH:
			rc = to_string(v, file, full, spec->kind == K_PATH,
			    (char **)((char *)c + spec->off));
			break;
		case K_NAME:
			rc = to_name(v, file, full,
			    (char **)((char *)c + spec->off));
			break;
		case K_BOOL:
			flag = (int *)((char *)c + spec->off);
			if (v->type == N_SCALAR && v->plain &&
			    strcmp(v->value, "true") == 0)
				*flag = 1;
			else if (v->type == N_SCALAR && v->plain &&
			    strcmp(v->value, "false") == 0)
				*flag = 0;
			else
				rc = bad(file, v->line, full,
				    "expected true or false");
			break;
		case K_INT:
			rc = to_int(v, file, full, 1, 1000000, &num);
			if (rc == 0)
				*(long *)((char *)c + spec->off) = num;
			break;
		case K_DUR:
		case K_DUR_MS:
			if (v->type != N_SCALAR ||
			    duration_parse(v->value, &num) != 0)
				rc = bad(file, v->line, full,
				    "expected a duration such as 30s, 10m, 2h");
			else
				*(long *)((char *)c + spec->off) =
				    spec->kind == K_DUR_MS ? num * 1000 : num;
			break;
		case K_LIST:
			rc = to_list(v, file, full,
			    (char ***)((char *)c + spec->off),
			    (size_t *)((char *)c + spec->count));
			break;
		case K_REQUIRE:
			rc = to_require(v, file, full, c);
			break;
		case K_CRITERIA:
			rc = to_criteria(v, file, full, c);
			break;
		case K_AUTO_TAG:
			rc = to_auto_tags(v, file, c);
			break;
		}
	}
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
	struct node *root = NULL;
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
	rc = load_tree(fp, file, &root);
	fclose(fp);
	if (rc == 0 && root != NULL && !is_null(root))
		rc = apply(root, "", file, c);
	node_free(root);
	return rc;
}

static void
free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void
config_free(struct config *c)
{
	free_list(c->tags_catalog, c->ntags_catalog);
	free_list(c->social_channels, c->nsocial_channels);
	free_criteria(c);
	free_auto_tags(c);
	free(c->file);
	free(c->db);
	free(c->operator);
	free(c->mail_url);
	free(c->mail_from);
	free(c->mail_username);
	free(c->mail_password_env);
	free(c->mail_password_file);
	free(c->mail_ca_file);
	free(c->zd_url);
	free(c->zd_email);
	free(c->zd_token_env);
	free(c->zd_token_file);
	free(c->zd_oauth_token_env);
	free(c->zd_oauth_token_file);
	free(c->zd_status);
	free(c->zd_ca_file);
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

static const char *actor_opt;
static char actor_login[64];

int
actor_set(const char *name)
{
	const char *why;

	if (*name == '\0') {
		chat_err(ST_USAGE, "--as: empty name");
		return -1;
	}
	if ((why = one_line_fault(name)) != NULL) {
		chat_err(ST_DATA, "--as: %s", why);
		return 1;
	}
	actor_opt = name;
	return 0;
}

const char *
actor(void)
{
	const struct config *cfg;
	const struct passwd *pw;
	const char *s;

	if (actor_opt != NULL)
		return actor_opt;
	if ((s = getenv("CHAT_OPERATOR")) != NULL && *s != '\0')
		return actor_opt = s;
	if (config_get(&cfg) == 0 && cfg->operator != NULL)
		return actor_opt = cfg->operator;
	if ((pw = getpwuid(getuid())) != NULL)
		snprintf(actor_login, sizeof actor_login, "%s", pw->pw_name);
	else
		snprintf(actor_login, sizeof actor_login, "uid%ld",
		    (long)getuid());
	return actor_opt = actor_login;
}
