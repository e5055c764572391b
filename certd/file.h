/*
 * file.h - durable, atomic file operations for the state directory and
 * bounded reads of files that may be hostile.
 */
#ifndef CERTD_FILE_H
#define CERTD_FILE_H

#include <sys/types.h>
#include <stddef.h>

#include "err.h"

/* write(2) until done; -1 with errno on failure. */
int	write_all(int fd, const void *, size_t);
/* Creates or replaces dfd/name atomically and durably with the given
 * mode from the first byte (temporary ".name.new", fsync, rename, fsync
 * of the directory). */
int	file_replace(int dfd, const char *name, const void *, size_t,
	    mode_t, struct cd_err *);
/* Creates dfd/name with O_EXCL (fails if it exists), fsynced. */
int	file_create(int dfd, const char *name, const void *, size_t,
	    mode_t, struct cd_err *);
/* Reads a whole file of at most max bytes into a NUL-terminated malloc'd
 * buffer. dfd may be AT_FDCWD. Larger files are a CD_EPROTO error. */
int	file_read(int dfd, const char *path, size_t max, char **out,
	    size_t *len, struct cd_err *);
/* file_read() of a secret (key, config): the opened file itself (not
 * the name, so there is no check-then-use window) must not be group- or
 * world-accessible (CD_ECONFIG). */
int	file_read_private(int dfd, const char *path, size_t max, char **out,
	    size_t *len, struct cd_err *);
/* mkdir -p of an absolute or relative path with mode for new levels. */
int	file_mkdirs(const char *path, mode_t, struct cd_err *);
/* rm -r of dfd/name (no symlinks followed); missing is not an error. */
int	file_remove_tree(int dfd, const char *name, struct cd_err *);

#endif
