/* target.c: the config of a delivery target (mail, Zendesk, Chatwoot) checked
 * without the network, and the secrets it names. No libcurl here: the
 * binaries that only queue deliveries check their config too. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libchat.h"

/* A secret from the variable named env, else from file, which must be
 * readable by its owner only. The caller frees it. A config that cannot
 * give it is ST_CONFIG with the reason in why, not reported: the caller
 * says whose delivery it stops. */
int
target_secret(const char *what, const char *env, const char *file, char **out,
    char *why, size_t size)
{
	struct stat sb;
	char buf[4096];
	const char *v;
	ssize_t n;
	int fd;

	*out = NULL;
	if (env != NULL) {
		if ((v = getenv(env)) == NULL || *v == '\0') {
			snprintf(why, size, "%s: the variable %s named by the "
			    "config is %s", what, env, v == NULL ? "not set" :
			    "empty");
			return ST_CONFIG;
		}
		if ((*out = strdup(v)) == NULL)
			return chat_err(ST_DB, "out of memory");
		return 0;
	}
	if (file == NULL)
		return 0;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, size, "%s: %s", file, strerror(errno));
		return ST_CONFIG;
	}
	if (fstat(fd, &sb) != 0 || (sb.st_mode & 077) != 0) {
		close(fd);
		snprintf(why, size, "%s: a secret file must be mode 0600 (it "
		    "is %03o)", file, (unsigned)(sb.st_mode & 0777));
		return ST_CONFIG;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, size, "%s: %s", file, strerror(errno));
		return ST_CONFIG;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*out = strdup(buf);
	memset(buf, 0, sizeof buf);
	if (*out == NULL)
		return chat_err(ST_DB, "out of memory");
	return 0;
}

/* Whether the secret can be had, without keeping it. */
static int
secret_check(const char *what, const char *env, const char *file,
    char *why, size_t size)
{
	char *secret;
	int rc = target_secret(what, env, file, &secret, why, size);

	if (secret != NULL) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	return rc;
}

/* Where the config was looked for, to name in a reason. */
static void
config_where(char *buf, size_t size)
{
	const struct config *cfg;

	if (config_get(&cfg) != 0 || cfg->file == NULL || *cfg->file == '\0')
		snprintf(buf, size, "no config file");
	else if (access(cfg->file, F_OK) != 0)
		snprintf(buf, size, "no config file at %s", cfg->file);
	else
		snprintf(buf, size, "%s", cfg->file);
}

/* Whether target is one of Chatwoot's: "chatwoot:status",
 * "chatwoot:labels", "chatwoot:note:ID", or "chatwoot", the section its
 * callers check. */
int
target_chatwoot(const char *target)
{
	return strncmp(target, "chatwoot", 8) == 0 &&
	    (target[8] == '\0' || target[8] == ':');
}

/* One check for every target: the section is there, its URL has a scheme
 * the target speaks, its CA file can be read, its secret can be had. */
int
target_check(const char *target, char *why, size_t size, int *absent)
{
	enum { MAIL, ZENDESK, CHATWOOT } t = strcmp(target, "zendesk") == 0 ?
	    ZENDESK : target_chatwoot(target) ? CHATWOOT : MAIL;
	static const char *const name[] = { "mail", "zendesk", "chatwoot" };
	const struct config *cfg;
	const char *what = name[t], *url, *ca_file;
	char where[300];
	int rc, https;

	*absent = 0;
	if ((rc = config_get(&cfg)) != 0) {
		snprintf(why, size, "the config cannot be read");
		return rc;
	}
	url = t == MAIL ? cfg->mail_url : t == ZENDESK ? cfg->zd_url :
	    cfg->cw_url;
	ca_file = t == MAIL ? cfg->mail_ca_file : t == ZENDESK ?
	    cfg->zd_ca_file : cfg->cw_ca_file;
	if (url == NULL || (t == MAIL && cfg->mail_from == NULL)) {
		*absent = 1;
		config_where(where, sizeof where);
		if (t == MAIL)
			snprintf(why, size, "mail: mail.url and mail.from must "
			    "be set in the config (%s)", where);
		else
			snprintf(why, size, "%s: %s.url must be set in the "
			    "config (%s)", what, what, where);
		return ST_CONFIG;
	}
	https = strncmp(url, "https://", 8) == 0 || ((t == ZENDESK ?
	    cfg->zd_insecure : cfg->cw_insecure) && strncmp(url, "http://",
	    7) == 0);
	if (t == MAIL ? strncmp(url, "smtp://", 7) != 0 &&
	    strncmp(url, "smtps://", 8) != 0 : !https) {
		snprintf(why, size, t == MAIL ? "mail.url: smtp:// or smtps:// "
		    "only" : "%s.url: https:// only (http:// with %s.insecure: "
		    "true, for tests on loopback)", what, what);
		return ST_CONFIG;
	}
	if (ca_file != NULL && access(ca_file, R_OK) != 0) {
		snprintf(why, size, "%s.ca_file: %s: %s", what, ca_file,
		    strerror(errno));
		return ST_CONFIG;
	}
	if (t == MAIL)
		return secret_check(what, cfg->mail_password_env,
		    cfg->mail_password_file, why, size);
	if (t == CHATWOOT) {
		/* A ref names the inbox, not the account the API's paths
		 * want (chat-import(1)). */
		if (cfg->cw_account == 0) {
			snprintf(why, size, "chatwoot: chatwoot.account must be "
			    "set: the id of the account, in the URL of "
			    "Chatwoot's app (/app/accounts/ID/)");
			return ST_CONFIG;
		}
		if (cfg->cw_token_env == NULL && cfg->cw_token_file == NULL) {
			snprintf(why, size, "chatwoot: set chatwoot.token_env "
			    "or token_file (an access token, from the profile "
			    "settings of Chatwoot's app)");
			return ST_CONFIG;
		}
		return secret_check(what, cfg->cw_token_env,
		    cfg->cw_token_file, why, size);
	}
	if (cfg->zd_token_env != NULL || cfg->zd_token_file != NULL) {
		if (cfg->zd_email == NULL) {
			snprintf(why, size, "zendesk: an API token needs "
			    "zendesk.email");
			return ST_CONFIG;
		}
		return secret_check(what, cfg->zd_token_env,
		    cfg->zd_token_file, why, size);
	}
	if (cfg->zd_oauth_token_env != NULL || cfg->zd_oauth_token_file != NULL)
		return secret_check(what, cfg->zd_oauth_token_env,
		    cfg->zd_oauth_token_file, why, size);
	snprintf(why, size, "zendesk: set zendesk.token_env or token_file, or "
	    "oauth_token_env or oauth_token_file");
	return ST_CONFIG;
}
