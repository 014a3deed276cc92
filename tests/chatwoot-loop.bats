#!/usr/bin/env bats
# Round trips: what chat-tools changes in a conversation from Chatwoot goes
# back through the write-back (tests/chatwoot.py standing in for Chatwoot),
# and what Chatwoot then sends, its echo or its own news, must not undo it.
# The payloads are tests/chatwoot/snoozed.jsonl's conversation 43 (inbox
# 3), as Chatwoot would send them now.

load helper

CW=$TOP/tests/chatwoot
T0=1795165200
TOKEN=cw-secret-token-0815

# The write-back to the stand-in on $CW_PORT.
chatwoot_config() {
	export CHATWOOT_TOKEN=$TOKEN
	config <<-EOF
	chatwoot:
	  url: http://127.0.0.1:$CW_PORT
	  account: 1
	  insecure: true
	  token_env: CHATWOOT_TOKEN
	delivery: {max_attempts: 3, connect_timeout: 2s, timeout: 2s}
	EOF
}

# Conversation 43's last payload (pending) made a payload of event $1 at
# Unix time $2, by jq filter $3 (which sets what else differs).
payload() {
	sed -n 10p "$CW/snoozed.jsonl" |
	    jq -c --arg e "$1" --argjson t "$2" ".event = \$e | .updated_at = \$t + 0.25 | $3"
}

# A reassignment (assignee_id changed): what Chatwoot sends for any change,
# with its labels as they are ($2, a JSON array).
reassigned() {
	payload conversation_updated "$1" ".labels = $2 | .changed_attributes = [{assignee_id: {previous_value: 9, current_value: 10}}]"
}

# A change of labels from $2 to $3 (JSON arrays).
relabelled() {
	payload conversation_updated "$1" ".labels = $3 | .changed_attributes = [{label_list: {previous_value: $2, current_value: $3}}]"
}

# A change of status from $2 to $3.
status_changed() {
	payload conversation_status_changed "$1" ".status = \"$3\" | .changed_attributes = [{status: {previous_value: \"$2\", current_value: \"$3\"}}]"
}

# What the stand-in holds of conversation 43: "status|labels sorted".
remote() {
	/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1] + "/state.json"))["1/43"]
print(c["status"], ",".join(sorted(c["labels"])), sep="|")' "$CW_DIR"
}

tags() {
	sql "SELECT t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag
	    WHERE ct.conversation = 1 ORDER BY t.key"
}

due_now() {
	sql "UPDATE deliveries SET next_attempt_at = 0 WHERE state = 'pending'"
}

@test "a tag waiting in the outbox survives Chatwoot's next payloads, and the delivery sends it with Chatwoot's own label changes" {
	chat-import -q -f chatwoot "$CW/snoozed.jsonl"
	start_chatwoot
	chatwoot_config
	echo 500 >"$CW_DIR/plan"
	run -0 chat-close -t vip 1
	assert_output --partial "chatwoot:labels: HTTP 500: Internal Server Error; queued"
	# Chatwoot never got vip: its payloads since, a reassignment with
	# the list it has (and a label whose change was missed), a label
	# given and one taken away there, are all newer than vip (a time
	# ahead of the clock would be taken as now).
	sleep 3
	now=$(date +%s)
	{
		reassigned $((now - 2)) '["billing"]'
		relabelled $((now - 1)) '["billing"]' '["billing","urgent"]'
		relabelled "$now" '["billing","urgent"]' '["urgent"]'
	} >"$BATS_TEST_TMPDIR/p.jsonl"
	run -0 chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/p.jsonl"
	assert_equal "$(tags)" "urgent
vip"
	assert_equal "$(sql "SELECT action, detail FROM events WHERE action
	    IN ('tagged', 'untagged') ORDER BY id")" "tagged|vip
tagged|billing
tagged|urgent
untagged|billing"
	# Chatwoot delivers again, in any order: nothing changes.
	before=$(dump)
	tac "$BATS_TEST_TMPDIR/p.jsonl" | chat-import -q -f chatwoot
	assert_equal "$(dump)" "$before"
	due_now
	run -0 chat-export --flush
	assert_line "1 chatwoot:labels sent"
	assert_equal "$(remote)" "resolved|urgent,vip"
}

