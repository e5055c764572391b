/*
 * solver.c - the plumbing shared by the challenge responders: bind and
 * listen in the caller's process, then fork a child that serves untrusted
 * peers (the CA's validation servers, or anyone) with a poll() loop until
 * it is killed. Protocols plug in through struct acme_solver_ops.
 */
#include "acme_int.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SOLVER_BACKLOG	64

struct acme_responder {
	pid_t	 pid;
	int	 fd;		/* the listening socket, kept until stop */
};

struct conn {
	int	 fd;
	void	*state;
	short	 events;
	int64_t	 deadline;	/* CLOCK_MONOTONIC, milliseconds */
};

int64_t
acme_now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
set_nonblock(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

static void
drop(const struct acme_solver_ops *ops, struct conn *c, size_t *n, size_t i)
{
	ops->close(ops->arg, c[i].state);
	(void)close(c[i].fd);
	c[i] = c[--*n];
}

/* The child's loop; never returns. Peers are hostile: each connection
 * is bounded in time here and in size by the protocol. */
static void
serve(int lfd, const struct acme_solver_ops *ops)
{
	struct pollfd	 pfd[ACME_SOLVER_CONN_MAX + 1];
	struct conn	*c;
	size_t		 n = 0, np, i;
	int64_t		 now, wait;
	void		*st;
	int		 fd;

	if ((c = calloc(ACME_SOLVER_CONN_MAX, sizeof(*c))) == NULL)
		_exit(1);
	for (;;) {
		now = acme_now_ms();
		wait = -1;
		for (i = 0; i < n; ) {
			if (c[i].deadline <= now) {
				drop(ops, c, &n, i);	/* slow peer */
				continue;
			}
			pfd[i].fd = c[i].fd;
			pfd[i].events = c[i].events;
			pfd[i].revents = 0;
			if (wait == -1 || c[i].deadline - now < wait)
				wait = c[i].deadline - now;
			i++;
		}
		np = n;
		/* when every slot is taken, new peers wait in the backlog */
		pfd[np].fd = np < ACME_SOLVER_CONN_MAX ? lfd : -1;
		pfd[np].events = POLLIN;
		pfd[np].revents = 0;
		if (poll(pfd, np + 1, (int)wait) == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		/* downwards, so that drop() only moves entries already seen */
		for (i = np; i-- > 0; )
			if (pfd[i].revents != 0 && ops->step(ops->arg,
			    c[i].state, c[i].fd, &c[i].events) == -1)
				drop(ops, c, &n, i);
		if ((pfd[np].revents & POLLIN) == 0)
			continue;
		now = acme_now_ms();
		while (n < ACME_SOLVER_CONN_MAX) {
			if ((fd = accept(lfd, NULL, NULL)) == -1)
				break;		/* EAGAIN, or a peer gone */
			if (set_nonblock(fd) == -1 ||
			    (st = ops->open(ops->arg, fd)) == NULL) {
				(void)close(fd);
				continue;
			}
			c[n].fd = fd;
			c[n].state = st;
			c[n].events = POLLIN;
			c[n].deadline = now + ACME_SOLVER_TIMEOUT * 1000;
			n++;
		}
	}
}

/* Fills sa from the text address; any address is IPv6 "::" (dual stack)
 * when v6 is set, else IPv4 0.0.0.0. */
static int
parse_addr(const char *addr, bool v6any, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (addr == NULL || *addr == '\0' || strcmp(addr, "*") == 0) {
		if (v6any) {
			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_any;
			*sslen = sizeof(*s6);
		} else {
			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
			*sslen = sizeof(*s4);
		}
		return 0;
	}
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*sslen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*sslen = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int
listen_on(const char *what, const char *addr, unsigned port, int *out,
    struct acme_err *err)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 name[INET6_ADDRSTRLEN + 16];
	const char		*a;
	int			 fd = -1, on = 1, off = 0;
	bool			 any;

	any = addr == NULL || *addr == '\0' || strcmp(addr, "*") == 0;
	a = any ? "*" : addr;
	if (strlen(a) >= INET6_ADDRSTRLEN)
		return acme_err_set(err, ACME_EUSAGE, "%s: bad address", what);
	if (strchr(a, ':') != NULL)
		(void)snprintf(name, sizeof(name), "[%s]:%u", a, port);
	else
		(void)snprintf(name, sizeof(name), "%s:%u", a, port);
	if (port == 0 || port > 65535)
		return acme_err_set(err, ACME_EUSAGE, "%s: %s: bad port",
		    what, name);
	if (parse_addr(addr, true, &ss, &sslen) == -1)
		return acme_err_set(err, ACME_EUSAGE, "%s: %s: bad address",
		    what, name);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 && any && errno == EAFNOSUPPORT) {
		/* no IPv6 in this kernel: any IPv4 address will do */
		(void)parse_addr(addr, false, &ss, &sslen);
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (fd == -1)
		return acme_err_sys(err, "%s: %s: socket", what, name);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (any && ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &off, sizeof(off)) == -1)) {
		acme_err_sys(err, "%s: %s: setsockopt", what, name);
		goto fail;
	}
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		acme_err_sys(err, "%s: %s: bind", what, name);
		goto fail;
	}
	if (listen(fd, SOLVER_BACKLOG) == -1 || set_nonblock(fd) == -1) {
		acme_err_sys(err, "%s: %s: listen", what, name);
		goto fail;
	}
	*out = fd;
	return 0;
fail:
	(void)close(fd);
	return -1;
}

/* In the child, before serving: only the listening socket besides stdio
 * (the caller's locks, pipes and connections are not ours to hold),
 * default or ignored signal dispositions, SIGTERM always deadly, and
 * death with the parent (PR_SET_PDEATHSIG; the getppid() check closes
 * the race with a parent that died already). */
static void
child_setup(pid_t parent, int keep)
{
	struct sigaction	 sa, old;
	sigset_t		 none;
	int			 sig;

#ifdef SYS_close_range
	if (keep > 3)
		(void)syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U);
	(void)syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U);
#endif
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &old) == -1)
			continue;
		if (old.sa_handler != SIG_IGN || sig == SIGTERM) {
			sa.sa_handler = SIG_DFL;
			(void)sigaction(sig, &sa, NULL);
		}
	}
	sa.sa_handler = SIG_IGN;	/* a peer that hangs up is no reason */
	(void)sigaction(SIGPIPE, &sa, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
		_exit(1);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

struct acme_responder *
acme_solver_start(const char *what, const char *addr, unsigned port,
    const struct acme_solver_ops *ops, struct acme_err *err)
{
	struct acme_responder	*r;
	sigset_t		 all, old;
	pid_t			 self = getpid();
	int			 fd = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		acme_err_set(err, ACME_ENOMEM, "%s: calloc", what);
		return NULL;
	}
	if (listen_on(what, addr, port, &fd, err) == -1) {
		free(r);
		return NULL;
	}
	/* blocked across fork(): a stop right after start stays pending
	 * until the child has made SIGTERM deadly */
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	r->pid = fork();
	if (r->pid == 0) {
		child_setup(self, fd);
		serve(fd, ops);
		_exit(1);		/* not reached; no atexit handlers */
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (r->pid == -1) {
		acme_err_sys(err, "%s: fork", what);
		(void)close(fd);
		free(r);
		return NULL;
	}
	r->fd = fd;
	return r;
}

void
acme_responder_stop(struct acme_responder *r)
{
	int	 st;

	if (r == NULL)
		return;
	(void)kill(r->pid, SIGTERM);
	while (waitpid(r->pid, &st, 0) == -1 && errno == EINTR)
		;
	(void)close(r->fd);
	free(r);
}
