/* net.h: libcurl set-up shared by mail.c and zendesk.c, and nothing else. */
#ifndef NET_H
#define NET_H

/* libcurl is loaded with dlopen() on the first delivery: linked, its
 * thirty-odd libraries cost every chat-close 8 ms at start-up. Calls go
 * through this table, hence no type-checking macros. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

struct curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode code);
	char *(*easy_escape)(CURL *c, const char *s, int len);
	void (*free)(void *p);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};
extern struct curl_api curl;

/* Loads and initialises libcurl once; 0 or ST_TEMP (reported). */
int net_ready(const char *what);
CURL *net_open(const char *what, int insecure, const char *ca_file);
void net_close(CURL *c);
int net_secret(const char *what, const char *env, const char *file,
    char **out, char *why, size_t size);
int net_secret_check(const char *what, const char *env, const char *file,
    char *why, size_t size);
void net_config_where(char *buf, size_t size);
CURLcode net_perform(CURL *c, sqlite3_str *body);
void net_error(const char *what, CURLcode cc, char *buf, size_t size);
int net_ambiguous(CURLcode rc);
int net_permanent(CURLcode rc);

#endif
