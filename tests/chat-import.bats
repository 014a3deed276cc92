#!/usr/bin/env bats
# chat-import: NDJSON events in.

load helper

@test "imports the examples and prints each conversation id once" {
	run -0 chat-import "$EXAMPLES"
	assert_equal "${#lines[@]}" 30
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" 30
	assert_equal "$(sql 'SELECT count(*) FROM conversations')" 30
	assert_equal "$(sql 'SELECT count(*) FROM messages')" \
		"$(grep -c '"author"' "$EXAMPLES")"
}

@test "re-importing the same file changes nothing and prints nothing" {
	chat-import "$EXAMPLES" >/dev/null
	before=$(dump)
	run -0 chat-import "$EXAMPLES"
	assert_output ""
	assert_equal "$(dump)" "$before"
}

# bats test_tags=sqlite
@test "the database is created private: file 0600, new directories 0700" {
	unset CHAT_DB
	msg A 2026-11-23T10:00:00Z visitor hi | chat-import -q
	db=$HOME/.local/share/chat-tools/chat.db
	assert_file_exists "$db"
	assert_equal "$(stat -c %a "$db")" 600
	assert_equal "$(stat -c %a "$HOME/.local/share/chat-tools")" 700
	assert_equal "$(stat -c %a "$HOME/.local/share")" 700
}

@test "XDG_DATA_HOME, CHAT_DB, config db and --db are taken in that order" {
	export XDG_DATA_HOME=$BATS_TEST_TMPDIR/xdg
	mkdir -p "$HOME/.config/chat-tools"
	echo "db: $BATS_TEST_TMPDIR/conf.db" >"$HOME/.config/chat-tools/config.yaml"
	unset CHAT_DB
	msg A 2026-11-23T10:00:00Z visitor hi | chat-import -q
	assert_file_exists "$BATS_TEST_TMPDIR/conf.db"
	rm "$HOME/.config/chat-tools/config.yaml"
	msg B 2026-11-23T10:00:00Z visitor hi | chat-import -q
	assert_file_exists "$XDG_DATA_HOME/chat-tools/chat.db"
	msg C 2026-11-23T10:00:00Z visitor hi | CHAT_DB=$BATS_TEST_TMPDIR/env.db chat-import -q
	assert_file_exists "$BATS_TEST_TMPDIR/env.db"
	msg D 2026-11-23T10:00:00Z visitor hi |
		CHAT_DB=$BATS_TEST_TMPDIR/env.db chat-import -q --db "$BATS_TEST_TMPDIR/flag.db"
	assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/flag.db" 'SELECT ref FROM conversations')" D
	assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/env.db" 'SELECT ref FROM conversations')" C
}

@test "messages are deduplicated by id, and without id by time, author and text" {
	{
		msg A 2026-11-23T10:00:00Z visitor hello m1
		msg A 2026-11-23T10:00:05Z visitor "hello again" m1
		msg A 2026-11-23T10:01:00Z operator "no id"
		msg A 2026-11-23T10:01:00Z operator "no id"
		msg A 2026-11-23T10:01:00Z operator "other text"
		msg A 2026-11-23T10:01:00Z visitor "no id"
	} | chat-import -q
	assert_equal "$(sql 'SELECT count(*) FROM messages')" 4
	assert_equal "$(sql "SELECT body FROM messages WHERE ref = 'm1'")" hello
}

@test "conversation fields fill in and update; only changed ones are printed" {
	chat-import -q <<-'EOF'
	{"conversation":"A","channel":"whatsapp","visitor":"Jane","at":"2026-11-23T10:00:00Z","author":"visitor","text":"hi"}
	{"conversation":"B","at":"2026-11-23T10:00:00Z","author":"visitor","text":"hi"}
	EOF
	run -0 chat-import <<-'EOF'
	{"conversation":"A","visitor_email":"jane@example.com","operator":"bob","at":"2026-11-23T10:00:00Z","type":"assign"}
	{"conversation":"B","at":"2026-11-23T10:00:00Z","author":"visitor","text":"hi"}
	EOF
	assert_output 1
	run -0 sql "SELECT channel, visitor, visitor_email, operator FROM conversations WHERE ref = 'A'"
	assert_output "whatsapp|Jane|jane@example.com|bob"
	assert_equal "$(sql "SELECT channel FROM conversations WHERE ref = 'B'")" chat
}

@test "start and last activity follow the messages, in any order" {
	{
		msg A 2026-11-23T10:05:00Z visitor second
		msg A 2026-11-23T10:00:00Z visitor first
		msg A 2026-11-23T10:09:00Z operator last
	} | chat-import -q
	run -0 sql "SELECT started_at, last_activity_at FROM conversations"
	assert_output "$(date -d 2026-11-23T10:00:00Z +%s)|$(date -d 2026-11-23T10:09:00Z +%s)"
}

# The first visitor message and the first operator message at or after it,
# worked out from the messages by SQL of its own.
FIRSTS="SELECT c.ref, (SELECT min(at) FROM messages WHERE conversation = c.id
	  AND author = 'visitor') AS v, (SELECT min(o.at) FROM messages o
	  WHERE o.conversation = c.id AND o.author = 'operator' AND o.at >=
	  (SELECT min(at) FROM messages WHERE conversation = c.id
	  AND author = 'visitor')) FROM conversations c ORDER BY c.id"

@test "the first visitor message and the first response to it are kept on the conversation, whatever the order" {
	t() { date -d "2026-11-23T$1Z" +%s; }
	{
		msg A 10:05:00 visitor late-hello
		msg A 10:06:00 operator answer
		msg B 09:59:00 operator greeting
		msg B 10:00:00 bot menu
		msg B 10:01:00 visitor question
	} | sed 's/"at":"/"at":"2026-11-23T/; s/","author"/Z","author"/' |
	    chat-import -q
	run -0 sql "SELECT ref, first_visitor_at, first_response_at FROM conversations ORDER BY id"
	# B: a greeting before the visitor wrote and a bot answer none
	assert_output "A|$(t 10:05:00)|$(t 10:06:00)
B|$(t 10:01:00)|"
	# Later, in another batch: an earlier visitor message makes an earlier
	# operator message the response; B is answered.
	{
		msg A 10:02:00 operator early-answer
		msg A 10:00:00 visitor early-hello
		msg B 10:01:00 operator same-second
	} | sed 's/"at":"/"at":"2026-11-23T/; s/","author"/Z","author"/' |
	    chat-import -q
	run -0 sql "SELECT ref, first_visitor_at, first_response_at FROM conversations ORDER BY id"
	assert_output "A|$(t 10:00:00)|$(t 10:02:00)
B|$(t 10:01:00)|$(t 10:01:00)"
}

