/* The load monitor of `vctl monitor` (lib/monitor.c). */
#ifndef VCTL_LIB_MONITOR_H
#define VCTL_LIB_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "migrate.h"

struct vctl_monitor_opts {
	double threshold;   /* an array is hot above this fraction of its rating */
	unsigned sample_ms; /* how long a round measures the load */
	bool migrate;       /* start the migration a round finds */
	uint64_t rate;      /* its pace, bytes/s; 0 = as client I/O allows */
};

/* An array above the threshold, and what the round did about it. */
struct vctl_monitor_hot {
	uint32_t array; /* index into the round's arrays */
	double use;     /* load / rating, in the dimension below */
	bool iops;      /* that dimension: transactions (else bandwidth) */
	char volume[VCTL_NAME_MAX + 1]; /* the worst fit ("" none) */
	double vol_load;                /* its load on the array, that dimension */
	uint64_t vol_committed;         /* its requirement's share there */
	bool planned;                   /* plan holds a new placement */
	struct vctl_migrate_plan plan;
	uint64_t job;      /* the migration (started now, or already running) */
	bool started;      /* started by this round */
	char problem[512]; /* why nothing was planned or started ("" none) */
};

struct vctl_monitor_round {
	struct vctl_array_info *arrays; /* every array, load measured */
	uint32_t narrays;
	struct vctl_monitor_hot *hot; /* the hot ones, most loaded first */
	uint32_t nhot;
};

/* One round: measure (o->sample_ms), find the hot arrays, plan for each
 * and, with o->migrate, start the migrations. Served pools only
 * (-ESRCH offline). The caller holds no lock and frees rd with
 * vctl_monitor_round_free. */
int vctl_monitor_round(struct vctl_pool *p, const struct vctl_monitor_opts *o,
		       struct vctl_monitor_round *rd, struct vctl_err *err);
void vctl_monitor_round_free(struct vctl_monitor_round *rd);

#endif
