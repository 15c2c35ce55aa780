#!/usr/bin/env bats
# vctl init: both forms, what it writes, and every refusal.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	P=$D/pool
}

# Images for the FILE form.
mkimg() {
	for f in "$@"; do truncate -s 32M "$D/$f"; done
}

@test "init --disks creates sparse images spread over enclosures" {
	run -0 vctl -p "$P" init --disks 6 --disk-size 16M --enclosures 3 --pseg-size 256K
	assert_output --partial "Created pool"
	assert_output --partial "6 disks in 3 enclosures"
	for i in 0 1 2 3 4 5; do
		[ "$(stat -c %s "$P/disk$i.img")" -eq $((16 << 20)) ]
		# sparse: far fewer blocks than the size
		[ "$(stat -c %b "$P/disk$i.img")" -lt 4096 ]
	done
	run -0 vctl -p "$P" --json status
	[ "$(jq '.disks | length' <<<"$output")" -eq 6 ]
	[ "$(jq '[.disks[].enclosure] | unique | length' <<<"$output")" -eq 3 ]
	[ "$(jq '[.disks[] | select(.enclosure == "e1") | .index] | join(",")' <<<"$output")" = '"1,4"' ]
	[ "$(jq '[.mld.copies[] | select(.valid)] | length' <<<"$output")" -ge 3 ]
	run -0 vctl -p "$P" check
}

@test "the acceptance pool: 6 x 64M in 3 enclosures, PSEG 256K" {
	run -0 vctl -p "$P" init --disks 6 --disk-size 64M --enclosures 3 --pseg-size 256K
	run -0 vctl -p "$P" --json status
	[ "$(jq '.disks | length' <<<"$output")" -eq 6 ]
	[ "$(jq '.enclosures | length' <<<"$output")" -eq 3 ]
	[ "$(jq '[.mld.copies[] | select(.valid)] | length' <<<"$output")" -ge 3 ]
	run -0 vctl -p "$P" check
}

@test "init --json describes the pool" {
	run -0 vctl -p "$P" --json init --disks 3 --disk-size 16M --pseg-size 256K
	[ "$(jq -r .version <<<"$output")" = 1 ]
	[ "$(jq -r .no_act <<<"$output")" = false ]
	[ "$(jq -r '.uuid | length' <<<"$output")" -eq 36 ]
	[ "$(jq -r .geometry.pseg_size <<<"$output")" -eq 262144 ]
	[ "$(jq -r '.disks | length' <<<"$output")" -eq 3 ]
	[ "$(jq -r '[.disks[].quorum] | all' <<<"$output")" = true ]
}

@test "init takes its geometry: --pseg-size, RSEG derived, quorum space" {
	run -0 vctl -p "$P" init --disks 2 --disk-size 16M --pseg-size 64K -q
	run -0 vctl -p "$P" --json dump mld
	[ "$(jq .pool.geometry.pseg_size <<<"$output")" -eq 65536 ]
	[ "$(jq .pool.geometry.rseg_size <<<"$output")" -eq 65536 ]
	[ "$(jq .pool.geometry.quorum_size <<<"$output")" -eq $((2 << 20)) ]
	[ "$(jq .disks[0].pseg_count <<<"$output")" -eq $(((16 - 2) * 16)) ]
}

@test "default geometry is the sources': PSEG 2 MiB, RSEG 1 MiB, 2 GiB per LMAP" {
	run -0 vctl -p "$P" init --disks 2 --disk-size 64M -q
	run -0 vctl -p "$P" --json dump mld
	[ "$(jq .pool.geometry.pseg_size <<<"$output")" -eq $((2 << 20)) ]
	[ "$(jq .pool.geometry.rseg_size <<<"$output")" -eq $((1 << 20)) ]
	[ "$(jq '.pool.geometry.lmap_entries * .pool.geometry.rseg_size' <<<"$output")" -eq $((2 << 30)) ]
	[ "$(jq '.pool.geometry.rstore_width * .pool.geometry.pseg_size' <<<"$output")" -eq $((8 << 20)) ]
}

