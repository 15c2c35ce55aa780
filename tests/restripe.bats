#!/usr/bin/env bats
# vctl restripe: a new stripe width and/or stripe size for a live volume
# (source 003), offline and inside vctl serve: the switch, the background
# and on-demand transfers, a job stopped and resumed, killed and resumed,
# cancelled back to the old layout; --plan; bad input. The crash sweeps:
# crash-restripe.bats.

load test_helper
load serve_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 64M 3
	SOCK=$P/vctl.sock
	SERVE_PID=
	head -c 12M /dev/urandom >"$D/a"
	head -c 300000 /dev/urandom >"$D/b"
}

teardown() {
	stop_serve
}

# widths NAME: the distinct "width x stripe" of the RStores under a volume
widths() {
	vctl -p "$P" --json dump map "$1" |
		jq -r '[.runs[] | select(.rsd != null) | "\(.width)x\(.stripe)"] | unique | join(" ")'
}

# patch FILE OFFSET PIECE: the model of a write
patch() {
	dd if="$3" of="$1" bs=1 seek="$2" conv=notrunc status=none
}

@test "offline: RAID0 from 3 to 4 columns; contents kept, show and dump map say so, old space given back" {
	vctl -p "$P" create v --size 12M --width 3 -q
	vctl -p "$P" write v "$D/a" -q
	free=$(vctl -p "$P" --json status | jq .free)
	[ "$(widths v)" = "3x65536" ]
	run -0 --separate-stderr vctl -p "$P" --json restripe v --width 4
	[ "$(jq -c '[.from.width, .to.width, .to.stripe_size, .move_bytes, .done]' <<<"$output")" = \
		'[3,4,65536,12582912,true]' ]
	vctl -p "$P" read v | cmp - "$D/a"
	run -0 --separate-stderr vctl -p "$P" --json show v
	[ "$(jq -c '[.width, .stripe_size, .restripe]' <<<"$output")" = '[4,65536,null]' ]
	[ "$(widths v)" = "4x65536" ]
	# 16 RStores of 3 PSEGs gave way to 12 of 4
	[ "$(vctl -p "$P" --json status | jq .free)" = "$free" ]
	[ "$(vctl -p "$P" --json jobs | jq '.jobs | length')" = 0 ]
	run -0 vctl -p "$P" check
	run -0 vctl -p "$P" restripe v --width 2
	assert_output "restriped v: raid0 4 x 64.0 KiB -> raid0 2 x 64.0 KiB, 12.0 MiB moved"
	vctl -p "$P" read v | cmp - "$D/a"
}

@test "offline: RAID10 stripe size halved; RAID5 width and stripe size at once; a thin volume's holes stay holes" {
	vctl -p "$P" create m --size 6M --raid 10 --width 2 -q
	head -c 6M "$D/a" | vctl -p "$P" write m - -q
	vctl -p "$P" restripe m --stripe-size 32K -q
	vctl -p "$P" read m | cmp - <(head -c 6M "$D/a")
	[ "$(widths m)" = "2x32768" ]
	vctl -p "$P" create r --size 12M --raid 5 --width 3 -q
	vctl -p "$P" write r "$D/a" -q
	vctl -p "$P" restripe r --width 4 --stripe-size 16K -q
	vctl -p "$P" read r | cmp - "$D/a"
	[ "$(widths r)" = "4x16384" ]
	run -0 --separate-stderr vctl -p "$P" --json show r
	[ "$(jq -c '[.raid, .width, .stripe_size]' <<<"$output")" = '[5,4,16384]' ]
	# thin: 1 MiB written at 40 MiB of a 64 MiB volume moves one RStore's worth
	vctl -p "$P" create t --size 64M -q
	vctl -p "$P" write t --offset 40M "$D/b" -q
	allocated=$(vctl -p "$P" --json show t | jq .allocated)
	[ "$allocated" -eq $((1024 * 1024)) ]
	run -0 --separate-stderr vctl -p "$P" --json restripe t --width 2 --plan
	[ "$(jq .move_bytes <<<"$output")" -eq "$allocated" ]
	vctl -p "$P" restripe t --width 2 -q
	[ "$(vctl -p "$P" --json show t | jq .allocated)" -eq "$allocated" ]
	vctl -p "$P" read t --offset 40M --length 300000 | cmp - "$D/b"
	run -0 vctl -p "$P" check
}

