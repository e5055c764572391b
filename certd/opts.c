/*
 * opts.c - the option table, command-line parsing (getopt_long) and
 * certd.conf (INI, read with inih after a bounded read and a permission
 * check). The config file is trusted only after those checks.
 */
#include "opts.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "file.h"
#include "util.h"

enum otype { T_STR, T_BOOL, T_UINT, T_LIST, T_COUNT, T_DUR };

#define C(x)	(1u << OPTS_CMD_##x)
/* as in install/install.h, which opts.c does not include */
#define INSTALL_DEST_BASE_DOC	"/etc/certd/live"
#define INSTALL_HOOKS_DIR_DOC	"/etc/certd/hooks/deploy.d"
#define GLOBAL	0u

static const struct optdef {
	const char	*name;	/* flag, and config key with '-' -> '_' */
	int		 shortc;
	enum otype	 type;
	size_t		 off;
	unsigned	 cmds;	/* GLOBAL, or the commands it belongs to */
	bool		 conf;	/* may appear in certd.conf */
	unsigned	 min, max;	/* T_UINT range */
	const char	*arg;
	const char	*help;
} defs[] = {
	{ "config", 'c', T_STR, offsetof(struct opts, config), GLOBAL, false,
	    0, 0, "FILE", "configuration file (default " OPTS_CONF_DEFAULT
	    ")" },
	{ "state-dir", 0, T_STR, offsetof(struct opts, state_dir), GLOBAL,
	    true, 0, 0, "DIR", "state directory (default " OPTS_STATE_DEFAULT
	    ", or $CERTD_STATE_DIR)" },
	{ "server", 's', T_STR, offsetof(struct opts, server), GLOBAL, true,
	    0, 0, "URL", "ACME directory URL (https)" },
	{ "email", 'm', T_LIST, offsetof(struct opts, email), GLOBAL, true,
	    0, 0, "ADDR", "account contact address (repeatable)" },
	{ "agree-tos", 0, T_BOOL, offsetof(struct opts, agree_tos), GLOBAL,
	    true, 0, 0, NULL, "agree to the CA's terms of service" },
	{ "ca-bundle", 0, T_STR, offsetof(struct opts, ca_bundle), GLOBAL,
	    true, 0, 0, "FILE", "trust these CAs for the ACME server's HTTPS "
	    "(default: system store)" },
	{ "eab-kid", 0, T_STR, offsetof(struct opts, eab_kid), GLOBAL, true,
	    0, 0, "KID", "External Account Binding key id" },
	{ "eab-key", 0, T_STR, offsetof(struct opts, eab_key), GLOBAL, true,
	    0, 0, "KEY", "External Account Binding HMAC key (base64url)" },
	{ "account-key-type", 0, T_STR, offsetof(struct opts,
	    account_key_type), GLOBAL, true, 0, 0, "TYPE",
	    "key type of a new account (default ecdsa-p256)" },
	{ "timeout", 0, T_UINT, offsetof(struct opts, timeout), GLOBAL, true,
	    1, 3600, "SEC", "timeout of one request to the CA (default 30)" },
	{ "verbose", 'v', T_COUNT, offsetof(struct opts, verbose), GLOBAL,
	    false, 0, 0, NULL, "more output (twice: protocol trace)" },
	{ "quiet", 'q', T_BOOL, offsetof(struct opts, quiet), GLOBAL, false,
	    0, 0, NULL, "errors only" },
	{ "help", 'h', T_BOOL, offsetof(struct opts, help), GLOBAL, false,
	    0, 0, NULL, "show help" },

	{ "domain", 'd', T_LIST, offsetof(struct opts, domain), C(ISSUE),
	    false, 0, 0, "NAME", "DNS name or IP address (repeatable)" },
	{ "name", 'n', T_STR, offsetof(struct opts, name),
	    C(ISSUE) | C(REVOKE) | C(INSTALL) | C(RENEW) | C(TLSA), false, 0, 0,
	    "CERT",
	    "certificate name (issue: default the first -d; renew: only "
	    "this one)" },
	{ "key-type", 'k', T_STR, offsetof(struct opts, key_type),
	    C(ISSUE) | C(ACCOUNT), true, 0, 0, "TYPE", "ecdsa-p256 (default), "
	    "ecdsa-p384, rsa2048, rsa3072, rsa4096" },
	{ "reuse-key", 0, T_BOOL, offsetof(struct opts, reuse_key), C(ISSUE),
	    true, 0, 0, NULL, "keep the current private key" },
	{ "challenge", 0, T_STR, offsetof(struct opts, challenge), C(ISSUE),
	    true, 0, 0, "TYPE", "http-01 (default), tls-alpn-01 or dns-01" },
	{ "http-addr", 0, T_STR, offsetof(struct opts, http_addr), C(ISSUE),
	    true, 0, 0, "ADDR", "address of the http-01 responder (default: "
	    "all)" },
	{ "http-port", 0, T_UINT, offsetof(struct opts, http_port), C(ISSUE),
	    true, 1, 65535, "PORT", "port of the http-01 responder (default "
	    "80)" },
	{ "webroot", 'w', T_STR, offsetof(struct opts, webroot), C(ISSUE),
	    true, 0, 0, "DIR", "http-01 through files under DIR/.well-known/"
	    "acme-challenge/" },
	{ "tls-addr", 0, T_STR, offsetof(struct opts, tls_addr), C(ISSUE),
	    true, 0, 0, "ADDR", "address of the tls-alpn-01 responder "
	    "(default: all)" },
	{ "tls-port", 0, T_UINT, offsetof(struct opts, tls_port), C(ISSUE),
	    true, 1, 65535, "PORT", "port of the tls-alpn-01 responder "
	    "(default 443)" },
	{ "dns-hook", 0, T_STR, offsetof(struct opts, dns_hook), C(ISSUE),
	    true, 0, 0, "PATH", "dns-01: run PATH add|del NAME VALUE" },
	{ "hook-timeout", 0, T_UINT, offsetof(struct opts, hook_timeout),
	    C(ISSUE), true, 1, 3600, "SEC", "time limit of one hook run "
	    "(default 120)" },
	{ "preferred-chain", 0, T_STR, offsetof(struct opts,
	    preferred_chain), C(ISSUE), true, 0, 0, "CN",
	    "prefer the chain whose issuer has this common name" },
	{ "profile", 0, T_STR, offsetof(struct opts, profile), C(ISSUE), true,
	    0, 0, "NAME", "certificate profile (when the CA lists profiles)" },
	{ "poll-timeout", 0, T_UINT, offsetof(struct opts, poll_timeout),
	    C(ISSUE), true, 1, 86400, "SEC", "give up waiting for the CA "
	    "after SEC (default 300)" },
	{ "json", 0, T_BOOL, offsetof(struct opts, json), C(LIST) | C(CHECK),
	    false, 0, 0, NULL, "machine-readable output" },
	{ "cert", 0, T_STR, offsetof(struct opts, cert), C(CHECK), false,
	    0, 0, "FILE", "the certificate to check (PEM)" },
	{ "chain", 0, T_STR, offsetof(struct opts, chain), C(CHECK), false,
	    0, 0, "FILE", "intermediate certificates (PEM)" },
	{ "ca-file", 0, T_STR, offsetof(struct opts, ca_file),
	    C(CHECK) | C(RENEW), true, 0, 0, "FILE", "trust anchors for "
	    "revocation checks (default: system store)" },
	{ "ocsp-response", 0, T_STR, offsetof(struct opts, ocsp_response),
	    C(CHECK), false, 0, 0, "FILE", "a stapled OCSP response (DER)" },
	{ "host", 0, T_STR, offsetof(struct opts, host), C(CHECK), false,
	    0, 0, "HOST[:PORT]", "probe this mail server (default port 25)" },
	{ "starttls", 0, T_STR, offsetof(struct opts, starttls), C(CHECK),
	    false, 0, 0, "smtp", "STARTTLS before TLS (the default on port "
	    "25 and 587)" },
	{ "tls", 0, T_BOOL, offsetof(struct opts, tls), C(CHECK), false, 0, 0,
	    NULL, "implicit TLS (the default on port 465)" },
	{ "no-cache", 0, T_BOOL, offsetof(struct opts, no_cache), C(CHECK),
	    false, 0, 0, NULL, "neither use nor update the revocation cache" },
	{ "revocation-order", 0, T_STR, offsetof(struct opts,
	    revocation_order), C(CHECK), true, 0, 0, "LIST",
	    "sources in order: crl,ocsp (default), ocsp,crl, crl or ocsp" },
	{ "ocsp-nonce", 0, T_BOOL, offsetof(struct opts, ocsp_nonce), C(CHECK),
	    true, 0, 0, NULL, "send an OCSP nonce (private CAs; public CAs "
	    "ignore it)" },
	{ "crl-max-size", 0, T_UINT, offsetof(struct opts, crl_max_size),
	    C(CHECK), true, 1, 4096, "MIB", "largest CRL accepted (default "
	    "64)" },
	{ "cache-max-age", 0, T_UINT, offsetof(struct opts, cache_max_age),
	    C(CHECK), true, 60, 30 * 86400, "SEC", "reuse a verdict at most "
	    "this long (default 86400)" },
	{ "force", 'f', T_BOOL, offsetof(struct opts, force), C(RENEW), false,
	    0, 0, NULL, "renew even when not due (and despite a backoff)" },
	{ "dry-run", 0, T_BOOL, offsetof(struct opts, dry_run), C(RENEW),
	    false, 0, 0, NULL, "full ACME run for every certificate, but "
	    "store and install nothing" },
	{ "renew-before", 0, T_DUR, offsetof(struct opts, renew_before),
	    C(RENEW), true, 0, 0, "TIME", "renew this long before expiry "
	    "(30d, 12h; default: 1/3 of the lifetime left)" },
	{ "reason", 'r', T_STR, offsetof(struct opts, reason), C(REVOKE),
	    false, 0, 0, "REASON", "unspecified, keyCompromise, "
	    "affiliationChanged, superseded, cessationOfOperation, ..." },
	{ "install", 0, T_LIST, offsetof(struct opts, install), C(ISSUE),
	    false, 0, 0, "TARGET,...", "then install into postfix, exim, "
	    "dovecot (and run the deploy hooks; \"hooks\": only those)" },
	{ "for", 0, T_LIST, offsetof(struct opts, install_for), C(INSTALL),
	    false, 0, 0, "TARGET,...", "postfix, exim, dovecot, hooks" },
	{ "configure", 0, T_BOOL, offsetof(struct opts, configure),
	    C(ISSUE) | C(INSTALL), false, 0, 0, NULL, "first install: point "
	    "the MTA at certd's files (Postfix: postconf -e)" },
	{ "print-config", 0, T_STR, offsetof(struct opts, print_config),
	    C(INSTALL), false, 0, 0, "MTA", "print the configuration lines "
	    "that use certd's files" },
	{ "postfix-config-dir", 0, T_STR, offsetof(struct opts,
	    postfix_config_dir), C(ISSUE) | C(INSTALL), true, 0, 0, "DIR",
	    "Postfix instance (postfix -c DIR; default /etc/postfix)" },
	{ "dest-dir", 0, T_STR, offsetof(struct opts, dest_dir),
	    C(ISSUE) | C(INSTALL), true, 0, 0, "DIR", "files for the MTAs go "
	    "to DIR/MTA/ (default " INSTALL_DEST_BASE_DOC ")" },
	{ "verify-host", 0, T_STR, offsetof(struct opts, verify_host),
	    C(ISSUE) | C(INSTALL), true, 0, 0, "ADDR", "where to check the "
	    "served certificate (default 127.0.0.1)" },
	{ "verify-port", 0, T_LIST, offsetof(struct opts, verify_port),
	    C(ISSUE) | C(INSTALL), true, 0, 0, "[MTA:]PORT", "port to check "
	    "(default 25; dovecot 993)" },
	{ "port", 0, T_UINT, offsetof(struct opts, port), C(TLSA), false, 1,
	    65535, "PORT", "TLSA records for this port (default tlsa_port, "
	    "25)" },
	{ "proto", 0, T_STR, offsetof(struct opts, proto), C(TLSA), false, 0,
	    0, "PROTO", "tcp (default), udp or sctp" },
	{ "check", 0, T_BOOL, offsetof(struct opts, tlsa_check), C(TLSA),
	    false, 0, 0, NULL, "ask DNS (dns_server) which records are "
	    "published; exit 75 while one is missing" },
	{ "tlsa-port", 0, T_UINT, offsetof(struct opts, tlsa_port),
	    C(TLSA) | C(RENEW), true, 1, 65535, "PORT", "DANE: port of the "
	    "TLSA records (default 25)" },
	{ "dns-server", 0, T_STR, offsetof(struct opts, dns_server),
	    C(TLSA) | C(RENEW), true, 0, 0, "IP[:PORT]", "DANE: ask this DNS "
	    "server for TLSA records (default: resolv.conf)" },
	{ "tlsa-hook", 0, T_STR, offsetof(struct opts, tlsa_hook),
	    C(TLSA) | C(RENEW), true, 0, 0, "PATH", "DANE: publish TLSA "
	    "records with PATH add|del NAME DATA (tlsa-nsupdate)" },
	{ "tlsa-ttl", 0, T_DUR, offsetof(struct opts, tlsa_ttl),
	    C(TLSA) | C(RENEW), true, 0, 0, "TIME", "DANE: TTL of the TLSA "
	    "records (default 1h)" },
	{ "tlsa-margin", 0, T_DUR, offsetof(struct opts, tlsa_margin),
	    C(TLSA) | C(RENEW), true, 0, 0, "TIME", "DANE: switch keys after "
	    "the next key's record was seen this long (default 2 x TTL)" },
	{ "deploy-hook-dir", 0, T_STR, offsetof(struct opts, deploy_hook_dir),
	    C(ISSUE) | C(INSTALL), true, 0, 0, "DIR", "deploy hooks (default "
	    INSTALL_HOOKS_DIR_DOC ")" },
	{ "exim-config", 0, T_STR, offsetof(struct opts, exim_config),
	    C(ISSUE) | C(INSTALL), true, 0, 0, "FILE", "Exim configuration "
	    "(exim -C FILE; default: Exim's own)" },
	{ "exim-bin-dir", 0, T_STR, offsetof(struct opts, exim_bin_dir),
	    C(ISSUE) | C(INSTALL), true, 0, 0, "DIR", "where exim4 (or exim) "
	    "is (default /usr/sbin)" },
	{ "exim-group", 0, T_STR, offsetof(struct opts, exim_group),
	    C(ISSUE) | C(INSTALL), true, 0, 0, "GROUP", "group that may read "
	    "Exim's key+chain file (default Debian-exim)" },
	{ "dovecot-config", 0, T_STR, offsetof(struct opts, dovecot_config),
	    C(ISSUE) | C(INSTALL), true, 0, 0, "FILE", "Dovecot configuration "
	    "(doveconf -c FILE; default /etc/dovecot/dovecot.conf)" },
	{ "dovecot-bin-dir", 0, T_STR, offsetof(struct opts, dovecot_bin_dir),
	    C(ISSUE) | C(INSTALL), true, 0, 0, "DIR", "where doveconf and "
	    "doveadm are (default /usr/bin)" },
};
#define NDEFS	(sizeof(defs) / sizeof(defs[0]))

