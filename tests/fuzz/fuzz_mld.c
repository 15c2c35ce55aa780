/* libFuzzer target for the MLD decoder (fmt/mld.c).
 *
 * For every input, with flags 0 and with VCTL_DECODE_IGNORE_CRC:
 * - a failed decode returns -VCTL_E_CORRUPT or -VCTL_E_VERSION (or
 *   -ENOMEM) with a message; the struct is freed all the same (mld.h: "on
 *   failure the struct ... must still be freed");
 * - a successful decode covers exactly the header's `length` bytes; it
 *   re-encodes into a buffer of exactly that size (one byte less is
 *   -ENOSPC), the re-encoding decodes with flags 0 to the same contents,
 *   and encoding that again gives the same bytes; every byte the decoder
 *   interprets comes back unchanged (header bytes 0..71; the records,
 *   grouped by type in the encoder's order), so it accepts one encoding
 *   per value;
 * - a successful flags-0 decode means both crcs match, computed here with
 *   zlib directly; the IGNORE_CRC decode and vctl_mld_peek() then succeed
 *   with the same answers; vctl_mld_dup() copies the same contents. */
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "fmt/block.h"
#include "fmt/bytes.h"
#include "fmt/mld.h"
#include "tests/fuzz/fuzz.h"

#define HDR VCTL_MLD_HEADER_SIZE
/* Header bytes 0..71: magic .. payload_length; then payload_crc, reserved
 * and header_crc. */
#define HDR_FIELDS_END 72

static void check_failure(int r, const struct vctl_err *err, const char *what)
{
	FUZZ_CHECK(r == -VCTL_E_CORRUPT || r == -VCTL_E_VERSION || r == -ENOMEM,
		   "%s: unexpected code %d (%s)", what, r, err->msg);
	FUZZ_CHECK(err->code == r, "%s: err.code %d, returned %d", what, err->code, r);
	FUZZ_CHECK(err->msg[0] != '\0' && memchr(err->msg, '\0', sizeof(err->msg)),
		   "%s: no message", what);
}

