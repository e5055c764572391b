/*
 * crl.c - X.509 CRLs (RFC 5280 §5) fetched from distribution points: a
 * strict, bounded, single-pass DER reader that builds the sorted serial
 * index while it reads, signature/issuer/time checks, IDP scope, and the
 * cache's binary form of the index. Trusts nothing in the CRL bytes nor
 * in a stored index blob. Pure: no I/O; time comes in as `now`.
 */
#include "crl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "rev.h"

/*
 * DER identifier octets used here; all are single octets (the reader
 * refuses the high-tag-number form).
 */
#define T_BOOLEAN	0x01
#define T_INTEGER	0x02
#define T_BITSTRING	0x03
#define T_OCTETSTRING	0x04
#define T_NULL		0x05
#define T_OID		0x06
#define T_ENUMERATED	0x0a
#define T_UTCTIME	0x17
#define T_GENTIME	0x18
#define T_SEQUENCE	0x30
#define T_CTX(n)	(0x80 | (n))	/* [n] IMPLICIT, primitive */
#define T_CTXC(n)	(0xa0 | (n))	/* [n] constructed */
#define T_ANY		(-1)

/* One sample key per SAMPLE index entries (1 byte of memory per entry). */
#define SAMPLE		8
/* Smallest DER revokedCertificates entry: 30 len, 02 01 xx, UTCTime. */
#define ENTRY_MIN	20
/* Smallest index blob entry: length, 1 serial octet, reason, time. */
#define BLOB_ENTRY_MIN	11
#define BLOB_HDR	56
#define BLOB_SUM	32	/* SHA-256 */
#define BLOB_HAS_NEXT	0x1u
#define BLOB_HAS_IDP	0x2u
#define BLOB_HAS_NUMBER	0x4u
#define REASON_NONE	(-1)
#define REASON_REMOVE	8

static const uint8_t blob_magic[8] = { 'c', 'e', 'r', 't', 'd', 'C', 'R',
    'L' };

struct crl {
	unsigned char	*der;		/* private copy; NULL once discarded */
	size_t		 derlen;
	size_t		 tbs_off;	/* signed bytes: der[tbs_off..+len) */
	size_t		 tbs_len;
	size_t		 sig_off;	/* signature value (no unused-bits) */
	size_t		 sig_len;
	int		 alg;		/* sigalgs[] index, -1: unknown */
	unsigned char	*issuer;	/* the issuer Name TLV */
	size_t		 issuer_len;
	time_t		 this_update;
	time_t		 next_update;
	bool		 has_next;
	bool		 has_number;
	unsigned char	 number[REV_SERIAL_MAX];	/* CRLNumber */
	size_t		 number_len;
	/* Issuing Distribution Point */
	bool		 has_idp;
	unsigned char	*idp;		/* extnValue contents */
	size_t		 idp_len;
	bool		 idp_dp;	/* has a distributionPoint */
	bool		 only_user;
	bool		 only_ca;
	bool		 only_some;	/* onlySomeReasons */
	bool		 only_attr;
	char		*uris[CRL_IDP_URIS_MAX];
	size_t		 nuris;
	size_t		 uris_bytes;
	/*
	 * The index, one allocation (mem): n distinct serials sorted by
	 * (length, bytes), i.e. by value as they have no leading zeros.
	 */
	void		*mem;
	size_t		 memlen;
	size_t		 n;
	int64_t		*when;		/* revocationDate */
	uint64_t	*samples;	/* prefix_of(entry k * SAMPLE) */
	size_t		 nsamples;
	uint32_t	*off;		/* n + 1: keys[off[i]..off[i + 1]) */
	int8_t		*reason;	/* CRLReason, REASON_NONE */
	unsigned char	*keys;
};

/* A span of DER being read. */
struct der {
	const uint8_t	*p;
	const uint8_t	*end;
};

/* Where errors are reported: offsets are relative to base. */
struct parser {
	const uint8_t	*base;
	const char	*what;		/* "crl" or "crl index" */
	struct cd_err	*err;
};

/* A revoked entry while the index is built (sorted by key, then i). */
struct rec {
	uint64_t	 key;		/* prefix_of() */
	const uint8_t	*k;		/* serial magnitude in the DER */
	uint32_t	 i;		/* input position */
	uint8_t		 len;
};

struct build {
	size_t		 n;
	size_t		 cap;
	struct rec	*recs;
	int64_t		*when;
	int8_t		*reason;
};

static const struct sigalg {
	const char	*name;
	size_t		 len;
	uint8_t		 oid[9];
	int		 key;		/* EVP_PKEY_*; 0: unsupported */
	bool		 null_ok;	/* NULL parameters allowed (RSA) */
	const EVP_MD	*(*md)(void);	/* NULL: pure signature (EdDSA) */
} sigalgs[] = {
	{ "sha256WithRSAEncryption", 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7,
	    0x0d, 0x01, 0x01, 0x0b }, EVP_PKEY_RSA, true, EVP_sha256 },
	{ "sha384WithRSAEncryption", 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7,
	    0x0d, 0x01, 0x01, 0x0c }, EVP_PKEY_RSA, true, EVP_sha384 },
	{ "sha512WithRSAEncryption", 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7,
	    0x0d, 0x01, 0x01, 0x0d }, EVP_PKEY_RSA, true, EVP_sha512 },
	{ "ecdsa-with-SHA256", 8, { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
	    0x03, 0x02 }, EVP_PKEY_EC, false, EVP_sha256 },
	{ "ecdsa-with-SHA384", 8, { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
	    0x03, 0x03 }, EVP_PKEY_EC, false, EVP_sha384 },
	{ "ecdsa-with-SHA512", 8, { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
	    0x03, 0x04 }, EVP_PKEY_EC, false, EVP_sha512 },
	{ "Ed25519", 3, { 0x2b, 0x65, 0x70 }, EVP_PKEY_ED25519, false,
	    NULL },
	{ "Ed448", 3, { 0x2b, 0x65, 0x71 }, EVP_PKEY_ED448, false, NULL },
	/* known, refused by crl_verify() */
	{ "RSASSA-PSS", 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
	    0x0a }, 0, true, NULL },
	{ "sha1WithRSAEncryption", 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	    0x01, 0x01, 0x05 }, 0, true, NULL },
	{ "ecdsa-with-SHA1", 7, { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01 },
	    0, true, NULL },
};

enum ext_id {
	X_UNKNOWN = 0,
	X_REASON,
	X_INVALIDITY,
	X_CERT_ISSUER,
	X_NUMBER,
	X_DELTA,
	X_IDP,
	X_AKI,
	X_IAN,
	X_AIA,
};

static const struct {
	enum ext_id	 id;
	size_t		 len;
	uint8_t		 oid[8];
} ext_oids[] = {
	{ X_REASON, 3, { 0x55, 0x1d, 0x15 } },		/* 2.5.29.21 */
	{ X_INVALIDITY, 3, { 0x55, 0x1d, 0x18 } },	/* 2.5.29.24 */
	{ X_CERT_ISSUER, 3, { 0x55, 0x1d, 0x1d } },	/* 2.5.29.29 */
	{ X_NUMBER, 3, { 0x55, 0x1d, 0x14 } },		/* 2.5.29.20 */
	{ X_DELTA, 3, { 0x55, 0x1d, 0x1b } },		/* 2.5.29.27 */
	{ X_IDP, 3, { 0x55, 0x1d, 0x1c } },		/* 2.5.29.28 */
	{ X_AKI, 3, { 0x55, 0x1d, 0x23 } },		/* 2.5.29.35 */
	{ X_IAN, 3, { 0x55, 0x1d, 0x12 } },		/* 2.5.29.18 */
	{ X_AIA, 8, { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01 } },
};