@test "--plan says what would move and what it needs, and changes nothing; a refused plan exits as the restripe would" {
	vctl -p "$P" create v --size 12M --width 3 -q
	vctl -p "$P" write v "$D/a" -q
	before=$(images_sum "$P")
	run -0 --separate-stderr vctl -p "$P" --json restripe v --width 4 --stripe-size 32K --plan
	[ "$(jq -c '[.from.width, .from.stripe_size, .to.width, .to.stripe_size, .move_rsegs, .intent_holds, .refused]' <<<"$output")" = \
		'[3,65536,4,32768,48,true,false]' ]
	[ "$(jq '.new_bytes' <<<"$output")" = $((12 * 1024 * 1024)) ]
	[ "$(jq '.freed_bytes' <<<"$output")" = $((12 * 1024 * 1024)) ]
	[ "$(jq '.peak_bytes <= .new_bytes and .peak_bytes > 0 and .free_bytes > 0' <<<"$output")" = true ]
	run -0 vctl -p "$P" restripe v --width 4 --plan
	assert_line --index 0 "restripe v: raid0 3 x 64.0 KiB -> raid0 4 x 64.0 KiB"
	assert_line --index 1 --regexp "^  data to move: +12.0 MiB \(48 RSEGs\)$"
	assert_line --index 4 --regexp "^  intent: +raid0 of width 4 on 4 distinct disks: holds$"
	# 7 columns on 6 disks: the plan shows why, the status is the refusal's
	run -3 --separate-stderr vctl -p "$P" --json restripe v --width 7 --plan
	[ "$(jq -c '[.intent_holds, .refused]' <<<"$output")" = '[false,true]' ]
	[ "$stderr" = "vctl restripe: a raid0 of width 7 needs 7 disks; the pool has 6 usable" ]
	assert_unchanged "$P" "$before"
}

@test "bad input and refusals: exact status, one-line message, the pool unchanged" {
	vctl -p "$P" create v --size 12M --width 3 -q
	vctl -p "$P" create m --size 2M --raid 1 -q
	vctl -p "$P" write v "$D/a" -q
	vctl -p "$P" snapshot v s -q
	before=$(images_sum "$P")
	run -1 vctl -p "$P" restripe
	run -1 vctl -p "$P" restripe v
	assert_output "vctl restripe: nothing to change: give --width, --stripe-size or both"
	run -2 vctl -p "$P" restripe nosuch --width 4
	assert_output "vctl restripe: no volume named nosuch"
	for bad in 0 -1 x 4x 256 99999999999; do
		run -1 vctl -p "$P" restripe v --width "$bad"
		assert_one_line
	done
	for bad in 0 3000 6K 512K 1G x -4K; do
		run -1 vctl -p "$P" restripe v --stripe-size "$bad"
		assert_one_line
	done
	run -1 vctl -p "$P" restripe v --width 17
	assert_one_line
	run -1 vctl -p "$P" restripe v --width 3
	assert_output "vctl restripe: v has width 3 and stripe size 64.0 KiB already"
	run -1 vctl -p "$P" restripe m --width 2
	assert_one_line
	run -1 vctl -p "$P" restripe v --width 4 --rate 0
	assert_one_line
	run -1 vctl -p "$P" restripe v --width 4 --rate fast
	assert_one_line
	run -1 vctl -p "$P" restripe v --width 4 --plan --wait
	assert_one_line
	run -1 vctl -p "$P" restripe v w --width 4
	assert_one_line
	run -1 vctl -p "$P" restripe v --width 4 --bogus
	assert_one_line
	run -3 vctl -p "$P" restripe v --width 7
	assert_output "vctl restripe: a raid0 of width 7 needs 7 disks; the pool has 6 usable"
	# a snapclone still being copied
	VCTL_JOB_STEPS=0 vctl -p "$P" snapclone v c -q
	before=$(images_sum "$P")
	run -3 vctl -p "$P" restripe c --width 4
	assert_output --regexp "^vctl restripe: snapclone c is still being copied \(job [0-9]+\); wait for it or cancel it$"
	assert_unchanged "$P" "$before"
	# no room: a pool nearly full (less than one 1 MiB RStore free)
	free=$(vctl -p "$P" --json status | jq .free)
	vctl -p "$P" create big --size $((free / 1048576))M --width 4 --thick -q
	before=$(images_sum "$P")
	run -3 vctl -p "$P" restripe v --width 2 --stripe-size 16K
	assert_output --regexp "^vctl restripe: restriping v needs up to .* free at once; .* is free$"
	assert_unchanged "$P" "$before"
	# busy: another process holds the pool
	hold_lock "$P"
	run -3 vctl -p "$P" restripe v --width 4
	assert_one_line
	release_lock
}

