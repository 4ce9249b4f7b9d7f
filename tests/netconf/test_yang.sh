#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_yang.sh — tsnd's YANG module (netconf/yang/) and the translation of
# configurations to and from its RFC 7951 JSON, with libyang's yanglint as the judge:
#   - the committed module is what the generator writes from today's schema;
#   - yanglint accepts the module without a warning;
#   - every shipped and test config: YAML -> tsnd JSON -> YANG JSON -> yanglint
#     validates -> back -> tsnd's normalized form equals the original's;
#   - the YANG JSON of tests/configs/valid/full.yaml equals its golden file;
#   - bad YANG data is refused with the YANG node's path.
# Needs build/tsn-yang (make) and yanglint (libyang2-tools).  Prints PASS/FAIL lines.
set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "$REPO" && realpath -m "${TSN_BUILD:-build}")
TY=$BUILD/tsn-yang
YANG_DIR=$REPO/netconf/yang
MODULE=$(ls "$YANG_DIR"/tsnd@*.yang)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILED=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; FAILED=1; }

for tool in "$TY" yanglint; do
	command -v "$tool" >/dev/null || { echo "FAIL setup: missing $tool (make; scripts/install-deps.sh)"; exit 1; }
done

# yanglint as a config validator: prints libyang's JSON of DATA.
lint_config() {
	yanglint -f json -t config -p "$YANG_DIR" "$MODULE" "$1"
}

t_module_fresh() {
	"$TY" module "$TMP/module.yang" || { fail module_fresh "tsn-yang module failed"; return; }
	if cmp -s "$TMP/module.yang" "$MODULE"; then
		pass module_fresh
	else
		fail module_fresh "$MODULE is stale: run make yang ($(diff "$MODULE" "$TMP/module.yang" | head -n 4 | tr '\n' '|'))"
	fi
}

t_module_strict() {
	local err
	if ! err=$(yanglint -p "$YANG_DIR" "$MODULE" 2>&1 >/dev/null) || [[ -n $err ]]; then
		fail module_strict "yanglint: ${err:0:400}"
		return
	fi
	pass module_strict
}

