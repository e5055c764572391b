/*
 * exim.c - the Exim adapter: one file holding the certificate chain and
 * the private key (tls_privatekey unset), replaced atomically, root:
 * Debian-exim 0640; config test with exim -bV/-bP; reload by SIGHUP to
 * the daemon in exim's pid_file_path. Exim's output is untrusted text,
 * only quoted (escaped) in messages; the config file is the admin's.
 */
#include "install.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgblock.h"
#include "file.h"
#include "util.h"

#define EXIM_DEST	INSTALL_DEST_BASE "/exim"
#define EXIM_GROUP	"Debian-exim"
#define EXIM_PID_MAX	64			/* bytes of a pid file */
#define EXIM_OPTS_MAX	4			/* options of one exim -bP */

/* What place() and configure() replaced, to put back. */
struct install_backup {
	char			*name;	/* NAME.pem in dest_dir */
	struct install_saved	 pem;	/* holds a key: wiped when freed */
	struct cfgblock_saved	 conf;	/* the config file (configure()) */
};

/* templates/exim-tls.conf; tests/integ/65-install-exim.sh compares */
static const char exim_template[] =
    "# certd: TLS for Exim, in the main section of the configuration\n"
    "# (before the first \"begin\"). Exim reads the certificate chain and\n"
    "# the private key from this one file, which certd replaces\n"
    "# atomically; with tls_privatekey unset the key is taken from it.\n"
    "# Debian's split configuration: instead put into\n"
    "# /etc/exim4/exim4.conf.localmacros\n"
    "#   MAIN_TLS_ENABLE = yes\n"
    "#   MAIN_TLS_CERTKEY = @DEST@/@NAME@.pem\n"
    "tls_certificate = @DEST@/@NAME@.pem\n"
    "tls_advertise_hosts = *\n";

/* the one file is read by Exim's group; chain and key are copied into
 * one buffer, each bounded */
static const struct install_keyspec exim_key = {
	"exim", EXIM_GROUP, 0640, INSTALL_FILE_MAX / 2
};

static const char *
dest(const struct install_target *t)
{
	return t->dest_dir != NULL ? t->dest_dir : EXIM_DEST;
}

/* ---- running exim */

/*
 * Runs exim [-C config] args... (bin_dir/exim4, Debian's name, or
 * bin_dir/exim); 0 when it exited 0. out (may be NULL) gets its output.
 */
static int
exim_run(const struct install_target *t, const char *const *args,
    char **out, struct cd_err *err)
{
	char	 bin[PATH_MAX];

	if (install_bin(t, "exim4", bin, sizeof(bin), err) == -1)
		return -1;
	if (access(bin, X_OK) == -1 &&
	    install_bin(t, "exim", bin, sizeof(bin), err) == -1)
		return -1;
	return install_exec_args(bin, "-C", t->config_dir, args, out, err);
}

/* the config test; err carries Exim's message */
static int
exim_test(const struct install_target *t, struct cd_err *err)
{
	static const char *const args[] = { "-bV", NULL };

	return exim_run(t, args, NULL, err);
}

/*
 * The value of "NAME = value" among the lines of exim -bP output, into
 * val; -1 when absent or too long. Unset strings print as "NAME =".
 */
static int
bp_value(const char *out, const char *name, char *val, size_t vallen)
{
	const char	*p, *nl, *v;
	size_t		 n = strlen(name), vl;

	for (p = out; *p != '\0'; p = *nl == '\0' ? nl : nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if ((size_t)(nl - p) < n + 2 || memcmp(p, name, n) != 0 ||
		    p[n] != ' ' || p[n + 1] != '=')
			continue;
		for (v = p + n + 2; v < nl && *v == ' '; v++)
			;
		if ((vl = (size_t)(nl - v)) >= vallen)
			return -1;
		memcpy(val, v, vl);
		val[vl] = '\0';
		return 0;
	}
	return -1;
}

