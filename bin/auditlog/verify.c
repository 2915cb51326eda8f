/* verify.c - auditlog verify: check logs across rotations against k_0,
 * signed checkpoints and the state file. */
/* SPDX-License-Identifier: ISC */

#define _GNU_SOURCE

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/audit.h"
#include "lib/err.h"
#include "bin/auditlog/auditlog.h"

/* Keys derived to reach one record, at most (about a minute of work):
 * a forged seq must not make verify run for ever.  (The fuzz target
 * sets less, so that each input takes a moment.) */
#ifndef MAXSTEP
#define MAXSTEP		(1ULL << 28)
#endif

/* A torn write and the recover record after it (found before the main
 * pass, so that the fragment's lines are skipped). */
struct region {
	uint64_t	 start, end;	/* the fragment, with its newline */
	uint64_t	 len;		/* the fragment as recorded */
	unsigned long	 line;		/* the recover record's line */
};

struct cp {
	const char	*path;
	struct note	 n;
	int		 ok;		/* well signed */
	int		 checked;	/* compared with the log */
};

struct gap {
	uint64_t	 from, to;
};

struct vfile {
	const char	*path;
	int		 fd;
	off_t		 size;
	struct region	*reg;
	size_t		 nreg;
};

struct verifier {
	struct vfile	*files;
	size_t		 nfiles, fi;	/* the files, the current one */
	unsigned long	 line;		/* the current line */
	int		 told;		/* a problem is told for it */

	int		 havek0;
	unsigned char	 k0[HASH_LEN], kid[AUDIT_IDLEN];
	unsigned char	 kcur[HASH_LEN];	/* k_kseq */
	uint64_t	 kseq;

	int		 havepub;
	unsigned char	 pub[SIGN_PUBLEN], pubid[AUDIT_IDLEN];
	char		 keyname[128], publine[512];

	int		 haveid;
	unsigned char	 id[AUDIT_IDLEN];
	int		 started, prevok, headok, havelast;
	int		 filefirst;	/* no record of this file seen yet */
	uint64_t	 expect, firstseq, lastseq, filefirstseq;
	unsigned char	 prevmac[HASH_LEN], head[HASH_LEN];
	char		 lastts[TIME_RFC3339LEN];
	unsigned long long records;
	struct gap	*gaps;
	size_t		 ngaps;

	int		 pend;		/* a seq jump: gap or reordered? */
	size_t		 pendfi;
	unsigned long	 pendline;
	uint64_t	 pendexpect, pendfound;

	int		 havestate;
	char		 statepath[PATH_MAX];
	struct audit_state st;
	unsigned char	 skey[HASH_LEN], sprev[HASH_LEN];
	uint64_t	 skseq;
	int		 stmatched;
	unsigned long	 beyond;

	struct cp	*cps;
	size_t		 ncps;
	unsigned long	 problems;
};

static void	putesc(FILE *fp, const char *s);
static void	report(struct verifier *v, int problem, size_t fi,
		    unsigned long line, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));
static void	flush_pend(struct verifier *v, int reordered);
static int	key_for(struct verifier *v, uint64_t seq,
		    unsigned char m[HASH_LEN]);
static int	hash_range(int fd, uint64_t off, uint64_t len,
		    unsigned char out[HASH_LEN]);
static int	prepass(struct verifier *v, struct vfile *f);
static void	process(struct verifier *v, const char *line, size_t len,
		    off_t off, int toolong);
static void	check_file(struct verifier *v);
static void	load_state(struct verifier *v);
static void	load_cps(struct verifier *v);
static void	finish(struct verifier *v);

/* A name on one line: backslash, tab and newline escaped. */
static void
putesc(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else if (*s == '\t')
			fputs("\\t", fp);
		else
			putc(*s, fp);
	}
}

/*
 * "FILE:LINE: what" on stdout: a problem (counted; one per line, the
 * first found) or a note.  fi == nfiles names the state file, fi > nfiles
 * the checkpoint fi - nfiles - 1; line 0 leaves the line out.
 */
