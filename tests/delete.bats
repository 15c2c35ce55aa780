#!/usr/bin/env bats
# vctl delete: every PSEG comes back.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 32M 3
}

@test "delete returns every PSEG: free space is back to the start" {
	run -0 vctl -p "$P" --json status
	free0=$(jq .free <<<"$output")
	for r in 0 1 5 10; do
		vctl -p "$P" create "v$r" --size 12M --raid "$r" -q
		head -c 5M /dev/urandom | vctl -p "$P" write "v$r" --offset 100000 -q
	done
	vctl -p "$P" create thick --size 8M --thick -q
	run -0 vctl -p "$P" --json status
	[ "$(jq .free <<<"$output")" -lt "$free0" ]
	for v in v0 v1 v5 v10 thick; do
		run -0 vctl -p "$P" delete "$v"
		assert_output "deleted $v"
	done
	run -0 vctl -p "$P" --json status
	free=$(jq .free <<<"$output")
	[ "$(jq .volumes <<<"$output")" -eq 0 ]
	# every data PSEG is back; the metadata space keeps the extents it grew
	run -0 vctl -p "$P" --json dump mld
	metapsegs=$(jq '[.meta[].ncopies] | add // 0' <<<"$output")
	[ "$free" -eq $((free0 - metapsegs * 262144)) ]
	run -0 vctl -p "$P" check
}

@test "a deleted volume's name is free again, and its data does not come back" {
	vctl -p "$P" create v --size 4M -q
	head -c 4M /dev/urandom | vctl -p "$P" write v -q
	run -0 vctl -p "$P" delete v --force
	run -0 vctl -p "$P" create v --size 4M
	vctl -p "$P" read v | cmp - <(head -c 4M /dev/zero)
	head -c 1 /dev/zero | vctl -p "$P" write v -q
	vctl -p "$P" read v | cmp - <(head -c 4M /dev/zero)
}

@test "delete: bad input" {
	vctl -p "$P" create v --size 1M -q
	before=$(images_sum "$P")
	run -2 vctl -p "$P" delete nosuch
	assert_output "vctl delete: no volume named nosuch"
	run -1 vctl -p "$P" delete
	run -1 vctl -p "$P" delete v w
	run -1 vctl -p "$P" delete v --bogus
	assert_unchanged "$P" "$before"
	run -0 vctl -p "$P" --json delete v
	[ "$(jq -r .name <<<"$output")" = v ]
}
