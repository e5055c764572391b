/*
 * install.c - runs the installation of a certificate version into MTAs:
 * place, configure, check, reload, verify over the network, and rollback
 * on failure; then the deploy hooks; and the helpers the adapters share
 * (running their programs, files and saved copies, checks before place).
 * Trusts the state directory (read as root) and the configured paths;
 * MTA output, hook output and what the MTA serves are untrusted: only
 * compared, escaped and cut.
 */
#include "install.h"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "cert.h"
#include "file.h"
#include "hooks.h"
#include "keys.h"
#include "log.h"
#include "revocation/chain.h"
#include "revocation/probe.h"
#include "util.h"

#define EXEC_PATH	"PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define EXEC_GRACE	2000	/* ms from SIGTERM to SIGKILL */
#define EXEC_TICK	50	/* ms between exit checks */
#define EXEC_FD_MAX	65536	/* fds closed by hand in the child */
#define VERIFY_FIRST_MS	100	/* first pause between verify attempts */
#define VERIFY_MAX_MS	1000	/* longest pause */
#define HOOK_ENV_MAX	16

static const struct mta_ops *const adapters[] = {
	&mta_postfix, &mta_exim, &mta_dovecot,
};
#define NADAPTERS	(sizeof(adapters) / sizeof(adapters[0]))

static void
sleep_ms(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

const struct mta_ops *
install_find(const char *mta)
{
	size_t	 i;

	if (mta == NULL)
		return NULL;
	for (i = 0; i < NADAPTERS; i++)
		if (strcmp(adapters[i]->name, mta) == 0)
			return adapters[i];
	return NULL;
}

static bool
port_is_implicit_tls(unsigned port)
{
	return port == 465 || port == 993 || port == 995;
}

void
install_target_init(struct install_target *t, const char *mta)
{
	const struct mta_ops	*ops;

	memset(t, 0, sizeof(*t));
	t->mta = mta;
	t->verify_host = "127.0.0.1";
	t->verify_port = 25;
	t->verify_timeout_ms = INSTALL_VERIFY_TIMEOUT;
	if ((ops = install_find(mta)) != NULL && ops->defaults != NULL)
		ops->defaults(t);
	t->verify_starttls = !port_is_implicit_tls(t->verify_port);
}

/* --- running MTA programs on a pseudo-terminal --- */

/* what MTA programs get as their environment */
static const char *const exec_envp[] = { EXEC_PATH, "LC_ALL=C", NULL };

/* Reads what is there from the pty master; false at EOF/EIO (Linux says
 * EIO once no slave is open). Bytes past the buffer's limit are read and
 * dropped so that the program never blocks on a full terminal. */
static bool
exec_read(int fd, struct buf *b, bool *nomem)
{
	char	 tmp[4096];
	ssize_t	 n;
	size_t	 keep;
	int	 i;

	for (i = 0; i < 16; i++) {
		if ((n = read(fd, tmp, sizeof(tmp))) == -1)
			return errno == EAGAIN || errno == EINTR;
		if (n == 0)
			return false;
		keep = b->max - b->len;
		if (keep > (size_t)n)
			keep = (size_t)n;
		if (keep > 0 && buf_append(b, tmp, keep) == -1)
			*nomem = true;
	}
	return true;
}

static bool
exec_exited(pid_t pid)
{
	siginfo_t	 si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1)
		return errno != EINTR;
	return si.si_pid == pid;
}

/* Escapes src (len bytes) into dst: printable ASCII kept, the rest \xNN,
 * cut at dstlen - 1 (and at a whole escape). */
static void
escape_line(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t	 i, o = 0;
	unsigned char c;

	for (i = 0; i < len && o + 5 < dstlen; i++) {
		c = (unsigned char)src[i];
		if (c >= 0x20 && c < 0x7f)
			dst[o++] = (char)c;
		else {
			(void)snprintf(dst + o, dstlen - o, "\\x%02x", c);
			o += 4;
		}
	}
	dst[o] = '\0';
}

/* The most telling line of a program's output: the first that reports
 * a fatal error, else the first error, else the last non-empty one. */
static void
best_line(const char *out, size_t len, char *dst, size_t dstlen)
{
	static const char	*const marks[] = { "fatal:", "panic:",
	    "error:", "Error", "failed" };
	const char		*p, *e, *end = out + len, *last = NULL;
	const char		*hit[5] = { NULL, NULL, NULL, NULL, NULL };
	size_t			 lastlen = 0, hitlen[5] = { 0, 0, 0, 0, 0 }, m;

	dst[0] = '\0';
	for (p = out; p < end; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (e > p) {
			last = p;
			lastlen = (size_t)(e - p);
			for (m = 0; m < 5; m++)
				if (hit[m] == NULL && util_find(p, e, marks[m],
				    strlen(marks[m])) != NULL) {
					hit[m] = p;
					hitlen[m] = (size_t)(e - p);
				}
		}
		if (e == end)
			break;
	}
	for (m = 0; m < 5; m++)
		if (hit[m] != NULL) {
			escape_line(dst, dstlen, hit[m], hitlen[m]);
			return;
		}
	if (last != NULL)
		escape_line(dst, dstlen, last, lastlen);
}

/* fd moved to a number > 2 with close-on-exec (even when certd was
 * started with stdio closed), the original closed; -1 on failure. */
static int
above_stdio(int fd)
{
	int	 nfd;

	if (fd == -1)
		return -1;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	(void)close(fd);
	return nfd;
}

static const char *
base_name(const char *path)
{
	const char	*s = strrchr(path, '/');

	return s == NULL ? path : s + 1;
}

