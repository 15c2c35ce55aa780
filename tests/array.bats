#!/usr/bin/env bats
# Arrays and requirement-based placement (source 004, issue 9): the pool's
# enclosures rated with `vctl array set`, listed with their commitments
# and load by `vctl array list`, and `vctl create --mbps/--iops [--fit]`
# striping a volume over the fewest arrays that have an even share of the
# requirement free, or refusing with the shortfall.

load test_helper
load serve_helper

setup() {
	serve_setup
}

teardown() {
	stop_serve
}

@test "acceptance: 400, 400, 200 MB/s; --mbps 600 lands on the two 400s; --mbps 500 is refused; 600 committed" {
	rated_pool 400 400 200
	run -0 vctl -p "$P" create v1 --size 8M --mbps 600
	assert_output "created volume v1: 8.0 MiB, raid0, width 4, stripe 64.0 KiB, thin; 600 MB/s, 0 IOPS on arrays e0, e1"
	run -0 vctl -p "$P" --json show v1
	[ "$(jq -c .requirement <<<"$output")" = '{"mbps":600,"iops":0,"fit":"best","arrays":["e0","e1"]}' ]
	# every RStore written lands on e0 and e1 only, two members on each
	head -c 8M /dev/urandom >"$D/data"
	vctl -p "$P" write v1 "$D/data" -q
	[ "$(encls_of v1)" = "e0,e1" ]
	run -0 vctl -p "$P" --json dump map v1
	per=$(jq -c '[.runs[] | select(.rsd != null)] | length' <<<"$output")
	[ "$per" -ge 1 ]
	run -0 vctl -p "$P" dump map v1
	assert_output --partial "member 0: disk"
	cmp <(vctl -p "$P" read v1) "$D/data"
	sum=$(images_sum "$P")
	run -3 vctl -p "$P" create v2 --size 8M --mbps 500
	assert_output "vctl create: needs 500 MB/s; the free capability of all arrays together is 400 MB/s"
	assert_unchanged "$P" "$sum"
	run -0 vctl -p "$P" --json array list
	[ "$(jq '[.arrays[].committed_mbps] | add' <<<"$output")" = 600 ]
	[ "$(jq -c '[.arrays[] | [.name, .mbps, .committed_mbps]]' <<<"$output")" = '[["e0",400,300],["e1",400,300],["e2",200,0]]' ]
	run -0 vctl -p "$P" check --intents
}

@test "each of the chosen arrays carries an even share: RStore members alternate between them" {
	rated_pool 400 400 200
	vctl -p "$P" create v1 --size 8M --mbps 600 --thick -q
	# every RStore: two members on e0, two on e1
	local map disks
	map=$(vctl -p "$P" --json dump map v1)
	disks=$(vctl -p "$P" --json disk list | jq -c '[.disks[] | {key: (.index | tostring), value: .enclosure}] | from_entries')
	bad=$(jq -r --argjson e "$disks" '.runs[] | select(.rsd != null) | [.members[] | $e[.disk | tostring]] | group_by(.) | map(length) | select(. != [2, 2]) | tostring' <<<"$map")
	[ -z "$bad" ] || fail "uneven RStore: $bad"
	[ "$(encls_of v1)" = "e0,e1" ]
}

@test "a requirement one array can carry takes one array; best fit takes the least free, first fit the first" {
	rated_pool 500 300 400
	run -0 vctl -p "$P" --json create best --size 4M --mbps 250 --width 2
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e1"]' ]
	run -0 vctl -p "$P" --json create first --size 4M --mbps 250 --width 2 --fit first
	[ "$(jq -c .requirement <<<"$output")" = '{"mbps":250,"iops":0,"fit":"first","arrays":["e0"]}' ]
	vctl -p "$P" write best "$BATS_TEST_DIRNAME/array.bats" -q
	vctl -p "$P" write first "$BATS_TEST_DIRNAME/array.bats" -q
	[ "$(encls_of best)" = e1 ]
	[ "$(encls_of first)" = e0 ]
	# free now 250, 50, 400: 300 fits e2 alone (best is the only one)
	run -0 vctl -p "$P" --json create third --size 4M --mbps 300 --width 2
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e2"]' ]
	run -0 vctl -p "$P" --json array list
	[ "$(jq -c '[.arrays[].committed_mbps]' <<<"$output")" = '[250,250,300]' ]
}

