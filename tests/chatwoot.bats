#!/usr/bin/env bats
# chat-import -f chatwoot: Chatwoot's webhook payloads (tests/chatwoot/,
# with the keys of Chatwoot's own presenters) as conversations, messages,
# notes, tags and their history. T0 is 2026-11-20T09:00:00Z, when the
# widget's conversation starts.

load helper

CW=$TOP/tests/chatwoot
T0=1795165200

# The conversations as a row each: ref, channel, visitor, email, operator,
# state, started_at, closed_at, closed_by.
conversations() {
	sql "SELECT ref, channel, visitor, coalesce(visitor_email, ''),
	    operator, state, started_at, coalesce(closed_at, 0),
	    coalesce(closed_by, '') FROM conversations ORDER BY ref"
}

# The tags of the conversation with ref $1, by name.
tags_of() {
	sql "SELECT t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag
	    JOIN conversations c ON c.id = ct.conversation
	    WHERE c.ref = '$1' ORDER BY t.name"
}

@test "a widget conversation from created to resolved: visitor, operator, messages, a note, an edit, files, the close at its time" {
	run -0 chat-import -q -f chatwoot "$CW/widget.jsonl"
	assert_output "chat-import: $CW/widget.jsonl: 3 payloads with nothing chat-tools keeps, skipped"
	assert_equal "$(conversations)" \
	    "chatwoot:3:42|chat|Jane Roe|jane@example.com|Bob Chen|closed|$T0|$((T0 + 660))|operator"
	assert_equal "$(sql "SELECT ref, at, author, coalesce(name, ''), body
	    FROM messages ORDER BY at")" \
	    "1001|$((T0 + 60))|visitor|Jane Roe|Hello, my order #1234 has not arrived yet & I need it
1002|$((T0 + 180))|operator|Alice Martin|Sorry to hear that, Jane. Let me check with the carrier.
1004|$((T0 + 360))|visitor|Jane Roe|Attachment: receipt.png <https://chat.acme.example/rails/active_storage/blobs/redirect/eyJfcmFpbHMiOnsiZGF0YSI6Nzd9fQ--3f1a/receipt.png>
Attachment: order%201234.pdf <https://chat.acme.example/rails/active_storage/blobs/redirect/eyJfcmFpbHMiOnsiZGF0YSI6Nzh9fQ--9c2e/order%201234.pdf?disposition=attachment>
1005|$((T0 + 600))|operator|Bob Chen|The refund is on its way: 3 to 5 days.
1007|$((T0 + 662))|bot||Please rate the conversation"
	# The private note is a note, never a message, by its agent at its time.
	assert_equal "$(sql "SELECT at, author, body FROM notes")" \
	    "$((T0 + 240))|Alice Martin|Carrier says the parcel is lost; refund promised."
	assert_equal "$(chat-history --grep carrier -o ids)" 1
	assert_equal "$(chat-history --grep refund -o ids)" 1
	# The edit is there, the old words gone from the search; the activity
	# message ("resolved by") and a status-only update of 1002 are nothing.
	assert_equal "$(chat-history --grep need -o ids)" 1
	assert_equal "$(sql "SELECT at, actor, action, coalesce(detail, '')
	    FROM events WHERE action NOT IN ('imported', 'edited', 'tagged',
	    'untagged') ORDER BY at, id")" \
	    "$((T0 + 120))|tester|assigned|Alice Martin
$((T0 + 240))|Alice Martin|noted|Carrier says the parcel is lost; refund promised.
$((T0 + 480))|tester|assigned|Bob Chen
$((T0 + 660))|tester|closed|by operator at 2026-11-20T09:11:00Z"
	assert_equal "$(sql "SELECT actor, detail FROM events
	    WHERE action = 'edited'")" "Jane Roe|1001"
	# chat-stats counts the close at its time, not the import's.
	run -0 chat-stats -o tsv --closed-since 2026-11-20T09:11:00Z \
	    --closed-until 2026-11-20T09:12:00Z
	assert_line --index 1 --regexp $'^\\(total\\)\t1\t660\t'
	run -1 chat-stats -o tsv --closed-since 2026-11-20T09:12:00Z
	assert_equal "${#lines[@]}" 1
}

@test "labels are the conversation's tags, changed twice, one with a space" {
	head -n 6 "$CW/widget.jsonl" >"$BATS_TEST_TMPDIR/first.jsonl"
	run -0 chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/first.jsonl"
	assert_equal "$(tags_of chatwoot:3:42)" "billing
sample tag"
	run -0 chat-import -q -f chatwoot "$CW/widget.jsonl"
	assert_equal "$(tags_of chatwoot:3:42)" "billing
refund"
	assert_equal "$(chat-history --tag refund -o ids)" 1
	assert_equal "$(chat-history --tag 'sample tag' --count)" 0
}

