#!/usr/bin/env bats
# chat-note: end-of-conversation notes.

load helper

@test "-m appends a note to each id, trailing white space trimmed, with an event" {
	examples
	run -0 chat-note -m "Sent the return label.   
	" 1 2
	assert_output "1
2"
	run -0 sql "SELECT conversation, author, body FROM notes ORDER BY id"
	assert_output "1|tester|Sent the return label.
2|tester|Sent the return label."
	assert_equal "$(sql "SELECT detail FROM events WHERE action = 'noted' LIMIT 1")" "Sent the return label."
}

@test "the same note twice is added once; a correction is another note" {
	examples
	chat-note -q -m "Refund sent." 1
	before=$(dump)
	run -0 chat-note -m "Refund sent." 1
	assert_output 1
	assert_equal "$(dump)" "$before"
	chat-note -q -m "Correction: refund sent on Monday." 1
	assert_equal "$(sql "SELECT count(*) FROM notes")" 2
}

@test "-F reads a file; a multi-line note is kept whole" {
	examples
	printf 'First line.\nSecond line, é.\n\n\n' >"$BATS_TEST_TMPDIR/n.txt"
	run -0 chat-note -F "$BATS_TEST_TMPDIR/n.txt" 3
	assert_equal "$(sql "SELECT body FROM notes")" "First line.
Second line, é."
}

@test "one id and piped standard input: the note is the input" {
	examples
	run -0 chat-note 4 <<<"Typed in a pipe."
	assert_output 4
	assert_equal "$(sql "SELECT body FROM notes")" "Typed in a pipe."
	run -2 chat-note 4 5 <<<"which id?"
}

@test "on a terminal, the note comes from \$VISUAL, else \$EDITOR" {
	examples
	printf '#!/bin/sh\nprintf "From the editor.\\n" >"$1"\n' >"$BATS_TEST_TMPDIR/ed"
	printf '#!/bin/sh\nprintf "From visual.\\n" >"$1"\n' >"$BATS_TEST_TMPDIR/vis"
	chmod +x "$BATS_TEST_TMPDIR/ed" "$BATS_TEST_TMPDIR/vis"
	run -0 on_tty env EDITOR="$BATS_TEST_TMPDIR/ed" chat-note 5
	assert_equal "$(sql "SELECT body FROM notes WHERE conversation = 5")" "From the editor."
	run -0 on_tty env EDITOR="$BATS_TEST_TMPDIR/ed" VISUAL="$BATS_TEST_TMPDIR/vis" chat-note 6
	assert_equal "$(sql "SELECT body FROM notes WHERE conversation = 6")" "From visual."
}

@test "a leading byte-order mark is dropped from -m, -F, piped and edited notes" {
	examples
	bom=$'\xef\xbb\xbf'
	chat-note -q -m "${bom}From -m." 1
	printf '\357\273\277From -F.\n' >"$BATS_TEST_TMPDIR/n.txt"
	chat-note -q -F "$BATS_TEST_TMPDIR/n.txt" 2
	printf '\357\273\277Piped.\n' | chat-note -q 3
	printf '#!/bin/sh\nprintf "\\357\\273\\277Edited.\\n" >"$1"\n' >"$BATS_TEST_TMPDIR/ed"
	chmod +x "$BATS_TEST_TMPDIR/ed"
	run -0 on_tty env EDITOR="$BATS_TEST_TMPDIR/ed" chat-note 4
	run -0 sql "SELECT conversation, hex(body) FROM notes ORDER BY conversation"
	assert_output "1|$(printf 'From -m.' | xxd -p -u)
2|$(printf 'From -F.' | xxd -p -u)
3|$(printf 'Piped.' | xxd -p -u)
4|$(printf 'Edited.' | xxd -p -u)"
	run -65 chat-note -m "$bom" 5
	assert_output "chat-note: -m: empty note"
}

@test "the id is checked before the editor opens: an unknown one is refused and no note is typed in vain" {
	examples
	printf '#!/bin/sh\ntouch "%s/edited"\nprintf "Typed.\\n" >"$1"\n' "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/ed"
	chmod +x "$BATS_TEST_TMPDIR/ed"
	run -1 on_tty env EDITOR="$BATS_TEST_TMPDIR/ed" chat-note 999
	assert_output --partial "chat-note: 999: no such conversation"
	assert_file_not_exists "$BATS_TEST_TMPDIR/edited"
	run -1 on_tty env EDITOR="$BATS_TEST_TMPDIR/ed" chat-note --ref IA-9999
	assert_output --partial "chat-note: IA-9999: no such conversation ref"
	run -65 on_tty env EDITOR="$BATS_TEST_TMPDIR/ed" chat-note x1
	assert_output --partial "chat-note: x1: not a conversation id"
	assert_file_not_exists "$BATS_TEST_TMPDIR/edited"
	run -1 chat-note 999 <<<"Piped."
	assert_output "chat-note: 999: no such conversation"
	assert_equal "$(sql "SELECT count(*) FROM notes")" 0
	run -0 on_tty env EDITOR="$BATS_TEST_TMPDIR/ed" chat-note --ref IA-1005
	assert_file_exists "$BATS_TEST_TMPDIR/edited"
	assert_equal "$(sql "SELECT conversation, body FROM notes")" "5|Typed."
}

