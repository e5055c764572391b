/*
 * postfix.c - the Postfix adapter: one file with key, certificate and
 * chain for smtpd_tls_chain_files (replaced atomically, 0600 root: the
 * smtpd reads it as root), `postfix check`, `postfix reload`, and
 * `postconf -e` for the first installation. Trusts the configured paths;
 * Postfix's output is untrusted text, only escaped into messages.
 */
#include "install.h"

#include <sys/types.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "util.h"

#define PF_CONFIG_DIR	"/etc/postfix"
#define PF_VALUE_MAX	4096	/* bytes of smtpd_tls_chain_files */

/* templates/postfix-main.cf, which the integration tests compare with
 * `certd install --print-config postfix` */
static const char pf_template[] =
    "# Postfix main.cf lines for certd (templates/postfix-main.cf).\n"
    "# `certd install --for postfix --configure` sets them with postconf -e"
    "\n"
    "# (main.cf is saved first); `certd install --print-config postfix "
    "--name\n"
    "# NAME` prints them. The one file holds the private key, the "
    "certificate\n"
    "# and its chain, in that order, and certd replaces it atomically: "
    "Postfix\n"
    "# never reads a key without its certificate.\n"
    "smtpd_tls_chain_files = @CHAIN_FILE@\n"
    "smtpd_tls_security_level = may\n";

/* What place() and configure() replaced, to put back. */
struct install_backup {
	char			 file[NAME_MAX + 1];	/* NAME.pem */
	struct install_saved	 old;		/* in dest_dir; holds a key */
	bool			 cf_changed;	/* postconf -e ran */
	struct install_saved	 maincf;
};

static void
pf_defaults(struct install_target *t)
{
	t->config_dir = PF_CONFIG_DIR;
	t->dest_dir = INSTALL_DEST_BASE "/postfix";
	t->verify_port = 25;
}

static int
pf_from_opts(struct install_target *t, const struct opts *o,
    struct cd_err *err)
{
	(void)err;
	if (o->postfix_config_dir != NULL)
		t->config_dir = o->postfix_config_dir;
	return 0;
}

static int
file_name(const struct install_files *f, char *out, size_t outlen,
    struct cd_err *err)
{
	if (!util_is_safe_component(f->name) ||
	    snprintf(out, outlen, "%s.pem", f->name) >= (int)outlen)
		return cd_err_set(err, CD_ECONFIG, "\"%s\": not a safe file "
		    "name", f->name);
	return 0;
}

static void
pf_backup_free(struct install_backup *bk)
{
	if (bk == NULL)
		return;
	install_saved_clear(&bk->old);		/* wiped: holds a key */
	install_saved_clear(&bk->maincf);
	free(bk);
}

static int
pf_place(const struct install_target *t, const struct install_files *f,
    struct install_backup **bkp, struct cd_err *err)
{
	struct install_backup	*bk;
	struct buf		 b;
	uid_t			 uid = (uid_t)-1;
	gid_t			 gid = (gid_t)-1;
	mode_t			 mode = t->key_mode != 0 ? t->key_mode : 0600;
	int			 rc = -1;

	*bkp = NULL;
	bk = xcalloc(1, sizeof(*bk));
	buf_init(&b, f->keylen + f->fulllen + 2);
	if (file_name(f, bk->file, sizeof(bk->file), err) == -1)
		goto out;
	if ((t->owner != NULL || t->group != NULL) &&
	    install_ids(t, NULL, &uid, &gid, err) == -1)
		goto out;
	if (install_saved_get(t->dest_dir, bk->file, &bk->old, err) == -1)
		goto out;
	/* smtpd_tls_chain_files: the key first, then its certificate and
	 * the chain (postconf(5)) */
	if (buf_append(&b, f->key, f->keylen) == -1 ||
	    (f->keylen > 0 && f->key[f->keylen - 1] != '\n' &&
	    buf_append(&b, "\n", 1) == -1) ||
	    buf_append(&b, f->fullchain, f->fulllen) == -1) {
		cd_err_set(err, CD_ENOMEM, "%s: buffer", f->name);
		goto out;
	}
	if (install_file_put(t->dest_dir, bk->file, b.data, b.len, uid, gid,
	    mode, err) == -1)
		goto out;
	*bkp = bk;
	bk = NULL;
	rc = 0;
out:
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.len);
	buf_clear(&b);
	pf_backup_free(bk);
	return rc;
}

