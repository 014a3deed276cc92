#!/usr/bin/env bats
# The search language of --grep and auto_tag (chat-tools(7), SEARCH): a
# question about a whole conversation, never an engine error.

load helper

fixture() {
	chat-import -q "$EXAMPLES" "$TOP/tests/search.ndjson"
	chat-note -q -m "Le client veut un échange, pas un remboursement." 7
	chat-note -q -m "Zoë a eu un avoir" 31
}

@test "every query of tests/search.queries finds its conversations" {
	fixture
	n=0
	while IFS=$'\t' read -r query want; do
		case $query in '#'*|'') continue ;; esac
		n=$((n + 1))
		got=$(chat-history -o ids --grep "$query" | sort -n | tr '\n' ' ')
		got=${got% }
		assert_equal "$query: ${got:-none}" "$query: $want"
	done <"$TOP/tests/search.queries"
	[ "$n" -ge 30 ]
}

@test "a syntax error is exit 2 with its column; ordinary text never is" {
	fixture
	run -2 chat-history --grep 'produit) x'
	assert_line --index 0 "chat-history: --grep: col 8: ')' without '('"
	run -2 chat-history --grep 'café ("un échange'
	assert_line --index 0 "chat-history: --grep: col 7: '\"' without its closing '\"'"
	run -2 chat-history --grep '(parcel OR colis'
	assert_line --index 0 "chat-history: --grep: col 1: '(' without ')'"
	run -2 chat-history --grep 'parcel AND'
	assert_line --index 0 "chat-history: --grep: col 8: AND without a term after it"
	run -2 chat-history --grep 'OR parcel'
	assert_line --index 0 "chat-history: --grep: col 1: OR without a term before it"
	run -2 chat-history --grep '()'
	assert_line --index 0 "chat-history: --grep: col 1: '()' without a term inside"
	run -2 chat-history --grep ''
	assert_line --index 0 "chat-history: --grep: col 1: empty query"
	run -2 chat-stats --grep 'NOT'
	assert_line --index 0 "chat-stats: --grep: col 1: NOT without a term after it"
	for q in IA-1001 "can't" jane@example.com 30€ 👍 '*a' 'NEAR(a b)' \
	    'body:parcel' '^parcel' '+' '-' 'a"b"' "x'; DROP TABLE messages; --"; do
		run chat-history -o ids --grep "$q"
		[ "$status" -le 1 ] || fail "$q: exit $status: $output"
	done
	assert_db_ok
}

@test "a query too deep or too long is refused, not sent to the engine" {
	examples
	deep=$(printf '(%.0s' $(seq 40))parcel$(printf ')%.0s' $(seq 40))
	run -2 chat-history --grep "$deep"
	assert_line --index 0 "chat-history: --grep: col 33: nested deeper than 32"
	long=$(printf 'w%d OR ' $(seq 64))last
	run -2 chat-history --grep "$long"
	assert_line --index 0 --partial "more than 64 terms"
	run -1 chat-history --grep "$(printf 'w%d OR ' $(seq 63))last"
}

