# certd - one GNU Makefile (STYLE.md §8). Objects go under $(O).
#
#   make            build certd and libacme.a
#   make check      install missing packages, then unit + integration tests
#   make sanitize   the same tests under ASan+UBSan (O=build-san)
#   make demo       issue a certificate from a local Pebble and show it
#   make fuzz       libFuzzer targets (clang)      make bench   benchmarks

VERSION	 = 0.1.0
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DOCDIR	?= $(PREFIX)/share/doc/certd
SYSCONFDIR ?= /etc
LIBEXECDIR ?= $(PREFIX)/libexec/certd
O	?= build
DEPS	 = libssl libcrypto libcurl jansson inih sqlite3
WERROR	?= -Werror
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Wcast-qual -Wpointer-arith -Wvla -Wno-format-nonliteral
CFLAGS	?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(DEPS) 2>/dev/null)
# libcurl: headers only; curldl.c dlopen()s it for revocation fetches
PKG_LIBS   = $(shell pkg-config --libs $(filter-out libcurl,$(DEPS)) \
	     2>/dev/null)
ALL_CFLAGS = -std=c11 -DCERTD_VERSION=\"$(VERSION)\" -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	     -D_FORTIFY_SOURCE=2 -Iacme -Icertd $(WARN) $(WERROR) \
	     -fstack-protector-strong -fPIE $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS)
LDLIBS	+= $(PKG_LIBS) -lresolv
SAN	 = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined

