#!/usr/bin/env bats
# The write-back to Chatwoot: a change made in chat-tools to a conversation
# that came from Chatwoot (tests/chatwoot/ imported) reaches Chatwoot's REST
# API, through a stand-in that fails on purpose (tests/chatwoot.py) and
# through Prism serving Chatwoot's own description of the operations
# (tests/chatwoot-back.json).

load helper

CW=$TOP/tests/chatwoot
TOKEN=cw-secret-token-0815

# The config for the write-back to $CW_PORT; the arguments are more lines
# of its chatwoot: section.
chatwoot_config() {
	config <<-EOF
	chatwoot:
	  url: http://127.0.0.1:$CW_PORT
	  account: 1
	  insecure: true
	$(printf '  %s\n' "${@:-token_env: CHATWOOT_TOKEN}")
	delivery: {max_attempts: 3, connect_timeout: 2s, timeout: 2s}
	EOF
}

# Chatwoot's conversations 42 and 43 of inbox 3 (chat-tools' 1 and 2),
# and another account's 42 (3).
imported() {
	chat-import -q -f chatwoot "$CW/widget.jsonl" "$CW/snoozed.jsonl" \
	    "$CW/whatsapp.jsonl" 2>/dev/null
}

# The fixtures imported, the stand-in started, the write-back to it.
wired() {
	imported
	start_chatwoot
	export CHATWOOT_TOKEN=$TOKEN
	chatwoot_config
}

# What the stand-in holds of conversation $1 of account 1: "status|labels
# sorted|private notes", by Python.
remote() {
	/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1] + "/state.json"))["1/" + sys.argv[2]]
notes = [m["content"] for m in c["messages"] if m["private"] and m["message_type"] == 1]
print(c["status"], ",".join(sorted(c["labels"])), ";".join(notes), sep="|")' "$CW_DIR" "$1"
}

# The requests the stand-in had of method $1 to paths ending in $2 (a
# basic regular expression).
requests() {
	grep -c "\"method\": \"$1\", \"path\": \"[^\"]*$2\"" "$CW_DIR/requests.jsonl" || true
}

# Conversation 43 of account 1 on the stand-in, before it starts, with $1
# messages made $2 seconds ago.
past() {
	mkdir -p "$BATS_TEST_TMPDIR/chatwoot"
	/usr/bin/python3 -c '
import json, sys, time
n, ago = int(sys.argv[2]), int(sys.argv[3])
msgs = [{"id": i, "content": f"Earlier {i}", "account_id": 1,
         "conversation_id": 43, "message_type": i % 2, "private": False,
         "created_at": int(time.time()) - ago, "content_type": "text"}
        for i in range(1, n + 1)]
json.dump({"1/43": {"status": "open", "labels": [], "messages": msgs}},
          open(sys.argv[1] + "/state.json", "w"))' "$BATS_TEST_TMPDIR/chatwoot" "$1" "$2"
}

# $1 replies posted to conversation 43 straight to the stand-in, as agents
# in Chatwoot's app would.
replies() {
	for i in $(seq "$1"); do
		curl -sf -o /dev/null -H "api_access_token: $TOKEN" \
		    -H 'Content-Type: application/json' \
		    -d "{\"content\": \"Later $i\", \"message_type\": \"outgoing\"}" \
		    "http://127.0.0.1:$CW_PORT/api/v1/accounts/1/conversations/43/messages"
	done
}

# How many times Chatwoot's conversation 43 holds the private note $1.
notes_of() {
	/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1] + "/state.json"))["1/43"]
print(sum(1 for m in c["messages"] if m["private"] and m["content"] == sys.argv[2]))' "$CW_DIR" "$1"
}

due_now() {
	sql "UPDATE deliveries SET next_attempt_at = 0 WHERE state = 'pending'"
}

