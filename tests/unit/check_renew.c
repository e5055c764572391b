/*
 * check_renew.c - the pure renewal timing of certd/renew.c (lifetime
 * fractions, renew_before, ARI windows past/future/invalid, backoff with
 * a fixed random source, Retry-After, the decision table) and the renewal
 * state file of certd/renewstate.c (round trip, hostile content, atomic
 * save next to the version directories), and the leaf facts it reads
 * from a version's meta (strict: anything odd sends the caller to the
 * certificate).
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "renew.h"
#include "renewstate.h"
#include "store.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define DAY		86400
#define T0		1700000000	/* an arbitrary not_before */

/* a fixed "random" source: returns *arg */
static uint64_t
fixed(void *arg)
{
	return *(uint64_t *)arg;
}

/* ---- lifetime */

static const struct {
	time_t	 nb, na, before, now;
	bool	 due;
	time_t	 due_at;
} lifes[] = {
	/* 90 days: due when 30 days are left, i.e. at day 60 */
	{ T0, T0 + 90 * DAY, 0, T0, false, T0 + 60 * DAY },
	{ T0, T0 + 90 * DAY, 0, T0 + 60 * DAY - 1, false, T0 + 60 * DAY },
	{ T0, T0 + 90 * DAY, 0, T0 + 60 * DAY, true, T0 + 60 * DAY },
	{ T0, T0 + 90 * DAY, 0, T0 + 89 * DAY, true, T0 + 60 * DAY },
	{ T0, T0 + 90 * DAY, 0, T0 + 91 * DAY, true, T0 + 60 * DAY },
	/* 5 years (Pebble): 2/3 of it */
	{ T0, T0 + 1826 * DAY, 0, T0 + 1217 * DAY, false, T0 +
	    1826 * DAY - 1826 * DAY / 3 },
	{ T0, T0 + 1826 * DAY, 0, T0 + 1218 * DAY, true, T0 +
	    1826 * DAY - 1826 * DAY / 3 },
	/* exactly 10 days is not short: 1/3 */
	{ T0, T0 + 10 * DAY, 0, T0 + 6 * DAY, false, T0 + 10 * DAY -
	    10 * DAY / 3 },
	{ T0, T0 + 10 * DAY, 0, T0 + 7 * DAY, true, T0 + 10 * DAY -
	    10 * DAY / 3 },
	/* under 10 days: renew at half */
	{ T0, T0 + 10 * DAY - 1, 0, T0 + 5 * DAY - 1, false,
	    T0 + 10 * DAY - 1 - (10 * DAY - 1) / 2 },
	{ T0, T0 + 6 * DAY, 0, T0 + 3 * DAY - 1, false, T0 + 3 * DAY },
	{ T0, T0 + 6 * DAY, 0, T0 + 3 * DAY, true, T0 + 3 * DAY },
	{ T0, T0 + 160 * 3600, 0, T0 + 80 * 3600, true, T0 + 80 * 3600 },
	/* renew_before overrides */
	{ T0, T0 + 90 * DAY, 7 * DAY, T0 + 82 * DAY, false, T0 + 83 * DAY },
	{ T0, T0 + 90 * DAY, 7 * DAY, T0 + 83 * DAY, true, T0 + 83 * DAY },
	{ T0, T0 + 90 * DAY, 60 * DAY, T0 + 30 * DAY, true, T0 + 30 * DAY },
	/* renew_before longer than the lifetime: due at once */
	{ T0, T0 + 6 * DAY, 30 * DAY, T0, true, T0 },
	/* broken validity: due at once */
	{ T0, T0, 0, T0, true, T0 },
	{ T0, T0 - 1, 0, T0 - 10, false, T0 },
};

START_TEST(lifetime)
{
	ck_assert_int_eq(renew_lifetime_due_at(lifes[_i].nb, lifes[_i].na,
	    lifes[_i].before), lifes[_i].due_at);
	ck_assert_int_eq(renew_lifetime_is_due(lifes[_i].nb, lifes[_i].na,
	    lifes[_i].before, lifes[_i].now), lifes[_i].due);
}
END_TEST

/* ---- ARI */

