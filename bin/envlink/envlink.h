/* envlink.h - what the parts of envlink share. */
/* SPDX-License-Identifier: ISC */
#ifndef ENVLINK_H
#define ENVLINK_H

#include <sys/types.h>
#include <sys/stat.h>

#include <limits.h>
#include <stddef.h>

#define RECORD		".envlink"
#define RECORD_LOCK	".envlink.lock"
#define RECORD_TAG	"envlink"
#define RECORD_VERSION	"1"
#define NAME_LEN	64		/* of a layer or environment name */
#define MAXLAYERS	128
#define MAXUP		4096		/* ".." steps before giving up */
#define ESCBUFS		4
#define AUDIT_FIELDS	6		/* fields of a record, at most */

struct layer {
	char	name[NAME_LEN + 1];
	int	shared;
};

struct env {
	char		name[NAME_LEN + 1];
	char		master[PATH_MAX];	/* absolute, symlinks kept */
	int		nlayers;
	struct layer	layer[MAXLAYERS];
};

/* A directory, and where it is: for "is A inside B". */
struct place {
	struct stat	st;
	int		havefs;
	char		fs[PATH_MAX];		/* path on its filesystem */
};

/* What a layer of an environment looks like. */
enum state {
	S_OK,
	S_MISSING,
	S_DANGLING,		/* a symlink that does not resolve */
	S_WRONGLINK,		/* shared: a symlink elsewhere than MASTER/L */
	S_EMPTYDIR,		/* shared: an empty directory, not a link */
	S_NOTLINK,		/* shared: anything else, not a link */
	S_LINKED,		/* isolated: a symlink outside the master */
	S_INTOMASTER,		/* isolated: a symlink into the master */
	S_NOTDIR,		/* isolated: neither directory nor symlink */
	S_INSIDE,		/* isolated: a directory inside the master */
};

struct diag {
	enum state	state;
	mode_t		type;		/* S_IFMT of the entry */
	char		text[PATH_MAX];	/* a symlink's target */
	int		writable;	/* shared: MASTER/L writable by us */
};

struct options {
	int		 dry;
	int		 verbose;
	const char	*layers;
	const char	*name;
};

extern struct options opt;

/* main.c */
void	usage(void) __attribute__((noreturn));

/* util.c */
const char *esc(const char *s);
void	act(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	audit_start(void);
void	audit_change(const char *type, ...) __attribute__((sentinel));
int	audit_failed(void);
const char *abspath(const char *path, const char *name);
int	name_ok(const char *s);
void	strip(const char *path, char *out, size_t size);
void	absolute(const char *path, char *out, size_t size);
int	opendir_of(const char *path, char *dir, char *base, size_t size);
void	beside(char *buf, size_t size, const char *base, const char *suffix);
const char *typename(mode_t type);
void	lock_or_exit(int dirfd, const char *dir, const char *name,
	    const char *label);
void	clean_stale(int dirfd, const char *dirlabel, const char **bases,
	    int nbases);
void	place_of(int fd, const char *path, struct place *p);
int	within(int fd, const char *path, const struct place *top);
int	replace(int dirfd, const char *name, const char *target, mode_t old);

/* record.c */
void	layers_default(struct env *e);
const char *layer_add(struct env *e, char **fields, int nfields);
void	layers_load(const char *path, struct env *e);
char	*record_text(const struct env *e, size_t *len);
int	record_read(int efd, const char *label, struct env *e);
void	record_write(int efd, const char *label, const struct env *e);

/* envdir.c */
int	cmd_init(int argc, char **argv);
int	cmd_check(int argc, char **argv);
int	cmd_repair(int argc, char **argv);

#endif
