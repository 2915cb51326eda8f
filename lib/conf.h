/* conf.h - line-oriented configuration reader and bounded number parsers. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_CONF_H
#define DATAKEEP_CONF_H

#include <stdio.h>

#define CONF_MAXFIELDS	16
#define CONF_MAXLINE	4096

/*
 * A configuration file: one record per line, fields separated by blanks
 * (spaces and tabs), `#` starting a comment to the end of the line, blank
 * lines ignored.  The caller owns the struct.
 */
struct conf {
	FILE		*fp;
	const char	*path;			/* as given to conf_open */
	unsigned long	 line;			/* number of the line last read */
	int		 nfields;
	char		*fields[CONF_MAXFIELDS];
	char		 buf[CONF_MAXLINE + 2];
	const char	*reason;		/* why conf_next failed */
};

/* Open path for reading.  0, or -1 with errno set. */
int	conf_open(struct conf *c, const char *path);

/*
 * Read the next non-empty record into c->fields.  Returns the number of
 * fields (>= 1), 0 at end of file, or -1 when the line is unusable (too
 * long, a NUL byte, more than CONF_MAXFIELDS fields, a read error), with
 * c->reason saying why and c->line naming the line, so that the caller can
 * print "prog: path:line: reason".
 */
int	conf_next(struct conf *c);

void	conf_close(struct conf *c);

/*
 * Parse a decimal unsigned integer in [min, max]: digits only, no sign, no
 * blanks.  0, or -1 with errno EINVAL (not a number) or ERANGE (out of
 * range).
 */
int	conf_number(const char *s, unsigned long long min,
	    unsigned long long max, unsigned long long *out);

/*
 * Parse a size: a number with an optional suffix k, M, G, T (powers of
 * 1024; also K, m, g, t, and with a trailing B or iB).  0, or -1 with errno
 * EINVAL or ERANGE.
 */
int	conf_size(const char *s, unsigned long long *out);

#endif
