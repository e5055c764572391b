/*
 * check_tlsa.c - tlsa.c: TLSA 3 1 1 data against the openssl CLI (run
 * with fork/execve) and a fixed vector, record owners, hostile DNS
 * answers, the staging state machine as tables, and whole rollovers in a
 * temporary state dir, confirmed by a hook or by a DNS responder on
 * 127.0.0.1 that this test forks.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "file.h"
#include "keys.h"
#include "opts.h"
#include "store.h"
#include "tlsa.h"
#include "util.h"

#define OPENSSL_BIN	"/usr/bin/openssl"
#define T0		1795752000	/* 2026-11-27 04:00:00 UTC */

/* ---- helpers ---- */

/* Runs argv (absolute argv[0]) with an empty environment and no output;
 * its exit status. */
static int
run(const char *const argv[])
{
	static char *const	 noenv[] = { NULL };
	union { const char *const *c; char *const *v; } a;
	pid_t			 pid;
	int			 st, fd;

	a.c = argv;
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			(void)dup2(fd, 0);
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
		}
		execve(argv[0], a.v, noenv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* SHA-256 of a file by `openssl dgst -sha256 -r`, as hex. */
static void
cli_sha256(const char *dir, const char *file, char hex[TLSA_HEX_SIZE])
{
	char	 in[PATH_MAX], out[PATH_MAX], *text = NULL;
	size_t	 len = 0;

	(void)snprintf(in, sizeof(in), "%s/%s", dir, file);
	(void)snprintf(out, sizeof(out), "%s/dgst.txt", dir);
	{
		const char *const argv[] = { OPENSSL_BIN, "dgst", "-sha256",
		    "-r", "-out", out, in, NULL };

		ck_assert_int_eq(run(argv), 0);
	}
	ck_assert_int_eq(file_read(AT_FDCWD, out, 4096, &text, &len, NULL), 0);
	ck_assert_uint_ge(len, TLSA_HEX_LEN);
	memcpy(hex, text, TLSA_HEX_LEN);
	hex[TLSA_HEX_LEN] = '\0';
	free(text);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char	 p[PATH_MAX];
	FILE	*fp;

	(void)snprintf(p, sizeof(p), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
}

/* A self-signed certificate for key with one DNS name (and an IP and a
 * wildcard, which get no TLSA records), as PEM. */
static char *
make_cert(EVP_PKEY *key, const char *dns, size_t *len)
{
	X509		*x;
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	BIO		*bio;
	char		 san[512], *pem, *p;
	long		 n;

	ck_assert_ptr_nonnull(x = X509_new());
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x),
	    "CN", MBSTRING_ASC, (const unsigned char *)dns, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(x)),
	    1);
	(void)snprintf(san, sizeof(san), "DNS:%s,DNS:*.wild.test,"
	    "IP:192.0.2.1", dns);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ck_assert_ptr_nonnull(ext = X509V3_EXT_conf_nid(NULL, &ctx,
	    NID_subject_alt_name, san));
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	ck_assert_ptr_nonnull(bio = BIO_new(BIO_s_mem()));
	ck_assert_int_eq(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &p);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(pem = malloc((size_t)n + 1));
	memcpy(pem, p, (size_t)n);
	pem[n] = '\0';
	*len = (size_t)n;
	BIO_free(bio);
	X509_free(x);
	return pem;
}

/* Commits a new version of name with key (a renewal, as far as the
 * stored files go). */
static void
commit_version(struct store *s, const char *name, EVP_PKEY *key,
    const char *dns)
{
	struct store_files	 f;
	struct cd_err		 err;
	char			*cert, *kpem = NULL;
	size_t			 clen, klen = 0;

	cert = make_cert(key, dns, &clen);
	ck_assert_int_eq(keys_to_pem(key, &kpem, &klen, NULL), 0);
	memset(&f, 0, sizeof(f));
	f.cert = cert;
	f.certlen = clen;
	f.chain = "";
	f.chainlen = 0;
	f.fullchain = cert;
	f.fulllen = clen;
	f.privkey = kpem;
	f.keylen = klen;
	if (store_cert_commit(s, name, &f, &err) == -1)
		ck_abort_msg("commit: %s", err.msg);
	keys_pem_free(kpem, klen);
	free(cert);
}

static void
hex_of(EVP_PKEY *k, char hex[TLSA_HEX_SIZE])
{
	struct cd_err	 err;

	if (tlsa_spki_hex(k, hex, &err) == -1)
		ck_abort_msg("spki: %s", err.msg);
}

/* ---- record data against the openssl CLI ---- */

static const char *const cli_types[] = {
	"ecdsa-p256", "ecdsa-p384", "rsa2048",
};

START_TEST(spki_matches_cli)
{
	char		 dir[] = "/tmp/check_tlsa.XXXXXX", pub[PATH_MAX];
	char		 der[PATH_MAX], ours[TLSA_HEX_SIZE], cli[TLSA_HEX_SIZE];
	enum keys_type	 kt;
	EVP_PKEY	*key;
	BIO		*bio;
	FILE		*fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(keys_type_parse(cli_types[_i], &kt), 0);
	ck_assert_ptr_nonnull(key = keys_generate(kt, NULL));
	hex_of(key, ours);
	ck_assert(tlsa_hex_is_valid(ours));

	/* the public key as PEM; the CLI makes the DER and the digest */
	(void)snprintf(pub, sizeof(pub), "%s/pub.pem", dir);
	(void)snprintf(der, sizeof(der), "%s/pub.der", dir);
	ck_assert_ptr_nonnull(fp = fopen(pub, "w"));
	ck_assert_ptr_nonnull(bio = BIO_new_fp(fp, BIO_CLOSE));
	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, key), 1);
	BIO_free(bio);
	{
		const char *const argv[] = { OPENSSL_BIN, "pkey", "-pubin",
		    "-in", pub, "-outform", "DER", "-out", der, NULL };

		ck_assert_int_eq(run(argv), 0);
	}
	cli_sha256(dir, "pub.der", cli);
	ck_assert_str_eq(ours, cli);
	EVP_PKEY_free(key);
	{
		struct cd_err	 err;

		ck_assert_int_eq(file_remove_tree(AT_FDCWD, dir, &err), 0);
	}
}
END_TEST

/* A certificate and key made by the CLI: both sides agree with the
 * pipeline the README shows (x509 -pubkey | pkey -pubin -outform DER). */
START_TEST(cert_matches_cli)
{
	char		 dir[] = "/tmp/check_tlsa.XXXXXX", key[PATH_MAX];
	char		 crt[PATH_MAX], pub[PATH_MAX], der[PATH_MAX];
	char		 a[TLSA_HEX_SIZE], b[TLSA_HEX_SIZE], cli[TLSA_HEX_SIZE];
	char		*pem = NULL;
	size_t		 len = 0;
	EVP_PKEY	*k;
	struct cd_err	 err;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(key, sizeof(key), "%s/key.pem", dir);
	(void)snprintf(crt, sizeof(crt), "%s/cert.pem", dir);
	(void)snprintf(pub, sizeof(pub), "%s/pub.pem", dir);
	(void)snprintf(der, sizeof(der), "%s/pub.der", dir);
	{
		const char *const argv[] = { OPENSSL_BIN, "req", "-x509",
		    "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
		    "-nodes", "-keyout", key, "-out", crt, "-subj",
		    "/CN=mx.example.test", "-days", "1", NULL };

		ck_assert_int_eq(run(argv), 0);
	}
	{
		const char *const argv[] = { OPENSSL_BIN, "x509", "-in", crt,
		    "-pubkey", "-noout", "-out", pub, NULL };

		ck_assert_int_eq(run(argv), 0);
	}
	{
		const char *const argv[] = { OPENSSL_BIN, "pkey", "-pubin",
		    "-in", pub, "-outform", "DER", "-out", der, NULL };

		ck_assert_int_eq(run(argv), 0);
	}
	cli_sha256(dir, "pub.der", cli);
	ck_assert_int_eq(file_read(AT_FDCWD, crt, 65536, &pem, &len, NULL), 0);
	if (tlsa_cert_hex(pem, len, a, &err) == -1)
		ck_abort_msg("cert: %s", err.msg);
	ck_assert_str_eq(a, cli);
	ck_assert_int_eq(chmod(key, 0600), 0);
	ck_assert_ptr_nonnull(k = keys_load(AT_FDCWD, key, &err));
	hex_of(k, b);
	ck_assert_str_eq(b, cli);
	EVP_PKEY_free(k);
	free(pem);
	ck_assert_int_eq(file_remove_tree(AT_FDCWD, dir, &err), 0);
}
END_TEST

