/*
 * acct.c - loading, registering and saving the ACME account of the
 * configured directory. The account key never leaves keys.c, the signer
 * and the state directory.
 */
#include "acct.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "log.h"
#include "util.h"

static void
acme_log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level == ACME_LOG_DEBUG)
		log_debug("acme: %s", msg);
	else if (level == ACME_LOG_INFO)
		log_info("acme: %s", msg);
	else
		log_warnx("acme: %s", msg);
}

int
acct_init(struct acct *a, const struct opts *o, struct cd_err *err)
{
	struct acme_http_opts	 co;
	struct acme_transport	 tr;
	struct acme_err		 ae;

	memset(a, 0, sizeof(*a));
	a->server = o->server != NULL ? o->server : ACCT_DEFAULT_SERVER;
	if (strncmp(a->server, "https://", 8) != 0 ||
	    strlen(a->server) > ACME_URL_MAX)
		return cd_err_set(err, CD_ECONFIG, "%s: the ACME server must "
		    "be an https:// URL", a->server);
	/* the transport would report a missing bundle only when it first
	 * connects, as an unreachable server: name the real cause now */
	if (o->ca_bundle != NULL && access(o->ca_bundle, R_OK) == -1) {
		cd_err_sys(err, "ca_bundle %s", o->ca_bundle);
		if (err != NULL)
			err->kind = CD_ECONFIG;
		return -1;
	}
	memset(&co, 0, sizeof(co));
	co.ca_bundle = o->ca_bundle;
	co.timeout = o->timeout > 0 ? (long)o->timeout : 30;
	co.connect_timeout = co.timeout < 10 ? co.timeout : 10;
	co.user_agent = "certd/" CERTD_VERSION;
	if (acme_transport_http(&co, &tr, &ae) == -1 ||
	    (a->client = acme_client_new(a->server, &tr, &ae)) == NULL)
		return cd_err_from_acme(err, &ae, "%s", a->server);
	acme_client_set_log(a->client, acme_log, NULL);
	return 0;
}

static int
use_key(struct acct *a, EVP_PKEY *key, const char *kid, struct cd_err *err)
{
	struct acme_err		 ae;
	struct acme_signer	*s;

	if ((s = acme_signer_new(key, &ae)) == NULL)
		return cd_err_from_acme(err, &ae, "account key");
	if (acme_client_set_account(a->client, s, kid, &ae) == -1) {
		acme_signer_free(s);
		return cd_err_from_acme(err, &ae, "account");
	}
	acme_signer_free(a->signer);
	EVP_PKEY_free(a->key);
	a->signer = s;
	a->key = key;
	return 0;
}

int
acct_load(struct acct *a, struct store *st, struct cd_err *err)
{
	EVP_PKEY	*key;
	char		*pem = NULL;
	size_t		 len = 0;
	const char	*url;

	if (store_account_load(st, a->server, &a->kv, &pem, &len, err) == -1)
		return -1;
	key = keys_from_pem(pem, len, err);
	keys_pem_free(pem, len);
	if (key == NULL)
		return -1;
	if ((url = store_kv_get(&a->kv, "url")) == NULL) {
		EVP_PKEY_free(key);
		return cd_err_set(err, CD_EPROTO, "%s: account.conf has no url",
		    a->server);
	}
	if (use_key(a, key, url, err) == -1) {
		EVP_PKEY_free(key);
		return -1;
	}
	a->stored = true;
	return 0;
}

int
acct_kv_set(struct store_kv *kv, const char *key, const char *val,
    struct cd_err *err)
{
	struct store_kv	 n;
	size_t		 i;
	int		 done = 0;

	/* rebuild without the old values of key, keeping the order */
	memset(&n, 0, sizeof(n));
	for (i = 0; i < kv->n; i++) {
		if (strcmp(kv->key[i], key) == 0) {
			if (done || val == NULL)
				continue;
			if (store_kv_add(&n, key, val, err) == -1)
				goto fail;
			done = 1;
		} else if (store_kv_add(&n, kv->key[i], kv->val[i], err) == -1)
			goto fail;
	}
	if (!done && val != NULL && store_kv_add(&n, key, val, err) == -1)
		goto fail;
	store_kv_clear(kv);
	*kv = n;
	return 0;
fail:
	store_kv_clear(&n);
	return -1;
}

int
acct_record(struct acct *a, const struct acme_account *acc,
    struct cd_err *err)
{
	size_t	 i;

