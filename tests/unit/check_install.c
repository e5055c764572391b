/*
 * check_install.c - install.c without an MTA: running programs on a
 * pseudo-terminal (message picking, exit status, timeout, output bound),
 * atomic file placement, the adapters' helpers (argument lists, path
 * split, saved files and their backup copies, the checks before place),
 * target lists and --verify-port, meta round trip, the step/rollback
 * order of install_run with a scripted adapter, and install_cert from a
 * real store (key check, deploy hooks).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "install/install.h"
#include "keys.h"
#include "store.h"
#include "util.h"

/* ---- install_exec ---- */

static const struct {
	const char	*script;	/* sh -c */
	int		 rc;
	const char	*msg;		/* err.msg on -1 (exact) */
	const char	*out;		/* output (exact), NULL: not checked */
} exec_cases[] = {
	{ "echo hello", 0, NULL, "hello\n" },
	/* stderr is a terminal: Postfix only reports errors to one */
	{ "[ -t 2 ] && [ -t 1 ] && echo tty", 0, NULL, "tty\n" },
	{ "[ -t 0 ] || echo notty", 0, NULL, "notty\n" },
	{ "echo 'postfix: warning: x'; echo 'postfix: fatal: broken' >&2; "
	    "echo last; exit 1", -1, "postfix: fatal: broken", NULL },
	{ "echo 'error: first'; echo 'x: fatal: second'; exit 2", -1,
	    "x: fatal: second", NULL },
	{ "echo one; echo '  two  '; echo; exit 1", -1, "two  ", NULL },
	{ "exit 3", -1, "sh: exit 3", "" },
	{ "printf 'bad\\001x\\r\\n'; exit 1", -1, "bad\\x01x", "bad\001x\n" },
	{ "kill -9 $$", -1, "sh: killed by signal 9", NULL },
	/* a daemon that keeps the terminal does not hold us up */
	{ "(sleep 30 &) ; echo started", 0, NULL, "started\n" },
};

START_TEST(exec_table)
{
	const char	*argv[] = { "/bin/sh", "-c", exec_cases[_i].script,
	    NULL };
	struct cd_err	 err;
	char		*out = NULL;
	int		 rc;

	cd_err_clear(&err);
	rc = install_exec(argv, 10, &out, &err);
	ck_assert_int_eq(rc, exec_cases[_i].rc);
	if (rc == -1) {
		ck_assert_int_eq(err.kind, CD_EINSTALL);
		ck_assert_str_eq(err.msg, exec_cases[_i].msg);
	}
	ck_assert_ptr_nonnull(out);
	if (exec_cases[_i].out != NULL)
		ck_assert_str_eq(out, exec_cases[_i].out);
	free(out);
}
END_TEST

