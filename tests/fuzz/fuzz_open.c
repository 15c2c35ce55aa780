/* libFuzzer target: pool open + check on arbitrary quorum-space and
 * metadata-block bytes (lib/pool.c, lib/load.c, lib/check*.c and every
 * decoder they call).
 *
 * Once per process, a small valid pool is built with the library in a
 * directory under /dev/shm (or $TMPDIR; removed at exit): 3 disks of
 * 4 MiB, 64 KiB PSEGs, RSEGs and MLD slots, 16 RSEGs per LMAP (so a
 * volume has several LMAP blocks); a RAID5 volume with data and a
 * snapshot that shares some and had some copied on first write, a RAID1
 * volume with data, a restripe job and a partial last LMAP, an empty
 * RAID0 volume, a host, a domain and a path. So there are labels, MLDs in
 * both slots, and L2MAP, LMAP, RSD directory and RSD blocks, plus stale
 * blocks of earlier generations.
 *
 * An input is a sequence of patches applied to those images; each patch
 * is a 5-byte header and, for the byte-editing ops, `len` bytes:
 *
 *   byte 0   bits 6-7: op: 0 write, 1 xor, 2 reseal, 3 write;
 *            bits 0-5: disk (mod 3), or for a metadata block the copy
 *            (mod the extent's copies)
 *   byte 1   area: 0 label A, 1 label B, 2 MLD slot 0, 3 MLD slot 1,
 *            4 + k: metadata block k (mod the number of blocks) of a list
 *            that puts the blocks the current MLD reaches first, ordered
 *            by (type, owner, index), then every other block by address
 *   byte 2-3 offset in the area (little-endian, mod the area's size)
 *   byte 4   len; write/xor take the next len bytes (fewer at the end of
 *            the input), clipped at the area's end
 *
 * "reseal" recomputes the area's crcs as the format defines them (an
 * MLD's payload crc over the length its header states, clamped to the
 * slot), so an edit can be refused for its field, not its crc. Xor and
 * the list order make a patch mean the same thing in every process,
 * although UUIDs and timestamps differ: tests/fuzz/make-seeds.py writes
 * the seeds this way.
 *
 * Then, for each input: a plain read-only open, and if it succeeds the
 * check (VCTL_CHECK_DATA | VCTL_CHECK_INTENTS) and a read of each
 * volume's first 256 KiB; if it refuses, a forensic open (what `vctl
 * check` does) and the check. Invariants (abort() when broken):
 * - a failure returns a negative code, sets err.code to it and a message;
 * - the check reports problems and notes with messages;
 * - a plain open that refuses leaves a forensic check that is not clean
 *   (or a forensic open that refuses too): damage is never silent;
 * - nothing is written to the images (their mtimes stay).
 * Every patched area is restored afterwards from a copy taken at build
 * time; ASan's leak check covers the frees.
 *
 * The replayer's name prefixes (tests/fuzz/fuzz.h) mean: valid-: opens,
 * check clean; damaged-: opens, check reports the damage; refused-: the
 * plain open refuses, and check reports the damage.
 *
 * FUZZ_OPEN_VERBOSE=1 prints the block list and what open and check say;
 * FUZZ_OPEN_KEEP=1 leaves the pool directory in place. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fmt/bytes.h"
#include "fmt/mblock.h"
#include "fmt/mld.h"
#include "lib/access.h"
#include "lib/check.h"
#include "lib/init.h"
#include "lib/pool.h"
#include "lib/restripe.h"
#include "lib/share.h"
#include "lib/volume.h"
#include "tests/fuzz/fuzz.h"

#define NDISKS 3
#define LABEL_SIZE 4096u
#define LABEL_B_OFF (256u * 1024)
#define SLOT0_OFF (512u * 1024)
#define MAX_BLOCKS 512u
#define READ_MAX (256u * 1024)

enum kind { K_LABEL, K_MLD, K_MBLOCK };

struct area {
	int fd;
	uint64_t off;
	uint32_t size;
	enum kind kind;
	uint8_t *pristine;
	bool dirty;
};

struct block {
	uint64_t addr;
	uint16_t type;
	uint64_t owner, index;
	bool used;
	uint32_t ncopies;
	struct area copy[VCTL_META_MAX_COPIES];
};

static char dir[96];
static int fds[NDISKS];
static struct area quorum[NDISKS][4];
static struct block blocks[MAX_BLOCKS];
static uint32_t nblocks;
static uint8_t *scratch;

static void die(const char *what, const struct vctl_err *err)
{
	fprintf(stderr, "fuzz_open: building the pool: %s: %s\n", what, err ? err->msg : "");
	abort();
}

static void cleanup(void)
{
	if (getenv("FUZZ_OPEN_KEEP"))
		return;
	for (int d = 0; d < NDISKS; d++)
		if (fds[d] > 0)
			close(fds[d]);
	char p[128];
	for (int d = 0; d < NDISKS; d++) {
		snprintf(p, sizeof(p), "%s/disk%d.img", dir, d);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/%s", dir, VCTL_LOCK_NAME);
	unlink(p);
	rmdir(dir);
}

static void pread_all(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	if (pread(fd, buf, n, (off_t)off) != (ssize_t)n)
		die("pread", NULL);
}

static void pwrite_all(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
		die("pwrite", NULL);
}

static void area_init(struct area *a, int fd, uint64_t off, uint32_t size, enum kind k)
{
	a->fd = fd;
	a->off = off;
	a->size = size;
	a->kind = k;
	a->pristine = malloc(size);
	if (!a->pristine)
		die("malloc", NULL);
	pread_all(fd, a->pristine, size, off);
}

static void make_pool(void)
{
	struct vctl_err err = {0};
	struct vctl_init_opts o = {
		.ndisks = NDISKS,
		.disk_size = 4u << 20,
		.nencl = NDISKS,
		.pseg_size = 64u * 1024,
		.rseg_size = 64u * 1024,
		.lmap_entries = 16,
		.mld_slot_size = 64u * 1024,
	};
	struct vctl_init_result res;
	memset(&res, 0, sizeof(res));
	if (vctl_pool_init(dir, &o, &res, &err) < 0)
		die("init", &err);
	vctl_init_result_free(&res);

	struct vctl_pool *p;
	if (vctl_pool_open(dir, VCTL_OPEN_WRITE, &p, &err) < 0)
		die("open", &err);
	static const struct vctl_volume_spec vols[] = {
		{.name = "r5", .size = 3u << 20, .raid = VCTL_RAID5, .width = 2},
		{.name = "mirror", .size = 768u * 1024, .raid = VCTL_RAID1},
		{.name = "empty", .size = 2u << 20, .raid = VCTL_RAID0},
	};
	for (size_t i = 0; i < sizeof(vols) / sizeof(vols[0]); i++)
		if (vctl_volume_create(p, &vols[i], &err) < 0)
			die("create", &err);
	static uint8_t data[192 * 1024];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	uint64_t r5, mirror;
	if (vctl_volume_find(p, "r5", &r5, &err) < 0 || vctl_volume_find(p, "mirror", &mirror, &err) < 0)
		die("find", &err);
	/* first LMAP, and the second one's start */
	if (vctl_volume_write(p, r5, data, sizeof(data), 0, &err) < 0 ||
	    vctl_volume_write(p, r5, data, 64u * 1024, (1u << 20) + 128u * 1024, &err) < 0 ||
	    vctl_volume_write(p, mirror, data, 64u * 1024, 512u * 1024, &err) < 0 ||
	    vctl_pool_commit(p, &err) < 0)
		die("write", &err);
	if (vctl_snapshot(p, "r5", "snap", false, &err) < 0)
		die("snapshot", &err);
	/* copy on first write: some RSEGs shared, some not */
	if (vctl_volume_write(p, r5, data + 5, 64u * 1024, 64u * 1024, &err) < 0 ||
	    vctl_pool_commit(p, &err) < 0)
		die("write after snapshot", &err);
	uint64_t id;
	struct vctl_domain_spec ds = {.name = "slow", .set_iops = true, .max_iops = 100};
	if (vctl_host_add(p, "h", 1000, false, 0, &id, &err) < 0 ||
	    vctl_domain_create(p, &ds, &id, &err) < 0 ||
	    vctl_path_add(p, "h", "r5", "slow", false, &id, &err) < 0)
		die("access", &err);
	struct vctl_restripe_req rq = {.stripe = 16u * 1024};
	struct vctl_restripe_plan plan;
	if (vctl_restripe_start(p, "mirror", &rq, &plan, &id, &err) < 0)
		die("restripe", &err);
	vctl_pool_close(p);
}

