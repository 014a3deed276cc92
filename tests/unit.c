/* unit.c: C tests of lib/'s time parser, tag names, ids reader, line reader
 * and config loader; prints TAP. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libchat.h"

static int n, failed;
static char dir[] = "/tmp/chat-unit-XXXXXX";

static void
ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void
ok(int cond, const char *fmt, ...)
{
	va_list ap;
	char name[1024], *s;

	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	for (s = name; *s; s++)
		if (*s == '\n')
			*s = ' ';
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n, name);
	failed += !cond;
}

/* Standard error of the code under test goes to a file we read back. */
static int saved_err = -1;
static char errfile[64];

static void
capture(void)
{
	int fd;

	fflush(stderr);
	snprintf(errfile, sizeof errfile, "%s/stderr", dir);
	fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *
captured(void)
{
	static char buf[4096];
	FILE *fp;
	size_t len;

	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	buf[0] = '\0';
	if ((fp = fopen(errfile, "r")) != NULL) {
		len = fread(buf, 1, sizeof buf - 1, fp);
		buf[len] = '\0';
		fclose(fp);
	}
	return buf;
}

static void
parses(const char *s, time_t now, long long want)
{
	time_t t = 0;
	int rc = time_parse(s, now, &t);

	ok(rc == 0 && (long long)t == want, "time_parse(\"%s\") = %lld (got "
	    "%lld, rc %d)", s, want, (long long)t, rc);
}

static void
refuses(const char *s)
{
	time_t t;

	ok(time_parse(s, 1800000000, &t) != 0, "time_parse refuses \"%s\"", s);
}

static void
test_times(void)
{
	const time_t now = 1795437900;	/* 2026-11-23T09:25:00Z, a Monday */
	char buf[32];
	long d;

	setenv("TZ", "UTC", 1);
	tzset();
	parses("2026-11-23", now, 1795392000);
	parses("2026-11-23T14:05", now, 1795392000 + 14 * 3600 + 5 * 60);
	parses("2026-11-23 14:05:00", now, 1795392000 + 14 * 3600 + 5 * 60);
	parses("2026-11-23T14:05:07Z", now, 1795392000 + 50707);
	parses("2026-11-23T14:05:07.250Z", now, 1795392000 + 50707);
	parses("2026-11-23T14:05+02:00", now, 1795392000 + 12 * 3600 + 300);
	parses("2026-11-23T14:05-0130", now, 1795392000 + 15 * 3600 + 2100);
	parses("2028-02-29", now, 1835395200);
	parses("1970-01-01T00:00:00Z", now, 0);
	parses("@0", now, 0);
	parses("@1700000000", now, 1700000000);
	parses("now", now, now);
	parses("today", now, 1795392000);
	parses("yesterday", now, 1795392000 - 86400);
	parses("90s", now, now - 90);
	parses("30m", now, now - 1800);
	parses("2h", now, now - 7200);
	parses("-2h", now, now - 7200);
	parses("2h ago", now, now - 7200);
	parses("7d", now, now - 7 * 86400);
	parses("2w", now, now - 14 * 86400);
	parses("1h30m", now, now - 5400);
	/* The forms platforms send (chat-tools(7), TIMES). */
	parses("2020-03-03T13:05:57.123Z", now, 1583240757);
	parses("2020-03-03T13:05:57,5Z", now, 1583240757);
	parses("2020-03-03T15:05:57.999+02:00", now, 1583240757);
	parses("2020-03-03T13:05:57.123456789-00:00", now, 1583240757);
	parses("2020-03-03 13:05:57 UTC", now, 1583240757);
	parses("2020-03-03 13:05:57 GMT", now, 1583240757);
	parses("2020-03-03 14:05:57 +0100", now, 1583240757);
	parses("2020-03-03 10:05:57.123-03", now, 1583240757);
	parses("2020-03-03 13:05 UTC", now, 1583240700);
	parses("2020-03-03 13:05:57", now, 1583240757);	/* TZ is UTC */
	parses("1583240757", now, 1583240757);
	parses("1583240757.123", now, 1583240757);
	parses("@1583240757.5", now, 1583240757);
	parses("100000000", now, 100000000);
	refuses("2020-03-03T13:05:57.Z");
	refuses("2020-03-03T13:05:57.");
	refuses("2020-03-03T13:05.5Z");
	refuses("2020-03-03 13:05:57 utc");
	refuses("2020-03-03 13:05:57 UTC ");
	refuses("2020-03-03 13:05:57UTC");
	refuses("2020-03-03 13:05:57  UTC");
	refuses("2020-03-03 13:05:57 CET");
	refuses("2020-03-03 13:05:57 Z");
	refuses("2020-03-03 UTC");
	refuses("2020-03-03T13:05:57+02:");
	refuses("2020-03-03T13:05:57+2");
	refuses("2020-03-03T13:05:57+020");
	refuses("2020-03-03T13:05:57 +");
	refuses("2020");
	refuses("90");
	refuses("12345678");
	refuses("1583240757.");
	refuses("1583240757x");
	refuses("1583240757 ");
	refuses("1583240757123");	/* milliseconds: past 9999 */
	refuses("@.5");
	refuses("");
	refuses("abc");
	refuses("5x");
	refuses("@");
	refuses("@-1");
	refuses("@12x");
	refuses("2026-13-01");
	refuses("2026-02-29");
	refuses("2026-11-31");
	refuses("1969-12-31");
	refuses("2026-11-23T25:00");
	refuses("2026-11-23T14:60");
	refuses("2026-11-23T14:05Zjunk");
	refuses("2026-11-23T14:05+25:00");
	refuses("2026-1-23");
	refuses("99999999999999999999s");
	refuses("-");
	refuses(" ago");

	setenv("TZ", "Europe/Paris", 1);
	tzset();
	parses("2026-07-01T12:00", now, 1782900000);	/* CEST, +02:00 */
	parses("2026-12-01T12:00", now, 1796122800);	/* CET, +01:00 */
	ok(strcmp(time_local(1782900000, buf), "2026-07-01 12:00") == 0,
	    "time_local in Europe/Paris: %s", buf);
	ok(strcmp(time_rfc3339(1782900000, buf), "2026-07-01T10:00:00Z") == 0,
	    "time_rfc3339 is UTC: %s", buf);
	setenv("TZ", "UTC", 1);
	tzset();

	ok(strcmp(duration_fmt(45, buf), "45s") == 0, "45 s -> %s", buf);
	ok(strcmp(duration_fmt(200, buf), "3m20s") == 0, "200 s -> %s", buf);
	ok(strcmp(duration_fmt(3900, buf), "1h05m") == 0, "3900 s -> %s", buf);
	ok(strcmp(duration_fmt(90000, buf), "1d01h") == 0, "90000 s -> %s",
	    buf);
	ok(duration_parse("10s", &d) == 0 && d == 10, "duration 10s");
	ok(duration_parse("2w1d", &d) == 0 && d == 15 * 86400, "duration 2w1d");
	ok(duration_parse("10", &d) != 0, "duration needs a unit");
	ok(duration_parse("1.5h", &d) != 0, "duration is whole units");
}

static void
folds(const char *name, const char *key, const char *form)
{
	char *k = tag_fold(name), *f = tag_nfc(name);

	ok(k != NULL && f != NULL && strcmp(k, key) == 0 &&
	    strcmp(f, form) == 0, "tag \"%s\": key \"%s\", name \"%s\" "
	    "(got \"%s\", \"%s\")", name, key, form, k ? k : "", f ? f : "");
	free(k);
	free(f);
}

static void
test_tags(void)
{
	const char *bad[] = { "", " ", "\t \xc2\xa0", "a\nb", "a\rb",
	    "a\xe2\x80\xa8\x62", "a,b", "caf\xe9", NULL };
	char *err;
	size_t i;

	folds("Sample Tag", "sample tag", "Sample Tag");
	folds("  sample \t  TAG\t", "sample tag", "sample TAG");
	folds("sample\xc2\xa0\xe3\x80\x80tag", "sample tag", "sample tag");
	folds("Cafe\xcc\x81 Cr\xc3\xa8me", "caf\xc3\xa9 cr\xc3\xa8me",
	    "Caf\xc3\xa9 Cr\xc3\xa8me");
	folds("sampletag", "sampletag", "sampletag");
	ok(tag_check(" sample  tag ") == 0, "tag_check: spaces folded");
	ok(tag_check("  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbb  ") == 0, "tag_check: 64 characters once folded");
	capture();
	for (i = 0; bad[i] != NULL; i++)
		ok(tag_check(bad[i]) == ST_DATA, "tag_check refuses bad tag %zu",
		    i);
	err = captured();
	ok(strstr(err, "1 to 64 letters, digits, spaces or") != NULL,
	    "tag_check says why: %s", err);
}

static void
test_utf8(void)
{
	ok(utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14),
	    "utf8: accents, euro sign, emoji");
	ok(!utf8_valid("\xc3", 1), "utf8: truncated sequence");
	ok(!utf8_valid("\xc0\xaf", 2), "utf8: overlong slash");
	ok(!utf8_valid("\xe0\x80\xaf", 3), "utf8: overlong 3-byte");
	ok(!utf8_valid("\xed\xa0\x80", 3), "utf8: surrogate");
	ok(!utf8_valid("\xf4\x90\x80\x80", 4), "utf8: past U+10FFFF");
	ok(!utf8_valid("\xff", 1), "utf8: 0xff");
}

