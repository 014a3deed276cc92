# Shared set-up of the bats suites: a fresh database, home and config per
# test, the built binaries first on PATH.
bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load
load /usr/lib/bats/bats-file/load

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
EXAMPLES=$TOP/examples/conversations.ndjson

setup() {
	export PATH="$TOP/${CHAT_BUILD:-build}/bin:$PATH"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	export CHAT_DB="$BATS_TEST_TMPDIR/chat.db"
	export CHAT_OPERATOR=tester
	export TZ=UTC
	unset CHAT_CONFIG XDG_DATA_HOME XDG_CONFIG_HOME VISUAL EDITOR NO_COLOR
}

# Runs SQL on the test database with the sqlite3 shell.
sql() {
	sqlite3 -batch "$CHAT_DB" "$@"
}

# Runs a command with a terminal as its standard streams.
on_tty() {
	script -qec "$*" /dev/null
}

# One NDJSON message line: conversation, at, author, text [, id].
msg() {
	printf '{"conversation":"%s","at":"%s","author":"%s","text":"%s"%s}\n' \
		"$1" "$2" "$3" "$4" "${5:+,\"id\":\"$5\"}"
}

examples() {
	chat-import -q "$EXAMPLES"
}

# A config file for this test, from standard input.
config() {
	export CHAT_CONFIG="$BATS_TEST_TMPDIR/config.yaml"
	cat >"$CHAT_CONFIG"
}

# The canonical content of the database, for "nothing changed" checks.
dump() {
	sql .dump | grep -v '^INSERT INTO sqlite_stat'
}
