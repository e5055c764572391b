/*
 * install.h - installing a certificate version into an MTA (issue #4):
 * place the files atomically where the MTA reads them, test the MTA's
 * configuration, reload it, verify over the network that it now serves
 * the new certificate, and on any failure put the previous files back,
 * reload again and verify the old certificate is served.
 *
 * One adapter per MTA behind struct mta_ops (postfix.c, exim.c,
 * dovecot.c; smtpd.c later for the bundled MTA). install.c runs the
 * steps; adapters only know their MTA. install.c also runs the deploy
 * hooks (every executable in the deploy-hook directory) after the
 * built-in targets.
 */
#ifndef CERTD_INSTALL_H
#define CERTD_INSTALL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdio.h>

#include "err.h"
#include "opts.h"
#include "store.h"

#define INSTALL_TIMEOUT		60	/* seconds for one MTA command */
#define INSTALL_DEST_BASE	"/etc/certd/live"	/* + "/MTA" */
#define INSTALL_HOOKS_DIR	"/etc/certd/hooks/deploy.d"
#define INSTALL_HOOKS_MAX	100	/* deploy hooks run per install */
#define INSTALL_VERIFY_WAIT	10000	/* ms: reloads are asynchronous, so
					 * the verify is retried this long */
#define INSTALL_VERIFY_TIMEOUT	5000	/* ms per verify step (probe) */
#define INSTALL_MSG_MAX		400	/* bytes of an MTA message kept */
#define INSTALL_OUTPUT_MAX	(64 * 1024)	/* bytes of command output
						 * read */
#define INSTALL_FILE_MAX	(1024 * 1024)	/* bytes of a file read back
						 * for a backup */
#define INSTALL_TARGETS_MAX	16	/* targets of one certificate */
#define INSTALL_ARGS_MAX	8	/* arguments of install_exec_args() */

/* Where and how one target is installed; every field has a default
 * (install_target_init) that matches a stock Debian installation, and
 * every one can be set in certd.conf or on the command line. Strings
 * are borrowed (from struct opts, or string literals). */
struct install_target {
	const char	*mta;		/* "postfix", "exim", "dovecot" */
	const char	*config_dir;	/* postfix -c DIR / exim config file /
					 * dovecot config file; NULL: default */
	const char	*dest_dir;	/* where certd places the files the MTA
					 * reads; default /etc/certd/live/MTA */
	const char	*bin_dir;	/* the MTA's programs; NULL: $PATH-free
					 * defaults (/usr/sbin) */
	const char	*verify_host;	/* default 127.0.0.1 */
	unsigned	 verify_port;	/* default 25 (postfix, exim), 993;
					 * 0: do not verify (tests only) */
	bool		 verify_starttls;	/* default: not for 465/993 */
	bool		 verify_tls_only;	/* no SMTP at all, only the TLS
					 * handshake (IMAPS: dovecot, at
					 * any port): probe_opts.tls_only */
	int		 verify_timeout_ms;
	const char	*owner;		/* file owner (name); NULL: root */
	const char	*group;		/* file group; NULL: the MTA's */
	mode_t		 key_mode;	/* 0: 0600, or 0640 with a group */
	bool		 configure;	/* first install: point the MTA at
					 * certd's files (postconf -e ...) */
};

/* The version to install, as PEM text (borrowed). */
struct install_files {
	const char	*name;		/* certificate name */
	const char	*cert;
	size_t		 certlen;
	const char	*chain;
	size_t		 chainlen;
	const char	*fullchain;
	size_t		 fulllen;
	const char	*key;		/* private key PEM */
	size_t		 keylen;
	const char	*sha256;	/* leaf fingerprint, lower-case hex */
	/* the same files in the state directory (the version directory,
	 * not `current`), for deploy hooks; NULL when not from a store */
	const char	*cert_path;
	const char	*chain_path;
	const char	*fullchain_path;
	const char	*key_path;
};

/* Opaque per-adapter backup of what was installed before. */
struct install_backup;

struct mta_ops {
	const char	*name;
	void		(*defaults)(struct install_target *);
	/* optional (NULL): take the adapter's own options (e.g.
	 * --postfix-config-dir) from o into t; strings stay borrowed */
	int		(*from_opts)(struct install_target *,
			    const struct opts *, struct cd_err *);
	/* writes the files atomically (a reader sees old or new, never a
	 * mix of key and certificate); fills *backup for restore. On -1
	 * nothing was changed and *backup is NULL. */
	int		(*place)(const struct install_target *,
			    const struct install_files *,
			    struct install_backup **, struct cd_err *);
	int		(*check)(const struct install_target *,
			    struct cd_err *);	/* config test */
	int		(*reload)(const struct install_target *,
			    struct cd_err *);
	/* puts back what place() (and configure()) changed */
	int		(*restore)(const struct install_target *,
			    const struct install_backup *, struct cd_err *);
	void		(*backup_free)(struct install_backup *);
	/* first installation: make the MTA use certd's files; called after
	 * place() with its backup, in which it records the configuration it
	 * changes so that restore() undoes that too. NULL: unsupported. */
	int		(*configure)(const struct install_target *,
			    const struct install_files *,
			    struct install_backup *, struct cd_err *);
	/* the configuration lines to paste (from templates/) */
	int		(*print_config)(const struct install_target *,
			    const char *name, FILE *, struct cd_err *);
};

