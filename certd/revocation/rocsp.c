/*
 * rocsp.c - OCSP (RFC 6960) requests and responses, pure: no I/O, no
 * clock. Responses (fetched over plain http or stapled by a peer) are
 * hostile input: bounded, parsed with nothing trailing, and trusted only
 * when signed by the issuer or by its id-kp-OCSPSigning delegate.
 */
#include "rocsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"

/* 9999-12-31T23:59:59Z: keeps now +/- REV_SKEW and max_age in range */
#define NOW_MAX		((time_t)253402300799LL)

int
rocsp_request(X509 *cert, X509 *issuer, bool nonce, unsigned char **der,
    size_t *len, unsigned char *nonce_out, size_t *nonce_len,
    struct cd_err *err)
{
	OCSP_REQUEST	*req = NULL;
	OCSP_CERTID	*id = NULL;
	unsigned char	 n[ROCSP_NONCE_LEN];
	unsigned char	*buf = NULL, *p;
	int		 dlen, rc = -1;

	if (cert == NULL || issuer == NULL)
		return cd_err_set(err, CD_ECONFIG,
		    "ocsp: request without certificate or issuer");
	if (nonce && (nonce_out == NULL || nonce_len == NULL))
		return cd_err_set(err, CD_ECONFIG,
		    "ocsp: nowhere to keep the nonce");
	ERR_clear_error();
	/* SHA-1 CertID: what public responders index by (RFC 5019 §2.1.1) */
	if ((req = OCSP_REQUEST_new()) == NULL ||
	    (id = OCSP_cert_to_id(EVP_sha1(), cert, issuer)) == NULL ||
	    OCSP_request_add0_id(req, id) == NULL) {
		cd_err_crypto(err, "ocsp: cannot build request");
		goto out;
	}
	id = NULL;			/* now owned by req */
	if (nonce && (RAND_bytes(n, sizeof(n)) != 1 ||
	    OCSP_request_add1_nonce(req, n, (int)sizeof(n)) != 1)) {
		cd_err_crypto(err, "ocsp: cannot add nonce");
		goto out;
	}
	dlen = i2d_OCSP_REQUEST(req, NULL);
	if (dlen <= 0 || dlen > ROCSP_REQ_MAX) {
		cd_err_crypto(err, "ocsp: cannot encode request");
		goto out;
	}
	if ((buf = malloc((size_t)dlen)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "ocsp: request: out of memory");
		goto out;
	}
	p = buf;
	if (i2d_OCSP_REQUEST(req, &p) != dlen) {
		cd_err_crypto(err, "ocsp: cannot encode request");
		goto out;
	}
	*der = buf;
	*len = (size_t)dlen;
	buf = NULL;
	if (nonce) {
		memcpy(nonce_out, n, sizeof(n));
		*nonce_len = sizeof(n);
	} else if (nonce_len != NULL)
		*nonce_len = 0;
	rc = 0;
out:
	free(buf);
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	return rc;
}

/* characters of base64 that RFC 3986 wants percent-encoded in a path */
static const char *
url_escape(unsigned char c)
{
	switch (c) {
	case '+':
		return "%2B";
	case '/':
		return "%2F";
	case '=':
		return "%3D";
	default:
		return NULL;
	}
}

char *
rocsp_get_url(const char *base_url, const void *der, size_t len,
    struct cd_err *err)
{
	unsigned char	 b64[ROCSP_GET_MAX + 1];
	char		*url, *o;
	const char	*esc;
	size_t		 blen, need, i;
	int		 n, slash;

