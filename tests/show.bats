#!/usr/bin/env bats
# vctl show: the volume, its intent, its map's memory.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 32M 3
}

@test "show: text and JSON" {
	vctl -p "$P" create v --size 10M --raid 10 --width 2 --stripe-size 32K -q
	run -0 vctl -p "$P" show v
	assert_line --regexp "^raid +raid10$"
	assert_line --regexp "^intent +raid10, width 2, stripe 32.0 KiB$"
	run -0 vctl -p "$P" --json show v
	for k in name size raid width stripe_size origin allocated intent map_bytes rstores; do
		[ "$(jq "has(\"$k\")" <<<"$output")" = true ] || fail "no key $k"
	done
	[ "$(jq -c '.intent' <<<"$output")" = '{"raid":10,"width":2,"stripe_size":32768,"separate":null}' ]
	run -2 vctl -p "$P" show nosuch
	assert_output "vctl show: no volume named nosuch"
	run -1 vctl -p "$P" show
	run -1 vctl -p "$P" show a b
}

@test "map_bytes of a 1 TiB thin volume with 256 MiB written is within the sources' budget" {
	rm -rf "$P"
	# the sources' geometry: 2 MiB PSEGs, 1 MiB RSEGs, 2 GiB per LMAP
	vctl -p "$P" init --disks 6 --disk-size 128M --enclosures 3 -q
	vctl -p "$P" create big --size 1T -q
	head -c 256M /dev/zero | vctl -p "$P" write big --offset 1G -q
	run -0 vctl -p "$P" --json show big
	[ "$(jq .allocated <<<"$output")" -eq $((256 << 20)) ]
	map=$(jq .map_bytes <<<"$output")
	# L2MAP 4 KiB per volume, LMAP 4 B and RSD 3 B per MiB allocated
	budget=$((4096 + 256 * 4 + 256 * 3))
	echo "# map_bytes $map, budget $budget" >&3
	[ "$map" -le "$budget" ]
}