/* Points standard input at a pipe holding text, writer closed. */
static void
stdin_from(const char *text)
{
	int p[2];

	if (pipe(p) != 0)
		abort();
	if (write(p[1], text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(p[1]);
	dup2(p[0], 0);
	close(p[0]);
}

static void
test_ids(void)
{
	struct ids *ids;
	int64_t id;
	int r[8], i, rc, st;
	char *err, *argv[] = { "5", "x", "-3", NULL };

	stdin_from("12\n  \n# comment\n13\tclosed whatsapp\n\nabc\n0\n"
	    "99999999999999999999\n14");
	capture();
	rc = ids_open(&ids, NULL, 0, 0);
	for (i = 0; i < 5; i++) {
		r[i] = ids_next(ids, &id, &st);
		if (r[i] == 1)
			r[i] = (int)id;
	}
	ids_close(ids);
	err = captured();
	ok(rc == 0, "ids_open on a pipe");
	ok(r[0] == 12 && r[1] == 13, "ids: first field, blank and # lines "
	    "skipped (%d %d)", r[0], r[1]);
	ok(r[2] == 14 && r[3] == 0 && r[4] == 0 && st == 0, "ids: abc, 0 and "
	    "an overflowing id passed over, the last line without newline, "
	    "then the end (%d %d %d)", r[2], r[3], r[4]);
	ok(strstr(err, "stdin:6: abc: not a conversation id") != NULL &&
	    strstr(err, "stdin:7: 0: not a conversation id") != NULL &&
	    strstr(err, "stdin:8: 99999999999999999999: not a conversation id")
	    != NULL, "ids: each refusal names line and input: %s", err);

	capture();
	rc = ids_open(&ids, argv, 3, 0);
	r[0] = ids_next(ids, &id, &st);
	r[1] = ids_next(ids, &id, &st);
	ids_close(ids);
	err = captured();
	ok(rc == 0 && r[0] == 1 && r[1] == 0 && st == 0 &&
	    strstr(err, "-3: not a conversation id") != NULL,
	    "ids: operands first, bad ones refused and passed over");
	ok(strstr(err, "x: not a conversation id") != NULL &&
	    strstr(err, "stdin") == NULL, "ids: operand refusal names it: %s",
	    err);

	/* A listing's header, as TSV or a terminal's bold table has it, is
	 * skipped when it is the first line; later, id is no id. */
	stdin_from("# picked\n\nid\tref\tstate\n5\tIA-5\nid\n");
	capture();
	rc = ids_open(&ids, NULL, 0, 0);
	for (i = 0; i < 2; i++) {
		r[i] = ids_next(ids, &id, &st);
		if (r[i] == 1)
			r[i] = (int)id;
	}
	ids_close(ids);
	err = captured();
	ok(rc == 0 && r[0] == 5 && r[1] == 0, "ids: a TSV header skipped, a "
	    "later id line refused (%d %d)", r[0], r[1]);
	ok(strstr(err, "stdin:5: id: not a conversation id") != NULL,
	    "ids: the later id line named: %s", err);
	stdin_from("\033[1mid  state\033[0m\r\n7  open\r\n");
	rc = ids_open(&ids, NULL, 0, 0);
	r[0] = ids_next(ids, &id, &st);
	r[1] = ids_next(ids, &id, &st);
	ids_close(ids);
	ok(rc == 0 && r[0] == 1 && id == 7 && r[1] == 0, "ids: a terminal's "
	    "bold table header skipped (%d %d)", r[0], r[1]);
	stdin_from("idx\n3\n");
	capture();
	rc = ids_open(&ids, NULL, 0, 0);
	r[0] = ids_next(ids, &id, &st);
	r[1] = ids_next(ids, &id, &st);
	ids_close(ids);
	err = captured();
	ok(rc == 0 && r[0] == 1 && id == 3 && r[1] == 0, "ids: only id "
	    "itself is a header: %s", err);
}

static void
test_lines(void)
{
	struct lines *l;
	char *line;
	size_t len;
	int p[2], rc;

	if (pipe(p) != 0)
		abort();
	l = lines_open(p[0], "pipe");
	ok(!lines_ready(l), "lines: an empty open pipe is not ready");
	if (write(p[1], "a\r\nbb", 5) != 5)
		abort();
	ok(lines_ready(l), "lines: ready once data is written");
	ok(lines_next(l, &line, &len, &rc) == 1 && strcmp(line, "a") == 0 &&
	    len == 1, "lines: CRLF line read without CR");
	ok(!lines_ready(l), "lines: a partial line is not ready");
	close(p[1]);
	ok(lines_next(l, &line, &len, &rc) == 1 && strcmp(line, "bb") == 0,
	    "lines: last line without newline");
	ok(lines_next(l, &line, &len, &rc) == 0 && rc == 0, "lines: end");
	lines_close(l);
	close(p[0]);
}

/* A line given again, the rest read without being taken, then given as
 * one line numbered as its first: a file that is one payload. */
static void
test_lines_rest(void)
{
	static const char in[] = "\n{\r\n \"a\": 1\n}\n";
	struct lines *l;
	const char *text;
	char *line;
	size_t len, n;
	int p[2], rc;

	if (pipe(p) != 0)
		abort();
	if (write(p[1], in, sizeof in - 1) != (ssize_t)(sizeof in - 1))
		abort();
	close(p[1]);
	l = lines_open(p[0], "pipe");
	ok(lines_next(l, &line, &len, &rc) == 1 && len == 0 &&
	    lines_next(l, &line, &len, &rc) == 1 && strcmp(line, "{") == 0 &&
	    lines_lineno(l) == 2, "lines_rest: the line before");
	lines_back(l);
	ok(lines_rest(l, 100, &text, &n, &rc) == 1 &&
	    strcmp(text, in + 1) == 0 && n == sizeof in - 2,
	    "lines_rest: the rest from the line given back, as read");
	ok(lines_rest(l, 5, &text, &n, &rc) == 0 && rc == 0,
	    "lines_rest: longer than max is 0, no error");
	ok(lines_next(l, &line, &len, &rc) == 1 && strcmp(line, "{") == 0 &&
	    lines_lineno(l) == 2, "lines_back: the line is given again");
	lines_back(l);
	lines_whole(l);
	ok(lines_next(l, &line, &len, &rc) == 1 &&
	    strcmp(line, "{\r\n \"a\": 1\n}\n") == 0 && len == 13 &&
	    lines_lineno(l) == 2, "lines_whole: the rest as one line, "
	    "numbered as its first");
	ok(lines_next(l, &line, &len, &rc) == 0 && rc == 0,
	    "lines_whole: then the end");
	lines_close(l);
	close(p[0]);
}

static int
load(const char *text, struct config *c, char **err)
{
	char path[128];
	FILE *fp;
	int rc;

	snprintf(path, sizeof path, "%s/config.yaml", dir);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	capture();
	rc = config_load_file(path, 1, c);
	*err = captured();
	return rc;
}

static void
refused_config(const char *text, const char *want, const char *what)
{
	struct config c;
	char *err;
	int rc = load(text, &c, &err);

	ok(rc == ST_CONFIG && strstr(err, want) != NULL, "config: %s -> %d, "
	    "%s", what, rc, err);
	config_free(&c);
}

static void
test_config(void)
{
	struct config c;
	char *err;
	int rc;

	setenv("HOME", "/home/u", 1);
	rc = load("db: ~/support/chat.db\n"
	    "db_busy_timeout: 3s\n"
	    "operator: alice\n"
	    "tags:\n  catalog: [after-sales, billing]\n  strict: true\n"
	    "close:\n  require: [tag, rating]\n  forgotten_after: 1h\n"
	    "  social_channels: [whatsapp]\n"
	    "rating:\n  criteria: {nps: [0, 10], speed: [1, 5]}\n"
	    "auto_tag:\n  - {tag: delivery, match: \"parcel OR tracking\","
	    " channel: whatsapp}\n  - tag: after-sales\n    match: refund\n"
	    "mail:\n  url: smtp://127.0.0.1:2525/example.com\n"
	    "  insecure: true\n  ca_file: ~/ca.pem\n"
	    "zendesk:\n  url: https://acme.zendesk.com\n  status: open\n"
	    "delivery:\n  max_attempts: 3\n  timeout: 2m\n", &c, &err);
	ok(rc == 0, "config: the whole reference loads (%s)", err);
	ok(c.db && strcmp(c.db, "/home/u/support/chat.db") == 0,
	    "config: ~ expanded in db: %s", c.db ? c.db : "(null)");
	ok(c.busy_timeout_ms == 3000, "config: db_busy_timeout 3s");
	ok(c.operator && strcmp(c.operator, "alice") == 0, "config: operator");
	ok(c.ntags_catalog == 2 && strcmp(c.tags_catalog[1], "billing") == 0 &&
	    c.tags_strict, "config: tags");
	ok(c.require_tag && !c.require_note && c.require_rating &&
	    c.forgotten_after == 3600, "config: close");
	ok(c.nsocial_channels == 1 && strcmp(c.social_channels[0],
	    "whatsapp") == 0, "config: social channels replace the default");
	ok(c.ncriteria == 2 && strcmp(c.criteria[0].name, "nps") == 0 &&
	    c.criteria[0].min == 0 && c.criteria[0].max == 10,
	    "config: rating criteria");
	ok(c.nauto_tags == 2 && strcmp(c.auto_tags[0].channel, "whatsapp")
	    == 0 && c.auto_tags[1].channel == NULL &&
	    strcmp(c.auto_tags[1].match, "refund") == 0, "config: auto_tag");
	ok(c.mail_ca_file && strcmp(c.mail_ca_file, "/home/u/ca.pem") == 0,
	    "config: mail.ca_file, ~ expanded");
	ok(c.mail_insecure && c.max_attempts == 3 && c.timeout == 120 &&
	    c.connect_timeout == 10 && strcmp(c.zd_status, "open") == 0,
	    "config: mail, zendesk, delivery and defaults");
	config_free(&c);

	rc = load("", &c, &err);
	ok(rc == 0 && c.ncriteria == 2 && c.nsocial_channels == 5 &&
	    c.forgotten_after == 1800 && c.busy_timeout_ms == 10000,
	    "config: an empty file gives the defaults");
	config_free(&c);
	rc = config_load_file("/nonexistent/config.yaml", 0, &c);
	ok(rc == 0, "config: a missing default file is fine");
	config_free(&c);
	capture();
	rc = config_load_file("/nonexistent/config.yaml", 1, &c);
	err = captured();
	ok(rc == ST_CONFIG && strstr(err, "/nonexistent/config.yaml"),
	    "config: a missing named file is an error: %s", err);
	config_free(&c);

	refused_config("operator: a\nfoo: 1\n", "config.yaml:2: foo: unknown "
	    "key", "unknown key");
	refused_config("tags:\n  strict: true\n  colour: red\n",
	    "config.yaml:3: tags.colour: unknown key", "unknown nested key");
	refused_config("operator: a\noperator: b\n",
	    "config.yaml:2: operator: duplicate key", "duplicate key");
	refused_config("tags:\n  strict: yes\n", "config.yaml:2: tags.strict: "
	    "expected true or false", "YAML 1.1 boolean");
	refused_config("tags:\n  strict: \"true\"\n", "expected true or false",
	    "quoted boolean");
	refused_config("delivery:\n  max_attempts: 010\n",
	    "delivery.max_attempts: expected a decimal number", "octal guess");
	refused_config("delivery:\n  max_attempts: 0x10\n",
	    "expected a decimal number", "hex guess");
	refused_config("delivery:\n  max_attempts: 99999999999\n",
	    "out of range", "huge number");
	refused_config("delivery:\n  timeout: soon\n",
	    "delivery.timeout: expected a duration", "bad duration");
	refused_config("tags:\n  catalog: billing\n", "tags.catalog: expected "
	    "a list", "scalar for a list");
	refused_config("operator: [a, b]\n", "operator: expected a string",
	    "list for a string");
	refused_config("operator: ~\n", "operator: expected a string", "null");
	refused_config("close:\n  require: [tag, colour]\n",
	    "'colour' is not tag, note or rating", "bad require");
	refused_config("rating:\n  criteria: {nps: [10, 0]}\n",
	    "min must be below max", "inverted scale");
	refused_config("rating:\n  criteria: {nps: [1]}\n",
	    "expected [min, max]", "short scale");
	refused_config("auto_tag:\n  - {tag: x}\n", "needs tag and match",
	    "auto_tag without match");
	refused_config("a: &x 1\nb: *x\n", "aliases are not allowed", "alias");
	refused_config("tags:\n\tstrict: true\n", "config.yaml:2:", "tab");
	refused_config("operator: a\n---\noperator: b\n",
	    "only one YAML document", "two documents");
	refused_config("- a\n- b\n", "expected a mapping", "top-level list");
	refused_config("operator: 'unclosed\n", "config.yaml:", "syntax error");
}

int
main(void)
{
	char cmd[64];

	if (mkdtemp(dir) == NULL)
		return 1;
	chat_init("unit");
	test_times();
	test_tags();
	test_utf8();
	test_ids();
	test_lines();
	test_lines_rest();
	test_config();
	printf("1..%d\n", n);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		failed++;
	return failed != 0;
}
