#include "qos.h"

#include <time.h>

/* How far ahead of its rate a bucket may run: a burst of 50 ms of
 * traffic. Short enough that a rate measured over a second is the limit,
 * long enough that a client's queue depth does not serialise on it. */
#define BURST_NS 50000000ull

uint64_t vctl_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vctl_qos_init(struct vctl_qos *q)
{
	pthread_mutex_init(&q->m, NULL);
	q->iops = q->bps = 0;
	q->tat_ops = q->tat_bytes = 0;
}

void vctl_qos_destroy(struct vctl_qos *q)
{
	pthread_mutex_destroy(&q->m);
}

void vctl_qos_set(struct vctl_qos *q, uint64_t iops, uint64_t mbps)
{
	uint64_t now = vctl_now_ns();
	pthread_mutex_lock(&q->m);
	if (q->iops != iops && q->tat_ops > now)
		q->tat_ops = now;
	if (q->bps != mbps * 1000000ull && q->tat_bytes > now)
		q->tat_bytes = now;
	q->iops = iops;
	q->bps = mbps * 1000000ull;
	pthread_mutex_unlock(&q->m);
}

/* One bucket: the request may go once it is no more than BURST_NS ahead
 * of the bucket's schedule; the schedule moves by its cost either way. */
static uint64_t take(uint64_t *tat, uint64_t cost, uint64_t now)
{
	uint64_t t = *tat > now ? *tat : now;
	uint64_t go = t > now + BURST_NS ? t - BURST_NS : now;
	*tat = t + cost;
	return go;
}

uint64_t vctl_qos_admit(struct vctl_qos *q, uint64_t bytes, uint64_t now)
{
	uint64_t go = now;
	pthread_mutex_lock(&q->m);
	if (q->iops) {
		uint64_t t = take(&q->tat_ops, 1000000000ull / q->iops, now);
		go = t > go ? t : go;
	}
	if (q->bps) {
		/* bytes < 2^26 and bps >= 10^6: no overflow in 64 bits */
		uint64_t t = take(&q->tat_bytes, bytes * 1000000000ull / q->bps, now);
		go = t > go ? t : go;
	}
	pthread_mutex_unlock(&q->m);
	return go;
}
