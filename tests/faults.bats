#!/usr/bin/env bats
# Resource faults: a full disk, read-only files and directories, a
# directory that cannot be made. Each gives 74 naming what failed, and
# loses nothing already committed.

load helper

# n conversations of one message each, as NDJSON.
conversations() {
	awk -v n="$1" -v p="${2:-F}" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"conversation\":\"%s%d\",\"at\":%d,\"author\":\"visitor\",\"text\":\"message %d with some words to fill the page\"}\n",
		    p, i, 1795392000 + i, i }'
}

# Runs a command as nobody when the tests run as root, for whom file modes
# would not apply.
unprivileged() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

# A directory nobody can use, holding a copy of the test database.
shared_db() {
	SHARED=$(mktemp -d /tmp/chat-faults.XXXXXX)
	chmod 755 "$SHARED"
	cp "$CHAT_DB" "$SHARED/chat.db"
	export CHAT_DB=$SHARED/chat.db HOME=$SHARED
}

teardown() {
	[ -z "${SHARED:-}" ] || rm -rf "$SHARED"
	common_teardown
}

# bats test_tags=sqlite
@test "disk full during an import: 74 naming the database, the batches committed kept, a re-run completes it" {
	conversations 2000 A | chat-import -q
	conversations 30000 B >"$BATS_TEST_TMPDIR/big.ndjson"
	limit=$(( $(stat -c %s "$CHAT_DB") / 1024 + 256 ))
	run -74 bash -c "trap '' XFSZ; ulimit -f $limit; chat-import -q '$BATS_TEST_TMPDIR/big.ndjson'"
	assert_output --partial "$CHAT_DB"
	assert_db_ok
	assert_equal "$(sql "SELECT count(*) FROM conversations WHERE ref LIKE 'A%'")" 2000
	# Whole batches only: every conversation has its message.
	assert_equal "$(sql 'SELECT count(*) FROM conversations c WHERE NOT EXISTS (SELECT 1 FROM messages WHERE conversation = c.id)')" 0
	run -0 chat-import -q "$BATS_TEST_TMPDIR/big.ndjson"
	assert_equal "$(sql 'SELECT count(*) FROM conversations')" 32000
	assert_equal "$(sql 'SELECT count(*) FROM messages')" 32000
}

# bats test_tags=sqlite
@test "disk full during a batch tag: 74, whole batches each with their events, a re-run completes it" {
	conversations 30000 | chat-import -q
	# Room for the write-ahead log of one batch and a half.
	run -74 bash -c "trap '' XFSZ; ulimit -f 2048; seq 30000 | chat-tag -q bulk"
	assert_output --partial "$CHAT_DB"
	assert_db_ok
	links=$(sql "SELECT count(*) FROM conversation_tags")
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'tagged'")" "$links"
	assert_equal $(( links % 10000 )) 0
	run -0 sh -c 'seq 30000 | chat-tag -q bulk'
	assert_equal "$(sql "SELECT count(*) FROM conversation_tags")" 30000
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'tagged'")" 30000
}

# bats test_tags=sqlite
@test "a read-only database file: writers exit 74 naming it, nothing changes" {
	examples
	shared_db
	chmod 777 "$SHARED"
	chmod 444 "$CHAT_DB"
	before=$(sha256sum <"$CHAT_DB")
	run -74 unprivileged chat-tag billing 1
	assert_output --partial "$CHAT_DB"
	run -74 unprivileged chat-close 1
	run -74 unprivileged chat-import "$EXAMPLES"
	assert_equal "$(sha256sum <"$CHAT_DB")" "$before"
}

# bats test_tags=sqlite
@test "a database in a read-only directory: writers exit 74 naming it, nothing changes" {
	examples
	shared_db
	chmod 666 "$CHAT_DB"
	chmod 555 "$SHARED"
	before=$(sha256sum <"$CHAT_DB")
	run -74 unprivileged chat-close 1
	assert_output --partial "$CHAT_DB"
	run -74 unprivileged chat-note -m hello 1
	assert_equal "$(sha256sum <"$CHAT_DB")" "$before"
}

@test "a directory that cannot be made: 74 naming it" {
	touch "$BATS_TEST_TMPDIR/file"
	export CHAT_DB=$BATS_TEST_TMPDIR/file/sub/chat.db
	run -74 chat-import "$EXAMPLES"
	assert_output --partial "$BATS_TEST_TMPDIR/file"
	assert_output --partial "Not a directory"
	run -74 chat-tag billing 1
}

