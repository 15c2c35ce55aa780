/* RSD slots: the round trip, and each refusal's code and message (the
 * pool-level paths are the seeds of tests/fuzz/corpus/open). */
#include <string.h>

#include "fmt/bytes.h"
#include "fmt/mblock.h"
#include "tap.h"

static struct vctl_geom g;

static void raid5(struct vctl_rsd_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->layout.raid = VCTL_RAID5;
	r->layout.width = 2;
	r->layout.stripe = 64u * 1024;
	r->nmembers = 3;
	for (uint32_t i = 0; i < 3; i++)
		r->members[i] = vctl_member(i, 8 + i);
}

/* Encodes the sample, lets edit() damage the slot, decodes. */
static int damaged(void (*edit)(uint8_t *), struct vctl_err *e)
{
	struct vctl_rsd_rec r, d;
	uint8_t slot[VCTL_RSD_SLOT];
	raid5(&r);
	vctl_rsd_encode(&r, slot);
	edit(slot);
	memset(e, 0, sizeof(*e));
	return vctl_rsd_decode(slot, &g, &d, e);
}

static void bad_stripe(uint8_t *s) { vctl_put32(s + 4, 3000); }
static void bad_width(uint8_t *s) { s[1] = 0; }
static void same_disk(uint8_t *s) { vctl_put16(s + 8 + 6, 0); }
static void free_not_zero(uint8_t *s) { memset(s, 0, VCTL_RSD_SLOT), s[50] = 1; }
static void raid0_width_17(uint8_t *s) { s[0] = VCTL_RAID0, s[1] = 17; }
static void raid1_width_2(uint8_t *s) { s[0] = VCTL_RAID1, s[1] = 2; }
static void raid10_width_9(uint8_t *s) { s[0] = VCTL_RAID10, s[1] = 9; }
static void raid_9(uint8_t *s) { s[0] = 9; }

int main(void)
{
	vctl_geom_default(&g);
	g.pseg_size = 256u * 1024;
	vctl_geom_finish(&g, NULL);

	struct vctl_rsd_rec r, d;
	uint8_t slot[VCTL_RSD_SLOT];
	struct vctl_err e = {0};
	raid5(&r);
	vctl_rsd_encode(&r, slot);
	ok(vctl_rsd_decode(slot, &g, &d, &e) == 0 && !memcmp(&r, &d, sizeof(r)),
	   "raid5 slot round trip: %s", e.msg);
	memset(slot, 0, sizeof(slot));
	ok(vctl_rsd_decode(slot, &g, &d, &e) == 0 && d.layout.raid == 0, "a zero slot is free");

	/* The layout's message once, behind one "RSD: " (it used to be
	 * formatted into the buffer it was read from). */
	ok(damaged(bad_stripe, &e) == -VCTL_E_CORRUPT && e.code == -VCTL_E_CORRUPT &&
		   !strncmp(e.msg, "RSD: stripe size 3000 ", 22) && !strstr(e.msg + 5, "RSD"),
	   "bad stripe: %s", e.msg);
	ok(damaged(bad_width, &e) == -VCTL_E_CORRUPT && !strncmp(e.msg, "RSD: raid5 ", 11) &&
		   !strstr(e.msg + 5, "RSD"),
	   "width 0: %s", e.msg);
	struct vctl_rsd_rec x;
	raid5(&x);
	vctl_rsd_encode(&x, slot);
	vctl_put32(slot + 4, 3000);
	ok(vctl_rsd_decode(slot, &g, &d, NULL) == -VCTL_E_CORRUPT, "bad stripe, err NULL");
	static const struct {
		void (*edit)(uint8_t *);
		const char *what, *msg;
	} layouts[] = {
		{raid0_width_17, "raid0 of width 17", "RSD: raid0 takes a width of 1 to 16"},
		{raid1_width_2, "raid1 of width 2", "RSD: raid1 is one mirrored pair"},
		{raid10_width_9, "raid10 of width 9", "RSD: raid10 takes a width of 1 to 8"},
		{raid_9, "RAID type 9", "RSD: unknown RAID type 9"},
	};
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		ok(damaged(layouts[i].edit, &e) == -VCTL_E_CORRUPT &&
			   !strncmp(e.msg, layouts[i].msg, strlen(layouts[i].msg)),
		   "%s: %s", layouts[i].what, e.msg);
	ok(damaged(same_disk, &e) == -VCTL_E_CORRUPT && strstr(e.msg, "same disk 0"),
	   "two members on one disk: %s", e.msg);
	ok(damaged(free_not_zero, &e) == -VCTL_E_CORRUPT && strstr(e.msg, "free RSD slot"),
	   "free slot with a byte set: %s", e.msg);
	return tap_done();
}
