/*
 * store.c - the state directory (see store.h): key=value files, ACME
 * accounts, and certificate versions switched by one symlink. Every path
 * is opened relative to the directory fd kept by store_open(); names that
 * reach a path pass util_is_safe_component(). Files read back are bounded
 * and parsed strictly: a damaged state dir is an error, never guessed at.
 */
#include "store.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "file.h"
#include "keys.h"
#include "log.h"
#include "util.h"

#define KV_KEY_MAX	64	/* bytes */
#define KV_VAL_MAX	4096	/* bytes */
#define URL_MAX		2048	/* bytes of a directory URL */
#define ID_HOST_MAX	64	/* bytes of the host part of an account id */
#define ID_HASH_HEX	12	/* hex digits of SHA-256(URL) in an id */
#define VERSION_DIGITS_MAX 9	/* "v" + up to 9 digits: fits unsigned long */
#define VERSION_NAME_MAX 16	/* bytes, "v999999999" + NUL fits */

struct store {
	char	*dir;
	int	 fd;		/* O_DIRECTORY; carries the flock */
};

static const char *const cert_files[] = {
	"cert.pem", "chain.pem", "fullchain.pem", "privkey.pem", "meta",
};

static bool
kv_key_ok(const char *k, size_t len)
{
	size_t	 i;

	if (len == 0 || len > KV_KEY_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= '0' && k[i] <= '9') ||
		    k[i] == '_' || k[i] == '.' || k[i] == '-'))
			return false;
	return true;
}

/* Printable: no C0 control byte (so no NUL, CR, LF, TAB) and no DEL.
 * Bytes >= 0x80 pass so that UTF-8 text (an issuer name) can be kept. */
