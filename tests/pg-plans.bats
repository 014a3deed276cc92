#!/usr/bin/env bats
# Query plans on PostgreSQL (EXPLAIN), plans.bats's counterpart: every
# filter an index can serve has a plan through that index. On a table of
# thirty rows the planner rightly prefers reading it whole, so the tools'
# sessions are told to avoid that where they can (enable_seqscan=off, by
# libpq's PGOPTIONS): a filter no index serves still shows a scan.

# bats file_tags=pg
load helper

plan() {
	PGOPTIONS='-c enable_seqscan=off' chat-history --explain "$@"
}

@test "every indexable chat-history filter searches its index on PostgreSQL" {
	examples
	local f index
	while IFS='|' read -r f index; do
		run -0 plan $f
		assert_line --regexp "(using|on) $index( |$)"
		refute_line --regexp 'Seq Scan on conversations c( |$)'
	done <<-'EOF'
	--closed --untagged|conversations_closed
	--open|conversations_closed
	--tag after-sales|conversation_tags_tag
	--since 2026-11-20|conversations_started
	--forgotten|conversations_closed
	--grep parcel|messages_fts_words
	--operator alice|conversations_operator
	--operator ALICE|conversations_operator
	--channel WhatsApp|conversations_channel
	--social|conversations_channel
	--idle 1h|conversations_state
	--closed-since 2026-11-20|conversations_closed
	EOF
}

@test "--explain on PostgreSQL prints EXPLAIN's plan and touches nothing" {
	examples
	before=$(dump)
	run -0 chat-history --explain --closed
	assert_line --regexp '^(Sort|Limit|Index|Seq|Bitmap|Nested|Hash|Merge|Append|Unique|Subquery|Result|CTE)'
	assert_equal "$(dump)" "$before"
}
