#!/usr/bin/env bats
# vctl dump label / dump mld: every field by its FORMAT.md name, damaged
# copies included.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 3 16M 3
	FORMAT=$BATS_TEST_DIRNAME/../fmt/FORMAT.md
}

# Keys that describe the dump itself rather than a field of the format.
PRESENTATION="rsd_table labels disk copy_name offset valid error crc_computed source slot header pool enclosures disks geometry payload_crc_computed header_crc_computed volume lmaps block entries runs first_rseg rsegs length refs members member disk_name"

# Every key of the JSON document on stdin is a field named in FORMAT.md.
assert_keys_documented() {
	local keys k missing=
	keys=$(jq -r '[paths | .[-1] | strings] | unique | .[]')
	for k in $keys; do
		case " $PRESENTATION version " in *" $k "*) continue ;; esac
		grep -q "\`$k\`" "$FORMAT" || missing="$missing $k"
	done
	[ -z "$missing" ] || {
		echo "not in FORMAT.md:$missing" >&2
		return 1
	}
}

@test "dump label: both copies of every disk" {
	run -0 vctl -p "$P" dump label
	[ "$(grep -c 'label A (offset 0): valid' <<<"$output")" -eq 3 ]
	[ "$(grep -c 'label B (offset 262144): valid' <<<"$output")" -eq 3 ]
	assert_output --regexp "disk_index +2"
	assert_output --regexp "magic +VCTLLABL"
	assert_output --regexp "enclosure +e1"
}

@test "dump label DISK by index, by name, by path; --json names FORMAT.md fields" {
	run -0 vctl -p "$P" --json dump label 1
	[ "$(jq '.labels | length' <<<"$output")" -eq 2 ]
	[ "$(jq '.labels[0].disk_index' <<<"$output")" -eq 1 ]
	[ "$(jq '.labels[1].copy' <<<"$output")" -eq 1 ]
	[ "$(jq -r '.labels[0].crc' <<<"$output")" = "$(jq -r '.labels[0].crc_computed' <<<"$output")" ]
	assert_keys_documented <<<"$output"
	run -0 vctl -p "$P" --json dump label disk2.img
	[ "$(jq '.labels[0].disk_index' <<<"$output")" -eq 2 ]
	cd "$D"
	run -0 vctl --json dump label ./pool/disk0.img
	[ "$(jq '.labels[0].disk_index' <<<"$output")" -eq 0 ]
}

@test "dump label shows a damaged copy, its fields and its bad crc" {
	# the `created` field: only the crc can tell
	printf 'XXXX' | dd of="$P/disk1.img" bs=1 seek=96 conv=notrunc status=none
	run -0 vctl -p "$P" --json dump label 1
	[ "$(jq '.labels[0].valid' <<<"$output")" = false ]
	stored=$(jq -r '.labels[0].crc' <<<"$output")
	computed=$(jq -r '.labels[0].crc_computed' <<<"$output")
	[ "$stored" != "$computed" ]
	[ "$(jq -r '.labels[0].error' <<<"$output")" = "$(printf 'label: bad crc (stored %08x, computed %08x)' "$stored" "$computed")" ]
	[ "$(jq '.labels[0].disk_index' <<<"$output")" -eq 1 ]
	[ "$(jq '.labels[1].valid' <<<"$output")" = true ]
	run -0 vctl -p "$P" dump label 1
	assert_output --partial "label A (offset 0): label: bad crc"
	# a field that breaks a rule: the rule is named and the fields still shown
	printf '\x07\x00\x00\x00' | dd of="$P/disk1.img" bs=1 seek=104 conv=notrunc status=none
	run -0 vctl -p "$P" dump label 1
	assert_output --partial "label A (offset 0): label: sector size 7 is not 512"
	run -0 vctl -p "$P" --json dump label 1
	[ "$(jq '.labels[0].geometry.sector_size' <<<"$output")" -eq 7 ]
	[ "$(jq '.labels[0].disk_index' <<<"$output")" -eq 1 ]
}

