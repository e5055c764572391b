/*
 * renewstate.c - the per-certificate renewal state file (see
 * renewstate.h). The file lives in our own state directory, but is still
 * parsed strictly and bounded: a damaged file is an error the caller can
 * survive (it starts over), never a crash. Also reads the leaf facts
 * certd recorded in a version's meta, as strictly.
 */
#include "renewstate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "keys.h"
#include "log.h"
#include "util.h"

#define TIME_KEYS	5

static const struct {
	const char	*key;
	size_t		 off;
} time_keys[TIME_KEYS] = {
	{ "ari_next", offsetof(struct renewstate, ari_next) },
	{ "ari_start", offsetof(struct renewstate, ari_start) },
	{ "ari_end", offsetof(struct renewstate, ari_end) },
	{ "ari_chosen", offsetof(struct renewstate, ari_chosen) },
	{ "next_retry", offsetof(struct renewstate, next_retry) },
};

static time_t *
time_field(struct renewstate *rs, size_t i)
{
	return (time_t *)(void *)((char *)rs + time_keys[i].off);
}

static time_t
time_value(const struct renewstate *rs, size_t i)
{
	return *(const time_t *)(const void *)((const char *)rs +
	    time_keys[i].off);
}

void
renewstate_init(struct renewstate *rs, const char *sha256)
{
	memset(rs, 0, sizeof(*rs));
	if (sha256 != NULL)
		(void)snprintf(rs->cert, sizeof(rs->cert), "%s", sha256);
}

