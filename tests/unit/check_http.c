/*
 * check_http.c - acme/http.c: the URL splitter, the incremental response
 * parser (every input fed whole and byte by byte, with the same result),
 * proxies from the environment, and the transport against TLS servers and
 * a CONNECT proxy that the tests fork on 127.0.0.1 (no other network).
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "http.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define BODY_MAX_DEF	1024	/* body_max of the parser tables */

/* ---- URLs */

static const struct {
	const char	*url;
	bool		 allow_http;
	bool		 tls;
	const char	*host;
	bool		 ipv6;
	const char	*port;
	int		 default_port;	/* -1: not checked */
	const char	*path;	/* the pathlen bytes at u.path */
} urls[] = {
	{ "https://acme.example.org/directory", false, true,
	    "acme.example.org", false, "443", 1, "/directory" },
	{ "https://acme.example.org", false, true,
	    "acme.example.org", false, "443", 1, "" },
	{ "https://acme.example.org:8443/dir", false, true,
	    "acme.example.org", false, "8443", 0, "/dir" },
	{ "https://acme.example.org:65535/", false, true,
	    "acme.example.org", false, "65535", 0, "/" },
	{ "https://acme.example.org:1/", false, true,
	    "acme.example.org", false, "1", 0, "/" },
	{ "http://acme.example.org/x", true, false,
	    "acme.example.org", false, "80", 1, "/x" },
	{ "http://127.0.0.1:14000/dir", true, false,
	    "127.0.0.1", false, "14000", 0, "/dir" },
	{ "https://acme.example.org/x", true, true,
	    "acme.example.org", false, "443", 1, "/x" },
	{ "https://127.0.0.1/acme", false, true,
	    "127.0.0.1", false, "443", 1, "/acme" },
	{ "https://[::1]:8443/a/b", false, true,
	    "::1", true, "8443", 0, "/a/b" },
	{ "https://[2001:db8::7]/", false, true,
	    "2001:db8::7", true, "443", 1, "/" },
	{ "https://ca.test/a/b?c=d&e=f", false, true,
	    "ca.test", false, "443", 1, "/a/b?c=d&e=f" },
	{ "https://ca.test?c=d", false, true,
	    "ca.test", false, "443", 1, "?c=d" },
	{ "https://ca.test/a?b#frag", false, true,
	    "ca.test", false, "443", 1, "/a?b" },
	{ "https://ca.test/a#frag?x", false, true,
	    "ca.test", false, "443", 1, "/a" },
	{ "https://ca.test#frag", false, true,
	    "ca.test", false, "443", 1, "" },
	{ "https://ca.test:8443#f", false, true,
	    "ca.test", false, "8443", 0, "" },
	{ "https://ca.test/%41%20b", false, true,
	    "ca.test", false, "443", 1, "/%41%20b" },
};

/* refused with ACME_EUSAGE */
static const struct {
	const char	*url;
	bool		 allow_http;
} bad_urls[] = {
	{ "http://acme.example.org/", false },
	{ "ftp://acme.example.org/", true },
	{ "file:///etc/passwd", true },
	{ "acme.example.org/dir", true },
	{ "https:acme.example.org/dir", true },
	{ "//acme.example.org/dir", true },
	{ "", true },
	{ "https://", false },
	{ "https:///dir", false },
	{ "https://:443/dir", false },
	{ "https://user@ca.test/", false },
	{ "https://user:pw@ca.test/", false },
	{ "https://@ca.test/", false },
	{ "https://ca.test:0/", false },
	{ "https://ca.test:65536/", false },
	{ "https://ca.test:99999999999999999999/", false },
	{ "https://ca.test:abc/", false },
	{ "https://ca.test:-1/", false },
	{ "https://ca.test:+443/", false },
	{ "https://ca.test:443:443/", false },
	{ "https://ca .test/", false },
	{ "https://ca.test/a b", false },
	{ "https://ca.test/a\tb", false },
	{ "https://ca.test/a\r\nHost: evil", false },
	{ "https://ca.test/\n", false },
	{ "https://ca.test/\x80", false },
	{ "https://ca.t\xc3\xa9st/", false },
	{ "https://ca.test/\x7f", false },
	{ "https://[::1/", false },
	{ "https://[::1", false },
	{ "https://::1/", false },
	{ "https://[ca.test]/", false },
	{ "https://[]/", false },
};

START_TEST(url_parse)
{
	struct http_url	 u;
	struct acme_err	 err;

	memset(&u, 0, sizeof(u));
	memset(&err, 0, sizeof(err));
	ck_assert_msg(http_url_parse(urls[_i].url, urls[_i].allow_http, &u,
	    &err) == 0, "refused %s: %s", urls[_i].url, err.msg);
	ck_assert_int_eq(u.tls, urls[_i].tls);
	ck_assert_str_eq(u.host, urls[_i].host);
	ck_assert_int_eq(u.ipv6, urls[_i].ipv6);
	ck_assert_str_eq(u.port, urls[_i].port);
	if (urls[_i].default_port != -1)
		ck_assert_int_eq(u.default_port, urls[_i].default_port);
	ck_assert_ptr_nonnull(u.path);
	/* path points into the string it was given */
	ck_assert(u.path >= urls[_i].url &&
	    u.path + u.pathlen <= urls[_i].url + strlen(urls[_i].url));
	ck_assert_uint_eq(u.pathlen, strlen(urls[_i].path));
	ck_assert(memcmp(u.path, urls[_i].path, u.pathlen) == 0);
}
END_TEST

START_TEST(url_refused)
{
	struct http_url	 u;
	struct acme_err	 err;

	memset(&err, 0, sizeof(err));
	ck_assert_msg(http_url_parse(bad_urls[_i].url, bad_urls[_i].allow_http,
	    &u, &err) == -1, "accepted %s", bad_urls[_i].url);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_str_ne(err.msg, "");
}
END_TEST

/* host lengths around HTTP_HOST_MAX, with short labels */
START_TEST(url_host_max)
{
	char		 url[HTTP_HOST_MAX + 64], host[HTTP_HOST_MAX + 2];
	struct http_url	 u;
	struct acme_err	 err;
	size_t		 i, n;

	n = _i == 0 ? HTTP_HOST_MAX : HTTP_HOST_MAX + 1;

	for (i = 0; i < n; i++)
		host[i] = i % 2 == 0 ? 'a' : '.';
	host[n - 1] = 'b';	/* never a trailing dot */
	host[n] = '\0';
	ck_assert_int_lt(snprintf(url, sizeof(url), "https://%s/x", host),
	    (int)sizeof(url));
	if (_i == 0) {
		ck_assert_msg(http_url_parse(url, false, &u, &err) == 0,
		    "%s", err.msg);
		ck_assert_str_eq(u.host, host);
	} else {
		ck_assert_int_eq(http_url_parse(url, false, &u, &err), -1);
		ck_assert_int_eq(err.kind, ACME_EUSAGE);
	}
}
END_TEST

/* ---- the parser: every input fed whole and byte by byte */

struct outcome {
	int			 rc;
	size_t			 used;
	bool			 keep;
	bool			 started;
	struct acme_http_resp	 r;
	struct acme_err		 err;
};

/* step 0: the input in one piece */
static void
parse(const void *in, size_t len, size_t body_max, bool head, bool eof,
    size_t step, struct outcome *o)
{
	struct http_parser	 p;
	const unsigned char	*b = in;
	size_t			 i = 0, n, u;

	memset(o, 0, sizeof(*o));
	http_parser_init(&p, &o->r, body_max, head);
	ck_assert(!http_parser_started(&p));
	if (step == 0)
		step = len;
	while (i < len) {
		n = len - i < step ? len - i : step;
		u = n + 1;
		o->rc = http_parser_feed(&p, b + i, n, &u, &o->err);
		if (o->rc == -1)
			break;
		if (o->rc == 1) {
			ck_assert_uint_le(u, n);
			o->used = i + u;
			break;
		}
		ck_assert_int_eq(o->rc, 0);
		i += n;
	}
	if (o->rc == 0) {
		o->used = len;
		if (eof)
			o->rc = http_parser_eof(&p, &o->err);
	}
	o->started = http_parser_started(&p);
	if (o->rc == 1)
		o->keep = p.keep_alive;
	if (o->rc == -1)
		ck_assert_msg(o->err.kind == ACME_EPROTO, "kind %d: %s",
		    o->err.kind, o->err.msg);
}

static void
str_same(const char *a, const char *b, const char *what)
{
	if (a == NULL || b == NULL)
		ck_assert_msg(a == b, "%s: \"%s\" vs \"%s\"", what,
		    a != NULL ? a : "(null)", b != NULL ? b : "(null)");
	else
		ck_assert_msg(strcmp(a, b) == 0, "%s: \"%s\" vs \"%s\"",
		    what, a, b);
}

static void
body_ok(const struct acme_http_resp *r)
{
	ck_assert(r->body != NULL || r->len == 0);
	if (r->body != NULL)
		ck_assert_int_eq(r->body[r->len], '\0');
}

static void
outcome_same(const struct outcome *a, const struct outcome *b)
{
	size_t	 i;

	ck_assert_int_eq(a->rc, b->rc);
	if (a->rc != 1)
		return;
	ck_assert_int_eq(a->r.status, b->r.status);
	ck_assert_uint_eq(a->used, b->used);
	ck_assert_int_eq(a->keep, b->keep);
	ck_assert_uint_eq(a->r.len, b->r.len);
	body_ok(&a->r);
	body_ok(&b->r);
	if (a->r.len > 0)
		ck_assert(memcmp(a->r.body, b->r.body, a->r.len) == 0);
	str_same(a->r.content_type, b->r.content_type, "content_type");
	str_same(a->r.location, b->r.location, "location");
	str_same(a->r.replay_nonce, b->r.replay_nonce, "replay_nonce");
	str_same(a->r.retry_after, b->r.retry_after, "retry_after");
	ck_assert_uint_eq(a->r.nlinks, b->r.nlinks);
	for (i = 0; i < a->r.nlinks; i++)
		str_same(a->r.links[i], b->r.links[i], "link");
}

/* Parses whole and byte by byte, checks both agree, and leaves the
 * outcome of the whole feed in *o (the other is cleared). */
static void
parse_both(const void *in, size_t len, size_t body_max, bool head,
    bool eof, struct outcome *o)
{
	struct outcome	 bytewise;

	parse(in, len, body_max, head, eof, 0, o);
	parse(in, len, body_max, head, eof, 1, &bytewise);
	outcome_same(o, &bytewise);
	acme_http_resp_clear(&bytewise.r);
}

enum keep { K_ANY, K_YES, K_NO };

struct pcase {
	const char	*what;
	const char	*in;
	size_t		 len;
	size_t		 body_max;	/* 0: BODY_MAX_DEF */
	bool		 head;
	bool		 eof;	/* http_parser_eof() after the input */
	long		 status;
	const char	*body;		/* NULL: empty */
	size_t		 blen;
	size_t		 used;		/* 0: the whole input */
	enum keep	 keep;
	const char	*ctype;
	const char	*location;
	const char	*nonce;
	const char	*retry;
	const char	*links[4];
	size_t		 nlinks;
	bool		 may_fail;	/* -1 is right as well */
};

