/*
 * issue.c - the issuance flow of RFC 8555 §7.4-7.4.2 driven end to end:
 * names and key, account, order, authorizations with the chosen challenge
 * (standalone http-01, webroot, tls-alpn-01, dns-01 hook), polling with a
 * short backoff that honours Retry-After, finalize, download, then checks
 * of what the (untrusted) CA returned before the atomic commit.
 */
#include "issue.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "cert.h"
#include "hooks.h"
#include "install/install.h"
#include "keys.h"
#include "log.h"
#include "util.h"

enum chall { CH_HTTP, CH_WEBROOT, CH_TLSALPN, CH_DNS };

struct pending {
	char		*authz;		/* authorization URL */
	char		*chall;		/* challenge URL */
	char		*ident;		/* identifier value */
	bool		 wildcard;
	char		*token;
	char		*keyauth;
	char		*txt_name;	/* dns-01 */
	char		 txt[44];	/* dns-01 */
	bool		 deployed;
};

struct job {
	const struct opts	*o;
	struct store		*st;
	struct acct		 acct;
	char			*name;		/* certificate name */
	char			**names;	/* identifiers, normalised */
	size_t			 nnames;
	enum chall		 ch;
	const char		*ch_name;
	EVP_PKEY		*key;
	enum keys_type		 kt;
	struct pending		*pend;
	size_t			 npend;
	struct acme_responder	*resp;
	long			 deadline_ms;
	struct issue_params	*p;	/* never NULL */
};

/* Set by SIGINT/SIGTERM/SIGHUP during an issuance, so the run stops at the
 * next wait and still removes its challenge responses (file-scope state
 * because a signal handler can reach nothing else). */
static volatile sig_atomic_t	 interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
}

long
issue_poll_delay(unsigned attempt, long retry_after_s, long now, long deadline)
{
	long	 d = ISSUE_POLL_FIRST_MS;

	if (now >= deadline)
		return -1;
	while (attempt-- > 0 && d < ISSUE_POLL_MAX_MS)
		d *= 2;
	if (d > ISSUE_POLL_MAX_MS)
		d = ISSUE_POLL_MAX_MS;
	if (retry_after_s > ISSUE_RETRY_AFTER_MAX)
		retry_after_s = ISSUE_RETRY_AFTER_MAX;
	if (retry_after_s * 1000 > d)
		d = retry_after_s * 1000;
	if (d > deadline - now)
		d = deadline - now;
	return d;
}

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !interrupted)
		;
}

/* Waits before poll number attempt; -1 with err when out of time. */
static int
poll_wait(struct job *j, unsigned attempt, time_t retry_after,
    const char *what, struct cd_err *err)
{
	long	 d;

	if (interrupted)
		return cd_err_set(err, CD_ETEMP, "%s: interrupted by signal %d",
		    j->name, (int)interrupted);
	d = issue_poll_delay(attempt, (long)retry_after, util_now_ms(),
	    j->deadline_ms);
	if (d < 0)
		return cd_err_set(err, CD_ETEMP, "%s: %s: no answer from the CA "
		    "within %u s", j->name, what, j->o->poll_timeout > 0 ?
		    j->o->poll_timeout : ISSUE_POLL_TIMEOUT);
	sleep_ms(d);
	if (interrupted)
		return cd_err_set(err, CD_ETEMP, "%s: interrupted by signal %d",
		    j->name, (int)interrupted);
	return 0;
}

