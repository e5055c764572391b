/*
 * tlsa.h - DANE (RFC 6698, 7671, 7672) for certd: TLSA 3 1 1 record data
 * (SHA-256 of the SubjectPublicKeyInfo), the TLSA RRset in a DNS answer,
 * and the DANE-safe key rollover of `key_rollover = dane`:
 *
 *   NONE --stage--> STAGED --record seen--> PUBLISHING --margin--> PUBLISHED
 *     ^                ^  <--record gone--'                           |
 *     |                '-------- new next key <-- ROLLED <-- renewal -'
 *
 * A certificate with key_rollover = dane keeps a staged next key in
 * certs/NAME/next.key (0600, created with O_EXCL) and its state in
 * certs/NAME/next.state (key=value: spki, staged_at, published_at,
 * ttl_seen, prev, retired, retired_at). Renewals reuse the current key
 * until the next key's TLSA record has been published, for every DNS
 * name of the certificate, for at least the margin (default 2 x TTL);
 * only then does a renewal switch to the next key and stage a new one.
 * So a renewal never makes the published TLSA set stale.
 *
 * "Published" is decided by a DNS query for the TLSA RRset (res_nquery(3)
 * to dns_server, or the resolv.conf servers), or by the tlsa hook, which
 * publishes the records (hooks/tlsa-nsupdate, RFC 2136) and exits 0 once
 * they are live; with a hook and an explicit dns_server both must agree.
 *
 * The pure functions (record data, DNS answer parsing, the state machine
 * with `now` passed in) do no I/O; tlsa_rollover_*() and tlsa_dns_query()
 * do the I/O around them.
 *
 * In `certd renew`, per certificate (state dir locked, not --dry-run,
 * which must change nothing: it renews with the current key instead):
 *	tlsa_policy_from_opts(&p, o, opts_cert_find(o, name), &err);
 *	p.keep_retired = <an installation of this certificate is pending>;
 *	tlsa_rollover_key(st, name, &p, cd_now(), &key, &rolled, &err);
 *	<issue with exactly `key` when it is not NULL>
 *	<on success, and also when only the installation failed (the new
 *	 version is committed):>
 *	tlsa_rollover_commit(st, name, &p, rolled, cd_now(), &err);
 *	EVP_PKEY_free(key);
 */
#ifndef CERTD_TLSA_H
#define CERTD_TLSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "err.h"
#include "store.h"
#include "util.h"

#define TLSA_HEX_LEN		64	/* hex digits of a SHA-256 */
#define TLSA_HEX_SIZE		(TLSA_HEX_LEN + 1)	/* with the NUL */
#define TLSA_PORT_DEFAULT	25
#define TLSA_TTL_DEFAULT	3600	/* seconds, TTL of the TLSA RRset */
#define TLSA_TTL_MAX		(7 * 86400)	/* seconds of TTL believed */
#define TLSA_MARGIN_MAX		(90 * 86400)	/* seconds */
#define TLSA_RRS_MAX		32	/* 3 1 1 records in one RRset */
#define TLSA_MSG_MAX		65535	/* bytes of a DNS message */
#define TLSA_OWNER_MAX		(UTIL_DNSNAME_MAX + 32)	/* "_PORT._PROTO.H." */
#define TLSA_NAMES_MAX		100	/* DNS names of one certificate */
#define TLSA_DNS_TIMEOUT	3	/* seconds per DNS try */
#define TLSA_DNS_TRIES		2
#define TLSA_NEXT_KEY		"next.key"	/* in certs/NAME/ */
#define TLSA_NEXT_STATE		"next.state"	/* in certs/NAME/ */
#define TLSA_STATE_MAX		4096	/* bytes of next.state */
#define TLSA_RRTYPE		52	/* RFC 6698 §7.1 */
#define TLSA_NAG_AFTER		(7 * 86400)	/* seconds unpublished before
						 * each renewal warns */

/* ---- record data (pure) ---- */

/* SHA-256 of the DER SubjectPublicKeyInfo of key (i2d_PUBKEY), lower-case
 * hex: the data of a TLSA 3 1 1 record. key may be private or public. */
int	tlsa_spki_hex(EVP_PKEY *, char hex[TLSA_HEX_SIZE], struct cd_err *);
/* The same for the first certificate of a PEM text. */
int	tlsa_cert_hex(const char *pem, size_t len, char hex[TLSA_HEX_SIZE],
	    struct cd_err *);
/* "_PORT._PROTO.HOST." into out; host is an LDH DNS name without a
 * wildcard (util_is_dnsname), proto "tcp", "udp" or "sctp". */
int	tlsa_owner(const char *host, unsigned port, const char *proto,
	    char *out, size_t outlen, struct cd_err *);
/* 64 lower- or upper-case hex digits */
bool	tlsa_hex_is_valid(const char *);

