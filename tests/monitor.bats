#!/usr/bin/env bats
# vctl monitor (source 004, issue 9): the measured load of each array
# against its rating; for a hot array the worst-fit volume, a new placement
# for it that has room for its load, and with --migrate its migration
# region by region while clients keep using it (fio verifies every block),
# surviving kill -9 of the server.

load test_helper
load serve_helper

setup() {
	serve_setup
	FIO_PID=
}

teardown() {
	[ -z "$FIO_PID" ] || {
		touch "$D/stop"
		kill "$FIO_PID" 2>/dev/null || true
		wait "$FIO_PID" 2>/dev/null || true
	}
	stop_serve
}

# Ratings set low for the test: e0 and e2 carry 10 MB/s, e1 $1 (default
# 1000). v1 (16 MiB, 5 MB/s) and v2 (8 MiB, 4 MB/s) both land on e0 (best
# fit: the least free capability).
hot_pool() {
	rated_pool 10 "${1:-1000}" 10
	vctl -p "$P" create v1 --size 16M --mbps 5 -q
	vctl -p "$P" create v2 --size 8M --mbps 4 -q
	run -0 vctl -p "$P" --json show v2
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e0"]' ]
}

# Reads of VOLUME in a loop (fio, 4 KiB random, iodepth 8) for at most 60 s
# or until $D/stop exists: load that changes nothing.
read_load() {
	(
		for _ in $(seq 30); do
			[ -e "$D/stop" ] && break
			fio --name=r --ioengine=nbd --uri="$(uri "$1")" --rw=randread --bs=4k --iodepth=8 \
				--size="$2" --time_based --runtime=2 >/dev/null 2>&1 || true
		done
	) 3>&- &
	FIO_PID=$!
}

# Waits (at most 20 s) until `array list` measures more than $2 MB/s on
# array $1; prints that load.
await_load() {
	local i out
	for i in $(seq 20); do
		out=$(vctl -p "$P" --json array list)
		jq -e --arg a "$1" --argjson min "$2" '.arrays[] | select(.name == $a) | .load_mbps > $min' \
			<<<"$out" >/dev/null && {
			jq --arg a "$1" '.arrays[] | select(.name == $a) | .load_mbps' <<<"$out"
			return 0
		}
	done
	fail "no load above $2 MB/s on $1: $out"
}

# hot_pool $1, v2 full of data and served, and reads of it loading e0
# past its 80%.
reads_of_v2() {
	require fio
	hot_pool "$@"
	head -c 8M /dev/urandom >"$D/data"
	vctl -p "$P" write v2 "$D/data" -q
	start_serve --socket "$SOCK"
	read_load v2 8M
	await_load e0 8 >/dev/null
}

# Waits (at most $1 s) until no job is left.
await_jobs_done() {
	local i
	for i in $(seq "$(($1 * 10))"); do
		[ "$(vctl -p "$P" --json jobs | jq '.jobs | length')" = 0 ] && return 0
		sleep 0.1
	done
	fail "jobs left after $1 s: $(vctl -p "$P" jobs)"
}

@test "acceptance: fio drives e0 past 80%; monitor --once --migrate moves the worst fit (v1) to e1 under verifying fio; zero errors; e0's load drops" {
	require fio
	hot_pool
	start_serve --socket "$SOCK"
	fio_until v1 16M &
	FIO_PID=$!
	local before
	before=$(await_load e0 8)
	# a round that falls between two fio runs may find nothing hot: again
	for _ in 1 2 3 4 5; do
		run -0 vctl -p "$P" --json monitor --once --migrate --rate 4M
		[ "$(jq '.hot | length' <<<"$output")" = 0 ] || break
	done
	echo "$output"
	[ "$(jq -c '.hot[0] | [.array, .dimension, .volume, .placement, .started, .problem]' <<<"$output")" = '["e0","mbps","v1",["e1"],true,null]' ]
	[ "$(jq '.hot | length' <<<"$output")" = 1 ]
	[ "$(jq '.hot[0].volume_committed' <<<"$output")" = 5 ]
	local job
	job=$(jq '.hot[0].job' <<<"$output")
	run -0 vctl -p "$P" --json jobs
	[ "$(jq -c --argjson j "$job" '.jobs[] | select(.id == $j) | [.kind, .volume, .arrays]' <<<"$output")" = '["migrate","v1",["e1"]]' ]
	await_jobs_done 90
	# v1 now lies on e1 alone; fio goes on writing and verifying there
	[ "$(encls_of v1)" = e1 ]
	local after
	after=$(await_load e1 1 >/dev/null; vctl -p "$P" --json array list | jq '.arrays[0].load_mbps')
	echo "# e0's load: ${before} MB/s before, ${after} MB/s after" >&3
	[ "$(jq -n --argjson b "$before" --argjson a "$after" '$a < $b / 10')" = true ]
	fio_stop "$FIO_PID"
	FIO_PID=
	echo "# $runs verifying fio runs on v1, before, during and after its migration: zero errors" >&3
	[ "$runs" -ge 2 ]
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	run -0 vctl -p "$P" check --intents
	run -0 vctl -p "$P" --json array list
	[ "$(jq -c '[.arrays[] | .committed_mbps]' <<<"$output")" = '[4,5,0]' ]
}

