/* The served side of hosts, storage domains and virtual paths: which
 * client is which host, which volumes it may see and open and how, the
 * throttle of each domain and the counters of each path. Built from the
 * MLD when `vctl serve` starts and rebuilt by every change to hosts,
 * domains, paths or volumes (vctl_gate_sync), so a running server applies
 * them at once; counters and buckets of what survives a rebuild carry on.
 *
 * The uid that runs the server and root are administrators: they see and
 * open every volume, outside any path (not counted, not throttled). */
#ifndef VCTL_LIB_GATE_H
#define VCTL_LIB_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fmt/err.h"
#include "stats.h"

struct vctl_pool;
struct vctl_gate;
/* One opened export of a host: the path it came through. */
struct vctl_grant;

/* Attaches a gate to p (p->gate). */
int vctl_gate_create(struct vctl_pool *p, struct vctl_err *err);
/* Ends waits in progress (throttling, `stats --watch`): the server stops. */
void vctl_gate_stop(struct vctl_gate *g);
bool vctl_gate_stopping(struct vctl_gate *g);
/* Detaches and frees p->gate (grants still open keep their path). */
void vctl_gate_free(struct vctl_pool *p);
/* Rebuilds from p->mld; the caller holds the pool lock for writing. A
 * no-op when p has no gate (offline). */
void vctl_gate_sync(struct vctl_pool *p);

bool vctl_gate_is_admin(uid_t uid);
/* May this client see volume vol_id in NBD LIST? */
bool vctl_gate_visible(struct vctl_gate *g, uid_t uid, gid_t gid, uint64_t vol_id);
/* Opens volume vol_id (0: no such volume) named `name` for a client:
 * an administrator's gets the volume's administrator grant (it only counts;
 * NULL without a gate or volume), anyone else the path's grant and *ro its
 * access. -EACCES with a message when no path allows it. */
int vctl_gate_open(struct vctl_gate *g, uid_t uid, gid_t gid, uint64_t vol_id,
		   const char *name, struct vctl_grant **grant, bool *ro, struct vctl_err *err);
/* The export is closed. */
void vctl_grant_close(struct vctl_grant *gr);

/* Before a request: -EPERM if the path is gone or (for a write) read-only;
 * else waits for the domain's throttle (reads and writes) and returns 0
 * with *t0 the arrival time. An administrator's grant (or NULL) always
 * passes. */
int vctl_grant_begin(struct vctl_grant *gr, enum vctl_io_kind kind, bool writes,
		     uint64_t bytes, uint64_t *t0, struct vctl_err *err);
/* After it: counts it. */
void vctl_grant_end(struct vctl_grant *gr, enum vctl_io_kind kind, uint64_t bytes,
		    int result, uint64_t t0);

/* Counters of every path, in path id order. */
struct vctl_path_stat {
	uint64_t id, host, volume, domain;
	uint32_t opens; /* exports open through it now */
	struct vctl_io_stats io;
};
/* -ESRCH if p has no gate (no server). *out is the caller's to free. */
int vctl_gate_stats(struct vctl_pool *p, struct vctl_path_stat **out, uint32_t *n,
		    struct vctl_err *err);

/* Reads and writes done on each volume so far, by every client: through
 * paths and by administrators (who have none). For the load of arrays. */
struct vctl_volume_io {
	uint64_t volume;
	uint64_t ops, bytes;
};
/* -ESRCH if p has no gate (no server). *out is the caller's to free. */
int vctl_gate_volume_io(struct vctl_pool *p, struct vctl_volume_io **out, uint32_t *n,
			struct vctl_err *err);

#endif
