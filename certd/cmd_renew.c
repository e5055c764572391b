/*
 * cmd_renew.c - `certd renew`: for every managed certificate (state dir
 * and [cert NAME] sections) decide whether it is due (renew.c), asking
 * the CA's renewalInfo (untrusted, via acme/ari.c) and the revocation
 * engine, renew the due ones with `replaces`, keep per-certificate state
 * and backoff, and print one summary line each. One failure never stops
 * the others.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/x509.h>

#include "acct.h"
#include "cert.h"
#include "cmd.h"
#include "install/install.h"
#include "issue.h"
#include "keys.h"
#include "log.h"
#include "renew.h"
#include "renewstate.h"
#include "store.h"
#include "tlsa.h"
#include "util.h"
#include "revocation/chain.h"
#include "revocation/revcache.h"
#include "revocation/verdict.h"

#define RENEW_DB	"revocation.db"	/* shared with `certd check` */
#define RENEW_META_MAX	STORE_KV_MAX

/* one ACME client per directory URL, for renewalInfo polls */
struct ari_client {
	char		*server;
	struct acct	 acct;
	bool		 ok;
	struct cd_err	 err;		/* why it could not be set up */
};

struct run {
	const struct opts	*o;
	struct store		*st;
	time_t			 now;
	X509_STORE		*trust;		/* lazily, for verdicts */
	bool			 trust_tried;
	struct revcache		*cache;		/* lazily; never in dry runs */
	bool			 cache_tried;
	struct ari_client	*cl;
	size_t			 ncl;
	unsigned		 failed;
};

/*
 * The facts of the current leaf (sha256, validity, names, key type) come
 * from its version's meta, which issue.c wrote from the checked
 * certificate in the same atomic commit. The leaf itself is parsed only
 * when something needs it: a meta without the facts, a renewal state
 * about another leaf or that does not know yet whether this one has
 * revocation pointers (or knows it has), an ARI identifier. Whenever it
 * is parsed, its own facts are used.
 */
struct certjob {
	const char		*name;
	const struct opts_cert	*sec;		/* NULL: state dir only */
	bool			 missing;	/* no current version */
	struct store_kv		 meta;
	struct renewstate_meta	 fm;		/* valid if meta_ok */
	bool			 meta_ok;
	const char		*sha256;	/* fm's or ci's */
	time_t			 not_before;
	time_t			 not_after;
	const char		*key_type;
	const char *const	*names;
	size_t			 nnames;
	char			*leaf;		/* PEM */
	size_t			 leaflen;
	char			*chain;
	size_t			 chainlen;
	struct cert_info	 ci;
	STACK_OF(X509)		*leafsk;	/* the leaf, parsed once */
	bool			 leaf_tried;
	struct cd_err		 leaf_err;	/* why it could not be */
	char			*ari_id;	/* NULL: none (yet) */
	bool			 ari_id_done;	/* ari_id was computed */
	struct opts		 jo;		/* shallow copy, see job_opts */
	char			**own;		/* strings jo points at */
	size_t			 nown;
};

static uint64_t
rand64(void *arg)
{
	uint64_t	 v = 0;

	(void)arg;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint64_t)time(NULL) * 2654435761u;	/* still spread */
	return v;
}

static char *
own(struct certjob *cj, const char *s)
{
	if (s == NULL)
		return NULL;
	cj->own = xreallocarray(cj->own, cj->nown + 1, sizeof(*cj->own));
	return cj->own[cj->nown++] = xstrdup(s);
}

static void
job_clear(struct certjob *cj)
{
	size_t	 i;

	store_kv_clear(&cj->meta);
	free(cj->leaf);
	free(cj->chain);
	cert_info_clear(&cj->ci);
	/* the stack owns its certificate */
	sk_X509_pop_free(cj->leafsk, X509_free);
	free(cj->ari_id);
	free(cj->jo.domain.v);
	free(cj->jo.install.v);
	free(cj->jo.verify_port.v);
	for (i = 0; i < cj->nown; i++)
		free(cj->own[i]);
	free(cj->own);
	memset(cj, 0, sizeof(*cj));
}

/* The directory URL for a certificate: its section, the configured or
 * given --server, what it was issued from, the default. */
static const char *
job_server(const struct run *r, const struct certjob *cj)
{
	const char	*s;

	if (cj->sec != NULL && cj->sec->server != NULL)
		return cj->sec->server;
	if (r->o->server != NULL)
		return r->o->server;
	if ((s = store_kv_get(&cj->meta, "server")) != NULL)
		return s;
	return ACCT_DEFAULT_SERVER;
}

static unsigned
kv_port(const struct store_kv *kv, const char *key)
{
	unsigned long long	 v;
	const char		*s = store_kv_get(kv, key);

	if (s == NULL || util_parse_uint(s, 1, 65535, &v) == -1)
		return 0;
	return (unsigned)v;
}