#define IN(s)	.in = (s), .len = sizeof(s) - 1
#define BODY(s)	.body = (s), .blen = sizeof(s) - 1
#define ST200	"HTTP/1.1 200 OK\r\n"
#define CL0	"Content-Length: 0\r\n\r\n"
#define TECH	"Transfer-Encoding: chunked\r\n\r\n"
#define R_OK2	ST200 "Content-Length: 2\r\n\r\nok"
#define R_CH	ST200 TECH "2\r\nok\r\n0\r\n\r\n"
#define R_204	"HTTP/1.1 204 No Content\r\n\r\n"
#define R_HEAD	ST200 "Content-Length: 1234\r\n\r\n"

static const struct pcase good[] = {
	{ "content-length", IN(ST200 "Content-Length: 5\r\n\r\nhello"),
	    .status = 200, BODY("hello"), .keep = K_YES },
	{ "content-length 0", IN(ST200 CL0), .status = 200,
	    .keep = K_YES },
	{ "NUL in the body", IN(ST200 "Content-Length: 3\r\n\r\na\0b"),
	    .status = 200, BODY("a\0b"), .keep = K_YES },
	{ "same content-length twice",
	    IN(ST200 "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok"),
	    .status = 200, BODY("ok"), .keep = K_YES },
	{ "content-length = body_max",
	    IN(ST200 "Content-Length: 16\r\n\r\n0123456789abcdef"),
	    .body_max = 16, .status = 200,
	    BODY("0123456789abcdef"), .keep = K_YES },
	{ "chunked", IN(ST200 TECH "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
	    .status = 200, BODY("hello world"), .keep = K_YES },
	{ "chunked, extensions", IN(ST200 TECH "5;foo=bar\r\nhello\r\n"
	    "a;x=\"y;z\";q\r\n0123456789\r\n0;last\r\n\r\n"),
	    .status = 200, BODY("hello0123456789"), .keep = K_YES },
	{ "chunked, hex digits", IN(ST200 TECH
	    "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"),
	    .status = 200, BODY("abcdefghijklmnopqrstuvwxyz"),
	    .keep = K_YES },
	{ "chunked, trailers", IN(ST200 TECH "2\r\nok\r\n0\r\n"
	    "X-Checksum: 1\r\nExpires: never\r\n\r\n"),
	    .status = 200, BODY("ok"), .keep = K_YES },
	{ "chunked, NUL and CRLF in the data",
	    IN(ST200 TECH "4\r\n\0\r\n\n\r\n0\r\n\r\n"),
	    .status = 200, BODY("\0\r\n\n"), .keep = K_YES },
	{ "chunked = body_max", IN(ST200 TECH "4\r\nabcd\r\n6\r\nefghij\r\n"
	    "0\r\n\r\n"), .body_max = 10, .status = 200,
	    BODY("abcdefghij"), .keep = K_YES },
	{ "chunked, coding name in capitals",
	    IN(ST200 "Transfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
	    .status = 200, BODY("ok"), .keep = K_YES },
	{ "body to EOF", IN(ST200 "Content-Type: text/plain\r\n\r\nall of it"),
	    .eof = true, .status = 200, BODY("all of it"),
	    .keep = K_NO, .ctype = "text/plain" },
	{ "empty body to EOF", IN(ST200 "\r\n"), .eof = true,
	    .status = 200, .keep = K_NO },
	{ "body to EOF = body_max", IN(ST200 "\r\nhello"), .body_max = 5,
	    .eof = true, .status = 200, BODY("hello"),
	    .keep = K_NO },
	{ "HEAD with content-length",
	    IN(ST200 "Content-Length: 1234\r\nReplay-Nonce: abc\r\n\r\n"),
	    .head = true, .status = 200, .keep = K_YES,
	    .nonce = "abc" },
	{ "HEAD with chunked", IN(ST200 TECH), .head = true,
	    .status = 200, .keep = K_YES },
	{ "HEAD, bytes follow", IN(R_HEAD "HTTP/1.1 200 OK\r\n"),
	    .head = true, .status = 200, .used = sizeof(R_HEAD) - 1,
	    .keep = K_YES },
	{ "204", IN(R_204), .status = 204, .keep = K_YES },
	{ "204, bytes follow", IN(R_204 R_204), .status = 204,
	    .used = sizeof(R_204) - 1, .keep = K_YES },
	{ "304 with content-length",
	    IN("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
	    .status = 304, .keep = K_YES },
	{ "100 then 200", IN("HTTP/1.1 100 Continue\r\n\r\n" R_OK2),
	    .status = 200, BODY("ok"), .keep = K_YES },
	{ "100, 103 then 201", IN("HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nX-Hint: 1\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nLocation: https://ca.test/o/1\r\n" CL0),
	    .status = 201, .keep = K_YES,
	    .location = "https://ca.test/o/1" },
	{ "LF line ends", IN("HTTP/1.1 200 OK\nContent-Length: 2\n"
	    "Content-Type: application/json\n\nok"), .status = 200,
	    BODY("ok"), .keep = K_YES, .ctype = "application/json" },
	{ "LF line ends, chunked", IN("HTTP/1.1 200 OK\n"
	    "Transfer-Encoding: chunked\n\n2\nok\n0\n\n"),
	    .status = 200, BODY("ok"), .keep = K_YES },
	{ "ACME headers", IN("HTTP/1.1 201 Created\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Location: https://ca.test/acct/1\r\n"
	    "Replay-Nonce: nonce-A_1\r\n"
	    "Retry-After: 120\r\n"
	    "Link: <https://ca.test/dir>;rel=\"index\"\r\n"
	    "Link: <https://ca.test/cert/1/1>;rel=\"alternate\"\r\n"
	    "Link: <https://ca.test/cert/1/2>;rel=\"alternate\"\r\n"
	    "Content-Length: 2\r\n\r\n{}"), .status = 201,
	    BODY("{}"), .keep = K_YES, .ctype = "application/json",
	    .location = "https://ca.test/acct/1", .nonce = "nonce-A_1",
	    .retry = "120", .links = { "<https://ca.test/dir>;rel=\"index\"",
	    "<https://ca.test/cert/1/1>;rel=\"alternate\"",
	    "<https://ca.test/cert/1/2>;rel=\"alternate\"" }, .nlinks = 3 },
	{ "names in any case, white space around values",
	    IN(ST200 "content-type:application/problem+json\r\n"
	    "LOCATION: \t https://ca.test/x \t\r\n"
	    "replay-NONCE:  abc  \r\n"
	    "retry-after:  Fri, 27 Nov 2026 04:01:00 GMT\r\n"
	    "link:<a>\r\ncontent-length: 0\r\n\r\n"), .status = 200,
	    .keep = K_YES, .ctype = "application/problem+json",
	    .location = "https://ca.test/x", .nonce = "abc",
	    .retry = "Fri, 27 Nov 2026 04:01:00 GMT", .links = { "<a>" },
	    .nlinks = 1 },
	{ "last one wins", IN(ST200 "Replay-Nonce: first\r\n"
	    "Content-Type: text/plain\r\nLocation: https://a/1\r\n"
	    "Retry-After: 1\r\nReplay-Nonce: second\r\n"
	    "Content-Type: application/pem-certificate-chain\r\n"
	    "Location: https://a/2\r\nRetry-After: 2\r\n" CL0),
	    .status = 200, .keep = K_YES,
	    .ctype = "application/pem-certificate-chain",
	    .location = "https://a/2", .nonce = "second", .retry = "2" },
	{ "content-type parameters after white space",
	    IN(ST200 "Content-Type: application/json ;charset=\"x\"\r\n" CL0),
	    .status = 200, .keep = K_YES,
	    .ctype = "application/json" },
	{ "empty header value", IN(ST200 "X-Empty:\r\nX-Sp: \r\n" CL0),
	    .status = 200, .keep = K_YES },
	{ "Connection: close",
	    IN(ST200 "Connection: close\r\nContent-Length: 2\r\n\r\nok"),
	    .status = 200, BODY("ok"), .keep = K_NO },
	{ "Connection: CLOSE", IN(ST200 "Connection: CLOSE\r\n" CL0),
	    .status = 200, .keep = K_NO },
	{ "Connection: close, chunked",
	    IN(ST200 "Connection: close\r\n" TECH "0\r\n\r\n"),
	    .status = 200, .keep = K_NO },
	{ "HTTP/1.0", IN("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	    .status = 200, BODY("ok"), .keep = K_NO },
	{ "bytes follow a content-length body",
	    IN(R_OK2 "HTTP/1.1 500 Oops\r\n"), .status = 200,
	    BODY("ok"), .used = sizeof(R_OK2) - 1, .keep = K_YES },
	{ "bytes follow a chunked body", IN(R_CH "XYZ"),
	    .status = 200, BODY("ok"), .used = sizeof(R_CH) - 1,
	    .keep = K_YES },
	{ "empty reason phrase",
	    IN("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"),
	    .status = 200, .keep = K_YES },
	{ "problem document", IN("HTTP/1.1 400 Bad Request\r\n"
	    "Content-Type: application/problem+json\r\n"
	    "Content-Length: 2\r\n\r\n{}"), .status = 400,
	    BODY("{}"), .keep = K_YES, .ctype = "application/problem+json" },
	{ "599", IN("HTTP/1.1 599 x\r\n" CL0), .status = 599,
	    .keep = K_YES },
	/* RFC 9112 §6.3: chunked wins over Content-Length, or an error */
	{ "chunked and content-length",
	    IN(ST200 "Content-Length: 100\r\n" TECH "2\r\nok\r\n0\r\n\r\n"),
	    .status = 200, BODY("ok"), .may_fail = true },
};

static const struct pcase bad[] = {
	{ "101", IN("HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: h2c\r\nConnection: Upgrade\r\n\r\n") },
	{ "obs-fold", IN(ST200 "X-A: a\r\n b\r\n" CL0) },
	{ "obs-fold, tab", IN(ST200 "X-A: a\r\n\tb\r\n" CL0) },
	{ "obs-fold of the first header", IN(ST200 " X-A: a\r\n" CL0) },
	{ "no colon", IN(ST200 "NoColon\r\n" CL0) },
	{ "space in the name", IN(ST200 "X A: b\r\n" CL0) },
	{ "space before the colon", IN(ST200 "Content-Length : 0\r\n\r\n") },
	{ "empty name", IN(ST200 ": x\r\n" CL0) },
	{ "( in the name", IN(ST200 "X(A): b\r\n" CL0) },
	{ "0x80 in the name", IN(ST200 "X\x80: b\r\n" CL0) },
	{ "NUL in the name", IN(ST200 "X\0A: b\r\n" CL0) },
	{ "NUL in a value", IN(ST200 "X-A: a\0b\r\n" CL0) },
	{ "NUL in the status line", IN("HTTP/1.1 200 O\0K\r\n" CL0) },
	{ "NUL in a chunk size line", IN(ST200 TECH "2\0\r\nok\r\n0\r\n\r\n") },
	{ "NUL in a trailer", IN(ST200 TECH "0\r\nX-T: \0\r\n\r\n") },
	{ "bare CR in a value", IN(ST200 "X-A: a\rb\r\n" CL0) },
	{ "CR CR LF", IN(ST200 "X-A: ab\r\r\n" CL0) },
	{ "bare CR in the status line", IN("HTTP/1.1 200 O\rK\r\n" CL0) },
	{ "bare CR ends the headers", IN(ST200 "Content-Length: 0\r\n\r") ,
	    .eof = true },
	{ "content-length 1a", IN(ST200 "Content-Length: 1a\r\n\r\nx") },
	{ "content-length -1", IN(ST200 "Content-Length: -1\r\n\r\n") },
	{ "content-length +1", IN(ST200 "Content-Length: +1\r\n\r\nx") },
	{ "content-length empty", IN(ST200 "Content-Length: \r\n\r\n") },
	{ "content-length 0x10", IN(ST200 "Content-Length: 0x10\r\n\r\n") },
	{ "content-length 1 2", IN(ST200 "Content-Length: 1 2\r\n\r\n") },
	{ "content-length list", IN(ST200 "Content-Length: 2, 2\r\n\r\nok") },
	{ "content-length overflow",
	    IN(ST200 "Content-Length: 99999999999999999999\r\n\r\nx") },
	{ "content-length 2^64",
	    IN(ST200 "Content-Length: 18446744073709551616\r\n\r\nx") },
	{ "content-length 2^64 - 1",
	    IN(ST200 "Content-Length: 18446744073709551615\r\n\r\nx") },
	{ "two content-lengths",
	    IN(ST200 "Content-Length: 2\r\nContent-Length: 3\r\n\r\nokk") },
	{ "content-length over body_max",
	    IN(ST200 "Content-Length: 17\r\n\r\n0123456789abcdefg"),
	    .body_max = 16 },
	/* refused before the body arrives */
	{ "content-length over body_max, no body yet",
	    IN(ST200 "Content-Length: 1000000\r\n\r\n") },
	{ "transfer-encoding gzip", IN(ST200 "Transfer-Encoding: gzip\r\n"
	    "\r\nxx") , .eof = true },
	{ "transfer-encoding gzip, chunked",
	    IN(ST200 "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n") },
	{ "transfer-encoding identity",
	    IN(ST200 "Transfer-Encoding: identity\r\n\r\nxx"), .eof = true },
	{ "chunk size not hex", IN(ST200 TECH "zz\r\nok\r\n0\r\n\r\n") },
	{ "chunk size empty", IN(ST200 TECH "\r\nok\r\n0\r\n\r\n") },
	{ "chunk size 0x5", IN(ST200 TECH "0x5\r\nhello\r\n0\r\n\r\n") },
	{ "chunk size -5", IN(ST200 TECH "-5\r\nhello\r\n0\r\n\r\n") },
	{ "chunk size of 17 hex digits",
	    IN(ST200 TECH "10000000000000000\r\nx\r\n0\r\n\r\n") },
	{ "chunk size of 17 f",
	    IN(ST200 TECH "fffffffffffffffff\r\nx\r\n0\r\n\r\n") },
	{ "chunk size 2^64 - 1",
	    IN(ST200 TECH "ffffffffffffffff\r\nx\r\n0\r\n\r\n") },
	{ "chunk over body_max", IN(ST200 TECH "b\r\n0123456789a\r\n0\r\n\r\n"),
	    .body_max = 10 },
	{ "chunks over body_max",
	    IN(ST200 TECH "6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n"),
	    .body_max = 10 },
	{ "chunk data without CRLF", IN(ST200 TECH "3\r\nabcX\r\n0\r\n\r\n") },
	{ "trailer without colon", IN(ST200 TECH "0\r\nbad trailer\r\n\r\n") },
	{ "trailer obs-fold", IN(ST200 TECH "0\r\nX-T: 1\r\n 2\r\n\r\n") },
	{ "body to EOF over body_max", IN(ST200 "\r\nhello!"), .body_max = 5,
	    .eof = true },
	{ "truncated content-length body",
	    IN(ST200 "Content-Length: 10\r\n\r\nabc"), .eof = true },
	{ "truncated chunk", IN(ST200 TECH "5\r\nhel"), .eof = true },
	{ "no last chunk", IN(ST200 TECH "5\r\nhello\r\n"), .eof = true },
	{ "no end of trailers", IN(ST200 TECH "0\r\nX-T: 1\r\n"), .eof = true },
	{ "truncated headers", IN(ST200 "Content-Le"), .eof = true },
	{ "truncated status line", IN("HTTP/1.1 20"), .eof = true },
	{ "nothing", IN(""), .eof = true },
	{ "only a 100", IN("HTTP/1.1 100 Continue\r\n\r\n"), .eof = true },
	{ "nine 1xx", IN("HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 100 Continue\r\n\r\n" "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 100 Continue\r\n\r\n" "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 100 Continue\r\n\r\n" "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 100 Continue\r\n\r\n" "HTTP/1.1 103 Early Hints\r\n\r\n"
	    ST200 CL0) },
	{ "HTTX/1.1", IN("HTTX/1.1 200 OK\r\n" CL0) },
	{ "status 99", IN("HTTP/1.1 99 Low\r\n" CL0) },
	{ "status abc", IN("HTTP/1.1 abc\r\n" CL0) },
	{ "status 2000", IN("HTTP/1.1 2000 OK\r\n" CL0) },
	{ "status +20", IN("HTTP/1.1 +20 OK\r\n" CL0) },
	{ "status 200OK", IN("HTTP/1.1 200OK\r\n" CL0) },
	{ "no status code", IN("HTTP/1.1\r\n" CL0) },
	{ "HTTP/2", IN("HTTP/2 200\r\n" CL0) },
	{ "HTTP/1.1 without a space", IN("HTTP/1.1200 OK\r\n" CL0) },
	{ "leading space", IN(" HTTP/1.1 200 OK\r\n" CL0) },
	{ "not HTTP", IN("SSH-2.0-OpenSSH_9.2\r\n\r\n"), .eof = true },
	{ "TLS alert bytes", IN("\x15\x03\x03\x00\x02\x02\x28"),
	    .eof = true },
};

static void
check_pcase(const struct pcase *c, bool fails)
{
	struct outcome	 o;
	size_t		 i, body_max = c->body_max ? c->body_max :
	    BODY_MAX_DEF;

	parse_both(c->in, c->len, body_max, c->head, c->eof, &o);
	if (fails || (c->may_fail && o.rc == -1)) {
		ck_assert_msg(o.rc == -1, "%s: accepted", c->what);
		acme_http_resp_clear(&o.r);
		return;
	}
	ck_assert_msg(o.rc == 1, "%s: rc %d: %s", c->what, o.rc, o.err.msg);
	ck_assert(o.started);
	ck_assert_int_eq(o.r.status, c->status);
	ck_assert_uint_eq(o.used, c->used ? c->used : c->len);
	ck_assert_msg(o.r.len == c->blen, "%s: body %zu bytes", c->what,
	    o.r.len);
	if (c->blen > 0)
		ck_assert(memcmp(o.r.body, c->body, c->blen) == 0);
	if (c->keep != K_ANY)
		ck_assert_msg(o.keep == (c->keep == K_YES), "%s: keep_alive %d",
		    c->what, o.keep);
	str_same(o.r.content_type, c->ctype, "content_type");
	str_same(o.r.location, c->location, "location");
	str_same(o.r.replay_nonce, c->nonce, "replay_nonce");
	str_same(o.r.retry_after, c->retry, "retry_after");
	ck_assert_uint_eq(o.r.nlinks, c->nlinks);
	for (i = 0; i < c->nlinks; i++)
		str_same(o.r.links[i], c->links[i], "link");
	acme_http_resp_clear(&o.r);
	/* cleared: a second clear is harmless */
	acme_http_resp_clear(&o.r);
}

START_TEST(parse_good)
{
	check_pcase(&good[_i], false);
}
END_TEST

START_TEST(parse_bad)
{
	check_pcase(&bad[_i], true);
}
END_TEST

/* Builds "HTTP/1.1 200 OK", nhdr header lines (one of them
 * Content-Length: 0 unless chunked), and for chunked a last chunk with
 * ntrl trailer lines; each header line is pad bytes long without its
 * CRLF (at least 16). */
static char *
gen_resp(size_t nhdr, size_t pad, bool chunked, size_t ntrl, size_t *len)
{
	size_t	 cap = (nhdr + ntrl + 4) * (pad + 40) + 64, n = 0, i, j;
	char	*b;

	ck_assert_ptr_nonnull(b = malloc(cap));
	n += (size_t)snprintf(b + n, cap - n, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < nhdr; i++) {
		if (i == 0) {
			n += (size_t)snprintf(b + n, cap - n, "%s\r\n",
			    chunked ? "Transfer-Encoding: chunked" :
			    "Content-Length: 0");
			continue;
		}
		n += (size_t)snprintf(b + n, cap - n, "X-H%04zu: ", i);
		for (j = 9; j < pad; j++)
			b[n++] = 'v';
		b[n++] = '\r';
		b[n++] = '\n';
	}
	n += (size_t)snprintf(b + n, cap - n, "\r\n");
	if (chunked) {
		n += (size_t)snprintf(b + n, cap - n, "0\r\n");
		for (i = 0; i < ntrl; i++)
			n += (size_t)snprintf(b + n, cap - n,
			    "X-T%04zu: t\r\n", i);
		n += (size_t)snprintf(b + n, cap - n, "\r\n");
	}
	ck_assert_uint_lt(n, cap);
	*len = n;
	return b;
}

static const struct {
	const char	*what;
	size_t		 nhdr, pad;
	bool		 chunked;
	size_t		 ntrl;
	int		 rc;
} limits[] = {
	{ "headers = max", HTTP_HEADERS_MAX, 20, false, 0, 1 },
	{ "headers = max + 1", HTTP_HEADERS_MAX + 1, 20, false, 0, -1 },
	{ "headers + trailers = max", HTTP_HEADERS_MAX / 2, 20, true,
	    HTTP_HEADERS_MAX / 2, 1 },
	{ "headers + trailers = max + 1", HTTP_HEADERS_MAX / 2, 20, true,
	    HTTP_HEADERS_MAX / 2 + 1, -1 },
	{ "a header line of max - 2 bytes", 2, HTTP_LINE_MAX - 2, false, 0,
	    1 },
	{ "a header line of max + 1 bytes", 2, HTTP_LINE_MAX + 1, false, 0,
	    -1 },
	{ "a header line of 4 * max bytes", 2, 4 * HTTP_LINE_MAX, false, 0,
	    -1 },
};

START_TEST(parse_limits)
{
	struct outcome	 o;
	char		*in;
	size_t		 len;

	in = gen_resp(limits[_i].nhdr, limits[_i].pad, limits[_i].chunked,
	    limits[_i].ntrl, &len);
	parse_both(in, len, BODY_MAX_DEF, false, false, &o);
	ck_assert_msg(o.rc == limits[_i].rc, "%s: rc %d: %s",
	    limits[_i].what, o.rc, o.err.msg);
	if (o.rc == 1) {
		ck_assert_uint_eq(o.used, len);
		ck_assert_int_eq(o.r.status, 200);
	}
	acme_http_resp_clear(&o.r);
	free(in);
}
END_TEST

/* over-long status and chunk-size lines */
START_TEST(parse_long_lines)
{
	struct outcome	 o;
	char		*in;
	size_t		 n = 0, cap = HTTP_LINE_MAX + 256, i;

	ck_assert_ptr_nonnull(in = malloc(cap));
	if (_i == 0) {
		n += (size_t)snprintf(in, cap, "HTTP/1.1 200 ");
		for (i = 0; i < HTTP_LINE_MAX; i++)
			in[n++] = 'a';
		n += (size_t)snprintf(in + n, cap - n, "\r\n" CL0);
	} else {
		n += (size_t)snprintf(in, cap, ST200 TECH "2;x=");
		for (i = 0; i < HTTP_LINE_MAX; i++)
			in[n++] = 'a';
		n += (size_t)snprintf(in + n, cap - n, "\r\nok\r\n0\r\n\r\n");
	}
	parse_both(in, n, BODY_MAX_DEF, false, true, &o);
	ck_assert_int_eq(o.rc, -1);
	acme_http_resp_clear(&o.r);
	free(in);
}
END_TEST

/* Link values past HTTP_LINKS_MAX are dropped, not refused */
START_TEST(parse_links_max)
{
	struct outcome	 o;
	char		*in, want[32];
	size_t		 n = 0, cap = 64 * (HTTP_LINKS_MAX + 8), i;

	ck_assert_ptr_nonnull(in = malloc(cap));
	n += (size_t)snprintf(in, cap, ST200);
	for (i = 0; i < HTTP_LINKS_MAX + 3; i++)
		n += (size_t)snprintf(in + n, cap - n, "Link: <l%zu>\r\n", i);
	n += (size_t)snprintf(in + n, cap - n, CL0);
	ck_assert_uint_lt(n, cap);
	parse_both(in, n, BODY_MAX_DEF, false, false, &o);
	ck_assert_msg(o.rc == 1, "%s", o.err.msg);
	ck_assert_uint_eq(o.r.nlinks, HTTP_LINKS_MAX);
	for (i = 0; i < HTTP_LINKS_MAX; i++) {
		(void)snprintf(want, sizeof(want), "<l%zu>", i);
		ck_assert_str_eq(o.r.links[i], want);
	}
	acme_http_resp_clear(&o.r);
	free(in);
}
END_TEST

/* a body of 1 MiB, exactly body_max, in one piece and in pieces of 1000 */
START_TEST(parse_big_body)
{
	struct outcome	 a, b;
	char		*in;
	size_t		 hl, n, blen = 1024 * 1024, i;

	ck_assert_ptr_nonnull(in = malloc(blen + 128));
	hl = (size_t)snprintf(in, 128, ST200 "Content-Length: %zu\r\n\r\n",
	    blen);
	for (i = 0; i < blen; i++)
		in[hl + i] = (char)(i * 7);
	n = hl + blen;
	parse(in, n, blen, false, false, 0, &a);
	parse(in, n, blen, false, false, 1000, &b);
	outcome_same(&a, &b);
	ck_assert_int_eq(a.rc, 1);
	ck_assert_uint_eq(a.r.len, blen);
	ck_assert(memcmp(a.r.body, in + hl, blen) == 0);
	acme_http_resp_clear(&a.r);
	acme_http_resp_clear(&b.r);
	/* one byte less allowed */
	parse(in, n, blen - 1, false, false, 0, &a);
	ck_assert_int_eq(a.rc, -1);
	acme_http_resp_clear(&a.r);
	free(in);
}
END_TEST

START_TEST(parse_started)
{
	struct http_parser	 p;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	size_t			 used;

	memset(&r, 0, sizeof(r));
	http_parser_init(&p, &r, BODY_MAX_DEF, false);
	ck_assert(!http_parser_started(&p));
	ck_assert_int_eq(http_parser_feed(&p, "HTTP/1.1 2", 10, &used, &err),
	    0);
	ck_assert(!http_parser_started(&p));
	ck_assert_int_eq(http_parser_feed(&p, "00 OK\r\n", 7, &used, &err),
	    0);
	ck_assert(http_parser_started(&p));
	ck_assert_int_eq(http_parser_feed(&p, "", 0, &used, &err), 0);
	ck_assert_int_eq(http_parser_feed(&p, "Content-Length: 2\r\n\r\no",
	    22, &used, &err), 0);
	ck_assert_int_eq(http_parser_feed(&p, "kX", 2, &used, &err), 1);
	ck_assert_uint_eq(used, 1);
	ck_assert_uint_eq(r.len, 2);
	ck_assert_str_eq((char *)r.body, "ok");
	acme_http_resp_clear(&r);
	memset(&r, 0, sizeof(r));
	acme_http_resp_clear(&r);
}
END_TEST

/* ---- proxies from the environment */

static const char *const proxy_vars[] = {
	"https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy",
	"ALL_PROXY", "http_proxy", "HTTP_PROXY",
};
/* The variables as they were before the test (file-scope: the checked
 * fixture saves them per test, and restores them after it). */
static char	*saved_env[NELEM(proxy_vars)];

static void
env_save(void)
{
	const char	*v;
	size_t		 i;

	for (i = 0; i < NELEM(proxy_vars); i++) {
		v = getenv(proxy_vars[i]);
		saved_env[i] = v != NULL ? strdup(v) : NULL;
		ck_assert(v == NULL || saved_env[i] != NULL);
		ck_assert_int_eq(unsetenv(proxy_vars[i]), 0);
	}
}

static void
env_restore(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(proxy_vars); i++) {
		if (saved_env[i] != NULL)
			(void)setenv(proxy_vars[i], saved_env[i], 1);
		else
			(void)unsetenv(proxy_vars[i]);
		free(saved_env[i]);
		saved_env[i] = NULL;
	}
}

static const struct {
	const char	*lower, *upper;	/* https_proxy, HTTPS_PROXY */
	const char	*no_lower, *no_upper;	/* no_proxy, NO_PROXY */
	const char	*host;
	int		 rc;
	const char	*phost, *pport, *auth;
} proxies[] = {
#define NOPX	NULL, NULL, NULL
	{ NULL, NULL, NULL, NULL, "acme.test", 0, NOPX },
	{ "proxy.test:3128", NULL, NULL, NULL, "acme.test", 1,
	    "proxy.test", "3128", NULL },
	{ "http://proxy.test:3128", NULL, NULL, NULL, "acme.test", 1,
	    "proxy.test", "3128", NULL },
	{ "http://proxy.test:3128/", NULL, NULL, NULL, "acme.test", 1,
	    "proxy.test", "3128", NULL },
	{ "http://user:p%40ss@proxy.test:3128", NULL, NULL, NULL,
	    "acme.test", 1, "proxy.test", "3128", "Basic dXNlcjpwQHNz" },
	{ "http://proxy.test", NULL, NULL, NULL, "acme.test", 1,
	    "proxy.test", "1080", NULL },
	{ "proxy.test", NULL, NULL, NULL, "acme.test", 1,
	    "proxy.test", "1080", NULL },
	{ "http://10.1.2.3:8080", NULL, NULL, NULL, "acme.test", 1,
	    "10.1.2.3", "8080", NULL },
	{ NULL, "upper.test:8080", NULL, NULL, "acme.test", 1,
	    "upper.test", "8080", NULL },
	{ "lower.test:1", "upper.test:2", NULL, NULL, "acme.test", 1,
	    "lower.test", "1", NULL },
	{ "socks5://proxy.test:1080", NULL, NULL, NULL, "acme.test", -1, NOPX },
	{ "https://proxy.test:3128", NULL, NULL, NULL, "acme.test", -1, NOPX },
	{ NULL, "socks5h://proxy.test", NULL, NULL, "acme.test", -1, NOPX },
	{ "http://proxy.test:0", NULL, NULL, NULL, "acme.test", -1, NOPX },
	{ "http://proxy.test:65536", NULL, NULL, NULL, "acme.test", -1, NOPX },
	{ "proxy.test:3128", NULL, "*", NULL, "acme.test", 0, NOPX },
	{ "proxy.test:3128", NULL, "example.org", NULL, "example.org", 0,
	    NOPX },
	{ "proxy.test:3128", NULL, "example.org", NULL, "mx.example.org", 0,
	    NOPX },
	{ "proxy.test:3128", NULL, ".example.org", NULL, "mx.example.org",
	    0, NOPX },
	{ "proxy.test:3128", NULL, "example.org", NULL, "xexample.org", 1,
	    "proxy.test", "3128", NULL },
	{ "proxy.test:3128", NULL, ".example.org", NULL, "xexample.org", 1,
	    "proxy.test", "3128", NULL },
	{ "proxy.test:3128", NULL, "example.org", NULL,
	    "example.org.evil.test", 1, "proxy.test", "3128", NULL },
	{ "proxy.test:3128", NULL, "mx.example.org", NULL, "example.org", 1,
	    "proxy.test", "3128", NULL },
	{ "proxy.test:3128", NULL, "other.test,example.org", NULL,
	    "example.org", 0, NOPX },
	{ "proxy.test:3128", NULL, "other.test, example.org", NULL,
	    "example.org", 0, NOPX },
	{ "proxy.test:3128", NULL, "other.test", NULL, "example.org", 1,
	    "proxy.test", "3128", NULL },
	{ "proxy.test:3128", NULL, NULL, "example.org", "example.org", 0,
	    NOPX },
	{ "proxy.test:3128", NULL, "127.0.0.1", NULL, "127.0.0.1", 0, NOPX },
	{ "proxy.test:3128", NULL, "", NULL, "acme.test", 1,
	    "proxy.test", "3128", NULL },
};

START_TEST(proxy_env)
{
	struct http_proxy	 px;
	struct acme_err		 err;
	int			 rc;

	if (proxies[_i].lower != NULL)
		ck_assert_int_eq(setenv("https_proxy", proxies[_i].lower, 1),
		    0);
	if (proxies[_i].upper != NULL)
		ck_assert_int_eq(setenv("HTTPS_PROXY", proxies[_i].upper, 1),
		    0);
	if (proxies[_i].no_lower != NULL)
		ck_assert_int_eq(setenv("no_proxy", proxies[_i].no_lower, 1),
		    0);
	if (proxies[_i].no_upper != NULL)
		ck_assert_int_eq(setenv("NO_PROXY", proxies[_i].no_upper, 1),
		    0);
	/* never consulted for https targets */
	ck_assert_int_eq(setenv("http_proxy", "http://wrong.test:1", 1), 0);
	memset(&px, 0, sizeof(px));
	memset(&err, 0, sizeof(err));
	rc = http_proxy_from_env(proxies[_i].host, &px, &err);
	ck_assert_msg(rc == proxies[_i].rc, "row %d: rc %d: %s", _i, rc,
	    err.msg);
	if (rc == -1)
		ck_assert_int_eq(err.kind, ACME_EUSAGE);
	if (rc == 1) {
		ck_assert_str_eq(px.host, proxies[_i].phost);
		ck_assert_str_eq(px.port, proxies[_i].pport);
		str_same(px.auth, proxies[_i].auth, "auth");
	}
	http_proxy_clear(&px);
}
END_TEST

/* ---- the transport against servers forked here */

/* The test PKI, made once in the runner (unchecked fixture): a CA, a
 * second CA nobody trusts, a leaf for localhost and 127.0.0.1, and a
 * leaf for other.test only, all P-256. File-scope state: the fixture
 * owns it. */
static EVP_PKEY	*ca_key, *ca2_key, *leaf_key;
static X509	*ca, *ca2, *leaf, *other;
static char	 pki_dir[] = "/tmp/check_http.XXXXXX";
static char	 ca_path[PATH_MAX], ca2_path[PATH_MAX];

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ck_assert_ptr_nonnull(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid,
	    value));
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* san NULL: a self-signed CA */
static X509 *
mkcert(const char *cn, const char *san, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *ikey, long serial)
{
	X509		*x;
	X509_NAME	*n;

	ck_assert_ptr_nonnull(x = X509_new());
	ck_assert_ptr_nonnull(n = X509_NAME_new());
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
	add_ext(x, x, NID_subject_key_identifier, "hash");
	add_ext(x, issuer != NULL ? issuer : x, NID_authority_key_identifier,
	    "keyid:always");
	if (san == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer, NID_key_usage,
		    "critical,digitalSignature");
		add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
		add_ext(x, issuer, NID_subject_alt_name, san);
	}
	ck_assert_int_gt(X509_sign(x, ikey != NULL ? ikey : key,
	    EVP_sha256()), 0);
	return x;
}

static void
write_pem(const char *path, X509 *x)
{
	FILE	*f;

	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	ck_assert_int_eq(fclose(f), 0);
}

static void
pki_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(pki_dir));
	ck_assert_ptr_nonnull(ca_key = EVP_EC_gen("P-256"));
	ck_assert_ptr_nonnull(ca2_key = EVP_EC_gen("P-256"));
	ck_assert_ptr_nonnull(leaf_key = EVP_EC_gen("P-256"));
	ca = mkcert("check_http root", NULL, ca_key, NULL, NULL, 1);
	ca2 = mkcert("check_http other root", NULL, ca2_key, NULL, NULL, 1);
	leaf = mkcert("localhost", "DNS:localhost,IP:127.0.0.1", leaf_key,
	    ca, ca_key, 2);
	other = mkcert("other.test", "DNS:other.test", leaf_key, ca, ca_key,
	    3);
	(void)snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", pki_dir);
	(void)snprintf(ca2_path, sizeof(ca2_path), "%s/ca2.pem", pki_dir);
	write_pem(ca_path, ca);
	write_pem(ca2_path, ca2);
}

