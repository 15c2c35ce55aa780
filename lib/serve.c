/* Volumes as NBD exports. Each call goes through the locked lib API: reads
 * and most writes share the pool lock; allocation, trims and commits take
 * it alone. A volume deleted or shrunk under a client makes that client's
 * requests fail; nobody else notices.
 *
 * With a gate (lib/gate.h) a client other than an administrator sees and
 * opens only what its host's paths grant, and each request passes its
 * path first: refused once the path is gone or, for writes, read-only;
 * throttled by the path's domain; counted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/rsd.h"
#include "gate.h"
#include "nbd_proto.h"
#include "serve.h"
#include "units.h"
#include "volume.h"

struct export {
	struct vctl_pool *p;
	uint64_t id;
	struct vctl_grant *grant; /* a path's, or the administrators' (no gate: NULL) */
	char description[128];
};

static void describe(const struct vctl_volume_info *vi, char *buf, size_t size)
{
	char s[32];
	snprintf(buf, size, "vctl volume %s: %s raid%u, %s", vi->name,
		 vctl_fmt_size(vi->size, s, sizeof(s)), vctl_raid_level(vi->raid),
		 vi->thick ? "thick" : "thin");
}

static int list(void *opaque, const struct vctl_nbd_peer *peer, vctl_nbd_emit_export_fn emit,
		void *ctx, struct vctl_err *err)
{
	(void)err;
	struct vctl_pool *p = opaque;
	/* names copied under the lock; emit may block on the client */
	vctl_rwlock_rd(&p->lock);
	uint32_t n = p->mld.nvol, k = 0;
	char (*names)[VCTL_NAME_MAX + 1] = calloc(n ? n : 1, sizeof(*names));
	for (uint32_t i = 0; names && i < n; i++)
		if (vctl_gate_visible(p->gate, peer->uid, peer->gid, p->mld.vols[i].id))
			snprintf(names[k++], sizeof(names[0]), "%s", p->mld.vols[i].name);
	n = k;
	vctl_rwlock_unlock(&p->lock);
	if (!names)
		return -ENOMEM;
	int r = 0;
	for (uint32_t i = 0; i < n && r == 0; i++) {
		struct vctl_volume_info vi;
		char d[128];
		/* a volume deleted since the names were copied is still listed,
		 * without a description; opening it will say it is gone */
		bool found = vctl_volume_info(p, names[i], &vi, NULL) == 0;
		if (found)
			describe(&vi, d, sizeof(d));
		r = emit(ctx, names[i], found ? d : NULL);
	}
	free(names);
	return r;
}

static int open_export(void *opaque, const struct vctl_nbd_peer *peer, const char *name,
		       bool want_write, void **handle, struct vctl_nbd_export_info *info,
		       struct vctl_err *err)
{
	(void)want_write;
	struct vctl_pool *p = opaque;
	struct vctl_volume_info vi;
	struct vctl_grant *grant = NULL;
	bool ro = false;
	bool found = vctl_volume_info(p, name, &vi, NULL) == 0;
	/* The path first: a host learns nothing of volumes it has no path
	 * to, not even whether they exist. */
	int r = vctl_gate_open(p->gate, peer->uid, peer->gid, found ? vi.id : 0, name, &grant, &ro,
			       err);
	if (r < 0)
		return r;
	if (!found) {
		vctl_grant_close(grant);
		return vctl_errf(err, -ENOENT, "no volume named '%s'", name);
	}
	struct export *e = vi.damaged ? NULL : calloc(1, sizeof(*e));
	if (!e) {
		vctl_grant_close(grant);
		if (vi.damaged)
			return vctl_errf(err, -ENOENT, "volume '%s' is unavailable: its map is damaged",
					 name);
		return vctl_errf(err, -ENOMEM, "out of memory");
	}
	e->p = p;
	e->id = vi.id;
	e->grant = grant;
	describe(&vi, e->description, sizeof(e->description));
	memset(info, 0, sizeof(*info));
	info->size = vi.size;
	info->read_only = ro;
	info->can_flush = info->can_trim = info->can_zero = info->can_fast_zero = true;
	info->can_cache = true;
	/* one pool behind every connection: a flush anywhere covers them all */
	info->can_multi_conn = info->can_extents = true;
	info->description = e->description;
	*handle = e;
	return 0;
}

static void close_export(void *handle)
{
	struct export *e = handle;
	vctl_grant_close(e->grant);
	free(e);
}

/* Each request passes its path (grant_begin), then is counted; r passes
 * through. */
