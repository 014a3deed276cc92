# chat-tools: small tools over one SQLite file. See README.md.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config

# SANITIZE=1 builds apart, so the two builds never mix objects; so does
# FUZZ=1, the clang build of make fuzz, instrumented for libFuzzer.
B := build$(if $(SANITIZE),-san)$(if $(FUZZ),-fuzz)
SANFLAGS = -fsanitize=address,undefined,float-cast-overflow \
	-fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZFLAGS = -fsanitize=fuzzer-no-link,address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all
SAN := $(if $(FUZZ),$(FUZZFLAGS),$(if $(SANITIZE),$(SANFLAGS)))

PKGS := sqlite3 yaml-0.1 libutf8proc
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) libcurl libpq libcrypto)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm
# Only chat-deliver links libcurl (and the tests of what it links): the
# other binaries hand it their deliveries and start without libcurl's
# thirty-odd libraries. The archive members they use never call curl_*.
CURL_LIBS = $(shell $(PKG_CONFIG) --libs libcurl)
# chat-import loads libcrypto, for the HMAC of a signed Chatwoot delivery
# (lib/signature.c), only when it checks one: linked, it would add a
# millisecond to every start. It loads the one the build sees, by soname.
CRYPTO_SONAME = $(shell objdump -p "$$($(PKG_CONFIG) --variable=libdir \
	libcrypto)/libcrypto.so" | awk '$$1 == "SONAME" { print $$2 }')
# The fuzz targets link it: fuzz/signature.c's MAC to compare with.
CRYPTO_LIBS = $(shell $(PKG_CONFIG) --libs libcrypto)
ALL_CFLAGS = -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -Ilib \
	$(PKG_CFLAGS) $(SAN) $(CFLAGS)
# The PostgreSQL engine is a module, chat-pg.so, that db.c loads when the
# database is a URL, as Dovecot's lib-sql loads its drivers: libpq and
# its twenty-odd libraries would otherwise cost every command 2.7 ms to
# load. The module calls back the one function it needs from the tools.
PG_LIBS = $(shell $(PKG_CONFIG) --libs libpq sqlite3)
ALL_LDFLAGS = $(SAN) $(LDFLAGS) -Wl,--export-dynamic-symbol=chat_err

BINS := chat-import chat-history chat-close chat-tag chat-note chat-rate \
	chat-stats chat-export chat-copy
