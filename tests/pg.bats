#!/usr/bin/env bats
# PostgreSQL only: what a server adds to a file (passwords, roles, a server
# that is down, the advisory write lock, an empty database). Run by
# scripts/check's second leg, on scripts/pg's cluster.

# bats file_tags=pg
load helper

setup() {
	[ -n "${CHAT_TEST_PG:-}" ] ||
	    fail "CHAT_TEST_PG is not set: scripts/check runs these on scripts/pg's cluster"
	common_setup
	# Roles are the cluster's, not the database's: one of this test's own.
	ROLE=r_$PG_DB
	PASS=right-horse-battery-$$
}

teardown() {
	if [ -n "${PG2:-}" ]; then
		"$TOP/scripts/pg" stop "$PG2/c" >/dev/null 2>&1
		rm -rf "$PG2"
	fi
	common_teardown
	local r
	for r in "$ROLE" "${ROLE}_o" "${ROLE}_w" "${ROLE}_r"; do
		pg_admin "DROP ROLE IF EXISTS $r"
	done
}

# Returns once a writer waits for the advisory lock hold_lock holds.
wait_for_writer() {
	local n=0
	until [ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype =
	    'advisory' AND NOT granted")" = 1 ]; do
		n=$((n + 1))
		[ $n -lt 200 ] || fail "the writer never waited for the lock"
		sleep 0.05
	done
}

# A role that logs in with $PASS and has no right on any table.
make_role() {
	pg_admin "CREATE ROLE $ROLE LOGIN PASSWORD '$PASS'"
}

