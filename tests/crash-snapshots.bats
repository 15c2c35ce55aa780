#!/usr/bin/env bats
# Crash sweeps over sharing chains: snapshot, copy on first write (into a
# snapshot, and the origin's in-place write whose old data a snapshot must
# keep), delete from the middle and of the origin, and a shrink. At every
# write N in every fault mode: the pool opens, check is clean (share bits
# included) and every volume holds its before- or after-contents.

load test_helper
load crash_helper

setup() {
	D=$BATS_TEST_TMPDIR
	head -c 3M /dev/urandom >"$D/data"
	head -c 1M /dev/urandom >"$D/new"
	head -c 300000 /dev/urandom >"$D/small"
}

# o (RAID5) <- s2 <- s1 (oldest), with copies already made in s1.
base_pool() {
	base_o "$1"
}

base_o() {
	"$VCTL" -p "$1" init --disks 6 --disk-size 16M --enclosures 3 --pseg-size 256K -q
	"$VCTL" -p "$1" create o --size 3M --raid 5 --width 3 -q
	"$VCTL" -p "$1" write o "$D/data" -q
	"$VCTL" -p "$1" snapshot o s1 -q
	"$VCTL" -p "$1" write o --offset 1M "$D/new" -q
	"$VCTL" -p "$1" snapshot o s2 -q
	"$VCTL" -p "$1" create other --size 1M --raid 1 -q
	"$VCTL" -p "$1" write other "$D/small" -q
}

@test "crash sweep: snapshot" {
	sweep snapshot o s3
}

@test "crash sweep: copy on first write into a snapshot in the middle (two copies)" {
	sweep write s2 --offset 200000 "$D/small"
}

@test "crash sweep: the origin overwrites data its snapshots share" {
	# o itself is written in place (torn by a crash like any device);
	# what must hold at every N is that s1, s2 and other never change
	TORN=o sweep write o --offset 2000000 "$D/small"
}

@test "crash sweep: delete from the middle, delete the origin" {
	sweep delete s2
	sweep delete o
}

@test "crash sweep: snapclone (snapshot, BGCOPY steps, copies for the older snapshot, removal)" {
	SAME=1 sweep snapclone o c
	# a job already part way, resumed
	base_pool() {
		base_o "$1"
		VCTL_JOB_STEPS=1 "$VCTL" -p "$1" snapclone o c -q
		"$VCTL" -p "$1" write o --offset 500000 "$D/small" -q
	}
	SAME=1 sweep jobs --wait
}

@test "crash sweep: shrink a volume its snapshot reads through" {
	sweep resize s2 --size 1M --force
}
