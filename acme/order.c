/*
 * order.c - orders, authorizations, challenges, finalization, certificate
 * download with alternate chains, and revocation (RFC 8555 §7.4-7.6).
 * Everything the server sends is untrusted: JSON through json.c, chains
 * bounded and checked for type, Link headers parsed strictly.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static time_t
poll_hint(const struct acme_http_resp *r)
{
	return acme_retry_after_parse(r->retry_after, time(NULL));
}

static int
order_reply(struct acme_client *c, const char *what,
    struct acme_http_resp *r, struct acme_order *o, struct acme_err *err)
{
	if (client_expect_json(what, r, err) == -1 ||
	    acme_json_order(r->body, r->len, c->allow_http, o, err) == -1)
		return -1;
	o->retry_after = poll_hint(r);
	return 0;
}

int
acme_order_new(struct acme_client *c, const struct acme_ident *ids,
    size_t nids, const char *profile, const char *replaces,
    struct acme_order *o, struct acme_err *err)
{
	const struct acme_directory	*d;
	struct acme_http_resp		 r;
	char				*body = NULL, *url = NULL;
	int				 rc = -1;

	memset(o, 0, sizeof(*o));
	memset(&r, 0, sizeof(r));
	if (nids == 0 || nids > ACME_IDS_MAX)
		return acme_err_set(err, ACME_EUSAGE,
		    "order: 1 to %d identifiers", ACME_IDS_MAX);
	if (acme_client_directory(c, &d, err) == -1)
		return -1;
	if (profile != NULL) {
		size_t	 i;

		for (i = 0; i < d->nprofiles; i++)
			if (strcmp(d->profiles[i], profile) == 0)
				break;
		if (i == d->nprofiles)
			return acme_err_set(err, ACME_EUSAGE, "order: the CA "
			    "offers no profile \"%s\"", profile);
	}
	if (acme_json_new_order(ids, nids, profile, replaces, &body,
	    err) == -1)
		return -1;
	if (client_post(c, d->new_order, "newOrder", body, NULL, &r,
	    err) == -1)
		goto out;
	if (client_location(c, "newOrder", &r, &url, err) == -1 ||
	    order_reply(c, "newOrder", &r, o, err) == -1)
		goto out;
	o->url = url;
	url = NULL;
	rc = 0;
out:
	if (rc == -1)
		acme_order_clear(o);
	free(url);
	free(body);
	acme_http_resp_clear(&r);
	return rc;
}

int
acme_order_get(struct acme_client *c, const char *url, struct acme_order *o,
    struct acme_err *err)
{
	struct acme_http_resp	 r;
	int			 rc = -1;

	memset(o, 0, sizeof(*o));
	if (client_post(c, url, "order", NULL, NULL, &r, err) == -1)
		return -1;
	if (order_reply(c, "order", &r, o, err) == -1)
		goto out;
	if ((o->url = strdup(url)) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "order");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		acme_order_clear(o);
	acme_http_resp_clear(&r);
	return rc;
}

int
acme_authz_get(struct acme_client *c, const char *url, struct acme_authz *a,
    struct acme_err *err)
{
	struct acme_http_resp	 r;
	int			 rc = -1;

	memset(a, 0, sizeof(*a));
	if (client_post(c, url, "authorization", NULL, NULL, &r, err) == -1)
		return -1;
	if (client_expect_json("authorization", &r, err) == -1 ||
	    acme_json_authz(r.body, r.len, c->allow_http, a, err) == -1)
		goto out;
	a->retry_after = poll_hint(&r);
	if ((a->url = strdup(url)) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "authorization");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		acme_authz_clear(a);
	acme_http_resp_clear(&r);
	return rc;
}

int
acme_challenge_respond(struct acme_client *c, const char *url,
    struct acme_challenge *ch, struct acme_err *err)
{
	struct acme_http_resp	 r;
	int			 rc = -1;

	memset(ch, 0, sizeof(*ch));
	/* §7.5.1: the client signals readiness with an empty object */
	if (client_post(c, url, "challenge", "{}", NULL, &r, err) == -1)
		return -1;
	if (client_expect_json("challenge", &r, err) == 0 &&
	    acme_json_challenge(r.body, r.len, c->allow_http, ch, err) == 0)
		rc = 0;
	acme_http_resp_clear(&r);
	return rc;
}