t_round_trip() {
	local f b n=0
	for f in "$REPO"/configs/*.yaml "$REPO"/tests/configs/valid/*.yaml; do
		b=$(basename "$f" .yaml)
		"$TY" normalize "$f" >"$TMP/$b.tsnd.json" 2>"$TMP/err" ||
			{ fail round_trip "$f does not load: $(head -c 300 "$TMP/err")"; return; }
		"$TY" to-yang "$f" >"$TMP/$b.yang.json" 2>"$TMP/err" ||
			{ fail round_trip "$f: to-yang: $(head -c 300 "$TMP/err")"; return; }
		lint_config "$TMP/$b.yang.json" >"$TMP/$b.lint.json" 2>"$TMP/err" ||
			{ fail round_trip "$f: yanglint refuses the YANG JSON: $(head -c 400 "$TMP/err")"; return; }
		"$TY" from-yang "$TMP/$b.lint.json" >"$TMP/$b.back.json" 2>"$TMP/err" ||
			{ fail round_trip "$f: from-yang: $(head -c 300 "$TMP/err")"; return; }
		"$TY" normalize "$TMP/$b.back.json" >"$TMP/$b.back.tsnd.json" 2>"$TMP/err" ||
			{ fail round_trip "$f: tsnd refuses the translated config: $(head -c 300 "$TMP/err")"; return; }
		cmp -s "$TMP/$b.tsnd.json" "$TMP/$b.back.tsnd.json" ||
			{ fail round_trip "$f: differs after the round trip: $(diff "$TMP/$b.tsnd.json" "$TMP/$b.back.tsnd.json" | head -n 6 | tr '\n' '|')"; return; }
		n=$((n + 1))
	done
	((n >= 5)) || { fail round_trip "only $n configs found"; return; }
	pass round_trip
}

t_golden() {
	local g=$REPO/tests/netconf/golden/full.yang.json
	"$TY" to-yang "$REPO/tests/configs/valid/full.yaml" >"$TMP/full.json" || { fail golden "to-yang failed"; return; }
	if cmp -s "$TMP/full.json" "$g"; then
		pass golden
	else
		fail golden "YANG JSON of full.yaml differs from $g: $(diff "$g" "$TMP/full.json" | head -n 6 | tr '\n' '|')"
	fi
}

# bad NAME JQ-EDIT PATH-REGEX MSG-REGEX: edit the golden YANG JSON with jq; from-yang
# must refuse it naming the YANG path.
bad() {
	local name=$1 edit=$2 path=$3 msg=$4 out
	jq "$edit" "$REPO/tests/netconf/golden/full.yang.json" >"$TMP/bad-$name.json"
	if out=$("$TY" from-yang "$TMP/bad-$name.json" 2>&1); then
		fail "refuse_$name" "accepted"
		return
	fi
	grep -Eq -- "$path" <<<"$out" || { fail "refuse_$name" "path /$path/ not in: ${out:0:300}"; return; }
	grep -Eq -- "$msg" <<<"$out" || { fail "refuse_$name" "message /$msg/ not in: ${out:0:300}"; return; }
	pass "refuse_$name"
}

t_mapping_doc() {
	local doc=$REPO/docs/netconf.md
	"$TY" mapping >"$TMP/mapping.md"
	sed -n '/<!-- ieee-mapping:begin -->/,/<!-- ieee-mapping:end -->/p' "$doc" | sed '1d;$d' >"$TMP/doc-mapping.md"
	if cmp -s "$TMP/mapping.md" "$TMP/doc-mapping.md"; then
		pass mapping_doc
	else
		fail mapping_doc "the IEEE mapping table in docs/netconf.md is stale (tsn-yang mapping prints the current one)"
	fi
}

P="/tsnd:tsnd/ports\\[name='sw0p1'\\]/gate-parameter-table"
t_module_fresh
t_module_strict
t_round_trip
t_golden
t_mapping_doc
bad unknown_node '."tsnd:tsnd".ports[0].colour = 1' "/tsnd:tsnd/ports\\[name='sw0p1'\\]/colour" "unknown node"
bad entry_hole '."tsnd:tsnd".ports[0]."gate-parameter-table"."admin-control-list"."gate-control-entry"[1].index = 5' \
	"$P/admin-control-list/gate-control-entry\\[index='5'\\]" "index 1 is missing"
bad entry_twice '."tsnd:tsnd".ports[0]."gate-parameter-table"."admin-control-list"."gate-control-entry"[1].index = 0' \
	"$P/admin-control-list/gate-control-entry\\[index='0'\\]" "given twice"
bad yaml_op_name '."tsnd:tsnd".ports[0]."gate-parameter-table"."admin-control-list"."gate-control-entry"[0]."operation-name" = "set-gates"' \
	"gate-control-entry\\[index='0'\\]/operation-name" "not a value of operation-name"
bad cycle_fraction '."tsnd:tsnd".ports[0]."gate-parameter-table"."admin-cycle-time" = {"numerator": 1, "denominator": 3}' \
	"$P/admin-cycle-time" "not a whole number of nanoseconds"
bad cycle_zero_den '."tsnd:tsnd".ports[0]."gate-parameter-table"."admin-cycle-time".denominator = 0' \
	"$P/admin-cycle-time" "denominator"
bad base_time_ns '."tsnd:tsnd".ports[0]."gate-parameter-table"."admin-base-time".nanoseconds = 1000000000' \
	"$P/admin-base-time" "nanoseconds"
bad map_hole '."tsnd:tsnd".ports[0]."gate-parameter-table".map |= map(select(.priority != 3))' \
	"$P/map\\[priority='4'\\]" "priority 3 is missing"
bad top_level '.["ietf-interfaces:interfaces"] = {}' "^.*/ietf-interfaces:interfaces" "unknown top-level node"
bad uint64_text '."tsnd:tsnd"."flow-meters"[0]."committed-information-rate" = "10M"' \
	"/tsnd:tsnd/flow-meters\\[name='robot-arm'\\]/committed-information-rate" "not an unsigned number"
exit "$FAILED"
