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
 * 36h, 30min, 1d12h.  0, or -1 with errno EINVAL (malformed) or ERANGE
 * (a number over 1000000).
 */
int	time_parse_duration(const char *s, struct duration *d);

/*
 * t minus d, in UTC: the calendar parts are subtracted from the civil date
 * with overflow normalized as restic does (2024-03-31 minus 1m is
 * 2024-02-31, which is 2024-03-02), then the exact seconds.  Returns 0, or
 * -1 with errno ERANGE when the result does not fit.
 */
int	time_sub(time_t t, const struct duration *d, time_t *out);

/* The same forwards. */
int	time_add(time_t t, const struct duration *d, time_t *out);

/* Civil UTC date and time of t; 0, or -1 with errno ERANGE. */
int	time_civil(time_t t, struct tm *tm);
/* Seconds since the epoch of a civil UTC time (fields may be out of
 * range, they are normalized); 0, or -1 with errno ERANGE. */
int	time_epoch(const struct tm *tm, time_t *out);

#define TIME_STAMPLEN	16	/* "YYYYmmdd_HHMMSS" and its NUL */
#define TIME_RFC3339LEN	28	/* "YYYY-mm-ddTHH:MM:SS.uuuuuuZ" and its NUL */

/* Format t as YYYYmmdd_HHMMSS (UTC) into buf[TIME_STAMPLEN].  0 or -1. */
int	time_stamp(time_t t, char *buf);

/* Format t with microseconds as RFC 3339 UTC, "2025-08-18T14:30:22.000123Z",
 * into buf[TIME_RFC3339LEN]; without them ("...:22Z") when usec < 0. */
int	time_rfc3339(time_t t, long usec, char *buf);

/*
 * Parse exactly YYYYmmdd_HHMMSS (a valid date and time, UTC).  0, or -1
 * with errno EINVAL.
 */
int	time_parse_stamp(const char *s, time_t *out);

/*
 * Find the last YYYYmmdd_HHMMSS stamp in a file name (one not preceded or
 * followed by a digit).  Returns the offset of the stamp in name and sets
 * *out, or -1 when there is none.
 */
int	time_find_stamp(const char *name, time_t *out);

/*
 * Parse a --now value: RFC 3339 ("2025-08-18T14:30:22Z", fraction and
 * numeric offset allowed, "T" or a space), a date alone (midnight UTC),
 * YYYYmmdd_HHMMSS, or @SECONDS since the epoch.  0, or -1 with errno EINVAL.
 */
int	time_parse_now(const char *s, time_t *out);

#endif
