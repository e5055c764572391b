/*
 * jws.c - the account key as a JWS signer (RFC 7515, RFC 7518 ES256,
 * ES384, RS256), its JWK and RFC 7638 thumbprint, key authorizations, and
 * the RFC 8555 §7.3.4 EAB inner JWS. Trusts its caller's arguments only
 * as far as it checks them; holds the private key by reference and never
 * copies or logs it. The decoded EAB HMAC key is wiped after use.
 */
#include "acme_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#define JWS_RSA_BITS_MIN	2048
#define JWS_SHA256_LEN		32	/* bytes */
#define JWS_B64_SHA256_LEN	43	/* chars, unpadded base64url */

struct acme_signer {
	EVP_PKEY	*pkey;		/* a reference of our own */
	const char	*alg;		/* "ES256", "ES384" or "RS256" */
	const EVP_MD	*md;
	size_t		 coord;		/* EC field size in bytes; 0: RSA */
	char		*jwk;		/* canonical RFC 7638 JWK */
};

/* Base64url of the big-endian bytes of bn, left-padded to pad bytes
 * (pad 0: minimal length, as RFC 7518 §6.3.1 wants for n and e). */
static int
bn_b64(const BIGNUM *bn, size_t pad, const char *what, char **out,
    struct acme_err *err)
{
	unsigned char	*bin = NULL;
	size_t		 len;
	int		 rc = -1;

	len = (size_t)BN_num_bytes(bn);
	if (pad != 0) {
		if (len > pad)
			return acme_err_set(err, ACME_EUSAGE,
			    "account key: %s: %zu bytes, want %zu", what,
			    len, pad);
		len = pad;
	}
	if (len == 0)
		return acme_err_set(err, ACME_EUSAGE, "account key: %s: zero",
		    what);
	if ((bin = malloc(len)) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "account key: malloc");
	if (BN_bn2binpad(bn, bin, (int)len) != (int)len) {
		acme_err_crypto(err, "account key: %s", what);
		goto out;
	}
	rc = acme_b64url_encode(bin, len, out, err);
out:
	free(bin);
	return rc;
}

static int
jwk_ec(struct acme_signer *s, const char *crv, struct acme_err *err)
{
	BIGNUM	*x = NULL, *y = NULL;
	char	*bx = NULL, *by = NULL;
	int	 rc = -1;

	ERR_clear_error();
	if (!EVP_PKEY_get_bn_param(s->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(s->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y)) {
		acme_err_crypto(err, "account key: EC public point");
		goto out;
	}
	/* RFC 7518 §6.2.1.2: x and y are exactly the field size */
	if (bn_b64(x, s->coord, "x", &bx, err) == -1 ||
	    bn_b64(y, s->coord, "y", &by, err) == -1)
		goto out;
	rc = acme_json_jwk_ec(crv, bx, by, &s->jwk, err);
out:
	BN_free(x);
	BN_free(y);
	free(bx);
	free(by);
	return rc;
}

static int
jwk_rsa(struct acme_signer *s, struct acme_err *err)
{
	BIGNUM	*n = NULL, *e = NULL;
	char	*bn = NULL, *be = NULL;
	int	 rc = -1;

	ERR_clear_error();
	if (!EVP_PKEY_get_bn_param(s->pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(s->pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
		acme_err_crypto(err, "account key: RSA public key");
		goto out;
	}
	if (bn_b64(n, 0, "n", &bn, err) == -1 ||
	    bn_b64(e, 0, "e", &be, err) == -1)
		goto out;
	rc = acme_json_jwk_rsa(be, bn, &s->jwk, err);
out:
	BN_free(n);
	BN_free(e);
	free(bn);
	free(be);
	return rc;
}

/* The NID of an EC key's named curve, or NID_undef. */
static int
ec_curve_nid(EVP_PKEY *pkey)
{
	char	 name[80];
	size_t	 len = 0;
	int	 nid;

	if (!EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len))
		return NID_undef;
	if ((nid = OBJ_sn2nid(name)) == NID_undef)
		nid = EC_curve_nist2nid(name);
	return nid;
}

struct acme_signer *
acme_signer_new(EVP_PKEY *pkey, struct acme_err *err)
{
	struct acme_signer	*s;
	const char		*type, *crv = NULL;
	int			 nid, bits;

	if (pkey == NULL) {
		acme_err_set(err, ACME_EUSAGE, "account key: none given");
		return NULL;
	}
	ERR_clear_error();
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "account key: calloc");
		return NULL;
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		nid = ec_curve_nid(pkey);
		if (nid == NID_X9_62_prime256v1) {
			s->alg = "ES256";
			s->md = EVP_sha256();
			s->coord = 32;
			crv = "P-256";
		} else if (nid == NID_secp384r1) {
			s->alg = "ES384";
			s->md = EVP_sha384();
			s->coord = 48;
			crv = "P-384";
		} else {
			acme_err_set(err, ACME_EUSAGE, "account key: "
			    "unsupported EC curve %s (want P-256 or P-384)",
			    nid == NID_undef ? "(unnamed)" : OBJ_nid2sn(nid));
			goto fail;
		}
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		if ((bits = EVP_PKEY_get_bits(pkey)) < JWS_RSA_BITS_MIN) {
			acme_err_set(err, ACME_EUSAGE, "account key: RSA key "
			    "of %d bits is too small (want >= %d)", bits,
			    JWS_RSA_BITS_MIN);
			goto fail;
		}
		s->alg = "RS256";
		s->md = EVP_sha256();
	} else {
		type = EVP_PKEY_get0_type_name(pkey);
		acme_err_set(err, ACME_EUSAGE, "account key: unsupported "
		    "key type %s (want P-256, P-384 or RSA >= %d bits)",
		    type == NULL ? "(unknown)" : type, JWS_RSA_BITS_MIN);
		goto fail;
	}
	if (!EVP_PKEY_up_ref(pkey)) {
		acme_err_crypto(err, "account key: EVP_PKEY_up_ref");
		goto fail;
	}
	s->pkey = pkey;
	if ((crv != NULL ? jwk_ec(s, crv, err) : jwk_rsa(s, err)) == -1)
		goto fail;
	return s;
fail:
	acme_signer_free(s);
	return NULL;
}