@test "lines shuffled and imported in several batches keep the same firsts and the same report as in order" {
	"$TOP/scripts/gen-data" -n 400 -m 500 >"$BATS_TEST_TMPDIR/in-order"
	shuf --random-source=<(yes) "$BATS_TEST_TMPDIR/in-order" |
	    split -l 150 - "$BATS_TEST_TMPDIR/part."
	for f in "$BATS_TEST_TMPDIR"/part.*; do
		chat-import -q "$f"
	done
	run -0 sql "SELECT ref, first_visitor_at, first_response_at FROM conversations ORDER BY id"
	stored=$output
	run -0 sql "$FIRSTS"
	assert_equal "$stored" "$output"
	# A conversation of one message has no answer: NULLs are tested too.
	[ "$(sql 'SELECT count(*) FROM conversations WHERE first_response_at IS NULL')" -gt 0 ]
	sql "UPDATE conversations SET state = 'closed', closed_at = last_activity_at, closed_by = 'operator'"
	shuffled=$(chat-stats --by operator -o json)
	CHAT_DB=$BATS_TEST_TMPDIR/ordered.db chat-import -q "$BATS_TEST_TMPDIR/in-order"
	sqlite3 "$BATS_TEST_TMPDIR/ordered.db" "UPDATE conversations SET state = 'closed', closed_at = last_activity_at, closed_by = 'operator'"
	run -0 env CHAT_DB="$BATS_TEST_TMPDIR/ordered.db" chat-stats --by operator -o json
	assert_equal "$shuffled" "$output"
	assert_output --partial '"first_response_median":'
	refute_output --partial '"first_response_median":null'
}

# bats test_tags=sqlite
@test "a version 6 database gains first_visitor_at and first_response_at, filled from its messages" {
	examples
	msg Q 2026-11-23T10:00:00Z visitor unanswered | chat-import -q
	run -0 sql "$FIRSTS"
	want=$output
	sql "$BEFORE_7
	    UPDATE meta SET value = '6' WHERE key = 'schema_version';
	    PRAGMA user_version = 6"
	run -0 chat-history --count
	assert_equal "$(sql 'PRAGMA user_version')" "$SCHEMA_VERSION"
	run -0 sql "SELECT ref, first_visitor_at, first_response_at FROM conversations ORDER BY id"
	assert_equal "$output" "$want"
	[ "$(sql 'SELECT count(*) FROM conversations WHERE first_response_at NOT NULL')" -gt 1 ]
	assert_equal "$(sql "SELECT first_visitor_at NOT NULL AND first_response_at IS NULL FROM conversations WHERE ref = 'Q'")" 1
}

@test "visitor_left and assign are recorded, with events" {
	msg A 2026-11-23T10:00:00Z visitor hi | chat-import -q
	chat-import -q <<-'EOF'
	{"conversation":"A","type":"assign","operator":"carol","at":"2026-11-23T10:01:00Z"}
	{"conversation":"A","type":"visitor_left","at":"2026-11-23T10:20:00Z"}
	EOF
	run -0 sql "SELECT operator, visitor_left_at - started_at, last_activity_at - started_at FROM conversations"
	assert_output "carol|1200|1200"
	run -0 sql "SELECT action || ':' || coalesce(detail, '') FROM events ORDER BY id"
	assert_output "imported:A
assigned:carol
visitor_left:"
}

@test "an event that changes nothing is no change: no event, no id printed" {
	msg A 2026-11-23T10:00:00Z visitor hi | chat-import -q
	chat-import -q <<-'EOF'
	{"conversation":"A","type":"assign","operator":"carol","at":"2026-11-23T10:01:00Z"}
	{"conversation":"A","type":"visitor_left","at":"2026-11-23T10:20:00Z"}
	EOF
	run -0 chat-import <<-'EOF'
	{"conversation":"A","type":"assign","operator":"carol","at":"2026-11-23T10:02:00Z"}
	{"conversation":"A","type":"visitor_left","at":"2026-11-23T10:10:00Z"}
	{"conversation":"A","type":"visitor_left","at":"2026-11-23T10:20:00Z"}
	{"conversation":"A","channel":"chat","at":"2026-11-23T10:00:00Z","author":"visitor","text":"hi"}
	EOF
	assert_output ""
	run -0 sql "SELECT count(*), max(action) FROM events WHERE action <> 'imported'"
	assert_output "2|visitor_left"
	run -0 chat-import <<-'EOF'
	{"conversation":"A","type":"visitor_left","at":"2026-11-23T10:30:00Z"}
	EOF
	assert_output 1
	run -0 sql "SELECT visitor_left_at - started_at FROM conversations"
	assert_output 1800
}

@test "an assignment changes the operator only when newer than the one in force, with an event" {
	msg A 2026-11-23T10:00:00Z visitor hi | chat-import -q
	f=$BATS_TEST_TMPDIR/late.ndjson
	cat >"$f" <<-'EOF'
	{"conversation":"A","type":"assign","operator":"carol","at":"2026-11-23T10:05:00Z"}
	{"conversation":"A","type":"assign","operator":"alice","at":"2026-11-23T10:01:00Z"}
	{"conversation":"A","operator":"bob","at":"2026-11-23T10:07:00Z","author":"operator","text":"bob here"}
	{"conversation":"A","operator":"alice","at":"2026-11-23T10:06:00Z","author":"operator","text":"alice here"}
	{"conversation":"A","type":"assign","operator":"bob","at":"2026-11-23T10:09:00Z"}
	{"conversation":"A","type":"assign","operator":"carol","at":"2026-11-23T10:08:00Z"}
	EOF
	run -0 chat-import "$f"
	assert_output 1
	assert_equal "$(sql 'SELECT operator FROM conversations')" bob
	run -0 sql "SELECT $(time_sql at %H:%M) || ' ' || action || ' ' || coalesce(detail, '') FROM events ORDER BY id"
	assert_output "$(date +%H:%M) imported A
10:05 assigned carol
10:07 assigned bob"
	before=$(dump)
	run -0 chat-import "$f"
	assert_output ""
	assert_equal "$(dump)" "$before"
}

@test "a visitor message after the close keeps it closed and records message_after_close once" {
	f=$BATS_TEST_TMPDIR/after.ndjson
	{
		msg A 2026-11-23T10:00:00Z visitor hi
		msg A 2026-11-23T10:05:00Z operator bye
	} | chat-import -q
	chat-close -q --at last 1
	{
		msg A 2026-11-23T10:04:00Z visitor "sent before the close"
		msg A 2026-11-23T10:20:00Z operator "operator after the close"
		msg A 2026-11-23T10:30:00Z visitor "one more thing" m9
	} >"$f"
	run -0 chat-import "$f"
	assert_output 1
	run -0 sql "SELECT state, closed_at - started_at, last_activity_at - started_at FROM conversations"
	assert_output "closed|300|1800"
	run -0 sql "SELECT $(time_sql at %H:%M) || ' ' || detail FROM events WHERE action = 'message_after_close'"
	assert_output "10:30 m9"
	run -0 chat-import "$f"
	assert_output ""
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'message_after_close'")" 1
}

