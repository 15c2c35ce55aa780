#include "label_io.h"

#include <stdio.h>
#include <string.h>

#include "io.h"

void vctl_label_for_disk(const struct vctl_mld *m, const struct vctl_mld_disk *d,
			 uint64_t label_gen, uint32_t flags, struct vctl_label *l)
{
	memset(l, 0, sizeof(*l));
	l->version = 1;
	l->flags = flags;
	memcpy(l->pool_uuid, m->pool.uuid, 16);
	memcpy(l->disk_uuid, d->uuid, 16);
	l->disk_index = d->index;
	l->label_gen = label_gen;
	l->disk_size = d->size;
	l->pseg_count = d->pseg_count;
	l->created = d->added;
	l->geom = m->pool.geom;
	const struct vctl_mld_encl *e = vctl_mld_encl_by_id(m, d->encl);
	snprintf(l->enclosure, sizeof(l->enclosure), "%s", e ? e->name : "");
}

int vctl_label_write(int fd, const struct vctl_label *l, uint32_t copy,
		     struct vctl_err *err)
{
	uint8_t buf[VCTL_LABEL_SIZE];
	struct vctl_label c = *l;
	c.copy = copy;
	int r = vctl_label_encode(&c, buf);
	if (r < 0)
		return vctl_errf(err, r, "encoding a label failed");
	r = vctl_io_pwrite(fd, buf, sizeof(buf),
			   copy ? VCTL_LABEL_B_OFFSET : VCTL_LABEL_A_OFFSET);
	if (r == 0)
		r = vctl_io_flush(fd);
	if (r < 0)
		return vctl_errf(err, r, "writing label %c: %s", copy ? 'B' : 'A',
				 strerror(-r));
	return 0;
}
