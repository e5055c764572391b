/*
 * check_json.c - acme/json.c: every parser with realistic bodies and with
 * hostile ones (wrong types, missing members, limits, NUL, bad UTF-8,
 * nesting, truncation), and the request builders (exact text, RFC 7638).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <check.h>

#include "acme_int.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

enum parser { P_DIR, P_ACCT, P_ORDER, P_AUTHZ, P_CHALL, P_PROB, P_COUNT };

static const char *const pnames[] = { "directory", "account", "order",
    "authz", "challenge", "problem" };

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char	*c = p;
	size_t			 i;

	for (i = 0; i < n; i++)
		if (c[i] != 0)
			return false;
	return true;
}

/*
 * Runs one parser and releases what it built. On failure the output
 * must have been left cleared.
 */
static int
parse(enum parser p, const void *body, size_t len, bool http,
    struct acme_err *err)
{
	struct acme_directory	 d;
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 z;
	struct acme_challenge	 c;
	struct acme_problem	*pr = NULL;
	int			 rc = -1;

	memset(err, 0, sizeof(*err));
	switch (p) {
	case P_DIR:
		rc = acme_json_directory(body, len, http, &d, err);
		if (rc == -1)
			ck_assert(all_zero(&d, sizeof(d)));
		acme_directory_clear(&d);
		break;
	case P_ACCT:
		rc = acme_json_account(body, len, http, &a, err);
		if (rc == -1)
			ck_assert(all_zero(&a, sizeof(a)));
		acme_account_clear(&a);
		break;
	case P_ORDER:
		rc = acme_json_order(body, len, http, &o, err);
		if (rc == -1)
			ck_assert(all_zero(&o, sizeof(o)));
		acme_order_clear(&o);
		break;
	case P_AUTHZ:
		rc = acme_json_authz(body, len, http, &z, err);
		if (rc == -1)
			ck_assert(all_zero(&z, sizeof(z)));
		acme_authz_clear(&z);
		break;
	case P_CHALL:
		rc = acme_json_challenge(body, len, http, &c, err);
		if (rc == -1)
			ck_assert(all_zero(&c, sizeof(c)));
		acme_challenge_clear(&c);
		break;
	case P_PROB:
		rc = acme_json_problem(body, len, &pr, err);
		if (rc == -1)
			ck_assert_ptr_null(pr);
		else
			ck_assert_ptr_nonnull(pr->type);
		acme_problem_free(pr);
		break;
	default:
		ck_abort_msg("bad parser");
	}
	if (rc == -1)
		ck_assert_int_ne(err->kind, ACME_EOK);
	return rc;
}

/* ---- realistic bodies */

static const char le_directory[] =
"{\n"
"  \"IKGcd4aBa9U\": \"https://community.letsencrypt.org/t/adding-random-"
    "entries-to-the-directory/33417\",\n"
"  \"keyChange\": \"https://acme-v02.api.letsencrypt.org/acme/key-change\",\n"
"  \"meta\": {\n"
"    \"caaIdentities\": [\n"
"      \"letsencrypt.org\"\n"
"    ],\n"
"    \"profiles\": {\n"
"      \"classic\": \"https://letsencrypt.org/docs/profiles#classic\",\n"
"      \"shortlived\": \"https://letsencrypt.org/docs/profiles#shortlived\",\n"
"      \"tlsserver\": \"https://letsencrypt.org/docs/profiles#tlsserver\"\n"
"    },\n"
"    \"termsOfService\": \"https://letsencrypt.org/documents/LE-SA-v1.5-"
    "February-24-2025.pdf\",\n"
"    \"website\": \"https://letsencrypt.org\"\n"
"  },\n"
"  \"newAccount\": \"https://acme-v02.api.letsencrypt.org/acme/new-acct\",\n"
"  \"newNonce\": \"https://acme-v02.api.letsencrypt.org/acme/new-nonce\",\n"
"  \"newOrder\": \"https://acme-v02.api.letsencrypt.org/acme/new-order\",\n"
"  \"renewalInfo\": \"https://acme-v02.api.letsencrypt.org/acme/renewal-info\""
    ",\n"
"  \"revokeCert\": \"https://acme-v02.api.letsencrypt.org/acme/revoke-cert\"\n"
"}\n";

static const char pebble_directory[] =
"{\n"
"   \"keyChange\": \"https://127.0.0.1:14000/rollover-account-key\",\n"
"   \"meta\": {\n"
"      \"externalAccountRequired\": false,\n"
"      \"profiles\": {\n"
"         \"default\": \"The profile you know and love\",\n"
"         \"shortlived\": \"A short-lived cert profile, without actual "
    "enforcement\"\n"
"      },\n"
"      \"termsOfService\": \"data:text/plain,Do%20what%20thou%20wilt\"\n"
"   },\n"
"   \"newAccount\": \"https://127.0.0.1:14000/sign-me-up\",\n"
"   \"newNonce\": \"https://127.0.0.1:14000/nonce-plz\",\n"
"   \"newOrder\": \"https://127.0.0.1:14000/order-plz\",\n"
"   \"renewalInfo\": \"https://127.0.0.1:14000/draft-ietf-acme-ari-03/"
    "renewalInfo/\",\n"
"   \"revokeCert\": \"https://127.0.0.1:14000/revoke-cert\"\n"
"}\n";

static const char order_body[] =
"{\n"
"  \"status\": \"ready\",\n"
"  \"expires\": \"2026-12-04T04:00:00Z\",\n"
"  \"identifiers\": [\n"
"    { \"type\": \"dns\", \"value\": \"mx.example.org\" },\n"
"    { \"type\": \"dns\", \"value\": \"*.example.org\" },\n"
"    { \"type\": \"ip\", \"value\": \"2001:db8::25\" }\n"
"  ],\n"
"  \"profile\": \"shortlived\",\n"
"  \"notBefore\": \"2026-11-27T04:00:00Z\",\n"
"  \"authorizations\": [\n"
"    \"https://acme-v02.api.letsencrypt.org/acme/authz/1234/1\",\n"
"    \"https://acme-v02.api.letsencrypt.org/acme/authz/1234/2\",\n"
"    \"https://acme-v02.api.letsencrypt.org/acme/authz/1234/3\"\n"
"  ],\n"
"  \"finalize\": \"https://acme-v02.api.letsencrypt.org/acme/finalize/"
    "1234/5678\"\n"
"}\n";

static const char authz_body[] =
"{\n"
"  \"identifier\": { \"type\": \"dns\", \"value\": \"mx.example.org\" },\n"
"  \"status\": \"pending\",\n"
"  \"expires\": \"2026-12-04T05:00:00+01:00\",\n"
"  \"challenges\": [\n"
"    {\n"
"      \"type\": \"http-01\",\n"
"      \"url\": \"https://ca.test/chall/1/a\",\n"
"      \"status\": \"pending\",\n"
"      \"token\": \"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0\"\n"
"    },\n"
"    {\n"
"      \"type\": \"dns-01\",\n"
"      \"url\": \"https://ca.test/chall/1/b\",\n"
"      \"status\": \"pending\",\n"
"      \"token\": \"DGyRejmCefe7v4NfDGDKfA\"\n"
"    },\n"
"    {\n"
"      \"type\": \"tls-alpn-01\",\n"
"      \"url\": \"https://ca.test/chall/1/c\",\n"
"      \"status\": \"invalid\",\n"
"      \"token\": \"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA\",\n"
"      \"validated\": \"2026-11-27T04:00:01.123456789Z\",\n"
"      \"error\": {\n"
"        \"type\": \"urn:ietf:params:acme:error:tls\",\n"
"        \"detail\": \"no acme-tls/1 from 192.0.2.25\",\n"
"        \"status\": 400\n"
"      }\n"
"    }\n"
"  ]\n"
"}\n";

/* RFC 8555 §6.7.1, with the status member added */
static const char problem_body[] =
"{\n"
"    \"type\": \"urn:ietf:params:acme:error:malformed\",\n"
"    \"detail\": \"Some of the identifiers requested were rejected\",\n"
"    \"status\": 400,\n"
"    \"subproblems\": [\n"
"        {\n"
"            \"type\": \"urn:ietf:params:acme:error:malformed\",\n"
"            \"detail\": \"Invalid underscore in DNS name \\\"_example.org"
    "\\\"\",\n"
"            \"identifier\": {\n"
"                \"type\": \"dns\",\n"
"                \"value\": \"_example.org\"\n"
"            }\n"
"        },\n"
"        {\n"
"            \"type\": \"urn:ietf:params:acme:error:rejectedIdentifier\",\n"
"            \"detail\": \"This CA will not issue for \\\"example.net\\\"\",\n"
"            \"identifier\": {\n"
"                \"type\": \"dns\",\n"
"                \"value\": \"example.net\"\n"
"            }\n"
"        }\n"
"    ]\n"
"}\n";

START_TEST(directory_le)
{
	struct acme_directory	 d;
	struct acme_err		 err;

	ck_assert_int_eq(acme_json_directory(le_directory,
	    strlen(le_directory), false, &d, &err), 0);
	ck_assert_str_eq(d.new_nonce,
	    "https://acme-v02.api.letsencrypt.org/acme/new-nonce");
	ck_assert_str_eq(d.new_account,
	    "https://acme-v02.api.letsencrypt.org/acme/new-acct");
	ck_assert_str_eq(d.new_order,
	    "https://acme-v02.api.letsencrypt.org/acme/new-order");
	ck_assert_ptr_null(d.new_authz);
	ck_assert_str_eq(d.revoke_cert,
	    "https://acme-v02.api.letsencrypt.org/acme/revoke-cert");
	ck_assert_str_eq(d.key_change,
	    "https://acme-v02.api.letsencrypt.org/acme/key-change");
	ck_assert_str_eq(d.renewal_info,
	    "https://acme-v02.api.letsencrypt.org/acme/renewal-info");
	ck_assert_str_eq(d.terms_of_service, "https://letsencrypt.org/"
	    "documents/LE-SA-v1.5-February-24-2025.pdf");
	ck_assert_str_eq(d.website, "https://letsencrypt.org");
	ck_assert(!d.eab_required);
	ck_assert_uint_eq(d.nprofiles, 3);
	ck_assert_str_eq(d.profiles[0], "classic");
	ck_assert_str_eq(d.profiles[1], "shortlived");
	ck_assert_str_eq(d.profiles[2], "tlsserver");
	acme_directory_clear(&d);
	ck_assert(all_zero(&d, sizeof(d)));
	acme_directory_clear(&d);	/* twice is fine */
	acme_directory_clear(NULL);
}
END_TEST

