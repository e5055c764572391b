/*
 * cmd_install.c - `certd install`: install the current version of a
 * stored certificate into MTAs (--for, or the targets it was issued
 * with), or print the configuration lines for an MTA (--print-config).
 * Trusts the state directory and the command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "install/install.h"
#include "store.h"

static int
print_config(const struct opts *o, struct cd_err *err)
{
	struct install_plan	 plan;
	struct opts_list	 one;
	char			*v[1];
	int			 rc;

	v[0] = o->print_config;
	one.v = v;
	one.n = 1;
	if (strcmp(o->print_config, "hooks") == 0)
		return cd_err_set(err, CD_EUSAGE, "install: --print-config: "
		    "postfix, exim or dovecot");
	if (install_plan_from_opts(o, &one, &plan, err) == -1)
		return -1;
	if (plan.n != 1) {
		install_plan_clear(&plan);
		return cd_err_set(err, CD_EUSAGE, "install: --print-config: "
		    "one MTA");
	}
	rc = install_find(plan.t[0].mta)->print_config(&plan.t[0], o->name,
	    stdout, err);
	install_plan_clear(&plan);
	return rc;
}

/* The targets the current version was issued with (meta "install"). */
static int
plan_from_meta(struct store *st, const struct opts *o,
    struct install_plan *plan, struct cd_err *err)
{
	struct store_kv	 meta;
	char		*text = NULL;
	size_t		 len = 0;
	int		 rc;

	memset(&meta, 0, sizeof(meta));
	if (store_cert_read(st, o->name, "meta", STORE_KV_MAX, &text, &len,
	    err) == -1)
		return -1;
	rc = store_kv_parse(text, len, &meta, err);
	free(text);
	if (rc == 0)
		rc = install_plan_from_meta(&meta, o, plan, err);
	store_kv_clear(&meta);
	if (rc == 0 && plan->n == 0 && !plan->hooks) {
		install_plan_clear(plan);
		return cd_err_set(err, CD_EUSAGE, "install: %s was not issued "
		    "with --install; name the targets with --for", o->name);
	}
	return rc;
}

int
cmd_install(const struct opts *o, struct cd_err *err)
{
	struct install_plan	 plan;
	struct store		*st = NULL;
	int			 rc = -1;

	memset(&plan, 0, sizeof(plan));
	if (o->nargs > 0)
		return cd_err_set(err, CD_EUSAGE, "install: unexpected "
		    "argument \"%.64s\"", o->args[0]);
	if (o->print_config != NULL)
		return print_config(o, err);
	if (o->name == NULL)
		return cd_err_set(err, CD_EUSAGE, "install: --name CERT is "
		    "required");
	if (o->install_for.n > 0 &&
	    install_plan_from_opts(o, &o->install_for, &plan, err) == -1)
		return -1;
	if ((st = store_open(o->state_dir, false, err)) == NULL)
		goto out;
	/* one run at a time changes the MTAs' files (renew holds it too) */
	if (store_lock(st, false, err) == -1)
		goto out;
	if (o->install_for.n == 0 && plan_from_meta(st, o, &plan, err) == -1)
		goto out;
	rc = install_cert(st, o->name, &plan, err);
out:
	install_plan_clear(&plan);
	store_close(st);
	return rc;
}
