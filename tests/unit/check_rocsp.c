/*
 * check_rocsp.c - rocsp.c: OCSP requests and response verification.
 * A small PKI (root, intermediate, leaves, delegated, rogue and foreign
 * responders) and every response are built in-process with the OpenSSL
 * API. The test clock (2031) is far from the real one, so any code that
 * read the real clock would fail the certificate validity checks.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "revocation/rev.h"
#include "revocation/rocsp.h"

#define NOW	((time_t)1924992000)	/* 2031-01-01 00:00:00 UTC */
#define HOUR	3600
#define DAY	86400

/* the PKI; built once by the unchecked fixture, before forking */
enum who {
	CA,		/* root */
	LEAF,		/* issued by CA */
	LEAF2,		/* issued by CA */
	DELEG,		/* CA's responder, id-kp-OCSPSigning */
	ROGUE,		/* issued by CA, no EKU */
	ROGUE_TLS,	/* issued by CA, EKU serverAuth only */
	DELEG_OLD,	/* CA's responder, expired */
	CA2,		/* another root */
	RESP2,		/* CA2's responder, id-kp-OCSPSigning */
	FAKE,		/* root with CA's name, another key */
	RESP_FAKE,	/* FAKE's responder, id-kp-OCSPSigning */
	INT,		/* intermediate under CA */
	LEAF_I,		/* issued by INT */
	DELEG_I,	/* INT's responder, id-kp-OCSPSigning */
	NWHO
};
static EVP_PKEY	*key[NWHO];
static X509	*crt[NWHO];

enum trust { T_NONE, T_CA, T_CA2, T_FAKE, NTRUST };
static X509_STORE *store[NTRUST];

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

/* issuer < 0: self-signed; eku NULL: no extendedKeyUsage */
static void
mkcert(enum who w, int issuer, const char *cn, long serial, bool ca,
    const char *eku, time_t nb, time_t na)
{
	X509		*x, *ix;
	X509_NAME	*n;
	EVP_PKEY	*ik;

	ck_assert_ptr_nonnull(key[w] = EVP_EC_gen("P-256"));
	ck_assert_ptr_nonnull(x = X509_new());
	ck_assert_ptr_nonnull(n = X509_NAME_new());
	ix = issuer < 0 ? x : crt[issuer];
	ik = issuer < 0 ? key[w] : key[issuer];
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), serial),
	    1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, issuer < 0 ? n :
	    X509_get_subject_name(ix)), 1);
	X509_NAME_free(n);
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x), na));
	ck_assert_int_eq(X509_set_pubkey(x, key[w]), 1);
	add_ext(x, ix, NID_subject_key_identifier, "hash");
	add_ext(x, ix, NID_authority_key_identifier, "keyid");
	if (ca) {
		add_ext(x, ix, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, ix, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, ix, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, ix, NID_key_usage, "critical,digitalSignature");
	}
	if (eku != NULL)
		add_ext(x, ix, NID_ext_key_usage, eku);
	ck_assert_int_gt(X509_sign(x, ik, EVP_sha256()), 0);
	crt[w] = x;
}

static X509_STORE *
mkstore(int a, int b)
{
	X509_STORE	*st;

	ck_assert_ptr_nonnull(st = X509_STORE_new());
	ck_assert_int_eq(X509_STORE_add_cert(st, crt[a]), 1);
	if (b >= 0)
		ck_assert_int_eq(X509_STORE_add_cert(st, crt[b]), 1);
	return st;
}

static void
pki_setup(void)
{
	time_t	 nb = NOW - 30 * DAY, na = NOW + 365 * DAY;

	mkcert(CA, -1, "Test Root CA", 1, true, NULL, nb, na);
	mkcert(LEAF, CA, "mx1.example.net", 0x1001, false, "serverAuth",
	    nb, na);
	mkcert(LEAF2, CA, "mx2.example.net", 0x1002, false, "serverAuth",
	    nb, na);
	mkcert(DELEG, CA, "Test OCSP Responder", 0x2001, false, "OCSPSigning",
	    nb, na);
	mkcert(ROGUE, CA, "Test Rogue", 0x2002, false, NULL, nb, na);
	mkcert(ROGUE_TLS, CA, "Test Rogue TLS", 0x2003, false, "serverAuth",
	    nb, na);
	mkcert(DELEG_OLD, CA, "Test Old Responder", 0x2004, false,
	    "OCSPSigning", NOW - 60 * DAY, NOW - DAY);
	mkcert(CA2, -1, "Other Root CA", 1, true, NULL, nb, na);
	mkcert(RESP2, CA2, "Other OCSP Responder", 0x3001, false,
	    "OCSPSigning", nb, na);
	mkcert(FAKE, -1, "Test Root CA", 1, true, NULL, nb, na);
	mkcert(RESP_FAKE, FAKE, "Test OCSP Responder", 0x2001, false,
	    "OCSPSigning", nb, na);
	mkcert(INT, CA, "Test Intermediate CA", 0x10, true, NULL, nb, na);
	mkcert(LEAF_I, INT, "mx3.example.net", 0x4001, false, "serverAuth",
	    nb, na);
	mkcert(DELEG_I, INT, "Test Intermediate Responder", 0x4002, false,
	    "OCSPSigning", nb, na);
	store[T_NONE] = NULL;
	store[T_CA] = mkstore(CA, -1);
	store[T_CA2] = mkstore(CA, CA2);
	store[T_FAKE] = mkstore(CA, FAKE);
}

