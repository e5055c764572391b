/*
 * solver_tlsalpn.c - tls-alpn-01 (RFC 8737, RFC 8738 §6 for IP
 * addresses): a TLS server that completes handshakes only for ALPN
 * "acme-tls/1", with a self-signed certificate chosen by SNI that carries
 * the acmeIdentifier extension. ClientHellos come from anyone: the SNI and
 * ALPN lists are parsed with explicit bounds.
 */
#include "acme_int.h"

#include <sys/types.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define ALPN_PROTO	"acme-tls/1"
#define ALPN_ID_OID	"1.3.6.1.5.5.7.1.31"	/* id-pe-acmeIdentifier */
#define ALPN_VALIDITY	(7 * 86400)		/* seconds */
#define ALPN_BACKDATE	3600			/* seconds, for clock skew */
#define ALPN_SNI_MAX	253			/* bytes, RFC 1035 */
#define ALPN_KEYAUTH_MAX 1024			/* bytes */

struct alpn_cert {
	char		 sni[ALPN_SNI_MAX + 1];	/* lower case */
	X509		*x509;
};

struct alpn_srv {
	SSL_CTX			*ctx;
	EVP_PKEY		*key;	/* one P-256 key for all certificates */
	struct alpn_cert	*certs;
	size_t			 n;
};

struct alpn_conn {
	SSL	*ssl;
	bool	 done;		/* handshake complete; closing */
};

/* LDH labels of 1..63 bytes, no wildcard, lower-cased into out. */
static bool
dnsname_lower(const char *s, char *out)
{
	size_t	 i, lab = 0;
	int	 c, prev = '.';

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= ALPN_SNI_MAX)
			return false;
		c = (unsigned char)s[i];
		if (c == '.') {
			if (lab == 0 || prev == '-')
				return false;
			lab = 0;
		} else if (isalnum(c) || c == '-') {
			if ((lab == 0 && c == '-') || ++lab > 63)
				return false;
		} else
			return false;
		out[i] = (char)tolower(c);
		prev = c;
	}
	out[i] = '\0';
	return lab > 0 && prev != '-';
}

/* The SNI the CA sends for ident (RFC 8738 §6: reverse-DNS names for IP
 * addresses) and, for those, the address bytes for the SAN. */
static int
ident_parse(const char *ident, char sni[ALPN_SNI_MAX + 1],
    unsigned char ip[16], size_t *iplen)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;

	*iplen = 0;
	if (ident == NULL)
		return -1;
	if (inet_pton(AF_INET, ident, ip) == 1) {
		*iplen = 4;
		(void)snprintf(sni, ALPN_SNI_MAX + 1,
		    "%u.%u.%u.%u.in-addr.arpa", ip[3], ip[2], ip[1], ip[0]);
		return 0;
	}
	if (inet_pton(AF_INET6, ident, ip) == 1) {
		*iplen = 16;
		for (i = 16; i-- > 0; ) {
			sni[o++] = hex[ip[i] & 0xf];
			sni[o++] = '.';
			sni[o++] = hex[ip[i] >> 4];
			sni[o++] = '.';
		}
		memcpy(sni + o, "ip6.arpa", sizeof("ip6.arpa"));
		return 0;
	}
	return dnsname_lower(ident, sni) ? 0 : -1;
}

static bool
keyauth_is_valid(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return i > 0 && i <= ALPN_KEYAUTH_MAX;
}

static int
add_san(X509 *x, const char *dns, const unsigned char *ip, size_t iplen)
{
	GENERAL_NAMES		*gens = NULL;
	GENERAL_NAME		*gn = NULL;
	ASN1_OCTET_STRING	*os = NULL;
	ASN1_IA5STRING		*ia5 = NULL;
	int			 rc = -1;

	if ((gens = GENERAL_NAMES_new()) == NULL ||
	    (gn = GENERAL_NAME_new()) == NULL)
		goto out;
	if (iplen > 0) {
		if ((os = ASN1_OCTET_STRING_new()) == NULL ||
		    ASN1_OCTET_STRING_set(os, ip, (int)iplen) != 1)
			goto out;
		GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
		os = NULL;
	} else {
		if ((ia5 = ASN1_IA5STRING_new()) == NULL ||
		    ASN1_STRING_set(ia5, dns, -1) != 1)
			goto out;
		GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		ia5 = NULL;
	}
	if (sk_GENERAL_NAME_push(gens, gn) == 0)
		goto out;
	gn = NULL;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	rc = 0;
out:
	ASN1_OCTET_STRING_free(os);
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(gens);
	return rc;
}

