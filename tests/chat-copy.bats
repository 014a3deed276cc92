#!/usr/bin/env bats
# chat-copy: a whole database into an empty one, SQLite to PostgreSQL and
# back, ids kept, checked. The tests tagged pg copy to and from the
# leg's PostgreSQL database ($CHAT_DB there); the others are SQLite's.

load helper

# A SQLite database at $1 with rows of every kind: conversations (open,
# parked, closed), messages, notes, tags and their links, ratings,
# deliveries, events; ids with gaps and past 2^32; text with quotes,
# backslashes, tabs, line breaks and emoji.
fill() {
	config <<-'EOF2'
	rating:
	  criteria: {nps: [0, 10], speed: [1, 3]}
	EOF2
	(
		export CHAT_DB=$1
		chat-import -q "$EXAMPLES"
		chat-note -q -m 'Called back; "fine" \ done' 1 2
		chat-tag -q billing,Été 1 3
		chat-rate -q nps=9 speed=2 1
		chat-close -q 4 5
		chat-close -q --park 6
	)
	sqlite3 -batch "$1" <<-'SQL'
	INSERT INTO conversations (id, ref, started_at, last_activity_at, visitor)
	  VALUES (5000000000, 'big', 1700000000, 1700000100, 'Zoë' || char(9) || 'tab');
	INSERT INTO messages (id, conversation, at, author, body)
	  VALUES (7000000000, 5000000000, 1700000050, 'visitor', 'one' || char(10) ||
	  'two' || char(13) || ' 😀 quote '' backslash \ end');
	INSERT INTO deliveries (conversation, target, state, attempts, last_error,
	  remote_ref, created_at, updated_at)
	  VALUES (1, 'zendesk', 'sent', 2, 'HTTP 503: later', '4242', 1700000000, 1700000060);
	INSERT INTO deliveries (conversation, target, created_at, updated_at)
	  VALUES (2, 'mail:a@example.com', 1700000000, 1700000000);
	DELETE FROM events WHERE id % 3 = 0;
	SQL
}

# Every table's rows in the order of their key, from the SQLite file $1.
rows() {
	local t
	for t in "meta WHERE key <> 'schema_version' ORDER BY key" \
	    "conversations ORDER BY id" "tags ORDER BY id" \
	    "conversation_tags ORDER BY conversation, tag" \
	    "messages ORDER BY id" "notes ORDER BY id" \
	    "ratings ORDER BY conversation, criterion" \
	    "deliveries ORDER BY id" "events ORDER BY id"; do
		echo "== $t"
		sqlite3 -batch "$1" "SELECT * FROM $t"
	done
}

# Every conversation of the SQLite file $1 as chat-history -o json shows it.
shown() {
	local id
	for id in $(CHAT_DB=$1 chat-history -o ids); do
		CHAT_DB=$1 chat-history -o json "$id"
	done
}

# The SQLite copy $2 of $1: the same rows, the same conversations shown,
# and its search index made (fill's conversation 5000000000 found).
assert_same_copy() {
	assert_equal "$(rows "$2")" "$(rows "$1")"
	assert_equal "$(shown "$2")" "$(shown "$1")"
	run -0 env CHAT_DB="$2" chat-history -o ids --grep backslash
	assert_output 5000000000
	run -0 env CHAT_DB="$2" chat-history -o ids --grep zoe
	assert_output 5000000000
}

# An empty chat-tools database at the SQLite path $1.
empty() {
	CHAT_DB=$1 chat-import -q </dev/null
}

