/*
 * issue.h - one complete ACME issuance for `certd issue` (and later
 * `certd renew`): order, challenges, finalize, download, checks, and the
 * atomic commit of a new certificate version.
 */
#ifndef CERTD_ISSUE_H
#define CERTD_ISSUE_H

#include "err.h"
#include "opts.h"
#include "store.h"

#define ISSUE_POLL_TIMEOUT	300	/* seconds, default --poll-timeout */
#define ISSUE_POLL_FIRST_MS	25	/* first wait between polls */
#define ISSUE_POLL_MAX_MS	2000	/* longest wait between polls */
#define ISSUE_RETRY_AFTER_MAX	60	/* seconds of Retry-After honoured */

/* Runs the whole issuance with the options; the state dir must be
 * locked. On failure nothing in the state dir has changed. */
int	issue_run(struct store *, const struct opts *, struct cd_err *);

/* Next wait in milliseconds: exponential from ISSUE_POLL_FIRST_MS up to
 * ISSUE_POLL_MAX_MS, or the server's Retry-After (seconds, capped at
 * ISSUE_RETRY_AFTER_MAX) when it is longer; never past the deadline
 * (returns -1 when the deadline has passed). Pure: now_ms passed in. */
long	issue_poll_delay(unsigned attempt, long retry_after_s, long now_ms,
	    long deadline_ms);

#endif
