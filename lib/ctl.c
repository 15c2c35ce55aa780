#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fmt/bytes.h"

#define MAGIC 0x4c544356u /* "VCTL" */
#define VERSION 2u
#define HDR 20u
#define MAX_PAYLOAD (1u << 20)

/* The socket's address through the directory's descriptor: a pool
 * directory of any length fits a UNIX socket path this way. */
static int ctl_addr(const char *dir, int *dirfd, struct sockaddr_un *a, struct vctl_err *err)
{
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return vctl_errf(err, -errno, "%s: %s", dir, strerror(errno));
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "/proc/self/fd/%d/%s", *dirfd, VCTL_CTL_NAME);
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? -ECONNRESET : -errno;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int vctl_ctl_call(const char *dir, unsigned flags, int argc, const char *const *argv,
		  int *status, struct vctl_err *err)
{
	int dirfd, fd, r;
	struct sockaddr_un a;
	if ((r = ctl_addr(dir, &dirfd, &a, err)) < 0)
		return r == -ENOENT || r == -ENOTDIR ? -ENOENT : r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		close(dirfd);
		return vctl_errf(err, -errno, "socket: %s", strerror(errno));
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(fd);
		close(dirfd);
		/* nobody there, or a stale socket of a server that died */
		if (e == ENOENT || e == ECONNREFUSED)
			return -ENOENT;
		return vctl_errf(err, -e, "%s/%s: %s", dir, VCTL_CTL_NAME, strerror(e));
	}
	close(dirfd);
	size_t len = 0;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len > MAX_PAYLOAD) {
		close(fd);
		return vctl_errf(err, -E2BIG, "arguments too long for the control socket");
	}
	uint8_t *msg = malloc(HDR + len);
	if (!msg) {
		close(fd);
		return vctl_errf(err, -ENOMEM, "out of memory");
	}
	vctl_put32(msg, MAGIC);
	vctl_put32(msg + 4, VERSION);
	vctl_put32(msg + 8, flags);
	vctl_put32(msg + 12, (uint32_t)argc);
	vctl_put32(msg + 16, (uint32_t)len);
	size_t at = HDR;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(msg + at, argv[i], n);
		at += n;
	}
	/* The header travels with our stdin, stdout, stderr and working
	 * directory: file names in the command are relative to it. */
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0) {
		r = -errno;
		free(msg);
		close(fd);
		return vctl_errf(err, r, "the current directory: %s", strerror(-r));
	}
	int fds[VCTL_CTL_NFDS] = {0, 1, 2, cwd};
	char cbuf[CMSG_SPACE(sizeof(fds))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = {msg, HDR};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	r = 0;
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)HDR)
		r = -errno;
	if (r == 0)
		r = write_all(fd, msg + HDR, len);
	close(cwd);
	free(msg);
	uint8_t st[4];
	if (r == 0)
		r = read_all(fd, st, sizeof(st));
	close(fd);
	if (r < 0)
		return vctl_errf(err, r, "the server in %s did not answer: %s", dir, strerror(-r));
	*status = (int)vctl_get32(st);
	return 0;
}

struct vctl_ctl_server {
	int fd, dirfd;
	char path[4096];
	struct stat bound; /* the socket file we made: removed only if it is ours */
	vctl_ctl_handler fn;
	void *opaque;
	pthread_t thread;
	int wake[2];
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned running;
};

struct job {
	struct vctl_ctl_server *s;
	int fd;
	struct vctl_ctl_request req;
};

static void finish_job(struct job *j)
{
	for (int i = 0; i < VCTL_CTL_NFDS; i++)
		if (j->req.fd[i] >= 0)
			close(j->req.fd[i]);
	free(j->req.argv);
	close(j->fd);
	pthread_mutex_lock(&j->s->m);
	j->s->running--;
	pthread_cond_broadcast(&j->s->c);
	pthread_mutex_unlock(&j->s->m);
	free(j);
}