/* RFC 8737 §3: the critical acmeIdentifier extension whose value is the
 * DER of an OCTET STRING holding SHA-256(key authorization). */
static int
add_acme_id(X509 *x, const char *keyauth)
{
	unsigned char		 der[2 + 32];
	ASN1_OBJECT		*obj = NULL;
	ASN1_OCTET_STRING	*os = NULL;
	X509_EXTENSION		*ext = NULL;
	int			 rc = -1;

	der[0] = V_ASN1_OCTET_STRING;
	der[1] = 32;
	if (EVP_Digest(keyauth, strlen(keyauth), der + 2, NULL, EVP_sha256(),
	    NULL) != 1)
		goto out;
	if ((obj = OBJ_txt2obj(ALPN_ID_OID, 1)) == NULL ||
	    (os = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(os, der, sizeof(der)) != 1 ||
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os)) == NULL ||
	    X509_add_ext(x, ext, -1) != 1)
		goto out;
	rc = 0;
out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return rc;
}

static X509 *
make_cert(EVP_PKEY *key, const char *sni, const unsigned char *ip,
    size_t iplen, const char *keyauth)
{
	unsigned char	 serial[16];
	X509		*x = NULL;
	X509_NAME	*name;
	BIGNUM		*bn = NULL;

	if ((x = X509_new()) == NULL || X509_set_version(x, X509_VERSION_3)
	    != 1 || RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;		/* positive */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -ALPN_BACKDATE) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), ALPN_VALIDITY) == NULL)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"ACME tls-alpn-01 challenge", -1, -1,
	    0) != 1 || X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, key) != 1 || add_san(x, sni, ip, iplen) == -1 ||
	    add_acme_id(x, keyauth) == -1 ||
	    X509_sign(x, key, EVP_sha256()) <= 0)
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

/* Runs before certificate selection; RFC 8737 §3 requires both SNI and
 * ALPN, so a ClientHello without either is refused here. */
static int
alpn_hello_cb(SSL *ssl, int *al, void *arg)
{
	const struct alpn_srv	*srv = arg;
	const unsigned char	*p, *name;
	size_t			 len, list, nlen, i;

	if (SSL_client_hello_get0_ext(ssl,
	    TLSEXT_TYPE_application_layer_protocol_negotiation, &p, &len) ==
	    0) {
		*al = SSL_AD_NO_APPLICATION_PROTOCOL;
		return SSL_CLIENT_HELLO_ERROR;
	}
	*al = SSL_AD_UNRECOGNIZED_NAME;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p,
	    &len) == 0 || len < 2)
		return SSL_CLIENT_HELLO_ERROR;
	/* RFC 6066 §3: ServerNameList; its host_name is the first entry */
	list = (size_t)p[0] << 8 | p[1];
	if (list != len - 2 || list < 3 || p[2] != TLSEXT_NAMETYPE_host_name)
		return SSL_CLIENT_HELLO_ERROR;
	nlen = (size_t)p[3] << 8 | p[4];
	name = p + 5;
	if (nlen == 0 || nlen > list - 3 || nlen > ALPN_SNI_MAX)
		return SSL_CLIENT_HELLO_ERROR;
	for (i = 0; i < srv->n; i++) {
		/* a NUL in name cannot match: sni has none before nlen */
		if (strlen(srv->certs[i].sni) != nlen || strncasecmp(
		    srv->certs[i].sni, (const char *)name, nlen) != 0)
			continue;
		if (SSL_use_certificate(ssl, srv->certs[i].x509) != 1 ||
		    SSL_use_PrivateKey(ssl, srv->key) != 1) {
			*al = SSL_AD_INTERNAL_ERROR;
			return SSL_CLIENT_HELLO_ERROR;
		}
		return SSL_CLIENT_HELLO_SUCCESS;
	}
	return SSL_CLIENT_HELLO_ERROR;
}

static int
alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned int	 i, l;

	(void)ssl;
	(void)arg;
	for (i = 0; i < inlen; i += 1 + l) {
		l = in[i];
		if (l == 0 || l > inlen - i - 1)
			break;
		if (l == sizeof(ALPN_PROTO) - 1 &&
		    memcmp(in + i + 1, ALPN_PROTO, l) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)l;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;	/* no_application_protocol */
}

