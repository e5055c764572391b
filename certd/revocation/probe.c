/*
 * probe.c - connects to a mail server, speaks just enough SMTP to start
 * TLS, and records the certificate chain and OCSP staple it presents.
 * Every byte from the peer is hostile: replies go through the pure,
 * bounded parser below, each step has a deadline, and nothing from the
 * handshake is trusted (chain_verify() and rocsp judge it later).
 */
#include "probe.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "rev.h"
#include "util.h"

/* enum probe_key: the signature algorithms offered for one key type */
#define SIGALGS_EC	"ecdsa_secp256r1_sha256:ecdsa_secp384r1_sha384:" \
			"ecdsa_secp521r1_sha512"
#define SIGALGS_RSA	"rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:" \
			"rsa_pss_rsae_sha512:rsa_pkcs1_sha256:" \
			"rsa_pkcs1_sha384:rsa_pkcs1_sha512"

/* ---- the reply parser (pure) */

/* Copies src into out with non-printables as \xNN, cut with "..." */
static void
escape(char *out, size_t outlen, const char *src, size_t len)
{
	size_t		 o = 0, i, need;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		need = c >= 0x20 && c < 0x7f ? 1 : 4;
		/* keep room for "..." and the NUL unless this is the end */
		if (o + need + (i + 1 < len ? 3 : 0) >= outlen)
			break;
		if (need == 1)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
			    c);
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

void
probe_reply_init(struct probe_reply *r)
{
	memset(r, 0, sizeof(*r));
}

/* the EHLO keyword (RFC 5321 §4.1.1.1: up to the first space) */
static bool
is_keyword(const char *text, size_t len, const char *kw)
{
	size_t	 n = strlen(kw);

	return len >= n && strncasecmp(text, kw, n) == 0 &&
	    (len == n || text[n] == ' ');
}

int
probe_reply_feed(struct probe_reply *r, const char *line, size_t len,
    struct cd_err *err)
{
	const char	*text;
	size_t		 body, i, tlen;
	unsigned char	 c;
	bool		 last;
	int		 code;

	if (r->done)
		return cd_err_set(err, CD_EPROTO, "reply: line after the end");
	if (len > PROBE_LINE_MAX)
		return cd_err_set(err, CD_EPROTO,
		    "reply: line longer than %d bytes", PROBE_LINE_MAX);
	if (r->nlines == PROBE_LINES_MAX)
		return cd_err_set(err, CD_EPROTO,
		    "reply: more than %d lines", PROBE_LINES_MAX);
	if (len < 2 || line[len - 2] != '\r' || line[len - 1] != '\n')
		return cd_err_set(err, CD_EPROTO,
		    "reply: line does not end in CRLF");
	body = len - 2;
	for (i = 0; i < body; i++) {
		c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return cd_err_set(err, CD_EPROTO,
			    "reply: control byte 0x%02x", c);
	}
	if (body < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '5' || line[2] < '0' || line[2] > '9')
		return cd_err_set(err, CD_EPROTO, "reply: bad code");
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (body == 3) {
		last = true;
		text = line + 3;
		tlen = 0;
	} else if (line[3] == ' ' || line[3] == '-') {
		last = line[3] == ' ';
		text = line + 4;
		tlen = body - 4;
	} else
		return cd_err_set(err, CD_EPROTO, "reply: bad separator");
	if (r->code != 0 && code != r->code)
		return cd_err_set(err, CD_EPROTO, "reply: code %d after %d",
		    code, r->code);
	r->code = code;
	if (r->nlines == 0)
		escape(r->text, sizeof(r->text), text, tlen);
	else if (code == 250 && is_keyword(text, tlen, "STARTTLS"))
		r->starttls = true;
	r->nlines++;
	r->done = last;
	return 0;
}