static bool
is_hex64(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

int
renewstate_parse(const char *text, size_t len, struct renewstate *rs,
    struct cd_err *err)
{
	struct store_kv		 kv;
	unsigned long long	 v;
	const char		*s;
	size_t			 i;
	int			 rc = -1;

	renewstate_init(rs, NULL);
	memset(&kv, 0, sizeof(kv));
	if (store_kv_parse(text, len, &kv, err) == -1)
		return -1;
	if ((s = store_kv_get(&kv, "cert")) != NULL) {
		if (!is_hex64(s)) {
			cd_err_set(err, CD_EPROTO, "renewal: bad cert");
			goto out;
		}
		(void)snprintf(rs->cert, sizeof(rs->cert), "%s", s);
	}
	if ((s = store_kv_get(&kv, "ari")) != NULL) {
		if (strcmp(s, "yes") == 0)
			rs->ari = RENEWSTATE_ARI_YES;
		else if (strcmp(s, "no") == 0)
			rs->ari = RENEWSTATE_ARI_NO;
		else {
			cd_err_set(err, CD_EPROTO, "renewal: bad ari");
			goto out;
		}
	}
	for (i = 0; i < TIME_KEYS; i++) {
		if ((s = store_kv_get(&kv, time_keys[i].key)) == NULL)
			continue;
		if (util_parse_uint(s, 0, INT64_MAX / 2, &v) == -1) {
			cd_err_set(err, CD_EPROTO, "renewal: bad %s",
			    time_keys[i].key);
			goto out;
		}
		*time_field(rs, i) = (time_t)v;
	}
	if ((s = store_kv_get(&kv, "last_attempt")) != NULL) {
		if (util_parse_uint(s, 0, INT64_MAX / 2, &v) == -1) {
			cd_err_set(err, CD_EPROTO, "renewal: bad last_attempt");
			goto out;
		}
		rs->last_attempt = (time_t)v;
	}
	if ((s = store_kv_get(&kv, "install_pending")) != NULL) {
		if (strcmp(s, "yes") != 0) {
			cd_err_set(err, CD_EPROTO, "renewal: bad install_pending");
			goto out;
		}
		rs->install_pending = true;
	}
	if ((s = store_kv_get(&kv, "revocation_pointers")) != NULL) {
		if (strcmp(s, "yes") == 0)
			rs->revptrs = RENEWSTATE_REV_YES;
		else if (strcmp(s, "no") == 0)
			rs->revptrs = RENEWSTATE_REV_NO;
		else {
			cd_err_set(err, CD_EPROTO, "renewal: bad "
			    "revocation_pointers");
			goto out;
		}
	}
	if ((s = store_kv_get(&kv, "failures")) != NULL) {
		if (util_parse_uint(s, 0, RENEWSTATE_FAILURES_MAX, &v) == -1) {
			cd_err_set(err, CD_EPROTO, "renewal: bad failures");
			goto out;
		}
		rs->failures = (unsigned)v;
	}
	/* kv values are printable already: kept as written, bounded */
	if ((s = store_kv_get(&kv, "last_error")) != NULL)
		(void)snprintf(rs->last_error, sizeof(rs->last_error), "%.*s",
		    (int)sizeof(rs->last_error) - 1, s);
	if ((rs->ari_start != 0 || rs->ari_end != 0) &&
	    rs->ari_end <= rs->ari_start) {
		cd_err_set(err, CD_EPROTO, "renewal: bad ARI window");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		renewstate_init(rs, NULL);
	store_kv_clear(&kv);
	return rc;
}

int
renewstate_format(const struct renewstate *rs, char **out, size_t *len,
    struct cd_err *err)
{
	struct store_kv	 kv;
	char		 num[32];
	size_t		 i;
	int		 rc = -1;

	memset(&kv, 0, sizeof(kv));
	if (rs->cert[0] != '\0' &&
	    store_kv_add(&kv, "cert", rs->cert, err) == -1)
		goto out;
	if (rs->ari != RENEWSTATE_ARI_UNKNOWN && store_kv_add(&kv, "ari",
	    rs->ari == RENEWSTATE_ARI_YES ? "yes" : "no", err) == -1)
		goto out;
	for (i = 0; i < TIME_KEYS; i++) {
		if (time_value(rs, i) <= 0)
			continue;
		(void)snprintf(num, sizeof(num), "%lld",
		    (long long)time_value(rs, i));
		if (store_kv_add(&kv, time_keys[i].key, num, err) == -1)
			goto out;
	}
	(void)snprintf(num, sizeof(num), "%u", rs->failures);
	if (store_kv_add(&kv, "failures", num, err) == -1)
		goto out;
	if (rs->last_attempt > 0) {
		(void)snprintf(num, sizeof(num), "%lld",
		    (long long)rs->last_attempt);
		if (store_kv_add(&kv, "last_attempt", num, err) == -1)
			goto out;
	}
	if (rs->last_error[0] != '\0' &&
	    store_kv_add(&kv, "last_error", rs->last_error, err) == -1)
		goto out;
	if (rs->install_pending &&
	    store_kv_add(&kv, "install_pending", "yes", err) == -1)
		goto out;
	if (rs->revptrs != RENEWSTATE_REV_UNKNOWN &&
	    store_kv_add(&kv, "revocation_pointers",
	    rs->revptrs == RENEWSTATE_REV_YES ? "yes" : "no", err) == -1)
		goto out;
	rc = store_kv_format(&kv, out, len, err);
out:
	store_kv_clear(&kv);
	return rc;
}

bool
renewstate_equal(const struct renewstate *a, const struct renewstate *b)
{
	size_t	 i;

	if (strcmp(a->cert, b->cert) != 0 || a->ari != b->ari ||
	    a->failures != b->failures ||
	    a->install_pending != b->install_pending ||
	    a->revptrs != b->revptrs ||
	    a->last_attempt != b->last_attempt ||
	    strcmp(a->last_error, b->last_error) != 0)
		return false;
	for (i = 0; i < TIME_KEYS; i++)
		if (time_value(a, i) != time_value(b, i))
			return false;
	return true;
}

/* "YYYY-MM-DDTHH:MM:SSZ" exactly as issue.c writes it (strftime). */
static int
meta_time(const char *s, time_t *out)
{
	static const char	 pat[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm		 tm, back;
	char			 buf[sizeof(pat)];
	int			 f[6], k;
	size_t			 i;
	time_t			 t;

	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != pat[i])
			return -1;
	}
	if (s[i] != '\0')
		return -1;
	/* fields at 0 (4 digits), 5, 8, 11, 14, 17 (2 digits each) */
	f[0] = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	for (k = 1; k < 6; k++)
		f[k] = (s[2 + 3 * k] - '0') * 10 + (s[3 + 3 * k] - '0');
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &back) == NULL)
		return -1;
	/* no normalising: 2025-02-30 or 24:00:00 do not round-trip */
	if (strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &back) !=
	    sizeof(buf) - 1 || strcmp(buf, s) != 0)
		return -1;
	*out = t;
	return 0;
}

int
renewstate_meta(const struct store_kv *kv, struct renewstate_meta *fm,
    struct cd_err *err)
{
	const char		*names[RENEWSTATE_NAMES_MAX + 1];
	const char		*s;
	enum keys_type		 kt;
	size_t			 i, n;

