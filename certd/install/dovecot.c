/*
 * dovecot.c - the Dovecot adapter: ssl_cert/ssl_key are read when the
 * configuration is (re)loaded, so each version goes into its own
 * directory DEST/NAME/vNNNN and a symlink DEST/NAME/current is switched
 * atomically; config test with doveconf -n, reload with doveadm reload.
 * Dovecot's output is untrusted text, only quoted (escaped) in messages.
 */
#include "install.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgblock.h"
#include "file.h"
#include "log.h"
#include "util.h"

#define DOVECOT_DEST	INSTALL_DEST_BASE "/dovecot"
#define DOVECOT_BIN	"/usr/bin"	/* doveconf, doveadm */
#define DOVECOT_CONF	"/etc/dovecot/dovecot.conf"
#define DOVECOT_VER_MAX	999999999ULL	/* vNNNN numbers */
#define DOVECOT_VER_LEN	16		/* bytes of "vNNNN" with NUL */
#define DOVECOT_CUR	"current"

/*
 * What place() and configure() changed, to put back: the old target of
 * DEST/NAME/current (none: "") and the version made; the config file.
 */
struct install_backup {
	char			*dir;			/* DEST/NAME */
	char			 old[DOVECOT_VER_LEN];	/* "" when none */
	char			 new[DOVECOT_VER_LEN];
	struct cfgblock_saved	 conf;
};

/* templates/dovecot-ssl.conf; tests/integ/66-install-dovecot.sh compares */
static const char dovecot_template[] =
    "# certd: TLS for Dovecot. Dovecot reads both files when it (re)loads\n"
    "# its configuration; certd writes each version into a new directory\n"
    "# and switches the \"current\" symlink atomically, then runs doveadm\n"
    "# reload. Later settings win: put these after other ssl_cert/ssl_key.\n"
    "ssl_cert = <@DEST@/@NAME@/current/fullchain.pem\n"
    "ssl_key = <@DEST@/@NAME@/current/key.pem\n";

/* Dovecot reads its files as root */
static const struct install_keyspec dovecot_key = {
	"dovecot", NULL, 0600, 0
};

static const char *
dest(const struct install_target *t)
{
	return t->dest_dir != NULL ? t->dest_dir : DOVECOT_DEST;
}

/* "vNNNN": 'v' and 1..9 digits; *n its number */
static bool
is_version(const char *s, unsigned long long *n)
{
	size_t	 len = strlen(s);

	return len >= 2 && len <= 10 && s[0] == 'v' && s[1] >= '0' &&
	    s[1] <= '9' && util_parse_uint(s + 1, 0, DOVECOT_VER_MAX, n) == 0;
}

/* ---- running doveconf/doveadm */

/* bin_dir/prog [-c config] args...; 0 when it exited 0 */
static int
dc_run(const struct install_target *t, const char *prog,
    const char *const *args, char **out, struct cd_err *err)
{
	char	 bin[PATH_MAX];

	if (install_bin(t, prog, bin, sizeof(bin), err) == -1)
		return -1;
	return install_exec_args(bin, "-c", t->config_dir, args, out, err);
}

/* The first line of out holding "Fatal: " or "Error: ", or NULL. */
static const char *
error_line(const char *out, size_t *len)
{
	const char	*p, *nl, *f;

	for (p = out; *p != '\0'; p = *nl == '\0' ? nl : nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		f = util_find(p, nl, "Fatal: ", 7);
		if (f == NULL)
			f = util_find(p, nl, "Error: ", 7);
		if (f != NULL) {
			*len = (size_t)(nl - p);
			return p;
		}
	}
	return NULL;
}

