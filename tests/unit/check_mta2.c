/*
 * check_mta2.c - the pure config editors of the Exim and Dovecot adapters
 * (certd/install/exim.c, dovecot.c): where the certd block goes, what is
 * commented out, idempotence, and refusal of broken or hostile input.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "install/install.h"

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
	return s;
}
