#!/usr/bin/env bats
# chat-history: listing by filter, and showing conversations in full.

load helper

# The examples, with states, tags, notes, ratings and a delivery written
# straight into the schema (the tools that write them come later).
fixture() {
	chat-import -q "$EXAMPLES"
	sql <<-'EOF'
	UPDATE conversations SET state = 'closed', closed_at = last_activity_at,
	  closed_by = 'operator' WHERE ref IN ('IA-1001', 'IA-1003', 'IA-1005', 'IA-1007');
	UPDATE conversations SET state = 'parked' WHERE ref IN ('IA-1002', 'IA-1004');
	INSERT INTO tags (name, key, created_at) VALUES ('delivery', 'delivery', 0), ('After-Sales', 'after-sales', 0);
	INSERT INTO conversation_tags VALUES
	  (1, 1, 0, 'alice'), (7, 2, 0, 'alice'), (5, 2, 0, 'carol'), (7, 1, 0, 'alice');
	INSERT INTO notes (conversation, at, author, body) VALUES
	  (3, 1795392000, 'alice', 'Customer asked about customs fees; sent the FAQ link.');
	INSERT INTO ratings VALUES (1, 'network', 4, 0, 'alice'), (1, 'solution', 5, 0, 'alice');
	INSERT INTO deliveries (conversation, target, state, attempts, remote_ref, created_at, updated_at)
	  VALUES (1, 'zendesk', 'sent', 1, '4711', 0, 0);
	EOF
}

ids() {
	chat-history -o ids "$@" | sort -n | tr '\n' ' '
}

@test "lists newest first with the documented columns, no header off a terminal" {
	fixture
	run -0 chat-history
	assert_equal "${#lines[@]}" 30
	assert_line --index 0 --regexp '^30 +open +whatsapp +2026-11-23 05:33 +1m39s +bruno +John Doe$'
	assert_line --index 29 --regexp '^1 +closed +chat +2026-11-16 08:31 +.* +alice +Jane Roe +delivery$'
	refute_output --partial "STATE"
}

@test "a terminal gets a bold header, and no colour with NO_COLOR" {
	fixture
	run -0 on_tty chat-history --limit 1
	assert_line --index 0 --partial $'\033[1mid'
	assert_line --index 0 --partial "state"
	run -0 on_tty env NO_COLOR=1 chat-history --limit 1
	assert_line --index 0 --regexp '^id +state +channel +started +duration +operator +visitor +tags'
	refute_output --partial $'\033'
}

@test "times follow TZ in tables" {
	fixture
	run -0 env TZ=Asia/Tokyo chat-history --limit 1
	assert_output --partial "2026-11-23 14:33"
}

@test "--open, --parked, --closed, and several of them as OR" {
	fixture
	assert_equal "$(ids --closed)" "1 3 5 7 "
	assert_equal "$(ids --parked)" "2 4 "
	assert_equal "$(ids --closed --parked)" "1 2 3 4 5 7 "
	assert_equal "$(chat-history --open --count)" 24
}

@test "--channel (repeatable as OR), --social and its config list" {
	fixture
	assert_equal "$(ids --channel twitter)" "8 21 "
	assert_equal "$(ids --channel twitter --channel instagram)" "8 10 21 "
	assert_equal "$(chat-history --social --count)" 12
	export CHAT_CONFIG=$BATS_TEST_TMPDIR/c.yaml
	echo 'close: {social_channels: [twitter]}' >"$CHAT_CONFIG"
	assert_equal "$(ids --social)" "8 21 "
}

@test "--operator" {
	fixture
	assert_equal "$(chat-history --operator carol --count)" 9
	assert_equal "$(ids --operator carol --closed)" "5 "
}

@test "--tag, case-insensitive, repeated tags all required; --untagged" {
	fixture
	assert_equal "$(ids --tag delivery)" "1 7 "
	assert_equal "$(ids --tag after-sales)" "5 7 "
	assert_equal "$(ids --tag DELIVERY --tag after-sales)" "7 "
	assert_equal "$(chat-history --untagged --count)" 27
	run -1 chat-history --tag nosuchtag
	assert_output ""
}

