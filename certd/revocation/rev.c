/*
 * rev.c - names of the revocation engine's enums.
 */
#include "rev.h"

#include <stddef.h>

const char *
rev_status_name(enum rev_status s)
{
	switch (s) {
	case REV_GOOD:
		return "good";
	case REV_REVOKED:
		return "revoked";
	default:
		return "unknown";
	}
}

const char *
rev_source_name(enum rev_source s)
{
	switch (s) {
	case REV_SRC_CRL:
		return "crl";
	case REV_SRC_OCSP:
		return "ocsp";
	case REV_SRC_STAPLED:
		return "stapled";
	case REV_SRC_CACHE:
		return "cache";
	default:
		return "none";
	}
}

const char *
rev_reason_name(int r)
{
	static const char *const names[] = { "unspecified", "keyCompromise",
	    "cACompromise", "affiliationChanged", "superseded",
	    "cessationOfOperation", "certificateHold", NULL, "removeFromCRL",
	    "privilegeWithdrawn", "aACompromise" };

	if (r < 0 || (size_t)r >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[r];
}