/* doveconf -h NAME: "<DEST/..../current/FILE" */
static int
check_setting(const struct install_target *t, const char *name,
    const char *file, struct cd_err *err)
{
	const char	*args[] = { "-h", name, NULL };
	char		*out = NULL, *e;
	size_t		 dl = strlen(dest(t)), fl = strlen(file), len;
	int		 rc = -1;

	if (dc_run(t, "doveconf", args, &out, err) == -1)
		goto out;
	len = strlen(out);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	e = out + len;
	if (len < 1 + dl + 1 + sizeof("/" DOVECOT_CUR "/") - 1 + fl ||
	    out[0] != '<' || strncmp(out + 1, dest(t), dl) != 0 ||
	    out[1 + dl] != '/' || strcmp(e - fl, file) != 0 ||
	    strncmp(e - fl - sizeof(DOVECOT_CUR) - 1, "/" DOVECOT_CUR "/",
	    sizeof(DOVECOT_CUR) + 1) != 0 || strchr(out, '\n') != NULL) {
		cd_err_set(err, CD_ECONFIG, "dovecot: %s is \"%.200s\", not "
		    "<%s/NAME/" DOVECOT_CUR "/%s (see certd install "
		    "--print-config dovecot)", name, out, dest(t), file);
		goto out;
	}
	rc = 0;
out:
	free(out);
	return rc;
}

/* ---- the adapter */

static void
dovecot_defaults(struct install_target *t)
{
	t->dest_dir = DOVECOT_DEST;
	t->bin_dir = DOVECOT_BIN;
	t->verify_port = 993;
	t->verify_starttls = false;
	t->verify_tls_only = true;
	t->key_mode = 0600;	/* Dovecot reads keys as root */
}

static int
dovecot_from_opts(struct install_target *t, const struct opts *o,
    struct cd_err *err)
{
	(void)err;
	if (o->dovecot_config != NULL)
		t->config_dir = o->dovecot_config;
	if (o->dovecot_bin_dir != NULL)
		t->bin_dir = o->dovecot_bin_dir;
	return 0;
}

static void
dovecot_backup_free(struct install_backup *b)
{
	if (b == NULL)
		return;
	free(b->dir);
	install_saved_clear(&b->conf.file);
	free(b);
}

/* Points dfd/current at target (NULL: removes it), atomically. */
static int
switch_current(int dfd, const char *target, struct cd_err *err)
{
	static const char	 tmp[] = "." DOVECOT_CUR ".new";

	if (target == NULL) {
		if (unlinkat(dfd, DOVECOT_CUR, 0) == -1 && errno != ENOENT)
			return cd_err_sys(err, "dovecot: remove "
			    DOVECOT_CUR);
	} else {
		(void)unlinkat(dfd, tmp, 0);	/* debris from a crash */
		if (symlinkat(target, dfd, tmp) == -1)
			return cd_err_sys(err, "dovecot: symlink %s", tmp);
		/* rename(2) replaces the link in one step */
		if (renameat(dfd, tmp, dfd, DOVECOT_CUR) == -1) {
			cd_err_sys(err, "dovecot: switch " DOVECOT_CUR);
			(void)unlinkat(dfd, tmp, 0);
			return -1;
		}
	}
	if (fsync(dfd) == -1)
		return cd_err_sys(err, "dovecot: fsync");
	return 0;
}

/*
 * The current target (old, "" when there is no link) and the highest
 * version number in dfd. A `current` that is not a link to a version
 * directory is not certd's: refused.
 */
static int
scan(int dfd, char old[DOVECOT_VER_LEN], unsigned long long *max,
    struct cd_err *err)
{
	struct dirent		*de;
	unsigned long long	 n;
	DIR			*d;
	char			 buf[DOVECOT_VER_LEN];
	ssize_t			 r;
	int			 fd;