@test "an imported event names the actor: --as, then CHAT_OPERATOR" {
	msg A 2026-11-23T10:00:00Z visitor hi | chat-import -q --as ops-bot
	msg B 2026-11-23T10:00:00Z visitor hi | chat-import -q
	run -0 sql "SELECT actor FROM events WHERE action = 'imported' ORDER BY id"
	assert_output "ops-bot
tester"
}

@test "conversation may be a number; at may be Unix seconds or RFC 3339 with an offset" {
	chat-import -q <<-'EOF'
	{"conversation":1002,"at":1795392000,"author":"visitor","text":"a"}
	{"conversation":"X","at":"2026-11-23T02:00:00+02:00","author":"visitor","text":"b"}
	EOF
	run -0 sql "SELECT ref, started_at FROM conversations ORDER BY id"
	assert_output "1002|1795392000
X|1795392000"
}

@test "a ref given as a JSON number is kept as its digits, never rounded; a fraction or exponent is 65" {
	f=$BATS_TEST_TMPDIR/numbers.ndjson
	cat >"$f" <<-'EOF'
	{"conversation":18446744073709551615,"author":"visitor","text":"a"}
	{"conversation":18446744073709551614,"author":"visitor","text":"b","id":99999999999999999999999}
	{"conversation":-0,"author":"visitor","text":"c"}
	{"conversation":1.5,"author":"visitor","text":"d"}
	{"conversation":"X","author":"visitor","text":"e","id":1e3}
	EOF
	run -65 chat-import -q "$f"
	assert_output "chat-import: $f:4: conversation: expected a string or an integer
chat-import: $f:5: id: expected a string or an integer"
	run -0 sql "SELECT c.ref, m.ref FROM conversations c JOIN messages m ON m.conversation = c.id ORDER BY c.id"
	assert_output "18446744073709551615|
18446744073709551614|99999999999999999999999
-0|"
}

@test "an escaped surrogate that is not half of a pair is refused (65); a pair is its character" {
	f=$BATS_TEST_TMPDIR/surrogates.ndjson
	cat >"$f" <<-'EOF'
	{"conversation":"A","author":"visitor","text":"lone \ud83d high"}
	{"conversation":"A","author":"visitor","text":"lone \ude00 low"}
	{"conversation":"A","author":"visitor","text":"\ude00\ud83d reversed"}
	{"conversation":"A","visitor":"Eve \ud83d","author":"visitor","text":"hi"}
	{"conversation":"\udfff","author":"visitor","text":"hi"}
	{"conversation":"B","author":"visitor","text":"smile \ud83d\ude00"}
	EOF
	run -65 chat-import -q "$f"
	assert_output "chat-import: $f:1: text: a \\uD800-\\uDFFF escape that is not half of a surrogate pair
chat-import: $f:2: text: a \\uD800-\\uDFFF escape that is not half of a surrogate pair
chat-import: $f:3: text: a \\uD800-\\uDFFF escape that is not half of a surrogate pair
chat-import: $f:4: visitor: a \\uD800-\\uDFFF escape that is not half of a surrogate pair
chat-import: $f:5: conversation: a \\uD800-\\uDFFF escape that is not half of a surrogate pair"
	run -0 sql "SELECT c.ref, hex(body) FROM messages m JOIN conversations c ON c.id = m.conversation"
	assert_output "B|$(printf 'smile \360\237\230\200' | xxd -p -u)"
}

@test "a control character in a one-line field is refused (65) naming the field; a text keeps them" {
	f=$BATS_TEST_TMPDIR/controls.ndjson
	cat >"$f" <<-'EOF'
	{"conversation":"A","visitor":"Eve\r\nBcc: evil@example.com","author":"visitor","text":"hi"}
	{"conversation":"A","visitor_email":"eve@example.com\n","author":"visitor","text":"hi"}
	{"conversation":"A","operator":"al\tice","author":"visitor","text":"hi"}
	{"conversation":"A","channel":"chat\u007f","author":"visitor","text":"hi"}
	{"conversation":"A\u001b[2J","author":"visitor","text":"hi"}
	{"conversation":"A","name":"M\u009b2J","author":"visitor","text":"hi"}
	{"conversation":"A","id":"m\u0085","author":"visitor","text":"hi"}
	{"conversation":"A","type":"assign","operator":"bob\u001b"}
	{"conversation":"B","author":"visitor","name":"Zoë","text":"line\r\n\tand \u001b[2J\u009b"}
	EOF
	run -65 chat-import -q "$f"
	assert_output "chat-import: $f:1: visitor: control character U+000D in a one-line field
chat-import: $f:2: visitor_email: control character U+000A in a one-line field
chat-import: $f:3: operator: control character U+0009 in a one-line field
chat-import: $f:4: channel: control character U+007F in a one-line field
chat-import: $f:5: conversation: control character U+001B in a one-line field
chat-import: $f:6: name: control character U+009B in a one-line field
chat-import: $f:7: id: control character U+0085 in a one-line field
chat-import: $f:8: operator: control character U+001B in a one-line field"
	run -0 sql "SELECT c.ref, name, hex(body) FROM messages m JOIN conversations c ON c.id = m.conversation"
	assert_output "B|Zoë|$(printf 'line\r\n\tand \033[2J\302\233' | xxd -p -u)"
}

@test "a line without at is stamped now" {
	before=$(date +%s)
	echo '{"conversation":"A","author":"visitor","text":"hi"}' | chat-import -q
	at=$(sql 'SELECT at FROM messages')
	[ "$at" -ge "$before" ] && [ "$at" -le "$(date +%s)" ]
}

@test "a time up to 5 minutes ahead is taken as now; further ahead is refused with 65" {
	soon=$(date -u -d "@$(( $(date +%s) + 120 ))" +%Y-%m-%dT%H:%M:%SZ)
	later=$(date -u -d "@$(( $(date +%s) + 600 ))" +%Y-%m-%dT%H:%M:%SZ)
	before=$(date +%s)
	run -0 chat-import -q < <(msg A "$soon" visitor soon)
	at=$(sql 'SELECT at FROM messages')
	[ "$at" -ge "$before" ] && [ "$at" -le "$(date +%s)" ]
	assert_equal "$(sql 'SELECT CAST(started_at = at AND last_activity_at = at AS INTEGER) FROM conversations CROSS JOIN messages')" 1
	run -65 chat-import -q < <(msg A "$later" visitor later; msg B "$later" visitor later)
	assert_output "chat-import: stdin:1: at: more than 300 seconds in the future
chat-import: stdin:2: at: more than 300 seconds in the future"
	assert_equal "$(sql 'SELECT count(*) FROM messages')" 1
	assert_equal "$(sql 'SELECT count(*) FROM conversations')" 1
}

