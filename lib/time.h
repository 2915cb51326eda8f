/* time.h - durations, calendar arithmetic, UTC stamps, --now. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_TIME_H
#define DATAKEEP_TIME_H

#include <sys/types.h>
#include <time.h>

/*
 * A duration: calendar parts (years, months, days; a week is 7 days) and an
 * exact part in seconds (h, min, s).  "1y6m" is years 1, months 6.
 */
struct duration {
	long long	years;
	long long	months;
	long long	days;
	long long	seconds;
};

/*
 * Parse a duration: one or more NUMBER UNIT pairs, units y, m (months), w,
 * d, h, min, s, each unit at most once, in that order, e.g. 7y, 90d, 1y6m,
 * 36h, 30min, 1d12h.  NUMBER is decimal digits only (no sign, blank or
 * fraction); zero is allowed ("0d").  "m" followed by "in" is minutes.
 * Weeks are added to days as 7 days each; h, min and s make up seconds.
 * 0, or -1 with errno EINVAL (malformed, checked first) or ERANGE (a number
 * over 1000000); *d is set only on success.
 */
int	time_parse_duration(const char *s, struct duration *d);

/*
 * t minus d, in UTC, with the semantics of Go's AddDate (which restic
 * uses): first the years and months are subtracted from the civil (year,
 * month) pair, keeping the day of month and rolling an overflowing day into
 * the next month (2024-03-31 minus 1m is 2024-02-31, which is 2024-03-02;
 * 2023-03-31 minus 1m is 2023-03-03; 2024-02-29 minus 1y is 2023-03-01);
 * then the days are subtracted as calendar days, keeping the time of day;
 * then the exact seconds.  UTC has no DST, so a day is always 86400 s.
 * Returns 0, or -1 with errno ERANGE when the result, or the date after
 * the calendar step, is outside the supported range (see time_civil).
 */
int	time_sub(time_t t, const struct duration *d, time_t *out);

/* The same forwards: 2024-01-31 plus 1m is 2024-03-02. */
int	time_add(time_t t, const struct duration *d, time_t *out);

/*
 * Civil UTC date and time of t, proleptic Gregorian, computed without TZ,
 * the locale or files.  The supported times are those whose year fits
 * tm_year (years INT_MIN+1900 to INT_MAX+1900).  Sets every field of *tm
 * including tm_wday and tm_yday, tm_isdst 0, anything else zero.  0, or -1
 * with errno ERANGE.
 */
int	time_civil(time_t t, struct tm *tm);
/* Seconds since the epoch of a civil UTC time (tm_year, tm_mon, tm_mday,
 * tm_hour, tm_min, tm_sec; they may be out of range, they are normalized
 * as by timegm; the other fields are ignored); 0, or -1 with errno ERANGE
 * when the result is outside the supported range. */
int	time_epoch(const struct tm *tm, time_t *out);

#define TIME_STAMPLEN	16	/* "YYYYmmdd_HHMMSS" and its NUL */
#define TIME_RFC3339LEN	28	/* "YYYY-mm-ddTHH:MM:SS.uuuuuuZ" and its NUL */

/* Format t as YYYYmmdd_HHMMSS (UTC) into buf[TIME_STAMPLEN].  0, or -1
 * with errno ERANGE when the year is outside 0000-9999. */
int	time_stamp(time_t t, char *buf);

/* Format t with microseconds as RFC 3339 UTC, "2025-08-18T14:30:22.000123Z",
 * into buf[TIME_RFC3339LEN]; without them ("...:22Z") when usec < 0.
 * 0, or -1 with errno EINVAL (usec > 999999) or ERANGE (the year is
 * outside 0000-9999). */
int	time_rfc3339(time_t t, long usec, char *buf);

/*
 * Parse exactly YYYYmmdd_HHMMSS (a valid date and time, UTC: month 1-12,
 * the day within that month, leap years included, hours 0-23, minutes and
 * seconds 0-59, no leap second), 15 characters and nothing else.  0, or -1
 * with errno EINVAL.
 */
int	time_parse_stamp(const char *s, time_t *out);

/*
 * Find the last valid YYYYmmdd_HHMMSS stamp in a file name (one not
 * preceded or followed by a digit): "x_20250818_143022.duckdb.sha256" has
 * one at offset 2, "x_202508181_143022" none.  Returns the offset of the
 * stamp in name and sets *out, or -1 with errno EINVAL when there is none.
 */
int	time_find_stamp(const char *name, time_t *out);

/*
 * Parse a --now value, whole, into UTC seconds:
 *	YYYY-mm-ddTHH:MM:SS[.frac]Z	RFC 3339; "T" may be "t" or a space,
 *					"Z" may be "z" or an offset +hh:mm,
 *					-hh:mm, +hhmm or -hhmm (one is
 *					required); the fraction is truncated
 *	YYYY-mm-dd			midnight UTC
 *	YYYYmmdd_HHMMSS			as time_parse_stamp
 *	@SECONDS			decimal seconds since the epoch,
 *					optionally negative
 * 0, or -1 with errno EINVAL (anything else, an invalid date or time,
 * trailing characters) or ERANGE (@SECONDS outside the supported range).
 */
int	time_parse_now(const char *s, time_t *out);

#endif
