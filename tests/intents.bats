#!/usr/bin/env bats
# Intents and the allocator (source 000): --separate enclosure kept by
# create, growth and disk replace; check --intents; disk fail and disk
# replace, refusals included.

load test_helper
load serve_helper

setup() {
	serve_setup
	head -c 4M /dev/urandom >"$D/data"
}

teardown() {
	stop_serve
}

# pool_of SPEC...: a pool of sparse files NAME:SIZE:ENCLOSURE
pool_of() {
	local files=() spec name size encl
	mkdir -p "$D/img"
	for spec in "$@"; do
		IFS=: read -r name size encl <<<"$spec"
		truncate -s "$size" "$D/img/$name"
		files+=("$D/img/$name:enclosure=$encl")
	done
	vctl -p "$P" init --pseg-size 256K "${files[@]}" -q
}

# members NAME: "disk:enclosure" of every member of the volume's first RStore
members() {
	local encl
	vctl -p "$P" --json dump map "$1" | jq -r '.runs[0].members[].disk' | while read -r d; do
		encl=$(vctl -p "$P" --json disk list | jq -r ".disks[] | select(.index == $d) | .enclosure")
		echo "$d:$encl"
	done | paste -sd' '
}

encl_of_disk() {
	vctl -p "$P" --json disk list | jq -r ".disks[] | select(.index == $1) | .enclosure"
}

@test "create --separate enclosure: kept as the volume's intent; refused where the pool cannot keep it" {
	mkpool 6 32M 3
	run -0 vctl -p "$P" create m --size 4M --raid 10 --width 2 --separate enclosure --thick
	assert_output "created volume m: 4.0 MiB, raid10, width 2, stripe 64.0 KiB, thick, separate enclosure"
	run -0 --separate-stderr vctl -p "$P" --json show m
	[ "$(jq -c .intent <<<"$output")" = '{"raid":10,"width":2,"stripe_size":65536,"separate":"enclosure"}' ]
	vctl -p "$P" create r --size 4M --raid 5 --width 2 --separate enclosure --thick -q
	vctl -p "$P" snapshot m s -q
	[ "$(vctl -p "$P" --json show s | jq -r .intent.separate)" = enclosure ]
	run -0 vctl -p "$P" check --intents
	before=$(images_sum "$P")
	run -3 vctl -p "$P" create r4 --size 4M --raid 5 --width 3 --separate enclosure
	assert_output "vctl create: a raid5 of width 3 with --separate enclosure needs disks in 4 enclosures; the pool has 3"
	run -1 vctl -p "$P" create z --size 4M --separate enclosure
	assert_output "vctl create: --separate enclosure is for mirrored and raid5 volumes: raid0 has nothing to keep apart"
	run -1 vctl -p "$P" create z --size 4M --raid 1 --separate rack
	assert_output "vctl create: --separate rack: the one rule is 'enclosure'"
	run -1 vctl -p "$P" create z --size 4M --raid 1 --separate
	assert_one_line
	assert_unchanged "$P" "$before"
	# one enclosure: a mirror cannot have its halves apart
	rm -rf "$P"
	mkpool 4 32M 1
	before=$(images_sum "$P")
	run -3 vctl -p "$P" create m --size 4M --raid 1 --separate enclosure
	assert_output "vctl create: a raid1 of width 1 with --separate enclosure needs disks in 2 enclosures; the pool has 1"
	assert_unchanged "$P" "$before"
}