static void
pki_teardown(void)
{
	int	 i;

	for (i = 0; i < NWHO; i++) {
		X509_free(crt[i]);
		EVP_PKEY_free(key[i]);
	}
	for (i = 0; i < NTRUST; i++)
		X509_STORE_free(store[i]);
}

/* the response a case asks for */
#define F_KEYID		0x01	/* ResponderID byKey */
#define F_NOCERTS	0x02	/* signer certificate not included */
#define F_SHA256	0x04	/* CertID with SHA-256 */
#define F_DUP		0x08	/* the same SingleResponse twice */
#define F_OTHER_FIRST	0x10	/* LEAF2 revoked before the real answer */

enum nonce_mode {
	N_OFF,		/* none sent, none in the response */
	N_COPY,		/* sent and echoed (OCSP_copy_nonce) */
	N_WRONG,	/* sent, response carries another one */
	N_MISSING,	/* sent, response has none */
	N_UNASKED,	/* not sent, response has one */
};

struct spec {
	enum who	 id_leaf;	/* whose CertID the response carries */
	enum who	 id_issuer;
	enum who	 signer;
	int		 status;	/* V_OCSP_CERTSTATUS_* */
	int		 reason;	/* OCSP_REVOKED_STATUS_* or -1 */
	time_t		 revtime;
	time_t		 thisupd;
	time_t		 nextupd;	/* 0: absent */
	int		 flags;
	size_t		 pad;		/* bytes of an unknown extension */
};