/* recipe: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256
 * | openssl pkey -pubout; openssl pkey -pubin -outform DER | sha256sum */
static const char kat_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEjaRvu0o+mpDl4xjqawwemhPAis69\n"
    "GOvjWRD12R+c5sTZF2S2YCuDMraxAGhYz7RjL4DrFMQOZL30L5h+xdS7iQ==\n"
    "-----END PUBLIC KEY-----\n";
static const char kat_hex[] =
    "c4ff8fbefb6f16301b5b56cb88fe25a026972e4db2c30f4c8dad26f135368e2e";

START_TEST(spki_known_answer)
{
	BIO		*bio;
	EVP_PKEY	*k;
	char		 hex[TLSA_HEX_SIZE];

	ck_assert_ptr_nonnull(bio = BIO_new_mem_buf(kat_pub, -1));
	ck_assert_ptr_nonnull(k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL));
	hex_of(k, hex);
	ck_assert_str_eq(hex, kat_hex);
	EVP_PKEY_free(k);
	BIO_free(bio);
	ck_assert_int_eq(tlsa_spki_hex(NULL, hex, NULL), -1);
	ck_assert_int_eq(tlsa_cert_hex("", 0, hex, NULL), -1);
	ck_assert_int_eq(tlsa_cert_hex(kat_pub, sizeof(kat_pub) - 1, hex,
	    NULL), -1);		/* a key is not a certificate */
}
END_TEST

/* ---- owners ---- */

static const struct {
	const char	*host;
	unsigned	 port;
	const char	*proto;
	int		 rc;
	const char	*want;
} owners[] = {
	{ "mx.example.org", 25, "tcp", 0, "_25._tcp.mx.example.org." },
	{ "MX.Example.ORG", 465, "tcp", 0, "_465._tcp.mx.example.org." },
	{ "mx", 65535, "udp", 0, "_65535._udp.mx." },
	{ "mx.example.org", 25, "sctp", 0, "_25._sctp.mx.example.org." },
	{ "*.example.org", 25, "tcp", -1, NULL },
	{ "192.0.2.1", 25, "tcp", -1, NULL },
	{ "mx.example.org.", 25, "tcp", -1, NULL },
	{ "mx.example.org", 0, "tcp", -1, NULL },
	{ "mx.example.org", 65536, "tcp", -1, NULL },
	{ "mx.example.org", 25, "TCP", -1, NULL },
	{ "mx.example.org", 25, "tcp.x", -1, NULL },
	{ "", 25, "tcp", -1, NULL },
	{ "mx\nexample", 25, "tcp", -1, NULL },
	{ NULL, 25, "tcp", -1, NULL },
};

START_TEST(owner)
{
	char	 out[TLSA_OWNER_MAX];
	int	 rc;

	rc = tlsa_owner(owners[_i].host, owners[_i].port, owners[_i].proto,
	    out, sizeof(out), NULL);
	ck_assert_int_eq(rc, owners[_i].rc);
	if (rc == 0)
		ck_assert_str_eq(out, owners[_i].want);
}
END_TEST

START_TEST(owner_limits)
{
	char	 host[UTIL_DNSNAME_MAX + 2], out[TLSA_OWNER_MAX], small[20];
	size_t	 i;

	/* 253 bytes: labels of 63 */
	for (i = 0; i < UTIL_DNSNAME_MAX; i++)
		host[i] = (i % 64 == 63) ? '.' : 'a';
	host[UTIL_DNSNAME_MAX] = '\0';
	ck_assert(util_is_dnsname(host, false));
	ck_assert_int_eq(tlsa_owner(host, 65535, "sctp", out, sizeof(out),
	    NULL), 0);
	host[UTIL_DNSNAME_MAX] = 'a';
	host[UTIL_DNSNAME_MAX + 1] = '\0';
	ck_assert_int_eq(tlsa_owner(host, 25, "tcp", out, sizeof(out), NULL),
	    -1);
	ck_assert_int_eq(tlsa_owner("mx.example.org", 25, "tcp", small,
	    sizeof(small), NULL), -1);	/* truncation is an error */
	ck_assert(!tlsa_hex_is_valid(""));
	ck_assert(!tlsa_hex_is_valid(NULL));
	ck_assert(tlsa_hex_is_valid(kat_hex));
	ck_assert(!tlsa_hex_is_valid("c4ff8fbefb6f16301b5b56cb88fe25a026972e4"
	    "db2c30f4c8dad26f135368e2"));
	ck_assert(!tlsa_hex_is_valid("g4ff8fbefb6f16301b5b56cb88fe25a026972e4"
	    "db2c30f4c8dad26f135368e2e"));
}
END_TEST

/* ---- DNS answers ---- */

struct msg {
	unsigned char	 b[TLSA_MSG_MAX + 16];
	size_t		 n;
};

