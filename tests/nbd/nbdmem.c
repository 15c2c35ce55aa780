/* nbdmem: serves sparse in-memory exports through lib/nbd_server.c, so the
 * NBD layer can be proven with real clients before vctl has volumes to
 * serve. A test program: not installed.
 *
 *   nbdmem [-v] [-I] [-T US] [-R READERS] [-t THREADS] [-r] [-m MODE]
 *          [-P PIDFILE] SOCKET EXPORT...
 *
 * EXPORT is NAME:SIZE[:OPTION]..., SIZE with a binary suffix (64M), and
 * OPTION one of
 *   ro           read-only
 *   nomulticonn  no CAN_MULTI_CONN
 *   noextents    no extents: every byte reads as allocated data
 *   nofastzero   fast zeroing refused with ENOTSUP
 *   deny         hidden from listings; opening fails with EACCES
 *                (NBD_REP_ERR_POLICY)
 *   uid=N        only a client with peer uid N sees or opens it
 *   desc=TEXT    the description clients show
 *   file=PATH    served from an existing file with pread/pwrite instead
 *                of memory (SIZE at most the file's), so benchmarks can
 *                set this server against `nbdkit file` on equal terms
 * The first export is also the default one (empty name). Memory is taken
 * in 64 KiB chunks on first write; trimmed or zeroed whole chunks are
 * given back, and show as holes in base:allocation.
 *
 * -I hands every request to the worker pool (no inline execution on the
 * connection's readers), so tests can cover both paths; -T US sets the
 * server's inline threshold instead, -R the readers per connection.
 * -P writes the pid to PIDFILE once the socket accepts (as nbdkit -P).
 * SIGTERM or SIGINT shuts down gracefully and exits 0; 1 if the server
 * left a backend handle open. SIGPIPE is left at its default on purpose:
 * the library must never raise it. Exit status 1 for a server error, 2 for
 * bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/nbd_proto.h"
#include "lib/nbd_server.h"
#include "lib/units.h"

#define CHUNK_SHIFT 16
#define CHUNK ((uint64_t)1 << CHUNK_SHIFT)

struct mem_export {
	char *name;
	char *desc;
	uint64_t size;
	bool ro, multiconn, extents, fastzero, deny;
	long uid; /* -1: anyone */
	int fd;   /* file=PATH, else -1 */
	/* Readers and writers share the lock (a new chunk is published with a
	 * compare-and-swap); trim and zero take it exclusively because they
	 * free chunks others might be copying. */
	pthread_rwlock_t lock;
	_Atomic(uint8_t *) *chunks;
	uint64_t nchunks;
	atomic_long opened;
};

static struct mem_export *exports;
static int nexports;
/* The handler's view of the server: set once it exists, cleared before it
 * is freed. A signal before that is remembered in stop_early. */
static struct vctl_nbd_server *_Atomic server;
static volatile sig_atomic_t stop_early;

/* Whether this peer may see and open the export. Listing what it cannot
 * open would break `nbdinfo --list`, which gives up on the first refusal. */
static bool visible(const struct mem_export *e, const struct vctl_nbd_peer *peer)
{
	return !e->deny && (e->uid < 0 || (long)peer->uid == e->uid);
}

static int mem_list(void *opaque, const struct vctl_nbd_peer *peer,
		    vctl_nbd_emit_export_fn emit, void *ctx, struct vctl_err *err)
{
	(void)opaque;
	(void)err;
	for (int i = 0; i < nexports; i++) {
		if (!visible(&exports[i], peer))
			continue;
		int r = emit(ctx, exports[i].name, exports[i].desc);
		if (r)
			return r;
	}
	return 0;
}

static int mem_open(void *opaque, const struct vctl_nbd_peer *peer, const char *name,
		    bool want_write, void **handle, struct vctl_nbd_export_info *info,
		    struct vctl_err *err)
{
	(void)opaque;
	struct mem_export *e = NULL;
	for (int i = 0; i < nexports && !e; i++)
		if (!strcmp(exports[i].name, name))
			e = &exports[i];
	if (!e && !name[0] && nexports)
		e = &exports[0];
	if (!e)
		return vctl_errf(err, -ENOENT, "nbdmem: no export named '%s'", name);
	if (!visible(e, peer))
		return vctl_errf(err, -EACCES, "nbdmem: export '%s' is not for uid %ld", name,
				 (long)peer->uid);
	atomic_fetch_add(&e->opened, 1);
	*handle = e;
	info->size = e->size;
	info->read_only = e->ro || !want_write;
	info->can_flush = true;
	info->can_trim = true;
	info->can_zero = true;
	info->can_fast_zero = true;
	info->can_cache = true;
	info->can_multi_conn = e->multiconn;
	info->can_extents = e->extents && e->fd < 0;
	info->description = e->desc;
	return 0;
}

