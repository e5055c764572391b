/*
 * err.c - filling struct acme_err, including from problem documents sent
 * by the (untrusted) ACME server: their text is escaped and bounded.
 */
#include "acme_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>

static void
vset(struct acme_err *err, enum acme_errkind kind, const char *fmt,
    va_list ap)
{
	err->kind = kind;
	err->http_status = 0;
	err->retry_after = 0;
	err->type[0] = '\0';
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

static void
append(struct acme_err *err, const char *s)
{
	size_t	 len = strlen(err->msg);

	if (len < sizeof(err->msg) - 1)
		(void)snprintf(err->msg + len, sizeof(err->msg) - len, "%s", s);
}

int
acme_err_set(struct acme_err *err, enum acme_errkind kind, const char *fmt,
    ...)
{
	va_list	 ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vset(err, kind, fmt, ap);
	va_end(ap);
	return -1;
}

int
acme_err_sys(struct acme_err *err, const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vset(err, ACME_ESYS, fmt, ap);
	va_end(ap);
	append(err, ": ");
	append(err, strerror(saved));
	errno = saved;
	return -1;
}

int
acme_err_crypto(struct acme_err *err, const char *fmt, ...)
{
	va_list		 ap;
	unsigned long	 e;
	char		 buf[256];
	const char	*data;
	int		 first = 1, flags;

	if (err == NULL) {
		ERR_clear_error();
		return -1;
	}
	va_start(ap, fmt);
	vset(err, ACME_ECRYPTO, fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data,
	    &flags)) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		append(err, first ? ": " : "; ");
		append(err, buf);
		/* e.g. "certificate has expired" behind a verify error */
		if ((flags & ERR_TXT_STRING) != 0 && data != NULL &&
		    *data != '\0') {
			append(err, " (");
			append(err, data);
			append(err, ")");
		}
		first = 0;
	}
	return -1;
}

void
acme_safe_str(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t		 o = 0, i;
	unsigned char	 c;

	if (dstlen == 0)
		return;
	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (o + 5 >= dstlen) {
			if (dstlen >= 4) {
				o = o > dstlen - 4 ? dstlen - 4 : o;
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			dst[o++] = (char)c;
		} else {
			(void)snprintf(dst + o, dstlen - o, "\\x%02x", c);
			o += 4;
		}
	}
	dst[o] = '\0';
}

int
acme_err_problem(struct acme_err *err, const struct acme_problem *p,
    int http_status, time_t retry_after, const char *what)
{
	char	 buf[ACME_TEXT_MAX];
	size_t	 i;
	bool	 temp;

	if (err == NULL)
		return -1;
	temp = http_status == 503 || (p->type != NULL &&
	    strcmp(p->type, "urn:ietf:params:acme:error:rateLimited") == 0);
	err->kind = temp ? ACME_ETEMP : ACME_ESERVER;
	err->http_status = http_status;
	err->retry_after = retry_after;
	err->msg[0] = '\0';
	acme_safe_str(err->type, sizeof(err->type), p->type,
	    strlen(p->type));
	if (what != NULL) {
		append(err, what);
		append(err, ": ");
	}
	append(err, err->type);
	if (p->detail != NULL) {
		acme_safe_str(buf, sizeof(buf), p->detail, strlen(p->detail));
		append(err, ": ");
		append(err, buf);
	}
	for (i = 0; i < p->nsub; i++) {
		append(err, i == 0 ? " [" : "; ");
		if (p->sub[i].ident.value != NULL) {
			acme_safe_str(buf, sizeof(buf), p->sub[i].ident.value,
			    strlen(p->sub[i].ident.value));
			append(err, buf);
			append(err, ": ");
		}
		acme_safe_str(buf, sizeof(buf), p->sub[i].type,
		    strlen(p->sub[i].type));
		append(err, buf);
		if (p->sub[i].detail != NULL) {
			acme_safe_str(buf, sizeof(buf), p->sub[i].detail,
			    strlen(p->sub[i].detail));
			append(err, ": ");
			append(err, buf);
		}
		if (i + 1 == p->nsub)
			append(err, "]");
	}
	if (temp && retry_after > 0) {
		(void)snprintf(buf, sizeof(buf), " (retry after %lld s)",
		    (long long)retry_after);
		append(err, buf);
	}
	return -1;
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 9110 §5.6.7;
 * the obsolete formats are not sent by ACME servers. */
static int
parse_http_date(const char *s, time_t *out)
{
	/* day, year, hour, minute, second: offset and width in s */
	static const int off[] = { 5, 12, 17, 20, 23 };
	static const int wid[] = { 2, 4, 2, 2, 2 };
	struct tm	 tm;
	long		 f[5];
	int		 i, j;

	if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    s[25] != ' ' || strcmp(s + 26, "GMT") != 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	for (i = 0; i < 12; i++)
		if (strncmp(s + 8, months[i], 3) == 0)
			break;
	if (i == 12)
		return -1;
	tm.tm_mon = i;
	for (i = 0; i < 5; i++) {
		f[i] = 0;
		for (j = 0; j < wid[i]; j++) {
			if (!isdigit((unsigned char)s[off[i] + j]))
				return -1;
			f[i] = f[i] * 10 + (s[off[i] + j] - '0');
		}
	}
	if (f[0] < 1 || f[0] > 31 || f[2] > 23 || f[3] > 59 || f[4] > 60)
		return -1;
	tm.tm_mday = (int)f[0];
	tm.tm_year = (int)f[1] - 1900;
	tm.tm_hour = (int)f[2];
	tm.tm_min = (int)f[3];
	tm.tm_sec = (int)f[4];
	*out = timegm(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

time_t
acme_retry_after_parse(const char *value, time_t now)
{
	unsigned long long	 v = 0;
	const char		*p;
	time_t			 t;

	if (value == NULL || *value == '\0')
		return 0;
	if (isdigit((unsigned char)*value)) {
		for (p = value; *p != '\0'; p++) {
			if (!isdigit((unsigned char)*p))
				return 0;
			if (v > ACME_RETRY_AFTER_MAX)
				break;		/* stays capped below */
			v = v * 10 + (unsigned)(*p - '0');
		}
		return v > ACME_RETRY_AFTER_MAX ? ACME_RETRY_AFTER_MAX :
		    (time_t)v;
	}
	if (parse_http_date(value, &t) == -1 || t <= now)
		return 0;
	return t - now > ACME_RETRY_AFTER_MAX ? ACME_RETRY_AFTER_MAX :
	    t - now;
}

int
acme_err_from_problem(struct acme_err *err, const struct acme_problem *p)
{
	return acme_err_problem(err, p, p->status, 0, NULL);
}
