#!/usr/bin/env bats
# vctl disk list (the other disk subcommands come with the allocator).

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 4 16M 2
}

@test "disk list: one row per disk" {
	run -0 vctl -p "$P" disk list
	assert_line --index 0 --regexp "^INDEX +NAME +ENCLOSURE +STATE +SIZE +USED +MLD$"
	assert_line --index 1 --regexp "^0 +disk0.img +e0 +active +16.0 MiB +0 B +copy$"
	assert_line --index 4 --regexp "^3 +disk3.img +e1 +active +16.0 MiB +0 B +copy$"
	[ "${#lines[@]}" -eq 5 ]
}

@test "disk list --json" {
	run -0 vctl -p "$P" --json disk list
	[ "$(jq .version <<<"$output")" -eq 1 ]
	[ "$(jq '.disks | length' <<<"$output")" -eq 4 ]
	[ "$(jq -r '.disks[1] | "\(.index) \(.enclosure) \(.state) \(.size) \(.used) \(.quorum)"' <<<"$output")" = "1 e1 active 16777216 0 true" ]
	[ "$(jq -r '.disks[1].uuid | length' <<<"$output")" -eq 36 ]
	[ "$(jq -r '.disks[1].psegs' <<<"$output")" -eq 56 ]
}

@test "disk list shows a missing disk" {
	mv "$P/disk2.img" "$D/"
	run -0 vctl -p "$P" disk list
	assert_line --index 3 --regexp "^2 +disk2.img +e0 +missing "
}

@test "disk list: bad usage" {
	run -1 vctl -p "$P" disk list extra
	assert_output "vctl disk list: unexpected argument 'extra'"
	run -1 vctl -p "$P" disk lst
	assert_output --partial "did you mean 'disk list'?"
	run -1 vctl -p "$P" disk
	assert_output --regexp "^vctl disk: missing subcommand; one of: list"
	run -2 vctl -p "$D/none" disk list
	assert_one_line
}
