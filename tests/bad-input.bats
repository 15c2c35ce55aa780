#!/usr/bin/env bats
# The bad-input matrix (TESTING.md, the cli row; issue 10): every command
# against every bad-input class that applies to it. Each case asserts the
# exact exit status, a one-line message "vctl COMMAND: ..." on stderr for
# a failure, and that the pool directory (its listing and the checksum of
# every member image) is unchanged.
#
# The commands come from `vctl --help`: a command without a row in ROWS
# fails the first test. Each row is
#   NAME|KIND|ARGS|BARE
# NAME the command as --help lists it; ARGS arguments that succeed on the
# healthy fixture pool (@PATH@ is replaced by the fixture's path id);
# BARE the status with no arguments at all on a healthy pool ("-": not
# run, it would succeed and change the pool); KIND how it opens the pool:
#   ro     reads it (a degraded pool still serves it: status 0)
#   rw     changes it (refused when the pool is not whole)
#   check  ro, but exits 4 when it finds a problem
#   stats  ro, and exits 2 without a server (none runs here)
#   serve  rw, and would serve forever on a healthy pool
#   init   makes a pool: its own cases below
# Per-command suites test each command's own refusals; this file is the
# uniform sweep, so it runs each class over every row.

load test_helper

# Commands without a row on purpose (none today).
EXCLUDED='-'

ROWS=(
	'init|init|--disks 2 --disk-size 4M --pseg-size 256K|1'
	'status|ro||0'
	'disk list|ro||0'
	'disk add|rw|@NEWDISK@ --enclosure e0|1'
	'disk fail|rw|0|1'
	'disk replace|rw|0|1'
	'disk remove|rw|2|1'
	'dump label|ro|disk0.img|0'
	'dump mld|ro||0'
	'create|rw|w --size 1M|1'
	'list|ro||0'
	'show|ro|v|1'
	'resize|rw|v --size 2M|1'
	'rename|rw|v w|1'
	'snapshot|rw|v s|1'
	'snapclone|rw|v c|1'
	'restripe|rw|v --stripe-size 128K|1'
	'level|rw||-'
	'jobs|rw||-'
	'delete|rw|v|1'
	'write|rw|v @DATA@|1'
	'read|ro|v -o @OUT@|1'
	'dump volume|ro|v|1'
	'dump map|ro|v|1'
	'dump tree|ro|v|1'
	'host add|rw|h2 --uid 5|1'
	'host list|ro||0'
	'host remove|rw|h|1'
	'domain create|rw|d2|1'
	'domain set|rw|d --max-iops 5|1'
	'domain list|ro||0'
	'domain remove|rw|d|1'
	'path add|rw|h v2|1'
	'path list|ro||0'
	'path remove|rw|@PATH@|1'
	'array set|rw|e0 --mbps 400|1'
	'array list|ro||0'
	'migrate|rw|pv --from e0|1'
	'monitor|stats||2'
	'stats|stats||2'
	'check|check||0'
	'serve|serve|--socket @SOCK@|-'
)

# One fixture for the whole file: a healthy pool of three sparse 8 MiB
# disks with a written volume, a host, a domain and a path, and a second
# pool. Each class starts from a copy of it.
setup_file() {
	local d=$BATS_FILE_TMPDIR
	"$VCTL" -p "$d/base" init --disks 3 --disk-size 4M --enclosures 3 --pseg-size 256K -q
	"$VCTL" -p "$d/base" create v --size 1M --raid 1 -q
	"$VCTL" -p "$d/base" create v2 --size 1M -q
	head -c 65536 /dev/urandom >"$d/data.bin"
	"$VCTL" -p "$d/base" write v "$d/data.bin" -q
	"$VCTL" -p "$d/base" host add h --uid 1000 -q
	"$VCTL" -p "$d/base" domain create d -q
	"$VCTL" -p "$d/base" path add h v >"$d/path-id"
	"$VCTL" -p "$d/base" array set e0 --mbps 100 -q
	"$VCTL" -p "$d/base" array set e1 --mbps 100 -q
	"$VCTL" -p "$d/base" create pv --size 1M --mbps 50 -q
	"$VCTL" -p "$d/other" init --disks 2 --disk-size 4M --pseg-size 256K -q
	mkdir "$d/adir"
}

