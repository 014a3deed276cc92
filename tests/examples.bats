#!/usr/bin/env bats
# The example converters of examples/: examples/livechat.jq turns LiveChat's
# chat archive (examples/livechat-archive.json, a list_archives answer) into
# chat-import's lines, imported here by the real chat-import.

load helper

LC=$TOP/examples/livechat.jq
ARCHIVE=$TOP/examples/livechat-archive.json

# The converter on the files "$@", through chat-import; the pipeline's
# status is the first that failed.
livechat_import() {
	set -o pipefail
	jq -c -f "$LC" "$@" | chat-import -q
}

# The conversations as a row each: ref, channel, visitor, email, operator,
# state, started_at, first visitor message, first response, closed_at,
# closed_by, tags.
conversations() {
	sql "SELECT ref, channel, visitor, coalesce(visitor_email, ''),
	    coalesce(operator, ''), state, started_at,
	    coalesce(first_visitor_at, 0), coalesce(first_response_at, 0),
	    coalesce(closed_at, 0), coalesce(closed_by, ''),
	    coalesce((SELECT group_concat(name, ',') FROM (SELECT t.name
		FROM conversation_tags ct JOIN tags t ON t.id = ct.tag
		WHERE ct.conversation = c.id ORDER BY t.name) AS n), '')
	    FROM conversations c ORDER BY ref"
}

