/* libFuzzer target for the NBD transmission-phase decoders and request
 * validation (lib/nbd_proto.c).
 *
 * Input: a 28-byte request, then the session it arrives in: export size
 * (8 bytes, big-endian), transmission flags (2), and one byte whose bit 0
 * says structured replies and bit 1 base:allocation were negotiated;
 * missing bytes read as zero. The rest drives the reply encoders.
 *
 * For every input:
 * - vctl_nbd_decode_request fails (-EPROTO) exactly when the magic is
 *   wrong; on success re-encoding gives back the same 28 bytes;
 * - vctl_nbd_check_request agrees with an independent model of the rules
 *   (NBD.md: unknown command or flag EINVAL, read-only EPERM, writes past
 *   the end ENOSPC, other requests past the end EINVAL, overflow counts as
 *   past the end, zero lengths fine except BLOCK_STATUS, READ/WRITE at most
 *   64 MiB), gives a message exactly when it refuses, and never lets
 *   through a request the backend could not serve safely;
 * - simple replies, chunk headers, error chunks and BLOCK_STATUS chunks
 *   decode back to what was encoded, and the encoders' lengths are exact.
 *
 * Corpus names (tests/fuzz/fuzz.h): valid-* must pass vctl_nbd_check_request,
 * refused-* must fail to decode or be refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/nbd_proto.h"
#include "tests/fuzz/fuzz.h"

enum fuzz_expect fuzz_expect;

/* The rules, restated from NBD.md rather than from the code under test. */
static uint32_t model(const struct vctl_nbd_request *q, const struct vctl_nbd_session *s)
{
	const uint16_t fua = 1, no_hole = 2, df = 4, req_one = 8, fast_zero = 16;
	uint16_t tf = s->tflags, f = q->flags;
	if (q->type > 7)
		return 22;
	if (q->type == 2)
		return 0;
	static const uint16_t allowed[8] = {[0] = 4, [6] = 2 | 16, [7] = 8};
	if ((f & ~fua) & ~allowed[q->type])
		return 22;
	if ((f & fua) && !(tf & (1u << 3)))
		return 22;
	if ((f & df) && !(tf & (1u << 7)))
		return 22;
	if ((f & fast_zero) && !(tf & (1u << 11)))
		return 22;
	(void)no_hole;
	(void)req_one;
	bool writes = q->type == 1 || q->type == 4 || q->type == 6;
	if (writes && (tf & (1u << 1)))
		return 1;
	if (q->type == 3)
		return (tf & (1u << 2)) && !q->offset && !q->length ? 0 : 22;
	if (q->type == 4 && !(tf & (1u << 5)))
		return 22;
	if (q->type == 6 && !(tf & (1u << 6)))
		return 22;
	if (q->type == 7 && (!s->structured || !s->meta_allocation || !q->length))
		return 22;
	if ((q->type == 0 || q->type == 1) && q->length > (64u << 20))
		return 22;
	/* In 128 bits there is no overflow to get wrong. */
	unsigned __int128 end = (unsigned __int128)q->offset + q->length;
	if (end > s->size)
		return q->type == 1 || q->type == 6 ? 28 : 22;
	return 0;
}

static void check_request(const uint8_t *data, size_t size)
{
	uint8_t raw[VCTL_NBD_REQUEST_SIZE] = {0};
	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	uint8_t sess[11] = {0};
	if (size > sizeof(raw))
		memcpy(sess, data + sizeof(raw),
		       size - sizeof(raw) < sizeof(sess) ? size - sizeof(raw) : sizeof(sess));

	struct vctl_nbd_request q;
	int r = vctl_nbd_decode_request(raw, &q);
	bool magic_ok = raw[0] == 0x25 && raw[1] == 0x60 && raw[2] == 0x95 && raw[3] == 0x13;
	FUZZ_CHECK(magic_ok ? r == 0 : r == -EPROTO, "decode returned %d, magic %s", r,
		   magic_ok ? "right" : "wrong");
	if (r < 0) {
		FUZZ_CHECK(fuzz_expect != FUZZ_EXPECT_VALID, "valid-* input has a bad magic");
		return;
	}
	uint8_t again[VCTL_NBD_REQUEST_SIZE];
	vctl_nbd_encode_request(again, &q);
	FUZZ_CHECK(!memcmp(again, raw, sizeof(raw)), "request does not re-encode the same");

	struct vctl_nbd_session s = {
		.size = vctl_nbd_get64(sess),
		.tflags = vctl_nbd_get16(sess + 8),
		.structured = sess[10] & 1,
		.meta_allocation = sess[10] & 2,
	};
	const char *why = (const char *)1;
	uint32_t e = vctl_nbd_check_request(&q, &s, &why);
	uint32_t want = model(&q, &s);
	FUZZ_CHECK(e == want, "check says %u (%s), the rules say %u (type %u flags %#x "
		   "offset %llu length %u size %llu tflags %#x)", e, why ? why : "-", want,
		   q.type, q.flags, (unsigned long long)q.offset, q.length,
		   (unsigned long long)s.size, s.tflags);
	FUZZ_CHECK(e ? why && why[0] : why == NULL, "message and verdict disagree");
	FUZZ_CHECK(e == 0 || e == VCTL_NBD_EPERM || e == VCTL_NBD_EINVAL || e == VCTL_NBD_ENOSPC,
		   "error %u is not one the checks may give", e);
	if (e == 0 && q.type != VCTL_NBD_CMD_DISC)
		FUZZ_CHECK(q.offset <= s.size && q.length <= s.size - q.offset,
			   "a request past the end was let through");
	if (fuzz_expect == FUZZ_EXPECT_VALID)
		FUZZ_CHECK(e == 0, "valid-* input refused: %s", why);
	if (fuzz_expect == FUZZ_EXPECT_REFUSED)
		FUZZ_CHECK(e != 0, "refused-* input accepted");
}