static const struct {
	time_t		 start, end, prev;
	uint64_t	 rnd;
	int		 rc;
	time_t		 chosen;
} choices[] = {
	{ T0, T0 + DAY, 0, 0, 0, T0 },			/* the start */
	{ T0, T0 + DAY, 0, DAY - 1, 0, T0 + DAY - 1 },	/* just before end */
	{ T0, T0 + DAY, 0, DAY, 0, T0 },		/* wraps: uniform */
	{ T0, T0 + DAY, 0, 3 * DAY + 5, 0, T0 + 5 },
	{ T0, T0 + 1, 0, UINT64_MAX, 0, T0 },		/* one second */
	{ T0, T0 + DAY, 0, UINT64_MAX, 0, T0 + (time_t)(UINT64_MAX % DAY) },
	/* an earlier choice inside the window is kept */
	{ T0, T0 + DAY, T0 + 100, 7, 0, T0 + 100 },
	{ T0, T0 + DAY, T0, 7, 0, T0 },
	/* ... but not one outside it: the window moved */
	{ T0, T0 + DAY, T0 + DAY, 7, 0, T0 + 7 },
	{ T0, T0 + DAY, T0 - 1, 7, 0, T0 + 7 },
	/* invalid windows */
	{ T0, T0, 0, 7, -1, 0 },
	{ T0 + 1, T0, 0, 7, -1, 0 },
	/* a window in the past is a window */
	{ 0, 1, 0, 7, 0, 0 },
};

START_TEST(ari_choose)
{
	uint64_t	 rnd = choices[_i].rnd;
	time_t		 chosen = 0;

	ck_assert_int_eq(renew_ari_choose(choices[_i].start, choices[_i].end,
	    choices[_i].prev, fixed, &rnd, &chosen), choices[_i].rc);
	if (choices[_i].rc == 0) {
		ck_assert_int_eq(chosen, choices[_i].chosen);
		ck_assert_int_ge(chosen, choices[_i].start);
		ck_assert_int_lt(chosen, choices[_i].end);
	}
}
END_TEST

/* every draw of a real source lands inside [start, end) */
static uint64_t
counter(void *arg)
{
	uint64_t	*c = arg;

	*c = *c * 6364136223846793005ULL + 1442695040888963407ULL;
	return *c;
}

START_TEST(ari_choose_inside)
{
	uint64_t	 state = 1;
	time_t		 chosen, lo = T0 + DAY, hi = T0;
	int		 i;

	for (i = 0; i < 10000; i++) {
		ck_assert_int_eq(renew_ari_choose(T0, T0 + DAY, 0, counter,
		    &state, &chosen), 0);
		ck_assert_int_ge(chosen, T0);
		ck_assert_int_lt(chosen, T0 + DAY);
		if (chosen < lo)
			lo = chosen;
		if (chosen > hi)
			hi = chosen;
	}
	/* spread over the window, not stuck at one end */
	ck_assert_int_lt(lo, T0 + DAY / 10);
	ck_assert_int_gt(hi, T0 + DAY - DAY / 10);
}
END_TEST

static const struct {
	time_t	 now, retry_after, next;
} polls[] = {
	{ T0, 0, T0 + RENEW_ARI_POLL_DEFAULT },		/* absent */
	{ T0, 1, T0 + RENEW_ARI_POLL_MIN },		/* too eager */
	{ T0, 59, T0 + RENEW_ARI_POLL_MIN },
	{ T0, 60, T0 + 60 },
	{ T0, 3600, T0 + 3600 },
	{ T0, 86400, T0 + 86400 },
	{ T0, 86401, T0 + RENEW_ARI_POLL_MAX },		/* too lazy */
	{ T0, -5, T0 + RENEW_ARI_POLL_DEFAULT },
};

START_TEST(ari_polls)
{
	ck_assert_int_eq(renew_ari_next_poll(polls[_i].now,
	    polls[_i].retry_after), polls[_i].next);
}
END_TEST

/* ---- backoff */