/* The adapters (postfix.c, exim.c, dovecot.c); install_find() returns
 * them. */
extern const struct mta_ops mta_postfix, mta_exim, mta_dovecot;

/*
 * Pure helpers of the Exim and Dovecot adapters (on cfgblock_edit()),
 * exported for the unit tests. Each returns in *out (malloc'd,
 * NUL-terminated) the config text conf[0..len) with block (lines ending
 * in '\n') between "# certd begin" and "# certd end" lines, replacing an
 * earlier such block in place. exim_conf_edit puts a new block at the
 * end of the main section (before the first "begin" line) and comments
 * out ("# certd: ") other main-section tls_certificate, tls_privatekey
 * and tls_advertise_hosts settings; dovecot_conf_edit appends it (later
 * Dovecot settings win). -1 (CD_ECONFIG) on a NUL byte, an unterminated
 * or a second block.
 */
int	exim_conf_edit(const char *conf, size_t len, const char *block,
	    char **out, size_t *outlen, struct cd_err *);
int	dovecot_conf_edit(const char *conf, size_t len, const char *block,
	    char **out, size_t *outlen, struct cd_err *);

/* The adapter for an MTA name; NULL if unknown. */
const struct mta_ops *install_find(const char *mta);
/* Defaults for t->mta (zeroes t first, then the adapter's defaults). */
void	install_target_init(struct install_target *, const char *mta);
/*
 * The whole installation of one target: place, (configure,) check,
 * reload, verify (the served leaf's SHA-256 equals files->sha256), and
 * on failure restore + reload + verify the old one. 0 only when the new
 * certificate is verified to be served. On -1 err (kind CD_EINSTALL)
 * reads "NAME: install MTA: STEP failed: <the MTA's own message>" plus
 * what the rollback achieved.
 */
int	install_run(const struct mta_ops *, const struct install_target *,
	    const struct install_files *, struct cd_err *);

/*
 * Everything needed to install one certificate: the built-in targets
 * and the deploy hooks. install_plan_from_opts() splits the target list
 * (each value may be "postfix,exim"; "hooks" means only the deploy
 * hooks), checks the names, applies the options (--dest-dir BASE,
 * --verify-host, --verify-port [MTA:]N, --configure, the adapters' own
 * options). It owns the targets and the strings it had to make; others
 * are borrowed from o, which must outlive the plan. No targets at all:
 * n == 0 and hooks false.
 */
struct install_plan {
	struct install_target	*t;
	size_t			 n;
	bool			 hooks;		/* run the deploy hooks */
	const char		*hooks_dir;	/* NULL: INSTALL_HOOKS_DIR */
	unsigned		 hook_timeout;	/* 0: HOOKS_TIMEOUT_DEFAULT */
	bool			 quiet;		/* no "installed" lines */
	char			**strs;		/* private: strings made for
						 * the targets */
	size_t			 nstrs;
};

int	install_plan_from_opts(const struct opts *,
	    const struct opts_list *targets, struct install_plan *,
	    struct cd_err *);
void	install_plan_clear(struct install_plan *);
/*
 * Installs the current version of certificate name from the store
 * (whose lock the caller holds) into every target of plan, then runs
 * the deploy hooks. Every target is attempted even when one fails; -1
 * (CD_EINSTALL, or CD_ENOTFOUND for an unknown certificate) names the
 * first failure. Prints "certd: NAME: installed into MTA" lines to
 * stdout unless plan->quiet.
 */
int	install_cert(struct store *, const char *name,
	    const struct install_plan *, struct cd_err *);
/*
 * The install settings of o (targets, locations) as store meta lines
 * ("install", "postfix_config_dir", "install_dest_dir", "verify_host",
 * "verify_port", "deploy_hook_dir", "exim_config", "exim_bin_dir",
 * "exim_group", "dovecot_config", "dovecot_bin_dir"), so that a
 * renewal installs where
 * the issue did; and the reverse: settings from meta into a plan, where
 * options given in o (command line or certd.conf) win over meta.
 * install_plan_from_meta() with no "install" line gives n == 0.
 */
int	install_meta_add(const struct opts *, struct store_kv *,
	    struct cd_err *);
int	install_plan_from_meta(const struct store_kv *, const struct opts *,
	    struct install_plan *, struct cd_err *);

/* --- helpers for adapters --- */