@test "a tag taken away here is not given back by Chatwoot's list of labels, which it is still in" {
	chat-import -q -f chatwoot "$CW/snoozed.jsonl"
	relabelled $((T0 + 3100)) '[]' '["billing","vip"]' |
	    chat-import -q -f chatwoot
	chat-tag -q -r vip 1
	sleep 1
	reassigned "$(date +%s)" '["billing","vip"]' |
	    chat-import -q -f chatwoot
	assert_equal "$(tags)" billing
}

@test "labels only a list names are tags a label change missed: added, dated at the conversation's creation, never taken away" {
	# Conversation 43 first seen through a message, which names no labels.
	sed -n 2p "$CW/snoozed.jsonl" | jq -c '.conversation.labels = ["billing"]' |
	    chat-import -q -f chatwoot
	assert_equal "$(tags)" ""
	created=$(sed -n 1p "$CW/snoozed.jsonl" | jq .created_at)
	reassigned $((T0 + 3100)) '["billing","sample tag"]' |
	    chat-import -q -f chatwoot
	assert_equal "$(sql "SELECT t.name, ct.tagged_at FROM conversation_tags ct
	    JOIN tags t ON t.id = ct.tag ORDER BY t.key")" "billing|$created
sample tag|$created"
	# The change that gave them, late: it names the time.
	relabelled $((T0 + 3050)) '[]' '["billing"]' | chat-import -q -f chatwoot
	assert_equal "$(tags)" "billing
sample tag"
	# A list without one takes nothing away; a change does, by tag key.
	reassigned $((T0 + 3200)) '["billing"]' | chat-import -q -f chatwoot
	assert_equal "$(tags)" "billing
sample tag"
	relabelled $((T0 + 3300)) '["billing","Sample Tag"]' '["billing"]' |
	    chat-import -q -f chatwoot
	assert_equal "$(tags)" billing
	# An older list that still had it, delivered late, changes nothing.
	reassigned $((T0 + 3250)) '["billing","sample tag"]' |
	    chat-import -q -f chatwoot
	assert_equal "$(tags)" billing
}

@test "Chatwoot's echo of the forgotten-close pipeline's resolve leaves the close at the last activity, one close event" {
	chat-import -q -f chatwoot "$CW/snoozed.jsonl"
	start_chatwoot
	chatwoot_config
	run -0 bash -c 'chat-history --forgotten | chat-close -q --at last'
	assert_equal "$(remote)" "resolved|"
	last=$((T0 + 2460))
	assert_equal "$(sql "SELECT state, closed_at, closed_by FROM conversations")" \
	    "closed|$last|operator"
	sleep 3
	now=$(date +%s)
	{
		status_changed $((now - 2)) pending resolved
		payload conversation_updated $((now - 2)) '.status = "resolved" | .changed_attributes = [{status: {previous_value: "pending", current_value: "resolved"}}]'
	} >"$BATS_TEST_TMPDIR/echo.jsonl"
	run -0 chat-import -f chatwoot "$BATS_TEST_TMPDIR/echo.jsonl"
	assert_output ""
	assert_equal "$(sql "SELECT state, closed_at, closed_by FROM conversations")" \
	    "closed|$last|operator"
	assert_equal "$(sql "SELECT actor, action FROM events WHERE action IN
	    ('closed', 'parked', 'reopened') AND at > $T0 + 3000 ORDER BY id")" \
	    "tester|closed"
	run -0 chat-stats -o tsv
	assert_line --index 1 --regexp $'^\\(total\\)\t1\t1260\t'
	# An agent reopens and resolves it on Chatwoot, the resolve delivered
	# first: the reopen, late, proves that resolve a new close.
	{
		status_changed "$now" open resolved
		status_changed $((now - 1)) resolved open
	} >"$BATS_TEST_TMPDIR/again.jsonl"
	run -0 chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/again.jsonl"
	assert_equal "$(sql "SELECT state, closed_at FROM conversations")" \
	    "closed|$now"
	before=$(dump)
	cat "$BATS_TEST_TMPDIR/echo.jsonl" "$BATS_TEST_TMPDIR/again.jsonl" |
	    chat-import -q -f chatwoot
	assert_equal "$(dump)" "$before"
}

