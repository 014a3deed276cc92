#!/usr/bin/env bats
# Query plans: every filter that an index can serve is served by one, not
# by a scan of all conversations.

# Query plans are SQLite's (EXPLAIN QUERY PLAN).
# bats file_tags=sqlite
load helper

plan() {
	chat-history --explain "$@"
}

@test "every indexable chat-history filter searches an index" {
	examples
	for f in "--closed --untagged" "--open" "--parked" "--tag after-sales" \
	    "--since 2026-11-20" "--since 2026-11-20 --until 2026-11-21" \
	    "--forgotten" "--grep parcel" "--operator alice" "--channel whatsapp" \
	    "--social" "--idle 1h" "--unrated --closed" "--no-note --open" \
	    "--visitor-left" "--closed-since 2026-11-20" "--closed-until 2026-11-21" \
	    "--closed-since 2026-11-20 --closed-until 2026-11-21" \
	    "--closed --closed-since today" "--operator ALICE" "--channel WhatsApp"; do
		run -0 plan $f
		assert_line --index 0 --regexp '^SEARCH c USING (INDEX|INTEGER PRIMARY KEY)'
		refute_line --regexp '^SCAN c( |$)'
	done
}

@test "a state with a range of start times searches the range: a week of the closed, not every closed one" {
	examples
	for f in "--closed --since 2026-11-20" "--open --since 2026-11-20 --until 2026-11-22" \
	    "--closed --parked --until 2026-11-18"; do
		run -0 plan $f
		assert_line --index 0 --regexp '^SEARCH c USING INDEX conversations_started \(started_at[<>]'
	done
	run -0 plan --closed
	assert_line --index 0 --regexp '^SEARCH c USING INDEX conversations_(state|closed) \(state=\?'
}

@test "full-text search goes through the FTS5 indexes of messages, notes and headers" {
	examples
	run -0 plan --grep 'parcel AND NOT (colis OR refund)'
	assert_line --regexp 'SCAN messages_fts VIRTUAL TABLE INDEX [0-9]+:M'
	assert_line --regexp 'SCAN notes_fts VIRTUAL TABLE INDEX [0-9]+:M'
	assert_line --regexp 'SCAN conversations_fts VIRTUAL TABLE INDEX [0-9]+:M'
	refute_line --regexp '^ *SCAN (messages|notes)( |$)'
}

@test "chat-stats searches a filter's own index, not every closed conversation's; with none it reads the table" {
	examples
	for f in "--tag after-sales" "--since 2026-11-20" "--operator bruno" \
	    "--closed-since 2026-11-20" "--operator BRUNO" "--channel WhatsApp" \
	    "--visitor-left"; do
		run -0 chat-stats --by tag --explain $f
		refute_line --regexp '^ *SCAN c( |$)'
		assert_line --regexp '^ *SEARCH c USING'
	done
	# The weekly report: a week of starts, not nine closed in ten read
	# through conversations_closed.
	run -0 chat-stats --explain --since 2026-11-20
	assert_line --index 0 "SEARCH c USING INDEX conversations_started (started_at>?)"
	# Nine in ten are closed: reading the table beats looking each up.
	run -0 chat-stats --explain
	assert_line --index 0 "SCAN c"
}

@test "close-time filters search conversations_closed by state and close time" {
	examples
	run -0 plan --closed-since today
	assert_line --index 0 "SEARCH c USING INDEX conversations_closed (state=? AND closed_at>?)"
	run -0 plan --closed-since 2026-11-20 --closed-until 2026-11-21 --closed
	assert_line --index 0 "SEARCH c USING INDEX conversations_closed (state=? AND closed_at>? AND closed_at<?)"
	run -0 chat-stats --explain --closed-until 2026-11-21
	assert_line --regexp '^ *SEARCH c USING INDEX conversations_closed \(state=\? AND closed_at<\?\)$'
}

@test "--visitor-left searches its partial index" {
	examples
	run -0 plan --visitor-left
	assert_line --index 0 "SEARCH c USING INDEX conversations_left (visitor_left_at>?)"
}

@test "channel and operator are searched case-insensitively by their indexes" {
	examples
	for f in "--channel WhatsApp" "--social"; do
		run -0 plan $f
		assert_line --index 0 "SEARCH c USING INDEX conversations_channel (channel=?)"
	done
	run -0 plan --operator ALICE
	assert_line --index 0 "SEARCH c USING INDEX conversations_operator (operator=?)"
	assert_equal "$(chat-history --channel WhatsApp --count)" 5
	assert_equal "$(chat-history --operator ALICE --count)" 10
}

@test "a version 5 database gains conversations_closed, and channel and operator indexes that ignore case" {
	examples
	sql "DROP INDEX conversations_closed;
	    DROP INDEX conversations_channel;
	    CREATE INDEX conversations_channel ON conversations (channel, started_at);
	    DROP INDEX conversations_operator;
	    CREATE INDEX conversations_operator ON conversations (operator, started_at);
	    $BEFORE_7
	    UPDATE meta SET value = '5' WHERE key = 'schema_version';
	    PRAGMA user_version = 5"
	run -0 chat-history --count
	assert_output 30
	assert_equal "$(sql 'PRAGMA user_version')" "$SCHEMA_VERSION"
	assert_equal "$(sql "SELECT value FROM meta WHERE key = 'schema_version'")" "$SCHEMA_VERSION"
	run -0 sql "SELECT sql FROM sqlite_schema WHERE name IN ('conversations_channel', 'conversations_operator') ORDER BY name"
	assert_output "CREATE INDEX conversations_channel ON conversations  (channel COLLATE NOCASE, started_at)
CREATE INDEX conversations_operator ON conversations  (operator COLLATE NOCASE, started_at)"
	run -0 plan --closed-since 2026-11-20
	assert_line --index 0 "SEARCH c USING INDEX conversations_closed (state=? AND closed_at>?)"
	run -0 plan --channel WhatsApp
	assert_line --index 0 "SEARCH c USING INDEX conversations_channel (channel=?)"
	run -0 sql "PRAGMA integrity_check"
	assert_output ok
}

@test "--explain prints a plan and touches nothing" {
	examples
	before=$(dump)
	run -0 chat-history --explain --tag x
	assert_line --index 0 --partial "SEARCH c"
	assert_equal "$(dump)" "$before"
}

@test "writing a conversation, message or delivery builds no temporary b-tree for its checks" {
	# SQLite 3.40 builds one per row for a CHECK (x IN (a, b, c)): a third
	# of a batch close (schema step 2).
	examples
	for w in "UPDATE conversations SET state = 'closed', closed_at = 1, closed_by = 'operator' WHERE id = 1" \
	    "INSERT INTO messages (conversation, at, author, body) VALUES (1, 1, 'visitor', 'x')" \
	    "UPDATE deliveries SET state = 'sent'"; do
		run -0 sql "EXPLAIN $w"
		refute_output --partial OpenEphemeral
	done
	run -19 sql "UPDATE conversations SET state = 'gone' WHERE id = 1"
	run -19 sql "UPDATE conversations SET state = 'closed', closed_at = 1, closed_by = 'nobody' WHERE id = 1"
	run -19 sql "INSERT INTO messages (conversation, at, author, body) VALUES (1, 1, 'nobody', 'x')"
	run -0 sql "INSERT INTO messages (conversation, at, author, body) VALUES (1, 1, 'bot', 'x')"
}