	if (base_url == NULL || (blen = strlen(base_url)) == 0 || len == 0) {
		cd_err_set(err, CD_ECONFIG, "ocsp: GET: no URL or request");
		return NULL;
	}
	/* base64 is 4 bytes per 3: the request alone must fit in the URL */
	if (blen > ROCSP_GET_MAX || len > ROCSP_GET_MAX / 4 * 3) {
		cd_err_set(err, CD_EPROTO, "ocsp: request of %zu bytes too "
		    "long for GET, use POST", len);
		return NULL;
	}
	n = EVP_EncodeBlock(b64, der, (int)len);	/* NUL-terminated */
	slash = base_url[blen - 1] != '/';
	need = blen + (size_t)slash;
	for (i = 0; i < (size_t)n; i++)
		need += url_escape(b64[i]) != NULL ? 3 : 1;
	if (need > ROCSP_GET_MAX) {
		cd_err_set(err, CD_EPROTO,
		    "ocsp: GET URL of %zu bytes too long, use POST", need);
		return NULL;
	}
	if ((url = malloc(need + 1)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "ocsp: GET URL: out of memory");
		return NULL;
	}
	memcpy(url, base_url, blen);
	o = url + blen;
	if (slash)
		*o++ = '/';
	for (i = 0; i < (size_t)n; i++) {
		if ((esc = url_escape(b64[i])) != NULL) {
			memcpy(o, esc, 3);
			o += 3;
		} else
			*o++ = (char)b64[i];
	}
	*o = '\0';
	return url;
}

/* RFC 6960 §4.2.1 OCSPResponseStatus, for messages */
static const char *
resp_status_name(int s)
{
	switch (s) {
	case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST:
		return "malformedRequest";
	case OCSP_RESPONSE_STATUS_INTERNALERROR:
		return "internalError";
	case OCSP_RESPONSE_STATUS_TRYLATER:
		return "tryLater";
	case OCSP_RESPONSE_STATUS_SIGREQUIRED:
		return "sigRequired";
	case OCSP_RESPONSE_STATUS_UNAUTHORIZED:
		return "unauthorized";
	default:
		return "unrecognized status";
	}
}

static int
asn1_to_time(const ASN1_TIME *t, time_t *out, struct cd_err *err)
{
	struct tm	 tm;
	time_t		 v;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    (v = timegm(&tm)) == (time_t)-1)
		return cd_err_set(err, CD_EPROTO, "ocsp: bad time");
	*out = v;
	return 0;
}

/*
 * A temporary store: the issuer (validated by the caller, so anchored
 * even when it is an intermediate: PARTIAL_CHAIN) plus the certificates
 * of the caller's trust store; verification happens at `now`.
 */
static X509_STORE *
store_new(X509 *issuer, X509_STORE *trust, time_t now, struct cd_err *err)
{
	X509_STORE		*st;
	STACK_OF(X509_OBJECT)	*objs;
	X509			*x;
	int			 i, ok = 1;

	if ((st = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(st, issuer) != 1)
		goto fail;
	if (trust != NULL) {
		if (X509_STORE_lock(trust) != 1)
			goto fail;
		objs = X509_STORE_get0_objects(trust);
		for (i = 0; ok && i < sk_X509_OBJECT_num(objs); i++) {
			x = X509_OBJECT_get0_X509(
			    sk_X509_OBJECT_value(objs, i));
			if (x != NULL && X509_STORE_add_cert(st, x) != 1)
				ok = 0;
		}
		(void)X509_STORE_unlock(trust);
		if (!ok)
			goto fail;
	}
	if (X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN) != 1)
		goto fail;
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st), now);
	return st;
fail:
	cd_err_crypto(err, "ocsp: cannot build verification store");
	X509_STORE_free(st);
	return NULL;
}

static bool
respid_is(X509 *x, const ASN1_OCTET_STRING *keyid, const X509_NAME *name)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n;

	if (name != NULL)
		return X509_NAME_cmp(X509_get_subject_name(x), name) == 0;
	if (keyid == NULL || ASN1_STRING_length(keyid) != SHA_DIGEST_LENGTH ||
	    X509_pubkey_digest(x, EVP_sha1(), md, &n) != 1 ||
	    n != SHA_DIGEST_LENGTH)
		return false;
	return memcmp(md, ASN1_STRING_get0_data(keyid), n) == 0;
}

/*
 * Our own check of who signed, on top of OCSP_basic_verify() and not
 * relying on its internals: the ResponderID is looked up the way OpenSSL
 * does (our issuer first, then the certificates in the response), its key
 * must verify the signature, and it must be the issuer or a certificate
 * signed by the issuer's key with id-kp-OCSPSigning, valid at now
 * (RFC 6960 §4.2.2.2).
 */
