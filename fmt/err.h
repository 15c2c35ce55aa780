/* Error reporting shared by every layer: a code (0 or negative errno, or a
 * negative VCTL_E_* code) and a human message owned by the caller. The
 * message is the "what went wrong: why" part; the command adds its name. */
#ifndef VCTL_FMT_ERR_H
#define VCTL_FMT_ERR_H

#include <stddef.h>

/* Format-specific failures live above the errno range (LMDB's convention). */
enum {
	VCTL_E_BASE = 4096,
	VCTL_E_CORRUPT,  /* bad magic, crc, or structure */
	VCTL_E_VERSION,  /* written by a newer vctl: version or feature unknown */
	VCTL_E_REFUSED,  /* valid request refused: would lose data or break a rule */
	VCTL_E_INTERNAL, /* a bug */
	VCTL_E_LAST
};

struct vctl_err {
	int code;
	char msg[1024];
};

/* Sets the message (if err is non-NULL) and returns code, so callers can
 * write `return vctl_errf(err, -EINVAL, "...")`. */
int vctl_errf(struct vctl_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "context: " to an existing message and returns err->code. */
int vctl_err_wrap(struct vctl_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void vctl_err_clear(struct vctl_err *err);

/* strerror() that also knows the VCTL_E_* codes; takes a negative code. */
const char *vctl_strerror(int code);

#endif