@test "a job stopped part way: listed with both layouts; reads and writes right; resumed by jobs --wait" {
	vctl -p "$P" create v --size 12M --width 3 -q
	vctl -p "$P" write v "$D/a" -q
	cp "$D/a" "$D/model"
	VCTL_JOB_STEPS=1 run -0 vctl -p "$P" restripe v --width 4 --rate 2M
	assert_output --regexp "^restriped v: raid0 3 x 64.0 KiB -> raid0 4 x 64.0 KiB \(job [0-9]+\), 12.0 MiB to move$"
	run -0 --separate-stderr vctl -p "$P" --json jobs
	id=$(jq '.jobs[0].id' <<<"$output")
	[ "$(jq '.jobs[0].rate_limit' <<<"$output")" = $((2 * 1024 * 1024)) ]
	[ "$(jq -c '.jobs[0] | [.kind, .volume, .state, .from.width, .to.width, .origin]' <<<"$output")" = \
		'["restripe","v","running",3,4,null]' ]
	[ "$(jq '.jobs[0].rsegs_copied > 0 and .jobs[0].rsegs_copied < .jobs[0].rsegs' <<<"$output")" = true ]
	run -0 vctl -p "$P" jobs
	assert_line --index 1 --regexp "^$id +restripe +v +3x64.0 KiB -> 4x64.0 KiB +running [0-9]+% \([0-9]+ of 48 RSEGs\) limit 2.0 MiB/s$"
	# the volume has its new layout already; its data is in both
	run -0 --separate-stderr vctl -p "$P" --json show v
	[ "$(jq -c '[.width, .restripe.job, .restripe.from.width]' <<<"$output")" = "[4,$id,3]" ]
	[ "$(widths v)" = "3x65536 4x65536" ]
	vctl -p "$P" read v | cmp - "$D/model"
	# a write to a part not moved yet moves it first
	vctl -p "$P" write v --offset 9000000 "$D/b" -q
	patch "$D/model" 9000000 "$D/b"
	vctl -p "$P" read v | cmp - "$D/model"
	run -0 vctl -p "$P" check
	# one job at a time; the job record is in the MLD
	run -3 vctl -p "$P" restripe v --width 2
	assert_output "vctl restripe: v is being restriped already (job $id); wait for it or cancel it"
	run -0 --separate-stderr vctl -p "$P" --json dump mld
	[ "$(jq -c ".jobs[] | select(.id == $id) | [.kind, .state, .width, .stripe]" <<<"$output")" = '[1,1,3,65536]' ]
	# paced at 2 MiB/s: the rest (about 10 MiB) takes seconds, not less
	start=$SECONDS
	run -0 vctl -p "$P" jobs --wait "$id"
	echo "# the rest of the job at --rate 2M: $((SECONDS - start)) s" >&3
	[ "$(vctl -p "$P" --json jobs | jq '.jobs | length')" = 0 ]
	[ "$(widths v)" = "4x65536" ]
	vctl -p "$P" read v | cmp - "$D/model"
	run -0 vctl -p "$P" check
}