static int by_key(const void *a, const void *b)
{
	const struct block *x = a, *y = b;
	if (x->used != y->used)
		return x->used ? -1 : 1;
	if (!x->used)
		return x->addr < y->addr ? -1 : x->addr > y->addr;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->owner != y->owner)
		return x->owner < y->owner ? -1 : 1;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static struct block *block_at(uint64_t addr)
{
	for (uint32_t i = 0; i < nblocks; i++)
		if (blocks[i].addr == addr)
			return &blocks[i];
	return NULL;
}

/* Marks a block the MLD reaches, and what it points at. */
static void reach(uint64_t addr, const struct vctl_geom *g, int depth)
{
	struct block *b = block_at(addr);
	if (!b || b->used || depth > 2)
		return;
	b->used = true;
	const uint8_t *buf = b->copy[0].pristine;
	b->type = vctl_get16(buf + 8);
	b->owner = vctl_get64(buf + 48);
	b->index = vctl_get64(buf + 56);
	if (b->type != VCTL_T_L2 && b->type != VCTL_T_RSDDIR)
		return;
	uint32_t n = vctl_mblock_addrs(g);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = vctl_get64(buf + VCTL_MBLOCK_HDR + 8u * i);
		if (a)
			reach(a, g, depth + 1);
	}
}

