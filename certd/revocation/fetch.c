/*
 * fetch.c - fetches CRLs, OCSP responses and caIssuers files over
 * http/https with libcurl's multi interface, loaded on first use through
 * curldl.c. The servers are untrusted: bodies and headers are bounded
 * while they stream in, nothing is followed (no redirects), every
 * transfer has connect and total timeouts.
 */
#include "fetch.h"

#include <sys/queue.h>
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "curldl.h"
#include "util.h"

#define CT_MAX		128		/* bytes of a Content-Type kept */
#define POST_MAX	(64 * 1024)	/* bytes of a request body */
#define POLL_MS		1000		/* longest single curl_multi_poll */

/*
 * One transfer. Everything curl needs lives here and is reached from the
 * easy handle through CURLOPT_PRIVATE, so the driver can be either
 * fetch_multi_run() below or curl's socket API under an event loop: both
 * only need to call finish_done() when curl reports a transfer done.
 */
struct fetch_xfer {
	TAILQ_ENTRY(fetch_xfer)	 entry;
	const struct curldl_fns	*cu;	/* libcurl, borrowed */
	CURL			*h;
	struct curl_slist	*hdrs;
	char			*url;
	fetch_done_fn		*done;
	void			*arg;
	struct buf		 body;
	struct fetch_resp	 resp;	/* headers are filled in as they come */
	size_t			 nheaders;
	bool			 cond;	/* a conditional GET was sent */
	bool			 no_cache;
	bool			 overflow;
	bool			 nomem;
	bool			 bad_header;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct fetch_multi {
	const struct curldl_fns		*cu;	/* libcurl, borrowed */
	CURLM				*cm;
	TAILQ_HEAD(, fetch_xfer)	 xfers;
	size_t				 n;
};

/*
 * Transfers started by this process: the only file-scope state, a plain
 * counter read by tests (and diagnostics) to prove that an answer came
 * from the cache without network traffic. Not thread-safe, which is fine:
 * certd fetches from one thread.
 */
static unsigned long	 nstarted;

unsigned long
fetch_count(void)
{
	return nstarted;
}

void
fetch_resp_clear(struct fetch_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r->content_type);
	free(r->etag);
	free(r->last_modified);
	memset(r, 0, sizeof(*r));
}

/* Printable ASCII without spaces: URLs. */
static bool
is_graph(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Printable ASCII with spaces: header values we send or keep. */
static bool
is_print(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static int
check_url(const struct curldl_fns *cu, const char *url, struct cd_err *err)
{
	CURLU	*u = NULL;
	size_t	 len;
	int	 rc = -1;

	if (url == NULL)
		return cd_err_set(err, CD_ECONFIG, "fetch: no URL");
	len = strnlen(url, REV_URL_MAX + 1);
	if (len > REV_URL_MAX)
		return cd_err_set(err, CD_ECONFIG, "fetch: URL longer than %d "
		    "bytes", REV_URL_MAX);
	if (!is_graph(url, len))
		return cd_err_set(err, CD_ECONFIG, "fetch: URL with control "
		    "bytes or spaces");
	/* the scheme is checked by hand before any curl code parses it */
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return cd_err_set(err, CD_ECONFIG, "%s: only http and https "
		    "URLs are fetched", url);
	if ((u = cu->url()) == NULL)
		return cd_err_set(err, CD_ENOMEM, "%s: curl_url", url);
	if (cu->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		cd_err_set(err, CD_ECONFIG, "%s: malformed URL", url);
		goto out;
	}
	rc = 0;
out:
	cu->url_cleanup(u);
	return rc;
}

static int
check_req(const struct curldl_fns *cu, const struct fetch_req *req,
    struct cd_err *err)
{
	const char	*v;

	if (check_url(cu, req->url, err) == -1)
		return -1;
	if (req->method != NULL && strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "POST") != 0)
		return cd_err_set(err, CD_ECONFIG, "%s: method not supported",
		    req->url);
	if (req->max == 0)
		return cd_err_set(err, CD_ECONFIG, "%s: no size limit",
		    req->url);
	if (req->connect_timeout < 0 || req->timeout < 0)
		return cd_err_set(err, CD_ECONFIG, "%s: negative timeout",
		    req->url);
	if (req->len > POST_MAX || (req->body == NULL && req->len != 0))
		return cd_err_set(err, CD_ECONFIG, "%s: bad request body",
		    req->url);
	if ((v = req->content_type) != NULL && (strlen(v) > CT_MAX ||
	    !is_print(v, strlen(v))))
		return cd_err_set(err, CD_ECONFIG, "%s: bad content type",
		    req->url);
	/* validators come back from the cache: never inject header lines */
	if ((v = req->etag) != NULL && (strlen(v) > FETCH_VALIDATOR_MAX ||
	    !is_print(v, strlen(v))))
		return cd_err_set(err, CD_ECONFIG, "%s: bad ETag", req->url);
	if ((v = req->last_modified) != NULL &&
	    (strlen(v) > FETCH_VALIDATOR_MAX || !is_print(v, strlen(v))))
		return cd_err_set(err, CD_ECONFIG, "%s: bad Last-Modified",
		    req->url);
	return 0;
}

static size_t
body_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch_xfer	*x = arg;
	size_t			 n;

	if (nmemb != 0 && size > SIZE_MAX / nmemb) {
		x->overflow = true;
		return 0;
	}
	n = size * nmemb;
	if (n > x->body.max - x->body.len) {	/* len <= max */
		x->overflow = true;
		return 0;
	}
	if (buf_append(&x->body, ptr, n) == -1) {
		x->nomem = true;
		return 0;
	}
	return n;
}

