/*
 * cfgblock.c - the certd block in an MTA's configuration file: the pure
 * editor that puts it in (or replaces it), the template expansion that
 * makes it, and --configure's read, backup, write and restore of the file.
 * Trusts the configured path and the admin's file (it is only copied).
 */
#include "cfgblock.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* a mark line: blanks, the mark, blanks (a CR too) */
static bool
is_mark(const char *p, const char *e, const char *mark)
{
	size_t	 n = strlen(mark);

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(e - p) < n || memcmp(p, mark, n) != 0)
		return false;
	for (p += n; p < e; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return false;
	return true;
}

/* appends s[0..l) at o + *n; cfgblock_edit() made room */
static void
put(char *o, size_t *n, const char *s, size_t l)
{
	memcpy(o + *n, s, l);
	*n += l;
}

static void
put_block(char *o, size_t *n, const char *block, size_t bl)
{
	put(o, n, CFGBLOCK_BEGIN "\n", sizeof(CFGBLOCK_BEGIN));
	put(o, n, block, bl);
	put(o, n, CFGBLOCK_END "\n", sizeof(CFGBLOCK_END));
}

int
cfgblock_edit(const char *who, const char *conf, size_t len,
    const char *block, cfgblock_line_fn *fn, void *arg, char **out,
    size_t *outlen, struct cd_err *err)
{
	const char		*p, *end = conf + len, *nl, *e;
	char			*o;
	size_t			 bl = strlen(block), cap, n = 0, lines = 1;
	enum cfgblock_act	 act;
	bool			 inblock = false, done = false;

	*out = NULL;
	*outlen = 0;
	if (memchr(conf, '\0', len) != NULL)
		return cd_err_set(err, CD_ECONFIG, "%s: NUL in config", who);
	/* the text, a '\n' after the last line, a prefix on each line that
	 * fn may comment out, the block with its marks, the NUL */
	for (p = conf; fn != NULL && p < end; p++)
		lines += *p == '\n';
	cap = len + 1 + (fn != NULL ? lines * (sizeof(CFGBLOCK_OFF) - 1) : 0) +
	    sizeof(CFGBLOCK_BEGIN) + bl + sizeof(CFGBLOCK_END) + 1;
	if ((o = malloc(cap)) == NULL)
		return cd_err_set(err, CD_ENOMEM, "%s: out of memory", who);
	for (p = conf; p < end; p = nl) {
		e = memchr(p, '\n', (size_t)(end - p));
		nl = e == NULL ? end : e + 1;
		e = e == NULL ? end : e;	/* the line is [p, e) */
		if (inblock) {
			if (is_mark(p, e, CFGBLOCK_END))
				inblock = false;
			continue;
		}
		if (is_mark(p, e, CFGBLOCK_BEGIN)) {
			if (done) {
				free(o);
				return cd_err_set(err, CD_ECONFIG, "%s: two "
				    "certd blocks in the config", who);
			}
			put_block(o, &n, block, bl);
			inblock = done = true;
			continue;
		}
		act = fn != NULL ? fn(arg, p, e) : CFGBLOCK_KEEP;
		if (act == CFGBLOCK_BEFORE && !done) {
			put_block(o, &n, block, bl);
			done = true;
		}
		if (act == CFGBLOCK_COMMENT)
			put(o, &n, CFGBLOCK_OFF, sizeof(CFGBLOCK_OFF) - 1);
		put(o, &n, p, (size_t)(nl - p));
		if (e == end)			/* no '\n' at the end */
			put(o, &n, "\n", 1);
	}
	if (inblock) {
		free(o);
		return cd_err_set(err, CD_ECONFIG, "%s: \"" CFGBLOCK_BEGIN
		    "\" without \"" CFGBLOCK_END "\"", who);
	}
	if (!done)
		put_block(o, &n, block, bl);
	o[n] = '\0';
	*out = o;
	*outlen = n;
	return 0;
}

