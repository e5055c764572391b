/*
 * renewstate.h - what `certd renew` remembers per certificate between
 * runs, in STATE/certs/NAME/renewal (key=value lines, replaced
 * atomically; outside the version directories on purpose, so a renewal
 * state change never touches a certificate version):
 *
 *   cert=<sha256 of the leaf this state is about>
 *   ari=yes|no            the CA offers renewalInfo (unknown if absent)
 *   ari_next=<epoch>      next renewalInfo poll / directory re-check
 *   ari_start= ari_end=   the last suggested window
 *   ari_chosen=<epoch>    the time picked inside it
 *   failures=<n> next_retry=<epoch> last_attempt=<epoch> last_error=<text>
 *   install_pending=yes   renewed, but installing it failed: retry that
 *   revocation_pointers=yes|no  the leaf names a CRL or OCSP responder
 *                         (learnt from the leaf once; absent: unknown)
 *
 * It also reads the facts certd recorded in a version's meta when it
 * committed that version (issue.c), so that a run where nothing is due
 * need not parse hundreds of certificates.
 */
#ifndef CERTD_RENEWSTATE_H
#define CERTD_RENEWSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"
#include "store.h"

#define RENEWSTATE_FILE		"renewal"
#define RENEWSTATE_ERROR_MAX	1024	/* bytes of last_error kept */
#define RENEWSTATE_FAILURES_MAX	1000000

enum renewstate_ari {
	RENEWSTATE_ARI_UNKNOWN = 0,
	RENEWSTATE_ARI_NO,
	RENEWSTATE_ARI_YES,
};

enum renewstate_rev {
	RENEWSTATE_REV_UNKNOWN = 0,
	RENEWSTATE_REV_NO,		/* no CRL or OCSP pointer */
	RENEWSTATE_REV_YES,		/* some (or unreadable ones) */
};

struct renewstate {
	char		 cert[65];	/* leaf SHA-256 hex, "" if none */
	enum renewstate_ari ari;
	time_t		 ari_next;	/* 0: poll now */
	time_t		 ari_start;	/* 0 (with end 0): no window */
	time_t		 ari_end;
	time_t		 ari_chosen;	/* 0: none */
	unsigned	 failures;
	time_t		 next_retry;	/* 0: none */
	time_t		 last_attempt;
	char		 last_error[RENEWSTATE_ERROR_MAX];
	bool		 install_pending;
	enum renewstate_rev revptrs;	/* about the leaf named by cert */
};

#define RENEWSTATE_NAMES_MAX	100	/* domain lines in a meta */

/* What a version's meta says about its leaf (see renewstate_meta). */
struct renewstate_meta {
	char		 sha256[65];	/* hex, lower case */
	time_t		 not_before;
	time_t		 not_after;
	char		 key_type[16];	/* keys_type_name() */
	const char	*names[RENEWSTATE_NAMES_MAX];	/* borrowed */
	size_t		 nnames;
};

/* Empty state about certificate sha256 (may be NULL or ""). */
void	renewstate_init(struct renewstate *, const char *sha256);
/* Pure: kv text into *rs (initialised first). Unknown keys are ignored
 * (newer versions may add some); malformed values are CD_EPROTO. */
int	renewstate_parse(const char *, size_t, struct renewstate *,
	    struct cd_err *);
/* The file text, malloc'd. */
int	renewstate_format(const struct renewstate *, char **, size_t *,
	    struct cd_err *);
bool	renewstate_equal(const struct renewstate *,
	    const struct renewstate *);
/* Sets last_error from untrusted text (escaped, bounded). */
void	renewstate_set_error(struct renewstate *, const char *);

/*
 * Pure: the leaf facts in a version's meta (issue.c writes sha256,
 * not_before and not_after as YYYY-MM-DDTHH:MM:SSZ, key_type and one
 * domain line per SAN, all taken from the certificate it checked, in
 * the same atomic commit as cert.pem). The names are borrowed from kv.
 * -1 (CD_EPROTO) when one is missing or malformed, or the validity is
 * empty: the caller then parses the certificate itself.
 */
int	renewstate_meta(const struct store_kv *, struct renewstate_meta *,
	    struct cd_err *);

/* Reads certs/NAME/renewal; a missing file gives an empty state and 0. */
int	renewstate_load(struct store *, const char *name, struct renewstate *,
	    struct cd_err *);
/* Replaces certs/NAME/renewal atomically (creates certs/NAME when a
 * declared certificate has never been issued). */
int	renewstate_save(struct store *, const char *name,
	    const struct renewstate *, struct cd_err *);

#endif
