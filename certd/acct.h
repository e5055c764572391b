/*
 * acct.h - the ACME account of one directory URL as the commands use it:
 * an acme_client with the stored key and URL, or a newly registered
 * account that is saved only when the command succeeds.
 */
#ifndef CERTD_ACCT_H
#define CERTD_ACCT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "acme.h"
#include "err.h"
#include "opts.h"
#include "store.h"

#define ACCT_DEFAULT_SERVER "https://acme-v02.api.letsencrypt.org/directory"

struct acct {
	const char		*server;	/* borrowed from opts */
	struct acme_client	*client;
	struct acme_signer	*signer;
	EVP_PKEY		*key;
	struct store_kv		 kv;		/* account.conf */
	bool			 stored;	/* loaded from the state dir */
	bool			 fresh;		/* registered by this run */
	char			*key_pem;	/* key of a fresh account */
	size_t			 key_len;
};

/* A client for the configured server (no network yet). */
int	acct_init(struct acct *, const struct opts *, struct cd_err *);
/* Loads the stored account; CD_ENOTFOUND when there is none. */
int	acct_load(struct acct *, struct store *, struct cd_err *);
/* Loads, or else registers a new account (kept in memory until
 * acct_save). */
int	acct_ensure(struct acct *, struct store *, const struct opts *,
	    struct cd_err *);
/* Registers with a fresh key (also finds an existing account when the
 * key is known to the CA). */
int	acct_register(struct acct *, const struct opts *, struct cd_err *);
/* Writes account.conf (and the key of a fresh account). */
int	acct_save(struct acct *, struct store *, struct cd_err *);
/* After a failed command: deactivates an account this run registered, so
 * nothing is left behind at the CA either. */
void	acct_abandon(struct acct *);
/* Sets key to val in kv (val NULL: removes it), keeping the order. */
int	acct_kv_set(struct store_kv *, const char *key, const char *val,
	    struct cd_err *);
/* Records the account's state from the CA's answer into kv. */
int	acct_record(struct acct *, const struct acme_account *,
	    struct cd_err *);
void	acct_clear(struct acct *);

#endif
