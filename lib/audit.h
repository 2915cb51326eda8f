/* audit.h - the audit log writer shared by auditlog and every program. */
/* SPDX-License-Identifier: ISC */
#ifndef DATAKEEP_AUDIT_H
#define DATAKEEP_AUDIT_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/hash.h"
#include "lib/time.h"

/*
 * The log and its companions (datakeep-formats(5) has the formats):
 *
 *	LOG		one record per line, appended only
 *	LOG.state	mode 0600: the current key, seq, last MAC, chain
 *			head and log size, in two slots overwritten in turn
 *	LOG.lock	the lock file serializing writers (flock)
 *	LOG.pub		the checkpoint verification key (auditlog init)
 *	LOG.sign	mode 0600: the checkpoint signing key
 *
 * A record:
 *
 *	dkaudit1 seq=N ts=T host=H env=E user=U uid=N pid=N prog=P type=Y
 *	    [KEY=VALUE]... mac=HEX
 *
 * on one line (a space between fields), values percent-encoded: every
 * byte outside 0x21-0x7E, and '%' and '=', is %XX with upper-case hex,
 * every other byte stands for itself; there is exactly one valid
 * encoding of a value.  The MAC is the lower-case hex of
 *
 *	HMAC-SHA256(m_i, "dkaudit1" || id || seq (8 bytes, big-endian) ||
 *	    mac_{i-1} || the line's bytes up to and including "mac=")
 *
 * with m_i = HMAC(k_i, "mac") and k_{i+1} = HMAC(k_i, "next"); k_0 is
 * drawn at init and never stored on the host, mac_{-1} is 32 zero bytes.
 * The chain head is h_i = SHA-256("dkaudit1 chain\n" || h_{i-1} || the
 * whole line with its newline), h_{-1} 32 zero bytes.
 *
 * Every function returns 0 (or what it says) on success, or -1 with errno
 * set; where errno alone cannot say what is wrong (a damaged state, a log
 * that does not continue it), a->reason says it and audit_strerror()
 * gives the text to print after "prog: LOG: ".  Nothing here prints or
 * exits.
 */

#define AUDIT_TAG	"dkaudit1"
#define AUDIT_TAGLEN	8
#define AUDIT_IDLEN	16		/* bytes of the log id */
#define AUDIT_MAXVALUE	(4 << 20)	/* bytes of one value, decoded */
#define AUDIT_MAXLINE	(16 << 20)	/* bytes of one record line */
#define AUDIT_MAXKEY	32		/* bytes of a field's key */

/* One field of a record: key (1 to AUDIT_MAXKEY characters from
 * [a-z0-9._-], starting with a letter or digit, not one of the header's
 * keys nor "mac") and any value of len bytes, NUL included. */
struct audit_field {
	const char	*key;
	const void	*value;
	size_t		 len;
};

/* What the state file holds: where the log stands after its last record. */
struct audit_state {
	unsigned char	 id[AUDIT_IDLEN];	/* the log's id */
	uint64_t	 seq;			/* the next record's seq */
	unsigned char	 key[HASH_LEN];		/* k_seq: secret */
	unsigned char	 mac[HASH_LEN];		/* the last record's MAC */
	unsigned char	 head[HASH_LEN];	/* the chain head after it */
	uint64_t	 size;			/* bytes of LOG up to its end */
	char		 ts[TIME_RFC3339LEN];	/* its time */
	int		 slot;			/* the slot it was read from */
};

/*
 * A writer, owned by the caller.  Between audit_begin and audit_commit or
 * audit_abort it holds the lock.  Members are private except for reading
 * reason, st.seq (after audit_add, the seq the next record will get),
 * rolled and recovered.
 */
struct audit {
	int		 dirfd;		/* the log's directory */
	int		 lockfd;
	int		 statefd;
	int		 logfd;		/* open between begin and commit */
	char		 name[NAME_MAX + 1];	/* the log's last component */
	struct audit_state st;
	int		 locked;
	int		 err;		/* errno of the last failure */
	const char	*reason;	/* why it failed, or NULL */
	char		 why[256];
	char		*hdr;		/* "host=H ... prog=P", encoded once */
	size_t		 hdrlen;
	char		*buf;		/* records made, not yet written */
	size_t		 len, cap;
	int		 dirty;		/* records written, state not yet */
	unsigned long	 rolled;	/* records found beyond the state */
	unsigned long	 recovered;	/* torn fragments recorded */
	uint64_t	 fragoff;	/* the last one's offset and length */
	uint64_t	 fraglen;
};