int
install_exec(const char *const argv[], unsigned timeout, char **outp,
    struct cd_err *err)
{
	struct buf	 out;
	struct termios	 tio;
	struct pollfd	 pfd;
	sigset_t	 all, old;
	char		 line[INSTALL_MSG_MAX];
	int64_t		 deadline, grace;
	long		 maxfd;
	pid_t		 pid = -1;
	int		 mfd = -1, sfd = -1, devnull = -1, status, r, rc = -1;
	bool		 nomem = false, timed_out = false, open_ = true;
	char		*o, *w;
	size_t		 i;

	if (outp != NULL)
		*outp = NULL;
	buf_init(&out, INSTALL_OUTPUT_MAX);
	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/')
		return cd_err_set(err, CD_ECONFIG, "%s: not an absolute path",
		    argv == NULL || argv[0] == NULL ? "(none)" : argv[0]);
	if (access(argv[0], X_OK) == -1)
		return cd_err_sys(err, "%s", argv[0]);
	if (timeout == 0)
		timeout = INSTALL_TIMEOUT;
	maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > EXEC_FD_MAX)
		maxfd = EXEC_FD_MAX;
	if (openpty(&mfd, &sfd, NULL, NULL, NULL) == -1 ||
	    (mfd = above_stdio(mfd)) == -1 ||
	    (sfd = above_stdio(sfd)) == -1) {
		cd_err_sys(err, "%s: pseudo-terminal", argv[0]);
		goto out;
	}
	/* no "\n" -> "\r\n", no echo: the output as the program wrote it */
	if (tcgetattr(sfd, &tio) == 0) {
		tio.c_oflag &= ~(tcflag_t)OPOST;
		tio.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG);
		(void)tcsetattr(sfd, TCSANOW, &tio);
	}
	if ((devnull = above_stdio(open("/dev/null", O_RDONLY |
	    O_CLOEXEC))) == -1 || fcntl(mfd, F_SETFL, O_NONBLOCK) == -1) {
		cd_err_sys(err, "%s: /dev/null", argv[0]);
		goto out;
	}
	/* sfd and devnull are > 2: the child's dup2()s cannot collide */
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	deadline = util_now_ms() + (int64_t)timeout * 1000;
	if ((pid = fork()) == 0)
		hooks_child_exec(argv, exec_envp, devnull, sfd, maxfd, true);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		cd_err_sys(err, "%s: fork", argv[0]);
		goto out;
	}
	(void)close(sfd);
	sfd = -1;
	while (!exec_exited(pid)) {
		if (util_now_ms() >= deadline) {
			timed_out = true;
			break;
		}
		pfd.fd = mfd;
		pfd.events = POLLIN;
		if (open_ && poll(&pfd, 1, EXEC_TICK) > 0)
			open_ = exec_read(mfd, &out, &nomem);
		else if (!open_)
			sleep_ms(EXEC_TICK);
	}
	if (timed_out) {
		(void)kill(-pid, SIGTERM);
		grace = util_now_ms() + EXEC_GRACE;
		while (!exec_exited(pid) && util_now_ms() < grace)
			sleep_ms(EXEC_TICK);
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
	}
	/* what it wrote before exiting: the pty hands it to our side
	 * asynchronously, so wait a tick for more (a zero timeout lost the
	 * end of exim -bV's report about 1 run in 200); descendants holding
	 * the terminal (a daemon it started) hold us up 64 ticks at most */
	for (i = 0; open_ && i < 64; i++) {
		pfd.fd = mfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, EXEC_TICK) <= 0)
			break;
		open_ = exec_read(mfd, &out, &nomem);
	}
	while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		;
	if (r == -1) {
		cd_err_sys(err, "%s: wait", argv[0]);
		goto out;
	}
	if (nomem) {
		cd_err_set(err, CD_ENOMEM, "%s: output", argv[0]);
		goto out;
	}
	/* CRs out (a terminal may still add them) */
	o = out.data;
	if (o != NULL) {
		for (w = o, i = 0; i < out.len; i++)
			if (o[i] != '\r')
				*w++ = o[i];
		out.len = (size_t)(w - o);
		o[out.len] = '\0';
	}
	best_line(out.data == NULL ? "" : out.data, out.len, line,
	    sizeof(line));
	if (timed_out)
		cd_err_set(err, CD_EINSTALL, "%s: timed out after %u s%s%s",
		    base_name(argv[0]), timeout, line[0] != '\0' ? ": " : "",
		    line);
	else if (WIFSIGNALED(status))
		cd_err_set(err, CD_EINSTALL, "%s: killed by signal %d%s%s",
		    base_name(argv[0]), WTERMSIG(status),
		    line[0] != '\0' ? ": " : "", line);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (line[0] != '\0')
			cd_err_set(err, CD_EINSTALL, "%s", line);
		else
			cd_err_set(err, CD_EINSTALL, "%s: exit %d",
			    base_name(argv[0]), WIFEXITED(status) ?
			    WEXITSTATUS(status) : -1);
	} else
		rc = 0;
	if (outp != NULL && buf_take(&out, outp, NULL) == -1) {
		rc = cd_err_set(err, CD_ENOMEM, "%s: output", argv[0]);
		goto out;
	}
out:
	buf_clear(&out);
	if (mfd != -1)
		(void)close(mfd);
	if (sfd != -1)
		(void)close(sfd);
	if (devnull != -1)
		(void)close(devnull);
	return rc;
}

/* --- files --- */

