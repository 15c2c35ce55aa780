/* crash_sweep: every fault point of every mutating operation, in make check.
 *
 * What it does (TESTING.md, "crash"; issue 10): for each operation in
 * scenarios[] it builds the pool the operation starts from, runs the
 * operation once unfaulted (the dry run) to learn its W fault points
 * (writes, zeroes and flushes through lib/io.c) and its after-state, then
 * for every N in 1..W and each mode
 *
 *   stop   the child SIGKILLs itself instead of doing point N (a real crash:
 *          no atexit, no close, nothing flushed that was not flushed)
 *   eio    point N fails with EIO, once
 *   eio+   point N and every later one fail with EIO
 *
 * puts the start pool back, forks a child that sets the fault with
 * vctl_io_fault_set() and runs the operation through vctl's own command
 * table (cmd/vctl.c linked in as vctl_cli_main: the code path of the vctl
 * binary, without an exec), and then, in the parent: opens the pool, runs
 * the library check (what `vctl check` runs: every crc and cross-reference,
 * share bits, mirrors and parity) and requires no problem, and requires
 * every volume (name, size, crc32 of all its bytes) to hold its before- or
 * after-state, the after-state if the command said it succeeded. A command
 * that fails must fail with vctl's I/O status (4); any other status, a
 * signal of its own or a sanitizer report is a failure. An interrupted init
 * may instead leave no pool, and then a new init must succeed; an init that
 * finished must refuse a second one.
 *
 * Power-loss mode (xfstests' dm-log-writes, SQLite's crash VFS): the dry run
 * also logs every write, zero and flush with its data (vctl_io_log_start).
 * A flush is an fdatasync of one file, so at flush point i (flushes 1..i
 * done, flush i+1 not) a write is durable only if a flush of its own file
 * came after it. For every flush point the driver puts the start pool back,
 * applies the durable writes, and of the writes not durable yet applies:
 * none; all; random subsets (seeded: the seed is printed, VCTL_CRASH_SEED
 * repeats it); the ones before a randomly chosen write and a 512-byte
 * aligned prefix of that one (torn). Subsets are applied in log order: a
 * device may persist any subset of its cache but never an older write over
 * a newer one to the same sector, and writes that do not overlap commute.
 * File creation and size count as durable (init makes its images with
 * ftruncate, outside lib/io.c). Each state is opened, checked and compared
 * as above (after the last flush: the after-state only). One allowance: in
 * a torn state, check may report the torn copy itself (that MLD slot or
 * label copy of that file) and "only N of M MLD copies"; then one commit
 * (`check --repair`) must leave check clean and the volumes unchanged. The
 * TAP line counts those states.
 *
 * Speed: the pool is put back by undoing what was written (the children
 * and the replay log every place they write, without the data, and those
 * ranges are copied back from the start pool); a state already judged
 * good (the same writes with the same data as an earlier point: stop@N and
 * eio+@N always, eio@N often, the same replayed records) is not judged
 * again; the profile line after each operation says how many.
 *
 * Output is TAP: one line per operation and mode with the number of points,
 * a diagnostic line with the totals. VCTL_LONG=1 (make check-long) tries 8
 * random subsets per flush point instead of 2. Workers: VCTL_CRASH_JOBS
 * (default 2). Options: -o SUBSTRING runs only the operations whose name
 * contains it; -s SEED; -j N. Files live under $TMPDIR (tmpfs under
 * tests/run-suites).
 */#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/check.h"
#include "lib/io.h"
#include "lib/pool.h"
#include "lib/volume.h"
#include "cmd/cmd.h"
#include "tests/crash/cli.h"

/* ---- the operations ---------------------------------------------------- */

#define SC_INIT 0x1u  /* the pool may not exist before: the init sweep */
#define SC_GEN 0x2u   /* the MLD generation is part of the state */
#define SC_POWER 0x4u /* also replay the power-loss log */

/* A command is one string of words; "@NAME" stands for the data file NAME,
 * "%P/" for the pool directory it runs on, a leading "VAR=VALUE " sets an
 * environment variable for the command, and a leading "= " (ops only) says
 * the operation changes no volume's bytes. In a base, "mkimg NAME SIZE"
 * makes an empty image file in the pool directory (for disk add). A
 * scenario whose commands this build of vctl lacks is skipped. */
struct scenario {
	const char *name;
	const char *const *base; /* builds the start pool */
	const char *const *ops;  /* swept one after another, each from the
				    state the one before left */
	const char *torn;        /* a volume written in place, left out */
	unsigned flags;
};

#define INIT6 "init --disks 6 --disk-size 16M --enclosures 3 --pseg-size 256K"
#define INIT4 "init --disks 4 --disk-size 16M --enclosures 2 --pseg-size 256K"

/* tests/crash-volumes.bats */
static const char *const base_volumes[] = {
	INIT6,
	"create keep --size 3M --raid 5 --width 3",
	"write keep @d3M",
	"create thin --size 4M --raid 1",
	"create mirror --size 2M --raid 10 --width 2",
	"write mirror --offset 100000 @new",
	NULL};
/* tests/crash-snapshots.bats: o (RAID5) <- s2 <- s1, copies made in s1 */
static const char *const base_snap[] = {
	INIT6,
	"create o --size 3M --raid 5 --width 3",
	"write o @d3M",
	"snapshot o s1",
	"write o --offset 1M @new",
	"snapshot o s2",
	"create other --size 1M --raid 1",
	"write other @small",
	NULL};
static const char *const base_clone_part[] = {
	INIT6,
	"create o --size 3M --raid 5 --width 3",
	"write o @d3M",
	"snapshot o s1",
	"write o --offset 1M @new",
	"snapshot o s2",
	"create other --size 1M --raid 1",
	"write other @small",
	"VCTL_JOB_STEPS=1 snapclone o c",
	"write o --offset 500000 @small",
	NULL};
/* tests/crash-restripe.bats */
static const char *const base_restripe[] = {
	INIT6,
	"create v --size 3M --width 3",
	"write v @d3M",
	"create w --size 2M --raid 5 --width 3",
	"write w @d2M",
	"snapshot w ws",
	NULL};
static const char *const base_part_way[] = {
	INIT6,
	"create v --size 3M --width 3",
	"write v @d3M",
	"VCTL_JOB_STEPS=1 restripe v --width 4",
	NULL};
/* tests/crash-disks.bats */
static const char *const base_disks[] = {
	INIT6,
	"create m --size 2M --raid 10 --width 2 --separate enclosure",
	"write m @d2M",
	"create r --size 1M --raid 5 --width 2",
	"write r @d1M",
	NULL};
static const char *const base_failed[] = {
	INIT6,
	"create m --size 2M --raid 10 --width 2 --separate enclosure",
	"write m @d2M",
	"create r --size 1M --raid 5 --width 2",
	"write r @d1M",
	"disk fail 1",
	NULL};
static const char *const base_failed_thin[] = {
	INIT6,
	"create w --size 2M --raid 5 --width 5",
	"create m --size 1M --raid 1",
	"write m @d1M",
	"disk fail 1",
	"mkimg new.img 16M",
	NULL};
static const char *const base_r4[] = {
	INIT6,
	"create r --size 4M --raid 5 --width 3",
	"write r @d4M",
	NULL};
static const char *const base_failed2[] = {
	INIT6,
	"create r --size 4M --raid 5 --width 3",
	"write r @d4M",
	"create m --size 2M --raid 10 --width 2 --separate enclosure",
	"write m @d2M",
	"disk fail 2",
	NULL};
static const char *const base_disks_img[] = {
	INIT6,
	"create m --size 2M --raid 10 --width 2 --separate enclosure",
	"write m @d2M",
	"create r --size 1M --raid 5 --width 2",
	"write r @d1M",
	"mkimg new.img 16M",
	NULL};