@test "quorum: default min(5, disks), spread so one enclosure's loss leaves a copy" {
	run -0 vctl -p "$P" --json init --disks 8 --disk-size 16M --enclosures 2 --pseg-size 256K
	[ "$(jq '[.disks[] | select(.quorum)] | length' <<<"$output")" -eq 5 ]
	[ "$(jq '[.disks[] | select(.quorum) | .enclosure] | unique | length' <<<"$output")" -eq 2 ]
	rm -rf "$P"
	run -0 vctl -p "$P" --json init --disks 4 --disk-size 16M --enclosures 2 --pseg-size 256K --quorum 2
	[ "$(jq '[.disks[] | select(.quorum) | .enclosure] | unique | length' <<<"$output")" -eq 2 ]
}

@test "init FILE form: links outside files, keeps files already in the directory" {
	mkimg a.img b.img
	mkdir -p "$P"
	truncate -s 32M "$P/c.img"
	run -0 vctl -p "$P" init --pseg-size 256K "$D/a.img:enclosure=left" "$D/b.img:enclosure=right" "$P/c.img"
	[ -L "$P/a.img" ] && [ "$(readlink "$P/a.img")" = "$(realpath "$D/a.img")" ]
	[ -L "$P/b.img" ]
	[ -f "$P/c.img" ] && [ ! -L "$P/c.img" ]
	run -0 vctl -p "$P" --json disk list
	[ "$(jq -r '[.disks[].enclosure] | join(",")' <<<"$output")" = "left,right,e0" ]
	run -0 vctl -p "$P" check
}

@test "init with a relative pool path and VCTL_POOL" {
	cd "$D"
	mkimg a.img
	VCTL_POOL=rel run -0 vctl init --pseg-size 256K a.img
	[ -L rel/a.img ]
	VCTL_POOL=rel run -0 vctl status
	cd rel && run -0 vctl status
}

@test "--no-act writes nothing and says what it would do" {
	mkimg a.img b.img
	mkfs.ext4 -q -F "$D/a.img"
	before=$(images_sum "$D")
	run -0 vctl -p "$P" init --no-act --force --pseg-size 256K "$D/a.img" "$D/b.img"
	assert_output --partial "Would create a pool in"
	assert_output --partial "overwrites it: it holds ext4"
	[ ! -e "$P" ]
	assert_unchanged "$D" "$before"
	run -0 vctl -p "$P" --json init --no-act --disks 2 --disk-size 16M --pseg-size 256K
	[ "$(jq -r .no_act <<<"$output")" = true ]
	[ "$(jq -r .uuid <<<"$output")" = null ]
	[ ! -e "$P" ]
}

@test "refuses an image holding ext4, names it, changes nothing; --force proceeds" {
	mkimg a.img b.img
	mkfs.ext4 -q -F "$D/a.img"
	before=$(images_sum "$D")
	run -3 vctl -p "$P" init "$D/a.img" "$D/b.img"
	assert_output "vctl init: $D/a.img: holds ext4 (use --force to overwrite it)"
	[ ! -e "$P" ] # a refusal leaves no trace, not even the directory
	assert_unchanged "$D" "$before"
	[ ! -e "$P/a.img" ] && [ ! -e "$P/b.img" ]
	run -0 vctl -p "$P" init --force --pseg-size 256K "$D/a.img" "$D/b.img"
	run -0 vctl -p "$P" check
	# our label now sits where ext4's superblock was
	run -2 blkid -p "$D/a.img"
}

@test "refuses a partition table" {
	require sfdisk
	mkimg a.img
	echo 'label: gpt' | sfdisk -q "$D/a.img"
	before=$(images_sum "$D")
	run -3 vctl -p "$P" init "$D/a.img"
	assert_output --partial "partition table (gpt)"
	assert_unchanged "$D" "$before"
}