static void
pki_teardown(void)
{
	(void)unlink(ca_path);
	(void)unlink(ca2_path);
	(void)rmdir(pki_dir);
	X509_free(ca);
	X509_free(ca2);
	X509_free(leaf);
	X509_free(other);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ca2_key);
	EVP_PKEY_free(leaf_key);
}

/* -- the servers' side (forked children; they exit 0 when all went as
 * expected, else print why and exit 1) */

#define SREQ_HEAD_MAX	8192
#define SREQ_BODY_MAX	(64 * 1024)
#define POST_LEN	20000	/* more than one TLS record */
#define BIG_CHUNK	20000

struct conn {
	int	 fd;
	SSL	*ssl;	/* NULL: plain text */
};

struct sreq {
	char		 head[SREQ_HEAD_MAX + 1];	/* a C string */
	size_t		 headlen;
	unsigned char	 body[SREQ_BODY_MAX + 1];
	size_t		 blen;
};

static void
need(bool ok, const char *what)
{
	if (!ok) {
		(void)fprintf(stderr, "check_http server: %s\n", what);
		_exit(1);
	}
}

static ssize_t
conn_read(struct conn *c, void *b, size_t n)
{
	int	 r;

	if (c->ssl == NULL)
		return read(c->fd, b, n);
	r = SSL_read(c->ssl, b, (int)n);
	if (r > 0)
		return r;
	return SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

static bool
conn_write(struct conn *c, const void *b, size_t n)
{
	const char	*p = b;
	ssize_t		 w;

	while (n > 0) {
		if (c->ssl != NULL)
			w = SSL_write(c->ssl, p, (int)n) > 0 ? (ssize_t)n : -1;
		else
			w = write(c->fd, p, n);
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void
say(struct conn *c, const char *s)
{
	need(conn_write(c, s, strlen(s)), "write");
}

static void
conn_close(struct conn *c)
{
	if (c->ssl != NULL) {
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		(void)close(c->fd);
	c->fd = -1;
}

/* reads until the peer closes (or errs) */
static void
drain(struct conn *c)
{
	char	 b[4096];

	while (conn_read(c, b, sizeof(b)) > 0)
		continue;
}

static SSL_CTX *
srv_ctx(X509 *cert)
{
	SSL_CTX	*ctx;

	need((ctx = SSL_CTX_new(TLS_server_method())) != NULL, "ctx");
	need(SSL_CTX_use_certificate(ctx, cert) == 1 &&
	    SSL_CTX_use_PrivateKey(ctx, leaf_key) == 1, "certificate");
	return ctx;
}

/* accepts one connection; ctx NULL: plain text. false: the handshake
 * failed. */
static bool
srv_accept(int lfd, SSL_CTX *ctx, struct conn *c)
{
	c->ssl = NULL;
	need((c->fd = accept(lfd, NULL, NULL)) != -1, "accept");
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
	    sizeof(int));
	if (ctx == NULL)
		return true;
	need((c->ssl = SSL_new(ctx)) != NULL &&
	    SSL_set_fd(c->ssl, c->fd) == 1, "SSL_new");
	return SSL_accept(c->ssl) == 1;
}

/* The value of header name in r (trimmed), or NULL. */
static const char *
hdr(const struct sreq *r, const char *name, char *out, size_t outlen)
{
	const char	*l = strchr(r->head, '\n'), *e, *v;
	size_t		 n = strlen(name), vl;

	while (l != NULL && l[1] != '\r') {
		l++;
		e = strchr(l, '\r');
		need(e != NULL && e[1] == '\n', "request line end");
		if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
			v = l + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			vl = (size_t)(e - v);
			while (vl > 0 && (v[vl - 1] == ' ' ||
			    v[vl - 1] == '\t'))
				vl--;
			need(vl < outlen, "header too long");
			memcpy(out, v, vl);
			out[vl] = '\0';
			return out;
		}
		l = e + 1;
	}
	return NULL;
}

static bool
first_line_is(const struct sreq *r, const char *want)
{
	size_t	 n = strlen(want);

	return strncmp(r->head, want, n) == 0 && r->head[n] == '\r' &&
	    r->head[n + 1] == '\n';
}

/* Reads one request with its body. Returns false at EOF before any byte;
 * a malformed request ends the server. */
static bool
req_read(struct conn *c, struct sreq *r, bool body)
{
	char		 v[64], *end;
	unsigned long	 cl = 0;
	ssize_t		 n;

	r->headlen = 0;
	r->blen = 0;
	for (;;) {
		need(r->headlen < SREQ_HEAD_MAX, "request head too long");
		n = conn_read(c, r->head + r->headlen, 1);
		if (n <= 0 && r->headlen == 0)
			return false;
		need(n == 1, "request head truncated");
		r->headlen++;
		r->head[r->headlen] = '\0';
		if (r->headlen >= 4 &&
		    memcmp(r->head + r->headlen - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	need(hdr(r, "Transfer-Encoding", v, sizeof(v)) == NULL,
	    "Transfer-Encoding in a request");
	if (!body || hdr(r, "Content-Length", v, sizeof(v)) == NULL)
		return true;
	errno = 0;
	cl = strtoul(v, &end, 10);
	need(errno == 0 && *end == '\0' && end != v && cl <= SREQ_BODY_MAX,
	    "Content-Length");
	while (r->blen < cl) {
		n = conn_read(c, r->body + r->blen, cl - r->blen);
		need(n > 0, "request body truncated");
		r->blen += (size_t)n;
	}
	r->body[r->blen] = '\0';
	return true;
}

static void
post_body(unsigned char *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)('a' + i % 26);
}

enum srv_mode {
	S_GET,		/* one GET: 200 with ACME headers and a body */
	S_POST,		/* checks a POST and echoes its body */
	S_REUSE,	/* HEAD, GET, POST on one connection */
	S_IDLE_CLOSE,	/* closes after the 1st answer, then a 2nd conn */
	S_CHUNKED,
	S_BIG,		/* Content-Length 4096 */
	S_BIG_CHUNKED,	/* 8 chunks of 512 */
	S_SILENT,	/* reads the request and never answers */
	S_REJECTED,	/* the handshake must fail */
	S_PLAIN,	/* http without TLS */
	S_PROBLEM,	/* 400 with a problem document */
	S_GARBAGE,	/* answers with something that is not HTTP */
	S_HANGUP,	/* reads the request and closes, every time */
	S_DROP_RST,	/* resets the kept conn. as the 2nd request comes */
	S_DROP_FIN,	/* closes it then, without an answer */
	S_EOF_NOTIFY,	/* a body delimited by the close + close_notify */
	S_EOF_CUT,	/* the same, cut by a TCP FIN without close_notify */
};

struct srv {
	pid_t	 pid;
	char	 port[8];
	int	 notify;	/* a byte once it closed (S_IDLE_CLOSE) or
				 * accepted (S_HANGUP, S_DROP_*) */
};

struct srv_args {
	enum srv_mode	 mode;
	const char	*host;		/* the Host header expected */
	const char	*target;	/* S_GET: the request target */
	X509		*cert;
	int		 notify;
};

static void
check_common(const struct sreq *r, const struct srv_args *a,
    const char *ua)
{
	char	 v[512];

	need(hdr(r, "Host", v, sizeof(v)) != NULL && strcmp(v, a->host) == 0,
	    "Host");
	need(hdr(r, "User-Agent", v, sizeof(v)) != NULL &&
	    strncmp(v, ua, strlen(ua)) == 0, "User-Agent");
}

static void
check_get(const struct sreq *r, const struct srv_args *a, const char *line)
{
	char	 v[64];

	need(first_line_is(r, line), "request line");
	check_common(r, a, "certd-acme");
	need(hdr(r, "Content-Length", v, sizeof(v)) == NULL ||
	    strcmp(v, "0") == 0, "Content-Length in a GET");
}

#define GET_BODY	"{\"hello\":\"x\"}"

static void
serve_get(struct conn *c, struct sreq *r, const struct srv_args *a)
{
	char	 line[300];

	need(req_read(c, r, true), "no request");
	(void)snprintf(line, sizeof(line), "GET %s HTTP/1.1", a->target);
	check_get(r, a, line);
	say(c, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Replay-Nonce: nonce-1\r\n"
	    "Location: https://ca.test/acct/1\r\n"
	    "Link: <https://ca.test/dir>;rel=\"index\"\r\n"
	    "Link: <https://ca.test/c/2>;rel=\"alternate\"\r\n"
	    "Retry-After: 30\r\n"
	    "Content-Length: 13\r\n\r\n" GET_BODY);
}

static void
serve_post(struct conn *c, struct sreq *r, const struct srv_args *a)
{
	unsigned char	*want;
	char		 v[64], hd[128];

	need(req_read(c, r, true), "no request");
	need(first_line_is(r, "POST /new-order HTTP/1.1"), "request line");
	check_common(r, a, "check-http/1");
	need(hdr(r, "Content-Type", v, sizeof(v)) != NULL &&
	    strcmp(v, "application/jose+json") == 0, "Content-Type");
	need(hdr(r, "Content-Length", v, sizeof(v)) != NULL &&
	    strcmp(v, "20000") == 0, "Content-Length");
	need((want = malloc(POST_LEN)) != NULL, "malloc");
	post_body(want, POST_LEN);
	need(r->blen == POST_LEN && memcmp(r->body, want, POST_LEN) == 0,
	    "body");
	free(want);
	(void)snprintf(hd, sizeof(hd), "HTTP/1.1 201 Created\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n", r->blen);
	say(c, hd);
	need(conn_write(c, r->body, r->blen), "write");
}

/* waits for the next request on c; a new connection instead is an error */
static void
await_same_conn(int lfd, struct conn *c)
{
	struct pollfd	 pfd[2];

	if (SSL_pending(c->ssl) > 0)
		return;
	pfd[0].fd = c->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = lfd;
	pfd[1].events = POLLIN;
	need(poll(pfd, 2, 8000) > 0, "no next request");
	need((pfd[1].revents & POLLIN) == 0, "a second connection");
}

static void
serve_reuse(int lfd, SSL_CTX *ctx, struct sreq *r, const struct srv_args *a)
{
	struct conn	 c;

	need(srv_accept(lfd, ctx, &c), "handshake");
	need(req_read(&c, r, true), "no HEAD");
	check_get(r, a, "HEAD / HTTP/1.1");
	say(&c, "HTTP/1.1 200 OK\r\nReplay-Nonce: n1\r\n"
	    "Cache-Control: no-store\r\nContent-Length: 1000\r\n\r\n");
	await_same_conn(lfd, &c);
	need(req_read(&c, r, true), "no GET");
	check_get(r, a, "GET /a?b=c HTTP/1.1");
	say(&c, "HTTP/1.1 200 OK\r\nReplay-Nonce: n2\r\n"
	    "Content-Length: 3\r\n\r\ntwo");
	await_same_conn(lfd, &c);
	need(req_read(&c, r, true), "no POST");
	need(first_line_is(r, "POST /p HTTP/1.1") && r->blen == 2 &&
	    memcmp(r->body, "{}", 2) == 0, "POST");
	say(&c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nthree\r\n0\r\n\r\n");
	drain(&c);
	conn_close(&c);
}

static void
serve_idle_close(int lfd, SSL_CTX *ctx, struct sreq *r,
    const struct srv_args *a)
{
	struct conn	 c;

	need(srv_accept(lfd, ctx, &c), "handshake");
	need(req_read(&c, r, true), "no first request");
	check_get(r, a, "GET /one HTTP/1.1");
	say(&c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
	conn_close(&c);
	need(write(a->notify, "x", 1) == 1, "notify");
	need(srv_accept(lfd, ctx, &c), "second handshake");
	need(req_read(&c, r, true), "no second request");
	need(first_line_is(r, "GET /two HTTP/1.1") ||
	    (first_line_is(r, "POST /two HTTP/1.1") && r->blen == 2 &&
	    memcmp(r->body, "{}", 2) == 0), "second request");
	say(&c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
	drain(&c);
	conn_close(&c);
}

/* answers /one, reads /two and drops the connection without an answer,
 * then answers /two on a new connection */
static void
serve_drop(int lfd, SSL_CTX *ctx, struct sreq *r, const struct srv_args *a)
{
	struct linger	 lg = { 1, 0 };
	struct conn	 c;

	need(write(a->notify, "a", 1) == 1, "notify");
	need(srv_accept(lfd, ctx, &c), "handshake");
	need(req_read(&c, r, true), "no first request");
	check_get(r, a, "GET /one HTTP/1.1");
	say(&c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
	need(req_read(&c, r, true), "no second request");
	if (a->mode == S_DROP_RST) {
		/* an RST at once, as from a server that timed it out */
		need(setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg)) == 0, "SO_LINGER");
		SSL_free(c.ssl);
		c.ssl = NULL;
	}
	conn_close(&c);
	need(write(a->notify, "a", 1) == 1, "notify");
	need(srv_accept(lfd, ctx, &c), "second handshake");
	need(req_read(&c, r, true), "no request on the new connection");
	need(first_line_is(r, "GET /two HTTP/1.1") ||
	    (first_line_is(r, "POST /two HTTP/1.1") && r->blen == 2 &&
	    memcmp(r->body, "{}", 2) == 0), "second request");
	say(&c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
	drain(&c);
	conn_close(&c);
}

static void
serve_eof(struct conn *c, struct sreq *r, bool notify)
{
	need(req_read(c, r, true), "no request");
	say(c, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/pem-certificate-chain\r\n\r\n"
	    "-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----\n");
	if (notify)
		(void)SSL_shutdown(c->ssl);
	/* no close_notify: what an on-path attacker's FIN looks like */
	(void)close(c->fd);
	_exit(0);
}

static void
serve_chunked(struct conn *c, struct sreq *r)
{
	char	*big;

	need(req_read(c, r, true), "no request");
	say(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Type: application/pem-certificate-chain\r\n\r\n");
	say(c, "7;ext=1\r\n-----BE\r\n");
	say(c, "3\r\nGIN\r\n");
	say(c, "4e20\r\n");
	need((big = malloc(BIG_CHUNK + 1)) != NULL, "malloc");
	memset(big, 'x', BIG_CHUNK);
	big[BIG_CHUNK] = '\0';
	say(c, big);
	free(big);
	say(c, "\r\n0\r\nX-Trailer: t\r\n\r\n");
}

/* the client gives up: write errors are expected */
static void
serve_big(struct conn *c, struct sreq *r, bool chunked)
{
	char	 b[512];
	size_t	 i;

	need(req_read(c, r, true), "no request");
	memset(b, 'y', sizeof(b));
	if (chunked)
		say(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	else
		say(c, "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n");
	for (i = 0; i < 8; i++) {
		if (chunked && !conn_write(c, "200\r\n", 5))
			return;
		if (!conn_write(c, b, sizeof(b)))
			return;
		if (chunked && !conn_write(c, "\r\n", 2))
			return;
	}
	if (chunked)
		(void)conn_write(c, "0\r\n\r\n", 5);
}

static void
serve_hangup(int lfd, SSL_CTX *ctx, struct sreq *r, int notify)
{
	struct conn	 c;
	struct pollfd	 pfd;
	int		 i;

	for (i = 0; i < 8; i++) {
		pfd.fd = lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		need(write(notify, "a", 1) == 1, "notify");
		if (srv_accept(lfd, ctx, &c))
			(void)req_read(&c, r, true);
		conn_close(&c);
	}
}

static void
child_init(pid_t parent)
{
	/* dies with the test, whatever ends it */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	/* Check's handlers would signal the whole process group */
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGALRM, SIG_DFL);
	(void)signal(SIGPIPE, SIG_IGN);
	(void)alarm(15);	/* a safety net */
}

static void
serve(int lfd, const struct srv_args *a)
{
	struct sreq	*r;
	struct conn	 c = { -1, NULL };
	SSL_CTX		*ctx = NULL;

	need((r = malloc(sizeof(*r))) != NULL, "malloc");
	if (a->mode != S_PLAIN)
		ctx = srv_ctx(a->cert);
	switch (a->mode) {
	case S_REUSE:
		serve_reuse(lfd, ctx, r, a);
		_exit(0);
	case S_IDLE_CLOSE:
		serve_idle_close(lfd, ctx, r, a);
		_exit(0);
	case S_HANGUP:
		serve_hangup(lfd, ctx, r, a->notify);
		_exit(0);
	case S_REJECTED:
		need(!srv_accept(lfd, ctx, &c), "handshake accepted");
		_exit(0);
	case S_DROP_RST:
	case S_DROP_FIN:
		serve_drop(lfd, ctx, r, a);
		_exit(0);
	default:
		break;
	}
	need(srv_accept(lfd, ctx, &c), "handshake");
	switch (a->mode) {
	case S_GET:
	case S_PLAIN:
		serve_get(&c, r, a);
		break;
	case S_POST:
		serve_post(&c, r, a);
		break;
	case S_CHUNKED:
		serve_chunked(&c, r);
		break;
	case S_BIG:
	case S_BIG_CHUNKED:
		serve_big(&c, r, a->mode == S_BIG_CHUNKED);
		_exit(0);
	case S_SILENT:
		need(req_read(&c, r, true), "no request");
		break;
	case S_EOF_NOTIFY:
	case S_EOF_CUT:
		serve_eof(&c, r, a->mode == S_EOF_NOTIFY);
		break;
	case S_PROBLEM:
		need(req_read(&c, r, true), "no request");
		say(&c, "HTTP/1.1 400 Bad Request\r\n"
		    "Content-Type: application/problem+json\r\n"
		    "Replay-Nonce: n-400\r\nContent-Length: 2\r\n\r\n{}");
		break;
	case S_GARBAGE:
		need(req_read(&c, r, true), "no request");
		say(&c, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
		break;
	default:
		need(false, "mode");
	}
	drain(&c);
	_exit(0);
}

static int
listen_lo(char port[8])
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
	    -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	(void)snprintf(port, 8, "%u", ntohs(sin.sin_port));
	return fd;
}

/* host "": "127.0.0.1:PORT" */
static void
srv_start(struct srv *s, enum srv_mode m, X509 *cert, const char *host,
    const char *target)
{
	struct srv_args	 a;
	char		 hostport[300];
	pid_t		 parent = getpid();
	int		 lfd, p[2] = { -1, -1 };

	lfd = listen_lo(s->port);
	(void)snprintf(hostport, sizeof(hostport), "%s:%s",
	    host != NULL ? host : "127.0.0.1", s->port);
	memset(&a, 0, sizeof(a));
	a.mode = m;
	a.host = hostport;
	a.target = target != NULL ? target : "/dir?x=1";
	a.cert = cert != NULL ? cert : leaf;
	s->notify = -1;
	if (m == S_IDLE_CLOSE || m == S_HANGUP || m == S_DROP_RST ||
	    m == S_DROP_FIN) {
		ck_assert_int_eq(pipe(p), 0);
		s->notify = p[0];
		a.notify = p[1];
	}
	ck_assert_int_ne(s->pid = fork(), -1);
	if (s->pid == 0) {
		child_init(parent);
		serve(lfd, &a);
	}
	(void)close(lfd);
	if (p[1] != -1)
		(void)close(p[1]);
}

/* The exit status of a child (128 + signal); one that does not end in
 * 10 s is killed. */
static int
srv_wait(struct srv *s)
{
	int	 st, i;

	for (i = 0; i < 1000; i++) {
		if (waitpid(s->pid, &st, WNOHANG) == s->pid)
			break;
		(void)nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	if (i == 1000) {
		(void)kill(s->pid, SIGKILL);
		(void)waitpid(s->pid, &st, 0);
	}
	if (s->notify != -1)
		(void)close(s->notify);
	s->notify = -1;
	s->pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* the bytes the server wrote to its notify pipe since the last call */
static size_t
notified(struct srv *s)
{
	char	 b[64];
	ssize_t	 n;
	size_t	 total = 0;

	ck_assert_int_ne(fcntl(s->notify, F_SETFL, O_NONBLOCK), -1);
	while ((n = read(s->notify, b, sizeof(b))) > 0)
		total += (size_t)n;
	return total;
}

static void
srv_kill(struct srv *s)
{
	(void)kill(s->pid, SIGKILL);
	(void)srv_wait(s);
}

static void
opts_init(struct acme_http_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ca_bundle = ca_path;
	o->connect_timeout = 5;
	o->timeout = 5;
}

static int
request(struct acme_transport *t, const char *method, const char *url,
    const char *ctype, const void *body, size_t len,
    struct acme_http_resp *r, struct acme_err *err)
{
	struct acme_http_req	 q;

	memset(&q, 0, sizeof(q));
	q.method = method;
	q.url = url;
	q.content_type = ctype;
	q.body = body;
	q.len = len;
	memset(r, 0, sizeof(*r));
	memset(err, 0, sizeof(*err));
	return t->request(t->arg, &q, r, err);
}

static void
transport_new(const struct acme_http_opts *o, struct acme_transport *t)
{
	struct acme_err	 err;

	memset(t, 0, sizeof(*t));
	ck_assert_msg(acme_transport_http(o, t, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(t->request);
	ck_assert_ptr_nonnull(t->free);
}

static bool
msg_has(const char *msg, const char *word)
{
	char	 low[ACME_ERR_MSG];
	size_t	 i;

	for (i = 0; msg[i] != '\0' && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)msg[i]);
	low[i] = '\0';
	return strstr(low, word) != NULL;
}

static void
assert_get_resp(const struct acme_http_resp *r)
{
	ck_assert_int_eq(r->status, 200);
	ck_assert_uint_eq(r->len, strlen(GET_BODY));
	ck_assert_str_eq((const char *)r->body, GET_BODY);
	str_same(r->content_type, "application/json", "content_type");
	str_same(r->replay_nonce, "nonce-1", "replay_nonce");
	str_same(r->location, "https://ca.test/acct/1", "location");
	str_same(r->retry_after, "30", "retry_after");
	ck_assert_uint_eq(r->nlinks, 2);
	ck_assert_str_eq(r->links[0], "<https://ca.test/dir>;rel=\"index\"");
	ck_assert_str_eq(r->links[1],
	    "<https://ca.test/c/2>;rel=\"alternate\"");
}

/* _i 0: https://127.0.0.1, 1: https://localhost */
START_TEST(tr_get)
{
	const char		*host = _i == 0 ? "127.0.0.1" : "localhost";
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];

	srv_start(&s, S_GET, NULL, host, NULL);
	(void)snprintf(url, sizeof(url), "https://%s:%s/dir?x=1#frag", host,
	    s.port);
	opts_init(&o);
	transport_new(&o, &t);
	ck_assert_msg(request(&t, "GET", url, NULL, NULL, 0, &r, &err) == 0,
	    "%s", err.msg);
	assert_get_resp(&r);
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

START_TEST(tr_post)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	unsigned char		*body;
	char			 url[128];

	ck_assert_ptr_nonnull(body = malloc(POST_LEN));
	post_body(body, POST_LEN);
	srv_start(&s, S_POST, NULL, NULL, NULL);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/new-order",
	    s.port);
	opts_init(&o);
	o.user_agent = "check-http/1";
	transport_new(&o, &t);
	ck_assert_msg(request(&t, "POST", url, "application/jose+json", body,
	    POST_LEN, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(r.status, 201);
	str_same(r.content_type, "application/json", "content_type");
	ck_assert_uint_eq(r.len, POST_LEN);
	ck_assert(memcmp(r.body, body, POST_LEN) == 0);
	acme_http_resp_clear(&r);
	t.free(t.arg);
	free(body);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

START_TEST(tr_reuse)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];

	srv_start(&s, S_REUSE, NULL, NULL, NULL);
	opts_init(&o);
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s", s.port);
	ck_assert_msg(request(&t, "HEAD", url, NULL, NULL, 0, &r, &err) == 0,
	    "%s", err.msg);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 0);
	str_same(r.replay_nonce, "n1", "replay_nonce");
	acme_http_resp_clear(&r);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/a?b=c#d",
	    s.port);
	ck_assert_msg(request(&t, "GET", url, NULL, NULL, 0, &r, &err) == 0,
	    "%s", err.msg);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq((const char *)r.body, "two");
	str_same(r.replay_nonce, "n2", "replay_nonce");
	acme_http_resp_clear(&r);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/p", s.port);
	ck_assert_msg(request(&t, "POST", url, "application/jose+json", "{}",
	    2, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq((const char *)r.body, "three");
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

/* _i 0: the second request is a GET, 1: a POST */
START_TEST(tr_idle_close)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128], c;

	srv_start(&s, S_IDLE_CLOSE, NULL, NULL, NULL);
	opts_init(&o);
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/one", s.port);
	ck_assert_msg(request(&t, "GET", url, NULL, NULL, 0, &r, &err) == 0,
	    "%s", err.msg);
	ck_assert_str_eq((const char *)r.body, "one");
	acme_http_resp_clear(&r);
	/* the kept connection is closed by now */
	ck_assert_int_eq(read(s.notify, &c, 1), 1);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/two", s.port);
	if (_i == 0)
		ck_assert_msg(request(&t, "GET", url, NULL, NULL, 0, &r,
		    &err) == 0, "%s", err.msg);
	else
		ck_assert_msg(request(&t, "POST", url,
		    "application/jose+json", "{}", 2, &r, &err) == 0, "%s",
		    err.msg);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq((const char *)r.body, "two");
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

/* The kept connection dies as the second request goes out (_i bit 0:
 * RST, else FIN; bit 1: POST, else GET): nothing was answered, so the
 * request is sent again on a new connection. */
START_TEST(tr_retry)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];

	srv_start(&s, _i & 1 ? S_DROP_RST : S_DROP_FIN, NULL, NULL, NULL);
	opts_init(&o);
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/one", s.port);
	ck_assert_msg(request(&t, "GET", url, NULL, NULL, 0, &r, &err) == 0,
	    "%s", err.msg);
	ck_assert_str_eq((const char *)r.body, "one");
	acme_http_resp_clear(&r);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/two", s.port);
	if (_i & 2)
		ck_assert_msg(request(&t, "POST", url,
		    "application/jose+json", "{}", 2, &r, &err) == 0, "%s",
		    err.msg);
	else
		ck_assert_msg(request(&t, "GET", url, NULL, NULL, 0, &r,
		    &err) == 0, "%s", err.msg);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq((const char *)r.body, "two");
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

/* RFC 9112 §9.8: a body delimited by the close is complete only with a
 * TLS closure alert (_i 0); a bare FIN (_i 1) may be an attacker's. */
START_TEST(tr_eof_body)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];
	int			 rc;

	srv_start(&s, _i == 0 ? S_EOF_NOTIFY : S_EOF_CUT, NULL, NULL, NULL);
	opts_init(&o);
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/cert", s.port);
	rc = request(&t, "GET", url, NULL, NULL, 0, &r, &err);
	if (_i == 0) {
		ck_assert_msg(rc == 0, "%s", err.msg);
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq((const char *)r.body, "-----BEGIN CERTIFICATE"
		    "-----\nleaf\n-----END CERTIFICATE-----\n");
	} else
		ck_assert_msg(rc == -1, "a reply cut by a bare FIN was taken "
		    "as complete");
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

START_TEST(tr_chunked)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];
	size_t			 i;

	srv_start(&s, S_CHUNKED, NULL, NULL, NULL);
	opts_init(&o);
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/cert/1",
	    s.port);
	ck_assert_msg(request(&t, "GET", url, NULL, NULL, 0, &r, &err) == 0,
	    "%s", err.msg);
	ck_assert_int_eq(r.status, 200);
	str_same(r.content_type, "application/pem-certificate-chain",
	    "content_type");
	ck_assert_uint_eq(r.len, 10 + BIG_CHUNK);
	ck_assert(memcmp(r.body, "-----BEGIN", 10) == 0);
	for (i = 10; i < r.len; i++)
		ck_assert_int_eq(r.body[i], 'x');
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

/* _i 0: by Content-Length, 1: chunked */
START_TEST(tr_too_big)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];

	srv_start(&s, _i == 0 ? S_BIG : S_BIG_CHUNKED, NULL, NULL, NULL);
	opts_init(&o);
	o.body_max = 1024;
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/big", s.port);
	ck_assert_int_eq(request(&t, "GET", url, NULL, NULL, 0, &r, &err),
	    -1);
	ck_assert_msg(err.kind == ACME_EPROTO, "kind %d: %s", err.kind,
	    err.msg);
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

/* a deadline check, not a speed assertion */
START_TEST(tr_timeout)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];

	srv_start(&s, S_SILENT, NULL, NULL, NULL);
	opts_init(&o);
	o.connect_timeout = 1;
	o.timeout = 1;
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/dir?x=1",
	    s.port);
	ck_assert_int_eq(request(&t, "GET", url, NULL, NULL, 0, &r, &err),
	    -1);
	ck_assert_msg(err.kind == ACME_ENET, "kind %d: %s", err.kind,
	    err.msg);
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

/* _i 0: the certificate names other.test, 1: an untrusted CA */
START_TEST(tr_bad_cert)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];

	srv_start(&s, S_REJECTED, _i == 0 ? other : leaf, NULL, NULL);
	opts_init(&o);
	if (_i == 1)
		o.ca_bundle = ca2_path;
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/dir", s.port);
	ck_assert_int_eq(request(&t, "GET", url, NULL, NULL, 0, &r, &err),
	    -1);
	ck_assert_msg(err.kind == ACME_ENET, "kind %d: %s", err.kind,
	    err.msg);
	ck_assert_msg(msg_has(err.msg, "verif"), "message: %s", err.msg);
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

/* refused before any connection (port 1: nothing listens) */
static const struct {
	const char	*method;
	const char	*url;
	const char	*ctype;
	bool		 allow_http;
} usage[] = {
	{ "GET", "http://127.0.0.1:1/dir", NULL, false },
	{ "GET", "ftp://127.0.0.1:1/dir", NULL, true },
	{ "GET", "https://user@127.0.0.1:1/dir", NULL, false },
	{ "GET", "https://127.0.0.1:1/a\r\nX-Injected: 1", NULL, false },
	{ "DELETE", "https://127.0.0.1:1/a", NULL, false },
	{ "GET\r\nX-Injected: 1", "https://127.0.0.1:1/a", NULL, false },
	{ "POST", "https://127.0.0.1:1/a",
	    "application/jose+json\r\nX-Injected: 1", false },
};

START_TEST(tr_usage)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;

	opts_init(&o);
	o.allow_http = usage[_i].allow_http;
	transport_new(&o, &t);
	ck_assert_int_eq(request(&t, usage[_i].method, usage[_i].url,
	    usage[_i].ctype, "{}", 2, &r, &err), -1);
	ck_assert_msg(err.kind == ACME_EUSAGE, "kind %d: %s", err.kind,
	    err.msg);
	acme_http_resp_clear(&r);
	t.free(t.arg);
}
END_TEST

START_TEST(tr_plain_http)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];

	srv_start(&s, S_PLAIN, NULL, NULL, "/plain");
	opts_init(&o);
	o.allow_http = true;
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "http://127.0.0.1:%s/plain", s.port);
	ck_assert_msg(request(&t, "GET", url, NULL, NULL, 0, &r, &err) == 0,
	    "%s", err.msg);
	assert_get_resp(&r);
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

