#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_permissions.sh — who may use the control socket.  The socket's file mode keeps
# other users out at connect(); behind it, tsnd checks the peer's credentials:
# control.read-group may read, control.admin-group may also change state.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NOBODY=65534

# make_group VAR: a temporary group (removed when the test ends); VAR gets its gid.
make_group() {
	local name="tsnt$$$1" gid
	groupdel "$name" >/dev/null 2>&1 || true
	groupadd "$name" || it_fail "groupadd $name failed"
	lab_on_cleanup groupdel "$name"
	gid=$(getent group "$name" | cut -d: -f3)
	[[ -n $gid ]] || it_fail "group $name has no gid"
	printf -v "$2" '%s' "$gid"
	printf -v "$3" '%s' "$name"
}

# A copy of tsnctl that an unprivileged user can run wherever the repository is.
unprivileged_tsnctl() {
	install -m 0755 "$TSNCTL" "$IT_DIR/tsnctl"
	TSNCTL=$IT_DIR/tsnctl
}

test_socket_mode_refuses_others() {
	local conf=$IT_DIR/mode.yaml
	it_config "$conf" mode=0660
	it_start_tsnd "$conf"
	unprivileged_tsnctl
	expect_exit 4 tsnctl_as $NOBODY $NOBODY "" status
	expect_match "$ERR" '[Pp]ermission denied' "stderr says permission denied"
	expect_exit 4 tsnctl_as $NOBODY $NOBODY "" config reload
	expect_exit 0 tsnctl_sw status
}

test_read_group_reads_only() {
	local conf=$IT_DIR/groups.yaml rgid rname agid aname
	make_group r rgid rname
	make_group a agid aname
	it_config "$conf" mode=0666 read="$rname" admin="$aname"
	it_start_tsnd "$conf"
	unprivileged_tsnctl
	expect_eq "$(stat -c %a "$IT_SOCK")" 666 "socket mode"

	# Not in either group: the socket lets it connect, tsnd refuses the command.
	expect_exit 4 tsnctl_as $NOBODY $NOBODY "" status
	expect_match "$ERR" "refused status: uid $NOBODY is not root and not a member" "refusal for a non-member"

	# read-group as a supplementary group: may read, may not reload.
	expect_exit 0 tsnctl_as $NOBODY $NOBODY "$rgid" status
	expect_exit 0 tsnctl_as $NOBODY $NOBODY "$rgid" -j port show
	expect_exit 0 tsnctl_as $NOBODY $NOBODY "$rgid" config show
	expect_exit 4 tsnctl_as $NOBODY $NOBODY "$rgid" config reload
	expect_match "$ERR" 'refused config reload: .*control\.admin-group' "reload refused for a reader"
	# read-group as the primary group counts as well.
	expect_exit 0 tsnctl_as $NOBODY "$rgid" "" status
	expect_exit 4 tsnctl_as $NOBODY "$rgid" "" config reload

	# admin-group may reload.
	expect_exit 0 tsnctl_as $NOBODY $NOBODY "$agid" config reload
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.generation == 2' "generation after the admin's reload"
	expect_match "$(cat "$IT_LOG")" "uid $NOBODY .*config\.reload: ok" "the admin's reload is audited"
}

# With a read-group and the default mode 0660, the socket belongs to that group:
# members connect, others do not even get that far.
test_read_group_owns_socket() {
	local conf=$IT_DIR/owner.yaml rgid rname
	make_group o rgid rname
	it_config "$conf" mode=0660 read="$rname"
	it_start_tsnd "$conf"
	unprivileged_tsnctl
	expect_eq "$(stat -c '%a %g' "$IT_SOCK")" "660 $rgid" "socket mode and group"
	expect_exit 0 tsnctl_as $NOBODY $NOBODY "$rgid" status
	expect_exit 4 tsnctl_as $NOBODY $NOBODY "" status
}

# hold_connections VAR UID N COMMAND: ctl_hold.py as UID (no groups) holding N
# connections, each sending COMMAND every 0.3 s (control.timeout is 1 s); VAR gets
# the file where it says how many it holds.  Returns once a round was answered.
hold_connections() {
	local var=$1 uid=$2 n=$3 command=$4 dir=$IT_DIR/hold-$2 pid
	mkdir -p "$dir"
	chmod 0777 "$dir"
	install -m 0755 "$IT_REPO/tests/tools/ctl_hold.py" "$dir/ctl_hold.py"
	lab_spawn pid "$IT_NS" setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		/usr/bin/python3 "$dir/ctl_hold.py" "$IT_SOCK" "$n" "$command" 0.3 "$dir/held" \
		>>"$IT_LOG" 2>&1
	lab_wait_until 20 test -s "$dir/held" || it_fail "ctl_hold.py as uid $uid never reported"
	printf -v "$var" '%s' "$dir/held"
}

# A uid with no rights holds connections with refused requests (issue 16): it gets
# at most half of max-clients, and root and the admin group still get in, every
# time, even when two such uids fill every slot.
test_root_never_locked_out() {
	local conf=$IT_DIR/lockout.yaml agid aname held1 held2
	make_group l agid aname
	it_config "$conf" mode=0666 admin="$aname" clients=8 timeout=1s
	it_start_tsnd "$conf"
	unprivileged_tsnctl
	hold_connections held1 65533 8 config.reload
	expect_match "$(cat "$held1")" '^held 4$' "an unprivileged uid holds half of max-clients"
	hold_connections held2 65532 8 config.reload
	for i in 1 2 3 4 5; do
		expect_exit 0 tsnctl_sw status
		expect_exit 0 tsnctl_as $NOBODY $NOBODY "$agid" status
	done
	expect_exit 0 tsnctl_as $NOBODY $NOBODY "$agid" config reload
	# The holders are refused, not served: they never reloaded.
	expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.config.generation == 2' "only the admin's reload ran"
}

# Every slot taken by clients that are served: a newcomer gets busy, and tsnctl
# says so with exit status 1 (tsnctl(8)), not as a protocol error.
test_busy_is_exit_1() {
	local conf=$IT_DIR/busy.yaml held
	it_config "$conf" mode=0666 clients=2 timeout=1s
	it_start_tsnd "$conf"
	hold_connections held 0 2 hello
	expect_match "$(cat "$held")" '^held 2$' "root's holder has both slots"
	expect_exit 1 tsnctl_sw status
	expect_match "$ERR" 'busy' "tsnctl says tsnd is busy"
	expect_no_match "$ERR" 'id 0' "not reported as a protocol error"
}

it_main socket_mode_refuses_others read_group_reads_only read_group_owns_socket root_never_locked_out \
	busy_is_exit_1
