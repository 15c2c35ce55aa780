/* The in-memory state of an open pool beyond the MLD: the RSD table, each
 * volume's map, the metadata space and PSEG usage. Internal to lib/. */
#ifndef VCTL_LIB_STATE_H
#define VCTL_LIB_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fmt/mblock.h"
#include "fmt/mld.h"
#include "pool.h"

/* One RStore descriptor. Members are vctl_member()-packed. */
struct vctl_rsd {
	uint8_t raid, width, nmembers, rss;
	uint32_t stripe;
	uint32_t refs;  /* LMAP entries of all volumes that point here */
	uint16_t stale; /* members that missed writes: bit k = member k */
	uint16_t pad;
	uint32_t m[];
};

/* LMAP entries live in chunks allocated on demand, so a thin volume costs
 * memory in proportion to what is written, not to its size. */
#define VCTL_CHUNK 256u

struct vctl_lmap {
	uint64_t addr; /* metadata block holding it; 0 = not yet written */
	bool dirty;
	uint32_t used; /* nonzero entries */
	uint32_t *chunk[]; /* lmap_entries / VCTL_CHUNK (rounded up) */
};

struct vctl_vmap {
	uint64_t vol_id;
	uint32_t nlmaps;
	uint32_t *l2;    /* [nlmaps]: 1 + index into lmaps, 0 = none */
	uint32_t nlm;    /* LMAP objects allocated */
	struct vctl_lmap **lmaps;
	bool l2_dirty;   /* an LMAP address changed: the L2 blocks must be rewritten */
	uint32_t ndirty; /* LMAPs the next commit writes */
	char *damaged;   /* why the map could not be loaded whole; NULL = healthy */
};

struct vctl_state {
	/* RSD table, by id; NULL = free id */
	struct vctl_rsd **rsd;
	uint32_t nrsd;           /* table length (ids 0 .. nrsd-1) */
	uint32_t rsd_free_hint;
	uint64_t *rsd_block_addr; /* per RSD block of the table */
	uint8_t *rsd_block_dirty;
	uint32_t nrsd_blocks, rsd_blocks_cap;
	uint32_t ndirty_rsd_blocks; /* RSD blocks the next commit writes */
	bool dirs_dirty;

	/* maps, in the order of mld.vols */
	struct vctl_vmap **vmaps;
	uint32_t nvmaps;
	uint32_t ndamaged; /* volumes whose maps are damaged */

	/* metadata space: one bit per block, set = in use by the last commit or
	 * by this one */
	uint8_t *mused;
	uint64_t nmblocks;
	uint64_t mfree;           /* blocks free now */
	uint64_t *mfree_pending; /* freed by this transaction: free after commit */
	uint32_t nmfree, mfree_cap;
	uint64_t mhint;

	/* RStore slots let go of since the last commit, which may still
	 * point at them: not reused before it (lib/share.c) */
	struct vctl_slot {
		uint32_t rsd;
		uint64_t rseg;
	} *slot_freed;
	uint32_t nslot_freed, slot_freed_cap;
	bool slot_reuse_off; /* out of memory recording one: no reuse until the commit */

	/* PSEG usage per disk index */
	uint8_t *pused[VCTL_MAX_DISKS];
	uint64_t npused[VCTL_MAX_DISKS];
	uint32_t *pfree_pending; /* packed members freed by this transaction */
	uint32_t npfree, pfree_cap;

	atomic_uint_least64_t io_seq; /* client reads and writes so far: background
					 jobs give way to them */
	atomic_bool data_dirty;  /* data written since the last flush (set by
				    writers holding the pool lock to read) */
	bool meta_dirty;         /* metadata blocks written since the last flush */
	atomic_bool write_failed; /* a data write failed part way: mirrors or
				     parity may be out of step until a resync */
	bool marked_dirty;       /* this open set VCTL_POOL_DIRTY: a clean close clears it */
	bool sp_cleared;         /* a successor lost an Sp bit since the last commit:
				    no in-place write before the next one */
	/* RAID5 rows under read-modify-write, hashed */
#define VCTL_STRIPE_LOCKS 256
	pthread_mutex_t stripe_lock[VCTL_STRIPE_LOCKS];
	uint8_t *mbuf;           /* scratch: one metadata block */
};