static bool
kv_val_ok(const char *v, size_t len)
{
	size_t	 i;

	if (len > KV_VAL_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return false;
	return true;
}

static int
kv_add_n(struct store_kv *kv, const char *k, size_t klen, const char *v,
    size_t vlen, struct cd_err *err)
{
	char	**nk, **nv, *ks = NULL, *vs = NULL;

	if (kv->n >= STORE_KV_LINES_MAX)
		return cd_err_set(err, CD_EPROTO, "kv: more than %d entries",
		    STORE_KV_LINES_MAX);
	if ((nk = reallocarray(kv->key, kv->n + 1, sizeof(*nk))) == NULL)
		goto nomem;
	kv->key = nk;
	if ((nv = reallocarray(kv->val, kv->n + 1, sizeof(*nv))) == NULL)
		goto nomem;
	kv->val = nv;
	if ((ks = strndup(k, klen)) == NULL || (vs = strndup(v, vlen)) == NULL)
		goto nomem;
	kv->key[kv->n] = ks;
	kv->val[kv->n] = vs;
	kv->n++;
	return 0;
nomem:
	free(ks);
	return cd_err_set(err, CD_ENOMEM, "kv: out of memory");
}

static int
kv_parse(const char *s, size_t len, struct store_kv *out, const char *what,
    struct cd_err *err)
{
	struct store_kv	 kv = { 0, NULL, NULL };
	const char	*p = s, *end = s + len, *nl, *le, *eq, *c;
	size_t		 line = 0;

	if (len > STORE_KV_MAX)
		return cd_err_set(err, CD_EPROTO, "%s: larger than %d bytes",
		    what, STORE_KV_MAX);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		le = nl != NULL ? nl : end;
		if (++line > STORE_KV_LINES_MAX) {
			cd_err_set(err, CD_EPROTO, "%s: more than %d lines",
			    what, STORE_KV_LINES_MAX);
			goto fail;
		}
		for (c = p; c < le; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f) {
				cd_err_set(err, CD_EPROTO, "%s: line %zu: "
				    "control byte 0x%02x", what, line,
				    (unsigned char)*c);
				goto fail;
			}
		if (le != p && *p != '#') {
			eq = memchr(p, '=', (size_t)(le - p));
			if (eq == NULL || !kv_key_ok(p, (size_t)(eq - p))) {
				cd_err_set(err, CD_EPROTO, "%s: line %zu: not "
				    "key=value", what, line);
				goto fail;
			}
			if (!kv_val_ok(eq + 1, (size_t)(le - eq - 1))) {
				cd_err_set(err, CD_EPROTO, "%s: line %zu: "
				    "value too long", what, line);
				goto fail;
			}
			if (kv_add_n(&kv, p, (size_t)(eq - p), eq + 1,
			    (size_t)(le - eq - 1), err) == -1)
				goto fail;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	*out = kv;
	return 0;
fail:
	store_kv_clear(&kv);
	return -1;
}

int
store_kv_parse(const char *s, size_t len, struct store_kv *kv,
    struct cd_err *err)
{
	return kv_parse(s, len, kv, "kv", err);
}

int
store_kv_format(const struct store_kv *kv, char **out, size_t *outlen,
    struct cd_err *err)
{
	size_t	 i, total = 0, kl, vl;
	char	*buf, *p;

	if (kv->n > STORE_KV_LINES_MAX)
		return cd_err_set(err, CD_EPROTO, "kv: more than %d entries",
		    STORE_KV_LINES_MAX);
	for (i = 0; i < kv->n; i++) {
		kl = strlen(kv->key[i]);
		vl = strlen(kv->val[i]);
		if (!kv_key_ok(kv->key[i], kl) || !kv_val_ok(kv->val[i], vl))
			return cd_err_set(err, CD_EPROTO, "kv: entry %zu: "
			    "bad key or value", i);
		total += kl + vl + 2;	/* bounded: 1000 * 4162 */
	}
	if (total > STORE_KV_MAX)
		return cd_err_set(err, CD_EPROTO, "kv: larger than %d bytes",
		    STORE_KV_MAX);
	if ((buf = malloc(total + 1)) == NULL)
		return cd_err_set(err, CD_ENOMEM, "kv: out of memory");
	p = buf;
	for (i = 0; i < kv->n; i++) {
		kl = strlen(kv->key[i]);
		vl = strlen(kv->val[i]);
		memcpy(p, kv->key[i], kl);
		p += kl;
		*p++ = '=';
		memcpy(p, kv->val[i], vl);
		p += vl;
		*p++ = '\n';
	}
	*p = '\0';
	*out = buf;
	*outlen = total;
	return 0;
}

int
store_kv_add(struct store_kv *kv, const char *key, const char *val,
    struct cd_err *err)
{
	size_t	 kl, vl;

	if (key == NULL || val == NULL)
		return cd_err_set(err, CD_ECONFIG, "kv: NULL key or value");
	kl = strlen(key);
	vl = strlen(val);
	if (!kv_key_ok(key, kl))
		return cd_err_set(err, CD_ECONFIG, "kv: bad key");
	if (!kv_val_ok(val, vl))
		return cd_err_set(err, CD_ECONFIG, "kv: %s: bad value", key);
	return kv_add_n(kv, key, kl, val, vl, err);
}

const char *
store_kv_get(const struct store_kv *kv, const char *key)
{
	size_t	 i;

	for (i = 0; i < kv->n; i++)
		if (strcmp(kv->key[i], key) == 0)
			return kv->val[i];
	return NULL;
}

size_t
store_kv_getall(const struct store_kv *kv, const char *key,
    const char **out, size_t max)
{
	size_t	 i, n = 0;

	for (i = 0; i < kv->n && n < max; i++)
		if (strcmp(kv->key[i], key) == 0)
			out[n++] = kv->val[i];
	return n;
}

void
store_kv_clear(struct store_kv *kv)
{
	size_t	 i;

	if (kv == NULL)
		return;
	for (i = 0; i < kv->n; i++) {
		free(kv->key[i]);
		free(kv->val[i]);
	}
	free(kv->key);
	free(kv->val);
	kv->key = NULL;
	kv->val = NULL;
	kv->n = 0;
}

struct store *
store_open(const char *dir, bool create, struct cd_err *err)
{
	struct store	*s;
	int		 fd;

	if (dir == NULL || *dir == '\0' || strlen(dir) >= PATH_MAX) {
		cd_err_set(err, CD_ECONFIG, "state dir: bad path");
		return NULL;
	}
	if (create && file_mkdirs(dir, 0700, err) == -1)
		return NULL;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			cd_err_set(err, CD_ENOTFOUND,
			    "state dir %s: does not exist", dir);
		else
			cd_err_sys(err, "state dir %s", dir);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->dir = strdup(dir)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "state dir %s: out of memory", dir);
		free(s);
		(void)close(fd);
		return NULL;
	}
	s->fd = fd;
	return s;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	(void)close(s->fd);	/* releases the flock */
	free(s->dir);
	free(s);
}

