#include "pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt/bytes.h"
#include "io.h"
#include "load.h"
#include "resync.h"
#include "state.h"

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", dir, name);
	return s;
}

static uint64_t fd_size(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return 0;
	if (S_ISBLK(st.st_mode)) {
		uint64_t sz = 0;
		if (ioctl(fd, BLKGETSIZE64, &sz) < 0)
			return 0;
		return sz;
	}
	return (uint64_t)st.st_size;
}

bool vctl_member_has_label(const struct vctl_member *m)
{
	return m->label_rc[0] == 0 || m->label_rc[1] == 0;
}

void vctl_member_read(struct vctl_member *m)
{
	static const uint64_t off[2] = {VCTL_LABEL_A_OFFSET, VCTL_LABEL_B_OFFSET};
	uint8_t buf[VCTL_LABEL_SIZE];
	struct vctl_label l[2];
	m->size = fd_size(m->fd);
	for (int c = 0; c < 2; c++) {
		struct vctl_err e = {0};
		long long n = vctl_io_pread(m->fd, buf, sizeof(buf), off[c]);
		if (n < 0)
			m->label_rc[c] = vctl_errf(&e, (int)n, "read: %s", strerror((int)-n));
		else if (n < (long long)sizeof(buf))
			m->label_rc[c] = vctl_errf(&e, -VCTL_E_CORRUPT, "truncated");
		else
			m->label_rc[c] = vctl_label_decode(buf, sizeof(buf), 0, &l[c], &e);
		if (m->label_rc[c] == 0 && l[c].copy != (uint32_t)c)
			m->label_rc[c] = vctl_errf(&e, -VCTL_E_CORRUPT,
						   "label copy %u found where copy %d belongs",
						   l[c].copy, c);
		if (m->label_rc[c] < 0)
			snprintf(m->label_why[c], sizeof(m->label_why[c]), "%s", e.msg);
	}
	/* Two valid copies that disagree on identity are not one disk: trust
	 * the newer one. */
	if (m->label_rc[0] == 0 && m->label_rc[1] == 0 &&
	    (memcmp(l[0].pool_uuid, l[1].pool_uuid, 16) ||
	     memcmp(l[0].disk_uuid, l[1].disk_uuid, 16))) {
		int stale = l[0].label_gen < l[1].label_gen ? 0 : 1;
		m->label_rc[stale] = -VCTL_E_CORRUPT;
		snprintf(m->label_why[stale], sizeof(m->label_why[stale]),
			 "belongs to another disk or pool than the other copy");
	}
	int best = -1;
	for (int c = 0; c < 2; c++)
		if (m->label_rc[c] == 0 && (best < 0 || l[c].label_gen > l[best].label_gen))
			best = c;
	if (best >= 0)
		m->label = l[best];
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Reads and fully decodes one slot. Returns the slot state; on VALID the
 * decoded MLD is in *out. */
static enum vctl_slot_state read_slot(struct vctl_member *m, int s,
				      const uint8_t pool_uuid[16], struct vctl_mld *out,
				      struct vctl_slot_info *si)
{
	const struct vctl_geom *g = &m->label.geom;
	uint64_t at = vctl_mld_slot_offset(g, s);
	uint8_t hdr[VCTL_MLD_HEADER_SIZE];
	long long n = vctl_io_pread(m->fd, hdr, sizeof(hdr), at);
	if (n < 0) {
		snprintf(si->why, sizeof(si->why), "read: %s", strerror((int)-n));
		return VCTL_SLOT_DAMAGED;
	}
	if (n < (long long)sizeof(hdr) || all_zero(hdr, sizeof(hdr)))
		return VCTL_SLOT_EMPTY;
	/* The length field is only trusted as far as the slot reaches; the
	 * decoder then checks everything, crc first. */
	uint32_t len = vctl_get32(hdr + 12);
	if (len < VCTL_MLD_HEADER_SIZE || len > g->mld_slot_size)
		len = VCTL_MLD_HEADER_SIZE;
	uint8_t *buf = malloc(len);
	if (!buf) {
		snprintf(si->why, sizeof(si->why), "out of memory");
		return VCTL_SLOT_DAMAGED;
	}
	struct vctl_err e = {0};
	int r;
	n = vctl_io_pread(m->fd, buf, len, at);
	if (n != (long long)len) {
		r = vctl_errf(&e, -VCTL_E_CORRUPT, "MLD: truncated");
		memset(out, 0, sizeof(*out));
	} else {
		r = vctl_mld_decode(buf, len, 0, out, &e);
	}
	free(buf);
	if (r < 0) {
		vctl_mld_free(out);
		snprintf(si->why, sizeof(si->why), "%s", e.msg);
		return VCTL_SLOT_DAMAGED;
	}
	si->gen = out->generation;
	if (pool_uuid && memcmp(out->pool.uuid, pool_uuid, 16)) {
		vctl_mld_free(out);
		return VCTL_SLOT_FOREIGN;
	}
	return VCTL_SLOT_VALID;
}

void vctl_member_read_slots(struct vctl_member *m, const uint8_t pool_uuid[16],
			    struct vctl_mld *best, bool *have_best)
{
	for (int s = 0; s < 2; s++) {
		struct vctl_slot_info *si = &m->slot[s];
		memset(si, 0, sizeof(*si));
		struct vctl_mld tmp;
		si->state = read_slot(m, s, pool_uuid, &tmp, si);
		if (si->state != VCTL_SLOT_VALID)
			continue;
		if (best && (!*have_best || tmp.generation > best->generation)) {
			if (*have_best)
				vctl_mld_free(best);
			*best = tmp;
			*have_best = true;
		} else {
			vctl_mld_free(&tmp);
		}
	}
}

void vctl_member_free(struct vctl_member *m)
{
	if (m->fd >= 0)
		close(m->fd);
	free(m->name);
	free(m->path);
	m->fd = -1;
	m->name = m->path = NULL;
}

/* Opens every regular file and block device in the directory that carries
 * a vctl label (either copy). */
static int scan_dir(struct vctl_pool *p, char newer[256], struct vctl_err *err)
{
	DIR *d = opendir(p->dir);
	if (!d)
		return vctl_errf(err, -errno, "%s: %s", p->dir, strerror(errno));
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, VCTL_LOCK_NAME))
			continue;
		char *path = join(p->dir, de->d_name);
		if (!path) {
			rc = vctl_errf(err, -ENOMEM, "out of memory");
			break;
		}
		struct stat st;
		if (stat(path, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) ||
		    (S_ISREG(st.st_mode) && st.st_size < VCTL_LABEL_SIZE)) {
			free(path);
			continue;
		}
		bool writable = true;
		int fd = -1;
		if (p->flags & VCTL_OPEN_WRITE)
			fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			writable = false;
			fd = open(path, O_RDONLY | O_CLOEXEC);
		}
		if (fd < 0) {
			free(path);
			continue;
		}
		struct vctl_member m = {.fd = fd, .path = path, .writable = writable};
		vctl_member_read(&m);
		if (!vctl_member_has_label(&m)) {
			/* A disk of a newer vctl must not look like "no pool". */
			for (int c = 0; c < 2 && !newer[0]; c++)
				if (m.label_rc[c] == -VCTL_E_VERSION)
					snprintf(newer, 256, "%s: %s", de->d_name, m.label_why[c]);
			vctl_member_free(&m);
			continue;
		}
		m.name = strdup(de->d_name);
		void *np = realloc(p->members, (p->nmembers + 1) * sizeof(*p->members));
		if (!m.name || !np) {
			vctl_member_free(&m);
			rc = vctl_errf(err, -ENOMEM, "out of memory");
			break;
		}
		p->members = np;
		p->members[p->nmembers++] = m;
	}
	closedir(d);
	return rc;
}

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct vctl_member *)a)->name,
		      ((const struct vctl_member *)b)->name);
}