@test "refuses a disk of an existing pool, and of a pool whose MLD is gone" {
	mkpool 3
	mkdir "$D/other"
	before=$(images_sum "$P")
	run -3 vctl -p "$D/other" init --pseg-size 256K "$P/disk0.img"
	assert_output --regexp "disk0.img: is a disk of vctl pool [0-9a-f-]{36} \(use --force"
	run -3 vctl -p "$P" init --disks 3 --disk-size 16M --pseg-size 256K
	assert_unchanged "$P" "$before"
	# Damage every MLD copy: the labels still protect the disks.
	for i in 0 1 2; do
		dd if=/dev/urandom of="$P/disk$i.img" bs=1 count=8 seek=$((512 * 1024 + 768 * 1024 + 100)) conv=notrunc status=none
	done
	run -3 vctl -p "$P" init --disks 3 --disk-size 16M --pseg-size 256K
	run -0 vctl -p "$P" init --force --disks 3 --disk-size 16M --pseg-size 256K
	run -0 vctl -p "$P" check
}

@test "refuses a directory that would then hold two pools" {
	mkpool 3
	mkimg a.img
	before=$(images_sum "$P")
	run -3 vctl -p "$P" init "$D/a.img"
	assert_output --partial "already holds disk0.img, a disk of pool"
	assert_unchanged "$P" "$before"
	# even with --force: only targets are overwritten
	run -3 vctl -p "$P" init --force "$D/a.img"
	run -3 vctl -p "$P" init --force --disks 2 --disk-size 16M --pseg-size 256K
	assert_output --partial "disk2.img"
	assert_unchanged "$P" "$before"
}

@test "an interrupted init is redone without --force" {
	# stop before the MLD commit: only PENDING labels exist
	VCTL_FAULT=stop@10 run -137 vctl -p "$P" init --disks 3 --disk-size 16M --pseg-size 256K
	run -4 vctl -p "$P" status
	assert_output --partial "was never completed"
	run -0 vctl -p "$P" init --disks 3 --disk-size 16M --pseg-size 256K
	run -0 vctl -p "$P" check
}

@test "an init cut off in the middle of a label write (torn) is redone without --force" {
	# stop before disk1's first label write, then leave only the first
	# sector of a label there, as a power cut during that write can
	# (found by the power-loss mode of tests/crash/sweep.c)
	VCTL_FAULT=stop@9 run -137 vctl -p "$P" init --disks 3 --disk-size 16M --pseg-size 256K
	dd if="$P/disk0.img" of="$P/disk1.img" bs=512 count=1 conv=notrunc status=none
	cp -a --sparse=always "$P" "$D/copy"
	run -0 vctl -p "$P" init --disks 3 --disk-size 16M --pseg-size 256K
	run -0 vctl -p "$P" check
	# but a file with anything else in it is still somebody's
	rm -rf "$P"
	mv "$D/copy" "$P"
	printf x | dd of="$P/disk2.img" bs=1 seek=1048576 conv=notrunc status=none
	run -3 vctl -p "$P" init --disks 3 --disk-size 16M --pseg-size 256K
	assert_output --partial "disk2.img: already exists"
}

@test "bad option values are usage errors, and nothing is created" {
	for args in "--disks" "--disks 0" "--disks x" "--disks -2" "--disks 5000" \
		"--disks 2" "--disk-size 16M" "--disks 2 --disk-size 0" \
		"--disks 2 --disk-size 4M" "--disks 2 --disk-size 16Q" "--disks 2 --disk-size 99999999P" \
		"--disks 2 --disk-size 16M --pseg-size 100K" "--disks 2 --disk-size 16M --pseg-size 32K" \
		"--disks 2 --disk-size 16M --pseg-size 2G" "--disks 2 --disk-size 16M --quorum 3" \
		"--disks 2 --disk-size 16M --quorum 0" "--disks 2 --disk-size 16M --enclosures 3" \
		"--disks 2 --disk-size 16M --enclosures 0" "--disks 2 --disk-size 16M --mld-slot-size 1K" \
		"--disks 2 --disk-size 16M --bogus" "--disks 2 --disk-size 16M x.img" \
		"--disks 2 --disk-size 1000001"; do
		run -1 vctl -p "$P" init $args
		assert_output --regexp "^vctl init: "
		assert_one_line
		[ ! -e "$P/disk0.img" ]
	done
	run -1 vctl -p "$P" init
	assert_output --partial "give --disks N --disk-size SIZE, or the disk files"
}

