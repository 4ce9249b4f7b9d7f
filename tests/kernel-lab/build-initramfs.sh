#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# build-initramfs.sh KERNEL_DIR — build the kernel lab's initramfs and print its path.
#
# The archive (newc cpio, uncompressed: TCG unpacks it faster than it inflates
# gzip) holds:
#   /init                       tests/kernel-lab/guest/init
#   /bin, /sbin, /usr/...       busybox (static) and its applet links
#   bash, ip, tc, jq, ping, ... the host's binaries (HOST_BINS) and every library
#                               ldd lists (busybox runs its own applet for a name
#                               it knows, e.g. setsid ip: real ones are copied)
#   /lib/modules/VERSION/...    the modules of modules.list and their dependencies,
#                               with load.list: the order to insmod them in
#   /tsn/...                    a mirror of the repository's parts the guest needs:
#                               build/tsnd, build/tsnctl, build/tests/tools/{gate_probe,ctl_rtt},
#                               the data plane's CUnit binaries (test_unit_bpf.sh),
#                               lab/, configs/, tests/kernel-lab/guest/
#
# It is rebuilt only when an input changed: the key is the SHA-256 of every input
# file's path and content (and of this script), kept beside the archive.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KERNEL_DIR=${1:?usage: build-initramfs.sh KERNEL_DIR}
VERSION=$(basename "$KERNEL_DIR")
MODDIR=$KERNEL_DIR/lib/modules/$VERSION
OUT_CPIO=$KL_OUT/initramfs-$VERSION.cpio
OUT_KEY=$OUT_CPIO.key

BUSYBOX=${TSN_LAB_BUSYBOX:-/bin/busybox}
HOST_BINS=(bash ip tc jq ping realpath setsid ptp4l	# ptp4l: the demo's PTP stage
	isochron)	# isochron: guest/latency.sh (make lab-latency)
HOST_BINS+=(bridge)	# iproute2's bridge: test_bridge_vlan.sh
TSN_BINS=("$KL_BUILD/tsnd" "$KL_BUILD/tsnctl" "$KL_BUILD/tests/tools/gate_probe"
	"$KL_BUILD/tests/tools/udp6"	# udp6: test_forward_gates.sh, test_flood_sched.sh
	"$KL_BUILD/tests/tools/lat6"	# lat6: test_flood_sched.sh
	"$KL_BUILD/tests/tools/ctl_rtt"	# ctl_rtt: bench.sh
	"$KL_BUILD/tests/tsnd-fault"	# tsnd with fault injection: test_txn.sh
	"$KL_BUILD/tests/latency/isochron-shim.so")	# guest/latency.sh
REPO_TREES=(lab configs tests/kernel-lab/guest)
# the data plane's CUnit binaries: guest/tests/test_unit_bpf.sh
for b in $(sed 's/#.*//' "$KL_REPO/tests/kernel-lab/guest/unit_bpf.list"); do
	TSN_BINS+=("$KL_BUILD/tests/$b")
done
# tsncnc (issue 14): the planner and deployer for test_cnc_*.sh.  tsn-netconfd, its
# YANG modules, the IETF modules and ssh-keygen come with the NETCONF block below;
# cnc_talk is test_cnc_latency.sh's talker and listener.
TSN_BINS+=("$KL_BUILD/tsncnc" "$KL_BUILD/tests/tools/cnc_talk")
HOST_BINS+=(ethtool)	# ethtool: cnc_line.sh turns the veth ports' VLAN transmit offload off
# shaper_probe: test_schedules.sh's shaper_rate and launch_time_tx cases (issue 17)
TSN_BINS+=("$KL_BUILD/tests/tools/shaper_probe")

