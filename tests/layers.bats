#!/usr/bin/env bats
# The layers of lib/ (HACKING.md): calls go to the same layer or down, and
# no files call each other in a cycle; scripts/layers reads it from the
# objects the build made.

load helper

# The build's objects (copied once a test) with lib/$1.o made from the C
# source $2.
planted() {
	if [ ! -d "$BATS_TEST_TMPDIR/b" ]; then
		mkdir -p "$BATS_TEST_TMPDIR/b/lib"
		cp "$TOP/${CHAT_BUILD:-build}"/lib/*.o "$BATS_TEST_TMPDIR/b/lib/"
	fi
	printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/$1.c"
	cc -c -o "$BATS_TEST_TMPDIR/b/lib/$1.o" "$BATS_TEST_TMPDIR/$1.c"
}

@test "lib/ calls downward only, without a cycle" {
	run -0 "$TOP/scripts/layers" "$TOP/${CHAT_BUILD:-build}"
	assert_output ""
}

@test "a call up from a lower layer is named, with the function called" {
	planted utf8 'void db_close(void); int utf8_valid(void) { db_close(); return 0; }'
	run -1 "$TOP/scripts/layers" "$BATS_TEST_TMPDIR/b"
	assert_output --partial "lib/utf8.c (layer 0) calls up: db_close() of lib/db.c (layer 2)"
}

@test "two files of a layer calling each other are a cycle; a file in no layer is named" {
	planted notes 'int tags_apply(const void *); int notes_apply(const void *t) { return tags_apply(t); }'
	planted tags 'int notes_apply(const void *); int tags_apply(const void *t) { return notes_apply(t); }'
	planted newfile 'int newfile_fn(void) { return 0; }'
	run -1 "$TOP/scripts/layers" "$BATS_TEST_TMPDIR/b"
	assert_line "a cycle: lib/notes.c lib/tags.c"
	assert_line "lib/newfile.c: in no layer: add it to scripts/layers and HACKING.md"
}
