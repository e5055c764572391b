/*
 * cmd_tlsa.c - `certd tlsa --name CERT [--port N] [--proto P]`: prints
 * "_25._tcp.HOST. IN TLSA 3 1 1 HEX" for the current key of CERT and,
 * when one is staged, its next key, for every DNS name of the current
 * certificate. With key_rollover = dane a next key is staged first when
 * there is none (under the state dir lock). --check asks DNS (the
 * untrusted answer goes through tlsa_dns_parse) which records are there.
 * Reads only our own state dir.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "cmd.h"
#include "log.h"
#include "store.h"
#include "tlsa.h"
#include "util.h"

static void
show_state(const char *name, const struct tlsa_policy *p,
    const struct tlsa_stage *s, time_t now)
{
	enum tlsa_state	 st = tlsa_state_of(s, p, now);

	if (!s->staged) {
		log_info("%s: no next key staged%s", name, p->dane ? "" :
		    " (key_rollover is not dane)");
		return;
	}
	if (st == TLSA_ST_STAGED)
		log_info("%s: next key staged %lld s ago; its TLSA record has "
		    "not been seen yet", name, (long long)(now - s->staged_at));
	else
		log_info("%s: next key %s: its TLSA record was seen %lld s "
		    "ago, the margin is %lld s", name, tlsa_state_name(st),
		    (long long)(now - s->published_at),
		    (long long)tlsa_margin(p, s));
}

/* One record line; with DNS, marked published or missing. */
static void
print_record(const char *owner, const char *hex,
    const struct tlsa_rrset *set, size_t *missing)
{
	if (set == NULL) {
		printf("%s IN TLSA 3 1 1 %s\n", owner, hex);
		return;
	}
	if (!tlsa_rrset_has(set, hex))
		(*missing)++;
	printf("%s IN TLSA 3 1 1 %s ; %s\n", owner, hex,
	    tlsa_rrset_has(set, hex) ? "published" : "missing");
}

int
cmd_tlsa(const struct opts *o, struct cd_err *err)
{
	struct tlsa_policy	 p;
	struct tlsa_stage	 s;
	struct tlsa_rrset	 set;
	struct store		*st = NULL;
	char			*pem = NULL, **names = NULL;
	char			 cur[TLSA_HEX_SIZE], owner[TLSA_OWNER_MAX];
	size_t			 len = 0, n = 0, i, missing = 0, total = 0;
	time_t			 now = cd_now();
	bool			 staged = false;	/* logged by tlsa.c */
	int			 rc = -1;

	if (o->nargs > 0)
		return cd_err_set(err, CD_EUSAGE, "tlsa: unexpected argument "
		    "\"%.64s\"", o->args[0]);
	if (o->name == NULL)
		return cd_err_set(err, CD_EUSAGE, "tlsa: --name CERT is "
		    "needed");
	if (!util_is_safe_component(o->name))
		return cd_err_set(err, CD_EUSAGE, "tlsa: --name: use letters, "
		    "digits, '.', '_' and '-'");
	if (tlsa_policy_from_opts(&p, o, opts_cert_find(o, o->name),
	    err) == -1)
		return -1;
	if ((st = store_open(o->state_dir, false, err)) == NULL)
		return -1;
	if (p.dane) {
		/* staging writes the state dir: never beside a renewal */
		if (store_lock(st, false, err) == -1 ||
		    tlsa_stage_ensure(st, o->name, &p, now, &staged,
		    err) == -1)
			goto out;
	}
	if (store_cert_read(st, o->name, "cert.pem", CERT_CHAIN_MAX, &pem,
	    &len, err) == -1 || tlsa_cert_hex(pem, len, cur, err) == -1 ||
	    tlsa_cert_names(st, o->name, &names, &n, err) == -1 ||
	    tlsa_stage_load(st, o->name, now, &s, NULL, err) == -1)
		goto out;
	if (n == 0) {
		cd_err_set(err, CD_ECONFIG, "%s: the certificate has no DNS "
		    "name to publish TLSA records under", o->name);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (tlsa_owner(names[i], p.port, p.proto, owner, sizeof(owner),
		    err) == -1)
			goto out;
		if (o->tlsa_check && tlsa_dns_query(p.dns_server, owner,
		    &set, err) == -1)
			goto out;
		print_record(owner, cur, o->tlsa_check ? &set : NULL,
		    &missing);
		total++;
		/* the same key twice: a roll not yet committed */
		if (s.staged && strcmp(s.spki, cur) != 0) {
			print_record(owner, s.spki, o->tlsa_check ? &set :
			    NULL, &missing);
			total++;
		}
	}
	show_state(o->name, &p, &s, now);
	if (missing > 0) {
		cd_err_set(err, CD_ETEMP, "%s: %zu of %zu TLSA records are not "
		    "in DNS (%s)", o->name, missing, total,
		    p.dns_server != NULL ? p.dns_server : "resolv.conf");
		goto out;
	}
	rc = 0;
out:
	store_names_free(names, n);
	free(pem);
	store_close(st);
	return rc;
}
