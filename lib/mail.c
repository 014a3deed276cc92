/* mail.c: a conversation as an RFC 5322 message (UTF-8, quoted-printable),
 * for a delivery and for chat-export -f eml. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libchat.h"

/* Base64 and quoted-printable stay written here: libcurl's encoders work
 * only inside a MIME part it uploads itself, never into a buffer, and
 * chat-export -f eml needs the message in one; nor would the binaries
 * that only queue deliveries or export link libcurl for them (net.c). */
static void
base64(sqlite3_str *out, const unsigned char *s, size_t len)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	unsigned long v;

	for (i = 0; i < len; i += 3) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		sqlite3_str_appendchar(out, 1, b64[v >> 18 & 63]);
		sqlite3_str_appendchar(out, 1, b64[v >> 12 & 63]);
		sqlite3_str_appendchar(out, 1, i + 1 < len ? b64[v >> 6 & 63] : '=');
		sqlite3_str_appendchar(out, 1, i + 2 < len ? b64[v & 63] : '=');
	}
}

/* Header lines: at most 78 characters (RFC 5322 2.1.1), and 76 when they
 * hold an encoded word (RFC 2047 2), whatever a visitor's name holds. */
#define HEADER_LINE 78
#define ENCODED_LINE 76

/* Whether a value must go as encoded words: not printable ASCII, or
 * holding what a reader would decode ("=?"), or, in a phrase (a display
 * name), a special that would need quoting. */
static int
needs_encoding(const char *value, int phrase)
{
	const unsigned char *s;

	for (s = (const unsigned char *)value; *s; s++)
		if (*s < 0x20 || *s >= 0x7f || (s[0] == '=' && s[1] == '?') ||
		    (phrase && strchr("()<>[]:;@\\,.\"", *s) != NULL))
			return 1;
	return 0;
}

/* Whether plain words fold into lines of HEADER_LINE from column col: one
 * space between words, none at either end, and no word too long for a
 * line of its own. */
static int
folds(const char *value, size_t col)
{
	size_t n;
	int first = 1;

	if (*value == '\0')
		return 1;
	for (;;) {
		n = strcspn(value, " ");
		if (n == 0 || n > HEADER_LINE - 1 ||
		    (first && col + n > HEADER_LINE))
			return 0;
		first = 0;
		if (value[n] == '\0')
			return 1;
		value += n + 1;
	}
}

/* Appends a header's value after its name, from column col (past the
 * ": "): plain words folded at their spaces when they can be, else RFC
 * 2047 encoded words, each on its own line, cut between characters (or
 * anywhere, in bytes that are not UTF-8 and have no such place). Returns
 * the column where the value ends; *encoded says whether that line holds
 * an encoded word. */
