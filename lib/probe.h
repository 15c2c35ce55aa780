#ifndef VCTL_LIB_PROBE_H
#define VCTL_LIB_PROBE_H

#include <stddef.h>

/* Looks for anything libblkid recognises (file systems, RAID and LVM
 * members, partition tables) on an open disk. Returns 0 and an empty
 * `what` if nothing is there, 1 with a description in `what` (for example
 * "ext4", "partition table (gpt)", "LVM2_member") if something is, or a
 * negative errno. vctl's own label is recognised by the caller first:
 * libblkid does not know it. */
int vctl_probe_foreign(int fd, char *what, size_t len);

#endif