/*
 * Open the log at path for appending, as the first thing a program does
 * when AUDITLOG is set: open its directory, state and lock file, take the
 * lock, check that the log continues its state (recovering from a crashed
 * writer as audit_begin does) and release the lock.  Returns 0 when
 * records can be appended (the log stays open for audit_record), or -1
 * with errno: ENOENT (no log or no state: not initialized), EACCES,
 * EBADMSG with a->reason (a damaged state, a log that does not continue
 * its state), or what the failed call set.  After a failure only
 * audit_close may be called.
 */
int	audit_open(struct audit *a, const char *path);

/*
 * Append one record of the given type with fields kv: key, value, key,
 * value, ..., NULL (values NUL-terminated strings).  The record is on
 * disk (the log fsynced, then the state) before it returns 0.  type is
 * 1 to AUDIT_MAXKEY bytes from [a-z0-9._-] starting with a letter or
 * digit, and not one of the types the log itself writes (init, rotate,
 * recover): EINVAL otherwise; so are bad keys, and EMSGSIZE a value over
 * AUDIT_MAXVALUE bytes or a record over AUDIT_MAXLINE.
 */
int	audit_record(struct audit *a, const char *type, const char *const *kv);

/* The same with fields of any bytes. */
int	audit_recordv(struct audit *a, const char *type,
	    const struct audit_field *f, size_t n);

/*
 * A batch: audit_begin takes the lock (waiting for it), reads the state
 * and checks the log against it.  When the log is ahead of the state (a
 * writer died after writing records and before updating the state) the
 * records that verify under the state's key are taken in (a->rolled
 * counts them); whatever follows them (a torn record, anything that
 * does not verify) is left in place and a "recover" record naming its
 * offset, length and SHA-256 is the batch's first record (a->recovered,
 * a->fragoff, a->fraglen).  audit_add makes records, written to the log
 * with one write(2) per buffer of whole records, so no record is ever
 * split; *seq (if not NULL) gets the record's seq.  audit_commit writes
 * the rest, fsyncs the log, then updates the state and releases the lock:
 * the state is never ahead of the log.  audit_abort releases the lock
 * without updating the state (records already written are taken in by
 * the next writer).  A failed audit_add or audit_commit aborts.
 */
int	audit_begin(struct audit *a);
int	audit_add(struct audit *a, const char *type,
	    const struct audit_field *f, size_t n, uint64_t *seq);
int	audit_commit(struct audit *a);
void	audit_abort(struct audit *a);

/*
 * Within a batch (after audit_begin, before audit_commit, with nothing
 * added yet besides what audit_begin made): rename the log to
 * LOG.YYYYmmdd_HHMMSS (the current UTC time; waiting for the next second
 * when that name exists) and start a new log with mode of the old one
 * whose first record (type rotate) names it and carries its last seq,
 * MAC and chain head and the log id.  The new name goes into
 * newname[size].  Then audit_commit.  A crash at any point leaves the old
 * log in place or the new one complete; the next writer finishes an
 * interrupted rotation.
 */
int	audit_rotate(struct audit *a, char *newname, size_t size);

/* Wipe the keys, release the lock if held, close everything.  Safe on a
 * zeroed struct and after a failed audit_open; errno is preserved. */
void	audit_close(struct audit *a);

/* What went wrong in the last failed call: a->reason, else the
 * strerror of its errno. */
const char *audit_strerror(const struct audit *a);

/*
 * Make a new log at path: fail with EEXIST if LOG or LOG.state exists;
 * else write LOG (mode 0600) with its first record, seq 0, type init,
 * fields id=HEX and then f[n], keyed with k0, fsync it, then LOG.state
 * (mode 0600, O_EXCL) holding k_1.  k0 and id are the caller's (from
 * getrandom); k0 is not stored.  On failure the files made are removed.
 */
int	audit_create(const char *path, const unsigned char k0[HASH_LEN],
	    const unsigned char id[AUDIT_IDLEN], const struct audit_field *f,
	    size_t n);

/* ---- the pieces, for the verifier ---------------------------------- */

/* Encode in[len] into out (which must hold audit_enclen(in, len) bytes;
 * nothing is written when out is NULL); returns the encoded length. */