/*
 * mkdir -p with 0755 for the levels it creates, whatever the umask (077
 * in certd): an MTA that reads as its own user (Debian-exim) must be able
 * to traverse them; the files themselves carry the restrictive modes.
 */
static int
mkdirs(const char *path, struct cd_err *err)
{
	char	 buf[PATH_MAX], c;
	char	*p;
	size_t	 len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return cd_err_set(err, CD_ECONFIG, "%s: bad path", path);
	memcpy(buf, path, len + 1);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			c = *p;
			*p = '\0';
			if (mkdir(buf, 0755) == 0) {
				if (chmod(buf, 0755) == -1)
					return cd_err_sys(err, "%s: chmod",
					    buf);
			} else if (errno != EEXIST)
				return cd_err_sys(err, "%s: mkdir", buf);
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	return 0;
}

int
install_file_put(const char *dir, const char *name, const void *data,
    size_t len, uid_t uid, gid_t gid, mode_t mode, struct cd_err *err)
{
	char	 tmp[NAME_MAX + 1];
	int	 dfd = -1, fd = -1, cl, rc = -1;

	if (strchr(name, '/') != NULL || name[0] == '.' ||
	    snprintf(tmp, sizeof(tmp), ".%s.certd-new", name) >=
	    (int)sizeof(tmp))
		return cd_err_set(err, CD_ECONFIG, "%s/%s: bad file name", dir,
		    name);
	if (mkdirs(dir, err) == -1)
		return -1;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return cd_err_sys(err, "%s", dir);
	(void)unlinkat(dfd, tmp, 0);		/* debris from a crash */
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	/* owner and mode before the data: no instant with a wrong one */
	if (fd == -1 || (uid != (uid_t)-1 && fchown(fd, uid, (gid_t)-1) ==
	    -1) || (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) == -1) ||
	    fchmod(fd, mode) == -1 || write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		cd_err_sys(err, "%s/%s: create", dir, tmp);
		goto out;
	}
	cl = close(fd);
	fd = -1;
	if (cl == -1 || renameat(dfd, tmp, dfd, name) == -1 ||
	    fsync(dfd) == -1) {
		cd_err_sys(err, "%s/%s: replace", dir, name);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		(void)close(fd);
	if (rc == -1)
		(void)unlinkat(dfd, tmp, 0);
	(void)close(dfd);
	return rc;
}

int
install_file_get(const char *dir, const char *name, char **out,
    size_t *lenp, mode_t *mode, uid_t *uid, gid_t *gid, struct cd_err *err)
{
	struct stat	 st;
	char		 path[PATH_MAX], *data = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	*out = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return cd_err_set(err, CD_ECONFIG, "%s/%s: path too long", dir,
		    name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return cd_err_sys(err, "%s", path);
	}
	if (fstat(fd, &st) == -1) {
		cd_err_sys(err, "%s", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > INSTALL_FILE_MAX) {
		cd_err_set(err, CD_ECONFIG, "%s: not a regular file of at most "
		    "%d bytes", path, INSTALL_FILE_MAX);
		goto fail;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (len <= (size_t)st.st_size) {
		n = read(fd, data + len, (size_t)st.st_size + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cd_err_sys(err, "%s", path);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len != (size_t)st.st_size) {
		cd_err_set(err, CD_ESYS, "%s: changed while read", path);
		goto fail;
	}
	data[len] = '\0';
	(void)close(fd);
	*out = data;
	if (lenp != NULL)
		*lenp = len;
	if (mode != NULL)
		*mode = st.st_mode & 07777;
	if (uid != NULL)
		*uid = st.st_uid;
	if (gid != NULL)
		*gid = st.st_gid;
	return 0;
fail:
	if (data != NULL) {
		OPENSSL_cleanse(data, (size_t)st.st_size + 1);
		free(data);
	}
	(void)close(fd);
	return -1;
}

int
install_file_remove(const char *dir, const char *name, struct cd_err *err)
{
	char	 path[PATH_MAX];
	int	 dfd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return cd_err_set(err, CD_ECONFIG, "%s/%s: path too long", dir,
		    name);
	if (unlink(path) == -1 && errno != ENOENT)
		return cd_err_sys(err, "%s: remove", path);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		(void)close(dfd);
	}
	return 0;
}

int
install_ids(const struct install_target *t, const char *defgroup,
    uid_t *uid, gid_t *gid, struct cd_err *err)
{
	const struct passwd	*pw;
	const struct group	*gr;
	const char		*owner = t->owner != NULL ? t->owner : "root";
	const char		*group = t->group != NULL ? t->group : defgroup;

	if ((pw = getpwnam(owner)) == NULL)
		return cd_err_set(err, CD_ECONFIG, "install %s: unknown user "
		    "\"%s\"", t->mta, owner);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL)
			return cd_err_set(err, CD_ECONFIG, "install %s: "
			    "unknown group \"%s\"", t->mta, group);
		*gid = gr->gr_gid;
	}
	return 0;
}

int
install_place_check(const struct install_keyspec *ks,
    const struct install_target *t, const struct install_files *f,
    const char *dest, uid_t *uid, gid_t *gid, mode_t *mode,
    struct cd_err *err)
{
	size_t	 max = ks->max != 0 ? ks->max : SIZE_MAX;

