/*
 * http.c - the default struct acme_transport: HTTP/1.1 over OpenSSL with
 * one kept-alive connection. Talks to the (untrusted) ACME server and an
 * optional CONNECT proxy: https only unless a test allows http, no
 * redirects, a deadline per request, and an incremental parser that
 * bounds every line, the header count and the body.
 */
#include "acme_int.h"
#include "http.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define READ_CHUNK	16384
#define REQ_HEAD_MAX	(ACME_URL_MAX + 1024)

/* ---- URLs */

static bool
host_char(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int
http_url_parse(const char *url, bool allow_http, struct http_url *u,
    struct acme_err *err)
{
	const char	*p, *h, *e, *path;
	size_t		 hlen, i;
	unsigned long	 port;
	char		*end;

	memset(u, 0, sizeof(*u));
	for (p = url; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return acme_err_set(err, ACME_EUSAGE,
			    "URL with a space or control character");
	if (p - url > ACME_URL_MAX)
		return acme_err_set(err, ACME_EUSAGE, "URL too long");
	if (strncasecmp(url, "https://", 8) == 0) {
		u->tls = true;
		h = url + 8;
	} else if (allow_http && strncasecmp(url, "http://", 7) == 0)
		h = url + 7;
	else
		return acme_err_set(err, ACME_EUSAGE, "scheme not allowed "
		    "(%s only)", allow_http ? "http(s)" : "https");
	path = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(path - h)) != NULL)
		return acme_err_set(err, ACME_EUSAGE,
		    "URL with user information");
	if (*h == '[') {
		if ((e = memchr(h, ']', (size_t)(path - h))) == NULL)
			return acme_err_set(err, ACME_EUSAGE,
			    "URL with an unterminated IPv6 address");
		h++;
		hlen = (size_t)(e - h);
		u->ipv6 = true;
		e++;
	} else {
		e = memchr(h, ':', (size_t)(path - h));
		if (e == NULL)
			e = path;
		hlen = (size_t)(e - h);
	}
	if (hlen == 0 || hlen > HTTP_HOST_MAX)
		return acme_err_set(err, ACME_EUSAGE, "URL with %s host",
		    hlen == 0 ? "an empty" : "an overlong");
	for (i = 0; i < hlen; i++)
		if (!(u->ipv6 ? isxdigit((unsigned char)h[i]) ||
		    h[i] == ':' || h[i] == '.' :
		    host_char((unsigned char)h[i])))
			return acme_err_set(err, ACME_EUSAGE,
			    "URL host with a character not allowed");
	memcpy(u->host, h, hlen);
	u->host[hlen] = '\0';
	if (u->ipv6) {
		struct in6_addr	 a6;

		if (inet_pton(AF_INET6, u->host, &a6) != 1)
			return acme_err_set(err, ACME_EUSAGE,
			    "URL with a bad IPv6 address");
	}
	if (e < path && *e != ':')
		return acme_err_set(err, ACME_EUSAGE, "URL with junk after "
		    "the host");
	if (e < path) {
		e++;
		if (e == path || path - e > 5 || !isdigit((unsigned char)*e))
			return acme_err_set(err, ACME_EUSAGE,
			    "URL with a bad port");
		errno = 0;
		port = strtoul(e, &end, 10);
		if (end != path || port == 0 || port > 65535)
			return acme_err_set(err, ACME_EUSAGE,
			    "URL with a bad port");
		(void)snprintf(u->port, sizeof(u->port), "%lu", port);
		u->default_port = port == (u->tls ? 443UL : 80UL);
	} else {
		(void)snprintf(u->port, sizeof(u->port), "%s",
		    u->tls ? "443" : "80");
		u->default_port = true;
	}
	u->path = path;
	u->pathlen = strcspn(path, "#");
	return 0;
}

/* ---- the response parser */

void
http_parser_init(struct http_parser *p, struct acme_http_resp *resp,
    size_t body_max, bool head)
{
	memset(p, 0, sizeof(*p));
	p->resp = resp;
	p->body_max = body_max;
	p->head = head;
	p->state = HP_STATUS;
}

bool
http_parser_started(const struct http_parser *p)
{
	return p->state != HP_STATUS || p->resp->status != 0;
}

static int
too_large(struct http_parser *p, struct acme_err *err)
{
	return acme_err_set(err, ACME_EPROTO, "reply larger than %zu bytes",
	    p->body_max);
}

static int
body_add(struct http_parser *p, const char *buf, size_t n,
    struct acme_err *err)
{
	struct acme_http_resp	*r = p->resp;
	unsigned char		*nb;
	size_t			 ncap;

	if (n == 0)
		return 0;
	if (n > p->body_max - r->len)		/* len <= body_max */
		return too_large(p, err);
	if (r->len + n + 1 > p->cap) {
		ncap = p->cap < 4096 ? 4096 : p->cap;
		while (ncap < r->len + n + 1)
			ncap *= 2;
		if (ncap > p->body_max + 1)
			ncap = p->body_max + 1;
		if ((nb = realloc(r->body, ncap)) == NULL)
			return acme_err_set(err, ACME_ENOMEM, "reply body");
		r->body = nb;
		p->cap = ncap;
	}
	memcpy(r->body + r->len, buf, n);
	r->len += n;
	r->body[r->len] = '\0';
	return 0;
}

