/*
 * transport.c - the default struct acme_transport on libcurl. Talks to
 * the (untrusted) ACME server: https only, no redirects, timeouts, the
 * body capped while it streams in, headers bounded and kept raw.
 */
#include "acme_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define HEADER_MAX	8192	/* bytes of one header line kept */
#define LINKS_MAX	32	/* Link headers kept */

struct curl_tr {
	CURL		*h;
	size_t		 body_max;
};

struct sink {
	struct acme_http_resp	*resp;
	size_t			 max;
	size_t			 cap;
	int			 overflow;
	int			 bad_header;
};

static size_t
body_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink		*s = arg;
	struct acme_http_resp	*r = s->resp;
	size_t			 n, ncap;
	unsigned char		*p;

	if (nmemb != 0 && size > SIZE_MAX / nmemb)
		return 0;
	n = size * nmemb;
	if (n > s->max - r->len) {	/* len <= max: cannot overflow */
		s->overflow = 1;
		return 0;
	}
	if (r->len + n + 1 > s->cap) {
		ncap = s->cap < 4096 ? 4096 : s->cap;
		while (ncap < r->len + n + 1)
			ncap *= 2;
		if (ncap > s->max + 1)
			ncap = s->max + 1;
		if ((p = realloc(r->body, ncap)) == NULL)
			return 0;
		r->body = p;
		s->cap = ncap;
	}
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Copies a header value without surrounding white space. */
static char *
value_dup(const char *v, size_t len)
{
	char	*s;

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)v[len - 1]))
		len--;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(s, v, len);
	s[len] = '\0';
	return s;
}

static int
set_once(char **slot, const char *v, size_t len)
{
	char	*s;

	if ((s = value_dup(v, len)) == NULL)
		return -1;
	free(*slot);		/* the last one wins, as in curl itself */
	*slot = s;
	return 0;
}

static size_t
header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink		*s = arg;
	struct acme_http_resp	*r = s->resp;
	size_t			 n = size * nmemb, nlen;
	const char		*colon;
	char			**links, *semi;

	if (n > HEADER_MAX) {
		s->bad_header = 1;
		return 0;
	}
	/* a new status line (e.g. after 100 Continue) resets the headers */
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		return n;
	if ((colon = memchr(ptr, ':', n)) == NULL)
		return n;
	nlen = (size_t)(colon - ptr);
	colon++;
#define IS(name) (nlen == sizeof(name) - 1 && strncasecmp(ptr, name, nlen) == 0)
	if (IS("content-type")) {
		if (set_once(&r->content_type, colon, n - nlen - 1) == -1)
			return 0;
		if ((semi = strchr(r->content_type, ';')) != NULL) {
			*semi = '\0';
			while (semi > r->content_type && semi[-1] == ' ')
				*--semi = '\0';
		}
	} else if (IS("location")) {
		if (set_once(&r->location, colon, n - nlen - 1) == -1)
			return 0;
	} else if (IS("replay-nonce")) {
		if (set_once(&r->replay_nonce, colon, n - nlen - 1) == -1)
			return 0;
	} else if (IS("retry-after")) {
		if (set_once(&r->retry_after, colon, n - nlen - 1) == -1)
			return 0;
	} else if (IS("link")) {
		if (r->nlinks >= LINKS_MAX)
			return n;	/* ignored beyond the bound */
		links = reallocarray(r->links, r->nlinks + 1, sizeof(*links));
		if (links == NULL)
			return 0;
		r->links = links;
		if ((links[r->nlinks] = value_dup(colon, n - nlen - 1)) == NULL)
			return 0;
		r->nlinks++;
	}
#undef IS
	return n;
}

static int
curl_request(void *arg, const struct acme_http_req *req,
    struct acme_http_resp *resp, struct acme_err *err)
{
	struct curl_tr		*t = arg;
	struct sink		 s;
	struct curl_slist	*hdrs = NULL;
	char			 ct[128];
	CURLcode		 cc;
	int			 rc = -1;

