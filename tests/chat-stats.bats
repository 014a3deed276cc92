#!/usr/bin/env bats
# chat-stats: figures of closed conversations, computed here by hand.

load helper

B=1793613600	# 2026-11-02T10:00:00Z, a Monday

# conversation start first-operator-reply(seconds after, or -) tags close-after
fixture() {
	{
		conv A 0 30 x
		conv B 1000 60 x,y
		conv C 2000 - -
		conv D 3000 90 y
		conv G 4000 10 x
		conv E 5000 20 x
		conv F 6000 20 x
	} | chat-import -q
	chat-close -q --at "@$((B + 100))" --ref A
	chat-close -q --at "@$((B + 1200))" -r network=2 -r solution=5 --ref B
	chat-close -q --at "@$((B + 2300))" --ref C
	chat-close -q --at "@$((B + 3400))" --ref D
	chat-close -q --at "@$((B + 5000))" --ref G
	chat-close -q --reopen --ref G
	chat-close -q --at "@$((B + 4500))" --ref G
	chat-close -q --park --ref E
	chat-rate -q network=4 --ref A
}

conv() {
	printf '{"conversation":"%s","at":%d,"author":"visitor","text":"hello","operator":"op%s"}\n' \
		"$1" "$((B + $2))" "$(( $2 % 2000 == 0 ? 1 : 2 ))"
	[ "$3" = - ] || printf '{"conversation":"%s","at":%d,"author":"operator","text":"hi"}\n' "$1" "$((B + $2 + $3))"
	[ "$4" = - ] || chat_tags="$chat_tags $1:$4"
}

tag_fixture() {
	chat-tag -q x --ref A B G E F
	chat-tag -q y --ref B D
}

@test "one total row: count, average, p10, median and p90 of handling time, first response, scores, share tagged" {
	fixture
	tag_fixture
	# handling times 100 200 300 400 500; replies 30 60 - 90 10
	avg=$(( (100 + 200 + 300 + 400 + 500) / 5 ))
	run -0 chat-stats -o tsv
	assert_line --index 0 "$(printf 'all\tconversations\thandling_avg\thandling_p10\thandling_median\thandling_p90\tfirst_response_median\tnetwork\tnetwork_n\tsolution\tsolution_n\ttagged')"
	# p10 the ceil(0.5) = 1st; median of 10 30 60 90 is (30 + 60) / 2;
	# network (4 + 2) / 2; 4 of 5 tagged
	assert_line --index 1 "$(printf '(total)\t5\t%d\t100\t300\t500\t45\t3.0\t2\t5.0\t1\t0.8' "$avg")"
	assert_equal "${#lines[@]}" 2
}

@test "--by tag counts a conversation under each tag, untagged under (untagged), and a total once each" {
	fixture
	tag_fixture
	run -0 chat-stats --by tag -o tsv
	# x: A B G -> 100 200 500, replies 30 60 10; y: B D -> 200 400, replies 60 90
	assert_line --index 1 "$(printf '(untagged)\t1\t300\t300\t300\t300\t\t\t0\t\t0\t0.0')"
	assert_line --index 2 "$(printf 'x\t3\t%d\t100\t200\t500\t30\t3.0\t2\t5.0\t1\t1.0' $(( (800 + 1) / 3 )))"
	assert_line --index 3 "$(printf 'y\t2\t300\t200\t300\t400\t75\t2.0\t1\t5.0\t1\t1.0')"
	assert_line --index 4 --regexp $'^\\(total\\)\t5\t'
}

@test "the median of an even count is the mean of the middle two; p90 is the nearest rank" {
	fixture
	run -0 chat-stats --channel chat --until "@$((B + 3500))" -o tsv
	# A B C D: 100 200 300 400 -> p10 the ceil(0.4) = 1st, median 250,
	# p90 the ceil(3.6) = 4th
	assert_line --index 1 --regexp $'^\\(total\\)\t4\t250\t100\t250\t400\t'
}

@test "p10 and p90 are the nearest ranks, the ceil(n/10)-th and ceil(9n/10)-th of the handling times" {
	for i in $(seq 1 11); do
		printf '{"conversation":"K%d","at":%d,"author":"visitor","text":"x"}\n' "$i" "$((B + 1000 * i))"
	done | chat-import -q
	for i in $(seq 1 11); do
		chat-close -q --at "@$((B + 1000 * i + 10 * i))" --ref "K$i"
	done
	# 10 20 ... 110: p10 the ceil(1.1) = 2nd, median the 6th, p90 the
	# ceil(9.9) = 10th
	run -0 chat-stats -o json
	assert_output --partial '"conversations":11,"handling_avg":60,"handling_p10":20,"handling_median":60,"handling_p90":100,"first_response_median":null,'
}