static int
names_prepare(struct job *j, struct cd_err *err)
{
	const struct opts	*o = j->o;
	size_t			 i, k;
	char			*n;

	if (o->domain.n == 0)
		return cd_err_set(err, CD_EUSAGE,
		    "issue: no names given (use -d NAME)");
	if (o->domain.n > ACME_IDS_MAX)
		return cd_err_set(err, CD_EUSAGE,
		    "issue: at most %d names", ACME_IDS_MAX);
	j->names = xcalloc(o->domain.n, sizeof(*j->names));
	for (i = 0; i < o->domain.n; i++) {
		n = xstrdup(o->domain.v[i]);
		if (!util_is_ipaddr(n)) {
			util_lower(n);
			if (!util_is_dnsname(n, true)) {
				char	 safe[4 * LOG_SAFE_MAX];

				cd_err_set(err, CD_EUSAGE, "issue: \"%s\" is "
				    "neither a DNS name nor an IP address",
				    log_safe(safe, sizeof(safe), n,
				    strlen(n)));
				free(n);
				return -1;
			}
		}
		for (k = 0; k < j->nnames; k++)
			if (strcmp(j->names[k], n) == 0)
				break;
		if (k < j->nnames) {
			free(n);	/* duplicate */
			continue;
		}
		j->names[j->nnames++] = n;
	}
	if (o->name != NULL) {
		if (!util_is_safe_component(o->name))
			return cd_err_set(err, CD_EUSAGE, "issue: --name: "
			    "use letters, digits, '.', '_' and '-'");
		j->name = xstrdup(o->name);
	} else if (strncmp(j->names[0], "*.", 2) == 0)
		j->name = xasprintf("_wildcard.%s", j->names[0] + 2);
	else
		j->name = xstrdup(j->names[0]);
	if (!util_is_safe_component(j->name))
		return cd_err_set(err, CD_EUSAGE, "issue: %s: not usable as a "
		    "certificate name; give --name", j->name);
	return 0;
}

static int
challenge_prepare(struct job *j, struct cd_err *err)
{
	const struct opts	*o = j->o;
	const char		*c = o->challenge != NULL ? o->challenge :
	    "http-01";
	size_t			 i;

	if (strcmp(c, "http-01") == 0)
		j->ch = o->webroot != NULL ? CH_WEBROOT : CH_HTTP;
	else if (strcmp(c, "tls-alpn-01") == 0)
		j->ch = CH_TLSALPN;
	else if (strcmp(c, "dns-01") == 0)
		j->ch = CH_DNS;
	else
		return cd_err_set(err, CD_EUSAGE, "issue: unknown challenge "
		    "\"%.64s\" (http-01, tls-alpn-01, dns-01)", c);
	j->ch_name = c;
	if (j->ch == CH_DNS && (o->dns_hook == NULL || o->dns_hook[0] != '/'))
		return cd_err_set(err, CD_EUSAGE, "issue: dns-01 needs "
		    "--dns-hook with an absolute path");
	if (j->ch == CH_WEBROOT && o->webroot[0] != '/')
		return cd_err_set(err, CD_EUSAGE,
		    "issue: --webroot needs an absolute path");
	for (i = 0; i < j->nnames; i++) {
		if (j->names[i][0] == '*' && j->ch != CH_DNS)
			return cd_err_set(err, CD_EUSAGE, "issue: %s: "
			    "wildcard names need dns-01", j->names[i]);
		if (util_is_ipaddr(j->names[i]) && j->ch == CH_DNS)
			return cd_err_set(err, CD_EUSAGE, "issue: %s: IP "
			    "addresses cannot use dns-01 (RFC 8738)",
			    j->names[i]);
	}
	return 0;
}

