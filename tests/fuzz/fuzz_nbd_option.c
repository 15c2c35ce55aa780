/* libFuzzer target for the NBD handshake decoders (lib/nbd_proto.c): the
 * option header and the payloads of NBD_OPT_INFO/GO and
 * NBD_OPT_LIST/SET_META_CONTEXT, the ones a client fills with lengths.
 *
 * Input: a 16-byte option header, then its payload (whatever follows, not
 * what the header's length says: the server reads exactly that many bytes
 * first, so the decoders only ever see a complete payload).
 *
 * For every input:
 * - vctl_nbd_decode_opt_hdr fails (-EPROTO) exactly when the magic is not
 *   IHAVEOPT, and re-encodes to the same 16 bytes;
 * - both payload decoders run on every payload: a refusal is -EINVAL with
 *   a message; an accepted payload has every string inside the buffer, at
 *   most 4096 bytes and free of NUL, its parts add up to its length
 *   exactly, and the client-side encoder rebuilds the same bytes from the
 *   decoded fields (one encoding per value);
 * - vctl_nbd_meta_selects_allocation picks "base:allocation", and "base:"
 *   only when listing;
 * - the option-reply encoders report exact lengths and write within them.
 *
 * Corpus names (tests/fuzz/fuzz.h): valid-* must decode with the decoder
 * its option number names (INFO/GO, LIST/SET_META_CONTEXT; others need only
 * a good header); refused-* must fail that. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/nbd_proto.h"
#include "tests/fuzz/fuzz.h"

enum fuzz_expect fuzz_expect;

static void check_refusal(int r, const struct vctl_err *err, const char *what)
{
	FUZZ_CHECK(r == -EINVAL, "%s: unexpected code %d", what, r);
	FUZZ_CHECK(err->code == r && err->msg[0] && memchr(err->msg, '\0', sizeof(err->msg)),
		   "%s: no message", what);
}

static void check_str(struct vctl_nbd_str s, const uint8_t *p, size_t len, const char *what)
{
	const uint8_t *b = (const uint8_t *)s.ptr;
	FUZZ_CHECK(s.len == 0 || (b >= p && s.len <= len && b - p <= (ptrdiff_t)(len - s.len)),
		   "%s lies outside the payload", what);
	FUZZ_CHECK(s.len <= VCTL_NBD_MAX_STRING, "%s is %u bytes", what, s.len);
	FUZZ_CHECK(s.len == 0 || !memchr(s.ptr, '\0', s.len), "%s holds a NUL", what);
}

static int check_info(const uint8_t *p, size_t len)
{
	struct vctl_err err = {0};
	struct vctl_nbd_info_req req;
	int r = vctl_nbd_decode_info_req(p, len, &req, &err);
	if (r < 0) {
		check_refusal(r, &err, "info");
		return r;
	}
	FUZZ_CHECK(r == 0, "info decode returned %d", r);
	check_str(req.name, p, len, "export name");
	FUZZ_CHECK(4 + (size_t)req.name.len + 2 + 2 * (size_t)req.n_types == len,
		   "info parts do not add up to %zu", len);
	uint16_t *types = malloc(sizeof(uint16_t) * (req.n_types + 1u));
	uint8_t *again = malloc(len);
	if (types && again) {
		for (unsigned i = 0; i < req.n_types; i++)
			types[i] = vctl_nbd_info_req_type(&req, i);
		size_t n = vctl_nbd_encode_info_req(again, len, req.name.ptr, req.name.len, types,
						    req.n_types);
		FUZZ_CHECK(n == len && !memcmp(again, p, len), "info request re-encodes differently");
		for (unsigned i = 0; i < req.n_types; i++)
			FUZZ_CHECK(vctl_nbd_info_req_has(&req, types[i]), "type %u not found", types[i]);
	}
	free(types);
	free(again);
	return 0;
}

static int check_meta(const uint8_t *p, size_t len)
{
	struct vctl_err err = {0};
	struct vctl_nbd_meta_req req;
	int r = vctl_nbd_decode_meta_req(p, len, &req, &err);
	if (r < 0) {
		check_refusal(r, &err, "meta");
		return r;
	}
	FUZZ_CHECK(r == 0, "meta decode returned %d", r);
	check_str(req.name, p, len, "export name");
	size_t total = 4 + req.name.len + 4;
	char **qs = calloc(req.n_queries + 1u, sizeof(char *));
	char *name = malloc(req.name.len + 1u);
	bool ok = qs && name;
	for (uint32_t i = 0; i < req.n_queries; i++) {
		struct vctl_nbd_str q = vctl_nbd_meta_req_query(&req, i);
		check_str(q, p, len, "query");
		total += 4 + q.len;
		bool base_alloc = q.len == 15 && !memcmp(q.ptr, "base:allocation", 15);
		bool base = q.len == 5 && !memcmp(q.ptr, "base:", 5);
		FUZZ_CHECK(vctl_nbd_meta_selects_allocation(q, false) == base_alloc &&
				   vctl_nbd_meta_selects_allocation(q, true) == (base_alloc || base),
			   "query %u selected wrongly", i);
		if (ok && (qs[i] = malloc(q.len + 1u))) {
			memcpy(qs[i], q.ptr, q.len);
			qs[i][q.len] = '\0';
		} else {
			ok = false;
		}
	}
	FUZZ_CHECK(total == len, "meta parts add up to %zu, not %zu", total, len);
	if (ok) {
		memcpy(name, req.name.ptr, req.name.len);
		name[req.name.len] = '\0';
		uint8_t *again = malloc(len);
		if (again) {
			size_t n = vctl_nbd_encode_meta_req(again, len, name, req.name.len,
							    (const char *const *)qs, req.n_queries);
			FUZZ_CHECK(n == len && !memcmp(again, p, len),
				   "meta request re-encodes differently");
			free(again);
		}
	}
	for (uint32_t i = 0; qs && i < req.n_queries; i++)
		free(qs[i]);
	free(qs);
	free(name);
	return 0;
}

/* Option replies with strings from the input: exact lengths, no writes
 * past them (ASan sees those: each buffer is exactly the size told). */
