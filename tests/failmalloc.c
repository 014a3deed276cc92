/* failmalloc.c: an LD_PRELOAD library for tests/faults.bats. The
 * FAIL_AT-th allocation that chat-tools' own code asks for (malloc, calloc,
 * realloc, strdup or strndup called from the program itself, not from a
 * library it uses) fails, and FAIL_LOG is created to say that one did. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static uintptr_t base, lo, hi;	/* the program's code */
static long count, at;

static int
program(struct dl_phdr_info *info, size_t size, void *data)
{
	int i;

	(void)size;
	(void)data;
	for (i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD &&
		    (info->dlpi_phdr[i].p_flags & PF_X)) {
			base = info->dlpi_addr;
			lo = base + info->dlpi_phdr[i].p_vaddr;
			hi = lo + info->dlpi_phdr[i].p_memsz;
		}
	return 1;	/* the first object is the program */
}

__attribute__((constructor)) static void
init(void)
{
	const char *s = getenv("FAIL_AT");

	at = s ? atol(s) : 0;
	dl_iterate_phdr(program, NULL);
}

/* Whether the allocation asked for from caller is the one to fail. */
static int
fails(void *caller)
{
	const char *log;
	int fd;

	if (at <= 0 || (uintptr_t)caller < lo || (uintptr_t)caller >= hi ||
	    ++count != at)
		return 0;
	/* The caller's address in the program, for addr2line. */
	if ((log = getenv("FAIL_LOG")) != NULL &&
	    (fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0) {
		char buf[32], *p = buf + sizeof buf;
		uintptr_t a = (uintptr_t)caller - base;

		*--p = '\n';
		do
			*--p = "0123456789abcdef"[a % 16];
		while ((a /= 16) != 0);
		*--p = 'x';
		*--p = '0';
		(void)!write(fd, p, (size_t)(buf + sizeof buf - p));
		close(fd);
	}
	return 1;
}

void *
malloc(size_t n)
{
	return fails(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	return fails(__builtin_return_address(0)) ? NULL :
	    __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	return fails(__builtin_return_address(0)) ? NULL :
	    __libc_realloc(p, n);
}

char *
strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = fails(__builtin_return_address(0)) ? NULL :
	    __libc_malloc(n);

	return p ? memcpy(p, s, n) : NULL;
}

char *
strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *p = fails(__builtin_return_address(0)) ? NULL :
	    __libc_malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
