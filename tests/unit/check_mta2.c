/*
 * check_mta2.c - the certd block in an MTA's configuration: the shared
 * editor and template expansion (certd/install/cfgblock.c) and the
 * config editors of the Exim and Dovecot adapters on it (exim.c,
 * dovecot.c): where the block goes, what is commented out, idempotence,
 * refusal of broken or hostile input; then --configure's file work
 * (backup copy, mode kept, restore) in a temporary directory.
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "install/cfgblock.h"
#include "install/install.h"
#include "util.h"

#define B	"tls_certificate = /d/n.pem\ntls_advertise_hosts = *\n"
#define BLK	"# certd begin\n" B "# certd end\n"
#define L(s)	s, sizeof(s) - 1

typedef int edit_fn(const char *, size_t, const char *, char **, size_t *,
    struct cd_err *);

static const struct {
	const char	*in;
	size_t		 len;
	int		 rc;
	const char	*out;
} exim_cases[] = {
	{ L(""), 0, BLK },
	{ L("primary_hostname = a\n"), 0, "primary_hostname = a\n" BLK },
	/* no final newline */
	{ L("primary_hostname = a"), 0, "primary_hostname = a\n" BLK },
	/* the end of the main section */
	{ L("a = 1\nbegin acl\nx:\n  accept\n"), 0,
	    "a = 1\n" BLK "begin acl\nx:\n  accept\n" },
	{ L("a = 1\n  begin\trouters\n"), 0, "a = 1\n" BLK "  begin\trouters\n" },
	/* "beginning = 1" is no section start */
	{ L("beginning = 1\n"), 0, "beginning = 1\n" BLK },
	/* conflicting settings of the main section are commented out */
	{ L("tls_certificate = /etc/x.crt\ntls_privatekey=/etc/x.key\n"
	    "begin acl\n"), 0,
	    "# certd: tls_certificate = /etc/x.crt\n"
	    "# certd: tls_privatekey=/etc/x.key\n" BLK "begin acl\n" },
	{ L("  hide tls_privatekey = /k\n"), 0,
	    "# certd:   hide tls_privatekey = /k\n" BLK },
	/* with its continuation lines */
	{ L("tls_advertise_hosts = a : \\\n  b : \\\n  c\nd = 1\n"), 0,
	    "# certd: tls_advertise_hosts = a : \\\n# certd:   b : \\\n"
	    "# certd:   c\nd = 1\n" BLK },
	/* longer names and other sections' options are not ours */
	{ L("tls_certificate_x = 1\ntls_require_ciphers = X\n"), 0,
	    "tls_certificate_x = 1\ntls_require_ciphers = X\n" BLK },
	{ L("begin transports\nt:\n  driver = smtp\n"
	    "  tls_certificate = /c\n"), 0,
	    BLK "begin transports\nt:\n  driver = smtp\n"
	    "  tls_certificate = /c\n" },
	/* an earlier block is replaced where it is */
	{ L("a = 1\n# certd begin\nold = 1\n# certd end\nb = 2\nbegin acl\n"),
	    0, "a = 1\n" BLK "b = 2\nbegin acl\n" },
	{ L("a = 1\n  # certd begin  \nold\n# certd end\r\n"), 0,
	    "a = 1\n" BLK },
	/* already commented lines stay as they are */
	{ L("# tls_certificate = /x\n"), 0, "# tls_certificate = /x\n" BLK },
	{ L("# certd begin\nold\n"), -1, NULL },
	{ L("# certd begin\n# certd end\n# certd begin\n# certd end\n"), -1,
	    NULL },
	{ L("a = 1\n\0b = 2\n"), -1, NULL },
};

static const struct {
	const char	*in;
	size_t		 len;
	int		 rc;
	const char	*out;
} dovecot_cases[] = {
	{ L(""), 0, BLK },
	{ L("ssl = yes\nssl_cert = </etc/x\n"), 0,
	    "ssl = yes\nssl_cert = </etc/x\n" BLK },
	{ L("ssl = yes"), 0, "ssl = yes\n" BLK },
	{ L("a\n# certd begin\nold\n# certd end\nprotocol imap {\n}\n"), 0,
	    "a\n" BLK "protocol imap {\n}\n" },
	{ L("# certd beginning\n"), 0, "# certd beginning\n" BLK },
	{ L("# certd begin\nold\n"), -1, NULL },
	{ L("# certd begin\n# certd end\n# certd begin\n# certd end\n"), -1,
	    NULL },
	{ L("a\0b\n"), -1, NULL },
};