int
probe_reply_parse(struct probe_reply *r, const void *buf, size_t len,
    size_t *used, struct cd_err *err)
{
	const char	*start = buf, *p = buf, *end = start + len, *nl;

	*used = 0;
	while (!r->done && p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			/* with its LF it would be too long */
			if ((size_t)(end - p) >= PROBE_LINE_MAX)
				return cd_err_set(err, CD_EPROTO,
				    "reply: line longer than %d bytes",
				    PROBE_LINE_MAX);
			break;
		}
		if (probe_reply_feed(r, p, (size_t)(nl + 1 - p), err) == -1)
			return -1;
		p = nl + 1;
	}
	*used = (size_t)(p - start);
	return 0;
}

int
probe_parse_target(const char *arg, char host[PROBE_HOST_MAX],
    char port[PROBE_PORT_MAX], struct cd_err *err)
{
	unsigned long long	 n;
	const char		*h, *pt = NULL, *colon, *rb;
	size_t			 hlen;

	host[0] = port[0] = '\0';
	if (arg == NULL || *arg == '\0')
		return cd_err_set(err, CD_EUSAGE, "host: empty");
	if (arg[0] == '[') {
		if ((rb = strchr(arg, ']')) == NULL)
			return cd_err_set(err, CD_EUSAGE, "host: no ']'");
		h = arg + 1;
		hlen = (size_t)(rb - h);
		if (rb[1] == ':')
			pt = rb + 2;
		else if (rb[1] != '\0')
			return cd_err_set(err, CD_EUSAGE,
			    "host: junk after ']'");
	} else if ((colon = strchr(arg, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		h = arg;
		hlen = (size_t)(colon - arg);
		pt = colon + 1;
	} else {
		h = arg;	/* a name, or an IPv6 address without port */
		hlen = strlen(arg);
	}
	if (hlen == 0 || hlen >= PROBE_HOST_MAX)
		return cd_err_set(err, CD_EUSAGE, "host: bad length");
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (arg[0] == '[') {
		/* brackets are for IPv6 addresses only */
		if (strchr(host, ':') == NULL || !util_is_ipaddr(host)) {
			host[0] = '\0';
			return cd_err_set(err, CD_EUSAGE,
			    "host: bad IPv6 address");
		}
	} else if (!util_is_dnsname(host, false) && !util_is_ipaddr(host)) {
		host[0] = '\0';
		return cd_err_set(err, CD_EUSAGE,
		    "host: not a DNS name or IP address");
	}
	if (pt == NULL) {
		(void)snprintf(port, PROBE_PORT_MAX, "%s", PROBE_PORT_DEFAULT);
		return 0;
	}
	if (*pt < '0' || *pt > '9' || util_parse_uint(pt, 1, 65535, &n) == -1) {
		host[0] = '\0';
		return cd_err_set(err, CD_EUSAGE, "host: bad port");
	}
	(void)snprintf(port, PROBE_PORT_MAX, "%llu", n);
	return 0;
}

/* ---- I/O with deadlines */

struct conn {
	int		 fd;
	SSL		*ssl;
	BIO		*rbio;		/* network -> TLS; owned by ssl */
	BIO		*wbio;		/* TLS -> network; owned by ssl */
	char		 peer[PROBE_HOST_MAX + PROBE_PORT_MAX + 4];
	const char	*step;		/* for messages: "banner" ... */
	long long	 step_end;	/* ms, CLOCK_MONOTONIC */
	long long	 total_end;
	char		 in[PROBE_LINE_MAX];
	size_t		 fill;
};

/* cd_err_sys() of a network call: kind CD_ENET, errno kept */
static int
net_sys(struct cd_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
net_sys(struct cd_err *err, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[CD_ERR_MSG];
	int	 saved = errno;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errno = saved;
	cd_err_sys(err, "%s", msg);
	err->kind = CD_ENET;
	return -1;
}

static void
step(struct conn *c, const char *name, long long ms)
{
	long long	 now = util_now_ms();

	c->step = name;
	c->step_end = now + ms < c->total_end ? now + ms : c->total_end;
}

/* Waits for ev on the socket until the step's deadline. */
static int
wait_io(struct conn *c, short ev, struct cd_err *err)
{
	struct pollfd	 pfd;
	long long	 left;
	int		 n;

	for (;;) {
		if ((left = c->step_end - util_now_ms()) <= 0)
			return cd_err_set(err, CD_ENET, "%s: timed out (%s)",
			    c->peer, c->step);
		pfd.fd = c->fd;
		pfd.events = ev;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return net_sys(err, "%s: poll", c->peer);
		if (n > 0)
			return 0;
	}
}

static int
send_all(struct conn *c, const void *buf, size_t len, struct cd_err *err)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		/* MSG_NOSIGNAL: a peer that went away is an error, not
		 * SIGPIPE */
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			if (wait_io(c, POLLOUT, err) == -1)
				return -1;
			continue;
		}
		if (n == -1)
			return net_sys(err, "%s: send (%s)", c->peer,
			    c->step);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Reads 1..len bytes; end of stream is an error. The deadline is checked
 * before every read too, so that a peer sending a steady stream of bytes
 * that never completes anything (TLS records without end) cannot hold
 * us past it.
 */
static int
recv_some(struct conn *c, void *buf, size_t len, size_t *got,
    struct cd_err *err)
{
	ssize_t	 n;

	for (;;) {
		if (util_now_ms() >= c->step_end)
			return cd_err_set(err, CD_ENET, "%s: timed out (%s)",
			    c->peer, c->step);
		n = recv(c->fd, buf, len, 0);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)) {
			if (wait_io(c, POLLIN, err) == -1)
				return -1;
			continue;
		}
		if (n == -1)
			return net_sys(err, "%s: recv (%s)", c->peer,
			    c->step);
		if (n == 0)
			return cd_err_set(err, CD_ENET,
			    "%s: connection closed by the peer (%s)", c->peer,
			    c->step);
		*got = (size_t)n;
		return 0;
	}
}

