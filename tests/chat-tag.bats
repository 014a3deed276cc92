#!/usr/bin/env bats
# chat-tag: add, remove, set, catalogue, rename, auto_tag rules.

load helper

tags_of() {
	sql "SELECT group_concat(t.name, ',') FROM (SELECT t.name FROM conversation_tags ct
	     JOIN tags t ON t.id = ct.tag WHERE ct.conversation = $1 ORDER BY t.key) t"
}

@test "adds a comma list to each id, prints the ids, writes an event per tag" {
	examples
	run -0 chat-tag after-sales,billing 1 2
	assert_output "1
2"
	assert_equal "$(tags_of 1)" "after-sales,billing"
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'tagged'")" 4
	assert_equal "$(sql "SELECT tagged_by FROM conversation_tags LIMIT 1")" tester
}

@test "tagging twice changes nothing and still prints the ids" {
	examples
	chat-tag -q billing 1
	before=$(dump)
	run -0 chat-tag billing 1
	assert_output 1
	assert_equal "$(dump)" "$before"
}

@test "tags are unique case-insensitively, in any script, kept as first spelled" {
	examples
	chat-tag -q Billing 1
	chat-tag -q BILLING 2
	chat-tag -q Été 3
	chat-tag -q été 4
	chat-tag -q ДОСТАВКА 5
	chat-tag -q доставка 6
	run -0 sql "SELECT name FROM tags ORDER BY id"
	assert_output "Billing
Été
ДОСТАВКА"
	assert_equal "$(chat-history --tag billing -o ids | sort -n | tr '\n' ' ')" "1 2 "
	assert_equal "$(chat-history --tag ÉTÉ -o ids | sort -n | tr '\n' ' ')" "3 4 "
}

@test "tags are one tag however they are typed: Unicode case folding, composed or not" {
	examples
	nfd=$(printf 'cafe\xcc\x81')
	nfc=$(printf 'caf\xc3\xa9')
	chat-tag -q ΕΠΙΣΤΡΟΦΈΣ 1
	chat-tag -q επιστροφές 2
	chat-tag -q Ά 3
	chat-tag -q ά 4
	chat-tag -q ǅ 5
	chat-tag -q ǆ 6
	chat-tag -q "$nfd" 7
	chat-tag -q "$nfc" 8
	run -0 chat-tag -l -o tsv
	assert_equal "$(cut -f 1,2 <<<"$output")" "$(printf 'tag\tconversations
%s\t2\nǅ\t2\nΆ\t2\nΕΠΙΣΤΡΟΦΈΣ\t2' "$nfc")"
	run -0 sql "SELECT name FROM tags ORDER BY id"
	assert_output "ΕΠΙΣΤΡΟΦΈΣ
Ά
ǅ
$nfc"
	assert_equal "$(chat-history --tag επιστροφές -o ids | sort -n | tr '\n' ' ')" "1 2 "
	assert_equal "$(chat-history --tag ΕΠΙΣΤΡΟΦΈΣ -o ids | sort -n | tr '\n' ' ')" "1 2 "
	assert_equal "$(chat-history --tag Ά -o ids | sort -n | tr '\n' ' ')" "3 4 "
	assert_equal "$(chat-history --tag ǆ -o ids | sort -n | tr '\n' ' ')" "5 6 "
	assert_equal "$(chat-history --tag Ǆ -o ids | sort -n | tr '\n' ' ')" "5 6 "
	assert_equal "$(chat-history --tag "$nfd" -o ids | sort -n | tr '\n' ' ')" "7 8 "
	assert_equal "$(chat-history --tag CAFÉ -o ids | sort -n | tr '\n' ' ')" "7 8 "
	assert_equal "$(sql "SELECT detail FROM events WHERE conversation = 7 AND action = 'tagged'")" "$nfc"
	run -0 chat-tag -r "$nfc" 7
	assert_equal "$(sql "SELECT count(*) FROM conversation_tags")" 7
}

@test "a tag is 1 to 64 letters, digits, spaces or - _ . / :, else 65 and nothing written" {
	examples
	before=$(dump)
	for bad in "" " " "a,,b" "a, ,b" "$(printf 'x%.0s' $(seq 65))" "$(printf 'x y%.0s' $(seq 22))" "emoji😀" "semi;colon" "quote'd" \
	    $'esc\e[2J' $'cr\rlf' $'line\nbreak' $'del\x7f' $'csi\xc2\x9b' $'nel\xc2\x85' $'ls\xe2\x80\xa8x'; do
		run -65 chat-tag "$bad" 1
		assert_output --partial "chat-tag: tag '"
	done
	assert_equal "$(dump)" "$before"
	run -0 chat-tag "après-vente,v2.1/promo:noël,$(printf 'y%.0s' $(seq 64)),客服" 1
	assert_equal "$(sql "SELECT count(*) FROM conversation_tags")" 4
}

