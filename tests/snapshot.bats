#!/usr/bin/env bats
# vctl snapshot: sharing chains, copy on first write, delete anywhere,
# and the randomized model (tests/snapshot-model). (A chain drawn by
# vctl dump tree: dump_tree.bats.)

load test_helper
load serve_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 64M 3
	SOCK=$P/vctl.sock
	SERVE_PID=
	head -c 3M /dev/urandom >"$D/a"
	head -c 1M /dev/urandom >"$D/b"
}

teardown() {
	stop_serve
}

# full_pool SIZE: a new pool of 4 x 24M whose thick volume v of SIZE holds
# random bytes (kept in $D/full)
full_pool() {
	rm -rf "$P"
	vctl -p "$P" init --disks 4 --disk-size 24M -q
	vctl -p "$P" create v --size "$1" --thick -q
	head -c "$1" /dev/urandom >"$D/full"
	vctl -p "$P" write v "$D/full" -q
}

@test "a snapshot keeps the contents of the instant; both stay writable" {
	vctl -p "$P" create v --size 8M --raid 5 -q
	vctl -p "$P" write v "$D/a" -q
	before=$(sum v)
	run -0 vctl -p "$P" snapshot v s
	assert_output "created snapshot s of v"
	vctl -p "$P" write v --offset 1000000 "$D/b" -q
	[ "$(sum s)" = "$before" ]
	[ "$(sum v)" != "$before" ]
	# writing the snapshot changes only the snapshot
	after=$(sum v)
	vctl -p "$P" write s --offset 5000 "$D/b" -q
	[ "$(sum v)" = "$after" ]
	vctl -p "$P" read s --offset 5000 --length 1M | cmp - "$D/b"
	run -0 vctl -p "$P" check
}

@test "--json snapshot, list and show name the origin, shared and exclusive bytes" {
	vctl -p "$P" create v --size 8M -q
	vctl -p "$P" write v "$D/a" -q
	run -0 --separate-stderr vctl -p "$P" --json snapshot v s
	[ "$(jq -r .name <<<"$output")" = s ]
	[ "$(jq -r .origin <<<"$output")" = v ]
	run -0 --separate-stderr vctl -p "$P" --json list
	[ "$(jq -r '.volumes[] | select(.name == "s") | .origin' <<<"$output")" = v ]
	[ "$(jq '.volumes[] | select(.name == "s") | .allocated' <<<"$output")" = 0 ]
	shared=$(jq '.volumes[] | select(.name == "s") | .shared' <<<"$output")
	[ "$shared" -ge 3145728 ]
	[ "$(jq '.volumes[] | select(.name == "v") | .exclusive' <<<"$output")" = 0 ]
	# a copy on first write: 1 MiB becomes exclusive to each
	vctl -p "$P" write v --offset 1M "$D/b" -q
	run -0 --separate-stderr vctl -p "$P" --json show s
	[ "$(jq .exclusive <<<"$output")" = 1048576 ]
	[ "$(jq -r .successor <<<"$output")" = v ]
	[ "$(jq .predecessor <<<"$output")" = null ]
	run -0 vctl -p "$P" show v
	assert_line "predecessor   s"
}

@test "a snapshot of a snapshot goes into the chain right before it" {
	vctl -p "$P" create v --size 4M -q
	vctl -p "$P" write v "$D/a" -q
	vctl -p "$P" snapshot v s -q
	vctl -p "$P" write v "$D/b" -q
	vctl -p "$P" snapshot s ss -q
	run -0 --separate-stderr vctl -p "$P" --json dump tree v
	[ "$(jq -c '[.chain[].name]' <<<"$output")" = '["ss","s","v"]' ]
	head -c 3M "$D/a" | cmp - <(vctl -p "$P" read ss --length 3M)
	vctl -p "$P" write s --offset 0 "$D/b" -q
	head -c 3M "$D/a" | cmp - <(vctl -p "$P" read ss --length 3M)
	run -0 vctl -p "$P" check
}