@test "livechat.jq: a LiveChat archive is a conversation per thread, with its messages, files, whispers, transfer, tags and closes at their times" {
	run -0 livechat_import "$ARCHIVE"
	assert_output ""
	# Jane's chat has two threads: two conversations. The welcome message
	# (09:58:02) is the bot's, not the first response (09:59:31); the
	# open thread stays open; the last, tags with a space.
	assert_equal "$(conversations)" \
	    "livechat:PJ0MRSHTDG:QBT14H0Y3Y|chat|Jane Roe|jane@example.com|Alice Martin|closed|1795514282|1795514320|1795514371|1795514640|operator|billing,refund request
livechat:PJ0MRSHTDG:QBT2RV1K0D|chat|Jane Roe|jane@example.com|Bob Chen|closed|1795702811|1795702811|1795702890|1795703507|system|
livechat:PWJ8Y4THAV:QC0A7ZK2M1|chat|Lucas Martin||Bob Chen|closed|1795795544|1795795544|1795795580|1795797420|system|shipping
livechat:Q1N3D5TYVB:QC3FX8P0WA|chat|Camille Roux|camille@example.org|Alice Martin|open|1795863600|1795863600|1795863674|0||
livechat:Q2M7HH0EQW:QBV9KD31SE|chat|Yusuf Demir|yusuf@example.com|Alice Martin|closed|1795594300|1795594300|1795594342|1795594385|visitor|"
	assert_equal "$(sql "SELECT m.ref, m.author, coalesce(m.name, ''), m.body
	    FROM messages m JOIN conversations c ON c.id = m.conversation
	    WHERE c.ref = 'livechat:PJ0MRSHTDG:QBT14H0Y3Y' ORDER BY m.at")" \
	    "QBT14H0Y3Y_1|bot|Alice Martin|Hello. What can I do for you?
QBT14H0Y3Y_2|visitor|Jane Roe|Hi, I was charged twice for order #5521.
QBT14H0Y3Y_3|operator|Alice Martin|Sorry about that, Jane. Could you send me your bank statement?
QBT14H0Y3Y_4|visitor|Jane Roe|Attachment: statement-nov.pdf <https://cdn.livechat-static.com/api/file/lc/att/11442778/b92d076aa93e119013f4be6d6e955d02/statement-nov.pdf>
QBT14H0Y3Y_6|operator|Alice Martin|Thank you. The second charge will be refunded within 5 days.
QBT14H0Y3Y_7|visitor|Jane Roe|Great, thanks!"
	# An agent's file is the operator's; the whisper (visible to agents
	# only) is a note, never a message.
	assert_equal "$(sql "SELECT author, body FROM messages
	    WHERE ref = 'QC0A7ZK2M1_3'")" \
	    "operator|Attachment: shipping rates 2026.pdf <https://cdn.livechat-static.com/api/file/lc/att/11442778/46d757e6d122d4f53bc33a6de65a7fdf/shipping%20rates%202026.pdf>"
	assert_equal "$(sql "SELECT at, author, body FROM notes")" \
	    "1795514523|Alice Martin|Double charge confirmed in Stripe, refunding 49 EUR."
	assert_equal "$(sql "SELECT count(*) FROM messages WHERE body LIKE '%Stripe%'")" 0
	assert_equal "$(sql "SELECT count(*) FROM messages")" 16
	# The history: who did what, when; the rating is not kept.
	assert_equal "$(sql "SELECT c.ref, e.at, e.actor, e.action,
	    coalesce(e.detail, '') FROM events e
	    JOIN conversations c ON c.id = e.conversation
	    WHERE e.action <> 'imported' AND c.ref LIKE 'livechat:PJ0MRSHTDG:%'
	    ORDER BY e.at, e.id")" \
	    "livechat:PJ0MRSHTDG:QBT14H0Y3Y|1795514371|tester|assigned|Alice Martin
livechat:PJ0MRSHTDG:QBT14H0Y3Y|1795514523|Alice Martin|noted|Double charge confirmed in Stripe, refunding 49 EUR.
livechat:PJ0MRSHTDG:QBT14H0Y3Y|1795514640|Alice Martin|closed|by operator at 2026-11-24T10:04:00Z
livechat:PJ0MRSHTDG:QBT14H0Y3Y|1795514670|tester|tagged|billing
livechat:PJ0MRSHTDG:QBT14H0Y3Y|1795514670|tester|tagged|refund request
livechat:PJ0MRSHTDG:QBT2RV1K0D|1795702890|tester|assigned|Alice Martin
livechat:PJ0MRSHTDG:QBT2RV1K0D|1795703310|tester|assigned|Bob Chen
livechat:PJ0MRSHTDG:QBT2RV1K0D|1795703507|tester|visitor_left|
livechat:PJ0MRSHTDG:QBT2RV1K0D|1795703507|tester|closed|by system at 2026-11-26T14:31:47Z"
	assert_equal "$(sql "SELECT actor, detail FROM events
	    WHERE action = 'closed' AND detail LIKE 'by visitor%'")" \
	    "Yusuf Demir|by visitor at 2026-11-25T08:13:05Z"
	# chat-stats counts each close at its own time, not the import's.
	run -0 chat-stats -o tsv --closed-since 2026-11-24 --closed-until 2026-11-25
	assert_line --index 1 --regexp $'^\\(total\\)\t1\t358\t'
	run -0 chat-history --grep RF-2291 -o ids
	assert_output "$(sql "SELECT id FROM conversations
	    WHERE ref = 'livechat:PJ0MRSHTDG:QBT2RV1K0D'")"
}

@test "livechat.jq: the archive imported twice, or its pages in another order, changes nothing" {
	run -0 livechat_import "$ARCHIVE"
	before=$(dump)
	run -0 livechat_import "$ARCHIVE"
	assert_output ""
	assert_equal "$(dump)" "$before"
	# Each entry as a page of its own, oldest first (list_archives with
	# sort_order asc, limit 1).
	for i in 4 3 2 1 0; do
		jq "{chats: [.chats[$i]], found_chats: 5}" "$ARCHIVE" \
		    >"$BATS_TEST_TMPDIR/page$i.json"
	done
	run -0 livechat_import "$BATS_TEST_TMPDIR"/page{4,3,2,1,0}.json
	assert_equal "$(dump)" "$before"
}

