/* signature.c: the HMAC-SHA256 signature of a webhook delivery checked. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "libchat.h"

/* Ruby's Integer#to_s of the time: decimal digits only; 18 of them keep
 * any value in an int64_t. */
#define TS_DIGITS 18

#ifndef CRYPTO_SONAME
#error "CRYPTO_SONAME: the soname of the libcrypto to load (the Makefile's)"
#endif

/* libcrypto's functions, loaded by the first check: linked, libcrypto
 * would add a millisecond to every start of chat-import, which checks a
 * signature only when a secret is configured. */
static struct {
	__typeof__(&HMAC) hmac;
	__typeof__(&EVP_sha256) sha256;
	__typeof__(&CRYPTO_memcmp) memcmp;
	__typeof__(&OPENSSL_cleanse) cleanse;
} crypto;

/* The function name in handle h into *fn, a pointer to a function
 * pointer: ISO C has no conversion of dlsym()'s void pointer to one. */
static int
crypto_sym(void *h, const char *name, void *fn, size_t size)
{
	void *p = dlsym(h, name);

	if (p != NULL)
		memcpy(fn, &p, size);
	return p != NULL;
}

static int
crypto_load(void)
{
	void *h;

	if (crypto.hmac != NULL)
		return 0;
	if ((h = dlopen(CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    !crypto_sym(h, "EVP_sha256", &crypto.sha256,
	    sizeof crypto.sha256) ||
	    !crypto_sym(h, "CRYPTO_memcmp", &crypto.memcmp,
	    sizeof crypto.memcmp) ||
	    !crypto_sym(h, "OPENSSL_cleanse", &crypto.cleanse,
	    sizeof crypto.cleanse) ||
	    !crypto_sym(h, "HMAC", &crypto.hmac, sizeof crypto.hmac)) {
		crypto.hmac = NULL;
		if (h != NULL)
			dlclose(h);
		return chat_err(ST_CONFIG, "cannot load %s, to check the "
		    "signature: %s", CRYPTO_SONAME, dlerror());
	}
	return 0;
}

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
	if ((ok = crypto_load()) != 0)
		return ok;
	if ((signed_text = malloc(tslen + 1 + len + 1)) == NULL)
		return chat_err(ST_DB, "out of memory");
	memcpy(signed_text, ts, tslen);
	signed_text[tslen] = '.';
	memcpy(signed_text + tslen + 1, body, len);
	ok = crypto.hmac(crypto.sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)signed_text, tslen + 1 + len, want,
	    &wantlen) != NULL && wantlen == SIGNATURE_LEN &&
	    crypto.memcmp(mac, want, SIGNATURE_LEN) == 0;
	crypto.cleanse(want, sizeof want);
	free(signed_text);
	if (!ok) {
		*why = "the signature does not match the payload (another "
		    "secret, or a payload changed on its way)";
		return ST_DATA;
	}
	return 0;
}
