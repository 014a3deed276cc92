/* notes.c: end-of-conversation notes: their text from an option, a file,
 * standard input or an editor, and appending them. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libchat.h"

/* in, checked as a note (what names it in messages): *out, a copy, is the
 * caller's, to free(). */
static int
note_text(const char *in, size_t len, const char *what, char **out)
{
	*out = NULL;
	/* The byte-order mark some editors put first is no part of the text. */
	if (len >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0) {
		in += 3;
		len -= 3;
	}
	if (memchr(in, '\0', len) != NULL)
		return chat_err(ST_DATA, "%s: a note cannot hold a NUL byte",
		    what);
	if (!utf8_valid(in, len))
		return chat_err(ST_DATA, "%s: a note must be valid UTF-8", what);
	while (len > 0 && strchr(" \t\r\n\v\f", in[len - 1]) != NULL)
		len--;
	if (len == 0)
		return chat_err(ST_DATA, "%s: empty note", what);
	if (len > NOTE_MAX)
		return chat_err(ST_DATA, "%s: note over %d bytes", what,
		    NOTE_MAX);
	if ((*out = malloc(len + 1)) == NULL)
		return chat_err(ST_DB, "out of memory");
	memcpy(*out, in, len);
	(*out)[len] = '\0';
	return 0;
}

/* Several -m are the paragraphs of one note, as with git commit -m a -m b:
 * each is checked as a note is, and they are joined by a blank line.
 * *note, grown here, is the caller's to free. */
int
note_paragraph(char **note, const char *m)
{
	char *p, *joined;
	size_t n, len;
	int rc;

	if ((rc = note_text(m, strlen(m), "-m", &p)) != 0 || *note == NULL) {
		if (rc == 0)
			*note = p;
		return rc;
	}
	n = strlen(*note);
	len = strlen(p);
	if (n + 2 + len > NOTE_MAX)
		rc = chat_err(ST_DATA, "-m: note over %d bytes", NOTE_MAX);
	else if ((joined = realloc(*note, n + 2 + len + 1)) == NULL)
		rc = chat_err(ST_DB, "out of memory");
	else {
		joined[n] = joined[n + 1] = '\n';
		memcpy(joined + n + 2, p, len + 1);
		*note = joined;
	}
	free(p);
	return rc;
}

