#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vctl_errf(struct vctl_err *err, int code, const char *fmt, ...)
{
	if (!err)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

int vctl_err_wrap(struct vctl_err *err, const char *fmt, ...)
{
	if (!err)
		return 0;
	char old[sizeof(err->msg)];
	memcpy(old, err->msg, sizeof(old));
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(err->msg) - 2) {
		size_t at = (size_t)n;
		err->msg[at++] = ':';
		err->msg[at++] = ' ';
		size_t room = sizeof(err->msg) - at - 1, len = strnlen(old, room);
		memcpy(err->msg + at, old, len);
		err->msg[at + len] = '\0';
	}
	return err->code;
}

void vctl_err_clear(struct vctl_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

const char *vctl_strerror(int code)
{
	switch (-code) {
	case VCTL_E_CORRUPT:
		return "corrupt metadata";
	case VCTL_E_VERSION:
		return "unsupported format version or feature";
	case VCTL_E_REFUSED:
		return "refused";
	case VCTL_E_INTERNAL:
		return "internal error";
	default:
		return strerror(-code);
	}
}
