/*
 * cmd.h - the command handlers of the certd program. Each returns 0 or
 * -1 with err filled; main() maps err to the exit status and prints it.
 */
#ifndef CERTD_CMD_H
#define CERTD_CMD_H

#include <stdio.h>

#include "err.h"
#include "opts.h"

int	cmd_issue(const struct opts *, struct cd_err *);
int	cmd_list(const struct opts *, struct cd_err *);
int	cmd_account(const struct opts *, struct cd_err *);
int	cmd_revoke(const struct opts *, struct cd_err *);
int	cmd_install(const struct opts *, struct cd_err *);
int	cmd_tlsa(const struct opts *, struct cd_err *);
/* *status: 0 good, 1 revoked, 2 unknown (when it returns 0) */
int	cmd_check(const struct opts *, int *status, struct cd_err *);

/* *status: 0 nothing failed, CMD_RENEW_FAILED some renewal failed */
#define CMD_RENEW_FAILED	3
int	cmd_renew(const struct opts *, int *status, struct cd_err *);

/* Writes s as a JSON string (quoted, escaped) to fp. */
void	cmd_json_str(FILE *, const char *);

#endif
