/* schema.c: the database schema, one forward-only step per user_version. */
#include <stddef.h>

#include "libchat.h"
#include "search_fold.h"

/* chat_words(): the index's words of parts, the longest kept longest
 * bytes long. */
#define PG_CHAT_WORDS(create, longest) \
	create " FUNCTION chat_words(VARIADIC parts text[]) RETURNS tsvector" \
	"  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$" \
	"  DECLARE p text; w text; n int := 0; size int := 0;" \
	"  lexemes text[] := '{}';" \
	"  BEGIN" \
	"  FOREACH p IN ARRAY parts LOOP" \
	"    CONTINUE WHEN p IS NULL;" \
	"    FOREACH w IN ARRAY string_to_array(chat_fold(p), ' ') LOOP" \
	"      CONTINUE WHEN w = '';" \
	"      n := n + 1;" \
	"      CONTINUE WHEN octet_length(w) > " longest ";" \
	"      size := size + octet_length(w) + 8;" \
	"      CONTINUE WHEN size > 1000000;" \
	"      lexemes := lexemes || ('''' || replace(replace(w, '\\', '\\\\')," \
	"        '''', '''''') || ''':' || least(n, 16383));" \
	"    END LOOP;" \
	"    n := n + 1;" \
	"  END LOOP;" \
	"  RETURN array_to_string(lexemes, ' ')::tsvector;" \
	"  END $f$;"

/* chat_query(): a term as a tsquery, none when a word is too long. */
#define PG_CHAT_QUERY(create, too_long) \
	create " FUNCTION chat_query(t text, prefix boolean) RETURNS tsquery" \
	"  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$" \
	"  SELECT CASE WHEN count(*) > 0 AND max(octet_length(w)) < " too_long \
	"  THEN (string_agg('''' || replace(replace(w, '\\', '\\\\'), ''''," \
	"  '''''') || '''', ' <-> ' ORDER BY i) ||" \
	"  CASE WHEN prefix THEN ':*' ELSE '' END)::tsquery END" \
	"  FROM unnest(string_to_array(chat_fold(t), ' ')) WITH ORDINALITY" \
	"  AS x (w, i) WHERE w <> '' $f$;"

/* The search's part of the PostgreSQL schema (search.c's statements).
 * PostgreSQL's parsers do not split words as FTS5's unicode61 does, so
 * chat_fold() does it in SQL from SQLite's own tables (search_fold.h):
 * separators to a space, the code points a word changes to what FTS5
 * makes of them, upper case ASCII by lower() in "C" (ASCII only).
 * chat_words() makes a tsvector of the words and their positions, a
 * position left empty between columns so that no phrase spans two, as
 * in FTS5; chat_query() a term's phrase, its last word a prefix when the
 * term is one. A word over 2046 bytes, more than a tsvector holds, is
 * left out of the index (and a query with one finds nothing), and so are
 * a text's words past about its first megabyte (a tsvector holds one);
 * positions past 16383, a tsvector's last, are all 16383. Triggers keep the
 * indexes on every row written, as FTS5's do on SQLite. */
