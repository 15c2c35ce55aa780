#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "lib/volume.h"

enum { O_OFFSET = 1, O_LENGTH, O_OUTPUT };

const struct poptOption read_options[] = {
	{"offset", 0, POPT_ARG_STRING, NULL, O_OFFSET, "byte offset to read from (default 0)", "OFF"},
	{"length", 0, POPT_ARG_STRING, NULL, O_LENGTH, "bytes to read (default: to the end)", "LEN"},
	{"output", 'o', POPT_ARG_STRING, NULL, O_OUTPUT, "write to FILE (default: standard output)",
	 "FILE|-"},
	POPT_TABLEEND};

struct read_state {
	uint64_t off, len;
	bool have_len;
	char out[4096];
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct read_state *s = st;
	switch (val) {
	case O_OFFSET:
		return cmd_opt_size("offset", arg, &s->off, err);
	case O_LENGTH:
		s->have_len = true;
		return cmd_opt_size("length", arg, &s->len, err);
	case O_OUTPUT:
		snprintf(s->out, sizeof(s->out), "%s", arg);
		return 0;
	}
	return 0;
}

#define CHUNK (1u << 20)

static int write_all(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int cmd_read(struct cmd_ctx *c)
{
	struct read_state s = {0};
	CMD_START(c, on_opt, &s, 1, 1);
	struct vctl_err err = {0};
	struct vctl_volume_info info;
	int r = vctl_volume_info(c->pool, c->args[0], &info, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (s.off > info.size)
		return cmd_failf(c, -EINVAL, "--offset %llu is past the end of %s (%llu bytes)",
				 (unsigned long long)s.off, info.name, (unsigned long long)info.size);
	if (!s.have_len)
		s.len = info.size - s.off;
	if (s.len > info.size - s.off)
		return cmd_failf(c, -EINVAL, "--length %llu at offset %llu runs past the end of %s (%llu bytes)",
				 (unsigned long long)s.len, (unsigned long long)s.off, info.name,
				 (unsigned long long)info.size);
	bool to_stdout = !s.out[0] || !strcmp(s.out, "-");
	int fd = to_stdout ? fileno(c->outf)
			   : openat(c->cwd, s.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return cmd_failf(c, -errno, "%s: %s", s.out, strerror(errno));
	fflush(c->outf);
	char *buf = malloc(CHUNK);
	if (!buf)
		r = vctl_errf(&err, -ENOMEM, "out of memory");
	for (uint64_t done = 0; buf && done < s.len && r == 0;) {
		size_t n = s.len - done < CHUNK ? (size_t)(s.len - done) : CHUNK;
		r = vctl_volume_read(c->pool, info.id, buf, n, s.off + done, &err);
		if (r == 0 && (r = write_all(fd, buf, n)) < 0)
			vctl_errf(&err, r, "%s: %s", to_stdout ? "standard output" : s.out,
				  strerror(-r));
		done += n;
	}
	free(buf);
	if (!to_stdout && close(fd) < 0 && r == 0)
		r = vctl_errf(&err, -errno, "%s: %s", s.out, strerror(errno));
	return r < 0 ? cmd_fail(c, r, &err) : EXIT_OK;
}