const char *
store_dir(const struct store *s)
{
	return s->dir;
}

int
store_lock(struct store *s, bool wait, struct cd_err *err)
{
	int	 op = LOCK_EX | (wait ? 0 : LOCK_NB);

	while (flock(s->fd, op) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return cd_err_set(err, CD_ETEMP,
			    "state dir %s: locked by another certd run",
			    s->dir);
		return cd_err_sys(err, "state dir %s: lock", s->dir);
	}
	return 0;
}

int
store_account_id(const char *url, char *out, size_t outlen,
    struct cd_err *err)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	char		 host[ID_HOST_MAX + 1], hex[2 * EVP_MAX_MD_SIZE + 1];
	const char	*h, *hend, *p;
	size_t		 ulen, o = 0;
	unsigned int	 mdlen = 0;
	char		 c;

	if (url == NULL || (ulen = strlen(url)) == 0 || ulen > URL_MAX)
		return cd_err_set(err, CD_ECONFIG,
		    "directory URL: empty or longer than %d bytes", URL_MAX);
	if (strncasecmp(url, "https://", 8) == 0)
		h = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		h = url + 7;
	else
		return cd_err_set(err, CD_ECONFIG,
		    "directory URL: not an http(s) URL");
	hend = h + strcspn(h, "/?#");
	for (p = h; p < hend; p++)	/* drop any userinfo */
		if (*p == '@')
			h = p + 1;
	for (p = h; p < hend && o < ID_HOST_MAX; p++) {
		c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c == ':')
			c = '_';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-')
			host[o++] = c;
	}
	host[o] = '\0';
	if (!util_is_safe_component(host))
		return cd_err_set(err, CD_ECONFIG,
		    "directory URL: no usable host name");
	ERR_clear_error();
	if (EVP_Digest(url, ulen, md, &mdlen, EVP_sha256(), NULL) != 1)
		return cd_err_crypto(err, "directory URL: SHA-256");
	util_hex(md, mdlen, hex, false);
	hex[ID_HASH_HEX] = '\0';
	if (snprintf(out, outlen, "%s-%s", host, hex) >= (int)outlen)
		return cd_err_set(err, CD_ECONFIG,
		    "directory URL: account id buffer too small");
	return 0;
}

