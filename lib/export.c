/* export.c: conversations out on standard output, as the transcript, JSON,
 * CSV summary rows or the mail message. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

/* The times are formatted here; the tags joined as the engine can, in
 * their keys' order, which PostgreSQL keeps only when told within the
 * aggregate, by commas, which no tag has (a tag may have spaces). */
#define CSV_SQL(tags) "SELECT c.id, c.ref, c.channel, c.visitor," \
	" c.operator, c.started_at, c.closed_at, c.closed_at - c.started_at," \
	" " tags ", (SELECT count(*) FROM notes WHERE conversation = c.id)" \
	" FROM conversations c WHERE c.id = ?"
static const char csv_sql[] = CSV_SQL(
	"(SELECT group_concat(name, ',') FROM (SELECT t.name FROM"
	"  conversation_tags ct JOIN tags t ON t.id = ct.tag"
	"  WHERE ct.conversation = c.id ORDER BY t.key))");
static const char pg_csv_sql[] = CSV_SQL(
	"(SELECT string_agg(t.name, ',' ORDER BY t.key) FROM"
	"  conversation_tags ct JOIN tags t ON t.id = ct.tag"
	"  WHERE ct.conversation = c.id)");

/* RFC 4180: quoted when it holds a comma, quote or line break. */
static void
csv_field(const char *s, int first)
{
	if (!first)
		putchar(',');
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static int
export_begin(enum export_fmt f)
{
	static const char *const head[] = {
		"id", "ref", "channel", "visitor", "operator", "started",
		"closed", "handling_time", "tags", "notes"
	};
	const struct config *cfg;
	size_t i;
	int rc;

	if (f != EXPORT_CSV)
		return 0;
	if ((rc = config_get(&cfg)) != 0)
		return rc;
	for (i = 0; i < sizeof head / sizeof head[0]; i++)
		csv_field(head[i], i == 0);
	for (i = 0; i < cfg->ncriteria; i++)
		csv_field(cfg->criteria[i].name, 0);
	fputs("\r\n", stdout);
	return 0;
}

static int
csv_row(int64_t id)
{
	const struct config *cfg;
	struct stmt *st = db_prep(DB_SQL(csv_sql, pg_csv_sql));
	struct stmt *score = db_prep("SELECT score FROM ratings"
	    " WHERE conversation = ? AND criterion = ?");
	char buf[32];
	size_t i;
	int rc, n;

	if ((rc = config_get(&cfg)) != 0 || st == NULL || score == NULL)
		return rc ? rc : ST_DB;
	st_bind_int(st, 1, id);
	if (!db_row(st, "exporting", &rc)) {
		st_reset(st);
		return rc ? rc : ST_SOME;
	}
	for (n = 0; n < 10; n++)
		csv_field((n == 5 || n == 6) && st_type(st, n) != DB_NULL ?
		    time_rfc3339(st_int64(st, n), buf) : st_text(st, n),
		    n == 0);
	st_reset(st);
	for (i = 0; i < cfg->ncriteria; i++) {
		st_bind_int(score, 1, id);
		st_bind_text(score, 2, cfg->criteria[i].name);
		n = db_row(score, "exporting", &rc);
		csv_field(n ? st_text(score, 0) :
		    NULL, 0);
		st_reset(score);
		if (rc != 0)
			return rc;
	}
	fputs("\r\n", stdout);
	return 0;
}

static int
export_one(int64_t id, enum export_fmt f)
{
	sqlite3_str *out;
	char *s, key[64], msgid[300];
	int rc;

	if (f == EXPORT_CSV)
		return csv_row(id);
	out = sqlite3_str_new(NULL);
	switch (f) {
	case EXPORT_JSON:
		rc = conv_json(id, out);
		break;
	case EXPORT_EML:
		snprintf(key, sizeof key, "c%lld", (long long)id);
		rc = mail_message(id, NULL, key, time(NULL), out, msgid);
		break;
	default:
		rc = conv_text(id, 0, out);
		if (rc == 0)
			sqlite3_str_appendchar(out, 1, '\n');
	}
	s = sqlite3_str_finish(out);
	if (rc == 0 && s != NULL)
		fputs(s, stdout);
	sqlite3_free(s);
	if (rc == ST_SOME)
		chat_err(ST_SOME, "%lld: no such conversation", (long long)id);
	return rc;
}

/* The ids given (operands, else standard input) written one by one, an
 * unknown one reported and passed over. */
int
export_ids(char **argv, int argc, int by_ref, enum export_fmt f)
{
	struct ids *ids = NULL;
	int64_t id;
	int rc;

	if ((rc = ids_open(&ids, argv, argc, by_ref)) == 0 &&
	    (rc = export_begin(f)) == 0)
		while (ids_next(ids, &id, &rc))
			if ((rc = export_one(id, f)) != 0 && rc != ST_SOME)
				break;
	ids_close(ids);
	return rc;
}
