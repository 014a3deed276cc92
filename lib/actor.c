/* actor.c: who is acting: --as, CHAT_OPERATOR, operator:, the login name. */
#define _POSIX_C_SOURCE 200809L
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "libchat.h"

static const char *actor_opt;
static char actor_login[64];

int
actor_set(const char *name)
{
	const char *why;

	if (*name == '\0') {
		chat_err(ST_USAGE, "--as: empty name");
		return -1;
	}
	if ((why = one_line_fault(name)) != NULL) {
		chat_err(ST_DATA, "--as: %s", why);
		return 1;
	}
	actor_opt = name;
	return 0;
}

const char *
actor(void)
{
	const struct config *cfg;
	const struct passwd *pw;
	const char *s;

	if (actor_opt != NULL)
		return actor_opt;
	if ((s = getenv("CHAT_OPERATOR")) != NULL && *s != '\0')
		return actor_opt = s;
	if (config_get(&cfg) == 0 && cfg->operator != NULL)
		return actor_opt = cfg->operator;
	if ((pw = getpwuid(getuid())) != NULL)
		snprintf(actor_login, sizeof actor_login, "%s", pw->pw_name);
	else
		snprintf(actor_login, sizeof actor_login, "uid%ld",
		    (long)getuid());
	return actor_opt = actor_login;
}