static void
check_edit(edit_fn *fn, const char *in, size_t len, int rc, const char *want)
{
	struct cd_err	 err;
	char		*out = NULL, *again = NULL;
	size_t		 outlen = 0, againlen = 0;

	ck_assert_int_eq(fn(in, len, B, &out, &outlen, &err), rc);
	if (rc == -1) {
		ck_assert_ptr_null(out);
		ck_assert_int_eq(err.kind, CD_ECONFIG);
		return;
	}
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(outlen, strlen(want));
	/* idempotent: a second run changes nothing */
	ck_assert_int_eq(fn(out, outlen, B, &again, &againlen, &err), 0);
	ck_assert_str_eq(again, out);
	ck_assert_uint_eq(againlen, outlen);
	free(out);
	free(again);
}

START_TEST(exim_edit)
{
	check_edit(exim_conf_edit, exim_cases[_i].in, exim_cases[_i].len,
	    exim_cases[_i].rc, exim_cases[_i].out);
}
END_TEST

START_TEST(dovecot_edit)
{
	check_edit(dovecot_conf_edit, dovecot_cases[_i].in,
	    dovecot_cases[_i].len, dovecot_cases[_i].rc,
	    dovecot_cases[_i].out);
}
END_TEST

/* a new block replaces an older, different one */
START_TEST(edit_replaces)
{
	static const char	 in[] = "a = 1\n" BLK "begin acl\n";
	struct cd_err		 err;
	char			*out;
	size_t			 len;

	ck_assert_int_eq(exim_conf_edit(in, sizeof(in) - 1, "x = 2\n", &out,
	    &len, &err), 0);
	ck_assert_str_eq(out, "a = 1\n# certd begin\nx = 2\n# certd end\n"
	    "begin acl\n");
	free(out);
	ck_assert_int_eq(dovecot_conf_edit(in, sizeof(in) - 1, "x = 2\n",
	    &out, &len, &err), 0);
	ck_assert_str_eq(out, "a = 1\n# certd begin\nx = 2\n# certd end\n"
	    "begin acl\n");
	free(out);
}
END_TEST

/* ---- cfgblock_edit() ---- */

#define B2	"k = v\n"
#define BLK2	"# certd begin\n" B2 "# certd end\n"

/* the line_fn of the table: "[..." starts a section (the block goes
 * before the first), "x=..." is commented out; arg counts the calls */
static enum cfgblock_act
test_line(void *arg, const char *p, const char *e)
{
	size_t	*calls = arg;

	(*calls)++;
	if (e > p && *p == '[')
		return CFGBLOCK_BEFORE;
	if (e - p >= 2 && memcmp(p, "x=", 2) == 0)
		return CFGBLOCK_COMMENT;
	return CFGBLOCK_KEEP;
}

