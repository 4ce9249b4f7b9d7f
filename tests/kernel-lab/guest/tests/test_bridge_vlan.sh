#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# test_bridge_vlan.sh — 802.1Q bridging with VLAN filtering on the kernel's bridge
# (docs/bridge.md), which the host kernel lacks: tsnd creates a VLAN-filtering
# bridge over three ports; per-port VLANs, PVID and untagged egress read back
# with `bridge -j vlan show` exactly as configured (and no default VLAN 1);
# a static entry with its VID is in the FDB; tagged frames of a VID cross only
# between member ports; a reload moves the PVID; removing the section removes
# the bridge.
. /tsn/tests/kernel-lab/guest/lib.sh

BR=br18v

# bv_config FILE PVID_C: ports swA (VLANs 10, 20 tagged), swB (10 tagged),
# swC (20 tagged, PVID_C untagged).
bv_config() {
	kl_config "$1" "  - name: swA
  - name: swB
  - name: swC"
	cat >>"$1" <<CFG
bridge:
  name: $BR
  vlan-filtering: true
  ports:
    - name: swA
      vlans: [{ vid: 10 }, { vid: 20 }]
    - name: swB
      vlans: [{ vid: 10 }]
    - name: swC
      pvid: $2
      vlans: [{ vid: 20 }, { vid: $2, untagged: true }]
  fdb:
    - { mac: "02:18:00:00:00:0b", vid: 10, ports: [swB] }
CFG
}

bv_setup() {
	local h
	lab_ns_add sw
	for h in A B C; do
		lab_ns_add "h$h"
		lab_veth sw "sw$h" "h$h" eth0 1
	done
	# VLAN sub-interfaces on the hosts: A and B share VLAN 10, A and C VLAN 20;
	# B has a VLAN 20 interface too, behind a port that is not a member of 20.
	ip -n hA link add link eth0 name v10 type vlan id 10
	ip -n hA link add link eth0 name v20 type vlan id 20
	ip -n hB link add link eth0 name v10 type vlan id 10
	ip -n hB link add link eth0 name v20 type vlan id 20
	ip -n hC link add link eth0 name v20 type vlan id 20
	ip -n hA addr add 10.10.0.1/24 dev v10
	ip -n hA addr add 10.20.0.1/24 dev v20
	ip -n hB addr add 10.10.0.2/24 dev v10
	ip -n hB addr add 10.20.0.2/24 dev v20
	ip -n hC addr add 10.20.0.3/24 dev v20
	for h in A B C; do
		ip -n "h$h" link set dev v20 up 2>/dev/null || true
		ip -n "h$h" link set dev v10 up 2>/dev/null || true
	done
}

# The kernel's memberships as "port vid flags..." lines, sorted.
bv_vlans() {
	ip netns exec sw bridge -j vlan show | jq -r '.[] | select(.ifname != "'$BR'") | .ifname as $p
		| .vlans[] | "\($p) \(.vlan) \((.flags // []) | sort | join(","))"' | sort
}

bridge_vlan() {
	bv_setup
	bv_config "$KL_WORK/bv.yaml" 30
	kl_tsnd_start sw "$KL_WORK/bv.yaml"
	local vf got want
	vf=$(ip netns exec sw ip -j -d link show "$BR" | jq -r '.[0].linkinfo.info_data.vlan_filtering')
	[[ $vf == 1 ]] || kl_fail "vlan_filtering is $vf"
	got=$(bv_vlans)
	want=$(printf '%s\n' "swA 10 " "swA 20 " "swB 10 " "swC 20 " "swC 30 Egress Untagged,PVID" | sort)
	[[ $got == "$want" ]] || kl_fail "VLANs read back: $(tr '\n' '|' <<<"$got"), expected $(tr '\n' '|' <<<"$want")"
	kl_run kl_tsnctl -j bridge show
	jq -e '.vlan_filtering and .drift == false and
		([.ports[] | select(.name == "swC") | .vlans[] | select(.vid == 30 and .pvid and .untagged)] | length == 1)' \
		<<<"$OUT" >/dev/null || kl_fail "bridge show: $OUT"
	local fdb
	fdb=$(ip netns exec sw bridge -j fdb show br "$BR")
	jq -e '[.[] | select(.mac == "02:18:00:00:00:0b" and .vlan == 10 and .state == "static" and .ifname == "swB")]
		| length == 1' <<<"$fdb" >/dev/null || kl_fail "static entry with VID 10: $fdb"

	# Tagged frames of a VID cross between member ports only.
	lab_wait_until 20 ip netns exec hA ping -c1 -W1 10.10.0.2 >/dev/null ||
		kl_fail "VLAN 10: A cannot reach B"
	lab_wait_until 20 ip netns exec hA ping -c1 -W1 10.20.0.3 >/dev/null ||
		kl_fail "VLAN 20: A cannot reach C"
	ip netns exec hA ping -c3 -i0.3 -W1 10.20.0.2 >/dev/null 2>&1 &&
		kl_fail "VLAN 20 reached B, whose port is not a member"
	local drops
	drops=$(ip netns exec hB ip -j neigh show dev v20 | jq '[.[] | select(.dst == "10.20.0.1" and .lladdr)] | length')
	[[ $drops == 0 ]] || kl_fail "B learnt A on VLAN 20"

	# A reload moves swC's PVID; the old one goes.
	bv_config "$KL_WORK/bv.yaml" 40
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "reload: $ERR $OUT"
	got=$(bv_vlans)
	want=$(printf '%s\n' "swA 10 " "swA 20 " "swB 10 " "swC 20 " "swC 40 Egress Untagged,PVID" | sort)
	[[ $got == "$want" ]] || kl_fail "after reload: $(tr '\n' '|' <<<"$got")"

	# Without the section the bridge tsnd created goes.
	kl_config "$KL_WORK/bv.yaml" "  - name: swA"
	kl_run kl_tsnctl config reload
	((RC == 0)) || kl_fail "reload without bridge: $ERR $OUT"
	ip netns exec sw ip link show "$BR" >/dev/null 2>&1 && kl_fail "the bridge is still there"
	return 0
}

kl_test bridge-vlan bridge_vlan
