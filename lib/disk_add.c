/* Adding a disk to a pool.
 *
 * The new disk gets its labels (flagged PENDING) and empty MLD slots
 * first, then one commit adds its record. A crash before that commit
 * leaves a labelled disk whose UUID no MLD names: open ignores it, and a
 * new `disk add` of the same file takes it without --force. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "disk.h"
#include "init.h"
#include "io.h"
#include "label_io.h"
#include "probe.h"
#include "state.h"
#include "units.h"

static bool same_file(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* What is on the new disk: 0 nothing in the way, else refused (unless
 * force) with the reason. A disk of this pool that its MLD does not name
 * (an add or a remove cut short) is nothing in the way. */
static int inspect(struct vctl_pool *p, int fd, const char *file, bool force, struct vctl_err *err)
{
	struct vctl_member m = {.fd = fd};
	vctl_member_read(&m);
	char what[160] = "";
	if (vctl_member_has_label(&m)) {
		char u[37];
		vctl_uuid_fmt(m.label.pool_uuid, u);
		bool ours = !memcmp(m.label.pool_uuid, p->mld.pool.uuid, 16);
		for (uint32_t i = 0; ours && i < p->mld.ndisks; i++)
			if (!memcmp(p->mld.disks[i].uuid, m.label.disk_uuid, 16))
				return vctl_errf(err, -VCTL_E_REFUSED,
						 "%s: holds a copy of disk %u of this pool", file,
						 p->mld.disks[i].index);
		if (!ours)
			snprintf(what, sizeof(what), "is a disk of vctl pool %s", u);
	} else if (m.label_rc[0] == -VCTL_E_VERSION || m.label_rc[1] == -VCTL_E_VERSION) {
		snprintf(what, sizeof(what), "is a vctl disk of a newer format version");
	} else {
		char found[128];
		int r = vctl_probe_foreign(fd, found, sizeof(found));
		if (r < 0)
			return vctl_errf(err, r, "%s: probing: %s", file, strerror(-r));
		if (r == 1)
			snprintf(what, sizeof(what), "holds %s", found);
	}
	if (what[0] && !force)
		return vctl_errf(err, -VCTL_E_REFUSED, "%s: %s (use --force to overwrite it)", file,
				 what);
	return 0;
}

/* The enclosure the disk joins: the named one (made if new), or the only
 * one the pool has. *made: a record to append. */
static int pick_enclosure(struct vctl_pool *p, const char *name, struct vctl_mld_encl *made,
			  bool *is_new, uint32_t *id, struct vctl_err *err)
{
	const struct vctl_mld *m = &p->mld;
	*is_new = false;
	if (!name || !*name) {
		if (m->nencl != 1)
			return vctl_errf(err, -EINVAL,
					 "the pool has %u enclosures: say which one the disk is in with --enclosure",
					 m->nencl);
		*id = m->encl[0].id;
		return 0;
	}
	if (!vctl_name_valid(name))
		return vctl_errf(err, -EINVAL,
				 "--enclosure %s: a name is 1 to 64 of A-Z a-z 0-9 . _ -", name);
	const struct vctl_mld_encl *e = vctl_mld_encl_by_name(m, name);
	if (e) {
		*id = e->id;
		return 0;
	}
	uint32_t next = 0;
	for (uint32_t i = 0; i < m->nencl; i++)
		if (m->encl[i].id >= next)
			next = m->encl[i].id + 1;
	*made = (struct vctl_mld_encl){.id = next};
	snprintf(made->name, sizeof(made->name), "%s", name);
	*id = next;
	*is_new = true;
	return 0;
}

/* The lowest disk index the MLD does not use. */
static int free_index(const struct vctl_pool *p, uint32_t *index, struct vctl_err *err)
{
	for (uint32_t i = 0; i < VCTL_MAX_DISKS; i++)
		if (!vctl_mld_disk_by_index(&p->mld, i)) {
			*index = i;
			return 0;
		}
	return vctl_errf(err, -VCTL_E_REFUSED, "the pool has the most disks it can: %u",
			 VCTL_MAX_DISKS);
}

