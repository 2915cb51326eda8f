/* lib-audit.c - unit tests for lib/audit: the encoding, record parsing,
 * keys by position, the state's slots, crash recovery, rotation and
 * concurrent writers. */
/* SPDX-License-Identifier: ISC */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/audit.h"
#include "tests/tap.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define NPROC		4
#define NREC		25

static unsigned char k0[HASH_LEN], id[AUDIT_IDLEN];

/* Everything a file holds, NUL-terminated; exits on failure. */
static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size) {
		perror(path);
		exit(1);
	}
	close(fd);
	buf[st.st_size] = '\0';
	*len = (size_t)st.st_size;
	return buf;
}

static void
spew(const char *path, const void *buf, size_t len, int flags)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | flags, 0600)) == -1 ||
	    write(fd, buf, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/*
 * Check the whole log with k0 as a verifier would: every line parses,
 * seqs follow, MACs verify with keys derived by position; the chain head
 * and the key after the last record into head and key.  Returns the
 * number of records, or -1 (with a diagnostic) at the first bad line.
 */
static long
check_log(const char *path, unsigned char head[HASH_LEN],
    unsigned char key[HASH_LEN], unsigned long *recovered)
{
	struct audit_rec r;
	unsigned char k[HASH_LEN], m[HASH_LEN], mac[HASH_LEN], prev[HASH_LEN];
	char why[200], *buf, *p, *nl;
	size_t len;
	long n = 0;
	uint64_t skipto = 0;

	buf = slurp(path, &len);
	memcpy(k, k0, HASH_LEN);
	memset(prev, 0, HASH_LEN);
	memset(head, 0, HASH_LEN);
	*recovered = 0;
	for (p = buf; p < buf + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(buf + len - p))) == NULL) {
			tap_diag("%s: a last line without newline", path);
			return -1;
		}
		if ((uint64_t)(p - buf) < skipto)
			continue;
		if (audit_parse(p, (size_t)(nl + 1 - p), &r, why,
		    sizeof why) == -1) {
			/* A torn fragment: a recover record must follow. */
			skipto = (uint64_t)(nl + 1 - buf);
			(*recovered)++;
			continue;
		}
		if (r.seq != (uint64_t)n) {
			tap_diag("%s: seq %llu at record %ld", path,
			    (unsigned long long)r.seq, n);
			return -1;
		}
		audit_step(k, m, k);
		audit_mac(m, id, r.seq, prev, p, r.maclen, mac);
		if (!hash_equal(mac, r.mac, HASH_LEN)) {
			tap_diag("%s: bad MAC at seq %ld", path, n);
			return -1;
		}
		memcpy(prev, mac, HASH_LEN);
		audit_chain(head, p, r.len);
		n++;
	}
	memcpy(key, k, HASH_LEN);
	free(buf);
	return n;
}

static int
state_of(const char *path, struct audit_state *st)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	r = audit_state_read(fd, st);
	close(fd);
	return r;
}