static void mem_close(void *handle)
{
	struct mem_export *e = handle;
	atomic_fetch_sub(&e->opened, 1);
}

static int file_io(struct mem_export *e, void *buf, uint32_t len, uint64_t off, bool write,
		   struct vctl_err *err)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = write ? pwrite(e->fd, p, len, (off_t)off) : pread(e->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vctl_errf(err, n < 0 ? -errno : -EIO, "nbdmem: %s: %s",
					 write ? "pwrite" : "pread", n < 0 ? strerror(errno) : "EOF");
		p += n;
		off += (uint64_t)n;
		len -= (uint32_t)n;
	}
	return 0;
}

static int mem_pread(void *handle, void *buf, uint32_t len, uint64_t off, struct vctl_err *err)
{
	struct mem_export *e = handle;
	if (e->fd >= 0)
		return file_io(e, buf, len, off, false, err);
	uint8_t *dst = buf;
	pthread_rwlock_rdlock(&e->lock);
	while (len) {
		uint64_t i = off >> CHUNK_SHIFT, in = off & (CHUNK - 1);
		uint32_t n = CHUNK - in < len ? (uint32_t)(CHUNK - in) : len;
		uint8_t *c = atomic_load(&e->chunks[i]);
		if (c)
			memcpy(dst, c + in, n);
		else
			memset(dst, 0, n);
		dst += n;
		off += n;
		len -= n;
	}
	pthread_rwlock_unlock(&e->lock);
	return 0;
}

/* The chunk at index i, allocated (zeroed) if it was a hole. */
static uint8_t *chunk_for_write(struct mem_export *e, uint64_t i)
{
	uint8_t *c = atomic_load(&e->chunks[i]);
	if (c)
		return c;
	uint8_t *fresh = calloc(1, CHUNK);
	if (!fresh)
		return NULL;
	if (atomic_compare_exchange_strong(&e->chunks[i], &c, fresh))
		return fresh;
	free(fresh); /* another writer won; c now holds its chunk */
	return c;
}

static int mem_pwrite(void *handle, const void *buf, uint32_t len, uint64_t off, bool fua,
		      struct vctl_err *err)
{
	struct mem_export *e = handle;
	if (e->fd >= 0) {
		int r = file_io(e, (void *)buf, len, off, true, err);
		if (r == 0 && fua && fdatasync(e->fd) < 0)
			r = vctl_errf(err, -errno, "nbdmem: fdatasync: %s", strerror(errno));
		return r;
	}
	const uint8_t *src = buf;
	int r = 0;
	pthread_rwlock_rdlock(&e->lock);
	while (len) {
		uint64_t i = off >> CHUNK_SHIFT, in = off & (CHUNK - 1);
		uint32_t n = CHUNK - in < len ? (uint32_t)(CHUNK - in) : len;
		uint8_t *c = chunk_for_write(e, i);
		if (!c) {
			r = vctl_errf(err, -ENOMEM, "nbdmem: out of memory");
			break;
		}
		memcpy(c + in, src, n);
		src += n;
		off += n;
		len -= n;
	}
	pthread_rwlock_unlock(&e->lock);
	return r;
}

static int mem_flush(void *handle, struct vctl_err *err)
{
	struct mem_export *e = handle;
	if (e->fd >= 0 && fdatasync(e->fd) < 0)
		return vctl_errf(err, -errno, "nbdmem: fdatasync: %s", strerror(errno));
	return 0;
}

/* Zeroes [off, off+len): whole chunks become holes when allowed, other
 * bytes are cleared (or provisioned, for NO_HOLE). */
