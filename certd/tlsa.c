/*
 * tlsa.c - DANE TLSA 3 1 1 records and the DANE-safe key rollover (see
 * tlsa.h). The record data and the state machine are pure. DNS answers
 * are untrusted: bounded, parsed with libresolv's ns_initparse(), and only
 * 3 1 1 data of the exact length is kept. Hook output is only logged
 * (log_safe). Our own state dir is trusted once key files pass the mode
 * check; a damaged next.state is an error, never guessed at.
 */
#include "tlsa.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert.h"
#include "file.h"
#include "hooks.h"
#include "keys.h"
#include "log.h"
#include "opts.h"

#define SHA256_LEN	32	/* bytes */
#define TIME_MAX_STATE	253402300799LL	/* 9999-12-31: bound of a time */
#define ENV_MAX		(TLSA_OWNER_MAX + 64)	/* bytes of one variable */

/* ---- record data ---- */

int
tlsa_spki_hex(EVP_PKEY *key, char hex[TLSA_HEX_SIZE], struct cd_err *err)
{
	unsigned char	*der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 len, rc = -1;

	if (key == NULL)
		return cd_err_set(err, CD_ECONFIG, "tlsa: no key");
	ERR_clear_error();
	/* RFC 6698 §2.1.3: selector 1 is the DER SubjectPublicKeyInfo */
	if ((len = i2d_PUBKEY(key, &der)) <= 0) {
		cd_err_crypto(err, "tlsa: SubjectPublicKeyInfo");
		goto out;
	}
	if (EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != SHA256_LEN) {
		cd_err_crypto(err, "tlsa: SHA-256");
		goto out;
	}
	util_hex(md, SHA256_LEN, hex, false);
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}

int
tlsa_cert_hex(const char *pem, size_t len, char hex[TLSA_HEX_SIZE],
    struct cd_err *err)
{
	BIO		*bio = NULL;
	X509		*x = NULL;
	EVP_PKEY	*pub;
	int		 rc = -1;

	if (pem == NULL || len == 0 || len > CERT_CHAIN_MAX)
		return cd_err_set(err, CD_EPROTO, "tlsa: certificate size %zu",
		    len);
	ERR_clear_error();
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, keys_no_password,
	    NULL)) == NULL) {
		cd_err_crypto(err, "tlsa: cannot parse the certificate");
		goto out;
	}
	if ((pub = X509_get0_pubkey(x)) == NULL) {
		cd_err_crypto(err, "tlsa: certificate public key");
		goto out;
	}
	rc = tlsa_spki_hex(pub, hex, err);
out:
	X509_free(x);
	BIO_free(bio);
	return rc;
}

int
tlsa_owner(const char *host, unsigned port, const char *proto, char *out,
    size_t outlen, struct cd_err *err)
{
	char	 h[UTIL_DNSNAME_MAX + 1], safe[4 * LOG_SAFE_MAX];
	int	 n;

	if (host == NULL || strlen(host) > UTIL_DNSNAME_MAX ||
	    util_is_ipaddr(host) || !util_is_dnsname(host, false))
		return cd_err_set(err, CD_ECONFIG, "tlsa: \"%s\": not a DNS "
		    "name without wildcard", host == NULL ? "" :
		    log_safe(safe, sizeof(safe), host, strlen(host)));
	if (port == 0 || port > 65535)
		return cd_err_set(err, CD_ECONFIG, "tlsa: port %u", port);
	if (proto == NULL || (strcmp(proto, "tcp") != 0 &&
	    strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0))
		return cd_err_set(err, CD_ECONFIG, "tlsa: protocol \"%s\": "
		    "tcp, udp or sctp", proto == NULL ? "" :
		    log_safe(safe, sizeof(safe), proto, strlen(proto)));
	(void)snprintf(h, sizeof(h), "%s", host);
	util_lower(h);
	/* RFC 6698 §3: _port._protocol.host */
	n = snprintf(out, outlen, "_%u._%s.%s.", port, proto, h);
	if (n < 0 || (size_t)n >= outlen)
		return cd_err_set(err, CD_ECONFIG, "tlsa: %s: name too long",
		    h);
	return 0;
}

