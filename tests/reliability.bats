#!/usr/bin/env bats
# Concurrent writers and kill -9, at a size that keeps make check short;
# make torture runs the same scripts at full size (see RELIABILITY.md).

load helper

@test "16 processes x 45 mixed commands on one database: nothing lost, nothing locked, integrity ok" {
	run -0 "$TOP/tests/stress" 16 45 "$BATS_TEST_TMPDIR"
	assert_output --partial "commands failed: 0; database busy or locked: 0; integrity: ok"
}

@test "kill -9 at random moments during an import and a batch close: whole batches, re-runs converge" {
	run -0 "$TOP/tests/crash" 4 30000 "$BATS_TEST_TMPDIR"
	assert_output --partial "import of 30000 lines: 4 trials"
	assert_output --partial "batch close of 30000 ids: 4 trials"
}