static void *
alpn_open(void *arg, int fd)
{
	const struct alpn_srv	*srv = arg;
	struct alpn_conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->ssl = SSL_new(srv->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, fd) != 1) {
		SSL_free(c->ssl);
		free(c);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(c->ssl);
	return c;
}

static void
alpn_close(void *arg, void *conn)
{
	struct alpn_conn	*c = conn;

	(void)arg;
	SSL_free(c->ssl);
	free(c);
}

static int
want(SSL *ssl, int r, short *events)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		*events = POLLIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		*events = POLLOUT;
		return 0;
	default:
		ERR_clear_error();
		return -1;
	}
}

static int
alpn_step(void *arg, void *conn, int fd, short *events)
{
	struct alpn_conn	*c = conn;
	int			 r;

	(void)arg;
	(void)fd;
	if (!c->done) {
		ERR_clear_error();
		if ((r = SSL_accept(c->ssl)) != 1)
			return want(c->ssl, r, events);
		c->done = true;	/* the CA has seen the certificate */
	}
	ERR_clear_error();
	if ((r = SSL_shutdown(c->ssl)) >= 0)
		return -1;	/* close_notify sent; no need to wait */
	return want(c->ssl, r, events);
}

static void
srv_clear(struct alpn_srv *srv)
{
	size_t	 i;

	for (i = 0; srv->certs != NULL && i < srv->n; i++)
		X509_free(srv->certs[i].x509);
	free(srv->certs);
	SSL_CTX_free(srv->ctx);
	EVP_PKEY_free(srv->key);
}

struct acme_responder *
acme_tlsalpn01_start(const char *addr, unsigned port,
    const struct acme_chall_item *items, size_t n, struct acme_err *err)
{
	struct alpn_srv		 srv;
	struct acme_solver_ops	 ops;
	struct acme_responder	*r = NULL;
	unsigned char		 ip[16];
	size_t			 i, iplen;

	memset(&srv, 0, sizeof(srv));
	if (items == NULL || n == 0 || n > ACME_AUTHZ_MAX) {
		acme_err_set(err, ACME_EUSAGE, "tls-alpn-01 responder: "
		    "%zu challenges", n);
		return NULL;
	}
	if ((srv.certs = calloc(n, sizeof(*srv.certs))) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "tls-alpn-01 responder");
		return NULL;
	}
	srv.n = n;
	ERR_clear_error();
	if ((srv.key = EVP_EC_gen("P-256")) == NULL) {
		acme_err_crypto(err, "tls-alpn-01 responder: key");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (ident_parse(items[i].ident, srv.certs[i].sni, ip,
		    &iplen) == -1 || !keyauth_is_valid(items[i].keyauth)) {
			acme_err_set(err, ACME_EUSAGE, "tls-alpn-01 responder: "
			    "challenge %zu: bad identifier or key "
			    "authorization", i);
			goto out;
		}
		srv.certs[i].x509 = make_cert(srv.key, srv.certs[i].sni, ip,
		    iplen, items[i].keyauth);
		if (srv.certs[i].x509 == NULL) {
			acme_err_crypto(err, "tls-alpn-01 responder: %s: "
			    "certificate", srv.certs[i].sni);
			goto out;
		}
	}
	if ((srv.ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(srv.ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_num_tickets(srv.ctx, 0) != 1) {
		acme_err_crypto(err, "tls-alpn-01 responder: context");
		goto out;
	}
	(void)SSL_CTX_set_options(srv.ctx, SSL_OP_NO_TICKET |
	    SSL_OP_NO_RENEGOTIATION);
	(void)SSL_CTX_set_session_cache_mode(srv.ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_client_hello_cb(srv.ctx, alpn_hello_cb, &srv);
	SSL_CTX_set_alpn_select_cb(srv.ctx, alpn_select_cb, NULL);
	ops.open = alpn_open;
	ops.step = alpn_step;
	ops.close = alpn_close;
	ops.arg = &srv;
	/* the child keeps its copy of srv: it never returns */
	r = acme_solver_start("tls-alpn-01 responder", addr, port, &ops, err);
out:
	srv_clear(&srv);
	return r;
}
