/*
 * verdict.c - the revocation engine (DESIGN.md §4 steps 1-4). It asks the
 * cache, validates the chain (fetching missing intermediates from AIA,
 * never as anchors), then the stapled OCSP response, the CRLs and the
 * OCSP responders in the configured order. Every network answer is
 * untrusted and goes through the pure checks of crl.c and rocsp.c first;
 * anything that cannot be used makes the answer UNKNOWN, never GOOD.
 */
#include "verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>

#include "chain.h"
#include "crl.h"
#include "fetch.h"
#include "revcache.h"
#include "rocsp.h"

#define AIA_TTL		(7 * 86400)	/* seconds a caIssuers file is kept */

struct vctx {
	const struct verdict_opts *o;
	X509			*leaf;
	X509			*issuer;	/* validated; borrowed */
	char			 fpr[CHAIN_FPR_HEX];
	struct rev_result	*r;
	char			 why[sizeof(((struct rev_result *)0)->detail)];
};

void
verdict_opts_init(struct verdict_opts *o, time_t now)
{
	memset(o, 0, sizeof(*o));
	o->order[0] = REV_SRC_CRL;
	o->order[1] = REV_SRC_OCSP;
	o->norder = 2;
	o->crl_max = REV_CRL_MAX_DEFAULT;
	o->cache_max_age = VERDICT_CACHE_MAX_AGE;
	o->timeout = VERDICT_TIMEOUT;
	o->now = now;
}

int
verdict_parse_order(const char *s, struct verdict_opts *o,
    struct cd_err *err)
{
	if (strcmp(s, "crl,ocsp") == 0 || strcmp(s, "ocsp,crl") == 0) {
		o->order[0] = s[0] == 'c' ? REV_SRC_CRL : REV_SRC_OCSP;
		o->order[1] = s[0] == 'c' ? REV_SRC_OCSP : REV_SRC_CRL;
		o->norder = 2;
	} else if (strcmp(s, "crl") == 0 || strcmp(s, "ocsp") == 0) {
		o->order[0] = s[0] == 'c' ? REV_SRC_CRL : REV_SRC_OCSP;
		o->norder = 1;
	} else
		return cd_err_set(err, CD_EUSAGE, "revocation order \"%.32s\": "
		    "use crl,ocsp, ocsp,crl, crl or ocsp", s);
	return 0;
}

