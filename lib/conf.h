/* conf.h - line-oriented configuration reader and bounded number parsers. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_CONF_H
#define DATAKEEP_CONF_H

#include <stdio.h>

#define CONF_MAXFIELDS	16
#define CONF_MAXLINE	4096

/*
 * A configuration file: one record per line, fields separated by blanks
 * (spaces and tabs only), `#` anywhere starting a comment to the end of the
 * line (so no field can contain `#`), blank and comment-only lines
 * ignored.  A carriage return is an ordinary character: a CRLF file leaves
 * "\r" at the end of each line's last field.  A line holds at most
 * CONF_MAXLINE bytes besides its newline, no NUL byte, and at most
 * CONF_MAXFIELDS fields; the last line needs no newline.  The caller owns
 * the struct.
 */
struct conf {
	FILE		*fp;
	const char	*path;			/* as given to conf_open */
	unsigned long	 line;			/* the line last read */
	int		 nfields;
	char		*fields[CONF_MAXFIELDS];
	char		 buf[CONF_MAXLINE + 2];
	const char	*reason;		/* why conf_next failed */
};

/* Initialize c and open path for reading, close-on-exec; path is kept,
 * not copied.  0, or -1 with errno set (c->fp is then NULL). */
int	conf_open(struct conf *c, const char *path);

/*
 * Read the next non-empty record into c->fields, which point into c->buf
 * until the next call.  Returns the number of fields (>= 1), 0 at end of
 * file, or -1 when the line is unusable, with c->reason saying why ("line
 * too long", "NUL byte in line", "too many fields (at most 16)" with errno
 * EINVAL; "read error" with the read's errno) and c->line naming the line,
 * so that the caller can print "prog: path:line: reason".  c->line counts
 * every physical line read, comments and blank lines included.  An
 * unusable line is read to its end, so a further call goes on with the
 * next line.
 */
int	conf_next(struct conf *c);

/* Close the file if open; safe to call twice; errno is preserved. */
void	conf_close(struct conf *c);

/*
 * Parse a decimal unsigned integer in [min, max]: digits only, no sign, no
 * blanks.  0, or -1 with errno EINVAL (not a number) or ERANGE (out of
 * range).
 */
int	conf_number(const char *s, unsigned long long min,
	    unsigned long long max, unsigned long long *out);

/*
 * Parse a size: decimal digits with an optional suffix k, M, G, T (powers
 * of 1024; also K, m, g, t, each optionally followed by B or iB) or a bare
 * B: "512", "1k", "1KiB", "3MB", "2G", "5B".  No fraction, sign or blank.
 * 0, or -1 with errno EINVAL (malformed, checked first) or ERANGE (the
 * size does not fit an unsigned long long).
 */
int	conf_size(const char *s, unsigned long long *out);

#endif
