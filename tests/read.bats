#!/usr/bin/env bats
# vctl read: a range that lies on a missing disk fails and names it, the
# rest still reads; every refusal with its exit status and the images
# unchanged. (Reads of every RAID type, degraded and byte-granular, after
# writes: write.bats.)

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 64M 3
}

@test "raid0 without a member: the ranges on it fail and name the disk" {
	run -0 vctl -p "$P" create v --size 8M --raid 0 --width 4
	head -c 8M /dev/urandom | vctl -p "$P" write v -q
	disk=$(vctl -p "$P" --json dump map v | jq '.runs[0].members[1].disk')
	mv "$P/disk$disk.img" "$D/"
	run -4 vctl -p "$P" read v --length 8M -o "$D/out"
	assert_output --regexp "disk $disk \(disk$disk.img\) is missing"
	assert_one_line
	# the first stripe unit lives on member 0, which is still there
	run -0 vctl -p "$P" read v --length 64K -o "$D/out"
}

@test "bad input to read" {
	run -0 vctl -p "$P" create v --size 1M
	before=$(images_sum "$P")
	run -1 vctl -p "$P" read v --offset 2M
	assert_output --partial "past the end"
	run -1 vctl -p "$P" read v --offset 1M --length 1
	run -1 vctl -p "$P" read v --length 2M
	run -0 vctl -p "$P" read v --offset 1M
	assert_output ""
	run -2 vctl -p "$P" read nosuch
	run -1 vctl -p "$P" read v --length -1
	run -2 vctl -p "$P" read v -o "$D/no/such/file"
	assert_unchanged "$P" "$before"
}