/* an HTTP error status is an answer, not a failure */
START_TEST(tr_problem)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];

	srv_start(&s, S_PROBLEM, NULL, NULL, NULL);
	opts_init(&o);
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/x", s.port);
	ck_assert_msg(request(&t, "GET", url, NULL, NULL, 0, &r, &err) == 0,
	    "%s", err.msg);
	ck_assert_int_eq(r.status, 400);
	str_same(r.content_type, "application/problem+json", "content_type");
	str_same(r.replay_nonce, "n-400", "replay_nonce");
	ck_assert_str_eq((const char *)r.body, "{}");
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

START_TEST(tr_garbage)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];

	srv_start(&s, S_GARBAGE, NULL, NULL, NULL);
	opts_init(&o);
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/x", s.port);
	ck_assert_int_eq(request(&t, "GET", url, NULL, NULL, 0, &r, &err),
	    -1);
	ck_assert_str_ne(err.msg, "");
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

/* a server that hangs up without answering, on every connection: the
 * client gives up (it does not retry forever) */
START_TEST(tr_hangup)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s;
	char			 url[128];

	srv_start(&s, S_HANGUP, NULL, NULL, NULL);
	opts_init(&o);
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/x", s.port);
	ck_assert_int_eq(request(&t, "GET", url, NULL, NULL, 0, &r, &err),
	    -1);
	ck_assert_msg(err.kind == ACME_ENET, "kind %d: %s", err.kind,
	    err.msg);
	acme_http_resp_clear(&r);
	/* a new connection is not retried */
	ck_assert_uint_eq(notified(&s), 1);
	ck_assert_int_eq(request(&t, "POST", url, "application/jose+json",
	    "{}", 2, &r, &err), -1);
	acme_http_resp_clear(&r);
	ck_assert_uint_eq(notified(&s), 1);
	t.free(t.arg);
	srv_kill(&s);
}
END_TEST