size_t	audit_encode(char *out, const void *in, size_t len);
size_t	audit_enclen(const void *in, size_t len);

/* Decode the value in[len] into out[len] (never longer than in), setting
 * *outlen.  0, or -1 with EINVAL when in is not the one valid encoding
 * of anything (a byte that must be encoded, a '%' not followed by two
 * upper-case hex digits, a %XX that need not be encoded). */
int	audit_decode(const char *in, size_t len, char *out, size_t *outlen);

/* The keys of record i from k (k_i): m (the MAC key) and next (k_{i+1});
 * next may be k. */
void	audit_step(const unsigned char k[HASH_LEN], unsigned char m[HASH_LEN],
	    unsigned char next[HASH_LEN]);

/* The MAC of a record under its MAC key m: line[len] is the line up to
 * and including "mac=". */
void	audit_mac(const unsigned char m[HASH_LEN],
	    const unsigned char id[AUDIT_IDLEN], uint64_t seq,
	    const unsigned char prev[HASH_LEN], const char *line, size_t len,
	    unsigned char out[HASH_LEN]);

/* head = SHA-256("dkaudit1 chain\n" || head || line[len]), in place;
 * line with its newline. */
void	audit_chain(unsigned char head[HASH_LEN], const char *line,
	    size_t len);

/*
 * A record parsed in place: pointers into the line, values still
 * encoded.  maclen is the length covered by the MAC (up to "mac=").
 */
struct audit_rec {
	const char	*line;
	size_t		 len;		/* with the newline */
	uint64_t	 seq;
	const char	*ts;		/* TIME_RFC3339LEN - 1 bytes */
	const char	*type;
	size_t		 typelen;
	const char	*fields;	/* " key=value" after type, */
	size_t		 fieldslen;	/* up to " mac=" */
	size_t		 maclen;
	unsigned char	 mac[HASH_LEN];
};

/*
 * Parse line[len], which must end with its newline: the tag, the header's
 * keys in order, canonical encodings everywhere, a canonical decimal seq,
 * ts as RFC 3339 UTC with microseconds, keys of the right form, mac last
 * with 64 lower-case hex digits.  0, or -1 with errno EINVAL and
 * why[whysize] saying what is wrong ("bad encoding of msg: ...").
 */
int	audit_parse(const char *line, size_t len, struct audit_rec *r,
	    char *why, size_t whysize);

/* Find the field key of r (not a header field) and decode its value into
 * out[size] (NUL-terminated when there is room), *len (if not NULL) its
 * length.  0, or -1 with ENOENT (no such field) or ENAMETOOLONG (it does
 * not fit). */
int	audit_get(const struct audit_rec *r, const char *key, char *out,
	    size_t size, size_t *len);

/* Parse a canonical decimal number (no sign, no leading zero) of s[len]
 * into *out; 0, or -1 with EINVAL or ERANGE. */
int	audit_number(const char *s, size_t len, uint64_t *out);

/*
 * The state file: read the slot holding the newest valid state (0, or -1
 * with EBADMSG when neither slot is valid, or the read's errno); write st
 * into the other slot, fdatasync, then wipe the older slot, and set
 * st->slot.  A new file is made by audit_create.
 */
int	audit_state_read(int fd, struct audit_state *st);
int	audit_state_write(int fd, struct audit_state *st);

/*
 * Lines of a file from start to end, read with pread, so that the file
 * growing meanwhile changes nothing.  audit_reader_next returns 1 with
 * *line, *len and *off (its offset): a line with its newline, or the
 * file's last bytes without one; a line longer than AUDIT_MAXLINE is
 * returned as its first AUDIT_MAXLINE bytes with *toolong set (the rest
 * is skipped).  0 at the end, -1 with errno on a read error.  The line
 * stays valid until the next call.
 */
struct audit_reader {
	int		 fd;
	off_t		 pos;		/* next byte to read from the file */
	off_t		 end;
	off_t		 base;		/* file offset of buf[0] */
	char		*buf;
	size_t		 start, fill, cap;
	int		 skip;		/* in the rest of a line too long */
};
int	audit_reader_init(struct audit_reader *r, int fd, off_t start,
	    off_t end);
int	audit_reader_next(struct audit_reader *r, const char **line,
	    size_t *len, off_t *off, int *toolong);
void	audit_reader_free(struct audit_reader *r);

#endif
