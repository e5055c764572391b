/*
 * revcache.h - the revocation engine's cache: one SQLite database in the
 * state dir (WAL mode) holding fetched CRLs with their serial index, OCSP
 * responses, AIA intermediates, verdicts by certificate fingerprint and
 * per-URL fetch failures with backoff. Time is always passed in (`now`).
 * A row that is unreadable or fails validation reads as absent.
 */
#ifndef CERTD_REVCACHE_H
#define CERTD_REVCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"
#include "rev.h"

#define REVCACHE_FILE		"revcache.db"	/* name in the state dir */
#define REVCACHE_SCHEMA		1	/* PRAGMA user_version */
#define REVCACHE_BUSY_MS	5000	/* wait for another writer */
#define REVCACHE_BLOB_MAX	(256u * 1024 * 1024)	/* bytes of one blob */
#define REVCACHE_TEXT_MAX	1024	/* bytes of an ETag, error text ... */
#define REVCACHE_BACKOFF_MIN	60	/* seconds after the first failure */
#define REVCACHE_BACKOFF_MAX	3600	/* seconds; the doubling stops here */
#define REVCACHE_CRL_KEEP	86400	/* seconds a CRL is kept past its
					 * nextUpdate (for conditional GET) */

struct revcache;

/*
 * Opens (creating it 0600 if needed; the directory must exist) the cache
 * database at path, switches it to WAL and creates or migrates the schema.
 * NULL (err filled) on failure, including a corrupt file or one written
 * by a newer certd (CD_ECONFIG).
 */
struct revcache	*revcache_open(const char *path, struct cd_err *);
/* Closes the database; NULL is a no-op. */
void	revcache_close(struct revcache *);

/*
 * Get functions return 0 (found and usable at `now`, out filled), 1 (not
 * found, expired or invalid; out untouched or cleared) or -1 (database
 * error, err filled). Put functions replace the row for the key and
 * return 0 or -1. Fingerprint keys are 64 lower-case hex digits (SHA-256).
 */

/* ---- verdicts, by certificate fingerprint ---- */

/* Usable while now < valid_until. out->source is what was stored. */
int	revcache_verdict_get(struct revcache *, const char *cert_sha256,
	    time_t now, struct rev_result *out, struct cd_err *);
/* Stores r (url and detail are read up to their first NUL). */
int	revcache_verdict_put(struct revcache *, const char *cert_sha256,
	    const struct rev_result *r, struct cd_err *);
int	revcache_verdict_delete(struct revcache *, const char *cert_sha256,
	    struct cd_err *);

/* ---- CRLs, by distribution point URL ---- */

struct revcache_crl {
	char		*etag;		/* NULL: none */
	char		*last_modified;	/* NULL: none */
	time_t		 this_update;
	time_t		 next_update;
	time_t		 fetched_at;
	unsigned char	*der;		/* NULL unless asked for and stored */
	size_t		 der_len;
	unsigned char	*index;		/* crl_index_serialize() output */
	size_t		 index_len;
	char		 issuer_sha256[65];	/* "" if unknown */
	size_t		 size;		/* bytes of the CRL as fetched */
	bool		 fresh;		/* now < next_update (get only) */
};

#define REVCACHE_CRL_DER	0x1	/* load the DER blob */
#define REVCACHE_CRL_INDEX	0x2	/* load the index blob */

/*
 * Unlike the other getters, returns 0 for a stale CRL too (fresh false):
 * its validators serve a conditional GET. Blobs are loaded only when
 * asked for by flags; *out is owned by the caller (revcache_crl_clear).
 */
int	revcache_crl_get(struct revcache *, const char *url, time_t now,
	    unsigned flags, struct revcache_crl *out, struct cd_err *);
/* Stores in (der and index may be NULL; "fresh" is ignored). */
int	revcache_crl_put(struct revcache *, const char *url,
	    const struct revcache_crl *in, struct cd_err *);
/* After a 304: the stored CRL is current again as of fetched_at. */
int	revcache_crl_touch(struct revcache *, const char *url,
	    time_t fetched_at, struct cd_err *);
/* Frees what out holds and zeroes it; NULL is a no-op. */
void	revcache_crl_clear(struct revcache_crl *);

/* ---- OCSP responses, by SHA-256 of the DER CertID ---- */

struct revcache_ocsp {
	char		*url;		/* responder; NULL: none */
	unsigned char	*der;
	size_t		 len;
	time_t		 this_update;
	time_t		 next_update;	/* the caller sets it when absent */
	time_t		 fetched_at;
};

/* Usable while now < next_update. *out is owned by the caller. */
int	revcache_ocsp_get(struct revcache *, const char *certid_sha256,
	    time_t now, struct revcache_ocsp *out, struct cd_err *);
int	revcache_ocsp_put(struct revcache *, const char *certid_sha256,
	    const struct revcache_ocsp *in, struct cd_err *);
void	revcache_ocsp_clear(struct revcache_ocsp *);

/* ---- AIA caIssuers files (never trust anchors), by URL ---- */

/* Usable while now < expires; *der is malloc'd for the caller. */
int	revcache_aia_get(struct revcache *, const char *url, time_t now,
	    unsigned char **der, size_t *len, struct cd_err *);
int	revcache_aia_put(struct revcache *, const char *url,
	    const unsigned char *der, size_t len, time_t fetched_at,
	    time_t expires, struct cd_err *);

/* ---- fetch failures, by URL ---- */

/*
 * Seconds to wait after the n-th consecutive failure: 0 for n == 0, then
 * REVCACHE_BACKOFF_MIN doubling per failure up to REVCACHE_BACKOFF_MAX.
 */
time_t	revcache_backoff(unsigned n);
/*
 * Records a failure of url at now (text is truncated to
 * REVCACHE_TEXT_MAX): the count grows, or restarts at 1 when the last
 * retry time is more than REVCACHE_BACKOFF_MAX in the past.
 */
int	revcache_failure_note(struct revcache *, const char *url,
	    const char *text, time_t now, struct cd_err *);
/*
 * 0: url is in backoff, *when (> now) is the earliest retry and, if
 * failures/text are not NULL, the count and last error (text holds
 * textlen bytes). 1: no backoff, fetch away.
 */
int	revcache_failure_retry_at(struct revcache *, const char *url,
	    time_t now, time_t *when, unsigned *failures, char *text,
	    size_t textlen, struct cd_err *);
/* After a success: forgets the failures of url. */
int	revcache_failure_clear(struct revcache *, const char *url,
	    struct cd_err *);

/* ---- size ---- */

/*
 * Deletes expired rows (verdicts, OCSP, AIA past their time; CRLs
 * REVCACHE_CRL_KEEP past nextUpdate; failures long past their retry
 * time) and then, while the data is larger than max_bytes (0: no
 * limit), the least recently fetched CRLs; gives the space back to the
 * file system. *deleted (may be NULL) counts the rows removed.
 */
int	revcache_prune(struct revcache *, time_t now, size_t max_bytes,
	    size_t *deleted, struct cd_err *);
/* Bytes of the database in use (pages minus free pages). */
int	revcache_used_bytes(struct revcache *, size_t *, struct cd_err *);

#endif
