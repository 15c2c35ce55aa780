/* I/O counters of one virtual path, kept by the server in memory (lock
 * free: every request of every connection of the path adds to them). */
#ifndef VCTL_LIB_STATS_H
#define VCTL_LIB_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Latency buckets: bucket k counts requests that took less than 2^k
 * microseconds (bucket 0: under 1 us); the last bucket takes the rest. */
#define VCTL_LAT_BUCKETS 28

enum vctl_io_kind {
	VCTL_IO_READ,
	VCTL_IO_WRITE,
	VCTL_IO_OTHER, /* flush, trim, zero, cache, block status: counted only if they fail */
};

struct vctl_io_counters {
	atomic_uint_fast64_t reads, writes, read_bytes, write_bytes, errors;
	atomic_uint_fast64_t lat[VCTL_LAT_BUCKETS];
};

/* A snapshot, for printing. */
struct vctl_io_stats {
	uint64_t reads, writes, read_bytes, write_bytes, errors;
	uint64_t lat[VCTL_LAT_BUCKETS];
};

/* One request done: reads and writes that succeed count with their bytes
 * and latency; any request that fails counts as an error. */
void vctl_io_count(struct vctl_io_counters *c, enum vctl_io_kind kind, uint64_t bytes,
		   bool failed, uint64_t ns);
void vctl_io_snapshot(struct vctl_io_counters *c, struct vctl_io_stats *out);
/* The bucket bound (us) under which a fraction q of the timed requests
 * finished; 0 if none was timed. */
uint64_t vctl_io_latency_us(const struct vctl_io_stats *s, double q);
/* Bucket k's upper bound in microseconds (the last one: UINT64_MAX). */
uint64_t vctl_io_bucket_us(unsigned k);

#endif
