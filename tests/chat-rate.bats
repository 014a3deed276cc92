#!/usr/bin/env bats
# chat-rate: the satisfaction form.

load helper

@test "rates each criterion of each id, with events" {
	examples
	run -0 chat-rate network=4 solution=5 1 2
	assert_output "1
2"
	run -0 sql "SELECT conversation, criterion, score, rated_by FROM ratings ORDER BY 1, 2"
	assert_output "1|network|4|tester
1|solution|5|tester
2|network|4|tester
2|solution|5|tester"
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'rated'")" 4
}

@test "a re-rating replaces the score, the old one kept in the events; the same score changes nothing" {
	examples
	chat-rate -q network=3 1
	run -0 chat-rate network=5 1
	assert_equal "$(sql "SELECT score FROM ratings")" 5
	assert_equal "$(sql "SELECT detail FROM events WHERE action = 'rated' ORDER BY id DESC LIMIT 1")" "network=5 (was 3)"
	before=$(dump)
	run -0 chat-rate network=5 1
	assert_output 1
	assert_equal "$(dump)" "$before"
}

@test "criteria and scales come from config" {
	examples
	config <<-'EOF'
	rating:
	  criteria: {nps: [0, 10], speed: [1, 3]}
	EOF
	run -0 chat-rate nps=0 speed=3 1
	run -65 chat-rate network=4 1
	assert_output "chat-rate: network=4: unknown criterion 'network' (see rating.criteria in chat-tools(7))"
	run -65 chat-rate nps=11 1
	assert_output "chat-rate: nps=11: nps is scored 0 to 10"
}

@test "bad scores and criteria are refused (65) before anything is written" {
	examples
	before=$(dump)
	for bad in network=0 network=6 network=x network= =3 nps=3 network=4.5; do
		run -65 chat-rate "$bad" 1
	done
	run -65 chat-rate network=4 solution=9 1
	assert_equal "$(dump)" "$before"
}

@test "-l lists ratings in every format; exit 1 when none" {
	examples
	chat-rate -q network=2 solution=4 3
	run -0 chat-rate -l 3
	assert_line --index 0 --regexp "^3 +network +2 +$(db_time "SELECT rated_at FROM ratings WHERE criterion = 'network'" table) +tester\$"
	assert_line --index 1 --regexp '^3 +solution +4 '
	run -0 chat-rate -l --all -o json
	assert_line --index 0 '{"id":3,"criterion":"network","score":2,"rated":"'"$(db_time "SELECT rated_at FROM ratings WHERE criterion = 'network'")"'","by":"tester"}'
	run -0 chat-rate -l -o tsv 3
	assert_line --index 0 "$(printf 'id\tcriterion\tscore\trated\tby')"
	run -1 chat-rate -l 4
	run -0 chat-history 3
	assert_line --regexp '^ratings +network 2, solution 4$'
}

@test "-l lists every rating only with --all; an empty input none; -o ids each conversation once" {
	examples
	chat-rate -q network=2 solution=4 3
	chat-rate -q network=5 5
	run -1 chat-rate -l </dev/null
	assert_output ""
	run -1 sh -c 'chat-history --closed -o ids | chat-rate -l'
	assert_output ""
	run -2 on_tty chat-rate -l
	assert_output --partial "no conversation ids given"
	run -0 chat-rate -l --all
	assert_equal "${#lines[@]}" 3
	run -0 chat-rate -l --all -o ids
	assert_output "5
3"
	run -0 chat-rate -l -o ids 3
	assert_output 3
	run -2 chat-rate -l --all 3
	run -2 chat-rate --all network=1 3
}

@test "the same criterion twice, and -o without -l, are usage errors (2) with their reason; nothing written" {
	examples
	before=$(dump)
	run -2 chat-rate solution=3 network=2 solution=5 1
	assert_line --index 0 "chat-rate: solution given twice: one score per criterion"
	assert_line --index 1 --partial "usage: chat-rate"
	run -2 chat-rate network=2 network=2 1
	assert_line --index 0 "chat-rate: network given twice: one score per criterion"
	run -2 chat-rate -o json solution=3 1
	assert_line --index 0 "chat-rate: -o json: only -l prints a listing"
	assert_equal "$(dump)" "$before"
}

@test "--help lists every option, the common ones included" {
	run -0 chat-rate --help
	assert_line --index 0 --partial "usage: chat-rate"
	help_lists_every_option chat-rate
}

@test "usage errors, unknown ids, --ref, -n" {
	examples
	run -2 chat-rate 1
	assert_output --partial "no CRITERION=SCORE given"
	run -1 chat-rate network=3 1 999
	assert_output --partial "999: no such conversation"
	run -0 chat-rate --ref solution=2 IA-1010
	assert_output 10
	run -0 chat-rate -n network=1 2
	assert_output "2 rated network=1"
	run -1 chat-rate -l 2
}
