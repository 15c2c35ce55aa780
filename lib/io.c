#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

enum fault_mode { FAULT_NONE, FAULT_STOP, FAULT_EIO_ONCE, FAULT_EIO_PERSIST };

static struct {
	enum fault_mode mode;
	uint64_t at;
	const char *count_file;
} fault;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t ops;

static void write_count(void)
{
	FILE *f = fopen(fault.count_file, "w");
	if (f) {
		fprintf(f, "%llu\n", (unsigned long long)atomic_load(&ops));
		fclose(f);
	}
}

static void fault_setup(void)
{
	const char *s = getenv("VCTL_FAULT");
	if (s && *s) {
		char mode[16];
		unsigned long long n;
		char plus = 0;
		int k = sscanf(s, "%15[a-z]@%llu%c", mode, &n, &plus);
		if (k >= 2 && n > 0) {
			fault.at = n;
			if (!strcmp(mode, "stop"))
				fault.mode = FAULT_STOP;
			else if (!strcmp(mode, "eio"))
				fault.mode = plus == '+' ? FAULT_EIO_PERSIST : FAULT_EIO_ONCE;
		}
	}
	fault.count_file = getenv("VCTL_FAULT_COUNT");
	if (fault.count_file && *fault.count_file)
		atexit(write_count);
}

/* Set up at start, so that a command that writes nothing still leaves its
 * count (0) for the crash-sweep driver. */
__attribute__((constructor)) static void fault_init(void)
{
	pthread_once(&fault_once, fault_setup);
}

/* Counts one write or flush and says whether it must fail. */
static int fault_point(void)
{
	pthread_once(&fault_once, fault_setup);
	uint64_t n = atomic_fetch_add(&ops, 1) + 1;
	switch (fault.mode) {
	case FAULT_NONE:
		return 0;
	case FAULT_STOP:
		if (n >= fault.at) {
			/* A crash, not an exit: no atexit handlers, no flushing. */
			kill(getpid(), SIGKILL);
			pause();
		}
		return 0;
	case FAULT_EIO_ONCE:
		return n == fault.at ? -EIO : 0;
	case FAULT_EIO_PERSIST:
		return n >= fault.at ? -EIO : 0;
	}
	return 0;
}

uint64_t vctl_io_ops(void)
{
	return atomic_load(&ops);
}

void vctl_io_fault_set(enum vctl_io_fault mode, uint64_t at)
{
	pthread_once(&fault_once, fault_setup);
	static const enum fault_mode m[] = {
		[VCTL_IO_FAULT_NONE] = FAULT_NONE,
		[VCTL_IO_FAULT_STOP] = FAULT_STOP,
		[VCTL_IO_FAULT_EIO_ONCE] = FAULT_EIO_ONCE,
		[VCTL_IO_FAULT_EIO_PERSIST] = FAULT_EIO_PERSIST,
	};
	fault.mode = (unsigned)mode < sizeof(m) / sizeof(m[0]) ? m[mode] : FAULT_NONE;
	fault.at = at;
	atomic_store(&ops, 0);
}

/* The power-loss log (io.h). */
static _Atomic int log_fd = -1;
static bool log_data;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void vctl_io_log_start(int fd, unsigned flags)
{
	pthread_mutex_lock(&log_lock);
	log_fd = fd;
	log_data = flags & VCTL_IO_LOG_DATA;
	pthread_mutex_unlock(&log_lock);
}

static void log_put(const void *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(log_fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* A log with a hole would replay wrong states: stop dead,
			 * so the driver sees a failed recording run. */
			kill(getpid(), SIGKILL);
			pause();
		}
		b = (const char *)b + w;
		n -= (size_t)w;
	}
}