/* exim -bP names[0..n) into vals[i] */
static int
exim_options(const struct install_target *t, const char *const *names,
    char (*vals)[PATH_MAX], size_t n, struct cd_err *err)
{
	const char	*args[EXIM_OPTS_MAX + 2];
	char		*out = NULL;
	size_t		 i;
	int		 rc = -1;

	if (n > EXIM_OPTS_MAX)
		return cd_err_set(err, CD_ECONFIG, "exim: too many options");
	args[0] = "-bP";
	for (i = 0; i < n; i++)
		args[i + 1] = names[i];
	args[n + 1] = NULL;
	if (exim_run(t, args, &out, err) == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (bp_value(out, names[i], vals[i], PATH_MAX) == -1) {
			cd_err_set(err, CD_ECONFIG,
			    "exim -bP printed no usable %s", names[i]);
			goto out;
		}
	rc = 0;
out:
	free(out);
	return rc;
}

/* ---- the adapter */

static void
exim_defaults(struct install_target *t)
{
	t->dest_dir = EXIM_DEST;
	t->verify_port = 25;
	t->verify_starttls = true;
	t->group = EXIM_GROUP;
	t->key_mode = 0640;
}

static int
exim_from_opts(struct install_target *t, const struct opts *o,
    struct cd_err *err)
{
	(void)err;
	if (o->exim_config != NULL)
		t->config_dir = o->exim_config;
	if (o->exim_bin_dir != NULL)
		t->bin_dir = o->exim_bin_dir;
	if (o->exim_group != NULL)
		t->group = o->exim_group;
	return 0;
}

static void
exim_backup_free(struct install_backup *b)
{
	if (b == NULL)
		return;
	install_saved_clear(&b->pem);
	install_saved_clear(&b->conf.file);
	free(b->name);
	free(b);
}

/*
 * Every directory down to dest_dir must be searchable by Exim's group
 * (Exim reads the file as Debian-exim), else it would fail at each TLS
 * connection while certd's own checks pass.
 */
static int
searchable(const struct install_target *t, struct cd_err *err)
{
	struct stat	 st;
	char		 buf[PATH_MAX], *p;
	uid_t		 uid;
	gid_t		 gid;

	if (install_ids(t, EXIM_GROUP, &uid, &gid, err) == -1)
		return -1;
	if (snprintf(buf, sizeof(buf), "%s/", dest(t)) >= (int)sizeof(buf))
		return cd_err_set(err, CD_ECONFIG, "exim: %s: too long",
		    dest(t));
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (stat(buf, &st) == -1)
			return cd_err_sys(err, "exim: %s", buf);
		if ((st.st_mode & S_IXOTH) == 0 && !(st.st_gid == gid &&
		    (st.st_mode & S_IXGRP) != 0) && !(st.st_uid != 0 &&
		    st.st_uid == uid))
			return cd_err_set(err, CD_ECONFIG, "exim: %s (mode "
			    "%04o) is not searchable by group %s: Exim could "
			    "not read its certificate", buf,
			    (unsigned)(st.st_mode & 07777), t->group != NULL ?
			    t->group : EXIM_GROUP);
		*p = '/';
	}
	return 0;
}

static int
exim_place(const struct install_target *t, const struct install_files *f,
    struct install_backup **backup, struct cd_err *err)
{
	struct install_backup	*b = NULL;
	char			*pem = NULL;
	size_t			 len = 0, nlen;
	uid_t			 uid;
	gid_t			 gid;
	mode_t			 mode;
	int			 rc = -1;

	*backup = NULL;
	if (install_place_check(&exim_key, t, f, dest(t), &uid, &gid, &mode,
	    err) == -1)
		return -1;
	nlen = strlen(f->name) + sizeof(".pem");
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->name = malloc(nlen)) == NULL ||
	    (pem = malloc(f->fulllen + 1 + f->keylen)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "exim: out of memory");
		goto out;
	}
	(void)snprintf(b->name, nlen, "%s.pem", f->name);
	if (install_saved_get(dest(t), b->name, &b->pem, err) == -1)
		goto out;
	/* the chain, then the key: one file, so that the one open(2) of
	 * a reader sees a matching pair */
	memcpy(pem, f->fullchain, f->fulllen);
	len = f->fulllen;
	if (pem[len - 1] != '\n')
		pem[len++] = '\n';
	memcpy(pem + len, f->key, f->keylen);
	len += f->keylen;
	if (install_file_put(dest(t), b->name, pem, len, uid, gid, mode,
	    err) == -1)
		goto out;
	*backup = b;
	b = NULL;
	rc = 0;
