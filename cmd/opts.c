#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lib/units.h"

enum { OPT_JSON = 9001, OPT_QUIET, OPT_VERBOSE, OPT_HELP };

static const struct poptOption common_options[] = {
	{"json", 0, POPT_ARG_NONE, NULL, OPT_JSON, "print JSON", NULL},
	{"quiet", 'q', POPT_ARG_NONE, NULL, OPT_QUIET, "print less", NULL},
	{"verbose", 'v', POPT_ARG_NONE, NULL, OPT_VERBOSE, "print more", NULL},
	{"help", 'h', POPT_ARG_NONE, NULL, OPT_HELP, "show this help", NULL},
	POPT_TABLEEND};

int cmd_exit_code(int code)
{
	switch (-code) {
	case 0:
		return EXIT_OK;
	case EINVAL:
	case ERANGE:
	case ENOTDIR:
	case EISDIR:
	case ENAMETOOLONG:
		return EXIT_USAGE;
	case ENOENT:
	case ENODEV:
	case ENXIO:
	case ESRCH:
		return EXIT_NOTFOUND;
	case EEXIST:
	case EBUSY:
	case ENOSPC:
	case EROFS:
	case EPERM:
	case EACCES:
	case ENOTEMPTY:
	case EADDRINUSE:
	case VCTL_E_REFUSED:
		return EXIT_REFUSED;
	case EIO:
	case VCTL_E_CORRUPT:
	case VCTL_E_VERSION:
		return EXIT_IO;
	default:
		return EXIT_INTERNAL;
	}
}

int cmd_fail(struct cmd_ctx *c, int code, const struct vctl_err *err)
{
	const char *msg = err && err->msg[0] ? err->msg : vctl_strerror(code);
	/* One line, always: scripts grep these. */
	fprintf(c->errf, "vctl %s: ", c->cmd ? c->cmd->name : "");
	for (const char *p = msg; *p; p++)
		fputc(*p == '\n' ? ' ' : *p, c->errf);
	fputc('\n', c->errf);
	return cmd_exit_code(code);
}

int cmd_failf(struct cmd_ctx *c, int code, const char *fmt, ...)
{
	struct vctl_err e = {.code = code};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	return cmd_fail(c, code, &e);
}

int cmd_opt_size(const char *opt, const char *arg, uint64_t *out, struct vctl_err *err)
{
	int r = vctl_parse_size(arg, out, err);
	if (r < 0) {
		vctl_err_wrap(err, "--%s", opt);
		err->code = -EINVAL;
		return -EINVAL;
	}
	return 0;
}

int cmd_opt_uint(const char *opt, const char *arg, uint64_t max, uint64_t *out,
		 struct vctl_err *err)
{
	int r = vctl_parse_uint(arg, max, out, err);
	if (r < 0) {
		vctl_err_wrap(err, "--%s", opt);
		err->code = -EINVAL;
		return -EINVAL;
	}
	return 0;
}

static void print_table(const struct poptOption *t, FILE *f)
{
	for (; t && (t->longName || t->shortName || t->arg); t++) {
		if (t->argInfo & POPT_ARGFLAG_DOC_HIDDEN)
			continue;
		char left[64];
		int n = 0;
		if (t->shortName)
			n = snprintf(left, sizeof(left), "-%c, ", t->shortName);
		else
			n = snprintf(left, sizeof(left), "    ");
		snprintf(left + n, sizeof(left) - (size_t)n, "--%s%s%s", t->longName,
			 t->argDescrip ? " " : "", t->argDescrip ? t->argDescrip : "");
		fprintf(f, "  %-28s %s\n", left, t->descrip ? t->descrip : "");
	}
}

void cmd_print_help(const struct cmd *cmd, FILE *f)
{
	const char *s = cmd->synopsis;
	bool first = true;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		fprintf(f, "%s vctl %.*s\n", first ? "Usage:" : "      ", (int)n, s);
		first = false;
		s += n + (nl ? 1 : 0);
	}
	fprintf(f, "\n%s\n\nOptions:\n", cmd->summary);
	print_table(cmd->options, f);
	print_table(common_options, f);
}

