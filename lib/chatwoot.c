/* chatwoot.c: Chatwoot's webhook payloads as chat-import's own events. */
#include <stdlib.h>
#include <string.h>

#include "libchat.h"

/* The events read; any other is skipped. A conversation's payload is the
 * conversation itself, a message's holds it as "conversation". */
static const char *const events[] = {
	"conversation_created", "conversation_updated",
	"conversation_status_changed", "message_created", "message_updated"
};
#define FIRST_MESSAGE 3

/* A key a payload must have, or may: the json_type()s it may have, with
 * "missing" when it may be absent, and what it should be, for the error. */
struct need {
	const char *key;
	const char *types;
	const char *what;
};

static const struct need conversation_needs[] = {
	{ "id", "integer", "an integer" },
	{ "inbox_id", "integer", "an integer" },
	{ "channel", "text", "a string" },
	{ "status", "text", "a string" },
	{ "meta", "object", "an object" },
	{ "meta.sender", "object null missing", "an object" },
	{ "meta.sender.name", "text null missing", "a string" },
	{ "meta.sender.email", "text null missing", "a string" },
	{ "meta.assignee", "object null missing", "an object" },
	{ "meta.assignee.name", "text null missing", "a string" },
	{ "meta.assignee_type", "text null missing", "a string" },
	{ "labels", "array null missing", "an array" },
	{ "changed_attributes", "array null missing", "an array" },
	{ "created_at", "integer real null missing", "a number" },
	{ "updated_at", "integer real null missing", "a number" },
};

static const struct need message_needs[] = {
	{ "id", "integer", "an integer" },
	{ "message_type", "text", "a string" },
	{ "created_at", "text integer real", "a time" },
	{ "content", "text null missing", "a string" },
	{ "private", "true false null missing", "a boolean" },
	{ "sender", "object null missing", "an object" },
	{ "sender.name", "text null missing", "a string" },
	{ "sender.type", "text null missing", "a string" },
	{ "attachments", "array null missing", "an array" },
	{ "conversation", "object", "an object" },
	{ "conversation.id", "integer", "an integer" },
	{ "conversation.inbox_id", "integer", "an integer" },
	{ "conversation.channel", "text null missing", "a string" },
	{ "conversation.meta.sender.name", "text null missing", "a string" },
	{ "conversation.meta.sender.email", "text null missing", "a string" },
};

/* What the payload is: valid JSON, its type, its event's type and value,
 * and whether it holds an escaped NUL, which SQLite's JSON functions would
 * silently end a string at (pairs of backslashes out first: "\\u0000" is
 * text, not a NUL). */
static const char head_sql[] =
	"SELECT json_valid(?1), CASE WHEN json_valid(?1) THEN json_type(?1)"
	" END, CASE WHEN json_valid(?1) THEN json_type(?1, '$.event') END,"
	" CASE WHEN json_valid(?1) THEN ?1 ->> '$.event' END,"
	" instr(replace(?1, '\\\\', ''), '\\u0000') > 0";

/* A message's attachments that are not objects with strings for a
 * data_url and a file_type. */
static const char files_sql[] =
	"SELECT count(*) FROM json_each(?1, '$.attachments')"
	" WHERE type <> 'object'"
	" OR coalesce(json_type(value, '$.data_url'), 'null')"
	"  NOT IN ('text', 'null')"
	" OR coalesce(json_type(value, '$.file_type'), 'null')"
	"  NOT IN ('text', 'null')";

/* What labels_sql finds wrong, by its answer less one. */
static const char *const bad_labels[] = {
	"labels: expected strings",
	"changed_attributes: expected objects",
	"changed_attributes: label_list: expected lists of strings",
	"cannot read the payload"
};

/* A conversation's labels that are not strings, changed attributes that
 * are not objects, and label changes that are not a previous_value and a
 * current_value, arrays of strings or null: 1, 2 or 3 when there is one,
 * else 0. */
static const char labels_sql[] =
	"SELECT CASE WHEN EXISTS (SELECT 1 FROM json_each(?1, '$.labels')"
	"  WHERE json_type(?1, '$.labels') = 'array' AND type <> 'text')"
	" THEN 1 WHEN json_type(?1, '$.changed_attributes') <> 'array'"
	" THEN 0 WHEN EXISTS (SELECT 1 FROM json_each(?1,"
	"  '$.changed_attributes') WHERE type <> 'object') THEN 2"
	" WHEN EXISTS (SELECT 1 FROM json_each(?1, '$.changed_attributes') a"
	"  WHERE json_type(a.value, '$.label_list') IS NOT NULL"
	"  AND (json_type(a.value, '$.label_list') <> 'object'"
	"  OR EXISTS (SELECT 1 FROM (SELECT 'previous_value' AS k"
	"  UNION ALL SELECT 'current_value') v WHERE coalesce(json_type(a.value,"
	"  '$.label_list.' || v.k), 'null') NOT IN ('array', 'null')"
	"  OR EXISTS (SELECT 1 FROM json_each(a.value, '$.label_list.' || v.k)"
	"  WHERE json_type(a.value, '$.label_list.' || v.k) = 'array'"
	"  AND type <> 'text'))))"
	" THEN 3 ELSE 0 END";

