#!/usr/bin/env bats
# Disks joining and leaving a pool that holds data (source 002 [0076]-
# [0077]): disk add, vctl level, disk remove, disk replace INDEX FILE;
# offline, online under verifying fio, and across kill -9. Every move keeps
# the volumes' bytes and intents. (Their jobs listed and cancelled:
# jobs.bats.)

load test_helper
load serve_helper

setup() {
	serve_setup
	head -c 8M /dev/urandom >"$D/data"
}

teardown() {
	stop_serve
}

# Each disk taking data holds its share of the PSEGs in use, in proportion
# to its PSEGs, within one PSEG (from disk list --json: used, psegs).
assert_level() {
	local pseg=262144 out
	out=$(vctl -p "$P" --json disk list | jq --argjson pseg $pseg '
		[.disks[] | select(.state == "active")] as $d
		| ($d | map(.used / $pseg) | add) as $used
		| ($d | map(.psegs) | add) as $cap
		| $d[] | {index, used: (.used / $pseg), share: ($used * .psegs / $cap)}
		| select((.used - .share) > 1 or (.share - .used) > 1)')
	[ -z "$out" ] || fail "not level: $out"
}

# add_two_disks SIZE5: d4.img (24M) joins enclosure e0, d5.img (SIZE5) e1.
add_two_disks() {
	new_disk d4.img 24M
	new_disk d5.img "$1"
	vctl -p "$P" disk add "$D/d4.img" --enclosure e0 -q
	vctl -p "$P" disk add "$D/d5.img" --enclosure e1 -q
}

@test "disk add: a file elsewhere is linked into the pool directory; --json; a new enclosure" {
	mkpool 4 16M 2
	new_disk extra.img 16M
	run -0 vctl -p "$P" disk add "$D/extra.img" --enclosure e1
	assert_output "added $D/extra.img as disk 4 in enclosure e1: 14.0 MiB for data"
	[ "$(readlink "$P/extra.img")" = "$D/extra.img" ]
	new_disk other.img 20M
	run -0 --separate-stderr vctl -p "$P" --json disk add "$D/other.img" --enclosure shelf9
	[ "$(jq -c '[.index, .enclosure, .size]' <<<"$output")" = '[5,"shelf9",18874368]' ]
	run -0 --separate-stderr vctl -p "$P" --json disk list
	[ "$(jq -c '[.disks[] | [.index, .enclosure, .state]] | .[4:]' <<<"$output")" = '[[4,"e1","active"],[5,"shelf9","active"]]' ]
	run -0 vctl -p "$P" check
	# the pool reopens with them, and new data may land there
	vctl -p "$P" create v --size 12M --raid 10 --width 3 -q
	vctl -p "$P" write v "$D/data" -q
	cmp <(vctl -p "$P" read v --length 8M) "$D/data"
	run -0 vctl -p "$P" check --intents
}

@test "disk add: a file in the pool directory joins as it is; the only enclosure is the default" {
	vctl -p "$P" init --disks 3 --disk-size 16M --pseg-size 256K -q
	new_disk x 16M
	mv "$D/x" "$P/disk9.img"
	run -0 vctl -p "$P" disk add "$P/disk9.img"
	assert_output "added $P/disk9.img as disk 3 in enclosure e0: 14.0 MiB for data"
	[ ! -L "$P/disk9.img" ]
	run -0 vctl -p "$P" check
}

@test "disk add: bad input and refusals, the pool unchanged" {
	mkpool 4 16M 2
	before=$(images_sum "$P")
	run -1 vctl -p "$P" disk add
	run -1 vctl -p "$P" disk add a b
	run -1 vctl -p "$P" disk add --bogus x
	assert_one_line
	run -2 vctl -p "$P" disk add "$D/nothing.img" --enclosure e0
	assert_output "vctl disk add: $D/nothing.img: No such file or directory"
	run -1 vctl -p "$P" disk add "$D" --enclosure e0
	assert_output "vctl disk add: $D: is a directory, not a disk image"
	new_disk small.img 1M
	run -1 vctl -p "$P" disk add "$D/small.img" --enclosure e0
	assert_output --regexp "^vctl disk add: .*small.img: 1.0 MiB is too small for a disk of this pool \(at least .*\)$"
	new_disk ok.img 16M
	run -1 vctl -p "$P" disk add "$D/ok.img"
	assert_output "vctl disk add: the pool has 2 enclosures: say which one the disk is in with --enclosure"
	run -1 vctl -p "$P" disk add "$D/ok.img" --enclosure "bad name"
	assert_one_line
	# a disk of this pool, by its name or a copy of it
	run -3 vctl -p "$P" disk add "$P/disk1.img" --enclosure e0
	assert_output "vctl disk add: $P/disk1.img: is disk1.img of this pool already"
	cp --sparse=always "$P/disk2.img" "$D/copy.img"
	run -3 vctl -p "$P" disk add "$D/copy.img" --enclosure e0
	assert_output "vctl disk add: $D/copy.img: holds a copy of disk 2 of this pool"
	# something recognisable, without --force
	require mkfs.ext4
	mkfs.ext4 -q -F "$D/ok.img"
	run -3 vctl -p "$P" disk add "$D/ok.img" --enclosure e0
	assert_output "vctl disk add: $D/ok.img: holds ext4 (use --force to overwrite it)"
	new_disk o1.img 16M
	new_disk o2.img 16M
	vctl -p "$D/other" init --pseg-size 256K "$D/o1.img" "$D/o2.img" -q
	run -3 vctl -p "$P" disk add "$D/o1.img" --enclosure e0
	assert_output --regexp "^vctl disk add: .*/o1.img: is a disk of vctl pool [0-9a-f-]{36} \(use --force to overwrite it\)$"
	# a name the pool directory has already
	mkdir "$D/sub"
	new_disk sub/disk0.img 16M
	run -3 vctl -p "$P" disk add "$D/sub/disk0.img" --enclosure e0
	assert_output "vctl disk add: $D/sub/disk0.img: the pool directory already has an entry named disk0.img"
	chmod 444 "$D/sub/disk0.img"
	run -3 vctl -p "$P" disk add "$D/sub/disk0.img" --enclosure e0
	assert_output "vctl disk add: $D/sub/disk0.img: is read-only"
	assert_unchanged "$P" "$before"
	[ "$(find "$P" -name '*.img' | wc -l)" -eq 4 ]
	# --force takes the ext4 image
	run -0 vctl -p "$P" disk add "$D/ok.img" --enclosure e0 --force
	run -0 vctl -p "$P" check
}

@test "level: two disks join a 4-disk pool holding data; every disk ends within one PSEG of its share; contents and intents intact" {
	filled_pool
	add_two_disks 48M
	run assert_level
	[ "$status" -ne 0 ] # seen unlevel first
	run -0 --separate-stderr vctl -p "$P" --json level
	[ "$(jq .done <<<"$output")" = true ]
	moves=$(jq .moves <<<"$output")
	[ "$moves" -gt 10 ]
	assert_level
	assert_contents
	run -0 vctl -p "$P" check --intents
	run -0 vctl -p "$P" level
	assert_output "the pool is level"
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq '.jobs | length' <<<"$output")" -eq 0 ]
	used=$(vctl -p "$P" --json disk list | jq -c '[.disks[].used / 262144]')
	echo "# $moves PSEG moves planned; PSEGs used per disk after: $used" >&3
}