@test "delete any member: the newest, one in the middle, the origin, the oldest; the rest keep their bytes" {
	vctl -p "$P" create v --size 6M --raid 1 -q
	vctl -p "$P" write v "$D/a" -q
	run -0 --separate-stderr vctl -p "$P" --json status
	free0=$(jq .free <<<"$output")
	for s in s1 s2 s3 s4; do
		vctl -p "$P" snapshot v "$s" -q
		head -c 700000 /dev/urandom | vctl -p "$P" write v --offset $((RANDOM * 64)) -q
		head -c 5000 /dev/urandom | vctl -p "$P" write "$s" --offset $((RANDOM * 64)) -q
	done
	for n in s1 s2 s3 s4 v; do
		eval "sum_$n='$(sum "$n")'"
	done
	for gone in s4 s2 v s1; do
		run -0 vctl -p "$P" delete "$gone"
		for n in s1 s2 s3 s4 v; do
			vctl -p "$P" show "$n" >/dev/null 2>&1 || continue
			want=sum_$n
			[ "$(sum "$n")" = "${!want}" ] || fail "$n changed when $gone was deleted"
		done
		run -0 vctl -p "$P" check
	done
	vctl -p "$P" delete s3 -q
	# every segment nobody references any more is freed
	run -0 --separate-stderr vctl -p "$P" --json status
	[ "$(jq .free <<<"$output")" -eq "$free0" ] || [ "$(jq .free <<<"$output")" -gt "$free0" ]
	[ "$(jq .volumes <<<"$output")" -eq 0 ]
}

@test "grow and shrink members of a chain" {
	vctl -p "$P" create v --size 4M -q
	vctl -p "$P" write v "$D/a" -q
	vctl -p "$P" snapshot v s -q
	want=$(head -c 2M "$D/a" | cksum)
	# shrinking the origin: the snapshot keeps what it read through it
	vctl -p "$P" resize v --size 1M --force -q
	[ "$(vctl -p "$P" read s --length 2M | cksum)" = "$want" ]
	vctl -p "$P" resize v --size 6M -q
	[ "$(vctl -p "$P" read v --offset 1M --length 5M | cksum)" = "$(head -c 5M /dev/zero | cksum)" ]
	vctl -p "$P" resize s --size 8M -q
	[ "$(vctl -p "$P" read s --length 2M | cksum)" = "$want" ]
	run -0 vctl -p "$P" check
}

@test "refusals: unknown volume, existing name, bad name, wrong arguments; the pool is unchanged" {
	vctl -p "$P" create v --size 4M -q
	vctl -p "$P" write v "$D/b" -q
	before=$(images_sum "$P")
	run -2 vctl -p "$P" snapshot nosuch s
	assert_output "vctl snapshot: no volume named nosuch"
	run -3 vctl -p "$P" snapshot v v
	assert_output "vctl snapshot: a volume named v exists already"
	run -1 vctl -p "$P" snapshot v 'bad/name'
	assert_output --partial "vctl snapshot: 'bad/name' is not a valid name"
	assert_one_line
	run -1 vctl -p "$P" snapshot v
	assert_one_line
	run -1 vctl -p "$P" snapshot v a b
	assert_one_line
	run -1 vctl -p "$P" snapshot v s --bogus
	assert_one_line
	assert_unchanged "$P" "$before"
	run -2 vctl -p "$P" dump tree nosuch
	assert_output "vctl dump tree: no volume named nosuch"
}

@test "out of space for a copy on first write: the snapshots are invalidated, never the origin's write" {
	full_pool 60M
	vctl -p "$P" snapshot v s -q
	vctl -p "$P" snapshot v s2 -q
	head -c 50M /dev/urandom >"$D/new50"
	run -0 vctl -p "$P" write v "$D/new50"
	vctl -p "$P" read v --length 50M | cmp - "$D/new50"
	run -4 vctl -p "$P" read s
	assert_output "vctl read: snapshot s is invalid: a copy on first write found no space to keep its data; delete it"
	run -4 vctl -p "$P" write s2 "$D/b"
	assert_one_line
	run -0 --separate-stderr vctl -p "$P" --json list
	[ "$(jq -r '.volumes[] | select(.name == "s") | .state' <<<"$output")" = invalid ]
	[ "$(jq -r '.volumes[] | select(.name == "v") | .state' <<<"$output")" = ok ]
	run -0 vctl -p "$P" check
	assert_output --partial "note: snapshot s is invalid"
	vctl -p "$P" delete s -q
	vctl -p "$P" delete s2 -q
	run -0 vctl -p "$P" check
	refute_output --partial invalid
	vctl -p "$P" read v --length 50M | cmp - "$D/new50"
}

