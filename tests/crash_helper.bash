# Crash sweeps (crash-*.bats): the file defines base_pool DIR, which builds
# the pool every run starts from; sweep OP ARGS... runs `vctl OP ARGS` on a
# copy of it faulted at every write N, in every fault mode, and requires
# the pool to open, check to be clean and every volume to hold its before-
# or after-contents.

# name size checksum of every volume (but $TORN, a volume the operation
# overwrites in place: a crash may leave it torn, as any device would)
fingerprint() {
	local n s
	"$VCTL" -p "$1" --json list | jq -r '.volumes[] | "\(.name) \(.size)"' |
		while read -r n s; do
			[ "$n" != "${TORN:-}" ] || continue
			echo "$n $s $("$VCTL" -p "$1" read "$n" | cksum)"
		done
}

# sweep OP ARGS...: runs `vctl -p POOL OP ARGS...` faulted at every write.
sweep() {
	rm -rf "$D/base" "$D/after" "$D/count"
	base_pool "$D/base"
	local before after w n mode out
	before=$(fingerprint "$D/base")
	cp -a --sparse=always "$D/base" "$D/after"
	"$VCTL" -p "$D/after" "$@" -q
	after=$(fingerprint "$D/after")
	# (with $TORN excluded, or with $SAME set for an operation that moves
	# data without changing any volume's bytes, nothing may change)
	[ -n "${TORN:-}${SAME:-}" ] || [ "$before" != "$after" ] ||
		fail "$*: before and after look the same"
	cp -a --sparse=always "$D/base" "$D/count"
	VCTL_FAULT_COUNT=$D/writes "$VCTL" -p "$D/count" "$@" -q
	w=$(cat "$D/writes")
	# make check: about $POINTS (15) points per mode, spread over all W
	# writes (and the last), since tests/crash/sweep.c covers every N of
	# these operations in-process; here the vctl binary itself is faulted.
	# make check-long (VCTL_LONG=1): every one.
	local stride=1 points=${POINTS:-15}
	[ -n "${VCTL_LONG:-}" ] || stride=$(((w + points - 1) / points))
	for mode in stop eio eio+; do
		for n in $( (seq 1 "$stride" "$w"; echo "$w") | sort -un); do
			rm -rf "$D/pool"
			cp -a --sparse=always "$D/base" "$D/pool"
			ok=0
			VCTL_FAULT="${mode%+}@$n${mode#eio}" "$VCTL" -p "$D/pool" "$@" -q \
				>/dev/null 2>"$D/err" && ok=1
			out=$(fingerprint "$D/pool") || fail "$* ($mode@$n): the pool does not open"
			# success (a fault in the clean close after the work is
			# durable) means after; failure means before or after
			if [ $ok = 1 ]; then
				[ "$out" = "$after" ] || fail "$* ($mode@$n): succeeded but not after: $out"
			else
				[ "$out" = "$before" ] || [ "$out" = "$after" ] ||
					fail "$* ($mode@$n): neither before nor after: $out"
			fi
			out=$("$VCTL" -p "$D/pool" --json check 2>/dev/null) || true
			[ "$(jq .ok <<<"$out")" = true ] ||
				fail "$* ($mode@$n): check: $(jq -c .problems <<<"$out")"
		done
	done
	echo "# $*: $w writes swept in 3 modes$([ "$stride" = 1 ] || echo ", one N in $stride (VCTL_LONG=1: all)")" >&3
}