static const char *const base_level[] = {
	INIT6,
	"create m --size 2M --raid 10 --width 2 --separate enclosure",
	"write m @d2M",
	"create r --size 1M --raid 5 --width 2",
	"write r @d1M",
	"mkimg new0.img 16M",
	"mkimg new1.img 16M",
	"disk add %P/new0.img --enclosure e0",
	"disk add %P/new1.img --enclosure e2",
	NULL};
/* tests/array.bats: arrays rated 400, 400 and 200 MB/s */
static const char *const base_arrays[] = {
	INIT6,
	"array set e0 --mbps 400 --iops 1000",
	"array set e1 --mbps 400 --iops 1000",
	"array set e2 --mbps 200 --iops 1000",
	"create other --size 1M --raid 1",
	"write other @small",
	NULL};
static const char *const base_arrays_level[] = {
	INIT6,
	"array set e0 --mbps 400",
	"array set e1 --mbps 400",
	"array set e2 --mbps 200",
	"create p --size 4M --mbps 600 --thick",
	"write p @d4M",
	"create other --size 2M --raid 1",
	"write other @d2M",
	"mkimg new0.img 16M",
	"disk add %P/new0.img --enclosure e2",
	NULL};
/* tests/migrate.bats: a volume placed on e0 and e1 moves off e0 */
static const char *const base_arrays_migrate[] = {
	INIT6,
	"array set e0 --mbps 400",
	"array set e1 --mbps 400",
	"array set e2 --mbps 400",
	"create p --size 2M --mbps 600 --raid 1",
	"write p @d2M",
	"snapshot p ps",
	"write p --offset 300000 @small",
	"create other --size 1M --raid 1",
	"write other @d1M",
	NULL};
static const char *const base_migrate_part[] = {
	INIT6,
	"array set e0 --mbps 400",
	"array set e1 --mbps 400",
	"array set e2 --mbps 400",
	"create p --size 4M --mbps 600",
	"write p @d4M",
	"VCTL_JOB_STEPS=1 migrate p --from e0",
	NULL};
static const char *const base_empty[] = {NULL};
static const char *const base_init[] = {INIT6, NULL};

#define OPS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct scenario scenarios[] = {
	{"init", base_empty, OPS(INIT6), NULL, SC_INIT | SC_POWER},
	{"MLD commit", base_init, OPS("check --repair"), NULL, SC_GEN | SC_POWER},
	{"create (thin)", base_volumes, OPS("create new --size 8M --raid 5"), NULL, SC_POWER},
	{"create (thick)", base_volumes, OPS("create new --size 2M --raid 10 --width 2 --thick"),
	 NULL, SC_POWER},
	{"create+write", base_volumes,
	 OPS("create new --size 4M --raid 5 --width 3", "write new --offset 512K @d2M"), NULL,
	 SC_POWER},
	{"first write to unallocated space", base_volumes,
	 OPS("write thin --offset 1M @new"), NULL, SC_POWER},
	{"resize (grow, thick; shrink)", base_volumes,
	 OPS("resize mirror --size 3M", "resize keep --size 1200128 --force"), NULL, SC_POWER},
	{"delete", base_volumes, OPS("delete keep"), NULL, SC_POWER},
	{"snapshot+CFW", base_snap, OPS("snapshot o s3", "write s3 --offset 200000 @small"), NULL,
	 SC_POWER},
	{"CFW into a snapshot in the middle (two copies)", base_snap,
	 OPS("write s2 --offset 200000 @small"), NULL, SC_POWER},
	{"origin overwrites what its snapshots share", base_snap,
	 OPS("write o --offset 2000000 @small"), "o", SC_POWER},
	{"delete from the middle of a chain, delete the origin", base_snap,
	 OPS("delete s2", "delete o"), NULL, SC_POWER},
	{"shrink a volume its snapshot reads through", base_snap,
	 OPS("resize s2 --size 1M --force"), NULL, SC_POWER},
	{"snapclone (BGCOPY steps, copies for the older snapshot, removal)", base_snap,
	 OPS("snapclone o c"), NULL, SC_POWER},
	{"snapclone job part way, resumed", base_clone_part, OPS("= jobs --wait"), NULL, SC_POWER},
	{"restripe raid0 3->4 columns (start, transfer steps, finish)", base_restripe,
	 OPS("= restripe v --width 4 --stripe-size 32K"), NULL, SC_POWER},
	{"restripe raid5 with a snapshot", base_restripe, OPS("= restripe w --width 2"), NULL,
	 SC_POWER},
	{"restripe step of a job part way, and its finish", base_part_way, OPS("= jobs --wait"),
	 NULL, SC_POWER},
	{"write to RSEGs a restripe has not moved yet, then cancel", base_part_way,
	 OPS("write v --offset 2200000 @small", "= jobs --cancel 2"), NULL, SC_POWER},
	{"disk fail", base_disks, OPS("= disk fail 1"), NULL, SC_POWER},
	{"disk replace (new places, rebuild, stale marks cleared)", base_failed,
	 OPS("= disk replace 1"), NULL, SC_POWER},
	{"first write with a disk failed (RStores born degraded), then disk replace",
	 base_failed_thin, OPS("write w @d2M", "= disk replace 1 %P/new.img"), NULL, SC_POWER},
	/* the same operations on other layouts and more data: more steps */
	{"4 MiB raid10: first write, snapclone, restripe to 3 columns", base_init,
	 OPS("create m --size 4M --raid 10 --width 2 --separate enclosure", "write m @d4M",
	     "snapclone m mc", "= restripe m --width 3"), NULL, SC_POWER},
	{"4 MiB raid5: restripe to 4 columns and 32K stripes", base_r4,
	 OPS("= restripe r --width 4 --stripe-size 32K"), NULL, SC_POWER},
	{"4 MiB raid5: snapclone; a thin raid5 on 4 columns: first write, restripe to 3", base_r4,
	 OPS("snapclone r rc", "create t --size 4M --raid 5 --width 4", "write t @d4M",
	     "= restripe t --width 3"), NULL, 0},
	{"raid1 on 4 disks in 2 enclosures: first write, snapshot, snapclone", (const char *const[]){
	 INIT4, NULL},
	 OPS("create vol --size 4M --raid 1 --separate enclosure", "write vol @d4M",
	     "snapshot vol vs", "snapclone vol vc"), NULL, 0},
	{"disk replace under raid5 and raid10 with data", base_failed2,
	 OPS("= disk replace 2"), NULL, SC_POWER},
	/* disks joining and leaving (skipped by a vctl without them) */
	{"disk add (labels, the commit that names the disk)", base_disks_img,
	 OPS("= disk add %P/new.img --enclosure e1"), NULL, SC_POWER},
	{"level (every move: copy, flush, commit; the end of the job)", base_level,
	 OPS("= level"), NULL, SC_POWER},
	{"disk remove (every move, the commit that drops the disk, the wipe)", base_disks,
	 OPS("= disk remove 2"), NULL, SC_POWER},
	{"hosts, domains, paths (MLD commits)", (const char *const[]){INIT4,
	 "create vol --size 2M --raid 1", "write vol @d1M", "host add a --uid 1001", NULL},
	 OPS("host add b --uid 1002 --gid 7", "domain create slow --max-iops 200",
	     "path add b vol --domain slow --access ro", "domain set slow --max-iops 400 --access ro",
	     "path add a vol"), NULL, SC_GEN},
	/* arrays and requirement-based placement (skipped by a vctl without them) */
	{"array set (MLD commits)", base_init,
	 OPS("array set e0 --mbps 400", "array set e1 --mbps 400 --iops 900", "array set e0 --mbps 0"),
	 NULL, SC_GEN | SC_POWER},
	{"create --mbps/--iops (requirement record, placement; thick, thin first write), delete",
	 base_arrays,
	 OPS("create new --size 2M --mbps 600 --thick", "create thin --size 2M --iops 500 --fit first",
	     "write thin @d1M", "delete new"),
	 NULL, SC_POWER},
	{"level with a volume kept to its arrays", base_arrays_level, OPS("= level"), NULL, SC_POWER},
	{"migrate a placed raid1 volume with a snapshot off an array (publish, every move, the end)",
	 base_arrays_migrate, OPS("= migrate p --from e0"), NULL, SC_POWER},
	{"migration steps of a job part way, and its end", base_migrate_part, OPS("= jobs --wait"),
	 NULL, SC_POWER},
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

