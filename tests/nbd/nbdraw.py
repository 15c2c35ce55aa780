#!/usr/bin/env python3
"""A raw NBD client for tests/interop.bats: it builds the wire format by
hand, to send what real clients never send (garbage, truncated requests,
unknown commands and flags, oversized options) and to check replies byte by
byte. Only the standard library: any python3 runs it.

    nbdraw.py [--server nbdmem|nbdkit|vctl] SCENARIO SOCKET [EXPORT] [ARGS]

Each scenario prints one line per check and exits 0 when all hold, 1 with
"FAIL: ..." on the first that does not. Every socket operation times out
after 10 s, so a hung server fails the test instead of hanging it.
--server names what is being tested, for the few answers the protocol
leaves open (nbdkit refuses zero-length requests, for instance)."""

import argparse
import os
import socket
import struct
import sys
import threading
import time

TIMEOUT = 10

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
OPT_REPLY_MAGIC = 0x0003E889045565A9
REQUEST_MAGIC = 0x25609513
SIMPLE_MAGIC = 0x67446698
CHUNK_MAGIC = 0x668E33EF

OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_STARTTLS = 1, 2, 3, 5
OPT_INFO, OPT_GO, OPT_STRUCTURED_REPLY = 6, 7, 8
OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT = 9, 10
REP_ACK, REP_SERVER, REP_INFO, REP_META_CONTEXT = 1, 2, 3, 4
ERR = 0x80000000
REP_ERR_UNSUP, REP_ERR_POLICY, REP_ERR_INVALID = ERR + 1, ERR + 2, ERR + 3
REP_ERR_UNKNOWN, REP_ERR_TOO_BIG = ERR + 6, ERR + 9
INFO_EXPORT, INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE = 0, 1, 2, 3

CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH = 0, 1, 2, 3
CMD_TRIM, CMD_CACHE, CMD_WRITE_ZEROES, CMD_BLOCK_STATUS = 4, 5, 6, 7
FLAG_FUA, FLAG_NO_HOLE, FLAG_DF, FLAG_REQ_ONE, FLAG_FAST_ZERO = 1, 2, 4, 8, 16
TFLAG_READ_ONLY, TFLAG_SEND_DF, TFLAG_CAN_MULTI_CONN = 1 << 1, 1 << 7, 1 << 8
REPLY_FLAG_DONE = 1
TYPE_NONE, TYPE_OFFSET_DATA, TYPE_OFFSET_HOLE, TYPE_BLOCK_STATUS = 0, 1, 2, 5
TYPE_ERROR, TYPE_ERROR_OFFSET = 0x8001, 0x8002
EPERM, EIO, EINVAL, ENOSPC, ESHUTDOWN = 1, 5, 22, 28, 108

