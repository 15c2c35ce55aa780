#!/usr/bin/env bats
# Crash sweeps over the commands that change hosts, domains and paths: for
# every write N, in each fault mode, the pool opens, check is clean, the
# volumes are untouched, and the hosts, domains and paths are exactly
# their before- or their after-state.

load test_helper
load crash_helper

# The volumes' fingerprint (crash_helper.bash), then the access records
# (but the time a path was created, which differs from run to run).
eval "volumes_$(declare -f fingerprint)"
fingerprint() {
	volumes_fingerprint "$1" || return 1
	local what
	for what in host domain path; do
		"$VCTL" -p "$1" --json "$what" list | jq -c ".${what}s | map(del(.created))" || return 1
	done
}

setup() {
	D=$BATS_TEST_TMPDIR
	head -c 1M /dev/urandom >"$D/data"
}

base_pool() {
	"$VCTL" -p "$1" init --disks 4 --disk-size 16M --enclosures 2 --pseg-size 256K -q
	"$VCTL" -p "$1" create vol --size 2M --raid 1 -q
	"$VCTL" -p "$1" write vol "$D/data" -q
	"$VCTL" -p "$1" host add a --uid 1001 -q
	"$VCTL" -p "$1" domain create slow --max-iops 200 -q
	"$VCTL" -p "$1" path add a vol --domain slow -q
}

@test "crash sweep: host add" {
	sweep host add b --uid 1002 --gid 7
}

@test "crash sweep: path add" {
	base_pool() {
		"$VCTL" -p "$1" init --disks 4 --disk-size 16M --enclosures 2 --pseg-size 256K -q
		"$VCTL" -p "$1" create vol --size 2M --raid 1 -q
		"$VCTL" -p "$1" write vol "$D/data" -q
		"$VCTL" -p "$1" host add a --uid 1001 -q
		"$VCTL" -p "$1" host add b --uid 1002 -q
		"$VCTL" -p "$1" domain create slow --max-iops 200 -q
	}
	sweep path add b vol --domain slow --access ro
}

@test "crash sweep: domain set" {
	sweep domain set slow --max-iops 400 --access ro
}

@test "crash sweep: path remove, and a delete that takes the volume's paths" {
	sweep path remove 4
	sweep delete vol
}
