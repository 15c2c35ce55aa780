#include "mld.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "bytes.h"
#include "crc.h"
#include "mblock.h"
#include "mld_rec.h"
#include "rsd.h"

#define HDR_CRC_OFF (VCTL_MLD_HEADER_SIZE - 4)
#define REC_HDR VCTL_MLD_REC_HDR
#define REC_VERSION VCTL_MLD_REC_VERSION

/* Body sizes of the fixed-size records (without the 8-byte record header). */
#define POOL_BODY (16 + 8 + 4 + 4 + 8 + 6 * 4 + 2 * 8)
#define ENCL_BODY (4 + 4 + 8 + 8 + VCTL_NAME_MAX)
#define DISK_BODY (4 * 4 + 16 + 3 * 8 + VCTL_DISK_NAME_MAX + 1)
#define VOL_BASE (6 * 8 + 6 * 4 + VCTL_NAME_MAX) /* + 8 per L2 block */
#define META_BODY (2 * 4 + VCTL_META_MAX_COPIES * 8 + 8)
#define RSDTAB_BASE 8 /* + 8 per directory block */
#define JOB_BODY (5 * 8 + 6 * 4)

#define pad8 vctl_pad8

static void put_geom(struct vctl_wcur *w, const struct vctl_geom *g)
{
	vctl_w32(w, g->sector_size);
	vctl_w32(w, g->pseg_size);
	vctl_w32(w, g->rseg_size);
	vctl_w32(w, g->lmap_entries);
	vctl_w32(w, g->rstore_width);
	vctl_w32(w, g->mblock_size);
	vctl_w64(w, g->mld_slot_size);
	vctl_w64(w, g->quorum_size);
}

static void get_geom(struct vctl_rcur *r, struct vctl_geom *g)
{
	g->sector_size = vctl_r32(r);
	g->pseg_size = vctl_r32(r);
	g->rseg_size = vctl_r32(r);
	g->lmap_entries = vctl_r32(r);
	g->rstore_width = vctl_r32(r);
	g->mblock_size = vctl_r32(r);
	g->mld_slot_size = vctl_r64(r);
	g->quorum_size = vctl_r64(r);
}

#define rec_begin vctl_mld_rec_begin
#define rec_end vctl_mld_rec_end

int vctl_mld_encode(const struct vctl_mld *m, uint8_t *buf, size_t cap, size_t *len,
		    struct vctl_err *err)
{
	if (cap < VCTL_MLD_HEADER_SIZE)
		return vctl_errf(err, -ENOSPC, "MLD slot too small");
	memset(buf, 0, cap);
	struct vctl_wcur w = {.buf = buf, .cap = cap, .off = VCTL_MLD_HEADER_SIZE};
	uint32_t nrec = 0;

	size_t at = rec_begin(&w, VCTL_REC_POOL);
	vctl_wbytes(&w, m->pool.uuid, 16);
	vctl_w64(&w, m->pool.created);
	vctl_w32(&w, m->pool.quorum_target);
	vctl_w32(&w, m->pool.flags);
	vctl_w64(&w, m->pool.next_id);
	put_geom(&w, &m->pool.geom);
	rec_end(&w, at);
	nrec++;

	for (uint32_t i = 0; i < m->nencl; i++) {
		const struct vctl_mld_encl *e = &m->encl[i];
		at = rec_begin(&w, VCTL_REC_ENCLOSURE);
		vctl_w32(&w, e->id);
		vctl_w32(&w, 0);
		vctl_w64(&w, e->mbps);
		vctl_w64(&w, e->iops);
		vctl_wstr(&w, e->name, VCTL_NAME_MAX);
		rec_end(&w, at);
		nrec++;
	}
	for (uint32_t i = 0; i < m->ndisks; i++) {
		const struct vctl_mld_disk *d = &m->disks[i];
		at = rec_begin(&w, VCTL_REC_DISK);
		vctl_w32(&w, d->index);
		vctl_w32(&w, d->encl);
		vctl_w32(&w, d->state);
		vctl_w32(&w, d->flags);
		vctl_wbytes(&w, d->uuid, 16);
		vctl_w64(&w, d->size);
		vctl_w64(&w, d->pseg_count);
		vctl_w64(&w, d->added);
		vctl_wstr(&w, d->name, VCTL_DISK_NAME_MAX + 1);
		rec_end(&w, at);
		nrec++;
	}
	for (uint32_t i = 0; i < m->nvol; i++) {
		const struct vctl_mld_volume *v = &m->vols[i];
		at = rec_begin(&w, VCTL_REC_VOLUME);
		vctl_w64(&w, v->id);
		vctl_w64(&w, v->size);
		vctl_w64(&w, v->created);
		vctl_w64(&w, v->origin);
		vctl_w64(&w, v->succ);
		vctl_w64(&w, v->cursor);
		vctl_w32(&w, v->raid);
		vctl_w32(&w, v->width);
		vctl_w32(&w, v->stripe);
		vctl_w32(&w, v->flags);
		vctl_w32(&w, v->nl2);
		vctl_w32(&w, v->reserve);
		vctl_wstr(&w, v->name, VCTL_NAME_MAX);
		for (uint32_t k = 0; k < v->nl2; k++)
			vctl_w64(&w, v->l2[k]);
		rec_end(&w, at);
		nrec++;
	}
	for (uint32_t i = 0; i < m->nmeta; i++) {
		const struct vctl_mld_meta *e = &m->meta[i];
		at = rec_begin(&w, VCTL_REC_META);
		vctl_w32(&w, e->index);
		vctl_w32(&w, e->ncopies);
		for (uint32_t k = 0; k < VCTL_META_MAX_COPIES; k++) {
			vctl_w32(&w, k < e->ncopies ? e->disk[k] : 0);
			vctl_w32(&w, k < e->ncopies ? e->pseg[k] : 0);
		}
		vctl_w32(&w, e->stale);
		vctl_w32(&w, 0);
		rec_end(&w, at);
		nrec++;
	}
	for (uint32_t i = 0; i < m->njobs; i++) {
		const struct vctl_mld_job *j = &m->jobs[i];
		at = rec_begin(&w, VCTL_REC_JOB);
		vctl_w64(&w, j->id);
		vctl_w64(&w, j->volume);
		vctl_w64(&w, j->created);
		vctl_w64(&w, j->cursor);
		vctl_w64(&w, j->rate);
		vctl_w32(&w, j->kind);
		vctl_w32(&w, j->state);
		vctl_w32(&w, j->raid);
		vctl_w32(&w, j->width);
		vctl_w32(&w, j->stripe);
		vctl_w32(&w, 0);
		rec_end(&w, at);
		nrec++;
	}
	if (m->rsd_blocks || m->ndirs) {
		at = rec_begin(&w, VCTL_REC_RSDTAB);
		vctl_w32(&w, m->rsd_blocks);
		vctl_w32(&w, m->ndirs);
		for (uint32_t k = 0; k < m->ndirs; k++)
			vctl_w64(&w, m->dirs[k]);
		rec_end(&w, at);
		nrec++;
	}
	vctl_mld_encode_access(m, &w, &nrec);
	vctl_mld_encode_reqs(m, &w, &nrec);
	if (w.overflow || w.off > UINT32_MAX)
		return vctl_errf(err, -ENOSPC,
				 "the MLD does not fit its %zu-byte slot", cap);