/* Sends what TLS has written into wbio. */
static int
tls_flush(struct conn *c, struct cd_err *err)
{
	char	 buf[4096];
	int	 n;

	while (BIO_ctrl_pending(c->wbio) > 0) {
		if ((n = BIO_read(c->wbio, buf, sizeof(buf))) <= 0)
			return cd_err_set(err, CD_ENET, "%s: TLS output",
			    c->peer);
		if (send_all(c, buf, (size_t)n, err) == -1)
			return -1;
	}
	return 0;
}

static int
tls_fail(struct conn *c, int e, struct cd_err *err)
{
	if (e == SSL_ERROR_ZERO_RETURN)
		return cd_err_set(err, CD_ENET, "%s: TLS closed by the peer "
		    "(%s)", c->peer, c->step);
	cd_err_crypto(err, "%s: TLS failed (%s)", c->peer, c->step);
	if (err != NULL)
		err->kind = CD_ENET;
	return -1;
}

enum tls_op { OP_CONNECT, OP_READ, OP_WRITE };

/*
 * Runs one TLS operation over memory BIOs, moving bytes between them and
 * the non-blocking socket until it completes or the deadline passes.
 */
static int
tls_do(struct conn *c, enum tls_op op, void *rbuf, const void *wbuf, int len,
    int *done, struct cd_err *err)
{
	char	 tmp[4096];
	size_t	 got;
	int	 ret, e;

	for (;;) {
		ERR_clear_error();
		switch (op) {
		case OP_CONNECT:
			ret = SSL_connect(c->ssl);
			break;
		case OP_READ:
			ret = SSL_read(c->ssl, rbuf, len);
			break;
		default:
			ret = SSL_write(c->ssl, wbuf, len);
			break;
		}
		e = ret > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, ret);
		if (tls_flush(c, err) == -1)
			return -1;
		if (e == SSL_ERROR_NONE) {
			if (done != NULL)
				*done = ret;
			return 0;
		}
		if (e == SSL_ERROR_WANT_WRITE) {
			/* memory BIO: flushed above; never spin past the
			 * deadline should it happen anyway */
			if (util_now_ms() >= c->step_end)
				return cd_err_set(err, CD_ENET,
				    "%s: timed out (%s)", c->peer, c->step);
			continue;
		}
		if (e != SSL_ERROR_WANT_READ)
			return tls_fail(c, e, err);
		if (recv_some(c, tmp, sizeof(tmp), &got, err) == -1)
			return -1;
		if (BIO_write(c->rbio, tmp, (int)got) != (int)got)
			return cd_err_set(err, CD_ENOMEM, "%s: TLS input",
			    c->peer);
	}
}