	if (f->name == NULL || !util_is_safe_component(f->name))
		return cd_err_set(err, CD_ECONFIG, "%s: bad certificate name",
		    ks->who);
	if (f->fullchain == NULL || f->fulllen == 0 || f->key == NULL ||
	    f->keylen == 0 || f->fulllen > max || f->keylen > max)
		return cd_err_set(err, CD_ECONFIG, "%s: no certificate or "
		    "key%s", ks->who, ks->max != 0 ? ", or too large" : "");
	if (dest[0] != '/')
		return cd_err_set(err, CD_ECONFIG, "%s: %s: not an absolute "
		    "path", ks->who, dest);
	if (install_ids(t, ks->defgroup, uid, gid, err) == -1)
		return -1;
	*mode = t->key_mode != 0 ? t->key_mode : ks->defmode;
	if ((*mode & 0007) != 0 || (*mode & ~(mode_t)0777) != 0)
		return cd_err_set(err, CD_ECONFIG, "%s: mode %04o would let "
		    "anyone read the key", ks->who, (unsigned)*mode);
	return 0;
}

int
install_bin(const struct install_target *t, const char *prog, char *out,
    size_t outlen, struct cd_err *err)
{
	const char	*d = t->bin_dir != NULL ? t->bin_dir : "/usr/sbin";

	if (snprintf(out, outlen, "%s/%s", d, prog) >= (int)outlen)
		return cd_err_set(err, CD_ECONFIG, "%s/%s: path too long", d,
		    prog);
	return 0;
}

int
install_exec_args(const char *bin, const char *copt, const char *config,
    const char *const *args, char **out, struct cd_err *err)
{
	const char	*argv[INSTALL_ARGS_MAX + 4];
	size_t		 n = 0;

	if (out != NULL)
		*out = NULL;
	argv[n++] = bin;
	if (config != NULL) {
		argv[n++] = copt;
		argv[n++] = config;
	}
	for (; *args != NULL; args++) {
		if (n >= sizeof(argv) / sizeof(argv[0]) - 1)
			return cd_err_set(err, CD_ECONFIG, "%s: too many "
			    "arguments", bin);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	return install_exec(argv, INSTALL_TIMEOUT, out, err);
}

int
install_split_path(const char *path, char *dir, size_t dirlen,
    const char **base, struct cd_err *err)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL || slash[1] == '\0')
		return cd_err_set(err, CD_ECONFIG, "%s: not a file path",
		    path);
	if ((size_t)(slash - path) + 2 > dirlen)
		return cd_err_set(err, CD_ECONFIG, "%s: too long", path);
	if (slash == path)
		(void)snprintf(dir, dirlen, "/");
	else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	*base = slash + 1;
	return 0;
}

/* --- saved files --- */

int
install_saved_get(const char *dir, const char *name, struct install_saved *s,
    struct cd_err *err)
{
	return install_file_get(dir, name, &s->data, &s->len, &s->mode,
	    &s->uid, &s->gid, err);
}

int
install_saved_put(const char *dir, const char *name,
    const struct install_saved *s, struct cd_err *err)
{
	if (s->data == NULL)
		return install_file_remove(dir, name, err);
	return install_file_put(dir, name, s->data, s->len, s->uid, s->gid,
	    s->mode, err);
}

int
install_saved_backup(const char *dir, const char *name,
    const struct install_saved *s, char *bak, size_t baklen,
    struct cd_err *err)
{
	char		 ts[32];
	struct tm	 tm;
	time_t		 now = cd_now();

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm) == 0)
		return cd_err_set(err, CD_ECONFIG, "%s/%s: backup: clock",
		    dir, name);
	if (snprintf(bak, baklen, "%s.certd-backup-%s", name, ts) >=
	    (int)baklen)
		return cd_err_set(err, CD_ECONFIG, "%s: name too long", name);
	return install_file_put(dir, bak, s->data, s->len, s->uid, s->gid,
	    s->mode, err);
}

void
install_saved_clear(struct install_saved *s)
{
	if (s == NULL)
		return;
	if (s->data != NULL) {
		OPENSSL_cleanse(s->data, s->len);
		free(s->data);
	}
	memset(s, 0, sizeof(*s));
}

/* --- verification --- */

/* The probe's key type for the certificate PEM cert: the one a server
 * with certificates of several types (Postfix: RSA and ECDSA side by
 * side) shows a client that asks for it. */
static enum probe_key
key_kind(const char *cert, size_t len)
{
	switch (cert_key_id(cert, len)) {
	case EVP_PKEY_EC:
		return PROBE_KEY_EC;
	case EVP_PKEY_RSA:
		return PROBE_KEY_RSA;
	default:
		return PROBE_KEY_ANY;
	}
}

/* The SHA-256 of the leaf of type key the MTA serves at t's verify
 * address. */
static int
served_fpr(const struct install_target *t, enum probe_key key,
    char fpr[CHAIN_FPR_HEX], struct cd_err *err)
{
	struct probe_opts	 po;
	struct probe_result	 res;
	char			 port[PROBE_PORT_MAX];
	int			 rc = -1;

	memset(&po, 0, sizeof(po));
	memset(&res, 0, sizeof(res));
	(void)snprintf(port, sizeof(port), "%u", t->verify_port);
	po.host = t->verify_host;
	po.port = port;
	/* IMAPS/POP3S (dovecot): a bare TLS handshake, no SMTP at all */
	po.starttls = t->verify_starttls && !t->verify_tls_only;
	po.tls_only = t->verify_tls_only;
	po.helo_name = "localhost";
	po.timeout_ms = t->verify_timeout_ms > 0 ? t->verify_timeout_ms :
	    INSTALL_VERIFY_TIMEOUT;
	po.total_ms = po.timeout_ms;
	po.key = key;
	if (probe_run(&po, &res, err) == -1)
		return -1;
	if (res.chain == NULL || sk_X509_num(res.chain) < 1)
		cd_err_set(err, CD_EPROTO, "%s:%s: no certificate",
		    t->verify_host, port);
	else if (chain_fingerprint(sk_X509_value(res.chain, 0), fpr,
	    err) == 0)
		rc = 0;
	probe_result_clear(&res);
	return rc;
}