static void
add_pad(OCSP_BASICRESP *bs, size_t pad)
{
	ASN1_OBJECT		*obj;
	ASN1_OCTET_STRING	*os;
	X509_EXTENSION		*ext;
	unsigned char		*v;

	ck_assert_ptr_nonnull(obj = OBJ_txt2obj("1.3.6.1.4.1.99999.7", 1));
	ck_assert_ptr_nonnull(os = ASN1_OCTET_STRING_new());
	ck_assert_ptr_nonnull(v = calloc(1, pad));
	ck_assert_int_eq(ASN1_OCTET_STRING_set(os, v, (int)pad), 1);
	ck_assert_ptr_nonnull(ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0,
	    os));
	ck_assert_int_eq(OCSP_BASICRESP_add_ext(bs, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	free(v);
}

static void
add_status(OCSP_BASICRESP *bs, enum who leaf, enum who issuer,
    const EVP_MD *md, const struct spec *s, int status)
{
	OCSP_CERTID	*id;
	ASN1_TIME	*tu, *nu = NULL, *rt = NULL;

	ck_assert_ptr_nonnull(id = OCSP_cert_to_id(md, crt[leaf], crt[issuer]));
	ck_assert_ptr_nonnull(tu = ASN1_TIME_set(NULL, s->thisupd));
	if (s->nextupd != 0)
		ck_assert_ptr_nonnull(nu = ASN1_TIME_set(NULL, s->nextupd));
	if (status == V_OCSP_CERTSTATUS_REVOKED)
		ck_assert_ptr_nonnull(rt = ASN1_TIME_set(NULL, s->revtime));
	ck_assert_ptr_nonnull(OCSP_basic_add1_status(bs, id, status,
	    s->reason, rt, tu, nu));
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_TIME_free(rt);
	OCSP_CERTID_free(id);
}

/* DER OCSPResponse; req (may be NULL) is the request being answered */
static unsigned char *
mkresp(const struct spec *s, OCSP_REQUEST *req, enum nonce_mode nm,
    size_t *len)
{
	OCSP_BASICRESP	*bs;
	OCSP_RESPONSE	*resp;
	const EVP_MD	*md = (s->flags & F_SHA256) ? EVP_sha256() :
			    EVP_sha1();
	unsigned char	 other[ROCSP_NONCE_LEN];
	unsigned char	*der = NULL;
	unsigned long	 fl = 0;
	int		 n;

	ck_assert_ptr_nonnull(bs = OCSP_BASICRESP_new());
	if (s->flags & F_OTHER_FIRST) {
		struct spec o = *s;

		o.reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;
		o.revtime = NOW - DAY;
		add_status(bs, LEAF2, CA, md, &o, V_OCSP_CERTSTATUS_REVOKED);
	}
	add_status(bs, s->id_leaf, s->id_issuer, md, s, s->status);
	if (s->flags & F_DUP)
		add_status(bs, s->id_leaf, s->id_issuer, md, s, s->status);
	switch (nm) {
	case N_COPY:
		ck_assert_int_eq(OCSP_copy_nonce(bs, req), 1);
		break;
	case N_WRONG:
	case N_UNASKED:
		memset(other, 0x5a, sizeof(other));
		ck_assert_int_eq(OCSP_basic_add1_nonce(bs, other,
		    (int)sizeof(other)), 1);
		break;
	default:
		break;
	}
	if (s->pad > 0)
		add_pad(bs, s->pad);
	if (s->flags & F_KEYID)
		fl |= OCSP_RESPID_KEY;
	if (s->flags & F_NOCERTS)
		fl |= OCSP_NOCERTS;
	ck_assert_int_eq(OCSP_basic_sign(bs, crt[s->signer], key[s->signer],
	    EVP_sha256(), NULL, fl), 1);
	ck_assert_ptr_nonnull(resp = OCSP_response_create(
	    OCSP_RESPONSE_STATUS_SUCCESSFUL, bs));
	ck_assert_int_gt(n = i2d_OCSP_RESPONSE(resp, &der), 0);
	*len = (size_t)n;
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	return der;
}

static const struct {
	const char	*name;
	enum who	 leaf;		/* asked about */
	enum who	 issuer;
	struct spec	 s;
	enum nonce_mode	 nonce;
	enum trust	 trust;
	time_t		 max_age;
	int		 rc;
	enum rev_status	 st;
	int		 reason;
	const char	*msg;		/* in err.msg when rc == -1 */
} cases[] = {
	{ "good, issuer, byName", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, 0, REV_GOOD, -1, NULL },
	{ "good, issuer, byKey, no certs", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, F_KEYID | F_NOCERTS, 0 }, N_OFF, T_CA, 0, 0, REV_GOOD,
	    -1, NULL },
	{ "revoked keyCompromise", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_REVOKED,
	    OCSP_REVOKED_STATUS_KEYCOMPROMISE, NOW - 10 * DAY, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, 0, REV_REVOKED, 1, NULL },
	{ "revoked without reason", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_REVOKED, -1, NOW - 10 * DAY,
	    NOW - HOUR, NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, 0, REV_REVOKED,
	    REV_REASON_NONE, NULL },
	{ "revoked superseded by delegate", LEAF, CA,
	    { LEAF, CA, DELEG, V_OCSP_CERTSTATUS_REVOKED,
	    OCSP_REVOKED_STATUS_SUPERSEDED, NOW - 10 * DAY, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, 0, REV_REVOKED, 4, NULL },
	{ "unknown", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_UNKNOWN, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, 0, REV_UNKNOWN, -1, NULL },
	{ "delegated responder", LEAF, CA,
	    { LEAF, CA, DELEG, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, 0, REV_GOOD, -1, NULL },
	{ "delegated responder byKey, trust", LEAF, CA,
	    { LEAF, CA, DELEG, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, F_KEYID, 0 }, N_OFF, T_CA, 0, 0, REV_GOOD, -1, NULL },
	{ "delegated responder not included", LEAF, CA,
	    { LEAF, CA, DELEG, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, F_NOCERTS, 0 }, N_OFF, T_CA, 0, -1, 0, 0,
	    "signer not acceptable" },
	{ "rogue: no EKU", LEAF, CA,
	    { LEAF, CA, ROGUE, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_CA, 0, -1, 0, 0,
	    "missing ocspsigning usage" },
	{ "rogue: no EKU, says revoked", LEAF, CA,
	    { LEAF, CA, ROGUE, V_OCSP_CERTSTATUS_REVOKED, 1, NOW - DAY,
	    NOW - HOUR, NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, -1, 0, 0,
	    "missing ocspsigning usage" },
	{ "rogue: serverAuth only", LEAF, CA,
	    { LEAF, CA, ROGUE_TLS, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, -1, 0, 0,
	    "missing ocspsigning usage" },
	{ "delegate expired", LEAF, CA,
	    { LEAF, CA, DELEG_OLD, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_CA, 0, -1, 0, 0,
	    "certificate verify error" },
	{ "other CA's responder, trusted", LEAF, CA,
	    { LEAF, CA, RESP2, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_CA2, 0, -1, 0, 0,
	    "signer not acceptable" },
	{ "other CA's responder, no trust", LEAF, CA,
	    { LEAF, CA, RESP2, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, -1, 0, 0,
	    "signer not acceptable" },
	{ "other CA signs itself", LEAF, CA,
	    { LEAF, CA, CA2, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_CA2, 0, -1, 0, 0,
	    "signer not acceptable" },
	{ "same-name CA, other key", LEAF, CA,
	    { LEAF, CA, FAKE, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_FAKE, 0, -1, 0, 0,
	    "signer not acceptable" },
	{ "same-name CA's responder", LEAF, CA,
	    { LEAF, CA, RESP_FAKE, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_FAKE, 0, -1, 0, 0,
	    "signer not acceptable" },
	{ "intermediate signs, no trust", LEAF_I, INT,
	    { LEAF_I, INT, INT, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, 0, REV_GOOD, -1, NULL },
	{ "intermediate's delegate", LEAF_I, INT,
	    { LEAF_I, INT, DELEG_I, V_OCSP_CERTSTATUS_REVOKED, 1,
	    NOW - DAY, NOW - HOUR, NOW + DAY, 0, 0 }, N_OFF, T_CA, 0, 0,
	    REV_REVOKED, 1, NULL },
	{ "root's delegate for intermediate's leaf", LEAF_I, INT,
	    { LEAF_I, INT, DELEG, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_CA, 0, -1, 0, 0,
	    "signer not acceptable" },
	{ "root signs for intermediate's leaf", LEAF_I, INT,
	    { LEAF_I, INT, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_CA, 0, -1, 0, 0,
	    "signer not acceptable" },
	{ "wrong CertID: other serial", LEAF, CA,
	    { LEAF2, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, -1, 0, 0, "CertID" },
	{ "SHA-256 CertID", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, F_SHA256, 0 }, N_OFF, T_NONE, 0, 0, REV_GOOD, -1,
	    NULL },
	{ "answer after another cert's", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, F_OTHER_FIRST, 0 }, N_OFF, T_NONE, 0, 0, REV_GOOD, -1,
	    NULL },
	{ "two answers about the cert", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, F_DUP, 0 }, N_OFF, T_NONE, 0, -1, 0, 0, "several" },
	{ "nonce echoed", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_COPY, T_NONE, 0, 0, REV_GOOD, -1, NULL },
	{ "nonce mismatch", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_WRONG, T_NONE, 0, -1, 0, 0,
	    "nonce mismatch" },
	{ "nonce mismatch on revoked", LEAF, CA,
	    { LEAF, CA, DELEG, V_OCSP_CERTSTATUS_REVOKED, 1, NOW - DAY,
	    NOW - HOUR, NOW + DAY, 0, 0 }, N_WRONG, T_NONE, 0, -1, 0, 0,
	    "nonce mismatch" },
	{ "nonce missing", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_MISSING, T_NONE, 0, 0, REV_GOOD, -1, NULL },
	{ "nonce missing, stale", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - 3 * DAY,
	    NOW - DAY, 0, 0 }, N_MISSING, T_NONE, 0, -1, 0, 0, "stale" },
	{ "nonce not asked for", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW + DAY, 0, 0 }, N_UNASKED, T_NONE, 0, 0, REV_GOOD, -1, NULL },
	{ "thisUpdate in the future", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0,
	    NOW + REV_SKEW + 1, NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, -1, 0,
	    0, "future" },
	{ "thisUpdate within skew", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW + REV_SKEW,
	    NOW + DAY, 0, 0 }, N_OFF, T_NONE, 0, 0, REV_GOOD, -1, NULL },
	{ "nextUpdate passed", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - 2 * DAY,
	    NOW - REV_SKEW - 1, 0, 0 }, N_OFF, T_NONE, 0, -1, 0, 0,
	    "stale" },
	{ "nextUpdate passed, revoked", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_REVOKED, 1, NOW - 3 * DAY,
	    NOW - 2 * DAY, NOW - DAY, 0, 0 }, N_OFF, T_NONE, 0, -1, 0, 0,
	    "stale" },
	{ "nextUpdate within skew", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - 2 * DAY,
	    NOW - REV_SKEW, 0, 0 }, N_OFF, T_NONE, 0, 0, REV_GOOD, -1, NULL },
	{ "nextUpdate before thisUpdate", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR,
	    NOW - 2 * HOUR, 0, 0 }, N_OFF, T_NONE, 0, -1, 0, 0,
	    "before thisUpdate" },
	{ "no nextUpdate, fresh", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR, 0, 0,
	    0 }, N_OFF, T_NONE, DAY, 0, REV_GOOD, -1, NULL },
	{ "no nextUpdate, at max_age", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - DAY, 0, 0,
	    0 }, N_OFF, T_NONE, DAY, 0, REV_GOOD, -1, NULL },
	{ "no nextUpdate, too old", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - DAY - 1, 0,
	    0, 0 }, N_OFF, T_NONE, DAY, -1, 0, 0, "stale" },
	{ "no nextUpdate, default max_age", LEAF, CA,
	    { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1, 0,
	    NOW - REV_OCSP_MAX_AGE - 1, 0, 0, 0 }, N_OFF, T_NONE, 0, -1, 0, 0,
	    "stale" },
};

START_TEST(response)
{
	const struct spec	*s = &cases[_i].s;
	struct rocsp_result	 r;
	struct cd_err		 err;
	OCSP_REQUEST		*req = NULL;
	const unsigned char	*p;
	unsigned char		*der, *qder = NULL, nonce[ROCSP_NONCE_LEN];
	size_t			 len, qlen, nlen = 0;
	bool			 send;
	int			 rc;

	send = cases[_i].nonce == N_COPY || cases[_i].nonce == N_WRONG ||
	    cases[_i].nonce == N_MISSING;
	ck_assert_int_eq(rocsp_request(crt[cases[_i].leaf],
	    crt[cases[_i].issuer], send, &qder, &qlen, nonce, &nlen, &err), 0);
	ck_assert_uint_eq(nlen, send ? ROCSP_NONCE_LEN : 0);
	p = qder;
	ck_assert_ptr_nonnull(req = d2i_OCSP_REQUEST(NULL, &p, (long)qlen));
	der = mkresp(s, req, cases[_i].nonce, &len);

	memset(&r, 0xa5, sizeof(r));
	memset(&err, 0, sizeof(err));
	rc = rocsp_check(der, len, crt[cases[_i].leaf], crt[cases[_i].issuer],
	    store[cases[_i].trust], send ? nonce : NULL, nlen, NOW,
	    cases[_i].max_age, &r, &err);
	if (rc != cases[_i].rc)
		ck_abort_msg("%s: rc %d, want %d (%s)", cases[_i].name, rc,
		    cases[_i].rc, err.msg);
	if (rc == 0) {
		ck_assert_int_eq(r.status, cases[_i].st);
		ck_assert_int_eq(r.reason, cases[_i].reason);
		ck_assert_int_eq(r.this_update, s->thisupd);
		ck_assert_int_eq(r.next_update, s->nextupd);
		ck_assert_int_eq(r.revoked_at, r.status == REV_REVOKED ?
		    s->revtime : 0);
		if (r.status == REV_UNKNOWN)
			ck_assert_str_ne(r.detail, "");
	} else {
		if (strstr(err.msg, cases[_i].msg) == NULL)
			ck_abort_msg("%s: \"%s\" lacks \"%s\"", cases[_i].name,
			    err.msg, cases[_i].msg);
		/* out untouched on failure */
		ck_assert_int_eq(((unsigned char *)&r)[0], 0xa5);
	}
	ck_assert_int_eq(ERR_peek_error(), 0);	/* queue drained */
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	free(qder);
}
END_TEST

/*
 * What the module relies on, checked in OpenSSL itself: OCSP_basic_verify
 * without bypass flags rejects a CA-issued responder without
 * id-kp-OCSPSigning (ocsp_check_issuer/ocsp_check_delegated) and accepts
 * one with it.
 */
START_TEST(openssl_checks_ocspsigning)
{
	static const struct spec good = { LEAF, CA, DELEG,
	    V_OCSP_CERTSTATUS_GOOD, -1, 0, NOW - HOUR, NOW + DAY, 0, 0 };
	struct spec		 rogue = good;
	OCSP_RESPONSE		*resp;
	OCSP_BASICRESP		*bs;
	X509_STORE		*st;
	STACK_OF(X509)		*certs;
	const unsigned char	*p;
	unsigned char		*der;
	size_t			 len;
	int			 i;

	rogue.signer = ROGUE;
	for (i = 0; i < 2; i++) {
		der = mkresp(i == 0 ? &good : &rogue, NULL, N_OFF, &len);
		p = der;
		ck_assert_ptr_nonnull(resp = d2i_OCSP_RESPONSE(NULL, &p,
		    (long)len));
		ck_assert_ptr_nonnull(bs = OCSP_response_get1_basic(resp));
		ck_assert_ptr_nonnull(st = mkstore(CA, -1));
		X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st), NOW);
		ck_assert_ptr_nonnull(certs = sk_X509_new_null());
		ck_assert_int_gt(sk_X509_push(certs, crt[CA]), 0);
		ERR_clear_error();
		if (i == 0)
			ck_assert_int_eq(OCSP_basic_verify(bs, certs, st, 0),
			    1);
		else {
			ck_assert_int_ne(OCSP_basic_verify(bs, certs, st, 0),
			    1);
			ck_assert_int_eq(ERR_GET_REASON(ERR_peek_error()),
			    OCSP_R_MISSING_OCSPSIGNING_USAGE);
			ck_assert_int_eq(ERR_GET_REASON(ERR_peek_last_error()),
			    OCSP_R_ROOT_CA_NOT_TRUSTED);
		}
		ERR_clear_error();
		sk_X509_free(certs);	/* borrowed crt[CA] */
		X509_STORE_free(st);
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(resp);
		OPENSSL_free(der);
	}
}
END_TEST

