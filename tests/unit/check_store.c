/*
 * check_store.c - store.c: the key=value format with hostile input,
 * account ids and account files, certificate versions and the `current`
 * switch, pruning, failure injection (the tree must be byte-for-byte
 * unchanged afterwards), read-only operations and the run lock.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "buf.h"
#include "file.h"
#include "store.h"
#include "util.h"

#define NOBODY		65534	/* uid/gid for the read-only test as root */
#define SNAP_MAX	(4 * 1024 * 1024)

/* ---- helpers ---- */

struct tdir {
	char	 top[64];	/* mkdtemp */
	char	 state[96];	/* top/state */
};

static void
tdir_make(struct tdir *t)
{
	(void)snprintf(t->top, sizeof(t->top), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->top));
	(void)snprintf(t->state, sizeof(t->state), "%s/state", t->top);
}

static void
tdir_remove(struct tdir *t)
{
	ck_assert_int_eq(file_remove_tree(AT_FDCWD, t->top, NULL), 0);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Appends one line per entry below dfd, sorted, recursively: path, type,
 * mode, size and a SHA-256 of the contents (or the link target).
 */
static void
snap_dir(int dfd, const char *rel, struct buf *out)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*names[512], path[PATH_MAX], target[PATH_MAX];
	char		 hex[65], *data;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	size_t		 n = 0, i, len;
	ssize_t		 tl;
	int		 fd;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ne(fd, -1);
	ck_assert_ptr_nonnull(d = fdopendir(fd));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_uint_lt(n, 512);
		names[n++] = strdup(de->d_name);
	}
	(void)closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", rel, names[i]);
		ck_assert_int_eq(fstatat(dfd, names[i], &st,
		    AT_SYMLINK_NOFOLLOW), 0);
		if (S_ISDIR(st.st_mode)) {
			ck_assert_int_eq(buf_printf(out, "%s d %04o\n", path,
			    (unsigned)(st.st_mode & 07777)), 0);
			fd = openat(dfd, names[i], O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW);
			ck_assert_int_ne(fd, -1);
			snap_dir(fd, path, out);
			(void)close(fd);
		} else if (S_ISLNK(st.st_mode)) {
			tl = readlinkat(dfd, names[i], target,
			    sizeof(target) - 1);
			ck_assert_int_gt(tl, 0);
			target[tl] = '\0';
			ck_assert_int_eq(buf_printf(out, "%s l -> %s\n", path,
			    target), 0);
		} else {
			ck_assert(S_ISREG(st.st_mode));
			ck_assert_int_eq(file_read(dfd, names[i], SNAP_MAX,
			    &data, &len, NULL), 0);
			ck_assert_int_eq(EVP_Digest(data, len, md, NULL,
			    EVP_sha256(), NULL), 1);
			util_hex(md, 32, hex, false);
			ck_assert_int_eq(buf_printf(out, "%s f %04o %zu %s\n",
			    path, (unsigned)(st.st_mode & 07777), len, hex),
			    0);
			free(data);
		}
		free(names[i]);
	}
}

/* The whole tree below path as text (see snap_dir); caller frees. */
static char *
snapshot(const char *path)
{
	struct buf	 b;
	char		*s;
	size_t		 n;
	int		 fd;

	buf_init(&b, SNAP_MAX);
	ck_assert_int_eq(buf_append_str(&b, "tree\n"), 0);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY)) != -1) {
		snap_dir(fd, ".", &b);
		(void)close(fd);
	} else
		ck_assert_int_eq(buf_append_str(&b, "(missing)\n"), 0);
	ck_assert_int_eq(buf_take(&b, &s, &n), 0);
	return s;
}

