/* net.h: libcurl set-up shared by smtp.c, zendesk.c and writeback.c, and
 * nothing else. */
#ifndef NET_H
#define NET_H

#include <curl/curl.h>

CURL *net_open(const char *what, int insecure, const char *ca_file);
void net_close(CURL *c);
CURLcode net_perform(CURL *c, sqlite3_str *body);
void net_request(CURL *c, const char *what, const char *url, const char *post,
    struct curl_slist **headers, sqlite3_str *body, long *code,
    struct sent *r);
int net_refusal(long code);
void net_reason(const char *body, long code, char *buf, size_t size);
void net_error(const char *what, CURLcode cc, char *buf, size_t size);
int net_ambiguous(CURLcode rc);
int net_permanent(CURLcode rc);

#endif
