/* utf8.c: UTF-8 validity, for text that will be stored and shown. */
#include <stddef.h>

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
