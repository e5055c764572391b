/*
 * check_fetch.c - fetch.c against a tiny HTTP/1.1 server written here: a
 * child listening on 127.0.0.1 (port 0) that forks one process per
 * connection and answers canned responses per path, plus a TLS server
 * with a self-signed certificate that must not be trusted. libcurl comes
 * through curldl.c: the test binary does not link it.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "revocation/curldl.h"
#include "revocation/fetch.h"

#define REQ_MAX		16384	/* bytes of a request the server reads */
#define BARRIER_N	4	/* transfers that must be open at once */
#define LAST_MOD	"Wed, 21 Oct 2026 07:28:00 GMT"

/* ---- the server (runs in forked children) ---- */

/* The server of the current test (the checked fixture runs per test). */
static pid_t		 srv_pid = -1;
static unsigned		 srv_port;
static unsigned		*barrier;	/* shared with the handlers */

static bool
contains(const char *h, size_t hlen, const char *needle)
{
	size_t	 n = strlen(needle), i;

	for (i = 0; n <= hlen && i <= hlen - n; i++)
		if (memcmp(h + i, needle, n) == 0)
			return true;
	return false;
}

static void
put(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, c, n)) <= 0)
			_exit(0);	/* the client went away */
		c += w;
		n -= (size_t)w;
	}
}

static void
puts_fd(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

static void
reply(int fd, const char *status, const char *headers, const void *body,
    size_t len)
{
	char	 h[1024];

	(void)snprintf(h, sizeof(h), "HTTP/1.1 %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n%s\r\n", status, len, headers);
	puts_fd(fd, h);
	put(fd, body, len);
}

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	(void)nanosleep(&ts, NULL);
}

/* Reads one request (headers and a Content-Length body) into req. */
static size_t
read_request(int fd, char *req)
{
	size_t		 len = 0, hlen, want;
	const char	*cl;
	char		*end;
	ssize_t		 r;

	for (;;) {
		if (len == REQ_MAX - 1 ||
		    (r = read(fd, req + len, REQ_MAX - 1 - len)) <= 0)
			_exit(0);
		len += (size_t)r;
		req[len] = '\0';
		if (req[0] == 0x16)	/* a TLS ClientHello */
			return len;
		if ((end = strstr(req, "\r\n\r\n")) != NULL)
			break;
	}
	hlen = (size_t)(end - req) + 4;
	want = 0;
	if ((cl = strstr(req, "Content-Length: ")) != NULL && cl < end)
		want = strtoul(cl + 16, NULL, 10);
	while (len < hlen + want && len < REQ_MAX - 1) {
		if ((r = read(fd, req + len, REQ_MAX - 1 - len)) <= 0)
			_exit(0);
		len += (size_t)r;
	}
	req[len] = '\0';
	return len;
}

static bool
path_is(const char *req, const char *path)
{
	const char	*sp = strchr(req, ' ');
	size_t		 n = strlen(path);

	return sp != NULL && strncmp(sp + 1, path, n) == 0 &&
	    (sp[n + 1] == ' ' || sp[n + 1] == '?');
}

