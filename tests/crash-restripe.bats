#!/usr/bin/env bats
# Crash sweeps over restripe: the whole offline job (the switch, every
# transfer step, the end), a step of a job already part way, a write that
# moves a RSEG first, and a cancel that moves everything back. At every
# write N in every fault mode: the pool opens, check is clean and every
# volume holds its before- or after-contents (a restripe changes no byte:
# before and after are the same).

load test_helper
load crash_helper

setup() {
	D=$BATS_TEST_TMPDIR
	head -c 4M /dev/urandom >"$D/data"
	head -c 300000 /dev/urandom >"$D/small"
}

# v: RAID0 over 3 columns with data, w: RAID5 with data and a snapshot
base_pool() {
	"$VCTL" -p "$1" init --disks 6 --disk-size 16M --enclosures 3 --pseg-size 256K -q
	"$VCTL" -p "$1" create v --size 3M --width 3 -q
	head -c 3M "$D/data" | "$VCTL" -p "$1" write v - -q
	"$VCTL" -p "$1" create w --size 2M --raid 5 --width 3 -q
	head -c 2M "$D/data" | "$VCTL" -p "$1" write w - -q
	"$VCTL" -p "$1" snapshot w ws -q
}

# v restriped from 3 to 4 columns, stopped after the first step (8 RSEGs)
part_way() {
	"$VCTL" -p "$1" init --disks 6 --disk-size 16M --enclosures 3 --pseg-size 256K -q
	"$VCTL" -p "$1" create v --size 3M --width 3 -q
	head -c 3M "$D/data" | "$VCTL" -p "$1" write v - -q
	VCTL_JOB_STEPS=1 "$VCTL" -p "$1" restripe v --width 4 -q
}

@test "crash sweep: restripe, the whole job offline (switch, transfer steps, end)" {
	SAME=1 sweep restripe v --width 4 --stripe-size 32K
	# raid5 with a snapshot, the same way: make check-long
	[ -z "${VCTL_LONG:-}" ] || SAME=1 sweep restripe w --width 2
}

@test "crash sweep: a transfer step of a job part way, and its end" {
	base_pool() { part_way "$1"; }
	SAME=1 sweep jobs --wait
}

@test "crash sweep: a write to RSEGs not moved yet (moved first), and a cancel" {
	base_pool() { part_way "$1"; }
	# RSEGs 8 and 9 of 256 KiB, not moved by the first step (8 RSEGs): the
	# write moves them first and lands in the new places, so a crash
	# leaves the old bytes or the new ones, never a torn write
	sweep write v --offset 2200000 "$D/small"
	SAME=1 sweep jobs --cancel 2
}
