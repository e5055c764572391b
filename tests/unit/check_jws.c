/*
 * check_jws.c - acme/b64.c and acme/jws.c: base64url tables, the RFC 7638
 * thumbprint vector, JWS signatures verified independently with OpenSSL,
 * the EAB HMAC, unsupported keys, key authorizations and dns-01 values.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "acme_int.h"

#define TEST_URL	"https://ca.example/acme/new-account"
#define TEST_KID	"https://ca.example/acme/acct/17"

/* ---- independent helpers (OpenSSL's standard base64, translated) */

static void
ref_b64url(const void *in, size_t len, char *out, size_t outsz)
{
	int	 n;
	char	*c;

	ck_assert_uint_ge(outsz, (len + 2) / 3 * 4 + 1);
	ck_assert_uint_le(len, INT_MAX);
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	ck_assert_int_ge(n, 0);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (c = out; *c != '\0'; c++) {
		if (*c == '+')
			*c = '-';
		else if (*c == '/')
			*c = '_';
	}
}

static void
ref_sha256_b64url(const char *s, char out[44])
{
	unsigned char	 md[32];
	unsigned int	 mdlen = 0;
	char		 b[48];		/* EVP_EncodeBlock pads to 44 */

	ck_assert_int_eq(EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(),
	    NULL), 1);
	ck_assert_uint_eq(mdlen, 32);
	ref_b64url(md, sizeof(md), b, sizeof(b));
	ck_assert_uint_eq(strlen(b), 43);
	memcpy(out, b, 44);
}

/* ---- base64url */

static const struct {
	const char	*raw;
	size_t		 len;
	const char	*enc;
} b64_ok[] = {
	/* RFC 4648 §10 without padding */
	{ "", 0, "" },
	{ "f", 1, "Zg" },
	{ "fo", 2, "Zm8" },
	{ "foo", 3, "Zm9v" },
	{ "foob", 4, "Zm9vYg" },
	{ "fooba", 5, "Zm9vYmE" },
	{ "foobar", 6, "Zm9vYmFy" },
	/* the two characters that differ from base64 ("+/8=", "++++") */
	{ "\xfb\xff", 2, "-_8" },
	{ "\xfb\xef\xbe", 3, "----" },
	{ "\xff\xff\xff", 3, "____" },
	{ "\0\0\0\0", 4, "AAAAAA" },
	{ "\x03\xe0", 2, "A-A" },
};

START_TEST(b64_valid)
{
	struct acme_err	 err;
	unsigned char	*dec = NULL;
	char		*enc = NULL;
	size_t		 dlen = 99;
	const char	*e = b64_ok[_i].enc;

	ck_assert_int_eq(acme_b64url_encode(b64_ok[_i].raw, b64_ok[_i].len,
	    &enc, &err), 0);
	ck_assert_str_eq(enc, e);
	ck_assert_int_eq(acme_b64url_decode(e, strlen(e), &dec, &dlen, &err),
	    0);
	ck_assert_uint_eq(dlen, b64_ok[_i].len);
	ck_assert_mem_eq(dec, b64_ok[_i].raw, dlen);
	ck_assert_uint_eq(dec[dlen], 0);	/* NUL-terminated */
	ck_assert(acme_b64url_is_valid(e, strlen(e)) == (*e != '\0'));
	free(enc);
	free(dec);
}
END_TEST

static const struct {
	const char	*s;
	size_t		 len;
	bool		 alphabet;	/* acme_b64url_is_valid() */
} b64_bad[] = {
	{ "Zg==", 4, false },		/* padding */
	{ "Zm8=", 4, false },
	{ "Zg=", 3, false },
	{ "+/8", 3, false },		/* base64, not base64url */
	{ "Zm9v+A", 6, false },
	{ "Zm9v/w", 6, false },
	{ "Zm 9v", 5, false },		/* white space */
	{ "Zm9v\n", 5, false },
	{ " Zm9v", 5, false },
	{ "Zm9vYg\r\n", 8, false },
	{ "Zm\tv", 4, false },
	{ "Zm\0v", 4, false },		/* embedded NUL */
	{ "Zm9v\xc3\xa9", 6, false },	/* non-ASCII */
	{ "Z", 1, true },		/* len % 4 == 1 */
	{ "Zm9vY", 5, true },
	{ "Zm9vYmFyZ", 9, true },
	{ "Zh", 2, true },		/* trailing bits set (4 of them) */
	{ "Zm9", 3, true },		/* trailing bits set (2 of them) */
	{ "Zm-", 3, true },
	{ "__", 2, true },
};