/* ---- the TLSA RRset in a DNS answer (pure; untrusted input) ---- */

struct tlsa_rrset {
	size_t		 n;			/* 3 1 1 records kept */
	char		 data[TLSA_RRS_MAX][TLSA_HEX_SIZE];
	uint32_t	 ttl;		/* largest TTL of those records */
	size_t		 other;		/* TLSA records of other kinds */
};

/*
 * Parses a DNS response message (at most TLSA_MSG_MAX bytes): rcode must
 * be NOERROR or NXDOMAIN (then the set is empty); every answer record of
 * type TLSA and class IN is read, 3 1 1 records with 32 bytes of data go
 * into set (lower-case hex, duplicates once), other TLSA records are only
 * counted. A malformed message, another rcode, a 3 1 1 record with the
 * wrong length or more than TLSA_RRS_MAX of them: -1 with CD_EPROTO.
 */
int	tlsa_dns_parse(const unsigned char *, size_t, struct tlsa_rrset *,
	    struct cd_err *);
/* true if the set holds hex (compared case-insensitively) */
bool	tlsa_rrset_has(const struct tlsa_rrset *, const char *hex);

/* ---- policy and state machine (pure) ---- */

/* One certificate's DANE settings; strings are borrowed. */
struct tlsa_policy {
	bool		 dane;		/* key_rollover = dane */
	unsigned	 port;		/* TLSA port (default 25) */
	const char	*proto;		/* "tcp" (default) */
	time_t		 ttl;		/* TTL of the RRset (default 3600 s) */
	time_t		 margin;	/* 0: 2 x max(ttl, TTL seen in DNS) */
	const char	*dns_server;	/* "IPv4[:PORT]"; NULL: resolv.conf */
	const char	*hook;		/* tlsa hook (absolute path) or NULL */
	unsigned	 hook_timeout;	/* seconds; 0: HOOKS_TIMEOUT_DEFAULT */
	const char	*key_type;	/* of next keys; NULL: as the current */
	bool		 keep_retired;	/* set while the MTAs may still serve
					 * the retired key (renew: an install
					 * is pending): its TLSA records stay */
};

/* Defaults: not dane, port 25, tcp, TTL 3600, margin 2 x TTL. */
void	tlsa_policy_init(struct tlsa_policy *);
/* key_rollover values: "dane" (true), "new" or "reuse" (false); -1
 * otherwise. */
int	tlsa_rollover_parse(const char *, bool *dane);

struct opts;
struct opts_cert;
/*
 * The policy of one certificate from certd.conf and the flags: dane from
 * the [cert NAME] section's key_rollover (sec NULL: not dane), port from
 * --port, else the section's tlsa_port, else tlsa_port; tlsa_hook,
 * dns_server, tlsa_ttl, tlsa_margin, hook_timeout and the section's
 * key_type. Strings are borrowed from o and sec. CD_ECONFIG for a bad
 * key_rollover, dns_server, protocol or a relative hook path.
 */
int	tlsa_policy_from_opts(struct tlsa_policy *, const struct opts *,
	    const struct opts_cert *, struct cd_err *);

enum tlsa_state {
	TLSA_ST_NONE = 0,	/* no next key */
	TLSA_ST_STAGED,		/* next key made; its record not seen */
	TLSA_ST_PUBLISHING,	/* record seen since published_at, for less
				 * than the margin */
	TLSA_ST_PUBLISHED,	/* seen for the margin: the next renewal
				 * switches to the next key */
};

enum tlsa_seen {
	TLSA_SEEN = 0,		/* every name has the next key's record */
	TLSA_ABSENT,		/* some name answered without it */
	TLSA_UNKNOWN,		/* no usable answer (DNS or hook failed) */
};

struct tlsa_stage {
	bool	 staged;		/* next.key exists */
	char	 spki[TLSA_HEX_SIZE];	/* of next.key */
	time_t	 staged_at;
	time_t	 published_at;		/* 0: not seen (since last absent) */
	time_t	 ttl_seen;		/* largest TTL seen in DNS */
	char	 prev[TLSA_HEX_SIZE];	/* current key while rolling, or "" */
	char	 retired[TLSA_HEX_SIZE];	/* key replaced by a roll, "" */
	time_t	 retired_at;
};

/* Seconds the next key's record must be seen before the switch:
 * policy margin, or 2 x max(policy TTL, TTL seen), capped. */
time_t	tlsa_margin(const struct tlsa_policy *, const struct tlsa_stage *);
/* The state at now. A published_at in the future (the clock went back)
 * counts as PUBLISHING, never as PUBLISHED. */
enum tlsa_state tlsa_state_of(const struct tlsa_stage *,
	    const struct tlsa_policy *, time_t now);
