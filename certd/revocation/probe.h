/*
 * probe.h - fetches a mail server's certificate chain and stapled OCSP
 * response: connect, SMTP banner, EHLO, STARTTLS (RFC 3207) or implicit
 * TLS (RFC 8314), TLS handshake, QUIT. Nothing learnt here is trusted:
 * the chain is validated later by chain_verify(), the staple by rocsp.
 * The SMTP reply parser is pure and fuzzed (tests/fuzz/fuzz_probe.c).
 */
#ifndef CERTD_PROBE_H
#define CERTD_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "err.h"

/* RFC 5321 §4.5.3.1.5 allows 512 bytes per reply line (with CRLF); real
 * servers' banners are sometimes longer, so some slack. */
#define PROBE_LINE_MAX		1024	/* bytes of a reply line, CRLF too */
#define PROBE_LINES_MAX		100	/* lines of one reply */
#define PROBE_TEXT_MAX		256	/* bytes kept of a reply's text */
#define PROBE_TIMEOUT_DEFAULT	10000	/* ms per step */
#define PROBE_TOTAL_FACTOR	4	/* default total: 4 steps' time */
#define PROBE_QUIT_WAIT_MAX	1000	/* ms we wait for QUIT's reply */
#define PROBE_ADDRS_MAX		8	/* addresses of a name we try */
#define PROBE_CHAIN_MAX		10	/* certificates the peer may send */
#define PROBE_CERT_LIST_MAX	(100 * 1024)	/* bytes of them */
#define PROBE_HOST_MAX		254	/* buffer for a host, with NUL */
#define PROBE_PORT_MAX		6	/* buffer for a port, with NUL */
#define PROBE_ADDR_MAX		64	/* buffer for a numeric address */
#define PROBE_PORT_DEFAULT	"25"
#define PROBE_PORT_SMTPS	"465"

/*
 * One SMTP reply (RFC 5321 §4.2), fed line by line. Every line ends in
 * CRLF, has the same three-digit code ([2-5][0-5][0-9]) followed by '-'
 * (more lines follow), ' ' or nothing (last line), and text without
 * control bytes other than HT (bytes >= 0x80 are kept, escaped).
 */
struct probe_reply {
	int	 code;		/* 0 before the first line */
	size_t	 nlines;
	bool	 done;		/* the last line has been fed */
	bool	 starttls;	/* a 250 line after the first one has the
				 * EHLO keyword STARTTLS (RFC 3207) */
	char	 text[PROBE_TEXT_MAX];	/* text of the first line, with
					 * non-printables as \xNN, cut */
};

void	probe_reply_init(struct probe_reply *);
/*
 * Feeds one line of len bytes including its CRLF. -1 (CD_EPROTO) if the
 * line is longer than PROBE_LINE_MAX, does not end in CRLF, holds a
 * control byte (NUL, bare CR or LF, ...), has a bad code or separator,
 * has another code than the lines before, is line PROBE_LINES_MAX + 1,
 * or comes after the last line. r is then not to be used further.
 */
int	probe_reply_feed(struct probe_reply *, const char *line, size_t len,
	    struct cd_err *);
/*
 * Feeds the complete lines (up to each LF) at the start of buf until the
 * reply is done; *used is the number of bytes consumed (the rest is an
 * incomplete line, or bytes after the reply). 0 with r->done false means
 * more input is needed. -1 as probe_reply_feed(), or when an incomplete
 * line is already PROBE_LINE_MAX bytes long.
 */
int	probe_reply_parse(struct probe_reply *, const void *buf, size_t len,
	    size_t *used, struct cd_err *);

/*
 * Splits "HOST", "HOST:PORT", "[IPv6]", "[IPv6]:PORT" or a bare IPv6
 * address into host (a DNS name or an IP address, no brackets) and port
 * (decimal 1..65535; PROBE_PORT_DEFAULT when absent). -1 (CD_EUSAGE)
 * otherwise.
 */
int	probe_parse_target(const char *, char host[PROBE_HOST_MAX],
	    char port[PROBE_PORT_MAX], struct cd_err *);

/* Which of several certificates a server should show (certd install
 * verifies the one of the key type it installed). */
enum probe_key {
	PROBE_KEY_ANY = 0,	/* OpenSSL's defaults */
	PROBE_KEY_EC,		/* offer only ECDSA signature algorithms and,
				 * for TLS 1.2, ECDSA cipher suites */
	PROBE_KEY_RSA,		/* the same for RSA */
};

struct probe_opts {
	const char	*host;		/* DNS name or IP address */
	const char	*port;		/* NULL: PROBE_PORT_DEFAULT */
	/* true: SMTP then STARTTLS; false: implicit TLS (SMTPS, RFC 8314;
	 * callers pick it for port 465 or --tls) */
	bool		 starttls;
	/* with starttls false: no protocol at all, only the TLS handshake
	 * (IMAPS, POP3S: certd install verifies Dovecot so); no banner is
	 * read and no QUIT sent. With starttls true: CD_EUSAGE. */
	bool		 tls_only;
	const char	*helo_name;	/* NULL: our host name if it is a
					 * DNS name, else "localhost" */
	int		 timeout_ms;	/* per step; <= 0: default */
	int		 total_ms;	/* whole probe; <= 0: timeout_ms *
					 * PROBE_TOTAL_FACTOR */
	enum probe_key	 key;		/* the certificate type to ask for */
};

struct probe_result {
	/* the chain the peer presented, leaf first, unverified; owns one
	 * reference per certificate */
	STACK_OF(X509)	*chain;
	unsigned char	*ocsp;		/* stapled response (DER), malloc'd;
					 * NULL when none */
	size_t		 ocsp_len;
	bool		 ocsp_dropped;	/* a staple > REV_OCSP_MAX came */
	char		 banner[PROBE_TEXT_MAX];	/* 220 greeting text,
							 * escaped */
	char		 addr[PROBE_ADDR_MAX];	/* address connected to */
	char		 tls_version[16];	/* "TLSv1.3" ... */
};

/*
 * Probes opts->host: tries its addresses (at most PROBE_ADDRS_MAX) in
 * getaddrinfo() order, then speaks SMTP/TLS as above. Every step
 * (connect, each reply, handshake) has timeout_ms and the whole probe
 * total_ms. *res is filled on 0 and must be released with
 * probe_result_clear(). -1: CD_EUSAGE/CD_ECONFIG bad host, port or HELO
 * name; CD_ENET connection, timeout, TLS failure; CD_EPROTO the peer
 * broke the protocol, refused, or offers no STARTTLS; CD_ENOMEM.
 * XXX getaddrinfo() itself has no timeout; the daemon will want an
 * asynchronous resolver.
 */
int	probe_run(const struct probe_opts *, struct probe_result *,
	    struct cd_err *);
void	probe_result_clear(struct probe_result *);

#endif
