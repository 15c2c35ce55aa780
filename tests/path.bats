#!/usr/bin/env bats
# vctl path add, list, remove: the virtual paths from a host to a volume,
# in a domain, with their access; offline, text and --json; every refusal
# with its exit status, its one line, and the images unchanged; paths
# follow a renamed volume and go with a deleted one. (Through a running
# server: domains.bats; as other users' clients see it: access.bats.)

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	paths_pool
}

@test "path add prints the new id; list; remove" {
	vctl -p "$P" host add a --uid 1001 -q
	vctl -p "$P" host add b --uid 1002 -q
	vctl -p "$P" domain create slow --max-iops 10 -q
	vctl -p "$P" domain create frozen --access ro -q
	run -0 --separate-stderr vctl -p "$P" path add a vol
	assert_output 7
	run -0 vctl -p "$P" --json path add b vol --domain slow --access ro
	[ "$(jq .id <<<"$output")" = 8 ]
	run -0 vctl -p "$P" path add b other --domain frozen
	assert_output 9
	run -0 vctl -p "$P" path add a other --domain default --access rw
	assert_output 10
	run -0 vctl -p "$P" path list
	assert_line --index 0 --regexp '^ID +HOST +VOLUME +DOMAIN +ACCESS$'
	assert_line --index 1 --regexp '^7 +a +vol +default +rw$'
	assert_line --index 2 --regexp '^8 +b +vol +slow +ro$'
	# a ro domain makes its paths ro
	assert_line --index 3 --regexp '^9 +b +other +frozen +ro$'
	run -0 vctl -p "$P" --json path list
	[ "$(jq -c '[.paths[] | [.id, .host, .volume, .domain, .access, .path_access]]' <<<"$output")" = \
		'[[7,"a","vol","default","rw","rw"],[8,"b","vol","slow","ro","ro"],[9,"b","other","frozen","ro","rw"],[10,"a","other","default","rw","rw"]]' ]
	run -0 vctl -p "$P" path remove 8
	assert_output "removed path 8"
	run -0 vctl -p "$P" --json host list
	[ "$(jq -c '[.hosts[].paths]' <<<"$output")" = '[2,1]' ]
	run -0 vctl -p "$P" check
}

@test "path add and remove: bad input changes nothing" {
	vctl -p "$P" host add a --uid 1001 -q
	vctl -p "$P" path add a vol -q
	refused 2 "vctl path add: no host named z" path add z vol
	refused 2 "vctl path add: no volume named z" path add a z
	refused 2 "vctl path add: no domain named z" path add a other --domain z
	refused 3 "vctl path add: host a has a path to vol already (path 4)" path add a vol
	refused 3 "" path add a vol --domain default --access ro
	refused 1 "vctl path add: --access x: give rw or ro" path add a other --access x
	refused 1 "" path add a other --domain 'a b'
	refused 1 "" path add a
	refused 2 "vctl path remove: no path 99" path remove 99
	refused 2 "vctl path remove: no path 3" path remove 3
	refused 1 "vctl path remove: 'x' is not a path id" path remove x
	refused 1 "vctl path remove: -4: unknown option" path remove -4
}

@test "a renamed volume keeps its paths; a deleted one loses them" {
	vctl -p "$P" host add a --uid 1001 -q
	vctl -p "$P" path add a vol -q
	vctl -p "$P" path add a other -q
	vctl -p "$P" rename vol renamed -q
	run -0 vctl -p "$P" --json path list
	[ "$(jq -c '[.paths[].volume]' <<<"$output")" = '["renamed","other"]' ]
	vctl -p "$P" delete renamed -q
	run -0 vctl -p "$P" --json path list
	[ "$(jq -c '[.paths[] | [.id, .volume]]' <<<"$output")" = '[[5,"other"]]' ]
	run -0 vctl -p "$P" check
}