/* ---- small helpers ------------------------------------------------------ */

static const char *tmp;  /* our directory under $TMPDIR */
static int njobs = 2;
static uint64_t seed;

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("Bail out! ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

__attribute__((format(printf, 1, 2))) static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return s;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: the random choices of the power-loss mode. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char *sub = xasprintf("%s/%s", path, e->d_name);
			struct stat st;
			if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
				rm_rf(sub);
			else
				unlink(sub);
			free(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* Copies one file, keeping its holes. */
static void copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct stat st;
	if (in < 0 || out < 0 || fstat(in, &st) < 0)
		die("copy %s to %s: %s", from, to, strerror(errno));
	if (ftruncate(out, st.st_size) < 0)
		die("ftruncate %s: %s", to, strerror(errno));
	static char buf[1 << 20];
	off_t pos = 0;
	for (;;) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0)
			break;
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = st.st_size;
		for (off_t at = data; at < hole;) {
			size_t n = (size_t)(hole - at) < sizeof(buf) ? (size_t)(hole - at) : sizeof(buf);
			ssize_t got = pread(in, buf, n, at);
			if (got <= 0 || pwrite(out, buf, (size_t)got, at) != got)
				die("copy %s: %s", from, strerror(errno));
			at += got;
		}
		pos = hole;
	}
	close(in);
	close(out);
}

/* dst becomes a copy of the (flat) pool directory src. */
static void copy_dir(const char *src, const char *dst)
{
	rm_rf(dst);
	if (mkdir(dst, 0755) < 0)
		die("mkdir %s: %s", dst, strerror(errno));
	DIR *d = opendir(src);
	if (!d)
		die("opendir %s: %s", src, strerror(errno));
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *a = xasprintf("%s/%s", src, e->d_name), *b = xasprintf("%s/%s", dst, e->d_name);
		struct stat st;
		if (lstat(a, &st) == 0 && S_ISREG(st.st_mode))
			copy_file(a, b);
		else if (S_ISLNK(st.st_mode))
			die("%s: a link: every run would share what it points to", a);
		free(a);
		free(b);
	}
	closedir(d);
}

/* ---- running a command in a child -------------------------------------- */

struct run {
	bool killed;   /* by SIGKILL: the stop fault */
	int sig;       /* another signal: a crash of its own */
	int status;    /* exit status otherwise */
};

/* Shared with the children: the fault points of the last run. */
static uint64_t *shared_ops;

/* Runs one command on the pool in dir, in a forked child, with a fault
 * (mode, at) and, if log_fd >= 0, the power-loss log. */
static struct run run_cmd(const char *dir, const char *cmd, enum vctl_io_fault mode, uint64_t at,
			  int log_fd, unsigned log_flags, const char *err_file)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		int ef = open(err_file ? err_file : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (nul < 0 || ef < 0)
			_exit(120);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(ef, 2);
		const char *argv[64];
		int argc = 0;
		argv[argc++] = "vctl";
		argv[argc++] = "-p";
		argv[argc++] = dir;
		argv[argc++] = "-q";
		char *words = strdup(cmd), *save = NULL;
		for (char *w = strtok_r(words, " ", &save); w && argc < 62; w = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(w, '=');
			if (argc == 4 && !strcmp(w, "="))
				continue;
			if (argc == 4 && eq && eq != w && w[0] >= 'A' && w[0] <= 'Z') {
				*eq = 0;
				setenv(w, eq + 1, 1);
				continue;
			}
			if (w[0] == '@')
				w = xasprintf("%s/data/%s", tmp, w + 1);
			else if (!strncmp(w, "%P/", 3))
				w = xasprintf("%s/%s", dir, w + 3);
			argv[argc++] = w;
		}
		argv[argc] = NULL;
		vctl_io_fault_set(mode, at);
		if (log_fd >= 0)
			vctl_io_log_start(log_fd, log_flags);
		int st = vctl_cli_main(argc, argv);
		*shared_ops = vctl_io_ops();
		_exit(st);
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	struct run r = {0};
	if (WIFSIGNALED(ws)) {
		r.killed = WTERMSIG(ws) == SIGKILL;
		r.sig = r.killed ? 0 : WTERMSIG(ws);
	} else {
		r.status = WEXITSTATUS(ws);
	}
	return r;
}

/* The last line a child wrote to its standard error. */
static const char *last_line(const char *file, char *buf, size_t n)
{
	buf[0] = 0;
	FILE *f = fopen(file, "r");
	if (!f)
		return buf;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			snprintf(buf, n, "%s", line);
	}
	fclose(f);
	return buf;
}

/* Whether this build of vctl has the command a command string runs. */
static bool has_command(const char *cmd)
{
	char w[3][64] = {{0}};
	int n = 0;
	const char *at = cmd;
	while (*at && n < 3) {
		size_t len = strcspn(at, " ");
		bool skip = (len == 1 && *at == '=') || memchr(at, '=', len);
		if (!skip) {
			snprintf(w[n], sizeof(w[n]), "%.*s", (int)len, at);
			n++;
		}
		at += len;
		at += strspn(at, " ");
	}
	if (!strcmp(w[0], "mkimg"))
		return true;
	char two[130];
	snprintf(two, sizeof(two), "%s %s", w[0], w[1]);
	for (unsigned i = 0; i < vctl_ncommands; i++)
		if (!strcmp(vctl_commands[i].name, w[0]) || !strcmp(vctl_commands[i].name, two))
			return true;
	return false;
}

/* "mkimg NAME SIZE" of a base: an empty image in the pool directory. */
static void mkimg(const char *dir, const char *cmd)
{
	char name[64];
	unsigned long long mib;
	if (sscanf(cmd, "mkimg %63s %lluM", name, &mib) != 2)
		die("bad base command: %s", cmd);
	char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)(mib << 20)) < 0)
		die("%s: %s", p, strerror(errno));
	close(fd);
	free(p);
}

/* ---- the state of a pool ----------------------------------------------- */

enum look { LOOK_OK, LOOK_NO_POOL, LOOK_BAD, LOOK_TORN };

/* After a power cut that tore a write to file `torn`: is this problem the
 * torn copy itself (an MLD slot or a label copy of that file), which the
 * next commit rewrites? */
static bool torn_copy(const char *problem, const char *torn)
{
	if (!strncmp(problem, "only ", 5) && strstr(problem, " MLD copies are readable"))
		return true;
	char a[128], b[128];
	snprintf(a, sizeof(a), "(%s):", torn);
	snprintf(b, sizeof(b), "%s:", torn);
	if (!strstr(problem, a) && strncmp(problem, b, strlen(b)))
		return false;
	return strstr(problem, ": MLD slot ") || strstr(problem, ": label copy ") ||
	       strstr(problem, "holds no valid MLD copy");
}

struct vol_fp {
	char line[VCTL_NAME_MAX + 80];
};

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct vol_fp *)a)->line, ((const struct vol_fp *)b)->line);
}

/* Opens the pool, checks it and returns in *fp its state: one line per
 * volume (name, size, crc32 of its bytes), sorted. LOOK_BAD
 * with a message in why when check finds a problem or a read fails. */
static enum look look_gen(const char *dir, const struct scenario *sc, const char *torn,
			  uint64_t gen_back, char **fp, char *why, size_t n);
static enum look look(const char *dir, const struct scenario *sc, const char *torn, char **fp,
		      char *why, size_t n)
{
	return look_gen(dir, sc, torn, 0, fp, why, n);
}

