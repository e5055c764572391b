/*
 * cert.c - certificate chains and summaries. cert_chain_split() takes the
 * untrusted PEM chain from the ACME server: it is bounded, scanned
 * strictly block by block, and re-encoded so that only what OpenSSL
 * parsed is ever stored. The other functions read our own stored files.
 */
#include "cert.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "keys.h"
#include "util.h"

#define CERT_BEGIN	"-----BEGIN CERTIFICATE-----"
#define CERT_END	"-----END CERTIFICATE-----"
#define CERT_TEXT_MAX	1024	/* bytes of a CN, SAN or DN we show */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Parses exactly one PEM block [p, p+len): label CERTIFICATE, no headers,
 * DER that is one certificate and nothing more, and nothing after END.
 */
static X509 *
parse_block(const char *p, size_t len)
{
	BIO			*bio = NULL;
	X509			*x = NULL;
	char			*name = NULL, *header = NULL;
	unsigned char		*data = NULL;
	const unsigned char	*d;
	long			 dlen = 0;

	ERR_clear_error();
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    BIO_write(bio, p, (int)len) != (int)len ||
	    BIO_write(bio, "\n", 1) != 1 ||
	    PEM_read_bio(bio, &name, &header, &data, &dlen) != 1)
		goto out;
	if (strcmp(name, "CERTIFICATE") != 0 || header[0] != '\0' ||
	    BIO_ctrl_pending(bio) != 0 || dlen <= 0)
		goto out;
	d = data;
	if ((x = d2i_X509(NULL, &d, dlen)) != NULL && d != data + dlen) {
		X509_free(x);		/* trailing bytes after the DER */
		x = NULL;
	}
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	return x;
}

/* Copies a memory BIO's contents into a malloc'd NUL-terminated string. */
static int
bio_take(BIO *bio, char **out, size_t *outlen, struct cd_err *err)
{
	char	*data, *p;
	long	 n;

	if ((n = BIO_get_mem_data(bio, &data)) < 0)
		return cd_err_crypto(err, "certificate: PEM output");
	if ((p = malloc((size_t)n + 1)) == NULL)
		return cd_err_set(err, CD_ENOMEM, "certificate: out of memory");
	if (n > 0)
		memcpy(p, data, (size_t)n);
	p[n] = '\0';
	*out = p;
	*outlen = (size_t)n;
	return 0;
}

int
cert_chain_split(const char *pem, size_t len, char **leaf, size_t *leaflen,
    char **chain, size_t *chainlen, char **full, size_t *fulllen,
    struct cd_err *err)
{
	X509		*certs[CERT_CHAIN_CERTS_MAX];
	BIO		*bleaf = NULL, *brest = NULL;
	const char	*p = pem, *end = pem + len, *e;
	char		*l = NULL, *c = NULL, *f = NULL;
	size_t		 n = 0, i, ll = 0, cl = 0;
	int		 rc = -1;

