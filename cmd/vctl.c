/* vctl: the command table and dispatch. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lib/ctl.h"

#define VCTL_VERSION "0.1.0"

#define INIT_SYN                                                                         \
	"init --disks N --disk-size SIZE [--enclosures E] [--pseg-size SIZE] [--quorum N] " \
	"[--force] [--no-act]\n"                                                         \
	"init [OPTIONS] FILE[:enclosure=NAME]..."

#define SERVE_SYN                                                                        \
	"serve [--socket PATH] [--socket-mode MODE] [--fork] [--read-only]\n"                 \
	"serve --stop"

#define DOMAIN_SYN "[--max-iops N] [--max-mbps N] [--access rw|ro]"

const struct cmd vctl_commands[] = {
	{"init", cmd_init, CMD_LOCAL, INIT_SYN, "Create a pool from new image files or existing disks.",
	 init_options},
	{"status", cmd_status, CMD_POOL_RO, "status",
	 "Show the pool's disks, capacity, MLD copies and health.", status_options},
	{"disk list", cmd_disk_list, CMD_POOL_RO, "disk list", "List the pool's disks.",
	 disk_list_options},
	{"disk add", cmd_disk_add, CMD_POOL_RW, "disk add FILE [--enclosure NAME] [--force]",
	 "Add a disk (an image file or a block device) to the pool.", disk_add_options},
	{"disk fail", cmd_disk_fail, CMD_POOL_RW, "disk fail INDEX",
	 "Mark a disk failed: its redundant RStores run degraded.", disk_fail_options},
	{"disk replace", cmd_disk_replace, CMD_POOL_RW,
	 "disk replace INDEX [FILE [--enclosure NAME] [--force]] [--wait]",
	 "Rebuild what a failed disk held on other disks (or on FILE, which joins), keeping every intent.",
	 disk_replace_options},
	{"disk remove", cmd_disk_remove, CMD_POOL_RW, "disk remove INDEX [--wait]",
	 "Move everything off a disk, keeping every intent, and drop it from the pool.",
	 disk_remove_options},
	{"dump label", cmd_dump_label, 0, "dump label [DISK]",
	 "Print every field of both label copies of a disk (or of all disks).",
	 dump_label_options},
	{"dump mld", cmd_dump_mld, CMD_POOL_RO | CMD_POOL_FORENSIC,
	 "dump mld [--disk INDEX --slot 0|1]",
	 "Print every field of the MLD (the current one, or one copy, even damaged).",
	 dump_mld_options},
	{"create", cmd_create, CMD_POOL_RW,
	 "create NAME --size SIZE [--raid 0|1|5|10] [--width N] [--stripe-size SIZE] [--thick] "
	 "[--separate enclosure] [--mbps N] [--iops N] [--fit best|first]",
	 "Create a volume.", create_options},
	{"list", cmd_list, CMD_POOL_RO, "list", "List the volumes.", list_options},
	{"show", cmd_show, CMD_POOL_RO, "show NAME", "Show one volume, its intent and its map.",
	 show_options},
	{"resize", cmd_resize, CMD_POOL_RW, "resize NAME --size [+|-]SIZE [--force]",
	 "Grow or (with --force) shrink a volume.", resize_options},
	{"rename", cmd_rename, CMD_POOL_RW, "rename OLD NEW", "Rename a volume.", rename_options},
	{"snapshot", cmd_snapshot, CMD_POOL_RW, "snapshot NAME SNAP [--reserve]",
	 "Take a snapshot: a writable volume sharing all of NAME's data, nothing copied.",
	 snapshot_options},
	{"snapclone", cmd_snapclone, CMD_POOL_RW, "snapclone NAME CLONE [--wait] [--threshold M]",
	 "Take a snapclone: a snapshot that a background copy then makes independent.",
	 snapclone_options},
	{"restripe", cmd_restripe, CMD_POOL_RW,
	 "restripe NAME [--width N] [--stripe-size SIZE] [--rate SIZE] [--plan] [--wait]",
	 "Give a volume a new stripe width or stripe size while it stays in use.",
	 restripe_options},
	{"level", cmd_level, CMD_POOL_RW, "level [--rate SIZE] [--wait]",
	 "Move PSEGs until every disk holds its capacity-proportional share.", level_options},
	{"jobs", cmd_jobs, CMD_POOL_RW, "jobs [ID] [--wait]\njobs --cancel ID [--wait]",
	 "List the background jobs, run or wait for them, or cancel one.", jobs_options},
	{"delete", cmd_delete, CMD_POOL_RW, "delete NAME [--force]",
	 "Delete a volume and free its space.", delete_options},
	{"write", cmd_write, CMD_POOL_RW, "write NAME [--offset OFF] [FILE|-]",
	 "Write a file (or standard input) into a volume.", write_options},
	{"read", cmd_read, CMD_POOL_RO | CMD_STREAM, "read NAME [--offset OFF] [--length LEN] [-o FILE|-]",
	 "Read a volume's bytes to a file (or standard output).", read_options},
	{"dump volume", cmd_dump_volume, CMD_POOL_RO, "dump volume NAME",
	 "Print every field of a volume's MLD record and its map blocks.", dump_volume_options},
	{"dump map", cmd_dump_map, CMD_POOL_RO, "dump map NAME",
	 "Print every L2MAP, LMAP and RSD entry of a volume, with each member's disk and PSEG.",
	 dump_map_options},
	{"dump tree", cmd_dump_tree, CMD_POOL_RO, "dump tree NAME",
	 "Print the sharing chain of a volume and every member's share bits per run of RSEGs.",
	 dump_tree_options},
	{"host add", cmd_host_add, CMD_POOL_RW, "host add NAME --uid UID [--gid GID]",
	 "Add a host: the clients of one uid (and gid) of vctl serve.", host_add_options},
	{"host list", cmd_host_list, CMD_POOL_RO, "host list", "List the hosts.", host_list_options},
	{"host remove", cmd_host_remove, CMD_POOL_RW, "host remove NAME",
	 "Remove a host that has no path.", host_remove_options},
	{"domain create", cmd_domain_create, CMD_POOL_RW, "domain create NAME " DOMAIN_SYN,
	 "Create a storage domain: limits and access shared by its paths.",
	 domain_create_options},
	{"domain set", cmd_domain_set, CMD_POOL_RW, "domain set NAME " DOMAIN_SYN,
	 "Change a domain's limits or access, at once for every path in it.", domain_set_options},
	{"domain list", cmd_domain_list, CMD_POOL_RO, "domain list", "List the storage domains.",
	 domain_list_options},
	{"domain remove", cmd_domain_remove, CMD_POOL_RW, "domain remove NAME",
	 "Remove a domain that no path uses.", domain_remove_options},
	{"path add", cmd_path_add, CMD_POOL_RW,
	 "path add HOST VOLUME [--domain NAME] [--access rw|ro]",
	 "Grant a volume to a host: a virtual path; prints its id.", path_add_options},
	{"path list", cmd_path_list, CMD_POOL_RO, "path list", "List the virtual paths.",
	 path_list_options},
	{"path remove", cmd_path_remove, CMD_POOL_RW, "path remove ID",
	 "Remove a path: its host loses the volume at its next request.", path_remove_options},
	{"array set", cmd_array_set, CMD_POOL_RW, "array set NAME [--mbps N] [--iops N]",
	 "Rate an array (an enclosure): the MB/s and IOPS it can carry, for placement.",
	 array_set_options},
	{"array list", cmd_array_list, CMD_POOL_RO | CMD_STREAM, "array list",
	 "List the arrays: ratings, what volumes' requirements commit, measured load.",
	 array_list_options},
	{"migrate", cmd_migrate, CMD_POOL_RW, "migrate NAME --from ARRAY [--rate SIZE] [--wait]",
	 "Move a placed volume off an array, onto a new placement meeting its requirement.",
	 migrate_options},
	{"monitor", cmd_monitor, CMD_POOL_RO | CMD_STREAM,
	 "monitor [--once] [--interval SECONDS] [--migrate] [--threshold PERCENT] [--rate SIZE]",
	 "Watch each array's load; name (and --migrate) a new placement for a hot one.",
	 monitor_options},
	{"stats", cmd_stats, CMD_POOL_RO | CMD_STREAM,
	 "stats [--path ID | --volume NAME | --domain NAME] [--watch] [--count N]",
	 "Show the I/O counters and latencies of the paths of a running server.", stats_options},
	{"serve", cmd_serve, CMD_LOCAL | CMD_POOL_RW, SERVE_SYN,
	 "Serve the pool's volumes over NBD on a UNIX socket, and run every other command online.",
	 serve_options},
	{"check", cmd_check, CMD_POOL_RO | CMD_POOL_FORENSIC, "check [--intents] [--repair]",
	 "Verify every crc and cross-reference of the pool's metadata.", check_options},
};
const unsigned vctl_ncommands = sizeof(vctl_commands) / sizeof(vctl_commands[0]);

/* Aliases come with the commands they name ("ls" with "list"). */
static const struct {
	const char *alias, *name;
} aliases[] = {{"ls", "list"}};

