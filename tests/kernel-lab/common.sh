# SPDX-License-Identifier: GPL-2.0-only
# tests/kernel-lab/common.sh — settings and helpers shared by the host side of the
# kernel lab (fetch.sh, build-initramfs.sh, run.sh, demo.sh).  Source it from bash.
#
# TSN_LAB_CACHE   where the kernel package and its unpacked tree are kept
#                 (default /var/cache/tsnd-lab): per machine, outside build/, so
#                 `make clean` keeps it.
# TSN_LAB_KERNEL  pin a kernel package, e.g. linux-image-6.1.0-56-amd64
#                 (default: whatever linux-image-amd64 depends on).
# TSN_BUILD       the build directory with tsnd and tsnctl (default build).
# shellcheck shell=bash disable=SC2034  # a library: its variables serve the scripts that source it

KL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KL_REPO=$(cd "$KL_DIR/../.." && pwd)
KL_BUILD=$(cd "$KL_REPO" && realpath -m "${TSN_BUILD:-build}")
KL_CACHE=${TSN_LAB_CACHE:-/var/cache/tsnd-lab}
KL_OUT=$KL_BUILD/kernel-lab		# the initramfs and its input key (make clean removes it)

kl_log() {
	echo "kernel-lab: $*" >&2
}

kl_die() {
	kl_log "$*"
	exit 1
}

# kl_now_ms: milliseconds since the epoch.
kl_now_ms() {
	local t=$EPOCHREALTIME
	echo $((${t%.*} * 1000 + 10#${t#*.} / 1000))
}
