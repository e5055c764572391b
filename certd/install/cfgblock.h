/*
 * cfgblock.h - the certd block in an MTA's configuration file (private to
 * certd/install/): lines between "# certd begin" and "# certd end" that
 * hold the settings of an adapter's template. cfgblock_edit() is pure;
 * cfgblock_write() and cfgblock_restore() are --configure's file work
 * for the adapters whose MTA reads one file (exim.c, dovecot.c).
 */
#ifndef CERTD_CFGBLOCK_H
#define CERTD_CFGBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "install.h"

#define CFGBLOCK_BEGIN	"# certd begin"	/* mark lines, alone on a line */
#define CFGBLOCK_END	"# certd end"
#define CFGBLOCK_OFF	"# certd: "	/* prefix of a line commented out */

/* What to do with one configuration line outside the certd block. */
enum cfgblock_act {
	CFGBLOCK_KEEP,		/* copy it */
	CFGBLOCK_COMMENT,	/* copy it behind CFGBLOCK_OFF */
	CFGBLOCK_BEFORE,	/* the block goes before it (if not placed
				 * yet), then the line is copied */
};

/* Decides for the line [line, end) (without its '\n'); arg is the
 * caller's state, read in file order. */
typedef enum cfgblock_act cfgblock_line_fn(void *arg, const char *line,
    const char *end);

/*
 * Returns in *out (malloc'd, NUL-terminated) the config text
 * conf[0..len) with block (lines ending in '\n') between CFGBLOCK_BEGIN
 * and CFGBLOCK_END lines: in place of an earlier such block, else before
 * the first line fn says CFGBLOCK_BEFORE for, else at the end. Mark lines
 * may have blanks around the mark (a CR after it). fn (NULL: keep every
 * line) sees the lines outside an earlier block. A last line without '\n'
 * gets one. -1 (CD_ECONFIG, messages begin "who: ") on a NUL byte, a
 * begin without an end or a second block; CD_ENOMEM.
 */
int	cfgblock_edit(const char *who, const char *conf, size_t len,
	    const char *block, cfgblock_line_fn *fn, void *arg, char **out,
	    size_t *outlen, struct cd_err *);

/*
 * tmpl (every line ends in '\n') with @DEST@ and @NAME@ replaced by dest
 * and name; comment lines ('#' first) left out when settings_only. A
 * malloc'd string, or NULL when out of memory.
 */
char	*cfgblock_expand(const char *tmpl, const char *dest, const char *name,
	    bool settings_only);

/* What an adapter's configuration file is like. */
struct cfgblock_mta {
	const char	*who;	/* "exim": messages begin "exim: " */
	const char	*tmpl;	/* templates/...: its settings are the block */
	/* puts the block into the text (exim_conf_edit, ...) */
	int		(*edit)(const char *conf, size_t len,
			    const char *block, char **out, size_t *outlen,
			    struct cd_err *);
};

/* The configuration file as it was, for restore(). */
struct cfgblock_saved {
	bool			 changed;	/* the file may have been
						 * written: put it back */
	struct install_saved	 file;
};

/*
 * configure() of m: reads the file path, writes the block (tmpl's
 * settings for dest and certificate name) into it, unless it is there
 * already, after a copy next to it (install_saved_backup()); keeps its
 * mode and owner. saved (not yet used: NULL or changed is an error)
 * records the file as it was. Prints "certd: NAME: WHO: PATH: certd
 * block written (saved as BAK)" to stdout. On -1 saved->changed tells
 * whether the file must be restored.
 */
int	cfgblock_write(const struct cfgblock_mta *m, const char *path,
	    const char *dest, const char *name, struct cfgblock_saved *saved,
	    struct cd_err *);
/* Puts the file path back as saved, if cfgblock_write() changed it. */
int	cfgblock_restore(const char *path, const struct cfgblock_saved *,
	    struct cd_err *);
/* print_config() of m: the whole template for dest and name, to fp. */
int	cfgblock_print(const struct cfgblock_mta *m, const char *dest,
	    const char *name, FILE *fp, struct cd_err *);

#endif
