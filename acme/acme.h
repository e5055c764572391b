/*
 * acme.h - the public API of libacme, an ACME client library (RFC 8555,
 * RFC 8737 tls-alpn-01, RFC 8738 IP identifiers, EAB, profiles).
 *
 * Conventions: a fallible function returns 0 or -1 and fills the caller's
 * struct acme_err (which may be NULL). Structs filled by the library own
 * their strings; release them with the matching *_clear(). The library
 * never exits, never sleeps and logs only through acme_log_fn.
 */
#ifndef ACME_ACME_H
#define ACME_ACME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

/* Limits; all lengths are bytes. */
#define ACME_JSON_MAX		(256 * 1024)	/* one JSON body */
#define ACME_PEM_MAX		(1024 * 1024)	/* one certificate chain */
#define ACME_CHAIN_CERTS_MAX	10	/* certificates in one chain */
#define ACME_ALTERNATES_MAX	8	/* Link rel="alternate" chains */
#define ACME_URL_MAX		2048
#define ACME_NONCE_MAX		512
#define ACME_TOKEN_MAX		512
#define ACME_IDS_MAX		100	/* identifiers in one order */
#define ACME_AUTHZ_MAX		100	/* authorizations in one order */
#define ACME_CHALL_MAX		16	/* challenges in one authz */
#define ACME_CONTACT_MAX	16
#define ACME_PROFILES_MAX	32
#define ACME_SUBPROBLEMS_MAX	100
#define ACME_RETRY_AFTER_MAX	86400	/* seconds; larger values are capped */
#define ACME_TEXT_MAX		1024	/* detail strings kept in messages */
#define ACME_ERR_MSG		1024

enum acme_errkind {
	ACME_EOK = 0,
	ACME_ENOMEM,
	ACME_ESYS,	/* system call; errno text in msg */
	ACME_EPROTO,	/* the server's reply is malformed or oversized */
	ACME_ECRYPTO,	/* OpenSSL failure */
	ACME_ETEMP,	/* retryable: rateLimited, 503, connection failure */
	ACME_ESERVER,	/* a problem document that retrying will not fix */
	ACME_EUSAGE,	/* bad argument from the caller */
	ACME_ENET,	/* no HTTP answer: connection, TLS, timeout */
};

struct acme_err {
	enum acme_errkind kind;
	int		 http_status;	/* 0: no HTTP answer */
	time_t		 retry_after;	/* seconds to wait; 0: unknown */
	char		 type[128];	/* problem type URN, or "" */
	char		 msg[ACME_ERR_MSG];
};

/* RFC 8555 §7.1.6 status values. UNRECOGNIZED is never a valid state. */
enum acme_status {
	ACME_ST_UNRECOGNIZED = 0,
	ACME_ST_PENDING,
	ACME_ST_READY,
	ACME_ST_PROCESSING,
	ACME_ST_VALID,
	ACME_ST_INVALID,
	ACME_ST_DEACTIVATED,
	ACME_ST_EXPIRED,
	ACME_ST_REVOKED,
};

enum acme_id_type {
	ACME_ID_DNS = 1,
	ACME_ID_IP,		/* RFC 8738; value is the textual address */
};

struct acme_ident {
	enum acme_id_type type;
	char		*value;
};

/* RFC 7807 problem document with RFC 8555 §6.7.1 subproblems. */
struct acme_subproblem {
	char		*type;
	char		*detail;	/* may be NULL */
	struct acme_ident ident;	/* value NULL when absent */
};

struct acme_problem {
	char		*type;		/* never NULL after a successful parse */
	char		*detail;	/* may be NULL */
	int		 status;	/* 0: absent */
	struct acme_subproblem *sub;
	size_t		 nsub;
};

struct acme_directory {
	char		*new_nonce;
	char		*new_account;
	char		*new_order;
	char		*new_authz;	/* optional */
	char		*revoke_cert;
	char		*key_change;
	char		*renewal_info;	/* optional, RFC 9773 ARI */
	char		*terms_of_service; /* meta, optional */
	char		*website;	/* meta, optional */
	bool		 eab_required;	/* meta.externalAccountRequired */
	char		**profiles;	/* meta.profiles names, sorted as sent */
	size_t		 nprofiles;
};

struct acme_account {
	char		*url;		/* the kid; from Location */
	enum acme_status status;
	char		**contact;
	size_t		 ncontact;
	char		*orders;	/* may be NULL */
};

