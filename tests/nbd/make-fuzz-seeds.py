#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/fuzz_nbd_request.c and
tests/fuzz/fuzz_nbd_option.c (tests/fuzz/corpus/nbd_request, nbd_option):
real messages as clients send them, and refused variants. Run from the top
of the tree; it rewrites only the files it names."""

import os
import struct

REQ = 0x25609513
IHAVEOPT = 0x49484156454F5054
SIZE = 64 << 20
# HAS_FLAGS, SEND_FLUSH, SEND_FUA, SEND_TRIM, SEND_WRITE_ZEROES, SEND_DF,
# CAN_MULTI_CONN, SEND_CACHE, SEND_FAST_ZERO: what nbdmem sends qemu.
TFLAGS_RW = 0x0DED
TFLAGS_RO = 0x0587  # READ_ONLY, no trim/zeroes/FUA


def request(flags, cmd, offset, length, size=SIZE, tflags=TFLAGS_RW, sess=3, cookie=0xC0FFEE,
            magic=REQ):
    return (struct.pack(">IHHQQI", magic, flags, cmd, cookie, offset, length) +
            struct.pack(">QHB", size, tflags, sess))


def opt(option, payload, magic=IHAVEOPT):
    return struct.pack(">QII", magic, option, len(payload)) + payload


def info(name, types):
    n = name.encode()
    return struct.pack(">I", len(n)) + n + struct.pack(">H", len(types)) + b"".join(
        struct.pack(">H", t) for t in types)


def meta(name, queries):
    n = name.encode()
    out = struct.pack(">I", len(n)) + n + struct.pack(">I", len(queries))
    for q in queries:
        out += struct.pack(">I", len(q)) + q.encode()
    return out


REQUESTS = {
    "valid-read-4k": request(0, 0, 8192, 4096),
    "valid-read-df-last-byte": request(4, 0, SIZE - 1, 1),
    "valid-read-64M": request(0, 0, 0, 64 << 20, size=128 << 20),
    "valid-write-fua-unaligned": request(1, 1, 12345, 6789),
    "valid-write-zero-length-at-end": request(0, 1, SIZE, 0),
    "valid-flush": request(0, 3, 0, 0),
    "valid-trim-whole-export": request(0, 4, 0, SIZE),
    "valid-cache": request(0, 5, 0, 1 << 20),
    "valid-write-zeroes-fast-no-hole": request(0x12, 6, 4096, 1 << 30, size=4 << 30),
    "valid-block-status-req-one-4G": request(8, 7, 0, 0xFFFFFFFF, size=8 << 30),
    "valid-disc": request(0, 2, 0, 0),
    "refused-bad-magic": request(0, 0, 0, 512, magic=0x12345678),
    "refused-unknown-command": request(0, 42, 0, 512),
    "refused-unknown-flag": request(0x80, 0, 0, 512),
    "refused-req-one-on-read": request(8, 0, 0, 512),
    "refused-read-past-end": request(0, 0, SIZE - 256, 512),
    "refused-read-offset-overflow": request(0, 0, 2**64 - 256, 512),
    "refused-read-64M-plus-1": request(0, 0, 0, (64 << 20) + 1, size=128 << 20),
    "refused-write-past-end": request(0, 1, SIZE, 1),
    "refused-write-read-only": request(0, 1, 0, 512, tflags=TFLAGS_RO),
    "refused-trim-read-only": request(0, 4, 0, 512, tflags=TFLAGS_RO),
    "refused-fua-not-negotiated": request(1, 1, 0, 512, tflags=TFLAGS_RO & ~8),
    "refused-df-without-structured": request(4, 0, 0, 512, tflags=TFLAGS_RW & ~0x80),
    "refused-flush-with-offset": request(0, 3, 512, 0),
    "refused-block-status-no-context": request(0, 7, 0, 512, sess=1),
    "refused-block-status-zero-length": request(0, 7, 0, 0),
    "truncated-header-10-bytes": request(0, 0, 0, 512)[:10],
}

OPTIONS = {
    "valid-go-qemu": opt(7, info("disk", [3])),
    "valid-go-no-infos": opt(7, info("", [])),
    "valid-info-name-description-blocksize": opt(6, info("vol-01", [1, 2, 3])),
    "valid-set-meta-base-allocation": opt(10, meta("disk", ["base:allocation"])),
    "valid-list-meta-wildcards": opt(9, meta("disk", ["base:", "x-unknown:thing", ""])),
    "valid-list-meta-no-query": opt(9, meta("disk", [])),
    "valid-structured-reply": opt(8, b""),
    "valid-export-name": opt(1, b"disk"),
    "valid-list": opt(3, b""),
    "refused-bad-magic": opt(7, info("disk", [3]), magic=0x1122334455667788),
    "refused-go-name-past-end": opt(7, struct.pack(">I", 1000) + b"disk" + b"\0\0"),
    "refused-go-too-short": opt(7, b"\0\0\0"),
    "refused-go-odd-info-count": opt(7, info("disk", [3])[:-1]),
    "refused-go-nul-in-name": opt(7, info("di\0sk", [])),
    "refused-go-name-4097-bytes": opt(7, info("n" * 4097, [])),
    "refused-meta-query-past-end": opt(10, meta("disk", ["base:allocation"])[:-3]),
    "refused-meta-query-count-huge": opt(10, struct.pack(">I", 0) + struct.pack(">I", 2**32 - 1)),
    "refused-meta-trailing-bytes": opt(10, meta("disk", ["base:allocation"]) + b"xx"),
}


def write(dirname, seeds):
    os.makedirs(dirname, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(dirname, name), "wb") as f:
            f.write(data)


write("tests/fuzz/corpus/nbd_request", REQUESTS)
write("tests/fuzz/corpus/nbd_option", OPTIONS)
