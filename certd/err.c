/*
 * err.c - filling struct cd_err. Messages are bounded; OpenSSL's error
 * queue is drained into them so that nothing is left for the next call.
 */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "acme.h"

static void
vset(struct cd_err *err, enum cd_errkind kind, const char *fmt, va_list ap)
{
	err->kind = kind;
	err->sys_errno = 0;
	err->http_status = 0;
	err->retry_after = 0;
	err->type[0] = '\0';
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

static void
append(struct cd_err *err, const char *s)
{
	size_t	 len = strlen(err->msg);

	if (len < sizeof(err->msg) - 1)
		(void)snprintf(err->msg + len, sizeof(err->msg) - len, "%s", s);
}

int
cd_err_set(struct cd_err *err, enum cd_errkind kind, const char *fmt, ...)
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
cd_err_sys(struct cd_err *err, const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vset(err, CD_ESYS, fmt, ap);
	va_end(ap);
	err->sys_errno = saved;
	append(err, ": ");
	append(err, strerror(saved));
	errno = saved;
	return -1;
}

int
cd_err_crypto(struct cd_err *err, const char *fmt, ...)
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
	vset(err, CD_ECRYPTO, fmt, ap);
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

int
cd_err_from_acme(struct cd_err *err, const struct acme_err *ae,
    const char *fmt, ...)
{
	va_list		 ap;
	enum cd_errkind	 kind;

	if (err == NULL)
		return -1;
	switch (ae->kind) {
	case ACME_ENOMEM:
		kind = CD_ENOMEM;
		break;
	case ACME_ESYS:
		kind = CD_ESYS;
		break;
	case ACME_ECRYPTO:
		kind = CD_ECRYPTO;
		break;
	case ACME_ETEMP:
		kind = CD_ETEMP;
		break;
	case ACME_ESERVER:
		kind = CD_ESERVER;
		break;
	case ACME_EUSAGE:
		kind = CD_ECONFIG;
		break;
	case ACME_ENET:
		kind = CD_ENET;
		break;
	default:
		kind = CD_EPROTO;
		break;
	}
	err->kind = kind;
	err->sys_errno = 0;
	err->msg[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		append(err, ": ");
	}
	append(err, ae->msg);
	err->http_status = ae->http_status;
	err->retry_after = ae->retry_after;
	(void)snprintf(err->type, sizeof(err->type), "%s", ae->type);
	return -1;
}

void
cd_err_clear(struct cd_err *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
}