static const struct {
	int		 status;
	const char	*name;
	enum cd_errkind	 kind;
} bad_status[] = {
	{ OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, "malformedRequest",
	    CD_EPROTO },
	{ OCSP_RESPONSE_STATUS_INTERNALERROR, "internalError", CD_EPROTO },
	{ OCSP_RESPONSE_STATUS_TRYLATER, "tryLater", CD_ETEMP },
	{ OCSP_RESPONSE_STATUS_SIGREQUIRED, "sigRequired", CD_EPROTO },
	{ OCSP_RESPONSE_STATUS_UNAUTHORIZED, "unauthorized", CD_EPROTO },
	{ 4, "unrecognized", CD_EPROTO },	/* unused value */
};

START_TEST(response_status)
{
	OCSP_RESPONSE		*resp;
	struct rocsp_result	 r;
	struct cd_err		 err;
	unsigned char		*der = NULL;
	int			 n;

	ck_assert_ptr_nonnull(resp = OCSP_response_create(
	    bad_status[_i].status, NULL));
	ck_assert_int_gt(n = i2d_OCSP_RESPONSE(resp, &der), 0);
	ck_assert_int_eq(rocsp_check(der, (size_t)n, crt[LEAF], crt[CA], NULL,
	    NULL, 0, NOW, 0, &r, &err), -1);
	ck_assert_int_eq(err.kind, bad_status[_i].kind);
	ck_assert_ptr_nonnull(strstr(err.msg, bad_status[_i].name));
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
}
END_TEST