int
acme_order_finalize(struct acme_client *c, struct acme_order *o,
    const unsigned char *csr, size_t len, struct acme_err *err)
{
	struct acme_http_resp	 r;
	struct acme_order	 n;
	char			*b64 = NULL, *body = NULL;
	int			 rc = -1;

	memset(&r, 0, sizeof(r));
	memset(&n, 0, sizeof(n));
	if (o->finalize == NULL || o->url == NULL)
		return acme_err_set(err, ACME_EUSAGE, "finalize: no order");
	if (acme_b64url_encode(csr, len, &b64, err) == -1 ||
	    acme_json_finalize(b64, &body, err) == -1)
		goto out;
	if (client_post(c, o->finalize, "finalize", body, NULL, &r,
	    err) == -1)
		goto out;
	if (order_reply(c, "finalize", &r, &n, err) == -1)
		goto out;
	if ((n.url = strdup(o->url)) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "finalize");
		goto out;
	}
	acme_order_clear(o);
	*o = n;
	memset(&n, 0, sizeof(n));
	rc = 0;
out:
	acme_order_clear(&n);
	free(b64);
	free(body);
	acme_http_resp_clear(&r);
	return rc;
}

/* Link: <URL>;rel="alternate" (RFC 8288; several may share one header).
 * Returns the number of alternate URLs stored into out[max]. */
static size_t
alternates(const struct acme_client *c, const struct acme_http_resp *r,
    char **out, size_t max)
{
	size_t		 i, n = 0, ulen;
	const char	*p, *lt, *gt, *end;
	char		 params[256];

	for (i = 0; i < r->nlinks; i++) {
		for (p = r->links[i]; n < max && (lt = strchr(p, '<')) != NULL;
		    p = end) {
			if ((gt = strchr(lt, '>')) == NULL)
				break;
			if ((end = strchr(gt, ',')) == NULL)
				end = gt + strlen(gt);
			ulen = (size_t)(gt - lt - 1);
			if ((size_t)(end - gt - 1) >= sizeof(params))
				continue;
			memcpy(params, gt + 1, (size_t)(end - gt - 1));
			params[end - gt - 1] = '\0';
			if (strstr(params, "rel=\"alternate\"") == NULL &&
			    strstr(params, "rel=alternate") == NULL)
				continue;
			if (ulen == 0 || ulen > ACME_URL_MAX ||
			    (strncmp(lt + 1, "https://", 8) != 0 &&
			    !(c->allow_http && strncmp(lt + 1, "http://", 7)
			    == 0)))
				continue;
			if ((out[n] = strndup(lt + 1, ulen)) == NULL)
				break;
			if (strpbrk(out[n], " \t\"<") != NULL) {
				free(out[n]);
				continue;
			}
			n++;
		}
	}
	return n;
}

/* Checks that a PEM chain holds 1..ACME_CHAIN_CERTS_MAX certificates and
 * nothing else parseable as PEM (§9.1). Full checks are certd's. */
static int
chain_check(const char *what, const struct acme_http_resp *r,
    struct acme_err *err)
{
	BIO	*b;
	X509	*x;
	size_t	 n = 0;

	if (r->content_type == NULL ||
	    strcmp(r->content_type, "application/pem-certificate-chain") != 0)
		return acme_err_set(err, ACME_EPROTO,
		    "%s: reply is not application/pem-certificate-chain",
		    what);
	if (memchr(r->body, '\0', r->len) != NULL)
		return acme_err_set(err, ACME_EPROTO, "%s: NUL in chain",
		    what);
	if ((b = BIO_new_mem_buf(r->body, (int)r->len)) == NULL)
		return acme_err_crypto(err, "%s", what);
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		X509_free(x);
		if (++n > ACME_CHAIN_CERTS_MAX)
			break;
	}
	ERR_clear_error();	/* the end of input is reported as an error */
	BIO_free(b);
	if (n == 0 || n > ACME_CHAIN_CERTS_MAX)
		return acme_err_set(err, ACME_EPROTO,
		    "%s: chain has %s certificates", what,
		    n == 0 ? "no" : "too many");
	return 0;
}

