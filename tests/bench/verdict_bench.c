/*
 * verdict_bench.c - in-process benchmark of the revocation engine's hot
 * path (issue #3): verdict_check() for a certificate whose verdict is in
 * the SQLite cache. Prints one Markdown table row set to stdout.
 * usage: verdict_bench DIR [N]   (DIR: scratch directory for the cache)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "revocation/revcache.h"
#include "revocation/verdict.h"

static X509 *
make_cert(EVP_PKEY *k)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();

	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"mx.bench.test", -1, -1, 0);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 90L * 86400);
	if (X509_sign(x, k, EVP_sha256()) == 0)
		abort();
	X509_NAME_free(n);
	return x;
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	struct verdict_opts	 vo;
	struct rev_result	 r;
	struct cd_err		 err;
	struct revcache		*c;
	EVP_PKEY		*k;
	X509			*x;
	char			 path[4096];
	long			 i, n = argc > 2 ? atol(argv[2]) : 100000;
	double			 t0, t1;
	time_t			 now = time(NULL);

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: verdict_bench DIR [N]\n");
		return 64;
	}
	snprintf(path, sizeof(path), "%s/revocation.db", argv[1]);
	if ((c = revcache_open(path, &err)) == NULL) {
		fprintf(stderr, "verdict_bench: %s\n", err.msg);
		return 1;
	}
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	x = make_cert(k);
	verdict_opts_init(&vo, now);
	vo.cache = c;
	/* the first call decides (self-signed: UNKNOWN, cached for
	 * VERDICT_UNKNOWN_TTL) and fills the cache; every timed call after
	 * it must be a cache hit */
	if (verdict_check(x, NULL, NULL, 0, &vo, &r, &err) == -1) {
		fprintf(stderr, "verdict_bench: %s\n", err.msg);
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < n; i++)
		if (verdict_check(x, NULL, NULL, 0, &vo, &r, &err) == -1 ||
		    r.source != REV_SRC_CACHE) {
			fprintf(stderr, "verdict_bench: miss at %ld\n", i);
			return 1;
		}
	t1 = now_s();
	printf("| cached verdict (verdict_check, SQLite WAL) | %ld calls | "
	    "%.2f us/call | target <= 20 us | %s |\n", n,
	    (t1 - t0) * 1e6 / (double)n, (t1 - t0) * 1e6 / (double)n <= 20.0 ?
	    "PASS" : "MISS");
	revcache_close(c);
	X509_free(x);
	EVP_PKEY_free(k);
	return 0;
}