static int receive(struct job *j)
{
	uint8_t hdr[HDR];
	/* room for more descriptors than we take: whatever arrives is
	 * installed in this process, and must be closed if it is not ours */
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * VCTL_CTL_NFDS * 2)];
	} cbuf;
	struct iovec iov = {hdr, HDR};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			    .msg_controllen = sizeof(cbuf.buf)};
	ssize_t n = recvmsg(j->fd, &mh, MSG_CMSG_CLOEXEC);
	unsigned got = 0;
	for (struct cmsghdr *cm = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (got < VCTL_CTL_NFDS)
				j->req.fd[got] = fd;
			else
				close(fd);
			got++;
		}
	}
	if (n < (ssize_t)HDR && n > 0 && read_all(j->fd, hdr + n, HDR - (size_t)n) < 0)
		return -EPROTO;
	if (n <= 0 || vctl_get32(hdr) != MAGIC)
		return -EPROTO;
	if (vctl_get32(hdr + 4) != VERSION || got != VCTL_CTL_NFDS || (mh.msg_flags & MSG_CTRUNC)) {
		if (got >= 3)
			dprintf(j->req.fd[2], "vctl: the server of this pool speaks control protocol %u, "
					      "not %u: run the vctl it runs\n",
				VERSION, vctl_get32(hdr + 4));
		return -EPROTO;
	}
	j->req.flags = vctl_get32(hdr + 8);
	uint32_t argc = vctl_get32(hdr + 12), len = vctl_get32(hdr + 16);
	if (len > MAX_PAYLOAD || argc > len)
		return -EPROTO;
	/* argv pointers and the strings in one allocation */
	char **argv = malloc((argc + 1) * sizeof(char *) + len + 1);
	if (!argv)
		return -ENOMEM;
	char *s = (char *)(argv + argc + 1);
	if (read_all(j->fd, s, len) < 0) {
		free(argv);
		return -EPROTO;
	}
	s[len] = '\0';
	uint32_t at = 0;
	for (uint32_t i = 0; i < argc; i++) {
		if (at >= len) {
			free(argv);
			return -EPROTO;
		}
		argv[i] = s + at;
		at += (uint32_t)strlen(s + at) + 1;
	}
	argv[argc] = NULL;
	j->req.argc = (int)argc;
	j->req.argv = argv;
	return 0;
}

static void *run_job(void *arg)
{
	struct job *j = arg;
	int status = 5;
	if (receive(j) == 0) {
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		if (getsockopt(j->fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 &&
		    (cr.uid == geteuid() || cr.uid == 0)) {
			j->req.uid = cr.uid;
			j->req.pid = cr.pid;
			status = j->s->fn(j->s->opaque, &j->req);
		} else {
			dprintf(j->req.fd[2], "vctl: the server of this pool takes commands only from uid %u and root\n",
				(unsigned)geteuid());
			status = 3;
		}
	}
	uint8_t st[4];
	vctl_put32(st, (uint32_t)status);
	write_all(j->fd, st, sizeof(st));
	finish_job(j);
	return NULL;
}

static void *accept_loop(void *arg)
{
	struct vctl_ctl_server *s = arg;
	struct pollfd pf[2] = {{s->fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
	for (;;) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			break;
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		struct job *j = calloc(1, sizeof(*j));
		pthread_t t;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (j) {
			j->s = s;
			j->fd = fd;
			for (int i = 0; i < VCTL_CTL_NFDS; i++)
				j->req.fd[i] = -1;
			pthread_mutex_lock(&s->m);
			s->running++;
			pthread_mutex_unlock(&s->m);
		}
		if (!j || pthread_create(&t, &at, run_job, j) != 0) {
			if (j)
				finish_job(j);
			else
				close(fd);
		}
		pthread_attr_destroy(&at);
	}
	return NULL;
}

int vctl_ctl_server_create(const char *dir, vctl_ctl_handler fn, void *opaque,
			   struct vctl_ctl_server **out, struct vctl_err *err)
{
	struct vctl_ctl_server *s = calloc(1, sizeof(*s));
	if (!s)
		return vctl_errf(err, -ENOMEM, "out of memory");
	s->fn = fn;
	s->opaque = opaque;
	s->fd = s->wake[0] = s->wake[1] = -1;
	pthread_mutex_init(&s->m, NULL);
	pthread_cond_init(&s->c, NULL);
	struct sockaddr_un a;
	int r = ctl_addr(dir, &s->dirfd, &a, err);
	if (r < 0) {
		free(s);
		return r;
	}
	snprintf(s->path, sizeof(s->path), "%s", a.sun_path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || pipe2(s->wake, O_CLOEXEC) < 0) {
		r = vctl_errf(err, -errno, "socket: %s", strerror(errno));
		goto fail;
	}
	/* The pool lock already says we own the pool: a socket file left here
	 * belongs to a server that died, and goes. */
	unlink(s->path);
	mode_t old = umask(0177);
	r = bind(s->fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0 || listen(s->fd, 64) < 0 || stat(s->path, &s->bound) < 0) {
		r = vctl_errf(err, -errno, "%s/%s: %s", dir, VCTL_CTL_NAME, strerror(errno));
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, accept_loop, s) != 0) {
		r = vctl_errf(err, -EAGAIN, "cannot start the control thread");
		unlink(s->path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	close(s->dirfd);
	free(s);
	return r;
}

void vctl_ctl_server_shutdown(struct vctl_ctl_server *s)
{
	if (!s)
		return;
	if (write(s->wake[1], "x", 1) != 1) {
		/* the accept thread also ends when the pipe closes below */
	}
	pthread_join(s->thread, NULL);
	struct stat st;
	if (stat(s->path, &st) == 0 && st.st_ino == s->bound.st_ino && st.st_dev == s->bound.st_dev)
		unlink(s->path);
	close(s->fd);
	pthread_mutex_lock(&s->m);
	while (s->running)
		pthread_cond_wait(&s->c, &s->m);
	pthread_mutex_unlock(&s->m);
	close(s->wake[0]);
	close(s->wake[1]);
	close(s->dirfd);
	pthread_mutex_destroy(&s->m);
	pthread_cond_destroy(&s->c);
	free(s);
}
