#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# spdx.sh --check | --add [FILE...] — the SPDX license line of every source file.
#
# Which files: the tracked (git ls-files) C sources and headers, shell and Python
# scripts (by extension or by a shebang on line 1), make files (Makefile, *.mk) and
# the bash completion; or only the FILEs given.  Which tag (README.md, "License"):
# BPF programs and the headers they share with user space (bpf/*.bpf.c,
# include/tsn/bpf_*.h) are "GPL-2.0-only OR BSD-2-Clause", everything else
# "GPL-2.0-only".
#
#   --check  lists each file whose first 3 lines lack its tag (exit 1 if any);
#   --add    writes the tag where it is missing: line 1 of C files (`//` in BPF
#            programs, `/* */` elsewhere), line 2 after a shebang, else line 1.
#            A file with a different SPDX tag is reported, never rewritten.
set -euo pipefail

usage() {
	echo "usage: $0 --check|--add [FILE...]" >&2
	exit 2
}

(($# >= 1)) || usage
mode=$1
shift
[[ $mode == --check || $mode == --add ]] || usage

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# tag_for FILE: the license expression FILE must carry.
tag_for() {
	case $1 in
	bpf/*.bpf.c | include/tsn/bpf_*.h) echo "GPL-2.0-only OR BSD-2-Clause" ;;
	*) echo "GPL-2.0-only" ;;
	esac
}

# kind_of FILE: c, script (comments with #) or nothing for files that are not source.
kind_of() {
	case $1 in
	*.c | *.h) echo c ;;
	*.sh | *.py | *.mk | Makefile | */Makefile | *.bash-completion) echo script ;;
	*)
		local first=""
		[[ -f $1 ]] && IFS= read -r first <"$1" 2>/dev/null
		[[ $first == '#!'* ]] && echo script
		;;
	esac
	return 0
}

# spdx_of FILE: the license expression in FILE's first 3 lines ("" if none),
# without a closing "*/" and blanks.
spdx_of() {
	local lines line expr
	mapfile -n 3 -t lines <"$1"
	for line in "${lines[@]}"; do
		[[ $line == *SPDX-License-Identifier:* ]] || continue
		expr=${line#*SPDX-License-Identifier:}
		expr=${expr%%\*/*}
		expr=$(echo $expr)	# trim blanks
		echo "$expr"
		return
	done
}

if (($#)); then
	files=("$@")
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files)
else
	echo "spdx: not a git checkout: name the files to look at" >&2
	exit 2
fi

missing=0
for f in "${files[@]}"; do
	[[ -f $f ]] || continue
	kind=$(kind_of "$f")
	[[ -n $kind ]] || continue
	tag=$(tag_for "$f")
	have=$(spdx_of "$f")
	if [[ $have == "$tag" ]]; then
		continue
	fi
	if [[ -n $have ]]; then
		echo "$f: has SPDX tag \"$have\", expected \"$tag\""
		missing=$((missing + 1))
		continue
	fi
	if [[ $mode == --check ]]; then
		echo "$f: no \"SPDX-License-Identifier: $tag\" in its first 3 lines"
		missing=$((missing + 1))
		continue
	fi
	if [[ $kind == c ]]; then
		case $f in
		*.bpf.c) line="// SPDX-License-Identifier: $tag" ;;
		*) line="/* SPDX-License-Identifier: $tag */" ;;
		esac
	else
		line="# SPDX-License-Identifier: $tag"
	fi
	tmp=$(mktemp "$f.spdx.XXXXXX")
	first=""
	IFS= read -r first <"$f" || true
	if [[ $kind == script && $first == '#!'* ]]; then
		{ head -n 1 -- "$f"; echo "$line"; tail -n +2 -- "$f"; } >"$tmp"
	else
		{ echo "$line"; cat -- "$f"; } >"$tmp"
	fi
	chmod --reference="$f" "$tmp"
	mv -- "$tmp" "$f"
	echo "spdx: added to $f"
done

if [[ $mode == --check ]] && ((missing)); then
	echo "spdx: $missing file(s) without the right SPDX line (scripts/spdx.sh --add writes them)" >&2
	exit 1
fi
if ((missing)); then
	exit 1
fi
exit 0