/* The lines of a payload checked by needs_met(), in order. Every line
 * carries the conversation's fields, so that whichever payload comes
 * first makes the conversation whole; json_patch() drops the nulls. JSON
 * values (times, ids, arrays) are JSON text in the CTEs, where SQLite
 * drops their JSON subtype, and json() again where they are used. */
static const char lines_sql[] =
	"WITH p (j, ev, msg, c) AS (SELECT ?1, ?1 ->> '$.event',"
	"  ?1 ->> '$.event' LIKE 'message%',"
	"  CASE WHEN ?1 ->> '$.event' LIKE 'message%'"
	"  THEN ?1 -> '$.conversation' ELSE ?1 END),"
	" h (j, ev, msg, c, ch, at) AS (SELECT j, ev, msg, c,"
	"  c ->> '$.channel', CASE WHEN msg THEN j -> '$.created_at'"
	"  ELSE c -> '$.updated_at' END FROM p),"
	" b (j, ev, msg, c, at, base) AS (SELECT j, ev, msg, c, at,"
	"  json_patch('{}', json_object("
	"  'conversation', 'chatwoot:' || (c -> '$.inbox_id') || ':'"
	"  || (c -> '$.id'),"
	"  'channel', CASE ch"
	"   WHEN 'Channel::WebWidget' THEN 'chat'"
	"   WHEN 'Channel::Whatsapp' THEN 'whatsapp'"
	"   WHEN 'Channel::FacebookPage' THEN 'messenger'"
	"   WHEN 'Channel::Instagram' THEN 'instagram'"
	"   WHEN 'Channel::TwitterProfile' THEN 'twitter'"
	"   WHEN 'Channel::Email' THEN 'email'"
	"   WHEN 'Channel::Sms' THEN 'sms'"
	"   WHEN 'Channel::TwilioSms' THEN 'sms'"
	"   WHEN 'Channel::Telegram' THEN 'telegram'"
	"   WHEN 'Channel::Line' THEN 'line'"
	"   WHEN 'Channel::Api' THEN 'api'"
	/* Else its last word: what follows the last colon. */
	"   ELSE nullif(lower(substr(ch,"
	"   length(rtrim(ch, replace(ch, ':', ''))) + 1)), '') END,"
	"  'visitor', c ->> '$.meta.sender.name',"
	"  'visitor_email', c ->> '$.meta.sender.email')) FROM h),"
	/* A message's files: the name is the last part of the data_url's
	 * path, else its file_type. */
	" f (fname, furl) AS (SELECT coalesce(nullif(substr(u,"
	"  length(rtrim(u, replace(u, '/', ''))) + 1), ''),"
	"  nullif(value ->> 'file_type', ''), 'file'), value ->> 'data_url'"
	"  FROM (SELECT value, CASE WHEN instr(value ->> 'data_url', '?')"
	"  THEN substr(value ->> 'data_url', 1,"
	"  instr(value ->> 'data_url', '?') - 1)"
	"  ELSE value ->> 'data_url' END AS u"
	"  FROM json_each(?1, '$.attachments') WHERE type = 'object')),"
	" m (j, ev, at, base, mt, private, author, name, content, files,"
	"  filelines)"
	"  AS (SELECT j, ev, at, base, j ->> '$.message_type',"
	"  json_type(j, '$.private') IS 'true',"
	"  CASE WHEN j ->> '$.message_type' = 'incoming' THEN 'visitor'"
	"  WHEN j ->> '$.message_type' = 'template'"
	"  OR j ->> '$.sender.type' = 'agent_bot' THEN 'bot'"
	"  ELSE 'operator' END, j ->> '$.sender.name',"
	"  nullif(j ->> '$.content', ''),"
	"  (SELECT nullif(json_group_array(json_patch('{}',"
	"  json_object('name', fname, 'url', furl))), '[]') FROM f),"
	"  (SELECT group_concat('Attachment: ' || fname"
	"  || coalesce(' <' || furl || '>', ''), char(10)) FROM f)"
	"  FROM b WHERE msg),"
	/* A conversation's labels: the change of them Chatwoot reports
	 * (changed_attributes' label_list), previous and current, and the
	 * list as it stands. */
	" l (at, base, created, prev, cur, labels) AS (SELECT at, base,"
	"  c -> '$.created_at', (SELECT CASE WHEN json_type(value,"
	"  '$.label_list.previous_value') = 'array' THEN"
	"  value -> '$.label_list.previous_value' END"
	"  FROM json_each(j, '$.changed_attributes') WHERE json_type(j,"
	"  '$.changed_attributes') = 'array' AND json_type(value,"
	"  '$.label_list') = 'object' LIMIT 1), (SELECT CASE WHEN"
	"  json_type(value, '$.label_list.current_value') = 'array' THEN"
	"  value -> '$.label_list.current_value' END"
	"  FROM json_each(j, '$.changed_attributes') WHERE json_type(j,"
	"  '$.changed_attributes') = 'array' AND json_type(value,"
	"  '$.label_list') = 'object' LIMIT 1), CASE WHEN json_type(c,"
	"  '$.labels') = 'array' THEN c -> '$.labels' END FROM b WHERE NOT msg),"
	/* By tag key: the labels the change took away and gave, and those of
	 * the list it did not give. */
	" d (at, base, created, gone, given, had) AS (SELECT at, base, created,"
	"  (SELECT nullif(json_group_array(value), '[]') FROM json_each(prev)"
	"  WHERE tag_key(value) NOT IN (SELECT tag_key(value)"
	"  FROM json_each(cur))),"
	"  (SELECT nullif(json_group_array(value), '[]') FROM json_each(cur)"
	"  WHERE tag_key(value) NOT IN (SELECT tag_key(value)"
	"  FROM json_each(prev))),"
	"  (SELECT nullif(json_group_array(value), '[]') FROM json_each(labels)"
	"  WHERE tag_key(value) NOT IN (SELECT tag_key(value)"
	"  FROM json_each(cur) WHERE tag_key(value) NOT IN (SELECT"
	"  tag_key(value) FROM json_each(prev)))) FROM l)"
	/* A conversation made, whatever else its payload says. */
	" SELECT 0, json_patch(base, json_object('type', 'update', 'at',"
	"  json(at))) FROM b WHERE ev = 'conversation_created'"
	/* A conversation's state, when it is created or changes it. */
	" UNION ALL SELECT 1, json_patch(base, json_object('type', CASE c ->> '$.status'"
	"  WHEN 'resolved' THEN 'close' WHEN 'snoozed' THEN 'park'"
	"  ELSE 'reopen' END, 'by', CASE c ->> '$.status'"
	"  WHEN 'resolved' THEN 'operator' END, 'at', json(at)))"
	"  FROM b WHERE NOT msg AND ev <> 'conversation_updated'"
	"  AND (c ->> '$.status' IN ('resolved', 'snoozed')"
	/* Open is a reopen only from resolved or snoozed (not when made,
	 * nor from pending, the bot's phase): import tells every reopen.
	 * So is pending from them: a visitor's message to a resolved
	 * conversation of an inbox with a bot. */
	"  OR c ->> '$.status' IN ('open', 'pending')"
	"  AND ev = 'conversation_status_changed'"
	"  AND coalesce((SELECT value ->> '$.status.previous_value'"
	"  FROM json_each(?1, '$.changed_attributes') WHERE"
	"  value ->> '$.status.previous_value' IS NOT NULL), 'resolved')"
	"  IN ('resolved', 'snoozed'))"
	" UNION ALL SELECT 2, json_patch(base, json_object('type', 'assign',"
	"  'operator', c ->> '$.meta.assignee.name', 'at', json(at)))"
	"  FROM b WHERE NOT msg AND c ->> '$.meta.assignee.name' IS NOT NULL"
	"  AND c ->> '$.meta.assignee_type' IS NOT 'AgentBot'"
	/* The list is what Chatwoot has, not a decision about tags it never
	 * heard of (one given here, its write-back still queued): its labels
	 * are tags given when the conversation was made, the earliest they
	 * can have been, so that any line or event of a tag, a label change
	 * or chat-tag's, is newer and wins; they add a tag nothing told of,
	 * a label change missed. */
	" UNION ALL SELECT 3, json_patch(base, json_object('type', 'tag',"
	"  'tags', json(had), 'at', json(created))) FROM d"
	"  WHERE had IS NOT NULL AND json_type(created) IN ('integer', 'real')"
	/* A label change is the one decision about labels: exactly it. */
	" UNION ALL SELECT 4, json_patch(base, json_object('type', 'untag',"
	"  'tags', json(gone), 'at', json(at))) FROM d WHERE gone IS NOT NULL"
	" UNION ALL SELECT 5, json_patch(base, json_object('type', 'tag',"
	"  'tags', json(given), 'at', json(at))) FROM d WHERE given IS NOT NULL"
	/* A message, put again by message_updated: one that was missed is
	 * there whole, one that was not is skipped (its id) and edited. */
	" UNION ALL SELECT 6, json_patch(base, json_object('at', json(at),"
	"  'author', author, 'id', json(j -> '$.id'), 'name', name,"
	"  'text', content, 'attachments', json(files)))"
	"  FROM m WHERE mt IN ('incoming', 'outgoing', 'template')"
	"  AND NOT private AND coalesce(content, files) IS NOT NULL"
	/* An edit gives a message its whole text: one with files is not
	 * edited, or they would be lost from it. */
	" UNION ALL SELECT 7, json_patch(base, json_object('type', 'edit',"
	"  'id', json(j -> '$.id'), 'name', name, 'text', content))"
	"  FROM m WHERE ev = 'message_updated'"
	"  AND mt IN ('incoming', 'outgoing', 'template') AND NOT private"
	"  AND content IS NOT NULL AND files IS NULL"
	/* A private note has no id: an edit of one is a note of its new
	 * text; its files are lines of its text, as a message's are. */
	" UNION ALL SELECT 8, json_patch(base, json_object('type', 'note',"
	"  'at', json(at), 'name', name, 'text', coalesce(content || char(10)"
	"  || filelines, content, filelines)))"
	"  FROM m WHERE mt = 'outgoing' AND private"
	"  AND coalesce(content, files) IS NOT NULL"
	" ORDER BY 1";