static const struct cmddef {
	const char	*name;
	enum opts_cmd	 cmd;
	const char	*synopsis;
	const char	*help;
} cmds[] = {
	{ "issue", OPTS_CMD_ISSUE, "issue -d NAME [-d NAME...] [options]",
	    "Obtain a certificate over ACME and store it as a new version.\n"
	    "Registers an account first when there is none for the server." },
	{ "list", OPTS_CMD_LIST, "list [--json]",
	    "Show the managed certificates: name, names, key type, expiry,\n"
	    "days left, issuer, serial." },
	{ "account", OPTS_CMD_ACCOUNT,
	    "account show|register|update|deactivate|rollover",
	    "show: the stored account; register: create it (or find it by\n"
	    "its key); deactivate: end it at the CA; rollover: replace its\n"
	    "key (RFC 8555 keyChange), --key-type for the new key." },
	{ "revoke", OPTS_CMD_REVOKE, "revoke --name CERT [--reason REASON]",
	    "Revoke the current certificate CERT with the account key." },
	{ "check", OPTS_CMD_CHECK, "check --cert FILE | --host HOST[:PORT] "
	    "[options]",
	    "Is this mail server's certificate revoked? Validates the chain,\n"
	    "then asks the CRL (first) and OCSP; answers are cached.\n"
	    "A fresh cached verdict answers first. The global --timeout limits\n"
	    "each fetch and probe step.\n"
	    "Exit status: 0 good, 1 revoked, 2 unknown (the reason is shown)." },
	{ "install", OPTS_CMD_INSTALL, "install --name CERT --for TARGET,... "
	    "[options] | --print-config MTA",
	    "Install the current version of CERT into MTAs: place the files,\n"
	    "test the configuration, reload, check that the MTA serves it, and\n"
	    "put the previous files back on any failure. The check asks for\n"
	    "CERT's key type, so RSA and ECDSA certificates served side by side\n"
	    "are each checked. Then run the deploy hooks. Exit status 1: the\n"
	    "installation failed (the step is named)."
	    },
	{ "renew", OPTS_CMD_RENEW, "renew [--force] [--name CERT] [--dry-run]",
	    "Renew every managed certificate that is due: those issued with\n"
	    "'certd issue' and those declared as [cert NAME] in certd.conf.\n"
	    "Due: inside the CA's ARI window (RFC 9773) when it offers one,\n"
	    "else when 1/3 of the lifetime is left (1/2 under 10 days) or\n"
	    "renew_before; at once when revoked, or when its names or key\n"
	    "type differ from certd.conf. Failures back off per certificate.\n"
	    "Prints one line per certificate.\n"
	    "Exit status: 0 nothing failed (renewed or not due), 3 some\n"
	    "renewal failed or is waiting to retry, 64 usage, 75 another run\n"
	    "holds the lock, 78 configuration." },
	{ "tlsa", OPTS_CMD_TLSA, "tlsa --name CERT [--port 25] [--proto tcp] "
	    "[--check]",
	    "Print the DANE TLSA 3 1 1 records (SHA-256 of the public key)\n"
	    "of CERT's current key for every DNS name of the certificate,\n"
	    "and of the staged next key with key_rollover = dane (staged\n"
	    "now if there is none yet). Publish both before the switch.\n"
	    "--check marks each record \"; published\" or \"; missing\"." },
	{ "help", OPTS_CMD_HELP, "help [COMMAND]", "Show help." },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static void *
field(struct opts *o, const struct optdef *d)
{
	return (char *)o + d->off;
}

/* seen[] marks options set by a flag, so the config file cannot override
 * them and lists given as flags replace the configured list */
static int
set_value(struct opts *o, const struct optdef *d, const char *v,
    const char *where, struct cd_err *err)
{
	/* a bad flag is a usage error, a bad config line a config error */
	enum cd_errkind	 kind = strcmp(where, "--") == 0 ? CD_EUSAGE :
	    CD_ECONFIG;
	unsigned long long	 u;
	struct opts_list	*l;
	char			**s;

	switch (d->type) {
	case T_STR:
		s = field(o, d);
		free(*s);
		*s = xstrdup(v);
		break;
	case T_BOOL:
		if (v == NULL || strcasecmp(v, "yes") == 0 ||
		    strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*(bool *)field(o, d) = true;
		else if (strcasecmp(v, "no") == 0 ||
		    strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*(bool *)field(o, d) = false;
		else
			return cd_err_set(err, kind,
			    "%s%s: \"%s\" is not yes or no", where, d->name, v);
		break;
	case T_COUNT:
		(*(unsigned *)field(o, d))++;
		break;
	case T_UINT:
		if (util_parse_uint(v, d->min, d->max, &u) == -1)
			return cd_err_set(err, kind,
			    "%s%s: \"%s\" is not a number from %u to %u",
			    where, d->name, v, d->min, d->max);
		*(unsigned *)field(o, d) = (unsigned)u;
		break;
	case T_DUR:
		if (util_parse_duration(v, (time_t *)field(o, d)) == -1)
			return cd_err_set(err, kind, "%s%s: \"%s\" is not a "
			    "duration (30d, 12h, 90m, 3600)", where, d->name, v);
		break;
	case T_LIST:
		l = field(o, d);
		if (l->n >= OPTS_LIST_MAX)
			return cd_err_set(err, kind, "%s%s: too many",
			    where, d->name);
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = xstrdup(v);
		break;
	}
	return 0;
}

static void
list_clear(struct opts_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- [cert NAME] sections */

static const struct certkey {
	const char	*name;
	enum otype	 type;
	size_t		 off;
	unsigned	 min, max;	/* T_UINT range */
} certkeys[] = {
	{ "domain", T_LIST, offsetof(struct opts_cert, domain), 0, 0 },
	{ "key_type", T_STR, offsetof(struct opts_cert, key_type), 0, 0 },
	{ "challenge", T_STR, offsetof(struct opts_cert, challenge), 0, 0 },
	{ "http_addr", T_STR, offsetof(struct opts_cert, http_addr), 0, 0 },
	{ "http_port", T_UINT, offsetof(struct opts_cert, http_port), 1,
	    65535 },
	{ "webroot", T_STR, offsetof(struct opts_cert, webroot), 0, 0 },
	{ "tls_addr", T_STR, offsetof(struct opts_cert, tls_addr), 0, 0 },
	{ "tls_port", T_UINT, offsetof(struct opts_cert, tls_port), 1,
	    65535 },
	{ "dns_hook", T_STR, offsetof(struct opts_cert, dns_hook), 0, 0 },
	{ "install", T_LIST, offsetof(struct opts_cert, install), 0, 0 },
	{ "renew_before", T_DUR, offsetof(struct opts_cert, renew_before),
	    0, 0 },
	{ "key_rollover", T_STR, offsetof(struct opts_cert, key_rollover),
	    0, 0 },
	{ "profile", T_STR, offsetof(struct opts_cert, profile), 0, 0 },
	{ "preferred_chain", T_STR, offsetof(struct opts_cert,
	    preferred_chain), 0, 0 },
	{ "server", T_STR, offsetof(struct opts_cert, server), 0, 0 },
	{ "tlsa_port", T_UINT, offsetof(struct opts_cert, tlsa_port), 1,
	    65535 },
};
#define NCERTKEYS	(sizeof(certkeys) / sizeof(certkeys[0]))

static void
cert_clear(struct opts_cert *c)
{
	size_t	 i;

	for (i = 0; i < NCERTKEYS; i++) {
		void	*f = (char *)c + certkeys[i].off;

		if (certkeys[i].type == T_STR)
			free(*(char **)f);
		else if (certkeys[i].type == T_LIST)
			list_clear(f);
	}
	free(c->name);
	memset(c, 0, sizeof(*c));
}

/* an install target or a name: [a-z0-9_-]{1,64} */
static bool
token_ok(const char *t)
{
	size_t	 i;

	for (i = 0; t[i] != '\0'; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '-' || t[i] == '_'))
			return false;
	return i > 0 && i <= 64;
}

/* Appends the comma-separated items of v to l (white space trimmed). */
static int
cert_list_add(struct opts_list *l, const char *v, bool tokens,
    const char *where, const char *key, struct cd_err *err)
{
	char	*copy, *p, *e;
	int	 rc = 0;

	copy = xstrdup(v);
	for (p = copy; p != NULL && rc == 0; p = e) {
		if ((e = strchr(p, ',')) != NULL)
			*e++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, " \t")] = '\0';
		if (*p == '\0')
			continue;
		if (tokens && !token_ok(p))
			rc = cd_err_set(err, CD_ECONFIG, "%s%s: bad value "
			    "\"%.64s\"", where, key, p);
		else if (l->n >= OPTS_LIST_MAX)
			rc = cd_err_set(err, CD_ECONFIG, "%s%s: too many",
			    where, key);
		else {
			l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
			l->v[l->n++] = xstrdup(p);
		}
	}
	free(copy);
	return rc;
}

/* One key of [cert NAME]; lists take comma-separated values, and a
 * repeated list key adds to the list. */
static int
cert_set(struct opts_cert *c, const struct certkey *k, const char *v,
    const char *where, struct cd_err *err)
{
	unsigned long long	 u;
	void			*f = (char *)c + k->off;

	switch (k->type) {
	case T_STR:
		if (*v == '\0')
			return cd_err_set(err, CD_ECONFIG, "%s%s: empty value",
			    where, k->name);
		free(*(char **)f);
		*(char **)f = xstrdup(v);
		return 0;
	case T_UINT:
		if (util_parse_uint(v, k->min, k->max, &u) == -1)
			return cd_err_set(err, CD_ECONFIG, "%s%s: \"%s\" is not "
			    "a number from %u to %u", where, k->name, v, k->min,
			    k->max);
		*(unsigned *)f = (unsigned)u;
		return 0;
	case T_DUR:
		if (util_parse_duration(v, (time_t *)f) == -1)
			return cd_err_set(err, CD_ECONFIG, "%s%s: \"%s\" is not "
			    "a duration (30d, 12h, 90m, 3600)", where, k->name, v);
		return 0;
	case T_LIST:
		return cert_list_add(f, v, k->off == offsetof(struct opts_cert,
		    install), where, k->name, err);
	default:
		return cd_err_set(err, CD_ECONFIG, "%s%s: bad key", where,
		    k->name);
	}
}

/* The section for name, added when new. */
static struct opts_cert *
cert_section(struct opts *o, const char *name, const char *path,
    struct cd_err *err)
{
	size_t	 i;

	if (!util_is_safe_component(name)) {
		cd_err_set(err, CD_ECONFIG, "%s: [cert %.64s]: use letters, "
		    "digits, '.', '_' and '-' in a certificate name", path,
		    name);
		return NULL;
	}
	for (i = 0; i < o->ncerts; i++)
		if (strcmp(o->certs[i].name, name) == 0)
			return &o->certs[i];
	if (o->ncerts >= OPTS_CERTS_MAX) {
		cd_err_set(err, CD_ECONFIG, "%s: more than %d [cert] sections",
		    path, OPTS_CERTS_MAX);
		return NULL;
	}
	o->certs = xreallocarray(o->certs, o->ncerts + 1, sizeof(*o->certs));
	memset(&o->certs[o->ncerts], 0, sizeof(o->certs[0]));
	o->certs[o->ncerts].name = xstrdup(name);
	return &o->certs[o->ncerts++];
}

const struct opts_cert *
opts_cert_find(const struct opts *o, const char *name)
{
	size_t	 i;

	for (i = 0; i < o->ncerts; i++)
		if (strcmp(o->certs[i].name, name) == 0)
			return &o->certs[i];
	return NULL;
}

/* One line of a [cert NAME] section. */
static int
conf_cert_line(struct opts *o, const char *path, const char *section,
    const char *name, const char *value, struct cd_err *err)
{
	struct opts_cert	*oc;
	const char		*cn = section + 5;
	char			 where[300];
	size_t			 i;

	while (*cn == ' ')
		cn++;
	(void)snprintf(where, sizeof(where), "%s: [cert %.64s]: ", path, cn);
	if ((oc = cert_section(o, cn, path, err)) == NULL)
		return -1;
	for (i = 0; i < NCERTKEYS; i++)
		if (strcmp(certkeys[i].name, name) == 0)
			break;
	if (i == NCERTKEYS)
		return cd_err_set(err, CD_ECONFIG, "%sunknown key \"%.64s\"",
		    where, name);
	return cert_set(oc, &certkeys[i], value, where, err);
}

struct conf_ctx {
	struct opts	*o;
	const bool	*seen;
	struct cd_err	*err;
	const char	*path;
	int		 failed;
};

static int
conf_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct conf_ctx	*c = arg;
	char		 key[64], where[300];
	size_t		 i;

	if (c->failed)
		return 0;
	if (strncmp(section, "cert ", 5) == 0) {
		if (conf_cert_line(c->o, c->path, section, name, value,
		    c->err) == -1) {
			c->failed = 1;
			return 0;
		}
		return 1;
	}
	if (*section != '\0' && strcmp(section, "certd") != 0) {
		cd_err_set(c->err, CD_ECONFIG, "%s: unknown section [%s]",
		    c->path, section);
		c->failed = 1;
		return 0;
	}
	for (i = 0; i < NDEFS; i++) {
		if (!defs[i].conf || strlen(defs[i].name) >= sizeof(key))
			continue;
		(void)snprintf(key, sizeof(key), "%s", defs[i].name);
		for (char *p = key; *p != '\0'; p++)
			if (*p == '-')
				*p = '_';
		if (strcmp(key, name) == 0)
			break;
	}
	if (i == NDEFS) {
		cd_err_set(c->err, CD_ECONFIG, "%s: unknown option \"%s\"",
		    c->path, name);
		c->failed = 1;
		return 0;
	}
	if (c->seen[i])
		return 1;	/* the command line wins */
	(void)snprintf(where, sizeof(where), "%s: ", c->path);
	if (set_value(c->o, &defs[i], value, where, c->err) == -1) {
		c->failed = 1;
		return 0;
	}
	return 1;
}