static int
signer_check(OCSP_BASICRESP *bs, X509 *issuer, time_t now,
    struct cd_err *err)
{
	const STACK_OF(X509)		*bcerts;
	const ASN1_OCTET_STRING		*keyid = NULL;
	const X509_NAME			*name = NULL;
	X509				*signer = NULL, *x;
	EVP_PKEY			*ikey, *skey;
	int				 i;

	if (OCSP_resp_get0_id(bs, &keyid, &name) != 1)
		return cd_err_set(err, CD_EPROTO, "ocsp: no responder id");
	if (respid_is(issuer, keyid, name))
		signer = issuer;
	bcerts = OCSP_resp_get0_certs(bs);
	for (i = 0; signer == NULL && i < sk_X509_num(bcerts); i++) {
		x = sk_X509_value(bcerts, i);
		if (respid_is(x, keyid, name))
			signer = x;
	}
	if (signer == NULL)
		return cd_err_set(err, CD_EPROTO, "ocsp: signer not found");
	ERR_clear_error();
	if ((skey = X509_get0_pubkey(signer)) == NULL ||
	    ASN1_item_verify(ASN1_ITEM_rptr(OCSP_RESPDATA),
	    OCSP_resp_get0_tbs_sigalg(bs), OCSP_resp_get0_signature(bs),
	    OCSP_resp_get0_respdata(bs), skey) != 1)
		return cd_err_crypto(err, "ocsp: bad response signature");
	if (signer == issuer)
		return 0;
	if ((ikey = X509_get0_pubkey(issuer)) == NULL ||
	    X509_check_issued(issuer, signer) != X509_V_OK ||
	    X509_verify(signer, ikey) != 1)
		return cd_err_crypto(err,
		    "ocsp: responder not issued by the certificate's issuer");
	if ((X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) == 0 ||
	    (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN) == 0)
		return cd_err_set(err, CD_EPROTO,
		    "ocsp: responder lacks id-kp-OCSPSigning");
	if (X509_cmp_time(X509_get0_notBefore(signer), &now) >= 0 ||
	    X509_cmp_time(X509_get0_notAfter(signer), &now) <= 0)
		return cd_err_set(err, CD_EPROTO,
		    "ocsp: responder certificate not valid now");
	return 0;
}

/*
 * The SingleResponse about cert: by SHA-1 CertID, else by SHA-256.
 * More than one answer about the certificate is ambiguous: rejected.
 */
static int
single_find(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer,
    OCSP_SINGLERESP **out, struct cd_err *err)
{
	const EVP_MD	*mds[2];
	OCSP_CERTID	*id;
	size_t		 i;
	int		 idx, again;

	mds[0] = EVP_sha1();
	mds[1] = EVP_sha256();
	for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		ERR_clear_error();
		if ((id = OCSP_cert_to_id(mds[i], cert, issuer)) == NULL)
			return cd_err_crypto(err, "ocsp: cannot build CertID");
		idx = OCSP_resp_find(bs, id, -1);
		again = idx >= 0 ? OCSP_resp_find(bs, id, idx) : -1;
		OCSP_CERTID_free(id);
		if (again >= 0)
			return cd_err_set(err, CD_EPROTO,
			    "ocsp: several answers about the certificate");
		if (idx >= 0) {
			*out = OCSP_resp_get0(bs, idx);
			return 0;
		}
	}
	return cd_err_set(err, CD_EPROTO,
	    "ocsp: response is not about the certificate (CertID)");
}

/*
 * The nonce we sent (RFC 8954): OCSP_request_add1_nonce() put it in the
 * extension as a DER OCTET STRING; the response must carry the same
 * bytes. An absent nonce is accepted (OCSP_check_nonce() says -1): the
 * time checks alone then bound a replay.
 */
static int
nonce_check(OCSP_BASICRESP *bs, const unsigned char *nonce, size_t nlen,
    struct cd_err *err)
{
	const ASN1_OCTET_STRING	*v;
	X509_EXTENSION		*ext;
	unsigned char		 want[2 + ROCSP_NONCE_LEN];
	int			 idx;

