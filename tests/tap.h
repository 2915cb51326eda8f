/* tap.h - a header-only TAP producer for the C unit tests. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_TAP_H
#define DATAKEEP_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed, tap_planned;

static void __attribute__((unused))
tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* Report one test; returns cond so callers can add diagnostics. */
static int __attribute__((format(printf, 2, 3), unused))
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static void __attribute__((format(printf, 1, 2), unused))
tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void __attribute__((unused))
tap_skip(int n, const char *reason)
{
	while (n-- > 0)
		printf("ok %d # skip %s\n", ++tap_count, reason);
	fflush(stdout);
}

/* Compare two strings, showing both on failure. */
static int __attribute__((unused))
tap_same(const char *got, const char *want, const char *what)
{
	int r = tap_ok(got != NULL && strcmp(got, want) == 0, "%s", what);

	if (!r)
		tap_diag("got '%s', want '%s'", got ? got : "(null)", want);
	return r;
}

/* Exit status for main: failure if any test failed or the count is off. */
static int __attribute__((unused))
tap_done(void)
{
	if (tap_count != tap_planned) {
		tap_diag("planned %d tests, ran %d", tap_planned, tap_count);
		return 1;
	}
	return tap_failed != 0;
}

#endif
