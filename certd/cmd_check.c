/*
 * cmd_check.c - `certd check`: the revocation status of a certificate
 * given as a file or fetched from a mail server (probe), through the
 * engine in revocation/verdict.c. Exit 0 good, 1 revoked, 2 unknown.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmd.h"
#include "file.h"
#include "log.h"
#include "util.h"
#include "revocation/chain.h"
#include "revocation/probe.h"
#include "revocation/revcache.h"
#include "revocation/verdict.h"

#define CHECK_DB	"revocation.db"
#define CHECK_CACHE_MAX	(256u * 1024 * 1024)	/* bytes of cache data */

struct subject {
	X509		*leaf;
	STACK_OF(X509)	*untrusted;	/* intermediates, may be NULL */
	unsigned char	*staple;
	size_t		 staple_len;
};

static void
subject_clear(struct subject *s)
{
	X509_free(s->leaf);
	/* we hold a reference on every certificate of the stack */
	sk_X509_pop_free(s->untrusted, X509_free);
	free(s->staple);
	memset(s, 0, sizeof(*s));
}

static int
load_files(const struct opts *o, struct subject *s, struct cd_err *err)
{
	STACK_OF(X509)	*sk = NULL;
	char		*pem = NULL;
	const char	*file;
	size_t		 len;
	int		 rc = -1;

	file = o->cert;
	if (file_read(AT_FDCWD, o->cert, CHAIN_PEM_MAX, &pem, &len,
	    err) == -1)
		goto notfound;
	if (chain_load_pem(pem, len, &sk, err) == -1)
		goto baddata;
	/* the first certificate is the one checked; any others are
	 * intermediates sent along in the same file */
	s->leaf = sk_X509_shift(sk);
	s->untrusted = sk;
	sk = NULL;
	free(pem);
	pem = NULL;
	if (o->chain != NULL) {
		file = o->chain;
		if (file_read(AT_FDCWD, o->chain, CHAIN_PEM_MAX, &pem, &len,
		    err) == -1)
			goto notfound;
		if (chain_load_pem(pem, len, &sk, err) == -1)
			goto baddata;
		while (sk_X509_num(sk) > 0)
			if (sk_X509_push(s->untrusted, sk_X509_shift(sk)) == 0) {
				cd_err_set(err, CD_ENOMEM, "chain");
				goto out;
			}
	}
	if (o->ocsp_response != NULL && file_read(AT_FDCWD, o->ocsp_response,
	    REV_OCSP_MAX, (char **)&s->staple, &s->staple_len, err) == -1)
		goto notfound;
	rc = 0;
	goto out;
baddata:
	/* the user's file, not a peer's answer: a usage error */
	{
		char	 msg[sizeof(err->msg)];

		(void)snprintf(msg, sizeof(msg), "%s", err->msg);
		cd_err_set(err, CD_EUSAGE, "%s: %s", file, msg);
	}
	goto out;
notfound:
	if (err->kind == CD_ESYS && err->sys_errno == ENOENT)
		err->kind = CD_ENOTFOUND;
out:
	sk_X509_pop_free(sk, X509_free);
	free(pem);
	return rc;
}

static int
probe(const struct opts *o, struct subject *s, struct cd_err *err)
{
	struct probe_opts	 po;
	struct probe_result	 pr;
	char			 host[PROBE_HOST_MAX], port[PROBE_PORT_MAX];
	int			 rc;

	if (probe_parse_target(o->host, host, port, err) == -1)
		return -1;
	if (o->starttls != NULL && strcmp(o->starttls, "smtp") != 0)
		return cd_err_set(err, CD_EUSAGE, "--starttls: only smtp");
	if (o->starttls != NULL && o->tls)
		return cd_err_set(err, CD_EUSAGE,
		    "--starttls and --tls exclude each other");
	memset(&po, 0, sizeof(po));
	po.host = host;
	po.port = port;
	/* port 465 is SMTPS (RFC 8314); everything else starts in clear */
	po.starttls = o->starttls != NULL ||
	    (!o->tls && strcmp(port, PROBE_PORT_SMTPS) != 0);
	po.timeout_ms = (int)(o->timeout > 0 ? o->timeout : 10) * 1000;
	memset(&pr, 0, sizeof(pr));
	if (probe_run(&po, &pr, err) == -1)
		return -1;
	rc = 0;
	if (pr.chain == NULL || sk_X509_num(pr.chain) == 0)
		rc = cd_err_set(err, CD_EPROTO, "%s: no certificate "
		    "presented", host);
	else {
		s->untrusted = pr.chain;
		pr.chain = NULL;
		s->leaf = sk_X509_shift(s->untrusted);
		s->staple = pr.ocsp;
		s->staple_len = pr.ocsp_len;
		pr.ocsp = NULL;
	}
	probe_result_clear(&pr);
	return rc;
}

static void
rfc3339(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (t == 0)
		(void)snprintf(buf, len, "null");
	else
		(void)strftime(buf, len, "\"%Y-%m-%dT%H:%M:%SZ\"",
		    gmtime_r(&t, &tm));
}