static int
conn_write(struct conn *c, const char *s, struct cd_err *err)
{
	size_t	 len = strlen(s);

	if (c->ssl == NULL)
		return send_all(c, s, len, err);
	return tls_do(c, OP_WRITE, NULL, s, (int)len, NULL, err);
}

/*
 * Reads one whole reply. Bytes after it are an error: the server may
 * not speak before our next command, and data sent before a TLS
 * handshake must never be taken for data inside it (RFC 3207 §6,
 * the STARTTLS injection attacks).
 */
static int
read_reply(struct conn *c, struct probe_reply *r, struct cd_err *err)
{
	struct cd_err	 perr;
	size_t		 used, got;
	int		 n;

	probe_reply_init(r);
	for (;;) {
		if (probe_reply_parse(r, c->in, c->fill, &used, &perr) == -1)
			return cd_err_set(err, CD_EPROTO, "%s: %s: %s",
			    c->peer, c->step, perr.msg);
		memmove(c->in, c->in + used, c->fill - used);
		c->fill -= used;
		if (r->done)
			break;
		if (c->ssl != NULL) {
			if (tls_do(c, OP_READ, c->in + c->fill, NULL,
			    (int)(sizeof(c->in) - c->fill), &n, err) == -1)
				return -1;
			got = (size_t)n;
		} else if (recv_some(c, c->in + c->fill,
		    sizeof(c->in) - c->fill, &got, err) == -1)
			return -1;
		c->fill += got;
	}
	if (c->fill != 0)
		return cd_err_set(err, CD_EPROTO,
		    "%s: data after the %s reply", c->peer, c->step);
	return 0;
}

/* A reply with another code than want: the peer refused. */
static int
refused(struct conn *c, const struct probe_reply *r, struct cd_err *err)
{
	return cd_err_set(err, CD_EPROTO, "%s: %s: %d %s", c->peer, c->step,
	    r->code, r->text);
}

static int
tcp_connect(struct conn *c, const char *host, const char *port,
    long long per_try, struct probe_result *res, struct cd_err *err)
{
	struct addrinfo	 hints, *ai = NULL, *a;
	socklen_t	 sl;
	size_t		 tries = 0;
	int		 fd, g, soerr, one = 1, rc = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV |
	    (util_is_ipaddr(host) ? AI_NUMERICHOST : 0);
	if ((g = getaddrinfo(host, port, &hints, &ai)) != 0)
		return cd_err_set(err, CD_ENET, "%s: cannot resolve: %s",
		    c->peer, gai_strerror(g));
	cd_err_set(err, CD_ENET, "%s: no address", c->peer);
	for (a = ai; a != NULL && tries < PROBE_ADDRS_MAX; a = a->ai_next) {
		if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
			continue;
		tries++;
		step(c, "connect", per_try);
		if (util_now_ms() >= c->total_end) {
			cd_err_set(err, CD_ENET, "%s: timed out (connect)",
			    c->peer);
			break;
		}
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			net_sys(err, "%s: socket", c->peer);
			continue;
		}
		c->fd = fd;
		/* whole commands and TLS flights: no Nagle delay */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if (connect(fd, a->ai_addr, a->ai_addrlen) == -1) {
			if (errno != EINPROGRESS) {
				net_sys(err, "%s: connect", c->peer);
				goto next;
			}
			if (wait_io(c, POLLOUT, err) == -1)
				goto next;
			sl = sizeof(soerr);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &sl) == -1 || soerr != 0) {
				errno = soerr;
				net_sys(err, "%s: connect", c->peer);
				goto next;
			}
		}
		if (getnameinfo(a->ai_addr, a->ai_addrlen, res->addr,
		    sizeof(res->addr), NULL, 0, NI_NUMERICHOST) != 0)
			res->addr[0] = '\0';
		rc = 0;
		break;