static int
chain_get(struct acme_client *c, const char *url, struct acme_chain *out,
    struct acme_http_resp *r, struct acme_err *err)
{
	memset(r, 0, sizeof(*r));
	if (client_post(c, url, "certificate", NULL, NULL, r, err) == -1)
		return -1;
	if (chain_check("certificate", r, err) == -1) {
		acme_http_resp_clear(r);
		return -1;
	}
	out->pem = (char *)r->body;
	out->len = r->len;
	r->body = NULL;
	r->len = 0;
	return 0;
}

int
acme_cert_download(struct acme_client *c, const char *url,
    struct acme_chain **out, size_t *nout, struct acme_err *err)
{
	struct acme_http_resp	 r, ra;
	struct acme_chain	*ch = NULL;
	char			*alt[ACME_ALTERNATES_MAX];
	size_t			 nalt = 0, n = 0, i;
	int			 rc = -1;

	*out = NULL;
	*nout = 0;
	ch = calloc(1 + ACME_ALTERNATES_MAX, sizeof(*ch));
	if (ch == NULL)
		return acme_err_set(err, ACME_ENOMEM, "certificate");
	if (chain_get(c, url, &ch[0], &r, err) == -1)
		goto out;
	n = 1;
	nalt = alternates(c, &r, alt, ACME_ALTERNATES_MAX);
	acme_http_resp_clear(&r);
	for (i = 0; i < nalt; i++) {
		if (chain_get(c, alt[i], &ch[n], &ra, err) == -1)
			goto out;
		acme_http_resp_clear(&ra);
		n++;
	}
	*out = ch;
	*nout = n;
	ch = NULL;
	rc = 0;
out:
	for (i = 0; i < nalt; i++)
		free(alt[i]);
	if (ch != NULL)
		acme_chains_free(ch, n);
	return rc;
}

void
acme_chains_free(struct acme_chain *ch, size_t n)
{
	size_t	 i;

	if (ch == NULL)
		return;
	for (i = 0; i < n; i++)
		free(ch[i].pem);
	free(ch);
}

static bool
name_has_cn(const X509_NAME *name, const char *cn)
{
	const X509_NAME_ENTRY	*e;
	const ASN1_STRING	*s;
	int			 i = -1;

	while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0) {
		e = X509_NAME_get_entry(name, i);
		s = X509_NAME_ENTRY_get_data(e);
		if ((size_t)ASN1_STRING_length(s) == strlen(cn) &&
		    memcmp(ASN1_STRING_get0_data(s), cn, strlen(cn)) == 0)
			return true;
	}
	return false;
}

int
acme_chain_pick(const struct acme_chain *ch, size_t n, const char *cn)
{
	BIO	*b;
	X509	*x;
	size_t	 i;
	int	 k, found;

	for (i = 0; i < n; i++) {
		if ((b = BIO_new_mem_buf(ch[i].pem, (int)ch[i].len)) == NULL)
			return -1;
		found = 0;
		/* any issuer of the chain: certbot's --preferred-chain looks
		 * at the topmost, which is among them */
		for (k = 0; (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) !=
		    NULL; k++) {
			if (name_has_cn(X509_get_issuer_name(x), cn) ||
			    (k > 0 && name_has_cn(X509_get_subject_name(x),
			    cn)))
				found = 1;
			X509_free(x);
		}
		ERR_clear_error();
		BIO_free(b);
		if (found)
			return (int)i;
	}
	return -1;
}

int
acme_cert_revoke(struct acme_client *c, struct acme_signer *s,
    const unsigned char *der, size_t len, int reason, struct acme_err *err)
{
	const struct acme_directory	*d;
	struct acme_http_resp		 r;
	char				*b64 = NULL, *body = NULL;
	int				 rc = -1;

	memset(&r, 0, sizeof(r));
	if (acme_client_directory(c, &d, err) == -1)
		return -1;
	if (acme_b64url_encode(der, len, &b64, err) == -1 ||
	    acme_json_revoke(b64, reason, &body, err) == -1)
		goto out;
	if (client_post(c, d->revoke_cert, "revokeCert", body, s, &r,
	    err) == -1)
		goto out;
	rc = 0;
out:
	free(b64);
	free(body);
	acme_http_resp_clear(&r);
	return rc;
}