/* Records the outcome of a check at now: SEEN starts the clock (once),
 * ABSENT stops it, UNKNOWN changes nothing. ttl: the TTL seen (0: none,
 * larger values are capped at TLSA_TTL_MAX). */
void	tlsa_observe(struct tlsa_stage *, enum tlsa_seen, time_t ttl,
	    time_t now);
/* The decision of a renewal: switch to the next key only when it is
 * PUBLISHED and this run's check saw its record again (SEEN): a check
 * that failed or saw it gone never leads to a switch. */
bool	tlsa_should_roll(const struct tlsa_stage *, const struct tlsa_policy *,
	    enum tlsa_seen now_seen, time_t now);
/* next.state text <-> struct (strict: unknown keys, bad numbers or bad
 * hex are CD_EPROTO). format: *out malloc'd. */
int	tlsa_stage_parse(const char *, size_t, struct tlsa_stage *,
	    struct cd_err *);
int	tlsa_stage_format(const struct tlsa_stage *, char **out, size_t *len,
	    struct cd_err *);
const char *tlsa_state_name(enum tlsa_state);

/* ---- I/O ---- */

/*
 * Queries the TLSA RRset of owner ("_25._tcp.mx.example.org.") with
 * res_nquery(3): at dns_server ("IPv4[:PORT]") or, when NULL, the
 * servers of /etc/resolv.conf; TLSA_DNS_TIMEOUT x TLSA_DNS_TRIES.
 * NXDOMAIN and NODATA give an empty set; no answer is CD_ENET, SERVFAIL
 * and malformed answers CD_EPROTO.
 */
int	tlsa_dns_query(const char *dns_server, const char *owner,
	    struct tlsa_rrset *, struct cd_err *);

/* The DNS names of the current certificate that get TLSA records (no IP
 * addresses, no wildcards), malloc'd (store_names_free). */
int	tlsa_cert_names(struct store *, const char *name, char ***names,
	    size_t *n, struct cd_err *);

/*
 * Loads certs/NAME/next.state and next.key (NULL next: key not needed).
 * A missing state file gives a zero stage; a next.key whose SPKI differs
 * from the state (a crash between the two writes) counts as freshly
 * staged at now and not published. *next is NULL when none is staged.
 */
int	tlsa_stage_load(struct store *, const char *name, time_t now,
	    struct tlsa_stage *, EVP_PKEY **next, struct cd_err *);

/*
 * For a renewal of certificate name (the state dir is locked by the
 * caller). With policy->dane false, or when name has no current
 * certificate yet (first issuance): *key_to_use = NULL, *rolled = false
 * and nothing happens; the caller makes a key as usual (and calls
 * tlsa_rollover_commit after the first issuance to stage a next key).
 * Otherwise: stages a next key when none is (same type as the current
 * key, or policy->key_type), asks DNS and/or the hook whether its TLSA
 * record is published for every name, saves the updated state, removes
 * a retired record (hook only) once the margin has passed, and returns:
 *   - PUBLISHED and seen again now (tlsa_should_roll): the staged next
 *     key, *rolled = true;
 *   - otherwise: the current key, *rolled = false (a failed DNS query or
 *     hook only delays the switch: it is logged, not an error).
 * *key_to_use belongs to the caller (EVP_PKEY_free). The caller must use
 * exactly this key for the CSR (not a new one), then, once the renewed
 * certificate is committed with store_cert_commit(), call
 * tlsa_rollover_commit(). -1: the current key or the state cannot be
 * read or written; nothing was decided, do not renew with another key.
 */
int	tlsa_rollover_key(struct store *, const char *name,
	    const struct tlsa_policy *, time_t now, EVP_PKEY **key_to_use,
	    bool *rolled, struct cd_err *);

/*
 * After a successful renewal (store_cert_commit done) with the key from
 * tlsa_rollover_key: when the current certificate now carries the staged
 * key, the roll is completed (the replaced key becomes "retired", the
 * staged files go, a new next key is staged and, with a hook, published;
 * the records to publish are logged). Also stages a first next key after
 * the first issuance. rolled must be what tlsa_rollover_key said; a roll
 * that the current certificate does not show is CD_EPROTO. Crash-safe:
 * tlsa_rollover_key finishes an interrupted roll on the next run. A
 * failing publication hook is only logged (the next run retries).
 * Does nothing when policy->dane is false.
 */
int	tlsa_rollover_commit(struct store *, const char *name,
	    const struct tlsa_policy *, bool rolled, time_t now,
	    struct cd_err *);

/* Stages a next key when name has none (as tlsa_rollover_key does, but
 * no DNS check); *staged: one was made now. For `certd tlsa`. */
int	tlsa_stage_ensure(struct store *, const char *name,
	    const struct tlsa_policy *, time_t now, bool *staged,
	    struct cd_err *);

#endif
