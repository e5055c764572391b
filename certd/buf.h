/*
 * buf.h - a growable byte buffer whose hard maximum is fixed at
 * buf_init(): the standard sink for untrusted data (curl bodies, hook
 * output). The data is always NUL-terminated but may hold NULs.
 */
#ifndef CERTD_BUF_H
#define CERTD_BUF_H

#include <stddef.h>

struct buf {
	char	*data;	/* NULL until the first append */
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* len never exceeds max */
};

/* Empty buffer that refuses to grow past max bytes. */
void	buf_init(struct buf *, size_t max);
/* Appends n bytes; -1 (buffer unchanged) if that would pass max or on
 * allocation failure. */
int	buf_append(struct buf *, const void *, size_t);
int	buf_append_str(struct buf *, const char *);
/* printf-style append with the same limit. */
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Frees the data; the buffer may be reused after buf_init(). */
void	buf_clear(struct buf *);
/* Hands the data to the caller (NUL-terminated, never NULL on 0). */
int	buf_take(struct buf *, char **, size_t *);
/* As CURLOPT_WRITEFUNCTION with a struct buf * as the argument: a short
 * count makes curl fail with CURLE_WRITE_ERROR. */
size_t	buf_write_cb(char *, size_t, size_t, void *);

#endif
