/* Sharing chains of snapshots: lib/share.c. */
#ifndef VCTL_LIB_SHARE_H
#define VCTL_LIB_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

struct vctl_vmap;
struct vctl_mld_volume;

/* vctl snapshot VOLUME SNAP: SNAP becomes VOLUME's predecessor, sharing
 * all its data; nothing is copied. reserve: set aside the PSEGs SNAP would
 * need to hold all it shares (-ENOSPC if they are not free). */
int vctl_snapshot(struct vctl_pool *p, const char *name, const char *snap, bool reserve,
		  struct vctl_err *err);

/* The sharing chain a volume belongs to, oldest first, and runs of RSEGs
 * with the LMAP entry of every member (VCTL_TREE_ABSENT past a member's
 * end). fn returning nonzero stops the walk with that value. */
#define VCTL_TREE_MAX 256u
#define VCTL_TREE_ABSENT UINT32_MAX
struct vctl_share_tree {
	uint32_t n;
	const struct vctl_mld_volume *vols[VCTL_TREE_MAX];
};
struct vctl_tree_run {
	uint64_t first_rseg, nrsegs;
	uint32_t n;
	const uint32_t *entries;
};
int vctl_share_tree(const struct vctl_pool *p, const char *name, struct vctl_share_tree *t,
		    int (*fn)(void *ctx, const struct vctl_tree_run *run), void *ctx,
		    struct vctl_err *err);

/* The rest is internal to lib/, called with the pool lock held to write. */

/* The volume whose successor is v, or NULL. */
struct vctl_mld_volume *vctl_share_pred(const struct vctl_pool *p, const struct vctl_mld_volume *v);
/* The entry that holds RSEG k's data for v: v's own, or its successors'
 * until Ss is clear. No RSD in it = reads as zeros. */
uint32_t vctl_share_resolve(const struct vctl_pool *p, const struct vctl_mld_volume *v,
			    const struct vctl_vmap *vm, uint64_t k);
/* What a slot is placed for: new data (a reused slot is zeroed first), a
 * copy on first write or a snapclone's copy (which may draw on the
 * volume's --reserve), or data moving to a new layout (neither). */
enum vctl_slot_for {
	VCTL_SLOT_NEW,
	VCTL_SLOT_COPY,
	VCTL_SLOT_MOVE,
};
/* Gives v's RSEG k a slot of its own (a free one of an RStore of its layout
 * it already uses, else a new RStore), referenced once for k; the caller
 * sets the entry. */
int vctl_share_place(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		     uint64_t k, enum vctl_slot_for why, uint32_t *id, struct vctl_err *err);
/* Copy on first write: afterwards v's RSEG k shares nothing. keep_data:
 * v keeps what it reads (else it becomes a hole). *commit_first is set when
 * v's own slot was read by its predecessor in the last commit: commit
 * before changing it. */
int vctl_share_unshare(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		       uint64_t k, bool keep_data, bool *commit_first, struct vctl_err *err);
/* Unmaps v's RSEG k leaving every other member's contents as they are.
 * leaving: v is being taken out of the chain (its predecessor may then
 * read through its successor). */
int vctl_share_drop(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		    uint64_t k, bool leaving, struct vctl_err *err);
/* Copies RSEG k's data as entry `src` holds it (an RSD, or a hole) into a
 * slot of v placed for it; v's entry becomes that slot with the bits in
 * `keep`. */
int vctl_share_copy(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		    uint64_t k, uint32_t src, uint32_t keep, enum vctl_slot_for why,
		    struct vctl_err *err);
/* A snapclone's own data at RSEG k is about to change (a write, a trim):
 * its successor's Sp there no longer means "unchanged since the copy", so
 * it goes, and the predecessor will get a copy of the clone's data before
 * the clone leaves its chain. */
void vctl_share_diverge(struct vctl_pool *p, const struct vctl_mld_volume *v,
			const struct vctl_vmap *vm, uint64_t k);
/* vctl_snapshot with the pool lock held to write. */
int vctl_snapshot_locked(struct vctl_pool *p, const char *name, const char *snap, bool reserve,
			 struct vctl_err *err);
/* Takes v out of its chain once every RSEG is dropped. */
void vctl_share_unlink(struct vctl_pool *p, struct vctl_mld_volume *v);
/* Lets go of v's use of slot k of an RSD (not reused before the commit). */
void vctl_slot_release(struct vctl_pool *p, uint32_t id, uint64_t k);

#endif