/* Retries for INSTALL_VERIFY_WAIT ms until the MTA serves want. */
static int
verify_wait(const struct install_target *t, enum probe_key key,
    const char *want, struct cd_err *err)
{
	struct cd_err	 e;
	char		 got[CHAIN_FPR_HEX];
	int64_t		 deadline = util_now_ms() + INSTALL_VERIFY_WAIT;
	long		 pause = VERIFY_FIRST_MS;

	for (;;) {
		cd_err_clear(&e);
		if (served_fpr(t, key, got, &e) == 0) {
			if (strcasecmp(got, want) == 0)
				return 0;
			cd_err_set(&e, CD_EINSTALL, "%s:%u serves sha256 "
			    "%.16s..., not %.16s...", t->verify_host,
			    t->verify_port, got, want);
		}
		if (util_now_ms() + pause >= deadline)
			break;
		sleep_ms(pause);
		pause = pause * 2 > VERIFY_MAX_MS ? VERIFY_MAX_MS : pause * 2;
	}
	return cd_err_set(err, CD_EINSTALL, "%s", e.msg);
}

int
install_run(const struct mta_ops *ops, const struct install_target *t,
    const struct install_files *f, struct cd_err *err)
{
	struct install_backup	*bk = NULL;
	struct cd_err		 e, e2;
	char			 old[CHAIN_FPR_HEX], rb[CD_ERR_MSG];
	const char		*step;
	enum probe_key		 key = key_kind(f->cert, f->certlen);
	bool			 have_old = false, reloaded = false;
	int			 n;

	cd_err_clear(&e);
	/* what is served now (of the same key type), to confirm it after a
	 * rollback */
	if (t->verify_port != 0 && served_fpr(t, key, old, &e2) == 0)
		have_old = true;
	else if (t->verify_port != 0)
		log_info("%s: install %s: nothing served before: %s", f->name,
		    t->mta, e2.msg);
	step = "place";
	if (ops->place(t, f, &bk, &e) == -1)
		return cd_err_set(err, CD_EINSTALL, "%s: install %s: place "
		    "failed: %s; nothing changed", f->name, t->mta, e.msg);
	log_info("%s: install %s: placed", f->name, t->mta);
	if (t->configure) {
		step = "configure";
		if (ops->configure == NULL) {
			cd_err_set(&e, CD_ECONFIG, "not supported; see certd "
			    "install --print-config %s", t->mta);
			goto fail;
		}
		if (ops->configure(t, f, bk, &e) == -1)
			goto fail;
	}
	step = "check";
	if (ops->check(t, &e) == -1)
		goto fail;
	step = "reload";
	reloaded = true;
	if (ops->reload(t, &e) == -1)
		goto fail;
	step = "verify";
	if (t->verify_port != 0 && verify_wait(t, key, f->sha256, &e) == -1)
		goto fail;
	log_info("%s: install %s: %s:%u serves sha256 %s", f->name, t->mta,
	    t->verify_host, t->verify_port, f->sha256);
	ops->backup_free(bk);
	return 0;

fail:
	/* put the previous files back, reload, confirm the old one */
	rb[0] = '\0';
	cd_err_clear(&e2);
	if (ops->restore(t, bk, &e2) == -1)
		n = snprintf(rb, sizeof(rb), "; restoring the previous files "
		    "failed too: %.300s", e2.msg);
	else {
		n = snprintf(rb, sizeof(rb), "; previous files restored");
		if (reloaded && ops->reload(t, &e2) == -1)
			n = snprintf(rb, sizeof(rb), "; previous files "
			    "restored, but reload failed: %.300s", e2.msg);
		else if (have_old && verify_wait(t, key, old, &e2) == 0)
			n = snprintf(rb, sizeof(rb), "; previous files "
			    "restored, previous certificate served");
		else if (have_old)
			n = snprintf(rb, sizeof(rb), "; previous files "
			    "restored, but %.300s", e2.msg);
	}
	(void)n;		/* a cut message is still the message */
	ops->backup_free(bk);
	return cd_err_set(err, CD_EINSTALL, "%s: install %s: %s failed: "
	    "%.500s%s", f->name, t->mta, step, e.msg, rb);
}

/* --- plans --- */

static char *
plan_str(struct install_plan *p, char *s)
{
	p->strs = xreallocarray(p->strs, p->nstrs + 1, sizeof(*p->strs));
	p->strs[p->nstrs++] = s;
	return s;
}

void
install_plan_clear(struct install_plan *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nstrs; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->t);
	memset(p, 0, sizeof(*p));
}

/* Applies one --verify-port value ("N" or "MTA:N") to the plan. */
static int
plan_port(struct install_plan *p, const char *v, struct cd_err *err)
{
	unsigned long long	 port;
	const char		*colon = strchr(v, ':'), *num = v;
	char			 mta[32];
	size_t			 i;

	mta[0] = '\0';
	if (colon != NULL) {
		if ((size_t)(colon - v) >= sizeof(mta))
			return cd_err_set(err, CD_EUSAGE, "--verify-port %s: "
			    "unknown MTA", v);
		memcpy(mta, v, (size_t)(colon - v));
		mta[colon - v] = '\0';
		num = colon + 1;
		if (install_find(mta) == NULL)
			return cd_err_set(err, CD_EUSAGE, "--verify-port %s: "
			    "unknown MTA \"%s\"", v, mta);
	}
	if (util_parse_uint(num, 1, 65535, &port) == -1)
		return cd_err_set(err, CD_EUSAGE, "--verify-port %s: not a "
		    "port number", v);
	for (i = 0; i < p->n; i++) {
		if (mta[0] != '\0' && strcmp(mta, p->t[i].mta) != 0)
			continue;
		p->t[i].verify_port = (unsigned)port;
		p->t[i].verify_starttls = !port_is_implicit_tls(
		    (unsigned)port);
	}
	return 0;	/* a port for an MTA not installed now is fine */
}

