/* Hosts, storage domains and virtual paths in the MLD (fmt/mld.h): a host
 * is a client identity (uid, and gid if given), a domain carries the
 * capabilities of its paths (throttle, allowed access), a path grants one
 * volume to one host in one domain. Every call commits before it returns
 * and a served pool applies it at once (lib/gate.h); a refusal changes
 * nothing. */
#ifndef VCTL_LIB_ACCESS_H
#define VCTL_LIB_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

int vctl_host_add(struct vctl_pool *p, const char *name, uint32_t uid, bool has_gid,
		  uint32_t gid, uint64_t *id, struct vctl_err *err);
/* Refused (-ENOTEMPTY) while paths name the host. */
int vctl_host_remove(struct vctl_pool *p, const char *name, struct vctl_err *err);

/* Fields with set_* false are left alone (set) or default (create:
 * unlimited, read-write). */
struct vctl_domain_spec {
	const char *name;
	bool set_iops, set_mbps, set_access;
	uint64_t max_iops, max_mbps; /* 0 = unlimited */
	bool ro;
};
int vctl_domain_create(struct vctl_pool *p, const struct vctl_domain_spec *s, uint64_t *id,
		       struct vctl_err *err);
int vctl_domain_set(struct vctl_pool *p, const struct vctl_domain_spec *s,
		    struct vctl_err *err);
/* Refused (-ENOTEMPTY) while paths use the domain. */
int vctl_domain_remove(struct vctl_pool *p, const char *name, struct vctl_err *err);

/* domain NULL or "default": the default domain. */
int vctl_path_add(struct vctl_pool *p, const char *host, const char *volume,
		  const char *domain, bool ro, uint64_t *id, struct vctl_err *err);
int vctl_path_remove(struct vctl_pool *p, uint64_t id, struct vctl_err *err);

/* lib/volume.c, deleting a volume: its paths go with it (in memory; the
 * delete's commit makes it durable). */
void vctl_paths_drop_volume(struct vctl_pool *p, uint64_t vol_id);

#endif
