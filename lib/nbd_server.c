#include "nbd_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "nbd_conn.h"

#define DEFAULT_THREADS 16u
#define DEFAULT_MAX_CONNECTIONS 1024u
#define DEFAULT_HANDSHAKE_MS 60000u
#define DEFAULT_SHUTDOWN_MS 10000u
#define DEFAULT_INLINE_US 20u
#define DEFAULT_READERS 8u

void vctl_nbd_log(struct vctl_nbd_server *srv, enum vctl_nbd_log_level level, const char *fmt,
		  ...)
{
	if (!VCTL_NBD_LOGGING(srv, level))
		return;
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	srv->opts.log(srv->opts.log_opaque, level, msg);
}

static void wake(struct vctl_nbd_server *srv)
{
	char b = 0;
	/* The pipe is non-blocking: when it is full a wake-up is already
	 * pending, which is all this needs. */
	ssize_t n = write(srv->wake[1], &b, 1);
	(void)n;
}

/* ---- Worker pool ---- */

void vctl_nbd_queue_push(struct vctl_nbd_server *srv, struct vctl_nbd_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&srv->qlock);
	if (srv->qtail)
		srv->qtail->next = job;
	else
		srv->qhead = job;
	srv->qtail = job;
	bool sleeper = srv->idle > 0;
	pthread_mutex_unlock(&srv->qlock);
	if (sleeper)
		pthread_cond_signal(&srv->qcond);
}

static void *worker_main(void *arg)
{
	struct vctl_nbd_server *srv = arg;
	pthread_mutex_lock(&srv->qlock);
	for (;;) {
		while (!srv->qhead && !srv->quit) {
			srv->idle++;
			pthread_cond_wait(&srv->qcond, &srv->qlock);
			srv->idle--;
		}
		struct vctl_nbd_job *job = srv->qhead;
		if (!job)
			break; /* quit, and the queue is empty */
		srv->qhead = job->next;
		if (!srv->qhead)
			srv->qtail = NULL;
		pthread_mutex_unlock(&srv->qlock);
		vctl_nbd_job_run(job);
		pthread_mutex_lock(&srv->qlock);
	}
	pthread_mutex_unlock(&srv->qlock);
	return NULL;
}

static void stop_workers(struct vctl_nbd_server *srv)
{
	pthread_mutex_lock(&srv->qlock);
	srv->quit = true;
	pthread_cond_broadcast(&srv->qcond);
	pthread_mutex_unlock(&srv->qlock);
	for (unsigned i = 0; i < srv->nworkers; i++)
		pthread_join(srv->workers[i], NULL);
	srv->nworkers = 0;
}

/* ---- The listening socket ---- */

static int fill_addr(struct sockaddr_un *sa, const char *path, struct vctl_err *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	size_t len = strlen(path);
	if (len == 0)
		return vctl_errf(err, -EINVAL, "socket path is empty");
	if (len >= sizeof(sa->sun_path))
		return vctl_errf(err, -ENAMETOOLONG,
				 "socket path is %zu bytes, a UNIX socket allows at most %zu", len,
				 sizeof(sa->sun_path) - 1);
	memcpy(sa->sun_path, path, len);
	return 0;
}

/* bind() said the path exists. A socket someone accepts on is in use; a
 * socket nobody listens on is what a crashed server leaves behind, and is
 * removed; anything else is not ours to remove. */
