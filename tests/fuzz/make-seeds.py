#!/usr/bin/env python3
"""Regenerates the seed corpus of tests/fuzz (see tests/fuzz/README.md).

    tests/fuzz/make-seeds.py [VCTL]      (default: build/vctl)

Makes four small pools with VCTL in a temporary directory (one of them an
init stopped before its commit point by VCTL_FAULT), cuts labels and MLDs
out of them, derives the damaged variants, and rewrites every seed under
tests/fuzz/corpus/{label,mld}; writes the patch scripts of
tests/fuzz/corpus/open (they need no pool). Crash reproducers (crash-*) and
inputs kept from fuzzing runs (fuzzed-*) are left alone.
Run it when the format changes, then replay: every seed must still be
"ok". Needs python3; `make check` does not.
"""
import atexit, os, shutil, struct, subprocess, sys, tempfile, zlib

KiB = 1024
here = os.path.dirname(os.path.abspath(__file__))
vctl = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(here, '..', '..', 'build', 'vctl'))
out = os.path.join(here, 'corpus')
G = tempfile.mkdtemp(prefix='vctl-seeds.')
atexit.register(shutil.rmtree, G, True)
pool6, pool1, pend, pg = (os.path.join(G, n) for n in ('p6', 'p1', 'pp', 'pg'))

