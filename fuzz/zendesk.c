/* fuzz/zendesk.c: the reading of Zendesk's answer to a ticket creation:
 * the first byte picks the HTTP status, the rest is the body. What it
 * keeps must be a ticket id, or a one-line reason. */
#include <stdlib.h>
#include <string.h>

#include "libchat.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long codes[] = {
		200, 201, 400, 401, 403, 404, 408, 409, 422, 429, 500, 503
	};
	static int ready;
	struct sent r;
	char *body;

	if (size == 0)
		return 0;
	if (!ready++)
		fuzz_db();
	body = fuzz_string(data + 1, size - 1);
	memset(&r, 0, sizeof r);
	if (zendesk_read(codes[data[0] % 12], body, &r) != 0)
		fuzz_fail("zendesk_read");
	fuzz_sent_check(&r);
	if ((r.status == 0) != (r.remote_ref[0] != '\0'))
		fuzz_fail("neither a ticket nor a reason");
	free(body);
	return 0;
}