static const struct spec plain = { LEAF, CA, CA, V_OCSP_CERTSTATUS_GOOD, -1,
    0, NOW - HOUR, NOW + DAY, F_NOCERTS, 0 };

static int
check(const void *der, size_t len, struct rocsp_result *r,
    struct cd_err *err)
{
	return rocsp_check(der, len, crt[LEAF], crt[CA], NULL, NULL, 0, NOW,
	    0, r, err);
}

/* every truncation, every single-byte change, trailing bytes */
START_TEST(hostile_bytes)
{
	struct rocsp_result	 r;
	struct cd_err		 err;
	unsigned char		*der, *buf;
	size_t			 len, i;

	der = mkresp(&plain, NULL, N_OFF, &len);
	ck_assert_int_eq(check(der, len, &r, &err), 0);
	ck_assert_int_eq(r.status, REV_GOOD);
	ck_assert_ptr_nonnull(buf = malloc(len + 1));
	for (i = 0; i < len; i++) {
		memcpy(buf, der, len);
		ck_assert_int_eq(check(buf, i, &r, &err), -1);
		buf[i] ^= 0x01;
		if (check(buf, len, &r, &err) != -1)
			ck_abort_msg("byte %zu ^ 0x01 accepted", i);
		buf[i] ^= 0x01 ^ 0xff;
		if (check(buf, len, &r, &err) != -1)
			ck_abort_msg("byte %zu ^ 0xff accepted", i);
	}
	memcpy(buf, der, len);
	buf[len] = 0;
	ck_assert_int_eq(check(buf, len + 1, &r, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "after the response"));
	ck_assert_int_eq(check(buf, 0, &r, &err), -1);
	ck_assert_int_eq(check(NULL, 0, &r, &err), -1);
	ck_assert_int_eq(ERR_peek_error(), 0);
	free(buf);
	OPENSSL_free(der);
}
END_TEST