@test "close, park, reopen, tag, untag and a note reach Chatwoot: status, the whole label set, a private note" {
	wired
	run -0 chat-close --park 2
	assert_output --partial "chatwoot.insecure is set"
	# once for the command, not once a request (toggle_status, labels)
	assert_equal "$(grep -c "chatwoot.insecure is set" <<<"$output")" 1
	assert_equal "$(remote 43)" "snoozed||"
	chat-close -q --reopen 2
	assert_equal "$(remote 43)" "open||"
	chat-close -q --at last -t "refund,sample tag" -m "Refund sent." 2
	assert_equal "$(remote 43)" "resolved|refund,sample tag|Refund sent."
	chat-tag -q -r refund 2
	assert_equal "$(remote 43)" "resolved|sample tag|Refund sent."
	run -0 chat-note -m "Checked twice." 2
	assert_line 2
	assert_equal "$(remote 43)" "resolved|sample tag|Refund sent.;Checked twice."
	# Each change a delivery, sent; a note its own, once.
	assert_equal "$(sql "SELECT target, seq, state FROM deliveries ORDER BY id")" \
	    "chatwoot:status|1|sent
chatwoot:status|2|sent
chatwoot:note:2|1|sent
chatwoot:labels|1|sent
chatwoot:status|3|sent
chatwoot:labels|2|sent
chatwoot:note:3|1|sent"
	# A status sends no labels, labels no status.
	assert_equal "$(requests POST /toggle_status)" 3
	assert_equal "$(requests POST /labels)" 2
	assert_equal "$(requests POST /messages)" 2
	assert_equal "$(grep -c '"token_ok": false' "$CW_DIR/requests.jsonl")" 0
	run -0 chat-history 2
	assert_line --regexp '^delivery +chatwoot:status sent \(resolved\), 1 attempt$'
	assert_line --regexp '^delivery +chatwoot:labels sent, 1 attempt$'
	assert_line --regexp ' delivered chatwoot:labels$'
	assert_equal "$(sql "SELECT count(*) FROM deliveries WHERE target = 'chatwoot:labels' AND remote_ref IS NULL")" 2
	assert_line --regexp '^delivery +chatwoot:note:3 sent \(2\), 1 attempt$'
	assert_line --partial "queued chatwoot:note:3"
	refute_output --partial "$TOKEN"
}

@test "the forgotten-close pipeline and the cron's late qualification write back each conversation changed" {
	wired
	sql "UPDATE conversations SET state = 'open', closed_at = NULL, closed_by = NULL"
	sql "DELETE FROM conversation_tags"
	cat >>"$CHAT_CONFIG" <<-'EOF'
	auto_tag:
	  - {tag: parcel, match: "order"}
	EOF
	# 3 is the other account's 42 (inbox 11), refused by the inbox check.
	run -69 bash -c 'chat-history --open -o ids | chat-close -q --at last'
	assert_output --partial "chatwoot:11:42: conversation 42 of account 1 on Chatwoot is in inbox 3, not 11"
	run -0 chat-tag --auto --all -q
	assert_equal "$(remote 42)" "resolved|parcel|"
	assert_equal "$(remote 43)" "resolved||"
	assert_equal "$(sql "SELECT conversation || ' ' || state FROM deliveries WHERE state <> 'sent'")" "3 failed"
	# In the order the ids came; the late tag a delivery of its own.
	assert_equal "$(sql "SELECT conversation || ':' || target FROM deliveries ORDER BY id")" \
	    "3:chatwoot:status
2:chatwoot:status
1:chatwoot:status
1:chatwoot:labels"
}

@test "chatwoot.inboxes: another account's conversation (inbox 11) is never written to this account's of the same number" {
	imported
	start_chatwoot
	export CHATWOOT_TOKEN=$TOKEN
	chatwoot_config 'token_env: CHATWOOT_TOKEN' 'inboxes: [3]'
	chat-tag -q vip 1 3
	chat-note -q -m "Which 42?" 3
	assert_equal "$(sql "SELECT conversation, target FROM deliveries")" "1|chatwoot:labels"
	assert_equal "$(remote 42)" "open|billing,refund,vip|"
	config <<-'EOF'
	chatwoot: {url: "https://127.0.0.1:9", account: 1, token_env: T, inboxes: 3}
	EOF
	T=x run -78 chat-tag vip 1
	assert_output --partial "chatwoot.inboxes"
}

