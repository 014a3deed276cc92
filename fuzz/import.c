/* fuzz/import.c: chat-import's reading of event lines, into a database
 * emptied now and then; it must stay consistent whatever it is fed. */
#include <stdlib.h>

#include "libchat.h"
#include "fuzz.h"

static const char check_sql[] =
	"WITH ctl (ctl) AS"
	"  (SELECT '*[' || char(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,"
	"  15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,"
	"  127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139,"
	"  140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151, 152,"
	"  153, 154, 155, 156, 157, 158, 159) || ']*' AS ctl)"
	" SELECT (SELECT count(*) FROM conversations c WHERE NOT EXISTS"
	" (SELECT 1 FROM events WHERE conversation = c.id"
	"  AND action = 'imported'))"
	" + (SELECT count(*) FROM messages WHERE body IS NULL"
	"  OR author NOT IN ('visitor', 'operator', 'bot', 'system'))"
	/* No control character in a one-line field: C0, DEL, C1. */
	" + (SELECT count(*) FROM conversations c, ctl WHERE c.ref GLOB ctl"
	"  OR channel GLOB ctl OR visitor GLOB ctl"
	"  OR visitor_email GLOB ctl OR operator GLOB ctl OR EXISTS (SELECT 1"
	"  FROM messages WHERE conversation = c.id"
	"  AND (name GLOB ctl OR ref GLOB ctl)))";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static long runs;
	static struct import *im;
	struct stmt *st;
	struct lines *l;
	const char *path;
	int fd = fuzz_file(data, size, &path);

	if (runs++ == 0) {
		fuzz_db();
		if (import_begin(&im, 1, IMPORT_NDJSON) != 0)
			fuzz_fail("import_begin");
	}
	if ((l = lines_open(fd, "fuzz")) == NULL)
		fuzz_fail("out of memory");
	import_lines(im, l, "fuzz");
	lines_close(l);
	if ((st = db_prep(check_sql)) == NULL || st_step(st) != 1)
		fuzz_fail("the check does not run");
	else {
		if (st_int(st, 0) != 0)
			fuzz_fail("a conversation without its event, a bad "
			    "message or a control character in a one-line "
			    "field");
		st_reset(st);
	}
	if (runs % 100 == 0 && db_exec("DELETE FROM events;"
	    " DELETE FROM messages; DELETE FROM conversations;"
	    " DELETE FROM temp.printed", "fuzz") != 0)
		fuzz_fail("emptying the database");
	return 0;
}
