/* lib-snapdir.c - unit tests for lib/snapdir: names, scans, removal. */
/* SPDX-License-Identifier: ISC */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/snapdir.h"
#include "lib/walk.h"
#include "tests/tap.h"

static char root[256];

static void
put(const char *name, const char *content)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(content, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(1);
	}
}

static int
exists(const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return lstat(path, &st) == 0;
}

static void
mk(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if (mkdir(path, 0700) == -1) {
		perror(path);
		exit(1);
	}
}

static int nremoved;

static void
count(const char *name, int err, void *arg)
{
	(void)name;
	(void)arg;
	if (err == 0)
		nremoved++;
}

int
main(void)
{
	struct snapdir d;
	const char *tmp = getenv("TMPDIR");
	char buf[NAME_MAX + 1];
	time_t t;

	tap_plan(32);
	snprintf(root, sizeof(root), "%s/lib-snapdir.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror(root);
		return 1;
	}

	errno = 0;
	tap_ok(snapdir_open(&d, "/nonexistent/dir") == -1 && errno == ENOENT,
	    "a missing directory: ENOENT");
	tap_ok(snapdir_open(&d, root) == 0 && d.source[0] == '\0',
	    "a directory without record opens with an empty source");
	snapdir_close(&d);
	put(".snapback", "relative/path\n");
	errno = 0;
	tap_ok(snapdir_open(&d, root) == -1 && errno == EINVAL,
	    "a relative recorded source is malformed");
	put(".snapback", "/srv/data/simulation.duckdb\n");
	tap_ok(snapdir_open(&d, root) == 0, "a good record opens");
	tap_same(d.source, "/srv/data/simulation.duckdb", "the source is read");

	d.isdir = 0;
	tap_ok(snapdir_names(&d) == 0, "names of a file source");
	tap_same(d.stem, "simulation", "the stem is the name before the dot");
	tap_same(d.ext, ".duckdb", "the extension is kept");
	tap_same(d.latest, "latest.duckdb", "latest carries the extension");
	tap_ok(snapdir_is_snapshot(&d, "simulation_20250818_143022.duckdb",
	    &t) && t == 1755527422, "a snapshot name and its UTC time");
	tap_ok(!snapdir_is_snapshot(&d, "simulation_20250832_143022.duckdb",
	    NULL), "an impossible date is no snapshot name");
	tap_ok(!snapdir_is_snapshot(&d, "simulation_20250818_143022.db", NULL),
	    "another extension is no snapshot name");
	tap_ok(!snapdir_is_snapshot(&d, "other_20250818_143022.duckdb", NULL),
	    "another stem is no snapshot name");
	tap_ok(snapdir_manifest(buf, "simulation_20250818_143022.duckdb") == 0 &&
	    strcmp(buf, "simulation_20250818_143022.duckdb.sha256") == 0,
	    "the manifest's name");

	/* Two complete snapshots, one incomplete, leftovers of ours, and
	 * things that only look like leftovers. */
	put("simulation_20250101_000000.duckdb", "a");
	put("simulation_20250101_000000.duckdb.sha256", "");
	put("simulation_20250102_000000.duckdb", "b");
	put("simulation_20250102_000000.duckdb.sha256", "");
	put("simulation_20250103_000000.duckdb", "c");
	mk(".simulation_20250104_000000.duckdb.Ab3dE9");
	put(".simulation_20250102_000000.duckdb.sha256.zzzzzz", "");
	put(".latest.duckdb.Q1w2E3", "");
	put("..snapback.abcdef", "");
	put(".notes.backup", "the user's");
	put(".bashrc.saved1", "the user's");
	put("unrelated.txt", "the user's");
	nremoved = 0;
	tap_ok(snapdir_scan(&d, 0, count, NULL) == 0 && d.nsnap == 3 &&
	    nremoved == 0, "a scan without cleaning lists three and removes none");
	tap_ok(snapdir_scan(&d, 1, count, NULL) == 0 && d.nsnap == 2,
	    "a cleaning scan lists the two complete snapshots");
	tap_ok(nremoved == 5, "and removes five leftovers (got %d)", nremoved);
	tap_ok(!exists("simulation_20250103_000000.duckdb"),
	    "the snapshot without manifest is gone");
	tap_ok(!exists(".simulation_20250104_000000.duckdb.Ab3dE9") &&
	    !exists(".simulation_20250102_000000.duckdb.sha256.zzzzzz") &&
	    !exists(".latest.duckdb.Q1w2E3") && !exists("..snapback.abcdef"),
	    "our temporaries are gone");
	tap_ok(exists(".notes.backup") && exists(".bashrc.saved1") &&
	    exists("unrelated.txt"),
	    "a user's dot-names shaped like temporaries are left alone");
	tap_same(d.snap[0], "simulation_20250101_000000.duckdb",
	    "the list is oldest first");
	tap_same(snapdir_newest(&d), "simulation_20250102_000000.duckdb",
	    "the newest complete snapshot");

	symlinkat("simulation_20250101_000000.duckdb", d.fd, "latest.duckdb");
	snapdir_latest(&d, buf, sizeof(buf));
	tap_same(buf, "simulation_20250101_000000.duckdb",
	    "latest is read as a plain name");
	unlinkat(d.fd, "latest.duckdb", 0);
	symlinkat("../elsewhere", d.fd, "latest.duckdb");
	snapdir_latest(&d, buf, sizeof(buf));
	tap_same(buf, "", "a latest pointing out of the directory is ignored");

	tap_ok(snapdir_remove(&d, "simulation_20250101_000000.duckdb") == 0,
	    "remove a snapshot");
	tap_ok(!exists("simulation_20250101_000000.duckdb") &&
	    !exists("simulation_20250101_000000.duckdb.sha256"),
	    "its data and manifest are gone");
	tap_ok(snapdir_scan(&d, 0, NULL, NULL) == 0 && d.nsnap == 1,
	    "one snapshot is left");

	/* A tree source: no extension, kind learned from the snapshots. */
	put(".snapback", "/srv/data/gold.v2\n");
	tap_ok(snapdir_record(&d) == 0, "the record is read again");
	mk("gold.v2_20250101_000000");
	put("gold.v2_20250101_000000.sha256", "");
	tap_ok(snapdir_kind(&d) == 0 && d.isdir == 1,
	    "the kind comes from the snapshots when the source is gone");
	tap_ok(strcmp(d.stem, "gold.v2") == 0 && d.ext[0] == '\0' &&
	    strcmp(d.latest, "latest") == 0,
	    "a tree's stem keeps its dots, no extension");
	tap_ok(d.nsnap == 1 && strcmp(d.snap[0], "gold.v2_20250101_000000") == 0,
	    "the tree snapshot is listed");
	snapdir_close(&d);
	tap_ok(d.snap == NULL && d.fd == -1, "close frees and closes");

	walk_remove(AT_FDCWD, root, 0);
	return tap_done();
}