START_TEST(directory_pebble)
{
	static const char	 eab[] = "{\"newNonce\":\"http://ca.test/n\","
	    "\"newAccount\":\"http://ca.test/a\",\"newOrder\":\"http://"
	    "ca.test/o\",\"newAuthz\":\"http://ca.test/z\",\"revokeCert\":"
	    "\"http://ca.test/r\",\"keyChange\":\"http://ca.test/k\","
	    "\"meta\":{\"externalAccountRequired\":true,\"website\":"
	    "\"http://ca.test/\",\"profiles\":{\"zeta\":\"\",\"alpha\":\"a\","
	    "\"mid.v_2-x\":\"m\"}}}";
	struct acme_directory	 d;
	struct acme_err		 err;

	ck_assert_int_eq(acme_json_directory(pebble_directory,
	    strlen(pebble_directory), false, &d, &err), 0);
	ck_assert_str_eq(d.new_nonce, "https://127.0.0.1:14000/nonce-plz");
	ck_assert_str_eq(d.terms_of_service,
	    "data:text/plain,Do%20what%20thou%20wilt");
	ck_assert_ptr_null(d.website);
	ck_assert(!d.eab_required);
	ck_assert_uint_eq(d.nprofiles, 2);
	ck_assert_str_eq(d.profiles[0], "default");
	ck_assert_str_eq(d.profiles[1], "shortlived");
	acme_directory_clear(&d);

	/* http:// only for test servers; profiles kept in the order sent */
	ck_assert_int_eq(acme_json_directory(eab, strlen(eab), false, &d,
	    &err), -1);
	ck_assert_int_eq(err.kind, ACME_EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"newNonce\""));
	ck_assert(all_zero(&d, sizeof(d)));
	ck_assert_int_eq(acme_json_directory(eab, strlen(eab), true, &d,
	    &err), 0);
	ck_assert_str_eq(d.new_authz, "http://ca.test/z");
	ck_assert_ptr_null(d.renewal_info);
	ck_assert(d.eab_required);
	ck_assert_uint_eq(d.nprofiles, 3);
	ck_assert_str_eq(d.profiles[0], "zeta");
	ck_assert_str_eq(d.profiles[1], "alpha");
	ck_assert_str_eq(d.profiles[2], "mid.v_2-x");
	acme_directory_clear(&d);
}
END_TEST

START_TEST(account_valid)
{
	static const char	 body[] = "{\"status\":\"valid\",\"contact\":"
	    "[\"mailto:postmaster@example.org\",\"mailto:b@example.org\"],"
	    "\"orders\":\"https://ca.test/acct/1/orders\",\"key\":{\"kty\":"
	    "\"EC\"},\"createdAt\":\"2026-11-27T04:00:00Z\"}";
	struct acme_account	 a;
	struct acme_err		 err;

	ck_assert_int_eq(acme_json_account(body, strlen(body), false, &a,
	    &err), 0);
	ck_assert_int_eq(a.status, ACME_ST_VALID);
	ck_assert_ptr_null(a.url);
	ck_assert_uint_eq(a.ncontact, 2);
	ck_assert_str_eq(a.contact[0], "mailto:postmaster@example.org");
	ck_assert_str_eq(a.contact[1], "mailto:b@example.org");
	ck_assert_str_eq(a.orders, "https://ca.test/acct/1/orders");
	acme_account_clear(&a);
	ck_assert_int_eq(acme_json_account("{\"status\":\"deactivated\"}", 24,
	    false, &a, &err), 0);
	ck_assert_int_eq(a.status, ACME_ST_DEACTIVATED);
	ck_assert_uint_eq(a.ncontact, 0);
	ck_assert_ptr_null(a.orders);
	acme_account_clear(&a);
	acme_account_clear(NULL);
}
END_TEST

START_TEST(order_valid)
{
	struct acme_order	 o;
	struct acme_err		 err;

	ck_assert_int_eq(acme_json_order(order_body, strlen(order_body), false,
	    &o, &err), 0);
	ck_assert_int_eq(o.status, ACME_ST_READY);
	ck_assert_int_eq(o.expires, 1795752000 + 7 * 86400);
	ck_assert_uint_eq(o.nids, 3);
	ck_assert_int_eq(o.ids[0].type, ACME_ID_DNS);
	ck_assert_str_eq(o.ids[0].value, "mx.example.org");
	ck_assert_str_eq(o.ids[1].value, "*.example.org");
	ck_assert_int_eq(o.ids[2].type, ACME_ID_IP);
	ck_assert_str_eq(o.ids[2].value, "2001:db8::25");
	ck_assert_uint_eq(o.nauthz, 3);
	ck_assert_str_eq(o.authz[2],
	    "https://acme-v02.api.letsencrypt.org/acme/authz/1234/3");
	ck_assert_str_eq(o.finalize,
	    "https://acme-v02.api.letsencrypt.org/acme/finalize/1234/5678");
	ck_assert_ptr_null(o.certificate);
	ck_assert_str_eq(o.profile, "shortlived");
	ck_assert_ptr_null(o.error);
	ck_assert_ptr_null(o.url);
	ck_assert_int_eq(o.retry_after, 0);
	acme_order_clear(&o);
	ck_assert(all_zero(&o, sizeof(o)));
	acme_order_clear(NULL);
}
END_TEST

START_TEST(order_invalid_with_error)
{
	static const char	 body[] = "{\"status\":\"invalid\","
	    "\"identifiers\":[{\"type\":\"dns\",\"value\":\"mx.example.org\"}],"
	    "\"authorizations\":[],\"finalize\":\"https://ca.test/f\","
	    "\"certificate\":\"https://ca.test/cert/9\",\"error\":{\"type\":"
	    "\"urn:ietf:params:acme:error:caa\",\"detail\":\"CAA forbids\","
	    "\"status\":403}}";
	struct acme_order	 o;
	struct acme_err		 err;

	ck_assert_int_eq(acme_json_order(body, strlen(body), false, &o, &err),
	    0);
	ck_assert_int_eq(o.status, ACME_ST_INVALID);
	ck_assert_int_eq(o.expires, 0);
	ck_assert_uint_eq(o.nauthz, 0);
	ck_assert_str_eq(o.certificate, "https://ca.test/cert/9");
	ck_assert_ptr_nonnull(o.error);
	ck_assert_str_eq(o.error->type, "urn:ietf:params:acme:error:caa");
	ck_assert_str_eq(o.error->detail, "CAA forbids");
	ck_assert_int_eq(o.error->status, 403);
	acme_order_clear(&o);
}
END_TEST

START_TEST(authz_valid)
{
	static const char	 wild[] = "{\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"example.org\"},\"wildcard\":true,\"status\":\"valid\","
	    "\"challenges\":[{\"type\":\"dns-01\",\"url\":"
	    "\"https://ca.test/c\",\"status\":\"valid\",\"token\":\"abc\"},"
	    "{\"type\":\"dns-account-01\",\"url\":\"https://ca.test/d\","
	    "\"status\":\"pending\"}]}";
	struct acme_authz	 a;
	struct acme_err		 err;

	ck_assert_int_eq(acme_json_authz(authz_body, strlen(authz_body), false,
	    &a, &err), 0);
	ck_assert_int_eq(a.status, ACME_ST_PENDING);
	ck_assert_int_eq(a.ident.type, ACME_ID_DNS);
	ck_assert_str_eq(a.ident.value, "mx.example.org");
	ck_assert(!a.wildcard);
	ck_assert_int_eq(a.expires, 1795752000 + 7 * 86400);
	ck_assert_ptr_null(a.url);
	ck_assert_uint_eq(a.nchall, 3);
	ck_assert_int_eq(a.chall[0].type, ACME_CH_HTTP01);
	ck_assert_str_eq(a.chall[0].type_name, "http-01");
	ck_assert_str_eq(a.chall[0].url, "https://ca.test/chall/1/a");
	ck_assert_str_eq(a.chall[0].token,
	    "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0");
	ck_assert_int_eq(a.chall[0].status, ACME_ST_PENDING);
	ck_assert_ptr_null(a.chall[0].error);
	ck_assert_int_eq(a.chall[1].type, ACME_CH_DNS01);
	ck_assert_str_eq(a.chall[1].token, "DGyRejmCefe7v4NfDGDKfA");
	ck_assert_int_eq(a.chall[2].type, ACME_CH_TLSALPN01);
	ck_assert_int_eq(a.chall[2].status, ACME_ST_INVALID);
	ck_assert_ptr_nonnull(a.chall[2].error);
	ck_assert_str_eq(a.chall[2].error->type,
	    "urn:ietf:params:acme:error:tls");
	ck_assert_int_eq(a.chall[2].error->status, 400);
	acme_authz_clear(&a);
	ck_assert(all_zero(&a, sizeof(a)));

	ck_assert_int_eq(acme_json_authz(wild, strlen(wild), false, &a, &err),
	    0);
	ck_assert(a.wildcard);
	ck_assert_str_eq(a.ident.value, "example.org");
	ck_assert_uint_eq(a.nchall, 2);
	ck_assert_int_eq(a.chall[1].type, ACME_CH_OTHER);
	ck_assert_str_eq(a.chall[1].type_name, "dns-account-01");
	ck_assert_ptr_null(a.chall[1].token);
	acme_authz_clear(&a);
	acme_authz_clear(NULL);
}
END_TEST

