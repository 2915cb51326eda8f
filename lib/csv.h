/* csv.h - a streaming reader of CSV (RFC 4180) and TSV records. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_CSV_H
#define DATAKEEP_CSV_H

#include <stddef.h>

#define CSV_BUFSIZE	(256 * 1024)	/* the initial read buffer */
/* The most fields a record may have. */
#define CSV_MAXFIELDS	65536

/*
 * One field of a record.  raw is the field exactly as in the input
 * (quotes and doubled quotes included), value the field decoded (the
 * enclosing quotes removed, each doubled quote made one); for a field
 * that was not quoted both are the same bytes.  Neither is
 * NUL-terminated: fields may hold any byte, NUL included.
 */
struct csv_field {
	const char	*raw;
	size_t		 rawlen;
	const char	*value;
	size_t		 len;
	int		 quoted;
};

/*
 * A record: its fields and separators from raw[0] to raw[rawlen - 1],
 * then its line end, eollen bytes at raw[rawlen]: 2 for CRLF, 1 for LF,
 * 0 for the last record of an input that does not end with a newline.
 * So raw[0 .. rawlen + eollen - 1] is the record exactly as read.  line
 * is the line on which the record begins (1-based; a quoted field may
 * hold line ends, so a record can span lines).  All pointers stay valid
 * until the next csv_next() or csv_close().
 */
struct csv_record {
	const char		*raw;
	size_t			 rawlen;
	size_t			 eollen;
	unsigned long long	 line;
	size_t			 nfields;
	const struct csv_field	*fields;
};

/*
 * The reader, owned by the caller; only bom, reason and errline are for
 * reading, the rest is private.  The syntax:
 *
 * - A record ends at LF or CRLF outside quotes, or at the end of input.
 *   A CR not followed by LF is an ordinary byte.  An empty line is a
 *   record of one empty field; an input that ends right after a line
 *   end has no further record.
 * - Fields are separated by sep.  With quote 0 (TSV) no byte but sep and
 *   the line ends is special.  Otherwise a field that begins with quote
 *   is quoted: it ends at a quote followed by sep, a line end or the end
 *   of input, and holds anything, separators and line ends included, a
 *   doubled quote standing for one.  These are errors, because a parser
 *   that guessed would split the record differently from the next
 *   program: a quote inside a field that does not begin with one ("quote
 *   in unquoted field"), anything but sep or a line end after a closing
 *   quote ("text after closing quote"), input ending inside quotes
 *   ("unterminated quoted field", errline naming the line where that
 *   field began), more than CSV_MAXFIELDS fields ("too many fields").
 * - A UTF-8 byte order mark at the very start is skipped and bom set, so
 *   that it is not part of the first field; a caller that copies input
 *   to output writes it back.
 *
 * Memory: the read buffer, which grows to hold the longest record, and
 * room for the fields of one record; nothing grows with the number of
 * records.
 */
struct csv_reader {
	int			 bom;
	const char		*reason;
	unsigned long long	 errline;

	int			 fd;
	unsigned char		 sep, quote;
	unsigned char		 special[256];
	char			*buf;
	size_t			 cap, start, end, used;
	int			 eof, began, failed;
	int			 state;
	size_t			 pos, fstart;
	int			 fesc;
	unsigned long long	 line, nl, fline;
	struct csv_span		*spans;
	struct csv_field	*fields;
	size_t			 nspans, maxspans;
	char			*dec;
	size_t			 deccap;
	struct csv_record	 rec;
};

/*
 * Initialize r to read records from fd, which is read from its current
 * offset and never closed by the reader.  sep is the field separator
 * (',' for CSV, '\t' for TSV), quote the quote character ('"') or 0 for
 * none.  0, or -1 with errno EINVAL (sep or quote is CR or LF, or they
 * are the same) or ENOMEM.
 */
int	csv_open(struct csv_reader *r, int fd, int sep, int quote);

/*
 * Read the next record and point *rec at it.  Returns 1, 0 at the end of
 * input, or -1 with errno: EINVAL for a syntax error, r->reason saying
 * which and r->errline naming the line; ENOMEM; or the errno of a failed
 * read(2) (r->reason "read error").  After -1 every further call returns
 * -1 again with the same errno.
 */
int	csv_next(struct csv_reader *r, const struct csv_record **rec);

/* Free what r holds; the descriptor is left open.  Safe to call twice. */
void	csv_close(struct csv_reader *r);

/* Whether value[len] must be quoted to be written as one field: it holds
 * sep, quote, CR or LF. */
int	csv_needs_quotes(const char *value, size_t len, int sep, int quote);

/* Write value[len] quoted into dst, which has room for 2 * len + 2 bytes:
 * quote, value with each quote doubled, quote.  Returns the length. */
size_t	csv_quote(char *dst, const char *value, size_t len, int quote);

#endif
