#!/usr/bin/env bats
# Crash sweeps over the volume operations: for every write N of the
# operation, in each fault mode, the pool opens, check finds no problem,
# and every volume holds exactly its before- or its after-contents.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	head -c 3M /dev/urandom >"$D/data"
	head -c 1M /dev/urandom >"$D/new"
}

# name size checksum of every volume
fingerprint() {
	local n s
	"$VCTL" -p "$1" --json list | jq -r '.volumes[] | "\(.name) \(.size)"' |
		while read -r n s; do
			echo "$n $s $("$VCTL" -p "$1" read "$n" | cksum)"
		done
}

base_pool() {
	"$VCTL" -p "$1" init --disks 6 --disk-size 16M --enclosures 3 --pseg-size 256K -q
	"$VCTL" -p "$1" create keep --size 3M --raid 5 --width 3 -q
	"$VCTL" -p "$1" write keep "$D/data" -q
	"$VCTL" -p "$1" create thin --size 4M --raid 1 -q
	"$VCTL" -p "$1" create mirror --size 2M --raid 10 --width 2 -q
	"$VCTL" -p "$1" write mirror --offset 100000 "$D/new" -q
}

# sweep OP ARGS...: runs `vctl -p POOL OP ARGS...` faulted at every write.
sweep() {
	rm -rf "$D/base" "$D/after" "$D/count"
	base_pool "$D/base"
	local before after w n mode out
	before=$(fingerprint "$D/base")
	cp -a --sparse=always "$D/base" "$D/after"
	"$VCTL" -p "$D/after" "$@" -q
	after=$(fingerprint "$D/after")
	[ "$before" != "$after" ] || fail "$*: before and after look the same"
	cp -a --sparse=always "$D/base" "$D/count"
	VCTL_FAULT_COUNT=$D/writes "$VCTL" -p "$D/count" "$@" -q
	w=$(cat "$D/writes")
	for mode in stop eio eio+; do
		for n in $(seq 1 "$w"); do
			rm -rf "$D/pool"
			cp -a --sparse=always "$D/base" "$D/pool"
			ok=0
			VCTL_FAULT="${mode%+}@$n${mode#eio}" "$VCTL" -p "$D/pool" "$@" -q \
				>/dev/null 2>"$D/err" && ok=1
			out=$(fingerprint "$D/pool") || fail "$* ($mode@$n): the pool does not open"
			# success (a fault in the clean close after the work is
			# durable) means after; failure means before or after
			if [ $ok = 1 ]; then
				[ "$out" = "$after" ] || fail "$* ($mode@$n): succeeded but not after: $out"
			else
				[ "$out" = "$before" ] || [ "$out" = "$after" ] ||
					fail "$* ($mode@$n): neither before nor after: $out"
			fi
			out=$("$VCTL" -p "$D/pool" --json check 2>/dev/null) || true
			[ "$(jq .ok <<<"$out")" = true ] ||
				fail "$* ($mode@$n): check: $(jq -c .problems <<<"$out")"
		done
	done
	echo "# $*: $w writes swept in 3 modes" >&3
}

@test "crash sweep: create (thin)" {
	sweep create new --size 8M --raid 5
}

@test "crash sweep: create (thick)" {
	sweep create new --size 2M --raid 10 --width 2 --thick
}

@test "crash sweep: the first write to unallocated space" {
	sweep write thin --offset 1M "$D/new"
}

@test "crash sweep: resize (grow, thick) and resize (shrink)" {
	sweep resize mirror --size 3M
	sweep resize keep --size 1200128 --force
}

@test "crash sweep: delete" {
	sweep delete keep
}