static void
report(struct verifier *v, int problem, size_t fi, unsigned long line,
    const char *fmt, ...)
{
	va_list ap;

	if (problem) {
		if (line != 0 && fi == v->fi && line == v->line) {
			if (v->told)
				return;
			v->told = 1;
		}
		v->problems++;
	}
	if (fi < v->nfiles)
		putesc(stdout, v->files[fi].path);
	else if (fi == v->nfiles)
		putesc(stdout, v->statepath);
	else
		putesc(stdout, v->cps[fi - v->nfiles - 1].path);
	if (line != 0)
		printf(":%lu", line);
	fputs(": ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Tell the pending seq jump: a record that came early, or a gap. */
static void
flush_pend(struct verifier *v, int reordered)
{
	size_t fi = v->fi;
	unsigned long line = v->line;
	int told = v->told;

	if (!v->pend)
		return;
	v->pend = 0;
	/* Its own line, not the current one. */
	v->fi = v->pendfi;
	v->line = v->pendline;
	v->told = 0;
	if (reordered)
		report(v, 1, v->pendfi, v->pendline, "reordered: seq %llu "
		    "comes before seq %llu", (unsigned long long)v->pendfound,
		    (unsigned long long)v->pendexpect);
	else
		report(v, 1, v->pendfi, v->pendline, "seq gap: expected %llu, "
		    "found %llu (records missing)",
		    (unsigned long long)v->pendexpect,
		    (unsigned long long)v->pendfound);
	v->fi = fi;
	v->line = line;
	v->told = told;
}

/* m, the MAC key of record seq, from k_0 by position; the key after it
 * is kept for the next record.  -1 when seq is out of reach. */
static int
key_for(struct verifier *v, uint64_t seq, unsigned char m[HASH_LEN])
{
	unsigned char scratch[HASH_LEN];

	if (seq < v->kseq) {
		memcpy(v->kcur, v->k0, HASH_LEN);
		v->kseq = 0;
	}
	if (seq - v->kseq > MAXSTEP)
		return -1;
	for (; v->kseq < seq; v->kseq++)
		audit_step(v->kcur, scratch, v->kcur);
	explicit_bzero(scratch, sizeof scratch);
	audit_step(v->kcur, m, v->kcur);
	v->kseq++;
	return 0;
}

static int
hash_range(int fd, uint64_t off, uint64_t len, unsigned char out[HASH_LEN])
{
	char buf[65536];
	hash_ctx ctx;
	ssize_t n;
	size_t want;

	hash_init(&ctx);
	while (len > 0) {
		want = len > sizeof buf ? sizeof buf : (size_t)len;
		if ((n = pread(fd, buf, want, (off_t)off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return -1;
		}
		hash_update(&ctx, buf, (size_t)n);
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	hash_final(&ctx, out);
	return 0;
}

/*
 * Find the recover records of a file whose fragment is right before
 * them: it starts at a line's start, ends where the record starts (or one
 * byte before, the newline the writer added to end it), and its SHA-256
 * is the one recorded.  Their MACs are checked in the main pass.
 */
static int
prepass(struct verifier *v, struct vfile *f)
{
	struct audit_reader rd;
	struct audit_rec r;
	struct region *reg;
	unsigned char h[HASH_LEN], want[HASH_LEN];
	const char *line;
	char why[256], val[HASH_HEXLEN + 1], c[2];
	uint64_t o, n, end;
	unsigned long ln = 0;
	size_t len;
	off_t off;
	int tl, rc;

	(void)v;
	if (audit_reader_init(&rd, f->fd, 0, f->size) == -1)
		return -1;
	while ((rc = audit_reader_next(&rd, &line, &len, &off, &tl)) == 1) {
		ln++;
		/* Cheap test first: most lines are no recover record. */
		if (tl || len < 64 || memmem(line, len, " type=recover ", 14) ==
		    NULL || audit_parse(line, len, &r, why, sizeof why) == -1 ||
		    r.typelen != 7 || memcmp(r.type, "recover", 7) != 0)
			continue;
		if (audit_get(&r, "offset", val, sizeof val, NULL) == -1 ||
		    audit_number(val, strlen(val), &o) == -1 ||
		    audit_get(&r, "length", val, sizeof val, NULL) == -1 ||
		    audit_number(val, strlen(val), &n) == -1 || n == 0 ||
		    audit_get(&r, "sha256", val, sizeof val, NULL) == -1 ||
		    strlen(val) != HASH_HEXLEN || hash_unhex(val, want,
		    HASH_LEN) == -1 || o > (uint64_t)off ||
		    n > (uint64_t)off - o)
			continue;
		end = o + n;
		if (end + 1 == (uint64_t)off) {
			if (pread(f->fd, c, 2, (off_t)end - 1) != 2 ||
			    c[0] == '\n' || c[1] != '\n')
				continue;
		} else if (end != (uint64_t)off)
			continue;
		if (o > 0 && (pread(f->fd, c, 1, (off_t)o - 1) != 1 ||
		    c[0] != '\n'))
			continue;
		if (hash_range(f->fd, o, n, h) == -1 ||
		    !hash_equal(h, want, HASH_LEN))
			continue;
		if ((reg = reallocarray(f->reg, f->nreg + 1, sizeof *reg)) ==
		    NULL) {
			audit_reader_free(&rd);
			return -1;
		}
		f->reg = reg;
		f->reg[f->nreg++] = (struct region){ o, (uint64_t)off, n, ln };
	}
	audit_reader_free(&rd);
	return rc;
}

/* The record at line v->line of file v->fi, at offset off. */
static void
process(struct verifier *v, const char *line, size_t len, off_t off,
    int toolong)
{
	struct vfile *f = &v->files[v->fi];
	struct audit_rec r;
	unsigned char m[HASH_LEN], mac[HASH_LEN];
	char why[256], val[NAME_MAX + 1], signval[512];
	uint64_t s, expect;
	size_t i, n, fi = v->fi;
	unsigned long ln = v->line;
	int last = v->fi + 1 == v->nfiles, beyond, damaged = 0, first, jump;

	beyond = last && v->havestate && (uint64_t)off >= v->st.size;
	if (toolong) {
		report(v, 1, fi, ln, "line too long (over %d bytes)",
		    AUDIT_MAXLINE);
		return;
	}
	if (line[len - 1] != '\n') {
		if (beyond)
			report(v, 0, fi, ln, "an incomplete last line beyond "
			    "the state: a torn write, which the next append "
			    "records");
		else
			report(v, 1, fi, ln, "an incomplete last line (no "
			    "newline)");
		return;
	}
	if (audit_parse(line, len, &r, why, sizeof why) == -1) {
		report(v, 1, fi, ln, "%s", why);
		/* Where the seq and the MAC can still be read, the line
		 * keeps its place, so that what follows is checked as
		 * usual. */
		if (len < AUDIT_TAGLEN + 6 + 71 || memcmp(line, AUDIT_TAG
		    " seq=", AUDIT_TAGLEN + 5) != 0 || audit_number(line +
		    AUDIT_TAGLEN + 5, strcspn(line + AUDIT_TAGLEN + 5, " "),
		    &r.seq) == -1 || memcmp(line + len - 70, " mac=", 5) != 0 ||
		    hash_unhex(line + len - 65, r.mac, HASH_LEN) == -1)
			return;
		damaged = 1;
		r.line = line;
		r.len = len;
		r.type = "";
		r.typelen = 0;
	}
	s = r.seq;
	if (v->pend)
		flush_pend(v, s >= v->pendexpect && s < v->pendfound);
	first = !v->started;
	if (first) {
		v->started = 1;
		v->expect = v->firstseq = s;
		if (damaged) {
			v->prevok = v->headok = 0;
		} else if (r.typelen == 4 && memcmp(r.type, "init", 4) == 0) {
			memset(v->prevmac, 0, HASH_LEN);
			memset(v->head, 0, HASH_LEN);
			v->prevok = v->headok = 1;
			if (s != 0)
				report(v, 1, fi, ln, "an init record with seq "
				    "%llu", (unsigned long long)s);
		} else if (r.typelen == 6 && memcmp(r.type, "rotate", 6) == 0) {
			v->prevok = audit_get(&r, "prevmac", val, sizeof val,
			    NULL) == 0 && hash_unhex(val, v->prevmac,
			    HASH_LEN) == 0;
			v->headok = audit_get(&r, "prevhead", val, sizeof val,
			    NULL) == 0 && hash_unhex(val, v->head,
			    HASH_LEN) == 0;
			/* Without them nothing after could be checked
			 * against the state (nor this record's MAC). */
			if (!v->prevok || !v->headok)
				report(v, 1, fi, ln, "a rotate record without "
				    "a readable prevmac and prevhead");
		} else {
			v->prevok = v->headok = 0;
			report(v, 1, fi, ln, "the log does not start here: "
			    "seq %llu is no init or rotate record (the "
			    "start is missing)", (unsigned long long)s);
		}
		if (!damaged && audit_get(&r, "id", val, sizeof val, NULL) ==
		    0 && strlen(val) == 2 * AUDIT_IDLEN &&
		    hash_unhex(val, v->id, AUDIT_IDLEN) == 0)
			v->haveid = 1;
		if (v->havek0 && v->haveid &&
		    memcmp(v->id, v->kid, AUDIT_IDLEN) != 0) {
			report(v, 1, fi, ln, "the key given is of another "
			    "log (no MAC checked)");
			v->havek0 = 0;
		}
		if (v->havepub && v->haveid &&
		    memcmp(v->id, v->pubid, AUDIT_IDLEN) != 0)
			report(v, 1, fi, ln, "the checkpoint key given is of "
			    "another log");
		else if (v->havepub && !damaged && r.typelen == 4 &&
		    memcmp(r.type, "init", 4) == 0 && (audit_get(&r, "sign",
		    signval, sizeof signval, &n) == -1 ||
		    n + 1 != strlen(v->publine) ||
		    memcmp(signval, v->publine, n) != 0))
			report(v, 1, fi, ln, "the log was made with another "
			    "checkpoint key than the one given");
		if (v->havestate && v->haveid &&
		    memcmp(v->st.id, v->id, AUDIT_IDLEN) != 0) {
			report(v, 1, v->nfiles, 0, "the state of another log");
			v->havestate = 0;
		}
	} else if (v->filefirst) {
		/* The first record of a later file: the rotation link. */
		if (damaged || r.typelen != 6 ||
		    memcmp(r.type, "rotate", 6) != 0)
			report(v, 1, fi, ln, "broken rotation link: no rotate "
			    "record at the start of the file");
		else {
			uint64_t ps;
			char pm[HASH_HEXLEN + 1], hx[HASH_HEXLEN + 1];

			if (audit_get(&r, "prevseq", val, sizeof val, NULL) ==
			    -1 || audit_number(val, strlen(val), &ps) == -1)
				ps = UINT64_MAX;
			if (audit_get(&r, "prevmac", pm, sizeof pm, NULL) == -1)
				pm[0] = '\0';
			hash_hex(v->prevmac, HASH_LEN, hx);
			if (audit_get(&r, "prev", val, sizeof val, NULL) == -1)
				strcpy(val, "?");
			if (!v->havelast || ps != v->lastseq ||
			    strcmp(pm, hx) != 0) {
				report(v, 1, fi, ln, "broken rotation link: it "
				    "follows %s ending at seq %llu, but the "
				    "file before it ends at seq %llu", val,
				    (unsigned long long)ps,
				    (unsigned long long)v->lastseq);
				/* Go on from what the link says, so that
				 * this file is checked as if it came first. */
				v->prevok = hash_unhex(pm, v->prevmac,
				    HASH_LEN) == 0;
				v->headok = audit_get(&r, "prevhead", val,
				    sizeof val, NULL) == 0 && hash_unhex(val,
				    v->head, HASH_LEN) == 0;
				v->expect = s;
			}
		}
	} else if (!damaged && r.typelen == 4 && !memcmp(r.type, "init", 4))
		report(v, 1, fi, ln, "an init record inside the log");
	else if (!damaged && r.typelen == 6 && !memcmp(r.type, "rotate", 6))
		report(v, 1, fi, ln, "a rotate record inside a file");
	else if (!damaged && r.typelen == 7 && !memcmp(r.type, "recover", 7)) {
		for (i = 0; i < f->nreg; i++)
			if (f->reg[i].line == ln)
				break;
		if (i == f->nreg)
			report(v, 1, fi, ln, "a recover record that does not "
			    "match the bytes before it");
	}

	/* Its place in the sequence. */
	expect = v->expect;
	jump = s > expect;
	if (s < expect) {
		for (i = 0; i < v->ngaps; i++)
			if (s >= v->gaps[i].from && s <= v->gaps[i].to)
				break;
		if (i < v->ngaps) {
			report(v, 1, fi, ln, "reordered: seq %llu comes after "
			    "seq %llu", (unsigned long long)s,
			    (unsigned long long)v->lastseq);
			if (s == v->gaps[i].from)
				v->gaps[i].from++;
			else if (s == v->gaps[i].to)
				v->gaps[i].to--;
			else {
				/* The gap splits; the part after s is
				 * kept as the last entry. */
				struct gap *g = reallocarray(v->gaps,
				    v->ngaps + 1, sizeof *g);

				if (g != NULL) {
					v->gaps = g;
					g[v->ngaps].from = s + 1;
					g[v->ngaps].to = g[i].to;
					g[i].to = s - 1;
					v->ngaps++;
				}
			}
		} else
			report(v, 1, fi, ln, "replayed: seq %llu came before",
			    (unsigned long long)s);
		return;
	}
	if (jump) {
		struct gap *g = reallocarray(v->gaps, v->ngaps + 1, sizeof *g);

		if (g != NULL) {
			v->gaps = g;
			g[v->ngaps++] = (struct gap){ expect, s - 1 };
		}
		if (!v->told) {
			v->pend = 1;
			v->pendfi = fi;
			v->pendline = ln;
			v->pendexpect = expect;
			v->pendfound = s;
		}
	}

	/* The MAC, under the key of its position. */
	if (!damaged && v->havek0 && v->haveid && v->prevok && !jump) {
		if (key_for(v, s, m) == -1)
			report(v, 1, fi, ln, "seq %llu is out of reach of the "
			    "key", (unsigned long long)s);
		else {
			audit_mac(m, v->id, s, v->prevmac, line, r.maclen, mac);
			explicit_bzero(m, sizeof m);
			if (!hash_equal(mac, r.mac, HASH_LEN))
				report(v, 1, fi, ln, "bad MAC");
		}
	}
	if (!damaged && v->havelast && v->lastts[0] != '\0' &&
	    memcmp(r.ts, v->lastts, TIME_RFC3339LEN - 1) < 0)
		report(v, 1, fi, ln, "time goes back: %.27s is before the "
		    "record before it (%s)", r.ts, v->lastts);

	/* Against the state: its last record, and what follows it. */
	if (last && v->havestate) {
		if (s + 1 == v->st.seq) {
			v->stmatched = 1;
			if (!hash_equal(r.mac, v->st.mac, HASH_LEN))
				report(v, 1, fi, ln, "differs from the state's "
				    "last record (seq %llu)",
				    (unsigned long long)s);
			else if ((uint64_t)off + len != v->st.size)
				report(v, 1, fi, ln, "the state expects its "
				    "last record to end at byte %llu, not "
				    "%llu", (unsigned long long)v->st.size,
				    (unsigned long long)off + len);
		} else if (s >= v->st.seq && beyond) {
			int ok = 0;

			if (!damaged && s == v->skseq) {
				audit_step(v->skey, m, v->skey);
				audit_mac(m, v->id, s, v->sprev, line, r.maclen,
				    mac);
				explicit_bzero(m, sizeof m);
				ok = hash_equal(mac, r.mac, HASH_LEN);
			}
			if (ok) {
				v->skseq++;
				memcpy(v->sprev, r.mac, HASH_LEN);
				v->beyond++;
			} else {
				v->skseq = UINT64_MAX;
				report(v, 1, fi, ln, "beyond the state, and "
				    "not valid under its key");
			}
		}
	}

	/* Take it in: chain head, checkpoints, position. */
	if (v->headok) {
		audit_chain(v->head, line, len);
		if (last && v->havestate && s + 1 == v->st.seq &&
		    !hash_equal(v->head, v->st.head, HASH_LEN))
			report(v, 1, fi, ln, "the chain head differs from the "
			    "state's: a record before it was changed");
	}
	for (i = 0; i < v->ncps; i++) {
		struct cp *c = &v->cps[i];

		if (!c->ok || c->checked || c->n.count - 1 != s)
			continue;
		c->checked = 1;
		if (!v->headok)
			report(v, 0, v->nfiles + 1 + i, 0, "not checked: the "
			    "chain head is unknown (the start is missing)");
		else if (!hash_equal(v->head, c->n.head, HASH_LEN))
			report(v, 1, fi, ln, "the chain head differs from "
			    "checkpoint %s", c->path);
		else if (!hash_equal(r.mac, c->n.mac, HASH_LEN))
			report(v, 1, fi, ln, "the MAC differs from checkpoint "
			    "%s", c->path);
		else if (opt.verbose) {
			fprintf(stderr, "%s: %llu records, chain head "
			    "matches\n", c->path,
			    (unsigned long long)c->n.count);
		}
	}
	memcpy(v->prevmac, r.mac, HASH_LEN);
	v->prevok = 1;
	v->expect = s + 1;
	v->lastseq = s;
	v->havelast = 1;
	if (v->filefirst)
		v->filefirstseq = s;
	v->filefirst = 0;
	if (!damaged) {
		memcpy(v->lastts, r.ts, TIME_RFC3339LEN - 1);
		v->lastts[TIME_RFC3339LEN - 1] = '\0';
	}
	v->records++;
}

static void
check_file(struct verifier *v)
{
	struct vfile *f = &v->files[v->fi];
	struct audit_reader rd;
	const char *line;
	unsigned long long before = v->records;
	size_t len, ri = 0;
	off_t off;
	int tl, rc;

	v->line = 0;
	v->filefirst = 1;
	if (prepass(v, f) == -1)
		err(EXIT_FAIL, "%s", f->path);
	if (audit_reader_init(&rd, f->fd, 0, f->size) == -1)
		err(EXIT_FAIL, NULL);
	while ((rc = audit_reader_next(&rd, &line, &len, &off, &tl)) == 1) {
		v->line++;
		v->told = 0;
		while (ri < f->nreg && (uint64_t)off >= f->reg[ri].end)
			ri++;
		if (ri < f->nreg && (uint64_t)off >= f->reg[ri].start) {
			if ((uint64_t)off == f->reg[ri].start)
				report(v, 0, v->fi, v->line, "recovered: a "
				    "torn write of %llu bytes at offset %llu, "
				    "recorded at line %lu",
				    (unsigned long long)f->reg[ri].len,
				    (unsigned long long)off, f->reg[ri].line);
			continue;
		}
		process(v, line, len, off, tl);
	}
	if (rc == -1)
		err(EXIT_FAIL, "%s", f->path);
	audit_reader_free(&rd);
	if (v->line == 0)
		report(v, 1, v->fi, 0, "empty: no records");
	if (opt.verbose && v->records > before)
		fprintf(stderr, "%s: %llu records, seq %llu to %llu\n", f->path,
		    v->records - before, (unsigned long long)v->filefirstseq,
		    (unsigned long long)v->lastseq);
}

/* The state beside the last file, read under a shared lock with the
 * last file's size, so that the two agree. */
static void
load_state(struct verifier *v)
{
	struct vfile *f = &v->files[v->nfiles - 1];
	struct stat st;
	char lock[PATH_MAX];
	int lfd, sfd;

	if ((size_t)snprintf(v->statepath, sizeof v->statepath, "%s.state",
	    f->path) >= sizeof v->statepath ||
	    (size_t)snprintf(lock, sizeof lock, "%s.lock", f->path) >=
	    sizeof lock)
		return;
	lfd = open(lock, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (lfd != -1)
		while (flock(lfd, LOCK_SH) == -1 && errno == EINTR)
			;
	sfd = open(v->statepath, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (sfd == -1) {
		if (errno != ENOENT)
			report(v, 0, v->nfiles, 0, "not compared: %s",
			    strerror(errno));
	} else if (audit_state_read(sfd, &v->st) == -1) {
		if (errno == EBADMSG)
			report(v, 1, v->nfiles, 0, "damaged (no valid slot)");
		else
			report(v, 1, v->nfiles, 0, "%s", strerror(errno));
	} else
		v->havestate = 1;
	if (sfd != -1)
		close(sfd);
	if (fstat(f->fd, &st) == 0)
		f->size = st.st_size;
	if (lfd != -1)
		close(lfd);
	if (v->havestate) {
		memcpy(v->skey, v->st.key, HASH_LEN);
		memcpy(v->sprev, v->st.mac, HASH_LEN);
		v->skseq = v->st.seq;
	}
}

/* Read and check the checkpoints, in the order given: each well signed,
 * none older than one before it. */
static void
load_cps(struct verifier *v)
{
	struct cp *c, *prev = NULL;
	const char *why;
	size_t i;

	/* (calloc(0) may return NULL, which is no error.) */
	if ((v->cps = calloc(opt.ncps > 0 ? opt.ncps : 1, sizeof *v->cps)) ==
	    NULL)
		err(EXIT_FAIL, NULL);
	v->ncps = opt.ncps;
	for (i = 0; i < v->ncps; i++) {
		c = &v->cps[i];
		c->path = opt.cps[i];
		if (note_read(c->path, v->pub, v->keyname, &c->n, &why) == -1) {
			report(v, 1, v->nfiles + 1 + i, 0, "%s", why != NULL ?
			    why : strerror(errno));
			continue;
		}
		if (strcmp(c->n.origin, v->keyname) != 0) {
			report(v, 1, v->nfiles + 1 + i, 0, "a checkpoint of "
			    "another log (%s)", c->n.origin);
			continue;
		}
		c->ok = 1;
		if (prev != NULL && (c->n.count < prev->n.count ||
		    strcmp(c->n.time, prev->n.time) < 0)) {
			report(v, 1, v->nfiles + 1 + i, 0, "older than %s, "
			    "given before it (%llu records at %s; %llu at %s)",
			    prev->path, (unsigned long long)c->n.count,
			    c->n.time, (unsigned long long)prev->n.count,
			    prev->n.time);
			c->ok = 0;
			continue;
		}
		if (prev != NULL && c->n.count == prev->n.count &&
		    !hash_equal(c->n.head, prev->n.head, HASH_LEN)) {
			report(v, 1, v->nfiles + 1 + i, 0, "contradicts %s: "
			    "the same %llu records with another chain head",
			    prev->path, (unsigned long long)c->n.count);
			c->ok = 0;
			continue;
		}
		prev = c;
	}
}

/* After the last file: the state, the checkpoints not reached. */
static void
finish(struct verifier *v)
{
	unsigned char k[HASH_LEN], m[HASH_LEN];
	size_t i, lf = v->nfiles - 1;
	uint64_t s;

	if (v->pend)
		flush_pend(v, 0);
	if (v->havestate && v->havelast) {
		if (v->lastseq + 1 < v->st.seq)
			report(v, 1, lf, 0, "truncated after seq %llu, state "
			    "expects %llu", (unsigned long long)v->lastseq,
			    (unsigned long long)v->st.seq - 1);
		else if (!v->stmatched)
			report(v, 1, lf, 0, "the state's last record (seq "
			    "%llu) is not in it",
			    (unsigned long long)v->st.seq - 1);
		else if (v->beyond > 0)
			report(v, 0, lf, 0, "%lu records beyond the state, "
			    "valid under its key: an interrupted append, which "
			    "the next append completes", v->beyond);
		if (v->havek0 && v->haveid) {
			/* From the last key derived, if it is not past. */
			s = v->kseq <= v->st.seq ? v->kseq : 0;
			memcpy(k, s > 0 ? v->kcur : v->k0, HASH_LEN);
			if (v->st.seq - s > MAXSTEP)
				memset(k, 0, HASH_LEN);
			else
				for (; s < v->st.seq; s++)
					audit_step(k, m, k);
			if (!hash_equal(k, v->st.key, HASH_LEN))
				report(v, 1, v->nfiles, 0, "its key is not the "
				    "one the key given makes for seq %llu "
				    "(an edited state, or another log's)",
				    (unsigned long long)v->st.seq);
			explicit_bzero(k, sizeof k);
			explicit_bzero(m, sizeof m);
		}
		if (opt.verbose && v->problems == 0)
			fprintf(stderr, "%s: matches (seq %llu)\n",
			    v->statepath, (unsigned long long)v->st.seq - 1);
	}
	for (i = 0; i < v->ncps; i++) {
		struct cp *c = &v->cps[i];

		if (!c->ok || c->checked)
			continue;
		if (!v->havelast || c->n.count - 1 > v->lastseq)
			report(v, 1, lf, 0, "truncated after seq %llu, "
			    "checkpoint %s expects %llu",
			    (unsigned long long)v->lastseq, c->path,
			    (unsigned long long)c->n.count - 1);
		else if (c->n.count - 1 < v->firstseq) {
			if (opt.verbose)
				fprintf(stderr, "%s: before the first record "
				    "given; not checked\n", c->path);
		} else
			report(v, 1, lf, 0, "seq %llu of checkpoint %s is "
			    "missing", (unsigned long long)c->n.count - 1,
			    c->path);
	}
}

int
cmd_verify(int argc, char **argv)
{
	static char *deflog[2];
	struct verifier v;
	struct stat st;
	const char *why;
	size_t i;

	if (opt.ncps > 0 && opt.pubkey == NULL)
		errx(EXIT_USAGE, "-c: checking a checkpoint needs its key "
		    "(-p)");
	if (argc == 0) {
		if ((deflog[0] = getenv("AUDITLOG")) == NULL ||
		    *deflog[0] == '\0')
			errx(EXIT_USAGE, "no log: give LOG or set AUDITLOG");
		argv = deflog;
		argc = 1;
	}
	memset(&v, 0, sizeof v);
	if (opt.keyfile != NULL) {
		if (keyfile_read(opt.keyfile, v.kid, v.k0) == -1)
			errx(EXIT_FAIL, "%s: %s", opt.keyfile, errno == EINVAL ?
			    "not a key file (" KEY_TAG " ID KEY)" :
			    strerror(errno));
		v.havek0 = 1;
		memcpy(v.kcur, v.k0, HASH_LEN);
	}
	if (opt.pubkey != NULL) {
		if (pubkey_read(opt.pubkey, v.keyname, sizeof v.keyname, v.pub,
		    &why) == -1)
			errx(EXIT_FAIL, "%s: %s", opt.pubkey, why != NULL ?
			    why : strerror(errno));
		if (strncmp(v.keyname, NOTE_ORIGIN, strlen(NOTE_ORIGIN)) != 0 ||
		    strlen(v.keyname) != strlen(NOTE_ORIGIN) +
		    2 * AUDIT_IDLEN ||
		    hash_unhex(v.keyname + strlen(NOTE_ORIGIN), v.pubid,
		    AUDIT_IDLEN) == -1)
			errx(EXIT_FAIL, "%s: not an auditlog key (%s...)",
			    opt.pubkey, NOTE_ORIGIN);
		/* The line as the init record holds it. */
		pubkey_line(v.publine, sizeof v.publine, v.pubid, v.pub);
		v.havepub = 1;
	}
	v.nfiles = (size_t)argc;
	if ((v.files = calloc(v.nfiles, sizeof *v.files)) == NULL)
		err(EXIT_FAIL, NULL);
	for (i = 0; i < v.nfiles; i++) {
		v.files[i].path = argv[i];
		if ((v.files[i].fd = open(argv[i], O_RDONLY | O_NOCTTY |
		    O_CLOEXEC)) == -1)
			err(EXIT_FAIL, "%s", argv[i]);
		if (fstat(v.files[i].fd, &st) == -1)
			err(EXIT_FAIL, "%s", argv[i]);
		if (!S_ISREG(st.st_mode))
			errx(EXIT_FAIL, "%s: not a regular file", argv[i]);
		v.files[i].size = st.st_size;
	}
	load_cps(&v);
	load_state(&v);
	for (v.fi = 0; v.fi < v.nfiles; v.fi++)
		check_file(&v);
	v.fi = v.nfiles;
	finish(&v);
	explicit_bzero(v.k0, sizeof v.k0);
	explicit_bzero(v.kcur, sizeof v.kcur);
	explicit_bzero(&v.st, sizeof v.st);
	explicit_bzero(v.skey, sizeof v.skey);
	if (v.problems == 0)
		printf("%llu records, last seq %llu\n", v.records,
		    (unsigned long long)v.lastseq);
	/* Nothing left behind, so that verify can run again in one
	 * process (the fuzz target does). */
	for (i = 0; i < v.nfiles; i++) {
		close(v.files[i].fd);
		free(v.files[i].reg);
	}
	free(v.files);
	free(v.cps);
	free(v.gaps);
	err_flush();
	return v.problems == 0 ? EXIT_OK : EXIT_FAIL;
}
