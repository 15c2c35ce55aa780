#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/volume.h"

enum { O_OFFSET = 1 };

const struct poptOption write_options[] = {
	{"offset", 0, POPT_ARG_STRING, NULL, O_OFFSET, "byte offset to write at (default 0)", "OFF"},
	POPT_TABLEEND};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	(void)val;
	return cmd_opt_size("offset", arg, st, err);
}

#define CHUNK (1u << 20)
#define COMMIT_EVERY (64ull << 20)

int cmd_write(struct cmd_ctx *c)
{
	uint64_t off = 0;
	CMD_START(c, on_opt, &off, 1, 2);
	struct vctl_err err = {0};
	uint64_t id;
	int r = vctl_volume_find(c->pool, c->args[0], &id, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	const char *src = c->nargs > 1 ? c->args[1] : "-";
	int fd = strcmp(src, "-") ? openat(c->cwd, src, O_RDONLY | O_CLOEXEC) : fileno(c->in);
	if (fd < 0)
		return cmd_failf(c, -errno, "%s: %s", src, strerror(errno));
	struct stat st;
	struct vctl_volume_info info;
	vctl_volume_info(c->pool, c->args[0], &info, &err);
	/* A file that cannot fit is refused before a byte is written. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (off > info.size || (uint64_t)st.st_size > info.size - off)) {
		if (fd != fileno(c->in))
			close(fd);
		return cmd_failf(c, -ENOSPC, "%s: %llu bytes at offset %llu do not fit volume %s (%llu bytes)",
				 src, (unsigned long long)st.st_size, (unsigned long long)off,
				 info.name, (unsigned long long)info.size);
	}
	if (S_ISDIR(st.st_mode)) {
		if (fd != fileno(c->in))
			close(fd);
		return cmd_failf(c, -EISDIR, "%s: is a directory", src);
	}
	char *buf = malloc(CHUNK);
	uint64_t total = 0, durable = 0;
	struct vctl_err cerr = {0};
	while (buf) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = vctl_errf(&err, -errno, "%s: %s", src, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		r = vctl_volume_write(c->pool, id, buf, (size_t)n, off + total, &err);
		if (r < 0)
			break;
		total += (uint64_t)n;
		/* Commits in batches: an error loses at most the batch under
		 * way, and new space it allocated stays unallocated. */
		if (total - durable >= COMMIT_EVERY) {
			if ((r = vctl_pool_commit(c->pool, &cerr)) < 0) {
				err = cerr;
				break;
			}
			durable = total;
		}
	}
	if (!buf)
		r = vctl_errf(&err, -ENOMEM, "out of memory");
	free(buf);
	if (fd != fileno(c->in))
		close(fd);
	if (r < 0) {
		/* What came before byte `durable` is committed; after it, data
		 * written over allocated space stays, space allocated for it is
		 * released. */
		vctl_err_wrap(&err, "after %llu bytes (space allocated past byte %llu is released)",
			      (unsigned long long)total, (unsigned long long)durable);
		return cmd_fail(c, r, &err);
	}
	r = vctl_pool_commit(c->pool, &cerr);
	if (r < 0)
		return cmd_fail(c, r, &cerr);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_u64(&c->out, "bytes", "wrote %llu bytes", total);
		out_str(&c->out, "volume", " to %s", c->args[0]);
		out_u64(&c->out, "offset", " at offset %llu\n", off);
		out_end(&c->out);
	}
	return EXIT_OK;
}
