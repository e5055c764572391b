/*
 * err.h - the one error convention of certd/: a fallible function returns
 * 0 or -1 and fills the caller's struct cd_err (which may be NULL) once,
 * at the place that detected the problem.
 */
#ifndef CERTD_ERR_H
#define CERTD_ERR_H

#include <stddef.h>
#include <time.h>

#define CD_ERR_MSG	1024	/* bytes, including NUL */

enum cd_errkind {
	CD_EOK = 0,
	CD_ENOMEM,	/* allocation failed */
	CD_ESYS,	/* system call failed; sys_errno holds errno */
	CD_EPROTO,	/* peer data malformed or oversized */
	CD_ECRYPTO,	/* OpenSSL failure; its error queue is in msg */
	CD_ETEMP,	/* retryable; retry_after in seconds (0: unknown) */
	CD_ECONFIG,	/* configuration error */
	CD_EUSAGE,	/* bad command line */
	CD_ENET,	/* no answer from a server: connection, TLS, timeout */
	CD_ESERVER,	/* the ACME server refused (problem document) */
	CD_ENOTFOUND,	/* the named object does not exist */
	CD_EINSTALL,	/* installing into an MTA failed (exit 1) */
};

struct cd_err {
	enum cd_errkind	kind;
	int		sys_errno;
	int		http_status;	/* 0: none */
	time_t		retry_after;	/* seconds; CD_ETEMP only */
	char		type[128];	/* ACME problem type URN or "" */
	char		msg[CD_ERR_MSG];
};

struct acme_err;

/* Fill err (if not NULL) with kind and a printf message; returns -1. */
int	cd_err_set(struct cd_err *, enum cd_errkind, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* CD_ESYS with ": strerror(errno)" appended; saves errno first. */
int	cd_err_sys(struct cd_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* CD_ECRYPTO; drains the OpenSSL error queue into the message. */
int	cd_err_crypto(struct cd_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Convert an acme_err, prefixing "prefix: " (prefix may be NULL). */
int	cd_err_from_acme(struct cd_err *, const struct acme_err *,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
/* Reset to "no error". */
void	cd_err_clear(struct cd_err *);

#endif