static inline bool bit_get(const uint8_t *b, uint64_t i)
{
	return b[i >> 3] & (1u << (i & 7));
}
static inline void bit_set(uint8_t *b, uint64_t i)
{
	b[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static inline void bit_clr(uint8_t *b, uint64_t i)
{
	b[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

/* lib/space.c: PSEGs */
enum vctl_spread {
	VCTL_SPREAD_NONE,  /* least used disks */
	VCTL_SPREAD_PAIRS, /* members 2k and 2k+1 in different enclosures if possible */
	VCTL_SPREAD_ALL,   /* every member in its own enclosure if possible */
};
int vctl_space_init(struct vctl_pool *p, struct vctl_err *err);
int vctl_space_claim(struct vctl_pool *p, uint32_t disk, uint32_t pseg, const char *what,
		     struct vctl_err *err);
void vctl_space_release(struct vctl_pool *p, uint32_t member); /* pending until commit */
void vctl_space_commit_done(struct vctl_pool *p);
uint64_t vctl_space_free_psegs(const struct vctl_pool *p, uint32_t disk);
/* Chooses n PSEGs on n distinct usable disks, least used (by fraction of
 * capacity) first, preferring distinct enclosures for pairs. Fills
 * members[]. -ENOSPC with a message naming the shortfall. */
int vctl_space_alloc(struct vctl_pool *p, unsigned n, enum vctl_spread spread,
		     uint32_t *members, struct vctl_err *err);
/* The same, saying which redundancy storage set the members came from.
 * strict: the spread is an intent, not a preference: -VCTL_E_REFUSED
 * naming the member that has no compliant PSEG. may_miss: a redundant
 * layout, which may be born one member short while a disk is failed or
 * missing (that member, the last, is on such a disk, for the caller to
 * mark stale). */
/* only: the requirement of the volume (NULL: none): its PSEGs go on disks
 * of its arrays alone, spread evenly over them. */
int vctl_space_alloc_rss(struct vctl_pool *p, unsigned n, enum vctl_spread spread, bool strict,
			 bool may_miss, const struct vctl_mld_req *only, uint32_t *members,
			 uint8_t *rss, struct vctl_err *err);
/* One PSEG to take the place of a member: on a usable disk none of
 * `exclude` (members) is on, the least used, outside the enclosures in
 * `avoid` (required when strict, else preferred). -VCTL_E_REFUSED naming
 * the enclosure when strict and only those have room. */
/* req: the requirement of the RStore's volume (NULL: none): only disks of
 * its arrays, always. */
int vctl_space_alloc_one(struct vctl_pool *p, const struct vctl_mld_req *req,
			 const uint32_t *exclude, unsigned nexclude, const uint32_t *avoid,
			 unsigned navoid, bool strict, uint32_t *member, struct vctl_err *err);
/* How a volume's RStores spread over enclosures, and whether that is its
 * intent (--separate enclosure) or a preference. */
enum vctl_spread vctl_volume_spread(const struct vctl_mld_volume *v, bool *strict);
/* Zeroes the PSEGs of new RStores before anything points at them. */
int vctl_space_zero(struct vctl_pool *p, const uint32_t *members, unsigned n,
		    struct vctl_err *err);
bool vctl_disk_usable(const struct vctl_pool *p, uint32_t disk);
/* Being emptied by an evacuate job (vctl disk remove). */
bool vctl_disk_leaving(const struct vctl_pool *p, uint32_t disk);
/* Usable, and not leaving: new PSEGs may be placed on it. */
bool vctl_disk_allocatable(const struct vctl_pool *p, uint32_t disk);
/* The same, on `disk` only (leveling chooses the disk, the allocator
 * whether the member may go there). */
int vctl_space_alloc_on(struct vctl_pool *p, uint32_t disk, const struct vctl_mld_req *req,
			const uint32_t *exclude, unsigned nexclude, const uint32_t *avoid,
			unsigned navoid, bool strict, uint32_t *member, struct vctl_err *err);
unsigned vctl_usable_disks(const struct vctl_pool *p);
/* Enclosures holding a usable disk. */
unsigned vctl_usable_enclosures(const struct vctl_pool *p);
/* Refuses a layout the pool cannot place as the volume's intent asks:
 * too few usable disks, or (--separate enclosure) enclosures. */
int vctl_intent_fits(const struct vctl_pool *p, const struct vctl_rsd_layout *l, bool separate,
		     struct vctl_err *err);

/* lib/meta.c: the metadata space */
int vctl_meta_init(struct vctl_pool *p, struct vctl_err *err);
int vctl_meta_read(struct vctl_pool *p, uint64_t addr, uint16_t type, uint8_t *buf,
		   struct vctl_mblock_hdr *h, struct vctl_err *err);
/* Writes buf (sealed here with type/owner/index/count) to a newly
 * allocated block; returns its address in *addr. */
int vctl_meta_write_new(struct vctl_pool *p, uint8_t *buf, struct vctl_mblock_hdr *h,
			uint64_t *addr, struct vctl_err *err);
int vctl_meta_mark_used(struct vctl_pool *p, uint64_t addr, const char *what,
			struct vctl_err *err);
void vctl_meta_release(struct vctl_pool *p, uint64_t addr);
/* Grows the metadata space until `need` blocks are free. */
int vctl_meta_reserve(struct vctl_pool *p, uint64_t need, struct vctl_err *err);
/* Blocks the next commit may write, from what is dirty. */
uint64_t vctl_meta_need(const struct vctl_pool *p);
/* Kept free beyond what a commit needs, so that management commits (a
 * delete, a rename) still find room when data has filled the pool. */
#define VCTL_META_SLOP 32u
void vctl_meta_commit_done(struct vctl_pool *p);
/* Drops copy c of metadata extent `index` (its PSEG freed after the
 * commit): for a copy that has no disk left to go to. */
void vctl_meta_drop_copy(struct vctl_pool *p, uint32_t index, unsigned c);
uint64_t vctl_meta_disk_offset(const struct vctl_pool *p, uint64_t addr, unsigned copy,
			       uint32_t *disk);

/* lib/rsdtab.c: the RSD table */
int vctl_rsd_load(struct vctl_pool *p, struct vctl_err *err);
int vctl_rsd_new(struct vctl_pool *p, const struct vctl_rsd_layout *l, const uint32_t *members,
		 uint32_t *id, struct vctl_err *err);
void vctl_rsd_ref(struct vctl_pool *p, uint32_t id);
/* Marks the RSD block holding `id` for the next commit. */
void vctl_rsd_dirty(struct vctl_pool *p, uint32_t id);
void vctl_rsd_unref(struct vctl_pool *p, uint32_t id);
int vctl_rsd_sync(struct vctl_pool *p, struct vctl_err *err);
static inline struct vctl_rsd *vctl_rsd_get(const struct vctl_pool *p, uint32_t id);

/* lib/vmap.c: volume maps */
struct vctl_vmap *vctl_vmap_new(uint64_t vol_id, uint32_t nlmaps);
void vctl_vmap_free(struct vctl_vmap *vm, const struct vctl_geom *g);
int vctl_vmap_load(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap **out,
		   struct vctl_err *err);
uint32_t vctl_vmap_get(const struct vctl_vmap *vm, const struct vctl_geom *g, uint64_t rseg);
int vctl_vmap_set(struct vctl_vmap *vm, const struct vctl_geom *g, uint64_t rseg,
		  uint32_t entry);
int vctl_vmap_resize(struct vctl_pool *p, struct vctl_vmap *vm, uint32_t nlmaps);
int vctl_vmap_sync(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		   struct vctl_err *err);
uint64_t vctl_vmap_bytes(const struct vctl_vmap *vm, const struct vctl_geom *g);
struct vctl_vmap *vctl_vmap_of(const struct vctl_pool *p, uint64_t vol_id);
void vctl_vmap_release_blocks(struct vctl_pool *p, const struct vctl_mld_volume *v,
			      struct vctl_vmap *vm);

/* lib/vio.c: a write that does not check the volume's size */
int vctl_volume_write_at(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
			 const void *buf, size_t len, uint64_t off, struct vctl_err *err);
/* lib/vio.c: before an operation that may copy into v's sharing chain
 * (RStores of v's layout), commits the pool's DIRTY mark if they are
 * redundant; called before the operation changes anything in memory, so
 * that this commit persists nothing half done. */
int vctl_dirty_first(struct vctl_pool *p, const struct vctl_mld_volume *v, struct vctl_err *err);
/* lib/vio.c: a new RStore in v's layout, zeroed, unreferenced; copy: for a copy
 * on first write into v, which may use v's reserve (nothing else may) */
int vctl_rstore_new(struct vctl_pool *p, struct vctl_mld_volume *v, bool copy, uint32_t *id,
		    struct vctl_err *err);
/* lib/volume.c: adds a volume record and its empty map */
int vctl_volume_add(struct vctl_pool *p, const struct vctl_mld_volume *nv,
		    struct vctl_mld_volume **v, struct vctl_vmap **vm, struct vctl_err *err);
/* lib/vio.c: maps a new RStore under the RSEGs around `rseg` */
int vctl_volume_alloc_rstore(struct vctl_pool *p, struct vctl_mld_volume *v,
			     struct vctl_vmap *vm, uint64_t rseg, struct vctl_err *err);

static inline struct vctl_rsd *vctl_rsd_get(const struct vctl_pool *p, uint32_t id)
{
	return id < p->st->nrsd ? p->st->rsd[id] : NULL;
}

static inline uint32_t vctl_lmap_chunks(const struct vctl_geom *g)
{
	return (g->lmap_entries + VCTL_CHUNK - 1) / VCTL_CHUNK;
}

#endif
