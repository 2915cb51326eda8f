/* verify.c - snapback verify: rehash snapshots on every processor. */
/* SPDX-License-Identifier: ISC */
#define _GNU_SOURCE

#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/hash.h"
#include "lib/manifest.h"
#include "lib/walk.h"
#include "bin/snapback/snapback.h"

enum { V_OK, V_MISMATCH, V_MISSING, V_UNREADABLE, V_OUTSIDE };

static const char *const vwords[] = {
	"ok", "mismatch", "missing", "unreadable", "outside the snapshot"
};

struct vjob {
	int		 dirfd;
	const struct manifest *m;
	unsigned char	*result;
	size_t		 next;		/* taken atomically */
	unsigned long long bytes;	/* summed atomically */
};

static unsigned char
check_one(int dirfd, const struct manifest_entry *me, uint64_t *bytes)
{
	unsigned char hash[HASH_LEN];
	struct stat st;
	int fd, r;

	if ((fd = walk_open(dirfd, me->path, O_RDONLY | O_NOCTTY | O_NONBLOCK)) == -1)
		return errno == ENOENT ? V_MISSING : V_UNREADABLE;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		r = V_UNREADABLE;
	else if (hash_fd(fd, hash, bytes) == -1)
		r = V_UNREADABLE;
	else
		r = hash_equal(hash, me->hash, HASH_LEN) ? V_OK : V_MISMATCH;
	close(fd);
	return r;
}

static void *
vworker(void *arg)
{
	struct vjob *j = arg;
	uint64_t bytes;
	size_t i;

	while ((i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED)) <
	    j->m->n) {
		if (j->result[i] != V_OK)
			continue;
		bytes = 0;
		j->result[i] = check_one(j->dirfd, &j->m->v[i], &bytes);
		__atomic_fetch_add(&j->bytes, bytes, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Whether a manifest path belongs to snapshot name. */
static int
inside(const char *name, const char *path, int isdir)
{
	size_t n = strlen(name);
	const char *p;

	if (!isdir)
		return strcmp(path, name) == 0;
	if (strncmp(path, name, n) != 0 || path[n] != '/')
		return 0;
	for (p = path + n; p != NULL; p = strchr(p + 1, '/'))
		if (p[1] == '/' || p[1] == '\0' ||
		    (p[1] == '.' && (p[2] == '/' || p[2] == '\0')) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
			return 0;
	return 1;
}

/*
 * Rehash every file of snapshot name with as many threads as there are
 * processors, report each problem as "NAME: PATH: what" on stdout, and
 * return the number of problems (-1 when the manifest is unusable).
 */
long
verify_one(const struct snapdir *b, const char *name)
{
	char man[NAME_MAX + 1];
	struct manifest m;
	struct vjob j;
	pthread_attr_t attr;
	pthread_t tid[8];
	long nproc, nthr = 0, t, bad = 0;
	size_t i, n = strlen(name);

	manifest_init(&m);
	if (snapdir_manifest(man, name) == -1 || manifest_load(&m, b->fd, man) == -1) {
		if (errno == EINVAL)
			warnx("%s/%s: line %lu: malformed", opt.dir, man,
			    m.badline);
		else
			warn("%s/%s", opt.dir, man);
		manifest_free(&m);
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.dirfd = b->fd;
	j.m = &m;
	if ((j.result = calloc(m.n ? m.n : 1, 1)) == NULL)
		err(EXIT_FAIL, NULL);
	for (i = 0; i < m.n; i++)
		if (!inside(name, m.v[i].path, b->isdir))
			j.result[i] = V_OUTSIDE;
	(void)hash_sha256();	/* chosen once, before the threads race */
	nproc = sysconf(_SC_NPROCESSORS_ONLN);
	if (nproc > 8)
		nproc = 8;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 20);
	for (t = 1; t < nproc && (size_t)t < m.n; t++)
		if (pthread_create(&tid[nthr], &attr, vworker, &j) == 0)
			nthr++;
	vworker(&j);
	for (t = 0; t < nthr; t++)
		pthread_join(tid[t], NULL);
	pthread_attr_destroy(&attr);
	for (i = 0; i < m.n; i++) {
		if (j.result[i] == V_OK)
			continue;
		bad++;
		printf("%s: ", name);
		if (!b->isdir || j.result[i] == V_OUTSIDE)
			putesc(stdout, m.v[i].path);
		else
			putesc(stdout, m.v[i].path + n + 1);
		printf(": %s\n", vwords[j.result[i]]);
	}
	if (opt.verbose)
		fprintf(stderr, "%s: %zu files, %llu bytes, %s\n", name, m.n,
		    j.bytes, bad ? "damaged" : "ok");
	free(j.result);
	manifest_free(&m);
	return bad;
}

int
cmd_verify(int argc, char **argv)
{
	const char *which = argc > 0 ? argv[0] : "latest";
	struct snapdir b;
	long bad = 0;
	size_t i;

	if (argc > 1)
		usage();
	open_bdir(&b, 0);
	kind_from_snapshots(&b);
	if (strcmp(which, "all") == 0) {
		for (i = 0; i < b.nsnap; i++) {
			if (!snapdir_complete(&b, b.snap[i]))
				continue;
			if (verify_one(&b, b.snap[i]) != 0)
				bad++;
		}
		if (b.nsnap == 0)
			errx(EXIT_FAIL, "%s: no snapshots", opt.dir);
	} else if (verify_one(&b, resolve(&b, which)) != 0)
		bad++;
	err_flush();
	return bad ? EXIT_FAIL : EXIT_OK;
}

