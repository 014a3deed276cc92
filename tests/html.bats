#!/usr/bin/env bats
# chat-stats --html: the page as headless Chromium builds and draws it
# (Debian's chromium package), read back by tests/page.py. Without
# Chromium these tests fail; they never skip.

load helper

PAGE_PY=$BATS_TEST_DIRNAME/page.py

# Chromium on PATH, else a failure saying what is missing.
chromium_bin() {
	command -v chromium || {
		echo "no chromium on PATH: the tests of chat-stats --html render" \
		    "the page in Debian's chromium package (scripts/deps test" \
		    "installs it)" >&2
		return 1
	}
}

# Headless Chromium on the page file $1, with the options after it: as
# root with --no-sandbox, which Chromium refuses root without; in a
# profile of the test's own; its chatter (D-Bus, GPU) kept in a log shown
# only when it fails.
chromium_on() {
	local bin page=$1 log=$BATS_TEST_TMPDIR/chromium.log
	shift
	bin=$(chromium_bin) || return 1
	[ "$(id -u)" != 0 ] || set -- --no-sandbox "$@"
	"$bin" --headless --disable-gpu --hide-scrollbars \
	    --user-data-dir="$BATS_TEST_TMPDIR/chromium" "$@" "file://$page" \
	    2>"$log" || { tail -20 "$log" >&2; return 1; }
}

# The DOM Chromium built from page $1, into file $2.
dom() {
	chromium_on "$1" --dump-dom >"$2"
}

# A screenshot of page $1 into $2, further options after them.
screenshot() {
	local page=$1 png=$2
	shift 2
	chromium_on "$page" --window-size=1000,1400 --screenshot="$png" "$@" >/dev/null
	assert_file_exists "$png"
}

# The page asks for nothing from anywhere: no script, link, image, frame
# or object, no URL, not even a protocol-relative //; and says its
# encoding.
self_contained() {
	run -0 grep -c '^<meta charset="utf-8">$' "$1"
	assert_output 1
	run -1 grep -Eio '<script|<link|<img|<iframe|<object|<embed|src=|href=|url\(|@import|https?:|ftp:|file:|//' "$1"
}

# The examples (a week of November 2026, nothing on the 21st) closed at
# their last activity, some tagged and rated, one parked, one left open;
# and three of July and August, so that the whole spreads over more than
# 13 weeks.
fixture() {
	examples
	{
		msg O1 2026-07-06T09:00:00Z visitor hello
		msg O1 2026-07-06T09:04:00Z operator hi
		msg O2 2026-07-21T15:00:00Z visitor hello
		msg O3 2026-08-12T11:00:00Z visitor hello
		msg O3 2026-08-12T11:01:30Z operator hi
	} | chat-import -q
	chat-close -q --park 2
	chat-history --open | sed 1d | chat-close -q --at last
	chat-tag -q billing 1 3 5 7 11
	chat-tag -q delivery 3 4 9 12
	chat-tag -q pre-sales --ref O2 IA-1020
	chat-rate -q network=4 solution=5 1
	chat-rate -q network=2 3
	chat-rate -q solution=3 4 5 9
	chat-rate -q network=5 --ref O3
}

# chat-stats ARGS --html, checked self-contained, as Chromium built it
# (dom.html), and -o json of the same (report.json), in the test's folder.
render() {
	run -0 chat-stats "$@" --html
	echo "$output" >"$BATS_TEST_TMPDIR/page.html"
	self_contained "$BATS_TEST_TMPDIR/page.html"
	chat-stats "$@" -o json >"$BATS_TEST_TMPDIR/report.json"
	dom "$BATS_TEST_TMPDIR/page.html" "$BATS_TEST_TMPDIR/dom.html"
}

@test "--html --by tag with a filter: every figure of every row in the DOM Chromium built is -o json's, and the chart per week is --by week's" {
	fixture
	render --by tag --since 2026-07-10
	chat-stats --by week --since 2026-07-10 -o json >"$BATS_TEST_TMPDIR/weeks.json"
	run -0 /usr/bin/python3 "$PAGE_PY" figures "$BATS_TEST_TMPDIR/dom.html" "$BATS_TEST_TMPDIR/report.json"
	# (untagged), billing, delivery, pre-sales, (total): 12 columns each,
	# the group, 6 durations and counts, 2 criteria and their counts, tagged
	assert_output "5 rows, 60 fields equal"
	# From July 21st (July 6th is before --since) to November 23rd.
	run -0 /usr/bin/python3 "$PAGE_PY" period "$BATS_TEST_TMPDIR/dom.html" "$BATS_TEST_TMPDIR/weeks.json"
	assert_output "Closed conversations by the week they started: 4 bars"
	run -0 grep -c 'in the weeks 2026-W30 to 2026-W48' "$BATS_TEST_TMPDIR/dom.html"
}

@test "--html --by day with a filter: the DOM's figures are -o json's, the chart per day the report's days, a day without any left out, the filter said" {
	fixture
	render --by day --channel chat --since 2026-11-01
	run -0 /usr/bin/python3 "$PAGE_PY" figures "$BATS_TEST_TMPDIR/dom.html" "$BATS_TEST_TMPDIR/report.json"
	# 16th to 20th, 22nd, 23rd, and the total
	assert_output "8 rows, 96 fields equal"
	run -0 /usr/bin/python3 "$PAGE_PY" period "$BATS_TEST_TMPDIR/dom.html" "$BATS_TEST_TMPDIR/report.json"
	assert_output "Closed conversations by the day they started: 7 bars"
	run -0 grep -c 'from 2026-11-16 to 2026-11-23' "$BATS_TEST_TMPDIR/dom.html"
	# A report mailed on says what it was made of.
	run -0 grep -c '<p class="meta" id="filters">Filters: channel chat; started from 2026-11-01 00:00.</p>' "$BATS_TEST_TMPDIR/dom.html"
}

