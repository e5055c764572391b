/*
 * chain.c - builds and validates a peer's certificate chain with OpenSSL.
 * The peer's certificates, AIA caIssuers bodies and every string read
 * from a certificate are untrusted: bounded, strictly parsed, escaped.
 * Only the configured trust store is trusted; fetched certificates are
 * used as untrusted intermediates and never become anchors.
 */
#include "chain.h"

#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "util.h"

#define CHAIN_AIA_LIMIT	16	/* max_aia is capped at this */

void
chain_opts_init(struct chain_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_aia = CHAIN_AIA_DEFAULT;
}

/* Never prompts for a PEM pass phrase. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int
chain_load_pem(const void *pem, size_t len, STACK_OF(X509) **out,
    struct cd_err *err)
{
	STACK_OF(X509)	*sk = NULL;
	BIO		*bio = NULL;
	X509		*x;
	char		*leaf = NULL, *rest = NULL, *full = NULL;
	size_t		 ll, rl, fl;
	int		 rc = -1;

	*out = NULL;
	if (len > CHAIN_PEM_MAX)
		return cd_err_set(err, CD_EPROTO, "certificate chain: size %zu",
		    len);
	/*
	 * cert_chain_split() does the strict block-by-block scan (labels,
	 * headers, nesting, trailing DER, 1..10 certificates) and gives
	 * back normalised PEM made only of what OpenSSL parsed.
	 */
	if (cert_chain_split(pem, len, &leaf, &ll, &rest, &rl, &full, &fl,
	    err) == -1)
		return -1;
	ERR_clear_error();
	if ((sk = sk_X509_new_null()) == NULL ||
	    (bio = BIO_new_mem_buf(full, (int)fl)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "certificate chain: out of memory");
		goto out;
	}
	for (;;) {
		x = PEM_read_bio_X509(bio, NULL, no_password, NULL);
		if (x == NULL)
			break;
		if (sk_X509_num(sk) == CHAIN_CERTS_MAX ||
		    sk_X509_push(sk, x) == 0) {
			X509_free(x);
			cd_err_set(err, CD_EPROTO,
			    "certificate chain: too many certificates");
			goto out;
		}
	}
	ERR_clear_error();	/* the end of the text: PEM_R_NO_START_LINE */
	if (sk_X509_num(sk) == 0) {
		cd_err_set(err, CD_EPROTO, "certificate chain: no certificate");
		goto out;
	}
	*out = sk;
	sk = NULL;
	rc = 0;
out:
	/* pop_free: the stack owns the certificates it holds */
	sk_X509_pop_free(sk, X509_free);
	BIO_free(bio);
	free(leaf);
	free(rest);
	free(full);
	return rc;
}

int
chain_aia_parse(const void *der, size_t len, STACK_OF(X509) **out,
    struct cd_err *err)
{
	const unsigned char	*start = der, *p;
	STACK_OF(X509)		*sk = NULL, *certs;
	X509			*x = NULL;
	PKCS7			*p7 = NULL;
	int			 i, n, rc = -1;

	*out = NULL;
	if (len == 0 || len > REV_AIA_MAX)
		return cd_err_set(err, CD_EPROTO, "caIssuers: size %zu", len);
	if ((sk = sk_X509_new_null()) == NULL)
		return cd_err_set(err, CD_ENOMEM, "caIssuers: out of memory");
	ERR_clear_error();
	p = start;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		if (p != start + len) {
			cd_err_set(err, CD_EPROTO,
			    "caIssuers: trailing bytes after the certificate");
			goto out;
		}
		if (sk_X509_push(sk, x) == 0) {
			cd_err_set(err, CD_ENOMEM, "caIssuers: out of memory");
			goto out;
		}
		x = NULL;
		goto done;
	}
	ERR_clear_error();
	p = start;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	if (p7 == NULL || p != start + len) {
		cd_err_crypto(err, "caIssuers: neither a DER certificate nor "
		    "PKCS#7");
		goto out;
	}
	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL ||
	    (certs = p7->d.sign->cert) == NULL ||
	    (n = sk_X509_num(certs)) <= 0 || n > CHAIN_CERTS_MAX) {
		cd_err_set(err, CD_EPROTO, "caIssuers: PKCS#7 without 1..%d "
		    "certificates", CHAIN_CERTS_MAX);
		goto out;
	}
	for (i = 0; i < n; i++) {
		x = sk_X509_value(certs, i);
		if (X509_up_ref(x) != 1) {
			x = NULL;
			cd_err_crypto(err, "caIssuers: reference");
			goto out;
		}
		if (sk_X509_push(sk, x) == 0) {
			cd_err_set(err, CD_ENOMEM, "caIssuers: out of memory");
			goto out;
		}
		x = NULL;
	}