START_TEST(exec_errors)
{
	const char	*rel[] = { "sh", "-c", "true", NULL };
	const char	*none[] = { "/nonexistent/prog", NULL };
	const char	*slow[] = { "/bin/sh", "-c", "echo waiting; sleep 30",
	    NULL };
	const char	*big[] = { "/bin/sh", "-c",
	    "head -c 300000 /dev/zero | tr '\\0' x; exit 1", NULL };
	struct cd_err	 err;
	char		*out = NULL;

	ck_assert_int_eq(install_exec(rel, 10, NULL, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(install_exec(none, 10, NULL, &err), -1);
	ck_assert_int_eq(err.kind, CD_ESYS);
	ck_assert_int_eq(install_exec(NULL, 10, NULL, NULL), -1);
	/* the timeout kills it; the message says so and what it said */
	ck_assert_int_eq(install_exec(slow, 1, NULL, &err), -1);
	ck_assert_int_eq(err.kind, CD_EINSTALL);
	ck_assert_str_eq(err.msg, "sh: timed out after 1 s: waiting");
	/* output beyond the bound is read and dropped */
	ck_assert_int_eq(install_exec(big, 10, &out, &err), -1);
	ck_assert_uint_eq(strlen(out), INSTALL_OUTPUT_MAX);
	ck_assert_uint_le(strlen(err.msg), INSTALL_MSG_MAX);
	free(out);
}
END_TEST

/* ---- files ---- */

static char *
tmpdir(void)
{
	char	 t[] = "/tmp/check-install.XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(t));
	return xstrdup(t);
}

static void
rm_rf(const char *d)
{
	char	*cmd = xasprintf("rm -rf '%s'", d);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

	ck_assert_int_eq(install_exec(argv, 10, NULL, NULL), 0);
	free(cmd);
}

START_TEST(files_put_get)
{
	struct stat	 st;
	struct cd_err	 err;
	char		*d = tmpdir(), *sub, *path, *data = NULL;
	size_t		 len;
	mode_t		 mode, um;
	uid_t		 uid;
	gid_t		 gid;
	int		 fd;

	um = umask(077);	/* as in certd */

	sub = xasprintf("%s/a/b", d);
	/* missing: not an error, *out NULL */
	ck_assert_int_eq(install_file_get(sub, "f.pem", &data, &len, &mode,
	    &uid, &gid, &err), 0);
	ck_assert_ptr_null(data);
	/* creates the directories; mode exact despite the umask */
	ck_assert_int_eq(install_file_put(sub, "f.pem", "one\n", 4,
	    (uid_t)-1, (gid_t)-1, 0640, &err), 0);
	path = xasprintf("%s/f.pem", sub);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	/* new directory levels are 0755 whatever the umask, old ones kept */
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(stat(d, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(install_file_get(sub, "f.pem", &data, &len, &mode,
	    &uid, &gid, &err), 0);
	ck_assert_str_eq(data, "one\n");
	ck_assert_uint_eq(len, 4);
	ck_assert_uint_eq(mode, 0640);
	ck_assert_uint_eq(uid, geteuid());
	free(data);
	/* debris of a crash is replaced; the rename leaves none */
	free(path);
	path = xasprintf("%s/.f.pem.certd-new", sub);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "junk", 4), 4);
	(void)close(fd);
	ck_assert_int_eq(install_file_put(sub, "f.pem", "two\n", 4,
	    geteuid(), getegid(), 0600, &err), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(install_file_get(sub, "f.pem", &data, NULL, &mode,
	    NULL, NULL, &err), 0);
	ck_assert_str_eq(data, "two\n");
	ck_assert_uint_eq(mode, 0600);
	free(data);
	/* bad names */
	ck_assert_int_eq(install_file_put(sub, "../x", "", 0, (uid_t)-1,
	    (gid_t)-1, 0600, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(install_file_put(sub, ".hidden", "", 0, (uid_t)-1,
	    (gid_t)-1, 0600, &err), -1);
	/* a directory is not a file to back up */
	ck_assert_int_eq(install_file_get(d, "a", &data, NULL, NULL, NULL,
	    NULL, &err), -1);
	ck_assert_ptr_null(data);
	/* remove; missing is fine */
	ck_assert_int_eq(install_file_remove(sub, "f.pem", &err), 0);
	ck_assert_int_eq(install_file_remove(sub, "f.pem", &err), 0);
	ck_assert_int_eq(install_file_get(sub, "f.pem", &data, NULL, NULL,
	    NULL, NULL, &err), 0);
	ck_assert_ptr_null(data);
	free(path);
	free(sub);
	rm_rf(d);
	free(d);
	(void)umask(um);
}
END_TEST

/* ---- helpers for adapters ---- */

/* The rc of a table case, and on -1 a CD_ECONFIG error saying msg; true
 * when it failed (as it should): the case is done. */
static bool
failed_as(int rc, int want, const struct cd_err *err, const char *msg)
{
	ck_assert_int_eq(rc, want);
	if (rc == 0)
		return false;
	ck_assert_int_eq(err->kind, CD_ECONFIG);
	ck_assert_str_eq(err->msg, msg);
	return true;
}

static const struct {
	const char	*copt;
	const char	*config;
	const char	*args[11];
	int		 rc;
	const char	*out;		/* or err.msg on -1 */
} exec_args_cases[] = {
	{ "-c", "CONF", { "a", "b" }, 0, "-c CONF a b\n" },
	{ "-C", NULL, { "a" }, 0, "a\n" },
	{ "-c", NULL, { NULL }, 0, "\n" },
	{ "-c", "C", { "1", "2", "3", "4", "5", "6", "7", "8" }, 0,
	    "-c C 1 2 3 4 5 6 7 8\n" },
	{ "-c", NULL, { "1", "2", "3", "4", "5", "6", "7", "8" }, 0,
	    "1 2 3 4 5 6 7 8\n" },
	{ "-c", "C", { "1", "2", "3", "4", "5", "6", "7", "8", "9" }, -1,
	    "/bin/echo: too many arguments" },
};

START_TEST(exec_args_table)
{
	struct cd_err	 err;
	char		*out = NULL;
	int		 rc;

	cd_err_clear(&err);
	rc = install_exec_args("/bin/echo", exec_args_cases[_i].copt,
	    exec_args_cases[_i].config, exec_args_cases[_i].args, &out, &err);
	if (failed_as(rc, exec_args_cases[_i].rc, &err,
	    exec_args_cases[_i].out)) {
		ck_assert_ptr_null(out);
		return;
	}
	ck_assert_str_eq(out, exec_args_cases[_i].out);
	free(out);
}
END_TEST

static const struct {
	const char	*path;
	size_t		 dirlen;
	int		 rc;
	const char	*dir;		/* or err.msg on -1 */
	const char	*base;
} split_cases[] = {
	{ "/etc/exim4/exim4.conf", PATH_MAX, 0, "/etc/exim4", "exim4.conf" },
	{ "/x", PATH_MAX, 0, "/", "x" },
	{ "//x", PATH_MAX, 0, "/", "x" },
	{ "a/b", PATH_MAX, 0, "a", "b" },
	{ "/etc/x", 6, 0, "/etc", "x" },
	{ "/etc/x", 5, -1, "/etc/x: too long", NULL },
	{ "x", PATH_MAX, -1, "x: not a file path", NULL },
	{ "/etc/", PATH_MAX, -1, "/etc/: not a file path", NULL },
	{ "/", PATH_MAX, -1, "/: not a file path", NULL },
	{ "", PATH_MAX, -1, ": not a file path", NULL },
};

START_TEST(split_table)
{
	struct cd_err	 err;
	char		 dir[PATH_MAX];
	const char	*base = NULL;
	int		 rc;

	rc = install_split_path(split_cases[_i].path, dir,
	    split_cases[_i].dirlen, &base, &err);
	if (failed_as(rc, split_cases[_i].rc, &err, split_cases[_i].dir))
		return;
	ck_assert_str_eq(dir, split_cases[_i].dir);
	ck_assert_str_eq(base, split_cases[_i].base);
	/* base points into path */
	ck_assert_ptr_eq(base, split_cases[_i].path +
	    strlen(split_cases[_i].path) - strlen(base));
}
END_TEST

START_TEST(saved_files)
{
	struct install_saved	 s, none;
	struct cd_err		 err;
	char			*d = tmpdir(), *path, *data = NULL;
	char			 bak[64];
	mode_t			 mode;

	memset(&none, 0, sizeof(none));
	path = xasprintf("%s/f", d);
	/* missing: no data, and putting "none" back removes the file */
	ck_assert_int_eq(install_saved_get(d, "f", &s, &err), 0);
	ck_assert_ptr_null(s.data);
	ck_assert_int_eq(install_file_put(d, "f", "x", 1, (uid_t)-1,
	    (gid_t)-1, 0600, &err), 0);
	ck_assert_int_eq(install_saved_put(d, "f", &none, &err), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* saved with its mode; put back over a different file */
	ck_assert_int_eq(install_file_put(d, "f", "key\n", 4, (uid_t)-1,
	    (gid_t)-1, 0640, &err), 0);
	ck_assert_int_eq(install_saved_get(d, "f", &s, &err), 0);
	ck_assert_str_eq(s.data, "key\n");
	ck_assert_uint_eq(s.len, 4);
	ck_assert_uint_eq(s.mode, 0640);
	ck_assert_uint_eq(s.uid, geteuid());
	ck_assert_int_eq(install_file_put(d, "f", "other", 5, (uid_t)-1,
	    (gid_t)-1, 0600, &err), 0);
	ck_assert_int_eq(install_saved_put(d, "f", &s, &err), 0);
	ck_assert_int_eq(install_file_get(d, "f", &data, NULL, &mode, NULL,
	    NULL, &err), 0);
	ck_assert_str_eq(data, "key\n");
	ck_assert_uint_eq(mode, 0640);
	free(data);
	/* the backup copy: named by the (UTC) time, same mode */
	ck_assert_int_eq(setenv("CERTD_FAKE_NOW", "1700000000", 1), 0);
	ck_assert_int_eq(install_saved_backup(d, "f", &s, bak, sizeof(bak),
	    &err), 0);
	ck_assert_str_eq(bak, "f.certd-backup-20231114T221320Z");
	ck_assert_int_eq(install_file_get(d, bak, &data, NULL, &mode, NULL,
	    NULL, &err), 0);
	ck_assert_str_eq(data, "key\n");
	ck_assert_uint_eq(mode, 0640);
	free(data);
	ck_assert_int_eq(install_saved_backup(d, "f", &s, bak, 31, &err), -1);
	ck_assert_str_eq(err.msg, "f: name too long");
	(void)unsetenv("CERTD_FAKE_NOW");
	/* cleared: no data, zeroed; NULL and twice are fine */
	install_saved_clear(&s);
	ck_assert_ptr_null(s.data);
	ck_assert_uint_eq(s.len, 0);
	install_saved_clear(&s);
	install_saved_clear(NULL);
	free(path);
	rm_rf(d);
	free(d);
}
END_TEST

static const struct install_keyspec keyspecs[] = {
	{ "a", NULL, 0600, 0 },
	{ "b", NULL, 0640, 10 },
};

static const struct {
	size_t		 spec;
	const char	*name;
	const char	*full;
	const char	*key;
	const char	*dest;
	mode_t		 key_mode;
	const char	*group;
	int		 rc;
	mode_t		 mode;
	const char	*msg;
} place_cases[] = {
	{ 0, "n", "C", "K", "/d", 0, NULL, 0, 0600, NULL },
	{ 0, "n", "C", "K", "/d", 0640, NULL, 0, 0640, NULL },
	{ 0, "n", "C", "K", "/d", 0400, "root", 0, 0400, NULL },
	{ 1, "n", "C", "K", "/d", 0, NULL, 0, 0640, NULL },
	/* at the size limit, and one byte over; none without one */
	{ 1, "n", "0123456789", "0123456789", "/d", 0, NULL, 0, 0640, NULL },
	{ 1, "n", "0123456789A", "K", "/d", 0, NULL, -1, 0,
	    "b: no certificate or key, or too large" },
	{ 1, "n", "C", "0123456789A", "/d", 0, NULL, -1, 0,
	    "b: no certificate or key, or too large" },
	{ 0, "n", "0123456789A", "0123456789A", "/d", 0, NULL, 0, 0600,
	    NULL },
	{ 0, NULL, "C", "K", "/d", 0, NULL, -1, 0, "a: bad certificate name" },
	{ 0, "a/b", "C", "K", "/d", 0, NULL, -1, 0,
	    "a: bad certificate name" },
	{ 0, "..", "C", "K", "/d", 0, NULL, -1, 0, "a: bad certificate name" },
	{ 0, "n", NULL, "K", "/d", 0, NULL, -1, 0,
	    "a: no certificate or key" },
	{ 0, "n", "C", "", "/d", 0, NULL, -1, 0, "a: no certificate or key" },
	{ 1, "n", "", "K", "/d", 0, NULL, -1, 0,
	    "b: no certificate or key, or too large" },
	{ 0, "n", "C", "K", "d", 0, NULL, -1, 0,
	    "a: d: not an absolute path" },
	{ 0, "n", "C", "K", "/d", 0, "no-such-group-certd", -1, 0,
	    "install x: unknown group \"no-such-group-certd\"" },
	/* modes that let others read the key, or are not modes */
	{ 0, "n", "C", "K", "/d", 0644, NULL, -1, 0,
	    "a: mode 0644 would let anyone read the key" },
	{ 0, "n", "C", "K", "/d", 0601, NULL, -1, 0,
	    "a: mode 0601 would let anyone read the key" },
	{ 0, "n", "C", "K", "/d", 04600, NULL, -1, 0,
	    "a: mode 4600 would let anyone read the key" },
};

START_TEST(place_table)
{
	struct install_target	 t;
	struct install_files	 f;
	struct cd_err		 err;
	uid_t			 uid = 1;
	gid_t			 gid = 1;
	mode_t			 mode = 0;
	int			 rc;

	memset(&t, 0, sizeof(t));
	memset(&f, 0, sizeof(f));
	t.mta = "x";
	t.key_mode = place_cases[_i].key_mode;
	t.group = place_cases[_i].group;
	f.name = place_cases[_i].name;
	f.fullchain = place_cases[_i].full;
	f.fulllen = f.fullchain != NULL ? strlen(f.fullchain) : 0;
	f.key = place_cases[_i].key;
	f.keylen = f.key != NULL ? strlen(f.key) : 0;
	cd_err_clear(&err);
	rc = install_place_check(&keyspecs[place_cases[_i].spec], &t, &f,
	    place_cases[_i].dest, &uid, &gid, &mode, &err);
	if (failed_as(rc, place_cases[_i].rc, &err, place_cases[_i].msg))
		return;
	ck_assert_uint_eq(mode, place_cases[_i].mode);
	ck_assert_uint_eq(uid, 0);	/* root */
	ck_assert_uint_eq(gid, 0);
}
END_TEST

/* ---- plans ---- */

static const struct {
	const char	*targets[3];
	const char	*ports[3];
	int		 rc;
	size_t		 n;
	bool		 hooks;
	unsigned	 port0;		/* t[0] (postfix when n > 0) */
	bool		 tls0;
} plan_cases[] = {
	{ { "postfix" }, { NULL }, 0, 1, true, 25, true },
	{ { "postfix,exim", "postfix" }, { NULL }, 0, 2, true, 25, true },
	{ { " postfix , exim ," }, { NULL }, 0, 2, true, 25, true },
	{ { "hooks" }, { NULL }, 0, 0, true, 0, false },
	{ { "," }, { NULL }, 0, 0, false, 0, false },
	{ { "postfix" }, { "2525" }, 0, 1, true, 2525, true },
	{ { "postfix" }, { "postfix:465" }, 0, 1, true, 465, false },
	{ { "postfix" }, { "exim:2526" }, 0, 1, true, 25, true },
	{ { "postfix" }, { "2525", "postfix:2526" }, 0, 1, true, 2526, true },
	{ { "sendmail" }, { NULL }, -1, 0, false, 0, false },
	{ { "postfix;rm" }, { NULL }, -1, 0, false, 0, false },
	{ { "postfixpostfixpostfixpostfixpostfix" }, { NULL }, -1, 0, false,
	    0, false },
	{ { "postfix" }, { "0" }, -1, 0, false, 0, false },
	{ { "postfix" }, { "65536" }, -1, 0, false, 0, false },
	{ { "postfix" }, { "qmail:25" }, -1, 0, false, 0, false },
	{ { "postfix" }, { "postfix:" }, -1, 0, false, 0, false },
	{ { "postfix" }, { "25x" }, -1, 0, false, 0, false },
};

static size_t
count(const char *const *v, size_t max)
{
	size_t	 n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

START_TEST(plan_table)
{
	struct opts		 o;
	struct opts_list	 l;
	struct install_plan	 p;
	struct cd_err		 err;
	int			 rc;

	memset(&o, 0, sizeof(o));
	/* the strings are only read */
	l.v = (char **)(uintptr_t)plan_cases[_i].targets;
	l.n = count(plan_cases[_i].targets, 3);
	o.verify_port.v = (char **)(uintptr_t)plan_cases[_i].ports;
	o.verify_port.n = count(plan_cases[_i].ports, 3);
	rc = install_plan_from_opts(&o, &l, &p, &err);
	ck_assert_int_eq(rc, plan_cases[_i].rc);
	if (rc == -1) {
		ck_assert_int_eq(err.kind, CD_EUSAGE);
		ck_assert_ptr_null(p.t);
		return;
	}
	ck_assert_uint_eq(p.n, plan_cases[_i].n);
	ck_assert(p.hooks == plan_cases[_i].hooks);
	if (p.n > 0) {
		ck_assert_str_eq(p.t[0].mta, "postfix");
		ck_assert_str_eq(p.t[0].config_dir, "/etc/postfix");
		ck_assert_str_eq(p.t[0].dest_dir, "/etc/certd/live/postfix");
		ck_assert_str_eq(p.t[0].verify_host, "127.0.0.1");
		ck_assert_uint_eq(p.t[0].verify_port, plan_cases[_i].port0);
		ck_assert(p.t[0].verify_starttls == plan_cases[_i].tls0);
		ck_assert(!p.t[0].configure);
	}
	if (p.n > 1)
		ck_assert_str_eq(p.t[1].mta, "exim");
	install_plan_clear(&p);
}
END_TEST

START_TEST(plan_options_and_meta)
{
	struct opts		 o, none;
	struct opts_list	 l;
	struct install_plan	 p;
	struct store_kv		 m;
	struct cd_err		 err;
	char			*targets[] = { "postfix" };
	char			*ports[] = { "postfix:2525" };
	const char		*v;

	memset(&o, 0, sizeof(o));
	memset(&none, 0, sizeof(none));
	memset(&m, 0, sizeof(m));
	o.install.v = targets;
	o.install.n = 1;
	o.verify_port.v = ports;
	o.verify_port.n = 1;
	o.postfix_config_dir = "/srv/postfix-out";
	o.dest_dir = "/srv/live";
	o.verify_host = "192.0.2.1";
	o.configure = true;
	o.deploy_hook_dir = "/srv/hooks";
	o.hook_timeout = 7;
	o.exim_config = "/srv/exim4.conf";
	o.dovecot_bin_dir = "/srv/bin";
	ck_assert_int_eq(install_plan_from_opts(&o, &o.install, &p, &err), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_str_eq(p.t[0].config_dir, "/srv/postfix-out");
	ck_assert_str_eq(p.t[0].dest_dir, "/srv/live/postfix");
	ck_assert_str_eq(p.t[0].verify_host, "192.0.2.1");
	ck_assert_uint_eq(p.t[0].verify_port, 2525);
	ck_assert(p.t[0].configure);
	ck_assert_str_eq(p.hooks_dir, "/srv/hooks");
	ck_assert_uint_eq(p.hook_timeout, 7);
	install_plan_clear(&p);
	install_plan_clear(NULL);

	/* into meta and back: the renewal installs where the issue did */
	ck_assert_int_eq(install_meta_add(&o, &m, &err), 0);
	ck_assert_ptr_nonnull(v = store_kv_get(&m, "install"));
	ck_assert_str_eq(v, "postfix");
	ck_assert_str_eq(store_kv_get(&m, "postfix_config_dir"),
	    "/srv/postfix-out");
	ck_assert_str_eq(store_kv_get(&m, "verify_port"), "postfix:2525");
	ck_assert_str_eq(store_kv_get(&m, "exim_config"), "/srv/exim4.conf");
	ck_assert_str_eq(store_kv_get(&m, "dovecot_bin_dir"), "/srv/bin");
	ck_assert_ptr_null(store_kv_get(&m, "exim_group"));
	ck_assert_int_eq(install_plan_from_meta(&m, &none, &p, &err), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_str_eq(p.t[0].config_dir, "/srv/postfix-out");
	ck_assert_str_eq(p.t[0].dest_dir, "/srv/live/postfix");
	ck_assert_str_eq(p.t[0].verify_host, "192.0.2.1");
	ck_assert_uint_eq(p.t[0].verify_port, 2525);
	ck_assert(!p.t[0].configure);	/* configuring is once */
	ck_assert_str_eq(p.hooks_dir, "/srv/hooks");
	install_plan_clear(&p);
	/* options given now win over meta */
	none.postfix_config_dir = "/etc/postfix-new";
	ck_assert_int_eq(install_plan_from_meta(&m, &none, &p, &err), 0);
	ck_assert_str_eq(p.t[0].config_dir, "/etc/postfix-new");
	install_plan_clear(&p);
	store_kv_clear(&m);

	/* no --install: nothing in meta, an empty plan from it */
	o.install.n = 0;
	ck_assert_int_eq(install_meta_add(&o, &m, &err), 0);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_int_eq(install_plan_from_meta(&m, &none, &p, &err), 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert(!p.hooks);
	install_plan_clear(&p);
	l.v = targets;
	l.n = 1;
	ck_assert_ptr_nonnull(install_find("postfix"));
	ck_assert_ptr_null(install_find("hooks"));
	ck_assert_ptr_null(install_find(NULL));
	(void)l;
}
END_TEST

/* ---- install_run with a scripted adapter ---- */

struct install_backup {
	int	 dummy;
};

static char	 calls[256];	/* "place,check,..." of one run */
static const char *fail_at;	/* the step that fails, or NULL */
static bool	 fail_again;	/* it fails when called again too */
static bool	 fail_restore;	/* restore fails */
static int	 backups;	/* allocated minus freed */

static void
record(const char *name)
{
	size_t	 n = strlen(calls);

	(void)snprintf(calls + n, sizeof(calls) - n, "%s%s",
	    n > 0 ? "," : "", name);
}

static int
step(const char *name, struct cd_err *err)
{
	bool	 again = strstr(calls, name) != NULL;

	record(name);
	if (fail_at != NULL && strcmp(fail_at, name) == 0 &&
	    (!again || fail_again))
		return cd_err_set(err, CD_EINSTALL, "mock: fatal: %s broke",
		    name);
	return 0;
}

static int
m_place(const struct install_target *t, const struct install_files *f,
    struct install_backup **bk, struct cd_err *err)
{
	(void)t;
	(void)f;
	*bk = NULL;
	if (step("place", err) == -1)
		return -1;
	*bk = xcalloc(1, sizeof(**bk));
	backups++;
	return 0;
}

static int
m_configure(const struct install_target *t, const struct install_files *f,
    struct install_backup *bk, struct cd_err *err)
{
	(void)t;
	(void)f;
	ck_assert_ptr_nonnull(bk);
	return step("configure", err);
}

static int
m_check(const struct install_target *t, struct cd_err *err)
{
	(void)t;
	return step("check", err);
}

static int
m_reload(const struct install_target *t, struct cd_err *err)
{
	(void)t;
	return step("reload", err);
}

static int
m_restore(const struct install_target *t, const struct install_backup *bk,
    struct cd_err *err)
{
	(void)t;
	ck_assert_ptr_nonnull(bk);
	record("restore");
	if (fail_restore)
		return cd_err_set(err, CD_EINSTALL, "mock: fatal: restore "
		    "broke");
	return 0;
}

static void
m_backup_free(struct install_backup *bk)
{
	if (bk != NULL)
		backups--;
	free(bk);
}

static const struct mta_ops mock = {
	.name = "mock",
	.place = m_place,
	.check = m_check,
	.reload = m_reload,
	.restore = m_restore,
	.backup_free = m_backup_free,
	.configure = m_configure,
};

static const struct mta_ops mock_noconf = {
	.name = "mock",
	.place = m_place,
	.check = m_check,
	.reload = m_reload,
	.restore = m_restore,
	.backup_free = m_backup_free,
};

#define PFX	"mx.example.org: install mock: "
static const struct {
	const struct mta_ops *ops;
	const char	*fail;
	bool		 again;
	bool		 restore_fails;
	bool		 configure;
	const char	*calls;
	const char	*msg;		/* NULL: success */
} run_cases[] = {
	{ &mock, NULL, false, false, false, "place,check,reload", NULL },
	{ &mock, NULL, false, false, true, "place,configure,check,reload",
	    NULL },
	{ &mock, "place", false, false, false, "place", PFX "place failed: "
	    "mock: fatal: place broke; nothing changed" },
	{ &mock, "configure", false, false, true, "place,configure,restore",
	    PFX "configure failed: mock: fatal: configure broke; previous "
	    "files restored" },
	{ &mock_noconf, NULL, false, false, true, "place,restore",
	    PFX "configure failed: not supported; see certd install "
	    "--print-config mock; previous files restored" },
	/* a failed check reloaded nothing: no reload after the restore */
	{ &mock, "check", false, false, false, "place,check,restore",
	    PFX "check failed: mock: fatal: check broke; previous files "
	    "restored" },
	{ &mock, "reload", false, false, false,
	    "place,check,reload,restore,reload", PFX "reload failed: mock: "
	    "fatal: reload broke; previous files restored" },
	{ &mock, "reload", true, false, false,
	    "place,check,reload,restore,reload", PFX "reload failed: mock: "
	    "fatal: reload broke; previous files restored, but reload failed: "
	    "mock: fatal: reload broke" },
	{ &mock, NULL, false, true, false, "place,check,reload", NULL },
	{ &mock, "check", false, true, false, "place,check,restore",
	    PFX "check failed: mock: fatal: check broke; restoring the "
	    "previous files failed too: mock: fatal: restore broke" },
};

START_TEST(run_table)
{
	struct install_target	 t;
	struct install_files	 f;
	struct cd_err		 err;
	int			 rc;

	memset(&t, 0, sizeof(t));
	memset(&f, 0, sizeof(f));
	t.mta = "mock";
	t.verify_port = 0;	/* no network here; 60-63 verify for real */
	t.configure = run_cases[_i].configure;
	f.name = "mx.example.org";
	f.sha256 = "00";
	calls[0] = '\0';
	fail_at = run_cases[_i].fail;
	fail_again = run_cases[_i].again;
	fail_restore = run_cases[_i].restore_fails;
	backups = 0;
	cd_err_clear(&err);
	rc = install_run(run_cases[_i].ops, &t, &f, &err);
	ck_assert_str_eq(calls, run_cases[_i].calls);
	ck_assert_int_eq(backups, 0);		/* freed on every path */
	if (run_cases[_i].msg == NULL) {
		ck_assert_int_eq(rc, 0);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err.kind, CD_EINSTALL);
	ck_assert_str_eq(err.msg, run_cases[_i].msg);
}
END_TEST

/* ---- install_cert from a store: key check, deploy hooks ---- */

static char *
pem_cert(EVP_PKEY *key, const char *cn)
{
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	BIO		*b = BIO_new(BIO_s_mem());
	char		*p, *out;
	long		 len;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, n), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	ck_assert_int_eq(PEM_write_bio_X509(b, x), 1);
	len = BIO_get_mem_data(b, &p);
	out = xmalloc((size_t)len + 1);
	memcpy(out, p, (size_t)len);
	out[len] = '\0';
	BIO_free(b);
	X509_NAME_free(n);
	X509_free(x);
	return out;
}

/* commits a version of "mx.example.org" whose key is the cert's or not */
static void
commit(struct store *st, bool matching)
{
	struct store_files	 f;
	struct store_kv		 meta;
	struct cd_err		 err;
	EVP_PKEY		*k1, *k2;
	char			*cert, *kpem;
	size_t			 kl;

	ck_assert_ptr_nonnull(k1 = keys_generate(KEYS_EC_P256, &err));
	ck_assert_ptr_nonnull(k2 = keys_generate(KEYS_EC_P256, &err));
	cert = pem_cert(k1, "mx.example.org");
	ck_assert_int_eq(keys_to_pem(matching ? k1 : k2, &kpem, &kl, &err),
	    0);
	memset(&meta, 0, sizeof(meta));
	ck_assert_int_eq(store_kv_add(&meta, "name", "mx.example.org", &err),
	    0);
	memset(&f, 0, sizeof(f));
	f.cert = cert;
	f.certlen = strlen(cert);
	f.chain = "";
	f.fullchain = cert;
	f.fulllen = strlen(cert);
	f.privkey = kpem;
	f.keylen = kl;
	f.meta = &meta;
	if (store_cert_commit(st, "mx.example.org", &f, &err) == -1)
		ck_abort_msg("commit: %s", err.msg);
	store_kv_clear(&meta);
	keys_pem_free(kpem, kl);
	free(cert);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void
write_hook(const char *dir, const char *name, const char *body, mode_t mode)
{
	char	*path = xasprintf("%s/%s", dir, name);
	FILE	*fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(body, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	free(path);
}

START_TEST(cert_hooks)
{
	struct install_plan	 p;
	struct store		*st;
	struct cd_err		 err;
	char			*d = tmpdir(), *state, *hooks, *env = NULL;
	char			*body, *want;
	size_t			 len;

	state = xasprintf("%s/state", d);
	hooks = xasprintf("%s/hooks", d);
	ck_assert_int_eq(mkdir(hooks, 0755), 0);
	ck_assert_ptr_nonnull(st = store_open(state, true, &err));
	memset(&p, 0, sizeof(p));
	p.hooks = true;
	p.hooks_dir = hooks;
	p.quiet = true;

	/* no such certificate */
	ck_assert_int_eq(install_cert(st, "mx.example.org", &p, &err), -1);
	ck_assert_int_eq(err.kind, CD_ENOTFOUND);

	body = xasprintf("#!/bin/sh\nenv | grep ^CERTD_ | sort >%s/env\n",
	    d);
	write_hook(hooks, "10-env", body, 0755);
	free(body);
	body = xasprintf("#!/bin/sh\necho ran >%s/ignored\n", d);
	write_hook(hooks, "20-noexec", body, 0644);
	write_hook(hooks, "x~", body, 0755);
	write_hook(hooks, "a.dpkg-old", body, 0755);
	free(body);

	/* a key that is not the certificate's is never installed */
	commit(st, false);
	ck_assert_int_eq(install_cert(st, "mx.example.org", &p, &err), -1);
	ck_assert_int_eq(err.kind, CD_EINSTALL);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not match"));
	want = xasprintf("%s/env", d);
	ck_assert_int_eq(access(want, F_OK), -1);	/* no hook ran */
	free(want);

	commit(st, true);
	ck_assert_int_eq(install_cert(st, "mx.example.org", &p, &err), 0);
	want = xasprintf("%s/env", d);
	ck_assert_int_eq(install_file_get(d, "env", &env, &len, NULL, NULL,
	    NULL, &err), 0);
	ck_assert_ptr_nonnull(env);
	free(want);
	want = xasprintf("CERTD_ACTION=deploy\n"
	    "CERTD_CERT=%s/certs/mx.example.org/v0002/cert.pem\n"
	    "CERTD_CHAIN=%s/certs/mx.example.org/v0002/chain.pem\n"
	    "CERTD_FULLCHAIN=%s/certs/mx.example.org/v0002/fullchain.pem\n"
	    "CERTD_KEY=%s/certs/mx.example.org/v0002/privkey.pem\n"
	    "CERTD_NAME=mx.example.org\n", state, state, state, state);
	ck_assert_ptr_nonnull(strstr(env, want));
	ck_assert_ptr_nonnull(strstr(env, "CERTD_SHA256="));
	ck_assert_ptr_nonnull(strstr(env, "CERTD_TARGETS=\n"));
	free(want);
	free(env);
	want = xasprintf("%s/ignored", d);
	ck_assert_int_eq(access(want, F_OK), -1);	/* not hooks */
	free(want);

	/* a failing hook: its name, status and last words */
	write_hook(hooks, "30-fail", "#!/bin/sh\necho 'no dice' >&2\nexit 75"
	    "\n", 0755);
	ck_assert_int_eq(install_cert(st, "mx.example.org", &p, &err), -1);
	ck_assert_int_eq(err.kind, CD_EINSTALL);
	ck_assert_str_eq(err.msg, "mx.example.org: deploy hook 30-fail: exit "
	    "75 (retry later): no dice");
	/* a hook others may write is refused, not run */
	write_hook(hooks, "30-fail", "#!/bin/sh\nexit 0\n", 0757);
	ck_assert_int_eq(install_cert(st, "mx.example.org", &p, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "writable by others"));
	/* no hook directory: nothing to do */
	p.hooks_dir = "/nonexistent/deploy.d";
	ck_assert_int_eq(install_cert(st, "mx.example.org", &p, &err), 0);
	/* nothing asked: nothing done, not even a lookup */
	p.hooks = false;
	ck_assert_int_eq(install_cert(st, "nosuch.example.org", &p, &err), 0);

	store_close(st);
	free(state);
	free(hooks);
	rm_rf(d);
	free(d);
}
END_TEST

Suite *
install_suite(void)
{
	Suite	*s = suite_create("install");
	TCase	*tc;

	tc = tcase_create("exec");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, exec_table, 0,
	    sizeof(exec_cases) / sizeof(exec_cases[0]));
	tcase_add_test(tc, exec_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_test(tc, files_put_get);
	tcase_add_test(tc, saved_files);
	suite_add_tcase(s, tc);
	tc = tcase_create("helpers");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, exec_args_table, 0,
	    sizeof(exec_args_cases) / sizeof(exec_args_cases[0]));
	tcase_add_loop_test(tc, split_table, 0,
	    sizeof(split_cases) / sizeof(split_cases[0]));
	tcase_add_loop_test(tc, place_table, 0,
	    sizeof(place_cases) / sizeof(place_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("plan");
	tcase_add_loop_test(tc, plan_table, 0,
	    sizeof(plan_cases) / sizeof(plan_cases[0]));
	tcase_add_test(tc, plan_options_and_meta);
	suite_add_tcase(s, tc);
	tc = tcase_create("run");
	tcase_add_loop_test(tc, run_table, 0,
	    sizeof(run_cases) / sizeof(run_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("cert");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, cert_hooks);
	suite_add_tcase(s, tc);
	return s;
}