static int
bad(const struct parser *ps, const uint8_t *at, const char *what)
{
	return cd_err_set(ps->err, CD_EPROTO, "%s: bad %s at offset %zu",
	    ps->what, what, (size_t)(at - ps->base));
}

static bool
der_is_empty(const struct der *d)
{
	return d->p == d->end;
}

static bool
der_is_at(const struct der *d, int tag)
{
	return d->p < d->end && d->p[0] == tag;
}

/*
 * Reads the next TLV of d, which must carry `tag` (T_ANY: any
 * low-number tag), into val (its contents) and moves d past it. DER only:
 * definite lengths in the fewest octets, at most 4 length octets (the
 * input is capped far below 4 GiB), contents within d.
 */
static int
der_get(const struct parser *ps, struct der *d, int tag, struct der *val,
    const char *what)
{
	const uint8_t	*p = d->p;
	size_t		 len, n;

	if (d->end - p < 2 || (tag == T_ANY ? (p[0] & 0x1f) == 0x1f :
	    p[0] != tag))
		return bad(ps, p, what);
	len = p[1];
	p += 2;
	if (len & 0x80) {
		n = len & 0x7f;
		/* 0x80 is BER's indefinite form; a zero first octet or a
		 * value below 0x80 is not the shortest form */
		if (n == 0 || n > 4 || (size_t)(d->end - p) < n || p[0] == 0)
			return bad(ps, d->p, what);
		for (len = 0; n > 0; n--)
			len = len << 8 | *p++;
		if (len < 0x80)
			return bad(ps, d->p, what);
	}
	if (len > (size_t)(d->end - p))
		return bad(ps, d->p, what);
	val->p = p;
	val->end = p + len;
	d->p = p + len;
	return 0;
}

/* Reads a whole TLV as the only content of d. */
static int
der_get_only(const struct parser *ps, struct der *d, int tag,
    struct der *val, const char *what)
{
	if (der_get(ps, d, tag, val, what) == -1)
		return -1;
	if (!der_is_empty(d))
		return bad(ps, d->p, what);
	return 0;
}

/*
 * An INTEGER's contents as an unsigned magnitude without leading zero
 * octets (len 0 for zero): minimal two's complement, not negative.
 */
static int
der_uint(const struct parser *ps, const struct der *v, const uint8_t **mag,
    size_t *len, const char *what)
{
	const uint8_t	*p = v->p;
	size_t		 n = (size_t)(v->end - v->p);

	if (n == 0 || (p[0] & 0x80) != 0)
		return bad(ps, p, what);
	if (p[0] == 0) {
		if (n > 1 && (p[1] & 0x80) == 0)
			return bad(ps, p, what);	/* not minimal */
		p++;
		n--;
	}
	*mag = p;
	*len = n;
	return 0;
}

static int
two_digits(const uint8_t *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Reads a Time (RFC 5280 §4.1.2.5): UTCTime YYMMDDHHMMSSZ (YY < 50 is
 * 20YY) or GeneralizedTime YYYYMMDDHHMMSSZ; seconds and Z required, no
 * fractions, real calendar dates. gentime_only: invalidityDate.
 */
static int
der_time(const struct parser *ps, struct der *d, bool gentime_only,
    time_t *out, const char *what)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	struct der	 v;
	const uint8_t	*p;
	int		 y, mo, dd, h, mi, s, c;
	int64_t		 t;

	if (der_is_at(d, T_UTCTIME) && !gentime_only) {
		if (der_get(ps, d, T_UTCTIME, &v, what) == -1)
			return -1;
		if (v.end - v.p != 13 || (y = two_digits(v.p)) == -1)
			return bad(ps, v.p, what);
		y += y < 50 ? 2000 : 1900;
		p = v.p + 2;
	} else {
		if (der_get(ps, d, T_GENTIME, &v, what) == -1)
			return -1;
		if (v.end - v.p != 15 || (c = two_digits(v.p)) == -1 ||
		    (y = two_digits(v.p + 2)) == -1)
			return bad(ps, v.p, what);
		y += c * 100;
		p = v.p + 4;
	}
	mo = two_digits(p);
	dd = two_digits(p + 2);
	h = two_digits(p + 4);
	mi = two_digits(p + 6);
	s = two_digits(p + 8);
	if (mo < 1 || mo > 12 || dd < 1 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 59 || p[10] != 'Z')
		return bad(ps, v.p, what);
	if (dd > mdays[mo - 1] + (mo == 2 && y % 4 == 0 &&
	    (y % 100 != 0 || y % 400 == 0)))
		return bad(ps, v.p, what);
	t = days_from_civil(y, mo, dd) * 86400 + h * 3600 + mi * 60 + s;
	if ((int64_t)(time_t)t != t)
		return bad(ps, v.p, what);
	*out = (time_t)t;
	return 0;
}

/* A BOOLEAN that DER only encodes when TRUE (DEFAULT FALSE). */
static int
der_true(const struct parser *ps, struct der *d, int tag, const char *what)
{
	struct der	 v;

	if (der_get(ps, d, tag, &v, what) == -1)
		return -1;
	if (v.end - v.p != 1 || v.p[0] != 0xff)
		return bad(ps, v.p, what);
	return 0;
}

/* "2.5.29.99" for messages; hex when it does not decode. */
static void
oid_text(const struct der *oid, char *buf, size_t len)
{
	const uint8_t	*p;
	uint64_t	 v = 0;
	size_t		 o = 0;
	bool		 first = true;
	int		 n;

	buf[0] = '\0';
	for (p = oid->p; p < oid->end; p++) {
		if (v > (UINT64_MAX >> 7))
			goto hex;
		v = v << 7 | (*p & 0x7f);
		if (*p & 0x80)
			continue;
		if (first)
			n = snprintf(buf + o, len - o, "%u.%llu",
			    v < 80 ? (unsigned)(v / 40) : 2u,
			    (unsigned long long)(v < 80 ? v % 40 : v - 80));
		else
			n = snprintf(buf + o, len - o, ".%llu",
			    (unsigned long long)v);
		if (n < 0 || (size_t)n >= len - o)
			goto hex;
		o += (size_t)n;
		first = false;
		v = 0;
	}
	return;
hex:
	for (o = 0, p = oid->p; p < oid->end && o + 3 < len; p++, o += 2)
		(void)snprintf(buf + o, len - o, "%02x", *p);
}

/*
 * Reads one Extension ::= SEQUENCE { extnID OID, critical BOOLEAN
 * DEFAULT FALSE, extnValue OCTET STRING }.
 */
static int
ext_next(const struct parser *ps, struct der *d, enum ext_id *id,
    bool *critical, struct der *oid, struct der *val)
{
	struct der	 e;
	size_t		 i, n;

	if (der_get(ps, d, T_SEQUENCE, &e, "extension") == -1 ||
	    der_get(ps, &e, T_OID, oid, "extension OID") == -1)
		return -1;
	n = (size_t)(oid->end - oid->p);
	if (n == 0 || (oid->end[-1] & 0x80) != 0)
		return bad(ps, oid->p, "extension OID");
	*critical = false;
	if (der_is_at(&e, T_BOOLEAN)) {
		if (der_true(ps, &e, T_BOOLEAN, "extension critical") == -1)
			return -1;
		*critical = true;
	}
	if (der_get_only(ps, &e, T_OCTETSTRING, val, "extension value") == -1)
		return -1;
	*id = X_UNKNOWN;
	for (i = 0; i < sizeof(ext_oids) / sizeof(ext_oids[0]); i++) {
		if (ext_oids[i].len == n &&
		    memcmp(ext_oids[i].oid, oid->p, n) == 0) {
			*id = ext_oids[i].id;
			break;
		}
	}
	return 0;
}