@test "IOPS and MB/s together; unrated arrays are never used" {
	mkpool 6 16M 3
	vctl -p "$P" array set e0 --mbps 1000 -q
	vctl -p "$P" array set e1 --mbps 100 --iops 1000 -q
	vctl -p "$P" array set e2 --mbps 100 --iops 1000 -q
	# e0 has no IOPS rating: a volume stating IOPS never goes there
	run -0 vctl -p "$P" --json create v --size 4M --mbps 150 --iops 1500
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e1","e2"]' ]
	run -0 vctl -p "$P" --json array list
	[ "$(jq -c '[.arrays[] | [.committed_mbps, .committed_iops]]' <<<"$output")" = '[[0,0],[75,750],[75,750]]' ]
	run -3 vctl -p "$P" create w --size 4M --iops 1000
	assert_output "vctl create: needs 1000 IOPS; the free capability of all arrays together is 500 IOPS"
	# a pool nobody rated: the message says so
	rm -rf "$P"
	mkpool 3 16M 3
	sum=$(images_sum "$P")
	run -3 vctl -p "$P" create w --size 4M --mbps 1
	assert_output "vctl create: needs 1 MB/s; the free capability of all arrays together is 0 MB/s (no array with usable disks is rated: vctl array set NAME --mbps N)"
	assert_one_line
	assert_unchanged "$P" "$sum"
}

@test "best fit for IOPS alone compares free IOPS, not bandwidth" {
	mkpool 6 16M 3
	vctl -p "$P" array set e0 --mbps 100 --iops 900 -q
	vctl -p "$P" array set e1 --mbps 900 --iops 300 -q
	vctl -p "$P" array set e2 --mbps 50 --iops 500 -q
	run -0 vctl -p "$P" --json create v --size 1M --iops 250 --width 2
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e1"]' ]
	run -0 vctl -p "$P" --json create w --size 1M --iops 250 --width 2 --fit first
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e0"]' ]
}

@test "free capability exists but not an even share on enough arrays, or not enough disks: refused, unchanged" {
	rated_pool 100 100 200
	sum=$(images_sum "$P")
	# 400 free together, but 350 over 3 arrays needs 117 on each
	run -3 vctl -p "$P" create w --size 4M --mbps 350
	assert_output "vctl create: needs 350 MB/s; no set of arrays has an even share of it free on each (together 400 MB/s and 0 IOPS are free)"
	# 150 fits e2 alone, but a width of 4 needs 4 disks: two arrays with
	# 75 free each, the least free ones (best fit)
	run -0 vctl -p "$P" --json create w --size 4M --mbps 150 --width 4
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e0","e1"]' ]
	sum=$(images_sum "$P")
	run -3 vctl -p "$P" create x --size 4M --mbps 100 --width 6
	assert_output "vctl create: needs 100 MB/s; the arrays that could carry it hold fewer than the 6 usable disks its layout needs"
	assert_unchanged "$P" "$sum"
}

@test "raid1 --separate enclosure with a requirement spans two arrays; raid10 keeps mirror halves apart" {
	rated_pool 400 400 200
	# one array could carry 100, but the halves must be apart: two arrays,
	# the least free (e2, then e0)
	run -0 vctl -p "$P" --json create m --size 4M --raid 1 --separate enclosure --mbps 100
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e0","e2"]' ]
	head -c 4M /dev/urandom | vctl -p "$P" write m - -q
	[ "$(encls_of m)" = "e0,e2" ]
	# free 350, 400, 150: 300 fits e0 or e1 alone, but raid10 of width 2
	# needs 4 disks: two arrays with 150 free each, e2 and e0
	run -0 vctl -p "$P" --json create t --size 4M --raid 10 --width 2 --mbps 300 --thick
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e0","e2"]' ]
	[ "$(encls_of t)" = "e0,e2" ]
	run -0 vctl -p "$P" check --intents
}

@test "thin first writes, a grow and a restripe keep to the chosen arrays" {
	rated_pool 400 400 200
	vctl -p "$P" create v --size 4M --mbps 600 -q
	# fill the other volume's arrays' neighbour so the least used disks are elsewhere
	vctl -p "$P" create other --size 8M --thick -q
	head -c 4M /dev/urandom >"$D/a"
	vctl -p "$P" write v "$D/a" -q
	vctl -p "$P" resize v --size 8M
	head -c 4M /dev/urandom | vctl -p "$P" write v --offset 4194304 - -q
	sum=$(images_sum "$P")
	run -3 vctl -p "$P" restripe v --width 6
	assert_output "vctl restripe: a raid0 of width 6 needs 6 disks; the arrays v is placed on for its requirement have 4 usable"
	assert_unchanged "$P" "$sum"
	vctl -p "$P" restripe v --width 2 --wait -q
	[ "$(encls_of v)" = "e0,e1" ]
	cmp <(vctl -p "$P" read v --length 4194304) "$D/a"
	run -0 vctl -p "$P" check --intents
}