@test "the source's example: a stripe of two mirrors over 3 enclosures; the failed half is rebuilt outside its partner's enclosure, though a free PSEG waits there" {
	# disk 4, in e1 with disk 1, is the biggest and so the least used:
	# an allocator that only balanced use would put the new half there
	pool_of d0:32M:e0 d1:32M:e1 d2:32M:e2 d3:32M:e0 d4:96M:e1 d5:32M:e2
	vctl -p "$P" create m --size 4M --raid 10 --width 2 --separate enclosure -q
	vctl -p "$P" write m "$D/data" -q
	read -r first partner _ <<<"$(members m)"
	fd=${first%%:*}
	pd=${partner%%:*}
	pe=${partner#*:}
	[ "${first#*:}" != "$pe" ]
	run -0 vctl -p "$P" disk fail "$fd"
	assert_output "disk $fd is failed: its redundant RStores run degraded until vctl disk replace"
	vctl -p "$P" read m | cmp - "$D/data"
	# a disk in the partner's enclosure, other than the partner, with room
	sibling=$(vctl -p "$P" --json disk list |
		jq -r ".disks[] | select(.enclosure == \"$pe\" and .index != $pd and .state == \"active\") | .index" | head -1)
	[ -n "$sibling" ]
	run -0 --separate-stderr vctl -p "$P" --json disk replace "$fd"
	[ "$(jq .rstores <<<"$output")" -ge 4 ]
	read -r new partner2 _ <<<"$(members m)"
	[ "$partner2" = "$partner" ]
	[ "${new%%:*}" != "$fd" ]
	[ "${new#*:}" != "$pe" ]
	echo "# first half was on disk $first, partner $partner; rebuilt on $new (disk $sibling in $pe had room)" >&3
	vctl -p "$P" read m | cmp - "$D/data"
	run -0 vctl -p "$P" check --intents
	run -0 --separate-stderr vctl -p "$P" --json disk list
	[ "$(jq -c ".disks[] | select(.index == $fd) | [.state, .used]" <<<"$output")" = '["failed",0]' ]
	# the volume keeps working, and so does its intent on new space
	vctl -p "$P" write m --offset 1M "$D/data" -q 2>/dev/null || true
	run -0 vctl -p "$P" check --intents
}

@test "no compliant space: the replace is refused, naming the member, and nothing changes; without the intent the same rebuild goes ahead" {
	# e0 has two disks, e1 only one: every mirror has a half on disk 2
	pool_of d0:32M:e0 d1:32M:e0 d2:32M:e1
	vctl -p "$P" create m --size 2M --raid 1 --separate enclosure -q
	vctl -p "$P" write m <(head -c 2M "$D/data") -q
	[ "$(members m | tr ' ' '\n' | grep -c ':e1$')" = 1 ]
	vctl -p "$P" disk fail 2 -q
	before=$(images_sum "$P")
	run -3 vctl -p "$P" disk replace 2
	assert_output --regexp "^vctl disk replace: no free PSEG outside enclosure e0 for the (first|second) half of mirror 0 of RStore [0-9]+ of volume m$"
	assert_unchanged "$P" "$before"
	vctl -p "$P" read m | cmp - <(head -c 2M "$D/data")
	# new space of the volume cannot place its halves either
	vctl -p "$P" resize m --size 3M -q
	run -3 vctl -p "$P" write m --offset 2M <(head -c 1M "$D/data")
	assert_output --regexp "no free PSEG outside enclosure e0"
	# the same pool with a volume that only prefers separate enclosures
	rm -rf "$P" "$D/img"
	pool_of d0:32M:e0 d1:32M:e0 d2:32M:e1
	vctl -p "$P" create n --size 2M --raid 1 -q
	vctl -p "$P" write n <(head -c 2M "$D/data") -q
	vctl -p "$P" disk fail 2 -q
	run -0 vctl -p "$P" disk replace 2
	[ "$(members n)" = "0:e0 1:e0" ] || [ "$(members n)" = "1:e0 0:e0" ]
	vctl -p "$P" read n | cmp - <(head -c 2M "$D/data")
	run -0 vctl -p "$P" check --intents
}

@test "check --intents names each violation" {
	pool_of d0:32M:e0 d1:32M:e0 d2:32M:e1
	vctl -p "$P" create n --size 2M --raid 1 -q
	vctl -p "$P" write n <(head -c 2M "$D/data") -q
	vctl -p "$P" disk fail 2 -q
	vctl -p "$P" disk replace 2 -q
	run -0 vctl -p "$P" check --intents
	# give n the intent behind vctl's back: every copy of the MLD edited
	python3 - "$D/img" <<-'EOF'
	import struct, sys, zlib, glob
	for f in glob.glob(sys.argv[1] + "/*"):
	    with open(f, "r+b") as fh:
	        for slot in (0, 1):
	            off = 512 * 1024 + slot * 768 * 1024
	            fh.seek(off); b = bytearray(fh.read(768 * 1024))
	            if b[:8] != b"VCTL_MLD":
	                continue
	            total = struct.unpack_from("<I", b, 12)[0]
	            at = 128
	            while at < total:
	                typ, _, n = struct.unpack_from("<HHI", b, at)
	                if typ == 4 and b[at + 8 + 72:at + 8 + 73] == b"n":
	                    fl = struct.unpack_from("<I", b, at + 8 + 60)[0]
	                    struct.pack_into("<I", b, at + 8 + 60, fl | 8)
	                at += n
	            struct.pack_into("<I", b, 72, zlib.crc32(bytes(b[128:total])))
	            struct.pack_into("<I", b, 124, zlib.crc32(bytes(b[:124])))
	            fh.seek(off); fh.write(b)
	EOF
	[ "$(vctl -p "$P" --json show n | jq -r .intent.separate)" = enclosure ]
	run -0 vctl -p "$P" check
	run -4 --separate-stderr vctl -p "$P" --json check --intents
	[ "$(jq .ok <<<"$output")" = false ]
	jq -r '.problems[]' <<<"$output" | grep -E "^volume n: RStore [0-9]+: both halves of mirror 0 are in enclosure e0 \(disks [01] and [01]\), against its intent \(--separate enclosure\)$"
}

@test "disk fail and disk replace: bad input and refusals, the pool unchanged" {
	mkpool 6 32M 3
	vctl -p "$P" create z --size 2M --width 1 -q
	vctl -p "$P" write z <(head -c 2M "$D/data") -q
	vctl -p "$P" create m --size 2M --raid 1 -q
	z=$(vctl -p "$P" --json dump map z | jq '.runs[0].members[0].disk')
	before=$(images_sum "$P")
	run -1 vctl -p "$P" disk fail
	run -1 vctl -p "$P" disk fail x
	assert_one_line
	run -1 vctl -p "$P" disk fail 1 2
	run -2 vctl -p "$P" disk fail 7
	assert_output "vctl disk fail: no disk 7 in the pool"
	run -3 vctl -p "$P" disk fail "$z"
	assert_output --regexp "^vctl disk fail: disk $z holds data of volume z \(RStore [0-9]+, raid0\) that no other disk has: failing it would lose it$"
	run -3 vctl -p "$P" disk replace 1
	assert_output "vctl disk replace: disk 1 is active and present: fail it first (vctl disk fail 1)"
	run -2 vctl -p "$P" disk replace 9
	run -1 vctl -p "$P" disk replace -1
	assert_one_line
	assert_unchanged "$P" "$before"
	vctl -p "$P" delete z -q
	m=$(vctl -p "$P" --json dump map m | jq '.runs[0].members[0].disk // empty')
	d=${m:-1}
	vctl -p "$P" disk fail "$d" -q
	before=$(images_sum "$P")
	run -3 vctl -p "$P" disk fail "$d"
	assert_output "vctl disk fail: disk $d has failed already"
	assert_unchanged "$P" "$before"
	run -0 --separate-stderr vctl -p "$P" --json disk replace "$d"
	[ "$(jq -c 'keys' <<<"$output")" = '["done","extents","job","rebuilt_bytes","removed","replaced","rstores","version"]' ]
	[ "$(jq .done <<<"$output")" = true ]
	run -0 vctl -p "$P" check
}

@test "online: a disk fails while fio verifies RAID1, RAID5 and RAID10 volumes; replaced; fio has zero errors" {
	require fio
	mkpool 6 64M 3
	vctl -p "$P" create m1 --size 12M --raid 1 -q
	vctl -p "$P" create m5 --size 12M --raid 5 --width 3 -q
	vctl -p "$P" create m10 --size 12M --raid 10 --width 2 --separate enclosure -q
	start_serve
	fio_start 12M m1 m5 m10
	# a disk every volume uses, once fio has written (at most 20 s)
	d=
	for _ in $(seq 200); do
		d=$(vctl -p "$P" --json dump map m10 | jq '.runs[0].members[0].disk // empty')
		[ -z "$d" ] || break
		sleep 0.1
	done
	run -0 vctl -p "$P" disk fail "$d"
	sleep 1
	# online the rebuild is a job of the server: the command returns at once
	run -0 vctl -p "$P" disk replace "$d"
	assert_output --regexp "^disk $d replaced: [0-9]+ RStore members and [0-9]+ metadata extent copies \(.*\) to rebuild by job [0-9]+$"
	job=$(sed -E 's/.* by job ([0-9]+)$/\1/' <<<"$output")
	# it completes while fio goes on (at most 60 s)
	for _ in $(seq 600); do
		[ "$(vctl -p "$P" --json jobs | jq "[.jobs[] | select(.id == $job)] | length")" -eq 0 ] && break
		sleep 0.1
	done
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq '.jobs | length' <<<"$output")" -eq 0 ]
	grep -q "job $job: the rebuild is done" "$D/serve.log"
	fio_stop "${pids[@]}"
	echo "# disk $d failed, then replaced, during $runs verifying fio runs on 3 volumes" >&3
	[ "$runs" -ge 3 ]
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	run -0 vctl -p "$P" check --intents
	run -0 --separate-stderr vctl -p "$P" --json disk list
	[ "$(jq -c ".disks[] | select(.index == $d) | [.state, .used]" <<<"$output")" = '["failed",0]' ]
}
