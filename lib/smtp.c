/* smtp.c: a message sent through libcurl's SMTP, the server's reply kept
 * in its own words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libchat.h"
#include "net.h"

struct upload {
	const char *data;
	size_t len, off;
};

static size_t
feed(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t len = size * n;

	if (len > u->len - u->off)
		len = u->len - u->off;
	memcpy(buf, u->data + u->off, len);
	u->off += len;
	return len;
}

/* The address of mail.from, for MAIL FROM: the caller's, to
 * sqlite3_free(); NULL when out of memory. */
static char *
sender(const char *from)
{
	const char *lt = strchr(from, '<');

	if (lt == NULL)
		return sqlite3_mprintf("<%s>", from);
	return sqlite3_mprintf("%.*s", (int)(strcspn(lt, ">") + 1), lt);
}

/* The server's replies, as it said them (the outbox shows their control
 * characters as \xHH): the lines of a multi-line reply joined; the last
 * one, and the last that refused (4xx, 5xx). */
struct reply {
	char text[256], refusal[256];
	size_t len;
	int done;
};

static void
reply_put(struct reply *r, const char *s, size_t n)
{
	if (n > sizeof r->text - 1 - r->len)
		n = sizeof r->text - 1 - r->len;
	memcpy(r->text + r->len, s, n);
	r->len += n;
	r->text[r->len] = '\0';
}

/* libcurl hands each line the server answers to the header function. */
static size_t
reply_line(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (r->done) {
		r->len = 0;
		r->text[0] = '\0';
	}
	if (r->len == 0)
		reply_put(r, data, len);
	else if (len > 4) {
		reply_put(r, " ", 1);
		reply_put(r, data + 4, len - 4);
	}
	r->done = len < 4 || data[3] != '-';
	/* A refusal is kept: libcurl may say QUIT after it. */
	if (r->done && (r->text[0] == '4' || r->text[0] == '5'))
		memcpy(r->refusal, r->text, sizeof r->refusal);
	return size * n;
}

int
mail_send(const char *to, const char *message, struct sent *r)
{
	const struct config *cfg;
	struct curl_slist *rcpt = NULL;
	struct upload u = { message, strlen(message), 0 };
	struct reply reply = { "", "", 0, 0 };
	char *password = NULL, *from = NULL, why[512];
	CURLcode cc;
	long code = 0;
	CURL *c;
	int rc, absent;

	memset(r, 0, sizeof *r);
	if ((rc = config_get(&cfg)) != 0)
		return rc;
	if ((rc = target_check("mail", why, sizeof why, &absent)) != 0 ||
	    (rc = target_secret("mail", cfg->mail_password_env,
	    cfg->mail_password_file, &password, why, sizeof why)) != 0)
		return rc == ST_CONFIG ? chat_err(rc, "%s", why) : rc;
	if ((c = net_open("mail", cfg->mail_insecure, cfg->mail_ca_file))
	    == NULL) {
		free(password);
		return ST_TEMP;
	}
	from = sender(cfg->mail_from);
	rcpt = curl_slist_append(NULL, to);
	curl_easy_setopt(c, CURLOPT_URL, cfg->mail_url);
	curl_easy_setopt(c, CURLOPT_USE_SSL, cfg->mail_insecure ?
	    (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, reply_line);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply);
	if (cfg->mail_username != NULL)
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->mail_username);
	if (password != NULL)
		curl_easy_setopt(c, CURLOPT_PASSWORD, password);
	cc = net_perform(c, NULL);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK)
		r->status = 0;
	else {
		/* 4xx replies and transport trouble pass; 5xx and refusals
		 * of login or TLS are for good. */
		r->status = (code >= 500 || net_permanent(cc)) && !(code >= 400 &&
		    code < 500) ? ST_REMOTE : ST_TEMP;
		/* A refusal in the server's own words; anything else (a
		 * connection, TLS) in libcurl's. */
		if (code >= 400 && strtol(reply.refusal, NULL, 10) == code)
			snprintf(r->error, sizeof r->error, "%s", reply.refusal);
		else
			net_error("mail", cc, r->error, sizeof r->error);
	}
	curl_slist_free_all(rcpt);
	sqlite3_free(from);
	net_close(c);
	if (password != NULL) {
		memset(password, 0, strlen(password));
		free(password);
	}
	return 0;
}