/* All labelled members must belong to one pool. */
static int one_pool(struct vctl_pool *p, struct vctl_err *err)
{
	if (p->nmembers == 0)
		return vctl_errf(err, -ENOENT, "no vctl pool in %s", p->dir);
	const uint8_t *first = p->members[0].label.pool_uuid;
	for (uint32_t i = 1; i < p->nmembers; i++) {
		const uint8_t *u = p->members[i].label.pool_uuid;
		if (memcmp(u, first, 16)) {
			char a[37], b[37];
			vctl_uuid_fmt(first, a);
			vctl_uuid_fmt(u, b);
			return vctl_errf(err, -VCTL_E_REFUSED,
					 "%s holds disks of two pools: %s (%s) and %s (%s); "
					 "give each pool its own directory",
					 p->dir, a, p->members[0].name, b, p->members[i].name);
		}
	}
	return 0;
}

static int no_mld_error(struct vctl_pool *p, struct vctl_err *err)
{
	bool pending = true;
	for (uint32_t i = 0; i < p->nmembers; i++)
		if (!(p->members[i].label.flags & VCTL_LABEL_F_PENDING))
			pending = false;
	if (pending)
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "the pool in %s was never completed (vctl init was "
				 "interrupted); run vctl init again",
				 p->dir);
	/* One line: the count and the first damaged copy; `vctl dump mld
	 * --disk N --slot S` shows any of them in full. */
	uint32_t damaged = 0;
	const char *first_name = NULL, *first_why = NULL;
	int first_slot = 0;
	for (uint32_t i = 0; i < p->nmembers; i++)
		for (int s = 0; s < 2; s++) {
			const struct vctl_slot_info *si = &p->members[i].slot[s];
			if (si->state != VCTL_SLOT_DAMAGED)
				continue;
			if (!damaged++) {
				first_name = p->members[i].name;
				first_slot = s;
				first_why = si->why;
			}
		}
	if (!damaged)
		return vctl_errf(err, -VCTL_E_CORRUPT, "no valid MLD copy in %s", p->dir);
	return vctl_errf(err, -VCTL_E_CORRUPT,
			 "no valid MLD copy in %s: %u damaged MLD slot%s (%s slot %d: %s)",
			 p->dir, damaged, damaged == 1 ? "" : "s", first_name, first_slot,
			 first_why);
}