@test "an editor left empty, or failing, writes nothing (exit 1)" {
	examples
	run -1 on_tty env EDITOR=true chat-note 5
	assert_output --partial "empty note: nothing written"
	run -1 on_tty env EDITOR=false chat-note 5
	assert_output --partial "no note written"
	assert_equal "$(sql "SELECT count(*) FROM notes")" 0
}

@test "size and UTF-8: 65,536 bytes pass, more, invalid UTF-8, NUL or empty are 65" {
	examples
	head -c 65536 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/max"
	run -0 chat-note -q -F "$BATS_TEST_TMPDIR/max" 1
	assert_equal "$(sql "SELECT length(body) FROM notes")" 65536
	{ cat "$BATS_TEST_TMPDIR/max"; echo b; } >"$BATS_TEST_TMPDIR/over"
	run -65 chat-note -F "$BATS_TEST_TMPDIR/over" 2
	assert_output --partial "note over 65536 bytes"
	printf 'caf\xe9\n' >"$BATS_TEST_TMPDIR/latin1"
	run -65 chat-note -F "$BATS_TEST_TMPDIR/latin1" 2
	assert_output --partial "latin1: a note must be valid UTF-8"
	printf 'a\0b\n' >"$BATS_TEST_TMPDIR/nul"
	run -65 chat-note -F "$BATS_TEST_TMPDIR/nul" 2
	assert_output --partial "NUL"
	run -65 chat-note -m "" 2
	assert_output --partial "empty note"
	assert_equal "$(sql "SELECT count(*) FROM notes")" 1
}

@test "notes are found by chat-history --grep and shown in the history" {
	examples
	chat-note -q -m "Customer mentioned a chargeback threat." 7
	assert_equal "$(chat-history --grep chargeback -o ids)" 7
	run -0 chat-history 7
	assert_line "notes"
	assert_line "$(db_time 'SELECT at FROM notes' table)  tester: Customer mentioned a chargeback threat."
}

@test "-l lists notes of given ids or of all, in every format; exit 1 when none" {
	examples
	chat-note -q -m "one" 1
	chat-note -q -m "two
lines" 2
	run -0 chat-note -l 1
	assert_output --regexp "^1 +$(db_time 'SELECT at FROM notes WHERE conversation = 1' table) +tester +one\$"
	run -0 chat-note -l --all
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp '^2 .* tester +two lines$'
	run -0 chat-note -l -o tsv 2
	at=$(db_time 'SELECT at FROM notes WHERE conversation = 2')
	assert_line --index 1 "$(printf '2\t%s\ttester\ttwo\\nlines' "$at")"
	run -0 chat-note -l -o json 2
	assert_output '{"id":2,"at":"'"$at"'","author":"tester","note":"two\nlines"}'
	run -1 chat-note -l 3
	assert_output ""
	run -0 sh -c 'echo 1 | chat-note -l -o ids'
	assert_output 1
}

@test "-l lists every note only with --all: an empty input lists none, a terminal is exit 2" {
	examples
	chat-note -q -m "one" 1
	chat-note -q -m "two" 2
	chat-note -q -m "three" 1
	# Nothing closed today: no notes, not every note.
	run -1 sh -c 'chat-history --closed --since 2099-01-01 -o ids | chat-note -l'
	assert_output ""
	run -1 chat-note -l </dev/null
	assert_output ""
	run -2 on_tty chat-note -l
	assert_output --partial "no conversation ids given"
	run -0 on_tty chat-note -l --all
	assert_equal "${#lines[@]}" 4
	# --all reads no standard input.
	run -0 sh -c 'echo 2 | chat-note -l --all -o tsv'
	assert_equal "${#lines[@]}" 4
	run -2 chat-note -l --all 1
	run -2 chat-note --all -m x
}

@test "-l -o ids prints each conversation with a note once" {
	examples
	chat-note -q -m "one" 1
	chat-note -q -m "two" 2
	chat-note -q -m "three" 1
	run -0 chat-note -l -o ids 2 1 3
	assert_output "2
1"
	run -0 chat-note -l --all -o ids
	assert_output "1
2"
}

@test "several -m are the paragraphs of one note, as git commit -m a -m b" {
	examples
	run -0 chat-note -m "Refund sent.  " -m "Customer happy." 1 2
	assert_equal "$(sql "SELECT group_concat(body, '|') FROM notes")" "Refund sent.

Customer happy.|Refund sent.

Customer happy."
	assert_equal "$(sql "SELECT detail FROM events WHERE action = 'noted' LIMIT 1")" "Refund sent."
	run -65 chat-note -m a -m "" 3
	assert_output "chat-note: -m: empty note"
	head -c 40000 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/half"
	run -65 chat-note -m "$(cat "$BATS_TEST_TMPDIR/half")" -m "$(cat "$BATS_TEST_TMPDIR/half")" 3
	assert_output "chat-note: -m: note over 65536 bytes"
	assert_equal "$(sql "SELECT count(*) FROM notes")" 2
}

