/*
 * rocsp.h - OCSP (RFC 6960) for the revocation engine, pure: builds
 * requests and verifies responses (fetched or stapled) without I/O, with
 * the time passed in. Prefix rocsp_ keeps out of OpenSSL's OCSP_ names.
 */
#ifndef CERTD_ROCSP_H
#define CERTD_ROCSP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "rev.h"

#define ROCSP_NONCE_LEN		32	/* bytes we send; RFC 8954 max */
#define ROCSP_GET_MAX		255	/* bytes of a GET URL (RFC 5019 §5) */
#define ROCSP_REQ_MAX		4096	/* bytes of a request we build */

struct cd_err;

struct rocsp_result {
	enum rev_status	 status;
	int		 reason;	/* REV_REASON_NONE or CRLReason */
	time_t		 revoked_at;	/* 0 unless revoked */
	time_t		 this_update;
	time_t		 next_update;	/* 0: absent */
	char		 detail[256];	/* set for REV_UNKNOWN */
};

/*
 * Build a DER OCSPRequest for cert, issued by issuer: one CertID with
 * SHA-1 (what public CAs expect), and when nonce is true a fresh
 * ROCSP_NONCE_LEN-byte random nonce, copied to nonce_out (at least
 * ROCSP_NONCE_LEN bytes) with its length in *nonce_len (0 without one),
 * to be given back to rocsp_check(). *der is malloc'd, owned by the
 * caller. -1: err filled; the outputs are then untouched.
 */
int	rocsp_request(X509 *cert, X509 *issuer, bool nonce,
	    unsigned char **der, size_t *len, unsigned char *nonce_out,
	    size_t *nonce_len, struct cd_err *err);

/*
 * The GET form of a request (RFC 6960 Appendix A.1): base_url, a '/'
 * unless it already ends with one, then the URL-encoded base64 of der.
 * Returns a malloc'd string owned by the caller, or NULL with err filled
 * when it cannot be built or would be longer than ROCSP_GET_MAX bytes
 * (then use POST).
 */
char	*rocsp_get_url(const char *base_url, const void *der, size_t len,
	    struct cd_err *err);

/*
 * Verify an OCSP response (fetched or stapled: untrusted bytes) about
 * cert, whose issuer is issuer (the caller has validated that issuer: it
 * becomes the trust anchor here). Accepted signers: the issuer itself, or
 * a responder certificate with id-kp-OCSPSigning issued by the issuer
 * (RFC 6960 §4.2.2.2); never a responder of another CA, even one in trust.
 * trust (may be NULL) only adds certificates above the issuer. nonce:
 * what rocsp_request() sent (NULL: none); a differing nonce is rejected,
 * a missing one is accepted on the strength of the time checks. Times
 * are compared with now and REV_SKEW; max_age (0: REV_OCSP_MAX_AGE)
 * bounds the age of thisUpdate when nextUpdate is absent.
 * 0: *out holds GOOD, REVOKED (reason, time) or UNKNOWN (the responder
 * does not know the certificate; detail says so). -1: the response cannot
 * be used (err says why: CD_ETEMP for tryLater, CD_EPROTO or CD_ECRYPTO
 * otherwise); it is never turned into GOOD.
 */
int	rocsp_check(const void *der, size_t len, X509 *cert, X509 *issuer,
	    X509_STORE *trust, const unsigned char *nonce, size_t nonce_len,
	    time_t now, time_t max_age, struct rocsp_result *out,
	    struct cd_err *err);

#endif