static void check_opt_replies(const uint8_t *p, size_t len, uint32_t option)
{
	size_t half = len / 2;
	char *a = malloc(half + 1), *b = malloc(len - half + 1);
	if (!a || !b) {
		free(a);
		free(b);
		return;
	}
	memcpy(a, p, half);
	a[half] = '\0';
	memcpy(b, p + half, len - half);
	b[len - half] = '\0';
	size_t alen = strnlen(a, VCTL_NBD_MAX_STRING), blen = strnlen(b, VCTL_NBD_MAX_STRING);
	struct {
		size_t want, got;
	} c[4];
	c[0].want = 20 + 4 + alen + blen;
	c[0].got = vctl_nbd_encode_rep_server(NULL, 0, option, a, b);
	c[1].want = 20 + alen;
	c[1].got = vctl_nbd_encode_rep_error(NULL, 0, option, VCTL_NBD_REP_ERR_POLICY, a);
	c[2].want = 20 + 2 + blen;
	c[2].got = vctl_nbd_encode_rep_info_string(NULL, 0, option, VCTL_NBD_INFO_NAME, b);
	c[3].want = 20 + 4 + alen;
	c[3].got = vctl_nbd_encode_rep_meta_context(NULL, 0, option, 1, a);
	for (int i = 0; i < 4; i++) {
		FUZZ_CHECK(c[i].got == c[i].want, "reply %d: %zu bytes, want %zu", i, c[i].got,
			   c[i].want);
		uint8_t *out = malloc(c[i].want);
		if (!out)
			continue;
		size_t n = 0;
		switch (i) {
		case 0:
			n = vctl_nbd_encode_rep_server(out, c[i].want, option, a, b);
			break;
		case 1:
			n = vctl_nbd_encode_rep_error(out, c[i].want, option,
						      VCTL_NBD_REP_ERR_POLICY, a);
			break;
		case 2:
			n = vctl_nbd_encode_rep_info_string(out, c[i].want, option,
							    VCTL_NBD_INFO_NAME, b);
			break;
		case 3:
			n = vctl_nbd_encode_rep_meta_context(out, c[i].want, option, 1, a);
			break;
		}
		struct vctl_nbd_opt_reply_hdr h;
		FUZZ_CHECK(n == c[i].want && vctl_nbd_decode_opt_reply_hdr(out, &h) == 0 &&
				   h.option == option && h.len == n - 20,
			   "reply %d header", i);
		free(out);
	}
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t raw[VCTL_NBD_OPT_HDR_SIZE] = {0};
	memcpy(raw, data, size < sizeof(raw) ? size : sizeof(raw));
	struct vctl_nbd_opt_hdr hdr = {0};
	int r = vctl_nbd_decode_opt_hdr(raw, &hdr);
	bool magic_ok = vctl_nbd_get64(raw) == VCTL_NBD_IHAVEOPT;
	FUZZ_CHECK(magic_ok ? r == 0 : r == -EPROTO, "header decode %d", r);
	if (r == 0) {
		uint8_t again[VCTL_NBD_OPT_HDR_SIZE];
		vctl_nbd_encode_opt_hdr(again, hdr.option, hdr.len);
		FUZZ_CHECK(!memcmp(again, raw, sizeof(raw)), "header re-encodes differently");
	}

	/* An exactly sized copy, so reading past the payload is caught. */
	size_t len = size > sizeof(raw) ? size - sizeof(raw) : 0;
	uint8_t *p = malloc(len ? len : 1);
	if (!p)
		return 0;
	if (len)
		memcpy(p, data + sizeof(raw), len);
	int ri = check_info(p, len);
	int rm = check_meta(p, len);
	check_opt_replies(p, len, hdr.option);
	free(p);

	int mine = 0;
	if (r < 0)
		mine = r;
	else if (hdr.option == VCTL_NBD_OPT_INFO || hdr.option == VCTL_NBD_OPT_GO)
		mine = ri;
	else if (hdr.option == VCTL_NBD_OPT_LIST_META_CONTEXT ||
		 hdr.option == VCTL_NBD_OPT_SET_META_CONTEXT)
		mine = rm;
	if (fuzz_expect == FUZZ_EXPECT_VALID)
		FUZZ_CHECK(mine == 0, "valid-* input refused (%d)", mine);
	if (fuzz_expect == FUZZ_EXPECT_REFUSED)
		FUZZ_CHECK(mine != 0, "refused-* input accepted");
	return 0;
}