/* A list of owned copies of v[0..n) into l. */
static void
own_list(struct certjob *cj, struct opts_list *l, const char *const *v,
    size_t n)
{
	size_t	 i;

	l->v = n > 0 ? xcalloc(n, sizeof(char *)) : NULL;
	for (i = 0; i < n; i++)
		l->v[i] = own(cj, v[i]);
	l->n = n;
}

/*
 * Where a renewal installs: the [cert] section's install list, or what
 * the issue recorded in meta (install.c's install_meta_add keys), with
 * the locations from meta where the command's options give none. The
 * new version's meta records them again (issue.c), and issue.c installs.
 */
static void
job_install(struct certjob *cj, const struct opts *o)
{
	const struct store_kv	*m = &cj->meta;
	const char		*v[OPTS_LIST_MAX];
	size_t			 n;

	cj->jo.install.v = NULL;
	cj->jo.install.n = 0;
	cj->jo.verify_port.v = NULL;
	cj->jo.verify_port.n = 0;
	cj->jo.configure = false;	/* only `certd install --configure` */
	if (cj->sec != NULL) {
		own_list(cj, &cj->jo.install,
		    (const char *const *)cj->sec->install.v, cj->sec->install.n);
		own_list(cj, &cj->jo.verify_port,
		    (const char *const *)o->verify_port.v, o->verify_port.n);
		return;
	}
	n = store_kv_getall(m, "install", v, OPTS_LIST_MAX);
	own_list(cj, &cj->jo.install, v, n);
	if (o->verify_port.n > 0)
		own_list(cj, &cj->jo.verify_port,
		    (const char *const *)o->verify_port.v, o->verify_port.n);
	else {
		n = store_kv_getall(m, "verify_port", v, OPTS_LIST_MAX);
		own_list(cj, &cj->jo.verify_port, v, n);
	}
#define META(f, k) if (cj->jo.f == NULL) \
	cj->jo.f = own(cj, store_kv_get(m, k))
	META(postfix_config_dir, "postfix_config_dir");
	META(dest_dir, "install_dest_dir");
	META(verify_host, "verify_host");
	META(deploy_hook_dir, "deploy_hook_dir");
	META(exim_config, "exim_config");
	META(exim_bin_dir, "exim_bin_dir");
	META(exim_group, "exim_group");
	META(dovecot_config, "dovecot_config");
	META(dovecot_bin_dir, "dovecot_bin_dir");
#undef META
}

/*
 * The issue settings of one certificate as a struct opts: a shallow copy
 * of the command's options (account, CA bundle, timeouts) with the
 * certificate's own settings: its [cert] section (falling back to the
 * global [certd] values), or else the meta of its current version.
 */
static int
job_opts(const struct run *r, struct certjob *cj, struct cd_err *err)
{
	const struct opts	*o = r->o;
	const struct opts_cert	*s = cj->sec;
	const struct store_kv	*m = &cj->meta;
	const char		*v[OPTS_LIST_MAX];
	size_t			 i, n;

	cj->jo = *o;
	cj->jo.name = own(cj, cj->name);
	cj->jo.server = own(cj, job_server(r, cj));
	cj->jo.domain.v = NULL;
	cj->jo.domain.n = 0;
	if (s != NULL) {
		if (s->domain.n == 0)
			return cd_err_set(err, CD_ECONFIG, "[cert %s]: no "
			    "domain", cj->name);
		n = s->domain.n;
		for (i = 0; i < n; i++)
			v[i] = s->domain.v[i];
	} else
		n = store_kv_getall(m, "domain", v, OPTS_LIST_MAX);
	if (n == 0)
		return cd_err_set(err, CD_EPROTO, "%s: meta names no domain",
		    cj->name);
	cj->jo.domain.v = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++)
		cj->jo.domain.v[i] = own(cj, v[i]);
	cj->jo.domain.n = n;
	job_install(cj, o);
	if (s != NULL) {
		cj->jo.key_type = own(cj, s->key_type != NULL ? s->key_type :
		    o->key_type);
		/* key_rollover = dane: renew_one() hands issue.c the key
		 * that certd/tlsa.c chose (the current one, or the staged
		 * next key once its TLSA record is published); reuse is
		 * what is left for a first issuance */
		cj->jo.reuse_key = s->key_rollover != NULL ?
		    strcmp(s->key_rollover, "new") != 0 : o->reuse_key;
#define PICK(f) own(cj, s->f != NULL ? s->f : o->f)
		cj->jo.challenge = PICK(challenge);
		cj->jo.http_addr = PICK(http_addr);
		cj->jo.webroot = PICK(webroot);
		cj->jo.tls_addr = PICK(tls_addr);
		cj->jo.dns_hook = PICK(dns_hook);
		cj->jo.profile = PICK(profile);
		cj->jo.preferred_chain = PICK(preferred_chain);
#undef PICK
		cj->jo.http_port = s->http_port > 0 ? s->http_port :
		    o->http_port;
		cj->jo.tls_port = s->tls_port > 0 ? s->tls_port : o->tls_port;
		if (s->key_rollover != NULL &&
		    strcmp(s->key_rollover, "new") != 0 &&
		    strcmp(s->key_rollover, "reuse") != 0 &&
		    strcmp(s->key_rollover, "dane") != 0)
			return cd_err_set(err, CD_ECONFIG, "[cert %s]: "
			    "key_rollover: new, reuse or dane", cj->name);
		return 0;
	}
	cj->jo.key_type = own(cj, store_kv_get(m, "key_type"));
	cj->jo.reuse_key = store_kv_get(m, "reuse_key") != NULL &&
	    strcmp(store_kv_get(m, "reuse_key"), "yes") == 0;
	cj->jo.challenge = own(cj, store_kv_get(m, "challenge"));
	cj->jo.http_addr = own(cj, store_kv_get(m, "http_addr"));
	cj->jo.http_port = kv_port(m, "http_port");
	cj->jo.webroot = own(cj, store_kv_get(m, "webroot"));
	cj->jo.tls_addr = own(cj, store_kv_get(m, "tls_addr"));
	cj->jo.tls_port = kv_port(m, "tls_port");
	cj->jo.dns_hook = own(cj, store_kv_get(m, "dns_hook"));
	cj->jo.profile = own(cj, store_kv_get(m, "profile"));
	cj->jo.preferred_chain = own(cj, store_kv_get(m, "preferred_chain"));
	return 0;
}

