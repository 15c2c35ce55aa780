#!/usr/bin/env bats
# Redundancy after failures: stale members, a disk that comes back, resync
# after an unclean close, a damaged map confined to its volume, and a pool
# that data has filled.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 32M 3
	head -c 6M /dev/urandom >"$D/a"
	head -c 6M /dev/urandom >"$D/b"
	for v in r0 r1 r5 r10; do
		vctl -p "$P" create "$v" --size 6M --raid "${v#r}" -q
		vctl -p "$P" write "$v" "$D/a" -q
	done
}

@test "a disk away during writes: raid0 data survives, stale members rebuild when it returns" {
	mv "$P/disk2.img" "$D/away"
	for v in r1 r5 r10; do vctl -p "$P" write "$v" "$D/b" -q; done
	run -4 vctl -p "$P" check
	assert_output --partial "volume r0: "
	assert_output --partial "until it returns"
	mv "$D/away" "$P/disk2.img"
	# not failed: the disk is back and raid0 reads again
	vctl -p "$P" read r0 | cmp - "$D/a"
	run -0 vctl -p "$P" check
	assert_output --regexp "note: volume r1: [0-9]+ RStores? ha(s|ve) a stale member"
	assert_output --regexp "note: [0-9]+ metadata blocks have a copy on disk 2 that is missing, failed or stale"
	# stale members are never read: the new data, not the old, comes back
	for v in r1 r5 r10; do vctl -p "$P" read "$v" | cmp - "$D/b"; done
	# the next open for writing rebuilds them
	run -0 vctl -p "$P" create x --size 1M
	run -0 vctl -p "$P" check
	refute_output --partial "note:"
	for v in r1 r5 r10; do vctl -p "$P" read "$v" | cmp - "$D/b"; done
	run -0 vctl -p "$P" --json dump mld
	[ "$(jq '[.meta[].stale] | map(. == "0x0") | all' <<<"$output")" = true ]
}

@test "a disk failed: new space of redundant volumes is born degraded and rebuilt by replace; raid0 is refused" {
	rm -rf "$P"
	vctl -p "$P" init --disks 5 --disk-size 64M --enclosures 3 -q
	vctl -p "$P" create w --size 32M --raid 5 --width 4 -q
	vctl -p "$P" create m --size 32M --raid 10 --width 2 -q
	vctl -p "$P" create z --size 32M --raid 0 --width 5 -q
	vctl -p "$P" write w "$D/a" -q
	run -0 vctl -p "$P" disk fail 2
	# 5 members, 4 disks in service: the fifth is on disk 2, stale
	run -0 vctl -p "$P" write w --offset 16M "$D/b"
	run -0 vctl -p "$P" write m --offset 16M "$D/b"
	vctl -p "$P" read w --offset 16M --length 6M | cmp - "$D/b"
	run -0 vctl -p "$P" --json dump map w
	[ "$(jq '[.runs[] | select(.rsd != null and .offset >= 16777216) | .members[] | select(.disk == 2)] | length' <<<"$output")" -gt 0 ]
	run -0 vctl -p "$P" check
	assert_output --regexp "note: volume w: [0-9]+ RStores run degraded"
	# raid0 has no member to spare: refused, nothing written
	before=$(images_sum "$P")
	run -3 vctl -p "$P" write z "$D/b"
	assert_output --partial "this needs 5 disks; the pool has 4 usable"
	assert_unchanged "$P" "$before"
	truncate -s 64M "$D/new.img"
	run -0 vctl -p "$P" disk replace 2 "$D/new.img" --wait
	run -0 vctl -p "$P" check
	refute_output --partial "degraded"
	vctl -p "$P" read w --offset 16M --length 6M | cmp - "$D/b"
	vctl -p "$P" read w --length 6M | cmp - "$D/a"
	vctl -p "$P" read m --offset 16M --length 6M | cmp - "$D/b"
}

@test "a crash in the middle of mirrored and parity writes: noted, then resynced" {
	for v in r1 r5; do
		cp -a --sparse=always "$P" "$D/base"
		# die half way through the data writes of an overwrite
		VCTL_FAULT=stop@12 run -137 vctl -p "$P" write "$v" "$D/b" -q
		run -0 vctl -p "$P" check
		assert_output --partial "note: redundant RStores were written since the pool was last closed cleanly"
		run -0 vctl -p "$P" --json dump mld
		[ "$(jq -r .pool.flags <<<"$output")" = 0x1 ]
		run -0 vctl -p "$P" create "after-$v" --size 1M
		run -0 vctl -p "$P" check
		refute_output --partial "note:"
		run -0 vctl -p "$P" --json dump mld
		[ "$(jq -r .pool.flags <<<"$output")" = 0x0 ]
		rm -rf "$P"
		mv "$D/base" "$P"
	done
}

@test "a clean write leaves the pool clean" {
	vctl -p "$P" write r5 "$D/b" -q
	run -0 vctl -p "$P" --json dump mld
	[ "$(jq -r .pool.flags <<<"$output")" = 0x0 ]
}

@test "a damaged map takes down its volume, not the pool" {
	lmap=$(vctl -p "$P" --json dump map r10 | jq '.lmaps[0].block')
	# every copy of that LMAP block: 16 KiB blocks, 16 per 256 KiB extent
	run -0 vctl -p "$P" --json dump mld
	ext=$((lmap / 16))
	for c in $(jq -r ".meta[] | select(.index == $ext) | .copies[] | \"\(.disk):\(.pseg)\"" <<<"$output"); do
		disk=${c%:*} pseg=${c#*:}
		damage "$P/disk$disk.img" $((2097152 + pseg * 262144 + (lmap % 16) * 16384))
	done
	run -0 vctl -p "$P" status
	run -0 vctl -p "$P" --json list
	[ "$(jq '.volumes | length' <<<"$output")" -eq 4 ]
	[ "$(jq -r '.volumes[] | select(.name == "r10") | .damaged | length > 0' <<<"$output")" = true ]
	vctl -p "$P" read r1 | cmp - "$D/a"
	run -4 vctl -p "$P" read r10 -o /dev/null
	assert_output --partial "volume r10 is unavailable: its map is damaged"
	run -4 vctl -p "$P" check
	assert_output --partial "volume r10 is unavailable"
	run -0 vctl -p "$P" create more --size 2M
	head -c 2M /dev/urandom | vctl -p "$P" write more -q
	# its RSDs are not freed, so nothing of it is overwritten meanwhile
	run -4 vctl -p "$P" check
	assert_output --partial "volume r10 is unavailable"
	assert_output --partial "note: RSD"
	assert_output --partial "referenced by no loaded volume"
}

@test "a pool filled with data still takes deletes and thin creates" {
	vctl -p "$P" create fill --size 1G -q
	run -3 bash -c 'head -c 1G /dev/zero | "$0" -p "$1" write fill' "$VCTL" "$P"
	assert_output --partial "out of space"
	run -0 vctl -p "$P" create thin --size 1G
	run -0 vctl -p "$P" rename thin thin2
	run -0 vctl -p "$P" delete r0
	run -0 vctl -p "$P" delete fill
	run -0 vctl -p "$P" check
}