static const struct {
	const char	*in;
	size_t		 len;
	bool		 fn;		/* test_line, else NULL */
	int		 rc;
	const char	*out;
	size_t		 calls;		/* of test_line, on the first run */
} block_cases[] = {
	/* inserted: into nothing, after the last line (given a '\n') */
	{ L(""), false, 0, BLK2, 0 },
	{ L("a\n"), false, 0, "a\n" BLK2, 0 },
	{ L("a"), false, 0, "a\n" BLK2, 0 },
	{ L("a\n\n"), false, 0, "a\n\n" BLK2, 0 },
	/* CRLF lines are copied as they are; a last one gets a bare LF */
	{ L("a\r\nb\r\n"), false, 0, "a\r\nb\r\n" BLK2, 0 },
	{ L("a\r\nb"), false, 0, "a\r\nb\n" BLK2, 0 },
	/* an earlier block is replaced where it is */
	{ L("a\n# certd begin\nold\n# certd end\nb\n"), false, 0,
	    "a\n" BLK2 "b\n", 0 },
	{ L("# certd begin\r\nold\r\n# certd end\r\n"), false, 0, BLK2, 0 },
	{ L(" \t# certd begin \t\nold\n\t# certd end \r\nz"), false, 0,
	    BLK2 "z\n", 0 },
	{ L("a\n# certd begin\nold\n# certd end"), false, 0, "a\n" BLK2, 0 },
	{ L("# certd begin\n# certd end\n"), false, 0, BLK2, 0 },
	/* a begin inside the block is part of it; ends after it are not */
	{ L("# certd begin\n# certd begin\n# certd end\n"), false, 0, BLK2,
	    0 },
	{ L("# certd begin\n# certd end\n# certd end\n"), false, 0,
	    BLK2 "# certd end\n", 0 },
	{ L("# certd end\n"), false, 0, "# certd end\n" BLK2, 0 },
	/* not marks */
	{ L("# certd beginning\n"), false, 0, "# certd beginning\n" BLK2, 0 },
	{ L("#certd begin\n"), false, 0, "#certd begin\n" BLK2, 0 },
	{ L("x # certd begin\n"), false, 0, "x # certd begin\n" BLK2, 0 },
	{ L("# certd begin x\n"), false, 0, "# certd begin x\n" BLK2, 0 },
	{ L("# CERTD BEGIN\n"), false, 0, "# CERTD BEGIN\n" BLK2, 0 },
	/* malformed or duplicated marks, NUL bytes */
	{ L("# certd begin\nold\n"), false, -1, NULL, 0 },
	{ L("a\n# certd begin"), false, -1, NULL, 0 },
	{ L("# certd begin\n# certd end\na\n# certd begin\n# certd end\n"),
	    false, -1, NULL, 0 },
	{ L("# certd begin\n# certd end\n# certd begin\n"), false, -1, NULL,
	    0 },
	{ L("a\0b\n"), false, -1, NULL, 0 },
	{ L("a\n\0"), false, -1, NULL, 0 },
	/* the line function: the block before the first section */
	{ L("a\n[s]\nb\n"), true, 0, "a\n" BLK2 "[s]\nb\n", 3 },
	{ L("[s]\n[t]\n"), true, 0, BLK2 "[s]\n[t]\n", 2 },
	{ L("[s]"), true, 0, BLK2 "[s]\n", 1 },
	{ L("a\r\n[s]\r\n"), true, 0, "a\r\n" BLK2 "[s]\r\n", 2 },
	/* ... lines commented out, with or without their '\n' */
	{ L("x=1\ny=2\n"), true, 0, "# certd: x=1\ny=2\n" BLK2, 2 },
	{ L("x=1"), true, 0, "# certd: x=1\n" BLK2, 1 },
	{ L("x=1\r\n[s]\r\nx=2\n"), true, 0,
	    "# certd: x=1\r\n" BLK2 "[s]\r\n# certd: x=2\n", 3 },
	/* ... never sees the lines of an earlier block, which stays put */
	{ L("# certd begin\nx=old\n[old]\n# certd end\n[s]\n"), true, 0,
	    BLK2 "[s]\n", 1 },
	/* ... and a block after the place it puts one is a second one */
	{ L("[s]\n# certd begin\nold\n# certd end\n"), true, -1, NULL, 1 },
};

START_TEST(block_edit)
{
	struct cd_err	 err;
	char		*out = NULL, *again = NULL;
	size_t		 outlen = 1, againlen = 0, calls = 0, calls2 = 0;
	int		 rc;

	cd_err_clear(&err);
	rc = cfgblock_edit("t", block_cases[_i].in, block_cases[_i].len, B2,
	    block_cases[_i].fn ? test_line : NULL, &calls, &out, &outlen,
	    &err);
	ck_assert_int_eq(rc, block_cases[_i].rc);
	ck_assert_uint_eq(calls, block_cases[_i].calls);
	if (rc == -1) {
		ck_assert_ptr_null(out);
		ck_assert_uint_eq(outlen, 0);
		ck_assert_int_eq(err.kind, CD_ECONFIG);
		ck_assert_msg(strncmp(err.msg, "t: ", 3) == 0, "%s", err.msg);
		return;
	}
	ck_assert_str_eq(out, block_cases[_i].out);
	ck_assert_uint_eq(outlen, strlen(block_cases[_i].out));
	/* idempotent */
	ck_assert_int_eq(cfgblock_edit("t", out, outlen, B2,
	    block_cases[_i].fn ? test_line : NULL, &calls2, &again,
	    &againlen, &err), 0);
	ck_assert_str_eq(again, out);
	ck_assert_uint_eq(againlen, outlen);
	free(out);
	free(again);
}
END_TEST

