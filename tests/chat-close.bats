#!/usr/bin/env bats
# chat-close: end, park, reopen, with inline tags, note and ratings.

load helper

@test "closes: state, close time now, closed by operator, an event, the id printed" {
	examples
	before=$(date +%s)
	run -0 chat-close 3
	assert_output 3
	run -0 sql "SELECT state, closed_by, CAST(closed_at >= $before AS INTEGER),
	    CAST(closed_at <= $(date +%s) AS INTEGER) FROM conversations WHERE id = 3"
	assert_output "closed|operator|1|1"
	run -0 sql "SELECT e.actor, e.action, CAST(e.detail = 'by operator at ' ||
	    $(time_sql c.closed_at '%Y-%m-%dT%H:%M:%SZ') AS INTEGER) FROM events e
	    JOIN conversations c ON c.id = e.conversation WHERE e.conversation = 3
	    ORDER BY e.id DESC LIMIT 1"
	assert_output "tester|closed|1"
}

@test "--at last closes at the last activity, so handling time stays true" {
	examples
	run -0 chat-close --at last 1 2
	# IA-1001: first message 08:31:41, visitor left 08:40:xx; IA-1002 has no visitor_left.
	run -0 sql "SELECT closed_at - started_at, CAST(closed_at = last_activity_at AS INTEGER) FROM conversations WHERE id IN (1, 2) ORDER BY id"
	assert_line --index 0 --regexp '^5[0-9][0-9]\|1$'
	assert_line --index 1 "$(sql "SELECT max(at) - min(at) FROM messages WHERE conversation = 2")|1"
}

@test "--at TIME and --by" {
	examples
	run -0 chat-close --at 2026-11-16T10:00:00Z --by visitor 1
	run -0 chat-close --at @1795392000 --by system 3
	run -0 sql "SELECT id, closed_at, closed_by FROM conversations WHERE state = 'closed' ORDER BY id"
	assert_output "1|1794823200|visitor
3|1795392000|system"
	run -2 chat-close --by robot 1
	assert_output --partial "--by robot: operator, visitor or system"
	run -65 chat-close --at tomorrowish 1
	assert_output "chat-close: --at tomorrowish: not a time"
}

@test "a close time before the start is refused with 65; the other ids are closed" {
	examples
	run -65 chat-close --at 2026-11-16T09:00:00Z 1 3
	assert_output --partial "chat-close: 3: close time 2026-11-16T09:00:00Z is before the conversation's start"
	assert_line 1
	assert_equal "$(sql "SELECT group_concat(id) FROM conversations WHERE state = 'closed'")" 1
	assert_equal "$(sql "SELECT group_concat(conversation) FROM events WHERE action = 'closed'")" 1
	run -65 chat-close -n --at 2026-11-16T09:00:00Z 3 2
	assert_output "chat-close: 3: close time 2026-11-16T09:00:00Z is before the conversation's start, 2026-11-16T09:41:46Z
2 closed by operator at 2026-11-16T09:00:00Z"
}

@test "a close time in the future is refused with 65" {
	examples
	run -65 chat-close --at "@$(( $(date +%s) + 3600 ))" 1
	assert_output --partial "is in the future"
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 1")" open
}

@test "a last activity up to 5 minutes ahead: closed at it with no --at, refused further ahead" {
	now=$(date +%s)
	{
		msg A 2026-11-23T10:00:00Z visitor hi
		msg B 2026-11-23T10:00:00Z visitor hi
		msg C 2026-11-23T10:00:00Z visitor hi
		msg D 2026-11-23T10:00:00Z visitor hi
	} | chat-import -q
	# As a platform's clock ahead of this machine's leaves it (chat-import
	# now takes such a time as now; another machine or an earlier version
	# did not).
	sql "UPDATE conversations SET last_activity_at = $((now + 120)) WHERE id IN (1, 3);
	    UPDATE conversations SET last_activity_at = $((now + 600)) WHERE id = 2"
	run -65 chat-close 1 2
	assert_line --index 0 --regexp '^chat-close: 2: close time .* is in the future$'
	assert_line --index 1 1
	assert_equal "$(sql "SELECT closed_at - $now FROM conversations WHERE id = 1")" 120
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 2")" open
	run -0 chat-close --at last 3
	assert_equal "$(sql "SELECT closed_at - $now FROM conversations WHERE id = 3")" 120
	run -0 chat-close --at "@$((now + 240))" 4
	assert_equal "$(sql "SELECT closed_at - $now FROM conversations WHERE id = 4")" 240
}

