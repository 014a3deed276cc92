#!/usr/bin/env bats
# Rules of security: input stays data, never SQL or terminal control; and
# the private modes of what chat-tools creates.

load helper

# Runs the rest of the command line with tests/sqltrace.c preloaded: the
# text of every statement handed to SQLite is appended to $SQL_LOG.
traced() {
	local shim=$BATS_TEST_TMPDIR/sqltrace.so
	[ -e "$shim" ] ||
	    ${CC:-cc} -shared -fPIC -O1 -o "$shim" "$TOP/tests/sqltrace.c" -ldl
	# A sanitizer's runtime wants to be first; the shim only wraps SQLite.
	SQL_LOG=$BATS_TEST_TMPDIR/sql.log LD_PRELOAD=$shim \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 "$@"
}

# Every field of the input, every option's value and every operand carry
# the mark zqxv, through every tool; the values are stored and found.
marked_workload() {
	config <<-'EOF'
	rating: {criteria: {zqxvcrit: [1, 5]}}
	close: {social_channels: [zqxvchan]}
	auto_tag:
	  - {tag: zqxv-auto, match: "zqxv-text OR zqxv-note"}
	EOF
	{
		printf '{"conversation":"zqxv-ref","channel":"zqxvchan","visitor":"zqxv-visitor","visitor_email":"zqxv@example.com","at":"2026-11-23T10:00:00Z","author":"visitor","id":"zqxv-m1","text":"zqxv-text"}\n'
		printf '{"conversation":"zqxv-ref","type":"assign","operator":"zqxv-op","at":"2026-11-23T10:01:00Z"}\n'
		printf '{"conversation":"zqxv-ref","at":"2026-11-23T10:02:00Z","author":"operator","name":"zqxv-name","id":"zqxv-m2","text":"zqxv-reply"}\n'
	} | traced chat-import -q --as zqxv-importer
	traced chat-tag -q --as zqxv-as zqxv-tag 1
	traced chat-note -q --as zqxv-as -m zqxv-note 1
	traced chat-rate -q --as zqxv-as zqxvcrit=4 1
	traced chat-close -q --ref --as zqxv-as --at last -t zqxv-closetag \
	    -m zqxv-closenote -r zqxvcrit=5 zqxv-ref
	traced chat-tag -q --auto --ref zqxv-ref
	traced chat-tag -q --rename zqxv-closetag zqxv-renamed
	run -0 traced chat-history -o ids --operator zqxv-op --channel zqxvchan \
	    --tag zqxv-tag --tag zqxv-auto --grep zqxv-text --grep '"zqxv reply"'
	assert_output 1
	run -0 traced chat-history --ref zqxv-ref
	assert_output --partial zqxv-renamed
	run -0 traced chat-stats --operator zqxv-op --tag zqxv-renamed --social
	run -0 traced chat-export -f json --ref zqxv-ref
	assert_output --partial zqxv-closenote
	run -0 traced chat-tag -l
	run -0 traced chat-note -l --ref zqxv-ref
	# The values were stored and found; the shim saw the tools' statements,
	# and lib/ hands SQLite text by no entry point the shim does not wrap.
	assert_equal "$(sql "SELECT actor, action, detail FROM events ORDER BY id")" \
	    "zqxv-importer|imported|zqxv-ref
zqxv-importer|assigned|zqxv-op
zqxv-as|tagged|zqxv-tag
zqxv-as|noted|zqxv-note
zqxv-as|rated|zqxvcrit=4
zqxv-as|tagged|zqxv-closetag
zqxv-as|noted|zqxv-closenote
zqxv-as|rated|zqxvcrit=5 (was 4)
zqxv-as|closed|by operator at 2026-11-23T10:02:00Z
tester|tagged|zqxv-auto
tester|retagged|zqxv-closetag -> zqxv-renamed"
	assert_equal "$(sql "SELECT score FROM ratings")" 5
}