static void
put8(struct msg *m, unsigned v)
{
	ck_assert_uint_lt(m->n, sizeof(m->b));
	m->b[m->n++] = (unsigned char)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void
putname(struct msg *m, const char *name)
{
	const char	*p = name, *dot;
	size_t		 l;

	while (*p != '\0') {
		dot = strchr(p, '.');
		l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		put8(m, (unsigned)l);
		memcpy(m->b + m->n, p, l);
		m->n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	put8(m, 0);
}

static void
header(struct msg *m, unsigned flags, unsigned an)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	putname(m, "_25._tcp.mx.example.org");
	put16(m, TLSA_RRTYPE);
	put16(m, 1);
}

/* An answer record owned by the question name (pointer to offset 12). */
static void
rr(struct msg *m, unsigned type, unsigned class, uint32_t ttl,
    const unsigned char *rd, size_t rdlen)
{
	put16(m, 0xc00c);
	put16(m, type);
	put16(m, class);
	put32(m, ttl);
	put16(m, (unsigned)rdlen);
	memcpy(m->b + m->n, rd, rdlen);
	m->n += rdlen;
}

static void
tlsa_rr(struct msg *m, unsigned u, unsigned s, unsigned t, unsigned seed,
    size_t dlen, uint32_t ttl)
{
	unsigned char	 rd[3 + 64];
	size_t		 i;

	ck_assert_uint_le(dlen, 64);
	rd[0] = (unsigned char)u;
	rd[1] = (unsigned char)s;
	rd[2] = (unsigned char)t;
	for (i = 0; i < dlen; i++)
		rd[3 + i] = (unsigned char)(seed + i);
	rr(m, TLSA_RRTYPE, 1, ttl, rd, 3 + dlen);
}

/* the hex of tlsa_rr(..., seed, 32, ...) */
static void
seed_hex(unsigned seed, char hex[TLSA_HEX_SIZE])
{
	unsigned char	 d[32];
	size_t		 i;

	for (i = 0; i < 32; i++)
		d[i] = (unsigned char)(seed + i);
	util_hex(d, 32, hex, false);
}

enum dshape {
	D_ONE, D_DUP, D_OTHER, D_NXDOMAIN, D_NODATA, D_SERVFAIL, D_REFUSED,
	D_QUERY, D_TRUNC, D_TRAILING, D_SHORT_RDATA, D_BAD_LEN, D_AT_LIMIT,
	D_OVER_LIMIT, D_CNAME, D_CLASS_CH, D_PTR_LOOP, D_TINY, D_COUNT_LIE,
	D_OTHER_BAD_LEN, D_TTL_MAX,
};

static const struct {
	enum dshape	 shape;
	int		 rc;
	size_t		 n;		/* 3 1 1 records */
	size_t		 other;
	uint32_t	 ttl;
} dns_cases[] = {
	{ D_ONE, 0, 1, 0, 300 },
	{ D_DUP, 0, 1, 0, 600 },	/* once, with the larger TTL */
	{ D_OTHER, 0, 1, 2, 300 },	/* 2 1 1 and 3 0 1 counted only */
	{ D_NXDOMAIN, 0, 0, 0, 0 },
	{ D_NODATA, 0, 0, 0, 0 },
	{ D_SERVFAIL, -1, 0, 0, 0 },
	{ D_REFUSED, -1, 0, 0, 0 },
	{ D_QUERY, -1, 0, 0, 0 },
	{ D_TRUNC, -1, 0, 0, 0 },
	{ D_TRAILING, -1, 0, 0, 0 },
	{ D_SHORT_RDATA, -1, 0, 0, 0 },
	{ D_BAD_LEN, -1, 0, 0, 0 },
	{ D_AT_LIMIT, 0, TLSA_RRS_MAX, 0, 300 },
	{ D_OVER_LIMIT, -1, 0, 0, 0 },
	{ D_CNAME, 0, 1, 0, 300 },
	{ D_CLASS_CH, 0, 0, 0, 0 },
	{ D_PTR_LOOP, -1, 0, 0, 0 },
	{ D_TINY, -1, 0, 0, 0 },
	{ D_COUNT_LIE, -1, 0, 0, 0 },
	{ D_OTHER_BAD_LEN, 0, 0, 1, 0 },	/* 3 1 2 (SHA-512) is other */
	{ D_TTL_MAX, 0, 1, 0, 0xffffffffu },
};

START_TEST(dns_parse)
{
	static struct msg	 m;
	struct tlsa_rrset	 set;
	struct cd_err		 err;
	unsigned char		 cname[64];
	char			 hex[TLSA_HEX_SIZE];
	size_t			 i;
	int			 rc;

	memset(&m, 0, sizeof(m));
	switch (dns_cases[_i].shape) {
	case D_ONE:
		header(&m, 0x8180, 1);
		tlsa_rr(&m, 3, 1, 1, 1, 32, 300);
		break;
	case D_DUP:
		header(&m, 0x8180, 2);
		tlsa_rr(&m, 3, 1, 1, 1, 32, 300);
		tlsa_rr(&m, 3, 1, 1, 1, 32, 600);
		break;
	case D_OTHER:
		header(&m, 0x8180, 3);
		tlsa_rr(&m, 2, 1, 1, 9, 32, 300);
		tlsa_rr(&m, 3, 1, 1, 1, 32, 300);
		tlsa_rr(&m, 3, 0, 1, 5, 32, 300);
		break;
	case D_NXDOMAIN:
		header(&m, 0x8183, 0);
		break;
	case D_NODATA:
		header(&m, 0x8180, 0);
		break;
	case D_SERVFAIL:
		header(&m, 0x8182, 1);
		tlsa_rr(&m, 3, 1, 1, 1, 32, 300);
		break;
	case D_REFUSED:
		header(&m, 0x8185, 0);
		break;
	case D_QUERY:
		header(&m, 0x0100, 1);
		tlsa_rr(&m, 3, 1, 1, 1, 32, 300);
		break;
	case D_TRUNC:
		header(&m, 0x8180, 1);
		tlsa_rr(&m, 3, 1, 1, 1, 32, 300);
		m.n -= 5;
		break;
	case D_TRAILING:
		header(&m, 0x8180, 1);
		tlsa_rr(&m, 3, 1, 1, 1, 32, 300);
		put8(&m, 0);
		break;
	case D_SHORT_RDATA:
		header(&m, 0x8180, 1);
		rr(&m, TLSA_RRTYPE, 1, 300, (const unsigned char *)"\3\1", 2);
		break;
	case D_BAD_LEN:
		header(&m, 0x8180, 1);
		tlsa_rr(&m, 3, 1, 1, 1, 31, 300);
		break;
	case D_AT_LIMIT:
	case D_OVER_LIMIT:
		header(&m, 0x8180, TLSA_RRS_MAX +
		    (dns_cases[_i].shape == D_OVER_LIMIT));
		for (i = 0; i < TLSA_RRS_MAX +
		    (dns_cases[_i].shape == D_OVER_LIMIT); i++)
			tlsa_rr(&m, 3, 1, 1, (unsigned)i * 7, 32, 300);
		break;
	case D_CNAME:
		header(&m, 0x8180, 2);
		/* CNAME to "t" + pointer, then the TLSA record at the target */
		cname[0] = 1;
		cname[1] = 't';
		cname[2] = 0;
		rr(&m, 5, 1, 300, cname, 3);
		put8(&m, 1);
		put8(&m, 't');
		put8(&m, 0);
		put16(&m, TLSA_RRTYPE);
		put16(&m, 1);
		put32(&m, 300);
		put16(&m, 35);
		put8(&m, 3);
		put8(&m, 1);
		put8(&m, 1);
		for (i = 0; i < 32; i++)
			put8(&m, (unsigned)(1 + i));
		break;
	case D_CLASS_CH:
		header(&m, 0x8180, 1);
		{
			unsigned char	 rd[35] = { 3, 1, 1 };

			rr(&m, TLSA_RRTYPE, 3, 300, rd, sizeof(rd));
		}
		break;
	case D_PTR_LOOP:
		header(&m, 0x8180, 1);
		/* the owner is a pointer to itself */
		put8(&m, 0xc0 | ((m.n >> 8) & 0x3f));
		put8(&m, m.n & 0xff);
		m.b[m.n - 1] = (unsigned char)((m.n - 2) & 0xff);
		put16(&m, TLSA_RRTYPE);
		put16(&m, 1);
		put32(&m, 300);
		put16(&m, 35);
		for (i = 0; i < 35; i++)
			put8(&m, i < 3 ? (i == 0 ? 3 : 1) : 0);
		break;
	case D_TINY:
		header(&m, 0x8180, 0);
		m.n = 11;
		break;
	case D_COUNT_LIE:
		header(&m, 0x8180, 2);
		tlsa_rr(&m, 3, 1, 1, 1, 32, 300);
		break;
	case D_OTHER_BAD_LEN:
		header(&m, 0x8180, 1);
		tlsa_rr(&m, 3, 1, 2, 1, 64, 0);
		break;
	case D_TTL_MAX:
		header(&m, 0x8180, 1);
		tlsa_rr(&m, 3, 1, 1, 1, 32, 0xffffffffu);
		break;
	}
	cd_err_clear(&err);
	rc = tlsa_dns_parse(m.b, m.n, &set, &err);
	ck_assert_msg(rc == dns_cases[_i].rc, "case %d: rc %d (%s)", _i, rc,
	    err.msg);
	if (rc == -1) {
		ck_assert_int_eq(err.kind, CD_EPROTO);
		ck_assert_uint_eq(set.n, 0);
		return;
	}
	ck_assert_uint_eq(set.n, dns_cases[_i].n);
	ck_assert_uint_eq(set.other, dns_cases[_i].other);
	ck_assert_uint_eq(set.ttl, dns_cases[_i].ttl);
	if (set.n > 0 && dns_cases[_i].shape != D_AT_LIMIT) {
		seed_hex(1, hex);
		ck_assert_str_eq(set.data[0], hex);
		ck_assert(tlsa_rrset_has(&set, hex));
		hex[0] = hex[0] == 'a' ? 'b' : 'a';
		ck_assert(!tlsa_rrset_has(&set, hex));
	}
	if (dns_cases[_i].shape == D_AT_LIMIT)
		for (i = 0; i < TLSA_RRS_MAX; i++) {
			seed_hex((unsigned)i * 7, hex);
			ck_assert(tlsa_rrset_has(&set, hex));
		}
}
END_TEST

START_TEST(dns_parse_size)
{
	static unsigned char	 big[TLSA_MSG_MAX + 1];
	struct tlsa_rrset	 set;

	ck_assert_int_eq(tlsa_dns_parse(NULL, 0, &set, NULL), -1);
	ck_assert_int_eq(tlsa_dns_parse(big, sizeof(big), &set, NULL), -1);
	/* a header of zeros is a query, not a response */
	ck_assert_int_eq(tlsa_dns_parse(big, 12, &set, NULL), -1);
	big[2] = 0x80;
	ck_assert_int_eq(tlsa_dns_parse(big, 12, &set, NULL), 0);
	ck_assert_uint_eq(set.n, 0);
}
END_TEST

/* ---- the state machine ---- */

static const struct {
	bool		 staged;
	time_t		 published;
	time_t		 ttl_seen;
	time_t		 ttl;		/* policy */
	time_t		 margin;	/* policy */
	time_t		 now;
	enum tlsa_state	 want;
	time_t		 want_margin;
} states[] = {
	{ false, 0, 0, 3600, 0, T0, TLSA_ST_NONE, 7200 },
	{ false, T0, 0, 3600, 0, T0 + 99999, TLSA_ST_NONE, 7200 },
	{ true, 0, 0, 3600, 0, T0, TLSA_ST_STAGED, 7200 },
	{ true, 0, 0, 3600, 0, T0 + 99999, TLSA_ST_STAGED, 7200 },
	{ true, T0, 0, 3600, 0, T0, TLSA_ST_PUBLISHING, 7200 },
	{ true, T0, 0, 3600, 0, T0 + 7199, TLSA_ST_PUBLISHING, 7200 },
	{ true, T0, 0, 3600, 0, T0 + 7200, TLSA_ST_PUBLISHED, 7200 },
	{ true, T0, 0, 3600, 0, T0 + 999999, TLSA_ST_PUBLISHED, 7200 },
	/* a larger TTL seen in DNS lengthens the default margin */
	{ true, T0, 7200, 3600, 0, T0 + 7200, TLSA_ST_PUBLISHING, 14400 },
	{ true, T0, 7200, 3600, 0, T0 + 14400, TLSA_ST_PUBLISHED, 14400 },
	/* a smaller one does not shorten it */
	{ true, T0, 60, 3600, 0, T0 + 7199, TLSA_ST_PUBLISHING, 7200 },
	/* explicit margin */
	{ true, T0, 0, 3600, 600, T0 + 599, TLSA_ST_PUBLISHING, 600 },
	{ true, T0, 0, 3600, 600, T0 + 600, TLSA_ST_PUBLISHED, 600 },
	/* ... never shorter than the TTL seen */
	{ true, T0, 900, 3600, 600, T0 + 600, TLSA_ST_PUBLISHING, 900 },
	{ true, T0, 900, 3600, 600, T0 + 900, TLSA_ST_PUBLISHED, 900 },
	/* TTL 0 in the policy: the default */
	{ true, T0, 0, 0, 0, T0 + 7199, TLSA_ST_PUBLISHING, 7200 },
	/* caps */
	{ true, T0, 30 * 86400, 3600, 0, T0 + 2 * TLSA_TTL_MAX,
	    TLSA_ST_PUBLISHED, 2 * TLSA_TTL_MAX },
	{ true, T0, 0, 3600, 200 * 86400, T0 + TLSA_MARGIN_MAX,
	    TLSA_ST_PUBLISHED, TLSA_MARGIN_MAX },
	/* the clock went back: published in the future is not published */
	{ true, T0 + 100, 0, 3600, 0, T0, TLSA_ST_PUBLISHING, 7200 },
	{ true, T0 + 100, 0, 1, 1, T0, TLSA_ST_PUBLISHING, 1 },
};

START_TEST(state_table)
{
	struct tlsa_policy	 p;
	struct tlsa_stage	 s;
	enum tlsa_state		 st;

	tlsa_policy_init(&p);
	p.dane = true;
	p.ttl = states[_i].ttl;
	p.margin = states[_i].margin;
	memset(&s, 0, sizeof(s));
	s.staged = states[_i].staged;
	s.published_at = states[_i].published;
	s.ttl_seen = states[_i].ttl_seen;
	st = tlsa_state_of(&s, &p, states[_i].now);
	ck_assert_msg(st == states[_i].want, "case %d: %s, want %s", _i,
	    tlsa_state_name(st), tlsa_state_name(states[_i].want));
	ck_assert_int_eq(tlsa_margin(&p, &s), states[_i].want_margin);
	/* a switch needs PUBLISHED and a fresh sighting */
	ck_assert_int_eq(tlsa_should_roll(&s, &p, TLSA_SEEN, states[_i].now),
	    st == TLSA_ST_PUBLISHED);
	ck_assert(!tlsa_should_roll(&s, &p, TLSA_UNKNOWN, states[_i].now));
	ck_assert(!tlsa_should_roll(&s, &p, TLSA_ABSENT, states[_i].now));
}
END_TEST

static const struct {
	bool		 staged;
	time_t		 pub0, ttl0;
	enum tlsa_seen	 seen;
	time_t		 ttl, now;
	time_t		 want_pub, want_ttl;
} observe[] = {
	{ true, 0, 0, TLSA_SEEN, 300, T0, T0, 300 },
	{ true, T0, 300, TLSA_SEEN, 100, T0 + 50, T0, 300 },
	{ true, T0, 300, TLSA_SEEN, 900, T0 + 50, T0, 900 },
	{ true, T0, 300, TLSA_ABSENT, 0, T0 + 50, 0, 300 },
	{ true, T0, 300, TLSA_UNKNOWN, 0, T0 + 50, T0, 300 },
	{ true, 0, 0, TLSA_UNKNOWN, 0, T0, 0, 0 },
	{ true, 0, 0, TLSA_ABSENT, 0, T0, 0, 0 },
	{ true, T0 + 500, 0, TLSA_SEEN, 0, T0, T0, 0 },
	{ true, 0, 0, TLSA_SEEN, TLSA_TTL_MAX + 5, T0, T0, TLSA_TTL_MAX },
	{ true, 0, 0, TLSA_SEEN, -5, T0, T0, 0 },
	{ false, 0, 0, TLSA_SEEN, 300, T0, 0, 0 },
};

START_TEST(observe_table)
{
	struct tlsa_stage	 s;

	memset(&s, 0, sizeof(s));
	s.staged = observe[_i].staged;
	s.published_at = observe[_i].pub0;
	s.ttl_seen = observe[_i].ttl0;
	tlsa_observe(&s, observe[_i].seen, observe[_i].ttl, observe[_i].now);
	ck_assert_int_eq(s.published_at, observe[_i].want_pub);
	ck_assert_int_eq(s.ttl_seen, observe[_i].want_ttl);
}
END_TEST

/* A walk through the states with observations, as renewals see them. */
START_TEST(state_walk)
{
	static const struct {
		time_t		 dt;
		enum tlsa_seen	 seen;
		enum tlsa_state	 want;
		bool		 roll;
	} walk[] = {
		{ 0, TLSA_ABSENT, TLSA_ST_STAGED, false },
		{ 100, TLSA_SEEN, TLSA_ST_PUBLISHING, false },
		{ 200, TLSA_UNKNOWN, TLSA_ST_PUBLISHING, false },
		{ 300, TLSA_ABSENT, TLSA_ST_STAGED, false },	/* removed */
		{ 400, TLSA_SEEN, TLSA_ST_PUBLISHING, false },
		{ 400 + 599, TLSA_SEEN, TLSA_ST_PUBLISHING, false },
		{ 400 + 600, TLSA_UNKNOWN, TLSA_ST_PUBLISHED, false },
		{ 400 + 601, TLSA_SEEN, TLSA_ST_PUBLISHED, true },
	};
	struct tlsa_policy	 p;
	struct tlsa_stage	 s;
	size_t			 i;

	tlsa_policy_init(&p);
	p.dane = true;
	p.ttl = 300;
	memset(&s, 0, sizeof(s));
	s.staged = true;
	for (i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		tlsa_observe(&s, walk[i].seen, 300, T0 + walk[i].dt);
		ck_assert_msg(tlsa_state_of(&s, &p, T0 + walk[i].dt) ==
		    walk[i].want, "step %zu", i);
		ck_assert_int_eq(tlsa_should_roll(&s, &p, walk[i].seen,
		    T0 + walk[i].dt), walk[i].roll);
	}
}
END_TEST

START_TEST(policy_parse)
{
	struct tlsa_policy	 p;
	bool			 d = false;

	tlsa_policy_init(&p);
	ck_assert(!p.dane);
	ck_assert_uint_eq(p.port, 25);
	ck_assert_str_eq(p.proto, "tcp");
	ck_assert_int_eq(p.ttl, TLSA_TTL_DEFAULT);
	ck_assert_int_eq(tlsa_margin(&p, NULL), 2 * TLSA_TTL_DEFAULT);
	ck_assert_int_eq(tlsa_rollover_parse("dane", &d), 0);
	ck_assert(d);
	ck_assert_int_eq(tlsa_rollover_parse("new", &d), 0);
	ck_assert(!d);
	d = true;
	ck_assert_int_eq(tlsa_rollover_parse("reuse", &d), 0);
	ck_assert(!d);
	ck_assert_int_eq(tlsa_rollover_parse("none", &d), -1);
	ck_assert_int_eq(tlsa_rollover_parse("DANE", &d), -1);
	ck_assert_int_eq(tlsa_rollover_parse("", &d), -1);
	ck_assert_int_eq(tlsa_rollover_parse(NULL, &d), -1);
	ck_assert_str_eq(tlsa_state_name(TLSA_ST_PUBLISHED), "published");
}
END_TEST

START_TEST(policy_from_opts)
{
	struct opts		 o;
	struct opts_cert	 sec;
	struct tlsa_policy	 p;
	struct cd_err		 err;
	char			 name[] = "mx", dane[] = "dane", bad[] = "x";
	char			 srv[] = "127.0.0.1:5353", v6[] = "::1";
	char			 hook[] = "/usr/libexec/h", rel[] = "h";
	char			 icmp[] = "icmp", p384[] = "ecdsa-p384";
	char			 dsa[] = "dsa";

	memset(&o, 0, sizeof(o));
	memset(&sec, 0, sizeof(sec));
	sec.name = name;
	ck_assert_int_eq(tlsa_policy_from_opts(&p, &o, NULL, &err), 0);
	ck_assert(!p.dane);
	ck_assert_uint_eq(p.port, 25);
	ck_assert_ptr_null(p.hook);
	ck_assert_ptr_null(p.dns_server);
	ck_assert_int_eq(tlsa_policy_from_opts(&p, &o, &sec, &err), 0);
	ck_assert(!p.dane);
	sec.key_rollover = dane;
	o.tlsa_port = 587;
	ck_assert_int_eq(tlsa_policy_from_opts(&p, &o, &sec, &err), 0);
	ck_assert(p.dane);
	ck_assert_uint_eq(p.port, 587);
	sec.tlsa_port = 465;
	sec.key_type = p384;
	o.dns_server = srv;
	o.tlsa_hook = hook;
	o.tlsa_ttl = 60;
	o.tlsa_margin = 90;
	o.hook_timeout = 7;
	ck_assert_int_eq(tlsa_policy_from_opts(&p, &o, &sec, &err), 0);
	ck_assert_uint_eq(p.port, 465);
	ck_assert_str_eq(p.dns_server, srv);
	ck_assert_str_eq(p.hook, hook);
	ck_assert_str_eq(p.key_type, p384);
	ck_assert_int_eq(p.ttl, 60);
	ck_assert_int_eq(p.margin, 90);
	ck_assert_uint_eq(p.hook_timeout, 7);
	o.port = 26;
	o.tlsa_ttl = 365 * 86400;
	o.tlsa_margin = 365 * 86400;
	ck_assert_int_eq(tlsa_policy_from_opts(&p, &o, &sec, &err), 0);
	ck_assert_uint_eq(p.port, 26);
	ck_assert_int_eq(p.ttl, TLSA_TTL_MAX);
	ck_assert_int_eq(p.margin, TLSA_MARGIN_MAX);

	sec.key_rollover = bad;
	ck_assert_int_eq(tlsa_policy_from_opts(&p, &o, &sec, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	sec.key_rollover = dane;
	o.dns_server = v6;
	ck_assert_int_eq(tlsa_policy_from_opts(&p, &o, &sec, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	o.dns_server = srv;
	o.tlsa_hook = rel;
	ck_assert_int_eq(tlsa_policy_from_opts(&p, &o, &sec, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	o.tlsa_hook = hook;
	o.proto = icmp;
	ck_assert_int_eq(tlsa_policy_from_opts(&p, &o, &sec, &err), -1);
	ck_assert_int_eq(err.kind, CD_EUSAGE);
	o.proto = NULL;
	sec.key_type = dsa;
	ck_assert_int_eq(tlsa_policy_from_opts(&p, &o, &sec, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
}
END_TEST

/* ---- next.state ---- */

#define H1 "c4ff8fbefb6f16301b5b56cb88fe25a026972e4db2c30f4c8dad26f135368e2e"
#define H2 "0000000000000000000000000000000000000000000000000000000000000001"

static const struct {
	const char	*text;
	int		 rc;
	bool		 staged;
	time_t		 published;
} stage_texts[] = {
	{ "", 0, false, 0 },
	{ "spki=" H1 "\nstaged_at=10\npublished_at=20\nttl_seen=300\n"
	    "prev=\nretired=" H2 "\nretired_at=5\n", 0, true, 20 },
	{ "spki=" H1 "\n", 0, true, 0 },
	{ "spki=C4FF8FBEFB6F16301B5B56CB88FE25A026972E4DB2C30F4C8DAD26F13536"
	    "8E2E\n", 0, true, 0 },		/* upper case accepted */
	{ "spki=\nstaged_at=0\n", 0, false, 0 },
	{ "# comment\n\nspki=" H1 "\n", 0, true, 0 },
	{ "spki=" H1 "\nspki=" H1 "\n", -1, false, 0 },	/* duplicate */
	{ "spki=" H1 "x\n", -1, false, 0 },
	{ "spki=" H1 "\nfuture=1\n", -1, false, 0 },	/* unknown key */
	{ "staged_at=-1\n", -1, false, 0 },
	{ "staged_at=1e9\n", -1, false, 0 },
	{ "staged_at=253402300800\n", -1, false, 0 },	/* year 10000 */
	{ "ttl_seen=604801\n", -1, false, 0 },
	{ "published_at=\n", -1, false, 0 },
	{ "spki=" H1 "\r\n", -1, false, 0 },		/* control byte */
	{ "spki " H1 "\n", -1, false, 0 },
	{ "prev=xyz\n", -1, false, 0 },
};

START_TEST(stage_parse)
{
	struct tlsa_stage	 s, t;
	struct cd_err		 err;
	char			*out = NULL;
	size_t			 len = 0;
	int			 rc;

	rc = tlsa_stage_parse(stage_texts[_i].text,
	    strlen(stage_texts[_i].text), &s, &err);
	ck_assert_msg(rc == stage_texts[_i].rc, "case %d: %s", _i,
	    rc == -1 ? err.msg : "accepted");
	if (rc == -1) {
		ck_assert_int_eq(err.kind, CD_EPROTO);
		return;
	}
	ck_assert_int_eq(s.staged, stage_texts[_i].staged);
	ck_assert_int_eq(s.published_at, stage_texts[_i].published);
	/* round trip */
	ck_assert_int_eq(tlsa_stage_format(&s, &out, &len, NULL), 0);
	ck_assert_int_eq(tlsa_stage_parse(out, len, &t, NULL), 0);
	ck_assert_int_eq(t.staged, s.staged);
	ck_assert_str_eq(t.spki, s.spki);
	ck_assert_str_eq(t.retired, s.retired);
	ck_assert_int_eq(t.published_at, s.published_at);
	ck_assert_int_eq(t.staged_at, s.staged_at);
	ck_assert_int_eq(t.ttl_seen, s.ttl_seen);
	free(out);
}
END_TEST

START_TEST(stage_parse_limit)
{
	struct tlsa_stage	 s;
	char			*big;

	ck_assert_ptr_nonnull(big = malloc(TLSA_STATE_MAX + 2));
	memset(big, '#', TLSA_STATE_MAX + 1);
	big[TLSA_STATE_MAX + 1] = '\0';
	ck_assert_int_eq(tlsa_stage_parse(big, TLSA_STATE_MAX, &s, NULL), 0);
	ck_assert_int_eq(tlsa_stage_parse(big, TLSA_STATE_MAX + 1, &s, NULL),
	    -1);
	ck_assert_int_eq(tlsa_stage_parse("spki=" H1 "\0x", 70, &s, NULL), -1);
	free(big);
}
END_TEST

/* ---- rollovers in a state dir ---- */

struct lab {
	char		 top[64];
	char		 state[128];
	char		 hook[128];
	char		 log[128];
	char		 rcfile[128];
	struct store	*st;
	EVP_PKEY	*k1;
	char		 h1[TLSA_HEX_SIZE];
};

static void
lab_open(struct lab *l)
{
	char	 text[1024];

	memset(l, 0, sizeof(*l));
	(void)snprintf(l->top, sizeof(l->top), "/tmp/check_tlsa.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(l->top));
	(void)snprintf(l->state, sizeof(l->state), "%s/state", l->top);
	(void)snprintf(l->hook, sizeof(l->hook), "%s/hook", l->top);
	(void)snprintf(l->log, sizeof(l->log), "%s/hook.log", l->top);
	(void)snprintf(l->rcfile, sizeof(l->rcfile), "%s/hook.rc", l->top);
	(void)snprintf(text, sizeof(text), "#!/bin/sh\n"
	    "echo \"$1 $2 $3 $CERTD_NAME $CERTD_TLSA_TTL\" >>%s\n"
	    "read -r rc <%s\nexit \"$rc\"\n", l->log, l->rcfile);
	write_file(l->top, "hook", text);
	ck_assert_int_eq(chmod(l->hook, 0755), 0);
	write_file(l->top, "hook.rc", "0\n");
	ck_assert_ptr_nonnull(l->st = store_open(l->state, true, NULL));
	ck_assert_ptr_nonnull(l->k1 = keys_generate(KEYS_EC_P256, NULL));
	hex_of(l->k1, l->h1);
	commit_version(l->st, "mx", l->k1, "mx.example.test");
}

static void
lab_close(struct lab *l)
{
	store_close(l->st);
	EVP_PKEY_free(l->k1);
	ck_assert_int_eq(file_remove_tree(AT_FDCWD, l->top, NULL), 0);
}

/* number of hook log lines that are exactly "ACTION OWNER HEX ..." */
static int
hook_calls(const struct lab *l, const char *action, const char *hex)
{
	char	 want[256], line[512];
	FILE	*fp;
	int	 n = 0;

	(void)snprintf(want, sizeof(want), "%s _25._tcp.mx.example.test. %s mx "
	    , action, hex);
	if ((fp = fopen(l->log, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, want, strlen(want)) == 0)
			n++;
	(void)fclose(fp);
	return n;
}

static void
load(struct lab *l, time_t now, struct tlsa_stage *s, char *nexthex)
{
	EVP_PKEY	*next = NULL;
	struct cd_err	 err;

	if (tlsa_stage_load(l->st, "mx", now, s, &next, &err) == -1)
		ck_abort_msg("load: %s", err.msg);
	ck_assert_int_eq(s->staged, next != NULL);
	if (next != NULL) {
		hex_of(next, nexthex);
		ck_assert_str_eq(nexthex, s->spki);
	} else
		nexthex[0] = '\0';
	EVP_PKEY_free(next);
}

/* rollover_key at now; returns the hex of the key to use. */
static bool
roll_key(struct lab *l, const struct tlsa_policy *p, time_t now,
    char hex[TLSA_HEX_SIZE], EVP_PKEY **keep)
{
	EVP_PKEY	*k = NULL;
	struct cd_err	 err;
	bool		 rolled = true;

	if (tlsa_rollover_key(l->st, "mx", p, now, &k, &rolled, &err) == -1)
		ck_abort_msg("rollover_key: %s", err.msg);
	ck_assert_ptr_nonnull(k);
	hex_of(k, hex);
	if (keep != NULL)
		*keep = k;
	else
		EVP_PKEY_free(k);
	return rolled;
}

START_TEST(rollover_hook)
{
	struct lab		 l;
	struct tlsa_policy	 p;
	struct tlsa_stage	 s;
	struct cd_err		 err;
	struct stat		 sb;
	EVP_PKEY		*k2 = NULL, *none = NULL;
	char			 use[TLSA_HEX_SIZE], n1[TLSA_HEX_SIZE];
	char			 n2[TLSA_HEX_SIZE], n3[TLSA_HEX_SIZE];
	char			 path[PATH_MAX];
	bool			 rolled;

	lab_open(&l);
	tlsa_policy_init(&p);
	p.dane = true;
	p.ttl = 300;			/* margin 600 */
	p.hook = l.hook;
	p.hook_timeout = 10;

	/* not dane: nothing happens */
	p.dane = false;
	ck_assert_int_eq(tlsa_rollover_key(l.st, "mx", &p, T0, &none, &rolled,
	    NULL), 0);
	ck_assert_ptr_null(none);
	ck_assert(!rolled);
	p.dane = true;
	/* no certificate yet: the caller makes a key */
	ck_assert_int_eq(tlsa_rollover_key(l.st, "other", &p, T0, &none,
	    &rolled, NULL), 0);
	ck_assert_ptr_null(none);

	/* T0: a next key is staged, published by the hook, not used */
	ck_assert(!roll_key(&l, &p, T0, use, NULL));
	ck_assert_str_eq(use, l.h1);
	load(&l, T0, &s, n1);
	ck_assert(s.staged);
	ck_assert_int_eq(s.staged_at, T0);
	ck_assert_int_eq(s.published_at, T0);
	ck_assert_str_ne(n1, l.h1);
	ck_assert_int_eq(hook_calls(&l, "add", l.h1), 1);
	ck_assert_int_eq(hook_calls(&l, "add", n1), 1);
	(void)snprintf(path, sizeof(path), "%s/certs/mx/next.key", l.state);
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);

	/* within the margin: the current key */
	ck_assert(!roll_key(&l, &p, T0 + 599, use, NULL));
	ck_assert_str_eq(use, l.h1);
	/* margin passed, but the hook fails now: still the current key */
	write_file(l.top, "hook.rc", "75\n");
	ck_assert(!roll_key(&l, &p, T0 + 600, use, NULL));
	ck_assert_str_eq(use, l.h1);
	load(&l, T0 + 600, &s, n2);
	ck_assert_str_eq(n2, n1);		/* same next key */
	ck_assert_int_eq(s.published_at, T0);	/* clock kept */

	/* confirmed again: switch */
	write_file(l.top, "hook.rc", "0\n");
	ck_assert(roll_key(&l, &p, T0 + 601, use, &k2));
	ck_assert_str_eq(use, n1);
	load(&l, T0 + 601, &s, n2);
	ck_assert_str_eq(s.prev, l.h1);

	/* the renewal is committed with that key, then the roll */
	commit_version(l.st, "mx", k2, "mx.example.test");
	ck_assert_int_eq(tlsa_rollover_commit(l.st, "mx", &p, true, T0 + 602,
	    &err), 0);
	load(&l, T0 + 602, &s, n2);
	ck_assert(s.staged);
	ck_assert_str_ne(n2, n1);
	ck_assert_str_ne(n2, l.h1);
	ck_assert_str_eq(s.retired, l.h1);
	ck_assert_int_eq(s.retired_at, T0 + 602);
	ck_assert_int_eq(s.published_at, T0 + 602);	/* hook confirmed */
	ck_assert_int_eq(hook_calls(&l, "add", n2), 1);
	ck_assert_int_eq(hook_calls(&l, "del", l.h1), 0);

	/* a "roll" that the certificate does not show is refused */
	ck_assert_int_eq(tlsa_rollover_commit(l.st, "mx", &p, true, T0 + 603,
	    &err), -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);

	/* before the margin, the old record stays */
	ck_assert(!roll_key(&l, &p, T0 + 602 + 599, use, NULL));
	ck_assert_str_eq(use, n1);
	ck_assert_int_eq(hook_calls(&l, "del", l.h1), 0);
	/* an installation is pending: the old record must stay */
	p.keep_retired = true;
	ck_assert(roll_key(&l, &p, T0 + 602 + 600, use, NULL));
	ck_assert_str_eq(use, n2);
	ck_assert_int_eq(hook_calls(&l, "del", l.h1), 0);
	load(&l, T0 + 1202, &s, n3);
	ck_assert_str_eq(s.retired, l.h1);
	p.keep_retired = false;
	/* the renewal failed; next time the retired record goes, and the
	 * roll is due again */
	EVP_PKEY_free(k2);
	k2 = NULL;
	ck_assert(roll_key(&l, &p, T0 + 602 + 600, use, &k2));
	ck_assert_str_eq(use, n2);
	ck_assert_int_eq(hook_calls(&l, "del", l.h1), 1);
	load(&l, T0 + 1202, &s, n3);
	ck_assert_str_eq(s.retired, "");

	/* crash: the renewal is stored, tlsa_rollover_commit never ran */
	commit_version(l.st, "mx", k2, "mx.example.test");
	ck_assert(!roll_key(&l, &p, T0 + 1300, use, NULL));
	ck_assert_str_eq(use, n2);		/* the new current key */
	load(&l, T0 + 1300, &s, n3);
	ck_assert(s.staged);
	ck_assert_str_ne(n3, n2);
	ck_assert_str_ne(n3, n1);
	ck_assert_str_eq(s.retired, n1);
	ck_assert_int_eq(s.published_at, T0 + 1300);

	EVP_PKEY_free(k2);
	lab_close(&l);
}
END_TEST

/* Debris and damage: a key without its state, a state without its key,
 * a key type change, a next.key that is not a regular file. */
START_TEST(rollover_debris)
{
	struct lab		 l;
	struct tlsa_policy	 p;
	struct tlsa_stage	 s;
	struct cd_err		 err;
	EVP_PKEY		*k = NULL;
	char			 use[TLSA_HEX_SIZE], n1[TLSA_HEX_SIZE];
	char			 n2[TLSA_HEX_SIZE], path[PATH_MAX];
	char			 dir[PATH_MAX];
	bool			 staged;
	int			 dfd;

	lab_open(&l);
	tlsa_policy_init(&p);
	p.dane = true;
	p.ttl = 300;
	p.hook = l.hook;

	/* tlsa_stage_ensure stages once, runs no hook */
	ck_assert_int_eq(tlsa_stage_ensure(l.st, "mx", &p, T0, &staged, &err),
	    0);
	ck_assert(staged);
	ck_assert_int_eq(tlsa_stage_ensure(l.st, "mx", &p, T0, &staged, &err),
	    0);
	ck_assert(!staged);
	ck_assert_int_eq(hook_calls(&l, "add", l.h1), 0);
	load(&l, T0, &s, n1);
	ck_assert(s.staged);
	ck_assert_int_eq(s.published_at, 0);

	(void)snprintf(dir, sizeof(dir), "%s/certs/mx", l.state);
	ck_assert_int_ne(dfd = open(dir, O_RDONLY | O_DIRECTORY), -1);

	/* the state is lost: the key counts as staged now, unpublished */
	ck_assert_int_eq(tlsa_rollover_key(l.st, "mx", &p, T0 + 10, &k,
	    &staged, &err), 0);
	EVP_PKEY_free(k);
	ck_assert_int_eq(unlinkat(dfd, TLSA_NEXT_STATE, 0), 0);
	load(&l, T0 + 5000, &s, n2);
	ck_assert_str_eq(n2, n1);
	ck_assert_int_eq(s.staged_at, T0 + 5000);
	ck_assert_int_eq(s.published_at, 0);

	/* the key is lost: nothing staged; the next run stages a new one */
	ck_assert_int_eq(unlinkat(dfd, TLSA_NEXT_KEY, 0), 0);
	load(&l, T0 + 5000, &s, n2);
	ck_assert(!s.staged);
	ck_assert(!roll_key(&l, &p, T0 + 5001, use, NULL));
	load(&l, T0 + 5001, &s, n2);
	ck_assert(s.staged);
	ck_assert_str_ne(n2, n1);

	/* key_type changed: the staged key is replaced */
	p.key_type = "ecdsa-p384";
	ck_assert(!roll_key(&l, &p, T0 + 5002, use, NULL));
	ck_assert_str_eq(use, l.h1);
	ck_assert_int_eq(tlsa_stage_load(l.st, "mx", T0, &s, &k, &err), 0);
	{
		enum keys_type	 kt;

		ck_assert_int_eq(keys_type_of(k, &kt), 0);
		ck_assert_int_eq(kt, KEYS_EC_P384);
	}
	EVP_PKEY_free(k);
	k = NULL;
	p.key_type = "dsa";
	ck_assert_int_eq(tlsa_rollover_key(l.st, "mx", &p, T0 + 5003, &k,
	    &staged, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	p.key_type = NULL;

	/* a readable next.key is refused */
	ck_assert_int_eq(fchmodat(dfd, TLSA_NEXT_KEY, 0644, 0), 0);
	ck_assert_int_eq(tlsa_rollover_key(l.st, "mx", &p, T0 + 5004, &k,
	    &staged, &err), -1);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(fchmodat(dfd, TLSA_NEXT_KEY, 0600, 0), 0);
	/* a symlink is refused */
	ck_assert_int_eq(renameat(dfd, TLSA_NEXT_KEY, dfd, "elsewhere"), 0);
	ck_assert_int_eq(symlinkat("elsewhere", dfd, TLSA_NEXT_KEY), 0);
	ck_assert_int_eq(tlsa_stage_load(l.st, "mx", T0, &s, NULL, &err), -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);
	ck_assert_int_eq(unlinkat(dfd, TLSA_NEXT_KEY, 0), 0);
	ck_assert_int_eq(renameat(dfd, "elsewhere", dfd, TLSA_NEXT_KEY), 0);
	/* a damaged state file is an error, not a guess */
	(void)snprintf(path, sizeof(path), "%s/certs/mx", l.state);
	write_file(path, TLSA_NEXT_STATE, "spki=zz\n");
	ck_assert_int_eq(tlsa_rollover_key(l.st, "mx", &p, T0 + 5005, &k,
	    &staged, &err), -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);
	ck_assert_int_eq(tlsa_stage_load(l.st, "../x", T0, &s, NULL, &err),
	    -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(tlsa_stage_load(l.st, "nosuch", T0, &s, NULL, &err),
	    -1);
	ck_assert_int_eq(err.kind, CD_ENOTFOUND);

	(void)close(dfd);
	lab_close(&l);
}
END_TEST

/* ---- a DNS responder on 127.0.0.1 (forked) ---- */

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : -1;
}

/*
 * Answers every query with the TLSA 3 1 1 records listed in file, one hex
 * per line; a line "ttl N" sets the TTL (default 60), a line "servfail"
 * makes it answer SERVFAIL. The file is read for every query.
 */
static void
dns_child(int fd, const char *file)
{
	unsigned char	 q[512], r[4096];
	char		 line[256];
	struct sockaddr_in from;
	socklen_t	 fl;
	ssize_t		 n;
	size_t		 p, rn, an, ancount_at, i;
	unsigned long	 ttl;
	FILE		*fp;
	bool		 servfail;

	alarm(60);		/* never outlive the test */
	for (;;) {
		fl = sizeof(from);
		n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from,
		    &fl);
		if (n < 12)
			continue;
		for (p = 12; p < (size_t)n && q[p] != 0; p += q[p] + 1U)
			;
		p += 5;
		if (p > (size_t)n)
			continue;
		ttl = 60;
		servfail = false;
		memcpy(r, q, p);
		r[2] = 0x84 | (q[2] & 0x01);	/* QR, AA, RD copied */
		r[3] = 0x80;
		r[6] = r[7] = r[8] = r[9] = r[10] = r[11] = 0;
		ancount_at = 6;
		rn = p;
		an = 0;
		if ((fp = fopen(file, "r")) != NULL) {
			while (fgets(line, sizeof(line), fp) != NULL) {
				if (strncmp(line, "servfail", 8) == 0)
					servfail = true;
				else if (strncmp(line, "ttl ", 4) == 0)
					ttl = strtoul(line + 4, NULL, 10);
				else if (strlen(line) >= 64 &&
				    rn + 47 < sizeof(r)) {
					r[rn++] = 0xc0;
					r[rn++] = 12;
					r[rn++] = 0;
					r[rn++] = TLSA_RRTYPE;
					r[rn++] = 0;
					r[rn++] = 1;
					r[rn++] = (unsigned char)(ttl >> 24);
					r[rn++] = (unsigned char)(ttl >> 16);
					r[rn++] = (unsigned char)(ttl >> 8);
					r[rn++] = (unsigned char)ttl;
					r[rn++] = 0;
					r[rn++] = 35;
					r[rn++] = 3;
					r[rn++] = 1;
					r[rn++] = 1;
					for (i = 0; i < 32; i++)
						r[rn++] = (unsigned char)(
						    hexval(line[2 * i]) << 4 |
						    hexval(line[2 * i + 1]));
					an++;
				}
			}
			(void)fclose(fp);
		}
		if (servfail) {
			r[3] = 0x82;
			rn = p;
			an = 0;
		}
		r[ancount_at] = (unsigned char)(an >> 8);
		r[ancount_at + 1] = (unsigned char)an;
		(void)sendto(fd, r, rn, 0, (struct sockaddr *)&from, fl);
	}
}

static pid_t
dns_start(const char *file, char *server, size_t len)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	pid_t			 pid;
	int			 fd;

	ck_assert_int_ne(fd = socket(AF_INET, SOCK_DGRAM, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	(void)snprintf(server, len, "127.0.0.1:%u", ntohs(sin.sin_port));
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		dns_child(fd, file);
		_exit(0);
	}
	(void)close(fd);
	return pid;
}

static void
dns_stop(pid_t pid)
{
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
}

START_TEST(dns_query)
{
	struct tlsa_rrset	 set;
	struct cd_err		 err;
	char			 dir[] = "/tmp/check_tlsa.XXXXXX";
	char			 file[PATH_MAX], server[64], text[256];
	pid_t			 pid;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(file, sizeof(file), "%s/zone", dir);
	(void)snprintf(text, sizeof(text), "ttl 120\n%s\n%s\n", H1, H2);
	write_file(dir, "zone", text);
	pid = dns_start(file, server, sizeof(server));
	if (tlsa_dns_query(server, "_25._tcp.mx.example.test.", &set,
	    &err) == -1)
		ck_abort_msg("query: %s", err.msg);
	ck_assert_uint_eq(set.n, 2);
	ck_assert(tlsa_rrset_has(&set, H1));
	ck_assert(tlsa_rrset_has(&set, H2));
	ck_assert_uint_eq(set.ttl, 120);
	/* NODATA: an empty set */
	write_file(dir, "zone", "");
	ck_assert_int_eq(tlsa_dns_query(server, "_25._tcp.mx.example.test.",
	    &set, &err), 0);
	ck_assert_uint_eq(set.n, 0);
	/* SERVFAIL: no answer */
	write_file(dir, "zone", "servfail\n");
	ck_assert_int_eq(tlsa_dns_query(server, "_25._tcp.mx.example.test.",
	    &set, &err), -1);
	ck_assert_int_eq(err.kind, CD_ENET);
	dns_stop(pid);
	/* bad server settings */
	ck_assert_int_eq(tlsa_dns_query("::1", "x.", &set, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(tlsa_dns_query("127.0.0.1:0", "x.", &set, &err), -1);
	ck_assert_int_eq(tlsa_dns_query("127.0.0.1:", "x.", &set, &err), -1);
	ck_assert_int_eq(tlsa_dns_query("localhost", "x.", &set, &err), -1);
	ck_assert_int_eq(file_remove_tree(AT_FDCWD, dir, NULL), 0);
}
END_TEST

START_TEST(rollover_dns)
{
	struct lab		 l;
	struct tlsa_policy	 p;
	struct tlsa_stage	 s;
	char			 server[64], zone[PATH_MAX], text[512];
	char			 use[TLSA_HEX_SIZE], n1[TLSA_HEX_SIZE];
	pid_t			 pid;

	lab_open(&l);
	(void)snprintf(zone, sizeof(zone), "%s/zone", l.top);
	(void)snprintf(text, sizeof(text), "%s\n", l.h1);
	write_file(l.top, "zone", text);
	pid = dns_start(zone, server, sizeof(server));
	tlsa_policy_init(&p);
	p.dane = true;
	p.ttl = 60;			/* margin 120 */
	p.dns_server = server;

	/* staged, not in DNS */
	ck_assert(!roll_key(&l, &p, T0, use, NULL));
	ck_assert_str_eq(use, l.h1);
	load(&l, T0, &s, n1);
	ck_assert(s.staged);
	ck_assert_int_eq(s.published_at, 0);
	/* published */
	(void)snprintf(text, sizeof(text), "%s\n%s\n", l.h1, n1);
	write_file(l.top, "zone", text);
	ck_assert(!roll_key(&l, &p, T0 + 10, use, NULL));
	load(&l, T0 + 10, &s, n1);
	ck_assert_int_eq(s.published_at, T0 + 10);
	/* removed again: the clock stops */
	(void)snprintf(text, sizeof(text), "%s\n", l.h1);
	write_file(l.top, "zone", text);
	ck_assert(!roll_key(&l, &p, T0 + 100, use, NULL));
	load(&l, T0 + 100, &s, n1);
	ck_assert_int_eq(s.published_at, 0);
	/* back, with a longer TTL: margin 2 x 300 */
	(void)snprintf(text, sizeof(text), "ttl 300\n%s\n%s\n", l.h1, n1);
	write_file(l.top, "zone", text);
	ck_assert(!roll_key(&l, &p, T0 + 200, use, NULL));
	ck_assert(!roll_key(&l, &p, T0 + 200 + 599, use, NULL));
	ck_assert_str_eq(use, l.h1);
	/* the server fails just when the margin is over: no switch */
	write_file(l.top, "zone", "servfail\n");
	ck_assert(!roll_key(&l, &p, T0 + 200 + 600, use, NULL));
	ck_assert_str_eq(use, l.h1);
	load(&l, T0 + 800, &s, n1);
	ck_assert_int_eq(s.published_at, T0 + 200);
	/* answers again: switch */
	write_file(l.top, "zone", text);
	ck_assert(roll_key(&l, &p, T0 + 200 + 601, use, NULL));
	ck_assert_str_eq(use, n1);
	dns_stop(pid);
	lab_close(&l);
}
END_TEST

START_TEST(cert_names)
{
	struct lab	 l;
	char		**names = NULL;
	size_t		 n = 0;

	lab_open(&l);
	ck_assert_int_eq(tlsa_cert_names(l.st, "mx", &names, &n, NULL), 0);
	/* the wildcard and the IP address get no TLSA records */
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], "mx.example.test");
	store_names_free(names, n);
	ck_assert_int_eq(tlsa_cert_names(l.st, "none", &names, &n, NULL), -1);
	lab_close(&l);
}
END_TEST

Suite *
tlsa_suite(void)
{
	Suite	*s = suite_create("tlsa");
	TCase	*tc = tcase_create("tlsa");

	tcase_set_timeout(tc, 30);	/* key generation under ASan */
	tcase_add_loop_test(tc, spki_matches_cli, 0,
	    sizeof(cli_types) / sizeof(cli_types[0]));
	tcase_add_test(tc, cert_matches_cli);
	tcase_add_test(tc, spki_known_answer);
	tcase_add_loop_test(tc, owner, 0, sizeof(owners) / sizeof(owners[0]));
	tcase_add_test(tc, owner_limits);
	tcase_add_loop_test(tc, dns_parse, 0,
	    sizeof(dns_cases) / sizeof(dns_cases[0]));
	tcase_add_test(tc, dns_parse_size);
	tcase_add_loop_test(tc, state_table, 0,
	    sizeof(states) / sizeof(states[0]));
	tcase_add_loop_test(tc, observe_table, 0,
	    sizeof(observe) / sizeof(observe[0]));
	tcase_add_test(tc, state_walk);
	tcase_add_test(tc, policy_parse);
	tcase_add_test(tc, policy_from_opts);
	tcase_add_loop_test(tc, stage_parse, 0,
	    sizeof(stage_texts) / sizeof(stage_texts[0]));
	tcase_add_test(tc, stage_parse_limit);
	tcase_add_test(tc, rollover_hook);
	tcase_add_test(tc, rollover_debris);
	tcase_add_test(tc, dns_query);
	tcase_add_test(tc, rollover_dns);
	tcase_add_test(tc, cert_names);
	suite_add_tcase(s, tc);
	return s;
}