@test "a tag may have spaces: white space first and last dropped, a run inside one space, in its name and key" {
	examples
	run -0 chat-tag "sample tag,  Sample	Tag ,$(printf 'sample\xc2\xa0\xe3\x80\x80tag'), b c" 1
	assert_output 1
	assert_equal "$(sql "SELECT name || '|' || key FROM tags ORDER BY id")" "sample tag|sample tag
b c|b c"
	assert_equal "$(sql "SELECT detail FROM events WHERE action = 'tagged' ORDER BY id")" "sample tag
b c"
	chat-tag -q "$(printf 'x%.0s' $(seq 31)) $(printf 'y%.0s' $(seq 32))" 2
	assert_equal "$(sql "SELECT length(name) FROM tags WHERE id = 3")" 64
	assert_equal "$(chat-history --tag " SAMPLE  tag" -o ids)" 1
	assert_equal "$(chat-history --tag "sampletag" -o ids)" ""
	run -0 chat-history -o tsv 1
	assert_line --index 1 --regexp $'\tb c,sample tag$'
	run -0 chat-history -o json 1
	assert_output --partial '"tags":["b c","sample tag"]'
	run -0 chat-history --tag "b c"
	assert_output --regexp '^1 .* b c,sample tag$'
	run -0 chat-history 1
	assert_line --regexp '^tags +b c, sample tag$'
	chat-close -q 1
	run -0 chat-stats --by tag -o tsv
	assert_line --regexp $'^sample tag\t1\t'
	run -0 chat-export -f csv 1
	assert_line --index 1 --regexp ',"b c,sample tag",0,'
	run -0 chat-tag -r "sample   tag" 1
	assert_equal "$(tags_of 1)" "b c"
	assert_equal "$(sql "SELECT detail FROM events WHERE action = 'untagged'")" "sample tag"
	run -0 chat-tag -s "d  e" 1
	assert_equal "$(tags_of 1)" "d e"
	run -0 chat-tag --rename " d  e" "  f   g "
	assert_equal "$(tags_of 1)" "f g"
	assert_equal "$(sql "SELECT detail FROM events WHERE action = 'retagged'")" "d e -> f g"
}

@test "a spaced tag in the catalogue, tags.strict, close.require and auto_tag rules" {
	examples
	config <<-EOF
	tags: {catalog: ["after  sales", "late qualified"], strict: true}
	close: {require: [tag]}
	auto_tag:
	  - {tag: " late   qualified", match: "refund OR return OR warranty OR garantie OR remboursement"}
	EOF
	run -0 chat-tag -l -o tsv
	assert_equal "$(cut -f 1,2 <<<"$output")" "$(printf 'tag\tconversations\nafter sales\t0\nlate qualified\t0')"
	run -0 chat-tag -q "AFTER SALES" 1
	run -65 chat-tag -q "after-sales" 1
	assert_output --partial "not in the catalogue"
	run -1 chat-close -q 2
	assert_output --partial "close.require wants a tag"
	run -0 chat-close -q -t "after sales" 2
	assert_equal "$(tags_of 2)" "AFTER SALES"
	run -0 chat-tag --auto 1 6
	assert_output 6
	assert_equal "$(tags_of 6)" "late qualified"
}

@test "the configuration's catalogue is keyed and listed the same way" {
	examples
	nfd=$(printf 'cafe\xcc\x81')
	nfc=$(printf 'caf\xc3\xa9')
	config <<-EOF
	tags: {catalog: [$nfd, ǅ], strict: true}
	EOF
	run -0 chat-tag -l -o tsv
	assert_equal "$(cut -f 1,2 <<<"$output")" "$(printf 'tag\tconversations\n%s\t0\nǅ\t0' "$nfc")"
	run -0 chat-tag -q CAFÉ,ǆ 1
	assert_equal "$(sql "SELECT name FROM tags ORDER BY id")" "CAFÉ
ǆ"
	run -0 chat-tag -l -o tsv
	assert_equal "$(cut -f 1,2 <<<"$output")" "$(printf 'tag\tconversations\nCAFÉ\t1\nǆ\t1')"
}