/* gen_back: commits the driver made itself, not counted in the state */
static enum look look_gen(const char *dir, const struct scenario *sc, const char *torn,
			  uint64_t gen_back, char **fp, char *why, size_t n)
{
	*fp = NULL;
	struct vctl_pool *p;
	struct vctl_err err = {0};
	if (vctl_pool_open(dir, 0, &p, &err) < 0) {
		snprintf(why, n, "the pool does not open: %s", err.msg);
		return LOOK_NO_POOL;
	}
	struct vctl_check_report rep;
	if (vctl_pool_check(p, VCTL_CHECK_DATA, &rep, &err) < 0) {
		snprintf(why, n, "check could not run: %s", err.msg);
		vctl_pool_close(p);
		return LOOK_BAD;
	}
	bool all_torn = torn != NULL;
	for (uint32_t i = 0; i < rep.n; i++)
		all_torn &= torn_copy(rep.problems[i], torn);
	if (rep.n) {
		int k = snprintf(why, n, "check: %u problem(s):", rep.n);
		for (uint32_t i = 0; i < rep.n && i < 4 && k > 0 && (size_t)k < n; i++)
			k += snprintf(why + k, n - (size_t)k, " [%s]", rep.problems[i]);
		vctl_check_report_free(&rep);
		vctl_pool_close(p);
		return all_torn ? LOOK_TORN : LOOK_BAD;
	}
	vctl_check_report_free(&rep);
	uint32_t nv = p->mld.nvol;
	struct vol_fp *v = xmalloc(sizeof(*v) * (nv + 1));
	uint32_t k = 0;
	static uint8_t buf[1 << 20];
	enum look res = LOOK_OK;
	for (uint32_t i = 0; i < nv; i++) {
		const struct vctl_mld_volume *mv = &p->mld.vols[i];
		if (sc->torn && !strcmp(mv->name, sc->torn))
			continue;
		uLong crc = crc32(0, NULL, 0);
		for (uint64_t off = 0; off < mv->size;) {
			size_t len = mv->size - off < sizeof(buf) ? (size_t)(mv->size - off) : sizeof(buf);
			if (vctl_volume_read(p, mv->id, buf, len, off, &err) < 0) {
				snprintf(why, n, "read %s at %llu: %s", mv->name, (unsigned long long)off,
					 err.msg);
				res = LOOK_BAD;
				break;
			}
			crc = crc32(crc, buf, (uInt)len);
			off += len;
		}
		snprintf(v[k++].line, sizeof(v[0].line), "%s %llu %08lx", mv->name,
			 (unsigned long long)mv->size, crc);
	}
	if (res == LOOK_OK) {
		qsort(v, k, sizeof(*v), cmp_line);
		size_t cap = 64 + (size_t)k * sizeof(v[0].line);
		char *s = xmalloc(cap);
		size_t len = 0;
		if (sc->flags & SC_GEN)
			len += (size_t)snprintf(s + len, cap - len, "generation %llu; ",
						(unsigned long long)(p->mld.generation - gen_back));
		for (uint32_t i = 0; i < k; i++)
			len += (size_t)snprintf(s + len, cap - len, "%s; ", v[i].line);
		if (!k)
			len += (size_t)snprintf(s + len, cap - len, "no volumes");
		*fp = s;
	}
	free(v);
	vctl_pool_close(p);
	return res;
}

#define NO_POOL "(no pool)"

/* ---- one operation --------------------------------------------------- */

/* What one worker found. */
struct tally {
	uint64_t points[3];  /* fault points run, per mode */
	uint64_t fails[4];   /* per mode; [3]: power-loss */
	uint64_t states;     /* power-loss states replayed */
	uint64_t flushes;    /* power-loss flush points */
	uint64_t repaired;   /* torn states that needed one commit to be clean */
	uint64_t memo;       /* points whose state was one already judged */
	double t_copy, t_run, t_judge; /* seconds spent, for the profile line */
};

struct op {
	const struct scenario *sc;
	const char *cmd;   /* as written, "= " included */
	const char *start; /* the pool it starts from */
	const char *before, *after; /* fingerprints */
	uint64_t w;        /* fault points of the dry run */
	const char *log;   /* the power-loss log of the dry run, or NULL */
	const char *done;  /* the pool the dry run left (names its files) */
	uint64_t salt;
};

struct worker {
	int id;
	char *pool, *err, *msgs, *touched;
	FILE *out;      /* failure messages */
	struct tally *t;
	/* The pool is put back between points by undoing what was written
	 * (the touched log: every write of the children and of the replay,
	 * without data) from the start pool it is a copy of. */
	int touch;
	const char *copy_of;
	int nfiles;
	char *names[64];
	uint64_t devs[64], inos[64];
	/* Points leave the same bytes more than once (stop@N and eio+@N do
	 * the same writes): the states judged good, by a digest of what the
	 * child wrote (the touched log: places and crc32 of the data). */
	uint64_t *seen;
	size_t nseen, capseen;
};

/* Copies [off, off+len) of file `from` over `to`, holes as holes. */
static void copy_range(int from, int to, uint64_t off, uint64_t len, uint64_t size)
{
	static char buf[1 << 20];
	uint64_t end = off + len > size ? size : off + len;
	if (off >= end)
		return;
	if (fallocate(to, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)(end - off)) < 0)
		die("punch: %s", strerror(errno));
	for (off_t pos = (off_t)off; pos < (off_t)end;) {
		off_t data = lseek(from, pos, SEEK_DATA);
		if (data < 0 || data >= (off_t)end)
			break;
		off_t hole = lseek(from, data, SEEK_HOLE);
		if (hole < 0 || hole > (off_t)end)
			hole = (off_t)end;
		for (off_t at = data; at < hole;) {
			size_t n = (size_t)(hole - at) < sizeof(buf) ? (size_t)(hole - at) : sizeof(buf);
			ssize_t got = pread(from, buf, n, at);
			if (got <= 0 || pwrite(to, buf, (size_t)got, at) != got)
				die("restore: %s", strerror(errno));
			at += got;
		}
		pos = hole;
	}
}

/* Notes that the driver itself changed [off, off+len) of fd, with what:
 * `what` names the data (a record of the replayed log). */
