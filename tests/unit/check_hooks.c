/*
 * check_hooks.c - hooks.c (exit codes, output cap, timeout on the process
 * group, clean environment and fds, no shell interpolation) and the
 * argument checks of hooks/dns-01-nsupdate. Scripts are written to a
 * temporary directory at test time.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "file.h"
#include "hooks.h"

#define TXT_VALUE	"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"	/* 43 */
#define TXT_NAME	"_acme-challenge.mx.example.org"

/* A fresh directory holding one script "hook" with the given body. */
static void
make_script(char *dir, const char *body, mode_t mode, char *path,
    size_t pathlen)
{
	char	 text[1024];
	int	 dfd, n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(dfd, -1);
	n = snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	ck_assert_int_eq(file_create(dfd, "hook", text, (size_t)n, mode,
	    NULL), 0);
	(void)close(dfd);
	n = snprintf(path, pathlen, "%s/hook", dir);
	ck_assert(n > 0 && (size_t)n < pathlen);
}

static void
remove_dir(const char *dir)
{
	ck_assert_int_eq(file_remove_tree(AT_FDCWD, dir, NULL), 0);
}

static const struct {
	const char	*body;
	int		 status;
	const char	*output;
} scripts[] = {
	{ "echo hello; echo oops >&2; exit 0", 0, "hello\noops\n" },
	{ "echo later; exit 75", HOOKS_EX_TEMPFAIL, "later\n" },
	{ "exit 3", 3, "" },
	{ "kill -KILL $$", 128 + SIGKILL, "" },
	{ "if read -r x; then echo data; else echo eof; fi", 0, "eof\n" },
	/* nothing but stdin, stdout and stderr is inherited */
	{ "exec ls /proc/self/fd", 0, "0\n1\n2\n3\n" },
	/* default signal dispositions, even when certd ignores SIGTERM */
	{ "exec 2>/dev/null; sleep 5 & kill -TERM $!; wait $!; echo $?", 0,
	    "143\n" },
};

