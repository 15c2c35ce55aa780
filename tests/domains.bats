#!/usr/bin/env bats
# Storage domains: domain create/set/list/remove, offline, with every
# refusal's exit status, its one line, and the images unchanged; hosts,
# domains and paths through a running server, in dump mld and in check.
# (host, path and stats on their own: host.bats, path.bats, stats.bats;
# what a server does with them, as other users' clients see it:
# access.bats.)

load test_helper
load serve_helper

setup() {
	serve_setup
	paths_pool
}

teardown() {
	stop_serve_checked
}

@test "domain create, set, list, remove (text and --json)" {
	run -0 vctl -p "$P" domain create gold --max-iops 200 --max-mbps 50
	assert_line --index 0 "created domain gold"
	assert_line --index 2 --regexp '^3 +gold +200 +50 rw +0$'
	run -0 vctl -p "$P" --json domain create archive --access ro
	[ "$(jq -c '.domains[0] | [.name, .max_iops, .max_mbps, .access]' <<<"$output")" = \
		'["archive",0,0,"ro"]' ]
	run -0 vctl -p "$P" --json domain set gold --max-iops 400
	[ "$(jq -c '.domains[0] | [.max_iops, .max_mbps, .access]' <<<"$output")" = '[400,50,"rw"]' ]
	run -0 vctl -p "$P" domain set gold --max-mbps 0 --access ro -q
	run -0 vctl -p "$P" domain list
	assert_line --index 1 --regexp '^3 +gold +400 +- ro +0$'
	assert_line --index 2 --regexp '^4 +archive +- +- ro +0$'
	run -0 vctl -p "$P" domain remove archive
	assert_output "removed domain archive"
	run -0 vctl -p "$P" --json domain list
	[ "$(jq -c '[.domains[].name]' <<<"$output")" = '["gold"]' ]
	run -0 vctl -p "$P" check
}

@test "domain: bad limits, names and access change nothing" {
	vctl -p "$P" domain create gold --max-iops 100 -q
	refused 1 "vctl domain create: --max-iops: '-1' is not a number" domain create d --max-iops -1
	refused 1 "vctl domain create: --max-iops: 'lots' is not a number" domain create d --max-iops lots
	refused 1 "vctl domain create: --max-iops: '1.5' is not a number" domain create d --max-iops 1.5
	refused 1 "vctl domain create: --max-iops: '10000001' is too large (at most 10000000)" \
		domain create d --max-iops 10000001
	refused 1 "" domain create d --max-mbps 99999999999999999999999
	refused 1 "vctl domain create: --max-mbps: '1000001' is too large (at most 1000000)" \
		domain create d --max-mbps 1000001
	refused 1 "vctl domain create: --access rw2: give rw or ro" domain create d --access rw2
	refused 1 "" domain create 'bad name'
	refused 3 "vctl domain create: a domain named gold exists already" domain create gold
	refused 3 "" domain create default
	refused 1 "vctl domain set: --max-iops: '-200' is not a number" domain set gold --max-iops -200
	refused 1 "vctl domain set: nothing to set: give --max-iops, --max-mbps or --access" \
		domain set gold
	refused 2 "vctl domain set: no domain named silver" domain set silver --max-iops 1
	refused 3 "" domain set default --max-iops 1
	refused 2 "vctl domain remove: no domain named silver" domain remove silver
	refused 3 "" domain remove default
	vctl -p "$P" host add h --uid 1001 -q
	vctl -p "$P" path add h vol --domain gold -q
	refused 3 "vctl domain remove: domain gold has 1 path; remove it first" domain remove gold
}

@test "dump mld shows hosts, domains and paths field by field" {
	vctl -p "$P" host add a --uid 1001 --gid 5 -q
	vctl -p "$P" domain create d --max-iops 7 --max-mbps 8 --access ro -q
	vctl -p "$P" path add a vol --domain d -q
	run -0 vctl -p "$P" --json dump mld
	[ "$(jq -c '.hosts' <<<"$output")" = '[{"id":3,"uid":1001,"gid":5,"flags":"0x1","name":"a"}]' ]
	[ "$(jq -c '.domains' <<<"$output")" = '[{"id":4,"max_iops":7,"max_mbps":8,"flags":"0x1","name":"d"}]' ]
	[ "$(jq -c '.paths[0] | [.id, .host, .volume, .domain, .flags]' <<<"$output")" = '[5,3,1,4,"0x0"]' ]
	[ "$(jq .pool.next_id <<<"$output")" = 6 ]
	run -0 vctl -p "$P" dump mld
	assert_line "host record"
	assert_line "domain record"
	assert_line "path record"
	assert_line "  flags          0x1 (gid)"
}