	size_t total = w.off;
	vctl_block_put_header(buf, VCTL_MLD_MAGIC, VCTL_T_MLD, VCTL_FORMAT_VERSION,
			      (uint32_t)total);
	vctl_put32(buf + 16, m->incompat);
	vctl_put32(buf + 20, m->compat);
	vctl_put32(buf + 24, m->ro_compat);
	vctl_put32(buf + 28, nrec);
	memcpy(buf + 32, m->pool.uuid, 16);
	vctl_put64(buf + 48, m->generation);
	vctl_put64(buf + 56, m->timestamp);
	vctl_put64(buf + 64, total - VCTL_MLD_HEADER_SIZE);
	vctl_put32(buf + 72, vctl_crc32(buf + VCTL_MLD_HEADER_SIZE,
					total - VCTL_MLD_HEADER_SIZE));
	vctl_put32(buf + HDR_CRC_OFF, vctl_crc32(buf, HDR_CRC_OFF));
	*len = total;
	return 0;
}

static int check_header(const uint8_t *buf, size_t len, unsigned flags, uint32_t *total,
			struct vctl_err *err)
{
	int r = vctl_block_check_header(buf, len, VCTL_MLD_MAGIC, VCTL_T_MLD,
					VCTL_MLD_HEADER_SIZE, UINT32_MAX, "MLD", total, err);
	if (r < 0)
		return r;
	uint32_t stored = vctl_get32(buf + HDR_CRC_OFF);
	uint32_t computed = vctl_crc32(buf, HDR_CRC_OFF);
	if (stored != computed && !(flags & VCTL_DECODE_IGNORE_CRC))
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "MLD: bad header crc (stored %08x, computed %08x)", stored,
				 computed);
	if (vctl_get64(buf + 64) != (uint64_t)*total - VCTL_MLD_HEADER_SIZE)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: payload length disagrees");
	return 0;
}

int vctl_mld_peek(const uint8_t *buf, size_t len, uint8_t pool_uuid[16],
		  uint64_t *generation, struct vctl_err *err)
{
	uint32_t total;
	int r = check_header(buf, len, 0, &total, err);
	if (r < 0)
		return r;
	memcpy(pool_uuid, buf + 32, 16);
	*generation = vctl_get64(buf + 48);
	return 0;
}

static void *grow(void *arr, uint32_t n, size_t elem)
{
	/* Doubling on powers of two keeps the decoder linear. */
	if (n & (n - 1))
		return arr;
	size_t cap = n ? (size_t)n * 2 : 4;
	return realloc(arr, cap * elem);
}

/* Reads n u64 addresses into a fresh array; the record length has already
 * been checked to hold exactly n. */
static uint64_t *read_addrs(struct vctl_rcur *r, uint32_t n)
{
	uint64_t *a = calloc(n ? n : 1, sizeof(*a));
	for (uint32_t k = 0; a && k < n; k++)
		a[k] = vctl_r64(r);
	return a;
}