done:
	*out = sk;
	sk = NULL;
	rc = 0;
out:
	X509_free(x);
	PKCS7_free(p7);
	/* pop_free: the stack owns its certificates (up-ref'd above) */
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

/* cd_err_crypto() with the kind changed: the cause is the configuration */
static int
config_err(struct cd_err *err, const char *what, const char *path)
{
	cd_err_crypto(err, "%s %.256s: cannot load", what, path);
	if (err != NULL)
		err->kind = CD_ECONFIG;
	return -1;
}

int
chain_store_new(const struct chain_opts *o, X509_STORE **out,
    struct cd_err *err)
{
	X509_STORE	*st;
	struct stat	 sb;

	*out = NULL;
	ERR_clear_error();
	if ((st = X509_STORE_new()) == NULL)
		return cd_err_set(err, CD_ENOMEM, "trust store: out of memory");
	if (o->ca_file != NULL && X509_STORE_load_file(st, o->ca_file) != 1)
		goto fail_file;
	if (o->ca_path != NULL) {
		/* load_path is lazy and accepts any path: check it here */
		if (stat(o->ca_path, &sb) == -1 || !S_ISDIR(sb.st_mode) ||
		    X509_STORE_load_path(st, o->ca_path) != 1) {
			X509_STORE_free(st);
			return config_err(err, "ca-path", o->ca_path);
		}
	}
	if ((o->system_store || (o->ca_file == NULL && o->ca_path == NULL)) &&
	    X509_STORE_set_default_paths(st) != 1) {
		X509_STORE_free(st);
		return cd_err_crypto(err, "trust store: system store");
	}
	*out = st;
	return 0;
fail_file:
	X509_STORE_free(st);
	return config_err(err, "ca-file", o->ca_file);
}

