/*
 * main.c - the certd program: parse options and certd.conf, run one
 * command, turn its error into one line on stderr and an exit status
 * that scripts can rely on (documented in certd(8) and `certd help`).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "err.h"
#include "log.h"
#include "opts.h"
#include "revocation/curldl.h"

/* sysexits(3) values, and 1 for "the CA said no" */
#define EXIT_REFUSED	1
#define EX_USAGE	64
#define EX_NOINPUT	66
#define EX_UNAVAILABLE	69
#define EX_SOFTWARE	70
#define EX_IOERR	74
#define EX_TEMPFAIL	75
#define EX_PROTOCOL	76
#define EX_CONFIG	78

static int
exit_status(const struct cd_err *err)
{
	switch (err->kind) {
	case CD_ESERVER:
	case CD_EINSTALL:	/* e.g. issued, but the MTA refused it */
		return EXIT_REFUSED;
	case CD_EUSAGE:
		return EX_USAGE;
	case CD_ECONFIG:
		return EX_CONFIG;
	case CD_ENOTFOUND:
		return EX_NOINPUT;
	case CD_ENET:
		return EX_UNAVAILABLE;
	case CD_ETEMP:
		return EX_TEMPFAIL;
	case CD_EPROTO:
		return EX_PROTOCOL;
	case CD_ESYS:
		return EX_IOERR;
	default:
		return EX_SOFTWARE;
	}
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	struct cd_err	 err;
	int		 rc = 0, status = 0;

	(void)umask(077);		/* keys are 0600 from the first byte */
	(void)signal(SIGPIPE, SIG_IGN);
	log_init("certd", 0, 1);
	cd_err_clear(&err);
	/* libcurl is loaded by the first revocation fetch (curldl.c) */
	if (opts_parse(argc, argv, &o, &err) == -1) {
		fprintf(stderr, "certd: %s\n", err.msg);
		opts_clear(&o);
		return exit_status(&err);
	}
	log_verbose = o.quiet ? -1 : (int)o.verbose;
	if (o.cmd == OPTS_CMD_VERSION) {
		printf("certd %s\n", CERTD_VERSION);
		goto out;
	}
	if (o.cmd == OPTS_CMD_HELP || o.help) {
		const char	*what = o.cmd == OPTS_CMD_HELP ?
		    (o.nargs > 0 ? o.args[0] : NULL) : o.cmd_name;

		if (opts_usage(what, stdout) == -1) {
			fprintf(stderr, "certd: help: unknown command \"%s\"\n",
			    what);
			rc = EX_USAGE;
		}
		goto out;
	}
	switch (o.cmd) {
	case OPTS_CMD_ISSUE:
		rc = cmd_issue(&o, &err);
		break;
	case OPTS_CMD_LIST:
		rc = cmd_list(&o, &err);
		break;
	case OPTS_CMD_ACCOUNT:
		rc = cmd_account(&o, &err);
		break;
	case OPTS_CMD_REVOKE:
		rc = cmd_revoke(&o, &err);
		break;
	case OPTS_CMD_INSTALL:
		rc = cmd_install(&o, &err);
		break;
	case OPTS_CMD_CHECK:
		if ((rc = cmd_check(&o, &status, &err)) == 0)
			rc = status;
		break;
	case OPTS_CMD_RENEW:
		if ((rc = cmd_renew(&o, &status, &err)) == 0)
			rc = status;
		break;
	case OPTS_CMD_TLSA:
		rc = cmd_tlsa(&o, &err);
		break;
	default:
		rc = cd_err_set(&err, CD_EUSAGE, "no command");
		break;
	}
	if (rc == -1) {
		fprintf(stderr, "certd: %s\n", err.msg);
		rc = exit_status(&err);
	}
out:
	opts_clear(&o);
	curldl_unload();	/* curl_global_cleanup, if it was loaded */
	if (fflush(stdout) == EOF && rc == 0)
		rc = EX_IOERR;
	return rc;
}
