/*
 * ari.c - ACME Renewal Information (RFC 9773): the certificate identifier
 * of one of our certificates (trusted: it came out of our state dir, but
 * is parsed with bounds anyway) and the unauthenticated GET of its
 * renewal window, whose reply is untrusted and goes through json.c.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define ARI_DER_MAX	(64 * 1024)	/* bytes of one certificate */

/* base64url "." base64url, nothing else, at most ACME_ARI_ID_MAX bytes */
static bool
id_is_valid(const char *id)
{
	const char	*dot;
	size_t		 len;

	if (id == NULL || (len = strlen(id)) == 0 || len > ACME_ARI_ID_MAX ||
	    (dot = strchr(id, '.')) == NULL || dot == id)
		return false;
	return acme_b64url_is_valid(id, (size_t)(dot - id)) &&
	    acme_b64url_is_valid(dot + 1, strlen(dot + 1));
}

int
acme_ari_cert_id(const unsigned char *der, size_t len, char **id,
    struct acme_err *err)
{
	const ASN1_OCTET_STRING	*kid;
	const ASN1_INTEGER	*serial;
	const unsigned char	*p = der, *q;
	unsigned char		*sder = NULL;
	char			*a = NULL, *b = NULL;
	X509			*x = NULL;
	long			 clen;
	int			 slen, tag, cls, rc = -1;

	*id = NULL;
	if (der == NULL || len == 0 || len > ARI_DER_MAX)
		return acme_err_set(err, ACME_EUSAGE, "ari: certificate of "
		    "%zu bytes", len);
	ERR_clear_error();
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len) {
		acme_err_crypto(err, "ari: certificate does not parse");
		goto out;
	}
	/* §4.1: keyIdentifier of the Authority Key Identifier extension */
	if ((kid = X509_get0_authority_key_id(x)) == NULL ||
	    ASN1_STRING_length(kid) <= 0) {
		acme_err_set(err, ACME_EUSAGE, "ari: the certificate has no "
		    "authority key identifier");
		goto out;
	}
	/* §4.1: the serial's DER content octets, without tag and length
	 * (a leading zero octet stays) */
	serial = X509_get0_serialNumber(x);
	if ((slen = i2d_ASN1_INTEGER(serial, &sder)) <= 0) {
		acme_err_crypto(err, "ari: serial number");
		goto out;
	}
	q = sder;
	if ((ASN1_get_object(&q, &clen, &tag, &cls, slen) & 0x80) != 0 ||
	    tag != V_ASN1_INTEGER || clen <= 0 ||
	    q + clen != sder + slen) {
		acme_err_set(err, ACME_EPROTO, "ari: bad serial number");
		goto out;
	}
	if (acme_b64url_encode(ASN1_STRING_get0_data(kid),
	    (size_t)ASN1_STRING_length(kid), &a, err) == -1 ||
	    acme_b64url_encode(q, (size_t)clen, &b, err) == -1)
		goto out;
	if (strlen(a) + 1 + strlen(b) > ACME_ARI_ID_MAX) {
		acme_err_set(err, ACME_EPROTO, "ari: identifier too long");
		goto out;
	}
	if ((*id = malloc(strlen(a) + strlen(b) + 2)) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "ari: identifier");
		goto out;
	}
	(void)snprintf(*id, strlen(a) + strlen(b) + 2, "%s.%s", a, b);
	rc = 0;
out:
	OPENSSL_free(sder);
	X509_free(x);
	free(a);
	free(b);
	return rc;
}

int
acme_ari_supported(struct acme_client *c, bool *yes, struct acme_err *err)
{
	const struct acme_directory	*d;

	*yes = false;
	if (acme_client_directory(c, &d, err) == -1)
		return -1;
	*yes = d->renewal_info != NULL;
	return 0;
}

int
acme_ari_get(struct acme_client *c, const char *id,
    struct acme_renewal_info *ri, struct acme_err *err)
{
	const struct acme_directory	*d;
	struct acme_http_resp		 r;
	char				*url = NULL;
	size_t				 blen, ulen;
	int				 rc = -1;

	memset(ri, 0, sizeof(*ri));
	if (!id_is_valid(id))
		return acme_err_set(err, ACME_EUSAGE,
		    "renewalInfo: malformed certificate identifier");
	if (acme_client_directory(c, &d, err) == -1)
		return -1;
	if (d->renewal_info == NULL)
		return acme_err_set(err, ACME_EUSAGE,
		    "renewalInfo: the CA does not offer ARI");
	/* §4.2: the identifier is appended as one more path segment; some
	 * servers announce the URL with a trailing slash already */
	blen = strlen(d->renewal_info);
	ulen = blen + 1 + strlen(id) + 1;
	if ((url = malloc(ulen)) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "renewalInfo");
	(void)snprintf(url, ulen, "%s%s%s", d->renewal_info,
	    blen > 0 && d->renewal_info[blen - 1] == '/' ? "" : "/", id);
	if (client_get(c, url, "renewalInfo", &r, err) == -1)
		goto out;
	if (client_expect_json("renewalInfo", &r, err) == -1 ||
	    acme_json_renewal_info(r.body, r.len, c->allow_http, ri,
	    err) == -1) {
		acme_http_resp_clear(&r);
		goto out;
	}
	/* §4.3: when to ask again; capped by acme_retry_after_parse */
	ri->retry_after = acme_retry_after_parse(r.retry_after, time(NULL));
	acme_http_resp_clear(&r);
	client_log(c, ACME_LOG_DEBUG, "renewalInfo %s: window %lld..%lld, "
	    "retry after %lld s", id, (long long)ri->start,
	    (long long)ri->end, (long long)ri->retry_after);
	rc = 0;
out:
	free(url);
	return rc;
}