/* the last byte is inside the ECDSA signature (no certs follow it) */
START_TEST(tampered_signature)
{
	struct rocsp_result	 r;
	struct cd_err		 err;
	unsigned char		*der;
	size_t			 len;

	der = mkresp(&plain, NULL, N_OFF, &len);
	der[len - 1] ^= 0x01;
	ck_assert_int_eq(check(der, len, &r, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECRYPTO);
	OPENSSL_free(der);
}
END_TEST

/* a signed response of exactly n bytes, grown with an unknown extension */
static unsigned char *
resp_of_size(size_t n)
{
	struct spec	 s = plain;
	unsigned char	*der = NULL;
	size_t		 len;
	int		 tries;

	s.pad = n - 600;
	for (tries = 0; tries < 50; tries++) {
		der = mkresp(&s, NULL, N_OFF, &len);
		if (len == n)
			return der;
		OPENSSL_free(der);
		s.pad += n > len ? n - len : 0;
		s.pad -= len > n ? len - n : 0;
	}
	ck_abort_msg("no response of %zu bytes", n);
	return NULL;
}

START_TEST(size_limit)
{
	struct rocsp_result	 r;
	struct cd_err		 err;
	unsigned char		*der;

	der = resp_of_size(REV_OCSP_MAX);
	ck_assert_int_eq(check(der, REV_OCSP_MAX, &r, &err), 0);
	ck_assert_int_eq(r.status, REV_GOOD);
	OPENSSL_free(der);
	der = resp_of_size(REV_OCSP_MAX + 1);
	ck_assert_int_eq(check(der, REV_OCSP_MAX + 1, &r, &err), -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "65537 bytes"));
	OPENSSL_free(der);
}
END_TEST