/* PROG -c DIR ARGS... (postfix, postconf) */
static int
postfix_cmd(const struct install_target *t, const char *prog,
    const char *const *args, char **out, struct cd_err *err)
{
	char	 bin[PATH_MAX];

	if (install_bin(t, prog, bin, sizeof(bin), err) == -1)
		return -1;
	return install_exec_args(bin, "-c", t->config_dir, args, out, err);
}

static int
pf_check(const struct install_target *t, struct cd_err *err)
{
	static const char *const args[] = { "check", NULL };

	return postfix_cmd(t, "postfix", args, NULL, err);
}

static int
pf_reload(const struct install_target *t, struct cd_err *err)
{
	static const char *const args[] = { "reload", NULL };

	return postfix_cmd(t, "postfix", args, NULL, err);
}

static int
pf_restore(const struct install_target *t, const struct install_backup *bk,
    struct cd_err *err)
{
	int	 rc = 0;

	if (bk == NULL)
		return 0;
	/* main.cf first: it must not point at a file that goes away */
	if (bk->cf_changed && install_saved_put(t->config_dir, "main.cf",
	    &bk->maincf, err) == -1)
		rc = -1;
	if (rc == 0)
		rc = install_saved_put(t->dest_dir, bk->file, &bk->old, err);
	return rc;
}

/* postconf -c DIR -h NAME into out (trailing white space removed) */
static int
postconf_get(const struct install_target *t, const char *name, char **out,
    struct cd_err *err)
{
	const char	*args[] = { "-h", name, NULL };
	size_t		 n;

	*out = NULL;
	if (postfix_cmd(t, "postconf", args, out, err) == -1) {
		free(*out);
		*out = NULL;
		return -1;
	}
	n = strlen(*out);
	while (n > 0 && ((*out)[n - 1] == '\n' || (*out)[n - 1] == ' ' ||
	    (*out)[n - 1] == '\t'))
		(*out)[--n] = '\0';
	if (strchr(*out, '\n') != NULL || n > PF_VALUE_MAX) {
		free(*out);
		*out = NULL;
		return cd_err_set(err, CD_EINSTALL, "postconf -h %s: "
		    "unexpected output", name);
	}
	return 0;
}

/*
 * The new smtpd_tls_chain_files: certd's other files (in dest_dir) are
 * kept, so that an RSA and an ECDSA certificate can be served side by
 * side; anything else is replaced by ours. *same: ours is there already.
 */
