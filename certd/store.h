/*
 * store.h - the state directory (DESIGN.md §5):
 *
 *   DIR/accounts/<id>/account.conf  account.key (0600)
 *   DIR/certs/<name>/v0001/{cert,chain,fullchain,privkey}.pem + meta
 *   DIR/certs/<name>/current -> v0001     (switched atomically)
 *
 * <id> is derived from the directory URL. A version directory is
 * complete before `current` points at it; `meta` inside it records the
 * settings the certificate was issued with, so one symlink switch changes
 * certificate, key and settings together. Any failure leaves the
 * previous state untouched. All writes are fsynced. An exclusive flock on
 * the state directory itself serialises runs (no lock file to leave).
 */
#ifndef CERTD_STORE_H
#define CERTD_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define STORE_KV_MAX		(64 * 1024)	/* bytes of one kv file */
#define STORE_KV_LINES_MAX	1000
#define STORE_VERSIONS_KEEP	5	/* old versions kept per certificate */

/* key=value lines; keys [a-z0-9_.-]{1,64}, values printable without
 * CR/LF, at most 4096 bytes; a key may repeat (lists), order kept. */
struct store_kv {
	size_t	 n;
	char	**key;
	char	**val;
};

int	store_kv_parse(const char *, size_t, struct store_kv *,
	    struct cd_err *);
int	store_kv_format(const struct store_kv *, char **, size_t *,
	    struct cd_err *);
/* Adds (copies); -1 for an invalid key or value or out of memory. */
int	store_kv_add(struct store_kv *, const char *key, const char *val,
	    struct cd_err *);
/* First value of key, borrowed; NULL if absent. */
const char *store_kv_get(const struct store_kv *, const char *key);
/* All values of key into out[max] (borrowed); returns the count. */
size_t	store_kv_getall(const struct store_kv *, const char *key,
	    const char **out, size_t max);
void	store_kv_clear(struct store_kv *);

struct store;

/* Opens DIR; create: make it (0700) if it is missing. */
struct store *store_open(const char *dir, bool create, struct cd_err *);
void	store_close(struct store *);
const char *store_dir(const struct store *);
/* Exclusive lock for this process's lifetime; wait: block, else fail
 * with CD_ETEMP when another run holds it. */
int	store_lock(struct store *, bool wait, struct cd_err *);

/* Account directory id for a directory URL: host (and port) in a safe
 * alphabet, "-", first 12 hex digits of SHA-256(URL). out >= 128 bytes */
int	store_account_id(const char *url, char *out, size_t outlen,
	    struct cd_err *);
/* Loads accounts/<id>/account.conf into kv and the key PEM into *key
 * (wipe with keys_pem_free). CD_ENOTFOUND when there is no account. */
int	store_account_load(struct store *, const char *url,
	    struct store_kv *, char **key, size_t *keylen, struct cd_err *);
/* Writes account.conf; key (may be NULL: keep the existing one) is
 * written 0600 as account.key. A new account directory appears complete
 * or not at all. */
int	store_account_save(struct store *, const char *url,
	    const struct store_kv *, const char *key, size_t keylen,
	    struct cd_err *);

struct store_files {
	const char	*cert;		/* leaf PEM */
	size_t		 certlen;
	const char	*chain;		/* intermediates PEM (may be "") */
	size_t		 chainlen;
	const char	*fullchain;
	size_t		 fulllen;
	const char	*privkey;	/* written 0600 */
	size_t		 keylen;
	const struct store_kv *meta;	/* settings and facts */
};

/* New version for certificate name (util_is_safe_component), then the
 * atomic switch of `current`; prunes old versions beyond the limit. */
int	store_cert_commit(struct store *, const char *name,
	    const struct store_files *, struct cd_err *);
/* Names of all certificates with a `current` version, sorted. */
int	store_cert_list(struct store *, char ***, size_t *, struct cd_err *);
void	store_names_free(char **, size_t);
/* Reads certs/<name>/current/<file> (bounded by max). CD_ENOTFOUND when
 * the certificate does not exist. */
int	store_cert_read(struct store *, const char *name, const char *file,
	    size_t max, char **, size_t *, struct cd_err *);
/* Version directory name `current` points at ("v0003"), into out. */
int	store_cert_current(struct store *, const char *name, char *out,
	    size_t outlen, struct cd_err *);

#endif