void
acme_signer_free(struct acme_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey);
	free(s->jwk);
	free(s);
}

const char *
acme_signer_alg(const struct acme_signer *s)
{
	return s->alg;
}

const char *
acme_signer_jwk(const struct acme_signer *s)
{
	return s->jwk;
}

/* out = base64url(SHA-256(s)), 43 characters and a NUL. */
static int
sha256_b64(const char *s, char out[44], const char *what,
    struct acme_err *err)
{
	unsigned char	 md[JWS_SHA256_LEN];
	unsigned int	 mdlen = 0;
	char		*b = NULL;

	ERR_clear_error();
	if (!EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != sizeof(md))
		return acme_err_crypto(err, "%s: SHA-256", what);
	if (acme_b64url_encode(md, sizeof(md), &b, err) == -1)
		return -1;
	/* 32 bytes always encode to 43 characters */
	memcpy(out, b, JWS_B64_SHA256_LEN + 1);
	free(b);
	return 0;
}

int
acme_signer_thumbprint(const struct acme_signer *s, char out[44],
    struct acme_err *err)
{
	if (s == NULL || out == NULL)
		return acme_err_set(err, ACME_EUSAGE, "thumbprint: no signer");
	/* RFC 7638 §3: the hash input is the canonical JWK */
	return sha256_b64(s->jwk, out, "thumbprint", err);
}

int
acme_key_authorization(const struct acme_signer *s, const char *token,
    char **out, struct acme_err *err)
{
	char	 tp[JWS_B64_SHA256_LEN + 1];
	char	*ka;
	size_t	 tlen, len;

	if (s == NULL || out == NULL)
		return acme_err_set(err, ACME_EUSAGE,
		    "key authorization: no signer");
	/* the token comes from the server and ends up in paths and DNS */
	if (token == NULL || (tlen = strlen(token)) > ACME_TOKEN_MAX ||
	    !acme_b64url_is_valid(token, tlen))
		return acme_err_set(err, ACME_EPROTO,
		    "key authorization: token is not base64url");
	if (acme_signer_thumbprint(s, tp, err) == -1)
		return -1;
	/* RFC 8555 §8.1: token || '.' || base64url(thumbprint) */
	len = tlen + 1 + JWS_B64_SHA256_LEN;
	if ((ka = malloc(len + 1)) == NULL)
		return acme_err_set(err, ACME_ENOMEM,
		    "key authorization: malloc");
	memcpy(ka, token, tlen);
	ka[tlen] = '.';
	memcpy(ka + tlen + 1, tp, JWS_B64_SHA256_LEN + 1);
	*out = ka;
	return 0;
}