START_TEST(b64_invalid)
{
	struct acme_err	 err;
	unsigned char	*dec = NULL;
	size_t		 dlen = 0;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(acme_b64url_decode(b64_bad[_i].s, b64_bad[_i].len,
	    &dec, &dlen, &err), -1);
	ck_assert_ptr_null(dec);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_str_ne(err.msg, "");
	ck_assert(acme_b64url_is_valid(b64_bad[_i].s, b64_bad[_i].len) ==
	    b64_bad[_i].alphabet);
}
END_TEST

/* every length 0..300 of every byte pattern round-trips like OpenSSL's */
START_TEST(b64_roundtrip)
{
	unsigned char	 raw[300], *dec = NULL;
	char		 ref[404], *enc = NULL;
	size_t		 len, dlen, i;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 37 + 11);
	for (len = 0; len <= sizeof(raw); len++) {
		ref_b64url(raw, len, ref, sizeof(ref));
		ck_assert_int_eq(acme_b64url_encode(raw, len, &enc, NULL), 0);
		ck_assert_str_eq(enc, ref);
		ck_assert_int_eq(acme_b64url_decode(enc, strlen(enc), &dec,
		    &dlen, NULL), 0);
		ck_assert_uint_eq(dlen, len);
		ck_assert_mem_eq(dec, raw, len);
		free(enc);
		free(dec);
	}
}
END_TEST

/* ---- keys */

struct keyspec {
	const char	*type;
	const char	*curve;
	unsigned	 bits;
	const char	*alg;
	size_t		 coord;
	const char	*crv;
};

static const struct keyspec keyspecs[] = {
	{ "EC", "P-256", 0, "ES256", 32, "P-256" },
	{ "EC", "P-384", 0, "ES384", 48, "P-384" },
	{ "RSA", NULL, 2048, "RS256", 0, NULL },
};

static EVP_PKEY *
gen_key(const char *type, const char *curve, unsigned bits)
{
	EVP_PKEY	*k = NULL;

	if (strcmp(type, "EC") == 0)
		k = EVP_EC_gen(curve);
	else if (strcmp(type, "RSA") == 0)
		k = EVP_RSA_gen(bits);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, type);
	ck_assert_ptr_nonnull(k);
	return k;
}

