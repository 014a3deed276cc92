#!/usr/bin/env bats
# The live feed: Debian's webhook serving examples/chatwoot-hooks.json on
# 127.0.0.1 runs chat-import -f chatwoot for each delivery, POSTed here by
# curl as Chatwoot sends them (tests/chatwoot/widget.jsonl, a payload a
# line), signed as Chatwoot signs (X-Chatwoot-Timestamp, and
# X-Chatwoot-Signature: sha256= and the HMAC-SHA256 of "<timestamp>.<raw
# body>", made here by openssl). Also chat-import's own side of it:
# --timestamp, --signature, the secret, a payload a file.

load helper

CW=$TOP/tests/chatwoot
T0=1795165200
# The webhook's secret, as Chatwoot's settings show it.
SECRET=cw-whsec-3f9a1c77e2b84d06
TOKEN=4c1e0f6a9b2d7e3851f0a6c4d9e2b7a1

setup() {
	common_setup
	export CHATWOOT_WEBHOOK_SECRET=$SECRET
	config <<-EOF
	chatwoot:
	  secret_env: CHATWOOT_WEBHOOK_SECRET
	EOF
	D=$BATS_TEST_TMPDIR
}

# Payload $1 of widget.jsonl as Chatwoot sends it, one line without its
# newline, in $D/p$1.
payload() {
	sed -n "$1p" "$CW/widget.jsonl" | tr -d '\n' >"$D/p$1"
}

# The signature of file $1 at time $2 under secret $3.
sign() {
	local mac
	mac=$({ printf '%s.' "$2"; cat "$1"; } |
	    openssl dgst -sha256 -hmac "$3" -r) || return 1
	echo "sha256=${mac%% *}"
}

# POSTs file $1 to the hook as a delivery signed at time $2 (default now)
# with secret $3 (default $SECRET), with the query ${4:-}; prints the HTTP
# status; the answer's body is in $1.answer.
post() {
	local ts=${2:-$(date +%s)}
	curl -sS -o "$1.answer" -w '%{http_code}' \
	    -H 'Content-Type: application/json' \
	    -H "X-Chatwoot-Timestamp: $ts" \
	    -H "X-Chatwoot-Signature: $(sign "$1" "$ts" "${3:-$SECRET}")" \
	    --data-binary "@$1" \
	    "http://127.0.0.1:$WEBHOOK_PORT/hooks/chatwoot${4:-}"
}

# The same without the two headers, as an older Chatwoot sends it.
post_unsigned() {
	curl -sS -o "$1.answer" -w '%{http_code}' \
	    -H 'Content-Type: application/json' --data-binary "@$1" \
	    "http://127.0.0.1:$WEBHOOK_PORT/hooks/chatwoot${2:-}"
}

conversation() {
	sql "SELECT ref, visitor, operator, state, started_at,
	    coalesce(closed_at, 0), coalesce(closed_by, '') FROM conversations"
}

tags_of_all() {
	sql "SELECT t.name FROM conversation_tags ct JOIN tags t
	    ON t.id = ct.tag ORDER BY t.name"
}

