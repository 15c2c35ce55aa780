/* vctl serve: the pool's volumes over NBD on a UNIX socket, and every
 * other vctl command on this pool run here through the control socket. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/jobs.h"
#include "lib/ctl.h"
#include "lib/gate.h"
#include "lib/nbd_server.h"
#include "lib/serve.h"
#include "lib/volume.h"

enum { O_SOCKET = 1, O_MODE, O_FORK, O_RO, O_STOP };

const struct poptOption serve_options[] = {
	{"socket", 0, POPT_ARG_STRING, NULL, O_SOCKET,
	 "the NBD socket (default: vctl.sock in the pool directory)", "PATH"},
	{"socket-mode", 0, POPT_ARG_STRING, NULL, O_MODE,
	 "permissions of the NBD socket, octal (default 0600: the owner only)", "MODE"},
	{"fork", 0, POPT_ARG_NONE, NULL, O_FORK,
	 "run in the background once the socket accepts connections", NULL},
	{"read-only", 0, POPT_ARG_NONE, NULL, O_RO, "export every volume read-only", NULL},
	{"stop", 0, POPT_ARG_NONE, NULL, O_STOP,
	 "stop the server of this pool, after it drains its clients", NULL},
	POPT_TABLEEND};

struct serve_opts {
	char socket[4096];
	mode_t mode;
	bool fork, read_only, stop;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct serve_opts *s = st;
	switch (val) {
	case O_SOCKET:
		snprintf(s->socket, sizeof(s->socket), "%s", arg);
		return 0;
	case O_MODE: {
		char *end;
		errno = 0;
		unsigned long m = strtoul(arg, &end, 8);
		if (errno || *end || !*arg || m > 0777)
			return vctl_errf(err, -EINVAL, "--socket-mode %s: give an octal mode such as 0660",
					 arg);
		s->mode = (mode_t)m;
		return 0;
	}
	case O_FORK:
		s->fork = true;
		return 0;
	case O_RO:
		s->read_only = true;
		return 0;
	case O_STOP:
		s->stop = true;
		return 0;
	}
	return 0;
}

/* One server per process: the control handler and the signal wait share
 * these. */
static struct {
	struct vctl_pool *pool;
	const char *dir;
	FILE *log;
} srv;

static void log_msg(void *opaque, enum vctl_nbd_log_level level, const char *msg)
{
	(void)opaque;
	(void)level;
	if (!srv.log)
		return;
	time_t t = time(NULL);
	char ts[32];
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", localtime(&t));
	fprintf(srv.log, "%s vctl serve: %s\n", ts, msg);
	fflush(srv.log);
}

static void job_log(void *ctx, const char *msg)
{
	(void)ctx;
	log_msg(NULL, VCTL_NBD_LOG_INFO, msg);
}

/* A command sent by another vctl: run on its descriptors, on our pool. */
static int run_forwarded(void *opaque, const struct vctl_ctl_request *req)
{
	(void)opaque;
	if (req->flags & VCTL_CTL_STOP) {
		log_msg(NULL, VCTL_NBD_LOG_INFO, "stop requested");
		kill(getpid(), SIGTERM);
		return EXIT_OK;
	}
	if (req->argc < 1)
		return EXIT_USAGE;
	FILE *in = fdopen(dup(req->fd[0]), "r"), *out = fdopen(dup(req->fd[1]), "w"),
	     *err = fdopen(dup(req->fd[2]), "w");
	int status = EXIT_INTERNAL;
	if (in && out && err) {
		unsigned g = (req->flags & VCTL_CTL_JSON ? CMD_GLOBAL_JSON : 0) |
			     (req->flags & VCTL_CTL_QUIET ? CMD_GLOBAL_QUIET : 0) |
			     (req->flags & VCTL_CTL_VERBOSE ? CMD_GLOBAL_VERBOSE : 0);
		const struct cmd_io io = {in, out, err, req->fd[3], req->pid};
		status = cmd_run(req->argc, (const char **)req->argv, g, srv.dir, srv.pool, &io);
		/* as at the end of a local run: a write error is an error */
		if ((fflush(out) != 0 || ferror(out)) && status == EXIT_OK) {
			fprintf(err, "vctl: write error on standard output: %s\n", strerror(errno));
			status = EXIT_IO;
		}
	}
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	if (err)
		fclose(err);
	return status;
}

