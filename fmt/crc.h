#ifndef VCTL_FMT_CRC_H
#define VCTL_FMT_CRC_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* zlib's crc32 (the IEEE polynomial), seeded with 0. */
static inline uint32_t vctl_crc32(const void *buf, size_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);
	const unsigned char *p = buf;
	/* zlib takes uInt lengths; feed large buffers in pieces. */
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		c = crc32(c, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)c;
}

#endif