bool
tlsa_hex_is_valid(const char *s)
{
	size_t	 i;

	if (s == NULL || strlen(s) != TLSA_HEX_LEN)
		return false;
	for (i = 0; i < TLSA_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

/* ---- DNS answers ---- */

bool
tlsa_rrset_has(const struct tlsa_rrset *set, const char *hex)
{
	size_t	 i;

	if (hex == NULL || *hex == '\0')
		return false;
	for (i = 0; i < set->n; i++)
		if (strcasecmp(set->data[i], hex) == 0)
			return true;
	return false;
}

int
tlsa_dns_parse(const unsigned char *msg, size_t len, struct tlsa_rrset *set,
    struct cd_err *err)
{
	ns_msg			 h;
	ns_rr			 rr;
	const unsigned char	*rd;
	char			 hex[TLSA_HEX_SIZE];
	int			 i, n, rcode;

	memset(set, 0, sizeof(*set));
	if (msg == NULL || len < NS_HFIXEDSZ || len > TLSA_MSG_MAX)
		return cd_err_set(err, CD_EPROTO, "dns: message of %zu bytes",
		    len);
	/* ns_initparse() walks every section and refuses trailing bytes */
	if (ns_initparse(msg, (int)len, &h) == -1)
		return cd_err_set(err, CD_EPROTO, "dns: malformed message");
	if (ns_msg_getflag(h, ns_f_qr) == 0)
		return cd_err_set(err, CD_EPROTO, "dns: not a response");
	rcode = ns_msg_getflag(h, ns_f_rcode);
	if (rcode == ns_r_nxdomain)
		return 0;
	if (rcode != ns_r_noerror)
		return cd_err_set(err, CD_EPROTO, "dns: response code %d",
		    rcode);
	n = ns_msg_count(h, ns_s_an);
	for (i = 0; i < n; i++) {
		if (ns_parserr(&h, ns_s_an, i, &rr) == -1) {
			memset(set, 0, sizeof(*set));
			return cd_err_set(err, CD_EPROTO, "dns: answer record "
			    "%d: malformed", i);
		}
		/*
		 * The resolver matched the question; a CNAME chain puts the
		 * TLSA records under the target's name, so owners are not
		 * compared here.
		 */
		if (ns_rr_type(rr) != TLSA_RRTYPE || ns_rr_class(rr) != ns_c_in)
			continue;
		rd = ns_rr_rdata(rr);
		if (ns_rr_rdlen(rr) < 3) {
			memset(set, 0, sizeof(*set));
			return cd_err_set(err, CD_EPROTO, "dns: TLSA record of "
			    "%u bytes", (unsigned)ns_rr_rdlen(rr));
		}
		if (rd[0] != 3 || rd[1] != 1 || rd[2] != 1) {
			set->other++;
			continue;
		}
		/* RFC 6698 §2.1.4: matching type 1 is a SHA-256 digest */
		if (ns_rr_rdlen(rr) != 3 + SHA256_LEN) {
			memset(set, 0, sizeof(*set));
			return cd_err_set(err, CD_EPROTO, "dns: TLSA 3 1 1 "
			    "record of %u bytes", (unsigned)ns_rr_rdlen(rr));
		}
		util_hex(rd + 3, SHA256_LEN, hex, false);
		if (ns_rr_ttl(rr) > set->ttl)
			set->ttl = ns_rr_ttl(rr);
		if (tlsa_rrset_has(set, hex))
			continue;
		if (set->n == TLSA_RRS_MAX) {
			memset(set, 0, sizeof(*set));
			return cd_err_set(err, CD_EPROTO, "dns: more than %d "
			    "TLSA 3 1 1 records", TLSA_RRS_MAX);
		}
		memcpy(set->data[set->n++], hex, sizeof(hex));
	}
	return 0;
}

/* ---- policy and state machine ---- */

void
tlsa_policy_init(struct tlsa_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->port = TLSA_PORT_DEFAULT;
	p->proto = "tcp";
	p->ttl = TLSA_TTL_DEFAULT;
}

int
tlsa_rollover_parse(const char *s, bool *dane)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "dane") == 0)
		*dane = true;
	else if (strcmp(s, "new") == 0 || strcmp(s, "reuse") == 0)
		*dane = false;
	else
		return -1;
	return 0;
}

static int server_parse(const char *, struct sockaddr_in *, struct cd_err *);

int
tlsa_policy_from_opts(struct tlsa_policy *p, const struct opts *o,
    const struct opts_cert *sec, struct cd_err *err)
{
	struct sockaddr_in	 sin;
	const char		*where = sec != NULL ? sec->name : "certd";

	tlsa_policy_init(p);
	if (sec != NULL && sec->key_rollover != NULL &&
	    tlsa_rollover_parse(sec->key_rollover, &p->dane) == -1)
		return cd_err_set(err, CD_ECONFIG, "[cert %s]: key_rollover: "
		    "new, reuse or dane", where);
	if (o->port > 0)
		p->port = o->port;
	else if (sec != NULL && sec->tlsa_port > 0)
		p->port = sec->tlsa_port;
	else if (o->tlsa_port > 0)
		p->port = o->tlsa_port;
	if (o->proto != NULL) {
		if (strcmp(o->proto, "tcp") != 0 &&
		    strcmp(o->proto, "udp") != 0 &&
		    strcmp(o->proto, "sctp") != 0)
			return cd_err_set(err, CD_EUSAGE, "tlsa: --proto: tcp, "
			    "udp or sctp");
		p->proto = o->proto;
	}
	if (o->tlsa_ttl > 0)
		p->ttl = o->tlsa_ttl > TLSA_TTL_MAX ? TLSA_TTL_MAX :
		    o->tlsa_ttl;
	if (o->tlsa_margin > 0)
		p->margin = o->tlsa_margin > TLSA_MARGIN_MAX ?
		    TLSA_MARGIN_MAX : o->tlsa_margin;
	if (o->dns_server != NULL) {
		if (server_parse(o->dns_server, &sin, err) == -1)
			return -1;
		p->dns_server = o->dns_server;
	}
	if (o->tlsa_hook != NULL) {
		if (o->tlsa_hook[0] != '/')
			return cd_err_set(err, CD_ECONFIG, "tlsa_hook: an "
			    "absolute path is needed");
		p->hook = o->tlsa_hook;
	}
	p->hook_timeout = o->hook_timeout;
	if (sec != NULL && sec->key_type != NULL) {
		enum keys_type	 kt;

		if (keys_type_parse(sec->key_type, &kt) == -1)
			return cd_err_set(err, CD_ECONFIG, "[cert %s]: unknown "
			    "key_type \"%.32s\"", where, sec->key_type);
		p->key_type = sec->key_type;
	}
	return 0;
}

time_t
tlsa_margin(const struct tlsa_policy *p, const struct tlsa_stage *s)
{
	time_t	 ttl = p->ttl > 0 ? p->ttl : TLSA_TTL_DEFAULT, m;

	if (s != NULL && s->ttl_seen > ttl)
		ttl = s->ttl_seen;
	if (ttl > TLSA_TTL_MAX)
		ttl = TLSA_TTL_MAX;
	/*
	 * A resolver may keep the RRset without the next key for one TTL
	 * after the record appeared at the server we asked; twice that
	 * leaves time for secondaries. An explicit margin is honoured but
	 * never shorter than the TTL seen in DNS.
	 */
	if (p->margin > 0)
		m = s != NULL && s->ttl_seen > p->margin ?
		    (s->ttl_seen > TLSA_TTL_MAX ? TLSA_TTL_MAX : s->ttl_seen) :
		    p->margin;
	else
		m = 2 * ttl;
	return m > TLSA_MARGIN_MAX ? TLSA_MARGIN_MAX : m;
}