static const struct {
	unsigned	 failures;
	time_t		 retry_after;
	uint64_t	 rnd;
	time_t		 delay;
} backoffs[] = {
	/* rnd 0: the lower half of the jitter range */
	{ 1, 0, 0, RENEW_BACKOFF_BASE / 2 },
	{ 0, 0, 0, RENEW_BACKOFF_BASE / 2 },		/* as the first */
	{ 2, 0, 0, RENEW_BACKOFF_BASE },
	{ 3, 0, 0, 2 * RENEW_BACKOFF_BASE },
	{ 4, 0, 0, 4 * RENEW_BACKOFF_BASE },
	/* the top of the range: exactly the exponential value */
	{ 1, 0, RENEW_BACKOFF_BASE / 2, RENEW_BACKOFF_BASE },
	{ 3, 0, 2 * RENEW_BACKOFF_BASE, 4 * RENEW_BACKOFF_BASE },
	{ 1, 0, RENEW_BACKOFF_BASE / 2 + 1, RENEW_BACKOFF_BASE / 2 },
	/* ceiling */
	{ 9, 0, 0, 128 * RENEW_BACKOFF_BASE },
	{ 10, 0, 0, RENEW_BACKOFF_MAX / 2 },
	{ 10, 0, RENEW_BACKOFF_MAX / 2, RENEW_BACKOFF_MAX },
	{ 100, 0, RENEW_BACKOFF_MAX / 2, RENEW_BACKOFF_MAX },
	{ 4000000000u, 0, 0, RENEW_BACKOFF_MAX / 2 },
	/* Retry-After wins when longer, and is capped */
	{ 1, 3600, 0, 3600 },
	{ 1, 60, 0, RENEW_BACKOFF_BASE / 2 },
	{ 10, 3 * DAY, 0, 3 * DAY },
	{ 1, 365 * DAY, 0, RENEW_RETRY_AFTER_MAX },
};

START_TEST(backoff)
{
	uint64_t	 rnd = backoffs[_i].rnd;

	ck_assert_int_eq(renew_backoff(backoffs[_i].failures,
	    backoffs[_i].retry_after, fixed, &rnd), backoffs[_i].delay);
}
END_TEST

/* ---- the decision */

#define LIFE90	.not_before = T0, .not_after = T0 + 90 * DAY

static const struct {
	struct renew_facts	 f;
	time_t			 now;
	enum renew_reason	 reason;
	bool			 wait;
	time_t			 due_at;
} decisions[] = {
	{ { LIFE90 }, T0 + DAY, RENEW_NOT_DUE, false, T0 + 60 * DAY },
	{ { LIFE90 }, T0 + 60 * DAY, RENEW_LIFETIME, false, 0 },
	{ { LIFE90, .forced = true }, T0, RENEW_FORCED, false, 0 },
	{ { .missing = true }, T0, RENEW_NEW, false, 0 },
	{ { LIFE90, .revoked = true }, T0, RENEW_REVOKED, false, 0 },
	{ { LIFE90, .config_changed = true }, T0, RENEW_CONFIG_CHANGED,
	    false, 0 },
	/* revoked beats config changed; forced beats everything */
	{ { LIFE90, .config_changed = true, .revoked = true }, T0,
	    RENEW_REVOKED, false, 0 },
	{ { LIFE90, .forced = true, .revoked = true }, T0, RENEW_FORCED,
	    false, 0 },
	/* ARI decides when known: a window in the future holds back a
	 * certificate the lifetime rule would renew */
	{ { LIFE90, .ari = true, .ari_chosen = T0 + 70 * DAY },
	    T0 + 65 * DAY, RENEW_NOT_DUE, false, T0 + 70 * DAY },
	{ { LIFE90, .ari = true, .ari_chosen = T0 + 70 * DAY },
	    T0 + 70 * DAY, RENEW_ARI, false, 0 },
	/* ... and renews earlier than the lifetime rule */
	{ { LIFE90, .ari = true, .ari_chosen = T0 + 5 * DAY },
	    T0 + 5 * DAY, RENEW_ARI, false, 0 },
	{ { LIFE90, .ari = true, .ari_chosen = T0 + 5 * DAY },
	    T0 + 5 * DAY - 1, RENEW_NOT_DUE, false, T0 + 5 * DAY },
	/* a window that ended in the past: due at once */
	{ { LIFE90, .ari = true, .ari_chosen = T0 - DAY }, T0, RENEW_ARI,
	    false, 0 },
	/* a choice after expiry is bogus: the lifetime rule */
	{ { LIFE90, .ari = true, .ari_chosen = T0 + 100 * DAY },
	    T0 + 60 * DAY, RENEW_LIFETIME, false, 0 },
	{ { LIFE90, .ari = false, .ari_chosen = T0 + 70 * DAY },
	    T0 + 60 * DAY, RENEW_LIFETIME, false, 0 },
	/* an explicit renew_before is a deadline on top of ARI */
	{ { LIFE90, .ari = true, .ari_chosen = T0 + 85 * DAY,
	    .renew_before = 10 * DAY }, T0 + 80 * DAY, RENEW_LIFETIME, false,
	    0 },
	{ { LIFE90, .ari = true, .ari_chosen = T0 + 85 * DAY,
	    .renew_before = 10 * DAY }, T0 + 79 * DAY, RENEW_NOT_DUE, false,
	    T0 + 80 * DAY },
	{ { LIFE90, .ari = true, .ari_chosen = T0 + 70 * DAY,
	    .renew_before = 10 * DAY }, T0 + 69 * DAY, RENEW_NOT_DUE, false,
	    T0 + 70 * DAY },
	/* backoff: due but waiting; not due stays not due */
	{ { LIFE90, .next_retry = T0 + 61 * DAY }, T0 + 60 * DAY,
	    RENEW_LIFETIME, true, 0 },
	{ { LIFE90, .next_retry = T0 + 60 * DAY }, T0 + 60 * DAY,
	    RENEW_LIFETIME, false, 0 },
	{ { LIFE90, .next_retry = T0 + 2 * DAY }, T0 + DAY, RENEW_NOT_DUE,
	    false, T0 + 60 * DAY },
	{ { .missing = true, .next_retry = T0 + 1 }, T0, RENEW_NEW, true,
	    0 },
	{ { LIFE90, .revoked = true, .next_retry = T0 + 1 }, T0,
	    RENEW_REVOKED, true, 0 },
	/* --force ignores the backoff */
	{ { LIFE90, .forced = true, .next_retry = T0 + DAY }, T0,
	    RENEW_FORCED, false, 0 },
};