int
acme_dns01_txt(const char *keyauth, char out[44], struct acme_err *err)
{
	if (keyauth == NULL || out == NULL)
		return acme_err_set(err, ACME_EUSAGE,
		    "dns-01: no key authorization");
	/* RFC 8555 §8.4 */
	return sha256_b64(keyauth, out, "dns-01", err);
}

/* RFC 7518 §3.4: the DER ECDSA-Sig-Value becomes R || S, each left-padded
 * to the field size. */
static int
ecdsa_der_to_raw(const unsigned char *der, size_t derlen, size_t coord,
    unsigned char *raw, struct acme_err *err)
{
	const unsigned char	*p = der;
	const BIGNUM		*r, *s;
	ECDSA_SIG		*sig;
	int			 rc = -1;

	ERR_clear_error();
	if (derlen > LONG_MAX ||
	    (sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
		return acme_err_crypto(err, "sign: ECDSA signature");
	ECDSA_SIG_get0(sig, &r, &s);
	if (p != der + derlen ||
	    BN_bn2binpad(r, raw, (int)coord) != (int)coord ||
	    BN_bn2binpad(s, raw + coord, (int)coord) != (int)coord) {
		acme_err_crypto(err, "sign: ECDSA signature");
		goto out;
	}
	rc = 0;
out:
	ECDSA_SIG_free(sig);
	return rc;
}

int
acme_signer_sign(const struct acme_signer *s, const void *data, size_t len,
    unsigned char **sig, size_t *siglen, struct acme_err *err)
{
	EVP_MD_CTX	*ctx = NULL;
	EVP_PKEY_CTX	*pctx = NULL;
	unsigned char	*der = NULL, *raw = NULL;
	size_t		 derlen = 0;
	int		 rc = -1;

	if (s == NULL || sig == NULL || siglen == NULL ||
	    (data == NULL && len > 0))
		return acme_err_set(err, ACME_EUSAGE, "sign: no signer");
	ERR_clear_error();
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		acme_err_crypto(err, "sign: EVP_MD_CTX_new");
		goto out;
	}
	if (!EVP_DigestSignInit(ctx, &pctx, s->md, NULL, s->pkey) ||
	    (s->coord == 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0) ||
	    !EVP_DigestSign(ctx, NULL, &derlen, data, len)) {
		acme_err_crypto(err, "sign: %s", s->alg);
		goto out;
	}
	if ((der = malloc(derlen)) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "sign: malloc");
		goto out;
	}
	if (!EVP_DigestSign(ctx, der, &derlen, data, len)) {
		acme_err_crypto(err, "sign: %s", s->alg);
		goto out;
	}
	if (s->coord == 0) {		/* RSASSA-PKCS1-v1_5: as is */
		*sig = der;
		*siglen = derlen;
		der = NULL;
		rc = 0;
		goto out;
	}
	if ((raw = malloc(2 * s->coord)) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "sign: malloc");
		goto out;
	}
	if (ecdsa_der_to_raw(der, derlen, s->coord, raw, err) == -1)
		goto out;
	*sig = raw;
	*siglen = 2 * s->coord;
	raw = NULL;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);		/* frees pctx too */
	free(der);
	free(raw);
	return rc;
}

/* "a.b", malloc'd */
static int
join_dot(const char *a, const char *b, char **out, size_t *outlen,
    struct acme_err *err)
{
	size_t	 la = strlen(a), lb = strlen(b);
	char	*s;

	if (la > SIZE_MAX - 2 - lb)
		return acme_err_set(err, ACME_ENOMEM, "jws: too long");
	if ((s = malloc(la + lb + 2)) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "jws: malloc");
	memcpy(s, a, la);
	s[la] = '.';
	memcpy(s + la + 1, b, lb + 1);
	*out = s;
	*outlen = la + 1 + lb;
	return 0;
}

