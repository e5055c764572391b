/*
 * check_probe.c - revocation/probe.c: the SMTP reply parser with valid and
 * hostile replies, target parsing, and probes of fake SMTP servers forked
 * on 127.0.0.1 (STARTTLS with and without a stapled OCSP response over
 * TLS 1.2 and 1.3, implicit TLS, no STARTTLS, stalls, garbage, refusals,
 * injected data). Certificates and keys are made in-process.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "revocation/chain.h"
#include "revocation/probe.h"

/* ---- the reply parser */

#define L(s)	s, sizeof(s) - 1

static const struct {
	const char	*in;
	size_t		 len;
	int		 rc;
	int		 code;
	size_t		 nlines;
	bool		 done;
	bool		 starttls;
	const char	*text;		/* NULL: not checked */
	size_t		 used;		/* checked when rc == 0 */
} replies[] = {
	{ L("220 mx.example.org ESMTP\r\n"), 0, 220, 1, true, false,
	    "mx.example.org ESMTP", 26 },
	{ L("250-mx.example.org\r\n250-PIPELINING\r\n250-STARTTLS\r\n"
	    "250 8BITMIME\r\n"), 0, 250, 4, true, true, "mx.example.org", 64 },
	{ L("250-mx\r\n250 starttls\r\n"), 0, 250, 2, true, true, "mx", 22 },
	{ L("250-mx\r\n250 STARTTLS x\r\n"), 0, 250, 2, true, true, NULL,
	    24 },
	{ L("250-mx\r\n250 STARTTLSX\r\n"), 0, 250, 2, true, false, NULL,
	    23 },
	{ L("250-mx\r\n250 X-STARTTLS\r\n"), 0, 250, 2, true, false, NULL,
	    24 },
	{ L("250 STARTTLS\r\n"), 0, 250, 1, true, false, "STARTTLS", 14 },
	{ L("220-STARTTLS\r\n220 STARTTLS\r\n"), 0, 220, 2, true, false, NULL,
	    28 },
	{ L("220\r\n"), 0, 220, 1, true, false, "", 5 },
	{ L("220-\r\n220 \r\n"), 0, 220, 2, true, false, "", 12 },
	{ L("220-a\r\n"), 0, 220, 1, false, false, "a", 7 },
	{ L("220-a\r\n220-b\r\n220 c"), 0, 220, 2, false, false, "a", 14 },
	{ L("421 4.3.2 shutting down\r\n"), 0, 421, 1, true, false,
	    "4.3.2 shutting down", 25 },
	{ L("554 5.7.1 go away\r\n"), 0, 554, 1, true, false, NULL, 19 },
	{ L("220 a\r\n250 b\r\n"), 0, 220, 1, true, false, "a", 7 },
	{ L("220 caf\xc3\xa9\r\n"), 0, 220, 1, true, false, "caf\\xc3\\xa9",
	    11 },
	{ L("220 a\tb\r\n"), 0, 220, 1, true, false, "a\\x09b", 9 },
	{ L("220 a\r"), 0, 0, 0, false, false, "", 0 },	/* incomplete */
	{ L(""), 0, 0, 0, false, false, "", 0 },
	/* hostile */
	{ L("220-a\r\n250 b\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("220-a\r\n221 b\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("22 x\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("22\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("abc x\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("199 x\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("600 x\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("260 x\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("22a x\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("220x\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("220_x\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L(" 220 x\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("220 a\0b\r\n"), -1, 0, 0, false, false, NULL, 0 },	/* NUL */
	{ L("220 a\rb\r\n"), -1, 0, 0, false, false, NULL, 0 },	/* CR */
	{ L("220 a\n"), -1, 0, 0, false, false, NULL, 0 },	/* bare LF */
	{ L("220 a\r\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("220 a\x01\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("220 a\x1b[2J\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("220 a\x7f\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("hello there\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("SSH-2.0-OpenSSH_9.2\r\n"), -1, 0, 0, false, false, NULL, 0 },
	{ L("HTTP/1.1 400 Bad Request\r\n"), -1, 0, 0, false, false, NULL,
	    0 },
};

/* byte by byte, as a slow peer sends it: the same answer as at once */
static int
parse_bytewise(const char *in, size_t len, struct probe_reply *r)
{
	size_t	 fill = 0, i, used;
	int	 rc = 0;
	char	 buf[256];

	probe_reply_init(r);
	for (i = 0; i < len && rc == 0 && !r->done; i++) {
		buf[fill++] = in[i];
		rc = probe_reply_parse(r, buf, fill, &used, NULL);
		memmove(buf, buf + used, fill - used);
		fill -= used;
	}
	return rc;
}

START_TEST(reply_table)
{
	struct probe_reply	 r;
	struct cd_err		 err;
	size_t			 used = 99;

	ck_assert_int_eq(parse_bytewise(replies[_i].in, replies[_i].len, &r),
	    replies[_i].rc);
	if (replies[_i].rc == 0) {
		ck_assert_int_eq(r.code, replies[_i].code);
		ck_assert_int_eq(r.done, replies[_i].done);
		ck_assert_int_eq(r.starttls, replies[_i].starttls);
	}
	probe_reply_init(&r);
	ck_assert_int_eq(probe_reply_parse(&r, replies[_i].in,
	    replies[_i].len, &used, &err), replies[_i].rc);
	if (replies[_i].rc == -1) {
		ck_assert_int_eq(err.kind, CD_EPROTO);
		ck_assert_ptr_nonnull(strstr(err.msg, "reply: "));
		return;
	}
	ck_assert_int_eq(r.code, replies[_i].code);
	ck_assert_uint_eq(r.nlines, replies[_i].nlines);
	ck_assert_int_eq(r.done, replies[_i].done);
	ck_assert_int_eq(r.starttls, replies[_i].starttls);
	ck_assert_uint_eq(used, replies[_i].used);
	if (replies[_i].text != NULL)
		ck_assert_str_eq(r.text, replies[_i].text);
}
END_TEST

static char *
line_of(size_t len, char sep)
{
	char	*s = malloc(len + 1);

	memset(s, 'x', len);
	memcpy(s, "250", 3);
	s[3] = sep;
	s[len - 2] = '\r';
	s[len - 1] = '\n';
	s[len] = '\0';
	return s;
}

START_TEST(reply_limits)
{
	struct probe_reply	 r;
	struct cd_err		 err;
	char			*s, *many;
	size_t			 used, i;

	/* a line of exactly PROBE_LINE_MAX bytes; one more is refused */
	s = line_of(PROBE_LINE_MAX, ' ');
	probe_reply_init(&r);
	ck_assert_int_eq(probe_reply_feed(&r, s, PROBE_LINE_MAX, &err), 0);
	ck_assert(r.done);
	ck_assert_uint_lt(strlen(r.text), PROBE_TEXT_MAX);
	ck_assert_str_eq(r.text + strlen(r.text) - 3, "...");
	free(s);
	s = line_of(PROBE_LINE_MAX + 1, ' ');
	probe_reply_init(&r);
	ck_assert_int_eq(probe_reply_feed(&r, s, PROBE_LINE_MAX + 1, &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "longer"));
	probe_reply_init(&r);
	ck_assert_int_eq(probe_reply_parse(&r, s, PROBE_LINE_MAX + 1, &used,
	    &err), -1);
	/* an incomplete line that can no longer fit */
	probe_reply_init(&r);
	ck_assert_int_eq(probe_reply_parse(&r, s, PROBE_LINE_MAX - 1, &used,
	    &err), 0);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(probe_reply_parse(&r, s, PROBE_LINE_MAX, &used,
	    &err), -1);
	free(s);
	/* PROBE_LINES_MAX lines, then one more */
	many = malloc(8 * (PROBE_LINES_MAX + 1) + 1);
	for (i = 0; i < PROBE_LINES_MAX + 1; i++)
		memcpy(many + 8 * i, "250-abc\n", 8);
	for (i = 0; i < PROBE_LINES_MAX + 1; i++)
		many[8 * i + 6] = '\r', many[8 * i + 7] = '\n';
	many[8 * (PROBE_LINES_MAX - 1) + 3] = ' ';	/* line 100: last */
	probe_reply_init(&r);
	ck_assert_int_eq(probe_reply_parse(&r, many, 8 * PROBE_LINES_MAX,
	    &used, &err), 0);
	ck_assert(r.done);
	ck_assert_uint_eq(r.nlines, PROBE_LINES_MAX);
	many[8 * (PROBE_LINES_MAX - 1) + 3] = '-';
	probe_reply_init(&r);
	ck_assert_int_eq(probe_reply_parse(&r, many, 8 * (PROBE_LINES_MAX + 1),
	    &used, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "lines"));
	free(many);
	/* nothing after the last line */
	probe_reply_init(&r);
	ck_assert_int_eq(probe_reply_feed(&r, L("220 a\r\n"), &err), 0);
	ck_assert_int_eq(probe_reply_feed(&r, L("220 a\r\n"), &err), -1);
}
END_TEST

static const struct {
	const char	*in;
	int		 rc;
	const char	*host;
	const char	*port;
} targets[] = {
	{ "mx.example.org", 0, "mx.example.org", "25" },
	{ "mx.example.org:465", 0, "mx.example.org", "465" },
	{ "192.0.2.7:465", 0, "192.0.2.7", "465" },
	{ "192.0.2.7", 0, "192.0.2.7", "25" },
	{ "[2001:db8::1]:587", 0, "2001:db8::1", "587" },
	{ "[2001:db8::1]", 0, "2001:db8::1", "25" },
	{ "2001:db8::1", 0, "2001:db8::1", "25" },
	{ "localhost:0025", 0, "localhost", "25" },
	{ "", -1, NULL, NULL },
	{ "mx.example.org:", -1, NULL, NULL },
	{ "mx.example.org:0", -1, NULL, NULL },
	{ "mx.example.org:65536", -1, NULL, NULL },
	{ "mx.example.org:-1", -1, NULL, NULL },
	{ "mx.example.org:+25", -1, NULL, NULL },
	{ "mx.example.org:25x", -1, NULL, NULL },
	{ "mx_example.org", -1, NULL, NULL },
	{ "mx.example.org\n:25", -1, NULL, NULL },
	{ "[192.0.2.7]:25", -1, NULL, NULL },
	{ "[2001:db8::1", -1, NULL, NULL },
	{ "[2001:db8::1]x", -1, NULL, NULL },
	{ "[mx.example.org]:25", -1, NULL, NULL },
	{ "2001:db8::zz", -1, NULL, NULL },
	{ ":25", -1, NULL, NULL },
};

START_TEST(target_table)
{
	char		 host[PROBE_HOST_MAX], port[PROBE_PORT_MAX];
	struct cd_err	 err;

	ck_assert_int_eq(probe_parse_target(targets[_i].in, host, port, &err),
	    targets[_i].rc);
	if (targets[_i].rc == 0) {
		ck_assert_str_eq(host, targets[_i].host);
		ck_assert_str_eq(port, targets[_i].port);
	} else
		ck_assert_int_eq(err.kind, CD_EUSAGE);
}
END_TEST

/* ---- fake SMTP servers on 127.0.0.1 */

enum srv_mode {
	M_STARTTLS,	/* banner, EHLO, STARTTLS, TLS, QUIT inside TLS */
	M_MULTI,	/* multi-line banner and EHLO, lower case keyword */
	M_IMPLICIT,	/* TLS first, then banner, QUIT */
	M_NO_STARTTLS,
	M_STALL_BANNER,
	M_STALL_EHLO,
	M_STALL_TLS,	/* 220 to STARTTLS, then nothing */
	M_TRICKLE,	/* a byte at a time, forever (total deadline) */
	M_GARBAGE,
	M_REFUSE,	/* 554 banner */
	M_EHLO_502,
	M_STARTTLS_454,
	M_INJECT,	/* extra bytes after the 220 to STARTTLS */
	M_CLOSE,	/* closes at once */
	M_LONG_LINE,
	M_NOT_TLS,	/* answers the handshake with plain text */
	M_IMAPS,		/* TLS, then an IMAP greeting (no SMTP) */
	M_IMPLICIT_GARBAGE,	/* TLS, then a garbage banner */
	M_LONG_CHAIN,	/* 11 certificates */
	M_LONG_CHAIN_IMPLICIT,
};

#define HELO	"probe.example.org"

static EVP_PKEY	*ca_key, *int_key, *srv_key;
static X509	*ca, *inter, *srv_cert;
static unsigned char	*staple;
static int	 staple_len;

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

static X509 *
mkcert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
    long serial, bool is_ca)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();

	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), serial),
	    1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n), 1);
	X509_NAME_free(n);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x),
	    86400 * 30));
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	if (is_ca)
		add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints,
		    "critical,CA:TRUE");
	else
		add_ext(x, issuer, NID_subject_alt_name, "DNS:localhost");
	ck_assert_int_gt(X509_sign(x, ikey != NULL ? ikey : key,
	    EVP_sha256()), 0);
	return x;
}