# ---- NETCONF (issue 13) ------------------------------------------------------------
# tsn-netconfd with its libraries (libnetconf2, libssh, libyang: ldd finds them),
# the tsnd YANG module and the IETF modules it loads (Debian's libyuma-base), and a
# NETCONF client nobody here wrote: ncclient on Debian's python3 with its packages
# (paramiko, lxml, cryptography, ...), stdlib and byte code, plus ssh-keygen for the
# keys.  test_netconf.sh uses it; tsncnc's guest tests can use the same.  Python's
# files are keyed by their Debian package versions (hashing ~5000 files each run
# costs more than the build); they go into an archive of their own (nc_part_append).
NC_PY=/usr/bin/python3		# Debian's, not whatever python3 is first in PATH
NC_PY_IMPORTS="ncclient.manager, ncclient.transport.ssh, ncclient.operations, paramiko, lxml.etree, json, subprocess, threading"
# (extension modules whose libraries only weigh: sqlite, Berkeley DB, gdbm, Tk, curses)
NC_PY_SKIP=(test idlelib tkinter turtledemo ensurepip lib2to3 pydoc_data distutils 'config-*' site-packages
	'lib-dynload/_sqlite3*' 'lib-dynload/_dbm*' 'lib-dynload/_gdbm*' 'lib-dynload/_tkinter*'
	'lib-dynload/_curses*' 'lib-dynload/readline*')
NC_PY_DEBS=(python3.11-minimal libpython3.11-minimal libpython3.11-stdlib python3-ncclient python3-paramiko
	python3-lxml python3-cryptography python3-bcrypt python3-nacl python3-six python3-yaml python3-invoke
	python3-cffi-backend libyuma-base)
NC_OSSL_MODULES=/usr/lib/x86_64-linux-gnu/ossl-modules
NC_YANG_DIRS=(/usr/share/yuma/modules/ietf /usr/share/yuma/modules/ietf-derived /usr/share/yuma/modules/netconfcentral)
TSN_BINS+=("$KL_BUILD/tsn-netconfd" "$KL_BUILD/tsn-yang")
# nc_bench: bench.sh's lean NETCONF client (libnetconf2 in C; tests/netconf/nc_bench.c)
TSN_BINS+=("$KL_BUILD/tests/nc_bench")
HOST_BINS+=(ssh-keygen)
REPO_TREES+=(netconf/yang tests/netconf)

# nc_py_packages: the top-level entries of dist-packages the client imports.
nc_py_packages() {
	"$NC_PY" -c "import sys; import $NC_PY_IMPORTS
for m in list(sys.modules.values()):
    f = getattr(m, '__file__', None) or ''
    if '/dist-packages/' in f: print(f.split('/dist-packages/')[1].split('/')[0])" | sort -u
}

# nc_input_files: what the key covers besides the binaries (one versions file).
nc_input_files() {
	local f=$KL_OUT/netconf-inputs.txt
	{
		dpkg-query -W "${NC_PY_DEBS[@]}" 2>&1
		nc_py_packages
		find "${NC_YANG_DIRS[@]}" "$NC_OSSL_MODULES" /etc/ssl/openssl.cnf -type f | sort
	} >"$f.tmp"
	mv "$f.tmp" "$f"
	echo "$f"
	echo "$NC_PY"
	libraries_of "$NC_PY"
}

nc_build() {
	local stdlib=/usr/lib/python3.11 dist=/usr/lib/python3/dist-packages x so lib
	local skip=()
	[[ -x $NC_PY ]] || kl_die "$NC_PY missing (scripts/install-deps.sh installs python3-ncclient)"
	copy_file "$NC_PY" /usr/bin/python3
	for lib in $(libraries_of "$NC_PY"); do
		[[ -e $ROOT$lib ]] || copy_file "$lib" "$lib"
	done
	for x in "${NC_PY_SKIP[@]}"; do
		skip+=(--exclude="./$x")
	done
	mkdir -p "$ROOT$stdlib" "$ROOT$dist"
	tar -C "$stdlib" "${skip[@]}" -cf - . | tar -C "$ROOT$stdlib" -xf -
	for x in $(nc_py_packages); do
		cp -a "$dist/$x" "$ROOT$dist/"
	done
	# the extension modules' libraries (libssl, libxml2, libffi, ...)
	while read -r so; do
		for lib in $(libraries_of "$so"); do
			[[ -e $ROOT$lib ]] || copy_file "$lib" "$lib"
		done
	done < <(find "$ROOT$stdlib/lib-dynload" "$ROOT$dist" -name '*.so*' | sed "s|^$ROOT||")
	# OpenSSL's providers and configuration: cryptography loads the legacy provider
	# and fails without it ("DSO support routines::could not load the shared library")
	for x in "${NC_YANG_DIRS[@]}" "$NC_OSSL_MODULES"; do
		mkdir -p "$ROOT$x"
		cp -a "$x/." "$ROOT$x/"
	done
	copy_file /etc/ssl/openssl.cnf /etc/ssl/openssl.cnf
}
# nc_part_append ARCHIVE: append the NETCONF part, an archive of its own, cached
# under its own key (the kernel unpacks concatenated newc archives one after the
# other), so a changed test script or tsnd rebuilds only the small base archive.
nc_part_append() {
	local part=$KL_OUT/netconf-part.cpio key ROOT	# ROOT: nc_build's copies go here
	key=$(input_key $(nc_input_files) "$KL_DIR/build-initramfs.sh")
	if ! [[ -f $part && -f $part.key && $(cat "$part.key") == "$key" ]]; then
		kl_log "building $(basename "$part") (python, ncclient, IETF modules)"
		ROOT=$(mktemp -d "$KL_OUT/ncroot.XXXXXX")
		nc_build
		(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z |
			cpio --null -o -H newc --owner=0:0 --quiet) >"$part.tmp"
		rm -rf "$ROOT"
		mv "$part.tmp" "$part"
		echo "$key" >"$part.key"
	fi
	cat "$part" >>"$1"
}
# ---- end of NETCONF ------------------------------------------------------------------