/* A copy of v without surrounding white space, or NULL. */
static char *
trim_dup(const char *v, size_t len)
{
	char	*s;

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' ||
	    v[len - 1] == '\r' || v[len - 1] == '\n'))
		len--;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(s, v, len);
	s[len] = '\0';
	return s;
}

/*
 * Replaces *slot with the trimmed value if it is printable and at most
 * max bytes; an unusable value leaves the slot NULL (it is not an error:
 * we only lose a cache validator). -1 on allocation failure.
 */
static int
keep_value(char **slot, const char *v, size_t len, size_t max)
{
	char	*s;

	if ((s = trim_dup(v, len)) == NULL)
		return -1;
	free(*slot);
	*slot = NULL;
	if (*s == '\0' || strlen(s) > max || !is_print(s, strlen(s))) {
		free(s);
		return 0;
	}
	*slot = s;
	return 0;
}

/*
 * Cache-Control (RFC 9111 §5.2): the smallest max-age wins, no-cache and
 * no-store mean "do not reuse". Unknown directives are ignored.
 */
static void
cache_control(struct fetch_xfer *x, const char *v, size_t len)
{
	const char	*p = v, *end = v + len, *tok, *eq;
	size_t		 tlen;
	unsigned long long age;
	bool		 quoted;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		tok = p;
		while (p < end && *p != ',')
			p++;
		tlen = (size_t)(p - tok);
		while (tlen > 0 && isspace((unsigned char)tok[tlen - 1]))
			tlen--;
		if (tlen == 0)
			continue;
		if ((tlen == 8 && strncasecmp(tok, "no-cache", 8) == 0) ||
		    (tlen == 8 && strncasecmp(tok, "no-store", 8) == 0)) {
			x->no_cache = true;
			continue;
		}
		if (tlen < 8 || strncasecmp(tok, "max-age=", 8) != 0)
			continue;
		eq = tok + 8;
		tlen -= 8;
		quoted = tlen >= 2 && eq[0] == '"' && eq[tlen - 1] == '"';
		if (quoted) {
			eq++;
			tlen -= 2;
		}
		if (tlen == 0)
			continue;
		for (age = 0; tlen > 0; eq++, tlen--) {
			if (!isdigit((unsigned char)*eq))
				break;
			if (age < FETCH_MAX_AGE_MAX)
				age = age * 10 + (unsigned)(*eq - '0');
		}
		if (tlen != 0)
			continue;	/* not a number: ignored */
		if (age > FETCH_MAX_AGE_MAX)
			age = FETCH_MAX_AGE_MAX;
		if (age == 0)
			x->no_cache = true;	/* stale at once */
		else if (x->resp.max_age == 0 || (time_t)age < x->resp.max_age)
			x->resp.max_age = (time_t)age;
	}
}

static void
reset_headers(struct fetch_xfer *x)
{
	free(x->resp.content_type);
	free(x->resp.etag);
	free(x->resp.last_modified);
	x->resp.content_type = x->resp.etag = x->resp.last_modified = NULL;
	x->resp.max_age = 0;
	x->no_cache = false;
}

