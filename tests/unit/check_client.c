/*
 * check_client.c - the ACME request engine (acme/client.c, account.c,
 * order.c) against canned server replies through struct acme_transport:
 * badNonce retry, rateLimited/503 with Retry-After, problem documents,
 * wrong content types, Location checks, polling hints, alternate chains.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme.h"
#include "issue.h"

#define DIRURL	"https://ca.test/dir"
#define DIRBODY	"{\"newNonce\":\"https://ca.test/nonce\"," \
	"\"newAccount\":\"https://ca.test/acct\"," \
	"\"newOrder\":\"https://ca.test/order\"," \
	"\"revokeCert\":\"https://ca.test/revoke\"," \
	"\"keyChange\":\"https://ca.test/key\"}"

struct canned {
	long		 status;
	const char	*ctype;
	const char	*location;
	const char	*retry_after;
	const char	*link;
	const char	*body;		/* NULL: "" */
	int		 fail;		/* transport error, no HTTP answer */
};

struct fake {
	const struct canned	*r;
	size_t			 n, next;
	char			 methods[32][8];
	char			 urls[32][64];
	unsigned		 nonce;
};

static int
fake_request(void *arg, const struct acme_http_req *req,
    struct acme_http_resp *resp, struct acme_err *err)
{
	struct fake		*f = arg;
	const struct canned	*c;
	char			 nonce[32];

	ck_assert_uint_lt(f->next, f->n);	/* no unexpected request */
	c = &f->r[f->next];
	snprintf(f->methods[f->next], sizeof(f->methods[0]), "%s",
	    req->method);
	snprintf(f->urls[f->next], sizeof(f->urls[0]), "%s", req->url);
	f->next++;
	if (c->fail) {
		memset(err, 0, sizeof(*err));
		err->kind = ACME_ENET;
		snprintf(err->msg, sizeof(err->msg), "%s: refused", req->url);
		return -1;
	}
	resp->status = c->status;
	snprintf(nonce, sizeof(nonce), "nonce%u", f->nonce++);
	/* RFC 8555 §6.5: nonces come with HEAD newNonce and POST replies */
	if (strcmp(req->method, "GET") != 0)
		resp->replay_nonce = strdup(nonce);
	resp->content_type = c->ctype != NULL ? strdup(c->ctype) : NULL;
	resp->location = c->location != NULL ? strdup(c->location) : NULL;
	resp->retry_after = c->retry_after != NULL ?
	    strdup(c->retry_after) : NULL;
	if (c->link != NULL) {
		resp->links = calloc(1, sizeof(char *));
		resp->links[0] = strdup(c->link);
		resp->nlinks = 1;
	}
	resp->body = (unsigned char *)strdup(c->body != NULL ? c->body : "");
	resp->len = strlen((char *)resp->body);
	return 0;
}

static struct fake	 fk;
static EVP_PKEY		*key;
static struct acme_signer *signer;