@test "a conversation of another inbox on Chatwoot than its ref's is never written to: failed for good (69), named" {
	wired
	# 3 is account 2's 42 of inbox 11; the stand-in's 1/42 is in inbox 3.
	run -69 chat-tag vip 3
	assert_output --partial "chat-tag: 3: chatwoot:labels: chatwoot:11:42: conversation 42 of account 1 on Chatwoot is in inbox 3, not 11: another account's, not written to (chatwoot.inboxes); failed for good"
	run -69 chat-note -m "Which 42?" 3
	assert_output --partial "chat-note: 3: chatwoot:note:"
	assert_output --partial "is in inbox 3, not 11"
	run -69 chat-close --reopen 3
	assert_equal "$(requests GET /conversations/42)" 3
	assert_equal "$(requests POST '')" 0
	[ ! -e "$CW_DIR/state.json" ]
	run -0 chat-export --pending
	assert_line --regexp '^3 +chatwoot:labels +failed +1 .*is in inbox 3, not 11'
	assert_line --regexp '^3 +chatwoot:status +failed +1 .*is in inbox 3, not 11'
	assert_line --regexp '^3 +chatwoot:note:[0-9]+ +failed +1 '
	# The change stands in chat-tools.
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 3")" open
}

@test "a conversation deleted on Chatwoot: 404 to the first request, failed for good (69), nothing written" {
	wired
	echo 43 >"$CW_DIR/gone"
	run -69 chat-close --park 2
	assert_output --partial "chat-close: 2: chatwoot:status: HTTP 404: Resource could not be found (chatwoot:3:43: no conversation 43 in account 1 on Chatwoot: deleted there?); failed for good"
	assert_equal "$(requests GET /conversations/43)" 1
	assert_equal "$(requests POST '')" 0
}

@test "no loops: chat-import -f chatwoot queues nothing; nothing without chatwoot.url, for other refs, or with -n" {
	start_chatwoot
	export CHATWOOT_TOKEN=$TOKEN
	chatwoot_config
	imported
	assert_equal "$(sql "SELECT count(*) FROM deliveries")" 0
	examples
	chat-close -q --at last -t x 5
	chat-note -q -m "Not a Chatwoot conversation." 5
	assert_equal "$(sql "SELECT count(*) FROM deliveries")" 0
	run -0 chat-close -n -t y 2
	assert_line "2 queued chatwoot:labels"
	assert_line "2 queued chatwoot:status"
	run -0 chat-note -n -m "Dry." 2
	assert_line --regexp "^2 queued chatwoot:note:[0-9]+$"
	assert_equal "$(sql "SELECT count(*) FROM deliveries")" 0
	config </dev/null
	chat-tag -q z 1 2
	assert_equal "$(sql "SELECT count(*) FROM deliveries")" 0
	[ ! -e "$CW_DIR/requests.jsonl" ]
}

@test "429 waits its Retry-After, 500 is retried, --flush sends it in the end; the change stands (0)" {
	wired
	printf '429:120\n500\n' >"$CW_DIR/plan"
	before=$(date +%s)
	run -0 chat-close --at last 2
	assert_line 2
	assert_output --partial "chat-close: 2: chatwoot:status: HTTP 429: Retry later; queued, next attempt at"
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 2")" closed
	assert_equal "$(sql "SELECT CAST(next_attempt_at - $before BETWEEN 119 AND 122 AS INTEGER) FROM deliveries")" 1
	run -0 chat-export --pending -o tsv
	assert_line --regexp $'^2\tchatwoot:status\tpending\t1\t'
	due_now
	run -75 chat-export --flush
	assert_output --partial "2 chatwoot:status pending: HTTP 500: Internal Server Error, next at"
	due_now
	run -0 chat-export --flush
	assert_line "2 chatwoot:status sent"
	assert_equal "$(sql "SELECT state, attempts, remote_ref FROM deliveries")" "sent|3|resolved"
	assert_equal "$(remote 43)" "resolved||"
}

@test "a change while its delivery waits (out a failure, or due) has it attempted at once, with the change" {
	wired
	echo 500 >"$CW_DIR/plan"
	run -0 chat-tag a 2
	assert_output --partial "chatwoot:labels: HTTP 500"
	run -0 chat-tag b 2
	refute_output --partial "HTTP 500"
	assert_equal "$(sql "SELECT target, seq, state, attempts FROM deliveries")" "chatwoot:labels|1|sent|2"
	assert_equal "$(remote 43)" "open|a,b|"
	# One already due (its time passed, or --retry) goes with the change too.
	echo 500 >"$CW_DIR/plan"
	run -0 chat-tag c 2
	assert_output --partial "chatwoot:labels: HTTP 500"
	due_now
	run -0 chat-tag d 2
	refute_output --partial "HTTP 500"
	assert_equal "$(sql "SELECT target, seq, state, attempts FROM deliveries ORDER BY id")" "chatwoot:labels|1|sent|2
chatwoot:labels|2|sent|2"
	assert_equal "$(remote 43)" "open|a,b,c,d|"
}