# ---- module closure ----------------------------------------------------------

declare -A MOD_PATH=() MOD_DEPS=() MOD_SEEN=()
MOD_ORDER=()

read_modules_dep() {
	local path deps name
	while IFS=: read -r path deps; do
		name=${path##*/}
		name=${name%.ko*}
		MOD_PATH[$name]=$path
		MOD_DEPS[$name]=$deps
	done <"$MODDIR/modules.dep"
}

# add_module NAME: its dependencies first (modules.dep lists the one to load last
# first), then itself.
add_module() {
	local name=$1 dep deps=() i
	[[ -n ${MOD_SEEN[$name]:-} ]] && return 0
	MOD_SEEN[$name]=1
	[[ -n ${MOD_PATH[$name]:-} ]] || kl_die "module $name is not in $MODDIR/modules.dep (built in? then drop it from modules.list)"
	read -ra deps <<<"${MOD_DEPS[$name]}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		dep=${deps[i]##*/}
		add_module "${dep%.ko*}"
	done
	MOD_ORDER+=("$name")
}

wanted_modules() {
	sed -e 's/#.*//' -e 's/[[:space:]]//g' "$KL_DIR/modules.list" | grep -v '^$'
}

# ---- inputs -------------------------------------------------------------------

# The host path of each binary to copy, with the libraries it loads.
host_binaries() {
	local b
	echo "$BUSYBOX"
	for b in "${HOST_BINS[@]}"; do
		command -v "$b" || kl_die "$b is not installed (scripts/install-deps.sh installs it)"
	done
	printf '%s\n' "${TSN_BINS[@]}"
}

# libraries_of BINARY: the shared libraries and loader it needs (none if static).
libraries_of() {
	local out
	out=$(ldd "$1" 2>/dev/null </dev/null) || return 0	# static: "not a dynamic executable"
	awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]*ld-linux/ { print $1 }' <<<"$out"
}

input_files() {
	local b m t
	while read -r b; do
		echo "$b"
		libraries_of "$b"
	done < <(host_binaries) | sort -u
	for m in "${MOD_ORDER[@]}"; do
		echo "$MODDIR/${MOD_PATH[$m]}"
	done
	for t in "${REPO_TREES[@]}"; do
		find "$KL_REPO/$t" -type f ! -name '*~' | sort
	done
	echo "$KL_DIR/modules.list"
	echo "$KL_DIR/build-initramfs.sh"
	nc_input_files		# NETCONF block
}

input_key() {
	local f
	for f in "$@"; do
		printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
	done | sha256sum | cut -d' ' -f1
}

# ---- archive --------------------------------------------------------------------

# copy_file SRC DEST_IN_ROOT: copy with symlinks resolved, keeping the mode.
copy_file() {
	mkdir -p "$ROOT$(dirname "$2")"
	cp -L --preserve=mode "$1" "$ROOT$2"
}

