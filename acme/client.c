/*
 * client.c - the ACME request engine: directory, nonce pool, signed
 * POSTs with one badNonce retry, and classification of the (untrusted)
 * server's error replies into struct acme_err (RFC 8555 §6.5-6.7).
 */
#include "acme_int.h"
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_POOL	CLIENT_NONCES_MAX /* Replay-Nonce values kept */

void
client_log(struct acme_client *c, int level, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	if (c->log == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->log(c->log_arg, level, msg);
}

struct acme_client *
acme_client_new(const char *url, struct acme_transport *tr,
    struct acme_err *err)
{
	struct acme_client	*c = NULL;

	if (url == NULL || strlen(url) > ACME_URL_MAX ||
	    (strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0)) {
		acme_err_set(err, ACME_EUSAGE,
		    "directory URL must be https:// and at most %d bytes",
		    ACME_URL_MAX);
		goto fail;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->dir_url = strdup(url)) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "client");
		goto fail;
	}
	c->allow_http = strncmp(url, "http://", 7) == 0;
	c->tr = *tr;
	return c;
fail:
	if (c != NULL)
		free(c->dir_url);
	free(c);
	if (tr->free != NULL)
		tr->free(tr->arg);
	return NULL;
}

void
acme_client_free(struct acme_client *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nnonces; i++)
		free(c->nonces[i]);
	acme_directory_clear(&c->dir);
	if (c->tr.free != NULL)
		c->tr.free(c->tr.arg);
	free(c->kid);
	free(c->dir_url);
	free(c);
}

void
acme_client_set_log(struct acme_client *c, acme_log_fn *fn, void *arg)
{
	c->log = fn;
	c->log_arg = arg;
}

int
acme_client_set_account(struct acme_client *c, struct acme_signer *s,
    const char *kid, struct acme_err *err)
{
	char	*k = NULL;

	if (kid != NULL && (k = strdup(kid)) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "client");
	free(c->kid);
	c->kid = k;
	c->signer = s;
	return 0;
}

const char *
acme_client_kid(const struct acme_client *c)
{
	return c->kid;
}

unsigned
acme_client_badnonce_count(const struct acme_client *c)
{
	return c->badnonce;
}

static void
nonce_keep(struct acme_client *c, struct acme_http_resp *r)
{
	const char	*n = r->replay_nonce;

	if (n == NULL || strlen(n) > ACME_NONCE_MAX ||
	    !acme_b64url_is_valid(n, strlen(n)))
		return;		/* a bad nonce is simply not reused */
	if (c->nnonces == NONCE_POOL) {
		free(c->nonces[0]);
		memmove(c->nonces, c->nonces + 1,
		    (NONCE_POOL - 1) * sizeof(c->nonces[0]));
		c->nnonces--;
	}
	c->nonces[c->nnonces++] = r->replay_nonce;
	r->replay_nonce = NULL;
}

/* One HTTP exchange; the Replay-Nonce of every answer goes to the pool. */
static int
exchange(struct acme_client *c, const struct acme_http_req *req,
    struct acme_http_resp *resp, struct acme_err *err)
{
	memset(resp, 0, sizeof(*resp));
	if (c->tr.request(c->tr.arg, req, resp, err) == -1) {
		acme_http_resp_clear(resp);
		return -1;
	}
	client_log(c, ACME_LOG_DEBUG, "%s %s: %ld", req->method, req->url,
	    resp->status);
	nonce_keep(c, resp);
	return 0;
}

/* Turns a non-2xx answer into err. */
static int
reply_error(struct acme_client *c, const char *what,
    struct acme_http_resp *r, struct acme_err *err)
{
	struct acme_problem	*p = NULL;
	struct acme_err		 perr;
	time_t			 ra;
	int			 rc;

	(void)c;
	ra = acme_retry_after_parse(r->retry_after, time(NULL));
	if (r->content_type != NULL &&
	    strcmp(r->content_type, "application/problem+json") == 0 &&
	    acme_json_problem(r->body, r->len, &p, &perr) == 0) {
		rc = acme_err_problem(err, p, (int)r->status, ra, NULL);
		acme_problem_free(p);
		return rc;
	}
	acme_err_set(err, r->status == 503 || r->status == 429 ? ACME_ETEMP :
	    ACME_EPROTO, "%s: HTTP %ld%s%s", what, r->status,
	    r->content_type != NULL ? " " : "",
	    r->content_type != NULL ? "(not a problem document)" : "");
	if (err != NULL) {
		err->http_status = (int)r->status;
		err->retry_after = ra;
	}
	return -1;
}

int
client_get(struct acme_client *c, const char *url, const char *what,
    struct acme_http_resp *resp, struct acme_err *err)
{
	struct acme_http_req	 req = { "GET", url, NULL, NULL, 0 };

	if (exchange(c, &req, resp, err) == -1)
		return -1;
	if (resp->status / 100 != 2) {
		reply_error(c, what, resp, err);
		acme_http_resp_clear(resp);
		return -1;
	}
	return 0;
}

