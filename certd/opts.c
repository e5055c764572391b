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

enum otype { T_STR, T_BOOL, T_UINT, T_LIST, T_COUNT };

#define C(x)	(1u << OPTS_CMD_##x)
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
	    C(ISSUE) | C(REVOKE), false, 0, 0, "CERT",
	    "certificate name (default: the first -d)" },
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
	{ "ca-file", 0, T_STR, offsetof(struct opts, ca_file), C(CHECK),
	    true, 0, 0, "FILE", "trust anchors for peer chains (default: "
	    "system store)" },
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
	{ "reason", 'r', T_STR, offsetof(struct opts, reason), C(REVOKE),
	    false, 0, 0, "REASON", "unspecified, keyCompromise, "
	    "affiliationChanged, superseded, cessationOfOperation, ..." },
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
	    "account show|register|deactivate|rollover",
	    "show: the stored account; register: create it (or find it by\n"
	    "its key); deactivate: end it at the CA; rollover: replace its\n"
	    "key (RFC 8555 keyChange), --key-type for the new key." },
	{ "revoke", OPTS_CMD_REVOKE, "revoke --name CERT [--reason REASON]",
	    "Revoke the current certificate CERT with the account key." },
	{ "check", OPTS_CMD_CHECK, "check --cert FILE | --host HOST[:PORT] "
	    "[options]",
	    "Is this mail server's certificate revoked? Validates the chain,\n"
	    "then asks the CRL (first) and OCSP; answers are cached.\n"
	    "Exit status: 0 good, 1 revoked, 2 unknown (the reason is shown)." },
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

	if (file_read(AT_FDCWD, o->config, OPTS_CONF_MAX, &text, NULL,
	    err) == -1) {
		if (!explicit && err->kind == CD_ESYS &&
		    err->sys_errno == ENOENT) {
			cd_err_clear(err);
			return 0;	/* no default config file: fine */
		}
		err->kind = CD_ECONFIG;
		return -1;
	}
	/* it may hold the EAB key: STYLE.md §4 */
	if (file_check_private(AT_FDCWD, o->config, err) == -1) {
		free(text);
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
		    "\nExit status (check: 0 good, 1 revoked, 2 unknown): "
		    "0 ok, 1 refused by the CA, 64 usage, 66 "
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