struct target {
	int fd;
	char *real;   /* the file or device itself */
	char *entry;  /* pool directory + name */
	bool link;    /* symlinked into the pool directory */
	bool blockdev;
	uint64_t size;
	char name[VCTL_DISK_NAME_MAX + 1];
};

static void target_free(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	free(t->real);
	free(t->entry);
}

/* Opens and sizes FILE, and decides its name in the pool directory. */
static int open_target(struct vctl_pool *p, int cwd, const char *file, bool force, struct target *t,
		       struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct stat st, ds;
	if (fstatat(cwd, file, &st, 0) < 0)
		return vctl_errf(err, -errno, "%s: %s", file, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return vctl_errf(err, -EINVAL, "%s: is a directory, not a disk image", file);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vctl_errf(err, -EINVAL, "%s: not a regular file or block device", file);
	t->blockdev = S_ISBLK(st.st_mode);
	if (!t->blockdev && !(st.st_mode & 0222))
		return vctl_errf(err, -EROFS, "%s: is read-only", file);
	/* O_EXCL on a block device fails if it is mounted or held. */
	t->fd = openat(cwd, file, O_RDWR | O_CLOEXEC | (t->blockdev && !force ? O_EXCL : 0));
	if (t->fd < 0) {
		int e = errno;
		if (e == EBUSY)
			return vctl_errf(err, -VCTL_E_REFUSED,
					 "%s: is in use (mounted or held by another program)", file);
		return vctl_errf(err, e == EACCES || e == EPERM ? -EROFS : -e, "%s: %s", file,
				 strerror(e));
	}
	for (uint32_t i = 0; i < p->nmembers; i++) {
		struct stat ms;
		if (fstat(p->members[i].fd, &ms) == 0 && same_file(&st, &ms))
			return vctl_errf(err, -VCTL_E_REFUSED, "%s: is %s of this pool already", file,
					 p->members[i].name);
	}
	if (t->blockdev) {
		if (ioctl(t->fd, BLKGETSIZE64, &t->size) < 0)
			return vctl_errf(err, -errno, "%s: %s", file, strerror(errno));
	} else {
		t->size = (uint64_t)st.st_size;
	}
	uint64_t min = g->quorum_size + (uint64_t)VCTL_MIN_DISK_PSEGS * g->pseg_size;
	if (t->size < min) {
		char a[32], b[32];
		return vctl_errf(err, -EINVAL,
				 "%s: %s is too small for a disk of this pool (at least %s)", file,
				 vctl_fmt_size(t->size, a, sizeof(a)), vctl_fmt_size(min, b, sizeof(b)));
	}
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
	t->real = realpath(proc, NULL);
	if (!t->real)
		return vctl_errf(err, -errno, "%s: %s", file, strerror(errno));
	char *copy = strdup(t->real);
	if (!copy)
		return vctl_errf(err, -ENOMEM, "out of memory");
	snprintf(t->name, sizeof(t->name), "%s", basename(copy));
	char *parent = dirname(copy);
	struct stat ps;
	t->link = !(stat(parent, &ps) == 0 && stat(p->dir, &ds) == 0 && ps.st_dev == ds.st_dev &&
		    ps.st_ino == ds.st_ino);
	free(copy);
	size_t n = strlen(p->dir) + strlen(t->name) + 2;
	if (!(t->entry = malloc(n)))
		return vctl_errf(err, -ENOMEM, "out of memory");
	snprintf(t->entry, n, "%s/%s", p->dir, t->name);
	if (t->link && lstat(t->entry, &ds) == 0)
		return vctl_errf(err, -EEXIST, "%s: the pool directory already has an entry named %s",
				 file, t->name);
	return inspect(p, t->fd, file, force, err);
}

int vctl_disk_add(struct vctl_pool *p, int cwd, const char *file, const char *enclosure, bool force,
		  uint32_t *index, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_mld *m = &p->mld;
	struct target t = {.fd = -1};
	struct vctl_mld_encl ne;
	bool new_encl = false;
	uint32_t encl = 0;
	uint8_t *pused = NULL;
	char *name = NULL;
	vctl_rwlock_wr(&p->lock);
	int r = p->st ? 0 : vctl_errf(err, -VCTL_E_CORRUPT, "the pool's maps could not be loaded");
	if (r == 0)
		r = pick_enclosure(p, enclosure, &ne, &new_encl, &encl, err);
	if (r == 0)
		r = free_index(p, index, err);
	if (r == 0)
		r = open_target(p, cwd, file, force, &t, err);
	struct vctl_mld_disk d = {.index = *index, .encl = encl, .state = VCTL_DISK_ACTIVE,
				  .size = t.size, .pseg_count = vctl_geom_psegs(g, t.size),
				  .added = (uint64_t)time(NULL)};
	vctl_uuid_generate(d.uuid);
	snprintf(d.name, sizeof(d.name), "%s", t.name);
	/* Every allocation before anything is written. */
	if (r == 0) {
		void *a = realloc(p->members, (p->nmembers + 1) * sizeof(*p->members));
		if (a) {
			p->members = a;
			vctl_pool_bind(p); /* the members may have moved */
		}
		void *b = realloc(m->disks, (m->ndisks + 1) * sizeof(*m->disks));
		if (b)
			m->disks = b;
		void *c = realloc(m->encl, (m->nencl + 1) * sizeof(*m->encl));
		if (c)
			m->encl = c;
		pused = calloc((d.pseg_count + 7) / 8 + 1, 1);
		name = strdup(t.name);
		if (!a || !b || !c || !pused || !name)
			r = vctl_errf(err, -ENOMEM, "out of memory");
	}
	/* Stale MLD copies of an earlier pool must not outlive it; then the
	 * labels, pending until the commit names the disk. */
	for (int s = 0; r == 0 && s < 2; s++)
		if ((r = vctl_io_zero(t.fd, vctl_mld_slot_offset(g, s), 4096)) < 0)
			vctl_errf(err, r, "%s: %s", file, strerror(-r));
	struct vctl_label l;
	vctl_label_for_disk(m, &d, 1, VCTL_LABEL_F_PENDING, &l);
	if (new_encl)
		snprintf(l.enclosure, sizeof(l.enclosure), "%s", ne.name);
	for (uint32_t c = 0; r == 0 && c < 2; c++)
		if ((r = vctl_label_write(t.fd, &l, c, err)) < 0)
			vctl_err_wrap(err, "%s", file);
	if (r == 0 && t.link && symlink(t.real, t.entry) < 0)
		r = vctl_errf(err, -errno, "%s: %s", t.entry, strerror(errno));
	if (r == 0) {
		if (new_encl)
			m->encl[m->nencl++] = ne;
		/* in index order, as init writes them */
		uint32_t at = m->ndisks;
		while (at > 0 && m->disks[at - 1].index > d.index)
			at--;
		memmove(&m->disks[at + 1], &m->disks[at], (m->ndisks - at) * sizeof(d));
		m->disks[at] = d;
		m->ndisks++;
		struct vctl_member *mb = &p->members[p->nmembers++];
		*mb = (struct vctl_member){.name = name, .path = t.entry, .fd = t.fd, .writable = true,
					   .size = t.size, .in_mld = true};
		vctl_member_read(mb);
		name = t.entry = NULL;
		t.fd = -1;
		vctl_pool_bind(p);
		p->st->pused[d.index] = pused;
		p->st->npused[d.index] = 0;
		pused = NULL;
		r = vctl_pool_commit(p, err);
	}
	free(pused);
	free(name);
	target_free(&t);
	vctl_rwlock_unlock(&p->lock);
	return r;
}