# Nothing the hook ran left the body on disk, and neither the answers nor
# webhook's log hold the secret.
assert_clean() {
	assert_equal "$(find "$WEBHOOK_TMP" -type f | wc -l)" 0
	run ! grep -F -e "$SECRET" "$D/webhook.log" "$D"/*.answer
}

@test "a signed conversation through webhook: made, messages at once, a private note, labels, resolved, re-deliveries, one payload pretty-printed; each answered 200" {
	start_webhook
	for n in 1 2 4 5 6 11 12 14; do payload "$n"; done
	# Made first, as Chatwoot sends conversation_created before the rest.
	assert_equal "$(post "$D/p1")" 200
	# Two messages, the private note and the labels at once, each by its
	# own chat-import taking its turn.
	pids=
	for n in 2 4 5 6; do
		post "$D/p$n" >"$D/status$n" &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	for n in 2 4 5 6; do assert_equal "$(cat "$D/status$n")" 200; done
	assert_equal "$(sql "SELECT count(*) FROM messages")" 2
	assert_equal "$(tags_of_all)" "billing
sample tag"
	# Chatwoot retries a delivery it thinks lost: nothing changes.
	before=$(dump)
	assert_equal "$(post "$D/p2")" 200
	assert_equal "$(post "$D/p6")" 200
	assert_equal "$(dump)" "$before"
	# The last message comes pretty-printed, a payload the whole body.
	cp "$CW/message-pretty.json" "$D/pretty"
	assert_equal "$(post "$D/pretty")" 200
	assert_equal "$(post "$D/p11")" 200
	assert_equal "$(post "$D/p14")" 200
	assert_equal "$(conversation)" \
	    "chatwoot:3:42|Jane Roe|Bob Chen|closed|$T0|$((T0 + 660))|operator"
	assert_equal "$(sql "SELECT ref, author, name FROM messages ORDER BY at")" \
	    "1001|visitor|Jane Roe
1002|operator|Alice Martin
1005|operator|Bob Chen"
	assert_equal "$(sql "SELECT at, author, body FROM notes")" \
	    "$((T0 + 240))|Alice Martin|Carrier says the parcel is lost; refund promised."
	assert_equal "$(tags_of_all)" "billing
refund"
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'closed'")" 1
	for f in "$D"/*.answer; do assert_equal "$(cat "$f")" ""; done
	assert_db_ok
	assert_clean
}

@test "refused deliveries answer 500 with the reason and change nothing: malformed, a wrong signature, stale, from the future, unsigned though a secret is set; a GET is 405" {
	export CHAT_HOOK_TOKEN=$TOKEN
	start_webhook
	payload 1
	payload 2
	assert_equal "$(post "$D/p1")" 200
	before=$(dump)
	printf '%s' '{"event": "message_created", "id": 1001, "content": "Hel' \
	    >"$D/broken"
	assert_equal "$(post "$D/broken")" 500
	assert_regex "$(cat "$D/broken.answer")" \
	    '^chat-import: .*/webhook/CHATWOOT_PAYLOAD[0-9]+:1: malformed JSON$'
	assert_equal "$(post "$D/p2" "" wrong-secret)" 500
	assert_regex "$(cat "$D/p2.answer")" 'the signature does not match'
	now=$(date +%s)
	assert_equal "$(post "$D/p2" $((now - 400)))" 500
	assert_regex "$(cat "$D/p2.answer")" 'stale: the timestamp is more than 300 s'
	assert_equal "$(post "$D/p2" $((now + 400)))" 500
	assert_regex "$(cat "$D/p2.answer")" 'stale'
	assert_equal "$(post_unsigned "$D/p2" "?token=$TOKEN")" 500
	assert_regex "$(cat "$D/p2.answer")" 'unsigned .*a secret is configured: refused'
	# A body changed on its way, its headers kept.
	ts=$(date +%s)
	sig=$(sign "$D/p2" "$ts" "$SECRET")
	sed 's/Hello/Hallo/' "$D/p2" >"$D/changed"
	run -0 curl -sS -o "$D/changed.answer" -w '%{http_code}' \
	    -H "X-Chatwoot-Timestamp: $ts" -H "X-Chatwoot-Signature: $sig" \
	    --data-binary "@$D/changed" "http://127.0.0.1:$WEBHOOK_PORT/hooks/chatwoot"
	assert_output 500
	run -0 curl -sS -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$WEBHOOK_PORT/hooks/chatwoot"
	assert_output 405
	assert_equal "$(dump)" "$before"
	assert_clean
}

@test "without a secret, an older Chatwoot's unsigned delivery is taken with the URL's token, refused 403 with a wrong, short or no token; a signed one is 500: no secret to check it with" {
	export CHAT_HOOK_TOKEN=$TOKEN
	config </dev/null
	start_webhook
	payload 1
	payload 2
	assert_equal "$(post_unsigned "$D/p1" "?token=$TOKEN")" 200
	assert_equal "$(post_unsigned "$D/p2" "?token=${TOKEN}x")" 403
	assert_equal "$(cat "$D/p2.answer")" "Hook rules were not satisfied."
	assert_equal "$(post_unsigned "$D/p2" "?token=")" 403
	assert_equal "$(post_unsigned "$D/p2")" 403
	assert_equal "$(sql "SELECT count(*) FROM messages")" 0
	assert_equal "$(post "$D/p2")" 500
	assert_regex "$(cat "$D/p2.answer")" \
	    'signed, but no secret to check it with: set chatwoot.secret_env or chatwoot.secret_file'
	assert_equal "$(sql "SELECT count(*) FROM messages")" 0
	assert_equal "$(post_unsigned "$D/p2" "?token=$TOKEN")" 200
	assert_equal "$(sql "SELECT ref FROM messages")" 1001
	assert_clean
}

@test "with CHAT_HOOK_TOKEN unset, no token opens the hook, an empty one neither" {
	unset CHAT_HOOK_TOKEN
	config </dev/null
	start_webhook
	payload 1
	assert_equal "$(post_unsigned "$D/p1" "?token=")" 403
	assert_equal "$(post_unsigned "$D/p1" "?token=$TOKEN")" 403
	assert_equal "$(post_unsigned "$D/p1")" 403
	assert_no_db
}

