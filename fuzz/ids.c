/* fuzz/ids.c: the ids reader over piped input. Every id it yields is a
 * positive integer written in the input. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path;
	struct ids *ids;
	int64_t id;
	char digits[24];
	int rc, fd = fuzz_file(data, size, &path);

	if (dup2(fd, 0) != 0)
		fuzz_fail("dup2");
	if (ids_open(&ids, NULL, 0, 0) != 0)
		fuzz_fail("ids_open");
	while (ids_next(ids, &id, &rc)) {
		snprintf(digits, sizeof digits, "%lld", (long long)id);
		if (id <= 0 || memmem(data, size, digits, strlen(digits)) == NULL)
			fuzz_fail("an id that the input does not hold");
	}
	ids_close(ids);
	return 0;
}
