/* fuzz/chatwoot.c: a Chatwoot webhook payload as chat-import's own events.
 * Whatever the input, chatwoot_lines() says why it is refused and makes
 * nothing, or makes lines, each a JSON object of a known type for a
 * chatwoot: conversation, and the same lines again (skipped when none). */
#include <stdlib.h>
#include <string.h>

#include "libchat.h"
#include "fuzz.h"

static const char line_sql[] =
	"SELECT json_valid(?1) AND json_type(?1) = 'object'"
	" AND json_type(?1, '$.conversation') = 'text'"
	/* chatwoot:INBOX:ID, each an integer as Chatwoot wrote it */
	" AND ?1 ->> '$.conversation' GLOB 'chatwoot:?*:?*'"
	" AND substr(?1 ->> '$.conversation', 10) NOT GLOB '*[^0-9:-]*'"
	" AND length(?1 ->> '$.conversation')"
	" - length(replace(?1 ->> '$.conversation', ':', '')) = 2"
	" AND coalesce(?1 ->> '$.type', 'message') IN ('message', 'update', 'assign',"
	" 'close', 'park', 'reopen', 'note', 'edit', 'tag', 'untag')";

/* The lines one payload makes, NULL for none, and *why; the caller frees
 * them by sqlite3_free(). */
static char *
lines_of(const char *s, size_t len, const char **why, int *skipped)
{
	sqlite3_str *out = sqlite3_str_new(NULL);
	char *lines;

	*why = chatwoot_lines(s, len, out, skipped);
	if (sqlite3_str_errcode(out) != SQLITE_OK)
		fuzz_fail("out of memory");
	if ((lines = sqlite3_str_finish(out)) != NULL && *lines == '\0') {
		sqlite3_free(lines);
		lines = NULL;
	}
	return lines;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct stmt *st;
	const char *why, *why2, *p, *end;
	char *s, *lines, *again;
	int skipped, skipped2;

	/* chat-import reads no NUL nor invalid UTF-8 as a payload */
	if (memchr(data, '\0', size) != NULL ||
	    !utf8_valid((const char *)data, size))
		return 0;
	if (!ready++)
		fuzz_db();
	s = fuzz_string(data, size);
	lines = lines_of(s, size, &why, &skipped);
	again = lines_of(s, size, &why2, &skipped2);
	if ((why == NULL) != (why2 == NULL) || skipped != skipped2 ||
	    (lines == NULL) != (again == NULL) ||
	    (lines != NULL && strcmp(lines, again) != 0))
		fuzz_fail("the same payload makes other lines");
	if (why != NULL && (lines != NULL || skipped ||
	    strchr(why, '\n') != NULL || *why == '\0'))
		fuzz_fail("a payload refused makes lines, or a reason over "
		    "more than one line");
	if (why == NULL && skipped != (lines == NULL))
		fuzz_fail("a payload skipped makes lines, or one making none "
		    "is not skipped");
	if ((st = db_prep_local(line_sql)) == NULL)
		fuzz_fail("the check does not prepare");
	for (p = lines; p != NULL && (end = strchr(p, '\n')) != NULL;
	    p = end + 1) {
		st_bind_textn(st, 1, p, (int)(end - p), NULL);
		if (st_step(st) != 1 || st_int(st, 0) != 1)
			fuzz_fail("a line that is not an event of a chatwoot: "
			    "conversation");
		st_reset(st);
	}
	if (p != NULL && *p != '\0')
		fuzz_fail("a line without its newline");
	sqlite3_free(lines);
	sqlite3_free(again);
	free(s);
	return 0;
}