static int decode_record(struct vctl_mld *m, uint16_t type, struct vctl_rcur *r,
			 bool *seen_pool, bool *seen_rsdtab, struct vctl_err *err)
{
	bool ok = true;
	switch (type) {
	case VCTL_REC_POOL:
		if (*seen_pool)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: two pool records");
		*seen_pool = true;
		vctl_rbytes(r, m->pool.uuid, 16);
		m->pool.created = vctl_r64(r);
		m->pool.quorum_target = vctl_r32(r);
		m->pool.flags = vctl_r32(r);
		m->pool.next_id = vctl_r64(r);
		get_geom(r, &m->pool.geom);
		break;
	case VCTL_REC_ENCLOSURE: {
		void *p = grow(m->encl, m->nencl, sizeof(*m->encl));
		if (!p)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		m->encl = p;
		struct vctl_mld_encl *e = &m->encl[m->nencl++];
		memset(e, 0, sizeof(*e));
		e->id = vctl_r32(r);
		ok = vctl_r32(r) == 0;
		e->mbps = vctl_r64(r);
		e->iops = vctl_r64(r);
		ok = vctl_rstr(r, e->name, VCTL_NAME_MAX) && ok;
		break;
	}
	case VCTL_REC_DISK: {
		void *p = grow(m->disks, m->ndisks, sizeof(*m->disks));
		if (!p)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		m->disks = p;
		struct vctl_mld_disk *d = &m->disks[m->ndisks++];
		memset(d, 0, sizeof(*d));
		d->index = vctl_r32(r);
		d->encl = vctl_r32(r);
		d->state = vctl_r32(r);
		d->flags = vctl_r32(r);
		vctl_rbytes(r, d->uuid, 16);
		d->size = vctl_r64(r);
		d->pseg_count = vctl_r64(r);
		d->added = vctl_r64(r);
		/* A 256-byte field, but d->name holds at most 255 bytes and the
		 * NUL: the last byte must be NUL. */
		ok = vctl_rstr(r, d->name, VCTL_DISK_NAME_MAX);
		const uint8_t *nul = vctl_r_take(r, 1);
		ok = ok && nul && !*nul;
		break;
	}
	case VCTL_REC_VOLUME: {
		void *p = grow(m->vols, m->nvol, sizeof(*m->vols));
		if (!p)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		m->vols = p;
		struct vctl_mld_volume *v = &m->vols[m->nvol++];
		memset(v, 0, sizeof(*v));
		v->id = vctl_r64(r);
		v->size = vctl_r64(r);
		v->created = vctl_r64(r);
		v->origin = vctl_r64(r);
		v->succ = vctl_r64(r);
		v->cursor = vctl_r64(r);
		v->raid = vctl_r32(r);
		v->width = vctl_r32(r);
		v->stripe = vctl_r32(r);
		v->flags = vctl_r32(r);
		v->nl2 = vctl_r32(r);
		v->reserve = vctl_r32(r);
		ok = vctl_rstr(r, v->name, VCTL_NAME_MAX);
		if (r->len - r->off != pad8(REC_HDR + VOL_BASE + 8 * (size_t)v->nl2) - REC_HDR -
						VOL_BASE)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: volume record length disagrees with its %u L2MAP blocks",
					 v->nl2);
		v->l2 = read_addrs(r, v->nl2);
		if (!v->l2)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		break;
	}
	case VCTL_REC_META: {
		void *p = grow(m->meta, m->nmeta, sizeof(*m->meta));
		if (!p)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		m->meta = p;
		struct vctl_mld_meta *e = &m->meta[m->nmeta++];
		memset(e, 0, sizeof(*e));
		e->index = vctl_r32(r);
		e->ncopies = vctl_r32(r);
		for (uint32_t k = 0; k < VCTL_META_MAX_COPIES; k++) {
			e->disk[k] = vctl_r32(r);
			e->pseg[k] = vctl_r32(r);
		}
		e->stale = vctl_r32(r);
		ok = vctl_r32(r) == 0;
		break;
	}
	case VCTL_REC_JOB: {
		void *p = grow(m->jobs, m->njobs, sizeof(*m->jobs));
		if (!p)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		m->jobs = p;
		struct vctl_mld_job *j = &m->jobs[m->njobs++];
		memset(j, 0, sizeof(*j));
		j->id = vctl_r64(r);
		j->volume = vctl_r64(r);
		j->created = vctl_r64(r);
		j->cursor = vctl_r64(r);
		j->rate = vctl_r64(r);
		j->kind = vctl_r32(r);
		j->state = vctl_r32(r);
		j->raid = vctl_r32(r);
		j->width = vctl_r32(r);
		j->stripe = vctl_r32(r);
		ok = vctl_r32(r) == 0;
		if (!ok)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu: reserved field is set",
					 (unsigned long long)j->id);
		break;
	}
	case VCTL_REC_RSDTAB:
		if (*seen_rsdtab)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: two RSD table records");
		*seen_rsdtab = true;
		m->rsd_blocks = vctl_r32(r);
		m->ndirs = vctl_r32(r);
		/* An empty table is written as no record at all: one encoding. */
		if (!m->rsd_blocks)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: empty RSD table record");
		if (r->len - r->off != pad8(REC_HDR + RSDTAB_BASE + 8 * (size_t)m->ndirs) -
					       REC_HDR - RSDTAB_BASE)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: RSD table record length disagrees with its %u directory blocks",
					 m->ndirs);
		m->dirs = read_addrs(r, m->ndirs);
		if (!m->dirs)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		break;
	case VCTL_REC_HOST:
	case VCTL_REC_DOMAIN:
	case VCTL_REC_PATH:
		return vctl_mld_decode_access(m, type, r, err);
	case VCTL_REC_REQ:
		return vctl_mld_decode_req(m, r, err);
	default:
		return vctl_errf(err, -VCTL_E_VERSION,
				 "MLD: unknown record type %u (written by a newer vctl?)",
				 type);
	}
	if (r->bad)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: record type %u is truncated",
				 type);
	if (!ok)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: record type %u: bad string",
				 type);
	return 0;
}

static size_t body_size(uint16_t type)
{
	switch (type) {
	case VCTL_REC_POOL:
		return POOL_BODY;
	case VCTL_REC_ENCLOSURE:
		return ENCL_BODY;
	case VCTL_REC_DISK:
		return DISK_BODY;
	case VCTL_REC_META:
		return META_BODY;
	case VCTL_REC_JOB:
		return JOB_BODY;
	case VCTL_REC_HOST:
		return VCTL_HOST_BODY;
	case VCTL_REC_DOMAIN:
		return VCTL_DOMAIN_BODY;
	case VCTL_REC_PATH:
		return VCTL_PATH_BODY;
	case VCTL_REC_REQ:
		return VCTL_REQ_BODY;
	}
	return 0; /* variable length: checked by the record's decoder */
}

