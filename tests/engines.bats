#!/usr/bin/env bats
# PostgreSQL against SQLite: the same events imported into both, the same
# rows written into both, then every reading command's output compared
# byte for byte (listings, filters, transcripts, JSON, exports, mails).
# Run by scripts/check's second leg, on scripts/pg's cluster.

# bats file_tags=pg
load helper

setup() {
	[ -n "${CHAT_TEST_PG:-}" ] ||
	    fail "CHAT_TEST_PG is not set: scripts/check runs these on scripts/pg's cluster"
	common_setup
	PG=$CHAT_DB
	LITE=$BATS_TEST_TMPDIR/lite.db
	export TZ=Europe/Berlin
}

# Events a platform may send that are hard to keep: control characters, a
# CR LF, quotes and backslashes, astral characters, a ref too big for 64
# bits, times as numbers and with an offset, messages out of order, one
# twice, assignments out of order, and two lines refused.
events() {
	python3 - <<-'PY'
	import json
	def e(**k): print(json.dumps(k, ensure_ascii=False))
	e(conversation="H1", at="2026-11-20T10:00:00Z", author="visitor",
	  text="ctl \u0001\u001f\u007f tab\there\r\nCRLF \"q\" \\ / é 😀 \u2028",
	  visitor="Zoë", visitor_email="z@ex.com", channel="Chat")
	e(conversation="H1", at="2026-11-20T10:01:00Z", author="operator",
	  text="reply\nline2", operator="Alice", name="Ålice")
	e(conversation="H1", type="visitor_left", at="2026-11-20T10:05:00Z")
	e(conversation=12345678901234567890, at="2026-11-20T11:00:00Z",
	  author="visitor", text="big ref", channel="whatsapp")
	e(conversation="H3", at="2026-11-21T11:00:00Z", author="bot",
	  text="x" * 3000, channel="WhatsApp", operator="BOB")
	e(conversation="H3", at="2026-11-21T11:00:00Z", author="bot",
	  text="x" * 3000)
	e(conversation="H3", type="assign", at="2026-11-21T11:02:00Z",
	  operator="carol")
	e(conversation="H3", type="assign", at="2026-11-21T11:01:00Z",
	  operator="dave")
	e(conversation="H4", at=1795392000, author="system", text="epoch", id="m1")
	e(conversation="H4", at=1795392001.5, author="visitor", text="later",
	  id="m2", visitor="V")
	e(conversation="H4", at=1795391000, author="operator", text="earlier",
	  id="m3")
	e(conversation="H4", at=1795391000, author="operator", text="again",
	  id="m3")
	e(conversation="H5", at="2026-11-22T09:00:00+02:00", author="visitor",
	  text="tz", channel="messenger", visitor_email="ünï@ex.com")
	print("not json")
	print('{"conversation":""}')
	PY
}

# What the tools that write them would have written (they are tested on
# their own), in SQL both engines take; the import's own time made fixed.
ROWS="UPDATE conversations SET state = 'closed', closed_at = last_activity_at + 10,
  closed_by = 'visitor' WHERE id IN (1, 3);
UPDATE conversations SET state = 'parked' WHERE id = 4;
UPDATE events SET at = 1795392000 WHERE action = 'imported';
INSERT INTO tags (name, key, created_at) VALUES ('Été', 'été', 5),
  ('billing', 'billing', 0), ('a,b', 'a,b', 1);
INSERT INTO conversation_tags VALUES (1, 1, 0, 'alice'), (1, 2, 0, 'alice'),
  (3, 3, 0, 'carol'), (3, 1, 0, 'x');
