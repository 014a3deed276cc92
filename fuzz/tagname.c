/* fuzz/tagname.c: a tag's name as typed or sent by a platform. A name
 * accepted is stored folded, with no comma, no white space but single
 * inner spaces, still accepted, and with the key of the name typed. */
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "libchat.h"
#include "fuzz.h"

/* What is stored of a name accepted. */
static void
stored_check(const char *name, const char *key)
{
	size_t n = strlen(name);
	char *again;

	if (n == 0 || name[0] == ' ' || name[n - 1] == ' ' ||
	    strstr(name, "  ") != NULL || strpbrk(name, ",\t\r\n") != NULL)
		fuzz_fail("a stored name is not folded");
	if (!tag_valid(name))
		fuzz_fail("a stored name is refused");
	if ((again = tag_fold(name)) == NULL || strcmp(again, key) != 0)
		fuzz_fail("a stored name has another key");
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), *name, *key;

	if (tag_valid(s)) {
		name = tag_nfc(s);
		key = tag_fold(s);
		if (name == NULL || key == NULL)
			fuzz_fail("an accepted tag has no name or key");
		else
			stored_check(name, key);
		free(name);
		free(key);
	}
	free(s);
	return 0;
}
