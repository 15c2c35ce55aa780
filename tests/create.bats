#!/usr/bin/env bats
# vctl create: every RAID type, thin and thick, and every refusal.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 32M 3
}

@test "create each RAID type with its defaults" {
	run -0 vctl -p "$P" create v0 --size 64M
	assert_output "created volume v0: 64.0 MiB, raid0, width 4, stripe 64.0 KiB, thin"
	run -0 vctl -p "$P" create v1 --size 64M --raid 1
	assert_output --partial "raid1, width 1,"
	run -0 vctl -p "$P" create v5 --size 64M --raid 5
	assert_output --partial "raid5, width 4,"
	# raid10 of width 4 needs 8 disks: the default shrinks to what 6 hold
	run -0 vctl -p "$P" create v10 --size 64M --raid 10
	assert_output --partial "raid10, width 3,"
	run -0 vctl -p "$P" --json list
	[ "$(jq -r '[.volumes[] | "\(.name):\(.raid):\(.width)"] | join(" ")' <<<"$output")" = "v0:0:4 v1:1:1 v5:5:4 v10:10:3" ]
	run -0 vctl -p "$P" check
}

@test "create --json, --width, --stripe-size" {
	run -0 vctl -p "$P" --json create v --size 10M --raid 5 --width 3 --stripe-size 16K
	[ "$(jq -r '"\(.name) \(.size) \(.raid) \(.width) \(.stripe_size) \(.thick) \(.allocated)"' <<<"$output")" = "v 10485760 5 3 16384 false 0" ]
}

@test "a thin volume allocates nothing; a thick one everything" {
	run -0 vctl -p "$P" --json status
	free0=$(jq .free <<<"$output")
	run -0 vctl -p "$P" create thin --size 40M
	run -0 vctl -p "$P" --json status
	[ "$(jq .free <<<"$output")" -eq "$free0" ]
	run -0 vctl -p "$P" create thick --size 40M --thick
	run -0 vctl -p "$P" --json show thick
	[ "$(jq .allocated <<<"$output")" -eq $((40 << 20)) ]
	[ "$(jq .thick <<<"$output")" = true ]
	run -0 vctl -p "$P" --json status
	# 40 MiB of raid0 width 4 with 256 KiB PSEGs: 40 RStores of 1 MiB, plus
	# the PSEGs of the metadata space
	used=$((free0 - $(jq .free <<<"$output")))
	metapsegs=$(vctl -p "$P" --json dump mld | jq '[.meta[].ncopies] | add // 0')
	[ "$used" -eq $(((40 << 20) + metapsegs * 262144)) ]
	# a thick volume reads as zeros before anything is written
	run -0 bash -c '"$0" -p "$1" read thick --length 1M | cmp - <(head -c 1M /dev/zero)' "$VCTL" "$P"
}

@test "bad input: exit status, one line, nothing changed" {
	run -0 vctl -p "$P" create exists --size 1M
	before=$(images_sum "$P")
	check_bad() {
		local want=$1
		shift
		run "-$want" vctl -p "$P" create "$@"
		assert_output --regexp "^vctl create: "
		assert_one_line
		assert_unchanged "$P" "$before"
	}
	check_bad 1 v --size 0
	check_bad 1 v --size 1000
	check_bad 1 v --size 513
	check_bad 1 v --size 1P
	check_bad 1 v --size 18446744073709551615
	check_bad 1 v --size 1M --raid 6
	check_bad 1 v --size 1M --raid x
	check_bad 1 v --size 1M --raid 1 --width 2
	check_bad 1 v --size 1M --raid 5 --width 1
	check_bad 1 v --size 1M --raid 0 --width 17
	check_bad 1 v --size 1M --raid 10 --width 9
	check_bad 1 v --size 1M --width 0
	check_bad 1 v --size 1M --stripe-size 3K
	check_bad 1 v --size 1M --stripe-size 512K
	check_bad 1 v --size 1M --stripe-size 1K
	check_bad 1 v
	check_bad 1 --size 1M
	check_bad 1 a b --size 1M
	check_bad 1 'bad/name' --size 1M
	check_bad 1 "$(printf 'x%.0s' {1..65})" --size 1M
	check_bad 1 .. --size 1M
	check_bad 1 v --size 1M --bogus
	# impossible for this pool: 8 disks for raid10 width 4, 7 for raid5 width 6
	check_bad 3 v --size 1M --raid 10 --width 4
	check_bad 3 v --size 1M --raid 5 --width 6
	check_bad 3 v --size 1M --width 7
	check_bad 3 exists --size 1M
	# thick beyond the free space: refused before anything is allocated
	check_bad 3 big --size 1G --thick
	assert_output --partial "not enough space"
	run -2 vctl -p "$D/nopool" create v --size 1M
}

@test "the names vctl accepts" {
	for n in a A.b-c_d 0 "$(printf 'x%.0s' {1..64})"; do
		run -0 vctl -p "$P" create "$n" --size 512 -q
	done
	run -0 vctl -p "$P" --json list
	[ "$(jq '.volumes | length' <<<"$output")" -eq 4 ]
}

@test "create is refused while another process writes the pool" {
	before=$(images_sum "$P")
	hold_lock "$P"
	run -3 vctl -p "$P" create v --size 1M
	assert_output --regexp "pool is busy"
	release_lock
	assert_unchanged "$P" "$before"
}
