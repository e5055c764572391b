/*
 * rev.h - shared types of the revocation engine (certd/revocation/):
 * the three answers, RFC 5280 reason codes, limits, and the result that
 * `certd check`, the cache and later `certd serve` pass around.
 * Pure modules (crl.c, ocsp.c, verdict decisions) take `now` as an
 * argument; I/O (fetch.c, cache.c, probe.c) lives in thin files.
 */
#ifndef CERTD_REV_H
#define CERTD_REV_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define REV_SKEW		300	/* seconds of clock skew tolerated */
#define REV_CRL_MAX_DEFAULT	(64u * 1024 * 1024)	/* bytes of one CRL */
#define REV_OCSP_MAX		(64 * 1024)	/* bytes of one OCSP response */
#define REV_OCSP_MAX_AGE	(7 * 86400)	/* when nextUpdate is absent */
#define REV_AIA_MAX		(1024 * 1024)	/* bytes of a caIssuers file */
#define REV_URL_MAX		2048
#define REV_SERIAL_MAX		20	/* bytes; RFC 5280 §4.1.2.2 */

enum rev_status {
	REV_GOOD = 0,
	REV_REVOKED = 1,
	REV_UNKNOWN = 2,
};

/* RFC 5280 §5.3.1 CRLReason; REV_REASON_NONE when absent */
#define REV_REASON_NONE		(-1)

enum rev_source {
	REV_SRC_NONE = 0,	/* no revocation pointer at all */
	REV_SRC_CRL,
	REV_SRC_OCSP,
	REV_SRC_STAPLED,	/* OCSP response given by the peer */
	REV_SRC_CACHE,
};

struct rev_result {
	enum rev_status	 status;
	enum rev_source	 source;
	int		 reason;	/* REV_REASON_NONE or CRLReason */
	time_t		 revoked_at;	/* 0 unless revoked */
	time_t		 checked_at;
	time_t		 valid_until;	/* how long this answer may be reused */
	bool		 short_lived;	/* good without any revocation source */
	char		 url[REV_URL_MAX + 1];	/* CRL/OCSP URL, "" if none */
	char		 detail[512];	/* why (always set for UNKNOWN) */
};

const char *rev_status_name(enum rev_status);	/* "good" ... */
const char *rev_source_name(enum rev_source);	/* "crl" ... */
/* "keyCompromise" ...; "unspecified" for 0; NULL for unknown codes */
const char *rev_reason_name(int);

#endif