/* Every decoded field, crc bookkeeping aside. */
static void check_same(const struct vctl_mld *a, const struct vctl_mld *b,
		       const char *what)
{
#define SAME(f) FUZZ_CHECK(a->f == b->f, "%s: field " #f " differs", what)
	SAME(version);
	SAME(incompat);
	SAME(compat);
	SAME(ro_compat);
	SAME(generation);
	SAME(timestamp);
	SAME(payload_len);
	SAME(nrecords);
	FUZZ_CHECK(!memcmp(a->pool.uuid, b->pool.uuid, 16), "%s: pool uuid differs", what);
	SAME(pool.created);
	SAME(pool.quorum_target);
	SAME(pool.flags);
	SAME(pool.next_id);
	SAME(pool.geom.sector_size);
	SAME(pool.geom.pseg_size);
	SAME(pool.geom.rseg_size);
	SAME(pool.geom.lmap_entries);
	SAME(pool.geom.rstore_width);
	SAME(pool.geom.mblock_size);
	SAME(pool.geom.mld_slot_size);
	SAME(pool.geom.quorum_size);
	SAME(nencl);
	SAME(ndisks);
	for (uint32_t i = 0; i < a->nencl; i++) {
		SAME(encl[i].id);
		SAME(encl[i].mbps);
		SAME(encl[i].iops);
		FUZZ_CHECK(memchr(a->encl[i].name, '\0', sizeof(a->encl[i].name)) &&
				   memchr(b->encl[i].name, '\0', sizeof(b->encl[i].name)),
			   "%s: enclosure %u name not terminated", what, i);
		FUZZ_CHECK(!strcmp(a->encl[i].name, b->encl[i].name),
			   "%s: enclosure %u name differs", what, i);
	}
	for (uint32_t i = 0; i < a->ndisks; i++) {
		SAME(disks[i].index);
		SAME(disks[i].encl);
		SAME(disks[i].state);
		SAME(disks[i].flags);
		FUZZ_CHECK(!memcmp(a->disks[i].uuid, b->disks[i].uuid, 16),
			   "%s: disk %u uuid differs", what, i);
		SAME(disks[i].size);
		SAME(disks[i].pseg_count);
		SAME(disks[i].added);
		FUZZ_CHECK(memchr(a->disks[i].name, '\0', sizeof(a->disks[i].name)) &&
				   memchr(b->disks[i].name, '\0', sizeof(b->disks[i].name)),
			   "%s: disk %u name not terminated", what, i);
		FUZZ_CHECK(!strcmp(a->disks[i].name, b->disks[i].name),
			   "%s: disk %u name differs", what, i);
	}
	SAME(nvol);
	for (uint32_t i = 0; i < a->nvol; i++) {
		SAME(vols[i].id);
		SAME(vols[i].size);
		SAME(vols[i].created);
		SAME(vols[i].origin);
		SAME(vols[i].raid);
		SAME(vols[i].width);
		SAME(vols[i].stripe);
		SAME(vols[i].flags);
		FUZZ_CHECK(memchr(a->vols[i].name, '\0', sizeof(a->vols[i].name)) &&
				   memchr(b->vols[i].name, '\0', sizeof(b->vols[i].name)),
			   "%s: volume %u name not terminated", what, i);
		FUZZ_CHECK(!strcmp(a->vols[i].name, b->vols[i].name),
			   "%s: volume %u name differs", what, i);
		SAME(vols[i].nl2);
		for (uint32_t k = 0; k < a->vols[i].nl2; k++)
			SAME(vols[i].l2[k]);
	}
	SAME(nmeta);
	for (uint32_t i = 0; i < a->nmeta; i++) {
		SAME(meta[i].index);
		SAME(meta[i].ncopies);
		SAME(meta[i].stale);
		for (uint32_t k = 0; k < VCTL_META_MAX_COPIES; k++) {
			SAME(meta[i].disk[k]);
			SAME(meta[i].pseg[k]);
		}
	}
	SAME(njobs);
	for (uint32_t i = 0; i < a->njobs; i++) {
		SAME(jobs[i].id);
		SAME(jobs[i].volume);
		SAME(jobs[i].created);
		SAME(jobs[i].cursor);
		SAME(jobs[i].rate);
		SAME(jobs[i].kind);
		SAME(jobs[i].state);
		SAME(jobs[i].raid);
		SAME(jobs[i].width);
		SAME(jobs[i].stripe);
	}
	SAME(rsd_blocks);
	SAME(ndirs);
	for (uint32_t k = 0; k < a->ndirs; k++)
		SAME(dirs[k]);
	SAME(nhosts);
	for (uint32_t i = 0; i < a->nhosts; i++) {
		SAME(hosts[i].id);
		SAME(hosts[i].uid);
		SAME(hosts[i].gid);
		SAME(hosts[i].flags);
		FUZZ_CHECK(!strcmp(a->hosts[i].name, b->hosts[i].name), "%s: host %u name differs",
			   what, i);
	}
	SAME(ndomains);
	for (uint32_t i = 0; i < a->ndomains; i++) {
		SAME(domains[i].id);
		SAME(domains[i].max_iops);
		SAME(domains[i].max_mbps);
		SAME(domains[i].flags);
		FUZZ_CHECK(!strcmp(a->domains[i].name, b->domains[i].name),
			   "%s: domain %u name differs", what, i);
	}
	SAME(npaths);
	for (uint32_t i = 0; i < a->npaths; i++) {
		SAME(paths[i].id);
		SAME(paths[i].host);
		SAME(paths[i].volume);
		SAME(paths[i].domain);
		SAME(paths[i].created);
		SAME(paths[i].flags);
	}
	SAME(nreqs);
	for (uint32_t i = 0; i < a->nreqs; i++) {
		SAME(reqs[i].volume);
		SAME(reqs[i].mbps);
		SAME(reqs[i].iops);
		SAME(reqs[i].fit);
		SAME(reqs[i].narrays);
		for (uint32_t k = 0; k < a->reqs[i].narrays && k < VCTL_REQ_MAX_ARRAYS; k++)
			SAME(reqs[i].arrays[k]);
	}
#undef SAME
}

