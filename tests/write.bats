#!/usr/bin/env bats
# vctl write: byte-granular, every RAID type, degraded, out of space, read
# back with vctl read. (vctl read's own failures and refusals: read.bats.)

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	mkpool 6 64M 3
	head -c 20M /dev/urandom >"$D/rand20"
	OFF=1234567
}

# reads LEN bytes of VOLUME at OFF into FILE
vread() {
	vctl -p "$P" read "$1" --offset "$2" --length "$3" -o "$4"
}

@test "every RAID type: 20 MiB at offset 1234567 reads back; the rest reads as zeros" {
	for r in 0 1 5 10; do
		run -0 vctl -p "$P" create "v$r" --size 48M --raid "$r"
		run -0 vctl -p "$P" write "v$r" --offset $OFF "$D/rand20"
		assert_output "wrote 20971520 bytes to v$r at offset $OFF"
		vread "v$r" $OFF 20971520 "$D/back"
		cmp "$D/back" "$D/rand20"
		# before and after the written range: zeros
		vread "v$r" 0 $OFF "$D/head"
		cmp "$D/head" <(head -c $OFF /dev/zero)
		vread "v$r" $((OFF + 20971520)) 1000000 "$D/tail"
		cmp "$D/tail" <(head -c 1000000 /dev/zero)
		# each RStore's members on distinct disks
		run -0 vctl -p "$P" --json dump map "v$r"
		[ "$(jq '[.runs[] | select(.rsd != null) | ([.members[].disk] | length) == ([.members[].disk] | unique | length)] | all' <<<"$output")" = true ]
		[ "$(jq '[.runs[] | select(.rsd != null)] | length' <<<"$output")" -gt 0 ]
	done
	run -0 vctl -p "$P" check
}

@test "write from standard input, read to standard output, byte granular" {
	run -0 vctl -p "$P" create v --size 1M --raid 5
	printf 'hello' | vctl -p "$P" write v --offset 3 -q
	run -0 vctl -p "$P" read v --offset 2 --length 7
	[ "$output" = $'\0hello\0' ] || [ "$(printf '%s' "$output" | od -An -c | tr -s ' ')" = ' \0 h e l l o \0' ] || [ "$(vctl -p "$P" read v --offset 3 --length 5)" = hello ]
	[ "$(vctl -p "$P" read v --offset 3 --length 5)" = hello ]
	run -0 vctl -p "$P" --json write v --offset 1048575 <(printf 'z')
	[ "$(jq -r '"\(.volume) \(.offset) \(.bytes)"' <<<"$output")" = "v 1048575 1" ]
	[ "$(vctl -p "$P" read v --offset 1048575)" = z ]
}

@test "remove any one member image: raid1/5/10 read back, and take writes" {
	for r in 1 5 10; do
		run -0 vctl -p "$P" create "v$r" --size 32M --raid "$r"
		run -0 vctl -p "$P" write "v$r" --offset $OFF "$D/rand20" -q
	done
	head -c 3M /dev/urandom >"$D/rand3"
	cp -a --sparse=always "$P" "$D/clean"
	for dsk in 0 1 2 3 4 5; do
		rm -rf "$P"
		cp -a --sparse=always "$D/clean" "$P"
		mv "$P/disk$dsk.img" "$D/away.img"
		for r in 1 5 10; do
			vread "v$r" $OFF 20971520 "$D/back"
			cmp "$D/back" "$D/rand20" || fail "raid$r without disk $dsk"
			# a write while degraded, inside the allocated range
			vctl -p "$P" write "v$r" --offset $((OFF + 777)) "$D/rand3" -q
			vread "v$r" $((OFF + 777)) 3145728 "$D/back3"
			cmp "$D/back3" "$D/rand3" || fail "raid$r degraded write without disk $dsk"
		done
		# failed if a degraded write touched it, else still just missing
		run -0 vctl -p "$P" --json status
		state=$(jq -r ".disks[$dsk].state" <<<"$output")
		[[ "$state" =~ ^(failed|missing)$ ]] || fail "disk $dsk is $state: $(jq -c "[.disks[] | {index,name,state}]" <<<"$output")"
		rm "$D/away.img"
	done
}

@test "a 2 TiB thin volume on 6 x 128 MiB: writing past the physical space fails cleanly" {
	rm -rf "$P"
	vctl -p "$P" init --disks 6 --disk-size 128M --enclosures 3 -q
	run -0 vctl -p "$P" create small --size 8M --raid 1
	head -c 8M /dev/urandom >"$D/small"
	vctl -p "$P" write small "$D/small" -q
	run -0 vctl -p "$P" create big --size 2T
	run -0 vctl -p "$P" --json show big
	[ "$(jq .size <<<"$output")" -eq $((2 << 40)) ]
	run -3 bash -c 'head -c 1G /dev/zero | "$0" -p "$1" write big --offset 1T' "$VCTL" "$P"
	assert_output --regexp "^vctl write: after [0-9]+ bytes \(space allocated past byte [0-9]+ is released\): volume big: out of space"
	assert_one_line
	run -0 vctl -p "$P" --json status
	# only the batch under way when space ran out (at most 64 MiB) is rolled back
	[ "$(jq .free <<<"$output")" -lt $((72 << 20)) ]
	vread small 0 8388608 "$D/back"
	cmp "$D/back" "$D/small"
	run -0 vctl -p "$P" check
}

@test "bad input to write" {
	run -0 vctl -p "$P" create v --size 1M
	before=$(images_sum "$P")
	head -c 2M /dev/zero >"$D/two"
	run -3 vctl -p "$P" write v "$D/two"
	assert_output "vctl write: $D/two: 2097152 bytes at offset 0 do not fit volume v (1048576 bytes)"
	run -3 vctl -p "$P" write v --offset 1048000 "$D/rand20"
	run -2 vctl -p "$P" write nosuch "$D/two"
	assert_output "vctl write: no volume named nosuch"
	run -2 vctl -p "$P" write v "$D/none"
	run -1 vctl -p "$P" write v "$D"
	run -1 vctl -p "$P" write v --offset x "$D/two"
	run -1 vctl -p "$P" write
	run -1 vctl -p "$P" write v a b
	assert_unchanged "$P" "$before"
}
