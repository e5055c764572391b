/*
 * log.c - stderr/syslog logging. The only mutable globals are the
 * verbosity and the program name (STYLE.md §2).
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

int		 log_verbose;
static const char *progname = "certd";	/* set once by log_init */
static int	 to_stderr = 1;		/* set once by log_init */

void
log_init(const char *name, int facility, int foreground)
{
	progname = name;
	to_stderr = foreground;
	if (!foreground)
		openlog(name, LOG_PID | LOG_NDELAY, facility);
}

const char *
log_progname(void)
{
	return progname;
}

static void
vlog(int pri, const char *fmt, va_list ap, int with_errno)
{
	char	 msg[2048];
	int	 saved = errno;
	size_t	 len;

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		len = strlen(msg);
		(void)snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(saved));
	}
	if (to_stderr)
		(void)fprintf(stderr, "%s: %s\n", progname, msg);
	else
		syslog(pri, "%s", msg);
	errno = saved;
}

#define LOGFN(name, pri, level, en)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	 ap;						\
								\
	if (log_verbose < (level))				\
		return;						\
	va_start(ap, fmt);					\
	vlog(pri, fmt, ap, en);					\
	va_end(ap);						\
}

LOGFN(log_debug, LOG_DEBUG, 2, 0)
LOGFN(log_info, LOG_INFO, 1, 0)
LOGFN(log_notice, LOG_NOTICE, 0, 0)
LOGFN(log_warn, LOG_WARNING, 0, 1)
LOGFN(log_warnx, LOG_WARNING, 0, 0)
LOGFN(log_err, LOG_ERR, 0, 1)
LOGFN(log_errx, LOG_ERR, 0, 0)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(70);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(70);
}

void
panic(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	abort();
}

const char *
log_safe(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t		 o = 0, i;
	unsigned char	 c;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < len && i < LOG_SAFE_MAX; i++) {
		c = (unsigned char)src[i];
		if (o + 5 >= dstlen)
			break;
		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x", c);
	}
	if (i < len && o + 4 < dstlen) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}
