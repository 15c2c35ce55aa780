/* Disk lifecycle: add a disk (lib/disk_add.c), fail one, replace it by
 * rebuilding what it held elsewhere (lib/disk.c), empty and remove one,
 * and level the pool (lib/level.c), always keeping every volume's
 * intent. */
#ifndef VCTL_LIB_DISK_H
#define VCTL_LIB_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

/* Marks disk `index` failed: never read or written again; redundant
 * RStores on it run degraded. Refused (-VCTL_E_REFUSED) when that would
 * lose data: a raid0 RStore on it, a redundant one already degraded
 * elsewhere, a metadata extent with no other good copy. */
int vctl_disk_fail(struct vctl_pool *p, uint32_t index, struct vctl_err *err);

struct vctl_replace_report {
	uint32_t rstores;  /* members rebuilt */
	uint32_t extents;  /* metadata extent copies rebuilt */
	uint64_t bytes;    /* to rebuild */
	uint64_t job;      /* the rebuild job (0: nothing to rebuild) */
};
/* Places every member and metadata copy of a failed (or missing) disk on
 * PSEGs of other disks, marked stale, with a rebuild job (see
 * vctl_rebuild_step) to fill them; the PSEGs keep each RStore's members on distinct
 * disks and its volume's intent (--separate enclosure: never the
 * enclosure of a mirror partner, or of another raid5 member); prefers
 * that even without the intent. Refused, with the pool unchanged, when
 * some member has no compliant place. */
int vctl_disk_replace(struct vctl_pool *p, uint32_t index, struct vctl_replace_report *rep,
		      struct vctl_err *err);

/* Adds FILE (relative to directory cwd, or AT_FDCWD) to the pool as a new
 * disk in `enclosure` (made if new; NULL or "": the pool's only one),
 * symlinked into the pool directory when it lives elsewhere. Refused when
 * FILE holds anything recognisable (a file system, another pool's disk)
 * unless force. *index: the new disk's index. */
int vctl_disk_add(struct vctl_pool *p, int cwd, const char *file, const char *enclosure, bool force,
		  uint32_t *index, struct vctl_err *err);

/* Starts emptying disk `index`: a job (kind evacuate) moves every PSEG
 * it holds to other disks, keeping intents, and then drops the disk from
 * the pool; nothing new is placed on it meanwhile. A failed disk that
 * holds nothing (after disk replace) is dropped at once (*done). Refused
 * when the other disks cannot take what it holds. */
int vctl_disk_remove(struct vctl_pool *p, uint32_t index, uint64_t *job, bool *done,
		     struct vctl_err *err);

/* Starts leveling (a job of kind level): PSEGs move until each disk's
 * use is within one PSEG of its share of the pool's use in proportion to
 * its capacity, at most `rate` bytes/s (0: as fast as client I/O
 * allows). *job: its id (an existing one if running, given the new rate);
 * *moves: the moves planned now (0: level already, no job). */
int vctl_level_start(struct vctl_pool *p, uint64_t rate, uint64_t *job, uint64_t *moves,
		     struct vctl_err *err);

/* One step of a level or evacuate job: up to max_moves PSEG moves, a
 * commit each. 1 when the job is done, 0 when there is more. *moved:
 * PSEGs moved by this step. */
int vctl_move_step(struct vctl_pool *p, uint64_t id, unsigned max_moves, uint64_t *moved,
		   struct vctl_err *err);
/* PSEGs still to move by a level or evacuate job (an estimate for
 * progress), with the pool lock held. */
uint64_t vctl_move_remaining(const struct vctl_pool *p, const struct vctl_mld_job *j);

/* Internal to lib/. The volume that owns data in RSD id, for messages
 * ("?" if none); with the pool lock held. */
const char *vctl_rsd_owner(const struct vctl_pool *p, uint32_t id);
/* A bitmap over RSD ids: those a volume asking for --separate enclosure
 * owns data in (caller frees; NULL: out of memory). */
uint8_t *vctl_strict_rsds(const struct vctl_pool *p);
struct vctl_rsd;
/* Claims the new place of member k of RSD id (r): a PSEG on an
 * allocatable disk none of r's other members is on, outside the
 * enclosures of its partners (required when strict, else preferred). */
int vctl_place_member(struct vctl_pool *p, uint32_t id, const struct vctl_rsd *r, unsigned k,
		      bool strict, uint32_t *member, struct vctl_err *err);

#endif