START_TEST(challenge_valid)
{
	static const char	 body[] = "{\"type\":\"http-01\",\"url\":"
	    "\"https://ca.test/chall/7\",\"status\":\"processing\",\"token\":"
	    "\"tok-_09AZaz\"}";
	struct acme_challenge	 c;
	struct acme_err		 err;

	ck_assert_int_eq(acme_json_challenge(body, strlen(body), false, &c,
	    &err), 0);
	ck_assert_int_eq(c.type, ACME_CH_HTTP01);
	ck_assert_str_eq(c.url, "https://ca.test/chall/7");
	ck_assert_str_eq(c.token, "tok-_09AZaz");
	ck_assert_int_eq(c.status, ACME_ST_PROCESSING);
	acme_challenge_clear(&c);
	ck_assert(all_zero(&c, sizeof(c)));
	acme_challenge_clear(NULL);
}
END_TEST

START_TEST(problem_valid)
{
	static const char	 blank[] = "{\"detail\":\"x\",\"subproblems\":"
	    "[{\"detail\":\"y\"},{\"identifier\":{\"type\":\"email\","
	    "\"value\":\"a b\"}}]}";
	struct acme_problem	*p;
	struct acme_err		 err;

	ck_assert_int_eq(acme_json_problem(problem_body, strlen(problem_body),
	    &p, &err), 0);
	ck_assert_str_eq(p->type, "urn:ietf:params:acme:error:malformed");
	ck_assert_str_eq(p->detail,
	    "Some of the identifiers requested were rejected");
	ck_assert_int_eq(p->status, 400);
	ck_assert_uint_eq(p->nsub, 2);
	ck_assert_str_eq(p->sub[0].detail,
	    "Invalid underscore in DNS name \"_example.org\"");
	ck_assert_int_eq(p->sub[0].ident.type, ACME_ID_DNS);
	ck_assert_str_eq(p->sub[0].ident.value, "_example.org");
	ck_assert_str_eq(p->sub[1].type,
	    "urn:ietf:params:acme:error:rejectedIdentifier");
	ck_assert_str_eq(p->sub[1].ident.value, "example.net");
	/* the problem becomes an error message */
	ck_assert_int_eq(acme_err_problem(&err, p, 400, 0, NULL), -1);
	ck_assert_int_eq(err.kind, ACME_ESERVER);
	ck_assert_ptr_nonnull(strstr(err.msg, "example.net"));
	acme_problem_free(p);
	acme_problem_free(NULL);

	/* RFC 7807 §3.1: no type means about:blank */
	ck_assert_int_eq(acme_json_problem(blank, strlen(blank), &p, &err), 0);
	ck_assert_str_eq(p->type, "about:blank");
	ck_assert_int_eq(p->status, 0);
	ck_assert_uint_eq(p->nsub, 2);
	ck_assert_str_eq(p->sub[0].type, "about:blank");
	ck_assert_ptr_null(p->sub[0].ident.value);
	ck_assert_ptr_null(p->sub[1].detail);
	ck_assert_str_eq(p->sub[1].ident.value, "a b");
	acme_problem_free(p);
}
END_TEST

/* detail is truncated, at a UTF-8 character boundary, not refused */
START_TEST(problem_long_detail)
{
	struct acme_problem	*p;
	struct acme_err		 err;
	char			*body;
	size_t			 i, n;

	body = malloc(8192);
	ck_assert_ptr_nonnull(body);
	n = (size_t)snprintf(body, 8192, "{\"type\":\"t\",\"detail\":\"");
	for (i = 0; i < 4000; i++)
		body[n++] = 'a';
	memcpy(body + n, "\"}", 2);
	ck_assert_int_eq(acme_json_problem(body, n + 2, &p, &err), 0);
	ck_assert_uint_eq(strlen(p->detail), ACME_TEXT_MAX);
	acme_problem_free(p);

	/* "x" then 2-byte characters: byte 1024 is a continuation byte */
	n = (size_t)snprintf(body, 8192, "{\"type\":\"t\",\"detail\":\"x");
	for (i = 0; i < 600; i++) {
		body[n++] = (char)0xc3;
		body[n++] = (char)0xa9;
	}
	memcpy(body + n, "\"}", 2);
	ck_assert_int_eq(acme_json_problem(body, n + 2, &p, &err), 0);
	ck_assert_uint_eq(strlen(p->detail), ACME_TEXT_MAX - 1);
	ck_assert_int_eq(memcmp(p->detail, body + 22, ACME_TEXT_MAX - 1), 0);
	ck_assert_int_eq((unsigned char)p->detail[ACME_TEXT_MAX - 2], 0xa9);
	acme_problem_free(p);
	free(body);
}
END_TEST

/* ---- every used member: each wrong type, and missing */

#define DIR_FULL	"{\"newNonce\":\"https://ca.test/nonce\"," \
	"\"newAccount\":\"https://ca.test/acct\",\"newOrder\":" \
	"\"https://ca.test/order\"," \
	"\"newAuthz\":\"https://ca.test/authz\",\"revokeCert\":" \
	"\"https://ca.test/revoke\",\"keyChange\":\"https://ca.test/key\"," \
	"\"renewalInfo\":\"https://ca.test/ari\",\"meta\":" \
	"{\"termsOfService\":\"https://ca.test/tos\",\"website\":" \
	"\"https://ca.test/\"," \
	"\"externalAccountRequired\":true,\"profiles\":{\"classic\":\"c\"}}}"
#define ACCT_FULL	"{\"status\":\"valid\",\"contact\":" \
	"[\"mailto:a@example.org\"],\"orders\":\"https://ca.test/acct/1/o\"}"
#define ORDER_FULL	"{\"status\":\"pending\",\"expires\":" \
	"\"2026-12-04T04:00:00Z\",\"identifiers\":[{\"type\":\"dns\"," \
	"\"value\":\"mx.example.org\"}],\"authorizations\":" \
	"[\"https://ca.test/authz/1\"],\"finalize\":\"https://ca.test/fin\"," \
	"\"certificate\":\"https://ca.test/cert/1\",\"profile\":\"classic\"," \
	"\"error\":{\"type\":\"urn:ietf:params:acme:error:caa\"," \
	"\"detail\":\"d\",\"status\":403}}"
#define AUTHZ_FULL	"{\"status\":\"pending\",\"expires\":" \
	"\"2026-12-04T04:00:00Z\",\"identifier\":{\"type\":\"dns\"," \
	"\"value\":\"example.org\"},\"wildcard\":true,\"challenges\":" \
	"[{\"type\":\"dns-01\",\"url\":\"https://ca.test/chall/1\"," \
	"\"status\":\"pending\",\"token\":\"tok_-en\"}]}"
#define CHALL_FULL	"{\"type\":\"http-01\",\"url\":" \
	"\"https://ca.test/chall/1\",\"status\":\"invalid\"," \
	"\"token\":\"tok\",\"error\":{\"type\":" \
	"\"urn:ietf:params:acme:error:connection\"," \
	"\"detail\":\"refused\",\"status\":400,\"subproblems\":[]}}"
#define PROB_FULL	"{\"type\":\"urn:ietf:params:acme:error:" \
	"rejectedIdentifier\",\"detail\":\"no\",\"status\":400," \
	"\"subproblems\":[{\"type\":\"urn:ietf:params:acme:error:caa\"," \
	"\"detail\":\"d\",\"identifier\":{\"type\":\"dns\",\"value\":" \
	"\"a.example.org\"}}]}"

static const char *const full[] = { DIR_FULL, ACCT_FULL, ORDER_FULL,
    AUTHZ_FULL, CHALL_FULL, PROB_FULL };

/* the first occurrence of "name": in the compact body is mutated */
static const struct {
	enum parser	 p;
	const char	*name;
	char		 type;	/* string integer bool array object */
	bool		 required;
} members[] = {
	{ P_DIR, "newNonce", 's', true },
	{ P_DIR, "newAccount", 's', true },
	{ P_DIR, "newOrder", 's', true },
	{ P_DIR, "newAuthz", 's', false },
	{ P_DIR, "revokeCert", 's', true },
	{ P_DIR, "keyChange", 's', true },
	{ P_DIR, "renewalInfo", 's', false },
	{ P_DIR, "meta", 'o', false },
	{ P_DIR, "termsOfService", 's', false },
	{ P_DIR, "website", 's', false },
	{ P_DIR, "externalAccountRequired", 'b', false },
	{ P_DIR, "profiles", 'o', false },
	{ P_DIR, "classic", 's', false },
	{ P_ACCT, "status", 's', true },
	{ P_ACCT, "contact", 'a', false },
	{ P_ACCT, "orders", 's', false },
	{ P_ORDER, "status", 's', true },
	{ P_ORDER, "expires", 's', false },
	{ P_ORDER, "identifiers", 'a', true },
	{ P_ORDER, "type", 's', true },
	{ P_ORDER, "value", 's', true },
	{ P_ORDER, "authorizations", 'a', true },
	{ P_ORDER, "finalize", 's', true },
	{ P_ORDER, "certificate", 's', false },
	{ P_ORDER, "profile", 's', false },
	{ P_ORDER, "error", 'o', false },
	{ P_ORDER, "detail", 's', false },
	{ P_AUTHZ, "status", 's', true },
	{ P_AUTHZ, "expires", 's', false },
	{ P_AUTHZ, "identifier", 'o', true },
	{ P_AUTHZ, "type", 's', true },
	{ P_AUTHZ, "value", 's', true },
	{ P_AUTHZ, "wildcard", 'b', false },
	{ P_AUTHZ, "challenges", 'a', true },
	{ P_AUTHZ, "url", 's', true },
	{ P_AUTHZ, "token", 's', true },
	{ P_CHALL, "type", 's', true },
	{ P_CHALL, "url", 's', true },
	{ P_CHALL, "status", 's', true },
	{ P_CHALL, "token", 's', true },
	{ P_CHALL, "error", 'o', false },
	{ P_CHALL, "detail", 's', false },
	{ P_CHALL, "subproblems", 'a', false },
	{ P_PROB, "type", 's', false },
	{ P_PROB, "detail", 's', false },
	{ P_PROB, "status", 'i', false },
	{ P_PROB, "subproblems", 'a', false },
	{ P_PROB, "identifier", 'o', false },
	{ P_PROB, "value", 's', true },
};

