#!/usr/bin/env bats
# README.md's console examples are real: replayed in order on a fresh
# database, each command's output compared with the README's lines (see
# tests/readme-replay; `tests/readme-replay --fix build/bin` rewrites the
# blocks with what the commands print, for review with git diff).

load helper

@test "README.md: every console example prints what the README shows" {
	run "$TOP/tests/readme-replay" "$TOP/${CHAT_BUILD:-build}/bin" "$TOP/README.md"
	assert_success
	assert_line --regexp '^[0-9]+ commands of README.md replayed, 0 differ$'
}