struct acme_order {
	char		*url;		/* from Location, or as requested */
	enum acme_status status;
	time_t		 expires;	/* 0: absent */
	struct acme_ident *ids;
	size_t		 nids;
	char		**authz;
	size_t		 nauthz;
	char		*finalize;
	char		*certificate;	/* once valid */
	char		*profile;	/* may be NULL */
	struct acme_problem *error;	/* may be NULL */
	time_t		 retry_after;	/* poll hint in seconds, 0: none */
};

enum acme_chall_type {
	ACME_CH_OTHER = 0,
	ACME_CH_HTTP01,
	ACME_CH_DNS01,
	ACME_CH_TLSALPN01,
};

struct acme_challenge {
	enum acme_chall_type type;
	char		*type_name;	/* as sent, e.g. "http-01" */
	char		*url;
	char		*token;		/* base64url; NULL for unknown types */
	enum acme_status status;
	struct acme_problem *error;	/* may be NULL */
};

struct acme_authz {
	char		*url;
	enum acme_status status;
	struct acme_ident ident;
	bool		 wildcard;
	time_t		 expires;
	struct acme_challenge *chall;
	size_t		 nchall;
	time_t		 retry_after;	/* poll hint in seconds, 0: none */
};

/* One certificate chain as PEM text (leaf first). */
struct acme_chain {
	char		*pem;
	size_t		 len;
};

/* ---- HTTP transport (http.c by default; tests plug in canned replies) */

struct acme_http_req {
	const char	*method;	/* "GET", "HEAD" or "POST" */
	const char	*url;
	const char	*content_type;	/* POST only */
	const void	*body;
	size_t		 len;
};

struct acme_http_resp {
	long		 status;
	char		*content_type;	/* media type, parameters stripped */
	char		*location;
	char		*replay_nonce;
	char		*retry_after;	/* raw header value */
	char		**links;	/* raw Link header values */
	size_t		 nlinks;
	unsigned char	*body;		/* NUL-terminated; may hold NULs */
	size_t		 len;
};

struct acme_transport {
	/* Performs one request; fills resp (zeroed by the caller). Returns
	 * -1 only when no HTTP answer was had (ACME_ENET for connection
	 * problems, ACME_EPROTO for oversized bodies). */
	int	(*request)(void *, const struct acme_http_req *,
		    struct acme_http_resp *, struct acme_err *);
	void	(*free)(void *);
	void	*arg;
};

struct acme_http_opts {
	const char	*ca_bundle;	/* NULL: system trust store */
	long		 connect_timeout; /* seconds; 0: 10 */
	long		 timeout;	/* seconds; 0: 30 */
	const char	*user_agent;	/* NULL: "certd-acme" */
	size_t		 body_max;	/* 0: ACME_PEM_MAX */
	bool		 allow_http;	/* tests only: also allow http:// */
};

/* The default transport: HTTP/1.1 over OpenSSL (TLS 1.2 or later, the
 * server certificate verified against ca_bundle or the system store, its
 * name checked), https only unless allow_http, no redirects, one
 * connection kept alive between requests, timeout = the deadline of one
 * request (connect_timeout of connecting, proxy and handshake). An
 * https_proxy from the environment is used through HTTP CONNECT (see
 * http.h). TLS writes may raise SIGPIPE when the server has gone: the
 * program ignores it (certd does). Returns 0 and fills *t; release with
 * t->free(t->arg). */
int	acme_transport_http(const struct acme_http_opts *,
	    struct acme_transport *, struct acme_err *);
void	acme_http_resp_clear(struct acme_http_resp *);

/* ---- keys and signatures */

/* An account key that signs JWS. ES256 (P-256), ES384 (P-384) and RS256
 * (RSA >= 2048 bits) are supported. The signer takes a reference on key. */
struct acme_signer;
struct acme_signer *acme_signer_new(EVP_PKEY *, struct acme_err *);
void	acme_signer_free(struct acme_signer *);
const char *acme_signer_alg(const struct acme_signer *);
/* Canonical JWK (RFC 7638 member order, no white space); borrowed for
 * the signer's lifetime. */
const char *acme_signer_jwk(const struct acme_signer *);
/* RFC 7638 SHA-256 thumbprint, base64url, NUL-terminated (44 bytes). */
int	acme_signer_thumbprint(const struct acme_signer *, char out[44],
	    struct acme_err *);
