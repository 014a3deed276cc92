/* chat-deliver: attempts the deliveries chat-close and chat-export queued,
 * for them: the one binary that links libcurl (chat-tools(7), FILES).
 * Not run by hand. */
#include <stdio.h>

#include "chat.h"

static int lines;

static const struct opt opts[] = {
	OPT_BOOL(0, "flush", &lines, "a line for each delivery attempted"),
	OPT__COMMON, OPT_END
};

static const struct command deliver = {
	"usage: chat-deliver [-d DB] [-c CONFIG] [--flush] <IDS\n", opts
};

int
main(int argc, char *argv[])
{
	/* argv[0] is the name of the binary that handed the deliveries
	 * over, so that its messages read as before. */
	if (opt_parse(&deliver, &argc, &argv) != 0)
		return chat_exit();
	if (argc > 0)
		usage_err("%s: no operands: the ids come on standard input",
		    argv[0]);
	else if (db_open(DB_WRITE) == 0)
		dprintf(3, "%d\n", deliver_ids(stdin, lines));
	return chat_exit();
}
