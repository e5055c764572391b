/*
 * check_solver.c - the challenge responders (solver.c, solver_http.c,
 * solver_tlsalpn.c) on loopback sockets: http-01 with hostile requests,
 * concurrency and bind errors; tls-alpn-01 checked the way a CA checks
 * it (RFC 8737 §3); the webroot files.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "file.h"

#define TOK1	"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
#define TOK2	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define THUMB	".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define KA1	TOK1 THUMB
#define KA2	TOK2 THUMB
#define RESP_MAX 16384

static const struct acme_chall_item http_items[] = {
	{ TOK1, KA1, "mx.example.org" },
	{ TOK2, KA2, "mx2.example.org" },
};

/* ---- plain socket helpers */

static unsigned
free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	(void)close(fd);
	return ntohs(sin.sin_port);
}

typedef struct acme_responder *start_fn(const char *, unsigned,
    const struct acme_chall_item *, size_t, struct acme_err *);

/* Starts a responder on a port that was free a moment ago; another
 * process may take it meanwhile, hence the retries. */
static struct acme_responder *
start_on_free_port(start_fn *fn, const char *addr,
    const struct acme_chall_item *items, size_t n, unsigned *port)
{
	struct acme_responder	*r;
	struct acme_err		 err;
	int			 i;

	for (i = 0; i < 5; i++) {
		*port = free_port();
		if ((r = fn(addr, *port, items, n, &err)) != NULL)
			return r;
		ck_assert_msg(strstr(err.msg, "Address already in use") !=
		    NULL, "start: %s", err.msg);
	}
	ck_abort_msg("no free port");
	return NULL;
}

static int
connect_to(const char *addr, unsigned port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	struct timeval		 tv = { 5, 0 };
	socklen_t		 len;
	int			 fd;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		len = sizeof(*s4);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		len = sizeof(*s6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	ck_assert_int_ne(fd, -1);
	/* a safety net only: a hung server fails the test, not the run */
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

static void
send_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return;		/* the server may hang up early */
		p += n;
		len -= (size_t)n;
	}
}

