/*
 * check_keys.c - keys.c: generation of every key type, PEM round trips,
 * key file modes, hostile PEM input, and the contents of CSRs.
 */
#include <sys/stat.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "file.h"
#include "keys.h"

/* RSA-3072/4096 generation takes seconds; tests/integ/14-key-types.sh
 * issues certificates with those keys against Pebble instead */
static const enum keys_type all_types[] = {
	KEYS_EC_P256, KEYS_EC_P384, KEYS_RSA2048,
};

START_TEST(generate_each_type)
{
	struct cd_err	 err;
	enum keys_type	 t = all_types[_i], got;
	EVP_PKEY	*k, *back;
	char		*pem;
	size_t		 len;

	ck_assert_ptr_nonnull(k = keys_generate(t, &err));
	ck_assert_int_eq(keys_type_of(k, &got), 0);
	ck_assert_int_eq(got, t);
	ck_assert_int_eq(keys_type_parse(keys_type_name(t), &got), 0);
	ck_assert_int_eq(got, t);

	ck_assert_int_eq(keys_to_pem(k, &pem, &len, &err), 0);
	ck_assert_uint_eq(strlen(pem), len);
	ck_assert_int_eq(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
	ck_assert_ptr_nonnull(back = keys_from_pem(pem, len, &err));
	ck_assert_int_eq(EVP_PKEY_eq(k, back), 1);
	ck_assert_int_eq(keys_type_of(back, &got), 0);
	ck_assert_int_eq(got, t);
	keys_pem_free(pem, len);
	EVP_PKEY_free(back);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(type_names)
{
	enum keys_type	 t;
	EVP_PKEY	*k;

	ck_assert_int_eq(keys_type_parse("ecdsa-p256", &t), 0);
	ck_assert_int_eq(t, KEYS_EC_P256);
	ck_assert_int_eq(keys_type_parse("rsa4096", &t), 0);
	ck_assert_int_eq(t, KEYS_RSA4096);
	ck_assert_int_eq(keys_type_parse("rsa1024", &t), -1);
	ck_assert_int_eq(keys_type_parse("ECDSA-P256", &t), -1);
	ck_assert_int_eq(keys_type_parse("", &t), -1);
	ck_assert_int_eq(keys_type_parse(NULL, &t), -1);
	ck_assert_ptr_null(keys_generate((enum keys_type)42, NULL));

	/* keys certd does not make are "other" */
	ck_assert_ptr_nonnull(k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
	    (size_t)1024));
	ck_assert_int_eq(keys_type_of(k, &t), -1);
	EVP_PKEY_free(k);
	ck_assert_ptr_nonnull(k = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "P-521"));
	ck_assert_int_eq(keys_type_of(k, &t), -1);
	EVP_PKEY_free(k);
	ck_assert_ptr_nonnull(k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	ck_assert_int_eq(keys_type_of(k, &t), -1);
	EVP_PKEY_free(k);
}
END_TEST

static char *
pem_of(EVP_PKEY *k, const EVP_CIPHER *enc, int pkcs8)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*data, *s;
	long	 n;

	ck_assert_ptr_nonnull(b);
	if (pkcs8)
		ck_assert_int_eq(PEM_write_bio_PKCS8PrivateKey(b, k, enc,
		    enc != NULL ? "secret" : NULL, enc != NULL ? 6 : 0, NULL,
		    NULL), 1);
	else
		ck_assert_int_eq(PEM_write_bio_PrivateKey_traditional(b, k,
		    NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &data);
	s = strndup(data, (size_t)n);
	BIO_free(b);
	return s;
}

/* hostile or unusable PEM texts for keys_from_pem */
enum { P_OK, P_TWO, P_ENC, P_GARBAGE, P_EMPTY, P_NUL, P_BIG, P_TRUNC,
    P_TRAD, P_CERTLABEL, P_TRAILING };
static const struct {
	int	 kind;
	int	 ok;
} pem_cases[] = {
	{ P_OK, 1 },
	{ P_TWO, 0 },		/* two keys in one file */
	{ P_ENC, 0 },		/* encrypted: never prompts, refused */
	{ P_GARBAGE, 0 },
	{ P_EMPTY, 0 },
	{ P_NUL, 0 },		/* embedded NUL */
	{ P_BIG, 0 },		/* KEYS_PEM_MAX + 1 */
	{ P_TRUNC, 0 },		/* END line missing */
	{ P_TRAD, 1 },		/* "EC PRIVATE KEY" (SEC1) is a key too */
	{ P_CERTLABEL, 0 },	/* base64 of a key under another label */
	{ P_TRAILING, 1 },	/* text after the block is tolerated */
};

START_TEST(from_pem_hostile)
{
	struct cd_err	 err;
	EVP_PKEY	*k, *got;
	char		*a, *buf = NULL, *p;
	size_t		 len = 0;

	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(k);
	a = pem_of(k, NULL, 1);
	switch (pem_cases[_i].kind) {
	case P_OK:
		buf = strdup(a);
		break;
	case P_TWO:
		len = 2 * strlen(a);
		buf = malloc(len + 1);
		memcpy(buf, a, strlen(a));
		memcpy(buf + strlen(a), a, strlen(a) + 1);
		break;
	case P_ENC:
		buf = pem_of(k, EVP_aes_256_cbc(), 1);
		break;
	case P_GARBAGE:
		buf = strdup("hello, world\n");
		break;
	case P_EMPTY:
		buf = strdup("");
		break;
	case P_NUL:
		buf = strdup(a);
		buf[40] = '\0';
		len = strlen(a);
		break;
	case P_BIG:
		len = KEYS_PEM_MAX + 1;
		buf = malloc(len + 1);
		memset(buf, '\n', len);
		memcpy(buf, a, strlen(a));
		buf[len] = '\0';
		break;
	case P_TRUNC:
		buf = strdup(a);
		p = strstr(buf, "-----END");
		*p = '\0';
		break;
	case P_TRAD:
		buf = pem_of(k, NULL, 0);
		ck_assert_ptr_nonnull(strstr(buf, "BEGIN EC PRIVATE KEY"));
		break;
	case P_CERTLABEL:
		buf = strdup(a);
		p = strstr(buf, "PRIVATE KEY-----");
		memcpy(p, "PRIVATE KEZ", 11);
		p = strstr(p + 1, "PRIVATE KEY-----");
		memcpy(p, "PRIVATE KEZ", 11);
		break;
	case P_TRAILING:
		len = strlen(a) + 9;
		buf = malloc(len + 1);
		memcpy(buf, a, strlen(a));
		memcpy(buf + strlen(a), "trailing\n", 10);
		break;
	}
	if (len == 0)
		len = strlen(buf);
	got = keys_from_pem(buf, len, &err);
	if (pem_cases[_i].ok) {
		ck_assert_ptr_nonnull(got);
		ck_assert_int_eq(EVP_PKEY_eq(got, k), 1);
	} else {
		ck_assert_ptr_null(got);
		ck_assert(err.kind == CD_EPROTO || err.kind == CD_ECRYPTO);
	}
	ck_assert_int_eq(ERR_peek_error(), 0);	/* queue drained */
	EVP_PKEY_free(got);
	free(buf);
	free(a);
	EVP_PKEY_free(k);
}
END_TEST

static int
tmpdir(char *dir)
{
	int	 fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(fd, -1);
	return fd;
}

START_TEST(save_and_load)
{
	char		 dir[] = "/tmp/check_keys.XXXXXX";
	struct cd_err	 err;
	struct stat	 st;
	EVP_PKEY	*k, *k2, *got;
	char		*before, *after;
	size_t		 blen, alen;
	mode_t		 old;
	int		 dfd;

	dfd = tmpdir(dir);
	ck_assert_ptr_nonnull(k = keys_generate(KEYS_EC_P256, &err));
	ck_assert_ptr_nonnull(k2 = keys_generate(KEYS_EC_P256, &err));

	old = umask(0);		/* the mode must not depend on the umask */
	ck_assert_int_eq(keys_save_new(dfd, "key.pem", k, &err), 0);
	(void)umask(old);
	ck_assert_int_eq(fstatat(dfd, "key.pem", &st, 0), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert(S_ISREG(st.st_mode));

	/* O_EXCL: a second save fails and leaves the first key alone */
	ck_assert_int_eq(file_read(dfd, "key.pem", KEYS_PEM_MAX, &before,
	    &blen, NULL), 0);
	ck_assert_int_eq(keys_save_new(dfd, "key.pem", k2, &err), -1);
	ck_assert_int_eq(err.kind, CD_ESYS);
	ck_assert_int_eq(file_read(dfd, "key.pem", KEYS_PEM_MAX, &after,
	    &alen, NULL), 0);
	ck_assert_uint_eq(alen, blen);
	ck_assert_mem_eq(after, before, blen);
	free(before);
	free(after);

	ck_assert_ptr_nonnull(got = keys_load(dfd, "key.pem", &err));
	ck_assert_int_eq(EVP_PKEY_eq(got, k), 1);
	EVP_PKEY_free(got);

	/* group- or world-readable key files are refused */
	ck_assert_int_eq(fchmodat(dfd, "key.pem", 0644, 0), 0);
	ck_assert_ptr_null(keys_load(dfd, "key.pem", &err));
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(fchmodat(dfd, "key.pem", 0640, 0), 0);
	ck_assert_ptr_null(keys_load(dfd, "key.pem", &err));
	ck_assert_int_eq(fchmodat(dfd, "key.pem", 0400, 0), 0);
	ck_assert_ptr_nonnull(got = keys_load(dfd, "key.pem", &err));
	EVP_PKEY_free(got);

	ck_assert_ptr_null(keys_load(dfd, "missing.pem", &err));
	ck_assert_int_eq(err.kind, CD_ESYS);

	/* a private file that is not a key */
	ck_assert_int_eq(file_create(dfd, "junk.pem", "junk\n", 5, 0600,
	    NULL), 0);
	ck_assert_ptr_null(keys_load(dfd, "junk.pem", &err));

	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	(void)close(dfd);
	ck_assert_int_eq(file_remove_tree(AT_FDCWD, dir, NULL), 0);
}
END_TEST

/* a SAN entry as text: "DNS:name" or "IP:a.b.c.d" / "IP:v6" */
static void
gn_text(const GENERAL_NAME *gn, char *out, size_t outlen)
{
	const unsigned char	*p;
	char			 ip[INET6_ADDRSTRLEN];
	int			 len;

	if (gn->type == GEN_DNS) {
		(void)snprintf(out, outlen, "DNS:%.*s",
		    ASN1_STRING_length(gn->d.dNSName),
		    (const char *)ASN1_STRING_get0_data(gn->d.dNSName));
		return;
	}
	ck_assert_int_eq(gn->type, GEN_IPADD);
	p = ASN1_STRING_get0_data(gn->d.iPAddress);
	len = ASN1_STRING_length(gn->d.iPAddress);
	ck_assert(len == 4 || len == 16);
	ck_assert_ptr_nonnull(inet_ntop(len == 4 ? AF_INET : AF_INET6, p, ip,
	    sizeof(ip)));
	(void)snprintf(out, outlen, "IP:%s", ip);
}

#define CN64	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org"
#define CN65	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org"

static const struct {
	const char	*names[5];
	size_t		 n;
	const char	*cn;		/* NULL: empty subject */
	const char	*sans[5];	/* expected, in order */
} csr_cases[] = {
	{ { "mx.example.org", "mail.example.org", "192.0.2.1",
	    "2001:DB8::1" }, 4, "mx.example.org",
	  { "DNS:mx.example.org", "DNS:mail.example.org", "IP:192.0.2.1",
	    "IP:2001:db8::1" } },
	/* the CN is the first DNS name, not the first name */
	{ { "192.0.2.7", "mx.example.org" }, 2, "mx.example.org",
	  { "IP:192.0.2.7", "DNS:mx.example.org" } },
	{ { "::1" }, 1, NULL, { "IP:::1" } },
	{ { "*.example.org" }, 1, "*.example.org", { "DNS:*.example.org" } },
	{ { CN64 }, 1, CN64, { "DNS:" CN64 } },		/* 64: kept */
	{ { CN65, "b.example" }, 2, NULL,		/* 65: dropped */
	  { "DNS:" CN65, "DNS:b.example" } },
	{ { "::ffff:192.0.2.1" }, 1, NULL, { "IP:::ffff:192.0.2.1" } },
};

START_TEST(csr_contents)
{
	struct cd_err		 err;
	EVP_PKEY		*k;
	X509_REQ		*req;
	X509_NAME		*subj;
	STACK_OF(X509_EXTENSION) *exts;
	X509_EXTENSION		*ext;
	GENERAL_NAMES		*gens;
	unsigned char		*der;
	const unsigned char	*p;
	char			 cn[256], txt[300];
	size_t			 len, i;
	int			 crit = 0, idx;

	ck_assert_ptr_nonnull(k = keys_generate(_i == 0 ? KEYS_RSA2048 :
	    KEYS_EC_P256, &err));
	ck_assert_int_eq(keys_csr(k, csr_cases[_i].names, csr_cases[_i].n,
	    &der, &len, &err), 0);
	p = der;
	ck_assert_ptr_nonnull(req = d2i_X509_REQ(NULL, &p, (long)len));
	ck_assert_ptr_eq(p, der + len);
	ck_assert_int_eq(X509_REQ_verify(req, k), 1);
	ck_assert_int_eq(X509_REQ_get_signature_nid(req), _i == 0 ?
	    NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256);
	ck_assert_int_eq(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), k), 1);

	subj = X509_REQ_get_subject_name(req);
	if (csr_cases[_i].cn == NULL)
		ck_assert_int_eq(X509_NAME_entry_count(subj), 0);
	else {
		ck_assert_int_eq(X509_NAME_entry_count(subj), 1);
		ck_assert_int_gt(X509_NAME_get_text_by_NID(subj,
		    NID_commonName, cn, sizeof(cn)), 0);
		ck_assert_str_eq(cn, csr_cases[_i].cn);
	}

	ck_assert_ptr_nonnull(exts = X509_REQ_get_extensions(req));
	ck_assert_int_eq(sk_X509_EXTENSION_num(exts), 1);
	idx = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);
	ck_assert_int_eq(idx, 0);
	ext = sk_X509_EXTENSION_value(exts, idx);
	/* RFC 5280 4.2.1.6: critical exactly when the subject is empty */
	ck_assert_int_eq(X509_EXTENSION_get_critical(ext),
	    csr_cases[_i].cn == NULL);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	ck_assert_ptr_nonnull(gens);
	ck_assert_int_eq(sk_GENERAL_NAME_num(gens), (int)csr_cases[_i].n);
	for (i = 0; i < csr_cases[_i].n; i++) {
		gn_text(sk_GENERAL_NAME_value(gens, (int)i), txt, sizeof(txt));
		ck_assert_str_eq(txt, csr_cases[_i].sans[i]);
	}
	GENERAL_NAMES_free(gens);
	/* exts came from X509_REQ_get_extensions: owned copies */
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	free(der);
	EVP_PKEY_free(k);
}
END_TEST

