/*
 * cert.h - certificates and chains as certd stores and shows them:
 * splitting a PEM chain from the ACME server (untrusted, bounded),
 * summary information for `certd list`, key/name matching.
 */
#ifndef CERTD_CERT_H
#define CERTD_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

#define CERT_CHAIN_MAX		(1024 * 1024)	/* bytes of PEM */
#define CERT_CHAIN_CERTS_MAX	10

struct cert_info {
	char	*subject_cn;	/* NULL when absent */
	char	*issuer_cn;	/* issuer CN, or the whole issuer DN */
	char	**names;	/* SANs: DNS names and IP addresses */
	size_t	 nnames;
	time_t	 not_before;
	time_t	 not_after;
	char	 serial[2 * 20 * 3 + 1];	/* hex, colon-less, lower case */
	char	 sha256[65];		/* fingerprint of the DER, hex */
	char	 key_type[16];		/* keys_type_name() or "other" */
};

/* Splits a PEM chain (leaf first): every block must be a CERTIFICATE that
 * parses, nothing but white space between/around blocks, 1..10 blocks.
 * Outputs are normalised PEM, malloc'd: leaf, the rest (may be empty ""),
 * and leaf+rest (fullchain). */
int	cert_chain_split(const char *pem, size_t len, char **leaf,
	    size_t *leaflen, char **chain, size_t *chainlen, char **full,
	    size_t *fulllen, struct cd_err *);
/* Information on the first certificate of a PEM text. */
int	cert_info_pem(const char *pem, size_t len, struct cert_info *,
	    struct cd_err *);
int	cert_info_x509(X509 *, struct cert_info *, struct cd_err *);
void	cert_info_clear(struct cert_info *);
/* First certificate of a PEM text as DER (malloc'd). */
int	cert_pem_to_der(const char *pem, size_t len, unsigned char **der,
	    size_t *dlen, struct cd_err *);
/* true if the first certificate's public key is key's public key */
bool	cert_matches_key(const char *pem, size_t len, EVP_PKEY *);
/* EVP_PKEY_get_base_id() of the first certificate's public key
 * (EVP_PKEY_EC, EVP_PKEY_RSA, ...); EVP_PKEY_NONE if it does not parse */
int	cert_key_id(const char *pem, size_t len);
/* true if the certificate's SANs are exactly names (any order, DNS names
 * compared case-insensitively) */
bool	cert_has_names(const struct cert_info *, const char *const *, size_t);

#endif
