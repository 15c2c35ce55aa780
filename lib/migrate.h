/* Migration of a placed volume onto a new set of arrays (lib/migrate.c),
 * and the load monitor that chooses what to migrate (lib/monitor.c). */
#ifndef VCTL_LIB_MIGRATE_H
#define VCTL_LIB_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "array.h"

struct vctl_migrate_plan {
	struct vctl_mld_req to; /* the new placement (volume set) */
	uint64_t moves;         /* PSEGs it moves */
	uint64_t psegs;         /* of the volume's PSEGs in all */
	char names[VCTL_REQ_MAX_ARRAYS][VCTL_NAME_MAX + 1]; /* of to.arrays */
};
/* What the monitor measured: the load each array may still take (per
 * enclosure record) and the volume's own load. */
struct vctl_measured {
	const double *room_m, *room_i;
	double load_m, load_i;
};
/* With the pool lock held: a new placement for volume vol that meets its
 * requirement without array `away` (an enclosure id), with room for its
 * measured load (ms; NULL: unchecked), moving the fewest PSEGs.
 * -VCTL_E_REFUSED naming the shortfall when none can. */
int vctl_migrate_plan(const struct vctl_pool *p, uint64_t vol, uint32_t away,
		      const struct vctl_measured *ms, struct vctl_migrate_plan *plan,
		      struct vctl_err *err);
/* Plans as above and, in the same hold of the pool lock, publishes the
 * new placement as the volume's requirement and starts a migrate job onto
 * it (paced at rate bytes/s; 0 = as client I/O allows): one commit.
 * Refused when the volume is being migrated already. */
int vctl_migrate_start(struct vctl_pool *p, uint64_t vol, uint32_t away,
		       const struct vctl_measured *ms, uint64_t rate, struct vctl_migrate_plan *plan,
		       uint64_t *job, struct vctl_err *err);
/* `vctl migrate VOLUME --from ARRAY`: the same by names; refused unless
 * the volume's requirement names that array. */
int vctl_migrate_by_name(struct vctl_pool *p, const char *volume, const char *from, uint64_t rate,
			 struct vctl_migrate_plan *plan, uint64_t *job, struct vctl_err *err);

/* Internal to lib/, with the pool lock held: the members of vol's RStores
 * still outside its arrays; the first of them (1, or 0 when none); and
 * cancelling job j (the requirement then names every array that holds
 * the volume). */
uint64_t vctl_migrate_remaining(const struct vctl_pool *p, uint64_t vol);
int vctl_migrate_next(const struct vctl_pool *p, uint64_t vol, uint32_t *id, unsigned *k);
int vctl_migrate_cancel(struct vctl_pool *p, struct vctl_mld_job *j, struct vctl_err *err);

#endif
