#include "mld.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "bytes.h"
#include "crc.h"

#define HDR_CRC_OFF (VCTL_MLD_HEADER_SIZE - 4)
#define REC_HDR 8u
#define REC_VERSION 1u

/* Body sizes of the fixed-size records (without the 8-byte record header). */
#define POOL_BODY (16 + 8 + 4 + 4 + 8 + 6 * 4 + 2 * 8)
#define ENCL_BODY (4 + 4 + 8 + 8 + VCTL_NAME_MAX)
#define DISK_BODY (4 * 4 + 16 + 3 * 8 + VCTL_DISK_NAME_MAX + 1)

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

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

/* Starts a record; returns the offset of its header so rec_end can fill the
 * length in. */
static size_t rec_begin(struct vctl_wcur *w, uint16_t type)
{
	size_t at = w->off;
	vctl_w16(w, type);
	vctl_w16(w, REC_VERSION);
	vctl_w32(w, 0);
	return at;
}

static void rec_end(struct vctl_wcur *w, size_t at)
{
	size_t end = pad8(w->off);
	if (end > w->off)
		vctl_w_take(w, end - w->off); /* zero padding: buffer is pre-zeroed */
	if (!w->overflow)
		vctl_put32(w->buf + at + 4, (uint32_t)(w->off - at));
}

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

static int decode_record(struct vctl_mld *m, uint16_t type, struct vctl_rcur *r,
			 bool *seen_pool, struct vctl_err *err)
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
		vctl_r32(r);
		e->mbps = vctl_r64(r);
		e->iops = vctl_r64(r);
		ok = vctl_rstr(r, e->name, VCTL_NAME_MAX);
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
	}
	return 0;
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

	bool seen_pool = false;
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
		r = decode_record(m, type, &rc, &seen_pool, err);
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

int vctl_mld_validate(const struct vctl_mld *m, struct vctl_err *err)
{
	struct vctl_err gerr;
	if (vctl_geom_check(&m->pool.geom, &gerr) < 0)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: pool geometry: %s", gerr.msg);
	if (vctl_uuid_is_zero(m->pool.uuid))
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: zero pool UUID");
	if (m->ndisks == 0 || m->ndisks > VCTL_MAX_DISKS)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: %u disks", m->ndisks);
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
		if (d->pseg_count == 0 || d->pseg_count > fit)
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
	return 0;
}

void vctl_mld_free(struct vctl_mld *m)
{
	free(m->encl);
	free(m->disks);
	m->encl = NULL;
	m->disks = NULL;
	m->nencl = m->ndisks = 0;
}

int vctl_mld_dup(const struct vctl_mld *src, struct vctl_mld *dst)
{
	*dst = *src;
	dst->encl = NULL;
	dst->disks = NULL;
	if (src->nencl) {
		dst->encl = malloc(src->nencl * sizeof(*dst->encl));
		if (!dst->encl)
			goto fail;
		memcpy(dst->encl, src->encl, src->nencl * sizeof(*dst->encl));
	}
	if (src->ndisks) {
		dst->disks = malloc(src->ndisks * sizeof(*dst->disks));
		if (!dst->disks)
			goto fail;
		memcpy(dst->disks, src->disks, src->ndisks * sizeof(*dst->disks));
	}
	return 0;
fail:
	vctl_mld_free(dst);
	return -ENOMEM;
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