static const struct {
	char		 type;
	const char	*text;
} wrong[] = {
	{ 's', "\"x\"" },
	{ 'i', "42" },
	{ 'r', "1.5" },
	{ 'b', "true" },
	{ 'a', "[]" },
	{ 'o', "{}" },
	{ 'n', "null" },
	{ '-', NULL },		/* the member removed */
};

/* End of the JSON value at s (compact text, well formed). */
static const char *
skip_value(const char *s)
{
	int	 depth = 0;
	bool	 str = false;

	for (; *s != '\0'; s++) {
		if (str) {
			if (*s == '\\') {
				s++;
			} else if (*s == '"') {
				str = false;
				if (depth == 0)
					return s + 1;
			}
			continue;
		}
		switch (*s) {
		case '"':
			str = true;
			break;
		case '[':
		case '{':
			depth++;
			break;
		case ']':
		case '}':
			if (depth == 0)
				return s;
			if (--depth == 0)
				return s + 1;
			break;
		case ',':
			if (depth == 0)
				return s;
			break;
		}
	}
	return s;
}

/* Replaces (or with text NULL, removes) the value of members[m] in its
 * body; the result goes to buf. */
static size_t
mutate(size_t m, const char *text, char *buf, size_t size)
{
	const char	*body = full[members[m].p];
	const char	*key, *val, *end, *from, *to;
	char		 pat[64];
	int		 n;

	n = snprintf(pat, sizeof(pat), "\"%s\":", members[m].name);
	ck_assert(n > 0 && (size_t)n < sizeof(pat));
	key = strstr(body, pat);
	ck_assert_ptr_nonnull(key);
	val = key + n;
	end = skip_value(val);
	if (text != NULL) {
		n = snprintf(buf, size, "%.*s%s%s", (int)(val - body), body,
		    text, end);
	} else {
		/* drop the member and one comma next to it */
		from = key;
		to = end;
		if (*to == ',')
			to++;
		else if (from[-1] == ',')
			from--;
		n = snprintf(buf, size, "%.*s%s", (int)(from - body), body, to);
	}
	ck_assert(n > 0 && (size_t)n < size);
	return (size_t)n;
}

START_TEST(member_types)
{
	const char	*body = full[members[_i].p];
	struct acme_err	 err;
	char		 pat[64], buf[1024];
	size_t		 w, n;
	int		 rc;

	ck_assert_int_eq(parse(members[_i].p, body, strlen(body), false, &err),
	    0);
	(void)snprintf(pat, sizeof(pat), "\"%s\"", members[_i].name);
	for (w = 0; w < NITEMS(wrong); w++) {
		if (wrong[w].type == members[_i].type)
			continue;	/* the right type: not a mutation */
		n = mutate((size_t)_i, wrong[w].text, buf, sizeof(buf));
		rc = parse(members[_i].p, buf, n, false, &err);
		if (wrong[w].text == NULL && !members[_i].required) {
			ck_assert_msg(rc == 0, "%s without %s: %s",
			    pnames[members[_i].p], members[_i].name, err.msg);
			continue;
		}
		ck_assert_msg(rc == -1, "%s accepted %s", pnames[members[_i].p],
		    buf);
		ck_assert_int_eq(err.kind, ACME_EPROTO);
		ck_assert_msg(strstr(err.msg, pat) != NULL,
		    "message \"%s\" for %s", err.msg, buf);
		ck_assert_ptr_nonnull(strstr(err.msg, pnames[members[_i].p]));
		if (wrong[w].text != NULL)
			ck_assert_msg(strstr(err.msg, "not a") != NULL,
			    "message \"%s\" for %s", err.msg, buf);
		else
			ck_assert_msg(strstr(err.msg, "missing") != NULL,
			    "message \"%s\" for %s", err.msg, buf);
	}
}
END_TEST

/* ---- hostile and edge-case bodies */

#define DIR_MIN(nonce)	"{\"newNonce\":\"" nonce "\",\"newAccount\":" \
	"\"https://ca.test/a\",\"newOrder\":\"https://ca.test/o\"," \
	"\"revokeCert\":\"https://ca.test/r\",\"keyChange\":" \
	"\"https://ca.test/k\""
#define ORDER_ID(t, v)	"{\"status\":\"pending\",\"identifiers\":[{\"type\":" \
	"\"" t "\",\"value\":\"" v "\"}],\"authorizations\":[],\"finalize\":" \
	"\"https://ca.test/f\"}"
#define ORDER_ST(st)	"{\"status\":\"" st "\",\"identifiers\":[{\"type\":" \
	"\"dns\",\"value\":\"a.example\"}],\"authorizations\":[]," \
	"\"finalize\":\"https://ca.test/f\"}"
#define AUTHZ_ID(t, v, w)	"{\"status\":\"pending\",\"identifier\":" \
	"{\"type\":\"" t "\",\"value\":\"" v "\"},\"wildcard\":" w "," \
	"\"challenges\":[]}"
#define LABEL63	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaa"
#define CHALL(t, tok)	"{\"type\":\"" t "\",\"url\":\"https://ca.test/c\"," \
	"\"status\":\"pending\"" tok "}"