int
acme_jws_sign(const struct acme_signer *s, const char *url,
    const char *nonce, const char *kid, const void *payload, size_t len,
    char **out, struct acme_err *err)
{
	char		*prot = NULL, *p64 = NULL, *y64 = NULL, *s64 = NULL;
	char		*input = NULL;
	unsigned char	*sig = NULL;
	size_t		 inlen, siglen;
	int		 rc = -1;

	if (s == NULL || url == NULL || out == NULL ||
	    (payload == NULL && len > 0))
		return acme_err_set(err, ACME_EUSAGE, "jws: bad arguments");
	/* RFC 8555 §6.2: jwk for newAccount/revokeCert, kid otherwise */
	if (acme_json_protected(s->alg, kid == NULL ? s->jwk : NULL, kid,
	    nonce, url, &prot, err) == -1)
		goto out;
	/* §6.3: POST-as-GET has the empty string as its payload */
	if (acme_b64url_encode(prot, strlen(prot), &p64, err) == -1 ||
	    acme_b64url_encode(payload, len, &y64, err) == -1)
		goto out;
	/* RFC 7515 §5.1: ASCII(BASE64URL(protected) '.' BASE64URL(payload)) */
	if (join_dot(p64, y64, &input, &inlen, err) == -1 ||
	    acme_signer_sign(s, input, inlen, &sig, &siglen, err) == -1 ||
	    acme_b64url_encode(sig, siglen, &s64, err) == -1)
		goto out;
	rc = acme_json_flattened(p64, y64, s64, out, err);
out:
	free(prot);
	free(p64);
	free(y64);
	free(s64);
	free(input);
	free(sig);
	return rc;
}

int
acme_jws_eab(const char *eab_kid, const char *eab_key_b64url,
    const char *jwk, const char *url, char **out, struct acme_err *err)
{
	struct acme_err	 kerr;
	unsigned char	 mac[JWS_SHA256_LEN];
	unsigned char	*key = NULL;
	char		*prot = NULL, *p64 = NULL, *y64 = NULL, *s64 = NULL;
	char		*input = NULL;
	size_t		 keylen = 0, inlen, maclen = 0;
	int		 rc = -1;

	if (eab_kid == NULL || *eab_kid == '\0' || eab_key_b64url == NULL ||
	    jwk == NULL || url == NULL || out == NULL)
		return acme_err_set(err, ACME_EUSAGE, "eab: bad arguments");
	/* the key's text is never quoted in messages */
	if (acme_b64url_decode(eab_key_b64url, strlen(eab_key_b64url), &key,
	    &keylen, &kerr) == -1) {
		if (kerr.kind == ACME_ENOMEM)
			return acme_err_set(err, ACME_ENOMEM, "eab: malloc");
		return acme_err_set(err, ACME_EUSAGE,
		    "eab: HMAC key for kid %s: %s", eab_kid, kerr.msg);
	}
	if (keylen == 0) {
		acme_err_set(err, ACME_EUSAGE, "eab: HMAC key for kid %s is "
		    "empty", eab_kid);
		goto out;
	}
	/* RFC 8555 §7.3.4: no nonce; the url is the newAccount URL */
	if (acme_json_protected("HS256", NULL, eab_kid, NULL, url, &prot,
	    err) == -1 ||
	    acme_b64url_encode(prot, strlen(prot), &p64, err) == -1 ||
	    acme_b64url_encode(jwk, strlen(jwk), &y64, err) == -1 ||
	    join_dot(p64, y64, &input, &inlen, err) == -1)
		goto out;
	ERR_clear_error();
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen,
	    (const unsigned char *)input, inlen, mac, sizeof(mac),
	    &maclen) == NULL || maclen != sizeof(mac)) {
		acme_err_crypto(err, "eab: HMAC-SHA256");
		goto out;
	}
	if (acme_b64url_encode(mac, sizeof(mac), &s64, err) == -1)
		goto out;
	rc = acme_json_flattened(p64, y64, s64, out, err);
out:
	OPENSSL_cleanse(key, keylen);
	free(key);
	free(prot);
	free(p64);
	free(y64);
	free(s64);
	free(input);
	return rc;
}
