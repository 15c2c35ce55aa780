#!/usr/bin/env bats
# Crash sweeps (DESIGN.md 4, TESTING.md): stop dead, or fail with EIO once
# or from then on, at every write or flush N of an operation; afterwards the
# pool is in its before- or after-state and the checks hold.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	P=$D/pool
	INIT_ARGS=(--disks 6 --disk-size 16M --enclosures 3 --pseg-size 256K -q)
}

# Writes+flushes a command performs when nothing fails.
count_writes() {
	VCTL_FAULT_COUNT=$D/count "$@" >/dev/null
	cat "$D/count"
}

# Runs a command with a fault; it may die (137) or fail, never succeed
# while claiming a write it could not do.
faulted() {
	local spec=$1
	shift
	FAULT_RC=0
	VCTL_FAULT=$spec "$@" >/dev/null 2>"$D/fault.err" || FAULT_RC=$?
}

fail_at() {
	echo "$1 (fault $2): $3" >&2
	cat "$D/fault.err" >&2
	return 1
}

# After an interrupted init: either the pool exists and is clean (and a new
# init is refused), or it does not and a new init redoes it.
verify_init() {
	local spec=$1 rc=0 again=0
	"$VCTL" -p "$P" status >/dev/null 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		"$VCTL" -p "$P" check >/dev/null || fail_at init "$spec" "pool opens but check fails"
		"$VCTL" -p "$P" init "${INIT_ARGS[@]}" 2>/dev/null || again=$?
		[ "$again" -eq 3 ] || fail_at init "$spec" "a new init was not refused"
	else
		[ "$rc" -eq 4 ] || [ "$rc" -eq 2 ] || fail_at init "$spec" "status exit $rc"
		"$VCTL" -p "$P" init "${INIT_ARGS[@]}" || fail_at init "$spec" "init was not redone"
		"$VCTL" -p "$P" check >/dev/null || fail_at init "$spec" "redone pool fails check"
	fi
}

sweep_init() {
	local mode=$1 plus=${2:-} w n
	w=$(count_writes "$VCTL" -p "$D/count-pool" init "${INIT_ARGS[@]}")
	[ "$w" -gt 20 ]
	for n in $(seq 1 "$w"); do
		rm -rf "$P"
		faulted "$mode@$n$plus" "$VCTL" -p "$P" init "${INIT_ARGS[@]}"
		[ "$FAULT_RC" -ne 0 ] || fail_at init "$mode@$n$plus" "init succeeded despite the fault"
		verify_init "$mode@$n$plus"
	done
	echo "# init: $w writes swept in mode $mode$plus" >&3
}

@test "crash sweep: init, stop dead at every write" {
	sweep_init stop
}

@test "crash sweep: init, EIO once at every write" {
	sweep_init eio
}

@test "crash sweep: init, EIO from every write on" {
	sweep_init eio +
}

# One MLD commit (check --repair writes a new generation). PREP sets up the
# before-state; after the fault the pool must open at generation 1 or 2,
# check may only report the damage PREP made, and the next commit leaves it
# clean with no notes.
sweep_commit() {
	local mode=$1 plus=$2 prep=$3 w n gen out
	rm -rf "$P" "$D/base" "$D/count-base"
	"$VCTL" -p "$D/base" init "${INIT_ARGS[@]}"
	$prep "$D/base"
	cp -a --sparse=always "$D/base" "$D/count-base"
	w=$(count_writes "$VCTL" -p "$D/count-base" check --repair)
	[ "$w" -ge 10 ]
	for n in $(seq 1 "$w"); do
		rm -rf "$P"
		cp -a --sparse=always "$D/base" "$P"
		faulted "$mode@$n$plus" "$VCTL" -p "$P" check --repair
		[ "$FAULT_RC" -ne 0 ] || fail_at commit "$mode@$n$plus" "commit succeeded despite the fault"
		gen=$("$VCTL" -p "$P" --json status | jq .mld.generation) ||
			fail_at commit "$mode@$n$plus" "pool does not open"
		[ "$gen" -eq 1 ] || [ "$gen" -eq 2 ] || fail_at commit "$mode@$n$plus" "generation $gen"
		out=$("$VCTL" -p "$P" --json check 2>/dev/null) || true
		if [ "$(jq .ok <<<"$out")" != true ]; then
			jq -r '.problems[]' <<<"$out" | grep -qv "$PREP_DAMAGE" &&
				fail_at commit "$mode@$n$plus" "unexpected problem: $(jq -c .problems <<<"$out")"
		fi
		"$VCTL" -p "$P" check --repair >/dev/null 2>&1 || [ "$PREP_DAMAGE" != nothing-expected ] ||
			fail_at commit "$mode@$n$plus" "repair failed"
		out=$("$VCTL" -p "$P" --json check 2>/dev/null) || true
		[ "$(jq '[.problems[] | select(test($d) | not)] + .notes | length' --arg d "$PREP_LASTING" <<<"$out")" -eq 0 ] ||
			fail_at commit "$mode@$n$plus" "not clean after the next commit: $out"
	done
	echo "# commit ($prep): $w writes swept in mode $mode$plus" >&3
}

clean() { :; }
# What the before-state's damage may show in check (a grep pattern), and
# what of it may outlive the repairing commit (a jq regex).
PREP_DAMAGE=nothing-expected
PREP_LASTING='^$'


damaged_label() {
	damage "$1/disk2.img" $LABEL_B
}

missing_quorum_disk() {
	mv "$1/disk1.img" "$D/away.img"
}

@test "crash sweep: MLD commit, every mode" {
	sweep_commit stop "" clean
	sweep_commit eio "" clean
	sweep_commit eio + clean
}

@test "crash sweep: MLD commit that repairs a label, every mode" {
	PREP_DAMAGE="disk2.img: label copy B"
	sweep_commit stop "" damaged_label
	sweep_commit eio "" damaged_label
	sweep_commit eio + damaged_label
}

@test "crash sweep: MLD commit that moves a copy off a missing disk, stop dead" {
	# the check fails for the missing disk itself; the sweep asserts that
	# nothing else goes wrong and that the copy count comes back
	PREP_DAMAGE="disk 1 (disk1.img) is missing\|only 4 of 5"
	PREP_LASTING="disk 1 \\(disk1.img\\) is missing"
	sweep_commit stop "" missing_quorum_disk
	run -0 vctl -p "$P" --json status
	[ "$(jq '[.mld.copies[] | select(.valid)] | length' <<<"$output")" -eq 5 ]
}
