/*
 * crl_bench.c - issue #3 "Speed", CRL part: loads a DER CRL and its
 * issuer certificate, times certd's first load (crl_parse + crl_verify:
 * DER reader, index build, signature, time window) best of R rounds,
 * OpenSSL's d2i_X509_CRL of the same bytes for reference, loading the
 * cached index blob, then N lookups of random present and absent serials.
 * Prints "key value" lines (read by tests/bench/crl.sh). Trusts its files.
 *
 *	crl_bench [-q] crl.der issuer.pem [rounds [lookups]]
 * -q: one load and nothing else (for timing the whole process).
 */
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "err.h"
#include "revocation/crl.h"
#include "revocation/rev.h"

#define ROUNDS_MAX	100
#define LOOKUPS_MAX	100000000UL
#define FILE_MAX	(1024UL * 1024 * 1024)

struct query {
	unsigned char	 s[REV_SERIAL_MAX];
	uint8_t		 len;
	bool		 present;
};

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		perror("clock_gettime");
		exit(1);
	}
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	struct stat	 st;
	unsigned char	*b;
	FILE		*f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1 ||
	    st.st_size <= 0 || (unsigned long)st.st_size > FILE_MAX) {
		fprintf(stderr, "crl_bench: %s: cannot read\n", path);
		exit(1);
	}
	if ((b = malloc((size_t)st.st_size)) == NULL ||
	    fread(b, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "crl_bench: %s: short read\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)st.st_size;
	return b;
}

/* xorshift64: reproducible queries (the C library's is banned) */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct crl *
load(const unsigned char *der, size_t len, X509 *issuer, time_t now,
    uint64_t *parse_ns, uint64_t *verify_ns)
{
	struct cd_err	 err;
	struct crl	*c;
	uint64_t	 t0, t1, t2;

	t0 = now_ns();
	if ((c = crl_parse(der, len, CRL_HARD_MAX, &err)) == NULL) {
		fprintf(stderr, "crl_bench: %s\n", err.msg);
		exit(1);
	}
	t1 = now_ns();
	if (crl_verify(c, issuer, now, &err) == -1) {
		fprintf(stderr, "crl_bench: %s\n", err.msg);
		exit(1);
	}
	t2 = now_ns();
	*parse_ns = t1 - t0;
	*verify_ns = t2 - t1;
	return c;
}

int
main(int argc, char *argv[])
{
	struct cd_err		 err;
	struct crl		*c = NULL, *l;
	struct query		*q = NULL;
	const unsigned char	*p, *s;
	unsigned char		*der, *blob;
	uint64_t		 seed = 0x2545f4914f6cdd1dULL, t0, t, pn, vn;
	uint64_t		 load_ns[ROUNDS_MAX], parse_best = UINT64_MAX;
	uint64_t		 verify_best = UINT64_MAX;
	uint64_t		 blob_best = UINT64_MAX, d2i_best = UINT64_MAX;
	unsigned long		 rounds = 5, lookups = 1000000, i, j;
	unsigned long		 found = 0, present_revoked = 0, sum = 0;
	size_t			 len, blen, n, slen;
	time_t			 now = time(NULL), when;
	X509_CRL		*ox;
	X509			*issuer;
	FILE			*f;
	bool			 quick = false, rev;
	int			 ch, reason;

	while ((ch = getopt(argc, argv, "q")) != -1) {
		if (ch != 'q')
			goto usage;
		quick = true;
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 4)
		goto usage;
	if (argc > 2 && ((rounds = strtoul(argv[2], NULL, 10)) == 0 ||
	    rounds > ROUNDS_MAX))
		goto usage;
	if (argc > 3 && (lookups = strtoul(argv[3], NULL, 10)) > LOOKUPS_MAX)
		goto usage;
	der = read_file(argv[0], &len);
	if ((f = fopen(argv[1], "r")) == NULL ||
	    (issuer = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "crl_bench: %s: no certificate\n", argv[1]);
		return 1;
	}
	fclose(f);
	if (quick) {
		c = load(der, len, issuer, now, &pn, &vn);
		crl_free(c);
		X509_free(issuer);
		free(der);
		return 0;
	}

	for (i = 0; i < rounds; i++) {
		crl_free(c);
		c = load(der, len, issuer, now, &pn, &vn);
		load_ns[i] = pn + vn;
		if (pn < parse_best)
			parse_best = pn;
		if (vn < verify_best)
			verify_best = vn;
	}
	for (i = 0; i < rounds; i++) {
		p = der;
		t0 = now_ns();
		ox = d2i_X509_CRL(NULL, &p, (long)len);
		t = now_ns() - t0;
		if (ox == NULL || p != der + len) {
			fprintf(stderr, "crl_bench: OpenSSL cannot parse it\n");
			return 1;
		}
		X509_CRL_free(ox);
		if (t < d2i_best)
			d2i_best = t;
	}
	if (crl_index_serialize(c, &blob, &blen, &err) == -1) {
		fprintf(stderr, "crl_bench: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < rounds; i++) {
		t0 = now_ns();
		l = crl_index_load(blob, blen, &err);
		t = now_ns() - t0;
		if (l == NULL) {
			fprintf(stderr, "crl_bench: %s\n", err.msg);
			return 1;
		}
		crl_free(l);
		if (t < blob_best)
			blob_best = t;
	}

	/* queries: half present (a random entry), half random serials */
	n = crl_count(c);
	if (lookups > 0 && (q = calloc(lookups, sizeof(*q))) == NULL) {
		perror("calloc");
		return 1;
	}
	for (i = 0; i < lookups; i++) {
		if (n > 0 && (next_rand(&seed) & 1) == 0) {
			(void)crl_entry(c, next_rand(&seed) % n, &s, &slen,
			    &reason, &when);
			memcpy(q[i].s, s, slen);
			q[i].len = (uint8_t)slen;
			q[i].present = true;
			if (reason != 8)
				present_revoked++;
		} else {
			q[i].len = (uint8_t)(1 + next_rand(&seed) %
			    REV_SERIAL_MAX);
			for (j = 0; j < q[i].len; j++)
				q[i].s[j] = (unsigned char)next_rand(&seed);
			q[i].s[0] |= 1;
		}
	}
	t0 = now_ns();
	for (i = 0; i < lookups; i++) {
		(void)crl_lookup(c, q[i].s, q[i].len, &rev, &reason, &when);
		found += rev;
		sum += (unsigned long)when;
	}
	t = now_ns() - t0;
	/* every present, non-removeFromCRL query must have been found; a
	 * random absent one matching an entry is possible but negligible */
	if (found < present_revoked) {
		fprintf(stderr, "crl_bench: %lu found, %lu expected\n", found,
		    present_revoked);
		return 1;
	}

	qsort(load_ns, rounds, sizeof(load_ns[0]), cmp_u64);
	printf("der_bytes %zu\n", len);
	printf("entries %zu\n", n);
	printf("rounds %lu\n", rounds);
	printf("load_ns_best %llu\n", (unsigned long long)load_ns[0]);
	printf("load_ns_median %llu\n",
	    (unsigned long long)load_ns[rounds / 2]);
	printf("parse_ns_best %llu\n", (unsigned long long)parse_best);
	printf("verify_ns_best %llu\n", (unsigned long long)verify_best);
	printf("openssl_d2i_ns_best %llu\n", (unsigned long long)d2i_best);
	printf("blob_bytes %zu\n", blen);
	printf("blob_load_ns_best %llu\n", (unsigned long long)blob_best);
	printf("index_bytes %zu\n", crl_index_bytes(c));
	printf("lookups %lu\n", lookups);
	printf("lookup_found %lu\n", found);
	printf("lookup_ns %.1f\n", lookups == 0 ? 0.0 :
	    (double)t / (double)lookups);
	printf("checksum %lu\n", sum);
	crl_free(c);
	free(blob);
	free(q);
	X509_free(issuer);
	free(der);
	return 0;
usage:
	fprintf(stderr, "usage: crl_bench [-q] crl.der issuer.pem "
	    "[rounds [lookups]]\n");
	return 64;
}
