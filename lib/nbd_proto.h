/* The NBD wire format (NetworkBlockDevice doc/proto.md): constants and the
 * encoders/decoders of every message the server reads or sends, plus the
 * client-side halves the tests and fuzzers need. Pure functions over
 * caller buffers: no I/O, no allocation, no global state, so each one can
 * be fuzzed on its own. Every field on the wire is big-endian. */
#ifndef VCTL_LIB_NBD_PROTO_H
#define VCTL_LIB_NBD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt/err.h"

#define VCTL_NBD_MAGIC 0x4e42444d41474943ULL    /* "NBDMAGIC" */
#define VCTL_NBD_IHAVEOPT 0x49484156454f5054ULL /* "IHAVEOPT" */
#define VCTL_NBD_OPT_REPLY_MAGIC 0x0003e889045565a9ULL
#define VCTL_NBD_REQUEST_MAGIC 0x25609513u
#define VCTL_NBD_SIMPLE_REPLY_MAGIC 0x67446698u
#define VCTL_NBD_CHUNK_MAGIC 0x668e33efu

/* Fixed message sizes. */
enum {
	VCTL_NBD_GREETING_SIZE = 18,    /* magic, IHAVEOPT, handshake flags */
	VCTL_NBD_CLIENT_FLAGS_SIZE = 4,
	VCTL_NBD_OPT_HDR_SIZE = 16,     /* IHAVEOPT, option, length */
	VCTL_NBD_OPT_REPLY_HDR_SIZE = 20,
	VCTL_NBD_EXPORT_NAME_REPLY_SIZE = 134, /* size, flags, 124 zeroes */
	VCTL_NBD_REQUEST_SIZE = 28,
	VCTL_NBD_SIMPLE_REPLY_SIZE = 16,
	VCTL_NBD_CHUNK_HDR_SIZE = 20,
	VCTL_NBD_DATA_CHUNK_HDR_SIZE = 28, /* chunk header + offset */
	VCTL_NBD_HOLE_CHUNK_SIZE = 32,     /* chunk header + offset + length */
	VCTL_NBD_INFO_EXPORT_SIZE = 32,    /* reply header + type, size, flags */
	VCTL_NBD_INFO_BLOCK_SIZE_SIZE = 34,
};

/* Limits the protocol sets or clients rely on. */
#define VCTL_NBD_MAX_STRING 4096u              /* names, messages */
#define VCTL_NBD_MAX_PAYLOAD (64u << 20)      /* largest READ/WRITE accepted */
#define VCTL_NBD_ADVERTISED_MAX_BLOCK (32u << 20)
#define VCTL_NBD_PREFERRED_BLOCK 4096u

/* Handshake flags (server) and client flags share bits. */
enum {
	VCTL_NBD_FLAG_FIXED_NEWSTYLE = 1u << 0,
	VCTL_NBD_FLAG_NO_ZEROES = 1u << 1,
};

enum vctl_nbd_option {
	VCTL_NBD_OPT_EXPORT_NAME = 1,
	VCTL_NBD_OPT_ABORT = 2,
	VCTL_NBD_OPT_LIST = 3,
	VCTL_NBD_OPT_STARTTLS = 5,
	VCTL_NBD_OPT_INFO = 6,
	VCTL_NBD_OPT_GO = 7,
	VCTL_NBD_OPT_STRUCTURED_REPLY = 8,
	VCTL_NBD_OPT_LIST_META_CONTEXT = 9,
	VCTL_NBD_OPT_SET_META_CONTEXT = 10,
};