/* serve --stop: ask, then wait for the pool lock to come free (the server
 * drains its clients and commits first), at most a minute. */
static int stop(struct cmd_ctx *c)
{
	struct vctl_err err = {0};
	int status;
	int r = vctl_ctl_call(c->pool_dir, VCTL_CTL_STOP, 0, NULL, &status, &err);
	if (r == -ENOENT)
		return cmd_failf(c, -ENOENT, "no server is running for the pool in %s", c->pool_dir);
	if (r < 0)
		return cmd_fail(c, r, &err);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", c->pool_dir, VCTL_LOCK_NAME);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	for (int i = 0; fd >= 0 && i < 600; i++) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			close(fd);
			if (!c->quiet) {
				out_begin(&c->out);
				out_str(&c->out, "stopped", "stopped the server of %s\n", c->pool_dir);
				out_end(&c->out);
			}
			return EXIT_OK;
		}
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (fd >= 0)
		close(fd);
	return cmd_failf(c, -EBUSY, "the server did not stop within a minute");
}

/* Once both sockets accept: a line on stderr in text (a log line, like the
 * rest), a document on stdout with --json, for scripts to read the pid. */
static void announce(struct cmd_ctx *c, const struct serve_opts *o, pid_t pid, uint32_t nvol)
{
	if (c->json) {
		struct out *d = &c->out;
		out_begin(d);
		out_str(d, "socket", NULL, o->socket);
		out_u64(d, "pid", NULL, (uint64_t)pid);
		out_u64(d, "volumes", NULL, nvol);
		out_bool(d, "read_only", NULL, o->read_only);
		out_end(d);
		fflush(c->outf);
	} else if (!c->quiet) {
		fprintf(c->errf, "vctl serve: serving %u volume%s on %s (pid %ld)\n", nvol,
			nvol == 1 ? "" : "s", o->socket, (long)pid);
	}
}

/* Marks the lock file with our pid (after a fork the pool is ours). */
static void note_pid(const char *dir)
{
	char path[4096], buf[32];
	snprintf(path, sizeof(path), "%s/%s", dir, VCTL_LOCK_NAME);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) != n) {
		/* a courtesy for "pool is busy (pid N)" only */
	}
	close(fd);
}

