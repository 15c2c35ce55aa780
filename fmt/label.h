/* The disk label: one 4 KiB block, written at VCTL_LABEL_A_OFFSET and
 * VCTL_LABEL_B_OFFSET of every member disk. Layout in fmt/FORMAT.md. */
#ifndef VCTL_FMT_LABEL_H
#define VCTL_FMT_LABEL_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "geom.h"
#include "names.h"

#define VCTL_LABEL_MAGIC "VCTLLABL"

/* Label flags. */
#define VCTL_LABEL_F_PENDING 0x1u /* written by an init that has not committed */

/* Feature words: no features are defined yet; unknown incompat bits refuse. */
#define VCTL_LABEL_INCOMPAT_KNOWN 0u
#define VCTL_LABEL_RO_COMPAT_KNOWN 0u

struct vctl_label {
	uint16_t version;
	uint32_t incompat, compat, ro_compat;
	uint32_t flags;
	uint8_t pool_uuid[16];
	uint8_t disk_uuid[16];
	uint32_t disk_index;
	uint32_t copy;      /* 0 = A, 1 = B */
	uint64_t label_gen; /* bumped on every rewrite; the higher valid copy wins */
	uint64_t disk_size; /* bytes of the disk when it joined the pool */
	uint64_t pseg_count;
	uint64_t created;   /* unix seconds */
	struct vctl_geom geom;
	char enclosure[VCTL_NAME_MAX + 1];
	/* Filled by decode. */
	uint32_t crc_stored, crc_computed;
	bool fields_read; /* the fields were decoded, even if a rule then failed */
};

int vctl_label_encode(const struct vctl_label *l, uint8_t buf[VCTL_LABEL_SIZE]);

/* Decodes and validates. With VCTL_DECODE_IGNORE_CRC a crc mismatch is not
 * an error (the struct still says so), for dumping damaged disks. */
int vctl_label_decode(const uint8_t *buf, size_t len, unsigned flags,
		      struct vctl_label *l, struct vctl_err *err);

#endif