next:
		(void)close(fd);
		c->fd = -1;
	}
	freeaddrinfo(ai);
	if (rc == 0)
		cd_err_clear(err);
	return rc;
}

static int
helo_name(const struct probe_opts *o, char *out, size_t outlen,
    struct cd_err *err)
{
	const char	*h = o->helo_name;
	char		 hn[256];
	size_t		 n;
	bool		 literal = false;

	if (h != NULL) {
		n = strlen(h);
		if (n >= outlen || n >= sizeof(hn))
			return cd_err_set(err, CD_ECONFIG,
			    "probe: HELO name too long");
		/* a DNS name or an address literal (RFC 5321 §4.1.3):
		 * "[192.0.2.1]" or "[IPv6:2001:db8::1]" */
		if (n > 2 && h[0] == '[' && h[n - 1] == ']') {
			memcpy(hn, h + 1, n - 2);
			hn[n - 2] = '\0';
			if (strncmp(hn, "IPv6:", 5) == 0)
				literal = strchr(hn + 5, ':') != NULL &&
				    util_is_ipaddr(hn + 5);
			else
				literal = strchr(hn, ':') == NULL &&
				    util_is_ipaddr(hn);
		}
		if (!literal && !util_is_dnsname(h, false))
			return cd_err_set(err, CD_ECONFIG,
			    "probe: bad HELO name");
		memcpy(out, h, n + 1);
		return 0;
	}
	if (gethostname(hn, sizeof(hn)) == 0 &&
	    memchr(hn, '\0', sizeof(hn)) != NULL &&
	    util_is_dnsname(hn, false))
		(void)snprintf(out, outlen, "%s", hn);
	else
		(void)snprintf(out, outlen, "localhost");
	return 0;
}

static int
tls_start(struct conn *c, SSL_CTX **ctxp, const struct probe_opts *o,
    struct cd_err *err)
{
	SSL_CTX	*ctx;
	BIO	*rbio, *wbio;
	char	 sni[PROBE_HOST_MAX];

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return cd_err_crypto(err, "%s: TLS context", c->peer);
	*ctxp = ctx;
	/*
	 * SSL_VERIFY_NONE for the handshake only. This is not a trust
	 * bypass: the probe's job is to collect what the peer presents,
	 * and nothing from this session is trusted or used to send
	 * anything but QUIT. The chain is validated afterwards by
	 * chain_verify() against the configured trust store, and a staple
	 * by rocsp_check(); an unverifiable chain makes the verdict
	 * "unknown", never "good". Failing here would hide why.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_max_cert_list(ctx, PROBE_CERT_LIST_MAX);
	rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(BIO_s_mem());
	c->ssl = SSL_new(ctx);
	if (rbio == NULL || wbio == NULL || c->ssl == NULL) {
		BIO_free(rbio);
		BIO_free(wbio);
		SSL_free(c->ssl);
		c->ssl = NULL;
		return cd_err_crypto(err, "%s: TLS session", c->peer);
	}
	c->rbio = rbio;
	c->wbio = wbio;
	/* an empty input BIO means "wait for the network", not EOF */
	BIO_set_mem_eof_return(c->rbio, -1);
	BIO_set_mem_eof_return(c->wbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);	/* ssl owns both */
	SSL_set_connect_state(c->ssl);
	/* a copy: the macro casts its argument to (void *) */
	(void)snprintf(sni, sizeof(sni), "%s", o->host);
	if ((util_is_dnsname(sni, false) &&
	    SSL_set_tlsext_host_name(c->ssl, sni) != 1) ||
	    SSL_set_tlsext_status_type(c->ssl, TLSEXT_STATUSTYPE_ocsp) != 1 ||
	    (o->key != PROBE_KEY_ANY &&
	    (SSL_set1_sigalgs_list(c->ssl, o->key == PROBE_KEY_EC ?
	    SIGALGS_EC : SIGALGS_RSA) != 1 ||
	    SSL_set_cipher_list(c->ssl, o->key == PROBE_KEY_EC ? "aECDSA" :
	    "aRSA") != 1)))
		return cd_err_crypto(err, "%s: TLS options", c->peer);
	return tls_do(c, OP_CONNECT, NULL, NULL, 0, NULL, err);
}