static int
key_prepare(struct job *j, struct cd_err *err)
{
	const struct opts	*o = j->o;
	char			*pem = NULL;
	size_t			 len = 0;

	if (o->key_type != NULL && keys_type_parse(o->key_type, &j->kt) == -1)
		return cd_err_set(err, CD_EUSAGE, "issue: unknown key type "
		    "\"%.32s\" (ecdsa-p256, ecdsa-p384, rsa2048, rsa3072, "
		    "rsa4096)", o->key_type);
	if (j->p->key != NULL) {
		/* the caller chose the key (DANE: current or staged next) */
		if (keys_type_of(j->p->key, &j->kt) == -1 ||
		    EVP_PKEY_up_ref(j->p->key) != 1)
			return cd_err_set(err, CD_EUSAGE, "%s: the given key "
			    "is of an unsupported type", j->name);
		j->key = j->p->key;
		return 0;
	}
	if (o->reuse_key) {
		if (store_cert_read(j->st, j->name, "privkey.pem",
		    KEYS_PEM_MAX, &pem, &len, err) == 0) {
			j->key = keys_from_pem(pem, len, err);
			keys_pem_free(pem, len);
			if (j->key == NULL)
				return -1;
			if (keys_type_of(j->key, &j->kt) == -1)
				return cd_err_set(err, CD_EUSAGE, "%s: the "
				    "current key is of an unsupported type",
				    j->name);
			if (o->key_type != NULL) {
				enum keys_type	 want;

				(void)keys_type_parse(o->key_type, &want);
				if (want != j->kt)
					return cd_err_set(err, CD_EUSAGE,
					    "%s: --reuse-key: the current key "
					    "is %s, not %s", j->name,
					    keys_type_name(j->kt), o->key_type);
			}
			log_info("%s: reusing the current %s key", j->name,
			    keys_type_name(j->kt));
			return 0;
		}
		if (err->kind != CD_ENOTFOUND)
			return -1;
		cd_err_clear(err);	/* first issuance: a new key */
	}
	return (j->key = keys_generate(j->kt, err)) == NULL ? -1 : 0;
}

static void
pending_free(struct job *j)
{
	size_t	 i;

	for (i = 0; i < j->npend; i++) {
		free(j->pend[i].authz);
		free(j->pend[i].chall);
		free(j->pend[i].ident);
		free(j->pend[i].token);
		free(j->pend[i].keyauth);
		free(j->pend[i].txt_name);
	}
	free(j->pend);
	j->pend = NULL;
	j->npend = 0;
}

/* Problem of the failed challenge of an invalid authorization. */
static int
authz_failed(struct job *j, const struct acme_authz *az, struct cd_err *err)
{
	struct acme_err	 ae;
	size_t		 i;
	bool		 same = strcmp(j->name, az->ident.value) == 0;

	for (i = 0; i < az->nchall; i++) {
		if (az->chall[i].error == NULL)
			continue;
		acme_err_from_problem(&ae, az->chall[i].error);
		return cd_err_from_acme(err, &ae, "%s%s%s: %s failed", j->name,
		    same ? "" : ": ", same ? "" : az->ident.value,
		    az->chall[i].type_name);
	}
	return cd_err_set(err, CD_ESERVER, "%s%s%s: authorization is %s",
	    j->name, same ? "" : ": ", same ? "" : az->ident.value,
	    acme_status_name(az->status));
}

static enum acme_chall_type
wanted(const struct job *j)
{
	switch (j->ch) {
	case CH_TLSALPN:
		return ACME_CH_TLSALPN01;
	case CH_DNS:
		return ACME_CH_DNS01;
	default:
		return ACME_CH_HTTP01;
	}
}

static int
authz_collect(struct job *j, const struct acme_order *ord,
    struct cd_err *err)
{
	struct acme_authz	 az;
	struct acme_err		 ae;
	struct pending		*p;
	size_t			 i, k;