START_TEST(decide)
{
	struct renew_decision	 d;

	renew_decide(&decisions[_i].f, decisions[_i].now, &d);
	ck_assert_msg(d.reason == decisions[_i].reason, "case %d: %s", _i,
	    renew_reason_name(d.reason));
	ck_assert_int_eq(d.wait, decisions[_i].wait);
	if (d.reason == RENEW_NOT_DUE)
		ck_assert_int_eq(d.due_at, decisions[_i].due_at);
	if (d.wait)
		ck_assert_int_eq(d.retry_at, decisions[_i].f.next_retry);
}
END_TEST

START_TEST(reason_names)
{
	ck_assert_str_eq(renew_reason_name(RENEW_NOT_DUE), "not due");
	ck_assert_str_eq(renew_reason_name(RENEW_ARI), "ari");
	ck_assert_str_eq(renew_reason_name(RENEW_FORCED), "forced");
	ck_assert_str_eq(renew_reason_name((enum renew_reason)99), "?");
}
END_TEST

/* ---- the state file */

#define SHA	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(state_round_trip)
{
	struct renewstate	 a, b;
	char			*text = NULL;
	size_t			 len = 0;

	renewstate_init(&a, SHA);
	a.ari = RENEWSTATE_ARI_YES;
	a.ari_next = T0 + 3600;
	a.ari_start = T0;
	a.ari_end = T0 + DAY;
	a.ari_chosen = T0 + 77;
	a.failures = 3;
	a.next_retry = T0 + 1200;
	a.last_attempt = T0 - 5;
	a.revptrs = RENEWSTATE_REV_NO;
	renewstate_set_error(&a, "order failed: \x01 bad\nnews");
	ck_assert_ptr_null(strchr(a.last_error, '\n'));
	ck_assert_ptr_null(strchr(a.last_error, '\x01'));
	ck_assert_int_eq(renewstate_format(&a, &text, &len, NULL), 0);
	ck_assert_int_eq(renewstate_parse(text, len, &b, NULL), 0);
	ck_assert(renewstate_equal(&a, &b));
	b.ari_chosen++;
	ck_assert(!renewstate_equal(&a, &b));
	b.ari_chosen--;
	b.revptrs = RENEWSTATE_REV_YES;
	ck_assert(!renewstate_equal(&a, &b));
	free(text);

	renewstate_init(&a, NULL);	/* empty: parses back empty */
	ck_assert_int_eq(renewstate_format(&a, &text, &len, NULL), 0);
	ck_assert_int_eq(renewstate_parse(text, len, &b, NULL), 0);
	ck_assert(renewstate_equal(&a, &b));
	free(text);
}
END_TEST

