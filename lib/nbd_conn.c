/* One connection: its thread negotiates (nbd_handshake.c), then reads
 * requests and hands them to the worker pool; workers run them against the
 * backend and write the replies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "nbd_conn.h"

/* Read-ahead: many small requests arrive per recv(). Payloads at least a
 * quarter this size bypass it and land straight in the job's buffer. */
#define RBUF_SIZE (64u << 10)
#define DIRECT_READ (RBUF_SIZE / 4)
#define SNDBUF_SIZE (4 << 20)
/* Extents per BLOCK_STATUS reply: enough for any client's next step, and
 * a bound on the reply a fragmented export can cost. */
#define MAX_EXTENTS 2048u
#define BS_REPLY_SIZE (VCTL_NBD_CHUNK_HDR_SIZE + 4 + 8 * MAX_EXTENTS)
/* A client that reads no replies for this long is cut off, so it cannot
 * hold a worker in send() for ever. */
#define SEND_TIMEOUT_S 60
/* Recycled jobs kept per connection. */
#define FREE_JOBS_MAX 64u
#define FREE_BYTES_MAX (32u << 20)

ssize_t vctl_nbd_conn_read(struct vctl_nbd_conn *c, void *dst, size_t n)
{
	uint8_t *d = dst;
	size_t got = c->rend - c->rstart;
	if (got > n)
		got = n;
	memcpy(d, c->rbuf + c->rstart, got);
	c->rstart += got;
	while (got < n) {
		size_t want = n - got;
		ssize_t k;
		if (want >= DIRECT_READ) {
			k = recv(c->fd, d + got, want, MSG_WAITALL);
			if (k > 0)
				got += (size_t)k;
		} else {
			k = recv(c->fd, c->rbuf, RBUF_SIZE, 0);
			if (k > 0) {
				size_t take = (size_t)k < want ? (size_t)k : want;
				memcpy(d + got, c->rbuf, take);
				got += take;
				c->rstart = take;
				c->rend = (size_t)k;
			}
		}
		if (k == 0)
			return got ? -EPIPE : 0;
		if (k < 0 && errno != EINTR)
			return -errno;
	}
	return (ssize_t)n;
}

int vctl_nbd_conn_discard(struct vctl_nbd_conn *c, uint64_t n)
{
	uint8_t scratch[4096];
	while (n) {
		size_t k = n < sizeof(scratch) ? (size_t)n : sizeof(scratch);
		ssize_t r = vctl_nbd_conn_read(c, scratch, k);
		if (r <= 0)
			return r == 0 ? -EPIPE : (int)r;
		n -= k;
	}
	return 0;
}