@test "--at TIME: the note and its event are at TIME, in any form a time takes; before the start or in the future, 65 for that id alone" {
	examples
	s1=$(sql "SELECT started_at FROM conversations WHERE id = 1")
	at=$(sql "SELECT max(started_at) + 60 FROM conversations WHERE id IN (1, 2)")
	run -0 chat-note --at "$at" -m "Qualified late." 1 2
	assert_output "1
2"
	assert_equal "$(sql "SELECT DISTINCT at FROM notes")" "$at"
	assert_equal "$(sql "SELECT DISTINCT at FROM events WHERE action = 'noted'")" "$at"
	iso=$(db_time "$at + 1")
	run -0 chat-note --at "${iso%Z}.250Z" -m "Second." 1
	run -0 chat-note --at "$(tr T ' ' <<<"${iso%Z}") UTC" -m "Third." 2
	assert_equal "$(sql "SELECT DISTINCT at FROM notes WHERE body <> 'Qualified late.'")" "$((at + 1))"
	run -65 chat-note --at "@$s1" -m "Too early for 2." 1 2
	assert_output "chat-note: 2: note time $(db_time "$s1") is before the conversation's start, $(db_time "(SELECT started_at FROM conversations WHERE id = 2)")
1"
	assert_equal "$(sql "SELECT count(*) FROM notes WHERE body = 'Too early for 2.'")" 1
	assert_equal "$(sql "SELECT count(*) FROM events WHERE detail = 'Too early for 2.'")" 1
	future=$(( $(date +%s) + 3600 ))
	run -65 chat-note --at "@$future" -m "Later." 1
	assert_output "chat-note: 1: note time $(db_time "$future") is in the future"
	assert_equal "$(sql "SELECT count(*) FROM notes WHERE body = 'Later.'")" 0
	run -0 chat-note -q --at "@$(( $(date +%s) + 60 ))" -m "A clock a little ahead." 1
	run -65 chat-note --at "next week" -m x 1
	assert_output "chat-note: --at next week: not a time"
}

@test "-m with -F, -F twice, -l with -m and -o without -l are usage errors (2) with their reason" {
	examples
	echo note >"$BATS_TEST_TMPDIR/n.txt"
	run -2 chat-note -m a -F "$BATS_TEST_TMPDIR/n.txt" 1
	assert_line --index 0 --partial "chat-note: one of -m or -F"
	run -2 chat-note -F "$BATS_TEST_TMPDIR/n.txt" -F "$BATS_TEST_TMPDIR/n.txt" 1
	assert_line --index 0 "chat-note: -F given twice: one note file"
	run -2 chat-note -l -m a 1
	assert_line --index 0 "chat-note: -l lists notes: no -m, -F or --at"
	run -2 chat-note -l --at now 1
	assert_line --index 0 "chat-note: -l lists notes: no -m, -F or --at"
	run -2 chat-note -o json -m a 1
	assert_line --index 0 "chat-note: -o json: only -l prints a listing"
	assert_line --index 1 --partial "usage: chat-note"
	assert_equal "$(sql "SELECT count(*) FROM notes")" 0
}

@test "-n writes nothing, whichever way the note comes" {
	examples
	printf '#!/bin/sh\nprintf "Edited.\\n" >"$1"\n' >"$BATS_TEST_TMPDIR/ed"
	chmod +x "$BATS_TEST_TMPDIR/ed"
	echo "From a file." >"$BATS_TEST_TMPDIR/n.txt"
	before=$(dump)
	run -0 chat-note -n -m a -m b 1 2
	assert_output "1 noted a
2 noted a"
	run -0 chat-note -n -F "$BATS_TEST_TMPDIR/n.txt" 3
	assert_output "3 noted From a file."
	run -0 chat-note -n 4 <<<"Piped."
	assert_output "4 noted Piped."
	run -0 on_tty env EDITOR="$BATS_TEST_TMPDIR/ed" chat-note -n 5
	assert_output --partial "5 noted Edited."
	assert_equal "$(dump)" "$before"
}

@test "--help lists every option, the common ones included" {
	run -0 chat-note --help
	assert_line --index 0 --partial "usage: chat-note"
	help_lists_every_option chat-note
}

@test "usage errors and unknown ids" {
	examples
	run -2 chat-note -m a -F b 1
	run -2 chat-note
	run -2 chat-note -l -m a
	run -1 chat-note -m "x" 1 999
	assert_output --partial "999: no such conversation"
	assert_equal "$(sql "SELECT count(*) FROM notes")" 1
	run -0 chat-note -n -m "dry" 2
	assert_output "2 noted dry"
	assert_equal "$(sql "SELECT count(*) FROM notes")" 1
}