/* Adds the targets named in one value ("postfix,exim"). */
static int
plan_names(struct install_plan *p, const char *v, struct cd_err *err)
{
	const struct mta_ops	*ops;
	const char		*s = v, *e;
	char			 name[32];
	size_t			 len, i;

	for (;;) {
		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '\0')
			return 0;
		for (e = s; *e != '\0' && *e != ',' && *e != ' '; e++)
			;
		len = (size_t)(e - s);
		if (len >= sizeof(name))
			return cd_err_set(err, CD_EUSAGE, "install target "
			    "\"%.40s\": unknown", s);
		memcpy(name, s, len);
		name[len] = '\0';
		s = e;
		p->hooks = true;
		if (strcmp(name, "hooks") == 0)
			continue;
		if ((ops = install_find(name)) == NULL)
			return cd_err_set(err, CD_EUSAGE, "install target "
			    "\"%s\": unknown (postfix, exim, dovecot, hooks)",
			    name);
		for (i = 0; i < p->n; i++)
			if (strcmp(p->t[i].mta, ops->name) == 0)
				break;
		if (i < p->n)
			continue;	/* named twice */
		if (p->n >= INSTALL_TARGETS_MAX)
			return cd_err_set(err, CD_EUSAGE, "too many install "
			    "targets");
		p->t = xreallocarray(p->t, p->n + 1, sizeof(*p->t));
		install_target_init(&p->t[p->n++], ops->name);
	}
}

static int
plan_build(struct install_plan *p, const struct opts *o,
    const struct opts_list *targets, struct cd_err *err)
{
	const struct mta_ops	*ops;
	size_t			 i;

	for (i = 0; targets != NULL && i < targets->n; i++)
		if (plan_names(p, targets->v[i], err) == -1)
			return -1;
	for (i = 0; i < p->n; i++) {
		ops = install_find(p->t[i].mta);
		if (o->dest_dir != NULL)
			p->t[i].dest_dir = plan_str(p, xasprintf("%s/%s",
			    o->dest_dir, p->t[i].mta));
		if (o->verify_host != NULL)
			p->t[i].verify_host = o->verify_host;
		p->t[i].configure = o->configure;
		if (ops->from_opts != NULL && ops->from_opts(&p->t[i], o,
		    err) == -1)
			return -1;
	}
	for (i = 0; i < o->verify_port.n; i++)
		if (plan_port(p, o->verify_port.v[i], err) == -1)
			return -1;
	p->hooks_dir = o->deploy_hook_dir;
	p->hook_timeout = o->hook_timeout;
	p->quiet = o->quiet;
	return 0;
}

int
install_plan_from_opts(const struct opts *o, const struct opts_list *targets,
    struct install_plan *p, struct cd_err *err)
{
	memset(p, 0, sizeof(*p));
	if (plan_build(p, o, targets, err) == -1) {
		install_plan_clear(p);
		return -1;
	}
	return 0;
}

int
install_meta_add(const struct opts *o, struct store_kv *m,
    struct cd_err *err)
{
	size_t	 i;

#define ADD(k, v) do { if ((v) != NULL && \
    store_kv_add(m, (k), (v), err) == -1) return -1; } while (0)
	for (i = 0; i < o->install.n; i++)
		ADD("install", o->install.v[i]);
	if (o->install.n == 0)
		return 0;
	ADD("postfix_config_dir", o->postfix_config_dir);
	ADD("install_dest_dir", o->dest_dir);
	ADD("verify_host", o->verify_host);
	for (i = 0; i < o->verify_port.n; i++)
		ADD("verify_port", o->verify_port.v[i]);
	ADD("deploy_hook_dir", o->deploy_hook_dir);
	ADD("exim_config", o->exim_config);
	ADD("exim_bin_dir", o->exim_bin_dir);
	ADD("exim_group", o->exim_group);
	ADD("dovecot_config", o->dovecot_config);
	ADD("dovecot_bin_dir", o->dovecot_bin_dir);
#undef ADD
	return 0;
}

/* s from meta as an option value owned by the plan, unless o has one */
static char *
meta_opt(struct install_plan *p, const struct store_kv *m, const char *key,
    char *have)
{
	const char	*v;

	if (have != NULL || (v = store_kv_get(m, key)) == NULL)
		return have;
	return plan_str(p, xstrdup(v));
}

int
install_plan_from_meta(const struct store_kv *m, const struct opts *o,
    struct install_plan *p, struct cd_err *err)
{
	struct opts		 mo;
	struct opts_list	 targets, ports;
	const char		*v[OPTS_LIST_MAX];
	size_t			 n, i;
	int			 rc = -1;

