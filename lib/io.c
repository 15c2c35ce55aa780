#include "io.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
			return 0;
		return -errno;
	}
	return 0;
}