enum tlsa_state
tlsa_state_of(const struct tlsa_stage *s, const struct tlsa_policy *p,
    time_t now)
{
	if (!s->staged)
		return TLSA_ST_NONE;
	if (s->published_at <= 0)
		return TLSA_ST_STAGED;
	if (s->published_at > now)
		return TLSA_ST_PUBLISHING;	/* the clock went back */
	if (now - s->published_at >= tlsa_margin(p, s))
		return TLSA_ST_PUBLISHED;
	return TLSA_ST_PUBLISHING;
}

bool
tlsa_should_roll(const struct tlsa_stage *s, const struct tlsa_policy *p,
    enum tlsa_seen seen, time_t now)
{
	return seen == TLSA_SEEN && tlsa_state_of(s, p, now) ==
	    TLSA_ST_PUBLISHED;
}

void
tlsa_observe(struct tlsa_stage *s, enum tlsa_seen seen, time_t ttl,
    time_t now)
{
	if (!s->staged)
		return;
	if (ttl < 0)
		ttl = 0;
	if (ttl > TLSA_TTL_MAX)
		ttl = TLSA_TTL_MAX;
	switch (seen) {
	case TLSA_SEEN:
		/* the clock starts once; a time in the future restarts it */
		if (s->published_at <= 0 || s->published_at > now)
			s->published_at = now;
		if (ttl > s->ttl_seen)
			s->ttl_seen = ttl;
		break;
	case TLSA_ABSENT:
		s->published_at = 0;
		break;
	case TLSA_UNKNOWN:
		break;
	}
}

const char *
tlsa_state_name(enum tlsa_state st)
{
	switch (st) {
	case TLSA_ST_NONE:
		return "none";
	case TLSA_ST_STAGED:
		return "staged";
	case TLSA_ST_PUBLISHING:
		return "publishing";
	case TLSA_ST_PUBLISHED:
		return "published";
	}
	return "unknown";
}

/* next.state keys; the bit of each in a "seen" mask */
enum { K_SPKI, K_STAGED, K_PUBLISHED, K_TTL, K_PREV, K_RETIRED,
    K_RETIRED_AT, K_N };
static const char *const stage_keys[K_N] = {
	"spki", "staged_at", "published_at", "ttl_seen", "prev", "retired",
	"retired_at",
};

static int
hex_field(const char *v, char out[TLSA_HEX_SIZE], const char *key,
    struct cd_err *err)
{
	size_t	 i;

	if (*v == '\0') {
		out[0] = '\0';
		return 0;
	}
	if (!tlsa_hex_is_valid(v))
		return cd_err_set(err, CD_EPROTO, "%s: %s: not %d hex digits",
		    TLSA_NEXT_STATE, key, TLSA_HEX_LEN);
	for (i = 0; i < TLSA_HEX_LEN; i++)
		out[i] = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] - 'A' + 'a' :
		    v[i]);
	out[TLSA_HEX_LEN] = '\0';
	return 0;
}

int
tlsa_stage_parse(const char *text, size_t len, struct tlsa_stage *s,
    struct cd_err *err)
{
	struct store_kv		 kv = { 0, NULL, NULL };
	unsigned long long	 u;
	unsigned		 seen = 0;
	size_t			 i, k;
	int			 rc = -1;

	memset(s, 0, sizeof(*s));
	if (len > TLSA_STATE_MAX)
		return cd_err_set(err, CD_EPROTO, "%s: larger than %d bytes",
		    TLSA_NEXT_STATE, TLSA_STATE_MAX);
	if (store_kv_parse(text, len, &kv, err) == -1)
		return -1;
	for (i = 0; i < kv.n; i++) {
		for (k = 0; k < K_N; k++)
			if (strcmp(kv.key[i], stage_keys[k]) == 0)
				break;
		if (k == K_N) {
			cd_err_set(err, CD_EPROTO, "%s: unknown key \"%s\"",
			    TLSA_NEXT_STATE, kv.key[i]);
			goto out;
		}
		if (seen & (1u << k)) {
			cd_err_set(err, CD_EPROTO, "%s: %s given twice",
			    TLSA_NEXT_STATE, kv.key[i]);
			goto out;
		}
		seen |= 1u << k;
		switch (k) {
		case K_SPKI:
			if (hex_field(kv.val[i], s->spki, kv.key[i], err) == -1)
				goto out;
			break;
		case K_PREV:
			if (hex_field(kv.val[i], s->prev, kv.key[i], err) == -1)
				goto out;
			break;
		case K_RETIRED:
			if (hex_field(kv.val[i], s->retired, kv.key[i],
			    err) == -1)
				goto out;
			break;
		default:
			if (util_parse_uint(kv.val[i], 0, k == K_TTL ?
			    TLSA_TTL_MAX : TIME_MAX_STATE, &u) == -1) {
				cd_err_set(err, CD_EPROTO, "%s: %s: not a "
				    "number in range", TLSA_NEXT_STATE,
				    kv.key[i]);
				goto out;
			}
			if (k == K_STAGED)
				s->staged_at = (time_t)u;
			else if (k == K_PUBLISHED)
				s->published_at = (time_t)u;
			else if (k == K_TTL)
				s->ttl_seen = (time_t)u;
			else
				s->retired_at = (time_t)u;
			break;
		}
	}
	s->staged = s->spki[0] != '\0';
	rc = 0;
out:
	store_kv_clear(&kv);
	if (rc == -1)
		memset(s, 0, sizeof(*s));
	return rc;
}

