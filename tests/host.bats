#!/usr/bin/env bats
# vctl host add, list, remove: the hosts (uid, optional gid) a server
# lets in, offline, text and --json; every refusal with its exit status,
# its one line, and the images unchanged. (Through a running server:
# domains.bats; as other users' clients see it: access.bats.)

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	paths_pool
}

@test "host add, list, remove (text and --json)" {
	run -0 vctl -p "$P" host add alice --uid 1001
	assert_output "added host alice (id 3)"
	run -0 vctl -p "$P" --json host add bob --uid 1002 --gid 50
	[ "$(jq -c '[.name, .id]' <<<"$output")" = '["bob",4]' ]
	# the same uid with a gid of its own is another binding
	run -0 vctl -p "$P" host add alice-staff --uid 1001 --gid 60 -q
	assert_output ""
	run -0 vctl -p "$P" host list
	assert_line --index 0 --regexp '^ID +NAME +UID +GID +PATHS$'
	assert_line --index 1 --regexp '^3 +alice +1001 +- +0$'
	assert_line --index 2 --regexp '^4 +bob +1002 +50 +0$'
	run -0 vctl -p "$P" --json host list
	[ "$(jq -c '[.hosts[] | [.name, .uid, .gid, .paths]]' <<<"$output")" = \
		'[["alice",1001,null,0],["bob",1002,50,0],["alice-staff",1001,60,0]]' ]
	run -0 vctl -p "$P" host remove bob
	assert_output "removed host bob"
	run -0 vctl -p "$P" --json host list
	[ "$(jq -c '[.hosts[].name]' <<<"$output")" = '["alice","alice-staff"]' ]
	run -0 vctl -p "$P" check
}

@test "host add and remove: bad input changes nothing" {
	vctl -p "$P" host add alice --uid 1001 -q
	vctl -p "$P" host add bob --uid 1002 --gid 7 -q
	refused 1 "vctl host add: --uid UID is required" host add carol
	refused 1 "vctl host add: --uid: 'x1' is not a number" host add carol --uid x1
	refused 1 "vctl host add: --uid: '-5' is not a number" host add carol --uid -5
	refused 1 "" host add carol --uid 4294967295
	refused 1 "" host add carol --uid 99999999999999999999999
	refused 1 "vctl host add: --gid: 'g' is not a number" host add carol --uid 5 --gid g
	refused 1 "vctl host add: 'a/b' is not a valid name (1 to 64 of A-Z a-z 0-9 . _ -)" \
		host add a/b --uid 5
	refused 3 "vctl host add: a host named alice exists already" host add alice --uid 5
	refused 3 "vctl host add: uid 1001 is bound to host alice already" host add carol --uid 1001
	refused 3 "vctl host add: uid 1002 gid 7 is bound to host bob already" \
		host add carol --uid 1002 --gid 7
	refused 1 "" host add carol --uid 5 extra
	refused 2 "vctl host remove: no host named carol" host remove carol
	vctl -p "$P" path add alice vol -q
	refused 3 "vctl host remove: host alice has 1 path; remove it first" host remove alice
}