static const struct {
	const char	*text;
	int		 rc;
} states[] = {
	{ "", 0 },
	{ "failures=0\n", 0 },
	{ "cert=" SHA "\nari=no\nari_next=5\n", 0 },
	{ "some_future_key=1\nfailures=2\n", 0 },	/* ignored */
	{ "cert=" SHA "X\n", -1 },
	{ "cert=0123\n", -1 },
	{ "cert=" "0123456789ABCDEF0123456789abcdef0123456789abcdef"
	    "0123456789abcdef\n", -1 },			/* upper case */
	{ "ari=maybe\n", -1 },
	{ "ari_next=-1\n", -1 },
	{ "ari_next=12x\n", -1 },
	{ "ari_next=99999999999999999999999\n", -1 },
	{ "failures=1000001\n", -1 },
	{ "failures=\n", -1 },
	{ "ari_start=10\nari_end=10\n", -1 },		/* empty window */
	{ "ari_start=11\nari_end=10\n", -1 },
	{ "ari_start=10\n", -1 },
	{ "next_retry=1\0\n", -1 },
	{ "no equals sign\n", -1 },
	{ "last_attempt=x\n", -1 },
	{ "revocation_pointers=yes\n", 0 },
	{ "revocation_pointers=no\n", 0 },
	{ "revocation_pointers=maybe\n", -1 },
	{ "revocation_pointers=\n", -1 },
};

START_TEST(state_hostile)
{
	struct renewstate	 rs;
	struct cd_err		 err;
	size_t			 len = strlen(states[_i].text);

	if (_i == 16)
		len = 14;	/* with the embedded NUL */
	ck_assert_msg(renewstate_parse(states[_i].text, len, &rs, &err) ==
	    states[_i].rc, "case %d", _i);
	if (states[_i].rc == -1) {
		ck_assert_int_eq(rs.failures, 0);
		ck_assert_str_eq(rs.cert, "");
	}
}
END_TEST

/* ---- leaf facts from meta */

#define META_OK	"name=mx\ndomain=mx.example.org\ndomain=MTA.example.org\n" \
	"key_type=ecdsa-p256\nsha256=" SHA "\n" \
	"not_before=2024-02-29T12:00:00Z\nnot_after=2024-05-29T11:59:59Z\n"