static void
pki_setup(void)
{
	OCSP_RESPONSE	*resp;

	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	int_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	srv_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca = mkcert("probe test root", ca_key, NULL, NULL, 1, true);
	inter = mkcert("probe test intermediate", int_key, ca, ca_key, 2,
	    true);
	srv_cert = mkcert("localhost", srv_key, inter, int_key, 3, false);
	/* any OCSP response will do: the probe only carries it */
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, NULL);
	ck_assert_ptr_nonnull(resp);
	staple_len = i2d_OCSP_RESPONSE(resp, &staple);
	ck_assert_int_gt(staple_len, 0);
	OCSP_RESPONSE_free(resp);
}

static void
pki_teardown(void)
{
	X509_free(ca);
	X509_free(inter);
	X509_free(srv_cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(int_key);
	EVP_PKEY_free(srv_key);
	OPENSSL_free(staple);
}

/* --- the server side (runs in a child; exit status 0 = all expected) */

static int
status_cb(SSL *ssl, void *arg)
{
	unsigned char	*p;

	(void)arg;
	if ((p = OPENSSL_memdup(staple, (size_t)staple_len)) == NULL)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	SSL_set_tlsext_status_ocsp_resp(ssl, p, staple_len);
	return SSL_TLSEXT_ERR_OK;
}

static void
say(int fd, SSL *ssl, const char *s)
{
	size_t	 len = strlen(s);

	if (ssl != NULL) {
		if (SSL_write(ssl, s, (int)len) != (int)len)
			_exit(20);
	} else if (write(fd, s, len) != (ssize_t)len)
		_exit(21);
}

/* reads one line (up to LF) or exits */
static void
hear(int fd, SSL *ssl, char *buf, size_t len)
{
	size_t	 n = 0;
	char	 c;

	while (n + 1 < len) {
		if (ssl != NULL ? SSL_read(ssl, &c, 1) != 1 :
		    read(fd, &c, 1) != 1)
			_exit(22);
		buf[n++] = c;
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
}

static void
expect(int fd, SSL *ssl, const char *want, int code)
{
	char	 buf[600];

	hear(fd, ssl, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		_exit(code);
}

/* waits until the client goes away */
static void
drain(int fd)
{
	char	 buf[512];

	while (read(fd, buf, sizeof(buf)) > 0)
		continue;
}

static SSL *
tls_accept(int fd, bool with_staple, int maxver, enum srv_mode m)
{
	SSL_CTX	*ctx = SSL_CTX_new(TLS_server_method());
	SSL	*ssl;
	int	 i;

	if (ctx == NULL || SSL_CTX_use_certificate(ctx, srv_cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, srv_key) != 1 ||
	    SSL_CTX_add1_chain_cert(ctx, inter) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, maxver) != 1)
		_exit(30);
	for (i = 0; (m == M_LONG_CHAIN || m == M_LONG_CHAIN_IMPLICIT) &&
	    i < PROBE_CHAIN_MAX - 1; i++)
		if (SSL_CTX_add1_chain_cert(ctx, ca) != 1)
			_exit(33);
	/* no tickets after the handshake: a probe that leaves right after
	 * it must not make SSL_accept() fail */
	if (m == M_IMAPS && SSL_CTX_set_num_tickets(ctx, 0) != 1)
		_exit(34);
	if (with_staple)
		SSL_CTX_set_tlsext_status_cb(ctx, status_cb);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_accept(ssl) != 1)
		_exit(31);
	return ssl;
}

static void
tls_quit(int fd, SSL *ssl)
{
	expect(fd, ssl, "QUIT\r\n", 32);
	say(fd, ssl, "221 2.0.0 bye\r\n");
	(void)SSL_shutdown(ssl);
	drain(fd);
}

static void
serve(int lfd, enum srv_mode m, bool with_staple, int maxver)
{
	SSL	*ssl = NULL;
	int	 fd;
	size_t	 i;

	/* Check's handlers would signal the whole process group */
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGALRM, SIG_DFL);
	(void)signal(SIGPIPE, SIG_DFL);
	(void)alarm(20);	/* a safety net should the parent vanish */
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(10);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
	    sizeof(int));
	(void)close(lfd);
	switch (m) {
	case M_CLOSE:
		_exit(0);
	case M_STALL_BANNER:
		drain(fd);
		_exit(0);
	case M_TRICKLE:
		/* a byte every 50 ms keeps every read busy, until the
		 * probe leaves (then SIGPIPE ends us) */
		for (i = 0; i < 1000; i++) {
			say(fd, NULL, "2");
			(void)nanosleep(&(struct timespec){ 0, 50000000 },
			    NULL);
		}
		_exit(0);
	case M_GARBAGE:
		say(fd, NULL, "hello there\r\n");
		drain(fd);
		_exit(0);
	case M_REFUSE:
		say(fd, NULL, "554 5.7.1 no service for you\r\n");
		expect(fd, NULL, "QUIT\r\n", 13);
		_exit(0);
	case M_LONG_LINE:
		say(fd, NULL, "220 ");
		for (i = 0; i < PROBE_LINE_MAX; i++)
			say(fd, NULL, "x");
		say(fd, NULL, "\r\n");
		drain(fd);
		_exit(0);
	case M_IMPLICIT:
	case M_IMPLICIT_GARBAGE:
	case M_IMAPS:
	case M_LONG_CHAIN_IMPLICIT:
		if (m == M_IMAPS)
			(void)signal(SIGPIPE, SIG_IGN);
		ssl = tls_accept(fd, with_staple, maxver, m);
		if (m == M_IMAPS) {
			/* RFC 9051 §7.1.1; the probe may be gone already,
			 * and must not have sent any application data */
			(void)SSL_write(ssl, "* OK [CAPABILITY IMAP4rev1] "
			    "ready\r\n", 36);
			if (SSL_read(ssl, (char[8]){ 0 }, 8) > 0)
				_exit(40);
			_exit(0);
		}
		if (m == M_IMPLICIT_GARBAGE) {
			say(fd, ssl, "\x16\x03\x01 what\r\n");
			drain(fd);
			_exit(0);
		}
		say(fd, ssl, "220 smtps.example.org ESMTP\r\n");
		tls_quit(fd, ssl);
		_exit(0);
	default:
		break;
	}
	if (m == M_MULTI)
		say(fd, NULL, "220-mx.example.org ESMTP\r\n220-no UCE\r\n"
		    "220 really\r\n");
	else
		say(fd, NULL, "220 mx.example.org ESMTP\r\n");
	if (m == M_STALL_EHLO) {
		drain(fd);
		_exit(0);
	}
	expect(fd, NULL, "EHLO " HELO "\r\n", 11);
	if (m == M_EHLO_502) {
		say(fd, NULL, "502 5.5.1 no EHLO here\r\n");
		expect(fd, NULL, "QUIT\r\n", 13);
		_exit(0);
	}
	if (m == M_NO_STARTTLS) {
		say(fd, NULL, "250-mx.example.org\r\n250-PIPELINING\r\n"
		    "250 8BITMIME\r\n");
		expect(fd, NULL, "QUIT\r\n", 13);
		_exit(0);
	}
	if (m == M_MULTI)
		say(fd, NULL, "250-mx.example.org\r\n250-SIZE 1000\r\n"
		    "250-starttls\r\n250 8BITMIME\r\n");
	else
		say(fd, NULL, "250-mx.example.org\r\n250-PIPELINING\r\n"
		    "250-STARTTLS\r\n250 8BITMIME\r\n");
	expect(fd, NULL, "STARTTLS\r\n", 12);
	switch (m) {
	case M_STARTTLS_454:
		say(fd, NULL, "454 4.7.0 TLS not available\r\n");
		expect(fd, NULL, "QUIT\r\n", 13);
		_exit(0);
	case M_INJECT:
		say(fd, NULL, "220 2.0.0 go ahead\r\n250 injected\r\n");
		drain(fd);
		_exit(0);
	case M_NOT_TLS:
		say(fd, NULL, "220 2.0.0 go ahead\r\n");
		/* the ClientHello, then plain text */
		if (read(fd, (char[512]){ 0 }, 512) <= 0)
			_exit(14);
		say(fd, NULL, "500 what is this\r\n");
		drain(fd);
		_exit(0);
	case M_STALL_TLS:
		say(fd, NULL, "220 2.0.0 go ahead\r\n");
		drain(fd);
		_exit(0);
	default:
		break;
	}
	say(fd, NULL, "220 2.0.0 go ahead\r\n");
	ssl = tls_accept(fd, with_staple, maxver, m);
	tls_quit(fd, ssl);
	_exit(0);
}

