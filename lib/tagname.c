/* tagname.c: a tag's name: the characters it may have, its stored form
 * (NFC) and its key (case folded), in C and as SQL functions; lists of
 * names. Below the database: db.c registers the SQL functions. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "libchat.h"

/* The forms utf8proc_map() gives a tag: its name in NFC, so that a name
 * typed decomposed is stored and listed as one typed composed, and its key,
 * the NFC of the name's full case folding (CaseFolding.txt, C and F), so
 * that ΕΠΙΣΤΡΟΦΈΣ and επιστροφές, ǅ and ǆ, or café composed and decomposed
 * are one tag. NULLTERM, STABLE and COMPOSE are what utf8proc_NFC() uses:
 * STABLE leaves the composition exclusions uncomposed, as NFC does. */
#define NAME_FORM (UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE)
#define KEY_FORM (NAME_FORM | UTF8PROC_CASEFOLD)

/* White space in a name: a space, a tab, or another Unicode space
 * separator (the no-break space a label copied from a web page has). */
static int
tag_space(utf8proc_int32_t c)
{
	return c == ' ' || c == '\t' ||
	    utf8proc_category(c) == UTF8PROC_CATEGORY_ZS;
}

/* name with its white space folded: none first or last, and each run
 * inside one space, so that a label typed or sent with a stray space is
 * the tag it looks like; NULL when out of memory. Invalid UTF-8 is copied
 * as it is (tag_check() refuses it). The caller frees it. */
static char *
tag_squeeze(const char *name)
{
	const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)name;
	size_t len = strlen(name), n = 0;
	utf8proc_ssize_t step;
	utf8proc_int32_t c;
	char *out;
	int space = 0;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (; *s != '\0'; s += step) {
		if ((step = utf8proc_iterate(s, -1, &c)) <= 0) {
			memcpy(out, name, len + 1);
			return out;
		}
		if (tag_space(c)) {
			space = n > 0;
			continue;
		}
		if (space)
			out[n++] = ' ';
		space = 0;
		memcpy(out + n, s, (size_t)step);
		n += (size_t)step;
	}
	out[n] = '\0';
	return out;
}

/* name, its white space folded, in form, allocated by utf8proc (malloc)
 * or, when name is not valid UTF-8, a copy of it; NULL when out of memory.
 * The caller frees it. */
static char *
tag_map(const char *name, utf8proc_option_t form)
{
	utf8proc_uint8_t *out;
	utf8proc_ssize_t n;
	char *folded;

	if ((folded = tag_squeeze(name)) == NULL)
		return NULL;
	n = utf8proc_map((const utf8proc_uint8_t *)folded, 0, &out, form);
	if (n == UTF8PROC_ERROR_INVALIDUTF8)
		return folded;
	free(folded);
	return n < 0 ? NULL : (char *)out;
}

char *
tag_fold(const char *name)
{
	return tag_map(name, KEY_FORM);
}

char *
tag_nfc(const char *name)
{
	return tag_map(name, NAME_FORM);
}

/* The SQL functions tag_key(name) and tag_nfc(name): tag_fold() and the
 * stored form of a name, NULL for NULL. */
static void
tag_sql(sqlite3_context *cx, sqlite3_value *arg, utf8proc_option_t form)
{
	const char *name;
	char *out;

	if (sqlite3_value_type(arg) == SQLITE_NULL)
		return;
	if ((name = (const char *)sqlite3_value_text(arg)) == NULL ||
	    (out = tag_map(name, form)) == NULL) {
		sqlite3_result_error_nomem(cx);
		return;
	}
	sqlite3_result_text(cx, out, -1, free);
}

void
tag_key_sql(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	tag_sql(cx, argv[0], KEY_FORM);
}

void
tag_nfc_sql(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	tag_sql(cx, argv[0], NAME_FORM);
}

/* Letters of any script, with their combining marks (a name may come
 * decomposed), and decimal digits; in ASCII, letters, digits and - _ . / :
 * only. Default-ignorable marks, the variation selectors, are invisible. */
static int
tag_char(utf8proc_int32_t c)
{
	const utf8proc_property_t *p;

	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_./:", c) != NULL;
	p = utf8proc_get_property(c);
	switch (p->category) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
		return 1;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
		return !p->ignorable;
	default:
		return 0;
	}
}

int
tag_check(const char *name)
{
	if (tag_valid(name))
		return 0;
	return chat_err(ST_DATA, "tag '%s': " TAG_RULE, name);
}

int
tag_valid(const char *name)
{
	const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)name;
	utf8proc_int32_t c;
	utf8proc_ssize_t len;
	size_t n = 0;
	int ok = 1, space = 0;

	/* utf8proc_iterate() refuses what utf8_valid() does: overlong
	 * forms, surrogates and code points past U+10FFFF. The characters
	 * are counted as tag_squeeze() leaves them: a run of white space
	 * inside is one. */
	while (ok && *s != '\0') {
		if ((len = utf8proc_iterate(s, -1, &c)) <= 0) {
			ok = 0;
			break;
		}
		if (tag_space(c))
			space = n > 0;
		else {
			n += (size_t)space + 1;
			space = 0;
			ok = tag_char(c) && n <= 64;
		}
		s += len;
	}
	return ok && n > 0;
}

int
taglist_add(struct taglist *t, const char *arg)
{
	char *copy, *name, *next, **names;

	if ((copy = strdup(arg)) == NULL)
		return chat_err(ST_DB, "out of memory");
	for (name = copy; name != NULL; name = next) {
		if ((next = strchr(name, ',')) != NULL)
			*next++ = '\0';
		if (tag_check(name) != 0) {
			free(copy);
			return ST_DATA;
		}
		if ((names = realloc(t->names, (t->n + 1) * sizeof *names))
		    == NULL || (names[t->n] = strdup(name)) == NULL) {
			if (names != NULL)
				t->names = names;
			free(copy);
			return chat_err(ST_DB, "out of memory");
		}
		t->names = names;
		t->n++;
	}
	free(copy);
	return 0;
}

void
taglist_free(struct taglist *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	t->names = NULL;
	t->n = 0;
}
