#!/usr/bin/env bats
# vctl serve: the server's life, online management through it, crashes,
# and its refusals. (The NBD protocol with real clients: interop.bats,
# whose whole suite also runs against vctl serve.)

load test_helper
load serve_helper

setup() {
	require nbdinfo
	require qemu-img
	require qemu-io
	require fio
	D=$BATS_TEST_TMPDIR
	mkpool 6 64M 3
	SOCK=$P/vctl.sock
	SERVE_PID=
}

teardown() {
	stop_serve
	# a --fork server of a failed test: the lock file names it
	local pid
	pid=$(cat "$P/vctl.lock" 2>/dev/null) || pid=
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 200); do
			kill -0 "$pid" 2>/dev/null || return 0
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
}


@test "serve: exports the volumes; SIGTERM drains, commits and exits 0" {
	vctl -p "$P" create v --size 16M --raid 5 -q
	vctl -p "$P" create w --size 8M -q
	start_serve
	run -0 nbdinfo --list --json "nbd+unix://?socket=$SOCK"
	[ "$(jq -r '[.exports[]."export-name"] | join(",")' <<<"$output")" = v,w ]
	[ "$(jq -r '.exports[0].description' <<<"$output")" = "vctl volume v: 16.0 MiB raid5, thin" ]
	head -c 4M /dev/urandom >"$D/data"
	qemu-img convert -n -f raw -O raw "$D/data" "$(uri v)"
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	[ ! -e "$SOCK" ] && [ ! -e "$P/vctl.ctl" ]
	# written through NBD, durable, and the pool closed cleanly
	vctl -p "$P" read v --length 4M | cmp - "$D/data"
	run -0 vctl -p "$P" --json dump mld
	[ "$(jq -r .pool.flags <<<"$output")" = 0x0 ]
	run -0 vctl -p "$P" check
}

@test "serve --fork returns once it accepts; serve --stop ends it" {
	vctl -p "$P" create v --size 8M -q
	run -0 --separate-stderr vctl -p "$P" --json serve --fork
	pid=$(jq .pid <<<"$output")
	[ "$(jq -r .socket <<<"$output")" = "$SOCK" ]
	[ "$(jq .volumes <<<"$output")" = 1 ]
	[ "$(cat "$P/vctl.lock")" = "$pid" ]
	kill -0 "$pid"
	# the socket answers as soon as --fork has returned
	run -0 nbdinfo --size "$(uri v)"
	assert_output 8388608
	run -0 vctl -p "$P" serve --stop
	assert_output "stopped the server of $P"
	! kill -0 "$pid" 2>/dev/null
	[ ! -e "$SOCK" ]
	# in text, the same facts on stderr (a file, not run's pipe: under
	# valgrind the server keeps valgrind's copy of it); --stop in JSON
	run -0 --separate-stderr vctl -p "$P" serve --fork
	assert_output ""
	output=$stderr
	assert_output --regexp "^vctl serve: serving 1 volume on $SOCK \(pid [0-9]+\)$"
	run -0 --separate-stderr vctl -p "$P" --json serve --stop
	[ "$(jq -r .stopped <<<"$output")" = "$P" ]
	grep -q "vctl serve: stopped" "$P/vctl.log"
	run -2 vctl -p "$P" serve --stop
	assert_output "vctl serve: no server is running for the pool in $P"
}

