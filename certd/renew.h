/*
 * renew.h - when to renew: pure timing decisions for `certd renew`
 * (lifetime fractions, RFC 9773 ARI windows, failure backoff with jitter
 * and Retry-After). No I/O and no clock: `now` and the random source are
 * arguments, so the table tests in check_renew.c drive them directly.
 */
#ifndef CERTD_RENEW_H
#define CERTD_RENEW_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RENEW_SHORT_LIFETIME	(10 * 86400)	/* seconds; below: renew at 1/2 */
#define RENEW_ARI_POLL_DEFAULT	(6 * 3600)	/* seconds without Retry-After */
#define RENEW_ARI_POLL_MIN	60		/* seconds; RFC 9773 §4.3 */
#define RENEW_ARI_POLL_MAX	86400		/* seconds; RFC 9773 §4.3 */
#define RENEW_ARI_ERROR_RETRY	3600		/* seconds after a failed poll */
#define RENEW_NOARI_RECHECK	86400		/* seconds: re-read a directory
						 * without renewalInfo */
#define RENEW_BACKOFF_BASE	300		/* seconds after 1st failure */
#define RENEW_BACKOFF_MAX	(24 * 3600)	/* seconds, the ceiling */
#define RENEW_RETRY_AFTER_MAX	(7 * 86400)	/* seconds of Retry-After kept */

/* Why a certificate is (not) renewed now, by increasing precedence. */
enum renew_reason {
	RENEW_NOT_DUE = 0,
	RENEW_LIFETIME,		/* <= 1/3 (1/2) of the lifetime left */
	RENEW_ARI,		/* the chosen time in the ARI window passed */
	RENEW_CONFIG_CHANGED,	/* names or key type differ from certd.conf */
	RENEW_REVOKED,		/* its own CRL/OCSP says revoked */
	RENEW_NEW,		/* declared in certd.conf, never issued */
	RENEW_FORCED,		/* --force */
};

/* "not due", "lifetime", "ari", "config changed", "revoked", "new",
 * "forced" */
const char *renew_reason_name(enum renew_reason);

/* A random 64-bit value (tests pass a fixed sequence). */
typedef uint64_t renew_rand_fn(void *arg);

/*
 * The instant from which a certificate valid [not_before, not_after) is
 * due by its lifetime: not_after - renew_before when renew_before > 0,
 * else when 1/3 of the lifetime is left (1/2 for lifetimes under
 * RENEW_SHORT_LIFETIME). A certificate with not_after <= not_before is
 * due at once (returns not_before).
 */
time_t	renew_lifetime_due_at(time_t not_before, time_t not_after,
	    time_t renew_before);
bool	renew_lifetime_is_due(time_t not_before, time_t not_after,
	    time_t renew_before, time_t now);

/* A window [start, end) is usable when end > start (RFC 9773 §4.3.3). */
bool	renew_ari_window_is_valid(time_t start, time_t end);
/*
 * The renewal time for a window (RFC 9773 §4.2 step 2): uniformly random
 * in [start, end). When prev_chosen lies in [start, end) it is kept, so
 * that polling again does not draw again (and renew earlier on average).
 * -1 for an invalid window.
 */
int	renew_ari_choose(time_t start, time_t end, time_t prev_chosen,
	    renew_rand_fn *, void *arg, time_t *chosen);
/* Due when now >= chosen (a window that ended in the past chose a time
 * in the past, so it is due at once). */
bool	renew_ari_is_due(time_t chosen, time_t now);
/* When to poll renewalInfo again: now + Retry-After clamped to
 * [RENEW_ARI_POLL_MIN, RENEW_ARI_POLL_MAX], RENEW_ARI_POLL_DEFAULT when
 * retry_after is 0 (absent). */
time_t	renew_ari_next_poll(time_t now, time_t retry_after);

/*
 * Delay in seconds before the next attempt after `failures` (>= 1)
 * consecutive failures: RENEW_BACKOFF_BASE * 2^(failures-1), capped at
 * RENEW_BACKOFF_MAX, with "equal jitter" (half fixed, half random from
 * rnd), and never less than the server's Retry-After (capped at
 * RENEW_RETRY_AFTER_MAX).
 */
time_t	renew_backoff(unsigned failures, time_t retry_after,
	    renew_rand_fn *, void *arg);

/* Everything one decision needs; times are absolute, 0 means "none". */
struct renew_facts {
	bool		 forced;
	bool		 missing;	/* declared but never issued */
	bool		 config_changed;
	bool		 revoked;
	time_t		 not_before;
	time_t		 not_after;
	time_t		 renew_before;	/* seconds, 0: the lifetime rule */
	bool		 ari;		/* a valid ARI choice is known */
	time_t		 ari_chosen;
	time_t		 next_retry;	/* after a failure; 0: none */
};

struct renew_decision {
	enum renew_reason reason;	/* NOT_DUE or why it is due */
	bool		 wait;		/* due, but backing off after failures */
	time_t		 due_at;	/* when NOT_DUE: when it will be due */
	time_t		 retry_at;	/* when wait: the next attempt */
};

/*
 * The decision (pure): forced > missing > revoked > config changed >
 * ARI (when known; an ARI choice after not_after is ignored as bogus)
 * else lifetime. An explicit renew_before is a deadline on top of ARI.
 * A due certificate whose next_retry lies in the future waits, except
 * when forced.
 */
void	renew_decide(const struct renew_facts *, time_t now,
	    struct renew_decision *);

#endif
