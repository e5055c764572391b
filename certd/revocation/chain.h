/*
 * chain.h - a peer certificate's chain: loading it (untrusted PEM),
 * building and validating it with OpenSSL against the trust store, with
 * missing intermediates fetched from AIA caIssuers (never trust anchors),
 * and the facts the revocation engine reads from a certificate (CRL and
 * OCSP URLs, short lifetime, fingerprint, names, serial).
 */
#ifndef CERTD_CHAIN_H
#define CERTD_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "err.h"
#include "rev.h"

#define CHAIN_PEM_MAX		(1024 * 1024)	/* bytes of a PEM chain */
#define CHAIN_CERTS_MAX		10	/* certificates in a PEM or PKCS#7 */
#define CHAIN_DEPTH_MAX		10	/* intermediates OpenSSL may use */
#define CHAIN_AIA_DEFAULT	3	/* caIssuers fetches per chain_verify */
#define CHAIN_URLS_MAX		8	/* URLs taken from one extension */
#define CHAIN_SHORT_LIVED_MAX	(10 * 86400)	/* seconds, CA/B BR 1.2.1 */
#define CHAIN_NAME_MAX		256	/* bytes of a name line, with NUL */
#define CHAIN_SERIAL_MAX	32	/* bytes of a serial we print */
#define CHAIN_SERIAL_HEX	(2 * CHAIN_SERIAL_MAX + 2)	/* buffer */
#define CHAIN_FPR_HEX		65	/* SHA-256 hex + NUL */
#define CHAIN_REASON_MAX	256	/* bytes of chain_result.reason */

/*
 * Fetches url (http:// or https://, already checked) and returns its body
 * in *der (malloc'd, chain.c frees it with free()) and *len (at most
 * REV_AIA_MAX). -1 with err filled on failure. A caller may serve the
 * body from a cache.
 */
typedef int chain_aia_fetch_fn(void *arg, const char *url,
    unsigned char **der, size_t *len, struct cd_err *);

struct chain_opts {
	/*
	 * Trust anchors: store, when not NULL, is used as is (borrowed; see
	 * chain_store_new()). Otherwise a store is loaded for the call from
	 * ca_file and/or ca_path, plus the system store when system_store is
	 * true or when neither ca_file nor ca_path is given (so by default
	 * a CA file replaces the system store, as curl's --cacert does).
	 */
	X509_STORE		*store;
	const char		*ca_file;
	const char		*ca_path;
	bool			 system_store;
	time_t			 now;		/* validity is checked at now */
	chain_aia_fetch_fn	*aia_fetch;	/* NULL: never fetch */
	void			*aia_arg;
	size_t			 max_aia;	/* fetches per call */
};

enum chain_code {
	CHAIN_TRUSTED = 0,
	CHAIN_SELF_SIGNED,	/* self-signed leaf that is not an anchor */
	CHAIN_NO_ISSUER,	/* an issuer is missing (even after AIA) */
	CHAIN_UNTRUSTED_ROOT,	/* the chain ends in a foreign root */
	CHAIN_EXPIRED,		/* some certificate is past notAfter */
	CHAIN_NOT_YET_VALID,
	CHAIN_BAD_SIGNATURE,
	CHAIN_INVALID,		/* any other X509_V_ERR_* */
};

struct chain_result {
	bool		 trusted;	/* code == CHAIN_TRUSTED */
	enum chain_code	 code;
	int		 x509_error;	/* X509_V_ERR_*, X509_V_OK if trusted */
	int		 error_depth;	/* where it failed; 0 is the leaf */
	/*
	 * The chain OpenSSL built, leaf first and, when trusted, the anchor
	 * last. Owned (release with chain_result_clear()). When untrusted
	 * it is the partial chain, for diagnostics only; it may be NULL.
	 */
	STACK_OF(X509)	*chain;
	/*
	 * The leaf's issuer, own reference; set only when trusted. When the
	 * leaf is itself a trust anchor, issuer is the leaf and
	 * leaf_is_anchor is true.
	 */
	X509		*issuer;
	bool		 leaf_is_anchor;
	size_t		 aia_fetched;	/* aia_fetch calls made */
	/* "" when trusted; otherwise why, e.g. "self-signed", "expired",
	 * "unable to get issuer certificate" (+ depth, AIA detail) */
	char		 reason[CHAIN_REASON_MAX];
};

/* Zero (system store only if no CA file or path is set),
 * CHAIN_AIA_DEFAULT fetches; now is still 0 and must be set. */
void	chain_opts_init(struct chain_opts *);