#define GLOBAL_SYN "vctl [-p DIR | --pool DIR] [--json] [-q] [-v] COMMAND [OPTIONS] [ARGS]"

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s\n       vctl --version | --help | COMMAND --help\n\nCommands:\n",
		GLOBAL_SYN);
	for (unsigned i = 0; i < vctl_ncommands; i++)
		fprintf(f, "  %-14s %s\n", vctl_commands[i].name, vctl_commands[i].summary);
	fprintf(f, "\nGlobal options:\n"
		   "  -p, --pool DIR    the pool directory (default: $VCTL_POOL, else .)\n"
		   "      --json        print JSON\n"
		   "  -q, --quiet       print less\n"
		   "  -v, --verbose     print more\n"
		   "      --version     print the version\n"
		   "  -h, --help        show this help\n"
		   "\nExit status: 0 ok, 1 usage, 2 not found, 3 refused, 4 I/O error or "
		   "corrupt metadata, 5 internal error.\n");
}

static unsigned distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 64 || m > 64)
		return 99;
	unsigned d[65][65];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			unsigned sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			unsigned del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			unsigned best = sub < del ? sub : del;
			d[i][j] = best < ins ? best : ins;
			/* a transposition ("stauts") costs one */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1;
		}
	return d[n][m];
}

