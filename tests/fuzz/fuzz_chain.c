/*
 * fuzz_chain.c - libFuzzer target for the parsers of certificates from
 * outside: PEM chains (chain_load_pem) and AIA caIssuers bodies in DER
 * or PKCS#7 (chain_aia_parse).
 */
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "revocation/chain.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	STACK_OF(X509)	*sk = NULL;
	struct cd_err	 err;

	if (chain_load_pem(data, len, &sk, &err) == 0)
		sk_X509_pop_free(sk, X509_free);	/* owns every cert */
	sk = NULL;
	if (chain_aia_parse(data, len, &sk, &err) == 0)
		sk_X509_pop_free(sk, X509_free);
	return 0;
}
