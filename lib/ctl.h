/* The control socket of a served pool (`vctl.ctl` in the pool directory):
 * how every other `vctl` invocation has the serving process run its
 * command. A request carries the command words, the global flags and the
 * client's stdin, stdout, stderr and working directory (SCM_RIGHTS); the server runs the
 * command on those descriptors and answers with its exit status. Only the
 * server's own uid and root may use it. */
#ifndef VCTL_LIB_CTL_H
#define VCTL_LIB_CTL_H

#include <stdbool.h>
#include <sys/types.h>

#include "fmt/err.h"

#define VCTL_CTL_NAME "vctl.ctl"

/* Request flags. */
#define VCTL_CTL_JSON 0x1u
#define VCTL_CTL_QUIET 0x2u
#define VCTL_CTL_VERBOSE 0x4u
#define VCTL_CTL_STOP 0x8u /* serve --stop: no command, the server ends */

/* stdin, stdout, stderr and the working directory (O_PATH) */
#define VCTL_CTL_NFDS 4

struct vctl_ctl_request {
	unsigned flags;
	int argc;
	char **argv;
	int fd[VCTL_CTL_NFDS];
	uid_t uid;
	pid_t pid;
};

/* Runs one request in its own thread; returns the exit status to send. */
typedef int (*vctl_ctl_handler)(void *opaque, const struct vctl_ctl_request *req);

struct vctl_ctl_server;

int vctl_ctl_server_create(const char *dir, vctl_ctl_handler fn, void *opaque,
			   struct vctl_ctl_server **out, struct vctl_err *err);
/* Stops accepting, removes the socket, waits for the requests under way. */
void vctl_ctl_server_shutdown(struct vctl_ctl_server *s);

/* Client: -ENOENT if no server answers in `dir` (run the command
 * locally); 0 with *status once the server ran it; else an error. */
int vctl_ctl_call(const char *dir, unsigned flags, int argc, const char *const *argv,
		  int *status, struct vctl_err *err);

#endif