int cmd_serve(struct cmd_ctx *c)
{
	struct serve_opts o = {.mode = 0600};
	/* --stop needs no pool of its own: answer it before cmd_start opens */
	for (int i = 1; i < c->argc; i++)
		if (!strcmp(c->argv[i], "--stop"))
			o.stop = true;
	if (o.stop) {
		unsigned flags = c->cmd->flags;
		struct cmd stopcmd = *c->cmd;
		stopcmd.flags = flags & ~(CMD_POOL_RW | CMD_POOL_RO);
		c->cmd = &stopcmd;
		int r = cmd_start(c, on_opt, &o, 0, 0);
		if (r)
			return r < 0 ? EXIT_OK : r;
		if (o.socket[0] || o.fork || o.read_only)
			return cmd_failf(c, -EINVAL, "--stop takes no other option");
		return stop(c);
	}
	CMD_START(c, on_opt, &o, 0, 0);
	if (!o.socket[0])
		snprintf(o.socket, sizeof(o.socket), "%s/vctl.sock", c->pool_dir);

	int ready[2] = {-1, -1};
	if (o.fork) {
		/* No thread exists yet: fork now, and let the parent return only
		 * once the child's sockets accept (qemu-nbd --fork does the same). */
		fflush(NULL);
		if (pipe(ready) < 0)
			return cmd_failf(c, -errno, "pipe: %s", strerror(errno));
		pid_t pid = fork();
		if (pid < 0)
			return cmd_failf(c, -errno, "fork: %s", strerror(errno));
		if (pid > 0) {
			close(ready[1]);
			char st = 1;
			ssize_t n = read(ready[0], &st, 1);
			close(ready[0]);
			if (n == 1 && st == EXIT_OK)
				announce(c, &o, pid, c->pool->mld.nvol);
			/* the child owns the pool now: our exit must not close it */
			vctl_pool_forget(c->pool);
			c->pool = NULL;
			return n == 1 ? st : EXIT_INTERNAL;
		}
		close(ready[0]);
		setsid();
		note_pid(c->pool_dir);
	}

	srv.pool = c->pool;
	srv.dir = c->pool_dir;
	srv.log = o.fork ? NULL : c->errf;
	if (o.fork) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/vctl.log", c->pool_dir);
		srv.log = fopen(path, "a");
	}
	/* Signals are waited for, not handled: every thread inherits the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct vctl_err err = {0};
	struct vctl_nbd_server_opts no = {.socket_path = o.socket, .socket_mode = o.mode,
					  .read_only = o.read_only, .log = log_msg,
					  .log_level = c->verbose ? VCTL_NBD_LOG_INFO
								  : VCTL_NBD_LOG_ERROR};
	struct vctl_nbd_server *nbd = NULL;
	struct vctl_ctl_server *ctl = NULL;
	struct vctl_job_runner *jobs = NULL;
	/* hosts, domains and paths at work before the first client */
	int r = vctl_gate_create(c->pool, &err);
	if (r == 0)
		r = vctl_nbd_server_create(&vctl_serve_ops, c->pool, &no, &nbd, &err);
	if (r == 0 && (r = vctl_nbd_server_start(nbd, &err)) < 0) {
		vctl_nbd_server_shutdown(nbd);
		nbd = NULL;
	}
	if (r == 0 && (r = vctl_ctl_server_create(c->pool_dir, run_forwarded, NULL, &ctl, &err)) < 0) {
		vctl_nbd_server_shutdown(nbd);
		nbd = NULL;
	}
	/* snapclone copies (and jobs a killed server left) run here */
	if (r == 0 && !o.read_only && (r = vctl_job_runner_start(c->pool, job_log, NULL, &jobs, &err)) < 0) {
		vctl_ctl_server_shutdown(ctl);
		vctl_nbd_server_shutdown(nbd);
		ctl = NULL;
		nbd = NULL;
	}
	if (r < 0) {
		vctl_gate_free(c->pool);
		int st = cmd_fail(c, r, &err);
		if (o.fork) {
			char b = (char)st;
			if (write(ready[1], &b, 1) != 1) {
				/* the parent sees EOF and reports an internal error */
			}
			_exit(st);
		}
		return st;
	}
	if (!o.fork)
		announce(c, &o, getpid(), c->pool->mld.nvol);
	if (o.fork) {
		char ok = 0;
		if (write(ready[1], &ok, 1) != 1) {
			/* the parent is gone: serve anyway */
		}
		close(ready[1]);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			close(null);
		}
	}
	log_msg(NULL, VCTL_NBD_LOG_INFO, "started");

	int sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	log_msg(NULL, VCTL_NBD_LOG_INFO, sig == SIGINT ? "interrupted: stopping" : "stopping");
	/* Commands first (they may write), then clients drain; their writes
	 * are made durable, then the pool closes cleanly. */
	vctl_gate_stop(c->pool->gate); /* throttled requests and stats --watch end */
	vctl_job_runner_stop(jobs);
	vctl_ctl_server_shutdown(ctl);
	vctl_nbd_server_shutdown(nbd);
	vctl_gate_free(c->pool);
	r = vctl_pool_sync(c->pool, &err);
	if (r < 0)
		log_msg(NULL, VCTL_NBD_LOG_ERROR, err.msg);
	log_msg(NULL, VCTL_NBD_LOG_INFO, "stopped");
	if (srv.log && srv.log != c->errf)
		fclose(srv.log);
	if (o.fork) {
		vctl_pool_close(c->pool);
		c->pool = NULL;
		_exit(r < 0 ? EXIT_IO : EXIT_OK);
	}
	return r < 0 ? cmd_fail(c, r, &err) : EXIT_OK;
}
