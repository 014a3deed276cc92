#!/usr/bin/env bats
# Concurrent writers and kill -9, at a size that keeps make check short;
# make torture runs the same scripts at full size (see RELIABILITY.md).
# In scripts/check's PostgreSQL leg CHAT_TEST_PG is set: the scripts then
# make their databases on that cluster (tests/engine.sh), smaller while
# chat-import on PostgreSQL is many times slower than on SQLite, and check
# that SQLite ends in the same rows.

load helper

# The engine the scripts must say they ran on.
engine() {
	if [ -n "${CHAT_TEST_PG:-}" ]; then echo PostgreSQL; else echo SQLite; fi
}

@test "16 processes x mixed commands on one database (PostgreSQL in the [pg] leg, else SQLite): nothing lost, nothing locked, integrity ok, the state of a serial run" {
	local commands=45
	[ -z "${CHAT_TEST_PG:-}" ] || commands=20
	run -0 "$TOP/tests/stress" 16 "$commands" "$BATS_TEST_TMPDIR"
	assert_line --partial "engine: $(engine) "
	assert_output --partial "in all $(( 16 * commands ));"
	assert_output --partial "commands failed: 0; database busy or locked: 0; integrity: ok"
	[ -z "${CHAT_TEST_PG:-}" ] || assert_output --partial "the serial run on SQLite: the same"
}

@test "kill -9 at random moments during an import and a batch close (PostgreSQL in the [pg] leg, else SQLite): whole batches, re-runs converge" {
	local size=30000
	[ -z "${CHAT_TEST_PG:-}" ] || size=5000
	run -0 "$TOP/tests/crash" 4 "$size" "$BATS_TEST_TMPDIR"
	assert_line --partial "engine: $(engine) "
	assert_output --partial "import of $size lines: 4 trials"
	assert_output --partial "batch close of $size ids: 4 trials"
	if [ -n "${CHAT_TEST_PG:-}" ]; then
		assert_output --partial "import of $size lines: the uninterrupted run on SQLite ends in the same"
		assert_output --partial "batch close of $size ids: the uninterrupted run on SQLite ends in the same"
	fi
}
