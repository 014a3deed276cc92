/* net.h: libcurl set-up shared by smtp.c and zendesk.c, and nothing else. */
#ifndef NET_H
#define NET_H

#include <curl/curl.h>

CURL *net_open(const char *what, int insecure, const char *ca_file);
void net_close(CURL *c);
CURLcode net_perform(CURL *c, sqlite3_str *body);
void net_error(const char *what, CURLcode cc, char *buf, size_t size);
int net_ambiguous(CURLcode rc);
int net_permanent(CURLcode rc);

#endif