@test "--unrated and --no-note" {
	fixture
	assert_equal "$(chat-history --unrated --count)" 29
	assert_equal "$(chat-history --no-note --count)" 29
	assert_equal "$(ids --closed --unrated --no-note)" "5 7 "
}

@test "--since and --until select by start time" {
	fixture
	assert_equal "$(ids --since 2026-11-22)" "26 27 28 29 30 "
	assert_equal "$(ids --since 2026-11-22 --until 2026-11-23)" "26 27 "
	assert_equal "$(ids --until 2026-11-16T10:00Z)" "1 2 3 "
	assert_equal "$(ids --since @1795392000)" "28 29 30 "
}

@test "--closed-since and --closed-until select closed conversations by close time, not start" {
	examples
	chat-close -q --at 2026-11-22T12:00Z 1
	chat-close -q --at 2026-11-20T12:00Z 24
	chat-close -q --at 2026-11-23T06:00Z 30
	chat-close -q 2
	chat-close -q --at 2026-11-22T13:00Z 3
	chat-close -q --reopen 3
	chat-close -q --park 26
	assert_equal "$(ids --closed-since 2026-11-22)" "1 2 30 "
	assert_equal "$(ids --closed-since 2026-11-22 --closed-until 2026-11-23)" "1 "
	assert_equal "$(ids --closed-until 2026-11-22T12:00Z)" "24 "
	assert_equal "$(ids --closed-until 2026-11-22T12:00:01Z)" "1 24 "
	# Yesterday, not today: a midnight may pass between the close and the
	# listing; the other closes are days older than yesterday.
	assert_equal "$(ids --closed-since yesterday)" "2 "
	assert_equal "$(ids --closed-since 2026-11-20 --since 2026-11-20)" "24 30 "
	assert_equal "$(chat-history --closed-since 2026-11-01 --count)" 4
	run -1 chat-history --open --closed-since 2026-11-01
	assert_output ""
	run -65 chat-history --closed-since nope
	assert_output "chat-history: --closed-since nope: not a time"
	run -65 chat-history --closed-until 2026-13-01
	assert_output "chat-history: --closed-until 2026-13-01: not a time"
}

@test "--channel, --operator and close.social_channels ignore ASCII case, not other letters'" {
	examples
	chat-import -q <<-'EOF'
	{"conversation":"X","channel":"WhatsApp","operator":"ALICE","at":"2026-11-24T10:00:00Z","author":"visitor","text":"hi"}
	{"conversation":"Y","channel":"Twitter","operator":"Élodie","at":"2026-11-24T11:00:00Z","author":"visitor","text":"hi"}
	EOF
	assert_equal "$(ids --channel WHATSAPP)" "2 12 18 24 30 31 "
	assert_equal "$(ids --channel whatsapp)" "2 12 18 24 30 31 "
	assert_equal "$(ids --channel Twitter --channel INSTAGRAM)" "8 10 21 32 "
	assert_equal "$(ids --operator Alice --since 2026-11-22)" "26 29 31 "
	assert_equal "$(ids --social --since 2026-11-23)" "30 31 32 "
	config <<-'EOF'
	close: {social_channels: [TWITTER]}
	EOF
	assert_equal "$(ids --social)" "8 21 32 "
	assert_equal "$(ids --operator Élodie)" "32 "
	run -1 chat-history --operator élodie
}

@test "--idle, --visitor-left and --forgotten" {
	now=$(date +%s)
	{
		msg fresh "@$((now - 60))" visitor hi
		msg idle "@$((now - 7200))" visitor hi
		msg left "@$((now - 120))" visitor hi
		echo "{\"conversation\":\"left\",\"type\":\"visitor_left\",\"at\":$((now - 60))}"
		msg done "@$((now - 7200))" visitor hi
	} | sed 's/"@\([0-9]*\)"/\1/' | chat-import -q
	sql "UPDATE conversations SET state = 'closed', closed_at = started_at WHERE ref = 'done'"
	assert_equal "$(ids --idle 1h)" "2 "
	assert_equal "$(ids --idle 30s)" "1 2 3 "
	assert_equal "$(ids --visitor-left)" "3 "
	assert_equal "$(ids --forgotten)" "2 3 "
	export CHAT_CONFIG=$BATS_TEST_TMPDIR/c.yaml
	echo 'close: {forgotten_after: 3h}' >"$CHAT_CONFIG"
	assert_equal "$(ids --forgotten)" "3 "
}