# Runs SQL on the PostgreSQL database $1, as the sqlite3 shell prints.
psql_on() {
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -A -t -F '|' \
	    -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# Holds a lock of mode $2 on table events of the PostgreSQL database $1,
# from psql, until unhold; returns once it is granted.
hold() {
	mkfifo "$BATS_TEST_TMPDIR/hold"
	psql -X -q -o /dev/null -d "$1" <"$BATS_TEST_TMPDIR/hold" 3>&- &
	HOLD_PID=$!
	exec 7>"$BATS_TEST_TMPDIR/hold"
	echo "BEGIN; LOCK TABLE events IN $2 MODE;" >&7
	waits "$1" "granted"
}

unhold() {
	echo "ROLLBACK;" >&7
	exec 7>&-
	wait "$HOLD_PID"
}

# Waits until a lock on events of database $1 is "granted" or "NOT granted".
waits() {
	for _ in $(seq 200); do
		[ "$(psql_on "$1" "SELECT count(*) FROM pg_locks WHERE
		    relation = 'events'::regclass AND $2")" = 0 ] || return 0
		sleep 0.05
	done
	echo "no lock on events with $2" >&2
	return 1
}

# Waits until no other session is connected to database $1.
alone() {
	for _ in $(seq 200); do
		[ "$(psql_on "$1" "SELECT count(*) FROM pg_stat_activity WHERE
		    datname = current_database() AND pid <> pg_backend_pid()")" != 0 ] ||
		    return 0
		sleep 0.05
	done
	return 1
}

# bats test_tags=pg
@test "SQLite to PostgreSQL and back: every table's rows, every conversation and the checksums the same" {
	a=$BATS_TEST_TMPDIR/a.db b=$BATS_TEST_TMPDIR/b.db
	fill "$a"
	run -0 chat-copy "$a" "$CHAT_DB"
	there=$output
	assert_line -n 1 --regexp $'^conversations\t31\t[0-9a-f]{16}$'
	assert_line -n 8 --regexp $'^events\t[1-9][0-9]*\t[0-9a-f]{16}$'
	run -0 chat-copy "$CHAT_DB" "$b"
	assert_output "$there"
	assert_same_copy "$a" "$b"
	# On PostgreSQL itself: the ids, and the text byte for byte.
	assert_equal "$(psql_on "$CHAT_DB" "SELECT encode(convert_to(body, 'UTF8'), 'hex')
	    FROM messages WHERE id = 7000000000")" \
	    "$(sqlite3 "$a" "SELECT lower(hex(body)) FROM messages WHERE id = 7000000000")"
	assert_equal "$(psql_on "$CHAT_DB" "SELECT value FROM meta WHERE key = 'database_id'")" \
	    "$(sqlite3 "$a" "SELECT value FROM meta WHERE key = 'database_id'")"
}

# bats test_tags=pg
@test "after a copy to PostgreSQL, new rows take ids past those copied" {
	a=$BATS_TEST_TMPDIR/a.db
	fill "$a"
	run -0 chat-copy -q "$a" "$CHAT_DB"
	assert_output ""
	for t in conversations tags messages notes deliveries events; do
		max=$(sqlite3 "$a" "SELECT max(id) FROM $t")
		case $t in
		conversations) v="(started_at, last_activity_at) VALUES (1, 1)" ;;
		tags) v="(name, key, created_at) VALUES ('n', 'n', 1)" ;;
		messages) v="(conversation, at, author, body) VALUES (1, 1, 'bot', 'x')" ;;
		notes) v="(conversation, at, author, body) VALUES (1, 1, 'x', 'x')" ;;
		deliveries) v="(conversation, target, seq, created_at, updated_at) VALUES (1, 'zendesk', 9, 1, 1)" ;;
		events) v="(conversation, at, actor, action) VALUES (1, 1, 'x', 'x')" ;;
		esac
		assert_equal "$t $(psql_on "$CHAT_DB" "INSERT INTO $t $v RETURNING id")" "$t $((max + 1))"
	done
}

# bats test_tags=pg
@test "chat-import into the PostgreSQL copy adds a conversation after those copied" {
	a=$BATS_TEST_TMPDIR/a.db
	fill "$a"
	run -0 chat-copy -q "$a" "$CHAT_DB"
	msg NEW-1 2026-11-20T10:00:00Z visitor hello | chat-import
	assert_equal "$(psql_on "$CHAT_DB" "SELECT id FROM conversations WHERE ref = 'NEW-1'")" 5000000001
}

# bats test_tags=pg
@test "kill -9 mid-copy to PostgreSQL leaves it as it was" {
	a=$BATS_TEST_TMPDIR/a.db e=$BATS_TEST_TMPDIR/empty.db
	fill "$a"
	empty "$e"
	run -0 chat-copy -q "$e" "$CHAT_DB"
	before=$(dump)
	# Inserts wait at events, the last table, every other one written.
	hold "$CHAT_DB" SHARE
	chat-copy -q "$a" "$CHAT_DB" 3>&- &
	pid=$!
	waits "$CHAT_DB" "NOT granted"
	kill -9 "$pid"
	unhold
	alone "$CHAT_DB"
	assert_equal "$(dump)" "$before"
	run -0 chat-copy -q "$a" "$CHAT_DB"
}