@test "cancel: the old layout is back with every write made meanwhile; a cancel cannot be cancelled" {
	vctl -p "$P" create v --size 12M --width 3 -q
	vctl -p "$P" write v "$D/a" -q
	cp "$D/a" "$D/model"
	VCTL_JOB_STEPS=4 vctl -p "$P" restripe v --width 4 --stripe-size 32K -q
	id=$(vctl -p "$P" --json jobs | jq '.jobs[0].id')
	# one write where data moved already, one where it has not
	vctl -p "$P" write v --offset 100000 "$D/b" -q
	patch "$D/model" 100000 "$D/b"
	vctl -p "$P" write v --offset 11000000 "$D/b" -q
	patch "$D/model" 11000000 "$D/b"
	# stopped right after turning around
	VCTL_JOB_STEPS=0 run -0 --separate-stderr vctl -p "$P" --json jobs --cancel "$id"
	[ "$(jq -c '[.cancelled, .done]' <<<"$output")" = "[$id,false]" ]
	run -0 --separate-stderr vctl -p "$P" --json jobs
	[ "$(jq -c '.jobs[0] | [.state, .from.width, .from.stripe_size, .to.width, .to.stripe_size]' <<<"$output")" = \
		'["cancelling",4,32768,3,65536]' ]
	run -3 vctl -p "$P" jobs --cancel "$id"
	assert_output "vctl jobs: job $id is being cancelled already: it is moving the data back"
	vctl -p "$P" read v | cmp - "$D/model"
	run -0 vctl -p "$P" jobs --wait
	run -0 --separate-stderr vctl -p "$P" --json show v
	[ "$(jq -c '[.width, .stripe_size, .restripe]' <<<"$output")" = '[3,65536,null]' ]
	[ "$(widths v)" = "3x65536" ]
	vctl -p "$P" read v | cmp - "$D/model"
	run -0 vctl -p "$P" check
	run -2 vctl -p "$P" jobs --cancel "$id"
	assert_output "vctl jobs: no job $id"
	# offline, a cancel runs to its end here
	VCTL_JOB_STEPS=2 vctl -p "$P" restripe v --width 2 -q
	id=$(vctl -p "$P" --json jobs | jq '.jobs[0].id')
	run -0 vctl -p "$P" jobs --cancel "$id"
	assert_output "cancelled job $id"
	[ "$(widths v)" = "3x65536" ]
	vctl -p "$P" read v | cmp - "$D/model"
}

@test "during a restripe: snapshots, copy on first write, grow, shrink and delete" {
	vctl -p "$P" create v --size 12M --width 3 -q
	vctl -p "$P" write v "$D/a" -q
	cp "$D/a" "$D/model"
	vctl -p "$P" snapshot v s -q
	VCTL_JOB_STEPS=2 vctl -p "$P" restripe v --width 4 -q
	vctl -p "$P" write v --offset 5000000 "$D/b" -q
	patch "$D/model" 5000000 "$D/b"
	vctl -p "$P" snapshot v s2 -q
	cp "$D/model" "$D/s2"
	vctl -p "$P" write v --offset 200000 "$D/b" -q
	patch "$D/model" 200000 "$D/b"
	# new space needs no move: it is allocated in the new layout
	vctl -p "$P" resize v --size 16M -q
	truncate -s 16M "$D/model"
	vctl -p "$P" write v --offset 14000000 "$D/b" -q
	patch "$D/model" 14000000 "$D/b"
	run -0 vctl -p "$P" check
	vctl -p "$P" jobs --wait -q
	[ "$(widths v)" = "4x65536" ]
	vctl -p "$P" read v | cmp - "$D/model"
	vctl -p "$P" read s | cmp - "$D/a"
	vctl -p "$P" read s2 | cmp - "$D/s2"
	run -0 vctl -p "$P" check
	# shrink below the cursor, then finish
	VCTL_JOB_STEPS=5 vctl -p "$P" restripe v --width 2 -q
	vctl -p "$P" resize v --size 3M --force -q
	vctl -p "$P" jobs --wait -q
	[ "$(widths v)" = "2x65536" ]
	vctl -p "$P" read v | cmp - <(head -c 3M "$D/model")
	# delete: the job goes with the volume
	VCTL_JOB_STEPS=1 vctl -p "$P" restripe s2 --width 2 -q
	[ "$(vctl -p "$P" --json jobs | jq '.jobs | length')" = 1 ]
	vctl -p "$P" delete s2 -q
	[ "$(vctl -p "$P" --json jobs | jq '.jobs | length')" = 0 ]
	vctl -p "$P" read s | cmp - "$D/a"
	run -0 vctl -p "$P" check
}

