#!/usr/bin/env bats
# vctl check [--repair]: every crc and cross-reference; repair by commit.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 16M 3
}

@test "a fresh pool checks clean" {
	run -0 vctl -p "$P" check
	assert_output "ok: 6 disks, MLD generation 1, no problems"
	run -0 vctl -p "$P" --json check
	[ "$(jq .ok <<<"$output")" = true ]
	[ "$(jq '.problems | length' <<<"$output")" -eq 0 ]
	run -0 vctl -q -p "$P" check
	assert_output ""
}

@test "a damaged MLD copy: check reports it, the next commit repairs it" {
	damage "$P/disk1.img" $SLOT1
	before=$(images_sum "$P")
	run -4 vctl -p "$P" check
	assert_output --partial "disk 1 (disk1.img): MLD slot 1: MLD: bad header crc"
	assert_output --partial "vctl check: 3 problems found"
	run -4 --separate-stderr vctl -p "$P" --json check
	[ "$(jq .ok <<<"$output")" = false ]
	[ "$(jq '.problems | length' <<<"$output")" -eq 3 ]
	assert_unchanged "$P" "$before"
	run -0 vctl -p "$P" check --repair
	assert_output --partial "wrote MLD generation 2; repaired:"
	run -0 vctl -p "$P" check
	run -0 vctl -p "$P" --json status
	[ "$(jq '[.mld.copies[] | select(.valid)] | length' <<<"$output")" -eq 5 ]
}

@test "a damaged label copy: reported, then rewritten by the next commit" {
	damage "$P/disk2.img" $LABEL_A
	run -4 vctl -p "$P" check
	assert_output --partial "disk2.img: label copy A: label:"
	run -0 vctl -p "$P" --json check --repair
	[ "$(jq '.repaired | length' <<<"$output")" -eq 1 ]
	run -0 vctl -p "$P" --json dump label 2
	[ "$(jq '[.labels[].valid] | all' <<<"$output")" = true ]
	[ "$(jq '.labels[0].label_gen' <<<"$output")" -eq 3 ]
}

@test "both slots of a quorum disk damaged: both rewritten" {
	damage "$P/disk0.img" $SLOT0
	damage "$P/disk0.img" $SLOT1
	run -4 vctl -p "$P" check
	assert_output --partial "disk 0 (disk0.img): holds no valid MLD copy"
	run -0 vctl -p "$P" check --repair
	run -0 vctl -p "$P" check
	run -0 vctl -p "$P" --json dump mld --disk 0 --slot 1
	[ "$(jq .header.generation <<<"$output")" -eq 2 ]
}

@test "a copy left behind by an interrupted commit is a note, healed by the next commit" {
	# stop after the first quorum disk took generation 2 (write + flush)
	VCTL_FAULT=stop@3 run -137 vctl -p "$P" check --repair
	run -0 vctl -p "$P" check
	assert_output --partial "note: disk 1 (disk1.img): MLD copy is at generation 1, the pool at 2"
	run -0 vctl -p "$P" --json status
	[ "$(jq .mld.generation <<<"$output")" -eq 2 ]
	run -0 vctl -p "$P" check --repair
	refute_output --partial "note:"
}

@test "a missing disk fails the check; the next commit moves its MLD copy" {
	mv "$P/disk0.img" "$D/"
	run -4 vctl -p "$P" check
	assert_output --partial "disk 0 (disk0.img) is missing"
	run -4 --separate-stderr vctl -p "$P" --json check --repair
	# what the repair fixed is listed; the missing disk it cannot fix is not
	[ "$(jq -r '.repaired | join(";")' <<<"$output")" = "only 4 of 5 MLD copies are readable" ]
	[ "$(jq -r '.problems | join(";")' <<<"$output")" = "disk 0 (disk0.img) is missing" ]
	run -0 vctl -p "$P" --json status
	# disk 5, the one disk without a copy, took over
	[ "$(jq '[.mld.copies[] | select(.valid)] | length' <<<"$output")" -eq 5 ]
	[ "$(jq '.mld.copies[] | select(.disk == 5) | .valid' <<<"$output")" = true ]
	[ "$(jq '.disks[0].quorum' <<<"$output")" = false ]
}

@test "a copied image (two files, one disk UUID) is reported" {
	cp --sparse=always "$P/disk3.img" "$P/zz-copy.img"
	run -4 vctl -p "$P" check
	assert_output --partial "zz-copy.img: a second file with the UUID of disk 3 (disk3.img)"
}

@test "a label that contradicts the MLD is reported" {
	# make disk 4's label claim index 9, both copies, with valid crcs: via
	# a second pool's disk wearing this pool's UUID is too contrived; use
	# the geometry check instead: a pool of another PSEG size
	vctl -p "$D/other" init --disks 2 --disk-size 16M --pseg-size 64K -q
	ln -s "$D/other/disk0.img" "$P/foreign.img"
	run -3 vctl -p "$P" check
	assert_output --partial "holds disks of two pools"
}

@test "no valid MLD: check says so with the corruption status" {
	for i in 0 1 2 3 4; do damage "$P/disk$i.img" $SLOT1; done
	run -4 vctl -p "$P" check
	assert_output --partial "no valid MLD copy"
	run -4 vctl -p "$P" check --repair
	assert_output --partial "no valid MLD copy"
}

@test "check is refused while another process writes the pool" {
	hold_lock "$P"
	run -3 vctl -p "$P" check
	assert_output --regexp "^vctl check: pool is busy"
	run -3 vctl -p "$P" check --repair
	release_lock
}

@test "check: bad usage" {
	run -1 vctl -p "$P" check extra
	run -1 vctl -p "$P" check --repiar
	assert_output --regexp "^vctl check: --repiar: unknown option"
	run -2 vctl -p "$D/none" check
}