static void
print_result(const struct opts *o, X509 *leaf, const struct rev_result *r)
{
	char		 subj[CHAIN_NAME_MAX], iss[CHAIN_NAME_MAX];
	char		 serial[CHAIN_SERIAL_HEX], fpr[CHAIN_FPR_HEX];
	char		 t1[40], t2[40], t3[40];
	const char	*reason = r->status == REV_REVOKED ?
	    rev_reason_name(r->reason) : NULL;

	chain_subject(leaf, subj, sizeof(subj));
	chain_issuer(leaf, iss, sizeof(iss));
	if (chain_serial_hex(leaf, serial, NULL) == -1)
		(void)snprintf(serial, sizeof(serial), "?");
	if (chain_fingerprint(leaf, fpr, NULL) == -1)
		(void)snprintf(fpr, sizeof(fpr), "?");
	rfc3339(r->revoked_at, t1, sizeof(t1));
	rfc3339(r->checked_at, t2, sizeof(t2));
	rfc3339(r->valid_until, t3, sizeof(t3));
	if (o->json) {
		printf("{\"status\": \"%s\", \"source\": \"%s\", \"reason\": ",
		    rev_status_name(r->status), rev_source_name(r->source));
		if (reason != NULL)
			cmd_json_str(stdout, reason);
		else
			printf(r->status == REV_REVOKED ? "\"unspecified\"" :
			    "null");
		printf(", \"revoked_at\": %s, \"serial\": \"%s\", "
		    "\"subject\": ", r->status == REV_REVOKED ? t1 : "null",
		    serial);
		cmd_json_str(stdout, subj);
		printf(", \"issuer\": ");
		cmd_json_str(stdout, iss);
		printf(", \"fingerprint_sha256\": \"%s\", \"checked_at\": %s, "
		    "\"valid_until\": %s, \"url\": ", fpr, t2, t3);
		if (r->url[0] != '\0')
			cmd_json_str(stdout, r->url);
		else
			printf("null");
		printf(", \"short_lived\": %s, \"detail\": ",
		    r->short_lived ? "true" : "false");
		cmd_json_str(stdout, r->detail);
		printf("}\n");
		return;
	}
	printf("status: %s\nsubject: %s\nissuer: %s\nserial: %s\n"
	    "sha256: %s\nsource: %s\n", rev_status_name(r->status), subj, iss,
	    serial, fpr, rev_source_name(r->source));
	if (r->url[0] != '\0')
		printf("url: %s\n", r->url);
	if (r->status == REV_REVOKED)
		printf("reason: %s\nrevoked_at: %.20s\n", reason != NULL ?
		    reason : "unspecified", t1 + 1);
	printf("checked_at: %.20s\n", t2 + 1);
	if (r->valid_until != 0)
		printf("valid_until: %.20s\n", t3 + 1);
	if (r->detail[0] != '\0')
		printf("detail: %s\n", r->detail);
}

static int
open_cache(const struct opts *o, struct revcache **out, struct cd_err *err)
{
	char	*path;
	int	 rc;

	if (file_mkdirs(o->state_dir, 0700, err) == -1)
		return -1;
	path = xasprintf("%s/%s", o->state_dir, CHECK_DB);
	*out = revcache_open(path, err);
	rc = *out == NULL ? -1 : 0;
	free(path);
	return rc;
}

int
cmd_check(const struct opts *o, int *status, struct cd_err *err)
{
	struct subject		 s;
	struct verdict_opts	 vo;
	struct chain_opts	 co;
	struct rev_result	 r;
	int			 rc = -1;

	memset(&s, 0, sizeof(s));
	chain_opts_init(&co);
	verdict_opts_init(&vo, cd_now());
	if (o->nargs > 0)
		return cd_err_set(err, CD_EUSAGE, "check: unexpected argument "
		    "\"%.64s\"", o->args[0]);
	if ((o->cert == NULL) == (o->host == NULL))
		return cd_err_set(err, CD_EUSAGE,
		    "check: give either --cert FILE or --host HOST[:PORT]");
	if (o->host != NULL && (o->chain != NULL || o->ocsp_response != NULL))
		return cd_err_set(err, CD_EUSAGE, "check: --chain and "
		    "--ocsp-response go with --cert");
	if (o->cert != NULL && (o->starttls != NULL || o->tls))
		return cd_err_set(err, CD_EUSAGE, "check: --starttls and "
		    "--tls go with --host");
	if (o->revocation_order != NULL &&
	    verdict_parse_order(o->revocation_order, &vo, err) == -1)
		return -1;
	vo.ocsp_nonce = o->ocsp_nonce;
	if (o->crl_max_size > 0)
		vo.crl_max = (size_t)o->crl_max_size * 1024 * 1024;
	if (o->cache_max_age > 0)
		vo.cache_max_age = o->cache_max_age;
	if (o->timeout > 0)
		vo.timeout = o->timeout;
	co.ca_file = o->ca_file;
	vo.trust_id = o->ca_file;
	co.now = vo.now;
	if (chain_store_new(&co, &vo.store, err) == -1)
		return -1;
	if ((o->cert != NULL ? load_files(o, &s, err) : probe(o, &s, err)) ==
	    -1)
		goto out;
	if (!o->no_cache && open_cache(o, &vo.cache, err) == -1)
		goto out;
	if (verdict_check(s.leaf, s.untrusted, s.staple, s.staple_len, &vo,
	    &r, err) == -1)
		goto out;
	/* keep the cache bounded; only after work that went to the
	 * network, so that cached answers stay cheap */
	if (vo.cache != NULL && r.source != REV_SRC_CACHE &&
	    revcache_prune(vo.cache, vo.now, CHECK_CACHE_MAX, NULL, err) == -1)
		goto out;
	print_result(o, s.leaf, &r);
	*status = r.status == REV_GOOD ? 0 : r.status == REV_REVOKED ? 1 : 2;
	rc = 0;
out:
	revcache_close(vo.cache);
	X509_STORE_free(vo.store);
	subject_clear(&s);
	return rc;
}