/*
 * Parses an untrusted PEM text of 1..CHAIN_CERTS_MAX CERTIFICATE blocks
 * (at most CHAIN_PEM_MAX bytes, nothing but white space around blocks,
 * no trailing DER, as cert_chain_split()). *out is a new stack, in file
 * order, owning its certificates: free it with
 * sk_X509_pop_free(*out, X509_free). -1 (CD_EPROTO, CD_ENOMEM) on error.
 */
int	chain_load_pem(const void *pem, size_t len, STACK_OF(X509) **out,
	    struct cd_err *);

/*
 * Parses a caIssuers body (untrusted, at most REV_AIA_MAX bytes): one DER
 * certificate or a DER PKCS#7 signedData ("certs-only") holding
 * 1..CHAIN_CERTS_MAX certificates; no trailing bytes. *out as for
 * chain_load_pem(). -1 (CD_EPROTO, CD_ENOMEM) on error.
 */
int	chain_aia_parse(const void *der, size_t len, STACK_OF(X509) **out,
	    struct cd_err *);

/*
 * A store with the anchors opts names (see struct chain_opts; opts->store
 * is ignored). Owned by the caller: X509_STORE_free(). -1 with
 * CD_ECONFIG when a CA file or directory cannot be loaded.
 */
int	chain_store_new(const struct chain_opts *, X509_STORE **,
	    struct cd_err *);

/*
 * Builds and validates leaf's chain at opts->now with untrusted (may be
 * NULL; may hold the leaf too) as intermediates. No EKU is required
 * (neither serverAuth nor clientAuth), revocation is not checked here.
 * When an issuer is missing and the topmost certificate has a caIssuers
 * URL, up to opts->max_aia bodies are fetched through opts->aia_fetch;
 * what they hold is only ever used as an untrusted intermediate.
 * Returns 0 with *out filled whether or not the chain is trusted (read
 * out->trusted and out->reason); -1 only when no answer could be made
 * (trust store unreadable: CD_ECONFIG; CD_ENOMEM; CD_ECRYPTO), *out is
 * then empty. leaf and untrusted are borrowed. Release *out with
 * chain_result_clear().
 */
int	chain_verify(X509 *leaf, STACK_OF(X509) *untrusted,
	    const struct chain_opts *, struct chain_result *out,
	    struct cd_err *);
void	chain_result_clear(struct chain_result *);

/*
 * URLs of a certificate, http:// and https:// only (scheme matched
 * case-insensitively), printable ASCII without spaces, at most
 * REV_URL_MAX bytes, duplicates dropped, at most CHAIN_URLS_MAX in
 * certificate order. Anything else is skipped. *urls is a malloc'd array
 * of malloc'd strings (NULL when *n is 0), freed with chain_urls_free().
 * -1 only for CD_ENOMEM.
 *   chain_crl_urls: fullName URIs of the CRL distribution points that
 *	cover all reasons and have no cRLIssuer (indirect CRLs and
 *	reason-partitioned points are not supported: using them could
 *	miss a revocation).
 *   chain_ocsp_urls: AIA id-ad-ocsp URIs.
 *   chain_aia_urls: AIA id-ad-caIssuers URIs.
 */
int	chain_crl_urls(X509 *, char ***urls, size_t *n, struct cd_err *);
int	chain_ocsp_urls(X509 *, char ***urls, size_t *n, struct cd_err *);
int	chain_aia_urls(X509 *, char ***urls, size_t *n, struct cd_err *);
void	chain_urls_free(char **, size_t);

/*
 * true if the validity period (notBefore through notAfter, inclusive)
 * is at most lifetime_max seconds; 0 means CHAIN_SHORT_LIVED_MAX (the
 * CA/Browser Forum's short-lived certificate: 10 days).
 */
bool	chain_is_short_lived(X509 *, time_t lifetime_max);

/* SHA-256 of the DER, lower-case hex without colons, into out. */
int	chain_fingerprint(X509 *, char out[CHAIN_FPR_HEX], struct cd_err *);
/* Serial as lower-case hex ("-" first if negative); -1 (CD_EPROTO) if it
 * is longer than CHAIN_SERIAL_MAX bytes. */
int	chain_serial_hex(X509 *, char out[CHAIN_SERIAL_HEX],
	    struct cd_err *);
/*
 * Subject / issuer DN on one line ("C=DE,O=Example,CN=mx.example.org",
 * RFC 2253 escaping, certificate order), printable ASCII only (other
 * bytes escaped) and cut with "..." to fit outlen (>= 4) bytes. Never
 * fails: an unprintable name gives "?".
 */
void	chain_subject(X509 *, char *out, size_t outlen);
void	chain_issuer(X509 *, char *out, size_t outlen);

#endif
