/*
 * check_ari.c - RFC 9773 ARI in acme/: the renewalInfo body parser
 * (acme_json_renewal_info) with valid and hostile input, the certificate
 * identifier (the RFC's own example), and acme_ari_get() against canned
 * replies through struct acme_transport (URL, Retry-After, errors).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme_int.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define WIN	"{\"suggestedWindow\":{\"start\":\"2025-01-02T04:00:00Z\"," \
	"\"end\":\"2025-01-03T04:00:00Z\"}"

static const struct {
	const char	*body;
	int		 rc;
	time_t		 start, end;
	const char	*expl;
	bool		 allow_http;
} bodies[] = {
	{ WIN "}", 0, 1735790400, 1735876800, NULL, false },
	{ WIN ",\"explanationURL\":\"https://ca.test/why\"}", 0, 1735790400,
	    1735876800, "https://ca.test/why", false },
	/* unknown members are ignored (RFC 8555 §7.1 extensibility) */
	{ WIN ",\"future\":[1,2,{}]}", 0, 1735790400, 1735876800, NULL,
	    false },
	/* offsets and fractions */
	{ "{\"suggestedWindow\":{\"start\":\"2025-01-02T05:00:00.123+01:00\","
	    "\"end\":\"2025-01-02t04:00:01z\"}}", 0, 1735790400, 1735790401,
	    NULL, false },
	/* a window wholly in the past is still a window */
	{ "{\"suggestedWindow\":{\"start\":\"1970-01-01T00:00:00Z\","
	    "\"end\":\"1970-01-01T00:00:01Z\"}}", 0, 0, 1, NULL, false },
	{ WIN ",\"explanationURL\":\"http://ca.test/why\"}", 0, 1735790400,
	    1735876800, "http://ca.test/why", true },
	/* hostile */
	{ WIN ",\"explanationURL\":\"http://ca.test/why\"}", -1, 0, 0, NULL,
	    false },
	{ WIN ",\"explanationURL\":\"https://ca.test/a b\"}", -1, 0, 0, NULL,
	    false },
	{ WIN ",\"explanationURL\":\"https:///nohost\"}", -1, 0, 0, NULL,
	    false },
	{ WIN ",\"explanationURL\":7}", -1, 0, 0, NULL, false },
	{ WIN ",\"explanationURL\":null}", -1, 0, 0, NULL, false },
	{ "{}", -1, 0, 0, NULL, false },
	{ "{\"suggestedWindow\":null}", -1, 0, 0, NULL, false },
	{ "{\"suggestedWindow\":[]}", -1, 0, 0, NULL, false },
	{ "{\"suggestedWindow\":\"soon\"}", -1, 0, 0, NULL, false },
	{ "{\"suggestedWindow\":{\"start\":\"2025-01-02T04:00:00Z\"}}", -1, 0,
	    0, NULL, false },
	{ "{\"suggestedWindow\":{\"end\":\"2025-01-02T04:00:00Z\"}}", -1, 0,
	    0, NULL, false },
	{ "{\"suggestedWindow\":{\"start\":1735790400,"
	    "\"end\":\"2025-01-03T04:00:00Z\"}}", -1, 0, 0, NULL, false },
	{ "{\"suggestedWindow\":{\"start\":\"2025-01-02 04:00:00\","
	    "\"end\":\"2025-01-03T04:00:00Z\"}}", -1, 0, 0, NULL, false },
	{ "{\"suggestedWindow\":{\"start\":\"2025-02-30T04:00:00Z\","
	    "\"end\":\"2025-03-03T04:00:00Z\"}}", -1, 0, 0, NULL, false },
	{ "{\"suggestedWindow\":{\"start\":\"2025-01-02T04:00:00Z\","
	    "\"end\":\"2025-01-03T04:00:00Z  \"}}", -1, 0, 0, NULL, false },
	/* RFC 9773 §4.3.3: end equal to or before start is malformed */
	{ "{\"suggestedWindow\":{\"start\":\"2025-01-02T04:00:00Z\","
	    "\"end\":\"2025-01-02T04:00:00Z\"}}", -1, 0, 0, NULL, false },
	{ "{\"suggestedWindow\":{\"start\":\"2025-01-03T04:00:00Z\","
	    "\"end\":\"2025-01-02T04:00:00Z\"}}", -1, 0, 0, NULL, false },
	/* duplicates, syntax, trailing data, wrong root */
	{ "{\"suggestedWindow\":{\"start\":\"2025-01-02T04:00:00Z\","
	    "\"start\":\"2025-01-01T04:00:00Z\","
	    "\"end\":\"2025-01-03T04:00:00Z\"}}", -1, 0, 0, NULL, false },
	{ WIN ",\"suggestedWindow\":{}}", -1, 0, 0, NULL, false },
	{ WIN "} trailing", -1, 0, 0, NULL, false },
	{ WIN, -1, 0, 0, NULL, false },
	{ "[" WIN "}]", -1, 0, 0, NULL, false },
	{ "", -1, 0, 0, NULL, false },
	{ "{\"suggestedWindow\":{\"start\":\"2025-01-02T04:00:00Z\\u0000\","
	    "\"end\":\"2025-01-03T04:00:00Z\"}}", -1, 0, 0, NULL, false },
};

