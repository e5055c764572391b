/*
 * revcache.c - the revocation cache in one SQLite database (WAL) in the
 * state dir. It stores what the engine fetched and decided; the file is
 * ours but is read as untrusted (sizes, types and text are checked on the
 * way out) and every statement is prepared once with bound parameters.
 */
#include "revcache.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

/* bytes of one row (SQLITE_LIMIT_LENGTH): a CRL with its index */
#define ROW_MAX		(2 * REVCACHE_BLOB_MAX + 1024 * 1024)

enum st {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_VERDICT_GET,
	ST_VERDICT_PUT,
	ST_VERDICT_DEL,
	ST_CRL_GET,
	ST_CRL_PUT,
	ST_CRL_TOUCH,
	ST_OCSP_GET,
	ST_OCSP_PUT,
	ST_AIA_GET,
	ST_AIA_PUT,
	ST_FAIL_GET,
	ST_FAIL_PUT,
	ST_FAIL_DEL,
	ST_PRUNE_VERDICT,
	ST_PRUNE_OCSP,
	ST_PRUNE_AIA,
	ST_PRUNE_CRL,
	ST_PRUNE_FAIL,
	ST_PRUNE_OLDEST_CRL,
	ST_USED,
	ST__MAX
};

/* Large blobs are the last columns, so the small ones come without
 * reading overflow pages. */
static const char *const sql[ST__MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_VERDICT_GET] = "SELECT status, source, reason, revoked_at, "
	    "short_lived, url, detail, checked_at, valid_until FROM verdict "
	    "WHERE cert_sha256 = ?1",
	[ST_VERDICT_PUT] = "INSERT OR REPLACE INTO verdict (cert_sha256, "
	    "status, source, reason, revoked_at, short_lived, url, detail, "
	    "checked_at, valid_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, ?10)",
	[ST_VERDICT_DEL] = "DELETE FROM verdict WHERE cert_sha256 = ?1",
	/* the CASEs leave blobs that were not asked for unread */
	[ST_CRL_GET] = "SELECT etag, last_modified, this_update, next_update, "
	    "fetched_at, issuer_sha256, size, CASE WHEN ?2 THEN der END, "
	    "CASE WHEN ?3 THEN idx END FROM crl WHERE url = ?1",
	[ST_CRL_PUT] = "INSERT OR REPLACE INTO crl (url, etag, last_modified, "
	    "this_update, next_update, fetched_at, issuer_sha256, size, idx, "
	    "der) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_CRL_TOUCH] = "UPDATE crl SET fetched_at = ?2 WHERE url = ?1",
	[ST_OCSP_GET] = "SELECT url, this_update, next_update, fetched_at, "
	    "der FROM ocsp WHERE certid_sha256 = ?1",
	[ST_OCSP_PUT] = "INSERT OR REPLACE INTO ocsp (certid_sha256, url, "
	    "this_update, next_update, fetched_at, der) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6)",
	[ST_AIA_GET] = "SELECT expires, der FROM aia WHERE url = ?1",
	[ST_AIA_PUT] = "INSERT OR REPLACE INTO aia (url, fetched_at, expires, "
	    "der) VALUES (?1, ?2, ?3, ?4)",
	[ST_FAIL_GET] = "SELECT failures, last_error, retry_at FROM failure "
	    "WHERE url = ?1",
	[ST_FAIL_PUT] = "INSERT OR REPLACE INTO failure (url, failures, "
	    "last_error, retry_at) VALUES (?1, ?2, ?3, ?4)",
	[ST_FAIL_DEL] = "DELETE FROM failure WHERE url = ?1",
	[ST_PRUNE_VERDICT] = "DELETE FROM verdict WHERE valid_until <= ?1",
	[ST_PRUNE_OCSP] = "DELETE FROM ocsp WHERE next_update <= ?1",
	[ST_PRUNE_AIA] = "DELETE FROM aia WHERE expires <= ?1",
	[ST_PRUNE_CRL] = "DELETE FROM crl WHERE next_update <= ?1",
	[ST_PRUNE_FAIL] = "DELETE FROM failure WHERE retry_at <= ?1",
	[ST_PRUNE_OLDEST_CRL] = "DELETE FROM crl WHERE url = (SELECT url "
	    "FROM crl ORDER BY fetched_at, url LIMIT 1)",
	[ST_USED] = "SELECT (p.page_count - f.freelist_count) * s.page_size "
	    "FROM pragma_page_count() p, pragma_freelist_count() f, "
	    "pragma_page_size() s",
};

/*
 * migrations[v] takes the schema from version v to v + 1. Never edit a
 * released step: add one, and bump REVCACHE_SCHEMA.
 */
