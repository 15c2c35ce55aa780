/* Address translation, checked against an independent model: volume offset
 * -> RSEG -> LMAP -> RStore -> RAID member -> byte on a member image.
 * Writes straddle RSEG, RStore, LMAP and L2MAP boundaries on every RAID
 * type; after a reopen every range reads back, never-written space reads
 * as zeros, each sampled byte sits where the layout formulas say, and
 * RAID5 parity holds in every row. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt/mblock.h"
#include "lib/init.h"
#include "lib/volume.h"
#include "tap.h"

#define PSEG (64u * 1024)
#define RSEG (64u * 1024)
#define LMAP_ENTRIES 4u /* an LMAP spans 256 KiB */
#define STRIPE (16u * 1024)
#define VSIZE (1ull << 30)

static char dir[256];

static struct vctl_pool *open_pool(void)
{
	struct vctl_pool *p = NULL;
	struct vctl_err e = {0};
	if (vctl_pool_open(dir, VCTL_OPEN_WRITE, &p, &e) < 0) {
		printf("# open: %s\n", e.msg);
		return NULL;
	}
	return p;
}

static uint64_t rng = 88172645463325252ull;
static uint8_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)rng;
}

struct range {
	uint64_t off;
	uint32_t len;
	uint8_t *data;
};

/* Where the byte at volume offset `off` must live, by the formulas of
 * FORMAT.md "RAID layouts", written here again from scratch. */
struct loc {
	uint32_t disk[2];
	uint64_t byte[2]; /* offset in the member image */
	int n;
};

struct find {
	uint64_t rseg;
	uint32_t entry;
};

static int find_run(void *ctx, const struct vctl_map_run *run)
{
	struct find *f = ctx;
	if (f->rseg >= run->first_rseg && f->rseg < run->first_rseg + run->nrsegs)
		f->entry = run->entry;
	return 0;
}

static int locate(struct vctl_pool *p, uint64_t vol, uint64_t off, struct loc *l)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct find f = {off / RSEG, 0};
	vctl_volume_map_walk(p, vol, find_run, &f);
	if (!f.entry)
		return -1;
	struct vctl_rsd_info ri;
	if (vctl_rsd_describe(p, (f.entry & VCTL_LMAP_RSD_MASK) - 1, &ri) < 0)
		return -1;
	uint64_t W = ri.width, U = ri.stripe;
	uint64_t x = off % (W * PSEG); /* offset in the RStore */
	uint64_t unit = x / U, row = unit / W, col = unit % W;
	uint64_t poff = row * U + x % U;
	unsigned idx[2];
	l->n = 1;
	switch (ri.raid) {
	case VCTL_RAID0:
		idx[0] = (unsigned)col;
		break;
	case VCTL_RAID1:
		idx[0] = 0, idx[1] = 1, l->n = 2;
		poff = x;
		break;
	case VCTL_RAID10:
		idx[0] = (unsigned)(2 * col), idx[1] = (unsigned)(2 * col + 1), l->n = 2;
		break;
	case VCTL_RAID5: {
		unsigned pm = (unsigned)(row % (W + 1));
		idx[0] = (unsigned)(col < pm ? col : col + 1);
		break;
	}
	default:
		return -1;
	}
	for (int i = 0; i < l->n; i++) {
		l->disk[i] = ri.disk[idx[i]];
		l->byte[i] = g->quorum_size + (uint64_t)ri.pseg[idx[i]] * PSEG + poff;
	}
	return 0;
}

static int raw_byte(struct vctl_pool *p, uint32_t disk, uint64_t at, uint8_t *out)
{
	const struct vctl_member *m = p->by_index[disk];
	return m && pread(m->fd, out, 1, (off_t)at) == 1 ? 0 : -1;
}

/* RAID5: in every row of every RStore of the volume, the XOR of all
 * members is zero. */
