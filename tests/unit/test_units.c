#include <errno.h>
#include <string.h>

#include "lib/units.h"
#include "tap.h"

static int size_is(const char *s, uint64_t want)
{
	uint64_t v = 0;
	return vctl_parse_size(s, &v, NULL) == 0 && v == want;
}

static int size_bad(const char *s)
{
	uint64_t v = 0;
	struct vctl_err e = {0};
	return vctl_parse_size(s, &v, &e) < 0 && e.msg[0];
}

int main(void)
{
	ok(size_is("0", 0), "0");
	ok(size_is("4096", 4096), "plain bytes");
	ok(size_is("64K", 65536) && size_is("64k", 65536) && size_is("64KiB", 65536) &&
		   size_is("64KB", 65536),
	   "K with its spellings");
	ok(size_is("16M", 16u << 20), "M");
	ok(size_is("2G", 2ull << 30), "G");
	ok(size_is("2T", 2ull << 40), "T");
	ok(size_is("1P", 1ull << 50), "P");
	ok(size_is("512B", 512), "B");
	ok(size_is("16383P", 16383ull << 50), "largest P that fits");
	ok(size_bad("16384P"), "overflow by suffix");
	ok(size_bad("18446744073709551616"), "overflow by digits");
	ok(size_is("18446744073709551615", UINT64_MAX), "UINT64_MAX");
	ok(size_bad(""), "empty");
	ok(size_bad("-1"), "negative");
	ok(size_bad("1.5G"), "fraction");
	ok(size_bad("12X"), "unknown suffix");
	ok(size_bad("12MM"), "trailing garbage");
	ok(size_bad("M"), "suffix alone");
	ok(size_bad(" 12"), "leading space");

	uint64_t v;
	ok(vctl_parse_uint("12", 100, &v, NULL) == 0 && v == 12, "uint");
	ok(vctl_parse_uint("101", 100, &v, NULL) == -ERANGE, "uint over its limit");
	ok(vctl_parse_uint("1K", 100000, &v, NULL) == -EINVAL, "uint takes no suffix");

	char buf[32];
	ok(!strcmp(vctl_fmt_size(512, buf, sizeof(buf)), "512 B"), "format bytes");
	ok(!strcmp(vctl_fmt_size(64ull << 20, buf, sizeof(buf)), "64.0 MiB"), "format MiB");
	ok(!strcmp(vctl_fmt_size(1536, buf, sizeof(buf)), "1.5 KiB"), "format KiB");
	return tap_done();
}
