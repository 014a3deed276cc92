/* tags.c: tag names (validity, case folding), the catalogue, and tagging
 * conversations: add, remove, set, rename, and the auto_tag rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

/* Decodes one UTF-8 sequence of a string already known to be valid. */
static unsigned int
decode(const unsigned char **s)
{
	unsigned int c = *(*s)++;
	int n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;

	c &= n == 3 ? 0x07 : n == 2 ? 0x0f : n == 1 ? 0x1f : 0x7f;
	while (n-- > 0)
		c = c << 6 | (*(*s)++ & 0x3f);
	return c;
}

static size_t
encode(unsigned int c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Simple case folding of Latin, Greek and Cyrillic capitals. */
static unsigned int
fold(unsigned int c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7) ||
	    (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) ||
	    (c >= 0x410 && c <= 0x42f))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	if (c == 0x178)
		return 0xff;
	if (((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) &&
	    c % 2 == 0)
		return c + 1;
	if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) &&
	    c % 2 == 1)
		return c + 1;
	return c;
}

char *
tag_fold(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = strlen(name);
	char *out = malloc(len * 2 + 1), *p = out;

	if (out == NULL)
		return NULL;
	if (!utf8_valid(name, len)) {
		memcpy(out, name, len + 1);
		return out;
	}
	while (*s)
		p += encode(fold(decode(&s)), p);
	*p = '\0';
	return out;
}

/* Letters of any script and digits: outside ASCII, anything but the
 * blocks of spaces, punctuation, symbols, private use and emoji. */
static int
tag_char(unsigned int c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_./:", (int)c) != NULL;
	if (c < 0xc0)
		return c == 0xaa || c == 0xb5 || c == 0xba;
	return c != 0xd7 && c != 0xf7 && !(c >= 0x2000 && c <= 0x2bff) &&
	    !(c >= 0x3000 && c <= 0x303f) && !(c >= 0xe000 && c <= 0xf8ff) &&
	    !(c >= 0xfe00 && c <= 0xfe0f) && c != 0xfeff &&
	    !(c >= 0xff00 && c <= 0xff0f) && !(c >= 0x1f000 && c <= 0x1ffff);
}

static int
tag_valid(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = 0;

	if (!utf8_valid(name, strlen(name)))
		return 0;
	while (*s) {
		if (!tag_char(decode(&s)) || ++n > 64)
			return 0;
	}
	return n > 0;
}

