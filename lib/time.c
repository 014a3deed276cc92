/* time.c: times and durations in (every form chat-tools(7) lists) and out. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat.h"

#define MAX_TIME 253402300799LL		/* 9999-12-31T23:59:59Z */

/* Exactly n digits: strtol() would take a sign, blanks and any width. */
static int
digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

/* The run of digits at *p, by strtoll(), as a number of seconds up to
 * MAX_TIME; a sign or a blank before it is refused. */
static int
seconds(const char **p, long long *v)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	*v = strtoll(*p, &end, 10);
	if (errno != 0 || *v > MAX_TIME)
		return -1;
	*p = end;
	return 0;
}

/* A fraction of a second after *p, if any: a point or a comma and at
 * least one digit; it is dropped, as times are whole seconds. */
static int
fraction(const char **p)
{
	if (**p != '.' && **p != ',')
		return 0;
	if (!isdigit((unsigned char)(*p)[1]))
		return -1;
	for (++*p; isdigit((unsigned char)**p); ++*p)
		;
	return 0;
}

/* UNIX seconds, with a fraction dropped: "1583240757", "1583240757.123". */
static int
unix_seconds(const char *p, time_t *out)
{
	long long v;

	if (seconds(&p, &v) || fraction(&p) || *p != '\0')
		return -1;
	*out = (time_t)v;
	return 0;
}

static int
month_days(int y, int m)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

static int
local_midnight(time_t now, int days_back, time_t *out)
{
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		return -1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday -= days_back;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return 0;
}

static int
parse_absolute(const char *p, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, s = 0, zone = 0, oh, om, sign, colon;
	struct tm tm = {0};
	time_t t;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &s) || fraction(&p))
				return -1;
		}
		if (h > 23 || mi > 59 || s > 60)
			return -1;
		if (s == 60)
			s = 59;
		/* RFC 3339's Z, or what Ruby's and PostgreSQL's text forms of a
		 * time end with: " UTC", "+02", " +0200". */
		if (*p == 'Z' || *p == 'z') {
			zone = 1;
			p++;
		} else if (*p == ' ' && (strcmp(p, " UTC") == 0 ||
		    strcmp(p, " GMT") == 0)) {
			zone = 1;
			p += 4;
		} else if ((*p == ' ' && (p[1] == '+' || p[1] == '-')) ||
		    *p == '+' || *p == '-') {
			p += *p == ' ';
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh))
				return -1;
			/* The minutes may be left out, not after a colon. */
			om = 0;
			colon = *p == ':';
			p += colon;
			if ((colon || *p != '\0') && digits(&p, 2, &om))
				return -1;
			if (oh > 23 || om > 59)
				return -1;
			zone = 1;
			h -= sign * oh;
			mi -= sign * om;
		}
	}
	if (*p != '\0')
		return -1;
	/* An offset left h and mi out of range: timegm() carries them. */
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	t = zone ? timegm(&tm) : mktime(&tm);
	if (t < 0 || t > MAX_TIME)
		return -1;
	*out = t;
	return 0;
}

int
duration_parse(const char *s, long *secs)
{
	long long total = 0, n;
	int mult;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (seconds(&s, &n))
			return -1;
		switch (*s++) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 7 * 86400; break;
		default: return -1;
		}
		total += n * mult;
		if (total > MAX_TIME)
			return -1;
	}
	*secs = (long)total;
	return 0;
}

int
time_parse(const char *s, time_t now, time_t *out)
{
	char buf[64];
	size_t len = strlen(s);
	long d;

	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strcmp(s, "today") == 0)
		return local_midnight(now, 0, out);
	if (strcmp(s, "yesterday") == 0)
		return local_midnight(now, 1, out);
	if (s[0] == '@')
		return unix_seconds(s + 1, out);
	/* Digits alone are UNIX seconds too, as platforms send them, when
	 * there are 9 or more (1973-03-03 on): "2020" or "90" are more
	 * likely a year or a duration without its unit than 1970. */
	if (strspn(s, "0123456789") >= 9)
		return unix_seconds(s, out);
	if (len >= 10 && s[4] == '-')
		return parse_absolute(s, out);
	if (*s == '-') {
		s++;
		len--;
	} else if (len > 4 && strcmp(s + len - 4, " ago") == 0)
		len -= 4;
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (duration_parse(buf, &d) || d > now)
		return -1;
	*out = now - d;
	return 0;
}

static char *
time_fmt(time_t t, int utc, const char *fmt, char buf[32])
{
	struct tm tm;

	if ((utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL ||
	    strftime(buf, 32, fmt, &tm) == 0)
		snprintf(buf, 32, "@%lld", (long long)t);
	return buf;
}

char *
time_local(time_t t, char buf[32])
{
	return time_fmt(t, 0, "%Y-%m-%d %H:%M", buf);
}

char *
time_rfc3339(time_t t, char buf[32])
{
	return time_fmt(t, 1, "%Y-%m-%dT%H:%M:%SZ", buf);
}

char *
duration_fmt(long secs, char buf[32])
{
	const char *sign = secs < 0 ? "-" : "";

	if (secs < 0)
		secs = -secs;
	if (secs < 60)
		snprintf(buf, 32, "%s%lds", sign, secs);
	else if (secs < 3600)
		snprintf(buf, 32, "%s%ldm%02lds", sign, secs / 60, secs % 60);
	else if (secs < 86400)
		snprintf(buf, 32, "%s%ldh%02ldm", sign, secs / 3600,
		    secs % 3600 / 60);
	else
		snprintf(buf, 32, "%s%ldd%02ldh", sign, secs / 86400,
		    secs % 86400 / 3600);
	return buf;
}

/* The time zone of local time at t: "CET (UTC+01:00)", or "UTC", or
 * "UTC-03:00" where the zone's abbreviation is only its offset; in short,
 * the abbreviation (or that offset) alone. */
char *
time_zone(time_t t, int brief, char buf[64])
{
	struct tm tm;
	char abbr[16], off[40];
	int gmtoff;

	if (localtime_r(&t, &tm) == NULL) {
		snprintf(buf, 64, "UTC");
		return buf;
	}
	if (strftime(abbr, sizeof abbr, "%Z", &tm) == 0)
		abbr[0] = '\0';
	gmtoff = (int)(tm.tm_gmtoff % 86400);
	if (gmtoff == 0)
		snprintf(off, sizeof off, "UTC");
	else
		snprintf(off, sizeof off, "UTC%c%02d:%02d", gmtoff < 0 ? '-' :
		    '+', abs(gmtoff) / 3600, abs(gmtoff) % 3600 / 60);
	if (abbr[0] == '\0' || abbr[0] == '+' || abbr[0] == '-' ||
	    (strcmp(abbr, "UTC") == 0 && gmtoff == 0))
		snprintf(buf, 64, "%s", off);
	else if (brief)
		snprintf(buf, 64, "%s", abbr);
	else
		snprintf(buf, 64, "%s (%s)", abbr, off);
	return buf;
}
