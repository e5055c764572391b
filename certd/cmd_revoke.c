/*
 * cmd_revoke.c - `certd revoke --name CERT [--reason R]`: revoke the
 * current certificate of CERT with the account key (RFC 8555 §7.6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "cert.h"
#include "cmd.h"
#include "log.h"
#include "store.h"

int
cmd_revoke(const struct opts *o, struct cd_err *err)
{
	struct store		*st = NULL;
	struct acct		 a;
	struct acme_err		 ae;
	struct cert_info	 ci;
	unsigned char		*der = NULL;
	char			*pem = NULL;
	size_t			 len = 0, dlen = 0;
	int			 reason = -1, rc = -1;

	memset(&a, 0, sizeof(a));
	memset(&ci, 0, sizeof(ci));
	if (o->name == NULL)
		return cd_err_set(err, CD_EUSAGE, "revoke: give --name CERT");
	if (o->nargs > 0)
		return cd_err_set(err, CD_EUSAGE, "revoke: unexpected argument "
		    "\"%.64s\"", o->args[0]);
	if (o->reason != NULL && (reason = acme_reason_parse(o->reason)) < 0)
		return cd_err_set(err, CD_EUSAGE, "revoke: unknown reason "
		    "\"%.64s\"", o->reason);
	if ((st = store_open(o->state_dir, false, err)) == NULL) {
		if (err->kind == CD_ENOTFOUND)
			cd_err_set(err, CD_ENOTFOUND, "%s: no such certificate",
			    o->name);
		return -1;
	}
	if (store_lock(st, false, err) == -1 ||
	    store_cert_read(st, o->name, "cert.pem", CERT_CHAIN_MAX, &pem,
	    &len, err) == -1 ||
	    cert_info_pem(pem, len, &ci, err) == -1 ||
	    cert_pem_to_der(pem, len, &der, &dlen, err) == -1 ||
	    acct_init(&a, o, err) == -1 || acct_load(&a, st, err) == -1)
		goto out;
	if (acme_cert_revoke(a.client, NULL, der, dlen, reason, &ae) == -1) {
		cd_err_from_acme(err, &ae, "%s: revocation failed", o->name);
		goto out;
	}
	if (!o->quiet)
		printf("certd: %s: revoked serial %s%s%s\n", o->name,
		    ci.serial, o->reason != NULL ? ", reason " : "",
		    o->reason != NULL ? o->reason : "");
	log_info("%s: revoked serial %s", o->name, ci.serial);
	rc = 0;
out:
	acct_clear(&a);
	cert_info_clear(&ci);
	free(der);
	free(pem);
	store_close(st);
	return rc;
}