	j->pend = xcalloc(ord->nauthz, sizeof(*j->pend));
	for (i = 0; i < ord->nauthz; i++) {
		if (acme_authz_get(j->acct.client, ord->authz[i], &az,
		    &ae) == -1)
			return cd_err_from_acme(err, &ae, "%s: authorization",
			    j->name);
		if (az.status == ACME_ST_VALID) {
			acme_authz_clear(&az);
			continue;	/* authorized earlier */
		}
		if (az.status != ACME_ST_PENDING) {
			authz_failed(j, &az, err);
			acme_authz_clear(&az);
			return -1;
		}
		for (k = 0; k < az.nchall; k++)
			if (az.chall[k].type == wanted(j))
				break;
		if (k == az.nchall) {
			cd_err_set(err, CD_ESERVER, "%s: %s: the CA offers no "
			    "%s challenge", j->name, az.ident.value,
			    j->ch_name);
			acme_authz_clear(&az);
			return -1;
		}
		p = &j->pend[j->npend++];
		p->authz = xstrdup(ord->authz[i]);
		p->chall = xstrdup(az.chall[k].url);
		p->ident = xstrdup(az.ident.value);
		p->wildcard = az.wildcard;
		p->token = xstrdup(az.chall[k].token);
		acme_authz_clear(&az);
		if (acme_key_authorization(j->acct.signer, p->token,
		    &p->keyauth, &ae) == -1)
			return cd_err_from_acme(err, &ae, "%s", j->name);
		if (j->ch == CH_DNS) {
			if (acme_dns01_txt(p->keyauth, p->txt, &ae) == -1)
				return cd_err_from_acme(err, &ae, "%s",
				    j->name);
			p->txt_name = xasprintf("_acme-challenge.%s",
			    p->ident);
		}
	}
	return 0;
}

static int
dns_hook(struct job *j, struct pending *p, const char *action,
    struct cd_err *err)
{
	struct hooks_result	 res;
	char			*env[6];
	const char		*argv[5];
	char			 safe[4 * LOG_SAFE_MAX];
	const char		*out = "";
	int			 i, rc = -1;
	unsigned		 to = j->o->hook_timeout > 0 ?
	    j->o->hook_timeout : HOOKS_TIMEOUT_DEFAULT;

	argv[0] = j->o->dns_hook;
	argv[1] = action;
	argv[2] = p->txt_name;
	argv[3] = p->txt;
	argv[4] = NULL;
	env[0] = xasprintf("CERTD_ACTION=%s", action);
	env[1] = xasprintf("CERTD_DOMAIN=%s", p->ident);
	env[2] = xasprintf("CERTD_TXT_NAME=%s", p->txt_name);
	env[3] = xasprintf("CERTD_TXT_VALUE=%s", p->txt);
	env[4] = xasprintf("CERTD_TIMEOUT=%u", to);
	env[5] = NULL;
	memset(&res, 0, sizeof(res));
	if (hooks_run(argv, (const char *const *)env, to, &res, err) == -1)
		goto out;
	/* the first line of the output says what went wrong */
	if (res.output != NULL) {
		res.output[strcspn(res.output, "\n")] = '\0';
		out = log_safe(safe, sizeof(safe), res.output,
		    strlen(res.output));
	}
	if (res.timed_out)
		cd_err_set(err, CD_ETEMP, "%s: dns-01 hook %s %s: timed out "
		    "after %u s", j->name, action, p->txt_name, to);
	else if (res.status == HOOKS_EX_TEMPFAIL)
		cd_err_set(err, CD_ETEMP, "%s: dns-01 hook %s %s: temporary "
		    "failure%s%s", j->name, action, p->txt_name,
		    *out != '\0' ? ": " : "", out);
	else if (res.status != 0)
		cd_err_set(err, CD_ECONFIG, "%s: dns-01 hook %s %s: exit "
		    "%d%s%s", j->name, action, p->txt_name, res.status,
		    *out != '\0' ? ": " : "", out);
	else
		rc = 0;
out:
	hooks_result_clear(&res);
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	return rc;
}