static const struct cmd *find(const char *name)
{
	for (unsigned i = 0; i < vctl_ncommands; i++)
		if (!strcmp(vctl_commands[i].name, name))
			return &vctl_commands[i];
	return NULL;
}

static bool is_group(const char *word)
{
	size_t n = strlen(word);
	for (unsigned i = 0; i < vctl_ncommands; i++)
		if (!strncmp(vctl_commands[i].name, word, n) && vctl_commands[i].name[n] == ' ')
			return true;
	return false;
}

static const char *unalias(const char *w)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (aliases[i].alias && !strcmp(aliases[i].alias, w))
			return aliases[i].name;
	return w;
}

/* Exact match only (iproute2 is retiring prefixes): "disk list" first. */
static const struct cmd *lookup(int argc, const char **argv, char *typed, size_t len)
{
	const char *w0 = unalias(argv[0]);
	if (argc > 1 && is_group(w0)) {
		snprintf(typed, len, "%s %s", w0, unalias(argv[1]));
		return find(typed);
	}
	snprintf(typed, len, "%s", w0);
	return find(typed);
}

static int unknown(FILE *out, const char *typed)
{
	const char *best = NULL;
	unsigned bd = 3;
	for (unsigned i = 0; i < vctl_ncommands; i++) {
		unsigned d = distance(typed, vctl_commands[i].name);
		if (d < bd) {
			bd = d;
			best = vctl_commands[i].name;
		}
	}
	if (is_group(typed)) {
		fprintf(out, "vctl %s: missing subcommand; one of:", typed);
		size_t n = strlen(typed);
		for (unsigned i = 0; i < vctl_ncommands; i++)
			if (!strncmp(vctl_commands[i].name, typed, n) &&
			    vctl_commands[i].name[n] == ' ')
				fprintf(out, " %s", vctl_commands[i].name + n + 1);
		fputc('\n', out);
	} else if (best) {
		fprintf(out, "vctl: '%s' is not a vctl command; did you mean '%s'?\n", typed, best);
	} else {
		fprintf(out, "vctl: '%s' is not a vctl command; see 'vctl --help'\n", typed);
	}
	return EXIT_USAGE;
}