static void touch(struct worker *w, int fd, uint64_t off, uint64_t len, uint32_t what)
{
	struct stat st;
	struct vctl_io_rec rec = {.type = VCTL_IO_REC_WRITE, .crc = what, .off = off, .len = len};
	if (fstat(fd, &st) < 0)
		die("fstat: %s", strerror(errno));
	rec.dev = (uint64_t)st.st_dev;
	rec.ino = (uint64_t)st.st_ino;
	if (write(w->touch, &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
		die("touched log: %s", strerror(errno));
}

/* Makes w->pool a copy of start again: by undoing the touched ranges when
 * it already was one, else by copying it whole. */
static void restore(struct worker *w, const char *start, bool whole)
{
	if (!whole && w->copy_of == start) {
		struct stat st;
		if (fstat(w->touch, &st) < 0)
			die("fstat: %s", strerror(errno));
		size_t n = (size_t)st.st_size;
		uint8_t *raw = xmalloc(n);
		if (n && pread(w->touch, raw, n, 0) != (ssize_t)n)
			die("touched log: short read");
		int from[64], to[64];
		for (int f = 0; f < w->nfiles; f++)
			from[f] = to[f] = -1;
		for (size_t at = 0; at + sizeof(struct vctl_io_rec) <= n; at += sizeof(struct vctl_io_rec)) {
			struct vctl_io_rec r;
			memcpy(&r, raw + at, sizeof(r));
			if (r.type == VCTL_IO_REC_FLUSH)
				continue;
			int f = 0;
			while (f < w->nfiles && (w->devs[f] != r.dev || w->inos[f] != r.ino))
				f++;
			if (f == w->nfiles) {
				whole = true; /* a file we do not know: copy it all */
				break;
			}
			if (from[f] < 0) {
				char *a = xasprintf("%s/%s", start, w->names[f]);
				char *b = xasprintf("%s/%s", w->pool, w->names[f]);
				from[f] = open(a, O_RDONLY | O_CLOEXEC);
				to[f] = open(b, O_RDWR | O_CLOEXEC);
				if (from[f] < 0 || to[f] < 0)
					die("restore %s: %s", b, strerror(errno));
				free(a);
				free(b);
			}
			struct stat fs;
			if (fstat(from[f], &fs) < 0)
				die("fstat: %s", strerror(errno));
			uint64_t lo = r.off & ~4095ull, hi = (r.off + r.len + 4095) & ~4095ull;
			copy_range(from[f], to[f], lo, hi - lo, (uint64_t)fs.st_size);
		}
		for (int f = 0; f < w->nfiles; f++)
			if (from[f] >= 0) {
				close(from[f]);
				close(to[f]);
			}
		free(raw);
		if (!whole) {
			if (ftruncate(w->touch, 0) < 0)
				die("ftruncate: %s", strerror(errno));
			return;
		}
	}
	copy_dir(start, w->pool);
	if (ftruncate(w->touch, 0) < 0)
		die("ftruncate: %s", strerror(errno));
	w->copy_of = start;
	for (int f = 0; f < w->nfiles; f++)
		free(w->names[f]);
	w->nfiles = 0;
	DIR *d = opendir(w->pool);
	struct dirent *e;
	while (d && (e = readdir(d)) && w->nfiles < 64) {
		char *p = xasprintf("%s/%s", w->pool, e->d_name);
		struct stat st;
		if (e->d_name[0] != '.' && lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			w->devs[w->nfiles] = (uint64_t)st.st_dev;
			w->inos[w->nfiles] = (uint64_t)st.st_ino;
			w->names[w->nfiles++] = strdup(e->d_name);
		}
		free(p);
	}
	if (d)
		closedir(d);
}

static const char *const mode_name[] = {"stop", "eio", "eio+"};
static const enum vctl_io_fault mode_fault[] = {VCTL_IO_FAULT_STOP, VCTL_IO_FAULT_EIO_ONCE,
						VCTL_IO_FAULT_EIO_PERSIST};

/* Judges the pool in w->pool after a run that succeeded (ok) or not:
 * 0 fine, else -1 with a message in why. */
static int judge(const struct op *op, struct worker *w, bool ok, const char *torn, char *why,
		 size_t n)
{
	char *fp;
	char msg[2048];
	uint64_t ops = vctl_io_ops();
	enum look l = look(w->pool, op->sc, torn, &fp, msg, sizeof(msg));
	if (vctl_io_ops() != ops)
		die("a read-only open and check wrote to the pool");
	if (l == LOOK_TORN) {
		/* only the torn copy is damaged: the next commit must rewrite
		 * it, and change nothing else */
		struct run r = run_cmd(w->pool, "check --repair", VCTL_IO_FAULT_NONE, 0, w->touch, 0,
				       w->err);
		char line[512];
		if (r.killed || r.sig || r.status) {
			snprintf(why, n, "%s; and check --repair fails (status %d): %s", msg, r.status,
				 last_line(w->err, line, sizeof(line)));
			return -1;
		}
		w->t->repaired++;
		l = look_gen(w->pool, op->sc, NULL, 1, &fp, msg, sizeof(msg));
	}
	if (l == LOOK_NO_POOL && (op->sc->flags & SC_INIT) && !ok) {
		/* an init that did not finish: a new one must */
		struct run r = run_cmd(w->pool, op->cmd, VCTL_IO_FAULT_NONE, 0, w->touch, 0, w->err);
		char line[512];
		if (r.killed || r.sig || r.status) {
			snprintf(why, n, "no pool, and a new init fails (status %d): %s", r.status,
				 last_line(w->err, line, sizeof(line)));
			return -1;
		}
		l = look(w->pool, op->sc, NULL, &fp, msg, sizeof(msg));
		if (l != LOOK_OK) {
			snprintf(why, n, "init redone: %s", msg);
			free(fp);
			return -1;
		}
		int same = !strcmp(fp, op->after);
		if (!same)
			snprintf(why, n, "init redone, but: %s", fp);
		free(fp);
		return same ? 0 : -1;
	}
	if (l != LOOK_OK) {
		snprintf(why, n, "%s", msg);
		return -1;
	}
	int good = !strcmp(fp, op->after) || (!ok && !strcmp(fp, op->before));
	if (!good)
		snprintf(why, n, "%s, but the volumes are %s (before: %s; after: %s)",
			 ok ? "succeeded" : "failed", fp, op->before, op->after);
	free(fp);
	if (good && (op->sc->flags & SC_INIT)) {
		/* a pool that exists refuses a second init */
		struct run r = run_cmd(w->pool, op->cmd, VCTL_IO_FAULT_NONE, 0, w->touch, 0, w->err);
		if (r.killed || r.sig || r.status != 3) {
			snprintf(why, n, "a second init was not refused (status %d)", r.status);
			return -1;
		}
	}
	return good ? 0 : -1;
}

static void report(struct worker *w, const struct op *op, int kind, const char *what,
		   const char *why)
{
	w->t->fails[kind]++;
	fprintf(w->out, "%s: %s (%s): %s\n", op->sc->name, op->cmd, what, why);
	fflush(w->out);
}

/* A digest of the touched log (FNV-1a, 64 bits, and crc32) and of ok. */
static void digest(struct worker *w, bool ok, uint64_t out[2])
{
	struct stat st;
	if (fstat(w->touch, &st) < 0)
		die("fstat: %s", strerror(errno));
	uint8_t *raw = xmalloc((size_t)st.st_size);
	if (st.st_size && pread(w->touch, raw, (size_t)st.st_size, 0) != st.st_size)
		die("touched log: short read");
	uint64_t h = 0xcbf29ce484222325ull;
	for (off_t i = 0; i < st.st_size; i++)
		h = (h ^ raw[i]) * 0x100000001b3ull;
	out[0] = h ^ ok;
	out[1] = ((uint64_t)crc32(0, raw, (uInt)st.st_size) << 32) | (uint64_t)st.st_size;
	free(raw);
}

static bool seen(struct worker *w, const uint64_t d[2])
{
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[2 * i] == d[0] && w->seen[2 * i + 1] == d[1])
			return true;
	return false;
}

static void remember(struct worker *w, const uint64_t d[2])
{
	if (w->nseen == w->capseen) {
		w->capseen = w->capseen ? 2 * w->capseen : 256;
		w->seen = realloc(w->seen, sizeof(uint64_t) * 2 * w->capseen);
		if (!w->seen)
			die("out of memory");
	}
	w->seen[2 * w->nseen] = d[0];
	w->seen[2 * w->nseen + 1] = d[1];
	w->nseen++;
}

static void sweep_point(const struct op *op, struct worker *w, int mode, uint64_t n)
{
	double t0 = now();
	restore(w, op->start, op->sc->flags & SC_INIT);
	double t1 = now();
	struct run r = run_cmd(w->pool, op->cmd, mode_fault[mode], n, w->touch, 0, w->err);
	w->t->t_copy += t1 - t0;
	w->t->t_run += now() - t1;
	char what[64], why[4096], line[512];
	snprintf(what, sizeof(what), "%s@%llu", mode_name[mode], (unsigned long long)n);
	w->t->points[mode]++;
	if (r.sig) {
		snprintf(why, sizeof(why), "the command died of signal %d: %s", r.sig,
			 last_line(w->err, line, sizeof(line)));
		report(w, op, mode, what, why);
		return;
	}
	if (mode == 0 && !r.killed) {
		snprintf(why, sizeof(why), "point %llu never came (status %d): a dry run of %llu points",
			 (unsigned long long)n, r.status, (unsigned long long)op->w);
		report(w, op, mode, what, why);
		return;
	}
	if (mode > 0 && r.killed) {
		snprintf(why, sizeof(why), "killed");
		report(w, op, mode, what, why);
		return;
	}
	/* a fault is an I/O error (4); anything else (usage 1, internal 5, a
	 * sanitizer's report) is a failure of its own */
	if (!r.killed && r.status != 0 && r.status != 4) {
		snprintf(why, sizeof(why), "exit status %d: %s", r.status,
			 last_line(w->err, line, sizeof(line)));
		report(w, op, mode, what, why);
		return;
	}
	bool ok = !r.killed && r.status == 0;
	double t2 = now();
	uint64_t d[2];
	digest(w, ok, d);
	if (!(op->sc->flags & SC_INIT) && seen(w, d)) {
		w->t->memo++;
		w->t->t_judge += now() - t2;
		return;
	}
	int bad = judge(op, w, ok, NULL, why, sizeof(why));
	if (!bad)
		remember(w, d);
	w->t->t_judge += now() - t2;
	if (bad < 0) {
		size_t k = strlen(why);
		if (!ok && k < sizeof(why) - 8)
			snprintf(why + k, sizeof(why) - k, " [%s]", last_line(w->err, line, sizeof(line)));
		report(w, op, mode, what, why);
	}
}

/* ---- power loss ---------------------------------------------------------- */

struct rec {
	uint32_t type;
	int file;
	uint64_t off, len;
	const uint8_t *data;
};

struct plog {
	uint8_t *raw;
	struct rec *r;
	size_t n;
	int nfiles;
	char **names;
	uint64_t *sizes;
	size_t *flush; /* record index of each flush */
	size_t nflush;
};

static void plog_load(const struct op *op, struct plog *L)
{
	memset(L, 0, sizeof(*L));
	FILE *f = fopen(op->log, "rb");
	if (!f)
		die("%s: %s", op->log, strerror(errno));
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	L->raw = xmalloc((size_t)size);
	if (size && fread(L->raw, 1, (size_t)size, f) != (size_t)size)
		die("%s: short read", op->log);
	fclose(f);
	/* the files the dry run wrote, by (dev, ino) */
	DIR *d = opendir(op->done);
	if (!d)
		die("opendir %s", op->done);
	uint64_t devs[64], inos[64];
	L->names = xmalloc(sizeof(char *) * 64);
	L->sizes = xmalloc(sizeof(uint64_t) * 64);
	struct dirent *e;
	while ((e = readdir(d)) && L->nfiles < 64) {
		char *p = xasprintf("%s/%s", op->done, e->d_name);
		struct stat st;
		if (e->d_name[0] != '.' && lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			devs[L->nfiles] = (uint64_t)st.st_dev;
			inos[L->nfiles] = (uint64_t)st.st_ino;
			L->sizes[L->nfiles] = (uint64_t)st.st_size;
			L->names[L->nfiles++] = strdup(e->d_name);
		}
		free(p);
	}
	closedir(d);
	size_t cap = 1024;
	L->r = xmalloc(sizeof(struct rec) * cap);
	L->flush = xmalloc(sizeof(size_t) * cap);
	for (size_t at = 0; at < (size_t)size;) {
		struct vctl_io_rec h;
		if ((size_t)size - at < sizeof(h))
			die("%s: truncated record", op->log);
		memcpy(&h, L->raw + at, sizeof(h));
		at += sizeof(h);
		if (L->n == cap) {
			cap *= 2;
			L->r = realloc(L->r, sizeof(struct rec) * cap);
			L->flush = realloc(L->flush, sizeof(size_t) * cap);
			if (!L->r || !L->flush)
				die("out of memory");
		}
		struct rec *r = &L->r[L->n];
		r->type = h.type;
		r->off = h.off;
		r->len = h.len;
		r->data = NULL;
		r->file = -1;
		for (int i = 0; i < L->nfiles; i++)
			if (devs[i] == h.dev && inos[i] == h.ino)
				r->file = i;
		if (r->file < 0)
			die("%s: a record for a file not in the pool", op->log);
		if (h.type == VCTL_IO_REC_WRITE) {
			if ((size_t)size - at < h.len)
				die("%s: truncated data", op->log);
			r->data = L->raw + at;
			at += h.len;
		} else if (h.type == VCTL_IO_REC_FLUSH) {
			L->flush[L->nflush++] = L->n;
		} else if (h.type != VCTL_IO_REC_ZERO) {
			die("%s: record type %u", op->log, h.type);
		}
		L->n++;
	}
}

static void plog_free(struct plog *L)
{
	for (int i = 0; i < L->nfiles; i++)
		free(L->names[i]);
	free(L->names);
	free(L->sizes);
	free(L->r);
	free(L->flush);
	free(L->raw);
}

/* Applies record r (len bytes of it: a torn write applies a prefix). */
static void apply(struct worker *w, const struct rec *r, uint32_t index, int *fds, uint64_t len)
{
	if (!len)
		return;
	int fd = fds[r->file];
	touch(w, fd, r->off, len, index);
	if (r->type == VCTL_IO_REC_WRITE) {
		if (pwrite(fd, r->data, (size_t)len, (off_t)r->off) != (ssize_t)len)
			die("replay write: %s", strerror(errno));
	} else if (r->type == VCTL_IO_REC_ZERO) {
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)r->off,
			      (off_t)len) < 0)
			die("replay zero: %s", strerror(errno));
	}
}

