/* One print call per field serves both the human text and the JSON
 * (iproute2's print_*(PRINT_ANY, ...)): `key` names the JSON member, `fmt`
 * is the text format with one conversion for the value (NULL: JSON only).
 * Text-only lines go through out_text(). */
#ifndef VCTL_CMD_OUTPUT_H
#define VCTL_CMD_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define OUT_MAX_DEPTH 16

struct out {
	FILE *f;
	bool json;
	int depth;
	bool comma[OUT_MAX_DEPTH];
};

void out_init(struct out *o, FILE *f, bool json);
/* The JSON document: {"version": 1, ...}. No-ops in text mode. */
void out_begin(struct out *o);
void out_end(struct out *o);

void out_obj(struct out *o, const char *key); /* key NULL inside arrays */
void out_obj_end(struct out *o);
void out_arr(struct out *o, const char *key);
void out_arr_end(struct out *o);

void out_str(struct out *o, const char *key, const char *fmt, const char *val);
void out_u64(struct out *o, const char *key, const char *fmt, uint64_t val);
void out_bool(struct out *o, const char *key, const char *fmt, bool val);
void out_double(struct out *o, const char *key, const char *fmt, double val);
/* JSON: the number of bytes; text: fmt applied to "64.0 MiB". */
void out_size(struct out *o, const char *key, const char *fmt, uint64_t bytes);
/* JSON: "0x1234abcd"; text: fmt applied to the same string. */
void out_hex(struct out *o, const char *key, const char *fmt, uint64_t val);

void out_text(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