static int
challenges_deploy(struct job *j, struct cd_err *err)
{
	struct acme_chall_item	*items;
	struct acme_err		 ae;
	const struct opts	*o = j->o;
	size_t			 i;
	int			 rc = 0;

	if (j->npend == 0)
		return 0;
	items = xcalloc(j->npend, sizeof(*items));
	for (i = 0; i < j->npend; i++) {
		items[i].token = j->pend[i].token;
		items[i].keyauth = j->pend[i].keyauth;
		items[i].ident = j->pend[i].ident;
	}
	switch (j->ch) {
	case CH_HTTP:
		j->resp = acme_http01_start(o->http_addr, o->http_port > 0 ?
		    o->http_port : 80, items, j->npend, &ae);
		if (j->resp == NULL)
			rc = cd_err_from_acme(err, &ae, "%s", j->name);
		break;
	case CH_TLSALPN:
		j->resp = acme_tlsalpn01_start(o->tls_addr, o->tls_port > 0 ?
		    o->tls_port : 443, items, j->npend, &ae);
		if (j->resp == NULL)
			rc = cd_err_from_acme(err, &ae, "%s", j->name);
		break;
	case CH_WEBROOT:
		for (i = 0; i < j->npend && rc == 0; i++) {
			if (acme_http01_webroot_put(o->webroot,
			    j->pend[i].token, j->pend[i].keyauth, &ae) == -1)
				rc = cd_err_from_acme(err, &ae, "%s", j->name);
			else
				j->pend[i].deployed = true;
		}
		break;
	case CH_DNS:
		for (i = 0; i < j->npend && rc == 0; i++) {
			if (dns_hook(j, &j->pend[i], "add", err) == -1)
				rc = -1;
			else
				j->pend[i].deployed = true;
		}
		break;
	}
	free(items);
	return rc;
}

static void
challenges_cleanup(struct job *j)
{
	struct cd_err	 err;
	size_t		 i;

	acme_responder_stop(j->resp);
	j->resp = NULL;
	for (i = 0; i < j->npend; i++) {
		if (!j->pend[i].deployed)
			continue;
		j->pend[i].deployed = false;
		if (j->ch == CH_WEBROOT)
			acme_http01_webroot_remove(j->o->webroot,
			    j->pend[i].token);
		else if (j->ch == CH_DNS &&
		    dns_hook(j, &j->pend[i], "del", &err) == -1)
			log_warnx("%s", err.msg);
	}
}

static int
authz_wait(struct job *j, struct pending *p, struct cd_err *err)
{
	struct acme_authz	 az;
	struct acme_err		 ae;
	time_t			 ra = 0;
	unsigned		 attempt;
	int			 rc;

	for (attempt = 0; ; attempt++) {
		if (poll_wait(j, attempt, ra, p->ident, err) == -1)
			return -1;
		if (acme_authz_get(j->acct.client, p->authz, &az, &ae) == -1)
			return cd_err_from_acme(err, &ae, "%s: %s", j->name,
			    p->ident);
		ra = az.retry_after;
		switch (az.status) {
		case ACME_ST_VALID:
			acme_authz_clear(&az);
			log_info("%s: %s: authorized", j->name, p->ident);
			return 0;
		case ACME_ST_PENDING:
			acme_authz_clear(&az);
			continue;
		default:
			rc = authz_failed(j, &az, err);
			acme_authz_clear(&az);
			return rc;
		}
	}
}

static int
authorize(struct job *j, const struct acme_order *ord, struct cd_err *err)
{
	struct acme_challenge	 ch;
	struct acme_err		 ae;
	size_t			 i;
	int			 rc = -1;

	if (authz_collect(j, ord, err) == -1 ||
	    challenges_deploy(j, err) == -1)
		goto out;
	for (i = 0; i < j->npend; i++) {
		if (acme_challenge_respond(j->acct.client, j->pend[i].chall,
		    &ch, &ae) == -1) {
			cd_err_from_acme(err, &ae, "%s: %s: challenge",
			    j->name, j->pend[i].ident);
			goto out;
		}
		acme_challenge_clear(&ch);
	}
	for (i = 0; i < j->npend; i++)
		if (authz_wait(j, &j->pend[i], err) == -1)
			goto out;
	rc = 0;
out:
	challenges_cleanup(j);
	return rc;
}

static int
order_failed(struct job *j, const struct acme_order *o, struct cd_err *err)
{
	struct acme_err	 ae;

	if (o->error != NULL) {
		acme_err_from_problem(&ae, o->error);
		return cd_err_from_acme(err, &ae, "%s: order failed", j->name);
	}
	return cd_err_set(err, CD_ESERVER, "%s: order is %s", j->name,
	    acme_status_name(o->status));
}