#define VCTL_NBD_REP_ERR(n) (0x80000000u + (n))
enum vctl_nbd_rep {
	VCTL_NBD_REP_ACK = 1,
	VCTL_NBD_REP_SERVER = 2,
	VCTL_NBD_REP_INFO = 3,
	VCTL_NBD_REP_META_CONTEXT = 4,
	VCTL_NBD_REP_ERR_UNSUP = VCTL_NBD_REP_ERR(1),
	VCTL_NBD_REP_ERR_POLICY = VCTL_NBD_REP_ERR(2),
	VCTL_NBD_REP_ERR_INVALID = VCTL_NBD_REP_ERR(3),
	VCTL_NBD_REP_ERR_PLATFORM = VCTL_NBD_REP_ERR(4),
	VCTL_NBD_REP_ERR_TLS_REQD = VCTL_NBD_REP_ERR(5),
	VCTL_NBD_REP_ERR_UNKNOWN = VCTL_NBD_REP_ERR(6),
	VCTL_NBD_REP_ERR_SHUTDOWN = VCTL_NBD_REP_ERR(7),
	VCTL_NBD_REP_ERR_BLOCK_SIZE_REQD = VCTL_NBD_REP_ERR(8),
	VCTL_NBD_REP_ERR_TOO_BIG = VCTL_NBD_REP_ERR(9),
};

enum vctl_nbd_info {
	VCTL_NBD_INFO_EXPORT = 0,
	VCTL_NBD_INFO_NAME = 1,
	VCTL_NBD_INFO_DESCRIPTION = 2,
	VCTL_NBD_INFO_BLOCK_SIZE = 3,
};

/* Transmission flags. */
enum {
	VCTL_NBD_TFLAG_HAS_FLAGS = 1u << 0,
	VCTL_NBD_TFLAG_READ_ONLY = 1u << 1,
	VCTL_NBD_TFLAG_SEND_FLUSH = 1u << 2,
	VCTL_NBD_TFLAG_SEND_FUA = 1u << 3,
	VCTL_NBD_TFLAG_ROTATIONAL = 1u << 4,
	VCTL_NBD_TFLAG_SEND_TRIM = 1u << 5,
	VCTL_NBD_TFLAG_SEND_WRITE_ZEROES = 1u << 6,
	VCTL_NBD_TFLAG_SEND_DF = 1u << 7,
	VCTL_NBD_TFLAG_CAN_MULTI_CONN = 1u << 8,
	VCTL_NBD_TFLAG_SEND_CACHE = 1u << 10,
	VCTL_NBD_TFLAG_SEND_FAST_ZERO = 1u << 11,
};

enum vctl_nbd_cmd {
	VCTL_NBD_CMD_READ = 0,
	VCTL_NBD_CMD_WRITE = 1,
	VCTL_NBD_CMD_DISC = 2,
	VCTL_NBD_CMD_FLUSH = 3,
	VCTL_NBD_CMD_TRIM = 4,
	VCTL_NBD_CMD_CACHE = 5,
	VCTL_NBD_CMD_WRITE_ZEROES = 6,
	VCTL_NBD_CMD_BLOCK_STATUS = 7,
};

enum {
	VCTL_NBD_CMD_FLAG_FUA = 1u << 0,
	VCTL_NBD_CMD_FLAG_NO_HOLE = 1u << 1,
	VCTL_NBD_CMD_FLAG_DF = 1u << 2,
	VCTL_NBD_CMD_FLAG_REQ_ONE = 1u << 3,
	VCTL_NBD_CMD_FLAG_FAST_ZERO = 1u << 4,
};

enum {
	VCTL_NBD_REPLY_FLAG_DONE = 1u << 0,
};

enum vctl_nbd_chunk_type {
	VCTL_NBD_REPLY_TYPE_NONE = 0,
	VCTL_NBD_REPLY_TYPE_OFFSET_DATA = 1,
	VCTL_NBD_REPLY_TYPE_OFFSET_HOLE = 2,
	VCTL_NBD_REPLY_TYPE_BLOCK_STATUS = 5,
	VCTL_NBD_REPLY_TYPE_ERROR = 0x8001,
	VCTL_NBD_REPLY_TYPE_ERROR_OFFSET = 0x8002,
};