/* The canonical JWK, built from the uncompressed point / n and e. */
static void
expected_jwk(EVP_PKEY *k, const struct keyspec *ks, char *out, size_t outsz)
{
	unsigned char	 pt[1 + 2 * 66], nb[1024], eb[16];
	char		 x[100], y[100], n[1400], e[24];
	BIGNUM		*bn = NULL, *be = NULL;
	size_t		 len = 0;
	int		 r;

	if (ks->coord != 0) {
		ck_assert_int_eq(EVP_PKEY_get_octet_string_param(k,
		    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
		    &len), 1);
		ck_assert_uint_eq(len, 1 + 2 * ks->coord);
		ck_assert_uint_eq(pt[0], 0x04);
		ref_b64url(pt + 1, ks->coord, x, sizeof(x));
		ref_b64url(pt + 1 + ks->coord, ks->coord, y, sizeof(y));
		r = snprintf(out, outsz,
		    "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		    ks->crv, x, y);
	} else {
		ck_assert_int_eq(EVP_PKEY_get_bn_param(k,
		    OSSL_PKEY_PARAM_RSA_N, &bn), 1);
		ck_assert_int_eq(EVP_PKEY_get_bn_param(k,
		    OSSL_PKEY_PARAM_RSA_E, &be), 1);
		ck_assert_int_le(BN_num_bytes(bn), (int)sizeof(nb));
		ck_assert_int_le(BN_num_bytes(be), (int)sizeof(eb));
		len = (size_t)BN_bn2bin(bn, nb);
		ck_assert_uint_gt(len, 0);
		ck_assert_uint_ne(nb[0], 0);
		ref_b64url(nb, len, n, sizeof(n));
		len = (size_t)BN_bn2bin(be, eb);
		ref_b64url(eb, len, e, sizeof(e));
		r = snprintf(out, outsz,
		    "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e, n);
		BN_free(bn);
		BN_free(be);
	}
	ck_assert(r > 0 && (size_t)r < outsz);
}

/* Verifies a JWS signature (R||S for ECDSA) with OpenSSL directly. */
static bool
verify(EVP_PKEY *k, const struct keyspec *ks, const void *in, size_t inlen,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*es = NULL;
	BIGNUM		*r, *s;
	unsigned char	*der = NULL;
	const unsigned char *vs = sig;
	size_t		 vlen = siglen;
	int		 n, rc;

	if (ks->coord != 0) {
		if (siglen != 2 * ks->coord)
			return false;
		ck_assert_ptr_nonnull(es = ECDSA_SIG_new());
		r = BN_bin2bn(sig, (int)ks->coord, NULL);
		s = BN_bin2bn(sig + ks->coord, (int)ks->coord, NULL);
		ck_assert(r != NULL && s != NULL);
		ck_assert_int_eq(ECDSA_SIG_set0(es, r, s), 1);
		n = i2d_ECDSA_SIG(es, &der);
		ck_assert_int_gt(n, 0);
		vs = der;
		vlen = (size_t)n;
	}
	ck_assert_ptr_nonnull(ctx = EVP_MD_CTX_new());
	ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL,
	    strcmp(ks->alg, "ES384") == 0 ? EVP_sha384() : EVP_sha256(),
	    NULL, k), 1);
	rc = EVP_DigestVerify(ctx, vs, vlen, in, inlen);
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	return rc == 1;
}