setup() {
	F=$BATS_FILE_TMPDIR
	P=$BATS_TEST_TMPDIR/pool
	PATH_ID=$(cat "$F/path-id")
	ERRS=''
	NCASES=0
	# bats traces every command of a test (a DEBUG trap); the cases here
	# are some 600 commands each, and report() says which one failed.
	trap - DEBUG
}

# A fresh copy of the fixture pool in $P.
fresh() {
	reset_state
	rm -rf "$P"
	cp -a --sparse=always "$F/base" "$P"
}

# What must not change: the pool directory's listing and every image.
# Each case compares the listing and each image's size, blocks, mtime and
# ctime (any write moves the mtime, even of the same bytes); the checksum
# of every image is compared as well before a class's pool is set aside
# (reset_state, report). Every image of the fixtures is *.img.
# Sets PS. (No $(...): a fork costs more than the case itself.)
pool_state() {
	local f=$BATS_TEST_TMPDIR/state
	PS= PS2=
	if [ -d "$P" ]; then
		local -a all img
		shopt -s dotglob nullglob
		all=("$P"/*)
		img=("$P"/*.img)
		shopt -u dotglob nullglob
		PS="${all[*]}"$'\n'
		((${#img[@]} == 0)) || stat -L -c '%n %s %b %y %z' -- "${img[@]}" >"$f" 2>&1 || true
	else
		stat -c '%F %s' "$P" >"$f" 2>&1 || true
	fi
	[ -s "$f" ] && read -r -d '' PS2 <"$f" || true
	PS+=$PS2
	: >"$f"
}

pool_sum() {
	if [ -d "$P" ]; then
		(cd "$P" && cksum -- *.img 2>&1)
	fi
}

# Compares the checksums with those taken before the class's first case,
# and forgets both: the next case starts a new class.
reset_state() {
	if [ -n "${SUM+x}" ] && [ "$SUM" != "$(pool_sum)" ]; then
		ERRS+="the images of $P changed:"$'\n'"$(diff <(echo "$SUM") <(pool_sum) || true)"$'\n'
	fi
	unset STATE SUM
}

rows() {
	local r
	for r in "${ROWS[@]}"; do
		echo "$r"
	done
}

# The arguments of a row, placeholders filled in.
row_args() {
	local a=$1
	a=${a//@PATH@/$PATH_ID}
	a=${a//@DATA@/$F/data.bin}
	a=${a//@OUT@/$BATS_TEST_TMPDIR/out.bin}
	a=${a//@SOCK@/$BATS_TEST_TMPDIR/s.sock}
	[ -e "$BATS_TEST_TMPDIR/new.img" ] || truncate -s 4M "$BATS_TEST_TMPDIR/new.img"
	a=${a//@NEWDISK@/$BATS_TEST_TMPDIR/new.img}
	echo "$a"
}

# expect WANT WORDS...: runs `vctl -p $P WORDS...` and records (in ERRS, so
# that one test reports every failing row) a wrong exit status, a failure
# message that is not one line "vctl COMMAND: ...", or a changed pool.
# A refused command leaves the pool as it was, so the state after one case
# is the state before the next: STATE holds it (`fresh` and damage reset it).
expect() {
	local want=$1
	shift
	if [ -z "${STATE+x}" ]; then
		pool_state
		STATE=$PS
		SUM=$(pool_sum)
	fi
	local st=0 errf=$BATS_TEST_TMPDIR/stderr
	# not `run`: this is called some 600 times; timeout: a server that
	# should have been refused but serves
	if [ "$1" = serve ]; then
		timeout 20 "${VALGRIND[@]}" "$VCTL" -p "${POOL:-$P}" "$@" >/dev/null 2>"$errf" || st=$?
	else
		"${VALGRIND[@]}" "$VCTL" -p "${POOL:-$P}" "$@" >/dev/null 2>"$errf" || st=$?
	fi
	local stderr='' after
	read -r -d '' stderr <"$errf" || true
	stderr=${stderr%$'\n'}
	pool_state
	after=$PS
	NCASES=$((NCASES + 1))
	local what="vctl $*"
	what=${what//$BATS_TEST_TMPDIR/T}
	what=${what//$F/F}
	if [ "$st" -ne "$want" ]; then
		ERRS+="$what: exit $st, expected $want: ${stderr//$'\n'/ | }"$'\n'
	elif [ "$want" -ne 0 ]; then
		local name=$1
		[[ $2 != -* && " disk dump host domain path array " == *" $1 "* ]] && name="$1 $2"
		if [[ $stderr == *$'\n'* || $stderr != "vctl $name: "?* ]]; then
			ERRS+="$what: not one line 'vctl $name: ...': ${stderr//$'\n'/ | }"$'\n'
		fi
	fi
	if [ "$STATE" != "$after" ]; then
		ERRS+="$what: changed the pool:"$'\n'"$(diff <(echo "$STATE") <(echo "$after") || true)"$'\n'
		STATE=$after
	fi
}

# Fails with every recorded problem; at least $1 cases must have run.
report() {
	reset_state
	[ "$NCASES" -ge "$1" ] || fail "only $NCASES cases ran"
	[ -z "$ERRS" ] || fail "$(printf '%s' "$ERRS")"
}

# each_row KINDS FN: calls FN NAME KIND ARGS BARE for the rows of those kinds.
each_row() {
	local kinds=" $1 " fn=$2 name kind args bare
	while IFS='|' read -r name kind args bare; do
		[[ $kinds == *" $kind "* ]] || continue
		"$fn" "$name" "$kind" "$(row_args "$args")" "$bare"
	done < <(rows)
}

# Runs a row with the status its kind gets on a damaged pool: $DAMAGED_RO
# for the readers, $DAMAGED_RW for the writers.
damaged_row() {
	local name=$1 kind=$2 args=$3 want
	case $kind in
	ro) want=$DAMAGED_RO
		[[ $name == 'dump label' || $name == 'dump mld' ]] && want=${DAMAGED_FORENSIC:-$want} ;;
	check) want=$DAMAGED_CHECK ;;
	stats) want=$DAMAGED_STATS ;;
	*) want=$DAMAGED_RW ;;
	esac
	# shellcheck disable=SC2086 # words
	expect "$want" $name $args
}

# Every pool-opening row on the pool as it is now, with one status for all.
all_rows() {
	DAMAGED_RO=$1 DAMAGED_RW=$1 DAMAGED_CHECK=$1 DAMAGED_STATS=$1
	each_row "ro rw check stats serve" damaged_row
}

# Sets a label field of both label copies of image $1: bytes $3 at offset $2.
poke_labels() {
	local off
	for off in $LABEL_A $LABEL_B; do
		printf "$3" | dd of="$1" bs=1 seek=$((off + $2)) conv=notrunc status=none
	done
}

# --- the table ---------------------------------------------------------------

@test "every command --help lists has a row, and every row is a command" {
	local cmds names
	cmds=$(vctl --help | sed -n '/^Commands:/,/^$/p' |
		sed -nE 's/^  ([^ ].*[^ ]) {2,}.*/\1/p' | grep -vxE "$EXCLUDED")
	[ "$(grep -c '' <<<"$cmds")" -ge 30 ] || fail "too few commands in --help: $cmds"
	names=$(rows | cut -d'|' -f1)
	local missing extra
	missing=$(comm -23 <(sort <<<"$cmds") <(sort <<<"$names"))
	extra=$(comm -13 <(sort <<<"$cmds") <(sort <<<"$names"))
	[ -z "$missing" ] || fail "commands without a row in tests/bad-input.bats: $missing"
	[ -z "$extra" ] || fail "rows for commands --help does not list: $extra"
}

# --- usage errors on a healthy pool ------------------------------------------

@test "usage: an unknown option, a missing argument" {
	fresh
	opt_row() {
		local name=$1 kind=$2 args=$3 bare=$4
		# shellcheck disable=SC2086
		expect 1 $name $args --no-such-option
		# shellcheck disable=SC2086
		[ "$bare" = - ] || [ "$bare" = 0 ] || expect "$bare" $name
	}
	each_row "init ro rw check stats serve" opt_row
	report 55
}

@test "usage: bad, negative and overflowing sizes and numbers" {
	fresh
	local bad
	for bad in 12Q 99999999999999999999 18446744073709551615T -1 ''; do
		expect 1 create w --size "$bad"
		expect 1 resize v --size "$bad"
		expect 1 restripe v --stripe-size "$bad"
		expect 1 restripe v --rate "$bad"
		expect 1 write v --offset "$bad" "$F/data.bin"
		expect 1 read v --offset "$bad" -o "$BATS_TEST_TMPDIR/out.bin"
		expect 1 read v --length "$bad" -o "$BATS_TEST_TMPDIR/out.bin"
		expect 1 init --disks 2 --disk-size "$bad" --pseg-size 256K
		expect 1 init --disks 2 --disk-size 4M --pseg-size "$bad"
	done
	for bad in x -1 99999999999999999999; do
		expect 1 disk fail "$bad"
		expect 1 disk replace "$bad"
		expect 1 path remove "$bad"
		expect 1 host add h2 --uid "$bad"
		expect 1 domain create d2 --max-iops "$bad"
		expect 1 domain set d --max-mbps "$bad"
		expect 1 array set e0 --mbps "$bad"
		expect 1 array set e0 --iops "$bad"
		expect 1 create w --size 1M --mbps "$bad"
		expect 1 create w --size 1M --iops "$bad"
		expect 1 migrate pv --from e0 --rate "$bad"
		expect 1 monitor --interval "$bad"
		expect 1 monitor --threshold "$bad"
		expect 1 monitor --once --rate "$bad"
		expect 1 restripe v --width "$bad"
		expect 1 snapclone v c --threshold "$bad"
		expect 1 jobs --cancel "$bad"
		expect 1 dump mld --disk "$bad" --slot 0
		expect 1 init --disks "$bad" --disk-size 4M --pseg-size 256K
	done
	expect 1 serve --socket-mode 999
	expect 1 create w --size 1M --mbps 10 --fit worst
	expect 1 create w --size 1M --fit first
	expect 1 array set e0
	expect 1 migrate pv
	expect 1 migrate pv --from e0 --rate 0
	expect 1 monitor --interval 0
	expect 1 monitor --interval 3601
	expect 1 monitor --threshold 0
	expect 1 monitor --threshold 1001
	expect 1 monitor extra
	expect 1 create 'bad/name' --size 1M
	expect 1 create "$(printf 'n%.0s' $(seq 65))" --size 1M
	report 75
}

@test "not found: volumes, disks, hosts, domains, paths, jobs, files" {
	fresh
	local c
	for c in show delete 'dump volume' 'dump map' 'dump tree'; do
		# shellcheck disable=SC2086
		expect 2 $c nosuch
	done
	for c in rename snapshot snapclone; do
		expect 2 $c nosuch x
	done
	expect 2 resize nosuch --size 2M
	expect 2 restripe nosuch --width 2
	expect 2 write nosuch "$F/data.bin"
	expect 2 read nosuch -o "$BATS_TEST_TMPDIR/out.bin"
	expect 2 stats --volume nosuch
	expect 2 disk fail 99
	expect 2 disk replace 99
	expect 2 dump label nosuch.img
	expect 2 dump mld --disk 9 --slot 0
	expect 2 host remove nosuch
	expect 2 domain set nosuch --max-iops 5
	expect 2 domain remove nosuch
	expect 2 array set nosuch --mbps 5
	expect 2 migrate nosuch --from e0
	expect 2 migrate pv --from nosuch
	expect 2 path add nosuch v
	expect 2 path add h nosuch
	expect 2 path add h v2 --domain nosuch
	expect 2 path remove 999
	expect 2 jobs 999
	expect 2 jobs --cancel 999
	# missing files and directories where a file is read or written
	expect 2 write v "$F/nosuch.bin"
	expect 1 write v "$F/adir"
	expect 2 read v -o "$F/nosuch/out.bin"
	expect 1 read v -o "$F/adir"
	report 30
}

# --- the pool directory --------------------------------------------------------

@test "missing pool directory: 2" {
	rm -rf "$P"
	all_rows 2
	report 30
}

@test "the pool directory is a file: 1" {
	rm -rf "$P"
	echo precious >"$P"
	all_rows 1
	report 30
}

@test "zero-length images: no pool, 2" {
	fresh
	local f
	for f in "$P"/disk*.img; do
		: >"$f"
	done
	all_rows 2
	report 30
}

@test "wrong magic in every image: no pool, 2" {
	fresh
	local f
	for f in "$P"/disk*.img; do
		poke_labels "$f" 0 'XXXX'
	done
	all_rows 2
	report 30
}

@test "an image of a future format version: 4" {
	fresh
	poke_labels "$P/disk0.img" 10 '\x03\x00'
	all_rows 4
	report 30
}

@test "disks of two pools in one directory: 3" {
	fresh
	ln -s "$F/other/disk0.img" "$P/foreign.img"
	all_rows 3
	report 30
}

# A damaged but readable pool: readers go on (and say what is wrong),
# writers are refused before they write anything.
@test "a truncated image: readers 0, writers refused with 4" {
	fresh
	truncate -s 2M "$P/disk2.img"
	DAMAGED_RO=0 DAMAGED_RW=4 DAMAGED_CHECK=4 DAMAGED_STATS=2
	each_row "ro rw check stats serve" damaged_row
	report 30
}

@test "tiny images (every one cut to 1 MiB): dump 0, the rest 4" {
	fresh
	local f
	for f in "$P"/disk*.img; do
		truncate -s 1M "$f"
	done
	# the maps are past the end: short reads
	DAMAGED_RO=4 DAMAGED_FORENSIC=0 DAMAGED_RW=4 DAMAGED_CHECK=4 DAMAGED_STATS=4
	each_row "ro rw check stats serve" damaged_row
	report 30
}

@test "the same disk twice (a copied image, a second link): readers 0, writers refused with 3" {
	fresh
	cp --sparse=always "$P/disk1.img" "$P/copy.img"
	DAMAGED_RO=0 DAMAGED_RW=3 DAMAGED_CHECK=4 DAMAGED_STATS=2
	each_row "ro rw check stats serve" damaged_row
	reset_state
	rm "$P/copy.img"
	ln -s disk1.img "$P/zz-link.img"
	each_row "ro rw check stats serve" damaged_row
	report 55
}

@test "wrong magic in one image: readers go on unchanged" {
	fresh
	poke_labels "$P/disk1.img" 0 'XXXX'
	DAMAGED_RO=0 DAMAGED_CHECK=4 DAMAGED_STATS=2
	each_row "ro check stats" damaged_row
	report 15
}

@test "a read-only image: readers go on unchanged" {
	# read-only for root too: a read-only bind mount in a mount namespace
	unshare -m true 2>/dev/null || skip "needs unshare -m (a mount namespace)"
	fresh
	local w=$BATS_TEST_TMPDIR/vctl-ro
	# shellcheck disable=SC2016
	printf '#!/bin/sh\nexec unshare -m sh -c %s sh "$@"\n' \
		"'mount --bind -o ro \"$P/disk1.img\" \"$P/disk1.img\" && exec ${VALGRIND[*]} \"$VCTL\" \"\$@\"'" >"$w"
	chmod +x "$w"
	# (valgrind, if any, inside the wrapper: it is vctl that it watches)
	local real=$VCTL
	local -a valgrind=("${VALGRIND[@]}")
	VCTL=$w VALGRIND=()
	DAMAGED_RO=0 DAMAGED_CHECK=0 DAMAGED_STATS=2
	each_row "ro check stats" damaged_row
	VCTL=$real VALGRIND=("${valgrind[@]}")
	report 15
}

@test "a stale control socket: commands run offline" {
	fresh
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$P/vctl.ctl"
	DAMAGED_RO=0 DAMAGED_CHECK=0 DAMAGED_STATS=2
	each_row "ro check stats" damaged_row
	report 15
}

# --- init's own inputs ---------------------------------------------------------

@test "init: missing, directory, empty, tiny, read-only, twice, a disk of a pool, a newer disk" {
	fresh
	local D=$BATS_TEST_TMPDIR/img N=$BATS_TEST_TMPDIR/new
	mkdir "$D"
	truncate -s 4M "$D/a.img" "$D/b.img"
	: >"$D/empty.img"
	truncate -s 1M "$D/tiny.img"
	truncate -s 4M "$D/ro.img"
	chmod 444 "$D/ro.img"
	cp --sparse=always "$F/other/disk1.img" "$D/newer.img"
	poke_labels "$D/newer.img" 10 '\x03\x00'
	ln -s "$D/a.img" "$D/alias.img"
	# the images given are what must stay unchanged: look at $D
	local real_p=$P
	reset_state
	P=$D POOL=$N
	local ini=(init --pseg-size 256K)
	expect 2 "${ini[@]}" "$D/none.img"
	expect 1 "${ini[@]}" "$F/adir"
	expect 1 "${ini[@]}" "$D/empty.img"
	expect 1 "${ini[@]}" "$D/tiny.img"
	expect 3 "${ini[@]}" "$D/a.img" "$D/ro.img"
	expect 1 "${ini[@]}" "$D/a.img" "$D/a.img"
	expect 1 "${ini[@]}" "$D/a.img" "$D/alias.img"
	expect 3 "${ini[@]}" "$D/newer.img"
	expect 3 "${ini[@]}" "$F/other/disk0.img"
	expect 3 "${ini[@]}" "$real_p/disk0.img"
	expect 1 "${ini[@]}" "$D/a.img:enclosure=bad/name"
	[ ! -e "$N" ] || fail "a refused init left $N behind"
	# a directory that holds a pool already
	reset_state
	P=$real_p POOL=
	expect 3 init --disks 3 --disk-size 4M --pseg-size 256K
	expect 3 init --pseg-size 256K "$D/a.img"
	report 13
}

# --- serve's socket ------------------------------------------------------------

@test "serve: socket path too long, in use, not a socket; a stale one is replaced" {
	fresh
	local T=$BATS_TEST_TMPDIR long
	long=$T/$(printf 'l%.0s' $(seq $((108 - ${#T} - 1))))
	expect 1 serve --socket "$long"
	# in use by another program
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
open(sys.argv[2], "w").close(); time.sleep(60)' "$T/busy.sock" "$T/listening" &
	local lpid=$!
	for _ in $(seq 100); do [ -e "$T/listening" ] && break; sleep 0.05; done
	expect 3 serve --socket "$T/busy.sock"
	kill "$lpid"
	wait "$lpid" 2>/dev/null || true
	echo precious >"$T/file"
	expect 3 serve --socket "$T/file"
	[ "$(cat "$T/file")" = precious ]
	expect 1 serve --stop --fork
	expect 2 serve --stop
	# stale: replaced, and the server stops cleanly
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/stale.sock"
	# (stderr to a file: under valgrind the server keeps valgrind's copy)
	run -0 --separate-stderr vctl -p "$P" serve --socket "$T/stale.sock" --fork
	run -0 vctl -p "$P" serve --stop
	report 5
}