	if (acct_kv_set(&a->kv, "directory", a->server, err) == -1 ||
	    acct_kv_set(&a->kv, "url", acc->url, err) == -1 ||
	    acct_kv_set(&a->kv, "status", acme_status_name(acc->status), err) == -1 ||
	    acct_kv_set(&a->kv, "contact", NULL, err) == -1)
		return -1;
	for (i = 0; i < acc->ncontact; i++)
		if (store_kv_add(&a->kv, "contact", acc->contact[i], err) == -1)
			return -1;
	return 0;
}

int
acct_register(struct acct *a, const struct opts *o, struct cd_err *err)
{
	const struct acme_directory	*d;
	struct acme_account_req		 req;
	struct acme_account		 acc;
	struct acme_err			 ae;
	enum keys_type			 kt = KEYS_EC_P256;
	EVP_PKEY			*key = NULL;
	char				**contact = NULL, kts[64];
	size_t				 i;
	int				 rc = -1;

	memset(&acc, 0, sizeof(acc));
	if (o->account_key_type != NULL &&
	    keys_type_parse(o->account_key_type, &kt) == -1)
		return cd_err_set(err, CD_EUSAGE, "%s: unknown key type",
		    o->account_key_type);
	if (acme_client_directory(a->client, &d, &ae) == -1)
		return cd_err_from_acme(err, &ae, "account");
	if (d->terms_of_service != NULL && !o->agree_tos)
		return cd_err_set(err, CD_ECONFIG, "%s: the CA has terms of "
		    "service (%.200s): read them, then give --agree-tos",
		    a->server, d->terms_of_service);
	if ((key = keys_generate(kt, err)) == NULL)
		return -1;
	if (use_key(a, key, NULL, err) == -1) {
		EVP_PKEY_free(key);
		return -1;
	}
	contact = xcalloc(o->email.n + 1, sizeof(*contact));
	for (i = 0; i < o->email.n; i++) {
		if (strchr(o->email.v[i], '@') == NULL ||
		    strpbrk(o->email.v[i], " ,\t\r\n<>") != NULL) {
			cd_err_set(err, CD_EUSAGE, "%s: not an email address",
			    o->email.v[i]);
			goto out;
		}
		contact[i] = xasprintf("mailto:%s", o->email.v[i]);
	}
	memset(&req, 0, sizeof(req));
	req.contact = (const char *const *)contact;
	req.ncontact = o->email.n;
	req.tos_agreed = o->agree_tos;
	req.eab_kid = o->eab_kid;
	req.eab_key = o->eab_key;
	if (acme_account_register(a->client, &req, &acc, &ae) == -1) {
		cd_err_from_acme(err, &ae, "%s: account registration failed",
		    a->server);
		goto out;
	}
	if (keys_to_pem(a->key, &a->key_pem, &a->key_len, err) == -1 ||
	    acct_record(a, &acc, err) == -1)
		goto out;
	(void)snprintf(kts, sizeof(kts), "%s", keys_type_name(kt));
	if (acct_kv_set(&a->kv, "key_type", kts, err) == -1)
		goto out;
	a->fresh = true;
	log_info("%s: registered account %s", a->server, acc.url);
	rc = 0;
out:
	for (i = 0; i < o->email.n; i++)
		free(contact[i]);
	free(contact);
	acme_account_clear(&acc);
	return rc;
}

int
acct_ensure(struct acct *a, struct store *st, const struct opts *o,
    struct cd_err *err)
{
	if (acct_load(a, st, err) == 0)
		return 0;
	if (err->kind != CD_ENOTFOUND)
		return -1;
	cd_err_clear(err);
	return acct_register(a, o, err);
}

int
acct_save(struct acct *a, struct store *st, struct cd_err *err)
{
	if (store_account_save(st, a->server, &a->kv, a->fresh ? a->key_pem :
	    NULL, a->fresh ? a->key_len : 0, err) == -1)
		return -1;
	a->stored = true;
	return 0;
}

void
acct_abandon(struct acct *a)
{
	struct acme_account	 acc;
	struct acme_err		 ae;

	if (!a->fresh || a->stored)
		return;
	if (acme_account_deactivate(a->client, &acc, &ae) == 0)
		acme_account_clear(&acc);
	else
		log_info("%s: could not deactivate the unsaved new account: "
		    "%s", a->server, ae.msg);
	a->fresh = false;
}

void
acct_clear(struct acct *a)
{
	acme_client_free(a->client);
	acme_signer_free(a->signer);
	EVP_PKEY_free(a->key);
	store_kv_clear(&a->kv);
	if (a->key_pem != NULL)
		keys_pem_free(a->key_pem, a->key_len);
	memset(a, 0, sizeof(*a));
}