@test "level: bad usage" {
	mkpool 4 16M 2
	run -1 vctl -p "$P" level extra
	run -1 vctl -p "$P" level --rate 0
	assert_output "vctl level: --rate: must be more than 0"
	run -1 vctl -p "$P" level --rate lots
	assert_one_line
	run -0 vctl -p "$P" level
	assert_output "the pool is level"
}

@test "disk remove: everything moves off the disk, keeping intents; the disk leaves; refusals change nothing" {
	filled_pool
	add_two_disks 24M
	# a disk that holds a half of m10 (separate enclosures)
	d=$(vctl -p "$P" --json dump map m10 | jq '.runs[0].members[0].disk')
	e=$(vctl -p "$P" --json disk list | jq -r ".disks[] | select(.index == $d) | .enclosure")
	before=$(images_sum "$P")
	run -1 vctl -p "$P" disk remove
	run -1 vctl -p "$P" disk remove x
	assert_one_line
	run -2 vctl -p "$P" disk remove 9
	assert_output "vctl disk remove: no disk 9 in the pool"
	assert_unchanged "$P" "$before"
	run -0 --separate-stderr vctl -p "$P" --json disk remove "$d"
	[ "$(jq -c '[.removed, .done]' <<<"$output")" = "[$d,true]" ]
	run -0 --separate-stderr vctl -p "$P" --json disk list
	[ "$(jq "[.disks[] | select(.index == $d)] | length" <<<"$output")" -eq 0 ]
	[ "$(jq '.disks | length' <<<"$output")" -eq 5 ]
	assert_contents
	run -0 vctl -p "$P" check --intents
	# its image is no longer a disk of the pool: unlabelled
	run -0 vctl -p "$P" check
	refute_output --partial "not in the MLD"
	# a linked one from the other enclosure (d's has only the two disks
	# m10's halves need): the link goes with it
	if [ "$(vctl -p "$P" --json disk list | jq -r '.disks[] | select(.index == 4) | .enclosure')" = "$e" ]; then
		keep=4 go=5
	else
		keep=5 go=4
	fi
	run -0 vctl -p "$P" disk remove "$go"
	[ ! -e "$P/d$go.img" ]
	[ -e "$D/d$go.img" ]
	assert_contents
	# now the second half of every mirror of m10 has a single disk left in
	# its enclosure besides the one removed
	before=$(images_sum "$P")
	run -3 vctl -p "$P" disk remove "$keep"
	assert_output --regexp "^vctl disk remove: .* for the (first|second) half of mirror [01] of RStore [0-9]+ of volume m10$"
	assert_unchanged "$P" "$before"
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq '.jobs | length' <<<"$output")" -eq 0 ]
}