@test "malformed lines are reported with file and line, skipped, exit 65; the rest is committed" {
	f=$BATS_TEST_TMPDIR/bad.ndjson
	{
		msg A 2026-11-23T10:00:00Z visitor ok1
		echo 'not json'
		echo '[1, 2]'
		echo '{"author":"visitor","text":"no conversation"}'
		echo '{"conversation":"B","author":"nobody","text":"x"}'
		echo '{"conversation":"B","author":"visitor"}'
		echo '{"conversation":"B","type":"shout"}'
		echo '{"conversation":"B","at":"yesterday-ish","author":"visitor","text":"x"}'
		echo '{"conversation":"B","at":-5,"author":"visitor","text":"x"}'
		echo '{"conversation":{"id":1},"author":"visitor","text":"x"}'
		echo '{"conversation":"B","author":"visitor","text":42}'
		echo '{"conversation":"B","type":"assign"}'
		printf '{"conversation":"B","author":"visitor","text":"\xff"}\n'
		printf '{"conversation":"B","author":"visitor","text":"a\0b"}\n'
		echo '{"conversation":"","author":"visitor","text":"x"}'
		msg C 2026-11-23T10:00:00Z visitor ok2
	} >"$f"
	run -65 chat-import "$f"
	assert_output --partial "bad.ndjson:2: malformed JSON"
	assert_output --partial "bad.ndjson:3: not a JSON object"
	assert_output --partial "bad.ndjson:4: conversation: missing"
	assert_output --partial "bad.ndjson:5: author: expected visitor, operator, bot or system"
	assert_output --partial "bad.ndjson:6: text: missing"
	assert_output --partial "bad.ndjson:7: type: expected message, visitor_left, assign, update, close, park, reopen, note, edit, tag, untag or tags"
	assert_output --partial "bad.ndjson:8: at: not a time"
	assert_output --partial "bad.ndjson:9: at: time out of range"
	assert_output --partial "bad.ndjson:10: conversation: expected a string or an integer"
	assert_output --partial "bad.ndjson:11: text: expected a string"
	assert_output --partial "bad.ndjson:12: operator: missing"
	assert_output --partial "bad.ndjson:13: not valid UTF-8"
	assert_output --partial "bad.ndjson:14: contains a NUL byte"
	assert_output --partial "bad.ndjson:15: conversation: expected a non-empty string"
	assert_equal "$(sql 'SELECT group_concat(ref) FROM conversations')" "A,C"
}

@test "CRLF line ends, blank lines and unknown fields are fine" {
	printf '%s\r\n\r\n   \n%s\n' \
		'{"conversation":"A","at":1795392000,"author":"visitor","text":"hi","platform_x":{"a":1}}' \
		'{"conversation":"A","at":1795392001,"author":"bot","text":"bye"}' |
		chat-import -q
	assert_equal "$(sql "SELECT group_concat(body, '|') FROM messages")" "hi|bye"
}

@test "stdin is read when no file is given, and as -; errors name stdin" {
	echo 'oops' | run -65 chat-import
	msg A 2026-11-23T10:00:00Z visitor hi >"$BATS_TEST_TMPDIR/a.ndjson"
	run -65 chat-import "$BATS_TEST_TMPDIR/a.ndjson" - <<<'oops'
	assert_line --index 0 1
	assert_line --index 1 "chat-import: stdin:1: malformed JSON"
}

@test "a missing file is a usage error before anything is written" {
	msg A 2026-11-23T10:00:00Z visitor hi >"$BATS_TEST_TMPDIR/a.ndjson"
	run -2 chat-import "$BATS_TEST_TMPDIR/a.ndjson" "$BATS_TEST_TMPDIR/nope.ndjson"
	assert_output --partial "nope.ndjson: No such file or directory"
	assert_no_db
}

@test "--help lists every option, the common ones included" {
	run -0 chat-import --help
	assert_line --index 0 --partial "usage: chat-import"
	help_lists_every_option chat-import
}

@test "-q prints no ids; bad options and a terminal on stdin are usage errors" {
	run -0 chat-import -q "$EXAMPLES"
	assert_output ""
	run -2 chat-import --bogus
	assert_output --partial "usage: chat-import"
	run -2 on_tty chat-import
	assert_output --partial "no input"
	run -0 chat-import --help
	assert_output --partial "usage: chat-import"
	run -0 chat-import --version
	assert_output --regexp "^chat-import [0-9]+\.[0-9]+"
}

# bats test_tags=sqlite
@test "another application's SQLite file is refused with 74 and left unchanged" {
	sqlite3 "$CHAT_DB" "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT); INSERT INTO photos VALUES (1, 'a.jpg')"
	before=$(sha256sum <"$CHAT_DB")
	run -74 chat-import "$EXAMPLES"
	assert_output --partial "not a chat-tools database"
	assert_equal "$(sha256sum <"$CHAT_DB")" "$before"
	run -74 chat-history
}

# bats test_tags=sqlite
@test "a file that is not a database at all is refused with 74" {
	head -c 8192 /dev/urandom >"$CHAT_DB"
	run -74 chat-import "$EXAMPLES"
	assert_output --partial "$CHAT_DB"
	run -74 chat-history --count
}