static int parity_ok(struct vctl_pool *p, uint64_t vol, int *rows)
{
	*rows = 0;
	const struct vctl_geom *g = &p->mld.pool.geom;
	for (uint64_t rs = 0; rs < VSIZE; rs += 3ull * PSEG) {
		struct find f = {rs / RSEG, 0};
		vctl_volume_map_walk(p, vol, find_run, &f);
		if (!f.entry)
			continue;
		struct vctl_rsd_info ri;
		vctl_rsd_describe(p, (f.entry & VCTL_LMAP_RSD_MASK) - 1, &ri);
		uint8_t acc[PSEG], buf[PSEG];
		memset(acc, 0, sizeof(acc));
		for (unsigned k = 0; k < ri.nmembers; k++) {
			const struct vctl_member *m = p->by_index[ri.disk[k]];
			if (pread(m->fd, buf, PSEG, (off_t)(g->quorum_size + (uint64_t)ri.pseg[k] * PSEG)) != PSEG)
				return 0;
			for (unsigned i = 0; i < PSEG; i++)
				acc[i] ^= buf[i];
		}
		for (unsigned i = 0; i < PSEG; i++)
			if (acc[i])
				return 0;
		*rows += PSEG / STRIPE;
	}
	return 1;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/vctl-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("not ok 1 - mkdtemp\n");
		return 1;
	}
	struct vctl_init_opts io = {.ndisks = 6, .disk_size = 64ull << 20, .nencl = 3,
				    .pseg_size = PSEG, .rseg_size = RSEG,
				    .lmap_entries = LMAP_ENTRIES};
	struct vctl_init_result res;
	struct vctl_err e = {0};
	ok(vctl_pool_init(dir, &io, &res, &e) == 0, "init: %s", e.msg);
	vctl_init_result_free(&res);

	struct vctl_pool *p = open_pool();
	ok(p != NULL, "open");
	if (!p)
		return tap_done();
	uint32_t per_l2 = vctl_mblock_addrs(&p->mld.pool.geom);
	uint64_t span = (uint64_t)LMAP_ENTRIES * RSEG;
	/* Boundaries: RSEG, RStore (3 columns x PSEG), LMAP, L2MAP block. */
	uint64_t bounds[] = {RSEG, 3 * PSEG, 2 * 3 * PSEG, span, 7 * span, per_l2 * span,
			     2 * per_l2 * span, VSIZE / 2 + 12345, VSIZE - 4096};
	const int nb = sizeof(bounds) / sizeof(bounds[0]);

	struct {
		const char *name;
		uint8_t raid;
		uint32_t width;
	} vols[] = {{"r0", VCTL_RAID0, 3}, {"r1", VCTL_RAID1, 1}, {"r5", VCTL_RAID5, 3},
		    {"r10", VCTL_RAID10, 2}};
	struct range rg[4][16];
	for (int v = 0; v < 4; v++) {
		struct vctl_volume_spec s = {.name = vols[v].name, .size = VSIZE, .raid = vols[v].raid,
					     .width = vols[v].width, .stripe = STRIPE};
		ok(vctl_volume_create(p, &s, &e) == 0, "create %s: %s", vols[v].name, e.msg);
		uint64_t id;
		vctl_volume_find(p, vols[v].name, &id, &e);
		for (int b = 0; b < nb; b++) {
			struct range *r = &rg[v][b];
			r->off = bounds[b] > 3000 ? bounds[b] - 3000 : 0;
			r->len = bounds[b] + 5000 > VSIZE ? (uint32_t)(VSIZE - r->off) : 8000;
			r->data = malloc(r->len);
			for (uint32_t i = 0; i < r->len; i++)
				r->data[i] = rnd();
			vctl_volume_write(p, id, r->data, r->len, r->off, &e);
		}
		/* A full RAID5 row (3 x 16 KiB, row-aligned) takes the
		 * full-row path; the pieces above took read-modify-write. */
		struct range *r = &rg[v][nb];
		r->off = 5 * span + 3 * STRIPE;
		r->len = 3 * STRIPE;
		r->data = malloc(r->len);
		for (uint32_t i = 0; i < r->len; i++)
			r->data[i] = rnd();
		ok(vctl_volume_write(p, id, r->data, r->len, r->off, &e) == 0, "%s: writes: %s",
		   vols[v].name, e.msg);
	}
	ok(vctl_pool_commit(p, &e) == 0, "commit: %s", e.msg);
	vctl_pool_close(p);

	p = open_pool();
	ok(p != NULL, "reopen");
	if (!p)
		return tap_done();
	uint8_t *buf = malloc(1 << 20);
	for (int v = 0; v < 4; v++) {
		uint64_t id;
		vctl_volume_find(p, vols[v].name, &id, &e);
		int good = 0, placed = 0, samples = 0;
		for (int b = 0; b <= nb; b++) {
			struct range *r = &rg[v][b];
			if (vctl_volume_read(p, id, buf, r->len, r->off, &e) == 0 &&
			    !memcmp(buf, r->data, r->len))
				good++;
			for (uint32_t i = 0; i < r->len; i += 509) {
				struct loc l;
				samples++;
				if (locate(p, id, r->off + i, &l) < 0)
					continue;
				int hit = 0;
				for (int k = 0; k < l.n; k++) {
					uint8_t c;
					hit += raw_byte(p, l.disk[k], l.byte[k], &c) == 0 && c == r->data[i];
				}
				placed += hit == l.n;
			}
		}
		ok(good == nb + 1, "%s: %d of %d ranges across boundaries read back", vols[v].name,
		   good, nb + 1);
		ok(placed == samples, "%s: %d of %d sampled bytes are where the layout puts them",
		   vols[v].name, placed, samples);
		/* never written: between the first two ranges, and past the middle */
		int zero = vctl_volume_read(p, id, buf, 4096, rg[v][1].off + 9000, &e) == 0;
		for (int i = 0; zero && i < 4096; i++)
			zero = !buf[i];
		ok(zero, "%s: never-written space reads as zeros", vols[v].name);
		struct vctl_volume_info info;
		vctl_volume_info(p, vols[v].name, &info, &e);
		ok(info.allocated % RSEG == 0 && info.allocated > 0 && info.allocated < VSIZE / 8,
		   "%s: thin: %llu bytes allocated", vols[v].name, (unsigned long long)info.allocated);
		if (vols[v].raid == VCTL_RAID5) {
			int rows = 0;
			ok(parity_ok(p, id, &rows) && rows > 0, "r5: parity holds in all %d rows", rows);
		}
	}
	ok(vctl_volume_read(p, 1, buf, 2, VSIZE - 1, &e) == -EINVAL, "a read past the end: %s", e.msg);
	ok(vctl_volume_write(p, 1, buf, 2, VSIZE - 1, &e) == -ENOSPC, "a write past the end: %s",
	   e.msg);
	free(buf);
	vctl_pool_close(p);
	for (int v = 0; v < 4; v++)
		for (int b = 0; b <= nb; b++)
			free(rg[v][b].data);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