int
tlsa_stage_format(const struct tlsa_stage *s, char **out, size_t *len,
    struct cd_err *err)
{
	struct store_kv	 kv = { 0, NULL, NULL };
	char		 num[4][24];
	int		 rc = -1;

	(void)snprintf(num[0], sizeof(num[0]), "%lld",
	    (long long)(s->staged ? s->staged_at : 0));
	(void)snprintf(num[1], sizeof(num[1]), "%lld",
	    (long long)(s->staged && s->published_at > 0 ?
	    s->published_at : 0));
	(void)snprintf(num[2], sizeof(num[2]), "%lld",
	    (long long)s->ttl_seen);
	(void)snprintf(num[3], sizeof(num[3]), "%lld",
	    (long long)(s->retired[0] != '\0' ? s->retired_at : 0));
	if (store_kv_add(&kv, "spki", s->staged ? s->spki : "", err) == -1 ||
	    store_kv_add(&kv, "staged_at", num[0], err) == -1 ||
	    store_kv_add(&kv, "published_at", num[1], err) == -1 ||
	    store_kv_add(&kv, "ttl_seen", num[2], err) == -1 ||
	    store_kv_add(&kv, "prev", s->staged ? s->prev : "", err) == -1 ||
	    store_kv_add(&kv, "retired", s->retired, err) == -1 ||
	    store_kv_add(&kv, "retired_at", num[3], err) == -1 ||
	    store_kv_format(&kv, out, len, err) == -1)
		goto out;
	rc = 0;
out:
	store_kv_clear(&kv);
	return rc;
}

/* ---- DNS query ---- */

static int
server_parse(const char *s, struct sockaddr_in *sin, struct cd_err *err)
{
	char			 addr[INET_ADDRSTRLEN], safe[4 * LOG_SAFE_MAX];
	const char		*colon;
	unsigned long long	 port = NS_DEFAULTPORT;
	size_t			 alen;

	memset(sin, 0, sizeof(*sin));
	colon = strchr(s, ':');
	alen = colon != NULL ? (size_t)(colon - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(addr) ||
	    (colon != NULL && util_parse_uint(colon + 1, 1, 65535,
	    &port) == -1))
		goto bad;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		goto bad;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return 0;
bad:
	return cd_err_set(err, CD_ECONFIG, "dns_server \"%s\": an IPv4 "
	    "address with an optional :PORT", log_safe(safe, sizeof(safe), s,
	    strlen(s)));
}

int
tlsa_dns_query(const char *server, const char *owner,
    struct tlsa_rrset *set, struct cd_err *err)
{
	struct __res_state	 rs;
	struct sockaddr_in	 sin;
	unsigned char		*ans = NULL;
	const char		*where;
	int			 n, rc = -1;

	where = server != NULL ? server : "resolv.conf";
	memset(set, 0, sizeof(*set));
	memset(&rs, 0, sizeof(rs));
	if (server != NULL && server_parse(server, &sin, err) == -1)
		return -1;
	if (res_ninit(&rs) == -1)
		return cd_err_set(err, CD_ECONFIG, "dns: resolver "
		    "initialisation failed");
	if (server != NULL) {
		rs.nsaddr_list[0] = sin;
		rs.nscount = 1;
	}
	rs.retrans = TLSA_DNS_TIMEOUT;
	rs.retry = TLSA_DNS_TRIES;
	rs.options &= ~(unsigned long)(RES_DEFNAMES | RES_DNSRCH);
	if ((ans = malloc(TLSA_MSG_MAX)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "dns: out of memory");
		goto out;
	}
	n = res_nquery(&rs, owner, ns_c_in, TLSA_RRTYPE, ans, TLSA_MSG_MAX);
	if (n < 0) {
		switch (rs.res_h_errno) {
		case HOST_NOT_FOUND:	/* NXDOMAIN */
		case NO_DATA:		/* NOERROR without TLSA records */
			rc = 0;
			break;
		case TRY_AGAIN:		/* timeout, SERVFAIL */
			cd_err_set(err, CD_ENET, "dns: %s TLSA: no answer "
			    "(%s)", owner, where);
			break;
		default:
			cd_err_set(err, CD_EPROTO, "dns: %s TLSA: refused "
			    "or failed (%s)", owner, where);
			break;
		}
		goto out;
	}
	if (n > TLSA_MSG_MAX) {
		cd_err_set(err, CD_EPROTO, "dns: %s TLSA: answer of %d bytes",
		    owner, n);
		goto out;
	}
	rc = tlsa_dns_parse(ans, (size_t)n, set, err);
out:
	free(ans);
	res_nclose(&rs);
	return rc;
}

/* ---- the state dir ---- */

/* certs/NAME as an O_DIRECTORY fd; CD_ENOTFOUND when it is missing. */
static int
cert_dir(struct store *st, const char *name, struct cd_err *err)
{
	char	 path[PATH_MAX], safe[4 * LOG_SAFE_MAX];
	int	 fd, n;

	if (name == NULL || !util_is_safe_component(name))
		return cd_err_set(err, CD_ECONFIG, "certificate name \"%s\": "
		    "not a safe file name", name == NULL ? "" :
		    log_safe(safe, sizeof(safe), name, strlen(name)));
	n = snprintf(path, sizeof(path), "%s/certs/%s", store_dir(st), name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return cd_err_set(err, CD_ECONFIG, "%s: path too long", name);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return cd_err_set(err, CD_ENOTFOUND,
			    "%s: no such certificate", name);
		return cd_err_sys(err, "%s", path);
	}
	return fd;
}

