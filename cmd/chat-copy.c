/* chat-copy: a whole database into an empty one, SQLite to PostgreSQL or
 * back, checked. */
#include "chat.h"

/* Not chat_options: the databases are the operands, so no -d, and
 * nothing is recorded, so no --as. */
static const struct opt opts[] = {
	OPT_BOOL('q', "quiet", &chat_flags.quiet, "print no table of rows"),
	OPT_ARG(OPT_STR, 'c', "config", "FILE", NULL, "the configuration (else "
	    "$CHAT_CONFIG)", .check = config_set_path),
	{ .type = OPT_HELP, .letter = 'h', .name = "help",
	    .help = "print this help" },
	{ .type = OPT_VERSION, .name = "version", .help = "print the version" },
	OPT_END
};

static const struct command copy = {
	"usage: chat-copy [-q] [-c CONFIG] FROM TO\n", opts
};

int
main(int argc, char *argv[])
{
	if (opt_parse(&copy, &argc, &argv) != 0)
		return chat_exit();
	if (argc != 2)
		usage_err(argc < 2 ? "give FROM and TO" : "too many operands");
	else
		db_copy(argv[0], argv[1], chat_flags.quiet);
	return chat_exit();
}