# bats test_tags=sqlite
@test "a version 4 database's tags are re-keyed: tags now one merge into the oldest, links, events and catalogue kept" {
	examples
	chat-tag -q Foo 1 2
	nfd=$(printf 'cafe\xcc\x81')
	nfc=$(printf 'caf\xc3\xa9')
	# Version 4 keyed tags by a table of Latin, Greek and Cyrillic
	# capitals: Ǆ, ǅ and ǆ were three tags, café decomposed and CAFÉ two.
	sql "INSERT INTO tags VALUES (2, 'Ǆ', 'Ǆ', 100), (3, 'ǅ', 'ǅ', 200),
	      (4, 'ǆ', 'ǆ', 300), (5, '$nfd', '$nfd', 400), (6, 'CAFÉ', '$nfc', 500);
	    INSERT INTO conversation_tags VALUES (1, 2, 1000, 'alice'), (1, 3, 900, 'bob'),
	      (2, 3, 800, 'bob'), (2, 4, 700, 'carol'), (3, 2, 600, 'alice'),
	      (4, 5, 500, 'alice'), (4, 6, 600, 'bob'), (5, 6, 700, 'carol');
	    INSERT INTO events (conversation, at, actor, action, detail)
	      SELECT conversation, tagged_at, tagged_by, 'tagged', name
	      FROM conversation_tags JOIN tags ON id = tag WHERE id > 1;
	    $BEFORE_7
	    UPDATE meta SET value = '4' WHERE key = 'schema_version';
	    PRAGMA user_version = 4"
	events=$(sql "SELECT group_concat(id || at || actor || action || detail, ' ') FROM events")
	run -0 chat-history --count
	assert_equal "$(sql 'PRAGMA user_version')" "$SCHEMA_VERSION"
	assert_equal "$(sql "SELECT value FROM meta WHERE key = 'schema_version'")" "$SCHEMA_VERSION"
	run -0 sql "SELECT id, name, key, created_at FROM tags ORDER BY id"
	assert_output "1|Foo|foo|$(sql "SELECT created_at FROM tags WHERE id = 1")
2|Ǆ|ǆ|100
5|$nfc|$nfc|400"
	run -0 sql "SELECT * FROM conversation_tags ORDER BY conversation, tag"
	assert_output "1|1|$(sql "SELECT tagged_at FROM conversation_tags WHERE conversation = 1 AND tag = 1")|tester
1|2|900|bob
2|1|$(sql "SELECT tagged_at FROM conversation_tags WHERE conversation = 2 AND tag = 1")|tester
2|2|700|carol
3|2|600|alice
4|5|500|alice
5|5|700|carol"
	run -0 sql "SELECT conversation, actor, detail FROM events WHERE action = 'merged' ORDER BY id"
	assert_output "1|chat-tools|ǅ -> Ǆ
2|chat-tools|ǅ, ǆ -> Ǆ
4|chat-tools|CAFÉ -> $nfc
5|chat-tools|CAFÉ -> $nfc"
	assert_equal "$(sql "SELECT group_concat(id || at || actor || action || detail, ' ') FROM events WHERE action <> 'merged'")" "$events"
	assert_db_ok
	run -0 chat-tag -q ǅ,CAFÉ 6
	assert_equal "$(sql "SELECT count(*) FROM tags")" 3
	assert_equal "$(chat-history --tag ǆ -o ids | sort -n | tr '\n' ' ')" "1 2 3 6 "
	assert_equal "$(chat-history --tag "$nfd" -o ids | sort -n | tr '\n' ' ')" "4 5 6 "
}

@test "letters and digits are Unicode's: any script's punctuation, symbols and unassigned code points are refused" {
	examples
	before=$(dump)
	for bad in "price฿" "why؟" "what？" "x˂y" "$(printf 'x\xcd\xb8')" "$(printf 'a\xef\xb8\x8f')" "²"; do
		run -65 chat-tag "$bad" 1
		assert_output "chat-tag: tag '$bad': 1 to 64 letters, digits, spaces or - _ . / :"
	done
	assert_equal "$(dump)" "$before"
	run -0 chat-tag -q "नमस्ते,١٢٣,ªº" 1
	assert_equal "$(sql "SELECT count(*) FROM conversation_tags")" 3
}