@test "--after-close: closed, and the visitor wrote after the close in force" {
	{
		msg A 2026-11-23T10:00:00Z visitor hi
		msg B 2026-11-23T10:00:00Z visitor hi
		msg C 2026-11-23T10:00:00Z visitor hi
		msg D 2026-11-23T10:00:00Z visitor hi
	} | chat-import -q
	chat-close -q --at last 1 2 3
	{
		msg A 2026-11-23T10:30:00Z visitor "still there?"
		msg B 2026-11-23T10:30:00Z operator "an operator's word"
		msg C 2026-11-23T10:30:00Z visitor "then closed again"
		msg D 2026-11-23T10:30:00Z visitor "never closed"
	} | chat-import -q
	chat-close -q --reopen 3
	chat-close -q --at last 3
	assert_equal "$(ids --after-close)" "1 "
	assert_equal "$(ids --after-close --channel chat)" "1 "
	run -0 chat-history 1
	assert_line --regexp '^2026-11-23 10:30 +tester +message_after_close$'
	assert_line --regexp "^state +closed by operator$"
}

@test "--grep searches transcripts and notes, accents folded" {
	fixture
	assert_equal "$(ids --grep remboursement)" "2 "
	assert_equal "$(ids --grep customs)" "3 "
	assert_equal "$(ids --grep 'écran')" "6 "
	assert_equal "$(ids --grep 'ecran')" "6 "
	assert_equal "$(ids --grep 'parcel OR colis')" "1 2 9 12 15 24 26 "
	assert_equal "$(ids --grep 'parcel OR colis' --open --social)" "12 15 24 "
	run -2 chat-history --grep 'AND AND'
	assert_line --index 0 "chat-history: --grep: col 1: AND without a term before it"
}

@test "--count, --limit, exit 1 when nothing matched" {
	fixture
	run -0 chat-history --count --channel chat
	assert_output 18
	run -0 chat-history --limit 2 -o ids
	assert_output "30
29"
	run -1 chat-history --channel fax
	assert_output ""
	run -1 chat-history --count --channel fax
	assert_output 0
}

@test "--count counts every match: --limit does not bound it" {
	fixture
	run -0 chat-history --count --limit 5
	assert_output 30
	run -0 chat-history --count --limit 2 --channel chat
	assert_output 18
}

@test "-o tsv has a header, the ref, RFC 3339 UTC times and seconds" {
	fixture
	run -0 chat-history -o tsv --tag after-sales
	assert_line --index 0 "$(printf 'id\tref\tstate\tchannel\tstarted\tduration\toperator\tvisitor\ttags')"
	assert_line --index 1 --regexp "^7	IA-1007	closed	chat	2026-11-16T14:0[0-9]:[0-9]{2}Z	[0-9]+	alice	Oliver Smith	After-Sales,delivery$"
}

@test "-o json is one valid object per line with typed fields" {
	fixture
	chat-history -o json >"$BATS_TEST_TMPDIR/out.json"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/out.json")" 30
	run -0 /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
r = [x for x in rows if x["id"] == 7][0]
assert r["tags"] == ["After-Sales", "delivery"], r
assert list(r) == ["id", "ref", "state", "channel", "started", "duration",
                   "operator", "visitor", "tags"], r
assert r["ref"] == "IA-1007", r
assert isinstance(r["duration"], int) and r["started"].endswith("Z"), r
assert rows[0]["operator"] == "bruno" and rows[0]["tags"] == []
print("ok")' "$BATS_TEST_TMPDIR/out.json"
	assert_output ok
}