/* dir/rel in a static buffer: one use per expression */
static const char *
tpath(const char *dir, const char *rel)
{
	static char	 path[PATH_MAX];

	(void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

static mode_t
mode_of(const char *dir, const char *rel)
{
	char		 path[PATH_MAX];
	struct stat	 st;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static bool
exists(const char *dir, const char *rel)
{
	char		 path[PATH_MAX];
	struct stat	 st;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return lstat(path, &st) == 0;
}

/* files for commit number i: contents differ per commit */
struct tfiles {
	char			 cert[64], chain[64], full[128], key[300];
	struct store_kv		 meta;
	struct store_files	 f;
};

static void
tfiles_make(struct tfiles *t, int i)
{
	char	 n[16];

	(void)snprintf(t->cert, sizeof(t->cert), "CERT %d\n", i);
	(void)snprintf(t->chain, sizeof(t->chain), "CHAIN %d\n", i);
	(void)snprintf(t->full, sizeof(t->full), "%s%s", t->cert, t->chain);
	memset(t->key, 'k', sizeof(t->key) - 1);
	t->key[sizeof(t->key) - 1] = '\0';
	(void)snprintf(t->key, sizeof(t->key), "KEY %d ", i);
	t->key[strlen(t->key)] = 'k';	/* keep it 299 bytes long */
	memset(&t->meta, 0, sizeof(t->meta));
	(void)snprintf(n, sizeof(n), "%d", i);
	ck_assert_int_eq(store_kv_add(&t->meta, "commit", n, NULL), 0);
	ck_assert_int_eq(store_kv_add(&t->meta, "name", "mx.example.org",
	    NULL), 0);
	t->f.cert = t->cert;
	t->f.certlen = strlen(t->cert);
	t->f.chain = t->chain;
	t->f.chainlen = strlen(t->chain);
	t->f.fullchain = t->full;
	t->f.fulllen = strlen(t->full);
	t->f.privkey = t->key;
	t->f.keylen = strlen(t->key);
	t->f.meta = &t->meta;
}

static void
commit_n(struct store *s, const char *name, int i)
{
	struct tfiles	 t;
	struct cd_err	 err;

	tfiles_make(&t, i);
	if (store_cert_commit(s, name, &t.f, &err) == -1)
		ck_abort_msg("commit %s %d: %s", name, i, err.msg);
	store_kv_clear(&t.meta);
}

static void
expect_current(struct store *s, const char *name, const char *v)
{
	char		 cur[32];
	struct cd_err	 err;

	ck_assert_int_eq(store_cert_current(s, name, cur, sizeof(cur), &err),
	    0);
	ck_assert_str_eq(cur, v);
}

/* ---- key=value ---- */

static const struct {
	const char	*in;
	size_t		 len;	/* 0: strlen */
	int		 rc;
	size_t		 n;	/* entries on success */
} kv_cases[] = {
	{ "a=1\nb=2\n", 0, 0, 2 },
	{ "a=1\nb=2", 0, 0, 2 },		/* no final newline */
	{ "", 0, 0, 0 },
	{ "\n\n", 0, 0, 0 },			/* empty lines */
	{ "# comment\n\na=1\n#x=y\n", 0, 0, 1 },
	{ "a=\n", 0, 0, 1 },			/* empty value */
	{ "a=1=2\n", 0, 0, 1 },			/* split at the first '=' */
	{ "a=x y\n", 0, 0, 1 },			/* spaces in values */
	{ "a=caf\xc3\xa9\n", 0, 0, 1 },		/* UTF-8 in values */
	{ "k.e-y_0=1\n", 0, 0, 1 },
	{ "n=1\nn=2\nn=3\n", 0, 0, 3 },		/* repeats are lists */
	{ "a=1\0b=2\n", 8, -1, 0 },		/* NUL */
	{ "a=1\r\n", 0, -1, 0 },		/* CR */
	{ "a=\t1\n", 0, -1, 0 },		/* TAB */
	{ "a=\x01\n", 0, -1, 0 },
	{ "a=\x1b[2J\n", 0, -1, 0 },		/* ESC */
	{ "a=\x7f\n", 0, -1, 0 },		/* DEL */
	{ "# \x01 comment\n", 0, -1, 0 },	/* control bytes anywhere */
	{ "A=1\n", 0, -1, 0 },			/* upper case key */
	{ "a b=1\n", 0, -1, 0 },
	{ " a=1\n", 0, -1, 0 },
	{ "a/b=1\n", 0, -1, 0 },
	{ "=1\n", 0, -1, 0 },			/* empty key */
	{ "novalue\n", 0, -1, 0 },
	{ "a=1\nnovalue", 0, -1, 0 },
	{ "k\xc3\xa9=1\n", 0, -1, 0 },		/* non-ASCII key */
};

START_TEST(kv_parse_table)
{
	struct store_kv	 kv = { 0, NULL, NULL };
	struct cd_err	 err;
	size_t		 len = kv_cases[_i].len;

	if (len == 0)
		len = strlen(kv_cases[_i].in);
	ck_assert_int_eq(store_kv_parse(kv_cases[_i].in, len, &kv, &err),
	    kv_cases[_i].rc);
	if (kv_cases[_i].rc == 0)
		ck_assert_uint_eq(kv.n, kv_cases[_i].n);
	else {
		ck_assert_int_eq(err.kind, CD_EPROTO);
		ck_assert_uint_eq(kv.n, 0);
		ck_assert_ptr_null(kv.key);
	}
	store_kv_clear(&kv);
}
END_TEST

START_TEST(kv_values)
{
	struct store_kv	 kv = { 0, NULL, NULL };
	const char	*all[4];
	const char	 in[] = "url=https://x/dir\ncontact=mailto:a@b\n"
	    "#contact=mailto:z@z\ncontact=mailto:c@d\neq=a=b\n";

	ck_assert_int_eq(store_kv_parse(in, sizeof(in) - 1, &kv, NULL), 0);
	ck_assert_uint_eq(kv.n, 4);
	ck_assert_str_eq(store_kv_get(&kv, "url"), "https://x/dir");
	ck_assert_str_eq(store_kv_get(&kv, "eq"), "a=b");
	ck_assert_ptr_null(store_kv_get(&kv, "missing"));
	ck_assert_uint_eq(store_kv_getall(&kv, "contact", all, 4), 2);
	ck_assert_str_eq(all[0], "mailto:a@b");
	ck_assert_str_eq(all[1], "mailto:c@d");
	ck_assert_uint_eq(store_kv_getall(&kv, "contact", all, 1), 1);
	ck_assert_uint_eq(store_kv_getall(&kv, "none", all, 4), 0);
	store_kv_clear(&kv);
	store_kv_clear(&kv);
	store_kv_clear(NULL);
}
END_TEST

/* n lines of "k=v" padded so that the whole text is exactly len bytes */
static char *
kv_text(size_t lines, size_t len)
{
	char	*s = malloc(len + 1), *p = s;
	size_t	 i, per = len / lines, l;

	for (i = 0; i < lines; i++) {
		l = i == lines - 1 ? len - (size_t)(p - s) : per;
		ck_assert_uint_ge(l, 4);
		p[0] = 'k';
		p[1] = '=';
		memset(p + 2, 'v', l - 3);
		p[l - 1] = '\n';
		p += l;
	}
	*p = '\0';
	return s;
}

static const struct {
	size_t	 lines;
	size_t	 len;
	int	 rc;
} kv_limits[] = {
	{ STORE_KV_LINES_MAX, 4 * STORE_KV_LINES_MAX, 0 },	/* at limit */
	{ STORE_KV_LINES_MAX + 1, 4 * (STORE_KV_LINES_MAX + 1), -1 },
	{ 20, STORE_KV_MAX, 0 },				/* at limit */
	{ 20, STORE_KV_MAX + 1, -1 },
	{ 1, 4096 + 3, 0 },		/* "k=" + 4096 bytes + "\n" */
	{ 1, 4096 + 4, -1 },		/* value of 4097 bytes */
};

START_TEST(kv_limit)
{
	struct store_kv	 kv = { 0, NULL, NULL };
	struct cd_err	 err;
	char		*s = kv_text(kv_limits[_i].lines, kv_limits[_i].len);

	ck_assert_int_eq(store_kv_parse(s, kv_limits[_i].len, &kv, &err),
	    kv_limits[_i].rc);
	if (kv_limits[_i].rc == 0)
		ck_assert_uint_eq(kv.n, kv_limits[_i].lines);
	else
		ck_assert_int_eq(err.kind, CD_EPROTO);
	store_kv_clear(&kv);
	free(s);
}
END_TEST

START_TEST(kv_key_length)
{
	struct store_kv	 kv = { 0, NULL, NULL };
	char		 key[80], line[100];

	memset(key, 'k', sizeof(key));
	key[64] = '\0';
	ck_assert_int_eq(store_kv_add(&kv, key, "v", NULL), 0);
	(void)snprintf(line, sizeof(line), "%s=v\n", key);
	store_kv_clear(&kv);
	ck_assert_int_eq(store_kv_parse(line, strlen(line), &kv, NULL), 0);
	store_kv_clear(&kv);
	key[64] = 'k';
	key[65] = '\0';
	ck_assert_int_eq(store_kv_add(&kv, key, "v", NULL), -1);
	(void)snprintf(line, sizeof(line), "%s=v\n", key);
	ck_assert_int_eq(store_kv_parse(line, strlen(line), &kv, NULL), -1);
}
END_TEST

START_TEST(kv_round_trip)
{
	struct store_kv	 kv = { 0, NULL, NULL }, back = { 0, NULL, NULL };
	struct cd_err	 err;
	char		*text, big[4098];
	size_t		 len, i;

	ck_assert_int_eq(store_kv_format(&kv, &text, &len, &err), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(text, "");
	free(text);

	memset(big, 'x', sizeof(big));
	big[4096] = '\0';
	ck_assert_int_eq(store_kv_add(&kv, "url", "https://a/dir", &err), 0);
	ck_assert_int_eq(store_kv_add(&kv, "contact", "mailto:a@b", &err), 0);
	ck_assert_int_eq(store_kv_add(&kv, "contact", "", &err), 0);
	ck_assert_int_eq(store_kv_add(&kv, "big", big, &err), 0);
	/* refused, and kv unchanged */
	ck_assert_int_eq(store_kv_add(&kv, "Bad", "v", &err), -1);
	ck_assert_int_eq(store_kv_add(&kv, "", "v", &err), -1);
	ck_assert_int_eq(store_kv_add(&kv, "a=b", "v", &err), -1);
	ck_assert_int_eq(store_kv_add(&kv, "k", "line\nbreak", &err), -1);
	ck_assert_int_eq(store_kv_add(&kv, "k", "cr\r", &err), -1);
	ck_assert_int_eq(store_kv_add(&kv, "k", NULL, &err), -1);
	big[4096] = 'x';
	big[4097] = '\0';
	ck_assert_int_eq(store_kv_add(&kv, "big2", big, &err), -1);
	ck_assert_uint_eq(kv.n, 4);

	ck_assert_int_eq(store_kv_format(&kv, &text, &len, &err), 0);
	ck_assert_uint_eq(strlen(text), len);
	ck_assert_int_eq(strncmp(text, "url=https://a/dir\ncontact=mailto:a@b"
	    "\ncontact=\nbig=xxx", 52), 0);
	ck_assert_int_eq(text[len - 1], '\n');
	ck_assert_int_eq(store_kv_parse(text, len, &back, &err), 0);
	ck_assert_uint_eq(back.n, kv.n);
	for (i = 0; i < kv.n; i++) {
		ck_assert_str_eq(back.key[i], kv.key[i]);
		ck_assert_str_eq(back.val[i], kv.val[i]);
	}
	free(text);
	store_kv_clear(&back);

	/* a struct filled by hand is checked again when formatted */
	free(kv.val[0]);
	kv.val[0] = strdup("evil\nurl=https://attacker/");
	ck_assert_int_eq(store_kv_format(&kv, &text, &len, &err), -1);
	store_kv_clear(&kv);

	/* the entry limit holds for add as well */
	for (i = 0; i < STORE_KV_LINES_MAX; i++)
		ck_assert_int_eq(store_kv_add(&kv, "n", "1", NULL), 0);
	ck_assert_int_eq(store_kv_add(&kv, "n", "1", &err), -1);
	ck_assert_int_eq(store_kv_format(&kv, &text, &len, &err), 0);
	free(text);
	store_kv_clear(&kv);
}
END_TEST

/* ---- accounts ---- */

static const struct {
	const char	*url;
	const char	*host;	/* NULL: refused */
} id_cases[] = {
	{ "https://acme-v02.api.letsencrypt.org/directory",
	    "acme-v02.api.letsencrypt.org" },
	{ "https://127.0.0.1:14000/dir", "127.0.0.1_14000" },
	{ "https://[::1]:14000/dir", "__1_14000" },
	{ "HTTPS://Example.ORG", "example.org" },
	{ "https://user:pw@example.org/x", "example.org" },
	{ "https://example.org?x=/y", "example.org" },
	{ "http://localhost:4001/directory", "localhost_4001" },
	{ "https://a%2fb.example/dir", "a2fb.example" },
	{ "https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaa.org/dir",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "ftp://example.org/", NULL },
	{ "example.org/directory", NULL },
	{ "", NULL },
	{ "https:///dir", NULL },
	{ "https://.../dir", NULL },
	{ "https://%%%/", NULL },
};

START_TEST(account_id)
{
	struct cd_err	 err;
	char		 id[128], want[128], hex[65];
	unsigned char	 md[EVP_MAX_MD_SIZE];
	const char	*url = id_cases[_i].url;

	if (id_cases[_i].host == NULL) {
		ck_assert_int_eq(store_account_id(url, id, sizeof(id), &err),
		    -1);
		ck_assert_int_eq(err.kind, CD_ECONFIG);
		return;
	}
	ck_assert_int_eq(store_account_id(url, id, sizeof(id), &err), 0);
	ck_assert_int_eq(EVP_Digest(url, strlen(url), md, NULL, EVP_sha256(),
	    NULL), 1);
	util_hex(md, 32, hex, false);
	(void)snprintf(want, sizeof(want), "%s-%.12s", id_cases[_i].host, hex);
	ck_assert_str_eq(id, want);
	ck_assert(util_is_safe_component(id));
	ck_assert_int_eq(store_account_id(url, id, 20, &err), -1);
}
END_TEST

START_TEST(account_save_load)
{
	static const char	 url[] = "https://acme.example/directory";
	struct tdir		 t;
	struct store		*s;
	struct store_kv		 kv = { 0, NULL, NULL };
	struct store_kv		 got = { 0, NULL, NULL };
	struct cd_err		 err;
	char			 id[128], dir[160], rel[400];
	char			*key, *snap, *snap2;
	size_t			 klen;

	tdir_make(&t);
	ck_assert_ptr_nonnull(s = store_open(t.state, true, &err));
	ck_assert_int_eq(store_account_id(url, id, sizeof(id), NULL), 0);
	(void)snprintf(dir, sizeof(dir), "accounts/%s", id);
	snap = snapshot(t.state);

	/* nothing there yet: not found, and nothing created */
	ck_assert_int_eq(store_account_load(s, url, &got, &key, &klen, &err),
	    -1);
	ck_assert_int_eq(err.kind, CD_ENOTFOUND);
	ck_assert_int_eq(store_kv_add(&kv, "kid", "https://acme.example/a/1",
	    NULL), 0);
	ck_assert_int_eq(store_kv_add(&kv, "contact", "mailto:a@example.org",
	    NULL), 0);
	ck_assert_int_eq(store_account_save(s, url, &kv, NULL, 0, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	snap2 = snapshot(t.state);
	ck_assert_str_eq(snap2, snap);
	free(snap2);
	free(snap);

	/* crash debris of an earlier attempt does not get in the way */
	(void)snprintf(rel, sizeof(rel), "%s/accounts", t.state);
	ck_assert_int_eq(mkdir(rel, 0700), 0);
	(void)snprintf(rel, sizeof(rel), "%s/accounts/.%s.tmp", t.state, id);
	ck_assert_int_eq(mkdir(rel, 0700), 0);

	ck_assert_int_eq(store_account_save(s, url, &kv, "KEY1\n", 5, &err),
	    0);
	(void)snprintf(rel, sizeof(rel), "%s/account.key", dir);
	ck_assert_uint_eq(mode_of(t.state, rel), 0600);
	(void)snprintf(rel, sizeof(rel), "%s/account.conf", dir);
	ck_assert_uint_eq(mode_of(t.state, rel), 0600);
	(void)snprintf(rel, sizeof(rel), "accounts/.%s.tmp", id);
	ck_assert(!exists(t.state, rel));

	ck_assert_int_eq(store_account_load(s, url, &got, &key, &klen, &err),
	    0);
	ck_assert_uint_eq(got.n, 2);
	ck_assert_str_eq(store_kv_get(&got, "kid"), "https://acme.example/a/1");
	ck_assert_str_eq(store_kv_get(&got, "contact"),
	    "mailto:a@example.org");
	ck_assert_uint_eq(klen, 5);
	ck_assert_str_eq(key, "KEY1\n");
	store_kv_clear(&got);
	free(key);

	/* existing account, key kept */
	ck_assert_int_eq(store_kv_add(&kv, "contact", "mailto:b@example.org",
	    NULL), 0);
	ck_assert_int_eq(store_account_save(s, url, &kv, NULL, 0, &err), 0);
	ck_assert_int_eq(store_account_load(s, url, &got, &key, &klen, &err),
	    0);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_str_eq(key, "KEY1\n");
	store_kv_clear(&got);
	free(key);

	/* key rollover */
	ck_assert_int_eq(store_account_save(s, url, &kv, "KEY2!\n", 6, &err),
	    0);
	(void)snprintf(rel, sizeof(rel), "%s/account.key", dir);
	ck_assert_uint_eq(mode_of(t.state, rel), 0600);
	ck_assert_int_eq(store_account_load(s, url, &got, &key, &klen, &err),
	    0);
	ck_assert_str_eq(key, "KEY2!\n");
	store_kv_clear(&got);
	free(key);

	/* another directory URL is another account */
	ck_assert_int_eq(store_account_load(s, "https://acme.example/dir2",
	    &got, &key, &klen, &err), -1);
	ck_assert_int_eq(err.kind, CD_ENOTFOUND);

	/* a readable key file is refused */
	(void)snprintf(rel, sizeof(rel), "%s/%s/account.key", t.state, dir);
	ck_assert_int_eq(chmod(rel, 0644), 0);
	ck_assert_int_eq(store_account_load(s, url, &got, &key, &klen, &err),
	    -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(chmod(rel, 0600), 0);

	/* a damaged account.conf is an error, not a guess */
	(void)snprintf(rel, sizeof(rel), "%s/%s", t.state, dir);
	{
		int	 dfd = open(rel, O_RDONLY | O_DIRECTORY);

		ck_assert_int_eq(file_replace(dfd, "account.conf", "kid\n", 4,
		    0600, NULL), 0);
		(void)close(dfd);
	}
	ck_assert_int_eq(store_account_load(s, url, &got, &key, &klen, &err),
	    -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "account.conf"));

	store_kv_clear(&kv);
	store_close(s);
	tdir_remove(&t);
}
END_TEST

/* ---- certificates ---- */

START_TEST(commit_twice)
{
	struct tdir	 t;
	struct store	*s;
	struct cd_err	 err;
	struct store_kv	 meta = { 0, NULL, NULL };
	char		*data, **names;
	size_t		 len, n;

	tdir_make(&t);
	ck_assert_ptr_nonnull(s = store_open(t.state, true, &err));
	ck_assert_uint_eq(mode_of(t.state, "."), 0700);
	commit_n(s, "mx.example.org", 1);
	expect_current(s, "mx.example.org", "v0001");
	commit_n(s, "mx.example.org", 2);
	expect_current(s, "mx.example.org", "v0002");
	ck_assert(exists(t.state, "certs/mx.example.org/v0001/cert.pem"));
	ck_assert(!exists(t.state, "certs/mx.example.org/.v0002.tmp"));
	ck_assert(!exists(t.state, "certs/mx.example.org/.current.tmp"));
	ck_assert_uint_eq(mode_of(t.state,
	    "certs/mx.example.org/v0002/privkey.pem"), 0600);
	ck_assert_uint_eq(mode_of(t.state,
	    "certs/mx.example.org/v0002/cert.pem"), 0644);
	ck_assert_uint_eq(mode_of(t.state,
	    "certs/mx.example.org/v0002/fullchain.pem"), 0644);
	ck_assert_uint_eq(mode_of(t.state, "certs/mx.example.org/v0002/meta"),
	    0644);

	ck_assert_int_eq(store_cert_read(s, "mx.example.org", "cert.pem", 4096,
	    &data, &len, &err), 0);
	ck_assert_str_eq(data, "CERT 2\n");
	free(data);
	ck_assert_int_eq(store_cert_read(s, "mx.example.org", "fullchain.pem",
	    4096, &data, &len, &err), 0);
	ck_assert_str_eq(data, "CERT 2\nCHAIN 2\n");
	free(data);
	ck_assert_int_eq(store_cert_read(s, "mx.example.org", "meta", 4096,
	    &data, &len, &err), 0);
	ck_assert_int_eq(store_kv_parse(data, len, &meta, &err), 0);
	ck_assert_str_eq(store_kv_get(&meta, "commit"), "2");
	store_kv_clear(&meta);
	free(data);
	ck_assert_int_eq(store_cert_read(s, "mx.example.org", "privkey.pem",
	    4096, &data, &len, &err), 0);
	ck_assert_uint_eq(len, 299);
	free(data);
	/* bounded */
	ck_assert_int_eq(store_cert_read(s, "mx.example.org", "privkey.pem",
	    100, &data, &len, &err), -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);

	commit_n(s, "b.example", 1);
	commit_n(s, "a.example", 1);
	ck_assert_int_eq(store_cert_list(s, &names, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(names[0], "a.example");
	ck_assert_str_eq(names[1], "b.example");
	ck_assert_str_eq(names[2], "mx.example.org");
	store_names_free(names, n);
	store_names_free(NULL, 0);
	store_close(s);
	tdir_remove(&t);
}
END_TEST

START_TEST(commit_prune)
{
	struct tdir	 t;
	struct store	*s;
	struct cd_err	 err;
	char		 rel[128], *data;
	size_t		 len;
	int		 i;

	tdir_make(&t);
	ck_assert_ptr_nonnull(s = store_open(t.state, true, &err));
	for (i = 1; i <= 7; i++)
		commit_n(s, "mx", i);
	expect_current(s, "mx", "v0007");
	/* current plus STORE_VERSIONS_KEEP older ones */
	ck_assert(!exists(t.state, "certs/mx/v0001"));
	for (i = 2; i <= 7; i++) {
		(void)snprintf(rel, sizeof(rel), "certs/mx/v%04d", i);
		ck_assert_msg(exists(t.state, rel), "%s missing", rel);
	}
	ck_assert_int_eq(store_cert_read(s, "mx", "cert.pem", 100, &data, &len,
	    &err), 0);
	ck_assert_str_eq(data, "CERT 7\n");
	free(data);
	commit_n(s, "mx", 8);
	ck_assert(!exists(t.state, "certs/mx/v0002"));
	ck_assert(exists(t.state, "certs/mx/v0003"));
	expect_current(s, "mx", "v0008");

	/* crash debris is removed and does not count as a version */
	ck_assert_int_eq(mkdir(tpath(t.state,
	    "certs/mx/.v0042.tmp"), 0755), 0);
	ck_assert_int_eq(symlink("v0001", tpath(t.state,
	    "certs/mx/.current.tmp")), 0);
	commit_n(s, "mx", 9);
	expect_current(s, "mx", "v0009");
	ck_assert(!exists(t.state, "certs/mx/.v0042.tmp"));
	ck_assert(!exists(t.state, "certs/mx/.current.tmp"));

	/* numbering goes past four digits */
	ck_assert_int_eq(mkdir(tpath(t.state, "certs/mx/v9999"), 0755),
	    0);
	commit_n(s, "mx", 10);
	expect_current(s, "mx", "v10000");
	store_close(s);
	tdir_remove(&t);
}
END_TEST

START_TEST(list_and_read_missing)
{
	struct tdir	 t;
	struct store	*s;
	struct cd_err	 err;
	char		**names, *data, cur[32];
	size_t		 n, len;

	tdir_make(&t);
	ck_assert_ptr_nonnull(s = store_open(t.state, true, &err));
	/* no certs/ at all: an empty list */
	names = (char **)1;
	ck_assert_int_eq(store_cert_list(s, &names, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	store_names_free(names, n);
	ck_assert_int_eq(store_cert_read(s, "mx", "cert.pem", 100, &data,
	    &len, &err), -1);
	ck_assert_int_eq(err.kind, CD_ENOTFOUND);
	ck_assert_str_eq(err.msg, "mx: no such certificate");
	ck_assert_int_eq(store_cert_current(s, "mx", cur, sizeof(cur), &err),
	    -1);
	ck_assert_int_eq(err.kind, CD_ENOTFOUND);

	commit_n(s, "mx", 1);
	/* not listed: no current, current not a version, junk names */
	ck_assert_int_eq(mkdir(tpath(t.state, "certs/nocurrent"), 0755), 0);
	ck_assert_int_eq(mkdir(tpath(t.state, "certs/badlink"), 0755), 0);
	ck_assert_int_eq(mkdir(tpath(t.state, "certs/badlink/v0001"), 0755),
	    0);
	ck_assert_int_eq(symlink("../mx/v0001", tpath(t.state,
	    "certs/badlink/current")), 0);
	ck_assert_int_eq(mkdir(tpath(t.state, "certs/dangling"), 0755), 0);
	ck_assert_int_eq(symlink("v0003", tpath(t.state,
	    "certs/dangling/current")), 0);
	ck_assert_int_eq(symlink("mx", tpath(t.state, "certs/alias")), 0);
	ck_assert_int_eq(mkdir(tpath(t.state, "certs/.hidden"), 0755), 0);
	ck_assert_int_eq(symlink("v0001", tpath(t.state,
	    "certs/.hidden/current")), 0);
	ck_assert_int_eq(store_cert_list(s, &names, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], "mx");
	store_names_free(names, n);

	ck_assert_int_eq(store_cert_read(s, "nocurrent", "cert.pem", 100,
	    &data, &len, &err), -1);
	ck_assert_int_eq(err.kind, CD_ENOTFOUND);
	ck_assert_int_eq(store_cert_read(s, "badlink", "cert.pem", 100,
	    &data, &len, &err), -1);
	ck_assert_int_eq(err.kind, CD_EPROTO);
	/* names and files outside the alphabet never reach a path */
	ck_assert_int_eq(store_cert_read(s, "../certs/mx", "cert.pem", 100,
	    &data, &len, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(store_cert_read(s, "*.example.org", "cert.pem", 100,
	    &data, &len, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(store_cert_read(s, "mx", "../v0001/cert.pem", 100,
	    &data, &len, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(store_cert_read(s, "mx", "current", 100, &data,
	    &len, &err), -1);
	ck_assert_int_eq(err.kind, CD_ECONFIG);
	ck_assert_int_eq(store_cert_read(s, "mx", "chain.pem", 100, &data,
	    &len, &err), 0);
	free(data);
	store_close(s);
	tdir_remove(&t);
}
END_TEST

START_TEST(read_only_creates_nothing)
{
	struct tdir	 t;
	struct store	*s;
	struct store_kv	 kv = { 0, NULL, NULL };
	struct cd_err	 err;
	char		*before, *after, **names, *data, cur[32], missing[128];
	size_t		 n, len;
	int		 pass;

	tdir_make(&t);
	/* a missing state dir is not created when create is false */
	ck_assert_ptr_null(store_open(t.state, false, &err));
	ck_assert_int_eq(err.kind, CD_ENOTFOUND);
	ck_assert(!exists(t.state, "."));
	ck_assert_ptr_null(store_open("", true, &err));
	(void)snprintf(missing, sizeof(missing), "%s/a/b/c", t.top);
	ck_assert_ptr_nonnull(s = store_open(missing, true, &err));
	ck_assert_uint_eq(mode_of(t.top, "a/b"), 0700);
	ck_assert_str_eq(store_dir(s), missing);
	store_close(s);

	ck_assert_ptr_nonnull(s = store_open(t.state, true, &err));
	for (pass = 0; pass < 2; pass++) {
		/* pass 0: empty; pass 1: one certificate and one account */
		before = snapshot(t.state);
		ck_assert_int_eq(store_cert_list(s, &names, &n, &err), 0);
		store_names_free(names, n);
		(void)store_cert_read(s, "mx", "cert.pem", 100, &data, &len,
		    &err);
		if (pass == 1)
			free(data);
		(void)store_cert_read(s, "other", "meta", 100, &data, &len,
		    &err);
		(void)store_cert_current(s, "other", cur, sizeof(cur), &err);
		ck_assert_int_eq(store_account_load(s, "https://none/dir", &kv,
		    &data, &len, &err), -1);
		store_close(s);
		ck_assert_ptr_nonnull(s = store_open(t.state, false, &err));
		after = snapshot(t.state);
		ck_assert_str_eq(after, before);
		free(before);
		free(after);
		if (pass == 0) {
			commit_n(s, "mx", 1);
			ck_assert_int_eq(store_kv_add(&kv, "kid", "x", NULL),
			    0);
			ck_assert_int_eq(store_account_save(s,
			    "https://acme/dir", &kv, "K\n", 2, NULL), 0);
			store_kv_clear(&kv);
		}
	}
	store_close(s);
	tdir_remove(&t);
}
END_TEST

/* ---- failure injection: the tree must not change at all ---- */

enum inj {
	I_NAME_EMPTY, I_NAME_DOTDOT, I_NAME_HIDDEN, I_NAME_SLASH,
	I_NAME_WILDCARD, I_NAME_NULL, I_NAME_LONG, I_NO_FILES, I_BAD_META,
	I_FSIZE_EXISTING, I_FSIZE_NEW_NAME, I_FSIZE_EMPTY_STORE,
	I_CURRENT_IS_DIR, I_READONLY_DIR,
};

static const struct {
	enum inj	 kind;
	bool		 empty_store;	/* no certs/ yet */
} inj_cases[] = {
	{ I_NAME_EMPTY, false },
	{ I_NAME_DOTDOT, false },
	{ I_NAME_HIDDEN, false },
	{ I_NAME_SLASH, false },
	{ I_NAME_WILDCARD, false },
	{ I_NAME_NULL, false },
	{ I_NAME_LONG, false },
	{ I_NO_FILES, true },
	{ I_BAD_META, true },
	{ I_FSIZE_EXISTING, false },	/* fails writing privkey.pem */
	{ I_FSIZE_NEW_NAME, false },	/* certs/<name>/ must go again */
	{ I_FSIZE_EMPTY_STORE, true },	/* and certs/ as well */
	{ I_CURRENT_IS_DIR, false },	/* fails at the very switch */
	{ I_READONLY_DIR, false },	/* chmod 0500 (as nobody if root) */
};

/* chown -R (no symlinks followed) */
static void
chown_tree(int dfd, const char *name, uid_t uid, gid_t gid)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	int		 fd;

	ck_assert_int_eq(fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW),
	    0);
	ck_assert_int_eq(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	if (!S_ISDIR(st.st_mode))
		return;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	ck_assert_int_ne(fd, -1);
	ck_assert_ptr_nonnull(d = fdopendir(fd));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			chown_tree(dirfd(d), de->d_name, uid, gid);
	(void)closedir(d);
}

/* In a child (as nobody when we are root): the commit must fail. */
static void
commit_as_child(const char *state, const char *name,
    const struct store_files *f)
{
	struct store	*s;
	struct cd_err	 err;
	pid_t		 pid;
	int		 status;

	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) == -1 ||
		    setgid(NOBODY) == -1 || setuid(NOBODY) == -1 ||
		    geteuid() != NOBODY))
			_exit(2);
		if ((s = store_open(state, false, &err)) == NULL)
			_exit(3);
		if (store_cert_commit(s, name, f, &err) == 0)
			_exit(4);
		_exit(err.kind == CD_ESYS ? 0 : 5);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

START_TEST(commit_failure_leaves_no_trace)
{
	struct tdir	 t;
	struct store	*s;
	struct cd_err	 err;
	struct tfiles	 tf;
	struct store_kv	 bad = { 0, NULL, NULL };
	char		*badkey[] = { "ok" }, *badval[] = { "two\nlines" };
	struct rlimit	 old, lim;
	char		*before, *after, longname[300];
	const char	*name = "mx";
	int		 rc;

	tdir_make(&t);
	ck_assert_ptr_nonnull(s = store_open(t.state, true, &err));
	if (!inj_cases[_i].empty_store) {
		commit_n(s, "mx", 1);
		commit_n(s, "mx", 2);
		commit_n(s, "other", 1);
	}
	tfiles_make(&tf, 3);
	switch (inj_cases[_i].kind) {
	case I_NAME_EMPTY:
		name = "";
		break;
	case I_NAME_DOTDOT:
		name = "..";
		break;
	case I_NAME_HIDDEN:
		name = ".mx";
		break;
	case I_NAME_SLASH:
		name = "mx/../other";
		break;
	case I_NAME_WILDCARD:
		name = "*.example.org";
		break;
	case I_NAME_NULL:
		name = NULL;
		break;
	case I_NAME_LONG:
		memset(longname, 'a', sizeof(longname));
		longname[256] = '\0';
		name = longname;
		break;
	case I_NO_FILES:
		tf.f.privkey = NULL;
		break;
	case I_BAD_META:
		bad.n = 1;
		bad.key = badkey;
		bad.val = badval;
		tf.f.meta = &bad;
		break;
	case I_FSIZE_NEW_NAME:
		name = "fresh";
		break;
	case I_CURRENT_IS_DIR:
		ck_assert_int_eq(unlink(tpath(t.state, "certs/mx/current")),
		    0);
		ck_assert_int_eq(mkdir(tpath(t.state, "certs/mx/current"),
		    0755), 0);
		break;
	case I_READONLY_DIR:
		if (geteuid() == 0)
			chown_tree(AT_FDCWD, t.top, NOBODY, NOBODY);
		ck_assert_int_eq(chmod(tpath(t.state, "certs/mx"), 0500), 0);
		break;
	default:
		break;
	}
	before = snapshot(t.state);

	switch (inj_cases[_i].kind) {
	case I_FSIZE_EXISTING:
	case I_FSIZE_NEW_NAME:
	case I_FSIZE_EMPTY_STORE:
		/* cert, chain, fullchain fit; the 299-byte key does not */
		(void)signal(SIGXFSZ, SIG_IGN);
		ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
		lim = old;
		lim.rlim_cur = 100;
		ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
		rc = store_cert_commit(s, name, &tf.f, &err);
		ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
		(void)signal(SIGXFSZ, SIG_DFL);
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(err.kind, CD_ESYS);
		ck_assert_ptr_nonnull(strstr(err.msg, "privkey.pem"));
		break;
	case I_READONLY_DIR:
		commit_as_child(t.state, name, &tf.f);
		break;
	default:
		ck_assert_int_eq(store_cert_commit(s, name, &tf.f, &err), -1);
		ck_assert(err.kind == CD_ECONFIG || err.kind == CD_EPROTO ||
		    err.kind == CD_ESYS);
		break;
	}

	after = snapshot(t.state);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	if (inj_cases[_i].kind == I_READONLY_DIR)
		ck_assert_int_eq(chmod(tpath(t.state, "certs/mx"), 0755), 0);
	if (!inj_cases[_i].empty_store &&
	    inj_cases[_i].kind != I_CURRENT_IS_DIR)
		expect_current(s, "mx", "v0002");

	/* and the store still works afterwards */
	if (inj_cases[_i].kind != I_CURRENT_IS_DIR) {
		tf.f.privkey = tf.key;
		tf.f.meta = &tf.meta;
		ck_assert_int_eq(store_cert_commit(s, "mx", &tf.f, &err), 0);
		expect_current(s, "mx", inj_cases[_i].empty_store ? "v0001" :
		    "v0003");
	}
	store_kv_clear(&tf.meta);
	store_close(s);
	tdir_remove(&t);
}
END_TEST

/* ---- the run lock ---- */

static int
lock_in_child(const char *state)
{
	struct store	*s;
	struct cd_err	 err;
	pid_t		 pid;
	int		 status;

	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		if ((s = store_open(state, false, &err)) == NULL)
			_exit(10);
		if (store_lock(s, false, &err) == 0)
			_exit(0);
		_exit(err.kind == CD_ETEMP &&
		    strstr(err.msg, "locked by another certd run") != NULL ?
		    1 : 11);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(run_lock)
{
	struct tdir	 t;
	struct store	*s;
	struct cd_err	 err;

	tdir_make(&t);
	ck_assert_ptr_nonnull(s = store_open(t.state, true, &err));
	ck_assert_int_eq(lock_in_child(t.state), 0);	/* free */
	ck_assert_int_eq(store_lock(s, false, &err), 0);
	ck_assert_int_eq(lock_in_child(t.state), 1);	/* CD_ETEMP */
	ck_assert_int_eq(store_lock(s, true, &err), 0);	/* ours already */
	store_close(s);
	ck_assert_int_eq(lock_in_child(t.state), 0);	/* released */
	ck_assert(!exists(t.state, "lock"));		/* no lock file */
	tdir_remove(&t);
}
END_TEST

Suite *
store_suite(void)
{
	Suite	*s = suite_create("store");
	TCase	*kv = tcase_create("kv");
	TCase	*st = tcase_create("state");

	tcase_add_loop_test(kv, kv_parse_table, 0,
	    sizeof(kv_cases) / sizeof(kv_cases[0]));
	tcase_add_test(kv, kv_values);
	tcase_add_loop_test(kv, kv_limit, 0,
	    sizeof(kv_limits) / sizeof(kv_limits[0]));
	tcase_add_test(kv, kv_key_length);
	tcase_add_test(kv, kv_round_trip);
	suite_add_tcase(s, kv);

	tcase_add_loop_test(st, account_id, 0,
	    sizeof(id_cases) / sizeof(id_cases[0]));
	tcase_add_test(st, account_save_load);
	tcase_add_test(st, commit_twice);
	tcase_add_test(st, commit_prune);
	tcase_add_test(st, list_and_read_missing);
	tcase_add_test(st, read_only_creates_nothing);
	tcase_add_loop_test(st, commit_failure_leaves_no_trace, 0,
	    sizeof(inj_cases) / sizeof(inj_cases[0]));
	tcase_add_test(st, run_lock);
	suite_add_tcase(s, st);
	return s;
}