/* the block itself: empty, or many lines; the messages name who */
START_TEST(block_edit_blocks)
{
	struct cd_err	 err;
	char		*out;
	size_t		 len;

	ck_assert_int_eq(cfgblock_edit("t", L("a\n"), "", NULL, NULL, &out,
	    &len, &err), 0);
	ck_assert_str_eq(out, "a\n# certd begin\n# certd end\n");
	free(out);
	ck_assert_int_eq(cfgblock_edit("t", L("# certd begin\nold\n"
	    "# certd end\n"), "1\n2\n3\n", NULL, NULL, &out, &len, &err), 0);
	ck_assert_str_eq(out, "# certd begin\n1\n2\n3\n# certd end\n");
	free(out);
	ck_assert_int_eq(cfgblock_edit("dovecot", L("# certd begin\n"), B2,
	    NULL, NULL, &out, &len, &err), -1);
	ck_assert_str_eq(err.msg,
	    "dovecot: \"# certd begin\" without \"# certd end\"");
	ck_assert_int_eq(cfgblock_edit("exim", L("# certd begin\n# certd end\n"
	    "# certd begin\n# certd end\n"), B2, NULL, NULL, &out, &len, &err),
	    -1);
	ck_assert_str_eq(err.msg, "exim: two certd blocks in the config");
	ck_assert_int_eq(cfgblock_edit("x", L("\0"), B2, NULL, NULL, &out,
	    &len, &err), -1);
	ck_assert_str_eq(err.msg, "x: NUL in config");
}
END_TEST

/* ---- cfgblock_expand() ---- */

static const struct {
	const char	*tmpl;
	bool		 settings_only;
	const char	*out;
} expand_cases[] = {
	{ "", false, "" },
	{ "a = @DEST@/@NAME@.pem\n", false, "a = /d/n.pem\n" },
	{ "a = @DEST@/@NAME@.pem\n", true, "a = /d/n.pem\n" },
	{ "# c @NAME@\na = @NAME@@NAME@@DEST@\n", true, "a = nn/d\n" },
	{ "# c @NAME@\na = @NAME@@NAME@@DEST@\n", false, "# c n\na = nn/d\n" },
	/* only whole placeholders */
	{ "@ @@ @DEST @NAME @name@ @@DEST@@\n", false,
	    "@ @@ @DEST @NAME @name@ @/d@\n" },
	{ "#one\n#two\n", true, "" },
	{ " # not first\n", true, " # not first\n" },
	{ "a\n\nb\n", true, "a\n\nb\n" },
};

START_TEST(expand_table)
{
	char	*s;

	s = cfgblock_expand(expand_cases[_i].tmpl, "/d", "n",
	    expand_cases[_i].settings_only);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, expand_cases[_i].out);
	free(s);
}
END_TEST

/* a long dest and name where every byte is an '@' */
START_TEST(expand_sizes)
{
	char	 dest[300], name[200], *s, *want;
	size_t	 i;

	memset(dest, 'd', sizeof(dest) - 1);
	dest[0] = '/';
	dest[sizeof(dest) - 1] = '\0';
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	s = cfgblock_expand("@DEST@@NAME@@DEST@@NAME@\n@@@@\n", dest, name,
	    true);
	want = xasprintf("%s%s%s%s\n@@@@\n", dest, name, dest, name);
	ck_assert_str_eq(s, want);
	free(s);
	free(want);
	for (i = 0; i < 3; i++) {
		s = cfgblock_expand("@NAME@\n", "", "", i == 0);
		ck_assert_str_eq(s, "\n");
		free(s);
	}
}
END_TEST

/* ---- cfgblock_write(), cfgblock_restore(), cfgblock_print() ---- */

#define FAKE_NOW	"1700000000"		/* 20231114T221320Z */
#define BAK		"cfg.certd-backup-20231114T221320Z"
#define TMPL		"# a comment\nk = @DEST@/@NAME@\n"

static const struct cfgblock_mta test_mta = { "t", TMPL, dovecot_conf_edit };

struct confdir {
	char	*dir;
	char	*path;		/* DIR/cfg */
	char	*out;		/* what cfgblock_write() printed */
};

