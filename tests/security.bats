#!/usr/bin/env bats
# Rules of security checked by reading the code, and the private modes of
# what chat-tools creates.

load helper

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

@test "SQL is never built with printf from input: only bound parameters" {
	cd "$TOP"
	# Statements reach SQLite through db_prep() and db_exec() with literals,
	# or are built in these files only.
	run -0 sh -c "grep -l 'sqlite3_prepare\|sqlite3_exec' lib/*.c | sort | tr '\n' ' '"
	assert_output "lib/db.c lib/history.c lib/listing.c lib/out.c lib/report.c lib/search.c lib/stats.c "
	# Their SQL is a literal, a static const char array of the same file,
	# or one of these, each a table of literals or a wrapper's parameter.
	run -0 sh -c '
	    grep -n "db_exec(\|db_prep(\|batch_run(" lib/*.c |
	    grep -v "db_exec(\"\|db_prep(\"\|batch_run(\"" |
	    grep -v "^lib/db.c:[0-9]*:db_\(exec\|prep\)(const char \*sql" |
	    grep -v "^lib/batch.c:[0-9]*:batch_run(const char \*sql" |
	    grep -v "^lib/batch.c:.*db_prep(sql);" |
	    grep -v "^lib/history.c:.*db_prep(sql);" |
	    grep -v "^lib/db.c:.*db_exec(schema_steps\[version\]" |
	    grep -v "^lib/db.c:.*db_exec(sql, \"setting the schema version" |
	    grep -v "^lib/listing.c:.*db_prep(l->kind->\(one\|all\|ids\))" |
	    grep -v "^lib/history.c:.*db_prep(list_by_id\[" |
	    while IFS=: read -r file line text; do
		arg=$(printf "%s\n" "$text" | sed -n "s/.*\(db_exec\|db_prep\|batch_run\)(\([a-z_]*\)[,)].*/\2/p")
		[ -n "$arg" ] && grep -q "^static const char $arg\[\] =" "$file" ||
		    echo "$file:$line:$text"
	    done'
	assert_output ""
	# Where SQL text is built, a %s or a string that is not a literal
	# is marked, on the line before, as this file's constants.
	run -0 unmarked_sql lib/*.c
	assert_output ""
}

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
	assert_equal "$(sql 'PRAGMA integrity_check')" ok
	run -1 chat-history --operator "' OR 1=1 --"
	assert_output ""
}

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
	assert_output "chat-tag: tag 'a\\x1b[2Jb\\x9bc': 1 to 64 letters, digits or - _ . / :"
	run -65 chat-history --since "$(printf 'x\ay')"
	assert_line --index 0 'chat-history: --since x\x07y: not a time'
}