enum variant { V_NONE, V_ALL, V_SUBSET, V_TEAR };
static const char *const variant_name[] = {"none", "all", "subset", "torn"};
/* random subsets tried per flush point: 2, or 8 under make check-long */
static int subsets = 2;

/* One state at flush point i: the durable writes, then the variant's
 * choice of the others. */
static void power_state(const struct op *op, struct worker *w, const struct plog *L, size_t i,
			enum variant v, uint64_t rs, const size_t *pend, size_t npend,
			const bool *durable, size_t cut)
{
	double t0 = now();
	restore(w, op->start, op->sc->flags & SC_INIT);
	w->t->t_copy += now() - t0;
	int fds[64];
	for (int f = 0; f < L->nfiles; f++) {
		char *p = xasprintf("%s/%s", w->pool, L->names[f]);
		fds[f] = open(p, O_RDWR | O_CREAT, 0644);
		struct stat st;
		if (fds[f] < 0 || fstat(fds[f], &st) < 0)
			die("%s: %s", p, strerror(errno));
		/* created by the operation (init): its size is taken as durable */
		if ((uint64_t)st.st_size < L->sizes[f] && ftruncate(fds[f], (off_t)L->sizes[f]) < 0)
			die("%s: %s", p, strerror(errno));
		free(p);
	}
	for (size_t k = 0; k < cut; k++)
		if (durable[k])
			apply(w, &L->r[k], (uint32_t)k, fds, L->r[k].len);
	char what[128];
	size_t torn_at = 0;
	uint64_t torn_len = 0;
	switch (v) {
	case V_NONE:
		break;
	case V_ALL:
		for (size_t k = 0; k < npend; k++)
			apply(w, &L->r[pend[k]], (uint32_t)pend[k], fds, L->r[pend[k]].len);
		break;
	case V_SUBSET:
		for (size_t k = 0; k < npend; k++)
			if (rnd(&rs) >> 63)
				apply(w, &L->r[pend[k]], (uint32_t)pend[k], fds, L->r[pend[k]].len);
		break;
	case V_TEAR: {
		/* a write of more than one sector, torn after some of them */
		size_t cand[npend ? npend : 1], nc = 0;
		for (size_t k = 0; k < npend; k++)
			if (L->r[pend[k]].len > 512)
				cand[nc++] = k;
		size_t t = cand[rnd(&rs) % nc];
		for (size_t k = 0; k < t; k++)
			apply(w, &L->r[pend[k]], (uint32_t)pend[k], fds, L->r[pend[k]].len);
		const struct rec *r = &L->r[pend[t]];
		torn_len = (rnd(&rs) % ((r->len - 1) / 512 + 1)) * 512;
		if (torn_len == 0)
			torn_len = 512;
		apply(w, r, (uint32_t)pend[t], fds, torn_len);
		torn_at = pend[t];
		break;
	}
	}
	for (int f = 0; f < L->nfiles; f++)
		close(fds[f]);
	if (v == V_TEAR)
		snprintf(what, sizeof(what), "power loss after flush %zu of %zu, record %zu torn at %llu",
			 i, L->nflush, torn_at, (unsigned long long)torn_len);
	else
		snprintf(what, sizeof(what), "power loss after flush %zu of %zu, %zu pending, %s", i,
			 L->nflush, npend, variant_name[v]);
	w->t->states++;
	char why[4096];
	/* after the last flush the command's work is all durable: after only;
	 * a state made of the same records as one judged before is that one */
	bool ok = i == L->nflush;
	uint64_t d[2];
	digest(w, ok, d);
	if (!(op->sc->flags & SC_INIT) && seen(w, d)) {
		w->t->memo++;
		return;
	}
	if (judge(op, w, ok, v == V_TEAR ? L->names[L->r[torn_at].file] : NULL, why, sizeof(why)) < 0)
		report(w, op, 3, what, why);
	else
		remember(w, d);
}