/* 1: dfd/file is a regular file, 0: absent, -1: error (or not regular) */
static int
regular_at(int dfd, const char *file, const char *name, struct cd_err *err)
{
	struct stat	 st;

	if (fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		return cd_err_sys(err, "certs/%s/%s", name, file);
	}
	if (!S_ISREG(st.st_mode))
		return cd_err_set(err, CD_EPROTO, "certs/%s/%s: not a regular "
		    "file", name, file);
	return 1;
}

static int
stage_load_at(int dfd, const char *name, time_t now, struct tlsa_stage *s,
    EVP_PKEY **nextp, struct cd_err *err)
{
	EVP_PKEY	*key = NULL;
	struct cd_err	 e;
	char		*text = NULL, hex[TLSA_HEX_SIZE];
	size_t		 len = 0;
	int		 r, rc = -1;

	memset(s, 0, sizeof(*s));
	if ((r = regular_at(dfd, TLSA_NEXT_STATE, name, err)) == -1)
		return -1;
	if (r == 1) {
		if (file_read(dfd, TLSA_NEXT_STATE, TLSA_STATE_MAX, &text,
		    &len, err) == -1)
			return -1;
		r = tlsa_stage_parse(text, len, s, &e);
		free(text);
		if (r == -1)	/* name the certificate */
			return cd_err_set(err, e.kind, "certs/%s/%s", name,
			    e.msg);
	}
	if ((r = regular_at(dfd, TLSA_NEXT_KEY, name, err)) == -1)
		goto out;
	if (r == 0) {
		/* no key: nothing is staged, whatever the state file says */
		s->staged = false;
		s->spki[0] = s->prev[0] = '\0';
		s->staged_at = s->published_at = 0;
		rc = 0;
		goto out;
	}
	if ((key = keys_load(dfd, TLSA_NEXT_KEY, err)) == NULL ||
	    tlsa_spki_hex(key, hex, err) == -1)
		goto out;
	if (!s->staged || strcmp(hex, s->spki) != 0) {
		/* a crash between writing the key and its state */
		log_warnx("%s: %s without its state: staged now, not yet "
		    "published", name, TLSA_NEXT_KEY);
		memcpy(s->spki, hex, sizeof(hex));
		s->staged_at = now;
		s->published_at = 0;
		s->prev[0] = '\0';
	}
	s->staged = true;
	rc = 0;
out:
	if (rc == 0 && nextp != NULL) {
		*nextp = key;
		key = NULL;
	}
	EVP_PKEY_free(key);
	return rc;
}

int
tlsa_stage_load(struct store *st, const char *name, time_t now,
    struct tlsa_stage *s, EVP_PKEY **next, struct cd_err *err)
{
	int	 dfd, rc;

	if (next != NULL)
		*next = NULL;
	if ((dfd = cert_dir(st, name, err)) == -1)
		return -1;
	rc = stage_load_at(dfd, name, now, s, next, err);
	(void)close(dfd);
	return rc;
}

static int
stage_save_at(int dfd, const struct tlsa_stage *s, struct cd_err *err)
{
	char	*text = NULL;
	size_t	 len = 0;
	int	 rc;

	if (tlsa_stage_format(s, &text, &len, err) == -1)
		return -1;
	rc = file_replace(dfd, TLSA_NEXT_STATE, text, len, 0600, err);
	free(text);
	return rc;
}

/* The current private key of name and its SPKI hex. */
static int
current_key(struct store *st, const char *name, EVP_PKEY **key,
    char hex[TLSA_HEX_SIZE], struct cd_err *err)
{
	char	*pem = NULL;
	size_t	 len = 0;

	*key = NULL;
	if (store_cert_read(st, name, "privkey.pem", KEYS_PEM_MAX, &pem,
	    &len, err) == -1)
		return -1;
	*key = keys_from_pem(pem, len, err);
	keys_pem_free(pem, len);
	if (*key == NULL)
		return -1;
	if (tlsa_spki_hex(*key, hex, err) == -1) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return -1;
	}
	return 0;
}

static int
wanted_type(const struct tlsa_policy *p, EVP_PKEY *cur, const char *name,
    enum keys_type *kt, struct cd_err *err)
{
	if (p->key_type != NULL) {
		if (keys_type_parse(p->key_type, kt) == -1)
			return cd_err_set(err, CD_ECONFIG, "%s: unknown key "
			    "type \"%.32s\"", name, p->key_type);
		return 0;
	}
	if (keys_type_of(cur, kt) == -1)
		return cd_err_set(err, CD_ECONFIG, "%s: the current key is of "
		    "an unsupported type; set key_type", name);
	return 0;
}

/* Makes and saves a next key; s->staged must be false. */
static int
stage_new_at(int dfd, const char *name, const struct tlsa_policy *p,
    EVP_PKEY *cur, time_t now, struct tlsa_stage *s, EVP_PKEY **nextp,
    struct cd_err *err)
{
	EVP_PKEY	*key = NULL;
	enum keys_type	 kt;
	char		 hex[TLSA_HEX_SIZE];
	int		 rc = -1;

	if (wanted_type(p, cur, name, &kt, err) == -1 ||
	    (key = keys_generate(kt, err)) == NULL ||
	    tlsa_spki_hex(key, hex, err) == -1)
		goto out;
	/* O_EXCL: a next key is never overwritten */
	if (keys_save_new(dfd, TLSA_NEXT_KEY, key, err) == -1)
		goto out;
	s->staged = true;
	memcpy(s->spki, hex, sizeof(hex));
	s->staged_at = now;
	s->published_at = 0;
	s->prev[0] = '\0';
	if (stage_save_at(dfd, s, err) == -1) {
		(void)unlinkat(dfd, TLSA_NEXT_KEY, 0);
		s->staged = false;
		s->spki[0] = '\0';
		goto out;
	}
	log_notice("%s: staged a next %s key for the DANE rollover (TLSA "
	    "3 1 1 %s)", name, keys_type_name(kt), hex);
	if (nextp != NULL) {
		EVP_PKEY_free(*nextp);
		*nextp = key;
		key = NULL;
	}
	rc = 0;
out:
	EVP_PKEY_free(key);
	return rc;
}

