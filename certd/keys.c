/*
 * keys.c - private key generation, PKCS#8 PEM import/export, key files
 * (0600 from the first byte, refused when others may read them) and CSRs.
 * Key files are trusted only after the mode check; PEM input is bounded
 * and must hold exactly one unencrypted private key.
 */
#include "keys.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "file.h"
#include "util.h"

#define KEYS_CN_MAX	64	/* bytes, ub-common-name (RFC 5280) */

static const struct {
	enum keys_type	 type;
	const char	*name;
	const char	*alg;		/* "EC" or "RSA" */
	const char	*group;		/* EC only */
	int		 nid;		/* EC only */
	int		 bits;		/* RSA only */
} types[] = {
	{ KEYS_EC_P256, "ecdsa-p256", "EC", "P-256", NID_X9_62_prime256v1, 0 },
	{ KEYS_EC_P384, "ecdsa-p384", "EC", "P-384", NID_secp384r1, 0 },
	{ KEYS_RSA2048, "rsa2048", "RSA", NULL, NID_undef, 2048 },
	{ KEYS_RSA3072, "rsa3072", "RSA", NULL, NID_undef, 3072 },
	{ KEYS_RSA4096, "rsa4096", "RSA", NULL, NID_undef, 4096 },
};
#define NTYPES	(sizeof(types) / sizeof(types[0]))

int
keys_type_parse(const char *s, enum keys_type *out)
{
	size_t	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < NTYPES; i++)
		if (strcmp(s, types[i].name) == 0) {
			*out = types[i].type;
			return 0;
		}
	return -1;
}

const char *
keys_type_name(enum keys_type t)
{
	size_t	 i;

	for (i = 0; i < NTYPES; i++)
		if (types[i].type == t)
			return types[i].name;
	return "unknown";
}

int
keys_type_of(const EVP_PKEY *key, enum keys_type *out)
{
	char	 group[64];
	size_t	 glen, i;
	int	 bits, nid;

	if (key == NULL)
		return -1;
	if (EVP_PKEY_is_a(key, "EC")) {
		if (EVP_PKEY_get_group_name(key, group, sizeof(group),
		    &glen) != 1) {
			ERR_clear_error();
			return -1;
		}
		/* the provider says "prime256v1"; accept NIST names too */
		if ((nid = OBJ_sn2nid(group)) == NID_undef)
			nid = EC_curve_nist2nid(group);
		for (i = 0; i < NTYPES; i++)
			if (types[i].nid != NID_undef && types[i].nid == nid) {
				*out = types[i].type;
				return 0;
			}
		return -1;
	}
	/* plain RSA only: RSA-PSS keys cannot sign every ACME request */
	if (EVP_PKEY_is_a(key, "RSA") && !EVP_PKEY_is_a(key, "RSA-PSS")) {
		bits = EVP_PKEY_get_bits(key);
		for (i = 0; i < NTYPES; i++)
			if (types[i].bits != 0 && types[i].bits == bits) {
				*out = types[i].type;
				return 0;
			}
	}
	return -1;
}

EVP_PKEY *
keys_generate(enum keys_type t, struct cd_err *err)
{
	EVP_PKEY	*key = NULL;
	size_t		 i;

	for (i = 0; i < NTYPES; i++)
		if (types[i].type == t)
			break;
	if (i == NTYPES) {
		cd_err_set(err, CD_ECONFIG, "key type %d: unknown", (int)t);
		return NULL;
	}
	ERR_clear_error();
	if (types[i].group != NULL)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", types[i].group);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)types[i].bits);
	if (key == NULL)
		cd_err_crypto(err, "%s: key generation", types[i].name);
	return key;
}

int
keys_to_pem(EVP_PKEY *key, char **out, size_t *outlen, struct cd_err *err)
{
	BIO	*bio = NULL;
	char	*data, *p = NULL;
	long	 n;
	int	 rc = -1;

	ERR_clear_error();
	/* secure heap BIO: its buffer is cleared when freed */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL,
	    NULL) != 1) {
		cd_err_crypto(err, "private key: PEM encoding");
		goto out;
	}
	if ((n = BIO_get_mem_data(bio, &data)) <= 0 || n > KEYS_PEM_MAX) {
		cd_err_set(err, CD_ECRYPTO, "private key: PEM size %ld", n);
		goto out;
	}
	if ((p = malloc((size_t)n + 1)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "private key: out of memory");
		goto out;
	}
	memcpy(p, data, (size_t)n);
	p[n] = '\0';
	*out = p;
	*outlen = (size_t)n;
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

void
keys_pem_free(char *pem, size_t len)
{
	if (pem == NULL)
		return;
	OPENSSL_cleanse(pem, len);
	free(pem);
}

/* Never prompts: an encrypted key is an error, not a question. */
int
keys_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Number of PEM blocks whose label ends in "PRIVATE KEY". */
static size_t
count_key_blocks(const char *pem, size_t len)
{
	static const char	 begin[] = "-----BEGIN ";
	static const char	 label[] = "PRIVATE KEY-----";
	const char		*p = pem, *end = pem + len, *eol;
	size_t			 n = 0, ll;

	while ((p = util_find(p, end, begin, sizeof(begin) - 1)) != NULL) {
		p += sizeof(begin) - 1;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		ll = (size_t)(eol - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll >= sizeof(label) - 1 &&
		    memcmp(p + ll - (sizeof(label) - 1), label,
		    sizeof(label) - 1) == 0)
			n++;
	}
	return n;
}