void vctl_pool_bind(struct vctl_pool *p)
{
	memset(p->by_index, 0, sizeof(p->by_index));
	for (uint32_t i = 0; i < p->nmembers; i++) {
		struct vctl_member *m = &p->members[i];
		m->in_mld = false;
		for (uint32_t d = 0; d < p->mld.ndisks; d++) {
			const struct vctl_mld_disk *dk = &p->mld.disks[d];
			struct vctl_member **b = &p->by_index[dk->index];
			if (memcmp(dk->uuid, m->label.disk_uuid, 16))
				continue;
			m->in_mld = true;
			/* Two files with one disk's UUID: a copied image. The
			 * first by name is used; check reports it. */
			if (!*b || strcmp(m->name, (*b)->name) < 0)
				*b = m;
		}
	}
}

/* What reading tolerates (and check reports), changing refuses: a second
 * file with one disk's UUID (a copied image: writes would go to one of
 * the two, and the other would go stale behind the user's back), and a
 * disk smaller than it joined with (what lies past its end is gone; with
 * the newer MLD slot cut off, an older generation would be committed
 * over). Found by tests/bad-input.bats. */
static int writable_members(struct vctl_pool *p, struct vctl_err *err)
{
	for (uint32_t i = 0; i < p->nmembers; i++) {
		struct vctl_member *m = &p->members[i];
		const struct vctl_mld_disk *d = NULL;
		for (uint32_t k = 0; k < p->mld.ndisks; k++)
			if (!memcmp(p->mld.disks[k].uuid, m->label.disk_uuid, 16))
				d = &p->mld.disks[k];
		if (!d)
			continue;
		if (p->by_index[d->index] != m)
			return vctl_errf(err, -VCTL_E_REFUSED,
					 "%s and %s are both disk %u (a copied image?); keep one "
					 "of them in %s",
					 p->by_index[d->index]->name, m->name, d->index, p->dir);
		if (d->state == VCTL_DISK_ACTIVE && m->size < d->size)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "%s: is %llu bytes, smaller than the %llu it joined with; "
					 "move it out of %s to go on without it",
					 m->name, (unsigned long long)m->size,
					 (unsigned long long)d->size, p->dir);
	}
	return 0;
}