struct srv {
	pid_t	 pid;
	char	 port[8];
};

static void
srv_start(struct srv *s, enum srv_mode m, bool with_staple, int maxver)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 lfd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(lfd, -1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	(void)snprintf(s->port, sizeof(s->port), "%u", ntohs(sin.sin_port));
	s->pid = fork();
	ck_assert_int_ne(s->pid, -1);
	if (s->pid == 0)
		serve(lfd, m, with_staple, maxver);
	(void)close(lfd);
}

/* the server's exit status; a server still running is killed */
static int
srv_wait(struct srv *s)
{
	int	 st;

	ck_assert_int_eq(waitpid(s->pid, &st, 0), s->pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
srv_kill(struct srv *s)
{
	int	 st;

	(void)kill(s->pid, SIGKILL);
	(void)waitpid(s->pid, &st, 0);
}

static long long
ms_now(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
opts_for(struct probe_opts *o, const struct srv *s, bool starttls)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = s->port;
	o->starttls = starttls;
	o->helo_name = HELO;
	o->timeout_ms = 5000;
}

static void
assert_chain(const struct probe_result *res)
{
	char	 a[CHAIN_FPR_HEX], b[CHAIN_FPR_HEX];

	ck_assert_ptr_nonnull(res->chain);
	ck_assert_int_eq(sk_X509_num(res->chain), 2);
	ck_assert_int_eq(chain_fingerprint(sk_X509_value(res->chain, 0), a,
	    NULL), 0);
	ck_assert_int_eq(chain_fingerprint(srv_cert, b, NULL), 0);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(chain_fingerprint(sk_X509_value(res->chain, 1), a,
	    NULL), 0);
	ck_assert_int_eq(chain_fingerprint(inter, b, NULL), 0);
	ck_assert_str_eq(a, b);
}

/* _i: bit 0 staple, bit 1 TLS 1.2 instead of 1.3, bit 2 implicit TLS */
START_TEST(probe_ok)
{
	struct srv		 s;
	struct probe_opts	 o;
	struct probe_result	 res;
	struct cd_err		 err;
	bool			 with_staple = _i & 1, implicit = _i & 4;
	int			 maxver = _i & 2 ? TLS1_2_VERSION :
	    TLS1_3_VERSION;

	srv_start(&s, implicit ? M_IMPLICIT : M_STARTTLS, with_staple,
	    maxver);
	opts_for(&o, &s, !implicit);
	ck_assert_msg(probe_run(&o, &res, &err) == 0, "%s", err.msg);
	assert_chain(&res);
	if (with_staple) {
		ck_assert_uint_eq(res.ocsp_len, (size_t)staple_len);
		ck_assert_mem_eq(res.ocsp, staple, (size_t)staple_len);
	} else {
		ck_assert_ptr_null(res.ocsp);
		ck_assert_uint_eq(res.ocsp_len, 0);
	}
	ck_assert(!res.ocsp_dropped);
	ck_assert_str_eq(res.banner, implicit ? "smtps.example.org ESMTP" :
	    "mx.example.org ESMTP");
	ck_assert_str_eq(res.addr, "127.0.0.1");
	ck_assert_str_eq(res.tls_version, _i & 2 ? "TLSv1.2" : "TLSv1.3");
	probe_result_clear(&res);
	ck_assert_ptr_null(res.chain);
	probe_result_clear(NULL);
	/* the server saw EHLO, STARTTLS and QUIT inside TLS */
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

START_TEST(probe_multiline)
{
	struct srv		 s;
	struct probe_opts	 o;
	struct probe_result	 res;
	struct cd_err		 err;

	srv_start(&s, M_MULTI, false, TLS1_3_VERSION);
	opts_for(&o, &s, true);
	/* a name: resolved (perhaps ::1 first, which refuses), SNI */
	o.host = "localhost";
	ck_assert_msg(probe_run(&o, &res, &err) == 0, "%s", err.msg);
	assert_chain(&res);
	ck_assert_str_eq(res.banner, "mx.example.org ESMTP");
	probe_result_clear(&res);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

static const struct {
	enum srv_mode	 mode;
	bool		 starttls;
	int		 timeout_ms;
	int		 total_ms;
	enum cd_errkind	 kind;
	const char	*msg;
	bool		 quit;	/* the server must have seen QUIT */
} failures[] = {
	{ M_NO_STARTTLS, true, 5000, 0, CD_EPROTO,
	    "does not offer STARTTLS", true },
	{ M_STALL_BANNER, true, 100, 0, CD_ENET, "timed out (banner)", false },
	{ M_STALL_EHLO, true, 100, 0, CD_ENET, "timed out (EHLO)", false },
	{ M_STALL_TLS, true, 100, 0, CD_ENET, "timed out (TLS handshake)",
	    false },
	{ M_STALL_BANNER, false, 100, 0, CD_ENET,
	    "timed out (TLS handshake)", false },
	{ M_TRICKLE, true, 5000, 150, CD_ENET, "timed out (banner)", false },
	{ M_GARBAGE, true, 5000, 0, CD_EPROTO, "banner: reply: bad code",
	    false },
	{ M_REFUSE, true, 5000, 0, CD_EPROTO,
	    "banner: 554 5.7.1 no service for you", true },
	{ M_EHLO_502, true, 5000, 0, CD_EPROTO, "EHLO: 502", true },
	{ M_STARTTLS_454, true, 5000, 0, CD_EPROTO,
	    "STARTTLS: 454 4.7.0 TLS not available", true },
	{ M_INJECT, true, 5000, 0, CD_EPROTO, "data after the STARTTLS",
	    false },
	{ M_CLOSE, true, 5000, 0, CD_ENET, "connection closed by the peer",
	    false },
	/* closed or reset, depending on timing */
	{ M_CLOSE, false, 5000, 0, CD_ENET, "(TLS handshake)", false },
	{ M_LONG_LINE, true, 5000, 0, CD_EPROTO, "longer than", false },
	{ M_NOT_TLS, true, 5000, 0, CD_ENET, "TLS failed (TLS handshake)",
	    false },
	{ M_GARBAGE, false, 5000, 0, CD_ENET, "TLS failed", false },
	{ M_IMPLICIT_GARBAGE, false, 5000, 0, CD_EPROTO,
	    "banner: reply: control byte 0x16", false },
	{ M_LONG_CHAIN, true, 5000, 0, CD_EPROTO, "11 certificates", false },
	{ M_LONG_CHAIN_IMPLICIT, false, 5000, 0, CD_EPROTO, "11 certificates",
	    false },
};

START_TEST(probe_fails)
{
	struct srv		 s;
	struct probe_opts	 o;
	struct probe_result	 res;
	struct cd_err		 err;
	long long		 t0, dt;

	srv_start(&s, failures[_i].mode, false, TLS1_3_VERSION);
	opts_for(&o, &s, failures[_i].starttls);
	o.timeout_ms = failures[_i].timeout_ms;
	o.total_ms = failures[_i].total_ms;
	t0 = ms_now();
	ck_assert_int_eq(probe_run(&o, &res, &err), -1);
	dt = ms_now() - t0;
	ck_assert_msg(err.kind == failures[_i].kind, "%d %s", err.kind,
	    err.msg);
	ck_assert_msg(strstr(err.msg, failures[_i].msg) != NULL, "%s",
	    err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "127.0.0.1:"));
	ck_assert_ptr_null(res.chain);
	ck_assert_ptr_null(res.ocsp);
	/* deadlines hold: generous bound, no test waits on a real timer */
	ck_assert_int_lt(dt, 3000);
	if (failures[_i].quit)
		ck_assert_int_eq(srv_wait(&s), 0);
	else
		srv_kill(&s);
}
END_TEST

/* _i: 0 an IMAPS server, 1 an SMTPS one (it waits for QUIT in vain) */
START_TEST(probe_tls_only)
{
	struct srv		 s;
	struct probe_opts	 o;
	struct probe_result	 res;
	struct cd_err		 err;

	srv_start(&s, _i == 0 ? M_IMAPS : M_IMPLICIT, false, TLS1_3_VERSION);
	opts_for(&o, &s, false);
	o.tls_only = true;
	ck_assert_msg(probe_run(&o, &res, &err) == 0, "%s", err.msg);
	assert_chain(&res);
	ck_assert_str_eq(res.banner, "");
	ck_assert_str_eq(res.tls_version, "TLSv1.3");
	probe_result_clear(&res);
	if (_i == 0)
		ck_assert_int_eq(srv_wait(&s), 0);
	else	/* no QUIT came: the server failed to read it (22) or to
		 * write its banner to a closed connection (SIGPIPE) */
		ck_assert_int_ne(srv_wait(&s), 0);
	/* without tls_only the IMAP greeting is a protocol error */
	srv_start(&s, M_IMAPS, false, TLS1_3_VERSION);
	opts_for(&o, &s, false);
	ck_assert_int_eq(probe_run(&o, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);
	ck_assert_ptr_null(res.chain);
	ck_assert_int_eq(srv_wait(&s), 0);
	/* with STARTTLS it makes no sense */
	o.starttls = true;
	o.tls_only = true;
	ck_assert_int_eq(probe_run(&o, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_EUSAGE);
}
END_TEST

START_TEST(probe_bad_args)
{
	struct probe_opts	 o;
	struct probe_result	 res;
	struct cd_err		 err;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	char			 port[8];
	int			 fd;

	memset(&o, 0, sizeof(o));
	o.host = "bad host";
	ck_assert_int_eq(probe_run(&o, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_EUSAGE);
	o.host = "127.0.0.1";
	o.port = "0";
	ck_assert_int_eq(probe_run(&o, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_EUSAGE);
	o.port = "25";
	o.helo_name = "bad\r\nMAIL FROM:<x>";
	ck_assert_int_eq(probe_run(&o, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	o.helo_name = "[not-an-ip]";
	ck_assert_int_eq(probe_run(&o, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	o.helo_name = "[2001:db8::1]";		/* needs "IPv6:" */
	ck_assert_int_eq(probe_run(&o, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	/* a closed port: connection refused */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	(void)snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	o.helo_name = "[127.0.0.1]";
	o.port = port;
	o.starttls = true;
	o.timeout_ms = 2000;
	ck_assert_int_eq(probe_run(&o, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ENET);
	ck_assert_ptr_nonnull(strstr(err.msg, "connect"));
	ck_assert_ptr_nonnull(strstr(err.msg, "refused"));
	(void)close(fd);
}
END_TEST

Suite *
probe_suite(void)
{
	Suite	*s = suite_create("probe");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_loop_test(tc, reply_table, 0,
	    sizeof(replies) / sizeof(replies[0]));
	tcase_add_test(tc, reply_limits);
	tcase_add_loop_test(tc, target_table, 0,
	    sizeof(targets) / sizeof(targets[0]));
	tcase_add_loop_test(tc, probe_ok, 0, 8);
	tcase_add_test(tc, probe_multiline);
	tcase_add_loop_test(tc, probe_fails, 0,
	    sizeof(failures) / sizeof(failures[0]));
	tcase_add_loop_test(tc, probe_tls_only, 0, 2);
	tcase_add_test(tc, probe_bad_args);
	suite_add_tcase(s, tc);
	return s;
}
