/*
 * b64.c - base64url without padding (RFC 4648 §5, RFC 7515 §2). The
 * decoder takes untrusted text and accepts only the canonical encoding:
 * no padding, no white space, no impossible lengths, zero trailing bits.
 */
#include "acme_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of c, or -1 outside the base64url alphabet. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
acme_b64url_encode(const void *data, size_t len, char **out,
    struct acme_err *err)
{
	const unsigned char	*p = data;
	char			*s;
	size_t			 olen, i, o = 0;
	uint32_t		 v;

	if (out == NULL || (p == NULL && len > 0))
		return acme_err_set(err, ACME_EUSAGE, "base64url: no data");
	/* 4 chars per 3 bytes, up to 3 for a partial group, plus the NUL */
	if (len / 3 > (SIZE_MAX - 4) / 4)
		return acme_err_set(err, ACME_ENOMEM, "base64url: %zu bytes",
		    len);
	olen = len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
	if ((s = malloc(olen + 1)) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "base64url: malloc");
	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		s[o++] = alphabet[v >> 18 & 0x3f];
		s[o++] = alphabet[v >> 12 & 0x3f];
		s[o++] = alphabet[v >> 6 & 0x3f];
		s[o++] = alphabet[v & 0x3f];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		s[o++] = alphabet[v >> 18 & 0x3f];
		s[o++] = alphabet[v >> 12 & 0x3f];
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		s[o++] = alphabet[v >> 18 & 0x3f];
		s[o++] = alphabet[v >> 12 & 0x3f];
		s[o++] = alphabet[v >> 6 & 0x3f];
	}
	s[o] = '\0';
	*out = s;
	return 0;
}

/*
 * Checks that s[0..len) is the canonical unpadded encoding of some byte
 * string. On failure, fills err without quoting the input (it may be a
 * secret such as an EAB key).
 */
static int
check_canonical(const char *s, size_t len, struct acme_err *err)
{
	size_t	 i;
	int	 v = 0;

	if (len % 4 == 1)
		return acme_err_set(err, ACME_EUSAGE,
		    "base64url: impossible length %zu", len);
	for (i = 0; i < len; i++)
		if ((v = b64_value((unsigned char)s[i])) == -1)
			return acme_err_set(err, ACME_EUSAGE,
			    "base64url: invalid byte at offset %zu", i);
	/* the bits after the last whole byte must be zero (RFC 4648 §3.5) */
	if ((len % 4 == 2 && (v & 0x0f) != 0) ||
	    (len % 4 == 3 && (v & 0x03) != 0))
		return acme_err_set(err, ACME_EUSAGE,
		    "base64url: non-zero trailing bits");
	return 0;
}

int
acme_b64url_decode(const char *s, size_t len, unsigned char **out,
    size_t *outlen, struct acme_err *err)
{
	unsigned char	*d;
	size_t		 dlen, i, o = 0;
	uint32_t	 v;

	if (out == NULL || outlen == NULL || (s == NULL && len > 0))
		return acme_err_set(err, ACME_EUSAGE, "base64url: no input");
	if (check_canonical(s, len, err) == -1)
		return -1;
	dlen = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
	/* NUL-terminated for callers that decode text */
	if ((d = malloc(dlen + 1)) == NULL)
		return acme_err_set(err, ACME_ENOMEM, "base64url: malloc");
	for (i = 0; i + 4 <= len; i += 4) {
		v = (uint32_t)b64_value((unsigned char)s[i]) << 18 |
		    (uint32_t)b64_value((unsigned char)s[i + 1]) << 12 |
		    (uint32_t)b64_value((unsigned char)s[i + 2]) << 6 |
		    (uint32_t)b64_value((unsigned char)s[i + 3]);
		d[o++] = (unsigned char)(v >> 16);
		d[o++] = (unsigned char)(v >> 8);
		d[o++] = (unsigned char)v;
	}
	if (len - i >= 2) {
		v = (uint32_t)b64_value((unsigned char)s[i]) << 18 |
		    (uint32_t)b64_value((unsigned char)s[i + 1]) << 12;
		if (len - i == 3)
			v |= (uint32_t)b64_value((unsigned char)s[i + 2]) << 6;
		d[o++] = (unsigned char)(v >> 16);
		if (len - i == 3)
			d[o++] = (unsigned char)(v >> 8);
	}
	d[o] = '\0';
	OPENSSL_cleanse(&v, sizeof(v));	/* held bits of an EAB key */
	*out = d;
	*outlen = dlen;
	return 0;
}

/*
 * RFC 8555 grammar for nonces and tokens: one or more characters of the
 * base64url alphabet (§6.5.1 "1*base64url", §8.3). Only the alphabet is
 * checked, not the length or the trailing bits: a nonce is opaque.
 */
bool
acme_b64url_is_valid(const char *s, size_t len)
{
	size_t	 i;

	if (s == NULL || len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (b64_value((unsigned char)s[i]) == -1)
			return false;
	return true;
}