START_TEST(tr_refused)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	char			 url[128], port[8];

	/* a port that was free a moment ago */
	(void)close(listen_lo(port));
	opts_init(&o);
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/x", port);
	ck_assert_int_eq(request(&t, "GET", url, NULL, NULL, 0, &r, &err),
	    -1);
	ck_assert_msg(err.kind == ACME_ENET, "kind %d: %s", err.kind,
	    err.msg);
	acme_http_resp_clear(&r);
	t.free(t.arg);
}
END_TEST

/* -- the CONNECT proxy (a forked child) */

enum px_mode {
	P_OK,		/* checks the CONNECT and relays */
	P_AUTH,		/* the same, with Proxy-Authorization */
	P_407,
};

static void
relay(int a, int b)
{
	struct pollfd	 pfd[2];
	char		 buf[16384];
	ssize_t		 n;
	int		 i;

	pfd[0].fd = a;
	pfd[1].fd = b;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		need(poll(pfd, 2, 10000) > 0, "relay idle");
		for (i = 0; i < 2; i++) {
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) ==
			    0)
				continue;
			if ((n = read(pfd[i].fd, buf, sizeof(buf))) <= 0)
				return;
			if (write(pfd[1 - i].fd, buf, (size_t)n) != n)
				return;
		}
	}
}

