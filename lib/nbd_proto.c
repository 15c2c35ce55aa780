#include "nbd_proto.h"

#include <errno.h>
#include <string.h>

/* Strings on the wire are cut, never rejected, when we send them: a long
 * backend description must not make an answer impossible. */
static uint32_t wire_strlen(const char *s)
{
	return s ? (uint32_t)strnlen(s, VCTL_NBD_MAX_STRING) : 0;
}

void vctl_nbd_encode_greeting(uint8_t out[VCTL_NBD_GREETING_SIZE])
{
	vctl_nbd_put64(out, VCTL_NBD_MAGIC);
	vctl_nbd_put64(out + 8, VCTL_NBD_IHAVEOPT);
	vctl_nbd_put16(out + 16, VCTL_NBD_FLAG_FIXED_NEWSTYLE | VCTL_NBD_FLAG_NO_ZEROES);
}

int vctl_nbd_decode_greeting(const uint8_t in[VCTL_NBD_GREETING_SIZE], uint16_t *hflags)
{
	if (vctl_nbd_get64(in) != VCTL_NBD_MAGIC || vctl_nbd_get64(in + 8) != VCTL_NBD_IHAVEOPT)
		return -EPROTO;
	*hflags = vctl_nbd_get16(in + 16);
	return 0;
}

void vctl_nbd_encode_client_flags(uint8_t out[VCTL_NBD_CLIENT_FLAGS_SIZE], uint32_t flags)
{
	vctl_nbd_put32(out, flags);
}

int vctl_nbd_decode_client_flags(const uint8_t in[VCTL_NBD_CLIENT_FLAGS_SIZE],
				 uint32_t *flags)
{
	*flags = vctl_nbd_get32(in);
	if (*flags & ~(uint32_t)(VCTL_NBD_FLAG_FIXED_NEWSTYLE | VCTL_NBD_FLAG_NO_ZEROES))
		return -EPROTO;
	return 0;
}

void vctl_nbd_encode_opt_hdr(uint8_t out[VCTL_NBD_OPT_HDR_SIZE], uint32_t option, uint32_t len)
{
	vctl_nbd_put64(out, VCTL_NBD_IHAVEOPT);
	vctl_nbd_put32(out + 8, option);
	vctl_nbd_put32(out + 12, len);
}

int vctl_nbd_decode_opt_hdr(const uint8_t in[VCTL_NBD_OPT_HDR_SIZE],
			    struct vctl_nbd_opt_hdr *hdr)
{
	if (vctl_nbd_get64(in) != VCTL_NBD_IHAVEOPT)
		return -EPROTO;
	hdr->option = vctl_nbd_get32(in + 8);
	hdr->len = vctl_nbd_get32(in + 12);
	return 0;
}

void vctl_nbd_encode_opt_reply_hdr(uint8_t out[VCTL_NBD_OPT_REPLY_HDR_SIZE], uint32_t option,
				   uint32_t type, uint32_t len)
{
	vctl_nbd_put64(out, VCTL_NBD_OPT_REPLY_MAGIC);
	vctl_nbd_put32(out + 8, option);
	vctl_nbd_put32(out + 12, type);
	vctl_nbd_put32(out + 16, len);
}

int vctl_nbd_decode_opt_reply_hdr(const uint8_t in[VCTL_NBD_OPT_REPLY_HDR_SIZE],
				  struct vctl_nbd_opt_reply_hdr *hdr)
{
	if (vctl_nbd_get64(in) != VCTL_NBD_OPT_REPLY_MAGIC)
		return -EPROTO;
	hdr->option = vctl_nbd_get32(in + 8);
	hdr->type = vctl_nbd_get32(in + 12);
	hdr->len = vctl_nbd_get32(in + 16);
	return 0;
}

/* A length-prefixed string at p[*off]: checks it fits in len, is short
 * enough and holds no NUL (the backend gets C strings; a NUL inside would
 * make two different names look alike). */
