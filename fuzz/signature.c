/* fuzz/signature.c: a delivery's X-Chatwoot-Timestamp and
 * X-Chatwoot-Signature headers, then its body: the input's first line, its
 * second, and the rest. What signature_parse() accepts must be digits and
 * "sha256=" with 64 hex digits, read back to the same time and MAC; the
 * signature is refused, and the MAC made of the body under the secret is
 * accepted at its time and refused more than SIGNATURE_WINDOW away. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "libchat.h"
#include "fuzz.h"

static const char secret[] = "fuzz-secret";

/* A NUL-terminated copy of the input's next line (all the rest when it has
 * none), *p moved past it. The caller frees it. */
static char *
line_of(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	char *s;

	if (nl == NULL)
		nl = end;
	s = fuzz_string((const uint8_t *)*p, (size_t)(nl - *p));
	*p = nl < end ? nl + 1 : end;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = (const char *)data, *end = p + size, *why;
	unsigned char mac[SIGNATURE_LEN], want[EVP_MAX_MD_SIZE];
	unsigned int wantlen;
	char *ts = line_of(&p, end), *sig = line_of(&p, end), *text, good[72];
	size_t i, tslen = strlen(ts), len = (size_t)(end - p);
	int64_t t, back;

	if (signature_parse(ts, sig, &t, mac) == NULL) {
		if (tslen == 0 || strspn(ts, "0123456789") != tslen)
			fuzz_fail("a timestamp of more than digits was read");
		for (back = 0, i = 0; i < tslen; i++)
			back = back * 10 + (ts[i] - '0');
		if (back != t)
			fuzz_fail("a timestamp read as another time");
		if (strncmp(sig, "sha256=", 7) != 0 || strlen(sig) != 71 ||
		    strspn(sig + 7, "0123456789abcdefABCDEF") != 64)
			fuzz_fail("a signature of another form was read");
		for (i = 0; i < SIGNATURE_LEN; i++)
			if ((strchr(hex, sig[7 + 2 * i] | 0x20) - hex) << 4 !=
			    (mac[i] & 0xf0) ||
			    strchr(hex, sig[8 + 2 * i] | 0x20) - hex !=
			    (mac[i] & 0x0f))
				fuzz_fail("a signature read as another MAC");
		/* The body's own MAC, made here by libcrypto alone. */
		if ((text = malloc(tslen + 1 + len + 1)) == NULL)
			fuzz_fail("out of memory");
		else {
			memcpy(text, ts, tslen);
			text[tslen] = '.';
			memcpy(text + tslen + 1, p, len);
			if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
			    (unsigned char *)text, tslen + 1 + len, want,
			    &wantlen) == NULL)
				fuzz_fail("HMAC");
			free(text);
		}
		memcpy(good, "sha256=", 7);
		for (i = 0; i < SIGNATURE_LEN; i++) {
			good[7 + 2 * i] = hex[want[i] >> 4];
			good[8 + 2 * i] = hex[want[i] & 0x0f];
		}
		good[71] = '\0';
		if (signature_verify(secret, ts, good, p, len, (time_t)t,
		    &why) != 0)
			fuzz_fail("a body's own signature is refused");
		if (signature_verify(secret, ts, good, p, len,
		    (time_t)t + SIGNATURE_WINDOW + 1, &why) != ST_DATA ||
		    signature_verify(secret, ts, good, p, len,
		    (time_t)t - SIGNATURE_WINDOW - 1, &why) != ST_DATA)
			fuzz_fail("a stale signature is accepted");
		if (memcmp(mac, want, SIGNATURE_LEN) != 0 &&
		    signature_verify(secret, ts, sig, p, len, (time_t)t,
		    &why) != ST_DATA)
			fuzz_fail("another signature than the body's is "
			    "accepted");
	} else if (signature_verify(secret, ts, sig, p, len, 0, &why) !=
	    ST_DATA || why == NULL)
		fuzz_fail("a malformed header is not refused with why");
	free(ts);
	free(sig);
	return 0;
}
