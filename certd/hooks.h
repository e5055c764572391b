/*
 * hooks.h - running an external program safely: execve with an argv
 * array (never a shell), a minimal environment (fixed PATH plus the given
 * CERTD_* variables), stdin from /dev/null, a timeout, and stdout+stderr
 * captured up to a bound. Used for dns-01 hooks and deploy hooks.
 */
#ifndef CERTD_HOOKS_H
#define CERTD_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define HOOKS_OUTPUT_MAX	(64 * 1024)	/* bytes kept of the output */
#define HOOKS_TIMEOUT_DEFAULT	120		/* seconds */
#define HOOKS_EX_TEMPFAIL	75

struct hooks_result {
	int	 status;	/* exit status, or 128+signal */
	char	*output;	/* NUL-terminated, at most HOOKS_OUTPUT_MAX */
	size_t	 len;
	int	 timed_out;
};

/* Runs argv[0] (an absolute path to an executable regular file) with
 * argv and env ("NAME=value" strings, NULL-terminated; PATH is set by
 * hooks_run). Returns 0 when the program ran (whatever its exit status;
 * see res), -1 when it could not be run. On timeout the process group is
 * killed (SIGTERM, then SIGKILL) and res->timed_out is set. */
int	hooks_run(const char *const argv[], const char *const env[],
	    unsigned timeout, struct hooks_result *, struct cd_err *);
void	hooks_result_clear(struct hooks_result *);
/* In a child between fork() and execve() (async-signal-safe only): own
 * process group (new_session: own session, so that a pseudo-terminal on
 * out becomes the controlling terminal), default signal dispositions and
 * an empty mask, stdin from in, stdout and stderr to out, every other
 * descriptor up to maxfd closed, then execve(argv[0], argv, envp).
 * Never returns: exit status 127 when execve fails. */
void	hooks_child_exec(const char *const argv[], const char *const envp[],
	    int in, int out, long maxfd, bool new_session)
	    __attribute__((noreturn));

#endif