static void
handle(int fd)
{
	static char	 req[REQ_MAX], big[200000];
	char		 h[12000];
	size_t		 len, i;
	int		 t;

	len = read_request(fd, req);
	if (req[0] == 0x16) {
		puts_fd(fd, "HTTP/1.1 400 Bad Request\r\n\r\n");
		return;
	}
	if (path_is(req, "/ok"))
		reply(fd, "200 OK", "Content-Type: Application/PKIX-CRL; "
		    "x=y\r\nCache-Control: public, max-age=3600\r\n",
		    "crl\0bytes", 9);
	else if (path_is(req, "/etag")) {
		if (contains(req, len, "\r\nIf-None-Match: \"v1\"\r\n"))
			puts_fd(fd, "HTTP/1.1 304 Not Modified\r\n"
			    "ETag: \"v1\"\r\n"
			    "Cache-Control: max-age=60\r\n\r\n");
		else
			reply(fd, "200 OK", "ETag: \"v1\"\r\nLast-Modified: "
			    LAST_MOD "\r\n", "v1-body", 7);
	} else if (path_is(req, "/lm")) {
		if (contains(req, len, "\r\nIf-Modified-Since: " LAST_MOD
		    "\r\n"))
			puts_fd(fd, "HTTP/1.1 304 Not Modified\r\n\r\n");
		else
			reply(fd, "200 OK", "Last-Modified: " LAST_MOD "\r\n",
			    "lm-body", 7);
	} else if (path_is(req, "/redirect")) {
		(void)snprintf(h, sizeof(h), "Location: http://127.0.0.1:%u"
		    "/ok\r\n", srv_port);
		reply(fd, "302 Found", h, "moved", 5);
	} else if (path_is(req, "/redirect-file"))
		reply(fd, "302 Found", "Location: file:///etc/passwd\r\n",
		    "moved", 5);
	else if (path_is(req, "/huge")) {
		memset(big, 'A', sizeof(big));
		reply(fd, "200 OK", "", big, sizeof(big));
	} else if (path_is(req, "/huge-stream")) {
		/* no Content-Length: only the write callback can stop it */
		memset(big, 'B', sizeof(big));
		puts_fd(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		put(fd, big, sizeof(big));
	} else if (path_is(req, "/exact")) {
		memset(big, 'C', 1000);
		reply(fd, "200 OK", "", big, 1000);
	} else if (path_is(req, "/slow")) {
		puts_fd(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nx");
		for (i = 0; i < 50; i++) {
			sleep_ms(100);
			puts_fd(fd, "x");
		}
	} else if (path_is(req, "/html"))
		reply(fd, "200 OK",
		    "Content-Type: text/html; charset=utf-8\r\n",
		    "<html><body>login</body></html>", 31);
	else if (path_is(req, "/close"))
		return;
	else if (path_is(req, "/500"))
		reply(fd, "500 Internal Server Error", "", "oops", 4);
	else if (path_is(req, "/304"))	/* not asked for */
		puts_fd(fd, "HTTP/1.1 304 Not Modified\r\n\r\n");
	else if (path_is(req, "/echo"))
		reply(fd, "200 OK", "", req, len);
	else if (path_is(req, "/longheader")) {
		memset(h, 'a', sizeof(h));
		memcpy(h, "X-Big: ", 7);
		memcpy(h + sizeof(h) - 2, "\r\n", 2);
		puts_fd(fd, "HTTP/1.1 200 OK\r\n");
		put(fd, h, sizeof(h));
		puts_fd(fd, "Content-Length: 0\r\n\r\n");
	} else if (path_is(req, "/manyheaders")) {
		puts_fd(fd, "HTTP/1.1 200 OK\r\n");
		for (i = 0; i < 150; i++)
			puts_fd(fd, "X-Many: 1\r\n");
		puts_fd(fd, "Content-Length: 0\r\n\r\n");
	} else if (path_is(req, "/badvalues"))
		reply(fd, "200 OK", "ETag: \"a\x01z\"\r\nLast-Modified: \r\n"
		    "Cache-Control: no-store, max-age=60\r\n", "b", 1);
	else if (path_is(req, "/ages"))
		reply(fd, "200 OK", "Cache-Control: max-age=600\r\n"
		    "Cache-Control: s-maxage=5, MAX-AGE=\"300\", max-age=x\r\n",
		    "a", 1);
	else if (path_is(req, "/bigage"))
		reply(fd, "200 OK", "Cache-Control: max-age="
		    "99999999999999999999999999\r\n", "a", 1);
	else if (path_is(req, "/garbage"))
		puts_fd(fd, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
	else if (path_is(req, "/barrier")) {
		/* answers only once BARRIER_N requests are open together */
		(void)__atomic_add_fetch(barrier, 1, __ATOMIC_SEQ_CST);
		for (t = 0; t < 300; t++) {
			if (__atomic_load_n(barrier, __ATOMIC_SEQ_CST) >=
			    BARRIER_N)
				break;
			sleep_ms(10);
		}
		if (t < 300)
			reply(fd, "200 OK", "", "together", 8);
		else
			reply(fd, "503 Alone", "", "alone", 5);
	} else
		reply(fd, "404 Not Found", "", "nope", 4);
}

static int
listen_local(unsigned *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ne(s = socket(AF_INET, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(s, 64), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return s;
}

static void
srv_start(void)
{
	pid_t	 pid;
	int	 ls, c;

	barrier = mmap(NULL, sizeof(*barrier), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(barrier, MAP_FAILED);
	*barrier = 0;
	ls = listen_local(&srv_port);
	ck_assert_int_ne(srv_pid = fork(), -1);
	if (srv_pid != 0) {
		(void)close(ls);
		return;
	}
	/* the server: dies with the test, and after 20 s in any case */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)alarm(20);
	(void)signal(SIGCHLD, SIG_IGN);		/* handlers reap themselves */
	for (;;) {
		if ((c = accept(ls, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(1);
		}
		if ((pid = fork()) == 0) {
			(void)close(ls);
			(void)alarm(10);
			handle(c);
			(void)shutdown(c, SHUT_WR);
			(void)close(c);
			_exit(0);
		}
		(void)close(c);
	}
}

static void
srv_stop(void)
{
	if (srv_pid > 0) {
		(void)kill(srv_pid, SIGKILL);
		(void)waitpid(srv_pid, NULL, 0);
	}
	srv_pid = -1;
	(void)munmap(barrier, sizeof(*barrier));
}

static char *
url(const char *path)
{
	static char	 u[8][REV_URL_MAX + 64];
	static int	 next;
	char		*p = u[next++ % 8];

	(void)snprintf(p, sizeof(u[0]), "http://127.0.0.1:%u%s", srv_port,
	    path);
	return p;
}

static struct fetch_req
get_req(const char *path, size_t max)
{
	struct fetch_req	 r;

	memset(&r, 0, sizeof(r));
	r.url = url(path);
	r.max = max;
	r.connect_timeout = 5;
	r.timeout = 5;
	return r;
}

/* ---- plain GETs, one table ---- */

static const struct {
	const char	*path;
	size_t		 max;
	int		 rc;
	enum cd_errkind	 kind;
	long		 status;	/* resp.status or err.http_status */
	const char	*body;		/* NULL: don't compare */
	size_t		 len;
	const char	*ctype;
	time_t		 max_age;
	const char	*msg;		/* substring of err.msg */
} gets_[] = {
	{ "/ok", 1000, 0, CD_EOK, 200, "crl\0bytes", 9,
	    "application/pkix-crl", 3600, NULL },
	{ "/ok", 9, 0, CD_EOK, 200, "crl\0bytes", 9, NULL, 3600, NULL },
	{ "/ok", 8, -1, CD_EPROTO, 0, NULL, 0, NULL, 0, "larger than 8" },
	{ "/exact", 1000, 0, CD_EOK, 200, NULL, 1000, NULL, 0, NULL },
	{ "/exact", 999, -1, CD_EPROTO, 0, NULL, 0, NULL, 0, "larger" },
	{ "/huge", 1000, -1, CD_EPROTO, 0, NULL, 0, NULL, 0, "larger" },
	{ "/huge-stream", 1000, -1, CD_EPROTO, 0, NULL, 0, NULL, 0,
	    "larger than 1000" },
	{ "/huge-stream", 300000, 0, CD_EOK, 200, NULL, 200000, NULL, 0,
	    NULL },
	{ "/redirect", 1000, -1, CD_EPROTO, 302, NULL, 0, NULL, 0,
	    "HTTP 302" },
	{ "/redirect-file", 1000, -1, CD_EPROTO, 302, NULL, 0, NULL, 0,
	    "HTTP 302" },
	{ "/html", 1000, 0, CD_EOK, 200, "<html><body>login</body></html>",
	    31, "text/html", 0, NULL },
	{ "/close", 1000, -1, CD_ENET, 0, NULL, 0, NULL, 0, "/close" },
	{ "/missing", 1000, -1, CD_EPROTO, 404, NULL, 0, NULL, 0,
	    "HTTP 404" },
	{ "/500", 1000, -1, CD_EPROTO, 500, NULL, 0, NULL, 0, "HTTP 500" },
	{ "/304", 1000, -1, CD_EPROTO, 304, NULL, 0, NULL, 0, "HTTP 304" },
	{ "/longheader", 1000, -1, CD_EPROTO, 0, NULL, 0, NULL, 0,
	    "header" },
	{ "/manyheaders", 1000, -1, CD_EPROTO, 0, NULL, 0, NULL, 0,
	    "header" },
	{ "/badvalues", 1000, 0, CD_EOK, 200, "b", 1, NULL, 0, NULL },
	{ "/ages", 1000, 0, CD_EOK, 200, "a", 1, NULL, 300, NULL },
	{ "/bigage", 1000, 0, CD_EOK, 200, "a", 1, NULL, FETCH_MAX_AGE_MAX,
	    NULL },
	{ "/garbage", 1000, -1, CD_EPROTO, 0, NULL, 0, NULL, 0, "bad reply" },
};

START_TEST(get_paths)
{
	struct fetch_req	 r = get_req(gets_[_i].path, gets_[_i].max);
	struct fetch_resp	 resp;
	struct cd_err		 err;
	int			 rc;

	memset(&err, 0, sizeof(err));
	rc = fetch_one(&r, &resp, &err);
	ck_assert_msg(rc == gets_[_i].rc, "%s: rc %d: %s", gets_[_i].path, rc,
	    err.msg);
	if (rc == 0) {
		ck_assert_int_eq(resp.status, gets_[_i].status);
		ck_assert_ptr_nonnull(resp.body);
		ck_assert_uint_eq(resp.len, gets_[_i].len);
		ck_assert_int_eq(resp.body[resp.len], '\0');
		if (gets_[_i].body != NULL)
			ck_assert_mem_eq(resp.body, gets_[_i].body,
			    gets_[_i].len);
		if (gets_[_i].ctype != NULL)
			ck_assert_str_eq(resp.content_type, gets_[_i].ctype);
		ck_assert_int_eq(resp.max_age, gets_[_i].max_age);
		ck_assert(!resp.not_modified);
		/* /badvalues: an ETag with a control byte is dropped */
		ck_assert_ptr_null(resp.etag);
		ck_assert_ptr_null(resp.last_modified);
	} else {
		ck_assert_int_eq(err.kind, gets_[_i].kind);
		ck_assert_int_eq(err.http_status, gets_[_i].status);
		ck_assert_msg(strstr(err.msg, gets_[_i].msg) != NULL, "%s",
		    err.msg);
		/* messages name the URL */
		ck_assert_msg(strstr(err.msg, "http://127.0.0.1:") != NULL,
		    "%s", err.msg);
		ck_assert_ptr_null(resp.body);
	}
	fetch_resp_clear(&resp);
	fetch_resp_clear(NULL);
}
END_TEST

START_TEST(timeout)
{
	struct fetch_req	 r = get_req("/slow", 1000);
	struct fetch_resp	 resp;
	struct cd_err		 err;

	r.timeout = 1;		/* the body would take 5 s */
	ck_assert_int_eq(fetch_one(&r, &resp, &err), -1);
	ck_assert_int_eq(err.kind, CD_ENET);
	ck_assert_msg(strstr(err.msg, "/slow") != NULL &&
	    strstr(err.msg, "imed out") != NULL, "%s", err.msg);
	ck_assert_ptr_null(resp.body);
}
END_TEST

START_TEST(refused)
{
	struct fetch_req	 r;
	struct fetch_resp	 resp;
	struct cd_err		 err;
	char			 u[64];
	unsigned		 port;
	int			 s;

	s = listen_local(&port);
	(void)close(s);		/* nobody listens there now */
	(void)snprintf(u, sizeof(u), "http://127.0.0.1:%u/x", port);
	memset(&r, 0, sizeof(r));
	r.url = u;
	r.max = 100;
	ck_assert_int_eq(fetch_one(&r, &resp, &err), -1);
	ck_assert_int_eq(err.kind, CD_ENET);
	ck_assert_msg(strstr(err.msg, u) != NULL, "%s", err.msg);
}
END_TEST

/* ---- conditional GET ---- */

START_TEST(conditional_etag)
{
	struct fetch_req	 r = get_req("/etag", 1000);
	struct fetch_resp	 a, b;
	struct cd_err		 err;

	ck_assert_int_eq(fetch_one(&r, &a, &err), 0);
	ck_assert_int_eq(a.status, 200);
	ck_assert_str_eq(a.etag, "\"v1\"");
	ck_assert_str_eq(a.last_modified, LAST_MOD);
	ck_assert(!a.not_modified);
	ck_assert_mem_eq(a.body, "v1-body", 7);
	r.etag = a.etag;
	ck_assert_int_eq(fetch_one(&r, &b, &err), 0);
	ck_assert_int_eq(b.status, 304);
	ck_assert(b.not_modified);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_ptr_nonnull(b.body);
	ck_assert_int_eq(b.max_age, 60);
	fetch_resp_clear(&b);
	/* a different validator gets the full body again */
	r.etag = "\"v0\"";
	ck_assert_int_eq(fetch_one(&r, &b, &err), 0);
	ck_assert_int_eq(b.status, 200);
	ck_assert(!b.not_modified);
	fetch_resp_clear(&b);
	fetch_resp_clear(&a);
}
END_TEST

START_TEST(conditional_last_modified)
{
	struct fetch_req	 r = get_req("/lm", 1000);
	struct fetch_resp	 resp;
	struct cd_err		 err;

	r.last_modified = LAST_MOD;
	ck_assert_int_eq(fetch_one(&r, &resp, &err), 0);
	ck_assert(resp.not_modified);
	ck_assert_int_eq(resp.status, 304);
	fetch_resp_clear(&resp);
}
END_TEST

START_TEST(conditional_headers_sent)
{
	struct fetch_req	 r = get_req("/echo", 4096);
	struct fetch_resp	 resp;
	struct cd_err		 err;
	const char		*b;

	r.etag = "W/\"abc\"";
	r.last_modified = LAST_MOD;
	ck_assert_int_eq(fetch_one(&r, &resp, &err), 0);
	b = (const char *)resp.body;
	ck_assert_msg(strncmp(b, "GET /echo HTTP/1.1\r\n", 20) == 0, "%s", b);
	ck_assert(contains(b, resp.len, "\r\nIf-None-Match: W/\"abc\"\r\n"));
	ck_assert(contains(b, resp.len, "\r\nIf-Modified-Since: " LAST_MOD
	    "\r\n"));
	fetch_resp_clear(&resp);
	/* and nothing of the kind without validators */
	r.etag = r.last_modified = NULL;
	ck_assert_int_eq(fetch_one(&r, &resp, &err), 0);
	b = (const char *)resp.body;
	ck_assert(!contains(b, resp.len, "If-None-Match"));
	ck_assert(!contains(b, resp.len, "If-Modified-Since"));
	ck_assert(!contains(b, resp.len, "Accept-Encoding"));
	fetch_resp_clear(&resp);
}
END_TEST

START_TEST(post_body)
{
	static const unsigned char	 der[] = { 0x30, 0x03, 0x02, 0x01,
	    0x00, 0x00, 0x0d, 0x0a };
	struct fetch_req		 r = get_req("/echo", 4096);
	struct fetch_resp		 resp;
	struct cd_err			 err;
	const char			*b;

	r.method = "POST";
	r.body = der;
	r.len = sizeof(der);
	r.content_type = "application/ocsp-request";
	r.etag = "\"ignored\"";		/* conditional only for GET */
	ck_assert_int_eq(fetch_one(&r, &resp, &err), 0);
	b = (const char *)resp.body;
	ck_assert_msg(strncmp(b, "POST /echo HTTP/1.1\r\n", 21) == 0, "%s", b);
	ck_assert(contains(b, resp.len,
	    "\r\nContent-Type: application/ocsp-request\r\n"));
	ck_assert(contains(b, resp.len, "\r\nContent-Length: 8\r\n"));
	ck_assert(!contains(b, resp.len, "Expect:"));
	ck_assert(!contains(b, resp.len, "If-None-Match"));
	ck_assert_uint_ge(resp.len, sizeof(der));
	ck_assert_mem_eq(resp.body + resp.len - sizeof(der), der, sizeof(der));
	fetch_resp_clear(&resp);
}
END_TEST

/* ---- requests refused before curl sees them ---- */

static const struct {
	const char	*url;	/* "%u" is the server port */
	const char	*method;
	size_t		 max;
	const char	*etag;
} bad[] = {
	{ "ftp://127.0.0.1:%u/x", NULL, 100, NULL },
	{ "file:///etc/passwd", NULL, 100, NULL },
	{ "gopher://127.0.0.1:%u/", NULL, 100, NULL },
	{ "ldap://127.0.0.1:%u/cn=x", NULL, 100, NULL },
	{ "dict://127.0.0.1:%u/", NULL, 100, NULL },
	{ "127.0.0.1:%u/ok", NULL, 100, NULL },
	{ "//127.0.0.1:%u/ok", NULL, 100, NULL },
	{ "httpx://127.0.0.1:%u/ok", NULL, 100, NULL },
	{ "http:/127.0.0.1:%u/ok", NULL, 100, NULL },
	{ "", NULL, 100, NULL },
	{ "http://", NULL, 100, NULL },
	{ "http://127.0.0.1:%u/a b", NULL, 100, NULL },
	{ "http://127.0.0.1:%u/a\r\nX-Injected: 1", NULL, 100, NULL },
	{ "http://127.0.0.1:%u/\x80", NULL, 100, NULL },
	{ "http://127.0.0.1:%u/ok", "PUT", 100, NULL },
	{ "http://127.0.0.1:%u/ok", "get", 100, NULL },
	{ "http://127.0.0.1:%u/ok", NULL, 0, NULL },
	{ "http://127.0.0.1:%u/ok", NULL, 100, "\"a\"\r\nX-Injected: 1" },
};

static int	 ncalled;

static void
count_done(void *arg, int rc, struct fetch_resp *resp,
    const struct cd_err *err)
{
	(void)arg;
	(void)rc;
	(void)resp;
	(void)err;
	ncalled++;
}

START_TEST(rejected)
{
	struct fetch_multi	*m;
	struct fetch_req	 r;
	struct fetch_resp	 resp;
	struct cd_err		 err;
	char			 u[256];
	unsigned long		 n = fetch_count();

	(void)snprintf(u, sizeof(u), bad[_i].url, srv_port);
	memset(&r, 0, sizeof(r));
	r.url = u;
	r.method = bad[_i].method;
	r.max = bad[_i].max;
	r.etag = bad[_i].etag;
	ck_assert_int_eq(fetch_one(&r, &resp, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_ptr_null(resp.body);
	ncalled = 0;
	ck_assert_ptr_nonnull(m = fetch_multi_new(&err));
	ck_assert_int_eq(fetch_multi_add(m, &r, count_done, NULL, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_uint_eq(fetch_multi_pending(m), 0);
	ck_assert_int_eq(fetch_multi_run(m, 100), 0);
	fetch_multi_free(m);
	ck_assert_int_eq(ncalled, 0);
	ck_assert_uint_eq(fetch_count(), n);	/* no network traffic */
}
END_TEST

/* URLs up to REV_URL_MAX bytes are fetched, one more is refused. */
START_TEST(url_length)
{
	struct fetch_req	 r = get_req("/ok", 100);
	struct fetch_resp	 resp;
	struct cd_err		 err;
	char			 u[REV_URL_MAX + 2];
	int			 len;

	len = snprintf(u, sizeof(u), "http://127.0.0.1:%u/ok?", srv_port);
	memset(u + len, 'q', sizeof(u) - (size_t)len);
	u[REV_URL_MAX] = '\0';
	r.url = u;
	ck_assert_int_eq(fetch_one(&r, &resp, &err), 0);
	ck_assert_mem_eq(resp.body, "crl\0bytes", 9);
	fetch_resp_clear(&resp);
	u[REV_URL_MAX] = 'q';
	u[REV_URL_MAX + 1] = '\0';
	ck_assert_int_eq(fetch_one(&r, &resp, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	/* upper-case schemes are still http */
	memcpy(u, "HTTP", 4);
	u[REV_URL_MAX] = '\0';
	ck_assert_int_eq(fetch_one(&r, &resp, &err), 0);
	fetch_resp_clear(&resp);
}
END_TEST

START_TEST(count)
{
	struct fetch_req	 r = get_req("/ok", 100);
	struct fetch_resp	 resp;
	struct cd_err		 err;
	unsigned long		 n = fetch_count();

	ck_assert_int_eq(fetch_one(&r, &resp, &err), 0);
	fetch_resp_clear(&resp);
	ck_assert_uint_eq(fetch_count(), n + 1);
	r = get_req("/missing", 100);
	ck_assert_int_eq(fetch_one(&r, &resp, &err), -1);
	ck_assert_uint_eq(fetch_count(), n + 2);	/* failures count */
}
END_TEST

/* ---- the multi interface ---- */

struct result {
	int		 calls;
	int		 rc;
	long		 status;
	enum cd_errkind	 kind;
	char		 body[32];
	struct fetch_multi *chain;	/* add /ok from the callback */
	struct result	*chained;
};

static void
record_done(void *arg, int rc, struct fetch_resp *resp,
    const struct cd_err *err)
{
	struct result		*res = arg;
	struct fetch_req	 r;

	res->calls++;
	res->rc = rc;
	if (rc == 0) {
		res->status = resp->status;
		(void)snprintf(res->body, sizeof(res->body), "%s",
		    (const char *)resp->body);
		/* take the body: the module must not free it again */
		free(resp->body);
		resp->body = NULL;
	} else {
		res->kind = err->kind;
		res->status = err->http_status;
	}
	if (res->chain != NULL) {
		r = get_req("/ok", 100);
		ck_assert_int_eq(fetch_multi_add(res->chain, &r, record_done,
		    res->chained, NULL), 0);
	}
}

START_TEST(multi_concurrent)
{
	static const char	*paths[] = { "/barrier", "/ok", "/barrier",
	    "/missing", "/barrier", "/close", "/barrier", "/etag" };
	struct result		 res[8], chained;
	struct fetch_multi	*m;
	struct fetch_req	 r;
	struct cd_err		 err;
	size_t			 i;
	unsigned long		 n = fetch_count();

	memset(res, 0, sizeof(res));
	memset(&chained, 0, sizeof(chained));
	ck_assert_ptr_nonnull(m = fetch_multi_new(&err));
	for (i = 0; i < 8; i++) {
		r = get_req(paths[i], 100);
		ck_assert_int_eq(fetch_multi_add(m, &r, record_done, &res[i],
		    &err), 0);
	}
	res[3].chain = m;
	res[3].chained = &chained;
	ck_assert_uint_eq(fetch_multi_pending(m), 8);
	ck_assert_int_eq(fetch_multi_run(m, -1), 0);
	ck_assert_uint_eq(fetch_multi_pending(m), 0);
	fetch_multi_free(m);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(res[i].calls, 1);
	/* all four barrier transfers were open at the same time */
	for (i = 0; i < 8; i += 2) {
		ck_assert_int_eq(res[i].rc, 0);
		ck_assert_str_eq(res[i].body, "together");
	}
	ck_assert_int_eq(res[1].rc, 0);
	ck_assert_str_eq(res[1].body, "crl");
	ck_assert_int_eq(res[3].rc, -1);
	ck_assert_int_eq(res[3].kind, CD_EPROTO);
	ck_assert_int_eq(res[3].status, 404);
	ck_assert_int_eq(res[5].rc, -1);
	ck_assert_int_eq(res[5].kind, CD_ENET);
	ck_assert_int_eq(res[7].rc, 0);
	ck_assert_str_eq(res[7].body, "v1-body");
	/* the transfer added from a callback ran in the same call */
	ck_assert_int_eq(chained.calls, 1);
	ck_assert_int_eq(chained.rc, 0);
	ck_assert_str_eq(chained.body, "crl");
	ck_assert_uint_eq(fetch_count(), n + 9);
}
END_TEST

/* run() returns when its time is up; free() ends what is left. */
START_TEST(multi_time_up)
{
	struct result		 slow, fast;
	struct fetch_multi	*m;
	struct fetch_req	 r;
	struct cd_err		 err;

	memset(&slow, 0, sizeof(slow));
	memset(&fast, 0, sizeof(fast));
	ck_assert_ptr_nonnull(m = fetch_multi_new(&err));
	r = get_req("/slow", 1000);
	r.timeout = 10;
	ck_assert_int_eq(fetch_multi_add(m, &r, record_done, &slow, &err), 0);
	r = get_req("/ok", 1000);
	ck_assert_int_eq(fetch_multi_add(m, &r, record_done, &fast, &err), 0);
	ck_assert_int_eq(fetch_multi_run(m, 300), 1);
	ck_assert_int_eq(fast.calls, 1);
	ck_assert_int_eq(fast.rc, 0);
	ck_assert_int_eq(slow.calls, 0);
	ck_assert_uint_eq(fetch_multi_pending(m), 1);
	fetch_multi_free(m);
	ck_assert_int_eq(slow.calls, 1);
	ck_assert_int_eq(slow.rc, -1);
	ck_assert_int_eq(slow.kind, CD_ENET);
	fetch_multi_free(NULL);
}
END_TEST

/* ---- https: the system trust store, never a self-signed peer ---- */

static X509 *
self_signed(EVP_PKEY *k)
{
	X509	*x = X509_new();

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x),
	    "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1,
	    0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	ck_assert_int_eq(X509_set_pubkey(x, k), 1);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	return x;
}

START_TEST(https_untrusted)
{
	struct fetch_req	 r;
	struct fetch_resp	 resp;
	struct cd_err		 err;
	EVP_PKEY		*k;
	X509			*x;
	SSL_CTX			*ctx;
	SSL			*ssl;
	char			 u[64];
	unsigned		 port;
	pid_t			 pid;
	int			 ls, c;

	ck_assert_ptr_nonnull(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "P-256"));
	x = self_signed(k);
	ls = listen_local(&port);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		(void)alarm(10);
		if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
		    SSL_CTX_use_certificate(ctx, x) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, k) != 1 ||
		    (c = accept(ls, NULL, NULL)) == -1 ||
		    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, c) != 1)
			_exit(1);
		/* the client must give up during the handshake */
		_exit(SSL_accept(ssl) == 1 ? 2 : 0);
	}
	(void)close(ls);
	(void)snprintf(u, sizeof(u), "https://127.0.0.1:%u/ok", port);
	memset(&r, 0, sizeof(r));
	r.url = u;
	r.max = 100;
	r.timeout = 5;
	ck_assert_int_eq(fetch_one(&r, &resp, &err), -1);
	ck_assert_int_eq(err.kind, CD_ENET);
	ck_assert_msg(strstr(err.msg, u) != NULL && (strstr(err.msg,
	    "certificate") != NULL || strstr(err.msg, "SSL") != NULL),
	    "%s", err.msg);
	ck_assert_int_eq(waitpid(pid, &c, 0), pid);
	ck_assert(WIFEXITED(c) && WEXITSTATUS(c) == 0);
	X509_free(x);
	EVP_PKEY_free(k);
}
END_TEST

/* https to a plain http server fails in the handshake, as CD_ENET */
START_TEST(https_to_http)
{
	struct fetch_req	 r;
	struct fetch_resp	 resp;
	struct cd_err		 err;
	char			 u[64];

	(void)snprintf(u, sizeof(u), "https://127.0.0.1:%u/ok", srv_port);
	memset(&r, 0, sizeof(r));
	r.url = u;
	r.max = 100;
	r.timeout = 5;
	ck_assert_int_eq(fetch_one(&r, &resp, &err), -1);
	ck_assert_int_eq(err.kind, CD_ENET);
}
END_TEST

/* ---- libcurl, loaded at run time (curldl.c) ---- */

static bool
curl_is_mapped(void)
{
	void	*h;

	if ((h = dlopen(CURLDL_SONAME, RTLD_LAZY | RTLD_NOLOAD)) == NULL)
		return false;
	(void)dlclose(h);	/* NOLOAD took a reference */
	return true;
}

/* Mapped on the first load only; later loads return the same table. */
START_TEST(curldl_same_table)
{
	const struct curldl_fns	*a, *b;
	const curl_version_info_data *vi;
	struct cd_err		 err;
	const char		*ck = getenv("CK_FORK");

	/* a fresh child per test, unless CK_FORK=no runs all in one */
	if (ck == NULL || strcmp(ck, "no") != 0)
		ck_assert_msg(!curl_is_mapped(), "libcurl linked in");
	ck_assert_ptr_nonnull(a = curldl_load(&err));
	ck_assert(curl_is_mapped());
	ck_assert_ptr_nonnull(b = curldl_load(&err));
	ck_assert_ptr_eq(a, b);
	ck_assert_ptr_nonnull(a->easy_setopt);
	ck_assert_ptr_nonnull(a->url_cleanup);
	ck_assert_ptr_nonnull(vi = a->version_info(CURLVERSION_NOW));
	ck_assert_uint_ge(vi->version_num, CURLDL_VERSION_MIN);
}
END_TEST

static const struct {
	const char	*soname;
	const char	*msg;	/* substring of err.msg; NULL: loads */
} sonames[] = {
	{ CURLDL_SONAME, NULL },
	{ "libcertd-no-such-curl.so.4",
	    "libcurl (libcertd-no-such-curl.so.4): libcertd-no-such-curl" },
	{ "/nonexistent/libcurl.so.4", "/nonexistent/libcurl.so.4: " },
	/* a library, but not libcurl: the first symbol is missing */
	{ "libc.so.6", "(libc.so.6): symbol curl_global_init not found" },
};

START_TEST(curldl_open_soname)
{
	struct curldl_fns	 f;
	struct cd_err		 err;
	void			*h;

	cd_err_clear(&err);
	h = curldl_open(sonames[_i].soname, &f, &err);
	if (sonames[_i].msg == NULL) {
		ck_assert_msg(h != NULL, "%s", err.msg);
		ck_assert_ptr_nonnull(f.multi_poll);
		ck_assert_int_eq(err.kind, CD_EOK);
		ck_assert_int_eq(dlclose(h), 0);
	} else {
		ck_assert_ptr_null(h);
		ck_assert_int_eq(err.kind, CD_ECONFIG);
		ck_assert_msg(strncmp(err.msg, "revocation fetch needs libcurl",
		    30) == 0 && strstr(err.msg, sonames[_i].msg) != NULL,
		    "%s", err.msg);
		ck_assert_ptr_null(f.easy_init);	/* nothing kept */
		ck_assert_ptr_null(strchr(err.msg, '\n'));
	}
	/* the cached table is independent of curldl_open() */
	ck_assert_ptr_nonnull(curldl_load(&err));
}
END_TEST

/* After curldl_unload() (curl_global_cleanup), fetching loads again. */
START_TEST(curldl_reload)
{
	struct fetch_req	 r = get_req("/ok", 100);
	struct fetch_resp	 resp;
	struct cd_err		 err;

	curldl_unload();		/* nothing loaded: a no-op */
	ck_assert_int_eq(fetch_one(&r, &resp, &err), 0);
	fetch_resp_clear(&resp);
	curldl_unload();
	curldl_unload();
	ck_assert_int_eq(fetch_one(&r, &resp, &err), 0);
	ck_assert_mem_eq(resp.body, "crl\0bytes", 9);
	fetch_resp_clear(&resp);
	curldl_unload();
}
END_TEST

Suite *
fetch_suite(void)
{
	Suite	*s = suite_create("fetch");
	TCase	*tc = tcase_create("fetch");
	TCase	*tl = tcase_create("curldl");

	tcase_add_checked_fixture(tc, srv_start, srv_stop);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, get_paths, 0, sizeof(gets_) / sizeof(gets_[0]));
	tcase_add_test(tc, timeout);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, conditional_etag);
	tcase_add_test(tc, conditional_last_modified);
	tcase_add_test(tc, conditional_headers_sent);
	tcase_add_test(tc, post_body);
	tcase_add_loop_test(tc, rejected, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, url_length);
	tcase_add_test(tc, count);
	tcase_add_test(tc, multi_concurrent);
	tcase_add_test(tc, multi_time_up);
	tcase_add_test(tc, https_untrusted);
	tcase_add_test(tc, https_to_http);
	tcase_add_test(tc, curldl_reload);
	suite_add_tcase(s, tc);
	tcase_add_test(tl, curldl_same_table);
	tcase_add_loop_test(tl, curldl_open_soname, 0,
	    sizeof(sonames) / sizeof(sonames[0]));
	suite_add_tcase(s, tl);
	return s;
}