static const struct {
	const char	*bad;
} bad_names[] = {
	{ "" },
	{ "a..example.org" },
	{ "-a.example.org" },
	{ "exa mple.org" },
	{ "*.*.example.org" },
	{ "mx.*.example.org" },
	{ "mx.example.org." },
	{ "mx.example.org\n" },
	{ "mx_1.example.org" },
	{ "[::1]" },
	{ "m\xc3\xa4il.example.org" },	/* not LDH: use A-labels */
};

START_TEST(csr_bad_names)
{
	struct cd_err	 err;
	const char	*names[2] = { "ok.example.org", bad_names[_i].bad };
	unsigned char	*der = NULL;
	size_t		 len = 0;
	EVP_PKEY	*k;

	ck_assert_ptr_nonnull(k = keys_generate(KEYS_EC_P256, &err));
	ck_assert_int_eq(keys_csr(k, names, 2, &der, &len, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_ptr_null(der);
	ck_assert_int_eq(keys_csr(k, names + 1, 1, &der, &len, &err), -1);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(csr_name_count)
{
	struct cd_err	 err;
	const char	*names[KEYS_CSR_NAMES_MAX + 1];
	char		 buf[KEYS_CSR_NAMES_MAX + 1][32];
	unsigned char	*der;
	size_t		 len, i;
	EVP_PKEY	*k;
	X509_REQ	*req;
	const unsigned char *p;

	for (i = 0; i <= KEYS_CSR_NAMES_MAX; i++) {
		(void)snprintf(buf[i], sizeof(buf[i]), "h%zu.example.org", i);
		names[i] = buf[i];
	}
	ck_assert_ptr_nonnull(k = keys_generate(KEYS_EC_P256, &err));
	ck_assert_int_eq(keys_csr(k, names, 0, &der, &len, &err), -1);
	ck_assert_int_eq(keys_csr(k, names, KEYS_CSR_NAMES_MAX + 1, &der,
	    &len, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(keys_csr(k, names, KEYS_CSR_NAMES_MAX, &der, &len,
	    &err), 0);
	p = der;
	ck_assert_ptr_nonnull(req = d2i_X509_REQ(NULL, &p, (long)len));
	ck_assert_int_eq(X509_REQ_verify(req, k), 1);
	X509_REQ_free(req);
	free(der);
	EVP_PKEY_free(k);
}
END_TEST

Suite *
keys_suite(void)
{
	Suite	*s = suite_create("keys");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);	/* RSA-4096 generation under ASan */
	tcase_add_loop_test(tc, generate_each_type, 0,
	    sizeof(all_types) / sizeof(all_types[0]));
	tcase_add_test(tc, type_names);
	tcase_add_loop_test(tc, from_pem_hostile, 0,
	    sizeof(pem_cases) / sizeof(pem_cases[0]));
	tcase_add_test(tc, save_and_load);
	tcase_add_loop_test(tc, csr_contents, 0,
	    sizeof(csr_cases) / sizeof(csr_cases[0]));
	tcase_add_loop_test(tc, csr_bad_names, 0,
	    sizeof(bad_names) / sizeof(bad_names[0]));
	tcase_add_test(tc, csr_name_count);
	suite_add_tcase(s, tc);
	return s;
}