@test "labels go before the status, also when the labels' delivery was waiting" {
	wired
	echo 500 >"$CW_DIR/plan"
	chat-tag -q a 2 2>/dev/null
	chat-close -q -t b --at last 2
	run -0 /usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["method"] == "POST":
        print(r["path"].rsplit("/", 1)[1])' "$CW_DIR/requests.jsonl"
	assert_output $'labels\nlabels\ntoggle_status'
	assert_equal "$(remote 43)" "resolved|a,b|"
}

@test "a --zendesk or --mail delivery of the same change is queued and told once, beside Chatwoot's" {
	imported
	start_chatwoot
	export CHATWOOT_TOKEN=$TOKEN ZT=x
	chatwoot_config
	cat >>"$CHAT_CONFIG" <<-'EOF'
	zendesk: {url: "https://127.0.0.1:9", email: a@example.com, token_env: ZT}
	EOF
	run -0 chat-close -n --at last --zendesk 2
	assert_equal "$(grep -c "queued zendesk" <<<"$output")" 1
	run -0 chat-close -q --at last --zendesk 2
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'queued' AND detail = 'zendesk'")" 1
	refute_output --partial "being attempted by another process"
}

@test "401 and 404 fail for good (69), Chatwoot's words shown, the conversation named; --retry and --cancel" {
	wired
	printf '401\n404\n' >"$CW_DIR/plan"
	run -69 chat-tag urgent 1
	assert_output --partial "chat-tag: 1: chatwoot:labels: HTTP 401: You need to sign in or sign up before continuing.; failed for good"
	run -69 chat-note -m "Gone?" 2
	assert_output --partial "chat-note: 2: chatwoot:note:2: HTTP 404: Resource could not be found (chatwoot:3:43: no conversation 43 in account 1 on Chatwoot: deleted there?); failed for good"
	assert_equal "$(sql "SELECT count(*) FROM tags t JOIN conversation_tags ct ON ct.tag = t.id WHERE t.name = 'urgent'")" 1
	run -0 chat-export --pending
	assert_line --regexp '^1 +chatwoot:labels +failed +1 .*HTTP 401'
	assert_line --regexp '^2 +chatwoot:note:2 +failed +1 .*HTTP 404'
	run -0 chat-export --retry 1
	run -0 chat-export --flush
	assert_line "1 chatwoot:labels sent"
	run -0 chat-export --cancel 2
	assert_equal "$(sql "SELECT count(*) FROM deliveries WHERE target LIKE 'chatwoot:note:%'")" 0
	run -1 chat-export --pending -o ids
	assert_output ""
	echo 422 >"$CW_DIR/plan"
	run -69 chat-close --park 2
	assert_output --partial "HTTP 422: Validation failed: Content can't be blank; failed for good"
}

@test "an answer lost after the note was posted: the retry finds it and posts nothing new" {
	wired
	echo drop >"$CW_DIR/plan"
	run -0 chat-note -m "Call back on Monday." 2
	assert_output --partial "chatwoot:note:2:"
	assert_output --partial "; queued, next attempt at"
	assert_equal "$(remote 43)" "open||Call back on Monday."
	due_now
	run -0 chat-export --flush
	assert_line "2 chatwoot:note:2 sent"
	assert_equal "$(remote 43)" "open||Call back on Monday."
	assert_equal "$(requests POST /messages)" 1
	assert_equal "$(requests GET /messages)" 1
	assert_equal "$(sql "SELECT state, attempts, remote_ref FROM deliveries")" "sent|2|1"
}

