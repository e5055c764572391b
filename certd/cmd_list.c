/*
 * cmd_list.c - `certd list [--json]`: the current version of every
 * certificate in the state directory, read-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "cmd.h"
#include "store.h"
#include "util.h"

void
cmd_json_str(FILE *fp, const char *s)
{
	const unsigned char	*p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

static void
rfc3339(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	(void)strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static void
print_json(const char *name, const char *version, const struct cert_info *ci,
    long days, int first)
{
	char	 nb[32], na[32];
	size_t	 i;

	rfc3339(ci->not_before, nb, sizeof(nb));
	rfc3339(ci->not_after, na, sizeof(na));
	printf("%s\n  {\"name\": ", first ? "" : ",");
	cmd_json_str(stdout, name);
	printf(", \"names\": [");
	for (i = 0; i < ci->nnames; i++) {
		if (i > 0)
			printf(", ");
		cmd_json_str(stdout, ci->names[i]);
	}
	printf("], \"key_type\": ");
	cmd_json_str(stdout, ci->key_type);
	printf(", \"not_before\": \"%s\", \"not_after\": \"%s\", "
	    "\"days_left\": %ld, \"issuer\": ", nb, na, days);
	cmd_json_str(stdout, ci->issuer_cn != NULL ? ci->issuer_cn : "");
	printf(", \"serial\": \"%s\", \"sha256\": \"%s\", \"version\": ",
	    ci->serial, ci->sha256);
	cmd_json_str(stdout, version);
	printf("}");
}

static void
print_row(const char *name, const struct cert_info *ci, long days)
{
	char	 na[32], names[256];
	size_t	 i, o = 0;
	int	 n;

	rfc3339(ci->not_after, na, sizeof(na));
	names[0] = '\0';
	for (i = 0; i < ci->nnames; i++) {
		n = snprintf(names + o, sizeof(names) - o, "%s%s",
		    i > 0 ? "," : "", ci->names[i]);
		if (n < 0 || (size_t)n >= sizeof(names) - o) {
			memcpy(names + sizeof(names) - 4, "...", 4);
			break;
		}
		o += (size_t)n;
	}
	printf("%-24s %-40s %-10s %-20s %5ld  %-24s %s\n", name, names,
	    ci->key_type, na, days, ci->issuer_cn != NULL ? ci->issuer_cn :
	    "", ci->serial);
}

int
cmd_list(const struct opts *o, struct cd_err *err)
{
	struct store		*st;
	struct cert_info	 ci;
	char			**names = NULL, *pem = NULL, ver[32];
	size_t			 n = 0, i, len;
	time_t			 now = cd_now();
	long			 days;
	int			 rc = -1;

	if (o->nargs > 0)
		return cd_err_set(err, CD_EUSAGE,
		    "list: unexpected argument \"%.64s\"", o->args[0]);
	if ((st = store_open(o->state_dir, false, err)) == NULL) {
		if (err->kind != CD_ENOTFOUND)
			return -1;
		cd_err_clear(err);	/* no state yet: nothing to list */
	} else if (store_cert_list(st, &names, &n, err) == -1)
		goto out;
	if (o->json)
		printf("[");
	else if (!o->quiet)
		printf("%-24s %-40s %-10s %-20s %5s  %-24s %s\n", "NAME",
		    "NAMES", "KEY", "NOT-AFTER", "DAYS", "ISSUER", "SERIAL");
	for (i = 0; i < n; i++) {
		if (store_cert_read(st, names[i], "cert.pem", CERT_CHAIN_MAX,
		    &pem, &len, err) == -1 ||
		    store_cert_current(st, names[i], ver, sizeof(ver),
		    err) == -1 ||
		    cert_info_pem(pem, len, &ci, err) == -1)
			goto out;
		free(pem);
		pem = NULL;
		days = (long)((ci.not_after - now) / 86400);
		if (o->json)
			print_json(names[i], ver, &ci, days, i == 0);
		else
			print_row(names[i], &ci, days);
		cert_info_clear(&ci);
	}
	if (o->json)
		printf("%s]\n", n > 0 ? "\n" : "");
	rc = 0;
out:
	free(pem);
	store_names_free(names, n);
	store_close(st);
	return rc;
}