@test "-o ids pipes into chat-history showing" {
	fixture
	run -0 sh -c 'chat-history --tag after-sales -o ids | chat-history -o json - | wc -l'
	assert_output 2
}

@test "ids with -o table, tsv or ids are listed as rows, in the order given; text and json show them" {
	fixture
	run -0 chat-history -o tsv 3 7
	assert_output "$(printf 'id\tref\tstate\tchannel\tstarted\tduration\toperator\tvisitor\ttags')
$(chat-history -o tsv --ref IA-1003 IA-1007 | tail -n +2)"
	assert_line --index 1 --regexp $'^3\tIA-1003\tclosed\tchat\t'
	assert_line --index 2 --regexp $'^7\tIA-1007\tclosed\tchat\t.*\tAfter-Sales,delivery$'
	run -0 chat-history -o table 7 3
	assert_line --index 0 --regexp '^7 +closed +chat +2026-11-16 [0-9:]+ +[0-9hms]+ +alice +Oliver Smith +After-Sales,delivery$'
	assert_line --index 1 --regexp '^3 +closed +chat '
	assert_equal "${#lines[@]}" 2
	# -o json on ids shows in full, as -o text does; never a listing's row.
	run -0 chat-history -o json 3
	assert_output --partial '"messages":['
	run -0 chat-history 3
	assert_line --index 0 "conversation 3"
	# A listing's TSV, header included, piped back in.
	run -0 sh -c 'chat-history --closed -o tsv | chat-history -o ids -'
	assert_output "$(chat-history --closed -o ids)"
	run -1 chat-history -o tsv 3 999
	assert_line --index 0 --partial "999: no such conversation"
	assert_line --index 2 --regexp $'^3\tIA-1003\t'
	# An empty input lists nothing, like a listing that matched nothing.
	run -1 chat-history -o ids - </dev/null
	assert_output ""
}

@test "--ref -o ids turns refs into ids; an unknown ref is exit 1; --ref without refs is a usage error" {
	fixture
	run -0 chat-history --ref -o ids IA-1007 IA-1003
	assert_output "7
3"
	run -0 sh -c 'printf "IA-1002\nIA-1030\n" | chat-history --ref -o ids -'
	assert_output "2
30"
	run -1 chat-history --ref -o ids IA-1003 NOPE
	assert_output "chat-history: NOPE: no such conversation ref
3"
	run -1 chat-history --ref -o ids NOPE
	assert_output "chat-history: NOPE: no such conversation ref"
	# No refs is no listing of everything.
	run -2 chat-history --ref -o ids
	assert_line --index 0 "chat-history: --ref: no refs given, as operands or, with -, on standard input"
	run -2 sh -c 'echo IA-1003 | chat-history --ref -o ids'
}

@test "showing prints header, first response, tags, ratings, delivery, transcript, notes and events" {
	fixture
	sql "INSERT INTO notes (conversation, at, author, body) VALUES (1, 1795392000, 'alice', 'line one
line two')"
	run -0 chat-history 1
	assert_line --index 0 "conversation 1"
	assert_line --regexp '^ref +IA-1001$'
	assert_line --regexp '^visitor email +jane@example.com$'
	assert_line --regexp '^state +closed by operator$'
	assert_line --regexp '^handling time +[0-9]+m[0-9]{2}s$'
	# Jane wrote at 08:31:41, Alice answered at 08:33:12.
	assert_line --regexp '^first response +1m31s$'
	assert_line --regexp '^tags +delivery$'
	assert_line --regexp '^ratings +network 4, solution 5$'
	assert_line --regexp '^delivery +zendesk sent \(4711\), 1 attempt$'
	assert_line "transcript"
	assert_line --regexp '^2026-11-16 08:31  Jane Roe \(visitor\): Hello, my parcel'
	assert_line --regexp '^2026-11-16 08:3[0-9]  Alice \(operator\): Hi Jane'
	assert_line "notes"
	assert_line "2026-11-23 00:00  alice: line one"
	assert_line "                  line two"
	assert_line "events"
	assert_line --regexp '^.* tester imported IA-1001$'
	msg Q 2026-11-23T10:00:00Z visitor unanswered | chat-import -q
	run -0 chat-history --ref Q
	assert_line --regexp '^first response +none$'
}

