#!/usr/bin/env bats
# The runner of the hostile-input corpus (scripts/check runs the corpus
# itself, one TAP line per case): it must fail a case whose expectation is
# wrong, and refuse a corpus it cannot read.

load helper

@test "the corpus holds at least 100 cases" {
	run grep -c '^case: ' "$TOP/tests/hostile.cases"
	assert [ "$output" -ge 100 ]
}

@test "the runner fails each wrong expectation: exit, message, output, database" {
	cat >"$BATS_TEST_TMPDIR/cases" <<'CASES'
case: right
run: chat-tag -q urgent 0
exit: 65
err: 0: not a conversation id
db: none

case: wrong exit
run: chat-tag -q urgent 0
exit: 1
err: not a conversation id
db: none

case: wrong message
run: chat-tag -q urgent 0
exit: 65
err: no such conversation
db: none

case: diagnostics where none are wanted
run: chat-tag -q urgent 0
exit: 65
err: -
db: none

case: wrong output
run: chat-tag urgent 1
exit: 0
err: -
out: 2
sql: SELECT count(*) FROM conversation_tags
want: 2

case: a change where none is wanted
run: chat-tag -q urgent 1
exit: 0
err: -
db: none

case: a wrong change
run: chat-tag -q urgent 1
exit: 0
err: -
sql: SELECT count(*) FROM conversation_tags
want: 1
CASES
	mkdir "$BATS_TEST_TMPDIR/run"
	run -1 "$TOP/tests/hostile" "$BATS_TEST_TMPDIR/cases" "$BATS_TEST_TMPDIR/run"
	assert_line "ok 1 right"
	assert_line "not ok 2 wrong exit: exit 65, wanted 1"
	assert_line "not ok 3 wrong message: standard error lacks 'no such conversation'"
	assert_line "not ok 4 diagnostics where none are wanted: unexpected diagnostics"
	assert_line "not ok 5 wrong output: standard output lacks '2'"
	assert_line "not ok 6 a change where none is wanted: the database changed"
	assert_line "not ok 7 a wrong change: the query gave: 2"
	assert_line "7 cases, 6 failed"
}

@test "the runner refuses a corpus with an unknown key" {
	printf 'case: x\nrnu: true\n' >"$BATS_TEST_TMPDIR/cases"
	mkdir "$BATS_TEST_TMPDIR/run"
	run -2 "$TOP/tests/hostile" "$BATS_TEST_TMPDIR/cases" "$BATS_TEST_TMPDIR/run"
	assert_output --partial "line 2: unknown key 'rnu'"
}