int
store_account_load(struct store *s, const char *url, struct store_kv *kv,
    char **key, size_t *keylen, struct cd_err *err)
{
	struct store_kv	 tmp = { 0, NULL, NULL };
	struct stat	 st;
	char		 id[128], dir[160], conf[192], kpath[192];
	char		*data = NULL, *k = NULL;
	size_t		 len = 0, klen = 0;
	int		 rc = -1;

	if (store_account_id(url, id, sizeof(id), err) == -1)
		return -1;
	(void)snprintf(dir, sizeof(dir), "accounts/%s", id);
	(void)snprintf(conf, sizeof(conf), "%s/account.conf", dir);
	(void)snprintf(kpath, sizeof(kpath), "%s/account.key", dir);
	if (fstatat(s->fd, dir, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return cd_err_set(err, CD_ENOTFOUND,
			    "%s/%s: no account for this directory URL",
			    s->dir, dir);
		return cd_err_sys(err, "%s/%s", s->dir, dir);
	}
	if (!S_ISDIR(st.st_mode))
		return cd_err_set(err, CD_EPROTO, "%s/%s: not a directory",
		    s->dir, dir);
	if (file_read(s->fd, conf, STORE_KV_MAX, &data, &len, err) == -1 ||
	    kv_parse(data, len, &tmp, conf, err) == -1 ||
	    file_read_private(s->fd, kpath, KEYS_PEM_MAX, &k, &klen,
	    err) == -1)
		goto out;
	*kv = tmp;
	tmp.n = 0;
	tmp.key = tmp.val = NULL;
	*key = k;
	*keylen = klen;
	k = NULL;
	rc = 0;
out:
	free(data);
	keys_pem_free(k, klen);
	store_kv_clear(&tmp);
	return rc;
}

/* mkdirat that reports whether it made the directory. */
static int
mkdir_at(int dfd, const char *name, mode_t mode, bool *made,
    const char *what, struct cd_err *err)
{
	*made = false;
	if (mkdirat(dfd, name, mode) == 0) {
		*made = true;
		if (fsync(dfd) == -1)
			return cd_err_sys(err, "%s: fsync", what);
		return 0;
	}
	if (errno != EEXIST)
		return cd_err_sys(err, "%s: mkdir", what);
	return 0;
}

static int
open_dir_at(int dfd, const char *name, const char *what, struct cd_err *err)
{
	int	 fd;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return cd_err_sys(err, "%s: open", what);
	return fd;
}

/* A new account directory is built aside and appears by one rename. */
static int
account_new(int afd, const char *id, const char *conf, size_t clen,
    const char *key, size_t keylen, struct cd_err *err)
{
	char	 tmp[NAME_MAX + 1];
	int	 tfd = -1, rc = -1;
	bool	 made = false;

	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", id);	/* id < 128 */
	if (file_remove_tree(afd, tmp, err) == -1 ||	/* crash debris */
	    mkdir_at(afd, tmp, 0700, &made, tmp, err) == -1 ||
	    (tfd = open_dir_at(afd, tmp, tmp, err)) == -1)
		goto out;
	if (file_create(tfd, "account.key", key, keylen, 0600, err) == -1 ||
	    file_create(tfd, "account.conf", conf, clen, 0600, err) == -1)
		goto out;
	if (renameat(afd, tmp, afd, id) == -1) {
		cd_err_sys(err, "accounts/%s: rename", id);
		goto out;
	}
	made = false;
	if (fsync(afd) == -1) {
		cd_err_sys(err, "accounts: fsync");
		goto out;
	}
	rc = 0;
out:
	if (tfd != -1)
		(void)close(tfd);
	if (made)
		(void)file_remove_tree(afd, tmp, NULL);
	return rc;
}

int
store_account_save(struct store *s, const char *url,
    const struct store_kv *kv, const char *key, size_t keylen,
    struct cd_err *err)
{
	struct stat	 st;
	char		 id[128], *conf = NULL;
	size_t		 clen = 0;
	int		 afd = -1, ifd = -1, rc = -1;
	bool		 made = false;

	if (store_account_id(url, id, sizeof(id), err) == -1 ||
	    store_kv_format(kv, &conf, &clen, err) == -1)
		return -1;
	if (key != NULL && (keylen == 0 || keylen > KEYS_PEM_MAX)) {
		cd_err_set(err, CD_ECONFIG, "accounts/%s: key of %zu bytes",
		    id, keylen);
		goto out;
	}
	/* accounts/ is made only when a new account is written */
	afd = openat(s->fd, "accounts", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (afd == -1 && errno != ENOENT) {
		cd_err_sys(err, "%s/accounts: open", s->dir);
		goto out;
	}
	if (afd != -1 && fstatat(afd, id, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* existing account: conf (and on key rollover the key) */
		if (!S_ISDIR(st.st_mode)) {
			cd_err_set(err, CD_EPROTO, "%s/accounts/%s: not a "
			    "directory", s->dir, id);
			goto out;
		}
		if ((ifd = open_dir_at(afd, id, id, err)) == -1 ||
		    (key != NULL && file_replace(ifd, "account.key", key,
		    keylen, 0600, err) == -1) ||
		    file_replace(ifd, "account.conf", conf, clen, 0600,
		    err) == -1)
			goto out;
		rc = 0;
		goto out;
	}
	if (key == NULL) {
		cd_err_set(err, CD_ECONFIG, "accounts/%s: a new account needs "
		    "a key", id);
		goto out;
	}
	if (afd == -1 && (mkdir_at(s->fd, "accounts", 0700, &made,
	    "accounts", err) == -1 ||
	    (afd = open_dir_at(s->fd, "accounts", "accounts", err)) == -1))
		goto out;
	if (account_new(afd, id, conf, clen, key, keylen, err) == -1)
		goto out;
	rc = 0;
out:
	if (ifd != -1)
		(void)close(ifd);
	if (afd != -1)
		(void)close(afd);
	if (rc == -1 && made)
		(void)unlinkat(s->fd, "accounts", AT_REMOVEDIR);
	free(conf);
	return rc;
}

/* ^v[0-9]{4,}$ (at most VERSION_DIGITS_MAX digits); its number. */
static bool
is_version(const char *s, unsigned long *num)
{
	unsigned long long	 v;
	size_t			 len = strlen(s), i;

	if (len < 5 || len > 1 + VERSION_DIGITS_MAX || s[0] != 'v')
		return false;
	for (i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	if (util_parse_uint(s + 1, 0, 999999999ULL, &v) == -1)
		return false;
	if (num != NULL)
		*num = (unsigned long)v;
	return true;
}

/*
 * Target of certs/<name>/current relative to dfd (path is "<name>/current"
 * or "current"); -1 with errno ENOENT if there is none, EINVAL if it is
 * not a symlink to a version directory.
 */
static int
current_at(int dfd, const char *path, char *out, size_t outlen)
{
	struct stat	 st;
	ssize_t		 n;

	if ((n = readlinkat(dfd, path, out, outlen)) == -1)
		return -1;
	if ((size_t)n >= outlen) {
		errno = EINVAL;
		return -1;
	}
	out[n] = '\0';
	if (!is_version(out, NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (fstatat(dfd, path, &st, 0) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Version numbers in dfd, unsorted; *v is malloc'd (NULL when none). */
static int
list_versions(int dfd, unsigned long **v, size_t *n, struct cd_err *err)
{
	DIR		*d;
	struct dirent	*de;
	unsigned long	*a = NULL, *na, num;
	size_t		 cnt = 0;
	int		 fd, rc = -1;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return cd_err_sys(err, "certificate directory: open");
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return cd_err_sys(err, "certificate directory: opendir");
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!is_version(de->d_name, &num))
			continue;
		if ((na = reallocarray(a, cnt + 1, sizeof(*a))) == NULL) {
			cd_err_set(err, CD_ENOMEM, "versions: out of memory");
			goto out;
		}
		a = na;
		a[cnt++] = num;
		errno = 0;
	}
	if (errno != 0) {
		cd_err_sys(err, "certificate directory: readdir");
		goto out;
	}
	*v = a;
	*n = cnt;
	a = NULL;
	rc = 0;
out:
	free(a);
	(void)closedir(d);
	return rc;
}

/* Removes ".*.tmp" entries left by a crash in the middle of a commit. */
static int
remove_stale(int dfd, struct cd_err *err)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 len;
	int		 fd, rc = 0;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return cd_err_sys(err, "certificate directory: open");
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return cd_err_sys(err, "certificate directory: opendir");
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' && len > 5 &&
		    strcmp(de->d_name + len - 4, ".tmp") == 0)
			rc = file_remove_tree(dfd, de->d_name, err);
	}
	(void)closedir(d);
	return rc;
}

static int
cmp_desc(const void *a, const void *b)
{
	unsigned long	 x = *(const unsigned long *)a;
	unsigned long	 y = *(const unsigned long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Keeps `current` and the STORE_VERSIONS_KEEP newest other versions. */
static void
prune(int nfd, const char *name, unsigned long cur)
{
	struct cd_err	 err;
	unsigned long	*v = NULL;
	size_t		 n = 0, i, kept = 0;
	char		 vname[VERSION_NAME_MAX];

	if (list_versions(nfd, &v, &n, &err) == -1) {
		log_warnx("%s: prune: %s", name, err.msg);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_desc);
	for (i = 0; i < n; i++) {
		if (v[i] == cur || kept++ < STORE_VERSIONS_KEEP)
			continue;
		(void)snprintf(vname, sizeof(vname), "v%04lu", v[i]);
		if (file_remove_tree(nfd, vname, &err) == -1)
			log_warnx("%s: prune %s: %s", name, vname, err.msg);
	}
	free(v);
}

static int
write_version(int tfd, const struct store_files *f, const char *meta,
    size_t metalen, struct cd_err *err)
{
	if (file_create(tfd, "cert.pem", f->cert, f->certlen, 0644,
	    err) == -1 ||
	    file_create(tfd, "chain.pem", f->chain, f->chainlen, 0644,
	    err) == -1 ||
	    file_create(tfd, "fullchain.pem", f->fullchain, f->fulllen, 0644,
	    err) == -1 ||
	    file_create(tfd, "privkey.pem", f->privkey, f->keylen, 0600,
	    err) == -1 ||
	    file_create(tfd, "meta", meta, metalen, 0644, err) == -1)
		return -1;
	return 0;
}

int
store_cert_commit(struct store *s, const char *name,
    const struct store_files *f, struct cd_err *err)
{
	static const struct store_kv	 nometa = { 0, NULL, NULL };
	unsigned long	*v = NULL, next = 1;
	char		 vname[VERSION_NAME_MAX], tmp[VERSION_NAME_MAX + 8];
	char		 safe[4 * LOG_SAFE_MAX], *meta = NULL;
	size_t		 metalen = 0, n = 0, i;
	int		 cfd = -1, nfd = -1, tfd = -1, rc = -1;
	bool		 made_certs = false, made_name = false;
	bool		 made_tmp = false, made_version = false;

	if (name == NULL || !util_is_safe_component(name))
		return cd_err_set(err, CD_ECONFIG, "certificate name \"%s\": "
		    "not a safe file name", name == NULL ? "" :
		    log_safe(safe, sizeof(safe), name, strlen(name)));
	if (f == NULL || f->cert == NULL || f->chain == NULL ||
	    f->fullchain == NULL || f->privkey == NULL)
		return cd_err_set(err, CD_ECONFIG, "%s: missing files", name);
	if (store_kv_format(f->meta != NULL ? f->meta : &nometa, &meta,
	    &metalen, err) == -1)
		return -1;

	if (mkdir_at(s->fd, "certs", 0755, &made_certs, "certs", err) == -1 ||
	    (cfd = open_dir_at(s->fd, "certs", "certs", err)) == -1 ||
	    mkdir_at(cfd, name, 0755, &made_name, name, err) == -1 ||
	    (nfd = open_dir_at(cfd, name, name, err)) == -1 ||
	    remove_stale(nfd, err) == -1 ||
	    list_versions(nfd, &v, &n, err) == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (v[i] >= next)
			next = v[i] + 1;
	if (next > 999999999UL) {
		cd_err_set(err, CD_EPROTO, "certs/%s: out of version numbers",
		    name);
		goto out;
	}
	(void)snprintf(vname, sizeof(vname), "v%04lu", next);
	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", vname);

	/* build the version aside: it is complete before it has its name */
	if (mkdir_at(nfd, tmp, 0755, &made_tmp, tmp, err) == -1 ||
	    (tfd = open_dir_at(nfd, tmp, tmp, err)) == -1 ||
	    write_version(tfd, f, meta, metalen, err) == -1)
		goto out;
	if (renameat(nfd, tmp, nfd, vname) == -1) {
		cd_err_sys(err, "certs/%s/%s: rename", name, vname);
		goto out;
	}
	made_tmp = false;
	made_version = true;
	if (fsync(nfd) == -1) {
		cd_err_sys(err, "certs/%s: fsync", name);
		goto out;
	}

	/* the switch: one rename(2) of a symlink over `current` */
	(void)unlinkat(nfd, ".current.tmp", 0);
	if (symlinkat(vname, nfd, ".current.tmp") == -1) {
		cd_err_sys(err, "certs/%s/.current.tmp: symlink", name);
		goto out;
	}
	if (renameat(nfd, ".current.tmp", nfd, "current") == -1) {
		cd_err_sys(err, "certs/%s/current: rename", name);
		(void)unlinkat(nfd, ".current.tmp", 0);
		goto out;
	}
	made_version = made_name = made_certs = false;	/* committed */
	if (fsync(nfd) == -1) {
		/* XXX visible but maybe not durable: nothing to undo safely */
		cd_err_sys(err, "certs/%s: switched to %s but fsync", name,
		    vname);
		goto out;
	}
	prune(nfd, name, next);
	rc = 0;
out:
	if (tfd != -1)
		(void)close(tfd);
	if (made_tmp)
		(void)file_remove_tree(nfd, tmp, NULL);
	if (made_version)
		(void)file_remove_tree(nfd, vname, NULL);
	if (nfd != -1)
		(void)close(nfd);
	if (made_name && unlinkat(cfd, name, AT_REMOVEDIR) == 0)
		(void)fsync(cfd);
	if (cfd != -1)
		(void)close(cfd);
	if (made_certs && unlinkat(s->fd, "certs", AT_REMOVEDIR) == 0)
		(void)fsync(s->fd);
	free(v);
	free(meta);
	return rc;
}

int
store_cert_list(struct store *s, char ***out, size_t *nout,
    struct cd_err *err)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		**names = NULL, **nn, path[NAME_MAX + 16];
	char		 target[VERSION_NAME_MAX];
	size_t		 n = 0;
	int		 cfd, rc = -1;

	cfd = openat(s->fd, "certs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (cfd == -1) {
		if (errno != ENOENT)
			return cd_err_sys(err, "%s/certs: open", s->dir);
		*out = NULL;
		*nout = 0;
		return 0;
	}
	if ((d = fdopendir(cfd)) == NULL) {
		(void)close(cfd);
		return cd_err_sys(err, "%s/certs: opendir", s->dir);
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!util_is_safe_component(de->d_name))
			continue;	/* ".", "..", ".tmp" debris, junk */
		if (fstatat(cfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISDIR(st.st_mode)) {
			errno = 0;
			continue;
		}
		(void)snprintf(path, sizeof(path), "%s/current", de->d_name);
		if (current_at(cfd, path, target, sizeof(target)) == -1) {
			errno = 0;
			continue;
		}
		if ((nn = reallocarray(names, n + 1, sizeof(*nn))) == NULL) {
			cd_err_set(err, CD_ENOMEM, "certs: out of memory");
			goto out;
		}
		names = nn;
		if ((names[n] = strdup(de->d_name)) == NULL) {
			cd_err_set(err, CD_ENOMEM, "certs: out of memory");
			goto out;
		}
		n++;
		errno = 0;
	}
	if (errno != 0) {
		cd_err_sys(err, "%s/certs: readdir", s->dir);
		goto out;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), util_strcmp_ptr);
	*out = names;
	*nout = n;
	names = NULL;
	n = 0;
	rc = 0;
out:
	store_names_free(names, n);
	(void)closedir(d);
	return rc;
}

void
store_names_free(char **names, size_t n)
{
	size_t	 i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
store_cert_current(struct store *s, const char *name, char *out,
    size_t outlen, struct cd_err *err)
{
	char	 path[NAME_MAX + 32], target[VERSION_NAME_MAX];
	char	 safe[4 * LOG_SAFE_MAX];

	if (name == NULL || !util_is_safe_component(name))
		return cd_err_set(err, CD_ECONFIG, "certificate name \"%s\": "
		    "not a safe file name", name == NULL ? "" :
		    log_safe(safe, sizeof(safe), name, strlen(name)));
	(void)snprintf(path, sizeof(path), "certs/%s/current", name);
	if (current_at(s->fd, path, target, sizeof(target)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return cd_err_set(err, CD_ENOTFOUND,
			    "%s: no such certificate", name);
		if (errno == EINVAL)
			return cd_err_set(err, CD_EPROTO, "%s/%s: not a "
			    "link to a version directory", s->dir, path);
		return cd_err_sys(err, "%s/%s", s->dir, path);
	}
	if (snprintf(out, outlen, "%s", target) >= (int)outlen)
		return cd_err_set(err, CD_ECONFIG, "%s: buffer too small",
		    name);
	return 0;
}

int
store_cert_read(struct store *s, const char *name, const char *file,
    size_t max, char **out, size_t *len, struct cd_err *err)
{
	char	 path[NAME_MAX + 64], v[VERSION_NAME_MAX];
	char	 safe[4 * LOG_SAFE_MAX];
	size_t	 i;

	for (i = 0; i < sizeof(cert_files) / sizeof(cert_files[0]); i++)
		if (file != NULL && strcmp(file, cert_files[i]) == 0)
			break;
	if (i == sizeof(cert_files) / sizeof(cert_files[0]))
		return cd_err_set(err, CD_ECONFIG, "\"%s\": not a certificate "
		    "file", file == NULL ? "" :
		    log_safe(safe, sizeof(safe), file, strlen(file)));
	/* existence first, so that a missing certificate is CD_ENOTFOUND */
	if (store_cert_current(s, name, v, sizeof(v), err) == -1)
		return -1;
	(void)snprintf(path, sizeof(path), "certs/%s/current/%s", name,
	    cert_files[i]);
	return file_read(s->fd, path, max, out, len, err);
}