static const struct {
	enum parser	 p;
	const char	*body;
	size_t		 len;	/* 0: strlen(body) */
	bool		 http;
	int		 rc;
	const char	*msg;	/* expected in err.msg when rc is -1 */
} cases[] = {
	{ P_DIR, DIR_MIN("https://ca.test/n") "}", 0, false, 0, NULL },
	{ P_DIR, DIR_MIN("http://ca.test/n") "}", 0, false, -1, "not an http" },
	{ P_DIR, DIR_MIN("http://ca.test/n") "}", 0, true, 0, NULL },
	{ P_DIR, DIR_MIN("HTTPS://ca.test/n") "}", 0, false, -1, "https" },
	{ P_DIR, DIR_MIN("ftp://ca.test/n") "}", 0, true, -1, "http(s)" },
	{ P_DIR, DIR_MIN("ca.test/n") "}", 0, false, -1, "https" },
	{ P_DIR, DIR_MIN("https://") "}", 0, false, -1, "without a host" },
	{ P_DIR, DIR_MIN("https:///n") "}", 0, false, -1, "without a host" },
	{ P_DIR, DIR_MIN("https://ca.test/a b") "}", 0, false, -1, "space" },
	{ P_DIR, DIR_MIN("https://ca.test/a\\tb") "}", 0, false, -1, "contr" },
	{ P_DIR, DIR_MIN("https://ca.test/a\\u007f") "}", 0, false, -1, "URL" },
	{ P_DIR, DIR_MIN("https://ca.test/\xc3\xa9") "}", 0, false, -1, "URL" },
	{ P_DIR, DIR_MIN("https://ca.test/\\u0000") "}", 0, false, -1, "NUL" },
	{ P_DIR, DIR_MIN("https://ca.test/\0x") "}", sizeof(DIR_MIN(
	    "https://ca.test/\0x") "}") - 1, false, -1, "NUL byte" },
	{ P_DIR, DIR_MIN("https://ca.test/n") "}\0", sizeof(DIR_MIN(
	    "https://ca.test/n") "}\0") - 1, false, -1, "NUL byte" },
	{ P_DIR, DIR_MIN("https://ca.test/\xff") "}", 0, false, -1,
	    "decode byte" },
	{ P_DIR, DIR_MIN("https://ca.test/\xc0\xaf") "}", 0, false, -1,
	    "decode byte" },
	{ P_DIR, DIR_MIN("https://ca.test/\xed\xa0\x80") "}", 0, false, -1,
	    "decode byte" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"x\":\"\xe9\"}", 0, false, -1,
	    "decode byte" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"newNonce\":\"https://x.y/\"}",
	    0, false, -1, "duplicate" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"a\":1,\"a\":2}}",
	    0, false, -1, "duplicate" },
	{ P_DIR, DIR_MIN("https://ca.test/n") "}x", 0, false, -1, "JSON" },
	{ P_DIR, DIR_MIN("https://ca.test/n") "}{}", 0, false, -1, "JSON" },
	{ P_DIR, DIR_MIN("https://ca.test/n") "} \r\n\t", 0, false, 0, NULL },
	{ P_DIR, DIR_MIN("https://ca.test/n"), 0, false, -1, "JSON" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"x\":[1,{\"y\":[true]}]}", 0,
	    false, 0, NULL },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"termsOfService\":"
	    "\"http://ca.test/tos\",\"website\":\"data:,x\"}}", 0, false, 0,
	    NULL },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"termsOfService\":"
	    "\"\"}}", 0, false, -1, "termsOfService" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"website\":"
	    "\"https://a b\"}}", 0, false, -1, "website" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"profiles\":"
	    "{\"a b\":\"x\"}}}", 0, false, -1, "profile name" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"profiles\":"
	    "{\"\":\"x\"}}}", 0, false, -1, "profile name" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"profiles\":"
	    "{\"a/b\":\"x\"}}}", 0, false, -1, "profile name" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"profiles\":{\""
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "\":\"x\"}}}", 0, false, 0, NULL },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"profiles\":{\""
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4\":\"x\"}}}", 0, false, -1, "profile name" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"profiles\":"
	    "{\"a\\u0000b\":\"x\"}}}", 0, false, -1, "NUL" },
	{ P_DIR, "[]", 0, false, -1, "not a JSON object" },
	{ P_DIR, "\"https://ca.test/\"", 0, false, -1, "JSON" },
	{ P_DIR, "null", 0, false, -1, "JSON" },
	{ P_DIR, "", 0, false, -1, "JSON" },
	{ P_DIR, "{}", 0, false, -1, "missing" },
	{ P_DIR, "{\"newNonce\":1e400}", 0, false, -1, "JSON" },

	{ P_ACCT, "{\"status\":\"valid\"}", 0, false, 0, NULL },
	{ P_ACCT, "{\"status\":\"revoked\"}", 0, false, 0, NULL },
	{ P_ACCT, "{\"status\":\"active\"}", 0, false, -1, "unknown status" },
	{ P_ACCT, "{\"status\":\"Valid\"}", 0, false, -1, "unknown status" },
	{ P_ACCT, "{\"status\":\"valid \"}", 0, false, -1, "unknown status" },
	{ P_ACCT, "{\"status\":\"\"}", 0, false, -1, "unknown status" },
	{ P_ACCT, "{\"status\":\"pending\"}", 0, false, -1, "unexpected" },
	{ P_ACCT, "{\"status\":\"valid\",\"contact\":[]}", 0, false, 0, NULL },
	{ P_ACCT, "{\"status\":\"valid\",\"contact\":[42]}", 0, false, -1,
	    "\"contact[0]\": not a string" },
	{ P_ACCT, "{\"status\":\"valid\",\"contact\":[\"mailto:a b\"]}", 0,
	    false, -1, "contact[0]" },
	{ P_ACCT, "{\"status\":\"valid\",\"orders\":\"http://ca.test/o\"}", 0,
	    false, -1, "orders" },
	{ P_ACCT, "{\"status\":\"valid\",\"status\":\"valid\"}", 0, false, -1,
	    "duplicate" },

	{ P_ORDER, ORDER_ID("dns", "mx.example.org"), 0, false, 0, NULL },
	{ P_ORDER, ORDER_ID("dns", "*.example.org"), 0, false, 0, NULL },
	{ P_ORDER, ORDER_ID("dns", "MX-1.Example.ORG"), 0, false, 0, NULL },
	{ P_ORDER, ORDER_ID("dns", "localhost"), 0, false, 0, NULL },
	{ P_ORDER, ORDER_ID("dns", "a..b"), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "-a.b"), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "a-.b"), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "a.b."), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", ".a.b"), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "a_b.example"), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "a.*.example"), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "*.*.example"), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "*."), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", ""), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "a;rm -rf.example"), 0, false, -1,
	    "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "a\\nb.example"), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "b\xc3\xbc" "cher.example"), 0, false, -1,
	    "bad dns" },
	{ P_ORDER, ORDER_ID("dns", "xn--bcher-kva.example"), 0, false, 0,
	    NULL },
	{ P_ORDER, ORDER_ID("dns", LABEL63 ".b"), 0, false, 0, NULL },
	{ P_ORDER, ORDER_ID("dns", LABEL63 "a.b"), 0, false, -1, "bad dns" },
	{ P_ORDER, ORDER_ID("dns", LABEL63 "." LABEL63 "." LABEL63 "."
	    LABEL63), 0, false, -1, "longer than 253" },
	{ P_ORDER, ORDER_ID("dns", LABEL63 "." LABEL63 "." LABEL63 "."
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0,
	    false, 0, NULL },	/* 253 */
	{ P_ORDER, ORDER_ID("ip", "192.0.2.25"), 0, false, 0, NULL },
	{ P_ORDER, ORDER_ID("ip", "2001:db8::25"), 0, false, 0, NULL },
	{ P_ORDER, ORDER_ID("ip", "300.0.2.25"), 0, false, -1, "bad ip" },
	{ P_ORDER, ORDER_ID("ip", "192.0.2.25/32"), 0, false, -1, "bad ip" },
	{ P_ORDER, ORDER_ID("ip", "mx.example.org"), 0, false, -1, "bad ip" },
	{ P_ORDER, ORDER_ID("email", "a@example.org"), 0, false, -1,
	    "unsupported identifier type \"email\"" },
	{ P_ORDER, ORDER_ID("DNS", "a.example"), 0, false, -1, "unsupported" },
	{ P_ORDER, ORDER_ST("processing"), 0, false, 0, NULL },
	{ P_ORDER, ORDER_ST("expired"), 0, false, -1, "unexpected status" },
	{ P_ORDER, ORDER_ST("deactivated"), 0, false, -1, "unexpected" },
	{ P_ORDER, ORDER_ST("finished"), 0, false, -1,
	    "unknown status \"finished\"" },
	{ P_ORDER, ORDER_ST("valid\\u0000"), 0, false, -1, "NUL" },
	{ P_ORDER, "{\"status\":\"pending\",\"identifiers\":[],"
	    "\"authorizations\":[],\"finalize\":\"https://ca.test/f\"}", 0,
	    false, -1, "identifiers" },
	{ P_ORDER, "{\"status\":\"pending\",\"identifiers\":[\"a.example\"],"
	    "\"authorizations\":[],\"finalize\":\"https://ca.test/f\"}", 0,
	    false, -1, "\"identifiers[0]\": not an object" },
	{ P_ORDER, "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.example\"}],\"authorizations\":[\"http://ca.test/"
	    "z\"],\"finalize\":\"https://ca.test/f\"}", 0, false, -1,
	    "\"authorizations[0]\": not an https URL" },
	{ P_ORDER, "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.example\"}],\"authorizations\":[null],\"finalize\":"
	    "\"https://ca.test/f\"}", 0, false, -1, "authorizations[0]" },
	{ P_ORDER, "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.example\"}],\"authorizations\":[],\"finalize\":"
	    "\"https://ca.test/f\",\"profile\":\"bad name\"}", 0, false, -1,
	    "profile" },
	{ P_ORDER, "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.example\"}],\"authorizations\":[],\"finalize\":"
	    "\"https://ca.test/f\",\"error\":{\"status\":\"403\"}}", 0, false,
	    -1, "order: error: member \"status\": not an integer" },
	{ P_ORDER, "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.example\"}],\"authorizations\":[],\"finalize\":"
	    "\"https://ca.test/f\",\"expires\":\"tomorrow\"}", 0, false, -1,
	    "RFC 3339" },

	{ P_AUTHZ, AUTHZ_ID("dns", "example.org", "true"), 0, false, 0, NULL },
	{ P_AUTHZ, AUTHZ_ID("dns", "*.example.org", "true"), 0, false, -1,
	    "bad dns" },
	{ P_AUTHZ, AUTHZ_ID("dns", "*.example.org", "false"), 0, false, -1,
	    "bad dns" },
	{ P_AUTHZ, AUTHZ_ID("ip", "192.0.2.1", "false"), 0, false, 0, NULL },
	{ P_AUTHZ, AUTHZ_ID("ip", "192.0.2.1", "true"), 0, false, -1,
	    "wildcard" },
	{ P_AUTHZ, AUTHZ_ID("dns", "example.org", "1"), 0, false, -1,
	    "\"wildcard\": not a boolean" },
	{ P_AUTHZ, "{\"status\":\"expired\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"a.example\"},\"challenges\":[7]}", 0, false, -1,
	    "\"challenges[0]\": not an object" },
	{ P_AUTHZ, "{\"status\":\"ready\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"a.example\"},\"challenges\":[]}", 0, false, -1,
	    "unexpected status" },
	{ P_AUTHZ, "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"a.example\"},\"challenges\":[" CHALL("http-01", "")
	    "]}", 0, false, -1, "authz: challenges[0]: member \"token\": "
	    "missing" },

	{ P_CHALL, CHALL("http-01", ",\"token\":\"abc\""), 0, false, 0, NULL },
	{ P_CHALL, CHALL("dns-01", ",\"token\":\"a+b\""), 0, false, -1,
	    "not base64url" },
	{ P_CHALL, CHALL("dns-01", ",\"token\":\"a/b\""), 0, false, -1,
	    "not base64url" },
	{ P_CHALL, CHALL("tls-alpn-01", ",\"token\":\"abc=\""), 0, false, -1,
	    "not base64url" },
	{ P_CHALL, CHALL("http-01", ",\"token\":\"../../etc/passwd\""), 0,
	    false, -1, "not base64url" },
	{ P_CHALL, CHALL("http-01", ",\"token\":\"a b\""), 0, false, -1,
	    "not base64url" },
	{ P_CHALL, CHALL("http-01", ",\"token\":\"\""), 0, false, -1,
	    "not base64url" },
	{ P_CHALL, CHALL("http-01", ",\"token\":\"abc\\u0000\""), 0, false, -1,
	    "NUL" },
	{ P_CHALL, CHALL("http-01", ""), 0, false, -1, "\"token\": missing" },
	{ P_CHALL, CHALL("HTTP-01", ""), 0, false, 0, NULL },
	{ P_CHALL, CHALL("dns-persist-01", ",\"token\":42"), 0, false, 0,
	    NULL },
	{ P_CHALL, CHALL("", ""), 0, false, -1, "\"type\"" },
	{ P_CHALL, CHALL("http 01", ""), 0, false, -1, "\"type\"" },
	{ P_CHALL, CHALL("http-01", ",\"token\":\"abc\",\"status\":\"valid\""),
	    0, false, -1, "duplicate" },
	{ P_CHALL, "{\"type\":\"http-01\",\"url\":\"https://ca.test/c\","
	    "\"status\":\"deactivated\",\"token\":\"a\"}", 0, false, -1,
	    "unexpected status" },

	{ P_PROB, "{}", 0, false, 0, NULL },
	{ P_PROB, "{\"type\":\"\"}", 0, false, -1, "\"type\"" },
	{ P_PROB, "{\"type\":\"urn:a b\"}", 0, false, -1, "\"type\"" },
	{ P_PROB, "{\"status\":42}", 0, false, -1, "HTTP status" },
	{ P_PROB, "{\"status\":600}", 0, false, -1, "HTTP status" },
	{ P_PROB, "{\"status\":-400}", 0, false, -1, "HTTP status" },
	{ P_PROB, "{\"status\":99999999999999999999}", 0, false, -1, "JSON" },
	{ P_PROB, "{\"status\":400.0}", 0, false, -1, "not an integer" },
	{ P_PROB, "{\"detail\":\"a\\nb\\u001b[31m\"}", 0, false, 0, NULL },
	{ P_PROB, "{\"subproblems\":[{\"identifier\":{\"type\":\"dns\"}}]}", 0,
	    false, -1, "\"value\": missing" },
	{ P_PROB, "{\"subproblems\":[\"x\"]}", 0, false, -1,
	    "\"subproblems[0]\": not an object" },
	{ P_PROB, "{\"type\":\"urn:ietf:params:acme:error:badNonce\"}x", 0,
	    false, -1, "JSON" },
};

