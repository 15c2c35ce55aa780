#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "pool.h"

/* One process owns a pool: an flock on vctl.lock in the pool directory.
 * The owner writes its pid there so a refused caller can say who. */
int vctl_lock_pool(const char *dir, bool exclusive, int *fd, struct vctl_err *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, VCTL_LOCK_NAME);
	*fd = -1;
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (f < 0 && !exclusive && (errno == EACCES || errno == EROFS))
		return 0; /* a reader in a read-only directory goes unlocked */
	if (f < 0)
		return vctl_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (flock(f, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
		int e = errno;
		char buf[32] = "";
		ssize_t n = pread(f, buf, sizeof(buf) - 1, 0);
		close(f);
		if (e != EWOULDBLOCK)
			return vctl_errf(err, -e, "%s: %s", path, strerror(e));
		long pid = n > 0 ? strtol(buf, NULL, 10) : 0;
		if (pid > 0)
			return vctl_errf(err, -EBUSY, "pool is busy (pid %ld)", pid);
		return vctl_errf(err, -EBUSY, "pool is busy");
	}
	if (exclusive) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		if (ftruncate(f, 0) == 0 && pwrite(f, buf, (size_t)n, 0) != n) {
			/* The pid is a courtesy for the message above; the flock is
			 * what protects the pool. */
		}
	}
	*fd = f;
	return 0;
}

void vctl_unlock_pool(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}