/* token "." thumbprint; *out is malloc'd. */
int	acme_key_authorization(const struct acme_signer *, const char *token,
	    char **out, struct acme_err *);
/* dns-01 TXT value: base64url(SHA-256(keyauth)), 43 chars + NUL. */
int	acme_dns01_txt(const char *keyauth, char out[44], struct acme_err *);

/* base64url without padding. encode: *out malloc'd, NUL-terminated.
 * decode rejects padding, white space and bytes outside the alphabet,
 * and non-canonical input (len % 4 == 1, non-zero trailing bits), with
 * ACME_EUSAGE; *out is malloc'd and NUL-terminated after the data.
 * is_valid: non-empty and only [A-Za-z0-9_-] (RFC 8555 nonce and token
 * grammar); it does not check the length or the trailing bits. */
int	acme_b64url_encode(const void *, size_t, char **out, struct acme_err *);
int	acme_b64url_decode(const char *, size_t, unsigned char **out,
	    size_t *outlen, struct acme_err *);
bool	acme_b64url_is_valid(const char *, size_t);

/* ---- client */

typedef void acme_log_fn(void *arg, int level, const char *msg);
#define ACME_LOG_DEBUG	0
#define ACME_LOG_INFO	1
#define ACME_LOG_WARN	2

struct acme_client;

/* A client for one directory URL (https, <= ACME_URL_MAX). Takes the
 * transport even when it fails. */
struct acme_client *acme_client_new(const char *directory_url,
	    struct acme_transport *, struct acme_err *);
void	acme_client_free(struct acme_client *);
void	acme_client_set_log(struct acme_client *, acme_log_fn *, void *);
/* Fetches the directory once; the result is borrowed for the client's
 * lifetime. */
int	acme_client_directory(struct acme_client *,
	    const struct acme_directory **, struct acme_err *);
/* Use signer (borrowed, must outlive its use) and account URL kid (copied;
 * NULL: none yet) for signed requests. */
int	acme_client_set_account(struct acme_client *, struct acme_signer *,
	    const char *kid, struct acme_err *);
const char *acme_client_kid(const struct acme_client *);
/* Number of badNonce replies retried so far (for tests and logs). */
unsigned acme_client_badnonce_count(const struct acme_client *);

/* ---- accounts (§7.3) */

struct acme_account_req {
	const char *const *contact;	/* "mailto:..." URLs */
	size_t		 ncontact;
	bool		 tos_agreed;
	bool		 only_existing;
	const char	*eab_kid;	/* both or neither */
	const char	*eab_key;	/* base64url HMAC key */
};

/* newAccount with the client's signer; on success the client's kid is
 * set to the account URL. */
int	acme_account_register(struct acme_client *,
	    const struct acme_account_req *, struct acme_account *,
	    struct acme_err *);
int	acme_account_fetch(struct acme_client *, struct acme_account *,
	    struct acme_err *);
int	acme_account_update(struct acme_client *, const char *const *contact,
	    size_t ncontact, struct acme_account *, struct acme_err *);
int	acme_account_deactivate(struct acme_client *, struct acme_account *,
	    struct acme_err *);
/* §7.3.5 keyChange; on success the client signs with newkey (borrowed). */
int	acme_account_key_change(struct acme_client *, struct acme_signer *,
	    struct acme_err *);
void	acme_account_clear(struct acme_account *);

/* ---- orders (§7.4) */

int	acme_order_new(struct acme_client *, const struct acme_ident *,
	    size_t nids, const char *profile, const char *replaces,
	    struct acme_order *, struct acme_err *);
int	acme_order_get(struct acme_client *, const char *url,
	    struct acme_order *, struct acme_err *);
int	acme_authz_get(struct acme_client *, const char *url,
	    struct acme_authz *, struct acme_err *);
int	acme_challenge_respond(struct acme_client *, const char *url,
	    struct acme_challenge *, struct acme_err *);
/* finalize with a DER CSR; *order is replaced by the server's answer */
int	acme_order_finalize(struct acme_client *, struct acme_order *,
	    const unsigned char *csr, size_t len, struct acme_err *);
/* Downloads the default chain and its Link rel="alternate" chains;
 * (*chains)[0] is the default. Free with acme_chains_free(). */