/* Drops what earlier headers set (an interim 1xx response). */
static void
headers_clear(struct acme_http_resp *r)
{
	size_t	 i;

	free(r->content_type);
	free(r->location);
	free(r->replay_nonce);
	free(r->retry_after);
	for (i = 0; i < r->nlinks; i++)
		free(r->links[i]);
	free(r->links);
	r->content_type = r->location = r->replay_nonce = r->retry_after =
	    NULL;
	r->links = NULL;
	r->nlinks = 0;
}

static int
status_line(struct http_parser *p, const char *l, size_t len,
    struct acme_err *err)
{
	/* "HTTP/1.x SSS" then SP reason or nothing */
	if (len < 12 || strncmp(l, "HTTP/1.", 7) != 0 ||
	    (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
	    !isdigit((unsigned char)l[9]) || !isdigit((unsigned char)l[10]) ||
	    !isdigit((unsigned char)l[11]) || (len > 12 && l[12] != ' ') ||
	    l[9] < '1' || l[9] > '5')
		return acme_err_set(err, ACME_EPROTO, "not an HTTP/1.x "
		    "status line");
	p->resp->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 +
	    (l[11] - '0');
	p->keep_alive = l[7] == '1';
	p->state = HP_HEADER;
	return 0;
}

static int
set_value(char **slot, const char *v, size_t len, struct acme_err *err)
{
	char	*s;

	if ((s = strndup(v, len)) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "header");
	free(*slot);			/* the last one wins */
	*slot = s;
	return 0;
}

static bool
token_char(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) !=
	    NULL);
}

/* True when the comma-separated list v (len bytes) holds token t. */
static bool
list_has(const char *v, size_t len, const char *t)
{
	size_t	 i = 0, s, e, tl = strlen(t);

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, t, tl) == 0)
			return true;
	}
	return false;
}

static int
content_length(struct http_parser *p, const char *v, size_t len,
    struct acme_err *err)
{
	uint64_t	 n = 0;
	size_t		 i;

	if (len == 0 || len > 19)
		return acme_err_set(err, ACME_EPROTO, "bad Content-Length");
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return acme_err_set(err, ACME_EPROTO,
			    "bad Content-Length");
		n = n * 10 + (uint64_t)(v[i] - '0');	/* 19 digits fit */
	}
	if (p->have_length && n != p->content_length)
		return acme_err_set(err, ACME_EPROTO,
		    "conflicting Content-Length headers");
	p->have_length = true;
	p->content_length = n;
	return 0;
}

static int
header_line(struct http_parser *p, const char *l, size_t len,
    struct acme_err *err)
{
	struct acme_http_resp	*r = p->resp;
	const char		*colon, *v;
	char			**links, *semi;
	size_t			 nlen, vlen, i;

	if (*l == ' ' || *l == '\t')
		return acme_err_set(err, ACME_EPROTO, "folded header line");
	if ((colon = memchr(l, ':', len)) == NULL || colon == l)
		return acme_err_set(err, ACME_EPROTO, "header line without "
		    "a name");
	nlen = (size_t)(colon - l);
	for (i = 0; i < nlen; i++)
		if (!token_char((unsigned char)l[i]))
			return acme_err_set(err, ACME_EPROTO,
			    "bad header name");
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (p->state == HP_TRAILER)
		return 0;			/* trailers are not used */
#define IS(name) (nlen == sizeof(name) - 1 && strncasecmp(l, name, nlen) == 0)
	if (IS("content-length"))
		return content_length(p, v, vlen, err);
	if (IS("transfer-encoding")) {
		if (vlen != 7 || strncasecmp(v, "chunked", 7) != 0)
			return acme_err_set(err, ACME_EPROTO, "transfer "
			    "coding not supported");
		p->chunked = true;
		return 0;
	}
	if (IS("connection")) {
		if (list_has(v, vlen, "close"))
			p->keep_alive = false;
		return 0;
	}
	if (IS("content-type")) {
		if (set_value(&r->content_type, v, vlen, err) == -1)
			return -1;
		if ((semi = strchr(r->content_type, ';')) != NULL) {
			*semi = '\0';
			while (semi > r->content_type &&
			    (semi[-1] == ' ' || semi[-1] == '\t'))
				*--semi = '\0';
		}
		return 0;
	}
	if (IS("location"))
		return set_value(&r->location, v, vlen, err);
	if (IS("replay-nonce"))
		return set_value(&r->replay_nonce, v, vlen, err);
	if (IS("retry-after"))
		return set_value(&r->retry_after, v, vlen, err);
	if (IS("link")) {
		if (r->nlinks >= HTTP_LINKS_MAX)
			return 0;		/* ignored beyond the bound */
		links = reallocarray(r->links, r->nlinks + 1, sizeof(*links));
		if (links == NULL)
			return acme_err_set(err, ACME_ENOMEM, "header");
		r->links = links;
		if ((links[r->nlinks] = strndup(v, vlen)) == NULL)
			return acme_err_set(err, ACME_ENOMEM, "header");
		r->nlinks++;
	}
#undef IS
	return 0;
}

