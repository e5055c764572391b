/*
 * issue.h - one complete ACME issuance for `certd issue` (and later
 * `certd renew`): order, challenges, finalize, download, checks, and the
 * atomic commit of a new certificate version.
 */
#ifndef CERTD_ISSUE_H
#define CERTD_ISSUE_H

#include <openssl/evp.h>

#include "err.h"
#include "opts.h"
#include "store.h"

#define ISSUE_POLL_TIMEOUT	300	/* seconds, default --poll-timeout */
#define ISSUE_POLL_FIRST_MS	25	/* first wait between polls */
#define ISSUE_POLL_MAX_MS	2000	/* longest wait between polls */
#define ISSUE_RETRY_AFTER_MAX	60	/* seconds of Retry-After honoured */

/* Runs the whole issuance with the options; the state dir must be
 * locked. On failure nothing in the state dir has changed, except when
 * installing the committed new version (o->install, --install) failed:
 * then it stays stored and err is CD_EINSTALL. */
int	issue_run(struct store *, const struct opts *, struct cd_err *);

/* What `certd renew` adds to an issuance. */
struct issue_params {
	const char	*replaces;	/* RFC 9773 identifier of the certificate
					 * this one replaces (newOrder
					 * "replaces"), or NULL; on an
					 * alreadyReplaced problem the order is
					 * sent again without it */
	bool		 dry_run;	/* the whole ACME run and every check,
					 * but nothing is stored: a new account
					 * is deactivated again, not saved */
	bool		 quiet;		/* no "issued" line on stdout */
	EVP_PKEY	*key;		/* borrowed: issue for exactly this key
					 * (DANE rollover); NULL: a new key,
					 * or the current one with reuse_key */
	/* filled on success */
	char		 serial[2 * 20 * 3 + 1];	/* hex */
	char		 sha256[65];
	time_t		 not_after;
	bool		 replaces_dropped;	/* retried without replaces */
};

/* issue_run with params (NULL: as issue_run). */
int	issue_run_params(struct store *, const struct opts *,
	    struct issue_params *, struct cd_err *);

/* Next wait in milliseconds: exponential from ISSUE_POLL_FIRST_MS up to
 * ISSUE_POLL_MAX_MS, or the server's Retry-After (seconds, capped at
 * ISSUE_RETRY_AFTER_MAX) when it is longer; never past the deadline
 * (returns -1 when the deadline has passed). Pure: now_ms passed in. */
long	issue_poll_delay(unsigned attempt, long retry_after_s, long now_ms,
	    long deadline_ms);

#endif
