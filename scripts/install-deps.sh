#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# install-deps.sh — install what building, testing and the demo lab need on
# Debian 12, and mount bpffs.  Idempotent: installs only packages that are
# missing, runs `apt-get update` only when something is, and is quiet when
# there is nothing to do.  `make deps` (and so `make test`, `make demo`) runs it.
set -euo pipefail

# Every package the project needs, with why, so that a missing one is easy to place.
PACKAGES=(
	build-essential make gcc pkg-config	# building tsnd and tsnctl
	clang llvm bpftool libbpf-dev		# BPF objects and their skeletons
	libnl-3-dev libnl-route-3-dev		# rtnetlink (ports, taprio)
	libjson-c-dev libyaml-dev libcap-dev	# control protocol, config, privileges
	libmicrohttpd-dev			# tsnd's /metrics listener
	debhelper lintian fakeroot		# make deb and its test (tests/integration/test_deb.sh)
	libcunit1-dev libclang-rt-14-dev	# unit tests; clang's sanitizer runtimes
	libz3-dev				# tsncnc's exact planning mode (Z3)
	valgrind				# leak checks in the test suite
	iproute2 iputils-ping procps util-linux	# lab: ip netns, ping, sysctl, setpriv
	passwd jq socat				# tests: groupadd, JSON checks, raw socket talk
	linuxptp				# ptp4l/phc2sys, supervised by tsnd
	bash-completion man-db groff-base	# tsnctl completion, man page checks
	qemu-system-x86 cpio busybox-static	# kernel lab: Debian's kernel under QEMU/TCG (tests/kernel-lab)
	xz-utils zstd kmod			# kernel lab: unpack the kernel package's modules
	isochron gnuplot-nox			# make lab-latency: latency runs and their plots
	ethtool					# kernel lab: cnc_line.sh, veth VLAN transmit offload off
	libnetconf2-dev libyang2-dev libssh-dev	# tsn-netconfd (NETCONF over SSH, YANG)
	libyuma-base openssh-client		# tsn-netconfd: IETF NETCONF YANG modules; test keys
	libyang2-tools python3-ncclient		# tests: yanglint, a NETCONF client
)

die() {
	echo "install-deps: $*" >&2
	exit 1
}

if [[ $(id -u) -ne 0 ]]; then
	die "must run as root (it installs packages with apt-get and mounts bpffs); try: sudo $0"
fi
if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
	die "needs a Debian-based system with apt-get and dpkg-query (Debian 12 is supported)"
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$pkg")
done

if ((${#missing[@]})); then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	log=$(mktemp /tmp/tsn-install-deps.XXXXXX)
	if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
		>"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "apt-get could not install: ${missing[*]} (output above)"
	fi
	rm -f "$log"
fi

# libbpf pins maps and programs under bpffs; containers often start without it.
if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf ||
		die "cannot mount bpffs on /sys/fs/bpf (the kernel needs CONFIG_BPF_SYSCALL)"
fi