static int clear_stale(const struct sockaddr_un *sa, struct vctl_err *err)
{
	struct stat st;
	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : vctl_errf(err, -errno, "%s: %s", sa->sun_path,
							 strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return vctl_errf(err, -EEXIST, "%s: exists and is not a socket", sa->sun_path);
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0)
		return vctl_errf(err, -errno, "socket: %s", strerror(errno));
	int r = connect(probe, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;
	close(probe);
	if (r == 0 || e == EAGAIN)
		return vctl_errf(err, -EADDRINUSE, "%s: socket is in use by another server",
				 sa->sun_path);
	if (e != ECONNREFUSED)
		return vctl_errf(err, -e, "%s: %s", sa->sun_path, strerror(e));
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return vctl_errf(err, -errno, "%s: cannot remove stale socket: %s", sa->sun_path,
				 strerror(errno));
	return 0;
}

static int open_listener(struct vctl_nbd_server *srv, struct vctl_err *err)
{
	struct sockaddr_un sa;
	int r = fill_addr(&sa, srv->path, err);
	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vctl_errf(err, -errno, "socket: %s", strerror(errno));
	for (int attempt = 0;; attempt++) {
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		int e = errno;
		if (e != EADDRINUSE || attempt > 0) {
			close(fd);
			return vctl_errf(err, -e, "%s: bind: %s", srv->path, strerror(e));
		}
		r = clear_stale(&sa, err);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	/* The mode is set before listen(), so nobody connects through a
	 * looser one. */
	struct stat st;
	if (chmod(srv->path, srv->opts.socket_mode) < 0 || stat(srv->path, &st) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		int e = errno;
		unlink(srv->path);
		close(fd);
		return vctl_errf(err, -e, "%s: %s", srv->path, strerror(e));
	}
	srv->sock_dev = st.st_dev;
	srv->sock_ino = st.st_ino;
	srv->listen_fd = fd;
	return 0;
}

/* Removes the socket file if it is still the one we bound: after a
 * restart elsewhere it may belong to another server. */
static void close_listener(struct vctl_nbd_server *srv)
{
	if (srv->listen_fd < 0)
		return;
	struct stat st;
	if (lstat(srv->path, &st) == 0 && st.st_dev == srv->sock_dev &&
	    st.st_ino == srv->sock_ino)
		unlink(srv->path);
	close(srv->listen_fd);
	srv->listen_fd = -1;
}

/* ---- Connections ---- */

static void free_conn(struct vctl_nbd_conn *c)
{
	pthread_mutex_destroy(&c->wlock);
	pthread_mutex_destroy(&c->rlock);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
}

/* Joins the connection threads that have finished. */
static void reap(struct vctl_nbd_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	struct vctl_nbd_conn *z = srv->zombies;
	srv->zombies = NULL;
	pthread_mutex_unlock(&srv->lock);
	while (z) {
		struct vctl_nbd_conn *next = z->next;
		pthread_join(z->thread, NULL);
		free_conn(z);
		z = next;
	}
}

void vctl_nbd_conn_finished(struct vctl_nbd_conn *c)
{
	struct vctl_nbd_server *srv = c->srv;
	pthread_mutex_lock(&srv->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = srv->zombies;
	c->prev = NULL;
	srv->zombies = c;
	srv->nconns--;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	wake(srv);
}

static void start_conn(struct vctl_nbd_server *srv, int fd)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		vctl_nbd_log(srv, VCTL_NBD_LOG_ERROR, "SO_PEERCRED: %s", strerror(errno));
		close(fd);
		return;
	}
	struct vctl_nbd_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->srv = srv;
	c->fd = fd;
	c->peer.pid = cred.pid;
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	pthread_mutex_init(&c->wlock, NULL);
	pthread_mutex_init(&c->rlock, NULL);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	atomic_init(&c->broken, false);
	atomic_init(&c->inline_score, VCTL_NBD_INLINE_SCORE_MAX);

	pthread_mutex_lock(&srv->lock);
	if (srv->nconns >= srv->opts.max_connections) {
		pthread_mutex_unlock(&srv->lock);
		vctl_nbd_log(srv, VCTL_NBD_LOG_ERROR,
			     "refusing a client (pid %ld): %u connections already",
			     (long)cred.pid, srv->opts.max_connections);
		close(fd);
		free_conn(c);
		return;
	}
	c->id = ++srv->next_id;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	/* Created under the lock so that a finishing thread cannot unlink
	 * itself before it is fully linked. */
	int r = pthread_create(&c->thread, NULL, vctl_nbd_conn_main, c);
	if (r != 0) {
		srv->conns = c->next;
		if (c->next)
			c->next->prev = NULL;
		srv->nconns--;
		pthread_mutex_unlock(&srv->lock);
		vctl_nbd_log(srv, VCTL_NBD_LOG_ERROR, "cannot start a connection thread: %s",
			     strerror(r));
		close(fd);
		free_conn(c);
		return;
	}
	pthread_mutex_unlock(&srv->lock);
}

static int accept_loop(struct vctl_nbd_server *srv)
{
	while (!atomic_load(&srv->stop_requested)) {
		struct pollfd p[2] = {
			{.fd = srv->listen_fd, .events = POLLIN},
			{.fd = srv->wake[0], .events = POLLIN},
		};
		int n = poll(p, 2, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents) {
			char buf[64];
			while (read(srv->wake[0], buf, sizeof(buf)) > 0)
				;
			reap(srv);
		}
		if (!(p[0].revents & POLLIN) || atomic_load(&srv->stop_requested))
			continue;
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
				/* Out of descriptors: back off instead of spinning on a
				 * listener that stays readable. */
				vctl_nbd_log(srv, VCTL_NBD_LOG_ERROR, "accept: %s", strerror(e));
				poll(NULL, 0, 100);
			}
			continue;
		}
		start_conn(srv, fd);
	}
	return 0;
}