static int
conf_load(struct opts *o, const bool *seen, bool explicit,
    struct cd_err *err)
{
	struct conf_ctx	 c = { o, seen, err, o->config, 0 };
	char		*text = NULL;
	int		 line;

	/* it may hold the EAB key: STYLE.md §4 */
	if (file_read_private(AT_FDCWD, o->config, OPTS_CONF_MAX, &text,
	    NULL, err) == -1) {
		if (!explicit && err->kind == CD_ESYS &&
		    err->sys_errno == ENOENT) {
			cd_err_clear(err);
			return 0;	/* no default config file: fine */
		}
		err->kind = CD_ECONFIG;
		return -1;
	}
	line = ini_parse_string(text, conf_handler, &c);
	free(text);
	if (c.failed)
		return -1;
	if (line != 0)
		return cd_err_set(err, CD_ECONFIG, "%s:%d: syntax error",
		    o->config, line);
	return 0;
}

static const struct cmddef *
cmd_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

int
opts_parse(int argc, char *argv[], struct opts *o, struct cd_err *err)
{
	struct option		 lopts[NDEFS + 2];
	char			 sopts[NDEFS * 2 + 3], *p = sopts;
	bool			 seen[NDEFS];
	const struct cmddef	*cd;
	const char		*env;
	size_t			 i;
	int			 ch, idx, n, explicit = 0;

	memset(o, 0, sizeof(*o));
	memset(seen, 0, sizeof(seen));
	*p++ = ':';		/* report missing arguments as ':' */
	for (i = 0; i < NDEFS; i++) {
		lopts[i].name = defs[i].name;
		lopts[i].has_arg = defs[i].type == T_BOOL ||
		    defs[i].type == T_COUNT ? no_argument : required_argument;
		lopts[i].flag = NULL;
		lopts[i].val = 256 + (int)i;
		if (defs[i].shortc != 0) {
			*p++ = (char)defs[i].shortc;
			if (lopts[i].has_arg == required_argument)
				*p++ = ':';
		}
	}
	lopts[NDEFS] = (struct option){ "version", no_argument, NULL, 'V' };
	memset(&lopts[NDEFS + 1], 0, sizeof(lopts[0]));
	*p = '\0';

	/* GNU getopt permutes: global options may follow the command */
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, sopts, lopts, &idx)) != -1) {
		if (ch == 'V') {
			o->cmd = OPTS_CMD_VERSION;
			return 0;
		}
		if (ch == '?' || ch == ':') {
			if (optopt != 0 && ch == ':')
				return cd_err_set(err, CD_EUSAGE,
				    "option -%c needs an argument", optopt);
			if (optopt != 0)
				return cd_err_set(err, CD_EUSAGE,
				    "unknown option -%c", optopt);
			return cd_err_set(err, CD_EUSAGE, "%s: %s",
			    argv[optind - 1], ch == ':' ?
			    "needs an argument" : "unknown option");
		}
		if (ch < 256) {
			for (i = 0; i < NDEFS; i++)
				if (defs[i].shortc == ch)
					break;
		} else
			i = (size_t)(ch - 256);
		if (i >= NDEFS)
			return cd_err_set(err, CD_EUSAGE, "bad option");
		/* a list given on the command line replaces the config's */
		if (set_value(o, &defs[i], optarg, "--", err) == -1)
			return -1;
		seen[i] = true;
	}
	n = argc - optind;
	if (n > 0) {
		o->cmd_name = argv[optind];
		o->args = argv + optind + 1;
		o->nargs = (size_t)(n - 1);
	}
	if (o->cmd_name == NULL) {
		if (o->help) {
			o->cmd = OPTS_CMD_HELP;
			return 0;
		}
		return cd_err_set(err, CD_EUSAGE,
		    "no command given (try: certd help)");
	}
	if ((cd = cmd_find(o->cmd_name)) == NULL)
		return cd_err_set(err, CD_EUSAGE,
		    "unknown command \"%s\" (try: certd help)", o->cmd_name);
	o->cmd = cd->cmd;
	if (o->help || o->cmd == OPTS_CMD_HELP)
		return 0;
	for (i = 0; i < NDEFS; i++)
		if (seen[i] && defs[i].cmds != GLOBAL &&
		    (defs[i].cmds & (1u << o->cmd)) == 0)
			return cd_err_set(err, CD_EUSAGE,
			    "%s: option --%s does not apply (try: certd help "
			    "%s)", o->cmd_name, defs[i].name, o->cmd_name);

	if (o->config == NULL)
		o->config = xstrdup(OPTS_CONF_DEFAULT);
	else
		explicit = 1;
	if (conf_load(o, seen, explicit, err) == -1)
		return -1;
	if (o->state_dir == NULL)
		o->state_dir = xstrdup((env = getenv("CERTD_STATE_DIR")) !=
		    NULL && *env != '\0' ? env : OPTS_STATE_DEFAULT);
	return 0;
}

