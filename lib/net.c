/* net.c: what mail and Zendesk deliveries share: libcurl, set up on first
 * use only, with timeouts and verified TLS; secrets from the environment or
 * a private file. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libchat.h"
#include "net.h"

struct curl_api curl;
static void *libcurl;
static int curl_ready;
/* libcurl's own words on the last transfer's failure: one transfer at a
 * time, one buffer. */
static char errbuf[CURL_ERROR_SIZE];

static int
load(const char *what)
{
	static const struct {
		const char *name;
		size_t off;
	} fns[] = {
#define FN(f) { "curl_" #f, offsetof(struct curl_api, f) }
		FN(global_init), FN(global_cleanup), FN(easy_init),
		FN(easy_setopt), FN(easy_perform), FN(easy_getinfo),
		FN(easy_cleanup), FN(easy_strerror), FN(easy_escape), FN(free),
		FN(slist_append), FN(slist_free_all),
#undef FN
	};
	void *sym;
	size_t i;

	if (libcurl != NULL)
		return 0;
	if ((libcurl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL)) == NULL)
		return chat_err(ST_TEMP, "%s: cannot load libcurl: %s", what,
		    dlerror());
	for (i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		if ((sym = dlsym(libcurl, fns[i].name)) == NULL)
			return chat_err(ST_TEMP, "%s: libcurl lacks %s", what,
			    fns[i].name);
		memcpy((char *)&curl + fns[i].off, &sym, sizeof sym);
	}
	return 0;
}

int
net_ready(const char *what)
{
	if (curl_ready)
		return 0;
	if (load(what) != 0)
		return ST_TEMP;
	if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return chat_err(ST_TEMP, "%s: cannot initialise libcurl", what);
	curl_ready = 1;
	return 0;
}

CURL *
net_open(const char *what, int insecure, const char *ca_file)
{
	const struct config *cfg;
	CURL *c;

	if (config_get(&cfg) != 0 || net_ready(what) != 0)
		return NULL;
	if ((c = curl.easy_init()) == NULL) {
		chat_err(ST_TEMP, "%s: cannot initialise libcurl", what);
		return NULL;
	}
	curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, cfg->connect_timeout);
	curl.easy_setopt(c, CURLOPT_TIMEOUT, cfg->timeout);
	/* A transfer stalled below 1 byte/s for 30 s is dead. */
	curl.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	if (ca_file != NULL)
		curl.easy_setopt(c, CURLOPT_CAINFO, ca_file);
	if (insecure) {
		fprintf(stderr, "%s: warning: %s.insecure is set: TLS is not "
		    "required nor verified (for tests on loopback only)\n",
		    chat_prog(), what);
		curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return c;
}

void
net_close(CURL *c)
{
	curl.easy_cleanup(c);
}

void
net_cleanup(void)
{
	if (curl_ready)
		curl.global_cleanup();
	curl_ready = 0;
}

/* A secret from the variable named env, else from file, which must be
 * readable by its owner only. The caller frees it. A config that cannot
 * give it is ST_CONFIG with the reason in why, not reported: the caller
 * says whose delivery it stops. */
int
net_secret(const char *what, const char *env, const char *file, char **out,
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
			    "config is not set", what, env);
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
int
net_secret_check(const char *what, const char *env, const char *file,
    char *why, size_t size)
{
	char *secret;
	int rc = net_secret(what, env, file, &secret, why, size);

	if (secret != NULL) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	return rc;
}

/* Where the config was looked for, to name in a reason. */
void
net_config_where(char *buf, size_t size)
{
	const struct config *cfg;

	if (config_get(&cfg) != 0 || cfg->file == NULL || *cfg->file == '\0')
		snprintf(buf, size, "no config file");
	else if (access(cfg->file, F_OK) != 0)
		snprintf(buf, size, "no config file at %s", cfg->file);
	else
		snprintf(buf, size, "%s", cfg->file);
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	sqlite3_str_append(arg, data, (int)(size * n));
	return size * n;
}

/* Runs the transfer; the response body, if any, goes to body. */
CURLcode
net_perform(CURL *c, sqlite3_str *body)
{
	errbuf[0] = '\0';
	if (body != NULL) {
		curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
		curl.easy_setopt(c, CURLOPT_WRITEDATA, body);
	}
	return curl.easy_perform(c);
}

/* A failed transfer in words: libcurl's detail, and what a TLS failure
 * means for what's config. */
void
net_error(const char *what, CURLcode cc, char *buf, size_t size)
{
	const char *detail = errbuf[0] ? errbuf : curl.easy_strerror(cc);

	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(buf, size, "TLS: the server's certificate could not "
		    "be verified (%s); %s.ca_file may name the CA that signed "
		    "it", detail, what);
		break;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(buf, size, "TLS: the CA certificates could not be "
		    "read (%s)", detail);
		break;
	case CURLE_USE_SSL_FAILED:
		snprintf(buf, size, "TLS: the server does not offer STARTTLS, "
		    "which %s.url smtp:// requires (smtps:// is TLS from the "
		    "start)", what);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(buf, size, "TLS: the handshake failed (%s)", detail);
		break;
	default:
		snprintf(buf, size, "%s", detail);
	}
}

/* Whether a failed transfer may have reached the server: then a retry
 * must first look for what the first try made. */
int
net_ambiguous(CURLcode rc)
{
	return rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR ||
	    rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE ||
	    rc == CURLE_SEND_ERROR;
}

/* Permanent transport failures: retrying cannot help until the config or
 * the server changes. */
int
net_permanent(CURLcode rc)
{
	return rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED ||
	    rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_URL_MALFORMAT ||
	    rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_REMOTE_ACCESS_DENIED;
}