def run(*args, env=None, check=True):
    r = subprocess.run([vctl] + list(args), env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if check and r.returncode != 0:
        sys.exit('%s: %s' % (' '.join(args), r.stderr.decode().strip()))

run('-p', pool6, 'init', '--disks', '6', '--disk-size', '16M', '--enclosures', '3',
    '--pseg-size', '256K')
run('-p', pool1, 'init', '--disks', '1', '--disk-size', '16M', '--pseg-size', '256K')
# Stopped (SIGKILL) at its 12th write or flush: both disks carry PENDING
# labels A and B, no MLD yet. The asserts below notice if that moves.
run('-p', pend, 'init', '--disks', '2', '--disk-size', '16M', '--enclosures', '2',
    '--pseg-size', '256K', env=dict(os.environ, VCTL_FAULT='stop@12'), check=False)
os.makedirs(pg)
for n in ('rack-a.img', 'rack-b.img', 'shelf_03.img'):
    with open(os.path.join(pg, n), 'wb') as f:
        f.truncate(16 << 20)
run('-p', pg, 'init', '--pseg-size', '1M', '--mld-slot-size', '64K', '--quorum', '2',
    pg + '/rack-a.img:enclosure=rack-A.row-1', pg + '/rack-b.img:enclosure=rack-B.row-1',
    pg + '/shelf_03.img:enclosure=rack-A.row-1')

def rd(path, off, n):
    with open(path, 'rb') as f:
        f.seek(off); return bytearray(f.read(n))

def put(path, data):
    with open(path, 'wb') as f: f.write(bytes(data))

def u16(b, o, v): struct.pack_into('<H', b, o, v)
def u32(b, o, v): struct.pack_into('<I', b, o, v)
def u64(b, o, v): struct.pack_into('<Q', b, o, v)
def g32(b, o): return struct.unpack_from('<I', b, o)[0]

def seal_label(b): u32(b, 4092, zlib.crc32(bytes(b[:4092]))); return b
def seal_mld(b):
    total = g32(b, 12)
    u32(b, 72, zlib.crc32(bytes(b[128:total])))
    u32(b, 124, zlib.crc32(bytes(b[:124])))
    return b

L = os.path.join(out, 'label'); M = os.path.join(out, 'mld')
for d in (L, M):
    os.makedirs(d, exist_ok=True)
    for n in os.listdir(d):
        if not n.startswith(('crash-', 'fuzzed-')):
            os.unlink(os.path.join(d, n))

a = rd(pool6 + '/disk0.img', 0, 4096)
b = rd(pool6 + '/disk0.img', 256 * KiB, 4096)
b5 = rd(pool6 + '/disk5.img', 256 * KiB, 4096)
pa = rd(pend + '/disk0.img', 0, 4096)
pb = rd(pend + '/disk1.img', 256 * KiB, 4096)
assert a[:8] == b'VCTLLABL' and g32(a, 68) == 0 and g32(b, 68) == 1
assert g32(pa, 28) == 1 and g32(pb, 28) == 1 and g32(pb, 68) == 1
put(L + '/valid-copy-a-disk0', a)
put(L + '/valid-copy-b-disk0', b)
put(L + '/valid-copy-b-disk5-encl-e2', b5)
put(L + '/valid-pending-copy-a-gen1-interrupted-init', pa)
put(L + '/valid-pending-copy-b-gen1-disk1-interrupted-init', pb)
x = bytearray(a); x[4092] ^= 0x01; put(L + '/bad-crc-stored', x)
x = bytearray(a); x[72] ^= 0x40; put(L + '/bad-crc-label-gen-flipped', x)
put(L + '/refused-truncated-4095-bytes', a[:4095])
put(L + '/refused-truncated-header-only-16-bytes', a[:16])
x = bytearray(a); u16(x, 10, 2); put(L + '/refused-future-version-2-sealed', seal_label(x))
x = bytearray(a); u32(x, 16, 1); put(L + '/refused-unknown-incompat-bit0-sealed', seal_label(x))
x = bytearray(a); x[144:208] = b'e' * 64; put(L + '/valid-enclosure-name-64-bytes-sealed', seal_label(x))

def mld(path):
    s = rd(path, 512 * KiB + 768 * KiB, 768 * KiB)
    assert s[:8] == b'VCTL_MLD'
    return s[:g32(s, 12)]

m1 = mld(pool1 + '/disk0.img'); m6 = mld(pool6 + '/disk0.img')
assert len(m1) == 128 + 88 + 96 + 320 and len(m6) == 128 + 88 + 3 * 96 + 6 * 320
put(M + '/valid-1-disk-1-encl', m1)
put(M + '/valid-6-disks-3-encl', m6)
x = bytearray(m6); x[124] ^= 1; put(M + '/bad-crc-header', x)
x = bytearray(m6); x[len(x) - 264] ^= 1; put(M + '/bad-crc-payload-disk5-added-flipped', x)
put(M + '/refused-truncated-by-1-byte', m6[:-1])
put(M + '/refused-truncated-header-100-bytes', m6[:100])
x = bytearray(m6); u16(x, 10, 2); put(M + '/refused-future-version-2-sealed', seal_mld(x))
x = bytearray(m6); u16(x, len(x) - 320, 99); put(M + '/refused-unknown-record-type-99-sealed', seal_mld(x))
x = bytearray(m6); u16(x, 128 + 88 + 2, 2); put(M + '/refused-enclosure-record-version-2-sealed', seal_mld(x))
# A valid MLD with the fields a fresh init leaves zero set: enclosure
# ratings, a failed disk, pool next_id, compat/ro_compat bits (ignorable).
x = bytearray(m6)
e0 = 128 + 88
for i in range(3):
    u64(x, e0 + i * 96 + 8 + 8, 100 * (i + 1))      # mbps
    u64(x, e0 + i * 96 + 8 + 16, 10000 * (i + 1))   # iops
d0 = e0 + 3 * 96
u32(x, d0 + 5 * 320 + 8 + 8, 2)                     # disk 5 failed
u64(x, 128 + 8 + 32, 1234)                          # next_id
u32(x, 20, 0x80000000); u32(x, 24, 0x1)             # compat, ro_compat
put(M + '/valid-6-disks-rated-encl-failed-disk-sealed', seal_mld(x))
# The longest disk name the struct holds: 255 bytes and one NUL.
x = bytearray(m6)
name = 128 + 88 + 3 * 96 + 320 + 8 + 56             # disk record 1's name
x[name:name + 256] = b'n' * 255 + b'\0'
put(M + '/valid-disk-name-255-bytes-sealed', seal_mld(x))
# No records at all: a sealed header with an empty payload.
x = bytearray(m6[:128]); u32(x, 12, 128); u32(x, 28, 0); u64(x, 64, 0)
put(M + '/refused-no-records-header-only-sealed', seal_mld(x))
# A pool with other geometry and named enclosures: 1 MiB PSEGs, 64 KiB MLD
# slots (slot 1 at 576 KiB), 2 quorum copies of 3 disks, user file names.
s = rd(pg + '/rack-b.img', 512 * KiB + 64 * KiB, 64 * KiB)
assert s[:8] == b'VCTL_MLD'
put(M + '/valid-3-disks-2-encl-1M-pseg-64K-slot-named', s[:g32(s, 12)])
put(L + '/valid-copy-a-1M-pseg-64K-slot-encl-rack-B', rd(pg + '/rack-b.img', 0, 4096))
# Every geometry field away from its default, each at a limit, sealed.
x = bytearray(rd(pg + '/shelf_03.img', 256 * KiB, 4096))
u32(x, 108, 1 << 30)        # pseg_size: maximum
u32(x, 112, 64 * KiB)       # rseg_size: minimum
u32(x, 116, 1 << 20)        # lmap_entries: maximum
u32(x, 120, 64)             # rstore_width: maximum
u32(x, 124, 8 << 20)        # mblock_size: the least that holds 2^20 entries
u64(x, 128, 64 * KiB)       # mld_slot_size: minimum
u64(x, 136, 640 * KiB)      # quorum_size
u64(x, 80, 640 * KiB + (8 << 30))  # disk_size
u64(x, 88, 8)               # pseg_count
put(L + '/valid-geometry-at-limits-sealed', seal_label(x))

# Volumes, metadata extents and the RSD table (init makes none yet), added
# to the 6-disk MLD: next_id 3; volume 1 "vol-a" 1 GiB raid10 x2, 64 KiB
# stripes, no L2MAP block yet; volume 2 "snap.of-a" taken from 1, raid5 x3,
# thick, L2MAP at 0x123000; extents 0 (2 copies) and 1 (3 copies); 3 RSD
# blocks through one directory block at 0x456000.
def rec(typ, body):
    r = bytearray(8) + body
    r += bytearray(-len(r) % 8)
    struct.pack_into('<HHI', r, 0, typ, 1, len(r))
    return r
def volume(vid, size, origin, raid, width, stripe, flags, name, l2, succ=0):
    b = bytearray(136)
    struct.pack_into('<QQQQQQIIIIII', b, 0, vid, size, 1795346700, origin, succ, 0, raid, width,
                     stripe, flags, len(l2), 0)
    b[72:72 + len(name)] = name
    for a in l2:
        b += struct.pack('<Q', a)
    return rec(4, b)
def meta(idx, copies, stale=0):
    b = bytearray(40)
    struct.pack_into('<II', b, 0, idx, len(copies))
    for k, (d, p) in enumerate(copies):
        struct.pack_into('<II', b, 8 + 8 * k, d, p)
    struct.pack_into('<I', b, 32, stale)
    return rec(5, b)
def rsdtab(nblocks, dirs):
    return rec(6, struct.pack('<II', nblocks, len(dirs)) + b''.join(struct.pack('<Q', a) for a in dirs))
def mld_with(base, extra_records, next_id):
    hdr, pay = bytearray(base[:128]), bytearray(base[128:])
    u64(pay, 8 + 32, next_id)
    recs = pay + b''.join(extra_records)
    x = hdr + recs
    u32(x, 12, len(x)); u32(x, 28, g32(x, 28) + len(extra_records)); u64(x, 64, len(recs))
    return seal_mld(x)
vols = [volume(1, 1 << 30, 0, 4, 2, 64 * KiB, 0, b'vol-a', [0]),
        volume(2, 1 << 30, 1, 3, 3, 64 * KiB, 1, b'snap.of-a', [0x123000], succ=1)]
metas = [meta(0, [(0, 10), (3, 11)]), meta(1, [(1, 10), (4, 10), (2, 55)], stale=0x4)]
put(M + '/valid-6-disks-2-volumes-2-meta-extents-rsdtab-sealed',
    mld_with(m6, vols + metas + [rsdtab(3, [0x456000])], 3))
# Restripe jobs (type 7): a volume moving from raid0 x3 to its own raid0 x4,
# then the ways a job record can be wrong.
def job(jid, vol, cursor, kind=1, state=1, raid=1, width=3, stripe=64 * KiB, rate=0, pad=0):
    return rec(7, struct.pack('<QQQQQIIIIII', jid, vol, 1795346700, cursor, rate, kind, state,
                              raid, width, stripe, pad))
rv = volume(1, 64 << 20, 0, 1, 4, 64 * KiB, 0, b'moving', [0])
put(M + '/valid-restripe-job-sealed', mld_with(m6, [rv, job(2, 1, 10, rate=1 << 20)], 3))
put(M + '/valid-restripe-job-cancelling-sealed', mld_with(m6, [rv, job(2, 1, 0, state=2)], 3))
put(M + '/refused-job-unknown-kind-sealed', mld_with(m6, [rv, job(2, 1, 0, kind=9)], 3))
put(M + '/refused-job-unknown-state-sealed', mld_with(m6, [rv, job(2, 1, 0, state=7)], 3))
put(M + '/refused-job-volume-missing-sealed', mld_with(m6, [rv, job(2, 5, 0)], 6))
put(M + '/refused-job-id-is-a-volume-sealed', mld_with(m6, [rv, job(1, 1, 0)], 3))
put(M + '/refused-job-cursor-past-end-sealed', mld_with(m6, [rv, job(2, 1, 1 << 20)], 3))
put(M + '/refused-job-same-layout-sealed', mld_with(m6, [rv, job(2, 1, 0, width=4)], 3))
put(M + '/refused-job-bad-layout-sealed', mld_with(m6, [rv, job(2, 1, 0, stripe=3000)], 3))
put(M + '/refused-job-twice-sealed', mld_with(m6, [rv, job(2, 1, 0), job(3, 1, 0)], 4))
put(M + '/refused-job-reserved-set-sealed', mld_with(m6, [rv, job(2, 1, 0, pad=1)], 3))
# The intent --separate enclosure (flag bit 3): on a mirror, not on raid0.
put(M + '/valid-volume-separate-enclosure-sealed',
    mld_with(m6, [volume(1, 64 << 20, 0, 4, 2, 64 * KiB, 8, b'apart', [0])], 2))
put(M + '/refused-volume-raid0-separate-sealed',
    mld_with(m6, [volume(1, 64 << 20, 0, 1, 2, 64 * KiB, 8, b'apart', [0])], 2))
# Sharing chains: a stack of three, then the ways a chain can be wrong.
chain = [volume(1, 1 << 30, 0, 1, 2, 64 * KiB, 0, b'origin', [0]),
         volume(2, 1 << 30, 1, 1, 2, 64 * KiB, 0, b'snap-1', [0], succ=3),
         volume(3, 1 << 30, 1, 1, 2, 64 * KiB, 0, b'snap-2', [0], succ=1)]
put(M + '/valid-snapshot-chain-of-3-sealed', mld_with(m6, chain, 4))
loop = [volume(1, 1 << 30, 0, 1, 2, 64 * KiB, 0, b'a', [0], succ=2),
        volume(2, 1 << 30, 0, 1, 2, 64 * KiB, 0, b'b', [0], succ=1)]
put(M + '/refused-sharing-chain-loop-sealed', mld_with(m6, loop, 3))
fork = chain[:2] + [volume(3, 1 << 30, 1, 1, 2, 64 * KiB, 0, b'snap-2', [0], succ=1)]
fork[1] = volume(2, 1 << 30, 1, 1, 2, 64 * KiB, 0, b'snap-1', [0], succ=1)
put(M + '/refused-two-volumes-same-successor-sealed', mld_with(m6, fork, 4))
put(M + '/refused-successor-missing-sealed',
    mld_with(m6, [volume(1, 1 << 30, 0, 1, 2, 64 * KiB, 0, b'a', [0], succ=2)], 3))
# An empty RSD table is written as no record: a record of 0 blocks would be
# a second encoding of the same MLD.
put(M + '/refused-rsdtab-record-empty-sealed', mld_with(m6, [rsdtab(0, [])], 1))
# The same records in another order (the decoder takes any order after the
# pool record; the encoder writes them grouped by type).
def split(m):
    recs, off = [], 128
    while off < len(m):
        n = g32(m, off + 4); recs.append(m[off:off + n]); off += n
    return recs
rs = split(m6)
shuffled = [rsdtab(3, [0x456000]), metas[1], vols[1]] + rs[4:6] + [rs[3]] + rs[6:] + rs[1:3] + [metas[0], vols[0]]
x = bytearray(m6[:128]) + rs[0] + b''.join(shuffled)
u64(x, 128 + 8 + 32, 3)
u32(x, 12, len(x)); u32(x, 28, 1 + len(shuffled)); u64(x, 64, len(x) - 128)
put(M + '/valid-records-out-of-order-sealed', seal_mld(x))

# Hosts (type 8), domains (type 9) and paths (type 10), on the two volumes
# above: host 3 "web" (uid 1001, any gid), host 4 "web-9" (uid 1001, gid 9),
# domain 5 "slow" (200 IOPS, 7 MB/s, ro), path 6 web -> vol-a (default
# domain), path 7 web-9 -> snap.of-a in slow, ro; next_id 8.
def host(hid, uid, gid, flags, name):
    b = bytearray(88)
    struct.pack_into('<QIIII', b, 0, hid, uid, gid, flags, 0)
    b[24:24 + len(name)] = name
    return rec(8, b)
def domain(did, iops, mbps, flags, name):
    b = bytearray(96)
    struct.pack_into('<QQQII', b, 0, did, iops, mbps, flags, 0)
    b[32:32 + len(name)] = name
    return rec(9, b)
def path(pid, h, v, d, flags):
    return rec(10, struct.pack('<QQQQQII', pid, h, v, d, 1795346800, flags, 0))
hosts = [host(3, 1001, 0, 0, b'web'), host(4, 1001, 9, 1, b'web-9')]
doms = [domain(5, 200, 7, 1, b'slow')]
paths = [path(6, 3, 1, 0, 0), path(7, 4, 2, 5, 1)]
put(M + '/valid-hosts-domain-paths-sealed', mld_with(m6, vols + hosts + doms + paths, 8))
put(M + '/refused-path-to-missing-host-sealed',
    mld_with(m6, vols + hosts + doms + [path(6, 9, 1, 0, 0)], 10))
put(M + '/refused-path-to-missing-domain-sealed',
    mld_with(m6, vols + hosts + doms + [path(6, 3, 1, 9, 0)], 10))
put(M + '/refused-two-paths-one-host-and-volume-sealed',
    mld_with(m6, vols + hosts + doms + [path(6, 3, 1, 0, 0), path(7, 3, 1, 5, 0)], 8))
put(M + '/refused-two-hosts-one-uid-sealed',
    mld_with(m6, vols + [host(3, 1001, 0, 0, b'web'), host(4, 1001, 0, 0, b'web2')], 5))
put(M + '/refused-domain-named-default-sealed',
    mld_with(m6, vols + [domain(3, 0, 0, 0, b'default')], 4))
put(M + '/refused-host-id-of-a-volume-sealed', mld_with(m6, vols + [host(2, 1001, 0, 0, b'web')], 3))

# Requirements (type 11) on the two volumes above: vol-a needs 600 MB/s
# on enclosures 0 and 1 (best fit), snap.of-a 5000 IOPS on enclosure 2
# (first fit); then the ways a requirement record can be wrong.
def req(v, mbps, iops, fit, arrays, pad=None):
    b = bytearray(96)
    struct.pack_into('<QQQII', b, 0, v, mbps, iops, fit, len(arrays))
    for k, a in enumerate(pad if pad is not None else arrays):
        struct.pack_into('<I', b, 32 + 4 * k, a)
    return rec(11, b)
put(M + '/valid-requirements-sealed',
    mld_with(m6, vols + [req(1, 600, 0, 1, [0, 1]), req(2, 0, 5000, 2, [2])], 3))
for name, r in [('requirement-of-missing-volume', [req(9, 600, 0, 1, [0])]),
                ('two-requirements-one-volume', [req(1, 600, 0, 1, [0]), req(1, 5, 0, 1, [1])]),
                ('requirement-no-rate', [req(1, 0, 0, 1, [0])]),
                ('requirement-mbps-beyond-limit', [req(1, 1000001, 0, 1, [0])]),
                ('requirement-fit-3', [req(1, 600, 0, 3, [0])]),
                ('requirement-no-arrays', [req(1, 600, 0, 1, [])]),
                ('requirement-17-arrays', [req(1, 600, 0, 1, list(range(17)), pad=list(range(16)))]),
                ('requirement-array-77', [req(1, 600, 0, 1, [77])]),
                ('requirement-array-twice', [req(1, 600, 0, 1, [1, 1])]),
                ('requirement-unused-slot-set', [req(1, 600, 0, 1, [0], pad=[0, 2])])]:
    put(M + '/refused-' + name + '-sealed', mld_with(m6, vols + r, 3))

# Every "corrupt metadata" refusal of the MLD decoder that `make coverage`
# found unreached (issue 10, acceptance 4), one seed each. Offsets in m6:
# header 0..127 (reserved 76..123), pool record 128 (body 136: uuid,
# created 152, quorum 160, flags 164, next_id 168, geometry 176), three
# enclosure records of 96 bytes at 216 (id +8, reserved +12, name +32),
# six disk records of 320 bytes at 504 (index +8, enclosure +12, state +16,
# flags +20, uuid +24, size +40, pseg_count +48, name +64).
E0, D0 = 216, 216 + 3 * 96
def enc(i): return E0 + 96 * i
def dsk(i): return D0 + 320 * i
def edit(name, *pokes):
    x = bytearray(m6)
    for fn in pokes:
        fn(x)
    put(M + '/refused-' + name + '-sealed', seal_mld(x))
edit('header-reserved-byte-100-set', lambda x: x.__setitem__(100, 1))
edit('record-count-impossible', lambda x: u32(x, 28, 0xffffffff))
edit('pool-record-length-12', lambda x: u32(x, 132, 12))
edit('pool-record-version-0', lambda x: u16(x, 130, 0))
edit('pool-record-typed-as-disk', lambda x: u16(x, 128, 3))
edit('one-record-fewer-than-the-bytes', lambda x: u32(x, 28, g32(x, 28) - 1))
edit('header-pool-uuid-differs', lambda x: x.__setitem__(32, x[32] ^ 1))
edit('zero-pool-uuid', lambda x: x.__setitem__(slice(32, 48), bytes(16)),
     lambda x: x.__setitem__(slice(136, 152), bytes(16)))
edit('pool-flags-unknown', lambda x: u32(x, 164, 0x80000000))
edit('quorum-target-0', lambda x: u32(x, 160, 0))
edit('quorum-target-7-of-6', lambda x: u32(x, 160, 7))
edit('pool-geometry-pseg-0', lambda x: u64(x, 176, 0))
edit('enclosure-name-bad', lambda x: x.__setitem__(slice(enc(0) + 32, enc(0) + 40), b'bad/name'))
edit('enclosure-id-twice', lambda x: u32(x, enc(1) + 8, g32(x, enc(0) + 8)))
edit('enclosure-name-twice', lambda x: x.__setitem__(slice(enc(1) + 32, enc(1) + 96),
                                                     x[enc(0) + 32:enc(0) + 96]))
edit('enclosure-reserved-set', lambda x: u32(x, enc(0) + 12, 1))
edit('disk-index-5000', lambda x: u32(x, dsk(0) + 8, 5000))
edit('disk-state-9', lambda x: u32(x, dsk(0) + 16, 9))
edit('disk-flags-unknown', lambda x: u32(x, dsk(0) + 20, 0x80000000))
edit('disk-enclosure-77', lambda x: u32(x, dsk(0) + 12, 77))
edit('disk-zero-uuid', lambda x: x.__setitem__(slice(dsk(0) + 24, dsk(0) + 40), bytes(16)))
edit('disk-psegs-do-not-fit', lambda x: u64(x, dsk(0) + 48, 1 << 40))
edit('disk-index-twice', lambda x: u32(x, dsk(1) + 8, g32(x, dsk(0) + 8)))
edit('disks-same-uuid', lambda x: x.__setitem__(slice(dsk(1) + 24, dsk(1) + 40),
                                                x[dsk(0) + 24:dsk(0) + 40]))
edit('no-quorum-disk', *[(lambda k: lambda x: u32(x, dsk(k) + 20, 0))(k) for k in range(6)])
edit('disk-name-no-nul', lambda x: x.__setitem__(slice(dsk(0) + 64, dsk(0) + 320), b'n' * 256))
pool_rec = m6[128:216]
put(M + '/refused-two-pool-records-sealed', mld_with(m6, [pool_rec], 1))
x = bytearray(m6[:128]) + m6[E0:E0 + 96] + m6[128:E0] + m6[E0 + 96:]
put(M + '/refused-first-record-not-pool-sealed', seal_mld(x))
# metadata extents, RSD table, volumes, jobs
put(M + '/refused-meta-0-copies-sealed', mld_with(m6, [meta(0, [])], 1))
put(M + '/refused-meta-index-past-count-sealed', mld_with(m6, [meta(5, [(0, 10)])], 1))
put(M + '/refused-meta-stale-all-copies-sealed', mld_with(m6, [meta(0, [(0, 10), (1, 10)], stale=3)], 1))
put(M + '/refused-meta-copy-off-the-disk-sealed', mld_with(m6, [meta(0, [(0, 1 << 30)])], 1))
put(M + '/refused-meta-copy-on-missing-disk-sealed', mld_with(m6, [meta(0, [(77, 10)])], 1))
put(M + '/refused-meta-two-copies-one-disk-sealed', mld_with(m6, [meta(0, [(0, 10), (0, 11)])], 1))
put(M + '/refused-meta-twice-sealed', mld_with(m6, [meta(0, [(0, 10)]), meta(0, [(1, 10)])], 1))
x = bytearray(meta(0, [(0, 10)])); u32(x, 8 + 8 + 8 * 2, 3)
put(M + '/refused-meta-unused-copy-set-sealed', mld_with(m6, [x], 1))
put(M + '/refused-rsdtab-dirs-disagree-sealed', mld_with(m6, [rsdtab(5000, [0x456000])], 1))
put(M + '/refused-rsdtab-twice-sealed', mld_with(m6, [rsdtab(3, [0x456000]), rsdtab(3, [0x456000])], 1))
x = bytearray(rsdtab(3, [0x456000])); u32(x, 12, 2)
put(M + '/refused-rsdtab-length-disagrees-sealed', mld_with(m6, [x], 1))
def v1(**k):
    a = dict(vid=1, size=1 << 30, origin=0, raid=4, width=2, stripe=64 * KiB, flags=0,
             name=b'vol-a', l2=[0])
    a.update(k)
    return volume(**a)
put(M + '/refused-volume-bad-name-sealed', mld_with(m6, [v1(name=b'bad/name')], 2))
put(M + '/refused-volume-id-not-below-next-id-sealed', mld_with(m6, [v1()], 1))
put(M + '/refused-volume-size-0-sealed', mld_with(m6, [v1(size=0, l2=[])], 2))
put(M + '/refused-volume-bad-layout-sealed', mld_with(m6, [v1(stripe=3000)], 2))
put(M + '/refused-volume-flags-unknown-sealed', mld_with(m6, [v1(flags=0x8000)], 2))
put(M + '/refused-volume-l2map-count-wrong-sealed', mld_with(m6, [v1(l2=[0, 0])], 2))
put(M + '/refused-volume-bad-origin-sealed', mld_with(m6, [v1(origin=1)], 2))
put(M + '/refused-volume-twice-sealed', mld_with(m6, [v1(), v1(name=b'vol-b')], 2))
x = bytearray(v1()); u32(x, 8 + 64, 5)
put(M + '/refused-volume-length-disagrees-sealed', mld_with(m6, [x], 2))
x = bytearray(v1()); u64(x, 8 + 40, 1 << 40)
put(M + '/refused-volume-copy-cursor-past-end-sealed', mld_with(m6, [x], 2))
put(M + '/refused-job-id-0-sealed', mld_with(m6, [rv, job(0, 1, 0)], 3))
# The label's "corrupt" refusals (reserved bytes 208..4091, flags at 28,
# copy at 68).
x = bytearray(a); x[300] = 1; put(L + '/refused-reserved-byte-300-set-sealed', seal_label(x))
x = bytearray(a); u32(x, 28, 0x80); put(L + '/refused-unknown-flags-sealed', seal_label(x))
x = bytearray(a); u32(x, 68, 2); put(L + '/refused-copy-2-sealed', seal_label(x))

# ---- fuzz_open: patch scripts over the pool tests/fuzz/fuzz_open.c builds
# (the format is in the comment at the top of that file). They name areas,
# not bytes of a particular pool, so they need no pool here. Edits of a
# metadata block go to each of its 3 copies; "-sealed" ones recompute the
# crc after the edit.
O = os.path.join(out, 'open')
os.makedirs(O, exist_ok=True)
for n in os.listdir(O):
    if not n.startswith(('crash-', 'fuzzed-')):
        os.unlink(os.path.join(O, n))
LABEL_A, LABEL_B, SLOT0, SLOT1 = 0, 1, 2, 3
# fuzz_open's list of the blocks the MLD reaches, ordered by (type, owner,
# index): volumes r5 (id 1), mirror (2), snap (4, r5's predecessor)
L2_R5, L2_MIRROR, L2_SNAP = 4, 5, 6
LMAP_R5_0, LMAP_R5_1, LMAP_MIRROR_0, LMAP_SNAP_0, LMAP_SNAP_1 = 7, 8, 9, 10, 11
RSDDIR, RSDS = 12, 13
MB_HDR, RSD_SLOT = 72, 112

def patch(op, sel, area, off, data=b''):
    return struct.pack('<BBHB', op << 6 | sel, area, off, len(data)) + data
def w(sel, area, off, data): return patch(0, sel, area, off, data)
def xo(sel, area, off, data): return patch(1, sel, area, off, data)
def seal(sel, area): return patch(2, sel, area, 0)
def every_copy(area, *edits, sealed=True):
    """the edits (op, off, data) on each copy of a metadata block"""
    return b''.join(b''.join(patch(op, c, area, off, d) for op, off, d in edits) +
                    (seal(c, area) if sealed else b'') for c in range(3))
W, X = 0, 1
def rsd(off, data, slot=0):
    return every_copy(RSDS, (W, MB_HDR + RSD_SLOT * slot + off, data))
def lmap_entry(area, e, v):
    return every_copy(area, (W, MB_HDR + 4 * e, struct.pack('<I', v)))

seeds = {
    'valid-pristine': b'',
    'valid-stale-block-scribbled': xo(0, 40, 100, b'\xff' * 8) + xo(1, 41, 0, b'\xff'),
    'damaged-label-a-disk0-bad-crc': xo(0, LABEL_A, 4092, b'\x01'),
    'damaged-label-b-disk2-says-copy-a-sealed': xo(2, LABEL_B, 68, b'\x01') + seal(2, LABEL_B),
    'damaged-mld-disk1-both-slots-bad-magic': xo(1, SLOT0, 0, b'\xff') + xo(1, SLOT1, 0, b'\xff'),
    'refused-no-mld-every-slot-bad-magic':
        b''.join(xo(d, s, 0, b'\xff') for d in range(3) for s in (SLOT0, SLOT1)),
    'refused-no-mld-every-slot-zeroed':
        b''.join(w(d, s, 0, bytes(128)) for d in range(3) for s in (SLOT0, SLOT1)),
    # labels flagged PENDING (at 28) and no MLD: an init cut short
    'refused-every-label-pending-no-mld-sealed':
        b''.join(w(d, a, 28, b'\x01') + seal(d, a) for d in range(3) for a in (LABEL_A, LABEL_B)) +
        b''.join(w(d, s, 0, bytes(128)) for d in range(3) for s in (SLOT0, SLOT1)),
    'refused-no-mld-every-payload-flipped':
        b''.join(xo(d, s, 200, b'\x10') for d in range(3) for s in (SLOT0, SLOT1)),
    # metadata block headers
    'damaged-l2-r5-bad-magic': every_copy(L2_R5, (X, 0, b'\x01'), sealed=False),
    'damaged-l2-r5-bad-crc': every_copy(L2_R5, (X, 1000, b'\x01'), sealed=False),
    'damaged-l2-r5-of-another-pool-sealed': every_copy(L2_R5, (X, 16, b'\x01')),
    'damaged-l2-r5-misdirected-sealed': every_copy(L2_R5, (X, 32, b'\x01')),
    'damaged-l2-r5-count-beyond-room-sealed': every_copy(L2_R5, (W, 64, b'\xff\xff')),
    'damaged-l2-r5-reserved-set-sealed': every_copy(L2_R5, (W, 68, b'\x01')),
    'damaged-l2-r5-owner-sealed': every_copy(L2_R5, (X, 48, b'\x08')),
    'damaged-l2-r5-copy0-bad-crc': xo(0, L2_R5, 1000, b'\x01'),
    'damaged-l2-r5-copy1-differs-sealed': xo(1, L2_R5, 1000, b'\x01') + seal(1, L2_R5),
    'damaged-l2-r5-lmap-outside-metadata-space-sealed':
        every_copy(L2_R5, (W, MB_HDR, struct.pack('<Q', 99999))),
    # fuzz_open's allocation: r5's LMAP 0 is block 42
    'damaged-l2-r5-lmap-1-is-lmap-0-sealed':
        every_copy(L2_R5, (W, MB_HDR + 8, struct.pack('<Q', 42))),
    # LMAPs
    'damaged-lmap-r5-1-says-lmap-0-sealed': every_copy(LMAP_R5_1, (X, 56, b'\x01')),
    'damaged-lmap-mirror-entry-past-the-end-sealed': lmap_entry(LMAP_MIRROR_0, 15, 1),
    'damaged-lmap-r5-entry-unknown-flags-sealed': every_copy(LMAP_R5_0, (X, MB_HDR + 3, b'\x80')),
    'damaged-lmap-r5-entry-ss-and-rsd-sealed': every_copy(LMAP_R5_0, (X, MB_HDR + 3, b'\x20')),
    'damaged-lmap-r5-ss-without-successor-sealed': lmap_entry(LMAP_R5_0, 10, 0x20000000),
    'damaged-lmap-r5-rsd-999-sealed': lmap_entry(LMAP_R5_0, 0, 1000),
    'damaged-lmap-r5-count-off-by-one-sealed': every_copy(LMAP_R5_0, (X, 64, b'\x01')),
    # snap has no predecessor; its LMAP 1 counts 2 entries
    'damaged-lmap-snap-sp-without-predecessor-sealed':
        every_copy(LMAP_SNAP_1, (W, MB_HDR + 4 * 15, struct.pack('<I', 0x10000000)),
                   (W, 64, struct.pack('<I', 3))),
    # the RSD table
    'refused-rsd-dir-index-1-sealed': every_copy(RSDDIR, (X, 56, b'\x01')),
    'refused-rsd-dir-entry-0-no-address-sealed': every_copy(RSDDIR, (W, MB_HDR, bytes(8))),
    'refused-rsd-dir-entry-outside-metadata-space-sealed':
        every_copy(RSDDIR, (W, MB_HDR, struct.pack('<Q', 99999))),
    'refused-rsd-dir-bad-crc': every_copy(RSDDIR, (X, 1000, b'\x01'), sealed=False),
    'refused-rsd-block-index-1-sealed': every_copy(RSDS, (X, 56, b'\x01')),
    'refused-rsd-block-count-off-by-one-sealed': every_copy(RSDS, (X, 64, b'\x01')),
    # RSD slots: 0..4 are used (slot 0 a raid5 of width 2 on disks 0, 1, 2)
    'refused-rsd-free-slot-not-zero-sealed': rsd(5, b'\x01', slot=100),
    'refused-rsd-bad-stripe-sealed': rsd(4, struct.pack('<I', 3000)),
    'refused-rsd-4-members-for-raid5-width-2-sealed': rsd(2, b'\x04'),
    'refused-rsd-member-disk-2000-sealed': rsd(8, struct.pack('<H', 2000)),
    'refused-rsd-two-members-on-disk-0-sealed': rsd(8 + 6, struct.pack('<H', 0)),
    'refused-rsd-unused-member-set-sealed': rsd(8 + 6 * 15, b'\x01'),
    'refused-rsd-stale-absent-member-sealed': rsd(104, struct.pack('<H', 0x8000)),
    'refused-rsd-raid0-with-stale-member-sealed':
        every_copy(RSDS, (W, MB_HDR, b'\x01\x03'), (W, MB_HDR + 104, b'\x01')),
    'refused-rsd-reserved-byte-sealed': rsd(106, b'\x01'),
    'refused-rsd-member-pseg-on-metadata-sealed': rsd(10, struct.pack('<I', 0)),
    # sharing (r5's LMAP 0: 0x10000001 0x1 0x10000002 0x10000002; snap's:
    # 0x20000000 0x5 0x20000000 0x20000000; r5's LMAP 1: entries 2 and 3
    # 0x10000003)
    'damaged-lmap-r5-sp-cleared-sealed': every_copy(LMAP_R5_0, (X, MB_HDR + 3, b'\x10')),
    'damaged-lmap-snap-and-r5-own-one-slot-sealed': lmap_entry(LMAP_SNAP_0, 2, 0x2),
    'damaged-lmap-r5-rstore-in-two-places-sealed':
        every_copy(LMAP_R5_1, (W, MB_HDR + 4 * 4, struct.pack('<I', 0x3)),
                   (W, 64, struct.pack('<I', 3))),
    'damaged-lmap-r5-rsd-2-unreferenced-sealed':
        every_copy(LMAP_R5_1, (W, MB_HDR + 4 * 2, bytes(8)), (W, 64, bytes(4))),
    # labels and MLD copies (slot 0 holds the newest generation)
    'damaged-label-geometry-disk1-sealed':
        b''.join(xo(1, a, 120, b'\x01') + seal(1, a) for a in (LABEL_A, LABEL_B)),
    'damaged-label-index-disk2-sealed':
        b''.join(xo(2, a, 64, b'\x01') + seal(2, a) for a in (LABEL_A, LABEL_B)),
    'damaged-mld-disk1-newest-slot-bad-magic': xo(1, SLOT0, 0, b'\xff'),
    # the MLD's RSD table record is at 2672: rsd_blocks at 8 (the metadata
    # space has 44 blocks)
    'refused-mld-rsd-table-beyond-metadata-space-sealed':
        b''.join(w(d, SLOT0, 2680, struct.pack('<I', 44)) + seal(d, SLOT0) for d in range(3)),
    # the MLD's snap volume record is at 1920: flags at 8 + 60
    'valid-mld-snap-invalid-sealed':
        b''.join(xo(d, SLOT0, 1920 + 68, b'\x02') + seal(d, SLOT0) for d in range(3)),
}
for n, b in seeds.items():
    put(os.path.join(O, n), b)