static EVP_PKEY *
from_pem(const char *pem, size_t len, const char *what, struct cd_err *err)
{
	EVP_PKEY	*key = NULL;
	BIO		*bio = NULL;

	if (len == 0 || len > KEYS_PEM_MAX) {
		cd_err_set(err, CD_EPROTO, "%s: size %zu", what, len);
		return NULL;
	}
	if (memchr(pem, '\0', len) != NULL) {
		cd_err_set(err, CD_EPROTO, "%s: NUL byte", what);
		return NULL;
	}
	if (count_key_blocks(pem, len) != 1) {
		cd_err_set(err, CD_EPROTO,
		    "%s: not exactly one private key PEM block", what);
		return NULL;
	}
	ERR_clear_error();
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (key = PEM_read_bio_PrivateKey(bio, NULL, keys_no_password,
	    NULL)) == NULL)
		cd_err_crypto(err, "%s: cannot parse private key", what);
	BIO_free(bio);
	return key;
}

EVP_PKEY *
keys_from_pem(const char *pem, size_t len, struct cd_err *err)
{
	return from_pem(pem, len, "private key", err);
}

EVP_PKEY *
keys_load(int dfd, const char *path, struct cd_err *err)
{
	EVP_PKEY	*key;
	char		*pem = NULL;
	size_t		 len = 0;

	/* the mode is judged on the opened file: no check-then-use */
	if (file_read_private(dfd, path, KEYS_PEM_MAX, &pem, &len, err) == -1)
		return NULL;
	key = from_pem(pem, len, path, err);
	keys_pem_free(pem, len);
	return key;
}

int
keys_save_new(int dfd, const char *name, EVP_PKEY *key, struct cd_err *err)
{
	char	*pem = NULL;
	size_t	 len = 0;
	int	 rc;

	if (keys_to_pem(key, &pem, &len, err) == -1)
		return -1;
	rc = file_create(dfd, name, pem, len, 0600, err);
	keys_pem_free(pem, len);
	return rc;
}

/* One SAN entry: iPAddress with the raw 4/16 bytes, or dNSName. */
static GENERAL_NAME *
san_entry(const char *name)
{
	GENERAL_NAME		*gn = NULL;
	ASN1_OCTET_STRING	*ip = NULL;
	ASN1_IA5STRING		*dns = NULL;
	unsigned char		 addr[16];

	if ((gn = GENERAL_NAME_new()) == NULL)
		return NULL;
	if (inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1) {
		if ((ip = ASN1_OCTET_STRING_new()) == NULL ||
		    ASN1_OCTET_STRING_set(ip, addr,
		    strchr(name, ':') != NULL ? 16 : 4) != 1)
			goto fail;
		GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
		return gn;
	}
	if ((dns = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(dns, name, (int)strlen(name)) != 1)
		goto fail;
	GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
	return gn;
fail:
	ASN1_OCTET_STRING_free(ip);
	ASN1_IA5STRING_free(dns);
	GENERAL_NAME_free(gn);
	return NULL;
}

int
keys_csr(EVP_PKEY *key, const char *const *names, size_t n,
    unsigned char **der, size_t *len, struct cd_err *err)
{
	X509_REQ		*req = NULL;
	X509_NAME		*subj = NULL;
	GENERAL_NAMES		*gens = NULL;
	GENERAL_NAME		*gn;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	const char		*cn = NULL;
	unsigned char		*buf = NULL, *p;
	size_t			 i;
	int			 dlen, rc = -1;

	if (n == 0 || n > KEYS_CSR_NAMES_MAX)
		return cd_err_set(err, CD_ECONFIG, "csr: %zu names (1..%d)",
		    n, KEYS_CSR_NAMES_MAX);
	for (i = 0; i < n; i++) {
		if (util_is_ipaddr(names[i]))
			continue;
		if (!util_is_dnsname(names[i], true))
			return cd_err_set(err, CD_ECONFIG,
			    "csr: name %zu: not a DNS name or IP address", i);
		if (cn == NULL)
			cn = names[i];
	}
	/* RFC 5280 §4.2.1.6: with an empty subject the SAN is critical */
	if (cn != NULL && strlen(cn) > KEYS_CN_MAX)
		cn = NULL;
	ERR_clear_error();
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    (subj = X509_NAME_new()) == NULL ||
	    (gens = GENERAL_NAMES_new()) == NULL)
		goto crypto;
	if (cn != NULL && X509_NAME_add_entry_by_NID(subj, NID_commonName,
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1)
		goto crypto;
	if (X509_REQ_set_subject_name(req, subj) != 1 ||
	    X509_REQ_set_pubkey(req, key) != 1)
		goto crypto;
	for (i = 0; i < n; i++) {
		if ((gn = san_entry(names[i])) == NULL)
			goto crypto;
		if (sk_GENERAL_NAME_push(gens, gn) <= 0) {
			GENERAL_NAME_free(gn);
			goto crypto;
		}
	}
	if (X509V3_add1_i2d(&exts, NID_subject_alt_name, gens, cn == NULL,
	    X509V3_ADD_DEFAULT) != 1 ||
	    X509_REQ_add_extensions(req, exts) != 1 ||
	    X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    (dlen = i2d_X509_REQ(req, NULL)) <= 0)
		goto crypto;
	if ((buf = malloc((size_t)dlen)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "csr: out of memory");
		goto out;
	}
	p = buf;
	if (i2d_X509_REQ(req, &p) != dlen)
		goto crypto;
	*der = buf;
	*len = (size_t)dlen;
	buf = NULL;
	rc = 0;
	goto out;
crypto:
	cd_err_crypto(err, "csr: %s", names[0]);
out:
	free(buf);
	/* the extensions are copies owned by the stack: pop_free */
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	return rc;
}
