# Shared set-up of the bats suites: a fresh database, home and config per
# test, the built binaries first on PATH. The database is a SQLite file, or
# with CHAT_TEST_PG set (scripts/check's second leg: the socket directory
# of scripts/pg's cluster) a PostgreSQL database of its own, dropped after.
bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load
load /usr/lib/bats/bats-file/load

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
EXAMPLES=$TOP/examples/conversations.ndjson
# The user_version of a database made by these binaries: the number of
# steps in lib/schema.c.
SCHEMA_VERSION=9
# What a test faking a database of version 6 or earlier takes out: the
# columns step 7 adds and the table step 9 makes.
BEFORE_7="ALTER TABLE conversations DROP COLUMN first_response_at;
    ALTER TABLE conversations DROP COLUMN first_visitor_at;
    DROP TABLE marks;"

REAL_HOME=$HOME
# The key of the advisory lock every PostgreSQL write transaction takes:
# 'chat' in ASCII.
PG_WRITE_LOCK=1667785076

setup() {
	common_setup
}

common_setup() {
	export PATH="$TOP/${CHAT_BUILD:-build}/bin:$PATH"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	export CHAT_DB="$BATS_TEST_TMPDIR/chat.db"
	export CHAT_OPERATOR=tester
	export TZ=UTC
	unset CHAT_CONFIG XDG_DATA_HOME XDG_CONFIG_HOME VISUAL EDITOR NO_COLOR
	[ -z "${CHAT_TEST_PG:-}" ] || pg_setup
}

# The test's own database on the cluster, a copy of template1 (scripts/pg);
# libpq's environment unset so that only the URL says where and who.
pg_setup() {
	unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE \
	    PGSERVICE PGSERVICEFILE PGOPTIONS PGSSLMODE
	PG_DB=t_${BATS_SUITE_TEST_NUMBER}_$$
	pg_admin "CREATE DATABASE $PG_DB"
	export CHAT_DB="postgresql:///$PG_DB?host=$CHAT_TEST_PG&user=chat"
}

# Runs SQL as the cluster's superuser on its maintenance database.
pg_admin() {
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$CHAT_TEST_PG" -U chat -d postgres \
	    -c "$1"
}

# Whether the test database is on PostgreSQL.
is_pg() {
	case $CHAT_DB in postgresql://* | postgres://*) ;; *) return 1 ;; esac
}