static int take_string(const uint8_t *p, size_t len, size_t *off, uint32_t slen,
		       struct vctl_nbd_str *s, const char *what, struct vctl_err *err)
{
	if (slen > len - *off)
		return vctl_errf(err, -EINVAL, "%s length %u runs past the option's end", what,
				 slen);
	if (slen > VCTL_NBD_MAX_STRING)
		return vctl_errf(err, -EINVAL, "%s is longer than %u bytes", what,
				 VCTL_NBD_MAX_STRING);
	if (memchr(p + *off, '\0', slen))
		return vctl_errf(err, -EINVAL, "%s contains a NUL byte", what);
	s->ptr = (const char *)(p + *off);
	s->len = slen;
	*off += slen;
	return 0;
}

int vctl_nbd_decode_info_req(const uint8_t *p, size_t len, struct vctl_nbd_info_req *req,
			     struct vctl_err *err)
{
	memset(req, 0, sizeof(*req));
	size_t off = 0;
	if (len < 6)
		return vctl_errf(err, -EINVAL, "option too short (%zu bytes, at least 6)", len);
	uint32_t nlen = vctl_nbd_get32(p);
	off = 4;
	/* The name must leave room for the 16-bit count. */
	if (nlen > len - 6)
		return vctl_errf(err, -EINVAL, "export name length %u runs past the option's end",
				 nlen);
	int r = take_string(p, len, &off, nlen, &req->name, "export name", err);
	if (r < 0)
		return r;
	req->n_types = vctl_nbd_get16(p + off);
	off += 2;
	if ((size_t)req->n_types * 2 != len - off)
		return vctl_errf(err, -EINVAL,
				 "%u information requests need %u bytes, the option has %zu",
				 req->n_types, req->n_types * 2u, len - off);
	req->types = p + off;
	return 0;
}

uint16_t vctl_nbd_info_req_type(const struct vctl_nbd_info_req *req, unsigned i)
{
	return i < req->n_types ? vctl_nbd_get16(req->types + 2 * (size_t)i) : 0xffff;
}

bool vctl_nbd_info_req_has(const struct vctl_nbd_info_req *req, uint16_t type)
{
	for (unsigned i = 0; i < req->n_types; i++)
		if (vctl_nbd_info_req_type(req, i) == type)
			return true;
	return false;
}

size_t vctl_nbd_encode_info_req(uint8_t *out, size_t cap, const char *name, size_t name_len,
				const uint16_t *types, uint16_t n_types)
{
	size_t need = 4 + name_len + 2 + 2 * (size_t)n_types;
	if (need > cap)
		return need;
	vctl_nbd_put32(out, (uint32_t)name_len);
	if (name_len)
		memcpy(out + 4, name, name_len);
	vctl_nbd_put16(out + 4 + name_len, n_types);
	for (uint16_t i = 0; i < n_types; i++)
		vctl_nbd_put16(out + 6 + name_len + 2 * (size_t)i, types[i]);
	return need;
}

int vctl_nbd_decode_meta_req(const uint8_t *p, size_t len, struct vctl_nbd_meta_req *req,
			     struct vctl_err *err)
{
	memset(req, 0, sizeof(*req));
	if (len < 8)
		return vctl_errf(err, -EINVAL, "option too short (%zu bytes, at least 8)", len);
	size_t off = 4;
	uint32_t nlen = vctl_nbd_get32(p);
	if (nlen > len - 8)
		return vctl_errf(err, -EINVAL, "export name length %u runs past the option's end",
				 nlen);
	int r = take_string(p, len, &off, nlen, &req->name, "export name", err);
	if (r < 0)
		return r;
	req->n_queries = vctl_nbd_get32(p + off);
	off += 4;
	req->queries = p + off;
	req->queries_len = len - off;
	/* Each query takes at least its 4-byte length: a count larger than
	 * that cannot be honest, and bounds the walk below. */
	if (req->n_queries > req->queries_len / 4)
		return vctl_errf(err, -EINVAL, "%u queries cannot fit in %zu bytes",
				 req->n_queries, req->queries_len);
	for (uint32_t i = 0; i < req->n_queries; i++) {
		struct vctl_nbd_str q;
		if (len - off < 4)
			return vctl_errf(err, -EINVAL, "query %u runs past the option's end", i);
		uint32_t qlen = vctl_nbd_get32(p + off);
		off += 4;
		r = take_string(p, len, &off, qlen, &q, "query", err);
		if (r < 0)
			return r;
	}
	if (off != len)
		return vctl_errf(err, -EINVAL, "%zu bytes after the last query", len - off);
	return 0;
}