static size_t
header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch_xfer	*x = arg;
	const char		*colon, *v;
	size_t			 n, nlen, vlen, i;
	char			*semi;

	if (nmemb != 0 && size > SIZE_MAX / nmemb)
		return 0;
	n = size * nmemb;
	/* the total counts interim (1xx) responses too: they are bounded */
	if (n > FETCH_HEADER_MAX || ++x->nheaders > FETCH_HEADERS_MAX) {
		x->bad_header = true;
		return 0;
	}
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		reset_headers(x);	/* a new response begins */
		return n;
	}
	if ((colon = memchr(ptr, ':', n)) == NULL)
		return n;
	nlen = (size_t)(colon - ptr);
	v = colon + 1;
	vlen = n - nlen - 1;
#define IS(name) \
	(nlen == sizeof(name) - 1 && strncasecmp(ptr, name, nlen) == 0)
	if (IS("etag")) {
		if (keep_value(&x->resp.etag, v, vlen, FETCH_VALIDATOR_MAX) ==
		    -1)
			goto nomem;
	} else if (IS("last-modified")) {
		if (keep_value(&x->resp.last_modified, v, vlen,
		    FETCH_VALIDATOR_MAX) == -1)
			goto nomem;
	} else if (IS("content-type")) {
		if ((semi = memchr(v, ';', vlen)) != NULL)
			vlen = (size_t)(semi - v);
		if (keep_value(&x->resp.content_type, v, vlen, CT_MAX) == -1)
			goto nomem;
		if (x->resp.content_type != NULL)
			for (i = 0; x->resp.content_type[i] != '\0'; i++)
				x->resp.content_type[i] = (char)tolower(
				    (unsigned char)x->resp.content_type[i]);
	} else if (IS("cache-control"))
		cache_control(x, v, vlen);
#undef IS
	return n;
nomem:
	x->nomem = true;
	return 0;
}

static void
xfer_free(struct fetch_xfer *x)
{
	if (x == NULL)
		return;
	x->cu->easy_cleanup(x->h);
	x->cu->slist_free_all(x->hdrs);
	buf_clear(&x->body);
	fetch_resp_clear(&x->resp);
	free(x->url);
	free(x);
}

static int
add_header(struct fetch_xfer *x, const char *name, const char *value,
    struct cd_err *err)
{
	struct curl_slist	*l;
	char			 line[FETCH_VALIDATOR_MAX + CT_MAX + 64];

	if (snprintf(line, sizeof(line), "%s: %s", name, value) >=
	    (int)sizeof(line))
		return cd_err_set(err, CD_ECONFIG, "%s: %s too long", x->url,
		    name);
	if ((l = x->cu->slist_append(x->hdrs, line)) == NULL)
		return cd_err_set(err, CD_ENOMEM, "%s: curl headers", x->url);
	x->hdrs = l;
	return 0;
}

/* A configured easy handle for req; NULL (err filled) on failure. */
static struct fetch_xfer *
xfer_new(const struct curldl_fns *cu, const struct fetch_req *req,
    fetch_done_fn *done, void *arg, struct cd_err *err)
{
	struct fetch_xfer	*x;
	CURLcode		 cc = CURLE_OK;
	bool			 post;

	post = req->method != NULL && strcmp(req->method, "POST") == 0;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		cd_err_set(err, CD_ENOMEM, "%s: transfer", req->url);
		return NULL;
	}
	buf_init(&x->body, req->max);
	x->cu = cu;
	x->done = done;
	x->arg = arg;
	if ((x->url = strdup(req->url)) == NULL ||
	    (x->h = cu->easy_init()) == NULL) {
		cd_err_set(err, CD_ENOMEM, "%s: curl_easy_init", req->url);
		goto fail;
	}
	/* no "Expect: 100-continue" round trip for POST */
	if (add_header(x, "Expect", "", err) == -1)
		goto fail;
	if (post && req->content_type != NULL &&
	    add_header(x, "Content-Type", req->content_type, err) == -1)
		goto fail;
	if (!post && req->etag != NULL) {
		if (add_header(x, "If-None-Match", req->etag, err) == -1)
			goto fail;
		x->cond = true;
	}
	if (!post && req->last_modified != NULL) {
		if (add_header(x, "If-Modified-Since", req->last_modified,
		    err) == -1)
			goto fail;
		x->cond = true;
	}
