/* Explicit little-endian encoding, and bounds-checked cursors for the
 * variable-length structures. Nothing is ever memcpy'd struct-to-disk. */
#ifndef VCTL_FMT_BYTES_H
#define VCTL_FMT_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void vctl_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void vctl_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void vctl_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t vctl_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t vctl_get32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64_t vctl_get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* A writer over a caller's buffer. Overflow is sticky: encode everything,
 * then check w.overflow once. */
struct vctl_wcur {
	uint8_t *buf;
	size_t cap, off;
	bool overflow;
};

static inline uint8_t *vctl_w_take(struct vctl_wcur *w, size_t n)
{
	if (w->overflow || n > w->cap - w->off) {
		w->overflow = true;
		return NULL;
	}
	uint8_t *p = w->buf + w->off;
	w->off += n;
	return p;
}

static inline void vctl_w16(struct vctl_wcur *w, uint16_t v)
{
	uint8_t *p = vctl_w_take(w, 2);
	if (p)
		vctl_put16(p, v);
}

static inline void vctl_w32(struct vctl_wcur *w, uint32_t v)
{
	uint8_t *p = vctl_w_take(w, 4);
	if (p)
		vctl_put32(p, v);
}

static inline void vctl_w64(struct vctl_wcur *w, uint64_t v)
{
	uint8_t *p = vctl_w_take(w, 8);
	if (p)
		vctl_put64(p, v);
}

static inline void vctl_wbytes(struct vctl_wcur *w, const void *src, size_t n)
{
	uint8_t *p = vctl_w_take(w, n);
	if (p)
		memcpy(p, src, n);
}

/* A fixed-width, NUL-padded string field. */
static inline void vctl_wstr(struct vctl_wcur *w, const char *s, size_t width)
{
	uint8_t *p = vctl_w_take(w, width);
	if (p) {
		memset(p, 0, width);
		size_t n = strnlen(s, width);
		memcpy(p, s, n);
	}
}

/* A reader; any read past the end sets `bad` and yields zeros. */
struct vctl_rcur {
	const uint8_t *buf;
	size_t len, off;
	bool bad;
};

static inline const uint8_t *vctl_r_take(struct vctl_rcur *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->buf + r->off;
	r->off += n;
	return p;
}

static inline uint16_t vctl_r16(struct vctl_rcur *r)
{
	const uint8_t *p = vctl_r_take(r, 2);
	return p ? vctl_get16(p) : 0;
}

static inline uint32_t vctl_r32(struct vctl_rcur *r)
{
	const uint8_t *p = vctl_r_take(r, 4);
	return p ? vctl_get32(p) : 0;
}

static inline uint64_t vctl_r64(struct vctl_rcur *r)
{
	const uint8_t *p = vctl_r_take(r, 8);
	return p ? vctl_get64(p) : 0;
}

static inline void vctl_rbytes(struct vctl_rcur *r, void *dst, size_t n)
{
	const uint8_t *p = vctl_r_take(r, n);
	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

/* Reads a NUL-padded field of `width` bytes into dst[width + 1]. Returns
 * false if the padding is not all NUL after the first NUL (a sign of
 * garbage), which decoders treat as corruption. */
static inline bool vctl_rstr(struct vctl_rcur *r, char *dst, size_t width)
{
	const uint8_t *p = vctl_r_take(r, width);
	if (!p) {
		dst[0] = '\0';
		return false;
	}
	size_t n = strnlen((const char *)p, width);
	memcpy(dst, p, n);
	dst[n] = '\0';
	for (size_t i = n; i < width; i++)
		if (p[i])
			return false;
	return true;
}

#endif
