/*
 * json.c - ACME message bodies. Parses untrusted JSON from the ACME server
 * into owning structs (bounded, type-checked, unknown members ignored as
 * RFC 8555 §7.1 requires) and builds request bodies with jansson. Builder
 * arguments come from our own callers and are checked only for shape.
 * This is the only file that includes jansson.h.
 */
#include "acme_int.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#define DNSNAME_MAX	253	/* bytes, RFC 1035 */
#define DNSLABEL_MAX	63	/* bytes */
#define IPADDR_MAX	45	/* bytes, longest textual IPv6 address */
#define PROFILE_MAX	64	/* bytes in a profile name */
#define CHTYPE_MAX	64	/* bytes in a challenge type name */
#define TIME_MAX	64	/* bytes in an RFC 3339 timestamp */
#define FRAC_MAX	9	/* digits of fractional seconds */
#define LABEL_MAX	128	/* bytes of context in an error message */
#define ELEM_MAX	48	/* bytes of "member[index]" in a message */
#define SHOW_MAX	64	/* bytes of untrusted text in a message */

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 8555 §7.1.6: the states each kind of object can be in */
#define ST(s)		(1u << (s))
#define ST_ACCOUNT	(ST(ACME_ST_VALID) | ST(ACME_ST_DEACTIVATED) | \
			    ST(ACME_ST_REVOKED))
#define ST_ORDER	(ST(ACME_ST_PENDING) | ST(ACME_ST_READY) | \
			    ST(ACME_ST_PROCESSING) | ST(ACME_ST_VALID) | \
			    ST(ACME_ST_INVALID))
#define ST_AUTHZ	(ST(ACME_ST_PENDING) | ST(ACME_ST_VALID) | \
			    ST(ACME_ST_INVALID) | ST(ACME_ST_DEACTIVATED) | \
			    ST(ACME_ST_EXPIRED) | ST(ACME_ST_REVOKED))
#define ST_CHALL	(ST(ACME_ST_PENDING) | ST(ACME_ST_PROCESSING) | \
			    ST(ACME_ST_VALID) | ST(ACME_ST_INVALID))

enum jtype {
	T_STRING,
	T_INTEGER,
	T_BOOL,
	T_ARRAY,
	T_OBJECT,
};

static const char *const jtype_names[] = {
	[T_STRING] = "a string",
	[T_INTEGER] = "an integer",
	[T_BOOL] = "a boolean",
	[T_ARRAY] = "an array",
	[T_OBJECT] = "an object",
};

static const char *const status_names[] = {
	[ACME_ST_UNRECOGNIZED] = "unrecognized",
	[ACME_ST_PENDING] = "pending",
	[ACME_ST_READY] = "ready",
	[ACME_ST_PROCESSING] = "processing",
	[ACME_ST_VALID] = "valid",
	[ACME_ST_INVALID] = "invalid",
	[ACME_ST_DEACTIVATED] = "deactivated",
	[ACME_ST_EXPIRED] = "expired",
	[ACME_ST_REVOKED] = "revoked",
};

/* RFC 5280 §5.3.1 CRLReason; 7 is unused */
static const struct {
	const char	*name;
	int		 code;
} reasons[] = {
	{ "unspecified", 0 },
	{ "keyCompromise", 1 },
	{ "cACompromise", 2 },
	{ "affiliationChanged", 3 },
	{ "superseded", 4 },
	{ "cessationOfOperation", 5 },
	{ "certificateHold", 6 },
	{ "removeFromCRL", 8 },
	{ "privilegeWithdrawn", 9 },
	{ "aACompromise", 10 },
};

static const struct {
	const char		*name;
	enum acme_chall_type	 type;
} chall_types[] = {
	{ "http-01", ACME_CH_HTTP01 },
	{ "dns-01", ACME_CH_DNS01 },
	{ "tls-alpn-01", ACME_CH_TLSALPN01 },
};

/* ---- small helpers */

static int
nomem(struct acme_err *err, const char *ctx)
{
	return acme_err_set(err, ACME_ENOMEM, "%s: out of memory", ctx);
}

/* "ctx: name" or "ctx: name[i]"; a truncated label only shortens a
 * message, so truncation is not an error here */
static const char *
label(char *buf, size_t size, const char *ctx, const char *name, size_t i)
{
	if (i == SIZE_MAX)
		(void)snprintf(buf, size, "%s: %s", ctx, name);
	else
		(void)snprintf(buf, size, "%s: %s[%zu]", ctx, name, i);
	return buf;
}

/* "name[i]", for messages about array elements */
static const char *
elem(char *buf, size_t size, const char *name, size_t i)
{
	(void)snprintf(buf, size, "%s[%zu]", name, i);
	return buf;
}

static int
bad_type(struct acme_err *err, const char *ctx, const char *name,
    enum jtype t)
{
	return acme_err_set(err, ACME_EPROTO, "%s: member \"%s\": not %s",
	    ctx, name, jtype_names[t]);
}

static bool
has_type(const json_t *v, enum jtype t)
{
	switch (t) {
	case T_STRING:
		return json_is_string(v);
	case T_INTEGER:
		return json_is_integer(v);
	case T_BOOL:
		return json_is_boolean(v);
	case T_ARRAY:
		return json_is_array(v);
	case T_OBJECT:
		return json_is_object(v);
	}
	return false;
}