char *
cfgblock_expand(const char *tmpl, const char *dest, const char *name,
    bool settings_only)
{
	const char	*p, *nl, *q;
	char		*out, *o;
	size_t		 n = 1, dl = strlen(dest), nlen = strlen(name);

	for (p = tmpl; *p != '\0'; p++)		/* generous */
		n += *p == '@' ? dl + nlen : 1;
	if ((out = malloc(n)) == NULL)
		return NULL;
	o = out;
	for (p = tmpl; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (settings_only && *p == '#')
			continue;
		for (q = p; q <= nl; q++) {
			if (strncmp(q, "@DEST@", 6) == 0) {
				memcpy(o, dest, dl);
				o += dl;
				q += 5;
			} else if (strncmp(q, "@NAME@", 6) == 0) {
				memcpy(o, name, nlen);
				o += nlen;
				q += 5;
			} else
				*o++ = *q;
		}
	}
	*o = '\0';
	return out;
}

int
cfgblock_write(const struct cfgblock_mta *m, const char *path,
    const char *dest, const char *name, struct cfgblock_saved *saved,
    struct cd_err *err)
{
	struct install_saved	*old;
	char			*new = NULL, *block = NULL, dir[PATH_MAX];
	char			 bak[NAME_MAX + 1];
	const char		*base;
	size_t			 newlen;
	int			 rc = -1;

	if (name == NULL || !util_is_safe_component(name))
		return cd_err_set(err, CD_ECONFIG, "%s: bad certificate name",
		    m->who);
	if (saved == NULL || saved->changed)
		return cd_err_set(err, CD_ECONFIG, "%s: configure: no backup",
		    m->who);
	old = &saved->file;
	if (install_split_path(path, dir, sizeof(dir), &base, err) == -1 ||
	    install_saved_get(dir, base, old, err) == -1)
		return -1;
	if (old->data == NULL)
		return cd_err_set(err, CD_ECONFIG, "%s: %s: no such file",
		    m->who, path);
	if ((block = cfgblock_expand(m->tmpl, dest, name, true)) == NULL) {
		cd_err_set(err, CD_ENOMEM, "%s: out of memory", m->who);
		goto out;
	}
	if (m->edit(old->data, old->len, block, &new, &newlen, err) == -1)
		goto out;
	if (newlen == old->len && memcmp(old->data, new, newlen) == 0) {
		rc = 0;			/* already configured */
		goto out;
	}
	if (install_saved_backup(dir, base, old, bak, sizeof(bak), err) == -1)
		goto out;
	saved->changed = true;
	if ((rc = install_file_put(dir, base, new, newlen, old->uid, old->gid,
	    old->mode, err)) == 0)
		printf("certd: %s: %s: %s/%s: certd block written (saved as "
		    "%s)\n", name, m->who, dir, base, bak);
out:
	if (rc == -1 && !saved->changed)
		install_saved_clear(old);
	free(new);
	free(block);
	return rc;
}

int
cfgblock_restore(const char *path, const struct cfgblock_saved *saved,
    struct cd_err *err)
{
	char		 dir[PATH_MAX];
	const char	*base;

	if (!saved->changed)
		return 0;
	if (install_split_path(path, dir, sizeof(dir), &base, err) == -1)
		return -1;
	return install_saved_put(dir, base, &saved->file, err);
}

int
cfgblock_print(const struct cfgblock_mta *m, const char *dest,
    const char *name, FILE *fp, struct cd_err *err)
{
	char	*s;
	int	 rc = 0;

	if (name == NULL || !util_is_safe_component(name))
		return cd_err_set(err, CD_EUSAGE, "%s: bad certificate name",
		    m->who);
	if ((s = cfgblock_expand(m->tmpl, dest, name, false)) == NULL)
		return cd_err_set(err, CD_ENOMEM, "%s: out of memory", m->who);
	if (fputs(s, fp) == EOF || fflush(fp) == EOF)
		rc = cd_err_sys(err, "%s: print config", m->who);
	free(s);
	return rc;
}
