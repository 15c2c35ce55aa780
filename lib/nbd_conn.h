/* Internals shared by the NBD server's three files:
 *   nbd_server.c     the socket, the accept loop, the worker pool, shutdown
 *   nbd_handshake.c  option negotiation on one connection
 *   nbd_conn.c       the transmission phase: reading requests, running
 *                    them on the workers, writing replies
 * Not a public interface: only lib/nbd_*.c include it. */
#ifndef VCTL_LIB_NBD_CONN_H
#define VCTL_LIB_NBD_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "nbd_proto.h"
#include "nbd_server.h"

/* Per-connection limits. A client may have this many requests, or this
 * many bytes of payload, being served before its reader stops reading
 * (one request alone may always go, so a 64 MiB WRITE is never stuck). */
#define VCTL_NBD_MAX_INFLIGHT 128u
#define VCTL_NBD_MAX_INFLIGHT_BYTES (64u << 20)


#define VCTL_NBD_INLINE_SCORE_MAX 32

/* The id our base:allocation context gets in NBD_OPT_SET_META_CONTEXT. */
#define VCTL_NBD_META_ID_ALLOCATION 1u

/* One request between the reader and a worker. Jobs and their buffers are
 * recycled per connection, so steady traffic allocates nothing. */
struct vctl_nbd_job {
	struct vctl_nbd_job *next; /* worker queue, or the connection's free list */
	struct vctl_nbd_conn *conn;
	struct vctl_nbd_request req;
	size_t charged; /* bytes counted against VCTL_NBD_MAX_INFLIGHT_BYTES */
	uint8_t *buf;   /* WRITE payload, READ data, BLOCK_STATUS reply */
	size_t cap;
};

struct vctl_nbd_conn {
	struct vctl_nbd_server *srv;
	int fd;
	pthread_t thread;
	uint64_t id; /* for logs */
	struct vctl_nbd_peer peer;
	struct vctl_nbd_conn *next, *prev; /* the server's list */

	/* Negotiated in the handshake; read-only afterwards. */
	bool no_zeroes;
	bool structured;
	bool meta_allocation; /* base:allocation selected ... */
	char *meta_export;    /* ... for this export name */
	void *handle;         /* the backend's export, once in transmission */
	struct vctl_nbd_export_info info;
	struct vctl_nbd_session sess;

	/* The readers take turns under rlock; it guards the read-ahead too.
	 * rdone: the session is over, readers leave. */
	pthread_mutex_t rlock;
	bool rdone;
	uint8_t *rbuf;
	size_t rstart, rend;

	/* Whether the backend is fast enough for readers to run reads, writes
	 * and extent queries themselves (a hand-off to a worker costs more
	 * than such work): every run under the server's inline threshold (per
	 * 64 KiB) adds 1, up to VCTL_NBD_INLINE_SCORE_MAX, every slower one
	 * takes 4; inline while positive. A backend that waits (a disk) so
	 * sends them to the pool, where more run at once. */
	atomic_int inline_score;

	/* Replies: one writer at a time; `broken` once a send failed. */
	pthread_mutex_t wlock;
	atomic_bool broken;

	/* Requests in flight and the recycled jobs. The reader waits on `cond`
	 * for room, and at the end for inflight == 0. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned inflight;
	size_t inflight_bytes;
	struct vctl_nbd_job *free_jobs;
	unsigned n_free;
	size_t free_bytes;
};

struct vctl_nbd_server {
	struct vctl_nbd_backend_ops ops;
	void *opaque;
	struct vctl_nbd_server_opts opts;
	char *path;
	int listen_fd;
	int wake[2]; /* self-pipe: stop requests and finished connections */
	dev_t sock_dev;
	ino_t sock_ino;
	atomic_bool stop_requested;
	atomic_bool stopping; /* shutdown has begun: new requests get ESHUTDOWN */

	/* The worker pool and its queue. The lock is held only to link or
	 * unlink one job: no backend call or I/O happens under it. */
	pthread_t *workers;
	unsigned nworkers;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct vctl_nbd_job *qhead, *qtail;
	unsigned idle;
	bool quit;

	/* Connections: live ones, and finished ones waiting to be joined. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct vctl_nbd_conn *conns;
	struct vctl_nbd_conn *zombies;
	unsigned nconns;
	uint64_t next_id;
	bool running; /* the accept loop is running */
	bool has_acceptor;
	pthread_t acceptor;
};

void vctl_nbd_log(struct vctl_nbd_server *srv, enum vctl_nbd_log_level level, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));
#define VCTL_NBD_LOGGING(srv, level) ((srv)->opts.log && (level) <= (srv)->opts.log_level)

/* Connection thread body: handshake, transmission, teardown. */
void *vctl_nbd_conn_main(void *arg);

/* nbd_handshake.c: 1 to enter transmission (conn->handle, info, sess
 * set), 0 when the client ended the session, negative on a dropped one. */
int vctl_nbd_handshake(struct vctl_nbd_conn *c);

/* I/O on the connection's socket (nbd_conn.c). conn_read: exactly n
 * bytes; 0 at a clean EOF before the first byte, -EPIPE if the stream
 * ends inside the n bytes. */
ssize_t vctl_nbd_conn_read(struct vctl_nbd_conn *c, void *dst, size_t n);
int vctl_nbd_conn_discard(struct vctl_nbd_conn *c, uint64_t n);
/* Sends the iovecs whole under the write lock; -EPIPE once broken. */
int vctl_nbd_conn_send(struct vctl_nbd_conn *c, const struct iovec *iov, int n);
int vctl_nbd_conn_send_buf(struct vctl_nbd_conn *c, const void *buf, size_t len);

/* The worker pool (nbd_server.c) and the job a worker runs (nbd_conn.c). */
void vctl_nbd_queue_push(struct vctl_nbd_server *srv, struct vctl_nbd_job *job);
void vctl_nbd_job_run(struct vctl_nbd_job *job);

/* nbd_server.c: the connection thread is about to end. */
void vctl_nbd_conn_finished(struct vctl_nbd_conn *c);

#endif
