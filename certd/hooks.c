/*
 * hooks.c - runs hook programs (dns-01 and deploy hooks): execve with an
 * argv array and a minimal environment, stdin from /dev/null, a timeout
 * enforced on the whole process group, and a bound on the output kept.
 * The hook and its output are untrusted: the output is stored, never parsed.
 */
#include "hooks.h"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

#define HOOKS_PATH	 "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define HOOKS_ENV_MAX	 128		/* variables passed to a hook */
#define HOOKS_GRACE	 2000		/* ms from SIGTERM to SIGKILL */
#define HOOKS_TICK	 50		/* ms between exit checks, no pidfd */
#define HOOKS_READ_BURST 16		/* reads of 4 KiB per wakeup */
#define HOOKS_DRAIN_MAX	 (1024 * 1024)	/* bytes read once the hook exited */
#define HOOKS_FD_MAX	 65536		/* fds closed by hand in the child */

/* execve() wants char *const []: the strings are not written to */
union argv_u {
	const char *const	*c;
	char *const		*v;
};

void
hooks_child_exec(const char *const argv[], const char *const envp[], int in,
    int out, long maxfd, bool new_session)
{
	static const char	 msg[] = "exec failed\n";
	struct sigaction	 sa;
	sigset_t		 none;
	union argv_u		 a, e;
	ssize_t			 w;
	long			 fd;
	int			 sig;

	/* own process group, for the timeout; a session as well when a
	 * pseudo-terminal is to become the controlling terminal */
	if (new_session)
		(void)setsid();
	else
		(void)setpgid(0, 0);	/* the parent does it as well */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	/* in and out are >= 3, so these cannot clobber each other; dup2
	 * clears FD_CLOEXEC on the copies */
	if (dup2(in, STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1 ||
	    dup2(out, STDERR_FILENO) == -1)
		_exit(127);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == -1)
#endif
		for (fd = 3; fd <= maxfd; fd++)
			(void)close((int)fd);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	a.c = argv;
	e.c = envp;
	(void)execve(argv[0], a.v, e.v);
	w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)w;		/* nobody to tell if that fails */
	_exit(127);
}

/* True once the hook (not its descendants) has exited; it stays a
 * zombie, so its pid and process group cannot be reused meanwhile. */
static bool
has_exited(pid_t pid)
{
	siginfo_t	 si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1)
		return errno != EINTR;	/* ECHILD: reaped behind our back */
	return si.si_pid == pid;
}

/* Reads a burst from the pipe, keeping what fits in out. Returns 0 at EOF
 * (or on error), 1 when the pipe is empty for now, 2 if more may wait. */
static int
read_burst(int fd, struct buf *out, size_t *total, bool *nomem)
{
	char	 tmp[4096];
	ssize_t	 n;
	size_t	 keep;
	int	 i;

	for (i = 0; i < HOOKS_READ_BURST; i++) {
		if ((n = read(fd, tmp, sizeof(tmp))) == -1)
			return errno == EAGAIN || errno == EINTR ? 1 : 0;
		if (n == 0)
			return 0;
		*total += (size_t)n;
		keep = out->max - out->len;	/* the rest is discarded */
		if (keep > (size_t)n)
			keep = (size_t)n;
		if (keep > 0 && buf_append(out, tmp, keep) == -1)
			*nomem = true;
	}
	return 2;
}

/* Waits up to ms for the pipe or the hook's exit (pidfd may be -1; tick:
 * look again for an exit soon), reading what comes. *rfd becomes -1 at
 * EOF. */
static void
wait_some(int *rfd, int pidfd, bool tick, int64_t ms, struct buf *out,
    size_t *total, bool *nomem)
{
	struct pollfd	 p[2];
	nfds_t		 n = 0;

	if (tick && ms > HOOKS_TICK)
		ms = HOOKS_TICK;
	if (*rfd != -1) {
		p[n].fd = *rfd;
		p[n++].events = POLLIN;
	}
	if (pidfd != -1) {
		p[n].fd = pidfd;
		p[n++].events = POLLIN;
	}
	if (poll(p, n, (int)ms) == -1)
		return;			/* EINTR; nothing else is expected */
	if (*rfd != -1 && read_burst(*rfd, out, total, nomem) == 0) {
		(void)close(*rfd);
		*rfd = -1;
	}
}

/* Moves fd to a number >= 3 (close-on-exec), closing the original. */
static int
above_stdio(int fd)
{
	int	 nfd;

	if (fd == -1 || fd > STDERR_FILENO)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	(void)close(fd);
	return nfd;
}

static int
check_program(const char *path, struct cd_err *err)
{
	struct stat	 st;

	if (path == NULL || path[0] != '/')
		return cd_err_set(err, CD_ECONFIG, "hook %s: not an absolute "
		    "path", path == NULL ? "(none)" : path);
	if (stat(path, &st) == -1)
		return cd_err_set(err, CD_ECONFIG, "hook %s: %s", path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0 ||
	    access(path, X_OK) == -1)
		return cd_err_set(err, CD_ECONFIG, "hook %s: not an executable "
		    "file", path);
	return 0;
}

