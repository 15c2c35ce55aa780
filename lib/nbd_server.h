/* An NBD server on a UNIX socket (fixed newstyle, structured replies,
 * base:allocation, multi-connection). It knows nothing of volumes: a
 * backend behind struct vctl_nbd_backend_ops decides which exports a
 * client may see and open, and does the I/O.
 *
 * Threads: the caller's thread (vctl_nbd_server_run) or one background
 * thread (vctl_nbd_server_start) accepts; each connection has a thread
 * that negotiates, then a few readers that take turns reading requests and
 * run the cheap ones at once; requests that prove slow go to a shared pool
 * of workers. Backend calls on one handle so run concurrently and complete
 * in any order. Replies go out whole, one writer at a time per
 * connection. */
#ifndef VCTL_LIB_NBD_SERVER_H
#define VCTL_LIB_NBD_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fmt/err.h"

/* Who is on the other end, from SO_PEERCRED at connect() time. */
struct vctl_nbd_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* What the backend tells the server about one opened export. */
struct vctl_nbd_export_info {
	uint64_t size;
	bool read_only;      /* forced on if the server is read-only or opened so */
	bool can_flush;      /* flush is meaningful; FUA is offered with it */
	bool can_trim;
	bool can_zero;       /* zero() implemented */
	bool can_fast_zero;  /* zero(fast=true) answers quickly, maybe -ENOTSUP */
	bool can_cache;
	bool can_multi_conn; /* every connection to this export shares one cache:
			      * a flush on any connection covers writes answered
			      * on all of them */
	bool can_extents;    /* extents() reports holes and zeroes */
	/* Block size constraints; 0 means the defaults 1, 4096, 32 MiB. */
	uint32_t min_block, pref_block, max_block;
	/* Shown by `nbdinfo`; owned by the backend, valid until close(). */
	const char *description;
};

/* Called by list() once per export the peer may see. A nonzero return
 * (the client went away) must end the listing and be returned by list(). */
typedef int (*vctl_nbd_emit_export_fn)(void *ctx, const char *name, const char *description);

/* Called by extents() for consecutive runs starting at the requested
 * offset: `length` bytes with VCTL_NBD_STATE_HOLE / VCTL_NBD_STATE_ZERO
 * flags. Returns 0 to ask for more, 1 when it has enough (the backend
 * should stop and return 0). Runs may go past the requested range; the
 * server cuts them. */
typedef int (*vctl_nbd_emit_extent_fn)(void *ctx, uint64_t length, uint32_t flags);

/* Every function returns 0 or a negative errno and may fill err->msg,
 * which the client is shown where the protocol carries a message. I/O
 * errors map to NBD errors: EPERM/EACCES/EROFS -> EPERM, EIO, ENOMEM,
 * EINVAL, ENOSPC (also EDQUOT, EFBIG), EOVERFLOW, ENOTSUP, ESHUTDOWN, and
 * anything else -> EIO. Offsets and lengths are byte-granular and already
 * checked against the export size. The I/O functions run concurrently on
 * the same handle. NULL entries mean "not supported" (list: no exports;
 * flush/cache: nothing to do). */
struct vctl_nbd_backend_ops {
	int (*list)(void *opaque, const struct vctl_nbd_peer *peer, vctl_nbd_emit_export_fn emit,
		    void *ctx, struct vctl_err *err);
	/* -ENOENT: no such export (NBD_REP_ERR_UNKNOWN); -EACCES/-EPERM: not
	 * for this peer (NBD_REP_ERR_POLICY); both send err->msg. Also used,
	 * then closed, to answer NBD_OPT_INFO. want_write is false when the
	 * server is read-only. */
	int (*open)(void *opaque, const struct vctl_nbd_peer *peer, const char *name,
		    bool want_write, void **handle, struct vctl_nbd_export_info *info,
		    struct vctl_err *err);
	void (*close)(void *handle);
	int (*pread)(void *handle, void *buf, uint32_t len, uint64_t off, struct vctl_err *err);
	int (*pwrite)(void *handle, const void *buf, uint32_t len, uint64_t off, bool fua,
		      struct vctl_err *err);
	int (*flush)(void *handle, struct vctl_err *err);
	int (*trim)(void *handle, uint64_t len, uint64_t off, bool fua, struct vctl_err *err);
	/* may_trim: the range may become a hole; fast: fail with -ENOTSUP
	 * rather than do slow work. */
	int (*zero)(void *handle, uint64_t len, uint64_t off, bool may_trim, bool fast, bool fua,
		    struct vctl_err *err);
	int (*cache)(void *handle, uint64_t len, uint64_t off, struct vctl_err *err);
	int (*extents)(void *handle, uint64_t len, uint64_t off, vctl_nbd_emit_extent_fn emit,
		       void *ctx, struct vctl_err *err);
};