/* The record types the encoder writes, in the order it writes them. A new
 * record type must be added here (and to check_same()). */
static const uint16_t rec_order[] = {
	VCTL_REC_POOL, VCTL_REC_ENCLOSURE, VCTL_REC_DISK,
	VCTL_REC_VOLUME, VCTL_REC_META, VCTL_REC_JOB, VCTL_REC_RSDTAB,
	VCTL_REC_HOST, VCTL_REC_DOMAIN, VCTL_REC_PATH, VCTL_REC_REQ,
};

/* What the encoder must write for the records of data[0..total), which
 * decoded: the records grouped by type in rec_order, each group in input
 * order, byte for byte, except an enclosure record's reserved word, which
 * the decoder ignores (zero here). */
static void expected_payload(const uint8_t *data, size_t total, uint8_t *out)
{
	size_t at = HDR;
	for (size_t t = 0; t < sizeof(rec_order) / sizeof(rec_order[0]); t++) {
		uint16_t type = rec_order[t];
		/* The decoder has checked that the lengths chain to `total`. */
		for (size_t off = HDR; off < total; off += vctl_get32(data + off + 4)) {
			size_t rlen = vctl_get32(data + off + 4);
			if (vctl_get16(data + off) != type)
				continue;
			memcpy(out + at, data + off, rlen);
			if (type == VCTL_REC_ENCLOSURE)
				memset(out + at + 8 + 4, 0, 4);
			at += rlen;
		}
	}
	FUZZ_CHECK(at == total, "a record type unknown to this harness was accepted: "
				"add it to rec_order and check_same()");
}

/* The round trip of a decoded MLD `a` that came from data[0..total). */
static void check_round_trip(const struct vctl_mld *a, const uint8_t *data, size_t total,
			     const char *what)
{
	struct vctl_err err = {0};
	uint8_t *buf = malloc(total), *buf2 = malloc(total);
	FUZZ_CHECK(buf && buf2, "out of memory");
	size_t len = 0, len2 = 0;
	int r = vctl_mld_encode(a, buf, total, &len, &err);
	FUZZ_CHECK(r == 0, "%s: encode into %zu bytes: %d %s", what, total, r, err.msg);
	FUZZ_CHECK(len == total, "%s: encoded %zu bytes, decoded %zu", what, len, total);
	FUZZ_CHECK(!memcmp(buf, data, HDR_FIELDS_END),
		   "%s: re-encoding changes the header fields", what);
	expected_payload(data, total, buf2);
	FUZZ_CHECK(!memcmp(buf + HDR, buf2 + HDR, total - HDR),
		   "%s: re-encoding changes the records", what);

	/* One byte short must not fit (and must not write past cap: ASan). */
	uint8_t *small = malloc(total - 1);
	FUZZ_CHECK(small, "out of memory");
	r = vctl_mld_encode(a, small, total - 1, &len2, &err);
	FUZZ_CHECK(r == -ENOSPC && err.code == r, "%s: encode into %zu bytes: %d", what,
		   total - 1, r);
	free(small);

	struct vctl_mld b;
	r = vctl_mld_decode(buf, len, 0, &b, &err);
	FUZZ_CHECK(r == 0, "%s: re-encoding does not decode: %s", what, err.msg);
	FUZZ_CHECK(b.hdr_crc_stored == b.hdr_crc_computed &&
			   b.payload_crc_stored == b.payload_crc_computed,
		   "%s: re-encoding crcs", what);
	check_same(a, &b, what);
	r = vctl_mld_encode(&b, buf2, total, &len2, &err);
	FUZZ_CHECK(r == 0 && len2 == len && !memcmp(buf, buf2, len),
		   "%s: encoding not stable", what);
	vctl_mld_free(&b);

	struct vctl_mld c;
	FUZZ_CHECK(vctl_mld_dup(a, &c) == 0, "%s: dup failed", what);
	check_same(a, &c, "dup");
	vctl_mld_free(&c);
	free(buf);
	free(buf2);
}

/* Decodes with `flags`; returns the decoder's code, the contents in *m
 * (which the caller frees, success or not). */