static int
unknown_critical(const struct parser *ps, const struct der *oid,
    const char *where)
{
	char	 buf[64];

	oid_text(oid, buf, sizeof(buf));
	return cd_err_set(ps->err, CD_EPROTO,
	    "%s: unknown critical %s extension %s", ps->what, where, buf);
}

/* crlEntryExtensions (RFC 5280 §5.3). */
static int
entry_exts(const struct parser *ps, struct der *exts, int8_t *reason)
{
	struct der	 oid, val, v;
	enum ext_id	 id;
	unsigned	 seen = 0;
	bool		 crit;
	time_t		 t;

	if (der_is_empty(exts))		/* SIZE (1..MAX) */
		return bad(ps, exts->p, "entry extensions");
	while (!der_is_empty(exts)) {
		if (ext_next(ps, exts, &id, &crit, &oid, &val) == -1)
			return -1;
		if (id != X_UNKNOWN && (seen & (1u << id)) != 0)
			return bad(ps, oid.p, "duplicate entry extension");
		seen |= 1u << id;
		switch (id) {
		case X_REASON:
			if (der_get_only(ps, &val, T_ENUMERATED, &v,
			    "reasonCode") == -1)
				return -1;
			/* 0..10 without 7 (RFC 5280 §5.3.1) */
			if (v.end - v.p != 1 || v.p[0] > 10 || v.p[0] == 7)
				return bad(ps, v.p, "reasonCode");
			*reason = (int8_t)v.p[0];
			break;
		case X_INVALIDITY:
			/* checked, not used: the revocation date is kept */
			if (der_time(ps, &val, true, &t, "invalidityDate") ==
			    -1)
				return -1;
			if (!der_is_empty(&val))
				return bad(ps, val.p, "invalidityDate");
			break;
		case X_CERT_ISSUER:
			return cd_err_set(ps->err, CD_EPROTO, "%s: indirect "
			    "CRL (certificateIssuer) unsupported", ps->what);
		default:
			if (crit)
				return unknown_critical(ps, &oid, "entry");
			break;
		}
	}
	return 0;
}

/* A URI from a GeneralName: printable ASCII, no blanks, bounded. */
static int
idp_uri(struct crl *c, const struct parser *ps, const struct der *v)
{
	size_t		 n = (size_t)(v->end - v->p), i;

	if (n == 0 || n > REV_URL_MAX)
		return bad(ps, v->p, "IDP URI");
	for (i = 0; i < n; i++)
		if (v->p[i] <= 0x20 || v->p[i] >= 0x7f)
			return bad(ps, v->p, "IDP URI");
	if (c->nuris == CRL_IDP_URIS_MAX)
		return cd_err_set(ps->err, CD_EPROTO, "%s: IDP lists more than "
		    "%d URIs", ps->what, CRL_IDP_URIS_MAX);
	if ((c->uris[c->nuris] = strndup((const char *)v->p, n)) == NULL)
		return cd_err_set(ps->err, CD_ENOMEM, "%s: strndup", ps->what);
	c->nuris++;
	c->uris_bytes += n + 1;
	return 0;
}

/*
 * IssuingDistributionPoint (RFC 5280 §5.2.5), from the extnValue:
 * SEQUENCE { distributionPoint [0] { fullName [0] GeneralNames |
 * nameRelativeToCRLIssuer [1] } OPTIONAL, onlyContainsUserCerts [1],
 * onlyContainsCACerts [2], onlySomeReasons [3] BIT STRING, indirectCRL
 * [4], onlyContainsAttributeCerts [5] } (booleans DEFAULT FALSE).
 */
static int
parse_idp(struct crl *c, const struct parser *ps, struct der *val)
{
	struct der	 idp, dpn, names, gn, v;
	int		 tag;

	if (der_get_only(ps, val, T_SEQUENCE, &idp, "IDP") == -1)
		return -1;
	if (der_is_empty(&idp))		/* MUST NOT be empty (§5.2.5) */
		return bad(ps, idp.p, "IDP (empty)");
	c->has_idp = true;
	if (der_is_at(&idp, T_CTXC(0))) {
		if (der_get(ps, &idp, T_CTXC(0), &dpn, "IDP name") == -1)
			return -1;
		c->idp_dp = true;
		if (der_is_at(&dpn, T_CTXC(0))) {
			if (der_get_only(ps, &dpn, T_CTXC(0), &names,
			    "IDP fullName") == -1)
				return -1;
			if (der_is_empty(&names))	/* SIZE (1..MAX) */
				return bad(ps, names.p, "IDP fullName");
			while (!der_is_empty(&names)) {
				tag = names.p[0];
				if (der_get(ps, &names, T_ANY, &gn,
				    "IDP GeneralName") == -1)
					return -1;
				/* uniformResourceIdentifier [6] IA5String */
				if (tag == T_CTX(6) &&
				    idp_uri(c, ps, &gn) == -1)
					return -1;
			}
		} else if (der_get_only(ps, &dpn, T_CTXC(1), &v,
		    "IDP name") == -1)
			return -1;
	}
	if (der_is_at(&idp, T_CTX(1))) {
		if (der_true(ps, &idp, T_CTX(1), "IDP onlyUser") == -1)
			return -1;
		c->only_user = true;
	}
	if (der_is_at(&idp, T_CTX(2))) {
		if (der_true(ps, &idp, T_CTX(2), "IDP onlyCA") == -1)
			return -1;
		c->only_ca = true;
	}
	if (der_is_at(&idp, T_CTX(3))) {
		if (der_get(ps, &idp, T_CTX(3), &v, "IDP reasons") == -1)
			return -1;
		if (v.end - v.p < 1 || v.p[0] > 7)
			return bad(ps, v.p, "IDP reasons");
		c->only_some = true;
	}
	if (der_is_at(&idp, T_CTX(4))) {
		if (der_true(ps, &idp, T_CTX(4), "IDP indirectCRL") == -1)
			return -1;
		return cd_err_set(ps->err, CD_EPROTO,
		    "%s: indirect CRL (IDP indirectCRL) unsupported", ps->what);
	}
	if (der_is_at(&idp, T_CTX(5))) {
		if (der_true(ps, &idp, T_CTX(5), "IDP onlyAttribute") == -1)
			return -1;
		c->only_attr = true;
	}
	if (!der_is_empty(&idp))
		return bad(ps, idp.p, "IDP");
	/* at most one of the three may be TRUE (RFC 5280 §5.2.5) */
	if (c->only_user + c->only_ca + c->only_attr > 1)
		return bad(ps, val->p, "IDP flags");
	return 0;
}