/* Reads a whole note; what is far past NOTE_MAX is refused unread. */
static int
read_all(int fd, const char *what, char **buf, size_t *len)
{
	size_t cap = 4096;
	char *nb;
	ssize_t n;

	*len = 0;
	if ((*buf = malloc(cap)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (;;) {
		if (*len == cap) {
			if (cap > 4 * NOTE_MAX)
				return chat_err(ST_DATA, "%s: note over %d "
				    "bytes", what, NOTE_MAX);
			if ((nb = realloc(*buf, cap * 2)) == NULL)
				return chat_err(ST_DB, "out of memory");
			*buf = nb;
			cap *= 2;
		}
		if ((n = read(fd, *buf + *len, cap - *len)) < 0 &&
		    errno == EINTR)
			continue;
		if (n < 0)
			return chat_err(ST_DATA, "%s: %s", what,
			    strerror(errno));
		if (n == 0)
			return 0;
		*len += (size_t)n;
	}
}

static int
read_note(int fd, const char *what, int empty_ok, char **out)
{
	char *buf;
	size_t len, i;
	int rc;

	*out = NULL;
	if ((rc = read_all(fd, what, &buf, &len)) == 0) {
		for (i = 0; i < len && strchr(" \t\r\n\v\f", buf[i]); i++)
			;
		if (i == len && empty_ok)
			rc = chat_err(ST_SOME, "empty note: nothing written");
		else
			rc = note_text(buf, len, what, out);
	}
	free(buf);
	return rc;
}

static int
read_path(const char *path, int empty_ok, char **out)
{
	int fd, rc;

	if (strcmp(path, "-") == 0)
		return read_note(0, "stdin", empty_ok, out);
	if ((fd = input_open(path)) < 0)
		return ST_USAGE;
	rc = read_note(fd, path, empty_ok, out);
	close(fd);
	return rc;
}

int
note_read(const char *path, char **out)
{
	return read_path(path, 0, out);
}

/* $VISUAL, else $EDITOR, else vi, on an empty file: left empty, it means
 * no note. */
int
note_edit(char **out)
{
	const char *editor = getenv("VISUAL");
	char path[] = "/tmp/chat-note-XXXXXX";
	pid_t pid;
	int fd, status, rc;

	*out = NULL;
	if (editor == NULL || *editor == '\0')
		editor = getenv("EDITOR");
	if (editor == NULL || *editor == '\0')
		editor = "vi";
	if ((fd = mkstemp(path)) < 0)
		return chat_err(ST_DB, "%s: %s", path, strerror(errno));
	close(fd);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", editor, path,
		    (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		unlink(path);
		return chat_err(ST_SOME, "%s failed; no note written", editor);
	}
	rc = read_path(path, 1, out);
	unlink(path);
	return rc;
}

/* The batch's conversations a change at ?1 cannot be for, ?2 being now
 * and ?3 "what time TIME". */
#define TOO_EARLY(TIME) "SELECT b.id, b.id || ': ' || ?3 || CASE WHEN ?1 <" \
	" c.started_at THEN ' is before the conversation''s start, ' || " \
	TIME("c.started_at") " ELSE ' is in the future' END FROM batch_ok b" \
	" CROSS JOIN conversations c WHERE c.id = b.id AND (?1 < c.started_at" \
	" OR ?1 > ?2 + " XSTR(CLOCK_SKEW) ")"

int
when_check(const char *what, const struct when *when, int64_t *at)
{
	int64_t now = db_now();
	char why[64], t[32];

	*at = when->given ? (int64_t)when->at : now;
	if (!when->given)
		return 0;
	snprintf(why, sizeof why, "%s time %s", what, time_rfc3339(when->at,
	    t));
	return idtab_refuse(ST_DATA, DB_SQL(TOO_EARLY(LITE_TIME),
	    TOO_EARLY(PG_TIME)), "checking the time", "iit", *at, now, why);
}

/* The batch's conversations o without the note ?N, by a join: NOT EXISTS
 * costs as much again as the lookup it makes. */
#define NOTELESS(N) " FROM batch_ok o LEFT JOIN notes n ON n.conversation =" \
	" o.id AND n.body = ?" #N " WHERE n.id IS NULL ORDER BY o.seq"

void
note_detail(const char *text, char detail[64])
{
	size_t len = strcspn(text, "\n");

	if (len > 63)
		len = utf8_cut(text, 63);
	memcpy(detail, text, len);
	detail[len] = '\0';
}

/* Appends the note to the batch's conversations but those that have that
 * very note already: a command run twice adds it once. The note and its
 * event are at its time. notes_apply(), chat-note's, also writes it back
 * to Chatwoot when that is on. */
int
notes_add(const struct note_req *r)
{
	const char *text = r->text;
	int64_t at;
	char detail[64];
	int rc;

	if ((rc = when_check("note", &r->when, &at)) != 0)
		return rc;
	note_detail(text, detail);
	if ((rc = db_run("INSERT INTO events (conversation, at, actor,"
	    " action, detail) SELECT o.id, ?1, ?2, 'noted', ?3" NOTELESS(4),
	    "adding a note", "ittt", at, actor(), detail, text)) != 0)
		return rc;
	return db_run("INSERT INTO notes (conversation, at, author, body)"
	    " SELECT o.id, ?1, ?2, ?3" NOTELESS(3), "adding a note", "itt",
	    at, actor(), text);
}

int
notes_apply(const void *req)
{
	struct wb_mark m;
	int rc;

	if ((rc = outbox_mark(&m)) == 0 && (rc = notes_add(req)) == 0)
		rc = outbox_writeback(&m);
	return rc;
}
