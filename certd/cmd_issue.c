/*
 * cmd_issue.c - `certd issue`: lock the state directory and run one
 * issuance. A state directory this command had to create is removed
 * again when it fails, so a failure leaves no trace.
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "cmd.h"
#include "issue.h"
#include "store.h"

int
cmd_issue(const struct opts *o, struct cd_err *err)
{
	struct store	*st;
	struct stat	 sb;
	bool		 existed;
	int		 rc;

	if (o->nargs > 0)
		return cd_err_set(err, CD_EUSAGE, "issue: unexpected argument "
		    "\"%.64s\" (names are given with -d)", o->args[0]);
	if (o->domain.n == 0)
		return cd_err_set(err, CD_EUSAGE,
		    "issue: no names given (use -d NAME)");
	existed = stat(o->state_dir, &sb) == 0;
	if ((st = store_open(o->state_dir, true, err)) == NULL)
		return -1;
	rc = store_lock(st, false, err);
	if (rc == 0)
		rc = issue_run(st, o, err);
	store_close(st);
	if (rc == -1 && !existed)
		(void)rmdir(o->state_dir);	/* only if still empty */
	return rc;
}
