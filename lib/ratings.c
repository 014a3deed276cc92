/* ratings.c: the satisfaction form: criteria and scales from config, one
 * score per criterion, a re-rating replacing the old score. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

/* Checks "criterion=score" against the configured criteria. */
int
rating_parse(const char *arg, struct rating *r)
{
	const struct config *cfg;
	const char *eq = strchr(arg, '=');
	char *end;
	size_t i, len;
	int rc;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	len = eq ? (size_t)(eq - arg) : 0;
	if (eq == NULL || len == 0 || len >= sizeof r->criterion)
		return chat_err(ST_DATA, "%s: a rating is CRITERION=SCORE", arg);
	memcpy(r->criterion, arg, len);
	r->criterion[len] = '\0';
	r->score = strtol(eq + 1, &end, 10);
	if (eq[1] == '\0' || *end != '\0')
		return chat_err(ST_DATA, "%s: the score must be a whole number",
		    arg);
	for (i = 0; i < cfg->ncriteria; i++) {
		if (strcmp(cfg->criteria[i].name, r->criterion) != 0)
			continue;
		if (r->score < cfg->criteria[i].min ||
		    r->score > cfg->criteria[i].max)
			return chat_err(ST_DATA, "%s: %s is scored %d to %d",
			    arg, r->criterion, cfg->criteria[i].min,
			    cfg->criteria[i].max);
		return 0;
	}
	return chat_err(ST_DATA, "%s: unknown criterion '%s' (see "
	    "rating.criteria in chat-tools(7))", arg, r->criterion);
}

int
ratings_apply(int64_t conv, const struct rating *r, size_t n)
{
	sqlite3_stmt *old = db_prep("SELECT score FROM ratings"
	    " WHERE conversation = ? AND criterion = ?");
	sqlite3_stmt *set = db_prep("INSERT INTO ratings VALUES (?, ?, ?, ?, ?)"
	    " ON CONFLICT DO UPDATE SET score = excluded.score,"
	    " rated_at = excluded.rated_at, rated_by = excluded.rated_by");
	char detail[128];
	size_t i;
	int rc;

	if ((rc = conv_exists(conv)) != 0)
		return rc;
	if (old == NULL || set == NULL)
		return ST_DB;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(old, 1, conv);
		db_bind_text(old, 2, r[i].criterion);
		rc = db_step(old, "reading a rating");
		if (rc == SQLITE_ROW && sqlite3_column_int64(old, 0) ==
		    r[i].score) {
			sqlite3_reset(old);
			continue;
		}
		if (rc == SQLITE_ROW)
			snprintf(detail, sizeof detail, "%s=%ld (was %lld)",
			    r[i].criterion, r[i].score,
			    (long long)sqlite3_column_int64(old, 0));
		else
			snprintf(detail, sizeof detail, "%s=%ld",
			    r[i].criterion, r[i].score);
		sqlite3_reset(old);
		if (rc == -1)
			return ST_DB;
		sqlite3_bind_int64(set, 1, conv);
		db_bind_text(set, 2, r[i].criterion);
		sqlite3_bind_int64(set, 3, r[i].score);
		sqlite3_bind_int64(set, 4, time(NULL));
		db_bind_text(set, 5, actor());
		rc = db_step(set, "rating");
		sqlite3_reset(set);
		if (rc == -1 || (rc = event_add(conv, time(NULL), "rated",
		    detail)) != 0)
			return rc == -1 ? ST_DB : rc;
	}
	return 0;
}