static const struct {
	const char	*text;
	int		 rc;
} metas[] = {
	{ META_OK, 0 },
	{ META_OK "unknown=1\n", 0 },
	/* each fact missing */
	{ "domain=a\nkey_type=ecdsa-p256\nnot_before=2024-02-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=2024-02-29T12:00:00Z\n", -1 },
	{ "domain=a\nsha256=" SHA "\nnot_before=2024-02-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "key_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=2024-02-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	/* malformed */
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "0\n"
	    "not_before=2024-02-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=ABCDEF\n"
	    "not_before=2024-02-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=ec256\nsha256=" SHA "\n"
	    "not_before=2024-02-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=other\nsha256=" SHA "\n"
	    "not_before=2024-02-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=2024-02-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	/* times: not a day, no normalising, no zone, trailing bytes */
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=2023-02-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=2024-02-29T24:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=2024-02-29T12:00:00\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=2024-02-29T12:00:00Z \n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=2024-2-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=+024-02-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	/* empty or inverted validity */
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=2024-05-29T11:59:59Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
	{ "domain=a\nkey_type=ecdsa-p256\nsha256=" SHA "\n"
	    "not_before=2024-05-29T12:00:00Z\n"
	    "not_after=2024-05-29T11:59:59Z\n", -1 },
};

START_TEST(meta_facts)
{
	struct store_kv		 kv;
	struct renewstate_meta	 fm;
	struct cd_err		 err;

	memset(&kv, 0, sizeof(kv));
	ck_assert_int_eq(store_kv_parse(metas[_i].text, strlen(metas[_i].text),
	    &kv, NULL), 0);
	ck_assert_msg(renewstate_meta(&kv, &fm, &err) == metas[_i].rc,
	    "case %d", _i);
	if (metas[_i].rc == 0) {
		/* 2024-02-29T12:00:00Z, and 90 days minus a second later */
		ck_assert_int_eq(fm.not_before, 1709208000);
		ck_assert_int_eq(fm.not_after, 1709208000 + 90 * DAY - 1);
		ck_assert_str_eq(fm.sha256, SHA);
		ck_assert_str_eq(fm.key_type, "ecdsa-p256");
		ck_assert_uint_eq(fm.nnames, 2);
		ck_assert_str_eq(fm.names[0], "mx.example.org");
		ck_assert_str_eq(fm.names[1], "MTA.example.org");
	} else
		ck_assert_int_eq(err.kind, CD_EPROTO);
	store_kv_clear(&kv);
}
END_TEST

/* one domain line more than RENEWSTATE_NAMES_MAX: to the certificate */
START_TEST(meta_names_limit)
{
	struct store_kv		 kv;
	struct renewstate_meta	 fm;
	char			 name[32];
	size_t			 i;

	memset(&kv, 0, sizeof(kv));
	ck_assert_int_eq(store_kv_parse(META_OK, strlen(META_OK), &kv, NULL),
	    0);
	for (i = 2; i < RENEWSTATE_NAMES_MAX; i++) {
		snprintf(name, sizeof(name), "n%zu.example.org", i);
		ck_assert_int_eq(store_kv_add(&kv, "domain", name, NULL), 0);
	}
	ck_assert_int_eq(renewstate_meta(&kv, &fm, NULL), 0);
	ck_assert_uint_eq(fm.nnames, RENEWSTATE_NAMES_MAX);
	ck_assert_int_eq(store_kv_add(&kv, "domain", "one.more.example",
	    NULL), 0);
	ck_assert_int_eq(renewstate_meta(&kv, &fm, NULL), -1);
	store_kv_clear(&kv);
}
END_TEST

START_TEST(state_files)
{
	char			 dir[] = "/tmp/check_renew.XXXXXX", path[256];
	struct store		*st;
	struct renewstate	 a, b;
	struct cd_err		 err;
	struct stat		 sb;
	FILE			*fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	st = store_open(dir, false, &err);
	ck_assert_ptr_nonnull(st);
	/* nothing stored: an empty state, and no file appears */
	ck_assert_int_eq(renewstate_load(st, "mx.example.org", &a, &err), 0);
	ck_assert_int_eq(a.failures, 0);
	snprintf(path, sizeof(path), "%s/certs", dir);
	ck_assert_int_eq(stat(path, &sb), -1);
	renewstate_init(&a, SHA);
	a.failures = 2;
	a.next_retry = T0;
	ck_assert_int_eq(renewstate_save(st, "mx.example.org", &a, &err), 0);
	ck_assert_int_eq(renewstate_load(st, "mx.example.org", &b, &err), 0);
	ck_assert(renewstate_equal(&a, &b));
	/* no temporary file is left behind */
	snprintf(path, sizeof(path), "%s/certs/mx.example.org/.renewal.new",
	    dir);
	ck_assert_int_eq(stat(path, &sb), -1);
	/* a damaged file is an error (the caller starts over) */
	snprintf(path, sizeof(path), "%s/certs/mx.example.org/renewal", dir);
	fp = fopen(path, "w");
	fputs("failures=lots\n", fp);
	fclose(fp);
	ck_assert_int_eq(renewstate_load(st, "mx.example.org", &b, &err), -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "mx.example.org"));
	/* unsafe names are refused */
	ck_assert_int_eq(renewstate_save(st, "../x", &a, &err), -1);
	ck_assert_int_eq(renewstate_load(st, "a/b", &b, &err), -1);
	store_close(st);
	unlink(path);
	snprintf(path, sizeof(path), "%s/certs/mx.example.org", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/certs", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

Suite *
renew_suite(void)
{
	Suite	*s = suite_create("renew");
	TCase	*tc = tcase_create("renew");

	tcase_add_loop_test(tc, lifetime, 0, (int)NITEMS(lifes));
	tcase_add_loop_test(tc, ari_choose, 0, (int)NITEMS(choices));
	tcase_add_test(tc, ari_choose_inside);
	tcase_add_loop_test(tc, ari_polls, 0, (int)NITEMS(polls));
	tcase_add_loop_test(tc, backoff, 0, (int)NITEMS(backoffs));
	tcase_add_loop_test(tc, decide, 0, (int)NITEMS(decisions));
	tcase_add_test(tc, reason_names);
	tcase_add_test(tc, state_round_trip);
	tcase_add_loop_test(tc, state_hostile, 0, (int)NITEMS(states));
	tcase_add_test(tc, state_files);
	tcase_add_loop_test(tc, meta_facts, 0, (int)NITEMS(metas));
	tcase_add_test(tc, meta_names_limit);
	suite_add_tcase(s, tc);
	return s;
}