struct vctl_nbd_str vctl_nbd_meta_req_query(const struct vctl_nbd_meta_req *req, uint32_t i)
{
	struct vctl_nbd_str q = {"", 0};
	size_t off = 0;
	for (uint32_t k = 0; k < req->n_queries && req->queries_len - off >= 4; k++) {
		uint32_t qlen = vctl_nbd_get32(req->queries + off);
		off += 4;
		if (qlen > req->queries_len - off)
			break;
		if (k == i) {
			q.ptr = (const char *)(req->queries + off);
			q.len = qlen;
			break;
		}
		off += qlen;
	}
	return q;
}

size_t vctl_nbd_encode_meta_req(uint8_t *out, size_t cap, const char *name, size_t name_len,
				const char *const *queries, uint32_t n_queries)
{
	size_t need = 4 + name_len + 4;
	for (uint32_t i = 0; i < n_queries; i++)
		need += 4 + strlen(queries[i]);
	if (need > cap)
		return need;
	vctl_nbd_put32(out, (uint32_t)name_len);
	if (name_len)
		memcpy(out + 4, name, name_len);
	size_t off = 4 + name_len;
	vctl_nbd_put32(out + off, n_queries);
	off += 4;
	for (uint32_t i = 0; i < n_queries; i++) {
		size_t ql = strlen(queries[i]);
		vctl_nbd_put32(out + off, (uint32_t)ql);
		memcpy(out + off + 4, queries[i], ql);
		off += 4 + ql;
	}
	return need;
}

static bool str_is(struct vctl_nbd_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && !memcmp(s.ptr, lit, n);
}

bool vctl_nbd_meta_selects_allocation(struct vctl_nbd_str q, bool list)
{
	if (str_is(q, VCTL_NBD_META_BASE_ALLOCATION))
		return true;
	return list && str_is(q, "base:");
}

/* Writes the option reply header and a payload assembled from up to three
 * pieces; returns the total length, writing only if it fits. */
static size_t rep(uint8_t *out, size_t cap, uint32_t option, uint32_t type, const void *a,
		  size_t alen, const void *b, size_t blen)
{
	size_t need = VCTL_NBD_OPT_REPLY_HDR_SIZE + alen + blen;
	if (need > cap)
		return need;
	vctl_nbd_encode_opt_reply_hdr(out, option, type, (uint32_t)(alen + blen));
	if (alen)
		memcpy(out + VCTL_NBD_OPT_REPLY_HDR_SIZE, a, alen);
	if (blen)
		memcpy(out + VCTL_NBD_OPT_REPLY_HDR_SIZE + alen, b, blen);
	return need;
}

size_t vctl_nbd_encode_rep_ack(uint8_t *out, size_t cap, uint32_t option)
{
	return rep(out, cap, option, VCTL_NBD_REP_ACK, NULL, 0, NULL, 0);
}

size_t vctl_nbd_encode_rep_error(uint8_t *out, size_t cap, uint32_t option, uint32_t type,
				 const char *msg)
{
	return rep(out, cap, option, type, msg, wire_strlen(msg), NULL, 0);
}

size_t vctl_nbd_encode_rep_server(uint8_t *out, size_t cap, uint32_t option, const char *name,
				  const char *description)
{
	uint32_t nlen = wire_strlen(name);
	uint32_t dlen = wire_strlen(description);
	size_t need = VCTL_NBD_OPT_REPLY_HDR_SIZE + 4 + (size_t)nlen + dlen;
	if (need > cap)
		return need;
	uint8_t *p = out + VCTL_NBD_OPT_REPLY_HDR_SIZE;
	vctl_nbd_encode_opt_reply_hdr(out, option, VCTL_NBD_REP_SERVER, 4 + nlen + dlen);
	vctl_nbd_put32(p, nlen);
	if (nlen)
		memcpy(p + 4, name, nlen);
	if (dlen)
		memcpy(p + 4 + nlen, description, dlen);
	return need;
}

