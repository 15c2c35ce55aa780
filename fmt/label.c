#include "label.h"

#include <errno.h>
#include <string.h>

#include "block.h"
#include "bytes.h"
#include "crc.h"

#define CRC_OFF (VCTL_LABEL_SIZE - 4)

int vctl_label_encode(const struct vctl_label *l, uint8_t buf[VCTL_LABEL_SIZE])
{
	memset(buf, 0, VCTL_LABEL_SIZE);
	vctl_block_put_header(buf, VCTL_LABEL_MAGIC, VCTL_T_LABEL, VCTL_FORMAT_VERSION,
			      VCTL_LABEL_SIZE);
	struct vctl_wcur w = {.buf = buf, .cap = CRC_OFF, .off = 16};
	vctl_w32(&w, l->incompat);
	vctl_w32(&w, l->compat);
	vctl_w32(&w, l->ro_compat);
	vctl_w32(&w, l->flags);
	vctl_wbytes(&w, l->pool_uuid, 16);
	vctl_wbytes(&w, l->disk_uuid, 16);
	vctl_w32(&w, l->disk_index);
	vctl_w32(&w, l->copy);
	vctl_w64(&w, l->label_gen);
	vctl_w64(&w, l->disk_size);
	vctl_w64(&w, l->pseg_count);
	vctl_w64(&w, l->created);
	vctl_w32(&w, l->geom.sector_size);
	vctl_w32(&w, l->geom.pseg_size);
	vctl_w32(&w, l->geom.rseg_size);
	vctl_w32(&w, l->geom.lmap_entries);
	vctl_w32(&w, l->geom.rstore_width);
	vctl_w32(&w, l->geom.mblock_size);
	vctl_w64(&w, l->geom.mld_slot_size);
	vctl_w64(&w, l->geom.quorum_size);
	vctl_wstr(&w, l->enclosure, VCTL_NAME_MAX);
	if (w.overflow)
		return -VCTL_E_INTERNAL;
	vctl_put32(buf + CRC_OFF, vctl_crc32(buf, CRC_OFF));
	return 0;
}

int vctl_label_decode(const uint8_t *buf, size_t len, unsigned flags,
		      struct vctl_label *l, struct vctl_err *err)
{
	memset(l, 0, sizeof(*l));
	uint32_t length;
	int r = vctl_block_check_header(buf, len, VCTL_LABEL_MAGIC, VCTL_T_LABEL,
					VCTL_LABEL_SIZE, VCTL_LABEL_SIZE, "label", &length,
					err);
	if (r < 0)
		return r;
	l->version = vctl_get16(buf + 10);
	l->crc_stored = vctl_get32(buf + CRC_OFF);
	l->crc_computed = vctl_crc32(buf, CRC_OFF);
	if (l->crc_stored != l->crc_computed && !(flags & VCTL_DECODE_IGNORE_CRC))
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "label: bad crc (stored %08x, computed %08x)", l->crc_stored,
				 l->crc_computed);

	struct vctl_rcur rc = {.buf = buf, .len = CRC_OFF, .off = 16};
	l->incompat = vctl_r32(&rc);
	l->compat = vctl_r32(&rc);
	l->ro_compat = vctl_r32(&rc);
	l->flags = vctl_r32(&rc);
	vctl_rbytes(&rc, l->pool_uuid, 16);
	vctl_rbytes(&rc, l->disk_uuid, 16);
	l->disk_index = vctl_r32(&rc);
	l->copy = vctl_r32(&rc);
	l->label_gen = vctl_r64(&rc);
	l->disk_size = vctl_r64(&rc);
	l->pseg_count = vctl_r64(&rc);
	l->created = vctl_r64(&rc);
	l->geom.sector_size = vctl_r32(&rc);
	l->geom.pseg_size = vctl_r32(&rc);
	l->geom.rseg_size = vctl_r32(&rc);
	l->geom.lmap_entries = vctl_r32(&rc);
	l->geom.rstore_width = vctl_r32(&rc);
	l->geom.mblock_size = vctl_r32(&rc);
	l->geom.mld_slot_size = vctl_r64(&rc);
	l->geom.quorum_size = vctl_r64(&rc);
	bool str_ok = vctl_rstr(&rc, l->enclosure, VCTL_NAME_MAX);
	if (rc.bad)
		return vctl_errf(err, -VCTL_E_INTERNAL, "label: decoder overran");
	l->fields_read = true;
	for (size_t i = 208; i < CRC_OFF; i++)
		if (buf[i])
			return vctl_errf(err, -VCTL_E_CORRUPT, "label: reserved byte %zu is set", i);

	if (l->incompat & ~VCTL_LABEL_INCOMPAT_KNOWN)
		return vctl_errf(err, -VCTL_E_VERSION,
				 "label: unknown incompatible features %#x", l->incompat);
	if (l->flags & ~VCTL_LABEL_F_PENDING)
		return vctl_errf(err, -VCTL_E_CORRUPT, "label: unknown flags %#x", l->flags);
	if (vctl_uuid_is_zero(l->pool_uuid) || vctl_uuid_is_zero(l->disk_uuid))
		return vctl_errf(err, -VCTL_E_CORRUPT, "label: zero UUID");
	if (l->disk_index >= VCTL_MAX_DISKS)
		return vctl_errf(err, -VCTL_E_CORRUPT, "label: disk index %u out of range",
				 l->disk_index);
	if (l->copy > 1)
		return vctl_errf(err, -VCTL_E_CORRUPT, "label: copy %u is not 0 or 1",
				 l->copy);
	struct vctl_err gerr;
	if (vctl_geom_check(&l->geom, &gerr) < 0)
		return vctl_errf(err, -VCTL_E_CORRUPT, "label: %s", gerr.msg);
	if (l->pseg_count == 0 ||
	    l->pseg_count > (l->disk_size - (l->disk_size < l->geom.quorum_size
						     ? l->disk_size
						     : l->geom.quorum_size)) /
				    l->geom.pseg_size)
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "label: %llu PSEGs do not fit a disk of %llu bytes",
				 (unsigned long long)l->pseg_count,
				 (unsigned long long)l->disk_size);
	if (!str_ok || !vctl_name_valid(l->enclosure))
		return vctl_errf(err, -VCTL_E_CORRUPT, "label: bad enclosure name");
	(void)length;
	return 0;
}