static void set_running(struct vctl_nbd_server *srv, bool running)
{
	pthread_mutex_lock(&srv->lock);
	srv->running = running;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
}

int vctl_nbd_server_run(struct vctl_nbd_server *srv, struct vctl_err *err)
{
	set_running(srv, true);
	int r = accept_loop(srv);
	set_running(srv, false);
	if (r < 0)
		return vctl_errf(err, r, "accept loop: %s", strerror(-r));
	return 0;
}

static void *acceptor_main(void *arg)
{
	struct vctl_nbd_server *srv = arg;
	int r = accept_loop(srv);
	if (r < 0)
		vctl_nbd_log(srv, VCTL_NBD_LOG_ERROR, "accept loop: %s", strerror(-r));
	set_running(srv, false);
	return NULL;
}

int vctl_nbd_server_start(struct vctl_nbd_server *srv, struct vctl_err *err)
{
	if (srv->has_acceptor)
		return vctl_errf(err, -EALREADY, "server already started");
	set_running(srv, true);
	int r = pthread_create(&srv->acceptor, NULL, acceptor_main, srv);
	if (r != 0) {
		set_running(srv, false);
		return vctl_errf(err, -r, "cannot start the accept thread: %s", strerror(r));
	}
	srv->has_acceptor = true;
	return 0;
}

void vctl_nbd_server_stop(struct vctl_nbd_server *srv)
{
	atomic_store(&srv->stop_requested, true);
	wake(srv);
}

unsigned vctl_nbd_server_connections(struct vctl_nbd_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	unsigned n = srv->nconns;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

static void destroy(struct vctl_nbd_server *srv)
{
	close_listener(srv);
	if (srv->wake[0] >= 0)
		close(srv->wake[0]);
	if (srv->wake[1] >= 0)
		close(srv->wake[1]);
	pthread_mutex_destroy(&srv->qlock);
	pthread_cond_destroy(&srv->qcond);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->cond);
	free(srv->workers);
	free(srv->path);
	free(srv);
}