void
opts_clear(struct opts *o)
{
	size_t	 i;

	for (i = 0; i < NDEFS; i++) {
		if (defs[i].type == T_STR) {
			free(*(char **)field(o, &defs[i]));
			*(char **)field(o, &defs[i]) = NULL;
		} else if (defs[i].type == T_LIST)
			list_clear(field(o, &defs[i]));
	}
	for (i = 0; i < o->ncerts; i++)
		cert_clear(&o->certs[i]);
	free(o->certs);
	o->certs = NULL;
	o->ncerts = 0;
}

static void
print_opts(FILE *fp, unsigned mask)
{
	char	 flag[64];
	size_t	 i;

	for (i = 0; i < NDEFS; i++) {
		if (defs[i].cmds != mask && !(mask != GLOBAL &&
		    (defs[i].cmds & mask) != 0))
			continue;
		if (defs[i].shortc != 0)
			(void)snprintf(flag, sizeof(flag), "-%c, --%s%s%s",
			    defs[i].shortc, defs[i].name,
			    defs[i].arg != NULL ? " " : "",
			    defs[i].arg != NULL ? defs[i].arg : "");
		else
			(void)snprintf(flag, sizeof(flag), "    --%s%s%s",
			    defs[i].name, defs[i].arg != NULL ? " " : "",
			    defs[i].arg != NULL ? defs[i].arg : "");
		fprintf(fp, "  %-30s %s\n", flag, defs[i].help);
	}
}

