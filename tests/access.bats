#!/usr/bin/env bats
# vctl serve as other users' clients see it (setpriv --reuid/--regid): a
# host sees and opens only what its paths grant, with their access; a
# removed path ends its host's access at the next request; domains
# throttle. (The commands themselves: host.bats, path.bats, domains.bats;
# each path's exact counters: stats.bats. Exact QoS figures:
# tests/bench/qos.)

load test_helper
load serve_helper

setup() {
	users_pool
}

teardown() {
	stop_serve_checked
}

# the md5 of a volume's first MiB, as a client reads it
MD5='import hashlib; print(hashlib.md5(h.pread(1 << 20, 0)).hexdigest())'

@test "host A writes and reads; B (ro, other domain) reads A's bytes, its writes fail" {
	start_serve --socket-mode 0666
	head -c 1M /dev/urandom >"$D/data"
	chmod 644 "$D/data"
	run -0 as $UA nbdcopy "$D/data" "$(uri vol)"
	local want
	want=$(md5sum <"$D/data" | cut -d' ' -f1)
	run -0 as $UA nbdsh -u "$(uri vol)" -c "$MD5"
	assert_output "$want"
	run -0 as $UB nbdsh -u "$(uri vol)" -c "$MD5"
	assert_output "$want"
	# B's export is read-only: libnbd refuses the write itself (EPERM)
	run -1 as $UB nbdsh -u "$(uri vol)" -c 'assert h.is_read_only(); h.pwrite(b"x" * 512, 0)'
	assert_output --partial "Operation not permitted"
	run -0 as $UA nbdsh -u "$(uri vol)" -c 'assert not h.is_read_only()'
	# and A's data is untouched
	vctl -p "$P" read vol --length 1M | cmp - "$D/data"
}

@test "a host without a path, and an unknown uid, see nothing and are refused by policy" {
	start_serve --socket-mode 0666
	run -0 nbdinfo --list --json "nbd+unix://?socket=$SOCK"
	[ "$(jq -r '[.exports[]."export-name"] | join(",")' <<<"$output")" = vol,vol2 ]
	run -0 as $UA nbdinfo --list --json "nbd+unix://?socket=$SOCK"
	[ "$(jq -r '[.exports[]."export-name"] | join(",")' <<<"$output")" = vol ]
	run -0 as $UC nbdinfo --list --json "nbd+unix://?socket=$SOCK"
	[ "$(jq '.exports | length' <<<"$output")" = 0 ]
	run -0 as $UX nbdinfo --list --json "nbd+unix://?socket=$SOCK"
	[ "$(jq '.exports | length' <<<"$output")" = 0 ]
	# refused with NBD_REP_ERR_POLICY and a message (qemu shows both)
	run -1 as $UC qemu-img info "$(uri vol)"
	assert_output --partial "Denied by server for option 7 (go)"
	assert_output --partial "host C has no path to 'vol'"
	run -1 as $UX qemu-img info "$(uri vol)"
	assert_output --partial "Denied by server"
	assert_output --partial "uid $UX gid $UX is not a host of this server"
	# A cannot open a volume it has no path to, nor learn whether one exists
	run -1 as $UA qemu-img info "$(uri vol2)"
	assert_output --partial "host A has no path to 'vol2'"
	run -1 as $UA qemu-img info "$(uri nosuch)"
	assert_output --partial "host A has no path to 'nosuch'"
	# libnbd (1.14 words a policy refusal as ENOTSUP) fails too
	run -1 as $UC nbdinfo "$(uri vol)"
	# the administrator (the server's uid, root) still sees and opens all
	run -0 nbdinfo "$(uri vol2)"
}

@test "the socket is the owner's alone unless --socket-mode opens it" {
	start_serve
	[ "$(stat -c %a "$SOCK")" = 600 ]
	run -1 as $UA nbdinfo "$(uri vol)"
	run -0 nbdinfo "$(uri vol)"
}

@test "a gid binding: only that uid with that gid is the host" {
	vctl -p "$P" host add G --uid 64104 --gid 64110 -q
	vctl -p "$P" path add G vol2 -q
	start_serve --socket-mode 0666
	run -0 setpriv --reuid 64104 --regid 64110 --clear-groups nbdinfo "$(uri vol2)"
	run -1 setpriv --reuid 64104 --regid 64111 --clear-groups qemu-img info "$(uri vol2)"
	assert_output --partial "is not a host of this server"
}

