#!/usr/bin/env bats
# vctl status: disks, capacity, MLD copies, health; degraded and damaged pools.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 16M 3
}

@test "status shows disks, enclosures, capacity and MLD copies" {
	run -0 vctl -p "$P" status
	assert_output --partial "state      online"
	assert_output --partial "disks      6 in 3 enclosures"
	assert_output --partial "mld        generation 1, 5 of 5 copies current"
	assert_output --regexp "5 +disk5.img +e2 +active"
	refute_output --partial "problems"
}

@test "status --json has the keys CLI.md promises" {
	run -0 vctl -p "$P" --json status
	[ "$(jq .version <<<"$output")" -eq 1 ]
	[ "$(jq '.disks | length' <<<"$output")" -eq 6 ]
	for k in index path enclosure state size used; do
		[ "$(jq "[.disks[] | has(\"$k\")] | all" <<<"$output")" = true ]
	done
	[ "$(jq -r '.disks[2].path' <<<"$output")" = "$P/disk2.img" ]
	[ "$(jq -r '.disks[2].state' <<<"$output")" = active ]
	[ "$(jq '.disks[2].size' <<<"$output")" -eq $((16 << 20)) ]
	[ "$(jq '.disks[2].used' <<<"$output")" -eq 0 ]
	[ "$(jq .volumes <<<"$output")" -eq 0 ]
	[ "$(jq .mld.generation <<<"$output")" -eq 1 ]
	[ "$(jq '.mld.copies | length' <<<"$output")" -eq 5 ]
	[ "$(jq '[.mld.copies[] | has("disk") and has("generation") and has("valid")] | all' <<<"$output")" = true ]
	# 6 disks x (16 MiB - 2 MiB quorum space) = 84 MiB of PSEGs
	[ "$(jq .free <<<"$output")" -eq $((6 * 14 << 20)) ]
	# --json after the command works too
	run -0 vctl -p "$P" status --json
	[ "$(jq .mld.generation <<<"$output")" -eq 1 ]
}

@test "a missing member: the pool opens degraded and names the disk" {
	mv "$P/disk3.img" "$D/"
	run -0 vctl -p "$P" status
	assert_output --partial "state      degraded: disk 3 (disk3.img) missing"
	assert_output --regexp "3 +disk3.img +e0 +missing"
	run -0 vctl -p "$P" --json status
	[ "$(jq -r .state <<<"$output")" = degraded ]
	[ "$(jq -r '.disks[3].state' <<<"$output")" = missing ]
	[ "$(jq '.free' <<<"$output")" -eq $((5 * 14 << 20)) ]
	mv "$D/disk3.img" "$P/"
	run -0 vctl -p "$P" --json status
	[ "$(jq -r .state <<<"$output")" = online ]
}

@test "degraded volumes: named while a disk they use is failed, and no longer once rebuilt" {
	vctl -p "$P" create m --size 1M --raid 1 -q
	vctl -p "$P" create z --size 1M -q
	head -c 1M /dev/urandom | vctl -p "$P" write m - -q
	run -0 --separate-stderr vctl -p "$P" --json status
	[ "$(jq -c .degraded_volumes <<<"$output")" = '[]' ]
	d=$(vctl -p "$P" --json dump map m | jq '.runs[0].members[0].disk')
	vctl -p "$P" disk fail "$d" -q
	run -0 vctl -p "$P" status
	assert_line "volumes    2 (degraded: m)"
	run -0 --separate-stderr vctl -p "$P" --json status
	[ "$(jq -c .degraded_volumes <<<"$output")" = '["m"]' ]
	vctl -p "$P" disk replace "$d" -q
	run -0 vctl -p "$P" status
	assert_line "volumes    2"
}

@test "members are found by label, not by name" {
	mv "$P/disk2.img" "$P/renamed.img"
	run -0 vctl -p "$P" --json status
	[ "$(jq -r .state <<<"$output")" = online ]
	[ "$(jq -r '.disks[2].name' <<<"$output")" = renamed.img ]
}

@test "a damaged MLD copy: status says which and still opens" {
	damage "$P/disk1.img" $SLOT1
	run -0 vctl -p "$P" status
	assert_output --partial "4 of 5 copies current"
	assert_output --partial "disk 1 (disk1.img): MLD slot 1: MLD: bad header crc"
	run -0 vctl -p "$P" --json status
	[ "$(jq -r .state <<<"$output")" = damaged ]
	[ "$(jq '.mld.copies[] | select(.disk == 1) | .valid' <<<"$output")" = false ]
	[ "$(jq '.mld.copies[] | select(.disk == 1) | .damaged_slots' <<<"$output")" -eq 1 ]
}

@test "a damaged label copy: status says which" {
	damage "$P/disk4.img" $LABEL_B
	run -0 vctl -p "$P" status
	assert_output --partial "disk4.img: label copy B: label: bad crc"
}

@test "every MLD copy damaged: one clear line and the corruption exit status" {
	for i in 0 1 2 3 4; do
		damage "$P/disk$i.img" $SLOT1
	done
	run -4 vctl -p "$P" status
	assert_output --regexp "^vctl status: no valid MLD copy in .*: 5 damaged MLD slots \(disk0.img slot 1: MLD: bad header crc"
	assert_one_line
}

@test "every label destroyed: no pool" {
	for i in 0 1 2 3 4 5; do
		dd if=/dev/zero of="$P/disk$i.img" bs=4096 count=1 conv=notrunc status=none
		dd if=/dev/zero of="$P/disk$i.img" bs=4096 count=1 seek=64 conv=notrunc status=none
	done
	run -2 vctl -p "$P" status
	assert_output "vctl status: no vctl pool in $P"
}

@test "no pool, not a directory, two pools in one directory" {
	run -2 vctl -p "$D/none" status
	assert_output "vctl status: $D/none: No such file or directory"
	mkdir "$D/empty"
	run -2 vctl -p "$D/empty" status
	assert_output "vctl status: no vctl pool in $D/empty"
	touch "$D/file"
	run -1 vctl -p "$D/file" status
	assert_output "vctl status: $D/file: not a directory"
	vctl -p "$D/other" init --disks 2 --disk-size 16M --pseg-size 256K -q
	ln -s "$D/other/disk0.img" "$P/foreign.img"
	run -3 vctl -p "$P" status
	assert_output --partial "holds disks of two pools"
	assert_one_line
}

@test "a disk written by a newer vctl is named, not ignored" {
	for off in $LABEL_A $LABEL_B; do
		printf '\x02\x00' | dd of="$P/disk0.img" bs=1 seek=$((off + 10)) conv=notrunc status=none
	done
	run -4 vctl -p "$P" status
	assert_output --partial "disk0.img: label: format version 2 is newer than this vctl"
}

@test "a truncated member is reported" {
	truncate -s 8M "$P/disk5.img"
	run -0 vctl -p "$P" status
	assert_output --partial "disk5.img: is 8388608 bytes, smaller than the 16777216 it joined with"
}

@test "status waits for no one: a writer holding the pool makes it busy" {
	hold_lock "$P"
	run -3 vctl -p "$P" status
	assert_output --regexp "^vctl status: pool is busy"
	release_lock
	run -0 vctl -p "$P" status
}

@test "status takes no arguments" {
	run -1 vctl -p "$P" status extra
	assert_output "vctl status: unexpected argument 'extra'"
	run -1 vctl -p "$P" status --bogus
	assert_output --regexp "^vctl status: --bogus: unknown option"
}

@test "a full stdout is an error, not silent truncation" {
	[ -e /dev/full ] || skip "needs /dev/full"
	run -4 bash -c '"$0" -p "$1" status >/dev/full' "$VCTL" "$P"
	assert_output --partial "vctl: write error on standard output"
}