int vctl_mld_decode(const uint8_t *buf, size_t len, unsigned flags, struct vctl_mld *m,
		    struct vctl_err *err)
{
	memset(m, 0, sizeof(*m));
	uint32_t total;
	int r = check_header(buf, len, flags, &total, err);
	if (r < 0)
		return r;
	m->version = vctl_get16(buf + 10);
	m->incompat = vctl_get32(buf + 16);
	m->compat = vctl_get32(buf + 20);
	m->ro_compat = vctl_get32(buf + 24);
	m->nrecords = vctl_get32(buf + 28);
	m->generation = vctl_get64(buf + 48);
	m->timestamp = vctl_get64(buf + 56);
	m->payload_len = vctl_get64(buf + 64);
	for (size_t i = 76; i < HDR_CRC_OFF; i++)
		if (buf[i])
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: reserved header byte %zu is set", i);
	m->hdr_crc_stored = vctl_get32(buf + HDR_CRC_OFF);
	m->hdr_crc_computed = vctl_crc32(buf, HDR_CRC_OFF);
	m->payload_crc_stored = vctl_get32(buf + 72);
	m->payload_crc_computed =
		vctl_crc32(buf + VCTL_MLD_HEADER_SIZE, total - VCTL_MLD_HEADER_SIZE);
	if (m->payload_crc_stored != m->payload_crc_computed &&
	    !(flags & VCTL_DECODE_IGNORE_CRC))
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "MLD: bad payload crc (stored %08x, computed %08x)",
				 m->payload_crc_stored, m->payload_crc_computed);
	if (m->incompat & ~VCTL_MLD_INCOMPAT_KNOWN)
		return vctl_errf(err, -VCTL_E_VERSION,
				 "MLD: unknown incompatible features %#x", m->incompat);
	/* Each record is at least 8 bytes: a count beyond that is a lie. */
	if (m->nrecords > (total - VCTL_MLD_HEADER_SIZE) / REC_HDR)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: impossible record count %u",
				 m->nrecords);

	bool seen_pool = false, seen_rsdtab = false;
	size_t off = VCTL_MLD_HEADER_SIZE;
	for (uint32_t i = 0; i < m->nrecords; i++) {
		if (total - off < REC_HDR)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: record %u is truncated", i);
		uint16_t type = vctl_get16(buf + off);
		uint16_t ver = vctl_get16(buf + off + 2);
		uint32_t rlen = vctl_get32(buf + off + 4);
		if (rlen < REC_HDR || rlen % 8 || rlen > total - off)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: record %u has bad length %u", i, rlen);
		if (ver == 0 || ver > REC_VERSION)
			return vctl_errf(err, ver ? -VCTL_E_VERSION : -VCTL_E_CORRUPT,
					 "MLD: record %u has version %u", i, ver);
		size_t want = body_size(type);
		if (want && pad8(REC_HDR + want) != rlen)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: record %u (type %u) has length %u, expected %zu",
					 i, type, rlen, pad8(REC_HDR + want));
		if (i == 0 && type != VCTL_REC_POOL)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: the first record is not the pool record");
		struct vctl_rcur rc = {.buf = buf + off + REC_HDR, .len = rlen - REC_HDR};
		if (!want && (type == VCTL_REC_VOLUME || type == VCTL_REC_RSDTAB) &&
		    rlen < REC_HDR + (type == VCTL_REC_VOLUME ? VOL_BASE : RSDTAB_BASE))
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: record %u is truncated", i);
		r = decode_record(m, type, &rc, &seen_pool, &seen_rsdtab, err);
		if (r < 0)
			return r;
		off += rlen;
	}
	if (off != total)
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "MLD: %zu bytes after the last record", (size_t)total - off);
	if (!seen_pool)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: no pool record");
	if (memcmp(m->pool.uuid, buf + 32, 16) != 0)
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "MLD: pool record and header disagree on the pool UUID");
	return vctl_mld_validate(m, err);
}

/* Duplicate detection by sorting, so a hostile MLD with millions of
 * records costs n log n, not n^2. */
struct key {
	uint64_t k;
	const char *s;
	uint32_t at;
};

static int cmp_key(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	if (x->s || y->s)
		return strcmp(x->s, y->s);
	return x->k < y->k ? -1 : x->k > y->k;
}

/* Returns the position of a duplicate, or -1; -2 if out of memory. */
static long find_dup(struct key *keys, uint32_t n)
{
	if (n < 2)
		return -1;
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (uint32_t i = 1; i < n; i++)
		if (!cmp_key(&keys[i - 1], &keys[i]))
			return keys[i].at;
	return -1;
}

static int dup_check(uint32_t n, size_t elem, const void *arr, size_t off, bool is_str,
		     long *dup)
{
	struct key *keys = calloc(n ? n : 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const char *p = (const char *)arr + i * elem + off;
		keys[i].at = i;
		if (is_str)
			keys[i].s = p;
		else
			memcpy(&keys[i].k, p, sizeof(uint64_t));
	}
	*dup = find_dup(keys, n);
	free(keys);
	return 0;
}

#define DUP(n, arr, field, is_str, dup)                                                  \
	dup_check((n), sizeof(*(arr)), (arr), offsetof(__typeof__(*(arr)), field), (is_str), (dup))