static const char *const migrations[REVCACHE_SCHEMA] = {
	"CREATE TABLE crl ("
	"  url TEXT PRIMARY KEY NOT NULL,"
	"  etag TEXT, last_modified TEXT,"
	"  this_update INTEGER NOT NULL, next_update INTEGER NOT NULL,"
	"  fetched_at INTEGER NOT NULL, issuer_sha256 TEXT,"
	"  size INTEGER NOT NULL, idx BLOB, der BLOB);"
	"CREATE TABLE ocsp ("
	"  certid_sha256 TEXT PRIMARY KEY NOT NULL, url TEXT,"
	"  this_update INTEGER NOT NULL, next_update INTEGER NOT NULL,"
	"  fetched_at INTEGER NOT NULL, der BLOB NOT NULL);"
	"CREATE TABLE aia ("
	"  url TEXT PRIMARY KEY NOT NULL, fetched_at INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL, der BLOB NOT NULL);"
	"CREATE TABLE verdict ("
	"  cert_sha256 TEXT PRIMARY KEY NOT NULL, status INTEGER NOT NULL,"
	"  source INTEGER NOT NULL, reason INTEGER NOT NULL,"
	"  revoked_at INTEGER NOT NULL, short_lived INTEGER NOT NULL,"
	"  url TEXT NOT NULL, detail TEXT NOT NULL,"
	"  checked_at INTEGER NOT NULL, valid_until INTEGER NOT NULL);"
	"CREATE TABLE failure ("
	"  url TEXT PRIMARY KEY NOT NULL, failures INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL, retry_at INTEGER NOT NULL);",
};

struct revcache {
	sqlite3		*db;
	char		*path;		/* for messages */
	sqlite3_stmt	*st[ST__MAX];
};

/* Fills err from the connection's last error; returns -1. */
static int
db_err(struct revcache *c, struct cd_err *err, const char *what)
{
	int	 code = sqlite3_errcode(c->db) & 0xff;
	enum cd_errkind kind;

	kind = code == SQLITE_NOMEM ? CD_ENOMEM :
	    code == SQLITE_BUSY || code == SQLITE_LOCKED ? CD_ETEMP : CD_ESYS;
	cd_err_set(err, kind, "%s: %s: %s", c->path, what,
	    sqlite3_errmsg(c->db));
	if (err != NULL && kind == CD_ESYS)
		err->sys_errno = sqlite3_system_errno(c->db);
	if (err != NULL && kind == CD_ETEMP)
		err->retry_after = 1;
	return -1;
}

static void
done(sqlite3_stmt *st)
{
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

/* Runs a statement without result rows; -1 (err filled) on failure. */
static int
run(struct revcache *c, enum st id, struct cd_err *err)
{
	sqlite3_stmt	*st = c->st[id];
	int		 rc;

	rc = sqlite3_step(st);
	done(st);
	if (rc != SQLITE_DONE)
		return db_err(c, err, "write");
	return 0;
}

static int
begin(struct revcache *c, struct cd_err *err)
{
	return run(c, ST_BEGIN, err);
}

static int
commit(struct revcache *c, struct cd_err *err)
{
	if (run(c, ST_COMMIT, err) == -1) {
		(void)run(c, ST_ROLLBACK, NULL);
		return -1;
	}
	return 0;
}

static void
rollback(struct revcache *c)
{
	if (!sqlite3_get_autocommit(c->db))
		(void)run(c, ST_ROLLBACK, NULL);
}

/* ---- keys and values ---- */

static bool
is_sha256hex(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return false;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

static int
check_fp(const char *fp, struct cd_err *err)
{
	if (!is_sha256hex(fp))
		return cd_err_set(err, CD_ECONFIG, "revcache: fingerprint is "
		    "not 64 lower-case hex digits");
	return 0;
}

static int
check_url(const char *url, struct cd_err *err)
{
	size_t	 len;

	if (url == NULL || (len = strnlen(url, REV_URL_MAX + 1)) == 0 ||
	    len > REV_URL_MAX)
		return cd_err_set(err, CD_ECONFIG, "revcache: URL empty or "
		    "longer than %d bytes", REV_URL_MAX);
	return 0;
}

static int
bind_str(sqlite3_stmt *st, int i, const char *s, size_t max)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, (int)strnlen(s, max),
	    SQLITE_STATIC);
}