@test "--reserve sets the space aside: its copies always fit, others are refused instead" {
	full_pool 32M
	run -0 --separate-stderr vctl -p "$P" --json status
	free0=$(jq .free <<<"$output")
	run -0 vctl -p "$P" snapshot v s --reserve
	run -0 --separate-stderr vctl -p "$P" --json show s
	reserved=$(jq .reserved <<<"$output")
	[ "$reserved" -eq 33554432 ]
	run -0 --separate-stderr vctl -p "$P" --json status
	[ "$(jq .reserved <<<"$output")" -eq "$reserved" ]
	[ "$(jq .free <<<"$output")" -eq $((free0 - reserved)) ]
	# a second reserved snapshot does not fit: refused, nothing changes
	before=$(images_sum "$P")
	run -3 vctl -p "$P" snapshot v s2 --reserve
	assert_output --regexp "^vctl snapshot: a snapshot of v with --reserve needs 32.0 MiB set aside; .* is free$"
	assert_unchanged "$P" "$before"
	# the reserve is not free for others: a new volume cannot take it
	vctl -p "$P" create other --size 64M -q
	run -3 vctl -p "$P" write other "$D/full"
	assert_output --partial "reserved for snapshots"
	# the origin rewrites everything: every copy fits, s stays valid
	head -c 32M /dev/urandom >"$D/new"
	vctl -p "$P" write v "$D/new" -q
	vctl -p "$P" read s | cmp - "$D/full"
	run -0 --separate-stderr vctl -p "$P" --json list
	[ "$(jq -r '.volumes[] | select(.name == "s") | .state' <<<"$output")" = ok ]
	run -0 vctl -p "$P" check
	# deleting it gives everything back
	vctl -p "$P" delete s -q
	vctl -p "$P" delete other -q
	run -0 --separate-stderr vctl -p "$P" --json status
	[ "$(jq .reserved <<<"$output")" -eq 0 ]
	[ "$(jq .free <<<"$output")" -eq "$free0" ]
}

@test "--reserve is spent by copies only, not by the snapshot's own writes to holes" {
	vctl -p "$P" create h --size 64M -q
	head -c 1M "$D/b" | vctl -p "$P" write h -q
	vctl -p "$P" snapshot h hs --reserve -q
	r0=$(vctl -p "$P" --json show hs | jq .reserved)
	[ "$r0" -gt 0 ]
	head -c 1M "$D/b" | vctl -p "$P" write hs --offset 40M -q
	[ "$(vctl -p "$P" --json show hs | jq .reserved)" -eq "$r0" ]
	# a copy on first write into it draws on it
	head -c 4096 "$D/b" | vctl -p "$P" write h -q
	[ "$(vctl -p "$P" --json show hs | jq .reserved)" -lt "$r0" ]
	run -0 vctl -p "$P" check
}

@test "a snapshot of 1 GiB written takes as long as one of 1 MiB (metadata only)" {
	rm -rf "$P"
	vctl -p "$P" init --disks 4 --disk-size 400M -q
	vctl -p "$P" create big --size 1G --thick -q
	vctl -p "$P" create small --size 1G -q
	head -c 1M /dev/urandom | vctl -p "$P" write small -q
	t0=$EPOCHREALTIME
	vctl -p "$P" snapshot big sbig -q
	t1=$EPOCHREALTIME
	vctl -p "$P" snapshot small ssmall -q
	t2=$EPOCHREALTIME
	echo "# snapshot of 1 GiB written: $(awk "BEGIN{print ($t1-$t0)*1000}") ms; of 1 MiB: $(awk "BEGIN{print ($t2-$t1)*1000}") ms" >&3
	# no data moved: the snapshot owns nothing
	run -0 --separate-stderr vctl -p "$P" --json show sbig
	[ "$(jq .allocated <<<"$output")" = 0 ]
	[ "$(jq .shared <<<"$output")" = 1073741824 ]
}

