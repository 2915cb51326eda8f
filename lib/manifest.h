/* manifest.h - snapshot manifests in the format of GNU sha256sum. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_MANIFEST_H
#define DATAKEEP_MANIFEST_H

#include <stddef.h>

/*
 * One line per regular file: 64 lower-case hex digits, two spaces, the
 * path.  A path holding a backslash or a newline is escaped as GNU
 * sha256sum does it: the line starts with a backslash, and in the path
 * "\\" stands for a backslash and "\n" for a newline.  So
 * `sha256sum -c MANIFEST` checks a snapshot without datakeep.
 */

struct manifest_entry {
	const char	*path;		/* unescaped, NUL-terminated */
	unsigned char	 hash[32];
	unsigned long	 line;		/* line number in the manifest */
};

struct manifest {
	struct manifest_entry	*v;	/* in file order */
	size_t			 n;
	size_t			*slot;	/* hash table of indexes + 1, 0 free */
	size_t			 nslot;
	char			*arena;	/* paths */
	char			*out;	/* lines being built by manifest_add */
	size_t			 outlen, outcap;
	unsigned long		 badline; /* set when manifest_parse fails */
};

/* An empty manifest (also what manifest_free leaves). */
void	manifest_init(struct manifest *m);

/*
 * Append the line for path to m->out (m->out[0..m->outlen) is then ready
 * to be written as the manifest file).  0, or -1 with ENOMEM.
 */
int	manifest_add(struct manifest *m, const unsigned char hash[32],
	    const char *path);

/*
 * Parse buf[len] (a whole manifest) into m->v, indexed for
 * manifest_find.  Lines must be well formed, with no NUL byte and no
 * empty path; a final line without newline is accepted.  Returns 0, or -1
 * with errno EINVAL and m->badline set to the first bad line, or ENOMEM.
 */
int	manifest_parse(struct manifest *m, const char *buf, size_t len);

/* Read and parse the file name relative to dirfd (at most 1 GiB). */
int	manifest_load(struct manifest *m, int dirfd, const char *name);

/* The entry for path, or NULL. */
const struct manifest_entry *manifest_find(const struct manifest *m,
	    const char *path);

void	manifest_free(struct manifest *m);

#endif
