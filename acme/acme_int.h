/*
 * acme_int.h - private to acme/: error helpers, the JSON layer (json.c is
 * the only file that includes jansson.h) and the JWS layer (jws.c).
 */
#ifndef ACME_ACME_INT_H
#define ACME_ACME_INT_H

#include "acme.h"

/* ---- errors (err.c) */
int	acme_err_set(struct acme_err *, enum acme_errkind, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	acme_err_sys(struct acme_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* drains the OpenSSL error queue into the message */
int	acme_err_crypto(struct acme_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Converts a problem document into err: kind ACME_ETEMP for rateLimited
 * (and any problem with HTTP 503), ACME_ESERVER otherwise; the message is
 * "TYPE: DETAIL" followed by "; IDENT: TYPE: DETAIL" per subproblem, with
 * untrusted text escaped and bounded. what (may be NULL) prefixes it. */
int	acme_err_problem(struct acme_err *, const struct acme_problem *,
	    int http_status, time_t retry_after, const char *what);
/* Escapes non-printables into dst (always NUL-terminated), at most
 * dstlen - 1 bytes, marking truncation with "...". */
void	acme_safe_str(char *dst, size_t dstlen, const char *src, size_t len);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines (solver.c). */
int64_t	acme_now_ms(void);

/* RFC 8555 §8.1 / RFC 9110 Retry-After: delta-seconds or HTTP-date.
 * Returns seconds from now, capped at ACME_RETRY_AFTER_MAX; 0 when
 * absent, unparsable or in the past. */
time_t	acme_retry_after_parse(const char *value, time_t now);

/* ---- JSON bodies (json.c). Parsers take untrusted (body, len): reject
 * over ACME_JSON_MAX, embedded NUL, duplicate keys, wrong member types,
 * unknown status strings; ignore unknown members. On failure *out is
 * left cleared. URLs must be https:// and <= ACME_URL_MAX (http:// is
 * accepted as well when allow_http is set, for test servers only). */
int	acme_json_directory(const void *, size_t, bool allow_http,
	    struct acme_directory *, struct acme_err *);
int	acme_json_account(const void *, size_t, bool allow_http,
	    struct acme_account *, struct acme_err *);
int	acme_json_order(const void *, size_t, bool allow_http,
	    struct acme_order *, struct acme_err *);
int	acme_json_authz(const void *, size_t, bool allow_http,
	    struct acme_authz *, struct acme_err *);
int	acme_json_challenge(const void *, size_t, bool allow_http,
	    struct acme_challenge *, struct acme_err *);
/* *out is allocated on success */
int	acme_json_problem(const void *, size_t, struct acme_problem **,
	    struct acme_err *);

/* Request bodies: compact JSON text, malloc'd into *out. */
int	acme_json_new_account(const struct acme_account_req *,
	    const char *eab_jws, char **out, struct acme_err *);
int	acme_json_contact(const char *const *, size_t, char **,
	    struct acme_err *);
int	acme_json_deactivate(char **, struct acme_err *);
int	acme_json_new_order(const struct acme_ident *, size_t,
	    const char *profile, const char *replaces, char **,
	    struct acme_err *);
int	acme_json_finalize(const char *csr_b64url, char **, struct acme_err *);
int	acme_json_revoke(const char *cert_b64url, int reason, char **,
	    struct acme_err *);
int	acme_json_key_change(const char *account_url, const char *old_jwk,
	    char **, struct acme_err *);
/* JWS protected header: exactly one of jwk (JSON object text) or kid;
 * nonce may be NULL (EAB and keyChange inner JWS). */
int	acme_json_protected(const char *alg, const char *jwk, const char *kid,
	    const char *nonce, const char *url, char **, struct acme_err *);
/* {"protected":P,"payload":Y,"signature":S} (flattened JSON, §6.2) */
int	acme_json_flattened(const char *prot, const char *payload,
	    const char *sig, char **, struct acme_err *);
/* canonical RFC 7638 JWKs: members sorted, no white space */
int	acme_json_jwk_ec(const char *crv, const char *x, const char *y,
	    char **, struct acme_err *);
int	acme_json_jwk_rsa(const char *e, const char *n, char **,
	    struct acme_err *);

/* ---- JWS (jws.c) */

/* Flattened JWS over payload (len 0 and payload "" for POST-as-GET).
 * kid NULL: embed the signer's jwk. nonce NULL: omitted. */
int	acme_jws_sign(const struct acme_signer *, const char *url,
	    const char *nonce, const char *kid, const void *payload,
	    size_t len, char **out, struct acme_err *);
/* RFC 8555 §7.3.4 EAB inner JWS (HS256 over the account jwk). */
int	acme_jws_eab(const char *eab_kid, const char *eab_key_b64url,
	    const char *jwk, const char *url, char **out, struct acme_err *);
/* Raw signature over data: ECDSA as fixed-length R||S, RSA PKCS#1 v1.5,
 * SHA-256 or SHA-384 according to the signer's alg. *sig malloc'd. */
int	acme_signer_sign(const struct acme_signer *, const void *, size_t,
	    unsigned char **sig, size_t *siglen, struct acme_err *);

/* ---- challenge responders (solver.c; solver_http.c, solver_tlsalpn.c) */

#define ACME_SOLVER_CONN_MAX	64	/* concurrent connections per child */
#define ACME_SOLVER_TIMEOUT	10	/* seconds a connection may live */

/* One protocol served by the responder child's poll loop. Connections
 * are non-blocking and each lives at most ACME_SOLVER_TIMEOUT seconds. */
struct acme_solver_ops {
	/* state for a new connection on fd, or NULL to drop it */
	void	*(*open)(void *arg, int fd);
	/* advances the connection: returns 0 with *events set to the
	 * POLLIN/POLLOUT to wait for, or -1 when it is finished */
	int	 (*step)(void *arg, void *conn, int fd, short *events);
	/* releases conn; the loop closes fd afterwards */
	void	 (*close)(void *arg, void *conn);
	void	*arg;
};

/* Binds and listens on addr:port (addr NULL, "" or "*": any address;
 * port 1..65535), then forks a child that serves ops until
 * acme_responder_stop(). what ("http-01 responder") prefixes errors. The
 * child works on a copy of the caller's memory as of this call. */
struct acme_responder *acme_solver_start(const char *what, const char *addr,
	    unsigned port, const struct acme_solver_ops *, struct acme_err *);

/* ---- ARI (RFC 9773): renewalInfo reply body (json.c). Requires
 * suggestedWindow with RFC 3339 start and end, end after start;
 * explanationURL optional (a URL as above). Unknown members ignored. */
int	acme_json_renewal_info(const void *, size_t, bool allow_http,
	    struct acme_renewal_info *, struct acme_err *);

#endif
