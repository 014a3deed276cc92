/* net.c: the libcurl set-up mail, Zendesk and Chatwoot deliveries share:
 * timeouts, verified TLS, an HTTP request, a failure in words. Only
 * chat-deliver links it (see deliver.c): libcurl's thirty-odd libraries
 * would cost every other binary some 8 ms at start-up. */
#include <stdio.h>
#include <string.h>

#include "libchat.h"
#include "net.h"

static int curl_ready;
/* libcurl's own words on the last transfer's failure: one transfer at a
 * time, one buffer. */
static char errbuf[CURL_ERROR_SIZE];

/* Whether the warning of what's insecure setting was printed already: it
 * is said once a process, however many requests a delivery makes. */
static int
insecure_told(const char *what)
{
	static const char *told[8];
	size_t i;

	for (i = 0; i < sizeof told / sizeof told[0] && told[i] != NULL; i++)
		if (strcmp(told[i], what) == 0)
			return 1;
	if (i < sizeof told / sizeof told[0])
		told[i] = what;
	return 0;
}

CURL *
net_open(const char *what, int insecure, const char *ca_file)
{
	const struct config *cfg;
	CURL *c;

	if (config_get(&cfg) != 0)
		return NULL;
	if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		chat_err(ST_TEMP, "%s: cannot initialise libcurl", what);
		return NULL;
	}
	curl_ready = 1;
	if ((c = curl_easy_init()) == NULL) {
		chat_err(ST_TEMP, "%s: cannot initialise libcurl", what);
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, cfg->connect_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, cfg->timeout);
	/* A transfer stalled below 1 byte/s for 30 s is dead. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
	if (ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	if (insecure) {
		if (!insecure_told(what))
			fprintf(stderr, "%s: warning: %s.insecure is set: TLS "
			    "is not required nor verified (for tests on "
			    "loopback only)\n", chat_prog(), what);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return c;
}

void
net_close(CURL *c)
{
	curl_easy_cleanup(c);
}

void
net_cleanup(void)
{
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = 0;
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
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	}
	return curl_easy_perform(c);
}

/* One HTTP request on c (net_open()'s, what's): a GET, or a POST of the
 * JSON post; headers, the caller's (to curl_slist_free_all()), take
 * the common ones too. The answer's body goes to body, its code to *code;
 * a transfer that failed sets r's status (and ambiguous: the request may
 * have been acted on) and error; r->retry_after is the server's. */
void
net_request(CURL *c, const char *what, const char *url, const char *post,
    struct curl_slist **headers, sqlite3_str *body, long *code,
    struct sent *r)
{
	curl_off_t after = 0;
	CURLcode cc;

	*headers = curl_slist_append(*headers, "Accept: application/json");
	if (post != NULL) {
		*headers = curl_slist_append(*headers,
		    "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "chat-tools/" CHAT_VERSION);
	*code = 0;
	cc = net_perform(c, body);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &after);
	r->retry_after = (long)after;
	if (cc != CURLE_OK) {
		r->status = net_permanent(cc) ? ST_REMOTE : ST_TEMP;
		r->ambiguous = post != NULL && net_ambiguous(cc);
		r->unheard = *code == 0;
		net_error(what, cc, r->error, sizeof r->error);
	}
}

/* An HTTP refusal: worth another try later (a timeout, too many requests,
 * the server's failure), else for good. */
int
net_refusal(long code)
{
	return code == 408 || code == 429 || code >= 500 ? ST_TEMP : ST_REMOTE;
}

/* What the server said went wrong, as "HTTP CODE: words": Zendesk's JSON
 * error (title, error, description, details), Chatwoot's (error, message,
 * description, errors: words or objects with a message), else the start
 * of a text/plain body. */
void
net_reason(const char *body, long code, char *buf, size_t size)
{
	struct stmt *st = db_prep_local("SELECT CASE WHEN json_valid(?1) THEN"
	    " rtrim(coalesce(json_extract(?1, '$.error.title') || ': ', '') ||"
	    " coalesce(CASE json_type(?1, '$.error') WHEN 'text' THEN"
	    "  json_extract(?1, '$.error') || ': ' END, '') ||"
	    " coalesce(CASE json_type(?1, '$.message') WHEN 'text' THEN"
	    "  json_extract(?1, '$.message') || ': ' END, '') ||"
	    " coalesce(json_extract(?1, '$.description') || ': ', '') ||"
	    " coalesce(json_extract(?1, '$.details'), CASE json_type(?1,"
	    "  '$.errors[0]') WHEN 'text' THEN json_extract(?1, '$.errors[0]')"
	    "  WHEN 'object' THEN json_extract(?1, '$.errors[0].message') END,"
	    "  ''), ': ') END");
	const unsigned char *s = NULL;
	size_t n;
	int rc;

	if (st != NULL) {
		st_bind_text(st, 1, body);
		if (db_row(st, "reading an error", &rc))
			s = (const unsigned char *)st_text(st, 0);
	}
	if (s == NULL || *s == '\0')
		s = (const unsigned char *)body;
	n = strcspn((const char *)s, "\r\n");
	snprintf(buf, size, "HTTP %ld: %.*s", code, (int)(n > 160 ? 160 : n),
	    (const char *)s);
	if (st != NULL)
		st_reset(st);
}

/* A failed transfer in words: libcurl's detail, and what a TLS failure
 * means for what's config. */
void
net_error(const char *what, CURLcode cc, char *buf, size_t size)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);

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
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(buf, size, "no answer in time: the server is down or "
		    "too slow (%s)", detail);
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
