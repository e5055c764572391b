/*
 * fuzz_crl.c - libFuzzer target for revocation/crl.c: the input is a CRL
 * (DER or PEM) for crl_parse(), then every promise is checked: entries
 * sorted and distinct, each found by crl_lookup() (its neighbours
 * consistent), the index blob round trip identical, scope and time calls
 * total, crl_verify() never accepting (nothing here is signed by the
 * fixed issuer). The input also goes to crl_index_load() as a blob with a
 * valid checksum appended, so the loader's bounds checks are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "revocation/crl.h"
#include "revocation/rev.h"

#define ENTRIES_CHECKED	2000	/* per input: keeps executions fast */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
need(bool cond)
{
	if (!cond)
		abort();
}

/* A self-signed P-256 issuer named CN=Fuzz CA, made once (file-scope
 * state, built on the first call and kept for the process). */
static X509 *
issuer(void)
{
	static X509	*x;
	EVP_PKEY	*k;
	X509_NAME	*n;

	if (x != NULL)
		return x;
	need((k = EVP_EC_gen("P-256")) != NULL);
	need((x = X509_new()) != NULL);
	need((n = X509_NAME_new()) != NULL);
	need(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Fuzz CA", -1, -1, 0) == 1);
	need(X509_set_subject_name(x, n) == 1 &&
	    X509_set_issuer_name(x, n) == 1);
	need(ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1);
	need(X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) != NULL);
	need(X509_set_pubkey(x, k) == 1 && X509_sign(x, k, EVP_sha256()) > 0);
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	return x;
}

static void
same(const struct crl *a, const struct crl *b)
{
	const unsigned char	*sa, *sb;
	size_t			 la, lb, i;
	int			 ra, rb;
	time_t			 wa, wb;

	need(crl_count(a) == crl_count(b));
	need(crl_this_update(a) == crl_this_update(b));
	need(crl_next_update(a) == crl_next_update(b));
	sa = crl_issuer_der(a, &la);
	sb = crl_issuer_der(b, &lb);
	need(la == lb && memcmp(sa, sb, la) == 0);
	sa = crl_number(a, &la);
	sb = crl_number(b, &lb);
	need((sa == NULL) == (sb == NULL) && la == lb);
	need(la == 0 || memcmp(sa, sb, la) == 0);
	need(crl_has_idp(a) == crl_has_idp(b));
	need(crl_idp_uri_count(a) == crl_idp_uri_count(b));
	for (i = 0; i < crl_idp_uri_count(a); i++)
		need(strcmp(crl_idp_uri(a, i), crl_idp_uri(b, i)) == 0);
	for (i = 0; i < crl_count(a); i++) {
		need(crl_entry(a, i, &sa, &la, &ra, &wa) == 0);
		need(crl_entry(b, i, &sb, &lb, &rb, &wb) == 0);
		need(la == lb && memcmp(sa, sb, la) == 0 && ra == rb &&
		    wa == wb);
	}
}

static bool
is_entry(const struct crl *c, size_t i, const unsigned char *k, size_t len)
{
	const unsigned char	*s;
	size_t			 slen;
	int			 reason;
	time_t			 when;

	return crl_entry(c, i, &s, &slen, &reason, &when) == 0 &&
	    slen == len && memcmp(s, k, len) == 0;
}

static void
check_parsed(struct crl *c)
{
	const unsigned char	*s, *prev = NULL;
	unsigned char		 k[REV_SERIAL_MAX + 2], *blob = NULL;
	struct cd_err		 err;
	struct crl		*l;
	size_t			 i, len, plen = 0, blen, n;
	int			 reason, r;
	time_t			 when, w;
	bool			 rev;

	n = crl_count(c);
	for (i = 0; i < n && i < ENTRIES_CHECKED; i++) {
		need(crl_entry(c, i, &s, &len, &reason, &when) == 0);
		need(len >= 1 && len <= REV_SERIAL_MAX && s[0] != 0);
		need(reason >= -1 && reason <= 10 && reason != 7);
		need(prev == NULL || plen < len || (plen == len &&
		    memcmp(prev, s, len) < 0));
		need(crl_lookup(c, s, len, &rev, &r, &w) == 0);
		need(rev == (reason != 8));
		need(!rev || (r == reason && w == when));
		need(rev || (r == REV_REASON_NONE && w == 0));
		/* with a sign octet: the same answer */
		k[0] = 0;
		memcpy(k + 1, s, len);
		need(crl_lookup(c, k, len + 1, &rev, &r, &w) == 0);
		need(rev == (reason != 8));
		/* a neighbour (last bit flipped): found only as the entry
		 * just before or after this one */
		k[len] ^= 1;
		need(crl_lookup(c, k + 1, len, &rev, &r, &w) == 0);
		if (rev)
			need(is_entry(c, i - 1, k + 1, len) ||
			    is_entry(c, i + 1, k + 1, len));
		prev = s;
		plen = len;
	}
	need(crl_entry(c, n, &s, &len, &reason, &when) == -1);
	memset(k, 0xff, sizeof(k));
	need(crl_lookup(c, k, REV_SERIAL_MAX + 1, &rev, &r, &w) == -1);
	(void)crl_check_time(c, 0, &err);
	(void)crl_check_time(c, crl_this_update(c), &err);
	(void)crl_scope_check(c, false, "http://crl.example.test/1.crl", &err);
	(void)crl_scope_check(c, true, NULL, &err);
	for (i = 0; i < crl_idp_uri_count(c); i++)
		need(crl_idp_matches_url(c, crl_idp_uri(c, i)));
	need(crl_verify(c, issuer(), crl_this_update(c), &err) == -1);

	need(crl_index_serialize(c, &blob, &blen, &err) == 0);
	need((l = crl_index_load(blob, blen, &err)) != NULL);
	same(c, l);
	crl_free(l);
	free(blob);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cd_err	 err;
	struct crl	*c;
	uint8_t		*blob;
	unsigned int	 n;

	if ((c = crl_parse(data, size, 0, &err)) != NULL) {
		check_parsed(c);
		crl_discard_der(c);
		need(crl_verify(c, issuer(), 0, &err) == -1);
		crl_free(c);
	}
	/* the same bytes as an index blob, checksum made valid */
	if ((blob = malloc(size + 32)) == NULL)
		return 0;
	memcpy(blob, data, size);
	need(EVP_Digest(data, size, blob + size, &n, EVP_sha256(), NULL) == 1);
	if ((c = crl_index_load(blob, size + 32, &err)) != NULL) {
		check_parsed(c);
		crl_free(c);
	}
	free(blob);
	return 0;
}
