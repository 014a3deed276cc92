/* utf8.c: UTF-8 validity, for text that will be stored and shown. */
#include <stddef.h>
#include <stdio.h>

#include "chat.h"

/* Rejects overlong forms, surrogates and code points past U+10FFFF. */
int
utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;
	static const unsigned int least[] = { 0, 0x80, 0x800, 0x10000 };
	unsigned int c;
	int n, need;

	while (s < end) {
		c = *s++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, c &= 0x07;
		else
			return 0;
		if (end - s < n)
			return 0;
		need = n;
		while (n-- > 0) {
			if ((*s & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (*s++ & 0x3f);
		}
		if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff ||
		    c < least[need])
			return 0;
	}
	return 1;
}

/* C0, DEL and C1 (U+0080-U+009F, C2 80-C2 9F in UTF-8): the characters a
 * terminal or a mail reader acts on rather than shows.  The code point of
 * the one s starts with, its length in *n; -1 when s starts with another. */
int
utf8_control(const char *str, size_t *n)
{
	const unsigned char *s = (const unsigned char *)str;

	*n = 1;
	if (*s < 0x20 || *s == 0x7f)
		return *s;
	if (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
		*n = 2;
		return s[1];
	}
	return -1;
}

/* Why s cannot be a one-line field (a name, an address, a ref): NULL when
 * it can; else the reason, in a buffer the next call reuses. */
const char *
one_line_fault(const char *s)
{
	static char why[64];
	size_t n;
	int c;

	for (; *s != '\0'; s += n)
		if ((c = utf8_control(s, &n)) >= 0) {
			snprintf(why, sizeof why, "control character U+%04X "
			    "in a one-line field", (unsigned int)c);
			return why;
		}
	return NULL;
}

/* The longest length up to n that ends s between two characters: s holds
 * at least n + 1 bytes, its NUL included. */
size_t
utf8_cut(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}
