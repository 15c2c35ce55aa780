#include "block.h"

#include <string.h>

#include "bytes.h"

void vctl_block_put_header(uint8_t *p, const char magic[8], uint16_t type,
			   uint16_t version, uint32_t length)
{
	memcpy(p, magic, 8);
	vctl_put16(p + 8, type);
	vctl_put16(p + 10, version);
	vctl_put32(p + 12, length);
}

int vctl_block_check_header(const uint8_t *p, size_t avail, const char magic[8],
			    uint16_t type, uint32_t min_len, uint32_t max_len,
			    const char *what, uint32_t *length, struct vctl_err *err)
{
	if (avail < 16)
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s: truncated (%zu bytes)", what,
				 avail);
	if (memcmp(p, magic, 8) != 0)
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s: bad magic", what);
	uint16_t t = vctl_get16(p + 8), v = vctl_get16(p + 10);
	uint32_t len = vctl_get32(p + 12);
	if (t != type)
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s: structure type %u, expected %u",
				 what, t, type);
	if (v > VCTL_FORMAT_VERSION)
		return vctl_errf(err, -VCTL_E_VERSION,
				 "%s: format version %u is newer than this vctl (%u)", what, v,
				 VCTL_FORMAT_VERSION);
	if (v == 0)
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s: format version 0", what);
	if (len < min_len || len > max_len || len > avail)
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s: length %u out of range", what,
				 len);
	if (length)
		*length = len;
	return 0;
}