@test "every command works online, with the same output and exit status" {
	vctl -p "$P" create v --size 16M --raid 1 -q
	head -c 1M /dev/urandom | vctl -p "$P" write v --offset 4096 -q
	for args in "list" "--json list" "show v" "--json show v" "dump map v" "--json disk list" "dump volume v"; do
		# shellcheck disable=SC2086
		vctl -p "$P" $args >"$D/offline.$args" 2>&1
	done
	run -2 vctl -p "$P" show nosuch
	offline_err=$output
	start_serve
	for args in "list" "--json list" "show v" "--json show v" "dump map v" "--json disk list" "dump volume v"; do
		# shellcheck disable=SC2086
		vctl -p "$P" $args >"$D/online" 2>&1
		diff "$D/offline.$args" "$D/online" || fail "vctl $args differs online"
	done
	run -2 vctl -p "$P" show nosuch
	[ "$output" = "$offline_err" ]
	# file names are the caller's, relative to its directory
	mkdir "$D/elsewhere"
	cd "$D/elsewhere"
	head -c 64K /dev/urandom >rel.in
	run -0 vctl -p "$P" write v rel.in --offset 2M
	run -0 vctl -p "$P" read v --offset 2M --length 64K -o rel.out
	cmp rel.in rel.out
	run -0 vctl -p "$P" dump label ../pool/disk0.img
	# a pipe between two commands on the served pool: neither holds the
	# lock the other needs for long (a thin copy allocates as it goes)
	vctl -p "$P" create copy --size 16M --raid 5 -q
	run -0 bash -c 'set -o pipefail
		timeout 60 "$1" -p "$2" read v | timeout 60 "$1" -p "$2" write copy -q' - "$VCTL" "$P"
	cmp <(vctl -p "$P" read v) <(vctl -p "$P" read copy)
	run -2 vctl -p "$P" write v no-such-file
	assert_output "vctl write: no-such-file: No such file or directory"
	run -1 vctl -p "$P" create
	assert_output --regexp "^vctl create: "
	# the help needs no server
	run -0 vctl -p "$P" create --help
	# what the server refuses: commands that must run without it
	run -3 vctl -p "$P" init --disks 2 --disk-size 16M --pseg-size 256K
	assert_output --partial "pool is busy"
	run -3 vctl -p "$P" serve
	assert_output --partial "pool is busy"
}

@test "while fio writes with verify: create, status, dump map, check, read run; the new volume is exported at once" {
	vctl -p "$P" create busy --size 32M --raid 5 -q
	start_serve
	fio --name=w --ioengine=nbd --uri="$(uri busy)" --rw=randwrite --bs=4k --iodepth=16 \
		--size=24M --loops=2 --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
		--output-format=json --output="$D/fio.json" &
	fio_pid=$!
	sleep 0.5
	for n in 1 2 3; do
		run -0 vctl -p "$P" create "new$n" --size 4M
		run -0 nbdinfo --size "$(uri "new$n")"
		assert_output 4194304
		run -0 vctl -p "$P" status
		run -0 vctl -p "$P" dump map busy
		run -0 vctl -p "$P" read busy --length 64K -o /dev/null
	done
	run -0 vctl -p "$P" check
	wait "$fio_pid"
	[ "$(jq '[.jobs[].error] | add' "$D/fio.json")" -eq 0 ]
	# while fio was done: the data it wrote is what check verified, too
	run -0 vctl -p "$P" check
}

@test "kill -9 during writes: restart, check is clean, acknowledged writes are there" {
	vctl -p "$P" create v --size 32M --raid 5 -q
	vctl -p "$P" create m --size 16M --raid 1 -q
	start_serve
	head -c 6M /dev/urandom >"$D/flushed"
	# acknowledged with FUA (and a flush): must survive
	qemu-io -f raw -c "write -f -P 0xa5 0 3M" -c flush "$(uri v)" >/dev/null
	qemu-img convert -n -f raw -O raw "$D/flushed" "$(uri m)"
	# then writes nobody flushed, cut off by the crash
	fio --name=w --ioengine=nbd --uri="$(uri v)" --rw=randwrite --bs=4k --iodepth=16 \
		--offset=8M --size=16M --time_based --runtime=30 >/dev/null 2>&1 &
	fio_pid=$!
	sleep 1
	kill -KILL "$SERVE_PID"
	wait "$SERVE_PID" || true
	SERVE_PID=
	wait "$fio_pid" || true
	# the crash left the DIRTY mark: a restart resyncs mirrors and parity
	run -0 vctl -p "$P" --json dump mld
	[ "$(jq -r .pool.flags <<<"$output")" = 0x1 ]
	start_serve
	run -0 vctl -p "$P" check
	refute_output --partial "note:"
	run -0 qemu-io -f raw -c "read -P 0xa5 0 3M" "$(uri v)"
	stop_serve
	vctl -p "$P" read m --length 6M | cmp - "$D/flushed"
}