# fio: verify a region while the server restripes the volume
fio_region() {
	fio --name=w --ioengine=nbd --uri="$(uri "$1")" --rw=randwrite --bs=4k --iodepth=8 \
		--offset=0 --size="$2" --loops="$3" --verify=crc32c --verify_fatal=1 \
		--verify_state_save=0 --output-format=json --output="$4"
}

# waits for job $1 to end (the server runs it), at most 60 s
wait_job() {
	for _ in $(seq 600); do
		vctl -p "$P" --json jobs | jq -e ".jobs[] | select(.id == $1)" >/dev/null || return 0
		sleep 0.1
	done
	return 1
}

@test "online: fio verifies a region while width, then stripe size, then both change; the rest is byte-identical" {
	require fio
	PY=python3
	python3 -c 'import nbd' 2>/dev/null || PY=/usr/bin/python3
	"$PY" -c 'import nbd' 2>/dev/null || skip "needs python3-libnbd"
	head -c 32M /dev/urandom >"$D/v0"
	vctl -p "$P" create v --size 32M --width 3 -q
	vctl -p "$P" write v "$D/v0" -q
	vctl -p "$P" create w --size 32M --width 3 -q
	vctl -p "$P" write w "$D/v0" -q
	VCTL_JOB_PACE_MS=5 start_serve
	n=0
	for change in "v --width 4" "v --stripe-size 32K" "w --width 4 --stripe-size 32K"; do
		set -- $change
		vol=$1
		shift
		n=$((n + 1))
		# the probe times back-to-back reads over the switch
		rm -f "$D/ready" "$D/stop"
		"$PY" "$BATS_TEST_DIRNAME/nbd/stall-probe.py" "$(uri "$vol")" --ready "$D/ready" \
			--until "$D/stop" --seconds 30 >"$D/probe$n.json" &
		probe=$!
		for _ in $(seq 100); do [ -e "$D/ready" ] && break; sleep 0.05; done
		sleep 0.2
		run -0 --separate-stderr vctl -p "$P" --json restripe "$vol" "$@"
		touch "$D/stop"
		wait "$probe"
		[ "$(jq .done <<<"$output")" = false ]
		id=$(jq .job <<<"$output")
		# fio verifies, a few loops at a time, until the job has ended
		runs=0
		for _ in $(seq 20); do
			fio_region "$vol" 8M 3 "$D/fio.json"
			[ "$(jq '[.jobs[].error] | add' "$D/fio.json")" -eq 0 ]
			runs=$((runs + 1))
			vctl -p "$P" --json jobs | jq -e ".jobs[] | select(.id == $id)" >/dev/null || break
		done
		wait_job "$id"
		echo "# $vol $*: job $id; fio (8 MiB, 3 loops, verify) ran $runs times during it; probe over the switch: $(cat "$D/probe$n.json")" >&3
	done
	run -0 --separate-stderr vctl -p "$P" --json show v
	[ "$(jq -c '[.width, .stripe_size]' <<<"$output")" = '[4,32768]' ]
	run -0 --separate-stderr vctl -p "$P" --json show w
	[ "$(jq -c '[.width, .stripe_size]' <<<"$output")" = '[4,32768]' ]
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	# outside fio's region, the data written before is untouched
	cmp <(vctl -p "$P" read v --offset 8M) <(tail -c +$((8 * 1024 * 1024 + 1)) "$D/v0")
	cmp <(vctl -p "$P" read w --offset 8M) <(tail -c +$((8 * 1024 * 1024 + 1)) "$D/v0")
	[ "$(widths v)" = "4x32768" ]
	[ "$(widths w)" = "4x32768" ]
	run -0 vctl -p "$P" check
}