/* The error values allowed on the wire (they happen to be Linux errnos). */
enum {
	VCTL_NBD_EPERM = 1,
	VCTL_NBD_EIO = 5,
	VCTL_NBD_ENOMEM = 12,
	VCTL_NBD_EINVAL = 22,
	VCTL_NBD_ENOSPC = 28,
	VCTL_NBD_EOVERFLOW = 75,
	VCTL_NBD_ENOTSUP = 95,
	VCTL_NBD_ESHUTDOWN = 108,
};

/* base:allocation status bits. */
enum {
	VCTL_NBD_STATE_HOLE = 1u << 0,
	VCTL_NBD_STATE_ZERO = 1u << 1,
};

#define VCTL_NBD_META_BASE_ALLOCATION "base:allocation"

static inline void vctl_nbd_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void vctl_nbd_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline void vctl_nbd_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint16_t vctl_nbd_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t vctl_nbd_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t vctl_nbd_get64(const uint8_t *p)
{
	return (uint64_t)vctl_nbd_get32(p) << 32 | vctl_nbd_get32(p + 4);
}

/* ---- Handshake ---- */

/* The server's first message: NBDMAGIC, IHAVEOPT, FIXED_NEWSTYLE|NO_ZEROES. */
void vctl_nbd_encode_greeting(uint8_t out[VCTL_NBD_GREETING_SIZE]);
/* Client side: -EPROTO unless both magics match; the flags go to *hflags. */
int vctl_nbd_decode_greeting(const uint8_t in[VCTL_NBD_GREETING_SIZE], uint16_t *hflags);

void vctl_nbd_encode_client_flags(uint8_t out[VCTL_NBD_CLIENT_FLAGS_SIZE], uint32_t flags);
/* -EPROTO if the client sets a bit the server did not offer: the protocol
 * says to drop such a client. */
int vctl_nbd_decode_client_flags(const uint8_t in[VCTL_NBD_CLIENT_FLAGS_SIZE],
				 uint32_t *flags);

struct vctl_nbd_opt_hdr {
	uint32_t option;
	uint32_t len; /* payload bytes that follow */
};

void vctl_nbd_encode_opt_hdr(uint8_t out[VCTL_NBD_OPT_HDR_SIZE], uint32_t option,
			     uint32_t len);
/* -EPROTO on a wrong magic: the stream is lost, drop the client. */
int vctl_nbd_decode_opt_hdr(const uint8_t in[VCTL_NBD_OPT_HDR_SIZE],
			    struct vctl_nbd_opt_hdr *hdr);

struct vctl_nbd_opt_reply_hdr {
	uint32_t option;
	uint32_t type;
	uint32_t len;
};

void vctl_nbd_encode_opt_reply_hdr(uint8_t out[VCTL_NBD_OPT_REPLY_HDR_SIZE], uint32_t option,
				   uint32_t type, uint32_t len);
int vctl_nbd_decode_opt_reply_hdr(const uint8_t in[VCTL_NBD_OPT_REPLY_HDR_SIZE],
				  struct vctl_nbd_opt_reply_hdr *hdr);

/* An export name or other protocol string as found in a payload: points
 * into the caller's buffer, not NUL-terminated. Decoders guarantee
 * len <= VCTL_NBD_MAX_STRING and no NUL byte inside. */
struct vctl_nbd_str {
	const char *ptr;
	uint32_t len;
};

/* NBD_OPT_INFO / NBD_OPT_GO payload: name, then a list of info types. */
struct vctl_nbd_info_req {
	struct vctl_nbd_str name;
	uint16_t n_types;
	const uint8_t *types; /* n_types big-endian 16-bit values */
};

/* 0, or -EINVAL with a message for a malformed payload (the server answers
 * NBD_REP_ERR_INVALID and carries on). */
int vctl_nbd_decode_info_req(const uint8_t *p, size_t len, struct vctl_nbd_info_req *req,
			     struct vctl_err *err);
uint16_t vctl_nbd_info_req_type(const struct vctl_nbd_info_req *req, unsigned i);
bool vctl_nbd_info_req_has(const struct vctl_nbd_info_req *req, uint16_t type);
/* Client side. Returns the encoded length; writes only if it fits in cap
 * (snprintf's convention), so a first call with cap 0 sizes the buffer. */