# Runs SQL on the test database (each argument, else standard input), its
# results as the sqlite3 shell prints them: fields joined by |, NULL empty,
# no headers; PostgreSQL's notices kept off standard error, SQLite's
# group_concat and hex found (scripts/pg). Both shells keep a CR in an
# argument; read from standard input, a line's CR is lost.
sql() {
	if is_pg; then
		local a args=()
		for a in "$@"; do args+=(-c "$a"); done
		[ $# -gt 0 ] || args=(-f -)
		PGOPTIONS='-c client_min_messages=warning
		    -c search_path=public,sqlite_compat' psql -X -q -A -t \
		    -F '|' -v ON_ERROR_STOP=1 -d "$CHAT_DB" "${args[@]}"
	else
		sqlite3 -batch "$CHAT_DB" "$@"
	fi
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

# A time the database holds (the value of SQL expression $1) as the tools
# print it: RFC 3339 UTC, or with $2 = table as a table's "YYYY-MM-DD HH:MM"
# in local time, which the tests set to UTC.
db_time() {
	sql "SELECT $(time_sql "($1)" "$([ "${2:-}" = table ] &&
	    echo '%Y-%m-%d %H:%M' || echo '%Y-%m-%dT%H:%M:%SZ')")"
}

# The SQL expression formatting Unix time $1 in UTC by strftime format $2
# (%Y %m %d %H %M %S and literal characters) on the test's engine.
time_sql() {
	if is_pg; then
		local f
		f=$(sed -e 's/[A-Za-z]/"&"/g; s/%"Y"/YYYY/g; s/%"m"/MM/g' \
		    -e 's/%"d"/DD/g; s/%"H"/HH24/g; s/%"M"/MI/g; s/%"S"/SS/g' <<<"$2")
		echo "to_char(to_timestamp($1) AT TIME ZONE 'UTC', '$f')"
	else
		echo "strftime('$2', $1, 'unixepoch')"
	fi
}

# The database passes its own consistency checks: SQLite's integrity_check
# and foreign_key_check; PostgreSQL keeps both itself, so there no
# constraint is left unvalidated.
assert_db_ok() {
	if is_pg; then
		assert_equal "$(sql 'SELECT count(*) FROM pg_constraint WHERE NOT convalidated')" 0
	else
		assert_equal "$(sql 'PRAGMA integrity_check; PRAGMA foreign_key_check')" ok
	fi
}

# No database was made: no SQLite file, or no table in the PostgreSQL one.
assert_no_db() {
	if is_pg; then
		assert_equal "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" 0
	else
		assert_file_not_exists "$CHAT_DB"
	fi
}

# The canonical content of the database, for "nothing changed" checks: on
# PostgreSQL the schema, then each table's rows in the order of their text
# (a row's place in its table moves when it is rewritten unchanged) and
# each sequence's position.
dump() {
	if is_pg; then
		local schema
		schema=$(pg_dump --schema-only --no-owner -N sqlite_compat \
		    -d "$CHAT_DB") || return 1
		# Without its comments and the random key of \restrict; the
		# sequences' positions are not data (lib/pg.c sets them to the
		# greatest id plus one whenever a writer begins).
		grep -Ev '^(--|\\(un)?restrict |$)' <<<"$schema"
		sql <<-'SQL'
		SELECT format('SELECT %1$L, x::text FROM %1$I x ORDER BY 2', tablename)
		FROM pg_tables WHERE schemaname = current_schema()
		ORDER BY tablename \gexec
		SQL
	else
		sql .dump | grep -v '^INSERT INTO sqlite_stat'
	fi
}

free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ready() {
	for _ in $(seq 200); do
		[ -e "$1/ready" ] && return 0
		sleep 0.05
	done
	echo "server in $1 did not start" >&2
	return 1
}

# Holds the test database's write lock from another process, the sqlite3
# shell or psql, until release_lock; returns once the lock is seen taken (a
# writer with no busy timeout is refused; the advisory lock is granted),
# not after a guessed pause.
hold_lock() {
	local out
	mkfifo "$BATS_TEST_TMPDIR/lock"
	if is_pg; then
		psql -X -q -o /dev/null -d "$CHAT_DB" <"$BATS_TEST_TMPDIR/lock" 3>&- &
		LOCK_PID=$!
		exec 8>"$BATS_TEST_TMPDIR/lock"
		echo "SELECT pg_advisory_lock($PG_WRITE_LOCK);" >&8
		for _ in $(seq 200); do
			out=$(sql "SELECT count(*) FROM pg_locks l JOIN pg_database d
			    ON d.oid = l.database WHERE d.datname = current_database()
			    AND l.locktype = 'advisory' AND l.objid = $PG_WRITE_LOCK
			    AND l.granted")
			[ "$out" != 1 ] || return 0
			sleep 0.05
		done
		echo "the advisory lock $PG_WRITE_LOCK on $CHAT_DB was not taken" >&2
		return 1
	fi
	sqlite3 "$CHAT_DB" <"$BATS_TEST_TMPDIR/lock" 3>&- &
	LOCK_PID=$!
	exec 8>"$BATS_TEST_TMPDIR/lock"
	printf '%s\n' 'BEGIN IMMEDIATE;' \
	    "UPDATE meta SET value = value WHERE key = 'x';" >&8
	for _ in $(seq 200); do
		if ! out=$(sqlite3 "$CHAT_DB" 'BEGIN IMMEDIATE; ROLLBACK;' 2>&1)
		then
			case $out in *"database is locked"*) return 0 ;; esac
		fi
		sleep 0.05
	done
	echo "the write lock on $CHAT_DB was not taken: $out" >&2
	return 1
}

# psql ends at the end of its input, and its session's lock with it.
release_lock() {
	is_pg || echo 'COMMIT;' >&8
	exec 8>&-
	wait "$LOCK_PID"
}

# A real SMTP server on 127.0.0.1:$SMTP_PORT, storing in $SMTP_DIR/maildir.
start_smtpd() {
	SMTP_DIR=$BATS_TEST_TMPDIR/smtp
	mkdir -p "$SMTP_DIR"
	rm -f "$SMTP_DIR/ready"
	SMTP_PORT=${SMTP_PORT:-$(free_port)}
	/usr/bin/python3 "$TOP/tests/smtpd.py" "$SMTP_DIR" "$SMTP_PORT" "$@" 3>&- &
	SMTP_PID=$!
	wait_ready "$SMTP_DIR"
}

# The HTTP stand-in tests/$1.py on 127.0.0.1:$SI_PORT, its state in
# $SI_DIR, the token it takes $2; its process $SI_PID.
start_standin() {
	SI_DIR=$BATS_TEST_TMPDIR/$1
	mkdir -p "$SI_DIR"
	echo "$2" >"$SI_DIR/token"
	SI_PORT=$(free_port)
	/usr/bin/python3 "$TOP/tests/$1.py" "$SI_DIR" "$SI_PORT" 3>&- &
	SI_PID=$!
	wait_ready "$SI_DIR"
}

# The Zendesk stand-in on 127.0.0.1:$ZD_PORT, its state in $ZD_DIR.
start_zendesk() {
	start_standin zendesk zd-secret-token-4711
	ZD_DIR=$SI_DIR ZD_PORT=$SI_PORT ZD_PID=$SI_PID
}

# The Chatwoot stand-in on 127.0.0.1:$CW_PORT, its state in $CW_DIR.
start_chatwoot() {
	start_standin chatwoot cw-secret-token-0815
	CW_DIR=$SI_DIR CW_PORT=$SI_PORT CW_PID=$SI_PID
}

# A self-signed certificate for 127.0.0.1 in $BATS_TEST_TMPDIR/{cert,key}.pem.
make_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$BATS_TEST_TMPDIR/key.pem" -out "$BATS_TEST_TMPDIR/cert.pem" 2>/dev/null
}

# Messages the SMTP server stored.
stored() {
	find "$SMTP_DIR/maildir/new" -type f 2>/dev/null | wc -l
}

teardown() {
	common_teardown
}

# Stops what start_smtpd, start_zendesk, start_chatwoot, start_prism and
# start_webhook started, and drops the test's PostgreSQL database (WITH
# FORCE: a lock holder left running by a failed test would keep it).
common_teardown() {
	for pid in ${SMTP_PID:-} ${ZD_PID:-} ${CW_PID:-} ${PRISM_PID:-} ${WEBHOOK_PID:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	[ -z "${PG_DB:-}" ] || pg_admin "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
}

# Debian's webhook on 127.0.0.1:$WEBHOOK_PORT serving the hooks file of
# examples/ as it is installed (a template: the URL token from
# $CHAT_HOOK_TOKEN); the commands it runs get this test's environment, and
# the bodies it hands them are written in $WEBHOOK_TMP.
start_webhook() {
	WEBHOOK_PORT=$(free_port)
	WEBHOOK_TMP=$BATS_TEST_TMPDIR/webhook
	mkdir -p "$WEBHOOK_TMP"
	TMPDIR=$WEBHOOK_TMP webhook -template -verbose -ip 127.0.0.1 \
	    -port "$WEBHOOK_PORT" -hooks "$TOP/examples/chatwoot-hooks.json" \
	    >"$BATS_TEST_TMPDIR/webhook.log" 2>&1 3>&- &
	WEBHOOK_PID=$!
	# It logs this once it listens.
	for _ in $(seq 200); do
		grep -q "serving hooks on" "$BATS_TEST_TMPDIR/webhook.log" &&
		    return 0
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/webhook.log" >&2
	return 1
}

# Prism serving an OpenAPI description of tests/ on $PRISM_PORT: $1, by
# default the project's CreateTicket of Zendesk.
start_prism() {
	local prism=${CHAT_TOOLS_CACHE:-${XDG_CACHE_HOME:-$REAL_HOME/.cache}/chat-tools}/prism/node_modules/.bin/prism
	PRISM_PORT=$(free_port)
	"$prism" mock -h 127.0.0.1 -p "$PRISM_PORT" "$TOP/tests/${1:-zendesk-create-ticket.yaml}" \
		>"$BATS_TEST_TMPDIR/prism.log" 2>&1 3>&- &
	PRISM_PID=$!
	for _ in $(seq 300); do
		grep -q "Prism is listening" "$BATS_TEST_TMPDIR/prism.log" && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/prism.log" >&2
	return 1
}

# Fails naming each option of binary $1 that its --help does not list: the
# long and short options cmd/$1.c gives getopt_long, the common ones
# (CHAT_LONGOPTS) and, when it filters, FILTER_LONGOPTS.
help_lists_every_option() {
	local help opts o missing=
	# The option lines, not the synopsis, which names options too.
	help=$("$1" --help | grep -E '^  (-|    --)') || return 1
	opts=$(table_options "$1") || return 1
	for o in $opts; do
		case $o in
		--*) grep -qE -- "$o([^a-z-]|\$)" <<<"$help" ;;
		*) grep -qE -- "(^| )$o(,| |\$)" <<<"$help" ;;
		esac || missing="$missing $o"
	done
	[ -z "$missing" ] || { echo "$1 --help lacks:$missing" >&2; return 1; }
}

