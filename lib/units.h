#ifndef VCTL_LIB_UNITS_H
#define VCTL_LIB_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "fmt/err.h"

/* Parses "4096", "64K", "64M", "1.5G"? No: integers only, with an optional
 * binary suffix K, M, G, T, P (any case), optionally followed by "iB" or
 * "B". Rejects empty, negative, garbage and overflow with -EINVAL/-ERANGE. */
int vctl_parse_size(const char *s, uint64_t *out, struct vctl_err *err);

/* Parses a non-negative decimal integer with no suffix. */
int vctl_parse_uint(const char *s, uint64_t max, uint64_t *out, struct vctl_err *err);

/* "64.0 MiB", "512 B"; buf of at least 32 bytes. */
const char *vctl_fmt_size(uint64_t bytes, char *buf, size_t len);

#endif
