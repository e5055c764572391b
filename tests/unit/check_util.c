/*
 * check_util.c - util.c, buf.c, file.c and acme/err.c helpers.
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "acme_int.h"
#include "buf.h"
#include "file.h"
#include "util.h"

static const struct {
	const char	*s;
	bool		 wild;
	bool		 ok;
} names[] = {
	{ "mx.example.org", false, true },
	{ "MX1.Example.ORG", false, true },
	{ "*.example.org", true, true },
	{ "*.example.org", false, false },
	{ "a..b", false, false },
	{ "-a.b", false, false },
	{ "a-.b", false, false },
	{ "a.b.", false, false },
	{ "", false, false },
	{ "a b", false, false },
	{ "a_b.example", false, false },
	{ "x.xn--p1ai", false, true },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b",
	    false, true },	/* 63 */
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b",
	    false, false },	/* 64 */
};

START_TEST(dnsname)
{
	ck_assert_int_eq(util_is_dnsname(names[_i].s, names[_i].wild),
	    names[_i].ok);
}
END_TEST

static const struct {
	const char	*v;
	time_t		 want;
} retry[] = {
	{ "120", 120 },
	{ "0", 0 },
	{ "", 0 },
	{ "12a", 0 },
	{ "-5", 0 },
	{ "99999999999999999999999", ACME_RETRY_AFTER_MAX },
	{ "86401", ACME_RETRY_AFTER_MAX },
	{ "Fri, 27 Nov 2026 04:01:00 GMT", 60 },	/* now + 60 */
	{ "Fri, 27 Nov 2026 03:59:00 GMT", 0 },		/* past */
	{ "Fri, 27 Nov 2026 04:01:00 UTC", 0 },
	{ "Fri, 32 Nov 2026 04:01:00 GMT", 0 },
	{ "Fri, 27 Foo 2026 04:01:00 GMT", 0 },
	{ "Sat, 27 Nov 2027 04:00:00 GMT", ACME_RETRY_AFTER_MAX },
};

START_TEST(retry_after)
{
	time_t	 now = 1795752000;	/* 2026-11-27 04:00:00 UTC */

	ck_assert_int_eq(acme_retry_after_parse(retry[_i].v, now),
	    retry[_i].want);
}
END_TEST

START_TEST(buf_limit)
{
	struct buf	 b;
	char		*s;
	size_t		 n;

	buf_init(&b, 8);
	ck_assert_int_eq(buf_append(&b, "12345678", 8), 0);	/* at limit */
	ck_assert_int_eq(buf_append(&b, "9", 1), -1);		/* limit + 1 */
	ck_assert_uint_eq(b.len, 8);
	ck_assert_int_eq(buf_take(&b, &s, &n), 0);
	ck_assert_str_eq(s, "12345678");
	free(s);
	buf_init(&b, 4);
	ck_assert_int_eq(buf_printf(&b, "%d", 12345), -1);
	ck_assert_int_eq(buf_printf(&b, "%d", 1234), 0);
	buf_clear(&b);
}
END_TEST

START_TEST(file_replace_atomic)
{
	char		 dir[] = "/tmp/check_util.XXXXXX";
	struct stat	 st;
	char		*data;
	size_t		 len;
	int		 dfd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(dfd, -1);
	ck_assert_int_eq(file_replace(dfd, "k", "one", 3, 0600, NULL), 0);
	ck_assert_int_eq(fstatat(dfd, "k", &st, 0), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(file_replace(dfd, "k", "two!", 4, 0600, NULL), 0);
	ck_assert_int_eq(file_read(dfd, "k", 4, &data, &len, NULL), 0);
	ck_assert_str_eq(data, "two!");
	free(data);
	ck_assert_int_eq(file_read(dfd, "k", 3, &data, &len, NULL), -1);
	ck_assert_int_eq(file_create(dfd, "k", "x", 1, 0600, NULL), -1);
	/* secrets: judged on the opened file */
	ck_assert_int_eq(file_read_private(dfd, "k", 16, &data, &len, NULL),
	    0);
	free(data);
	ck_assert_int_eq(fchmodat(dfd, "k", 0640, 0), 0);
	ck_assert_int_eq(file_read_private(dfd, "k", 16, &data, &len, NULL),
	    -1);
	ck_assert_int_eq(file_read(dfd, "k", 16, &data, &len, NULL), 0);
	free(data);
	ck_assert_int_eq(faccessat(dfd, ".k.new", F_OK, 0), -1);
	(void)close(dfd);
	ck_assert_int_eq(file_remove_tree(AT_FDCWD, dir, NULL), 0);
}
END_TEST

START_TEST(duration)
{
	time_t	 t;

	ck_assert_int_eq(util_parse_duration("30", &t), 0);
	ck_assert_int_eq(t, 30);
	ck_assert_int_eq(util_parse_duration("2d", &t), 0);
	ck_assert_int_eq(t, 172800);
	ck_assert_int_eq(util_parse_duration("d", &t), -1);
	ck_assert_int_eq(util_parse_duration("5x", &t), -1);
	ck_assert_int_eq(util_parse_duration("-5s", &t), -1);
}
END_TEST

Suite *
util_suite(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, dnsname, 0, sizeof(names) / sizeof(names[0]));
	tcase_add_loop_test(tc, retry_after, 0,
	    sizeof(retry) / sizeof(retry[0]));
	tcase_add_test(tc, buf_limit);
	tcase_add_test(tc, file_replace_atomic);
	tcase_add_test(tc, duration);
	suite_add_tcase(s, tc);
	return s;
}
