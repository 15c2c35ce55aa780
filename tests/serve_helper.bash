# Running `vctl serve` from a test: start_serve [OPTIONS] (it waits for the
# server's "serving" line), stop_serve (SIGTERM, its exit status in
# SERVE_STATUS), stop_serve_checked (the same, failing the test unless it
# exited 0), uri VOLUME. Needs P (the pool), D (a directory for the log)
# and SOCK (the socket): serve_setup (test_helper.bash) sets them. Also
# the verifying fio loops, and the hosts of other uids (users_pool).

# Starts `vctl serve` in the background (not --fork: the test owns it) and
# waits for its "serving" line, printed once both sockets accept (a socket
# file alone may be a dead server's).
start_serve() {
	# the program itself, not the vctl function: $! must be the server
	set -- "${VALGRIND[@]}" "$VCTL" -p "$P" serve "$@"
	"$@" >"$D/serve.log" 2>&1 3>&- &
	SERVE_PID=$!
	for _ in $(seq 200); do
		grep -q "^vctl serve: serving" "$D/serve.log" && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || {
			cat "$D/serve.log" >&2
			return 1
		}
		sleep 0.05
	done
	return 1
}

# SIGTERM and its exit status, at most 20 s.
stop_serve() {
	[ -n "${SERVE_PID:-}" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null || true
	for _ in $(seq 400); do
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$SERVE_PID" 2>/dev/null || true
	SERVE_STATUS=0
	wait "$SERVE_PID" || SERVE_STATUS=$?
	SERVE_PID=
}

# SIGTERM, as stop_serve, and a server that died or tripped a sanitizer
# (or valgrind) fails the test: the teardown of a file whose tests all
# expect their server to end cleanly.
stop_serve_checked() {
	local was=${SERVE_PID:-}
	stop_serve
	[ -z "$was" ] || [ "$SERVE_STATUS" -eq 0 ] || {
		cat "$D/serve.log" >&2
		return 1
	}
}

uri() {
	echo "nbd+unix:///$1?socket=${SOCKET:-$SOCK}"
}

# fio_until VOLUME SIZE: verifying fio runs (randwrite 4 KiB, crc32c) over
# SIZE of VOLUME, one after the other, until $D/stop exists (at most 40);
# each run's JSON in $D/fio-VOLUME-N.json.
fio_until() {
	for n in $(seq 40); do
		fio --name=w --ioengine=nbd --uri="$(uri "$1")" --rw=randwrite --bs=4k --iodepth=8 \
			--size="$2" --loops=2 --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
			--output-format=json --output="$D/fio-$1-$n.json" >/dev/null 2>&1 || true
		[ -e "$D/stop" ] && break
	done
}

# fio_start SIZE VOLUME...: a fio_until loop over SIZE of each VOLUME, in
# the background; their PIDs in $pids, for fio_stop.
fio_start() {
	local size=$1 v
	shift
	pids=()
	for v in "$@"; do
		fio_until "$v" "$size" &
		pids+=($!)
	done
}

# fio_stop PID...: ends the fio_until loops and waits for them; every run
# must have verified all it wrote, before, during and after (zero errors).
# $runs: the number of runs.
fio_stop() {
	touch "$D/stop"
	local pid f
	for pid in "$@"; do wait "$pid"; done
	runs=0
	for f in "$D"/fio-*.json; do
		[ "$(jq '[.jobs[].error] | add' "$f")" -eq 0 ] || fail "$f: $(jq -c '[.jobs[].error]' "$f")"
		runs=$((runs + 1))
	done
}

# Other users' clients (access.bats, stats.bats): `as UID CMD...` runs a
# client as that uid (setpriv), with uids no account on a test machine
# uses.
UA=64101 UB=64102 UC=64103 UX=64199

# users_pool: skips unless the test can act as other uids with a python
# that has libnbd ($PY); then serve_setup and a pool whose volume vol has
# the paths $PA (host A, uid $UA, domain fast) and $PB (host B, uid $UB,
# domain backup, 1000 IOPS, ro); vol2 has none, host C ($UC) neither.
users_pool() {
	require setpriv
	require nbdinfo
	require nbdsh
	require qemu-img
	[ "$(id -u)" = 0 ] || skip "needs root to act as other uids (setpriv --reuid)"
	# a python with libnbd that other uids can run (not a per-user shim)
	PY=
	local py
	for py in /usr/bin/python3 "$(command -v python3)"; do
		setpriv --reuid $UX --regid $UX --clear-groups "$py" -c 'import nbd' 2>/dev/null &&
			PY=$py && break
	done
	[ -n "$PY" ] || skip "needs python3-libnbd runnable by other uids"
	serve_setup
	open_dirs "$D"
	mkpool 4 32M 2
	chmod 755 "$P"
	vctl -p "$P" create vol --size 8M -q
	vctl -p "$P" create vol2 --size 8M -q
	vctl -p "$P" host add A --uid $UA -q
	vctl -p "$P" host add B --uid $UB -q
	vctl -p "$P" host add C --uid $UC -q
	vctl -p "$P" domain create fast -q
	vctl -p "$P" domain create backup --max-iops 1000 -q
	PA=$(vctl -p "$P" path add A vol --domain fast)
	PB=$(vctl -p "$P" path add B vol --domain backup --access ro)
}

# The socket and the pool must be reachable by the other uids: every
# directory above the test's own, up to the temporary directory, becomes
# traversable (not readable). Skips if that is not enough.
open_dirs() {
	local d=$1 top=${TMPDIR:-/tmp}
	top=${top%/}
	while [ "$d" != / ] && [ "$d" != "$top" ] && [[ $d == "$top"/* ]]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
	# the run's own TMPDIR (tests/run-suites makes one, mode 0700)
	[[ $(basename "$top") != vctl-tests.* ]] || chmod o+x "$top"
	setpriv --reuid $UX --regid $UX --clear-groups test -x "$1" ||
		skip "$1 is not reachable by other uids"
}

as() {
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$u" --clear-groups "$@"
}