static void
proxy(int lfd, enum px_mode m, const char *target_port)
{
	struct sockaddr_in	 sin;
	struct sreq		*r;
	struct conn		 c;
	char			 want[128], v[256];
	int			 up;

	need((r = malloc(sizeof(*r))) != NULL, "malloc");
	need(srv_accept(lfd, NULL, &c), "accept");
	need(req_read(&c, r, false), "no CONNECT");
	(void)snprintf(want, sizeof(want), "CONNECT 127.0.0.1:%s HTTP/1.1",
	    target_port);
	need(first_line_is(r, want), "CONNECT line");
	(void)snprintf(want, sizeof(want), "127.0.0.1:%s", target_port);
	need(hdr(r, "Host", v, sizeof(v)) != NULL && strcmp(v, want) == 0,
	    "CONNECT Host");
	if (m == P_407) {
		say(&c, "HTTP/1.1 407 Proxy Authentication Required\r\n"
		    "Proxy-Authenticate: Basic realm=\"p\"\r\n"
		    "Content-Length: 0\r\n\r\n");
		drain(&c);
		_exit(0);
	}
	if (m == P_AUTH)
		need(hdr(r, "Proxy-Authorization", v, sizeof(v)) != NULL &&
		    strcmp(v, "Basic dXNlcjpwQHNz") == 0,
		    "Proxy-Authorization");
	else
		need(hdr(r, "Proxy-Authorization", v, sizeof(v)) == NULL,
		    "Proxy-Authorization sent");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)strtoul(target_port, NULL, 10));
	need((up = socket(AF_INET, SOCK_STREAM, 0)) != -1 &&
	    connect(up, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "connect upstream");
	say(&c, "HTTP/1.1 200 Connection established\r\n\r\n");
	relay(c.fd, up);
	_exit(0);
}

