#!/usr/bin/env bats
# Query plans: every filter that an index can serve is served by one, not
# by a scan of all conversations.

load helper

plan() {
	chat-history --explain "$@"
}

@test "every indexable chat-history filter searches an index" {
	examples
	for f in "--closed --untagged" "--open" "--parked" "--tag after-sales" \
	    "--since 2026-11-20" "--since 2026-11-20 --until 2026-11-21" \
	    "--forgotten" "--grep parcel" "--operator alice" "--channel whatsapp" \
	    "--social" "--idle 1h" "--unrated --closed" "--no-note --open"; do
		run -0 plan $f
		assert_line --index 0 --regexp '^SEARCH c USING (INDEX|INTEGER PRIMARY KEY)'
		refute_line --regexp '^SCAN c( |$)'
	done
}

@test "full-text search goes through the FTS5 indexes of messages, notes and headers" {
	examples
	run -0 plan --grep 'parcel AND NOT (colis OR refund)'
	assert_line --regexp 'SCAN messages_fts VIRTUAL TABLE INDEX [0-9]+:M'
	assert_line --regexp 'SCAN notes_fts VIRTUAL TABLE INDEX [0-9]+:M'
	assert_line --regexp 'SCAN conversations_fts VIRTUAL TABLE INDEX [0-9]+:M'
	refute_line --regexp '^ *SCAN (messages|notes)( |$)'
}

@test "chat-stats searches closed conversations by index, tag filters too" {
	examples
	for f in "" "--tag after-sales" "--since 2026-11-20" "--operator bruno"; do
		run -0 chat-stats --by tag --explain $f
		refute_line --regexp '^ *SCAN c( |$)'
		assert_line --regexp '^ *SEARCH c USING'
	done
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