START_TEST(run_scripts)
{
	char			 dir[] = "/tmp/check_hooks.XXXXXX";
	char			 path[PATH_MAX];
	const char		*argv[] = { path, NULL };
	struct hooks_result	 res;
	struct cd_err		 err;
	struct sigaction	 sa, osa;
	int			 leak;

	make_script(dir, scripts[_i].body, 0755, path, sizeof(path));
	/* neither an fd without O_CLOEXEC nor an ignored signal leaks */
	leak = open("/dev/null", O_RDONLY);
	ck_assert_int_ne(leak, -1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	ck_assert_int_eq(sigaction(SIGTERM, &sa, &osa), 0);
	ck_assert_int_eq(hooks_run(argv, NULL, 10, &res, &err), 0);
	ck_assert_int_eq(sigaction(SIGTERM, &osa, NULL), 0);
	ck_assert_int_eq(res.status, scripts[_i].status);
	ck_assert_int_eq(res.timed_out, 0);
	ck_assert_str_eq(res.output, scripts[_i].output);
	ck_assert_uint_eq(res.len, strlen(scripts[_i].output));
	hooks_result_clear(&res);
	(void)close(leak);
	remove_dir(dir);
}
END_TEST

/* exactly at the cap, and over it: kept up to the cap, rest discarded */
static const size_t out_sizes[] = {
	HOOKS_OUTPUT_MAX - 1, HOOKS_OUTPUT_MAX, HOOKS_OUTPUT_MAX + 1,
	4 * HOOKS_OUTPUT_MAX + 7,
};

START_TEST(output_cap)
{
	char			 dir[] = "/tmp/check_hooks.XXXXXX";
	char			 path[PATH_MAX], body[128];
	const char		*argv[] = { path, NULL };
	struct hooks_result	 res;
	size_t			 want, i;

	(void)snprintf(body, sizeof(body), "head -c %zu /dev/zero | "
	    "tr '\\000' a; exit 0", out_sizes[_i]);
	make_script(dir, body, 0755, path, sizeof(path));
	ck_assert_int_eq(hooks_run(argv, NULL, 10, &res, NULL), 0);
	ck_assert_int_eq(res.status, 0);
	want = out_sizes[_i] < HOOKS_OUTPUT_MAX ? out_sizes[_i] :
	    HOOKS_OUTPUT_MAX;
	ck_assert_uint_eq(res.len, want);
	ck_assert_uint_eq(strlen(res.output), want);
	for (i = 0; i < res.len; i++)
		if (res.output[i] != 'a')
			ck_abort_msg("byte %zu is %d", i, res.output[i]);
	hooks_result_clear(&res);
	remove_dir(dir);
}
END_TEST

/*
 * A hook past its timeout is killed with its whole process group,
 * including a background grandchild. This process becomes a subreaper,
 * so the orphaned grandchild is reparented here: waitpid() then returns
 * once it is dead (or ECHILD if the hook's shell reaped it first); if it
 * survived, the test would hang and fail on the Check timeout.
 */
START_TEST(timeout_kills_group)
{
	char			 dir[] = "/tmp/check_hooks.XXXXXX";
	char			 path[PATH_MAX], *end;
	const char		*argv[] = { path, NULL };
	struct hooks_result	 res;
	long			 gpid;
	int			 st;
	pid_t			 r;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	make_script(dir, "sleep 60 & echo $!; sleep 60; echo not killed",
	    0755, path, sizeof(path));
	ck_assert_int_eq(hooks_run(argv, NULL, 1, &res, NULL), 0);
	ck_assert_int_eq(res.timed_out, 1);
	ck_assert_int_eq(res.status, 128 + SIGTERM);
	ck_assert_ptr_null(strstr(res.output, "not killed"));
	errno = 0;
	gpid = strtol(res.output, &end, 10);
	ck_assert(errno == 0 && gpid > 1 && *end == '\n');
	r = waitpid((pid_t)gpid, &st, 0);
	if (r == -1) {
		ck_assert_int_eq(errno, ECHILD);
		ck_assert_int_eq(kill((pid_t)gpid, 0), -1);
	} else {
		ck_assert_int_eq(r, (pid_t)gpid);
		ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	}
	hooks_result_clear(&res);
	remove_dir(dir);
}
END_TEST

/* A hook that exits while a descendant keeps the pipe open is done at
 * once; waiting for EOF would run into the timeout. */
START_TEST(exit_with_background)
{
	char			 dir[] = "/tmp/check_hooks.XXXXXX";
	char			 path[PATH_MAX], *end;
	const char		*argv[] = { path, NULL };
	struct hooks_result	 res;
	long			 bg;

	make_script(dir, "sleep 30 & echo $!; exit 4", 0755, path,
	    sizeof(path));
	ck_assert_int_eq(hooks_run(argv, NULL, 10, &res, NULL), 0);
	ck_assert_int_eq(res.timed_out, 0);
	ck_assert_int_eq(res.status, 4);
	errno = 0;
	bg = strtol(res.output, &end, 10);
	ck_assert(errno == 0 && bg > 1 && *end == '\n');
	ck_assert_int_eq(kill((pid_t)bg, SIGKILL), 0);	/* still running */
	hooks_result_clear(&res);
	remove_dir(dir);
}
END_TEST

START_TEST(environment)
{
	const char *const	 argv[] = { "/usr/bin/env", NULL };
	const char *const	 env[] = { "CERTD_DOMAIN=mx.example.org",
	    "CERTD_X=a b $(id)", "PATH=/tmp/evil", NULL };
	struct hooks_result	 res;

	ck_assert_int_eq(setenv("CERTD_LEAK", "1", 1), 0);
	ck_assert_int_eq(hooks_run(argv, env, 10, &res, NULL), 0);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(res.output, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
	    "CERTD_DOMAIN=mx.example.org\nCERTD_X=a b $(id)\n");
	hooks_result_clear(&res);
}
END_TEST

START_TEST(arguments_literal)
{
	const char *const	 argv[] = { "/usr/bin/printf", "%s|", "a b",
	    "\"q\" 'x'", "$(id)", "`id`", ";exit 1", "*", "$HOME", NULL };
	struct hooks_result	 res;

	ck_assert_int_eq(hooks_run(argv, NULL, 10, &res, NULL), 0);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_eq(res.output,
	    "a b|\"q\" 'x'|$(id)|`id`|;exit 1|*|$HOME|");
	hooks_result_clear(&res);
}
END_TEST

START_TEST(refused)
{
	char			 dir[] = "/tmp/check_hooks.XXXXXX";
	char			 path[PATH_MAX], missing[PATH_MAX + 8];
	const char		*relative[] = { "bin/true", NULL };
	const char		*bare[] = { "true", NULL };
	const char		*noexec[] = { path, NULL };
	const char		*directory[] = { "/tmp", NULL };
	const char		*gone[] = { missing, NULL };
	const char		*empty[] = { NULL };
	const char		*badenv[] = { "NOEQUALS", NULL };
	const char		*ok[] = { "/bin/true", NULL };
	struct hooks_result	 res;
	struct cd_err		 err;

	make_script(dir, "exit 0", 0644, path, sizeof(path));
	(void)snprintf(missing, sizeof(missing), "%s/nothere", dir);
	ck_assert_int_eq(hooks_run(relative, NULL, 1, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "not an absolute path"));
	ck_assert_int_eq(hooks_run(bare, NULL, 1, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(hooks_run(noexec, NULL, 1, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "not an executable file"));
	ck_assert_int_eq(hooks_run(directory, NULL, 1, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(hooks_run(gone, NULL, 1, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(hooks_run(empty, NULL, 1, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(hooks_run(ok, badenv, 1, &res, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_ptr_null(res.output);
	remove_dir(dir);
}
END_TEST

/* ---- hooks/dns-01-nsupdate */

static const struct {
	const char	*action, *name, *value;
	const char	*server;	/* NULL: unset */
	int		 status;
	const char	*msg;		/* expected in the first line */
} nsupdate_cases[] = {
	{ "add", "bad name", TXT_VALUE, "127.0.0.1", 1, "bad record name" },
	{ "add", "a..example.org", TXT_VALUE, "127.0.0.1", 1,
	    "bad record name" },
	{ "add", "-a.example.org", TXT_VALUE, "127.0.0.1", 1,
	    "bad record name" },
	{ "add", "a;rm -rf x.org", TXT_VALUE, "127.0.0.1", 1,
	    "bad record name" },
	{ "add", "a\nupdate delete example.org", TXT_VALUE, "127.0.0.1", 1,
	    "bad record name" },
	{ "add", "", TXT_VALUE, "127.0.0.1", 1, "bad record name" },
	{ "add", TXT_NAME, "short", "127.0.0.1", 1, "bad TXT value" },
	{ "add", TXT_NAME, TXT_VALUE "A", "127.0.0.1", 1, "bad TXT value" },
	{ "add", TXT_NAME, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX+",
	    "127.0.0.1", 1, "bad TXT value" },
	{ "add", TXT_NAME, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjE\"X0",
	    "127.0.0.1", 1, "bad TXT value" },
	{ "put", TXT_NAME, TXT_VALUE, "127.0.0.1", 1, "usage" },
	{ "add", TXT_NAME, TXT_VALUE, NULL, 1, "NSUPDATE_SERVER is not set" },
	{ "add", TXT_NAME, TXT_VALUE, "1.2.3.4;x", 1, "bad NSUPDATE_SERVER" },
	/* valid, but nothing listens: a temporary failure */
	{ "add", TXT_NAME, TXT_VALUE, "127.0.0.1", HOOKS_EX_TEMPFAIL,
	    "unreachable" },
	{ "del", TXT_NAME ".", TXT_VALUE, "127.0.0.1", HOOKS_EX_TEMPFAIL,
	    "unreachable" },
};

/* A UDP port on 127.0.0.1 that was free a moment ago. */
static unsigned
closed_udp_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	(void)close(fd);
	return ntohs(sin.sin_port);
}

static const char tsig_key[] = "key \"certd-test\" {\n"
    "\talgorithm hmac-sha256;\n"
    "\tsecret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\";\n"
    "};\n";

/* Runs the hook with a TSIG key file holding keytext and a closed port;
 * checks the exit status and the first line of the output (which certd
 * reports). */
static void
run_nsupdate(const char *action, const char *name, const char *value,
    const char *server, const char *keytext, int status, const char *msg)
{
	char			 dir[] = "/tmp/check_hooks.XXXXXX";
	char			 hook[PATH_MAX], ekey[PATH_MAX + 16];
	char			 eserver[64], eport[32], *nl;
	const char		*argv[5], *env[8];
	struct hooks_result	 res;
	size_t			 n = 0;
	int			 dfd;

	ck_assert_ptr_nonnull(realpath("hooks/dns-01-nsupdate", hook));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(dfd, -1);
	ck_assert_int_eq(file_create(dfd, "tsig.key", keytext,
	    strlen(keytext), 0600, NULL), 0);
	(void)close(dfd);
	(void)snprintf(ekey, sizeof(ekey), "NSUPDATE_KEY=%s/tsig.key", dir);
	(void)snprintf(eport, sizeof(eport), "NSUPDATE_PORT=%u",
	    closed_udp_port());
	env[n++] = "NSUPDATE_CONF=/nonexistent/nsupdate.conf";
	env[n++] = "NSUPDATE_TIMEOUT=2";
	env[n++] = ekey;
	env[n++] = eport;
	if (server != NULL) {
		(void)snprintf(eserver, sizeof(eserver), "NSUPDATE_SERVER=%s",
		    server);
		env[n++] = eserver;
	}
	env[n] = NULL;
	argv[0] = hook;
	argv[1] = action;
	argv[2] = name;
	argv[3] = value;
	argv[4] = NULL;
	ck_assert_int_eq(hooks_run(argv, env, 20, &res, NULL), 0);
	ck_assert_int_eq(res.timed_out, 0);
	ck_assert_msg(res.status == status, "status %d: %s", res.status,
	    res.output);
	if ((nl = strchr(res.output, '\n')) != NULL)
		*nl = '\0';
	ck_assert_msg(strstr(res.output, msg) != NULL, "first line: %s",
	    res.output);
	hooks_result_clear(&res);
	remove_dir(dir);
}

START_TEST(nsupdate_hook)
{
	run_nsupdate(nsupdate_cases[_i].action, nsupdate_cases[_i].name,
	    nsupdate_cases[_i].value, nsupdate_cases[_i].server, tsig_key,
	    nsupdate_cases[_i].status, nsupdate_cases[_i].msg);
}
END_TEST

/* a key file nsupdate cannot read is no temporary failure */
START_TEST(nsupdate_bad_key)
{
	run_nsupdate("add", TXT_NAME, TXT_VALUE, "127.0.0.1", "garbage\n", 1,
	    "unusable TSIG key");
}
END_TEST

/* the configuration file is refused when others may write it */
START_TEST(nsupdate_conf_mode)
{
	static const char	 conf[] = "# test\nNSUPDATE_SERVER=127.0.0.1\n";
	char			 dir[] = "/tmp/check_hooks.XXXXXX";
	char			 hook[PATH_MAX], econf[PATH_MAX + 32];
	const char		*argv[] = { hook, "add", TXT_NAME, TXT_VALUE,
	    NULL };
	const char		*env[] = { econf, NULL };
	struct hooks_result	 res;
	int			 dfd;

	ck_assert_ptr_nonnull(realpath("hooks/dns-01-nsupdate", hook));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(dfd, -1);
	ck_assert_int_eq(file_create(dfd, "ns.conf", conf, sizeof(conf) - 1,
	    0666, NULL), 0);
	(void)close(dfd);
	(void)snprintf(econf, sizeof(econf), "NSUPDATE_CONF=%s/ns.conf", dir);
	ck_assert_int_eq(hooks_run(argv, env, 20, &res, NULL), 0);
	ck_assert_int_eq(res.status, 1);
	ck_assert_ptr_nonnull(strstr(res.output, "world-writable, refused"));
	hooks_result_clear(&res);
	remove_dir(dir);
}
END_TEST

Suite *
hooks_suite(void)
{
	Suite	*s = suite_create("hooks");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, run_scripts, 0,
	    sizeof(scripts) / sizeof(scripts[0]));
	tcase_add_loop_test(tc, output_cap, 0,
	    sizeof(out_sizes) / sizeof(out_sizes[0]));
	tcase_add_test(tc, timeout_kills_group);
	tcase_add_test(tc, exit_with_background);
	tcase_add_test(tc, environment);
	tcase_add_test(tc, arguments_literal);
	tcase_add_test(tc, refused);
	tcase_add_loop_test(tc, nsupdate_hook, 0,
	    sizeof(nsupdate_cases) / sizeof(nsupdate_cases[0]));
	tcase_add_test(tc, nsupdate_bad_key);
	tcase_add_test(tc, nsupdate_conf_mode);
	suite_add_tcase(s, tc);
	return s;
}