@test "chat-deliver killed once Chatwoot made the note, before the answer: the next try finds it, posts nothing new" {
	wired
	echo slow:10 >"$CW_DIR/plan"
	chat-note -q -m "Killed on the way." 2 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do
		[ -e "$CW_DIR/state.json" ] &&
		    [ "$(notes_of "Killed on the way.")" = 1 ] && break
		sleep 0.1
	done
	pkill -KILL -P "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 75
	# Nothing recorded its try; its lease runs out.
	assert_equal "$(sql "SELECT state, attempts FROM deliveries")" "pending|0"
	sql "UPDATE deliveries SET next_attempt_at = 0"
	run -0 chat-export --flush
	assert_line "2 chatwoot:note:2 sent"
	assert_equal "$(notes_of "Killed on the way.")" 1
	assert_equal "$(requests POST /messages)" 1
	assert_equal "$(requests GET /messages)" 1
}

@test "a lost note under more than a page of later messages: the retry pages back (before=) to it and posts nothing new" {
	past 30 3600
	wired
	echo drop >"$CW_DIR/plan"
	run -0 chat-note -m "Call back on Monday." 2
	assert_output --partial "; queued, next attempt at"
	replies 25
	due_now
	run -0 chat-export --flush
	assert_line "2 chatwoot:note:2 sent"
	assert_equal "$(notes_of "Call back on Monday.")" 1
	# The 20 latest, then the 20 before the oldest of them: the note, 31.
	assert_equal "$(requests GET '/messages')" 1
	assert_equal "$(requests GET '/messages?before=37')" 1
	assert_equal "$(requests GET '/messages?before=[0-9]*')" 1
	assert_equal "$(sql "SELECT state, remote_ref FROM deliveries")" "sent|31"
}

@test "a note lost before Chatwoot made it: the retry stops at the first message older than the delivery and posts it once" {
	past 30 3600
	wired
	echo lose >"$CW_DIR/plan"
	run -0 chat-note -m "Call back on Monday." 2
	assert_output --partial "; queued, next attempt at"
	due_now
	run -0 chat-export --flush
	assert_line "2 chatwoot:note:2 sent"
	assert_equal "$(notes_of "Call back on Monday.")" 1
	assert_equal "$(requests GET '/messages[^"]*')" 1
	assert_equal "$(sql "SELECT state, remote_ref FROM deliveries")" "sent|31"
}

@test "a lost note not found in 50 pages of messages made since: not posted again, failed for good (69)" {
	past 1001 0
	wired
	echo lose >"$CW_DIR/plan"
	run -0 chat-note -m "Call back on Monday." 2
	due_now
	run -69 chat-export --flush
	assert_output --partial "chatwoot:3:43: not among the 1000 latest messages, all made since the note was queued: not posted again"
	assert_equal "$(requests GET '/messages[^"]*')" 50
	assert_equal "$(requests POST /messages)" 1
	assert_equal "$(notes_of "Call back on Monday.")" 0
}

@test "the token is never in output, in chat-deliver's arguments or in the database" {
	imported
	start_chatwoot
	echo "$TOKEN" >"$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	chatwoot_config "token_file: $BATS_TEST_TMPDIR/token"
	echo slow:3 >"$CW_DIR/plan"
	chat-note -m "Slow one." 2 >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		ps -eo args | grep -q '^chat-note -d' && break
		sleep 0.1
	done
	ps -eo args >"$BATS_TEST_TMPDIR/ps"
	wait "$pid"
	grep -q '^chat-note -d .* -c ' "$BATS_TEST_TMPDIR/ps"
	run grep -c "$TOKEN" "$BATS_TEST_TMPDIR/ps" "$BATS_TEST_TMPDIR/out"
	assert_output "$BATS_TEST_TMPDIR/ps:0
$BATS_TEST_TMPDIR/out:0"
	assert_equal "$(remote 43)" "open||Slow one."
	run -0 chat-history 2
	refute_output --partial "$TOKEN"
	dump >"$BATS_TEST_TMPDIR/dump.sql"
	run grep -c "$TOKEN" "$BATS_TEST_TMPDIR/dump.sql"
	assert_output 0
	is_pg || { run grep -c "$TOKEN" "$CHAT_DB"; assert_output 0; }
}