@test "ids no tool makes, below 1 or a trillion apart, are counted like any: memory goes by the rows, not the ids" {
	fixture
	tag_fixture
	sql "INSERT INTO conversations (id, ref, started_at, last_activity_at, state, closed_at, closed_by)
	    VALUES (-16, 'N', $B, $((B + 600)), 'closed', $((B + 600)), 'operator'),
	    (4000000000000, 'T', $B, $((B + 700)), 'closed', $((B + 700)), 'operator');
	    INSERT INTO ratings VALUES (-16, 'network', 1, $B, 'x'), (4000000000000, 'network', 5, $B, 'x');
	    INSERT INTO conversation_tags SELECT 4000000000000, id, $B, 'x' FROM tags WHERE key = 'y'"
	# 100 200 300 400 500 600 700; network 4 2 1 5; tagged: 4 of 5, and T
	run -0 chat-stats --by tag -o tsv
	assert_line --index 1 "$(printf '(untagged)\t2\t450\t300\t450\t600\t\t1.0\t1\t\t0\t0.0')"
	assert_line --index 3 --regexp $'^y\t3\t433\t200\t400\t700\t'
	assert_line --index 4 "$(printf '(total)\t7\t400\t100\t400\t700\t45\t3.0\t4\t5.0\t1\t0.7143')"
}

@test "a reopened conversation counts with the close in force; parked and open ones are not counted" {
	fixture
	run -0 chat-stats -o json
	run -0 /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
# A B C D G closed, G at its second close (500 s, not 1000 s); E parked, F open
assert r["conversations"] == 5, r
assert r["handling_p90"] == 500 and r["handling_avg"] == 300, r
print("ok")' "$output"
	assert_output ok
	run -0 chat-stats
	assert_line --index 1 "not counted: 1 open, 1 parked"
	run -0 chat-stats --operator op1
	assert_line --index 1 "not counted: 1 open, 0 parked"
}

@test "the table shows durations, scores and shares for people" {
	fixture
	tag_fixture
	run -0 chat-stats --by operator
	# op1: A C G -> 100 300 500, replies 30 10, network 4, 2 of 3 tagged
	assert_line --index 0 --regexp '^op1 +3 +5m00s +1m40s +5m00s +8m20s +20s +4.00 +1 +- +0 +67%$'
	# op2: B D -> 200 400, replies 60 90
	assert_line --index 1 --regexp '^op2 +2 +5m00s +3m20s +5m00s +6m40s +1m15s +2.00 +1 +5.00 +1 +100%$'
	assert_line --index 2 --regexp '^\(total\) +5 '
	assert_line --index 3 "not counted: 1 open, 1 parked"
}

@test "--by day, week and month use local time; weeks are ISO" {
	{
		printf '{"conversation":"late","at":%d,"author":"visitor","text":"x"}\n' $((B + 48600))
		printf '{"conversation":"sunday","at":%d,"author":"visitor","text":"x"}\n' 1766916000
		printf '{"conversation":"monday","at":%d,"author":"visitor","text":"x"}\n' 1767002400
	} | chat-import -q
	chat-close -q --at last --ref late sunday monday
	# late starts 2026-11-02T23:30Z: the 2nd in UTC, the 3rd in Tokyo
	run -0 chat-stats --by day -o tsv
	assert_line --index 3 --regexp $'^2026-11-02\t1\t'
	run -0 env TZ=Asia/Tokyo chat-stats --by day -o tsv
	assert_line --index 3 --regexp $'^2026-11-03\t1\t'
	# 2025-12-28 is a Sunday, the end of ISO week 52 of 2025; the Monday
	# after starts week 1 of 2026
	run -0 chat-stats --by week -o tsv
	assert_line --index 1 --regexp $'^2025-W52\t1\t'
	assert_line --index 2 --regexp $'^2026-W01\t1\t'
	assert_line --index 3 --regexp $'^2026-W45\t1\t'
	run -0 chat-stats --by month -o tsv
	assert_line --index 1 --regexp $'^2025-12\t2\t'
	assert_line --index 2 --regexp $'^2026-11\t1\t'
}