enum vctl_nbd_log_level {
	VCTL_NBD_LOG_ERROR,
	VCTL_NBD_LOG_INFO,  /* connections, refusals */
	VCTL_NBD_LOG_DEBUG, /* every option and request */
};

struct vctl_nbd_server_opts {
	const char *socket_path; /* at most 107 bytes */
	mode_t socket_mode;      /* 0: 0600 */
	unsigned nthreads;       /* worker threads; 0: 16 */
	unsigned readers_per_conn; /* threads taking turns reading one client's
				    * requests and running the cheap ones; 0: 8 */
	bool read_only;          /* every export read-only */
	unsigned max_connections;      /* 0: 1024; more are closed at once */
	unsigned handshake_timeout_ms; /* 0: 60 s to finish negotiating */
	unsigned shutdown_timeout_ms;  /* 0: 10 s for clients to drain before
					* their sockets are cut */
	/* While reads and writes average less than this per 64 KiB in the
	 * backend, the connection's readers run them instead of a worker: a
	 * hand-off costs two context switches. 0: 20 us; VCTL_NBD_NO_INLINE:
	 * always hand off. */
	unsigned inline_threshold_us;
	/* The library never prints: messages go here, if set. Called from any
	 * thread. */
	void (*log)(void *opaque, enum vctl_nbd_log_level level, const char *msg);
	void *log_opaque;
	enum vctl_nbd_log_level log_level; /* most verbose level passed to log */
};

#define VCTL_NBD_NO_INLINE (~0u)

struct vctl_nbd_server;

/* Binds and listens on opts->socket_path and starts the workers. Refuses
 * a path too long for a UNIX socket (-ENAMETOOLONG), a socket someone is
 * listening on (-EADDRINUSE) and an existing file that is not a socket
 * (-EEXIST); a socket file nobody listens on is stale and replaced. */
int vctl_nbd_server_create(const struct vctl_nbd_backend_ops *ops, void *opaque,
			   const struct vctl_nbd_server_opts *opts,
			   struct vctl_nbd_server **srv, struct vctl_err *err);

/* Accepts clients in the calling thread until vctl_nbd_server_stop(). */
int vctl_nbd_server_run(struct vctl_nbd_server *srv, struct vctl_err *err);

/* Accepts clients in a background thread. */
int vctl_nbd_server_start(struct vctl_nbd_server *srv, struct vctl_err *err);

/* Asks the accept loop to end. Async-signal-safe: a SIGTERM handler may
 * call it; vctl_nbd_server_run() then returns. */
void vctl_nbd_server_stop(struct vctl_nbd_server *srv);

/* Stops accepting, removes the socket file, lets every connection finish
 * the requests it has read (new ones get ESHUTDOWN), flushes writable
 * exports, closes every connection and backend handle, joins every thread
 * and frees srv. Clients still connected after shutdown_timeout_ms are cut
 * off. Call it once, after vctl_nbd_server_run() has returned or instead
 * of stopping a vctl_nbd_server_start() server. */
void vctl_nbd_server_shutdown(struct vctl_nbd_server *srv);

/* Connections open right now (for tests and status). */
unsigned vctl_nbd_server_connections(struct vctl_nbd_server *srv);

#endif