static int
record(struct conn *c, struct probe_result *res, struct cd_err *err)
{
	STACK_OF(X509)		*sk;
	const unsigned char	*resp = NULL;
	X509			*x;
	long			 len;
	int			 i, n;

	sk = SSL_get_peer_cert_chain(c->ssl);	/* the client's: leaf too */
	if (sk == NULL || (n = sk_X509_num(sk)) <= 0)
		return cd_err_set(err, CD_EPROTO, "%s: no certificate",
		    c->peer);
	if (n > PROBE_CHAIN_MAX)
		return cd_err_set(err, CD_EPROTO, "%s: %d certificates",
		    c->peer, n);
	if ((res->chain = sk_X509_new_null()) == NULL)
		return cd_err_set(err, CD_ENOMEM, "%s: out of memory",
		    c->peer);
	for (i = 0; i < n; i++) {
		x = sk_X509_value(sk, i);
		if (X509_up_ref(x) != 1)
			return cd_err_crypto(err, "%s: reference", c->peer);
		if (sk_X509_push(res->chain, x) == 0) {
			X509_free(x);
			return cd_err_set(err, CD_ENOMEM, "%s: out of memory",
			    c->peer);
		}
	}
	len = SSL_get_tlsext_status_ocsp_resp(c->ssl, &resp);
	if (len > REV_OCSP_MAX)
		res->ocsp_dropped = true;	/* the CRL/OCSP fetch remain */
	else if (len > 0 && resp != NULL) {
		if ((res->ocsp = malloc((size_t)len)) == NULL)
			return cd_err_set(err, CD_ENOMEM, "%s: out of memory",
			    c->peer);
		memcpy(res->ocsp, resp, (size_t)len);
		res->ocsp_len = (size_t)len;
	}
	(void)snprintf(res->tls_version, sizeof(res->tls_version), "%s",
	    SSL_get_version(c->ssl));
	return 0;
}

/*
 * QUIT, politely but without waiting long (and not at all for the reply
 * when we are giving up); failures do not matter any more.
 */
static void
quit(struct conn *c, long long timeout, bool wait_reply)
{
	struct probe_reply	 r;

	step(c, "QUIT", timeout < PROBE_QUIT_WAIT_MAX ? timeout :
	    PROBE_QUIT_WAIT_MAX);
	c->fill = 0;
	if (conn_write(c, "QUIT\r\n", NULL) == 0 && wait_reply)
		(void)read_reply(c, &r, NULL);
	if (c->ssl != NULL) {
		ERR_clear_error();
		if (SSL_shutdown(c->ssl) >= 0)	/* close_notify */
			(void)tls_flush(c, NULL);
	}
	ERR_clear_error();
}

int
probe_run(const struct probe_opts *o, struct probe_result *res,
    struct cd_err *err)
{
	struct conn		*c = NULL;
	struct probe_reply	 r;
	SSL_CTX			*ctx = NULL;
	unsigned long long	 pn;
	char			 port[PROBE_PORT_MAX];
	char			 helo[PROBE_HOST_MAX + 8];
	char			 cmd[sizeof(helo) + 8];
	long long		 timeout, total;
	int			 rc = -1;

