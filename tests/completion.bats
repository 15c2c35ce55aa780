#!/usr/bin/env bats
# completion/vctl.bash: sourced with the vctl under test first in PATH, then
# driven as bash drives it (COMP_WORDS, COMP_CWORD, a call of _vctl), and
# COMPREPLY compared with what must be offered.

load test_helper

setup() {
	PATH=$(dirname "$VCTL"):$PATH
	# (the helper's function vctl is not what completion runs)
	[ "$(type -P vctl)" = "$VCTL" ] || fail "vctl on PATH is $(type -P vctl), not $VCTL"
	# shellcheck source=../completion/vctl.bash
	source "$BATS_TEST_DIRNAME/../completion/vctl.bash"
	cd "$BATS_TEST_TMPDIR"
	unset VCTL_POOL
}

# complete WORD... : completes the last word of "vctl WORD...", as if the
# cursor were at its end, and leaves the sorted candidates in $reply, one
# per line.
complete_words() {
	COMP_WORDS=(vctl "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_vctl vctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	reply=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort)
}

# expect CANDIDATE... : $reply is exactly these.
expect() {
	local want
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	[ "$reply" = "$want" ] ||
		fail "$(printf 'vctl %s<TAB>\n--- expected\n%s\n--- offered\n%s' "${COMP_LINE#vctl }" "$want" "$reply")"
}

@test "the script registers _vctl for vctl" {
	run -0 complete -p vctl
	assert_output "complete -F _vctl vctl"
}

@test "first word: st -> stats status, statu -> status" {
	complete_words st
	expect stats status
	complete_words statu
	expect status
}

@test "first word: every first word of every command, once" {
	complete_words ""
	# shellcheck disable=SC2046
	expect $(vctl __complete commands | cut -d' ' -f1 | sort -u)
	local w
	for w in disk dump init create list ls; do
		grep -qxF -- "$w" <<<"$reply" || fail "does not offer '$w': $reply"
	done
	# no second word of a two-word command ("disk list" -> "list" is also
	# a command of its own, so the others are checked)
	for w in label mld volume map; do
		! grep -qxF -- "$w" <<<"$reply" || fail "offered the second word '$w': $reply"
	done
	local seconds
	seconds=$(vctl __complete commands | awk 'NF == 2 { print $2 }' | sort -u |
		grep -vxF -f <(vctl __complete commands | awk 'NF == 1 { print $1 }') || true)
	[ -n "$seconds" ] || fail "no second words found"
	for w in $seconds; do
		! grep -qxF -- "$w" <<<"$reply" || fail "offered the second word '$w': $reply"
	done
}

@test "second word: disk -> add fail list remove replace" {
	complete_words disk ""
	expect add fail list remove replace
}

@test "second word: dump -> label mld volume map tree" {
	complete_words dump ""
	expect label mld volume map tree
	complete_words dump m
	expect map mld
	complete_words dump v
	expect volume
}

@test "options: init --p -> --pseg-size" {
	complete_words init --p
	expect --pseg-size
}

@test "options of a two-word command come from the program" {
	complete_words dump mld --
	# shellcheck disable=SC2046
	expect $(vctl __complete options dump mld)
	[[ $reply == *--slot* ]] || fail "offered: $reply"
	complete_words disk list --j
	expect --json
}

@test "a command without arguments offers its options" {
	complete_words check ""
	# shellcheck disable=SC2046
	expect $(vctl __complete options check)
	complete_words list ""
	# shellcheck disable=SC2046
	expect $(vctl __complete options list)
}

@test "an alias completes as its command" {
	complete_words l
	expect level list ls
	complete_words ls --
	# shellcheck disable=SC2046
	expect $(vctl __complete options list)
	[[ $reply == *--json* ]] || fail "offered: $reply"
}

@test "global options before the command" {
	complete_words --p
	expect --pool
	complete_words --js
	expect --json
}

@test "-p and --pool complete directories only" {
	mkdir -p pools/a pools/b
	touch pools/file.img
	complete_words -p pools/
	expect pools/a pools/b
	complete_words --pool pools/
	expect pools/a pools/b
	# --pool=DIR arrives split at "=" (COMP_WORDBREAKS)
	complete_words --pool = pools/
	expect pools/a pools/b
}

@test "-p DIR before the command is skipped, and used" {
	complete_words -p "$BATS_TEST_TMPDIR" --json statu
	expect status
	complete_words -p "$BATS_TEST_TMPDIR" disk ""
	expect add fail list remove replace
	# DISK of dump label: the names in that pool directory
	mkdir p
	touch p/disk0.img p/disk1.img p/vctl.lock
	complete_words -p p dump label ""
	expect disk0.img disk1.img
	complete_words --pool = p dump label disk1
	expect disk1.img
	# and $VCTL_POOL when there is no -p
	VCTL_POOL=p complete_words dump label d
	expect disk0.img disk1.img
}

@test "an option's argument: choices from --help, nothing for numbers" {
	complete_words dump mld --slot ""
	expect 0 1
	complete_words init --pseg-size ""
	expect
	complete_words init --disks ""
	expect
	complete_words create vol --raid ""
	expect 0 1 5 10
	complete_words create vol --raid 1
	expect 1 10
	complete_words create vol --width ""
	expect
	complete_words resize vol --size ""
	expect
	complete_words read vol --offset ""
	expect
}

@test "an option's argument FILE|-: files" {
	mkdir out
	touch out/a.img out/b.img
	complete_words read vol -o out/
	expect out/a.img out/b.img
	complete_words read vol --output out/a
	expect out/a.img
}

@test "files otherwise" {
	mkdir imgs
	touch imgs/a.img imgs/b.img
	complete_words init imgs/
	expect imgs/a.img imgs/b.img
	complete_words init --force imgs/a
	expect imgs/a.img
	# the input FILE of write
	complete_words write vol imgs/
	expect imgs/a.img imgs/b.img
	complete_words write vol --offset 1M imgs/b
	expect imgs/b.img
}

@test "hosts, domains, paths and volumes by name where the commands take them" {
	"$VCTL" -p p init --disks 2 --disk-size 16M --pseg-size 256K -q
	"$VCTL" -p p create vol --size 1M -q
	"$VCTL" -p p create other --size 1M -q
	"$VCTL" -p p host add web --uid 1001 -q
	"$VCTL" -p p host add db --uid 1002 -q
	"$VCTL" -p p domain create slow -q
	"$VCTL" -p p path add web vol -q
	complete_words -p p path add ""
	expect db web
	complete_words -p p path add --access ro web ""
	expect other vol
	complete_words -p p path add web vol --domain ""
	expect slow
	complete_words -p p path add web vol --access ""
	expect ro rw
	complete_words -p p path remove ""
	expect 6
	complete_words -p p host remove w
	expect web
	complete_words -p p domain set ""
	expect slow
	complete_words -p p stats --volume o
	expect other
	complete_words -p p host add x --uid ""
	expect
}