	idx = OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1);
	if (idx < 0)
		return 0;
	if (OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce,
	    idx) >= 0)
		return cd_err_set(err, CD_EPROTO, "ocsp: duplicate nonce");
	if ((ext = OCSP_BASICRESP_get_ext(bs, idx)) == NULL ||
	    (v = X509_EXTENSION_get_data(ext)) == NULL)
		return cd_err_set(err, CD_EPROTO, "ocsp: bad nonce");
	want[0] = V_ASN1_OCTET_STRING;
	want[1] = (unsigned char)nlen;		/* <= 32: short form */
	memcpy(want + 2, nonce, nlen);
	if ((size_t)ASN1_STRING_length(v) != nlen + 2 ||
	    memcmp(ASN1_STRING_get0_data(v), want, nlen + 2) != 0)
		return cd_err_set(err, CD_EPROTO, "ocsp: nonce mismatch");
	return 0;
}

/* RFC 6960 §4.2.2.1 / RFC 5019 §4: the answer is current at now */
static int
window_check(const ASN1_GENERALIZEDTIME *thisupd,
    const ASN1_GENERALIZEDTIME *nextupd, time_t now, time_t max_age,
    struct cd_err *err)
{
	time_t	 oldest;
	int	 c;

	if (thisupd == NULL)
		return cd_err_set(err, CD_EPROTO, "ocsp: no thisUpdate");
	if ((c = ASN1_TIME_cmp_time_t(thisupd, now + REV_SKEW)) == -2)
		return cd_err_set(err, CD_EPROTO, "ocsp: bad thisUpdate");
	if (c > 0)
		return cd_err_set(err, CD_EPROTO,
		    "ocsp: thisUpdate is in the future");
	if (nextupd != NULL) {
		if (ASN1_TIME_compare(nextupd, thisupd) < 0)
			return cd_err_set(err, CD_EPROTO,
			    "ocsp: nextUpdate before thisUpdate");
		if ((c = ASN1_TIME_cmp_time_t(nextupd, now - REV_SKEW)) == -2)
			return cd_err_set(err, CD_EPROTO,
			    "ocsp: bad nextUpdate");
		if (c < 0)
			return cd_err_set(err, CD_EPROTO,
			    "ocsp: stale response (nextUpdate has passed)");
		return 0;
	}
	oldest = max_age >= now ? 0 : now - max_age;
	if ((c = ASN1_TIME_cmp_time_t(thisupd, oldest)) == -2)
		return cd_err_set(err, CD_EPROTO, "ocsp: bad thisUpdate");
	if (c < 0)
		return cd_err_set(err, CD_EPROTO, "ocsp: stale response "
		    "(no nextUpdate, thisUpdate older than %lld s)",
		    (long long)max_age);
	return 0;
}

int
rocsp_check(const void *der, size_t len, X509 *cert, X509 *issuer,
    X509_STORE *trust, const unsigned char *nonce, size_t nonce_len,
    time_t now, time_t max_age, struct rocsp_result *out,
    struct cd_err *err)
{
	const unsigned char	*p = der;
	OCSP_RESPONSE		*resp = NULL;
	OCSP_BASICRESP		*bs = NULL;
	OCSP_SINGLERESP		*single = NULL;
	X509_STORE		*st = NULL;
	STACK_OF(X509)		*certs = NULL;
	ASN1_GENERALIZEDTIME	*revtime = NULL, *thisupd = NULL;
	ASN1_GENERALIZEDTIME	*nextupd = NULL;
	struct rocsp_result	 r;
	int			 rstat, status, reason = -1, rc = -1;

