/* libFuzzer target for the disk label decoder (fmt/label.c).
 *
 * For every input, with flags 0 and with VCTL_DECODE_IGNORE_CRC:
 * - a failed decode returns -VCTL_E_CORRUPT or -VCTL_E_VERSION with a
 *   message, never anything else (-VCTL_E_INTERNAL is a bug);
 * - a successful decode re-encodes, and the re-encoding decodes (with
 *   flags 0: the encoder must seal it) to the same fields; encoding that
 *   again gives the same bytes; every byte the decoder interprets (0..207)
 *   comes back unchanged, so the decoder accepts only canonical fields;
 * - a successful flags-0 decode means the stored crc is the crc32 of bytes
 *   0..4091, computed here with zlib directly, and the IGNORE_CRC decode
 *   then succeeds too with the same fields. */
#include <string.h>
#include <zlib.h>

#include "fmt/block.h"
#include "fmt/bytes.h"
#include "fmt/label.h"
#include "tests/fuzz/fuzz.h"

/* Bytes 0 .. FIELDS_END - 1 hold the header and every field; the rest up to
 * the crc is reserved. */
#define FIELDS_END (144 + VCTL_NAME_MAX)
#define CRC_OFF (VCTL_LABEL_SIZE - 4)

static void check_failure(int r, const struct vctl_err *err, const char *what)
{
	FUZZ_CHECK(r == -VCTL_E_CORRUPT || r == -VCTL_E_VERSION,
		   "%s: unexpected code %d (%s)", what, r, err->msg);
	FUZZ_CHECK(err->code == r, "%s: err.code %d, returned %d", what, err->code, r);
	FUZZ_CHECK(err->msg[0] != '\0' && memchr(err->msg, '\0', sizeof(err->msg)),
		   "%s: no message", what);
}

/* Every decoded field, crc bookkeeping aside. */
static void check_same(const struct vctl_label *a, const struct vctl_label *b,
		       const char *what)
{
#define SAME(f) FUZZ_CHECK(a->f == b->f, "%s: field " #f " differs", what)
	SAME(version);
	SAME(incompat);
	SAME(compat);
	SAME(ro_compat);
	SAME(flags);
	FUZZ_CHECK(!memcmp(a->pool_uuid, b->pool_uuid, 16), "%s: pool_uuid differs", what);
	FUZZ_CHECK(!memcmp(a->disk_uuid, b->disk_uuid, 16), "%s: disk_uuid differs", what);
	SAME(disk_index);
	SAME(copy);
	SAME(label_gen);
	SAME(disk_size);
	SAME(pseg_count);
	SAME(created);
	SAME(geom.sector_size);
	SAME(geom.pseg_size);
	SAME(geom.rseg_size);
	SAME(geom.lmap_entries);
	SAME(geom.rstore_width);
	SAME(geom.mblock_size);
	SAME(geom.mld_slot_size);
	SAME(geom.quorum_size);
#undef SAME
	FUZZ_CHECK(memchr(a->enclosure, '\0', sizeof(a->enclosure)) &&
			   memchr(b->enclosure, '\0', sizeof(b->enclosure)),
		   "%s: enclosure not terminated", what);
	FUZZ_CHECK(!strcmp(a->enclosure, b->enclosure), "%s: enclosure differs", what);
}

/* Decodes with `flags`; on success checks the round trip and returns 0 with
 * the fields in *out, else returns the decoder's code. */
static int check_decode(const uint8_t *data, size_t size, unsigned flags,
			struct vctl_label *out)
{
	const char *what = flags ? "IGNORE_CRC" : "strict";
	struct vctl_err err = {0};
	struct vctl_label *a = out, b;
	int r = vctl_label_decode(data, size, flags, a, &err);
	if (r < 0) {
		check_failure(r, &err, what);
		/* Without a message buffer the answer is the same. */
		struct vctl_label tmp;
		FUZZ_CHECK(vctl_label_decode(data, size, flags, &tmp, NULL) == r,
			   "%s: result depends on err", what);
		return r;
	}
	FUZZ_CHECK(r == 0, "%s: decode returned %d", what, r);
	FUZZ_CHECK(size >= VCTL_LABEL_SIZE, "%s: accepted %zu bytes", what, size);
	FUZZ_CHECK(a->version == VCTL_FORMAT_VERSION, "%s: version %u", what, a->version);

	uint32_t stored = vctl_get32(data + CRC_OFF);
	uint32_t computed = (uint32_t)crc32(0L, data, CRC_OFF);
	FUZZ_CHECK(a->crc_stored == stored && a->crc_computed == computed,
		   "%s: crc bookkeeping %08x/%08x, bytes say %08x/%08x", what, a->crc_stored,
		   a->crc_computed, stored, computed);
	if (!(flags & VCTL_DECODE_IGNORE_CRC))
		FUZZ_CHECK(stored == computed, "strict decode accepted a bad crc");

	uint8_t buf[VCTL_LABEL_SIZE], buf2[VCTL_LABEL_SIZE];
	r = vctl_label_encode(a, buf);
	FUZZ_CHECK(r == 0, "%s: encode returned %d", what, r);
	FUZZ_CHECK(!memcmp(buf, data, FIELDS_END),
		   "%s: re-encoding changes the interpreted bytes", what);
	r = vctl_label_decode(buf, sizeof(buf), 0, &b, &err);
	FUZZ_CHECK(r == 0, "%s: re-encoding does not decode: %s", what, err.msg);
	FUZZ_CHECK(b.crc_stored == b.crc_computed, "%s: re-encoding crc", what);
	check_same(a, &b, what);
	r = vctl_label_encode(&b, buf2);
	FUZZ_CHECK(r == 0 && !memcmp(buf, buf2, sizeof(buf)), "%s: encoding not stable",
		   what);
	return 0;
}

enum fuzz_expect fuzz_expect;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vctl_label strict, lax;
	int rs = check_decode(data, size, 0, &strict);
	int rl = check_decode(data, size, VCTL_DECODE_IGNORE_CRC, &lax);
	if (rs == 0) {
		FUZZ_CHECK(rl == 0, "strict decode succeeds, IGNORE_CRC decode fails (%d)", rl);
		check_same(&strict, &lax, "strict vs IGNORE_CRC");
	}

	switch (fuzz_expect) {
	case FUZZ_EXPECT_ANY:
	case FUZZ_EXPECT_DAMAGED:
		break;
	case FUZZ_EXPECT_VALID:
		FUZZ_CHECK(rs == 0, "valid-* input: strict decode fails (%d)", rs);
		break;
	case FUZZ_EXPECT_BAD_CRC:
		FUZZ_CHECK(rs == -VCTL_E_CORRUPT && rl == 0 &&
				   lax.crc_stored != lax.crc_computed,
			   "bad-crc-* input: strict %d, IGNORE_CRC %d", rs, rl);
		break;
	case FUZZ_EXPECT_REFUSED:
		FUZZ_CHECK(rs < 0 && rl < 0, "refused-* input: strict %d, IGNORE_CRC %d", rs, rl);
		break;
	}
	return 0;
}
