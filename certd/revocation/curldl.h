/*
 * curldl.h - libcurl loaded at run time with dlopen(3), the first time a
 * revocation fetch is set up, so that commands which never fetch (issue,
 * list, install ...) never map libcurl and the ~35 libraries it pulls in.
 * curl/curl.h is still used for the types and constants.
 */
#ifndef CERTD_CURLDL_H
#define CERTD_CURLDL_H

#include <curl/curl.h>

#include "err.h"

#define CURLDL_SONAME	"libcurl.so.4"	/* the libcurl4 (OpenSSL) ABI */
#define CURLDL_VERSION_MIN 0x075500	/* 7.85.0: CURLOPT_PROTOCOLS_STR */

/*
 * The libcurl functions certd calls, with curl's exact prototypes (checked
 * at compile time against curl/curl.h in curldl.c). Call through the
 * table, e.g. cu->easy_setopt(h, CURLOPT_URL, url): never define or call
 * curl_* names directly, they are not linked.
 */
struct curldl_fns {
	CURLcode	 (*global_init)(long);
	void		 (*global_cleanup)(void);
	curl_version_info_data *(*version_info)(CURLversion);
	CURL		*(*easy_init)(void);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	void		 (*easy_cleanup)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		 (*slist_free_all)(struct curl_slist *);
	CURLM		*(*multi_init)(void);
	CURLMcode	 (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	 (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	 (*multi_perform)(CURLM *, int *);
	CURLMcode	 (*multi_poll)(CURLM *, struct curl_waitfd[],
			    unsigned int, int, int *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
	const char	*(*multi_strerror)(CURLMcode);
	CURLMcode	 (*multi_cleanup)(CURLM *);
	CURLU		*(*url)(void);
	CURLUcode	 (*url_set)(CURLU *, CURLUPart, const char *,
			    unsigned int);
	void		 (*url_cleanup)(CURLU *);
};

/*
 * Loads libcurl (CURLDL_SONAME) on the first call: dlopen(RTLD_NOW |
 * RTLD_LOCAL), every symbol of struct curldl_fns, a version check
 * (>= CURLDL_VERSION_MIN) and curl_global_init(CURL_GLOBAL_DEFAULT).
 * Later calls return the same table. The table is borrowed and stays
 * valid until curldl_unload(). NULL on failure, with err (CD_ECONFIG)
 * naming the library and the cause; nothing is kept, so a later call
 * tries again. Not thread-safe (curl_global_init is not either): call it
 * from the thread that fetches, before any other thread uses libcurl.
 */
const struct curldl_fns	*curldl_load(struct cd_err *);

/*
 * Calls curl_global_cleanup() if curldl_load() succeeded; tables returned
 * earlier must not be used afterwards. The library stays mapped (no
 * dlclose) so that leak checkers can still resolve its symbols at exit.
 * A no-op if nothing is loaded.
 */
void	curldl_unload(void);

/*
 * The loading step alone, for tests: dlopen(soname), fill *fns with every
 * symbol and check the version, without curl_global_init and without
 * touching the table of curldl_load(). Returns the dlopen handle (the
 * caller dlclose()s it), or NULL with err filled (CD_ECONFIG: library
 * missing, a symbol missing, or too old); *fns is then zeroed.
 */
void	*curldl_open(const char *soname, struct curldl_fns *fns,
	    struct cd_err *);

#endif