@test "online: snapshots taken while clients write are exact instants, exported at once; snapclone under fio; fio verifies" {
	require fio
	command -v nbdsh >/dev/null || skip "needs nbdsh"
	python3 -c 'import nbd' 2>/dev/null || PY=/usr/bin/python3
	vctl -p "$P" create v --size 32M --raid 5 -q
	vctl -p "$P" create busy --size 32M --raid 10 --width 2 -q
	start_serve
	fio --name=w --ioengine=nbd --uri="$(uri busy)" --rw=randwrite --bs=4k --iodepth=16 \
		--size=24M --loops=3 --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
		--output-format=json --output="$D/fio.json" &
	fio_pid=$!
	# One writer stamps every 4 KiB block of v with (block, generation),
	# in order, each write acknowledged before the next; a snapshot taken
	# meanwhile must hold generation 2 up to some block and 1 after it.
	run -0 timeout 120 "${PY:-python3}" - "$(uri v)" "$(uri s)" "$VCTL" "$P" <<'PY'
import subprocess, sys, threading, nbd
uri_v, uri_s, vctl, pool = sys.argv[1:]
BS = 4096
h = nbd.NBD(); h.connect_uri(uri_v)
n = h.get_size() // BS
blk = lambda i, g: (b"%08d:%08d:" % (i, g)).ljust(BS, b"x")
for i in range(n):
    h.pwrite(blk(i, 1), i * BS)
h.flush()
snap = threading.Thread(target=lambda: subprocess.run([vctl, "-p", pool, "snapshot", "v", "s", "-q"], check=True))
for i in range(n):
    if i == n // 8:
        snap.start()
    h.pwrite(blk(i, 2), i * BS)
snap.join()
s = nbd.NBD(); s.connect_uri(uri_s)
got = [s.pread(BS, i * BS) for i in range(n)]
cut = next((i for i in range(n) if got[i] != blk(i, 2)), n)
bad = [i for i in range(cut, n) if got[i] != blk(i, 1)]
assert not bad, "snapshot is no instant: block %d (cut at %d) holds %r" % (bad[0], cut, got[bad[0]][:18])
assert all(h.pread(BS, i * BS) == blk(i, 2) for i in range(n)), "the origin lost writes"
print(cut, n)
PY
	echo "# the snapshot holds generation 2 up to block ${output% *} of ${output#* }" >&3
	vctl -p "$P" snapshot busy busy.snap -q
	run -0 nbdinfo --size "$(uri busy.snap)"
	assert_output 33554432
	# a snapclone of the volume fio writes, copied to the end meanwhile
	run -0 --separate-stderr vctl -p "$P" --json snapclone busy busy.clone --wait
	[ "$(jq .done <<<"$output")" = true ]
	run -0 --separate-stderr vctl -p "$P" --json dump tree busy.clone
	[ "$(jq -c '[.chain[].name]' <<<"$output")" = '["busy.clone"]' ]
	wait "$fio_pid"
	[ "$(jq '[.jobs[].error] | add' "$D/fio.json")" -eq 0 ]
	run -0 vctl -p "$P" check
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	run -0 vctl -p "$P" check
}

@test "kill -9 after a snapshot took its own copy of an RSEG its origin then overwrote: the snapshot keeps its bytes" {
	# tests/stress found it: the snapshot's copy was not committed before
	# the origin wrote over the slot the snapshot read through on disk.
	# Two writes, neither flushed, then the crash.
	vctl -p "$P" create v --size 4M --raid 0 -q
	start_serve
	qemu-io -f raw -c "write -P 0x11 0 128k" -c flush "$(uri v)" >/dev/null
	vctl -p "$P" snapshot v s -q
	# The first copy allocates the snapshot an RStore (and commits); the
	# second goes into a free slot of it, with no commit of its own. Not
	# qemu-io: it flushes when it closes.
	python3 -c 'import nbd' 2>/dev/null || PY=/usr/bin/python3
	"${PY:-python3}" - "$(uri s)" "$(uri v)" <<'PY'
import nbd, sys
s, v = nbd.NBD(), nbd.NBD()
s.connect_uri(sys.argv[1])
v.connect_uri(sys.argv[2])
s.pwrite(b"\x22" * 4096, 68 << 10)
s.pwrite(b"\x22" * 4096, 4 << 10)
v.pwrite(b"\x33" * 4096, 8 << 10)
PY
	kill -KILL "$SERVE_PID"
	wait "$SERVE_PID" || true
	SERVE_PID=
	run -0 vctl -p "$P" check
	# the origin's unflushed write may or may not be there; the snapshot
	# holds its copy's bytes or the instant's, never the origin's new ones
	vctl -p "$P" read s --offset 8k --length 4k | cmp - <(head -c 4k /dev/zero | tr '\0' '\021')
}

@test "the randomized model: every member reads back the model's bytes, check clean" {
	command -v python3 >/dev/null || skip "needs python3"
	# make check: a short pass; make check-long (VCTL_LONG=1): a long one
	local steps=150 seconds=90
	[ -z "${VCTL_LONG:-}" ] || steps=3000 seconds=1200
	run -0 "$BATS_TEST_DIRNAME/snapshot-model" --steps "${SNAPSHOT_MODEL_STEPS:-$steps}" \
		--seconds "${SNAPSHOT_MODEL_SECONDS:-$seconds}" --dir "$D"
	echo "# ${lines[-1]}" >&3
}