# A client that opens, reads, signals $D/ready, waits for $D/go, then tries
# again and reconnects: what a path removal does to a connected host.
CLIENT='
import nbd, os, sys, time
uri, d = sys.argv[1], sys.argv[2]
h = nbd.NBD(); h.connect_uri(uri); h.pread(512, 0)
open(d + "/ready", "w").close()
for _ in range(400):
    if os.path.exists(d + "/go"): break
    time.sleep(0.05)
for what, f in (("read", lambda: h.pread(512, 0)), ("write", lambda: h.pwrite(b"y" * 512, 0))):
    try: f(); print(what, "ok")
    except nbd.Error as e: print(what, "failed:", e.string)
h2 = nbd.NBD()
try: h2.connect_uri(uri); print("reconnect ok")
except nbd.Error as e: print("reconnect failed:", e.string)
'

# Starts CLIENT as host A on vol and waits until it is connected; sets CPID.
# `go_client` lets it go on and waits for it to end.
start_client() {
	mkdir -m 777 "$D/sync"
	as $UA "$PY" -c "$CLIENT" "$(uri vol)" "$D/sync" >"$D/client.out" 2>&1 &
	CPID=$!
	for _ in $(seq 200); do [ -e "$D/sync/ready" ] && return 0; sleep 0.05; done
	kill $CPID
	cat "$D/client.out"
	fail "the client did not connect"
}

go_client() {
	touch "$D/sync/go"
	wait $CPID
}

@test "removing a path while its host is connected: the next request fails, reconnecting is refused" {
	start_serve --socket-mode 0666
	start_client
	run -0 vctl -p "$P" path remove "$PA"
	go_client
	run cat "$D/client.out"
	assert_line --index 0 "read failed: nbd_pread: read: command failed: Operation not permitted"
	assert_line --index 1 "write failed: nbd_pwrite: write: command failed: Operation not permitted"
	assert_line --index 2 "reconnect failed: nbd_connect_uri: handshake: server policy prevents NBD_OPT_GO"
	# and the path is gone from the counters
	run -0 vctl -p "$P" --json stats
	[ "$(jq '[.paths[].id] | index('"$PA"')' <<<"$output")" = null ]
}

@test "a domain turned ro while its host is connected: writes fail at once" {
	start_serve --socket-mode 0666
	start_client
	run -0 vctl -p "$P" domain set fast --access ro -q
	go_client
	run cat "$D/client.out"
	assert_line --index 0 "read ok"
	assert_line --index 1 "write failed: nbd_pwrite: write: command failed: Operation not permitted"
	assert_line --index 2 "reconnect ok"
	run -0 vctl -p "$P" --json stats --path "$PA"
	[ "$(jq -c '.paths[0] | [.reads, .writes, .errors]' <<<"$output")" = '[2,0,1]' ]
}

@test "a throttled domain stays near its limit (loose: the figures are tests/bench/qos's)" {
	require fio
	vctl -p "$P" domain set backup --max-iops 100 -q
	start_serve --socket-mode 0666
	# 3 s of 4 KiB random reads at queue depth 8: at most ~300 + a burst
	as $UB fio --name=q --ioengine=nbd --uri="$(uri vol)" --rw=randread --bs=4k --iodepth=8 \
		--runtime=3 --time_based >/dev/null 2>&1
	run -0 vctl -p "$P" --json stats --path "$PB"
	local n
	n=$(jq '.paths[0].reads' <<<"$output")
	[ "$n" -gt 100 ] && [ "$n" -lt 600 ] || fail "$n reads in 3 s at 100 IOPS"
}

@test "a domain's MB/s limit holds too (loose)" {
	require fio
	vctl -p "$P" domain set backup --max-iops 0 --max-mbps 2 -q
	start_serve --socket-mode 0666
	# 2 s of 256 KiB reads: about 4 MB at 2 MB/s, never 4 times that
	as $UB fio --name=q --ioengine=nbd --uri="$(uri vol)" --rw=read --bs=256k --iodepth=4 \
		--runtime=2 --time_based >/dev/null 2>&1
	run -0 vctl -p "$P" --json stats --path "$PB"
	local n
	n=$(jq '.paths[0].read_bytes' <<<"$output")
	[ "$n" -gt 1000000 ] && [ "$n" -lt 16000000 ] || fail "$n bytes in 2 s at 2 MB/s"
}
