/* stamp.h - timestamps found in file names and in record fields. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_STAMP_H
#define DATAKEEP_STAMP_H

#include <stddef.h>
#include <time.h>

/*
 * The date and time forms understood, all UTC unless they carry an
 * offset:
 *
 *	YYYY-mm-ddTHH:MM:SS[.frac][Z|+hh:mm|-hh:mm|+hhmm|-hhmm]
 *			RFC 3339; "T" may also be "t" or a space, "Z" may be
 *			"z"; without an offset the time is UTC; a fraction
 *			of a second is truncated
 *	YYYY-mm-dd	midnight UTC
 *	YYYYmmdd_HHMMSS
 *	YYYYmmdd	midnight UTC
 *
 * Dates and times must be valid (month 1-12, the day within that month,
 * leap years included, hours 0-23, minutes and seconds 0-59, offsets up
 * to 23:59), years 0000 to 9999.
 */

/*
 * Find the last timestamp in the file name name[len], one not preceded
 * or followed by a digit: "app-2025-08-18.log" and
 * "db_20250818_143022.sql.gz" have one, "x-202508181.log" has none.  At
 * the place where one begins the longest form that fits is taken.
 * Returns the offset of the stamp in name and sets *out, or -1 with
 * errno EINVAL when there is none.
 */
long	stamp_find(const char *name, size_t len, time_t *out);

/*
 * Parse a record field s[len], whole, as one of the forms above (the
 * YYYY-mm-dd ones: RFC 3339, "YYYY-mm-dd HH:MM:SS", a date alone) or as
 * seconds since the epoch: an optional '-', decimal digits and an
 * optional fraction, which is ignored ("-1.5" is -1).  s need not be
 * NUL-terminated.  0, or -1 with errno EINVAL
 * (anything else, trailing characters, an invalid date) or ERANGE
 * (seconds outside what time_civil(3) supports).
 */
int	stamp_parse(const char *s, size_t len, time_t *out);

#endif
