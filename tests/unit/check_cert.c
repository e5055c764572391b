/*
 * check_cert.c - cert.c: chain splitting with valid and hostile PEM,
 * summary fields checked against independent OpenSSL computations, key
 * and name matching. Test certificates are built in-process.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "keys.h"
#include "util.h"

#define T_NOT_BEFORE	1700000000	/* 2023-11-14 22:13:20 UTC */
#define T_NOT_AFTER	2600000000	/* 2052-05-23: GeneralizedTime */

/* Built once per test case by the unchecked fixture (before forking). */
static EVP_PKEY	*ca_key, *leaf_key, *other_key;
static X509	*ca, *leaf, *self;
static char	*ca_pem, *leaf_pem, *self_pem, *key_pem;

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* issuer == NULL: self-signed. subject is "CN=..." or "O=...,C=..." */
static X509 *
mkcert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, const char *cn,
    const char *org, const char *san, const char *serial_hex, bool is_ca)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*sn;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_ne(BN_hex2bn(&bn, serial_hex), 0);
	ck_assert_ptr_nonnull(sn = BN_to_ASN1_INTEGER(bn, NULL));
	ck_assert_int_eq(X509_set_serialNumber(x, sn), 1);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	if (org != NULL) {
		ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "C",
		    MBSTRING_ASC, (const unsigned char *)"DE", -1, -1, 0), 1);
		ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "O",
		    MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0), 1);
	}
	if (cn != NULL)
		ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN",
		    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n), 1);
	X509_NAME_free(n);
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(x),
	    T_NOT_BEFORE));
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x),
	    T_NOT_AFTER));
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	if (is_ca)
		add_ext(x, issuer != NULL ? issuer : x, NID_basic_constraints,
		    "critical,CA:TRUE");
	if (san != NULL)
		add_ext(x, issuer != NULL ? issuer : x, NID_subject_alt_name,
		    san);
	ck_assert_int_gt(X509_sign(x, ikey != NULL ? ikey : key,
	    EVP_sha256()), 0);
	return x;
}

static char *
pem_of(X509 *x)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*data, *s;
	long	 n;

	ck_assert_int_eq(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &data);
	s = strndup(data, (size_t)n);
	BIO_free(b);
	return s;
}

static void
pki_setup(void)
{
	BIO	*b;
	char	*data;
	long	 n;

	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	ca = mkcert(ca_key, NULL, NULL, NULL, "certd test CA", NULL, "01",
	    true);
	leaf = mkcert(leaf_key, ca, ca_key, "mx.example.org", NULL,
	    "DNS:mx.example.org,DNS:Mail.Example.org,IP:192.0.2.1,"
	    "IP:2001:db8::1,email:postmaster@example.org",
	    "00D1A2B3C4D5E6F708192A3B4C5D6E7F80", false);
	self = mkcert(other_key, NULL, NULL, "self.example.org", NULL,
	    "DNS:self.example.org", "7F", false);
	ca_pem = pem_of(ca);
	leaf_pem = pem_of(leaf);
	self_pem = pem_of(self);
	b = BIO_new(BIO_s_mem());
	(void)PEM_write_bio_PKCS8PrivateKey(b, leaf_key, NULL, NULL, 0, NULL,
	    NULL);
	n = BIO_get_mem_data(b, &data);
	key_pem = strndup(data, (size_t)n);
	BIO_free(b);
}

static void
pki_teardown(void)
{
	X509_free(ca);
	X509_free(leaf);
	X509_free(self);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(other_key);
	free(ca_pem);
	free(leaf_pem);
	free(self_pem);
	free(key_pem);
}

/* concatenation of strings; NULL ends the list */
static char *
cat(const char *a, ...)
{
	va_list		 ap;
	const char	*s;
	char		*out = strdup("");
	size_t		 len = 0, n;

	va_start(ap, a);
	for (s = a; s != NULL; s = va_arg(ap, const char *)) {
		n = strlen(s);
		out = realloc(out, len + n + 1);
		memcpy(out + len, s, n + 1);
		len += n;
	}
	va_end(ap);
	return out;
}