/* crlExtensions (RFC 5280 §5.2): the SEQUENCE inside [0]. */
static int
crl_exts(struct crl *c, const struct parser *ps, struct der *exts)
{
	struct der	 oid, val, v;
	const uint8_t	*mag;
	size_t		 n;
	enum ext_id	 id;
	unsigned	 seen = 0;
	bool		 crit;

	if (der_is_empty(exts))
		return bad(ps, exts->p, "CRL extensions");
	while (!der_is_empty(exts)) {
		if (ext_next(ps, exts, &id, &crit, &oid, &val) == -1)
			return -1;
		if (id != X_UNKNOWN && (seen & (1u << id)) != 0)
			return bad(ps, oid.p, "duplicate CRL extension");
		seen |= 1u << id;
		switch (id) {
		case X_NUMBER:
			if (der_get_only(ps, &val, T_INTEGER, &v,
			    "CRLNumber") == -1 ||
			    der_uint(ps, &v, &mag, &n, "CRLNumber") == -1)
				return -1;
			if (n > REV_SERIAL_MAX)	/* RFC 5280 §5.2.3 */
				return bad(ps, v.p, "CRLNumber");
			memcpy(c->number, mag, n);
			c->number_len = n;
			c->has_number = true;
			break;
		case X_DELTA:
			return cd_err_set(ps->err, CD_EPROTO,
			    "%s: delta CRLs unsupported", ps->what);
		case X_IDP:
			if ((n = (size_t)(val.end - val.p)) == 0)
				return bad(ps, val.p, "IDP");
			if ((c->idp = malloc(n)) == NULL)
				return cd_err_set(ps->err, CD_ENOMEM,
				    "%s: malloc", ps->what);
			memcpy(c->idp, val.p, n);
			c->idp_len = n;
			if (parse_idp(c, ps, &val) == -1)
				return -1;
			break;
		case X_AKI:
		case X_IAN:
		case X_AIA:
			break;		/* informational */
		default:
			if (crit)
				return unknown_critical(ps, &oid, "CRL");
			break;
		}
	}
	return 0;
}

/* Sort key: length in the top octet, then the first 7 octets. Its order
 * agrees with the order of the full keys. */
static inline uint64_t
prefix_of(const uint8_t *k, size_t len)
{
	uint64_t	 v = (uint64_t)len << 56;
	size_t		 i;

	for (i = 0; i < 7 && i < len; i++)
		v |= (uint64_t)k[i] << (48 - 8 * i);
	return v;
}

static inline int
key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec	*x = a, *y = b;
	int			 r;

	if ((r = key_cmp(x->k, x->len, y->k, y->len)) != 0)
		return r;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Stable LSD radix sort of recs by key (8-bit digits, digits that are the
 * same everywhere skipped), then runs of equal keys longer than the
 * prefix are sorted by full key and input position.
 */
static int
sort_recs(struct rec *recs, size_t n)
{
	static const size_t	 nd = 8;
	struct rec		*tmp = NULL, *src = recs, *dst, *sw;
	size_t			 cnt[8][256], i, j, d, sum, c;

	if (n < 2)
		return 0;
	if ((tmp = calloc(n, sizeof(*tmp))) == NULL)
		return -1;
	dst = tmp;
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++)
		for (d = 0; d < nd; d++)
			cnt[d][(recs[i].key >> (8 * d)) & 0xff]++;
	for (d = 0; d < nd; d++) {
		if (cnt[d][(recs[0].key >> (8 * d)) & 0xff] == n)
			continue;
		for (sum = 0, j = 0; j < 256; j++) {
			c = cnt[d][j];
			cnt[d][j] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[d][(src[i].key >> (8 * d)) & 0xff]++] = src[i];
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != recs)
		memcpy(recs, src, n * sizeof(*recs));
	free(tmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && recs[j].key == recs[i].key; j++)
			continue;
		if (j - i > 1 && recs[i].len > 7)
			qsort(recs + i, j - i, sizeof(*recs), rec_cmp);
	}
	return 0;
}

/* Allocates the index arrays of c in one block. */
static int
index_alloc(struct crl *c, size_t n, size_t keys_len,
    const struct parser *ps)
{
	size_t	 ns = (n + SAMPLE - 1) / SAMPLE;
	uint8_t	*m;

	/* n and keys_len are below CRL_HARD_MAX: no overflow */
	c->memlen = n * 8 + ns * 8 + (n + 1) * 4 + n + keys_len;
	if ((c->mem = malloc(c->memlen)) == NULL)
		return cd_err_set(ps->err, CD_ENOMEM, "%s: index of %zu "
		    "entries", ps->what, n);
	m = c->mem;
	c->n = n;
	c->nsamples = ns;
	c->when = (int64_t *)(void *)m;
	c->samples = (uint64_t *)(void *)(m + n * 8);
	c->off = (uint32_t *)(void *)(m + n * 8 + ns * 8);
	c->reason = (int8_t *)(m + n * 8 + ns * 8 + (n + 1) * 4);
	c->keys = m + n * 8 + ns * 8 + (n + 1) * 4 + n;
	c->off[0] = 0;
	return 0;
}

static void
index_samples(struct crl *c)
{
	size_t	 k, i;

	for (k = 0; k < c->nsamples; k++) {
		i = k * SAMPLE;
		c->samples[k] = prefix_of(c->keys + c->off[i],
		    c->off[i + 1] - c->off[i]);
	}
}

/* Sorts the entries read and fills the index, first of equal serials
 * kept. */
static int
index_build(struct crl *c, struct build *b, const struct parser *ps)
{
	const struct rec	*r, *prev;
	size_t			 i, n, keys_len, o;

	if (sort_recs(b->recs, b->n) == -1)
		return cd_err_set(ps->err, CD_ENOMEM, "%s: sort", ps->what);
	for (n = 0, keys_len = 0, prev = NULL, i = 0; i < b->n; i++) {
		r = &b->recs[i];
		if (prev != NULL && prev->key == r->key &&
		    key_cmp(prev->k, prev->len, r->k, r->len) == 0)
			continue;
		n++;
		keys_len += r->len;
		prev = r;
	}
	if (index_alloc(c, n, keys_len, ps) == -1)
		return -1;
	for (n = 0, o = 0, prev = NULL, i = 0; i < b->n; i++) {
		r = &b->recs[i];
		if (prev != NULL && prev->key == r->key &&
		    key_cmp(prev->k, prev->len, r->k, r->len) == 0)
			continue;
		memcpy(c->keys + o, r->k, r->len);
		o += r->len;
		c->off[n + 1] = (uint32_t)o;
		c->when[n] = b->when[r->i];
		c->reason[n] = b->reason[r->i];
		n++;
		prev = r;
	}
	index_samples(c);
	return 0;
}

/* revokedCertificates: SEQUENCE OF SEQUENCE { userCertificate,
 * revocationDate, crlEntryExtensions OPTIONAL }. */