	memset(fm, 0, sizeof(*fm));
	if ((s = store_kv_get(kv, "sha256")) == NULL || !is_hex64(s))
		return cd_err_set(err, CD_EPROTO, "meta: no sha256");
	(void)snprintf(fm->sha256, sizeof(fm->sha256), "%s", s);
	if ((s = store_kv_get(kv, "not_before")) == NULL ||
	    meta_time(s, &fm->not_before) == -1)
		return cd_err_set(err, CD_EPROTO, "meta: no not_before");
	if ((s = store_kv_get(kv, "not_after")) == NULL ||
	    meta_time(s, &fm->not_after) == -1)
		return cd_err_set(err, CD_EPROTO, "meta: no not_after");
	if (fm->not_after <= fm->not_before)
		return cd_err_set(err, CD_EPROTO, "meta: empty validity");
	/* the canonical name only, as keys_type_name() wrote it */
	if ((s = store_kv_get(kv, "key_type")) == NULL ||
	    keys_type_parse(s, &kt) == -1 ||
	    strcmp(keys_type_name(kt), s) != 0 ||
	    strlen(s) >= sizeof(fm->key_type))
		return cd_err_set(err, CD_EPROTO, "meta: no key_type");
	(void)snprintf(fm->key_type, sizeof(fm->key_type), "%s", s);
	n = store_kv_getall(kv, "domain", names, RENEWSTATE_NAMES_MAX + 1);
	if (n == 0 || n > RENEWSTATE_NAMES_MAX)
		return cd_err_set(err, CD_EPROTO, "meta: %zu domain lines", n);
	for (i = 0; i < n; i++) {
		if (names[i][0] == '\0')
			return cd_err_set(err, CD_EPROTO, "meta: empty domain");
		fm->names[i] = names[i];
	}
	fm->nnames = n;
	return 0;
}

void
renewstate_set_error(struct renewstate *rs, const char *msg)
{
	char	 safe[4 * LOG_SAFE_MAX];

	(void)log_safe(safe, sizeof(safe), msg, strlen(msg));
	(void)snprintf(rs->last_error, sizeof(rs->last_error), "%s", safe);
}

/* certs/NAME as a directory fd; -1 with errno ENOENT when missing. */
static int
name_dir(struct store *st, const char *name, bool create,
    struct cd_err *err)
{
	char	 path[PATH_MAX];
	int	 fd;

	if (!util_is_safe_component(name))
		return cd_err_set(err, CD_ECONFIG, "\"%.64s\": not a safe "
		    "certificate name", name);
	if (snprintf(path, sizeof(path), "%s/certs/%s", store_dir(st),
	    name) >= (int)sizeof(path))
		return cd_err_set(err, CD_ECONFIG, "%s: path too long", name);
	if (create && file_mkdirs(path, 0755, err) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return cd_err_sys(err, "%s", path);
	return fd;
}

int
renewstate_load(struct store *st, const char *name, struct renewstate *rs,
    struct cd_err *err)
{
	char	*text = NULL;
	size_t	 len = 0;
	int	 fd, rc;

	renewstate_init(rs, NULL);
	if ((fd = name_dir(st, name, false, err)) == -1) {
		if (err != NULL && err->kind == CD_ESYS &&
		    err->sys_errno == ENOENT) {
			cd_err_clear(err);
			return 0;
		}
		return -1;
	}
	rc = file_read(fd, RENEWSTATE_FILE, STORE_KV_MAX, &text, &len, err);
	(void)close(fd);
	if (rc == -1) {
		if (err != NULL && err->kind == CD_ESYS &&
		    err->sys_errno == ENOENT) {
			cd_err_clear(err);
			return 0;
		}
		return -1;
	}
	rc = renewstate_parse(text, len, rs, err);
	if (rc == -1 && err != NULL) {
		char	 msg[CD_ERR_MSG];

		(void)snprintf(msg, sizeof(msg), "%s", err->msg);
		cd_err_set(err, CD_EPROTO, "certs/%s/%s: %s", name,
		    RENEWSTATE_FILE, msg);
	}
	free(text);
	return rc;
}

int
renewstate_save(struct store *st, const char *name,
    const struct renewstate *rs, struct cd_err *err)
{
	char	*text = NULL;
	size_t	 len = 0;
	int	 fd, rc;

	if (renewstate_format(rs, &text, &len, err) == -1)
		return -1;
	if ((fd = name_dir(st, name, true, err)) == -1) {
		free(text);
		return -1;
	}
	rc = file_replace(fd, RENEWSTATE_FILE, text, len, 0644, err);
	(void)close(fd);
	free(text);
	return rc;
}