/* Long option names, one per line, for shell completion. */
void cmd_print_options(const struct cmd *cmd, FILE *f)
{
	const struct poptOption *tables[] = {cmd->options, common_options};
	for (int i = 0; i < 2; i++)
		for (const struct poptOption *t = tables[i];
		     t && (t->longName || t->shortName || t->arg); t++)
			if (t->longName && !(t->argInfo & POPT_ARGFLAG_DOC_HIDDEN))
				fprintf(f, "--%s\n", t->longName);
}

static int open_pool(struct cmd_ctx *c)
{
	unsigned f = c->cmd->flags;
	/* On a served pool a command that only looks holds the lock for
	 * reading throughout, so what it prints is one consistent state; one
	 * that changes the pool goes through lib calls that take the lock.
	 * So does one that streams a volume: held for a whole `vctl read`,
	 * the lock would stall every allocating write of the NBD clients, and
	 * a `vctl read | vctl write` pipe on the same pool would deadlock. */
	if (c->served && !(f & (CMD_POOL_RW | CMD_STREAM)) && !(c->open_flags & VCTL_OPEN_WRITE)) {
		vctl_rwlock_rd(&c->pool->lock);
		c->locked = true;
	}
	if (!(f & (CMD_POOL_RO | CMD_POOL_RW)) || c->pool)
		return 0;
	unsigned of = c->open_flags;
	if (f & CMD_POOL_RW)
		of |= VCTL_OPEN_WRITE;
	if (f & CMD_POOL_FORENSIC)
		of |= VCTL_OPEN_FORENSIC;
	struct vctl_err err = {0};
	int r = vctl_pool_open(c->pool_dir, of, &c->pool, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	return 0;
}

int cmd_start(struct cmd_ctx *c, cmd_opt_fn fn, void *state, int min_args, int max_args)
{
	struct poptOption table[] = {
		{NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)c->cmd->options, 0, NULL, NULL},
		{NULL, 0, POPT_ARG_INCLUDE_TABLE, (void *)common_options, 0, NULL, NULL},
		POPT_TABLEEND};
	if (!c->cmd->options)
		table[0] = table[1], table[1] = (struct poptOption)POPT_TABLEEND;
	/* The argv we get starts at the command word; popt skips argv[0]. The
	 * second word of a two-word command is not a positional argument. */
	int skip = strchr(c->cmd->name, ' ') ? 1 : 0;
	poptContext con = poptGetContext("vctl", c->argc - skip, c->argv + skip, table, 0);
	if (!con)
		return cmd_failf(c, -ENOMEM, "out of memory");
	int v, rc = 0;
	bool help = false;
	struct vctl_err err = {0};
	while ((v = poptGetNextOpt(con)) > 0) {
		char *arg = poptGetOptArg(con);
		switch (v) {
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_QUIET:
			c->quiet = true;
			break;
		case OPT_VERBOSE:
			c->verbose = true;
			break;
		case OPT_HELP:
			help = true;
			break;
		default:
			rc = fn ? fn(c, v, arg, state, &err) : -EINVAL;
		}
		free(arg);
		if (rc < 0)
			break;
	}
	if (rc == 0 && v < -1)
		rc = vctl_errf(&err, -EINVAL, "%s: %s", poptBadOption(con, 0), poptStrerror(v));
	if (help) {
		poptFreeContext(con);
		cmd_print_help(c->cmd, c->outf);
		return -1; /* stop: exit 0 */
	}
	if (rc == 0) {
		const char **args = poptGetArgs(con);
		int n = 0;
		while (args && args[n])
			n++;
		if (n < min_args)
			rc = vctl_errf(&err, -EINVAL, "missing argument (usage: vctl %s)",
				       c->cmd->synopsis);
		else if (max_args >= 0 && n > max_args)
			rc = vctl_errf(&err, -EINVAL, "unexpected argument '%s'",
				       args[max_args]);
		if (rc == 0 && n) {
			/* poptFreeContext frees what poptGetArgs returned. */
			c->args = calloc((size_t)n, sizeof(char *));
			for (int i = 0; c->args && i < n; i++)
				c->args[i] = strdup(args[i]);
			c->nargs = n;
		}
	}
	poptFreeContext(con);
	out_init(&c->out, c->outf, c->json);
	if (rc < 0) {
		int st = cmd_fail(c, rc, &err);
		return st ? st : EXIT_USAGE;
	}
	return open_pool(c);
}