@test "disk remove: a failed disk that holds data is refused; after disk replace it leaves at once" {
	mkpool 4 16M 2
	vctl -p "$P" create m --size 2M --raid 1 -q
	head -c 2M "$D/data" | vctl -p "$P" write m - -q
	d=$(vctl -p "$P" --json dump map m | jq '.runs[0].members[0].disk')
	vctl -p "$P" disk fail "$d" -q
	before=$(images_sum "$P")
	run -3 vctl -p "$P" disk remove "$d"
	assert_output "vctl disk remove: disk $d has failed and still holds data: rebuild it elsewhere first (vctl disk replace $d)"
	assert_unchanged "$P" "$before"
	vctl -p "$P" disk replace "$d" -q
	run -0 vctl -p "$P" disk remove "$d"
	assert_output "disk $d removed"
	cmp <(vctl -p "$P" read m) <(head -c 2M "$D/data")
	run -0 vctl -p "$P" check
}

@test "disk replace INDEX FILE: the new disk joins in the failed one's enclosure, takes the rebuild, and the failed disk leaves" {
	filled_pool
	vctl -p "$P" delete z -q
	d=$(vctl -p "$P" --json dump map m1 | jq '.runs[0].members[0].disk')
	e=$(vctl -p "$P" --json disk list | jq -r ".disks[] | select(.index == $d) | .enclosure")
	vctl -p "$P" disk fail "$d" -q
	new_disk new.img 24M
	run -0 vctl -p "$P" disk replace "$d" "$D/new.img"
	assert_line --index 0 "added $D/new.img as disk 4 in enclosure $e: 22.0 MiB for data"
	assert_line --index 1 --regexp "^disk $d replaced: [0-9]+ RStore members and [0-9]+ metadata extent copies \(.*\) rebuilt; it left the pool$"
	run -0 --separate-stderr vctl -p "$P" --json disk list
	[ "$(jq -c '[.disks[].index]' <<<"$output")" = "$(jq -nc "[0,1,2,3,4] - [$d]")" ]
	# the emptiest disk took the rebuild
	[ "$(jq '.disks[] | select(.index == 4) | .used' <<<"$output")" -gt 0 ]
	for v in m1 m5 m10; do
		size=$(vctl -p "$P" --json show "$v" | jq .size)
		cmp <(vctl -p "$P" read "$v") <(head -c "$size" "$D/data")
	done
	run -0 vctl -p "$P" check --intents
	run -1 vctl -p "$P" disk replace 4 --force
	assert_output "vctl disk replace: --enclosure and --force go with FILE"
}