START_TEST(hostile)
{
	struct acme_err	 err;
	size_t		 len;
	int		 rc;

	len = cases[_i].len != 0 ? cases[_i].len : strlen(cases[_i].body);
	rc = parse(cases[_i].p, cases[_i].body, len, cases[_i].http, &err);
	ck_assert_msg(rc == cases[_i].rc, "%s: %s: rc %d (%s)",
	    pnames[cases[_i].p], cases[_i].body, rc, err.msg);
	if (rc == -1) {
		ck_assert_int_eq(err.kind, ACME_EPROTO);
		ck_assert_msg(strstr(err.msg, cases[_i].msg) != NULL,
		    "\"%s\" not in \"%s\"", cases[_i].msg, err.msg);
		ck_assert_ptr_nonnull(strstr(err.msg, pnames[cases[_i].p]));
	}
}
END_TEST

/* The parsers accept a NULL err and a NULL empty body. */
START_TEST(null_err)
{
	struct acme_order	 o;
	struct acme_problem	*p;

	ck_assert_int_eq(acme_json_order("{", 1, false, &o, NULL), -1);
	ck_assert_int_eq(acme_json_order(ORDER_ST("nope"),
	    strlen(ORDER_ST("nope")), false, &o, NULL), -1);
	ck_assert_int_eq(acme_json_problem(NULL, 0, &p, NULL), -1);
	ck_assert_ptr_null(p);
}
END_TEST

/* ---- RFC 3339 timestamps, through order.expires */

static const struct {
	const char	*ts;
	int		 rc;
	time_t		 t;
} stamps[] = {
	{ "2026-11-27T04:00:00Z", 0, 1795752000 },
	{ "2026-11-27t04:00:00z", 0, 1795752000 },
	{ "2026-11-27T05:00:00+01:00", 0, 1795752000 },
	{ "2026-11-26T22:30:00-05:30", 0, 1795752000 },
	{ "2026-11-27T04:00:00-00:00", 0, 1795752000 },
	{ "2026-11-27T04:00:00.5Z", 0, 1795752000 },
	{ "2026-11-27T04:00:00.123456789Z", 0, 1795752000 },
	{ "2026-11-27T04:00:00.999999999+00:00", 0, 1795752000 },
	{ "2028-02-29T00:00:00Z", 0, 1835395200 },
	{ "2026-11-27T03:59:60Z", 0, 1795752000 },	/* leap second */
	{ "1970-01-01T00:00:01Z", 0, 1 },
	{ "2026-11-27T04:00:00.1234567890Z", -1, 0 },
	{ "2026-11-27T04:00:00.Z", -1, 0 },
	{ "2026-11-27T04:00:00", -1, 0 },
	{ "2026-11-27 04:00:00Z", -1, 0 },
	{ "2026-11-27T04:00Z", -1, 0 },
	{ "2026-11-27", -1, 0 },
	{ "2026-02-29T00:00:00Z", -1, 0 },
	{ "2100-02-29T00:00:00Z", -1, 0 },
	{ "2026-04-31T00:00:00Z", -1, 0 },
	{ "2026-13-01T00:00:00Z", -1, 0 },
	{ "2026-00-01T00:00:00Z", -1, 0 },
	{ "2026-11-00T00:00:00Z", -1, 0 },
	{ "2026-11-27T24:00:00Z", -1, 0 },
	{ "2026-11-27T04:60:00Z", -1, 0 },
	{ "2026-11-27T04:00:61Z", -1, 0 },
	{ "2026-11-27T04:00:00+24:00", -1, 0 },
	{ "2026-11-27T04:00:00+01:60", -1, 0 },
	{ "2026-11-27T04:00:00+01", -1, 0 },
	{ "2026-11-27T04:00:00+0100", -1, 0 },
	{ "2026-11-27T04:00:00ZZ", -1, 0 },
	{ "2026-11-27T04:00:00Z ", -1, 0 },
	{ " 2026-11-27T04:00:00Z", -1, 0 },
	{ "+2026-11-27T04:00:00Z", -1, 0 },
	{ "2026-1-27T04:00:00Z", -1, 0 },
	{ "2026-11-27T4:00:00Z", -1, 0 },
	{ "2026-11-2aT04:00:00Z", -1, 0 },
	{ "1969-12-31T23:59:59Z", -1, 0 },
	{ "0000-01-01T00:00:00Z", -1, 0 },
	{ "", -1, 0 },
};

START_TEST(timestamps)
{
	struct acme_order	 o;
	struct acme_err		 err;
	char			 body[512];
	int			 n, rc;

	n = snprintf(body, sizeof(body), "{\"status\":\"valid\",\"expires\":"
	    "\"%s\",\"identifiers\":[{\"type\":\"dns\",\"value\":"
	    "\"a.example\"}],\"authorizations\":[],\"finalize\":"
	    "\"https://ca.test/f\"}",
	    stamps[_i].ts);
	ck_assert(n > 0 && (size_t)n < sizeof(body));
	rc = acme_json_order(body, (size_t)n, false, &o, &err);
	ck_assert_msg(rc == stamps[_i].rc, "%s: rc %d", stamps[_i].ts, rc);
	if (rc == 0)
		ck_assert_int_eq(o.expires, stamps[_i].t);
	else
		ck_assert_ptr_nonnull(strstr(err.msg, "\"expires\""));
	acme_order_clear(&o);
}
END_TEST

/* ---- limits: exactly at the limit passes, one more fails */

static char *
make_body(const char *pre, const char *fmt, size_t n, const char *post,
    size_t *len)
{
	size_t	 cap = strlen(pre) + strlen(post) + n * (strlen(fmt) + 48) + 1;
	size_t	 o, i;
	char	*b;
	int	 k;

	b = malloc(cap);
	ck_assert_ptr_nonnull(b);
	o = (size_t)snprintf(b, cap, "%s", pre);
	for (i = 0; i < n; i++) {
		if (i > 0)
			b[o++] = ',';
		k = snprintf(b + o, cap - o, fmt, i, i);
		ck_assert(k > 0 && (size_t)k < cap - o);
		o += (size_t)k;
	}
	k = snprintf(b + o, cap - o, "%s", post);
	ck_assert(k >= 0 && (size_t)k < cap - o);
	*len = o + (size_t)k;
	return b;
}

static const struct {
	enum parser	 p;
	const char	*pre;
	const char	*fmt;	/* one element, formatted with (i, i) */
	const char	*post;
	size_t		 max;
	const char	*msg;
} counts[] = {
	{ P_ORDER, "{\"status\":\"pending\",\"identifiers\":[{\"type\":\"dns\","
	    "\"value\":\"a.example\"}],\"finalize\":\"https://ca.test/f\","
	    "\"authorizations\":[", "\"https://ca.test/authz/%zu\"", "]}",
	    ACME_AUTHZ_MAX, "authorizations" },
	{ P_ORDER, "{\"status\":\"pending\",\"authorizations\":[],\"finalize\":"
	    "\"https://ca.test/f\",\"identifiers\":[", "{\"type\":\"dns\","
	    "\"value\":\"a%zu.example\"}", "]}", ACME_IDS_MAX, "identifiers" },
	{ P_AUTHZ, "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"a.example\"},\"challenges\":[", "{\"type\":\"x-%zu\","
	    "\"url\":\"https://ca.test/c/%zu\",\"status\":\"pending\"}", "]}",
	    ACME_CHALL_MAX, "challenges" },
	{ P_ACCT, "{\"status\":\"valid\",\"contact\":[",
	    "\"mailto:a%zu@example.org\"", "]}", ACME_CONTACT_MAX, "contact" },
	{ P_DIR, DIR_MIN("https://ca.test/n") ",\"meta\":{\"profiles\":{",
	    "\"p%zu\":\"profile %zu\"", "}}}", ACME_PROFILES_MAX, "profiles" },
	{ P_PROB, "{\"subproblems\":[", "{\"type\":\"t%zu\"}", "]}",
	    ACME_SUBPROBLEMS_MAX, "subproblems" },
};