/* The empty line after the headers: decides how the body is delimited. */
static int
headers_done(struct http_parser *p, struct acme_err *err)
{
	long	 st = p->resp->status;

	if (st == 101)
		return acme_err_set(err, ACME_EPROTO, "unexpected 101 "
		    "Switching Protocols");
	if (st < 200) {				/* interim: the real one follows */
		if (++p->ninterim > HTTP_INTERIM_MAX)
			return acme_err_set(err, ACME_EPROTO, "more than %d "
			    "interim (1xx) responses", HTTP_INTERIM_MAX);
		headers_clear(p->resp);
		p->resp->status = 0;
		p->chunked = p->have_length = false;
		p->content_length = 0;
		p->state = HP_STATUS;
		return 0;
	}
	if (p->head || st == 204 || st == 304) {
		p->state = HP_DONE;
		return 0;
	}
	if (p->chunked) {
		if (p->have_length)		/* RFC 9112 §6.3: chunked wins */
			p->keep_alive = false;
		p->state = HP_CHUNK_SIZE;
	} else if (p->have_length) {
		if (p->content_length > p->body_max)
			return too_large(p, err);
		p->remain = p->content_length;
		p->state = p->remain == 0 ? HP_DONE : HP_BODY_LEN;
	} else {
		p->keep_alive = false;
		p->state = HP_BODY_EOF;
	}
	return 0;
}

static int
chunk_size(struct http_parser *p, const char *l, size_t len,
    struct acme_err *err)
{
	uint64_t	 n = 0;
	size_t		 i;
	int		 d;

	for (i = 0; i < len && isxdigit((unsigned char)l[i]); i++) {
		if (i == 16)
			return acme_err_set(err, ACME_EPROTO,
			    "bad chunk size");
		d = isdigit((unsigned char)l[i]) ? l[i] - '0' :
		    tolower((unsigned char)l[i]) - 'a' + 10;
		n = n << 4 | (uint64_t)d;
	}
	while (i < len && (l[i] == ' ' || l[i] == '\t'))
		i++;
	if (i == 0 || (i < len && l[i] != ';'))
		return acme_err_set(err, ACME_EPROTO, "bad chunk size");
	if (n == 0) {
		p->state = HP_TRAILER;
		return 0;
	}
	if (n > p->body_max - p->resp->len)
		return too_large(p, err);
	p->remain = n;
	p->state = HP_CHUNK_DATA;
	return 0;
}

static int
line_done(struct http_parser *p, struct acme_err *err)
{
	char	*l = p->line;
	size_t	 len = p->linelen;

	p->linelen = 0;
	if (len > 0 && l[len - 1] == '\r')
		len--;
	if (memchr(l, '\r', len) != NULL || memchr(l, '\0', len) != NULL)
		return acme_err_set(err, ACME_EPROTO, "CR or NUL inside a "
		    "header line");
	l[len] = '\0';
	if ((p->state == HP_HEADER || p->state == HP_TRAILER) && len > 0 &&
	    ++p->nlines > HTTP_HEADERS_MAX)
		return acme_err_set(err, ACME_EPROTO, "more than %d header "
		    "lines", HTTP_HEADERS_MAX);
	switch (p->state) {
	case HP_STATUS:
		return status_line(p, l, len, err);
	case HP_HEADER:
		return len == 0 ? headers_done(p, err) :
		    header_line(p, l, len, err);
	case HP_CHUNK_SIZE:
		return chunk_size(p, l, len, err);
	case HP_CHUNK_END:
		if (len != 0)
			return acme_err_set(err, ACME_EPROTO,
			    "chunk not followed by CRLF");
		p->state = HP_CHUNK_SIZE;
		return 0;
	case HP_TRAILER:
		if (len == 0)
			p->state = HP_DONE;
		else if (header_line(p, l, len, err) == -1)
			return -1;
		return 0;
	default:
		return acme_err_set(err, ACME_EPROTO, "parser state");
	}
}

int
http_parser_feed(struct http_parser *p, const void *vbuf, size_t len,
    size_t *used, struct acme_err *err)
{
	const char	*buf = vbuf, *nl;
	size_t		 off = 0, n;

	*used = 0;
	while (off < len && p->state != HP_DONE) {
		switch (p->state) {
		case HP_BODY_LEN:
		case HP_CHUNK_DATA:
			n = len - off;
			if (n > p->remain)
				n = (size_t)p->remain;
			if (body_add(p, buf + off, n, err) == -1)
				return -1;
			off += n;
			p->remain -= n;
			if (p->remain == 0)
				p->state = p->state == HP_BODY_LEN ? HP_DONE :
				    HP_CHUNK_END;
			break;
		case HP_BODY_EOF:
			if (body_add(p, buf + off, len - off, err) == -1)
				return -1;
			off = len;
			break;
		default:
			nl = memchr(buf + off, '\n', len - off);
			n = nl != NULL ? (size_t)(nl - (buf + off)) :
			    len - off;
			if (n > HTTP_LINE_MAX - p->linelen)
				return acme_err_set(err, ACME_EPROTO,
				    "header line longer than %d bytes",
				    HTTP_LINE_MAX);
			memcpy(p->line + p->linelen, buf + off, n);
			p->linelen += n;
			off += n;
			if (nl == NULL)
				break;
			off++;
			if (line_done(p, err) == -1)
				return -1;
			break;
		}
	}
	*used = off;
	return p->state == HP_DONE ? 1 : 0;
}

