/* signature.c: the HMAC-SHA256 signature of a webhook delivery checked. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "libchat.h"

/* Ruby's Integer#to_s of the time: decimal digits only; 18 of them keep
 * any value in an int64_t. */
#define TS_DIGITS 18

/* A hex digit's value, -1 for any other character. */
static int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *
signature_parse(const char *ts, const char *sig, int64_t *t,
    unsigned char mac[SIGNATURE_LEN])
{
	const char *p;
	size_t i, n = strlen(ts);
	int hi, lo;

	if (n == 0 || n > TS_DIGITS || strspn(ts, "0123456789") != n)
		return "the timestamp is not Unix seconds";
	for (*t = 0, p = ts; *p; p++)
		*t = *t * 10 + (*p - '0');
	if (strncmp(sig, "sha256=", 7) != 0 ||
	    strlen(sig + 7) != 2 * SIGNATURE_LEN)
		return "the signature is not sha256= and 64 hexadecimal digits";
	for (i = 0, p = sig + 7; i < SIGNATURE_LEN; i++, p += 2) {
		if ((hi = hex_digit(p[0])) < 0 || (lo = hex_digit(p[1])) < 0)
			return "the signature is not sha256= and 64 hexadecimal "
			    "digits";
		mac[i] = (unsigned char)(hi << 4 | lo);
	}
	return NULL;
}

int
signature_verify(const char *secret, const char *ts, const char *sig,
    const char *body, size_t len, time_t now, const char **why)
{
	unsigned char mac[SIGNATURE_LEN], want[EVP_MAX_MD_SIZE];
	unsigned int wantlen = 0;
	size_t tslen = strlen(ts);
	int64_t t;
	char *signed_text;
	int ok;

	if ((*why = signature_parse(ts, sig, &t, mac)) != NULL)
		return ST_DATA;
	/* A delivery signed long ago is one recorded and sent again; the
	 * window is both ways, as the two clocks may differ. */
	if (t < (int64_t)now - SIGNATURE_WINDOW ||
	    t > (int64_t)now + SIGNATURE_WINDOW) {
		*why = "stale: the timestamp is more than "
		    XSTR(SIGNATURE_WINDOW) " s from now (a replay, or a "
		    "clock that is wrong)";
		return ST_DATA;
	}
	if ((signed_text = malloc(tslen + 1 + len + 1)) == NULL)
		return chat_err(ST_DB, "out of memory");
	memcpy(signed_text, ts, tslen);
	signed_text[tslen] = '.';
	memcpy(signed_text + tslen + 1, body, len);
	ok = HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)signed_text, tslen + 1 + len, want,
	    &wantlen) != NULL && wantlen == SIGNATURE_LEN &&
	    CRYPTO_memcmp(mac, want, SIGNATURE_LEN) == 0;
	OPENSSL_cleanse(want, sizeof want);
	free(signed_text);
	if (!ok) {
		*why = "the signature does not match the payload (another "
		    "secret, or a payload changed on its way)";
		return ST_DATA;
	}
	return 0;
}
