/* net.h: libcurl set-up shared by mail.c and zendesk.c, and nothing else. */
#ifndef NET_H
#define NET_H

#include <curl/curl.h>

CURL *net_open(const char *what, int insecure, const char *ca_file);
void net_close(CURL *c);
int net_secret(const char *what, const char *env, const char *file,
    char **out);
CURLcode net_perform(CURL *c, sqlite3_str *body);
int net_ambiguous(CURLcode rc);
int net_permanent(CURLcode rc);

#endif