uint64_t vctl_lmap_span(const struct vctl_geom *g)
{
	return (uint64_t)g->lmap_entries * g->rseg_size;
}

uint32_t vctl_volume_lmaps(const struct vctl_geom *g, uint64_t size)
{
	uint64_t span = vctl_lmap_span(g);
	return (uint32_t)((size + span - 1) / span);
}

uint32_t vctl_volume_l2_blocks(const struct vctl_geom *g, uint64_t size)
{
	uint32_t per = vctl_mblock_addrs(g);
	return (vctl_volume_lmaps(g, size) + per - 1) / per;
}

uint64_t vctl_max_volume_size(const struct vctl_geom *g)
{
	/* capped so that offsets and sizes never wrap in 64 bits */
	uint64_t span = vctl_lmap_span(g), cap = 1ull << 60;
	return span > cap / VCTL_MAX_LMAPS_PER_VOLUME ? cap : span * VCTL_MAX_LMAPS_PER_VOLUME;
}

uint32_t vctl_meta_blocks_per_extent(const struct vctl_geom *g)
{
	return g->pseg_size / g->mblock_size;
}

static int validate_chains(const struct vctl_mld *m, struct vctl_err *err);
static int validate_volume_ids(const struct vctl_mld *m, struct vctl_err *err);

static int validate_volumes(const struct vctl_mld *m, struct vctl_err *err)
{
	const struct vctl_geom *g = &m->pool.geom;
	for (uint32_t i = 0; i < m->nvol; i++) {
		const struct vctl_mld_volume *v = &m->vols[i];
		if (!vctl_name_valid(v->name))
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: volume %llu has a bad name",
					 (unsigned long long)v->id);
		if (v->id == 0 || v->id >= m->pool.next_id)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: volume %s has id %llu, not below next_id %llu", v->name,
					 (unsigned long long)v->id,
					 (unsigned long long)m->pool.next_id);
		if (v->size == 0 || v->size % VCTL_SECTOR || v->size > vctl_max_volume_size(g))
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: volume %s has size %llu",
					 v->name, (unsigned long long)v->size);
		struct vctl_rsd_layout l = {.raid = (uint8_t)v->raid, .width = (uint8_t)v->width,
					    .stripe = v->stripe};
		struct vctl_err le;
		if (v->raid > 255 || v->width > 255 || vctl_layout_check(&l, g, &le) < 0)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: volume %s: %s", v->name,
					 v->raid > 255 || v->width > 255 ? "bad layout" : le.msg);
		if (v->flags & ~VCTL_VOL_FLAGS_KNOWN)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: volume %s has unknown flags %#x",
					 v->name, v->flags);
		if ((v->flags & VCTL_VOL_SEPARATE) && v->raid == VCTL_RAID0)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: raid0 volume %s asks for separate enclosures", v->name);
		if (v->nl2 != vctl_volume_l2_blocks(g, v->size))
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: volume %s has %u L2MAP blocks, its size needs %u",
					 v->name, v->nl2, vctl_volume_l2_blocks(g, v->size));
		if (v->cursor && (!(v->flags & VCTL_VOL_CLONE) ||
				  v->cursor > (v->size + g->rseg_size - 1) / g->rseg_size))
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: volume %s has copy cursor %llu",
					 v->name, (unsigned long long)v->cursor);
		if (v->origin && (v->origin >= m->pool.next_id || v->origin == v->id))
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: volume %s has a bad origin",
					 v->name);
	}
	return validate_volume_ids(m, err);
}

static int cmp_u64_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Sharing chains: each successor is another volume, no two volumes have
 * the same successor, and following successors ends (no loop). Linear
 * after a sort: the MLD is validated at every commit. */
static int validate_chains(const struct vctl_mld *m, struct vctl_err *err)
{
	uint32_t n = m->nvol;
	uint64_t *byid = malloc(2 * sizeof(uint64_t) * (n ? n : 1));
	uint32_t *seen = calloc(n ? n : 1, sizeof(uint32_t));
	if (!byid || !seen) {
		free(byid);
		free(seen);
		return vctl_errf(err, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < n; i++) {
		byid[2 * i] = m->vols[i].id;
		byid[2 * i + 1] = i;
	}
	qsort(byid, n, 2 * sizeof(uint64_t), cmp_u64_pair);
	int r = 0;
	/* successor index of each volume, UINT32_MAX = none */
	for (uint32_t i = 0; i < n && r == 0; i++) {
		const struct vctl_mld_volume *v = &m->vols[i];
		if (!v->succ)
			continue;
		uint64_t key[2] = {v->succ, 0};
		const uint64_t *f = bsearch(key, byid, n, 2 * sizeof(uint64_t), cmp_u64_pair);
		if (!f || v->succ == v->id) {
			r = vctl_errf(err, -VCTL_E_CORRUPT,
				      "MLD: volume %s has successor id %llu, which is no other volume",
				      v->name, (unsigned long long)v->succ);
			break;
		}
		uint32_t s = (uint32_t)f[1];
		if (seen[s]) {
			r = vctl_errf(err, -VCTL_E_CORRUPT,
				      "MLD: volumes %s and %s have the same successor %s",
				      m->vols[seen[s] - 1].name, v->name, m->vols[s].name);
			break;
		}
		seen[s] = i + 1; /* predecessor + 1 */
	}
	/* With one predecessor each, a loop is a chain with no head: walk
	 * back from every volume that has no successor; whatever has a
	 * successor and was not reached lies on a loop. */
	uint32_t reached = 0, with_succ = 0;
	for (uint32_t i = 0; i < n && r == 0; i++) {
		if (m->vols[i].succ) {
			with_succ++;
			continue;
		}
		for (uint32_t at = i; seen[at]; at = seen[at] - 1)
			reached++;
	}
	if (r == 0 && reached != with_succ)
		r = vctl_errf(err, -VCTL_E_CORRUPT, "MLD: a sharing chain is a loop");
	free(byid);
	free(seen);
	return r;
}

static int validate_volume_ids(const struct vctl_mld *m, struct vctl_err *err)
{
	long dup;
	if (DUP(m->nvol, m->vols, id, false, &dup) < 0 ||
	    (dup < 0 && DUP(m->nvol, m->vols, name, true, &dup) < 0))
		return vctl_errf(err, -ENOMEM, "out of memory");
	if (dup >= 0)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: volume %s (id %llu) appears twice",
				 m->vols[dup].name, (unsigned long long)m->vols[dup].id);
	return validate_chains(m, err);
}