@test "dump label INDEX works without an MLD (an interrupted init)" {
	rm -rf "$P"
	VCTL_FAULT=stop@10 run -137 vctl -p "$P" init --disks 3 --disk-size 16M --pseg-size 256K
	run -0 vctl -p "$P" --json dump label 0
	[ "$(jq '.labels[0].disk_index' <<<"$output")" -eq 0 ]
	[ "$(jq -r '.labels[0].flags' <<<"$output")" = 0x1 ]
}

@test "dump mld JSON: error is null for a valid copy" {
	run -0 vctl -p "$P" --json dump mld --disk 0 --slot 1
	[ "$(jq .error <<<"$output")" = null ]
}

@test "dump label of a file that is not a vctl disk" {
	truncate -s 1M "$D/blank.img"
	run -0 vctl --json dump label "$D/blank.img"
	[ "$(jq '[.labels[].valid] | any' <<<"$output")" = false ]
	[ "$(jq -r '.labels[0].error' <<<"$output")" = "label: bad magic" ]
}

@test "dump label: bad arguments" {
	run -2 vctl -p "$P" dump label 9
	assert_output "vctl dump label: no disk 9 in the pool"
	run -2 vctl -p "$P" dump label nosuch.img
	run -1 vctl -p "$P" dump label "$D"
	assert_output --partial "is a directory"
	run -1 vctl -p "$P" dump label 1 2
	run -1 vctl -p "$P" dump lable
	assert_output --partial "did you mean 'dump label'"
}

@test "dump mld: the current MLD, every record" {
	run -0 vctl -p "$P" dump mld
	assert_output --partial "MLD (current, generation 1)"
	assert_output --regexp "magic +VCTL_MLD"
	[ "$(grep -c '^disk record' <<<"$output")" -eq 3 ]
	[ "$(grep -c '^enclosure record' <<<"$output")" -eq 3 ]
	assert_output --regexp "quorum_target +3"
}

@test "dump mld --json names FORMAT.md fields" {
	run -0 vctl -p "$P" --json dump mld
	[ "$(jq .header.generation <<<"$output")" -eq 1 ]
	[ "$(jq .header.record_count <<<"$output")" -eq 7 ]
	[ "$(jq '.disks | length' <<<"$output")" -eq 3 ]
	[ "$(jq -r .pool.uuid <<<"$output")" = "$(jq -r .header.pool_uuid <<<"$output")" ]
	[ "$(jq '.disks[2].flags' <<<"$output")" = '"0x1"' ]
	assert_keys_documented <<<"$output"
}

@test "dump mld --disk --slot: one copy, even a damaged one" {
	run -0 vctl -p "$P" --json dump mld --disk 2 --slot 1
	[ "$(jq .valid <<<"$output")" = true ]
	# the first enclosure's mbps rating (header 128 + pool record 88 + 16):
	# only the payload crc can tell
	printf 'XXXX' | dd of="$P/disk2.img" bs=1 seek=$((SLOT1 + 232)) conv=notrunc status=none
	run -0 vctl -p "$P" --json dump mld --disk 2 --slot 1
	[ "$(jq .valid <<<"$output")" = false ]
	assert_output --partial '"error": "MLD: bad payload crc (stored '
	[ "$(jq -r .header.payload_crc <<<"$output")" != "$(jq -r .header.payload_crc_computed <<<"$output")" ]
	[ "$(jq '.disks | length' <<<"$output")" -eq 3 ]
	[ "$(jq '.enclosures[0].mbps' <<<"$output")" -eq 1482184792 ]
	# structural damage: what could be decoded is shown, and the status says corrupt
	dd if=/dev/urandom of="$P/disk2.img" bs=1 count=4 seek=$((SLOT1 + 300)) conv=notrunc status=none
	run -4 --separate-stderr vctl -p "$P" --json dump mld --disk 2 --slot 1
	[ "$(jq .valid <<<"$output")" = false ]
	[[ "$stderr" == "vctl dump mld: disk 2 slot 1: MLD: "* ]]
	# slot 0 of a fresh pool is empty
	run -2 vctl -p "$P" dump mld --disk 0 --slot 0
	assert_output "vctl dump mld: disk 0 slot 0 is empty (never written)"
}