/* Removes next.key, its state first (a crash in between leaves a key
 * without state: staged again, unpublished). */
static int
unstage_at(int dfd, const char *name, struct tlsa_stage *s,
    EVP_PKEY **nextp, struct cd_err *err)
{
	s->staged = false;
	s->spki[0] = s->prev[0] = '\0';
	s->staged_at = s->published_at = 0;
	if (stage_save_at(dfd, s, err) == -1)
		return -1;
	if (unlinkat(dfd, TLSA_NEXT_KEY, 0) == -1 && errno != ENOENT)
		return cd_err_sys(err, "certs/%s/%s: remove", name,
		    TLSA_NEXT_KEY);
	if (fsync(dfd) == -1)
		return cd_err_sys(err, "certs/%s: fsync", name);
	if (nextp != NULL) {
		EVP_PKEY_free(*nextp);
		*nextp = NULL;
	}
	return 0;
}

/*
 * Brings the stage in line with the current key: a staged key that the
 * current certificate already carries completes its roll (the key it
 * replaced is retired); a staged key of the wrong type is dropped; then a
 * next key is staged if none is. *finished: a roll was completed.
 */
static int
prepare_at(int dfd, const char *name, const struct tlsa_policy *p,
    EVP_PKEY *cur, const char *curhex, time_t now, struct tlsa_stage *s,
    EVP_PKEY **nextp, bool *finished, struct cd_err *err)
{
	enum keys_type	 want, have;
	char		 retired[TLSA_HEX_SIZE];

	*finished = false;
	if (s->staged && strcmp(s->spki, curhex) == 0) {
		memcpy(retired, s->prev[0] != '\0' ? s->prev : s->retired,
		    sizeof(retired));
		if (s->prev[0] != '\0')
			s->retired_at = now;
		memcpy(s->retired, retired, sizeof(retired));
		if (unstage_at(dfd, name, s, nextp, err) == -1)
			return -1;
		log_notice("%s: now using the staged key (TLSA 3 1 1 %s)",
		    name, curhex);
		*finished = true;
	}
	if (s->staged && p->key_type != NULL && nextp != NULL &&
	    *nextp != NULL) {
		if (wanted_type(p, cur, name, &want, err) == -1)
			return -1;
		if (keys_type_of(*nextp, &have) == -1 || have != want) {
			log_notice("%s: key_type is now %s: replacing the "
			    "staged next key", name, keys_type_name(want));
			if (unstage_at(dfd, name, s, nextp, err) == -1)
				return -1;
		}
	}
	if (!s->staged && stage_new_at(dfd, name, p, cur, now, s, nextp,
	    err) == -1)
		return -1;
	return 0;
}

int
tlsa_cert_names(struct store *st, const char *name, char ***out, size_t *n,
    struct cd_err *err)
{
	struct cert_info	 ci;
	char			*pem = NULL, **v = NULL;
	size_t			 len = 0, i, k = 0;
	int			 rc = -1;