START_TEST(bad_arguments)
{
	struct rocsp_result	 r;
	struct cd_err		 err;
	unsigned char		*der, n[ROCSP_NONCE_LEN + 1];
	size_t			 len;

	memset(n, 1, sizeof(n));
	der = mkresp(&plain, NULL, N_OFF, &len);
	ck_assert_int_eq(rocsp_check(der, len, crt[LEAF], crt[CA], NULL, n,
	    sizeof(n), NOW, 0, &r, &err), -1);
	ck_assert_int_eq(rocsp_check(der, len, crt[LEAF], crt[CA], NULL, n,
	    0, NOW, 0, &r, &err), -1);
	ck_assert_int_eq(rocsp_check(der, len, crt[LEAF], NULL, NULL, NULL,
	    0, NOW, 0, &r, &err), -1);
	ck_assert_int_eq(rocsp_check(der, len, crt[LEAF], crt[CA], NULL,
	    NULL, 0, -1, 0, &r, &err), -1);
	ck_assert_int_eq(rocsp_check(der, len, crt[LEAF], crt[CA], NULL,
	    NULL, 0, NOW, -1, &r, &err), -1);
	/* the issuer given is not the certificate's: no match, no answer */
	ck_assert_int_eq(rocsp_check(der, len, crt[LEAF], crt[CA2], NULL,
	    NULL, 0, NOW, 0, &r, &err), -1);
	/* the same response a year later: stale, never good */
	ck_assert_int_eq(rocsp_check(der, len, crt[LEAF], crt[CA], NULL,
	    NULL, 0, NOW + 365 * DAY, 0, &r, &err), -1);
	ck_assert_int_eq(check(der, len, &r, NULL), 0);	/* err may be NULL */
	ck_assert_int_eq(ERR_peek_error(), 0);
	OPENSSL_free(der);
}
END_TEST

static void
request_is(const unsigned char *der, size_t len, const unsigned char *nonce,
    size_t nlen)
{
	const unsigned char	*p = der;
	OCSP_REQUEST		*req;
	OCSP_CERTID		*want, *got;
	ASN1_OBJECT		*md = NULL;
	ASN1_INTEGER		*serial = NULL;
	X509_EXTENSION		*ext;
	const ASN1_OCTET_STRING	*v;
	int			 idx;

	ck_assert_ptr_nonnull(req = d2i_OCSP_REQUEST(NULL, &p, (long)len));
	ck_assert_ptr_eq(p, der + len);
	ck_assert_int_eq(OCSP_request_onereq_count(req), 1);
	got = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
	ck_assert_ptr_nonnull(want = OCSP_cert_to_id(EVP_sha1(), crt[LEAF],
	    crt[CA]));
	ck_assert_int_eq(OCSP_id_cmp(want, got), 0);
	ck_assert_int_eq(OCSP_id_get0_info(NULL, &md, NULL, &serial, got), 1);
	ck_assert_int_eq(OBJ_obj2nid(md), NID_sha1);
	ck_assert_int_eq(ASN1_INTEGER_cmp(serial,
	    X509_get0_serialNumber(crt[LEAF])), 0);
	idx = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
	if (nonce == NULL) {
		ck_assert_int_lt(idx, 0);
		ck_assert_int_eq(OCSP_REQUEST_get_ext_count(req), 0);
	} else {
		ck_assert_int_ge(idx, 0);
		ext = OCSP_REQUEST_get_ext(req, idx);
		v = X509_EXTENSION_get_data(ext);
		ck_assert_int_eq(ASN1_STRING_length(v), (int)nlen + 2);
		ck_assert_int_eq(ASN1_STRING_get0_data(v)[0],
		    V_ASN1_OCTET_STRING);
		ck_assert_int_eq(ASN1_STRING_get0_data(v)[1], (int)nlen);
		ck_assert_mem_eq(ASN1_STRING_get0_data(v) + 2, nonce, nlen);
	}
	OCSP_CERTID_free(want);
	OCSP_REQUEST_free(req);
}