static void
facts_from_meta(struct certjob *cj)
{
	cj->sha256 = cj->fm.sha256;
	cj->not_before = cj->fm.not_before;
	cj->not_after = cj->fm.not_after;
	cj->key_type = cj->fm.key_type;
	cj->names = cj->fm.names;
	cj->nnames = cj->fm.nnames;
}

/* Parses the current leaf once; from then on its facts are used. */
static int
job_leaf(struct run *r, struct certjob *cj, struct cd_err *err)
{
	if (cj->leafsk != NULL)
		return 0;
	if (cj->leaf_tried) {
		if (err != NULL)
			*err = cj->leaf_err;
		return -1;
	}
	cj->leaf_tried = true;
	cd_err_clear(&cj->leaf_err);
	if (store_cert_read(r->st, cj->name, "cert.pem", CERT_CHAIN_MAX,
	    &cj->leaf, &cj->leaflen, &cj->leaf_err) == -1 ||
	    chain_load_pem(cj->leaf, cj->leaflen, &cj->leafsk,
	    &cj->leaf_err) == -1 ||
	    cert_info_x509(sk_X509_value(cj->leafsk, 0), &cj->ci,
	    &cj->leaf_err) == -1) {
		/* the stack owns its certificate */
		sk_X509_pop_free(cj->leafsk, X509_free);
		cj->leafsk = NULL;
		if (err != NULL)
			*err = cj->leaf_err;
		return -1;
	}
	if (cj->meta_ok && strcmp(cj->fm.sha256, cj->ci.sha256) != 0)
		log_warnx("%s: meta does not describe cert.pem (sha256 %s); "
		    "going by the certificate", cj->name, cj->ci.sha256);
	cj->sha256 = cj->ci.sha256;
	cj->not_before = cj->ci.not_before;
	cj->not_after = cj->ci.not_after;
	cj->key_type = cj->ci.key_type;
	cj->names = (const char *const *)cj->ci.names;
	cj->nnames = cj->ci.nnames;
	return 0;
}

/* The RFC 9773 identifier of the current leaf, computed once; NULL when
 * it has none (no Authority Key Identifier) or the leaf is unusable. */
static const char *
job_ari_id(struct run *r, struct certjob *cj)
{
	struct acme_err	 ae;
	struct cd_err	 e;
	unsigned char	*der = NULL;
	int		 n;

	if (cj->ari_id_done || cj->missing)
		return cj->ari_id;
	cj->ari_id_done = true;
	if (job_leaf(r, cj, &e) == -1) {
		log_warnx("%s: no ARI identifier: %s", cj->name, e.msg);
		return NULL;
	}
	if ((n = i2d_X509(sk_X509_value(cj->leafsk, 0), &der)) <= 0)
		return NULL;
	if (acme_ari_cert_id(der, (size_t)n, &cj->ari_id, &ae) == -1) {
		log_debug("%s: no ARI identifier: %s", cj->name, ae.msg);
		cj->ari_id = NULL;
	}
	OPENSSL_free(der);
	return cj->ari_id;
}

/* The current version's meta and the facts it records; the leaf only
 * when the meta lacks them. Everything else (leaf, chain, ARI
 * identifier) is read only when needed: a run where nothing is due must
 * stay cheap for hundreds of certificates. */
