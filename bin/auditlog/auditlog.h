/* auditlog.h - what the parts of auditlog share: the options, key files
 * and checkpoints (signed notes). */
/* SPDX-License-Identifier: ISC */
#ifndef AUDITLOG_H
#define AUDITLOG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/audit.h"
#include "lib/sign.h"

#define KEY_TAG		"dkaudit1-key"		/* KEYFILE: k_0 */
#define SIGN_TAG	"dkaudit1-sign"		/* LOG.sign */
#define NOTE_ORIGIN	"datakeep-auditlog/"	/* and the log id in hex */
#define NOTE_MAX	4096			/* bytes of a checkpoint */
#define SIGTYPE_ECDSA	0x02			/* C2SP signed-note type */

/* The parsed options, set once in main. */
struct options {
	const char	 *log;		/* -f, else $AUDITLOG */
	const char	 *keyfile;	/* init -o, verify -k */
	const char	 *type;		/* -t */
	const char	 *pubkey;	/* -p */
	const char	**cps;		/* -c, in the order given */
	size_t		  ncps;
	int		  verbose;
};
extern struct options opt;

/* A checkpoint, parsed. */
struct note {
	char		 origin[64];
	unsigned char	 id[AUDIT_IDLEN];
	uint64_t	 count;		/* records: the last seq + 1 */
	unsigned char	 head[HASH_LEN];
	unsigned char	 mac[HASH_LEN];
	char		 host[256];	/* as in the note: percent-encoded */
	char		 time[TIME_RFC3339LEN];
};

void	usage(void) __attribute__((noreturn));
void	check_type(const char *type, const char *suffix);
int	cmd_exec(int, char **);
int	cmd_verify(int, char **);

/* note.c */
int	file_create(const char *path, int mode, const void *buf, size_t len);
int	file_read(const char *path, char *buf, size_t size, size_t *len);
int	keyfile_read(const char *path, unsigned char id[AUDIT_IDLEN],
	    unsigned char k0[HASH_LEN]);
int	keyfile_line(char *buf, size_t size, const unsigned char *id,
	    const unsigned char *k0);
int	signkey_read(const char *path, struct sign_key *k);
void	pubkey_line(char *buf, size_t size, const unsigned char *id,
	    const unsigned char pub[SIGN_PUBLEN]);
int	pubkey_read(const char *path, char *name, size_t namesize,
	    unsigned char pub[SIGN_PUBLEN], const char **why);
size_t	note_make(char *buf, size_t size, const struct note *n,
	    const struct sign_key *k);
int	note_read(const char *path, const unsigned char pub[SIGN_PUBLEN],
	    const char *keyname, struct note *n, const char **why);
int	stdin_file(const char *path);

#endif