/* Adds one reason to the UNKNOWN explanation. */
static void
why(struct vctx *v, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n = strlen(v->why);

	if (n > 0 && n + 2 < sizeof(v->why)) {
		memcpy(v->why + n, "; ", 3);
		n += 2;
	}
	if (n + 1 >= sizeof(v->why))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(v->why + n, sizeof(v->why) - n, fmt, ap);
	va_end(ap);
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm	 tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* How long an answer may be reused: until the source's next update, the
 * certificate's expiry and the configured cap, whichever comes first. */
static time_t
until(const struct vctx *v, time_t next_update)
{
	time_t	 t = v->o->now + v->o->cache_max_age;
	time_t	 na = asn1_time(X509_get0_notAfter(v->leaf));

	if (next_update != 0 && next_update < t)
		t = next_update;
	if (na != 0 && na < t)
		t = na;
	/* a source inside the skew past its nextUpdate: usable now, not
	 * reusable later */
	return t < v->o->now ? v->o->now : t;
}

static void
decide(struct vctx *v, enum rev_status st, enum rev_source src,
    const char *url, int reason, time_t when, time_t next_update)
{
	struct rev_result	*r = v->r;

	r->status = st;
	r->source = src;
	r->reason = st == REV_REVOKED ? reason : REV_REASON_NONE;
	r->revoked_at = st == REV_REVOKED ? when : 0;
	r->valid_until = until(v, next_update);
	(void)snprintf(r->url, sizeof(r->url), "%s", url != NULL ? url : "");
}

/* chain.c asks for missing intermediates: cached, else fetched */
static int
aia_fetch(void *arg, const char *url, unsigned char **der, size_t *len,
    struct cd_err *err)
{
	const struct verdict_opts	*o = ((struct vctx *)arg)->o;
	struct fetch_req		 req;
	struct fetch_resp		 resp;

	if (o->cache != NULL &&
	    revcache_aia_get(o->cache, url, o->now, der, len, err) == 0)
		return 0;
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.max = REV_AIA_MAX;
	req.timeout = o->timeout;
	if (fetch_one(&req, &resp, err) == -1)
		return -1;
	*der = resp.body;
	*len = resp.len;
	resp.body = NULL;
	fetch_resp_clear(&resp);
	/* stored as fetched; chain.c parses it again on every use */
	if (o->cache != NULL)
		(void)revcache_aia_put(o->cache, url, *der, *len, o->now,
		    o->now + AIA_TTL, NULL);
	return 0;
}

/* true (and a reason noted) while url is in failure backoff */
static bool
backing_off(struct vctx *v, const char *url)
{
	char		 text[200];
	time_t		 when;
	unsigned	 n;

	if (v->o->cache == NULL || revcache_failure_retry_at(v->o->cache, url,
	    v->o->now, &when, &n, text, sizeof(text), NULL) != 0)
		return false;
	why(v, "%s: %u failure%s, next try in %lld s (%s)", url, n,
	    n == 1 ? "" : "s", (long long)(when - v->o->now), text);
	return true;
}

static void
failed(struct vctx *v, const char *url, const struct cd_err *err)
{
	why(v, "%s", err->msg);
	if (v->o->cache != NULL)
		(void)revcache_failure_note(v->o->cache, url, err->msg,
		    v->o->now, NULL);
}

static int
crl_answer(struct vctx *v, const struct crl *c, const char *url)
{
	unsigned char	 serial[REV_SERIAL_MAX];
	size_t		 slen = sizeof(serial);
	struct cd_err	 err;
	bool		 revoked;
	int		 reason;
	time_t		 when;

	if (crl_cert_serial(v->leaf, serial, &slen, &err) == -1 ||
	    crl_lookup(c, serial, slen, &revoked, &reason, &when) == -1) {
		why(v, "%s: serial cannot be looked up", url);
		return 0;
	}
	decide(v, revoked ? REV_REVOKED : REV_GOOD, REV_SRC_CRL, url, reason,
	    when, crl_next_update(c));
	return 1;
}

/* 1: decided, 0: not (reason noted), -1: the cache database failed */
static int
from_crl(struct vctx *v, const char *url, struct cd_err *err)
{
	const struct verdict_opts	*o = v->o;
	struct revcache_crl		 rc, put;
	struct fetch_req		 req;
	struct fetch_resp		 resp;
	struct crl			*c = NULL;
	struct cd_err			 e;
	char				 ifpr[CHAIN_FPR_HEX];
	int				 got = 1, ret = 0;

	memset(&rc, 0, sizeof(rc));
	memset(&resp, 0, sizeof(resp));
	if (chain_fingerprint(v->issuer, ifpr, err) == -1)
		return -1;
	if (o->cache != NULL) {
		got = revcache_crl_get(o->cache, url, o->now,
		    REVCACHE_CRL_INDEX, &rc, err);
		if (got == -1)
			return -1;
		/* a cached index serves only the issuer it was checked for */
		if (got == 0 && strcmp(rc.issuer_sha256, ifpr) != 0) {
			revcache_crl_clear(&rc);
			got = 1;
		}
		if (got == 0 && (c = crl_index_load(rc.index, rc.index_len,
		    &e)) != NULL && crl_check_time(c, o->now, &e) == -1) {
			crl_free(c);
			c = NULL;
		}
		/* before its nextUpdate a cached CRL is the answer; after it
		 * (within the skew) only if no newer one can be had */
		if (c != NULL && rc.fresh) {
			ret = crl_answer(v, c, url);
			goto out;
		}
	}
	if (backing_off(v, url))
		goto cached;
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.max = o->crl_max;
	req.timeout = o->timeout;
	if (got == 0) {
		req.etag = rc.etag;
		req.last_modified = rc.last_modified;
	}
	if (fetch_one(&req, &resp, &e) == -1) {
		failed(v, url, &e);
		goto cached;
	}
	if (resp.not_modified) {
		/* the same CRL as ours: usable exactly as on a 200 */
		if (o->cache != NULL)
			(void)revcache_crl_touch(o->cache, url, o->now, NULL);
		if (c == NULL)
			why(v, "%s: CRL not updated since its nextUpdate", url);
		goto cached;
	}
	crl_free(c);
	if ((c = crl_parse(resp.body, resp.len, o->crl_max, &e)) == NULL ||
	    crl_verify(c, v->issuer, o->now, &e) == -1 ||
	    crl_scope_check(c, false, url, &e) == -1) {
		failed(v, url, &e);
		goto out;
	}
	if (o->cache != NULL) {
		memset(&put, 0, sizeof(put));
		put.etag = resp.etag;
		put.last_modified = resp.last_modified;
		put.this_update = crl_this_update(c);
		put.next_update = crl_next_update(c);
		put.fetched_at = o->now;
		put.size = resp.len;
		memcpy(put.issuer_sha256, ifpr, sizeof(ifpr));
		if (crl_index_serialize(c, &put.index, &put.index_len,
		    err) == -1) {
			ret = -1;
			goto out;
		}
		ret = revcache_crl_put(o->cache, url, &put, err);
		free(put.index);
		if (ret == -1)
			goto out;
		(void)revcache_failure_clear(o->cache, url, NULL);
	}
	ret = crl_answer(v, c, url);
	goto out;
cached:
	/* no newer CRL could be had: the cached one while it is in time */
	if (c != NULL)
		ret = crl_answer(v, c, url);
out:
	crl_free(c);
	fetch_resp_clear(&resp);
	revcache_crl_clear(&rc);
	return ret;
}

static int
ocsp_answer(struct vctx *v, const struct rocsp_result *res,
    enum rev_source src, const char *url)
{
	if (res->status == REV_UNKNOWN) {
		why(v, "%s: %s", url, res->detail[0] != '\0' ? res->detail :
		    "the responder does not know the certificate");
		return 0;
	}
	decide(v, res->status, src, url, res->reason, res->revoked_at,
	    res->next_update != 0 ? res->next_update :
	    res->this_update + REV_OCSP_MAX_AGE);
	return 1;
}

static int
from_ocsp(struct vctx *v, const char *url, struct cd_err *err)
{
	const struct verdict_opts	*o = v->o;
	struct revcache_ocsp		 cached, put;
	struct rocsp_result		 res;
	struct fetch_req		 req;
	struct fetch_resp		 resp;
	struct cd_err			 e;
	unsigned char			*der = NULL, nonce[ROCSP_NONCE_LEN];
	size_t				 len = 0, nlen = 0;
	char				*geturl = NULL, ubuf[REV_URL_MAX + 1];
	int				 got, ret = 0;

	memset(&resp, 0, sizeof(resp));
	memset(&cached, 0, sizeof(cached));
	/* keyed by the certificate: one responder answer per certificate */
	if (o->cache != NULL) {
		if ((got = revcache_ocsp_get(o->cache, v->fpr, o->now, &cached,
		    err)) == -1)
			return -1;
		if (got == 0 && rocsp_check(cached.der, cached.len, v->leaf,
		    v->issuer, o->store, NULL, 0, o->now, 0, &res, &e) == 0) {
			ret = ocsp_answer(v, &res, REV_SRC_OCSP, url);
			goto out;
		}
	}
	if (backing_off(v, url))
		goto out;
	if (rocsp_request(v->leaf, v->issuer, o->ocsp_nonce, &der, &len,
	    nonce, &nlen, &e) == -1) {
		why(v, "%s: %s", url, e.msg);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.max = REV_OCSP_MAX;
	req.timeout = o->timeout;
	/* RFC 5019 §5: GET when small, so caches in between can help;
	 * never with a nonce, which makes every request unique */
	if (nlen == 0 && (geturl = rocsp_get_url(url, der, len, NULL)) !=
	    NULL)
		req.url = geturl;
	else {
		req.url = url;
		req.method = "POST";
		req.body = der;
		req.len = len;
		req.content_type = "application/ocsp-request";
	}
	if (fetch_one(&req, &resp, &e) == -1) {
		failed(v, url, &e);
		goto out;
	}
	if (rocsp_check(resp.body, resp.len, v->leaf, v->issuer, o->store,
	    nlen > 0 ? nonce : NULL, nlen, o->now, 0, &res, &e) == -1) {
		failed(v, url, &e);
		goto out;
	}
	if (o->cache != NULL && res.status != REV_UNKNOWN) {
		memset(&put, 0, sizeof(put));
		(void)snprintf(ubuf, sizeof(ubuf), "%s", url);
		put.url = ubuf;
		put.der = resp.body;
		put.len = resp.len;
		put.this_update = res.this_update;
		put.next_update = res.next_update != 0 ? res.next_update :
		    res.this_update + REV_OCSP_MAX_AGE;
		put.fetched_at = o->now;
		if (revcache_ocsp_put(o->cache, v->fpr, &put, err) == -1) {
			ret = -1;
			goto out;
		}
		(void)revcache_failure_clear(o->cache, url, NULL);
	}
	ret = ocsp_answer(v, &res, REV_SRC_OCSP, url);
out:
	revcache_ocsp_clear(&cached);
	fetch_resp_clear(&resp);
	free(geturl);
	free(der);
	return ret;
}

/* Tries every URL of one source; 1 decided, 0 not, -1 engine failure. */
static int
from_source(struct vctx *v, enum rev_source src, char **urls, size_t n,
    struct cd_err *err)
{
	size_t	 i;
	int	 rc;

	for (i = 0; i < n; i++) {
		rc = src == REV_SRC_CRL ? from_crl(v, urls[i], err) :
		    from_ocsp(v, urls[i], err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
engine(struct vctx *v, STACK_OF(X509) *untrusted, const unsigned char *staple,
    size_t staple_len, struct cd_err *err)
{
	const struct verdict_opts	*o = v->o;
	struct chain_opts		 co;
	struct chain_result		 cr;
	struct rocsp_result		 res;
	struct cd_err			 e;
	char				**crl = NULL, **ocsp = NULL;
	size_t				 ncrl = 0, nocsp = 0, i;
	int				 rc = -1, got = 0;

	memset(&cr, 0, sizeof(cr));
	chain_opts_init(&co);
	co.store = o->store;
	co.now = o->now;
	co.aia_fetch = aia_fetch;
	co.aia_arg = v;
	co.max_aia = CHAIN_AIA_DEFAULT;
	if (chain_verify(v->leaf, untrusted, &co, &cr, err) == -1)
		goto out;
	if (!cr.trusted) {
		why(v, "untrusted chain: %s", cr.reason);
		rc = 0;
		goto out;
	}
	if (cr.leaf_is_anchor) {
		why(v, "the certificate is itself a trust anchor: no "
		    "revocation source applies");
		rc = 0;
		goto out;
	}
	v->issuer = cr.issuer;
	if (staple != NULL && staple_len > 0) {
		if (rocsp_check(staple, staple_len, v->leaf, v->issuer, o->store,
		    NULL, 0, o->now, 0, &res, &e) == 0 &&
		    ocsp_answer(v, &res, REV_SRC_STAPLED, "stapled") == 1) {
			v->r->url[0] = '\0';
			rc = 0;
			goto out;
		}
		if (v->r->status == REV_UNKNOWN && strlen(v->why) == 0)
			why(v, "stapled OCSP response: %s", e.msg);
	}
	if (chain_crl_urls(v->leaf, &crl, &ncrl, err) == -1 ||
	    chain_ocsp_urls(v->leaf, &ocsp, &nocsp, err) == -1)
		goto out;
	if (ncrl == 0 && nocsp == 0) {
		if (chain_is_short_lived(v->leaf, 0)) {
			decide(v, REV_GOOD, REV_SRC_NONE, NULL, 0, 0, 0);
			v->r->short_lived = true;
			(void)snprintf(v->r->detail, sizeof(v->r->detail),
			    "good, short-lived, no revocation source");
		} else
			why(v, "no revocation source: no CRL distribution "
			    "point and no OCSP URL");
		rc = 0;
		goto out;
	}
	for (i = 0; i < o->norder && got == 0; i++) {
		if (o->order[i] == REV_SRC_CRL)
			got = from_source(v, REV_SRC_CRL, crl, ncrl, err);
		else
			got = from_source(v, REV_SRC_OCSP, ocsp, nocsp, err);
	}
	if (got == -1)
		goto out;
	if (got == 0 && strlen(v->why) == 0)
		why(v, "no usable source in the configured order");
	rc = 0;
out:
	chain_urls_free(crl, ncrl);
	chain_urls_free(ocsp, nocsp);
	chain_result_clear(&cr);
	v->issuer = NULL;
	return rc;
}

/* The verdict cache key: SHA-256 over the certificate's fingerprint and
 * the trust anchors' name, since the answer depends on both. */
static int
verdict_key(const char *fpr, const char *trust_id, char out[CHAIN_FPR_HEX],
    struct cd_err *err)
{
	static const char	 hx[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;
	EVP_MD_CTX		*ctx;
	int			 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return cd_err_set(err, CD_ENOMEM, "verdict key");
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, fpr, strlen(fpr)) == 1 &&
	    EVP_DigestUpdate(ctx, "|", 1) == 1 &&
	    EVP_DigestUpdate(ctx, trust_id != NULL ? trust_id : "",
	    trust_id != NULL ? strlen(trust_id) : 0) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return cd_err_crypto(err, "verdict key");
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 0xf];
	}
	out[2 * mdlen] = '\0';
	return 0;
}

int
verdict_check(X509 *leaf, STACK_OF(X509) *untrusted,
    const unsigned char *staple, size_t staple_len,
    const struct verdict_opts *o, struct rev_result *r, struct cd_err *err)
{
	struct vctx	 v;
	char		 key[CHAIN_FPR_HEX];
	int		 got;

	memset(r, 0, sizeof(*r));
	memset(&v, 0, sizeof(v));
	r->status = REV_UNKNOWN;
	r->reason = REV_REASON_NONE;
	r->checked_at = o->now;
	v.o = o;
	v.leaf = leaf;
	v.r = r;
	if (chain_fingerprint(leaf, v.fpr, err) == -1 ||
	    verdict_key(v.fpr, o->trust_id, key, err) == -1)
		return -1;
	if (o->cache != NULL) {
		if ((got = revcache_verdict_get(o->cache, key, o->now, r,
		    err)) == -1)
			return -1;
		if (got == 0) {
			r->source = REV_SRC_CACHE;
			return 0;
		}
		memset(r, 0, sizeof(*r));
		r->status = REV_UNKNOWN;
		r->reason = REV_REASON_NONE;
		r->checked_at = o->now;
	}
	if (engine(&v, untrusted, staple, staple_len, err) == -1)
		return -1;
	if (r->status == REV_UNKNOWN && r->source == REV_SRC_NONE) {
		r->valid_until = o->now + VERDICT_UNKNOWN_TTL;
		(void)snprintf(r->detail, sizeof(r->detail), "%s", v.why);
	}
	if (o->cache != NULL &&
	    revcache_verdict_put(o->cache, key, r, err) == -1)
		return -1;
	return 0;
}
