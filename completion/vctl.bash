# bash completion for vctl(8)                              -*- shell-script -*-
#
# This file knows no command and no option: it asks the program.
#   vctl __complete commands              every command name, one per line
#                                         ("disk list" included), and aliases
#   vctl __complete options WORD [WORD]   the long options of that command
#   vctl --help / vctl COMMAND --help     global options; which options take
#                                         an argument, and its name
# so a new command or option completes the day it is added (git's
# --git-completion-helper, nbdkit's --long-options).
#
# Completes: global options before the command; the command's first word;
# the second word of two-word commands (disk, dump); the command's long
# options; an option's argument when --help names it (DIR: directories,
# FILE or PATH, alone or as FILE|-: files, a|b: the choices, anything
# else: nothing); and
# positional arguments: files, plus the disk names of the pool for DISK.
# -p DIR / --pool DIR (or $VCTL_POOL) typed before the command is used.

# Runs the vctl being completed (the program, not a shell function or
# alias of that name), quietly.
_vctl_run()
{
	command "$_vctl_prog" "$@" 2>/dev/null
}

# The argument name of option $2 in `vctl $1 --help` ("" if it takes none).
# $1 is the command ("" for the global options); the option lines look like
#   "  -p, --pool DIR    the pool directory" or "      --slot 0|1   which ...".
_vctl_optarg()
{
	local cmd=$1 opt=$2 line
	# (an argument is a NAME, or a choice "0|1", "rw|ro")
	local re='^ +(-([a-zA-Z]), )?(--[a-z][a-z0-9-]*)( ([A-Z0-9][^ ]*|[a-z]+([|][a-z]+)+))?( |$)'
	local -a help
	# shellcheck disable=SC2086 # the command is one or two words
	mapfile -t help < <(_vctl_run $cmd --help)
	for line in "${help[@]}"; do
		[[ $line =~ $re ]] || continue
		if [[ ${BASH_REMATCH[3]} == "$opt" ||
			(-n ${BASH_REMATCH[2]} && -${BASH_REMATCH[2]} == "$opt") ]]; then
			printf '%s\n' "${BASH_REMATCH[5]}"
			return 0
		fi
	done
	return 0
}