out:
	if (pem != NULL) {
		explicit_bzero(pem, len);
		free(pem);
	}
	exim_backup_free(b);
	return rc;
}

static int
exim_restore(const struct install_target *t, const struct install_backup *b,
    struct cd_err *err)
{
	if (b == NULL)
		return 0;
	if (install_saved_put(dest(t), b->name, &b->pem, err) == -1)
		return -1;
	return cfgblock_restore(t->config_dir, &b->conf, err);
}

/*
 * The config test, and that Exim reads certd's file: tls_certificate is
 * a plain path of a file in dest_dir and tls_privatekey is unset, so the
 * key comes from the same file (check() is not told the name).
 */
static int
exim_check(const struct install_target *t, struct cd_err *err)
{
	static const char *const names[] = { "tls_certificate",
	    "tls_privatekey" };
	char		 vals[2][PATH_MAX];
	size_t		 dl = strlen(dest(t));

	if (exim_test(t, err) == -1 ||
	    exim_options(t, names, vals, 2, err) == -1 ||
	    searchable(t, err) == -1)
		return -1;
	if (strncmp(vals[0], dest(t), dl) != 0 || vals[0][dl] != '/' ||
	    strchr(vals[0] + dl + 1, '/') != NULL ||
	    strpbrk(vals[0], "$:") != NULL)
		return cd_err_set(err, CD_ECONFIG, "exim: tls_certificate is "
		    "\"%.200s\", not a file in %s (see certd install "
		    "--print-config exim)", vals[0], dest(t));
	if (vals[1][0] != '\0')
		return cd_err_set(err, CD_ECONFIG, "exim: tls_privatekey is "
		    "set (\"%.200s\"): certd's file holds the key, unset it",
		    vals[1]);
	return 0;
}