/* Reads until EOF; returns the length, NUL-terminated in buf. */
static size_t
recv_all(int fd, char *buf, size_t max)
{
	size_t	 len = 0;
	ssize_t	 n;

	while (len < max - 1) {
		n = recv(fd, buf + len, max - 1 - len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

/* The status of an HTTP/1.1 response (0: none) and its body. */
static int
http_status(const char *resp, const char **body)
{
	const char	*p;
	long		 st;
	char		*end;

	*body = NULL;
	if (strncmp(resp, "HTTP/1.1 ", 9) != 0)
		return 0;
	st = strtol(resp + 9, &end, 10);
	if (end != resp + 12 || *end != ' ')
		return 0;
	if ((p = strstr(resp, "\r\n\r\n")) != NULL)
		*body = p + 4;
	return (int)st;
}

static int
http_exchange(const char *addr, unsigned port, const char *req,
    size_t len, char *resp, const char **body)
{
	int	 fd;

	fd = connect_to(addr, port);
	ck_assert_int_ne(fd, -1);
	send_all(fd, req, len);
	(void)recv_all(fd, resp, RESP_MAX);
	(void)close(fd);
	return http_status(resp, body);
}

/* ---- http-01 */

#define CHALL	"/.well-known/acme-challenge/"

static const struct {
	const char	*req;
	size_t		 len;		/* 0: strlen(req) */
	int		 status;	/* 0: closed without an answer */
	const char	*body;		/* NULL: not checked */
} http_cases[] = {
	{ "GET " CHALL TOK1 " HTTP/1.1\r\nHost: mx.example.org\r\n\r\n",
	    0, 200, KA1 },
	{ "GET " CHALL TOK2 " HTTP/1.0\r\n\r\n", 0, 200, KA2 },
	{ "GET " CHALL TOK2 " HTTP/1.1\nHost: mx\nAccept: */*\n\n", 0, 200,
	    KA2 },
	{ "HEAD " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 200, "" },
	{ "GET " CHALL TOK1 "?x=1 HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 200,
	    KA1 },
	{ "GET http://mx.example.org" CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\n"
	    "\r\n", 0, 200, KA1 },
	{ "GET " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\nUser-Agent: caf\xc3\xa9"
	    "\r\nX-Empty:\r\n\r\n", 0, 200, KA1 },
	/* unknown tokens and paths, traversal, encodings */
	{ "GET " CHALL "unknown HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 404, NULL },
	{ "GET " CHALL " HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 404, NULL },
	{ "GET " CHALL TOK1 "x HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 404, NULL },
	{ "GET " CHALL "../../../etc/passwd HTTP/1.1\r\nHost: mx\r\n\r\n", 0,
	    404, NULL },
	{ "GET " CHALL TOK2 "/../" TOK1 " HTTP/1.1\r\nHost: mx\r\n\r\n", 0,
	    404, NULL },
	{ "GET " CHALL "%2e%2e%2fetc HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 404,
	    NULL },
	{ "GET /.well-known/acme-challenge HTTP/1.1\r\nHost: mx\r\n\r\n", 0,
	    404, NULL },
	{ "GET / HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 404, NULL },
	{ "GET /etc/passwd HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 404, NULL },
	/* methods */
	{ "POST " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\nContent-Length: 0\r\n"
	    "\r\n", 0, 405, NULL },
	{ "DELETE " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 405, NULL },
	{ "get " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 405, NULL },
	/* malformed */
	{ "GET " CHALL TOK1 " HTTP/2.0\r\nHost: mx\r\n\r\n", 0, 400, NULL },
	{ "GET " CHALL TOK1 " http/1.1\r\nHost: mx\r\n\r\n", 0, 400, NULL },
	{ "GET " CHALL TOK1 "\r\nHost: mx\r\n\r\n", 0, 400, NULL },
	{ "GET  " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 400, NULL },
	{ "GET " CHALL TOK1 " HTTP/1.1 \r\nHost: mx\r\n\r\n", 0, 400, NULL },
	{ "GET " CHALL TOK1 " HTTP/1.1\r\n\r\n", 0, 400, NULL },
	{ "GET " CHALL TOK1 " HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 0,
	    400, NULL },
	{ "GET " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\n folded\r\n\r\n", 0,
	    400, NULL },
	{ "GET " CHALL TOK1 " HTTP/1.1\r\nHost : mx\r\n\r\n", 0, 400, NULL },
	{ "GET " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\nX: a\x01z\r\n\r\n", 0,
	    400, NULL },
	{ "GET " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\nX: a\rz\r\n\r\n", 0,
	    400, NULL },
	{ "GET " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\nno colon\r\n\r\n", 0,
	    400, NULL },
	{ "GET " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\nX: a\0b\r\n\r\n",
	    sizeof("GET " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\nX: a\0b\r\n"
	    "\r\n") - 1, 400, NULL },
	{ "GET /\x7f HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 400, NULL },
	{ "GET * HTTP/1.1\r\nHost: mx\r\n\r\n", 0, 400, NULL },
	{ "\r\n\r\n", 0, 400, NULL },
	{ "\x16\x03\x01\x02\xff\x01\xfc\x03\x03\r\n\r\n", 0, 400, NULL },
	/* hang up before the request is complete: no answer */
	{ "GET " CHALL TOK1 " HTTP/1.1\r\nHost: mx\r\n", 0, 0, NULL },
};

START_TEST(http01_requests)
{
	struct acme_responder	*r;
	char			 resp[RESP_MAX], hdr[64];
	const char		*body;
	unsigned		 port;
	size_t			 len;
	int			 fd, st;

	r = start_on_free_port(acme_http01_start, "127.0.0.1", http_items, 2,
	    &port);
	len = http_cases[_i].len != 0 ? http_cases[_i].len :
	    strlen(http_cases[_i].req);
	fd = connect_to("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	send_all(fd, http_cases[_i].req, len);
	(void)shutdown(fd, SHUT_WR);
	(void)recv_all(fd, resp, sizeof(resp));
	(void)close(fd);
	st = http_status(resp, &body);
	ck_assert_msg(st == http_cases[_i].status, "status %d: %s", st, resp);
	if (st != 0) {
		ck_assert_ptr_nonnull(body);
		ck_assert_ptr_nonnull(strstr(resp,
		    "\r\nConnection: close\r\n"));
	}
	if (http_cases[_i].body != NULL)
		ck_assert_str_eq(body, http_cases[_i].body);
	if (st == 200) {
		/* RFC 8555 §8.3; HEAD announces the GET body's length */
		ck_assert_ptr_nonnull(strstr(resp, "\r\nContent-Type: "
		    "application/octet-stream\r\n"));
		(void)snprintf(hdr, sizeof(hdr), "\r\nContent-Length: %zu\r\n",
		    strlen(KA1));
		ck_assert_ptr_nonnull(strstr(resp, hdr));
	}
	if (st == 405)
		ck_assert_ptr_nonnull(strstr(resp, "\r\nAllow: GET, HEAD\r\n"));
	acme_responder_stop(r);
}
END_TEST

/* The request line plus header fields may take HTTP_REQ_MAX (8 KiB)
 * bytes: exactly that is served, one byte more is refused. */
static const struct {
	size_t	 size;
	int	 status;
} big_cases[] = {
	{ 8191, 200 },
	{ 8192, 200 },
	{ 8193, 400 },
	{ 20000, 400 },
};

START_TEST(http01_request_size)
{
	static const char	 head[] = "GET " CHALL TOK1 " HTTP/1.1\r\n"
	    "Host: mx\r\nX-Pad: ";
	struct acme_responder	*r;
	char			*req, resp[RESP_MAX];
	const char		*body;
	size_t			 size = big_cases[_i].size;
	unsigned		 port;

	ck_assert_ptr_nonnull(req = malloc(size));
	memcpy(req, head, sizeof(head) - 1);
	memset(req + sizeof(head) - 1, 'a', size - (sizeof(head) - 1) - 4);
	memcpy(req + size - 4, "\r\n\r\n", 4);
	r = start_on_free_port(acme_http01_start, "127.0.0.1", http_items, 2,
	    &port);
	ck_assert_int_eq(http_exchange("127.0.0.1", port, req, size, resp,
	    &body), big_cases[_i].status);
	if (big_cases[_i].status == 200)
		ck_assert_str_eq(body, KA1);
	acme_responder_stop(r);
	free(req);
}
END_TEST

/* A slow client must not hold up the others (the CA validates from
 * several vantage points at once). */
START_TEST(http01_concurrent)
{
	static const char	 req[] = "GET " CHALL TOK1 " HTTP/1.1\r\n"
	    "Host: mx\r\n\r\n";
	struct acme_responder	*r;
	char			 resp[RESP_MAX];
	const char		*body;
	unsigned		 port;
	int			 slow[3], i;

	r = start_on_free_port(acme_http01_start, "127.0.0.1", http_items, 2,
	    &port);
	for (i = 0; i < 3; i++) {
		slow[i] = connect_to("127.0.0.1", port);
		ck_assert_int_ne(slow[i], -1);
		send_all(slow[i], req, 10);	/* a partial request line */
	}
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(http_exchange("127.0.0.1", port, req,
		    sizeof(req) - 1, resp, &body), 200);
		ck_assert_str_eq(body, KA1);
	}
	for (i = 0; i < 3; i++) {
		send_all(slow[i], req + 10, sizeof(req) - 1 - 10);
		(void)recv_all(slow[i], resp, sizeof(resp));
		ck_assert_int_eq(http_status(resp, &body), 200);
		ck_assert_str_eq(body, KA1);
		(void)close(slow[i]);
	}
	acme_responder_stop(r);
}
END_TEST

START_TEST(http01_ipv6)
{
	static const char	 req[] = "GET " CHALL TOK2 " HTTP/1.1\r\n"
	    "Host: [::1]\r\n\r\n";
	struct acme_responder	*r;
	char			 resp[RESP_MAX];
	const char		*body;
	unsigned		 port;

	r = start_on_free_port(acme_http01_start, "::1", http_items, 2,
	    &port);
	ck_assert_int_eq(http_exchange("::1", port, req, sizeof(req) - 1,
	    resp, &body), 200);
	ck_assert_str_eq(body, KA2);
	acme_responder_stop(r);
}
END_TEST

START_TEST(http01_stop)
{
	struct acme_responder	*r;
	unsigned		 port;
	int			 fd;

	r = start_on_free_port(acme_http01_start, "127.0.0.1", http_items, 2,
	    &port);
	acme_responder_stop(r);
	fd = connect_to("127.0.0.1", port);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	acme_responder_stop(NULL);
}
END_TEST

START_TEST(http01_bind_busy)
{
	struct acme_responder	*r, *r2;
	struct acme_err		 err;
	char			 want[128];
	unsigned		 port;

	r = start_on_free_port(acme_http01_start, "127.0.0.1", http_items, 2,
	    &port);
	r2 = acme_http01_start("127.0.0.1", port, http_items, 2, &err);
	ck_assert_ptr_null(r2);
	ck_assert_int_eq(err.kind, ACME_ESYS);
	(void)snprintf(want, sizeof(want), "http-01 responder: 127.0.0.1:%u: "
	    "bind: Address already in use", port);
	ck_assert_str_eq(err.msg, want);
	acme_responder_stop(r);
}
END_TEST

START_TEST(http01_bad_args)
{
	static const struct acme_chall_item	 bad_tok[] = {
		{ "../etc/passwd", KA1, NULL } };
	static const struct acme_chall_item	 bad_ka[] = {
		{ TOK1, "a b\r\nX-Injected: 1", NULL } };
	struct acme_err				 err;

	ck_assert_ptr_null(acme_http01_start("127.0.0.1", 0, http_items, 2,
	    &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(acme_http01_start("127.0.0.1", 65536, http_items,
	    2, &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(acme_http01_start("localhost", 8080, http_items, 2,
	    &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(acme_http01_start("127.0.0.1", 8080, bad_tok, 1,
	    &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(acme_http01_start("127.0.0.1", 8080, bad_ka, 1,
	    &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(acme_http01_start("127.0.0.1", 8080, http_items, 0,
	    &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
}
END_TEST

/*
 * The responder dies with its parent. This process becomes a subreaper:
 * when the intermediate parent exits, the orphaned responder is
 * reparented here, and waitpid() returns once PR_SET_PDEATHSIG killed it
 * (a responder that survived would hang the test into its timeout).
 */
START_TEST(responder_dies_with_parent)
{
	static const char	 req[] = "GET " CHALL TOK1 " HTTP/1.0\r\n\r\n";
	struct acme_responder	*r;
	char			 resp[RESP_MAX];
	const char		*body;
	unsigned		 port;
	pid_t			 mid, dead;
	int			 st;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	if ((mid = fork()) == 0) {
		port = free_port();
		if ((r = acme_http01_start("127.0.0.1", port, http_items, 2,
		    NULL)) == NULL)
			_exit(1);
		/* an answer shows the responder set itself up */
		if (http_exchange("127.0.0.1", port, req, sizeof(req) - 1,
		    resp, &body) != 200)
			_exit(2);
		_exit(0);	/* leaves the responder behind */
	}
	ck_assert_int_ne(mid, -1);
	ck_assert_int_eq(waitpid(mid, &st, 0), mid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	dead = waitpid(-1, &st, 0);
	ck_assert_int_gt(dead, 0);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}
END_TEST

/* The responder keeps none of the caller's fds: once the caller closes
 * its end of a pipe, the reader sees EOF (it would block otherwise). */
START_TEST(responder_holds_no_fds)
{
	struct acme_responder	*r;
	unsigned		 port;
	char			 c;
	int			 p[2];

	ck_assert_int_eq(pipe(p), 0);
	r = start_on_free_port(acme_http01_start, "127.0.0.1", http_items, 2,
	    &port);
	(void)close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	(void)close(p[0]);
	acme_responder_stop(r);
}
END_TEST

/* ---- tls-alpn-01 */

static const struct acme_chall_item tls_items[] = {
	{ TOK1, KA1, "mx.example.org" },
	{ TOK2, KA2, "192.0.2.7" },
	{ TOK1, KA2, "2001:db8::1" },
};

static const unsigned char alpn_acme[] = "\x0a" "acme-tls/1";
static const unsigned char alpn_h2[] = "\x02" "h2";
static const unsigned char alpn_both[] = "\x02" "h2" "\x0a" "acme-tls/1";
static const unsigned char alpn_near[] = "\x0a" "acme-tls/2";

static const struct {
	const char		*sni;		/* NULL: none */
	const unsigned char	*alpn;		/* NULL: none */
	size_t			 alpnlen;
	int			 maxver;	/* 0: any */
	int			 item;		/* -1: the handshake fails */
} tls_cases[] = {
	{ "mx.example.org", alpn_acme, sizeof(alpn_acme) - 1, 0, 0 },
	{ "MX.Example.ORG", alpn_acme, sizeof(alpn_acme) - 1, 0, 0 },
	{ "mx.example.org", alpn_both, sizeof(alpn_both) - 1, 0, 0 },
	{ "mx.example.org", alpn_acme, sizeof(alpn_acme) - 1,
	    TLS1_2_VERSION, 0 },
	{ "7.2.0.192.in-addr.arpa", alpn_acme, sizeof(alpn_acme) - 1, 0, 1 },
	{ "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	    "ip6.arpa", alpn_acme, sizeof(alpn_acme) - 1, 0, 2 },
	/* RFC 8737 §3: ALPN acme-tls/1 and SNI are required */
	{ "mx.example.org", NULL, 0, 0, -1 },
	{ "mx.example.org", alpn_h2, sizeof(alpn_h2) - 1, 0, -1 },
	{ "mx.example.org", alpn_near, sizeof(alpn_near) - 1, 0, -1 },
	{ NULL, alpn_acme, sizeof(alpn_acme) - 1, 0, -1 },
	{ "other.example.org", alpn_acme, sizeof(alpn_acme) - 1, 0, -1 },
	{ "mx.example.org.evil", alpn_acme, sizeof(alpn_acme) - 1, 0, -1 },
	{ "192.0.2.7", alpn_acme, sizeof(alpn_acme) - 1, 0, -1 },
	{ "mx.example.org", alpn_acme, sizeof(alpn_acme) - 1,
	    TLS1_1_VERSION, -1 },
};

/* Handshake as a CA's validation server would; the certificate is
 * self-signed by design (RFC 8737 §3), so it is checked by hand below. */
static X509 *
tls_fetch(unsigned port, const char *sni, const unsigned char *alpn,
    size_t alpnlen, int maxver)
{
	SSL_CTX			*ctx;
	SSL			*ssl;
	X509			*peer = NULL;
	const unsigned char	*sel;
	unsigned		 sellen;
	int			 fd;

	ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(ctx);
	if (maxver != 0) {
		/* TLS 1.1 needs the lowest security level to be offered */
		SSL_CTX_set_security_level(ctx, 0);
		ck_assert_int_eq(SSL_CTX_set_min_proto_version(ctx,
		    maxver < TLS1_2_VERSION ? maxver : TLS1_2_VERSION), 1);
		ck_assert_int_eq(SSL_CTX_set_max_proto_version(ctx, maxver),
		    1);
	}
	if (alpn != NULL)
		ck_assert_int_eq(SSL_CTX_set_alpn_protos(ctx, alpn,
		    (unsigned)alpnlen), 0);
	fd = connect_to("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	ck_assert_ptr_nonnull(ssl = SSL_new(ctx));
	ck_assert_int_eq(SSL_set_fd(ssl, fd), 1);
	if (sni != NULL)
		ck_assert_int_eq(SSL_set_tlsext_host_name(ssl, sni), 1);
	if (SSL_connect(ssl) == 1) {
		SSL_get0_alpn_selected(ssl, &sel, &sellen);
		ck_assert_uint_eq(sellen, 10);
		ck_assert_int_eq(memcmp(sel, "acme-tls/1", 10), 0);
		peer = SSL_get1_peer_certificate(ssl);
		ck_assert_ptr_nonnull(peer);
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	(void)close(fd);
	return peer;
}

static void
check_cert(X509 *x, const struct acme_chall_item *it)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*gn;
	ASN1_OBJECT		*obj;
	X509_EXTENSION		*ext;
	const ASN1_OCTET_STRING	*data;
	unsigned char		 want[34], ip[16];
	int			 crit, idx;
	size_t			 iplen = 0;

	ck_assert_int_eq(X509_verify(x, X509_get0_pubkey(x)), 1);
	ck_assert_int_eq(X509_cmp_current_time(X509_get0_notBefore(x)), -1);
	ck_assert_int_eq(X509_cmp_current_time(X509_get0_notAfter(x)), 1);
	/* subjectAltName: exactly the identifier */
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	ck_assert_ptr_nonnull(gens);
	ck_assert_int_eq(sk_GENERAL_NAME_num(gens), 1);
	gn = sk_GENERAL_NAME_value(gens, 0);
	if (inet_pton(AF_INET, it->ident, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, it->ident, ip) == 1)
		iplen = 16;
	if (iplen > 0) {
		ck_assert_int_eq(gn->type, GEN_IPADD);
		ck_assert_int_eq(ASN1_STRING_length(gn->d.iPAddress),
		    (int)iplen);
		ck_assert_int_eq(memcmp(ASN1_STRING_get0_data(
		    gn->d.iPAddress), ip, iplen), 0);
	} else {
		ck_assert_int_eq(gn->type, GEN_DNS);
		ck_assert_int_eq(ASN1_STRING_length(gn->d.dNSName),
		    (int)strlen(it->ident));
		ck_assert_int_eq(memcmp(ASN1_STRING_get0_data(gn->d.dNSName),
		    it->ident, strlen(it->ident)), 0);
	}
	GENERAL_NAMES_free(gens);
	/* acmeIdentifier: critical, once, DER OCTET STRING of SHA-256 */
	want[0] = 0x04;
	want[1] = 32;
	ck_assert_int_eq(EVP_Digest(it->keyauth, strlen(it->keyauth),
	    want + 2, NULL, EVP_sha256(), NULL), 1);
	obj = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
	ck_assert_ptr_nonnull(obj);
	idx = X509_get_ext_by_OBJ(x, obj, -1);
	ck_assert_int_ge(idx, 0);
	ck_assert_int_eq(X509_get_ext_by_OBJ(x, obj, idx), -1);
	ASN1_OBJECT_free(obj);
	ext = X509_get_ext(x, idx);
	ck_assert_int_eq(X509_EXTENSION_get_critical(ext), 1);
	data = X509_EXTENSION_get_data(ext);
	ck_assert_int_eq(ASN1_STRING_length(data), (int)sizeof(want));
	ck_assert_int_eq(memcmp(ASN1_STRING_get0_data(data), want,
	    sizeof(want)), 0);
}

START_TEST(tlsalpn01_handshake)
{
	struct acme_responder	*r;
	X509			*x;
	unsigned		 port;

	r = start_on_free_port(acme_tlsalpn01_start, "127.0.0.1", tls_items,
	    3, &port);
	x = tls_fetch(port, tls_cases[_i].sni, tls_cases[_i].alpn,
	    tls_cases[_i].alpnlen, tls_cases[_i].maxver);
	if (tls_cases[_i].item == -1)
		ck_assert_ptr_null(x);
	else {
		ck_assert_ptr_nonnull(x);
		check_cert(x, &tls_items[tls_cases[_i].item]);
		X509_free(x);
	}
	/* the responder is still serving after a failed handshake */
	x = tls_fetch(port, "mx.example.org", alpn_acme,
	    sizeof(alpn_acme) - 1, 0);
	ck_assert_ptr_nonnull(x);
	X509_free(x);
	acme_responder_stop(r);
}
END_TEST

/* A peer that sends garbage, or nothing, does not block a CA. */
START_TEST(tlsalpn01_garbage)
{
	static const char	 junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct acme_responder	*r;
	X509			*x;
	char			 buf[64];
	unsigned		 port;
	int			 idle, fd;

	r = start_on_free_port(acme_tlsalpn01_start, "127.0.0.1", tls_items,
	    3, &port);
	idle = connect_to("127.0.0.1", port);
	ck_assert_int_ne(idle, -1);
	fd = connect_to("127.0.0.1", port);
	ck_assert_int_ne(fd, -1);
	send_all(fd, junk, sizeof(junk) - 1);
	(void)recv_all(fd, buf, sizeof(buf));	/* an alert, then EOF */
	(void)close(fd);
	x = tls_fetch(port, "7.2.0.192.in-addr.arpa", alpn_acme,
	    sizeof(alpn_acme) - 1, 0);
	ck_assert_ptr_nonnull(x);
	check_cert(x, &tls_items[1]);
	X509_free(x);
	(void)close(idle);
	acme_responder_stop(r);
}
END_TEST

START_TEST(tlsalpn01_bad_args)
{
	static const struct acme_chall_item	 wild[] = {
		{ TOK1, KA1, "*.example.org" } };
	static const struct acme_chall_item	 junk[] = {
		{ TOK1, KA1, "mx.example.org\n" } };
	static const struct acme_chall_item	 noid[] = {
		{ TOK1, KA1, NULL } };
	static const struct acme_chall_item	 noka[] = {
		{ TOK1, "", "mx.example.org" } };
	struct acme_err				 err;

	ck_assert_ptr_null(acme_tlsalpn01_start("127.0.0.1", 8443, wild, 1,
	    &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(acme_tlsalpn01_start("127.0.0.1", 8443, junk, 1,
	    &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(acme_tlsalpn01_start("127.0.0.1", 8443, noid, 1,
	    &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(acme_tlsalpn01_start("127.0.0.1", 8443, noka, 1,
	    &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(acme_tlsalpn01_start("127.0.0.1", 0, tls_items, 3,
	    &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
}
END_TEST

/* ---- webroot */

static void
read_file_str(int dfd, const char *path, char *buf, size_t max)
{
	ssize_t	 n;
	int	 fd;

	fd = openat(dfd, path, O_RDONLY);
	ck_assert_int_ne(fd, -1);
	n = read(fd, buf, max - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	(void)close(fd);
}

START_TEST(webroot)
{
	char		 dir[] = "/tmp/check_solver.XXXXXX";
	char		 buf[256];
	struct stat	 st;
	struct acme_err	 err;
	mode_t		 old;
	int		 dfd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(dfd, -1);
	old = umask(077);	/* as certd runs; the web server reads */
	ck_assert_int_eq(acme_http01_webroot_put(dir, TOK1, KA1, &err), 0);
	ck_assert_int_eq(acme_http01_webroot_put(dir, TOK2, "stale", &err),
	    0);
	ck_assert_int_eq(acme_http01_webroot_put(dir, TOK2, KA2, &err), 0);
	(void)umask(old);
	read_file_str(dfd, ".well-known/acme-challenge/" TOK1, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, KA1);
	read_file_str(dfd, ".well-known/acme-challenge/" TOK2, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, KA2);
	ck_assert_int_eq(fstatat(dfd, ".well-known/acme-challenge/" TOK1, &st,
	    0), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(fstatat(dfd, ".well-known/acme-challenge", &st, 0),
	    0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(fstatat(dfd, ".well-known", &st, 0), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(faccessat(dfd, ".well-known/acme-challenge/."
	    TOK1 ".tmp", F_OK, 0), -1);
	/* refused tokens and key authorizations */
	ck_assert_int_eq(acme_http01_webroot_put(dir, "../x", KA1, &err), -1);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_int_eq(acme_http01_webroot_put(dir, "", KA1, &err), -1);
	ck_assert_int_eq(acme_http01_webroot_put(dir, TOK1, "a\nb", &err),
	    -1);
	/* one removed: the other stays, and so does the directory */
	acme_http01_webroot_remove(dir, TOK1);
	ck_assert_int_eq(faccessat(dfd, ".well-known/acme-challenge/" TOK1,
	    F_OK, 0), -1);
	ck_assert_int_eq(faccessat(dfd, ".well-known/acme-challenge/" TOK2,
	    F_OK, 0), 0);
	acme_http01_webroot_remove(dir, TOK2);
	ck_assert_int_eq(faccessat(dfd, ".well-known", F_OK, 0), -1);
	acme_http01_webroot_remove(dir, TOK2);	/* gone already */
	acme_http01_webroot_remove(dir, "../../etc");
	(void)close(dfd);
	ck_assert_int_eq(file_remove_tree(AT_FDCWD, dir, NULL), 0);
}
END_TEST

/* .well-known kept when it holds other files; no symlink followed */
START_TEST(webroot_existing)
{
	char		 dir[] = "/tmp/check_solver.XXXXXX";
	char		 other[] = "/tmp/check_solver.XXXXXX";
	struct acme_err	 err;
	int		 dfd, odfd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(mkdtemp(other));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(dfd, -1);
	odfd = open(other, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(odfd, -1);
	ck_assert_int_eq(mkdirat(dfd, ".well-known", 0755), 0);
	ck_assert_int_eq(file_create(dfd, ".well-known/security.txt", "x", 1,
	    0644, NULL), 0);
	ck_assert_int_eq(acme_http01_webroot_put(dir, TOK1, KA1, &err), 0);
	acme_http01_webroot_remove(dir, TOK1);
	ck_assert_int_eq(faccessat(dfd, ".well-known/acme-challenge", F_OK,
	    0), -1);
	ck_assert_int_eq(faccessat(dfd, ".well-known/security.txt", F_OK, 0),
	    0);
	/* acme-challenge as a symlink to elsewhere is refused */
	ck_assert_int_eq(symlinkat(other, dfd, ".well-known/acme-challenge"),
	    0);
	ck_assert_int_eq(acme_http01_webroot_put(dir, TOK1, KA1, &err), -1);
	ck_assert_int_eq(err.kind, ACME_ESYS);
	ck_assert_int_eq(faccessat(odfd, TOK1, F_OK, 0), -1);
	ck_assert_int_eq(faccessat(odfd, "." TOK1 ".tmp", F_OK, 0), -1);
	/* a missing webroot is an error naming it */
	ck_assert_int_eq(acme_http01_webroot_put("/nonexistent/www", TOK1, KA1,
	    &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/www"));
	(void)close(dfd);
	(void)close(odfd);
	ck_assert_int_eq(file_remove_tree(AT_FDCWD, dir, NULL), 0);
	ck_assert_int_eq(file_remove_tree(AT_FDCWD, other, NULL), 0);
}
END_TEST

Suite *
solver_suite(void)
{
	Suite	*s = suite_create("solver");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, http01_requests, 0,
	    sizeof(http_cases) / sizeof(http_cases[0]));
	tcase_add_loop_test(tc, http01_request_size, 0,
	    sizeof(big_cases) / sizeof(big_cases[0]));
	tcase_add_test(tc, http01_concurrent);
	tcase_add_test(tc, http01_ipv6);
	tcase_add_test(tc, http01_stop);
	tcase_add_test(tc, http01_bind_busy);
	tcase_add_test(tc, http01_bad_args);
	tcase_add_test(tc, responder_dies_with_parent);
	tcase_add_test(tc, responder_holds_no_fds);
	tcase_add_loop_test(tc, tlsalpn01_handshake, 0,
	    sizeof(tls_cases) / sizeof(tls_cases[0]));
	tcase_add_test(tc, tlsalpn01_garbage);
	tcase_add_test(tc, tlsalpn01_bad_args);
	tcase_add_test(tc, webroot);
	tcase_add_test(tc, webroot_existing);
	suite_add_tcase(s, tc);
	return s;
}
