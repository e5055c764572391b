/*
 * renew.c - pure renewal timing: lifetime fractions, ARI window choice
 * (RFC 9773 §4.2), failure backoff, and the per-certificate decision.
 * Inputs are our own facts plus server hints (ARI window, Retry-After)
 * that were parsed and bounded before they get here; times are clamped
 * so that hostile values cannot overflow.
 */
#include "renew.h"

#include <stddef.h>

static const char *const reason_names[] = {
	[RENEW_NOT_DUE] = "not due",
	[RENEW_LIFETIME] = "lifetime",
	[RENEW_ARI] = "ari",
	[RENEW_CONFIG_CHANGED] = "config changed",
	[RENEW_REVOKED] = "revoked",
	[RENEW_NEW] = "new",
	[RENEW_FORCED] = "forced",
};

const char *
renew_reason_name(enum renew_reason r)
{
	if ((size_t)r >= sizeof(reason_names) / sizeof(reason_names[0]))
		return "?";
	return reason_names[r];
}

time_t
renew_lifetime_due_at(time_t not_before, time_t not_after,
    time_t renew_before)
{
	time_t	 life;

	if (not_after <= not_before)
		return not_before;
	if (renew_before > 0)
		return renew_before >= not_after - not_before ? not_before :
		    not_after - renew_before;
	life = not_after - not_before;
	/* left <= life/3 (life/2 when short): due at not_after - that */
	return life < RENEW_SHORT_LIFETIME ? not_after - life / 2 :
	    not_after - life / 3;
}

bool
renew_lifetime_is_due(time_t not_before, time_t not_after,
    time_t renew_before, time_t now)
{
	return now >= renew_lifetime_due_at(not_before, not_after,
	    renew_before);
}

bool
renew_ari_window_is_valid(time_t start, time_t end)
{
	return end > start;
}

int
renew_ari_choose(time_t start, time_t end, time_t prev_chosen,
    renew_rand_fn *rnd, void *arg, time_t *chosen)
{
	uint64_t	 span;

	if (!renew_ari_window_is_valid(start, end))
		return -1;
	if (prev_chosen >= start && prev_chosen < end) {
		*chosen = prev_chosen;
		return 0;
	}
	/* end > start, so the difference fits in uint64_t */
	span = (uint64_t)end - (uint64_t)start;
	/* modulo bias is at most span / 2^64: irrelevant for seconds */
	*chosen = start + (time_t)(rnd(arg) % span);
	return 0;
}

bool
renew_ari_is_due(time_t chosen, time_t now)
{
	return now >= chosen;
}

time_t
renew_ari_next_poll(time_t now, time_t retry_after)
{
	if (retry_after <= 0)
		retry_after = RENEW_ARI_POLL_DEFAULT;
	else if (retry_after < RENEW_ARI_POLL_MIN)
		retry_after = RENEW_ARI_POLL_MIN;
	else if (retry_after > RENEW_ARI_POLL_MAX)
		retry_after = RENEW_ARI_POLL_MAX;
	return now + retry_after;
}

time_t
renew_backoff(unsigned failures, time_t retry_after, renew_rand_fn *rnd,
    void *arg)
{
	time_t	 d = RENEW_BACKOFF_BASE, half;

	if (failures == 0)
		failures = 1;
	while (--failures > 0 && d < RENEW_BACKOFF_MAX)
		d *= 2;
	if (d > RENEW_BACKOFF_MAX)
		d = RENEW_BACKOFF_MAX;
	/* equal jitter: [d/2, d] spreads retries of many hosts apart */
	half = d / 2;
	d = half + (time_t)(rnd(arg) % (uint64_t)(d - half + 1));
	if (retry_after > RENEW_RETRY_AFTER_MAX)
		retry_after = RENEW_RETRY_AFTER_MAX;
	return retry_after > d ? retry_after : d;
}

void
renew_decide(const struct renew_facts *f, time_t now,
    struct renew_decision *d)
{
	time_t	 life_at, at;
	bool	 ari;

	d->reason = RENEW_NOT_DUE;
	d->wait = false;
	d->due_at = 0;
	d->retry_at = 0;
	if (f->forced) {
		d->reason = RENEW_FORCED;
		return;		/* --force also ignores the backoff */
	}
	if (f->missing)
		d->reason = RENEW_NEW;
	else if (f->revoked)
		d->reason = RENEW_REVOKED;
	else if (f->config_changed)
		d->reason = RENEW_CONFIG_CHANGED;
	else {
		life_at = renew_lifetime_due_at(f->not_before, f->not_after,
		    f->renew_before);
		/* a chosen time past expiry is bogus: fall back */
		ari = f->ari && f->ari_chosen < f->not_after;
		if (ari && renew_ari_is_due(f->ari_chosen, now))
			d->reason = RENEW_ARI;
		else if (!ari && now >= life_at)
			d->reason = RENEW_LIFETIME;
		else if (ari && f->renew_before > 0 && now >= life_at)
			d->reason = RENEW_LIFETIME;	/* explicit deadline */
		else {
			at = ari ? f->ari_chosen : life_at;
			if (ari && f->renew_before > 0 && life_at < at)
				at = life_at;
			d->due_at = at;
			return;
		}
	}
	if (f->next_retry > now) {
		d->wait = true;
		d->retry_at = f->next_retry;
	}
}