INSERT INTO notes (conversation, at, author, body) VALUES
  (1, 1795392000, 'alice', 'note \"one\"
	two'), (1, 1795392000, 'bob', 'same time');
INSERT INTO ratings VALUES (1, 'solution', 5, 7, 'alice'),
  (1, 'network', 4, 0, 'alice'), (3, 'network', 1, 0, 'c');
INSERT INTO deliveries (conversation, target, state, attempts, remote_ref,
  last_error, next_attempt_at, created_at, updated_at) VALUES
  (1, 'zendesk', 'sent', 1, '4711', NULL, NULL, 0, 0),
  (1, 'mail:a@b', 'failed', 3, NULL, 'err \"x\"', NULL, 0, 100),
  (3, 'mail:c@d', 'pending', 0, NULL, NULL, 1795392000, 0, 0),
  (4, 'mail:c@d', 'failed', 2, NULL, 'e', NULL, 0, 0);"

# Imports events into both databases and writes ROWS into both.
both() {
	events >"$BATS_TEST_TMPDIR/in.ndjson"
	local db
	for db in "$LITE" "$PG"; do
		CHAT_DB=$db run chat-import "$BATS_TEST_TMPDIR/in.ndjson"
		assert_failure 65
		printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/import.${db##*/}"
		CHAT_DB=$db sql "$ROWS"
	done
	run diff "$BATS_TEST_TMPDIR/import.lite.db" "$BATS_TEST_TMPDIR/import.${PG##*/}"
	assert_success
}

# Runs each command line of standard input on both databases; each one's
# output, standard error and exit status must be the same on both. Prints
# what differs, else how many lines were alike; fails on a difference.
same() {
	local cmd n=0 a b bad=0
	while IFS= read -r cmd; do
		n=$((n + 1))
		a=$(CHAT_DB=$LITE bash -c "$cmd" 2>&1; echo "exit $?")
		b=$(CHAT_DB=$PG bash -c "$cmd" 2>&1; echo "exit $?")
		if [ "$a" != "$b" ]; then
			bad=1
			printf '%s\n' "differs: $cmd" "SQLite:" "$a" \
			    "PostgreSQL:" "$b" | head -c 4000
		fi
	done
	[ "$bad" -eq 0 ] && echo "$n alike"
}

@test "the same import: the same listings in every format, by every filter" {
	both
	run -0 same <<-'EOF'
	chat-history
	chat-history -o tsv
	chat-history -o json
	chat-history -o ids
	chat-history --limit 2 -o tsv
	chat-history --count
	chat-history --channel chat -o ids
	chat-history --channel WHATSAPP --channel messenger -o ids
	chat-history --operator ALICE -o ids
	chat-history --operator CAROL --channel whatsapp -o tsv
	chat-history --tag été -o ids
	chat-history --tag billing --tag Été -o ids
	chat-history --untagged -o ids
	chat-history --unrated -o ids
	chat-history --no-note -o ids
	chat-history --closed -o ids
	chat-history --open --parked -o ids
	chat-history --since 2026-11-21 -o ids
	chat-history --until 2026-11-21 --closed -o ids
	chat-history --visitor-left -o json
	chat-history --forgotten -o ids
	chat-history --idle 1h -o ids
	chat-history --after-close -o ids
	chat-history --closed-since 2026-11-20 -o ids
	chat-history --closed-until 2026-11-21 -o ids
	chat-history --social -o ids
	EOF
	assert_output "26 alike"
}

@test "the same import: the same conversations shown, exported and mailed" {
	both
	# The refused lines say so alike, and something is compared below.
	assert_equal "$(CHAT_DB=$PG chat-history -o json 1 | grep -c 'ctl \\u0001\\u001f')" 1
	run -0 same <<-'EOF'
	for i in 1 2 3 4 5 6; do chat-history $i; done
	for i in 1 2 3 4 5 6; do chat-history -o json $i; done
	chat-history -o table 1 3 4
	chat-history -o tsv 1 3 9
	chat-history -o json 1 2 3 4 5
	chat-history --ref H1 H4 12345678901234567890
	chat-export 1 2 3 4 5
	chat-export -f json 1 2 3 4 5
	chat-export -f csv 1 2 3 4 5
	chat-export -f eml 1 3 | grep -v '^Date:'
	EOF
	assert_output "10 alike"
}

@test "the same import: the same notes, ratings, tags and deliveries listed" {
	both
	config <<-'EOF'
	tags: {catalog: [Billing, Nouveau, Zeta]}
	EOF
	run -0 same <<-'EOF'
	chat-export --pending
	chat-export --pending -o json
	chat-export --pending -o tsv
	chat-export --pending -o ids
	chat-note -l --all
	chat-note -l -o json 1
	chat-note -l -o ids --all
	chat-rate -l --all
	chat-rate -l -o tsv --all
	chat-rate -l -o ids --all
	chat-tag -l
	chat-tag -l -o json
	EOF
	assert_output "12 alike"
}

# PostgreSQL writes messages by chunks and lines of history one at a time
# between them: the rows must be SQLite's, imported twice.
@test "a history mixed into thousands of messages: the same rows on both engines, imported twice" {
	"$TOP/scripts/gen-data" -n 600 | python3 -c '
import json, random, sys
random.seed(7)
for l in sys.stdin:
    sys.stdout.write(l)
    e = json.loads(l)
    r = random.random()
    c, at = e["conversation"], e.get("at")
    if r < 0.03:
        print(json.dumps({"conversation": c, "type": "close", "at": at, "name": "zed"}))
    elif r < 0.05:
        print(json.dumps({"conversation": c, "type": "note", "at": at, "text": "note %f" % r}))
    elif r < 0.06 and e.get("id"):
        print(json.dumps({"conversation": c, "type": "edit", "at": at, "id": e["id"], "text": "edited %f" % r}))
    elif r < 0.07:
        print(json.dumps({"conversation": c, "type": "reopen", "at": at}))
    elif r < 0.08:
        print(json.dumps({"conversation": c, "type": "park", "at": at}))' >"$BATS_TEST_TMPDIR/h.ndjson"
	local db t
	for db in "$LITE" "$PG"; do
		CHAT_DB=$db run -0 chat-import "$BATS_TEST_TMPDIR/h.ndjson"
		printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out.${db##*/}"
		CHAT_DB=$db run -0 chat-import "$BATS_TEST_TMPDIR/h.ndjson"
		assert_output ""
	done
	run diff "$BATS_TEST_TMPDIR/out.lite.db" "$BATS_TEST_TMPDIR/out.${PG##*/}"
	assert_success
	for t in "* FROM conversations ORDER BY id" "* FROM messages ORDER BY id" \
	    "id, conversation, actor, action, detail FROM events ORDER BY id" \
	    "* FROM notes ORDER BY id"; do
		assert_equal "$(CHAT_DB=$PG sql "SELECT $t" | md5sum)" \
		    "$(CHAT_DB=$LITE sql "SELECT $t" | md5sum)"
	done
	run -0 same <<-'EOF2'
	chat-history --grep edited --count
	chat-history --closed -o ids
	chat-history --parked -o ids
	chat-stats --by operator
	EOF2
}
