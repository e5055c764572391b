/*
 * log.h - logging for the certd programs: stderr when in the foreground,
 * syslog otherwise. Format: "program: subject: what happened[: detail]".
 */
#ifndef CERTD_LOG_H
#define CERTD_LOG_H

#include <stddef.h>

#define LOG_SAFE_MAX	200	/* bytes of untrusted text kept by log_safe */

/* Global verbosity: 0 notice and above, 1 info, 2 debug. */
extern int	log_verbose;

void	log_init(const char *progname, int facility, int foreground);
const char *log_progname(void);
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Startup code only: log and exit(1) (70 for fatal after startup). */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));
/* A broken invariant: log and abort() for a core dump. */
void	panic(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));
/* Escapes non-printables of untrusted text into dst and truncates to
 * LOG_SAFE_MAX bytes; returns dst. dstlen should be >= 4 * LOG_SAFE_MAX. */
const char *log_safe(char *dst, size_t dstlen, const char *src, size_t len);

#endif
