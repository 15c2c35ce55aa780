#!/usr/bin/env bats
# vctl list (ls)

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 32M 3
}

@test "an empty pool lists nothing" {
	run -0 vctl -p "$P" list
	assert_output --regexp "^NAME +SIZE +RAID +WIDTH +STRIPE +ALLOCATED +SHARED +EXCLUSIVE +STATE +ORIGIN$"
	run -0 vctl -p "$P" --json list
	[ "$(jq '.volumes | length' <<<"$output")" -eq 0 ]
}

@test "list: a row per volume, and the JSON keys of CLI.md" {
	vctl -p "$P" create alpha --size 5M --raid 5 --width 3 -q
	vctl -p "$P" create beta --size 1G -q
	head -c 1M /dev/urandom | vctl -p "$P" write alpha -q
	run -0 vctl -p "$P" list
	# raid5 width 3: RStores of 3 x 256 KiB; 1 MiB written maps two
	# (nothing is shared without snapshots: all of it is exclusive)
	assert_line --index 1 --regexp "^alpha +5.0 MiB raid5 +3 +64.0 KiB +1.5 MiB +0 B +1.5 MiB  ok +-$"
	assert_line --index 2 --regexp "^beta +1.0 GiB raid0 +4 +64.0 KiB +0 B +0 B +0 B  ok +-$"
	run -0 vctl -p "$P" --json ls
	for k in name size raid width stripe_size origin allocated shared exclusive state damaged; do
		[ "$(jq "[.volumes[] | has(\"$k\")] | all" <<<"$output")" = true ]
	done
	[ "$(jq -c '.volumes[0] | [.name, .size, .raid, .width, .stripe_size, .origin, .allocated]' <<<"$output")" = '["alpha",5242880,5,3,65536,null,1572864]' ]
	run -1 vctl -p "$P" list extra
	run -2 vctl -p "$D/none" list
}
