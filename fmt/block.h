/* The header every metadata block starts with:
 *   0  magic    8 bytes, per structure
 *   8  type     u16 (VCTL_T_*)
 *  10  version  u16
 *  12  length   u32, bytes of the whole block
 * and every block carries a crc32 (zlib) over its bytes, as its last
 * field unless the structure says otherwise. */
#ifndef VCTL_FMT_BLOCK_H
#define VCTL_FMT_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum vctl_block_type {
	VCTL_T_LABEL = 1,
	VCTL_T_MLD = 2,
};

#define VCTL_FORMAT_VERSION 1

/* Decoders accept a damaged block when asked (for `vctl dump`), still
 * reporting the bad crc in the decoded struct. */
#define VCTL_DECODE_IGNORE_CRC 0x1u

void vctl_block_put_header(uint8_t *p, const char magic[8], uint16_t type,
			   uint16_t version, uint32_t length);

/* Verifies magic, type, version and length bounds. `what` names the
 * structure in messages. Returns 0 or a negative VCTL_E_* code. */
int vctl_block_check_header(const uint8_t *p, size_t avail, const char magic[8],
			    uint16_t type, uint32_t min_len, uint32_t max_len,
			    const char *what, uint32_t *length, struct vctl_err *err);

#endif
