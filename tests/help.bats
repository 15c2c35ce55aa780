#!/usr/bin/env bats
# The command line and its documentation agree (podman's 015-help.bats,
# git's t0450-txt-doc-vs-help.sh): every command's --help, its usage errors,
# its man page's SYNOPSIS and OPTIONS, and every page in man/.
#
# The commands come from the program (`vctl __complete commands`), so a new
# command is walked the day it is added; its page must exist by then.
#
# Man page conventions this file relies on (see the comment atop man/vctl.8):
# - SYNOPSIS: one .SY/.YS line per usage line of --help, word for word; it
#   is compared with the page as man(1) renders it, at a width where
#   nothing wraps.
# - OPTIONS: one .TP per option whose tag line is the option as --help
#   shows it ("\fB\-p\fR, \fB\-\-pool\fR \fIDIR\fR" for "-p, --pool DIR");
#   it is compared with the roff source, font escapes removed.

load test_helper

MANDIR=$BATS_TEST_DIRNAME/../man

setup() {
	# No command may reach the pool before it has checked its arguments:
	# a pool that does not exist turns such a bug into exit status 2.
	NOPOOL=$BATS_TEST_TMPDIR/no-such-pool
	cd "$BATS_TEST_TMPDIR"
}

# --- what the program says ---------------------------------------------------

# The command names `vctl --help` lists ("disk list" is one name). The list
# is "  NAME<two or more spaces>summary".
help_commands() {
	vctl --help | sed -n '/^Commands:/,/^$/p' | sed -nE 's/^  ([^ ].*[^ ]) {2,}.*/\1/p'
}

# Usage lines of `vctl WORDS... --help`: "vctl ..." each, as printed after
# "Usage: " and the indentation of the following lines.
usage_lines() {
	vctl "$@" --help | sed -n -e '1s/^Usage: //p' -e '2,/^$/{/^$/d;s/^       //p}'
}

# The left column of each option line of `vctl WORDS... --help`:
# "-p, --pool DIR", "--json". Option lines are "  -x, --long ARG  text" or
# "      --long ARG  text", the columns two or more spaces apart.
help_options() {
	vctl "$@" --help | sed -nE 's/^  ((-[a-zA-Z], |    )--[a-z][^ ]*( [^ ]+)?)  .*/\1/p' |
		sed -E 's/^ +//'
}

