#!/usr/bin/env bats
# vctl rename

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 3 16M 3
	vctl -p "$P" create a --size 1M -q
	vctl -p "$P" create b --size 1M -q
}

@test "rename keeps the data and the id" {
	printf data | vctl -p "$P" write a -q
	id=$(vctl -p "$P" --json show a | jq .id)
	run -0 vctl -p "$P" rename a c
	assert_output "renamed a to c"
	[ "$(vctl -p "$P" --json show c | jq .id)" = "$id" ]
	[ "$(vctl -p "$P" read c --length 4)" = data ]
	run -2 vctl -p "$P" show a
	run -0 vctl -p "$P" --json rename c a
	[ "$(jq -r '"\(.old_name) \(.name)"' <<<"$output")" = "c a" ]
}

@test "rename: bad input changes nothing" {
	before=$(images_sum "$P")
	run -3 vctl -p "$P" rename a b
	assert_output "vctl rename: a volume named b exists already"
	run -1 vctl -p "$P" rename a 'no/slash'
	run -1 vctl -p "$P" rename a ''
	run -2 vctl -p "$P" rename nosuch z
	run -1 vctl -p "$P" rename a
	run -1 vctl -p "$P" rename a b c
	assert_unchanged "$P" "$before"
	run -0 vctl -p "$P" rename a a
	assert_unchanged "$P" "$before"
}
