/* Volumes: create, delete, resize, rename, describe, and byte-granular
 * read and write. Every call that changes the pool commits before it
 * returns; a refusal changes nothing. */
#ifndef VCTL_LIB_VOLUME_H
#define VCTL_LIB_VOLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt/rsd.h"
#include "pool.h"

struct vctl_volume_spec {
	const char *name;
	uint64_t size;
	uint8_t raid;    /* enum vctl_raid; 0 = raid0 */
	uint32_t width;  /* 0 = the default for the RAID type and pool */
	uint32_t stripe; /* 0 = 64 KiB (or the PSEG size if smaller) */
	bool thick;
	bool separate;   /* intent: mirror halves / RAID5 members in distinct enclosures */
	/* intent: the bandwidth (MB/s) and transaction rate (IOPS) it must
	 * sustain; 0 = not stated. Either one places it on arrays (see
	 * lib/array.h) chosen by fit (enum vctl_fit; 0 = best). */
	uint64_t mbps, iops;
	uint32_t fit;
};

#define VCTL_DEFAULT_STRIPE (64u * 1024)

struct vctl_volume_info {
	uint64_t id;
	char name[VCTL_NAME_MAX + 1];
	uint64_t size, created;
	uint8_t raid;
	uint32_t width, stripe;
	bool thick;
	bool separate;      /* its intent: --separate enclosure */
	/* its requirement (intent) and the arrays it is placed on; nreq_arrays
	 * 0 = none */
	uint64_t req_mbps, req_iops;
	uint32_t req_fit, nreq_arrays;
	const char *req_arrays[VCTL_REQ_MAX_ARRAYS];
	bool invalid;       /* a snapshot whose data could not be kept (no space) */
	const char *origin; /* name, or NULL */
	const char *pred, *succ; /* neighbours in its sharing chain, or NULL */
	uint64_t allocated; /* bytes of address space mapped to its own RStores */
	uint64_t shared;    /* bytes it reads that another volume reads too */
	uint64_t exclusive; /* bytes of its own that nobody else reads */
	uint64_t reserved;  /* bytes set aside for its copies on first write */
	uint64_t rstores;   /* RStores it references */
	uint64_t map_bytes; /* in-memory map: L2MAP, LMAPs, RSDs */
	uint64_t rstore_bytes;
	const char *damaged; /* why its map could not be loaded; NULL = healthy */
	uint32_t stale;      /* RStores with a member that missed writes */
	uint64_t restripe_job; /* its restripe job, 0 = none */
	struct vctl_rsd_layout restripe_from; /* the layout it moves away from */
	uint64_t restripe_cursor, restripe_total; /* RSEGs visited, of all */
};

int vctl_volume_create(struct vctl_pool *p, const struct vctl_volume_spec *s,
		       struct vctl_err *err);
int vctl_volume_delete(struct vctl_pool *p, const char *name, struct vctl_err *err);
int vctl_volume_resize(struct vctl_pool *p, const char *name, uint64_t size, bool force,
		       struct vctl_err *err);
int vctl_volume_rename(struct vctl_pool *p, const char *from, const char *to,
		       struct vctl_err *err);
int vctl_volume_info(const struct vctl_pool *p, const char *name, struct vctl_volume_info *out,
		     struct vctl_err *err);

/* Byte-granular I/O. Reads of unallocated space return zeros; a write
 * allocates what it touches (and the caller commits). */
int vctl_volume_read(struct vctl_pool *p, uint64_t id, void *buf, size_t len, uint64_t off,
		     struct vctl_err *err);
int vctl_volume_write(struct vctl_pool *p, uint64_t id, const void *buf, size_t len,
		      uint64_t off, struct vctl_err *err);
/* Looks a volume up by name: its id, or -ENOENT with a message. */
int vctl_volume_find(const struct vctl_pool *p, const char *name, uint64_t *id,
		     struct vctl_err *err);

/* One mapped extent of a volume, for dump map: a run of RSEGs that point at
 * the same RSD with the same share bits. */
struct vctl_map_run {
	uint64_t first_rseg, nrsegs;
	uint32_t entry; /* 0 = unallocated */
};
/* Calls fn for each run, in order, unallocated runs included. */
int vctl_volume_map_walk(const struct vctl_pool *p, uint64_t id,
			 int (*fn)(void *ctx, const struct vctl_map_run *run), void *ctx);

/* For the NBD server. trim: whole RSEGs of a thin volume go back to the
 * pool (a thick one keeps its space). zero: whole RSEGs of a thin volume
 * become holes when may_trim, the rest is written with zeros; fast refuses
 * with -ENOTSUP what would need writing. extents: runs from off, each a
 * hole (unallocated, reads as zeros) or not; emit returns nonzero to stop. */
int vctl_volume_trim(struct vctl_pool *p, uint64_t id, uint64_t len, uint64_t off,
		     struct vctl_err *err);
int vctl_volume_zero(struct vctl_pool *p, uint64_t id, uint64_t len, uint64_t off,
		     bool may_trim, bool fast, struct vctl_err *err);
int vctl_volume_extents(struct vctl_pool *p, uint64_t id, uint64_t len, uint64_t off,
			int (*emit)(void *ctx, uint64_t length, bool hole), void *ctx,
			struct vctl_err *err);
/* Makes every answered write durable: a commit if maps changed, else a
 * flush of every disk. */
int vctl_pool_sync(struct vctl_pool *p, struct vctl_err *err);

/* RSDs and LMAP blocks as dump shows them. */
struct vctl_rsd_info {
	uint32_t id;
	uint8_t raid, width, nmembers, rss;
	uint32_t stripe;
	uint32_t refs;
	uint32_t disk[VCTL_RSD_MAX_MEMBERS], pseg[VCTL_RSD_MAX_MEMBERS];
};
int vctl_rsd_describe(const struct vctl_pool *p, uint32_t id, struct vctl_rsd_info *out);
/* Calls fn for each LMAP of the volume that exists: its number, the
 * metadata block holding it (0 = not yet committed), its used entries. */
int vctl_volume_lmap_walk(const struct vctl_pool *p, uint64_t id,
			  int (*fn)(void *ctx, uint32_t index, uint64_t block, uint32_t used),
			  void *ctx);

#endif