static int check_decode(const uint8_t *data, size_t size, unsigned flags, struct vctl_mld *m)
{
	const char *what = flags ? "IGNORE_CRC" : "strict";
	struct vctl_err err = {0};
	int r = vctl_mld_decode(data, size, flags, m, &err);
	if (r < 0) {
		check_failure(r, &err, what);
		struct vctl_mld tmp;
		int r2 = vctl_mld_decode(data, size, flags, &tmp, NULL);
		vctl_mld_free(&tmp);
		FUZZ_CHECK(r2 == r, "%s: result depends on err", what);
		return r;
	}
	FUZZ_CHECK(r == 0, "%s: decode returned %d", what, r);
	FUZZ_CHECK(size >= HDR, "%s: accepted %zu bytes", what, size);
	size_t total = vctl_get32(data + 12);
	FUZZ_CHECK(total >= HDR && total <= size && m->payload_len == total - HDR,
		   "%s: length %zu, payload %llu, input %zu", what, total,
		   (unsigned long long)m->payload_len, size);
	FUZZ_CHECK(m->version == VCTL_FORMAT_VERSION, "%s: version %u", what, m->version);
	FUZZ_CHECK(vctl_mld_validate(m, &err) == 0, "%s: decoded MLD does not validate: %s",
		   what, err.msg);

	uint32_t hs = vctl_get32(data + HDR - 4), hc = (uint32_t)crc32(0L, data, HDR - 4);
	uint32_t ps = vctl_get32(data + 72),
		 pc = (uint32_t)crc32(0L, data + HDR, (uInt)(total - HDR));
	FUZZ_CHECK(m->hdr_crc_stored == hs && m->hdr_crc_computed == hc &&
			   m->payload_crc_stored == ps && m->payload_crc_computed == pc,
		   "%s: crc bookkeeping", what);
	if (!(flags & VCTL_DECODE_IGNORE_CRC))
		FUZZ_CHECK(hs == hc && ps == pc, "strict decode accepted a bad crc");

	check_round_trip(m, data, total, what);
	return 0;
}

enum fuzz_expect fuzz_expect;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vctl_mld strict, lax;
	int rs = check_decode(data, size, 0, &strict);
	int rl = check_decode(data, size, VCTL_DECODE_IGNORE_CRC, &lax);
	if (rs == 0) {
		FUZZ_CHECK(rl == 0, "strict decode succeeds, IGNORE_CRC decode fails (%d)", rl);
		check_same(&strict, &lax, "strict vs IGNORE_CRC");
	}

	struct vctl_err err = {0};
	uint8_t uuid[16];
	uint64_t gen = 0;
	int rp = vctl_mld_peek(data, size, uuid, &gen, &err);
	if (rp < 0)
		check_failure(rp, &err, "peek");
	if (rs == 0) {
		FUZZ_CHECK(rp == 0, "decode succeeds, peek fails: %s", err.msg);
		FUZZ_CHECK(!memcmp(uuid, strict.pool.uuid, 16) && gen == strict.generation,
			   "peek and decode disagree");
	}
	if (rp == 0)
		FUZZ_CHECK(vctl_get64(data + 48) == gen, "peek: generation");

	switch (fuzz_expect) {
	case FUZZ_EXPECT_ANY:
	case FUZZ_EXPECT_DAMAGED:
		break;
	case FUZZ_EXPECT_VALID:
		FUZZ_CHECK(rs == 0, "valid-* input: strict decode fails (%d)", rs);
		break;
	case FUZZ_EXPECT_BAD_CRC:
		FUZZ_CHECK(rs == -VCTL_E_CORRUPT && rl == 0 &&
				   (lax.hdr_crc_stored != lax.hdr_crc_computed ||
				    lax.payload_crc_stored != lax.payload_crc_computed),
			   "bad-crc-* input: strict %d, IGNORE_CRC %d", rs, rl);
		break;
	case FUZZ_EXPECT_REFUSED:
		FUZZ_CHECK(rs < 0 && rl < 0, "refused-* input: strict %d, IGNORE_CRC %d", rs, rl);
		break;
	}

	vctl_mld_free(&strict);
	vctl_mld_free(&lax);
	return 0;
}
