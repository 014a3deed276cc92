# shellcheck shell=bash
# tests/engine.sh: the databases of tests/stress and tests/crash on either
# engine (sourced by both, after setting dir). Without CHAT_TEST_PG they are
# SQLite files in $dir. With it, scripts/pg's socket directory or a
# postgresql:// URL of a role that may create databases, they are
# PostgreSQL databases on that server, named after this process so that
# runs side by side never meet, and dropped at exit. Results print as the
# sqlite3 shell prints them (fields joined by |, NULL empty, no headers),
# so that a canonical dump reads the same on both engines.

# A URL is split where the database name goes: before it the scheme and
# the server, after it the parameters.
pg_head= pg_tail=
case ${CHAT_TEST_PG:-} in
'') ;;
postgresql://* | postgres://*)
	pg_head=${CHAT_TEST_PG%%\?*}
	pg_tail=${CHAT_TEST_PG#"$pg_head"}
	pg_head=${pg_head#*://}
	pg_head=${CHAT_TEST_PG%%://*}://${pg_head%%/*}
	;;
*) pg_head=postgresql:// pg_tail="?host=$CHAT_TEST_PG&user=chat" ;;
esac
pg_made=

is_pg() { [ -n "$pg_head" ]; }

# Runs "$@" with its databases on SQLite, whatever CHAT_TEST_PG says: in a
# subshell, so that the choice ends with it.
on_sqlite() (
	pg_head=
	"$@"
)

# The CHAT_DB of database $1.
db_url() {
	if is_pg; then
		echo "$pg_head/r$$_$1$pg_tail"
	else
		echo "$dir/$1.db"
	fi
}

# Runs SQL (the arguments, else standard input) on the database whose
# CHAT_DB is $1; on PostgreSQL every statement's rows are printed, notices
# kept off standard error.
on_db() {
	local db=$1
	shift
	if is_pg; then
		if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cat; fi |
		    PGOPTIONS='-c client_min_messages=warning' psql -X -q -A -t \
		    -F '|' -v ON_ERROR_STOP=1 -d "$db" -f -
	else
		sqlite3 -batch -bail "$db" "$@"
	fi
}

# Runs SQL on database $1 (a name).
db_sql() {
	local name=$1
	shift
	on_db "$(db_url "$name")" "$@"
}

# Database $1 made anew: empty, or a copy of database $2 (nothing may be
# connected to $2: PostgreSQL copies a template only then).
db_new() {
	if is_pg; then
		on_db "$pg_head/postgres$pg_tail" \
		    "DROP DATABASE IF EXISTS r$$_$1 WITH (FORCE);" \
		    "CREATE DATABASE r$$_$1${2:+ TEMPLATE r$$_$2};" || return 1
		case " $pg_made " in *" $1 "*) ;; *) pg_made="$pg_made $1" ;; esac
	else
		rm -f "$dir/$1.db" "$dir/$1.db-wal" "$dir/$1.db-shm"
		[ -z "${2:-}" ] || cp "$dir/$2.db" "$dir/$1.db"
	fi
}

# Whether database $1 holds table $2.
db_has_table() {
	if is_pg; then
		[ "$(db_sql "$1" "SELECT to_regclass('public.$2') IS NOT NULL")" = t ]
	else
		[ -n "$(db_sql "$1" "SELECT 1 FROM sqlite_schema WHERE name = '$2'")" ]
	fi
}

# Prints ok when database $1 passes the engine's own consistency checks,
# else what they found. SQLite: integrity_check and foreign_key_check.
# PostgreSQL checks foreign keys as each statement ends (none is
# deferrable), so no constraint may be left unvalidated; amcheck then
# reads every table's pages and checks every B-tree index against its
# table (the counterpart of integrity_check); a corrupt index is an
# error, on standard error.
db_integrity() {
	if ! is_pg; then
		db_sql "$1" 'PRAGMA integrity_check; PRAGMA foreign_key_check'
		return
	fi
	db_sql "$1" <<-'SQL'
	CREATE SCHEMA IF NOT EXISTS amcheck;
	CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA amcheck;
	DO $$ DECLARE i regclass; BEGIN
	    FOR i IN SELECT c.oid FROM pg_class c JOIN pg_am a ON a.oid = c.relam
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'i'
		AND a.amname = 'btree' LOOP
		PERFORM amcheck.bt_index_check(i, true);
	    END LOOP; END $$;
	SELECT coalesce(string_agg(problem, E'\n'), 'ok') FROM (
	    SELECT 'not validated or deferrable: ' || conname AS problem
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace
		AND (NOT convalidated OR condeferrable)
	    UNION ALL
	    SELECT c.relname || ': ' || v.msg FROM pg_class c,
		amcheck.verify_heapam(c.oid) v
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
	) p;
	SQL
}

# The server, for the figures: "SQLite 3.x" or "PostgreSQL 15.x".
db_engine() {
	if is_pg; then
		echo "PostgreSQL $(on_db "$pg_head/postgres$pg_tail" 'SHOW server_version')"
	else
		echo "SQLite $(sqlite3 :memory: 'SELECT sqlite_version()')"
	fi
}

# Waits until nothing is connected to database $1 any more: a client
# killed with -9 leaves its server process running its statement, and
# holding its locks, until it finds the connection gone and rolls back.
db_idle() {
	is_pg || return 0
	local i
	for i in $(seq 600); do
		[ "$(on_db "$pg_head/postgres$pg_tail" "SELECT count(*) FROM
		    pg_stat_activity WHERE datname = 'r$$_$1'")" != 0 ] || return 0
		sleep 0.1
	done
	echo "database $1: still in use 60 s after its client was killed" >&2
	return 1
}

db_drop_all() {
	local n
	for n in $pg_made; do
		on_db "$pg_head/postgres$pg_tail" \
		    "DROP DATABASE IF EXISTS r$$_$n WITH (FORCE)" || true
	done
}
trap db_drop_all EXIT