# The options of binary $1, read from its option table in cmd/ and the
# tables and OPT__ macros it includes (lib/opt.c's chat_options, lib/
# filter.c's filter_options, lib/chat.h's macros): --name and -l, one a
# line. Fails when the table yields fewer than the five every binary has,
# so that a change of the table's form cannot leave nothing to check.
table_options() {
	/usr/bin/python3 - "$TOP" "$1" <<-'PY'
	import re, sys
	top, name = sys.argv[1], sys.argv[2]
	src = open(f"{top}/cmd/{name}.c").read()
	text = src
	chat_h = open(f"{top}/lib/chat.h").read()
	for m in set(re.findall(r"OPT__[A-Z_]+", src)):
	    d = re.search(r"#define " + m + r"\b.*?[^\\]\n", chat_h, re.S)
	    text += d.group(0) if d else ""
	def table(path, var):
	    t = open(path).read()
	    return t[t.index(var + "[] = {"):][:4000].split("OPT_END")[0]
	if "OPT__COMMON" in src:
	    text += table(f"{top}/lib/opt.c", "chat_options")
	if "OPT__FILTERS" in src:
	    text += table(f"{top}/lib/filter.c", "filter_options")
	opts = set()
	row = (r"(?:OPT_ARG\(\s*\w+,|OPT_BOOL\(|OPT_CMDMODE\()\s*"
	       r"('.'|0),\s*\"([a-z-]+)\"")
	for letter, long in re.findall(row, text):
	    opts.add("--" + long)
	    if letter != "0":
	        opts.add("-" + letter.strip("'"))
	for long in re.findall(r"\bF\(\"([a-z-]+)\"", text):
	    opts.add("--" + long)
	for letter, long in re.findall(r"(?:\.letter = '(.)', )?\.name = \"([a-z-]+)\"", text):
	    opts.add("--" + long)
	    if letter:
	        opts.add("-" + letter)
	if len(opts) < 5:
	    sys.exit(f"{name}: only {sorted(opts)} read from its option table")
	print("\n".join(sorted(opts)))
	PY
}