int
acme_client_directory(struct acme_client *c, const struct acme_directory **d,
    struct acme_err *err)
{
	struct acme_http_resp	 r;
	int			 rc;

	if (!c->have_dir) {
		if (client_get(c, c->dir_url, "directory", &r, err) == -1)
			return -1;
		if (r.content_type == NULL ||
		    strcmp(r.content_type, "application/json") != 0) {
			acme_http_resp_clear(&r);
			return acme_err_set(err, ACME_EPROTO,
			    "%s: directory: not application/json",
			    c->dir_url);
		}
		rc = acme_json_directory(r.body, r.len, c->allow_http,
		    &c->dir, err);
		acme_http_resp_clear(&r);
		if (rc == -1)
			return -1;
		c->have_dir = true;
	}
	if (d != NULL)
		*d = &c->dir;
	return 0;
}

static int
nonce_get(struct acme_client *c, char **out, struct acme_err *err)
{
	struct acme_http_req	 req = { "HEAD", NULL, NULL, NULL, 0 };
	struct acme_http_resp	 r;

	if (c->nnonces == 0) {
		if (acme_client_directory(c, NULL, err) == -1)
			return -1;
		req.url = c->dir.new_nonce;
		if (exchange(c, &req, &r, err) == -1)
			return -1;
		if (r.status / 100 != 2) {
			reply_error(c, "newNonce", &r, err);
			acme_http_resp_clear(&r);
			return -1;
		}
		acme_http_resp_clear(&r);
		if (c->nnonces == 0)
			return acme_err_set(err, ACME_EPROTO,
			    "newNonce: no valid Replay-Nonce");
	}
	/* newest first: the oldest are the likeliest to have expired */
	*out = c->nonces[--c->nnonces];
	return 0;
}

int
client_post(struct acme_client *c, const char *url, const char *what,
    const char *payload, struct acme_signer *jwk_signer,
    struct acme_http_resp *resp, struct acme_err *err)
{
	struct acme_http_req	 req = { "POST", url, "application/jose+json",
	    NULL, 0 };
	struct acme_signer	*s = jwk_signer != NULL ? jwk_signer : c->signer;
	const char		*kid = jwk_signer != NULL ? NULL : c->kid;
	char			*nonce = NULL, *jws = NULL;
	int			 attempt, rc = -1;

	if (s == NULL)
		return acme_err_set(err, ACME_EUSAGE, "%s: no account key",
		    what);
	if (acme_client_directory(c, NULL, err) == -1)
		return -1;
	/* RFC 8555 §6.5: retry with a fresh nonce after badNonce. More than
	 * once: servers may reject good nonces at random (Pebble 5%) */
	for (attempt = 0; attempt <= CLIENT_BADNONCE_RETRIES; attempt++) {
		if (nonce_get(c, &nonce, err) == -1)
			return -1;
		rc = acme_jws_sign(s, url, nonce, kid, payload,
		    payload != NULL ? strlen(payload) : 0, &jws, err);
		free(nonce);
		nonce = NULL;
		if (rc == -1)
			return -1;
		req.body = jws;
		req.len = strlen(jws);
		rc = exchange(c, &req, resp, err);
		free(jws);
		jws = NULL;
		if (rc == -1)
			return -1;
		if (resp->status / 100 == 2)
			return 0;
		reply_error(c, what, resp, err);
		acme_http_resp_clear(resp);
		if (err != NULL && strcmp(err->type,
		    "urn:ietf:params:acme:error:badNonce") == 0) {
			c->badnonce++;
			if (attempt < CLIENT_BADNONCE_RETRIES) {
				client_log(c, ACME_LOG_INFO, "%s: badNonce, "
				    "retrying with a fresh nonce", what);
				continue;
			}
			err->kind = ACME_ETEMP;	/* it may work later */
		}
		return -1;
	}
	return -1;
}

int
client_expect_json(const char *what, const struct acme_http_resp *r,
    struct acme_err *err)
{
	if (r->content_type == NULL ||
	    strcmp(r->content_type, "application/json") != 0)
		return acme_err_set(err, ACME_EPROTO,
		    "%s: reply is %s, not application/json", what,
		    r->content_type != NULL ? "of another type" :
		    "without Content-Type");
	return 0;
}

int
client_location(const struct acme_client *c, const char *what,
    const struct acme_http_resp *r, char **out, struct acme_err *err)
{
	const char	*l = r->location;

	if (l == NULL)
		return acme_err_set(err, ACME_EPROTO, "%s: no Location", what);
	if (strlen(l) > ACME_URL_MAX || (strncmp(l, "https://", 8) != 0 &&
	    !(c->allow_http && strncmp(l, "http://", 7) == 0)) ||
	    strpbrk(l, " \t\r\n") != NULL)
		return acme_err_set(err, ACME_EPROTO, "%s: bad Location",
		    what);
	if ((*out = strdup(l)) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "%s", what);
	return 0;
}