/* Polls until the order leaves the given state. */
static int
order_wait(struct job *j, struct acme_order *o, enum acme_status from,
    struct cd_err *err)
{
	struct acme_order	 n;
	struct acme_err		 ae;
	unsigned		 attempt;

	for (attempt = 0; o->status == from; attempt++) {
		if (poll_wait(j, attempt, o->retry_after, "order", err) == -1)
			return -1;
		if (acme_order_get(j->acct.client, o->url, &n, &ae) == -1)
			return cd_err_from_acme(err, &ae, "%s: order", j->name);
		acme_order_clear(o);
		*o = n;
	}
	return 0;
}

static int
meta_build(struct job *j, const struct cert_info *ci, const char *order_url,
    struct store_kv *m, struct cd_err *err)
{
	const struct opts	*o = j->o;
	char			 num[32], t1[32], t2[32], t3[32];
	struct tm		 tm;
	time_t			 now = cd_now();
	size_t			 i;

#define ADD(k, v) do { if ((v) != NULL && \
    store_kv_add(m, (k), (v), err) == -1) return -1; } while (0)
	ADD("name", j->name);
	for (i = 0; i < j->nnames; i++)
		ADD("domain", j->names[i]);
	ADD("key_type", keys_type_name(j->kt));
	ADD("reuse_key", o->reuse_key ? "yes" : "no");
	ADD("challenge", j->ch_name);
	ADD("server", j->acct.server);
	ADD("account", acme_client_kid(j->acct.client));
	ADD("order", order_url);
	if (j->ch == CH_HTTP) {
		ADD("http_addr", o->http_addr);
		(void)snprintf(num, sizeof(num), "%u", o->http_port > 0 ?
		    o->http_port : 80);
		ADD("http_port", num);
	}
	if (j->ch == CH_WEBROOT)
		ADD("webroot", o->webroot);
	if (j->ch == CH_TLSALPN) {
		ADD("tls_addr", o->tls_addr);
		(void)snprintf(num, sizeof(num), "%u", o->tls_port > 0 ?
		    o->tls_port : 443);
		ADD("tls_port", num);
	}
	if (j->ch == CH_DNS)
		ADD("dns_hook", o->dns_hook);
	ADD("preferred_chain", o->preferred_chain);
	ADD("profile", o->profile);
	ADD("serial", ci->serial);
	ADD("sha256", ci->sha256);
	ADD("issuer", ci->issuer_cn);
	(void)strftime(t1, sizeof(t1), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime_r(&ci->not_before, &tm));
	(void)strftime(t2, sizeof(t2), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime_r(&ci->not_after, &tm));
	(void)strftime(t3, sizeof(t3), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime_r(&now, &tm));
	ADD("not_before", t1);
	ADD("not_after", t2);
	ADD("issued_at", t3);
#undef ADD
	/* where --install put it, so that a renewal installs there too */
	return install_meta_add(o, m, err);
}