	memset(&s, 0, sizeof(s));
	s.resp = resp;
	s.max = t->body_max;
	curl_easy_setopt(t->h, CURLOPT_URL, req->url);
	curl_easy_setopt(t->h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(t->h, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(t->h, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(t->h, CURLOPT_HTTPGET, 1L);
	if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(t->h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "POST") == 0) {
		if (snprintf(ct, sizeof(ct), "Content-Type: %s",
		    req->content_type != NULL ? req->content_type :
		    "application/jose+json") >= (int)sizeof(ct))
			return acme_err_set(err, ACME_EUSAGE, "content type");
		if ((hdrs = curl_slist_append(NULL, ct)) == NULL)
			return acme_err_set(err, ACME_ENOMEM, "curl headers");
		curl_easy_setopt(t->h, CURLOPT_POST, 1L);
		curl_easy_setopt(t->h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(t->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->len);
	}
	curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(t->h);
	curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(t->h, CURLOPT_POSTFIELDS, NULL);
	if (cc != CURLE_OK) {
		if (s.overflow)
			acme_err_set(err, ACME_EPROTO,
			    "%s: reply larger than %zu bytes", req->url,
			    t->body_max);
		else if (s.bad_header)
			acme_err_set(err, ACME_EPROTO,
			    "%s: header line too long", req->url);
		else if (cc == CURLE_UNSUPPORTED_PROTOCOL)
			acme_err_set(err, ACME_EUSAGE,
			    "%s: scheme not allowed", req->url);
		else
			acme_err_set(err, ACME_ENET, "%s: %s", req->url,
			    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &resp->status);
	rc = 0;
out:
	curl_slist_free_all(hdrs);
	return rc;
}

static void
curl_free_tr(void *arg)
{
	struct curl_tr	*t = arg;

	if (t == NULL)
		return;
	curl_easy_cleanup(t->h);
	free(t);
}

int
acme_transport_curl(const struct acme_curl_opts *o, struct acme_transport *tr,
    struct acme_err *err)
{
	struct curl_tr	*t;
	CURLcode	 cc = CURLE_OK;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "transport");
	if ((t->h = curl_easy_init()) == NULL) {
		free(t);
		return acme_err_set(err, ACME_ENOMEM, "curl_easy_init");
	}
	t->body_max = o->body_max != 0 ? o->body_max : ACME_PEM_MAX;
#define SET(opt, v) do { if (cc == CURLE_OK) cc = curl_easy_setopt(t->h, opt, v); } while (0)
	SET(CURLOPT_PROTOCOLS_STR, o->allow_http ? "http,https" : "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, o->connect_timeout > 0 ?
	    o->connect_timeout : 10L);
	SET(CURLOPT_TIMEOUT, o->timeout > 0 ? o->timeout : 30L);
	SET(CURLOPT_USERAGENT, o->user_agent != NULL ? o->user_agent :
	    "certd-acme");
	SET(CURLOPT_WRITEFUNCTION, body_cb);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_ACCEPT_ENCODING, NULL);
	if (o->ca_bundle != NULL)
		SET(CURLOPT_CAINFO, o->ca_bundle);
#undef SET
	if (cc != CURLE_OK) {
		curl_free_tr(t);
		return acme_err_set(err, ACME_EUSAGE, "curl setup: %s",
		    curl_easy_strerror(cc));
	}
	tr->request = curl_request;
	tr->free = curl_free_tr;
	tr->arg = t;
	return 0;
}

void
acme_http_resp_clear(struct acme_http_resp *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	free(r->content_type);
	free(r->location);
	free(r->replay_nonce);
	free(r->retry_after);
	for (i = 0; i < r->nlinks; i++)
		free(r->links[i]);
	free(r->links);
	free(r->body);
	memset(r, 0, sizeof(*r));
}