int vctl_pool_open(const char *dir, unsigned flags, struct vctl_pool **out,
		   struct vctl_err *err)
{
	*out = NULL;
	struct stat st;
	if (stat(dir, &st) < 0)
		return vctl_errf(err, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return vctl_errf(err, -ENOTDIR, "%s: not a directory", dir);

	struct vctl_pool *p = calloc(1, sizeof(*p));
	if (!p || !(p->dir = strdup(dir))) {
		free(p);
		return vctl_errf(err, -ENOMEM, "out of memory");
	}
	p->flags = flags;
	p->lock_fd = -1;
	vctl_rwlock_init(&p->lock);
	int r = 0;
	char newer[256] = "";
	if (!(flags & VCTL_OPEN_NOLOCK))
		r = vctl_lock_pool(dir, flags & VCTL_OPEN_WRITE, &p->lock_fd, err);
	if (r == 0)
		r = scan_dir(p, newer, err);
	if (r == 0 && newer[0])
		r = vctl_errf(err, -VCTL_E_VERSION, "%s (written by a newer vctl?)", newer);
	if (r == 0)
		r = one_pool(p, err);
	if (r < 0) {
		vctl_pool_close(p);
		return r;
	}
	qsort(p->members, p->nmembers, sizeof(*p->members), cmp_member);

	const uint8_t *uuid = p->members[0].label.pool_uuid;
	for (uint32_t i = 0; i < p->nmembers; i++)
		vctl_member_read_slots(&p->members[i], uuid, &p->mld, &p->have_mld);
	if (!p->have_mld && !(flags & VCTL_OPEN_FORENSIC)) {
		r = no_mld_error(p, err);
		vctl_pool_close(p);
		return r;
	}
	if (p->have_mld) {
		vctl_pool_bind(p);
		if ((flags & VCTL_OPEN_WRITE) && (r = writable_members(p, err)) < 0) {
			vctl_pool_close(p);
			return r;
		}
		p->slotbuf = malloc(p->mld.pool.geom.mld_slot_size);
		if (!p->slotbuf) {
			vctl_pool_close(p);
			return vctl_errf(err, -ENOMEM, "out of memory");
		}
		struct vctl_err lerr = {0};
		r = vctl_state_load(p, &lerr);
		if (r < 0) {
			/* A forensic open goes on without maps, and says why. */
			if (!(flags & VCTL_OPEN_FORENSIC)) {
				vctl_errf(err, r, "%s", lerr.msg);
				vctl_pool_close(p);
				return r;
			}
			snprintf(p->load_error, sizeof(p->load_error), "%s", lerr.msg);
			vctl_state_free(p);
		}
		/* An open for writing repairs redundancy before anything else
		 * writes, the way md resyncs at assembly. */
		if (p->st && (flags & VCTL_OPEN_WRITE) && vctl_pool_needs_resync(p) &&
		    (r = vctl_pool_resync(p, err)) < 0) {
			vctl_err_wrap(err, "resyncing redundant RStores");
			vctl_pool_close(p);
			return r;
		}
	}
	*out = p;
	return 0;
}

void vctl_pool_close(struct vctl_pool *p)
{
	if (!p)
		return;
	/* A clean close: when nothing is left uncommitted (a failed command
	 * leaves changes that must never be committed), the DIRTY mark this
	 * open set comes off. Otherwise (or when a data write failed part
	 * way) it stays, and the next open resyncs: safe either way. */
	if (p->st && p->st->marked_dirty && !p->broken && (p->flags & VCTL_OPEN_WRITE) &&
	    !vctl_state_pending(p) && !atomic_load(&p->st->write_failed)) {
		struct vctl_err e = {0};
		p->mld.pool.flags &= ~VCTL_POOL_DIRTY;
		if (vctl_pool_commit(p, &e) < 0)
			p->mld.pool.flags |= VCTL_POOL_DIRTY;
	}
	vctl_pool_forget(p);
}

void vctl_pool_forget(struct vctl_pool *p)
{
	if (!p)
		return;
	vctl_state_free(p);
	for (uint32_t i = 0; i < p->nmembers; i++)
		vctl_member_free(&p->members[i]);
	free(p->members);
	vctl_mld_free(&p->mld);
	vctl_unlock_pool(p->lock_fd);
	free(p->slotbuf);
	free(p->dir);
	vctl_rwlock_destroy(&p->lock);
	free(p);
}

struct vctl_mld_disk *vctl_pool_disk(struct vctl_pool *p, uint32_t index)
{
	return vctl_mld_disk_by_index(&p->mld, index);
}

bool vctl_pool_disk_present(const struct vctl_pool *p, uint32_t index)
{
	return index < VCTL_MAX_DISKS && p->by_index[index] != NULL;
}

const char *vctl_pool_disk_state(const struct vctl_pool *p, uint32_t index)
{
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, index);
	if (!d)
		return "unknown";
	if (d->state == VCTL_DISK_FAILED)
		return "failed";
	if (!vctl_pool_disk_present(p, index))
		return "missing";
	return "active";
}

uint32_t vctl_pool_missing(const struct vctl_pool *p)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++)
		if (p->mld.disks[i].state == VCTL_DISK_ACTIVE &&
		    !vctl_pool_disk_present(p, p->mld.disks[i].index))
			n++;
	return n;
}

uint32_t vctl_pool_failed(const struct vctl_pool *p)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++)
		n += p->mld.disks[i].state == VCTL_DISK_FAILED;
	return n;
}

uint64_t vctl_pool_disk_used(const struct vctl_pool *p, uint32_t index)
{
	if (!p->st || index >= VCTL_MAX_DISKS)
		return 0;
	return p->st->npused[index] * p->mld.pool.geom.pseg_size;
}

uint64_t vctl_pool_reserved_psegs(const struct vctl_pool *p)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < p->mld.nvol; i++)
		n += p->mld.vols[i].reserve;
	return n;
}

uint64_t vctl_pool_free_bytes(const struct vctl_pool *p)
{
	uint64_t free_bytes = 0, reserved = vctl_pool_reserved_psegs(p) * p->mld.pool.geom.pseg_size;
	for (uint32_t i = 0; i < p->mld.ndisks; i++) {
		const struct vctl_mld_disk *d = &p->mld.disks[i];
		/* present, not writable: what a read-only open sees */
		if (d->state != VCTL_DISK_ACTIVE || !vctl_pool_disk_present(p, d->index) ||
		    vctl_disk_leaving(p, d->index))
			continue;
		free_bytes += d->pseg_count * p->mld.pool.geom.pseg_size -
			      vctl_pool_disk_used(p, d->index);
	}
	/* what snapshots set aside is not free for anything else */
	return free_bytes > reserved ? free_bytes - reserved : 0;
}