@test "--at TIME: the link, its event and a new tag are at TIME, for -r and -s and --auto too; before the start or in the future, 65 for that id alone" {
	examples
	s1=$(sql "SELECT started_at FROM conversations WHERE id = 1")
	at=$(sql "SELECT max(started_at) + 60 FROM conversations WHERE id IN (1, 2)")
	run -0 chat-tag --at "@$at" "late tag" 1 2
	assert_output "1
2"
	assert_equal "$(sql "SELECT DISTINCT tagged_at FROM conversation_tags")" "$at"
	assert_equal "$(sql "SELECT DISTINCT at FROM events WHERE action = 'tagged'")" "$at"
	assert_equal "$(sql "SELECT created_at FROM tags")" "$at"
	run -0 chat-tag -q -r --at "$((at + 10))" "late tag" 1
	assert_equal "$(sql "SELECT at FROM events WHERE action = 'untagged'")" "$((at + 10))"
	run -0 chat-tag -q -s b --at "$(db_time "$at + 20")" 2
	assert_equal "$(sql "SELECT at FROM events WHERE action = 'untagged' AND conversation = 2")" "$((at + 20))"
	assert_equal "$(sql "SELECT tagged_at FROM conversation_tags WHERE conversation = 2")" "$((at + 20))"
	run -65 chat-tag --at "@$s1" early 1 2
	assert_output "chat-tag: 2: tag time $(db_time "$s1") is before the conversation's start, $(db_time "(SELECT started_at FROM conversations WHERE id = 2)")
1"
	assert_equal "$(tags_of 1)" early
	assert_equal "$(tags_of 2)" b
	future=$(( $(date +%s) + 3600 ))
	before=$(dump)
	run -65 chat-tag --at "@$future" later 1
	assert_output "chat-tag: 1: tag time $(db_time "$future") is in the future"
	run -65 chat-tag -n --at "@$future" later 1
	assert_equal "$(dump)" "$before"
	config <<-'EOF'
	auto_tag:
	  - {tag: after-sales, match: "refund OR return OR warranty OR garantie OR remboursement"}
	EOF
	late=$(sql "SELECT started_at + 3600 FROM conversations WHERE id = 6")
	run -0 chat-tag --auto --at "@$late" 6
	assert_output 6
	assert_equal "$(sql "SELECT tagged_at FROM conversation_tags WHERE conversation = 6")" "$late"
	run -2 chat-tag -l --at now
	assert_line --index 0 "chat-tag: --at: the time of a tagging, not with -l"
	run -2 chat-tag --rename early earlier --at now
	assert_line --index 0 "chat-tag: --at: the time of a tagging, not with --rename"
}

@test "-r removes (absent tags are fine), with untagged events" {
	examples
	chat-tag -q a,b,c 1
	run -0 chat-tag -r B,zzz 1
	assert_output 1
	assert_equal "$(tags_of 1)" "a,c"
	assert_equal "$(sql "SELECT detail FROM events WHERE action = 'untagged'")" b
}

@test "-r, --remove removes; -d is the database, as in every binary" {
	examples
	chat-tag -q a,b 1
	CHAT_DB=$BATS_TEST_TMPDIR/other.db examples
	CHAT_DB=$BATS_TEST_TMPDIR/other.db chat-tag -q a,b 1
	run -0 chat-tag -d "$BATS_TEST_TMPDIR/other.db" --remove a 1
	assert_output 1
	assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/other.db" "SELECT count(*) FROM conversation_tags")" 1
	assert_equal "$(tags_of 1)" "a,b"
	run -0 chat-tag --db "$BATS_TEST_TMPDIR/other.db" -r b 1
	assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/other.db" "SELECT count(*) FROM conversation_tags")" 0
	run -2 chat-tag --delete a 1
	assert_equal "$(tags_of 1)" "a,b"
}