int
taglist_add(struct taglist *t, const char *arg)
{
	char *copy, *name, *next, **names;

	if ((copy = strdup(arg)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (name = copy; name != NULL; name = next) {
		if ((next = strchr(name, ',')) != NULL)
			*next++ = '\0';
		if (!tag_valid(name)) {
			chat_err(ST_DATA, "tag '%s': 1 to 64 letters, digits "
			    "or - _ . / :", name);
			free(copy);
			return ST_DATA;
		}
		if ((names = realloc(t->names, (t->n + 1) * sizeof *names))
		    == NULL || (names[t->n] = strdup(name)) == NULL) {
			if (names != NULL)
				t->names = names;
			free(copy);
			return chat_err(ST_DB, "out of memory");
		}
		t->names = names;
		t->n++;
	}
	free(copy);
	return 0;
}

void
taglist_free(struct taglist *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	t->names = NULL;
	t->n = 0;
}

/* The id of the tag whose key is key; 0 when there is none, -1 on error. */
static int64_t
tag_find(const char *key)
{
	sqlite3_stmt *st = db_prep("SELECT id FROM tags WHERE key = ?");
	int64_t id;
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, key);
	rc = db_step(st, "looking up a tag");
	id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : rc == -1 ? -1 : 0;
	sqlite3_reset(st);
	return id;
}

/* With tags.strict, a tag must be in the config catalogue or already in
 * the database. */
int
taglist_check(const struct taglist *t)
{
	const struct config *cfg;
	size_t i, j;
	char *key, *ckey;
	int rc, known;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	if (!cfg->tags_strict)
		return 0;
	for (i = 0; i < t->n; i++) {
		if ((key = tag_fold(t->names[i])) == NULL)
			return chat_err(ST_DB, "out of memory");
		known = tag_find(key) > 0;
		for (j = 0; !known && j < cfg->ntags_catalog; j++) {
			ckey = tag_fold(cfg->tags_catalog[j]);
			known = ckey != NULL && strcmp(ckey, key) == 0;
			free(ckey);
		}
		free(key);
		if (!known)
			return chat_err(ST_DATA, "tag '%s': not in the catalogue "
			    "(tags.strict is on)", t->names[i]);
	}
	return 0;
}

/* The tag's id, made when new. A batch asks for the same few tags for
 * every id: the answers hold for the transaction, keyed by the name's
 * address, which the caller keeps for the command. */
static int
tag_id(const char *name, int64_t *id)
{
	static struct {
		const char *name;
		int64_t id;
		unsigned generation;
	} memo[16];
	static size_t next;
	sqlite3_stmt *make = db_prep("INSERT INTO tags (name, key, created_at)"
	    " VALUES (?, ?, ?)");
	char *key;
	size_t i;
	int rc = 0;

	for (i = 0; i < 16; i++)
		if (memo[i].name == name &&
		    memo[i].generation == db_generation()) {
			*id = memo[i].id;
			return 0;
		}
	if ((key = tag_fold(name)) == NULL)
		return chat_err(ST_DB, "out of memory");
	if (make == NULL || (*id = tag_find(key)) < 0) {
		free(key);
		return ST_DB;
	}
	if (*id == 0) {
		db_bind_text(make, 1, name);
		db_bind_text(make, 2, key);
		sqlite3_bind_int64(make, 3, time(NULL));
		rc = db_step(make, "adding a tag");
		sqlite3_reset(make);
		*id = sqlite3_last_insert_rowid(db);
	}
	free(key);
	if (rc == -1)
		return ST_DB;
	memo[next].name = name;
	memo[next].id = *id;
	memo[next].generation = db_generation();
	next = (next + 1) % 16;
	return 0;
}

static int
tag_one(int64_t conv, const char *name)
{
	sqlite3_stmt *st = db_prep("INSERT INTO conversation_tags VALUES"
	    " (?, ?, ?, ?) ON CONFLICT DO NOTHING");
	int64_t tag = 0;
	int rc;

	if (st == NULL)
		return ST_DB;
	if ((rc = tag_id(name, &tag)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, conv);
	sqlite3_bind_int64(st, 2, tag);
	sqlite3_bind_int64(st, 3, time(NULL));
	db_bind_text(st, 4, actor());
	rc = db_step(st, "tagging");
	sqlite3_reset(st);
	if (rc == -1)
		return ST_DB;
	return sqlite3_changes(db) ? event_add(conv, time(NULL), "tagged", name) : 0;
}

static int
untag(int64_t conv, const char *key)
{
	sqlite3_stmt *ev = db_prep("INSERT INTO events (conversation, at, actor,"
	    " action, detail) SELECT ct.conversation, ?3, ?4, 'untagged', t.name"
	    " FROM conversation_tags ct JOIN tags t ON t.id = ct.tag"
	    " WHERE ct.conversation = ?1 AND t.key = ?2");
	sqlite3_stmt *del = db_prep("DELETE FROM conversation_tags"
	    " WHERE conversation = ?1 AND tag = (SELECT id FROM tags"
	    " WHERE key = ?2)");
	int rc;

	if (ev == NULL || del == NULL)
		return ST_DB;
	sqlite3_bind_int64(ev, 1, conv);
	db_bind_text(ev, 2, key);
	sqlite3_bind_int64(ev, 3, time(NULL));
	db_bind_text(ev, 4, actor());
	sqlite3_bind_int64(del, 1, conv);
	db_bind_text(del, 2, key);
	rc = db_step(ev, "untagging") == -1 || db_step(del, "untagging") == -1;
	sqlite3_reset(ev);
	sqlite3_reset(del);
	return rc ? ST_DB : 0;
}

static int
listed(const struct taglist *t, const char *key)
{
	size_t i;
	char *k;
	int found = 0;

	for (i = 0; !found && i < t->n; i++) {
		if ((k = tag_fold(t->names[i])) == NULL)
			return 1;
		found = strcmp(k, key) == 0;
		free(k);
	}
	return found;
}

/* Removes every tag of the conversation that is not in keep. */
static int
untag_others(int64_t conv, const struct taglist *keep)
{
	sqlite3_stmt *st = db_prep("SELECT t.key FROM conversation_tags ct"
	    " JOIN tags t ON t.id = ct.tag WHERE ct.conversation = ?");
	struct taglist old = { NULL, 0 };
	size_t i;
	int rc;

	if (st == NULL)
		return ST_DB;
	sqlite3_bind_int64(st, 1, conv);
	while ((rc = db_step(st, "reading tags")) == SQLITE_ROW)
		if (!listed(keep, (const char *)sqlite3_column_text(st, 0)) &&
		    taglist_add(&old, (const char *)sqlite3_column_text(st, 0))
		    != 0)
			break;
	sqlite3_reset(st);
	for (i = 0, rc = rc == -1 ? ST_DB : 0; rc == 0 && i < old.n; i++)
		rc = untag(conv, old.names[i]);
	taglist_free(&old);
	return rc;
}

int
tags_apply(int64_t conv, const struct taglist *t, enum tag_op op)
{
	size_t i;
	char *key;
	int rc;

	if ((rc = conv_exists(conv)) != 0)
		return rc;
	if (op == TAG_SET && (rc = untag_others(conv, t)) != 0)
		return rc;
	for (i = 0; rc == 0 && i < t->n; i++) {
		if (op != TAG_REMOVE) {
			rc = tag_one(conv, t->names[i]);
			continue;
		}
		if ((key = tag_fold(t->names[i])) == NULL)
			return chat_err(ST_DB, "out of memory");
		rc = untag(conv, key);
		free(key);
	}
	return rc;
}

/* Renames a tag, merging it into NEW when NEW exists; each conversation
 * that had it gets a "retagged" event and its id printed. */
int
tags_rename(const char *old, const char *new, int quiet)
{
	sqlite3_stmt *convs = db_prep("SELECT conversation FROM"
	    " conversation_tags WHERE tag = ? ORDER BY conversation");
	struct taglist t = { NULL, 0 };
	struct batch *b = NULL;
	char *okey = tag_fold(old), *nkey = tag_fold(new), detail[160];
	int64_t oid = 0, nid = 0, conv;
	int rc;

	if (okey == NULL || nkey == NULL || convs == NULL) {
		rc = chat_err(ST_DB, "out of memory");
		goto done;
	}
	if ((rc = taglist_add(&t, new)) != 0 || (rc = taglist_check(&t)) != 0)
		goto done;
	if (t.n != 1) {
		rc = chat_err(ST_DATA, "%s: one tag, without commas", new);
		goto done;
	}
	if ((oid = tag_find(okey)) <= 0 || (nid = tag_find(nkey)) < 0) {
		rc = oid == 0 ? chat_err(ST_SOME, "%s: no such tag", old) :
		    ST_DB;
		goto done;
	}
	snprintf(detail, sizeof detail, "%s -> %s", old, new);

	if ((rc = batch_open(&b, quiet, 0)) != 0 ||
	    (rc = batch_item(b)) != 0)
		goto done;
	sqlite3_bind_int64(convs, 1, oid);
	while (rc == 0 && db_step(convs, "renaming") == SQLITE_ROW) {
		conv = sqlite3_column_int64(convs, 0);
		if ((rc = event_add(conv, time(NULL), "retagged", detail)) == 0)
			rc = batch_keep(b, conv);
	}
	sqlite3_reset(convs);
	if (rc == 0 && nid != 0 && nid != oid) {
		sqlite3_stmt *merge = db_prep("INSERT INTO conversation_tags"
		    " SELECT conversation, ?2, tagged_at, tagged_by FROM"
		    " conversation_tags WHERE tag = ?1 ON CONFLICT DO NOTHING");
		sqlite3_stmt *drop = db_prep("DELETE FROM conversation_tags"
		    " WHERE tag = ?1");
		sqlite3_stmt *gone = db_prep("DELETE FROM tags WHERE id = ?1");

		if (merge == NULL || drop == NULL || gone == NULL)
			rc = ST_DB;
		else {
			sqlite3_bind_int64(merge, 1, oid);
			sqlite3_bind_int64(merge, 2, nid);
			sqlite3_bind_int64(drop, 1, oid);
			sqlite3_bind_int64(gone, 1, oid);
			if (db_step(merge, "merging tags") == -1 ||
			    db_step(drop, "merging tags") == -1 ||
			    db_step(gone, "merging tags") == -1)
				rc = ST_DB;
			sqlite3_reset(merge);
			sqlite3_reset(drop);
			sqlite3_reset(gone);
		}
	} else if (rc == 0) {
		sqlite3_stmt *ren = db_prep("UPDATE tags SET name = ?2,"
		    " key = ?3 WHERE id = ?1");

		if (ren == NULL)
			rc = ST_DB;
		else {
			sqlite3_bind_int64(ren, 1, oid);
			db_bind_text(ren, 2, t.names[0]);
			db_bind_text(ren, 3, nkey);
			if (db_step(ren, "renaming a tag") == -1)
				rc = ST_DB;
			sqlite3_reset(ren);
		}
	}
	rc = batch_item_end(b, 0, rc, 1);
done:
	if (b != NULL && batch_close(b) != 0 && rc == 0)
		rc = ST_DB;
	taglist_free(&t);
	free(okey);
	free(nkey);
	return rc;
}

struct match {
	int64_t id;
	size_t rule;
};

static int
by_id(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* The candidates: the ids given, or, when none came, every closed
 * conversation without a tag. */
static int
candidates(struct ids *ids)
{
	sqlite3_stmt *add;
	int64_t id;
	long given = 0;
	int rc;

	if ((rc = db_exec("CREATE TEMP TABLE IF NOT EXISTS auto_candidates"
	    " (id INTEGER PRIMARY KEY); DELETE FROM auto_candidates",
	    "preparing --auto")) != 0)
		return rc;
	if ((add = db_prep("INSERT OR IGNORE INTO auto_candidates VALUES (?)"))
	    == NULL)
		return ST_DB;
	while (ids != NULL && (rc = ids_next(ids, &id)) != 0) {
		given++;
		if (rc < 0 || conv_exists(id) != 0)
			continue;
		sqlite3_bind_int64(add, 1, id);
		rc = db_step(add, "preparing --auto");
		sqlite3_reset(add);
		if (rc == -1)
			return ST_DB;
	}
	if (given > 0)
		return 0;
	return db_exec("INSERT INTO auto_candidates SELECT id FROM"
	    " conversations c WHERE state = 'closed' AND NOT EXISTS"
	    " (SELECT 1 FROM conversation_tags WHERE conversation = c.id)",
	    "preparing --auto");
}

/* Every (candidate, rule) that matches, each rule's query run once. */
static int
matches(const struct config *cfg, struct match **out, size_t *n)
{
	sqlite3_stmt *st = db_prep("SELECT a.id FROM auto_candidates a"
	    " JOIN conversations c ON c.id = a.id WHERE (?2 IS NULL OR"
	    " c.channel = ?2) AND a.id IN (" GREP_IDS("?1") ")");
	struct match *m = NULL, *nm;
	size_t i, cap = 0;
	int rc = 0;

	*n = 0;
	if (st == NULL)
		return ST_DB;
	for (i = 0; rc == 0 && i < cfg->nauto_tags; i++) {
		db_bind_text(st, 1, cfg->auto_tags[i].match);
		db_bind_text(st, 2, cfg->auto_tags[i].channel);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 256;
				if ((nm = realloc(m, cap * sizeof *m)) == NULL) {
					rc = chat_err(ST_DB, "out of memory");
					break;
				}
				m = nm;
			}
			m[*n].id = sqlite3_column_int64(st, 0);
			m[(*n)++].rule = i;
		}
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc != ST_DB)
			rc = chat_err(ST_CONFIG, "%s: auto_tag rule %zu (tag %s):"
			    " %s", cfg->file, i + 1, cfg->auto_tags[i].tag,
			    sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	if (*n > 1)
		qsort(m, *n, sizeof *m, by_id);
	*out = m;
	return rc;
}

int
tags_auto(struct ids *ids, int dry_run, int quiet)
{
	const struct config *cfg;
	struct taglist rule = { NULL, 0 };
	struct match *m = NULL;
	struct batch *b = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	for (i = 0; i < cfg->nauto_tags; i++)
		if (taglist_add(&rule, cfg->auto_tags[i].tag) != 0) {
			taglist_free(&rule);
			return chat_err(ST_CONFIG, "%s: auto_tag rule %zu: bad "
			    "tag", cfg->file, i + 1);
		}
	taglist_free(&rule);
	if ((rc = candidates(ids)) != 0 || (rc = matches(cfg, &m, &n)) != 0 ||
	    (rc = batch_open(&b, quiet, dry_run)) != 0)
		goto done;
	for (i = 0; rc == 0 && i < n; i++) {
		if ((i == 0 || m[i].id != m[i - 1].id) &&
		    (rc = batch_item(b)) != 0)
			break;
		rc = tag_one(m[i].id, cfg->auto_tags[m[i].rule].tag);
		if (i + 1 == n || m[i + 1].id != m[i].id)
			rc = batch_item_end(b, m[i].id, rc, 1);
	}
done:
	if (batch_close(b) != 0 && rc == 0)
		rc = ST_DB;
	free(m);
	return rc;
}
