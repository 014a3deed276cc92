/* fuzz/config.c: the configuration loader, on the input as a file. */
#include <string.h>

#include "libchat.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	const char *path;

	memset(&c, 0, sizeof c);
	fuzz_file(data, size, &path);
	config_load_file(path, 1, &c);
	config_free(&c);
	return 0;
}
