/* snaprotate.h - what the parts of snaprotate share. */
/* SPDX-License-Identifier: ISC */
#ifndef SNAPROTATE_H
#define SNAPROTATE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "lib/time.h"

/*
 * The rules, in the order their reasons are printed.  The first six count
 * (--keep-last ... --keep-yearly), the other six measure a window from the
 * newest snapshot that is not in the future (--keep-within and
 * --keep-within-hourly ... --keep-within-yearly).
 */
enum rule {
	R_LAST, R_HOURLY, R_DAILY, R_WEEKLY, R_MONTHLY, R_YEARLY,
	R_WITHIN, R_WHOURLY, R_WDAILY, R_WWEEKLY, R_WMONTHLY, R_WYEARLY,
	NRULES
};
#define NCOUNT		6		/* R_LAST .. R_YEARLY */
#define UNLIMITED	(-1LL)

/* Why a snapshot is kept, besides the rules (struct snap's flags). */
#define S_OLDEST	0x01	/* an unspent counter kept the oldest */
#define S_LATEST	0x02	/* the latest link points to it */
#define S_NEWEST	0x04	/* the newest, or the newest not future */
#define S_REMOVE	0x08	/* to be removed */
#define S_INCOMPLETE	0x10	/* no manifest: not a snapshot */

struct snap {
	char		*name;
	time_t		 t;
	unsigned	 flags;
	unsigned	 rank[NRULES];	/* N of RULE#N, 0: not kept by it */
	unsigned long long own;	/* bytes of inodes no other snapshot has */
	size_t		*shared;	/* inodes other snapshots may share */
	size_t		 nshared;
	unsigned long long freed; /* bytes its removal frees */
};

#define KEPT(s)		(((s)->flags & S_REMOVE) == 0)
#define PROTECTED(s)	(((s)->flags & (S_LATEST | S_NEWEST)) != 0)

struct policy {
	long long	 count[NCOUNT];		/* 0 none, UNLIMITED, or N */
	struct duration	 within[NRULES - NCOUNT];
	int		 haswithin[NRULES - NCOUNT];	/* nonzero duration */
	time_t		 now;
};

/* The parsed options, set once in main. */
struct options {
	const char	*dir;
	const char	*pattern;
	int		 dry;
	int		 verbose;
	int		 wait;
	int		 anyrule;		/* a --keep-* was given */
	struct policy	 policy;
	const char	*maxsizearg;		/* as given, NULL if none */
	unsigned long long maxsize;
	const char	*minfreearg;
	int		 minfreepct;		/* minfree is a percentage */
	unsigned long long minfree;
};
extern struct options opt;

/* policy.c: the rules */

/* Decide, for s[0..n-1] sorted oldest first, what the rules keep; mark
 * the rest S_REMOVE.  The protections (S_LATEST, S_NEWEST) must be set
 * already and are never removed.  0, or -1 with errno (ENOMEM). */
int	policy_apply(struct snap *s, size_t n, const struct policy *p);

/* Mark the protected snapshots: the newest, the newest not after now. */
void	policy_protect(struct snap *s, size_t n, time_t now);

/* Sort oldest first: by time, then by name. */
void	policy_sort(struct snap *s, size_t n);

/* Write the reasons s is kept, comma-separated, to fp. */
void	policy_reasons(FILE *fp, const struct snap *s);

/* pattern.c: --pattern */

#define PAT_MAXTOK	256

struct pattern {
	struct pattok {
		char	type;		/* 'c', '*' or a field letter */
		char	c;
	}	 tok[PAT_MAXTOK];
	size_t	 ntok;
	int	 dotfirst;		/* the pattern starts with '.' */
};

/* Compile pat.  0, or -1 with a reason in *why (a static string). */
int	pattern_compile(struct pattern *p, const char *pat, const char **why);

/* Whether name matches p with a valid date and time (UTC); sets *t. */
int	pattern_match(const struct pattern *p, const char *name, time_t *t);

/* space.c: sizes, inodes shared between snapshots, free space */

struct space;

/*
 * Count the blocks of every snapshot (each inode once), its manifest
 * included when manifests.  With check, a snapshot without a manifest is
 * marked S_INCOMPLETE and not counted.  A name that cannot be walked is
 * reported and, with strict, fatal.  Returns the accounting, or NULL with
 * a message printed.
 */
struct space *space_count(int dirfd, struct snap *s, size_t n,
	    int manifests, int check, int strict);

/* Remove snapshots (oldest kept first, never a protected one) until the
 * limits of opt are met.  0 when they are, 1 when they cannot be (a
 * message printed), -1 on error (a message printed). */
int	space_limit(struct space *sp, int dirfd, struct snap *s, size_t n);

/* Set each snapshot's freed bytes for removals in oldest-first order;
 * returns the total. */
unsigned long long space_freed(struct space *sp, struct snap *s, size_t n);

void	space_free(struct space *sp);

/* main.c */
void	putesc(FILE *fp, const char *s);

#endif