static void log_rec(int fd, uint32_t type, uint64_t off, uint64_t len, const void *data,
		    uint32_t crc)
{
	if (log_fd < 0)
		return;
	struct stat st;
	struct vctl_io_rec rec = {.type = type, .crc = crc, .off = off, .len = len};
	if (fstat(fd, &st) == 0) {
		rec.dev = (uint64_t)st.st_dev;
		rec.ino = (uint64_t)st.st_ino;
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd >= 0) {
		log_put(&rec, sizeof(rec));
		if (data && log_data)
			log_put(data, (size_t)len);
	}
	pthread_mutex_unlock(&log_lock);
}

long long vctl_io_pread(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (long long)done;
}

int vctl_io_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	int r = fault_point();
	if (r < 0)
		return r;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	if (log_fd >= 0)
		log_rec(fd, VCTL_IO_REC_WRITE, off, len, buf,
			(uint32_t)crc32_z(crc32_z(0, NULL, 0), buf, len));
	return 0;
}

int vctl_io_flush(int fd)
{
	int r = fault_point();
	if (r < 0)
		return r;
	while (fdatasync(fd) < 0) {
		if (errno == EINTR)
			continue;
		/* Character devices and some pipes cannot sync; nothing to lose. */
		if (errno == EINVAL || errno == EROFS)
			break;
		return -errno;
	}
	log_rec(fd, VCTL_IO_REC_FLUSH, 0, 0, NULL, 0);
	return 0;
}

static int zero_range(int fd, uint64_t off, uint64_t len);

int vctl_io_zero(int fd, uint64_t off, uint64_t len)
{
	int r = fault_point();
	if (r < 0)
		return r;
	r = zero_range(fd, off, len);
	if (r == 0)
		log_rec(fd, VCTL_IO_REC_ZERO, off, len, NULL, 0);
	return r;
}

static int zero_range(int fd, uint64_t off, uint64_t len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) &&
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	if (S_ISBLK(st.st_mode)) {
		uint64_t range[2] = {off, len};
		if (ioctl(fd, BLKZEROOUT, range) == 0)
			return 0;
	}
	static const char zeros[65536];
	while (len > 0) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

/* Advances an iovec array past `done` bytes. */
static int iov_advance(struct iovec **iov, int *n, size_t done)
{
	while (*n > 0 && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n > 0) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
	return *n;
}

int vctl_io_preadv(int fd, struct iovec *iov, int n, uint64_t off)
{
	while (n > 0) {
		ssize_t got = preadv(fd, iov, n > IOV_MAX ? IOV_MAX : n, (off_t)off);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (got == 0) {
			/* past the end of a file: reads as zeros */
			for (int i = 0; i < n; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		off += (uint64_t)got;
		iov_advance(&iov, &n, (size_t)got);
	}
	return 0;
}

int vctl_io_pwritev(int fd, struct iovec *iov, int n, uint64_t off)
{
	int r = fault_point();
	if (r < 0)
		return r;
	/* The log needs the data as one piece, and the iovecs change below. */
	char *copy = NULL;
	size_t total = 0;
	uint32_t crc = (uint32_t)crc32_z(0, NULL, 0);
	if (log_fd >= 0)
		for (int i = 0; i < n; i++) {
			total += iov[i].iov_len;
			crc = (uint32_t)crc32_z(crc, iov[i].iov_base, iov[i].iov_len);
		}
	if (log_fd >= 0 && log_data) {
		if (!(copy = malloc(total ? total : 1)))
			return -ENOMEM;
		size_t at = 0;
		for (int i = 0; i < n; i++) {
			memcpy(copy + at, iov[i].iov_base, iov[i].iov_len);
			at += iov[i].iov_len;
		}
	}
	uint64_t start = off;
	while (n > 0) {
		ssize_t put = pwritev(fd, iov, n > IOV_MAX ? IOV_MAX : n, (off_t)off);
		if (put < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (put == 0) {
			r = -EIO;
			break;
		}
		off += (uint64_t)put;
		iov_advance(&iov, &n, (size_t)put);
	}
	if (r == 0)
		log_rec(fd, VCTL_IO_REC_WRITE, start, total, copy, crc);
	free(copy);
	return r;
}
