#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_deb.sh — the Debian package (make deb, dist/debian/): it builds; lintian
# finds no error in it; it holds the binaries, man pages, unit, completion and
# example configurations where Debian wants them, /etc/tsnd/tsnd.yaml as a
# conffile, and depends on libmicrohttpd; installed with dpkg -i on this machine,
# `tsnd --check /etc/tsnd/tsnd.yaml` passes and the installed tsnd runs the test
# switch and answers the installed tsnctl; dpkg --purge removes it all.  The
# package is purged when the script ends, also on failure.  A tsnd package that
# was installed before the test is left alone (the install tests then fail).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION=$(sed -n 's/^VERSION *?= *//p' "$IT_REPO/Makefile")
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)

# The package: built once by test_builds, into this script's temp directory.
deb_dir() { echo "$IT_DIR/deb"; }
deb_file() { echo "$(deb_dir)/tsnd_${VERSION}_${ARCH}.deb"; }

need_deb() {
	[[ -f $(deb_file) ]] || it_fail "no package $(deb_file) (test builds failed)"
}

test_builds() {
	# The package's unit tests are the ones make check runs; here only the package.
	it_run env DEB_BUILD_OPTIONS=nocheck make -C "$IT_REPO" deb DEB_DIR="$(deb_dir)"
	cat "$IT_DIR/.out" "$IT_DIR/.err" >"$IT_DIR/deb-build.log"
	((RC == 0)) || it_fail "make deb exited $RC: $(it_tail "$IT_DIR/deb-build.log" 8)"
	[[ -f $(deb_file) ]] || it_fail "make deb made no $(deb_file)"
	expect_eq "$(dpkg-deb -f "$(deb_file)" Version)" "$VERSION" "the package's version (the Makefile's VERSION)"
}

test_lintian() {
	need_deb
	command -v lintian >/dev/null || it_fail "lintian is not installed (scripts/install-deps.sh)"
	# Root is what the suite runs as; lintian only warns about it.
	it_run lintian --fail-on error --display-level '>=warning' "$(deb_dir)/tsnd_${VERSION}_${ARCH}.changes"
	printf '%s\n%s\n' "$OUT" "$ERR" >"$IT_DIR/lintian.log"
	((RC == 0)) || it_fail "lintian exited $RC: $(grep '^E:' "$IT_DIR/lintian.log" | head -n 5 | tr '\n' '|')"
	expect_no_match "$OUT" '^E: ' "lintian errors"
}

test_contents() {
	need_deb
	local list f
	list=$(dpkg-deb -c "$(deb_file)" | awk '{ print $6 }' | sed 's|^\./|/|')
	for f in /usr/sbin/tsnd /usr/bin/tsnctl /usr/share/man/man8/tsnd.8.gz /usr/share/man/man8/tsnctl.8.gz \
		/usr/share/man/man5/tsnd.yaml.5.gz /lib/systemd/system/tsnd.service \
		/usr/share/bash-completion/completions/tsnctl /usr/share/tsnd/examples/tsnd.yaml \
		/usr/share/tsnd/examples/demo.yaml /etc/tsnd/tsnd.yaml /usr/share/doc/tsnd/copyright; do
		grep -qxF "$f" <<<"$list" || it_fail "the package lacks $f"
	done
	# The BPF programs are inside tsnd (skeletons): no loose objects.
	expect_no_match "$list" '\.bpf\.o$' "BPF objects shipped"
	expect_eq "$(dpkg-deb --ctrl-tarfile "$(deb_file)" | tar -xO ./conffiles)" "/etc/tsnd/tsnd.yaml" "conffiles"
	expect_match "$(dpkg-deb -f "$(deb_file)" Depends)" '(^|, )libmicrohttpd12( |,|$)' "Depends names libmicrohttpd"
	# The unit runs the installed binary with the installed configuration.
	expect_match "$(dpkg-deb --fsys-tarfile "$(deb_file)" | tar -xO ./lib/systemd/system/tsnd.service)" \
		'^ExecStart=/usr/sbin/tsnd -f -c /etc/tsnd/tsnd.yaml$' "the unit's ExecStart"
}

test_install() {
	need_deb
	local status
	status=$(dpkg-query -W -f='${db:Status-Status}' tsnd 2>/dev/null || true)
	[[ -z $status || $status == not-installed || $status == config-files ]] ||
		it_fail "a tsnd package is already installed here ($status); the test does not touch it"
	# Purged even if a check below fails (the script's own cleanup purges too).
	lab_on_cleanup dpkg --purge tsnd
	it_run dpkg -i "$(deb_file)"
	((RC == 0)) || it_fail "dpkg -i exited $RC: ${ERR:0:400}"
	expect_eq "$(dpkg-query -W -f='${db:Status-Status}' tsnd)" installed "dpkg status"
	# The installed tsnd checks the installed configuration.
	expect_exit 0 /usr/sbin/tsnd --check /etc/tsnd/tsnd.yaml
	expect_exit 0 man -l /usr/share/man/man8/tsnctl.8.gz
	# The installed tsnd runs the test switch and answers the installed tsnctl.
	local conf=$IT_DIR/installed.yaml
	it_config "$conf" xdp=off
	TSND=/usr/sbin/tsnd TSNCTL=/usr/bin/tsnctl it_start_tsnd "$conf"
	TSNCTL=/usr/bin/tsnctl expect_exit 0 tsnctl_sw -j status
	expect_json "$OUT" '.daemon.version == "'"$VERSION"'" and .config.generation == 1' "status of the installed tsnd"
	# Purge: binaries and the conffile gone.
	kill -TERM "$TSND_PID"
	lab_wait_until 10 eval '! lab_pid_alive '"$TSND_PID" || it_fail "the installed tsnd did not stop"
	expect_exit 0 dpkg --purge tsnd
	[[ ! -e /usr/sbin/tsnd && ! -e /usr/bin/tsnctl && ! -e /etc/tsnd/tsnd.yaml ]] ||
		it_fail "dpkg --purge left files behind: $(ls -d /usr/sbin/tsnd /usr/bin/tsnctl /etc/tsnd/tsnd.yaml 2>&1 | tr '\n' ' ')"
}

it_main builds lintian contents install
