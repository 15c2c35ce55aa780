#include "probe.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int vctl_probe_foreign(int fd, char *what, size_t len)
{
	what[0] = '\0';
	blkid_probe pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		blkid_free_probe(pr);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);

	int r = blkid_do_safeprobe(pr);
	const char *v = NULL;
	if (r == 0) {
		if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
			snprintf(what, len, "%s", v);
		else if (blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) == 0)
			snprintf(what, len, "partition table (%s)", v);
		else
			snprintf(what, len, "an unidentified signature");
		r = 1;
	} else if (r == -2) {
		/* Two signatures that contradict each other: still not empty. */
		snprintf(what, len, "several conflicting signatures");
		r = 1;
	} else if (r == 1) {
		r = 0;
	} else {
		r = -EIO;
	}
	blkid_free_probe(pr);
	return r;
}
