#!/usr/bin/env bats
# Crash sweeps over the disk lifecycle: disk fail, and disk replace (the
# commit of the new places, the rebuild, the commit that clears the stale
# marks). At every write N in every fault mode: the pool opens, check is
# clean and every volume holds its bytes (neither changes any).

load test_helper
load crash_helper

setup() {
	D=$BATS_TEST_TMPDIR
	head -c 2M /dev/urandom >"$D/data"
}

# mirrors and raid5 with data, over three enclosures
volumes() {
	"$VCTL" -p "$1" init --disks 6 --disk-size 16M --enclosures 3 --pseg-size 256K -q
	"$VCTL" -p "$1" create m --size 2M --raid 10 --width 2 --separate enclosure -q
	"$VCTL" -p "$1" write m "$D/data" -q
	"$VCTL" -p "$1" create r --size 1M --raid 5 --width 2 -q
	head -c 1M "$D/data" | "$VCTL" -p "$1" write r - -q
}

@test "crash sweep: disk fail" {
	base_pool() { volumes "$1"; }
	SAME=1 sweep disk fail 1
}

@test "crash sweep: disk replace (new places, rebuild, stale marks cleared)" {
	base_pool() {
		volumes "$1"
		"$VCTL" -p "$1" disk fail 1 -q
	}
	SAME=1 sweep disk replace 1
}

@test "crash sweep: disk add (labels, the commit that names the disk)" {
	base_pool() { volumes "$1"; }
	truncate -s 16M "$D/new.img"
	# every run takes the same image: one a crash left labelled is taken
	# back, one a run added is not a disk of the fresh copy's pool
	SAME=1 sweep disk add "$D/new.img" --enclosure e1
}

@test "crash sweep: level (every move: copy, flush, commit; the end of the job)" {
	base_pool() {
		volumes "$1"
		truncate -s 16M "$1/new0.img" "$1/new1.img"
		"$VCTL" -p "$1" disk add "$1/new0.img" --enclosure e0 -q
		"$VCTL" -p "$1" disk add "$1/new1.img" --enclosure e2 -q
	}
	SAME=1 sweep level
}

@test "crash sweep: disk remove (every move, the commit that drops the disk, the wipe)" {
	base_pool() { volumes "$1"; }
	SAME=1 sweep disk remove 2
}