int
http_parser_eof(struct http_parser *p, struct acme_err *err)
{
	if (p->state == HP_BODY_EOF) {
		p->state = HP_DONE;
		return 1;
	}
	if (p->state == HP_DONE)
		return 1;
	return acme_err_set(err, ACME_EPROTO, "connection closed %s",
	    p->state == HP_STATUS && p->linelen == 0 ? "without a reply" :
	    "in the middle of the reply");
}

/* ---- proxies */

void
http_proxy_clear(struct http_proxy *px)
{
	if (px == NULL)
		return;
	if (px->auth != NULL)
		OPENSSL_clear_free(px->auth, strlen(px->auth));
	memset(px, 0, sizeof(*px));
}

static const char *
env2(const char *a, const char *b)
{
	const char	*v;

	if ((v = getenv(a)) != NULL && *v != '\0')
		return v;
	if ((v = getenv(b)) != NULL && *v != '\0')
		return v;
	return NULL;
}

/* no_proxy: "*", or names that match themselves and their subdomains. */
static bool
no_proxy_match(const char *list, const char *host)
{
	const char	*s = list, *e;
	size_t		 hl = strlen(host), n;

	while (*s != '\0') {
		while (*s == ',' || *s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, ", \t");
		n = (size_t)(e - s);
		if (n > 0 && *s == '.') {
			s++;
			n--;
		}
		if (n == 1 && *s == '*')
			return true;
		if (n > 0 && n == hl && strncasecmp(host, s, n) == 0)
			return true;
		if (n > 0 && hl > n && host[hl - n - 1] == '.' &&
		    strncasecmp(host + hl - n, s, n) == 0)
			return true;
		s = e;
	}
	return false;
}

static int
hexval(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes src[0..len) into dst (NUL-terminated); -1 when bad. */
static int
pct_decode(const char *src, size_t len, char *dst, size_t dstlen)
{
	size_t	 i, o = 0;
	int	 h, l;

	for (i = 0; i < len; i++) {
		if (o + 1 >= dstlen)
			return -1;
		if (src[i] != '%') {
			dst[o++] = src[i];
			continue;
		}
		if (i + 2 >= len || (h = hexval((unsigned char)src[i + 1]))
		    < 0 || (l = hexval((unsigned char)src[i + 2])) < 0 ||
		    (h == 0 && l == 0))
			return -1;
		dst[o++] = (char)(h << 4 | l);
		i += 2;
	}
	dst[o] = '\0';
	return 0;
}

static int
proxy_auth(struct http_proxy *px, const char *ui, size_t len,
    struct acme_err *err)
{
	char		 plain[512];
	unsigned char	 b64[700];
	const char	*colon;
	size_t		 ulen, n;
	int		 rc = -1;

	colon = memchr(ui, ':', len);
	ulen = colon != NULL ? (size_t)(colon - ui) : len;
	if (pct_decode(ui, ulen, plain, sizeof(plain) - 1) == -1)
		goto bad;
	n = strlen(plain);
	plain[n++] = ':';
	if (colon != NULL && pct_decode(colon + 1, len - ulen - 1, plain + n,
	    sizeof(plain) - n) == -1)
		goto bad;
	if (colon == NULL)
		plain[n] = '\0';
	n = strlen(plain);
	if (EVP_EncodeBlock(b64, (unsigned char *)plain, (int)n) < 0)
		goto bad;
	if ((px->auth = malloc(strlen((char *)b64) + 7)) == NULL) {
		rc = acme_err_set(err, ACME_ENOMEM, "proxy");
		goto out;
	}
	(void)snprintf(px->auth, strlen((char *)b64) + 7, "Basic %s", b64);
	rc = 0;
	goto out;
bad:
	rc = acme_err_set(err, ACME_EUSAGE, "https_proxy: bad user "
	    "information");
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(b64, sizeof(b64));
	return rc;
}

int
http_proxy_from_env(const char *host, struct http_proxy *px,
    struct acme_err *err)
{
	const char	*v, *np, *at, *end;
	char		 buf[ACME_URL_MAX + 16];
	struct http_url	 u;
	bool		 explicit;
	int		 n;

	memset(px, 0, sizeof(*px));
	if ((v = env2("https_proxy", "HTTPS_PROXY")) == NULL)
		return 0;
	if ((np = env2("no_proxy", "NO_PROXY")) != NULL &&
	    no_proxy_match(np, host))
		return 0;
	if (strstr(v, "://") != NULL && strncasecmp(v, "http://", 7) != 0)
		return acme_err_set(err, ACME_EUSAGE, "https_proxy: only "
		    "http:// proxies are supported");
	if (strncasecmp(v, "http://", 7) == 0)
		v += 7;
	/* the user information, then host[:port] parsed as a URL */
	end = v + strcspn(v, "/?#");
	if ((at = memchr(v, '@', (size_t)(end - v))) != NULL) {
		if (proxy_auth(px, v, (size_t)(at - v), err) == -1)
			return -1;
		v = at + 1;
	}
	n = snprintf(buf, sizeof(buf), "http://%.*s", (int)(end - v), v);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    http_url_parse(buf, true, &u, err) == -1) {
		http_proxy_clear(px);
		return acme_err_set(err, ACME_EUSAGE, "https_proxy: bad "
		    "proxy address");
	}
	/* curl's default proxy port, unless one is given */
	explicit = u.ipv6 ? strstr(buf, "]:") != NULL :
	    strchr(buf + 7, ':') != NULL;
	(void)snprintf(px->host, sizeof(px->host), "%s", u.host);
	(void)snprintf(px->port, sizeof(px->port), "%s",
	    explicit ? u.port : "1080");
	return 1;
}

