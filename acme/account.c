/*
 * account.c - ACME account resources (RFC 8555 §7.3): newAccount with
 * optional External Account Binding, fetch, contact update, deactivation
 * and key rollover. Replies are untrusted and parsed by json.c.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

static int
account_reply(struct acme_client *c, const char *what,
    struct acme_http_resp *r, struct acme_account *a, struct acme_err *err)
{
	if (client_expect_json(what, r, err) == -1 ||
	    acme_json_account(r->body, r->len, c->allow_http, a, err) == -1)
		return -1;
	return 0;
}

int
acme_account_register(struct acme_client *c,
    const struct acme_account_req *req, struct acme_account *a,
    struct acme_err *err)
{
	const struct acme_directory	*d;
	struct acme_http_resp		 r;
	char				*eab = NULL, *body = NULL, *url = NULL;
	int				 rc = -1;

	memset(a, 0, sizeof(*a));
	memset(&r, 0, sizeof(r));
	if (c->signer == NULL)
		return acme_err_set(err, ACME_EUSAGE, "account: no key");
	if (acme_client_directory(c, &d, err) == -1)
		return -1;
	if ((req->eab_kid == NULL) != (req->eab_key == NULL))
		return acme_err_set(err, ACME_EUSAGE,
		    "account: EAB needs both a key id and a key");
	if (d->eab_required && req->eab_kid == NULL && !req->only_existing)
		return acme_err_set(err, ACME_EUSAGE, "account: the CA "
		    "requires External Account Binding "
		    "(externalAccountRequired): give an EAB key id and key");
	if (req->eab_kid != NULL && acme_jws_eab(req->eab_kid, req->eab_key,
	    acme_signer_jwk(c->signer), d->new_account, &eab, err) == -1)
		return -1;
	if (acme_json_new_account(req, eab, &body, err) == -1)
		goto out;
	/* §7.3: newAccount is signed with the jwk, not a kid */
	if (client_post(c, d->new_account, "newAccount", body, c->signer, &r,
	    err) == -1)
		goto out;
	if (client_location(c, "newAccount", &r, &url, err) == -1 ||
	    account_reply(c, "newAccount", &r, a, err) == -1)
		goto out;
	a->url = url;
	url = NULL;
	if (acme_client_set_account(c, c->signer, a->url, err) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		acme_account_clear(a);
	free(url);
	free(eab);
	free(body);
	acme_http_resp_clear(&r);
	return rc;
}

static int
account_post(struct acme_client *c, const char *what, const char *payload,
    struct acme_account *a, struct acme_err *err)
{
	struct acme_http_resp	 r;
	int			 rc = -1;

	memset(a, 0, sizeof(*a));
	if (c->kid == NULL)
		return acme_err_set(err, ACME_EUSAGE, "%s: no account URL",
		    what);
	if (client_post(c, c->kid, what, payload, NULL, &r, err) == -1)
		return -1;
	if (account_reply(c, what, &r, a, err) == -1)
		goto out;
	if ((a->url = strdup(c->kid)) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "%s", what);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		acme_account_clear(a);
	acme_http_resp_clear(&r);
	return rc;
}

int
acme_account_fetch(struct acme_client *c, struct acme_account *a,
    struct acme_err *err)
{
	return account_post(c, "account", NULL, a, err);
}

int
acme_account_update(struct acme_client *c, const char *const *contact,
    size_t n, struct acme_account *a, struct acme_err *err)
{
	char	*body = NULL;
	int	 rc;

	memset(a, 0, sizeof(*a));
	if (acme_json_contact(contact, n, &body, err) == -1)
		return -1;
	rc = account_post(c, "account update", body, a, err);
	free(body);
	return rc;
}

int
acme_account_deactivate(struct acme_client *c, struct acme_account *a,
    struct acme_err *err)
{
	char	*body = NULL;
	int	 rc;

	memset(a, 0, sizeof(*a));
	if (acme_json_deactivate(&body, err) == -1)
		return -1;
	rc = account_post(c, "account deactivation", body, a, err);
	free(body);
	return rc;
}

int
acme_account_key_change(struct acme_client *c, struct acme_signer *newkey,
    struct acme_err *err)
{
	const struct acme_directory	*d;
	struct acme_http_resp		 r;
	char				*payload = NULL, *inner = NULL;
	int				 rc = -1;

	memset(&r, 0, sizeof(r));
	if (c->kid == NULL || c->signer == NULL)
		return acme_err_set(err, ACME_EUSAGE, "keyChange: no account");
	if (acme_client_directory(c, &d, err) == -1)
		return -1;
	/* §7.3.5: inner JWS signed by the new key (jwk, no nonce), the
	 * outer one by the old key (kid) */
	if (acme_json_key_change(c->kid, acme_signer_jwk(c->signer), &payload,
	    err) == -1 ||
	    acme_jws_sign(newkey, d->key_change, NULL, NULL, payload,
	    strlen(payload), &inner, err) == -1)
		goto out;
	if (client_post(c, d->key_change, "keyChange", inner, NULL, &r,
	    err) == -1)
		goto out;
	c->signer = newkey;
	rc = 0;
out:
	free(payload);
	free(inner);
	acme_http_resp_clear(&r);
	return rc;
}
