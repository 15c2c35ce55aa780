#include "raid.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "io.h"

bool vctl_raid_reachable(const struct vctl_pool *p, const struct vctl_rsd *r, unsigned idx)
{
	uint32_t disk = vctl_member_disk(r->m[idx]);
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, disk);
	return d && d->state == VCTL_DISK_ACTIVE && p->by_index[disk];
}

bool vctl_raid_member(const struct vctl_pool *p, const struct vctl_rsd *r, unsigned idx,
		      int *fd, uint64_t *base)
{
	/* a stale member missed writes: never read, never written, until rebuilt */
	if ((r->stale & (1u << idx)) || !vctl_raid_reachable(p, r, idx))
		return false;
	const struct vctl_member *m = p->by_index[vctl_member_disk(r->m[idx])];
	const struct vctl_geom *g = &p->mld.pool.geom;
	*fd = m->fd;
	*base = g->quorum_size + (uint64_t)vctl_member_pseg(r->m[idx]) * g->pseg_size;
	return true;
}

static int missing(const struct vctl_pool *p, const struct vctl_rsd *r, unsigned idx,
		   struct vctl_err *err)
{
	uint32_t disk = vctl_member_disk(r->m[idx]);
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, disk);
	if (vctl_raid_reachable(p, r, idx))
		return vctl_errf(err, -EIO, "member %u (disk %u) is stale and not yet rebuilt",
				 idx, disk);
	return vctl_errf(err, -EIO, "disk %u (%s) %s", disk, d ? d->name : "?",
			 d && d->state == VCTL_DISK_FAILED ? "has failed" : "is missing");
}

void vctl_xor(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t a, b;
		memcpy(&a, dst + i, 8);
		memcpy(&b, src + i, 8);
		a ^= b;
		memcpy(dst + i, &a, 8);
	}
	for (; i < n; i++)
		dst[i] ^= src[i];
}

/* ---- striping and mirroring: raid0, raid1, raid10 ---- */

/* The pieces of [x, x+len) that fall in data column `col`, as an iovec
 * list over buf; they are contiguous on the column's PSEG starting at
 * *poff. Returns the count (0 if the column is untouched). */
static int column_iov(const struct vctl_rsd *r, uint64_t x, size_t len, const void *buf,
		      unsigned col, struct iovec **iov, struct iovec *stack, int nstack,
		      uint64_t *poff)
{
	uint64_t U = r->stripe, W = r->width;
	uint64_t u0 = x / U, u1 = (x + len - 1) / U;
	uint64_t uc = u0 + (col + W - u0 % W) % W;
	if (uc > u1)
		return 0;
	uint64_t n = (u1 - uc) / W + 1;
	*iov = n <= (uint64_t)nstack ? stack : malloc(n * sizeof(**iov));
	if (!*iov)
		return -ENOMEM;
	int k = 0;
	for (uint64_t u = uc; u <= u1; u += W) {
		uint64_t s = u * U > x ? u * U : x;
		uint64_t e = (u + 1) * U < x + len ? (u + 1) * U : x + len;
		if (k == 0)
			*poff = (u / W) * U + (s - u * U);
		(*iov)[k].iov_base = (char *)buf + (s - x);
		(*iov)[k].iov_len = e - s;
		k++;
	}
	return k;
}

static unsigned copies(const struct vctl_rsd *r)
{
	return r->raid == VCTL_RAID0 ? 1 : 2;
}

/* One column's I/O on one member; the iovec list is copied because
 * preadv/pwritev consume it. */
static int member_iov(int fd, const struct iovec *iov, int n, uint64_t off, bool write)
{
	struct iovec stack[64], *c = n <= 64 ? stack : malloc(n * sizeof(*c));
	if (!c)
		return -ENOMEM;
	memcpy(c, iov, n * sizeof(*c));
	int e = write ? vctl_io_pwritev(fd, c, n, off) : vctl_io_preadv(fd, c, n, off);
	if (c != stack)
		free(c);
	return e;
}

/* A read takes the first copy that answers; a write goes to every present
 * copy (a missing half is rebuilt later), and fails if none is present or
 * a present one fails. */
