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