	if (len == 0 || len > CERT_CHAIN_MAX)
		return cd_err_set(err, CD_EPROTO, "certificate chain: size %zu",
		    len);
	if (memchr(pem, '\0', len) != NULL)
		return cd_err_set(err, CD_EPROTO,
		    "certificate chain: NUL byte");
	for (;;) {
		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		if ((size_t)(end - p) < sizeof(CERT_BEGIN) - 1 ||
		    memcmp(p, CERT_BEGIN, sizeof(CERT_BEGIN) - 1) != 0) {
			cd_err_set(err, CD_EPROTO, "certificate chain: "
			    "unexpected data at byte %zu", (size_t)(p - pem));
			goto out;
		}
		if (n == CERT_CHAIN_CERTS_MAX) {
			cd_err_set(err, CD_EPROTO, "certificate chain: more "
			    "than %d certificates", CERT_CHAIN_CERTS_MAX);
			goto out;
		}
		e = util_find(p + sizeof(CERT_BEGIN) - 1, end, CERT_END,
		    sizeof(CERT_END) - 1);
		if (e == NULL) {
			cd_err_set(err, CD_EPROTO, "certificate chain: "
			    "certificate %zu is truncated", n + 1);
			goto out;
		}
		/* no block may start inside another */
		if (util_find(p + 1, e, "-----BEGIN", 10) != NULL) {
			cd_err_set(err, CD_EPROTO, "certificate chain: "
			    "certificate %zu: nested PEM block", n + 1);
			goto out;
		}
		e += sizeof(CERT_END) - 1;
		if ((certs[n] = parse_block(p, (size_t)(e - p))) == NULL) {
			cd_err_crypto(err, "certificate chain: certificate "
			    "%zu does not parse", n + 1);
			goto out;
		}
		n++;
		p = e;
	}
	if (n == 0) {
		cd_err_set(err, CD_EPROTO, "certificate chain: no certificate");
		goto out;
	}
	ERR_clear_error();
	if ((bleaf = BIO_new(BIO_s_mem())) == NULL ||
	    (brest = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509(bleaf, certs[0]) != 1) {
		cd_err_crypto(err, "certificate chain: PEM output");
		goto out;
	}
	for (i = 1; i < n; i++)
		if (PEM_write_bio_X509(brest, certs[i]) != 1) {
			cd_err_crypto(err, "certificate chain: PEM output");
			goto out;
		}
	if (bio_take(bleaf, &l, &ll, err) == -1 ||
	    bio_take(brest, &c, &cl, err) == -1)
		goto out;
	if ((f = malloc(ll + cl + 1)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "certificate chain: out of memory");
		goto out;
	}
	memcpy(f, l, ll);
	memcpy(f + ll, c, cl + 1);
	*leaf = l;
	*leaflen = ll;
	*chain = c;
	*chainlen = cl;
	*full = f;
	*fulllen = ll + cl;
	l = c = f = NULL;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		X509_free(certs[i]);
	BIO_free(bleaf);
	BIO_free(brest);
	free(l);
	free(c);
	free(f);
	return rc;
}

/* First certificate of a PEM text; NULL with err filled. */
static X509 *
first_cert(const char *pem, size_t len, struct cd_err *err)
{
	BIO	*bio = NULL;
	X509	*x = NULL;

	if (len == 0 || len > CERT_CHAIN_MAX) {
		cd_err_set(err, CD_EPROTO, "certificate: size %zu", len);
		return NULL;
	}
	ERR_clear_error();
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, keys_no_password, NULL)) == NULL)
		cd_err_crypto(err, "certificate: cannot parse PEM");
	BIO_free(bio);
	return x;
}

/* Copies text of an ASN.1 string we show; control bytes are refused. */
static int
text_dup(const unsigned char *p, int len, char **out, const char *what,
    struct cd_err *err)
{
	char	*s;
	int	 i;

	if (len < 0 || len > CERT_TEXT_MAX)
		return cd_err_set(err, CD_EPROTO, "certificate: %s: length %d",
		    what, len);
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return cd_err_set(err, CD_EPROTO,
			    "certificate: %s: control byte", what);
	if ((s = malloc((size_t)len + 1)) == NULL)
		return cd_err_set(err, CD_ENOMEM, "certificate: out of memory");
	memcpy(s, p, (size_t)len);
	s[len] = '\0';
	*out = s;
	return 0;
}

/* The (first) CN of name as UTF-8 into *out; *out stays NULL if none. */
static int
name_cn(const X509_NAME *name, char **out, const char *what,
    struct cd_err *err)
{
	const X509_NAME_ENTRY	*ent;
	unsigned char		*utf = NULL;
	int			 i, n, rc;

