/* err.h - exit codes and the message conventions shared by every program. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_ERR_H
#define DATAKEEP_ERR_H

/* Exit status, as in datakeep(7). */
#define EXIT_OK		0	/* success */
#define EXIT_FAIL	1	/* the operation failed or a check found a problem */
#define EXIT_USAGE	2	/* usage or configuration error */
#define EXIT_BUSY	3	/* another run holds the lock */

#define DATAKEEP_VERSION	"0.1.0"

/*
 * The exceptions to "library functions never print and never exit": these
 * exist to end a program the same way everywhere.
 */

/* Print "usage: SYNOPSIS" (each line of synopsis after the first indented
 * like the first) to stderr and exit EXIT_USAGE. */
void	err_usage(const char *synopsis) __attribute__((noreturn));

/* Print "NAME VERSION" to stdout and exit. */
void	err_version(void) __attribute__((noreturn));

/* Flush stdout; on a write error print "prog: stdout: reason" and exit
 * EXIT_FAIL.  Call before returning success: a full disk is not success. */
void	err_flush(void);

/* The program's name as invoked (the last component of argv[0]). */
const char *err_progname(void);

#endif