	old[0] = '\0';
	*max = 0;
	r = readlinkat(dfd, DOVECOT_CUR, buf, sizeof(buf));
	if (r == -1 && errno != ENOENT)
		return cd_err_sys(err, "dovecot: " DOVECOT_CUR " is not a "
		    "symlink made by certd");
	if (r != -1) {
		if ((size_t)r >= sizeof(buf))
			return cd_err_set(err, CD_ECONFIG, "dovecot: "
			    DOVECOT_CUR " points elsewhere than certd's "
			    "versions");
		buf[r] = '\0';
		if (!is_version(buf, &n))
			return cd_err_set(err, CD_ECONFIG, "dovecot: "
			    DOVECOT_CUR " -> \"%s\" is not certd's", buf);
		memcpy(old, buf, (size_t)r + 1);
	}
	if ((fd = dup(dfd)) == -1)
		return cd_err_sys(err, "dovecot: dup");
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return cd_err_sys(err, "dovecot: opendir");
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (is_version(de->d_name, &n) && n > *max)
			*max = n;
	(void)closedir(d);
	return 0;
}

/* Removes the version directories but keep1 and keep2; errors ignored:
 * leftovers only take space. */
static void
prune(int dfd, const char *keep1, const char *keep2)
{
	struct dirent		*de;
	unsigned long long	 n;
	DIR			*d;
	int			 fd;
	char			 names[16][DOVECOT_VER_LEN];
	size_t			 i, nn = 0;

	if ((fd = dup(dfd)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL && nn < 16)
		if (is_version(de->d_name, &n) &&
		    strcmp(de->d_name, keep1) != 0 &&
		    strcmp(de->d_name, keep2) != 0)
			/* is_version(): at most 10 bytes */
			memcpy(names[nn++], de->d_name,
			    strlen(de->d_name) + 1);
	(void)closedir(d);
	for (i = 0; i < nn; i++)
		(void)file_remove_tree(dfd, names[i], NULL);
}

static int
dovecot_place(const struct install_target *t, const struct install_files *f,
    struct install_backup **backup, struct cd_err *err)
{
	struct install_backup	*b = NULL;
	unsigned long long	 max;
	char			 vdir[PATH_MAX];
	uid_t			 uid;
	gid_t			 gid;
	mode_t			 mode;
	int			 dfd = -1, rc = -1;

	*backup = NULL;
	if (install_place_check(&dovecot_key, t, f, dest(t), &uid, &gid,
	    &mode, err) == -1)
		return -1;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		cd_err_set(err, CD_ENOMEM, "dovecot: out of memory");
		goto out;
	}
	if ((b->dir = malloc(strlen(dest(t)) + strlen(f->name) + 2)) ==
	    NULL) {
		cd_err_set(err, CD_ENOMEM, "dovecot: out of memory");
		goto out;
	}
	(void)snprintf(b->dir, strlen(dest(t)) + strlen(f->name) + 2, "%s/%s",
	    dest(t), f->name);
	if (file_mkdirs(b->dir, 0755, err) == -1)
		goto out;
	if ((dfd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		cd_err_sys(err, "dovecot: %s", b->dir);
		goto out;
	}
	if (scan(dfd, b->old, &max, err) == -1)
		goto out;
	if (max >= DOVECOT_VER_MAX) {
		cd_err_set(err, CD_ECONFIG, "dovecot: %s: out of version "
		    "numbers", b->dir);
		goto out;
	}
	(void)snprintf(b->new, sizeof(b->new), "v%04llu", max + 1);
	/* a new directory nobody reads yet: its files need no atomicity,
	 * only the switch of `current` does */
	if (snprintf(vdir, sizeof(vdir), "%s/%s", b->dir, b->new) >=
	    (int)sizeof(vdir)) {
		cd_err_set(err, CD_ECONFIG, "dovecot: %s: too long", b->dir);
		goto out;
	}
	if (install_file_put(vdir, "fullchain.pem", f->fullchain, f->fulllen,
	    uid, gid, 0644, err) == -1 ||
	    install_file_put(vdir, "key.pem", f->key, f->keylen, uid, gid,
	    mode, err) == -1 ||
	    switch_current(dfd, b->new, err) == -1) {
		(void)file_remove_tree(dfd, b->new, NULL);
		goto out;
	}
	prune(dfd, b->new, b->old);
	*backup = b;
	b = NULL;
	rc = 0;
out:
	if (dfd != -1)
		(void)close(dfd);
	dovecot_backup_free(b);
	return rc;
}

static const char *
conf_path(const struct install_target *t)
{
	return t->config_dir != NULL ? t->config_dir : DOVECOT_CONF;
}

static int
dovecot_restore(const struct install_target *t,
    const struct install_backup *b, struct cd_err *err)
{
	int	 dfd;

	if (b == NULL)
		return 0;
	if ((dfd = open(b->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return cd_err_sys(err, "dovecot: %s", b->dir);
	if (switch_current(dfd, b->old[0] != '\0' ? b->old : NULL,
	    err) == -1) {
		(void)close(dfd);
		return -1;
	}
	(void)file_remove_tree(dfd, b->new, NULL);
	(void)close(dfd);
	return cfgblock_restore(conf_path(t), &b->conf, err);
}

/*
 * doveconf -n parses the whole configuration (a nonzero exit or an error
 * line is a failure), then ssl_cert and ssl_key must be certd's files
 * (check() is not told the name).
 */
static int
dovecot_check(const struct install_target *t, struct cd_err *err)
{
	static const char *const args[] = { "-n", NULL };
	const char	*line;
	char		*out = NULL, msg[CD_ERR_MSG / 2];
	size_t		 len;

	if (dc_run(t, "doveconf", args, &out, err) == -1) {
		free(out);
		return -1;
	}
	if ((line = error_line(out, &len)) != NULL) {
		log_safe(msg, sizeof(msg), line, len);
		free(out);
		return cd_err_set(err, CD_ECONFIG, "dovecot: doveconf -n: %s",
		    msg);
	}
	free(out);
	if (check_setting(t, "ssl_cert", "fullchain.pem", err) == -1 ||
	    check_setting(t, "ssl_key", "key.pem", err) == -1)
		return -1;
	return 0;
}

/* doveadm reload: the master re-reads the configuration (and both files)
 * and starts new login processes; it returns before they exist, which is
 * why install.c's verify retries. */
static int
dovecot_reload(const struct install_target *t, struct cd_err *err)
{
	static const char *const args[] = { "reload", NULL };

	return dc_run(t, "doveadm", args, NULL, err);
}

int
dovecot_conf_edit(const char *conf, size_t len, const char *block,
    char **out, size_t *outlen, struct cd_err *err)
{
	/* every line is kept: later Dovecot settings win */
	return cfgblock_edit("dovecot", conf, len, block, NULL, NULL, out,
	    outlen, err);
}

static const struct cfgblock_mta dovecot_cfg = {
	"dovecot", dovecot_template, dovecot_conf_edit
};

/*
 * Writes the template's settings as a "# certd begin"/"# certd end" block
 * into the config file (default /etc/dovecot/dovecot.conf), replacing an
 * earlier block or appended at the end (later settings win in Dovecot),
 * after a backup copy; b records it for restore(). An unchanged file is
 * not touched.
 */
static int
dovecot_configure(const struct install_target *t,
    const struct install_files *f, struct install_backup *b,
    struct cd_err *err)
{
	return cfgblock_write(&dovecot_cfg, conf_path(t), dest(t), f->name,
	    b != NULL ? &b->conf : NULL, err);
}

static int
dovecot_print_config(const struct install_target *t, const char *name,
    FILE *fp, struct cd_err *err)
{
	return cfgblock_print(&dovecot_cfg, dest(t), name, fp, err);
}

const struct mta_ops mta_dovecot = {
	.name = "dovecot",
	.defaults = dovecot_defaults,
	.from_opts = dovecot_from_opts,
	.place = dovecot_place,
	.check = dovecot_check,
	.reload = dovecot_reload,
	.restore = dovecot_restore,
	.backup_free = dovecot_backup_free,
	.configure = dovecot_configure,
	.print_config = dovecot_print_config,
};