size_t vctl_nbd_encode_rep_info_export(uint8_t *out, size_t cap, uint32_t option,
				       uint64_t size, uint16_t tflags)
{
	uint8_t p[12];
	vctl_nbd_put16(p, VCTL_NBD_INFO_EXPORT);
	vctl_nbd_put64(p + 2, size);
	vctl_nbd_put16(p + 10, tflags);
	return rep(out, cap, option, VCTL_NBD_REP_INFO, p, sizeof(p), NULL, 0);
}

size_t vctl_nbd_encode_rep_info_string(uint8_t *out, size_t cap, uint32_t option,
				       uint16_t type, const char *s)
{
	uint8_t p[2];
	vctl_nbd_put16(p, type);
	return rep(out, cap, option, VCTL_NBD_REP_INFO, p, 2, s, wire_strlen(s));
}

size_t vctl_nbd_encode_rep_info_block_size(uint8_t *out, size_t cap, uint32_t option,
					   uint32_t min, uint32_t pref, uint32_t max)
{
	uint8_t p[14];
	vctl_nbd_put16(p, VCTL_NBD_INFO_BLOCK_SIZE);
	vctl_nbd_put32(p + 2, min);
	vctl_nbd_put32(p + 6, pref);
	vctl_nbd_put32(p + 10, max);
	return rep(out, cap, option, VCTL_NBD_REP_INFO, p, sizeof(p), NULL, 0);
}

size_t vctl_nbd_encode_rep_meta_context(uint8_t *out, size_t cap, uint32_t option,
					uint32_t id, const char *name)
{
	uint8_t p[4];
	vctl_nbd_put32(p, id);
	return rep(out, cap, option, VCTL_NBD_REP_META_CONTEXT, p, 4, name, wire_strlen(name));
}

size_t vctl_nbd_encode_export_name_reply(uint8_t out[VCTL_NBD_EXPORT_NAME_REPLY_SIZE],
					 uint64_t size, uint16_t tflags, bool no_zeroes)
{
	vctl_nbd_put64(out, size);
	vctl_nbd_put16(out + 8, tflags);
	if (no_zeroes)
		return 10;
	memset(out + 10, 0, VCTL_NBD_EXPORT_NAME_REPLY_SIZE - 10);
	return VCTL_NBD_EXPORT_NAME_REPLY_SIZE;
}

void vctl_nbd_encode_request(uint8_t out[VCTL_NBD_REQUEST_SIZE],
			     const struct vctl_nbd_request *req)
{
	vctl_nbd_put32(out, VCTL_NBD_REQUEST_MAGIC);
	vctl_nbd_put16(out + 4, req->flags);
	vctl_nbd_put16(out + 6, req->type);
	vctl_nbd_put64(out + 8, req->cookie);
	vctl_nbd_put64(out + 16, req->offset);
	vctl_nbd_put32(out + 24, req->length);
}

int vctl_nbd_decode_request(const uint8_t in[VCTL_NBD_REQUEST_SIZE],
			    struct vctl_nbd_request *req)
{
	if (vctl_nbd_get32(in) != VCTL_NBD_REQUEST_MAGIC)
		return -EPROTO;
	req->flags = vctl_nbd_get16(in + 4);
	req->type = vctl_nbd_get16(in + 6);
	req->cookie = vctl_nbd_get64(in + 8);
	req->offset = vctl_nbd_get64(in + 16);
	req->length = vctl_nbd_get32(in + 24);
	return 0;
}

static uint32_t fail(const char **why, const char *msg, uint32_t e)
{
	if (why)
		*why = msg;
	return e;
}

/* Command flags each command may carry (FUA is checked separately: the
 * protocol lets it ride on any command once negotiated). */
static uint16_t flags_allowed(uint16_t type)
{
	switch (type) {
	case VCTL_NBD_CMD_READ:
		return VCTL_NBD_CMD_FLAG_DF;
	case VCTL_NBD_CMD_WRITE_ZEROES:
		return VCTL_NBD_CMD_FLAG_NO_HOLE | VCTL_NBD_CMD_FLAG_FAST_ZERO;
	case VCTL_NBD_CMD_BLOCK_STATUS:
		return VCTL_NBD_CMD_FLAG_REQ_ONE;
	default:
		return 0;
	}
}