static size_t
header_value(sqlite3_str *out, size_t col, const char *value, int phrase,
    int *encoded)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t len = strlen(value), i, n, room, w;

	*encoded = 0;
	if (!needs_encoding(value, phrase) && folds(value, col)) {
		for (i = 0; i < len; i += n) {
			n = strcspn(value + i, " ");
			if (i > 0 && col + 1 + n > HEADER_LINE) {
				sqlite3_str_appendall(out, "\r\n");
				col = 0;
			}
			if (i > 0) {
				sqlite3_str_appendchar(out, 1, ' ');
				col++;
			}
			sqlite3_str_append(out, value + i, (int)n);
			col += n;
			if (value[i + n] == ' ')
				n++;
		}
		return col;
	}
	*encoded = 1;
	for (i = 0; i < len; i += n) {
		/* "=?UTF-8?B?" and "?=" take 12; 4 base64 characters carry
		 * 3 bytes. */
		room = col + 12 < ENCODED_LINE ? (ENCODED_LINE - col - 12) / 4 *
		    3 : 0;
		if (room < 6 || i > 0) {
			sqlite3_str_appendall(out, i > 0 || col > 0 ? "\r\n " :
			    " ");
			col = 1;
			room = (ENCODED_LINE - 1 - 12) / 4 * 3;
		}
		n = len - i < room ? len - i : room;
		while (i + n < len && n > 0 && (s[i + n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			n = len - i < room ? len - i : room;
		sqlite3_str_appendall(out, "=?UTF-8?B?");
		base64(out, s + i, n);
		sqlite3_str_appendall(out, "?=");
		w = (n + 2) / 3 * 4;
		col += 12 + w;
	}
	return col;
}

/* A header whose value is one word, an address or an id: after the colon
 * on the same line when it fits, else on a folded line of its own (a word
 * longer than a line stays whole: RFC 5322 allows 998). */
static void
header_word(sqlite3_str *out, const char *name, const char *value)
{
	if (strlen(name) + 2 + strlen(value) <= HEADER_LINE)
		sqlite3_str_appendf(out, "%s: %s\r\n", name, value);
	else
		sqlite3_str_appendf(out, "%s:\r\n %s\r\n", name, value);
}

/* A header of text, such as the Subject. */
static void
header_text(sqlite3_str *out, const char *name, const char *value)
{
	int encoded;

	sqlite3_str_appendf(out, "%s: ", name);
	header_value(out, strlen(name) + 2, value, 0, &encoded);
	sqlite3_str_appendall(out, "\r\n");
}

/* From: with its display name encoded when it is not plain ASCII, and the
 * address on the name's line when it fits there. */
static void
from_header(sqlite3_str *out, const char *from)
{
	const char *lt = strchr(from, '<'), *end = lt;
	char *name;
	size_t col;
	int encoded;

	while (end != NULL && end > from && end[-1] == ' ')
		end--;
	if (lt == NULL || end == from) {
		header_word(out, "From", lt ? lt : from);
		return;
	}
	sqlite3_str_appendall(out, "From: ");
	name = sqlite3_mprintf("%.*s", (int)(end - from), from);
	col = header_value(out, 6, name ? name : "", 1, &encoded);
	sqlite3_free(name);
	if (col + 1 + strlen(lt) <= (encoded ? ENCODED_LINE : HEADER_LINE))
		sqlite3_str_appendf(out, " %s\r\n", lt);
	else
		sqlite3_str_appendf(out, "\r\n %s\r\n", lt);
}

/* Quoted-printable, lines of at most 76 characters, CRLF. */
static void
quoted_printable(sqlite3_str *out, const char *text)
{
	const unsigned char *p;
	int col = 0, literal, w;

	for (p = (const unsigned char *)text; *p; p++) {
		if (*p == '\n') {
			sqlite3_str_appendall(out, "\r\n");
			col = 0;
			continue;
		}
		literal = (*p >= 33 && *p <= 126 && *p != '=') ||
		    ((*p == ' ' || *p == '\t') && p[1] != '\n' && p[1] != '\0');
		w = literal ? 1 : 3;
		if (col + w > 75) {
			sqlite3_str_appendall(out, "=\r\n");
			col = 0;
		}
		if (literal)
			sqlite3_str_appendchar(out, 1, (char)*p);
		else
			sqlite3_str_appendf(out, "=%02X", *p);
		col += w;
	}
	if (col > 0)
		sqlite3_str_appendall(out, "\r\n");
}

/* The domain of mail.from, for Message-IDs. */
static const char *
domain(const struct config *cfg, char buf[256])
{
	const char *at = cfg->mail_from ? strrchr(cfg->mail_from, '@') : NULL;
	size_t n;

	if (at == NULL)
		return "localhost";
	n = strcspn(at + 1, ">");
	snprintf(buf, 256, "%.*s", (int)n, at + 1);
	return buf;
}

static const char message_head[] =
	"SELECT coalesce(c.ref, 'chat-' || c.id), coalesce(c.visitor, 'a visitor'),"
	" c.channel FROM conversations c WHERE c.id = ?";

/* The message of conversation id: to may be NULL (an export), and key
 * names the delivery in the Message-ID, so that a retry is recognised;
 * the Message-ID is also left in msgid. */
int
mail_message(int64_t id, const char *to, const char *key, time_t date,
    sqlite3_str *out, char msgid[300])
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const months[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	static const char *const subject_words[] = {
		"Conversation ", " with ", " ("
	};
	const struct config *cfg;
	struct stmt *st = db_prep(message_head);
	sqlite3_str *text;
	char *subject, *body, host[256];
	struct tm tm;
	int rc, i;

	if ((rc = config_get(&cfg)) != 0)
		return rc;
	if (st == NULL)
		return ST_DB;
	st_bind_int(st, 1, id);
	if (!db_row(st, "building a message", &rc)) {
		st_reset(st);
		return rc ? rc : ST_SOME;
	}
	/* Subject: Conversation REF with VISITOR (CHANNEL), each of the three
	 * shown as a one-line field, whatever an older import stored. */
	text = sqlite3_str_new(NULL);
	for (i = 0; i < 3; i++) {
		sqlite3_str_appendall(text, subject_words[i]);
		str_text(text, st_text(st, i),
		    (size_t)st_bytes(st, i), SHOW_FIELD);
	}
	sqlite3_str_appendchar(text, 1, ')');
	subject = sqlite3_str_finish(text);
	st_reset(st);
	gmtime_r(&date, &tm);
	from_header(out, cfg->mail_from ? cfg->mail_from : "chat-tools <chat-tools@localhost>");
	if (to != NULL)
		header_word(out, "To", to);
	header_text(out, "Subject", subject ? subject : "Conversation");
	sqlite3_free(subject);
	sqlite3_str_appendf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	snprintf(msgid, 300, "<chat-tools.%s@%s>", key, domain(cfg, host));
	header_word(out, "Message-ID", msgid);
	sqlite3_str_appendf(out, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "X-Chat-Tools-Conversation: %lld\r\n\r\n", (long long)id);
	text = sqlite3_str_new(NULL);
	rc = conv_text(id, 0, text);
	body = sqlite3_str_finish(text);
	if (rc == 0 && body != NULL)
		quoted_printable(out, body);
	sqlite3_free(body);
	return rc;
}