static char *
chain_value(const char *cur, const char *dest, const char *ours, bool *same)
{
	struct buf	 b;
	const char	*s = cur, *e;
	size_t		 dl = strlen(dest), len;
	char		*out = NULL;

	*same = false;
	buf_init(&b, PF_VALUE_MAX + PATH_MAX + 4);
	for (;;) {
		while (*s == ' ' || *s == ',' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		for (e = s; *e != '\0' && *e != ',' && *e != ' ' &&
		    *e != '\t'; e++)
			;
		len = (size_t)(e - s);
		if (len == strlen(ours) && memcmp(s, ours, len) == 0)
			*same = true;
		else if (len > dl + 1 && memcmp(s, dest, dl) == 0 &&
		    s[dl] == '/' && memchr(s + dl + 1, '/', len - dl - 1) ==
		    NULL) {
			if ((b.len > 0 && buf_append(&b, ", ", 2) == -1) ||
			    buf_append(&b, s, len) == -1)
				goto out;
		}
		s = e;
	}
	if ((b.len > 0 && buf_append(&b, ", ", 2) == -1) ||
	    buf_append_str(&b, ours) == -1)
		goto out;
	(void)buf_take(&b, &out, NULL);
out:
	buf_clear(&b);
	return out;
}

static int
pf_configure(const struct install_target *t, const struct install_files *f,
    struct install_backup *bk, struct cd_err *err)
{
	char		 ours[PATH_MAX], bak[NAME_MAX + 1];
	char		*cur = NULL, *level = NULL, *val = NULL, *a1 = NULL;
	const char	*args[4];
	bool		 same, fix_level;
	size_t		 n = 0;
	int		 rc = -1;

	if (snprintf(ours, sizeof(ours), "%s/%s", t->dest_dir, bk->file) >=
	    (int)sizeof(ours))
		return cd_err_set(err, CD_ECONFIG, "%s: path too long",
		    t->dest_dir);
	if (postconf_get(t, "smtpd_tls_chain_files", &cur, err) == -1 ||
	    postconf_get(t, "smtpd_tls_security_level", &level, err) == -1)
		goto out;
	fix_level = level[0] == '\0' || strcmp(level, "none") == 0;
	if ((val = chain_value(cur, t->dest_dir, ours, &same)) == NULL) {
		cd_err_set(err, CD_ECONFIG, "smtpd_tls_chain_files: too long");
		goto out;
	}
	if (same && !fix_level) {
		rc = 0;			/* configured already */
		goto out;
	}
	/* keep main.cf as it was: for restore(), and for the admin */
	if (install_saved_get(t->config_dir, "main.cf", &bk->maincf,
	    err) == -1)
		goto out;
	if (bk->maincf.data == NULL) {
		cd_err_set(err, CD_ECONFIG, "%s/main.cf: no such file",
		    t->config_dir);
		goto out;
	}
	if (install_saved_backup(t->config_dir, "main.cf", &bk->maincf, bak,
	    sizeof(bak), err) == -1)
		goto out;
	a1 = xasprintf("smtpd_tls_chain_files=%s", val);
	args[n++] = "-e";
	args[n++] = a1;
	if (fix_level)
		args[n++] = "smtpd_tls_security_level=may";
	args[n] = NULL;
	/* from here on restore() puts main.cf back */
	bk->cf_changed = true;
	if (postfix_cmd(t, "postconf", args, NULL, err) == -1)
		goto out;
	printf("certd: %s: postfix: %s/main.cf: smtpd_tls_chain_files = %s%s "
	    "(saved as %s)\n", f->name, t->config_dir, val, fix_level ?
	    ", smtpd_tls_security_level = may" : "", bak);
	rc = 0;
out:
	free(cur);
	free(level);
	free(val);
	free(a1);
	return rc;
}

static int
pf_print_config(const struct install_target *t, const char *name, FILE *fp,
    struct cd_err *err)
{
	static const char	 mark[] = "@CHAIN_FILE@";
	const char		*p = pf_template, *m;

	if (name != NULL && !util_is_safe_component(name))
		return cd_err_set(err, CD_EUSAGE, "\"%s\": not a certificate "
		    "name", name);
	while ((m = strstr(p, mark)) != NULL) {
		fwrite(p, 1, (size_t)(m - p), fp);
		fprintf(fp, "%s/%s.pem", t->dest_dir, name != NULL ? name :
		    "NAME");
		p = m + sizeof(mark) - 1;
	}
	fputs(p, fp);
	return 0;
}

const struct mta_ops mta_postfix = {
	.name = "postfix",
	.defaults = pf_defaults,
	.from_opts = pf_from_opts,
	.place = pf_place,
	.check = pf_check,
	.reload = pf_reload,
	.restore = pf_restore,
	.backup_free = pf_backup_free,
	.configure = pf_configure,
	.print_config = pf_print_config,
};
