/* Record framing of the MLD, shared by the files that encode its record
 * types (fmt/mld.c, fmt/mld_access.c). Internal to fmt/. */
#ifndef VCTL_FMT_MLD_REC_H
#define VCTL_FMT_MLD_REC_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

#define VCTL_MLD_REC_HDR 8u
#define VCTL_MLD_REC_VERSION 1u

static inline size_t vctl_pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Starts a record; returns the offset of its header so rec_end can fill the
 * length in. */
static inline size_t vctl_mld_rec_begin(struct vctl_wcur *w, uint16_t type)
{
	size_t at = w->off;
	vctl_w16(w, type);
	vctl_w16(w, VCTL_MLD_REC_VERSION);
	vctl_w32(w, 0);
	return at;
}

static inline void vctl_mld_rec_end(struct vctl_wcur *w, size_t at)
{
	size_t end = vctl_pad8(w->off);
	if (end > w->off)
		vctl_w_take(w, end - w->off); /* zero padding: buffer is pre-zeroed */
	if (!w->overflow)
		vctl_put32(w->buf + at + 4, (uint32_t)(w->off - at));
}

/* fmt/mld_access.c: hosts, domains and paths */
#define VCTL_HOST_BODY (8 + 4 + 4 + 4 + 4 + VCTL_NAME_MAX)
#define VCTL_DOMAIN_BODY (8 + 8 + 8 + 4 + 4 + VCTL_NAME_MAX)
#define VCTL_PATH_BODY (5 * 8 + 4 + 4)
struct vctl_mld;
struct vctl_rcur;
struct vctl_err;
void vctl_mld_encode_access(const struct vctl_mld *m, struct vctl_wcur *w, uint32_t *nrec);
/* Decodes one record of type 8, 9 or 10; its length is already checked. */
int vctl_mld_decode_access(struct vctl_mld *m, uint16_t type, struct vctl_rcur *r,
			   struct vctl_err *err);
int vctl_mld_validate_access(const struct vctl_mld *m, struct vctl_err *err);
void vctl_mld_free_access(struct vctl_mld *m);
/* Copies src's arrays into dst (whose other fields are a copy of src's);
 * false if out of memory, with dst's access arrays empty. */
int vctl_mld_dup_access(const struct vctl_mld *src, struct vctl_mld *dst);

/* fmt/mld_req.c: volume requirements (type 11) */
#define VCTL_REQ_BODY (3 * 8 + 2 * 4 + 4 * VCTL_REQ_MAX_ARRAYS)
void vctl_mld_encode_reqs(const struct vctl_mld *m, struct vctl_wcur *w, uint32_t *nrec);
int vctl_mld_decode_req(struct vctl_mld *m, struct vctl_rcur *r, struct vctl_err *err);
int vctl_mld_validate_reqs(const struct vctl_mld *m, struct vctl_err *err);

#endif
