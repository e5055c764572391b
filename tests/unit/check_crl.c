/*
 * check_crl.c - revocation/crl.c: CRLs signed at test time with the
 * OpenSSL API (RSA, EC and Ed25519 issuers) and assembled by hand for what
 * OpenSSL will not produce; lookups cross-checked with OpenSSL's parser;
 * hostile input (every truncation and bit flip, trailing bytes, non-DER);
 * issuer, key, keyUsage, time window and IDP scope; the index blob.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "revocation/crl.h"
#include "revocation/rev.h"

#define NOW	1800000000	/* 2027-01-15 08:00:00 UTC */
#define DAY	86400
#define URL	"http://crl.example.test/1.crl"

/* Built once by the unchecked fixture (in the parent, before forking). */
static EVP_PKEY	*rsa_key, *ec_key, *ed_key, *forger_key;
static X509	*rsa_ca, *ec_ca, *ed_ca, *nocrlsign_ca, *noku_ca;

/* a revoked entry: serial as hex for BN_hex2bn ("-1" is negative) */
struct rspec {
	const char	*serial;
	int		 reason;	/* -1: no reasonCode */
	time_t		 when;
	int		 extra;		/* E_* */
};
#define E_INVALIDITY	0x1
#define E_UNKNOWN	0x2
#define E_UNKNOWN_CRIT	0x4
#define E_CERT_ISSUER	0x8

struct cspec {
	EVP_PKEY		*key;
	X509			*ca;		/* the issuer name */
	const char		*issuer_cn;	/* instead of ca's name */
	const EVP_MD		*md;		/* NULL: sha256, none for Ed */
	time_t			 this_update;
	time_t			 next_update;	/* 0: absent */
	const struct rspec	*revs;
	size_t			 nrevs;
	const char		*number;	/* CRLNumber, hex */
	const char		*idp_url;
	int			 flags;		/* C_* */
};
#define C_DELTA		0x01
#define C_UNKNOWN	0x02
#define C_UNKNOWN_CRIT	0x04
#define C_IDP		0x08	/* an IDP even without a URL */
#define C_ONLY_USER	0x10
#define C_ONLY_CA	0x20
#define C_ONLY_SOME	0x40
#define C_INDIRECT	0x80
#define C_PSS		0x100

static const struct rspec good_revs[] = {
	{ "01", 1, NOW - 10 * DAY, 0 },			/* keyCompromise */
	{ "0100", 4, NOW - 9 * DAY, 0 },		/* superseded */
	{ "7F", 6, NOW - 8 * DAY, 0 },			/* certificateHold */
	{ "80", -1, NOW - 7 * DAY, 0 },			/* sign octet */
	{ "FF00", 8, NOW - 6 * DAY, 0 },		/* removeFromCRL */
	{ "8102030405060708090A0B0C0D0E0F1011121314", 5, NOW - 5 * DAY, 0 },
	{ "0102030405060708090A0B0C0D0E0F1011121314", 0, NOW - 4 * DAY,
	    E_INVALIDITY },
	{ "0A0B0C0D0E0F1011", 3, NOW - 3 * DAY, E_UNKNOWN },
	{ "01", 4, NOW - 2 * DAY, 0 },			/* duplicate */
};
#define GOOD_COUNT	8

static size_t
hex2bin(const char *hex, unsigned char *out, size_t max)
{
	size_t	 n = 0;
	int	 hi, lo;

	for (; hex[0] != '\0'; hex += 2) {
		ck_assert(n < max && hex[1] != '\0');
		hi = isdigit((unsigned char)hex[0]) ? hex[0] - '0' :
		    tolower((unsigned char)hex[0]) - 'a' + 10;
		lo = isdigit((unsigned char)hex[1]) ? hex[1] - '0' :
		    tolower((unsigned char)hex[1]) - 'a' + 10;
		out[n++] = (unsigned char)(hi << 4 | lo);
	}
	return n;
}

static ASN1_INTEGER *
hex_int(const char *hex)
{
	BIGNUM		*bn = NULL;
	ASN1_INTEGER	*ai;

	ck_assert_int_ne(BN_hex2bn(&bn, hex), 0);
	ck_assert_ptr_nonnull(ai = BN_to_ASN1_INTEGER(bn, NULL));
	BN_free(bn);
	return ai;
}

static X509 *
mkcert(EVP_PKEY *key, const char *cn, const char *serial, const char *ku)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	ASN1_INTEGER	*sn = hex_int(serial);
	X509_EXTENSION	*ext;
	X509V3_CTX	 ctx;

	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(X509_set_serialNumber(x, sn), 1);
	ASN1_INTEGER_free(sn);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, n), 1);
	X509_NAME_free(n);
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(x),
	    NOW - 365 * DAY));
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x),
	    NOW + 365 * DAY));
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    "critical,CA:TRUE");
	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	if (ku != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
		ck_assert_ptr_nonnull(ext);
		ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	ck_assert_int_gt(X509_sign(x, key, EVP_PKEY_get_base_id(key) ==
	    EVP_PKEY_ED25519 ? NULL : EVP_sha256()), 0);
	return x;
}

static void
pki_setup(void)
{
	static const char	*ku = "critical,keyCertSign,cRLSign";

	if (rsa_key != NULL)
		return;		/* parent keeps them between test cases */
	ck_assert_ptr_nonnull(rsa_key = EVP_RSA_gen(2048));
	/* the forger only needs another RSA key: 1024 bits is quicker */
	ck_assert_ptr_nonnull(forger_key = EVP_RSA_gen(1024));
	ck_assert_ptr_nonnull(ec_key = EVP_EC_gen("P-256"));
	ck_assert_ptr_nonnull(ed_key = EVP_PKEY_Q_keygen(NULL, NULL,
	    "ED25519"));
	rsa_ca = mkcert(rsa_key, "Test CA", "01", ku);
	ec_ca = mkcert(ec_key, "Test EC CA", "02", ku);
	ed_ca = mkcert(ed_key, "Test Ed CA", "03", ku);
	nocrlsign_ca = mkcert(rsa_key, "Test CA", "04",
	    "critical,keyCertSign");
	noku_ca = mkcert(rsa_key, "Test CA", "05", NULL);
}

static void
pki_teardown(void)
{
}

static X509_EXTENSION *
unknown_ext(int crit)
{
	ASN1_OBJECT		*o = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
	ASN1_OCTET_STRING	*v = ASN1_OCTET_STRING_new();
	X509_EXTENSION		*x;

	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(ASN1_OCTET_STRING_set(v,
	    (const unsigned char *)"\x05\x00", 2), 1);
	ck_assert_ptr_nonnull(x = X509_EXTENSION_create_by_OBJ(NULL, o, crit,
	    v));
	ASN1_OBJECT_free(o);
	ASN1_OCTET_STRING_free(v);
	return x;
}

static void
add_idp(X509_CRL *crl, const struct cspec *cs)
{
	ISSUING_DIST_POINT	*idp = ISSUING_DIST_POINT_new();
	GENERAL_NAME		*gn;
	ASN1_IA5STRING		*s;

	ck_assert_ptr_nonnull(idp);
	if (cs->idp_url != NULL) {
		ck_assert_ptr_nonnull(gn = GENERAL_NAME_new());
		ck_assert_ptr_nonnull(s = ASN1_IA5STRING_new());
		ck_assert_int_eq(ASN1_STRING_set(s, cs->idp_url, -1), 1);
		GENERAL_NAME_set0_value(gn, GEN_URI, s);
		ck_assert_ptr_nonnull(idp->distpoint = DIST_POINT_NAME_new());
		idp->distpoint->type = 0;
		idp->distpoint->name.fullname = GENERAL_NAMES_new();
		ck_assert_ptr_nonnull(idp->distpoint->name.fullname);
		ck_assert_int_gt(sk_GENERAL_NAME_push(
		    idp->distpoint->name.fullname, gn), 0);
	}
	/* DER TRUE is 0xff: OpenSSL encodes the int's low octet */
	idp->onlyuser = (cs->flags & C_ONLY_USER) ? 0xff : 0;
	idp->onlyCA = (cs->flags & C_ONLY_CA) ? 0xff : 0;
	idp->indirectCRL = (cs->flags & C_INDIRECT) ? 0xff : 0;
	if (cs->flags & C_ONLY_SOME) {
		idp->onlysomereasons = ASN1_BIT_STRING_new();
		ck_assert_int_eq(ASN1_BIT_STRING_set_bit(idp->onlysomereasons,
		    1, 1), 1);
	}
	ck_assert_int_eq(X509_CRL_add1_ext_i2d(crl,
	    NID_issuing_distribution_point, idp, 1, 0), 1);
	ISSUING_DIST_POINT_free(idp);
}