# Conversation 1 of the examples as a database from before one-line fields
# were checked could hold it, with control characters in a message and a
# note (which keep them).
hostile() {
	chat-import -q "$EXAMPLES"
	# Control characters as they are, in the SQL both engines accept; an
	# argument, since a shell reading its input drops a CR before a LF.
	local cr=$'\r' lf=$'\n' tab=$'\t' esc=$'\e' del=$'\x7f' bel=$'\a' \
	    csi=$'\xc2\x9b'
	sql "$(cat <<-EOF
	UPDATE conversations SET visitor = 'Eve${cr}${lf}Bcc: evil@example.com',
	  operator = 'op${csi}x' WHERE id = 1;
	UPDATE messages SET name = 'M${esc}[2J',
	  body = 'one${cr}${lf}${tab}two ${esc}[31m${del}${cr}x'
	  WHERE id = (SELECT min(id) FROM messages WHERE conversation = 1);
	INSERT INTO notes (conversation, at, author, body)
	  VALUES (1, 1795392000, 'ali${bel}ce', 'bell${bel}${lf}end');
	INSERT INTO events (conversation, at, actor, action, detail)
	  VALUES (1, 1795392000, 'bob', 'noted', 'x${esc}]0;title${bel}');
	EOF
	)"
}

@test "control characters are shown as \xHH, never raw; tabs and line breaks stay in texts, are spaces in tables" {
	hostile
	run -0 chat-history 1
	refute_output --regexp $'[\x01-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]'
	assert_line --regexp '^visitor +Eve\\x0d\\x0aBcc: evil@example\.com$'
	assert_line --regexp '^operator +op\\x9bx$'
	assert_line --regexp '^2026-11-16 08:31  M\\x1b\[2J \(visitor\): one$'
	assert_line $'                  \ttwo \\x1b[31m\\x7f\\x0dx'
	assert_line '2026-11-23 00:00  ali\x07ce: bell\x07'
	assert_line '                  end'
	assert_line '2026-11-23 00:00  bob noted x\x1b]0;title\x07'
	refute_line --regexp '^Bcc:'
	run -0 chat-history --operator 'op'$'\xc2\x9b''x'
	assert_output --regexp '^1  .*  op\\x9bx  Eve Bcc: evil@example\.com$'
	run -0 chat-note -l 1
	assert_output --regexp '  ali\\x07ce  bell\\x07 end$'
}

@test "JSON and TSV keep their own rules for control characters" {
	hostile
	run -0 chat-history -o json --operator 'op'$'\xc2\x9b''x'
	assert_output --partial '"visitor":"Eve\r\nBcc: evil@example.com"'
	assert_output --partial '"operator":"op'$'\xc2\x9b''x"'
	run -0 chat-history -o json 1
	assert_output --partial '"name":"M\u001b[2J"'
	run -0 chat-history -o tsv --operator 'op'$'\xc2\x9b''x'
	assert_line --regexp $'\tEve\\\\r\\\\nBcc: evil@example\\.com\t'
}

@test "showing as JSON carries everything" {
	fixture
	run -0 chat-history -o json 3
	run -0 /usr/bin/python3 -c '
import json, sys
c = json.loads(sys.argv[1])
assert c["ref"] == "IA-1003" and c["state"] == "closed" and c["handling_time"] > 0
assert c["notes"][0]["text"].startswith("Customer asked") and c["notes"][0]["at"] == "2026-11-23T00:00:00Z"
assert [m["author"] for m in c["messages"]] == ["visitor", "operator", "visitor", "operator"]
assert [e["action"] for e in c["events"]] == ["assigned", "visitor_left", "imported"], c["events"]
print("ok")' "$output"
	assert_output ok
	run -0 chat-history -o json 1
	assert_output --partial '"ratings":{"network":4,"solution":5}'
	assert_output --partial '"first_visitor_at":"2026-11-16T08:31:41Z","first_response_at":"2026-11-16T08:33:12Z","first_response_time":91,'
	assert_output --partial '"deliveries":[{"target":"zendesk","state":"sent","attempts":1,"remote_ref":"4711"'
}