int
opts_usage(const char *name, FILE *fp)
{
	const struct cmddef	*cd;
	size_t			 i;

	if (name == NULL) {
		fprintf(fp, "usage: certd [options] COMMAND [command options]"
		    "\n\ncertd obtains and renews TLS certificates for mail "
		    "servers over ACME.\n\ncommands:\n");
		for (i = 0; i < NCMDS; i++)
			fprintf(fp, "  certd %s\n", cmds[i].synopsis);
		fprintf(fp, "\nglobal options (also valid after the command; "
		    "most may be set in certd.conf):\n");
		print_opts(fp, GLOBAL);
		fprintf(fp, "\n'certd help COMMAND' shows a command's options."
		    "\nExit status (check: 0 good, 1 revoked, 2 unknown; renew: "
		    "3 some renewal failed): "
		    "0 ok, 1 refused by the CA or installing failed, 64 "
		    "usage, 66 "
		    "not found, 69 CA unreachable,\n70 internal, 74 I/O, 75 "
		    "temporary (retry later), 76 protocol, 78 config.\n");
		return 0;
	}
	if ((cd = cmd_find(name)) == NULL)
		return -1;
	fprintf(fp, "usage: certd %s\n\n%s\n", cd->synopsis, cd->help);
	if (cd->cmd != OPTS_CMD_HELP) {
		fprintf(fp, "\noptions:\n");
		print_opts(fp, 1u << cd->cmd);
		fprintf(fp, "\nglobal options: see 'certd help'.\n");
	}
	return 0;
}
