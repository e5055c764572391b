/*
 * fetch.h - http/https fetching of CRLs, OCSP responses and AIA
 * caIssuers certificates with libcurl. Bounded (size, headers, time), no
 * redirects, http(s) only. Built on the curl multi interface so that many
 * transfers run at once; fetch_one() is the blocking convenience.
 */
#ifndef CERTD_FETCH_H
#define CERTD_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"
#include "rev.h"

#define FETCH_HEADER_MAX	8192	/* bytes of one response header line */
#define FETCH_HEADERS_MAX	100	/* header lines of one response */
#define FETCH_VALIDATOR_MAX	256	/* bytes of an ETag/Last-Modified */
#define FETCH_MAX_AGE_MAX	(365 * 86400)	/* seconds; larger is capped */
#define FETCH_CONNECT_TIMEOUT	10	/* seconds, when the request says 0 */
#define FETCH_TIMEOUT		30	/* seconds, when the request says 0 */

struct fetch_req {
	const char	*url;		/* http(s)://, <= REV_URL_MAX bytes */
	const char	*method;	/* "GET" (NULL means GET) or "POST" */
	const void	*body;		/* POST body (copied), len bytes */
	size_t		 len;
	const char	*content_type;	/* of the POST body; NULL: none */
	size_t		 max;		/* bytes of body accepted; > 0 */
	long		 connect_timeout;	/* seconds; 0: default */
	long		 timeout;	/* seconds for the whole transfer */
	const char	*etag;		/* If-None-Match; NULL: none */
	const char	*last_modified;	/* If-Modified-Since; NULL: none */
};

struct fetch_resp {
	long		 status;	/* HTTP status (2xx or 304) */
	unsigned char	*body;		/* len bytes + NUL; never NULL */
	size_t		 len;
	char		*content_type;	/* media type, lower case, no
					 * parameters; NULL if absent */
	char		*etag;		/* NULL if absent or unusable */
	char		*last_modified;	/* NULL if absent or unusable */
	bool		 not_modified;	/* 304 to a conditional GET */
	time_t		 max_age;	/* Cache-Control max-age; 0: none */
};

/* Frees what a fetch_resp holds and zeroes it; NULL is a no-op. */
void	fetch_resp_clear(struct fetch_resp *);

/*
 * Called exactly once for every transfer fetch_multi_add() accepted.
 * rc 0: resp holds a 2xx answer or a 304 (not_modified). rc -1: err says
 * why (CD_ENET no answer, timeout, TLS; CD_EPROTO too large, bad headers
 * or a status other than 2xx/304, with err->http_status set; CD_ENOMEM).
 * resp and err are borrowed for the call only: the callback may take the
 * pointers inside resp by setting them to NULL; whatever is left is freed
 * when it returns. It may call fetch_multi_add() (to chain transfers) but
 * not fetch_multi_run() or fetch_multi_free().
 */
typedef void fetch_done_fn(void *arg, int rc, struct fetch_resp *resp,
    const struct cd_err *err);

struct fetch_multi;

/* A set of concurrent transfers; NULL (err filled) on failure. The first
 * call loads libcurl (curldl_load()): CD_ECONFIG if it cannot. */
struct fetch_multi *fetch_multi_new(struct cd_err *);

/*
 * Starts a transfer. The request and its strings are borrowed for the
 * call only (url and body are copied). Rejects, before curl sees them,
 * anything but http(s) URLs of at most REV_URL_MAX bytes without control
 * bytes or spaces, unknown methods, max == 0 and validators with control
 * bytes (CD_ECONFIG); done is then not called. -1 on failure.
 */
int	fetch_multi_add(struct fetch_multi *, const struct fetch_req *,
	    fetch_done_fn *done, void *arg, struct cd_err *);

/*
 * Drives the transfers (curl_multi_perform + curl_multi_poll) and calls
 * the completion callbacks, until none is left or timeout_ms milliseconds
 * have passed (timeout_ms < 0: no limit besides the per-transfer
 * timeouts). Returns the number of transfers still pending (0: all
 * done), or -1 if curl's multi handle failed: every pending transfer has
 * then been ended with CD_ENET.
 */
int	fetch_multi_run(struct fetch_multi *, int timeout_ms);

/* Number of transfers added and not yet completed. */
size_t	fetch_multi_pending(const struct fetch_multi *);

/* Aborts pending transfers (each callback gets rc -1, CD_ENET
 * "aborted") and frees everything; NULL is a no-op. */
void	fetch_multi_free(struct fetch_multi *);

/*
 * Blocking: one transfer, answer in *resp (owned by the caller, release
 * with fetch_resp_clear()). 0 on a 2xx or 304, -1 otherwise with err as
 * described for fetch_done_fn; *resp is then empty.
 */
int	fetch_one(const struct fetch_req *, struct fetch_resp *,
	    struct cd_err *);

/* Network transfers started by this process so far (tests use it to
 * prove that an answer came from the cache). Not thread-safe. */
unsigned long	fetch_count(void);

#endif
