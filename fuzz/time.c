/* fuzz/time.c: the time and duration parser. What it accepts must be in
 * range, and an absolute time must read back from its RFC 3339 form. */
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "fuzz.h"

#define NOW 1795392000	/* 2026-11-23T00:00:00Z */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size), buf[32];
	time_t t, back;
	long d;

	setenv("TZ", "UTC", 1);
	if (time_parse(s, NOW, &t) == 0) {
		if (t < 0 || t > 253402300799)
			fuzz_fail("a time out of range was accepted");
		if (time_parse(time_rfc3339(t, buf), NOW, &back) != 0 ||
		    back != t)
			fuzz_fail("a time does not read back");
	}
	if (duration_parse(s, &d) == 0 && (d < 0 || d > 253402300799))
		fuzz_fail("a duration out of range was accepted");
	free(s);
	return 0;
}
