/* chatwoot.c: Chatwoot's webhook payloads as chat-import's own events. */
#include "libchat.h"

const char *
chatwoot_lines(const char *payload, size_t len, sqlite3_str *out,
    int *skipped)
{
	(void)payload, (void)len, (void)out;
	*skipped = 0;
	return "not a Chatwoot payload (not read yet)";
}