int vctl_nbd_server_create(const struct vctl_nbd_backend_ops *ops, void *opaque,
			   const struct vctl_nbd_server_opts *opts,
			   struct vctl_nbd_server **out, struct vctl_err *err)
{
	*out = NULL;
	if (!ops || !ops->open || !ops->pread || !opts || !opts->socket_path)
		return vctl_errf(err, -EINVAL, "NBD server needs a backend and a socket path");
	struct vctl_nbd_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return vctl_errf(err, -ENOMEM, "out of memory");
	srv->ops = *ops;
	srv->opaque = opaque;
	srv->opts = *opts;
	srv->listen_fd = -1;
	srv->wake[0] = srv->wake[1] = -1;
	pthread_mutex_init(&srv->qlock, NULL);
	pthread_cond_init(&srv->qcond, NULL);
	pthread_mutex_init(&srv->lock, NULL);
	/* Shutdown waits with a deadline, which CLOCK_MONOTONIC keeps honest
	 * when the wall clock jumps. */
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->cond, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&srv->stop_requested, false);
	atomic_init(&srv->stopping, false);
	struct vctl_nbd_server_opts *o = &srv->opts;
	if (!o->socket_mode)
		o->socket_mode = 0600;
	if (!o->nthreads)
		o->nthreads = DEFAULT_THREADS;
	if (!o->max_connections)
		o->max_connections = DEFAULT_MAX_CONNECTIONS;
	if (!o->handshake_timeout_ms)
		o->handshake_timeout_ms = DEFAULT_HANDSHAKE_MS;
	if (!o->shutdown_timeout_ms)
		o->shutdown_timeout_ms = DEFAULT_SHUTDOWN_MS;
	if (!o->inline_threshold_us)
		o->inline_threshold_us = DEFAULT_INLINE_US;
	if (!o->readers_per_conn)
		o->readers_per_conn = DEFAULT_READERS;
	o->socket_path = NULL; /* srv->path is ours; the caller's may go away */

	int r;
	srv->path = strdup(opts->socket_path);
	if (!srv->path) {
		r = vctl_errf(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = vctl_errf(err, -errno, "pipe: %s", strerror(errno));
		goto fail;
	}
	r = open_listener(srv, err);
	if (r < 0)
		goto fail;
	srv->workers = calloc(o->nthreads, sizeof(*srv->workers));
	if (!srv->workers) {
		r = vctl_errf(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < o->nthreads; i++) {
		int e = pthread_create(&srv->workers[i], NULL, worker_main, srv);
		if (e != 0) {
			r = vctl_errf(err, -e, "cannot start worker threads: %s", strerror(e));
			stop_workers(srv);
			goto fail;
		}
		srv->nworkers++;
	}
	*out = srv;
	return 0;
fail:
	destroy(srv);
	return r;
}

/* Applies `how` to every live connection's socket: SHUT_RD ends each
 * reader at its next request, SHUT_RDWR also fails pending sends. */
static void cut_connections(struct vctl_nbd_server *srv, int how)
{
	pthread_mutex_lock(&srv->lock);
	for (struct vctl_nbd_conn *c = srv->conns; c; c = c->next)
		shutdown(c->fd, how);
	pthread_mutex_unlock(&srv->lock);
}

void vctl_nbd_server_shutdown(struct vctl_nbd_server *srv)
{
	if (!srv)
		return;
	vctl_nbd_server_stop(srv);
	if (srv->has_acceptor) {
		pthread_join(srv->acceptor, NULL);
		srv->has_acceptor = false;
	}
	pthread_mutex_lock(&srv->lock);
	while (srv->running)
		pthread_cond_wait(&srv->cond, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
	close_listener(srv);

	atomic_store(&srv->stopping, true);
	cut_connections(srv, SHUT_RD);
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += srv->opts.shutdown_timeout_ms / 1000;
	deadline.tv_nsec += (long)(srv->opts.shutdown_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	bool cut = false;
	pthread_mutex_lock(&srv->lock);
	while (srv->conns) {
		if (cut) {
			pthread_cond_wait(&srv->cond, &srv->lock);
		} else if (pthread_cond_timedwait(&srv->cond, &srv->lock, &deadline) == ETIMEDOUT) {
			/* A client that does not read its replies would hold its
			 * worker in send() forever. */
			pthread_mutex_unlock(&srv->lock);
			vctl_nbd_log(srv, VCTL_NBD_LOG_ERROR,
				     "clients still connected after %u ms: cutting them off",
				     srv->opts.shutdown_timeout_ms);
			cut_connections(srv, SHUT_RDWR);
			cut = true;
			pthread_mutex_lock(&srv->lock);
		}
	}
	pthread_mutex_unlock(&srv->lock);
	reap(srv);
	stop_workers(srv);
	destroy(srv);
}