/* Printable ASCII without space: the alphabet of URLs and URNs. */
static bool
is_graph(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static bool
str_is(const json_t *v, const char *lit)
{
	size_t	 n = strlen(lit);

	return json_string_length(v) == n &&
	    memcmp(json_string_value(v), lit, n) == 0;
}

static int
mem_dup(const char *s, size_t len, const char *ctx, char **out,
    struct acme_err *err)
{
	if ((*out = malloc(len + 1)) == NULL)
		return nomem(err, ctx);
	memcpy(*out, s, len);
	(*out)[len] = '\0';
	return 0;
}

/*
 * Looks up obj[name] and checks its type. An absent optional member
 * gives *out == NULL and 0. JSON null is a wrong type, not absence.
 */
static int
member(json_t *obj, const char *ctx, const char *name, enum jtype t,
    bool required, json_t **out, struct acme_err *err)
{
	json_t	*v;

	*out = NULL;
	if ((v = json_object_get(obj, name)) == NULL) {
		if (!required)
			return 0;
		return acme_err_set(err, ACME_EPROTO,
		    "%s: member \"%s\": missing", ctx, name);
	}
	if (!has_type(v, t))
		return bad_type(err, ctx, name, t);
	*out = v;
	return 0;
}

/* The borrowed text of string v, refusing NUL bytes and len > max. */
static int
text_of(json_t *v, const char *ctx, const char *name, size_t max,
    const char **s, size_t *len, struct acme_err *err)
{
	if (!json_is_string(v))
		return bad_type(err, ctx, name, T_STRING);
	*s = json_string_value(v);
	*len = json_string_length(v);
	/* jansson refuses \u0000 unless JSON_ALLOW_NUL; check anyway */
	if (memchr(*s, '\0', *len) != NULL)
		return acme_err_set(err, ACME_EPROTO,
		    "%s: member \"%s\": NUL byte", ctx, name);
	if (*len > max)
		return acme_err_set(err, ACME_EPROTO,
		    "%s: member \"%s\": longer than %zu bytes", ctx, name, max);
	return 0;
}

/* A copy of a non-empty string of printable ASCII (no space), <= max. */
static int
graph_dup(json_t *v, const char *ctx, const char *name, size_t max,
    char **out, struct acme_err *err)
{
	const char	*s;
	size_t		 len;

	if (text_of(v, ctx, name, max, &s, &len, err) == -1)
		return -1;
	if (len == 0 || !is_graph(s, len))
		return acme_err_set(err, ACME_EPROTO, "%s: member \"%s\": "
		    "empty, or holds a space, control or non-ASCII byte",
		    ctx, name);
	return mem_dup(s, len, ctx, out, err);
}

static int
graph_member(json_t *obj, const char *ctx, const char *name, bool required,
    size_t max, char **out, struct acme_err *err)
{
	json_t	*v;

	if (member(obj, ctx, name, T_STRING, required, &v, err) == -1)
		return -1;
	return v == NULL ? 0 : graph_dup(v, ctx, name, max, out, err);
}

/*
 * The one place that accepts a URL from the server: a string of at most
 * ACME_URL_MAX printable ASCII bytes, https:// (or http:// for test
 * servers when allow_http) followed by a host.
 */
static int
url_dup(json_t *v, bool allow_http, const char *ctx, const char *name,
    char **out, struct acme_err *err)
{
	const char	*s;
	size_t		 len, hl;

	if (text_of(v, ctx, name, ACME_URL_MAX, &s, &len, err) == -1)
		return -1;
	if (!is_graph(s, len))
		return acme_err_set(err, ACME_EPROTO, "%s: member \"%s\": "
		    "space, control or non-ASCII byte in URL", ctx, name);
	if (len >= 8 && memcmp(s, "https://", 8) == 0)
		hl = 8;
	else if (allow_http && len >= 7 && memcmp(s, "http://", 7) == 0)
		hl = 7;
	else
		return acme_err_set(err, ACME_EPROTO,
		    "%s: member \"%s\": not an %s URL", ctx, name,
		    allow_http ? "http(s)" : "https");
	if (len == hl || s[hl] == '/' || s[hl] == '?' || s[hl] == '#')
		return acme_err_set(err, ACME_EPROTO,
		    "%s: member \"%s\": URL without a host", ctx, name);
	return mem_dup(s, len, ctx, out, err);
}

static int
url_member(json_t *obj, const char *ctx, const char *name, bool required,
    bool allow_http, char **out, struct acme_err *err)
{
	json_t	*v;

	if (member(obj, ctx, name, T_STRING, required, &v, err) == -1)
		return -1;
	return v == NULL ? 0 : url_dup(v, allow_http, ctx, name, out, err);
}

static int
status_member(json_t *obj, const char *ctx, unsigned allowed,
    enum acme_status *st, struct acme_err *err)
{
	char	 show[SHOW_MAX];
	json_t	*v;
	size_t	 i;

	if (member(obj, ctx, "status", T_STRING, true, &v, err) == -1)
		return -1;
	for (i = ACME_ST_PENDING; i < NITEMS(status_names); i++)
		if (str_is(v, status_names[i]))
			break;
	if (i == NITEMS(status_names) || (allowed & ST(i)) == 0) {
		acme_safe_str(show, sizeof(show), json_string_value(v),
		    json_string_length(v));
		return acme_err_set(err, ACME_EPROTO, "%s: member \"status\": "
		    "%s status \"%s\"", ctx, i == NITEMS(status_names) ?
		    "unknown" : "unexpected", show);
	}
	*st = (enum acme_status)i;
	return 0;
}

/* ---- RFC 3339 timestamps */

static bool
digits(const char *s, size_t n, int *v)
{
	size_t	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * RFC 3339 §5.6 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm),
 * T and Z in either case, at most FRAC_MAX fractional digits (dropped).
 * Years before 1970 are refused.
 */
static int
rfc3339_parse(const char *s, size_t len, time_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	struct tm	 tm;
	int		 year, mon, mday, hour, min, sec, oh = 0, om = 0;
	int		 sign = 0, leap;
	size_t		 i, n;
	time_t		 t;

	if (len < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return -1;
	if (!digits(s, 4, &year) || !digits(s + 5, 2, &mon) ||
	    !digits(s + 8, 2, &mday) || !digits(s + 11, 2, &hour) ||
	    !digits(s + 14, 2, &min) || !digits(s + 17, 2, &sec))
		return -1;
	i = 19;
	if (s[i] == '.') {
		for (i++, n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			n++;
		if (n == 0 || n > FRAC_MAX)
			return -1;
	}
	if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z'))
		sign = 0;
	else if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
	    s[i + 3] == ':' && digits(s + i + 1, 2, &oh) &&
	    digits(s + i + 4, 2, &om))
		sign = s[i] == '+' ? 1 : -1;
	else
		return -1;
	if (year < 1970 || mon < 1 || mon > 12 || mday < 1 || hour > 23 ||
	    min > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (mday > mdays[mon - 1] + (mon == 2 && leap))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;	/* a leap second (60) becomes the next minute */
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
}

static int
time_member(json_t *obj, const char *ctx, const char *name, time_t *out,
    struct acme_err *err)
{
	const char	*s;
	json_t		*v;
	size_t		 len;

	if (member(obj, ctx, name, T_STRING, false, &v, err) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if (text_of(v, ctx, name, TIME_MAX, &s, &len, err) == -1)
		return -1;
	if (rfc3339_parse(s, len, out) == -1)
		return acme_err_set(err, ACME_EPROTO,
		    "%s: member \"%s\": not an RFC 3339 timestamp", ctx, name);
	return 0;
}

/* ---- identifiers */

static bool
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/* LDH labels of 1..63 bytes, no hyphen at either end, no trailing dot,
 * <= 253 bytes in all; "*." first when allow_wild. */
static bool
dnsname_ok(const char *s, size_t len, bool allow_wild)
{
	size_t	 i, lab = 0;

	if (len > DNSNAME_MAX)
		return false;
	if (allow_wild && len > 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return false;
			lab = 0;
			continue;
		}
		if (!is_ldh((unsigned char)s[i]) || (lab == 0 && s[i] == '-') ||
		    ++lab > DNSLABEL_MAX)
			return false;
	}
	return lab > 0 && s[len - 1] != '-';
}

/* RFC 8738: the textual form of an IPv4 or IPv6 address. */
static bool
ipaddr_ok(const char *s, size_t len)
{
	char		 buf[IPADDR_MAX + 1];
	unsigned char	 bin[16];

	if (len == 0 || len > IPADDR_MAX || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, bin) == 1 ||
	    inet_pton(AF_INET6, buf, bin) == 1;
}

static bool
profile_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > PROFILE_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!is_ldh((unsigned char)s[i]) && s[i] != '.' && s[i] != '_')
			return false;
	return true;
}

/* how much an identifier is checked */
enum idmode {
	ID_EXACT,	/* a name or address, no wildcard (authz) */
	ID_WILD,	/* "*." allowed first (order) */
	ID_ECHO,	/* in a problem: any type and text, for messages only */
};

/*
 * v is ctx's member name: {"type": "dns"|"ip", "value": ...}. In ID_ECHO
 * mode the server may be quoting a name it refused ("_example.org" in
 * RFC 8555 §6.7.1): another type leaves id->type 0 and the value is kept
 * as text for acme_err_problem() to escape.
 */
static int
ident_from(json_t *v, const char *ctx, const char *name, enum idmode mode,
    struct acme_ident *id, struct acme_err *err)
{
	char		 sub[LABEL_MAX], show[SHOW_MAX];
	const char	*s;
	json_t		*t, *val;
	size_t		 len;
	bool		 ok;

	if (!json_is_object(v))
		return bad_type(err, ctx, name, T_OBJECT);
	label(sub, sizeof(sub), ctx, name, SIZE_MAX);
	if (member(v, sub, "type", T_STRING, true, &t, err) == -1 ||
	    member(v, sub, "value", T_STRING, true, &val, err) == -1)
		return -1;
	if (str_is(t, "dns"))
		id->type = ACME_ID_DNS;
	else if (str_is(t, "ip"))
		id->type = ACME_ID_IP;
	else if (mode != ID_ECHO) {
		acme_safe_str(show, sizeof(show), json_string_value(t),
		    json_string_length(t));
		return acme_err_set(err, ACME_EPROTO, "%s: member \"type\": "
		    "unsupported identifier type \"%s\"", sub, show);
	}
	if (text_of(val, sub, "value", mode == ID_ECHO ? ACME_TEXT_MAX :
	    DNSNAME_MAX, &s, &len, err) == -1)
		return -1;
	if (mode == ID_ECHO)
		ok = true;
	else if (id->type == ACME_ID_DNS)
		ok = dnsname_ok(s, len, mode == ID_WILD);
	else
		ok = ipaddr_ok(s, len);
	if (!ok) {
		acme_safe_str(show, sizeof(show), s, len);
		return acme_err_set(err, ACME_EPROTO, "%s: member \"value\": "
		    "bad %s identifier \"%s\"", sub,
		    id->type == ACME_ID_DNS ? "dns" : "ip", show);
	}
	return mem_dup(s, len, sub, &id->value, err);
}

/* ---- problem documents (RFC 7807, RFC 8555 §6.7) */

/* "type" is a URI; RFC 7807 §3.1: absent means "about:blank" */
static int
ptype_dup(json_t *o, const char *ctx, char **out, struct acme_err *err)
{
	json_t	*v;

	if (member(o, ctx, "type", T_STRING, false, &v, err) == -1)
		return -1;
	if (v == NULL)
		return mem_dup("about:blank", 11, ctx, out, err);
	return graph_dup(v, ctx, "type", ACME_TEXT_MAX, out, err);
}

/* "detail" is copied truncated to ACME_TEXT_MAX bytes at a character
 * boundary: a long message must not hide the problem behind it */
static int
detail_dup(json_t *o, const char *ctx, char **out, struct acme_err *err)
{
	const char	*s;
	json_t		*v;
	size_t		 len;

	if (member(o, ctx, "detail", T_STRING, false, &v, err) == -1)
		return -1;
	if (v == NULL)
		return 0;
	if (text_of(v, ctx, "detail", SIZE_MAX, &s, &len, err) == -1)
		return -1;
	if (len > ACME_TEXT_MAX) {
		/* jansson checked the UTF-8: back up over continuations */
		len = ACME_TEXT_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	return mem_dup(s, len, ctx, out, err);
}

static int
problem_from(json_t *o, const char *ctx, struct acme_problem **out,
    struct acme_err *err)
{
	struct acme_problem	*p;
	char			 sub[LABEL_MAX], nm[ELEM_MAX];
	json_t			*v, *subs, *e;
	json_int_t		 code;
	size_t			 i, n;
	int			 rc = -1;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return nomem(err, ctx);
	if (ptype_dup(o, ctx, &p->type, err) == -1 ||
	    detail_dup(o, ctx, &p->detail, err) == -1 ||
	    member(o, ctx, "status", T_INTEGER, false, &v, err) == -1)
		goto out;
	if (v != NULL) {
		code = json_integer_value(v);
		if (code < 100 || code > 599) {
			acme_err_set(err, ACME_EPROTO, "%s: member \"status\": "
			    "%lld is not an HTTP status", ctx, (long long)code);
			goto out;
		}
		p->status = (int)code;
	}
	if (member(o, ctx, "subproblems", T_ARRAY, false, &subs, err) == -1)
		goto out;
	if (subs != NULL && (n = json_array_size(subs)) > 0) {
		if (n > ACME_SUBPROBLEMS_MAX) {
			acme_err_set(err, ACME_EPROTO, "%s: member "
			    "\"subproblems\": more than %d entries", ctx,
			    ACME_SUBPROBLEMS_MAX);
			goto out;
		}
		if ((p->sub = calloc(n, sizeof(*p->sub))) == NULL) {
			nomem(err, ctx);
			goto out;
		}
		p->nsub = n;
		json_array_foreach(subs, i, e) {
			if (!json_is_object(e)) {
				bad_type(err, ctx, elem(nm, sizeof(nm),
				    "subproblems", i), T_OBJECT);
				goto out;
			}
			label(sub, sizeof(sub), ctx, "subproblems", i);
			if (ptype_dup(e, sub, &p->sub[i].type, err) == -1 ||
			    detail_dup(e, sub, &p->sub[i].detail, err) == -1 ||
			    member(e, sub, "identifier", T_OBJECT, false, &v,
			    err) == -1)
				goto out;
			if (v != NULL && ident_from(v, sub, "identifier",
			    ID_ECHO, &p->sub[i].ident, err) == -1)
				goto out;
		}
	}
	*out = p;
	rc = 0;
out:
	if (rc == -1)
		acme_problem_free(p);
	return rc;
}

static int
problem_member(json_t *obj, const char *ctx, struct acme_problem **out,
    struct acme_err *err)
{
	char	 sub[LABEL_MAX];
	json_t	*v;

	if (member(obj, ctx, "error", T_OBJECT, false, &v, err) == -1)
		return -1;
	if (v == NULL)
		return 0;
	return problem_from(v, label(sub, sizeof(sub), ctx, "error", SIZE_MAX),
	    out, err);
}

/* ---- challenges (RFC 8555 §8) */

static int
challenge_from(json_t *o, const char *ctx, bool allow_http,
    struct acme_challenge *c, struct acme_err *err)
{
	const char	*s;
	json_t		*v;
	size_t		 i, len;

	if (member(o, ctx, "type", T_STRING, true, &v, err) == -1 ||
	    graph_dup(v, ctx, "type", CHTYPE_MAX, &c->type_name, err) == -1)
		return -1;
	c->type = ACME_CH_OTHER;	/* kept: the caller may pick another */
	for (i = 0; i < NITEMS(chall_types); i++)
		if (strcmp(c->type_name, chall_types[i].name) == 0)
			c->type = chall_types[i].type;
	if (url_member(o, ctx, "url", true, allow_http, &c->url, err) == -1 ||
	    status_member(o, ctx, ST_CHALL, &c->status, err) == -1 ||
	    problem_member(o, ctx, &c->error, err) == -1)
		return -1;
	if (c->type == ACME_CH_OTHER)
		return 0;	/* its token, if any, has unknown rules */
	/* the token ends up in file names and DNS records: base64url only */
	if (member(o, ctx, "token", T_STRING, true, &v, err) == -1 ||
	    text_of(v, ctx, "token", ACME_TOKEN_MAX, &s, &len, err) == -1)
		return -1;
	if (len == 0 || !acme_b64url_is_valid(s, len))
		return acme_err_set(err, ACME_EPROTO,
		    "%s: member \"token\": not base64url", ctx);
	return mem_dup(s, len, ctx, &c->token, err);
}

/* ---- parsers */

static json_t *
load(const void *body, size_t len, const char *ctx, struct acme_err *err)
{
	char		 show[JSON_ERROR_TEXT_LENGTH];
	json_error_t	 jerr;
	json_t		*root;

	if (body == NULL)
		body = "";
	/* bound first, then allocate */
	if (len > ACME_JSON_MAX) {
		acme_err_set(err, ACME_EPROTO, "%s: body of %zu bytes exceeds "
		    "%d", ctx, len, ACME_JSON_MAX);
		return NULL;
	}
	if (memchr(body, '\0', len) != NULL) {
		acme_err_set(err, ACME_EPROTO, "%s: NUL byte in body", ctx);
		return NULL;
	}
	/* no JSON_ALLOW_NUL: "\u0000" is refused too */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (json_error_code(&jerr) == json_error_out_of_memory) {
			nomem(err, ctx);
			return NULL;
		}
		/* the text may quote the body */
		acme_safe_str(show, sizeof(show), jerr.text, strlen(jerr.text));
		acme_err_set(err, ACME_EPROTO, "%s: bad JSON at offset %d: %s",
		    ctx, jerr.position, show);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		acme_err_set(err, ACME_EPROTO, "%s: not a JSON object", ctx);
		return NULL;
	}
	return root;
}

static int
meta_parse(json_t *meta, struct acme_directory *d, struct acme_err *err)
{
	static const char	 ctx[] = "directory: meta";
	static const char	 pctx[] = "directory: meta: profiles";
	char			 show[SHOW_MAX];
	const char		*key;
	json_t			*v, *profiles;
	size_t			 n;

	if (graph_member(meta, ctx, "termsOfService", false, ACME_URL_MAX,
	    &d->terms_of_service, err) == -1 ||
	    graph_member(meta, ctx, "website", false, ACME_URL_MAX,
	    &d->website, err) == -1 ||
	    member(meta, ctx, "externalAccountRequired", T_BOOL, false, &v,
	    err) == -1)
		return -1;
	d->eab_required = v != NULL && json_is_true(v);
	if (member(meta, ctx, "profiles", T_OBJECT, false, &profiles,
	    err) == -1)
		return -1;
	if (profiles == NULL || (n = json_object_size(profiles)) == 0)
		return 0;
	if (n > ACME_PROFILES_MAX)
		return acme_err_set(err, ACME_EPROTO, "%s: member "
		    "\"profiles\": more than %d entries", ctx,
		    ACME_PROFILES_MAX);
	if ((d->profiles = calloc(n, sizeof(*d->profiles))) == NULL)
		return nomem(err, ctx);
	/* jansson keeps object members in the order they were sent */
	json_object_foreach(profiles, key, v) {
		if (!profile_ok(key, strlen(key))) {
			acme_safe_str(show, sizeof(show), key, strlen(key));
			return acme_err_set(err, ACME_EPROTO, "%s: bad profile "
			    "name \"%s\"", pctx, show);
		}
		if (!json_is_string(v))		/* a description */
			return bad_type(err, pctx, key, T_STRING);
		if (mem_dup(key, strlen(key), ctx,
		    &d->profiles[d->nprofiles], err) == -1)
			return -1;
		d->nprofiles++;
	}
	return 0;
}

int
acme_json_directory(const void *body, size_t len, bool allow_http,
    struct acme_directory *d, struct acme_err *err)
{
	static const char	 ctx[] = "directory";
	json_t			*root, *meta;
	int			 rc = -1;

	memset(d, 0, sizeof(*d));
	if ((root = load(body, len, ctx, err)) == NULL)
		return -1;
	/* RFC 8555 §7.1.1; newAuthz is optional, renewalInfo is RFC 9773 */
	if (url_member(root, ctx, "newNonce", true, allow_http,
	    &d->new_nonce, err) == -1 ||
	    url_member(root, ctx, "newAccount", true, allow_http,
	    &d->new_account, err) == -1 ||
	    url_member(root, ctx, "newOrder", true, allow_http,
	    &d->new_order, err) == -1 ||
	    url_member(root, ctx, "newAuthz", false, allow_http,
	    &d->new_authz, err) == -1 ||
	    url_member(root, ctx, "revokeCert", true, allow_http,
	    &d->revoke_cert, err) == -1 ||
	    url_member(root, ctx, "keyChange", true, allow_http,
	    &d->key_change, err) == -1 ||
	    url_member(root, ctx, "renewalInfo", false, allow_http,
	    &d->renewal_info, err) == -1 ||
	    member(root, ctx, "meta", T_OBJECT, false, &meta, err) == -1)
		goto out;
	if (meta != NULL && meta_parse(meta, d, err) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		acme_directory_clear(d);
	json_decref(root);	/* strings were copied */
	return rc;
}

int
acme_json_account(const void *body, size_t len, bool allow_http,
    struct acme_account *a, struct acme_err *err)
{
	static const char	 ctx[] = "account";
	char			 nm[ELEM_MAX];
	json_t			*root, *contact, *v;
	size_t			 i, n;
	int			 rc = -1;

	memset(a, 0, sizeof(*a));
	if ((root = load(body, len, ctx, err)) == NULL)
		return -1;
	/* RFC 8555 §7.1.2; the account URL comes from Location */
	if (status_member(root, ctx, ST_ACCOUNT, &a->status, err) == -1 ||
	    member(root, ctx, "contact", T_ARRAY, false, &contact, err) == -1 ||
	    url_member(root, ctx, "orders", false, allow_http, &a->orders,
	    err) == -1)
		goto out;
	if (contact != NULL && (n = json_array_size(contact)) > 0) {
		if (n > ACME_CONTACT_MAX) {
			acme_err_set(err, ACME_EPROTO, "%s: member "
			    "\"contact\": more than %d entries", ctx,
			    ACME_CONTACT_MAX);
			goto out;
		}
		if ((a->contact = calloc(n, sizeof(*a->contact))) == NULL) {
			nomem(err, ctx);
			goto out;
		}
		a->ncontact = n;
		json_array_foreach(contact, i, v) {
			if (graph_dup(v, ctx, elem(nm, sizeof(nm), "contact",
			    i), ACME_URL_MAX, &a->contact[i], err) == -1)
				goto out;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		acme_account_clear(a);
	json_decref(root);
	return rc;
}

int
acme_json_order(const void *body, size_t len, bool allow_http,
    struct acme_order *o, struct acme_err *err)
{
	static const char	 ctx[] = "order";
	char			 nm[ELEM_MAX], show[SHOW_MAX];
	const char		*s;
	json_t			*root, *ids, *authz, *v;
	size_t			 i, n, slen;
	int			 rc = -1;

	memset(o, 0, sizeof(*o));
	if ((root = load(body, len, ctx, err)) == NULL)
		return -1;
	/* RFC 8555 §7.1.3; the order URL and Retry-After come from headers */
	if (status_member(root, ctx, ST_ORDER, &o->status, err) == -1 ||
	    time_member(root, ctx, "expires", &o->expires, err) == -1 ||
	    member(root, ctx, "identifiers", T_ARRAY, true, &ids, err) == -1 ||
	    member(root, ctx, "authorizations", T_ARRAY, true, &authz,
	    err) == -1 ||
	    url_member(root, ctx, "finalize", true, allow_http, &o->finalize,
	    err) == -1 ||
	    url_member(root, ctx, "certificate", false, allow_http,
	    &o->certificate, err) == -1 ||
	    member(root, ctx, "profile", T_STRING, false, &v, err) == -1)
		goto out;
	if (v != NULL) {
		if (text_of(v, ctx, "profile", PROFILE_MAX, &s, &slen,
		    err) == -1)
			goto out;
		if (!profile_ok(s, slen)) {
			acme_safe_str(show, sizeof(show), s, slen);
			acme_err_set(err, ACME_EPROTO, "%s: member "
			    "\"profile\": bad profile name \"%s\"", ctx, show);
			goto out;
		}
		if (mem_dup(s, slen, ctx, &o->profile, err) == -1)
			goto out;
	}
	if (problem_member(root, ctx, &o->error, err) == -1)
		goto out;

	if ((n = json_array_size(ids)) == 0 || n > ACME_IDS_MAX) {
		acme_err_set(err, ACME_EPROTO, "%s: member \"identifiers\": "
		    "%zu entries, want 1 to %d", ctx, n, ACME_IDS_MAX);
		goto out;
	}
	if ((o->ids = calloc(n, sizeof(*o->ids))) == NULL) {
		nomem(err, ctx);
		goto out;
	}
	o->nids = n;
	json_array_foreach(ids, i, v)
		if (ident_from(v, ctx, elem(nm, sizeof(nm), "identifiers", i),
		    ID_WILD, &o->ids[i], err) == -1)
			goto out;

	if ((n = json_array_size(authz)) > ACME_AUTHZ_MAX) {
		acme_err_set(err, ACME_EPROTO, "%s: member \"authorizations\": "
		    "more than %d entries", ctx, ACME_AUTHZ_MAX);
		goto out;
	}
	if (n > 0 && (o->authz = calloc(n, sizeof(*o->authz))) == NULL) {
		nomem(err, ctx);
		goto out;
	}
	o->nauthz = n;
	json_array_foreach(authz, i, v)
		if (url_dup(v, allow_http, ctx, elem(nm, sizeof(nm),
		    "authorizations", i), &o->authz[i], err) == -1)
			goto out;
	rc = 0;
out:
	if (rc == -1)
		acme_order_clear(o);
	json_decref(root);
	return rc;
}

int
acme_json_authz(const void *body, size_t len, bool allow_http,
    struct acme_authz *a, struct acme_err *err)
{
	static const char	 ctx[] = "authz";
	char			 sub[LABEL_MAX], nm[ELEM_MAX];
	json_t			*root, *id, *wild, *ch, *v;
	size_t			 i, n;
	int			 rc = -1;

	memset(a, 0, sizeof(*a));
	if ((root = load(body, len, ctx, err)) == NULL)
		return -1;
	/* RFC 8555 §7.1.4 */
	if (status_member(root, ctx, ST_AUTHZ, &a->status, err) == -1 ||
	    time_member(root, ctx, "expires", &a->expires, err) == -1 ||
	    member(root, ctx, "identifier", T_OBJECT, true, &id, err) == -1 ||
	    member(root, ctx, "wildcard", T_BOOL, false, &wild, err) == -1 ||
	    member(root, ctx, "challenges", T_ARRAY, true, &ch, err) == -1)
		goto out;
	/* the identifier is the base name; "*." is only in "wildcard" */
	if (ident_from(id, ctx, "identifier", ID_EXACT, &a->ident,
	    err) == -1)
		goto out;
	a->wildcard = wild != NULL && json_is_true(wild);
	if (a->wildcard && a->ident.type != ACME_ID_DNS) {
		acme_err_set(err, ACME_EPROTO, "%s: member \"wildcard\": "
		    "set for a non-dns identifier", ctx);
		goto out;
	}
	if ((n = json_array_size(ch)) > ACME_CHALL_MAX) {
		acme_err_set(err, ACME_EPROTO, "%s: member \"challenges\": "
		    "more than %d entries", ctx, ACME_CHALL_MAX);
		goto out;
	}
	if (n > 0 && (a->chall = calloc(n, sizeof(*a->chall))) == NULL) {
		nomem(err, ctx);
		goto out;
	}
	a->nchall = n;
	json_array_foreach(ch, i, v) {
		if (!json_is_object(v)) {
			bad_type(err, ctx, elem(nm, sizeof(nm), "challenges",
			    i), T_OBJECT);
			goto out;
		}
		if (challenge_from(v, label(sub, sizeof(sub), ctx,
		    "challenges", i), allow_http, &a->chall[i], err) == -1)
			goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		acme_authz_clear(a);
	json_decref(root);
	return rc;
}

int
acme_json_challenge(const void *body, size_t len, bool allow_http,
    struct acme_challenge *c, struct acme_err *err)
{
	static const char	 ctx[] = "challenge";
	json_t			*root;
	int			 rc;

	memset(c, 0, sizeof(*c));
	if ((root = load(body, len, ctx, err)) == NULL)
		return -1;
	if ((rc = challenge_from(root, ctx, allow_http, c, err)) == -1)
		acme_challenge_clear(c);
	json_decref(root);
	return rc;
}

int
acme_json_problem(const void *body, size_t len, struct acme_problem **out,
    struct acme_err *err)
{
	static const char	 ctx[] = "problem";
	json_t			*root;
	int			 rc;

	*out = NULL;
	if ((root = load(body, len, ctx, err)) == NULL)
		return -1;
	rc = problem_from(root, ctx, out, err);
	json_decref(root);
	return rc;
}

/* RFC 9773 §4.2: {"suggestedWindow": {"start", "end"}, "explanationURL"} */
static int
window_time(json_t *win, const char *ctx, const char *name, time_t *out,
    struct acme_err *err)
{
	const char	*s;
	json_t		*v;
	size_t		 len;

	if (member(win, ctx, name, T_STRING, true, &v, err) == -1 ||
	    text_of(v, ctx, name, TIME_MAX, &s, &len, err) == -1)
		return -1;
	if (rfc3339_parse(s, len, out) == -1)
		return acme_err_set(err, ACME_EPROTO,
		    "%s: member \"%s\": not an RFC 3339 timestamp", ctx, name);
	return 0;
}

int
acme_json_renewal_info(const void *body, size_t len, bool allow_http,
    struct acme_renewal_info *ri, struct acme_err *err)
{
	static const char	 ctx[] = "renewalInfo";
	static const char	 wctx[] = "renewalInfo: suggestedWindow";
	json_t			*root, *win;
	int			 rc = -1;

	memset(ri, 0, sizeof(*ri));
	if ((root = load(body, len, ctx, err)) == NULL)
		return -1;
	if (member(root, ctx, "suggestedWindow", T_OBJECT, true, &win,
	    err) == -1 ||
	    window_time(win, wctx, "start", &ri->start, err) == -1 ||
	    window_time(win, wctx, "end", &ri->end, err) == -1 ||
	    url_member(root, ctx, "explanationURL", false, allow_http,
	    &ri->explanation_url, err) == -1)
		goto out;
	/* §4.3.3: an end equal to or before the start is malformed */
	if (ri->end <= ri->start) {
		acme_err_set(err, ACME_EPROTO, "%s: end is not after start",
		    wctx);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		acme_renewal_info_clear(ri);
	json_decref(root);	/* the URL was copied */
	return rc;
}

/* ---- clearing */

void
acme_directory_clear(struct acme_directory *d)
{
	size_t	 i;

	if (d == NULL)
		return;
	free(d->new_nonce);
	free(d->new_account);
	free(d->new_order);
	free(d->new_authz);
	free(d->revoke_cert);
	free(d->key_change);
	free(d->renewal_info);
	free(d->terms_of_service);
	free(d->website);
	for (i = 0; i < d->nprofiles; i++)
		free(d->profiles[i]);
	free(d->profiles);
	memset(d, 0, sizeof(*d));
}

void
acme_renewal_info_clear(struct acme_renewal_info *ri)
{
	if (ri == NULL)
		return;
	free(ri->explanation_url);
	memset(ri, 0, sizeof(*ri));
}

void
acme_account_clear(struct acme_account *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	free(a->url);
	for (i = 0; i < a->ncontact; i++)
		free(a->contact[i]);
	free(a->contact);
	free(a->orders);
	memset(a, 0, sizeof(*a));
}

void
acme_order_clear(struct acme_order *o)
{
	size_t	 i;

	if (o == NULL)
		return;
	free(o->url);
	for (i = 0; i < o->nids; i++)
		free(o->ids[i].value);
	free(o->ids);
	for (i = 0; i < o->nauthz; i++)
		free(o->authz[i]);
	free(o->authz);
	free(o->finalize);
	free(o->certificate);
	free(o->profile);
	acme_problem_free(o->error);
	memset(o, 0, sizeof(*o));
}

void
acme_challenge_clear(struct acme_challenge *c)
{
	if (c == NULL)
		return;
	free(c->type_name);
	free(c->url);
	free(c->token);
	acme_problem_free(c->error);
	memset(c, 0, sizeof(*c));
}

void
acme_authz_clear(struct acme_authz *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	free(a->url);
	free(a->ident.value);
	for (i = 0; i < a->nchall; i++)
		acme_challenge_clear(&a->chall[i]);
	free(a->chall);
	memset(a, 0, sizeof(*a));
}

void
acme_problem_free(struct acme_problem *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	free(p->type);
	free(p->detail);
	for (i = 0; i < p->nsub; i++) {
		free(p->sub[i].type);
		free(p->sub[i].detail);
		free(p->sub[i].ident.value);
	}
	free(p->sub);
	free(p);
}

const char *
acme_status_name(enum acme_status st)
{
	if ((size_t)st >= NITEMS(status_names))
		return status_names[ACME_ST_UNRECOGNIZED];
	return status_names[st];
}

int
acme_reason_parse(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < NITEMS(reasons); i++)
		if (strcmp(s, reasons[i].name) == 0)
			return reasons[i].code;
	return -1;
}

/* ---- request bodies */

static int
usage(struct acme_err *err, const char *what, const char *why)
{
	return acme_err_set(err, ACME_EUSAGE, "%s: %s", what, why);
}

/* Serialises and releases j (which may be NULL after a failed build). */
static int
dump(json_t *j, size_t flags, const char *what, char **out,
    struct acme_err *err)
{
	if (j == NULL)
		return nomem(err, what);
	*out = json_dumps(j, flags);
	json_decref(j);
	if (*out == NULL)
		return nomem(err, what);
	return 0;
}

static int
pack_err(struct acme_err *err, const char *what, const json_error_t *jerr)
{
	char	 show[JSON_ERROR_TEXT_LENGTH];

	if (json_error_code(jerr) == json_error_out_of_memory)
		return nomem(err, what);
	acme_safe_str(show, sizeof(show), jerr->text, strlen(jerr->text));
	return acme_err_set(err, ACME_EUSAGE, "%s: %s", what, show);
}

/* Parses the caller's JSON object text (a JWK or a JWS) for embedding. */
static json_t *
load_arg(const char *text, const char *what, struct acme_err *err)
{
	json_error_t	 jerr;
	json_t		*j;

	if (text == NULL) {
		usage(err, what, "missing JSON argument");
		return NULL;
	}
	if ((j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		pack_err(err, what, &jerr);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		usage(err, what, "argument is not a JSON object");
		return NULL;
	}
	return j;
}

/* set_new() releases v even when it fails */
static int
set_new(json_t *o, const char *key, json_t *v, const char *what,
    struct acme_err *err)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1)
		return nomem(err, what);
	return 0;
}

static bool
arg_ok(const char *s, size_t max)
{
	size_t	 len;

	return s != NULL && (len = strlen(s)) > 0 && len <= max &&
	    is_graph(s, len);
}

static bool
b64_ok(const char *s)
{
	return s != NULL && *s != '\0' && acme_b64url_is_valid(s, strlen(s));
}

static json_t *
contact_array(const char *const *contact, size_t n, const char *what,
    struct acme_err *err)
{
	json_t	*a;
	size_t	 i;

	if (n > ACME_CONTACT_MAX || (n > 0 && contact == NULL)) {
		usage(err, what, "bad contact list");
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (!arg_ok(contact[i], ACME_URL_MAX)) {
			usage(err, what, "bad contact URL");
			return NULL;
		}
	if ((a = json_array()) == NULL) {
		nomem(err, what);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(contact[i])) == -1) {
			json_decref(a);
			nomem(err, what);
			return NULL;
		}
	return a;
}

int
acme_json_new_account(const struct acme_account_req *req,
    const char *eab_jws, char **out, struct acme_err *err)
{
	static const char	 what[] = "newAccount";
	json_t			*o, *v;

	*out = NULL;
	if (req == NULL)
		return usage(err, what, "no request");
	if ((o = json_object()) == NULL)
		return nomem(err, what);
	/* RFC 8555 §7.3; false and empty members are left out */
	if (req->tos_agreed && set_new(o, "termsOfServiceAgreed", json_true(),
	    what, err) == -1)
		goto fail;
	if (req->ncontact > 0) {
		if ((v = contact_array(req->contact, req->ncontact, what,
		    err)) == NULL || set_new(o, "contact", v, what, err) == -1)
			goto fail;
	}
	if (req->only_existing && set_new(o, "onlyReturnExisting",
	    json_true(), what, err) == -1)
		goto fail;
	if (eab_jws != NULL && *eab_jws != '\0') {
		if ((v = load_arg(eab_jws, what, err)) == NULL ||
		    set_new(o, "externalAccountBinding", v, what, err) == -1)
			goto fail;
	}
	return dump(o, JSON_COMPACT, what, out, err);
fail:
	json_decref(o);
	return -1;
}

int
acme_json_contact(const char *const *contact, size_t n, char **out,
    struct acme_err *err)
{
	static const char	 what[] = "account update";
	json_t			*o, *a;

	*out = NULL;
	if ((a = contact_array(contact, n, what, err)) == NULL)
		return -1;
	if ((o = json_object()) == NULL) {
		json_decref(a);
		return nomem(err, what);
	}
	if (set_new(o, "contact", a, what, err) == -1) {
		json_decref(o);
		return -1;
	}
	return dump(o, JSON_COMPACT, what, out, err);
}

int
acme_json_deactivate(char **out, struct acme_err *err)
{
	*out = NULL;
	return dump(json_pack("{s:s}", "status", "deactivated"), JSON_COMPACT,
	    "deactivate", out, err);
}

int
acme_json_new_order(const struct acme_ident *ids, size_t nids,
    const char *profile, const char *replaces, char **out,
    struct acme_err *err)
{
	static const char	 what[] = "newOrder";
	const char		*dot;
	json_t			*o = NULL, *a = NULL;
	size_t			 i, len;
	bool			 ok;

	*out = NULL;
	if (ids == NULL || nids == 0 || nids > ACME_IDS_MAX)
		return usage(err, what, "bad number of identifiers");
	for (i = 0; i < nids; i++) {
		len = ids[i].value == NULL ? 0 : strlen(ids[i].value);
		ok = (ids[i].type == ACME_ID_DNS &&
		    dnsname_ok(ids[i].value, len, true)) ||
		    (ids[i].type == ACME_ID_IP && ipaddr_ok(ids[i].value, len));
		if (!ok)
			return usage(err, what, "bad identifier");
	}
	if (profile != NULL && *profile != '\0' &&
	    !profile_ok(profile, strlen(profile)))
		return usage(err, what, "bad profile name");
	/* RFC 9773 §4.1: base64url(AKI) "." base64url(serial) */
	if (replaces != NULL && *replaces != '\0' &&
	    ((dot = strchr(replaces, '.')) == NULL || dot == replaces ||
	    !acme_b64url_is_valid(replaces, (size_t)(dot - replaces)) ||
	    !b64_ok(dot + 1)))
		return usage(err, what, "bad ARI certificate identifier");
	if ((a = json_array()) == NULL)
		return nomem(err, what);
	for (i = 0; i < nids; i++)
		if (json_array_append_new(a, json_pack("{s:s, s:s}", "type",
		    ids[i].type == ACME_ID_DNS ? "dns" : "ip", "value",
		    ids[i].value)) == -1) {
			json_decref(a);
			return nomem(err, what);
		}
	if ((o = json_object()) == NULL) {
		json_decref(a);
		return nomem(err, what);
	}
	if (set_new(o, "identifiers", a, what, err) == -1 ||
	    (profile != NULL && *profile != '\0' && set_new(o, "profile",
	    json_string(profile), what, err) == -1) ||
	    (replaces != NULL && *replaces != '\0' && set_new(o, "replaces",
	    json_string(replaces), what, err) == -1)) {
		json_decref(o);
		return -1;
	}
	return dump(o, JSON_COMPACT, what, out, err);
}

int
acme_json_finalize(const char *csr_b64url, char **out, struct acme_err *err)
{
	*out = NULL;
	if (!b64_ok(csr_b64url))
		return usage(err, "finalize", "CSR is not base64url");
	return dump(json_pack("{s:s}", "csr", csr_b64url), JSON_COMPACT,
	    "finalize", out, err);
}

int
acme_json_revoke(const char *cert_b64url, int reason, char **out,
    struct acme_err *err)
{
	static const char	 what[] = "revokeCert";
	json_t			*j;

	*out = NULL;
	if (!b64_ok(cert_b64url))
		return usage(err, what, "certificate is not base64url");
	/* RFC 5280 §5.3.1 codes; 7 is not assigned */
	if (reason == 7 || reason > 10)
		return usage(err, what, "bad revocation reason");
	if (reason < 0)
		j = json_pack("{s:s}", "certificate", cert_b64url);
	else
		j = json_pack("{s:s, s:i}", "certificate", cert_b64url,
		    "reason", reason);
	return dump(j, JSON_COMPACT, what, out, err);
}

int
acme_json_key_change(const char *account_url, const char *old_jwk,
    char **out, struct acme_err *err)
{
	static const char	 what[] = "keyChange";
	json_t			*o, *k;

	*out = NULL;
	if (!arg_ok(account_url, ACME_URL_MAX))
		return usage(err, what, "bad account URL");
	if ((k = load_arg(old_jwk, what, err)) == NULL)
		return -1;
	/* RFC 8555 §7.3.5 */
	if ((o = json_object()) == NULL) {
		json_decref(k);
		return nomem(err, what);
	}
	if (set_new(o, "account", json_string(account_url), what, err) == -1 ||
	    set_new(o, "oldKey", k, what, err) == -1) {
		json_decref(o);
		return -1;
	}
	return dump(o, JSON_COMPACT, what, out, err);
}

int
acme_json_protected(const char *alg, const char *jwk, const char *kid,
    const char *nonce, const char *url, char **out, struct acme_err *err)
{
	static const char	 what[] = "JWS protected header";
	json_t			*o, *k = NULL;

	*out = NULL;
	/* RFC 8555 §6.2: exactly one of jwk and kid */
	if ((jwk == NULL) == (kid == NULL))
		return usage(err, what, "need exactly one of jwk and kid");
	if (!arg_ok(alg, 16) || !arg_ok(url, ACME_URL_MAX) ||
	    (kid != NULL && !arg_ok(kid, ACME_URL_MAX)) ||
	    (nonce != NULL && !arg_ok(nonce, ACME_NONCE_MAX)))
		return usage(err, what, "bad alg, kid, nonce or url");
	if (jwk != NULL && (k = load_arg(jwk, what, err)) == NULL)
		return -1;
	if ((o = json_object()) == NULL) {
		json_decref(k);
		return nomem(err, what);
	}
	if (set_new(o, "alg", json_string(alg), what, err) == -1) {
		json_decref(k);
		json_decref(o);
		return -1;
	}
	/* from here on set_new() owns k, even when it fails */
	if ((k != NULL && set_new(o, "jwk", k, what, err) == -1) ||
	    (kid != NULL && set_new(o, "kid", json_string(kid), what,
	    err) == -1) ||
	    (nonce != NULL && set_new(o, "nonce", json_string(nonce), what,
	    err) == -1) ||
	    set_new(o, "url", json_string(url), what, err) == -1) {
		json_decref(o);
		return -1;
	}
	return dump(o, JSON_COMPACT, what, out, err);
}

int
acme_json_flattened(const char *prot, const char *payload, const char *sig,
    char **out, struct acme_err *err)
{
	static const char	 what[] = "JWS";
	json_error_t		 jerr;
	json_t			*j;

	*out = NULL;
	/* RFC 7515 §7.2.2 flattened JSON serialization */
	j = json_pack_ex(&jerr, 0, "{s:s, s:s, s:s}", "protected", prot,
	    "payload", payload, "signature", sig);
	if (j == NULL)
		return pack_err(err, what, &jerr);
	return dump(j, JSON_COMPACT, what, out, err);
}

/* RFC 7638 §3: required members only, sorted, no white space */
int
acme_json_jwk_ec(const char *crv, const char *x, const char *y, char **out,
    struct acme_err *err)
{
	static const char	 what[] = "JWK";
	json_error_t		 jerr;
	json_t			*j;

	*out = NULL;
	j = json_pack_ex(&jerr, 0, "{s:s, s:s, s:s, s:s}", "crv", crv,
	    "kty", "EC", "x", x, "y", y);
	if (j == NULL)
		return pack_err(err, what, &jerr);
	return dump(j, JSON_SORT_KEYS | JSON_COMPACT, what, out, err);
}

int
acme_json_jwk_rsa(const char *e, const char *n, char **out,
    struct acme_err *err)
{
	static const char	 what[] = "JWK";
	json_error_t		 jerr;
	json_t			*j;

	*out = NULL;
	j = json_pack_ex(&jerr, 0, "{s:s, s:s, s:s}", "e", e, "kty", "RSA",
	    "n", n);
	if (j == NULL)
		return pack_err(err, what, &jerr);
	return dump(j, JSON_SORT_KEYS | JSON_COMPACT, what, out, err);
}