static int
parse_revoked(struct crl *c, const struct parser *ps, struct der *rev,
    bool v2)
{
	struct build	 b;
	struct der	 ent, ser, exts;
	const uint8_t	*mag;
	size_t		 len;
	time_t		 t;
	int8_t		 reason;
	int		 rc = -1;

	memset(&b, 0, sizeof(b));
	b.cap = (size_t)(rev->end - rev->p) / ENTRY_MIN + 1;
	b.recs = calloc(b.cap, sizeof(*b.recs));
	b.when = calloc(b.cap, sizeof(*b.when));
	b.reason = calloc(b.cap, sizeof(*b.reason));
	if (b.recs == NULL || b.when == NULL || b.reason == NULL) {
		cd_err_set(ps->err, CD_ENOMEM, "%s: %zu entries", ps->what,
		    b.cap);
		goto out;
	}
	while (!der_is_empty(rev)) {
		if (der_get(ps, rev, T_SEQUENCE, &ent, "revoked entry") == -1 ||
		    der_get(ps, &ent, T_INTEGER, &ser, "serial") == -1 ||
		    der_uint(ps, &ser, &mag, &len, "serial") == -1 ||
		    der_time(ps, &ent, false, &t, "revocationDate") == -1)
			goto out;
		/* RFC 5280 §4.1.2.2: positive, at most 20 octets */
		if (len == 0 || len > REV_SERIAL_MAX) {
			bad(ps, ser.p, "serial");
			goto out;
		}
		reason = REASON_NONE;
		if (!der_is_empty(&ent)) {
			if (!v2) {
				bad(ps, ent.p, "v1 entry extensions");
				goto out;
			}
			if (der_get_only(ps, &ent, T_SEQUENCE, &exts,
			    "entry extensions") == -1 ||
			    entry_exts(ps, &exts, &reason) == -1)
				goto out;
		}
		/* b.cap bounds the number of ENTRY_MIN-byte entries */
		if (b.n == b.cap) {
			bad(ps, ent.p, "revoked entry");
			goto out;
		}
		b.recs[b.n].key = prefix_of(mag, len);
		b.recs[b.n].k = mag;
		b.recs[b.n].len = (uint8_t)len;
		b.recs[b.n].i = (uint32_t)b.n;
		b.when[b.n] = t;
		b.reason[b.n] = reason;
		b.n++;
	}
	rc = index_build(c, &b, ps);
out:
	free(b.recs);
	free(b.when);
	free(b.reason);
	return rc;
}

/* Finds the signature algorithm of an AlgorithmIdentifier's contents. */
static int
sigalg_find(const struct der *alg)
{
	struct der	 d = *alg, oid, params;
	struct parser	 quiet = { alg->p, "crl", NULL };
	size_t		 i, n;

	if (der_get(&quiet, &d, T_OID, &oid, "algorithm") == -1)
		return -1;
	n = (size_t)(oid.end - oid.p);
	for (i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++) {
		if (sigalgs[i].len != n || memcmp(sigalgs[i].oid, oid.p, n))
			continue;
		if (der_is_empty(&d) || sigalgs[i].key == 0)
			return (int)i;
		if (!sigalgs[i].null_ok || der_get_only(&quiet, &d, T_NULL,
		    &params, "parameters") == -1 || !der_is_empty(&params))
			return -1;
		return (int)i;
	}
	return -1;
}

static int
parse_tbs(struct crl *c, const struct parser *ps, struct der *tbs,
    const uint8_t *alg, size_t alglen)
{
	struct der	 v, sig, name, rev, x, exts;
	const uint8_t	*start;
	bool		 v2 = false;

	if (der_is_at(tbs, T_INTEGER)) {
		if (der_get(ps, tbs, T_INTEGER, &v, "version") == -1)
			return -1;
		/* absent means v1; if present it must be v2 (1) */
		if (v.end - v.p != 1 || v.p[0] != 1)
			return bad(ps, v.p, "version");
		v2 = true;
	}
	start = tbs->p;
	if (der_get(ps, tbs, T_SEQUENCE, &sig, "signature") == -1)
		return -1;
	if ((size_t)(tbs->p - start) != alglen ||
	    memcmp(start, alg, alglen) != 0)
		return cd_err_set(ps->err, CD_EPROTO,
		    "%s: signature algorithms differ", ps->what);
	c->alg = sigalg_find(&sig);
	start = tbs->p;
	if (der_get(ps, tbs, T_SEQUENCE, &name, "issuer") == -1)
		return -1;
	if (der_is_empty(&name))
		return bad(ps, start, "issuer (empty)");
	c->issuer_len = (size_t)(tbs->p - start);
	if ((c->issuer = malloc(c->issuer_len)) == NULL)
		return cd_err_set(ps->err, CD_ENOMEM, "%s: malloc", ps->what);
	memcpy(c->issuer, start, c->issuer_len);
	if (der_time(ps, tbs, false, &c->this_update, "thisUpdate") == -1)
		return -1;
	if (der_is_at(tbs, T_UTCTIME) || der_is_at(tbs, T_GENTIME)) {
		if (der_time(ps, tbs, false, &c->next_update,
		    "nextUpdate") == -1)
			return -1;
		if (c->next_update < c->this_update)
			return cd_err_set(ps->err, CD_EPROTO,
			    "%s: nextUpdate before thisUpdate", ps->what);
		c->has_next = true;
	}
	rev.p = rev.end = tbs->p;
	if (der_is_at(tbs, T_SEQUENCE) && der_get(ps, tbs, T_SEQUENCE, &rev,
	    "revokedCertificates") == -1)
		return -1;
	if (der_is_at(tbs, T_CTXC(0))) {
		if (!v2)
			return bad(ps, tbs->p, "v1 CRL extensions");
		if (der_get(ps, tbs, T_CTXC(0), &x, "crlExtensions") == -1 ||
		    der_get_only(ps, &x, T_SEQUENCE, &exts,
		    "crlExtensions") == -1 ||
		    crl_exts(c, ps, &exts) == -1)
			return -1;
	}
	if (!der_is_empty(tbs))
		return bad(ps, tbs->p, "tbsCertList");
	/* the entries last: a CRL rejected for its extensions costs no
	 * index */
	return parse_revoked(c, ps, &rev, v2);
}

/* CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm,
 * signatureValue BIT STRING } with nothing after it. */
static int
parse_der(struct crl *c, struct cd_err *err)
{
	struct parser	 ps = { c->der, "crl", err };
	struct der	 all = { c->der, c->der + c->derlen }, cl, tbs, alg;
	struct der	 sig;
	const uint8_t	*start;

	if (der_get_only(&ps, &all, T_SEQUENCE, &cl, "CertificateList") == -1)
		return -1;
	start = cl.p;
	if (der_get(&ps, &cl, T_SEQUENCE, &tbs, "tbsCertList") == -1)
		return -1;
	c->tbs_off = (size_t)(start - c->der);
	c->tbs_len = (size_t)(cl.p - start);
	start = cl.p;
	if (der_get(&ps, &cl, T_SEQUENCE, &alg, "signatureAlgorithm") == -1 ||
	    der_get_only(&ps, &cl, T_BITSTRING, &sig, "signatureValue") == -1)
		return -1;
	/* a signature is whole octets: no unused bits */
	if (sig.end - sig.p < 2 || sig.p[0] != 0)
		return bad(&ps, sig.p, "signatureValue");
	c->sig_off = (size_t)(sig.p + 1 - c->der);
	c->sig_len = (size_t)(sig.end - sig.p - 1);
	return parse_tbs(c, &ps, &tbs, start, (size_t)(alg.end - start));
}

