/* Option haggling on one connection (fixed newstyle): from the greeting to
 * NBD_OPT_GO or NBD_OPT_EXPORT_NAME. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbd_conn.h"

/* nbdinfo --list spends about three options per export; a client needing
 * more than this is looping. */
#define MAX_OPTIONS 4096u
/* Largest option payload we parse; up to MAX_OPT_DISCARD we still read and
 * skip a larger one (answering TOO_BIG) to keep the stream in step. */
#define MAX_OPT_LEN (64u << 10)
#define MAX_OPT_DISCARD (1u << 20)
/* The largest option reply we build: REP_SERVER with a name and a
 * description of the maximal string length. */
#define OUT_CAP (VCTL_NBD_OPT_REPLY_HDR_SIZE + 4 + 2 * VCTL_NBD_MAX_STRING)

static int send_out(struct vctl_nbd_conn *c, const uint8_t *out, size_t len)
{
	return vctl_nbd_conn_send_buf(c, out, len);
}

static int reply_ack(struct vctl_nbd_conn *c, uint32_t option)
{
	uint8_t out[VCTL_NBD_OPT_REPLY_HDR_SIZE];
	return send_out(c, out, vctl_nbd_encode_rep_ack(out, sizeof(out), option));
}

static int reply_err(struct vctl_nbd_conn *c, uint32_t option, uint32_t type, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));