@test "--html shows a hostile operator's name as text: the DOM's text is the name, no element comes of it, no script anywhere" {
	name=$'<script>alert("x")</script><b>x</b>&"\' \u2014 et voil\u00e0'
	fixture
	chat-import -q <<-'EOF'
	{"conversation":"H1","operator":"<script>alert(\"x\")</script><b>x</b>&\"' \u2014 et voil\u00e0","at":"2026-11-20T10:00:00Z","author":"visitor","text":"hi"}
	{"conversation":"H1","at":"2026-11-20T10:03:00Z","author":"operator","text":"hello"}
	EOF
	chat-close -q --at last --ref H1
	render --by operator
	run -0 /usr/bin/python3 "$PAGE_PY" text "$BATS_TEST_TMPDIR/dom.html" "$name"
	run -0 /usr/bin/python3 "$PAGE_PY" figures "$BATS_TEST_TMPDIR/dom.html" "$BATS_TEST_TMPDIR/report.json"
	# alice, bruno, carol, (none), the name, and the total
	assert_output "6 rows, 72 fields equal"
	# No filter, none said; a hostile one is text too.
	run -1 grep -c 'id="filters"' "$BATS_TEST_TMPDIR/dom.html"
	run -0 chat-stats --by operator --operator "$name" --html
	assert_output --partial '<p class="meta" id="filters">Filters: operator &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;&amp;&quot;&#39; '
	# A tag as typed, not as folded to be looked up.
	run -0 chat-stats --tag BILLING --tag Delivery --html
	assert_output --partial '<p class="meta" id="filters">Filters: tagged BILLING and Delivery.</p>'
}

@test "--html by period past 40 periods charts the 40 latest, in order; by tag, the 40 largest" {
	"$TOP/scripts/gen-data" -n 400 -m 800 | chat-import -q
	chat-history --open -o ids | chat-close -q --at last
	run -0 chat-stats --by day --html
	# The handling time per day: its boxes' tooltips, in the page's order.
	drawn=$(grep -o '<g><title>[0-9-]*: p10' <<<"$output" | sed 's/<g><title>//; s/: p10//')
	want=$(chat-stats --by day -o tsv | sed '1d;$d' | cut -f1 | tail -40)
	assert_equal "$drawn" "$want"
	assert_output --partial "draw the 40 latest, of $(chat-stats --by day -o tsv | sed '1d;$d' | wc -l)"
	for i in $(seq 1 45); do echo "$i"; done | while read -r i; do
		chat-tag -q "t$i" $(seq 1 "$i")
	done
	run -0 chat-stats --by tag --html
	drawn=$(grep -o '<g><title>[^:<]*: p10' <<<"$output" | sed 's/<g><title>//; s/: p10//')
	# (untagged), 355 of 400, and t7 to t45 have the most; by name, as
	# the table has them
	want=$(printf '(untagged)\n'; printf 't%d\n' $(seq 7 45) | LC_ALL=C sort)
	assert_equal "$drawn" "$want"
	assert_output --partial "draw the 40 with the most conversations, of 46"
}

@test "--html draws: the screenshot has charts, and in the dark scheme another background and other fills" {
	fixture
	chat-stats --by tag --html >"$BATS_TEST_TMPDIR/page.html"
	screenshot "$BATS_TEST_TMPDIR/page.html" "$BATS_TEST_TMPDIR/light.png"
	screenshot "$BATS_TEST_TMPDIR/page.html" "$BATS_TEST_TMPDIR/dark.png" \
	    --blink-settings=preferredColorScheme=0
	light=$(/usr/bin/python3 "$PAGE_PY" png "$BATS_TEST_TMPDIR/light.png")
	dark=$(/usr/bin/python3 "$PAGE_PY" png "$BATS_TEST_TMPDIR/dark.png")
	run -0 /usr/bin/python3 -c '
import json, sys
light, dark = json.loads(sys.argv[1]), json.loads(sys.argv[2])
luma = lambda c: 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
for shot in (light, dark):
    assert (shot["width"], shot["height"]) == (1000, 1400), shot
    # text antialiased in several colours, bars and boxes
    assert shot["colours"] > 20, shot
    # where the charts are, ink; the most of it one fill: bars
    assert shot["ink"] > 0.05 and shot["fill_share"] > 0.01, shot
assert luma(light["background"]) > 200 and luma(dark["background"]) < 60, (light, dark)
assert light["fill"] != dark["fill"], (light, dark)
print("ok")' "$light" "$dark"
	assert_output ok
}

@test "without chromium on PATH, the tests of --html fail and say what is missing" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	PATH=$BATS_TEST_TMPDIR/empty run -1 chromium_bin
	assert_output --partial "no chromium on PATH"
	assert_output --partial "scripts/deps"
}

@test "--html with nothing closed: a page saying so and what is not counted, and no figures; exit 1 like the table" {
	examples
	run -1 chat-stats --html --operator alice
	assert_output --partial "No closed conversation matched"
	# The zone its times are in, named; the sort a transcript names.
	assert_output --partial ", times in UTC.</p>"
	run -1 env TZ=Europe/Paris chat-stats --html --operator alice
	assert_output --regexp ', times in CES?T \(UTC\+0[12]:00\)\.</p>'

	assert_output --partial "not counted: 10 open, 0 parked"
	refute_output --partial "<table"
	refute_output --partial "<svg"
}

@test "--html with -o or --chart is a usage error" {
	examples
	run -2 chat-stats --html -o json
	assert_output --partial "--html"
	run -2 chat-stats --html --chart
	assert_output --partial "--html"
	run -2 chat-stats -o tsv --html
}