@test "-d TAG, naming no file, still removes the tags for one release, with a warning to use -r" {
	examples
	chat-tag -q a,b,c 1
	run -0 --separate-stderr chat-tag -d a,b 1
	assert_output 1
	assert_equal "$stderr" "chat-tag: -d TAG to remove tags is deprecated: use -r TAG (-d is the database)"
	assert_equal "$(tags_of 1)" "c"
	# A -d with a slash is a database path, even one not there.
	run -74 chat-tag -d ./c 1
	assert_output "chat-tag: no database at ./c (chat-import creates one)"
	run -2 chat-tag -d c -s x 1
	assert_line --index 1 "chat-tag: -r and -s: remove tags or set them, not both"
	assert_equal "$(tags_of 1)" "c"
	# --db, spelt long, is always the database: the old removal was -d.
	run -74 chat-tag --db c 1
	assert_output "chat-tag: no database at c (chat-import creates one)"
	run -74 chat-tag --db=c 1
	assert_equal "$(tags_of 1)" "c"
	# With --db too, in either order, the removal is from that database.
	CHAT_DB=$BATS_TEST_TMPDIR/other.db examples
	CHAT_DB=$BATS_TEST_TMPDIR/other.db chat-tag -q c 1
	run -0 chat-tag --db "$BATS_TEST_TMPDIR/other.db" -d c 1
	run -0 chat-tag -q --db "$BATS_TEST_TMPDIR/other.db" c 2
	run -0 chat-tag -d c --db "$BATS_TEST_TMPDIR/other.db" 2
	assert_equal "$(tags_of 1)" "c"
	assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/other.db" "SELECT count(*) FROM conversation_tags")" 0
}

@test "-r with -s, -s twice and -o without -l are usage errors (2) with their reason; nothing written" {
	examples
	chat-tag -q a 1
	before=$(dump)
	run -2 chat-tag -r -s b 1
	assert_line --index 0 "chat-tag: -r and -s: remove tags or set them, not both"
	assert_line --index 1 --partial "usage: chat-tag"
	run -2 chat-tag -s b -r 1
	assert_line --index 0 "chat-tag: -r and -s: remove tags or set them, not both"
	run -2 chat-tag -s b -s c 1
	assert_line --index 0 "chat-tag: -s given twice: one comma list of the tags to set"
	run -2 chat-tag -o json b 1
	assert_line --index 0 "chat-tag: -o json: only -l prints a listing"
	run -2 chat-tag --rename -o tsv a b
	assert_line --index 0 "chat-tag: -o tsv: only -l prints a listing"
	# Two modes: refused, whichever comes last.
	run -2 chat-tag --auto --rename billing invoices
	assert_line --index 0 "chat-tag: --rename and --auto: one or the other"
	run -2 chat-tag --rename billing invoices --auto 2
	assert_line --index 0 "chat-tag: --rename and --auto: one or the other"
	run -2 chat-tag --auto --all 1
	assert_line --index 0 "chat-tag: --all goes with --auto, without ids"
	run -2 chat-tag --all x 1
	assert_line --index 0 "chat-tag: --all goes with --auto, without ids"
	run -2 chat-tag -l 1
	assert_line --index 0 "chat-tag: -l lists the catalogue: no ids, no --rename or --auto"
	run -2 chat-tag -l -r
	assert_line --index 0 "chat-tag: -r: not with -l"
	run -2 chat-tag -s x --auto 1
	assert_line --index 0 "chat-tag: -s: not with --auto"
	run -2 chat-tag --rename a
	assert_line --index 0 "chat-tag: --rename takes OLD and NEW"
	assert_equal "$(dump)" "$before"
}

@test "-n writes nothing in any mode: add, -r, -s, --rename (a merge too) and --auto" {
	examples
	config <<-'EOF'
	auto_tag:
	  - {tag: after-sales, match: "refund OR parcel OR remboursement"}
	EOF
	chat-tag -q billing,vip 1 2
	chat-close -q 1 2 8 9 10
	before=$(dump)
	run -0 chat-tag -n new 1 2
	assert_output "1 tagged new
2 tagged new"
	run -0 chat-tag -n -r billing 1
	assert_output "1 untagged billing"
	run -0 chat-tag -n -s vip,x 2
	assert_output "2 untagged billing
2 tagged x"
	run -0 chat-tag -n --rename billing invoices
	assert_output "1 retagged billing -> invoices
2 retagged billing -> invoices"
	run -0 chat-tag -n --rename billing VIP
	assert_output "1 retagged billing -> VIP
2 retagged billing -> VIP"
	run -0 chat-tag -n --auto --all
	assert_output "9 tagged after-sales"
	run -0 chat-tag -n --auto 1 2 3
	assert_equal "$(dump)" "$before"
	assert_equal "$(sql "SELECT group_concat(name) FROM tags")" "billing,vip"
}