# bats test_tags=sqlite
@test "a version 1 database is brought to the current version in place: its rows, and the same rules without an IN list" {
	examples
	chat-close -q -t billing 1
	# Version 2 is this schema without conversations_fts and assigned_at;
	# version 1 is version 2 with the checks spelt as IN lists.
	sql "DROP TABLE conversations_fts;
	    PRAGMA writable_schema = ON;
	    UPDATE sqlite_schema SET sql = replace(replace(sql,
	      'state = ''open'' OR state = ''parked'' OR state = ''closed''',
	      'state IN (''open'', ''parked'', ''closed'')'),
	      'closed_by = ''operator'' OR closed_by = ''visitor'' OR closed_by = ''system''',
	      'closed_by IN (''operator'', ''visitor'', ''system'')')
	      WHERE name = 'conversations';
	    UPDATE sqlite_schema SET sql = replace(sql,
	      'author = ''visitor'' OR author = ''operator'' OR author = ''bot'' OR author = ''system''',
	      'author IN (''visitor'', ''operator'', ''bot'', ''system'')')
	      WHERE name = 'messages';
	    UPDATE sqlite_schema SET sql = replace(sql,
	      'state = ''pending'' OR state = ''sent'' OR state = ''failed''',
	      'state IN (''pending'', ''sent'', ''failed'')')
	      WHERE name = 'deliveries';
	    PRAGMA writable_schema = OFF;
	    ALTER TABLE conversations DROP COLUMN assigned_at;
	    $BEFORE_7
	    UPDATE meta SET value = '1' WHERE key = 'schema_version';
	    PRAGMA user_version = 1"
	assert_equal "$(sql "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%CHECK (% IN (%'")" 3
	before=$(sql "SELECT count(*), total(length(body)) FROM messages; SELECT group_concat(id || state, ' ') FROM conversations; SELECT count(*) FROM events")
	cookie=$(sql 'PRAGMA schema_version')
	run -0 chat-history --count
	assert_equal "$(sql 'PRAGMA user_version')" "$SCHEMA_VERSION"
	assert_equal "$(sql "SELECT value FROM meta WHERE key = 'schema_version'")" "$SCHEMA_VERSION"
	assert_equal "$(sql "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%CHECK (% IN (%'")" 0
	[ "$(sql 'PRAGMA schema_version')" -gt "$cookie" ]
	assert_equal "$(sql "SELECT count(*), total(length(body)) FROM messages; SELECT group_concat(id || state, ' ') FROM conversations; SELECT count(*) FROM events")" "$before"
	run -0 sql "PRAGMA integrity_check; PRAGMA foreign_key_check"
	assert_output ok
	run -19 sql "UPDATE conversations SET state = 'gone' WHERE id = 2"
	run -0 chat-close -q 2
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 2")" closed
}

# bats test_tags=sqlite
@test "a version 2 database gains assigned_at: the latest assigned event, else the start" {
	examples
	chat-import -q <<-'EOF'
	{"conversation":"B","operator":"dan","at":"2026-11-23T10:00:00Z","author":"visitor","text":"hi"}
	{"conversation":"B","type":"assign","operator":"erin","at":"2026-11-23T10:01:00Z"}
	{"conversation":"B","operator":"dan","at":"2026-11-23T10:02:00Z","author":"operator","text":"back"}
	{"conversation":"C","at":"2026-11-23T10:00:00Z","author":"visitor","text":"hi"}
	EOF
	# Version 2 recorded no event when a message line changed the operator.
	sql "DELETE FROM events WHERE action = 'assigned' AND detail = 'dan';
	    DROP TABLE conversations_fts;
	    ALTER TABLE conversations DROP COLUMN assigned_at;
	    $BEFORE_7
	    UPDATE meta SET value = '2' WHERE key = 'schema_version';
	    PRAGMA user_version = 2"
	before=$(sql "SELECT group_concat(id || state || operator, ' ') FROM conversations; SELECT count(*) FROM events")
	run -0 chat-history --count
	assert_equal "$(sql 'PRAGMA user_version')" "$SCHEMA_VERSION"
	assert_equal "$(sql "SELECT value FROM meta WHERE key = 'schema_version'")" "$SCHEMA_VERSION"
	assert_equal "$(sql "SELECT group_concat(id || state || operator, ' ') FROM conversations; SELECT count(*) FROM events")" "$before"
	# IA-1001 was assigned to alice at 08:32:01; B's dan has no event of
	# his own (erin's is not his), C has no operator.
	run -0 sql "SELECT ref, operator, coalesce(strftime('%H:%M:%S', assigned_at, 'unixepoch'), '-') FROM conversations WHERE ref IN ('IA-1001', 'B', 'C') ORDER BY id"
	assert_output "IA-1001|alice|08:32:01
B|dan|10:00:00
C||-"
	chat-import -q <<-'EOF'
	{"conversation":"IA-1001","type":"assign","operator":"bruno","at":"2026-11-16T08:32:00Z"}
	{"conversation":"C","type":"assign","operator":"carol","at":"2026-11-23T09:00:00Z"}
	EOF
	run -0 sql "SELECT operator FROM conversations WHERE ref IN ('IA-1001', 'C') ORDER BY id"
	assert_output "alice
carol"
}

# bats test_tags=sqlite
@test "a database from a newer chat-tools is refused with 74" {
	chat-import -q "$EXAMPLES"
	sql 'PRAGMA user_version = 999'
	run -74 chat-import "$EXAMPLES"
	assert_output --partial "schema version 999 is newer"
}

# bats test_tags=sqlite
@test "the schema is whole, STRICT and at the current version with a database id" {
	msg A 2026-11-23T10:00:00Z visitor hi | chat-import -q
	assert_equal "$(sql 'PRAGMA user_version')" "$SCHEMA_VERSION"
	assert_equal "$(sql "SELECT value FROM meta WHERE key = 'schema_version'")" "$SCHEMA_VERSION"
	assert_equal "$(sql 'PRAGMA journal_mode')" wal
	for t in meta conversations messages tags conversation_tags notes ratings deliveries events marks; do
		sql "SELECT sql FROM sqlite_schema WHERE name = '$t'" | grep -q STRICT
	done
	run -0 sql "SELECT length(value) FROM meta WHERE key = 'database_id'"
	assert_output 32
	run -0 sql "PRAGMA integrity_check; PRAGMA foreign_key_check"
	assert_output ok
}

@test "a config error stops with 78, naming file, line and key" {
	export CHAT_CONFIG=$BATS_TEST_TMPDIR/c.yaml
	printf 'operator: a\ncolour: red\n' >"$CHAT_CONFIG"
	run -78 chat-import "$EXAMPLES"
	assert_output "chat-import: $CHAT_CONFIG:2: colour: unknown key"
	run -78 chat-import -c "$BATS_TEST_TMPDIR/missing.yaml" "$EXAMPLES"
}

@test "a quiet pipe commits at once: tail -f | chat-import shows up live" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	chat-import -q <"$BATS_TEST_TMPDIR/fifo" &
	pid=$!
	exec 7>"$BATS_TEST_TMPDIR/fifo"
	msg A 2026-11-23T10:00:00Z visitor hi >&7
	n=0
	for i in $(seq 50); do
		n=$(chat-history --count 2>/dev/null || true)
		[ "$n" = 1 ] && break
		sleep 0.1
	done
	msg B 2026-11-23T10:00:00Z visitor hi >&7
	exec 7>&-
	wait "$pid"
	assert_equal "$n" 1
	assert_equal "$(chat-history --count)" 2
}

@test "batches of 10,000 lines: kill -9 leaves each batch wholly done or undone" {
	f=$BATS_TEST_TMPDIR/big.ndjson
	awk 'BEGIN { for (i = 1; i <= 40000; i++)
		printf "{\"conversation\":\"C%d\",\"at\":%d,\"author\":\"visitor\",\"id\":\"m%d\",\"text\":\"parcel %d\"}\n", i % 500, 1795392000 + i, i, i }' >"$f"
	chat-import -q "$f" &
	pid=$!
	# A random moment: where the kill falls is what is tested.
	sleep 0.$((RANDOM % 9 + 1))
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" || true
	n=$(sql 'SELECT count(*) FROM messages' 2>/dev/null || echo 0)
	assert_equal "$((n % 10000))" 0
	is_pg || [ "$(sql 'PRAGMA integrity_check')" = ok ] || [ ! -s "$CHAT_DB" ]
	chat-import -q "$f"
	assert_equal "$(sql 'SELECT count(*) FROM messages')" 40000
	assert_equal "$(chat-history --grep parcel --count)" 500
	is_pg || sql "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
}

@test "progress goes to standard error when it is a terminal" {
	awk 'BEGIN { for (i = 1; i <= 20000; i++)
		printf "{\"conversation\":\"C%d\",\"at\":%d,\"author\":\"visitor\",\"text\":\"x\"}\n", i % 50, 1795392000 + i }' >"$BATS_TEST_TMPDIR/p.ndjson"
	run -0 on_tty chat-import -q "$BATS_TEST_TMPDIR/p.ndjson"
	assert_output --partial "20000 lines"
	run -0 chat-import -q "$BATS_TEST_TMPDIR/p.ndjson"
	assert_output ""
}

@test "a statement that fails mid-batch names its own line, sent or not, and undoes the batch" {
	echo '{"conversation":"A","author":"visitor","id":"m0","text":"hello"}' | chat-import -q
	if is_pg; then
		sql "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS
		    \$f\$ BEGIN RAISE EXCEPTION 'boom refused'; END \$f\$;
		    CREATE TRIGGER boom BEFORE INSERT ON messages FOR EACH ROW
		    WHEN (new.body = 'boom') EXECUTE FUNCTION boom()"
	else
		sql "CREATE TRIGGER boom BEFORE INSERT ON messages
		    WHEN new.body = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END"
	fi
	f=$BATS_TEST_TMPDIR/f.ndjson
	for i in 1 2 3 4; do
		echo "{\"conversation\":\"A\",\"author\":\"visitor\",\"id\":\"m$i\",\"text\":\"t$i\"}"
	done >"$f"
	echo '{"conversation":"A","author":"visitor","id":"m5","text":"boom"}' >>"$f"
	echo '{"conversation":"A","author":"visitor","id":"m6","text":' >>"$f"
	echo '{"conversation":"B","author":"visitor","id":"m7","text":"t7"}' >>"$f"
	run -74 chat-import "$f"
	assert_line --partial "adding a message: boom refused"
	assert_line "chat-import: $f:5: not imported; the batch since the last commit is undone"
	refute_output --partial "$f:6"
	assert_equal "$(sql 'SELECT count(*) FROM messages')" 1
	assert_equal "$(sql 'SELECT count(*) FROM conversations')" 1
}

# PostgreSQL's import writes by chunks of 2,000 lines, the results of one
# waited for while the next is read: a failure found then is still the
# line's own.
@test "a statement that fails thousands of lines in names its line, and of a conversation made too" {
	echo '{"conversation":"A","author":"visitor","id":"m0","text":"hello"}' | chat-import -q
	if is_pg; then
		sql "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS
		    \$f\$ BEGIN RAISE EXCEPTION 'boom refused'; END \$f\$;
		    CREATE TRIGGER boom BEFORE INSERT ON messages FOR EACH ROW
		    WHEN (new.body = 'boom') EXECUTE FUNCTION boom();
		    CREATE TRIGGER bang BEFORE INSERT ON conversations FOR EACH ROW
		    WHEN (new.ref = 'bang') EXECUTE FUNCTION boom()"
	else
		sql "CREATE TRIGGER boom BEFORE INSERT ON messages
		    WHEN new.body = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END;
		    CREATE TRIGGER bang BEFORE INSERT ON conversations
		    WHEN new.ref = 'bang' BEGIN SELECT RAISE(ABORT, 'boom refused'); END"
	fi
	f=$BATS_TEST_TMPDIR/f.ndjson
	awk 'BEGIN { for (i = 1; i <= 4500; i++)
		printf "{\"conversation\":\"C%d\",\"author\":\"visitor\",\"text\":\"t%d\"}\n", i % 300, i }' >"$f"
	sed -i '3001s/"text":"t3001"/"text":"boom"/' "$f"
	run -74 chat-import "$f"
	assert_line --partial "adding a message: boom refused"
	assert_line "chat-import: $f:3001: not imported; the batch since the last commit is undone"
	assert_equal "$(sql 'SELECT count(*) FROM messages')" 1
	awk 'BEGIN { for (i = 1; i <= 2500; i++)
		printf "{\"conversation\":\"C%d\",\"author\":\"visitor\",\"text\":\"t%d\"}\n", i, i }' >"$f"
	sed -i '2345s/"conversation":"C2345"/"conversation":"bang"/' "$f"
	run -74 chat-import "$f"
	assert_line --partial "creating a conversation: boom refused"
	assert_line "chat-import: $f:2345: not imported; the batch since the last commit is undone"
	assert_equal "$(sql 'SELECT count(*) FROM conversations')" 1
}