START_TEST(renewal_info_bodies)
{
	struct acme_renewal_info	 ri;
	struct acme_err			 err;
	int				 rc;

	memset(&err, 0, sizeof(err));
	rc = acme_json_renewal_info(bodies[_i].body, strlen(bodies[_i].body),
	    bodies[_i].allow_http, &ri, &err);
	ck_assert_msg(rc == bodies[_i].rc, "case %d: rc %d (%s)", _i, rc,
	    err.msg);
	if (rc == 0) {
		ck_assert_int_eq(ri.start, bodies[_i].start);
		ck_assert_int_eq(ri.end, bodies[_i].end);
		if (bodies[_i].expl == NULL)
			ck_assert_ptr_null(ri.explanation_url);
		else
			ck_assert_str_eq(ri.explanation_url, bodies[_i].expl);
	} else {
		ck_assert_int_eq(err.kind, ACME_EPROTO);
		ck_assert_ptr_null(ri.explanation_url);
		ck_assert_int_eq(ri.start, 0);
	}
	acme_renewal_info_clear(&ri);
}
END_TEST

/* embedded NUL in the body, and the size limit */
START_TEST(renewal_info_limits)
{
	static const char	 good[] = WIN "}";
	struct acme_renewal_info ri;
	struct acme_err		 err;
	char			*big;
	size_t			 n = sizeof(good) - 1;

	ck_assert_int_eq(acme_json_renewal_info(good, n, false, &ri, &err),
	    0);
	acme_renewal_info_clear(&ri);
	ck_assert_int_eq(acme_json_renewal_info(good, n + 1, false, &ri,
	    &err), -1);		/* the terminating NUL is part of it */
	ck_assert_int_eq(acme_json_renewal_info(good, n - 1, false, &ri,
	    &err), -1);		/* truncated */
	/* exactly at the limit (padded with spaces) parses, limit+1 not */
	big = malloc(ACME_JSON_MAX + 2);
	memset(big, ' ', ACME_JSON_MAX + 1);
	memcpy(big, good, n);
	ck_assert_int_eq(acme_json_renewal_info(big, ACME_JSON_MAX, false,
	    &ri, &err), 0);
	acme_renewal_info_clear(&ri);
	ck_assert_int_eq(acme_json_renewal_info(big, ACME_JSON_MAX + 1,
	    false, &ri, &err), -1);
	ck_assert_int_eq(err.kind, ACME_EPROTO);
	free(big);
	acme_renewal_info_clear(NULL);
}
END_TEST

/* ---- the certificate identifier (RFC 9773 §4.1 example) */

