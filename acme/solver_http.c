/*
 * solver_http.c - http-01 (RFC 8555 §8.3): a minimal HTTP/1.x responder
 * that serves key authorizations to anyone who asks, and the webroot
 * variant that writes them as files. Requests are hostile: the request
 * line and header fields are bounded and checked strictly.
 */
#include "acme_int.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HTTP_REQ_MAX	 8192	/* request line + header fields, bytes */
#define HTTP_RESP_MAX	 2048	/* one response, bytes */
#define HTTP_KEYAUTH_MAX 1024	/* key authorization served, bytes */
#define HTTP_METHOD_MAX	 16	/* bytes */
#define HTTP_DRAIN_MAX	 65536	/* bytes read and discarded after replying */
#define HTTP_PREFIX	 "/.well-known/acme-challenge/"
#define WELL_KNOWN	 ".well-known"
#define CHALL_DIR	 "acme-challenge"

enum http_phase {
	PH_READ,
	PH_WRITE,
	PH_DRAIN,		/* replied; wait for the peer to hang up */
};

struct http_srv {
	const struct acme_chall_item	*items;
	size_t				 n;
};

struct http_conn {
	enum http_phase	 phase;
	size_t		 len;		/* bytes in req */
	size_t		 resplen;
	size_t		 off;		/* bytes of resp sent */
	size_t		 drained;
	char		 req[HTTP_REQ_MAX];
	char		 resp[HTTP_RESP_MAX];
};

static bool
token_is_valid(const char *s)
{
	size_t	 len;

	return s != NULL && (len = strlen(s)) <= ACME_TOKEN_MAX &&
	    acme_b64url_is_valid(s, len);
}

static bool
keyauth_is_valid(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return i > 0 && i <= HTTP_KEYAUTH_MAX;
}