uint32_t vctl_nbd_check_request(const struct vctl_nbd_request *req,
				const struct vctl_nbd_session *s, const char **why)
{
	uint16_t t = req->type, f = req->flags, tf = s->tflags;
	if (why)
		*why = NULL;
	if (t > VCTL_NBD_CMD_BLOCK_STATUS)
		return fail(why, "unknown command", VCTL_NBD_EINVAL);
	if (t == VCTL_NBD_CMD_DISC)
		return 0;

	uint16_t other = (uint16_t)(f & ~VCTL_NBD_CMD_FLAG_FUA);
	if (other & ~flags_allowed(t))
		return fail(why, "command flag not valid for this command", VCTL_NBD_EINVAL);
	if ((f & VCTL_NBD_CMD_FLAG_FUA) && !(tf & VCTL_NBD_TFLAG_SEND_FUA))
		return fail(why, "FUA flag was not negotiated", VCTL_NBD_EINVAL);
	if ((f & VCTL_NBD_CMD_FLAG_DF) && !(tf & VCTL_NBD_TFLAG_SEND_DF))
		return fail(why, "DF flag was not negotiated", VCTL_NBD_EINVAL);
	if ((f & VCTL_NBD_CMD_FLAG_FAST_ZERO) && !(tf & VCTL_NBD_TFLAG_SEND_FAST_ZERO))
		return fail(why, "FAST_ZERO flag was not negotiated", VCTL_NBD_EINVAL);

	bool is_write = t == VCTL_NBD_CMD_WRITE || t == VCTL_NBD_CMD_TRIM ||
			t == VCTL_NBD_CMD_WRITE_ZEROES;
	if (is_write && (tf & VCTL_NBD_TFLAG_READ_ONLY))
		return fail(why, "export is read-only", VCTL_NBD_EPERM);

	switch (t) {
	case VCTL_NBD_CMD_FLUSH:
		if (!(tf & VCTL_NBD_TFLAG_SEND_FLUSH))
			return fail(why, "FLUSH was not negotiated", VCTL_NBD_EINVAL);
		if (req->offset || req->length)
			return fail(why, "FLUSH needs offset and length 0", VCTL_NBD_EINVAL);
		return 0;
	case VCTL_NBD_CMD_TRIM:
		if (!(tf & VCTL_NBD_TFLAG_SEND_TRIM))
			return fail(why, "TRIM was not negotiated", VCTL_NBD_EINVAL);
		break;
	case VCTL_NBD_CMD_WRITE_ZEROES:
		if (!(tf & VCTL_NBD_TFLAG_SEND_WRITE_ZEROES))
			return fail(why, "WRITE_ZEROES was not negotiated", VCTL_NBD_EINVAL);
		break;
	case VCTL_NBD_CMD_BLOCK_STATUS:
		if (!s->structured || !s->meta_allocation)
			return fail(why, "no metadata context was negotiated", VCTL_NBD_EINVAL);
		/* No extent can describe zero bytes, so there is no valid answer. */
		if (req->length == 0)
			return fail(why, "BLOCK_STATUS of zero bytes", VCTL_NBD_EINVAL);
		break;
	case VCTL_NBD_CMD_READ:
	case VCTL_NBD_CMD_WRITE:
		if (req->length > VCTL_NBD_MAX_PAYLOAD)
			return fail(why, "request is larger than 64 MiB", VCTL_NBD_EINVAL);
		break;
	default:
		break;
	}

	bool past_end = req->offset > s->size || req->length > s->size - req->offset;
	if (past_end) {
		if (t == VCTL_NBD_CMD_WRITE || t == VCTL_NBD_CMD_WRITE_ZEROES)
			return fail(why, "write beyond the end of the export", VCTL_NBD_ENOSPC);
		return fail(why, "request beyond the end of the export", VCTL_NBD_EINVAL);
	}
	return 0;
}