static int
job_load(struct run *r, struct certjob *cj, struct cd_err *err)
{
	struct cd_err	 e;
	char		*text = NULL;
	size_t		 len = 0;

	if (store_cert_read(r->st, cj->name, "meta", RENEW_META_MAX, &text,
	    &len, err) == -1) {
		if (err->kind == CD_ENOTFOUND && cj->sec != NULL) {
			cd_err_clear(err);
			cj->missing = true;
			return 0;
		}
		return -1;
	}
	if (store_kv_parse(text, len, &cj->meta, err) == -1) {
		free(text);
		return -1;
	}
	free(text);
	if (renewstate_meta(&cj->meta, &cj->fm, &e) == 0) {
		cj->meta_ok = true;
		facts_from_meta(cj);
		return 0;
	}
	log_debug("%s: %s; reading the certificate", cj->name, e.msg);
	return job_leaf(r, cj, err);
}

/* Do the names or the key type differ from the [cert] section? */
static bool
config_changed(const struct certjob *cj, const char **why)
{
	const struct opts_cert	*s = cj->sec;
	struct cert_info	 have;
	char			*names[OPTS_LIST_MAX];
	size_t			 i;
	bool			 same;

	if (s == NULL || cj->missing)
		return false;
	for (i = 0; i < s->domain.n; i++)
		names[i] = util_lower(xstrdup(s->domain.v[i]));
	/* the meta's names passed cert_has_names() against the leaf's
	 * SANs when issue.c stored them: the same answer as the SANs.
	 * cert_has_names() only reads them (hence the cast). */
	memset(&have, 0, sizeof(have));
	have.names = (char **)(uintptr_t)cj->names;
	have.nnames = cj->nnames;
	same = cert_has_names(&have, (const char *const *)names,
	    s->domain.n);
	for (i = 0; i < s->domain.n; i++)
		free(names[i]);
	if (!same) {
		*why = "names differ from certd.conf";
		return true;
	}
	if (s->key_type != NULL && strcmp(s->key_type, cj->key_type) != 0) {
		*why = "key type differs from certd.conf";
		return true;
	}
	return false;
}

/*
 * Is the certificate revoked per its own CRL/OCSP? UNKNOWN is "no".
 * Whether the leaf has any pointer at all is learnt once per leaf and
 * kept in rs (about this leaf: renew_one starts rs over for another).
 */
static bool
is_revoked(struct run *r, struct certjob *cj, struct renewstate *rs)
{
	struct verdict_opts	 vo;
	struct chain_opts	 co;
	struct rev_result	 res;
	struct cd_err		 e;
	STACK_OF(X509)		*untrusted = NULL;
	X509			*leaf;
	char			*path, **crl = NULL, **ocsp = NULL;
	size_t			 ncrl = 0, nocsp = 0;
	bool			 revoked = false, nosource = false;

	if (rs->revptrs == RENEWSTATE_REV_NO) {
		log_debug("%s: no revocation source in the certificate",
		    cj->name);
		return false;
	}
	if (job_leaf(r, cj, &e) == -1) {
		log_warnx("%s: revocation check: %s", cj->name, e.msg);
		return false;
	}
	leaf = sk_X509_value(cj->leafsk, 0);
	/* without a CRL or OCSP pointer the engine can only say UNKNOWN (or
	 * GOOD for a short-lived certificate): spare it the chain */
	if (chain_crl_urls(leaf, &crl, &ncrl, &e) == 0 &&
	    chain_ocsp_urls(leaf, &ocsp, &nocsp, &e) == 0 &&
	    ncrl == 0 && nocsp == 0)
		nosource = true;	/* else the engine finds out */
	chain_urls_free(crl, ncrl);
	chain_urls_free(ocsp, nocsp);
	/* a property of the leaf: the same answer every time */
	rs->revptrs = nosource ? RENEWSTATE_REV_NO : RENEWSTATE_REV_YES;
	if (nosource) {
		log_debug("%s: no revocation source in the certificate",
		    cj->name);
		return false;
	}
	if (!r->trust_tried) {
		r->trust_tried = true;
		chain_opts_init(&co);
		co.ca_file = r->o->ca_file;
		co.now = r->now;
		if (chain_store_new(&co, &r->trust, &e) == -1) {
			log_warnx("revocation check: %s", e.msg);
			r->trust = NULL;
		}
	}
	if (r->trust == NULL)
		return false;
	if (!r->cache_tried && !r->o->dry_run && !r->o->no_cache) {
		r->cache_tried = true;
		path = xasprintf("%s/%s", store_dir(r->st), RENEW_DB);
		if ((r->cache = revcache_open(path, &e)) == NULL)
			log_warnx("revocation cache: %s", e.msg);
		free(path);
	}
	if (store_cert_read(r->st, cj->name, "chain.pem", CERT_CHAIN_MAX,
	    &cj->chain, &cj->chainlen, &e) == -1 ||
	    (cj->chainlen > 0 && strspn(cj->chain, " \t\r\n") <
	    cj->chainlen && chain_load_pem(cj->chain, cj->chainlen,
	    &untrusted, &e) == -1)) {
		log_warnx("%s: revocation check: %s", cj->name, e.msg);
		goto out;
	}
	verdict_opts_init(&vo, r->now);
	vo.store = r->trust;
	vo.trust_id = r->o->ca_file;
	vo.cache = r->cache;
	if (r->o->timeout > 0)
		vo.timeout = r->o->timeout;
	if (verdict_check(leaf, untrusted, NULL, 0, &vo, &res, &e) == -1) {
		log_warnx("%s: revocation check: %s", cj->name, e.msg);
		goto out;
	}
	if (res.status == REV_REVOKED) {
		revoked = true;
		log_notice("%s: the current certificate is revoked (%s)",
		    cj->name, rev_source_name(res.source));
	} else
		log_info("%s: revocation status %s%s%s", cj->name,
		    rev_status_name(res.status), res.detail[0] != '\0' ?
		    ": " : "", res.detail);
out:
	/* the stack owns its certificates */
	sk_X509_pop_free(untrusted, X509_free);
	return revoked;
}