# bats test_tags=pg
@test "kill -9 mid-copy from PostgreSQL leaves the SQLite file as it was" {
	a=$BATS_TEST_TMPDIR/a.db b=$BATS_TEST_TMPDIR/b.db
	fill "$a"
	run -0 chat-copy -q "$a" "$CHAT_DB"
	empty "$b"
	before=$(sqlite3 "$b" .dump)
	# Reading events, the last table, waits: every other one is written.
	hold "$CHAT_DB" 'ACCESS EXCLUSIVE'
	chat-copy -q "$CHAT_DB" "$b" 3>&- &
	pid=$!
	waits "$CHAT_DB" "NOT granted"
	kill -9 "$pid"
	unhold
	assert_equal "$(sqlite3 "$b" .dump)" "$before"
	run -0 chat-copy -q "$CHAT_DB" "$b"
	assert_equal "$(rows "$b")" "$(rows "$a")"
}

# bats test_tags=pg
@test "a copy that differs on PostgreSQL is found, named by its table, and undone" {
	a=$BATS_TEST_TMPDIR/a.db e=$BATS_TEST_TMPDIR/empty.db
	fill "$a"
	empty "$e"
	run -0 chat-copy -q "$e" "$CHAT_DB"
	psql_on "$CHAT_DB" "CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS
	    \$\$BEGIN UPDATE notes SET body = body || '!' WHERE id = NEW.id; RETURN NULL; END\$\$;
	    CREATE TRIGGER tamper AFTER INSERT ON notes FOR EACH ROW EXECUTE FUNCTION tamper()"
	run -74 chat-copy "$a" "$CHAT_DB"
	assert_output --partial "chat-copy: $CHAT_DB: notes: the copy differs from $a (2 rows, checksum "
	assert_output --regexp "\(2 rows, checksum [0-9a-f]{16}; 2 rows, checksum [0-9a-f]{16} there\); nothing was copied$"
	assert_equal "$(psql_on "$CHAT_DB" "SELECT count(*) FROM conversations")" 0
	psql_on "$CHAT_DB" "DROP TRIGGER tamper ON notes;
	    CREATE OR REPLACE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS
	    \$\$BEGIN DELETE FROM events WHERE id = NEW.id; RETURN NULL; END\$\$;
	    CREATE TRIGGER tamper AFTER INSERT ON events FOR EACH ROW WHEN (NEW.id = 1)
	    EXECUTE FUNCTION tamper()"
	n=$(sqlite3 "$a" "SELECT count(*) FROM events")
	run -74 chat-copy "$a" "$CHAT_DB"
	assert_output --partial ": events: the copy differs from $a ($((n - 1)) rows, "
	assert_output --partial "; $n rows, "
	assert_equal "$(psql_on "$CHAT_DB" "SELECT count(*) FROM events")" 0
}

# bats test_tags=sqlite
@test "a copy that differs on SQLite is found, named by its table, and undone" {
	a=$BATS_TEST_TMPDIR/a.db b=$BATS_TEST_TMPDIR/b.db
	fill "$a"
	empty "$b"
	sqlite3 "$b" "CREATE TRIGGER tamper AFTER INSERT ON ratings BEGIN
	    UPDATE ratings SET score = score - 1 WHERE conversation = new.conversation
	    AND criterion = new.criterion; END"
	before=$(sqlite3 "$b" .dump)
	run -74 chat-copy "$a" "$b"
	assert_output --regexp "^chat-copy: $b: ratings: the copy differs from $a \(2 rows, checksum [0-9a-f]{16}; 2 rows, checksum [0-9a-f]{16} there\); nothing was copied$"
	assert_equal "$(sqlite3 "$b" .dump)" "$before"
	sqlite3 "$b" "DROP TRIGGER tamper; CREATE TRIGGER tamper AFTER INSERT ON tags
	    BEGIN INSERT INTO tags (id, name, key, created_at) VALUES (999, 'x', 'x', 1)
	    ON CONFLICT DO NOTHING; END"
	run -74 chat-copy "$a" "$b"
	assert_output --partial ": tags: the copy differs from $a (3 rows, "
	assert_output --partial "; 2 rows, "
}

# bats test_tags=sqlite
@test "SQLite to SQLite: the same rows, conversations and search" {
	a=$BATS_TEST_TMPDIR/a.db b=$BATS_TEST_TMPDIR/sub/b.db
	fill "$a"
	mkdir "$BATS_TEST_TMPDIR/sub"
	run -0 chat-copy "$a" "$b"
	assert_line -n 4 --regexp $'^messages\t[1-9][0-9]*\t[0-9a-f]{16}$'
	assert_same_copy "$a" "$b"
	assert_equal "$(stat -c %a "$b")" 600
}