static int striped_io(struct vctl_pool *p, const struct vctl_rsd *r, uint64_t x, void *buf,
		      size_t len, bool write, struct vctl_err *err)
{
	unsigned nc = copies(r);
	for (unsigned col = 0; col < r->width; col++) {
		struct iovec stack[64], *iov;
		uint64_t poff = 0;
		int n = column_iov(r, x, len, buf, col, &iov, stack, 64, &poff);
		if (n < 0)
			return vctl_errf(err, -ENOMEM, "out of memory");
		if (n == 0)
			continue;
		int rc = 0;
		unsigned done = 0;
		for (unsigned c = 0; c < nc; c++) {
			unsigned idx = nc == 1 ? col : 2 * col + c;
			int fd;
			uint64_t base;
			if (!vctl_raid_member(p, r, idx, &fd, &base)) {
				if (!done)
					rc = missing(p, r, idx, err);
				continue;
			}
			int e = member_iov(fd, iov, n, base + poff, write);
			if (e < 0) {
				rc = vctl_errf(err, e, "disk %u: %s", vctl_member_disk(r->m[idx]),
					       strerror(-e));
				if (write)
					break;
				continue;
			}
			done++;
			rc = 0;
			if (!write)
				break;
		}
		if (iov != stack)
			free(iov);
		if (rc < 0 || done == 0)
			return rc < 0 ? rc : vctl_errf(err, -EIO, "no copy available");
	}
	return 0;
}

/* ---- rotating parity: raid5 ---- */

static pthread_mutex_t *row_lock(struct vctl_pool *p, const struct vctl_rsd *r, uint64_t row)
{
	uintptr_t h = ((uintptr_t)r >> 4) * 2654435761u + row;
	return &p->st->stripe_lock[h % VCTL_STRIPE_LOCKS];
}

static int member_rw(struct vctl_pool *p, const struct vctl_rsd *r, unsigned idx, void *buf,
		     size_t n, uint64_t poff, bool write, struct vctl_err *err)
{
	int fd;
	uint64_t base;
	if (!vctl_raid_member(p, r, idx, &fd, &base))
		return missing(p, r, idx, err);
	int e = write ? vctl_io_pwrite(fd, buf, n, base + poff)
		      : (vctl_io_pread(fd, buf, n, base + poff) < 0 ? -EIO : 0);
	if (e < 0)
		return vctl_errf(err, e, "disk %u: %s", vctl_member_disk(r->m[idx]), strerror(-e));
	return 0;
}

/* XOR of member range [poff, poff+n) over every member but `skip` into acc. */
static int xor_others(struct vctl_pool *p, const struct vctl_rsd *r, unsigned skip1,
		      unsigned skip2, uint8_t *acc, uint8_t *tmp, size_t n, uint64_t poff,
		      struct vctl_err *err)
{
	for (unsigned j = 0; j < r->nmembers; j++) {
		if (j == skip1 || j == skip2)
			continue;
		int rc = member_rw(p, r, j, tmp, n, poff, false, err);
		if (rc < 0)
			return rc;
		vctl_xor(acc, tmp, n);
	}
	return 0;
}

static int raid5_read(struct vctl_pool *p, const struct vctl_rsd *r, uint64_t x, uint8_t *buf,
		      size_t len, struct vctl_err *err)
{
	uint64_t U = r->stripe;
	uint8_t *tmp = NULL;
	int rc = 0;
	while (len > 0 && rc == 0) {
		uint64_t u = x / U, within = x % U, row = u / r->width;
		size_t n = len < U - within ? len : (size_t)(U - within);
		unsigned dm = vctl_raid5_data(r, row, (unsigned)(u % r->width));
		uint64_t poff = row * U + within;
		int fd;
		uint64_t base;
		if (vctl_raid_member(p, r, dm, &fd, &base)) {
			rc = member_rw(p, r, dm, buf, n, poff, false, err);
		} else {
			/* reconstruct from the other data columns and the parity */
			if (!tmp && !(tmp = malloc(U)))
				return vctl_errf(err, -ENOMEM, "out of memory");
			memset(buf, 0, n);
			pthread_mutex_t *l = row_lock(p, r, row);
			pthread_mutex_lock(l);
			rc = xor_others(p, r, dm, dm, buf, tmp, n, poff, err);
			pthread_mutex_unlock(l);
			if (rc < 0)
				vctl_err_wrap(err, "cannot rebuild disk %u's data",
					      vctl_member_disk(r->m[dm]));
		}
		x += n;
		buf += n;
		len -= n;
	}
	free(tmp);
	return rc;
}

