/* fuzz/writeback.c: the reading of Chatwoot's answers to the write-back:
 * the first byte picks the request (a conversation's details, its status
 * toggled, its labels, a page of its messages, a message posted) and the
 * HTTP status, the second the page a lookup is at (0: the latest), the
 * rest is the body. What it keeps must be what each request gives, or a
 * one-line reason, and a lookup must only ever page back. */
#include <stdlib.h>
#include <string.h>

#include "libchat.h"
#include "fuzz.h"

/* A remote ref that is a message id: an integer. */
static int
is_id(const char *s)
{
	if (*s == '-')
		s++;
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long codes[] = {
		200, 201, 204, 400, 401, 403, 404, 422, 429, 500, 502, 503
	};
	static const char *const statuses[] = {
		"open", "resolved", "pending", "snoozed"
	};
	static int ready;
	struct wb_req q = { "chatwoot:3:43", 1, 3, 43,
	    "Call back on Monday.", 1795000000, 0 };
	enum wb_op op;
	struct sent r;
	char *body;
	long code;
	int i, known;

	if (size < 2)
		return 0;
	if (!ready++)
		fuzz_db();
	op = (enum wb_op)(data[0] % 5);
	code = codes[data[0] / 5 % 12];
	q.before = data[1];
	body = fuzz_string(data + 2, size - 2);
	memset(&r, 0, sizeof r);
	if (writeback_read(op, code, body, &q, &r) != 0)
		fuzz_fail("writeback_read");
	fuzz_sent_check(&r);
	if ((r.status != 0) != (r.error[0] != '\0'))
		fuzz_fail("a refusal without a reason, or a reason without one");
	if (r.status != 0 && r.remote_ref[0] != '\0')
		fuzz_fail("a refusal that kept a remote ref");
	if (r.ambiguous && op != WB_POST)
		fuzz_fail("a request that changes nothing taken for ambiguous");
	if (code >= 300 && r.status == 0)
		fuzz_fail("an HTTP error taken for an answer");
	switch (op) {
	case WB_STATUS:
		for (i = 0, known = r.remote_ref[0] == '\0'; i < 4; i++)
			known |= strcmp(r.remote_ref, statuses[i]) == 0;
		if (!known)
			fuzz_fail("a status Chatwoot does not have");
		break;
	case WB_POST:
		if (r.status == 0 && !is_id(r.remote_ref))
			fuzz_fail("a message posted without its id");
		break;
	case WB_FIND:
		if (r.remote_ref[0] != '\0' && !is_id(r.remote_ref))
			fuzz_fail("a note found without its id");
		if (q.before != 0 && (r.remote_ref[0] != '\0' ||
		    (data[1] != 0 && q.before >= data[1])))
			fuzz_fail("a lookup that does not page back");
		break;
	default:
		if (r.remote_ref[0] != '\0')
			fuzz_fail("a remote ref kept from nothing to keep");
	}
	free(body);
	return 0;
}