# Most positional arguments any usage line of command $1 takes ("any" if
# one ends in "..."): the words that are not the command, an option, an
# option's argument or the OPTIONS placeholder.
max_args() {
	local cmd=$1 line w prev n max=0 any=0
	local -a ws
	while IFS= read -r line; do
		line=${line#"vctl $cmd"}
		line=${line//[\[\]]/}
		read -ra ws <<<"$line"
		n=0 prev=
		for w in "${ws[@]}"; do
			if [[ $w != -* && $prev != -* && $w != OPTIONS && $w != "|" ]]; then
				n=$((n + 1))
				[[ $w == *... ]] && any=1
			fi
			prev=$w
		done
		((n > max)) && max=$n
	done < <(usage_lines $cmd)
	if ((any)); then echo any; else echo "$max"; fi
}

# The man page that documents a command: vctl-FIRSTWORD.8.
page_of() {
	echo "$MANDIR/vctl-${1%% *}.8"
}

# --- what the man pages say --------------------------------------------------

# Section $2 of page $1 as man(1) renders it, one line per paragraph line,
# leading blanks removed, empty lines dropped. LC_ALL=C: plain ASCII.
man_rendered() {
	MANWIDTH=1000 LC_ALL=C GROFF_NO_SGR=1 MAN_KEEP_FORMATTING= man -l "$1" 2>/dev/null |
		col -bx | awk -v s="$2" '/^[^ ]/ { on = ($0 == s); next } on' |
		sed -e 's/^ *//' -e '/^$/d'
}

# The roff source of section $2 of page $1 (.SH NAME ... up to the next .SH).
roff_section() {
	awk -v s="$2" '/^\.SH/ { t = $0; sub(/^\.SH */, "", t); gsub(/"/, "", t); on = (t == s); next } on' "$1"
}

# Roff to plain text, for tags: font escapes and \& go, \- and \~ become
# "-" and " ", a leading .B/.I/.BR... macro name and its quotes go.
roff_plain() {
	sed -E -e 's/^\.(B|I|BR|RB|IR|RI|BI|IB) +//' -e 's/"//g' \
		-e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\~/ /g'
}

# The tag line of every .TP in section $2 of page $1, as plain text.
tp_tags() {
	roff_section "$1" "$2" | awk 'tp { print; tp = 0; next } /^\.TP/ { tp = 1 }' | roff_plain
}

# --- global behaviour ----------------------------------------------------------

@test "vctl --help exits 0 and lists the commands" {
	run -0 --separate-stderr vctl --help
	assert_line --index 0 --regexp '^Usage: vctl '
	assert_line 'Commands:'
	assert_equal "$stderr" ""
	run -0 help_commands
	[ "${#lines[@]}" -ge 6 ] || fail "expected the command list, got: $output"
	# every command --help lists is one that completion offers
	local cmds
	cmds=$(vctl __complete commands)
	local c
	for c in "${lines[@]}"; do
		grep -qxF -- "$c" <<<"$cmds" || fail "'$c' is in --help but not in __complete commands"
	done
}

@test "vctl --version exits 0 and prints the version" {
	run -0 --separate-stderr vctl --version
	assert_output --regexp '^vctl [0-9]+\.[0-9]+(\.[0-9]+)?'
	assert_equal "${#lines[@]}" 1
	assert_equal "$stderr" ""
}

@test "vctl with no arguments exits 1 with the usage on stderr" {
	run -1 --separate-stderr vctl
	assert_output ""
	[[ $stderr == "Usage: vctl "* ]] || fail "stderr: $stderr"
}

@test "an unknown command exits 1 and suggests the closest one" {
	run -1 --separate-stderr vctl stauts
	assert_output ""
	assert_equal "$stderr" "vctl: 'stauts' is not a vctl command; did you mean 'status'?"

	run -1 --separate-stderr vctl disk lst
	assert_equal "$stderr" "vctl: 'disk lst' is not a vctl command; did you mean 'disk list'?"

	# nothing close: no suggestion, still one line
	run -1 --separate-stderr vctl xyzzy-plugh
	[[ $stderr == "vctl: "* && $stderr != *"did you mean"* ]] || fail "stderr: $stderr"
	[[ $stderr != *$'\n'* ]] || fail "not one line: $stderr"
}

@test "a command group alone exits 1 and lists its subcommands" {
	local groups g n checked=0
	groups=$(vctl __complete commands | awk 'NF == 2 { print $1 }' | sort -u)
	for g in $groups; do
		run -1 --separate-stderr vctl -p "$NOPOOL" "$g"
		assert_output ""
		[[ $stderr == "vctl $g: "* && $stderr != *$'\n'* ]] ||
			fail "vctl $g: expected one line 'vctl $g: ...', got: $stderr"
		for n in $(vctl __complete commands | awk -v g="$g" '$1 == g && NF == 2 { print $2 }'); do
			[[ " $stderr " == *[\ :]"$n"[\ ,]* ]] ||
				fail "vctl $g: does not list '$n': $stderr"
		done
		checked=$((checked + 1))
	done
	# "disk" and "dump" at least
	[ "$checked" -ge 2 ] || fail "only $checked groups found: $groups"
}

# --- every command -----------------------------------------------------------

@test "every command: --help exits 0 and starts with its usage" {
	local cmd
	while IFS= read -r cmd; do
		# shellcheck disable=SC2086 # one or two words
		run -0 --separate-stderr vctl -p "$NOPOOL" $cmd --help
		[[ ${lines[0]} == "Usage: vctl $cmd"* ]] ||
			fail "vctl $cmd --help: first line is not 'Usage: vctl $cmd...': ${lines[0]}"
		assert_equal "$stderr" ""
		assert_line 'Options:'
	done < <(help_commands)
}

@test "every command: an unknown option exits 1 with one line 'vctl CMD: ...'" {
	local cmd
	while IFS= read -r cmd; do
		# shellcheck disable=SC2086
		run -1 --separate-stderr vctl -p "$NOPOOL" $cmd --no-such-option
		assert_output ""
		[[ $stderr == "vctl $cmd: "* ]] || fail "vctl $cmd --no-such-option: $stderr"
		[[ $stderr == *--no-such-option* ]] || fail "does not name the option: $stderr"
		[[ $stderr != *$'\n'* ]] || fail "not one line: $stderr"
	done < <(help_commands)
}

@test "every command: one argument too many exits 1 with one line" {
	local cmd max checked=0 i
	local -a args
	while IFS= read -r cmd; do
		max=$(max_args "$cmd")
		[ "$max" = any ] && continue
		args=()
		for ((i = 1; i <= max + 1; i++)); do
			args+=("extra$i")
		done
		# shellcheck disable=SC2086
		run -1 --separate-stderr vctl -p "$NOPOOL" $cmd "${args[@]}"
		assert_output ""
		[[ $stderr == "vctl $cmd: "* && $stderr != *$'\n'* ]] ||
			fail "vctl $cmd ${args[*]}: expected one line 'vctl $cmd: ...', got: $stderr"
		[[ $stderr == *"extra$((max + 1))"* ]] ||
			fail "vctl $cmd: does not name the extra argument: $stderr"
		checked=$((checked + 1))
	done < <(help_commands)
	# every command but init takes a bounded number: status, disk list,
	# dump label/mld/volume/map, create, list, show, resize, rename,
	# delete, write, read, check
	[ "$checked" -ge 15 ] || fail "only $checked commands checked"
}

@test "every command's usage is its man page's SYNOPSIS, line for line" {
	require man
	require col
	local page want got
	# vctl(8) shows the global usage
	want=$(vctl --help | sed -n -e '1s/^Usage: //p' -e '2,/^$/{/^$/d;s/^       //p}')
	got=$(man_rendered "$MANDIR/vctl.8" SYNOPSIS)
	[ "$want" = "$got" ] || fail "$(printf 'vctl.8 SYNOPSIS differs from vctl --help:\n--- vctl --help\n%s\n--- vctl.8\n%s' "$want" "$got")"

	# each command page shows the usage of its commands, in table order
	local -A pages=()
	local cmd
	while IFS= read -r cmd; do
		page=$(page_of "$cmd")
		[ -e "$page" ] || fail "vctl $cmd: no man page ${page#"$MANDIR/"}"
		# shellcheck disable=SC2086
		pages[$page]+="$(usage_lines $cmd)"$'\n'
	done < <(help_commands)
	for page in "${!pages[@]}"; do
		want=${pages[$page]%$'\n'}
		got=$(man_rendered "$page" SYNOPSIS)
		[ "$want" = "$got" ] ||
			fail "$(printf '%s SYNOPSIS differs from --help:\n--- --help\n%s\n--- man page\n%s' \
				"${page#"$MANDIR/"}" "$want" "$got")"
	done
}

@test "every command's options are in its man page's OPTIONS" {
	local cmd page opt tags
	while IFS= read -r cmd; do
		page=$(page_of "$cmd")
		[ -e "$page" ] || fail "vctl $cmd: no man page ${page#"$MANDIR/"}"
		tags=$(tp_tags "$page" OPTIONS)
		# each long option completion offers is described ...
		# shellcheck disable=SC2086
		for opt in $(vctl __complete options $cmd); do
			grep -qE -- "(^|[ ,])$opt( |,|$)" <<<"$tags" ||
				fail "vctl $cmd $opt: not in the OPTIONS of ${page#"$MANDIR/"}"
		done
		# ... under the tag --help shows for it ("-p, --pool DIR")
		# shellcheck disable=SC2086
		while IFS= read -r opt; do
			grep -qxF -- "$opt" <<<"$tags" ||
				fail "$(printf 'vctl %s: no OPTIONS entry "%s" in %s; its tags are:\n%s' \
					"$cmd" "$opt" "${page#"$MANDIR/"}" "$tags")"
		done < <(help_options $cmd)
	done < <(help_commands)
}

@test "every option a man page describes exists" {
	local page cmd tag known
	for page in "$MANDIR"/vctl-*.8; do
		known=
		while IFS= read -r cmd; do
			# shellcheck disable=SC2086
			[ "$(page_of "$cmd")" = "$page" ] && known+="$(help_options $cmd)"$'\n'
		done < <(help_commands)
		while IFS= read -r tag; do
			[[ $tag == -* ]] || continue
			grep -qxF -- "$tag" <<<"$known" ||
				fail "${page#"$MANDIR/"}: OPTIONS describes '$tag', which no command of the page has"
		done < <(tp_tags "$page" OPTIONS)
	done
}

@test "vctl(8) describes the global options and every command" {
	local want got
	# global options: "-p, --pool DIR" ... as vctl --help lists them
	want=$(vctl --help | sed -n '/^Global options:/,/^$/p' |
		sed -nE 's/^  ((-[a-zA-Z], |    )--[a-z][^ ]*( [A-Z]+)?)  .*/\1/p' | sed -E 's/^ +//')
	[ -n "$want" ] || fail "no global options in vctl --help"
	got=$(tp_tags "$MANDIR/vctl.8" OPTIONS)
	assert_equal "$got" "$want"
	# COMMANDS: one entry per command, in the order of vctl --help
	got=$(tp_tags "$MANDIR/vctl.8" COMMANDS)
	assert_equal "$got" "$(help_commands)"
}

@test "every alias that __complete commands offers works" {
	local known name
	known=$(help_commands)
	while IFS= read -r name; do
		grep -qxF -- "$name" <<<"$known" && continue
		# an alias: it must run its command's --help
		run --separate-stderr vctl -p "$NOPOOL" "$name" --help
		[ "$status" -eq 0 ] || fail "vctl $name --help: exit $status: $stderr"
		[[ ${lines[0]} == "Usage: vctl "* ]] || fail "vctl $name --help: ${lines[0]}"
	done < <(vctl __complete commands)
}

# --- the man pages -------------------------------------------------------------

@test "man/ has a page for every command, and no other page" {
	local -A want=([vctl.8]=1 [vctl-format.5]=1)
	local cmd page
	while IFS= read -r cmd; do
		page=$(page_of "$cmd")
		want[${page##*/}]=1
	done < <(help_commands)
	for page in "${!want[@]}"; do
		[ -e "$MANDIR/$page" ] || fail "man/$page is missing"
	done
	for page in "$MANDIR"/*; do
		[ -n "${want[${page##*/}]:-}" ] || fail "man/${page##*/} documents no command"
	done
}

@test "every man page renders without warnings" {
	require man
	require groff
	local page out
	for page in "$MANDIR"/*.[1-8]; do
		out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		[ -z "$out" ] || fail "man --warnings -l ${page##*/}: $out"
		out=$(groff -t -man -ww -z "$page" 2>&1)
		[ -z "$out" ] || fail "groff -ww ${page##*/}: $out"
	done
}

@test "every man page's .TH and NAME match its file name" {
	local page name sect raw
	local -a th
	for page in "$MANDIR"/*.[1-8]; do
		name=${page##*/}
		sect=${name##*.}
		name=${name%.*}
		read -r -a th <<<"$(sed -n 's/^\.TH *//p' "$page" | roff_plain)"
		[ "${th[0]}" = "${name^^}" ] || fail "${page##*/}: .TH title '${th[0]}', expected '${name^^}'"
		[ "${th[1]}" = "$sect" ] || fail "${page##*/}: .TH section '${th[1]}', expected '$sect'"
		# "vctl\-init \- what it does", which whatis(1) and apropos(1) read
		raw="${name//-/\\-} \\- "
		roff_section "$page" NAME | grep -qF -- "$raw" ||
			fail "${page##*/}: the NAME line must start with '$raw'"
	done
}

@test "man pages write option dashes as \\-" {
	# Debian renders "-" and "\-" alike, but groff elsewhere makes "-" a
	# hyphen (U+2010), and then "--force" copied from the page fails.
	# Comment lines may say anything.
	local page bad=''
	for page in "$MANDIR"/*.[1-8]; do
		bad+=$(grep -nE '(^|[^\\A-Za-z0-9]|\\f[BIRP])--?[A-Za-z]' "$page" |
			grep -v '^[0-9]*:\.\\"' | sed "s|^|${page##*/}:|" || true)
	done
	[ -z "$bad" ] || fail "write \\- for these dashes:"$'\n'"$bad"
}