/* Whether word is one of the space-separated words of list (an empty
 * word, or two, never is). */
static int
listed(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	if (n == 0 || strchr(word, ' ') != NULL)
		return 0;
	for (p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* NULL when the payload has each key needs[] asks for, of its types; else
 * why not, naming the key (in a buffer of this function's). */
static const char *
needs_met(const char *payload, size_t len, const struct need *needs,
    size_t n)
{
	static char why[128];
	struct stmt *st = db_prep_local("SELECT coalesce(json_type(?1,"
	    " '$.' || ?2), 'missing')");
	const char *type;
	size_t i;
	int rc = 1;

	if (st == NULL)
		return "cannot prepare the JSON reader";
	for (i = 0; i < n; i++) {
		st_bind_textn(st, 1, payload, (int)len, NULL);
		st_bind_text(st, 2, needs[i].key);
		if ((rc = st_step(st)) != 1)
			break;
		type = st_text(st, 0);
		if (!listed(needs[i].types, type)) {
			snprintf(why, sizeof why, "%s: %s%s", needs[i].key,
			    strcmp(type, "missing") == 0 ? "missing" :
			    "expected ", strcmp(type, "missing") == 0 ? "" :
			    needs[i].what);
			break;
		}
		st_reset(st);
	}
	st_reset(st);
	if (rc != 1)
		return "cannot read the payload";
	return i < n ? why : NULL;
}

/* NULL when the keys of an event's payload hold what its lines need, else
 * why not. */
static const char *
payload_checked(const char *payload, size_t len, size_t event)
{
	struct stmt *st;
	const char *why, *value;
	int bad;

	if (event < FIRST_MESSAGE) {
		if ((why = needs_met(payload, len, conversation_needs,
		    sizeof conversation_needs / sizeof conversation_needs[0]))
		    != NULL)
			return why;
		if ((st = db_prep_local(labels_sql)) == NULL)
			return "cannot prepare the JSON reader";
		st_bind_textn(st, 1, payload, (int)len, NULL);
		bad = st_step(st) != 1 ? 4 : st_int(st, 0);
		st_reset(st);
		if (bad != 0)
			return bad_labels[bad - 1];
		st = db_prep_local("SELECT ?1 ->> '$.status'");
	} else {
		if ((why = needs_met(payload, len, message_needs,
		    sizeof message_needs / sizeof message_needs[0])) != NULL)
			return why;
		if ((st = db_prep_local(files_sql)) == NULL)
			return "cannot prepare the JSON reader";
		st_bind_textn(st, 1, payload, (int)len, NULL);
		bad = st_step(st) != 1 || st_int(st, 0) != 0;
		st_reset(st);
		if (bad)
			return "attachments: expected objects with a data_url "
			    "and a file_type, strings";
		st = db_prep_local("SELECT ?1 ->> '$.message_type'");
	}
	if (st == NULL)
		return "cannot prepare the JSON reader";
	st_bind_textn(st, 1, payload, (int)len, NULL);
	bad = st_step(st) != 1;
	value = bad ? "" : st_text(st, 0);
	why = event < FIRST_MESSAGE ? (listed("open resolved pending snoozed",
	    value) ? NULL : "status: expected open, resolved, pending or "
	    "snoozed") : (listed("incoming outgoing activity template",
	    value) ? NULL : "message_type: expected incoming, outgoing, "
	    "activity or template");
	st_reset(st);
	return why;
}

const char *
chatwoot_lines(const char *payload, size_t len, sqlite3_str *out,
    int *skipped)
{
	struct stmt *st = db_prep_local(head_sql);
	const char *why = NULL;
	size_t event = 0, lines = 0;
	int rc;

	*skipped = 0;
	if (st == NULL)
		return "cannot prepare the JSON reader";
	st_bind_textn(st, 1, payload, (int)len, NULL);
	if (st_step(st) != 1)
		why = "cannot read the payload";
	else if (!st_int(st, 0))
		why = "malformed JSON";
	else if (strcmp(st_text(st, 1), "object") != 0)
		why = "not a JSON object";
	else if (st_type(st, 2) == DB_NULL)
		why = "event: missing (not a Chatwoot payload)";
	else if (strcmp(st_text(st, 2), "text") != 0)
		why = "event: expected a string";
	else if (st_int(st, 4))
		why = "\\u0000: a NUL character cannot be stored";
	else
		for (event = 0; event < sizeof events / sizeof events[0];
		    event++)
			if (strcmp(st_text(st, 3), events[event]) == 0)
				break;
	st_reset(st);
	if (why != NULL)
		return why;
	if (event == sizeof events / sizeof events[0]) {
		*skipped = 1;
		return NULL;
	}
	if ((why = payload_checked(payload, len, event)) != NULL)
		return why;
	if ((st = db_prep_local(lines_sql)) == NULL)
		return "cannot prepare the JSON reader";
	st_bind_textn(st, 1, payload, (int)len, NULL);
	while ((rc = st_step(st)) == 1) {
		sqlite3_str_appendf(out, "%s\n", st_text(st, 1));
		lines++;
	}
	st_reset(st);
	if (rc < 0)
		return "cannot read the payload";
	*skipped = lines == 0;
	return NULL;
}

int
chatwoot_one(const char *text, size_t len)
{
	struct stmt *st = db_prep_local("SELECT json_valid(?1)");
	int one;

	if (st == NULL)
		return 0;
	st_bind_textn(st, 1, text, (int)len, NULL);
	one = st_step(st) == 1 && st_int(st, 0);
	st_reset(st);
	return one;
}

/* Whether a header was given: webhook passes one the request lacks as an
 * empty argument. */
static int
given(const char *header)
{
	return header != NULL && *header != '\0';
}

int
chatwoot_verify(struct lines *in, const char *name, int inputs,
    const char *ts, const char *sig)
{
	const struct config *cfg;
	const char *body, *why_not;
	char why[512], *secret;
	size_t len;
	int rc;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	if (cfg->cw_secret_env == NULL && cfg->cw_secret_file == NULL) {
		if (given(ts) || given(sig))
			return chat_err(ST_CONFIG, "%s: signed, but no secret "
			    "to check it with: set chatwoot.secret_env or "
			    "chatwoot.secret_file in the config", name);
		return 0;
	}
	if (inputs != 1)
		return chat_err(ST_USAGE, "a chatwoot secret is configured: "
		    "one signed delivery at a time, one FILE or standard "
		    "input");
	if ((rc = target_secret("chatwoot", cfg->cw_secret_env,
	    cfg->cw_secret_file, &secret, why, sizeof why)) != 0)
		return rc == ST_CONFIG ? chat_err(rc, "%s", why) : rc;
	if (*secret == '\0')
		rc = chat_err(ST_CONFIG, "chatwoot: the secret is empty");
	else if (!given(ts) || !given(sig))
		rc = chat_err(ST_DATA, "%s: unsigned (no --timestamp or no "
		    "--signature), and a secret is configured: refused",
		    name);
	else if (!lines_rest(in, PAYLOAD_MAX, &body, &len, &rc))
		rc = rc != 0 ? rc : chat_err(ST_DATA, "%s: longer than a "
		    "delivery can be (" XSTR(PAYLOAD_MAX) " bytes)", name);
	else if ((rc = signature_verify(secret, ts, sig, body, len,
	    time(NULL), &why_not)) == ST_DATA)
		chat_err(rc, "%s: %s", name, why_not);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (rc == 0)
		lines_whole(in);
	return rc;
}