int	acme_cert_download(struct acme_client *, const char *url,
	    struct acme_chain **, size_t *, struct acme_err *);
void	acme_chains_free(struct acme_chain *, size_t);
/* Index of the first chain whose topmost certificate's issuer (or
 * subject) CN equals cn; -1 if none matches. */
int	acme_chain_pick(const struct acme_chain *, size_t, const char *cn);
/* §7.6 revokeCert. signer NULL: the account key (kid); otherwise a JWS
 * with the certificate's key as jwk. reason < 0: omitted. */
int	acme_cert_revoke(struct acme_client *, struct acme_signer *,
	    const unsigned char *der, size_t len, int reason, struct acme_err *);

void	acme_order_clear(struct acme_order *);
void	acme_authz_clear(struct acme_authz *);
void	acme_challenge_clear(struct acme_challenge *);
void	acme_problem_free(struct acme_problem *);
/* Describes a problem document (an order's or challenge's error) in err:
 * ACME_ETEMP for rateLimited, else ACME_ESERVER. Always returns -1. */
int	acme_err_from_problem(struct acme_err *, const struct acme_problem *);
void	acme_directory_clear(struct acme_directory *);

const char *acme_status_name(enum acme_status);
/* RFC 5280 reason names ("keyCompromise" ...) to codes; -1 if unknown */
int	acme_reason_parse(const char *);

/* ---- challenge responders (run in a child process until stopped) */

struct acme_chall_item {
	const char	*token;
	const char	*keyauth;
	const char	*ident;		/* DNS name or IP (tls-alpn-01) */
};

struct acme_responder;
/* http-01: serves /.well-known/acme-challenge/TOKEN on addr:port. */
struct acme_responder *acme_http01_start(const char *addr, unsigned port,
	    const struct acme_chall_item *, size_t, struct acme_err *);
/* tls-alpn-01 (RFC 8737): ALPN "acme-tls/1", per-SNI certificate. */
struct acme_responder *acme_tlsalpn01_start(const char *addr, unsigned port,
	    const struct acme_chall_item *, size_t, struct acme_err *);
/* Stops the child and waits for it; NULL is a no-op. */
void	acme_responder_stop(struct acme_responder *);
/* webroot: writes DIR/.well-known/acme-challenge/TOKEN (0644). */
int	acme_http01_webroot_put(const char *dir, const char *token,
	    const char *keyauth, struct acme_err *);
void	acme_http01_webroot_remove(const char *dir, const char *token);

/* ---- ARI (RFC 9773): renewal information */

#define ACME_ARI_ID_MAX		256	/* bytes of a certificate identifier */

/* A suggested renewal window (RFC 9773 §4.2); end > start always. */
struct acme_renewal_info {
	time_t		 start;		/* suggestedWindow.start */
	time_t		 end;		/* suggestedWindow.end */
	char		*explanation_url;	/* may be NULL */
	time_t		 retry_after;	/* seconds, from Retry-After; 0: none */
};

/* RFC 9773 §4.1 identifier of a DER certificate: base64url of the
 * Authority Key Identifier's keyIdentifier, ".", base64url of the DER
 * serial number's content octets. *id is malloc'd. ACME_EUSAGE when the
 * certificate has no keyIdentifier, ACME_EPROTO when it does not parse. */
int	acme_ari_cert_id(const unsigned char *der, size_t len, char **id,
	    struct acme_err *);
/* *yes: the directory offers renewalInfo (fetches the directory once). */
int	acme_ari_supported(struct acme_client *, bool *yes, struct acme_err *);
/* Unauthenticated GET {renewalInfo}/{id} (§4.2); the reply (untrusted)
 * is parsed into *ri, with the Retry-After header in ri->retry_after.
 * ACME_EUSAGE when the directory has no renewalInfo or id is malformed;
 * on HTTP errors err->retry_after carries the server's Retry-After. */
int	acme_ari_get(struct acme_client *, const char *id,
	    struct acme_renewal_info *ri, struct acme_err *);
void	acme_renewal_info_clear(struct acme_renewal_info *);
/* The problem type a newOrder with `replaces` fails with when another
 * order already replaced that certificate (§5). */
#define ACME_PROBLEM_ALREADY_REPLACED \
	"urn:ietf:params:acme:error:alreadyReplaced"

#endif