@test "a history: close, reopen, park, notes and edits at their time and by whom; imported again, nothing changes" {
	f=$BATS_TEST_TMPDIR/h.ndjson
	cat >"$f" <<-'EOF2'
	{"conversation":"A","at":"2026-11-20T10:00:00Z","author":"visitor","id":"m1","text":"where is my parcel"}
	{"conversation":"A","at":"2026-11-20T10:01:00Z","author":"operator","id":"m2","text":"looking","operator":"alice"}
	{"conversation":"A","type":"edit","at":"2026-11-20T10:03:00Z","id":"m2","text":"found it in the depot","name":"alice"}
	{"conversation":"A","type":"note","at":"2026-11-20T10:04:00Z","text":"parcel re-sent  \n","name":"alice"}
	{"conversation":"A","type":"close","at":"2026-11-20T10:05:00Z","name":"alice"}
	{"conversation":"A","at":"2026-11-20T10:06:00Z","author":"visitor","id":"m3","text":"thanks"}
	{"conversation":"A","type":"reopen","at":"2026-11-20T10:07:00Z","name":"bob"}
	{"conversation":"A","type":"close","at":"2026-11-20T10:08:00Z","by":"visitor"}
	{"conversation":"B","at":"2026-11-20T11:00:00Z","author":"visitor","text":"hi"}
	{"conversation":"B","type":"close","at":"2026-11-20T11:01:00Z","by":"system"}
	{"conversation":"B","type":"park","at":"2026-11-20T11:02:00Z"}
	EOF2
	run -0 chat-import "$f"
	assert_output "1
2"
	assert_equal "$(sql "SELECT state, closed_at, closed_by FROM conversations ORDER BY id")" \
	    "closed|1795169280|visitor
parked||"
	assert_equal "$(sql "SELECT at, actor, action, coalesce(detail, '') FROM events
	    WHERE action NOT IN ('imported', 'assigned') ORDER BY id")" \
	    "1795168980|alice|edited|m2
1795169040|alice|noted|parcel re-sent
1795169100|alice|closed|by operator at 2026-11-20T10:05:00Z
1795169160|tester|message_after_close|m3
1795169220|bob|reopened|closed
1795169280|tester|closed|by visitor at 2026-11-20T10:08:00Z
1795172460|tester|closed|by system at 2026-11-20T11:01:00Z
1795172520|tester|parked|"
	assert_equal "$(sql "SELECT conversation, at, author, body FROM notes")" \
	    "1|1795169040|alice|parcel re-sent"
	assert_equal "$(chat-history --grep depot -o ids)" 1
	assert_equal "$(chat-history --grep looking --count)" 0
	assert_equal "$(chat-history --closed -o ids)" 1
	assert_equal "$(chat-history --parked -o ids)" 2
	before=$(dump)
	run -0 chat-import "$f"
	assert_output ""
	assert_equal "$(dump)" "$before"
	is_pg || sql "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
}