@test "online: kill -9 at three points of the transfer; each restart resumes from the persisted cursor; data intact" {
	head -c 48M /dev/urandom >"$D/v0"
	vctl -p "$P" create v --size 48M --raid 10 --width 2 -q
	vctl -p "$P" write v "$D/v0" -q
	VCTL_JOB_PACE_MS=40 start_serve
	run -0 --separate-stderr vctl -p "$P" --json restripe v --width 3 --stripe-size 32K
	id=$(jq .job <<<"$output")
	last=0
	for kill in 1 2 3; do
		# run a little past the last point, then kill
		target=$((last + 2 + RANDOM % 6))
		for _ in $(seq 300); do
			at=$(vctl -p "$P" --json jobs | jq ".jobs[] | select(.id == $id) | .rsegs_copied")
			[ "${at:-0}" -ge "$target" ] && break
			sleep 0.05
		done
		kill -9 "$SERVE_PID"
		wait "$SERVE_PID" || true
		SERVE_PID=
		# offline, the job is where its last commit left it: not at zero
		run -0 --separate-stderr vctl -p "$P" --json jobs
		persisted=$(jq ".jobs[] | select(.id == $id) | .rsegs_copied" <<<"$output")
		[ "$persisted" -gt "$last" ]
		run -0 vctl -p "$P" check
		vctl -p "$P" read v | cmp - "$D/v0"
		echo "# kill $kill: the job had visited $at RSEGs; $persisted persisted" >&3
		last=$persisted
		VCTL_JOB_PACE_MS=40 start_serve
	done
	wait_job "$id"
	stop_serve
	[ "$(widths v)" = "3x32768" ]
	vctl -p "$P" read v | cmp - "$D/v0"
	run -0 vctl -p "$P" check
}

@test "online: cancel at about half way; the old layout is back with the writes made during the restripe" {
	head -c 24M /dev/urandom >"$D/v0"
	cp "$D/v0" "$D/model"
	vctl -p "$P" create v --size 24M --width 3 -q
	vctl -p "$P" write v "$D/v0" -q
	start_serve
	# paced: 24 MiB at 2 MiB/s takes some 12 s, so half way is easy to catch
	run -0 --separate-stderr vctl -p "$P" --json restripe v --width 4 --rate 2M
	id=$(jq .job <<<"$output")
	for off in 1000000 20000000; do
		vctl -p "$P" write v --offset "$off" "$D/b" -q
		patch "$D/model" "$off" "$D/b"
	done
	for _ in $(seq 400); do
		p=$(vctl -p "$P" --json jobs | jq ".jobs[] | select(.id == $id) | .progress * 100 | floor")
		[ "${p:-100}" -ge 45 ] && break
		sleep 0.05
	done
	[ "${p:-100}" -lt 100 ]
	vctl -p "$P" write v --offset 12000000 "$D/b" -q
	patch "$D/model" 12000000 "$D/b"
	run -0 vctl -p "$P" jobs --cancel "$id"
	assert_output "cancelled job $id: moving the data back"
	echo "# cancelled at $p%" >&3
	run -0 vctl -p "$P" jobs --wait "$id"
	run -0 --separate-stderr vctl -p "$P" --json show v
	[ "$(jq -c '[.width, .stripe_size, .restripe]' <<<"$output")" = '[3,65536,null]' ]
	stop_serve
	[ "$(widths v)" = "3x65536" ]
	vctl -p "$P" read v | cmp - "$D/model"
	run -0 vctl -p "$P" check
}