@test "a visitor writing to a resolved conversation of an inbox with a bot (pending) reopens it: the next resolve is a close of its own" {
	chat-import -q -f chatwoot "$CW/snoozed.jsonl"
	{
		status_changed $((T0 + 3500)) pending resolved
		status_changed $((T0 + 3600)) resolved pending
		status_changed $((T0 + 3700)) pending open
		status_changed $((T0 + 3800)) open resolved
	} >"$BATS_TEST_TMPDIR/p.jsonl"
	run -0 chat-import -q -f chatwoot "$BATS_TEST_TMPDIR/p.jsonl"
	assert_equal "$(sql "SELECT state, closed_at FROM conversations")" \
	    "closed|$((T0 + 3800))"
	assert_equal "$(sql "SELECT action, at - $T0 FROM events WHERE action IN
	    ('closed', 'parked', 'reopened') AND at >= $T0 + 3500 ORDER BY at")" \
	    "closed|3500
reopened|3600
closed|3800"
	before=$(dump)
	tac "$BATS_TEST_TMPDIR/p.jsonl" | chat-import -q -f chatwoot
	assert_equal "$(dump)" "$before"
}

@test "the same rule in chat-import's own lines: a close of a closed conversation keeps its time; a late reopen between moves it" {
	cat >"$BATS_TEST_TMPDIR/a.ndjson" <<-'EOF'
	{"conversation":"A","at":"2026-11-20T09:00:00Z","author":"visitor","text":"hi"}
	{"conversation":"A","type":"close","at":"2026-11-20T09:05:00Z"}
	{"conversation":"A","type":"close","at":"2026-11-20T09:30:00Z","by":"visitor"}
	EOF
	chat-import -q "$BATS_TEST_TMPDIR/a.ndjson"
	assert_equal "$(sql "SELECT closed_at, closed_by FROM conversations")" \
	    "$((T0 + 300))|operator"
	echo '{"conversation":"A","type":"reopen","at":"2026-11-20T09:20:00Z"}' |
	    chat-import -q
	assert_equal "$(sql "SELECT state, closed_at, closed_by FROM conversations")" \
	    "closed|$((T0 + 1800))|visitor"
	assert_equal "$(sql "SELECT at, actor, detail FROM events WHERE action = 'closed' ORDER BY at")" \
	    "$((T0 + 300))|tester|by operator at 2026-11-20T09:05:00Z
$((T0 + 1800))|tester|by visitor at 2026-11-20T09:30:00Z"
	# Older than the close in force, a reopen changes nothing.
	echo '{"conversation":"A","type":"reopen","at":"2026-11-20T09:02:00Z"}' |
	    chat-import -q
	assert_equal "$(sql "SELECT state, closed_at FROM conversations")" \
	    "closed|$((T0 + 1800))"
}

@test "labels that are not strings, or a label change that is not two lists, are refused with the key (65)" {
	f=$BATS_TEST_TMPDIR/bad.jsonl
	{
		reassigned $((T0 + 3100)) '["billing", 7]'
		payload conversation_updated $((T0 + 3100)) '.changed_attributes = ["label_list"]'
		payload conversation_updated $((T0 + 3100)) '.changed_attributes = {label_list: []}'
		relabelled $((T0 + 3100)) '"billing"' '["billing"]'
		payload conversation_updated $((T0 + 3100)) '.changed_attributes = [{label_list: {previous_value: [], current_value: [null]}}]'
		relabelled $((T0 + 3100)) 'null' '["fine"]'
	} >"$f"
	run -65 chat-import -q -f chatwoot "$f"
	assert_output "chat-import: $f:1: labels: expected strings
chat-import: $f:2: changed_attributes: expected objects
chat-import: $f:3: changed_attributes: expected an array
chat-import: $f:4: changed_attributes: label_list: expected lists of strings
chat-import: $f:5: changed_attributes: label_list: expected lists of strings"
	assert_equal "$(tags)" fine
}