@test "online: disks added, the pool leveled and a disk removed while fio verifies RAID1, RAID5 and RAID10 volumes" {
	require fio
	filled_pool
	start_serve
	fio_start 2M m1 m5 m10
	new_disk d4.img 24M
	new_disk d5.img 24M
	run -0 vctl -p "$P" disk add "$D/d4.img" --enclosure e0
	run -0 vctl -p "$P" disk add "$D/d5.img" --enclosure e1
	run -0 --separate-stderr vctl -p "$P" --json level --wait
	[ "$(jq .done <<<"$output")" = true ]
	run -0 vctl -p "$P" disk remove 1 --wait
	assert_output "disk 1 removed"
	fio_stop "${pids[@]}"
	[ "$runs" -ge 3 ]
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	echo "# 2 disks added, leveled, disk 1 removed during $runs verifying fio runs" >&3
	run -0 vctl -p "$P" check --intents
	run -0 vctl -p "$P" level
	# z was not written by fio: its bytes are the ones filled_pool wrote
	cmp <(vctl -p "$P" read z) <(head -c 4M "$D/data")
}

# kill_part_way: once the served job has moved 3 PSEGs (at most 20 s), kill
# -9 the server; $cursor: what it had moved when last seen.
kill_part_way() {
	cursor=0
	for _ in $(seq 200); do
		cursor=$(vctl -p "$P" --json jobs | jq '.jobs[0].psegs_moved // 0')
		[ "$cursor" -lt 3 ] || break
		sleep 0.1
	done
	[ "$cursor" -ge 3 ]
	kill -9 "$SERVE_PID"
	wait "$SERVE_PID" || true
	SERVE_PID=
}

# resume_to_the_end: a new server resumes the jobs and ends them (at most
# 30 s).
resume_to_the_end() {
	start_serve
	for _ in $(seq 300); do
		[ "$(vctl -p "$P" --json jobs | jq '.jobs | length')" -eq 0 ] && break
		sleep 0.1
	done
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq '.jobs | length' <<<"$output")" -eq 0 ]
	stop_serve
}

@test "kill -9 during leveling, an evacuation and a rebuild: each job resumes in the next server and completes; data intact" {
	filled_pool
	add_two_disks 24M
	for what in level "disk remove 2"; do
		VCTL_JOB_PACE_MS=100 start_serve
		# shellcheck disable=SC2086
		run -0 --separate-stderr vctl -p "$P" --json $what
		[ "$(jq .done <<<"$output")" = false ]
		kill_part_way
		run -0 --separate-stderr vctl -p "$P" --json jobs
		kind=$(jq -r '.jobs[0].kind' <<<"$output")
		moved=$(jq '.jobs[0].psegs_moved' <<<"$output")
		total=$(jq '.jobs[0].psegs' <<<"$output")
		[ "$moved" -ge "$cursor" ]
		run -0 vctl -p "$P" check
		assert_contents
		echo "# $kind: killed at $moved PSEGs moved of $total" >&3
		resume_to_the_end
	done
	assert_contents
	run -0 vctl -p "$P" check --intents
	run -0 --separate-stderr vctl -p "$P" --json disk list
	[ "$(jq '[.disks[] | select(.index == 2)] | length' <<<"$output")" -eq 0 ]
	# a rebuild (disk replace online): killed part way, resumed
	vctl -p "$P" delete z -q
	d=$(vctl -p "$P" --json dump map m1 | jq '.runs[0].members[0].disk')
	vctl -p "$P" disk fail "$d" -q
	VCTL_JOB_PACE_MS=100 start_serve
	# onto a new disk in its enclosure: the others there hold m10's halves
	new_disk d6.img 24M
	run -0 --separate-stderr vctl -p "$P" --json disk replace "$d" "$D/d6.img"
	[ "$(jq -c '[.done, .removed]' <<<"$output")" = '[false,true]' ]
	kill_part_way
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq -r '.jobs[0].kind' <<<"$output")" = rebuild ]
	echo "# rebuild: killed at $(jq '.jobs[0].psegs_moved' <<<"$output") members rebuilt of $(jq '.jobs[0].psegs' <<<"$output")" >&3
	run -0 vctl -p "$P" check
	resume_to_the_end
	for v in m1 m5 m10; do
		size=$(vctl -p "$P" --json show "$v" | jq .size)
		cmp <(vctl -p "$P" read "$v") <(head -c "$size" "$D/data")
	done
	run -0 vctl -p "$P" check --intents
}