static void
proxy_start(struct srv *p, enum px_mode m, const char *target_port)
{
	pid_t	 parent = getpid();
	int	 lfd;

	lfd = listen_lo(p->port);
	p->notify = -1;
	ck_assert_int_ne(p->pid = fork(), -1);
	if (p->pid == 0) {
		child_init(parent);
		proxy(lfd, m, target_port);
	}
	(void)close(lfd);
}

/* _i 0: no credentials, 1: user:p@ss */
START_TEST(tr_proxy)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 s, p;
	char			 url[128], env[128];

	srv_start(&s, S_GET, NULL, NULL, NULL);
	proxy_start(&p, _i == 0 ? P_OK : P_AUTH, s.port);
	(void)snprintf(env, sizeof(env), "http://%s127.0.0.1:%s",
	    _i == 0 ? "" : "user:p%40ss@", p.port);
	ck_assert_int_eq(setenv("https_proxy", env, 1), 0);
	opts_init(&o);
	transport_new(&o, &t);
	(void)snprintf(url, sizeof(url), "https://127.0.0.1:%s/dir?x=1",
	    s.port);
	ck_assert_msg(request(&t, "GET", url, NULL, NULL, 0, &r, &err) == 0,
	    "%s", err.msg);
	assert_get_resp(&r);
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&p), 0);
	ck_assert_int_eq(srv_wait(&s), 0);
}
END_TEST

