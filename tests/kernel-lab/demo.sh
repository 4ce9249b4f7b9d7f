#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# demo.sh up|down|shell|status — the demo lab (lab/demo.sh) inside the kernel lab's
# VM, for `make demo`: the development hosts' kernels have no taprio, Debian's
# stock kernel under QEMU has, so there the switch's egress port runs a real gate
# schedule.
#
#   up      boot the VM in the background (QEMU daemonized, pid file), wait until
#           the guest has built the lab (guest/demo.sh), show its output here,
#           and leave it running
#   shell   a shell in the VM on its serial console (leave with Ctrl-])
#   status  is the VM running; its console's last lines
#   down    stop the VM and remove its run directory (safe to run twice)
#
# Files: /run/tsnd-lab-demo/{qemu.pid,console.sock,console.log}.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RUN=${TSN_LAB_DEMO_DIR:-/run/tsnd-lab-demo}
PIDFILE=$RUN/qemu.pid
SOCK=$RUN/console.sock
CONSOLE=$RUN/console.log
UP_TIMEOUT=${TSN_LAB_DEMO_TIMEOUT:-240}

running_pid() {
	local pid
	[[ -r $PIDFILE ]] || return 1
	pid=$(tr -dc 0-9 <"$PIDFILE")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

demo_down() {
	local pid n
	if pid=$(running_pid); then
		kill -TERM "$pid" 2>/dev/null || true
		for ((n = 0; n < 50; n++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
		echo "demo: VM (QEMU pid $pid) stopped"
	fi
	rm -rf "$RUN"
}

# show_console FROM: print the console log from line FROM on, without the lab's
# own control lines; sets SHOWN to the number of lines read.
show_console() {
	local from=$1
	SHOWN=$(wc -l <"$CONSOLE")
	sed -n "${from},${SHOWN}p" "$CONSOLE" | tr -d '\r' | grep -v -E '^LAB (BOOT|PASS|DEMO READY)' || true
}

demo_up() {
	local kernel_dir initrd shown=1 n start
	command -v qemu-system-x86_64 >/dev/null ||
		kl_die "qemu-system-x86_64 is missing (package qemu-system-x86; make deps installs it)"
	if running_pid >/dev/null; then
		echo "demo: a demo VM is running; stopping it first"
		demo_down
	fi
	kernel_dir=$("$KL_DIR/fetch.sh")
	initrd=$("$KL_DIR/build-initramfs.sh" "$kernel_dir")
	rm -rf "$RUN"
	mkdir -p "$RUN"
	echo "demo: booting Debian's kernel $(basename "$kernel_dir") under QEMU (TCG) with the demo lab"
	start=$(kl_now_ms)
	qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 \
		-nodefaults -no-user-config -display none -no-reboot \
		-chardev "socket,id=con,path=$SOCK,server=on,wait=off,logfile=$CONSOLE" \
		-serial chardev:con -monitor none \
		-kernel "$kernel_dir/vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off lab.mode=demo" \
		-daemonize -pidfile "$PIDFILE"

	for ((n = 0; n < UP_TIMEOUT * 5; n++)); do
		if [[ -s $CONSOLE ]]; then
			show_console "$shown"
			shown=$((SHOWN + 1))
			if grep -q -E '^LAB (FAIL|DONE)' "$CONSOLE"; then
				echo "demo: the lab failed inside the VM; stopping it" >&2
				demo_down
				return 1
			fi
			if grep -q '^LAB DEMO READY' "$CONSOLE"; then
				break
			fi
		fi
		running_pid >/dev/null || { echo "demo: QEMU exited; console: $CONSOLE" >&2; return 1; }
		sleep 0.2
	done
	if ! grep -q '^LAB DEMO READY' "$CONSOLE"; then
		echo "demo: the VM did not finish setting up within ${UP_TIMEOUT}s; stopping it" >&2
		demo_down
		return 1
	fi
	echo "demo: up in $((($(kl_now_ms) - start) / 1000)) s, running in a VM (QEMU pid $(running_pid))."
	echo "Shell in it: make demo-shell (then e.g. tsnctl schedule show; leave with Ctrl-]) — tear down: make demo-down"
}

demo_shell() {
	running_pid >/dev/null || kl_die "no demo VM is running (make demo starts one)"
	command -v socat >/dev/null || kl_die "socat is missing (make deps installs it)"
	echo "demo: console of the demo VM; press Enter for a prompt, Ctrl-] to leave"
	if [[ -t 0 ]]; then
		socat -,raw,echo=0,escape=0x1d "UNIX-CONNECT:$SOCK"
	else
		# Scripted: one command a line from standard input, paced (the serial
		# line has a small buffer and the emulated guest reads it slowly), then
		# 5 s for the last output.
		{
			printf '\n'
			sleep 1
			while IFS= read -r line; do
				printf '%s\n' "$line"
				sleep 1
			done
			sleep 4
		} | socat -t 3 - "UNIX-CONNECT:$SOCK"
	fi
}

demo_status() {
	local pid
	if pid=$(running_pid); then
		echo "demo VM: running (QEMU pid $pid), console $SOCK"
		tail -n 5 "$CONSOLE" | tr -d '\r'
	else
		echo "demo VM: not running"
		return 1
	fi
}

[[ $(id -u) -eq 0 ]] || kl_die "must run as root"
case ${1:-} in
up) demo_up ;;
down) demo_down ;;
shell) demo_shell ;;
status) demo_status ;;
*)
	echo "usage: $0 up|down|shell|status" >&2
	exit 2
	;;
esac
