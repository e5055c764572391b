/*
 * fuzz_acme_json.c - libFuzzer target for the ACME JSON parsers
 * (acme/json.c): the input goes to every parser, with and without
 * allow_http; what they accept is checked against their promises (URL
 * schemes and bounds, base64url tokens, cleared output on failure).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acme_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
need(bool cond)
{
	if (!cond)
		abort();
}

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

static void
check_url(const char *u, bool http)
{
	if (u == NULL)
		return;
	need(strlen(u) <= ACME_URL_MAX);
	need(strncmp(u, "https://", 8) == 0 ||
	    (http && strncmp(u, "http://", 7) == 0));
	need(strpbrk(u, " \t\r\n") == NULL);
}

static void
check_status(enum acme_status st)
{
	need(st != ACME_ST_UNRECOGNIZED);
	need(strcmp(acme_status_name(st), "unrecognized") != 0);
}

static void
check_problem(const struct acme_problem *p)
{
	struct acme_err	 err;
	size_t		 i;

	if (p == NULL)
		return;
	need(p->type != NULL);
	need(p->detail == NULL || strlen(p->detail) <= ACME_TEXT_MAX);
	need(p->nsub <= ACME_SUBPROBLEMS_MAX);
	for (i = 0; i < p->nsub; i++)
		need(p->sub[i].type != NULL);
	/* what the client does with a problem: a bounded message */
	need(acme_err_problem(&err, p, 400, 0, "fuzz") == -1);
	need(strlen(err.msg) < sizeof(err.msg));
}

static void
check_challenge(const struct acme_challenge *c, bool http)
{
	need(c->type_name != NULL);
	check_url(c->url, http);
	check_status(c->status);
	if (c->type == ACME_CH_OTHER)
		need(c->token == NULL);
	else
		need(c->token != NULL && strlen(c->token) <= ACME_TOKEN_MAX &&
		    acme_b64url_is_valid(c->token, strlen(c->token)));
	check_problem(c->error);
}

static void
one_pass(const uint8_t *data, size_t size, bool http)
{
	struct acme_directory	 d;
	struct acme_account	 a;
	struct acme_order	 o;
	struct acme_authz	 z;
	struct acme_challenge	 c;
	struct acme_err		 err;
	size_t			 i;

	if (acme_json_directory(data, size, http, &d, &err) == 0) {
		need(d.new_nonce != NULL && d.new_account != NULL &&
		    d.new_order != NULL && d.revoke_cert != NULL &&
		    d.key_change != NULL);
		check_url(d.new_nonce, http);
		check_url(d.new_authz, http);
		check_url(d.renewal_info, http);
		need(d.nprofiles <= ACME_PROFILES_MAX);
	} else {
		need(all_zero(&d, sizeof(d)));
	}
	acme_directory_clear(&d);

	if (acme_json_account(data, size, http, &a, &err) == 0) {
		check_status(a.status);
		need(a.url == NULL && a.ncontact <= ACME_CONTACT_MAX);
		check_url(a.orders, http);
	} else {
		need(all_zero(&a, sizeof(a)));
	}
	acme_account_clear(&a);

	if (acme_json_order(data, size, http, &o, &err) == 0) {
		check_status(o.status);
		need(o.nids >= 1 && o.nids <= ACME_IDS_MAX);
		need(o.nauthz <= ACME_AUTHZ_MAX);
		for (i = 0; i < o.nids; i++)
			need(o.ids[i].value != NULL);
		for (i = 0; i < o.nauthz; i++)
			check_url(o.authz[i], http);
		need(o.finalize != NULL);
		check_url(o.finalize, http);
		check_url(o.certificate, http);
		check_problem(o.error);
	} else {
		need(all_zero(&o, sizeof(o)));
	}
	acme_order_clear(&o);

	if (acme_json_authz(data, size, http, &z, &err) == 0) {
		check_status(z.status);
		need(z.ident.value != NULL);
		need(!z.wildcard || z.ident.type == ACME_ID_DNS);
		need(z.nchall <= ACME_CHALL_MAX);
		for (i = 0; i < z.nchall; i++)
			check_challenge(&z.chall[i], http);
	} else {
		need(all_zero(&z, sizeof(z)));
	}
	acme_authz_clear(&z);

	if (acme_json_challenge(data, size, http, &c, &err) == 0)
		check_challenge(&c, http);
	else
		need(all_zero(&c, sizeof(c)));
	acme_challenge_clear(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_problem	*p = NULL;
	struct acme_err		 err;

	one_pass(data, size, false);
	one_pass(data, size, true);
	if (acme_json_problem(data, size, &p, &err) == 0)
		check_problem(p);
	else
		need(p == NULL);
	acme_problem_free(p);
	return 0;
}