static unsigned char *
make_cert(const unsigned char *serial, size_t slen, bool negative,
    const unsigned char *kid, size_t klen, size_t *len)
{
	EVP_PKEY	*k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509		*x = X509_new();
	BIGNUM		*bn = BN_bin2bn(serial, (int)slen, NULL);
	ASN1_INTEGER	*ai;
	AUTHORITY_KEYID	*akid;
	unsigned char	*der = NULL;
	int		 n;

	ck_assert_ptr_nonnull(k);
	BN_set_negative(bn, negative);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	ck_assert_int_eq(X509_set_serialNumber(x, ai), 1);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"ari.test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	if (kid != NULL) {
		akid = AUTHORITY_KEYID_new();
		akid->keyid = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(akid->keyid, kid, (int)klen);
		ck_assert_int_eq(X509_add1_ext_i2d(x,
		    NID_authority_key_identifier, akid, 0, 0), 1);
		AUTHORITY_KEYID_free(akid);
	}
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	n = i2d_X509(x, &der);
	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(k);
	return der;
}

static const unsigned char rfc_kid[] = { 0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46,
    0x40, 0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01,
    0xC8, 0xD4 };

static const struct {
	unsigned char	 serial[8];
	size_t		 slen;
	bool		 negative;
	const char	*id;
} ids[] = {
	/* RFC 9773 §4.1: the high bit forces a leading zero octet */
	{ { 0x87, 0x65, 0x43, 0x21 }, 4, false,
	    "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE" },
	{ { 0x01 }, 1, false, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AQ" },
	{ { 0x7f, 0xff }, 2, false, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.f_8" },
	/* a negative serial (invalid, but seen): two's complement */
	{ { 0x01 }, 1, true, "aYhba4dGQEHhs3uEe6CuLN4ByNQ._w" },
};

START_TEST(cert_ids)
{
	struct acme_err	 err;
	unsigned char	*der;
	size_t		 len;
	char		*id = NULL;

	der = make_cert(ids[_i].serial, ids[_i].slen, ids[_i].negative,
	    rfc_kid, sizeof(rfc_kid), &len);
	if (acme_ari_cert_id(der, len, &id, &err) != 0)
		ck_abort_msg("case %d: %s", _i, err.msg);
	ck_assert_str_eq(id, ids[_i].id);
	free(id);
	/* trailing bytes and truncation are refused */
	ck_assert_int_eq(acme_ari_cert_id(der, len - 1, &id, &err), -1);
	ck_assert_ptr_null(id);
	OPENSSL_free(der);
}
END_TEST

START_TEST(cert_id_refused)
{
	static const unsigned char	 s[] = { 0x42 };
	static const unsigned char	 junk[] = { 0x30, 0x03, 0x02, 0x01 };
	struct acme_err			 err;
	unsigned char			*der, *two;
	size_t				 len;
	char				*id = NULL;

	der = make_cert(s, 1, false, NULL, 0, &len);	/* no AKI */
	ck_assert_int_eq(acme_ari_cert_id(der, len, &id, &err), -1);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(id);
	two = malloc(len + 1);
	memcpy(two, der, len);
	two[len] = 0;		/* trailing byte */
	ck_assert_int_eq(acme_ari_cert_id(two, len + 1, &id, &err), -1);
	free(two);
	OPENSSL_free(der);
	ck_assert_int_eq(acme_ari_cert_id(junk, sizeof(junk), &id, &err), -1);
	ck_assert_int_eq(acme_ari_cert_id(NULL, 0, &id, &err), -1);
}
END_TEST

/* ---- acme_ari_get against canned replies */

struct canned {
	long		 status;
	const char	*ctype;
	const char	*retry_after;
	const char	*body;
};

struct fake {
	const struct canned	*r;
	size_t			 n, next;
	char			 urls[8][256];
};

static int
fake_request(void *arg, const struct acme_http_req *req,
    struct acme_http_resp *resp, struct acme_err *err)
{
	struct fake		*f = arg;
	const struct canned	*c;

	(void)err;
	ck_assert_uint_lt(f->next, f->n);
	ck_assert_str_eq(req->method, "GET");	/* unauthenticated */
	c = &f->r[f->next];
	snprintf(f->urls[f->next], sizeof(f->urls[0]), "%s", req->url);
	f->next++;
	resp->status = c->status;
	resp->content_type = c->ctype != NULL ? strdup(c->ctype) : NULL;
	resp->retry_after = c->retry_after != NULL ? strdup(c->retry_after) :
	    NULL;
	resp->body = (unsigned char *)strdup(c->body != NULL ? c->body : "");
	resp->len = strlen((char *)resp->body);
	return 0;
}

#define DIRB(ri) "{\"newNonce\":\"https://ca.test/nonce\"," \
	"\"newAccount\":\"https://ca.test/acct\"," \
	"\"newOrder\":\"https://ca.test/order\"," \
	"\"revokeCert\":\"https://ca.test/revoke\"," \
	"\"keyChange\":\"https://ca.test/key\"" ri "}"
#define J	"application/json"
#define ID	"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

static const struct {
	struct canned	 r[2];
	size_t		 n;
	const char	*id;
	int		 rc;
	enum acme_errkind kind;
	const char	*url;		/* of the second request */
	time_t		 retry_after;
} gets[] = {
	{ { { 200, J, NULL, DIRB(",\"renewalInfo\":\"https://ca.test/ri\"") },
	    { 200, J, "21600", WIN "}" } }, 2, ID, 0, ACME_EOK,
	    "https://ca.test/ri/" ID, 21600 },
	/* a trailing slash is not doubled */
	{ { { 200, J, NULL, DIRB(",\"renewalInfo\":\"https://ca.test/ri/\"") },
	    { 200, J, NULL, WIN "}" } }, 2, ID, 0, ACME_EOK,
	    "https://ca.test/ri/" ID, 0 },
	/* Retry-After is capped */
	{ { { 200, J, NULL, DIRB(",\"renewalInfo\":\"https://ca.test/ri\"") },
	    { 200, J, "999999999", WIN "}" } }, 2, ID, 0, ACME_EOK,
	    "https://ca.test/ri/" ID, ACME_RETRY_AFTER_MAX },
	{ { { 200, J, NULL, DIRB(",\"renewalInfo\":\"https://ca.test/ri\"") },
	    { 200, J, "soon", WIN "}" } }, 2, ID, 0, ACME_EOK,
	    "https://ca.test/ri/" ID, 0 },
	/* no ARI at this CA */
	{ { { 200, J, NULL, DIRB("") } }, 1, ID, -1, ACME_EUSAGE, NULL, 0 },
	/* errors */
	{ { { 200, J, NULL, DIRB(",\"renewalInfo\":\"https://ca.test/ri\"") },
	    { 404, "text/plain", NULL, "404 page not found" } }, 2, ID, -1,
	    ACME_EPROTO, "https://ca.test/ri/" ID, 0 },
	{ { { 200, J, NULL, DIRB(",\"renewalInfo\":\"https://ca.test/ri\"") },
	    { 503, "text/plain", "120", "busy" } }, 2, ID, -1, ACME_ETEMP,
	    "https://ca.test/ri/" ID, 120 },
	{ { { 200, J, NULL, DIRB(",\"renewalInfo\":\"https://ca.test/ri\"") },
	    { 200, "text/html", NULL, WIN "}" } }, 2, ID, -1, ACME_EPROTO,
	    "https://ca.test/ri/" ID, 0 },
	{ { { 200, J, NULL, DIRB(",\"renewalInfo\":\"https://ca.test/ri\"") },
	    { 200, J, NULL, "{\"suggestedWindow\":{}}" } }, 2, ID, -1,
	    ACME_EPROTO, "https://ca.test/ri/" ID, 0 },
	/* a malformed identifier never reaches the network */
	{ { { 0 } }, 0, "no-dot", -1, ACME_EUSAGE, NULL, 0 },
	{ { { 0 } }, 0, "a.b/../c", -1, ACME_EUSAGE, NULL, 0 },
	{ { { 0 } }, 0, ".AQ", -1, ACME_EUSAGE, NULL, 0 },
	{ { { 0 } }, 0, "AQ.", -1, ACME_EUSAGE, NULL, 0 },
	{ { { 0 } }, 0, "", -1, ACME_EUSAGE, NULL, 0 },
};

START_TEST(ari_get)
{
	struct fake			 fk;
	struct acme_transport		 tr = { fake_request, NULL, &fk };
	struct acme_client		*c;
	struct acme_renewal_info	 ri;
	struct acme_err			 err;
	int				 rc;

	memset(&fk, 0, sizeof(fk));
	memset(&err, 0, sizeof(err));
	fk.r = gets[_i].r;
	fk.n = gets[_i].n;
	c = acme_client_new("https://ca.test/dir", &tr, NULL);
	ck_assert_ptr_nonnull(c);
	rc = acme_ari_get(c, gets[_i].id, &ri, &err);
	ck_assert_msg(rc == gets[_i].rc, "case %d: rc %d (%s)", _i, rc,
	    err.msg);
	ck_assert_uint_eq(fk.next, gets[_i].n);
	if (gets[_i].url != NULL)
		ck_assert_str_eq(fk.urls[1], gets[_i].url);
	if (rc == 0) {
		ck_assert_int_eq(ri.start, 1735790400);
		ck_assert_int_eq(ri.retry_after, gets[_i].retry_after);
		acme_renewal_info_clear(&ri);
	} else {
		ck_assert_int_eq(err.kind, gets[_i].kind);
		if (gets[_i].retry_after > 0)
			ck_assert_int_eq(err.retry_after,
			    gets[_i].retry_after);
	}
	acme_client_free(c);
}
END_TEST

START_TEST(ari_supported)
{
	static const struct canned	 r[] = { { 200, J, NULL,
	    DIRB(",\"renewalInfo\":\"https://ca.test/ri\"") } };
	static const struct canned	 r2[] = { { 200, J, NULL, DIRB("") } };
	struct fake			 fk;
	struct acme_transport		 tr = { fake_request, NULL, &fk };
	struct acme_client		*c;
	bool				 yes = false;

	memset(&fk, 0, sizeof(fk));
	fk.r = r;
	fk.n = 1;
	c = acme_client_new("https://ca.test/dir", &tr, NULL);
	ck_assert_int_eq(acme_ari_supported(c, &yes, NULL), 0);
	ck_assert(yes);
	ck_assert_int_eq(acme_ari_supported(c, &yes, NULL), 0);	/* cached */
	ck_assert_uint_eq(fk.next, 1);
	acme_client_free(c);
	memset(&fk, 0, sizeof(fk));
	fk.r = r2;
	fk.n = 1;
	c = acme_client_new("https://ca.test/dir", &tr, NULL);
	ck_assert_int_eq(acme_ari_supported(c, &yes, NULL), 0);
	ck_assert(!yes);
	acme_client_free(c);
}
END_TEST

Suite *
ari_suite(void)
{
	Suite	*s = suite_create("ari");
	TCase	*tc = tcase_create("ari");

	tcase_add_loop_test(tc, renewal_info_bodies, 0, (int)NITEMS(bodies));
	tcase_add_test(tc, renewal_info_limits);
	tcase_add_loop_test(tc, cert_ids, 0, (int)NITEMS(ids));
	tcase_add_test(tc, cert_id_refused);
	tcase_add_loop_test(tc, ari_get, 0, (int)NITEMS(gets));
	tcase_add_test(tc, ari_supported);
	suite_add_tcase(s, tc);
	return s;
}