#define SET(opt, v) do {						\
	if (cc == CURLE_OK)						\
		cc = cu->easy_setopt(x->h, opt, v);			\
} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PRIVATE, x);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, req->connect_timeout > 0 ?
	    req->connect_timeout : (long)FETCH_CONNECT_TIMEOUT);
	SET(CURLOPT_TIMEOUT, req->timeout > 0 ? req->timeout :
	    (long)FETCH_TIMEOUT);
	/* curl refuses at once when Content-Length announces too much */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max);
	SET(CURLOPT_WRITEFUNCTION, body_cb);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_HTTPHEADER, x->hdrs);
	SET(CURLOPT_USERAGENT, "certd");
	/* https: verified against the system trust store (curl's default) */
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (post) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
		SET(CURLOPT_COPYPOSTFIELDS, req->len > 0 ? req->body : "");
	} else
		SET(CURLOPT_HTTPGET, 1L);
#undef SET
	if (cc != CURLE_OK) {
		cd_err_set(err, cc == CURLE_OUT_OF_MEMORY ? CD_ENOMEM :
		    CD_ECONFIG, "%s: curl: %s", req->url,
		    cu->easy_strerror(cc));
		goto fail;
	}
	return x;
fail:
	xfer_free(x);
	return NULL;
}

/* Turns curl's result into rc and err, and the response into x->resp. */
static int
xfer_result(struct fetch_xfer *x, CURLcode cc, struct cd_err *err)
{
	const char	*why;
	char		*data;
	size_t		 len;
	long		 status = 0;

	if (x->overflow || cc == CURLE_FILESIZE_EXCEEDED)
		return cd_err_set(err, CD_EPROTO, "%s: body larger than %zu "
		    "bytes", x->url, x->body.max);
	if (x->bad_header)
		return cd_err_set(err, CD_EPROTO, "%s: header line longer "
		    "than %d bytes or more than %d lines", x->url,
		    FETCH_HEADER_MAX, FETCH_HEADERS_MAX);
	if (x->nomem || cc == CURLE_OUT_OF_MEMORY)
		return cd_err_set(err, CD_ENOMEM, "%s: out of memory", x->url);
	why = x->errbuf[0] != '\0' ? x->errbuf : x->cu->easy_strerror(cc);
	switch (cc) {
	case CURLE_OK:
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:	/* e.g. an HTTP/0.9 answer */
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
		return cd_err_set(err, CD_EPROTO, "%s: bad reply: %s", x->url,
		    why);
	case CURLE_URL_MALFORMAT:
		return cd_err_set(err, CD_ECONFIG, "%s: malformed URL", x->url);
	default:	/* connection, DNS, TLS, timeout, closed early */
		return cd_err_set(err, CD_ENET, "%s: %s", x->url, why);
	}
	(void)x->cu->easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	x->resp.status = status;
	if (status == 304 && x->cond)
		x->resp.not_modified = true;
	else if (status < 200 || status > 299) {
		cd_err_set(err, CD_EPROTO, "%s: HTTP %ld", x->url, status);
		if (err != NULL)
			err->http_status = (int)status;
		return -1;
	}
	if (x->no_cache)
		x->resp.max_age = 0;
	if (buf_take(&x->body, &data, &len) == -1)
		return cd_err_set(err, CD_ENOMEM, "%s: out of memory", x->url);
	x->resp.body = (unsigned char *)data;
	x->resp.len = len;
	return 0;
}

/* Removes a transfer from the set, reports it and frees it. */
static void
finish(struct fetch_multi *m, struct fetch_xfer *x, int rc,
    const struct cd_err *err)
{
	(void)m->cu->multi_remove_handle(m->cm, x->h);
	TAILQ_REMOVE(&m->xfers, x, entry);
	m->n--;
	x->done(x->arg, rc, &x->resp, err);
	xfer_free(x);
}