@test "postgres:// is PostgreSQL too" {
	export CHAT_DB=${CHAT_DB/#postgresql:/postgres:}
	examples
	assert_equal "$(chat-history --count)" 30
	assert_equal "$(sql 'SELECT count(*) FROM conversations')" 30
}

@test "a password in the URL is refused (78), pointing to ~/.pgpass, PGPASSFILE or PGPASSWORD, and never printed" {
	local secret=hunter2-in-the-url url
	for url in "postgresql://chat:$secret@/$PG_DB?host=$CHAT_TEST_PG" \
	    "postgres://chat:$secret@/$PG_DB?host=$CHAT_TEST_PG" \
	    "postgresql:///$PG_DB?host=$CHAT_TEST_PG&user=chat&password=$secret" \
	    "postgresql:///$PG_DB?host=$CHAT_TEST_PG&user=chat&sslpassword=$secret" \
	    "postgresql://chat:$secret@[::1/$PG_DB"; do
		run -78 env CHAT_DB="$url" chat-import -q "$EXAMPLES"
		assert_output --partial "~/.pgpass"
		assert_output --partial PGPASSFILE
		assert_output --partial PGPASSWORD
		refute_output --partial "$secret"
		run -78 chat-history -d "$url"
		refute_output --partial "$secret"
	done
	assert_no_db
}

@test "a server that is down: 75 naming the database, no password printed" {
	local url="postgresql:///$PG_DB?host=$BATS_TEST_TMPDIR/no-server&user=chat"
	mkdir "$BATS_TEST_TMPDIR/no-server"
	export PGPASSWORD=secret-from-the-environment
	run -75 chat-history -d "$url"
	assert_output --partial "$url"
	refute_output --partial "$PGPASSWORD"
	run -75 env CHAT_DB="$url" chat-import -q "$EXAMPLES"
	assert_output --partial "$url"
	refute_output --partial "$PGPASSWORD"
}

@test "a wrong PGPASSWORD: 78, authentication failed, the password not printed" {
	make_role
	local url="postgresql:///$PG_DB?host=$CHAT_TEST_PG&user=$ROLE"
	PGPASSWORD=wrong-$PASS run -78 chat-history -d "$url"
	assert_output --partial "authentication failed"
	refute_output --partial "wrong-$PASS"
	PGPASSWORD=wrong-$PASS run -78 env CHAT_DB="$url" chat-import -q "$EXAMPLES"
	assert_output --partial "authentication failed"
	assert_no_db
}

@test "the password from a PGPASSFILE is used, and never printed" {
	make_role
	pg_admin "GRANT ALL ON DATABASE $PG_DB TO $ROLE"
	pg_admin "ALTER DATABASE $PG_DB OWNER TO $ROLE"
	printf '*:*:*:%s:%s\n' "$ROLE" "$PASS" >"$BATS_TEST_TMPDIR/pgpass"
	chmod 600 "$BATS_TEST_TMPDIR/pgpass"
	export PGPASSFILE=$BATS_TEST_TMPDIR/pgpass
	export CHAT_DB="postgresql:///$PG_DB?host=$CHAT_TEST_PG&user=$ROLE"
	run -0 chat-import "$EXAMPLES"
	refute_output --partial "$PASS"
	assert_equal "$(chat-history --count)" 30
	assert_equal "$(sql 'SELECT count(*) FROM conversations')" 30
}

@test "a role without rights on the tables: 74, permission denied, nothing changed" {
	examples
	make_role
	before=$(dump)
	local url="postgresql:///$PG_DB?host=$CHAT_TEST_PG&user=$ROLE"
	export PGPASSWORD=$PASS
	run -74 chat-history -d "$url"
	assert_output --partial "permission denied"
	run -74 chat-close -d "$url" 1
	assert_output --partial "permission denied"
	refute_output --partial "$PASS"
	assert_equal "$(dump)" "$before"
}

@test "a writer held off by the advisory lock past db_busy_timeout: 75 in about that time, nothing changed" {
	examples
	config <<-'EOF'
	db_busy_timeout: 1s
	EOF
	before=$(dump)
	hold_lock
	local t0 t1
	t0=$(date +%s%N)
	run -75 chat-close 1
	t1=$(date +%s%N)
	release_lock
	assert_output --partial "database is busy"
	# One second of waiting, not the default ten, and not none.
	[ $(((t1 - t0) / 1000000)) -ge 900 ]
	[ $(((t1 - t0) / 1000000)) -lt 3000 ]
	assert_equal "$(dump)" "$before"
	run -0 chat-close 1
}

@test "a reader on a database without the schema says what it says of a missing file, and makes none" {
	run -74 chat-history
	assert_output "chat-history: no database at $CHAT_DB (chat-import creates one)"
	run -74 chat-close 1
	assert_output "chat-close: no database at $CHAT_DB (chat-import creates one)"
	assert_no_db
}

@test "a schema newer than this chat-tools is refused with 74 and left unchanged" {
	examples
	# The version is the comment on meta (lib/pg.c), readable whether or
	# not the table is there; the row says the same for people.
	sql "COMMENT ON TABLE meta IS 'chat-tools schema 999'"
	sql "UPDATE meta SET value = '999' WHERE key = 'schema_version'"
	before=$(dump)
	run -74 chat-history
	assert_output --partial "schema version 999 is newer than this chat-tools knows"
	run -74 chat-close 1
	assert_output --partial "upgrade chat-tools"
	assert_equal "$(dump)" "$before"
}

@test "a connection lost while a writer waits for the lock: 75, nothing written" {
	examples
	before=$(dump)
	hold_lock
	chat-close 1 2 3 >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$! rc=0
	# The writer waits for the lock; its server process is then ended,
	# as a restart or a failover would end it.
	wait_for_writer
	sql "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype =
	    'advisory' AND NOT granted" >/dev/null
	wait "$pid" || rc=$?
	release_lock
	assert_equal "$rc" 75
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial "connection to the server lost"
	assert_equal "$(dump)" "$before"
}

@test "a new row's id is the greatest plus one, as on SQLite: no gap after -n" {
	examples
	local n notes
	n=$(sql "SELECT max(id) FROM conversations")
	notes=$(sql "SELECT coalesce(max(id), 0) FROM notes")
	line='{"conversation":"gapless","at":"2026-05-01T10:00:00Z","author":"visitor","text":"hi"}'
	run -0 chat-note -n -q -m "not kept" 1
	run -0 chat-close -n -q -m "not kept either" 2
	run -0 chat-import -q <<<"$line"
	assert_equal "$(sql "SELECT id FROM conversations WHERE ref = 'gapless'")" $((n + 1))
	run -0 chat-note -q -m "kept" 1
	assert_equal "$(sql "SELECT id FROM notes WHERE body = 'kept'")" $((notes + 1))
}

@test "a tool without the PostgreSQL module says so (74) on a URL, and needs none on a file" {
	mkdir "$BATS_TEST_TMPDIR/alone"
	cp "$(command -v chat-history)" "$(command -v chat-import)" \
	    "$BATS_TEST_TMPDIR/alone/"
	run -74 "$BATS_TEST_TMPDIR/alone/chat-history"
	assert_output --partial "chat-history: PostgreSQL support is not installed: "
	assert_output --partial "lib/chat-tools/chat-pg.so"
	run -0 "$BATS_TEST_TMPDIR/alone/chat-import" -d "$BATS_TEST_TMPDIR/x.db" "$EXAMPLES"
	run -0 "$BATS_TEST_TMPDIR/alone/chat-history" -d "$BATS_TEST_TMPDIR/x.db" -o ids 1
}

@test "the roles of chat-tools(7), made as it says: the owner makes the schema, operators write, readers read" {
	local owner=${ROLE}_o ops=${ROLE}_w rd=${ROLE}_r r
	for r in "$owner" "$ops" "$rd"; do
		pg_admin "CREATE ROLE $r LOGIN PASSWORD '$PASS'"
		printf '*:*:*:%s:%s\n' "$r" "$PASS" >>"$BATS_TEST_TMPDIR/pgpass"
	done
	chmod 600 "$BATS_TEST_TMPDIR/pgpass"
	export PGPASSFILE=$BATS_TEST_TMPDIR/pgpass
	pg_admin "ALTER DATABASE $PG_DB OWNER TO $owner"
	local base="postgresql:///$PG_DB?host=$CHAT_TEST_PG&user="
	run -0 chat-import -d "$base$owner" </dev/null
	# The grants, word for word from the man page, run by the owner.
	sed -n '/^GRANT SELECT, INSERT/,/^\.Ed/p' "$TOP/man/chat-tools.7" |
	    grep -v '^\.Ed' | sed "s/chat_ops/$ops/; s/chat_read/$rd/" |
	    psql -X -q -v ON_ERROR_STOP=1 -d "$base$owner"
	run -0 chat-import -q -d "$base$ops" "$EXAMPLES"
	run -0 chat-tag -q -d "$base$ops" billing 1 2
	run -0 chat-close -q -d "$base$ops" -m "done" -r network=4 1
	assert_equal "$(chat-history -d "$base$rd" -o ids --tag billing)" "2
1"
	run -74 chat-note -d "$base$rd" -m "a reader writes" 2
	assert_output --partial "permission denied"
	refute_output --partial "$PASS"
}

@test "a misspelt or foreign URL is refused (2 from -d, 78 from CHAT_DB), never taken for a file" {
	cd "$BATS_TEST_TMPDIR"
	run -2 chat-import -d "postgress:///$PG_DB?host=$CHAT_TEST_PG" </dev/null
	assert_output --partial "not a database chat-tools knows"
	CHAT_DB="postgresql:/$PG_DB" run -78 chat-import </dev/null
	assert_output --partial "not a database chat-tools knows"
	run -2 chat-history -d "postgresql:///$PG_DB?hots=$CHAT_TEST_PG"
	assert_output 'chat-history: the database URL: invalid URI query parameter: "hots"'
	CHAT_DB="$CHAT_DB&sslmode=verify-fulll" run -78 chat-history
	assert_output --partial 'invalid sslmode value: "verify-fulll"'
	run ls -A "$BATS_TEST_TMPDIR"
	refute_output --partial postgres
}

@test "a server stopped mid-command: 75, connection lost, on one line" {
	# A cluster of the test's own, to stop; out of bats's private
	# folders, for the server's user (scripts/pg).
	PG2=$(mktemp -d /tmp/chat-pg2.XXXXXX)
	chmod 755 "$PG2"
	local c=$PG2/c
	"$TOP/scripts/pg" start "$c"
	psql -X -q -h "$c" -U chat -d postgres -c "CREATE DATABASE s"
	export CHAT_DB="postgresql:///s?host=$c&user=chat"
	run -0 chat-import -q "$EXAMPLES"
	hold_lock
	chat-close 1 2 3 >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$! rc=0
	wait_for_writer
	"$TOP/scripts/pg" stop "$c"
	wait "$pid" || rc=$?
	exec 8>&-
	wait "$LOCK_PID" || true
	assert_equal "$rc" 75
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial "connection to the server lost"
	assert_equal "${#lines[@]}" 1
}

@test "a message of a hundred and fifty thousand different words is imported; its first megabyte of words is searchable" {
	python3 -c '
import json
words = " ".join("w%06dq" % i for i in range(150000))
print(json.dumps({"conversation": "big", "at": "2026-05-01T10:00:00Z",
    "author": "visitor", "text": "early " + words + " late"}))' >"$BATS_TEST_TMPDIR/big.ndjson"
	run -0 chat-import -q "$BATS_TEST_TMPDIR/big.ndjson"
	assert_equal "$(chat-history -o ids --grep early)" 1
	assert_equal "$(sql "SELECT length(body) FROM messages")" 1350010
}

# chat-import makes the words of what it adds in C, with FTS5's own
# tokenizer (search_words()); the trigger's chat_words() makes them for
# every other writer. They must be the same tsvector, whatever the text.
@test "the words chat-import indexes are chat_words()'s, for every kind of text" {
	python3 - >"$BATS_TEST_TMPDIR/words.ndjson" <<-'PY'
	import json
	n = 0
	def msg(text, **k):
	    global n
	    n += 1
	    print(json.dumps(dict(conversation="W%d" % (n % 7), id="m%d" % n,
	        at=1795392000 + n, author="visitor", text=text, **k)))
	cps = [c for c in range(1, 0x3000) if not 0xD800 <= c <= 0xDFFF]
	cps += list(range(0x3000, 0x110000, 97))
	cps = [c for c in cps if not 0xD800 <= c <= 0xDFFF]
	for i in range(0, len(cps), 400):
	    # each code point between letters, and each on its own
	    msg(" ".join("q%sq %s" % (chr(c), chr(c)) for c in cps[i:i + 400]))
	msg("it's a \\back\\slash, 'quoted' \"twice\" O'Brien's")
	msg("...,;: !! ??")
	msg("x" * 2047 + " kept " + "y" * 2048 + " after")
	msg(" ".join("w%d" % i for i in range(17000)))
	msg("É́cole ÇA ça ǅ ﬁ ß ẞ Ⅻ ① ½ ١٢٣ 日本語 한국어 ไทย")
	msg("visitor header", visitor="Zoë O'Brien \\ x", visitor_email="a.b@c.d")
	PY
	run -0 chat-import -q "$BATS_TEST_TMPDIR/words.ndjson"
	assert_equal "$(sql "SELECT count(*) FROM messages")" \
	    "$(wc -l <"$BATS_TEST_TMPDIR/words.ndjson")"
	assert_equal "$(sql "SELECT count(*) FROM messages m LEFT JOIN
	    messages_fts f USING (id) WHERE f.words IS DISTINCT FROM
	    chat_words(m.body)")" 0
	assert_equal "$(sql "SELECT count(*) FROM conversations c LEFT JOIN
	    conversations_fts f USING (id) WHERE f.words IS DISTINCT FROM
	    chat_words(c.visitor, c.visitor_email, c.ref)")" 0
	# and none of them empty but for the text without a word
	assert_equal "$(sql "SELECT count(*) FROM messages_fts
	    WHERE words = ''::tsvector")" 1
}

# A chunk's statements are one a table; a server that refuses one of them
# (here a rule of the DBA's: one message a statement) has the chunk redone
# a line at a time, which goes through: the same rows as a file gets.
@test "a chunk the server refuses as a whole is written a line at a time" {
	"$TOP/scripts/gen-data" -n 300 | shuf --random-source=<(yes) \
	    >"$BATS_TEST_TMPDIR/d.ndjson"
	sql "CREATE FUNCTION one_a_time() RETURNS trigger LANGUAGE plpgsql AS
	    \$f\$ BEGIN IF (SELECT count(*) FROM added) > 1 THEN
	    RAISE EXCEPTION 'one message a statement'; END IF;
	    RETURN NULL; END \$f\$"
	echo '{"conversation":"first","at":1795392000,"author":"visitor","text":"x"}' |
	    chat-import -q
	sql "CREATE TRIGGER one_a_time AFTER INSERT ON messages REFERENCING
	    NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION one_a_time()"
	run -0 chat-import "$BATS_TEST_TMPDIR/d.ndjson"
	local pg_out=$output
	echo '{"conversation":"first","at":1795392000,"author":"visitor","text":"x"}' |
	    CHAT_DB=$BATS_TEST_TMPDIR/l.db chat-import -q
	run -0 env CHAT_DB="$BATS_TEST_TMPDIR/l.db" chat-import \
	    "$BATS_TEST_TMPDIR/d.ndjson"
	assert_equal "$pg_out" "$output"
	local t
	for t in "* FROM conversations ORDER BY id" "* FROM messages ORDER BY id" \
	    "id, conversation, action, detail FROM events ORDER BY id"; do
		assert_equal "$(sql "SELECT $t" | md5sum)" \
		    "$(sqlite3 "$BATS_TEST_TMPDIR/l.db" "SELECT $t" | md5sum)"
	done
	assert_equal "$(chat-history --grep parcel --count)" \
	    "$(CHAT_DB=$BATS_TEST_TMPDIR/l.db chat-history --grep parcel --count)"
}