@test "closed right after importing a message a little ahead: at the last activity, not before it" {
	msg A "$(date -u -d "@$(( $(date +%s) + 120 ))" +%Y-%m-%dT%H:%M:%SZ)" visitor soon | chat-import -q
	run -0 chat-close 1
	assert_equal "$(sql "SELECT CAST(closed_at >= last_activity_at AND closed_at >= started_at AS INTEGER) FROM conversations")" 1
}

@test "an already-closed conversation keeps its close time; the other options apply" {
	examples
	chat-close -q --at last 1
	t=$(sql "SELECT closed_at FROM conversations WHERE id = 1")
	run -0 chat-close -t late 1
	assert_output 1
	assert_equal "$(sql "SELECT closed_at FROM conversations WHERE id = 1")" "$t"
	assert_equal "$(chat-history --tag late -o ids)" 1
}

@test "running the same close twice changes nothing the second time" {
	examples
	chat-close -q -t billing -m "Invoice fixed." -r network=4 --at last 5
	before=$(dump)
	run -0 chat-close -t billing -m "Invoice fixed." -r network=4 --at last 5
	assert_output 5
	assert_equal "$(dump)" "$before"
}

@test "--park keeps it out of the closed count; a later close ends it" {
	examples
	run -0 chat-close --park 2 4
	assert_output "2
4"
	assert_equal "$(chat-history --parked -o ids | sort -n | tr '\n' ' ')" "2 4 "
	assert_equal "$(chat-history --closed --count || true)" 0
	run -0 chat-close --at last 2
	assert_equal "$(sql "SELECT state, CAST(closed_at = last_activity_at AS INTEGER) FROM conversations WHERE id = 2")" "closed|1"
	run -0 sql "SELECT action FROM events WHERE conversation = 2 AND action IN ('parked', 'closed') ORDER BY id"
	assert_output "parked
closed"
}

@test "parking a closed conversation is refused (1); --at and --by go with a close only" {
	examples
	chat-close -q 1
	run -1 chat-close --park 1 2
	assert_output --partial "1: closed; reopen it before parking it"
	assert_line 2
	run -2 chat-close --park --at last 3
	run -2 chat-close --reopen --by visitor 3
}

@test "--reopen undoes a close; a new close sets a new time" {
	examples
	chat-close -q --at last 1
	run -0 chat-close --reopen 1
	assert_output 1
	assert_equal "$(sql "SELECT state, CAST(closed_at IS NULL AS INTEGER), CAST(closed_by IS NULL AS INTEGER) FROM conversations WHERE id = 1")" "open|1|1"
	chat-close -q --at 2026-11-16T12:00:00Z 1
	assert_equal "$(sql "SELECT closed_at FROM conversations WHERE id = 1")" 1794830400
	run -0 sql "SELECT action || coalesce(' ' || detail, '') FROM events WHERE conversation = 1 AND action IN ('closed', 'reopened') ORDER BY id"
	assert_line --index 1 "reopened closed"
	assert_line --index 2 "closed by operator at 2026-11-16T12:00:00Z"
	run -0 chat-close --reopen 1 2
	assert_output "1
2"
}

@test "-t, -m and -r qualify, annotate and rate in the same transaction" {
	examples
	run -0 chat-close -t after-sales,billing -t refund -m "Refund of 30 EUR sent." -r network=4 -r solution=5 2
	run -0 sql "SELECT action || ' ' || coalesce(detail, '') FROM events WHERE conversation = 2 AND action NOT IN ('imported', 'assigned') ORDER BY id"
	assert_output "tagged after-sales
tagged billing
tagged refund
noted Refund of 30 EUR sent.
rated network=4
rated solution=5
closed by operator at $(db_time 'SELECT closed_at FROM conversations WHERE id = 2')"
}

@test "a batch writes the events of each change in the order the ids came" {
	examples
	run -0 chat-close -t billing -m "Seen." -r network=4 3 1 2
	assert_output "3
1
2"
	# Rows, not group_concat() over an ordered subquery: PostgreSQL's
	# grouping may sort the rows again.
	run -0 sql "SELECT action, conversation FROM events WHERE action IN ('tagged', 'noted', 'rated', 'closed') ORDER BY action, id"
	assert_output "$(for a in closed noted rated tagged; do
		printf '%s|3\n%s|1\n%s|2\n' $a $a $a; done)"
}

