/*
 * util.c - small helpers; see util.h.
 */
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int
util_parse_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long	 v;
	char			*end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
util_parse_duration(const char *s, time_t *out)
{
	unsigned long long	 v, mul = 1;
	char			 num[32];
	size_t			 len;

	if (s == NULL || (len = strlen(s)) == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's':
		mul = 1;
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		if (!isdigit((unsigned char)num[len - 1]))
			return -1;
		len++;
		break;
	}
	num[len - 1] = '\0';
	if (util_parse_uint(num, 0, 100ULL * 365 * 86400, &v) == -1)
		return -1;
	*out = (time_t)(v * mul);
	return 0;
}

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatal("malloc");
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, m == 0 ? 1 : m)) == NULL)
		fatal("calloc");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t m)
{
	if (m != 0 && n > SIZE_MAX / m)
		fatalx("reallocarray: overflow");
	if ((p = realloc(p, n * m == 0 ? 1 : n * m)) == NULL)
		fatal("realloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("xasprintf: format");
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

time_t
cd_now(void)
{
	const char		*s = getenv("CERTD_FAKE_NOW");
	unsigned long long	 v;

	if (s != NULL && util_parse_uint(s, 0, INT64_MAX, &v) == 0)
		return (time_t)v;
	return time(NULL);
}

int64_t
util_now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
util_is_dnsname(const char *s, bool allow_wildcard)
{
	size_t	 len, lab = 0, i;
	int	 c, prev = '.';

	if (s == NULL)
		return false;
	if (allow_wildcard && s[0] == '*' && s[1] == '.')
		s += 2;
	len = strlen(s);
	if (len == 0 || len > UTIL_DNSNAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '.') {
			if (lab == 0 || prev == '-')
				return false;
			lab = 0;
		} else if (isalnum(c) || c == '-') {
			if (lab == 0 && c == '-')
				return false;
			if (++lab > 63)
				return false;
		} else
			return false;
		prev = c;
	}
	return lab > 0 && prev != '-';
}

bool
util_is_ipaddr(const char *s)
{
	unsigned char	 a[16];

	return s != NULL && (inet_pton(AF_INET, s, a) == 1 ||
	    inet_pton(AF_INET6, s, a) == 1);
}

bool
util_is_safe_component(const char *s)
{
	size_t	 i, len;

	if (s == NULL || (len = strlen(s)) == 0 || len > 255 || s[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

char *
util_lower(char *s)
{
	char	*p;

	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

const char *
util_find(const char *p, const char *end, const char *s, size_t slen)
{
	for (; (size_t)(end - p) >= slen; p++)
		if (*p == *s && memcmp(p, s, slen) == 0)
			return p;
	return NULL;
}

void
util_hex(const unsigned char *p, size_t n, char *out, bool colons)
{
	static const char	 hx[] = "0123456789abcdef";
	size_t			 i, o = 0;

	for (i = 0; i < n; i++) {
		if (colons && i > 0)
			out[o++] = ':';
		out[o++] = hx[p[i] >> 4];
		out[o++] = hx[p[i] & 0xf];
	}
	out[o] = '\0';
}

int
util_strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}
