/*
 * check_revcache.c - revcache.c: creation (0600, WAL, schema version),
 * round trips and expiry for every table, the failure backoff schedule,
 * pruning by age and by size, restarts, hostile values and rows, corrupt
 * files, a table dropped under every statement (error text, no open
 * transaction left), and two connections reading while another writes.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include "file.h"
#include "revocation/revcache.h"

#define T0	1795752000	/* 2026-11-27 04:00:00 UTC */

/* The temp dir of the current test (the checked fixture runs per test). */
static char	 dir[64];
static char	 dbpath[128];

static void
setup(void)
{
	(void)snprintf(dir, sizeof(dir), "/tmp/check_revcache.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(dbpath, sizeof(dbpath), "%s/%s", dir, REVCACHE_FILE);
}

static void
teardown(void)
{
	(void)file_remove_tree(AT_FDCWD, dir, NULL);
}

static const char *
fp(unsigned i)
{
	static char	 s[4][65];
	static int	 next;
	char		*p = s[next++ % 4];

	(void)snprintf(p, 65, "%064x", i);
	return p;
}

static struct revcache *
open_ok(void)
{
	struct revcache	*c;
	struct cd_err	 err;

	c = revcache_open(dbpath, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	return c;
}

/* A second, raw connection to the same file. */
static sqlite3 *
raw_open(void)
{
	sqlite3	*db = NULL;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	(void)sqlite3_busy_timeout(db, 5000);
	return db;
}

static void
raw_exec(sqlite3 *db, const char *q)
{
	char	*msg = NULL;

	ck_assert_msg(sqlite3_exec(db, q, NULL, NULL, &msg) == SQLITE_OK,
	    "%s: %s", q, msg != NULL ? msg : "");
}

static void
raw_text(sqlite3 *db, const char *q, char *out, size_t outlen)
{
	sqlite3_stmt	*st;

	ck_assert_int_eq(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	(void)snprintf(out, outlen, "%s", sqlite3_column_text(st, 0));
	ck_assert_int_eq(sqlite3_finalize(st), SQLITE_OK);
}

/* ---- creation ---- */

START_TEST(open_create)
{
	struct revcache		*c;
	struct rev_result	 r;
	struct stat		 sb;
	struct cd_err		 err;
	sqlite3			*db;
	char			 v[32], wal[160];
	mode_t			 old;

	old = umask(0);		/* 0600 even with a lax umask */
	c = open_ok();
	(void)umask(old);
	ck_assert_int_eq(revcache_verdict_get(c, fp(1), T0, &r, &err), 1);
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	(void)snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	(void)snprintf(wal, sizeof(wal), "%s-shm", dbpath);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	db = raw_open();
	raw_text(db, "PRAGMA journal_mode", v, sizeof(v));
	ck_assert_str_eq(v, "wal");
	raw_text(db, "PRAGMA user_version", v, sizeof(v));
	ck_assert_int_eq(strtol(v, NULL, 10), REVCACHE_SCHEMA);
	raw_text(db, "PRAGMA auto_vacuum", v, sizeof(v));
	ck_assert_str_eq(v, "2");	/* incremental */
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	revcache_close(c);
	revcache_close(NULL);
	/* opening again migrates nothing and keeps the file */
	c = open_ok();
	revcache_close(c);
}
END_TEST

START_TEST(open_refused)
{
	struct cd_err	 err;
	char		 p[192];

	(void)snprintf(p, sizeof(p), "%s/missing/%s", dir, REVCACHE_FILE);
	ck_assert_ptr_null(revcache_open(p, &err));
	ck_assert_int_eq(err.kind, CD_ESYS);
	ck_assert_int_eq(err.sys_errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, p));
	/* a directory */
	ck_assert_ptr_null(revcache_open(dir, &err));
	/* a symlink is not followed */
	(void)snprintf(p, sizeof(p), "%s/link.db", dir);
	ck_assert_int_eq(symlink(dbpath, p), 0);
	ck_assert_ptr_null(revcache_open(p, &err));
	ck_assert_int_eq(err.sys_errno, ELOOP);
	ck_assert_int_eq(access(dbpath, F_OK), -1);	/* not created */
	ck_assert_ptr_null(revcache_open(NULL, &err));
	ck_assert_int_eq(err.kind, CD_ECONFIG);
}
END_TEST

/* ---- verdicts ---- */

static const struct {
	enum rev_status	 status;
	enum rev_source	 source;
	int		 reason;
	time_t		 revoked_at;
	bool		 short_lived;
	const char	*url;
	const char	*detail;
} verdicts[] = {
	{ REV_GOOD, REV_SRC_CRL, REV_REASON_NONE, 0, false,
	    "http://crl.example.net/r1.crl", "" },
	{ REV_REVOKED, REV_SRC_OCSP, 1, T0 - 86400, false,
	    "http://ocsp.example.net/", "keyCompromise" },
	{ REV_REVOKED, REV_SRC_CRL, 4, T0 - 7200, false,
	    "https://crl.example.net/a?b=c&d='e'", "superseded" },
	{ REV_UNKNOWN, REV_SRC_NONE, REV_REASON_NONE, 0, false, "",
	    "http://crl.example.net/r1.crl: HTTP 503" },
	{ REV_GOOD, REV_SRC_NONE, REV_REASON_NONE, 0, true, "",
	    "short-lived, no revocation source" },
	{ REV_UNKNOWN, REV_SRC_STAPLED, REV_REASON_NONE, 0, false, "",
	    "x'); DROP TABLE verdict; --" },
};

static void
fill(struct rev_result *r, unsigned i)
{
	memset(r, 0, sizeof(*r));
	r->status = verdicts[i].status;
	r->source = verdicts[i].source;
	r->reason = verdicts[i].reason;
	r->revoked_at = verdicts[i].revoked_at;
	r->short_lived = verdicts[i].short_lived;
	r->checked_at = T0;
	r->valid_until = T0 + 3600;
	(void)snprintf(r->url, sizeof(r->url), "%s", verdicts[i].url);
	(void)snprintf(r->detail, sizeof(r->detail), "%s", verdicts[i].detail);
}

START_TEST(verdict_round_trip)
{
	struct revcache		*c = open_ok();
	struct rev_result	 in, out;
	struct cd_err		 err;

	fill(&in, (unsigned)_i);
	ck_assert_int_eq(revcache_verdict_put(c, fp(_i), &in, &err), 0);
	memset(&out, 0xa5, sizeof(out));
	ck_assert_int_eq(revcache_verdict_get(c, fp(_i), T0 + 10, &out, &err),
	    0);
	ck_assert_int_eq(out.status, in.status);
	ck_assert_int_eq(out.source, in.source);
	ck_assert_int_eq(out.reason, in.reason);
	ck_assert_int_eq(out.revoked_at, in.revoked_at);
	ck_assert_int_eq(out.short_lived, in.short_lived);
	ck_assert_int_eq(out.checked_at, T0);
	ck_assert_int_eq(out.valid_until, T0 + 3600);
	ck_assert_str_eq(out.url, in.url);
	ck_assert_str_eq(out.detail, in.detail);
	/* expiry by now */
	ck_assert_int_eq(revcache_verdict_get(c, fp(_i), T0 + 3599, &out,
	    &err), 0);
	ck_assert_int_eq(revcache_verdict_get(c, fp(_i), T0 + 3600, &out,
	    &err), 1);
	/* other keys are misses */
	ck_assert_int_eq(revcache_verdict_get(c, fp(100), T0, &out, &err), 1);
	/* a new verdict replaces the old one */
	in.status = REV_REVOKED;
	in.valid_until = T0 + 7200;
	ck_assert_int_eq(revcache_verdict_put(c, fp(_i), &in, &err), 0);
	ck_assert_int_eq(revcache_verdict_get(c, fp(_i), T0 + 3600, &out,
	    &err), 0);
	ck_assert_int_eq(out.status, REV_REVOKED);
	ck_assert_int_eq(revcache_verdict_delete(c, fp(_i), &err), 0);
	ck_assert_int_eq(revcache_verdict_get(c, fp(_i), T0, &out, &err), 1);
	revcache_close(c);
}
END_TEST

static const char *const bad_fps[] = {
	"",
	"00000000000000000000000000000000000000000000000000000000000000a",
	"00000000000000000000000000000000000000000000000000000000000000abc",
	"00000000000000000000000000000000000000000000000000000000000000AB",
	"00000000000000000000000000000000000000000000000000000000000000g0",
	"00:00000000000000000000000000000000000000000000000000000000000000",
	"' OR 1=1 --",
};

START_TEST(verdict_bad_key)
{
	struct revcache		*c = open_ok();
	struct rev_result	 r;
	struct cd_err		 err;

	fill(&r, 0);
	ck_assert_int_eq(revcache_verdict_put(c, bad_fps[_i], &r, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(revcache_verdict_get(c, bad_fps[_i], T0, &r, &err),
	    -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(revcache_verdict_get(c, NULL, T0, &r, &err), -1);
	revcache_close(c);
}
END_TEST

/* ---- CRLs, OCSP, AIA ---- */

static unsigned char *
pattern(size_t len, unsigned seed)
{
	unsigned char	*p = malloc(len);
	size_t		 i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)((i * 31 + seed) ^ (i >> 8));
	return p;
}

START_TEST(crl_round_trip)
{
	struct revcache		*c = open_ok();
	struct revcache_crl	 in, out;
	struct cd_err		 err;
	const char		*url = "http://crl.example.net/int.crl";

	memset(&in, 0, sizeof(in));
	in.etag = "\"abc\"";
	in.last_modified = "Wed, 21 Oct 2026 07:28:00 GMT";
	in.this_update = T0 - 3600;
	in.next_update = T0 + 86400;
	in.fetched_at = T0;
	in.der = pattern(in.der_len = 5000, 1);
	in.index = pattern(in.index_len = 700, 2);
	(void)snprintf(in.issuer_sha256, sizeof(in.issuer_sha256), "%s",
	    fp(77));
	ck_assert_int_eq(revcache_crl_get(c, url, T0, 0, &out, &err), 1);
	ck_assert_int_eq(revcache_crl_put(c, url, &in, &err), 0);
	/* without flags: metadata only */
	ck_assert_int_eq(revcache_crl_get(c, url, T0, 0, &out, &err), 0);
	ck_assert_str_eq(out.etag, "\"abc\"");
	ck_assert_str_eq(out.last_modified, in.last_modified);
	ck_assert_int_eq(out.this_update, in.this_update);
	ck_assert_int_eq(out.next_update, in.next_update);
	ck_assert_int_eq(out.fetched_at, T0);
	ck_assert_str_eq(out.issuer_sha256, fp(77));
	ck_assert_uint_eq(out.size, 5000);
	ck_assert_ptr_null(out.der);
	ck_assert_ptr_null(out.index);
	ck_assert(out.fresh);
	revcache_crl_clear(&out);
	/* the index only, then both */
	ck_assert_int_eq(revcache_crl_get(c, url, T0, REVCACHE_CRL_INDEX,
	    &out, &err), 0);
	ck_assert_ptr_null(out.der);
	ck_assert_uint_eq(out.index_len, 700);
	ck_assert_mem_eq(out.index, in.index, 700);
	revcache_crl_clear(&out);
	ck_assert_int_eq(revcache_crl_get(c, url, T0, REVCACHE_CRL_INDEX |
	    REVCACHE_CRL_DER, &out, &err), 0);
	ck_assert_uint_eq(out.der_len, 5000);
	ck_assert_mem_eq(out.der, in.der, 5000);
	ck_assert_mem_eq(out.index, in.index, 700);
	revcache_crl_clear(&out);
	/* stale after nextUpdate, but still there for its validators */
	ck_assert_int_eq(revcache_crl_get(c, url, T0 + 86400, 0, &out, &err),
	    0);
	ck_assert(!out.fresh);
	ck_assert_str_eq(out.etag, "\"abc\"");
	revcache_crl_clear(&out);
	/* a 304 later */
	ck_assert_int_eq(revcache_crl_touch(c, url, T0 + 500, &err), 0);
	ck_assert_int_eq(revcache_crl_get(c, url, T0, 0, &out, &err), 0);
	ck_assert_int_eq(out.fetched_at, T0 + 500);
	revcache_crl_clear(&out);
	/* no DER stored, no validators */
	free(in.der);
	in.der = NULL;
	in.der_len = 0;
	in.size = 123456;
	in.etag = in.last_modified = NULL;
	in.issuer_sha256[0] = '\0';
	ck_assert_int_eq(revcache_crl_put(c, url, &in, &err), 0);
	ck_assert_int_eq(revcache_crl_get(c, url, T0, REVCACHE_CRL_DER |
	    REVCACHE_CRL_INDEX, &out, &err), 0);
	ck_assert_ptr_null(out.der);
	ck_assert_ptr_null(out.etag);
	ck_assert_ptr_null(out.last_modified);
	ck_assert_str_eq(out.issuer_sha256, "");
	ck_assert_uint_eq(out.size, 123456);
	ck_assert_uint_eq(out.index_len, 700);
	revcache_crl_clear(&out);
	revcache_crl_clear(NULL);
	/* refused */
	in.issuer_sha256[0] = 'X';
	ck_assert_int_eq(revcache_crl_put(c, url, &in, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	in.issuer_sha256[0] = '\0';
	ck_assert_int_eq(revcache_crl_put(c, "", &in, &err), -1);
	free(in.index);
	revcache_close(c);
}
END_TEST

START_TEST(ocsp_round_trip)
{
	struct revcache		*c = open_ok();
	struct revcache_ocsp	 in, out;
	struct cd_err		 err;

	memset(&in, 0, sizeof(in));
	in.url = "http://ocsp.example.net/";
	in.der = pattern(in.len = 1500, 3);
	in.this_update = T0 - 60;
	in.next_update = T0 + 3600;
	in.fetched_at = T0;
	ck_assert_int_eq(revcache_ocsp_get(c, fp(5), T0, &out, &err), 1);
	ck_assert_int_eq(revcache_ocsp_put(c, fp(5), &in, &err), 0);
	ck_assert_int_eq(revcache_ocsp_get(c, fp(5), T0 + 3599, &out, &err),
	    0);
	ck_assert_str_eq(out.url, in.url);
	ck_assert_uint_eq(out.len, 1500);
	ck_assert_mem_eq(out.der, in.der, 1500);
	ck_assert_int_eq(out.this_update, T0 - 60);
	ck_assert_int_eq(out.next_update, T0 + 3600);
	ck_assert_int_eq(out.fetched_at, T0);
	revcache_ocsp_clear(&out);
	revcache_ocsp_clear(NULL);
	ck_assert_int_eq(revcache_ocsp_get(c, fp(5), T0 + 3600, &out, &err),
	    1);
	ck_assert_ptr_null(out.der);
	/* bounds: REV_OCSP_MAX bytes at most, never empty */
	free(in.der);
	in.der = pattern(in.len = REV_OCSP_MAX, 4);
	ck_assert_int_eq(revcache_ocsp_put(c, fp(6), &in, &err), 0);
	ck_assert_int_eq(revcache_ocsp_get(c, fp(6), T0, &out, &err), 0);
	ck_assert_uint_eq(out.len, REV_OCSP_MAX);
	revcache_ocsp_clear(&out);
	in.len = REV_OCSP_MAX + 1;
	ck_assert_int_eq(revcache_ocsp_put(c, fp(7), &in, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	in.len = 0;
	ck_assert_int_eq(revcache_ocsp_put(c, fp(7), &in, &err), -1);
	free(in.der);
	revcache_close(c);
}
END_TEST

START_TEST(aia_round_trip)
{
	struct revcache	*c = open_ok();
	struct cd_err	 err;
	unsigned char	*in, *out;
	size_t		 len;
	const char	*url = "http://ca.example.net/int.der";

	in = pattern(900, 5);
	ck_assert_int_eq(revcache_aia_get(c, url, T0, &out, &len, &err), 1);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(revcache_aia_put(c, url, in, 900, T0, T0 + 100,
	    &err), 0);
	ck_assert_int_eq(revcache_aia_get(c, url, T0 + 99, &out, &len, &err),
	    0);
	ck_assert_uint_eq(len, 900);
	ck_assert_mem_eq(out, in, 900);
	free(out);
	ck_assert_int_eq(revcache_aia_get(c, url, T0 + 100, &out, &len, &err),
	    1);
	ck_assert_int_eq(revcache_aia_put(c, url, in, REV_AIA_MAX + 1, T0,
	    T0 + 100, &err), -1);
	ck_assert_int_eq(revcache_aia_put(c, url, NULL, 0, T0, T0 + 100,
	    &err), -1);
	free(in);
	revcache_close(c);
}
END_TEST

/* ---- failures and backoff ---- */

static const struct {
	unsigned	 n;
	time_t		 delay;
} backoff[] = {
	{ 0, 0 },
	{ 1, 60 },
	{ 2, 120 },
	{ 3, 240 },
	{ 4, 480 },
	{ 5, 960 },
	{ 6, 1920 },
	{ 7, 3600 },
	{ 8, 3600 },
	{ 100, 3600 },
	{ UINT_MAX, 3600 },
};

START_TEST(backoff_schedule)
{
	ck_assert_int_eq(revcache_backoff(backoff[_i].n), backoff[_i].delay);
}
END_TEST

START_TEST(failure_schedule)
{
	struct revcache	*c = open_ok();
	struct cd_err	 err;
	const char	*url = "http://crl.example.net/down.crl";
	char		 text[64], big[3000];
	time_t		 when, now = T0;
	unsigned	 n, i;

	ck_assert_int_eq(revcache_failure_retry_at(c, url, now, &when, &n,
	    text, sizeof(text), &err), 1);
	/* consecutive failures, each noted when the backoff ends */
	for (i = 1; i <= 9; i++) {
		ck_assert_int_eq(revcache_failure_note(c, url, "HTTP 503", now,
		    &err), 0);
		ck_assert_int_eq(revcache_failure_retry_at(c, url, now, &when,
		    &n, text, sizeof(text), &err), 0);
		ck_assert_uint_eq(n, i);
		ck_assert_int_eq(when, now + revcache_backoff(i));
		ck_assert_str_eq(text, "HTTP 503");
		ck_assert_int_eq(revcache_failure_retry_at(c, url, when - 1,
		    &when, NULL, NULL, 0, &err), 0);
		now = when;
		ck_assert_int_eq(revcache_failure_retry_at(c, url, now, &when,
		    NULL, NULL, 0, &err), 1);
	}
	/* a long quiet spell starts the count again */
	now += REVCACHE_BACKOFF_MAX + 1;
	ck_assert_int_eq(revcache_failure_note(c, url, "timeout", now, &err),
	    0);
	ck_assert_int_eq(revcache_failure_retry_at(c, url, now, &when, &n,
	    text, sizeof(text), &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(when, now + 60);
	ck_assert_str_eq(text, "timeout");
	/* other URLs are independent; success forgets */
	ck_assert_int_eq(revcache_failure_retry_at(c, "http://x/", now, &when,
	    NULL, NULL, 0, &err), 1);
	ck_assert_int_eq(revcache_failure_clear(c, url, &err), 0);
	ck_assert_int_eq(revcache_failure_retry_at(c, url, now, &when, NULL,
	    NULL, 0, &err), 1);
	/* long error text is cut, and too long for a small buffer reads "" */
	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(revcache_failure_note(c, url, big, now, &err), 0);
	ck_assert_int_eq(revcache_failure_retry_at(c, url, now, &when, &n,
	    text, sizeof(text), &err), 0);
	ck_assert_str_eq(text, "");
	ck_assert_int_eq(revcache_failure_retry_at(c, url, now, &when, &n,
	    big, sizeof(big), &err), 0);
	ck_assert_uint_eq(strlen(big), REVCACHE_TEXT_MAX);
	ck_assert_int_eq(revcache_failure_note(c, url, NULL, now, &err), 0);
	revcache_close(c);
}
END_TEST

/* ---- pruning ---- */

static void
put_crl(struct revcache *c, unsigned i, size_t len, time_t fetched,
    time_t next)
{
	struct revcache_crl	 in;
	struct cd_err		 err;
	char			 url[64];

	memset(&in, 0, sizeof(in));
	in.this_update = fetched;
	in.next_update = next;
	in.fetched_at = fetched;
	in.der = pattern(in.der_len = len, i);
	in.index = pattern(in.index_len = len / 10 + 1, i + 1);
	(void)snprintf(url, sizeof(url), "http://crl.example.net/%u.crl", i);
	ck_assert_int_eq(revcache_crl_put(c, url, &in, &err), 0);
	free(in.der);
	free(in.index);
}

static int
has_crl(struct revcache *c, unsigned i)
{
	struct revcache_crl	 out;
	struct cd_err		 err;
	char			 url[64];
	int			 rc;

	(void)snprintf(url, sizeof(url), "http://crl.example.net/%u.crl", i);
	rc = revcache_crl_get(c, url, T0, 0, &out, &err);
	ck_assert_int_ne(rc, -1);
	revcache_crl_clear(&out);
	return rc == 0;
}

START_TEST(prune_age)
{
	struct revcache		*c = open_ok();
	struct rev_result	 r;
	struct revcache_ocsp	 o;
	struct cd_err		 err;
	unsigned char		 der[10] = { 1 }, *p;
	time_t			 when;
	size_t			 n, len;

	fill(&r, 0);
	r.valid_until = T0 - 1;
	ck_assert_int_eq(revcache_verdict_put(c, fp(1), &r, &err), 0);
	r.valid_until = T0 + 1;
	ck_assert_int_eq(revcache_verdict_put(c, fp(2), &r, &err), 0);
	memset(&o, 0, sizeof(o));
	o.der = der;
	o.len = sizeof(der);
	o.next_update = T0;
	ck_assert_int_eq(revcache_ocsp_put(c, fp(3), &o, &err), 0);
	o.next_update = T0 + 10;
	ck_assert_int_eq(revcache_ocsp_put(c, fp(4), &o, &err), 0);
	ck_assert_int_eq(revcache_aia_put(c, "http://a/1", der, sizeof(der),
	    T0 - 10, T0 - 5, &err), 0);
	ck_assert_int_eq(revcache_aia_put(c, "http://a/2", der, sizeof(der),
	    T0 - 10, T0 + 5, &err), 0);
	/* CRLs stay REVCACHE_CRL_KEEP past nextUpdate */
	put_crl(c, 1, 100, T0 - 200000, T0 - REVCACHE_CRL_KEEP);
	put_crl(c, 2, 100, T0 - 200000, T0 - REVCACHE_CRL_KEEP + 1);
	ck_assert_int_eq(revcache_failure_note(c, "http://f/1", "x",
	    T0 - 60 - REVCACHE_BACKOFF_MAX, &err), 0);
	ck_assert_int_eq(revcache_failure_note(c, "http://f/2", "x",
	    T0 - 60, &err), 0);

	ck_assert_int_eq(revcache_prune(c, T0, 0, &n, &err), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(revcache_verdict_get(c, fp(2), T0, &r, &err), 0);
	ck_assert_int_eq(revcache_ocsp_get(c, fp(4), T0, &o, &err), 0);
	revcache_ocsp_clear(&o);
	ck_assert_int_eq(revcache_aia_get(c, "http://a/2", T0, &p, &len, &err),
	    0);
	free(p);
	ck_assert(!has_crl(c, 1));
	ck_assert(has_crl(c, 2));
	/* the remaining failure row is still there (in backoff until T0) */
	ck_assert_int_eq(revcache_failure_retry_at(c, "http://f/2", T0 - 1,
	    &when, NULL, NULL, 0, &err), 0);
	/* the expired rows are really gone, not just filtered on read */
	ck_assert_int_eq(revcache_verdict_get(c, fp(1), 0, &r, &err), 1);
	ck_assert_int_eq(revcache_ocsp_get(c, fp(3), 0, &o, &err), 1);
	ck_assert_int_eq(revcache_aia_get(c, "http://a/1", 0, &p, &len, &err),
	    1);
	ck_assert_int_eq(revcache_failure_retry_at(c, "http://f/1", 0, &when,
	    NULL, NULL, 0, &err), 1);
	/* nothing left to do */
	ck_assert_int_eq(revcache_prune(c, T0, 0, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	revcache_close(c);
}
END_TEST

START_TEST(prune_size)
{
	struct revcache		*c = open_ok();
	struct rev_result	 r;
	struct cd_err		 err;
	struct stat		 sb;
	size_t			 used, n;
	unsigned		 i;

	for (i = 0; i < 10; i++)	/* 0 is the least recently fetched */
		put_crl(c, i, 200000, T0 - 1000 + i, T0 + 86400);
	fill(&r, 1);
	ck_assert_int_eq(revcache_verdict_put(c, fp(1), &r, &err), 0);
	ck_assert_int_eq(revcache_used_bytes(c, &used, &err), 0);
	ck_assert_uint_gt(used, 10 * 220000);
	ck_assert_int_eq(revcache_prune(c, T0, 1000000, &n, &err), 0);
	ck_assert_uint_eq(n, 6);	/* 4 * 220 KB fit in 1 MB */
	ck_assert_int_eq(revcache_used_bytes(c, &used, &err), 0);
	ck_assert_uint_le(used, 1000000);
	for (i = 0; i < 6; i++)
		ck_assert(!has_crl(c, i));
	for (i = 6; i < 10; i++)
		ck_assert(has_crl(c, i));
	/* verdicts are small and stay */
	ck_assert_int_eq(revcache_verdict_get(c, fp(1), T0, &r, &err), 0);
	/* the file shrank too (incremental vacuum, WAL checkpointed) */
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_le(sb.st_size, 1100000);
	/* a limit below what is left besides CRLs: every CRL goes */
	ck_assert_int_eq(revcache_prune(c, T0, 1, &n, &err), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert(!has_crl(c, 9));
	ck_assert_int_eq(revcache_verdict_get(c, fp(1), T0, &r, &err), 0);
	revcache_close(c);
}
END_TEST

START_TEST(reopen_keeps_data)
{
	struct revcache		*c = open_ok();
	struct rev_result	 in, out;
	struct cd_err		 err;
	time_t			 when;

	fill(&in, 1);
	ck_assert_int_eq(revcache_verdict_put(c, fp(9), &in, &err), 0);
	put_crl(c, 3, 4000, T0, T0 + 100);
	ck_assert_int_eq(revcache_failure_note(c, "http://f/", "x", T0, &err),
	    0);
	revcache_close(c);
	c = open_ok();
	ck_assert_int_eq(revcache_verdict_get(c, fp(9), T0, &out, &err), 0);
	ck_assert_int_eq(out.status, REV_REVOKED);
	ck_assert_str_eq(out.detail, "keyCompromise");
	ck_assert(has_crl(c, 3));
	ck_assert_int_eq(revcache_failure_retry_at(c, "http://f/", T0, &when,
	    NULL, NULL, 0, &err), 0);
	ck_assert_int_eq(when, T0 + 60);
	revcache_close(c);
}
END_TEST

/* ---- hostile values ---- */

START_TEST(hostile_values)
{
	struct revcache		*c = open_ok();
	struct rev_result	 in, out;
	struct revcache_crl	 crl, got;
	struct cd_err		 err;
	unsigned char		*big;
	size_t			 len = 16 * 1024 * 1024;

	/* NUL inside detail: stored up to the NUL */
	fill(&in, 0);
	memcpy(in.detail, "before\0after", 13);
	ck_assert_int_eq(revcache_verdict_put(c, fp(1), &in, &err), 0);
	ck_assert_int_eq(revcache_verdict_get(c, fp(1), T0, &out, &err), 0);
	ck_assert_str_eq(out.detail, "before");
	/* arrays without any NUL: cut one byte short, and read back */
	memset(in.detail, 'd', sizeof(in.detail));
	memset(in.url, 'u', sizeof(in.url));
	ck_assert_int_eq(revcache_verdict_put(c, fp(2), &in, &err), 0);
	ck_assert_int_eq(revcache_verdict_get(c, fp(2), T0, &out, &err), 0);
	ck_assert_uint_eq(strlen(out.detail), sizeof(out.detail) - 1);
	ck_assert_uint_eq(strlen(out.url), REV_URL_MAX);
	/* control bytes and quotes are just bytes */
	fill(&in, 0);
	(void)snprintf(in.detail, sizeof(in.detail), "%s",
	    "\x01\x7f\"';\n\r\t\xff");
	ck_assert_int_eq(revcache_verdict_put(c, fp(3), &in, &err), 0);
	ck_assert_int_eq(revcache_verdict_get(c, fp(3), T0, &out, &err), 0);
	ck_assert_str_eq(out.detail, in.detail);
	/* a 16 MiB CRL (within bounds) */
	memset(&crl, 0, sizeof(crl));
	crl.next_update = T0 + 1;
	crl.der = big = pattern(len, 9);
	crl.der_len = len;
	ck_assert_int_eq(revcache_crl_put(c, "http://big/", &crl, &err), 0);
	ck_assert_int_eq(revcache_crl_get(c, "http://big/", T0,
	    REVCACHE_CRL_DER, &got, &err), 0);
	ck_assert_uint_eq(got.der_len, len);
	ck_assert_uint_eq(got.size, len);
	ck_assert(memcmp(got.der, big, len) == 0);
	revcache_crl_clear(&got);
	/* over the bound: refused before the data is read */
	crl.der_len = (size_t)REVCACHE_BLOB_MAX + 1;
	ck_assert_int_eq(revcache_crl_put(c, "http://big/", &crl, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	crl.der_len = len;
	crl.etag = "\"x\"";
	crl.last_modified = NULL;
	free(big);
	crl.der = NULL;
	crl.der_len = 0;
	/* URL keys at the limit and over it */
	{
		char	 u[REV_URL_MAX + 2];

		memset(u, 'h', sizeof(u));
		u[REV_URL_MAX] = '\0';
		ck_assert_int_eq(revcache_crl_put(c, u, &crl, &err), 0);
		ck_assert_int_eq(revcache_crl_get(c, u, T0, 0, &got, &err), 0);
		ck_assert_str_eq(got.etag, "\"x\"");
		revcache_crl_clear(&got);
		u[REV_URL_MAX] = 'h';
		u[REV_URL_MAX + 1] = '\0';
		ck_assert_int_eq(revcache_crl_put(c, u, &crl, &err), -1);
		ck_assert_int_eq(err.kind, CD_ECONFIG);
		ck_assert_int_eq(revcache_crl_get(c, u, T0, 0, &got, &err),
		    -1);
	}
	revcache_close(c);
}
END_TEST

/* Rows written behind the module's back read as misses, not crashes. */
static const char *const bad_rows[] = {
	/* status out of range */
	"INSERT INTO verdict VALUES (?1, 7, 1, -1, 0, 0, '', '', 0, ?2)",
	/* source out of range */
	"INSERT INTO verdict VALUES (?1, 0, 99, -1, 0, 0, '', '', 0, ?2)",
	/* reason out of range */
	"INSERT INTO verdict VALUES (?1, 1, 1, 11, 0, 0, '', '', 0, ?2)",
	/* NUL inside detail */
	"INSERT INTO verdict VALUES (?1, 0, 1, -1, 0, 0, '', "
	    "CAST(X'610062' AS TEXT), 0, ?2)",
	/* detail longer than the struct's array */
	"INSERT INTO verdict VALUES (?1, 0, 1, -1, 0, 0, '', "
	    "hex(zeroblob(300)), 0, ?2)",
	/* url longer than REV_URL_MAX */
	"INSERT INTO verdict VALUES (?1, 0, 1, -1, 0, 0, "
	    "hex(zeroblob(1500)), '', 0, ?2)",
	/* short_lived not a boolean */
	"INSERT INTO verdict VALUES (?1, 0, 1, -1, 0, 5, '', '', 0, ?2)",
};

START_TEST(hostile_rows)
{
	struct revcache		*c = open_ok();
	struct rev_result	 out;
	struct cd_err		 err;
	sqlite3			*db = raw_open();
	sqlite3_stmt		*st;

	ck_assert_int_eq(sqlite3_prepare_v2(db, bad_rows[_i], -1, &st, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_text(st, 1, fp(1), -1, SQLITE_STATIC),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_int64(st, 2, T0 + 100), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	ck_assert_int_eq(sqlite3_finalize(st), SQLITE_OK);
	ck_assert_int_eq(revcache_verdict_get(c, fp(1), T0, &out, &err), 1);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	revcache_close(c);
}
END_TEST

/* A CRL row with a NUL in its ETag or a foreign issuer value. */
START_TEST(hostile_crl_rows)
{
	struct revcache		*c = open_ok();
	struct revcache_crl	 out;
	struct cd_err		 err;
	sqlite3			*db = raw_open();

	raw_exec(db, "INSERT INTO crl VALUES ('http://a/', "
	    "CAST(X'220022' AS TEXT), NULL, 0, 9999999999, 0, NULL, 1, "
	    "NULL, X'00')");
	raw_exec(db, "INSERT INTO crl VALUES ('http://b/', NULL, NULL, 0, "
	    "9999999999, 0, 'not-hex', 1, NULL, NULL)");
	raw_exec(db, "INSERT INTO crl VALUES ('http://c/', NULL, NULL, 0, "
	    "9999999999, 0, NULL, -5, NULL, NULL)");
	ck_assert_int_eq(revcache_crl_get(c, "http://a/", T0, 0, &out, &err),
	    1);
	ck_assert_int_eq(revcache_crl_get(c, "http://b/", T0, 0, &out, &err),
	    1);
	ck_assert_int_eq(revcache_crl_get(c, "http://c/", T0, 0, &out, &err),
	    1);
	ck_assert_ptr_null(out.etag);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	revcache_close(c);
}
END_TEST

/* ---- broken files ---- */

static void
write_file(const char *path, const void *p, size_t len, off_t at)
{
	int	 fd;

	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT, 0600), -1);
	ck_assert_int_eq(pwrite(fd, p, len, at), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
}

START_TEST(corrupt_garbage)
{
	struct cd_err	 err;
	char		 junk[8192];

	memset(junk, 'Z', sizeof(junk));
	memcpy(junk, "this is not a database", 22);
	write_file(dbpath, junk, sizeof(junk), 0);
	memset(&err, 0, sizeof(err));
	ck_assert_ptr_null(revcache_open(dbpath, &err));
	ck_assert_int_ne(err.kind, CD_EOK);
	ck_assert_msg(strstr(err.msg, dbpath) != NULL, "%s", err.msg);
}
END_TEST

/* Pages overwritten after the header: open or the reads fail cleanly. */
START_TEST(corrupt_pages)
{
	struct revcache		*c = open_ok();
	struct revcache_crl	 out;
	struct rev_result	 r;
	struct cd_err		 err;
	char			 junk[4096];
	unsigned		 i;
	int			 rc, bad = 0;

	for (i = 0; i < 8; i++)
		put_crl(c, i, 20000, T0, T0 + 100);
	fill(&r, 0);
	ck_assert_int_eq(revcache_verdict_put(c, fp(1), &r, &err), 0);
	ck_assert_int_eq(revcache_prune(c, T0, 0, NULL, &err), 0);
	revcache_close(c);		/* checkpointed into the file */
	memset(junk, 0xee, sizeof(junk));
	for (i = 1; i < 40; i += 2)
		write_file(dbpath, junk, sizeof(junk), (off_t)i * 4096);
	if ((c = revcache_open(dbpath, &err)) == NULL) {
		ck_assert_int_ne(err.kind, CD_EOK);
		return;
	}
	for (i = 0; i < 8; i++) {
		char	 url[64];

		(void)snprintf(url, sizeof(url),
		    "http://crl.example.net/%u.crl", i);
		rc = revcache_crl_get(c, url, T0, REVCACHE_CRL_DER, &out, &err);
		if (rc == -1)
			bad++;
		revcache_crl_clear(&out);
	}
	rc = revcache_verdict_get(c, fp(1), T0, &r, &err);
	if (rc == -1)
		bad++;
	rc = revcache_prune(c, T0, 1, NULL, &err);
	if (rc == -1)
		bad++;
	ck_assert_int_gt(bad, 0);	/* the damage was noticed */
	ck_assert_int_ne(err.kind, CD_EOK);
	revcache_close(c);
}
END_TEST

START_TEST(newer_schema)
{
	struct cd_err	 err;
	sqlite3		*db;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	raw_exec(db, "PRAGMA user_version = 99");
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	ck_assert_ptr_null(revcache_open(dbpath, &err));
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer"));
}
END_TEST

/* The right version number on the wrong tables: a clean error. */
START_TEST(wrong_tables)
{
	struct cd_err	 err;
	sqlite3		*db;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	raw_exec(db, "CREATE TABLE verdict (x); PRAGMA user_version = 1");
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	ck_assert_ptr_null(revcache_open(dbpath, &err));
	ck_assert_int_eq(err.kind, CD_ESYS);
	ck_assert_ptr_nonnull(strstr(err.msg, dbpath));
}
END_TEST

/*
 * A table dropped behind the module's back: every statement fails when
 * it runs, and err names the file, the statement (reads: the table;
 * writes: "write") and SQLite's reason. Operations that open a
 * transaction leave none behind.
 */
enum op {
	OP_VERDICT_GET, OP_VERDICT_PUT, OP_VERDICT_DEL,
	OP_CRL_GET, OP_CRL_PUT, OP_CRL_TOUCH,
	OP_OCSP_GET, OP_OCSP_PUT, OP_AIA_GET, OP_AIA_PUT,
	OP_FAIL_NOTE, OP_FAIL_RETRY_AT, OP_FAIL_CLEAR, OP_PRUNE,
};

/* Runs op on one fixed row of its table; returns what the call did. */
static int
do_op(struct revcache *c, enum op op, struct cd_err *err)
{
	struct rev_result	 r;
	struct revcache_crl	 crl, crl_out;
	struct revcache_ocsp	 ocsp, ocsp_out;
	unsigned char		 der[4] = { 1, 2, 3, 4 }, *p = NULL;
	size_t			 len, n = 42;
	time_t			 when;
	unsigned		 u;
	char			 text[32];
	int			 rc = -2;

	fill(&r, 1);
	memset(&crl, 0, sizeof(crl));
	crl.der = der;
	crl.der_len = sizeof(der);
	crl.etag = "\"e\"";
	crl.next_update = T0 + 10;
	memset(&ocsp, 0, sizeof(ocsp));
	ocsp.url = "http://o/";
	ocsp.der = der;
	ocsp.len = sizeof(der);
	ocsp.next_update = T0 + 10;
	switch (op) {
	case OP_VERDICT_GET:
		return revcache_verdict_get(c, fp(1), T0, &r, err);
	case OP_VERDICT_PUT:
		return revcache_verdict_put(c, fp(1), &r, err);
	case OP_VERDICT_DEL:
		return revcache_verdict_delete(c, fp(1), err);
	case OP_CRL_GET:
		rc = revcache_crl_get(c, "http://a/", T0, REVCACHE_CRL_DER |
		    REVCACHE_CRL_INDEX, &crl_out, err);
		revcache_crl_clear(&crl_out);
		return rc;
	case OP_CRL_PUT:
		return revcache_crl_put(c, "http://a/", &crl, err);
	case OP_CRL_TOUCH:
		return revcache_crl_touch(c, "http://a/", T0, err);
	case OP_OCSP_GET:
		rc = revcache_ocsp_get(c, fp(1), T0, &ocsp_out, err);
		revcache_ocsp_clear(&ocsp_out);
		return rc;
	case OP_OCSP_PUT:
		return revcache_ocsp_put(c, fp(1), &ocsp, err);
	case OP_AIA_GET:
		rc = revcache_aia_get(c, "http://a/", T0, &p, &len, err);
		free(p);
		return rc;
	case OP_AIA_PUT:
		return revcache_aia_put(c, "http://a/", der, sizeof(der), T0,
		    T0 + 10, err);
	case OP_FAIL_NOTE:
		return revcache_failure_note(c, "http://a/", "x", T0, err);
	case OP_FAIL_RETRY_AT:
		return revcache_failure_retry_at(c, "http://a/", T0, &when, &u,
		    text, sizeof(text), err);
	case OP_FAIL_CLEAR:
		return revcache_failure_clear(c, "http://a/", err);
	case OP_PRUNE:
		rc = revcache_prune(c, T0, 1, &n, err);
		if (rc == -1)
			ck_assert_uint_eq(n, 42);	/* untouched */
		return rc;
	}
	return rc;
}

static const struct {
	const char	*table;		/* dropped before op runs */
	enum op		 op;
	const char	*what;		/* in the message */
} dropped[] = {
	{ "verdict", OP_VERDICT_GET, "verdict" },
	{ "verdict", OP_VERDICT_PUT, "write" },
	{ "verdict", OP_VERDICT_DEL, "write" },
	{ "crl", OP_CRL_GET, "crl" },
	{ "crl", OP_CRL_PUT, "write" },
	{ "crl", OP_CRL_TOUCH, "write" },
	{ "ocsp", OP_OCSP_GET, "ocsp" },
	{ "ocsp", OP_OCSP_PUT, "write" },
	{ "aia", OP_AIA_GET, "aia" },
	{ "aia", OP_AIA_PUT, "write" },
	{ "failure", OP_FAIL_NOTE, "failure" },	/* the read in BEGIN */
	{ "failure", OP_FAIL_RETRY_AT, "failure" },
	{ "failure", OP_FAIL_CLEAR, "write" },
	{ "verdict", OP_PRUNE, "write" },	/* the first DELETE */
	{ "crl", OP_PRUNE, "write" },
	{ "failure", OP_PRUNE, "write" },	/* the last, after others ran */
};

START_TEST(dropped_table)
{
	struct revcache	*c = open_ok();
	struct cd_err	 err;
	sqlite3		*db = raw_open();
	char		 q[64], want[256];

	/* a row in every table; op works before the drop */
	ck_assert_int_eq(do_op(c, OP_VERDICT_PUT, &err), 0);
	ck_assert_int_eq(do_op(c, OP_CRL_PUT, &err), 0);
	ck_assert_int_eq(do_op(c, OP_OCSP_PUT, &err), 0);
	ck_assert_int_eq(do_op(c, OP_AIA_PUT, &err), 0);
	ck_assert_int_eq(do_op(c, OP_FAIL_NOTE, &err), 0);
	ck_assert_int_eq(do_op(c, dropped[_i].op, &err), 0);
	(void)snprintf(q, sizeof(q), "DROP TABLE %s", dropped[_i].table);
	raw_exec(db, q);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(do_op(c, dropped[_i].op, &err), -1);
	ck_assert_int_eq(err.kind, CD_ESYS);
	(void)snprintf(want, sizeof(want), "%s: %s: no such table: %s",
	    dbpath, dropped[_i].what, dropped[_i].table);
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(do_op(c, dropped[_i].op, NULL), -1);
	/* no transaction was left open: another writer gets in at once */
	(void)sqlite3_busy_timeout(db, 0);
	raw_exec(db, "BEGIN IMMEDIATE");
	raw_exec(db, "ROLLBACK");
	/* and the other tables still work */
	if (strcmp(dropped[_i].table, "aia") != 0) {
		ck_assert_int_eq(do_op(c, OP_AIA_PUT, &err), 0);
		ck_assert_int_eq(do_op(c, OP_AIA_GET, &err), 0);
	} else {
		ck_assert_int_eq(do_op(c, OP_OCSP_PUT, &err), 0);
		ck_assert_int_eq(do_op(c, OP_OCSP_GET, &err), 0);
	}
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	revcache_close(c);
}
END_TEST

/* ---- concurrency (WAL) ---- */

/* A reader is not blocked by an open write transaction and sees the
 * last committed state until the writer commits. */
START_TEST(wal_snapshot)
{
	struct revcache		*a = open_ok(), *b = open_ok();
	struct rev_result	 r;
	struct cd_err		 err;
	sqlite3			*w;

	fill(&r, 0);
	ck_assert_int_eq(revcache_verdict_put(a, fp(1), &r, &err), 0);
	w = raw_open();
	raw_exec(w, "BEGIN IMMEDIATE");
	raw_exec(w, "UPDATE verdict SET status = 1");
	ck_assert_int_eq(revcache_verdict_get(b, fp(1), T0, &r, &err), 0);
	ck_assert_int_eq(r.status, REV_GOOD);
	ck_assert_int_eq(revcache_verdict_get(a, fp(1), T0, &r, &err), 0);
	ck_assert_int_eq(r.status, REV_GOOD);
	raw_exec(w, "COMMIT");
	ck_assert_int_eq(revcache_verdict_get(b, fp(1), T0, &r, &err), 0);
	ck_assert_int_eq(r.status, REV_REVOKED);
	ck_assert_int_eq(sqlite3_close(w), SQLITE_OK);
	revcache_close(a);
	revcache_close(b);
}
END_TEST

/* Another process writes while two connections here keep reading. */
START_TEST(wal_concurrent)
{
	struct revcache		*a, *b, *w;
	struct rev_result	 r;
	struct cd_err		 err;
	pid_t			 pid;
	unsigned		 i, seen = 0;
	int			 st, rc;

	a = open_ok();
	fill(&r, 0);
	ck_assert_int_eq(revcache_verdict_put(a, fp(0), &r, &err), 0);
	b = open_ok();
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if ((w = revcache_open(dbpath, NULL)) == NULL)
			_exit(1);
		for (i = 1; i <= 300; i++) {
			fill(&r, i % 6);
			if (revcache_verdict_put(w, fp(i), &r, NULL) == -1 ||
			    revcache_crl_touch(w, "http://x/", T0, NULL) == -1)
				_exit(2);
		}
		revcache_close(w);
		_exit(0);
	}
	for (i = 0; i < 3000; i++) {
		rc = revcache_verdict_get(i % 2 ? a : b, fp(i % 301), T0, &r,
		    &err);
		ck_assert_msg(rc != -1, "%s", err.msg);
		if (rc == 0 && i % 301 != 0)
			seen++;
		ck_assert_int_eq(revcache_verdict_get(a, fp(0), T0, &r, &err),
		    0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (i = 1; i <= 300; i++)
		ck_assert_int_eq(revcache_verdict_get(b, fp(i), T0, &r, &err),
		    0);
	(void)seen;
	revcache_close(a);
	revcache_close(b);
}
END_TEST

Suite *
revcache_suite(void)
{
	Suite	*s = suite_create("revcache");
	TCase	*tc = tcase_create("revcache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, open_create);
	tcase_add_test(tc, open_refused);
	tcase_add_loop_test(tc, verdict_round_trip, 0,
	    sizeof(verdicts) / sizeof(verdicts[0]));
	tcase_add_loop_test(tc, verdict_bad_key, 0,
	    sizeof(bad_fps) / sizeof(bad_fps[0]));
	tcase_add_test(tc, crl_round_trip);
	tcase_add_test(tc, ocsp_round_trip);
	tcase_add_test(tc, aia_round_trip);
	tcase_add_loop_test(tc, backoff_schedule, 0,
	    sizeof(backoff) / sizeof(backoff[0]));
	tcase_add_test(tc, failure_schedule);
	tcase_add_test(tc, prune_age);
	tcase_add_test(tc, prune_size);
	tcase_add_test(tc, reopen_keeps_data);
	tcase_add_test(tc, hostile_values);
	tcase_add_loop_test(tc, hostile_rows, 0,
	    sizeof(bad_rows) / sizeof(bad_rows[0]));
	tcase_add_test(tc, hostile_crl_rows);
	tcase_add_test(tc, corrupt_garbage);
	tcase_add_test(tc, corrupt_pages);
	tcase_add_test(tc, newer_schema);
	tcase_add_test(tc, wrong_tables);
	tcase_add_loop_test(tc, dropped_table, 0,
	    sizeof(dropped) / sizeof(dropped[0]));
	tcase_add_test(tc, wal_snapshot);
	tcase_add_test(tc, wal_concurrent);
	suite_add_tcase(s, tc);
	return s;
}