build() {
	local b lib m applet f rel
	ROOT=$(mktemp -d "$KL_OUT/root.XXXXXX")
	trap 'rm -rf "$ROOT"' EXIT
	mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,run,tmp,root,var,mnt}
	ln -s ../run "$ROOT/var/run"

	copy_file "$BUSYBOX" /bin/busybox
	# Host binaries keep their paths; every library goes where ldd found it.
	for b in "${HOST_BINS[@]}"; do
		f=$(command -v "$b")
		copy_file "$f" "$f"
		for lib in $(libraries_of "$f"); do
			[[ -e $ROOT$lib ]] || copy_file "$lib" "$lib"
		done
	done
	ln -sf /usr/bin/bash "$ROOT/bin/bash" 2>/dev/null || true
	[[ -e $ROOT/usr/bin/bash ]] || ln -sf /bin/bash "$ROOT/usr/bin/bash"
	for b in "${TSN_BINS[@]}"; do
		rel=${b#"$KL_REPO"/}
		[[ $rel != /* ]] || rel=build/${b#"$KL_BUILD"/}	# a build directory outside the repository: same layout
		copy_file "$b" "/tsn/$rel"
		for lib in $(libraries_of "$b"); do
			[[ -e $ROOT$lib ]] || copy_file "$lib" "$lib"
		done
	done
	# Busybox applets for every command no real binary provides.
	while read -r applet; do
		[[ -e $ROOT/$applet || -L $ROOT/$applet ]] && continue
		mkdir -p "$ROOT/$(dirname "$applet")"
		ln -s /bin/busybox "$ROOT/$applet"
	done < <("$BUSYBOX" --list-full)

	for m in "${MOD_ORDER[@]}"; do
		copy_file "$MODDIR/${MOD_PATH[$m]}" "/lib/modules/$VERSION/${MOD_PATH[$m]}"
		echo "/lib/modules/$VERSION/${MOD_PATH[$m]}" >>"$ROOT/lib/modules/load.list"
	done

	for f in "${REPO_TREES[@]}"; do
		mkdir -p "$ROOT/tsn/$(dirname "$f")"
		cp -a "$KL_REPO/$f" "$ROOT/tsn/$f"
	done
	[[ -d /etc/iproute2 ]] && cp -a /etc/iproute2 "$ROOT/etc/"
	# Terminal descriptions for bash's line editing on the console (demo shell).
	[[ -d /lib/terminfo ]] && mkdir -p "$ROOT/lib" && cp -a /lib/terminfo "$ROOT/lib/"
	cp "$KL_DIR/guest/init" "$ROOT/init"
	chmod 0755 "$ROOT/init"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
	printf 'root:x:0:\n' >"$ROOT/etc/group"
	printf 'tsnd-lab\n' >"$ROOT/etc/hostname"
	echo "$VERSION" >"$ROOT/etc/lab-kernel"

	(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --owner=0:0 --quiet) >"$OUT_CPIO.tmp"
	nc_part_append "$OUT_CPIO.tmp"		# NETCONF block
	mv "$OUT_CPIO.tmp" "$OUT_CPIO"
	rm -rf "$ROOT"
	trap - EXIT
}

main() {
	local missing=() b key files
	for b in "${TSN_BINS[@]}"; do
		[[ -x $b ]] || missing+=("$b")
	done
	((${#missing[@]} == 0)) || kl_die "missing ${missing[*]}: build them first (make all tests-build)"
	[[ -x $BUSYBOX ]] || kl_die "$BUSYBOX missing (package busybox-static; scripts/install-deps.sh)"
	command -v cpio >/dev/null || kl_die "cpio missing (scripts/install-deps.sh installs it)"
	[[ -f $MODDIR/modules.dep ]] || kl_die "$MODDIR/modules.dep missing: run tests/kernel-lab/fetch.sh"

	read_modules_dep
	local m
	while read -r m; do
		add_module "$m"
	done < <(wanted_modules)

	mkdir -p "$KL_OUT"
	exec 9>"$KL_OUT/.lock"
	flock 9
	mapfile -t files < <(input_files)
	key=$(input_key "${files[@]}")
	if [[ -f $OUT_CPIO && -f $OUT_KEY && $(cat "$OUT_KEY") == "$key" ]]; then
		echo "$OUT_CPIO"
		return 0
	fi
	kl_log "building $(basename "$OUT_CPIO") (inputs changed)"
	build
	echo "$key" >"$OUT_KEY"
	echo "$OUT_CPIO"
}

main "$@"