	memset(res, 0, sizeof(*res));
	if (o == NULL || o->host == NULL ||
	    strlen(o->host) >= PROBE_HOST_MAX ||
	    (!util_is_dnsname(o->host, false) && !util_is_ipaddr(o->host)))
		return cd_err_set(err, CD_EUSAGE,
		    "probe: not a DNS name or IP address");
	if (o->tls_only && o->starttls)
		return cd_err_set(err, CD_EUSAGE,
		    "probe: TLS only and STARTTLS exclude each other");
	if (o->port == NULL)
		pn = 25;
	else if (o->port[0] < '0' || o->port[0] > '9' ||
	    util_parse_uint(o->port, 1, 65535, &pn) == -1)
		return cd_err_set(err, CD_EUSAGE, "%s: bad port", o->host);
	(void)snprintf(port, sizeof(port), "%llu", pn);
	if (helo_name(o, helo, sizeof(helo), err) == -1)
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cd_err_set(err, CD_ENOMEM, "probe: out of memory");
	c->fd = -1;
	if (strchr(o->host, ':') != NULL)	/* IPv6 */
		(void)snprintf(c->peer, sizeof(c->peer), "[%s]:%s", o->host,
		    port);
	else
		(void)snprintf(c->peer, sizeof(c->peer), "%s:%s", o->host,
		    port);
	timeout = o->timeout_ms > 0 ? o->timeout_ms : PROBE_TIMEOUT_DEFAULT;
	total = o->total_ms > 0 ? o->total_ms :
	    timeout * PROBE_TOTAL_FACTOR;
	c->total_end = util_now_ms() + total;
	if (tcp_connect(c, o->host, port, timeout, res, err) == -1)
		goto out;
	if (o->starttls) {
		step(c, "banner", timeout);
		if (read_reply(c, &r, err) == -1)
			goto out;
		(void)snprintf(res->banner, sizeof(res->banner), "%s", r.text);
		if (r.code != 220) {
			refused(c, &r, err);
			quit(c, timeout, false);
			goto out;
		}
		step(c, "EHLO", timeout);
		(void)snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", helo);
		if (conn_write(c, cmd, err) == -1 ||
		    read_reply(c, &r, err) == -1)
			goto out;
		if (r.code != 250) {
			refused(c, &r, err);
			quit(c, timeout, false);
			goto out;
		}
		if (!r.starttls) {
			cd_err_set(err, CD_EPROTO,
			    "%s: the server does not offer STARTTLS", c->peer);
			quit(c, timeout, false);
			goto out;
		}
		step(c, "STARTTLS", timeout);
		if (conn_write(c, "STARTTLS\r\n", err) == -1 ||
		    read_reply(c, &r, err) == -1)
			goto out;
		if (r.code != 220) {
			refused(c, &r, err);
			quit(c, timeout, false);
			goto out;
		}
	}
	step(c, "TLS handshake", timeout);
	if (tls_start(c, &ctx, o, err) == -1 || record(c, res, err) == -1)
		goto out;
	if (o->tls_only) {
		/* not SMTP: nothing of the peer's protocol is spoken */
		ERR_clear_error();
		if (SSL_shutdown(c->ssl) >= 0)	/* close_notify */
			(void)tls_flush(c, NULL);
		rc = 0;
		goto out;
	}
	if (!o->starttls) {
		/* RFC 8314 §3.3: the greeting comes inside TLS */
		step(c, "banner", timeout);
		if (read_reply(c, &r, err) == -1)
			goto out;
		(void)snprintf(res->banner, sizeof(res->banner), "%s", r.text);
		if (r.code != 220) {
			refused(c, &r, err);
			goto out;
		}
	}
	quit(c, timeout, true);
	rc = 0;
out:
	if (rc == -1)
		probe_result_clear(res);
	if (c != NULL) {
		SSL_free(c->ssl);	/* frees rbio and wbio */
		if (c->fd != -1)
			(void)close(c->fd);
		free(c);
	}
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

void
probe_result_clear(struct probe_result *res)
{
	if (res == NULL)
		return;
	/* pop_free: we hold one reference per certificate */
	sk_X509_pop_free(res->chain, X509_free);
	free(res->ocsp);
	memset(res, 0, sizeof(*res));
}