@test "bad disk files: missing, directory, empty, tiny, read-only, the same disk twice" {
	mkimg a.img b.img
	before=$(images_sum "$D")
	run -2 vctl -p "$P" init "$D/none.img"
	assert_output "vctl init: $D/none.img: No such file or directory"
	run -1 vctl -p "$P" init "$D"
	assert_output --partial "is a directory"
	: >"$D/empty.img"
	run -1 vctl -p "$P" init "$D/empty.img"
	assert_output --partial "too small"
	truncate -s 1M "$D/tiny.img"
	run -1 vctl -p "$P" init "$D/tiny.img"
	assert_output --partial "too small for a pool disk"
	chmod 444 "$D/b.img"
	run -3 vctl -p "$P" init "$D/a.img" "$D/b.img"
	assert_output "vctl init: $D/b.img: is read-only"
	chmod 644 "$D/b.img"
	run -1 vctl -p "$P" init "$D/a.img" "$D/a.img"
	assert_output --partial "are the same disk"
	ln -s "$D/a.img" "$D/alias.img"
	run -1 vctl -p "$P" init "$D/a.img" "$D/alias.img"
	assert_output --partial "are the same disk"
	mkdir "$D/x" && truncate -s 32M "$D/x/a.img"
	run -1 vctl -p "$P" init "$D/a.img" "$D/x/a.img"
	assert_output --partial "would both be named a.img"
	run -1 vctl -p "$P" init "$D/a.img:enclosure=bad/name"
	assert_output --partial "enclosure name"
	run -1 vctl -p "$P" init "$D/a.img:enclosure="
	rm "$D/alias.img" "$D/empty.img" "$D/tiny.img"
	rm -r "$D/x"
	assert_unchanged "$D" "$before"
}

@test "bad pool directories: a file, a missing parent" {
	mkimg a.img
	touch "$D/plain"
	run -1 vctl -p "$D/plain" init "$D/a.img"
	assert_output "vctl init: $D/plain: not a directory"
	run -2 vctl -p "$D/no/such/dir" init "$D/a.img"
	assert_one_line
}

@test "a busy pool directory refuses init" {
	mkdir -p "$P"
	hold_lock "$P"
	run -3 vctl -p "$P" init --disks 2 --disk-size 16M --pseg-size 256K
	assert_output --partial "pool is busy"
	release_lock
	[ ! -e "$P/disk0.img" ]
}

@test "a disk written by a newer vctl is refused, not taken for empty" {
	mkpool 2
	# label A and B: version 3, crc resealed does not matter (version is checked first)
	for off in 0 262144; do
		printf '\x03\x00' | dd of="$P/disk0.img" bs=1 seek=$((off + 10)) conv=notrunc status=none
	done
	run -3 vctl -p "$D/other" init --pseg-size 256K "$P/disk0.img"
	assert_output --partial "newer format version"
}

@test "--disks refuses a file that is already there, unless it holds nothing" {
	mkdir -p "$P"
	head -c 1M /dev/urandom >"$P/disk0.img"
	truncate -s 40M "$P/disk0.img"
	before=$(images_sum "$P")
	run -3 vctl -p "$P" init --disks 2 --disk-size 16M --pseg-size 256K
	assert_output "vctl init: $P/disk0.img: already exists (use --force to overwrite it)"
	assert_unchanged "$P" "$before"
	[ "$(stat -c %s "$P/disk0.img")" -eq $((40 << 20)) ]
	# a file of holes only (what an interrupted init leaves) is reused
	rm "$P/disk0.img"
	truncate -s 16M "$P/disk0.img"
	run -0 vctl -p "$P" init --disks 2 --disk-size 16M --pseg-size 256K
	rm -rf "$P"
	mkdir -p "$P"
	head -c 1M /dev/urandom >"$P/disk1.img"
	run -0 vctl -p "$P" init --force --disks 2 --disk-size 16M --pseg-size 256K
	run -0 vctl -p "$P" check
}

@test "a refused init leaves no directory or lock behind" {
	run -2 vctl -p "$D/fresh" init "$D/nonexistent.img"
	[ ! -e "$D/fresh" ]
	mkdir "$D/kept"
	run -2 vctl -p "$D/kept" init "$D/nonexistent.img"
	[ -d "$D/kept" ] # a directory that was there stays
}