/* Encoders against their decoders, with values taken from the input. */
static void check_replies(const uint8_t *data, size_t size)
{
	uint8_t v[16] = {0};
	memcpy(v, data, size < sizeof(v) ? size : sizeof(v));
	uint64_t cookie = vctl_nbd_get64(v);
	uint32_t error = vctl_nbd_get32(v + 8);

	uint8_t sr[VCTL_NBD_SIMPLE_REPLY_SIZE];
	struct vctl_nbd_simple_reply simple;
	vctl_nbd_encode_simple_reply(sr, cookie, error);
	FUZZ_CHECK(vctl_nbd_decode_simple_reply(sr, &simple) == 0 && simple.cookie == cookie &&
			   simple.error == error,
		   "simple reply round trip");

	/* A message of up to 5000 bytes from the input: cut to 4096 on the
	 * wire, and to the first NUL, as a C string is. */
	size_t mlen = size > 16 ? size - 16 : 0;
	if (mlen > 5000)
		mlen = 5000;
	char *msg = malloc(mlen + 1);
	if (!msg)
		return;
	memcpy(msg, data + (size > 16 ? 16 : size), mlen);
	msg[mlen] = '\0';
	size_t want_msg = strnlen(msg, VCTL_NBD_MAX_STRING);
	size_t need = vctl_nbd_encode_error_chunk(NULL, 0, cookie, error, msg);
	FUZZ_CHECK(need == VCTL_NBD_CHUNK_HDR_SIZE + 6 + want_msg, "error chunk size %zu", need);
	uint8_t *chunk = malloc(need);
	if (chunk) {
		FUZZ_CHECK(vctl_nbd_encode_error_chunk(chunk, need, cookie, error, msg) == need,
			   "error chunk length changed between calls");
		struct vctl_nbd_chunk_hdr h;
		FUZZ_CHECK(vctl_nbd_decode_chunk_hdr(chunk, &h) == 0 && h.cookie == cookie &&
				   h.type == VCTL_NBD_REPLY_TYPE_ERROR &&
				   h.flags == VCTL_NBD_REPLY_FLAG_DONE && h.len == need - 20,
			   "error chunk header round trip");
		FUZZ_CHECK(vctl_nbd_get32(chunk + 20) == error &&
				   vctl_nbd_get16(chunk + 24) == want_msg &&
				   !memcmp(chunk + 26, msg, want_msg),
			   "error chunk payload round trip");
		free(chunk);
	}
	free(msg);

	/* Up to 64 extents from the input. */
	struct vctl_nbd_extent ext[64];
	size_t n = 0;
	for (size_t off = 16; off + 8 <= size && n < 64; off += 8, n++) {
		ext[n].length = vctl_nbd_get32(data + off) | 1;
		ext[n].flags = vctl_nbd_get32(data + off + 4);
	}
	if (n == 0)
		return;
	uint8_t bs[VCTL_NBD_CHUNK_HDR_SIZE + 4 + 8 * 64];
	size_t len = vctl_nbd_encode_block_status(bs, sizeof(bs), cookie, error, ext, n, true);
	FUZZ_CHECK(len == VCTL_NBD_CHUNK_HDR_SIZE + 4 + 8 * n, "block status length %zu", len);
	struct vctl_nbd_chunk_hdr h;
	FUZZ_CHECK(vctl_nbd_decode_chunk_hdr(bs, &h) == 0 && h.len == len - 20 &&
			   h.type == VCTL_NBD_REPLY_TYPE_BLOCK_STATUS && h.cookie == cookie,
		   "block status header round trip");
	FUZZ_CHECK(vctl_nbd_get32(bs + 20) == error, "context id");
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(vctl_nbd_get32(bs + 24 + 8 * i) == ext[i].length &&
				   vctl_nbd_get32(bs + 28 + 8 * i) == ext[i].flags,
			   "extent %zu round trip", i);
	/* Too small a buffer: nothing written past it, the size still told. */
	FUZZ_CHECK(vctl_nbd_encode_block_status(bs, len - 1, cookie, error, ext, n, true) == len,
		   "short buffer size");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	check_replies(data, size);
	return 0;
}