@test "level, disk remove and disk replace keep a volume to its arrays; delete drops the requirement" {
	rated_pool 400 400 200
	vctl -p "$P" create v --size 8M --mbps 600 --thick -q
	vctl -p "$P" create r --size 2M --raid 1 --mbps 150 --thick -q
	head -c 8M /dev/urandom >"$D/data"
	vctl -p "$P" write v "$D/data" -q
	run -0 vctl -p "$P" check --intents
	# leveling moves nothing of v off e0 and e1, nor r off e2
	vctl -p "$P" level --wait -q
	[ "$(encls_of v)" = "e0,e1" ]
	[ "$(encls_of r)" = "e2" ]
	run -0 vctl -p "$P" check --intents
	# v's RStores use all four disks of e0 and e1: a member of one has
	# nowhere else to go, so removing such a disk is refused
	sum=$(images_sum "$P")
	run -3 vctl -p "$P" disk remove 0
	assert_output "vctl disk remove: no disk of the arrays its volume is placed on, outside those of its RStore, has a free PSEG for member 0 of RStore 0 of volume v"
	assert_unchanged "$P" "$sum"
	# r's halves are on e2's two disks: a failed one cannot be rebuilt
	# outside e2
	vctl -p "$P" disk fail 2 -q
	sum=$(images_sum "$P")
	run -3 vctl -p "$P" disk replace 2
	assert_output --partial "no disk of the arrays its volume is placed on"
	assert_one_line
	assert_unchanged "$P" "$sum"
	cmp <(vctl -p "$P" read v) "$D/data"
	# the requirement is dropped with the volume
	run -0 vctl -p "$P" delete v
	run -0 vctl -p "$P" --json dump mld
	[ "$(jq -c '[.requirements[].volume]' <<<"$output")" = '[2]' ]
	run -0 vctl -p "$P" --json array list
	[ "$(jq -c '[.arrays[].committed_mbps]' <<<"$output")" = '[0,0,150]' ]
	run -0 vctl -p "$P" check --intents
}

@test "dump mld prints the requirement record, text and JSON" {
	rated_pool 400 400 200
	vctl -p "$P" array set e0 --iops 100 -q
	vctl -p "$P" array set e1 --iops 100 -q
	vctl -p "$P" create v --size 4M --mbps 600 --iops 10 --fit first -q
	vctl -p "$P" create w --size 4M --iops 10 -q
	run -0 vctl -p "$P" dump mld
	assert_output --partial "requirement record
  volume         1
  mbps           600
  iops           10"
	assert_output --partial "  fit            2 (first)
  narrays        2
  arrays         0 (e0)
  arrays         1 (e1)"
	run -0 vctl -p "$P" --json dump mld
	[ "$(jq -c '.requirements[1]' <<<"$output")" = '{"volume":2,"mbps":0,"iops":10,"fit":1,"narrays":1,"arrays":[0]}' ]
}

@test "array set and list: text and JSON; one rating left alone when the other is set" {
	mkpool 6 16M 3
	run -0 vctl -p "$P" array set e1 --mbps 250 --iops 9000
	assert_output "set array e1
NAME                     MBPS      IOPS    C_MBPS    C_IOPS  LOAD_MBPS  LOAD_IOPS DISKS
e1                        250      9000         0         0        0.0        0.0     2"
	run -0 vctl -p "$P" --json array set e1 --iops 100
	[ "$(jq -c '.arrays' <<<"$output")" = '[{"name":"e1","mbps":250,"iops":100,"committed_mbps":0,"committed_iops":0,"load_mbps":0,"load_iops":0,"disks":2}]' ]
	run -0 vctl -p "$P" array set e1 --mbps 0 -q
	assert_output ""
	run -0 vctl -p "$P" --json array list
	[ "$(jq -c '[.arrays[] | [.name, .mbps, .iops]]' <<<"$output")" = '[["e0",0,0],["e1",0,100],["e2",0,0]]' ]
	[ "$(jq .version <<<"$output")" = 1 ]
	run -0 vctl -p "$P" array list
	assert_line --index 0 --regexp '^NAME +MBPS +IOPS +C_MBPS +C_IOPS +LOAD_MBPS +LOAD_IOPS +DISKS$'
	assert_line --index 2 --regexp '^e1 +0 +100 +0 +0 +0\.0 +0\.0 +2$'
}