size_t vctl_nbd_encode_info_req(uint8_t *out, size_t cap, const char *name, size_t name_len,
				const uint16_t *types, uint16_t n_types);

/* NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT payload: name, then
 * a count of queries, each a length-prefixed string. */
struct vctl_nbd_meta_req {
	struct vctl_nbd_str name;
	uint32_t n_queries;
	const uint8_t *queries; /* the validated query list */
	size_t queries_len;
};

int vctl_nbd_decode_meta_req(const uint8_t *p, size_t len, struct vctl_nbd_meta_req *req,
			     struct vctl_err *err);
/* Query i (0 <= i < n_queries) of a decoded request. Walks the list, so a
 * loop over every query is quadratic; the server caps the option size. */
struct vctl_nbd_str vctl_nbd_meta_req_query(const struct vctl_nbd_meta_req *req, uint32_t i);
size_t vctl_nbd_encode_meta_req(uint8_t *out, size_t cap, const char *name, size_t name_len,
				const char *const *queries, uint32_t n_queries);

/* Whether query q names base:allocation. `list` is true for
 * LIST_META_CONTEXT, where the bare namespace "base:" is a wildcard; for
 * SET_META_CONTEXT it selects nothing. Unknown namespaces select nothing
 * and are not errors. */
bool vctl_nbd_meta_selects_allocation(struct vctl_nbd_str q, bool list);

/* Option replies, header included. Each returns the encoded length and
 * writes only if it fits in cap. Strings longer than VCTL_NBD_MAX_STRING
 * are cut to that length. */
size_t vctl_nbd_encode_rep_ack(uint8_t *out, size_t cap, uint32_t option);
size_t vctl_nbd_encode_rep_error(uint8_t *out, size_t cap, uint32_t option, uint32_t type,
				 const char *msg);
size_t vctl_nbd_encode_rep_server(uint8_t *out, size_t cap, uint32_t option, const char *name,
				  const char *description);
size_t vctl_nbd_encode_rep_info_export(uint8_t *out, size_t cap, uint32_t option,
				       uint64_t size, uint16_t tflags);
/* NBD_INFO_NAME or NBD_INFO_DESCRIPTION */
size_t vctl_nbd_encode_rep_info_string(uint8_t *out, size_t cap, uint32_t option,
				       uint16_t type, const char *s);
size_t vctl_nbd_encode_rep_info_block_size(uint8_t *out, size_t cap, uint32_t option,
					   uint32_t min, uint32_t pref, uint32_t max);
size_t vctl_nbd_encode_rep_meta_context(uint8_t *out, size_t cap, uint32_t option,
					uint32_t id, const char *name);

/* The old NBD_OPT_EXPORT_NAME answer: size and flags, then 124 zero bytes
 * unless the client negotiated NO_ZEROES. Returns 10 or 134. */
size_t vctl_nbd_encode_export_name_reply(uint8_t out[VCTL_NBD_EXPORT_NAME_REPLY_SIZE],
					 uint64_t size, uint16_t tflags, bool no_zeroes);

/* ---- Transmission ---- */

struct vctl_nbd_request {
	uint16_t flags;
	uint16_t type;
	uint64_t cookie;
	uint64_t offset;
	uint32_t length;
};

void vctl_nbd_encode_request(uint8_t out[VCTL_NBD_REQUEST_SIZE],
			     const struct vctl_nbd_request *req);
/* -EPROTO on a wrong magic (garbage: drop the client). */
int vctl_nbd_decode_request(const uint8_t in[VCTL_NBD_REQUEST_SIZE],
			    struct vctl_nbd_request *req);

/* What was negotiated on one connection, as request validation sees it. */
struct vctl_nbd_session {
	uint64_t size;
	uint16_t tflags;     /* the transmission flags sent to the client */
	bool structured;     /* NBD_OPT_STRUCTURED_REPLY acknowledged */
	bool meta_allocation; /* base:allocation selected for this export */
};