@test "a reassignment names the new operator; an older payload delivered late changes nothing" {
	run -0 chat-import -q -f chatwoot "$CW/widget.jsonl"
	# The assignment to Alice (line 3) and the labels before the second
	# change (line 6), again after everything.
	sed -n '3p;6p' "$CW/widget.jsonl" >"$BATS_TEST_TMPDIR/late.jsonl"
	run -0 chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/late.jsonl"
	assert_output ""
	assert_equal "$(sql "SELECT operator FROM conversations")" "Bob Chen"
	assert_equal "$(sql "SELECT count(*) FROM events
	    WHERE action = 'assigned'")" 2
	assert_equal "$(tags_of chatwoot:3:42)" "billing
refund"
}

@test "snoozed is parked, open again is reopened, resolved is closed; pending and the bot's messages" {
	run -0 chat-import -q -f chatwoot "$CW/snoozed.jsonl"
	assert_output ""
	assert_equal "$(sql "SELECT at, action, coalesce(detail, '') FROM events
	    WHERE action IN ('parked', 'reopened', 'closed') ORDER BY at")" \
	    "$((T0 + 1380))|parked|
$((T0 + 2400))|reopened|parked
$((T0 + 2520))|closed|by operator at 2026-11-20T09:42:00Z
$((T0 + 3000))|reopened|closed"
	# Pending after all that (the bot's turn again) leaves it open.
	assert_equal "$(conversations)" \
	    "chatwoot:3:43|chat|Ken Adams||Carla Diaz|open|$((T0 + 1200))|0|"
	# An agent bot's reply is the bot's, by its name.
	assert_equal "$(sql "SELECT ref, author, name FROM messages ORDER BY at")" \
	    "1101|visitor|Ken Adams
1102|bot|Acme Bot
1103|operator|Carla Diaz"
}

@test "another account's WhatsApp inbox with the same display id is another conversation" {
	run -0 --separate-stderr chat-import -f chatwoot "$CW/widget.jsonl" \
	    "$CW/whatsapp.jsonl"
	assert_output "1
2"
	assert_equal "$(conversations)" \
	    "chatwoot:11:42|whatsapp|Luis Ortega||Carla Diaz|closed|$((T0 + 1800))|$((T0 + 2100))|operator
chatwoot:3:42|chat|Jane Roe|jane@example.com|Bob Chen|closed|$T0|$((T0 + 660))|operator"
	assert_equal "$(sql "SELECT m.ref, m.body FROM messages m
	    JOIN conversations c ON c.id = m.conversation
	    WHERE c.ref = 'chatwoot:11:42' ORDER BY m.at")" \
	    "2001|Hola, ¿dónde está mi pedido?
2002|Llega mañana <antes de las 14h>."
	run -0 chat-stats --by channel -o tsv
	assert_line --regexp $'^whatsapp\t1\t300\t'
	assert_line --regexp $'^chat\t1\t660\t'
}

@test "every payload delivered twice, in any order, changes nothing" {
	cat "$CW/widget.jsonl" "$CW/snoozed.jsonl" "$CW/whatsapp.jsonl" \
	    >"$BATS_TEST_TMPDIR/all.jsonl"
	run -0 chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/all.jsonl"
	before=$(dump)
	run -0 chat-import -f chatwoot "$BATS_TEST_TMPDIR/all.jsonl"
	assert_equal "$(dump)" "$before"
	# Backwards: each retry of Chatwoot's comes after newer payloads.
	tac "$BATS_TEST_TMPDIR/all.jsonl" >"$BATS_TEST_TMPDIR/back.jsonl"
	run -0 chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/back.jsonl"
	assert_equal "$(dump)" "$before"
}

@test "a payload that is not Chatwoot's is refused with its line and key (65), the rest imported, unknown events skipped" {
	f=$CW/malformed.jsonl
	run -65 chat-import -q -f chatwoot "$f"
	assert_output "chat-import: $f:1: malformed JSON
chat-import: $f:2: not a JSON object
chat-import: $f:3: event: missing (not a Chatwoot payload)
chat-import: $f:4: event: expected a string
chat-import: $f:5: conversation.inbox_id: missing
chat-import: $f:6: id: expected an integer
chat-import: $f:7: status: expected open, resolved, pending or snoozed
chat-import: $f:8: message_type: expected incoming, outgoing, activity or template
chat-import: $f:9: attachments: expected objects with a data_url and a file_type, strings
chat-import: $f:10: \\u0000: a NUL character cannot be stored
chat-import: $f:13: status: expected open, resolved, pending or snoozed
chat-import: $f:14: message_type: expected incoming, outgoing, activity or template
chat-import: $f: 1 payload with nothing chat-tools keeps, skipped"
	assert_equal "$(sql "SELECT ref, body FROM messages")" \
	    "2004|A second question, well formed."
	assert_equal "$(sql "SELECT ref, channel FROM conversations")" \
	    "chatwoot:11:42|whatsapp"
}