@test "every chat-history filter applies" {
	fixture
	tag_fixture
	assert_equal "$(chat-stats --tag y -o tsv | sed -n 2p | cut -f2)" 2
	assert_equal "$(chat-stats --since "@$((B + 2000))" -o tsv | sed -n 2p | cut -f2)" 3
	assert_equal "$(chat-stats --untagged -o tsv | sed -n 2p | cut -f2)" 1
	assert_equal "$(chat-stats --unrated -o tsv | sed -n 2p | cut -f2)" 3
	assert_equal "$(chat-stats --grep hello -o tsv | sed -n 2p | cut -f2)" 5
	run -2 chat-stats --grep 'AND AND'
}

@test "--after-close counts the closed conversations the visitor wrote to after the close" {
	fixture
	printf '{"conversation":"D","at":%d,"author":"visitor","text":"still there?"}\n' \
		"$((B + 3500))" "$((B + 3300))" | chat-import -q
	assert_equal "$(chat-stats --after-close -o tsv | sed -n 2p | cut -f2)" 1
	assert_equal "$(chat-stats --after-close --by operator -o tsv | sed -n 2p | cut -f1)" op2
}

@test "--closed-since and --closed-until count by close time; --operator ignores case" {
	fixture
	count() { chat-stats "$@" -o tsv | sed -n 2p | cut -f2; }
	assert_equal "$(count --closed-since "@$((B + 1200))")" 4
	assert_equal "$(count --closed-since "@$((B + 1200))" --closed-until "@$((B + 3400))")" 2
	assert_equal "$(count --closed-until "@$((B + 4501))")" 5
	run -1 chat-stats --closed-since "@$((B + 4600))"
	assert_equal "$(count --operator OP1)" 3
	assert_equal "$(count --operator op1)" 3
}

@test "nothing closed to report exits 1, a table and a chart with their not counted footer" {
	fixture
	run -1 chat-stats --channel fax
	assert_output "not counted: 0 open, 0 parked"
	run -1 chat-stats --by tag --parked
	assert_output "not counted: 0 open, 1 parked"
	run -1 chat-stats --by tag --parked --chart
	assert_output "not counted: 0 open, 1 parked"
	run -1 chat-stats --by tag --parked -o json
	assert_output ""
	run -1 chat-stats --open -o tsv
	assert_output "$(printf 'all\tconversations\thandling_avg\thandling_p10\thandling_median\thandling_p90\tfirst_response_median\tnetwork\tnetwork_n\tsolution\tsolution_n\ttagged')"
}

@test "configured criteria become columns" {
	fixture
	config <<-'EOF'
	rating: {criteria: {nps: [0, 10]}}
	EOF
	chat-rate -q nps=9 --ref A
	chat-rate -q nps=6 --ref B
	run -0 chat-stats -o json
	assert_output --partial '"nps":7.5,"nps_n":2,"tagged":0.0}'
	refute_output --partial network
}

@test "--chart draws bars of counts and median handling time, fitted to the width" {
	fixture
	tag_fixture
	run -0 env COLUMNS=60 chat-stats --by tag --chart
	assert_line --index 0 "closed conversations by tag"
	assert_line --index 2 --regexp '^x +█+ +3$'
	assert_line "median handling time by tag"
	assert_line --regexp '^y +█+[▏▎▍▌▋▊▉]? *5m00s$'
	refute_output --partial $'\033'
	for l in "${lines[@]}"; do [ "$(printf '%s' "$l" | wc -m)" -le 60 ]; done
	run -0 on_tty env NO_COLOR=1 chat-stats --by tag --chart
	refute_output --partial $'\033['
	run -0 on_tty chat-stats --by tag --chart
	assert_output --partial $'\033[36m'
	run -2 chat-stats --chart -o json
}

@test "the table's header is printed whatever the number of columns (5 criteria: 17)" {
	fixture
	config <<-'EOF'
	rating: {criteria: {a: [1, 5], b: [1, 5], c: [1, 5], d: [1, 5], e: [1, 5]}}
	EOF
	run -0 on_tty env NO_COLOR=1 chat-stats
	assert_line --index 0 --regexp '^all +conversations +handling_avg +handling_p10 +handling_median +handling_p90 +first_response_median +a +a_n +b +b_n +c +c_n +d +d_n +e +e_n +tagged'$'\r''?$'
	assert_line --index 1 --regexp '^\(total\) +5 '
	run -0 on_tty chat-stats
	assert_line --index 0 --partial $'\033[1mall'
}