@test "served: every command runs in the server, same output, applied at once" {
	vctl -p "$P" host add a --uid 1001 -q
	start_serve
	run -0 vctl -p "$P" host add b --uid 1002
	assert_output "added host b (id 4)"
	run -0 vctl -p "$P" domain create gold --max-iops 100 -q
	run -0 vctl -p "$P" path add b vol --domain gold
	assert_output 6
	run -3 vctl -p "$P" path add b vol
	assert_output "vctl path add: host b has a path to vol already (path 6)"
	run -0 vctl -p "$P" --json stats
	[ "$(jq -c '.paths[] | [.id, .host, .volume, .domain, .reads, .writes, .read_bytes, .write_bytes]' <<<"$output")" = \
		'[6,"b","vol","gold",0,0,0,0]' ]
	run -2 vctl -p "$P" stats --volume nosuch
	assert_output "vctl stats: no volume named nosuch"
	run -2 vctl -p "$P" stats --domain nosuch
	run -2 vctl -p "$P" stats --path 99
	run -0 vctl -p "$P" --json stats --domain default
	[ "$(jq '.paths | length' <<<"$output")" = 0 ]
	run -0 vctl -p "$P" --json stats --path 6
	[ "$(jq '.paths | length' <<<"$output")" = 1 ]
	# a watch: N documents, one a line, each a second apart, with rates
	run -0 --separate-stderr vctl -p "$P" --json stats --watch --count 2
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -s -c '[.[].paths[0].id]' <<<"$output")" = '[6,6]' ]
	[ "$(jq -s '.[1].interval > 0.5' <<<"$output")" = true ]
	run -0 vctl -p "$P" stats --count 1
	assert_line --index 0 --regexp '^ID +HOST +VOLUME +DOMAIN +READS +WRITES +READ_BYTES +WRITE_BYTES +ERRORS +P50_US +P99_US$'
	run -0 vctl -p "$P" domain set gold --max-iops 200 -q
	run -3 vctl -p "$P" domain remove gold
	run -0 vctl -p "$P" path remove 6 -q
	run -0 vctl -p "$P" domain remove gold -q
	run -0 vctl -p "$P" host remove b -q
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	run -0 vctl -p "$P" --json host list
	[ "$(jq -c '[.hosts[].name]' <<<"$output")" = '["a"]' ]
	run -0 vctl -p "$P" check
}

# Points the host of every path record of the newest MLD copies at id
# 999, with the crcs made right again: a cross-reference only check sees.
break_paths() {
	python3 - "$1" "$2" <<'PY'
import struct, sys, zlib, glob
pool, gen = sys.argv[1], int(sys.argv[2])
off = 512 * 1024 + (gen % 2) * 768 * 1024
for f in sorted(glob.glob(pool + "/disk*.img")):
    with open(f, "r+b") as d:
        d.seek(off); b = bytearray(d.read(768 * 1024))
        if b[:8] != b"VCTL_MLD" or struct.unpack_from("<Q", b, 48)[0] != gen:
            continue
        total = struct.unpack_from("<I", b, 12)[0]
        at = 128
        while at < total:
            typ, _, n = struct.unpack_from("<HHI", b, at)
            if typ == 10:
                struct.pack_into("<Q", b, at + 16, 999)
            at += n
        struct.pack_into("<I", b, 72, zlib.crc32(bytes(b[128:total])))
        struct.pack_into("<I", b, 124, zlib.crc32(bytes(b[:124])))
        d.seek(off); d.write(b[:total])
PY
}

@test "check: a path to no host in the MLD is reported" {
	require python3
	vctl -p "$P" host add a --uid 1001 -q
	vctl -p "$P" path add a vol -q
	run -0 vctl -p "$P" --json check
	[ "$(jq .ok <<<"$output")" = true ]
	gen=$(vctl -p "$P" --json status | jq .mld.generation)
	break_paths "$P" "$gen"
	run -4 --separate-stderr vctl -p "$P" --json check
	[ "$(jq .ok <<<"$output")" = false ]
	[[ $(jq -r '.problems | join(" ")' <<<"$output") == *"path 4 names host id 999, which is no host"* ]] ||
		fail "problems: $(jq -c .problems <<<"$output")"
}