static struct acme_client *
client_with(const struct canned *r, size_t n)
{
	struct acme_transport	 tr = { fake_request, NULL, &fk };
	struct acme_client	*c;

	memset(&fk, 0, sizeof(fk));
	fk.r = r;
	fk.n = n;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(key);
	signer = acme_signer_new(key, NULL);
	ck_assert_ptr_nonnull(signer);
	c = acme_client_new(DIRURL, &tr, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(acme_client_set_account(c, signer, NULL, NULL), 0);
	return c;
}

static void
done(struct acme_client *c)
{
	acme_client_free(c);
	acme_signer_free(signer);
	EVP_PKEY_free(key);
}

#define J	"application/json"
#define P	"application/problem+json"
#define D	{ 200, J, NULL, NULL, NULL, DIRBODY, 0 }
#define NONCE	{ 200, NULL, NULL, NULL, NULL, NULL, 0 }
#define ACCT	"{\"status\":\"valid\",\"contact\":[\"mailto:a@b.test\"]}"
#define BADNONCE "{\"type\":\"urn:ietf:params:acme:error:badNonce\"," \
	"\"detail\":\"stale\"}"

START_TEST(badnonce_retried_once)
{
	static const struct canned r[] = {
		D, NONCE,
		{ 400, P, NULL, NULL, NULL, BADNONCE, 0 },
		{ 201, J, "https://ca.test/acct/1", NULL, NULL, ACCT, 0 },
	};
	struct acme_client	*c = client_with(r, 4);
	struct acme_account_req	 req = { 0 };
	struct acme_account	 a;
	struct acme_err		 e;

	req.tos_agreed = true;
	if (acme_account_register(c, &req, &a, &e) != 0)
		ck_abort_msg("%s", e.msg);
	ck_assert_str_eq(a.url, "https://ca.test/acct/1");
	ck_assert_str_eq(acme_client_kid(c), "https://ca.test/acct/1");
	ck_assert_uint_eq(acme_client_badnonce_count(c), 1);
	ck_assert_str_eq(fk.methods[1], "HEAD");
	ck_assert_uint_eq(fk.next, 4);
	acme_account_clear(&a);
	done(c);
}
END_TEST

START_TEST(badnonce_five_times_fails)
{
	static const struct canned r[] = {
		D, NONCE,
		{ 400, P, NULL, NULL, NULL, BADNONCE, 0 },
		{ 400, P, NULL, NULL, NULL, BADNONCE, 0 },
		{ 400, P, NULL, NULL, NULL, BADNONCE, 0 },
		{ 400, P, NULL, NULL, NULL, BADNONCE, 0 },
		{ 400, P, NULL, NULL, NULL, BADNONCE, 0 },
	};
	struct acme_client	*c = client_with(r, 7);
	struct acme_account_req	 req = { 0 };
	struct acme_account	 a;
	struct acme_err		 e;

	ck_assert_int_eq(acme_account_register(c, &req, &a, &e), -1);
	ck_assert_int_eq(e.kind, ACME_ETEMP);	/* exit 75: retry later */
	ck_assert_str_eq(e.type, "urn:ietf:params:acme:error:badNonce");
	ck_assert_uint_eq(fk.next, 7);		/* 1 + 4 retries, no more */
	done(c);
}
END_TEST

/* table: one reply to newOrder and what the caller must see */
static const struct {
	struct canned	 reply;
	int		 kind;
	time_t		 retry_after;
	const char	*msg;	/* substring of the message */
} errs[] = {
	{ { 429, P, NULL, "120", NULL, "{\"type\":\"urn:ietf:params:acme:"
	    "error:rateLimited\",\"detail\":\"too many\"}", 0 }, ACME_ETEMP,
	    120, "rateLimited: too many (retry after 120 s)" },
	{ { 503, "text/html", NULL, "30", NULL, "<html>busy</html>", 0 },
	    ACME_ETEMP, 30, "HTTP 503" },
	{ { 400, P, NULL, NULL, NULL, "{\"type\":\"urn:ietf:params:acme:"
	    "error:rejectedIdentifier\",\"detail\":\"no\","
	    "\"subproblems\":[{\"type\":\"urn:ietf:params:acme:error:"
	    "caa\",\"detail\":\"CAA forbids\",\"identifier\":{\"type\":"
	    "\"dns\",\"value\":\"mx.example.org\"}}]}", 0 }, ACME_ESERVER,
	    0, "urn:ietf:params:acme:error:rejectedIdentifier: no "
	    "[mx.example.org: urn:ietf:params:acme:error:caa: CAA forbids]" },
	{ { 400, P, NULL, NULL, NULL, "{\"type\":\"urn:x\",\"detail\":"
	    "\"evil\\u001b[31mred\"}", 0 }, ACME_ESERVER, 0,
	    "urn:x: evil\\x1b[31mred" },
	{ { 400, P, NULL, NULL, NULL, "{broken", 0 }, ACME_EPROTO, 0,
	    "HTTP 400" },
	{ { 201, "text/html", "https://ca.test/o/1", NULL, NULL, "<html>",
	    0 }, ACME_EPROTO, 0, "not application/json" },
	{ { 201, J, NULL, NULL, NULL, "{}", 0 }, ACME_EPROTO, 0,
	    "no Location" },
	{ { 201, J, "http://ca.test/o/1", NULL, NULL, "{}", 0 }, ACME_EPROTO,
	    0, "bad Location" },
	{ { 201, J, "https://ca.test/o/1", NULL, NULL, "{\"status\":"
	    "\"weird\"}", 0 }, ACME_EPROTO, 0, "order" },
	{ { 0, NULL, NULL, NULL, NULL, NULL, 1 }, ACME_ENET, 0, "refused" },
};

START_TEST(order_errors)
{
	struct canned		 r[3] = { D, NONCE };
	struct acme_client	*c;
	struct acme_ident	 id = { ACME_ID_DNS, (char *)"mx.example.org" };
	struct acme_order	 o;
	struct acme_err		 e;

	r[2] = errs[_i].reply;
	c = client_with(r, 3);
	ck_assert_int_eq(acme_client_set_account(c, signer, "https://ca.test/"
	    "acct/1", NULL), 0);
	ck_assert_int_eq(acme_order_new(c, &id, 1, NULL, NULL, &o, &e), -1);
	ck_assert_int_eq(e.kind, errs[_i].kind);
	ck_assert_int_eq(e.retry_after, errs[_i].retry_after);
	if (strstr(e.msg, errs[_i].msg) == NULL)
		ck_abort_msg("message \"%s\" lacks \"%s\"", e.msg, errs[_i].msg);
	ck_assert_ptr_null(o.url);
	done(c);
}
END_TEST

#define ORDER(st) "{\"status\":\"" st "\",\"identifiers\":[{\"type\":\"dns\"," \
	"\"value\":\"mx.example.org\"}],\"authorizations\":[\"https://ca.test/" \
	"az/1\"],\"finalize\":\"https://ca.test/fin/1\"" \
	",\"certificate\":\"https://ca.test/cert/1\"}"

START_TEST(poll_hint_and_profile)
{
	static const struct canned r[] = {
		D, NONCE,
		{ 200, J, NULL, "3", NULL, ORDER("processing"), 0 },
	};
	struct acme_client	*c = client_with(r, 3);
	struct acme_ident	 id = { ACME_ID_DNS, (char *)"mx.example.org" };
	struct acme_order	 o;
	struct acme_err		 e;

	ck_assert_int_eq(acme_client_set_account(c, signer, "https://ca.test/"
	    "acct/1", NULL), 0);
	/* the directory lists no profiles: refused before any request */
	ck_assert_int_eq(acme_order_new(c, &id, 1, "shortlived", NULL, &o,
	    &e), -1);
	ck_assert_int_eq(e.kind, ACME_EUSAGE);
	ck_assert_int_eq(acme_order_get(c, "https://ca.test/o/1", &o, &e), 0);
	ck_assert_int_eq(o.status, ACME_ST_PROCESSING);
	ck_assert_int_eq(o.retry_after, 3);
	ck_assert_str_eq(o.url, "https://ca.test/o/1");
	ck_assert_str_eq(fk.methods[2], "POST");
	acme_order_clear(&o);
	done(c);
}
END_TEST

static char *
selfsigned(const char *cn)
{
	X509		*x = X509_new();
	EVP_PKEY	*k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_NAME	*n = X509_NAME_new();
	BIO		*b = BIO_new(BIO_s_mem());
	char		*p, *out;
	long		 len;

	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	PEM_write_bio_X509(b, x);
	len = BIO_get_mem_data(b, &p);
	out = strndup(p, (size_t)len);
	BIO_free(b);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

START_TEST(download_alternates)
{
	char			*a = selfsigned("Root A"), *b = selfsigned("Root B");
	struct canned		 r[5] = { D, NONCE };
	struct acme_client	*c;
	struct acme_chain	*ch;
	size_t			 n;
	struct acme_err		 e;

	r[2] = (struct canned){ 200, "application/pem-certificate-chain",
	    NULL, NULL, "<https://ca.test/cert/1/1>;rel=\"alternate\", "
	    "<https://ca.test/dir>;rel=\"index\", <http://ca.test/x>;"
	    "rel=\"alternate\"", a, 0 };
	r[3] = (struct canned){ 200, "application/pem-certificate-chain",
	    NULL, NULL, NULL, b, 0 };
	c = client_with(r, 4);
	ck_assert_int_eq(acme_client_set_account(c, signer, "https://ca.test/"
	    "acct/1", NULL), 0);
	ck_assert_int_eq(acme_cert_download(c, "https://ca.test/cert/1", &ch,
	    &n, &e), 0);
	ck_assert_uint_eq(n, 2);	/* the http:// alternate is refused */
	ck_assert_str_eq(fk.urls[3], "https://ca.test/cert/1/1");
	ck_assert_int_eq(acme_chain_pick(ch, n, "Root B"), 1);
	ck_assert_int_eq(acme_chain_pick(ch, n, "Root A"), 0);
	ck_assert_int_eq(acme_chain_pick(ch, n, "Root C"), -1);
	acme_chains_free(ch, n);
	done(c);
	free(a);
	free(b);
}
END_TEST

START_TEST(download_not_pem)
{
	static const struct canned r[] = {
		D, NONCE,
		{ 200, "application/pem-certificate-chain", NULL, NULL, NULL,
		    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE"
		    "-----\n", 0 },
	};
	struct acme_client	*c = client_with(r, 3);
	struct acme_chain	*ch;
	size_t			 n;
	struct acme_err		 e;

	ck_assert_int_eq(acme_client_set_account(c, signer, "https://ca.test/"
	    "acct/1", NULL), 0);
	ck_assert_int_eq(acme_cert_download(c, "https://ca.test/cert/1", &ch,
	    &n, &e), -1);
	ck_assert_int_eq(e.kind, ACME_EPROTO);
	done(c);
}
END_TEST

START_TEST(eab_required)
{
	static const struct canned r[] = {
		{ 200, J, NULL, NULL, NULL, "{\"newNonce\":\"https://ca.test/n\","
		    "\"newAccount\":\"https://ca.test/a\",\"newOrder\":"
		    "\"https://ca.test/o\",\"revokeCert\":\"https://ca.test/r\","
		    "\"keyChange\":\"https://ca.test/k\",\"meta\":{"
		    "\"externalAccountRequired\":true}}", 0 },
	};
	struct acme_client	*c = client_with(r, 1);
	struct acme_account_req	 req = { 0 };
	struct acme_account	 a;
	struct acme_err		 e;

	ck_assert_int_eq(acme_account_register(c, &req, &a, &e), -1);
	ck_assert_int_eq(e.kind, ACME_EUSAGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "externalAccountRequired"));
	done(c);
}
END_TEST

/* issue_poll_delay(attempt, retry_after, now, deadline) */
static const struct {
	unsigned	 attempt;
	long		 ra, now, deadline, want;
} delays[] = {
	{ 0, 0, 0, 100000, ISSUE_POLL_FIRST_MS },
	{ 1, 0, 0, 100000, 2 * ISSUE_POLL_FIRST_MS },
	{ 3, 0, 0, 100000, 8 * ISSUE_POLL_FIRST_MS },
	{ 30, 0, 0, 100000, ISSUE_POLL_MAX_MS },
	{ 0, 5, 0, 100000, 5000 },			/* Retry-After wins */
	{ 0, 3600, 0, 1000000, ISSUE_RETRY_AFTER_MAX * 1000 }, /* capped */
	{ 0, 5, 0, 1000, 1000 },			/* not past deadline */
	{ 0, 0, 1000, 1000, -1 },			/* deadline passed */
};

START_TEST(poll_delay)
{
	ck_assert_int_eq(issue_poll_delay(delays[_i].attempt, delays[_i].ra,
	    delays[_i].now, delays[_i].deadline), delays[_i].want);
}
END_TEST

Suite *
client_suite(void)
{
	Suite	*s = suite_create("client");
	TCase	*tc = tcase_create("engine");

	tcase_add_test(tc, badnonce_retried_once);
	tcase_add_test(tc, badnonce_five_times_fails);
	tcase_add_loop_test(tc, order_errors, 0, sizeof(errs) /
	    sizeof(errs[0]));
	tcase_add_test(tc, poll_hint_and_profile);
	tcase_add_test(tc, download_alternates);
	tcase_add_test(tc, download_not_pem);
	tcase_add_test(tc, eab_required);
	tcase_add_loop_test(tc, poll_delay, 0, sizeof(delays) /
	    sizeof(delays[0]));
	suite_add_tcase(s, tc);
	return s;
}