LIBSRC := $(wildcard lib/*.c)
LIBOBJ := $(filter-out $(B)/lib/pg.o,$(LIBSRC:lib/%.c=$(B)/lib/%.o))
# Found by the tools at ../lib/chat-tools/ from where they are.
PG_MODULE := $(B)/lib/chat-tools/chat-pg.so
# Run by chat-close and chat-export, found next to them: no man page of
# its own (chat-tools(7), FILES).
HELPER := $(B)/bin/chat-deliver
PROGS := $(BINS:%=$(B)/bin/%) $(HELPER)
MAN1 := $(BINS:%=man/%.1)
# The fuzz targets; without libFuzzer each is built as a replay of its
# corpus, which make check runs.
FUZZERS := time ids config import mail zendesk query tagname chatwoot \
	signature writeback
FUZZSRC := fuzz/fuzz.c fuzz/fuzz.h
FUZZ_TIME ?= 60

all: $(PROGS) $(PG_MODULE) $(B)/unit $(FUZZERS:%=$(B)/fuzz/replay-%)

$(B)/lib/%.o: lib/%.c lib/chat.h lib/libchat.h lib/search_fold.h | $(B)/lib
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/lib/pg.o: ALL_CFLAGS += -fPIC
$(B)/lib/signature.o: ALL_CFLAGS += -DCRYPTO_SONAME='"$(or $(CRYPTO_SONAME),\
	$(error libcrypto.so has no soname: is libssl-dev installed?))"'

$(PG_MODULE): $(B)/lib/pg.o | $(B)/lib/chat-tools
	$(CC) -shared -o $@ $(B)/lib/pg.o $(PG_LIBS) $(SAN) $(LDFLAGS)

$(B)/libchat.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(B)/bin/%: cmd/%.c $(B)/libchat.a lib/chat.h | $(B)/bin
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libchat.a $(PKG_LIBS) $(ALL_LDFLAGS)

$(HELPER): cmd/chat-deliver.c $(B)/libchat.a lib/chat.h | $(B)/bin
	$(CC) $(ALL_CFLAGS) -o $@ cmd/chat-deliver.c $(B)/libchat.a \
		$(PKG_LIBS) $(CURL_LIBS) $(ALL_LDFLAGS)

$(B)/unit: tests/unit.c $(B)/libchat.a lib/chat.h
	$(CC) $(ALL_CFLAGS) -o $@ tests/unit.c $(B)/libchat.a $(PKG_LIBS) \
		$(CURL_LIBS) $(ALL_LDFLAGS)

$(B)/fuzz/replay-%: fuzz/%.c $(FUZZSRC) $(B)/libchat.a lib/chat.h | $(B)/fuzz
	$(CC) $(ALL_CFLAGS) -DFUZZ_REPLAY -o $@ fuzz/$*.c fuzz/fuzz.c \
		$(B)/libchat.a $(PKG_LIBS) $(CURL_LIBS) $(CRYPTO_LIBS) $(ALL_LDFLAGS)

$(B)/fuzz/fuzz-%: fuzz/%.c $(FUZZSRC) $(B)/libchat.a lib/chat.h | $(B)/fuzz
	$(CC) $(ALL_CFLAGS) -o $@ fuzz/$*.c fuzz/fuzz.c $(B)/libchat.a \
		$(PKG_LIBS) $(CURL_LIBS) $(CRYPTO_LIBS) $(ALL_LDFLAGS) \
		-fsanitize=fuzzer

$(B)/lib $(B)/bin $(B)/fuzz $(B)/lib/chat-tools:
	mkdir -p $@

deps:
	scripts/deps

check: deps
	$(MAKE) all
	scripts/check $(B)

# make bench BENCH_ARGS="--size 10000" for a quicker run; BACKEND=pg for
# PostgreSQL against psql, on a cluster of its own.
bench: deps
	$(MAKE) all
	scripts/bench$(if $(filter pg,$(BACKEND)),-pg) --bin $(B)/bin $(BENCH_ARGS)

# Every figure of make bench at 100,000 and 1,000,000 conversations, and
# how each grew (about half an hour; not run by CI). BENCHMARKS.md has it.
bench-scale: deps
	$(MAKE) all
	scripts/bench-scale --bin $(B)/bin $(BENCH_SCALE_ARGS)

# Each fuzz target for FUZZ_TIME seconds (default 60), or FUZZ_RUNS
# executions, with clang's libFuzzer, ASan and UBSan; see RELIABILITY.md.
fuzz: deps
	scripts/deps fuzz
	$(MAKE) FUZZ=1 CC=clang $(FUZZERS:%=build-fuzz/fuzz/fuzz-%)
	scripts/fuzz $(if $(FUZZ_RUNS),--runs $(FUZZ_RUNS)) build-fuzz \
		$(FUZZ_TIME) $(FUZZERS)

demo: deps
	$(MAKE) all
	scripts/demo $(B)/bin

# The reliability scripts at full size (RELIABILITY.md): 16 processes x
# 1,000 commands, and 200 kill -9 trials each during a 100,000-line import
# and a 100,000-id batch close. make check runs them small. BACKEND=pg:
# on a PostgreSQL cluster of their own (scripts/pg), stopped at the end.
TORTURE_DIR = $(B)/torture
torture: deps
	$(MAKE) all
	rm -rf $(TORTURE_DIR) && mkdir -p $(TORTURE_DIR)/stress $(TORTURE_DIR)/crash
	export PATH=$(CURDIR)/$(B)/bin:$$PATH && \
	$(if $(filter pg,$(BACKEND)),pg=$$(mktemp -d) && \
	trap 'scripts/pg stop "$$pg"; rm -rf "$$pg"' EXIT && \
	scripts/pg start "$$pg" && export CHAT_TEST_PG="$$pg" &&) \
	tests/stress 16 1000 $(TORTURE_DIR)/stress && \
	tests/crash 200 100000 $(TORTURE_DIR)/crash

lint-man:
	mandoc -Tlint -W warning man/*.[17]

# The static checks of .ci/run: a clang build (-Werror like gcc's),
# cppcheck and clang-tidy (.clang-tidy), all clean.
lint: deps
	scripts/deps lint
	scripts/deps fuzz
	$(MAKE) CC=clang B=build-clang all
	cppcheck --std=c11 --enable=warning,portability,performance \
		--error-exitcode=1 -q -Ilib --suppress=missingIncludeSystem \
		lib cmd fuzz tests/unit.c
	clang-tidy -quiet $(LIBSRC) cmd/*.c fuzz/*.c tests/unit.c -- \
		-std=c11 -Ilib -D_DEFAULT_SOURCE $(PKG_CFLAGS) \
		-DCRYPTO_SONAME='"$(CRYPTO_SONAME)"'
	$(MAKE) lint-man

# Every binary and the unit tests under valgrind's memcheck.
valgrind: deps
	scripts/deps lint
	$(MAKE) all
	scripts/valgrind $(B)

install: $(PROGS) $(PG_MODULE)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(BINDIR)/../lib/chat-tools
	cp $(PROGS) $(DESTDIR)$(BINDIR)/
	cp $(PG_MODULE) $(DESTDIR)$(BINDIR)/../lib/chat-tools/
	cp $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	cp man/chat-tools.7 $(DESTDIR)$(MANDIR)/man7/

clean:
	rm -rf build build-san build-clang build-fuzz

.PHONY: all deps check bench bench-scale demo torture fuzz lint lint-man valgrind \
	install clean