#define PG_SCHEMA_SEARCH \
	"CREATE FUNCTION chat_fold(t text) RETURNS text LANGUAGE sql" \
	"  IMMUTABLE STRICT PARALLEL SAFE AS $f$" \
	"  SELECT CASE WHEN t ~ '^[\\u0001-\\u007f]*$'" \
	"  THEN regexp_replace(lower(t COLLATE \"C\"), '[^0-9a-z]+', ' ', 'g')" \
	"  ELSE (SELECT string_agg(coalesce(f.m ->> x.c, x.c), '' ORDER BY x.i)" \
	"  FROM regexp_split_to_table(regexp_replace(lower(t COLLATE \"C\")," \
	"  '" SEARCH_SEPARATORS "+', ' ', 'g'), '') WITH ORDINALITY AS x (c, i)," \
	"  (SELECT '" SEARCH_FOLDS "'::jsonb) AS f (m)) END $f$;" \
	PG_CHAT_WORDS("CREATE", "2047") \
	PG_CHAT_QUERY("CREATE", "2048") \
	"CREATE TABLE messages_fts (id bigint PRIMARY KEY, words tsvector" \
	"  NOT NULL);" \
	"CREATE TABLE notes_fts (id bigint PRIMARY KEY, words tsvector" \
	"  NOT NULL);" \
	"CREATE TABLE conversations_fts (id bigint PRIMARY KEY," \
	"  words tsvector NOT NULL);" \
	"CREATE INDEX messages_fts_words ON messages_fts USING gin (words);" \
	"CREATE INDEX notes_fts_words ON notes_fts USING gin (words);" \
	"CREATE INDEX conversations_fts_words ON conversations_fts" \
	"  USING gin (words);" \
	"CREATE FUNCTION chat_index() RETURNS trigger LANGUAGE plpgsql AS $f$" \
	"  BEGIN" \
	"  IF TG_TABLE_NAME = 'messages' THEN" \
	"    INSERT INTO messages_fts SELECT id, chat_words(body) FROM added;" \
	"  ELSIF TG_TABLE_NAME = 'notes' THEN" \
	"    INSERT INTO notes_fts SELECT id, chat_words(body) FROM added;" \
	"  ELSE" \
	"    INSERT INTO conversations_fts SELECT id," \
	"      chat_words(visitor, visitor_email, ref) FROM added;" \
	"  END IF;" \
	"  RETURN NULL;" \
	"  END $f$;" \
	"CREATE FUNCTION chat_reindex() RETURNS trigger LANGUAGE plpgsql AS $f$" \
	"  BEGIN" \
	"  IF TG_TABLE_NAME = 'messages' THEN" \
	"    UPDATE messages_fts SET words = chat_words(new.body)" \
	"      WHERE id = new.id;" \
	"  ELSE" \
	"    UPDATE conversations_fts SET words = chat_words(new.visitor," \
	"      new.visitor_email, new.ref) WHERE id = new.id;" \
	"  END IF;" \
	"  RETURN NULL;" \
	"  END $f$;" \
	"CREATE FUNCTION chat_unindex() RETURNS trigger LANGUAGE plpgsql AS $f$" \
	"  BEGIN" \
	"  EXECUTE format('DELETE FROM %I WHERE id = $1'," \
	"    TG_TABLE_NAME || '_fts') USING old.id;" \
	"  RETURN NULL;" \
	"  END $f$;" \
	"CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages" \
	"  REFERENCING NEW TABLE AS added FOR EACH STATEMENT" \
	"  EXECUTE FUNCTION chat_index();" \
	"CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes" \
	"  REFERENCING NEW TABLE AS added FOR EACH STATEMENT" \
	"  EXECUTE FUNCTION chat_index();" \
	"CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations" \
	"  REFERENCING NEW TABLE AS added FOR EACH STATEMENT" \
	"  EXECUTE FUNCTION chat_index();" \
	"CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages" \
	"  FOR EACH ROW WHEN (old.body IS DISTINCT FROM new.body)" \
	"  EXECUTE FUNCTION chat_reindex();" \
	"CREATE TRIGGER conversations_fts_update AFTER UPDATE OF visitor," \
	"  visitor_email, ref ON conversations FOR EACH ROW WHEN" \
	"  (old.visitor IS DISTINCT FROM new.visitor OR old.visitor_email" \
	"  IS DISTINCT FROM new.visitor_email OR old.ref IS DISTINCT FROM" \
	"  new.ref) EXECUTE FUNCTION chat_reindex();" \
	"CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages" \
	"  FOR EACH ROW EXECUTE FUNCTION chat_unindex();" \
	"CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes" \
	"  FOR EACH ROW EXECUTE FUNCTION chat_unindex();" \
	"CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations" \
	"  FOR EACH ROW EXECUTE FUNCTION chat_unindex();"

/* Step N brings a database from user_version N-1 to N. Never edit a step
 * that has shipped; add one. */