static X509_REVOKED *
mk_revoked(const struct rspec *rs, X509_CRL *crl)
{
	X509_REVOKED		*r = X509_REVOKED_new();
	ASN1_INTEGER		*ai = hex_int(rs->serial);
	ASN1_TIME		*t;
	ASN1_ENUMERATED		*e;
	ASN1_GENERALIZEDTIME	*g;
	GENERAL_NAMES		*gens;
	GENERAL_NAME		*gn;
	X509_EXTENSION		*x;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(X509_REVOKED_set_serialNumber(r, ai), 1);
	ASN1_INTEGER_free(ai);
	ck_assert_ptr_nonnull(t = ASN1_TIME_set(NULL, rs->when));
	ck_assert_int_eq(X509_REVOKED_set_revocationDate(r, t), 1);
	ASN1_TIME_free(t);
	if (rs->reason >= 0) {
		ck_assert_ptr_nonnull(e = ASN1_ENUMERATED_new());
		ck_assert_int_eq(ASN1_ENUMERATED_set(e, rs->reason), 1);
		ck_assert_int_eq(X509_REVOKED_add1_ext_i2d(r, NID_crl_reason,
		    e, 0, 0), 1);
		ASN1_ENUMERATED_free(e);
	}
	if (rs->extra & E_INVALIDITY) {
		ck_assert_ptr_nonnull(g = ASN1_GENERALIZEDTIME_set(NULL,
		    rs->when - DAY));
		ck_assert_int_eq(X509_REVOKED_add1_ext_i2d(r,
		    NID_invalidity_date, g, 0, 0), 1);
		ASN1_GENERALIZEDTIME_free(g);
	}
	if (rs->extra & (E_UNKNOWN | E_UNKNOWN_CRIT)) {
		x = unknown_ext((rs->extra & E_UNKNOWN_CRIT) != 0);
		ck_assert_int_eq(X509_REVOKED_add_ext(r, x, -1), 1);
		X509_EXTENSION_free(x);
	}
	if (rs->extra & E_CERT_ISSUER) {
		ck_assert_ptr_nonnull(gens = GENERAL_NAMES_new());
		ck_assert_ptr_nonnull(gn = GENERAL_NAME_new());
		GENERAL_NAME_set0_value(gn, GEN_DIRNAME,
		    X509_NAME_dup(X509_CRL_get_issuer(crl)));
		ck_assert_int_gt(sk_GENERAL_NAME_push(gens, gn), 0);
		ck_assert_int_eq(X509_REVOKED_add1_ext_i2d(r,
		    NID_certificate_issuer, gens, 1, 0), 1);
		GENERAL_NAMES_free(gens);
	}
	return r;
}

static unsigned char *
mk_crl(const struct cspec *cs, size_t *len)
{
	X509_CRL	*crl = X509_CRL_new();
	X509_NAME	*n;
	ASN1_TIME	*t;
	ASN1_INTEGER	*ai;
	X509_EXTENSION	*x;
	EVP_MD_CTX	*ctx;
	EVP_PKEY_CTX	*pctx = NULL;
	unsigned char	*der = NULL;
	const EVP_MD	*md;
	size_t		 i;
	int		 l;

	ck_assert_ptr_nonnull(crl);
	ck_assert_int_eq(X509_CRL_set_version(crl, X509_CRL_VERSION_2), 1);
	if (cs->issuer_cn != NULL) {
		n = X509_NAME_new();
		ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN",
		    MBSTRING_ASC, (const unsigned char *)cs->issuer_cn, -1,
		    -1, 0), 1);
		ck_assert_int_eq(X509_CRL_set_issuer_name(crl, n), 1);
		X509_NAME_free(n);
	} else
		ck_assert_int_eq(X509_CRL_set_issuer_name(crl,
		    X509_get_subject_name(cs->ca)), 1);
	ck_assert_ptr_nonnull(t = ASN1_TIME_set(NULL, cs->this_update));
	ck_assert_int_eq(X509_CRL_set1_lastUpdate(crl, t), 1);
	ASN1_TIME_free(t);
	if (cs->next_update != 0) {
		ck_assert_ptr_nonnull(t = ASN1_TIME_set(NULL,
		    cs->next_update));
		ck_assert_int_eq(X509_CRL_set1_nextUpdate(crl, t), 1);
		ASN1_TIME_free(t);
	}
	for (i = 0; i < cs->nrevs; i++)
		ck_assert_int_eq(X509_CRL_add0_revoked(crl,
		    mk_revoked(&cs->revs[i], crl)), 1);
	if (cs->number != NULL) {
		ai = hex_int(cs->number);
		ck_assert_int_eq(X509_CRL_add1_ext_i2d(crl, NID_crl_number, ai,
		    0, 0), 1);
		ASN1_INTEGER_free(ai);
	}
	if (cs->flags & C_DELTA) {
		ai = hex_int("07");
		ck_assert_int_eq(X509_CRL_add1_ext_i2d(crl, NID_delta_crl, ai,
		    1, 0), 1);
		ASN1_INTEGER_free(ai);
	}
	if (cs->flags & (C_UNKNOWN | C_UNKNOWN_CRIT)) {
		x = unknown_ext((cs->flags & C_UNKNOWN_CRIT) != 0);
		ck_assert_int_eq(X509_CRL_add_ext(crl, x, -1), 1);
		X509_EXTENSION_free(x);
	}
	if (cs->idp_url != NULL || (cs->flags & (C_IDP | C_ONLY_USER |
	    C_ONLY_CA | C_ONLY_SOME | C_INDIRECT)))
		add_idp(crl, cs);
	md = cs->md != NULL ? cs->md : EVP_sha256();
	if (EVP_PKEY_get_base_id(cs->key) == EVP_PKEY_ED25519)
		md = NULL;
	if (cs->flags & C_PSS) {
		ck_assert_ptr_nonnull(ctx = EVP_MD_CTX_new());
		ck_assert_int_eq(EVP_DigestSignInit(ctx, &pctx, md, NULL,
		    cs->key), 1);
		ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING), 0);
		ck_assert_int_gt(X509_CRL_sign_ctx(crl, ctx), 0);
		EVP_MD_CTX_free(ctx);
	} else
		ck_assert_int_gt(X509_CRL_sign(crl, cs->key, md), 0);
	ck_assert_int_gt(l = i2d_X509_CRL(crl, &der), 0);
	X509_CRL_free(crl);
	*len = (size_t)l;
	return der;
}

static unsigned char *
mk_good(EVP_PKEY *key, X509 *ca, size_t *len)
{
	struct cspec	 cs = { key, ca, NULL, NULL, NOW - 3600, NOW + 7 * DAY,
	    good_revs, sizeof(good_revs) / sizeof(good_revs[0]), "2A",
	    URL, 0 };

	return mk_crl(&cs, len);
}

/* --- a good CRL: every kind of entry, each issuer key type --- */

static const struct {
	const char	*serial;	/* lookup bytes, hex */
	int		 rc;
	bool		 revoked;
	int		 reason;
	int		 idx;		/* good_revs[] for the time */
} looks[] = {
	{ "01", 0, true, 1, 0 },
	{ "0001", 0, true, 1, 0 },		/* leading zero ignored */
	{ "0100", 0, true, 4, 1 },
	{ "7f", 0, true, 6, 2 },		/* hold: revoked */
	{ "80", 0, true, -1, 3 },
	{ "0080", 0, true, -1, 3 },		/* as i2c encodes it */
	{ "ff00", 0, false, -1, -1 },		/* removeFromCRL */
	{ "8102030405060708090a0b0c0d0e0f1011121314", 0, true, 5, 5 },
	{ "008102030405060708090a0b0c0d0e0f1011121314", 0, true, 5, 5 },
	{ "0102030405060708090a0b0c0d0e0f1011121314", 0, true, 0, 6 },
	{ "0a0b0c0d0e0f1011", 0, true, 3, 7 },
	{ "02", 0, false, -1, -1 },
	{ "81", 0, false, -1, -1 },
	{ "ff", 0, false, -1, -1 },
	{ "00", 0, false, -1, -1 },
	{ "", 0, false, -1, -1 },
	{ "0102030405060708090a0b0c0d0e0f1011121315", 0, false, -1, -1 },
	{ "0a0b0c0d0e0f10", 0, false, -1, -1 },
	{ "0a0b0c0d0e0f101100", 0, false, -1, -1 },
	{ "0a0b0c0d0e0f1012", 0, false, -1, -1 },
	{ "0a0b0c0d0e0f1010", 0, false, -1, -1 },
	{ "018102030405060708090a0b0c0d0e0f1011121314", -1, false, -1, -1 },
};

static void
check_looks(const struct crl *c)
{
	unsigned char	 s[32];
	size_t		 i, n;
	bool		 rev;
	int		 reason;
	time_t		 when;

	for (i = 0; i < sizeof(looks) / sizeof(looks[0]); i++) {
		n = hex2bin(looks[i].serial, s, sizeof(s));
		rev = !looks[i].revoked;
		reason = 99;
		when = 99;
		ck_assert_int_eq(crl_lookup(c, s, n, &rev, &reason, &when),
		    looks[i].rc);
		if (looks[i].rc == -1)
			continue;
		ck_assert_msg(rev == looks[i].revoked, "serial %s",
		    looks[i].serial);
		ck_assert_int_eq(reason, looks[i].reason);
		ck_assert_int_eq(when, looks[i].idx < 0 ? 0 :
		    good_revs[looks[i].idx].when);
	}
}

static X509 *const *issuers[] = { &rsa_ca, &ec_ca, &ed_ca };
static EVP_PKEY *const *issuer_keys[] = { &rsa_key, &ec_key, &ed_key };

