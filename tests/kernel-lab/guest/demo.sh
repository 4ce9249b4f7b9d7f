#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# demo.sh — the guest side of `make demo`: the demo lab of lab/demo.sh, inside the
# kernel lab's VM, whose kernel has taprio, so the switch's egress port sw0p2 runs
# the gate schedule of configs/demo.yaml.  Its output goes to the console, which
# tests/kernel-lab/demo.sh shows on the host; then /init leaves a shell there.
export TSN_BUILD=build
cd /tsn || exit 1

# A login shell (bash: busybox sh would run its own applet for `ip`) on the
# console for `make demo-shell`, ready to explore.
cat >/root/.profile <<'PROFILE'
export PATH=/tsn/build:/usr/sbin:/usr/bin:/sbin:/bin
alias tsnctl='ip netns exec switch /tsn/build/tsnctl -s /run/tsnd-demo/tsnd.sock'
PS1='tsnd-lab:\w# '
echo "tsnd demo VM — try: tsnctl status | tsnctl schedule show | ip netns exec switch tc qdisc show dev sw0p2"
echo "namespaces: talker, switch (tsnd), listener; tsnd's log: /run/tsnd-demo/tsnd.log"
PROFILE

if bash lab/demo.sh up; then
	echo "LAB PASS demo-up"
else
	echo "LAB FAIL demo-up: lab/demo.sh up failed (see above)"
fi
