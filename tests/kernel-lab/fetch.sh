#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# fetch.sh — make sure the kernel lab's kernel is in the cache and print the
# directory that holds it (vmlinuz, config, lib/modules/VERSION with modules.dep).
#
# The kernel is Debian's stock one: the package linux-image-amd64 depends on,
# fetched with `apt-get download` (or the one TSN_LAB_KERNEL names).  Layout:
#
#   $TSN_LAB_CACHE/debs/linux-image-VERSION_*.deb      the package as downloaded
#   $TSN_LAB_CACHE/kernel/VERSION/                      unpacked, depmod run
#       vmlinuz  config  lib/modules/VERSION/...  .complete
#
# A kernel already unpacked is used as it is.  When apt's package lists cannot
# resolve linux-image-amd64 (never updated, or offline), the newest cached kernel
# is used; only with nothing cached does it run `apt-get update` and try again.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The kernel package linux-image-amd64 stands for, from the local package lists.
resolve_package() {
	[[ -n ${TSN_LAB_KERNEL:-} ]] && { echo "$TSN_LAB_KERNEL"; return 0; }
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

newest_cached() {
	local d
	d=$(ls -d "$KL_CACHE"/kernel/*/.complete 2>/dev/null | sort -V | tail -n1)
	[[ -n $d ]] && dirname "$d"
}

# unpack PACKAGE VERSION: download (unless cached) and unpack into kernel/VERSION.
unpack() {
	local pkg=$1 ver=$2 deb dest tmp
	mkdir -p "$KL_CACHE/debs" "$KL_CACHE/kernel"
	deb=$(ls "$KL_CACHE"/debs/"${pkg}"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
	if [[ -z $deb ]]; then
		kl_log "downloading $pkg (apt-get download, about 70 MB)"
		# apt drops privileges to _apt for downloads: fetch in a directory it may write.
		tmp=$(mktemp -d "$KL_CACHE/debs/.dl.XXXXXX")
		chmod 0777 "$tmp"
		(cd "$tmp" && apt-get download -q "$pkg" >&2) || { rm -rf "$tmp"; return 1; }
		mv "$tmp"/*.deb "$KL_CACHE/debs/"
		rm -rf "$tmp"
		deb=$(ls "$KL_CACHE"/debs/"${pkg}"_*.deb | sort -V | tail -n1)
	fi
	dest=$KL_CACHE/kernel/$ver
	kl_log "unpacking $(basename "$deb")"
	rm -rf "$dest" "$dest.tmp"
	mkdir -p "$dest.tmp"
	dpkg-deb -x "$deb" "$dest.tmp/root"
	mv "$dest.tmp/root/boot/vmlinuz-$ver" "$dest.tmp/vmlinuz"
	mv "$dest.tmp/root/boot/config-$ver" "$dest.tmp/config"
	mkdir -p "$dest.tmp/lib/modules"
	mv "$dest.tmp/root/lib/modules/$ver" "$dest.tmp/lib/modules/"
	rm -rf "$dest.tmp/root"
	# The package ships no modules.dep (its postinst makes it): make it here.
	depmod -b "$dest.tmp" "$ver"
	echo "$pkg $(basename "$deb")" >"$dest.tmp/.complete"
	mv "$dest.tmp" "$dest"
}

main() {
	local pkg ver dir
	command -v apt-get >/dev/null || kl_die "needs apt-get (Debian) to fetch the kernel package"
	command -v depmod >/dev/null || kl_die "needs depmod (package kmod; scripts/install-deps.sh installs it)"
	# One fetch at a time per cache (two lab runs may start together).
	mkdir -p "$KL_CACHE"
	exec 9>"$KL_CACHE/.lock"
	flock 9
	pkg=$(resolve_package || true)
	if [[ -z $pkg ]]; then
		dir=$(newest_cached || true)
		if [[ -n $dir ]]; then
			echo "$dir"
			return 0
		fi
		kl_log "apt cannot resolve linux-image-amd64; running apt-get update"
		apt-get update -q >&2
		pkg=$(resolve_package) || true
		[[ -n $pkg ]] || kl_die "linux-image-amd64 has no kernel dependency in apt's lists"
	fi
	ver=${pkg#linux-image-}
	dir=$KL_CACHE/kernel/$ver
	if [[ ! -f $dir/.complete ]] && ! unpack "$pkg" "$ver"; then
		# Stale package lists name a version the mirror no longer has: update, retry.
		kl_log "apt-get download $pkg failed; running apt-get update and trying again"
		apt-get update -q >&2 || true
		pkg=$(resolve_package) || true
		ver=${pkg#linux-image-}
		dir=$KL_CACHE/kernel/$ver
		[[ -n $pkg ]] && { [[ -f $dir/.complete ]] || unpack "$pkg" "$ver"; } ||
			kl_die "cannot fetch ${pkg:-the kernel of linux-image-amd64} (apt-get download failed; see above)"
	fi
	echo "$dir"
}

main "$@"
