#!/usr/bin/env bats
# Crash sweeps over the volume operations: for every write N of the
# operation, in each fault mode, the pool opens, check finds no problem,
# and every volume holds exactly its before- or its after-contents.

load test_helper
load crash_helper

setup() {
	D=$BATS_TEST_TMPDIR
	head -c 3M /dev/urandom >"$D/data"
	head -c 1M /dev/urandom >"$D/new"
}

base_pool() {
	"$VCTL" -p "$1" init --disks 6 --disk-size 16M --enclosures 3 --pseg-size 256K -q
	"$VCTL" -p "$1" create keep --size 3M --raid 5 --width 3 -q
	"$VCTL" -p "$1" write keep "$D/data" -q
	"$VCTL" -p "$1" create thin --size 4M --raid 1 -q
	"$VCTL" -p "$1" create mirror --size 2M --raid 10 --width 2 -q
	"$VCTL" -p "$1" write mirror --offset 100000 "$D/new" -q
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