/* The daemon's pid from path; 0 when there is no (live exim) daemon. */
static int
daemon_pid(const char *path, pid_t *pid, struct cd_err *err)
{
	unsigned long long	 n;
	struct cd_err		 e2;
	char			*buf = NULL, comm[16], proc[64];
	size_t			 len;
	ssize_t			 r;
	int			 fd;

	*pid = 0;
	if (file_read(AT_FDCWD, path, EXIM_PID_MAX, &buf, &len, &e2) == -1) {
		if (e2.kind == CD_ESYS && e2.sys_errno == ENOENT)
			return 0;		/* no daemon */
		return cd_err_set(err, CD_ECONFIG, "exim: pid file: %s",
		    e2.msg);
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (util_parse_uint(buf, 2, INT_MAX, &n) == -1) {
		free(buf);
		return cd_err_set(err, CD_ECONFIG, "exim: %s: not a pid",
		    path);
	}
	free(buf);
	/* a stale pid file must not make us signal another process */
	(void)snprintf(proc, sizeof(proc), "/proc/%llu/comm", n);
	if ((fd = open(proc, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	r = read(fd, comm, sizeof(comm));
	(void)close(fd);
	if (r < 4 || memcmp(comm, "exim", 4) != 0)
		return 0;
	*pid = (pid_t)n;
	return 0;
}

/*
 * Exim opens tls_certificate per connection, and a daemon that preloads
 * it watches the file and reloads it about 5 s after a change; SIGHUP (a
 * re-exec) makes that immediate. Never with a failing config: the
 * re-exec would stop the daemon. No daemon: nothing to do.
 */
static int
exim_reload(const struct install_target *t, struct cd_err *err)
{
	static const char *const names[] = { "pid_file_path",
	    "spool_directory" };
	char		 vals[2][PATH_MAX], path[PATH_MAX];
	pid_t		 pid;

	if (exim_options(t, names, vals, 2, err) == -1)
		return -1;
	if (vals[0][0] != '\0')
		(void)snprintf(path, sizeof(path), "%s", vals[0]);
	else if (snprintf(path, sizeof(path), "%s/exim-daemon.pid",
	    vals[1]) >= (int)sizeof(path))
		return cd_err_set(err, CD_ECONFIG, "exim: spool directory "
		    "too long");
	if (strchr(path, '$') != NULL || path[0] != '/')
		return 0;	/* an expansion: the file watch does it */
	if (daemon_pid(path, &pid, err) == -1)
		return -1;
	if (pid == 0)
		return 0;
	if (exim_test(t, err) == -1)
		return -1;
	if (kill(pid, SIGHUP) == -1)
		return cd_err_sys(err, "exim: SIGHUP to pid %ld", (long)pid);
	return 0;
}

/* ---- configuration */

/* "begin NAME" starts a section after the main one */
static bool
is_begin(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return end - p > 6 && memcmp(p, "begin", 5) == 0 &&
	    (p[5] == ' ' || p[5] == '\t');
}

/* a main-section setting the certd block makes: [hide] NAME = */
static bool
is_tls_setting(const char *p, const char *end)
{
	static const char *const names[] = { "tls_certificate",
	    "tls_privatekey", "tls_advertise_hosts" };
	size_t	 i, n;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p > 5 && memcmp(p, "hide", 4) == 0 &&
	    (p[4] == ' ' || p[4] == '\t'))
		for (p += 4; p < end && (*p == ' ' || *p == '\t'); p++)
			;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		if ((size_t)(end - p) <= n || memcmp(p, names[i], n) != 0)
			continue;
		for (p += n; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		return p < end && *p == '=';
	}
	return false;
}

/* an Exim continuation line: backslash last (before a CR) */
static bool
ends_in_backslash(const char *p, const char *e)
{
	if (e > p && e[-1] == '\r')
		e--;
	return e > p && e[-1] == '\\';
}

/* what cfgblock_edit() does with a line of Exim's configuration */
struct exim_scan {
	bool	 main_sec;	/* still in the main section */
	bool	 cont;		/* the line continues one commented out */
};

static enum cfgblock_act
exim_line(void *arg, const char *p, const char *e)
{
	struct exim_scan	*sc = arg;
	bool			 comment;

	if (sc->main_sec && is_begin(p, e)) {
		sc->main_sec = false;
		return CFGBLOCK_BEFORE;	/* the end of the main section */
	}
	/* a commented-out setting and its continuation lines */
	comment = sc->main_sec && (sc->cont || is_tls_setting(p, e));
	sc->cont = comment && ends_in_backslash(p, e);
	return comment ? CFGBLOCK_COMMENT : CFGBLOCK_KEEP;
}

int
exim_conf_edit(const char *conf, size_t len, const char *block,
    char **out, size_t *outlen, struct cd_err *err)
{
	struct exim_scan	 sc = { true, false };

	return cfgblock_edit("exim", conf, len, block, exim_line, &sc, out,
	    outlen, err);
}

static const struct cfgblock_mta exim_cfg = {
	"exim", exim_template, exim_conf_edit
};

/*
 * Writes the template's settings into the config file t->config_dir as a
 * "# certd begin"/"# certd end" block in the main section (replacing an
 * earlier block) and comments out other main-section tls_certificate,
 * tls_privatekey and tls_advertise_hosts settings (Exim refuses an
 * option set twice), after a backup copy; b records it for restore().
 * An unchanged file is not touched.
 */
static int
exim_configure(const struct install_target *t, const struct install_files *f,
    struct install_backup *b, struct cd_err *err)
{
	if (t->config_dir == NULL)
		return cd_err_set(err, CD_ECONFIG, "exim: --configure needs "
		    "the Exim configuration file (--exim-config FILE; or see "
		    "--print-config exim)");
	return cfgblock_write(&exim_cfg, t->config_dir, dest(t), f->name,
	    b != NULL ? &b->conf : NULL, err);
}

static int
exim_print_config(const struct install_target *t, const char *name,
    FILE *fp, struct cd_err *err)
{
	return cfgblock_print(&exim_cfg, dest(t), name, fp, err);
}

const struct mta_ops mta_exim = {
	.name = "exim",
	.defaults = exim_defaults,
	.from_opts = exim_from_opts,
	.place = exim_place,
	.check = exim_check,
	.reload = exim_reload,
	.restore = exim_restore,
	.backup_free = exim_backup_free,
	.configure = exim_configure,
	.print_config = exim_print_config,
};