@test "attachments are lines of a message's text; a message may be its attachments only" {
	cat >"$BATS_TEST_TMPDIR/a.ndjson" <<-'EOF2'
	{"conversation":"A","at":1795392000,"author":"visitor","id":"m1","attachments":[{"name":"photo of box.jpg","url":"https://f.example/1.jpg"},{"url":"https://f.example/2.pdf"}]}
	{"conversation":"A","at":1795392001,"author":"operator","id":"m2","text":"the label","attachments":[{"name":"label.pdf"}]}
	{"conversation":"A","author":"visitor","id":"m3","attachments":{"name":"x"}}
	{"conversation":"A","author":"visitor","id":"m4","attachments":[]}
	{"conversation":"A","author":"visitor","id":"m5","attachments":["x"]}
	{"conversation":"A","author":"visitor","id":"m6","attachments":[{"name":"a\nb"}]}
	{"conversation":"A","author":"visitor","id":"m7","attachments":[{"name":1}]}
	{"conversation":"A","type":"note","text":"n","attachments":[{"name":"x"}]}
	EOF2
	run -65 chat-import -q "$BATS_TEST_TMPDIR/a.ndjson"
	f=$BATS_TEST_TMPDIR/a.ndjson
	assert_output "chat-import: $f:3: attachments: expected an array
chat-import: $f:4: attachments: none in the array
chat-import: $f:5: attachments: expected objects with a name or a url, strings
chat-import: $f:6: attachments: name: control character U+000A in a one-line field
chat-import: $f:7: attachments: expected objects with a name or a url, strings
chat-import: $f:8: attachments: a message's or an edit's only"
	assert_equal "$(sql "SELECT body FROM messages ORDER BY id")" \
	    "Attachment: photo of box.jpg <https://f.example/1.jpg>
Attachment: <https://f.example/2.pdf>
the label
Attachment: label.pdf"
	assert_equal "$(chat-history --grep label.pdf -o ids)" 1
}

@test "a line of history that is wrong is refused with its line and field, the others imported" {
	f=$BATS_TEST_TMPDIR/w.ndjson
	cat >"$f" <<-'EOF2'
	{"conversation":"A","at":1795392000,"author":"visitor","id":"m1","text":"hi"}
	{"conversation":"A","type":"close","by":"robot"}
	{"conversation":"A","type":"park","by":"operator"}
	{"conversation":"A","type":"note","text":" \t\n"}
	{"conversation":"A","type":"edit","text":"x"}
	{"conversation":"A","type":"edit","id":"m1"}
	{"conversation":"A","type":"edit","id":"m9","text":"x"}
	{"conversation":"A","type":"snooze"}
	{"conversation":"A","type":"close","at":1795392100}
	EOF2
	run -65 chat-import -q "$f"
	assert_output "chat-import: $f:2: by: expected operator, visitor or system
chat-import: $f:3: by: a close's only
chat-import: $f:4: text: an empty note
chat-import: $f:5: id: missing (an edit names the message's id)
chat-import: $f:6: text: missing (an edit gives the new text, or attachments)
chat-import: $f:7: id m9: no such message in conversation A; the edit is skipped
chat-import: $f:8: type: expected message, visitor_left, assign, update, close, park, reopen, note, edit, tag, untag or tags"
	assert_equal "$(sql "SELECT state, closed_at, closed_by FROM conversations")" \
	    "closed|1795392100|operator"
}

@test "tag, untag and tags lines: at their time and by whom; tags is the whole set; imported again, nothing changes" {
	f=$BATS_TEST_TMPDIR/t.ndjson
	cat >"$f" <<-'EOF2'
	{"conversation":"A","at":"2026-11-20T10:00:00Z","author":"visitor","id":"m1","text":"hi"}
	{"conversation":"A","type":"tags","at":"2026-11-20T10:01:00Z","tags":["billing","Été"],"name":"alice"}
	{"conversation":"A","type":"tag","at":"2026-11-20T10:02:00Z","tags":"refund"}
	{"conversation":"A","type":"tags","at":"2026-11-20T10:03:00Z","tags":["refund","vip"],"name":"bob"}
	{"conversation":"A","type":"untag","at":"2026-11-20T10:04:00Z","tags":"VIP"}
	{"conversation":"B","at":"2026-11-20T10:00:00Z","author":"visitor","text":"x"}
	{"conversation":"B","type":"tag","at":"2026-11-20T10:05:00Z","tags":"billing"}
	{"conversation":"B","type":"tags","at":"2026-11-20T10:06:00Z","tags":[]}
	{"conversation":"B","type":"tag","tags":[]}
	{"conversation":"B","type":"tag","tags":["a,b"]}
	{"conversation":"B","type":"note","text":"x","tags":"a"}
	{"conversation":"B","type":"tag","tags":"fine,semi;colon"}
	EOF2
	run -65 chat-import "$f"
	assert_output "chat-import: $f:9: tags: none given
chat-import: $f:10: tags: expected tags: strings, not empty, without a comma
chat-import: $f:11: tags: a tag, untag or tags line's only
chat-import: $f:12: tags: 'semi;colon': 1 to 64 letters, digits, spaces or - _ . / :
1
2"
	assert_equal "$(sql "SELECT ct.conversation, t.name, ct.tagged_at, ct.tagged_by
	    FROM conversation_tags ct JOIN tags t ON t.id = ct.tag")" \
	    "1|refund|1795168920|tester"
	assert_equal "$(sql "SELECT at, actor, action, detail FROM events
	    WHERE action LIKE '%tagged' ORDER BY id")" \
	    "1795168860|alice|tagged|billing
1795168860|alice|tagged|Été
1795168920|tester|tagged|refund
1795168980|bob|untagged|billing
1795168980|bob|untagged|Été
1795168980|bob|tagged|vip
1795169040|tester|untagged|vip
1795169100|tester|tagged|billing
1795169160|tester|untagged|billing"
	assert_equal "$(chat-history --tag refund -o ids)" 1
	before=$(dump)
	run -65 chat-import -q "$f"
	assert_equal "$(dump)" "$before"
}

# PostgreSQL reads ahead by chunks of 2,000 lines (a review found these).
@test "re-importing a file of 4,000 messages without ids adds nothing and prints nothing" {
	f=$BATS_TEST_TMPDIR/f.ndjson
	awk 'BEGIN { for (i = 0; i < 4000; i++)
		printf "{\"conversation\":\"C%d\",\"author\":\"visitor\",\"at\":%d,\"text\":\"t%d\"}\n", i % 10, 1700000000 + i, i }' >"$f"
	run -0 chat-import "$f"
	assert_equal "${#lines[@]}" 10
	run -0 chat-import "$f"
	assert_output ""
	assert_equal "$(sql 'SELECT count(*) FROM messages')" 4000
}