/* ---- connections */

struct conn {
	int		 fd;
	SSL		*ssl;
	bool		 tls;
	bool		 unclean_eof;	/* TCP closed without close_notify */
	char		 host[HTTP_HOST_MAX + 1];
	char		 port[6];
};

struct http_tr {
	SSL_CTX		*ctx;
	char		*user_agent;
	size_t		 body_max;
	long		 connect_timeout;
	long		 timeout;
	bool		 allow_http;
	struct conn	 c;
};

static void
conn_close(struct conn *c)
{
	/* no close_notify: the peer may be gone, and a write would raise
	 * SIGPIPE; HTTP has already delimited every response */
	SSL_free(c->ssl);
	if (c->fd != -1)
		(void)close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Waits for events on fd until the deadline. */
static int
wait_fd(int fd, short events, int64_t deadline, const char *what,
    struct acme_err *err)
{
	struct pollfd	 pfd;
	int64_t	 left;
	int		 n;

	for (;;) {
		if ((left = deadline - acme_now_ms()) <= 0)
			return acme_err_set(err, ACME_ENET, "%s: timed out",
			    what);
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return acme_err_sys(err, "%s: poll", what);
	}
}

/* what: "" or "proxy ", for the messages */
static int
tcp_connect(const char *what, const char *host, const char *port,
    int64_t deadline, struct acme_err *err)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	socklen_t	 sl;
	int64_t	 left, adl;
	int		 fd = -1, e = 0, gai, one = 1, naddr = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* XXX getaddrinfo is bounded only by the resolver's own timeouts
	 * (resolv.conf: timeout x attempts per server), not by our
	 * deadline, which starts after it; a daemon needs an async one */
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		acme_err_set(err, ACME_ENET, "cannot resolve %s%s: %s", what,
		    host, gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		naddr++;
	for (ai = res; ai != NULL; ai = ai->ai_next, naddr--) {
		/* an address that does not answer gets its share of the time
		 * left (at least 2 s), so the others are still tried */
		if ((left = deadline - acme_now_ms()) <= 0)
			break;
		adl = left / naddr < 2000 ? 2000 : left / naddr;
		adl = acme_now_ms() + (adl < left ? adl : left);
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno != EINPROGRESS)
			e = errno;
		else if (wait_fd(fd, POLLOUT, adl, "connect", err) == -1)
			e = ETIMEDOUT;
		else {
			sl = sizeof(e);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
				e = errno;
			else if (e == 0)
				break;
		}
		(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		if (e == 0)
			e = ETIMEDOUT;
		acme_err_set(err, ACME_ENET, "connect to %s%s port %s: %s",
		    what, host, port, strerror(e));
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Waits for what SSL_get_error() says the last call r needs; -1 when it
 * failed for good. */
static int
tls_wait(struct conn *c, int r, int64_t deadline, const char *what,
    struct acme_err *err)
{
	unsigned long	 e;
	long		 vr;

	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(c->fd, POLLIN, deadline, what, err);
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(c->fd, POLLOUT, deadline, what, err);
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0)
			return acme_err_set(err, ACME_ENET, "%s: %s", what,
			    errno != 0 ? strerror(errno) :
			    "connection closed");
		break;
	default:
		break;
	}
	if ((vr = SSL_get_verify_result(c->ssl)) != X509_V_OK) {
		ERR_clear_error();
		return acme_err_set(err, ACME_ENET, "%s: certificate "
		    "verification failed: %s", what,
		    X509_verify_cert_error_string(vr));
	}
	e = ERR_peek_last_error();
	ERR_clear_error();
	return acme_err_set(err, ACME_ENET, "%s: %s", what, e != 0 ?
	    ERR_reason_error_string(e) != NULL ? ERR_reason_error_string(e) :
	    "TLS error" : "TLS error");
}

static int
tls_start(struct http_tr *t, struct conn *c, int64_t deadline,
    struct acme_err *err)
{
	X509_VERIFY_PARAM	*vp;
	unsigned char		 ip[16];
	bool			 is_ip;
	int			 r;

	ERR_clear_error();
	if ((c->ssl = SSL_new(t->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1)
		return acme_err_crypto(err, "TLS");
	is_ip = inet_pton(AF_INET, c->host, ip) == 1 ||
	    inet_pton(AF_INET6, c->host, ip) == 1;
	vp = SSL_get0_param(c->ssl);
	X509_VERIFY_PARAM_set_hostflags(vp,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, c->host) != 1 :
	    (SSL_set_tlsext_host_name(c->ssl, c->host) != 1 ||
	    X509_VERIFY_PARAM_set1_host(vp, c->host, 0) != 1))
		return acme_err_crypto(err, "TLS name %s", c->host);
	while ((r = SSL_connect(c->ssl)) != 1)
		if (tls_wait(c, r, deadline, "TLS handshake", err) == -1)
			return -1;
	return 0;
}

static int
conn_write(struct conn *c, const char *buf, size_t len, int64_t deadline,
    struct acme_err *err)
{
	ssize_t	 n;
	size_t	 w;
	int	 r;

	while (len > 0) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			if ((r = SSL_write_ex(c->ssl, buf, len, &w)) != 1) {
				if (tls_wait(c, r, deadline, "send", err) == -1)
					return -1;
				continue;
			}
			n = (ssize_t)w;
		} else if ((n = send(c->fd, buf, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return acme_err_set(err, ACME_ENET, "send: %s",
				    strerror(errno));
			if (wait_fd(c->fd, POLLOUT, deadline, "send", err) == -1)
				return -1;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads what is there (waiting until the deadline): >0 bytes, 0 at the
 * end of the stream, -1 on error. */
static ssize_t
conn_read(struct conn *c, char *buf, size_t cap, int64_t deadline,
    struct acme_err *err)
{
	ssize_t	 n;
	size_t	 got;
	int	 r;

	for (;;) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			errno = 0;
			if ((r = SSL_read_ex(c->ssl, buf, cap, &got)) == 1)
				return (ssize_t)got;
			if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (SSL_get_error(c->ssl, r) == SSL_ERROR_SSL &&
			    ERR_GET_REASON(ERR_peek_last_error()) ==
			    SSL_R_UNEXPECTED_EOF_WHILE_READING) {
				ERR_clear_error();
				c->unclean_eof = true;
				return 0;
			}
			if (tls_wait(c, r, deadline, "receive", err) == -1)
				return -1;
			continue;
		}
		if ((n = recv(c->fd, buf, cap, 0)) >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return acme_err_set(err, ACME_ENET, "receive: %s",
			    strerror(errno));
		if (wait_fd(c->fd, POLLIN, deadline, "receive", err) == -1)
			return -1;
	}
}

/* A kept connection is reusable when the peer has neither closed it nor
 * sent anything unasked. */
static bool
conn_alive(const struct conn *c)
{
	struct pollfd	 pfd;

	if (c->fd == -1)
		return false;
	if (c->ssl != NULL && SSL_pending(c->ssl) > 0)
		return false;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 0;
}

/* Reads one response on c into resp through a fresh parser. */
static int
read_response(struct conn *c, struct http_parser *p, int64_t deadline,
    bool *got_any, struct acme_err *err)
{
	char	*buf;
	size_t	 used;
	ssize_t	 n;
	int	 r = 0;

	if ((buf = malloc(READ_CHUNK)) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "receive buffer");
	while (r == 0) {
		if ((n = conn_read(c, buf, READ_CHUNK, deadline, err)) == -1) {
			r = -1;
			break;
		}
		if (n == 0) {
			if (!*got_any)
				r = acme_err_set(err, ACME_ENET, "connection "
				    "closed without a reply");
			else if (c->unclean_eof && p->state == HP_BODY_EOF)
				/* a reply delimited by the close must end in
				 * close_notify, or it may have been cut */
				r = acme_err_set(err, ACME_EPROTO, "reply cut "
				    "short (no TLS close_notify)");
			else
				r = http_parser_eof(p, err);
			break;
		}
		*got_any = true;
		if ((r = http_parser_feed(p, buf, (size_t)n, &used, err)) == 1
		    && used < (size_t)n)
			p->keep_alive = false;	/* bytes nobody asked for */
	}
	free(buf);
	return r == 1 ? 0 : -1;
}

/* CONNECT host:port through the proxy on c. */
static int
proxy_connect(struct conn *c, const struct http_proxy *px,
    const struct http_url *u, int64_t deadline, struct acme_err *err)
{
	struct acme_http_resp	 resp;
	struct http_parser	 p;
	char			 req[HTTP_HOST_MAX * 2 + 700];
	const char		*lb = u->ipv6 ? "[" : "", *rb = u->ipv6 ? "]" : "";
	int			 n, rc;

	n = snprintf(req, sizeof(req), "CONNECT %s%s%s:%s HTTP/1.1\r\n"
	    "Host: %s%s%s:%s\r\n%s%s%s\r\n", lb, u->host, rb, u->port, lb,
	    u->host, rb, u->port, px->auth != NULL ? "Proxy-Authorization: " :
	    "", px->auth != NULL ? px->auth : "", px->auth != NULL ? "\r\n" :
	    "");
	if (n < 0 || (size_t)n >= sizeof(req))
		return acme_err_set(err, ACME_EUSAGE, "proxy request");
	rc = conn_write(c, req, (size_t)n, deadline, err);
	OPENSSL_cleanse(req, sizeof(req));
	if (rc == -1)
		return -1;
	memset(&resp, 0, sizeof(resp));
	/* Read byte by byte: what follows the proxy's answer is TLS and must
	 * stay in the socket. The answer is a few hundred bytes. */
	http_parser_init(&p, &resp, 0, true);
	for (;;) {
		char	 ch;
		size_t	 used;
		ssize_t	 r;

		if ((r = conn_read(c, &ch, 1, deadline, err)) == -1)
			goto fail;
		if (r == 0) {
			(void)http_parser_eof(&p, err);
			goto fail;
		}
		if ((rc = http_parser_feed(&p, &ch, 1, &used, err)) == -1)
			goto fail;
		if (rc == 1)
			break;
	}
	if (resp.status < 200 || resp.status > 299) {
		acme_err_set(err, ACME_ENET, "proxy %s port %s refused "
		    "CONNECT: HTTP %ld", px->host, px->port, resp.status);
		acme_http_resp_clear(&resp);
		return -1;
	}
	acme_http_resp_clear(&resp);
	return 0;
fail:
	acme_http_resp_clear(&resp);
	return -1;
}

static int
conn_open(struct http_tr *t, const struct http_url *u, int64_t deadline,
    struct acme_err *err)
{
	struct http_proxy	 px;
	struct conn		*c = &t->c;
	int64_t		 cdl;
	int			 np = 0;

	cdl = acme_now_ms() + t->connect_timeout * 1000;
	if (cdl > deadline)
		cdl = deadline;
	conn_close(c);
	if (u->tls && (np = http_proxy_from_env(u->host, &px, err)) == -1)
		return -1;
	c->fd = tcp_connect(np ? "proxy " : "", np ? px.host : u->host,
	    np ? px.port : u->port, cdl, err);
	if (c->fd == -1)
		goto fail;
	if (np && proxy_connect(c, &px, u, cdl, err) == -1)
		goto fail;
	(void)snprintf(c->host, sizeof(c->host), "%s", u->host);
	(void)snprintf(c->port, sizeof(c->port), "%s", u->port);
	c->tls = u->tls;
	if (u->tls && tls_start(t, c, cdl, err) == -1)
		goto fail;
	if (np)
		http_proxy_clear(&px);
	return 0;
fail:
	if (np)
		http_proxy_clear(&px);
	conn_close(c);
	return -1;
}

static char *
build_request(const struct http_tr *t, const struct acme_http_req *req,
    const struct http_url *u, size_t *lenp, struct acme_err *err)
{
	char		 host[HTTP_HOST_MAX + 16], *buf;
	size_t		 cap;
	int		 n;
	bool		 post = strcmp(req->method, "POST") == 0;

	(void)snprintf(host, sizeof(host), "%s%s%s%s%s", u->ipv6 ? "[" : "",
	    u->host, u->ipv6 ? "]" : "", u->default_port ? "" : ":",
	    u->default_port ? "" : u->port);
	if (post && req->len > SIZE_MAX - REQ_HEAD_MAX)
		return acme_err_set(err, ACME_EUSAGE, "request body"), NULL;
	if (post && req->content_type != NULL &&
	    strpbrk(req->content_type, "\r\n") != NULL)
		return acme_err_set(err, ACME_EUSAGE, "content type"), NULL;
	cap = REQ_HEAD_MAX + (post ? req->len : 0);
	if ((buf = malloc(cap)) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "request"), NULL;
	if (post)
		n = snprintf(buf, REQ_HEAD_MAX, "POST %s%.*s HTTP/1.1\r\n"
		    "Host: %s\r\nUser-Agent: %s\r\nContent-Type: %s\r\n"
		    "Content-Length: %zu\r\n\r\n", *u->path == '/' ? "" : "/",
		    (int)u->pathlen, u->path, host, t->user_agent,
		    req->content_type != NULL ? req->content_type :
		    "application/jose+json", req->len);
	else
		n = snprintf(buf, REQ_HEAD_MAX, "%s %s%.*s HTTP/1.1\r\n"
		    "Host: %s\r\nUser-Agent: %s\r\n\r\n", req->method,
		    *u->path == '/' ? "" : "/", (int)u->pathlen, u->path,
		    host, t->user_agent);
	if (n < 0 || n >= REQ_HEAD_MAX) {
		free(buf);
		return acme_err_set(err, ACME_EUSAGE, "request head too "
		    "long"), NULL;
	}
	if (post && req->len > 0)
		memcpy(buf + n, req->body, req->len);
	*lenp = (size_t)n + (post ? req->len : 0);
	return buf;
}

/* One attempt. *retry is set when a reused connection turned out to be
 * closed before any byte of the answer came: the request may be sent
 * again on a new one. */
static int
attempt(struct http_tr *t, const struct acme_http_req *req,
    const struct http_url *u, struct acme_http_resp *resp, int64_t deadline,
    bool *retry, struct acme_err *err)
{
	struct http_parser	 p;
	struct conn		*c = &t->c;
	char			*out;
	size_t			 outlen;
	bool			 reused, any = false;
	int			 rc;

	*retry = false;
	if ((out = build_request(t, req, u, &outlen, err)) == NULL)
		return -1;
	reused = c->fd != -1 && c->tls == u->tls &&
	    strcmp(c->host, u->host) == 0 && strcmp(c->port, u->port) == 0 &&
	    conn_alive(c);
	if (!reused && conn_open(t, u, deadline, err) == -1) {
		free(out);
		return -1;
	}
	rc = conn_write(c, out, outlen, deadline, err);
	free(out);
	if (rc == 0) {
		http_parser_init(&p, resp, t->body_max,
		    strcmp(req->method, "HEAD") == 0);
		rc = read_response(c, &p, deadline, &any, err);
	}
	if (rc == -1) {
		/* the server closed a kept connection as the request went
		 * out (its idle timeout): nothing was answered, so nothing
		 * was done; anything else is final */
		*retry = reused && !any && acme_now_ms() < deadline;
		conn_close(c);
		return -1;
	}
	if (!p.keep_alive)
		conn_close(c);
	return 0;
}

static int
http_request(void *arg, const struct acme_http_req *req,
    struct acme_http_resp *resp, struct acme_err *err)
{
	struct http_tr	*t = arg;
	struct http_url	 u;
	int64_t	 deadline;
	bool		 retry = false;
	int		 rc;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD")
	    != 0 && strcmp(req->method, "POST") != 0)
		return acme_err_set(err, ACME_EUSAGE, "method %s", req->method);
	deadline = acme_now_ms() + t->timeout * 1000;
	if ((rc = http_url_parse(req->url, t->allow_http, &u, err)) == 0)
		rc = attempt(t, req, &u, resp, deadline, &retry, err);
	if (rc == -1 && retry) {
		acme_http_resp_clear(resp);
		rc = attempt(t, req, &u, resp, deadline, &retry, err);
	}
	if (rc == -1) {
		acme_http_resp_clear(resp);
		/* name the URL, as every other error of the client does */
		if (err != NULL) {
			char	 msg[ACME_ERR_MSG];

			(void)snprintf(msg, sizeof(msg), "%s", err->msg);
			acme_err_set(err, err->kind, "%s: %s", req->url, msg);
		}
	}
	return rc;
}

static void
http_free_tr(void *arg)
{
	struct http_tr	*t = arg;

	if (t == NULL)
		return;
	conn_close(&t->c);
	SSL_CTX_free(t->ctx);
	free(t->user_agent);
	free(t);
}

/* True when dir holds OpenSSL hash links ("5ad8a5d6.0"). */
static bool
hashed_dir(const char *dir)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 i;
	bool		 found = false;

	if ((d = opendir(dir)) == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		for (i = 0; i < 8 && isxdigit((unsigned char)de->d_name[i]);
		    i++)
			;
		found = i == 8 && de->d_name[8] == '.' &&
		    isdigit((unsigned char)de->d_name[9]);
	}
	(void)closedir(d);
	return found;
}

/*
 * The system trust store. OpenSSL's default paths load the whole CA
 * bundle file into memory (1.5 MiB of RSS for Debian's); the hashed
 * directory next to it (/etc/ssl/certs) is read lazily, one CA per
 * lookup. So: SSL_CERT_DIR, or the default directory when it is hashed,
 * unless SSL_CERT_FILE asks for a file; else OpenSSL's defaults.
 */
static int
system_trust(SSL_CTX *ctx)
{
	const char	*file, *dir;

	file = getenv(X509_get_default_cert_file_env());
	if (file == NULL || *file == '\0') {
		if ((dir = getenv(X509_get_default_cert_dir_env())) != NULL &&
		    *dir != '\0')
			return SSL_CTX_load_verify_dir(ctx, dir);
		if (hashed_dir(X509_get_default_cert_dir()))
			return SSL_CTX_load_verify_dir(ctx,
			    X509_get_default_cert_dir());
	}
	return SSL_CTX_set_default_verify_paths(ctx);
}

int
acme_transport_http(const struct acme_http_opts *o, struct acme_transport *tr,
    struct acme_err *err)
{
	struct http_tr	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "transport");
	t->c.fd = -1;
	t->body_max = o->body_max != 0 ? o->body_max : ACME_PEM_MAX;
	t->timeout = o->timeout > 0 ? o->timeout : 30;
	t->connect_timeout = o->connect_timeout > 0 ? o->connect_timeout : 10;
	t->allow_http = o->allow_http;
	if ((t->user_agent = strdup(o->user_agent != NULL ? o->user_agent :
	    "certd-acme")) == NULL) {
		free(t);
		return acme_err_set(err, ACME_ENOMEM, "transport");
	}
	if (strpbrk(t->user_agent, "\r\n") != NULL) {
		http_free_tr(t);
		return acme_err_set(err, ACME_EUSAGE, "user agent");
	}
	ERR_clear_error();
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
		http_free_tr(t);
		return acme_err_crypto(err, "TLS context");
	}
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	if (o->ca_bundle != NULL ?
	    SSL_CTX_load_verify_locations(t->ctx, o->ca_bundle, NULL) != 1 :
	    system_trust(t->ctx) != 1) {
		http_free_tr(t);
		return acme_err_crypto(err, "trust store %s", o->ca_bundle !=
		    NULL ? o->ca_bundle : "(system)");
	}
	tr->request = http_request;
	tr->free = http_free_tr;
	tr->arg = t;
	return 0;
}

void
acme_http_resp_clear(struct acme_http_resp *r)
{
	if (r == NULL)
		return;
	headers_clear(r);
	free(r->body);
	memset(r, 0, sizeof(*r));
}
