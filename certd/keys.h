/*
 * keys.h - private keys and CSRs: generation, PEM load/save (0600 from
 * the first byte), key-type names. Secrets stay inside this module and
 * the ACME signer; PEM buffers holding keys are wiped before free.
 */
#ifndef CERTD_KEYS_H
#define CERTD_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "err.h"

#define KEYS_PEM_MAX	(64 * 1024)	/* bytes of one private key file */
#define KEYS_CSR_NAMES_MAX 100

enum keys_type {
	KEYS_EC_P256 = 0,	/* the default */
	KEYS_EC_P384,
	KEYS_RSA2048,
	KEYS_RSA3072,
	KEYS_RSA4096,
};

/* "ecdsa-p256", "ecdsa-p384", "rsa2048", "rsa3072", "rsa4096" */
int	keys_type_parse(const char *, enum keys_type *);
const char *keys_type_name(enum keys_type);
/* The type of an existing key; -1 for anything else (e.g. RSA 1024). */
int	keys_type_of(const EVP_PKEY *, enum keys_type *);

EVP_PKEY *keys_generate(enum keys_type, struct cd_err *);
/* PKCS#8 PEM of the private key; free with keys_pem_free(). */
int	keys_to_pem(EVP_PKEY *, char **, size_t *, struct cd_err *);
void	keys_pem_free(char *, size_t);
/* Parses an unencrypted private key PEM (bounded by KEYS_PEM_MAX). */
EVP_PKEY *keys_from_pem(const char *, size_t, struct cd_err *);
/* Reads dfd/path (refusing group/world-accessible files) and parses. */
EVP_PKEY *keys_load(int dfd, const char *path, struct cd_err *);
/* Creates dfd/name 0600 with O_EXCL (fails if it exists). */
int	keys_save_new(int dfd, const char *name, EVP_PKEY *, struct cd_err *);

/* DER CSR (SHA-256 signed) with every name as a SAN: DNS names, and IP
 * addresses (detected with util_is_ipaddr) as iPAddress; the CN is the
 * first DNS name when it is at most 64 bytes. *der is malloc'd. */
int	keys_csr(EVP_PKEY *, const char *const *names, size_t n,
	    unsigned char **der, size_t *len, struct cd_err *);

/* pem_password_cb that never prompts: encrypted PEM is refused. */
int	keys_no_password(char *, int, int, void *);

#endif