# bats test_tags=sqlite
@test "no input becomes SQL text: every value a tool is given reaches SQLite bound" {
	marked_workload
	assert_file_contains "$BATS_TEST_TMPDIR/sql.log" 'INSERT INTO notes'
	run -1 grep -n zqxv "$BATS_TEST_TMPDIR/sql.log"
	assert_output ""
	run -1 grep -En 'sqlite3_(prepare|prepare16[a-z0-9_]*|exec_[a-z]*)\(' "$TOP"/lib/*.c
	assert_output ""
}

# bats test_tags=pg
@test "no input becomes SQL text on PostgreSQL: the server's log of every statement holds the values only as parameters" {
	local log=$CHAT_TEST_PG/log before
	before=$(stat -c %s "$log")
	pg_admin "ALTER DATABASE $PG_DB SET log_statement = 'all'"
	marked_workload
	tail -c +$((before + 1)) "$log" >"$BATS_TEST_TMPDIR/pg.log"
	assert_file_contains "$BATS_TEST_TMPDIR/pg.log" 'execute .*INSERT INTO notes'
	assert_file_contains "$BATS_TEST_TMPDIR/pg.log" "parameters: .*zqxv-closenote"
	run -1 grep -nE '(statement|execute [^:]*): .*zqxv' "$BATS_TEST_TMPDIR/pg.log"
	assert_output ""
	# What runs in the tools' own SQLite (JSON, formats) is traced too.
	assert_file_contains "$BATS_TEST_TMPDIR/sql.log" 'json'
	run -1 grep -n zqxv "$BATS_TEST_TMPDIR/sql.log"
	assert_output ""
	# The rule catches a value in a statement's text.
	sql "SELECT 'zqxv-op'" >/dev/null
	tail -c +$((before + 1)) "$log" >"$BATS_TEST_TMPDIR/pg.log"
	run -0 grep -cE '(statement|execute [^:]*): .*zqxv' "$BATS_TEST_TMPDIR/pg.log"
	assert_output 1
}

# bats test_tags=sqlite
@test "the rule above catches input in SQL text" {
	run -0 traced sqlite3 "$CHAT_DB" "SELECT 'zqxv-op'"
	run -0 grep -c zqxv "$BATS_TEST_TMPDIR/sql.log"
	assert_output 1
}

# Where SQL text is built (a sqlite3_str named sql), the statements that
# format a string into it, or append one that is not a literal, unless the
# line before marks them as this file's constants.
unmarked_sql() {
	awk '
	    /sqlite3_str_appendf\(sql,|sqlite3_str_appendall\(sql,/ {
		stmt = $0; line = FNR; marked = prev ~ /sql: constants/
		while (stmt !~ /\);[ \t]*$/ && (getline nxt) > 0)
			stmt = stmt nxt
		if (!marked && (stmt ~ /%[-0-9.*]*[sqQw]/ ||
		    stmt ~ /appendall\(sql, [^" ]/))
			print FILENAME ":" line ": " $0
	    }
	    { prev = $0 }' "$@"
}

@test "where SQL text is built, what is formatted or appended into it is marked as the file's constants" {
	cd "$TOP"
	run -0 unmarked_sql lib/*.c
	assert_output ""
}

# bats test_tags=sqlite
@test "the rule above catches a printf-built statement" {
	cd "$TOP"
	printf '\tsqlite3_str_appendf(sql, " AND c.operator = %%s", name);\n' >"$BATS_TEST_TMPDIR/bad.c"
	run -0 unmarked_sql "$BATS_TEST_TMPDIR/bad.c"
	assert_output --partial "bad.c:1:"
}

@test "SQL-looking input is stored verbatim and runs nothing" {
	examples
	before=$(dump)
	run -65 chat-tag "x'); DROP TABLE conversations; --" 1
	assert_equal "$(dump)" "$before"
	run -0 chat-note -m "'); DELETE FROM notes; --" 1
	run -0 chat-history --grep '"DELETE FROM notes"'
	assert_output --partial "1  "
	assert_equal "$(sql "SELECT body FROM notes WHERE conversation = 1")" "'); DELETE FROM notes; --"
	assert_db_ok
	run -1 chat-history --operator "' OR 1=1 --"
	assert_output ""
}

# bats test_tags=sqlite
@test "what chat-tools creates is private: database, its WAL and directories" {
	export CHAT_DB=$BATS_TEST_TMPDIR/new/dir/chat.db
	umask 022
	examples
	assert_equal "$(stat -c %a "$CHAT_DB")" 600
	assert_equal "$(stat -c %a "$BATS_TEST_TMPDIR/new")" 700
	assert_equal "$(stat -c %a "$BATS_TEST_TMPDIR/new/dir")" 700
	# A writer's WAL and shared memory while it works.
	hold_lock
	for f in "$CHAT_DB-wal" "$CHAT_DB-shm"; do
		assert_equal "$(stat -c %a "$f")" 600
	done
	release_lock
}

@test "--as and config operator: a control character is refused naming the field, an empty name too; nothing written" {
	examples
	before=$(dump)
	run -65 chat-tag --as $'eve\e[2J' vip 1
	assert_output "chat-tag: --as: control character U+001B in a one-line field"
	run -65 chat-note --as $'eve\r\nBcc: x' -m hi 1
	assert_output "chat-note: --as: control character U+000D in a one-line field"
	run -65 chat-close --as $'eve\xc2\x85' 1
	assert_output "chat-close: --as: control character U+0085 in a one-line field"
	run -65 chat-import --as $'bot\x7f' <<<'{"conversation":"N","author":"visitor","text":"hi"}'
	assert_output "chat-import: --as: control character U+007F in a one-line field"
	run -2 chat-tag --as '' vip 1
	assert_output --partial "chat-tag: --as: empty name"
	config <<-'EOF'
	operator: "alice\tsmith"
	EOF
	run -78 chat-tag vip 1
	assert_output "chat-tag: $CHAT_CONFIG:1: operator: control character U+0009 in a one-line field"
	config <<-'EOF'
	operator: ""
	EOF
	run -78 chat-tag vip 1
	assert_output "chat-tag: $CHAT_CONFIG:1: operator: empty name"
	assert_equal "$(dump)" "$before"
	config <<-'EOF'
	operator: "Zoë Ağa"
	EOF
	unset CHAT_OPERATOR
	run -0 chat-tag -q vip 1
	assert_equal "$(sql "SELECT actor FROM events WHERE action = 'tagged'")" "Zoë Ağa"
}

@test "an error naming its input shows the input's control characters as \\xHH: none reaches the terminal raw" {
	examples
	run -65 chat-tag "$(printf 'a\033[2Jb\302\233c')" 1
	assert_output "chat-tag: tag 'a\\x1b[2Jb\\x9bc': 1 to 64 letters, digits, spaces or - _ . / :"
	run -65 chat-history --since "$(printf 'x\ay')"
	assert_line --index 0 'chat-history: --since x\x07y: not a time'
}