	*out = NULL;
	if ((i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return 0;
	ent = X509_NAME_get_entry(name, i);
	ERR_clear_error();
	if ((n = ASN1_STRING_to_UTF8(&utf,
	    X509_NAME_ENTRY_get_data(ent))) < 0)
		return cd_err_crypto(err, "certificate: %s", what);
	rc = text_dup(utf, n, out, what, err);
	OPENSSL_free(utf);
	return rc;
}

/* The whole DN, RFC 2253 style (escaped by OpenSSL). */
static int
name_line(const X509_NAME *name, char **out, struct cd_err *err)
{
	BIO	*bio = NULL;
	size_t	 len;
	int	 rc = -1;

	ERR_clear_error();
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0)
		cd_err_crypto(err, "certificate: issuer name");
	else
		rc = bio_take(bio, out, &len, err);
	BIO_free(bio);
	return rc;
}

static int
add_name(struct cert_info *ci, char *s, struct cd_err *err)
{
	char	**v;

	if ((v = reallocarray(ci->names, ci->nnames + 1,
	    sizeof(*v))) == NULL) {
		free(s);
		return cd_err_set(err, CD_ENOMEM, "certificate: out of memory");
	}
	ci->names = v;
	ci->names[ci->nnames++] = s;
	return 0;
}

static int
get_sans(X509 *x, struct cert_info *ci, struct cd_err *err)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*gn;
	const unsigned char	*p;
	char			 ip[INET6_ADDRSTRLEN], *s;
	int			 crit = 0, i, len, rc = -1;

	ERR_clear_error();
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL) {
		if (crit == -1)		/* no SAN extension */
			return 0;
		if (crit == -2)
			return cd_err_set(err, CD_EPROTO,
			    "certificate: more than one SAN extension");
		return cd_err_crypto(err, "certificate: bad SAN extension");
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		gn = sk_GENERAL_NAME_value(gens, i);
		if (gn->type == GEN_DNS) {
			if (text_dup(ASN1_STRING_get0_data(gn->d.dNSName),
			    ASN1_STRING_length(gn->d.dNSName), &s, "SAN",
			    err) == -1 || add_name(ci, s, err) == -1)
				goto out;
		} else if (gn->type == GEN_IPADD) {
			p = ASN1_STRING_get0_data(gn->d.iPAddress);
			len = ASN1_STRING_length(gn->d.iPAddress);
			if ((len != 4 && len != 16) ||
			    inet_ntop(len == 4 ? AF_INET : AF_INET6, p, ip,
			    sizeof(ip)) == NULL) {
				cd_err_set(err, CD_EPROTO,
				    "certificate: bad IP address SAN");
				goto out;
			}
			if ((s = strdup(ip)) == NULL) {
				cd_err_set(err, CD_ENOMEM,
				    "certificate: out of memory");
				goto out;
			}
			if (add_name(ci, s, err) == -1)
				goto out;
		}
		/* other SAN types (email, URI) are not ours to show */
	}
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

static int
asn1_time(const ASN1_TIME *t, time_t *out, struct cd_err *err)
{
	struct tm	 tm;
	time_t		 v;

	memset(&tm, 0, sizeof(tm));
	ERR_clear_error();
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return cd_err_crypto(err, "certificate: bad validity time");
	if ((v = timegm(&tm)) == (time_t)-1)
		return cd_err_set(err, CD_EPROTO,
		    "certificate: validity time out of range");
	*out = v;
	return 0;
}

int
cert_info_x509(X509 *x, struct cert_info *ci, struct cd_err *err)
{
	const ASN1_INTEGER	*serial;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	enum keys_type		 kt;
	size_t			 slen, off = 0;

	memset(ci, 0, sizeof(*ci));
	if (name_cn(X509_get_subject_name(x), &ci->subject_cn, "subject",
	    err) == -1 ||
	    name_cn(X509_get_issuer_name(x), &ci->issuer_cn, "issuer",
	    err) == -1)
		goto fail;
	if (ci->issuer_cn == NULL &&
	    name_line(X509_get_issuer_name(x), &ci->issuer_cn, err) == -1)
		goto fail;
	if (get_sans(x, ci, err) == -1 ||
	    asn1_time(X509_get0_notBefore(x), &ci->not_before, err) == -1 ||
	    asn1_time(X509_get0_notAfter(x), &ci->not_after, err) == -1)
		goto fail;
	/* the ASN.1 content is the magnitude, big-endian; sign apart */
	serial = X509_get0_serialNumber(x);
	slen = (size_t)ASN1_STRING_length(serial);
	if (2 * slen + 2 > sizeof(ci->serial)) {
		cd_err_set(err, CD_EPROTO, "certificate: serial of %zu bytes",
		    slen);
		goto fail;
	}
	if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER)
		ci->serial[off++] = '-';
	if (slen == 0)			/* zero may have no content bytes */
		(void)snprintf(ci->serial + off, sizeof(ci->serial) - off,
		    "00");
	else
		util_hex(ASN1_STRING_get0_data(serial), slen,
		    ci->serial + off, false);
	ERR_clear_error();
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
		cd_err_crypto(err, "certificate: SHA-256 fingerprint");
		goto fail;
	}
	util_hex(md, mdlen, ci->sha256, false);
	(void)snprintf(ci->key_type, sizeof(ci->key_type), "%s",
	    keys_type_of(X509_get0_pubkey(x), &kt) == 0 ?
	    keys_type_name(kt) : "other");
	ERR_clear_error();	/* X509_get0_pubkey may fail on odd keys */
	return 0;