@test "showing by --ref, several ids, and unknown ids (exit 1, the rest shown)" {
	fixture
	run -0 chat-history --ref IA-1002
	assert_line --index 0 "conversation 2"
	run -1 chat-history 3 999 4
	assert_output --partial "chat-history: 999: no such conversation"
	assert_output --partial "conversation 3"
	assert_output --partial "conversation 4"
	run -1 chat-history --ref NOPE
	assert_output --partial "NOPE: no such conversation ref"
	run -65 chat-history 12abc
	assert_output --partial "12abc: not a conversation id"
}

@test "ids from standard input: first field, blank and comment lines skipped" {
	fixture
	run -0 sh -c 'printf "# picked\n\n3 closed chat\n4\n" | chat-history -o json - | wc -l'
	assert_output 2
	run -0 sh -c 'chat-history --parked | chat-history -'
	assert_output --partial "conversation 2"
	assert_output --partial "conversation 4"
}

@test "usage errors exit 2" {
	fixture
	run -2 chat-history --bogus
	assert_output --partial "usage: chat-history"
	run -2 chat-history -o xml
	assert_output --partial "-o xml: unknown format"
	run -2 chat-history -o text
	run -2 chat-history --closed 1
	run -2 chat-history --count 1
	run -2 chat-history --limit 1 -
	run -2 chat-history --limit 0
	run -2 chat-history --limit 99999999999999999999
	assert_output --partial "--limit 99999999999999999999: not a positive number"
	run -2 on_tty chat-history -
	assert_output --partial "no conversation ids given"
}

@test "--since after --until, and -o with --count, are usage errors (2) with their reason" {
	fixture
	run -2 chat-history --since 2026-11-20 --until 2026-11-19
	assert_line --index 0 "chat-history: --since 2026-11-20 00:00 is after --until 2026-11-19 00:00"
	assert_line --index 1 --partial "usage: chat-history"
	run -2 chat-history --until 2026-11-19T12:00 --since 2026-11-19T12:01 --closed
	assert_line --index 0 "chat-history: --since 2026-11-19 12:01 is after --until 2026-11-19 12:00"
	run -2 chat-history --since 1h --until 2h
	assert_line --index 0 --regexp "^chat-history: --since .* is after --until .*$"
	run -2 chat-history --closed-until 2026-11-19 --closed-since 2026-11-20
	assert_line --index 0 "chat-history: --closed-since 2026-11-20 00:00 is after --closed-until 2026-11-19 00:00"
	run -2 chat-history --count -o json
	assert_line --index 0 "chat-history: -o json: --count prints a number, not a listing"
	run -1 chat-history --count --since 2026-11-19 --until 2026-11-19
	assert_output 0
}

@test "--help lists every option, the common ones and the filters included" {
	run -0 chat-history --help
	assert_line --index 0 --partial "usage: chat-history"
	help_lists_every_option chat-history
}

@test "a bad time, duration or tag in a filter is bad data: 65, no usage" {
	fixture
	run -65 chat-history --since "next tuesday"
	assert_output "chat-history: --since next tuesday: not a time"
	run -65 chat-history --idle soon
	assert_output "chat-history: --idle soon: not a duration"
	run -65 chat-stats --until never
	assert_output "chat-stats: --until never: not a time"
	run -65 chat-history --tag 'semi;colon'
	assert_output --partial "tag 'semi;colon': 1 to 64"
}

@test "a missing database is no empty one: 74 saying so, and it is not created" {
	run -74 chat-history
	assert_output "chat-history: no database at $CHAT_DB (chat-import creates one)"
	run -74 chat-history --count --closed
	assert_output "chat-history: no database at $CHAT_DB (chat-import creates one)"
	run -74 chat-history 1
	assert_no_db
}