START_TEST(count_limits)
{
	struct acme_err	 err;
	size_t		 len;
	char		*b;

	b = make_body(counts[_i].pre, counts[_i].fmt, counts[_i].max,
	    counts[_i].post, &len);
	ck_assert_msg(parse(counts[_i].p, b, len, false, &err) == 0, "%s",
	    err.msg);
	free(b);
	b = make_body(counts[_i].pre, counts[_i].fmt, counts[_i].max + 1,
	    counts[_i].post, &len);
	ck_assert_int_eq(parse(counts[_i].p, b, len, false, &err), -1);
	ck_assert_int_eq(err.kind, ACME_EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, counts[_i].msg));
	ck_assert_ptr_nonnull(strstr(err.msg, "entries"));
	free(b);
}
END_TEST

/* The whole body: ACME_JSON_MAX bytes pass, one more byte fails. */
START_TEST(body_limit)
{
	const char	*body = full[_i];
	struct acme_err	 err;
	size_t		 n = strlen(body);
	char		*b;

	b = malloc(ACME_JSON_MAX + 2);
	ck_assert_ptr_nonnull(b);
	memcpy(b, body, n);
	memset(b + n, ' ', ACME_JSON_MAX + 1 - n);
	b[ACME_JSON_MAX + 1] = '\0';
	ck_assert_int_eq(parse((enum parser)_i, b, ACME_JSON_MAX, false, &err),
	    0);
	ck_assert_int_eq(parse((enum parser)_i, b, ACME_JSON_MAX + 1, false,
	    &err), -1);
	ck_assert_int_eq(err.kind, ACME_EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "exceeds"));
	free(b);
}
END_TEST

/* Every proper prefix of a valid body is refused. */
START_TEST(truncated)
{
	const char	*body = full[_i];
	struct acme_err	 err;
	size_t		 n, len = strlen(body);

	ck_assert_int_eq(parse((enum parser)_i, body, len, false, &err), 0);
	for (n = 0; n < len; n++) {
		ck_assert_msg(parse((enum parser)_i, body, n, false,
		    &err) == -1, "%s: prefix of %zu bytes accepted",
		    pnames[_i], n);
		ck_assert_int_eq(err.kind, ACME_EPROTO);
	}
}
END_TEST

START_TEST(url_limit)
{
	struct acme_err	 err;
	char		*url, *b;
	size_t		 len;

	url = malloc(ACME_URL_MAX + 2);
	ck_assert_ptr_nonnull(url);
	memcpy(url, "https://ca.test/", 16);
	memset(url + 16, 'a', ACME_URL_MAX - 16);
	url[ACME_URL_MAX] = '\0';
	b = make_body("{\"status\":\"valid\",\"orders\":\"", url, 1, "\"}",
	    &len);
	ck_assert_msg(parse(P_ACCT, b, len, false, &err) == 0, "%s", err.msg);
	free(b);
	url[ACME_URL_MAX] = 'a';
	url[ACME_URL_MAX + 1] = '\0';
	b = make_body("{\"status\":\"valid\",\"orders\":\"", url, 1, "\"}",
	    &len);
	ck_assert_int_eq(parse(P_ACCT, b, len, false, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "longer than 2048"));
	free(b);
	free(url);
}
END_TEST

START_TEST(token_limit)
{
	struct acme_err	 err;
	char		 tok[ACME_TOKEN_MAX + 2], *b;
	size_t		 len;

	memset(tok, 'A', sizeof(tok) - 1);
	tok[ACME_TOKEN_MAX] = '\0';
	b = make_body("{\"type\":\"http-01\",\"url\":\"https://ca.test/c\","
	    "\"status\":\"pending\",\"token\":\"", tok, 1, "\"}", &len);
	ck_assert_int_eq(parse(P_CHALL, b, len, false, &err), 0);
	free(b);
	tok[ACME_TOKEN_MAX] = 'A';
	tok[ACME_TOKEN_MAX + 1] = '\0';
	b = make_body("{\"type\":\"http-01\",\"url\":\"https://ca.test/c\","
	    "\"status\":\"pending\",\"token\":\"", tok, 1, "\"}", &len);
	ck_assert_int_eq(parse(P_CHALL, b, len, false, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"token\": longer than"));
	free(b);
}
END_TEST

/* Nesting within jansson's depth limit is ignored; beyond it, refused. */
START_TEST(deep_nesting)
{
	static const size_t	 depth[] = { 100, 5000, 100000 };
	struct acme_err		 err;
	size_t			 d = depth[_i], i, o, len;
	char			*b;

	len = 40 + 2 * d;
	b = malloc(len);
	ck_assert_ptr_nonnull(b);
	o = (size_t)snprintf(b, len, "{\"status\":\"valid\",\"x\":");
	for (i = 0; i < d; i++)
		b[o++] = '[';
	for (i = 0; i < d; i++)
		b[o++] = ']';
	b[o++] = '}';
	ck_assert_int_eq(parse(P_ACCT, b, o, false, &err), d < 2048 ? 0 : -1);
	if (d >= 2048)
		ck_assert_int_eq(err.kind, ACME_EPROTO);
	/* unterminated */
	ck_assert_int_eq(parse(P_ACCT, b, o - d / 2, false, &err), -1);
	free(b);
}
END_TEST

/* ---- names */

static const struct {
	const char	*name;
	int		 code;
} reasons[] = {
	{ "unspecified", 0 },
	{ "keyCompromise", 1 },
	{ "cACompromise", 2 },
	{ "affiliationChanged", 3 },
	{ "superseded", 4 },
	{ "cessationOfOperation", 5 },
	{ "certificateHold", 6 },
	{ "removeFromCRL", 8 },
	{ "privilegeWithdrawn", 9 },
	{ "aACompromise", 10 },
	{ "keycompromise", -1 },
	{ "KeyCompromise", -1 },
	{ "keyCompromise ", -1 },
	{ "1", -1 },
	{ "", -1 },
	{ NULL, -1 },
};

START_TEST(reason_names)
{
	ck_assert_int_eq(acme_reason_parse(reasons[_i].name), reasons[_i].code);
}
END_TEST

START_TEST(status_names)
{
	ck_assert_str_eq(acme_status_name(ACME_ST_PENDING), "pending");
	ck_assert_str_eq(acme_status_name(ACME_ST_READY), "ready");
	ck_assert_str_eq(acme_status_name(ACME_ST_PROCESSING), "processing");
	ck_assert_str_eq(acme_status_name(ACME_ST_VALID), "valid");
	ck_assert_str_eq(acme_status_name(ACME_ST_INVALID), "invalid");
	ck_assert_str_eq(acme_status_name(ACME_ST_DEACTIVATED), "deactivated");
	ck_assert_str_eq(acme_status_name(ACME_ST_EXPIRED), "expired");
	ck_assert_str_eq(acme_status_name(ACME_ST_REVOKED), "revoked");
	ck_assert_str_eq(acme_status_name(ACME_ST_UNRECOGNIZED),
	    "unrecognized");
	ck_assert_str_eq(acme_status_name((enum acme_status)99),
	    "unrecognized");
}
END_TEST

/* ---- builders */

/* RFC 7638 §3.1 */
#define RFC7638_N	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4" \
	"cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64" \
	"tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY36" \
	"8QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrd" \
	"kt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csF" \
	"Cur-kEgU8awapJzKnqDKgw"
/* RFC 7517 appendix A.1 */
#define EC_X	"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"
#define EC_Y	"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"
#define EC_JWK	"{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" EC_X "\"," \
	"\"y\":\"" EC_Y "\"}"

