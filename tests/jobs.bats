#!/usr/bin/env bats
# vctl jobs: the background jobs of a pool (level, evacuate, snapclone)
# listed with their progress, text and --json, waited for with --wait,
# cancelled with --cancel; offline and in vctl serve; bad input with its
# exit status, its one line, and the images unchanged. (What each job does
# to the data: level.bats, snapclone.bats, restripe.bats, intents.bats.)

load test_helper
load serve_helper

setup() {
	serve_setup
	head -c 8M /dev/urandom >"$D/data"
	head -c 3M /dev/urandom >"$D/a"
	head -c 1M /dev/urandom >"$D/b"
}

teardown() {
	stop_serve
}

@test "jobs: a level job and an evacuation are listed, and cancelled" {
	filled_pool
	new_disk d4.img 24M
	vctl -p "$P" disk add "$D/d4.img" --enclosure e1 -q
	VCTL_JOB_PACE_MS=300 start_serve
	run -0 vctl -p "$P" level --rate 256K
	assert_output --regexp "^leveling \(job [0-9]+\): [0-9]+ PSEG moves to make$"
	run -0 vctl -p "$P" disk remove 3
	assert_output --regexp "^removing disk 3 \(job [0-9]+\): its data moves to the other disks$"
	run -0 vctl -p "$P" jobs
	assert_line --index 1 --regexp "^[0-9]+ +level +- +all disks +running [0-9]+% \([0-9]+ of [0-9]+ PSEGs\) limit 256.0 KiB/s"
	assert_line --index 2 --regexp "^[0-9]+ +evacuate +- +disk 3 +running [0-9]+% \([0-9]+ of [0-9]+ PSEGs\)"
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq -c '.jobs[1] | [.kind, .volume, .disk, .state]' <<<"$output")" = '["evacuate",null,3,"running"]' ]
	[ "$(jq -c '.jobs[0] | [.kind, .volume, .rate_limit]' <<<"$output")" = '["level",null,262144]' ]
	for id in $(jq '.jobs[].id' <<<"$output"); do
		run -0 vctl -p "$P" jobs --cancel "$id"
		assert_output "cancelled job $id"
	done
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq '.jobs | length' <<<"$output")" -eq 0 ]
	stop_serve
	# disk 3 stays, and takes new data again
	run -0 --separate-stderr vctl -p "$P" --json disk list
	[ "$(jq '[.disks[] | select(.index == 3)] | length' <<<"$output")" -eq 1 ]
	assert_contents
	run -0 vctl -p "$P" check --intents
}

@test "jobs: a job stopped part way is listed, resumes with jobs --wait, or is cancelled into a snapshot" {
	mkpool 6 64M 3
	vctl -p "$P" create v --size 64M -q
	vctl -p "$P" write v "$D/a" -q
	at_clone=$(sum v)
	VCTL_JOB_STEPS=2 run -0 vctl -p "$P" snapclone v c
	assert_output --regexp "^created snapclone c of v \(job [0-9]+\)$"
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq -r '.jobs[0].volume' <<<"$output")" = c ]
	[ "$(jq -r '.jobs[0].kind' <<<"$output")" = snapclone ]
	[ "$(jq '.jobs[0].rsegs_copied' <<<"$output")" -gt 0 ]
	[ "$(jq '.jobs[0].progress < 1' <<<"$output")" = true ]
	id=$(jq '.jobs[0].id' <<<"$output")
	# the origin changes while the job waits: the clone does not
	vctl -p "$P" write v --offset 100000 "$D/b" -q
	[ "$(sum c)" = "$at_clone" ]
	run -0 vctl -p "$P" jobs --wait "$id"
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq '.jobs | length' <<<"$output")" = 0 ]
	[ "$(sum c)" = "$at_clone" ]
	run -0 --separate-stderr vctl -p "$P" --json show c
	[ "$(jq .successor <<<"$output")" = null ]
	# cancelled: the clone stays as a snapshot of v
	VCTL_JOB_STEPS=1 vctl -p "$P" snapclone v c2 -q
	id=$(vctl -p "$P" --json jobs | jq '.jobs[0].id')
	at_c2=$(sum c2)
	run -0 vctl -p "$P" jobs --cancel "$id"
	assert_output "cancelled job $id"
	run -0 --separate-stderr vctl -p "$P" --json dump tree c2
	[ "$(jq -c '[.chain[].name]' <<<"$output")" = '["c2","v"]' ]
	vctl -p "$P" write v "$D/a" -q
	[ "$(sum c2)" = "$at_c2" ]
	run -0 vctl -p "$P" check
	# a clone shrunk below its copy cursor (seen broken by the model)
	VCTL_JOB_STEPS=3 vctl -p "$P" snapclone v c3 -q
	want=$(vctl -p "$P" read c3 --length 16M | cksum)
	run -0 vctl -p "$P" resize c3 --size 16M --force
	run -0 vctl -p "$P" jobs --wait
	[ "$(sum c3)" = "$want" ]
	run -0 vctl -p "$P" check
	# bad input: exit status, one line, nothing changed
	before=$(images_sum "$P")
	run -2 vctl -p "$P" jobs --cancel 999
	assert_output "vctl jobs: no job 999"
	run -1 vctl -p "$P" jobs --cancel x
	assert_one_line
	run -1 vctl -p "$P" jobs --cancel "$id" "$id"
	assert_output "vctl jobs: --cancel takes no other argument"
	run -2 vctl -p "$P" jobs 999
	run -1 vctl -p "$P" jobs 1 2
	assert_one_line
	assert_unchanged "$P" "$before"
	# --json of a cancel
	VCTL_JOB_STEPS=1 vctl -p "$P" snapclone v c4 -q
	id=$(vctl -p "$P" --json jobs | jq '.jobs[0].id')
	run -0 --separate-stderr vctl -p "$P" --json jobs --cancel "$id"
	[ "$(jq .cancelled <<<"$output")" = "$id" ]
}
