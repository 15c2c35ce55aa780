#include "output.h"

#include <inttypes.h>
#include <stdarg.h>

#include "lib/units.h"

void out_init(struct out *o, FILE *f, bool json)
{
	o->f = f;
	o->json = json;
	o->depth = 0;
	o->comma[0] = false;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator and key of the next JSON member. */
static void json_key(struct out *o, const char *key)
{
	if (o->comma[o->depth])
		fputs(", ", o->f);
	o->comma[o->depth] = true;
	if (key) {
		json_string(o->f, key);
		fputs(": ", o->f);
	}
}

static void open_(struct out *o, const char *key, char c)
{
	if (!o->json)
		return;
	json_key(o, key);
	fputc(c, o->f);
	if (o->depth < OUT_MAX_DEPTH - 1)
		o->depth++;
	o->comma[o->depth] = false;
}

static void close_(struct out *o, char c)
{
	if (!o->json)
		return;
	fputc(c, o->f);
	if (o->depth > 0)
		o->depth--;
}

void out_begin(struct out *o)
{
	open_(o, NULL, '{');
	out_u64(o, "version", NULL, 1);
}

void out_end(struct out *o)
{
	close_(o, '}');
	if (o->json)
		fputc('\n', o->f);
}

void out_obj(struct out *o, const char *key) { open_(o, key, '{'); }
void out_obj_end(struct out *o) { close_(o, '}'); }
void out_arr(struct out *o, const char *key) { open_(o, key, '['); }
void out_arr_end(struct out *o) { close_(o, ']'); }

void out_str(struct out *o, const char *key, const char *fmt, const char *val)
{
	if (o->json) {
		json_key(o, key);
		if (val)
			json_string(o->f, val);
		else
			fputs("null", o->f);
	} else if (fmt) {
		fprintf(o->f, fmt, val ? val : "-");
	}
}

void out_u64(struct out *o, const char *key, const char *fmt, uint64_t val)
{
	if (o->json) {
		json_key(o, key);
		fprintf(o->f, "%" PRIu64, val);
	} else if (fmt) {
		fprintf(o->f, fmt, val);
	}
}

void out_bool(struct out *o, const char *key, const char *fmt, bool val)
{
	if (o->json) {
		json_key(o, key);
		fputs(val ? "true" : "false", o->f);
	} else if (fmt) {
		fprintf(o->f, fmt, val ? "yes" : "no");
	}
}

void out_double(struct out *o, const char *key, const char *fmt, double val)
{
	if (o->json) {
		json_key(o, key);
		fprintf(o->f, "%.6g", val);
	} else if (fmt) {
		fprintf(o->f, fmt, val);
	}
}

void out_size(struct out *o, const char *key, const char *fmt, uint64_t bytes)
{
	if (o->json) {
		out_u64(o, key, NULL, bytes);
	} else if (fmt) {
		char buf[32];
		fprintf(o->f, fmt, vctl_fmt_size(bytes, buf, sizeof(buf)));
	}
}

void out_hex(struct out *o, const char *key, const char *fmt, uint64_t val)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, val);
	out_str(o, key, fmt, buf);
}

void out_text(struct out *o, const char *fmt, ...)
{
	if (o->json)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
}
