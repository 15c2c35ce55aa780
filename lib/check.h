#ifndef VCTL_LIB_CHECK_H
#define VCTL_LIB_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

struct vctl_check_report {
	uint32_t n;
	char **problems; /* one line each: what makes the check fail */
	uint32_t nnotes;
	char **notes;    /* expected states that heal themselves (a copy one
			    generation behind after a crash), shown, not failed */
};

/* Verifies every crc, generation agreement between MLD copies and every
 * cross-reference the pool has. Returns 0 (problems in the report) or a
 * negative errno if the check itself could not run. */
/* What to check beyond every crc and cross-reference. */
#define VCTL_CHECK_DATA 0x1u    /* read every redundant RStore: mirrors, parity */
#define VCTL_CHECK_INTENTS 0x2u /* every RStore against its volume's intent */

int vctl_pool_check(const struct vctl_pool *p, unsigned what, struct vctl_check_report *rep,
		    struct vctl_err *err);
void vctl_check_report_free(struct vctl_check_report *rep);

/* For the parts of the check (lib/check_maps.c): append a problem or a
 * note; 0 or -ENOMEM. */
int vctl_check_add(struct vctl_check_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int vctl_check_note(struct vctl_check_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int vctl_check_maps(const struct vctl_pool *p, unsigned what, struct vctl_check_report *rep);
/* lib/check_share.c: share bits and RStore slot ownership */
int vctl_check_sharing(const struct vctl_pool *p, struct vctl_check_report *rep);
/* lib/check_intents.c: RStores against their volumes' intents */
int vctl_check_intents(const struct vctl_pool *p, struct vctl_check_report *rep);

/* One MLD copy as status and check see it: the newest valid generation on
 * a quorum disk, and whether that is the pool's current one. */
struct vctl_mld_copy {
	uint32_t disk;
	bool present;
	uint64_t generation; /* 0: no valid copy on this disk */
	bool valid;          /* generation == the pool's generation */
	uint32_t damaged;    /* damaged slots on this disk */
};

/* Fills out[] (room for VCTL_MAX_DISKS) and returns the count. */
/* Whether volume v owns data in an RStore with a member that is stale or
 * on a missing or failed disk (it runs degraded until a rebuild). */
bool vctl_volume_degraded(const struct vctl_pool *p, const struct vctl_mld_volume *v);

uint32_t vctl_pool_mld_copies(const struct vctl_pool *p, struct vctl_mld_copy *out);

#endif