int vctl_nbd_conn_send(struct vctl_nbd_conn *c, const struct iovec *iov, int n)
{
	struct iovec v[5];
	if (n > 5)
		return -EINVAL;
	memcpy(v, iov, sizeof(*iov) * (size_t)n);
	struct msghdr m = {.msg_iov = v, .msg_iovlen = (size_t)n};
	int r = 0;
	pthread_mutex_lock(&c->wlock);
	if (atomic_load(&c->broken)) {
		pthread_mutex_unlock(&c->wlock);
		return -EPIPE;
	}
	while (m.msg_iovlen) {
		if (m.msg_iov->iov_len == 0) {
			m.msg_iov++;
			m.msg_iovlen--;
			continue;
		}
		ssize_t k = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		size_t done = (size_t)k;
		while (done && m.msg_iovlen) {
			if (done >= m.msg_iov->iov_len) {
				done -= m.msg_iov->iov_len;
				m.msg_iov++;
				m.msg_iovlen--;
			} else {
				m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + done;
				m.msg_iov->iov_len -= done;
				done = 0;
			}
		}
	}
	if (r < 0) {
		/* Half a reply is on the wire: nothing after it can be parsed.
		 * Waking the reader ends the connection. */
		atomic_store(&c->broken, true);
		shutdown(c->fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&c->wlock);
	return r;
}

int vctl_nbd_conn_send_buf(struct vctl_nbd_conn *c, const void *buf, size_t len)
{
	struct iovec v = {(void *)buf, len};
	return vctl_nbd_conn_send(c, &v, 1);
}

/* ---- Jobs ---- */

/* Waits for room under the connection's in-flight limits, then returns a
 * job with a buffer of at least `need` bytes, or NULL out of memory. */
static struct vctl_nbd_job *job_get(struct vctl_nbd_conn *c, size_t need, size_t charge)
{
	pthread_mutex_lock(&c->lock);
	while (c->inflight && (c->inflight >= VCTL_NBD_MAX_INFLIGHT ||
			       c->inflight_bytes + charge > VCTL_NBD_MAX_INFLIGHT_BYTES))
		pthread_cond_wait(&c->cond, &c->lock);
	struct vctl_nbd_job **pp = &c->free_jobs, *job = NULL;
	while (*pp && (*pp)->cap < need)
		pp = &(*pp)->next;
	if (!*pp)
		pp = &c->free_jobs;
	if (*pp) {
		job = *pp;
		*pp = job->next;
		c->n_free--;
		c->free_bytes -= job->cap;
	}
	c->inflight++;
	c->inflight_bytes += charge;
	pthread_mutex_unlock(&c->lock);

	if (!job)
		job = calloc(1, sizeof(*job));
	if (job && job->cap < need) {
		free(job->buf);
		job->buf = malloc(need);
		job->cap = job->buf ? need : 0;
	}
	if (!job || job->cap < need) {
		if (job) {
			free(job->buf);
			free(job);
		}
		pthread_mutex_lock(&c->lock);
		c->inflight--;
		c->inflight_bytes -= charge;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
		return NULL;
	}
	job->conn = c;
	job->charged = charge;
	return job;
}

static void job_put(struct vctl_nbd_job *job)
{
	struct vctl_nbd_conn *c = job->conn;
	pthread_mutex_lock(&c->lock);
	c->inflight--;
	c->inflight_bytes -= job->charged;
	bool keep = c->n_free < FREE_JOBS_MAX && c->free_bytes + job->cap <= FREE_BYTES_MAX;
	if (keep) {
		job->next = c->free_jobs;
		c->free_jobs = job;
		c->n_free++;
		c->free_bytes += job->cap;
	}
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (!keep) {
		free(job->buf);
		free(job);
	}
}

static void free_jobs(struct vctl_nbd_conn *c)
{
	while (c->free_jobs) {
		struct vctl_nbd_job *j = c->free_jobs;
		c->free_jobs = j->next;
		free(j->buf);
		free(j);
	}
	c->n_free = 0;
	c->free_bytes = 0;
}

/* ---- Replies ---- */

/* A failed request: an error chunk with the message when structured
 * replies are on (and always for READ, which must not get a simple reply
 * then), else a simple reply carrying only the error. */
static void reply_error(struct vctl_nbd_conn *c, const struct vctl_nbd_request *q,
			uint32_t error, const char *msg)
{
	vctl_nbd_log(c->srv, VCTL_NBD_LOG_DEBUG,
		     "connection %llu: %s offset %llu length %u: error %u: %s",
		     (unsigned long long)c->id, vctl_nbd_cmd_name(q->type),
		     (unsigned long long)q->offset, q->length, error, msg ? msg : "");
	if (c->structured) {
		uint8_t out[VCTL_NBD_CHUNK_HDR_SIZE + 6 + 1024];
		/* Messages are a courtesy: cut them to fit the buffer. */
		char m[1024 - 1];
		snprintf(m, sizeof(m), "%s", msg ? msg : "");
		size_t n = vctl_nbd_encode_error_chunk(out, sizeof(out), q->cookie, error, m);
		vctl_nbd_conn_send_buf(c, out, n);
	} else {
		uint8_t out[VCTL_NBD_SIMPLE_REPLY_SIZE];
		vctl_nbd_encode_simple_reply(out, q->cookie, error);
		vctl_nbd_conn_send_buf(c, out, sizeof(out));
	}
}

static void reply_status(struct vctl_nbd_conn *c, const struct vctl_nbd_request *q, int r,
			 const struct vctl_err *err)
{
	if (r < 0) {
		reply_error(c, q, vctl_nbd_errno_to_wire(r),
			    err->msg[0] ? err->msg : strerror(-r));
		return;
	}
	/* A simple reply is allowed for anything but READ data even with
	 * structured replies, and is the shortest. */
	uint8_t out[VCTL_NBD_SIMPLE_REPLY_SIZE];
	vctl_nbd_encode_simple_reply(out, q->cookie, 0);
	vctl_nbd_conn_send_buf(c, out, sizeof(out));
}

static void reply_read(struct vctl_nbd_job *job, int r, const struct vctl_err *err)
{
	struct vctl_nbd_conn *c = job->conn;
	const struct vctl_nbd_request *q = &job->req;
	if (r < 0) {
		reply_status(c, q, r, err);
		return;
	}
	uint8_t hdr[VCTL_NBD_DATA_CHUNK_HDR_SIZE];
	struct iovec v[2] = {{hdr, 0}, {job->buf, q->length}};
	if (!c->structured) {
		vctl_nbd_encode_simple_reply(hdr, q->cookie, 0);
		v[0].iov_len = VCTL_NBD_SIMPLE_REPLY_SIZE;
	} else if (q->length == 0) {
		/* No content chunk can describe zero bytes. */
		vctl_nbd_encode_chunk_hdr(hdr, VCTL_NBD_REPLY_FLAG_DONE, VCTL_NBD_REPLY_TYPE_NONE,
					  q->cookie, 0);
		v[0].iov_len = VCTL_NBD_CHUNK_HDR_SIZE;
	} else {
		vctl_nbd_encode_data_chunk_hdr(hdr, q->cookie, q->offset, q->length, true);
		v[0].iov_len = VCTL_NBD_DATA_CHUNK_HDR_SIZE;
	}
	vctl_nbd_conn_send(c, v, 2);
}

struct extent_ctx {
	struct vctl_nbd_extent *ext;
	size_t n, cap;
	uint64_t pos, end;
	bool req_one;
};

/* Gathers the backend's runs from the request offset, merging equal
 * neighbours and cutting at the request's end (the protocol allows a last
 * extent past it, but REQ_ONE does not, and clients need no more). */
static int collect_extent(void *ctx, uint64_t length, uint32_t flags)
{
	struct extent_ctx *x = ctx;
	if (x->pos >= x->end)
		return 1;
	if (length == 0)
		return 0;
	flags &= VCTL_NBD_STATE_HOLE | VCTL_NBD_STATE_ZERO;
	uint64_t take = length < x->end - x->pos ? length : x->end - x->pos;
	if (x->n && x->ext[x->n - 1].flags == flags) {
		/* The total never exceeds the 32-bit request length. */
		x->ext[x->n - 1].length += (uint32_t)take;
	} else {
		if (x->n == x->cap || (x->req_one && x->n == 1))
			return 1;
		x->ext[x->n].length = (uint32_t)take;
		x->ext[x->n].flags = flags;
		x->n++;
	}
	x->pos += take;
	return x->pos >= x->end;
}

static void reply_block_status(struct vctl_nbd_job *job)
{
	struct vctl_nbd_conn *c = job->conn;
	const struct vctl_nbd_request *q = &job->req;
	const struct vctl_nbd_backend_ops *o = &c->srv->ops;
	struct vctl_nbd_extent ext[MAX_EXTENTS];
	struct extent_ctx x = {
		.ext = ext,
		.cap = MAX_EXTENTS,
		.pos = q->offset,
		.end = q->offset + q->length,
		.req_one = q->flags & VCTL_NBD_CMD_FLAG_REQ_ONE,
	};
	if (c->info.can_extents) {
		struct vctl_err err = {0};
		int r = o->extents(c->handle, q->length, q->offset, collect_extent, &x, &err);
		if (r < 0) {
			reply_status(c, q, r, &err);
			return;
		}
	}
	/* Nothing known: "allocated, contents unknown" is always true. */
	if (x.n == 0) {
		ext[0].length = q->length;
		ext[0].flags = 0;
		x.n = 1;
	}
	size_t n = vctl_nbd_encode_block_status(job->buf, job->cap, q->cookie,
						VCTL_NBD_META_ID_ALLOCATION, ext, x.n, true);
	vctl_nbd_conn_send_buf(c, job->buf, n);
}

/* Requests a reader may run itself: transfers and extent queries, whose
 * cost the moving average predicts. FLUSH, TRIM and WRITE_ZEROES can take
 * long whatever their size, and always go to the pool. */
static bool inline_candidate(const struct vctl_nbd_request *q)
{
	return q->type == VCTL_NBD_CMD_READ || q->type == VCTL_NBD_CMD_WRITE ||
	       q->type == VCTL_NBD_CMD_BLOCK_STATUS;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void run_request(struct vctl_nbd_job *job);

void vctl_nbd_job_run(struct vctl_nbd_job *job)
{
	struct vctl_nbd_conn *c = job->conn;
	if (inline_candidate(&job->req)) {
		uint64_t t0 = now_ns();
		run_request(job);
		uint64_t dt = now_ns() - t0;
		/* Per 64 KiB, so a big copy from memory does not look like a
		 * slow disk: what is measured tells a backend that computes from
		 * one that waits. */
		if (job->req.type != VCTL_NBD_CMD_BLOCK_STATUS && job->req.length > 65536)
			dt = dt * 65536 / job->req.length;
		/* A score, not an average: a preempted thread makes a rare fast
		 * request look slow, and one such outlier must not send a whole
		 * connection to the pool; a backend that waits every time drops
		 * the score to 0 within a few requests. Updated loosely:
		 * concurrent runners may lose each other's updates. */
		int s = atomic_load_explicit(&c->inline_score, memory_order_relaxed);
		if (dt < (uint64_t)c->srv->opts.inline_threshold_us * 1000u)
			s = s < VCTL_NBD_INLINE_SCORE_MAX ? s + 1 : s;
		else
			s = s > 4 ? s - 4 : 0;
		atomic_store_explicit(&c->inline_score, s, memory_order_relaxed);
	} else {
		run_request(job);
	}
	/* Last: once nothing is in flight the connection may be freed. */
	job_put(job);
}

static void run_request(struct vctl_nbd_job *job)
{
	struct vctl_nbd_conn *c = job->conn;
	const struct vctl_nbd_backend_ops *o = &c->srv->ops;
	const struct vctl_nbd_request *q = &job->req;
	void *h = c->handle;
	struct vctl_err err;
	err.code = 0;
	err.msg[0] = '\0';
	bool fua = q->flags & VCTL_NBD_CMD_FLAG_FUA;
	int r = 0;
	switch (q->type) {
	case VCTL_NBD_CMD_READ:
		if (q->length)
			r = o->pread(h, job->buf, q->length, q->offset, &err);
		reply_read(job, r, &err);
		break;
	case VCTL_NBD_CMD_WRITE:
		if (q->length)
			r = o->pwrite(h, job->buf, q->length, q->offset, fua, &err);
		else if (fua && o->flush)
			r = o->flush(h, &err);
		reply_status(c, q, r, &err);
		break;
	case VCTL_NBD_CMD_FLUSH:
		if (o->flush)
			r = o->flush(h, &err);
		reply_status(c, q, r, &err);
		break;
	case VCTL_NBD_CMD_TRIM:
		if (q->length)
			r = o->trim(h, q->length, q->offset, fua, &err);
		reply_status(c, q, r, &err);
		break;
	case VCTL_NBD_CMD_CACHE:
		/* Only a hint: without backend support, success is honest. */
		if (q->length && c->info.can_cache)
			r = o->cache(h, q->length, q->offset, &err);
		reply_status(c, q, r, &err);
		break;
	case VCTL_NBD_CMD_WRITE_ZEROES:
		if (q->length)
			r = o->zero(h, q->length, q->offset, !(q->flags & VCTL_NBD_CMD_FLAG_NO_HOLE),
				    q->flags & VCTL_NBD_CMD_FLAG_FAST_ZERO, fua, &err);
		reply_status(c, q, r, &err);
		break;
	case VCTL_NBD_CMD_BLOCK_STATUS:
		reply_block_status(job);
		break;
	default: /* vctl_nbd_check_request let nothing else through */
		reply_error(c, q, VCTL_NBD_EINVAL, "unknown command");
		break;
	}
}

/* ---- The reader ---- */

static void set_timeout(int fd, int opt, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* Reads one request (and a WRITE's payload) with the read lock held.
 * Returns false when the session is over (EOF, NBD_CMD_DISC, garbage, a
 * broken connection); otherwise *job is the request to run, or NULL when
 * it was answered with an error already. */
static bool read_request(struct vctl_nbd_conn *c, struct vctl_nbd_job **job)
{
	struct vctl_nbd_server *srv = c->srv;
	unsigned long long id = (unsigned long long)c->id;
	*job = NULL;
	uint8_t h[VCTL_NBD_REQUEST_SIZE];
	ssize_t n = vctl_nbd_conn_read(c, h, sizeof(h));
	if (n == 0) {
		vctl_nbd_log(srv, VCTL_NBD_LOG_DEBUG, "connection %llu: client closed", id);
		return false;
	}
	if (n < 0) {
		if (!atomic_load(&c->broken) && !atomic_load(&srv->stopping))
			vctl_nbd_log(srv, VCTL_NBD_LOG_INFO,
				     "connection %llu: lost inside a request header: %s", id,
				     strerror((int)-n));
		return false;
	}
	struct vctl_nbd_request q;
	if (vctl_nbd_decode_request(h, &q) < 0) {
		vctl_nbd_log(srv, VCTL_NBD_LOG_INFO, "connection %llu: bad request magic, closing",
			     id);
		return false;
	}
	if (VCTL_NBD_LOGGING(srv, VCTL_NBD_LOG_DEBUG))
		vctl_nbd_log(srv, VCTL_NBD_LOG_DEBUG,
			     "connection %llu: %s flags 0x%x offset %llu length %u", id,
			     vctl_nbd_cmd_name(q.type), q.flags, (unsigned long long)q.offset,
			     q.length);
	if (q.type == VCTL_NBD_CMD_DISC)
		return false;
	if (q.type == VCTL_NBD_CMD_WRITE && q.length > VCTL_NBD_MAX_PAYLOAD) {
		/* Skipping up to 4 GiB of payload would only feed a misbehaving
		 * client. */
		vctl_nbd_log(srv, VCTL_NBD_LOG_INFO,
			     "connection %llu: WRITE of %u bytes (limit %u), closing", id, q.length,
			     VCTL_NBD_MAX_PAYLOAD);
		return false;
	}
	const char *why = NULL;
	uint32_t e = vctl_nbd_check_request(&q, &c->sess, &why);
	if (!e && atomic_load(&srv->stopping)) {
		e = VCTL_NBD_ESHUTDOWN;
		why = "server is shutting down";
	}
	bool payload = q.type == VCTL_NBD_CMD_WRITE;
	if (!e) {
		bool data = payload || q.type == VCTL_NBD_CMD_READ;
		size_t need = data ? q.length : q.type == VCTL_NBD_CMD_BLOCK_STATUS ? BS_REPLY_SIZE : 0;
		*job = job_get(c, need, data ? q.length : 0);
		if (!*job) {
			e = VCTL_NBD_ENOMEM;
			why = "out of memory";
		}
	}
	if (e) {
		if (payload && vctl_nbd_conn_discard(c, q.length) < 0)
			return false;
		reply_error(c, &q, e, why);
		return !atomic_load(&c->broken);
	}
	(*job)->req = q;
	if (payload && q.length) {
		n = vctl_nbd_conn_read(c, (*job)->buf, q.length);
		if (n <= 0) {
			/* The partial write is dropped, never applied. */
			vctl_nbd_log(srv, VCTL_NBD_LOG_INFO,
				     "connection %llu: lost inside a WRITE payload", id);
			job_put(*job);
			*job = NULL;
			return false;
		}
	}
	return true;
}

/* One of the connection's readers. They take turns: the one holding the
 * read lock reads a request, lets go, and runs it (or hands it to the
 * pool) while the next one reads. Several requests of one client so make
 * progress at once without a hand-off, and the CPU stays busy instead of
 * waking a thread per request, which costs more than the work. */
static void reader_loop(struct vctl_nbd_conn *c)
{
	struct vctl_nbd_server *srv = c->srv;
	for (;;) {
		struct vctl_nbd_job *job = NULL;
		pthread_mutex_lock(&c->rlock);
		bool more = !c->rdone && read_request(c, &job);
		if (!more)
			c->rdone = true;
		pthread_mutex_unlock(&c->rlock);
		if (!more)
			return;
		if (!job)
			continue;
		/* Measured cheap: run it here. Slow backends go to the shared
		 * pool, so a few readers never limit how many requests of one
		 * client the backend sees at once. */
		if (inline_candidate(&job->req) && srv->opts.inline_threshold_us != VCTL_NBD_NO_INLINE &&
		    atomic_load_explicit(&c->inline_score, memory_order_relaxed) > 0)
			vctl_nbd_job_run(job);
		else
			vctl_nbd_queue_push(srv, job);
	}
}

static void *reader_main(void *arg)
{
	reader_loop(arg);
	return NULL;
}

/* Reads with the connection's extra readers, then joins them. */
static void transmission(struct vctl_nbd_conn *c)
{
	unsigned want = c->srv->opts.readers_per_conn - 1, started = 0;
	pthread_t *extra = want ? calloc(want, sizeof(*extra)) : NULL;
	for (unsigned i = 0; extra && i < want; i++) {
		/* Fewer readers only cost speed. */
		if (pthread_create(&extra[i], NULL, reader_main, c) != 0)
			break;
		started++;
	}
	reader_loop(c);
	for (unsigned i = 0; i < started; i++)
		pthread_join(extra[i], NULL);
	free(extra);
}

void *vctl_nbd_conn_main(void *arg)
{
	struct vctl_nbd_conn *c = arg;
	struct vctl_nbd_server *srv = c->srv;
	vctl_nbd_log(srv, VCTL_NBD_LOG_DEBUG, "connection %llu: pid %ld uid %ld gid %ld",
		     (unsigned long long)c->id, (long)c->peer.pid, (long)c->peer.uid,
		     (long)c->peer.gid);
	int r = -ENOMEM;
	c->rbuf = malloc(RBUF_SIZE);
	if (c->rbuf) {
		set_timeout(c->fd, SO_SNDTIMEO, SEND_TIMEOUT_S * 1000u);
		/* With the default buffer (208 KiB) a 1 MiB reply leaves in
		 * five pieces, the sender sleeping between them until the client
		 * drains: measured, seq-read went from 0.8 to 1.2 of nbdkit's
		 * with 4 MiB. The kernel caps it at net.core.wmem_max. */
		int sndbuf = SNDBUF_SIZE;
		(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		set_timeout(c->fd, SO_RCVTIMEO, srv->opts.handshake_timeout_ms);
		r = vctl_nbd_handshake(c);
		set_timeout(c->fd, SO_RCVTIMEO, 0);
	}
	if (r == 1)
		transmission(c);
	else if (r < 0)
		vctl_nbd_log(srv, VCTL_NBD_LOG_DEBUG, "connection %llu: handshake ended: %s",
			     (unsigned long long)c->id, strerror(-r));

	/* Every request read is answered (or its reply fails) before the
	 * backend handle goes. */
	pthread_mutex_lock(&c->lock);
	while (c->inflight)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	if (c->handle) {
		if (atomic_load(&srv->stopping) && !c->info.read_only && c->info.can_flush) {
			struct vctl_err err = {0};
			if (srv->ops.flush(c->handle, &err) < 0)
				vctl_nbd_log(srv, VCTL_NBD_LOG_ERROR,
					     "connection %llu: flush at shutdown: %s",
					     (unsigned long long)c->id, err.msg);
		}
		if (srv->ops.close)
			srv->ops.close(c->handle);
		c->handle = NULL;
	}
	free_jobs(c);
	free(c->rbuf);
	c->rbuf = NULL;
	free(c->meta_export);
	c->meta_export = NULL;
	/* Unlinked first, so shutdown never touches a closed descriptor. */
	vctl_nbd_conn_finished(c);
	close(c->fd);
	return NULL;
}