@test "bad input: usage (1), unknown array (2); one line, images unchanged" {
	rated_pool 400 400 200
	sum=$(images_sum "$P")
	bad() {
		local want=$1 msg=$2
		shift 2
		run -"$want" vctl -p "$P" "$@"
		assert_one_line
		[ -z "$msg" ] || assert_output "$msg"
		assert_unchanged "$P" "$sum"
	}
	bad 2 "vctl array set: no array (enclosure) named nosuch" array set nosuch --mbps 5
	bad 1 "vctl array set: nothing to set: give --mbps or --iops" array set e0
	bad 1 "" array set e0 --mbps -5
	bad 1 "" array set e0 --iops -1
	bad 1 "" array set e0 --mbps fast
	bad 1 "" array set e0 --mbps 1000001
	bad 1 "" array set e0 --iops 10000001
	bad 1 "" array set --mbps 5
	bad 1 "" array set e0 e1 --mbps 5
	bad 1 "" array list extra
	bad 1 "" array set e0 --bogus
	bad 1 "vctl create: --fit worst: use best or first" create w --size 1M --mbps 10 --fit worst
	bad 1 "vctl create: --fit goes with --mbps or --iops" create w --size 1M --fit best
	bad 1 "vctl create: --mbps 0: give at least 1 (or leave it out)" create w --size 1M --mbps 0
	bad 1 "vctl create: --iops 0: give at least 1 (or leave it out)" create w --size 1M --iops 0
	bad 1 "" create w --size 1M --mbps -600
	bad 1 "" create w --size 1M --iops x
	bad 1 "" create w --size 1M --mbps 99999999999999999999
	bad 3 "" create w --size 1M --mbps 1000000
}

@test "online: array set, array list and create --mbps through the server" {
	rated_pool 400 400 200
	start_serve --socket "$SOCK"
	run -0 vctl -p "$P" array set e2 --mbps 300 -q
	# best fit: 300 each on e2 (300 free, none left) and e0
	run -0 vctl -p "$P" --json create v --size 4M --mbps 600
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e0","e2"]' ]
	run -3 vctl -p "$P" create w --size 4M --mbps 501
	assert_output "vctl create: needs 501 MB/s; the free capability of all arrays together is 500 MB/s"
	run -0 vctl -p "$P" --json array list
	[ "$(jq -c '[.arrays[] | [.committed_mbps, .load_mbps]]' <<<"$output")" = '[[300,0],[0,0],[300,0]]' ]
	run -2 vctl -p "$P" array set nosuch --mbps 1
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	run -0 vctl -p "$P" check --intents
}

@test "online: the load of a host's writes through its path shows on the volume's arrays, not on the others" {
	require setpriv
	require qemu-io
	[ "$(id -u)" = 0 ] || skip "needs root to act as another uid (setpriv --reuid)"
	local u=64201
	# the socket must be reachable by uid $u
	open_dirs "$D"
	rated_pool 400 400 200
	chmod 755 "$P"
	vctl -p "$P" create v --size 4M --mbps 600 -q
	vctl -p "$P" host add h --uid $u -q
	vctl -p "$P" path add h v -q
	start_serve --socket "$SOCK" --socket-mode 0666
	# 1 MiB writes for about four seconds, as uid $u
	(
		end=$((SECONDS + 4))
		while [ $SECONDS -lt $end ]; do
			setpriv --reuid $u --regid $u --clear-groups \
				qemu-io -f raw "$(uri v)" -c "write -P 7 0 1M" >/dev/null 2>&1 || break
		done
	) &
	local w=$!
	sleep 1
	run -0 vctl -p "$P" --json array list
	wait "$w"
	local loads
	loads=$(jq -c '[.arrays[] | [(.load_mbps > 0), (.load_iops > 0)]]' <<<"$output")
	[ "$loads" = '[[true,true],[true,true],[false,false]]' ] || fail "loads: $output"
	# e0 and e1 each hold half of v's PSEGs: equal shares
	[ "$(jq '.arrays[0].load_mbps == .arrays[1].load_mbps' <<<"$output")" = true ]
	run -0 vctl -p "$P" --json stats
	[ "$(jq '.paths[0].writes > 0' <<<"$output")" = true ]
}