#define GATED(e, kind, writes, bytes, call)                                              \
	({                                                                               \
		uint64_t t0_;                                                            \
		int r_ = vctl_grant_begin((e)->grant, (kind), (writes), (bytes), &t0_, err); \
		if (r_ == 0) {                                                           \
			r_ = (call);                                                     \
			vctl_grant_end((e)->grant, (kind), (bytes), r_, t0_);            \
		}                                                                        \
		r_;                                                                      \
	})

static int pread_export(void *h, void *buf, uint32_t len, uint64_t off, struct vctl_err *err)
{
	struct export *e = h;
	return GATED(e, VCTL_IO_READ, false, len, vctl_volume_read(e->p, e->id, buf, len, off, err));
}

static int flush_export(void *h, struct vctl_err *err)
{
	struct export *e = h;
	return GATED(e, VCTL_IO_OTHER, false, 0, vctl_pool_sync(e->p, err));
}

/* A write the pool refuses is one it has no room for: a new RStore it
 * cannot place (while a disk is failed, fewer disks are usable than the
 * volume's layout has members). The client is told ENOSPC, as the man page
 * says, not EIO: its data and the disks are fine. */
static int no_room(int r)
{
	return r == -VCTL_E_REFUSED ? -ENOSPC : r;
}

static int write_fua(struct export *e, const void *buf, uint32_t len, uint64_t off, bool fua,
		     struct vctl_err *err)
{
	int r = no_room(vctl_volume_write(e->p, e->id, buf, len, off, err));
	return r == 0 && fua ? vctl_pool_sync(e->p, err) : r;
}

static int pwrite_export(void *h, const void *buf, uint32_t len, uint64_t off, bool fua,
			 struct vctl_err *err)
{
	struct export *e = h;
	return GATED(e, VCTL_IO_WRITE, true, len, write_fua(e, buf, len, off, fua, err));
}

static int trim_fua(struct export *e, uint64_t len, uint64_t off, bool fua, struct vctl_err *err)
{
	int r = vctl_volume_trim(e->p, e->id, len, off, err);
	return r == 0 && fua ? vctl_pool_sync(e->p, err) : r;
}

static int trim_export(void *h, uint64_t len, uint64_t off, bool fua, struct vctl_err *err)
{
	struct export *e = h;
	return GATED(e, VCTL_IO_OTHER, true, 0, trim_fua(e, len, off, fua, err));
}

static int zero_fua(struct export *e, uint64_t len, uint64_t off, bool may_trim, bool fast,
		    bool fua, struct vctl_err *err)
{
	int r = no_room(vctl_volume_zero(e->p, e->id, len, off, may_trim, fast, err));
	return r == 0 && fua ? vctl_pool_sync(e->p, err) : r;
}

static int zero_export(void *h, uint64_t len, uint64_t off, bool may_trim, bool fast, bool fua,
		       struct vctl_err *err)
{
	struct export *e = h;
	return GATED(e, VCTL_IO_OTHER, true, 0, zero_fua(e, len, off, may_trim, fast, fua, err));
}

/* CACHE is advisory: the data is on the member disks, in their page cache
 * if anywhere; there is nothing to prefetch into. Still, a removed path
 * answers nothing. */
static int cache_export(void *h, uint64_t len, uint64_t off, struct vctl_err *err)
{
	(void)len;
	(void)off;
	struct export *e = h;
	return GATED(e, VCTL_IO_OTHER, false, 0, 0);
}

struct extent_ctx {
	vctl_nbd_emit_extent_fn emit;
	void *ctx;
};

static int one_extent(void *ctx, uint64_t length, bool hole)
{
	struct extent_ctx *x = ctx;
	return x->emit(x->ctx, length, hole ? VCTL_NBD_STATE_HOLE | VCTL_NBD_STATE_ZERO : 0);
}

static int extents_export(void *h, uint64_t len, uint64_t off, vctl_nbd_emit_extent_fn emit,
			  void *ctx, struct vctl_err *err)
{
	struct export *e = h;
	struct extent_ctx x = {emit, ctx};
	return GATED(e, VCTL_IO_OTHER, false, 0,
		     vctl_volume_extents(e->p, e->id, len, off, one_extent, &x, err));
}

const struct vctl_nbd_backend_ops vctl_serve_ops = {
	.list = list,
	.open = open_export,
	.close = close_export,
	.pread = pread_export,
	.pwrite = pwrite_export,
	.flush = flush_export,
	.trim = trim_export,
	.zero = zero_export,
	.cache = cache_export,
	.extents = extents_export,
};
