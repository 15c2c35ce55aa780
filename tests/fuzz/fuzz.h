/* Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c) and the corpus
 * replayer (tests/fuzz/replay.c). */
#ifndef VCTL_TESTS_FUZZ_H
#define VCTL_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The libFuzzer entry point: every target defines it; libFuzzer's main()
 * or replay.c's main() calls it once per input. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the replayer knows of an input from its file name (libFuzzer knows
 * nothing, and leaves FUZZ_EXPECT_ANY):
 *   valid-*    decodes with flags 0;
 *   bad-crc-*  fails with flags 0, decodes with VCTL_DECODE_IGNORE_CRC;
 *   refused-*  fails both ways;
 *   damaged-*  (fuzz_open) the pool opens and check reports the damage;
 *   anything else (crash reproducers, inputs libFuzzer added): only the
 *   invariants every input must keep. Each target defines the variable. */
enum fuzz_expect {
	FUZZ_EXPECT_ANY,
	FUZZ_EXPECT_VALID,
	FUZZ_EXPECT_BAD_CRC,
	FUZZ_EXPECT_REFUSED,
	FUZZ_EXPECT_DAMAGED,
};
extern enum fuzz_expect fuzz_expect;

/* A broken invariant: say which, then abort() so libFuzzer saves the input
 * and the replayer reports the file as "not ok". */
#define FUZZ_CHECK(cond, ...)                                                       \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__,  \
				__LINE__, #cond);                                   \
			fprintf(stderr, __VA_ARGS__);                               \
			fputc('\n', stderr);                                        \
			abort();                                                    \
		}                                                                   \
	} while (0)

#endif