	if (len == 0 || len > REV_OCSP_MAX)
		return cd_err_set(err, CD_EPROTO,
		    "ocsp: response of %zu bytes (max %d)", len, REV_OCSP_MAX);
	if (der == NULL || cert == NULL || issuer == NULL || out == NULL)
		return cd_err_set(err, CD_ECONFIG, "ocsp: missing argument");
	if (nonce != NULL && (nonce_len == 0 || nonce_len > ROCSP_NONCE_LEN))
		return cd_err_set(err, CD_ECONFIG, "ocsp: nonce length %zu",
		    nonce_len);
	if (now < REV_SKEW || now > NOW_MAX - REV_SKEW || max_age < 0)
		return cd_err_set(err, CD_ECONFIG, "ocsp: bad time");
	if (max_age == 0)
		max_age = REV_OCSP_MAX_AGE;
	memset(&r, 0, sizeof(r));
	r.reason = REV_REASON_NONE;

	ERR_clear_error();
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (resp == NULL) {
		cd_err_crypto(err, "ocsp: malformed response");
		goto out;
	}
	if (p != (const unsigned char *)der + len) {
		cd_err_set(err, CD_EPROTO, "ocsp: %zu bytes after the response",
		    len - (size_t)(p - (const unsigned char *)der));
		goto out;
	}
	rstat = OCSP_response_status(resp);
	if (rstat != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		cd_err_set(err, rstat == OCSP_RESPONSE_STATUS_TRYLATER ?
		    CD_ETEMP : CD_EPROTO, "ocsp: responder answered %s (%d)",
		    resp_status_name(rstat), rstat);
		goto out;
	}
	if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		cd_err_crypto(err, "ocsp: not a basic OCSP response");
		goto out;
	}

	/*
	 * Signature and signer. No trust-bypass flag (NOVERIFY, TRUSTOTHER,
	 * NOCHECKS...); OCSP_NOEXPLICIT even removes the one path that would
	 * accept a responder of another CA (an explicitly trusted root).
	 * certs borrows issuer so that a response signed by it directly, or
	 * without the delegate's issuer attached, is found.
	 */
	if ((st = store_new(issuer, trust, now, err)) == NULL)
		goto out;
	if ((certs = sk_X509_new_null()) == NULL ||
	    sk_X509_push(certs, issuer) == 0) {
		cd_err_set(err, CD_ENOMEM, "ocsp: out of memory");
		goto out;
	}
	ERR_clear_error();
	if (OCSP_basic_verify(bs, certs, st, OCSP_NOEXPLICIT) != 1) {
		cd_err_crypto(err, "ocsp: response signer not acceptable");
		goto out;
	}
	if (signer_check(bs, issuer, now, err) == -1)
		goto out;

	if (single_find(bs, cert, issuer, &single, err) == -1)
		goto out;
	if (nonce != NULL && nonce_check(bs, nonce, nonce_len, err) == -1)
		goto out;
	status = OCSP_single_get0_status(single, &reason, &revtime, &thisupd,
	    &nextupd);
	if (window_check(thisupd, nextupd, now, max_age, err) == -1)
		goto out;
	if (asn1_to_time(thisupd, &r.this_update, err) == -1 ||
	    (nextupd != NULL &&
	    asn1_to_time(nextupd, &r.next_update, err) == -1))
		goto out;

	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD:
		r.status = REV_GOOD;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		r.status = REV_REVOKED;
		if (asn1_to_time(revtime, &r.revoked_at, err) == -1)
			goto out;
		/* absent: -1 (OCSP_REVOKED_STATUS_NOSTATUS) */
		if (reason != OCSP_REVOKED_STATUS_NOSTATUS &&
		    rev_reason_name(reason) != NULL)
			r.reason = reason;
		else if (reason != OCSP_REVOKED_STATUS_NOSTATUS)
			(void)snprintf(r.detail, sizeof(r.detail),
			    "unrecognized revocation reason %d", reason);
		break;
	case V_OCSP_CERTSTATUS_UNKNOWN:
		r.status = REV_UNKNOWN;
		(void)snprintf(r.detail, sizeof(r.detail),
		    "the OCSP responder does not know this certificate");
		break;
	default:
		cd_err_set(err, CD_EPROTO, "ocsp: bad certificate status");
		goto out;
	}
	*out = r;
	rc = 0;
out:
	sk_X509_free(certs);	/* borrowed issuer: not pop_free */
	X509_STORE_free(st);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return rc;
}