/* For bash completion: the program answers for itself, so it cannot go stale. */
static int complete(int argc, const char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "commands")) {
		for (unsigned i = 0; i < vctl_ncommands; i++)
			printf("%s\n", vctl_commands[i].name);
		for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
			if (aliases[i].alias)
				printf("%s\n", aliases[i].alias);
		return EXIT_OK;
	}
	if (argc >= 2 && !strcmp(argv[0], "options")) {
		char typed[256];
		const struct cmd *cmd = lookup(argc - 1, argv + 1, typed, sizeof(typed));
		if (cmd)
			cmd_print_options(cmd, stdout);
		return EXIT_OK;
	}
	return EXIT_USAGE;
}

enum { G_POOL = 1, G_JSON, G_QUIET, G_VERBOSE, G_VERSION, G_HELP };

static const struct poptOption global_options[] = {
	{"pool", 'p', POPT_ARG_STRING, NULL, G_POOL, NULL, NULL},
	{"json", 0, POPT_ARG_NONE, NULL, G_JSON, NULL, NULL},
	{"quiet", 'q', POPT_ARG_NONE, NULL, G_QUIET, NULL, NULL},
	{"verbose", 'v', POPT_ARG_NONE, NULL, G_VERBOSE, NULL, NULL},
	{"version", 0, POPT_ARG_NONE, NULL, G_VERSION, NULL, NULL},
	{"help", 'h', POPT_ARG_NONE, NULL, G_HELP, NULL, NULL},
	POPT_TABLEEND};

/* --help is answered here: it needs no pool, served or not. */
static bool wants_help(int n, const char **w)
{
	for (int i = 1; i < n; i++)
		if (!strcmp(w[i], "--help") || !strcmp(w[i], "-h"))
			return true;
	return false;
}

/* stdout is checked at exit (git does the same): a full disk or a closed
 * pipe is an error, not silent truncation. */
static int finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vctl: write error on standard output: %s\n", strerror(errno));
		return status ? status : EXIT_IO;
	}
	return status;
}

int cmd_run(int nwords, const char **words, unsigned global, const char *pool_dir,
	    struct vctl_pool *pool, const struct cmd_io *io)
{
	char typed[256];
	FILE *err = io->err;
	struct cmd_ctx c = {.in = io->in, .outf = io->out, .errf = err, .cwd = io->cwd,
			    .client = io->client,
			    .pool_dir = pool_dir,
			    .json = global & CMD_GLOBAL_JSON, .quiet = global & CMD_GLOBAL_QUIET,
			    .verbose = global & CMD_GLOBAL_VERBOSE, .pool = pool, .served = pool != NULL};
	c.cmd = lookup(nwords, words, typed, sizeof(typed));
	if (!c.cmd) {
		/* name what was typed, not what an alias stands for */
		if (nwords > 1 && is_group(words[0]))
			snprintf(typed, sizeof(typed), "%s %s", words[0], words[1]);
		else
			snprintf(typed, sizeof(typed), "%s", words[0]);
		return unknown(err, typed);
	}
	if (pool && (c.cmd->flags & CMD_LOCAL)) {
		fprintf(err, "vctl %s: not while the pool is served\n", c.cmd->name);
		return EXIT_REFUSED;
	}
	c.argc = nwords;
	c.argv = words;
	int status = c.cmd->fn(&c);
	if (c.locked)
		vctl_rwlock_unlock(&c.pool->lock);
	if (!pool)
		vctl_pool_close(c.pool);
	for (int i = 0; i < c.nargs; i++)
		free(c.args[i]);
	free(c.args);
	return status;
}

