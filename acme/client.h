/*
 * client.h - private to acme/: the client object and its request helpers
 * shared by account.c and order.c.
 */
#ifndef ACME_CLIENT_H
#define ACME_CLIENT_H

#include "acme_int.h"

#define CLIENT_NONCES_MAX	8
#define CLIENT_BADNONCE_RETRIES	4	/* retries of one POST after badNonce */

struct acme_client {
	char			*dir_url;
	bool			 allow_http;	/* http:// directory (tests) */
	struct acme_transport	 tr;
	struct acme_directory	 dir;
	bool			 have_dir;
	char			*nonces[CLIENT_NONCES_MAX];
	size_t			 nnonces;
	struct acme_signer	*signer;	/* borrowed */
	char			*kid;
	acme_log_fn		*log;
	void			*log_arg;
	unsigned		 badnonce;
};

void	client_log(struct acme_client *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* GET; non-2xx answers become err. */
int	client_get(struct acme_client *, const char *url, const char *what,
	    struct acme_http_resp *, struct acme_err *);
/* Signed POST (payload NULL: POST-as-GET). jwk_signer non-NULL: sign
 * with that key and embed its jwk, else the account key with kid.
 * Non-2xx answers become err (after one badNonce retry). */
int	client_post(struct acme_client *, const char *url, const char *what,
	    const char *payload, struct acme_signer *jwk_signer,
	    struct acme_http_resp *, struct acme_err *);
int	client_expect_json(const char *, const struct acme_http_resp *,
	    struct acme_err *);
/* Copies a validated Location header into *out. */
int	client_location(const struct acme_client *, const char *what,
	    const struct acme_http_resp *, char **, struct acme_err *);

#endif