@test "the visitor, the email and the ref are found once changed, the old ones no more" {
	chat-import -q <<'EOF2'
{"conversation":"R-1","visitor":"Anna Old","visitor_email":"anna@old.example","at":"2026-11-20T09:00:00Z","author":"visitor","text":"hi"}
EOF2
	assert_equal "$(chat-history -o ids --grep 'anna@old.example')" 1
	chat-import -q <<'EOF2'
{"conversation":"R-1","visitor":"Anna Newer","at":"2026-11-20T09:01:00Z","author":"visitor","text":"again"}
{"conversation":"R-1","visitor_email":"anna@new.example","at":"2026-11-20T09:02:00Z","author":"visitor","text":"and again"}
EOF2
	run -1 chat-history -o ids --grep Old
	run -1 chat-history -o ids --grep 'anna@old.example'
	assert_equal "$(chat-history -o ids --grep '"anna newer"')" 1
	assert_equal "$(chat-history -o ids --grep 'anna@new.example')" 1
	assert_equal "$(chat-history -o ids --grep R-1)" 1
	# Made and renamed in one batch, then renamed in a batch that a bad
	# line ends.
	chat-import -q <<'EOF2'
{"conversation":"R-2","visitor":"Bea First","at":"2026-11-20T09:00:00Z","author":"visitor","text":"hi"}
{"conversation":"R-2","visitor":"Bea Second","at":"2026-11-20T09:01:00Z","author":"visitor","text":"again"}
EOF2
	run -65 chat-import -q <<'EOF2'
{"conversation":"R-1","visitor":"Anna Third","at":"2026-11-20T09:03:00Z","author":"visitor","text":"once more"}
{"conversation":"R-1","at":"not a time","author":"visitor","text":"bad"}
EOF2
	run -1 chat-history -o ids --grep First
	assert_equal "$(chat-history -o ids --grep Second)" 2
	run -1 chat-history -o ids --grep Newer
	assert_equal "$(chat-history -o ids --grep Third)" 1
	# The strict check, which compares the index with the rows.
	is_pg || run -0 sql "INSERT INTO conversations_fts (conversations_fts, rank) VALUES ('integrity-check', 1)"
}

# bats test_tags=sqlite
@test "the strict check of the header index sees a stale one" {
	examples
	sql "UPDATE conversations SET visitor = 'Stale' WHERE id = 1"
	run -11 sql "INSERT INTO conversations_fts (conversations_fts, rank) VALUES ('integrity-check', 1)"
}

@test "an auto_tag rule is a question about the conversation, checked when read" {
	fixture
	config <<'EOF2'
auto_tag:
  - {tag: maintenance, match: "cafetiere AND detartrage"}
  - {tag: unhappy, match: "bonjour NOT merci"}
EOF2
	chat-close -q --at last 33 20 2
	run -0 chat-tag --auto 33 20 2
	assert_equal "$(chat-history --tag maintenance -o ids)" 33
	assert_equal "$(chat-history --tag unhappy -o ids)" 20
	# By a note or the header alone, on one channel, over batches that
	# the input's pauses cut.
	config <<'EOF2'
auto_tag:
  - {tag: by-note, match: "avoir AND zoe"}
  - {tag: by-header, match: "marie.lefevre@example.fr"}
  - {tag: social, match: colis, channel: whatsapp}
EOF2
	chat-close -q --at last 31 12 15 26
	{ echo 31; sleep 0.3; printf '20\n12\n'; sleep 0.3; printf '2\n15\n26\n'; } |
	    chat-tag -q --auto
	assert_equal "$(chat-history --tag by-note -o ids)" 31
	assert_equal "$(chat-history --tag by-header -o ids)" 20
	assert_equal "$(chat-history --tag social -o ids | sort -n | tr '\n' ' ')" \
	    "$(chat-history --grep colis --channel whatsapp -o ids | sort -n | tr '\n' ' ')"
	assert_equal "$(chat-history --tag social -o ids | wc -l)" 2
	config <<'EOF2'
auto_tag:
  - {tag: a, match: parcel}
  - tag: b
    match: "(parcel OR"
EOF2
	run -78 chat-tag --auto 1
	assert_output "chat-tag: $CHAT_CONFIG:4: match: col 9: OR without a term after it"
}

# bats test_tags=sqlite
@test "a database made before conversations were searchable is indexed when opened" {
	examples
	sql "DROP TABLE conversations_fts;
	    ALTER TABLE conversations DROP COLUMN assigned_at;
	    $BEFORE_7
	    PRAGMA user_version = 2;
	    UPDATE meta SET value = '2' WHERE key = 'schema_version'"
	assert_equal "$(chat-history -o ids --grep Lefevre)" 20
	assert_equal "$(sql 'PRAGMA user_version')" "$SCHEMA_VERSION"
}