@test "the config: https only unless insecure, an account, a token; refused (78) before anything changes" {
	imported
	config <<-'EOF'
	chatwoot: {url: "http://127.0.0.1:9", account: 1, token_env: T}
	EOF
	T=x run -78 chat-close 2
	assert_output --partial "chatwoot.url: https:// only (http:// with chatwoot.insecure: true, for tests on loopback)"
	config <<-'EOF'
	chatwoot: {url: "https://127.0.0.1:9", token_env: T}
	EOF
	T=x run -78 chat-tag x 2
	assert_output --partial "chatwoot.account must be set"
	config <<-'EOF'
	chatwoot: {url: "https://127.0.0.1:9", account: 1}
	EOF
	run -78 chat-note -m hi 2
	assert_output --partial "set chatwoot.token_env or token_file"
	config <<-'EOF'
	chatwoot: {url: "https://127.0.0.1:9", account: 1, token_env: T}
	EOF
	run -78 chat-close 2
	assert_output --partial "the variable T named by the config is not set"
	# What changes nothing is not held back.
	run -0 chat-tag -l
	config <<-'EOF'
	chatwoot: {url: "https://127.0.0.1:9", account: one, token_env: T}
	EOF
	T=x run -78 chat-close 2
	assert_output --partial "chatwoot.account: expected a"
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 2")" open
	assert_equal "$(sql "SELECT count(*) FROM deliveries")" 0
}

@test "contract: every request validates against Chatwoot's own description of the operations, served by Prism" {
	imported
	start_prism chatwoot-back.json
	export CHATWOOT_TOKEN=$TOKEN
	CW_PORT=$PRISM_PORT
	chatwoot_config
	# Every conversation of Prism's, of the description's shape, is in
	# inbox 0: not 3, so nothing is written; then inbox 3's refs say 0, and
	# the other account's 42 (3, inbox 11) stays refused.
	run -69 chat-tag -q late 2
	assert_output --partial "chatwoot:3:43: conversation 43 of account 1 on Chatwoot is in inbox 0, not 3"
	assert_equal "$(grep -c 'post /api' "$BATS_TEST_TMPDIR/prism.log")" 0
	sql "DELETE FROM deliveries"
	sql "UPDATE conversations SET ref = 'chatwoot:0:' || substr(ref, 12) WHERE ref LIKE 'chatwoot:3:%'"
	sql "UPDATE conversations SET state = 'open', closed_at = NULL, closed_by = NULL"
	run -69 bash -c 'chat-history --open -o ids | chat-close -q --at last'
	assert_output --partial "chatwoot:11:42: conversation 42 of account 1 on Chatwoot is in inbox 0, not 11"
	chat-close -q --reopen 2
	chat-close -q --park 2
	chat-close -q --at last -t "refund,sample tag" -m "Refund sent." 2
	chat-tag -q -r refund 2
	chat-note -q -m "Checked." 1
	assert_equal "$(sql "SELECT count(*) FROM deliveries WHERE state = 'sent'")" 9
	assert_equal "$(sql "SELECT conversation FROM deliveries WHERE state <> 'sent'")" 3
	# A retry lists the messages (GET) before it posts.
	sql "UPDATE deliveries SET state = 'pending', attempts = 1, next_attempt_at = 0 WHERE target LIKE 'chatwoot:note:%'"
	run -0 chat-export --flush
	assert_line --regexp '^2 chatwoot:note:[0-9]+ sent$'
	assert_line --regexp '^1 chatwoot:note:[0-9]+ sent$'
	assert_equal "$(grep -c 'get /api/v1/accounts/1/conversations/4[23]/messages .*Request received' "$BATS_TEST_TMPDIR/prism.log")" 2
	# Each delivery's try first asked for its conversation (GET).
	assert_equal "$(grep -c 'get /api/v1/accounts/1/conversations/4[23] .*Request received' "$BATS_TEST_TMPDIR/prism.log")" 13
	run -1 grep -i violation "$BATS_TEST_TMPDIR/prism.log"
	# The mock validates: what breaks the description is refused.
	run -0 curl -s -o /dev/null -w '%{http_code}' -H "api_access_token: $TOKEN" \
	    -H 'Content-Type: application/json' -d '{"status": "closed"}' \
	    "http://127.0.0.1:$PRISM_PORT/api/v1/accounts/1/conversations/43/toggle_status"
	assert_output 422
	run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d '{"labels": []}' "http://127.0.0.1:$PRISM_PORT/api/v1/accounts/1/conversations/43/labels"
	assert_output 401
}