/* A restripe: an existing volume that is not a snapclone being copied, a
 * cursor inside it, and a valid layout to move from that is not the
 * volume's own. */
static int validate_restripe(const struct vctl_mld *m, const struct vctl_mld_job *j,
			     struct vctl_err *err)
{
	const struct vctl_geom *g = &m->pool.geom;
	unsigned long long id = j->id;
	const struct vctl_mld_volume *v = vctl_mld_volume_by_id(m, j->volume);
	if (!v)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu works on volume %llu, which does not exist",
				 id, (unsigned long long)j->volume);
	if (v->flags & VCTL_VOL_CLONE)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu restripes snapclone %s, which is still being copied",
				 id, v->name);
	if (j->cursor > (v->size + g->rseg_size - 1) / g->rseg_size)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu has cursor %llu past the end of %s",
				 id, (unsigned long long)j->cursor, v->name);
	struct vctl_rsd_layout l = {.raid = (uint8_t)j->raid, .width = (uint8_t)j->width,
				    .stripe = j->stripe};
	struct vctl_err le;
	if (j->raid > 255 || j->width > 255 || vctl_layout_check(&l, g, &le) < 0)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu: %s", id,
				 j->raid > 255 || j->width > 255 ? "bad layout" : le.msg);
	if (j->raid == v->raid && j->width == v->width && j->stripe == v->stripe)
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "MLD: job %llu restripes %s to the layout it has", id, v->name);
	return 0;
}

/* Level, evacuate and rebuild work on the pool: no volume; a migration
 * works on an existing volume with a requirement record. None is ever
 * cancelling, and an evacuation names an existing disk (in raid's place;
 * width, stripe zero). */
static int validate_pool_job(const struct vctl_mld *m, const struct vctl_mld_job *j,
			     struct vctl_err *err)
{
	unsigned long long id = j->id;
	bool evac = j->kind == VCTL_JOB_EVACUATE;
	if (j->kind == VCTL_JOB_MIGRATE) {
		if (!vctl_mld_volume_by_id(m, j->volume))
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: job %llu migrates volume %llu, which does not exist", id,
					 (unsigned long long)j->volume);
		if (!vctl_mld_req_of(m, j->volume))
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: job %llu migrates volume %llu, which has no requirement", id,
					 (unsigned long long)j->volume);
	} else if (j->volume) {
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu (%s) names a volume", id,
				 vctl_job_kind_name(j->kind));
	}
	if (j->state != VCTL_JOB_RUNNING)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu (%s) cannot be cancelling", id,
				 vctl_job_kind_name(j->kind));
	if ((!evac && j->raid) || j->width || j->stripe)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu (%s): unused fields are set", id,
				 vctl_job_kind_name(j->kind));
	if (evac && !vctl_mld_disk_by_index(m, j->disk))
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu evacuates disk %u, which does not exist",
				 id, j->disk);
	return 0;
}

/* Jobs: known kind and state, an id of their own, and what each kind
 * needs; one job of a kind per volume (restripe), one level job, one
 * rebuild job, one evacuation per disk. */
static int validate_jobs(const struct vctl_mld *m, struct vctl_err *err)
{
	for (uint32_t i = 0; i < m->njobs; i++) {
		const struct vctl_mld_job *j = &m->jobs[i];
		unsigned long long id = j->id;
		if (j->id == 0 || j->id >= m->pool.next_id || vctl_mld_volume_by_id(m, j->id))
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu has a bad id", id);
		if (j->kind != VCTL_JOB_RESTRIPE && j->kind != VCTL_JOB_LEVEL &&
		    j->kind != VCTL_JOB_EVACUATE && j->kind != VCTL_JOB_REBUILD &&
		    j->kind != VCTL_JOB_MIGRATE)
			return vctl_errf(err, -VCTL_E_VERSION,
					 "MLD: job %llu is of unknown kind %u (written by a newer vctl?)",
					 id, j->kind);
		if (j->state != VCTL_JOB_RUNNING && j->state != VCTL_JOB_CANCELLING)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu has unknown state %u", id,
					 j->state);
		int r = j->kind == VCTL_JOB_RESTRIPE ? validate_restripe(m, j, err)
						     : validate_pool_job(m, j, err);
		if (r < 0)
			return r;
		for (uint32_t k = 0; k < i; k++)
			if (m->jobs[k].id == j->id ||
			    (m->jobs[k].volume == j->volume && m->jobs[k].kind == j->kind &&
			     (j->kind != VCTL_JOB_EVACUATE || m->jobs[k].disk == j->disk)))
				return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: job %llu appears twice", id);
	}
	return 0;
}