SERVER = "nbdmem"


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)
    print("ok:", what)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(path)
    return s


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError("server closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def closed_by_server(s):
    """True once the server closes (reads EOF or a reset) within TIMEOUT;
    replies still in flight are skipped."""
    try:
        while True:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def greet(s, flags=3):
    magic, opt, hflags = struct.unpack(">QQH", recv_exact(s, 18))
    if magic != NBDMAGIC or opt != IHAVEOPT:
        raise Fail("bad greeting")
    s.sendall(struct.pack(">I", flags))
    return hflags


def send_opt(s, option, data=b""):
    s.sendall(struct.pack(">QII", IHAVEOPT, option, len(data)) + data)


def opt_reply(s, option):
    magic, opt, rtype, length = struct.unpack(">QIII", recv_exact(s, 20))
    if magic != OPT_REPLY_MAGIC:
        raise Fail("bad option reply magic %#x" % magic)
    if opt != option:
        raise Fail("option reply echoes %d, not %d" % (opt, option))
    return rtype, recv_exact(s, length)


def opt_replies(s, option):
    """Every reply to one option, up to the final ACK or error."""
    out = []
    while True:
        rtype, data = opt_reply(s, option)
        out.append((rtype, data))
        if rtype == REP_ACK or rtype & ERR:
            return out


def info_payload(name, infos=(INFO_BLOCK_SIZE,)):
    n = name.encode()
    return (struct.pack(">I", len(n)) + n + struct.pack(">H", len(infos)) +
            b"".join(struct.pack(">H", i) for i in infos))


def meta_payload(name, queries):
    n = name.encode()
    out = struct.pack(">I", len(n)) + n + struct.pack(">I", len(queries))
    for q in queries:
        out += struct.pack(">I", len(q)) + q.encode()
    return out


def go(s, name, structured=True, meta=True, meta_name=None):
    """Negotiates like qemu does and returns (size, transmission flags).
    meta_name: select base:allocation for that export name instead."""
    if structured:
        send_opt(s, OPT_STRUCTURED_REPLY)
        check(opt_replies(s, OPT_STRUCTURED_REPLY)[-1][0] == REP_ACK,
              "STRUCTURED_REPLY acknowledged")
    if meta:
        send_opt(s, OPT_SET_META_CONTEXT,
                 meta_payload(name if meta_name is None else meta_name, ["base:allocation"]))
        reps = opt_replies(s, OPT_SET_META_CONTEXT)
        check(reps[-1][0] == REP_ACK and reps[0][0] == REP_META_CONTEXT,
              "SET_META_CONTEXT selects base:allocation")
    send_opt(s, OPT_GO, info_payload(name))
    size = tflags = None
    for rtype, data in opt_replies(s, OPT_GO):
        if rtype & ERR:
            raise Fail("GO refused: %#x %s" % (rtype, data.decode(errors="replace")))
        if rtype == REP_INFO and struct.unpack(">H", data[:2])[0] == INFO_EXPORT:
            size, tflags = struct.unpack(">QH", data[2:12])
    if size is None:
        raise Fail("GO succeeded without NBD_INFO_EXPORT")
    return size, tflags


def session(path, name, **kw):
    s = connect(path)
    greet(s)
    size, tflags = go(s, name, **kw)
    return s, size, tflags


def send_req(s, cmd, offset, length, flags=0, cookie=0, payload=b"", magic=REQUEST_MAGIC):
    s.sendall(struct.pack(">IHHQQI", magic, flags, cmd, cookie, offset, length) + payload)


class Reply:
    def __init__(self, cookie):
        self.cookie = cookie
        self.error = 0
        self.message = b""
        self.data = {}  # offset -> bytes (OFFSET_DATA), or int length (OFFSET_HOLE)
        self.extents = []
        self.chunks = 0
        self.simple = False


def read_reply(s, pending):
    """Reads one whole reply (all chunks up to DONE). `pending` maps a
    cookie to the READ length a simple reply carries (0 otherwise); the
    reply's cookie is removed from it."""
    magic = struct.unpack(">I", recv_exact(s, 4))[0]
    if magic == SIMPLE_MAGIC:
        error, cookie = struct.unpack(">IQ", recv_exact(s, 12))
        if cookie not in pending:
            raise Fail("simple reply for unknown cookie %#x" % cookie)
        r = Reply(cookie)
        r.simple = True
        r.error = error
        n = pending.pop(cookie)
        if n and not error:
            r.data[None] = recv_exact(s, n)
        return r
    replies = {}
    while True:
        if magic != CHUNK_MAGIC:
            raise Fail("bad reply magic %#x" % magic)
        flags, ctype, cookie, length = struct.unpack(">HHQI", recv_exact(s, 16))
        payload = recv_exact(s, length)
        if cookie not in pending:
            raise Fail("chunk for unknown cookie %#x" % cookie)
        r = replies.setdefault(cookie, Reply(cookie))
        r.chunks += 1
        if ctype == TYPE_OFFSET_DATA:
            r.data[struct.unpack(">Q", payload[:8])[0]] = payload[8:]
        elif ctype == TYPE_OFFSET_HOLE:
            off, n = struct.unpack(">QI", payload)
            r.data[off] = n
        elif ctype == TYPE_BLOCK_STATUS:
            body = payload[4:]
            r.extents.append([struct.unpack(">II", body[i:i + 8])
                              for i in range(0, len(body), 8)])
        elif ctype in (TYPE_ERROR, TYPE_ERROR_OFFSET):
            r.error, mlen = struct.unpack(">IH", payload[:6])
            r.message = payload[6:6 + mlen]
        elif ctype != TYPE_NONE:
            raise Fail("unexpected chunk type %d" % ctype)
        if flags & REPLY_FLAG_DONE:
            pending.pop(cookie)
            return r
        magic = struct.unpack(">I", recv_exact(s, 4))[0]


def do(s, cmd, offset, length, flags=0, payload=b"", cookie=0x1234):
    pending = {cookie: length if cmd == CMD_READ else 0}
    send_req(s, cmd, offset, length, flags, cookie, payload)
    r = read_reply(s, pending)
    if r.cookie != cookie:
        raise Fail("reply cookie %#x, sent %#x" % (r.cookie, cookie))
    return r


def read_bytes(r, offset, length):
    """The bytes a READ reply describes, holes as zeros."""
    if None in r.data:
        return r.data[None]
    out = bytearray(length)
    for off, d in r.data.items():
        if isinstance(d, int):
            continue
        out[off - offset:off - offset + len(d)] = d
    return bytes(out)


def expect_error(s, what, want, cmd, offset, length, flags=0, payload=b""):
    r = do(s, cmd, offset, length, flags, payload)
    check(r.error == want, "%s -> error %d (got %d %s)" %
          (what, want, r.error, r.message.decode(errors="replace")))


# ---- Scenarios ----

def sc_garbage(path, name, args):
    """Garbage in place of the client flags, of an option, of a request:
    each drops that client alone."""
    s = connect(path)
    greet(s, flags=0xDEADBEEF)
    check(closed_by_server(s), "unknown client flags close the connection")
    s = connect(path)
    greet(s)
    s.sendall(os.urandom(16) + b"\xff" * 1024)
    check(closed_by_server(s), "an option with a bad magic closes the connection")
    s, _, _ = session(path, name)
    send_req(s, CMD_READ, 0, 512, magic=0x12345678)
    check(closed_by_server(s), "a request with a bad magic closes the connection")
    s, _, _ = session(path, name)
    s.sendall(b"\x00" * 4096)
    check(closed_by_server(s), "zeros in place of requests close the connection")
    s, _, _ = session(path, name)
    r = do(s, CMD_READ, 0, 512)
    check(r.error == 0, "a fresh client is still served")


def sc_truncated(path, name, args):
    """A request cut short (header, or WRITE payload) drops the client, and
    the partial write is never applied."""
    s, size, _ = session(path, name)
    s.sendall(struct.pack(">IHH", REQUEST_MAGIC, 0, CMD_READ))
    s.close()
    s, size, _ = session(path, name)
    payload = b"\xee" * 65536
    send_req(s, CMD_WRITE, 0, len(payload), cookie=7, payload=payload[:30000])
    s.close()
    s, size, _ = session(path, name)
    r = do(s, CMD_READ, 0, 65536)
    check(r.error == 0, "the server still answers")
    check(b"\xee" not in read_bytes(r, 0, 65536), "the truncated WRITE was not applied")
    # A reply the client never reads: the server must not die of SIGPIPE.
    n = min(size, 32 << 20)
    send_req(s, CMD_READ, 0, n, cookie=9)
    s.close()
    s, _, _ = session(path, name)
    check(do(s, CMD_READ, 0, 512).error == 0, "still served after a client left mid-reply")
    send_req(s, CMD_DISC, 0, 0)
    check(closed_by_server(s), "NBD_CMD_DISC closes the connection")


def sc_errors(path, name, args):
    """The error each bad request gets (NBD.md): the export must be
    writable, and at least 64 MiB for the large-request checks."""
    s, size, tflags = session(path, name)
    check(tflags & TFLAG_SEND_DF, "DF is advertised with structured replies")
    expect_error(s, "unknown command 42", EINVAL, 42, 0, 512)
    expect_error(s, "unknown flag 0x80 on READ", EINVAL, CMD_READ, 0, 512, flags=0x80)
    expect_error(s, "REQ_ONE on READ", EINVAL, CMD_READ, 0, 512, flags=FLAG_REQ_ONE)
    expect_error(s, "READ past the end", EINVAL, CMD_READ, size - 256, 512)
    expect_error(s, "READ with offset+length overflowing", EINVAL, CMD_READ, 2**64 - 256, 512)
    expect_error(s, "WRITE past the end", ENOSPC, CMD_WRITE, size - 256, 512,
                 payload=b"\x01" * 512)
    expect_error(s, "WRITE with offset+length overflowing", ENOSPC, CMD_WRITE, 2**64 - 256,
                 512, payload=b"\x01" * 512)
    expect_error(s, "TRIM past the end", EINVAL, CMD_TRIM, size, 512)
    expect_error(s, "WRITE_ZEROES past the end", ENOSPC, CMD_WRITE_ZEROES, size, 512)
    expect_error(s, "BLOCK_STATUS past the end", EINVAL, CMD_BLOCK_STATUS, size, 512)
    check(do(s, CMD_READ, 0, 512).error == 0, "the stream is intact after every error")
    if SERVER != "nbdkit":
        # NBD.md wants these accepted; nbdkit refuses zero lengths.
        for cmd, what in ((CMD_READ, "READ"), (CMD_WRITE, "WRITE"), (CMD_TRIM, "TRIM"),
                          (CMD_WRITE_ZEROES, "WRITE_ZEROES"), (CMD_CACHE, "CACHE")):
            check(do(s, cmd, 0, 0).error == 0, "zero-length %s succeeds" % what)
        expect_error(s, "FLUSH with a nonzero offset", EINVAL, CMD_FLUSH, 512, 0)

    if size >= 64 << 20:
        big = os.urandom(1 << 20) * 64
        r = do(s, CMD_WRITE, 0, len(big), payload=big)
        check(r.error == 0, "a 64 MiB WRITE is accepted")
        r = do(s, CMD_READ, 0, 64 << 20)
        check(r.error == 0 and read_bytes(r, 0, 64 << 20) == big,
              "a 64 MiB READ returns what was written")
        expect_error(s, "READ of 64 MiB + 1", EINVAL, CMD_READ, 0, (64 << 20) + 1)

    # Replies may come in any order; each carries its request's cookie.
    # Zeroed first, so a read that overtakes its write sees zeros.
    check(do(s, CMD_WRITE_ZEROES, 0, 64 * 4096).error == 0, "WRITE_ZEROES succeeds")
    pending = {}
    pattern = {}
    for i in range(64):
        data = bytes([i]) * 4096
        pattern[i] = data
        send_req(s, CMD_WRITE, i * 4096, 4096, cookie=1000 + i, payload=data)
        pending[1000 + i] = 0
    for i in range(64):
        send_req(s, CMD_READ, i * 4096, 4096, cookie=2000 + i)
        pending[2000 + i] = 4096
    seen = set()
    while pending:
        r = read_reply(s, pending)
        seen.add(r.cookie)
        if r.cookie >= 2000:
            i = r.cookie - 2000
            # The read may overtake the write of the same block.
            got = read_bytes(r, i * 4096, 4096)
            if got not in (pattern[i], b"\0" * 4096):
                raise Fail("READ %d returned neither old nor new data" % i)
    check(seen == set(range(1000, 1064)) | set(range(2000, 2064)),
          "128 pipelined requests got 128 replies with their cookies")

    plain = session(path, name, meta=False)[0]
    expect_error(plain, "BLOCK_STATUS without a metadata context", EINVAL,
                 CMD_BLOCK_STATUS, 0, 512)
    if SERVER != "nbdkit":  # nbdkit has a single export under any name
        other = session(path, name, meta_name=name + "-other")[0]
        expect_error(other, "BLOCK_STATUS with the context chosen for another export",
                     EINVAL, CMD_BLOCK_STATUS, 0, 512)

    do(s, CMD_TRIM, 0, size)
    do(s, CMD_WRITE, 1 << 20, 65536, payload=b"\x11" * 65536)
    r = do(s, CMD_BLOCK_STATUS, 0, 4 << 20, flags=FLAG_REQ_ONE)
    check(r.error == 0 and len(r.extents) == 1 and len(r.extents[0]) == 1,
          "BLOCK_STATUS with REQ_ONE gives one chunk of one extent")
    check(0 < r.extents[0][0][0] <= 4 << 20, "that extent is within the request")
    r = do(s, CMD_BLOCK_STATUS, 0, 4 << 20)
    ext = r.extents[0] if r.extents else []
    check(r.error == 0 and len(r.extents) == 1 and ext, "BLOCK_STATUS gives one chunk")
    check(all(n > 0 for n, _ in ext), "every extent has a nonzero length")
    # Cut at the request's end (the protocol allows the last one longer).
    check(sum(n for n, _ in ext[:-1]) < 4 << 20, "extents stay within the request")
    pos, data_at = 0, None
    for n, f in ext:
        if not f & 1 and data_at is None:
            data_at = pos
        pos += n
    check(ext[0][1] & 1 and data_at == 1 << 20,
          "a trimmed export is a hole up to the written block at 1 MiB")
    send_req(s, CMD_DISC, 0, 0)
    check(closed_by_server(s), "NBD_CMD_DISC closes the connection")


def sc_bigstatus(path, name, args):
    """BLOCK_STATUS over 4 GiB - 1 of an empty export: one hole extent, not
    cut at the 32 MiB I/O limit."""
    s, size, _ = session(path, name)
    check(size >= 1 << 32, "the export is at least 4 GiB")
    for flags, what in ((0, "without"), (FLAG_REQ_ONE, "with")):
        r = do(s, CMD_BLOCK_STATUS, 0, 2**32 - 1, flags=flags)
        check(r.error == 0 and r.extents and r.extents[0][0][0] == 2**32 - 1 and
              r.extents[0][0][1] & 1,
              "4 GiB - 1 of hole in one extent, %s REQ_ONE" % what)


def sc_readonly(path, name, args):
    """Writes of every kind to a read-only export get EPERM."""
    s, size, tflags = session(path, name)
    check(tflags & TFLAG_READ_ONLY, "READ_ONLY is advertised")
    expect_error(s, "WRITE", EPERM, CMD_WRITE, 0, 512, payload=b"\x01" * 512)
    expect_error(s, "TRIM", EPERM, CMD_TRIM, 0, 512)
    expect_error(s, "WRITE_ZEROES", EPERM, CMD_WRITE_ZEROES, 0, 512)
    check(do(s, CMD_READ, 0, 512).error == 0, "READ still works")


def sc_options(path, name, args):
    """Option haggling: errors keep the session going, replies echo the
    option, the old EXPORT_NAME way in works with and without zeroes."""
    s = connect(path)
    greet(s)
    # NOTLS mode allows POLICY for STARTTLS too; nbdkit sends that.
    tls_refusal = REP_ERR_POLICY if SERVER == "nbdkit" else REP_ERR_UNSUP
    send_opt(s, OPT_STARTTLS)
    check(opt_replies(s, OPT_STARTTLS)[-1][0] == tls_refusal, "STARTTLS is refused")
    send_opt(s, 99)
    check(opt_replies(s, 99)[-1][0] == REP_ERR_UNSUP, "unknown option 99 -> ERR_UNSUP")
    send_opt(s, OPT_LIST, b"junk")
    check(opt_replies(s, OPT_LIST)[-1][0] == REP_ERR_INVALID, "LIST with data -> ERR_INVALID")
    send_opt(s, OPT_SET_META_CONTEXT, meta_payload(name, ["base:allocation"]))
    check(opt_replies(s, OPT_SET_META_CONTEXT)[-1][0] == REP_ERR_INVALID,
          "SET_META_CONTEXT before STRUCTURED_REPLY -> ERR_INVALID")
    send_opt(s, OPT_INFO, struct.pack(">I", 1000) + b"x")
    check(opt_replies(s, OPT_INFO)[-1][0] == REP_ERR_INVALID,
          "INFO with a name longer than the option -> ERR_INVALID")
    # INFO, not GO: nbdkit memory takes any name and GO would succeed.
    send_opt(s, OPT_INFO, info_payload("no-such-export"))
    rtype, msg = opt_replies(s, OPT_INFO)[-1]
    if SERVER != "nbdkit":
        check(rtype == REP_ERR_UNKNOWN and b"no-such-export" in msg,
              "INFO for an unknown export -> ERR_UNKNOWN with a message")
    send_opt(s, OPT_STRUCTURED_REPLY)
    opt_replies(s, OPT_STRUCTURED_REPLY)
    send_opt(s, OPT_LIST_META_CONTEXT, meta_payload(name, []))
    reps = opt_replies(s, OPT_LIST_META_CONTEXT)
    check([d[4:] for t, d in reps if t == REP_META_CONTEXT] == [b"base:allocation"],
          "LIST_META_CONTEXT with no query lists base:allocation")
    send_opt(s, OPT_LIST_META_CONTEXT, meta_payload(name, ["x-unknown:thing", "base:"]))
    reps = opt_replies(s, OPT_LIST_META_CONTEXT)
    check([d[4:] for t, d in reps if t == REP_META_CONTEXT] == [b"base:allocation"],
          "'base:' lists base:allocation, an unknown namespace is ignored")
    send_opt(s, OPT_SET_META_CONTEXT, meta_payload(name, ["x-unknown:thing"]))
    reps = opt_replies(s, OPT_SET_META_CONTEXT)
    check(reps == [(REP_ACK, b"")], "SET_META_CONTEXT of an unknown namespace selects none")
    if SERVER != "nbdkit":  # nbdkit drops a client sending a huge option
        send_opt(s, 99, b"\0" * (100 << 10))
        check(opt_replies(s, 99)[-1][0] == REP_ERR_TOO_BIG, "a 100 KiB option -> ERR_TOO_BIG")
    send_opt(s, OPT_INFO, info_payload(name, (INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE)))
    reps = opt_replies(s, OPT_INFO)
    infos = {struct.unpack(">H", d[:2])[0]: d[2:] for t, d in reps if t == REP_INFO}
    check(reps[-1][0] == REP_ACK and INFO_EXPORT in infos, "INFO always sends INFO_EXPORT")
    if SERVER != "nbdkit":
        check(infos.get(INFO_BLOCK_SIZE) == struct.pack(">III", 1, 4096, 32 << 20),
              "INFO_BLOCK_SIZE is 1 / 4096 / 32 MiB")
    send_opt(s, OPT_ABORT)
    check(opt_replies(s, OPT_ABORT)[-1][0] == REP_ACK, "ABORT is acknowledged")
    check(closed_by_server(s), "and the server closes")

    for flags, extra in ((3, 0), (1, 124)):
        s = connect(path)
        greet(s, flags)
        n = name.encode()
        send_opt(s, OPT_EXPORT_NAME, n)
        size, tf = struct.unpack(">QH", recv_exact(s, 10))
        if extra:
            check(recv_exact(s, extra) == b"\0" * extra, "124 zero bytes without NO_ZEROES")
        check(size > 0, "EXPORT_NAME enters transmission (NO_ZEROES %s)" % bool(flags & 2))
        pending = {5: 512}
        send_req(s, CMD_READ, 0, 512, cookie=5)
        r = read_reply(s, pending)
        check(r.simple and r.error == 0 and len(r.data[None]) == 512,
              "without structured replies a READ gets a simple reply")
        s.close()
    if SERVER != "nbdkit":
        s = connect(path)
        greet(s)
        send_opt(s, OPT_EXPORT_NAME, b"no-such-export")
        check(closed_by_server(s), "EXPORT_NAME of an unknown export closes the connection")


def sc_many(path, name, args):
    """N clients connected at once, each writing and reading its own block."""
    n = int(args[0]) if args else 100
    socks = []
    for i in range(n):
        s, size, _ = session(path, name)
        socks.append(s)
    check(len(socks) == n, "%d connections negotiated at once" % n)
    errors = []

    def work(i, s):
        try:
            data = bytes([i % 251 + 1]) * 4096
            if do(s, CMD_WRITE, i * 4096, 4096, payload=data).error:
                errors.append("write %d failed" % i)
            r = do(s, CMD_READ, i * 4096, 4096)
            if r.error or read_bytes(r, i * 4096, 4096) != data:
                errors.append("read %d wrong" % i)
            send_req(s, CMD_DISC, 0, 0)
            s.close()
        except Exception as e:  # reported below, not lost in a thread
            errors.append("client %d: %s" % (i, e))

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 3)
    check(not any(t.is_alive() for t in threads), "every client finished")
    check(not errors, "every client read back its own block %s" % errors[:3])