/*
 * Runs argv[0] (absolute path) without a shell, stdin /dev/null, with
 * stdout and stderr on a pseudo-terminal (Postfix reports errors only to
 * syslog unless stderr is a terminal), a timeout (seconds), output
 * bounded by INSTALL_OUTPUT_MAX. 0 when it exited 0. -1 otherwise, with
 * err (CD_EINSTALL; CD_ESYS if it could not be run) holding the most
 * telling line of its output ("fatal:"/"error:" first, else the last),
 * escaped and cut to INSTALL_MSG_MAX, or "exit N" when it said nothing.
 * out (may be NULL) receives the whole output (malloc'd, NUL-terminated,
 * CR removed) in both cases.
 */
int	install_exec(const char *const argv[], unsigned timeout, char **out,
	    struct cd_err *);
/*
 * Writes dir/name atomically and durably: a temporary file in dir made
 * with mode, owner and group before any data is written, fsync, rename,
 * fsync of dir. dir is created (levels it makes 0755 despite the umask,
 * with parents) when missing. uid or
 * gid (uid_t)-1 / (gid_t)-1: leave as created (root).
 */
int	install_file_put(const char *dir, const char *name, const void *,
	    size_t, uid_t, gid_t, mode_t, struct cd_err *);
/* Reads dir/name (at most INSTALL_FILE_MAX bytes) into *out (malloc'd,
 * NUL-terminated) with its mode/owner; *out NULL (and 0 returned) when
 * the file does not exist. */
int	install_file_get(const char *dir, const char *name, char **out,
	    size_t *len, mode_t *mode, uid_t *uid, gid_t *gid,
	    struct cd_err *);
/* Removes dir/name; missing is not an error. */
int	install_file_remove(const char *dir, const char *name,
	    struct cd_err *);
/* uid/gid of t->owner (NULL: root) and t->group (NULL: defgroup, NULL:
 * the owner's group); CD_ECONFIG for an unknown name. */
int	install_ids(const struct install_target *, const char *defgroup,
	    uid_t *, gid_t *, struct cd_err *);
/* How an adapter's place() writes the private key. */
struct install_keyspec {
	const char	*who;		/* "exim": messages begin "exim: " */
	const char	*defgroup;	/* install_ids() */
	mode_t		 defmode;	/* the key's mode if t->key_mode is 0 */
	size_t		 max;		/* bytes of the full chain and of the
					 * key, each; 0: no limit */
};
/*
 * The checks place() starts with: f has a safe certificate name, a full
 * chain and a key; dest (where the files go) is an absolute path. Then
 * the owner and group into *uid and *gid (install_ids() with
 * ks->defgroup) and the key's mode into *mode (t->key_mode, 0:
 * ks->defmode), refused (CD_ECONFIG) when it lets others read the key.
 */
int	install_place_check(const struct install_keyspec *ks,
	    const struct install_target *t, const struct install_files *f,
	    const char *dest, uid_t *uid, gid_t *gid, mode_t *mode,
	    struct cd_err *);
/* bin_dir (or "/usr/sbin") + "/" + prog into out; -1 if too long. */
int	install_bin(const struct install_target *, const char *prog,
	    char *out, size_t outlen, struct cd_err *);
/*
 * install_exec() of bin (a path from install_bin()) with the arguments
 * "copt config" when config is not NULL (an MTA program's option that
 * names its configuration: "-c", "-C"), then args (NULL-terminated, at
 * most INSTALL_ARGS_MAX; more is CD_ECONFIG). out as for install_exec().
 */
int	install_exec_args(const char *bin, const char *copt,
	    const char *config, const char *const *args, char **out,
	    struct cd_err *);
/* path "DIR/BASE" into dir (dirlen bytes; "/" for "/BASE") and *base (a
 * pointer into path); CD_ECONFIG when path ends in '/' or has none. */
int	install_split_path(const char *path, char *dir, size_t dirlen,
	    const char **base, struct cd_err *);

/* A file as it was before an adapter changed it, for restore(). */
struct install_saved {
	char	*data;		/* NUL-terminated; NULL: there was none */
	size_t	 len;
	mode_t	 mode;
	uid_t	 uid;
	gid_t	 gid;
};

/* install_file_get() of dir/name into s (s->data NULL: no such file). */
int	install_saved_get(const char *dir, const char *name,
	    struct install_saved *, struct cd_err *);
/* Puts s back as dir/name with its mode and owner (install_file_put()),
 * or removes dir/name when there was no such file (s->data NULL). */
int	install_saved_put(const char *dir, const char *name,
	    const struct install_saved *, struct cd_err *);
/*
 * A copy of s (which must hold data) next to it, as
 * dir/name.certd-backup-YYYYmmddTHHMMSSZ (UTC, cd_now()) with the same
 * mode and owner; that name goes into bak (baklen bytes).
 */
int	install_saved_backup(const char *dir, const char *name,
	    const struct install_saved *, char *bak, size_t baklen,
	    struct cd_err *);
/* Wipes (it may hold a key) and frees s->data, and zeroes s; NULL is a
 * no-op. */
void	install_saved_clear(struct install_saved *);

#endif