const char *const schema_steps[] = {
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	") STRICT;"
	"INSERT INTO meta VALUES ('schema_version', '1'),"
	"  ('database_id', lower(hex(randomblob(16)))),"
	"  ('created_at', CAST(unixepoch() AS TEXT));"

	"CREATE TABLE conversations ("
	"  id INTEGER PRIMARY KEY,"
	"  ref TEXT UNIQUE,"
	"  channel TEXT NOT NULL DEFAULT 'chat',"
	"  visitor TEXT,"
	"  visitor_email TEXT,"
	"  operator TEXT,"
	"  started_at INTEGER NOT NULL,"
	"  last_activity_at INTEGER NOT NULL,"
	"  visitor_left_at INTEGER,"
	"  state TEXT NOT NULL DEFAULT 'open'"
	"    CHECK (state IN ('open', 'parked', 'closed')),"
	"  closed_at INTEGER,"
	"  closed_by TEXT CHECK (closed_by IN ('operator', 'visitor', 'system')),"
	"  CHECK ((state = 'closed') = (closed_at IS NOT NULL))"
	") STRICT;"
	"CREATE INDEX conversations_started ON conversations (started_at);"
	"CREATE INDEX conversations_state ON conversations"
	"  (state, last_activity_at);"
	"CREATE INDEX conversations_channel ON conversations"
	"  (channel, started_at);"
	"CREATE INDEX conversations_operator ON conversations"
	"  (operator, started_at);"
	"CREATE INDEX conversations_left ON conversations (visitor_left_at)"
	"  WHERE visitor_left_at IS NOT NULL;"

	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  conversation INTEGER NOT NULL REFERENCES conversations (id),"
	"  ref TEXT,"
	"  at INTEGER NOT NULL,"
	"  author TEXT NOT NULL"
	"    CHECK (author IN ('visitor', 'operator', 'bot', 'system')),"
	"  name TEXT,"
	"  body TEXT NOT NULL,"
	"  UNIQUE (conversation, ref)"
	") STRICT;"
	"CREATE INDEX messages_conversation ON messages (conversation, at);"

	/* key is the name case-folded by tag_fold(): unique, and what
	 * lookups use, so that Été and été are one tag. */
	"CREATE TABLE tags ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  key TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE conversation_tags ("
	"  conversation INTEGER NOT NULL REFERENCES conversations (id),"
	"  tag INTEGER NOT NULL REFERENCES tags (id),"
	"  tagged_at INTEGER NOT NULL,"
	"  tagged_by TEXT NOT NULL,"
	"  PRIMARY KEY (conversation, tag)"
	") STRICT, WITHOUT ROWID;"
	"CREATE INDEX conversation_tags_tag ON conversation_tags"
	"  (tag, conversation);"

	"CREATE TABLE notes ("
	"  id INTEGER PRIMARY KEY,"
	"  conversation INTEGER NOT NULL REFERENCES conversations (id),"
	"  at INTEGER NOT NULL,"
	"  author TEXT NOT NULL,"
	"  body TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX notes_conversation ON notes (conversation, at);"

	"CREATE TABLE ratings ("
	"  conversation INTEGER NOT NULL REFERENCES conversations (id),"
	"  criterion TEXT NOT NULL,"
	"  score INTEGER NOT NULL,"
	"  rated_at INTEGER NOT NULL,"
	"  rated_by TEXT NOT NULL,"
	"  PRIMARY KEY (conversation, criterion)"
	") STRICT, WITHOUT ROWID;"

	"CREATE TABLE deliveries ("
	"  id INTEGER PRIMARY KEY,"
	"  conversation INTEGER NOT NULL REFERENCES conversations (id),"
	"  target TEXT NOT NULL,"
	"  seq INTEGER NOT NULL DEFAULT 1,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (state IN ('pending', 'sent', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER,"
	"  last_error TEXT,"
	"  remote_ref TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (conversation, target, seq)"
	") STRICT;"
	"CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);"

	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  conversation INTEGER NOT NULL REFERENCES conversations (id),"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  detail TEXT"
	") STRICT;"
	"CREATE INDEX events_conversation ON events (conversation, at);"

	/* Transcripts and notes are indexed apart (each an external-content
	 * table over its own rows) and searched together. New messages are
	 * indexed by chat-import once per batch, not by a trigger: every
	 * statement that writes FTS5 makes it flush a segment, which made
	 * import six times slower. */
	"CREATE VIRTUAL TABLE messages_fts USING fts5 (body,"
	"  content = 'messages', content_rowid = 'id',"
	"  tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts (messages_fts, rowid, body)"
	"    VALUES ('delete', old.id, old.body);"
	"END;"
	"CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN"
	"  INSERT INTO messages_fts (messages_fts, rowid, body)"
	"    VALUES ('delete', old.id, old.body);"
	"  INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);"
	"END;"
	"CREATE VIRTUAL TABLE notes_fts USING fts5 (body,"
	"  content = 'notes', content_rowid = 'id',"
	"  tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN"
	"  INSERT INTO notes_fts (rowid, body) VALUES (new.id, new.body);"
	"END;"
	"CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN"
	"  INSERT INTO notes_fts (notes_fts, rowid, body)"
	"    VALUES ('delete', old.id, old.body);"
	"END;",

	/* SQLite 3.40 checks a CHECK's `x IN (a, b, c)` by building a b-tree
	 * of the list for every row written, 10,000 instructions a row: a
	 * third of a batch close. The same rules as comparisons. The rows
	 * already keep them, so the definitions are edited in place, as
	 * SQLite's ALTER TABLE page has it for a changed constraint, and
	 * migrate() moves the schema cookie; copying the tables would
	 * rewrite every message. */
	"PRAGMA writable_schema = ON;"
	"UPDATE sqlite_schema SET sql = replace(replace(sql,"
	"  'state IN (''open'', ''parked'', ''closed'')',"
	"  'state = ''open'' OR state = ''parked'' OR state = ''closed'''),"
	"  'closed_by IN (''operator'', ''visitor'', ''system'')',"
	"  'closed_by = ''operator'' OR closed_by = ''visitor'' OR"
	" closed_by = ''system''')"
	"  WHERE type = 'table' AND name = 'conversations';"
	"UPDATE sqlite_schema SET sql = replace(sql,"
	"  'author IN (''visitor'', ''operator'', ''bot'', ''system'')',"
	"  'author = ''visitor'' OR author = ''operator'' OR"
	" author = ''bot'' OR author = ''system''')"
	"  WHERE type = 'table' AND name = 'messages';"
	"UPDATE sqlite_schema SET sql = replace(sql,"
	"  'state IN (''pending'', ''sent'', ''failed'')',"
	"  'state = ''pending'' OR state = ''sent'' OR state = ''failed''')"
	"  WHERE type = 'table' AND name = 'deliveries';"
	"PRAGMA writable_schema = OFF;"
	"UPDATE meta SET value = '2' WHERE key = 'schema_version';",

	/* A search question is about a whole conversation, its header too:
	 * the visitor's name and email and the platform's ref are indexed
	 * as a third kind of text. chat-import, their only writer, indexes
	 * them once per batch, as it does messages. */
	"CREATE VIRTUAL TABLE conversations_fts USING fts5 (visitor,"
	"  visitor_email, ref, content = 'conversations', content_rowid = 'id',"
	"  tokenize = 'unicode61 remove_diacritics 2');"
	"INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');"
	"UPDATE meta SET value = '3' WHERE key = 'schema_version';",

	/* assigned_at, the time of the newest imported line that
	 * named the operator in force, so that an assignment imported late
	 * changes the operator only when it is newer. A database of an
	 * earlier version never kept that time: the latest assigned event
	 * naming the operator in force stands for it, else the start, the
	 * earliest it can be, so that any later assignment still wins as
	 * it did before. */
	"ALTER TABLE conversations ADD COLUMN assigned_at INTEGER;"
	"UPDATE conversations AS c SET assigned_at = coalesce((SELECT"
	"  max(e.at) FROM events e WHERE e.conversation = c.id AND"
	"  e.action = 'assigned' AND e.detail = c.operator), c.started_at)"
	"  WHERE c.operator NOT NULL;"
	"UPDATE meta SET value = '4' WHERE key = 'schema_version';",

	/* A tag's key becomes its name in NFC after full Unicode
	 * case folding, and its name NFC: tag_key() and tag_nfc(), which
	 * db_open() registers. Tags that are now one merge into the oldest:
	 * a conversation keeps one link to it, the earliest, and gets one
	 * merged event by chat-tools per tag it now has in their place
	 * ("FOO, Foo -> foo"); their events stay.
	 * The keys pass through '#' || id, which no key holds, so that no
	 * key is ever two rows' at once. */
	"CREATE TEMP TABLE rekeyed AS SELECT id, key, first_value(id)"
	"  OVER (PARTITION BY key ORDER BY created_at, id) AS survivor"
	"  FROM (SELECT id, created_at, tag_key(name) AS key FROM tags);"
	"INSERT INTO events (conversation, at, actor, action, detail)"
	"  SELECT conversation, unixepoch(), 'chat-tools', 'merged',"
	"    group_concat(name, ', ') || ' -> ' ||"
	"    (SELECT tag_nfc(name) FROM tags WHERE id = survivor)"
	"  FROM (SELECT ct.conversation, r.survivor, t.name"
	"    FROM conversation_tags ct JOIN rekeyed r ON r.id = ct.tag"
	"    JOIN tags t ON t.id = ct.tag WHERE r.id <> r.survivor"
	"    ORDER BY ct.conversation, r.survivor, t.id)"
	"  GROUP BY conversation, survivor ORDER BY conversation, survivor;"
	"INSERT INTO conversation_tags"
	"  SELECT ct.conversation, r.survivor, ct.tagged_at, ct.tagged_by"
	"  FROM conversation_tags ct JOIN rekeyed r ON r.id = ct.tag"
	"  WHERE r.id <> r.survivor"
	"  ON CONFLICT (conversation, tag) DO UPDATE SET"
	"    tagged_at = excluded.tagged_at, tagged_by = excluded.tagged_by"
	"    WHERE excluded.tagged_at < tagged_at;"
	"DELETE FROM conversation_tags WHERE tag IN"
	"  (SELECT id FROM rekeyed WHERE id <> survivor);"
	"DELETE FROM tags WHERE id IN"
	"  (SELECT id FROM rekeyed WHERE id <> survivor);"
	"UPDATE tags SET key = '#' || id;"
	"UPDATE tags SET name = tag_nfc(name), key = rekeyed.key FROM rekeyed"
	"  WHERE rekeyed.id = tags.id;"
	"DROP TABLE temp.rekeyed;"
	"UPDATE meta SET value = '5' WHERE key = 'schema_version';",

	/* Close-time filters (--closed-since, --closed-until) search
	 * conversations_closed by state = 'closed' and a range of closed_at:
	 * the state in front, so that a filter's c.state = 'closed' is an
	 * equality the index serves rather than a rival index's.
	 * Channels and operators compare case-insensitively (ASCII, SQLite's
	 * NOCASE), as people type them: their indexes are rebuilt in that
	 * collation, which `x = ? COLLATE NOCASE` searches. The values stay
	 * as imported (lowercasing them would change what every listing
	 * shows, and what goes to Zendesk and mail). Run again on its own
	 * result, the step changes nothing. */
	"CREATE INDEX IF NOT EXISTS conversations_closed ON conversations"
	"  (state, closed_at);"
	"DROP INDEX conversations_channel;"
	"CREATE INDEX conversations_channel ON conversations"
	"  (channel COLLATE NOCASE, started_at);"
	"DROP INDEX conversations_operator;"
	"CREATE INDEX conversations_operator ON conversations"
	"  (operator COLLATE NOCASE, started_at);"
	"UPDATE meta SET value = '6' WHERE key = 'schema_version';",

	/* The first visitor message and the first operator message at or
	 * after it are facts of a conversation, kept on it by chat-import
	 * for each conversation a batch adds messages to, so that a report
	 * reads two columns instead of searching every conversation's
	 * messages twice. Filled here from the messages for a database of
	 * an earlier version. */
	"ALTER TABLE conversations ADD COLUMN first_visitor_at INTEGER;"
	"ALTER TABLE conversations ADD COLUMN first_response_at INTEGER;"
	"UPDATE conversations AS c SET first_visitor_at = v.at FROM"
	"  (SELECT conversation, min(at) AS at FROM messages"
	"  WHERE author = 'visitor' GROUP BY conversation) AS v"
	"  WHERE v.conversation = c.id;"
	"UPDATE conversations AS c SET first_response_at = (SELECT min(at)"
	"  FROM messages m WHERE m.conversation = c.id"
	"  AND m.author = 'operator' AND m.at >= c.first_visitor_at)"
	"  WHERE first_visitor_at NOT NULL;"
	"UPDATE meta SET value = '7' WHERE key = 'schema_version';",

	/* PostgreSQL's step (below); none on SQLite. */
	"UPDATE meta SET value = '8' WHERE key = 'schema_version';",

	/* The time of the latest line of a conversation's history that
	 * chat-import applied, of each kind (what: its state, a tag's
	 * key, a message's edits), kept even when the line changed nothing:
	 * a platform's lines come in any order, and an older one come later
	 * is history already told. */
	"CREATE TABLE marks ("
	"  conversation INTEGER NOT NULL REFERENCES conversations (id),"
	"  what TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (conversation, what)"
	") STRICT, WITHOUT ROWID;"
	"UPDATE meta SET value = '9' WHERE key = 'schema_version';",
};