void vctl_nbd_encode_simple_reply(uint8_t out[VCTL_NBD_SIMPLE_REPLY_SIZE], uint64_t cookie,
				  uint32_t error)
{
	vctl_nbd_put32(out, VCTL_NBD_SIMPLE_REPLY_MAGIC);
	vctl_nbd_put32(out + 4, error);
	vctl_nbd_put64(out + 8, cookie);
}

int vctl_nbd_decode_simple_reply(const uint8_t in[VCTL_NBD_SIMPLE_REPLY_SIZE],
				 struct vctl_nbd_simple_reply *reply)
{
	if (vctl_nbd_get32(in) != VCTL_NBD_SIMPLE_REPLY_MAGIC)
		return -EPROTO;
	reply->error = vctl_nbd_get32(in + 4);
	reply->cookie = vctl_nbd_get64(in + 8);
	return 0;
}

void vctl_nbd_encode_chunk_hdr(uint8_t out[VCTL_NBD_CHUNK_HDR_SIZE], uint16_t flags,
			       uint16_t type, uint64_t cookie, uint32_t len)
{
	vctl_nbd_put32(out, VCTL_NBD_CHUNK_MAGIC);
	vctl_nbd_put16(out + 4, flags);
	vctl_nbd_put16(out + 6, type);
	vctl_nbd_put64(out + 8, cookie);
	vctl_nbd_put32(out + 16, len);
}

int vctl_nbd_decode_chunk_hdr(const uint8_t in[VCTL_NBD_CHUNK_HDR_SIZE],
			      struct vctl_nbd_chunk_hdr *hdr)
{
	if (vctl_nbd_get32(in) != VCTL_NBD_CHUNK_MAGIC)
		return -EPROTO;
	hdr->flags = vctl_nbd_get16(in + 4);
	hdr->type = vctl_nbd_get16(in + 6);
	hdr->cookie = vctl_nbd_get64(in + 8);
	hdr->len = vctl_nbd_get32(in + 16);
	return 0;
}

void vctl_nbd_encode_data_chunk_hdr(uint8_t out[VCTL_NBD_DATA_CHUNK_HDR_SIZE], uint64_t cookie,
				    uint64_t offset, uint32_t data_len, bool done)
{
	vctl_nbd_encode_chunk_hdr(out, done ? VCTL_NBD_REPLY_FLAG_DONE : 0,
				  VCTL_NBD_REPLY_TYPE_OFFSET_DATA, cookie, 8 + data_len);
	vctl_nbd_put64(out + VCTL_NBD_CHUNK_HDR_SIZE, offset);
}

void vctl_nbd_encode_hole_chunk(uint8_t out[VCTL_NBD_HOLE_CHUNK_SIZE], uint64_t cookie,
				uint64_t offset, uint32_t hole_len, bool done)
{
	vctl_nbd_encode_chunk_hdr(out, done ? VCTL_NBD_REPLY_FLAG_DONE : 0,
				  VCTL_NBD_REPLY_TYPE_OFFSET_HOLE, cookie, 12);
	vctl_nbd_put64(out + VCTL_NBD_CHUNK_HDR_SIZE, offset);
	vctl_nbd_put32(out + VCTL_NBD_CHUNK_HDR_SIZE + 8, hole_len);
}

size_t vctl_nbd_encode_error_chunk(uint8_t *out, size_t cap, uint64_t cookie, uint32_t error,
				   const char *msg)
{
	uint32_t mlen = wire_strlen(msg);
	size_t need = VCTL_NBD_CHUNK_HDR_SIZE + 6 + (size_t)mlen;
	if (need > cap)
		return need;
	vctl_nbd_encode_chunk_hdr(out, VCTL_NBD_REPLY_FLAG_DONE, VCTL_NBD_REPLY_TYPE_ERROR,
				  cookie, 6 + mlen);
	vctl_nbd_put32(out + VCTL_NBD_CHUNK_HDR_SIZE, error);
	vctl_nbd_put16(out + VCTL_NBD_CHUNK_HDR_SIZE + 4, (uint16_t)mlen);
	if (mlen)
		memcpy(out + VCTL_NBD_CHUNK_HDR_SIZE + 6, msg, mlen);
	return need;
}