int
main(void)
{
	static const char *const bad[] = {
		"%2f", "%41", "a=b", "%", "%4", "a b", "\x80", "%0g", "%%",
		"%2F%", "\t", "%7E",
	};
	struct audit a;
	struct audit_state st, saved;
	struct audit_rec r;
	struct audit_field f[2];
	unsigned char head[HASH_LEN], key[HASH_LEN], all[256], *big;
	char enc[3 * 256 + 1], dec[256], why[200], val[96], dir[64], log[96];
	char path[512], rotname[NAME_MAX + 1], *buf, *save;
	size_t n, i, len, savelen, nbad;
	unsigned long recovered;
	uint64_t num, seq;
	pid_t pid;
	int status, ok;
	long nrec;

	tap_plan(56);
	for (i = 0; i < sizeof k0; i++)
		k0[i] = (unsigned char)(i * 13 + 1);
	for (i = 0; i < sizeof id; i++)
		id[i] = (unsigned char)(0xa0 + i);

	/* --- encoding --- */
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	n = audit_encode(enc, all, 256);
	enc[n] = '\0';
	tap_ok(n == audit_enclen(all, 256) && n == 94 - 2 + 3 * (256 - 92),
	    "every byte value: 92 stand for themselves, the rest are %%XX "
	    "(%zu bytes)", n);
	tap_ok(strstr(enc, "%25") != NULL && strstr(enc, "%3D") != NULL &&
	    strstr(enc, "%20") != NULL && strstr(enc, "%00") != NULL &&
	    strstr(enc, "%FF") != NULL && strchr(enc, '=') == NULL,
	    "'%%', '=', space, NUL and 0xFF are encoded, upper-case");
	tap_ok(audit_decode(enc, n, dec, &len) == 0 && len == 256 &&
	    memcmp(dec, all, 256) == 0, "and decode back");
	for (nbad = 0, i = 0; i < nitems(bad); i++) {
		errno = 0;
		if (audit_decode(bad[i], strlen(bad[i]), dec, &len) != -1 ||
		    errno != EINVAL) {
			tap_diag("accepted: '%s'", bad[i]);
			nbad++;
		}
	}
	tap_ok(nbad == 0, "no other encoding is accepted (%zu cases)",
	    nitems(bad));
	tap_ok(audit_number("0", 1, &num) == 0 && num == 0 &&
	    audit_number("18446744073709551615", 20, &num) == 0 &&
	    num == UINT64_MAX, "numbers: 0 and 2^64-1");
	tap_ok(audit_number("007", 3, &num) == -1 &&
	    audit_number("", 0, &num) == -1 && audit_number("+1", 2, &num) ==
	    -1 && audit_number("18446744073709551616", 20, &num) == -1 &&
	    errno == ERANGE, "no leading zero, sign, empty or overflow");

	/* --- parsing --- */
#define LINE(s)	s, sizeof(s) - 1
#define HDR	"dkaudit1 seq=7 ts=2025-08-18T14:30:22.000123Z host=h env= " \
	"user=root uid=0 pid=1 prog=p type=t"
#define MAC	" mac=0123456789abcdef0123456789abcdef" \
	"0123456789abcdef0123456789abcdef\n"
	tap_ok(audit_parse(LINE(HDR " msg=a%20b" MAC), &r, why, sizeof why) ==
	    0 && r.seq == 7 && r.typelen == 1 && *r.type == 't' &&
	    r.maclen == sizeof(HDR " msg=a%20b mac=") - 1,
	    "a record parses: seq, type, the MAC's extent");
	tap_ok(audit_get(&r, "msg", val, sizeof val, &len) == 0 &&
	    strcmp(val, "a b") == 0 && audit_get(&r, "x", val, sizeof val,
	    NULL) == -1 && errno == ENOENT, "fields are found and decoded");
	tap_ok(audit_parse(LINE(HDR " msg=a%2fb" MAC), &r, why, sizeof why) ==
	    -1 && strcmp(why, "bad encoding of msg: lower-case hex digits") ==
	    0, "lower-case hex is refused, naming the field (%s)", why);
	tap_ok(audit_parse(LINE(HDR " msg=%61" MAC), &r, why, sizeof why) ==
	    -1 && strstr(why, "needs no encoding") != NULL,
	    "a needless %%XX is refused (%s)", why);
	tap_ok(audit_parse(LINE(HDR "  msg=a" MAC), &r, why, sizeof why) ==
	    -1 && audit_parse(LINE(HDR " msg=a " MAC), &r, why, sizeof why) ==
	    -1, "two spaces are refused");
	tap_ok(audit_parse(LINE("dkaudit1 seq=07 ts=2025-08-18T14:30:22."
	    "000123Z host=h env= user=root uid=0 pid=1 prog=p type=t" MAC),
	    &r, why, sizeof why) == -1 && strcmp(why, "bad seq") == 0,
	    "a seq with a leading zero is refused");
	tap_ok(audit_parse(LINE("dkaudit1 seq=7 host=h ts=2025-08-18T14:30:"
	    "22.000123Z env= user=root uid=0 pid=1 prog=p type=t" MAC),
	    &r, why, sizeof why) == -1 && strcmp(why, "field 2 is not ts=") ==
	    0, "header fields out of order are refused (%s)", why);
	tap_ok(audit_parse(LINE(HDR " seq=1" MAC), &r, why, sizeof why) == -1 &&
	    audit_parse(LINE(HDR " Msg=1" MAC), &r, why, sizeof why) == -1 &&
	    audit_parse(LINE(HDR " mac=1" MAC), &r, why, sizeof why) == -1,
	    "a header key, an upper-case key, a second mac are refused");
	tap_ok(audit_parse(HDR MAC, sizeof(HDR MAC) - 2, &r, why,
	    sizeof why) == -1 && strcmp(why, "no newline at the end") == 0,
	    "a line without newline is refused");

	/* --- create and append --- */
	strcpy(dir, "/tmp/lib-audit.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(log, sizeof log, "%s/audit.log", dir);
	f[0] = (struct audit_field){ "pub", "PUB", 3 };
	tap_ok(audit_create(log, k0, id, f, 1) == 0, "create");
	errno = 0;
	tap_ok(audit_create(log, k0, id, f, 1) == -1 && errno == EEXIST,
	    "create again fails with EEXIST");
	snprintf(path, sizeof path, "%s.state", log);
	tap_ok(state_of(path, &st) == 0 && st.seq == 1 && st.slot == 0,
	    "the state says seq 1, slot 0");
	{
		struct stat sb;

		tap_ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600 &&
		    stat(log, &sb) == 0 && (sb.st_mode & 07777) == 0600,
		    "log and state are mode 0600");
	}
	tap_ok(audit_open(&a, log) == 0, "open");
	tap_ok(audit_record(&a, "test", (const char *const[]){ "msg",
	    "hello world", "x", "", NULL }) == 0, "a record");
	big = malloc(AUDIT_MAXVALUE + 1);
	for (i = 0; i < AUDIT_MAXVALUE + 1; i++)
		big[i] = (unsigned char)(i * 7);
	f[0] = (struct audit_field){ "blob", big, AUDIT_MAXVALUE };
	tap_ok(audit_recordv(&a, "test", f, 1) == 0,
	    "a record with a 4 MiB value of every byte value");
	f[0].len = AUDIT_MAXVALUE + 1;
	tap_ok(audit_recordv(&a, "test", f, 1) == -1 && errno == EMSGSIZE,
	    "one byte more is EMSGSIZE");
	tap_ok(audit_record(&a, "rotate", NULL) == -1 && errno == EINVAL &&
	    audit_record(&a, "recover", NULL) == -1 && errno == EINVAL &&
	    audit_record(&a, "Test", NULL) == -1 && errno == EINVAL,
	    "reserved and malformed types are EINVAL");
	tap_ok(audit_record(&a, "t", (const char *const[]){ "seq", "1",
	    NULL }) == -1 && errno == EINVAL && audit_record(&a, "t",
	    (const char *const[]){ "a b", "1", NULL }) == -1,
	    "header keys and malformed keys are EINVAL");
	nrec = check_log(log, head, key, &recovered);
	tap_ok(nrec == 3, "3 records, each MAC right with keys from k0 by "
	    "position (%ld)", nrec);
	tap_ok(state_of(path, &st) == 0 && st.seq == 3 &&
	    hash_equal(st.head, head, HASH_LEN) &&
	    hash_equal(st.key, key, HASH_LEN),
	    "the state holds seq 3, the chain head and k_3");
	buf = slurp(log, &len);
	tap_ok(st.size == len, "and the log's size");
	{
		char *l2 = strchr(buf, '\n') + 1, *l3 = strchr(l2, '\n') + 1;

		tap_ok(audit_parse(l3, (size_t)(strchr(l3, '\n') + 1 - l3), &r,
		    why, sizeof why) == 0 && audit_get(&r, "blob", (char *)big,
		    AUDIT_MAXVALUE + 1, &n) == 0 && n == AUDIT_MAXVALUE,
		    "the 4 MiB value reads back");
		for (ok = 1, i = 0; i < AUDIT_MAXVALUE; i++)
			if (big[i] != (unsigned char)(i * 7))
				ok = 0;
		tap_ok(ok, "byte for byte");
		tap_ok(audit_parse(l2, (size_t)(l3 - l2), &r, why,
		    sizeof why) == 0 && audit_get(&r, "x", val, sizeof val,
		    &n) == 0 && n == 0, "an empty value reads back");
	}
	free(buf);

	/* --- the log one record ahead of the state --- */
	save = slurp(path, &savelen);
	tap_ok(audit_record(&a, "test", NULL) == 0, "append");
	spew(path, save, savelen, O_TRUNC);
	audit_close(&a);
	tap_ok(audit_open(&a, log) == 0 && a.rolled == 1 && a.recovered == 0,
	    "a state one record behind is rolled forward at open");
	tap_ok(state_of(path, &st) == 0 && st.seq == 4, "the state says 4");
	free(save);

	/* --- a torn fragment --- */
	buf = slurp(log, &len);
	spew(log, "dkaudit1 seq=4 ts=2025", 22, O_APPEND);
	tap_ok(audit_record(&a, "after", NULL) == 0 && a.recovered == 1 &&
	    a.fragoff == len && a.fraglen == 22,
	    "a torn fragment is recorded with its offset and length");
	free(buf);
	buf = slurp(log, &len);
	{
		char *frag = buf + a.fragoff, *rec = frag + 23, *nl;
		char hex[HASH_HEXLEN + 1];
		unsigned char h[HASH_LEN];

		hash_buf(frag, 22, h);
		hash_hex(h, HASH_LEN, hex);
		nl = strchr(rec, '\n');
		tap_ok(frag[22] == '\n' && audit_parse(rec,
		    (size_t)(nl + 1 - rec), &r, why, sizeof why) == 0 &&
		    r.seq == 4 && r.typelen == 7 &&
		    memcmp(r.type, "recover", 7) == 0,
		    "a newline ends it, then a recover record with seq 4");
		tap_ok(audit_get(&r, "offset", val, sizeof val, NULL) == 0 &&
		    strtoull(val, NULL, 10) == a.fragoff &&
		    audit_get(&r, "length", val, sizeof val, NULL) == 0 &&
		    strcmp(val, "22") == 0 && audit_get(&r, "sha256", val,
		    sizeof val, NULL) == 0 && strcmp(val, hex) == 0,
		    "naming offset, length and SHA-256");
	}
	free(buf);
	nrec = check_log(log, head, key, &recovered);
	tap_ok(nrec == 6 && recovered == 1, "the chain goes on after it");

	/* --- a log that does not continue its state --- */
	buf = slurp(log, &len);
	spew(log, buf, len - 10, O_TRUNC);
	audit_close(&a);
	ok = audit_open(&a, log) == -1 && errno == EBADMSG;
	tap_ok(ok && strstr(audit_strerror(&a), "does not continue its state")
	    != NULL, "a truncated log is refused: %s", audit_strerror(&a));
	audit_close(&a);
	spew(log, buf, len, O_TRUNC);
	free(buf);
	save = slurp(path, &savelen);
	spew(path, "junk", 4, 0);
	spew(path, "\0", 1, O_APPEND);
	{
		int fd = open(path, O_WRONLY);

		pwrite(fd, "x", 1, 4096 + 20);
		close(fd);
	}
	ok = audit_open(&a, log) == -1 && errno == EBADMSG;
	tap_ok(ok && strstr(audit_strerror(&a), "damaged") != NULL,
	    "a state with no valid slot is refused: %s", audit_strerror(&a));
	audit_close(&a);
	spew(path, save, savelen, O_TRUNC);
	free(save);
	tap_ok(audit_open(&a, log) == 0, "the restored state opens again");

	/* --- batches --- */
	tap_ok(audit_begin(&a) == 0, "begin");
	for (ok = 1, i = 0; i < 1000; i++) {
		snprintf(val, sizeof val, "line %zu", i);
		f[0] = (struct audit_field){ "msg", val, strlen(val) };
		if (audit_add(&a, "note", f, 1, &seq) == -1 || seq != 6 + i)
			ok = 0;
	}
	tap_ok(ok && audit_commit(&a) == 0, "1000 records in one batch");
	nrec = check_log(log, head, key, &recovered);
	tap_ok(nrec == 1006 && state_of(path, &st) == 0 && st.seq == 1006 &&
	    hash_equal(st.key, key, HASH_LEN), "all there, the state at 1006");

	/* --- rotation --- */
	save = slurp(path, &savelen);
	tap_ok(audit_begin(&a) == 0 && audit_rotate(&a, rotname,
	    sizeof rotname) == 0 && audit_commit(&a) == 0, "rotate to %s",
	    rotname);
	snprintf(path, sizeof path, "%s/%s", dir, rotname);
	tap_ok(check_log(path, head, key, &recovered) == 1006,
	    "the old log keeps its 1006 records");
	buf = slurp(log, &len);
	tap_ok(audit_parse(buf, len, &r, why, sizeof why) == 0 &&
	    r.seq == 1006 && memcmp(r.type, "rotate", 6) == 0 &&
	    audit_get(&r, "prev", val, sizeof val, NULL) == 0 &&
	    strcmp(val, rotname) == 0 && audit_get(&r, "prevseq", val,
	    sizeof val, NULL) == 0 && strcmp(val, "1005") == 0,
	    "the new one starts with rotate seq 1006 naming it and seq 1005");
	free(buf);
	/* A rotation that died before the state: the next open finds it. */
	snprintf(path, sizeof path, "%s.state", log);
	spew(path, save, savelen, O_TRUNC);
	free(save);
	audit_close(&a);
	tap_ok(audit_open(&a, log) == 0 && a.rolled == 1,
	    "a rotation that died before its state update is taken in");
	/* One that died between its renames: LOG is missing. */
	tap_ok(audit_record(&a, "x", NULL) == 0, "append");
	tap_ok(audit_begin(&a) == 0 && audit_rotate(&a, rotname,
	    sizeof rotname) == 0, "rotate again, and die before the state");
	audit_abort(&a);
	snprintf(path, sizeof path, "%s/.audit.log.Ab3xYz", dir);
	tap_ok(rename(log, path) == 0, "move the new log back to a temporary");
	audit_close(&a);
	tap_ok(audit_open(&a, log) == 0 && access(log, F_OK) == 0 &&
	    a.rolled == 1, "the next open puts it in place and takes it in");
	snprintf(path, sizeof path, "%s.state", log);
	tap_ok(state_of(path, &st) == 0 && st.seq == 1009,
	    "the state says 1009");

	/* --- concurrent writers --- */
	memcpy(&saved, &st, sizeof st);
	for (i = 0; i < NPROC; i++) {
		if ((pid = fork()) == -1)
			return 1;
		if (pid == 0) {
			struct audit c;

			if (audit_open(&c, log) == -1)
				_exit(1);
			for (n = 0; n < NREC; n++) {
				snprintf(val, sizeof val, "%zu %zu", i, n);
				if (audit_record(&c, "c", (const char *const[])
				    { "msg", val, NULL }) == -1)
					_exit(1);
			}
			audit_close(&c);
			_exit(0);
		}
	}
	for (ok = 1, i = 0; i < NPROC; i++)
		if (wait(&status) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			ok = 0;
	tap_ok(ok, "%d processes append %d records each, one at a time",
	    NPROC, NREC);
	tap_ok(state_of(path, &st) == 0 && st.seq == saved.seq + NPROC * NREC,
	    "the state counts all of them");
	buf = slurp(log, &len);
	{
		char *p = buf, *nl;
		int seen[NPROC][NREC], bad = 0;
		unsigned long x, y;
		uint64_t want = 1008;

		memset(seen, 0, sizeof seen);
		for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
			if (audit_parse(p, (size_t)(nl + 1 - p), &r, why,
			    sizeof why) == -1 || r.seq != want++) {
				bad++;
				continue;
			}
			if (audit_get(&r, "msg", val, sizeof val, NULL) == 0 &&
			    sscanf(val, "%lu %lu", &x, &y) == 2 && x < NPROC &&
			    y < NREC)
				seen[x][y]++;
		}
		for (i = 0; i < NPROC; i++)
			for (n = 0; n < NREC; n++)
				if (seen[i][n] != 1)
					bad++;
		tap_ok(bad == 0, "each once, seqs in order, every line whole");
	}
	free(buf);
	audit_close(&a);
	free(big);
	{
		char cmd[128];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