static int validate_meta(const struct vctl_mld *m, struct vctl_err *err)
{
	for (uint32_t i = 0; i < m->nmeta; i++) {
		const struct vctl_mld_meta *e = &m->meta[i];
		if (e->ncopies == 0 || e->ncopies > VCTL_META_MAX_COPIES)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: metadata extent %u has %u copies", e->index,
					 e->ncopies);
		if (e->index >= m->nmeta)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: metadata extent %u of %u", e->index, m->nmeta);
		/* at least one copy must be in step */
		if (e->stale >> e->ncopies || e->stale == (1u << e->ncopies) - 1)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: metadata extent %u: stale mask %#x", e->index, e->stale);
		for (uint32_t k = 0; k < VCTL_META_MAX_COPIES; k++) {
			if (k >= e->ncopies) {
				if (e->disk[k] || e->pseg[k])
					return vctl_errf(err, -VCTL_E_CORRUPT,
							 "MLD: metadata extent %u: unused copy set",
							 e->index);
				continue;
			}
			const struct vctl_mld_disk *d = vctl_mld_disk_by_index(m, e->disk[k]);
			if (!d || e->pseg[k] >= d->pseg_count)
				return vctl_errf(err, -VCTL_E_CORRUPT,
						 "MLD: metadata extent %u: copy %u is not on a PSEG of the pool",
						 e->index, k);
			for (uint32_t j = 0; j < k; j++)
				if (e->disk[j] == e->disk[k])
					return vctl_errf(err, -VCTL_E_CORRUPT,
							 "MLD: metadata extent %u: two copies on disk %u",
							 e->index, e->disk[k]);
		}
	}
	/* Indices are 0 .. nmeta-1, each once. */
	uint8_t *seen = calloc(m->nmeta ? m->nmeta : 1, 1);
	if (!seen)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nmeta; i++) {
		if (seen[m->meta[i].index]++) {
			free(seen);
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: metadata extent %u appears twice",
					 m->meta[i].index);
		}
	}
	free(seen);
	uint32_t per = vctl_mblock_addrs(&m->pool.geom);
	if (m->ndirs != (m->rsd_blocks + per - 1) / per)
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "MLD: %u RSD directory blocks for %u RSD blocks", m->ndirs,
				 m->rsd_blocks);
	return 0;
}

int vctl_mld_validate(const struct vctl_mld *m, struct vctl_err *err)
{
	struct vctl_err gerr;
	if (vctl_geom_check(&m->pool.geom, &gerr) < 0)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: pool geometry: %s", gerr.msg);
	if (vctl_uuid_is_zero(m->pool.uuid))
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: zero pool UUID");
	if (m->ndisks == 0 || m->ndisks > VCTL_MAX_DISKS)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: %u disks", m->ndisks);
	if (m->nencl > VCTL_MAX_DISKS)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: %u enclosures", m->nencl);
	if (m->pool.flags & ~VCTL_POOL_FLAGS_KNOWN)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: unknown pool flags %#x", m->pool.flags);
	if (m->pool.quorum_target == 0 || m->pool.quorum_target > m->ndisks)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: quorum target %u of %u disks",
				 m->pool.quorum_target, m->ndisks);
	for (uint32_t i = 0; i < m->nencl; i++) {
		if (!vctl_name_valid(m->encl[i].name))
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: enclosure %u has a bad name", m->encl[i].id);
		for (uint32_t j = 0; j < i; j++) {
			if (m->encl[j].id == m->encl[i].id)
				return vctl_errf(err, -VCTL_E_CORRUPT,
						 "MLD: enclosure id %u appears twice",
						 m->encl[i].id);
			if (!strcmp(m->encl[j].name, m->encl[i].name))
				return vctl_errf(err, -VCTL_E_CORRUPT,
						 "MLD: enclosure name %s appears twice",
						 m->encl[i].name);
		}
	}
	uint32_t quorum = 0;
	for (uint32_t i = 0; i < m->ndisks; i++) {
		const struct vctl_mld_disk *d = &m->disks[i];
		if (d->index >= VCTL_MAX_DISKS)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: disk index %u out of range", d->index);
		if (d->state != VCTL_DISK_ACTIVE && d->state != VCTL_DISK_FAILED)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: disk %u has unknown state %u", d->index,
					 d->state);
		if (d->flags & ~VCTL_DISK_F_QUORUM)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: disk %u has unknown flags %#x", d->index,
					 d->flags);
		if (!vctl_mld_encl_by_id(m, d->encl))
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: disk %u refers to unknown enclosure %u",
					 d->index, d->encl);
		if (vctl_uuid_is_zero(d->uuid))
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: disk %u has a zero UUID",
					 d->index);
		uint64_t fit = vctl_geom_psegs(&m->pool.geom, d->size);
		if (d->pseg_count == 0 || d->pseg_count > fit ||
		    d->pseg_count > VCTL_MAX_PSEGS_PER_DISK)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: disk %u: %llu PSEGs do not fit %llu bytes",
					 d->index, (unsigned long long)d->pseg_count,
					 (unsigned long long)d->size);
		for (uint32_t j = 0; j < i; j++) {
			if (m->disks[j].index == d->index)
				return vctl_errf(err, -VCTL_E_CORRUPT,
						 "MLD: disk index %u appears twice", d->index);
			if (!memcmp(m->disks[j].uuid, d->uuid, 16))
				return vctl_errf(err, -VCTL_E_CORRUPT,
						 "MLD: disks %u and %u have the same UUID",
						 m->disks[j].index, d->index);
		}
		if (d->flags & VCTL_DISK_F_QUORUM)
			quorum++;
	}
	if (quorum == 0)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: no quorum disk");
	int r = validate_volumes(m, err);
	if (r == 0)
		r = validate_meta(m, err);
	if (r == 0)
		r = validate_jobs(m, err);
	if (r == 0)
		r = vctl_mld_validate_access(m, err);
	if (r == 0)
		r = vctl_mld_validate_reqs(m, err);
	return r;
}