# bats test_tags=sqlite
@test "-n on a database of an older schema upgrades a copy in memory: the file is left as it was" {
	examples
	chat-tag -q Foo 1
	sql "INSERT INTO tags VALUES (2, 'FOO', 'FOO', 100);
	    INSERT INTO conversation_tags VALUES (2, 2, 1000, 'alice');
	    $BEFORE_7
	    UPDATE meta SET value = '4' WHERE key = 'schema_version';
	    PRAGMA user_version = 4"
	before=$(dump)
	run -0 chat-tag -n bar 1 2
	assert_output "1 tagged bar
2 tagged bar"
	run -0 chat-tag -n --rename foo baz
	assert_output "1 retagged foo -> baz
2 retagged foo -> baz"
	run -0 chat-close -n 2
	run -0 chat-note -n -m hello 2
	run -0 chat-rate -n solution=2 2
	assert_equal "$(dump)" "$before"
	assert_equal "$(sql 'PRAGMA user_version')" 4
	run -0 chat-tag bar 1
	assert_equal "$(sql 'PRAGMA user_version')" "$SCHEMA_VERSION"
}

@test "--help lists every option, the common ones included" {
	run -0 chat-tag --help
	assert_line --index 0 --partial "usage: chat-tag"
	help_lists_every_option chat-tag
}

@test "-s sets exactly these tags" {
	examples
	chat-tag -q a,b 1 2
	run -0 chat-tag -s b,c 1 2
	assert_equal "$(tags_of 1)" "b,c"
	assert_equal "$(tags_of 2)" "b,c"
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'untagged'")" 2
}

@test "-l lists the catalogue with counts, config catalogue included, in every format" {
	examples
	config <<-'EOF'
	tags: {catalog: [pre-sales, Billing]}
	EOF
	chat-tag -q billing 1 2 3
	chat-tag -q delivery 4
	run -0 chat-tag -l
	assert_line --index 0 --regexp "^billing +3 +$(db_time "SELECT created_at FROM tags WHERE key = 'billing'" table)\$"
	assert_line --index 1 --regexp '^delivery +1 '
	assert_line --index 2 --regexp '^pre-sales +0 +-$'
	assert_equal "${#lines[@]}" 3
	run -0 chat-tag -l -o tsv
	assert_line --index 0 "$(printf 'tag\tconversations\tcreated')"
	assert_line --index 3 "$(printf 'pre-sales\t0\t')"
	run -0 chat-tag -l -o json
	assert_line --index 2 '{"tag":"pre-sales","conversations":0,"created":null}'
	run -2 chat-tag -l -o text
	# Its rows are tags, not conversations.
	run -2 chat-tag -l -o ids
	assert_line --index 0 "chat-tag: -o ids: the catalogue lists tags, not conversations"
}

@test "an empty catalogue lists nothing and exits 1" {
	chat-import </dev/null
	run -1 chat-tag -l
	assert_output ""
}

@test "tags.strict accepts only catalogue or existing tags (65 otherwise); -r is always allowed" {
	examples
	chat-tag -q legacy 1
	config <<-'EOF'
	tags: {catalog: [after-sales, billing], strict: true}
	EOF
	run -65 chat-tag billing,typo 2
	assert_output "chat-tag: tag 'typo': not in the catalogue (tags.strict is on)"
	assert_equal "$(tags_of 2)" ""
	run -0 chat-tag AFTER-SALES,legacy 2
	run -0 chat-tag -r typo 2
	run -65 chat-close -t typo 3
}

@test "--rename respells, renames, and merges into an existing tag, with events" {
	examples
	chat-tag -q aftersales 1 2
	chat-tag -q billing 2 3
	run -0 chat-tag --rename aftersales After-Sales
	assert_output "1
2"
	assert_equal "$(sql "SELECT name FROM tags ORDER BY id")" "After-Sales
billing"
	run -0 chat-tag --rename after-sales Billing
	assert_output "1
2"
	assert_equal "$(sql "SELECT name FROM tags")" billing
	assert_equal "$(tags_of 1)" billing
	assert_equal "$(tags_of 2)" billing
	assert_equal "$(sql "SELECT count(*) FROM conversation_tags")" 3
	assert_equal "$(sql "SELECT detail FROM events WHERE action = 'retagged' ORDER BY id DESC LIMIT 1")" "after-sales -> Billing"
	run -1 chat-tag --rename nosuch other
	assert_output "chat-tag: nosuch: no such tag"
	run -65 chat-tag --rename billing "bad;tag"
	run -2 chat-tag --rename billing
}

