/* fuzz/mail.c: the mail builder, on a conversation whose ref, visitor,
 * channel, message and note are the input's NUL-separated parts. Whatever
 * they hold, the message must be well formed: CRLF line ends only, header
 * lines of at most 78 characters and of 76 when they hold an encoded word
 * (RFC 5322 2.1.1, RFC 2047 2), encoded words of at most 75, body lines of
 * at most 76 (quoted-printable), and a header that nothing can add lines
 * to. */
#include <stdlib.h>
#include <string.h>

#include "libchat.h"
#include "fuzz.h"

static const char seed_sql[] =
	"INSERT INTO conversations (id, ref, started_at, last_activity_at)"
	" VALUES (1, 'C1', 1795392000, 1795392000);"
	"INSERT INTO messages (conversation, at, author, name, body)"
	" VALUES (1, 1795392000, 'visitor', 'Jane', 'hello');"
	"INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages;"
	"INSERT INTO notes (conversation, at, author, body)"
	" VALUES (1, 1795392000, 'alice', 'a note')";
static const char set_sql[] =
	"UPDATE conversations SET ref = ?1, visitor = ?2, channel = ?3"
	" WHERE id = 1;";

static const char *
part(char **s, const char *end)
{
	char *p = *s;

	*s += strlen(p) + (*s + strlen(p) < end);
	return p;
}

/* One header line of the message: a field name and a colon, or the fold
 * of the line before it. */
static int
header_line(const char *line, size_t n)
{
	size_t i;

	if (n > 0 && (line[0] == ' ' || line[0] == '\t'))
		return 1;
	for (i = 0; i < n && line[i] != ':'; i++)
		if (!(line[i] >= 33 && line[i] <= 126))
			return 0;
	return i > 0 && i < n;
}

/* Whether the line holds an encoded word, and none longer than 75. */
static int
encoded_words(const char *line, size_t n)
{
	const char *p = line, *end = line + n, *w;
	int any = 0;

	while ((w = memchr(p, '=', (size_t)(end - p))) != NULL) {
		if (w + 1 < end && w[1] == '?') {
			any = 1;
			/* =?charset?B?text?= */
			for (p = w + 2; p + 1 < end && !(p[0] == '?' &&
			    p[1] == '=' && p > w + 10); p++)
				;
			if (p + 1 >= end)
				fuzz_fail("an encoded word without its end");
			if (p + 2 - w > 75)
				fuzz_fail("an encoded word over 75 characters");
			p += 2;
		} else
			p = w + 1;
	}
	return any;
}

static void
check(const char *m)
{
	const char *line = m;
	int in_header = 1, subjects = 0;
	size_t n;

	for (; *line != '\0'; line += n + 2) {
		n = strcspn(line, "\r");
		if (line[n] != '\r' || line[n + 1] != '\n')
			fuzz_fail("a line not ended by CRLF");
		if (memchr(line, '\n', n) != NULL)
			fuzz_fail("a bare LF");
		if (n > 998)
			fuzz_fail("a line over 998 bytes");
		if (n == 0)
			in_header = 0;
		else if (in_header && !header_line(line, n))
			fuzz_fail("a header line that is not a field");
		else if (in_header && n > 78)
			fuzz_fail("a header line over 78 characters");
		else if (in_header && encoded_words(line, n) && n > 76)
			fuzz_fail("a line holding an encoded word over 76 "
			    "characters");
		else if (!in_header && n > 76)
			fuzz_fail("a quoted-printable line over 76 characters");
		if (in_header && strncmp(line, "Subject:", 8) == 0)
			subjects++;
	}
	if (subjects != 1 || in_header)
		fuzz_fail("not one Subject, or no body");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char *s = fuzz_string(data, size), *p = s, *m, msgid[300];
	const char *end = s + size, *ref, *visitor, *channel, *body, *note;
	struct stmt *set, *msg, *nt;
	sqlite3_str *out;

	if (!ready++) {
		fuzz_db();
		if (db_exec(seed_sql, "fuzz") != 0)
			fuzz_fail("seeding");
	}
	ref = part(&p, end);
	visitor = part(&p, end);
	channel = part(&p, end);
	body = part(&p, end);
	note = part(&p, end);
	set = db_prep(set_sql);
	msg = db_prep("UPDATE messages SET body = ?1 WHERE conversation = 1");
	nt = db_prep("UPDATE notes SET body = ?1 WHERE conversation = 1");
	if (set == NULL || msg == NULL || nt == NULL)
		fuzz_fail("prepare");
	st_bind_text(set, 1, *ref ? ref : NULL);
	st_bind_text(set, 2, visitor);
	st_bind_text(set, 3, *channel ? channel : "chat");
	st_bind_text(msg, 1, body);
	st_bind_text(nt, 1, note);
	if (db_begin() != 0 || st_step(set) != 0 ||
	    st_step(msg) != 0 ||
	    st_step(nt) != 0 || db_commit() != 0)
		fuzz_fail("setting the conversation");
	st_reset(set);
	st_reset(msg);
	st_reset(nt);
	out = sqlite3_str_new(NULL);
	if (mail_message(1, "visitor@example.com", "k", 1795392000, out,
	    msgid) != 0)
		fuzz_fail("mail_message");
	m = sqlite3_str_finish(out);
	check(m ? m : "");
	sqlite3_free(m);
	free(s);
	return 0;
}