/* Splits a flattened JWS: exactly protected, payload and signature. */
static json_t *
parse_flat(const char *jws, const char **p, const char **y, const char **s)
{
	json_error_t	 jerr;
	json_t		*root;

	root = json_loads(jws, JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_msg(root != NULL, "jws: %s", jerr.text);
	ck_assert(json_is_object(root));
	ck_assert_uint_eq(json_object_size(root), 3);
	*p = json_string_value(json_object_get(root, "protected"));
	*y = json_string_value(json_object_get(root, "payload"));
	*s = json_string_value(json_object_get(root, "signature"));
	ck_assert(*p != NULL && *y != NULL && *s != NULL);
	return root;
}

static json_t *
decode_json(const char *b64)
{
	json_error_t	 jerr;
	unsigned char	*d = NULL;
	size_t		 len = 0;
	json_t		*j;

	ck_assert_int_eq(acme_b64url_decode(b64, strlen(b64), &d, &len, NULL),
	    0);
	j = json_loadb((const char *)d, len, JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_msg(j != NULL, "protected: %s", jerr.text);
	ck_assert(json_is_object(j));
	free(d);
	return j;
}

static char *
join(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);
	char	*s;

	ck_assert_ptr_nonnull(s = malloc(la + lb + 2));
	memcpy(s, a, la);
	s[la] = '.';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- JWS for each key type */

static const struct {
	size_t		 key;		/* index into keyspecs */
	const char	*kid;		/* NULL: jwk */
	const char	*nonce;		/* NULL: omitted */
	const char	*payload;	/* NULL: POST-as-GET */
} sign_cases[] = {
	{ 0, NULL, "n0nce-A_1", "{\"termsOfServiceAgreed\":true}" },
	{ 0, TEST_KID, "nonce2", "{}" },
	{ 0, TEST_KID, "nonce3", NULL },
	{ 1, NULL, NULL, "{\"x\":1}" },
	{ 1, TEST_KID, "nonce4", "{\"status\":\"deactivated\"}" },
	{ 2, NULL, "nonce5", "{\"onlyReturnExisting\":true}" },
	{ 2, TEST_KID, "nonce6", NULL },
};

START_TEST(jws_sign_verify)
{
	const struct keyspec *ks = &keyspecs[sign_cases[_i].key];
	const char	*kid = sign_cases[_i].kid;
	const char	*nonce = sign_cases[_i].nonce;
	const char	*payload = sign_cases[_i].payload;
	struct acme_err	 err;
	struct acme_signer *sg;
	EVP_PKEY	*k;
	json_t		*root, *prot;
	const char	*p, *y, *s;
	unsigned char	*sig = NULL, *pl = NULL;
	size_t		 siglen = 0, pllen = 0;
	char		 want[2048], other[64], *out = NULL, *in, *jwk;

	k = gen_key(ks->type, ks->curve, ks->bits);
	sg = acme_signer_new(k, &err);
	ck_assert_msg(sg != NULL, "%s", err.msg);
	ck_assert_str_eq(acme_signer_alg(sg), ks->alg);
	expected_jwk(k, ks, want, sizeof(want));
	ck_assert_str_eq(acme_signer_jwk(sg), want);

	ck_assert_msg(acme_jws_sign(sg, TEST_URL, nonce, kid, payload,
	    payload == NULL ? 0 : strlen(payload), &out, &err) == 0,
	    "%s", err.msg);
	root = parse_flat(out, &p, &y, &s);

	prot = decode_json(p);
	ck_assert_str_eq(jstr(prot, "alg"), ks->alg);
	ck_assert_str_eq(jstr(prot, "url"), TEST_URL);
	if (nonce == NULL)
		ck_assert_ptr_null(json_object_get(prot, "nonce"));
	else
		ck_assert_str_eq(jstr(prot, "nonce"), nonce);
	if (kid != NULL) {
		ck_assert_str_eq(jstr(prot, "kid"), kid);
		ck_assert_ptr_null(json_object_get(prot, "jwk"));
	} else {
		ck_assert_ptr_null(json_object_get(prot, "kid"));
		ck_assert(json_is_object(json_object_get(prot, "jwk")));
		jwk = json_dumps(json_object_get(prot, "jwk"),
		    JSON_COMPACT | JSON_SORT_KEYS);
		ck_assert_str_eq(jwk, want);
		free(jwk);
	}
	ck_assert_uint_eq(json_object_size(prot),
	    3 + (nonce != NULL ? 1 : 0));

	/* payload: "" for POST-as-GET (RFC 8555 §6.3) */
	if (payload == NULL) {
		ck_assert_str_eq(y, "");
	} else {
		ck_assert_int_eq(acme_b64url_decode(y, strlen(y), &pl, &pllen,
		    NULL), 0);
		ck_assert_uint_eq(pllen, strlen(payload));
		ck_assert_mem_eq(pl, payload, pllen);
	}

	ck_assert_int_eq(acme_b64url_decode(s, strlen(s), &sig, &siglen,
	    NULL), 0);
	if (ks->coord != 0)
		ck_assert_uint_eq(siglen, 2 * ks->coord);
	else
		ck_assert_uint_eq(siglen, 256);
	in = join(p, y);
	ck_assert(verify(k, ks, in, strlen(in), sig, siglen));
	free(in);

	/* a tampered payload fails */
	ref_b64url("{\"x\":2}", 7, other, sizeof(other));
	in = join(p, other);
	ck_assert(!verify(k, ks, in, strlen(in), sig, siglen));
	free(in);
	/* and so does a tampered signature */
	in = join(p, y);
	sig[siglen / 2] ^= 0x01;
	ck_assert(!verify(k, ks, in, strlen(in), sig, siglen));
	free(in);

	free(pl);
	free(sig);
	free(out);
	json_decref(prot);
	json_decref(root);
	acme_signer_free(sg);
	EVP_PKEY_free(k);
}
END_TEST

/*
 * EC coordinates and signature halves with leading zero bytes must stay
 * fixed length (RFC 7518 §3.4, §6.2.1.2). Every key and signature is
 * checked until each of x, y, R and S has been seen short (1 in 256
 * each); the search is bounded so the test cannot hang. P-256 only: P-384
 * takes the same code path and is 30 times slower.
 */
START_TEST(ec_fixed_length)
{
	const struct keyspec *ks = &keyspecs[0];
	struct acme_signer *sg = NULL;
	EVP_PKEY	*k = NULL;
	unsigned char	 pt[1 + 2 * 48], *sig = NULL;
	size_t		 len, siglen;
	char		 want[512];
	int		 tries;
	bool		 x0 = false, y0 = false, r0 = false, s0 = false;

	for (tries = 0; tries < 20000 && !(x0 && y0); tries++) {
		k = gen_key(ks->type, ks->curve, ks->bits);
		ck_assert_int_eq(EVP_PKEY_get_octet_string_param(k,
		    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
		    &len), 1);
		x0 = x0 || pt[1] == 0;
		y0 = y0 || pt[1 + ks->coord] == 0;
		ck_assert_ptr_nonnull(sg = acme_signer_new(k, NULL));
		expected_jwk(k, ks, want, sizeof(want));
		ck_assert_str_eq(acme_signer_jwk(sg), want);
		acme_signer_free(sg);
		EVP_PKEY_free(k);
	}
	ck_assert(x0 && y0);

	k = gen_key(ks->type, ks->curve, ks->bits);
	ck_assert_ptr_nonnull(sg = acme_signer_new(k, NULL));
	for (tries = 0; tries < 20000 && !(r0 && s0); tries++) {
		ck_assert_int_eq(acme_signer_sign(sg, "abc", 3, &sig, &siglen,
		    NULL), 0);
		ck_assert_uint_eq(siglen, 2 * ks->coord);
		ck_assert(verify(k, ks, "abc", 3, sig, siglen));
		r0 = r0 || sig[0] == 0;
		s0 = s0 || sig[ks->coord] == 0;
		free(sig);
	}
	ck_assert(r0 && s0);
	acme_signer_free(sg);
	EVP_PKEY_free(k);
}
END_TEST

/* the signer holds its own reference: the caller may free its key */
START_TEST(signer_keeps_reference)
{
	struct acme_signer *sg;
	EVP_PKEY	*k;
	unsigned char	*sig = NULL;
	size_t		 siglen = 0;

	k = gen_key("EC", "P-256", 0);
	ck_assert_ptr_nonnull(sg = acme_signer_new(k, NULL));
	EVP_PKEY_free(k);
	ck_assert_int_eq(acme_signer_sign(sg, "x", 1, &sig, &siglen, NULL), 0);
	ck_assert_uint_eq(siglen, 64);
	free(sig);
	acme_signer_free(sg);
	acme_signer_free(NULL);
}
END_TEST

/* ---- unsupported keys */

static const struct {
	const char	*type;
	const char	*curve;
	unsigned	 bits;
} bad_keys[] = {
	{ "RSA", NULL, 1024 },
	{ "RSA", NULL, 2040 },
	{ "ED25519", NULL, 0 },
	{ "X25519", NULL, 0 },
	{ "EC", "P-521", 0 },
	{ "EC", "secp256k1", 0 },
};

START_TEST(signer_rejects)
{
	struct acme_err	 err;
	EVP_PKEY	*k;

	k = gen_key(bad_keys[_i].type, bad_keys[_i].curve, bad_keys[_i].bits);
	memset(&err, 0, sizeof(err));
	ck_assert_ptr_null(acme_signer_new(k, &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_msg(strstr(err.msg, "unsupported") != NULL ||
	    strstr(err.msg, "too small") != NULL, "%s", err.msg);
	EVP_PKEY_free(k);
	memset(&err, 0, sizeof(err));
	ck_assert_ptr_null(acme_signer_new(NULL, &err));
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
}
END_TEST

/* ---- RFC 7638 §3.1 */

static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1R"
    "K7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9"
    "yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZg"
    "nYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6We"
    "Zu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDK"
    "gw";
#define RFC7638_TP	"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

static EVP_PKEY *
rfc7638_key(void)
{
	OSSL_PARAM_BLD	*bld;
	OSSL_PARAM	*params;
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*k = NULL;
	BIGNUM		*n, *e;
	unsigned char	*bin = NULL;
	size_t		 len = 0;

	ck_assert_int_eq(acme_b64url_decode(rfc7638_n, strlen(rfc7638_n),
	    &bin, &len, NULL), 0);
	ck_assert_uint_eq(len, 256);
	ck_assert_ptr_nonnull(n = BN_bin2bn(bin, (int)len, NULL));
	ck_assert_ptr_nonnull(e = BN_new());
	ck_assert_int_eq(BN_set_word(e, 65537), 1);
	ck_assert_ptr_nonnull(bld = OSSL_PARAM_BLD_new());
	ck_assert_int_eq(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N,
	    n), 1);
	ck_assert_int_eq(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E,
	    e), 1);
	ck_assert_ptr_nonnull(params = OSSL_PARAM_BLD_to_param(bld));
	ck_assert_ptr_nonnull(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA",
	    NULL));
	ck_assert_int_eq(EVP_PKEY_fromdata_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(bin);
	return k;
}

START_TEST(thumbprint_rfc7638)
{
	struct acme_err	 err;
	struct acme_signer *sg;
	EVP_PKEY	*k;
	char		 tp[44], want[512];

	k = rfc7638_key();
	sg = acme_signer_new(k, &err);
	ck_assert_msg(sg != NULL, "%s", err.msg);
	ck_assert_str_eq(acme_signer_alg(sg), "RS256");
	(void)snprintf(want, sizeof(want),
	    "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"%s\"}", rfc7638_n);
	ck_assert_str_eq(acme_signer_jwk(sg), want);
	memset(tp, 'x', sizeof(tp));
	ck_assert_int_eq(acme_signer_thumbprint(sg, tp, &err), 0);
	ck_assert_str_eq(tp, RFC7638_TP);
	acme_signer_free(sg);
	EVP_PKEY_free(k);
}
END_TEST

/* ---- key authorization and dns-01 */

static char token_max[ACME_TOKEN_MAX + 2];

static const struct {
	const char	*token;		/* NULL: token_max */
	size_t		 len;		/* for token_max */
	bool		 ok;
} tokens[] = {
	{ "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", 0, true },
	{ "DGyRejmCefe7v4NfDGDKfA", 0, true },
	{ NULL, ACME_TOKEN_MAX, true },
	{ NULL, ACME_TOKEN_MAX + 1, false },
	{ "", 0, false },
	{ "abc.def", 0, false },
	{ "abc=", 0, false },
	{ "ab+c", 0, false },
	{ "ab/c", 0, false },
	{ "../../etc/passwd", 0, false },
	{ "abc def", 0, false },
	{ "abc\n", 0, false },
};

START_TEST(key_authorization)
{
	struct acme_err	 err;
	struct acme_signer *sg;
	EVP_PKEY	*k;
	const char	*token = tokens[_i].token;
	char		*ka = NULL, *want, txt[44], reftxt[44];

	if (token == NULL) {
		memset(token_max, 'A', tokens[_i].len);
		token_max[tokens[_i].len] = '\0';
		token = token_max;
	}
	k = rfc7638_key();
	ck_assert_ptr_nonnull(sg = acme_signer_new(k, NULL));
	memset(&err, 0, sizeof(err));
	if (!tokens[_i].ok) {
		ck_assert_int_eq(acme_key_authorization(sg, token, &ka, &err),
		    -1);
		ck_assert_ptr_null(ka);
		ck_assert_int_ne(err.kind, ACME_EOK);
		goto out;
	}
	ck_assert_int_eq(acme_key_authorization(sg, token, &ka, &err), 0);
	want = join(token, RFC7638_TP);
	ck_assert_str_eq(ka, want);
	free(want);
	/* RFC 8555 §8.4: base64url(SHA-256(key authorization)) */
	ck_assert_int_eq(acme_dns01_txt(ka, txt, &err), 0);
	ref_sha256_b64url(ka, reftxt);
	ck_assert_uint_eq(strlen(txt), 43);
	ck_assert_str_eq(txt, reftxt);
	free(ka);
out:
	acme_signer_free(sg);
	EVP_PKEY_free(k);
}
END_TEST

/*
 * The dns-01 value of a fixed key authorization, computed with
 * printf %s KA | openssl dgst -sha256 -binary | basenc --base64url
 * (padding dropped).
 */
START_TEST(dns01_known_answer)
{
	char	 txt[44];

	ck_assert_int_eq(acme_dns01_txt("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-"
	    "PCt92wr-oA." RFC7638_TP, txt, NULL), 0);
	ck_assert_str_eq(txt, "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8");
	ck_assert_int_eq(acme_dns01_txt(NULL, txt, NULL), -1);
}
END_TEST

/* ---- EAB (RFC 8555 §7.3.4) */

START_TEST(eab_hmac)
{
	struct acme_err	 err;
	struct acme_signer *sg;
	EVP_PKEY	*k;
	json_t		*root, *prot;
	const char	*p, *y, *s;
	unsigned char	 key[48], mac[EVP_MAX_MD_SIZE], *pl = NULL;
	unsigned int	 maclen = 0;
	size_t		 i, pllen = 0;
	char		 keyb64[80], macb64[64], *out = NULL, *in;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(0xf0 ^ (i * 7));
	ref_b64url(key, sizeof(key), keyb64, sizeof(keyb64));
	k = gen_key("EC", "P-256", 0);
	ck_assert_ptr_nonnull(sg = acme_signer_new(k, NULL));

	ck_assert_msg(acme_jws_eab("kid-1", keyb64, acme_signer_jwk(sg),
	    TEST_URL, &out, &err) == 0, "%s", err.msg);
	root = parse_flat(out, &p, &y, &s);
	prot = decode_json(p);
	ck_assert_str_eq(jstr(prot, "alg"), "HS256");
	ck_assert_str_eq(jstr(prot, "kid"), "kid-1");
	ck_assert_str_eq(jstr(prot, "url"), TEST_URL);
	ck_assert_uint_eq(json_object_size(prot), 3);	/* no nonce, no jwk */

	/* the payload is the account JWK itself */
	ck_assert_int_eq(acme_b64url_decode(y, strlen(y), &pl, &pllen, NULL),
	    0);
	ck_assert_str_eq((char *)pl, acme_signer_jwk(sg));
	ck_assert_uint_eq(pllen, strlen(acme_signer_jwk(sg)));

	in = join(p, y);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, (int)sizeof(key),
	    (unsigned char *)in, strlen(in), mac, &maclen));
	ck_assert_uint_eq(maclen, 32);
	ref_b64url(mac, maclen, macb64, sizeof(macb64));
	ck_assert_str_eq(s, macb64);
	free(in);

	free(pl);
	free(out);
	json_decref(prot);
	json_decref(root);
	acme_signer_free(sg);
	EVP_PKEY_free(k);
}
END_TEST

