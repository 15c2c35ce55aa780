#!/usr/bin/env bats
# vctl dump tree: a volume's sharing chain (FIG. 10), text and --json,
# with the Sp/Ss bits of every member of each run. (Snapshots themselves:
# snapshot.bats.)

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 64M 3
	head -c 3M /dev/urandom >"$D/a"
}

@test "stacked snapshots form the chain of FIG. 10; dump tree draws it" {
	vctl -p "$P" create v --size 4M --raid 10 --width 2 -q
	vctl -p "$P" write v "$D/a" -q
	for s in s0 s1 s2 s3; do
		vctl -p "$P" snapshot v "$s" -q
		sums+=("$(sum v)")
		head -c 4096 /dev/urandom | vctl -p "$P" write v --offset 12345 -q
	done
	i_=0
	for s in s0 s1 s2 s3; do
		[ "$(sum "$s")" = "${sums[$i_]}" ]
		i_=$((i_ + 1))
	done
	run -0 --separate-stderr vctl -p "$P" --json dump tree s1
	[ "$(jq -c '[.chain[].name]' <<<"$output")" = '["s0","s1","s2","s3","v"]' ]
	# an RSEG nobody wrote since: every snapshot reads through to v
	run0=$(jq -c '.runs[] | select(.first_rseg == 2) | [.members[] | [.sp, .ss]]' <<<"$output")
	[ "$run0" = '[[false,true],[true,true],[true,true],[true,true],[true,false]]' ]
	run -0 vctl -p "$P" dump tree v
	assert_line --index 1 --regexp '^  s0 +id [0-9]+ origin v$'
	assert_line --partial "s0 Ss  s1 Sp Ss  s2 Sp Ss  s3 Sp Ss  v Sp RSD"
	run -0 vctl -p "$P" check
}
