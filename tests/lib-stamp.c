/* lib-stamp.c - tests of lib/stamp: timestamps in names and fields. */
/* SPDX-License-Identifier: ISC */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/stamp.h"
#include "tests/tap.h"

/* 2025-08-18 14:30:22 UTC and its midnight. */
#define T0	1755527422LL
#define D0	1755475200LL

static const struct {
	const char	*name;
	long		 off;		/* -1: none */
	long long	 t;
} names[] = {
	{ "app-2025-08-18.log",			4, D0 },
	{ "db_20250818_143022.sql.gz",		3, T0 },
	{ "db_20250818.sql",			3, D0 },
	{ "20250818",				0, D0 },
	{ "x-2025-08-18T14:30:22Z.json",	2, T0 },
	{ "x-2025-08-18T14:30:22.123456Z",	2, T0 },
	{ "x-2025-08-18t14:30:22z",		2, T0 },
	{ "x-2025-08-18 14:30:22",		2, T0 },
	{ "x-2025-08-18T16:30:22+02:00.log",	2, T0 },
	{ "x-2025-08-18T12:00:22-0230",		2, T0 },
	{ "x-2025-08-18T14:30:22",		2, T0 },
	/* The last stamp wins. */
	{ "a-20240101-b-20250818_143022",	13, T0 },
	/* Digits around a stamp make it none. */
	{ "x-202508181.log",			-1, 0 },
	{ "x-120250818.log",			-1, 0 },
	{ "x-20250818_1430221",			2, D0 },
	{ "report-12345678.txt",		-1, 0 },
	{ "x-20251301.log",			-1, 0 },
	{ "x-20250230.log",			-1, 0 },
	{ "x-20240229.log",			2, 1709164800LL },
	{ "x-20230229.log",			-1, 0 },
	{ "x-2025-08-18T25:00:00Z",		2, D0 },
	{ "x-2025-08-1",			-1, 0 },
	{ "",					-1, 0 },
	{ "no stamp at all",			-1, 0 },
	{ "\n\t\xff-20250818",			4, D0 },
};

static const struct {
	const char	*s;
	int		 ok;		/* 0 ok, else the errno */
	long long	 t;
} fields[] = {
	{ "2025-08-18T14:30:22Z",		0, T0 },
	{ "2025-08-18 14:30:22",		0, T0 },
	{ "2025-08-18T14:30:22",		0, T0 },
	{ "2025-08-18T14:30:22.999999Z",	0, T0 },
	{ "2025-08-18T16:30:22+02:00",		0, T0 },
	{ "2025-08-18T16:30:22+0200",		0, T0 },
	{ "2025-08-18",				0, D0 },
	{ "1755527422",				0, T0 },
	{ "1755527422.75",			0, T0 },
	{ "-86400",				0, -86400 },
	{ "0",					0, 0 },
	{ "20250818_143022",			EINVAL, 0 },
	{ "20250818",				0, 20250818 },
	{ "2025-08-18T14:30:22Zx",		EINVAL, 0 },
	{ "2025-08-18T14:30",			EINVAL, 0 },
	{ " 2025-08-18",			EINVAL, 0 },
	{ "2025-02-30",				EINVAL, 0 },
	{ "",					EINVAL, 0 },
	{ "-",					EINVAL, 0 },
	{ "12a",				EINVAL, 0 },
	{ "1.2.3",				EINVAL, 0 },
	{ "99999999999999999999999",		ERANGE, 0 },
	{ "9223372036854775807",		ERANGE, 0 },
	{ "99999999999999999999x",		EINVAL, 0 },
};

/* s with bytes outside 0x20-0x7e as \xHH, for one line of TAP. */
static const char *
vis(const char *s)
{
	static char buf[256];
	size_t n = 0;

	for (; *s != '\0' && n + 5 < sizeof(buf); s++) {
		if (*s >= 0x20 && *s < 0x7f)
			buf[n++] = *s;
		else
			n += (size_t)snprintf(buf + n, 5, "\\x%02x",
			    (unsigned char)*s);
	}
	buf[n] = '\0';
	return buf;
}

int
main(void)
{
	size_t i, nn = sizeof(names) / sizeof(names[0]);
	size_t nf = sizeof(fields) / sizeof(fields[0]);
	time_t t;
	long off;
	int r;

	tap_plan((int)(nn + nf + 1));
	for (i = 0; i < nn; i++) {
		t = 0;
		off = stamp_find(names[i].name, strlen(names[i].name), &t);
		if (!tap_ok(off == names[i].off && (off == -1 ?
		    errno == EINVAL : (long long)t == names[i].t),
		    "stamp_find \"%s\"", vis(names[i].name)))
			tap_diag("got %ld %lld, want %ld %lld", off,
			    (long long)t, names[i].off, names[i].t);
	}
	for (i = 0; i < nf; i++) {
		t = 0;
		r = stamp_parse(fields[i].s, strlen(fields[i].s), &t);
		if (!tap_ok(fields[i].ok == 0 ? r == 0 &&
		    (long long)t == fields[i].t : r == -1 &&
		    errno == fields[i].ok, "stamp_parse \"%s\"", fields[i].s))
			tap_diag("got %d %lld", r, (long long)t);
	}
	/* Not NUL-terminated: only len bytes are read. */
	tap_ok(stamp_parse("2025-08-18Tjunk", 10, &t) == 0 &&
	    (long long)t == D0, "stamp_parse reads only len bytes");
	return tap_done();
}