static void build(void)
{
	/* tmpfs when there is one: every input rewrites parts of the images */
	const char *tmp = getenv("TMPDIR");
	if (access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	else if (!tmp || !*tmp || strlen(tmp) > sizeof(dir) - 24)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/vctl-fuzz-open.XXXXXX", tmp);
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	atexit(cleanup);
	make_pool();

	struct vctl_err err = {0};
	struct vctl_pool *p;
	if (vctl_pool_open(dir, 0, &p, &err) < 0)
		die("reopen", &err);
	const struct vctl_geom *g = &p->mld.pool.geom;
	for (uint32_t d = 0; d < NDISKS; d++) {
		if (!p->by_index[d])
			die("a disk is missing", NULL);
		fds[d] = open(p->by_index[d]->path, O_RDWR | O_CLOEXEC);
		if (fds[d] < 0)
			die(p->by_index[d]->path, NULL);
		area_init(&quorum[d][0], fds[d], 0, LABEL_SIZE, K_LABEL);
		area_init(&quorum[d][1], fds[d], LABEL_B_OFF, LABEL_SIZE, K_LABEL);
		for (int s = 0; s < 2; s++)
			area_init(&quorum[d][2 + s], fds[d], SLOT0_OFF + s * g->mld_slot_size,
				  (uint32_t)g->mld_slot_size, K_MLD);
	}
	uint32_t bpe = g->pseg_size / g->mblock_size;
	for (uint32_t e = 0; e < p->mld.nmeta; e++) {
		const struct vctl_mld_meta *m = &p->mld.meta[e];
		for (uint32_t k = 0; k < bpe; k++) {
			uint64_t addr = (uint64_t)m->index * bpe + k;
			if (!addr)
				continue;
			if (nblocks == MAX_BLOCKS)
				die("too many metadata blocks", NULL);
			struct block *b = &blocks[nblocks++];
			memset(b, 0, sizeof(*b));
			b->addr = addr;
			b->ncopies = m->ncopies;
			for (uint32_t c = 0; c < m->ncopies; c++)
				area_init(&b->copy[c], fds[m->disk[c]],
					  g->quorum_size + (uint64_t)m->pseg[c] * g->pseg_size +
						  (uint64_t)k * g->mblock_size,
					  g->mblock_size, K_MBLOCK);
		}
	}
	for (uint32_t i = 0; i < p->mld.ndirs; i++)
		reach(p->mld.dirs[i], g, 0);
	for (uint32_t v = 0; v < p->mld.nvol; v++)
		for (uint32_t i = 0; i < p->mld.vols[v].nl2; i++)
			reach(p->mld.vols[v].l2[i], g, 0);
	qsort(blocks, nblocks, sizeof(blocks[0]), by_key);
	if (getenv("FUZZ_OPEN_VERBOSE")) {
		fprintf(stderr, "fuzz_open: pool in %s; metadata blocks (area 4 + k):\n", dir);
		for (uint32_t i = 0; i < nblocks; i++)
			if (blocks[i].used)
				fprintf(stderr,
					"  k=%u addr %llu type %u owner %llu index %llu copies %u, "
					"copy 0 at byte %llu\n",
					i, (unsigned long long)blocks[i].addr, blocks[i].type,
					(unsigned long long)blocks[i].owner,
					(unsigned long long)blocks[i].index, blocks[i].ncopies,
					(unsigned long long)blocks[i].copy[0].off);
		fprintf(stderr, "  %u blocks in all\n", nblocks);
	}
	size_t most = g->mld_slot_size > g->mblock_size ? g->mld_slot_size : g->mblock_size;
	vctl_pool_close(p);
	scratch = malloc(most > LABEL_SIZE ? most : LABEL_SIZE);
	if (!scratch)
		die("malloc", NULL);
}

static void reseal(struct area *a, uint8_t *buf)
{
	switch (a->kind) {
	case K_LABEL:
		vctl_put32(buf + LABEL_SIZE - 4, (uint32_t)crc32(0L, buf, LABEL_SIZE - 4));
		break;
	case K_MLD: {
		uint32_t len = vctl_get32(buf + 12);
		if (len > a->size)
			len = a->size;
		if (len > VCTL_MLD_HEADER_SIZE)
			vctl_put32(buf + 72, (uint32_t)crc32(0L, buf + VCTL_MLD_HEADER_SIZE,
							      len - VCTL_MLD_HEADER_SIZE));
		vctl_put32(buf + 124, (uint32_t)crc32(0L, buf, 124));
		break;
	}
	case K_MBLOCK:
		vctl_put32(buf + a->size - 4, (uint32_t)crc32(0L, buf, a->size - 4));
		break;
	}
}

static void patch(uint8_t op, uint32_t sel, uint8_t which, uint16_t off16, const uint8_t *bytes,
		  size_t n)
{
	struct area *a;
	if (which < 4) {
		a = &quorum[sel % NDISKS][which];
	} else {
		if (!nblocks)
			return;
		struct block *b = &blocks[(which - 4u) % nblocks];
		a = &b->copy[sel % b->ncopies];
	}
	uint8_t *buf = scratch;
	pread_all(a->fd, buf, a->size, a->off);
	uint32_t off = off16 % a->size;
	if (n > a->size - off)
		n = a->size - off;
	if (op == 2)
		reseal(a, buf);
	else if (op == 1)
		for (size_t i = 0; i < n; i++)
			buf[off + i] ^= bytes[i];
	else
		memcpy(buf + off, bytes, n);
	pwrite_all(a->fd, buf, a->size, a->off);
	a->dirty = true;
}

static void restore(struct area *a)
{
	if (a->dirty)
		pwrite_all(a->fd, a->pristine, a->size, a->off);
	a->dirty = false;
}

static void check_failure(int r, const struct vctl_err *err, const char *what)
{
	FUZZ_CHECK(r < 0, "%s: returned %d", what, r);
	FUZZ_CHECK(err->code == r, "%s: err.code %d, returned %d (%s)", what, err->code, r,
		   err->msg);
	FUZZ_CHECK(err->msg[0] != '\0' && memchr(err->msg, '\0', sizeof(err->msg)),
		   "%s: no message", what);
}

/* Runs the check; returns the problems it reports, or -1 if it could not
 * run. */
static int64_t run_check(const struct vctl_pool *p, const char *what)
{
	struct vctl_check_report rep;
	struct vctl_err err = {0};
	int r = vctl_pool_check(p, VCTL_CHECK_DATA | VCTL_CHECK_INTENTS, &rep, &err);
	if (r < 0) {
		check_failure(r, &err, what);
		return -1;
	}
	for (uint32_t i = 0; i < rep.n; i++)
		FUZZ_CHECK(rep.problems[i] && rep.problems[i][0], "%s: empty problem", what);
	for (uint32_t i = 0; i < rep.nnotes; i++)
		FUZZ_CHECK(rep.notes[i] && rep.notes[i][0], "%s: empty note", what);
	int64_t n = rep.n;
	if (getenv("FUZZ_OPEN_VERBOSE"))
		for (uint32_t i = 0; i < rep.n; i++)
			fprintf(stderr, "fuzz_open: %s: %s\n", what, rep.problems[i]);
	vctl_check_report_free(&rep);
	return n;
}

static void read_volumes(struct vctl_pool *p)
{
	static uint8_t buf[READ_MAX];
	for (uint32_t i = 0; i < p->mld.nvol && i < 16; i++) {
		const struct vctl_mld_volume *v = &p->mld.vols[i];
		size_t len = v->size < READ_MAX ? (size_t)v->size : READ_MAX;
		struct vctl_err err = {0};
		int r = vctl_volume_read(p, v->id, buf, len, 0, &err);
		if (r < 0)
			check_failure(r, &err, "read");
	}
}

enum fuzz_expect fuzz_expect;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!scratch)
		build();
	size_t i = 0;
	while (size - i >= 5) {
		uint8_t op = data[i] >> 6, which = data[i + 1];
		uint32_t sel = data[i] & 63u;
		uint16_t off = (uint16_t)(data[i + 2] | data[i + 3] << 8);
		size_t n = data[i + 4];
		i += 5;
		if (op == 2) {
			patch(op, sel, which, off, NULL, 0);
			continue;
		}
		if (n > size - i)
			n = size - i;
		patch(op, sel, which, off, data + i, n);
		i += n;
	}

	struct stat before[NDISKS];
	for (int d = 0; d < NDISKS; d++)
		if (fstat(fds[d], &before[d]) < 0)
			die("fstat", NULL);

	const char *verbose = getenv("FUZZ_OPEN_VERBOSE");
	struct vctl_err err = {0};
	struct vctl_pool *p;
	int ro = vctl_pool_open(dir, 0, &p, &err);
	int64_t plain = -1, forensic = -1;
	char why[sizeof(err.msg)];
	snprintf(why, sizeof(why), "%s", err.msg);
	if (ro < 0) {
		check_failure(ro, &err, "open");
		if (verbose)
			fprintf(stderr, "fuzz_open: open: %s\n", err.msg);
	} else {
		plain = run_check(p, "check");
		read_volumes(p);
		vctl_pool_close(p);
	}
	/* A forensic open differs from a plain one only where the plain one
	 * refuses: skipping it otherwise halves the time per input. */
	memset(&err, 0, sizeof(err));
	int rf = ro == 0 ? 1 : vctl_pool_open(dir, VCTL_OPEN_FORENSIC, &p, &err);
	if (rf == 1) {
		forensic = plain;
	} else if (rf < 0) {
		check_failure(rf, &err, "forensic open");
		if (verbose)
			fprintf(stderr, "fuzz_open: forensic open: %s\n", err.msg);
	} else {
		forensic = run_check(p, "forensic check");
		vctl_pool_close(p);
	}
	if (ro < 0 && rf == 0)
		FUZZ_CHECK(forensic != 0, "the open refuses (%s) but check finds nothing", why);

	for (int d = 0; d < NDISKS; d++) {
		struct stat st;
		if (fstat(fds[d], &st) < 0)
			die("fstat", NULL);
		FUZZ_CHECK(st.st_mtim.tv_sec == before[d].st_mtim.tv_sec &&
				   st.st_mtim.tv_nsec == before[d].st_mtim.tv_nsec &&
				   st.st_size == before[d].st_size,
			   "a read-only open and check changed disk %d", d);
	}

	switch (fuzz_expect) {
	case FUZZ_EXPECT_ANY:
	case FUZZ_EXPECT_BAD_CRC:
		break;
	case FUZZ_EXPECT_VALID:
		FUZZ_CHECK(ro == 0 && plain == 0, "valid-* input: open %d, problems %lld", ro,
			   (long long)plain);
		break;
	case FUZZ_EXPECT_DAMAGED:
		FUZZ_CHECK(ro == 0 && plain > 0, "damaged-* input: open %d, problems %lld", ro,
			   (long long)plain);
		break;
	case FUZZ_EXPECT_REFUSED:
		FUZZ_CHECK(ro < 0 && (rf < 0 || forensic > 0),
			   "refused-* input: open %d, forensic open %d, problems %lld", ro, rf,
			   (long long)forensic);
		break;
	}

	for (int d = 0; d < NDISKS; d++)
		for (int k = 0; k < 4; k++)
			restore(&quorum[d][k]);
	for (uint32_t b = 0; b < nblocks; b++)
		for (uint32_t c = 0; c < blocks[b].ncopies; c++)
			restore(&blocks[b].copy[c]);
	return 0;
}