static struct ari_client *
ari_client(struct run *r, const char *server)
{
	struct ari_client	*c;
	struct opts		 co;
	size_t			 i;

	for (i = 0; i < r->ncl; i++)
		if (strcmp(r->cl[i].server, server) == 0)
			return &r->cl[i];
	r->cl = xreallocarray(r->cl, r->ncl + 1, sizeof(*r->cl));
	c = &r->cl[r->ncl++];
	memset(c, 0, sizeof(*c));
	c->server = xstrdup(server);
	co = *r->o;
	co.server = c->server;
	c->ok = acct_init(&c->acct, &co, &c->err) == 0;
	return c;
}

/* Polls renewalInfo when its time has come; updates rs. */
static void
ari_poll(struct run *r, struct certjob *cj, const char *server,
    struct renewstate *rs)
{
	struct ari_client		*c;
	struct acme_renewal_info	 ri;
	struct acme_err			 ae;
	char				 safe[4 * LOG_SAFE_MAX];
	bool				 yes;
	time_t				 wait;

	if (rs->ari_next > r->now || job_ari_id(r, cj) == NULL)
		return;
	c = ari_client(r, server);
	if (!c->ok) {
		log_warnx("%s: renewal info: %s", cj->name, c->err.msg);
		rs->ari_next = r->now + RENEW_ARI_ERROR_RETRY;
		return;
	}
	if (acme_ari_supported(c->acct.client, &yes, &ae) == -1)
		goto fail;
	if (!yes) {
		rs->ari = RENEWSTATE_ARI_NO;
		rs->ari_next = r->now + RENEW_NOARI_RECHECK;
		rs->ari_start = rs->ari_end = rs->ari_chosen = 0;
		log_debug("%s: %s offers no renewalInfo", cj->name, server);
		return;
	}
	if (acme_ari_get(c->acct.client, cj->ari_id, &ri, &ae) == -1)
		goto fail;
	rs->ari = RENEWSTATE_ARI_YES;
	if (renew_ari_choose(ri.start, ri.end, rs->ari_chosen, rand64, NULL,
	    &rs->ari_chosen) == 0) {
		rs->ari_start = ri.start;
		rs->ari_end = ri.end;
	}
	rs->ari_next = renew_ari_next_poll(r->now, ri.retry_after);
	if (ri.explanation_url != NULL)
		log_notice("%s: the CA explains its renewal window: %s",
		    cj->name, log_safe(safe, sizeof(safe), ri.explanation_url,
		    strlen(ri.explanation_url)));
	log_info("%s: ARI window %lld..%lld, renewal time %lld, next poll "
	    "%lld", cj->name, (long long)rs->ari_start, (long long)rs->ari_end,
	    (long long)rs->ari_chosen, (long long)rs->ari_next);
	acme_renewal_info_clear(&ri);
	return;
fail:
	/* RFC 9773 §4.3.3: decide by ourselves, ask again later */
	wait = ae.retry_after > RENEW_ARI_ERROR_RETRY ? ae.retry_after :
	    RENEW_ARI_ERROR_RETRY;
	rs->ari_next = r->now + wait;
	log_warnx("%s: renewal info: %s", cj->name, ae.msg);
}

/* "12 days", "5 h", "20 min" */
static void
in_words(time_t secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 2 * 86400)
		(void)snprintf(buf, len, "%lld days", (long long)(secs / 86400));
	else if (secs >= 2 * 3600)
		(void)snprintf(buf, len, "%lld h", (long long)(secs / 3600));
	else
		(void)snprintf(buf, len, "%lld min",
		    (long long)((secs + 59) / 60));
}

