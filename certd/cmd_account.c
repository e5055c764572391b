/*
 * cmd_account.c - `certd account show|register|deactivate|rollover` for
 * the account of the configured ACME directory.
 */
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acct.h"
#include "cmd.h"
#include "keys.h"
#include "log.h"
#include "store.h"
#include "util.h"

static int
show(struct acct *a, struct store *st, struct cd_err *err)
{
	size_t	 i;

	if (acct_load(a, st, err) == -1)
		return -1;
	for (i = 0; i < a->kv.n; i++)
		printf("%s=%s\n", a->kv.key[i], a->kv.val[i]);
	return 0;
}

static int
do_register(struct acct *a, struct store *st, const struct opts *o,
    struct cd_err *err)
{
	if (acct_load(a, st, err) == 0) {
		printf("certd: %s: already registered: %s\n", a->server,
		    store_kv_get(&a->kv, "url"));
		return 0;
	}
	if (err->kind != CD_ENOTFOUND)
		return -1;
	cd_err_clear(err);
	if (acct_register(a, o, err) == -1)
		return -1;
	if (acct_save(a, st, err) == -1) {
		acct_abandon(a);
		return -1;
	}
	printf("certd: %s: registered %s\n", a->server,
	    store_kv_get(&a->kv, "url"));
	return 0;
}

static int
deactivate(struct acct *a, struct store *st, struct cd_err *err)
{
	struct acme_account	 acc;
	struct acme_err		 ae;
	int			 rc;

	if (acct_load(a, st, err) == -1)
		return -1;
	if (acme_account_deactivate(a->client, &acc, &ae) == -1)
		return cd_err_from_acme(err, &ae, "%s: deactivation failed",
		    a->server);
	rc = acct_record(a, &acc, err);
	acme_account_clear(&acc);
	if (rc == -1 || acct_save(a, st, err) == -1)
		return -1;
	printf("certd: %s: account %s deactivated\n", a->server,
	    store_kv_get(&a->kv, "url"));
	return 0;
}

static int
update(struct acct *a, struct store *st, const struct opts *o,
    struct cd_err *err)
{
	struct acme_account	 acc;
	struct acme_err		 ae;
	char			**contact;
	size_t			 i;
	int			 rc = -1;

	if (acct_load(a, st, err) == -1)
		return -1;
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
	/* no --email: remove every contact (RFC 8555 §7.3.2) */
	if (acme_account_update(a->client, (const char *const *)contact,
	    o->email.n, &acc, &ae) == -1) {
		cd_err_from_acme(err, &ae, "%s: contact update failed",
		    a->server);
		goto out;
	}
	rc = acct_record(a, &acc, err);
	acme_account_clear(&acc);
	if (rc == -1 || (rc = acct_save(a, st, err)) == -1)
		goto out;
	printf("certd: %s: contact updated (%zu address%s)\n", a->server,
	    o->email.n, o->email.n == 1 ? "" : "es");
out:
	for (i = 0; i < o->email.n; i++)
		free(contact[i]);
	free(contact);
	return rc;
}

static int
rollover(struct acct *a, struct store *st, const struct opts *o,
    struct cd_err *err)
{
	struct acme_signer	*ns = NULL, *old;
	struct acme_err		 ae;
	enum keys_type		 kt;
	EVP_PKEY		*nk = NULL;
	char			*pem = NULL;
	size_t			 len = 0;
	int			 rc = -1;

	if (acct_load(a, st, err) == -1)
		return -1;
	if (o->key_type != NULL) {
		if (keys_type_parse(o->key_type, &kt) == -1)
			return cd_err_set(err, CD_EUSAGE, "%s: unknown key "
			    "type", o->key_type);
	} else if (keys_type_of(a->key, &kt) == -1)
		kt = KEYS_EC_P256;
	if ((nk = keys_generate(kt, err)) == NULL)
		goto out;
	if ((ns = acme_signer_new(nk, &ae)) == NULL) {
		cd_err_from_acme(err, &ae, "new account key");
		goto out;
	}
	if (keys_to_pem(nk, &pem, &len, err) == -1)
		goto out;
	if (acct_kv_set(&a->kv, "key_type", keys_type_name(kt), err) == -1)
		goto out;
	if (acme_account_key_change(a->client, ns, &ae) == -1) {
		cd_err_from_acme(err, &ae, "%s: key rollover failed",
		    a->server);
		goto out;
	}
	if (store_account_save(st, a->server, &a->kv, pem, len, err) == -1) {
		/* the CA knows only the new key now: switch back so the
		 * stored key stays the account's key */
		old = a->signer;
		if (acme_client_set_account(a->client, ns,
		    store_kv_get(&a->kv, "url"), &ae) == -1 ||
		    acme_account_key_change(a->client, old, &ae) == -1)
			log_warnx("%s: could not roll back the key change: %s",
			    a->server, ae.msg);
		goto out;
	}
	printf("certd: %s: account key replaced (%s)\n", a->server,
	    keys_type_name(kt));
	rc = 0;
out:
	if (pem != NULL)
		keys_pem_free(pem, len);
	/* the client may point at ns; a is cleared before ns is freed */
	acct_clear(a);
	acme_signer_free(ns);
	EVP_PKEY_free(nk);
	return rc;
}

int
cmd_account(const struct opts *o, struct cd_err *err)
{
	struct store	*st = NULL;
	struct acct	 a;
	struct stat	 sb;
	const char	*sub = o->nargs > 0 ? o->args[0] : "show";
	int		 rc = -1, existed, ro;

	memset(&a, 0, sizeof(a));
	if (o->nargs > 1)
		return cd_err_set(err, CD_EUSAGE, "account: unexpected "
		    "argument \"%.64s\"", o->args[1]);
	if (strcmp(sub, "show") != 0 && strcmp(sub, "register") != 0 &&
	    strcmp(sub, "deactivate") != 0 && strcmp(sub, "rollover") != 0 &&
	    strcmp(sub, "update") != 0)
		return cd_err_set(err, CD_EUSAGE, "account: unknown action "
		    "\"%.64s\" (show, register, update, deactivate, rollover)",
		    sub);
	ro = strcmp(sub, "show") == 0;
	existed = stat(o->state_dir, &sb) == 0;
	if ((st = store_open(o->state_dir, strcmp(sub, "register") == 0,
	    err)) == NULL) {
		if (err->kind == CD_ENOTFOUND)
			cd_err_set(err, CD_ENOTFOUND, "%s: no state directory "
			    "(no account yet)", o->state_dir);
		return -1;
	}
	if (!ro && store_lock(st, false, err) == -1)
		goto out;
	if (acct_init(&a, o, err) == -1)
		goto out;
	if (ro)
		rc = show(&a, st, err);
	else if (strcmp(sub, "register") == 0)
		rc = do_register(&a, st, o, err);
	else if (strcmp(sub, "deactivate") == 0)
		rc = deactivate(&a, st, err);
	else if (strcmp(sub, "update") == 0)
		rc = update(&a, st, o, err);
	else
		rc = rollover(&a, st, o, err);
out:
	acct_clear(&a);
	store_close(st);
	if (rc == -1 && !existed)
		(void)rmdir(o->state_dir);
	return rc;
}