@test "close.require refuses a close lacking a tag, note or rating (exit 1, reason named), and nothing of it is kept" {
	examples
	config <<-'EOF'
	close: {require: [tag, note]}
	EOF
	run -1 chat-close -m "a note" 1
	assert_output "chat-close: 1: not closed: close.require wants a tag (-t)"
	assert_equal "$(sql "SELECT count(*) FROM notes")" 0
	run -1 chat-close -t billing 1
	assert_output --partial "wants a note (-m or -F)"
	run -0 chat-close --park 3
	assert_output 3
	run -0 chat-close -t billing -m "done" 1
	assert_output 1
	assert_equal "$(sql "SELECT state FROM conversations WHERE id IN (1, 3) ORDER BY id")" "closed
parked"
	config <<-'EOF'
	close: {require: [rating]}
	EOF
	run -1 chat-close 2
	assert_output --partial "wants a rating (-r)"
	run -0 chat-close -r solution=3 2
}

@test "close.require names everything a conversation lacks in one message" {
	examples
	chat-tag -q billing 2
	config <<-'EOF'
	close: {require: [tag, note, rating]}
	EOF
	run -1 chat-close 1 2
	assert_output "chat-close: 1: not closed: close.require wants a tag (-t), a note (-m or -F) and a rating (-r)
chat-close: 2: not closed: close.require wants a note (-m or -F) and a rating (-r)"
	run -1 chat-close -m done 1
	assert_output "chat-close: 1: not closed: close.require wants a tag (-t) and a rating (-r)"
	run -1 chat-close -r solution=4 1
	assert_output "chat-close: 1: not closed: close.require wants a tag (-t) and a note (-m or -F)"
	run -1 chat-close -t billing 1
	assert_output "chat-close: 1: not closed: close.require wants a note (-m or -F) and a rating (-r)"
	assert_equal "$(sql "SELECT count(*) FROM notes; SELECT count(*) FROM ratings; SELECT count(*) FROM conversations WHERE state = 'closed'")" "0
0
0"
	run -0 chat-close -m done -r solution=4 2
	assert_output 2
}

@test "close.require holds back an operator's close only: --by system and --by visitor close anyway" {
	examples
	config <<-'EOF'
	close: {require: [tag, note]}
	EOF
	run -1 chat-close 1
	run -1 chat-close --by operator 1
	assert_output "chat-close: 1: not closed: close.require wants a tag (-t) and a note (-m or -F)"
	run -0 chat-close --by system 1
	assert_output 1
	run -0 chat-close --by visitor --at last 2
	assert_output 2
	run -0 sql "SELECT id, state, closed_by FROM conversations WHERE id IN (1, 2) ORDER BY id"
	assert_output "1|closed|system
2|closed|visitor"
	run -1 chat-close -n 3
	assert_output --partial "3: not closed: close.require wants"
}

@test "-F reads the note from a file or, with ids as operands, from standard input" {
	examples
	printf 'Line one.\nLine two.\n\n' >"$BATS_TEST_TMPDIR/note.txt"
	run -0 chat-close -F "$BATS_TEST_TMPDIR/note.txt" 1
	assert_equal "$(sql "SELECT body FROM notes")" "Line one.
Line two."
	run -0 chat-close -F - 2 <<<"From stdin."
	assert_equal "$(sql "SELECT body FROM notes WHERE conversation = 2")" "From stdin."
	run -2 chat-close -F - <<<"3"
	run -2 chat-close -m a -F "$BATS_TEST_TMPDIR/note.txt" 3
	run -2 chat-close -F "$BATS_TEST_TMPDIR/missing" 3
	assert_output --partial "missing: No such file or directory"
	run -65 chat-close -m "   " 3
	assert_output --partial "-m: empty note"
}

@test "bad tags and ratings are refused (65) before anything is written" {
	examples
	before=$(dump)
	run -65 chat-close -t "semi;colon" 1
	assert_output --partial "tag 'semi;colon'"
	run -65 chat-close -r network=9 1
	run -65 chat-close -r nps=3 1
	assert_equal "$(dump)" "$before"
}

@test "-n prints what would be done and changes nothing" {
	examples
	before=$(dump)
	run -0 chat-close -n -t billing --at last 1 3
	assert_line --index 0 "1 tagged billing"
	assert_line --index 1 --regexp '^1 closed by operator at 2026-11-16T08:4[0-9]:[0-9]{2}Z$'
	assert_line --index 2 "3 tagged billing"
	assert_equal "$(dump)" "$before"
}

