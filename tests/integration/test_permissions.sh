#!/usr/bin/env bash
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

it_main socket_mode_refuses_others read_group_reads_only read_group_owns_socket