size_t vctl_nbd_encode_block_status(uint8_t *out, size_t cap, uint64_t cookie, uint32_t id,
				    const struct vctl_nbd_extent *ext, size_t n, bool done)
{
	size_t need = VCTL_NBD_CHUNK_HDR_SIZE + 4 + 8 * n;
	if (need > cap)
		return need;
	vctl_nbd_encode_chunk_hdr(out, done ? VCTL_NBD_REPLY_FLAG_DONE : 0,
				  VCTL_NBD_REPLY_TYPE_BLOCK_STATUS, cookie,
				  (uint32_t)(need - VCTL_NBD_CHUNK_HDR_SIZE));
	uint8_t *p = out + VCTL_NBD_CHUNK_HDR_SIZE;
	vctl_nbd_put32(p, id);
	for (size_t i = 0; i < n; i++) {
		vctl_nbd_put32(p + 4 + 8 * i, ext[i].length);
		vctl_nbd_put32(p + 8 + 8 * i, ext[i].flags);
	}
	return need;
}

uint32_t vctl_nbd_errno_to_wire(int e)
{
	switch (e < 0 ? -e : e) {
	case 0:
		return 0;
	case EPERM:
	case EACCES:
	case EROFS:
		return VCTL_NBD_EPERM;
	case EIO:
		return VCTL_NBD_EIO;
	case ENOMEM:
		return VCTL_NBD_ENOMEM;
	case EINVAL:
		return VCTL_NBD_EINVAL;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return VCTL_NBD_ENOSPC;
	case EOVERFLOW:
		return VCTL_NBD_EOVERFLOW;
	case ENOTSUP:
		return VCTL_NBD_ENOTSUP;
	case ESHUTDOWN:
		return VCTL_NBD_ESHUTDOWN;
	default:
		return VCTL_NBD_EIO;
	}
}

uint32_t vctl_nbd_errno_to_rep(int e)
{
	switch (e < 0 ? -e : e) {
	case ENOENT:
		return VCTL_NBD_REP_ERR_UNKNOWN;
	case EACCES:
	case EPERM:
		return VCTL_NBD_REP_ERR_POLICY;
	case ESHUTDOWN:
		return VCTL_NBD_REP_ERR_SHUTDOWN;
	case EINVAL:
		return VCTL_NBD_REP_ERR_INVALID;
	case ENOTSUP:
		return VCTL_NBD_REP_ERR_UNSUP;
	case E2BIG:
		return VCTL_NBD_REP_ERR_TOO_BIG;
	default:
		return VCTL_NBD_REP_ERR_UNKNOWN;
	}
}

const char *vctl_nbd_cmd_name(uint16_t type)
{
	static const char *const names[] = {
		"NBD_CMD_READ",	 "NBD_CMD_WRITE", "NBD_CMD_DISC",	  "NBD_CMD_FLUSH",
		"NBD_CMD_TRIM",	 "NBD_CMD_CACHE", "NBD_CMD_WRITE_ZEROES", "NBD_CMD_BLOCK_STATUS",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

const char *vctl_nbd_opt_name(uint32_t option)
{
	switch (option) {
	case VCTL_NBD_OPT_EXPORT_NAME:
		return "NBD_OPT_EXPORT_NAME";
	case VCTL_NBD_OPT_ABORT:
		return "NBD_OPT_ABORT";
	case VCTL_NBD_OPT_LIST:
		return "NBD_OPT_LIST";
	case VCTL_NBD_OPT_STARTTLS:
		return "NBD_OPT_STARTTLS";
	case VCTL_NBD_OPT_INFO:
		return "NBD_OPT_INFO";
	case VCTL_NBD_OPT_GO:
		return "NBD_OPT_GO";
	case VCTL_NBD_OPT_STRUCTURED_REPLY:
		return "NBD_OPT_STRUCTURED_REPLY";
	case VCTL_NBD_OPT_LIST_META_CONTEXT:
		return "NBD_OPT_LIST_META_CONTEXT";
	case VCTL_NBD_OPT_SET_META_CONTEXT:
		return "NBD_OPT_SET_META_CONTEXT";
	default:
		return "unknown";
	}
}