/* A whole row: parity from the new data, every present member written. */
static int raid5_full_row(struct vctl_pool *p, const struct vctl_rsd *r, uint64_t row,
			  const uint8_t *data, uint8_t *parity, struct vctl_err *err)
{
	uint64_t U = r->stripe;
	memset(parity, 0, U);
	for (unsigned c = 0; c < r->width; c++)
		vctl_xor(parity, data + c * U, U);
	int written = 0;
	for (unsigned c = 0; c <= r->width; c++) {
		unsigned idx = c < r->width ? vctl_raid5_data(r, row, c) : vctl_raid5_parity(r, row);
		const uint8_t *src = c < r->width ? data + c * U : parity;
		int fd;
		uint64_t base;
		if (!vctl_raid_member(p, r, idx, &fd, &base))
			continue;
		int e = vctl_io_pwrite(fd, src, U, base + row * U);
		if (e < 0)
			return vctl_errf(err, e, "disk %u: %s", vctl_member_disk(r->m[idx]),
					 strerror(-e));
		written++;
	}
	return written >= r->width ? 0 : missing(p, r, vctl_raid5_parity(r, row), err);
}

/* Part of one unit: read-modify-write of data and parity, or the degraded
 * variants. */
static int raid5_piece(struct vctl_pool *p, const struct vctl_rsd *r, uint64_t row,
		       unsigned col, uint64_t within, const uint8_t *data, size_t n,
		       uint8_t *t1, uint8_t *t2, struct vctl_err *err)
{
	unsigned dm = vctl_raid5_data(r, row, col), pm = vctl_raid5_parity(r, row);
	uint64_t poff = row * r->stripe + within;
	int fd;
	uint64_t base;
	bool have_d = vctl_raid_member(p, r, dm, &fd, &base);
	bool have_p = vctl_raid_member(p, r, pm, &fd, &base);
	int rc;
	if (have_d && have_p) {
		if ((rc = member_rw(p, r, dm, t1, n, poff, false, err)) < 0 ||
		    (rc = member_rw(p, r, pm, t2, n, poff, false, err)) < 0)
			return rc;
		vctl_xor(t2, t1, n);
		vctl_xor(t2, data, n);
		if ((rc = member_rw(p, r, dm, (void *)data, n, poff, true, err)) < 0)
			return rc;
		return member_rw(p, r, pm, t2, n, poff, true, err);
	}
	if (have_p) {
		/* the data member is gone: parity = new data ^ the other columns */
		memcpy(t2, data, n);
		rc = xor_others(p, r, dm, pm, t2, t1, n, poff, err);
		return rc < 0 ? rc : member_rw(p, r, pm, t2, n, poff, true, err);
	}
	if (have_d)
		return member_rw(p, r, dm, (void *)data, n, poff, true, err);
	return missing(p, r, dm, err);
}

static int raid5_write(struct vctl_pool *p, const struct vctl_rsd *r, uint64_t x,
		       const uint8_t *buf, size_t len, struct vctl_err *err)
{
	uint64_t U = r->stripe, rowbytes = U * r->width;
	uint8_t *t1 = malloc(U), *t2 = malloc(U);
	if (!t1 || !t2) {
		free(t1);
		free(t2);
		return vctl_errf(err, -ENOMEM, "out of memory");
	}
	int rc = 0;
	while (len > 0 && rc == 0) {
		uint64_t row = x / rowbytes, in_row = x % rowbytes;
		size_t n = len < rowbytes - in_row ? len : (size_t)(rowbytes - in_row);
		pthread_mutex_t *l = row_lock(p, r, row);
		pthread_mutex_lock(l);
		if (n == rowbytes) {
			rc = raid5_full_row(p, r, row, buf, t1, err);
		} else {
			for (size_t done = 0; done < n && rc == 0;) {
				uint64_t off = in_row + done;
				unsigned col = (unsigned)(off / U);
				uint64_t within = off % U;
				size_t k = n - done < U - within ? n - done : (size_t)(U - within);
				rc = raid5_piece(p, r, row, col, within, buf + done, k, t1, t2, err);
				done += k;
			}
		}
		pthread_mutex_unlock(l);
		x += n;
		buf += n;
		len -= n;
	}
	free(t1);
	free(t2);
	return rc;
}

int vctl_raid_read(struct vctl_pool *p, const struct vctl_rsd *r, uint64_t x, void *buf,
		   size_t len, struct vctl_err *err)
{
	if (!len)
		return 0;
	if (r->raid == VCTL_RAID5)
		return raid5_read(p, r, x, buf, len, err);
	return striped_io(p, r, x, buf, len, false, err);
}

int vctl_raid_write(struct vctl_pool *p, const struct vctl_rsd *r, uint64_t x,
		    const void *buf, size_t len, struct vctl_err *err)
{
	if (!len)
		return 0;
	p->st->data_dirty = true;
	int rc = r->raid == VCTL_RAID5 ? raid5_write(p, r, x, buf, len, err)
				       : striped_io(p, r, x, (void *)buf, len, true, err);
	if (rc < 0)
		atomic_store(&p->st->write_failed, true);
	return rc;
}
