/*
 * fuzz_http.c - libFuzzer target for acme/http.c's pure parts. The first
 * byte picks a split point (low 7 bits) and HEAD (top bit); the rest is a
 * server's byte stream, fed to http_parser_feed() whole and in two pieces
 * (both must agree), then http_parser_eof(). The whole input, as a C
 * string, also goes to http_url_parse(). No sockets, no environment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acme.h"
#include "http.h"

#define FUZZ_BODY_MAX	(64 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
need(bool cond)
{
	if (!cond)
		abort();
}

struct run {
	int			 rc;
	size_t			 used;
	bool			 keep;
	struct acme_http_resp	 r;
};

/* Feeds d in two pieces, [0, split) and [split, size); either may be
 * empty (a feed of 0 bytes must change nothing). */
static void
run(const uint8_t *d, size_t size, size_t split, bool head, struct run *o)
{
	struct http_parser	 p;
	struct acme_err		 err;
	size_t			 off[2] = { 0, split }, len[2], used;
	int			 i;

	len[0] = split;
	len[1] = size - split;
	memset(o, 0, sizeof(*o));
	http_parser_init(&p, &o->r, FUZZ_BODY_MAX, head);
	for (i = 0; i < 2; i++) {
		used = SIZE_MAX;
		o->rc = http_parser_feed(&p, d + off[i], len[i], &used, &err);
		need(o->rc >= -1 && o->rc <= 1);
		if (o->rc == 1) {
			need(used <= len[i]);
			o->used = off[i] + used;
			break;
		}
		if (o->rc == -1)
			break;
		need(used == len[i]);
	}
	if (o->rc == 0) {
		o->used = size;
		o->rc = http_parser_eof(&p, &err);
		need(o->rc == 1 || o->rc == -1);
	}
	if (o->rc == -1)
		need(err.kind == ACME_EPROTO || err.kind == ACME_ENOMEM);
	if (o->rc == 1) {
		need(http_parser_started(&p));
		o->keep = p.keep_alive;
	}
}

static void
str_ok(const char *s)
{
	if (s != NULL)
		need(strpbrk(s, "\r\n") == NULL);
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check_resp(const struct run *o)
{
	const struct acme_http_resp	*r = &o->r;
	size_t				 i;

	need(r->status >= 200 && r->status <= 999 && r->status != 101);
	need(r->len <= FUZZ_BODY_MAX);
	need(r->body != NULL || r->len == 0);
	need(r->body == NULL || r->body[r->len] == '\0');
	need(r->nlinks <= HTTP_LINKS_MAX);
	need(r->nlinks == 0 || r->links != NULL);
	str_ok(r->content_type);
	str_ok(r->location);
	str_ok(r->replay_nonce);
	str_ok(r->retry_after);
	if (r->content_type != NULL)
		need(strchr(r->content_type, ';') == NULL);
	for (i = 0; i < r->nlinks; i++) {
		need(r->links[i] != NULL);
		str_ok(r->links[i]);
	}
}

static void
same(const struct run *a, const struct run *b)
{
	size_t	 i;

	need(a->rc == b->rc);
	if (a->rc != 1)
		return;
	need(a->used == b->used && a->keep == b->keep);
	need(a->r.status == b->r.status && a->r.len == b->r.len);
	need(a->r.len == 0 || memcmp(a->r.body, b->r.body, a->r.len) == 0);
	need(str_eq(a->r.content_type, b->r.content_type));
	need(str_eq(a->r.location, b->r.location));
	need(str_eq(a->r.replay_nonce, b->r.replay_nonce));
	need(str_eq(a->r.retry_after, b->r.retry_after));
	need(a->r.nlinks == b->r.nlinks);
	for (i = 0; i < a->r.nlinks; i++)
		need(strcmp(a->r.links[i], b->r.links[i]) == 0);
}

static void
check_url(const char *s, size_t len, const struct http_url *u)
{
	size_t	 i, hl = strlen(u->host);

	need(hl > 0 && hl <= HTTP_HOST_MAX);
	need(u->port[0] >= '1' && u->port[0] <= '9' &&
	    strlen(u->port) <= 5 && strtoul(u->port, NULL, 10) <= 65535);
	need(u->path != NULL && u->path >= s && u->path + u->pathlen <= s +
	    len);
	need(u->pathlen == 0 || u->path[0] == '/' || u->path[0] == '?');
	for (i = 0; i < u->pathlen; i++)
		need(u->path[i] > ' ' && u->path[i] < 0x7f &&
		    u->path[i] != '#');
	for (i = 0; i < hl; i++)
		need(u->host[i] > ' ' && u->host[i] < 0x7f &&
		    u->host[i] != '@' && u->host[i] != '/');
	need(u->tls == (strncasecmp(s, "https:", 6) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run	 whole, pieces;
	struct http_url	 u, uh;
	struct acme_err	 err;
	size_t		 n, split;
	bool		 head;
	char		*s;

	if (size == 0)
		return 0;
	head = (data[0] & 0x80) != 0;
	n = size - 1;
	split = (size_t)(data[0] & 0x7f) * n / 127;
	run(data + 1, n, n, head, &whole);
	run(data + 1, n, split, head, &pieces);
	if (whole.rc == 1)
		check_resp(&whole);
	same(&whole, &pieces);
	acme_http_resp_clear(&whole.r);
	acme_http_resp_clear(&pieces.r);

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	if (http_url_parse(s, false, &u, &err) == 0) {
		check_url(s, n, &u);
		need(u.tls);
		/* what https-only accepts, allow_http accepts the same way */
		need(http_url_parse(s, true, &uh, &err) == 0);
		need(strcmp(u.host, uh.host) == 0 &&
		    strcmp(u.port, uh.port) == 0 && u.path == uh.path &&
		    u.pathlen == uh.pathlen);
	} else {
		need(err.kind == ACME_EUSAGE);
		if (http_url_parse(s, true, &uh, &err) == 0) {
			check_url(s, n, &uh);
			need(!uh.tls);
		}
	}
	free(s);
	return 0;
}