void vctl_mld_free(struct vctl_mld *m)
{
	for (uint32_t i = 0; i < m->nvol; i++)
		free(m->vols[i].l2);
	free(m->encl);
	free(m->disks);
	free(m->vols);
	free(m->meta);
	free(m->dirs);
	free(m->jobs);
	m->jobs = NULL;
	m->njobs = 0;
	vctl_mld_free_access(m);
	free(m->reqs);
	m->reqs = NULL;
	m->nreqs = 0;
	m->encl = NULL;
	m->disks = NULL;
	m->vols = NULL;
	m->meta = NULL;
	m->dirs = NULL;
	m->nencl = m->ndisks = m->nvol = m->nmeta = m->ndirs = 0;
}

static void *dup_array(const void *src, size_t n, size_t elem, bool *fail)
{
	if (!n)
		return NULL;
	void *p = malloc(n * elem);
	if (!p) {
		*fail = true;
		return NULL;
	}
	memcpy(p, src, n * elem);
	return p;
}

int vctl_mld_dup(const struct vctl_mld *src, struct vctl_mld *dst)
{
	bool fail = false;
	*dst = *src;
	dst->encl = dup_array(src->encl, src->nencl, sizeof(*src->encl), &fail);
	dst->disks = dup_array(src->disks, src->ndisks, sizeof(*src->disks), &fail);
	dst->meta = dup_array(src->meta, src->nmeta, sizeof(*src->meta), &fail);
	dst->dirs = dup_array(src->dirs, src->ndirs, sizeof(*src->dirs), &fail);
	dst->jobs = dup_array(src->jobs, src->njobs, sizeof(*src->jobs), &fail);
	dst->reqs = dup_array(src->reqs, src->nreqs, sizeof(*src->reqs), &fail);
	dst->vols = dup_array(src->vols, src->nvol, sizeof(*src->vols), &fail);
	for (uint32_t i = 0; dst->vols && i < src->nvol; i++)
		dst->vols[i].l2 = dup_array(src->vols[i].l2, src->vols[i].nl2,
					    sizeof(*src->vols[i].l2), &fail);
	if (fail) {
		/* still src's: not ours to free */
		dst->hosts = NULL;
		dst->domains = NULL;
		dst->paths = NULL;
		dst->nhosts = dst->ndomains = dst->npaths = 0;
	} else if (vctl_mld_dup_access(src, dst) < 0) {
		fail = true;
	}
	if (fail) {
		if (!dst->vols)
			dst->nvol = 0;
		vctl_mld_free(dst);
		return -ENOMEM;
	}
	return 0;
}

struct vctl_mld_volume *vctl_mld_volume_by_name(const struct vctl_mld *m, const char *name)
{
	for (uint32_t i = 0; i < m->nvol; i++)
		if (!strcmp(m->vols[i].name, name))
			return &m->vols[i];
	return NULL;
}

struct vctl_mld_volume *vctl_mld_volume_by_id(const struct vctl_mld *m, uint64_t id)
{
	for (uint32_t i = 0; i < m->nvol; i++)
		if (m->vols[i].id == id)
			return &m->vols[i];
	return NULL;
}

struct vctl_mld_job *vctl_mld_job_by_id(const struct vctl_mld *m, uint64_t id)
{
	for (uint32_t i = 0; i < m->njobs; i++)
		if (m->jobs[i].id == id)
			return &m->jobs[i];
	return NULL;
}

struct vctl_mld_job *vctl_mld_job_of(const struct vctl_mld *m, uint64_t vol, uint32_t kind)
{
	for (uint32_t i = 0; i < m->njobs; i++)
		if (m->jobs[i].volume == vol && m->jobs[i].kind == kind)
			return &m->jobs[i];
	return NULL;
}

const char *vctl_job_kind_name(uint32_t kind)
{
	switch (kind) {
	case VCTL_JOB_RESTRIPE:
		return "restripe";
	case VCTL_JOB_LEVEL:
		return "level";
	case VCTL_JOB_EVACUATE:
		return "evacuate";
	case VCTL_JOB_REBUILD:
		return "rebuild";
	case VCTL_JOB_MIGRATE:
		return "migrate";
	}
	return "unknown";
}

const char *vctl_job_state_name(uint32_t state)
{
	switch (state) {
	case VCTL_JOB_RUNNING:
		return "running";
	case VCTL_JOB_CANCELLING:
		return "cancelling";
	}
	return "unknown";
}

const struct vctl_mld_encl *vctl_mld_encl_by_id(const struct vctl_mld *m, uint32_t id)
{
	for (uint32_t i = 0; i < m->nencl; i++)
		if (m->encl[i].id == id)
			return &m->encl[i];
	return NULL;
}

const struct vctl_mld_encl *vctl_mld_encl_by_name(const struct vctl_mld *m,
						  const char *name)
{
	for (uint32_t i = 0; i < m->nencl; i++)
		if (!strcmp(m->encl[i].name, name))
			return &m->encl[i];
	return NULL;
}

struct vctl_mld_disk *vctl_mld_disk_by_index(const struct vctl_mld *m, uint32_t index)
{
	for (uint32_t i = 0; i < m->ndisks; i++)
		if (m->disks[i].index == index)
			return &m->disks[i];
	return NULL;
}

const char *vctl_disk_state_name(uint32_t state)
{
	switch (state) {
	case VCTL_DISK_ACTIVE:
		return "active";
	case VCTL_DISK_FAILED:
		return "failed";
	}
	return "unknown";
}