# bats test_tags=sqlite
@test "FROM with ? # % in its name is read as a file, not a URI" {
	a="$BATS_TEST_TMPDIR/a?mode=rwc#%41.db"
	empty "$a"
	CHAT_DB=$a chat-import -q "$EXAMPLES"
	run -0 chat-copy -q "$a" "$BATS_TEST_TMPDIR/b.db"
	assert_equal "$(rows "$BATS_TEST_TMPDIR/b.db")" "$(rows "$a")"
}

# bats test_tags=sqlite
@test "TO must be empty: a database with rows is refused and left alone" {
	a=$BATS_TEST_TMPDIR/a.db b=$BATS_TEST_TMPDIR/b.db
	fill "$a"
	empty "$b"
	msg X-1 2026-11-20T10:00:00Z visitor hi | CHAT_DB=$b chat-import -q
	before=$(sqlite3 "$b" .dump)
	run -74 chat-copy "$a" "$b"
	assert_output "chat-copy: $b: the database holds conversations: chat-copy copies into an empty database only"
	assert_equal "$(sqlite3 "$b" .dump)" "$before"
}

# bats test_tags=pg
@test "TO on PostgreSQL must be empty too" {
	a=$BATS_TEST_TMPDIR/a.db
	fill "$a"
	run -0 chat-copy -q "$a" "$CHAT_DB"
	before=$(dump)
	run -74 chat-copy "$a" "$CHAT_DB"
	assert_output "chat-copy: $CHAT_DB: the database holds conversations: chat-copy copies into an empty database only"
	assert_equal "$(dump)" "$before"
}

# bats test_tags=sqlite
@test "a FROM that is missing, another application's or of an older schema is refused, TO not made" {
	b=$BATS_TEST_TMPDIR/b.db
	run -74 chat-copy "$BATS_TEST_TMPDIR/none.db" "$b"
	assert_output "chat-copy: no database at $BATS_TEST_TMPDIR/none.db"
	assert_file_not_exists "$b"
	sqlite3 "$BATS_TEST_TMPDIR/other.db" "CREATE TABLE t (x)"
	run -74 chat-copy "$BATS_TEST_TMPDIR/other.db" "$b"
	assert_output --partial "chat-copy: $BATS_TEST_TMPDIR/other.db: not a chat-tools database"
	assert_file_not_exists "$b"
	empty "$BATS_TEST_TMPDIR/old.db"
	sqlite3 "$BATS_TEST_TMPDIR/old.db" "$BEFORE_7 PRAGMA user_version = 6"
	run -74 chat-copy "$BATS_TEST_TMPDIR/old.db" "$b"
	assert_output --partial "schema version 6 is older than this chat-tools' ($SCHEMA_VERSION): upgrade it first"
	assert_file_not_exists "$b"
}

# bats test_tags=pg
@test "a PostgreSQL FROM with no schema is no database; PostgreSQL to PostgreSQL is refused" {
	run -74 chat-copy "$CHAT_DB" "$BATS_TEST_TMPDIR/b.db"
	assert_output "chat-copy: no database at $CHAT_DB"
	assert_file_not_exists "$BATS_TEST_TMPDIR/b.db"
	run -2 chat-copy "$CHAT_DB" "postgres:///other?host=$CHAT_TEST_PG"
	assert_line -n 0 "chat-copy: both databases are PostgreSQL's: copy them with pg_dump and psql"
}

# bats test_tags=sqlite
@test "usage: two operands, not the same; a password in a URL is refused unseen" {
	run -2 chat-copy "$BATS_TEST_TMPDIR/a.db"
	assert_line -n 0 "chat-copy: give FROM and TO"
	assert_line -n 1 "usage: chat-copy [-q] [-c CONFIG] FROM TO"
	run -2 chat-copy a b c
	assert_line -n 0 "chat-copy: too many operands"
	run -2 chat-copy a.db a.db
	assert_line -n 0 "chat-copy: FROM and TO are the same database"
	fill "$BATS_TEST_TMPDIR/a.db"
	run -78 chat-copy "$BATS_TEST_TMPDIR/a.db" "postgresql://chat:s3cret@localhost/x"
	assert_output --partial "holds a password"
	refute_output --partial s3cret
	run -78 chat-copy "postgresql://chat:s3cret@localhost/x" "$BATS_TEST_TMPDIR/b.db"
	refute_output --partial s3cret
	assert_file_not_exists "$BATS_TEST_TMPDIR/b.db"
}