START_TEST(jwk_canonical)
{
	unsigned char	 md[32], b64[64];
	struct acme_err	 err;
	unsigned int	 mdlen;
	char		*out;
	int		 i, n;

	ck_assert_int_eq(acme_json_jwk_rsa("AQAB", RFC7638_N, &out, &err), 0);
	ck_assert_str_eq(out, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\""
	    RFC7638_N "\"}");
	/* and so the RFC's thumbprint */
	ck_assert_int_eq(EVP_Digest(out, strlen(out), md, &mdlen, EVP_sha256(),
	    NULL), 1);
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	for (i = 0; i < n; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	while (n > 0 && b64[n - 1] == '=')
		b64[--n] = '\0';
	ck_assert_str_eq((char *)b64,
	    "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(out);

	ck_assert_int_eq(acme_json_jwk_ec("P-256", EC_X, EC_Y, &out, &err), 0);
	ck_assert_str_eq(out, EC_JWK);
	free(out);
	ck_assert_int_eq(acme_json_jwk_ec("P-256", NULL, EC_Y, &out, &err), -1);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(acme_json_jwk_rsa("AQAB", "\xff", &out, &err), -1);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
}
END_TEST

START_TEST(build_new_account)
{
	static const char *const contact[] = { "mailto:a@example.org",
	    "mailto:b@example.org" };
	static const char *const bad[] = { "mailto:a b@example.org" };
	struct acme_account_req	 req;
	struct acme_err		 err;
	char			*out;

	memset(&req, 0, sizeof(req));
	ck_assert_int_eq(acme_json_new_account(&req, NULL, &out, &err), 0);
	ck_assert_str_eq(out, "{}");
	free(out);

	req.contact = contact;
	req.ncontact = 2;
	req.tos_agreed = true;
	ck_assert_int_eq(acme_json_new_account(&req, NULL, &out, &err), 0);
	ck_assert_str_eq(out, "{\"termsOfServiceAgreed\":true,\"contact\":"
	    "[\"mailto:a@example.org\",\"mailto:b@example.org\"]}");
	free(out);

	req.only_existing = true;
	ck_assert_int_eq(acme_json_new_account(&req, "{\"protected\":\"cA\","
	    "\"payload\":\"eQ\",\"signature\":\"cw\"}", &out, &err), 0);
	ck_assert_str_eq(out, "{\"termsOfServiceAgreed\":true,\"contact\":"
	    "[\"mailto:a@example.org\",\"mailto:b@example.org\"],"
	    "\"onlyReturnExisting\":true,\"externalAccountBinding\":"
	    "{\"protected\":\"cA\",\"payload\":\"eQ\",\"signature\":\"cw\"}}");
	free(out);

	ck_assert_int_eq(acme_json_new_account(&req, "{\"a\":", &out, &err),
	    -1);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(acme_json_new_account(&req, "[1]", &out, &err), -1);
	ck_assert_int_eq(acme_json_new_account(&req, "{\"a\":1,\"a\":2}", &out,
	    &err), -1);
	req.contact = bad;
	req.ncontact = 1;
	ck_assert_int_eq(acme_json_new_account(&req, NULL, &out, &err), -1);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	req.contact = contact;
	req.ncontact = ACME_CONTACT_MAX + 1;
	ck_assert_int_eq(acme_json_new_account(&req, NULL, &out, &err), -1);
	ck_assert_int_eq(acme_json_new_account(NULL, NULL, &out, &err), -1);

	ck_assert_int_eq(acme_json_contact(contact, 1, &out, &err), 0);
	ck_assert_str_eq(out, "{\"contact\":[\"mailto:a@example.org\"]}");
	free(out);
	ck_assert_int_eq(acme_json_contact(NULL, 0, &out, &err), 0);
	ck_assert_str_eq(out, "{\"contact\":[]}");
	free(out);
	ck_assert_int_eq(acme_json_deactivate(&out, &err), 0);
	ck_assert_str_eq(out, "{\"status\":\"deactivated\"}");
	free(out);
}
END_TEST

START_TEST(build_new_order)
{
	struct acme_ident	 ids[3] = {
		{ ACME_ID_DNS, (char *)(uintptr_t)"mx.example.org" },
		{ ACME_ID_DNS, (char *)(uintptr_t)"*.example.org" },
		{ ACME_ID_IP, (char *)(uintptr_t)"2001:db8::25" },
	};
	struct acme_ident	 bad = { ACME_ID_DNS,
	    (char *)(uintptr_t)"a b.example" };
	struct acme_err		 err;
	char			*out;

	ck_assert_int_eq(acme_json_new_order(ids, 3, NULL, NULL, &out, &err),
	    0);
	ck_assert_str_eq(out, "{\"identifiers\":[{\"type\":\"dns\",\"value\":"
	    "\"mx.example.org\"},{\"type\":\"dns\",\"value\":"
	    "\"*.example.org\"},{\"type\":\"ip\",\"value\":"
	    "\"2001:db8::25\"}]}");
	free(out);
	ck_assert_int_eq(acme_json_new_order(ids, 1, "shortlived",
	    "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", &out, &err), 0);
	ck_assert_str_eq(out, "{\"identifiers\":[{\"type\":\"dns\",\"value\":"
	    "\"mx.example.org\"}],\"profile\":\"shortlived\",\"replaces\":"
	    "\"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE\"}");
	free(out);
	ck_assert_int_eq(acme_json_new_order(ids, 1, "", "", &out, &err), 0);
	ck_assert_str_eq(out, "{\"identifiers\":[{\"type\":\"dns\",\"value\":"
	    "\"mx.example.org\"}]}");
	free(out);

	ck_assert_int_eq(acme_json_new_order(ids, 0, NULL, NULL, &out, &err),
	    -1);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(acme_json_new_order(&bad, 1, NULL, NULL, &out, &err),
	    -1);
	ck_assert_int_eq(acme_json_new_order(ids, 1, "a b", NULL, &out, &err),
	    -1);
	ck_assert_int_eq(acme_json_new_order(ids, 1, NULL, "abc", &out, &err),
	    -1);
	ck_assert_int_eq(acme_json_new_order(ids, 1, NULL, "a+b.c", &out,
	    &err), -1);
	ck_assert_int_eq(acme_json_new_order(ids, 1, NULL, ".abc", &out, &err),
	    -1);
	ck_assert_int_eq(acme_json_new_order(ids, ACME_IDS_MAX + 1, NULL, NULL,
	    &out, &err), -1);
}
END_TEST

START_TEST(build_requests)
{
	struct acme_err	 err;
	char		*out;

	ck_assert_int_eq(acme_json_finalize("MIIBczCCARkCAQAw", &out, &err), 0);
	ck_assert_str_eq(out, "{\"csr\":\"MIIBczCCARkCAQAw\"}");
	free(out);
	ck_assert_int_eq(acme_json_finalize("MIIB+/==", &out, &err), -1);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_int_eq(acme_json_finalize(NULL, &out, &err), -1);

	ck_assert_int_eq(acme_json_revoke("MIIF", -1, &out, &err), 0);
	ck_assert_str_eq(out, "{\"certificate\":\"MIIF\"}");
	free(out);
	ck_assert_int_eq(acme_json_revoke("MIIF", 0, &out, &err), 0);
	ck_assert_str_eq(out, "{\"certificate\":\"MIIF\",\"reason\":0}");
	free(out);
	ck_assert_int_eq(acme_json_revoke("MIIF", acme_reason_parse(
	    "keyCompromise"), &out, &err), 0);
	ck_assert_str_eq(out, "{\"certificate\":\"MIIF\",\"reason\":1}");
	free(out);
	ck_assert_int_eq(acme_json_revoke("MIIF", 7, &out, &err), -1);
	ck_assert_int_eq(acme_json_revoke("MIIF", 11, &out, &err), -1);
	ck_assert_int_eq(acme_json_revoke("", 1, &out, &err), -1);

	ck_assert_int_eq(acme_json_key_change("https://ca.test/acct/1", EC_JWK,
	    &out, &err), 0);
	ck_assert_str_eq(out, "{\"account\":\"https://ca.test/acct/1\","
	    "\"oldKey\":" EC_JWK "}");
	free(out);
	ck_assert_int_eq(acme_json_key_change("https://ca.test/acct/1", "x",
	    &out, &err), -1);
	ck_assert_int_eq(acme_json_key_change(NULL, EC_JWK, &out, &err), -1);

	ck_assert_int_eq(acme_json_protected("ES256", EC_JWK, NULL,
	    "oFvnlFP1wIhRlYS2jTaXbA", "https://ca.test/new-acct", &out, &err),
	    0);
	ck_assert_str_eq(out, "{\"alg\":\"ES256\",\"jwk\":" EC_JWK ",\"nonce\":"
	    "\"oFvnlFP1wIhRlYS2jTaXbA\",\"url\":\"https://ca.test/new-acct\"}");
	free(out);
	ck_assert_int_eq(acme_json_protected("HS256", NULL,
	    "https://ca.test/eab/1", NULL, "https://ca.test/new-acct", &out,
	    &err), 0);
	ck_assert_str_eq(out, "{\"alg\":\"HS256\",\"kid\":\"https://ca.test/"
	    "eab/1\",\"url\":\"https://ca.test/new-acct\"}");
	free(out);
	ck_assert_int_eq(acme_json_protected("ES256", EC_JWK, "k", "n", "u",
	    &out, &err), -1);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_int_eq(acme_json_protected("ES256", NULL, NULL, "n", "u",
	    &out, &err), -1);
	ck_assert_int_eq(acme_json_protected("ES256", "{", NULL, "n", "u",
	    &out, &err), -1);
	ck_assert_int_eq(acme_json_protected("ES256", NULL, "k", "n", NULL,
	    &out, &err), -1);

	ck_assert_int_eq(acme_json_flattened("eyJh", "", "c2ln", &out, &err),
	    0);
	ck_assert_str_eq(out, "{\"protected\":\"eyJh\",\"payload\":\"\","
	    "\"signature\":\"c2ln\"}");
	free(out);
	ck_assert_int_eq(acme_json_flattened("eyJh", NULL, "c2ln", &out, &err),
	    -1);
	ck_assert_int_eq(err.kind, ACME_EUSAGE);
	ck_assert_ptr_null(out);
}
END_TEST

Suite *
json_suite(void)
{
	Suite	*s = suite_create("json");
	TCase	*tc = tcase_create("parse");
	TCase	*tb = tcase_create("build");

	tcase_add_test(tc, directory_le);
	tcase_add_test(tc, directory_pebble);
	tcase_add_test(tc, account_valid);
	tcase_add_test(tc, order_valid);
	tcase_add_test(tc, order_invalid_with_error);
	tcase_add_test(tc, authz_valid);
	tcase_add_test(tc, challenge_valid);
	tcase_add_test(tc, problem_valid);
	tcase_add_test(tc, problem_long_detail);
	tcase_add_loop_test(tc, member_types, 0, (int)NITEMS(members));
	tcase_add_loop_test(tc, hostile, 0, (int)NITEMS(cases));
	tcase_add_test(tc, null_err);
	tcase_add_loop_test(tc, timestamps, 0, (int)NITEMS(stamps));
	tcase_add_loop_test(tc, count_limits, 0, (int)NITEMS(counts));
	tcase_add_loop_test(tc, body_limit, 0, P_COUNT);
	tcase_add_loop_test(tc, truncated, 0, P_COUNT);
	tcase_add_test(tc, url_limit);
	tcase_add_test(tc, token_limit);
	tcase_add_loop_test(tc, deep_nesting, 0, 3);
	tcase_add_loop_test(tc, reason_names, 0, (int)NITEMS(reasons));
	tcase_add_test(tc, status_names);
	suite_add_tcase(s, tc);
	tcase_add_test(tb, jwk_canonical);
	tcase_add_test(tb, build_new_account);
	tcase_add_test(tb, build_new_order);
	tcase_add_test(tb, build_requests);
	suite_add_tcase(s, tb);
	return s;
}