static int reply_err(struct vctl_nbd_conn *c, uint32_t option, uint32_t type, const char *fmt,
		     ...)
{
	char msg[1100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vctl_nbd_log(c->srv, VCTL_NBD_LOG_INFO, "connection %llu: %s: %s",
		     (unsigned long long)c->id, vctl_nbd_opt_name(option), msg);
	uint8_t out[VCTL_NBD_OPT_REPLY_HDR_SIZE + sizeof(msg)];
	return send_out(c, out, vctl_nbd_encode_rep_error(out, sizeof(out), option, type, msg));
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Makes the backend's answer consistent with what it implements and with
 * the protocol's rules for block sizes, so the flags we advertise are true. */
static void normalize_info(const struct vctl_nbd_server *srv, struct vctl_nbd_export_info *i)
{
	const struct vctl_nbd_backend_ops *o = &srv->ops;
	if (srv->opts.read_only || !o->pwrite)
		i->read_only = true;
	i->can_flush = i->can_flush && o->flush;
	i->can_trim = i->can_trim && o->trim;
	i->can_zero = i->can_zero && o->zero;
	i->can_fast_zero = i->can_fast_zero && i->can_zero;
	i->can_cache = i->can_cache && o->cache;
	i->can_extents = i->can_extents && o->extents;
	if (!is_pow2(i->min_block) || i->min_block > 65536)
		i->min_block = 1;
	uint32_t floor = i->min_block > 512 ? i->min_block : 512;
	if (!is_pow2(i->pref_block) || i->pref_block < floor)
		i->pref_block = VCTL_NBD_PREFERRED_BLOCK < floor ? floor : VCTL_NBD_PREFERRED_BLOCK;
	if (!i->max_block || i->max_block % i->min_block || i->max_block < i->pref_block)
		i->max_block = VCTL_NBD_ADVERTISED_MAX_BLOCK;
}

static uint16_t tflags_for(const struct vctl_nbd_conn *c, const struct vctl_nbd_export_info *i)
{
	uint16_t f = VCTL_NBD_TFLAG_HAS_FLAGS;
	if (i->read_only)
		f |= VCTL_NBD_TFLAG_READ_ONLY;
	if (i->can_flush)
		f |= VCTL_NBD_TFLAG_SEND_FLUSH;
	if (!i->read_only) {
		if (i->can_flush)
			f |= VCTL_NBD_TFLAG_SEND_FUA;
		if (i->can_trim)
			f |= VCTL_NBD_TFLAG_SEND_TRIM;
		if (i->can_zero)
			f |= VCTL_NBD_TFLAG_SEND_WRITE_ZEROES;
		if (i->can_fast_zero)
			f |= VCTL_NBD_TFLAG_SEND_FAST_ZERO;
	}
	/* One content chunk per READ is all we ever send. */
	if (c->structured)
		f |= VCTL_NBD_TFLAG_SEND_DF;
	if (i->can_multi_conn)
		f |= VCTL_NBD_TFLAG_CAN_MULTI_CONN;
	if (i->can_cache)
		f |= VCTL_NBD_TFLAG_SEND_CACHE;
	return f;
}

static int open_export(struct vctl_nbd_conn *c, const char *name, void **handle,
		       struct vctl_nbd_export_info *info, struct vctl_err *err)
{
	struct vctl_nbd_server *srv = c->srv;
	memset(info, 0, sizeof(*info));
	*handle = NULL;
	vctl_err_clear(err);
	int r = srv->ops.open(srv->opaque, &c->peer, name, !srv->opts.read_only, handle, info,
			      err);
	if (r < 0) {
		if (!err->msg[0]) {
			if (r == -ENOENT)
				vctl_errf(err, r, "export '%s' not found", name);
			else
				vctl_errf(err, r, "export '%s': %s", name, strerror(-r));
		}
		return r;
	}
	normalize_info(srv, info);
	return 0;
}

static void close_export(struct vctl_nbd_conn *c, void *handle)
{
	if (c->srv->ops.close)
		c->srv->ops.close(handle);
}

/* The export name as a C string for the backend. */
static void name_copy(char dst[VCTL_NBD_MAX_STRING + 1], struct vctl_nbd_str s)
{
	memcpy(dst, s.ptr, s.len);
	dst[s.len] = '\0';
}

/* Enters transmission with this export, remembering what was negotiated. */
static void enter_transmission(struct vctl_nbd_conn *c, const char *name, void *handle,
			       const struct vctl_nbd_export_info *info)
{
	c->handle = handle;
	c->info = *info;
	c->sess.size = info->size;
	c->sess.tflags = tflags_for(c, info);
	c->sess.structured = c->structured;
	/* Contexts chosen for another export do not carry over. */
	c->sess.meta_allocation = c->structured && c->meta_allocation && c->meta_export &&
				  !strcmp(c->meta_export, name);
	vctl_nbd_log(c->srv, VCTL_NBD_LOG_INFO,
		     "connection %llu: pid %ld uid %ld: export '%s', %llu bytes, flags 0x%x%s",
		     (unsigned long long)c->id, (long)c->peer.pid, (long)c->peer.uid, name,
		     (unsigned long long)info->size, c->sess.tflags,
		     c->sess.structured ? ", structured replies" : "");
}

/* NBD_OPT_INFO and NBD_OPT_GO: 1 after a successful GO, 0 to go on
 * negotiating, negative when the connection is lost. */
static int opt_info_go(struct vctl_nbd_conn *c, uint32_t option, const uint8_t *p,
		       uint32_t len)
{
	struct vctl_err err = {0};
	struct vctl_nbd_info_req req;
	if (vctl_nbd_decode_info_req(p, len, &req, &err) < 0)
		return reply_err(c, option, VCTL_NBD_REP_ERR_INVALID, "%s", err.msg);
	char name[VCTL_NBD_MAX_STRING + 1];
	name_copy(name, req.name);

	void *handle;
	struct vctl_nbd_export_info info;
	int r = open_export(c, name, &handle, &info, &err);
	if (r < 0)
		return reply_err(c, option, vctl_nbd_errno_to_rep(r), "%s", err.msg);

	uint8_t out[OUT_CAP];
	uint16_t tflags = tflags_for(c, &info);
	r = send_out(c, out, vctl_nbd_encode_rep_info_export(out, sizeof(out), option, info.size,
							     tflags));
	if (r == 0 && vctl_nbd_info_req_has(&req, VCTL_NBD_INFO_NAME))
		r = send_out(c, out, vctl_nbd_encode_rep_info_string(out, sizeof(out), option,
								     VCTL_NBD_INFO_NAME, name));
	if (r == 0 && info.description &&
	    vctl_nbd_info_req_has(&req, VCTL_NBD_INFO_DESCRIPTION))
		r = send_out(c, out,
			     vctl_nbd_encode_rep_info_string(out, sizeof(out), option,
							     VCTL_NBD_INFO_DESCRIPTION,
							     info.description));
	/* Unasked, the sizes go out only when they differ from the defaults a
	 * client assumes, where the protocol wants them known. */
	if (r == 0 && (vctl_nbd_info_req_has(&req, VCTL_NBD_INFO_BLOCK_SIZE) || info.min_block > 1))
		r = send_out(c, out,
			     vctl_nbd_encode_rep_info_block_size(out, sizeof(out), option,
								 info.min_block, info.pref_block,
								 info.max_block));
	if (r == 0)
		r = reply_ack(c, option);
	if (r < 0 || option == VCTL_NBD_OPT_INFO) {
		close_export(c, handle);
		return r;
	}
	enter_transmission(c, name, handle, &info);
	return 1;
}

/* NBD_OPT_EXPORT_NAME: the old way in, which cannot report an error. */
static int opt_export_name(struct vctl_nbd_conn *c, const uint8_t *p, uint32_t len)
{
	if (len > VCTL_NBD_MAX_STRING || memchr(p, '\0', len)) {
		vctl_nbd_log(c->srv, VCTL_NBD_LOG_INFO,
			     "connection %llu: NBD_OPT_EXPORT_NAME: invalid name, closing",
			     (unsigned long long)c->id);
		return -EINVAL;
	}
	char name[VCTL_NBD_MAX_STRING + 1];
	struct vctl_nbd_str s = {(const char *)p, len};
	name_copy(name, s);
	struct vctl_err err = {0};
	void *handle;
	struct vctl_nbd_export_info info;
	int r = open_export(c, name, &handle, &info, &err);
	if (r < 0) {
		vctl_nbd_log(c->srv, VCTL_NBD_LOG_INFO,
			     "connection %llu: NBD_OPT_EXPORT_NAME: %s: closing",
			     (unsigned long long)c->id, err.msg);
		return r;
	}
	uint8_t out[VCTL_NBD_EXPORT_NAME_REPLY_SIZE];
	size_t n = vctl_nbd_encode_export_name_reply(out, info.size, tflags_for(c, &info),
						     c->no_zeroes);
	r = send_out(c, out, n);
	if (r < 0) {
		close_export(c, handle);
		return r;
	}
	enter_transmission(c, name, handle, &info);
	return 1;
}

struct list_ctx {
	struct vctl_nbd_conn *conn;
	uint8_t *out;
};

static int emit_export(void *ctx, const char *name, const char *description)
{
	struct list_ctx *l = ctx;
	/* A name the client could not send back is useless to list. */
	if (!name || strlen(name) > VCTL_NBD_MAX_STRING)
		return 0;
	size_t n = vctl_nbd_encode_rep_server(l->out, OUT_CAP, VCTL_NBD_OPT_LIST, name,
					      description);
	return send_out(l->conn, l->out, n);
}

static int opt_list(struct vctl_nbd_conn *c, uint32_t len)
{
	if (len)
		return reply_err(c, VCTL_NBD_OPT_LIST, VCTL_NBD_REP_ERR_INVALID,
				 "NBD_OPT_LIST takes no data");
	struct vctl_nbd_server *srv = c->srv;
	uint8_t out[OUT_CAP];
	struct list_ctx l = {c, out};
	struct vctl_err err = {0};
	int r = srv->ops.list ? srv->ops.list(srv->opaque, &c->peer, emit_export, &l, &err) : 0;
	if (atomic_load(&c->broken))
		return -EPIPE;
	if (r < 0)
		return reply_err(c, VCTL_NBD_OPT_LIST, vctl_nbd_errno_to_rep(r), "%s",
				 err.msg[0] ? err.msg : strerror(-r));
	return reply_ack(c, VCTL_NBD_OPT_LIST);
}

/* NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT. base:allocation
 * is offered for every export: a backend without extents reports all data
 * as allocated, which is always true. */
static int opt_meta(struct vctl_nbd_conn *c, uint32_t option, const uint8_t *p, uint32_t len)
{
	bool list = option == VCTL_NBD_OPT_LIST_META_CONTEXT;
	if (!list) {
		/* Replaced whatever the outcome. */
		c->meta_allocation = false;
		free(c->meta_export);
		c->meta_export = NULL;
	}
	if (!c->structured)
		return reply_err(c, option, VCTL_NBD_REP_ERR_INVALID,
				 "structured replies must be negotiated first");
	struct vctl_err err = {0};
	struct vctl_nbd_meta_req req;
	if (vctl_nbd_decode_meta_req(p, len, &req, &err) < 0)
		return reply_err(c, option, VCTL_NBD_REP_ERR_INVALID, "%s", err.msg);
	bool selected = list && req.n_queries == 0;
	for (uint32_t i = 0; i < req.n_queries && !selected; i++)
		selected = vctl_nbd_meta_selects_allocation(vctl_nbd_meta_req_query(&req, i), list);
	if (!list && selected) {
		c->meta_export = malloc(req.name.len + 1);
		if (!c->meta_export)
			return reply_err(c, option, VCTL_NBD_REP_ERR_TOO_BIG, "out of memory");
		name_copy(c->meta_export, req.name);
		c->meta_allocation = true;
	}
	if (selected) {
		uint8_t out[VCTL_NBD_OPT_REPLY_HDR_SIZE + 64];
		size_t n = vctl_nbd_encode_rep_meta_context(out, sizeof(out), option,
							    list ? 0 : VCTL_NBD_META_ID_ALLOCATION,
							    VCTL_NBD_META_BASE_ALLOCATION);
		int r = send_out(c, out, n);
		if (r < 0)
			return r;
	}
	return reply_ack(c, option);
}

static int one_option(struct vctl_nbd_conn *c, const struct vctl_nbd_opt_hdr *hdr,
		      const uint8_t *p)
{
	uint32_t o = hdr->option;
	vctl_nbd_log(c->srv, VCTL_NBD_LOG_DEBUG, "connection %llu: %s (%u), %u bytes",
		     (unsigned long long)c->id, vctl_nbd_opt_name(o), o, hdr->len);
	switch (o) {
	case VCTL_NBD_OPT_EXPORT_NAME:
		return opt_export_name(c, p, hdr->len);
	case VCTL_NBD_OPT_ABORT: {
		/* The client may already be gone; that is fine. */
		reply_ack(c, o);
		return -ECONNABORTED;
	}
	case VCTL_NBD_OPT_LIST:
		return opt_list(c, hdr->len);
	case VCTL_NBD_OPT_STARTTLS:
		return reply_err(c, o, VCTL_NBD_REP_ERR_UNSUP, "TLS is not supported");
	case VCTL_NBD_OPT_INFO:
	case VCTL_NBD_OPT_GO:
		return opt_info_go(c, o, p, hdr->len);
	case VCTL_NBD_OPT_STRUCTURED_REPLY:
		if (hdr->len)
			return reply_err(c, o, VCTL_NBD_REP_ERR_INVALID,
					 "NBD_OPT_STRUCTURED_REPLY takes no data");
		c->structured = true;
		return reply_ack(c, o);
	case VCTL_NBD_OPT_LIST_META_CONTEXT:
	case VCTL_NBD_OPT_SET_META_CONTEXT:
		return opt_meta(c, o, p, hdr->len);
	default:
		return reply_err(c, o, VCTL_NBD_REP_ERR_UNSUP, "option %u is not supported", o);
	}
}

int vctl_nbd_handshake(struct vctl_nbd_conn *c)
{
	uint8_t g[VCTL_NBD_GREETING_SIZE];
	vctl_nbd_encode_greeting(g);
	int r = send_out(c, g, sizeof(g));
	if (r < 0)
		return r;
	uint8_t cf[VCTL_NBD_CLIENT_FLAGS_SIZE];
	ssize_t n = vctl_nbd_conn_read(c, cf, sizeof(cf));
	if (n <= 0)
		return n == 0 ? 0 : (int)n;
	uint32_t flags;
	if (vctl_nbd_decode_client_flags(cf, &flags) < 0) {
		vctl_nbd_log(c->srv, VCTL_NBD_LOG_INFO,
			     "connection %llu: unknown client flags 0x%x, closing",
			     (unsigned long long)c->id, flags);
		return -EPROTO;
	}
	c->no_zeroes = flags & VCTL_NBD_FLAG_NO_ZEROES;

	for (unsigned count = 0;; count++) {
		uint8_t h[VCTL_NBD_OPT_HDR_SIZE];
		n = vctl_nbd_conn_read(c, h, sizeof(h));
		if (n <= 0)
			return n == 0 ? 0 : (int)n;
		struct vctl_nbd_opt_hdr hdr;
		if (vctl_nbd_decode_opt_hdr(h, &hdr) < 0) {
			vctl_nbd_log(c->srv, VCTL_NBD_LOG_INFO,
				     "connection %llu: bad option magic, closing",
				     (unsigned long long)c->id);
			return -EPROTO;
		}
		if (count >= MAX_OPTIONS) {
			vctl_nbd_log(c->srv, VCTL_NBD_LOG_INFO,
				     "connection %llu: more than %u options, closing",
				     (unsigned long long)c->id, MAX_OPTIONS);
			return -EPROTO;
		}
		if (hdr.len > MAX_OPT_LEN) {
			if (hdr.len > MAX_OPT_DISCARD) {
				vctl_nbd_log(c->srv, VCTL_NBD_LOG_INFO,
					     "connection %llu: option of %u bytes, closing",
					     (unsigned long long)c->id, hdr.len);
				return -EPROTO;
			}
			r = vctl_nbd_conn_discard(c, hdr.len);
			if (r < 0)
				return r;
			r = reply_err(c, hdr.option, VCTL_NBD_REP_ERR_TOO_BIG,
				      "option of %u bytes is larger than %u", hdr.len, MAX_OPT_LEN);
			if (r < 0)
				return r;
			continue;
		}
		uint8_t *p = malloc(hdr.len ? hdr.len : 1);
		if (!p)
			return -ENOMEM;
		n = hdr.len ? vctl_nbd_conn_read(c, p, hdr.len) : 0;
		if (hdr.len && n <= 0) {
			free(p);
			return n == 0 ? -EPIPE : (int)n;
		}
		r = one_option(c, &hdr, p);
		free(p);
		if (r == -ECONNABORTED)
			return 0;
		if (r != 0)
			return r;
	}
}