static void power_point(const struct op *op, struct worker *w, const struct plog *L, size_t i)
{
	/* flushes 1..i are done; the crash comes before flush i+1 is */
	size_t cut = i < L->nflush ? L->flush[i] : L->n;
	size_t last[64];
	for (int f = 0; f < L->nfiles; f++)
		last[f] = 0;
	for (size_t k = 0; k < i; k++)
		last[L->r[L->flush[k]].file] = L->flush[k];
	bool *durable = xmalloc(cut + 1);
	size_t *pend = xmalloc(sizeof(size_t) * (cut + 1)), npend = 0;
	bool tearable = false;
	for (size_t k = 0; k < cut; k++) {
		const struct rec *r = &L->r[k];
		durable[k] = r->type != VCTL_IO_REC_FLUSH && k < last[r->file];
		if (r->type != VCTL_IO_REC_FLUSH && !durable[k]) {
			pend[npend++] = k;
			tearable |= r->len > 512;
		}
	}
	uint64_t rs = seed ^ (op->salt * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)i << 32) ^ 1;
	w->t->flushes++;
	power_state(op, w, L, i, V_NONE, rs, pend, npend, durable, cut);
	if (npend) {
		power_state(op, w, L, i, V_ALL, rs, pend, npend, durable, cut);
		for (int s = 0; s < subsets && npend > 1; s++) {
			rnd(&rs);
			power_state(op, w, L, i, V_SUBSET, rs + (uint64_t)s, pend, npend, durable, cut);
		}
		if (tearable)
			power_state(op, w, L, i, V_TEAR, rnd(&rs), pend, npend, durable, cut);
	}
	free(durable);
	free(pend);
}

/* ---- workers ------------------------------------------------------------- */

static void work(const struct op *op, struct worker *w)
{
	/* The three modes of one N one after the other: stop@N and eio+@N
	 * (and often eio@N) leave the same bytes, and within the same second
	 * the same MLD timestamps, so the later ones are judged already. */
	for (uint64_t n = 1 + (uint64_t)w->id; n <= op->w; n += (uint64_t)njobs) {
		sweep_point(op, w, 0, n);
		sweep_point(op, w, 2, n);
		sweep_point(op, w, 1, n);
	}
	if (op->log) {
		struct plog L;
		plog_load(op, &L);
		for (size_t i = (size_t)w->id; i <= L.nflush; i += (size_t)njobs)
			power_point(op, w, &L, i);
		plog_free(&L);
	}
}

static struct worker *workers;
static struct tally *tallies; /* shared: njobs of them */

/* Runs op on every worker; returns the sum of their tallies. */
static struct tally run_workers(const struct op *op)
{
	memset(tallies, 0, sizeof(*tallies) * (size_t)njobs);
	fflush(stdout);
	pid_t pids[64];
	for (int j = 0; j < njobs; j++) {
		pids[j] = fork();
		if (pids[j] < 0)
			die("fork: %s", strerror(errno));
		if (pids[j] == 0) {
			struct worker *w = &workers[j];
			w->out = fopen(w->msgs, "w");
			if (!w->out)
				_exit(2);
			w->t = &tallies[j];
			work(op, w);
			fclose(w->out);
			fflush(stdout);
			_exit(0);
		}
	}
	struct tally sum = {0};
	for (int j = 0; j < njobs; j++) {
		int ws;
		while (waitpid(pids[j], &ws, 0) < 0)
			if (errno != EINTR)
				die("waitpid: %s", strerror(errno));
		if (!WIFEXITED(ws) || WEXITSTATUS(ws))
			die("worker %d of %s: %s died (status %#x)", j, op->sc->name, op->cmd, ws);
		for (int m = 0; m < 3; m++)
			sum.points[m] += tallies[j].points[m];
		for (int m = 0; m < 4; m++)
			sum.fails[m] += tallies[j].fails[m];
		sum.states += tallies[j].states;
		sum.flushes += tallies[j].flushes;
		sum.repaired += tallies[j].repaired;
		sum.memo += tallies[j].memo;
		sum.t_copy += tallies[j].t_copy;
		sum.t_run += tallies[j].t_run;
		sum.t_judge += tallies[j].t_judge;
	}
	return sum;
}

/* The first failures the workers wrote, as TAP diagnostics. */
static void show_failures(int kind)
{
	int shown = 0;
	for (int j = 0; j < njobs && shown < 5; j++) {
		FILE *f = fopen(workers[j].msgs, "r");
		char line[8192];
		while (f && shown < 5 && fgets(line, sizeof(line), f)) {
			bool power = strstr(line, "(power loss") != NULL;
			bool match = kind == 3 ? power
					       : !power && strstr(line, mode_name[kind]) &&
							 (kind != 1 || !strstr(line, "(eio+@"));
			if (match) {
				printf("#   %s", line);
				shown++;
			}
		}
		if (f)
			fclose(f);
	}
}

/* ---- main ----------------------------------------------------------------- */

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	tap_failed += !ok;
	fflush(stdout);
}