fail:
	cert_info_clear(ci);
	return -1;
}

int
cert_info_pem(const char *pem, size_t len, struct cert_info *ci,
    struct cd_err *err)
{
	X509	*x;
	int	 rc;

	if ((x = first_cert(pem, len, err)) == NULL)
		return -1;
	rc = cert_info_x509(x, ci, err);
	X509_free(x);
	return rc;
}

void
cert_info_clear(struct cert_info *ci)
{
	size_t	 i;

	if (ci == NULL)
		return;
	free(ci->subject_cn);
	free(ci->issuer_cn);
	for (i = 0; i < ci->nnames; i++)
		free(ci->names[i]);
	free(ci->names);
	memset(ci, 0, sizeof(*ci));
}

int
cert_pem_to_der(const char *pem, size_t len, unsigned char **der,
    size_t *dlen, struct cd_err *err)
{
	X509		*x;
	unsigned char	*buf = NULL, *p;
	int		 n, rc = -1;

	if ((x = first_cert(pem, len, err)) == NULL)
		return -1;
	ERR_clear_error();
	if ((n = i2d_X509(x, NULL)) <= 0) {
		cd_err_crypto(err, "certificate: DER encoding");
		goto out;
	}
	if ((buf = malloc((size_t)n)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "certificate: out of memory");
		goto out;
	}
	p = buf;
	if (i2d_X509(x, &p) != n) {
		cd_err_crypto(err, "certificate: DER encoding");
		goto out;
	}
	*der = buf;
	*dlen = (size_t)n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	X509_free(x);
	return rc;
}

bool
cert_matches_key(const char *pem, size_t len, EVP_PKEY *key)
{
	X509		*x;
	EVP_PKEY	*pub;
	bool		 ok = false;

	if (key == NULL || (x = first_cert(pem, len, NULL)) == NULL)
		return false;
	ERR_clear_error();
	/* EVP_PKEY_eq compares the public parts when both have them */
	if ((pub = X509_get0_pubkey(x)) != NULL)
		ok = EVP_PKEY_eq(pub, key) == 1;
	ERR_clear_error();
	X509_free(x);
	return ok;
}

int
cert_key_id(const char *pem, size_t len)
{
	X509	*x;
	int	 id;

	if ((x = first_cert(pem, len, NULL)) == NULL) {
		ERR_clear_error();
		return EVP_PKEY_NONE;
	}
	id = EVP_PKEY_get_base_id(X509_get0_pubkey(x));
	X509_free(x);
	return id;
}

/* Same name: IP addresses by value, DNS names case-insensitively. */
static bool
name_eq(const char *a, const char *b)
{
	unsigned char	 x[16], y[16];

	if (inet_pton(AF_INET, a, x) == 1)
		return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1)
		return inet_pton(AF_INET6, b, y) == 1 &&
		    memcmp(x, y, 16) == 0;
	if (util_is_ipaddr(b))
		return false;
	return strcasecmp(a, b) == 0;
}

static bool
all_in(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	size_t	 i, j;

	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (name_eq(a[i], b[j]))
				break;
		if (j == nb)
			return false;
	}
	return true;
}

bool
cert_has_names(const struct cert_info *ci, const char *const *names,
    size_t n)
{
	const char *const	*have = (const char *const *)ci->names;

	if (n == 0 || ci->nnames == 0)
		return false;
	return all_in(names, n, have, ci->nnames) &&
	    all_in(have, ci->nnames, names, n);
}
