#!/usr/bin/env bats
# vctl stats: the counters a running server keeps for each path and domain,
# exact to the byte and operation as other users' clients made them, and
# its filters; without a server, exit 2. (Every command through a server,
# stats --watch included: domains.bats. Throttling measured with stats:
# access.bats.)

load test_helper
load serve_helper

setup() {
	serve_setup
}

teardown() {
	stop_serve_checked
}

@test "stats without a server: exit 2, one line" {
	paths_pool
	refused 2 "vctl stats: no server is running for the pool in $P; the statistics are kept by vctl serve" stats
	refused 1 "" stats --path x
	refused 1 "vctl stats: --count 0: give at least 1" stats --count 0
}

@test "stats: a host's exact bytes and operations" {
	users_pool
	start_serve --socket-mode 0666
	# 3 writes of 4096 + 1000 + 1 = 5097 bytes, 2 reads of 8192 + 512
	run -0 as $UA nbdsh -u "$(uri vol)" -c '
h.pwrite(b"a" * 4096, 0)
h.pwrite(b"b" * 1000, 100000)
h.pwrite(b"c", 7)
h.pread(8192, 0)
h.pread(512, 4096)
'
	run -0 as $UB nbdsh -u "$(uri vol)" -c 'h.pread(4096, 0)'
	run -0 vctl -p "$P" --json stats
	[ "$(jq -c '.paths[] | select(.id == '"$PA"') | [.host, .volume, .domain, .writes, .write_bytes, .reads, .read_bytes, .errors]' <<<"$output")" = \
		'["A","vol","fast",3,5097,2,8704,0]' ]
	[ "$(jq -c '.paths[] | select(.id == '"$PB"') | [.host, .domain, .writes, .reads, .read_bytes]' <<<"$output")" = \
		'["B","backup",0,1,4096]' ]
	# and their domains, summed
	[ "$(jq -c '.domains[] | select(.name == "fast") | [.paths, .writes, .write_bytes, .reads]' <<<"$output")" = \
		'[1,3,5097,2]' ]
	[ "$(jq -c '.domains[] | select(.name == "backup") | [.max_iops, .reads, .read_bytes]' <<<"$output")" = \
		'[1000,1,4096]' ]
	# every timed request is in the histogram once
	[ "$(jq '.paths[] | select(.id == '"$PA"') | [.latency[].count] | add' <<<"$output")" = 5 ]
	run -0 vctl -p "$P" --json stats --volume vol --domain fast
	[ "$(jq -c '[.paths[].id]' <<<"$output")" = "[$PA]" ]
}