START_TEST(tr_proxy_407)
{
	struct acme_http_opts	 o;
	struct acme_transport	 t;
	struct acme_http_resp	 r;
	struct acme_err		 err;
	struct srv		 p;
	char			 env[128];

	proxy_start(&p, P_407, "8443");
	(void)snprintf(env, sizeof(env), "127.0.0.1:%s", p.port);
	ck_assert_int_eq(setenv("https_proxy", env, 1), 0);
	opts_init(&o);
	transport_new(&o, &t);
	ck_assert_int_eq(request(&t, "GET", "https://127.0.0.1:8443/dir?x=1",
	    NULL, NULL, 0, &r, &err), -1);
	ck_assert_msg(strstr(err.msg, "407") != NULL, "message: %s", err.msg);
	acme_http_resp_clear(&r);
	t.free(t.arg);
	ck_assert_int_eq(srv_wait(&p), 0);
}
END_TEST

Suite *
http_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc = tcase_create("url");

	tcase_add_loop_test(tc, url_parse, 0, NELEM(urls));
	tcase_add_loop_test(tc, url_refused, 0, NELEM(bad_urls));
	tcase_add_loop_test(tc, url_host_max, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("parser");
	tcase_add_loop_test(tc, parse_good, 0, NELEM(good));
	tcase_add_loop_test(tc, parse_bad, 0, NELEM(bad));
	tcase_add_loop_test(tc, parse_limits, 0, NELEM(limits));
	tcase_add_loop_test(tc, parse_long_lines, 0, 2);
	tcase_add_test(tc, parse_links_max);
	tcase_add_test(tc, parse_big_body);
	tcase_add_test(tc, parse_started);
	tcase_set_timeout(tc, 20);	/* byte by byte under ASan */
	suite_add_tcase(s, tc);

	tc = tcase_create("proxy");
	tcase_add_checked_fixture(tc, env_save, env_restore);
	tcase_add_loop_test(tc, proxy_env, 0, NELEM(proxies));
	suite_add_tcase(s, tc);

	tc = tcase_create("transport");
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_checked_fixture(tc, env_save, env_restore);
	tcase_add_loop_test(tc, tr_get, 0, 2);
	tcase_add_test(tc, tr_post);
	tcase_add_test(tc, tr_reuse);
	tcase_add_loop_test(tc, tr_idle_close, 0, 2);
	tcase_add_loop_test(tc, tr_retry, 0, 4);
	tcase_add_loop_test(tc, tr_eof_body, 0, 2);
	tcase_add_test(tc, tr_chunked);
	tcase_add_loop_test(tc, tr_too_big, 0, 2);
	tcase_add_test(tc, tr_timeout);
	tcase_add_loop_test(tc, tr_bad_cert, 0, 2);
	tcase_add_loop_test(tc, tr_usage, 0, NELEM(usage));
	tcase_add_test(tc, tr_plain_http);
	tcase_add_test(tc, tr_problem);
	tcase_add_test(tc, tr_garbage);
	tcase_add_test(tc, tr_hangup);
	tcase_add_test(tc, tr_refused);
	tcase_add_loop_test(tc, tr_proxy, 0, 2);
	tcase_add_test(tc, tr_proxy_407);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}
