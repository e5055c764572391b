/*
 * check_chain.c - revocation/chain.c: a PKI made in-process (root ->
 * intermediate -> leaves with CRL DP and AIA; a deeper chain; a foreign
 * "evil" root; self-signed, expired, not-yet-valid leaves), verified with
 * and without intermediates, with intermediates fetched through a fake
 * caIssuers fetcher (DER, PKCS#7, failures), URL extraction with hostile
 * URIs, short-lived detection, names, serials and PEM/DER loading.
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "revocation/chain.h"

#define T_NB		1700000000	/* 2023-11-14 */
#define T_NA		2600000000	/* 2052-05-23 */
#define T_NOW		1800000000	/* 2027-01-15 */

#define U_INT		"http://127.0.0.1:9/int.der"
#define U_INTA		"http://127.0.0.1:9/inta.der"
#define U_INTB		"http://127.0.0.1:9/intb.p7c"
#define U_EVIL		"http://127.0.0.1:9/evil.der"

struct spec {
	const char	*cn;
	EVP_PKEY	*key;
	X509		*issuer;	/* NULL: self-signed */
	EVP_PKEY	*ikey;
	long		 serial;
	time_t		 nb, na;
	bool		 ca;
	const char	*eku;		/* NULL: no EKU */
	const char	*crldp;		/* openssl.cnf syntax or NULL */
	const char	*aia;
};

/* Built once per test case by the unchecked fixture (before forking). */
static EVP_PKEY	*k_root, *k_int, *k_leaf, *k_inta, *k_intb, *k_evil;
static X509	*root, *inter, *leaf, *inta, *intb, *deep, *evil, *evil_leaf;
static X509	*self, *expired, *future;
static char	 tmpdir[] = "/tmp/check_chain.XXXXXX";
static char	 ca_file[64], empty_file[64];

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

static X509 *
mkcert_unsigned(const struct spec *s)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	X509		*iss;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x),
	    s->serial), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)s->cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, s->issuer != NULL ?
	    X509_get_subject_name(s->issuer) : n), 1);
	X509_NAME_free(n);
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(x), s->nb));
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x), s->na));
	ck_assert_int_eq(X509_set_pubkey(x, s->key), 1);
	iss = s->issuer != NULL ? s->issuer : x;
	add_ext(x, iss, NID_subject_key_identifier, "hash");
	if (s->issuer != NULL)
		add_ext(x, iss, NID_authority_key_identifier, "keyid:always");
	if (s->ca) {
		add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else
		add_ext(x, iss, NID_key_usage, "critical,digitalSignature");
	if (s->eku != NULL)
		add_ext(x, iss, NID_ext_key_usage, s->eku);
	if (s->crldp != NULL)
		add_ext(x, iss, NID_crl_distribution_points, s->crldp);
	if (s->aia != NULL)
		add_ext(x, iss, NID_info_access, s->aia);
	return x;
}

static void
sign(X509 *x, EVP_PKEY *key)
{
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
}

static X509 *
mkcert(const struct spec *s)
{
	X509	*x = mkcert_unsigned(s);

	sign(x, s->ikey != NULL ? s->ikey : s->key);
	return x;
}

static EVP_PKEY *
mkkey(void)
{
	EVP_PKEY	*k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	ck_assert_ptr_nonnull(k);
	return k;
}

