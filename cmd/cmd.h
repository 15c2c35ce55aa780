/* The command frame. Adding a command (git's builtin.h checklist):
 *   1. cmd/NAME.c with `int cmd_NAME(struct cmd_ctx *c)` and its option
 *      table (arg pointers NULL: options are returned by value, so commands
 *      keep no static state and can run concurrently inside `vctl serve`);
 *   2. a line in the table in cmd/vctl.c (flags say how to open the pool);
 *   3. the objects in GNUmakefile;
 *   4. tests/NAME.bats (happy path, --json, bad input, refusals);
 *   5. man/vctl-NAME.8 whose SYNOPSIS matches the table's synopsis
 *      (tests/help.bats checks it) and completion (automatic). */
#ifndef VCTL_CMD_CMD_H
#define VCTL_CMD_CMD_H

#include <popt.h>
#include <stdbool.h>
#include <stdio.h>

#include "fmt/err.h"
#include "lib/pool.h"
#include "output.h"

/* Exit status (CLI.md; vctl(8)). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_NOTFOUND = 2,
	EXIT_REFUSED = 3,
	EXIT_IO = 4,
	EXIT_INTERNAL = 5,
};

/* Command table flags. */
#define CMD_POOL_RO 0x1u       /* open the pool, shared lock */
#define CMD_POOL_RW 0x2u       /* open the pool for writing, exclusive lock */
#define CMD_POOL_FORENSIC 0x4u /* open even without a valid MLD */
#define CMD_LOCAL 0x8u         /* never sent to a serving process (init, serve) */
#define CMD_STREAM 0x10u       /* served: lock per piece, not for the whole run */

struct cmd_ctx;
typedef int (*cmd_fn)(struct cmd_ctx *c);

struct cmd {
	const char *name;     /* "status", "disk list" */
	cmd_fn fn;
	unsigned flags;
	const char *synopsis; /* usage lines after "vctl ", '\n' between lines */
	const char *summary;
	const struct poptOption *options;
};

struct cmd_ctx {
	const struct cmd *cmd;
	const char *pool_dir;
	bool json, quiet, verbose;
	FILE *in, *outf, *errf;
	int cwd; /* file names are relative to it: the client's, when served */
	pid_t client; /* served: the pid of the vctl that sent the command */
	struct out out;
	struct vctl_pool *pool;
	unsigned open_flags; /* extra VCTL_OPEN_* a command asks for */
	bool served;         /* running inside `vctl serve`, on its pool */
	bool locked;         /* holds the pool lock for reading (served, read-only) */
	/* argv[0] is the first word of the command */
	int argc;
	const char **argv;
	/* positional arguments left after options (owned) */
	int nargs;
	char **args;
};

/* Per-option callback: val is the option's val, arg its argument (or NULL).
 * Returns 0 or a negative code with err set. */
typedef int (*cmd_opt_fn)(struct cmd_ctx *c, int val, const char *arg, void *state,
			  struct vctl_err *err);

/* Parses the command's options (its table plus --json -q -v --help), keeps
 * positional arguments in c->args, checks their count (max -1: any), and
 * opens the pool as the table flags say. Returns 0 to go on, -1 after
 * --help (exit 0), or an exit status (the error already printed). */
int cmd_start(struct cmd_ctx *c, cmd_opt_fn fn, void *state, int min_args, int max_args);

#define CMD_START(c, fn, state, min, max)                                                \
	do {                                                                             \
		int r_ = cmd_start((c), (fn), (state), (min), (max));                    \
		if (r_)                                                                  \
			return r_ < 0 ? EXIT_OK : r_;                                    \
	} while (0)

/* Prints "vctl COMMAND: message" and maps the code to an exit status. */
int cmd_fail(struct cmd_ctx *c, int code, const struct vctl_err *err);
int cmd_failf(struct cmd_ctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cmd_exit_code(int code);

/* Option value helpers that produce usage errors naming the option. */
int cmd_opt_size(const char *opt, const char *arg, uint64_t *out, struct vctl_err *err);
int cmd_opt_uint(const char *opt, const char *arg, uint64_t max, uint64_t *out,
		 struct vctl_err *err);

void cmd_print_help(const struct cmd *cmd, FILE *f);
void cmd_print_options(const struct cmd *cmd, FILE *f);

/* Runs one command: words[0] is its first word. `pool` is the served pool
 * (NULL: the command opens it from pool_dir). Returns the exit status. */
#define CMD_GLOBAL_JSON 0x1u
#define CMD_GLOBAL_QUIET 0x2u
#define CMD_GLOBAL_VERBOSE 0x4u
struct cmd_io {
	FILE *in, *out, *err;
	int cwd; /* AT_FDCWD, or the directory of the client of `vctl serve` */
	pid_t client; /* served: the pid of the vctl that sent it; else 0 */
};
int cmd_run(int nwords, const char **words, unsigned global, const char *pool_dir,
	    struct vctl_pool *pool, const struct cmd_io *io);

/* The table (cmd/vctl.c). */
extern const struct cmd vctl_commands[];
extern const unsigned vctl_ncommands;

#define DECLARE_CMD(n)                                                                   \
	int cmd_##n(struct cmd_ctx *c);                                                  \
	extern const struct poptOption n##_options[]

DECLARE_CMD(init);
DECLARE_CMD(status);
DECLARE_CMD(disk_list);
DECLARE_CMD(disk_add);
DECLARE_CMD(disk_fail);
DECLARE_CMD(disk_remove);
DECLARE_CMD(level);
DECLARE_CMD(disk_replace);
DECLARE_CMD(dump_label);
DECLARE_CMD(dump_mld);
DECLARE_CMD(check);
DECLARE_CMD(create);
DECLARE_CMD(list);
DECLARE_CMD(show);
DECLARE_CMD(resize);
DECLARE_CMD(rename);
DECLARE_CMD(snapshot);
DECLARE_CMD(dump_tree);
DECLARE_CMD(snapclone);
DECLARE_CMD(jobs);
/* cmd/jobs.c: runs job ID to its end here, with a progress line on a
 * terminal; 0 or an exit status (the error printed). */
int cmd_job_run(struct cmd_ctx *c, uint64_t id, uint64_t threshold, bool *done);
DECLARE_CMD(restripe);
DECLARE_CMD(delete);
DECLARE_CMD(write);
DECLARE_CMD(read);
DECLARE_CMD(dump_volume);
DECLARE_CMD(dump_map);
DECLARE_CMD(serve);
DECLARE_CMD(host_add);
DECLARE_CMD(host_list);
DECLARE_CMD(host_remove);
DECLARE_CMD(domain_create);
DECLARE_CMD(domain_set);
DECLARE_CMD(domain_list);
DECLARE_CMD(domain_remove);
DECLARE_CMD(path_add);
DECLARE_CMD(path_list);
DECLARE_CMD(path_remove);
DECLARE_CMD(stats);
DECLARE_CMD(array_set);
DECLARE_CMD(array_list);
DECLARE_CMD(monitor);
DECLARE_CMD(migrate);
/* cmd/domain.c: --access rw|ro */
int cmd_opt_access(const char *arg, bool *ro, struct vctl_err *err);

#endif
