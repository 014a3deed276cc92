/* fuzz/import.c: chat-import's reading of event lines, into a database
 * emptied now and then; it must stay consistent whatever it is fed. */
#include <stdlib.h>

#include "libchat.h"
#include "fuzz.h"

static const char check_sql[] =
	"SELECT (SELECT count(*) FROM conversations c WHERE NOT EXISTS"
	" (SELECT 1 FROM events WHERE conversation = c.id"
	"  AND action = 'imported'))"
	" + (SELECT count(*) FROM messages WHERE body IS NULL"
	"  OR author NOT IN ('visitor', 'operator', 'bot', 'system'))";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static long runs;
	static struct import *im;
	sqlite3_stmt *st;
	const char *path;
	int fd = fuzz_file(data, size, &path);

	if (runs++ == 0) {
		fuzz_db();
		if (import_begin(&im, 1) != 0)
			fuzz_fail("import_begin");
	}
	import_file(im, fd, "fuzz");
	if ((st = db_prep(check_sql)) == NULL || sqlite3_step(st) != SQLITE_ROW)
		fuzz_fail("the check does not run");
	if (sqlite3_column_int(st, 0) != 0)
		fuzz_fail("a conversation without its event, or a bad message");
	sqlite3_reset(st);
	if (runs % 100 == 0 && db_exec("DELETE FROM events;"
	    " DELETE FROM messages; DELETE FROM conversations;"
	    " DELETE FROM temp.printed", "fuzz") != 0)
		fuzz_fail("emptying the database");
	return 0;
}