# The positional argument names in the usage lines $2 of command $1: the
# words that are neither the command, nor an option, nor an option's
# argument, nor the OPTIONS placeholder ("[--disk INDEX --slot 0|1]": none;
# "[DISK]": DISK; "FILE[:enclosure=NAME]...": FILE).
_vctl_positionals()
{
	local cmd=$1 line w prev
	local -a ws
	while IFS= read -r line; do
		line=${line#"$cmd"}
		line=${line//[\[\]]/ }
		read -ra ws <<<"$line"
		prev=
		for w in "${ws[@]}"; do
			[[ $w == - || $w == "|" ]] && continue
			if [[ $w != -* && $prev != -* && $w != OPTIONS* ]]; then
				w=${w%%[:.]*}
				[[ -n $w ]] && printf '%s\n' "$w"
			fi
			prev=$w
		done
	done <<<"$2"
	return 0
}

# Files (or, with -d, directories) matching the current word.
_vctl_files()
{
	compopt -o filenames 2>/dev/null || : # fails outside a completion
	if [[ $1 == -d ]]; then
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur")
	else
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
	fi
	return 0
}

# Names (or, for paths, ids) of the pool's volumes, hosts, domains or
# paths: KIND is list, host, domain or path.
_vctl_names()
{
	local key=name
	[[ $1 == path ]] && key=id
	local -a cmd=("$1" list)
	[[ $1 == list ]] && cmd=(list)
	_vctl_run -p "$pool" --json "${cmd[@]}" |
		grep -oE "\"$key\": (\"[^\"]*\"|[0-9]+)" | sed -E 's/^[^:]*: "?//; s/"$//'
}

# Completes from _vctl_names KIND.
_vctl_complete_names()
{
	mapfile -t COMPREPLY < <(compgen -W "$(_vctl_names "$1")" -- "$cur")
}

_vctl()
{
	local cur prev
	local -a words
	local cword
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${words[cword]}
	prev=${words[cword - 1]}
	COMPREPLY=()

	local _vctl_prog=${words[0]}
	[[ $_vctl_prog == \~/* ]] && _vctl_prog=$HOME/${_vctl_prog#\~/}
	[[ -n $(type -P -- "$_vctl_prog") ]] || _vctl_prog=vctl

	# "--pool=DIR": bash splits at "=" (COMP_WORDBREAKS).
	if [[ $cur == = ]]; then
		prev=${words[cword - 1]}
		cur=
	elif [[ $prev == = && cword -ge 2 ]]; then
		prev=${words[cword - 2]}
	elif [[ $prev == = ]]; then
		prev=
	fi

	# Walk the words before the cursor: global options, then the command.
	local pool=${VCTL_POOL:-.} w1='' w2='' group=0 i=1 w wi=0
	local -a names
	mapfile -t names < <(_vctl_run __complete commands)
	while ((i < cword)); do
		w=${words[i]}
		if [[ -z $w1 ]]; then
			case $w in
			-p | --pool)
				# "--pool=DIR" arrives as "--pool" "=" "DIR"
				[[ ${words[i + 1]} == = ]] && ((i++))
				((i + 1 < cword)) && pool=${words[i + 1]}
				((i += 2))
				continue
				;;
			--pool=*) pool=${w#--pool=} ;; # when COMP_WORDBREAKS lacks "="
			-*) ;;
			*)
				w1=$w
				wi=$i
				local n
				for n in "${names[@]}"; do
					[[ $n == "$w1 "* ]] && group=1
				done
				;;
			esac
		elif ((group)) && [[ -z $w2 && $w != -* ]]; then
			w2=$w
			wi=$i
		fi
		((i++))
	done
	[[ $pool == \~/* ]] && pool=$HOME/${pool#\~/}

	# Before the command.
	if [[ -z $w1 ]]; then
		case $prev in
		-p | --pool)
			_vctl_files -d
			return 0
			;;
		esac
		if [[ $cur == -* ]]; then
			local opts
			opts=$(_vctl_run --help | sed -n '/^Global options:/,/^$/p' |
				grep -o -- '--[a-z][a-z-]*')
			mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		else
			local firsts
			firsts=$(printf '%s\n' "${names[@]}" | cut -d' ' -f1 | sort -u)
			mapfile -t COMPREPLY < <(compgen -W "$firsts" -- "$cur")
		fi
		return 0
	fi

	# The second word of a two-word command.
	if ((group)) && [[ -z $w2 && $cur != -* ]]; then
		local seconds='' n
		for n in "${names[@]}"; do
			[[ $n == "$w1 "* ]] && seconds+="${n#"$w1 "} "
		done
		mapfile -t COMPREPLY < <(compgen -W "$seconds" -- "$cur")
		return 0
	fi

	local cmd=$w1${w2:+ $w2}

	# Hosts, domains, paths and volumes by name, where these commands take
	# them (the n-th positional argument: words that are no option or
	# option argument).
	case "$cmd $prev" in
	"stats --volume") _vctl_complete_names list; return 0 ;;
	"stats --domain" | "path add --domain") _vctl_complete_names domain; return 0 ;;
	"stats --path") _vctl_complete_names path; return 0 ;;
	esac
	if [[ $cur != -* ]]; then
		local npos=0 j=$((wi + 1))
		while ((j < cword)); do
			case ${words[j - 1]} in
			--domain | --access | --uid | --gid | --max-iops | --max-mbps | --path | --volume | --count) ;;
			*) [[ ${words[j]} == -* ]] || npos=$((npos + 1)) ;;
			esac
			j=$((j + 1))
		done
		case "$cmd:$npos" in
		"host remove:0") _vctl_complete_names host; return 0 ;;
		"domain set:0" | "domain remove:0") _vctl_complete_names domain; return 0 ;;
		"path remove:0") _vctl_complete_names path; return 0 ;;
		"path add:0") _vctl_complete_names host; return 0 ;;
		"path add:1") _vctl_complete_names list; return 0 ;;
		esac
	fi

	# The argument of the command's option.
	if [[ $prev == -* ]]; then
		local arg
		arg=$(_vctl_optarg "$cmd" "$prev")
		if [[ -n $arg ]]; then
			case $arg in
			DIR) _vctl_files -d ;;
			FILE | PATH | FILE\|* | PATH\|*) _vctl_files ;; # "FILE|-": a file or stdout
			*"|"*) mapfile -t COMPREPLY < <(compgen -W "${arg//|/ }" -- "$cur") ;;
			esac
			return 0
		fi
	fi

	# What the usage says of positional arguments: none, DISK, or others.
	local usage args
	# shellcheck disable=SC2086 # the command is one or two words
	usage=$(_vctl_run $cmd --help | sed -n 's/^\(Usage:\|      \) vctl //p')
	args=$(_vctl_positionals "$cmd" "$usage")

	if [[ $cur == -* || -z $args ]]; then
		# shellcheck disable=SC2086 # the command is one or two words
		mapfile -t COMPREPLY < <(compgen -W "$(_vctl_run __complete options $cmd)" -- "$cur")
		return 0
	fi

	# A positional argument. A DISK is a name in the pool directory (or a
	# path); everything else is a file.
	if [[ " $args " == *" DISK "* && $cur != */* && -d $pool ]]; then
		local f disks=''
		for f in "$pool"/*; do
			f=${f##*/}
			[[ -e $pool/$f && $f != vctl.lock ]] && disks+="$f "
		done
		mapfile -t COMPREPLY < <(compgen -W "$disks" -- "$cur")
		return 0
	fi
	_vctl_files
	return 0
}

complete -F _vctl vctl