@test "chat-import --signature: checked before the database is made; a wrong, stale or malformed one is 65, no secret 78, two inputs 2" {
	payload 1
	ts=$(date +%s)
	sig=$(sign "$D/p1" "$ts" "$SECRET")
	run -65 chat-import -f chatwoot --timestamp "$ts" \
	    --signature "$(sign "$D/p1" "$ts" other)" "$D/p1"
	assert_output "chat-import: $D/p1: the signature does not match the payload (another secret, or a payload changed on its way)"
	run -65 chat-import -f chatwoot --timestamp "$((ts - 301))" \
	    --signature "$(sign "$D/p1" "$((ts - 301))" "$SECRET")" "$D/p1"
	assert_output --partial "stale"
	run -65 chat-import -f chatwoot --timestamp "$ts" \
	    --signature "${sig%?}" "$D/p1"
	assert_output "chat-import: $D/p1: the signature is not sha256= and 64 hexadecimal digits"
	run -65 chat-import -f chatwoot --timestamp "$ts" \
	    --signature "${sig/sha256=/sha1=}" "$D/p1"
	assert_output --partial "not sha256= and 64 hexadecimal digits"
	run -65 chat-import -f chatwoot --timestamp "+$ts" --signature "$sig" \
	    "$D/p1"
	assert_output "chat-import: $D/p1: the timestamp is not Unix seconds"
	run -65 chat-import -f chatwoot --timestamp "" --signature "" "$D/p1"
	assert_output --partial "unsigned"
	run -65 chat-import -f chatwoot "$D/p1"
	assert_output --partial "unsigned"
	run -2 chat-import -f chatwoot --timestamp "$ts" --signature "$sig" \
	    "$D/p1" "$D/p1"
	assert_output --partial "one signed delivery at a time"
	run -2 chat-import --timestamp "$ts" --signature "$sig" "$D/p1"
	assert_line --index 0 "chat-import: --timestamp and --signature go with -f chatwoot"
	assert_no_db
	# The secret's variable unset, its file not 0600, none configured.
	unset CHATWOOT_WEBHOOK_SECRET
	run -78 chat-import -f chatwoot --timestamp "$ts" --signature "$sig" \
	    "$D/p1"
	assert_output "chat-import: chatwoot: the variable CHATWOOT_WEBHOOK_SECRET named by the config is not set"
	CHATWOOT_WEBHOOK_SECRET= run -78 chat-import -f chatwoot \
	    --timestamp "$ts" --signature "$sig" "$D/p1"
	assert_output "chat-import: chatwoot: the variable CHATWOOT_WEBHOOK_SECRET named by the config is empty"
	printf '%s\n' "$SECRET" >"$D/secret"
	chmod 640 "$D/secret"
	config <<-EOF
	chatwoot:
	  secret_file: $D/secret
	EOF
	run -78 chat-import -f chatwoot --timestamp "$ts" --signature "$sig" \
	    "$D/p1"
	assert_output "chat-import: $D/secret: a secret file must be mode 0600 (it is 640)"
	config </dev/null
	run -78 chat-import -f chatwoot --signature "$sig" "$D/p1"
	assert_output --partial "signed, but no secret to check it with"
	assert_no_db
	# Its file 0600, the secret in it; standard input as the one input.
	chmod 600 "$D/secret"
	config <<-EOF
	chatwoot:
	  secret_file: $D/secret
	EOF
	run -0 chat-import -f chatwoot --timestamp "$ts" --signature "$sig" \
	    <"$D/p1"
	assert_output 1
	assert_equal "$(sql "SELECT ref FROM conversations")" chatwoot:3:42
	refute_output --partial "$SECRET"
}

@test "a bad chatwoot.secret_env is a config error, 78" {
	config <<-EOF
	chatwoot:
	  secret_env: [CHATWOOT_WEBHOOK_SECRET]
	EOF
	payload 1
	run -78 chat-import -f chatwoot "$D/p1"
	assert_output "chat-import: $CHAT_CONFIG:2: chatwoot.secret_env: expected a string"
}

@test "a signed delivery is one payload, whole: two lines of it are one malformed payload at line 1" {
	payload 1
	payload 2
	cat "$D/p1" <(echo) "$D/p2" >"$D/two"
	ts=$(date +%s)
	run -65 chat-import -f chatwoot --timestamp "$ts" \
	    --signature "$(sign "$D/two" "$ts" "$SECRET")" "$D/two"
	assert_output "chat-import: $D/two:1: malformed JSON"
	assert_equal "$(sql "SELECT count(*) FROM conversations")" 0
}

@test "without a secret, a file that is one pretty-printed payload is that payload; NDJSON after a broken first line is still read a line at a time" {
	config </dev/null
	payload 1
	run -0 chat-import -q -f chatwoot "$D/p1" "$CW/message-pretty.json"
	assert_equal "$(sql "SELECT ref, body FROM messages")" \
	    "1005|The refund is on its way: 3 to 5 days."
	# A pretty-printed payload that is not Chatwoot's is named by its
	# first line, after the blank ones.
	{ echo; echo; jq 'del(.event)' "$CW/message-pretty.json"; } >"$D/noevent"
	run -65 chat-import -q -f chatwoot "$D/noevent"
	assert_output "chat-import: $D/noevent:3: event: missing (not a Chatwoot payload)"
	# A broken line first, then payloads: each line is one, as before.
	{ echo '{"event":'; sed -n '2p;4p' "$CW/widget.jsonl"; echo '}'; } \
	    >"$D/lines"
	run -65 chat-import -q -f chatwoot "$D/lines"
	assert_output "chat-import: $D/lines:1: malformed JSON
chat-import: $D/lines:4: malformed JSON"
	assert_equal "$(sql "SELECT ref FROM messages ORDER BY ref")" "1001
1002
1005"
}
