/*
 * curldl.c - loads libcurl with dlopen(3) on first use (as Postfix loads
 * its map modules) and hands out a table of its functions. Trusts the
 * system's libcurl.so.4 to be libcurl; checks that every symbol exists
 * and that the version is recent enough before anything calls into it.
 */
#include "curldl.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* X(field of struct curldl_fns, libcurl symbol) */
#define CURLDL_SYMS(X)						\
	X(global_init, curl_global_init)			\
	X(global_cleanup, curl_global_cleanup)			\
	X(version_info, curl_version_info)			\
	X(easy_init, curl_easy_init)				\
	X(easy_setopt, curl_easy_setopt)			\
	X(easy_getinfo, curl_easy_getinfo)			\
	X(easy_cleanup, curl_easy_cleanup)			\
	X(easy_strerror, curl_easy_strerror)			\
	X(slist_append, curl_slist_append)			\
	X(slist_free_all, curl_slist_free_all)			\
	X(multi_init, curl_multi_init)				\
	X(multi_add_handle, curl_multi_add_handle)		\
	X(multi_remove_handle, curl_multi_remove_handle)	\
	X(multi_perform, curl_multi_perform)			\
	X(multi_poll, curl_multi_poll)				\
	X(multi_info_read, curl_multi_info_read)		\
	X(multi_strerror, curl_multi_strerror)			\
	X(multi_cleanup, curl_multi_cleanup)			\
	X(url, curl_url)					\
	X(url_set, curl_url_set)				\
	X(url_cleanup, curl_url_cleanup)

/*
 * Every field has the type of a pointer to the function curl/curl.h
 * declares. __typeof__ does not evaluate its operand, so this references
 * no curl symbol; a function-like macro (curl's typecheck-gcc.h defines
 * curl_easy_setopt as one) is not expanded without its parentheses.
 */
#define CHECK_TYPE(field, sym)						\
	_Static_assert(__builtin_types_compatible_p(			\
	    __typeof__(((struct curldl_fns *)NULL)->field),		\
	    __typeof__(&sym)), #sym ": prototype differs from curl.h");
CURLDL_SYMS(CHECK_TYPE)
#undef CHECK_TYPE

/*
 * The loaded table: file-scope state, set only once curldl_load() has
 * fully succeeded (library, symbols, version, global init) and reset by
 * curldl_unload(). A failed load leaves both untouched.
 */
static struct curldl_fns	 loaded_fns;
static bool			 loaded;

/* dlsym(), remembering the first symbol that is missing in *missing. */
static void *
sym_get(void *h, const char *name, const char **missing)
{
	void	*p;

	if (*missing != NULL)
		return NULL;
	if ((p = dlsym(h, name)) == NULL)
		*missing = name;
	return p;
}

void *
curldl_open(const char *soname, struct curldl_fns *fns, struct cd_err *err)
{
	curl_version_info_data	*vi;
	const char		*missing = NULL, *why;
	void			*h;

	memset(fns, 0, sizeof(*fns));
	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		cd_err_set(err, CD_ECONFIG, "revocation fetch needs libcurl "
		    "(%s): %s", soname, why != NULL ? why : "dlopen failed");
		return NULL;
	}
	/* POSIX dlsym(): a void * converts to a function pointer */
#define GET(field, sym)							\
	fns->field = (__typeof__(fns->field))sym_get(h, #sym, &missing);
	CURLDL_SYMS(GET)
#undef GET
	if (missing != NULL) {
		cd_err_set(err, CD_ECONFIG, "revocation fetch needs libcurl "
		    "(%s): symbol %s not found", soname, missing);
		goto fail;
	}
	/* safe before curl_global_init (curl documents it so) */
	vi = fns->version_info(CURLVERSION_NOW);
	if (vi == NULL || vi->version_num < CURLDL_VERSION_MIN) {
		cd_err_set(err, CD_ECONFIG, "revocation fetch needs libcurl "
		    ">= %d.%d.%d (%s is %s)", CURLDL_VERSION_MIN >> 16,
		    (CURLDL_VERSION_MIN >> 8) & 0xff, CURLDL_VERSION_MIN & 0xff,
		    soname, vi != NULL && vi->version != NULL ? vi->version :
		    "unknown");
		goto fail;
	}
	return h;
fail:
	memset(fns, 0, sizeof(*fns));
	(void)dlclose(h);	/* nothing of it ran but curl_version_info */
	return NULL;
}

const struct curldl_fns *
curldl_load(struct cd_err *err)
{
	struct curldl_fns	 f;
	CURLcode		 cc;

	if (loaded)
		return &loaded_fns;
	if (curldl_open(CURLDL_SONAME, &f, err) == NULL)
		return NULL;
	if ((cc = f.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		/*
		 * No dlclose: curl may have half-initialised its TLS backend.
		 * The handle stays referenced; a retry opens it again.
		 */
		cd_err_set(err, CD_ECONFIG, "revocation fetch needs libcurl "
		    "(%s): curl_global_init: %s", CURLDL_SONAME,
		    f.easy_strerror(cc));
		return NULL;
	}
	loaded_fns = f;
	loaded = true;
	return &loaded_fns;
}

void
curldl_unload(void)
{
	if (!loaded)
		return;
	loaded_fns.global_cleanup();
	loaded = false;
	memset(&loaded_fns, 0, sizeof(loaded_fns));
}