	memset(p, 0, sizeof(*p));
	memset(&targets, 0, sizeof(targets));
	memset(&ports, 0, sizeof(ports));
	mo = *o;		/* shallow: strings stay o's or the plan's */
	mo.postfix_config_dir = meta_opt(p, m, "postfix_config_dir",
	    o->postfix_config_dir);
	mo.dest_dir = meta_opt(p, m, "install_dest_dir", o->dest_dir);
	mo.verify_host = meta_opt(p, m, "verify_host", o->verify_host);
	mo.deploy_hook_dir = meta_opt(p, m, "deploy_hook_dir",
	    o->deploy_hook_dir);
	mo.exim_config = meta_opt(p, m, "exim_config", o->exim_config);
	mo.exim_bin_dir = meta_opt(p, m, "exim_bin_dir", o->exim_bin_dir);
	mo.exim_group = meta_opt(p, m, "exim_group", o->exim_group);
	mo.dovecot_config = meta_opt(p, m, "dovecot_config",
	    o->dovecot_config);
	mo.dovecot_bin_dir = meta_opt(p, m, "dovecot_bin_dir",
	    o->dovecot_bin_dir);
	mo.configure = false;	/* configuring is for the first install */
	if (o->verify_port.n == 0) {
		n = store_kv_getall(m, "verify_port", v, OPTS_LIST_MAX);
		ports.v = xcalloc(n + 1, sizeof(*ports.v));
		for (i = 0; i < n; i++)
			ports.v[ports.n++] = plan_str(p, xstrdup(v[i]));
		mo.verify_port = ports;
	}
	n = store_kv_getall(m, "install", v, OPTS_LIST_MAX);
	targets.v = xcalloc(n + 1, sizeof(*targets.v));
	for (i = 0; i < n; i++)
		targets.v[targets.n++] = plan_str(p, xstrdup(v[i]));
	rc = plan_build(p, &mo, &targets, err);
	free(targets.v);
	free(ports.v);
	if (rc == -1)
		install_plan_clear(p);
	return rc;
}

/* --- one certificate from the store --- */

struct loaded {
	struct install_files	 f;
	char			*cert, *chain, *full, *key;
	size_t			 certlen, chainlen, fulllen, keylen;
	char			*paths[4];
	char			 sha256[65];
	char			 version[64];
};

static void
loaded_clear(struct loaded *l)
{
	size_t	 i;

	free(l->cert);
	free(l->chain);
	free(l->full);
	if (l->key != NULL)
		keys_pem_free(l->key, l->keylen);
	for (i = 0; i < 4; i++)
		free(l->paths[i]);
	memset(l, 0, sizeof(*l));
}

static int
load(struct store *st, const char *name, struct loaded *l,
    struct cd_err *err)
{
	struct cert_info	 ci;
	EVP_PKEY		*k = NULL;
	static const char	*const files[4] = { "cert.pem", "chain.pem",
	    "fullchain.pem", "privkey.pem" };
	size_t			 i;
	int			 rc = -1;

	memset(l, 0, sizeof(*l));
	memset(&ci, 0, sizeof(ci));
	if (store_cert_current(st, name, l->version, sizeof(l->version),
	    err) == -1 ||
	    store_cert_read(st, name, "cert.pem", CERT_CHAIN_MAX, &l->cert,
	    &l->certlen, err) == -1 ||
	    store_cert_read(st, name, "chain.pem", CERT_CHAIN_MAX, &l->chain,
	    &l->chainlen, err) == -1 ||
	    store_cert_read(st, name, "fullchain.pem", CERT_CHAIN_MAX,
	    &l->full, &l->fulllen, err) == -1 ||
	    store_cert_read(st, name, "privkey.pem", KEYS_PEM_MAX, &l->key,
	    &l->keylen, err) == -1)
		goto out;
	if (cert_info_pem(l->cert, l->certlen, &ci, err) == -1)
		goto out;
	/* STYLE.md §5: never install a key that is not the certificate's */
	if ((k = keys_from_pem(l->key, l->keylen, err)) == NULL)
		goto out;
	if (!cert_matches_key(l->cert, l->certlen, k)) {
		cd_err_set(err, CD_EINSTALL, "%s: the stored key does not "
		    "match the certificate; not installed", name);
		goto out;
	}
	(void)snprintf(l->sha256, sizeof(l->sha256), "%s", ci.sha256);
	for (i = 0; i < 4; i++)
		l->paths[i] = xasprintf("%s/certs/%s/%s/%s", store_dir(st),
		    name, l->version, files[i]);
	l->f.name = name;
	l->f.cert = l->cert;
	l->f.certlen = l->certlen;
	l->f.chain = l->chain;
	l->f.chainlen = l->chainlen;
	l->f.fullchain = l->full;
	l->f.fulllen = l->fulllen;
	l->f.key = l->key;
	l->f.keylen = l->keylen;
	l->f.sha256 = l->sha256;
	l->f.cert_path = l->paths[0];
	l->f.chain_path = l->paths[1];
	l->f.fullchain_path = l->paths[2];
	l->f.key_path = l->paths[3];
	rc = 0;
out:
	EVP_PKEY_free(k);
	cert_info_clear(&ci);
	if (rc == -1)
		loaded_clear(l);
	return rc;
}

static bool
hook_name_ok(const char *s)
{
	size_t	 n = strlen(s);

	/* as run-parts(8): no dot files, editor backups, dpkg debris */
	if (n == 0 || s[0] == '.' || s[n - 1] == '~' ||
	    strstr(s, ".dpkg-") != NULL)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		    *s == '.'))
			return false;
	return true;
}