/* Installs the current version again after a failed installation. */
static int
install_again(struct run *r, struct certjob *cj, struct cd_err *err)
{
	struct install_plan	 plan;
	int			 rc;

	if (install_plan_from_opts(&cj->jo, &cj->jo.install, &plan,
	    err) == -1)
		return -1;
	plan.quiet = true;
	rc = install_cert(r->st, cj->name, &plan, err);
	install_plan_clear(&plan);
	return rc;
}

static void
summary(const struct run *r, bool failure, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
summary(const struct run *r, bool failure, const char *fmt, ...)
{
	va_list	 ap;

	if (r->o->quiet && !failure)
		return;
	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
	(void)fflush(stdout);
}

static void
renew_one(struct run *r, const char *name, const struct opts_cert *sec)
{
	struct certjob		 cj;
	struct renewstate	 rs, rs0;
	struct renew_facts	 f;
	struct renew_decision	 d;
	struct issue_params	 ip;
	struct cd_err		 err;
	const char		*server, *why = NULL;
	char			 w[32], day[16], ver[32];
	struct tm		 tm;
	time_t			 delay, next;
	int			 irc;
	enum renewstate_ari	 ari;
	enum renewstate_rev	 revptrs;
	struct tlsa_policy	 tp;
	struct cd_err		 e2;
	EVP_PKEY		*dkey = NULL;
	bool			 dane, rolled = false;
	bool			 pending;

	memset(&cj, 0, sizeof(cj));
	memset(&f, 0, sizeof(f));
	cd_err_clear(&err);
	cj.name = name;
	cj.sec = sec;
	renewstate_init(&rs, NULL);
	if (job_load(r, &cj, &err) == -1 || job_opts(r, &cj, &err) == -1) {
		r->failed++;
		summary(r, true, "certd: %s: failed: %s\n", name, err.msg);
		job_clear(&cj);
		return;
	}
	if (renewstate_load(r->st, name, &rs, &err) == -1) {
		log_warnx("%s: %s; starting over", name, err.msg);
		renewstate_init(&rs, NULL);
	}
	rs0 = rs;
	/*
	 * The meta's facts suffice only when the state is about the leaf
	 * the meta names and knows that it has no revocation pointers; else
	 * the leaf is read (for the pointers anyway) and its facts go
	 * first. rs.cert always comes from a parsed leaf (here or issue.c),
	 * so the fast path also means that the meta's sha256 once matched
	 * cert.pem.
	 */
	if (!cj.missing && cj.leafsk == NULL &&
	    (strcmp(rs.cert, cj.sha256) != 0 ||
	    rs.revptrs != RENEWSTATE_REV_NO) && job_leaf(r, &cj, &err) == -1) {
		r->failed++;
		summary(r, true, "certd: %s: failed: %s\n", name, err.msg);
		job_clear(&cj);
		return;
	}
	/* a state about another certificate (renewed, or re-issued by
	 * hand) tells nothing about this one, except what the CA offers */
	if (!cj.missing && strcmp(rs.cert, cj.sha256) != 0) {
		/* a version no run has seen to the end: a renewal killed
		 * between storing and installing it, or an issue by hand.
		 * Installing it again is harmless; not installing it would
		 * leave the MTA serving the old certificate until it ends */
		pending = rs.cert[0] != '\0' && cj.jo.install.n > 0;
		next = rs.ari_next;
		ari = rs.ari;
		renewstate_init(&rs, cj.sha256);
		rs.ari = ari;
		rs.ari_next = ari == RENEWSTATE_ARI_NO ? next : 0;
		rs.install_pending = pending;
	}
	server = cj.jo.server;
	f.forced = r->o->force;
	f.missing = cj.missing;
	f.next_retry = rs.next_retry;
	if (!cj.missing) {
		f.not_before = cj.not_before;
		f.not_after = cj.not_after;
		f.renew_before = sec != NULL && sec->renew_before > 0 ?
		    sec->renew_before : r->o->renew_before;
		f.config_changed = config_changed(&cj, &why);
		if (!f.forced && !f.config_changed)
			f.revoked = is_revoked(r, &cj, &rs);
		if (!f.forced && !f.config_changed && !f.revoked)
			ari_poll(r, &cj, server, &rs);
		f.ari = rs.ari == RENEWSTATE_ARI_YES && rs.ari_chosen != 0 &&
		    renew_ari_window_is_valid(rs.ari_start, rs.ari_end);
		f.ari_chosen = rs.ari_chosen;
	}
	renew_decide(&f, r->now, &d);
	if (d.reason == RENEW_CONFIG_CHANGED && why != NULL)
		log_notice("%s: %s", name, why);

	/* renewed earlier, but not installed: try that again first */
	if (rs.install_pending && d.reason == RENEW_NOT_DUE &&
	    !r->o->dry_run) {
		if (rs.next_retry > r->now && !r->o->force) {
			r->failed++;
			in_words(rs.next_retry - r->now, w, sizeof(w));
			summary(r, true, "certd: %s: failed: install pending, "
			    "next attempt in %s: %s\n", name, w,
			    rs.last_error);
			goto save;
		}
		if (install_again(r, &cj, &err) == -1) {
			r->failed++;
			rs.failures++;
			delay = renew_backoff(rs.failures, 0, rand64, NULL);
			rs.next_retry = r->now + delay;
			rs.last_attempt = r->now;
			renewstate_set_error(&rs, err.msg);
			in_words(delay, w, sizeof(w));
			summary(r, true, "certd: %s: failed: %s (attempt %u, "
			    "next in %s)\n", name, err.msg, rs.failures, w);
			goto save;
		}
		ari = rs.ari;
		next = rs.ari_next;
		revptrs = rs.revptrs;	/* still about this leaf */
		renewstate_init(&rs, cj.sha256);
		rs.ari = ari;
		rs.ari_next = next;
		rs.revptrs = revptrs;
		rs.last_attempt = r->now;
		summary(r, false, "certd: %s: installed (after an earlier "
		    "failure)\n", name);
		goto save;
	}

	if (d.reason == RENEW_NOT_DUE && !r->o->dry_run) {
		in_words(d.due_at - r->now, w, sizeof(w));
		summary(r, false, "certd: %s: not due (renews in %s)\n", name,
		    w);
		goto save;
	}
	if (d.wait && !r->o->dry_run) {
		r->failed++;
		in_words(d.retry_at - r->now, w, sizeof(w));
		summary(r, true, "certd: %s: failed: waiting to retry in %s "
		    "after %u failure%s: %s\n", name, w, rs.failures,
		    rs.failures == 1 ? "" : "s", rs.last_error[0] != '\0' ?
		    rs.last_error : "(no detail)");
		goto save;
	}

	memset(&ip, 0, sizeof(ip));
	ip.quiet = true;
	ip.dry_run = r->o->dry_run;
	/* RFC 9773 §5: name the predecessor when the CA speaks ARI; a dry
	 * run does not, since it would mark the certificate replaced */
	if (!cj.missing && !ip.dry_run && rs.ari == RENEWSTATE_ARI_YES)
		ip.replaces = job_ari_id(r, &cj);
	log_info("%s: renewing (%s)%s%s", name, renew_reason_name(d.reason),
	    ip.replaces != NULL ? ", replaces " : "",
	    ip.replaces != NULL ? ip.replaces : "");
	cd_err_clear(&err);
	dane = sec != NULL && sec->key_rollover != NULL &&
	    strcmp(sec->key_rollover, "dane") == 0 && !ip.dry_run;
	irc = 0;
	if (dane && (tlsa_policy_from_opts(&tp, r->o, sec, &err) == -1 ||
	    tlsa_rollover_key(r->st, name, &tp, r->now, &dkey, &rolled,
	    &err) == -1))
		irc = -1;
	if (irc == 0) {
		ip.key = dkey;		/* NULL: as the settings say */
		irc = issue_run_params(r->st, &cj.jo, &ip, &err);
		/* the new version is stored (installed or not): finish the
		 * roll, or stage the first next key */
		if (dane && (irc == 0 || err.kind == CD_EINSTALL) &&
		    tlsa_rollover_commit(r->st, name, &tp, rolled, r->now,
		    &e2) == -1)
			log_warnx("%s: DANE key staging: %s", name, e2.msg);
	}
	EVP_PKEY_free(dkey);
	if (irc == -1 && err.kind == CD_EINSTALL && ip.sha256[0] != '\0' && !ip.dry_run) {
		/* stored, but not installed: the next run retries that */
		r->failed++;
		ari = rs.ari;
		renewstate_init(&rs, ip.sha256);
		rs.ari = ari;
		rs.ari_next = ari == RENEWSTATE_ARI_NO ? r->now +
		    RENEW_NOARI_RECHECK : 0;
		rs.install_pending = true;
		rs.failures = 1;
		delay = renew_backoff(rs.failures, 0, rand64, NULL);
		rs.next_retry = r->now + delay;
		rs.last_attempt = r->now;
		renewstate_set_error(&rs, err.msg);
		if (store_cert_current(r->st, name, ver, sizeof(ver),
		    NULL) == -1)
			(void)snprintf(ver, sizeof(ver), "?");
		in_words(delay, w, sizeof(w));
		summary(r, true, "certd: %s: failed: renewed (%s), %s, serial "
		    "%s, but %s (next attempt in %s)\n", name,
		    renew_reason_name(d.reason), ver, ip.serial, err.msg, w);
		goto save;
	}
	if (irc == -1) {
		r->failed++;
		if (ip.dry_run) {
			summary(r, true, "certd: %s: dry run failed: %s\n",
			    name, err.msg);
			goto out;
		}
		rs.failures++;
		delay = renew_backoff(rs.failures, err.kind == CD_ETEMP ||
		    err.retry_after > 0 ? err.retry_after : 0, rand64, NULL);
		rs.next_retry = r->now + delay;
		rs.last_attempt = r->now;
		renewstate_set_error(&rs, err.msg);
		in_words(delay, w, sizeof(w));
		summary(r, true, "certd: %s: failed: %s (attempt %u, next in "
		    "%s)\n", name, err.msg, rs.failures, w);
		goto save;
	}
	(void)strftime(day, sizeof(day), "%Y-%m-%d", gmtime_r(&ip.not_after,
	    &tm));
	if (ip.dry_run) {
		if (d.reason == RENEW_NOT_DUE) {
			in_words(d.due_at - r->now, w, sizeof(w));
			summary(r, false, "certd: %s: dry run ok, serial %s, "
			    "not stored (not due: renews in %s)\n", name,
			    ip.serial, w);
		} else
			summary(r, false, "certd: %s: dry run ok, serial %s, "
			    "not stored (due: %s)\n", name, ip.serial,
			    d.wait ? "waiting after failures" :
			    renew_reason_name(d.reason));
		goto out;
	}
	if (store_cert_current(r->st, name, ver, sizeof(ver), &err) == -1)
		(void)snprintf(ver, sizeof(ver), "?");
	ari = rs.ari;		/* what the CA offers stays known */
	renewstate_init(&rs, ip.sha256);
	rs.ari = ari;
	/* the new certificate's window is asked for on the next run */
	rs.ari_next = ari == RENEWSTATE_ARI_NO ? r->now +
	    RENEW_NOARI_RECHECK : 0;
	rs.last_attempt = r->now;
	summary(r, false, "certd: %s: renewed (%s), %s, serial %s, expires "
	    "%s%s\n", name, renew_reason_name(d.reason), ver, ip.serial, day,
	    ip.replaces_dropped ? " (already replaced: ordered without "
	    "replaces)" : "");
save:
	if (!r->o->dry_run && !renewstate_equal(&rs, &rs0) &&
	    renewstate_save(r->st, name, &rs, &err) == -1) {
		log_warnx("%s: %s", name, err.msg);
	}
out:
	job_clear(&cj);
}

/* Names in the state dir and in [cert] sections, sorted, unique. */
static int
names_collect(struct run *r, char ***out, size_t *n, struct cd_err *err)
{
	char	**names = NULL;
	size_t	 cnt = 0, i, k;

	if (store_cert_list(r->st, &names, &cnt, err) == -1)
		return -1;
	for (i = 0; i < r->o->ncerts; i++) {
		for (k = 0; k < cnt; k++)
			if (strcmp(names[k], r->o->certs[i].name) == 0)
				break;
		if (k < cnt)
			continue;
		names = xreallocarray(names, cnt + 1, sizeof(*names));
		names[cnt++] = xstrdup(r->o->certs[i].name);
	}
	if (cnt > 0)
		qsort(names, cnt, sizeof(*names), util_strcmp_ptr);
	*out = names;
	*n = cnt;
	return 0;
}

int
cmd_renew(const struct opts *o, int *status, struct cd_err *err)
{
	struct run	 r;
	char		**names = NULL;
	size_t		 n = 0, i;
	int		 rc = -1;
	bool		 found = false;

	*status = 0;
	if (o->nargs > 0)
		return cd_err_set(err, CD_EUSAGE, "renew: unexpected argument "
		    "\"%.64s\"", o->args[0]);
	if (o->name != NULL && !util_is_safe_component(o->name))
		return cd_err_set(err, CD_EUSAGE, "renew: --name: use letters, "
		    "digits, '.', '_' and '-'");
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.now = cd_now();
	/* a dry run must not even create the state directory */
	if ((r.st = store_open(o->state_dir, !o->dry_run && o->ncerts > 0,
	    err)) == NULL) {
		if (err->kind == CD_ENOTFOUND && o->ncerts == 0 &&
		    o->name == NULL) {
			cd_err_clear(err);
			log_info("no certificates to renew (%s does not "
			    "exist)", o->state_dir);
			return 0;
		}
		return -1;
	}
	if (store_lock(r.st, false, err) == -1 ||
	    names_collect(&r, &names, &n, err) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (o->name != NULL && strcmp(o->name, names[i]) != 0)
			continue;
		found = true;
		renew_one(&r, names[i], opts_cert_find(o, names[i]));
	}
	if (o->name != NULL && !found) {
		cd_err_set(err, CD_EUSAGE, "renew: %s: no such certificate "
		    "(neither in the state directory nor in certd.conf)",
		    o->name);
		goto out;
	}
	if (n == 0)
		log_info("no certificates to renew");
	*status = r.failed > 0 ? CMD_RENEW_FAILED : 0;
	rc = 0;
out:
	for (i = 0; i < r.ncl; i++) {
		acct_clear(&r.cl[i].acct);
		free(r.cl[i].server);
	}
	free(r.cl);
	revcache_close(r.cache);
	X509_STORE_free(r.trust);
	store_names_free(names, n);
	store_close(r.st);
	return rc;
}
