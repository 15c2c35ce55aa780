#include "stats.h"

static unsigned bucket_of(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned k = 0;
	while (k < VCTL_LAT_BUCKETS - 1 && us >= (1ull << k))
		k++;
	return k;
}

uint64_t vctl_io_bucket_us(unsigned k)
{
	return k + 1 >= VCTL_LAT_BUCKETS ? UINT64_MAX : 1ull << k;
}

void vctl_io_count(struct vctl_io_counters *c, enum vctl_io_kind kind, uint64_t bytes,
		   bool failed, uint64_t ns)
{
	if (failed) {
		atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
		return;
	}
	if (kind == VCTL_IO_OTHER)
		return;
	if (kind == VCTL_IO_READ) {
		atomic_fetch_add_explicit(&c->reads, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->read_bytes, bytes, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&c->writes, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->write_bytes, bytes, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&c->lat[bucket_of(ns)], 1, memory_order_relaxed);
}

void vctl_io_snapshot(struct vctl_io_counters *c, struct vctl_io_stats *out)
{
	out->reads = atomic_load(&c->reads);
	out->writes = atomic_load(&c->writes);
	out->read_bytes = atomic_load(&c->read_bytes);
	out->write_bytes = atomic_load(&c->write_bytes);
	out->errors = atomic_load(&c->errors);
	for (unsigned k = 0; k < VCTL_LAT_BUCKETS; k++)
		out->lat[k] = atomic_load(&c->lat[k]);
}

uint64_t vctl_io_latency_us(const struct vctl_io_stats *s, double q)
{
	uint64_t total = 0;
	for (unsigned k = 0; k < VCTL_LAT_BUCKETS; k++)
		total += s->lat[k];
	if (!total)
		return 0;
	uint64_t want = (uint64_t)(q * (double)total + 0.5), seen = 0;
	if (want == 0)
		want = 1;
	for (unsigned k = 0; k < VCTL_LAT_BUCKETS; k++) {
		seen += s->lat[k];
		if (seen >= want)
			return vctl_io_bucket_us(k);
	}
	return UINT64_MAX;
}