/* Runs one deploy hook; -1 names it with its last output line. */
static int
hook_one(const char *dir, const char *hname, const struct install_plan *p,
    const struct install_files *f, const char *targets, struct cd_err *err)
{
	struct hooks_result	 res;
	struct stat		 st;
	char			 path[PATH_MAX], line[INSTALL_MSG_MAX];
	char			*env[HOOK_ENV_MAX];
	const char		*argv[2];
	size_t			 n = 0, i;
	int			 rc = -1;

	memset(&res, 0, sizeof(res));
	if (snprintf(path, sizeof(path), "%s/%s", dir, hname) >=
	    (int)sizeof(path))
		return cd_err_set(err, CD_ECONFIG, "%s/%s: path too long", dir,
		    hname);
	if (stat(path, &st) == -1)
		return cd_err_sys(err, "deploy hook %s", path);
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
		return 0;		/* not a hook (as run-parts) */
	/* root runs it: only root (or we) may have written it */
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022) != 0)
		return cd_err_set(err, CD_ECONFIG, "deploy hook %s: writable "
		    "by others than root; not run", path);
	env[n++] = xasprintf("CERTD_NAME=%s", f->name);
	env[n++] = xasprintf("CERTD_CERT=%s", f->cert_path);
	env[n++] = xasprintf("CERTD_KEY=%s", f->key_path);
	env[n++] = xasprintf("CERTD_FULLCHAIN=%s", f->fullchain_path);
	env[n++] = xasprintf("CERTD_CHAIN=%s", f->chain_path);
	env[n++] = xasprintf("CERTD_SHA256=%s", f->sha256);
	env[n++] = xasprintf("CERTD_TARGETS=%s", targets);
	env[n++] = xasprintf("CERTD_ACTION=deploy");
	env[n] = NULL;
	argv[0] = path;
	argv[1] = NULL;
	if (hooks_run(argv, (const char *const *)env, p->hook_timeout, &res,
	    err) == -1)
		goto out;
	best_line(res.output == NULL ? "" : res.output, res.len, line,
	    sizeof(line));
	if (res.timed_out)
		cd_err_set(err, CD_EINSTALL, "deploy hook %s: timed out%s%s",
		    hname, line[0] != '\0' ? ": " : "", line);
	else if (res.status != 0)
		cd_err_set(err, CD_EINSTALL, "deploy hook %s: exit %d%s%s%s",
		    hname, res.status, res.status == HOOKS_EX_TEMPFAIL ?
		    " (retry later)" : "", line[0] != '\0' ? ": " : "", line);
	else
		rc = 0;
out:
	hooks_result_clear(&res);
	for (i = 0; i < n; i++)
		free(env[i]);
	return rc;
}

static int
hooks_all(const struct install_plan *p, const struct install_files *f,
    struct cd_err *err)
{
	const char	*dir = p->hooks_dir != NULL ? p->hooks_dir :
	    INSTALL_HOOKS_DIR;
	struct dirent	*de;
	DIR		*d;
	char		**names = NULL, targets[256];
	struct cd_err	 e;
	size_t		 n = 0, i, off = 0;
	int		 rc = 0, w;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;	/* no hooks */
		return cd_err_sys(err, "deploy hooks %s", dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (!hook_name_ok(de->d_name))
			continue;
		if (n >= INSTALL_HOOKS_MAX) {
			rc = cd_err_set(err, CD_ECONFIG, "deploy hooks %s: "
			    "more than %d", dir, INSTALL_HOOKS_MAX);
			break;
		}
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	(void)closedir(d);
	if (rc == 0 && n > 0)
		qsort(names, n, sizeof(*names), util_strcmp_ptr);
	targets[0] = '\0';
	for (i = 0; i < p->n; i++) {
		w = snprintf(targets + off, sizeof(targets) - off, "%s%s",
		    i > 0 ? "," : "", p->t[i].mta);
		if (w < 0 || (size_t)w >= sizeof(targets) - off)
			break;
		off += (size_t)w;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		cd_err_clear(&e);
		if (hook_one(dir, names[i], p, f, targets, &e) == -1) {
			rc = cd_err_set(err, e.kind == CD_ENOMEM ? CD_ENOMEM :
			    CD_EINSTALL, "%s: %s", f->name, e.msg);
			break;
		}
		log_info("%s: deploy hook %s: ok", f->name, names[i]);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
install_cert(struct store *st, const char *name,
    const struct install_plan *p, struct cd_err *err)
{
	struct loaded		 l;
	struct cd_err		 e;
	const struct mta_ops	*ops;
	size_t			 i, failed = 0;
	int			 rc = 0;

	if (p->n == 0 && !p->hooks)
		return 0;
	if (load(st, name, &l, err) == -1)
		return -1;
	for (i = 0; i < p->n; i++) {
		cd_err_clear(&e);
		if ((ops = install_find(p->t[i].mta)) == NULL) {
			cd_err_set(&e, CD_EINSTALL, "%s: install %s: unknown "
			    "MTA", name, p->t[i].mta);
		} else if (install_run(ops, &p->t[i], &l.f, &e) == 0) {
			if (!p->quiet)
				printf("certd: %s: installed into %s (%s)\n",
				    name, p->t[i].mta, l.version);
			log_info("%s: installed %s into %s, sha256 %s",
			    name, l.version, p->t[i].mta, l.sha256);
			continue;
		}
		/* the first failure is the error; later ones are logged */
		if (failed++ == 0) {
			if (err != NULL)
				*err = e;
			rc = -1;
		} else
			log_errx("%s", e.msg);
	}
	if (p->hooks) {
		cd_err_clear(&e);
		if (hooks_all(p, &l.f, &e) == -1) {
			if (rc == 0) {
				if (err != NULL)
					*err = e;
				rc = -1;
			} else
				log_errx("%s", e.msg);
		}
	}
	loaded_clear(&l);
	return rc;
}