static void make_data(void)
{
	char *dir = xasprintf("%s/data", tmp);
	mkdir(dir, 0755);
	uint64_t s = 0x5eed0f0ddull;
	size_t big = 4u << 20;
	uint8_t *b = xmalloc(big);
	for (size_t i = 0; i < big; i += 8) {
		uint64_t x = rnd(&s);
		memcpy(b + i, &x, 8);
	}
	static const struct {
		const char *name;
		size_t off, len;
	} files[] = {{"d1M", 0, 1u << 20},          {"d2M", 0, 2u << 20},
		     {"d3M", 0, 3u << 20},          {"d4M", 0, 4u << 20},
		     {"new", 3u << 20, 1u << 20}, {"small", 1u << 20, 300000}};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = xasprintf("%s/%s", dir, files[i].name);
		FILE *f = fopen(p, "wb");
		if (!f || fwrite(b + files[i].off, 1, files[i].len, f) != files[i].len || fclose(f))
			die("%s: %s", p, strerror(errno));
		free(p);
	}
	/* "new" must differ from what d3M put at the same place */
	char *p = xasprintf("%s/new", dir);
	FILE *f = fopen(p, "r+b");
	for (size_t i = 0; f && i < (1u << 20); i += 8) {
		uint64_t x = rnd(&s);
		fwrite(&x, 1, 8, f);
	}
	if (f)
		fclose(f);
	free(p);
	free(b);
	free(dir);
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	const char *env = getenv("VCTL_CRASH_JOBS");
	if (env && atoi(env) > 0)
		njobs = atoi(env);
	env = getenv("VCTL_LONG");
	if (env && *env)
		subsets = 8;
	env = getenv("VCTL_CRASH_SEED");
	seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	int c;
	while ((c = getopt(argc, argv, "o:j:s:")) != -1) {
		switch (c) {
		case 'o': only = optarg; break;
		case 'j': njobs = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [-o SUBSTRING] [-j JOBS] [-s SEED]\n", argv[0]);
			return 1;
		}
	}
	if (njobs < 1 || njobs > 64)
		njobs = 2;
	if (!seed)
		seed = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *base = getenv("TMPDIR");
	char *t = xasprintf("%s/vctl-sweep.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(t))
		die("mkdtemp %s: %s", t, strerror(errno));
	tmp = t;
	printf("# crash sweep: seed %llu (VCTL_CRASH_SEED to repeat), %d workers, in %s\n",
	       (unsigned long long)seed, njobs, tmp);
	make_data();
	shared_ops = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	tallies = mmap(NULL, sizeof(struct tally) * (size_t)njobs, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared_ops == MAP_FAILED || tallies == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	workers = xmalloc(sizeof(*workers) * (size_t)njobs);
	memset(workers, 0, sizeof(*workers) * (size_t)njobs);
	for (int j = 0; j < njobs; j++) {
		workers[j].id = j;
		workers[j].pool = xasprintf("%s/w%d-pool", tmp, j);
		workers[j].err = xasprintf("%s/w%d-stderr", tmp, j);
		workers[j].msgs = xasprintf("%s/w%d-failures", tmp, j);
		workers[j].touched = xasprintf("%s/w%d-touched", tmp, j);
		workers[j].touch = open(workers[j].touched, O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0644);
		if (workers[j].touch < 0)
			die("%s: %s", workers[j].touched, strerror(errno));
	}
	char *errf = xasprintf("%s/stderr", tmp);
	double t0 = now();
	uint64_t total[3] = {0}, states = 0, flushes = 0, fails = 0, repaired = 0;
	for (size_t s = 0; s < NSCEN; s++) {
		const struct scenario *sc = &scenarios[s];
		if (only && !strstr(sc->name, only))
			continue;
		double ts = now();
		const char *missing = NULL;
		for (const char *const *b = sc->base; *b && !missing; b++)
			if (!has_command(*b))
				missing = *b;
		for (const char *const *o = sc->ops; *o && !missing; o++)
			if (!has_command(*o))
				missing = *o;
		if (missing) {
			tap(true, "%s # SKIP this vctl has no command for '%s'", sc->name, missing);
			continue;
		}
		/* the start pool */
		char *st = xasprintf("%s/s%zu-0", tmp, s);
		mkdir(st, 0755);
		bool bad = false;
		char line[512];
		for (const char *const *b = sc->base; *b && !bad; b++) {
			if (!strncmp(*b, "mkimg ", 6)) {
				mkimg(st, *b);
				continue;
			}
			struct run r = run_cmd(st, *b, VCTL_IO_FAULT_NONE, 0, -1, 0, errf);
			if (r.killed || r.sig || r.status) {
				tap(false, "%s: building the start pool: %s: status %d: %s", sc->name, *b,
				    r.status, last_line(errf, line, sizeof(line)));
				bad = true;
			}
		}
		char *before = NULL, why[2048];
		if (!bad && sc->flags & SC_INIT) {
			before = strdup(NO_POOL);
		} else if (!bad && look(st, sc, NULL, &before, why, sizeof(why)) != LOOK_OK) {
			tap(false, "%s: the start pool: %s", sc->name, why);
			bad = true;
		}
		for (int k = 0; !bad && sc->ops[k]; k++) {
			const char *cmd = sc->ops[k];
			bool same = !strncmp(cmd, "= ", 2);
			char *next = xasprintf("%s/s%zu-%d", tmp, s, k + 1);
			char *log = xasprintf("%s/s%zu-%d.log", tmp, s, k + 1);
			copy_dir(st, next);
			int lfd = -1;
			if (sc->flags & SC_POWER) {
				lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
				if (lfd < 0)
					die("%s: %s", log, strerror(errno));
			}
			*shared_ops = 0;
			struct run r = run_cmd(next, cmd, VCTL_IO_FAULT_NONE, 0, lfd, VCTL_IO_LOG_DATA, errf);
			if (lfd >= 0)
				close(lfd);
			char *after = NULL;
			if (r.killed || r.sig || r.status) {
				tap(false, "%s: %s: the dry run fails: status %d: %s", sc->name, cmd, r.status,
				    last_line(errf, line, sizeof(line)));
				bad = true;
			} else if (look(next, sc, NULL, &after, why, sizeof(why)) != LOOK_OK) {
				tap(false, "%s: %s: after the dry run: %s", sc->name, cmd, why);
				bad = true;
			} else if (same != !strcmp(before, after) && !sc->torn) {
				tap(false, "%s: %s: the volumes %s (before: %s; after: %s)", sc->name, cmd,
				    same ? "changed" : "did not change", before, after);
				bad = true;
			}
			if (!bad) {
				struct op op = {.sc = sc, .cmd = cmd, .start = st, .before = before,
						.after = after, .w = *shared_ops,
						.log = lfd >= 0 ? log : NULL, .done = next,
						.salt = s * 64 + (uint64_t)k};
				double t1 = now();
				struct tally sum = run_workers(&op);
				for (int m = 0; m < 3; m++) {
					bool ok = sum.fails[m] == 0 && sum.points[m] == op.w && op.w > 0;
					tap(ok, "%s: %s [%s]: %llu of %llu points%s", sc->name, cmd,
					    mode_name[m], (unsigned long long)(sum.points[m] - sum.fails[m]),
					    (unsigned long long)op.w, op.w ? "" : " (no writes?)");
					if (!ok)
						show_failures(m);
					total[m] += sum.points[m];
				}
				if (op.log) {
					tap(sum.fails[3] == 0,
					    "%s: %s [power loss]: %llu flush points, %llu states (%llu with a torn "
					    "MLD or label copy that one commit rewrote)",
					    sc->name, cmd, (unsigned long long)sum.flushes,
					    (unsigned long long)sum.states, (unsigned long long)sum.repaired);
					if (sum.fails[3])
						show_failures(3);
				}
				states += sum.states;
				repaired += sum.repaired;
				flushes += sum.flushes;
				fails += sum.fails[0] + sum.fails[1] + sum.fails[2] + sum.fails[3];
				printf("#   %.1f s (workers: copy %.1f s, run %.1f s, open+check+compare %.1f s; "
				       "%llu points or states the same as one judged before)\n",
				       now() - t1, sum.t_copy, sum.t_run, sum.t_judge,
				       (unsigned long long)sum.memo);
			}
			free(log);
			free(before);
			before = after;
			free(st);
			st = next;
		}
		free(before);
		rm_rf(st);
		free(st);
		/* the intermediate pools */
		for (int k = 0; sc->ops[k]; k++) {
			char *p = xasprintf("%s/s%zu-%d", tmp, s, k);
			rm_rf(p);
			free(p);
			p = xasprintf("%s/s%zu-%d.log", tmp, s, k + 1);
			unlink(p);
			free(p);
		}
		printf("# %s: %.1f s\n", sc->name, now() - ts);
	}
	printf("# total: %llu fault points (stop %llu, eio %llu, eio+ %llu), %llu power-loss states at %llu "
	       "flush points (%llu torn copies rewritten by one commit), %llu failures, %.0f s\n",
	       (unsigned long long)(total[0] + total[1] + total[2]), (unsigned long long)total[0],
	       (unsigned long long)total[1], (unsigned long long)total[2], (unsigned long long)states,
	       (unsigned long long)flushes, (unsigned long long)repaired, (unsigned long long)fails,
	       now() - t0);
	rm_rf(tmp);
	free(errf);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