static bool
is_blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int
b64_value(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * One PEM block "X509 CRL" with only white space around it and inside the
 * base64 (canonical padding, no headers) into a malloc'd c->der.
 */
static int
pem_decode(struct crl *c, const uint8_t *in, size_t len, struct cd_err *err)
{
	static const char	 begin[] = "-----BEGIN X509 CRL-----";
	static const char	 end[] = "-----END X509 CRL-----";
	const uint8_t		*p = in, *e = in + len, *q;
	uint32_t		 acc = 0;
	size_t			 nch = 0, pad = 0, o = 0;
	int			 v;

	while (p < e && is_blank(*p))
		p++;
	if ((size_t)(e - p) < sizeof(begin) - 1 ||
	    memcmp(p, begin, sizeof(begin) - 1) != 0)
		return cd_err_set(err, CD_EPROTO, "crl: neither DER nor PEM");
	p += sizeof(begin) - 1;
	for (q = p; (size_t)(e - q) >= sizeof(end) - 1; q++)
		if (*q == '-' && memcmp(q, end, sizeof(end) - 1) == 0)
			break;
	if ((size_t)(e - q) < sizeof(end) - 1 || p == q || !is_blank(*p))
		return cd_err_set(err, CD_EPROTO, "crl: PEM without END line");
	for (e = q + sizeof(end) - 1; e < in + len; e++)
		if (!is_blank(*e))
			return cd_err_set(err, CD_EPROTO,
			    "crl: data after the PEM block");
	if ((c->der = malloc((size_t)(q - p) / 4 * 3 + 3)) == NULL)
		return cd_err_set(err, CD_ENOMEM, "crl: malloc");
	for (; p < q; p++) {
		if (is_blank(*p))
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(*p)) == -1)
			return cd_err_set(err, CD_EPROTO, "crl: bad base64");
		acc = acc << 6 | (uint32_t)v;
		if (++nch % 4 == 0) {
			c->der[o++] = (uint8_t)(acc >> 16);
			c->der[o++] = (uint8_t)(acc >> 8);
			c->der[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	/* the bits that padding leaves over must be zero (canonical) */
	if (pad == 1 && nch % 4 == 3 && (acc & 0x3) == 0) {
		c->der[o++] = (uint8_t)(acc >> 10);
		c->der[o++] = (uint8_t)(acc >> 2);
	} else if (pad == 2 && nch % 4 == 2 && (acc & 0xf) == 0)
		c->der[o++] = (uint8_t)(acc >> 4);
	else if (pad != 0 || nch % 4 != 0)
		return cd_err_set(err, CD_EPROTO, "crl: bad base64 padding");
	c->derlen = o;
	return 0;
}

struct crl *
crl_parse(const void *in, size_t len, size_t max, struct cd_err *err)
{
	struct crl	*c;
	const uint8_t	*p = in;

	if (max == 0)
		max = REV_CRL_MAX_DEFAULT;
	if (max > CRL_HARD_MAX)
		max = CRL_HARD_MAX;
	if (len == 0 || len > max) {
		cd_err_set(err, CD_EPROTO, "crl: size %zu (max %zu)", len, max);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		cd_err_set(err, CD_ENOMEM, "crl: calloc");
		return NULL;
	}
	c->alg = -1;
	if (p[0] == T_SEQUENCE) {
		if ((c->der = malloc(len)) == NULL) {
			cd_err_set(err, CD_ENOMEM, "crl: malloc %zu", len);
			goto fail;
		}
		memcpy(c->der, p, len);
		c->derlen = len;
	} else if (pem_decode(c, p, len, err) == -1)
		goto fail;
	if (parse_der(c, err) == -1)
		goto fail;
	return c;
fail:
	crl_free(c);
	return NULL;
}

static void
fmt_time(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, len, "@%lld", (long long)t);
}

int
crl_check_time(const struct crl *c, time_t now, struct cd_err *err)
{
	char	 buf[64];

	if (c->this_update > now + REV_SKEW) {
		fmt_time(c->this_update, buf, sizeof(buf));
		return cd_err_set(err, CD_EPROTO,
		    "crl: not yet valid (thisUpdate %s)", buf);
	}
	if (c->has_next && c->next_update < now - REV_SKEW) {
		fmt_time(c->next_update, buf, sizeof(buf));
		return cd_err_set(err, CD_EPROTO,
		    "crl: expired (nextUpdate %s)", buf);
	}
	return 0;
}

/* RFC 5280 §6.3.3 (f) and §7.1: the CRL issuer is the certificate's
 * subject; same DER, else the same after OpenSSL's canonical form. */
static int
issuer_matches(const struct crl *c, X509 *issuer, struct cd_err *err)
{
	const X509_NAME		*subj;
	X509_NAME		*name = NULL;
	const unsigned char	*der, *p;
	size_t			 len;
	int			 ok;

	ERR_clear_error();
	if ((subj = X509_get_subject_name(issuer)) == NULL ||
	    X509_NAME_get0_der(subj, &der, &len) != 1)
		return cd_err_crypto(err, "crl: issuer certificate name");
	if (len == c->issuer_len && memcmp(der, c->issuer, len) == 0)
		return 0;
	p = c->issuer;
	name = d2i_X509_NAME(NULL, &p, (long)c->issuer_len);
	ok = name != NULL && p == c->issuer + c->issuer_len &&
	    X509_NAME_cmp(name, subj) == 0;
	X509_NAME_free(name);
	ERR_clear_error();
	if (!ok)
		return cd_err_set(err, CD_ECRYPTO,
		    "crl: issuer name does not match the issuer certificate");
	return 0;
}

int
crl_verify(const struct crl *c, X509 *issuer, time_t now,
    struct cd_err *err)
{
	const struct sigalg	*a;
	EVP_MD_CTX		*ctx = NULL;
	EVP_PKEY		*pkey;
	int			 rc = -1;

	if (c->der == NULL)
		return cd_err_set(err, CD_ECONFIG,
		    "crl: signed data not kept, cannot verify");
	if (c->alg == -1 || sigalgs[c->alg].key == 0)
		return cd_err_set(err, CD_ECRYPTO, "crl: signature algorithm "
		    "%s unsupported", c->alg == -1 ? "(unknown)" :
		    sigalgs[c->alg].name);
	a = &sigalgs[c->alg];
	if (issuer_matches(c, issuer, err) == -1)
		return -1;
	ERR_clear_error();
	/* the issuer must be allowed to sign CRLs (RFC 5280 §4.2.1.3);
	 * without keyUsage the function returns all bits */
	if ((X509_get_extension_flags(issuer) & EXFLAG_INVALID) != 0)
		return cd_err_crypto(err, "crl: issuer certificate has "
		    "invalid extensions");
	if ((X509_get_key_usage(issuer) & KU_CRL_SIGN) == 0)
		return cd_err_set(err, CD_ECRYPTO,
		    "crl: issuer keyUsage lacks cRLSign");
	if ((pkey = X509_get0_pubkey(issuer)) == NULL)
		return cd_err_crypto(err, "crl: issuer public key");
	/* the key type must be the algorithm's: no RSA key for an ECDSA
	 * OID or the reverse */
	if (EVP_PKEY_get_base_id(pkey) != a->key)
		return cd_err_set(err, CD_ECRYPTO,
		    "crl: %s signature, issuer key type differs", a->name);
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		cd_err_crypto(err, "crl: EVP_MD_CTX_new");
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, a->md == NULL ? NULL : a->md(),
	    NULL, pkey) != 1) {
		cd_err_crypto(err, "crl: %s verify init", a->name);
		goto out;
	}
	if (EVP_DigestVerify(ctx, c->der + c->sig_off, c->sig_len,
	    c->der + c->tbs_off, c->tbs_len) != 1) {
		cd_err_crypto(err, "crl: bad signature (%s)", a->name);
		goto out;
	}
	rc = crl_check_time(c, now, err);
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
crl_lookup(const struct crl *c, const unsigned char *serial, size_t len,
    bool *revoked, int *reason, time_t *when)
{
	uint64_t	 t;
	size_t		 lo, hi, mid, a, b, start, end;
	int		 r;

	while (len > 0 && serial[0] == 0) {
		serial++;
		len--;
	}
	if (len > REV_SERIAL_MAX)
		return -1;
	*revoked = false;
	*reason = REV_REASON_NONE;
	*when = 0;
	if (len == 0 || c->n == 0)
		return 0;
	t = prefix_of(serial, len);
	/* samples: a = first >= t, b = first > t */
	for (lo = 0, hi = c->nsamples; lo < hi; ) {
		mid = lo + (hi - lo) / 2;
		if (c->samples[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	a = lo;
	/* usually no sample equals t: then b == a */
	hi = a < c->nsamples && c->samples[a] == t ? c->nsamples : a;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->samples[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	b = lo;
	/* blocks before a - 1 hold prefixes < t; from b on, > t */
	start = a > 0 ? (a - 1) * SAMPLE : 0;
	end = b * SAMPLE < c->n ? b * SAMPLE : c->n;
	for (lo = start, hi = end; lo < hi; ) {
		mid = lo + (hi - lo) / 2;
		r = key_cmp(c->keys + c->off[mid], c->off[mid + 1] -
		    c->off[mid], serial, len);
		if (r == 0) {
			if (c->reason[mid] == REASON_REMOVE)
				return 0;	/* RFC 5280 §5.3.1 */
			*revoked = true;
			*reason = c->reason[mid];
			*when = (time_t)c->when[mid];
			return 0;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
crl_cert_serial(X509 *cert, unsigned char *buf, size_t *len,
    struct cd_err *err)
{
	const ASN1_INTEGER	*s = X509_get0_serialNumber(cert);
	const unsigned char	*d;
	int			 n;

	/* OpenSSL keeps the magnitude; negatives have their own type */
	if (s == NULL || ASN1_STRING_type(s) != V_ASN1_INTEGER)
		return cd_err_set(err, CD_EPROTO,
		    "certificate serial is negative");
	d = ASN1_STRING_get0_data(s);
	n = ASN1_STRING_length(s);
	while (n > 0 && d[0] == 0) {
		d++;
		n--;
	}
	if (n == 0 || n > REV_SERIAL_MAX)
		return cd_err_set(err, CD_EPROTO, "certificate serial is %s",
		    n == 0 ? "zero" : "longer than 20 octets");
	memcpy(buf, d, (size_t)n);
	*len = (size_t)n;
	return 0;
}

time_t
crl_this_update(const struct crl *c)
{
	return c->this_update;
}

time_t
crl_next_update(const struct crl *c)
{
	return c->has_next ? c->next_update : 0;
}

size_t
crl_count(const struct crl *c)
{
	return c->n;
}

int
crl_entry(const struct crl *c, size_t i, const unsigned char **serial,
    size_t *len, int *reason, time_t *when)
{
	if (i >= c->n)
		return -1;
	*serial = c->keys + c->off[i];
	*len = c->off[i + 1] - c->off[i];
	*reason = c->reason[i];
	*when = (time_t)c->when[i];
	return 0;
}

size_t
crl_index_bytes(const struct crl *c)
{
	return sizeof(*c) + c->memlen + c->issuer_len + c->idp_len +
	    c->uris_bytes;
}

const unsigned char *
crl_issuer_der(const struct crl *c, size_t *len)
{
	*len = c->issuer_len;
	return c->issuer;
}

const unsigned char *
crl_number(const struct crl *c, size_t *len)
{
	*len = c->number_len;
	return c->has_number ? c->number : NULL;
}

bool
crl_has_idp(const struct crl *c)
{
	return c->has_idp;
}

const unsigned char *
crl_idp_der(const struct crl *c, size_t *len)
{
	*len = c->idp_len;
	return c->idp;
}

bool
crl_idp_matches_url(const struct crl *c, const char *url)
{
	size_t	 i;

	if (!c->has_idp || !c->idp_dp)
		return true;
	for (i = 0; i < c->nuris; i++)
		if (strcmp(c->uris[i], url) == 0)
			return true;
	return false;
}

size_t
crl_idp_uri_count(const struct crl *c)
{
	return c->nuris;
}

const char *
crl_idp_uri(const struct crl *c, size_t i)
{
	return i < c->nuris ? c->uris[i] : NULL;
}

int
crl_scope_check(const struct crl *c, bool cert_is_ca, const char *url,
    struct cd_err *err)
{
	char	 safe[4 * LOG_SAFE_MAX];

	if (c->only_some)
		return cd_err_set(err, CD_EPROTO,
		    "crl: onlySomeReasons partition unsupported");
	if (c->only_attr)
		return cd_err_set(err, CD_EPROTO,
		    "crl: scope: attribute certificates only");
	if (c->only_ca && !cert_is_ca)
		return cd_err_set(err, CD_EPROTO,
		    "crl: scope: CA certificates only, certificate is a leaf");
	if (c->only_user && cert_is_ca)
		return cd_err_set(err, CD_EPROTO,
		    "crl: scope: user certificates only, certificate is a CA");
	if (url != NULL && !crl_idp_matches_url(c, url))
		return cd_err_set(err, CD_EPROTO,
		    "crl: scope: IDP does not list %s",
		    log_safe(safe, sizeof(safe), url, strlen(url)));
	return 0;
}

void
crl_discard_der(struct crl *c)
{
	if (c == NULL)
		return;
	free(c->der);
	c->der = NULL;
	c->derlen = 0;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int
sha256(const uint8_t *p, size_t len, uint8_t out[BLOB_SUM],
    const struct parser *ps)
{
	unsigned int	 n = 0;

	ERR_clear_error();
	if (EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) != 1 ||
	    n != BLOB_SUM)
		return cd_err_crypto(ps->err, "%s: sha256", ps->what);
	return 0;
}

/*
 * Blob, big-endian: magic "certdCRL", u32 version, u32 flags, i64
 * thisUpdate, i64 nextUpdate, u32 entries, u32 serial bytes, u32 issuer
 * length, u32 CRLNumber length, u32 IDP length, u32 0; the issuer Name
 * TLV, the CRLNumber magnitude, the IDP extnValue; per entry in index
 * order: u8 length, serial, u8 reason (0xff none), i64 revocationDate;
 * then SHA-256 of everything before it.
 */
int
crl_index_serialize(const struct crl *c, unsigned char **blob, size_t *len,
    struct cd_err *err)
{
	struct parser	 ps = { NULL, "crl index", err };
	uint8_t		*b, *p;
	size_t		 n, i, klen;
	uint32_t	 flags = 0;

	*blob = NULL;
	*len = 0;
	n = BLOB_HDR + c->issuer_len + c->number_len + c->idp_len +
	    c->n * 10 + c->off[c->n] + BLOB_SUM;
	if ((b = malloc(n)) == NULL)
		return cd_err_set(err, CD_ENOMEM, "crl index: malloc %zu", n);
	if (c->has_next)
		flags |= BLOB_HAS_NEXT;
	if (c->has_idp)
		flags |= BLOB_HAS_IDP;
	if (c->has_number)
		flags |= BLOB_HAS_NUMBER;
	memcpy(b, blob_magic, sizeof(blob_magic));
	put32(b + 8, CRL_INDEX_VERSION);
	put32(b + 12, flags);
	put64(b + 16, (uint64_t)(int64_t)c->this_update);
	put64(b + 24, (uint64_t)(int64_t)(c->has_next ? c->next_update : 0));
	put32(b + 32, (uint32_t)c->n);
	put32(b + 36, c->off[c->n]);
	put32(b + 40, (uint32_t)c->issuer_len);
	put32(b + 44, (uint32_t)c->number_len);
	put32(b + 48, (uint32_t)c->idp_len);
	put32(b + 52, 0);
	p = b + BLOB_HDR;
	memcpy(p, c->issuer, c->issuer_len);
	p += c->issuer_len;
	if (c->number_len > 0)
		memcpy(p, c->number, c->number_len);
	p += c->number_len;
	if (c->idp_len > 0)
		memcpy(p, c->idp, c->idp_len);
	p += c->idp_len;
	for (i = 0; i < c->n; i++) {
		klen = c->off[i + 1] - c->off[i];
		*p++ = (uint8_t)klen;
		memcpy(p, c->keys + c->off[i], klen);
		p += klen;
		*p++ = (uint8_t)c->reason[i];
		put64(p, (uint64_t)c->when[i]);
		p += 8;
	}
	if (sha256(b, (size_t)(p - b), p, &ps) == -1) {
		free(b);
		return -1;
	}
	*blob = b;
	*len = n;
	return 0;
}

/* Takes len bytes from the blob span d. */
static int
take(const struct parser *ps, struct der *d, size_t len, struct der *out,
    const char *what)
{
	if (len > (size_t)(d->end - d->p))
		return bad(ps, d->p, what);
	out->p = d->p;
	out->end = d->p + len;
	d->p += len;
	return 0;
}

static int
load_entries(struct crl *c, const struct parser *ps, struct der *d,
    size_t n, size_t keys_len)
{
	size_t		 i, klen, o = 0, plen = 0;
	const uint8_t	*prev = NULL;
	struct der	 k = { NULL, NULL };
	uint8_t		 r;
	int64_t		 t;

	if (n > (size_t)(d->end - d->p) / BLOB_ENTRY_MIN ||
	    keys_len > (size_t)(d->end - d->p))
		return bad(ps, d->p, "entry count");
	if (index_alloc(c, n, keys_len, ps) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (d->p == d->end)
			return bad(ps, d->p, "entry");
		klen = *d->p++;
		if (klen == 0 || klen > REV_SERIAL_MAX || klen > keys_len - o)
			return bad(ps, d->p - 1, "serial length");
		if (take(ps, d, klen, &k, "serial") == -1)
			return -1;
		if (k.p[0] == 0)
			return bad(ps, k.p, "serial");
		/* strictly increasing: sorted, no duplicates */
		if (prev != NULL && key_cmp(prev, plen, k.p, klen) >= 0)
			return bad(ps, k.p, "serial order");
		if ((size_t)(d->end - d->p) < 9)
			return bad(ps, d->p, "entry");
		r = *d->p++;
		if (r != 0xff && (r > 10 || r == 7))
			return bad(ps, d->p - 1, "reason");
		t = (int64_t)get64(d->p);
		d->p += 8;
		if ((int64_t)(time_t)t != t)
			return bad(ps, d->p - 8, "time");
		memcpy(c->keys + o, k.p, klen);
		o += klen;
		c->off[i + 1] = (uint32_t)o;
		c->reason[i] = (int8_t)r;
		c->when[i] = t;
		prev = c->keys + o - klen;
		plen = klen;
	}
	if (o != keys_len)
		return bad(ps, d->p, "serial bytes");
	index_samples(c);
	return 0;
}

struct crl *
crl_index_load(const void *blob, size_t len, struct cd_err *err)
{
	struct parser	 ps = { blob, "crl index", err };
	const uint8_t	*b = blob;
	uint8_t		 sum[BLOB_SUM];
	struct crl	*c = NULL;
	struct der	 d, name, idp, v;
	const uint8_t	*ip;
	uint32_t	 flags, ver, n, klen, ilen, nlen, plen;
	int64_t		 t1, t2;

	if (len < BLOB_HDR + BLOB_SUM || len > CRL_HARD_MAX) {
		cd_err_set(err, CD_EPROTO, "crl index: size %zu", len);
		return NULL;
	}
	if (sha256(b, len - BLOB_SUM, sum, &ps) == -1)
		return NULL;
	if (memcmp(sum, b + len - BLOB_SUM, BLOB_SUM) != 0) {
		cd_err_set(err, CD_EPROTO, "crl index: checksum mismatch");
		return NULL;
	}
	if (memcmp(b, blob_magic, sizeof(blob_magic)) != 0) {
		cd_err_set(err, CD_EPROTO, "crl index: bad magic");
		return NULL;
	}
	if ((ver = get32(b + 8)) != CRL_INDEX_VERSION) {
		cd_err_set(err, CD_EPROTO, "crl index: version %u unsupported",
		    ver);
		return NULL;
	}
	flags = get32(b + 12);
	t1 = (int64_t)get64(b + 16);
	t2 = (int64_t)get64(b + 24);
	n = get32(b + 32);
	klen = get32(b + 36);
	ilen = get32(b + 40);
	nlen = get32(b + 44);
	plen = get32(b + 48);
	if ((flags & ~(BLOB_HAS_NEXT | BLOB_HAS_IDP | BLOB_HAS_NUMBER)) != 0 ||
	    get32(b + 52) != 0 || (int64_t)(time_t)t1 != t1 ||
	    (int64_t)(time_t)t2 != t2 || nlen > REV_SERIAL_MAX ||
	    ((flags & BLOB_HAS_NEXT) ? t2 < t1 : t2 != 0) ||
	    (!(flags & BLOB_HAS_NUMBER) && nlen != 0) ||
	    ((flags & BLOB_HAS_IDP) != 0) != (plen != 0)) {
		cd_err_set(err, CD_EPROTO, "crl index: bad header");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		cd_err_set(err, CD_ENOMEM, "crl index: calloc");
		return NULL;
	}
	c->alg = -1;
	c->this_update = (time_t)t1;
	c->next_update = (time_t)t2;
	c->has_next = (flags & BLOB_HAS_NEXT) != 0;
	c->has_number = (flags & BLOB_HAS_NUMBER) != 0;
	d.p = b + BLOB_HDR;
	d.end = b + len - BLOB_SUM;
	/* the issuer: one Name TLV */
	ip = d.p;
	if (take(&ps, &d, ilen, &v, "issuer") == -1 ||
	    der_get_only(&ps, &v, T_SEQUENCE, &name, "issuer") == -1 ||
	    der_is_empty(&name))
		goto fail;
	if ((c->issuer = malloc(ilen)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "crl index: malloc");
		goto fail;
	}
	memcpy(c->issuer, ip, ilen);
	c->issuer_len = ilen;
	if (take(&ps, &d, nlen, &v, "CRLNumber") == -1)
		goto fail;
	if (nlen > 0 && v.p[0] == 0) {
		bad(&ps, v.p, "CRLNumber");
		goto fail;
	}
	memcpy(c->number, v.p, nlen);
	c->number_len = nlen;
	if (take(&ps, &d, plen, &idp, "IDP") == -1)
		goto fail;
	if (plen > 0) {
		if ((c->idp = malloc(plen)) == NULL) {
			cd_err_set(err, CD_ENOMEM, "crl index: malloc");
			goto fail;
		}
		memcpy(c->idp, idp.p, plen);
		c->idp_len = plen;
		if (parse_idp(c, &ps, &idp) == -1)
			goto fail;
	}
	if (load_entries(c, &ps, &d, n, klen) == -1)
		goto fail;
	if (!der_is_empty(&d)) {
		bad(&ps, d.p, "trailing data");
		goto fail;
	}
	return c;
fail:
	crl_free(c);
	return NULL;
}

void
crl_free(struct crl *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nuris; i++)
		free(c->uris[i]);
	free(c->der);
	free(c->issuer);
	free(c->idp);
	free(c->mem);
	free(c);
}