@test "the worst fit is the volume whose load exceeds its commitment most (reads of v2), and without --migrate nothing moves" {
	reads_of_v2
	run -0 vctl -p "$P" monitor --once
	assert_line --regexp '^array e0: [0-9.]+ MB/s, rated 10 MB/s \([0-9]+%\), above 80%$'
	assert_line --regexp '^  worst fit: v2, [0-9.]+ MB/s there, 4 committed$'
	assert_line --regexp '^  new placement: e1 \(moves [0-9]+ of [0-9]+ PSEGs\)$'
	refute_line --partial migrating
	run -0 vctl -p "$P" --json jobs
	[ "$(jq '.jobs | length' <<<"$output")" = 0 ]
	[ "$(encls_of v2)" = e0 ]
}

@test "no array has room for the worst fit's load: monitor says arrays must be added, exit 3, nothing moves" {
	reads_of_v2 10
	local gen
	gen=$(vctl -p "$P" --json status | jq .mld.generation)
	# a round that falls between two fio runs (or, under valgrind, a slow
	# server) may find nothing hot: again
	for _ in 1 2 3 4 5; do
		run vctl -p "$P" --json monitor --once --migrate
		[ "$status" -ne 0 ] || [ "$(jq '.hot | length' <<<"${lines[0]}")" != 0 ] || continue
		break
	done
	[ "$status" -eq 3 ]
	[ "$(jq -r '.hot[0].problem' <<<"${lines[0]}")" != null ]
	jq -r '.hot[0].problem' <<<"${lines[0]}" | grep -q "^no placement of v2 without array e0: needs 4 MB/s, and the arrays with that free have no room for its measured load (.*); arrays must be added"
	[ "${lines[1]}" = "vctl monitor: array e0 is above 80% of its rating, and nothing can move off it" ]
	[ "$(vctl -p "$P" --json status | jq .mld.generation)" = "$gen" ]
	[ "$(encls_of v2)" = e0 ]
}

@test "kill -9 during a migration: check is clean offline, the restarted server resumes it and completes; data intact" {
	require fio
	hot_pool
	head -c 16M /dev/urandom >"$D/data"
	vctl -p "$P" write v1 "$D/data" -q
	start_serve --socket "$SOCK"
	read_load v1 16M
	await_load e0 8 >/dev/null
	run -0 vctl -p "$P" --json monitor --once --migrate --rate 1M
	[ "$(jq -c '.hot[0] | [.volume, .placement, .started]' <<<"$output")" = '["v1",["e1"],true]' ]
	# a few regions moved, most not
	local i moved=0
	for i in $(seq 100); do
		moved=$(vctl -p "$P" --json jobs | jq '[.jobs[] | select(.kind == "migrate") | .psegs_moved] | add // 0')
		[ "$moved" -ge 3 ] && break
		sleep 0.1
	done
	[ "$moved" -ge 3 ]
	kill -9 "$SERVE_PID"
	wait "$SERVE_PID" || true
	SERVE_PID=
	touch "$D/stop"
	wait "$FIO_PID" || true
	FIO_PID=
	run -0 vctl -p "$P" check --intents
	run -0 vctl -p "$P" --json jobs
	[ "$(jq -c '.jobs[0] | [.kind, .volume, (.psegs_moved >= 3), (.psegs_moved < .psegs)]' <<<"$output")" = '["migrate","v1",true,true]' ]
	cmp <(vctl -p "$P" read v1) "$D/data"
	start_serve --socket "$SOCK"
	await_jobs_done 90
	grep -q "job [0-9]*: v1 lies on arrays e1 now" "$D/serve.log"
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	[ "$(encls_of v1)" = e1 ]
	cmp <(vctl -p "$P" read v1) "$D/data"
	run -0 vctl -p "$P" check --intents
}

@test "rounds follow each other until the vctl that asked is gone; --json prints one object per round; -v the arrays" {
	hot_pool
	start_serve --socket "$SOCK"
	run -0 vctl -p "$P" monitor --once -v
	assert_line "every array is at or below 80% of its rating"
	assert_line --regexp '^e1 +1000 '
	run -0 vctl -p "$P" --json monitor --once --threshold 50 --interval 1
	[ "$(jq -c '[.threshold, .hot, (.arrays | length)]' <<<"$output")" = '[50,[],3]' ]
	run -124 timeout 3.5 "$VCTL" -p "$P" --json monitor --interval 1
	[ "${#lines[@]}" -ge 2 ]
	for i in "${!lines[@]}"; do
		[ "$(jq -c '.hot' <<<"${lines[$i]}")" = '[]' ]
	done
	# the server's round ends with its client: it stops at once
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
}

@test "offline: no server, exit 2 and one line; bad options exit 1" {
	hot_pool
	local sum
	sum=$(images_sum "$P")
	run -2 vctl -p "$P" monitor --once
	assert_output "vctl monitor: no server is running for the pool in $P; the load is measured by vctl serve"
	run -1 vctl -p "$P" monitor --interval 0
	assert_output "vctl monitor: --interval: must be at least 1"
	run -1 vctl -p "$P" monitor --threshold 0
	assert_output "vctl monitor: --threshold: must be at least 1"
	run -1 vctl -p "$P" monitor --rate 0
	assert_output "vctl monitor: --rate: must be more than 0"
	run -1 vctl -p "$P" monitor --interval x
	assert_one_line
	run -1 vctl -p "$P" monitor v1
	assert_one_line
	assert_unchanged "$P" "$sum"
}