static void
confdir_init(struct confdir *c, const char *content, mode_t mode)
{
	char	 t[] = "/tmp/check-mta2.XXXXXX";
	int	 fd;

	ck_assert_ptr_nonnull(mkdtemp(t));
	c->dir = xstrdup(t);
	c->path = xasprintf("%s/cfg", c->dir);
	c->out = NULL;
	if (content != NULL) {
		fd = open(c->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ne(fd, -1);
		ck_assert_int_eq(fchmod(fd, mode), 0);
		ck_assert_int_eq(write(fd, content, strlen(content)),
		    (ssize_t)strlen(content));
		(void)close(fd);
	}
	ck_assert_int_eq(setenv("CERTD_FAKE_NOW", FAKE_NOW, 1), 0);
}

static void
confdir_clear(struct confdir *c)
{
	char		*cmd = xasprintf("rm -rf '%s'", c->dir);
	const char	*argv[] = { "/bin/sh", "-c", cmd, NULL };

	ck_assert_int_eq(install_exec(argv, 10, NULL, NULL), 0);
	free(cmd);
	free(c->dir);
	free(c->path);
	free(c->out);
	(void)unsetenv("CERTD_FAKE_NOW");
}

/* cfgblock_write() with stdout caught into c->out */
static int
write_caught(struct confdir *c, const char *path, const char *name,
    struct cfgblock_saved *saved, struct cd_err *err)
{
	char	*outpath = xasprintf("%s.stdout", c->dir);
	size_t	 len;
	int	 fd, keep, rc;

	fflush(stdout);
	keep = dup(STDOUT_FILENO);
	fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(keep, -1);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_ne(dup2(fd, STDOUT_FILENO), -1);
	(void)close(fd);
	rc = cfgblock_write(&test_mta, path, "/d", name, saved, err);
	fflush(stdout);
	ck_assert_int_ne(dup2(keep, STDOUT_FILENO), -1);
	(void)close(keep);
	free(c->out);
	c->out = NULL;
	ck_assert_int_eq(install_file_get("/", outpath + 1, &c->out, &len,
	    NULL, NULL, NULL, err), 0);
	(void)unlink(outpath);
	free(outpath);
	return rc;
}

static char *
slurp(const struct confdir *c, const char *name, mode_t *mode)
{
	struct cd_err	 err;
	char		*s = NULL;

	ck_assert_int_eq(install_file_get(c->dir, name, &s, NULL, mode, NULL,
	    NULL, &err), 0);
	return s;
}

START_TEST(write_restore)
{
	struct confdir		 c;
	struct cfgblock_saved	 saved, again;
	struct cd_err		 err;
	char			*s, *want;
	mode_t			 mode;

	memset(&saved, 0, sizeof(saved));
	memset(&again, 0, sizeof(again));
	confdir_init(&c, "a = 1", 0640);
	/* the block goes in; the file as it was is kept next to it, with
	 * its mode, and in saved */
	ck_assert_int_eq(write_caught(&c, c.path, "n", &saved, &err), 0);
	ck_assert(saved.changed);
	ck_assert_str_eq(saved.file.data, "a = 1");
	ck_assert_uint_eq(saved.file.len, 5);
	ck_assert_uint_eq(saved.file.mode, 0640);
	s = slurp(&c, "cfg", &mode);
	ck_assert_str_eq(s, "a = 1\n# certd begin\nk = /d/n\n# certd end\n");
	ck_assert_uint_eq(mode, 0640);
	free(s);
	s = slurp(&c, BAK, &mode);
	ck_assert_str_eq(s, "a = 1");
	ck_assert_uint_eq(mode, 0640);
	free(s);
	want = xasprintf("certd: n: t: %s/cfg: certd block written (saved as "
	    BAK ")\n", c.dir);
	ck_assert_str_eq(c.out, want);
	free(want);
	/* a second use of the same record is refused */
	ck_assert_int_eq(cfgblock_write(&test_mta, c.path, "/d", "n", &saved,
	    &err), -1);
	ck_assert_str_eq(err.msg, "t: configure: no backup");
	/* restore() puts the file back, mode and all */
	ck_assert_int_eq(cfgblock_restore(c.path, &saved, &err), 0);
	s = slurp(&c, "cfg", &mode);
	ck_assert_str_eq(s, "a = 1");
	ck_assert_uint_eq(mode, 0640);
	free(s);
	/* configured once more, then again: the second finds its block and
	 * neither writes nor says anything */
	ck_assert_int_eq(write_caught(&c, c.path, "n", &again, &err), 0);
	ck_assert(again.changed);
	install_saved_clear(&again.file);
	memset(&again, 0, sizeof(again));
	ck_assert_int_eq(write_caught(&c, c.path, "n", &again, &err), 0);
	ck_assert(!again.changed);
	ck_assert_str_eq(c.out, "");
	/* restore() of what did not change does nothing */
	ck_assert_int_eq(cfgblock_restore("/nonexistent/cfg", &again, &err),
	    0);
	s = slurp(&c, "cfg", NULL);
	ck_assert_str_eq(s, "a = 1\n# certd begin\nk = /d/n\n# certd end\n");
	free(s);
	install_saved_clear(&again.file);
	install_saved_clear(&saved.file);
	confdir_clear(&c);
}
END_TEST

enum { SAVED_NEW, SAVED_NULL, SAVED_USED };

static const struct {
	const char	*content;	/* NULL: no config file */
	const char	*path;		/* "%s": the directory */
	const char	*name;
	int		 saved;
	const char	*msg;		/* "%s": the directory */
} write_errors[] = {
	{ NULL, "%s/cfg", "n", SAVED_NEW, "t: %s/cfg: no such file" },
	{ "a\n", "%s/cfg", "../n", SAVED_NEW, "t: bad certificate name" },
	{ "a\n", "%s/cfg", NULL, SAVED_NEW, "t: bad certificate name" },
	{ "a\n", "%s/cfg", "n", SAVED_NULL, "t: configure: no backup" },
	{ "a\n", "%s/cfg", "n", SAVED_USED, "t: configure: no backup" },
	{ "a\n", "cfg", "n", SAVED_NEW, "cfg: not a file path" },
	{ "a\n", "%s/", "n", SAVED_NEW, "%s/: not a file path" },
	/* the editor (dovecot's) refuses the file: it stays, no backup */
	{ "# certd begin\na\n", "%s/cfg", "n", SAVED_NEW,
	    "dovecot: \"# certd begin\" without \"# certd end\"" },
	{ "a\n# certd begin\n# certd end\n# certd begin\n# certd end\n",
	    "%s/cfg", "n", SAVED_NEW,
	    "dovecot: two certd blocks in the config" },
};

START_TEST(write_error_table)
{
	struct confdir		 c;
	struct cfgblock_saved	 saved;
	struct cd_err		 err;
	char			*path, *msg, *s;

	memset(&saved, 0, sizeof(saved));
	saved.changed = write_errors[_i].saved == SAVED_USED;
	confdir_init(&c, write_errors[_i].content, 0644);
	path = xasprintf(write_errors[_i].path, c.dir);
	msg = xasprintf(write_errors[_i].msg, c.dir);
	cd_err_clear(&err);
	ck_assert_int_eq(write_caught(&c, path, write_errors[_i].name,
	    write_errors[_i].saved == SAVED_NULL ? NULL : &saved, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_str_eq(c.out, "");
	ck_assert_ptr_null(saved.file.data);
	ck_assert(saved.changed == (write_errors[_i].saved == SAVED_USED));
	s = slurp(&c, "cfg", NULL);
	if (write_errors[_i].content == NULL)
		ck_assert_ptr_null(s);
	else
		ck_assert_str_eq(s, write_errors[_i].content);
	free(s);
	s = slurp(&c, BAK, NULL);
	ck_assert_ptr_null(s);
	free(path);
	free(msg);
	confdir_clear(&c);
}
END_TEST

START_TEST(print_template)
{
	struct cd_err	 err;
	FILE		*fp;
	char		 buf[256];
	size_t		 n;

	ck_assert_ptr_nonnull(fp = tmpfile());
	ck_assert_int_eq(cfgblock_print(&test_mta, "/d", "n", fp, &err), 0);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "# a comment\nk = /d/n\n");
	ck_assert_int_eq(cfgblock_print(&test_mta, "/d", "a/b", fp, &err),
	    -1);
	ck_assert_int_eq(err.kind, CD_EUSAGE);
	ck_assert_str_eq(err.msg, "t: bad certificate name");
	ck_assert_int_eq(cfgblock_print(&test_mta, "/d", NULL, fp, &err), -1);
	(void)fclose(fp);
}
END_TEST

Suite *
mta2_suite(void)
{
	Suite	*s = suite_create("mta2");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, exim_edit, 0,
	    sizeof(exim_cases) / sizeof(exim_cases[0]));
	tcase_add_loop_test(tc, dovecot_edit, 0,
	    sizeof(dovecot_cases) / sizeof(dovecot_cases[0]));
	tcase_add_test(tc, edit_replaces);
	suite_add_tcase(s, tc);
	tc = tcase_create("cfgblock");
	tcase_add_loop_test(tc, block_edit, 0,
	    sizeof(block_cases) / sizeof(block_cases[0]));
	tcase_add_test(tc, block_edit_blocks);
	tcase_add_loop_test(tc, expand_table, 0,
	    sizeof(expand_cases) / sizeof(expand_cases[0]));
	tcase_add_test(tc, expand_sizes);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_test(tc, write_restore);
	tcase_add_loop_test(tc, write_error_table, 0,
	    sizeof(write_errors) / sizeof(write_errors[0]));
	tcase_add_test(tc, print_template);
	suite_add_tcase(s, tc);
	return s;
}