static int
bind_blob(sqlite3_stmt *st, int i, const void *p, size_t len)
{
	if (p == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_blob64(st, i, p, len, SQLITE_STATIC);
}

/*
 * One parameter of a statement, ?1 being the first of an array. Text
 * and blobs are bound SQLITE_STATIC: they must outlive the statement's
 * step, and done() clears them. A NULL pointer binds SQL NULL.
 */
struct arg {
	enum { ARG_INT, ARG_TEXT, ARG_BLOB } type;
	sqlite3_int64	 i;
	const void	*p;
	size_t		 len;	/* text: at most len bytes; blob: its size */
};

#define INT_ARG(v)	{ .type = ARG_INT, .i = (v) }
#define TEXT_ARG(s, max) { .type = ARG_TEXT, .p = (s), .len = (max) }
#define BLOB_ARG(b, n)	{ .type = ARG_BLOB, .p = (b), .len = (n) }
#define NARGS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Binds a[0..n) to statement id; -1 (err filled, naming what, and the
 * statement reset) on failure.
 */
static int
bind_args(struct revcache *c, enum st id, const struct arg *a, size_t n,
    const char *what, struct cd_err *err)
{
	sqlite3_stmt	*st = c->st[id];
	size_t		 i;
	int		 rc = SQLITE_OK;

	for (i = 0; i < n && rc == SQLITE_OK; i++)
		switch (a[i].type) {
		case ARG_INT:
			rc = sqlite3_bind_int64(st, (int)i + 1, a[i].i);
			break;
		case ARG_TEXT:
			rc = bind_str(st, (int)i + 1, a[i].p, a[i].len);
			break;
		case ARG_BLOB:
			rc = bind_blob(st, (int)i + 1, a[i].p, a[i].len);
			break;
		}
	if (rc != SQLITE_OK) {
		db_err(c, err, what);
		done(st);
		return -1;
	}
	return 0;
}

/* Binds a and runs statement id, which returns no rows (see run()). */
static int
run_args(struct revcache *c, enum st id, const struct arg *a, size_t n,
    const char *what, struct cd_err *err)
{
	if (bind_args(c, id, a, n, what, err) == -1)
		return -1;
	return run(c, id, err);
}

/*
 * Binds a and steps statement id to its first row. 0: the row is there
 * to read, and the caller must done() the statement; 1: no row; -1: err
 * filled, naming what. The statement is reset unless 0 is returned.
 */
static int
select_row(struct revcache *c, enum st id, const struct arg *a, size_t n,
    const char *what, struct cd_err *err)
{
	sqlite3_stmt	*st = c->st[id];
	int		 rc;

	if (bind_args(c, id, a, n, what, err) == -1)
		return -1;
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		return 0;
	case SQLITE_DONE:
		rc = 1;
		break;
	default:
		rc = db_err(c, err, what);
		break;
	}
	done(st);
	return rc;
}

/*
 * Copies text column i into dst (dstlen bytes, NUL-terminated); SQL NULL
 * reads as "". false if it would not fit or holds a NUL.
 */
static bool
col_copy(sqlite3_stmt *st, int i, char *dst, size_t dstlen)
{
	const unsigned char	*t = sqlite3_column_text(st, i);
	size_t			 n = (size_t)sqlite3_column_bytes(st, i);

	if (t == NULL)
		n = 0;
	if (n >= dstlen || (n > 0 && memchr(t, '\0', n) != NULL))
		return false;
	if (n > 0)
		memcpy(dst, t, n);
	dst[n] = '\0';
	return true;
}

/* A malloc'd copy of text column i into *out (NULL for SQL NULL);
 * 1 if invalid (over max or with NUL), -1 out of memory. */
static int
col_dup(sqlite3_stmt *st, int i, size_t max, char **out)
{
	const unsigned char	*t;
	size_t			 n;

	*out = NULL;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	t = sqlite3_column_text(st, i);
	n = (size_t)sqlite3_column_bytes(st, i);
	if (t == NULL)
		return -1;
	if (n > max || memchr(t, '\0', n) != NULL)
		return 1;
	if ((*out = strndup((const char *)t, n)) == NULL)
		return -1;
	return 0;
}

/* A malloc'd copy of blob column i (NULL for SQL NULL); 1 if larger
 * than REVCACHE_BLOB_MAX, -1 out of memory. */
static int
col_blob(sqlite3_stmt *st, int i, unsigned char **out, size_t *len)
{
	const void	*p;
	size_t		 n;

	*out = NULL;
	*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	p = sqlite3_column_blob(st, i);
	n = (size_t)sqlite3_column_bytes(st, i);
	if (n > REVCACHE_BLOB_MAX)
		return 1;
	if (p == NULL && n > 0)
		return -1;
	if ((*out = malloc(n + 1)) == NULL)
		return -1;
	if (n > 0)
		memcpy(*out, p, n);
	*len = n;
	return 0;
}

/* ---- open and close ---- */

