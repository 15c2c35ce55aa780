# Running `vctl serve` from a test: start_serve [OPTIONS] (it waits for the
# server's "serving" line), stop_serve (SIGTERM, its exit status in
# SERVE_STATUS), uri VOLUME. Needs P (the pool), D (a directory for the
# log) and SOCK (the socket).

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
