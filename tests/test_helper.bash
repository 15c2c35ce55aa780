# Shared by every bats file: `load test_helper`.
bats_require_minimum_version 1.5.0
bats_load_library bats-support 2>/dev/null || load '/usr/lib/bats/bats-support/load'
bats_load_library bats-assert 2>/dev/null || load '/usr/lib/bats/bats-assert/load'

# Do not name a loop variable `i` in a test that calls `run` inside the
# loop: bats-core 1.8.2's version check (run with -N) assigns a global i.

VCTL=${VCTL:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/build/vctl}

# VCTL_VALGRIND=1 runs every vctl under valgrind (nbdkit's NBDKIT_VALGRIND);
# a memory error turns into exit status 99. A test that runs the program
# itself (under timeout, in the background) puts "${VALGRIND[@]}" first.
VALGRIND=()
[ -z "${VCTL_VALGRIND:-}" ] ||
	VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)

vctl() {
	"${VALGRIND[@]}" "$VCTL" "$@"
}

# A small pool: mkpool [DISKS [SIZE [ENCLOSURES]]] in $P.
mkpool() {
	P=$BATS_TEST_TMPDIR/pool
	local n=${1:-6}
	local e=${3:-$((n < 3 ? n : 3))}
	vctl -p "$P" init --disks "$n" --disk-size "${2:-16M}" --enclosures "$e" \
		--pseg-size 256K -q
}

# The state of a test that may start `vctl serve` (serve_helper.bash): D
# its directory, P the pool (not made yet), SOCK the server's socket, and
# no server running.
serve_setup() {
	D=$BATS_TEST_TMPDIR
	P=$D/pool
	SOCK=$P/vctl.sock
	SERVE_PID=
}

# The pool of the host, path and domain tests: 4 disks in 2 enclosures
# with volumes vol (id 1) and other (id 2), 8 MiB each.
paths_pool() {
	mkpool 4 32M 2
	vctl -p "$P" create vol --size 8M -q
	vctl -p "$P" create other --size 8M -q
}

# A 4-disk pool (256K PSEGs, 2 enclosures) holding raid1, raid5, raid10
# (--separate enclosure) and raid0 volumes, each full of data (the first
# bytes of $D/data, 8 MiB).
filled_pool() {
	mkpool 4 24M 2
	vctl -p "$P" create m1 --size 4M --raid 1 -q
	vctl -p "$P" create m5 --size 6M --raid 5 --width 2 -q
	vctl -p "$P" create m10 --size 4M --raid 10 --width 2 --separate enclosure -q
	vctl -p "$P" create z --size 4M --width 3 -q
	local v size
	for v in m1 m5 m10 z; do
		size=$(vctl -p "$P" --json show "$v" | jq .size)
		head -c "$size" "$D/data" | vctl -p "$P" write "$v" - -q
	done
}

# Every volume's bytes equal what filled_pool wrote.
assert_contents() {
	local v size
	for v in m1 m5 m10 z; do
		size=$(vctl -p "$P" --json show "$v" | jq .size)
		cmp <(vctl -p "$P" read "$v") <(head -c "$size" "$D/data") ||
			fail "volume $v differs"
	done
}

# A new image of SIZE: new_disk NAME SIZE
new_disk() {
	truncate -s "$2" "$D/$1"
}

# sum NAME: checksum of a volume's bytes (coreutils' sum, which no test
# uses, is hidden by it)
sum() {
	vctl -p "$P" read "$1" | cksum
}

# Checksums of every file in a directory (following links), to prove a
# refused command changed nothing.
images_sum() {
	(cd "$1" && find -L . -type f ! -name vctl.lock | sort | xargs -r cksum)
}

# Asserts that the image checksums in $1 still match the saved $2.
assert_unchanged() {
	local now
	now=$(images_sum "$1")
	if [ "$now" != "$2" ]; then
		echo "images changed:" >&2
		diff <(echo "$2") <(echo "$now") >&2
		return 1
	fi
}

# `run` prints stderr with stdout; messages must be one line.
assert_one_line() {
	[ "$(printf '%s' "$output" | grep -c '')" -eq 1 ] || {
		echo "expected a one-line message, got: $output" >&2
		return 1
	}
}

# refused STATUS MESSAGE ARGS...: `vctl -p $P ARGS...` exits STATUS with
# one line, MESSAGE if not empty, and leaves the images as they were.
refused() {
	local want=$1 msg=$2
	shift 2
	local before
	before=$(images_sum "$P")
	run "-$want" vctl -p "$P" "$@"
	assert_one_line
	[ -z "$msg" ] || assert_output "$msg"
	assert_unchanged "$P" "$before"
}

require() {
	command -v "$1" >/dev/null || skip "needs $1"
}

# Quorum-space offsets (fmt/FORMAT.md), default MLD slot size.
LABEL_A=0
LABEL_B=262144
SLOT0=524288
SLOT1=$((524288 + 786432))

# Overwrites 8 bytes at OFFSET+100 of FILE with random bytes.
damage() {
	dd if=/dev/urandom of="$1" bs=1 count=8 seek=$(($2 + 100)) conv=notrunc status=none
}

# Holds the pool lock exclusively in the background (as a writing vctl
# would); sets LOCK_PID. Stop it with release_lock.
hold_lock() {
	# -o: the sleep must not inherit the lock, or killing flock would not
	# release it
	flock -o "$1/vctl.lock" sleep 60 &
	LOCK_PID=$!
	for _ in $(seq 100); do
		flock -n -s "$1/vctl.lock" true 2>/dev/null || return 0
		sleep 0.05
	done
}

release_lock() {
	pkill -P "$LOCK_PID" sleep 2>/dev/null || true
	kill "$LOCK_PID" 2>/dev/null || true
	wait "$LOCK_PID" 2>/dev/null || true
}

# Six 16 MiB disks in enclosures e0, e1, e2 (two each), rated MB/s:
# rated_pool E0 E1 E2 (array.bats, migrate.bats, monitor.bats).
rated_pool() {
	mkpool 6 16M 3
	vctl -p "$P" array set e0 --mbps "$1" -q
	vctl -p "$P" array set e1 --mbps "$2" -q
	vctl -p "$P" array set e2 --mbps "$3" -q
}

# The enclosures holding a volume's RStore members, from dump map and disk
# list, sorted and unique, one line.
encls_of() {
	local disks
	disks=$(vctl -p "$P" --json dump map "$1" | jq -c '[.runs[] | select(.rsd != null) | .members[].disk] | unique')
	vctl -p "$P" --json disk list |
		jq -r --argjson d "$disks" '[.disks[] | select(.index as $i | $d | index($i)) | .enclosure] | unique | join(",")'
}