@test "a message repeated 2,000 lines later in the same batch is added once" {
	f=$BATS_TEST_TMPDIR/f.ndjson
	awk 'BEGIN { for (i = 0; i < 2000; i++)
		printf "{\"conversation\":\"A\",\"author\":\"visitor\",\"at\":%d,\"text\":\"t\"}\n", 1700000000 + i
		print "{\"conversation\":\"A\",\"author\":\"visitor\",\"at\":1700000000,\"text\":\"t\"}" }' >"$f"
	run -0 chat-import -q "$f"
	assert_equal "$(sql 'SELECT count(*) FROM messages')" 2000
}

@test "a first response 2,000 lines after its conversation was made is kept" {
	f=$BATS_TEST_TMPDIR/f.ndjson
	{
		echo '{"conversation":"C","author":"visitor","at":1700000100,"text":"first"}'
		echo '{"conversation":"C","author":"visitor","at":1700000300,"text":"later"}'
		awk 'BEGIN { for (i = 0; i < 1998; i++)
			printf "{\"conversation\":\"F%d\",\"author\":\"visitor\",\"at\":1700000000,\"text\":\"f\"}\n", i % 50 }'
		echo '{"conversation":"C","author":"operator","at":1700000200,"text":"reply"}'
	} >"$f"
	run -0 chat-import -q "$f"
	assert_equal "$(sql "SELECT first_visitor_at, first_response_at FROM conversations WHERE ref = 'C'")" \
	    "1700000100|1700000200"
}

@test "a refused line is said once when a chunk's conversations go a line at a time" {
	f=$BATS_TEST_TMPDIR/f.ndjson
	printf '%s\n' '{"conversation":"A","author":"visitor","at":1700000000,"text":"a"}' \
	    'not json' '{"conversation":"---","author":"visitor","at":1700000000,"text":"b"}' >"$f"
	run -65 chat-import -q "$f"
	assert_output "chat-import: $f:2: malformed JSON"
	assert_equal "$(sql 'SELECT count(*) FROM conversations')" 2
}

# A platform retries: a close can come after the reopen that followed it,
# or before the one it followed. The latest of them is the state.
@test "state lines in any order end in the latest one's state: a close told after a later one, a reopen after the next close" {
	f=$BATS_TEST_TMPDIR/s.ndjson
	cat >"$f" <<-'EOF2'
	{"conversation":"A","at":"2026-11-20T09:00:00Z","author":"visitor","text":"hi"}
	{"conversation":"A","type":"close","at":"2026-11-20T09:07:00Z"}
	{"conversation":"A","type":"close","at":"2026-11-20T09:15:00Z"}
	{"conversation":"A","type":"reopen","at":"2026-11-20T09:10:00Z"}
	{"conversation":"B","at":"2026-11-20T09:00:00Z","author":"visitor","text":"hi"}
	{"conversation":"B","type":"reopen","at":"2026-11-20T09:20:00Z"}
	{"conversation":"B","type":"close","at":"2026-11-20T09:10:00Z"}
	{"conversation":"C","at":"2026-11-20T09:00:00Z","author":"visitor","text":"hi"}
	{"conversation":"C","type":"park","at":"2026-11-20T09:30:00Z"}
	{"conversation":"C","type":"close","at":"2026-11-20T09:10:00Z"}
	{"conversation":"C","type":"reopen","at":"2026-11-20T09:20:00Z"}
	EOF2
	run -0 chat-import -q "$f"
	assert_equal "$(sql "SELECT ref, state, closed_at FROM conversations ORDER BY id")" \
	    "A|closed|1795166100
B|open|
C|parked|"
	before=$(dump)
	tac "$f" | chat-import -q
	assert_equal "$(dump)" "$before"
}

@test "an edit gives a message its whole content again, its attachments too" {
	f=$BATS_TEST_TMPDIR/e.ndjson
	cat >"$f" <<-'EOF2'
	{"conversation":"A","at":1795392000,"author":"visitor","id":"m1","text":"see","attachments":[{"name":"a.pdf","url":"https://x.example/a.pdf"}]}
	{"conversation":"A","type":"edit","at":1795392010,"id":"m1","text":"see this","attachments":[{"name":"a.pdf","url":"https://x.example/a.pdf"}]}
	EOF2
	run -0 chat-import -q "$f"
	assert_equal "$(sql "SELECT body FROM messages")" "see this
Attachment: a.pdf <https://x.example/a.pdf>"
}

# The review of issue 21: a no-op line left no time, so an older line come
# later was applied; an empty tag in a list undid the whole batch.
@test "a history imported backwards into a new database ends as it happened: state, tags, edits" {
	f=$BATS_TEST_TMPDIR/h.ndjson
	cat >"$f" <<-'EOF2'
	{"conversation":"A","at":"2026-11-20T10:00:00Z","author":"visitor","id":"m1","text":"first"}
	{"conversation":"A","type":"close","at":"2026-11-20T10:05:00Z"}
	{"conversation":"A","type":"reopen","at":"2026-11-20T10:06:00Z"}
	{"conversation":"A","type":"tag","tags":"vip","at":"2026-11-20T10:07:00Z"}
	{"conversation":"A","type":"untag","tags":"vip","at":"2026-11-20T10:08:00Z"}
	{"conversation":"A","type":"tags","tags":["billing","refund"],"at":"2026-11-20T10:09:00Z"}
	{"conversation":"A","type":"tags","tags":["refund"],"at":"2026-11-20T10:10:00Z"}
	{"conversation":"A","type":"edit","id":"m1","text":"first edit","at":"2026-11-20T10:11:00Z"}
	{"conversation":"A","type":"edit","id":"m1","text":"second edit","at":"2026-11-20T10:12:00Z"}
	EOF2
	{ head -1 "$f"; tail -n +2 "$f" | tac; } | chat-import -q
	chat-import -q "$f"
	assert_equal "$(sql "SELECT state, closed_at FROM conversations")" "open|"
	assert_equal "$(sql "SELECT t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag")" refund
	assert_equal "$(sql "SELECT body FROM messages")" "second edit"
	assert_equal "$(chat-history --grep second -o ids)" 1
}

@test "an empty tag in a list is refused with its line, the rest imported" {
	f=$BATS_TEST_TMPDIR/t.ndjson
	cat >"$f" <<-'EOF2'
	{"conversation":"A","at":"2026-11-20T10:00:00Z","author":"visitor","text":"hi"}
	{"conversation":"A","type":"tag","tags":"a,","at":"2026-11-20T10:01:00Z"}
	{"conversation":"A","type":"tags","tags":["c",""],"at":"2026-11-20T10:02:00Z"}
	{"conversation":"A","type":"tags","tags":[""],"at":"2026-11-20T10:02:00Z"}
	{"conversation":"A","type":"tag","tags":"b","at":"2026-11-20T10:03:00Z"}
	EOF2
	run -65 chat-import -q "$f"
	assert_output "chat-import: $f:2: tags: '': 1 to 64 letters, digits, spaces or - _ . / :
chat-import: $f:3: tags: expected tags: strings, not empty, without a comma
chat-import: $f:4: tags: expected tags: strings, not empty, without a comma"
	assert_equal "$(sql "SELECT t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag")" b
}