static X509 *
leaf_with(const char *cn, const char *eku, time_t nb, time_t na)
{
	struct spec	 s = { cn, k_leaf, inter, k_int, 100, nb, na, false,
	    eku, NULL, "caIssuers;URI:" U_INT };

	return mkcert(&s);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
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
	struct spec	 s;
	char		*pem;

	k_root = mkkey();
	k_int = mkkey();
	k_leaf = mkkey();
	k_inta = mkkey();
	k_intb = mkkey();
	k_evil = mkkey();
	s = (struct spec){ "certd test root", k_root, NULL, NULL, 1, T_NB,
	    T_NA, true, NULL, NULL, NULL };
	root = mkcert(&s);
	s = (struct spec){ "certd test intermediate", k_int, root, k_root, 2,
	    T_NB, T_NA, true, NULL, "URI:http://127.0.0.1:9/root.crl",
	    "caIssuers;URI:http://127.0.0.1:9/root.der" };
	inter = mkcert(&s);
	s = (struct spec){ "mx.example.org", k_leaf, inter, k_int, 3, T_NB,
	    T_NA, false, "serverAuth,clientAuth",
	    "URI:http://127.0.0.1:9/int.crl,URI:ldap://ldap.example/cn=int,"
	    "URI:ftp://ftp.example/int.crl,URI:HTTPS://crl.example/int.crl,"
	    "URI:http://127.0.0.1:9/int.crl",
	    "OCSP;URI:http://127.0.0.1:9/ocsp,OCSP;URI:ldap://x.example/o,"
	    "caIssuers;URI:ldap://ldap.example/cn=int,caIssuers;URI:" U_INT };
	leaf = mkcert(&s);
	/* root -> A -> B -> deep, only deep and B point at their issuers */
	s = (struct spec){ "certd test A", k_inta, root, k_root, 4, T_NB,
	    T_NA, true, NULL, NULL, NULL };
	inta = mkcert(&s);
	s = (struct spec){ "certd test B", k_intb, inta, k_inta, 5, T_NB,
	    T_NA, true, NULL, NULL, "caIssuers;URI:" U_INTA };
	intb = mkcert(&s);
	s = (struct spec){ "deep.example.org", k_leaf, intb, k_intb, 6, T_NB,
	    T_NA, false, NULL, NULL, "caIssuers;URI:" U_INTB };
	deep = mkcert(&s);
	/* a root nobody trusts, which a caIssuers URL hands out */
	s = (struct spec){ "certd evil root", k_evil, NULL, NULL, 7, T_NB,
	    T_NA, true, NULL, NULL, NULL };
	evil = mkcert(&s);
	s = (struct spec){ "evil.example.org", k_leaf, evil, k_evil, 8, T_NB,
	    T_NA, false, NULL, NULL, "caIssuers;URI:" U_EVIL };
	evil_leaf = mkcert(&s);
	s = (struct spec){ "self.example.org", k_leaf, NULL, NULL, 9, T_NB,
	    T_NA, false, "serverAuth", NULL, NULL };
	self = mkcert(&s);
	expired = leaf_with("expired.example.org", NULL, T_NB, T_NOW - 86400);
	future = leaf_with("future.example.org", NULL, T_NOW + 86400, T_NA);

	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	(void)snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", tmpdir);
	(void)snprintf(empty_file, sizeof(empty_file), "%s/empty.pem", tmpdir);
	pem = pem_of(root);
	write_file(ca_file, pem, strlen(pem));
	free(pem);
	write_file(empty_file, "", 0);
}

static void
pki_teardown(void)
{
	(void)unlink(ca_file);
	(void)unlink(empty_file);
	(void)rmdir(tmpdir);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	X509_free(inta);
	X509_free(intb);
	X509_free(deep);
	X509_free(evil);
	X509_free(evil_leaf);
	X509_free(self);
	X509_free(expired);
	X509_free(future);
	EVP_PKEY_free(k_root);
	EVP_PKEY_free(k_int);
	EVP_PKEY_free(k_leaf);
	EVP_PKEY_free(k_inta);
	EVP_PKEY_free(k_intb);
	EVP_PKEY_free(k_evil);
}

/* ---- the fake caIssuers fetcher */

enum body_kind { B_DER, B_P7, B_GARBAGE, B_TRAILING, B_FAIL };

struct fake {
	struct {
		const char	*url;
		X509		*cert;
		enum body_kind	 kind;
	} map[4];
	size_t		 n;
	int		 calls;
};

static unsigned char *
der_of(X509 *x, size_t *len)
{
	unsigned char	*der = NULL;
	int		 n = i2d_X509(x, &der);

	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	return der;
}

static unsigned char *
p7_of(X509 **certs, size_t ncerts, size_t *len)
{
	PKCS7		*p7 = PKCS7_new();
	unsigned char	*der = NULL;
	size_t		 i;
	int		 n;

	ck_assert_ptr_nonnull(p7);
	ck_assert_int_eq(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	ck_assert_int_eq(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	for (i = 0; i < ncerts; i++)
		ck_assert_int_eq(PKCS7_add_certificate(p7, certs[i]), 1);
	n = i2d_PKCS7(p7, &der);
	ck_assert_int_gt(n, 0);
	PKCS7_free(p7);
	*len = (size_t)n;
	return der;
}

/* copies an OpenSSL allocation into malloc(), as chain.c frees with free */
static unsigned char *
to_malloc(unsigned char *p, size_t len)
{
	unsigned char	*m = malloc(len + 1);

	ck_assert_ptr_nonnull(m);
	memcpy(m, p, len);
	OPENSSL_free(p);
	return m;
}

static int
fake_fetch(void *arg, const char *url, unsigned char **der, size_t *len,
    struct cd_err *err)
{
	struct fake	*f = arg;
	unsigned char	*p;
	size_t		 i;

	f->calls++;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->map[i].url, url) == 0)
			break;
	if (i == f->n || f->map[i].kind == B_FAIL)
		return cd_err_set(err, CD_ENET, "%s: HTTP 404", url);
	switch (f->map[i].kind) {
	case B_DER:
	case B_TRAILING:
		p = der_of(f->map[i].cert, len);
		break;
	case B_P7:
		p = p7_of(&f->map[i].cert, 1, len);
		break;
	default:
		p = OPENSSL_malloc(5);
		memcpy(p, "junk!", 5);
		*len = 5;
		break;
	}
	*der = to_malloc(p, *len);
	if (f->map[i].kind == B_TRAILING)
		(*der)[(*len)++] = 0;
	return 0;
}

