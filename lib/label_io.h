#ifndef VCTL_LIB_LABEL_IO_H
#define VCTL_LIB_LABEL_IO_H

#include <stdint.h>

#include "fmt/label.h"
#include "fmt/mld.h"

/* Builds the label of one disk from the MLD. */
void vctl_label_for_disk(const struct vctl_mld *m, const struct vctl_mld_disk *d,
			 uint64_t label_gen, uint32_t flags, struct vctl_label *l);

/* Writes label copy `copy` (0 = A, 1 = B) of l, then flushes. */
int vctl_label_write(int fd, const struct vctl_label *l, uint32_t copy,
		     struct vctl_err *err);

#endif
