#!/usr/bin/env bats
# vctl resize: grow keeps contents, shrink needs --force and never lets
# cut-off data come back.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 32M 3
	head -c 3M /dev/urandom >"$D/rand3"
}

@test "grow keeps contents; the new space reads as zeros" {
	for r in 0 5; do
		run -0 vctl -p "$P" create "v$r" --size 3M --raid "$r"
		vctl -p "$P" write "v$r" "$D/rand3" -q
		run -0 vctl -p "$P" resize "v$r" --size 10M
		assert_output "resized v$r from 3.0 MiB to 10.0 MiB"
		vctl -p "$P" read "v$r" --length 3M | cmp - "$D/rand3"
		vctl -p "$P" read "v$r" --offset 3M | cmp - <(head -c 7M /dev/zero)
	done
	run -0 vctl -p "$P" resize v0 --size +1M
	run -0 vctl -p "$P" --json show v0
	[ "$(jq .size <<<"$output")" -eq $((11 << 20)) ]
	run -0 vctl -p "$P" check
}

@test "a thick volume allocates what it grows by" {
	run -0 vctl -p "$P" create t --size 2M --thick
	run -0 vctl -p "$P" --json resize t --size 6M
	[ "$(jq .old_size <<<"$output")" -eq $((2 << 20)) ]
	run -0 vctl -p "$P" --json show t
	[ "$(jq .allocated <<<"$output")" -eq $((6 << 20)) ]
}

@test "shrink without --force is refused and changes nothing" {
	run -0 vctl -p "$P" create v --size 3M
	vctl -p "$P" write v "$D/rand3" -q
	before=$(images_sum "$P")
	run -3 vctl -p "$P" resize v --size 1M
	assert_output "vctl resize: shrinking v from 3.0 MiB to 1.0 MiB discards its data past the new end; use --force"
	run -3 vctl -p "$P" resize v --size -1M
	assert_unchanged "$P" "$before"
}

@test "shrink --force keeps what stays, frees the rest, and never shows cut-off data again" {
	run -0 vctl -p "$P" create v --size 3M
	vctl -p "$P" write v "$D/rand3" -q
	run -0 vctl -p "$P" --json status
	free_before=$(jq .free <<<"$output")
	# cut inside an RSEG (256 KiB) and inside an RStore (1 MiB)
	run -0 vctl -p "$P" resize v --size 1200128 --force
	vctl -p "$P" read v | cmp - <(head -c 1200128 "$D/rand3")
	run -0 vctl -p "$P" --json status
	[ "$(jq .free <<<"$output")" -gt "$free_before" ]
	run -0 vctl -p "$P" resize v --size 3M
	vctl -p "$P" read v --length 1200128 | cmp - <(head -c 1200128 "$D/rand3")
	vctl -p "$P" read v --offset 1200128 | cmp - <(head -c $((3145728 - 1200128)) /dev/zero)
	run -0 vctl -p "$P" check
}

@test "resize: bad input" {
	run -0 vctl -p "$P" create v --size 1M
	before=$(images_sum "$P")
	run -1 vctl -p "$P" resize v
	assert_output "vctl resize: --size is required"
	run -1 vctl -p "$P" resize v --size 0
	run -1 vctl -p "$P" resize v --size 1000
	run -1 vctl -p "$P" resize v --size x
	run -1 vctl -p "$P" resize v --size -1M
	assert_output --partial "would leave nothing"
	run -1 vctl -p "$P" resize v --size 1P
	run -2 vctl -p "$P" resize nosuch --size 1M
	run -1 vctl -p "$P" resize --size 1M
	assert_unchanged "$P" "$before"
	run -0 vctl -p "$P" create t --size 1M --thick
	before=$(images_sum "$P")
	run -3 vctl -p "$P" resize t --size 1G
	assert_output --partial "not enough space"
	assert_unchanged "$P" "$before"
	# the same size: nothing to do, nothing written
	run -0 vctl -p "$P" resize t --size 1M
	assert_unchanged "$P" "$before"
}