const size_t schema_nsteps = sizeof schema_steps / sizeof schema_steps[0];

/* PostgreSQL: a database starts at the version of the SQLite schema of
 * its time, made in one step (earlier steps: NULL); later steps come in
 * pairs with SQLite's. Text is in the "C" collation, so that it sorts as
 * SQLite's BINARY does and lower() folds ASCII only, as NOCASE does;
 * the version is also the comment on meta (pg.c). */
#define PG_TEXT "text COLLATE \"C\""
#define PG_ID "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
#define PG_SCHEMA \
	"CREATE TABLE meta (" \
	"  key " PG_TEXT " PRIMARY KEY," \
	"  value " PG_TEXT " NOT NULL);" \
	"INSERT INTO meta VALUES ('schema_version', '7')," \
	"  ('database_id', md5(random()::text || clock_timestamp()::text))," \
	"  ('created_at', extract(epoch FROM now())::bigint::text);" \
	"CREATE TABLE conversations (" \
	"  id " PG_ID "," \
	"  ref " PG_TEXT " UNIQUE," \
	"  channel " PG_TEXT " NOT NULL DEFAULT 'chat'," \
	"  visitor " PG_TEXT "," \
	"  visitor_email " PG_TEXT "," \
	"  operator " PG_TEXT "," \
	"  started_at bigint NOT NULL," \
	"  last_activity_at bigint NOT NULL," \
	"  visitor_left_at bigint," \
	"  state " PG_TEXT " NOT NULL DEFAULT 'open'" \
	"    CHECK (state IN ('open', 'parked', 'closed'))," \
	"  closed_at bigint," \
	"  closed_by " PG_TEXT \
	"    CHECK (closed_by IN ('operator', 'visitor', 'system'))," \
	"  assigned_at bigint," \
	"  first_visitor_at bigint," \
	"  first_response_at bigint," \
	"  CHECK ((state = 'closed') = (closed_at IS NOT NULL)));" \
	"CREATE INDEX conversations_started ON conversations (started_at);" \
	"CREATE INDEX conversations_state ON conversations" \
	"  (state, last_activity_at);" \
	"CREATE INDEX conversations_left ON conversations (visitor_left_at)" \
	"  WHERE visitor_left_at IS NOT NULL;" \
	"CREATE INDEX conversations_closed ON conversations (state, closed_at);" \
	"CREATE INDEX conversations_channel ON conversations" \
	"  (lower(channel), started_at);" \
	"CREATE INDEX conversations_operator ON conversations" \
	"  (lower(operator), started_at);" \
	"CREATE TABLE messages (" \
	"  id " PG_ID "," \
	"  conversation bigint NOT NULL REFERENCES conversations (id)," \
	"  ref " PG_TEXT "," \
	"  at bigint NOT NULL," \
	"  author " PG_TEXT " NOT NULL" \
	"    CHECK (author IN ('visitor', 'operator', 'bot', 'system'))," \
	"  name " PG_TEXT "," \
	"  body " PG_TEXT " NOT NULL," \
	"  UNIQUE (conversation, ref));" \
	"CREATE INDEX messages_conversation ON messages (conversation, at);" \
	"CREATE TABLE tags (" \
	"  id " PG_ID "," \
	"  name " PG_TEXT " NOT NULL," \
	"  key " PG_TEXT " NOT NULL UNIQUE," \
	"  created_at bigint NOT NULL);" \
	"CREATE TABLE conversation_tags (" \
	"  conversation bigint NOT NULL REFERENCES conversations (id)," \
	"  tag bigint NOT NULL REFERENCES tags (id)," \
	"  tagged_at bigint NOT NULL," \
	"  tagged_by " PG_TEXT " NOT NULL," \
	"  PRIMARY KEY (conversation, tag));" \
	"CREATE INDEX conversation_tags_tag ON conversation_tags" \
	"  (tag, conversation);" \
	"CREATE TABLE notes (" \
	"  id " PG_ID "," \
	"  conversation bigint NOT NULL REFERENCES conversations (id)," \
	"  at bigint NOT NULL," \
	"  author " PG_TEXT " NOT NULL," \
	"  body " PG_TEXT " NOT NULL);" \
	"CREATE INDEX notes_conversation ON notes (conversation, at);" \
	"CREATE TABLE ratings (" \
	"  conversation bigint NOT NULL REFERENCES conversations (id)," \
	"  criterion " PG_TEXT " NOT NULL," \
	"  score bigint NOT NULL," \
	"  rated_at bigint NOT NULL," \
	"  rated_by " PG_TEXT " NOT NULL," \
	"  PRIMARY KEY (conversation, criterion));" \
	"CREATE TABLE deliveries (" \
	"  id " PG_ID "," \
	"  conversation bigint NOT NULL REFERENCES conversations (id)," \
	"  target " PG_TEXT " NOT NULL," \
	"  seq bigint NOT NULL DEFAULT 1," \
	"  state " PG_TEXT " NOT NULL DEFAULT 'pending'" \
	"    CHECK (state IN ('pending', 'sent', 'failed'))," \
	"  attempts bigint NOT NULL DEFAULT 0," \
	"  next_attempt_at bigint," \
	"  last_error " PG_TEXT "," \
	"  remote_ref " PG_TEXT "," \
	"  created_at bigint NOT NULL," \
	"  updated_at bigint NOT NULL," \
	"  UNIQUE (conversation, target, seq));" \
	"CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);" \
	"CREATE TABLE events (" \
	"  id " PG_ID "," \
	"  conversation bigint NOT NULL REFERENCES conversations (id)," \
	"  at bigint NOT NULL," \
	"  actor " PG_TEXT " NOT NULL," \
	"  action " PG_TEXT " NOT NULL," \
	"  detail " PG_TEXT ");" \
	"CREATE INDEX events_conversation ON events (conversation, at);"