/* Checks what the CA sent and commits it as a new version. */
static int
store_result(struct job *j, const struct acme_chain *chain,
    const char *order_url, struct cd_err *err)
{
	struct store_files	 f;
	struct store_kv		 meta;
	struct cert_info	 ci;
	char			*leaf = NULL, *rest = NULL, *full = NULL;
	char			*kpem = NULL, day[16];
	size_t			 ll, rl, fl, kl = 0;
	struct tm		 tm;
	int			 rc = -1;

	memset(&meta, 0, sizeof(meta));
	memset(&ci, 0, sizeof(ci));
	if (cert_chain_split(chain->pem, chain->len, &leaf, &ll, &rest, &rl,
	    &full, &fl, err) == -1)
		goto out;
	if (!cert_matches_key(leaf, ll, j->key)) {
		cd_err_set(err, CD_EPROTO, "%s: the CA's certificate is not "
		    "for our key", j->name);
		goto out;
	}
	if (cert_info_pem(leaf, ll, &ci, err) == -1)
		goto out;
	if (!cert_has_names(&ci, (const char *const *)j->names, j->nnames)) {
		cd_err_set(err, CD_EPROTO, "%s: the CA's certificate names "
		    "differ from the order", j->name);
		goto out;
	}
	if (keys_to_pem(j->key, &kpem, &kl, err) == -1 ||
	    meta_build(j, &ci, order_url, &meta, err) == -1)
		goto out;
	memset(&f, 0, sizeof(f));
	f.cert = leaf;
	f.certlen = ll;
	f.chain = rest;
	f.chainlen = rl;
	f.fullchain = full;
	f.fulllen = fl;
	f.privkey = kpem;
	f.keylen = kl;
	f.meta = &meta;
	/* a dry run checks everything above and stops before the commit */
	if (!j->p->dry_run &&
	    store_cert_commit(j->st, j->name, &f, err) == -1)
		goto out;
	(void)strftime(day, sizeof(day), "%Y-%m-%d",
	    gmtime_r(&ci.not_after, &tm));
	if (!j->o->quiet && !j->p->quiet)
		printf("certd: %s: issued, serial %s, expires %s\n", j->name,
		    ci.serial, day);
	log_info("%s: %s, serial %s, expires %s", j->name, j->p->dry_run ?
	    "issued (dry run, not stored)" : "issued", ci.serial, day);
	(void)snprintf(j->p->serial, sizeof(j->p->serial), "%s", ci.serial);
	(void)snprintf(j->p->sha256, sizeof(j->p->sha256), "%s", ci.sha256);
	j->p->not_after = ci.not_after;
	rc = 0;
out:
	free(leaf);
	free(rest);
	free(full);
	if (kpem != NULL)
		keys_pem_free(kpem, kl);
	store_kv_clear(&meta);
	cert_info_clear(&ci);
	return rc;
}

static int
run(struct job *j, struct cd_err *err)
{
	const struct opts	*o = j->o;
	struct acme_ident	*ids = NULL;
	struct acme_order	 ord;
	struct acme_chain	*chains = NULL;
	struct acme_err		 ae;
	unsigned char		*csr = NULL;
	size_t			 csrlen = 0, nchains = 0, i;
	int			 pick = 0, rc = -1;

	memset(&ord, 0, sizeof(ord));
	if (keys_csr(j->key, (const char *const *)j->names, j->nnames, &csr,
	    &csrlen, err) == -1)
		goto out;
	if (acct_ensure(&j->acct, j->st, o, err) == -1)
		goto out;
	ids = xcalloc(j->nnames, sizeof(*ids));
	for (i = 0; i < j->nnames; i++) {
		ids[i].type = util_is_ipaddr(j->names[i]) ? ACME_ID_IP :
		    ACME_ID_DNS;
		ids[i].value = j->names[i];
	}
	rc = acme_order_new(j->acct.client, ids, j->nnames, o->profile,
	    j->p->replaces, &ord, &ae);
	/* RFC 9773 §5: the certificate was replaced by another order
	 * already; this one is still wanted, just not as "the" successor */
	if (rc == -1 && j->p->replaces != NULL &&
	    strcmp(ae.type, ACME_PROBLEM_ALREADY_REPLACED) == 0) {
		log_notice("%s: the CA says the certificate was already "
		    "replaced; ordering without \"replaces\"", j->name);
		j->p->replaces_dropped = true;
		rc = acme_order_new(j->acct.client, ids, j->nnames,
		    o->profile, NULL, &ord, &ae);
	}
	if (rc == -1) {
		cd_err_from_acme(err, &ae, "%s: order failed", j->name);
		goto out;
	}
	rc = -1;
	log_info("%s: order %s", j->name, ord.url);
	if (ord.status == ACME_ST_PENDING && authorize(j, &ord, err) == -1)
		goto out;
	if (ord.status == ACME_ST_PENDING &&
	    order_wait(j, &ord, ACME_ST_PENDING, err) == -1)
		goto out;
	if (ord.status == ACME_ST_READY) {
		if (acme_order_finalize(j->acct.client, &ord, csr, csrlen,
		    &ae) == -1) {
			cd_err_from_acme(err, &ae, "%s: finalize failed",
			    j->name);
			goto out;
		}
		if (order_wait(j, &ord, ACME_ST_PROCESSING, err) == -1)
			goto out;
	}
	if (ord.status != ACME_ST_VALID || ord.certificate == NULL) {
		order_failed(j, &ord, err);
		goto out;
	}
	if (acme_cert_download(j->acct.client, ord.certificate, &chains,
	    &nchains, &ae) == -1) {
		cd_err_from_acme(err, &ae, "%s: download failed", j->name);
		goto out;
	}
	if (o->preferred_chain != NULL) {
		pick = acme_chain_pick(chains, nchains, o->preferred_chain);
		if (pick < 0) {
			log_warnx("%s: no chain with issuer \"%s\" among %zu; "
			    "using the default", j->name, o->preferred_chain,
			    nchains);
			pick = 0;
		}
	}
	if (store_result(j, &chains[pick], ord.url, err) == -1)
		goto out;
	if (j->acct.fresh && !j->p->dry_run &&
	    acct_save(&j->acct, j->st, err) == -1)
		goto out;
	rc = 0;
out:
	acme_chains_free(chains, nchains);
	acme_order_clear(&ord);
	free(ids);
	free(csr);
	return rc;
}

