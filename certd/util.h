/*
 * util.h - small helpers shared by the certd programs: range-checked
 * number parsing, allocation that exits on failure (program-level code
 * only), the clock seam, and name validation for untrusted strings.
 */
#ifndef CERTD_UTIL_H
#define CERTD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define UTIL_DNSNAME_MAX	253	/* bytes, RFC 1035 */

/* Decimal unsigned in [min, max], whole string; -1 otherwise. */
int	util_parse_uint(const char *, unsigned long long min,
	    unsigned long long max, unsigned long long *out);
/* Durations like "30", "30s", "15m", "12h", "7d" into seconds. */
int	util_parse_duration(const char *, time_t *out);

/* Exit through fatal() when out of memory: program-level code only. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xasprintf(const char *, ...)
	    __attribute__((format(printf, 1, 2), nonnull(1)));

/* The clock. Tests may set CERTD_FAKE_NOW (seconds since the epoch). */
time_t	cd_now(void);
/* Milliseconds on CLOCK_MONOTONIC, for deadlines (never faked). */
int64_t	util_now_ms(void);

/* LDH DNS name (lower or upper case), optionally "*." wildcard first
 * label, no trailing dot, <= 253 bytes, labels 1..63. */
bool	util_is_dnsname(const char *, bool allow_wildcard);
/* Literal IPv4 or IPv6 address. */
bool	util_is_ipaddr(const char *);
/* Name safe as a single path component: [A-Za-z0-9._-], not starting
 * with '.', 1..255 bytes (a '*' of a wildcard is refused). */
bool	util_is_safe_component(const char *);
/* Lower-cases an ASCII string in place; returns it. */
char	*util_lower(char *);
/* First occurrence of s[0..slen) in [p, end), or NULL (memmem is GNU). */
const char *util_find(const char *p, const char *end, const char *s,
	    size_t slen);
/* Hex of n bytes into out (2n+1 bytes), lower case, optional ':' */
void	util_hex(const unsigned char *, size_t, char *out, bool colons);
/* Constant-time-irrelevant comparison helpers for sorting strings. */
int	util_strcmp_ptr(const void *, const void *);

#endif