START_TEST(good)
{
	struct cd_err		 err;
	struct crl		*c;
	unsigned char		*der;
	const unsigned char	*num, *s, *p;
	size_t			 len, n, i, slen;
	int			 reason, orc;
	time_t			 when;
	bool			 rev;
	X509_CRL		*ox;
	X509_REVOKED		*orev;
	ASN1_INTEGER		*ai;
	BIGNUM			*bn;

	der = mk_good(*issuer_keys[_i], *issuers[_i], &len);
	c = crl_parse(der, len, 0, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	ck_assert_msg(crl_verify(c, *issuers[_i], NOW, &err) == 0, "%s",
	    err.msg);
	ck_assert_uint_eq(crl_count(c), GOOD_COUNT);
	ck_assert_int_eq(crl_this_update(c), NOW - 3600);
	ck_assert_int_eq(crl_next_update(c), NOW + 7 * DAY);
	ck_assert_ptr_nonnull(num = crl_number(c, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(num[0], 0x2a);
	ck_assert(crl_has_idp(c));
	ck_assert_uint_eq(crl_idp_uri_count(c), 1);
	ck_assert_str_eq(crl_idp_uri(c, 0), URL);
	ck_assert_ptr_null(crl_idp_uri(c, 1));
	check_looks(c);
	/* entries in strictly increasing order; OpenSSL agrees on each */
	p = der;
	ck_assert_ptr_nonnull(ox = d2i_X509_CRL(NULL, &p, (long)len));
	for (i = 0; i < crl_count(c); i++) {
		ck_assert_int_eq(crl_entry(c, i, &s, &slen, &reason, &when), 0);
		ck_assert_ptr_nonnull(bn = BN_bin2bn(s, (int)slen, NULL));
		ck_assert_ptr_nonnull(ai = BN_to_ASN1_INTEGER(bn, NULL));
		orc = X509_CRL_get0_by_serial(ox, &orev, ai);
		ck_assert_int_ne(orc, 0);
		ck_assert_int_eq(crl_lookup(c, s, slen, &rev, &reason, &when),
		    0);
		ck_assert(rev == (orc == 1));	/* 2: removeFromCRL */
		ASN1_INTEGER_free(ai);
		BN_free(bn);
	}
	ck_assert_int_eq(crl_entry(c, crl_count(c), &s, &slen, &reason,
	    &when), -1);
	X509_CRL_free(ox);
	crl_discard_der(c);
	ck_assert_int_eq(crl_verify(c, *issuers[_i], NOW, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	check_looks(c);
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

/* crl_cert_serial() gives what crl_lookup() wants */
START_TEST(cert_serial)
{
	static const struct {
		const char	*serial;
		int		 rc;
		bool		 revoked;
	} cases[] = {
		{ "80", 0, true },
		{ "0A0B0C0D0E0F1011", 0, true },
		{ "FF00", 0, false },
		{ "42", 0, false },
		{ "-05", -1, false },
		{ "0", -1, false },
		{ "010102030405060708090A0B0C0D0E0F1011121314", -1, false },
	};
	struct cd_err	 err;
	struct crl	*c;
	unsigned char	*der, buf[REV_SERIAL_MAX];
	size_t		 len, n, i;
	X509		*x;
	bool		 rev;
	int		 reason;
	time_t		 when;

	der = mk_good(rsa_key, rsa_ca, &len);
	ck_assert_ptr_nonnull(c = crl_parse(der, len, 0, &err));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		x = mkcert(ec_key, "leaf", cases[i].serial, NULL);
		ck_assert_int_eq(crl_cert_serial(x, buf, &n, &err),
		    cases[i].rc);
		if (cases[i].rc == 0) {
			ck_assert_int_eq(crl_lookup(c, buf, n, &rev, &reason,
			    &when), 0);
			ck_assert(rev == cases[i].revoked);
		}
		X509_free(x);
	}
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

/* --- signature, issuer and keyUsage --- */

enum vkind { V_OK, V_NAME, V_SIG, V_KU, V_ALG, V_KEY };

static const struct {
	const char	*what;
	int		 signer;	/* 0 rsa, 1 ec, 2 forger, 3 ed */
	const char	*issuer_cn;	/* NULL: the CA's name */
	int		 verifier;	/* 0 rsa, 1 ec, 2 nocrlsign, 3 noku,
					 * 4 ed */
	int		 flags;
	int		 md;		/* 0 sha256, 1 sha384, 2 sha512,
					 * 3 sha1 */
	enum vkind	 want;
} vcases[] = {
	{ "rsa", 0, NULL, 0, 0, 0, V_OK },
	{ "rsa sha384", 0, NULL, 0, 0, 1, V_OK },
	{ "rsa sha512", 0, NULL, 0, 0, 2, V_OK },
	{ "ec sha384", 1, NULL, 1, 0, 1, V_OK },
	{ "ec sha512", 1, NULL, 1, 0, 2, V_OK },
	{ "wrong issuer name", 0, "Other CA", 0, 0, 0, V_NAME },
	{ "rsa crl, ec issuer", 0, NULL, 1, 0, 0, V_NAME },
	{ "forged: same name, other key", 2, NULL, 0, 0, 0, V_SIG },
	{ "ec key, name of rsa ca", 1, "Test CA", 0, 0, 0, V_KEY },
	{ "keyUsage without cRLSign", 0, NULL, 2, 0, 0, V_KU },
	{ "no keyUsage", 0, NULL, 3, 0, 0, V_OK },
	{ "rsa-pss unsupported", 0, NULL, 0, C_PSS, 0, V_ALG },
	{ "sha1 unsupported", 0, NULL, 0, 0, 3, V_ALG },
	{ "ed25519", 3, NULL, 4, 0, 0, V_OK },
};

START_TEST(verify)
{
	EVP_PKEY *const	*keys[] = { &rsa_key, &ec_key, &forger_key, &ed_key };
	X509 *const	*cas[] = { &rsa_ca, &ec_ca, &nocrlsign_ca, &noku_ca,
	    &ed_ca };
	X509 *const	*names[] = { &rsa_ca, &ec_ca, &rsa_ca, &ed_ca };
	const EVP_MD	*mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512(),
	    EVP_sha1() };
	static const char *const msgs[] = { "", "issuer name", "bad signature",
	    "cRLSign", "unsupported", "key type differs" };
	struct cspec	 cs = { NULL, NULL, NULL, NULL, NOW - 3600,
	    NOW + DAY, good_revs, 3, NULL, NULL, 0 };
	struct cd_err	 err;
	struct crl	*c;
	unsigned char	*der;
	size_t		 len;
	int		 rc;

	cs.key = *keys[vcases[_i].signer];
	cs.ca = *names[vcases[_i].signer];
	cs.issuer_cn = vcases[_i].issuer_cn;
	cs.md = mds[vcases[_i].md];
	cs.flags = vcases[_i].flags;
	der = mk_crl(&cs, &len);
	c = crl_parse(der, len, 0, &err);
	ck_assert_msg(c != NULL, "%s: %s", vcases[_i].what, err.msg);
	rc = crl_verify(c, *cas[vcases[_i].verifier], NOW, &err);
	if (vcases[_i].want == V_OK)
		ck_assert_msg(rc == 0, "%s: %s", vcases[_i].what, err.msg);
	else {
		ck_assert_msg(rc == -1, "%s verified", vcases[_i].what);
		ck_assert_int_eq(err.kind, CD_ECRYPTO);
		ck_assert_msg(strstr(err.msg, msgs[vcases[_i].want]) != NULL,
		    "%s: %s", vcases[_i].what, err.msg);
	}
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

/* Every bit flip in a signed CRL: refused by the parser or by the
 * signature check, never accepted. */
START_TEST(tamper)
{
	struct cspec	 cs = { NULL, NULL, NULL, NULL, NOW - 3600,
	    NOW + DAY, good_revs, 4, "01", URL, 0 };
	struct cd_err	 err;
	struct crl	*c;
	unsigned char	*der, *copy;
	size_t		 len, i;
	int		 bit, parsed = 0;

	cs.key = *issuer_keys[_i];
	cs.ca = *issuers[_i];
	der = mk_crl(&cs, &len);
	ck_assert_ptr_nonnull(copy = malloc(len));
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, der, len);
			copy[i] ^= (unsigned char)(1 << bit);
			if ((c = crl_parse(copy, len, 0, &err)) == NULL)
				continue;
			parsed++;
			ck_assert_msg(crl_verify(c, cs.ca, NOW, &err) == -1,
			    "byte %zu bit %d accepted", i, bit);
			crl_free(c);
		}
	}
	ck_assert_int_gt(parsed, 0);	/* the signature check was reached */
	free(copy);
	OPENSSL_free(der);
}
END_TEST

/* --- time window --- */

static const struct {
	time_t		 this_update;
	time_t		 next_update;
	int		 rc;
	const char	*msg;
} tcases[] = {
	{ NOW - DAY, NOW + DAY, 0, NULL },
	{ NOW - 7 * DAY, NOW - DAY, -1,
	    "crl: expired (nextUpdate 2027-01-14T08:00:00Z)" },
	{ NOW - 7 * DAY, NOW - REV_SKEW, 0, NULL },	/* at the skew */
	{ NOW - 7 * DAY, NOW - REV_SKEW - 1, -1, "expired" },
	{ NOW + DAY, NOW + 2 * DAY, -1,
	    "crl: not yet valid (thisUpdate 2027-01-16T08:00:00Z)" },
	{ NOW + REV_SKEW, NOW + DAY, 0, NULL },
	{ NOW + REV_SKEW + 1, NOW + DAY, -1, "not yet valid" },
	{ NOW - DAY, 0, 0, NULL },		/* no nextUpdate: policy */
	{ NOW - 3000 * DAY, 0, 0, NULL },
};

START_TEST(time_window)
{
	struct cspec	 cs = { NULL, NULL, NULL, NULL, 0, 0, good_revs, 2,
	    NULL, NULL, 0 };
	struct cd_err	 err;
	struct crl	*c;
	unsigned char	*der;
	size_t		 len;

	cs.key = ec_key;
	cs.ca = ec_ca;
	cs.this_update = tcases[_i].this_update;
	cs.next_update = tcases[_i].next_update;
	der = mk_crl(&cs, &len);
	ck_assert_ptr_nonnull(c = crl_parse(der, len, 0, &err));
	ck_assert_int_eq(crl_next_update(c), tcases[_i].next_update);
	ck_assert_int_eq(crl_verify(c, ec_ca, NOW, &err), tcases[_i].rc);
	ck_assert_int_eq(crl_check_time(c, NOW, &err), tcases[_i].rc);
	if (tcases[_i].msg != NULL) {
		ck_assert_int_eq(err.kind, CD_EPROTO);
		ck_assert_msg(strstr(err.msg, tcases[_i].msg) != NULL, "%s",
		    err.msg);
	}
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

/* --- Issuing Distribution Point scope --- */

static const struct {
	const char	*idp_url;
	int		 flags;
	bool		 parse;
	const char	*url;		/* fetched from */
	bool		 matches;	/* crl_idp_matches_url */
	int		 leaf_rc;	/* crl_scope_check, leaf */
	int		 ca_rc;		/* crl_scope_check, CA */
} icases[] = {
	{ NULL, 0, true, URL, true, 0, 0 },		/* no IDP */
	{ URL, 0, true, URL, true, 0, 0 },
	{ URL, 0, true, "http://crl.example.test/2.crl", false, -1, -1 },
	{ URL, 0, true, "http://crl.example.test/1.crl/", false, -1, -1 },
	{ URL, 0, true, "HTTP://crl.example.test/1.crl", false, -1, -1 },
	{ URL, 0, true, "http://crl.example.test/1.cr", false, -1, -1 },
	{ URL, 0, true, NULL, true, 0, 0 },		/* no URL to test */
	{ URL, C_ONLY_CA, true, URL, true, -1, 0 },
	{ URL, C_ONLY_USER, true, URL, true, 0, -1 },
	{ NULL, C_ONLY_USER, true, "http://any.test/x", true, 0, -1 },
	{ NULL, C_IDP, false, NULL, false, 0, 0 },	/* empty IDP */
	{ URL, C_ONLY_SOME, true, URL, true, -1, -1 },	/* unsupported */
	{ URL, C_INDIRECT, false, URL, false, 0, 0 },
	{ URL, C_ONLY_USER | C_ONLY_CA, false, URL, false, 0, 0 },
};

START_TEST(idp)
{
	struct cspec	 cs = { NULL, NULL, NULL, NULL, NOW - 3600,
	    NOW + DAY, good_revs, 2, NULL, NULL, 0 };
	struct cd_err	 err;
	struct crl	*c;
	unsigned char	*der;
	size_t		 len;

	cs.key = ec_key;
	cs.ca = ec_ca;
	cs.idp_url = icases[_i].idp_url;
	cs.flags = icases[_i].flags;
	der = mk_crl(&cs, &len);
	c = crl_parse(der, len, 0, &err);
	if (!icases[_i].parse) {
		ck_assert_ptr_null(c);
		ck_assert_int_eq(err.kind, CD_EPROTO);
		OPENSSL_free(der);
		return;
	}
	ck_assert_msg(c != NULL, "%s", err.msg);
	ck_assert_int_eq(crl_verify(c, ec_ca, NOW, &err), 0);
	if (icases[_i].url != NULL)
		ck_assert(crl_idp_matches_url(c, icases[_i].url) ==
		    icases[_i].matches);
	ck_assert_int_eq(crl_scope_check(c, false, icases[_i].url, &err),
	    icases[_i].leaf_rc);
	ck_assert_int_eq(crl_scope_check(c, true, icases[_i].url, &err),
	    icases[_i].ca_rc);
	if (icases[_i].flags & C_ONLY_SOME)
		ck_assert_ptr_nonnull(strstr(err.msg, "onlySomeReasons"));
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

/* --- what the parser refuses, built with OpenSSL --- */

static const struct rspec rev_neg[] = { { "-05", 1, NOW - DAY, 0 } };
static const struct rspec rev_zero[] = { { "0", 1, NOW - DAY, 0 } };
static const struct rspec rev_long[] = {
	{ "010102030405060708090A0B0C0D0E0F1011121314", 1, NOW - DAY, 0 } };
static const struct rspec rev_crit[] = {
	{ "05", 1, NOW - DAY, 0 }, { "06", 1, NOW - DAY, E_UNKNOWN_CRIT } };
static const struct rspec rev_issuer[] = {
	{ "05", 1, NOW - DAY, E_CERT_ISSUER } };
static const struct rspec rev_ok[] = {
	{ "05", 1, NOW - DAY, E_UNKNOWN | E_INVALIDITY } };

static const struct {
	const struct rspec	*revs;
	int			 flags;
	const char		*msg;	/* NULL: accepted */
} rcases[] = {
	{ rev_ok, C_DELTA, "delta CRLs unsupported" },
	{ rev_ok, C_UNKNOWN_CRIT, "unknown critical CRL extension "
	    "1.3.6.1.4.1.55555.1" },
	{ rev_ok, C_UNKNOWN, NULL },
	{ rev_crit, 0, "unknown critical entry extension" },
	{ rev_issuer, 0, "indirect CRL" },
	{ rev_ok, C_INDIRECT, "indirect CRL" },
	{ rev_neg, 0, "bad serial" },
	{ rev_zero, 0, "bad serial" },
	{ rev_long, 0, "bad serial" },
	{ rev_ok, 0, NULL },
};

START_TEST(rejected)
{
	struct cspec	 cs = { NULL, NULL, NULL, NULL, NOW - 3600,
	    NOW + DAY, NULL, 0, NULL, NULL, 0 };
	struct cd_err	 err;
	struct crl	*c;
	unsigned char	*der;
	size_t		 len;

	cs.key = ec_key;
	cs.ca = ec_ca;
	cs.revs = rcases[_i].revs;
	cs.nrevs = rcases[_i].revs == rev_crit ? 2 : 1;
	cs.flags = rcases[_i].flags;
	der = mk_crl(&cs, &len);
	c = crl_parse(der, len, 0, &err);
	if (rcases[_i].msg == NULL) {
		ck_assert_msg(c != NULL, "%s", err.msg);
		ck_assert_int_eq(crl_verify(c, ec_ca, NOW, &err), 0);
		ck_assert_uint_eq(crl_count(c), 1);
	} else {
		ck_assert_ptr_null(c);
		ck_assert_int_eq(err.kind, CD_EPROTO);
		ck_assert_msg(strstr(err.msg, rcases[_i].msg) != NULL, "%s",
		    err.msg);
	}
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

/* --- framing: truncation, trailing bytes, size cap, PEM --- */

START_TEST(truncated)
{
	struct cspec	 cs = { NULL, NULL, NULL, NULL, NOW - 3600,
	    NOW + DAY, good_revs, 3, "05", URL, 0 };
	struct cd_err	 err;
	struct crl	*c;
	unsigned char	*der, *copy;
	size_t		 len, i;

	cs.key = ec_key;
	cs.ca = ec_ca;
	der = mk_crl(&cs, &len);
	for (i = 0; i < len; i++) {
		/* a fresh allocation of exactly i bytes: ASan sees overreads */
		ck_assert_ptr_nonnull(copy = malloc(i + 1));
		memcpy(copy, der, i);
		c = crl_parse(copy, i, 0, &err);
		ck_assert_msg(c == NULL, "prefix of %zu bytes accepted", i);
		ck_assert_int_eq(err.kind, CD_EPROTO);
		free(copy);
	}
	/* trailing bytes */
	ck_assert_ptr_nonnull(copy = malloc(len + 1));
	memcpy(copy, der, len);
	copy[len] = 0;
	ck_assert_ptr_null(crl_parse(copy, len + 1, 0, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "CertificateList"));
	copy[len] = '\n';
	ck_assert_ptr_null(crl_parse(copy, len + 1, 0, &err));
	free(copy);
	/* the size cap */
	ck_assert_ptr_null(crl_parse(der, len, len - 1, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "size"));
	ck_assert_ptr_nonnull(c = crl_parse(der, len, len, &err));
	ck_assert_int_eq(crl_verify(c, ec_ca, NOW, &err), 0);
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

static char *
to_pem(const unsigned char *der, size_t len)
{
	const unsigned char	*p = der;
	X509_CRL		*x;
	BIO			*b;
	char			*data, *s;
	long			 n;

	ck_assert_ptr_nonnull(x = d2i_X509_CRL(NULL, &p, (long)len));
	ck_assert_ptr_nonnull(b = BIO_new(BIO_s_mem()));
	ck_assert_int_eq(PEM_write_bio_X509_CRL(b, x), 1);
	n = BIO_get_mem_data(b, &data);
	ck_assert_ptr_nonnull(s = strndup(data, (size_t)n));
	BIO_free(b);
	X509_CRL_free(x);
	return s;
}

/* PEM variants: how the text is changed, and whether it must parse */
static const struct {
	const char	*prefix;
	const char	*suffix;
	int		 edit;	/* 0 none, 1 CRLF, 2 bad char, 3 no END,
				 * 4 drop a base64 char, 5 other label */
	bool		 ok;
} pcases[] = {
	{ "", "", 0, true },
	{ "\n\n  ", "\n\t\n", 0, true },
	{ "", "", 1, true },
	{ "junk\n", "", 0, false },
	{ "", "junk\n", 0, false },
	{ "", "", 2, false },
	{ "", "", 3, false },
	{ "", "", 4, false },
	{ "", "", 5, false },
};

START_TEST(pem_input)
{
	struct cd_err	 err;
	struct crl	*c;
	unsigned char	*der;
	char		*pem, *text, *p;
	size_t		 len, n, i, o;

	der = mk_good(rsa_key, rsa_ca, &len);
	pem = to_pem(der, len);
	n = strlen(pcases[_i].prefix) + 2 * strlen(pem) +
	    strlen(pcases[_i].suffix) + 1;
	ck_assert_ptr_nonnull(text = malloc(n));
	o = (size_t)snprintf(text, n, "%s", pcases[_i].prefix);
	for (i = 0; pem[i] != '\0'; i++) {
		if (pcases[_i].edit == 1 && pem[i] == '\n')
			text[o++] = '\r';
		text[o++] = pem[i];
	}
	text[o] = '\0';
	(void)snprintf(text + o, n - o, "%s", pcases[_i].suffix);
	p = strchr(text, '\n') + 1;	/* first base64 line */
	if (pcases[_i].edit == 2)
		p[10] = '*';
	else if (pcases[_i].edit == 3)
		*strstr(text, "-----END") = '\0';
	else if (pcases[_i].edit == 4)
		memmove(p + 10, p + 11, strlen(p + 11) + 1);
	else if (pcases[_i].edit == 5)
		memcpy(strstr(text, "X509 CRL"), "X509 CRT", 8);
	c = crl_parse(text, strlen(text), 0, &err);
	if (pcases[_i].ok) {
		ck_assert_msg(c != NULL, "%s", err.msg);
		ck_assert_int_eq(crl_verify(c, rsa_ca, NOW, &err), 0);
		ck_assert_uint_eq(crl_count(c), GOOD_COUNT);
		check_looks(c);
	} else {
		ck_assert_ptr_null(c);
		ck_assert_int_eq(err.kind, CD_EPROTO);
	}
	crl_free(c);
	free(text);
	free(pem);
	OPENSSL_free(der);
}
END_TEST

START_TEST(empty_list)
{
	struct cspec	 cs = { NULL, NULL, NULL, NULL, NOW - 3600,
	    NOW + DAY, NULL, 0, NULL, NULL, 0 };
	struct cd_err	 err;
	struct crl	*c, *l;
	unsigned char	*der, *blob, s = 1;
	size_t		 len, blen;
	bool		 rev = true;
	int		 reason;
	time_t		 when;

	cs.key = rsa_key;
	cs.ca = rsa_ca;
	der = mk_crl(&cs, &len);
	ck_assert_ptr_nonnull(c = crl_parse(der, len, 0, &err));
	ck_assert_int_eq(crl_verify(c, rsa_ca, NOW, &err), 0);
	ck_assert_uint_eq(crl_count(c), 0);
	ck_assert_int_eq(crl_lookup(c, &s, 1, &rev, &reason, &when), 0);
	ck_assert(!rev);
	ck_assert(!crl_has_idp(c));
	ck_assert(crl_idp_matches_url(c, URL));
	ck_assert_ptr_null(crl_number(c, &blen));
	ck_assert_int_eq(crl_index_serialize(c, &blob, &blen, &err), 0);
	ck_assert_ptr_nonnull(l = crl_index_load(blob, blen, &err));
	ck_assert_uint_eq(crl_count(l), 0);
	ck_assert_int_eq(crl_lookup(l, &s, 1, &rev, &reason, &when), 0);
	ck_assert(!rev);
	crl_free(l);
	free(blob);
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

/* a deterministic generator (the C library's is banned) */
static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define BIG_N	1000

/* 1000 entries with serials of 1..20 octets; lookups of each and of
 * absent neighbours, against OpenSSL's own lookup. */
START_TEST(big)
{
	static const int	 reasons[] = { -1, 0, 1, 3, 4, 5, 6, 8, 9 };
	struct rspec		*rs;
	struct cspec		 cs = { NULL, NULL, NULL, NULL, NOW - 3600,
	    NOW + DAY, NULL, BIG_N, "0100", NULL, 0 };
	struct cd_err		 err;
	struct crl		*c;
	unsigned char		*der, mag[REV_SERIAL_MAX + 1];
	const unsigned char	*p, *prev = NULL, *s;
	char			(*hex)[2 * REV_SERIAL_MAX + 1];
	size_t			 len, i, j, n, plen = 0, slen;
	uint64_t		 seed = 0x9e3779b97f4a7c15ULL;
	X509_CRL		*ox;
	X509_REVOKED		*orev;
	ASN1_INTEGER		*ai;
	bool			 rev;
	int			 reason, orc;
	time_t			 when;

	ck_assert_ptr_nonnull(rs = calloc(BIG_N, sizeof(*rs)));
	ck_assert_ptr_nonnull(hex = calloc(BIG_N, sizeof(*hex)));
	for (i = 0; i < BIG_N; i++) {
again:
		n = 1 + xorshift(&seed) % REV_SERIAL_MAX;
		for (j = 0; j < n; j++)
			(void)snprintf(hex[i] + 2 * j, 3, "%02X",
			    (unsigned)(xorshift(&seed) & 0xff) | (j == 0));
		for (j = 0; j < i; j++)		/* distinct serials */
			if (strcmp(hex[j], hex[i]) == 0)
				goto again;
		rs[i].serial = hex[i];
		rs[i].reason = reasons[xorshift(&seed) % 9];
		rs[i].when = NOW - (time_t)(xorshift(&seed) % (1000 * DAY));
	}
	cs.key = rsa_key;
	cs.ca = rsa_ca;
	cs.revs = rs;
	der = mk_crl(&cs, &len);
	ck_assert_ptr_nonnull(c = crl_parse(der, len, 0, &err));
	ck_assert_int_eq(crl_verify(c, rsa_ca, NOW, &err), 0);
	ck_assert_uint_eq(crl_count(c), BIG_N);
	ck_assert_uint_le(crl_index_bytes(c), len);
	p = der;
	ck_assert_ptr_nonnull(ox = d2i_X509_CRL(NULL, &p, (long)len));
	for (i = 0; i < BIG_N; i++) {
		n = hex2bin(rs[i].serial, mag, sizeof(mag));
		ck_assert_int_eq(crl_lookup(c, mag, n, &rev, &reason, &when),
		    0);
		ck_assert(rev == (rs[i].reason != 8));
		if (rev) {
			ck_assert_int_eq(reason, rs[i].reason);
			ck_assert_int_eq(when, rs[i].when);
		}
		/* a neighbour: the last bit flipped */
		ai = hex_int(rs[i].serial);
		orc = X509_CRL_get0_by_serial(ox, &orev, ai);
		ck_assert_int_eq(orc, rs[i].reason == 8 ? 2 : 1);
		ASN1_INTEGER_free(ai);
		mag[n - 1] ^= 1;
		ck_assert_int_eq(crl_lookup(c, mag, n, &rev, &reason, &when),
		    0);
		ck_assert_ptr_nonnull(ai = ASN1_INTEGER_new());
		ck_assert_int_eq(ASN1_STRING_set(ai, mag, (int)n), 1);
		orc = X509_CRL_get0_by_serial(ox, &orev, ai);
		ck_assert(rev == (orc == 1));
		ASN1_INTEGER_free(ai);
	}
	for (i = 0; i < crl_count(c); i++) {
		ck_assert_int_eq(crl_entry(c, i, &s, &slen, &reason, &when), 0);
		ck_assert(slen >= 1 && slen <= REV_SERIAL_MAX && s[0] != 0);
		if (prev != NULL)
			ck_assert(plen < slen || (plen == slen &&
			    memcmp(prev, s, slen) < 0));
		prev = s;
		plen = slen;
	}
	X509_CRL_free(ox);
	crl_free(c);
	OPENSSL_free(der);
	free(hex);
	free(rs);
}
END_TEST

/* --- the index blob --- */

static void
same_crl(const struct crl *a, const struct crl *b)
{
	const unsigned char	*sa, *sb;
	size_t			 la, lb, i;
	int			 ra, rb;
	time_t			 wa, wb;

	ck_assert_uint_eq(crl_count(a), crl_count(b));
	ck_assert_int_eq(crl_this_update(a), crl_this_update(b));
	ck_assert_int_eq(crl_next_update(a), crl_next_update(b));
	sa = crl_issuer_der(a, &la);
	sb = crl_issuer_der(b, &lb);
	ck_assert(la == lb && memcmp(sa, sb, la) == 0);
	sa = crl_number(a, &la);
	sb = crl_number(b, &lb);
	ck_assert((sa == NULL) == (sb == NULL));
	ck_assert(la == lb && (la == 0 || memcmp(sa, sb, la) == 0));
	sa = crl_idp_der(a, &la);
	sb = crl_idp_der(b, &lb);
	ck_assert(la == lb && (la == 0 || memcmp(sa, sb, la) == 0));
	ck_assert(crl_has_idp(a) == crl_has_idp(b));
	ck_assert_uint_eq(crl_idp_uri_count(a), crl_idp_uri_count(b));
	for (i = 0; i < crl_idp_uri_count(a); i++)
		ck_assert_str_eq(crl_idp_uri(a, i), crl_idp_uri(b, i));
	for (i = 0; i < crl_count(a); i++) {
		ck_assert_int_eq(crl_entry(a, i, &sa, &la, &ra, &wa), 0);
		ck_assert_int_eq(crl_entry(b, i, &sb, &lb, &rb, &wb), 0);
		ck_assert(la == lb && memcmp(sa, sb, la) == 0);
		ck_assert_int_eq(ra, rb);
		ck_assert_int_eq(wa, wb);
	}
}

START_TEST(blob_roundtrip)
{
	struct cd_err	 err;
	struct crl	*c, *l;
	unsigned char	*der, *blob, *blob2;
	size_t		 len, blen, blen2;

	der = mk_good(*issuer_keys[_i], *issuers[_i], &len);
	ck_assert_ptr_nonnull(c = crl_parse(der, len, 0, &err));
	ck_assert_int_eq(crl_index_serialize(c, &blob, &blen, &err), 0);
	ck_assert_ptr_nonnull(l = crl_index_load(blob, blen, &err));
	same_crl(c, l);
	check_looks(l);
	ck_assert_int_eq(crl_check_time(l, NOW, &err), 0);
	ck_assert_int_eq(crl_check_time(l, NOW + 8 * DAY, &err), -1);
	ck_assert_int_eq(crl_scope_check(l, false, URL, &err), 0);
	ck_assert_int_eq(crl_scope_check(l, false, "http://x.test/", &err),
	    -1);
	ck_assert_int_eq(crl_verify(l, *issuers[_i], NOW, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	/* the loaded copy serialises to the same bytes */
	ck_assert_int_eq(crl_index_serialize(l, &blob2, &blen2, &err), 0);
	ck_assert(blen == blen2 && memcmp(blob, blob2, blen) == 0);
	ck_assert_uint_le(blen, len);
	free(blob2);
	free(blob);
	crl_free(l);
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

/* Every bit flip and truncation of a blob is refused. */
START_TEST(blob_corrupt)
{
	struct cd_err	 err;
	struct crl	*c, *l;
	unsigned char	*der, *blob, *copy;
	size_t		 len, blen, i;
	int		 bit;

	der = mk_good(ec_key, ec_ca, &len);
	ck_assert_ptr_nonnull(c = crl_parse(der, len, 0, &err));
	ck_assert_int_eq(crl_index_serialize(c, &blob, &blen, &err), 0);
	ck_assert_ptr_nonnull(copy = malloc(blen + 1));
	for (i = 0; i < blen; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, blob, blen);
			copy[i] ^= (unsigned char)(1 << bit);
			l = crl_index_load(copy, blen, &err);
			ck_assert_msg(l == NULL, "byte %zu bit %d", i, bit);
		}
		ck_assert_ptr_null(crl_index_load(blob, i, &err));
	}
	memcpy(copy, blob, blen);
	copy[blen] = 0;
	ck_assert_ptr_null(crl_index_load(copy, blen + 1, &err));
	free(copy);
	free(blob);
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

/*
 * Damage behind a valid checksum (a bug, or a hand-edited database): the
 * loader's own bounds checks must catch it. Offsets are those of the
 * version 1 layout (crl.c); blob of mk_good(): issuer "Test EC CA" Name.
 */
static void
resum(unsigned char *b, size_t len)
{
	unsigned int	 n;

	ck_assert_int_eq(EVP_Digest(b, len - 32, b + len - 32, &n,
	    EVP_sha256(), NULL), 1);
}

static const struct {
	const char	*what;
	int		 at;	/* offset; negative: from the first entry */
	int		 xor;
	int		 cut;	/* bytes removed before the checksum */
} bcases[] = {
	{ "magic", 0, 0x01, 0 },
	{ "version", 11, 0x02, 0 },
	{ "flags", 15, 0x10, 0 },
	{ "no nextUpdate flag", 15, 0x01, 0 },
	{ "entry count", 35, 0x01, 0 },
	{ "entry count high", 32, 0x01, 0 },
	{ "serial bytes", 39, 0x01, 0 },
	{ "issuer length", 43, 0x01, 0 },
	{ "number length", 47, 0x20, 0 },
	{ "idp length", 51, 0x01, 0 },
	{ "reserved", 55, 0x01, 0 },
	{ "issuer tag", 56, 0x01, 0 },
	{ "first serial length 0", -1, 0x01, 0 },	/* 01 -> 00 */
	{ "first serial length 21", -1, 0x14, 0 },	/* 01 -> 15 */
	{ "first serial zero", -2, 0x01, 0 },		/* 01 -> 00 */
	{ "order", -2, 0xff, 0 },			/* 01 -> fe */
	{ "reason 7", -3, 0xfe, 0 },			/* 01 -> ff? */
	{ "truncated", 0, 0, 1 },
};

START_TEST(blob_checked)
{
	struct cd_err	 err;
	struct crl	*c;
	unsigned char	*der, *blob;
	size_t		 len, blen, first, ilen, plen, at;

	der = mk_good(ec_key, ec_ca, &len);
	ck_assert_ptr_nonnull(c = crl_parse(der, len, 0, &err));
	ck_assert_int_eq(crl_index_serialize(c, &blob, &blen, &err), 0);
	(void)crl_issuer_der(c, &ilen);
	(void)crl_idp_der(c, &plen);
	/* the first entry is serial 01: 01 01 <reason 1> <time> */
	first = 56 + ilen + 1 + plen;
	ck_assert_uint_eq(blob[first], 1);
	ck_assert_uint_eq(blob[first + 1], 1);
	ck_assert_uint_eq(blob[first + 2], 1);
	if (bcases[_i].at >= 0)
		at = (size_t)bcases[_i].at;
	else
		at = first - 1 - (size_t)bcases[_i].at;
	if (bcases[_i].cut > 0) {
		blen -= (size_t)bcases[_i].cut;
		memmove(blob + blen - 32, blob + blen - 32 +
		    (size_t)bcases[_i].cut, 32);
	} else
		blob[at] ^= (unsigned char)bcases[_i].xor;
	if (strcmp(bcases[_i].what, "reason 7") == 0)
		blob[at] = 7;
	resum(blob, blen);
	ck_assert_msg(crl_index_load(blob, blen, &err) == NULL, "%s",
	    bcases[_i].what);
	ck_assert_int_eq(err.kind, CD_EPROTO);
	free(blob);
	crl_free(c);
	OPENSSL_free(der);
}
END_TEST

/* --- hand-assembled DER: what OpenSSL would not produce --- */

/*
 * A tiny assembler: hex octets; 'text' is ASCII; "{...}" after a tag
 * octet is the contents of that TLV, whose length is filled in.
 */
static size_t
assemble(const char **sp, unsigned char *out, size_t cap)
{
	unsigned char	 inner[2048];
	const char	*s = *sp;
	size_t		 n = 0, m;
	unsigned char	 b[2];

	while (*s != '\0' && *s != '}') {
		if (isspace((unsigned char)*s)) {
			s++;
		} else if (*s == '\'') {
			for (s++; *s != '\''; s++) {
				ck_assert(*s != '\0' && n < cap);
				out[n++] = (unsigned char)*s;
			}
			s++;
		} else if (*s == '{') {
			s++;
			m = assemble(&s, inner, sizeof(inner));
			ck_assert(*s == '}' && n + m + 3 <= cap);
			s++;
			if (m >= 256) {
				out[n++] = 0x82;
				out[n++] = (unsigned char)(m >> 8);
			} else if (m >= 128)
				out[n++] = 0x81;
			out[n++] = (unsigned char)m;
			memcpy(out + n, inner, m);
			n += m;
		} else {
			char	 h[3] = { s[0], s[1], '\0' };

			ck_assert(n < cap && hex2bin(h, b, 1) == 1);
			out[n++] = b[0];
			s += 2;
		}
	}
	*sp = s;
	return n;
}

#define ALG	"30{06 09 2a864886f70d01010b 0500}"
#define ALG384	"30{06 09 2a864886f70d01010c 0500}"
#define NAME	"30{31{30{06 03 550403 0c{'Test CA'}}}}"
#define T1	"17{'270101000000Z'}"
#define T2	"17{'270201000000Z'}"
#define SIG	"03{00 0102030405}"
#define V2	"02{01}"
#define HEAD	V2 ALG NAME T1 T2
#define HCRL(tbs)	"30{30{" tbs "}" ALG SIG "}"
#define ENT(s)		"30{02{" s "}" T1 "}"
#define ENTX(s, x)	"30{02{" s "}" T1 "30{" x "}}"
#define REASON(r)	"30{06 03 551d15 04{0a{" r "}}}"
#define REVS(e)		"30{" e "}"
#define EXTS(x)		"a0{30{" x "}}"
#define CRLNUM(n)	"30{06 03 551d14 04{02{" n "}}}"
#define IDP(x)		"30{06 03 551d1c 01{ff} 04{30{" x "}}}"
#define URI(u)		"86{'" u "'}"

static const struct {
	const char	*what;
	const char	*der;
	bool		 ok;
	size_t		 count;
} hcases[] = {
	{ "minimal", HCRL(HEAD), true, 0 },
	{ "entries", HCRL(HEAD REVS(ENT("01") ENT("00ff") ENT("7fff"))),
	    true, 3 },
	{ "empty revokedCertificates", HCRL(HEAD REVS("")), true, 0 },
	{ "v1, no extensions", HCRL(ALG NAME T1 T2 REVS(ENT("01"))), true,
	    1 },
	{ "v1 without nextUpdate", HCRL(ALG NAME T1), true, 0 },
	{ "v1 with entry extensions", HCRL(ALG NAME T1 T2
	    REVS(ENTX("01", REASON("01")))), false, 0 },
	{ "v1 with CRL extensions", HCRL(ALG NAME T1 T2
	    EXTS(CRLNUM("01"))), false, 0 },
	{ "version 0 explicit", HCRL("02{00}" ALG NAME T1 T2), false, 0 },
	{ "version 3", HCRL("02{02}" ALG NAME T1 T2), false, 0 },
	{ "algorithms differ", "30{30{" HEAD "}" ALG384 SIG "}", false, 0 },
	{ "empty issuer", HCRL(V2 ALG "30{}" T1 T2), false, 0 },
	{ "no thisUpdate", HCRL(V2 ALG NAME), false, 0 },
	{ "nextUpdate before thisUpdate", HCRL(V2 ALG NAME T2 T1), false, 0 },
	{ "indefinite length", "30 80" "30{" HEAD "}" ALG SIG "0000", false,
	    0 },
	{ "non-minimal length", HCRL(V2 ALG NAME T1 T2 "30 81 14"
	    ENT("01")), false, 0 },
	{ "long-form length below 128", "30 81 05 02 01 01 05 00", false, 0 },
	{ "five length octets", HCRL(HEAD "30 85 0000000005" ENT("01")),
	    false, 0 },
	{ "high tag number", HCRL(HEAD "1f 01 00"), false, 0 },
	{ "data after tbs fields", HCRL(HEAD REVS(ENT("01")) "0500"), false,
	    0 },
	{ "data after the entry", HCRL(HEAD REVS("30{02{01}" T1 "0500}")),
	    false, 0 },
	{ "serial not minimal", HCRL(HEAD REVS(ENT("0001"))), false, 0 },
	{ "serial not minimal (ff)", HCRL(HEAD REVS(ENT("ff80"))), false, 0 },
	{ "serial negative", HCRL(HEAD REVS(ENT("80"))), false, 0 },
	{ "serial zero", HCRL(HEAD REVS(ENT("00"))), false, 0 },
	{ "serial empty", HCRL(HEAD REVS(ENT(""))), false, 0 },
	{ "serial 20 octets", HCRL(HEAD REVS(ENT(
	    "7f02030405060708090a0b0c0d0e0f1011121314"))), true, 1 },
	{ "serial 20 octets + sign", HCRL(HEAD REVS(ENT(
	    "00ff02030405060708090a0b0c0d0e0f1011121314"))), true, 1 },
	{ "serial 21 octets", HCRL(HEAD REVS(ENT(
	    "0102030405060708090a0b0c0d0e0f101112131415"))), false, 0 },
	{ "duplicate serials", HCRL(HEAD REVS(ENT("05") ENT("05"))), true,
	    1 },
	{ "reason 10", HCRL(HEAD REVS(ENTX("01", REASON("0a")))), true, 1 },
	{ "reason 7", HCRL(HEAD REVS(ENTX("01", REASON("07")))), false, 0 },
	{ "reason 11", HCRL(HEAD REVS(ENTX("01", REASON("0b")))), false, 0 },
	{ "reason 2 octets", HCRL(HEAD REVS(ENTX("01", REASON("0001")))),
	    false, 0 },
	{ "reason as INTEGER", HCRL(HEAD REVS(ENTX("01",
	    "30{06 03 551d15 04{02{01}}}"))), false, 0 },
	{ "reason with trailing", HCRL(HEAD REVS(ENTX("01",
	    "30{06 03 551d15 04{0a{01} 00}}"))), false, 0 },
	{ "duplicate reason", HCRL(HEAD REVS(ENTX("01", REASON("01")
	    REASON("01")))), false, 0 },
	{ "empty entry extensions", HCRL(HEAD REVS(ENTX("01", ""))), false,
	    0 },
	{ "critical FALSE encoded", HCRL(HEAD REVS(ENTX("01",
	    "30{06 03 551d15 01{00} 04{0a{01}}}"))), false, 0 },
	{ "critical reason", HCRL(HEAD REVS(ENTX("01",
	    "30{06 03 551d15 01{ff} 04{0a{01}}}"))), true, 1 },
	{ "invalidityDate UTCTime", HCRL(HEAD REVS(ENTX("01",
	    "30{06 03 551d18 04{" T1 "}}"))), false, 0 },
	{ "invalidityDate", HCRL(HEAD REVS(ENTX("01",
	    "30{06 03 551d18 04{18{'20261231000000Z'}}}"))), true, 1 },
	{ "OID with open subidentifier", HCRL(HEAD REVS(ENTX("01",
	    "30{06 03 551d95 04{0a{01}}}"))), false, 0 },
	{ "empty crlExtensions", HCRL(HEAD EXTS("")), false, 0 },
	{ "crlExtensions and trailing", HCRL(HEAD "a0{30{" CRLNUM("01")
	    "} 0500}"), false, 0 },
	{ "CRLNumber", HCRL(HEAD EXTS(CRLNUM("00ff"))), true, 0 },
	{ "CRLNumber zero", HCRL(HEAD EXTS(CRLNUM("00"))), true, 0 },
	{ "CRLNumber negative", HCRL(HEAD EXTS(CRLNUM("ff"))), false, 0 },
	{ "CRLNumber 21 octets", HCRL(HEAD EXTS(CRLNUM(
	    "0102030405060708090a0b0c0d0e0f101112131415"))), false, 0 },
	{ "duplicate CRLNumber", HCRL(HEAD EXTS(CRLNUM("01") CRLNUM("02"))),
	    false, 0 },
	{ "IDP with URI and DNS name", HCRL(HEAD EXTS(IDP("a0{a0{"
	    "82{'crl.example.test'}" URI(URL) "}}"))), true, 0 },
	{ "IDP nameRelativeToCRLIssuer", HCRL(HEAD EXTS(IDP("a0{a1{"
	    "30{06 03 550403 0c{'x'}}}}"))), true, 0 },
	{ "IDP empty fullName", HCRL(HEAD EXTS(IDP("a0{a0{}}"))), false, 0 },
	{ "IDP URI with a blank", HCRL(HEAD EXTS(IDP("a0{a0{"
	    URI("http://a b/") "}}"))), false, 0 },
	{ "IDP URI with NUL", HCRL(HEAD EXTS(IDP("a0{a0{"
	    "86{'http://a' 00 '/'}}}"))), false, 0 },
	{ "IDP boolean 01", HCRL(HEAD EXTS(IDP("81{01}"))), false, 0 },
	{ "IDP user and CA", HCRL(HEAD EXTS(IDP("81{ff} 82{ff}"))), false,
	    0 },
	{ "IDP attribute only", HCRL(HEAD EXTS(IDP("85{ff}"))), true, 0 },
	{ "IDP out of order", HCRL(HEAD EXTS(IDP("82{ff} 81{ff}"))), false,
	    0 },
	{ "IDP trailing", HCRL(HEAD EXTS("30{06 03 551d1c 04{30{} 00}}")),
	    false, 0 },
	{ "IDP empty value", HCRL(HEAD EXTS("30{06 03 551d1c 04{}}")), false,
	    0 },
	{ "17 IDP URIs", HCRL(HEAD EXTS(IDP("a0{a0{" URI("http://a/1")
	    URI("http://a/2") URI("http://a/3") URI("http://a/4")
	    URI("http://a/5") URI("http://a/6") URI("http://a/7")
	    URI("http://a/8") URI("http://a/9") URI("http://a/10")
	    URI("http://a/11") URI("http://a/12") URI("http://a/13")
	    URI("http://a/14") URI("http://a/15") URI("http://a/16")
	    URI("http://a/17") "}}"))), false, 0 },
	{ "AKI critical", HCRL(HEAD EXTS("30{06 03 551d23 01{ff}"
	    " 04{30{80{01}}}}")), true, 0 },
	{ "signature with unused bits", "30{30{" HEAD "}" ALG "03{01 02}}",
	    false, 0 },
	{ "empty signature", "30{30{" HEAD "}" ALG "03{00}}", false, 0 },
	{ "no signature", "30{30{" HEAD "}" ALG "}", false, 0 },
	{ "data after signature", "30{30{" HEAD "}" ALG SIG "0500}", false,
	    0 },
	{ "rsa alg with params", "30{30{" V2 "30{06 09 2a864886f70d01010b"
	    " 0400}" NAME T1 T2 "}30{06 09 2a864886f70d01010b 0400}" SIG "}",
	    true, 0 },
};

/* the entries are in strictly increasing order and each is found */
static void
check_entries(const struct crl *c)
{
	const unsigned char	*s, *prev = NULL;
	size_t			 i, len, plen = 0;
	int			 reason, r;
	time_t			 when, w;
	bool			 rev;

	for (i = 0; i < crl_count(c); i++) {
		ck_assert_int_eq(crl_entry(c, i, &s, &len, &reason, &when), 0);
		ck_assert(len >= 1 && len <= REV_SERIAL_MAX && s[0] != 0);
		if (prev != NULL)
			ck_assert(plen < len || (plen == len &&
			    memcmp(prev, s, len) < 0));
		ck_assert_int_eq(crl_lookup(c, s, len, &rev, &r, &w), 0);
		ck_assert(rev == (reason != 8));
		if (rev)
			ck_assert(r == reason && w == when);
		prev = s;
		plen = len;
	}
}

START_TEST(hand)
{
	const char	*s = hcases[_i].der;
	unsigned char	 der[4096];
	struct cd_err	 err;
	struct crl	*c;
	size_t		 len;

	len = assemble(&s, der, sizeof(der));
	ck_assert(*s == '\0');
	c = crl_parse(der, len, 0, &err);
	ck_assert_msg((c != NULL) == hcases[_i].ok, "%s: %s", hcases[_i].what,
	    c == NULL ? err.msg : "accepted");
	if (c != NULL) {
		ck_assert_uint_eq(crl_count(c), hcases[_i].count);
		check_entries(c);
		/* nothing here is signed: verification must fail */
		ck_assert_int_eq(crl_verify(c, rsa_ca, 1798761600, &err), -1);
	} else
		ck_assert_int_eq(err.kind, CD_EPROTO);
	crl_free(c);
}
END_TEST

/*
 * Serials longer than the 7-octet sort prefix that share it, out of
 * order, with a duplicate: full-key order, and the first duplicate wins.
 */
START_TEST(long_ties)
{
	const char	*s = HCRL(HEAD REVS(
	    ENTX("0102030405060708 09", REASON("03"))
	    ENTX("0102030405060708 01", REASON("01"))
	    ENTX("0102030405060708", REASON("05"))
	    ENTX("0102030405060708 0805", REASON("09"))
	    ENTX("0102030405060708 01", REASON("04"))
	    ENTX("0102030405060708 05", REASON("0a"))
	    ENTX("0102030405060700 ff", REASON("02"))));
	static const struct {
		const char	*serial;
		int		 reason;
	} want[] = {
		{ "0102030405060708", 5 },
		{ "010203040506070001", -2 },	/* absent */
		{ "0102030405060700ff", 2 },
		{ "010203040506070801", 1 },	/* the first of two */
		{ "010203040506070805", 10 },
		{ "010203040506070809", 3 },
		{ "01020304050607080805", 9 },
	};
	unsigned char	 der[4096], mag[32];
	struct cd_err	 err;
	struct crl	*c;
	const unsigned char *e;
	size_t		 len, i, n, elen, k = 0;
	int		 reason;
	time_t		 when;
	bool		 rev;

	len = assemble(&s, der, sizeof(der));
	ck_assert_ptr_nonnull(c = crl_parse(der, len, 0, &err));
	ck_assert_uint_eq(crl_count(c), 6);
	check_entries(c);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		n = hex2bin(want[i].serial, mag, sizeof(mag));
		ck_assert_int_eq(crl_lookup(c, mag, n, &rev, &reason, &when),
		    0);
		ck_assert_int_eq(rev ? reason : -2, want[i].reason);
		if (want[i].reason == -2)
			continue;
		/* and in this order */
		ck_assert_int_eq(crl_entry(c, k++, &e, &elen, &reason, &when),
		    0);
		ck_assert(elen == n && memcmp(e, mag, n) == 0);
	}
	crl_free(c);
}
END_TEST

static const struct {
	const char	*tlv;
	bool		 ok;
	long long	 t;
} times[] = {
	{ "17{'250101000000Z'}", true, 1735689600 },
	{ "17{'491231235959Z'}", true, 2524607999 },
	{ "17{'500101000000Z'}", true, -631152000 },	/* 1950 */
	{ "17{'991231235959Z'}", true, 946684799 },
	{ "17{'240229123456Z'}", true, 1709210096 },	/* leap day */
	{ "18{'20500101000000Z'}", true, 2524608000 },
	{ "18{'20250101000000Z'}", true, 1735689600 },
	{ "18{'99991231235959Z'}", true, 253402300799LL },
	{ "17{'250229000000Z'}", false, 0 },		/* not a leap year */
	{ "18{'21000229000000Z'}", false, 0 },
	{ "18{'20000229000000Z'}", true, 951782400 },
	{ "17{'250431000000Z'}", false, 0 },
	{ "17{'251301000000Z'}", false, 0 },
	{ "17{'250001000000Z'}", false, 0 },
	{ "17{'250100000000Z'}", false, 0 },
	{ "17{'250101240000Z'}", false, 0 },
	{ "17{'250101006000Z'}", false, 0 },
	{ "17{'250101000060Z'}", false, 0 },		/* no leap seconds */
	{ "17{'250101000000'}", false, 0 },
	{ "17{'2501010000Z'}", false, 0 },		/* no seconds */
	{ "17{'250101000000+0100'}", false, 0 },
	{ "17{'25010100000aZ'}", false, 0 },
	{ "17{'2501010000 0Z'}", false, 0 },
	{ "17{'-50101000000Z'}", false, 0 },
	{ "18{'20500101000000.5Z'}", false, 0 },
	{ "18{'205001010000Z'}", false, 0 },
	{ "18{'20500101000000'}", false, 0 },
	{ "04{'250101000000Z'}", false, 0 },
};

START_TEST(time_formats)
{
	char		 tmpl[256];
	const char	*s = tmpl;
	unsigned char	 der[1024];
	struct cd_err	 err;
	struct crl	*c;
	size_t		 len;

	ck_assert_int_lt(snprintf(tmpl, sizeof(tmpl), "%s%s%s",
	    "30{30{" V2 ALG NAME, times[_i].tlv, "}" ALG SIG "}"),
	    (int)sizeof(tmpl));
	len = assemble(&s, der, sizeof(der));
	c = crl_parse(der, len, 0, &err);
	ck_assert_msg((c != NULL) == times[_i].ok, "%s: %s", times[_i].tlv,
	    c == NULL ? err.msg : "accepted");
	if (c != NULL)
		ck_assert_int_eq(crl_this_update(c), times[_i].t);
	crl_free(c);
}
END_TEST

Suite *
crl_suite(void)
{
	Suite	*s = suite_create("crl");
	TCase	*tc = tcase_create("signed");
	TCase	*th = tcase_create("hand");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_add_loop_test(tc, good, 0, 3);
	tcase_add_test(tc, cert_serial);
	tcase_add_loop_test(tc, verify, 0,
	    sizeof(vcases) / sizeof(vcases[0]));
	tcase_add_loop_test(tc, tamper, 0, 3);
	tcase_add_loop_test(tc, time_window, 0,
	    sizeof(tcases) / sizeof(tcases[0]));
	tcase_add_loop_test(tc, idp, 0, sizeof(icases) / sizeof(icases[0]));
	tcase_add_loop_test(tc, rejected, 0,
	    sizeof(rcases) / sizeof(rcases[0]));
	tcase_add_test(tc, truncated);
	tcase_add_loop_test(tc, pem_input, 0,
	    sizeof(pcases) / sizeof(pcases[0]));
	tcase_add_test(tc, empty_list);
	tcase_add_test(tc, big);
	tcase_add_loop_test(tc, blob_roundtrip, 0, 3);
	tcase_add_test(tc, blob_corrupt);
	tcase_add_loop_test(tc, blob_checked, 0,
	    sizeof(bcases) / sizeof(bcases[0]));
	suite_add_tcase(s, tc);
	tcase_add_unchecked_fixture(th, pki_setup, pki_teardown);
	tcase_add_loop_test(th, hand, 0, sizeof(hcases) / sizeof(hcases[0]));
	tcase_add_test(th, long_ties);
	tcase_add_loop_test(th, time_formats, 0,
	    sizeof(times) / sizeof(times[0]));
	suite_add_tcase(s, th);
	return s;
}