static int zero_range(struct mem_export *e, uint64_t len, uint64_t off, bool may_trim,
		      struct vctl_err *err)
{
	if (e->fd >= 0) {
		int mode = may_trim ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : FALLOC_FL_ZERO_RANGE;
		if (fallocate(e->fd, mode, (off_t)off, (off_t)len) < 0)
			return vctl_errf(err, -errno, "nbdmem: fallocate: %s", strerror(errno));
		return 0;
	}
	int r = 0;
	pthread_rwlock_wrlock(&e->lock);
	while (len) {
		uint64_t i = off >> CHUNK_SHIFT, in = off & (CHUNK - 1);
		uint64_t n = CHUNK - in < len ? CHUNK - in : len;
		uint8_t *c = atomic_load(&e->chunks[i]);
		if (n == CHUNK && may_trim) {
			atomic_store(&e->chunks[i], NULL);
			free(c);
		} else if (c) {
			memset(c + in, 0, n);
		} else if (!may_trim && !chunk_for_write(e, i)) {
			r = vctl_errf(err, -ENOMEM, "nbdmem: out of memory");
			break;
		}
		off += n;
		len -= n;
	}
	pthread_rwlock_unlock(&e->lock);
	return r;
}

static int mem_trim(void *handle, uint64_t len, uint64_t off, bool fua, struct vctl_err *err)
{
	(void)fua;
	return zero_range(handle, len, off, true, err);
}

static int mem_zero(void *handle, uint64_t len, uint64_t off, bool may_trim, bool fast,
		    bool fua, struct vctl_err *err)
{
	(void)fua;
	struct mem_export *e = handle;
	if (fast && !e->fastzero)
		return vctl_errf(err, -ENOTSUP, "nbdmem: fast zero refused");
	return zero_range(e, len, off, may_trim, err);
}

static int mem_cache(void *handle, uint64_t len, uint64_t off, struct vctl_err *err)
{
	(void)handle;
	(void)len;
	(void)off;
	(void)err;
	return 0;
}

static int mem_extents(void *handle, uint64_t len, uint64_t off, vctl_nbd_emit_extent_fn emit,
		       void *ctx, struct vctl_err *err)
{
	(void)err;
	struct mem_export *e = handle;
	pthread_rwlock_rdlock(&e->lock);
	uint64_t end = off + len;
	while (off < end) {
		uint64_t i = off >> CHUNK_SHIFT;
		uint64_t n = CHUNK - (off & (CHUNK - 1));
		if (n > e->size - off)
			n = e->size - off;
		uint32_t flags = atomic_load(&e->chunks[i])
					 ? 0
					 : VCTL_NBD_STATE_HOLE | VCTL_NBD_STATE_ZERO;
		if (emit(ctx, n, flags))
			break;
		off += n;
	}
	pthread_rwlock_unlock(&e->lock);
	return 0;
}

static const struct vctl_nbd_backend_ops mem_ops = {
	.list = mem_list,
	.open = mem_open,
	.close = mem_close,
	.pread = mem_pread,
	.pwrite = mem_pwrite,
	.flush = mem_flush,
	.trim = mem_trim,
	.zero = mem_zero,
	.cache = mem_cache,
	.extents = mem_extents,
};

static void usage(void)
{
	fprintf(stderr, "usage: nbdmem [-v] [-I] [-T US] [-R READERS] [-t THREADS] [-r] [-m MODE] [-P PIDFILE] SOCKET "
			"NAME:SIZE[:ro|:nomulticonn|:noextents|:nofastzero|:deny|:uid=N|"
			":desc=TEXT]...\n");
	exit(2);
}

