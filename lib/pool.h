/* An open pool: its member disks as found in the pool directory and the
 * current MLD. Commands read these fields; only lib/ changes them. */
#ifndef VCTL_LIB_POOL_H
#define VCTL_LIB_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt/err.h"
#include "fmt/label.h"
#include "fmt/mld.h"
#include "rwlock.h"

#define VCTL_LOCK_NAME "vctl.lock"

/* What one MLD slot of a member holds. */
enum vctl_slot_state {
	VCTL_SLOT_EMPTY = 0, /* never written (all zero header) */
	VCTL_SLOT_VALID,     /* a valid MLD of this pool; see gen */
	VCTL_SLOT_DAMAGED,   /* something, but not a valid MLD */
	VCTL_SLOT_FOREIGN,   /* a valid MLD of another pool */
};

struct vctl_slot_info {
	enum vctl_slot_state state;
	uint64_t gen;
	char why[160]; /* for damaged slots: the decoder's message */
};

struct vctl_member {
	char *name; /* entry in the pool directory */
	char *path; /* pool directory + name */
	int fd;
	bool writable;
	uint64_t size;            /* current size of the file or device */
	struct vctl_label label;  /* the valid copy with the highest label_gen */
	int label_rc[2];          /* per copy: 0 valid, else the decode error */
	char label_why[2][160];
	struct vctl_slot_info slot[2];
	bool in_mld;              /* its disk UUID is in the current MLD */
};

/* Open flags. */
#define VCTL_OPEN_WRITE 0x1u    /* exclusive lock; may commit */
#define VCTL_OPEN_FORENSIC 0x2u /* succeed without a valid MLD (dump, check) */
#define VCTL_OPEN_NOLOCK 0x4u   /* the caller already holds the lock */

struct vctl_state;

struct vctl_pool {
	char *dir;
	unsigned flags;
	int lock_fd;
	bool have_mld;      /* false only for a forensic open */
	struct vctl_mld mld;
	uint32_t nmembers;
	struct vctl_member *members;
	/* by_index[i]: the member holding disk index i, or NULL if missing */
	struct vctl_member *by_index[VCTL_MAX_DISKS];
	bool broken;        /* a commit failed half-way: reopen before writing */
	uint8_t *slotbuf;   /* one MLD slot of scratch space */
	struct vctl_state *st; /* maps, RSDs, space (lib/state.h) */
	struct vctl_gate *gate; /* served: hosts, domains and paths at work
				   (lib/gate.h); NULL offline */
	/* Readers: data-path I/O and commands that only look; the writer:
	 * anything that changes the pool. Public lib calls take it. */
	struct vctl_rwlock lock;
	char load_error[512]; /* forensic open: why the maps could not be loaded */
};

int vctl_pool_open(const char *dir, unsigned flags, struct vctl_pool **out,
		   struct vctl_err *err);
void vctl_pool_close(struct vctl_pool *p);
/* Frees the handle and closes its descriptors without writing anything:
 * for a forked parent whose child goes on with the pool (the lock's open
 * file description stays held by the child). */
void vctl_pool_forget(struct vctl_pool *p);

/* Writes p->mld as the next generation to every quorum disk, repairs
 * damaged MLD and label copies on the way, and keeps the number of MLD
 * copies at the pool's target by promoting disks when quorum disks are
 * missing. On failure the on-disk state is the old or the new generation,
 * and the pool is marked broken. */
int vctl_pool_commit(struct vctl_pool *p, struct vctl_err *err);
/* fdatasync on every present member. */
int vctl_pool_flush(struct vctl_pool *p, struct vctl_err *err);

/* Internal to lib/: finds again, after p->members or the MLD's disks
 * changed, which member holds each disk (by UUID; of two, the first by
 * name) and which members the MLD names. */
void vctl_pool_bind(struct vctl_pool *p);

/* Convenience for callers. */
struct vctl_mld_disk *vctl_pool_disk(struct vctl_pool *p, uint32_t index);
bool vctl_pool_disk_present(const struct vctl_pool *p, uint32_t index);
uint32_t vctl_pool_missing(const struct vctl_pool *p);
uint32_t vctl_pool_failed(const struct vctl_pool *p);
uint64_t vctl_pool_disk_used(const struct vctl_pool *p, uint32_t index);
/* Bytes free for new data: free PSEGs of usable disks, less what
 * snapshots reserve. */
uint64_t vctl_pool_free_bytes(const struct vctl_pool *p);
/* PSEGs set aside by `vctl snapshot --reserve`, all volumes together. */
uint64_t vctl_pool_reserved_psegs(const struct vctl_pool *p);
const char *vctl_pool_disk_state(const struct vctl_pool *p, uint32_t index);

/* Lock helpers shared with init. Return 0, or -EBUSY with "pool is busy
 * (pid N)". */
int vctl_lock_pool(const char *dir, bool exclusive, int *fd, struct vctl_err *err);
void vctl_unlock_pool(int fd);

/* Reads one member's label copies and MLD slot states (used by open and by
 * init's own-label recognition). `pool_uuid` may be NULL to accept any. */
void vctl_member_read(struct vctl_member *m);
void vctl_member_read_slots(struct vctl_member *m, const uint8_t pool_uuid[16],
			    struct vctl_mld *best, bool *have_best);
bool vctl_member_has_label(const struct vctl_member *m);
void vctl_member_free(struct vctl_member *m);

#endif