/* Reports every transfer curl says is done. */
static void
finish_done(struct fetch_multi *m)
{
	struct fetch_xfer	*x;
	struct cd_err		 err;
	CURLMsg			*msg;
	void			*priv;
	int			 left, rc;

	while ((msg = m->cu->multi_info_read(m->cm, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		(void)m->cu->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    &priv);
		if ((x = priv) == NULL)
			continue;
		cd_err_clear(&err);
		rc = xfer_result(x, msg->data.result, &err);
		finish(m, x, rc, &err);
	}
}

/* Ends every pending transfer with CD_ENET and the given reason. */
static void
abort_all(struct fetch_multi *m, const char *why)
{
	struct fetch_xfer	*x;
	struct cd_err		 err;

	while ((x = TAILQ_FIRST(&m->xfers)) != NULL) {
		cd_err_set(&err, CD_ENET, "%s: %s", x->url, why);
		finish(m, x, -1, &err);
	}
}

struct fetch_multi *
fetch_multi_new(struct cd_err *err)
{
	const struct curldl_fns	*cu;
	struct fetch_multi	*m;

	/* every curl object is made through a fetch_multi: load it here */
	if ((cu = curldl_load(err)) == NULL)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		cd_err_set(err, CD_ENOMEM, "fetch: out of memory");
		return NULL;
	}
	m->cu = cu;
	TAILQ_INIT(&m->xfers);
	if ((m->cm = cu->multi_init()) == NULL) {
		free(m);
		cd_err_set(err, CD_ENOMEM, "fetch: curl_multi_init");
		return NULL;
	}
	return m;
}

int
fetch_multi_add(struct fetch_multi *m, const struct fetch_req *req,
    fetch_done_fn *done, void *arg, struct cd_err *err)
{
	struct fetch_xfer	*x;
	CURLMcode		 mc;

	if (req == NULL || done == NULL)
		return cd_err_set(err, CD_ECONFIG, "fetch: no request");
	if (check_req(m->cu, req, err) == -1)
		return -1;
	if ((x = xfer_new(m->cu, req, done, arg, err)) == NULL)
		return -1;
	if ((mc = m->cu->multi_add_handle(m->cm, x->h)) != CURLM_OK) {
		cd_err_set(err, mc == CURLM_OUT_OF_MEMORY ? CD_ENOMEM :
		    CD_ENET, "%s: curl: %s", req->url,
		    m->cu->multi_strerror(mc));
		xfer_free(x);
		return -1;
	}
	TAILQ_INSERT_TAIL(&m->xfers, x, entry);
	m->n++;
	nstarted++;
	return 0;
}

int
fetch_multi_run(struct fetch_multi *m, int timeout_ms)
{
	int64_t		 t0 = util_now_ms(), left;
	CURLMcode	 mc;
	int		 running, wait;

	for (;;) {
		if ((mc = m->cu->multi_perform(m->cm, &running)) != CURLM_OK)
			break;
		finish_done(m);	/* callbacks may add transfers */
		if (m->n == 0)
			return 0;
		wait = POLL_MS;
		if (timeout_ms >= 0) {
			if ((left = timeout_ms - (util_now_ms() - t0)) <= 0)
				return m->n > INT_MAX ? INT_MAX : (int)m->n;
			if (left < wait)
				wait = (int)left;
		}
		if ((mc = m->cu->multi_poll(m->cm, NULL, 0, wait, NULL)) !=
		    CURLM_OK)
			break;
	}
	abort_all(m, m->cu->multi_strerror(mc));
	return -1;
}

size_t
fetch_multi_pending(const struct fetch_multi *m)
{
	return m->n;
}

void
fetch_multi_free(struct fetch_multi *m)
{
	if (m == NULL)
		return;
	abort_all(m, "aborted");
	(void)m->cu->multi_cleanup(m->cm);
	free(m);
}

struct one {
	struct fetch_resp	*out;
	struct cd_err		*err;
	int			 rc;
};

static void
one_done(void *arg, int rc, struct fetch_resp *resp, const struct cd_err *err)
{
	struct one	*o = arg;

	o->rc = rc;
	if (rc == 0) {
		*o->out = *resp;	/* taken: nothing left to free */
		memset(resp, 0, sizeof(*resp));
	} else if (o->err != NULL)
		*o->err = *err;
}

int
fetch_one(const struct fetch_req *req, struct fetch_resp *resp,
    struct cd_err *err)
{
	struct fetch_multi	*m;
	struct one		 o;

	memset(resp, 0, sizeof(*resp));
	o.out = resp;
	o.err = err;
	o.rc = -1;
	if ((m = fetch_multi_new(err)) == NULL)
		return -1;
	if (fetch_multi_add(m, req, one_done, &o, err) == -1) {
		fetch_multi_free(m);
		return -1;
	}
	/* each transfer has its own timeout: this loop ends */
	(void)fetch_multi_run(m, -1);
	fetch_multi_free(m);
	return o.rc;
}