static void parse_export(char *spec, struct mem_export *e)
{
	memset(e, 0, sizeof(*e));
	e->multiconn = e->extents = e->fastzero = true;
	e->uid = -1;
	e->fd = -1;
	char *save = NULL;
	char *name = strtok_r(spec, ":", &save);
	char *size = name ? strtok_r(NULL, ":", &save) : NULL;
	struct vctl_err err = {0};
	if (!name || !size || vctl_parse_size(size, &e->size, &err) < 0 || !e->size) {
		fprintf(stderr, "nbdmem: bad export '%s': %s\n", spec,
			err.msg[0] ? err.msg : "want NAME:SIZE");
		exit(2);
	}
	e->name = name;
	for (char *o; (o = strtok_r(NULL, ":", &save));) {
		if (!strcmp(o, "ro"))
			e->ro = true;
		else if (!strcmp(o, "nomulticonn"))
			e->multiconn = false;
		else if (!strcmp(o, "noextents"))
			e->extents = false;
		else if (!strcmp(o, "nofastzero"))
			e->fastzero = false;
		else if (!strcmp(o, "deny"))
			e->deny = true;
		else if (!strncmp(o, "uid=", 4))
			e->uid = strtol(o + 4, NULL, 10);
		else if (!strncmp(o, "desc=", 5))
			e->desc = o + 5;
		else if (!strncmp(o, "file=", 5)) {
			struct stat st;
			e->fd = open(o + 5, O_RDWR | O_CLOEXEC);
			if (e->fd < 0 || fstat(e->fd, &st) < 0 || (uint64_t)st.st_size < e->size) {
				fprintf(stderr, "nbdmem: %s: %s\n", o + 5,
					e->fd < 0 ? strerror(errno) : "smaller than the export");
				exit(1);
			}
		}
		else {
			fprintf(stderr, "nbdmem: unknown export option '%s'\n", o);
			exit(2);
		}
	}
	e->nchunks = (e->size + CHUNK - 1) >> CHUNK_SHIFT;
	e->chunks = calloc(e->nchunks, sizeof(*e->chunks));
	if (!e->chunks) {
		fprintf(stderr, "nbdmem: out of memory\n");
		exit(1);
	}
	pthread_rwlock_init(&e->lock, NULL);
	atomic_init(&e->opened, 0);
}

static void log_stderr(void *opaque, enum vctl_nbd_log_level level, const char *msg)
{
	(void)opaque;
	static const char *const names[] = {"error", "info", "debug"};
	fprintf(stderr, "nbdmem: %s: %s\n", names[level], msg);
}

static void on_signal(int sig)
{
	(void)sig;
	struct vctl_nbd_server *srv = atomic_load(&server);
	if (srv)
		vctl_nbd_server_stop(srv);
	else
		stop_early = 1;
}

static int write_pidfile(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0)
		return -1;
	/* Renamed into place, so a reader never sees it half written. */
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	struct vctl_nbd_server_opts opts = {.log = log_stderr, .log_level = VCTL_NBD_LOG_ERROR};
	const char *pidfile = NULL;
	int c;
	while ((c = getopt(argc, argv, "vIT:R:t:rm:P:")) != -1) {
		switch (c) {
		case 'v':
			if (opts.log_level < VCTL_NBD_LOG_DEBUG)
				opts.log_level++;
			break;
		case 'I':
			opts.inline_threshold_us = VCTL_NBD_NO_INLINE;
			break;
		case 'T':
			opts.inline_threshold_us = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'R':
			opts.readers_per_conn = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			opts.nthreads = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			opts.read_only = true;
			break;
		case 'm':
			opts.socket_mode = (mode_t)strtoul(optarg, NULL, 8);
			break;
		case 'P':
			pidfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	opts.socket_path = argv[optind++];
	nexports = argc - optind;
	exports = calloc((size_t)nexports, sizeof(*exports));
	if (!exports)
		return 1;
	for (int i = 0; i < nexports; i++)
		parse_export(argv[optind + i], &exports[i]);

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct vctl_err err = {0};
	struct vctl_nbd_server *srv;
	int r = vctl_nbd_server_create(&mem_ops, NULL, &opts, &srv, &err);
	if (r < 0) {
		fprintf(stderr, "nbdmem: %s\n", err.msg);
		return 1;
	}
	atomic_store(&server, srv);
	if (stop_early)
		vctl_nbd_server_stop(srv);
	if (pidfile && write_pidfile(pidfile) < 0) {
		fprintf(stderr, "nbdmem: %s: %s\n", pidfile, strerror(errno));
		vctl_nbd_server_stop(srv);
	}
	r = vctl_nbd_server_run(srv, &err);
	if (r < 0)
		fprintf(stderr, "nbdmem: %s\n", err.msg);
	atomic_store(&server, NULL);
	vctl_nbd_server_shutdown(srv);

	int status = r < 0 ? 1 : 0;
	for (int i = 0; i < nexports; i++) {
		struct mem_export *e = &exports[i];
		long open = atomic_load(&e->opened);
		if (open) {
			fprintf(stderr, "nbdmem: export '%s': %ld handles left open\n", e->name, open);
			status = 1;
		}
		for (uint64_t k = 0; k < e->nchunks; k++)
			free(atomic_load(&e->chunks[k]));
		free(e->chunks);
		pthread_rwlock_destroy(&e->lock);
		if (e->fd >= 0)
			close(e->fd);
	}
	free(exports);
	if (pidfile)
		unlink(pidfile);
	return status;
}