@test "only chat-import creates a database: every other tool, reading or writing, says there is none (74) and creates nothing" {
	export CHAT_DB=$BATS_TEST_TMPDIR/none/chat.db
	for cmd in "chat-history" "chat-history --count" "chat-history 1" \
	    "chat-stats" "chat-tag billing 1" "chat-tag -l" \
	    "chat-tag --rename a b" "chat-tag --auto 1" "chat-close 1" \
	    "chat-close --park 1" "chat-note -m hi 1" "chat-note -l 1" \
	    "chat-rate solution=5 1" "chat-rate -l 1" "chat-export 1" \
	    "chat-export --pending" "chat-export --flush"; do
		run -74 $cmd </dev/null
		assert_output "${cmd%% *}: no database at $CHAT_DB (chat-import creates one)"
	done
	assert_not_exists "$BATS_TEST_TMPDIR/none"
	# A misspelt path beside a database is no new database either.
	mkdir "$BATS_TEST_TMPDIR/none"
	run -0 chat-import -q "$EXAMPLES"
	run -74 chat-close -d "$BATS_TEST_TMPDIR/none/chat.bd" 1
	assert_output "chat-close: no database at $BATS_TEST_TMPDIR/none/chat.bd (chat-import creates one)"
	run -74 env CHAT_DB="$BATS_TEST_TMPDIR/none/chat.bd" chat-history --closed
	assert_equal "$(ls "$BATS_TEST_TMPDIR/none")" chat.db
	assert_equal "$(sql "SELECT count(*) FROM conversations WHERE state = 'closed'")" 0
}

@test "chat-import creates the database, even from an empty input" {
	export CHAT_DB=$BATS_TEST_TMPDIR/new/dir/chat.db
	run -0 chat-import </dev/null
	assert_output ""
	assert_file_exists "$CHAT_DB"
	run -1 chat-history
	assert_output ""
}

# Runs a command once per allocation that chat-tools' own code makes in
# it, that allocation failing (tests/failmalloc.c), each time on a fresh
# copy of base.db; prints each run that did not report it and exit 74.
each_allocation_failing() {
	local k rc base=$BATS_TEST_TMPDIR/base.db db=$BATS_TEST_TMPDIR/case.db
	local log=$BATS_TEST_TMPDIR/failed err=$BATS_TEST_TMPDIR/err
	for k in $(seq 1 1000); do
		rm -f "$db" "$db-wal" "$db-shm" "$log"
		cp "$base" "$db"
		CHAT_DB=$db FAIL_AT=$k FAIL_LOG=$log LD_PRELOAD=$SHIM "$@" \
		    </dev/null >/dev/null 2>"$err"
		rc=$?
		[ -e "$log" ] || return 0
		if [ "$rc" -ne 74 ] || ! grep -q "out of memory" "$err"; then
			echo "$* with allocation $k failing ($(addr2line -f \
			    -e "$(command -v "$1")" "$(cat "$log")" |
			    paste -sd ' ')): exit $rc, $(head -c 200 "$err")"
		fi
	done
}

# bats test_tags=own-allocator,sqlite
@test "out of memory is reported and exits 74, wherever the program's own allocations fail" {
	SHIM=$BATS_TEST_TMPDIR/failmalloc.so
	${CC:-cc} -shared -fPIC -O1 -o "$SHIM" "$TOP/tests/failmalloc.c"
	config <<-'EOF'
	tags: {catalog: [billing]}
	auto_tag:
	  - {tag: after-sales, match: "refund OR parcel"}
	EOF
	examples
	chat-tag -q billing 1 2
	chat-close -q 1 2 3
	chat-note -q -m hi 1
	chat-rate -q solution=3 1
	sql ".backup '$BATS_TEST_TMPDIR/base.db'"
	failures=$(
		each_allocation_failing chat-import -q "$EXAMPLES"
		each_allocation_failing chat-tag -q a,b 1 2
		each_allocation_failing chat-tag -q -s x,y 1 2
		each_allocation_failing chat-tag -q --rename billing invoices
		each_allocation_failing chat-tag -q --auto 1 2 3
		each_allocation_failing chat-close -q -t a,b -m x -m y \
		    -r solution=3 -r network=2 4 5
		each_allocation_failing chat-note -q -m hello 1 2
		each_allocation_failing chat-rate -q solution=4 network=2 1 2
		each_allocation_failing chat-history -o json --closed \
		    --tag billing --grep 'parcel OR refund'
		each_allocation_failing chat-history -o json 1 2
		each_allocation_failing chat-note -l --all -o tsv
		each_allocation_failing chat-history --closed
		each_allocation_failing chat-note -l --all
		each_allocation_failing chat-rate -l --all
		each_allocation_failing chat-stats --by tag
		each_allocation_failing chat-stats --by tag --chart
		each_allocation_failing chat-stats --by operator --html
		each_allocation_failing chat-export -q --mail a@example.com \
		    --mail b@example.com 3
	)
	assert_equal "$failures" ""
}