static const char *const eab_bad_keys[] = {
	"", "Zm9v=", "Zg==", "a+b/", "Zm 9v", "Zm9vY", "Zh", "Zm9v\n",
};

START_TEST(eab_bad_key)
{
	struct acme_err	 err;
	char		*out = NULL;
	const char	*key = eab_bad_keys[_i];

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(acme_jws_eab("kid-1", key,
	    "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"AA\",\"y\":\"AA\"}",
	    TEST_URL, &out, &err), -1);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_str_ne(err.msg, "");
	if (strlen(key) >= 2)		/* the secret is never echoed */
		ck_assert_ptr_null(strstr(err.msg, key));
}
END_TEST

Suite *
jws_suite(void)
{
	Suite	*s = suite_create("jws");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, b64_valid, 0,
	    sizeof(b64_ok) / sizeof(b64_ok[0]));
	tcase_add_loop_test(tc, b64_invalid, 0,
	    sizeof(b64_bad) / sizeof(b64_bad[0]));
	tcase_add_test(tc, b64_roundtrip);
	tcase_add_loop_test(tc, jws_sign_verify, 0,
	    sizeof(sign_cases) / sizeof(sign_cases[0]));
	tcase_add_test(tc, ec_fixed_length);
	tcase_add_test(tc, signer_keeps_reference);
	tcase_add_loop_test(tc, signer_rejects, 0,
	    sizeof(bad_keys) / sizeof(bad_keys[0]));
	tcase_add_test(tc, thumbprint_rfc7638);
	tcase_add_loop_test(tc, key_authorization, 0,
	    sizeof(tokens) / sizeof(tokens[0]));
	tcase_add_test(tc, dns01_known_answer);
	tcase_add_test(tc, eab_hmac);
	tcase_add_loop_test(tc, eab_bad_key, 0,
	    sizeof(eab_bad_keys) / sizeof(eab_bad_keys[0]));
	suite_add_tcase(s, tc);
	return s;
}