@test "-n writes nothing in any mode: close, park, reopen, with -t, -m and -r, and attempts no delivery" {
	examples
	chat-close -q 1
	SMTP_PORT=$(free_port)
	config <<-EOF
	mail:
	  url: smtp://127.0.0.1:$SMTP_PORT/chat-tools.test
	  from: support@example.com
	  insecure: true
	delivery: {max_attempts: 3, connect_timeout: 2s, timeout: 5s}
	EOF
	# No server yet: the delivery stays pending; then it is due, the
	# server is up, and only a real run may send it.
	run -0 chat-close --mail ops@example.com 4
	assert_equal "$(sql "SELECT state, attempts FROM deliveries")" "pending|1"
	sql "UPDATE deliveries SET next_attempt_at = 0"
	start_smtpd
	before=$(dump)
	run -0 chat-close -n --mail ops@example.com 4
	assert_output ""
	run -0 chat-close -n --mail new@example.com 5
	assert_line "5 queued mail:new@example.com"
	run -0 chat-close -n 2 3
	run -0 chat-close -n --park 6
	assert_output "6 parked"
	run -0 chat-close -n --reopen 1
	assert_output --regexp "^1 reopened"
	run -0 chat-close -n -t x,y -m "a note" -m "its second paragraph" -r solution=3 7
	assert_line "7 tagged x"
	assert_line "7 rated solution=3"
	assert_equal "$(dump)" "$before"
	assert_equal "$(stored)" 0
	run -0 chat-close -q --mail ops@example.com 4
	assert_equal "$(stored)" 1
}

@test "--park with --reopen, --by twice, a criterion twice, -m with -F and -F twice are usage errors (2) with their reason; nothing written" {
	examples
	echo note >"$BATS_TEST_TMPDIR/n.txt"
	before=$(dump)
	run -2 chat-close --park --reopen 1
	assert_line --index 0 "chat-close: --park and --reopen: one or the other"
	assert_line --index 1 --partial "usage: chat-close"
	run -2 chat-close --reopen --park 1
	assert_line --index 0 "chat-close: --park and --reopen: one or the other"
	run -2 chat-close --by visitor --by system 1
	assert_line --index 0 "chat-close: --by given twice"
	run -2 chat-close --by visitor --by visitor 1
	assert_line --index 0 "chat-close: --by given twice"
	run -2 chat-close -r solution=3 -r network=2 -r solution=5 1
	assert_line --index 0 "chat-close: solution given twice: one score per criterion"
	run -2 chat-close -m a -F "$BATS_TEST_TMPDIR/n.txt" 1
	assert_line --index 0 "chat-close: -m and -F: the note is one or the other"
	run -2 chat-close -F "$BATS_TEST_TMPDIR/n.txt" -F "$BATS_TEST_TMPDIR/n.txt" 1
	assert_line --index 0 "chat-close: -F given twice: one note file"
	run -2 chat-close --park --by operator 1
	assert_line --index 0 "chat-close: --at and --by go with a close, not with --park"
	run -2 chat-close --reopen --at last 1
	assert_line --index 0 "chat-close: --at and --by go with a close, not with --reopen"
	assert_equal "$(dump)" "$before"
}

@test "several -m are the paragraphs of one note, as git commit -m a -m b" {
	examples
	run -0 chat-close -m "Refund sent.  " -m "Customer happy." -m "Follow up Monday." 1
	assert_equal "$(sql "SELECT body FROM notes")" "Refund sent.

Customer happy.

Follow up Monday."
	assert_equal "$(sql "SELECT count(*) FROM notes")" 1
	run -65 chat-close -m "fine" -m " " 2
	assert_output "chat-close: -m: empty note"
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 2")" open
}

@test "--help lists every option, the common ones included" {
	run -0 chat-close --help
	assert_line --index 0 --partial "usage: chat-close"
	help_lists_every_option chat-close
}

@test "unknown ids exit 1 and bad ones 65, the rest is done; --ref takes refs" {
	examples
	run -1 chat-close 1 999 3
	assert_output --partial "chat-close: 999: no such conversation"
	assert_line 1
	assert_line 3
	run -65 sh -c 'printf "2\nxyz\n" | chat-close'
	assert_output --partial "stdin:2: xyz: not a conversation id"
	assert_line 2
	run -0 chat-close --ref IA-1004
	assert_output 4
	run -2 on_tty chat-close
	assert_output --partial "no conversation ids given"
}

