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

#include "err.h"

#define OPTS_CONF_DEFAULT	"/etc/certd/certd.conf"
#define OPTS_STATE_DEFAULT	"/var/lib/certd"
#define OPTS_CONF_MAX		(64 * 1024)	/* bytes of certd.conf */
#define OPTS_LIST_MAX		100		/* values of a list option */

enum opts_cmd {
	OPTS_CMD_NONE = 0,
	OPTS_CMD_ISSUE,
	OPTS_CMD_LIST,
	OPTS_CMD_ACCOUNT,
	OPTS_CMD_REVOKE,
	OPTS_CMD_CHECK,
	OPTS_CMD_HELP,
	OPTS_CMD_VERSION,
};

struct opts_list {
	char	**v;
	size_t	 n;
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
};

/* Parses argv and the config file into o (defaults first). A usage error
 * returns -1 with CD_ECONFIG and a message; --help and `help` are not
 * errors (o->help / OPTS_CMD_HELP). */
int	opts_parse(int argc, char *argv[], struct opts *, struct cd_err *);
void	opts_clear(struct opts *);
/* Prints the general help, or that of one command (NULL: general). -1
 * for an unknown command. */
int	opts_usage(const char *cmd, FILE *);

#endif
