/*
 * opts.h - every option of the certd command line and of certd.conf, in
 * one table: the config file fills struct opts first, then flags win.
 * The same table drives `certd help` and the --help of every command.
 */
#ifndef CERTD_OPTS_H
#define CERTD_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "err.h"

#define OPTS_CONF_DEFAULT	"/etc/certd/certd.conf"
#define OPTS_STATE_DEFAULT	"/var/lib/certd"
#define OPTS_CONF_MAX		(64 * 1024)	/* bytes of certd.conf */
#define OPTS_LIST_MAX		100		/* values of a list option */
#define OPTS_CERTS_MAX		1000		/* [cert NAME] sections */

enum opts_cmd {
	OPTS_CMD_NONE = 0,
	OPTS_CMD_ISSUE,
	OPTS_CMD_LIST,
	OPTS_CMD_ACCOUNT,
	OPTS_CMD_REVOKE,
	OPTS_CMD_CHECK,
	OPTS_CMD_RENEW,
	OPTS_CMD_HELP,
	OPTS_CMD_VERSION,
	OPTS_CMD_INSTALL,
	OPTS_CMD_TLSA,
};

struct opts_list {
	char	**v;
	size_t	 n;
};

/*
 * One [cert NAME] section of certd.conf: a certificate certd manages
 * (`certd renew` issues it when it does not exist yet). Unset strings are
 * NULL, unset numbers 0; lists may be empty.
 */
struct opts_cert {
	char		*name;		/* util_is_safe_component() */
	struct opts_list domain;	/* names, in order */
	char		*key_type;
	char		*challenge;
	char		*http_addr;
	unsigned	 http_port;
	char		*webroot;
	char		*tls_addr;
	unsigned	 tls_port;
	char		*dns_hook;
	struct opts_list install;	/* targets: postfix, exim, dovecot, ... */
	time_t		 renew_before;	/* seconds before expiry; 0: default */
	char		*key_rollover;	/* "new" (default), "reuse", "dane" */
	char		*profile;
	char		*preferred_chain;
	char		*server;	/* ACME directory; NULL: the global one */
	unsigned	 tlsa_port;	/* DANE: TLSA port; 0: tlsa_port */
};

struct opts {
	enum opts_cmd	 cmd;
	const char	*cmd_name;
	char		**args;		/* operands after the command */
	size_t		 nargs;
	bool		 help;		/* --help given */

	/* global */
	char		*config;
	char		*state_dir;
	char		*server;
	struct opts_list email;
	bool		 agree_tos;
	char		*ca_bundle;
	char		*eab_kid;
	char		*eab_key;
	char		*account_key_type;
	unsigned	 timeout;	/* seconds per request */
	unsigned	 verbose;
	bool		 quiet;

	/* issue */
	struct opts_list domain;
	char		*name;
	char		*key_type;
	bool		 reuse_key;
	char		*challenge;
	char		*http_addr;
	unsigned	 http_port;
	char		*webroot;
	char		*tls_addr;
	unsigned	 tls_port;
	char		*dns_hook;
	unsigned	 hook_timeout;
	char		*preferred_chain;
	char		*profile;
	unsigned	 poll_timeout;

	/* list, revoke */
	bool		 json;
	char		*reason;

	/* check */
	char		*cert;
	char		*chain;
	char		*ca_file;
	char		*ocsp_response;
	char		*host;
	char		*starttls;
	bool		 tls;
	bool		 no_cache;
	char		*revocation_order;
	bool		 ocsp_nonce;
	unsigned	 crl_max_size;	/* MiB */
	unsigned	 cache_max_age;	/* seconds a verdict may be reused */

	/* install (and issue --install) */
	struct opts_list install;	/* targets: "postfix,exim" ... */
	struct opts_list install_for;	/* certd install --for */
	bool		 configure;	/* point the MTA at certd's files */
	char		*print_config;	/* MTA */
	char		*postfix_config_dir;
	char		*dest_dir;	/* base: files go to BASE/MTA/ */
	char		*verify_host;
	struct opts_list verify_port;	/* "N" or "MTA:N" */
	char		*deploy_hook_dir;
	char		*exim_config;	/* exim -C FILE; NULL: exim's own */
	char		*exim_bin_dir;	/* NULL: /usr/sbin */
	char		*exim_group;	/* NULL: Debian-exim */
	char		*dovecot_config;	/* doveconf -c FILE */
	char		*dovecot_bin_dir;	/* NULL: /usr/bin */

	/* renew */
	bool		 force;
	bool		 dry_run;
	time_t		 renew_before;	/* seconds; 0: the lifetime rule */

	/* tlsa, and renew with key_rollover = dane (see tlsa.h) */
	unsigned	 port;		/* certd tlsa --port */
	char		*proto;		/* certd tlsa --proto */
	bool		 tlsa_check;	/* certd tlsa --check: ask DNS */
	unsigned	 tlsa_port;	/* default TLSA port (25) */
	char		*dns_server;	/* "IPv4[:PORT]"; NULL: resolv.conf */
	char		*tlsa_hook;	/* publishes TLSA records (RFC 2136) */
	time_t		 tlsa_ttl;	/* seconds; 0: TLSA_TTL_DEFAULT */
	time_t		 tlsa_margin;	/* seconds; 0: 2 x TTL */

	/* [cert NAME] sections of certd.conf, in file order */
	struct opts_cert *certs;
	size_t		 ncerts;
};

/* Parses argv and the config file into o (defaults first). A usage error
 * returns -1 with CD_ECONFIG and a message; --help and `help` are not
 * errors (o->help / OPTS_CMD_HELP). */
int	opts_parse(int argc, char *argv[], struct opts *, struct cd_err *);
void	opts_clear(struct opts *);
/* The [cert NAME] section called name, or NULL. */
const struct opts_cert *opts_cert_find(const struct opts *, const char *name);
/* Prints the general help, or that of one command (NULL: general). -1
 * for an unknown command. */
int	opts_usage(const char *cmd, FILE *);

#endif
