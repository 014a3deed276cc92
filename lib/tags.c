/* tags.c: the catalogue, and tagging conversations: add, remove, set,
 * rename, and the auto_tag rules; each change written back to Chatwoot
 * (outbox.c) when it is on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

/* The id of the tag whose key is key; *id 0 when there is none. */
static int
tag_find(const char *key, int64_t *id)
{
	return db_id("SELECT id FROM tags WHERE key = ?", key,
	    "looking up a tag", id);
}

/* With tags.strict, a tag must be in the config catalogue or already in
 * the database. */
int
taglist_check(const struct taglist *t)
{
	const struct config *cfg;
	size_t i, j;
	char *key, *ckey;
	int64_t id;
	int rc, known;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	if (!cfg->tags_strict)
		return 0;
	for (i = 0; i < t->n; i++) {
		if ((key = tag_fold(t->names[i])) == NULL)
			return chat_err(ST_DB, "out of memory");
		if ((rc = tag_find(key, &id)) != 0) {
			free(key);
			return rc;
		}
		known = id != 0;
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

/* Whether the batch's conversation o is one a tag or a rule goes to: CH a
 * channel in ASCII lower case, NULL for any, compared as --channel compares
 * it (ASCII case ignored: lower() of a column of either engine folds ASCII
 * only); M nonzero when only those search_batch() left in matched. */
#define TARGETED(CH, M) " (CAST(" CH " AS TEXT) IS NULL OR lower((SELECT" \
	" channel FROM conversations WHERE id = o.id)) = " CH ") AND (" M \
	" = 0 OR o.id IN (SELECT id FROM matched))"

/* s with ASCII in lower case, NULL for NULL; the caller's, to free(). */
static int
ascii_lower(const char *s, char **out)
{
	char *p;

	if ((*out = s ? strdup(s) : NULL) == NULL && s != NULL)
		return chat_err(ST_DB, "out of memory");
	for (p = *out; p != NULL && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return 0;
}

/* Tags the batch's conversations (those the rule matches, when one is
 * given) with name at the time at, a new tag made only when some
 * conversation gets it; the tag and the events have the name in NFC. */
static int
tag_batch(const char *name, const struct auto_tag *rule, int64_t at)
{
	struct stmt *any, *add;
	char *channel = NULL, *key = NULL, *form = NULL;
	int64_t tag = 0, match = rule != NULL;
	int rc = 0, found;

	/* INTEGER PRIMARY KEY is SQLite's rowid, PostgreSQL's int4. */
	if ((rc = db_exec(DB_SQL("CREATE TEMP TABLE IF NOT EXISTS matched"
	    " (id INTEGER PRIMARY KEY)", "CREATE TEMP TABLE IF NOT EXISTS"
	    " matched (id bigint PRIMARY KEY)"), "tagging")) != 0 ||
	    (match && (rc = search_batch(rule->query)) != 0) ||
	    (rc = ascii_lower(rule ? rule->channel : NULL, &channel)) != 0)
		return rc;
	any = db_prep("SELECT 1 FROM batch_ok o WHERE" TARGETED("?1", "?2")
	    " LIMIT 1");
	add = db_prep("INSERT INTO tags (name, key, created_at) VALUES (?, ?,"
	    " ?) RETURNING id");
	if ((key = tag_fold(name)) == NULL ||
	    (form = tag_nfc(name)) == NULL) {
		rc = chat_err(ST_DB, "out of memory");
		goto done;
	}
	if (any == NULL || add == NULL) {
		rc = ST_DB;
		goto done;
	}
	if ((rc = tag_find(key, &tag)) == 0 && tag == 0) {
		st_bind_text(any, 1, channel);
		st_bind_int(any, 2, match);
		found = db_row(any, "tagging", &rc);
		st_reset(any);
		if (found) {
			st_bind_text(add, 1, form);
			st_bind_text(add, 2, key);
			st_bind_int(add, 3, at);
			if (db_row(add, "adding a tag", &rc))
				tag = st_int64(add, 0);
			st_reset(add);
		}
	}
	if (rc != 0 || tag == 0)
		goto done;
	/* A join, not NOT EXISTS: a correlated subquery costs as much again
	 * as the lookup it makes. */
	if ((rc = db_run("INSERT INTO events (conversation, at, actor,"
	    " action, detail) SELECT o.id, ?5, ?6, 'tagged', ?2 FROM batch_ok o"
	    " LEFT JOIN conversation_tags ct ON ct.conversation = o.id AND"
	    " ct.tag = ?1 WHERE ct.tag IS NULL AND" TARGETED("?3", "?4")
	    " ORDER BY o.seq", "tagging", "ittiit", tag, form, channel, match,
	    at, actor())) == 0)
		rc = db_run("INSERT INTO conversation_tags SELECT o.id, ?1,"
		    " ?4, ?5 FROM batch_ok o WHERE" TARGETED("?2", "?3")
		    " ON CONFLICT DO NOTHING", "tagging", "itiit", tag, channel,
		    match, at, actor());
done:
	free(channel);
	free(key);
	free(form);
	return rc;
}

/* Removes from the batch's conversations the tags listed in tag_keys
 * (keep 0) or every tag not listed there (keep 1), the events at at. */
static int
untag_batch(const struct taglist *t, int keep, int64_t at)
{
	size_t i;
	char *key;
	int rc;

	if ((rc = db_exec("CREATE TEMP TABLE IF NOT EXISTS tag_keys (key TEXT"
	    " PRIMARY KEY); DELETE FROM tag_keys", "untagging")) != 0)
		return rc;
	for (i = 0; rc == 0 && i < t->n; i++) {
		if ((key = tag_fold(t->names[i])) == NULL)
			return chat_err(ST_DB, "out of memory");
		rc = db_run("INSERT INTO tag_keys VALUES (?) ON CONFLICT DO"
		    " NOTHING", "untagging", "t", key);
		free(key);
	}
	if (rc == 0)
		rc = db_run("INSERT INTO events (conversation, at, actor,"
		    " action, detail) SELECT ct.conversation, ?2, ?3, 'untagged',"
		    " t.name FROM batch_ok o JOIN conversation_tags ct ON"
		    " ct.conversation = o.id JOIN tags t ON t.id = ct.tag WHERE"
		    " (t.key IN (SELECT key FROM tag_keys)) = (?1 = 1) ORDER BY"
		    " o.seq, t.key", "untagging", "iit", (int64_t)!keep, at,
		    actor());
	if (rc == 0)
		rc = db_run("DELETE FROM conversation_tags WHERE conversation"
		    " IN (SELECT id FROM batch_ok) AND (tag IN (SELECT id FROM"
		    " tags WHERE key IN (SELECT key FROM tag_keys))) = (?1 = 1)",
		    "untagging", "i", (int64_t)!keep);
	return rc;
}

int
tags_change(const struct tag_req *r)
{
	int64_t at;
	size_t i;
	int rc;

	if ((rc = when_check("tag", &r->when, &at)) == 0 && r->op != TAG_ADD)
		rc = untag_batch(&r->tags, r->op == TAG_SET, at);
	for (i = 0; rc == 0 && r->op != TAG_REMOVE && i < r->tags.n; i++)
		rc = tag_batch(r->tags.names[i], NULL, at);
	return rc;
}

int
tags_apply(const void *req)
{
	struct wb_mark m;
	int rc;

	if ((rc = outbox_mark(&m)) == 0 && (rc = tags_change(req)) == 0)
		rc = outbox_writeback(&m);
	return rc;
}

/* Renames a tag, merging it into NEW when NEW exists; each conversation
 * that had it gets a "retagged" event and its id printed. With dry_run,
 * the events are printed instead and nothing is changed. */
int
tags_rename(const char *old, const char *new, int dry_run, int quiet)
{
	struct taglist t = { NULL, 0 };
	char *okey = tag_fold(old), *nkey = tag_fold(new), *nform = NULL;
	char *oform = tag_nfc(old);
	char detail[160];
	int64_t oid = 0, nid = 0, mark = 0;
	struct wb_mark m;
	int rc;

	if (okey == NULL || nkey == NULL || oform == NULL) {
		rc = chat_err(ST_DB, "out of memory");
		goto done;
	}
	if ((rc = taglist_add(&t, new)) != 0 || (rc = taglist_check(&t)) != 0)
		goto done;
	if (t.n != 1) {
		rc = chat_err(ST_DATA, "%s: one tag, without commas", new);
		goto done;
	}
	if ((nform = tag_nfc(t.names[0])) == NULL) {
		rc = chat_err(ST_DB, "out of memory");
		goto done;
	}
	if ((rc = tag_find(okey, &oid)) != 0 ||
	    (rc = tag_find(nkey, &nid)) != 0)
		goto done;
	if (oid == 0) {
		rc = chat_err(ST_SOME, "%s: no such tag", old);
		goto done;
	}
	/* The names as they are stored: a stray space typed is no part of
	 * them. */
	snprintf(detail, sizeof detail, "%s -> %s", oform, nform);

	if ((rc = db_exec(DB_SQL("CREATE TEMP TABLE IF NOT EXISTS retagged"
	    " (id INTEGER PRIMARY KEY)", "CREATE TEMP TABLE IF NOT EXISTS"
	    " retagged (id bigint PRIMARY KEY)"), "renaming")) != 0 ||
	    (rc = db_begin()) != 0)
		goto done;
	rc = dry_run ? event_last(&mark) : 0;
	if (rc == 0)
		rc = outbox_mark(&m);
	if (rc == 0)
		rc = db_run("DELETE FROM retagged", "renaming", "");
	if (rc == 0)
		rc = db_run("INSERT INTO retagged SELECT conversation FROM"
		    " conversation_tags WHERE tag = ?", "renaming", "i", oid);
	if (rc == 0)
		rc = db_run("INSERT INTO events (conversation, at, actor,"
		    " action, detail) SELECT id, ?1, ?2, 'retagged', ?3 FROM"
		    " retagged ORDER BY id", "renaming", "itt",
		    (int64_t)db_now(), actor(), detail);
	if (rc == 0 && nid != 0 && nid != oid) {
		if ((rc = db_run("INSERT INTO conversation_tags SELECT"
		    " conversation, ?2, tagged_at, tagged_by FROM"
		    " conversation_tags WHERE tag = ?1 ON CONFLICT DO NOTHING",
		    "merging tags", "ii", oid, nid)) == 0 &&
		    (rc = db_run("DELETE FROM conversation_tags WHERE"
		    " tag = ?1", "merging tags", "i", oid)) == 0)
			rc = db_run("DELETE FROM tags WHERE id = ?1",
			    "merging tags", "i", oid);
	} else if (rc == 0)
		rc = db_run("UPDATE tags SET name = ?2, key = ?3 WHERE id ="
		    " ?1", "renaming a tag", "itt", oid, nform, nkey);
	if (rc == 0)
		rc = outbox_writeback(&m);
	if (rc == 0 && dry_run)
		rc = events_describe(mark, 0);
	if (rc != 0 || dry_run)
		db_rollback();
	else if ((rc = db_commit()) == 0 && !quiet)
		rc = batch_print("SELECT id FROM retagged ORDER BY id");
done:
	taglist_free(&t);
	free(okey);
	free(nkey);
	free(oform);
	free(nform);
	return rc;
}

/* Checks that there are rules, and their tags, before a batch relies on
 * them; config_get() has parsed their queries. No rule is a configuration
 * error: --auto in a cron job with a misplaced config would otherwise tag
 * nothing, silently, for ever. */
static int
rules_check(const struct config *cfg)
{
	struct taglist t = { NULL, 0 };
	size_t i;
	int rc = 0;

	if (cfg->nauto_tags == 0 && cfg->file_read)
		return chat_err(ST_CONFIG, "--auto: %s has no auto_tag rules",
		    cfg->file);
	if (cfg->nauto_tags == 0)
		return chat_err(ST_CONFIG, "--auto: no auto_tag rules: no "
		    "configuration file%s%s", cfg->file ? " at " : " found",
		    cfg->file ? cfg->file : "");
	for (i = 0; rc == 0 && i < cfg->nauto_tags; i++) {
		if ((rc = taglist_add(&t, cfg->auto_tags[i].tag)) == ST_DATA)
			rc = chat_err(ST_CONFIG, "%s: auto_tag rule %zu: bad tag",
			    cfg->file, i + 1);
		taglist_free(&t);
	}
	return rc;
}

struct auto_req {
	const struct config *cfg;
	const struct when *when;
};

/* Tags the batch's conversations by every rule that matches them; the
 * ids no rule tagged are not printed. */
static int
auto_apply(const void *req)
{
	const struct auto_req *r = req;
	const struct config *cfg = r->cfg;
	struct wb_mark m;
	int64_t mark, at;
	size_t i;
	int rc;

	if ((rc = when_check("tag", r->when, &at)) != 0 ||
	    (rc = event_last(&mark)) != 0 || (rc = outbox_mark(&m)) != 0)
		return rc;
	for (i = 0; rc == 0 && i < cfg->nauto_tags; i++)
		rc = tag_batch(cfg->auto_tags[i].tag, &cfg->auto_tags[i], at);
	if (rc == 0)
		rc = idtab_refuse(0, "SELECT id, NULL FROM batch_ok WHERE id"
		    " NOT IN (SELECT conversation FROM events WHERE id > ?)",
		    "tagging", "i", mark);
	return rc == 0 ? outbox_writeback(&m) : rc;
}

int
tags_auto(struct ids *ids, const struct when *when, int dry_run, int quiet)
{
	struct auto_req r = { NULL, when };
	struct stmt *untagged = db_prep("SELECT id FROM conversations c"
	    " WHERE state = 'closed' AND NOT EXISTS (SELECT 1 FROM"
	    " conversation_tags WHERE conversation = c.id) ORDER BY id");
	struct batch *b = NULL;
	int rc, closed;

	if ((rc = config_get(&r.cfg)) != 0 || (rc = rules_check(r.cfg)) != 0 ||
	    (rc = batch_open(&b, quiet, dry_run, auto_apply, &r)) != 0)
		return rc;
	if (ids != NULL)
		rc = batch_feed(b, ids);
	else
		rc = untagged == NULL ? ST_DB : batch_feed_query(b, untagged,
		    "finding untagged conversations");
	if ((closed = batch_close(b)) != 0 && rc == 0)
		rc = closed;
	return rc;
}
