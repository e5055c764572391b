/*
 * crl.h - X.509 CRLs (RFC 5280 §5): a strict, bounded single-pass DER
 * reader that indexes the revoked serials as it reads, the signature,
 * issuer and time-window checks, Issuing Distribution Point scope, and a
 * binary form of the index for the cache. Pure: no I/O, `now` passed in.
 */
#ifndef CERTD_CRL_H
#define CERTD_CRL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "err.h"

#define CRL_HARD_MAX	(1024u * 1024 * 1024)	/* bytes: caps any max */
#define CRL_IDP_URIS_MAX	16	/* fullName URIs in the IDP */
#define CRL_INDEX_VERSION	1	/* of the crl_index_serialize() blob */

/* A parsed and indexed CRL; opaque. */
struct crl;

/*
 * Parses a CRL given as DER or PEM ("-----BEGIN X509 CRL-----", one
 * block, nothing but white space around it), at most `max` bytes (0:
 * REV_CRL_MAX_DEFAULT; anything above CRL_HARD_MAX is capped), and builds
 * the sorted serial index. The input is borrowed; the result keeps a
 * private copy of the DER for crl_verify() until crl_discard_der().
 * Rejects (NULL, err filled; CD_EPROTO unless out of memory): malformed or
 * non-minimal DER, trailing bytes, v1 CRLs with extensions, differing
 * inner and outer signature algorithms, bad times, nextUpdate before
 * thisUpdate, negative, zero or >20-byte serials, unknown reason codes,
 * indirect CRLs (certificateIssuer, IDP indirectCRL), delta CRLs
 * (deltaCRLIndicator), duplicate or unknown critical extensions.
 * Duplicate serial entries: the first one counts.
 */
struct crl	*crl_parse(const void *, size_t len, size_t max,
		    struct cd_err *);

/*
 * Checks the CRL against its issuer certificate (borrowed): the CRL's
 * issuer Name equals the certificate's subject, the issuer's keyUsage (if
 * present) has cRLSign, the signature over tbsCertList verifies with the
 * issuer's key (sha256/384/512WithRSAEncryption, ecdsa-with-SHA256/384/
 * 512, Ed25519, Ed448; RSA-PSS and SHA-1 are unsupported and fail), then
 * crl_check_time(). -1 with CD_ECRYPTO for name/key/signature failures,
 * CD_EPROTO for the time window, CD_ECONFIG when the DER was discarded
 * (or the CRL came from crl_index_load()): nothing left to verify.
 */
int	crl_verify(const struct crl *, X509 *issuer, time_t now,
	    struct cd_err *);
/*
 * thisUpdate <= now + REV_SKEW and, when nextUpdate is present,
 * now - REV_SKEW <= nextUpdate; -1 (CD_EPROTO) otherwise, with the
 * message "crl: expired (nextUpdate ...)" or "crl: not yet valid
 * (thisUpdate ...)". A missing nextUpdate is left to the caller's policy
 * (crl_next_update() returns 0).
 */
int	crl_check_time(const struct crl *, time_t now, struct cd_err *);

/*
 * Looks up a serial given as the big-endian magnitude (leading zero
 * octets are ignored, so an i2c encoding with its sign octet also works).
 * revoked: listed and the reason is not removeFromCRL (8); then reason is
 * the CRLReason or REV_REASON_NONE and when the revocationDate. Not
 * revoked: reason REV_REASON_NONE, when 0. certificateHold (6) counts as
 * revoked. -1 (outputs untouched) if the magnitude is over REV_SERIAL_MAX
 * bytes: such a serial cannot be decided here.
 */
int	crl_lookup(const struct crl *, const unsigned char *serial,
	    size_t len, bool *revoked, int *reason, time_t *when);
/* The serial of cert as a magnitude for crl_lookup(): buf holds
 * REV_SERIAL_MAX bytes. -1 (CD_EPROTO) if negative, zero or too long. */
int	crl_cert_serial(X509 *, unsigned char *buf, size_t *len,
	    struct cd_err *);

time_t	crl_this_update(const struct crl *);
time_t	crl_next_update(const struct crl *);	/* 0 if absent */
/* Distinct serials in the index (removeFromCRL entries included). */
size_t	crl_count(const struct crl *);
/* The i-th entry in index order (i < crl_count()); the serial is
 * borrowed until crl_free(). -1 if i is out of range. */
int	crl_entry(const struct crl *, size_t i, const unsigned char **serial,
	    size_t *len, int *reason, time_t *when);
/* Bytes of memory held by the CRL object apart from the DER copy: the
 * index plus the issuer, IDP and CRL number copies. */
size_t	crl_index_bytes(const struct crl *);
/* The issuer Name as DER (borrowed until crl_free()). */
const unsigned char *crl_issuer_der(const struct crl *, size_t *len);
/* The CRLNumber magnitude (borrowed; len 0 for zero), NULL if absent. */
const unsigned char *crl_number(const struct crl *, size_t *len);

/* Whether the CRL has an Issuing Distribution Point extension. */
bool	crl_has_idp(const struct crl *);
/* The IDP extension's value (DER), borrowed; NULL without an IDP. */
const unsigned char *crl_idp_der(const struct crl *, size_t *len);
/* true if the CRL has no IDP, or an IDP without a distributionPoint, or
 * one whose fullName URIs include url exactly (byte for byte): a
 * partitioned CRL must name the URL it was fetched from. */
bool	crl_idp_matches_url(const struct crl *, const char *url);
/* The IDP's fullName URIs (borrowed until crl_free()). */
size_t	crl_idp_uri_count(const struct crl *);
const char *crl_idp_uri(const struct crl *, size_t);
/*
 * Whether this CRL may answer for a certificate (cert_is_ca: a CA
 * certificate, else a leaf) fetched from url (NULL: not from a URL, the
 * URL test is skipped). -1 (CD_EPROTO) on a scope mismatch
 * (onlyContainsCACerts for a leaf, onlyContainsUserCerts for a CA,
 * onlyContainsAttributeCerts, url not listed) or an unsupported partition
 * (onlySomeReasons): the status is then UNKNOWN, never GOOD.
 */
int	crl_scope_check(const struct crl *, bool cert_is_ca, const char *url,
	    struct cd_err *);

/* Frees the private DER copy (after crl_verify()) so that only the index
 * stays in memory; crl_verify() fails afterwards. */
void	crl_discard_der(struct crl *);

/*
 * The index and metadata (times, issuer, CRL number, IDP) as a versioned
 * binary blob (malloc'd, caller frees) for the cache, and back. Store
 * only CRLs that passed crl_verify(): the blob carries no signature.
 * crl_index_load() bounds-checks everything and checks a SHA-256 of the
 * blob (the cache is on disk); -1/NULL with CD_EPROTO on any damage.
 * A loaded CRL answers every query above except crl_verify().
 */
int	crl_index_serialize(const struct crl *, unsigned char **blob,
	    size_t *len, struct cd_err *);
struct crl	*crl_index_load(const void *, size_t, struct cd_err *);

void	crl_free(struct crl *);

#endif