/* RFC 9110 §5.6.2 tchar */
static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Next line of [*p, end): CRLF or LF ends it; a CR elsewhere is refused. */
static int
next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char	*eol;

	if ((eol = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		return -1;
	*line = *p;
	*len = (size_t)(eol - *p);
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	if (memchr(*line, '\r', *len) != NULL)
		return -1;
	*p = eol + 1;
	return 0;
}

/* Offset just past the empty line that ends the header, or 0. */
static size_t
header_end(const char *req, size_t from, size_t len)
{
	size_t	 i;

	for (i = from; i < len; i++) {
		if (req[i] != '\n')
			continue;
		if (i + 1 < len && req[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && req[i + 1] == '\r' && req[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* RFC 9112 §3 and §5: returns the HTTP status of the answer; on 200,
 * *body is the key authorization. */
static int
http_parse(const struct http_srv *srv, const char *req, size_t len,
    bool *head, const char **body)
{
	const char	*p = req, *end = req + len, *line, *tgt, *path;
	size_t		 llen, i, mlen, tlen, plen, nhost = 0, pre, k;
	unsigned char	 c;
	bool		 v11;

	*head = false;
	if (memchr(req, '\0', len) != NULL ||
	    next_line(&p, end, &line, &llen) == -1)
		return 400;
	/* request-line = method SP request-target SP HTTP-version */
	for (i = 0; i < llen && is_tchar((unsigned char)line[i]); i++)
		;
	mlen = i;
	if (mlen == 0 || mlen > HTTP_METHOD_MAX || i == llen ||
	    line[i] != ' ')
		return 400;
	tgt = line + ++i;
	while (i < llen && (unsigned char)line[i] > 0x20 &&
	    (unsigned char)line[i] < 0x7f)
		i++;
	tlen = (size_t)(line + i - tgt);
	if (tlen == 0 || i == llen || line[i] != ' ' || llen - i - 1 != 8)
		return 400;
	if (memcmp(line + i + 1, "HTTP/1.1", 8) == 0)
		v11 = true;
	else if (memcmp(line + i + 1, "HTTP/1.0", 8) == 0)
		v11 = false;
	else
		return 400;
	*head = mlen == 4 && memcmp(req, "HEAD", 4) == 0;
	/* field-line = field-name ":" OWS field-value OWS; no obs-fold */
	for (;;) {
		if (next_line(&p, end, &line, &llen) == -1)
			return 400;
		if (llen == 0)
			break;
		for (i = 0; i < llen && is_tchar((unsigned char)line[i]); i++)
			;
		if (i == 0 || i == llen || line[i] != ':')
			return 400;
		if (i == 4 && strncasecmp(line, "host", 4) == 0)
			nhost++;
		/* field-value: VCHAR, SP, HTAB and obs-text only */
		for (i++; i < llen; i++) {
			c = (unsigned char)line[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return 400;
		}
	}
	if (p != end || nhost > 1 || (v11 && nhost == 0))
		return 400;	/* RFC 9112 §3.2: exactly one Host in 1.1 */
	if (!*head && !(mlen == 3 && memcmp(req, "GET", 3) == 0))
		return 405;
	/* origin-form, or absolute-form "http://authority/path" */
	path = tgt;
	plen = tlen;
	if (tlen >= 7 && strncasecmp(tgt, "http://", 7) == 0) {
		path = memchr(tgt + 7, '/', tlen - 7);
		if (path == NULL)
			return 404;
		plen = tlen - (size_t)(path - tgt);
	} else if (tgt[0] != '/')
		return 400;
	for (i = 0; i < plen && path[i] != '?'; i++)
		;
	plen = i;
	pre = sizeof(HTTP_PREFIX) - 1;
	if (plen <= pre || memcmp(path, HTTP_PREFIX, pre) != 0)
		return 404;
	/* exact match only: tokens are base64url, so no escapes and no
	 * dot segments can ever name one */
	for (k = 0; k < srv->n; k++)
		if (strlen(srv->items[k].token) == plen - pre &&
		    memcmp(srv->items[k].token, path + pre, plen - pre) == 0) {
			*body = srv->items[k].keyauth;
			return 200;
		}
	return 404;
}

static void
http_respond(struct http_conn *c, int status, bool head, const char *body)
{
	const char	*reason, *ctype = "text/plain", *extra = "";
	int		 n;

	switch (status) {
	case 200:
		reason = "OK";
		ctype = "application/octet-stream";	/* as in §8.3 */
		break;
	case 404:
		reason = "Not Found";
		break;
	case 405:
		reason = "Method Not Allowed";
		extra = "Allow: GET, HEAD\r\n";
		break;
	default:
		status = 400;
		reason = "Bad Request";
		break;
	}
	if (status != 200)
		body = reason;
	n = snprintf(c->resp, sizeof(c->resp), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n%s"
	    "Connection: close\r\n\r\n%s", status, reason, ctype,
	    strlen(body), extra, head ? "" : body);
	/* cannot be truncated: the key authorization is bounded */
	c->resplen = n < 0 || (size_t)n >= sizeof(c->resp) ? 0 : (size_t)n;
	c->off = 0;
	c->phase = PH_WRITE;
}

static void *
http_open(void *arg, int fd)
{
	(void)arg;
	(void)fd;
	return calloc(1, sizeof(struct http_conn));
}

static void
http_close(void *arg, void *conn)
{
	(void)arg;
	free(conn);
}

static int
http_step(void *arg, void *conn, int fd, short *events)
{
	const struct http_srv	*srv = arg;
	struct http_conn	*c = conn;
	const char		*body = NULL;
	size_t			 from, end;
	ssize_t			 n;
	bool			 head;
	int			 status;

	if (c->phase == PH_READ) {
		n = read(fd, c->req + c->len, sizeof(c->req) - c->len);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			*events = POLLIN;
			return 0;
		}
		if (n <= 0)
			return -1;	/* gone before asking anything */
		from = c->len > 2 ? c->len - 2 : 0;
		c->len += (size_t)n;
		if ((end = header_end(c->req, from, c->len)) != 0) {
			status = http_parse(srv, c->req, end, &head, &body);
			http_respond(c, status, head, body);
		} else if (c->len == sizeof(c->req))
			http_respond(c, 400, false, NULL);	/* too large */
		else {
			*events = POLLIN;
			return 0;
		}
	}
	if (c->phase == PH_WRITE) {
		while (c->off < c->resplen) {
			n = send(fd, c->resp + c->off, c->resplen - c->off,
			    MSG_NOSIGNAL);
			if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
				*events = POLLOUT;
				return 0;
			}
			if (n == -1)
				return -1;
			c->off += (size_t)n;
		}
		/* Connection: close. Half-close and read until the peer
		 * hangs up, so that unread input cannot turn our close into
		 * a reset that destroys the response. */
		if (shutdown(fd, SHUT_WR) == -1)
			return -1;
		c->phase = PH_DRAIN;
	}
	for (;;) {
		n = read(fd, c->req, sizeof(c->req));
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			*events = POLLIN;
			return 0;
		}
		if (n <= 0)
			return -1;
		c->drained += (size_t)n;
		if (c->drained > HTTP_DRAIN_MAX)
			return -1;	/* a peer that keeps sending */
	}
}

struct acme_responder *
acme_http01_start(const char *addr, unsigned port,
    const struct acme_chall_item *items, size_t n, struct acme_err *err)
{
	struct http_srv		 srv;
	struct acme_solver_ops	 ops;
	size_t			 i;

	if (items == NULL || n == 0 || n > ACME_AUTHZ_MAX) {
		acme_err_set(err, ACME_EUSAGE, "http-01 responder: "
		    "%zu challenges", n);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (!token_is_valid(items[i].token) ||
		    !keyauth_is_valid(items[i].keyauth)) {
			acme_err_set(err, ACME_EUSAGE, "http-01 responder: "
			    "challenge %zu: bad token or key authorization", i);
			return NULL;
		}
	/* the child keeps its copy of srv and items: it never returns */
	srv.items = items;
	srv.n = n;
	ops.open = http_open;
	ops.step = http_step;
	ops.close = http_close;
	ops.arg = &srv;
	return acme_solver_start("http-01 responder", addr, port, &ops, err);
}

/* ---- webroot */

static int
write_full(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Opens dfd/name as a directory, creating it 0755 (whatever the umask)
 * when missing. Symlinks are not followed: the webroot may be writable
 * by the web server's user. */
static int
open_subdir(int dfd, const char *name)
{
	int	 fd, created;

	created = mkdirat(dfd, name, 0755) == 0;
	if (!created && errno != EEXIST)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd != -1 && created && fchmod(fd, 0755) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
acme_http01_webroot_put(const char *dir, const char *token,
    const char *keyauth, struct acme_err *err)
{
	char	 tmp[ACME_TOKEN_MAX + 8];
	int	 dfd = -1, wk = -1, ch = -1, fd = -1, rc = -1, cl;

	if (dir == NULL || !token_is_valid(token) ||
	    !keyauth_is_valid(keyauth))
		return acme_err_set(err, ACME_EUSAGE, "webroot: bad directory, "
		    "token or key authorization");
	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", token);	/* fits */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		acme_err_sys(err, "webroot: %s", dir);
		goto out;
	}
	if ((wk = open_subdir(dfd, WELL_KNOWN)) == -1 ||
	    (ch = open_subdir(wk, CHALL_DIR)) == -1) {
		acme_err_sys(err, "webroot: %s/" WELL_KNOWN "/" CHALL_DIR,
		    dir);
		goto out;
	}
	(void)unlinkat(ch, tmp, 0);		/* debris from a crash */
	fd = openat(ch, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1 || fchmod(fd, 0644) == -1 ||
	    write_full(fd, keyauth, strlen(keyauth)) == -1) {
		acme_err_sys(err, "webroot: %s/" WELL_KNOWN "/" CHALL_DIR
		    "/%s: write", dir, tmp);
		goto out;
	}
	cl = close(fd);
	fd = -1;
	/* atomic: the web server sees the whole file or none */
	if (cl == -1 || renameat(ch, tmp, ch, token) == -1) {
		acme_err_sys(err, "webroot: %s/" WELL_KNOWN "/" CHALL_DIR
		    "/%s", dir, token);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		(void)close(fd);
	if (rc == -1 && ch != -1)
		(void)unlinkat(ch, tmp, 0);
	if (ch != -1)
		(void)close(ch);
	if (wk != -1)
		(void)close(wk);
	if (dfd != -1)
		(void)close(dfd);
	return rc;
}

void
acme_http01_webroot_remove(const char *dir, const char *token)
{
	int	 dfd = -1, wk = -1, ch = -1;

	if (dir == NULL || !token_is_valid(token))
		return;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	wk = openat(dfd, WELL_KNOWN, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (wk != -1)
		ch = openat(wk, CHALL_DIR, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	if (ch != -1) {
		(void)unlinkat(ch, token, 0);
		(void)close(ch);
		/* only when empty: other challenges may be in flight */
		(void)unlinkat(wk, CHALL_DIR, AT_REMOVEDIR);
	}
	if (wk != -1) {
		(void)close(wk);
		(void)unlinkat(dfd, WELL_KNOWN, AT_REMOVEDIR);
	}
	(void)close(dfd);
}