@test "the channel is the inbox's type, by the table of chat-import(1); an older payload's missing keys are no error" {
	i=0
	for ch in WebWidget Whatsapp FacebookPage Instagram TwitterProfile \
	    Email Sms TwilioSms Telegram Line Api Voice ::; do
		i=$((i + 1))
		printf '{"event":"conversation_created","id":%d,"inbox_id":%d,"channel":"Channel::%s","status":"open","meta":{},"updated_at":%d.25}\n' \
		    "$i" "$i" "$ch" "$((T0 + i))"
	done >"$BATS_TEST_TMPDIR/ch.jsonl"
	run -0 chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/ch.jsonl"
	assert_equal "$(sql "SELECT channel FROM conversations ORDER BY id")" \
	    "chat
whatsapp
messenger
instagram
twitter
email
sms
sms
telegram
line
api
voice
chat"
	assert_equal "$(sql "SELECT started_at FROM conversations
	    WHERE ref = 'chatwoot:1:1'")" $((T0 + 1))
}

@test "message_updated of a message never seen brings it whole; a private note's edit is a note of its new text" {
	f=$BATS_TEST_TMPDIR/u.jsonl
	# The update of 1001 alone (its creation was missed), then the private
	# note's creation and an edit of it.
	sed -n '8p;5p' "$CW/widget.jsonl" >"$f"
	sed -n '5p' "$CW/widget.jsonl" |
	    sed 's/"message_created"/"message_updated"/; s/refund promised\./refund promised (EUR 42)./' >>"$f"
	run -0 chat-import -q -f chatwoot "$f"
	assert_equal "$(sql "SELECT ref, at, body FROM messages")" \
	    "1001|$((T0 + 60))|Hello, my order #1234 has not arrived yet & I need it"
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'edited'")" 0
	assert_equal "$(sql "SELECT body FROM notes ORDER BY id")" \
	    "Carrier says the parcel is lost; refund promised.
Carrier says the parcel is lost; refund promised (EUR 42)."
}

# Chatwoot retries a delivery that timed out: a resolve can come before the
# reopen it followed. The latest status is the conversation's.
@test "a resolve delivered before the reopen it followed: closed at the latest resolve" {
	p='{"event":"%s","id":5,"inbox_id":1,"channel":"Channel::WebWidget","status":"%s","meta":{},"updated_at":%d.5,"changed_attributes":[{"status":{"previous_value":"%s","current_value":"%s"}}]}\n'
	{
		printf "$p" conversation_created open "$T0" open open
		printf "$p" conversation_status_changed resolved $((T0 + 100)) open resolved
		printf "$p" conversation_status_changed resolved $((T0 + 300)) open resolved
		printf "$p" conversation_status_changed open $((T0 + 200)) resolved open
		printf "$p" conversation_status_changed open $((T0 + 400)) pending open
	} >"$BATS_TEST_TMPDIR/s.jsonl"
	run -0 chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/s.jsonl"
	assert_equal "$(sql "SELECT state, closed_at FROM conversations")" \
	    "closed|$((T0 + 300))"
	assert_equal "$(sql "SELECT action, at FROM events WHERE action <> 'imported' ORDER BY id")" \
	    "closed|$((T0 + 100))
closed|$((T0 + 300))"
}

@test "the fixtures delivered backwards into a new database end as delivered in order" {
	cat "$CW"/widget.jsonl "$CW"/snoozed.jsonl "$CW"/whatsapp.jsonl >"$BATS_TEST_TMPDIR/all.jsonl"
	tac "$BATS_TEST_TMPDIR/all.jsonl" >"$BATS_TEST_TMPDIR/back.jsonl"
	fwd=$BATS_TEST_TMPDIR/fwd.db
	CHAT_DB=$fwd chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/all.jsonl" 2>/dev/null
	chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/back.jsonl" 2>/dev/null
	q="SELECT c.ref, c.state, coalesce(c.closed_at, 0), coalesce(c.operator, ''),
	    coalesce((SELECT string_agg(t.name, ',' ORDER BY t.key) FROM conversation_tags ct
	    JOIN tags t ON t.id = ct.tag WHERE ct.conversation = c.id), '')
	    FROM conversations c ORDER BY c.ref"
	lite=${q//string_agg(t.name, \',\' ORDER BY t.key)/group_concat(t.name, \',\')}
	assert_equal "$(sql "$(is_pg && echo "$q" || echo "$lite")")" \
	    "$(sqlite3 "$fwd" "$lite")"
}
