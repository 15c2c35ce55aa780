/* The label: round trip, and rejection of every kind of damage. */
#include <errno.h>
#include <string.h>

#include "fmt/block.h"
#include "fmt/bytes.h"
#include "fmt/crc.h"
#include "fmt/label.h"
#include "tap.h"

static void sample(struct vctl_label *l)
{
	memset(l, 0, sizeof(*l));
	l->version = 1;
	for (int i = 0; i < 16; i++) {
		l->pool_uuid[i] = (uint8_t)(i + 1);
		l->disk_uuid[i] = (uint8_t)(0xa0 + i);
	}
	l->disk_index = 7;
	l->copy = 1;
	l->label_gen = 42;
	l->disk_size = 64ull << 20;
	vctl_geom_default(&l->geom);
	l->geom.pseg_size = 256 * 1024;
	vctl_geom_finish(&l->geom, NULL);
	l->pseg_count = vctl_geom_psegs(&l->geom, l->disk_size);
	l->created = 1700000000;
	l->flags = VCTL_LABEL_F_PENDING;
	strcpy(l->enclosure, "shelf-2");
}

/* Re-seals a buffer after a deliberate field change, so only the field
 * rule (not the crc) can reject it. */
static void reseal(uint8_t *buf)
{
	vctl_put32(buf + VCTL_LABEL_SIZE - 4, vctl_crc32(buf, VCTL_LABEL_SIZE - 4));
}

static int decode(const uint8_t *buf, struct vctl_label *l, struct vctl_err *e)
{
	return vctl_label_decode(buf, VCTL_LABEL_SIZE, 0, l, e);
}

int main(void)
{
	struct vctl_label a, b;
	struct vctl_err e = {0};
	uint8_t buf[VCTL_LABEL_SIZE], orig[VCTL_LABEL_SIZE];
	sample(&a);
	ok(vctl_label_encode(&a, buf) == 0, "encode");
	memcpy(orig, buf, sizeof(buf));
	ok(decode(buf, &b, &e) == 0, "decode: %s", e.msg);
	ok(!memcmp(a.pool_uuid, b.pool_uuid, 16) && !memcmp(a.disk_uuid, b.disk_uuid, 16),
	   "uuids round trip");
	ok(b.disk_index == 7 && b.copy == 1 && b.label_gen == 42 && b.flags == a.flags,
	   "index, copy, generation, flags round trip");
	ok(b.disk_size == a.disk_size && b.pseg_count == a.pseg_count && b.created == a.created,
	   "sizes and time round trip");
	ok(!memcmp(&a.geom, &b.geom, sizeof(a.geom)), "geometry round trips");
	ok(!strcmp(b.enclosure, "shelf-2"), "enclosure round trips");
	ok(!memcmp(buf, VCTL_LABEL_MAGIC, 8) && vctl_get16(buf + 8) == VCTL_T_LABEL &&
		   vctl_get32(buf + 12) == VCTL_LABEL_SIZE,
	   "header at the offsets FORMAT.md gives");
	ok(vctl_get32(buf + 64) == 7 && vctl_get64(buf + 72) == 42 &&
		   !strcmp((char *)buf + 144, "shelf-2"),
	   "fields at the offsets FORMAT.md gives");

	/* Every single-bit flip anywhere in the block is caught. */
	int caught = 0, total = 0;
	for (size_t i = 0; i < VCTL_LABEL_SIZE; i += 7) {
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(buf, orig, sizeof(buf));
			buf[i] ^= (uint8_t)(1 << bit);
			total++;
			caught += decode(buf, &b, NULL) < 0;
		}
	}
	ok(caught == total, "%d of %d bit flips rejected", caught, total);

	memcpy(buf, orig, sizeof(buf));
	buf[100] ^= 1;
	ok(decode(buf, &b, &e) == -VCTL_E_CORRUPT && strstr(e.msg, "crc"),
	   "bad crc names the crc: %s", e.msg);
	ok(vctl_label_decode(buf, sizeof(buf), VCTL_DECODE_IGNORE_CRC, &b, &e) == 0 &&
		   b.crc_stored != b.crc_computed,
	   "IGNORE_CRC decodes a damaged label and reports the mismatch");

	memcpy(buf, orig, sizeof(buf));
	buf[0] = 'X';
	reseal(buf);
	ok(decode(buf, &b, &e) == -VCTL_E_CORRUPT && strstr(e.msg, "magic"), "bad magic: %s",
	   e.msg);

	memcpy(buf, orig, sizeof(buf));
	vctl_put16(buf + 10, 2);
	reseal(buf);
	ok(decode(buf, &b, &e) == -VCTL_E_VERSION && strstr(e.msg, "newer"),
	   "future version refused: %s", e.msg);

	memcpy(buf, orig, sizeof(buf));
	vctl_put32(buf + 16, 1);
	reseal(buf);
	ok(decode(buf, &b, &e) == -VCTL_E_VERSION, "unknown incompat feature refused");

	memcpy(buf, orig, sizeof(buf));
	vctl_put32(buf + 64, 5000);
	reseal(buf);
	ok(decode(buf, &b, &e) == -VCTL_E_CORRUPT, "disk index out of range: %s", e.msg);

	memcpy(buf, orig, sizeof(buf));
	vctl_put32(buf + 108, 3000);
	reseal(buf);
	ok(decode(buf, &b, &e) == -VCTL_E_CORRUPT, "PSEG size not a power of two: %s", e.msg);

	memcpy(buf, orig, sizeof(buf));
	vctl_put64(buf + 88, 1ull << 40);
	reseal(buf);
	ok(decode(buf, &b, &e) == -VCTL_E_CORRUPT, "PSEG count beyond the disk: %s", e.msg);

	memcpy(buf, orig, sizeof(buf));
	memset(buf + 32, 0, 16);
	reseal(buf);
	ok(decode(buf, &b, &e) == -VCTL_E_CORRUPT, "zero pool UUID: %s", e.msg);

	memcpy(buf, orig, sizeof(buf));
	buf[144 + 10] = 'z'; /* garbage after the name's NUL */
	reseal(buf);
	ok(decode(buf, &b, &e) == -VCTL_E_CORRUPT, "non-NUL padding in a name: %s", e.msg);

	memcpy(buf, orig, sizeof(buf));
	buf[144] = '/';
	reseal(buf);
	ok(decode(buf, &b, &e) == -VCTL_E_CORRUPT, "bad enclosure name: %s", e.msg);

	ok(vctl_label_decode(orig, 100, 0, &b, &e) == -VCTL_E_CORRUPT, "truncated: %s", e.msg);
	ok(vctl_label_decode(orig, 8, 0, &b, &e) == -VCTL_E_CORRUPT, "tiny input");
	return tap_done();
}