@test "columns align by display width: wide characters take two cells, combining marks none" {
	{
		printf '{"conversation":"A","at":"2026-11-20T10:00:00Z","author":"visitor","text":"hi","operator":"王小明王小明"}\n'
		printf '{"conversation":"B","at":"2026-11-20T11:00:00Z","author":"visitor","text":"hi","operator":"Zoë 😀 bot"}\n'
		printf '{"conversation":"C","at":"2026-11-20T12:00:00Z","author":"visitor","text":"hi","operator":"Jose\xcc\x81 Ng"}\n'
	} | chat-import -q
	chat-close -q --at last --ref A B C
	run -0 chat-stats --by operator
	# 12 cells, 10 (the emoji two), 7 (the accent none), then two spaces
	assert_line --index 0 --regexp '^Jose. Ng       1  0s'
	assert_line --index 1 --regexp '^Zoë 😀 bot    1  0s'
	assert_line --index 2 --regexp '^王小明王小明  1  0s'
	assert_line --index 3 --regexp '^\(total\)       3  0s'
	run -0 env COLUMNS=40 chat-stats --by operator --chart
	assert_line --index 1 --regexp '^Jose. Ng       █+  1$'
	assert_line --index 3 --regexp '^王小明王小明  █+  1$'
}

@test "--chart fits terminals down to 20 columns: labels cut with an ellipsis, titles and footer wrapped" {
	fixture
	tag_fixture
	chat-tag -q after-sales-and-returns --ref A
	for cols in 20 21 25 33; do
		run -0 env COLUMNS=$cols chat-stats --by tag --chart
		for l in "${lines[@]}"; do
			[ "$(printf '%s' "$l" | wc -m)" -le $cols ] ||
				fail "$cols columns: '$l' is wider"
		done
	done
	run -0 env COLUMNS=20 chat-stats --by tag --chart
	assert_line --index 0 "closed conversations"
	assert_line --index 1 "by tag"
	assert_line --index 2 --regexp '^\(unta… +[█▏▎▍▌▋▊▉]+ +1$'
	assert_line --index 3 --regexp '^after… +[█▏▎▍▌▋▊▉]+ +1$'
	assert_line --index 4 --regexp '^x +█+  3$'
	assert_line "median handling time"
	assert_line "not counted: 1 open,"
	assert_line "1 parked"
	# narrower than 20 is drawn for 20
	run -0 env COLUMNS=5 chat-stats --by tag --chart
	assert_line --index 4 --regexp '^x +█+  3$'
	for l in "${lines[@]}"; do [ "$(printf '%s' "$l" | wc -m)" -le 20 ]; done
	run -0 env COLUMNS=80 chat-stats --by tag --chart
	assert_line --index 2 --regexp '^after-sales-and-returns  [█▏▎▍▌▋▊▉]+ +1$'
	assert_line "not counted: 1 open, 1 parked"
}

@test "--by twice, --since after --until, --chart with -o tsv and -o ids are usage errors (2) with their reason" {
	run -2 chat-stats --by tag --by operator
	assert_line --index 0 "chat-stats: --by given twice: one grouping"
	assert_line --index 1 --partial "usage: chat-stats"
	run -2 chat-stats --by tag --by tag
	assert_line --index 0 "chat-stats: --by given twice: one grouping"
	run -2 chat-stats --until 2026-11-01 --since 2026-11-02
	assert_line --index 0 "chat-stats: --since 2026-11-02 00:00 is after --until 2026-11-01 00:00"
	run -2 chat-stats --chart -o tsv
	assert_line --index 0 "chat-stats: --chart draws in a table, not in -o tsv or json"
	run -2 chat-stats -o ids
	assert_line --index 0 "chat-stats: -o ids: a report lists groups, not conversations"
}

@test "--help lists every option, the common ones and the filters included" {
	run -0 chat-stats --help
	assert_line --index 0 --partial "usage: chat-stats"
	help_lists_every_option chat-stats
}

@test "usage errors" {
	run -2 chat-stats --by year
	assert_output --partial "--by year: tag, operator, channel, day, week or month"
	run -2 chat-stats -o ids
	run -2 chat-stats extra
	assert_line --index 0 "chat-stats: extra: a report takes no operand, only filters"
}

@test "--chart never draws some as none: a count of 1 beside 400 has its eighth of a block" {
	"$TOP/scripts/gen-data" -n 401 -m 401 | sed 's/"channel": "[a-z]*"/"channel": "chat"/' | chat-import -q
	chat-history --open -o ids | chat-close -q --at last
	chat-history --ref GEN-0000401 -o ids | chat-close -q --reopen
	echo '{"conversation":"lone","channel":"fax","at":"2026-11-02T10:00:00Z","author":"visitor","text":"x"}' | chat-import -q
	chat-close -q --at last --ref lone
	run -0 env COLUMNS=60 chat-stats --by channel --chart
	assert_line --regexp '^fax +▏ +1$'
}