const char *const schema_pg_steps[] = {
	NULL, NULL, NULL, NULL, NULL, NULL,
	PG_SCHEMA PG_SCHEMA_SEARCH,

	/* A word of 2047 bytes is one too long for a tsvector: chat_words()
	 * failed on it, and chat_query() with it.
	 * A writer that indexes the messages and conversations it inserts
	 * itself (chat-import, which makes the words in C: search_words())
	 * says so for its transaction, and the trigger leaves them to it:
	 * chat_words() a row was most of an import's time on the server. */
	PG_CHAT_WORDS("CREATE OR REPLACE", "2046")
	PG_CHAT_QUERY("CREATE OR REPLACE", "2047")
	"CREATE OR REPLACE FUNCTION chat_index() RETURNS trigger"
	"  LANGUAGE plpgsql AS $f$"
	"  BEGIN"
	"  IF current_setting('chat.writer_indexes', true) = 'on' THEN"
	"    RETURN NULL;"
	"  END IF;"
	"  IF TG_TABLE_NAME = 'messages' THEN"
	"    INSERT INTO messages_fts SELECT id, chat_words(body) FROM added;"
	"  ELSIF TG_TABLE_NAME = 'notes' THEN"
	"    INSERT INTO notes_fts SELECT id, chat_words(body) FROM added;"
	"  ELSE"
	"    INSERT INTO conversations_fts SELECT id,"
	"      chat_words(visitor, visitor_email, ref) FROM added;"
	"  END IF;"
	"  RETURN NULL;"
	"  END $f$;"
	"UPDATE meta SET value = '8' WHERE key = 'schema_version';",

	"CREATE TABLE marks ("
	"  conversation bigint NOT NULL REFERENCES conversations (id),"
	"  what " PG_TEXT " NOT NULL,"
	"  at bigint NOT NULL,"
	"  PRIMARY KEY (conversation, what));"
	"UPDATE meta SET value = '9' WHERE key = 'schema_version';",
};

/* Every step has its PostgreSQL side, if only NULL. */
typedef char pg_steps_match[sizeof schema_pg_steps ==
    sizeof schema_steps ? 1 : -1];