/* The checks every request passes before the backend sees it, in the
 * order the protocol's error table implies: unknown command, then flags
 * not allowed for the command or not negotiated, then writes to a
 * read-only export (EPERM), then commands not advertised, then lengths and
 * bounds (writes past the end ENOSPC, anything else EINVAL; offset+length
 * overflow counts as past the end). Returns 0 or an NBD error value, and
 * points *why (if non-NULL) at a static message. NBD_CMD_DISC is valid. */
uint32_t vctl_nbd_check_request(const struct vctl_nbd_request *req,
				const struct vctl_nbd_session *s, const char **why);

struct vctl_nbd_simple_reply {
	uint32_t error;
	uint64_t cookie;
};

void vctl_nbd_encode_simple_reply(uint8_t out[VCTL_NBD_SIMPLE_REPLY_SIZE], uint64_t cookie,
				  uint32_t error);
int vctl_nbd_decode_simple_reply(const uint8_t in[VCTL_NBD_SIMPLE_REPLY_SIZE],
				 struct vctl_nbd_simple_reply *reply);

struct vctl_nbd_chunk_hdr {
	uint16_t flags;
	uint16_t type;
	uint64_t cookie;
	uint32_t len;
};

void vctl_nbd_encode_chunk_hdr(uint8_t out[VCTL_NBD_CHUNK_HDR_SIZE], uint16_t flags,
			       uint16_t type, uint64_t cookie, uint32_t len);
int vctl_nbd_decode_chunk_hdr(const uint8_t in[VCTL_NBD_CHUNK_HDR_SIZE],
			      struct vctl_nbd_chunk_hdr *hdr);

/* OFFSET_DATA: the header and offset; data_len bytes of data follow
 * (data_len >= 1 and <= UINT32_MAX - 8; the caller guarantees it). */
void vctl_nbd_encode_data_chunk_hdr(uint8_t out[VCTL_NBD_DATA_CHUNK_HDR_SIZE], uint64_t cookie,
				    uint64_t offset, uint32_t data_len, bool done);
void vctl_nbd_encode_hole_chunk(uint8_t out[VCTL_NBD_HOLE_CHUNK_SIZE], uint64_t cookie,
				uint64_t offset, uint32_t hole_len, bool done);
/* An NBD_REPLY_TYPE_ERROR chunk with DONE set and an optional message (cut
 * to VCTL_NBD_MAX_STRING). Returns the length; writes only if it fits. */
size_t vctl_nbd_encode_error_chunk(uint8_t *out, size_t cap, uint64_t cookie, uint32_t error,
				   const char *msg);

struct vctl_nbd_extent {
	uint32_t length; /* nonzero */
	uint32_t flags;  /* VCTL_NBD_STATE_* */
};

/* One NBD_REPLY_TYPE_BLOCK_STATUS chunk for context `id`. n >= 1. */
size_t vctl_nbd_encode_block_status(uint8_t *out, size_t cap, uint64_t cookie, uint32_t id,
				    const struct vctl_nbd_extent *ext, size_t n, bool done);

/* A negative (or positive) errno as the NBD error value the protocol
 * allows: EDQUOT/EFBIG count as ENOSPC, EACCES/EROFS as EPERM, anything
 * unknown as EIO. 0 stays 0. */
uint32_t vctl_nbd_errno_to_wire(int e);
/* An errno from the backend's open as the option error reply: ENOENT
 * UNKNOWN, EACCES/EPERM POLICY, ESHUTDOWN SHUTDOWN, EINVAL INVALID,
 * ENOTSUP UNSUP, E2BIG TOO_BIG, else UNKNOWN (the export cannot be had). */
uint32_t vctl_nbd_errno_to_rep(int e);

/* Names for logs ("NBD_CMD_READ"), "unknown" otherwise. */
const char *vctl_nbd_cmd_name(uint16_t type);
const char *vctl_nbd_opt_name(uint32_t option);

#endif