@test "livechat.jq: a get_chat answer is read too; a thread archived without a system message is closed by the system at its last event" {
	cat >"$BATS_TEST_TMPDIR/chat.json" <<-'EOF'
	{"id": "PX11", "users": [
	  {"id": "0c5e", "type": "customer", "name": "Ana Silva"},
	  {"id": "carla@acme.example", "type": "agent", "name": "Carla Diaz"}],
	 "thread": {"id": "TQ7", "active": false, "created_at": "2026-11-20T10:00:00.000000Z",
	  "events": [
	   {"id": "TQ7_1", "type": "message", "author_id": "0c5e",
	    "created_at": "2026-11-20T10:00:00.120000Z", "visibility": "all", "text": "Hi"},
	   {"id": "TQ7_2", "type": "message", "author_id": "dan@acme.example",
	    "created_at": "2026-11-20T10:01:00.500000Z", "visibility": "all", "text": "Hello Ana"},
	   {"id": "TQ7_3", "type": "filled_form", "author_id": "0c5e", "form_id": "f1",
	    "created_at": "2026-11-20T10:02:00.000000Z", "visibility": "all", "fields": []}]}}
	EOF
	run -0 livechat_import "$BATS_TEST_TMPDIR/chat.json"
	# An author no longer among the chat's users is an operator named by
	# their id; the form is not kept, but it is the thread's last event.
	assert_equal "$(conversations)" \
	    "livechat:PX11:TQ7|chat|Ana Silva||dan@acme.example|closed|1795168800|1795168800|1795168860|1795168920|system|"
	assert_equal "$(sql "SELECT author, name FROM messages ORDER BY at")" \
	    "visitor|Ana Silva
operator|dan@acme.example"
}

@test "livechat.jq: an export that is not LiveChat's stops jq with a message, and nothing of it is imported" {
	good=$(jq -c '.chats[0]' "$ARCHIVE")
	bad() {
		printf '%s\n' "$1" >"$BATS_TEST_TMPDIR/bad.json"
		run -5 --separate-stderr jq -c -f "$LC" "$BATS_TEST_TMPDIR/bad.json"
		assert_output ""
		# jq names the file and the line where the document ends.
		assert_regex "$stderr" '^jq: error \(at .*/bad\.json:[0-9]+\): '
		assert_equal "${stderr#*): }" "livechat.jq: $2"
		run -5 livechat_import "$BATS_TEST_TMPDIR/bad.json"
		assert_equal "$(sql "SELECT count(*) FROM conversations")" 0
	}
	bad '[]' "not a LiveChat list_archives or get_chat answer"
	bad '{"found_chats": 0}' \
	    "not a LiveChat list_archives or get_chat answer: no chats, no thread"
	bad '{"chats": {}}' "list_archives: chats: not an array"
	bad '{"chats": [{"id": 7}]}' "chat: id: not a string"
	bad '{"chats": [{"id": "C1", "users": [], "thread": {"id": "T1",
	    "active": false, "restricted_access": "group 3",
	    "created_at": "2026-11-20T10:00:00.000000Z"}}]}' \
	    "chat C1: thread T1: restricted access, no events (an export needs the chats--all:ro scope)"
	# A fault in the last chat: the good one before it is not printed.
	bad "{\"chats\": [$good, {\"id\": \"C1\", \"users\": [],
	    \"thread\": {\"id\": \"T1\", \"active\": false,
	    \"created_at\": \"2026-11-20T10:00:00.000000Z\", \"events\": [
	    {\"id\": \"T1_1\", \"type\": \"message\", \"author_id\": \"x\",
	     \"text\": \"hi\"}]}}]}" \
	    "chat C1: thread T1: event T1_1: created_at: not a string"
	bad '{"chats": [{"id": "C1", "users": [], "thread": {"id": "T1",
	    "active": true, "created_at": "2026-11-20T10:00:00.000000Z",
	    "events": [{"id": "T1_1", "type": "file", "author_id": "x",
	    "created_at": "2026-11-20T10:00:00.000000Z", "name": "a.png"}]}}]}' \
	    "chat C1: thread T1: event T1_1: url: not a string"
	bad '{"chats": [{"id": "C1", "users": [], "thread": {"id": "T1",
	    "active": true, "created_at": "2026-11-20T10:00:00.000000Z",
	    "tags": ["vip", 3]}}]}' "chat C1: thread T1: tags: not all strings"
	# Not JSON at all: jq's own message, its status 2 (jq 1.6) or 5.
	printf 'chats: none\n' >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr jq -c -f "$LC" "$BATS_TEST_TMPDIR/bad.json"
	assert [ "$status" -ne 0 ]
	assert_output ""
	assert_regex "$stderr" 'parse error'
}