static void
opts_for(struct chain_opts *o, struct fake *f)
{
	chain_opts_init(o);
	o->ca_file = ca_file;		/* alone: no system store */
	o->now = T_NOW;
	if (f != NULL) {
		o->aia_fetch = fake_fetch;
		o->aia_arg = f;
	}
}

static STACK_OF(X509) *
stack_of(X509 *a, X509 *b)
{
	STACK_OF(X509)	*sk = sk_X509_new_null();

	if (a != NULL)
		ck_assert_int_gt(sk_X509_push(sk, a), 0);
	if (b != NULL)
		ck_assert_int_gt(sk_X509_push(sk, b), 0);
	return sk;
}

/* ---- verification */

START_TEST(verify_with_intermediate)
{
	struct chain_opts	 o;
	struct chain_result	 r;
	struct cd_err		 err;
	STACK_OF(X509)		*sk = stack_of(leaf, inter);

	opts_for(&o, NULL);
	ck_assert_int_eq(chain_verify(leaf, sk, &o, &r, &err), 0);
	ck_assert(r.trusted);
	ck_assert_int_eq(r.code, CHAIN_TRUSTED);
	ck_assert_int_eq(r.x509_error, X509_V_OK);
	ck_assert_str_eq(r.reason, "");
	ck_assert_int_eq(sk_X509_num(r.chain), 3);
	ck_assert_int_eq(X509_cmp(sk_X509_value(r.chain, 0), leaf), 0);
	ck_assert_int_eq(X509_cmp(sk_X509_value(r.chain, 2), root), 0);
	ck_assert_ptr_nonnull(r.issuer);
	ck_assert_int_eq(X509_cmp(r.issuer, inter), 0);
	ck_assert(!r.leaf_is_anchor);
	ck_assert_uint_eq(r.aia_fetched, 0);
	chain_result_clear(&r);
	ck_assert_ptr_null(r.chain);
	ck_assert_ptr_null(r.issuer);
	chain_result_clear(NULL);
	sk_X509_free(sk);	/* borrowed pointers */
}
END_TEST

