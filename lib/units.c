#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int vctl_parse_uint(const char *s, uint64_t max, uint64_t *out, struct vctl_err *err)
{
	if (!s || !*s)
		return vctl_errf(err, -EINVAL, "empty number");
	uint64_t v = 0;
	const char *p = s;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return vctl_errf(err, -EINVAL, "'%s' is not a number", s);
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return vctl_errf(err, -ERANGE, "'%s' is too large", s);
		v = v * 10 + d;
	}
	if (v > max)
		return vctl_errf(err, -ERANGE, "'%s' is too large (at most %llu)", s,
				 (unsigned long long)max);
	*out = v;
	return 0;
}

int vctl_parse_size(const char *s, uint64_t *out, struct vctl_err *err)
{
	if (!s || !*s)
		return vctl_errf(err, -EINVAL, "empty size");
	uint64_t v = 0;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return vctl_errf(err, -EINVAL, "'%s' is not a size", s);
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return vctl_errf(err, -ERANGE, "size '%s' is too large", s);
		v = v * 10 + d;
	}
	unsigned shift = 0;
	if (*p) {
		switch (toupper((unsigned char)*p)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		case 'P': shift = 50; break;
		case 'B': shift = 0; break;
		default:
			return vctl_errf(err, -EINVAL,
					 "'%s' is not a size (use a number with K, M, G or T)", s);
		}
		if (toupper((unsigned char)*p) != 'B') {
			p++;
			if (!strcasecmp(p, "iB") || !strcasecmp(p, "B"))
				p += strlen(p);
		} else {
			p++;
		}
		if (*p)
			return vctl_errf(err, -EINVAL,
					 "'%s' is not a size (use a number with K, M, G or T)", s);
	}
	if (shift && v > (UINT64_MAX >> shift))
		return vctl_errf(err, -ERANGE, "size '%s' is too large", s);
	*out = v << shift;
	return 0;
}

const char *vctl_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	int u = 0;
	double v = (double)bytes;
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}
