#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "label_io.h"
#include "pool.h"
#include "probe.h"
#include "units.h"

#define DEFAULT_ENCL "e0"

uint32_t vctl_default_quorum(uint32_t ndisks)
{
	return ndisks < 5 ? ndisks : 5;
}

void vctl_uuid_generate(uint8_t u[16])
{
	size_t got = 0;
	while (got < 16) {
		ssize_t n = getrandom(u + got, 16 - got, 0);
		if (n > 0)
			got += (size_t)n;
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* RFC 4122 version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
}

static void free_targets(struct vctl_init_target *t, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (t[i].fd >= 0)
			close(t[i].fd);
		free(t[i].given);
		free(t[i].real);
	}
	free(t);
}

void vctl_init_result_free(struct vctl_init_result *res)
{
	vctl_mld_free(&res->mld);
	free_targets(res->targets, res->ntargets);
	res->targets = NULL;
	res->ntargets = 0;
}

static int same_dir(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	int same = ra && rb && !strcmp(ra, rb);
	free(ra);
	free(rb);
	return same;
}

/* Resolves one target: where it is, what it is, whether it is usable. */
static int resolve(const char *dir, struct vctl_init_target *t, uint64_t min_size,
		   uint64_t create_size, bool dir_exists, struct vctl_err *err)
{
	struct stat st;
	if (stat(t->given, &st) < 0) {
		if (errno == ENOENT && create_size) {
			t->create = true;
			t->size = create_size;
			t->real = strdup(t->given);
			return t->real ? 0 : vctl_errf(err, -ENOMEM, "out of memory");
		}
		return vctl_errf(err, -errno, "%s: %s", t->given, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return vctl_errf(err, -EINVAL, "%s: is a directory, not a disk image", t->given);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vctl_errf(err, -EINVAL, "%s: not a regular file or block device",
				 t->given);
	t->blockdev = S_ISBLK(st.st_mode);
	t->real = realpath(t->given, NULL);
	if (!t->real)
		return vctl_errf(err, -errno, "%s: %s", t->given, strerror(errno));
	/* root may write anything; a file nobody may write is still a "no". */
	if (!t->blockdev && !(st.st_mode & 0222))
		return vctl_errf(err, -EROFS, "%s: is read-only", t->given);
	t->size = create_size && !t->blockdev ? create_size : (uint64_t)st.st_size;
	if (t->blockdev) {
		int fd = open(t->real, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || ioctl(fd, BLKGETSIZE64, &t->size) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return vctl_errf(err, -e, "%s: %s", t->given, strerror(e));
		}
		close(fd);
	}
	if (!create_size && t->size < min_size) {
		char a[32], b[32];
		return vctl_errf(err, -EINVAL,
				 "%s: %s is too small for a pool disk (at least %s with this "
				 "PSEG size)",
				 t->given, vctl_fmt_size(t->size, a, sizeof(a)),
				 vctl_fmt_size(min_size, b, sizeof(b)));
	}
	if (!create_size) {
		char *copy = strdup(t->real);
		if (!copy)
			return vctl_errf(err, -ENOMEM, "out of memory");
		char *parent = dirname(copy);
		t->link = !dir_exists || !same_dir(parent, dir);
		free(copy);
	}
	return 0;
}

/* Our own label first (libblkid does not know it), then libblkid. */
static int inspect(struct vctl_init_target *t, bool *pending_only, uint8_t pool[16])
{
	struct vctl_member m = {.fd = t->fd};
	vctl_member_read(&m);
	if (vctl_member_has_label(&m)) {
		memcpy(pool, m.label.pool_uuid, 16);
		*pending_only = m.label.flags & VCTL_LABEL_F_PENDING;
		char u[37];
		vctl_uuid_fmt(m.label.pool_uuid, u);
		snprintf(t->found, sizeof(t->found), "is a disk of vctl pool %s", u);
		return 1;
	}
	if (m.label_rc[0] == -VCTL_E_VERSION || m.label_rc[1] == -VCTL_E_VERSION) {
		snprintf(t->found, sizeof(t->found), "is a vctl disk of a newer format version");
		return 1;
	}
	char what[128];
	int r = vctl_probe_foreign(t->fd, what, sizeof(what));
	if (r == 1)
		snprintf(t->found, sizeof(t->found), "holds %s", what);
	return r;
}

/* Whether a file has any data: a file that is all holes loses nothing. */
static bool has_data(int fd)
{
	off_t d = lseek(fd, 0, SEEK_DATA);
	return !(d < 0 && errno == ENXIO);
}

/* What a power cut in the middle of an init's first label write leaves in
 * a file it created: holes or zeros, and label blocks that start with
 * vctl's label magic but do not decode (a torn write; the caller found no
 * valid label). Nothing there to lose. Reads at most 64 MiB of data. */
static bool only_torn_labels(int fd)
{
	uint8_t buf[VCTL_LABEL_SIZE];
	uint64_t budget = 64ull << 20;
	off_t pos = 0;
	for (;;) {
		off_t d = lseek(fd, pos, SEEK_DATA);
		if (d < 0)
			return errno == ENXIO;
		off_t h = lseek(fd, d, SEEK_HOLE);
		if (h < 0)
			return false;
		for (off_t at = d & ~(off_t)(VCTL_LABEL_SIZE - 1); at < h; at += VCTL_LABEL_SIZE) {
			if (budget < VCTL_LABEL_SIZE)
				return false;
			budget -= VCTL_LABEL_SIZE;
			long long n = vctl_io_pread(fd, buf, sizeof(buf), (uint64_t)at);
			if (n < 0)
				return false;
			memset(buf + n, 0, sizeof(buf) - (size_t)n);
			if ((at == VCTL_LABEL_A_OFFSET || at == VCTL_LABEL_B_OFFSET) &&
			    !memcmp(buf, VCTL_LABEL_MAGIC, strlen(VCTL_LABEL_MAGIC)))
				continue;
			for (size_t i = 0; i < sizeof(buf); i++)
				if (buf[i])
					return false;
		}
		pos = h;
	}
}

/* Does some target carry a valid MLD of this pool? Then the pool is real,
 * even if this disk's own label says an init never finished. */
static bool pool_committed(struct vctl_init_target *t, uint32_t n, const uint8_t pool[16])
{
	for (uint32_t i = 0; i < n; i++) {
		if (t[i].fd < 0)
			continue;
		struct vctl_member m = {.fd = t[i].fd};
		vctl_member_read(&m);
		if (!vctl_member_has_label(&m) || memcmp(m.label.pool_uuid, pool, 16))
			continue;
		struct vctl_mld best;
		bool have = false;
		vctl_member_read_slots(&m, pool, &best, &have);
		if (have) {
			vctl_mld_free(&best);
			return true;
		}
	}
	return false;
}

/* Refuses when the pool directory already holds labelled disks that this
 * init would not overwrite: the directory would then hold two pools. */
static int check_dir_alone(const char *dir, struct vctl_init_target *t, uint32_t n,
			   struct vctl_err *err)
{
	struct vctl_pool *p = NULL;
	struct vctl_err e = {0};
	if (vctl_pool_open(dir, VCTL_OPEN_FORENSIC | VCTL_OPEN_NOLOCK, &p, &e) < 0)
		return 0; /* nothing (or nothing coherent) there to protect */
	int r = 0;
	for (uint32_t i = 0; i < p->nmembers && r == 0; i++) {
		struct stat a;
		if (stat(p->members[i].path, &a) < 0)
			continue;
		bool ours = false;
		for (uint32_t j = 0; j < n; j++) {
			struct stat b;
			if (t[j].real && stat(t[j].real, &b) == 0 && a.st_dev == b.st_dev &&
			    a.st_ino == b.st_ino)
				ours = true;
		}
		if (!ours) {
			char u[37];
			vctl_uuid_fmt(p->members[i].label.pool_uuid, u);
			r = vctl_errf(err, -VCTL_E_REFUSED,
				      "%s already holds %s, a disk of pool %s that this "
				      "init would not overwrite",
				      dir, p->members[i].name, u);
		}
	}
	vctl_pool_close(p);
	return r;
}

static int same_disk(const struct vctl_init_target *a, const struct vctl_init_target *b)
{
	struct stat x, y;
	if (a->create || b->create)
		return !strcmp(a->real, b->real);
	if (stat(a->real, &x) < 0 || stat(b->real, &y) < 0)
		return 0;
	if (S_ISBLK(x.st_mode) && S_ISBLK(y.st_mode))
		return x.st_rdev == y.st_rdev;
	return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static int plan_targets(const char *dir, const struct vctl_init_opts *o,
			const struct vctl_geom *g, bool dir_exists,
			struct vctl_init_result *res, struct vctl_err *err)
{
	uint32_t n = o->ndisks ? o->ndisks : o->ntargets;
	res->targets = calloc(n, sizeof(*res->targets));
	if (!res->targets)
		return vctl_errf(err, -ENOMEM, "out of memory");
	res->ntargets = n;
	uint64_t min_size = g->quorum_size + (uint64_t)VCTL_MIN_DISK_PSEGS * g->pseg_size;
	for (uint32_t i = 0; i < n; i++) {
		struct vctl_init_target *t = &res->targets[i];
		t->fd = -1;
		t->index = i;
		if (o->ndisks) {
			snprintf(t->name, sizeof(t->name), "disk%u.img", i);
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", dir, t->name);
			t->given = strdup(path);
			snprintf(t->enclosure, sizeof(t->enclosure), "e%u", i % o->nencl);
		} else {
			t->given = strdup(o->targets[i].given);
			snprintf(t->enclosure, sizeof(t->enclosure), "%s",
				 o->targets[i].enclosure[0] ? o->targets[i].enclosure
							    : DEFAULT_ENCL);
		}
		if (!t->given)
			return vctl_errf(err, -ENOMEM, "out of memory");
		int r = resolve(dir, t, min_size, o->ndisks ? o->disk_size : 0, dir_exists,
				err);
		if (r < 0)
			return r;
		if (!o->ndisks) {
			char *copy = strdup(t->given);
			if (!copy)
				return vctl_errf(err, -ENOMEM, "out of memory");
			snprintf(t->name, sizeof(t->name), "%s", basename(copy));
			free(copy);
		}
		for (uint32_t j = 0; j < i; j++) {
			if (same_disk(&res->targets[j], t))
				return vctl_errf(err, -EINVAL, "%s and %s are the same disk",
						 res->targets[j].given, t->given);
			if (!strcmp(res->targets[j].name, t->name))
				return vctl_errf(err, -EINVAL,
						 "%s and %s would both be named %s in the pool "
						 "directory",
						 res->targets[j].given, t->given, t->name);
		}
		if (t->link && dir_exists) {
			char path[4096];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", dir, t->name);
			if (lstat(path, &st) == 0)
				return vctl_errf(err, -EEXIST,
						 "%s: the pool directory already has an entry "
						 "named %s",
						 t->given, t->name);
		}
	}
	return 0;
}

static int open_and_inspect(const struct vctl_init_opts *o, struct vctl_init_result *res,
			    struct vctl_err *err)
{
	for (uint32_t i = 0; i < res->ntargets; i++) {
		struct vctl_init_target *t = &res->targets[i];
		if (t->create)
			continue;
		/* O_EXCL on a block device fails if it is mounted or held. */
		int flags = O_RDWR | O_CLOEXEC | (t->blockdev && !o->force ? O_EXCL : 0);
		t->fd = open(t->real, flags);
		if (t->fd < 0) {
			int e = errno;
			if (e == EBUSY)
				return vctl_errf(err, -VCTL_E_REFUSED,
						 "%s: is in use (mounted or held by another "
						 "program)",
						 t->given);
			return vctl_errf(err, e == EACCES || e == EPERM ? -EROFS : -e,
					 "%s: %s", t->given, strerror(e));
		}
	}
	for (uint32_t i = 0; i < res->ntargets; i++) {
		struct vctl_init_target *t = &res->targets[i];
		if (t->create)
			continue;
		bool pending = false;
		uint8_t pool[16];
		int r = inspect(t, &pending, pool);
		if (r < 0)
			return vctl_errf(err, r, "%s: probing: %s", t->given, strerror(-r));
		/* --disks names files it means to create: one already there is
		 * somebody's, even when libblkid recognises nothing in it, unless
		 * it holds no data at all (what an interrupted init leaves) or
		 * only a torn label (what a power cut during one leaves). */
		if (r == 0 && o->ndisks && has_data(t->fd) && !only_torn_labels(t->fd)) {
			snprintf(t->found, sizeof(t->found), "already exists");
			r = 2;
		}
		if (r == 0)
			continue;
		/* An init that was interrupted before its first MLD commit left
		 * only pending labels: finishing it again loses nothing. */
		if (r == 1 && pending && !pool_committed(res->targets, res->ntargets, pool)) {
			t->found[0] = '\0';
			continue;
		}
		if (!o->force)
			return vctl_errf(err, -VCTL_E_REFUSED, "%s: %s (use --force to overwrite it)",
					 t->given, t->found);
		res->overwritten++;
	}
	return 0;
}

static void build_mld(const struct vctl_init_opts *o, const struct vctl_geom *g,
		      struct vctl_init_result *res)
{
	struct vctl_mld *m = &res->mld;
	uint64_t now = (uint64_t)time(NULL);
	m->version = 1;
	m->generation = 0;
	vctl_uuid_generate(m->pool.uuid);
	m->pool.created = now;
	m->pool.geom = *g;
	m->pool.next_id = 1;
	m->encl = calloc(res->ntargets, sizeof(*m->encl));
	m->disks = calloc(res->ntargets, sizeof(*m->disks));
	for (uint32_t i = 0; i < res->ntargets; i++) {
		struct vctl_init_target *t = &res->targets[i];
		const struct vctl_mld_encl *e = vctl_mld_encl_by_name(m, t->enclosure);
		if (!e) {
			struct vctl_mld_encl *ne = &m->encl[m->nencl];
			ne->id = m->nencl;
			snprintf(ne->name, sizeof(ne->name), "%s", t->enclosure);
			m->nencl++;
			e = ne;
		}
		struct vctl_mld_disk *d = &m->disks[m->ndisks++];
		d->index = t->index;
		d->encl = e->id;
		d->state = VCTL_DISK_ACTIVE;
		vctl_uuid_generate(d->uuid);
		d->size = t->size;
		d->pseg_count = vctl_geom_psegs(g, t->size);
		d->added = now;
		snprintf(d->name, sizeof(d->name), "%s", t->name);
	}
	/* Quorum disks round robin over enclosures, so losing one enclosure
	 * still leaves a copy whenever there are two. */
	uint32_t want = o->quorum ? o->quorum : vctl_default_quorum(m->ndisks);
	m->pool.quorum_target = want;
	uint32_t got = 0;
	while (got < want) {
		bool progress = false;
		for (uint32_t e = 0; e < m->nencl && got < want; e++) {
			for (uint32_t i = 0; i < m->ndisks; i++) {
				struct vctl_mld_disk *d = &m->disks[i];
				if (d->encl != e || (d->flags & VCTL_DISK_F_QUORUM))
					continue;
				d->flags |= VCTL_DISK_F_QUORUM;
				res->targets[i].quorum = true;
				got++;
				progress = true;
				break;
			}
		}
		if (!progress)
			break;
	}
}

static int create_files(const char *dir, struct vctl_init_result *res,
			struct vctl_err *err)
{
	for (uint32_t i = 0; i < res->ntargets; i++) {
		struct vctl_init_target *t = &res->targets[i];
		if (t->create) {
			t->fd = open(t->real, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
			if (t->fd < 0)
				return vctl_errf(err, -errno, "%s: %s", t->given,
						 strerror(errno));
		}
		if (!t->blockdev && ftruncate(t->fd, (off_t)t->size) < 0)
			return vctl_errf(err, -errno, "%s: %s", t->given, strerror(errno));
		if (t->link) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", dir, t->name);
			if (symlink(t->real, path) < 0)
				return vctl_errf(err, -errno, "%s: %s", path, strerror(errno));
		}
	}
	return 0;
}

/* The write sequence. The commit point is MLD generation 1: before it, only
 * labels flagged PENDING exist, which a new init may overwrite; after it the
 * pool opens, and the next commit clears the flag if we die before doing so. */
static int write_pool(struct vctl_init_result *res, uint8_t *slotbuf,
		      struct vctl_err *err)
{
	struct vctl_mld *m = &res->mld;
	const struct vctl_geom *g = &m->pool.geom;
	int r;
	for (uint32_t i = 0; i < res->ntargets; i++) {
		struct vctl_init_target *t = &res->targets[i];
		struct vctl_label l;
		vctl_label_for_disk(m, &m->disks[i], 1, VCTL_LABEL_F_PENDING, &l);
		/* Stale MLD copies of an earlier pool must not outlive it. Holes,
		 * not written zeros: a file of holes is what a new init may reuse. */
		for (int s = 0; s < 2; s++) {
			r = vctl_io_zero(t->fd, vctl_mld_slot_offset(g, s), 4096);
			if (r < 0)
				return vctl_errf(err, r, "%s: %s", t->given, strerror(-r));
		}
		for (uint32_t c = 0; c < 2; c++)
			if ((r = vctl_label_write(t->fd, &l, c, err)) < 0)
				return vctl_err_wrap(err, "%s", t->given);
	}
	m->generation = 1;
	m->timestamp = (uint64_t)time(NULL);
	size_t len;
	r = vctl_mld_encode(m, slotbuf, g->mld_slot_size, &len, err);
	if (r < 0)
		return r;
	size_t wlen = (len + 4095) & ~(size_t)4095;
	for (uint32_t i = 0; i < res->ntargets; i++) {
		struct vctl_init_target *t = &res->targets[i];
		if (!t->quorum)
			continue;
		r = vctl_io_pwrite(t->fd, slotbuf, wlen, vctl_mld_slot_offset(g, 1));
		if (r == 0)
			r = vctl_io_flush(t->fd);
		if (r < 0)
			return vctl_errf(err, r, "%s: writing the MLD: %s", t->given,
					 strerror(-r));
	}
	for (uint32_t i = 0; i < res->ntargets; i++) {
		struct vctl_init_target *t = &res->targets[i];
		struct vctl_label l;
		vctl_label_for_disk(m, &m->disks[i], 2, 0, &l);
		for (uint32_t c = 0; c < 2; c++)
			if ((r = vctl_label_write(t->fd, &l, c, err)) < 0)
				return vctl_err_wrap(err, "%s", t->given);
	}
	return 0;
}

int vctl_pool_init(const char *dir, const struct vctl_init_opts *o,
		   struct vctl_init_result *res, struct vctl_err *err)
{
	memset(res, 0, sizeof(*res));
	if (!o->ndisks == !o->ntargets)
		return vctl_errf(err, -EINVAL, "give either --disks N or disk files");
	uint32_t n = o->ndisks ? o->ndisks : o->ntargets;
	if (n > VCTL_MAX_DISKS)
		return vctl_errf(err, -EINVAL, "%u disks is more than the limit of %u", n,
				 VCTL_MAX_DISKS);
	if (o->ndisks && (o->nencl == 0 || o->nencl > o->ndisks))
		return vctl_errf(err, -EINVAL,
				 "--enclosures %u must be between 1 and the number of disks",
				 o->nencl);
	if (o->quorum > n)
		return vctl_errf(err, -EINVAL, "--quorum %u is more than the %u disks",
				 o->quorum, n);

	struct vctl_geom g;
	vctl_geom_default(&g);
	if (o->pseg_size)
		g.pseg_size = o->pseg_size;
	if (o->rseg_size)
		g.rseg_size = o->rseg_size;
	if (o->lmap_entries)
		g.lmap_entries = o->lmap_entries;
	if (o->mld_slot_size)
		g.mld_slot_size = o->mld_slot_size;
	int r = vctl_geom_finish(&g, err);
	if (r < 0)
		return r;
	if (o->ndisks) {
		uint64_t min = g.quorum_size + (uint64_t)VCTL_MIN_DISK_PSEGS * g.pseg_size;
		char a[32], b[32];
		if (o->disk_size < min)
			return vctl_errf(err, -EINVAL,
					 "--disk-size %s is too small (at least %s with this "
					 "PSEG size)",
					 vctl_fmt_size(o->disk_size, a, sizeof(a)),
					 vctl_fmt_size(min, b, sizeof(b)));
		if (o->disk_size % 4096)
			return vctl_errf(err, -EINVAL,
					 "--disk-size must be a multiple of 4 KiB");
	}

	struct stat st;
	bool dir_exists = stat(dir, &st) == 0, made_dir = false;
	if (dir_exists && !S_ISDIR(st.st_mode))
		return vctl_errf(err, -ENOTDIR, "%s: not a directory", dir);
	if (!dir_exists && !o->no_act) {
		if (mkdir(dir, 0755) < 0)
			return vctl_errf(err, -errno, "%s: %s", dir, strerror(errno));
		dir_exists = made_dir = true;
	}
	int lock_fd = -1;
	if (dir_exists && !o->no_act) {
		r = vctl_lock_pool(dir, true, &lock_fd, err);
		if (r < 0)
			return r;
	}
	uint8_t *slotbuf = NULL;
	bool touched = false; /* files or links made: a failure leaves them */
	r = plan_targets(dir, o, &g, dir_exists, res, err);
	if (r == 0 && dir_exists)
		r = check_dir_alone(dir, res->targets, res->ntargets, err);
	if (r == 0)
		r = open_and_inspect(o, res, err);
	if (r == 0)
		build_mld(o, &g, res);
	if (r == 0 && (!res->mld.disks || !res->mld.encl))
		r = vctl_errf(err, -ENOMEM, "out of memory");
	if (r == 0 && !o->no_act) {
		touched = true;
		slotbuf = malloc(g.mld_slot_size);
		r = slotbuf ? create_files(dir, res, err)
			    : vctl_errf(err, -ENOMEM, "out of memory");
		if (r == 0)
			r = write_pool(res, slotbuf, err);
	}
	free(slotbuf);
	/* A refusal leaves no trace: not even the directory it made. */
	if (r < 0 && made_dir && !touched) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, VCTL_LOCK_NAME);
		unlink(path);
		rmdir(dir);
	}
	vctl_unlock_pool(lock_fd);
	return r;
}