@test "--rename to a spelling typed decomposed stores it composed, one tag with its old self" {
	examples
	chat-tag -q cafe 1
	run -0 chat-tag --rename cafe "$(printf 'Cafe\xcc\x81')"
	assert_equal "$(sql "SELECT hex(name) FROM tags")" 436166C3A9
	run -0 chat-tag --rename "$(printf 'caf\xc3\xa9')" "$(printf 'CAFE\xcc\x81')"
	assert_equal "$(sql "SELECT id, hex(name) FROM tags")" "1|434146C389"
	assert_equal "$(tags_of 1)" "$(printf 'CAF\xc3\x89')"
}

@test "--auto applies the rules to the given ids, with channel restrictions" {
	examples
	config <<-'EOF'
	auto_tag:
	  - {tag: after-sales, match: "refund OR return OR warranty OR garantie OR remboursement"}
	  - {tag: delivery, match: "parcel OR tracking OR colis", channel: whatsapp}
	EOF
	run -0 chat-tag --auto 1 2 3 6 12
	assert_output "2
6
12"
	assert_equal "$(tags_of 1)" ""
	assert_equal "$(tags_of 2)" "after-sales,delivery"
	assert_equal "$(tags_of 6)" "after-sales"
	assert_equal "$(tags_of 12)" "delivery"
}

@test "--auto --all qualifies every closed untagged conversation; -n changes nothing" {
	examples
	chat-close -q 1 2 5 7 14 20
	chat-tag -q kept 20
	config <<-'EOF'
	auto_tag:
	  - {tag: after-sales, match: "refund OR return* OR warranty OR retour"}
	  - {tag: delivery, match: "parcel"}
	EOF
	before=$(dump)
	run -0 chat-tag --auto --all -n
	assert_output "1 tagged delivery
7 tagged after-sales
14 tagged after-sales"
	assert_equal "$(dump)" "$before"
	# --all reads no standard input: the ids piped in are not the point.
	run -0 sh -c 'echo 2 | chat-tag --auto --all'
	assert_output "1
7
14"
	assert_equal "$(tags_of 20)" kept
	run -0 on_tty chat-tag --auto --all
	assert_output ""
}

@test "--auto with an empty input tags nothing; on a terminal without ids or --all, exit 2" {
	examples
	chat-close -q 1 2 5 7 14 20
	config <<-'EOF'
	auto_tag:
	  - {tag: after-sales, match: "refund OR return* OR warranty OR retour"}
	  - {tag: delivery, match: "parcel"}
	EOF
	before=$(dump)
	# Nothing closed today: the pipe is empty, and so is the work.
	run -0 sh -c 'chat-history --closed --since 2099-01-01 -o ids | chat-tag --auto'
	assert_output ""
	run -0 chat-tag --auto </dev/null
	assert_output ""
	run -0 chat-tag --auto -n </dev/null
	assert_output ""
	run -2 on_tty chat-tag --auto
	assert_output --partial "no conversation ids given"
	assert_equal "$(dump)" "$before"
	run -2 chat-tag --auto --all 1
	run -2 chat-tag --all x 1
	run -2 chat-tag --all
	assert_equal "$(dump)" "$before"
}

@test "an empty input is no conversations for every tool that takes ids: exit 0, nothing changed" {
	examples
	chat-close -q 1 2 7
	config <<-'EOF'
	auto_tag:
	  - {tag: delivery, match: "parcel"}
	EOF
	before=$(dump)
	for cmd in "chat-tag x" "chat-tag -r x" "chat-tag -s x" "chat-tag --auto" \
	    "chat-close" "chat-close --park" "chat-close --reopen" \
	    "chat-note -m x" "chat-rate network=3" "chat-export" "chat-export -f json"; do
		run -0 sh -c "$cmd </dev/null"
		assert_output ""
		run -0 sh -c ": | $cmd"
		assert_output ""
	done
	assert_equal "$(dump)" "$before"
}

@test "any listing's output pipes in, its header skipped: TSV, a terminal's table, notes" {
	examples
	chat-close -q 3 5
	run -0 sh -c 'chat-history -o tsv --closed | chat-tag x'
	assert_output "5
3"
	# A table's header is printed on a terminal only, bold: skipped too.
	run -0 sh -c 'script -qec "chat-history --closed" /dev/null | chat-tag y'
	assert_output "5
3"
	run -0 sh -c 'NO_COLOR=1 script -qec "chat-history --closed" /dev/null | chat-tag -r y'
	assert_output "5
3"
	chat-note -q -m "a note" 4
	run -0 sh -c 'chat-note -l -o tsv 4 | chat-tag z'
	assert_output 4
	assert_equal "$(tags_of 3)" x
	assert_equal "$(tags_of 4)" z
	# Only a first line is a header; later, or as an operand, id is no id.
	run -65 sh -c 'printf "3\nid\n" | chat-tag w'
	assert_output "chat-tag: stdin:2: id: not a conversation id
3"
	run -65 chat-tag w id
}