/* snprintf that may truncate on purpose (texts for humans) */
static void
textf(char *dst, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
textf(char *dst, size_t n, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

static bool
issuer_missing(int e)
{
	return e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	    e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
}

static enum chain_code
code_of(int e, const char **label)
{
	switch (e) {
	case X509_V_OK:
		*label = "";
		return CHAIN_TRUSTED;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		*label = "self-signed";
		return CHAIN_SELF_SIGNED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
		*label = "unable to get issuer certificate";
		return CHAIN_NO_ISSUER;
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		*label = "untrusted root";
		return CHAIN_UNTRUSTED_ROOT;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		*label = "expired";
		return CHAIN_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		*label = "not yet valid";
		return CHAIN_NOT_YET_VALID;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		*label = "bad signature";
		return CHAIN_BAD_SIGNATURE;
	default:
		*label = X509_verify_cert_error_string(e);
		return CHAIN_INVALID;
	}
}

/* URLs already fetched by one chain_verify() call */
struct aia_state {
	char	*tried[CHAIN_AIA_LIMIT];
	size_t	 ntried;
	size_t	 max;
	char	 msg[CHAIN_REASON_MAX];	/* last failure, for the reason */
};

static bool
in_stack(STACK_OF(X509) *sk, X509 *x)
{
	int	 i;

	for (i = 0; i < sk_X509_num(sk); i++)
		if (X509_cmp(sk_X509_value(sk, i), x) == 0)
			return true;
	return false;
}

/*
 * Fetches the caIssuers URLs of top that were not tried yet, until one
 * gives a certificate not seen before. Fetched certificates go to
 * fetched (owned) and work (borrowed), both untrusted. Returns 1 if
 * something was added, 0 if not (st->msg says why), -1 on CD_ENOMEM.
 */
static int
aia_fetch(const struct chain_opts *o, X509 *top, STACK_OF(X509) *work,
    STACK_OF(X509) *fetched, struct aia_state *st, size_t *count,
    struct cd_err *err)
{
	STACK_OF(X509)	*got = NULL;
	struct cd_err	 ferr;
	unsigned char	*der;
	char		**urls = NULL;
	size_t		 nurls = 0, i, j, len;
	X509		*x;
	int		 k, added = 0;

	if (chain_aia_urls(top, &urls, &nurls, err) == -1)
		return -1;
	if (nurls == 0)
		textf(st->msg, sizeof(st->msg), "no caIssuers URL");
	for (i = 0; i < nurls && added == 0; i++) {
		for (j = 0; j < st->ntried; j++)
			if (strcmp(st->tried[j], urls[i]) == 0)
				break;
		if (j < st->ntried)
			continue;
		if (*count >= st->max)
			break;
		st->tried[st->ntried++] = urls[i];
		urls[i] = NULL;		/* now owned by st */
		(*count)++;
		der = NULL;
		len = 0;
		cd_err_clear(&ferr);
		if (o->aia_fetch(o->aia_arg, st->tried[st->ntried - 1], &der,
		    &len, &ferr) == -1) {
			free(der);	/* in case the callback left one */
			textf(st->msg, sizeof(st->msg), "%s",
			    ferr.msg[0] != '\0' ? ferr.msg : "fetch failed");
			continue;
		}
		if (chain_aia_parse(der, len, &got, &ferr) == -1) {
			free(der);
			if (ferr.kind == CD_ENOMEM) {
				chain_urls_free(urls, nurls);
				return cd_err_set(err, CD_ENOMEM,
				    "caIssuers: out of memory");
			}
			textf(st->msg, sizeof(st->msg), "%s: %s",
			    st->tried[st->ntried - 1], ferr.msg);
			continue;
		}
		free(der);
		for (k = 0; k < sk_X509_num(got); k++) {
			x = sk_X509_value(got, k);
			if (in_stack(work, x))
				continue;
			if (X509_up_ref(x) != 1)
				goto nomem;
			if (sk_X509_push(fetched, x) == 0) {
				X509_free(x);
				goto nomem;
			}
			if (sk_X509_push(work, x) == 0)	/* borrowed */
				goto nomem;
			added = 1;
		}
		/* pop_free: fetched holds its own references */
		sk_X509_pop_free(got, X509_free);
		got = NULL;
		if (added == 0)
			textf(st->msg, sizeof(st->msg),
			    "%s: nothing new", st->tried[st->ntried - 1]);
	}
	if (added == 0 && i == nurls && nurls > 0 && st->msg[0] == '\0')
		textf(st->msg, sizeof(st->msg),
		    "caIssuers URLs already tried");
	chain_urls_free(urls, nurls);
	return added;
nomem:
	/* pop_free: got owns one reference to each of its certificates */
	sk_X509_pop_free(got, X509_free);
	chain_urls_free(urls, nurls);
	return cd_err_set(err, CD_ENOMEM, "caIssuers: out of memory");
}

int
chain_verify(X509 *leaf, STACK_OF(X509) *untrusted,
    const struct chain_opts *o, struct chain_result *out,
    struct cd_err *err)
{
	X509_STORE		*store, *owned = NULL;
	X509_STORE_CTX		*ctx = NULL;
	X509_VERIFY_PARAM	*param;
	STACK_OF(X509)		*work = NULL, *fetched = NULL, *built;
	struct aia_state	 st;
	const char		*label;
	X509			*top;
	size_t			 i, off;
	int			 ok = 0, e, r, rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	if (leaf == NULL || o == NULL || o->now <= 0)
		return cd_err_set(err, CD_ECONFIG,
		    "chain: no certificate or no time");
	st.max = o->max_aia < CHAIN_AIA_LIMIT ? o->max_aia : CHAIN_AIA_LIMIT;
	if ((store = o->store) == NULL) {
		if (chain_store_new(o, &owned, err) == -1)
			return -1;
		store = owned;
	}
	/* both stacks hold untrusted certificates only */
	work = untrusted != NULL ? sk_X509_dup(untrusted) : sk_X509_new_null();
	fetched = sk_X509_new_null();
	if (work == NULL || fetched == NULL) {
		cd_err_set(err, CD_ENOMEM, "chain: out of memory");
		goto out;
	}
	for (;;) {
		ERR_clear_error();
		if ((ctx = X509_STORE_CTX_new()) == NULL ||
		    X509_STORE_CTX_init(ctx, store, leaf, work) != 1) {
			cd_err_crypto(err, "chain: verify context");
			goto out;
		}
		/*
		 * No purpose and no trust setting: the default verifies
		 * signatures, validity, basic constraints and name
		 * constraints but asks for no EKU. Mail servers' client
		 * certificates from public CAs carry serverAuth only
		 * since clientAuth was phased out in 2026.
		 */
		param = X509_STORE_CTX_get0_param(ctx);
		X509_VERIFY_PARAM_set_time(param, o->now);  /* USE_CHECK_TIME */
		X509_VERIFY_PARAM_set_depth(param, CHAIN_DEPTH_MAX);
		if ((ok = X509_verify_cert(ctx)) < 0) {
			cd_err_crypto(err, "chain: verification failed to run");
			goto out;
		}
		e = X509_STORE_CTX_get_error(ctx);
		if (ok == 1 || !issuer_missing(e) || o->aia_fetch == NULL ||
		    out->aia_fetched >= st.max)
			break;
		/* the certificate whose issuer is missing: top of the chain */
		if ((top = X509_STORE_CTX_get_current_cert(ctx)) == NULL) {
			built = X509_STORE_CTX_get0_chain(ctx);
			if (built == NULL || sk_X509_num(built) == 0)
				break;
			top = sk_X509_value(built, sk_X509_num(built) - 1);
		}
		if ((r = aia_fetch(o, top, work, fetched, &st,
		    &out->aia_fetched, err)) == -1)
			goto out;
		if (r == 0)
			break;
		X509_STORE_CTX_free(ctx);
		ctx = NULL;
	}
	ERR_clear_error();	/* verification failures stay in ctx */
	e = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	if (ok != 1 && e == X509_V_OK)
		e = X509_V_ERR_UNSPECIFIED;
	out->x509_error = e;
	out->error_depth = ok == 1 ? 0 : X509_STORE_CTX_get_error_depth(ctx);
	out->code = code_of(e, &label);
	out->trusted = out->code == CHAIN_TRUSTED;
	out->chain = X509_STORE_CTX_get1_chain(ctx);
	ERR_clear_error();
	if (out->trusted) {
		if (out->chain == NULL || sk_X509_num(out->chain) == 0) {
			cd_err_set(err, CD_ECRYPTO, "chain: no chain built");
			goto out;
		}
		if (sk_X509_num(out->chain) == 1) {
			out->issuer = sk_X509_value(out->chain, 0);
			out->leaf_is_anchor = true;
		} else
			out->issuer = sk_X509_value(out->chain, 1);
		if (X509_up_ref(out->issuer) != 1) {
			out->issuer = NULL;
			cd_err_crypto(err, "chain: reference");
			goto out;
		}
	} else {
		off = (size_t)snprintf(out->reason, sizeof(out->reason), "%s",
		    label);
		if (out->error_depth > 0 && off < sizeof(out->reason))
			off += (size_t)snprintf(out->reason + off,
			    sizeof(out->reason) - off, " at depth %d",
			    out->error_depth);
		if (out->code == CHAIN_NO_ISSUER && o->aia_fetch != NULL &&
		    st.msg[0] != '\0' && off < sizeof(out->reason))
			textf(out->reason + off,
			    sizeof(out->reason) - off, " (caIssuers: %s)",
			    st.msg);
	}
	rc = 0;
out:
	if (rc == -1)
		chain_result_clear(out);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(owned);
	sk_X509_free(work);	/* sk_X509_free: borrowed pointers */
	/* pop_free: fetched owns the fetched certificates; out->chain
	 * holds its own references to those it uses */
	sk_X509_pop_free(fetched, X509_free);
	for (i = 0; i < st.ntried; i++)
		free(st.tried[i]);
	return rc;
}

void
chain_result_clear(struct chain_result *r)
{
	if (r == NULL)
		return;
	/* pop_free: get1_chain gave us one reference per certificate */
	sk_X509_pop_free(r->chain, X509_free);
	X509_free(r->issuer);
	memset(r, 0, sizeof(*r));
}

/* http:// or https://, a host, printable ASCII without spaces, bounded */
static bool
url_ok(const unsigned char *s, size_t len)
{
	size_t	 i, skip;

	if (len > REV_URL_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	if (len > 7 && strncasecmp((const char *)s, "http://", 7) == 0)
		skip = 7;
	else if (len > 8 && strncasecmp((const char *)s, "https://", 8) == 0)
		skip = 8;
	else
		return false;
	return s[skip] != '/';
}

static int
url_add(char ***urls, size_t *n, const GENERAL_NAME *gn, struct cd_err *err)
{
	const unsigned char	*d;
	char			**nu, *s;
	size_t			 len, i;

	if (gn == NULL || gn->type != GEN_URI || *n >= CHAIN_URLS_MAX)
		return 0;
	d = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
	len = (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier);
	if (d == NULL || !url_ok(d, len))
		return 0;
	for (i = 0; i < *n; i++)
		if (strlen((*urls)[i]) == len &&
		    memcmp((*urls)[i], d, len) == 0)
			return 0;
	if ((s = strndup((const char *)d, len)) == NULL)
		return cd_err_set(err, CD_ENOMEM, "certificate: out of memory");
	if ((nu = reallocarray(*urls, *n + 1, sizeof(*nu))) == NULL) {
		free(s);
		return cd_err_set(err, CD_ENOMEM, "certificate: out of memory");
	}
	nu[(*n)++] = s;
	*urls = nu;
	return 0;
}

static int
aia_urls(X509 *x, int nid, char ***urls, size_t *n, struct cd_err *err)
{
	AUTHORITY_INFO_ACCESS	*aia;
	ACCESS_DESCRIPTION	*ad;
	int			 i, rc = 0;

	*urls = NULL;
	*n = 0;
	ERR_clear_error();
	aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
	ERR_clear_error();	/* absent, repeated or malformed: no URL */
	for (i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		if (OBJ_obj2nid(ad->method) == nid &&
		    (rc = url_add(urls, n, ad->location, err)) == -1)
			break;
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	if (rc == -1) {
		chain_urls_free(*urls, *n);
		*urls = NULL;
		*n = 0;
	}
	return rc;
}

int
chain_ocsp_urls(X509 *x, char ***urls, size_t *n, struct cd_err *err)
{
	return aia_urls(x, NID_ad_OCSP, urls, n, err);
}

int
chain_aia_urls(X509 *x, char ***urls, size_t *n, struct cd_err *err)
{
	return aia_urls(x, NID_ad_ca_issuers, urls, n, err);
}

int
chain_crl_urls(X509 *x, char ***urls, size_t *n, struct cd_err *err)
{
	STACK_OF(DIST_POINT)	*dps;
	DIST_POINT		*dp;
	GENERAL_NAMES		*names;
	int			 i, j, rc = 0;

	*urls = NULL;
	*n = 0;
	ERR_clear_error();
	dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	ERR_clear_error();
	for (i = 0; dps != NULL && i < sk_DIST_POINT_num(dps) && rc == 0;
	    i++) {
		dp = sk_DIST_POINT_value(dps, i);
		/*
		 * A point limited to some reasons, or whose CRL another
		 * issuer signs, cannot on its own prove "not revoked".
		 */
		if (dp->reasons != NULL || dp->CRLissuer != NULL ||
		    dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		names = dp->distpoint->name.fullname;
		for (j = 0; j < sk_GENERAL_NAME_num(names) && rc == 0; j++)
			rc = url_add(urls, n, sk_GENERAL_NAME_value(names, j),
			    err);
	}
	CRL_DIST_POINTS_free(dps);
	if (rc == -1) {
		chain_urls_free(*urls, *n);
		*urls = NULL;
		*n = 0;
	}
	return rc;
}

void
chain_urls_free(char **urls, size_t n)
{
	size_t	 i;

	if (urls == NULL)
		return;
	for (i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

bool
chain_is_short_lived(X509 *x, time_t lifetime_max)
{
	int	 days = 0, secs = 0;
	long long total;

	if (lifetime_max <= 0)
		lifetime_max = CHAIN_SHORT_LIVED_MAX;
	ERR_clear_error();
	if (ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)) != 1) {
		ERR_clear_error();
		return false;
	}
	total = (long long)days * 86400 + secs;
	/* the BR's validity period counts both ends: + 1 second */
	return total >= 0 && total + 1 <= (long long)lifetime_max;
}

int
chain_fingerprint(X509 *x, char out[CHAIN_FPR_HEX], struct cd_err *err)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	ERR_clear_error();
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
		out[0] = '\0';
		return cd_err_crypto(err, "certificate: SHA-256 fingerprint");
	}
	util_hex(md, mdlen, out, false);
	return 0;
}

int
chain_serial_hex(X509 *x, char out[CHAIN_SERIAL_HEX], struct cd_err *err)
{
	const ASN1_INTEGER	*sn = X509_get0_serialNumber(x);
	size_t			 len, off = 0;

	out[0] = '\0';
	len = (size_t)ASN1_STRING_length(sn);
	if (len > CHAIN_SERIAL_MAX)
		return cd_err_set(err, CD_EPROTO,
		    "certificate: serial of %zu bytes", len);
	if (ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER)
		out[off++] = '-';
	if (len == 0)			/* zero may have no content bytes */
		(void)snprintf(out + off, CHAIN_SERIAL_HEX - off, "00");
	else
		util_hex(ASN1_STRING_get0_data(sn), len, out + off, false);
	return 0;
}

/* Copies src into out with non-printables as \xNN, cut with "..." */
static void
escape(char *out, size_t outlen, const char *src, size_t len)
{
	size_t		 o = 0, i, need;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		need = c >= 0x20 && c < 0x7f ? 1 : 4;
		/* keep room for "..." and the NUL unless this is the end */
		if (o + need + (i + 1 < len ? 3 : 0) >= outlen)
			break;
		if (need == 1)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
			    c);
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static void
name_line(const X509_NAME *name, char *out, size_t outlen)
{
	/* RFC 2253 escaping in certificate order; MSB and controls as \XX */
	const unsigned long	 flags = XN_FLAG_RFC2253 & ~XN_FLAG_DN_REV;
	BIO			*bio;
	char			*data;
	long			 n;

	if (outlen < 4) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	ERR_clear_error();
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(bio, name, 0, flags) < 0 ||
	    (n = BIO_get_mem_data(bio, &data)) < 0) {
		(void)snprintf(out, outlen, "?");
		BIO_free(bio);
		ERR_clear_error();
		return;
	}
	escape(out, outlen, data, (size_t)n);
	BIO_free(bio);
}

void
chain_subject(X509 *x, char *out, size_t outlen)
{
	name_line(X509_get_subject_name(x), out, outlen);
}

void
chain_issuer(X509 *x, char *out, size_t outlen)
{
	name_line(X509_get_issuer_name(x), out, outlen);
}