static int
exec_const(struct revcache *c, const char *q, struct cd_err *err)
{
	if (sqlite3_exec(c->db, q, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(c, err, q);
	return 0;
}

/* One integer or text answer of a constant statement (PRAGMA). */
static int
query_const(struct revcache *c, const char *q, long long *num, char *txt,
    size_t txtlen, struct cd_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc = -1;

	if (sqlite3_prepare_v2(c->db, q, -1, &st, NULL) != SQLITE_OK) {
		db_err(c, err, q);
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_err(c, err, q);
		goto out;
	}
	if (num != NULL)
		*num = sqlite3_column_int64(st, 0);
	if (txt != NULL && !col_copy(st, 0, txt, txtlen)) {
		cd_err_set(err, CD_ESYS, "%s: %s: bad answer", c->path, q);
		goto out;
	}
	rc = 0;
out:
	(void)sqlite3_finalize(st);
	return rc;
}

static int
schema(struct revcache *c, struct cd_err *err)
{
	char		 q[64];
	long long	 v;

	if (query_const(c, "PRAGMA user_version", &v, NULL, 0, err) == -1)
		return -1;
	if (v == REVCACHE_SCHEMA)
		return 0;
	if (v < 0 || v > REVCACHE_SCHEMA)
		return cd_err_set(err, CD_ECONFIG, "%s: schema version %lld "
		    "is newer than this certd (%d)", c->path, v,
		    REVCACHE_SCHEMA);
	if (exec_const(c, "BEGIN IMMEDIATE", err) == -1)
		return -1;
	/* another process may have migrated it while we waited */
	if (query_const(c, "PRAGMA user_version", &v, NULL, 0, err) == -1)
		goto fail;
	for (; v >= 0 && v < REVCACHE_SCHEMA; v++)
		if (exec_const(c, migrations[v], err) == -1)
			goto fail;
	/* PRAGMA takes no parameters; the number is our own constant */
	(void)snprintf(q, sizeof(q), "PRAGMA user_version = %d",
	    REVCACHE_SCHEMA);
	if (exec_const(c, q, err) == -1 || exec_const(c, "COMMIT", err) == -1)
		goto fail;
	return 0;
fail:
	(void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Creates the file 0600 unless it exists; refuses anything but a file. */
static int
create_file(const char *path, struct cd_err *err)
{
	struct stat	 sb;
	int		 fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1 && errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return cd_err_sys(err, "%s: open", path);
	if (fstat(fd, &sb) == -1) {
		cd_err_sys(err, "%s: fstat", path);
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	if (!S_ISREG(sb.st_mode))
		return cd_err_set(err, CD_ECONFIG, "%s: not a regular file",
		    path);
	return 0;
}

struct revcache *
revcache_open(const char *path, struct cd_err *err)
{
	struct revcache	*c;
	char		 mode[16];
	int		 i;

	if (path == NULL) {
		cd_err_set(err, CD_ECONFIG, "revcache: no path");
		return NULL;
	}
	if (create_file(path, err) == -1)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		free(c);
		cd_err_set(err, CD_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		if (c->db == NULL)
			cd_err_set(err, CD_ENOMEM, "%s: sqlite3_open", path);
		else
			db_err(c, err, "open");
		goto fail;
	}
	(void)sqlite3_extended_result_codes(c->db, 1);
	(void)sqlite3_busy_timeout(c->db, REVCACHE_BUSY_MS);
	/* the file could have been tampered with: no code from it runs */
	(void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	(void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	(void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	(void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	(void)sqlite3_limit(c->db, SQLITE_LIMIT_LENGTH, (int)ROW_MAX);
	/* auto_vacuum only takes effect on a new, empty database */
	if (exec_const(c, "PRAGMA auto_vacuum = INCREMENTAL", err) == -1 ||
	    query_const(c, "PRAGMA journal_mode = WAL", NULL, mode,
	    sizeof(mode), err) == -1)
		goto fail;
	if (strcmp(mode, "wal") != 0) {
		cd_err_set(err, CD_ESYS, "%s: journal mode %s, not wal", path,
		    mode);
		goto fail;
	}
	/* WAL + NORMAL: durable at checkpoints, consistent always; the WAL
	 * is cut back to 8 MiB after a checkpoint */
	if (exec_const(c, "PRAGMA synchronous = NORMAL", err) == -1 ||
	    exec_const(c, "PRAGMA journal_size_limit = 8388608", err) == -1 ||
	    schema(c, err) == -1)
		goto fail;
	for (i = 0; i < ST__MAX; i++)
		if (sqlite3_prepare_v3(c->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL) != SQLITE_OK) {
			db_err(c, err, "schema");
			goto fail;
		}
	return c;
fail:
	revcache_close(c);
	return NULL;
}

void
revcache_close(struct revcache *c)
{
	int	 i;

	if (c == NULL)
		return;
	for (i = 0; i < ST__MAX; i++)
		(void)sqlite3_finalize(c->st[i]);
	(void)sqlite3_close(c->db);
	free(c->path);
	free(c);
}

/* ---- verdicts ---- */

int
revcache_verdict_get(struct revcache *c, const char *fp, time_t now,
    struct rev_result *out, struct cd_err *err)
{
	sqlite3_stmt		*st = c->st[ST_VERDICT_GET];
	const struct arg	 key[] = { TEXT_ARG(fp, 64) };
	struct rev_result	 r;
	long long		 status, source, reason, sl;
	int			 rc = 1, v;

	if (check_fp(fp, err) == -1)
		return -1;
	if ((v = select_row(c, ST_VERDICT_GET, key, NARGS(key), "verdict",
	    err)) != 0)
		return v;
	memset(&r, 0, sizeof(r));
	status = sqlite3_column_int64(st, 0);
	source = sqlite3_column_int64(st, 1);
	reason = sqlite3_column_int64(st, 2);
	sl = sqlite3_column_int64(st, 4);
	if (status < REV_GOOD || status > REV_UNKNOWN ||
	    source < REV_SRC_NONE || source > REV_SRC_CACHE ||
	    reason < REV_REASON_NONE || reason > 10 || (sl != 0 && sl != 1) ||
	    !col_copy(st, 5, r.url, sizeof(r.url)) ||
	    !col_copy(st, 6, r.detail, sizeof(r.detail)))
		goto out;	/* not ours: a miss */
	r.status = (enum rev_status)status;
	r.source = (enum rev_source)source;
	r.reason = (int)reason;
	r.revoked_at = (time_t)sqlite3_column_int64(st, 3);
	r.short_lived = sl == 1;
	r.checked_at = (time_t)sqlite3_column_int64(st, 7);
	r.valid_until = (time_t)sqlite3_column_int64(st, 8);
	if (now >= r.valid_until)
		goto out;
	*out = r;
	rc = 0;
out:
	done(st);
	return rc;
}

int
revcache_verdict_put(struct revcache *c, const char *fp,
    const struct rev_result *r, struct cd_err *err)
{
	/* text is cut at the first NUL or one byte short of its array,
	 * so that it always reads back into the same struct */
	const struct arg	 row[] = {
		TEXT_ARG(fp, 64),
		INT_ARG(r->status),
		INT_ARG(r->source),
		INT_ARG(r->reason),
		INT_ARG(r->revoked_at),
		INT_ARG(r->short_lived ? 1 : 0),
		TEXT_ARG(r->url, sizeof(r->url) - 1),
		TEXT_ARG(r->detail, sizeof(r->detail) - 1),
		INT_ARG(r->checked_at),
		INT_ARG(r->valid_until),
	};

	if (check_fp(fp, err) == -1)
		return -1;
	return run_args(c, ST_VERDICT_PUT, row, NARGS(row), "verdict", err);
}

int
revcache_verdict_delete(struct revcache *c, const char *fp,
    struct cd_err *err)
{
	const struct arg	 key[] = { TEXT_ARG(fp, 64) };

	if (check_fp(fp, err) == -1)
		return -1;
	return run_args(c, ST_VERDICT_DEL, key, NARGS(key), "verdict", err);
}

/* ---- CRLs ---- */

void
revcache_crl_clear(struct revcache_crl *r)
{
	if (r == NULL)
		return;
	free(r->etag);
	free(r->last_modified);
	free(r->der);
	free(r->index);
	memset(r, 0, sizeof(*r));
}

int
revcache_crl_get(struct revcache *c, const char *url, time_t now,
    unsigned flags, struct revcache_crl *out, struct cd_err *err)
{
	sqlite3_stmt		*st = c->st[ST_CRL_GET];
	const struct arg	 key[] = {
		TEXT_ARG(url, REV_URL_MAX),
		INT_ARG((flags & REVCACHE_CRL_DER) != 0),
		INT_ARG((flags & REVCACHE_CRL_INDEX) != 0),
	};
	struct revcache_crl	 r;
	long long		 size;
	int			 rc = 1, v;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	if (check_url(url, err) == -1)
		return -1;
	if ((v = select_row(c, ST_CRL_GET, key, NARGS(key), "crl", err)) != 0)
		return v;
	size = sqlite3_column_int64(st, 6);
	if (size < 0 || (unsigned long long)size > REVCACHE_BLOB_MAX ||
	    !col_copy(st, 5, r.issuer_sha256, sizeof(r.issuer_sha256)) ||
	    (r.issuer_sha256[0] != '\0' && !is_sha256hex(r.issuer_sha256)))
		goto out;
	if ((v = col_dup(st, 0, REVCACHE_TEXT_MAX, &r.etag)) != 0 ||
	    (v = col_dup(st, 1, REVCACHE_TEXT_MAX, &r.last_modified)) != 0 ||
	    (v = col_blob(st, 7, &r.der, &r.der_len)) != 0 ||
	    (v = col_blob(st, 8, &r.index, &r.index_len)) != 0) {
		if (v == -1)
			rc = cd_err_set(err, CD_ENOMEM, "%s: crl: out of "
			    "memory", c->path);
		goto out;
	}
	r.size = (size_t)size;
	r.this_update = (time_t)sqlite3_column_int64(st, 2);
	r.next_update = (time_t)sqlite3_column_int64(st, 3);
	r.fetched_at = (time_t)sqlite3_column_int64(st, 4);
	r.fresh = now < r.next_update;
	*out = r;
	memset(&r, 0, sizeof(r));
	rc = 0;
out:
	revcache_crl_clear(&r);
	done(st);
	return rc;
}

int
revcache_crl_put(struct revcache *c, const char *url,
    const struct revcache_crl *in, struct cd_err *err)
{
	size_t		 size;

	if (check_url(url, err) == -1)
		return -1;
	if (in->der_len > REVCACHE_BLOB_MAX ||
	    in->index_len > REVCACHE_BLOB_MAX)
		return cd_err_set(err, CD_ECONFIG, "%s: crl: blob larger than "
		    "%u bytes", url, REVCACHE_BLOB_MAX);
	if ((in->etag != NULL && strlen(in->etag) > REVCACHE_TEXT_MAX) ||
	    (in->last_modified != NULL &&
	    strlen(in->last_modified) > REVCACHE_TEXT_MAX))
		return cd_err_set(err, CD_ECONFIG, "%s: crl: validator longer "
		    "than %d bytes", url, REVCACHE_TEXT_MAX);
	if (in->issuer_sha256[0] != '\0' && !is_sha256hex(in->issuer_sha256))
		return cd_err_set(err, CD_ECONFIG, "%s: crl: bad issuer "
		    "fingerprint", url);
	size = in->size != 0 ? in->size : in->der_len;
	if (size > REVCACHE_BLOB_MAX)
		return cd_err_set(err, CD_ECONFIG, "%s: crl: size %zu", url,
		    size);
	{
		const struct arg	 row[] = {
			TEXT_ARG(url, REV_URL_MAX),
			TEXT_ARG(in->etag, REVCACHE_TEXT_MAX),
			TEXT_ARG(in->last_modified, REVCACHE_TEXT_MAX),
			INT_ARG(in->this_update),
			INT_ARG(in->next_update),
			INT_ARG(in->fetched_at),
			TEXT_ARG(in->issuer_sha256[0] != '\0' ?
			    in->issuer_sha256 : NULL, 64),
			INT_ARG((sqlite3_int64)size),
			BLOB_ARG(in->index, in->index_len),
			BLOB_ARG(in->der, in->der_len),
		};

		return run_args(c, ST_CRL_PUT, row, NARGS(row), "crl", err);
	}
}

int
revcache_crl_touch(struct revcache *c, const char *url, time_t fetched_at,
    struct cd_err *err)
{
	const struct arg	 row[] = {
		TEXT_ARG(url, REV_URL_MAX),
		INT_ARG(fetched_at),
	};

	if (check_url(url, err) == -1)
		return -1;
	return run_args(c, ST_CRL_TOUCH, row, NARGS(row), "crl", err);
}

/* ---- OCSP ---- */

void
revcache_ocsp_clear(struct revcache_ocsp *r)
{
	if (r == NULL)
		return;
	free(r->url);
	free(r->der);
	memset(r, 0, sizeof(*r));
}

int
revcache_ocsp_get(struct revcache *c, const char *certid, time_t now,
    struct revcache_ocsp *out, struct cd_err *err)
{
	sqlite3_stmt		*st = c->st[ST_OCSP_GET];
	const struct arg	 key[] = { TEXT_ARG(certid, 64) };
	struct revcache_ocsp	 r;
	int			 rc = 1, v;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	if (check_fp(certid, err) == -1)
		return -1;
	if ((v = select_row(c, ST_OCSP_GET, key, NARGS(key), "ocsp", err)) !=
	    0)
		return v;
	r.next_update = (time_t)sqlite3_column_int64(st, 2);
	if (now >= r.next_update)
		goto out;
	if ((v = col_dup(st, 0, REV_URL_MAX, &r.url)) != 0 ||
	    (v = col_blob(st, 4, &r.der, &r.len)) != 0) {
		if (v == -1)
			rc = cd_err_set(err, CD_ENOMEM, "%s: ocsp: out of "
			    "memory", c->path);
		goto out;
	}
	if (r.der == NULL || r.len == 0 || r.len > REV_OCSP_MAX)
		goto out;
	r.this_update = (time_t)sqlite3_column_int64(st, 1);
	r.fetched_at = (time_t)sqlite3_column_int64(st, 3);
	*out = r;
	memset(&r, 0, sizeof(r));
	rc = 0;
out:
	revcache_ocsp_clear(&r);
	done(st);
	return rc;
}

int
revcache_ocsp_put(struct revcache *c, const char *certid,
    const struct revcache_ocsp *in, struct cd_err *err)
{
	const struct arg	 row[] = {
		TEXT_ARG(certid, 64),
		TEXT_ARG(in->url, REV_URL_MAX),
		INT_ARG(in->this_update),
		INT_ARG(in->next_update),
		INT_ARG(in->fetched_at),
		BLOB_ARG(in->der, in->len),
	};

	if (check_fp(certid, err) == -1)
		return -1;
	if (in->der == NULL || in->len == 0 || in->len > REV_OCSP_MAX)
		return cd_err_set(err, CD_ECONFIG, "revcache: ocsp: response "
		    "of %zu bytes", in->len);
	if (in->url != NULL && check_url(in->url, err) == -1)
		return -1;
	return run_args(c, ST_OCSP_PUT, row, NARGS(row), "ocsp", err);
}

/* ---- AIA ---- */

int
revcache_aia_get(struct revcache *c, const char *url, time_t now,
    unsigned char **der, size_t *len, struct cd_err *err)
{
	sqlite3_stmt		*st = c->st[ST_AIA_GET];
	const struct arg	 key[] = { TEXT_ARG(url, REV_URL_MAX) };
	unsigned char		*p = NULL;
	size_t			 n = 0;
	int			 rc = 1, v;

	*der = NULL;
	*len = 0;
	if (check_url(url, err) == -1)
		return -1;
	if ((v = select_row(c, ST_AIA_GET, key, NARGS(key), "aia", err)) != 0)
		return v;
	if (now >= (time_t)sqlite3_column_int64(st, 0))
		goto out;
	if ((v = col_blob(st, 1, &p, &n)) != 0) {
		if (v == -1)
			rc = cd_err_set(err, CD_ENOMEM, "%s: aia: out of "
			    "memory", c->path);
		goto out;
	}
	if (p == NULL || n == 0 || n > REV_AIA_MAX)
		goto out;
	*der = p;
	*len = n;
	p = NULL;
	rc = 0;
out:
	free(p);
	done(st);
	return rc;
}

int
revcache_aia_put(struct revcache *c, const char *url,
    const unsigned char *der, size_t len, time_t fetched_at, time_t expires,
    struct cd_err *err)
{
	const struct arg	 row[] = {
		TEXT_ARG(url, REV_URL_MAX),
		INT_ARG(fetched_at),
		INT_ARG(expires),
		BLOB_ARG(der, len),
	};

	if (check_url(url, err) == -1)
		return -1;
	if (der == NULL || len == 0 || len > REV_AIA_MAX)
		return cd_err_set(err, CD_ECONFIG, "%s: aia: %zu bytes", url,
		    len);
	return run_args(c, ST_AIA_PUT, row, NARGS(row), "aia", err);
}

/* ---- failures ---- */

time_t
revcache_backoff(unsigned n)
{
	time_t	 d = REVCACHE_BACKOFF_MIN;

	if (n == 0)
		return 0;
	while (--n > 0 && d < REVCACHE_BACKOFF_MAX)
		d *= 2;
	return d < REVCACHE_BACKOFF_MAX ? d : REVCACHE_BACKOFF_MAX;
}

/* Reads the failure row of url: 0 found, 1 none, -1 error. */
static int
failure_get(struct revcache *c, const char *url, unsigned *failures,
    time_t *retry_at, char *text, size_t textlen, struct cd_err *err)
{
	sqlite3_stmt		*st = c->st[ST_FAIL_GET];
	const struct arg	 key[] = { TEXT_ARG(url, REV_URL_MAX) };
	long long		 n;
	int			 rc = 1, v;

	if ((v = select_row(c, ST_FAIL_GET, key, NARGS(key), "failure",
	    err)) != 0)
		return v;
	n = sqlite3_column_int64(st, 0);
	if (n < 1 || n > 1000000)
		goto out;
	*failures = (unsigned)n;
	*retry_at = (time_t)sqlite3_column_int64(st, 2);
	if (text != NULL && textlen > 0 && !col_copy(st, 1, text, textlen))
		text[0] = '\0';		/* too long for the caller */
	rc = 0;
out:
	done(st);
	return rc;
}

int
revcache_failure_note(struct revcache *c, const char *url, const char *text,
    time_t now, struct cd_err *err)
{
	unsigned	 n = 0;
	time_t		 retry_at = 0;
	int		 found;

	if (check_url(url, err) == -1)
		return -1;
	if (begin(c, err) == -1)
		return -1;
	if ((found = failure_get(c, url, &n, &retry_at, NULL, 0, err)) == -1)
		goto fail;
	/* a failure long after the last backoff ended starts afresh */
	if (found == 1 || now - retry_at > REVCACHE_BACKOFF_MAX)
		n = 0;
	if (n < 1000000)
		n++;
	{
		const struct arg	 row[] = {
			TEXT_ARG(url, REV_URL_MAX),
			INT_ARG(n),
			TEXT_ARG(text != NULL ? text : "", REVCACHE_TEXT_MAX),
			INT_ARG(now + revcache_backoff(n)),
		};

		if (run_args(c, ST_FAIL_PUT, row, NARGS(row), "failure",
		    err) == -1 || commit(c, err) == -1)
			goto fail;
	}
	return 0;
fail:
	rollback(c);
	return -1;
}

int
revcache_failure_retry_at(struct revcache *c, const char *url, time_t now,
    time_t *when, unsigned *failures, char *text, size_t textlen,
    struct cd_err *err)
{
	unsigned	 n = 0;
	time_t		 retry_at = 0;
	int		 rc;

	if (check_url(url, err) == -1)
		return -1;
	rc = failure_get(c, url, &n, &retry_at, text, textlen, err);
	if (rc != 0)
		return rc;
	if (retry_at <= now)
		return 1;
	*when = retry_at;
	if (failures != NULL)
		*failures = n;
	return 0;
}

int
revcache_failure_clear(struct revcache *c, const char *url,
    struct cd_err *err)
{
	const struct arg	 key[] = { TEXT_ARG(url, REV_URL_MAX) };

	if (check_url(url, err) == -1)
		return -1;
	return run_args(c, ST_FAIL_DEL, key, NARGS(key), "failure", err);
}

/* ---- size ---- */

int
revcache_used_bytes(struct revcache *c, size_t *out, struct cd_err *err)
{
	sqlite3_stmt	*st = c->st[ST_USED];
	long long	 v;
	int		 rc = -1;

	if (sqlite3_step(st) != SQLITE_ROW) {
		db_err(c, err, "size");
		goto out;
	}
	v = sqlite3_column_int64(st, 0);
	*out = v > 0 ? (size_t)v : 0;
	rc = 0;
out:
	done(st);
	return rc;
}

/* Runs a prune statement with ?1 = t, adding the rows it deleted. */
static int
prune_one(struct revcache *c, enum st id, time_t t, size_t *n,
    struct cd_err *err)
{
	const struct arg	 before[] = { INT_ARG(t) };

	if (run_args(c, id, before, NARGS(before), "prune", err) == -1)
		return -1;
	*n += (size_t)sqlite3_changes(c->db);
	return 0;
}

int
revcache_prune(struct revcache *c, time_t now, size_t max_bytes,
    size_t *deleted, struct cd_err *err)
{
	size_t	 n = 0, used;

	if (begin(c, err) == -1)
		return -1;
	if (prune_one(c, ST_PRUNE_VERDICT, now, &n, err) == -1 ||
	    prune_one(c, ST_PRUNE_OCSP, now, &n, err) == -1 ||
	    prune_one(c, ST_PRUNE_AIA, now, &n, err) == -1 ||
	    prune_one(c, ST_PRUNE_CRL, now - REVCACHE_CRL_KEEP, &n, err) ==
	    -1 ||
	    prune_one(c, ST_PRUNE_FAIL, now - REVCACHE_BACKOFF_MAX, &n, err) ==
	    -1)
		goto fail;
	/* freed pages go to the free list at once, so used shrinks here */
	while (max_bytes > 0) {
		if (revcache_used_bytes(c, &used, err) == -1)
			goto fail;
		if (used <= max_bytes)
			break;
		if (run(c, ST_PRUNE_OLDEST_CRL, err) == -1)
			goto fail;
		if (sqlite3_changes(c->db) == 0)
			break;		/* no CRL left: the rest is small */
		n++;
	}
	if (commit(c, err) == -1)
		goto fail;
	/* best effort: give the pages back, then shrink the WAL */
	(void)sqlite3_exec(c->db, "PRAGMA incremental_vacuum", NULL, NULL,
	    NULL);
	(void)sqlite3_wal_checkpoint_v2(c->db, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (deleted != NULL)
		*deleted = n;
	return 0;
fail:
	rollback(c);
	return -1;
}