int
hooks_run(const char *const argv[], const char *const env[],
    unsigned timeout, struct hooks_result *res, struct cd_err *err)
{
	const char	**envp = NULL;
	struct buf	 out;
	sigset_t	 all, old;
	int64_t		 deadline, grace, now;
	size_t		 nenv = 0, i, total = 0;
	long		 maxfd;
	pid_t		 pid = -1;
	int		 pfd[2] = { -1, -1 }, devnull = -1, pidfd = -1;
	int		 status, rc = -1, r;
	bool		 nomem = false, exited;

	memset(res, 0, sizeof(*res));
	buf_init(&out, HOOKS_OUTPUT_MAX);
	if (check_program(argv == NULL ? NULL : argv[0], err) == -1)
		return -1;
	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (env[i][0] == '=' || strchr(env[i], '=') == NULL)
			return cd_err_set(err, CD_ECONFIG, "hook %s: bad "
			    "environment entry", argv[0]);
	if (i > HOOKS_ENV_MAX)
		return cd_err_set(err, CD_ECONFIG, "hook %s: %zu environment "
		    "variables", argv[0], i);
	if ((envp = calloc(i + 2, sizeof(*envp))) == NULL)
		return cd_err_set(err, CD_ENOMEM, "hook %s: calloc", argv[0]);
	envp[nenv++] = HOOKS_PATH;
	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], "PATH=", 5) != 0)	/* ours wins */
			envp[nenv++] = env[i];
	if (timeout == 0)
		timeout = HOOKS_TIMEOUT_DEFAULT;
	maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > HOOKS_FD_MAX)
		maxfd = HOOKS_FD_MAX;

	devnull = above_stdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (devnull == -1 || pipe(pfd) == -1) {
		cd_err_sys(err, "hook %s: pipe", argv[0]);
		goto out;
	}
	pfd[0] = above_stdio(pfd[0]);
	pfd[1] = above_stdio(pfd[1]);
	if (pfd[0] == -1 || pfd[1] == -1 ||
	    fcntl(pfd[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(pfd[1], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(pfd[0], F_SETFL, O_NONBLOCK) == -1) {
		cd_err_sys(err, "hook %s: pipe", argv[0]);
		goto out;
	}
	/* no handler of ours may run in the child before it resets them */
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	deadline = util_now_ms() + (int64_t)timeout * 1000;
	if ((pid = fork()) == 0)
		hooks_child_exec(argv, envp, devnull, pfd[1], maxfd, false);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		cd_err_sys(err, "hook %s: fork", argv[0]);
		goto out;
	}
	(void)setpgid(pid, pid);	/* before kill(-pid) can be needed */
	(void)close(pfd[1]);
	pfd[1] = -1;
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0U);	/* -1: tick */
#endif

	while (!has_exited(pid)) {
		now = util_now_ms();
		if (now >= deadline) {
			res->timed_out = 1;
			break;
		}
		wait_some(&pfd[0], pidfd, pidfd == -1, deadline - now, &out,
		    &total, &nomem);
	}
	if (res->timed_out) {
		(void)kill(-pid, SIGTERM);
		/* the grace period ends early once the hook has exited and
		 * nothing of its group holds the pipe any more */
		grace = util_now_ms() + HOOKS_GRACE;
		for (;;) {
			exited = has_exited(pid);
			now = util_now_ms();
			if ((exited && pfd[0] == -1) || now >= grace)
				break;
			wait_some(&pfd[0], exited ? -1 : pidfd,
			    !exited && pidfd == -1, grace - now, &out, &total,
			    &nomem);
		}
		/* also whatever of the group ignored SIGTERM, and the hook
		 * itself should it have left its group */
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
	} else {
		/* what the hook wrote before exiting; descendants that keep
		 * the pipe open do not hold us up */
		r = 2;
		total = 0;
		while (pfd[0] != -1 && r == 2 && total < HOOKS_DRAIN_MAX)
			r = read_burst(pfd[0], &out, &total, &nomem);
	}
	while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		;
	if (r == -1) {
		cd_err_sys(err, "hook %s: wait", argv[0]);
		goto out;
	}
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
	if (nomem || buf_take(&out, &res->output, &res->len) == -1) {
		cd_err_set(err, CD_ENOMEM, "hook %s: output", argv[0]);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		hooks_result_clear(res);
	buf_clear(&out);
	free(envp);
	if (pidfd != -1)
		(void)close(pidfd);
	if (pfd[0] != -1)
		(void)close(pfd[0]);
	if (pfd[1] != -1)
		(void)close(pfd[1]);
	if (devnull != -1)
		(void)close(devnull);
	return rc;
}

void
hooks_result_clear(struct hooks_result *res)
{
	if (res == NULL)
		return;
	free(res->output);
	res->output = NULL;
	res->len = 0;
	res->status = 0;
	res->timed_out = 0;
}
