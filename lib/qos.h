/* Quality of service of a storage domain: one token bucket on operations
 * and one on bytes, shared by every path of the domain (GCRA: a
 * theoretical arrival time per bucket, no timer thread). */
#ifndef VCTL_LIB_QOS_H
#define VCTL_LIB_QOS_H

#include <pthread.h>
#include <stdint.h>

struct vctl_qos {
	pthread_mutex_t m;
	uint64_t iops, bps;         /* 0 = unlimited */
	uint64_t tat_ops, tat_bytes; /* ns on CLOCK_MONOTONIC */
};

void vctl_qos_init(struct vctl_qos *q);
void vctl_qos_destroy(struct vctl_qos *q);
/* New limits apply to the next request: a backlog reserved at the old
 * rate is forgiven, so a raised limit shows within one burst. */
void vctl_qos_set(struct vctl_qos *q, uint64_t iops, uint64_t mbps);
/* Reserves one operation of `bytes` arriving at `now`; returns when it may
 * start (<= now: at once). */
uint64_t vctl_qos_admit(struct vctl_qos *q, uint64_t bytes, uint64_t now);
uint64_t vctl_now_ns(void);

#endif