@test "the forgotten-close pipeline: chat-history --forgotten | chat-close --at last | chat-tag forgotten" {
	examples
	chat-close -q 1
	n=$(chat-history --forgotten --count)
	run -0 sh -c 'chat-history --forgotten | chat-close --at last | chat-tag forgotten'
	assert_equal "${#lines[@]}" "$n"
	assert_equal "$(chat-history --tag forgotten --closed --count)" "$n"
	assert_equal "$(sql "SELECT count(*) FROM conversations WHERE state = 'closed' AND closed_at = last_activity_at")" "$n"
	run -1 chat-history --forgotten
}

@test "two writers on one database at once both succeed" {
	awk 'BEGIN { for (i = 1; i <= 3000; i++)
		printf "{\"conversation\":\"C%d\",\"at\":%d,\"author\":\"visitor\",\"text\":\"x\"}\n", i, 1795392000 + i }' |
		chat-import -q
	seq 1 2 3000 >"$BATS_TEST_TMPDIR/odd"
	seq 1 3000 >"$BATS_TEST_TMPDIR/all"
	for i in 1 2 3 4 5; do
		head -n $((i * 300)) "$BATS_TEST_TMPDIR/odd" | tail -n 300 | chat-close -q --at last &
		head -n $((i * 600)) "$BATS_TEST_TMPDIR/all" | tail -n 600 | chat-tag -q "t$i" &
	done
	fail=0
	for job in $(jobs -p); do wait "$job" || fail=$((fail + 1)); done
	assert_equal "$fail" 0
	assert_equal "$(chat-history --closed --count)" 1500
	assert_equal "$(sql "SELECT count(*) FROM conversation_tags")" 3000
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'closed'")" 1500
	assert_db_ok
}

@test "a writer held off past db_busy_timeout exits 75 and changes nothing" {
	examples
	config <<-'EOF'
	db_busy_timeout: 1s
	EOF
	hold_lock
	run -75 chat-close 1
	assert_output --partial "database is busy"
	release_lock
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 1")" open
}

@test "kill -9 during a batch close leaves whole batches, each change with its event" {
	awk 'BEGIN { for (i = 1; i <= 30000; i++)
		printf "{\"conversation\":\"C%d\",\"at\":%d,\"author\":\"visitor\",\"text\":\"x\"}\n", i, 1795392000 + i }' |
		chat-import -q
	seq 1 30000 >"$BATS_TEST_TMPDIR/ids"
	chat-close -q --at last <"$BATS_TEST_TMPDIR/ids" &
	pid=$!
	# A random moment: where the kill falls is what is tested.
	sleep 0.$((RANDOM % 6 + 2))
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" || true
	closed=$(sql "SELECT count(*) FROM conversations WHERE state = 'closed'")
	assert_equal "$((closed % 10000))" 0
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'closed'")" "$closed"
	assert_db_ok
	chat-close -q --at last <"$BATS_TEST_TMPDIR/ids"
	assert_equal "$(chat-history --closed --count)" 30000
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'closed'")" 30000
}

@test "--mail or --zendesk without the config they need is 78 before anything is written" {
	examples
	unset ZENDESK_TOKEN
	before=$(dump)
	run -78 chat-close -t billing -m "Sorted." --mail jane@example.com 5
	assert_output "chat-close: mail: mail.url and mail.from must be set in the config (no config file at $HOME/.config/chat-tools/config.yaml)"
	run -78 chat-close --zendesk 5 6
	assert_output "chat-close: zendesk: zendesk.url must be set in the config (no config file at $HOME/.config/chat-tools/config.yaml)"
	config <<-'EOF'
	zendesk: {url: "https://acme.zendesk.com", email: a@example.com, token_env: ZENDESK_TOKEN}
	EOF
	run -78 chat-close --at last --zendesk 5
	assert_output "chat-close: zendesk: the variable ZENDESK_TOKEN named by the config is not set"
	run -78 chat-close -n --zendesk 5
	assert_equal "$(dump)" "$before"
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 5")" open
}

@test "a bad option run by a path is named by the tool's name, as every other message" {
	run -2 "$TOP/${CHAT_BUILD:-build}/bin/chat-close" --bogus 1
	assert_line --index 0 "chat-close: unrecognized option '--bogus'"
	assert_line --index 1 --partial "usage: chat-close "
}