@test "a volume deleted or shrunk under a client: that client gets errors, the rest goes on" {
	vctl -p "$P" create gone --size 8M -q
	vctl -p "$P" create small --size 8M -q
	vctl -p "$P" create other --size 8M -q
	start_serve
	[ -n "$(command -v nbdsh)" ] || skip "needs nbdsh"
	python3 -c 'import nbd' 2>/dev/null || PY=/usr/bin/python3
	run -0 timeout 60 "${PY:-python3}" - "$(uri gone)" "$(uri small)" "$(uri other)" "$VCTL" "$P" <<'PY'
import nbd, subprocess, sys
g, s, o = (nbd.NBD() for _ in range(3))
for h, u in zip((g, s, o), sys.argv[1:4]):
    h.connect_uri(u)
vctl, pool = sys.argv[4], sys.argv[5]
subprocess.run([vctl, "-q", "-p", pool, "delete", "gone"], check=True)
subprocess.run([vctl, "-q", "-p", pool, "resize", "small", "--size", "1M", "--force"], check=True)
try:
    g.pread(4096, 0)
    sys.exit("read from a deleted volume succeeded")
except nbd.Error as e:
    assert e.errno is not None, e
try:
    s.pwrite(b"x" * 4096, 4 << 20)
    sys.exit("write past a shrunk volume's end succeeded")
except nbd.Error:
    pass
s.pwrite(b"y" * 4096, 0)
o.pwrite(b"z" * 4096, 0)
assert o.pread(4096, 0) == b"z" * 4096
print("ok")
PY
	assert_output ok
	run -0 nbdinfo --list "nbd+unix://?socket=$SOCK"
	refute_output --partial '"gone"'
	kill -0 "$SERVE_PID"
}

@test "TRIM and WRITE_ZEROES give whole RSEGs of a thin volume back to the pool" {
	vctl -p "$P" create v --size 8M -q
	start_serve
	qemu-io -f raw -c "write -P 0x11 0 8M" "$(uri v)" >/dev/null
	run -0 vctl -p "$P" --json show v
	[ "$(jq .allocated <<<"$output")" -eq $((8 << 20)) ]
	qemu-io -f raw -c "discard 0 4M" -c "write -z -u 4M 2M" "$(uri v)" >/dev/null
	run -0 vctl -p "$P" --json show v
	[ "$(jq .allocated <<<"$output")" -eq $((2 << 20)) ]
	run -0 nbdinfo --map "$(uri v)"
	assert_line --regexp '^ *0 +6291456 +3 +hole,zero$'
	run -0 qemu-io -f raw -c "read -P 0 4M 2M" -c "read -P 0x11 6M 2M" "$(uri v)"
}

@test "refusals: socket path too long, socket in use, stale socket, read-only, bad options" {
	vctl -p "$P" create v --size 8M -q
	long=$D/$(printf 'l%.0s' $(seq $((108 - ${#D} - 1))))
	[ ${#long} -eq 108 ]
	run -1 vctl -p "$P" serve --socket "$long"
	assert_output --partial "107"
	assert_one_line
	# a stale socket file (a server that died) is replaced
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
	start_serve
	run -0 nbdinfo --size "$(uri v)"
	# another pool on the same socket: refused, and the first one serves on
	vctl -p "$D/p2" init --disks 2 --disk-size 16M --pseg-size 256K -q
	run -3 vctl -p "$D/p2" serve --socket "$SOCK"
	assert_output --partial "in use"
	run -0 nbdinfo --size "$(uri v)"
	run -1 qemu-img info "$(uri nosuch)"
	assert_output --partial "server reported: no volume named 'nosuch'"
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	# a file that is not a socket is left alone
	echo precious >"$D/file"
	run -3 vctl -p "$P" serve --socket "$D/file"
	[ "$(cat "$D/file")" = precious ]
	run -1 vctl -p "$P" serve --socket-mode 999
	run -1 vctl -p "$P" serve extra
	run -1 vctl -p "$P" serve --stop --fork
	# a read-only server: writes are EPERM
	start_serve --read-only
	run -0 nbdinfo --json "$(uri v)"
	[ "$(jq '.exports[0].is_read_only' <<<"$output")" = true ]
	run -0 timeout 30 "$(command -v python3)" "$BATS_TEST_DIRNAME/nbd/nbdraw.py" --server vctl readonly "$SOCK" v
}

@test "the socket mode is a choice: 0600 by default" {
	vctl -p "$P" create v --size 1M -q
	start_serve
	[ "$(stat -c %a "$SOCK")" = 600 ]
	[ "$(stat -c %a "$P/vctl.ctl")" = 600 ]
	stop_serve
	start_serve --socket-mode 0666
	[ "$(stat -c %a "$SOCK")" = 666 ]
	# the control socket stays the owner's
	[ "$(stat -c %a "$P/vctl.ctl")" = 600 ]
}
