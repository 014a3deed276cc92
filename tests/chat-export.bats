#!/usr/bin/env bats
# chat-export: formats, mail through a real SMTP server, Zendesk through a
# stand-in and through Prism, the outbox.

load helper

SECRET=pw-planted-7f3a9

# The config for mail to the test server; the arguments are more lines of
# its mail: section.
mail_config() {
	config <<-EOF
	mail:
	  url: smtp://127.0.0.1:$SMTP_PORT/chat-tools.test
	  from: "Support Café <support@example.com>"
	$(printf '  %s\n' "$@")
	delivery: {max_attempts: 3, connect_timeout: 2s, timeout: 5s}
	EOF
}

zendesk_config() {
	config <<-EOF
	zendesk:
	  url: http://127.0.0.1:$ZD_PORT
	  email: agent@example.com
	  insecure: true
	$(printf '  %s\n' "$@")
	delivery: {max_attempts: 3, connect_timeout: 2s, timeout: 2s}
	EOF
}

# Parses the stored message (or the one on stdin with -) with Python's
# email package and prints: To, Subject, Message-ID, body.
parse_mail() {
	/usr/bin/python3 -c '
import email, email.policy, glob, sys
f = sys.stdin.buffer if sys.argv[1] == "-" else open(sorted(glob.glob(sys.argv[1] + "/maildir/new/*"))[-1], "rb")
m = email.message_from_binary_file(f, policy=email.policy.default)
print("To:", m["To"]); print("From:", m["From"]); print("Subject:", m["Subject"])
print("Message-ID:", m["Message-ID"]); print("Date:", m["Date"])
print(m.get_content())' "$1"
}

# An SMTP server with STARTTLS that takes support:$SECRET, and a config
# whose password, from SMTP_PASSWORD, is wrong until the test mends it.
smtp_wrong_password() {
	make_cert
	start_smtpd --starttls "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem" --auth "support:$SECRET"
	export SMTP_PASSWORD=wrong-password
	mail_config "username: support" "password_env: SMTP_PASSWORD" \
		"ca_file: $BATS_TEST_TMPDIR/cert.pem"
}

due_now() {
	sql "UPDATE deliveries SET next_attempt_at = 0 WHERE state = 'pending'"
}

@test "-f txt prints the transcript with notes, tags and ratings, without events" {
	examples
	chat-close -q -t after-sales -m "Refund approved." -r network=4 2
	run -0 chat-export 2
	assert_line --index 0 "conversation 2"
	assert_line --regexp '^tags +after-sales$'
	assert_line --regexp '^ratings +network 4$'
	assert_line "transcript"
	assert_line "notes"
	assert_line --regexp 'tester: Refund approved.$'
	refute_line "events"
	run -1 chat-export 2 999
	assert_output --partial "999: no such conversation"
	run -2 chat-export -f pdf 2
}

# Conversation 2 as a database from before one-line fields were checked
# could hold it: a visitor whose name carries a header.
forged_visitor() {
	local crlf=$'\r\n'
	sql "UPDATE conversations SET visitor = 'Eve${crlf}Bcc: evil@example.com' WHERE id = 2;
	  UPDATE messages SET name = NULL WHERE conversation = 2"
}

@test "-f txt shows control characters as \xHH: a visitor's CR LF forges no line" {
	examples
	forged_visitor
	chat-note -q -m "$(printf 'see \033[2J here\ttab')" 2
	run -0 chat-export 2
	refute_output --partial $'\r'
	refute_output --partial $'\033'
	refute_line --regexp '^Bcc:'
	assert_line --regexp '^visitor +Eve\\x0d\\x0aBcc: evil@example\.com$'
	assert_line --regexp '^2026-11-[0-9]{2} [0-9:]{5}  Eve\\x0d\\x0aBcc: evil@example\.com \(visitor\): '
	assert_line --regexp $'tester: see \\\\x1b\\[2J here\ttab$'
	run -0 chat-export -f json 2
	assert_output --partial '"visitor":"Eve\r\nBcc: evil@example.com"'
	assert_output --partial '"text":"see \u001b[2J here\ttab"'
}

