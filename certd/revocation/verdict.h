/*
 * verdict.h - the revocation engine's entry point (DESIGN.md §4 steps
 * 1-4): cache, chain validation, stapled OCSP, then CRL and OCSP in the
 * configured order. Network answers are untrusted; every one is checked
 * (signature, issuer, time window, scope) before it can decide anything,
 * and an unusable answer is never GOOD.
 */
#ifndef CERTD_VERDICT_H
#define CERTD_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "err.h"
#include "rev.h"

#define VERDICT_CACHE_MAX_AGE	86400	/* seconds, default cap */
#define VERDICT_UNKNOWN_TTL	300	/* seconds an UNKNOWN is reused */
#define VERDICT_TIMEOUT		15	/* seconds per fetch, default */

struct revcache;

struct verdict_opts {
	enum rev_source	 order[2];	/* REV_SRC_CRL / REV_SRC_OCSP */
	size_t		 norder;
	bool		 ocsp_nonce;	/* send (and require a match of) one */
	size_t		 crl_max;	/* bytes */
	time_t		 cache_max_age;	/* cap on valid_until - now */
	long		 timeout;	/* seconds per fetch */
	struct revcache	*cache;		/* NULL: no cache at all */
	X509_STORE	*store;		/* trust anchors (borrowed) */
	const char	*trust_id;	/* names the trust anchors (e.g. the
					 * CA file); NULL: the system store.
					 * Cached verdicts are per trust_id */
	time_t		 now;
};

/* Defaults: crl,ocsp; no nonce; REV_CRL_MAX_DEFAULT; the cache cap. */
void	verdict_opts_init(struct verdict_opts *, time_t now);
/* "crl,ocsp", "ocsp,crl", "crl" or "ocsp" into o->order. */
int	verdict_parse_order(const char *, struct verdict_opts *,
	    struct cd_err *);

/*
 * Status of leaf, with untrusted intermediates (may be NULL) and a
 * stapled OCSP response (may be NULL). Fills out in every case where the
 * question could be asked: GOOD, REVOKED, or UNKNOWN with out->detail
 * saying why (untrusted chain, no source, every source failed). Returns
 * -1 only when the engine itself failed (memory, the cache database).
 */
int	verdict_check(X509 *leaf, STACK_OF(X509) *untrusted,
	    const unsigned char *staple, size_t staple_len,
	    const struct verdict_opts *, struct rev_result *, struct cd_err *);

#endif
