#!/usr/bin/env bats
# vctl snapclone: the background copy (BGCOPY) that makes a snapshot
# independent, offline and inside vctl serve, across kill -9; its refusals.
# (The job stopped, listed, resumed and cancelled with vctl jobs:
# jobs.bats; the randomized model with snapclones: snapshot.bats.)

load test_helper
load serve_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 64M 3
	SOCK=$P/vctl.sock
	SERVE_PID=
	head -c 3M /dev/urandom >"$D/a"
	head -c 1M /dev/urandom >"$D/b"
}

teardown() {
	stop_serve
}

@test "snapclone offline: a snapshot copied until it shares nothing; the older snapshot keeps its bytes" {
	vctl -p "$P" create v --size 6M --raid 5 -q
	vctl -p "$P" write v "$D/a" -q
	vctl -p "$P" snapshot v s1 -q
	vctl -p "$P" write v --offset 2M "$D/b" -q
	s1=$(sum s1)
	at_clone=$(sum v)
	run -0 --separate-stderr vctl -p "$P" --json snapclone v c
	[ "$(jq -r .name <<<"$output")" = c ]
	[ "$(jq -r .origin <<<"$output")" = v ]
	[ "$(jq .done <<<"$output")" = true ]
	[ "$(sum c)" = "$at_clone" ]
	[ "$(sum s1)" = "$s1" ]
	# alone in its chain, nothing shared; s1 reads through v again
	run -0 --separate-stderr vctl -p "$P" --json dump tree c
	[ "$(jq -c '[.chain[].name]' <<<"$output")" = '["c"]' ]
	run -0 --separate-stderr vctl -p "$P" --json show c
	[ "$(jq .shared <<<"$output")" = 0 ]
	run -0 --separate-stderr vctl -p "$P" --json dump tree v
	[ "$(jq -c '[.chain[].name]' <<<"$output")" = '["s1","v"]' ]
	vctl -p "$P" write v "$D/b" -q
	[ "$(sum c)" = "$at_clone" ]
	[ "$(sum s1)" = "$s1" ]
	run -0 vctl -p "$P" check
	run -0 vctl -p "$P" jobs
	assert_output --regexp "^ID +KIND +VOLUME +DETAIL +PROGRESS$"
}

@test "a write to the clone after its copy, then a snapshot of the clone: the snapshot keeps the clone's bytes when it leaves" {
	# (found by the model: the origin's "unchanged since the copy" marks
	# must go where the clone itself is written)
	vctl -p "$P" create v --size 3M -q
	vctl -p "$P" write v "$D/a" -q
	VCTL_JOB_STEPS=1 vctl -p "$P" snapclone v c -q
	[ "$(vctl -p "$P" --json jobs | jq -r '.jobs[0].state')" = leaving ]
	vctl -p "$P" write c --offset 100000 "$D/b" -q
	vctl -p "$P" snapshot c s -q
	want=$(sum c)
	vctl -p "$P" jobs --wait -q
	[ "$(sum s)" = "$want" ]
	[ "$(sum c)" = "$want" ]
	[ "$(sum v)" = "$(cksum <"$D/a")" ]
	run -0 vctl -p "$P" check
}

@test "snapclone: bad input: exit status, one line, nothing changed" {
	vctl -p "$P" create v --size 4M -q
	vctl -p "$P" write v "$D/a" -q
	vctl -p "$P" snapclone v c -q
	before=$(images_sum "$P")
	run -3 vctl -p "$P" snapclone v c
	assert_output "vctl snapclone: a volume named c exists already"
	run -2 vctl -p "$P" snapclone nosuch x
	run -1 vctl -p "$P" snapclone v y --threshold -1
	assert_one_line
	run -1 vctl -p "$P" snapclone v 'bad/name'
	assert_one_line
	assert_unchanged "$P" "$before"
}

@test "online: the server copies while fio writes the origin; kill -9 mid-copy, restart, the job resumes past where it was" {
	require fio
	vctl -p "$P" create v --size 48M --raid 10 --width 2 -q
	head -c 48M /dev/urandom >"$D/v0"
	vctl -p "$P" write v "$D/v0" -q
	vctl -p "$P" snapshot v old -q
	VCTL_JOB_PACE_MS=100 start_serve
	run -0 --separate-stderr vctl -p "$P" --json snapclone v c
	[ "$(jq .done <<<"$output")" = false ]
	id=$(jq .job <<<"$output")
	fio --name=w --ioengine=nbd --uri="$(uri v)" --rw=randwrite --bs=4k --iodepth=16 \
		--size=40M --loops=2 --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
		--output-format=json --output="$D/fio.json" &
	fio_pid=$!
	before=0
	for _ in $(seq 100); do
		before=$(vctl -p "$P" --json jobs | jq ".jobs[] | select(.id == $id) | .rsegs_copied")
		[ "${before:-0}" -gt 0 ] && break
		sleep 0.1
	done
	[ "${before:-0}" -gt 0 ]
	kill -9 "$SERVE_PID"
	wait "$SERVE_PID" || true
	SERVE_PID=
	wait "$fio_pid" || true # its server went away under it
	# offline, the job is where the server left it
	run -0 --separate-stderr vctl -p "$P" --json jobs
	after_kill=$(jq ".jobs[] | select(.id == $id) | .rsegs_copied" <<<"$output")
	[ "$after_kill" -ge "$before" ]
	start_serve
	for _ in $(seq 300); do
		[ "$(vctl -p "$P" --json jobs | jq '.jobs | length')" = 0 ] && break
		sleep 0.1
	done
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq '.jobs | length' <<<"$output")" = 0 ]
	echo "# job $id: $before RSEGs copied before kill -9, $after_kill after it, then resumed to the end" >&3
	grep -q "job $id: snapclone c shares nothing now" "$D/serve.log"
	# fio again, verifying, while nothing is killed
	fio --name=w --ioengine=nbd --uri="$(uri v)" --rw=randwrite --bs=4k --iodepth=16 \
		--size=40M --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
		--output-format=json --output="$D/fio2.json"
	[ "$(jq '[.jobs[].error] | add' "$D/fio2.json")" -eq 0 ]
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	vctl -p "$P" read c | cmp - "$D/v0"
	vctl -p "$P" read old | cmp - "$D/v0"
	run -0 --separate-stderr vctl -p "$P" --json dump tree c
	[ "$(jq -c '[.chain[].name]' <<<"$output")" = '["c"]' ]
	run -0 vctl -p "$P" check
}