@test "-f json is one object per conversation with messages, notes, tags, ratings" {
	examples
	chat-close -q -t billing -m "n1" -r solution=5 5
	run -0 sh -c 'chat-export -f json 5 6 | /usr/bin/python3 -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert [r[\"id\"] for r in rows] == [5, 6]
r = rows[0]
assert r[\"tags\"] == [\"billing\"] and r[\"ratings\"] == {\"solution\": 5}
assert r[\"notes\"][0][\"text\"] == \"n1\" and len(r[\"messages\"]) == 4
print(\"ok\")"'
	assert_output ok
}

@test "-f csv has a header and RFC 4180 rows, one per conversation" {
	printf '%s\n' '{"conversation":"Q1","visitor":"Roe, Jane \"JR\"","at":"2026-11-20T10:00:00Z","author":"visitor","text":"hi"}' | chat-import -q
	chat-close -q --at 2026-11-20T10:05:00Z -t a,b -m "x" -r network=3 1
	run -0 chat-export -f csv 1
	assert_line --index 0 "id,ref,channel,visitor,operator,started,closed,handling_time,tags,notes,network,solution"$'\r'
	assert_line --index 1 '1,Q1,chat,"Roe, Jane ""JR""",,2026-11-20T10:00:00Z,2026-11-20T10:05:00Z,300,"a,b",1,3,'$'\r'
	run -0 /usr/bin/python3 -c 'import csv, sys; r = list(csv.reader(open(sys.argv[1], newline=""))); assert r[1][3] == "Roe, Jane \"JR\"", r; print(len(r))' <(chat-export -f csv 1)
	assert_output 2
}

@test "-f eml is the message --mail sends: UTF-8, quoted-printable, notes" {
	examples
	chat-note -q -m "Remboursé ✓ — voilà." 2
	mail_config
	chat-export -f eml 2 >"$BATS_TEST_TMPDIR/m.eml"
	run -0 parse_mail - <"$BATS_TEST_TMPDIR/m.eml"
	assert_line "From: Support Café <support@example.com>"
	assert_line "Subject: Conversation IA-1002 with Lucas Martin (whatsapp)"
	assert_line --regexp '^Message-ID: <chat-tools\.c2@example\.com>$'
	assert_line --regexp "Bonjour, je voudrais un remboursement pour une commande arrivée cassée\.$"
	assert_line --regexp "tester: Remboursé ✓ — voilà\.$"
	run -0 chat-export -f eml 2
	assert_output --partial "Content-Transfer-Encoding: quoted-printable"
	assert_output --partial "arriv=C3=A9e"
}

@test "mail over plain SMTP (mail.insecure): stored with headers, body, note; delivery sent" {
	examples
	start_smtpd
	mail_config 'insecure: true'
	chat-note -q -m "Échange accepté." 2
	before=$(date +%s)
	run -0 chat-export --mail jane@example.com 2
	after=$(date +%s)
	assert_output --partial "mail.insecure is set"
	assert_line 2
	assert_equal "$(stored)" 1
	run -0 parse_mail "$SMTP_DIR"
	assert_line "To: jane@example.com"
	assert_line "Subject: Conversation IA-1002 with Lucas Martin (whatsapp)"
	assert_line --regexp "tester: Échange accepté\.$"
	# RFC 5322's date, and the time the mail was sent.
	assert_line --regexp "^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\$"
	sent=$(date -d "$(printf '%s\n' "${lines[@]}" | sed -n 's/^Date: //p')" +%s)
	assert [ "$before" -le "$sent" ]
	assert [ "$sent" -le "$after" ]
	msgid=$(printf '%s\n' "${lines[@]}" | sed -n 's/^Message-ID: //p')
	run -0 sql "SELECT state, attempts, remote_ref FROM deliveries"
	assert_output "sent|1|$msgid"
	run -0 chat-history 2
	assert_line --regexp "^delivery +mail:jane@example.com sent \($msgid\), 1 attempt$"
	assert_line --regexp "delivered mail:jane@example.com $msgid$"
}

@test "mail: a visitor's CR LF is no header and no line, in the subject or the text" {
	examples
	forged_visitor
	start_smtpd
	mail_config 'insecure: true'
	run -0 chat-export --mail jane@example.com 2
	assert_equal "$(stored)" 1
	run -1 grep -i '^Bcc:' "$SMTP_DIR"/maildir/new/*
	run -0 grep '^X-Envelope-To:' "$SMTP_DIR"/maildir/new/*
	assert_output $'X-Envelope-To: jane@example.com\r'
	run -0 parse_mail "$SMTP_DIR"
	assert_line 'Subject: Conversation IA-1002 with Eve\x0d\x0aBcc: evil@example.com (whatsapp)'
	assert_line --regexp '^visitor +Eve\\x0d\\x0aBcc: evil@example\.com$'
	refute_line --regexp '^Bcc:'
	refute_output --partial $'\r'
	run -0 /usr/bin/python3 -c '
import email, email.policy, glob, sys
m = email.message_from_binary_file(open(glob.glob(sys.argv[1] + "/maildir/new/*")[0], "rb"), policy=email.policy.default)
print(sorted(set(m.keys())))' "$SMTP_DIR"
	assert_output "['Content-Transfer-Encoding', 'Content-Type', 'Date', 'From', 'MIME-Version', 'Message-ID', 'Subject', 'To', 'X-Chat-Tools-Conversation', 'X-Envelope-To']"
}

@test "STARTTLS with a verified certificate and AUTH; the password is nowhere but the server" {
	examples
	make_cert
	start_smtpd --starttls "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem" --auth "support:$SECRET"
	printf '%s\n' "$SECRET" >"$BATS_TEST_TMPDIR/smtp.secret"
	chmod 600 "$BATS_TEST_TMPDIR/smtp.secret"
	mail_config "username: support" "password_file: $BATS_TEST_TMPDIR/smtp.secret" \
		"ca_file: $BATS_TEST_TMPDIR/cert.pem"
	run -0 chat-export --mail jane@example.com 3
	refute_output --partial "$SECRET"
	assert_equal "$(stored)" 1
	run -0 chat-history 3
	refute_output --partial "$SECRET"
	dump >"$BATS_TEST_TMPDIR/dump.sql"
	run grep -c "$SECRET" "$BATS_TEST_TMPDIR/dump.sql"
	assert_output 0
	# A SQLite file's free pages too.
	is_pg || { run grep -c "$SECRET" "$CHAT_DB"; assert_output 0; }
}

@test "a wrong password is refused for good (69), shown, the delivery failed" {
	examples
	smtp_wrong_password
	run -69 chat-export --mail jane@example.com 3
	assert_output --partial "3: mail:jane@example.com: 535 5.7.8 Authentication credentials invalid; failed for good"
	refute_output --partial wrong-password
	assert_equal "$(sql "SELECT state, attempts FROM deliveries")" "failed|1"
	assert_equal "$(stored)" 0
}

@test "TLS is required: a server without STARTTLS, or an unknown certificate, is refused (69)" {
	examples
	start_smtpd
	mail_config
	run -69 chat-export --mail jane@example.com 1
	assert_output --partial "failed for good"
	assert_equal "$(stored)" 0
	kill "$SMTP_PID"; wait "$SMTP_PID" || true
	make_cert
	start_smtpd --starttls "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem"
	mail_config
	run -69 chat-export --mail jane@example.com 2
	assert_output --regexp "certificate|SSL"
	assert_equal "$(stored)" 0
}

@test "smtps:// with implicit TLS" {
	examples
	make_cert
	start_smtpd --smtps "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem"
	config <<-EOF
	mail:
	  url: smtps://127.0.0.1:$SMTP_PORT/chat-tools.test
	  from: support@example.com
	  ca_file: $BATS_TEST_TMPDIR/cert.pem
	EOF
	run -0 chat-export --mail jane@example.com 4
	assert_equal "$(stored)" 1
}

@test "server down: queued (75), back-off from a minute; --flush delivers once due" {
	examples
	SMTP_PORT=$(free_port)
	mail_config 'insecure: true'
	before=$(date +%s)
	run -75 chat-export --mail jane@example.com 2
	assert_output --partial "queued, next attempt at"
	run -0 sql "SELECT state, attempts,
	    CAST(next_attempt_at - $before BETWEEN 59 AND 62 AS INTEGER),
	    CAST(last_error IS NOT NULL AS INTEGER) FROM deliveries"
	assert_output "pending|1|1|1"
	start_smtpd
	run -0 chat-export --flush
	assert_equal "$(stored)" 0
	due_now
	run -0 chat-export --flush
	assert_equal "$(stored)" 1
	assert_equal "$(sql "SELECT state, attempts FROM deliveries")" "sent|2"
}

@test "a 450 answer is temporary; after delivery.max_attempts the delivery fails (69)" {
	examples
	start_smtpd --reply "450 4.3.2 try again later"
	mail_config 'insecure: true'
	run -75 chat-export --mail jane@example.com 2
	assert_output --partial "2: mail:jane@example.com: 450 4.3.2 try again later; queued"
	before=$(date +%s)
	due_now
	run -75 chat-export --flush
	# the second failure waits two minutes
	assert_equal "$(sql "SELECT CAST(next_attempt_at - $before BETWEEN 119 AND 122 AS INTEGER) FROM deliveries")" 1
	due_now
	run -69 chat-export --flush
	assert_equal "$(sql "SELECT state, attempts FROM deliveries")" "failed|3"
	run -0 chat-export --pending
	assert_line --regexp '^2 +mail:jane@example.com +failed +3 +- +.*450'
}

@test "re-running a delivery never sends twice; --again sends a new one" {
	examples
	start_smtpd
	mail_config 'insecure: true'
	chat-export -q --mail jane@example.com 2
	run -0 chat-export --mail jane@example.com 2
	assert_equal "$(stored)" 1
	run -0 chat-export --again --mail jane@example.com 2
	assert_equal "$(stored)" 2
	assert_equal "$(sql "SELECT count(DISTINCT remote_ref) FROM deliveries")" 2
}

@test "bad addresses are refused (65) before anything is written" {
	examples
	before=$(dump)
	for bad in "jane" "@example.com" "a b@example.com" $'a@example.com\r\nBcc: x@evil' "<a@example.com>"; do
		run -65 chat-export --mail "$bad" 2
		assert_output --partial "not a mail address"
		run -65 chat-close --mail "$bad" 2
	done
	assert_equal "$(dump)" "$before"
}

@test "a password file readable by others is a config error (78)" {
	examples
	start_smtpd
	printf '%s\n' "$SECRET" >"$BATS_TEST_TMPDIR/smtp.secret"
	chmod 644 "$BATS_TEST_TMPDIR/smtp.secret"
	mail_config "password_file: $BATS_TEST_TMPDIR/smtp.secret" "insecure: true"
	run -78 chat-export --mail jane@example.com 2
	assert_output --partial "must be mode 0600 (it is 644)"
	refute_output --partial "$SECRET"
}

@test "chat-close --mail queues with the close; a failure to send only warns (exit 0)" {
	examples
	SMTP_PORT=$(free_port)
	mail_config 'insecure: true'
	run -0 chat-close --at last -t billing --mail jane@example.com 5
	assert_output --partial "queued, next attempt at"
	assert_line 5
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 5")" closed
	assert_equal "$(sql "SELECT state FROM deliveries")" pending
	start_smtpd
	due_now
	run -0 chat-export --flush
	assert_equal "$(stored)" 1
	run -0 chat-close --mail jane@example.com 6
	assert_equal "$(stored)" 2
}

@test "chat-close -n with --mail sends nothing and queues nothing" {
	examples
	start_smtpd
	mail_config 'insecure: true'
	run -0 chat-close -n --mail jane@example.com 7
	assert_line "7 queued mail:jane@example.com"
	assert_equal "$(stored)" 0
	assert_equal "$(sql "SELECT count(*) FROM deliveries")" 0
}

@test "zendesk: one ticket with transcript and notes as a private comment, requester, tags, external_id, status" {
	examples
	start_zendesk
	export ZENDESK_TOKEN=zd-secret-token-4711
	zendesk_config 'token_env: ZENDESK_TOKEN' 'status: pending'
	chat-close -q --at last -t delivery,after-sales -m "Colis retrouvé." 1
	run -0 chat-export --zendesk 1
	assert_output --partial "zendesk.insecure is set"
	refute_output --partial "$ZENDESK_TOKEN"
	run -0 /usr/bin/python3 -c '
import json, sys
t = [json.loads(l) for l in open(sys.argv[1] + "/tickets.jsonl")]
r = [json.loads(l) for l in open(sys.argv[1] + "/requests.jsonl")]
assert len(t) == 1 and t[0]["id"] == 1
body = json.loads(r[0]["body"])["ticket"]
assert body["comment"]["public"] is False
assert "Hello, my parcel was supposed to arrive" in body["comment"]["body"]
assert "Colis retrouvé." in body["comment"]["body"]
assert body["requester"] == {"name": "Jane Roe", "email": "jane@example.com"}
assert sorted(body["tags"]) == ["after-sales", "delivery"]
assert body["external_id"] == "IA-1001" and body["status"] == "pending"
assert r[0]["idempotency_key"] and r[0]["content_type"] == "application/json"
print("ok")' "$ZD_DIR"
	assert_output ok
	assert_equal "$(sql "SELECT state, remote_ref FROM deliveries")" "sent|1"
	run -0 chat-history 1
	assert_line --regexp '^delivery +zendesk sent \(1\), 1 attempt$'
	refute_output --partial "$ZENDESK_TOKEN"
	dump >"$BATS_TEST_TMPDIR/dump.sql"
	run grep -c "$ZENDESK_TOKEN" "$BATS_TEST_TMPDIR/dump.sql"
	assert_output 0
	is_pg || { run grep -c "$ZENDESK_TOKEN" "$CHAT_DB"; assert_output 0; }
}

@test "zendesk with an OAuth bearer token from a 0600 file; external_id chat-ID without a ref" {
	printf '%s\n' '{"conversation":7,"at":1795392000,"author":"visitor","text":"hi"}' | chat-import -q
	sql "UPDATE conversations SET ref = NULL"
	start_zendesk
	cp "$ZD_DIR/token" "$BATS_TEST_TMPDIR/oauth"
	chmod 600 "$BATS_TEST_TMPDIR/oauth"
	zendesk_config "oauth_token_file: $BATS_TEST_TMPDIR/oauth"
	run -0 chat-export --zendesk 1
	assert_equal "$(sed -n 's/.*"external_id": "\([^"]*\)".*/\1/p' "$ZD_DIR/tickets.jsonl")" chat-1
	run -1 grep -c '"requester"' "$ZD_DIR/tickets.jsonl"
	assert_output 0
}

@test "zendesk 429 with Retry-After and 500 are retried; one ticket in the end" {
	examples
	start_zendesk
	export ZENDESK_TOKEN=zd-secret-token-4711
	zendesk_config 'token_env: ZENDESK_TOKEN'
	printf '429:120\n500\n' >"$ZD_DIR/plan"
	before=$(date +%s)
	run -75 chat-export --zendesk 2
	assert_output --partial "HTTP 429: Too Many Requests; queued"
	assert_equal "$(sql "SELECT CAST(next_attempt_at - $before BETWEEN 119 AND 122 AS INTEGER) FROM deliveries")" 1
	due_now
	run -75 chat-export --flush
	assert_output --partial "HTTP 500: InternalError"
	due_now
	run -0 chat-export --flush
	assert_equal "$(wc -l <"$ZD_DIR/tickets.jsonl")" 1
	assert_equal "$(sql "SELECT state, attempts FROM deliveries")" "sent|3"
	assert_equal "$(grep POST "$ZD_DIR/requests.jsonl" | /usr/bin/python3 -c 'import json, sys; print(len({json.loads(l)["idempotency_key"] for l in sys.stdin}))')" 1
}

@test "a server that said 429 or did not answer is not knocked on again by the same --flush" {
	examples
	start_zendesk
	export ZENDESK_TOKEN=zd-secret-token-4711
	echo 429:120 >"$ZD_DIR/plan"
	ZD_PORT=$(free_port) zendesk_config 'token_env: ZENDESK_TOKEN'
	# Queued while the server is unreachable: one try, the others held.
	run -75 chat-export --zendesk 1 2 3
	assert_equal "$(grep -c "Connection refused\|connect" <<<"$output")" 1
	assert_equal "$(grep -c "not attempted, its server did not answer just now; queued" <<<"$output")" 2
	assert_equal "$(sql "SELECT group_concat(attempts, ',') FROM (SELECT attempts FROM deliveries ORDER BY id) AS d")" "1,0,0"
	zendesk_config 'token_env: ZENDESK_TOKEN'
	due_now
	before=$(date +%s)
	run -75 --separate-stderr chat-export --flush
	assert_line --index 0 --partial "1 zendesk pending: HTTP 429: Too Many Requests, next at"
	assert_line --index 1 --regexp "^2 zendesk pending: not attempted, its server asked to wait until 20"
	assert_line --index 2 --regexp "^3 zendesk pending: not attempted, its server asked to wait until 20"
	assert_equal "$(grep -c POST "$ZD_DIR/requests.jsonl")" 1
	assert_equal "$(sql "SELECT count(*) FROM deliveries WHERE state = 'pending' AND next_attempt_at - $before BETWEEN 119 AND 122")" 3
	due_now
	run -0 chat-export -q --flush
	assert_equal "$(wc -l <"$ZD_DIR/tickets.jsonl")" 3
}

@test "zendesk text/plain errors are shown" {
	examples
	start_zendesk
	export ZENDESK_TOKEN=zd-secret-token-4711
	zendesk_config 'token_env: ZENDESK_TOKEN'
	echo text500 >"$ZD_DIR/plan"
	run -75 chat-export --zendesk 3
	assert_output --partial "zendesk: HTTP 503: Service Unavailable; queued"
}

@test "zendesk 401, 403, 422 and IdempotentRequestError are permanent (69), Zendesk's message shown" {
	examples
	start_zendesk
	export ZENDESK_TOKEN=zd-secret-token-4711
	zendesk_config 'token_env: ZENDESK_TOKEN'
	printf '401\n403\n422\nidem400\n' >"$ZD_DIR/plan"
	run -69 chat-export --zendesk 1
	assert_output --partial "HTTP 401: Couldn't authenticate you; failed for good"
	run -69 chat-export --zendesk 2
	assert_output --partial "HTTP 403: Forbidden: You do not have access"
	run -69 chat-export --zendesk 3
	assert_output --partial 'HTTP 422: RecordInvalid: Record validation errors: {"requester":[{"description":"Requester: Email is invalid"}]}'
	run -69 chat-export --zendesk 4
	assert_output --partial "HTTP 400: IdempotentRequestError: Request parameters differ"
	assert_equal "$(sql "SELECT group_concat(state) FROM deliveries")" "failed,failed,failed,failed"
	run -69 chat-export --zendesk 4
	assert_output --partial "failed for good"
	run -0 chat-export --pending -o ids
	assert_equal "${#lines[@]}" 4
}

@test "a response lost after the ticket was made: the retry finds the ticket, never makes two" {
	examples
	start_zendesk
	export ZENDESK_TOKEN=zd-secret-token-4711
	zendesk_config 'token_env: ZENDESK_TOKEN'
	touch "$ZD_DIR/noidem"
	echo drop >"$ZD_DIR/plan"
	run -75 chat-export --zendesk 5
	assert_equal "$(wc -l <"$ZD_DIR/tickets.jsonl")" 1
	due_now
	run -0 chat-export --flush
	assert_equal "$(wc -l <"$ZD_DIR/tickets.jsonl")" 1
	assert_equal "$(grep -c '"POST"' "$ZD_DIR/requests.jsonl")" 1
	assert_equal "$(grep -c 'external_id=IA-1005' "$ZD_DIR/requests.jsonl")" 1
	assert_equal "$(sql "SELECT state, remote_ref FROM deliveries")" "sent|1"
}

@test "a response slower than the timeout: the retry finds the ticket; with idempotency the key replays" {
	examples
	start_zendesk
	export ZENDESK_TOKEN=zd-secret-token-4711
	zendesk_config 'token_env: ZENDESK_TOKEN'
	touch "$ZD_DIR/noidem"
	echo slow:4 >"$ZD_DIR/plan"
	run -75 chat-export --zendesk 6
	assert_output --partial "zendesk: no answer in time: the server is down or too slow (Operation timed out"
	due_now
	run -0 chat-export --flush
	assert_equal "$(wc -l <"$ZD_DIR/tickets.jsonl")" 1
	rm "$ZD_DIR/noidem"
	echo drop >"$ZD_DIR/plan"
	run -75 chat-export --zendesk 7
	due_now
	run -0 chat-export --flush
	assert_equal "$(wc -l <"$ZD_DIR/tickets.jsonl")" 2
	assert_equal "$(sql "SELECT group_concat(remote_ref) FROM deliveries")" "1,2"
}

@test "zendesk.url must be https unless zendesk.insecure; a token needs zendesk.email; nothing is queued" {
	examples
	config <<-'EOF'
	zendesk: {url: "http://127.0.0.1:9", email: a@example.com, token_env: T}
	EOF
	T=x run -78 chat-export --zendesk 1
	assert_output --partial "zendesk.url: https:// only"
	config <<-'EOF'
	zendesk: {url: "https://127.0.0.1:9", token_env: T}
	EOF
	T=x run -78 chat-export --zendesk 1
	assert_output --partial "needs zendesk.email"
	config <<-'EOF'
	zendesk: {url: "https://127.0.0.1:9", email: a@example.com, token_env: T}
	EOF
	run -78 chat-export --zendesk 1
	assert_output --partial "the variable T named by the config is not set"
	assert_equal "$(sql "SELECT count(*) FROM deliveries")" 0
}

@test "contract: the ticket request validates against CreateTicket served by Prism (201)" {
	examples
	start_prism
	export ZENDESK_TOKEN=zd-secret-token-4711
	ZD_PORT=$PRISM_PORT
	zendesk_config 'token_env: ZENDESK_TOKEN'
	chat-close -q --at last -t delivery -m "Note for the ticket." 1
	run -0 chat-export --zendesk 1 3
	assert_equal "$(sql "SELECT group_concat(state || ':' || remote_ref) FROM deliveries")" "sent:35436,sent:35436"
}

@test "--pending -o ids prints each conversation once, however many deliveries it has" {
	examples
	sql "INSERT INTO deliveries (conversation, target, state, attempts, next_attempt_at, created_at, updated_at)
	     VALUES (2, 'mail:a@example.com', 'pending', 1, 100, 0, 0), (2, 'zendesk', 'failed', 3, NULL, 0, 0),
	            (5, 'mail:a@example.com', 'pending', 1, 50, 0, 0), (2, 'mail:b@example.com', 'pending', 1, 200, 0, 0)"
	run -0 chat-export --pending -o tsv
	assert_equal "${#lines[@]}" 5
	run -0 chat-export --pending -o ids
	assert_output "5
2"
}

@test "--pending lists queued and failed deliveries in every format; --max bounds --flush" {
	examples
	SMTP_PORT=$(free_port)
	mail_config 'insecure: true'
	run -75 chat-export --mail a@example.com 1 2 3
	run -0 chat-export --pending -o tsv
	assert_line --index 0 "$(printf 'id\ttarget\tstate\tattempts\tnext\terror\tdelivery')"
	assert_equal "${#lines[@]}" 4
	run -0 chat-export --pending -o json
	next=$(db_time 'SELECT next_attempt_at FROM deliveries WHERE id = 1')
	assert_line --index 0 --regexp '^\{"id":1,"target":"mail:a@example.com","state":"pending","attempts":1,"next":"'"$next"'","error":".+","delivery":1\}$'
	start_smtpd
	due_now
	run -0 chat-export --flush --max 2
	assert_equal "$(stored)" 2
	run -0 chat-export --pending -o ids
	assert_output 3
	run -2 chat-export --flush 1
	run -2 chat-export --max 0 --flush
}

@test "contradictory options are exit 2 with a one-line reason, and nothing is done" {
	examples
	start_smtpd
	mail_config 'insecure: true'
	before=$(dump)
	while IFS='|' read -r args reason; do
		# shellcheck disable=SC2086
		run -2 chat-export $args </dev/null
		assert_equal "${#lines[@]}" 1
		assert_output "chat-export: $reason"
	done <<-'EOF'
	--pending --flush|--pending and --flush: one or the other
	--flush --pending|--flush and --pending: one or the other
	--max 5 2|--max goes with --flush only
	--pending --max 5|--max goes with --flush only
	-f eml --mail jane@example.com 2|-f is the format written to standard output; --mail writes none
	-f json --zendesk 2|-f is the format written to standard output; --zendesk writes none
	-f csv --flush|-f is the format written to standard output; --flush writes none
	--flush --mail jane@example.com|--flush and --mail: one or the other
	-o json 2|-o is the format of --pending's listing; it goes with --pending only
	--retry --cancel 2|--retry and --cancel: one or the other
	--all 2|--all goes with --retry or --cancel only
	--retry --all 2|--all and ids: one or the other
	--again 2|--again goes with --mail or --zendesk only
	--flush 2|--flush takes no ids
	EOF
	assert_equal "$(stored)" 0
	assert_equal "$(dump)" "$before"
}

@test "a delivery's config is checked before anything is written: 78, nothing queued" {
	examples
	unset SMTP_PASSWORD
	before=$(dump)
	run -78 chat-export --zendesk 1 2
	assert_output "chat-export: zendesk: zendesk.url must be set in the config (no config file at $HOME/.config/chat-tools/config.yaml)"
	run -78 chat-export --mail jane@example.com 1
	assert_output "chat-export: mail: mail.url and mail.from must be set in the config (no config file at $HOME/.config/chat-tools/config.yaml)"
	SMTP_PORT=9
	mail_config "password_env: SMTP_PASSWORD"
	run -78 chat-export --mail jane@example.com 1
	assert_output "chat-export: mail: the variable SMTP_PASSWORD named by the config is not set"
	mail_config "ca_file: $BATS_TEST_TMPDIR/no-such-ca.pem"
	run -78 chat-export --mail jane@example.com 1
	assert_output --partial "mail.ca_file: $BATS_TEST_TMPDIR/no-such-ca.pem: No such file"
	assert_equal "$(dump)" "$before"
}

# A mail to 1 and a ticket for 2 pending and due, then the mail section
# gone from the config.
mail_config_gone() {
	examples
	start_zendesk
	export ZENDESK_TOKEN=zd-secret-token-4711
	SMTP_PORT=$(free_port)
	config <<-EOF
	mail: {url: "smtp://127.0.0.1:$SMTP_PORT/x", from: support@example.com, insecure: true}
	zendesk: {url: "http://127.0.0.1:$ZD_PORT", email: a@example.com, token_env: ZENDESK_TOKEN, insecure: true}
	EOF
	run -75 chat-export --mail ops@example.com 1
	echo 500 >"$ZD_DIR/plan"
	run -75 chat-export --zendesk 2
	config <<-EOF
	zendesk: {url: "http://127.0.0.1:$ZD_PORT", email: a@example.com, token_env: ZENDESK_TOKEN, insecure: true}
	EOF
	due_now
}

@test "--flush: a delivery whose target's config is gone is reported on its own line; the rest is delivered (exit 1)" {
	mail_config_gone
	run -1 chat-export --flush
	assert_line "chat-export: 1: mail:ops@example.com: not attempted: mail: mail.url and mail.from must be set in the config ($CHAT_CONFIG); it stays pending (chat-export --cancel 1 drops it)"
	assert_line "2 zendesk sent"
	assert_equal "$(sql "SELECT group_concat(state || ':' || attempts || ':' || CAST(next_attempt_at = 0 AS INTEGER)) FROM deliveries")" "pending:1:1,sent:2:0"
	run -0 chat-export --cancel 1
	run -0 chat-export --flush
	assert_output ""
}

@test "--flush --max: a delivery its config cannot make takes none of max's places" {
	mail_config_gone
	# The mail, oldest due, cannot be made: it is reported, and the one
	# place --max gives goes to the ticket, run after run.
	run -1 chat-export --flush --max 1
	assert_line --partial "chat-export: 1: mail:ops@example.com: not attempted"
	assert_line "2 zendesk sent"
}

@test "re-running --mail on a pending delivery attempts it now; one under way elsewhere is said so (75)" {
	examples
	SMTP_PORT=$(free_port)
	mail_config 'insecure: true'
	run -75 chat-export --mail jane@example.com 2 3
	run -75 chat-export --mail ops@example.com 4
	start_smtpd
	run -0 chat-export --mail jane@example.com 2
	assert_line 2
	assert_equal "$(stored)" 1
	assert_equal "$(sql "SELECT state, attempts FROM deliveries WHERE conversation = 2")" "sent|2"
	run -0 chat-close -q --mail jane@example.com 3
	assert_equal "$(stored)" 2
	# as claim() leases a delivery while another process attempts it
	sql "UPDATE deliveries SET next_attempt_at = $(($(date +%s) + 100)), updated_at = $(($(date +%s) + 100)) WHERE conversation = 4"
	run -75 chat-export --mail ops@example.com 4
	assert_output --partial "4: mail:ops@example.com: being attempted by another process"
	assert_equal "$(stored)" 2
}

@test "--retry after a password is fixed: failed deliveries are due again, with events; --flush delivers them" {
	examples
	smtp_wrong_password
	run -69 chat-export --mail jane@example.com 3 4 5
	assert_equal "$(sql "SELECT group_concat(state) FROM deliveries")" "failed,failed,failed"
	export SMTP_PASSWORD=$SECRET
	run -0 chat-export --retry 3
	assert_output 3
	assert_equal "$(sql "SELECT state, CAST(next_attempt_at <= $(date +%s) AS INTEGER) FROM deliveries WHERE conversation = 3")" "pending|1"
	assert_equal "$(sql "SELECT actor, detail FROM events WHERE action = 'delivery_retried'")" "tester|mail:jane@example.com (failed)"
	run -0 chat-export --flush
	assert_output "3 mail:jane@example.com sent"
	assert_equal "$(stored)" 1
	run -0 chat-export --retry --all
	assert_output $'4\n5'
	run -0 chat-export -q --flush
	assert_output ""
	assert_equal "$(stored)" 3
	assert_equal "$(sql "SELECT group_concat(state || ':' || attempts) FROM deliveries")" "sent:2,sent:2,sent:2"
	run -0 chat-history 4
	assert_line --regexp "tester delivery_retried mail:jane@example.com \(failed\)$"
	# nothing waits now: the ids are printed, nothing else is done
	run -0 chat-export --retry 4
	assert_output 4
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'delivery_retried'")" 3
}

@test "--pending leaves out a failed delivery that a newer one to its target replaced" {
	examples
	smtp_wrong_password
	run -69 chat-export --mail jane@example.com 3 4
	run -0 chat-export --pending -o ids
	assert_output $'3\n4'
	export SMTP_PASSWORD=$SECRET
	run -0 chat-export -q --again --mail jane@example.com 3
	assert_equal "$(sql "SELECT group_concat(state, ',') FROM (SELECT state FROM deliveries WHERE conversation = 3 ORDER BY seq) AS d")" "failed,sent"
	run -0 chat-export --pending -o ids
	assert_output 4
	run -0 chat-export --again --mail jane@example.com 4
	run -1 chat-export --pending
	assert_output ""
}

@test "--retry makes a pending delivery due now; without ids or --all on a terminal it is exit 2" {
	examples
	SMTP_PORT=$(free_port)
	mail_config 'insecure: true'
	run -75 chat-export --mail jane@example.com 2
	start_smtpd
	run -0 chat-export --flush
	assert_output ""
	run -1 chat-export --retry 2 999
	assert_line 2
	assert_line --partial "999: no such conversation"
	run -0 --separate-stderr chat-export --flush
	assert_line "2 mail:jane@example.com sent"
	assert_equal "$(stored)" 1
	run -2 on_tty chat-export --retry
	run -2 on_tty chat-export --cancel
}

@test "--cancel drops pending and failed deliveries, with events; one under way is refused (75)" {
	examples
	SMTP_PORT=$(free_port)
	mail_config 'insecure: true'
	run -75 chat-export --mail a@example.com 1 2 3 4
	run -0 chat-export --cancel 2
	assert_output 2
	assert_equal "$(sql "SELECT group_concat(conversation) FROM deliveries")" "1,3,4"
	run -0 sql "SELECT actor, detail FROM events WHERE action = 'delivery_cancelled'"
	assert_output --regexp "^tester\|mail:a@example.com, 1 attempt: .*Couldn't connect to server$"
	run -0 chat-history 2
	assert_line --regexp "tester delivery_cancelled mail:a@example.com, 1 attempt: "
	refute_line --regexp "^delivery "
	sql "UPDATE deliveries SET state = 'failed' WHERE conversation = 3;
	  UPDATE deliveries SET next_attempt_at = $(($(date +%s) + 100)), updated_at = $(($(date +%s) + 100)) WHERE conversation = 4"
	run -75 chat-export --cancel 4
	assert_output "chat-export: 4: mail:a@example.com is being attempted; not cancelled"
	sql "UPDATE deliveries SET updated_at = 0 WHERE conversation = 4"
	run -0 chat-export --cancel --all
	assert_output $'1\n3\n4'
	assert_equal "$(sql "SELECT count(*) FROM deliveries")" 0
	# a failure acknowledged: what it came to is in its event
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'delivery_cancelled' AND conversation = 3 AND detail LIKE 'mail:a@example.com, 1 attempt: %'")" 1
	run -1 chat-export --pending
	start_smtpd
	due_now
	run -0 chat-export --flush
	assert_output ""
	assert_equal "$(stored)" 0
	# asked for again, a cancelled delivery is a new one
	run -0 chat-export --mail a@example.com 2
	assert_equal "$(stored)" 1
}

@test "the server's own reply is shown and stored: 550 5.1.1 ... User unknown, failed for good (69)" {
	examples
	start_smtpd --reject nobody@example.com
	mail_config 'insecure: true'
	run -69 chat-export --mail nobody@example.com 2
	assert_line "chat-export: 2: mail:nobody@example.com: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table; failed for good"
	refute_output --partial "Failed sending data"
	assert_equal "$(sql "SELECT state, last_error FROM deliveries")" "failed|550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table"
	run -0 chat-history 2
	assert_line "delivery       mail:nobody@example.com failed: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table, 1 attempt"
	assert_equal "$(stored)" 0
	run -0 chat-export --mail jane@example.com 2
	assert_equal "$(stored)" 1
}

@test "a server's reply is kept as it said it, its control characters as \\xHH" {
	examples
	start_smtpd --reply $'451 4.3.0 Veuillez réessayer \033[2J plus tard'
	mail_config 'insecure: true'
	run -75 chat-export --mail jane@example.com 2
	assert_line --partial '2: mail:jane@example.com: 451 4.3.0 Veuillez réessayer \x1b[2J plus tard; queued'
	refute_output --partial $'\033'
	assert_equal "$(sql "SELECT last_error FROM deliveries")" '451 4.3.0 Veuillez réessayer \x1b[2J plus tard'
}

@test "TLS failures say so in words, with no stray SMTP code" {
	examples
	make_cert
	start_smtpd --starttls "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem"
	mail_config
	run -69 chat-export --mail jane@example.com 2
	assert_line "chat-export: 2: mail:jane@example.com: TLS: the server's certificate could not be verified (SSL certificate problem: self-signed certificate); mail.ca_file may name the CA that signed it; failed for good"
	refute_output --partial "(SMTP"
	kill "$SMTP_PID"; wait "$SMTP_PID" || true
	start_smtpd
	run -69 chat-export --mail jane@example.com 3
	assert_line "chat-export: 3: mail:jane@example.com: TLS: the server does not offer STARTTLS, which mail.url smtp:// requires (smtps:// is TLS from the start); failed for good"
	refute_output --partial "(SMTP"
	assert_equal "$(stored)" 0
}

@test "--flush prints a line per delivery attempted (-q: none); what waits is not attempted" {
	examples
	start_zendesk
	export ZENDESK_TOKEN=zd-secret-token-4711
	SMTP_PORT=$(free_port)
	config <<-EOF
	mail: {url: "smtp://127.0.0.1:$SMTP_PORT/x", from: support@example.com, insecure: true}
	zendesk: {url: "http://127.0.0.1:$ZD_PORT", email: a@example.com, token_env: ZENDESK_TOKEN, insecure: true}
	EOF
	run -75 chat-export --mail ops@example.com 3
	printf 'text500\ntext500\n' >"$ZD_DIR/plan"
	run -75 chat-export --zendesk 4
	run -75 chat-export --mail ops@example.com 5
	start_smtpd
	sql "UPDATE deliveries SET next_attempt_at = 0 WHERE conversation IN (3, 4)"
	run -75 --separate-stderr chat-export --flush
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 "3 mail:ops@example.com sent"
	assert_line --index 1 "4 zendesk pending: HTTP 503: Service Unavailable, next at $(db_time 'SELECT next_attempt_at FROM deliveries WHERE conversation = 4')"
	sql "UPDATE deliveries SET next_attempt_at = 0 WHERE conversation IN (4, 5)"
	run -0 --separate-stderr chat-export -q --flush
	assert_output ""
	assert_equal "$(stored)" 2
	assert_equal "$(sql "SELECT group_concat(state) FROM deliveries")" "sent,sent,sent"
}

# Checks the message on stdin: header lines of at most 78 characters, 76
# when they hold an encoded word; prints From and Subject as decoded.
header_lines() {
	/usr/bin/python3 -c '
import email, email.header, email.policy, sys
raw = sys.stdin.buffer.read()
head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
for l in head:
    limit = 76 if b"=?" in l else 78
    assert len(l) <= limit, (len(l), l)
m = email.message_from_bytes(raw, policy=email.policy.default)
# The default policy keeps the space between encoded words in a display
# name, which RFC 2047 6.2 drops; decode_header() drops it.
h = email.message_from_bytes(raw)["From"]
print("From:", email.header.make_header(email.header.decode_header(h)))
print("Subject:", m["Subject"])
print("lines:", len(head))'
}

@test "mail headers: lines of at most 78 characters, 76 with an encoded word, read back as written" {
	examples
	long_accented="Jérôme-Alexandre de La Fontaine-Saint-Exupéry, Société Générale d'Électricité"
	long_ascii="Alexander Maximilian Fitzgerald-Worthington of the Royal Borough of Kensington and Chelsea"
	long_word=$(printf 'X%.0s' $(seq 90))
	printf '%s\n' \
		"{\"conversation\":\"L-1\",\"visitor\":\"$long_accented\",\"at\":\"2026-11-20T10:00:00Z\",\"author\":\"visitor\",\"text\":\"hi\"}" \
		"{\"conversation\":\"L-2\",\"visitor\":\"$long_ascii\",\"at\":\"2026-11-20T10:00:00Z\",\"author\":\"visitor\",\"text\":\"hi\"}" \
		"{\"conversation\":\"$long_word\",\"visitor\":\"Jo\",\"at\":\"2026-11-20T10:00:00Z\",\"author\":\"visitor\",\"text\":\"hi\"}" |
		chat-import -q
	from_name="Service Clientèle de la Société Générale d'Électricité de France, Région Île-de-France"
	mail_config
	sed -i "s|from: .*|from: \"$from_name <support-clients@example.com>\"|" "$CHAT_CONFIG"
	run -0 header_lines < <(chat-export -f eml 31)
	assert_line "From: $from_name <support-clients@example.com>"
	assert_line "Subject: Conversation L-1 with $long_accented (chat)"
	run -0 header_lines < <(chat-export -f eml 32)
	assert_line "Subject: Conversation L-2 with $long_ascii (chat)"
	run -0 chat-export -f eml 32
	assert_line --partial "Subject: Conversation L-2 with Alexander"
	refute_output --partial "Subject: =?"
	run -0 header_lines < <(chat-export -f eml 33)
	assert_line "Subject: Conversation $long_word with Jo (chat)"
	# a short subject stays as it is
	run -0 chat-export -f eml 2
	assert_line $'Subject: Conversation IA-1002 with Lucas Martin (whatsapp)\r'
}

@test "transcripts and mails say which time zone their times are in" {
	examples
	TZ=Europe/Paris run -0 chat-export 2
	assert_line "time zone      CET (UTC+01:00)"
	assert_line "started        2026-11-16 09:56"
	run -0 chat-export 2
	assert_line "time zone      UTC"
	TZ=America/Sao_Paulo run -0 chat-history 2
	assert_line "time zone      UTC-03:00"
	# a time past a change to summer time says its own zone
	chat-note -q -m "Followed up." 2
	sql "UPDATE notes SET at = 1811836800 WHERE conversation = 2"
	TZ=Europe/Paris run -0 chat-export 2
	assert_line "2027-06-01 10:00 CEST  tester: Followed up."
	mail_config
	TZ=Asia/Kolkata run -0 parse_mail - < <(TZ=Asia/Kolkata chat-export -f eml 2)
	assert_line "time zone      IST (UTC+05:30)"
}

@test "--help lists every option, the common ones included" {
	run -0 chat-export --help
	assert_line --index 0 --partial "usage: chat-export"
	help_lists_every_option chat-export
}

@test "a tool without chat-deliver beside it attempts nothing: the close stands, the delivery stays pending, 75" {
	examples
	start_smtpd
	mail_config 'insecure: true'
	mkdir "$BATS_TEST_TMPDIR/alone"
	cp "$(command -v chat-close)" "$BATS_TEST_TMPDIR/alone/"
	# The PostgreSQL engine where it is installed, ../lib/chat-tools/.
	mkdir -p "$BATS_TEST_TMPDIR/lib/chat-tools"
	cp "$TOP/${CHAT_BUILD:-build}/lib/chat-tools/chat-pg.so" \
	    "$BATS_TEST_TMPDIR/lib/chat-tools/"
	run -75 "$BATS_TEST_TMPDIR/alone/chat-close" --mail jane@example.com 2
	assert_line --index 0 2
	assert_line "chat-close: $BATS_TEST_TMPDIR/alone/chat-deliver: No such file or directory; the deliveries stay pending (chat-export --flush attempts them)"
	assert_equal "$(sql "SELECT state FROM conversations WHERE id = 2")" closed
	assert_equal "$(sql "SELECT state, attempts FROM deliveries")" "pending|0"
	assert_equal "$(stored)" 0
	run -0 chat-export --flush
	assert_line "2 mail:jane@example.com sent"
	assert_equal "$(stored)" 1
}

@test "make install puts chat-deliver where the installed tools find it" {
	examples
	start_smtpd
	mail_config 'insecure: true'
	run -0 make -s -C "$TOP" B="${CHAT_BUILD:-build}" install \
		DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/usr
	assert_file_executable "$BATS_TEST_TMPDIR/root/usr/bin/chat-deliver"
	run -0 "$BATS_TEST_TMPDIR/root/usr/bin/chat-close" -q --mail jane@example.com 2
	assert_output --partial "chat-close: warning: mail.insecure is set"
	assert_equal "$(sql "SELECT state FROM deliveries")" sent
	assert_equal "$(stored)" 1
}

@test "--flush into a reader that goes away ends by SIGPIPE, as a tool printing itself does, not 75" {
	examples
	SMTP_PORT=$(free_port)
	config <<-EOF
	mail: {url: "smtp://127.0.0.1:$SMTP_PORT/x", from: support@example.com, insecure: true}
	EOF
	run -75 chat-export -q --mail ops@example.com 1 2 3 4 5 6 7 8 9 10 11 12
	due_now
	run bash -c 'chat-export --flush 2>"$BATS_TEST_TMPDIR/err" | head -1; echo "${PIPESTATUS[0]}"'
	assert_line --index 0 --partial "mail:ops@example.com pending"
	assert_line --index 1 141
	run cat "$BATS_TEST_TMPDIR/err"
	refute_output --partial "killed by signal"
}

@test "a batch held off mid-stream (75) is undone; the batch before it stays closed and what it queued is delivered" {
	examples
	start_smtpd
	config <<-EOF
	db_busy_timeout: 2s
	mail:
	  url: smtp://127.0.0.1:$SMTP_PORT/chat-tools.test
	  from: support@example.com
	  insecure: true
	EOF
	mkfifo "$BATS_TEST_TMPDIR/ids"
	chat-close --mail ops@example.com <"$BATS_TEST_TMPDIR/ids" \
	    >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	exec 9>"$BATS_TEST_TMPDIR/ids"
	# The input pauses after 1: its batch commits before 2 comes.
	echo 1 >&9
	for _ in $(seq 200); do
		[ "$(sql "SELECT state FROM conversations WHERE id = 1")" = closed ] && break
		sleep 0.05
	done
	hold_lock
	echo 2 >&9
	exec 9>&-
	# Released once 2's batch has given up, so that the delivery of 1's
	# can be recorded.
	for _ in $(seq 200); do
		grep -q "database is busy" "$BATS_TEST_TMPDIR/err" && break
		sleep 0.05
	done
	release_lock
	status=0
	wait "$pid" || status=$?
	assert_equal "$status" 75
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" 1
	assert_equal "$(sql "SELECT group_concat(state) FROM (SELECT state FROM conversations WHERE id IN (1, 2) ORDER BY id) AS s")" "closed,open"
	assert_equal "$(sql "SELECT conversation || ':' || state FROM deliveries")" "1:sent"
	assert_equal "$(stored)" 1
}
