/*
 * fuzz_ocsp.c - libFuzzer target for rocsp_check() (certd/revocation/
 * rocsp.c), which reads untrusted OCSP responses. Each input is checked
 * as a response on its own, then XORed into a genuine signed response
 * (first two bytes: offset) so that the paths past the parser run too:
 * a mutated response may only ever be rejected or say what was signed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"
#include "revocation/rev.h"
#include "revocation/rocsp.h"

#define NOW	((time_t)1924992000)	/* 2031-01-01 00:00:00 UTC */
#define THISUPD	(NOW - 3600)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* made once by setup() and never freed: the fuzzer's fixed world */
static EVP_PKEY		*ca_key, *leaf_key;
static X509		*ca, *leaf;
static unsigned char	*good;
static size_t		 good_len;
static const unsigned char nonce[ROCSP_NONCE_LEN] = { 1, 2, 3 };

static void
need(int cond)
{
	if (!cond)
		abort();
}

static X509 *
mkcert(EVP_PKEY *k, X509 *issuer, EVP_PKEY *ik, const char *cn, long sn)
{
	X509		*x;
	X509_NAME	*n;
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	need((x = X509_new()) != NULL);
	need((n = X509_NAME_new()) != NULL);
	need(X509_set_version(x, X509_VERSION_3) == 1);
	need(ASN1_INTEGER_set(X509_get_serialNumber(x), sn) == 1);
	need(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) == 1);
	need(X509_set_subject_name(x, n) == 1);
	need(X509_set_issuer_name(x, issuer == NULL ? n :
	    X509_get_subject_name(issuer)) == 1);
	X509_NAME_free(n);
	need(ASN1_TIME_set(X509_getm_notBefore(x), NOW - 86400) != NULL);
	need(ASN1_TIME_set(X509_getm_notAfter(x), NOW + 86400) != NULL);
	need(X509_set_pubkey(x, k) == 1);
	X509V3_set_ctx(&ctx, issuer == NULL ? x : issuer, x, NULL, NULL, 0);
	need((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    issuer == NULL ? "critical,CA:TRUE" : "critical,CA:FALSE")) !=
	    NULL);
	need(X509_add_ext(x, ext, -1) == 1);
	X509_EXTENSION_free(ext);
	need(X509_sign(x, ik, EVP_sha256()) > 0);
	return x;
}

static void
setup(void)
{
	OCSP_BASICRESP	*bs;
	OCSP_RESPONSE	*resp;
	OCSP_CERTID	*id;
	ASN1_TIME	*tu, *nu;
	unsigned char	 n0[sizeof(nonce)];
	int		 n;

	need((ca_key = EVP_EC_gen("P-256")) != NULL);
	need((leaf_key = EVP_EC_gen("P-256")) != NULL);
	ca = mkcert(ca_key, NULL, ca_key, "Fuzz Root CA", 1);
	leaf = mkcert(leaf_key, ca, ca_key, "mx.example.net", 0x1001);
	need((bs = OCSP_BASICRESP_new()) != NULL);
	need((id = OCSP_cert_to_id(EVP_sha1(), leaf, ca)) != NULL);
	need((tu = ASN1_TIME_set(NULL, THISUPD)) != NULL);
	need((nu = ASN1_TIME_set(NULL, NOW + 86400)) != NULL);
	need(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, -1, NULL,
	    tu, nu) != NULL);
	memcpy(n0, nonce, sizeof(n0));
	need(OCSP_basic_add1_nonce(bs, n0, (int)sizeof(n0)) == 1);
	need(OCSP_basic_sign(bs, ca, ca_key, EVP_sha256(), NULL, 0) == 1);
	need((resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL,
	    bs)) != NULL);
	need((n = i2d_OCSP_RESPONSE(resp, &good)) > 0);
	good_len = (size_t)n;
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
}

static int
check(const void *der, size_t len, const unsigned char *n,
    struct rocsp_result *r)
{
	struct cd_err	 err;
	int		 rc;

	memset(&err, 0, sizeof(err));
	rc = rocsp_check(der, len, leaf, ca, NULL, n, n == NULL ? 0 :
	    sizeof(nonce), NOW, 0, r, &err);
	need(rc == 0 || rc == -1);
	if (rc == -1) {
		need(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		need(err.kind != CD_EOK);
		return rc;
	}
	need(r->status == REV_GOOD || r->status == REV_REVOKED ||
	    r->status == REV_UNKNOWN);
	need(r->reason == REV_REASON_NONE ||
	    rev_reason_name(r->reason) != NULL);
	need(r->status == REV_REVOKED || r->revoked_at == 0);
	need(memchr(r->detail, '\0', sizeof(r->detail)) != NULL);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rocsp_result	 r;
	unsigned char		*buf;
	char			*url;
	size_t			 off, i;

	if (good == NULL)
		setup();

	(void)check(data, size, NULL, &r);
	(void)check(data, size, nonce, &r);

	if (size >= 2 && (buf = malloc(good_len)) != NULL) {
		memcpy(buf, good, good_len);
		off = ((size_t)data[0] << 8 | data[1]) % good_len;
		for (i = 2; i < size && off < good_len; i++)
			buf[off++] ^= data[i];
		/* a response is only ever what its signer said, or nothing */
		if (check(buf, good_len, nonce, &r) == 0)
			need(r.status == REV_GOOD && r.this_update == THISUPD);
		else
			need(size > 2);		/* the genuine one passes */
		free(buf);
	}

	if ((url = rocsp_get_url("http://o.example", data, size,
	    NULL)) != NULL) {
		need(strlen(url) <= ROCSP_GET_MAX);
		need(strspn(url + 17, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
		    "mnopqrstuvwxyz0123456789%") == strlen(url + 17));
		free(url);
	}
	return 0;
}