int
issue_run(struct store *st, const struct opts *o, struct cd_err *err)
{
	return issue_run_params(st, o, NULL, err);
}

int
issue_run_params(struct store *st, const struct opts *o,
    struct issue_params *params, struct cd_err *err)
{
	struct issue_params	 none;
	struct job		 j;
	struct install_plan	 plan;
	struct sigaction	 sa, old[3];
	static const int	 sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	size_t			 i;
	int			 rc = -1;

	/* bad --install targets are usage errors before the CA is asked */
	if (o->configure && o->install.n == 0)
		return cd_err_set(err, CD_EUSAGE, "issue: --configure needs "
		    "--install");
	if (install_plan_from_opts(o, &o->install, &plan, err) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: waits end early */
	(void)sigemptyset(&sa.sa_mask);
	for (i = 0; i < 3; i++)
		(void)sigaction(sigs[i], &sa, &old[i]);
	memset(&j, 0, sizeof(j));
	j.o = o;
	j.st = st;
	memset(&none, 0, sizeof(none));
	j.p = params != NULL ? params : &none;
	j.deadline_ms = util_now_ms() + 1000L * (o->poll_timeout > 0 ?
	    o->poll_timeout : ISSUE_POLL_TIMEOUT);
	if (acct_init(&j.acct, o, err) == -1)
		goto out;
	if (names_prepare(&j, err) == -1 || challenge_prepare(&j, err) == -1 ||
	    key_prepare(&j, err) == -1)
		goto out;
	rc = run(&j, err);
	/* a dry run keeps no account either: it was never saved */
	if (rc == -1 || j.p->dry_run)
		acct_abandon(&j.acct);
	/* --install: the new version stays stored even if that fails */
	if (rc == 0 && !j.p->dry_run &&
	    install_cert(st, j.name, &plan, err) == -1) {
		if (err != NULL && err->kind != CD_ENOMEM)
			err->kind = CD_EINSTALL;
		rc = -1;
	}
out:
	challenges_cleanup(&j);
	pending_free(&j);
	acct_clear(&j.acct);
	EVP_PKEY_free(j.key);
	for (i = 0; i < j.nnames; i++)
		free(j.names[i]);
	free(j.names);
	free(j.name);
	for (i = 0; i < 3; i++)
		(void)sigaction(sigs[i], &old[i], NULL);
	install_plan_clear(&plan);
	return rc;
}