@test "late qualification: chat-history --closed --untagged | chat-tag --auto, notes searched too" {
	examples
	chat-close -q 3 5 9
	chat-note -q -m "Customer wants a refund next time" 9
	config <<-'EOF'
	auto_tag:
	  - {tag: after-sales, match: "refund"}
	  - {tag: billing, match: "invoice OR VAT"}
	EOF
	run -0 sh -c 'chat-history --closed --untagged | chat-tag --auto'
	assert_output "9
5"
	assert_equal "$(tags_of 5)" billing
	assert_equal "$(tags_of 9)" after-sales
	run -1 chat-history --closed --untagged --tag billing
}

@test "an auto_tag rule's channel ignores ASCII case, as --channel does" {
	examples
	config <<-'EOF'
	auto_tag:
	  - {tag: delivery, match: "parcel OR tracking OR colis", channel: WhatsApp}
	EOF
	run -0 chat-tag --auto 1 12
	assert_output 12
	assert_equal "$(tags_of 12)" delivery
}

@test "--auto with no auto_tag rules is a configuration error (78) naming the file read, or saying there is none" {
	examples
	chat-close -q 1 2
	before=$(dump)
	run -78 chat-tag --auto 1
	assert_output "chat-tag: --auto: no auto_tag rules: no configuration file at $HOME/.config/chat-tools/config.yaml"
	config <<-'EOF'
	tags: {strict: false}
	EOF
	run -78 chat-tag --auto 1
	assert_output "chat-tag: --auto: $CHAT_CONFIG has no auto_tag rules"
	run -78 chat-tag --auto -n </dev/null
	assert_output "chat-tag: --auto: $CHAT_CONFIG has no auto_tag rules"
	run -78 chat-tag --auto </dev/null
	run -78 env -u HOME -u CHAT_CONFIG chat-tag --auto 1
	assert_output "chat-tag: --auto: no auto_tag rules: no configuration file found"
	assert_equal "$(dump)" "$before"
}

@test "a bad auto_tag query is a configuration error naming its line" {
	examples
	chat-close -q 1
	config <<-'EOF'
	auto_tag:
	  - {tag: x, match: "AND AND"}
	EOF
	run -78 chat-tag --auto --all
	assert_output "chat-tag: $CHAT_CONFIG:2: match: col 1: AND without a term before it"
	assert_equal "$(sql "SELECT count(*) FROM conversation_tags")" 0
}

@test "usage errors, unknown and bad ids" {
	examples
	run -2 chat-tag
	run -2 chat-tag --bogus x 1
	run -1 chat-tag x 1 999
	assert_output --partial "999: no such conversation"
	run -0 chat-tag --ref billing IA-1005
	assert_output 5
	run -0 chat-tag -n billing 6
	assert_output "6 tagged billing"
	assert_equal "$(tags_of 6)" ""
}

@test "a piped batch: refusals in input order, the rest tagged, their events written and printed in input order, nothing for the refused" {
	examples
	run -1 sh -c 'printf "3\n999\n1\n998\n3\n" | chat-tag fresh'
	assert_line --index 0 "chat-tag: 999: no such conversation"
	assert_line --index 1 "chat-tag: 998: no such conversation"
	assert_line --index 2 3
	assert_line --index 3 1
	assert_equal "${#lines[@]}" 4
	assert_equal "$(sql "SELECT group_concat(conversation) FROM (SELECT conversation FROM events WHERE action = 'tagged' ORDER BY id) AS e")" "3,1"
	run -1 chat-tag brand-new 999
	assert_equal "$(sql "SELECT count(*) FROM tags WHERE key = 'brand-new'")" 0
}

@test "more ids than a batch holds commit batch by batch, each id once" {
	examples
	n=$(sql "SELECT count(*) FROM conversations")
	run -0 sh -c "for i in \$(seq 12000); do echo \$(( i % $n + 1 )); done | chat-tag -q many"
	assert_equal "$(sql "SELECT count(*) FROM conversation_tags ct JOIN tags t ON t.id = ct.tag WHERE t.key = 'many'")" "$n"
	assert_equal "$(sql "SELECT count(*) FROM events WHERE action = 'tagged'")" "$n"
}
