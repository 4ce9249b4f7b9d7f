#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_spdx.sh — scripts/spdx.sh on a scratch git repository: --check names each
# source file without its SPDX line and fails; --add writes the right line in the
# right place (line 1 of C files, `//` in BPF programs, the dual tag for bpf/ and
# include/tsn/bpf_*.h, after a shebang, line 1 of make files and the completion),
# leaves other files and a file with a foreign tag alone, and keeps modes; then
# --check passes but for the foreign tag.  Needs no root; prints PASS/FAIL lines.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCRATCH=$(mktemp -d /tmp/tsn-spdx.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
FAILED=0

pass() { echo "PASS $1"; }
fail() {
	echo "FAIL $1: $2"
	FAILED=1
}

# The scratch tree: scripts/spdx.sh and one file of each kind, tracked by git.
setup() {
	cd "$SCRATCH" || exit 1
	git init -q .
	mkdir -p scripts bpf include/tsn lib dist tests docs
	cp "$REPO/scripts/spdx.sh" scripts/
	printf '/* a.c */\nint a;\n' >lib/a.c
	printf '#ifndef A_H\n#define A_H\n#endif\n' >lib/a.h
	printf '/* prog */\nchar LICENSE[] = "Dual BSD/GPL";\n' >bpf/x.bpf.c
	printf '/* shared */\n' >include/tsn/bpf_x.h
	printf '/* not shared with BPF */\n' >include/tsn/other.h
	printf '#!/usr/bin/env bash\necho hi\n' >tests/t.sh
	chmod 0755 tests/t.sh
	printf '#!/bin/sh\necho init\n' >tests/init
	chmod 0755 tests/init
	printf 'all:\n\ttrue\n' >Makefile
	printf 'x := 1\n' >dist/f.mk
	printf 'complete -F _x x\n' >dist/x.bash-completion
	printf 'print(1)\n' >tests/p.py
	printf '# doc\n' >docs/d.md
	printf '/* SPDX-License-Identifier: MIT */\nint m;\n' >lib/m.c
	git add -A
}

test_check_lists_missing() {
	local out rc=0 f
	out=$(scripts/spdx.sh --check 2>&1) || rc=$?
	((rc == 1)) || { fail check_lists_missing "exit $rc, expected 1"; return; }
	for f in lib/a.c lib/a.h bpf/x.bpf.c include/tsn/bpf_x.h include/tsn/other.h tests/t.sh tests/init \
		Makefile dist/f.mk dist/x.bash-completion tests/p.py; do
		grep -q "^$f: " <<<"$out" || { fail check_lists_missing "$f not listed: $out"; return; }
	done
	grep -q '^docs/d.md' <<<"$out" && { fail check_lists_missing "docs/d.md listed"; return; }
	grep -q '^scripts/spdx.sh' <<<"$out" && { fail check_lists_missing "spdx.sh (has its line) listed"; return; }
	grep -q '^bpf/x.bpf.c: no "SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause"' <<<"$out" ||
		{ fail check_lists_missing "bpf program not asked for the dual tag: $out"; return; }
	grep -q '^lib/m.c: has SPDX tag "MIT", expected "GPL-2.0-only"' <<<"$out" ||
		{ fail check_lists_missing "foreign tag not named: $out"; return; }
	pass check_lists_missing
}

# first_lines FILE N: FILE's first N lines, joined by |.
first_lines() { head -n "$2" "$1" | paste -sd'|'; }

test_add_writes_lines() {
	local rc=0 want got f
	scripts/spdx.sh --add >/dev/null 2>&1 || rc=$?
	((rc == 1)) || { fail add_writes_lines "exit $rc, expected 1 (the foreign tag stays)"; return; }
	local -A expect=(
		[lib/a.c]='/* SPDX-License-Identifier: GPL-2.0-only */|/* a.c */'
		[lib/a.h]='/* SPDX-License-Identifier: GPL-2.0-only */|#ifndef A_H'
		[bpf/x.bpf.c]='// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause|/* prog */'
		[include/tsn/bpf_x.h]='/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */|/* shared */'
		[include/tsn/other.h]='/* SPDX-License-Identifier: GPL-2.0-only */|/* not shared with BPF */'
		[tests/t.sh]='#!/usr/bin/env bash|# SPDX-License-Identifier: GPL-2.0-only|echo hi'
		[tests/init]='#!/bin/sh|# SPDX-License-Identifier: GPL-2.0-only|echo init'
		[Makefile]='# SPDX-License-Identifier: GPL-2.0-only|all:'
		[dist/f.mk]='# SPDX-License-Identifier: GPL-2.0-only|x := 1'
		[dist/x.bash-completion]='# SPDX-License-Identifier: GPL-2.0-only|complete -F _x x'
		[tests/p.py]='# SPDX-License-Identifier: GPL-2.0-only|print(1)'
		[docs/d.md]='# doc'
		[lib/m.c]='/* SPDX-License-Identifier: MIT */|int m;'
	)
	for f in "${!expect[@]}"; do
		want=${expect[$f]}
		got=$(first_lines "$f" "$(awk -F'|' '{ print NF }' <<<"$want")")
		[[ $got == "$want" ]] || { fail add_writes_lines "$f starts '$got', expected '$want'"; return; }
	done
	[[ $(stat -c %a tests/t.sh) == 755 ]] || { fail add_writes_lines "tests/t.sh lost its mode"; return; }
	pass add_writes_lines
}

test_check_after_add() {
	local out rc=0
	out=$(scripts/spdx.sh --check 2>&1) || rc=$?
	((rc == 1)) || { fail check_after_add "exit $rc, expected 1 (lib/m.c)"; return; }
	[[ $(grep -vc '^spdx:' <<<"$out") == 1 ]] && grep -q '^lib/m.c: ' <<<"$out" ||
		{ fail check_after_add "expected only lib/m.c: $out"; return; }
	git rm -q --cached lib/m.c
	scripts/spdx.sh --check >/dev/null 2>&1 || { fail check_after_add "--check fails on a clean tree"; return; }
	# A second --add changes nothing.
	local before after
	before=$(git ls-files -s | git hash-object --stdin; cat lib/a.c tests/t.sh | md5sum)
	scripts/spdx.sh --add >/dev/null 2>&1
	after=$(git ls-files -s | git hash-object --stdin; cat lib/a.c tests/t.sh | md5sum)
	[[ $before == "$after" ]] || { fail check_after_add "a second --add changed files"; return; }
	pass check_after_add
}

setup
test_check_lists_missing
test_add_writes_lines
test_check_after_add
exit "$FAILED"
