/* retain.h - what the parts of retain share: the options, the policy as
 * rules grouped by directory, and the run's state. */
/* SPDX-License-Identifier: ISC */
#ifndef RETAIN_H
#define RETAIN_H

#include <sys/types.h>
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "lib/audit.h"
#include "lib/quarantine.h"
#include "lib/time.h"
#include "lib/tree.h"

#define QPREFIX		".retain-quarantine"

enum action	{ A_DELETE = 1, A_ARCHIVE };
enum by		{ BY_MTIME, BY_NAME };

struct target;

/* One policy line, or the command line's rule for one DIR. */
struct rule {
	const char	*pattern;
	int		 pathpat;	/* has a '/': matched on the path */
	const char	*agearg;
	time_t		 cutoff;	/* older: a time before this */
	int		 action;
	int		 by;
	const char	*dest;		/* archive: as given, no trailing / */
	char		*absdest;	/* for audit records */
	int		 destfd;
	struct stat	 destst;
	/* the archive's directory now being filled */
	char		*curdir;	/* its path relative to dest */
	int		 curfd;
	int		 curdirty;	/* renamed into: to be fsynced */
	const char	*file;		/* the policy file; NULL: the
					   command line */
	unsigned long	 line;
};

/* A directory walked, with the rules naming it, in the order given. */
struct target {
	const char	*dir;		/* as given, trailing slashes off */
	char		*absdir;	/* for audit records */
	int		 fd;		/* open and, unless dry, flocked */
	struct stat	 st;
	struct rule	**rules;
	size_t		 nrules;
	int		 prune;
	int		 crossfs;
	const char	*file;		/* where it was first named */
	unsigned long	 line;
};

struct options {
	int		 dry;		/* -n */
	int		 verbose;	/* -v */
	time_t		 now;
	/* the command-line form */
	const char	*policy;	/* -f */
	const char	*olderthan;
	const char	*match;
	int		 by;
	const char	*archive;
	int		 prune;
	int		 crossfs;
};

extern struct options opt;

/* The run: what is walked, what is never entered, how it went. */
struct run {
	struct target	 *targets;
	size_t		  ntargets;
	struct rule	 *rules;
	size_t		  nrules;
	/* directories never entered: the DIRs (each is walked on its
	 * own) and the quarantines made; a DIR's walk also leaves out the
	 * archives of its own rules */
	struct {
		dev_t	dev;
		ino_t	ino;
	}		 *skip;
	size_t		  nskip, capskip;
	int		  status;	/* the exit status so far */
	struct audit	  alog;
	int		  alogopen;
};

/* main.c */
void	putesc(FILE *fp, const char *s, size_t len);
void	action_line(const struct target *tg, const char *rel,
	    const struct rule *ru);
void	warnp(const char *dir, const char *rel, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	notep(const char *dir, const char *rel, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	audit_change(struct run *r, const char *what, const char *absdir,
	    const char *rel, const char *absdest, const char *destrel);
char	*xstrdup(const char *s);
void	*xreallocarray(void *p, size_t n, size_t size);

/* policy.c: the policy from -f or the command line, checked whole;
 * exits 2 on any error, having changed nothing. */
void	policy_read(struct run *r, const char *file);
void	policy_args(struct run *r, int argc, char *argv[]);
void	skip_add(struct run *r, const struct stat *st);
int	skip_has(const struct run *r, const struct stat *st);

/* files.c: walk one target, applying its rules. */
void	files_walk(struct run *r, struct target *tg);

/* archive.c: move e (judged, lock checked) to its rule's archive;
 * 0 when moved, 1 when kept (reported), -1 when it vanished.  The
 * quarantine q is on e's mount; origin is e's path relative to q's
 * directory. */
int	archive_entry(struct run *r, struct target *tg, struct rule *ru,
	    struct quarantine *q, const struct tree_entry *e,
	    const char *origin);
/* The end of the run: the last archive directory synced and closed. */
void	archive_done(struct rule *ru);

/* records.c: retain records; returns the exit status. */
int	records_main(int argc, char *argv[]);

#endif