	*out = NULL;
	*n = 0;
	memset(&ci, 0, sizeof(ci));
	if (store_cert_read(st, name, "cert.pem", CERT_CHAIN_MAX, &pem, &len,
	    err) == -1 || cert_info_pem(pem, len, &ci, err) == -1)
		goto out;
	if (ci.nnames > TLSA_NAMES_MAX) {
		cd_err_set(err, CD_EPROTO, "%s: more than %d names", name,
		    TLSA_NAMES_MAX);
		goto out;
	}
	if (ci.nnames > 0 && (v = calloc(ci.nnames, sizeof(*v))) == NULL) {
		cd_err_set(err, CD_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	for (i = 0; i < ci.nnames; i++) {
		/* TLSA records live under host names: no IPs, wildcards */
		if (util_is_ipaddr(ci.names[i]) ||
		    !util_is_dnsname(ci.names[i], false))
			continue;
		if ((v[k] = strdup(ci.names[i])) == NULL) {
			cd_err_set(err, CD_ENOMEM, "%s: out of memory", name);
			goto out;
		}
		util_lower(v[k++]);
	}
	*out = v;
	*n = k;
	v = NULL;
	rc = 0;
out:
	store_names_free(v, k);
	cert_info_clear(&ci);
	free(pem);
	return rc;
}

/* Runs the tlsa hook: HOOK add|del OWNER HEX. */
static int
run_hook(const struct tlsa_policy *p, const char *name, const char *action,
    const char *owner, const char *hex, struct cd_err *err)
{
	struct hooks_result	 res;
	char			 env[6][ENV_MAX], safe[4 * LOG_SAFE_MAX];
	const char		*argv[5], *envp[7], *out = "";
	unsigned		 to = p->hook_timeout > 0 ? p->hook_timeout :
	    HOOKS_TIMEOUT_DEFAULT;
	size_t			 i;
	int			 rc = -1;

	argv[0] = p->hook;
	argv[1] = action;
	argv[2] = owner;
	argv[3] = hex;
	argv[4] = NULL;
	(void)snprintf(env[0], ENV_MAX, "CERTD_ACTION=%s", action);
	(void)snprintf(env[1], ENV_MAX, "CERTD_NAME=%s", name);
	(void)snprintf(env[2], ENV_MAX, "CERTD_TLSA_NAME=%s", owner);
	(void)snprintf(env[3], ENV_MAX, "CERTD_TLSA_DATA=%s", hex);
	(void)snprintf(env[4], ENV_MAX, "CERTD_TLSA_TTL=%lld",
	    (long long)(p->ttl > 0 ? p->ttl : TLSA_TTL_DEFAULT));
	(void)snprintf(env[5], ENV_MAX, "CERTD_TIMEOUT=%u", to);
	for (i = 0; i < 6; i++)
		envp[i] = env[i];
	envp[6] = NULL;
	memset(&res, 0, sizeof(res));
	if (hooks_run(argv, envp, to, &res, err) == -1)
		goto out;
	if (res.output != NULL) {
		res.output[strcspn(res.output, "\n")] = '\0';
		out = log_safe(safe, sizeof(safe), res.output,
		    strlen(res.output));
	}
	if (res.timed_out)
		cd_err_set(err, CD_ETEMP, "%s: tlsa hook %s %s: timed out "
		    "after %u s", name, action, owner, to);
	else if (res.status == HOOKS_EX_TEMPFAIL)
		cd_err_set(err, CD_ETEMP, "%s: tlsa hook %s %s: temporary "
		    "failure%s%s", name, action, owner, *out != '\0' ? ": " :
		    "", out);
	else if (res.status != 0)
		cd_err_set(err, CD_ECONFIG, "%s: tlsa hook %s %s: exit %d%s%s",
		    name, action, owner, res.status, *out != '\0' ? ": " : "",
		    out);
	else
		rc = 0;
out:
	hooks_result_clear(&res);
	return rc;
}

/* Is the next key's record published at owner? Publishes it (and the
 * current key's) first when there is a hook. */
static enum tlsa_seen
check_owner(const struct tlsa_policy *p, const char *name, const char *owner,
    const char *cur, const char *next, time_t *ttl)
{
	struct tlsa_rrset	 set;
	struct cd_err		 e;

	if (p->hook != NULL) {
		/* "add" is idempotent (RFC 2136 §3.4.2.2): rerun each time */
		if (run_hook(p, name, "add", owner, cur, &e) == -1 ||
		    run_hook(p, name, "add", owner, next, &e) == -1) {
			log_warnx("%s", e.msg);
			return TLSA_UNKNOWN;
		}
		if (p->dns_server == NULL)
			return TLSA_SEEN;
	}
	if (tlsa_dns_query(p->dns_server, owner, &set, &e) == -1) {
		log_warnx("%s: %s", name, e.msg);
		return TLSA_UNKNOWN;
	}
	if (!tlsa_rrset_has(&set, cur))
		log_warnx("%s: %s has no TLSA 3 1 1 record for the current "
		    "key (%s)", name, owner, cur);
	if (!tlsa_rrset_has(&set, next)) {
		log_info("%s: %s: the next key's TLSA record is not "
		    "published yet", name, owner);
		return TLSA_ABSENT;
	}
	if ((time_t)set.ttl > *ttl)
		*ttl = (time_t)set.ttl;
	return TLSA_SEEN;
}

/* The combined answer for every name: ABSENT wins over UNKNOWN. */
static enum tlsa_seen
check_all(const struct tlsa_policy *p, const char *name, char **names,
    size_t n, const char *cur, const char *next, time_t *ttl)
{
	enum tlsa_seen	 all = TLSA_SEEN, r;
	char		 owner[TLSA_OWNER_MAX];
	struct cd_err	 e;
	size_t		 i;

	*ttl = 0;
	if (n == 0) {
		log_warnx("%s: no DNS name for TLSA records: keeping the "
		    "current key", name);
		return TLSA_UNKNOWN;
	}
	for (i = 0; i < n; i++) {
		if (tlsa_owner(names[i], p->port, p->proto, owner,
		    sizeof(owner), &e) == -1) {
			log_warnx("%s: %s", name, e.msg);
			r = TLSA_UNKNOWN;
		} else
			r = check_owner(p, name, owner, cur, next, ttl);
		if (r == TLSA_ABSENT)
			all = TLSA_ABSENT;
		else if (r == TLSA_UNKNOWN && all == TLSA_SEEN)
			all = TLSA_UNKNOWN;
	}
	return all;
}

/* With a hook: deletes the retired key's records once the margin has
 * passed since the roll (every cache has dropped the old RRset). */
static void
retire_old(const struct tlsa_policy *p, const char *name, char **names,
    size_t n, struct tlsa_stage *s, const char *cur, time_t now)
{
	char		 owner[TLSA_OWNER_MAX];
	struct cd_err	 e;
	size_t		 i;

	if (p->hook == NULL || p->keep_retired || s->retired[0] == '\0' ||
	    now - s->retired_at < tlsa_margin(p, s))
		return;
	if (strcmp(s->retired, cur) == 0 ||
	    (s->staged && strcmp(s->retired, s->spki) == 0)) {
		s->retired[0] = '\0';	/* back in use: never delete it */
		return;
	}
	for (i = 0; i < n; i++)
		if (tlsa_owner(names[i], p->port, p->proto, owner,
		    sizeof(owner), &e) == -1 ||
		    run_hook(p, name, "del", owner, s->retired, &e) == -1) {
			log_warnx("%s", e.msg);
			return;
		}
	log_notice("%s: removed the retired key's TLSA records (%s)", name,
	    s->retired);
	s->retired[0] = '\0';
	s->retired_at = 0;
}

/* The records to publish, at notice level (DNS mode, after staging). */
static void
log_records(const struct tlsa_policy *p, const char *name, char **names,
    size_t n, const char *hex)
{
	char		 owner[TLSA_OWNER_MAX];
	size_t		 i;

	for (i = 0; i < n; i++)
		if (tlsa_owner(names[i], p->port, p->proto, owner,
		    sizeof(owner), NULL) == 0)
			log_notice("%s: publish %s IN TLSA 3 1 1 %s", name,
			    owner, hex);
}

int
tlsa_rollover_key(struct store *st, const char *name,
    const struct tlsa_policy *p, time_t now, EVP_PKEY **keyp, bool *rolled,
    struct cd_err *err)
{
	struct tlsa_stage	 s;
	struct cd_err		 e;
	enum tlsa_state		 state;
	enum tlsa_seen		 seen;
	EVP_PKEY		*cur = NULL, *next = NULL;
	char			 curhex[TLSA_HEX_SIZE], **names = NULL;
	size_t			 nnames = 0;
	time_t			 ttl = 0;
	bool			 finished, roll;
	int			 dfd = -1, rc = -1;

	*keyp = NULL;
	*rolled = false;
	if (!p->dane)
		return 0;
	if (current_key(st, name, &cur, curhex, &e) == -1) {
		if (e.kind == CD_ENOTFOUND)
			return 0;	/* first issuance: any new key */
		if (err != NULL)
			*err = e;
		return -1;
	}
	if ((dfd = cert_dir(st, name, err)) == -1 ||
	    stage_load_at(dfd, name, now, &s, &next, err) == -1 ||
	    prepare_at(dfd, name, p, cur, curhex, now, &s, &next, &finished,
	    err) == -1 ||
	    tlsa_cert_names(st, name, &names, &nnames, err) == -1)
		goto out;
	seen = check_all(p, name, names, nnames, curhex, s.spki, &ttl);
	tlsa_observe(&s, seen, ttl, now);
	retire_old(p, name, names, nnames, &s, curhex, now);
	state = tlsa_state_of(&s, p, now);
	roll = tlsa_should_roll(&s, p, seen, now);
	if (roll)
		memcpy(s.prev, curhex, sizeof(curhex));
	if (stage_save_at(dfd, &s, err) == -1)
		goto out;
	if (roll) {
		log_notice("%s: the next key's TLSA record has been published "
		    "for %lld s (margin %lld s): renewing with it", name,
		    (long long)(now - s.published_at),
		    (long long)tlsa_margin(p, &s));
		*keyp = next;
		next = NULL;
		*rolled = true;
	} else {
		if (state == TLSA_ST_PUBLISHED)
			log_warnx("%s: keeping the current key: the next "
			    "key's TLSA record could not be confirmed now",
			    name);
		else if (state == TLSA_ST_PUBLISHING)
			log_info("%s: keeping the current key: the next key's "
			    "TLSA record is published since %lld s, the "
			    "margin is %lld s", name,
			    (long long)(now - s.published_at),
			    (long long)tlsa_margin(p, &s));
		else if (state == TLSA_ST_STAGED &&
		    now - s.staged_at >= TLSA_NAG_AFTER)
			log_warnx("%s: keeping the current key: the next key, "
			    "staged %lld days ago, has no TLSA record in DNS "
			    "yet", name, (long long)((now - s.staged_at) /
			    86400));
		else
			log_info("%s: keeping the current key: the next key "
			    "is %s", name, tlsa_state_name(state));
		if ((finished || (state == TLSA_ST_STAGED &&
		    now - s.staged_at >= TLSA_NAG_AFTER)) && p->hook == NULL)
			log_records(p, name, names, nnames, s.spki);
		*keyp = cur;
		cur = NULL;
	}
	rc = 0;
out:
	if (dfd != -1)
		(void)close(dfd);
	store_names_free(names, nnames);
	EVP_PKEY_free(cur);
	EVP_PKEY_free(next);
	return rc;
}

/* Stage (and for commit, publish through the hook) with the lock held. */
static int
stage_and_publish(struct store *st, const char *name,
    const struct tlsa_policy *p, bool rolled, bool publish, time_t now,
    bool *staged, struct cd_err *err)
{
	struct tlsa_stage	 s;
	EVP_PKEY		*cur = NULL, *next = NULL;
	char			 curhex[TLSA_HEX_SIZE], **names = NULL;
	size_t			 nnames = 0;
	time_t			 ttl = 0;
	bool			 finished, was;
	int			 dfd = -1, rc = -1;

	if (staged != NULL)
		*staged = false;
	if (current_key(st, name, &cur, curhex, err) == -1 ||
	    (dfd = cert_dir(st, name, err)) == -1 ||
	    stage_load_at(dfd, name, now, &s, &next, err) == -1)
		goto out;
	if (rolled && !(s.staged && strcmp(s.spki, curhex) == 0)) {
		cd_err_set(err, CD_EPROTO, "%s: the renewed certificate does "
		    "not carry the staged next key", name);
		goto out;
	}
	was = s.staged;
	if (prepare_at(dfd, name, p, cur, curhex, now, &s, &next, &finished,
	    err) == -1)
		goto out;
	if (staged != NULL)
		*staged = !was || finished;
	if (!publish || !(!was || finished))
		goto done;
	if (tlsa_cert_names(st, name, &names, &nnames, err) == -1)
		goto out;
	if (p->hook == NULL) {
		log_records(p, name, names, nnames, s.spki);
		goto done;
	}
	/* best effort: a failure is logged, the next run publishes again */
	tlsa_observe(&s, check_all(p, name, names, nnames, curhex, s.spki,
	    &ttl), ttl, now);
	if (stage_save_at(dfd, &s, err) == -1)
		goto out;
done:
	rc = 0;
out:
	if (dfd != -1)
		(void)close(dfd);
	store_names_free(names, nnames);
	EVP_PKEY_free(cur);
	EVP_PKEY_free(next);
	return rc;
}

int
tlsa_rollover_commit(struct store *st, const char *name,
    const struct tlsa_policy *p, bool rolled, time_t now, struct cd_err *err)
{
	if (!p->dane)
		return 0;
	return stage_and_publish(st, name, p, rolled, true, now, NULL, err);
}

int
tlsa_stage_ensure(struct store *st, const char *name,
    const struct tlsa_policy *p, time_t now, bool *staged,
    struct cd_err *err)
{
	*staged = false;
	if (!p->dane)
		return 0;
	return stage_and_publish(st, name, p, false, false, now, staged, err);
}