static char *
repeat(const char *s, size_t times)
{
	size_t	 n = strlen(s), i;
	char	*out = malloc(n * times + 1);

	for (i = 0; i < times; i++)
		memcpy(out + i * n, s, n);
	out[n * times] = '\0';
	return out;
}

/* s with every "\n" turned into "\r\n" */
static char *
crlf(const char *s)
{
	char	*out = malloc(2 * strlen(s) + 1), *o = out;

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

enum split_kind {
	S_LEAF, S_LEAF_CA, S_TEN, S_ELEVEN, S_GARBAGE_BETWEEN, S_TRUNCATED,
	S_PRIVKEY, S_EMPTY, S_SPACE_ONLY, S_CRLF, S_WHITESPACE_AROUND,
	S_BAD_BASE64, S_TRAILING, S_LEADING, S_NESTED, S_NUL, S_AT_LIMIT,
	S_OVER_LIMIT, S_END_GLUED, S_HEADER, S_OTHER_LABEL, S_DER_TRAILING,
	S_NO_END_NEWLINE,
};

static const struct {
	enum split_kind	 kind;
	int		 rc;
	size_t		 ncerts;
} split_cases[] = {
	{ S_LEAF, 0, 1 },
	{ S_LEAF_CA, 0, 2 },
	{ S_TEN, 0, 10 },
	{ S_ELEVEN, -1, 0 },
	{ S_GARBAGE_BETWEEN, -1, 0 },
	{ S_TRUNCATED, -1, 0 },
	{ S_PRIVKEY, -1, 0 },
	{ S_EMPTY, -1, 0 },
	{ S_SPACE_ONLY, -1, 0 },
	{ S_CRLF, 0, 2 },
	{ S_WHITESPACE_AROUND, 0, 2 },
	{ S_BAD_BASE64, -1, 0 },
	{ S_TRAILING, -1, 0 },
	{ S_LEADING, -1, 0 },
	{ S_NESTED, -1, 0 },
	{ S_NUL, -1, 0 },
	{ S_AT_LIMIT, 0, 1 },
	{ S_OVER_LIMIT, -1, 0 },
	{ S_END_GLUED, -1, 0 },		/* "-----END CERTIFICATE-----x" */
	{ S_HEADER, -1, 0 },		/* Proc-Type header: never prompts */
	{ S_OTHER_LABEL, -1, 0 },	/* X509 CRL block */
	{ S_DER_TRAILING, -1, 0 },	/* DER with bytes after the cert */
	{ S_NO_END_NEWLINE, 0, 2 },
};

/* leaf_pem with DER trailing bytes: re-encode base64 of DER + "\0\0" */
static char *
der_trailing(void)
{
	unsigned char	*der = NULL, *buf;
	int		 n = i2d_X509(leaf, &der);
	BIO		*b = BIO_new(BIO_s_mem());
	char		*data, *s;
	long		 m;

	buf = malloc((size_t)n + 2);
	memcpy(buf, der, (size_t)n);
	buf[n] = buf[n + 1] = 0;
	ck_assert_int_gt(PEM_write_bio(b, "CERTIFICATE", "", buf, n + 2), 0);
	m = BIO_get_mem_data(b, &data);
	s = strndup(data, (size_t)m);
	BIO_free(b);
	OPENSSL_free(der);
	free(buf);
	return s;
}

START_TEST(split)
{
	struct cd_err	 err;
	char		*in = NULL, *l = NULL, *c = NULL, *f = NULL, *p, *t;
	size_t		 len = 0, ll, cl, fl, i, n;

	switch (split_cases[_i].kind) {
	case S_LEAF:
		in = strdup(self_pem);
		break;
	case S_LEAF_CA:
		in = cat(leaf_pem, ca_pem, NULL);
		break;
	case S_TEN:
	case S_ELEVEN:
		t = repeat(ca_pem, split_cases[_i].kind == S_TEN ? 9 : 10);
		in = cat(leaf_pem, t, NULL);
		free(t);
		break;
	case S_GARBAGE_BETWEEN:
		in = cat(leaf_pem, "x\n", ca_pem, NULL);
		break;
	case S_TRUNCATED:
		in = cat(leaf_pem, ca_pem, NULL);
		in[strlen(in) - 40] = '\0';
		break;
	case S_PRIVKEY:
		in = cat(leaf_pem, key_pem, NULL);
		break;
	case S_EMPTY:
		in = strdup("");
		break;
	case S_SPACE_ONLY:
		in = strdup(" \n\t\r\n");
		break;
	case S_CRLF:
		t = cat(leaf_pem, ca_pem, NULL);
		in = crlf(t);
		free(t);
		break;
	case S_WHITESPACE_AROUND:
		in = cat("\n \t\r\n", leaf_pem, "\n\n  \n", ca_pem, "\n\t ",
		    NULL);
		break;
	case S_BAD_BASE64:
		in = cat(leaf_pem, ca_pem, NULL);
		p = strstr(in, "\n") + 10;	/* inside the leaf's base64 */
		*p = '*';
		break;
	case S_TRAILING:
		in = cat(leaf_pem, ca_pem, "thanks\n", NULL);
		break;
	case S_LEADING:
		in = cat("Subject: leaf\n", leaf_pem, NULL);
		break;
	case S_NESTED:
		in = cat("-----BEGIN CERTIFICATE-----\n", leaf_pem, NULL);
		break;
	case S_NUL:
		in = cat(leaf_pem, " ", ca_pem, NULL);
		len = strlen(in);
		in[strlen(leaf_pem)] = '\0';
		break;
	case S_AT_LIMIT:
	case S_OVER_LIMIT:
		len = CERT_CHAIN_MAX + (split_cases[_i].kind == S_OVER_LIMIT);
		in = malloc(len + 1);
		memset(in, '\n', len);
		memcpy(in, leaf_pem, strlen(leaf_pem));
		in[len] = '\0';
		break;
	case S_END_GLUED:
		in = cat(leaf_pem, ca_pem, NULL);
		p = strstr(in, "-----END CERTIFICATE-----") + 25;
		*p = 'x';
		break;
	case S_HEADER:
		t = strdup(leaf_pem);
		p = strchr(t, '\n') + 1;
		*(p - 1) = '\0';
		in = cat(t, "\nProc-Type: 4,ENCRYPTED\n"
		    "DEK-Info: AES-128-CBC,"
		    "00112233445566778899AABBCCDDEEFF\n\n",
		    p, NULL);
		free(t);
		break;
	case S_OTHER_LABEL:
		t = strdup(leaf_pem);
		p = strstr(t, "CERTIFICATE");
		memcpy(p, "X509 CRL   ", 11);
		in = t;
		break;
	case S_DER_TRAILING:
		in = der_trailing();
		break;
	case S_NO_END_NEWLINE:
		in = cat(leaf_pem, ca_pem, NULL);
		in[strlen(in) - 1] = '\0';
		break;
	}
	if (len == 0)
		len = strlen(in);
	ck_assert_int_eq(cert_chain_split(in, len, &l, &ll, &c, &cl, &f, &fl,
	    &err), split_cases[_i].rc);
	ck_assert_int_eq(ERR_peek_error(), 0);
	if (split_cases[_i].rc == -1) {
		ck_assert_ptr_null(l);
		ck_assert_ptr_null(c);
		ck_assert_ptr_null(f);
		ck_assert(err.kind == CD_EPROTO || err.kind == CD_ECRYPTO);
		free(in);
		return;
	}
	/* normalised: the leaf is exactly what PEM_write_bio_X509 makes */
	ck_assert_str_eq(l, split_cases[_i].kind == S_LEAF ? self_pem :
	    leaf_pem);
	ck_assert_uint_eq(strlen(l), ll);
	ck_assert_uint_eq(strlen(c), cl);
	ck_assert_uint_eq(fl, ll + cl);
	ck_assert_int_eq(memcmp(f, l, ll), 0);
	ck_assert_str_eq(f + ll, c);
	n = split_cases[_i].ncerts - 1;
	ck_assert_uint_eq(cl, n * strlen(ca_pem));
	for (i = 0; i < n; i++)
		ck_assert_int_eq(memcmp(c + i * strlen(ca_pem), ca_pem,
		    strlen(ca_pem)), 0);
	free(l);
	free(c);
	free(f);
	free(in);
}
END_TEST

START_TEST(info_leaf)
{
	struct cd_err		 err;
	struct cert_info	 ci;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen;
	char			 hex[2 * EVP_MAX_MD_SIZE + 1];

	ck_assert_int_eq(cert_info_pem(leaf_pem, strlen(leaf_pem), &ci,
	    &err), 0);
	ck_assert_str_eq(ci.subject_cn, "mx.example.org");
	/* the CA has no CN: its DN, RFC 2253 order (last RDN first) */
	ck_assert_str_eq(ci.issuer_cn, "O=certd test CA,C=DE");
	ck_assert_uint_eq(ci.nnames, 4);	/* the email SAN is skipped */
	ck_assert_str_eq(ci.names[0], "mx.example.org");
	ck_assert_str_eq(ci.names[1], "Mail.Example.org");
	ck_assert_str_eq(ci.names[2], "192.0.2.1");
	ck_assert_str_eq(ci.names[3], "2001:db8::1");
	ck_assert_int_eq(ci.not_before, T_NOT_BEFORE);
	ck_assert_int_eq(ci.not_after, T_NOT_AFTER);
	/* BN_hex2bn drops the leading zero byte; 17 bytes remain */
	ck_assert_str_eq(ci.serial, "d1a2b3c4d5e6f708192a3b4c5d6e7f80");
	ck_assert_int_eq(X509_digest(leaf, EVP_sha256(), md, &mdlen), 1);
	util_hex(md, mdlen, hex, false);
	ck_assert_str_eq(ci.sha256, hex);
	ck_assert_str_eq(ci.key_type, "ecdsa-p384");
	cert_info_clear(&ci);
	ck_assert_ptr_null(ci.names);
	cert_info_clear(&ci);		/* twice is harmless */
	cert_info_clear(NULL);
}
END_TEST

START_TEST(info_other)
{
	struct cd_err		 err;
	struct cert_info	 ci;
	EVP_PKEY		*ed;
	X509			*x;
	char			*pem;

	/* self-signed, issuer CN present, serial 0x7f */
	ck_assert_int_eq(cert_info_x509(self, &ci, &err), 0);
	ck_assert_str_eq(ci.subject_cn, "self.example.org");
	ck_assert_str_eq(ci.issuer_cn, "self.example.org");
	ck_assert_str_eq(ci.serial, "7f");
	ck_assert_str_eq(ci.key_type, "ecdsa-p384");
	cert_info_clear(&ci);

	/* the CA: no CN, no SAN */
	ck_assert_int_eq(cert_info_x509(ca, &ci, &err), 0);
	ck_assert_ptr_null(ci.subject_cn);
	ck_assert_uint_eq(ci.nnames, 0);
	ck_assert_str_eq(ci.key_type, "ecdsa-p256");
	cert_info_clear(&ci);

	/* a key type certd does not make */
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	x = mkcert(ed, ca, ca_key, "ed.example.org", NULL, "DNS:e.example",
	    "0102", false);
	pem = pem_of(x);
	ck_assert_int_eq(cert_info_pem(pem, strlen(pem), &ci, &err), 0);
	ck_assert_str_eq(ci.key_type, "other");
	ck_assert_str_eq(ci.serial, "0102");
	cert_info_clear(&ci);
	ck_assert(cert_matches_key(pem, strlen(pem), ed));
	free(pem);
	X509_free(x);
	EVP_PKEY_free(ed);

	/* serial numbers zero and negative (not RFC 5280, but parseable) */
	x = mkcert(ca_key, NULL, NULL, "zero", NULL, NULL, "0", false);
	ck_assert_int_eq(cert_info_x509(x, &ci, &err), 0);
	ck_assert_str_eq(ci.serial, "00");
	cert_info_clear(&ci);
	X509_free(x);
	x = mkcert(ca_key, NULL, NULL, "neg", NULL, NULL, "-0A0B", false);
	ck_assert_int_eq(cert_info_x509(x, &ci, &err), 0);
	ck_assert_str_eq(ci.serial, "-0a0b");
	cert_info_clear(&ci);
	X509_free(x);

	/* not a certificate */
	ck_assert_int_eq(cert_info_pem(key_pem, strlen(key_pem), &ci, &err),
	    -1);
	ck_assert_int_eq(err.kind, CD_ECRYPTO);
	ck_assert_int_eq(cert_info_pem("", 0, &ci, &err), -1);
	ck_assert_int_eq(ERR_peek_error(), 0);
}
END_TEST

START_TEST(pem_to_der)
{
	struct cd_err	 err;
	unsigned char	*der = NULL, *want = NULL;
	size_t		 len;
	int		 n;

	ck_assert_int_eq(cert_pem_to_der(leaf_pem, strlen(leaf_pem), &der,
	    &len, &err), 0);
	n = i2d_X509(leaf, &want);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(len, (size_t)n);
	ck_assert_mem_eq(der, want, len);
	free(der);
	OPENSSL_free(want);
	der = NULL;
	ck_assert_int_eq(cert_pem_to_der("junk", 4, &der, &len, &err), -1);
	ck_assert_ptr_null(der);
}
END_TEST

START_TEST(matches_key)
{
	EVP_PKEY	*pub;
	BIO		*b;

	ck_assert(cert_matches_key(leaf_pem, strlen(leaf_pem), leaf_key));
	ck_assert(!cert_matches_key(leaf_pem, strlen(leaf_pem), other_key));
	ck_assert(!cert_matches_key(leaf_pem, strlen(leaf_pem), ca_key));
	ck_assert(cert_matches_key(ca_pem, strlen(ca_pem), ca_key));
	ck_assert(!cert_matches_key("junk", 4, leaf_key));
	ck_assert(!cert_matches_key(leaf_pem, strlen(leaf_pem), NULL));
	/* the key read back from PEM (no shared object) still matches */
	b = BIO_new_mem_buf(key_pem, -1);
	pub = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_ptr_nonnull(pub);
	ck_assert(cert_matches_key(leaf_pem, strlen(leaf_pem), pub));
	EVP_PKEY_free(pub);
}
END_TEST

static const struct {
	const char	*names[6];
	size_t		 n;
	bool		 want;
} has_cases[] = {
	{ { "mx.example.org", "mail.example.org", "192.0.2.1",
	    "2001:db8::1" }, 4, true },
	{ { "2001:DB8:0::1", "192.0.2.1", "MX.EXAMPLE.ORG",
	    "mail.example.org" }, 4, true },		/* order, case, form */
	{ { "mx.example.org", "mail.example.org", "192.0.2.1",
	    "2001:db8::1", "mx.example.org" }, 5, true },	/* repeat */
	{ { "mx.example.org", "mail.example.org", "192.0.2.1" }, 3, false },
	{ { "mx.example.org", "mail.example.org", "192.0.2.1",
	    "2001:db8::1", "extra.example.org" }, 5, false },
	{ { "mx.example.org", "mail.example.org", "192.0.2.2",
	    "2001:db8::1" }, 4, false },
	{ { "mx.example.org", "mail.example.org", "192.0.2.1",
	    "2001:db8::2" }, 4, false },
	{ { "mx.example.org", "mail.example.org", "::ffff:192.0.2.1",
	    "2001:db8::1" }, 4, false },		/* v4 is not v6 */
	{ { "*.example.org", "mail.example.org", "192.0.2.1",
	    "2001:db8::1" }, 4, false },		/* no wildcard magic */
	{ { NULL }, 0, false },
};

START_TEST(has_names)
{
	struct cert_info	 ci;

	ck_assert_int_eq(cert_info_x509(leaf, &ci, NULL), 0);
	ck_assert_int_eq(cert_has_names(&ci, has_cases[_i].names,
	    has_cases[_i].n), has_cases[_i].want);
	cert_info_clear(&ci);
}
END_TEST

Suite *
cert_suite(void)
{
	Suite	*s = suite_create("cert");
	TCase	*tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_loop_test(tc, split, 0,
	    sizeof(split_cases) / sizeof(split_cases[0]));
	tcase_add_test(tc, info_leaf);
	tcase_add_test(tc, info_other);
	tcase_add_test(tc, pem_to_der);
	tcase_add_test(tc, matches_key);
	tcase_add_loop_test(tc, has_names, 0,
	    sizeof(has_cases) / sizeof(has_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