def sc_cycles(path, name, args):
    """N connect/disconnect cycles, ending in every way a client can end."""
    n = int(args[0]) if args else 1000
    for i in range(n):
        s = connect(path)
        way = i % 5
        if way == 0:  # gone right after the greeting
            recv_exact(s, 18)
        elif way == 1:  # NBD_OPT_ABORT
            greet(s)
            send_opt(s, OPT_ABORT)
            opt_replies(s, OPT_ABORT)
        else:
            greet(s)
            send_opt(s, OPT_GO, info_payload(name))
            opt_replies(s, OPT_GO)
            if way == 2:  # a read, then DISC
                pending = {1: 512}
                send_req(s, CMD_READ, 0, 512, cookie=1)
                read_reply(s, pending)
                send_req(s, CMD_DISC, 0, 0)
            elif way == 3:  # a request left unanswered
                send_req(s, CMD_READ, 0, 4096, cookie=1)
            # way 4: EOF between requests, as fio does
        s.close()
    check(True, "%d connect/disconnect cycles" % n)


def sc_hold(path, name, args):
    """Keeps N sessions open, each with a request in flight now and then,
    until the server closes them (for the shutdown test). Prints 'ready'
    once connected."""
    n = int(args[0]) if args else 4
    socks = [session(path, name)[0] for _ in range(n)]
    print("ready", flush=True)
    closed = 0
    deadline = time.monotonic() + 60
    for s in socks:
        try:
            while time.monotonic() < deadline:
                pending = {3: 65536}
                send_req(s, CMD_READ, 0, 65536, cookie=3)
                r = read_reply(s, pending)
                if r.error == ESHUTDOWN:
                    break
        except (EOFError, ConnectionResetError, BrokenPipeError):
            pass
        closed += 1
    check(closed == n, "the server ended all %d sessions" % n)


SCENARIOS = {
    "garbage": sc_garbage,
    "truncated": sc_truncated,
    "errors": sc_errors,
    "bigstatus": sc_bigstatus,
    "readonly": sc_readonly,
    "options": sc_options,
    "many": sc_many,
    "cycles": sc_cycles,
    "hold": sc_hold,
}


def main():
    global SERVER
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default="nbdmem", choices=("nbdmem", "nbdkit", "vctl"))
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("socket")
    ap.add_argument("export", nargs="?", default="")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    SERVER = a.server
    try:
        SCENARIOS[a.scenario](a.socket, a.export, a.args)
    except (Fail, EOFError, OSError) as e:
        print("FAIL: %s: %s" % (a.scenario, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