ACME_SRC  = $(wildcard acme/*.c)
CERTD_SRC = $(filter-out certd/main.c,$(wildcard certd/*.c certd/*/*.c))
UNIT_SRC  = $(wildcard tests/unit/*.c)
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC = $(wildcard tests/bench/*.c)
BENCH_BIN = $(BENCH_SRC:%.c=$(O)/%)

ACME_OBJ  = $(ACME_SRC:%.c=$(O)/%.o)
CERTD_OBJ = $(CERTD_SRC:%.c=$(O)/%.o)
UNIT_OBJ  = $(UNIT_SRC:%.c=$(O)/%.o)

LIBACME	 = $(O)/libacme.a
LIBCERTD = $(O)/libcertd.a
CERTD	 = $(O)/certd/certd
UNIT	 = $(O)/tests/unit/check_all

# Debian packages: to build and test, and the peers the tests start.
DEB_BUILD = build-essential pkg-config libssl-dev libcurl4-openssl-dev \
	    libjansson-dev libinih-dev libsqlite3-dev check openssl curl \
	    ca-certificates
DEB_TEST  = pebble bind9-dnsutils shellcheck procps iproute2 python3 postfix \
	    systemd man-db \
	    dovecot-imapd libidn12 libgnutls-dane0 libnsl2 libdb5.3 \
	    clang libclang-rt-14-dev
DEB_BENCH = lego certbot time

.PHONY: all deps deps-bench unit integ check sanitize fuzz bench demo lint \
	install uninstall clean _check _demo _bench

all: $(CERTD) $(LIBACME)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBACME): $(ACME_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(LIBCERTD): $(CERTD_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(CERTD): $(O)/certd/main.o $(LIBCERTD) $(LIBACME)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# the unit runner: every check_<module>.c exports <module>_suite()
$(O)/tests/unit/suites.inc: $(UNIT_SRC)
	@mkdir -p $(@D)
	sed -n 's/^\([a-z0-9_]*\)_suite(void)$$/SUITE(\1)/p' \
	    $(filter tests/unit/check_%.c,$^) > $@.tmp && mv $@.tmp $@

$(O)/tests/unit/main.o: $(O)/tests/unit/suites.inc
$(O)/tests/unit/main.o: ALL_CFLAGS += -I$(O)/tests/unit
$(UNIT_OBJ): ALL_CFLAGS += -Wno-missing-prototypes $(shell pkg-config --cflags check 2>/dev/null)

$(UNIT): $(UNIT_OBJ) $(LIBCERTD) $(LIBACME)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) \
	    $(shell pkg-config --libs check 2>/dev/null)

# in-process benchmarks (tests/bench/*.c), linked like the unit tests
$(O)/tests/bench/%: tests/bench/%.c $(LIBCERTD) $(LIBACME)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(ALL_LDFLAGS) -o $@ $^ \
	    $(LDLIBS)

deps:
	@sh tests/lab/deps.sh $(DEB_BUILD) $(DEB_TEST)

deps-bench:
	@sh tests/lab/deps.sh $(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH)

unit: $(UNIT)
	$(UNIT)

integ: $(CERTD)
	CERTD=$(abspath $(CERTD)) O=$(abspath $(O)) sh tests/integ/run.sh

check: deps
	$(MAKE) _check

_check: all $(UNIT)
	$(UNIT)
	CERTD=$(abspath $(CERTD)) O=$(abspath $(O)) sh tests/integ/run.sh

sanitize: deps
	$(MAKE) O=build-san _check CFLAGS='-O1 -g -U_FORTIFY_SOURCE $(SAN)' \
	    LDFLAGS='$(SAN)'

demo: deps
	$(MAKE) _demo

_demo: all
	CERTD=$(abspath $(CERTD)) O=$(abspath $(O)) sh tests/lab/demo.sh

bench: deps-bench
	$(MAKE) _bench

_bench: all $(BENCH_BIN)
	CERTD=$(abspath $(CERTD)) O=$(abspath $(O)) sh tests/bench/run.sh

# libFuzzer: each tests/fuzz/fuzz_X.c links against the whole library
FUZZ_O = build-fuzz
fuzz: deps
	$(MAKE) O=$(FUZZ_O) CC=clang CFLAGS='-O1 -g -fsanitize=fuzzer-no-link,address,undefined' \
	    $(FUZZ_O)/libacme.a $(FUZZ_O)/libcertd.a
	@for f in $(FUZZ_SRC); do \
	    n=$$(basename $$f .c); \
	    clang -O1 -g -fsanitize=fuzzer,address,undefined $(ALL_CFLAGS) \
	        -Wno-missing-prototypes -o $(FUZZ_O)/$$n $$f \
	        $(FUZZ_O)/libcertd.a $(FUZZ_O)/libacme.a $(LDLIBS) || exit 1; \
	done
	@FUZZ_O=$(FUZZ_O) sh tests/fuzz/run.sh $(FUZZ_SECONDS)

BANNED = gets sprintf vsprintf strcpy strcat strncpy strncat strtok atoi \
	 atol sscanf system popen alloca rand mktemp tmpnam gmtime localtime ctime
lint:
	@bad=0; for f in $(BANNED); do \
	    if grep -nE "(^|[^_a-z0-9.>])$$f[[:space:]]*\(" acme/*.c acme/*.h \
	        certd/*.c certd/*.h certd/*/*.[ch] 2>/dev/null; then \
	        echo "lint: banned function $$f"; bad=1; fi; done; \
	    shellcheck -s sh hooks/* tests/lab/*.sh tests/integ/*.sh \
	        tests/bench/*.sh || bad=1; exit $$bad

# systemd units (ExecStart gets SBINDIR) and the sysusers file of certd.service
UNITDIR	?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd \
	    2>/dev/null),/lib/systemd/system)
SYSUSERSDIR ?= $(or $(shell pkg-config --variable=sysusersdir systemd \
	    2>/dev/null),/usr/lib/sysusers.d)
UNITS	 = certd-renew.service certd-renew.timer certd.service
HOOKS	 = $(notdir $(wildcard hooks/*))

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(LIBEXECDIR)/hooks $(DESTDIR)$(SYSCONFDIR)/certd \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(CERTD) $(DESTDIR)$(SBINDIR)/certd
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 templates/* $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 man/certd.8 $(DESTDIR)$(MANDIR)/man8/certd.8
	install -m 0755 $(addprefix hooks/,$(HOOKS)) \
	    $(DESTDIR)$(LIBEXECDIR)/hooks/
	for u in $(UNITS); do \
	    sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/$$u \
	        >$(DESTDIR)$(UNITDIR)/$$u.tmp && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
	    mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 systemd/certd.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/certd.conf
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/certd/certd.conf ]; then \
	    install -m 0600 templates/certd.conf \
	        $(DESTDIR)$(SYSCONFDIR)/certd/certd.conf; \
	else echo "keeping existing $(SYSCONFDIR)/certd/certd.conf"; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/certd $(DESTDIR)$(MANDIR)/man8/certd.8 \
	    $(addprefix $(DESTDIR)$(LIBEXECDIR)/hooks/,$(HOOKS)) \
	    $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
	    $(DESTDIR)$(SYSUSERSDIR)/certd.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	-rmdir $(DESTDIR)$(LIBEXECDIR)/hooks $(DESTDIR)$(LIBEXECDIR)

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(O) -name '*.d' 2>/dev/null)
