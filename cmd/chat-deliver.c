/* chat-deliver: attempts the deliveries chat-close and chat-export queued,
 * for them: the one binary that links libcurl (chat-tools(7), INTERNAL
 * HELPER). Not run by hand. */
#include <getopt.h>
#include <stdio.h>

#include "chat.h"

enum { OPT_FLUSH = OPT_FIRST_LOCAL };

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CHAT_LONGOPTS, {"flush", 0, 0, OPT_FLUSH}, {0, 0, 0, 0}
	};
	int c, rc, lines = 0;

	/* argv[0] is the name of the binary that handed the deliveries
	 * over, so that its messages read as before. */
	chat_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:c:", longopts, NULL)) != -1) {
		if (c == OPT_FLUSH)
			lines = 1;
		else if ((rc = chat_opt(c, optarg)) != 0) {
			if (rc < 0)
				chat_err(ST_USAGE, "usage: chat-deliver [-d DB] "
				    "[-c CONFIG] [--flush] <IDS");
			return chat_exit();
		}
	}
	if (optind == argc && db_open(DB_WRITE) == 0) {
		rc = deliver_ids(stdin, lines);
		dprintf(3, "%d\n", rc);
	} else if (optind < argc)
		chat_err(ST_USAGE, "usage: chat-deliver [-d DB] [-c CONFIG] "
		    "[--flush] <IDS");
	return chat_exit();
}
