/*
 * file.c - atomic replace, exclusive create, bounded read, recursive
 * remove. Nothing here follows a symlink it did not expect.
 */
#include "file.h"

#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_new(int dfd, const char *name, const void *data, size_t len,
    mode_t mode, struct cd_err *err)
{
	int	 fd, cl;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, mode);
	if (fd == -1)
		return cd_err_sys(err, "%s: create", name);
	/* the umask may have narrowed mode; never widened past it */
	if (fchmod(fd, mode) == -1 || write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		cd_err_sys(err, "%s: write", name);
		(void)close(fd);
		(void)unlinkat(dfd, name, 0);
		return -1;
	}
	cl = close(fd);
	if (cl == -1) {
		cd_err_sys(err, "%s: close", name);
		(void)unlinkat(dfd, name, 0);
		return -1;
	}
	return 0;
}

int
file_replace(int dfd, const char *name, const void *data, size_t len,
    mode_t mode, struct cd_err *err)
{
	char	 tmp[NAME_MAX + 1];

	if (snprintf(tmp, sizeof(tmp), ".%s.new", name) >= (int)sizeof(tmp))
		return cd_err_set(err, CD_ECONFIG, "%s: name too long", name);
	(void)unlinkat(dfd, tmp, 0);		/* debris from a crash */
	if (write_new(dfd, tmp, data, len, mode, err) == -1)
		return -1;
	/* rename(2) is atomic only within a directory; fsync makes it last */
	if (renameat(dfd, tmp, dfd, name) == -1) {
		cd_err_sys(err, "%s: replace", name);
		(void)unlinkat(dfd, tmp, 0);
		return -1;
	}
	if (fsync(dfd) == -1)
		return cd_err_sys(err, "%s: fsync directory", name);
	return 0;
}

int
file_create(int dfd, const char *name, const void *data, size_t len,
    mode_t mode, struct cd_err *err)
{
	if (write_new(dfd, name, data, len, mode, err) == -1)
		return -1;
	if (fsync(dfd) == -1)
		return cd_err_sys(err, "%s: fsync directory", name);
	return 0;
}

/* Reads an opened file; private: refuse it (CD_ECONFIG) when group or
 * others may access it, judged on the very file that is read. */
static int
read_fd(int fd, const char *path, size_t max, bool private, char **out,
    size_t *len, struct cd_err *err)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 have = 0, cap;
	ssize_t		 n;
	int		 rc = -1;

	if (fstat(fd, &st) == -1) {
		cd_err_sys(err, "%s: stat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		cd_err_set(err, CD_EPROTO, "%s: not a regular file", path);
		goto out;
	}
	if (private && (st.st_mode & 077) != 0) {
		cd_err_set(err, CD_ECONFIG,
		    "%s: mode %04o: group or others may access it", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if ((size_t)st.st_size > max) {
		cd_err_set(err, CD_EPROTO, "%s: larger than %zu bytes", path,
		    max);
		goto out;
	}
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap + 1)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	/* read one byte more than stat said, to catch a growing file */
	while (have < cap) {
		n = read(fd, buf + have, cap - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			cd_err_sys(err, "%s: read", path);
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have > max || have == cap) {
		cd_err_set(err, CD_EPROTO, "%s: changed while read", path);
		goto out;
	}
	buf[have] = '\0';
	*out = buf;
	buf = NULL;
	if (len != NULL)
		*len = have;
	rc = 0;
out:
	free(buf);
	return rc;
}

static int
read_path(int dfd, const char *path, size_t max, bool private, char **out,
    size_t *len, struct cd_err *err)
{
	int	 fd, rc;

	if ((fd = openat(dfd, path, O_RDONLY | O_CLOEXEC)) == -1)
		return cd_err_sys(err, "%s", path);
	rc = read_fd(fd, path, max, private, out, len, err);
	(void)close(fd);
	return rc;
}

int
file_read(int dfd, const char *path, size_t max, char **out, size_t *len,
    struct cd_err *err)
{
	return read_path(dfd, path, max, false, out, len, err);
}

int
file_read_private(int dfd, const char *path, size_t max, char **out,
    size_t *len, struct cd_err *err)
{
	return read_path(dfd, path, max, true, out, len, err);
}

int
file_mkdirs(const char *path, mode_t mode, struct cd_err *err)
{
	char	 buf[PATH_MAX];
	char	*p;
	size_t	 len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return cd_err_set(err, CD_ECONFIG, "%s: bad path", path);
	memcpy(buf, path, len + 1);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char	 c = *p;

			*p = '\0';
			if (mkdir(buf, mode) == -1 && errno != EEXIST)
				return cd_err_sys(err, "%s: mkdir", buf);
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	return 0;
}

int
file_remove_tree(int dfd, const char *name, struct cd_err *err)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, rc = 0;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR || errno == ELOOP) {
			if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT)
				return cd_err_sys(err, "%s: unlink", name);
			return 0;
		}
		return cd_err_sys(err, "%s: open", name);
	}
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return cd_err_sys(err, "%s: opendir", name);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (file_remove_tree(dirfd(d), de->d_name, err) == -1) {
			rc = -1;
			break;
		}
	}
	(void)closedir(d);
	if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)
		return cd_err_sys(err, "%s: rmdir", name);
	return rc;
}
