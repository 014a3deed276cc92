/* ratings.c: the satisfaction form: criteria and scales from config, one
 * score per criterion, a re-rating replacing the old score. */
#include <ctype.h>
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
	/* strtol() also takes leading blanks and a plus sign: refused, as
	 * the first check; out of range (LONG_MAX) is refused by the scale. */
	r->score = strtol(eq + 1, &end, 10);
	if (!isdigit((unsigned char)eq[eq[1] == '-' ? 2 : 1]) || *end != '\0')
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

/* One more rating, checked, at the end of set: set->r is the caller's,
 * freed with free(). */
int
ratings_add(struct ratings *set, const char *arg)
{
	struct rating *r = realloc(set->r, (set->n + 1) * sizeof *r);

	if (r == NULL)
		return chat_err(ST_DB, "out of memory");
	set->r = r;
	return rating_parse(arg, &r[set->n++]);
}

/* One score per criterion in a command: a second is a usage error, even
 * the same score. */
int
ratings_unique(const struct ratings *set)
{
	size_t i, j;

	for (i = 1; i < set->n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(set->r[i].criterion, set->r[j].criterion)
			    == 0)
				return chat_err(ST_USAGE, "%s given twice: one "
				    "score per criterion", set->r[i].criterion);
	return 0;
}

/* Each score to the batch's conversations; a score they have already is
 * neither written nor recorded again. */
int
ratings_apply(const void *req)
{
	const struct ratings *set = req;
	int64_t now = db_now();
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < set->n; i++) {
		rc = db_run("INSERT INTO events (conversation, at, actor,"
		    " action, detail) SELECT o.id, ?3, ?4, 'rated',"
		    " CAST(?1 AS TEXT) || '=' || ?2 || coalesce(' (was ' ||"
		    " r.score || ')', '') FROM batch_ok o LEFT JOIN ratings r"
		    " ON r.conversation = o.id AND r.criterion = ?1 WHERE"
		    " r.score IS DISTINCT FROM ?2 ORDER BY o.seq", "rating",
		    "tiit", set->r[i].criterion, (int64_t)set->r[i].score, now,
		    actor());
		if (rc == 0)
			rc = db_run("INSERT INTO ratings SELECT id, ?1, ?2, ?3,"
			    " ?4 FROM batch_ok WHERE true ON CONFLICT"
			    " (conversation, criterion) DO UPDATE SET score ="
			    " excluded.score, rated_at = excluded.rated_at,"
			    " rated_by = excluded.rated_by WHERE ratings.score"
			    " IS DISTINCT FROM excluded.score", "rating",
			    "tiit", set->r[i].criterion,
			    (int64_t)set->r[i].score, now, actor());
	}
	return rc;
}
