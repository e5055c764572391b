/*
 * http.h - private to acme/: the small HTTP/1.1 client behind the
 * default struct acme_transport (http.c). It replaces libcurl for ACME so
 * that an issuing certd maps only OpenSSL and libc. The server and any
 * proxy are untrusted: every line, the header count and the body are
 * bounded, and a response is parsed incrementally (http_parser_*), so the
 * parser can be tested and fuzzed without sockets.
 */
#ifndef ACME_HTTP_H
#define ACME_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acme.h"

#define HTTP_LINE_MAX		8192	/* one status/header/chunk line */
#define HTTP_HEADERS_MAX	100	/* header (and trailer) lines */
#define HTTP_LINKS_MAX		32	/* Link headers kept; more ignored */
#define HTTP_INTERIM_MAX	8	/* 1xx responses before the final one */
#define HTTP_HOST_MAX		255

/* ---- URLs */

struct http_url {
	bool		 tls;			/* https */
	char		 host[HTTP_HOST_MAX + 1]; /* IPv6 without brackets */
	bool		 ipv6;			/* host is an IPv6 literal */
	char		 port[6];		/* always set: "443" or "80" */
	bool		 default_port;
	const char	*path;	/* into the parsed string: "/..." or "?..."
				 * ("" means "/"), fragment cut off by len */
	size_t		 pathlen;
};

/* Splits an absolute URL: "https://" (or "http://" when allow_http)
 * host [":" port] [path-abempty] ["?" query] ["#" fragment]. The host is
 * a DNS name, an IPv4 address or a bracketed IPv6 address; user info,
 * empty hosts, port 0 or > 65535, and any byte outside printable ASCII
 * or a space anywhere are refused. The fragment is dropped. u->path points
 * into url, which must outlive u. ACME_EUSAGE on failure. */
int	http_url_parse(const char *url, bool allow_http, struct http_url *u,
	    struct acme_err *);

/* ---- the response parser */

enum http_pstate {
	HP_STATUS, HP_HEADER, HP_BODY_LEN, HP_BODY_EOF, HP_CHUNK_SIZE,
	HP_CHUNK_DATA, HP_CHUNK_END, HP_TRAILER, HP_DONE
};

struct http_parser {
	struct acme_http_resp	*resp;
	enum http_pstate	 state;
	size_t			 body_max;
	size_t			 cap;		/* allocated for resp->body */
	uint64_t		 remain;	/* of the body or chunk */
	uint64_t		 content_length;
	size_t			 nlines;	/* header + trailer lines */
	unsigned		 ninterim;	/* 1xx responses skipped */
	size_t			 linelen;
	bool			 head;		/* no body: HEAD or CONNECT */
	bool			 chunked;
	bool			 have_length;
	bool			 keep_alive;	/* the connection may be reused */
	char			 line[HTTP_LINE_MAX + 1];
};

/* Prepares p to parse one response into resp (zeroed by the caller).
 * head: the request was HEAD or CONNECT, so the response has no body.
 * body_max: larger bodies are refused (ACME_EPROTO). */
void	http_parser_init(struct http_parser *p, struct acme_http_resp *resp,
	    size_t body_max, bool head);

/* Feeds the next len bytes of the stream. Returns 1 when the response is
 * complete (*used: bytes consumed; anything after them belongs to no
 * response), 0 when more is needed (all bytes consumed), -1 when the
 * reply is malformed or too large (ACME_EPROTO; ACME_ENOMEM). 1xx
 * interim responses are skipped (at most HTTP_INTERIM_MAX); a 101 is
 * refused. What the headers
 * give is stored in resp as acme.h describes (last one wins, Link values
 * kept up to HTTP_LINKS_MAX). Refused: obsolete line folding, header
 * lines without a colon or with bytes outside a token in the name, bare
 * CR or NUL, more than HTTP_HEADERS_MAX lines, Content-Length that is not
 * all digits or that disagrees with another one, transfer codings other
 * than "chunked". Lines may end in CRLF or LF. */
int	http_parser_feed(struct http_parser *p, const void *buf, size_t len,
	    size_t *used, struct acme_err *);

/* The peer closed the connection: returns 1 when that completes the
 * response (a body delimited by the close), else -1 (truncated). */
int	http_parser_eof(struct http_parser *p, struct acme_err *);

/* True once the status line has been read. */
bool	http_parser_started(const struct http_parser *p);

/* ---- proxies (https targets only, by HTTP CONNECT) */

struct http_proxy {
	char	 host[HTTP_HOST_MAX + 1];
	char	 port[6];
	char	*auth;		/* "Basic ..." (percent-decoded user:pass) */
};

/* Reads the proxy for an https URL from the environment the way curl
 * does: https_proxy, then HTTPS_PROXY; "http://" scheme or none, default
 * port 1080; other schemes are refused (ACME_EUSAGE). Returns 1 and fills
 * *px when a proxy is set and no_proxy/NO_PROXY (comma-separated names,
 * a name also matching its subdomains, "*" matching all) does not exempt
 * host; 0 when none applies; -1 on error. Free with http_proxy_clear. */
int	http_proxy_from_env(const char *host, struct http_proxy *px,
	    struct acme_err *);
void	http_proxy_clear(struct http_proxy *);

#endif /* ACME_HTTP_H */