int main(int argc, const char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "__complete"))
		return finish(complete(argc - 2, argv + 2));

	unsigned global = 0;
	poptContext con = poptGetContext("vctl", argc, argv, global_options,
					 POPT_CONTEXT_POSIXMEHARDER);
	char *pool = NULL;
	int v;
	bool help = false, version = false;
	while ((v = poptGetNextOpt(con)) > 0) {
		char *arg = poptGetOptArg(con);
		switch (v) {
		case G_POOL:
			free(pool);
			pool = arg;
			arg = NULL;
			break;
		case G_JSON: global |= CMD_GLOBAL_JSON; break;
		case G_QUIET: global |= CMD_GLOBAL_QUIET; break;
		case G_VERBOSE: global |= CMD_GLOBAL_VERBOSE; break;
		case G_VERSION: version = true; break;
		case G_HELP: help = true; break;
		}
		free(arg);
	}
	if (v < -1) {
		fprintf(stderr, "vctl: %s: %s\n", poptBadOption(con, 0), poptStrerror(v));
		poptFreeContext(con);
		free(pool);
		return EXIT_USAGE;
	}
	/* Copy what is left: poptFreeContext frees it. */
	const char **rest = poptGetArgs(con);
	int nrest = 0;
	while (rest && rest[nrest])
		nrest++;
	const char **words = calloc((size_t)nrest + 1, sizeof(*words));
	for (int i = 0; words && i < nrest; i++)
		words[i] = strdup(rest[i]);
	poptFreeContext(con);

	int status;
	const struct cmd_io local = {stdin, stdout, stderr, AT_FDCWD, 0};
	const char *env = getenv("VCTL_POOL");
	const char *dir = pool ? pool : env && *env ? env : ".";
	char typed[256];
	const struct cmd *cmd = nrest ? lookup(nrest, words, typed, sizeof(typed)) : NULL;
	if (version) {
		printf("vctl %s\n", VCTL_VERSION);
		status = EXIT_OK;
	} else if (help) {
		usage(stdout);
		status = EXIT_OK;
	} else if (nrest == 0) {
		usage(stderr);
		status = EXIT_USAGE;
	} else if (cmd && !(cmd->flags & CMD_LOCAL) && !wants_help(nrest, words)) {
		/* A served pool runs the command in the serving process, on our
		 * stdin, stdout and stderr: same output, same exit status. */
		struct vctl_err err = {0};
		unsigned f = (global & CMD_GLOBAL_JSON ? VCTL_CTL_JSON : 0) |
			     (global & CMD_GLOBAL_QUIET ? VCTL_CTL_QUIET : 0) |
			     (global & CMD_GLOBAL_VERBOSE ? VCTL_CTL_VERBOSE : 0);
		fflush(stdout);
		int r = vctl_ctl_call(dir, f, nrest, words, &status, &err);
		if (r == -ENOENT)
			status = cmd_run(nrest, words, global, dir, NULL, &local);
		else if (r < 0) {
			fprintf(stderr, "vctl %s: %s\n", cmd->name, err.msg);
			status = EXIT_INTERNAL;
		}
	} else {
		status = cmd_run(nrest, words, global, dir, NULL, &local);
	}
	for (int i = 0; words && i < nrest; i++)
		free((char *)words[i]);
	free(words);
	free(pool);
	return finish(status);
}