START_TEST(request)
{
	unsigned char	*a = NULL, *b = NULL;
	unsigned char	 na[ROCSP_NONCE_LEN], nb[ROCSP_NONCE_LEN];
	size_t		 alen, blen, nalen = 99, nblen;
	struct cd_err	 err;

	ck_assert_int_eq(rocsp_request(crt[LEAF], crt[CA], false, &a, &alen,
	    na, &nalen, &err), 0);
	ck_assert_uint_eq(nalen, 0);
	request_is(a, alen, NULL, 0);
	free(a);
	ck_assert_int_eq(rocsp_request(crt[LEAF], crt[CA], false, &a, &alen,
	    NULL, NULL, &err), 0);
	request_is(a, alen, NULL, 0);
	free(a);

	ck_assert_int_eq(rocsp_request(crt[LEAF], crt[CA], true, &a, &alen,
	    na, &nalen, &err), 0);
	ck_assert_int_eq(rocsp_request(crt[LEAF], crt[CA], true, &b, &blen,
	    nb, &nblen, &err), 0);
	ck_assert_uint_eq(nalen, ROCSP_NONCE_LEN);
	ck_assert_uint_eq(nblen, ROCSP_NONCE_LEN);
	ck_assert_int_ne(memcmp(na, nb, sizeof(na)), 0);	/* fresh */
	request_is(a, alen, na, nalen);
	request_is(b, blen, nb, nblen);
	free(a);
	free(b);

	ck_assert_int_eq(rocsp_request(crt[LEAF], crt[CA], true, &a, &alen,
	    NULL, NULL, &err), -1);
	ck_assert_int_eq(rocsp_request(NULL, crt[CA], false, &a, &alen,
	    NULL, NULL, &err), -1);
}
END_TEST

static const struct {
	const char	*base;
	const char	*der;
	size_t		 len;
	const char	*want;
} urls[] = {
	{ "http://o.example", "\xfb\xff\xfe", 3,
	    "http://o.example/%2B%2F%2F%2B" },
	{ "http://o.example/", "\0", 1, "http://o.example/AA%3D%3D" },
	{ "http://o.example/ocsp", "abc", 3, "http://o.example/ocsp/YWJj" },
	{ "http://o.example/ocsp", "", 0, NULL },
	{ "", "abc", 3, NULL },
};

START_TEST(get_url)
{
	struct cd_err	 err;
	char		*u;

	u = rocsp_get_url(urls[_i].base, urls[_i].der, urls[_i].len, &err);
	if (urls[_i].want == NULL)
		ck_assert_ptr_null(u);
	else {
		ck_assert_ptr_nonnull(u);
		ck_assert_str_eq(u, urls[_i].want);
	}
	free(u);
}
END_TEST

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
}

START_TEST(get_url_limits)
{
	char		 base[300], dec[300], *u;
	unsigned char	*der = NULL, back[300];
	size_t		 len, i, o, pad;
	struct cd_err	 err;
	int		 n;

	/* "abc" -> "YWJj": base + '/' + 4 bytes */
	memset(base, 'a', sizeof(base));
	memcpy(base, "http://", 7);
	base[250] = '\0';
	ck_assert_ptr_nonnull(u = rocsp_get_url(base, "abc", 3, &err));
	ck_assert_uint_eq(strlen(u), ROCSP_GET_MAX);
	free(u);
	base[250] = 'a';
	base[251] = '\0';
	ck_assert_ptr_null(rocsp_get_url(base, "abc", 3, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "POST"));
	memset(back, 0, sizeof(back));
	ck_assert_ptr_null(rocsp_get_url("http://o", back, 190, &err));

	/* a real request round trip: percent-decode, base64-decode */
	ck_assert_int_eq(rocsp_request(crt[LEAF], crt[CA], true, &der, &len,
	    back, &i, &err), 0);
	ck_assert_ptr_nonnull(u = rocsp_get_url("http://127.0.0.1:8080",
	    der, len, &err));
	ck_assert_int_eq(strncmp(u, "http://127.0.0.1:8080/", 22), 0);
	for (i = 22, o = 0; u[i] != '\0'; o++) {
		ck_assert(strchr("+/= ", u[i]) == NULL);
		if (u[i] == '%') {
			dec[o] = (char)(hexval(u[i + 1]) * 16 +
			    hexval(u[i + 2]));
			i += 3;
		} else
			dec[o] = u[i++];
	}
	dec[o] = '\0';
	pad = o > 1 && dec[o - 1] == '=' ? (dec[o - 2] == '=' ? 2 : 1) : 0;
	n = EVP_DecodeBlock(back, (unsigned char *)dec, (int)o);
	ck_assert_int_eq(n - (int)pad, (int)len);
	ck_assert_mem_eq(back, der, len);
	free(u);
	free(der);
}
END_TEST

Suite *
rocsp_suite(void)
{
	Suite	*s = suite_create("rocsp");
	TCase	*tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 30);	/* sanitizer builds */
	tcase_add_loop_test(tc, response, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, openssl_checks_ocspsigning);
	tcase_add_loop_test(tc, response_status, 0,
	    sizeof(bad_status) / sizeof(bad_status[0]));
	tcase_add_test(tc, hostile_bytes);
	tcase_add_test(tc, tampered_signature);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, request);
	tcase_add_loop_test(tc, get_url, 0, sizeof(urls) / sizeof(urls[0]));
	tcase_add_test(tc, get_url_limits);
	suite_add_tcase(s, tc);
	return s;
}