START_TEST(verify_without_intermediate)
{
	struct chain_opts	 o;
	struct chain_result	 r;
	struct cd_err		 err;

	opts_for(&o, NULL);
	ck_assert_int_eq(chain_verify(leaf, NULL, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	ck_assert_int_eq(r.code, CHAIN_NO_ISSUER);
	ck_assert_str_eq(r.reason, "unable to get issuer certificate");
	ck_assert_ptr_null(r.issuer);
	chain_result_clear(&r);
}
END_TEST

/* a caIssuers body served as DER or PKCS#7 completes the chain */
START_TEST(verify_aia_fetch)
{
	struct fake		 f = { .n = 1 };
	struct chain_opts	 o;
	struct chain_result	 r;
	struct cd_err		 err;

	f.map[0].url = U_INT;
	f.map[0].cert = inter;
	f.map[0].kind = _i == 0 ? B_DER : B_P7;
	opts_for(&o, &f);
	ck_assert_int_eq(chain_verify(leaf, NULL, &o, &r, &err), 0);
	ck_assert_msg(r.trusted, "%s", r.reason);
	ck_assert_int_eq(f.calls, 1);
	ck_assert_uint_eq(r.aia_fetched, 1);
	ck_assert_int_eq(sk_X509_num(r.chain), 3);
	ck_assert_int_eq(X509_cmp(r.issuer, inter), 0);
	chain_result_clear(&r);
}
END_TEST

/* a self-signed root from a caIssuers URL stays untrusted */
START_TEST(verify_aia_never_anchor)
{
	struct fake		 f = { .n = 1 };
	struct chain_opts	 o;
	struct chain_result	 r;
	struct cd_err		 err;

	f.map[0].url = U_EVIL;
	f.map[0].cert = evil;
	f.map[0].kind = _i == 0 ? B_DER : B_P7;
	opts_for(&o, &f);
	ck_assert_int_eq(chain_verify(evil_leaf, NULL, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	ck_assert_int_eq(f.calls, 1);
	ck_assert_int_eq(r.code, CHAIN_UNTRUSTED_ROOT);
	ck_assert_str_eq(r.reason, "untrusted root at depth 1");
	ck_assert_ptr_null(r.issuer);
	chain_result_clear(&r);
	/* the same with the system store (the evil root is not in it) */
	f.calls = 0;
	o.ca_file = NULL;
	ck_assert_int_eq(chain_verify(evil_leaf, NULL, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	ck_assert_int_eq(f.calls, 1);
	chain_result_clear(&r);
}
END_TEST

static const struct {
	enum body_kind	 kind;
	const char	*in_reason;
} aia_bad[] = {
	{ B_FAIL, "HTTP 404" },
	{ B_GARBAGE, "neither a DER certificate nor PKCS#7" },
	{ B_TRAILING, "trailing bytes" },
};

START_TEST(verify_aia_bad)
{
	struct fake		 f = { .n = 1 };
	struct chain_opts	 o;
	struct chain_result	 r;
	struct cd_err		 err;

	f.map[0].url = U_INT;
	f.map[0].cert = inter;
	f.map[0].kind = aia_bad[_i].kind;
	opts_for(&o, &f);
	ck_assert_int_eq(chain_verify(leaf, NULL, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	ck_assert_int_eq(r.code, CHAIN_NO_ISSUER);
	ck_assert_int_eq(f.calls, 1);
	ck_assert_msg(strstr(r.reason, aia_bad[_i].in_reason) != NULL, "%s",
	    r.reason);
	ck_assert_ptr_nonnull(strstr(r.reason, "caIssuers"));
	chain_result_clear(&r);
}
END_TEST

/* deep -> B -> A -> root needs two fetches: max_aia bounds them */
START_TEST(verify_aia_max)
{
	struct fake		 f = { .n = 2 };
	struct chain_opts	 o;
	struct chain_result	 r;
	struct cd_err		 err;

	f.map[0].url = U_INTB;
	f.map[0].cert = intb;
	f.map[0].kind = B_P7;
	f.map[1].url = U_INTA;
	f.map[1].cert = inta;
	f.map[1].kind = B_DER;
	opts_for(&o, &f);
	o.max_aia = 1;
	ck_assert_int_eq(chain_verify(deep, NULL, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	ck_assert_int_eq(r.code, CHAIN_NO_ISSUER);
	ck_assert_int_eq(f.calls, 1);
	chain_result_clear(&r);

	f.calls = 0;
	o.max_aia = 0;
	ck_assert_int_eq(chain_verify(deep, NULL, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	ck_assert_int_eq(f.calls, 0);
	chain_result_clear(&r);

	o.max_aia = CHAIN_AIA_DEFAULT;
	ck_assert_int_eq(chain_verify(deep, NULL, &o, &r, &err), 0);
	ck_assert_msg(r.trusted, "%s", r.reason);
	ck_assert_int_eq(f.calls, 2);
	ck_assert_int_eq(sk_X509_num(r.chain), 4);
	ck_assert_int_eq(X509_cmp(r.issuer, intb), 0);
	chain_result_clear(&r);

	/* no fetcher at all */
	o.aia_fetch = NULL;
	ck_assert_int_eq(chain_verify(deep, NULL, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	ck_assert_str_eq(r.reason, "unable to get issuer certificate");
	chain_result_clear(&r);
}
END_TEST

/* EKUs are not required: serverAuth only, none, clientAuth, other */
static const char *const ekus[] = { "serverAuth", NULL, "clientAuth",
    "emailProtection", "serverAuth,clientAuth" };

START_TEST(verify_any_eku)
{
	struct chain_opts	 o;
	struct chain_result	 r;
	struct cd_err		 err;
	STACK_OF(X509)		*sk = stack_of(inter, NULL);
	X509			*x;

	x = leaf_with("eku.example.org", ekus[_i], T_NB, T_NA);
	opts_for(&o, NULL);
	ck_assert_int_eq(chain_verify(x, sk, &o, &r, &err), 0);
	ck_assert_msg(r.trusted, "%s", r.reason);
	chain_result_clear(&r);
	X509_free(x);
	sk_X509_free(sk);	/* borrowed pointers */
}
END_TEST

static const struct {
	int		 which;	/* 0 self, 1 expired, 2 future, 3 bad sig */
	enum chain_code	 code;
	const char	*reason;
} bad_leaves[] = {
	{ 0, CHAIN_SELF_SIGNED, "self-signed" },
	{ 1, CHAIN_EXPIRED, "expired" },
	{ 2, CHAIN_NOT_YET_VALID, "not yet valid" },
	{ 3, CHAIN_BAD_SIGNATURE, "bad signature" },
};

START_TEST(verify_bad_leaf)
{
	struct chain_opts	 o;
	struct chain_result	 r;
	struct cd_err		 err;
	STACK_OF(X509)		*sk = stack_of(inter, NULL);
	X509			*x, *forged = NULL;
	struct spec		 s = { "forged.example.org", k_leaf, inter,
	    k_evil, 10, T_NB, T_NA, false, NULL, NULL, NULL };

	switch (bad_leaves[_i].which) {
	case 0:
		x = self;
		break;
	case 1:
		x = expired;
		break;
	case 2:
		x = future;
		break;
	default:
		/* names inter as issuer, signed with the evil key */
		x = forged = mkcert(&s);
		break;
	}
	opts_for(&o, NULL);
	ck_assert_int_eq(chain_verify(x, sk, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	ck_assert_int_eq(r.code, bad_leaves[_i].code);
	ck_assert_str_eq(r.reason, bad_leaves[_i].reason);
	ck_assert_int_eq(r.error_depth, 0);
	ck_assert_ptr_null(r.issuer);
	chain_result_clear(&r);
	/* later than notAfter of everything: expired */
	o.now = T_NA + 86400;
	ck_assert_int_eq(chain_verify(leaf, sk, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	ck_assert_int_eq(r.code, CHAIN_EXPIRED);
	chain_result_clear(&r);
	X509_free(forged);
	sk_X509_free(sk);	/* borrowed pointers */
}
END_TEST

/* a leaf that is itself an anchor; a caller-made store */
START_TEST(verify_leaf_anchor)
{
	struct chain_opts	 o;
	struct chain_result	 r;
	struct cd_err		 err;
	X509_STORE		*st = X509_STORE_new();

	ck_assert_int_eq(X509_STORE_add_cert(st, self), 1);
	opts_for(&o, NULL);
	o.store = st;
	ck_assert_int_eq(chain_verify(self, NULL, &o, &r, &err), 0);
	ck_assert_msg(r.trusted, "%s", r.reason);
	ck_assert(r.leaf_is_anchor);
	ck_assert_int_eq(X509_cmp(r.issuer, self), 0);
	chain_result_clear(&r);
	/* the store is used instead of ca_file: root is not in it */
	ck_assert_int_eq(chain_verify(leaf, NULL, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	chain_result_clear(&r);
	X509_STORE_free(st);
}
END_TEST

START_TEST(verify_store_errors)
{
	struct chain_opts	 o;
	struct chain_result	 r;
	struct cd_err		 err;
	X509_STORE		*st = NULL;

	opts_for(&o, NULL);
	o.ca_file = "/nonexistent/ca.pem";
	ck_assert_int_eq(chain_verify(leaf, NULL, &o, &r, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/ca.pem"));
	ck_assert_ptr_null(r.chain);
	o.ca_file = empty_file;
	ck_assert_int_eq(chain_verify(leaf, NULL, &o, &r, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	o.ca_file = NULL;
	o.ca_path = "/nonexistent/certs";
	ck_assert_int_eq(chain_store_new(&o, &st, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_ptr_null(st);
	o.ca_path = NULL;
	o.now = 0;
	ck_assert_int_eq(chain_verify(leaf, NULL, &o, &r, &err), -1);
	/* the system store alone does not know the test root */
	o.now = T_NOW;
	o.system_store = false;	/* no ca_file: the system store anyway */
	ck_assert_int_eq(chain_verify(leaf, NULL, &o, &r, &err), 0);
	ck_assert(!r.trusted);
	chain_result_clear(&r);
	/* ca_path with a directory works (no hashed links: untrusted) */
	o.ca_path = tmpdir;
	ck_assert_int_eq(chain_store_new(&o, &st, &err), 0);
	X509_STORE_free(st);
	/* a CA file replaces the system store unless system_store is set */
	opts_for(&o, NULL);
	ck_assert(!o.system_store);
	ck_assert_int_eq(chain_store_new(&o, &st, &err), 0);
	ck_assert_int_eq(sk_X509_OBJECT_num(X509_STORE_get0_objects(st)), 1);
	X509_STORE_free(st);
	if (access(X509_get_default_cert_file(), R_OK) == 0) {
		o.system_store = true;
		ck_assert_int_eq(chain_store_new(&o, &st, &err), 0);
		ck_assert_int_gt(sk_X509_OBJECT_num(
		    X509_STORE_get0_objects(st)), 1);
		X509_STORE_free(st);
	}
}
END_TEST

/* ---- URLs */

static void
assert_urls(char **urls, size_t n, const char *const *want)
{
	size_t	 i;

	for (i = 0; want[i] != NULL; i++) {
		ck_assert_uint_lt(i, n);
		ck_assert_str_eq(urls[i], want[i]);
	}
	ck_assert_uint_eq(i, n);
}

START_TEST(urls_basic)
{
	static const char *const crl[] = { "http://127.0.0.1:9/int.crl",
	    "HTTPS://crl.example/int.crl", NULL };
	static const char *const ocsp[] = { "http://127.0.0.1:9/ocsp", NULL };
	static const char *const aia[] = { U_INT, NULL };
	static const char *const none[] = { NULL };
	char	**u;
	size_t	 n;

	ck_assert_int_eq(chain_crl_urls(leaf, &u, &n, NULL), 0);
	assert_urls(u, n, crl);
	chain_urls_free(u, n);
	ck_assert_int_eq(chain_ocsp_urls(leaf, &u, &n, NULL), 0);
	assert_urls(u, n, ocsp);
	chain_urls_free(u, n);
	ck_assert_int_eq(chain_aia_urls(leaf, &u, &n, NULL), 0);
	assert_urls(u, n, aia);
	chain_urls_free(u, n);
	ck_assert_int_eq(chain_crl_urls(root, &u, &n, NULL), 0);
	assert_urls(u, n, none);
	ck_assert_ptr_null(u);
	ck_assert_int_eq(chain_ocsp_urls(root, &u, &n, NULL), 0);
	ck_assert_uint_eq(n, 0);
	chain_urls_free(NULL, 0);
}
END_TEST

static GENERAL_NAME *
uri(const void *s, size_t len)
{
	GENERAL_NAME	*gn = GENERAL_NAME_new();
	ASN1_IA5STRING	*ia5 = ASN1_IA5STRING_new();

	ck_assert_int_eq(ASN1_STRING_set(ia5, s, (int)len), 1);
	GENERAL_NAME_set0_value(gn, GEN_URI, ia5);
	return gn;
}

static DIST_POINT *
dp_of(GENERAL_NAME *gn)
{
	DIST_POINT	*dp = DIST_POINT_new();

	dp->distpoint = DIST_POINT_NAME_new();
	dp->distpoint->type = 0;
	dp->distpoint->name.fullname = GENERAL_NAMES_new();
	ck_assert_int_gt(sk_GENERAL_NAME_push(dp->distpoint->name.fullname,
	    gn), 0);
	return dp;
}

/* hostile URIs built by hand: controls, NUL, length, no host, scope */
START_TEST(urls_hostile)
{
	STACK_OF(DIST_POINT)		*dps = sk_DIST_POINT_new_null();
	AUTHORITY_INFO_ACCESS		*aia = sk_ACCESS_DESCRIPTION_new_null();
	ACCESS_DESCRIPTION		*ad;
	DIST_POINT			*dp;
	struct spec			 s = { "hostile.example.org", k_leaf,
	    inter, k_int, 11, T_NB, T_NA, false, NULL, NULL, NULL };
	char				 at[REV_URL_MAX + 2], name[32];
	char				**u;
	size_t				 n, i;
	X509				*x;

	/* exactly REV_URL_MAX bytes is fine, one more is not */
	memset(at, 'a', sizeof(at));
	memcpy(at, "http://h/", 9);
	at[REV_URL_MAX] = '\0';
	ck_assert_int_gt(sk_DIST_POINT_push(dps, dp_of(uri("http://a\nb/x",
	    12))), 0);
	ck_assert_int_gt(sk_DIST_POINT_push(dps, dp_of(uri("http://a\0b/x",
	    12))), 0);
	ck_assert_int_gt(sk_DIST_POINT_push(dps, dp_of(uri("http:///x", 9))),
	    0);
	ck_assert_int_gt(sk_DIST_POINT_push(dps, dp_of(uri("http://a b/", 11))),
	    0);
	ck_assert_int_gt(sk_DIST_POINT_push(dps, dp_of(uri("http://\xc3\xa9/",
	    10))), 0);
	ck_assert_int_gt(sk_DIST_POINT_push(dps, dp_of(uri(at,
	    REV_URL_MAX + 1))), 0);
	ck_assert_int_gt(sk_DIST_POINT_push(dps, dp_of(uri(at, REV_URL_MAX))),
	    0);
	/* limited to some reasons, or an indirect CRL: skipped */
	dp = dp_of(uri("http://reasons.example/a.crl", 28));
	dp->reasons = ASN1_BIT_STRING_new();
	ck_assert_int_eq(ASN1_BIT_STRING_set_bit(dp->reasons, 1, 1), 1);
	ck_assert_int_gt(sk_DIST_POINT_push(dps, dp), 0);
	dp = dp_of(uri("http://indirect.example/a.crl", 29));
	dp->CRLissuer = GENERAL_NAMES_new();
	ck_assert_int_gt(sk_GENERAL_NAME_push(dp->CRLissuer,
	    uri("http://x/", 9)), 0);
	ck_assert_int_gt(sk_DIST_POINT_push(dps, dp), 0);
	ck_assert_int_gt(sk_DIST_POINT_push(dps, dp_of(uri("http://ok/c",
	    11))), 0);
	/* more OCSP URLs than CHAIN_URLS_MAX */
	for (i = 0; i < CHAIN_URLS_MAX + 3; i++) {
		(void)snprintf(name, sizeof(name), "http://o%zu/", i);
		ad = ACCESS_DESCRIPTION_new();
		ASN1_OBJECT_free(ad->method);
		ad->method = OBJ_nid2obj(NID_ad_OCSP);
		GENERAL_NAME_free(ad->location);
		ad->location = uri(name, strlen(name));
		ck_assert_int_gt(sk_ACCESS_DESCRIPTION_push(aia, ad), 0);
	}
	x = mkcert_unsigned(&s);
	ck_assert_int_eq(X509_add1_ext_i2d(x, NID_crl_distribution_points,
	    dps, 0, X509V3_ADD_DEFAULT), 1);
	ck_assert_int_eq(X509_add1_ext_i2d(x, NID_info_access, aia, 0,
	    X509V3_ADD_DEFAULT), 1);
	sign(x, k_int);
	ck_assert_int_eq(chain_crl_urls(x, &u, &n, NULL), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(u[0], at);
	ck_assert_str_eq(u[1], "http://ok/c");
	chain_urls_free(u, n);
	ck_assert_int_eq(chain_ocsp_urls(x, &u, &n, NULL), 0);
	ck_assert_uint_eq(n, CHAIN_URLS_MAX);
	ck_assert_str_eq(u[0], "http://o0/");
	ck_assert_str_eq(u[CHAIN_URLS_MAX - 1], "http://o7/");
	chain_urls_free(u, n);
	ck_assert_int_eq(chain_aia_urls(x, &u, &n, NULL), 0);
	ck_assert_uint_eq(n, 0);
	X509_free(x);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	AUTHORITY_INFO_ACCESS_free(aia);
}
END_TEST

/* ---- short-lived, fingerprint, serial, names */

static const struct {
	time_t	 lifetime;	/* notAfter - notBefore */
	time_t	 max;
	bool	 want;
} lifetimes[] = {
	{ 6 * 86400, 0, true },			/* Let's Encrypt 6 days */
	{ 10 * 86400 - 1, 0, true },		/* inclusive: 10 days */
	{ 10 * 86400, 0, false },		/* 10 days + 1 s */
	{ 90 * 86400, 0, false },
	{ 7 * 86400 - 1, 7 * 86400, true },	/* BR from 2026: 7 days */
	{ 7 * 86400, 7 * 86400, false },
	{ 0, 0, true },
	{ -1, 0, false },			/* notAfter < notBefore */
};

START_TEST(short_lived)
{
	X509	*x;

	x = leaf_with("short.example.org", NULL, T_NOW,
	    T_NOW + lifetimes[_i].lifetime);
	ck_assert_int_eq(chain_is_short_lived(x, lifetimes[_i].max),
	    lifetimes[_i].want);
	X509_free(x);
}
END_TEST

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

START_TEST(facts)
{
	unsigned char	 md[32];
	unsigned int	 mdlen = 0;
	char		 fpr[CHAIN_FPR_HEX], want[CHAIN_FPR_HEX];
	char		 sn[CHAIN_SERIAL_HEX], line[CHAIN_NAME_MAX], tiny[12];
	struct spec	 s = { "evil\r\nCN=x \xc3\xa9\x01", k_leaf, inter,
	    k_int, 12, T_NB, T_NA, false, NULL, NULL, NULL };
	BIGNUM		*bn = NULL;
	X509		*x;
	size_t		 i;

	ck_assert_int_eq(chain_fingerprint(leaf, fpr, NULL), 0);
	ck_assert_int_eq(X509_digest(leaf, EVP_sha256(), md, &mdlen), 1);
	for (i = 0; i < 32; i++)
		(void)snprintf(want + 2 * i, 3, "%02x", md[i]);
	ck_assert_str_eq(fpr, want);

	ck_assert_int_eq(chain_serial_hex(leaf, sn, NULL), 0);
	ck_assert_str_eq(sn, "03");
	chain_subject(leaf, line, sizeof(line));
	ck_assert_str_eq(line, "CN=mx.example.org");
	chain_issuer(leaf, line, sizeof(line));
	ck_assert_str_eq(line, "CN=certd test intermediate");

	/* hostile subject: CR LF, UTF-8, a control byte */
	x = mkcert(&s);
	chain_subject(x, line, sizeof(line));
	ck_assert(printable(line));
	ck_assert_ptr_null(strchr(line, '\n'));
	ck_assert_ptr_nonnull(strstr(line, "evil"));
	chain_subject(x, tiny, sizeof(tiny));
	ck_assert(printable(tiny));
	ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
	ck_assert_str_eq(tiny + strlen(tiny) - 3, "...");
	/* negative, zero and over-long serials */
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), -5), 1);
	ck_assert_int_eq(chain_serial_hex(x, sn, NULL), 0);
	ck_assert_str_eq(sn, "-05");
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 0), 1);
	ck_assert_int_eq(chain_serial_hex(x, sn, NULL), 0);
	ck_assert_str_eq(sn, "00");
	ck_assert_int_ne(BN_hex2bn(&bn, "7f0102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f"), 0);	/* 32 bytes */
	ck_assert_ptr_nonnull(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	ck_assert_int_eq(chain_serial_hex(x, sn, NULL), 0);
	ck_assert_uint_eq(strlen(sn), 64);
	ck_assert_int_eq(BN_lshift(bn, bn, 8), 1);	/* 33 bytes */
	ck_assert_ptr_nonnull(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	ck_assert_int_eq(chain_serial_hex(x, sn, NULL), -1);
	BN_free(bn);
	X509_free(x);
}
END_TEST

/* ---- loading */

START_TEST(load_pem)
{
	STACK_OF(X509)	*sk;
	struct cd_err	 err;
	char		*a = pem_of(leaf), *b = pem_of(inter);
	char		*c = pem_of(root);
	char		*all, *many;
	size_t		 i, la = strlen(a);

	all = malloc(strlen(a) + strlen(b) + strlen(c) + 1);
	(void)snprintf(all, strlen(a) + strlen(b) + strlen(c) + 1, "%s%s%s",
	    a, b, c);
	ck_assert_int_eq(chain_load_pem(all, strlen(all), &sk, &err), 0);
	ck_assert_int_eq(sk_X509_num(sk), 3);
	ck_assert_int_eq(X509_cmp(sk_X509_value(sk, 0), leaf), 0);
	ck_assert_int_eq(X509_cmp(sk_X509_value(sk, 2), root), 0);
	sk_X509_pop_free(sk, X509_free);	/* owned by the stack */
	/* garbage after the last block */
	all[strlen(all) - 1] = 'x';
	ck_assert_int_eq(chain_load_pem(all, strlen(all), &sk, &err), -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);
	ck_assert_ptr_null(sk);
	ck_assert_int_eq(chain_load_pem("", 0, &sk, &err), -1);
	ck_assert_int_eq(chain_load_pem("junk", 4, &sk, &err), -1);
	/* 10 certificates are fine, 11 are not */
	many = malloc(11 * la + 1);
	for (i = 0; i < 11; i++)
		memcpy(many + i * la, a, la);
	ck_assert_int_eq(chain_load_pem(many, 10 * la, &sk, &err), 0);
	ck_assert_int_eq(sk_X509_num(sk), 10);
	sk_X509_pop_free(sk, X509_free);	/* owned by the stack */
	ck_assert_int_eq(chain_load_pem(many, 11 * la, &sk, &err), -1);
	ck_assert_int_eq(chain_load_pem(many, CHAIN_PEM_MAX + 1, &sk, &err),
	    -1);
	free(many);
	free(all);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(aia_parse)
{
	STACK_OF(X509)	*sk;
	struct cd_err	 err;
	X509		*two[2] = { inter, root };
	unsigned char	*der, *big;
	size_t		 len;

	der = p7_of(two, 2, &len);
	ck_assert_int_eq(chain_aia_parse(der, len, &sk, &err), 0);
	ck_assert_int_eq(sk_X509_num(sk), 2);
	ck_assert_int_eq(X509_cmp(sk_X509_value(sk, 1), root), 0);
	sk_X509_pop_free(sk, X509_free);	/* owned by the stack */
	ck_assert_int_eq(chain_aia_parse(der, len - 1, &sk, &err), -1);
	ck_assert_ptr_null(sk);
	OPENSSL_free(der);
	der = p7_of(NULL, 0, &len);		/* no certificate */
	ck_assert_int_eq(chain_aia_parse(der, len, &sk, &err), -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);
	OPENSSL_free(der);
	der = der_of(inter, &len);
	ck_assert_int_eq(chain_aia_parse(der, len, &sk, &err), 0);
	ck_assert_int_eq(sk_X509_num(sk), 1);
	sk_X509_pop_free(sk, X509_free);	/* owned by the stack */
	ck_assert_int_eq(chain_aia_parse(der, len - 1, &sk, &err), -1);
	big = calloc(1, REV_AIA_MAX + 1);
	memcpy(big, der, len);
	ck_assert_int_eq(chain_aia_parse(big, len + 1, &sk, &err), -1);
	ck_assert_int_eq(chain_aia_parse(big, REV_AIA_MAX + 1, &sk, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "size"));
	ck_assert_int_eq(chain_aia_parse(big, 0, &sk, &err), -1);
	free(big);
	OPENSSL_free(der);
}
END_TEST

Suite *
chain_suite(void)
{
	Suite	*s = suite_create("chain");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_test(tc, verify_with_intermediate);
	tcase_add_test(tc, verify_without_intermediate);
	tcase_add_loop_test(tc, verify_aia_fetch, 0, 2);
	tcase_add_loop_test(tc, verify_aia_never_anchor, 0, 2);
	tcase_add_loop_test(tc, verify_aia_bad, 0,
	    sizeof(aia_bad) / sizeof(aia_bad[0]));
	tcase_add_test(tc, verify_aia_max);
	tcase_add_loop_test(tc, verify_any_eku, 0,
	    sizeof(ekus) / sizeof(ekus[0]));
	tcase_add_loop_test(tc, verify_bad_leaf, 0,
	    sizeof(bad_leaves) / sizeof(bad_leaves[0]));
	tcase_add_test(tc, verify_leaf_anchor);
	tcase_add_test(tc, verify_store_errors);
	tcase_add_test(tc, urls_basic);
	tcase_add_test(tc, urls_hostile);
	tcase_add_loop_test(tc, short_lived, 0,
	    sizeof(lifetimes) / sizeof(lifetimes[0]));
	tcase_add_test(tc, facts);
	tcase_add_test(tc, load_pem);
	tcase_add_test(tc, aia_parse);
	suite_add_tcase(s, tc);
	return s;
}
