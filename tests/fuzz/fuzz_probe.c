/*
 * fuzz_probe.c - libFuzzer target for the SMTP reply parser of the
 * probe (certd/revocation/probe.c): the input is read as a stream of
 * replies the way the probe reads a peer (cut at a point the first byte
 * chooses), fed as one raw line, and parsed as a --host target. What the
 * parsers accept is checked against their promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "revocation/probe.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
need(bool cond)
{
	if (!cond)
		abort();
}

static void
check_reply(const struct probe_reply *r)
{
	size_t	 i, n = strlen(r->text);

	need(n < PROBE_TEXT_MAX);
	for (i = 0; i < n; i++)
		need(r->text[i] >= 0x20 && r->text[i] < 0x7f);
	need(r->nlines <= PROBE_LINES_MAX);
	if (r->nlines == 0) {
		need(r->code == 0 && !r->done && !r->starttls);
		return;
	}
	need(r->code >= 200 && r->code <= 559);
	need(r->code % 100 <= 59);
	if (r->starttls)
		need(r->code == 250 && r->nlines >= 2);
}

/* the probe's own loop: a bounded buffer, refilled in pieces */
static void
stream(const uint8_t *data, size_t size, size_t chunk)
{
	struct probe_reply	 r;
	char			 buf[PROBE_LINE_MAX];
	size_t			 off = 0, fill = 0, n, used;

	probe_reply_init(&r);
	while (off < size || fill > 0) {
		n = size - off;
		if (n > chunk)
			n = chunk;
		if (n > sizeof(buf) - fill)
			n = sizeof(buf) - fill;
		memcpy(buf + fill, data + off, n);
		fill += n;
		off += n;
		if (probe_reply_parse(&r, buf, fill, &used, NULL) == -1)
			return;
		need(used <= fill);
		/* the parser only stops short at an incomplete line */
		need(r.done || used == fill ||
		    memchr(buf + used, '\n', fill - used) == NULL);
		check_reply(&r);
		memmove(buf, buf + used, fill - used);
		fill -= used;
		if (r.done)
			probe_reply_init(&r);	/* the next reply */
		else if (n == 0)
			return;			/* incomplete at the end */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_reply	 r;
	char			 host[PROBE_HOST_MAX], port[PROBE_PORT_MAX];
	char			*s;
	unsigned long long	 pn;

	if (size == 0)
		return 0;
	stream(data + 1, size - 1, (size_t)data[0] + 1);
	stream(data, size, PROBE_LINE_MAX);

	probe_reply_init(&r);
	if (probe_reply_feed(&r, (const char *)data, size, NULL) == 0) {
		check_reply(&r);
		need(r.nlines == 1);
		need(size <= PROBE_LINE_MAX);
		need(memchr(data, '\0', size) == NULL);
	}

	if (size < 600 && (s = malloc(size + 1)) != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
		if (probe_parse_target(s, host, port, NULL) == 0) {
			need(util_is_dnsname(host, false) ||
			    util_is_ipaddr(host));
			need(util_parse_uint(port, 1, 65535, &pn) == 0);
		} else
			need(host[0] == '\0');
		free(s);
	}
	return 0;
}