@test "dump mld with no valid copy points at --disk/--slot" {
	for i in 0 1 2; do damage "$P/disk$i.img" $SLOT1; done
	run -4 vctl -p "$P" dump mld
	assert_output "vctl dump mld: no valid MLD copy; dump one with --disk INDEX --slot 0|1"
	# the damage hit reserved header bytes: shown as far as it decodes
	run -4 vctl -p "$P" dump mld --disk 0 --slot 1
	assert_output --partial "reserved header byte"
	assert_output --regexp "magic +VCTL_MLD"
}

@test "dump mld: bad arguments" {
	run -1 vctl -p "$P" dump mld --disk 1
	assert_output "vctl dump mld: --disk and --slot go together"
	run -1 vctl -p "$P" dump mld --disk 1 --slot 2
	assert_output --partial "--slot"
	run -1 vctl -p "$P" dump mld --disk x --slot 0
	run -2 vctl -p "$P" dump mld --disk 7 --slot 0
	assert_output "vctl dump mld: no disk 7 in the pool"
	run -1 vctl -p "$P" dump mld extra
	run -1 vctl -p "$P" dump
	assert_output --regexp "^vctl dump: missing subcommand; one of: label mld"
}

@test "dump volume: the MLD record by its FORMAT.md names" {
	vctl -p "$P" create v --size 3M --raid 5 --width 2 -q
	head -c 1M /dev/urandom | vctl -p "$P" write v -q
	run -0 vctl -p "$P" --json dump volume v
	[ "$(jq -r '"\(.name) \(.size) \(.raid) \(.width) \(.stripe) \(.flags) \(.l2_count)"' <<<"$output")" = "v 3145728 3 2 65536 0x0 1" ]
	[ "$(jq '.l2[0] > 0' <<<"$output")" = true ]
	assert_keys_documented <<<"$output"
	run -0 vctl -p "$P" dump volume v
	assert_line --regexp "^  raid +3 \(raid5\)$"
	run -2 vctl -p "$P" dump volume nosuch
	# the sharing fields: a snapshot's successor, a snapclone's copy cursor
	vctl -p "$P" snapshot v s --reserve -q
	VCTL_JOB_STEPS=0 vctl -p "$P" snapclone v c -q
	run -0 --separate-stderr vctl -p "$P" --json dump volume s
	[ "$(jq -r '"\(.origin) \(.succ) \(.cursor) \(.flags)"' <<<"$output")" = "1 3 0 0x0" ]
	[ "$(jq .reserve <<<"$output")" -gt 0 ]
	assert_keys_documented <<<"$output"
	run -0 vctl -p "$P" dump volume c
	assert_line --regexp "^  flags +0x4 \(clone\)$"
	assert_line --regexp "^  succ +1$"
}

@test "dump map: L2MAP, LMAP and every run with its RSD's members" {
	vctl -p "$P" create v --size 4M --raid 1 -q
	head -c 300K /dev/urandom | vctl -p "$P" write v --offset 1M -q
	run -0 vctl -p "$P" --json dump map v
	assert_keys_documented <<<"$output"
	[ "$(jq '.lmaps | length' <<<"$output")" -eq 1 ]
	[ "$(jq '.lmaps[0].entries' <<<"$output")" -eq 2 ]
	# raid1 RStores are one 256 KiB PSEG, one RSEG: 300 KiB at 1 MiB
	# takes two of them
	[ "$(jq -c '[.runs[] | [.first_rseg, .rsegs, .rsd != null]]' <<<"$output")" = '[[0,4,false],[4,1,true],[5,1,true],[6,10,false]]' ]
	[ "$(jq '.runs[1].members | length' <<<"$output")" -eq 2 ]
	[ "$(jq '.runs[1].members[0].disk != .runs[1].members[1].disk' <<<"$output")" = true ]
	run -0 vctl -p "$P" dump map v
	assert_line --regexp "^RSEG 4 \+1 \(bytes 1048576 \+262144\): RSD [0-9]+ Sp=no Ss=no raid1 width 1 stripe 65536 rss 0 refs 1$"
	run -2 vctl -p "$P" dump map nosuch
}
