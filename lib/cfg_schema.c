/* SPDX-License-Identifier: GPL-2.0-only */
/* cfg_schema.c — THE configuration schema of tsnd: every YAML key, its type, range,
 * default and one line of documentation.  The parser, printer and comparer follow
 * these rows, and so does the reference in docs/config.md (`make docs` regenerates
 * it; a unit test fails when it is stale).  Cross-field rules live in cfg_check.c. */
#include <stddef.h>

#include "cfg_schema.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TABLE(var, nm, fields, chk) \
	const struct cfg_table var = { nm, fields, N(fields), chk }

/* ---- enumerations: index = C enum value ---- */
static const char *const log_levels[] = { "", "", "", "error", "warning", "notice", "info", "debug", NULL };
static const char *const log_targets[] = { "stderr", "syslog", NULL };
const char *const tsn_xdp_mode_names[] = { "off", "auto", "native", "generic", NULL };
static const char *const sched_modes[] = { "software", "txtime-assist", "full-offload", "mqprio", NULL };
const char *const tsn_clock_names[] = { "tai", "realtime", "monotonic", "boottime", NULL };
static const char *const gate_ops[] = { "set-gates", "set-and-hold", "set-and-release", NULL };
static const char *const unmatched_policies[] = { "pass", "drop", "demote", NULL };
static const char *const acl_defaults[] = { "allow", "deny", NULL };
static const char *const ptp_profiles[] = { "default", "gptp", NULL };
static const char *const ptp_transports[] = { "udpv4", "udpv6", "l2", NULL };
static const char *const ptp_delays[] = { "auto", "e2e", "p2p", NULL };
static const char *const ptp_tstamps[] = { "auto", "hardware", "software", NULL };
const char *const tsn_stream_ident_names[] = { "dst-mac-vlan", "src-mac-vlan", "ipv6", NULL };
static const char *const color_modes[] = { "blind", "aware", NULL };
static const char *const exceed_actions[] = { "drop", "demote", NULL };
static const char *const gate_states[] = { "closed", "open", NULL };
static const char *const frer_roles[] = { "generator", "recovery", "recovery-generator", NULL };
static const char *const frer_algorithms[] = { "vector", "match", NULL };
/* The exported tables follow the C enums of config.h, value for value. */
_Static_assert(sizeof(tsn_xdp_mode_names) / sizeof(tsn_xdp_mode_names[0]) == TSN_XDP_GENERIC + 2, "xdp modes");
_Static_assert(sizeof(tsn_clock_names) / sizeof(tsn_clock_names[0]) == TSN_CLOCK_BOOTTIME + 2, "clocks");
_Static_assert(sizeof(tsn_stream_ident_names) / sizeof(tsn_stream_ident_names[0]) == TSN_IDENT_IPV6 + 2,
	       "stream identifications");

/* ---- daemon ---- */
#define S struct tsn_cfg_daemon
static const struct cfg_field daemon_fields[] = {
	{ .key = "log-level", .type = CFG_ENUM, .offset = offsetof(S, log_level), .names = log_levels,
	  .def = "info", .doc = "most verbose level logged" },
	{ .key = "log-target", .type = CFG_ENUM, .offset = offsetof(S, log_target), .names = log_targets,
	  .def = "stderr", .doc = "where the log goes (tsnd -f --stderr and --syslog override)" },
	{ .key = "pid-file", .type = CFG_STRING, .offset = offsetof(S, pid_file), .size = TSN_PATH_MAX,
	  .str = STR_PATH, .def = "/run/tsnd/tsnd.pid", .doc = "pid file, locked while tsnd runs (restart to change)" },
	{ .key = "state-dir", .type = CFG_STRING, .offset = offsetof(S, state_dir), .size = TSN_PATH_MAX,
	  .str = STR_PATH, .def = "/run/tsnd", .doc = "directory for generated files (ptp4l.conf, ...)" },
};
#undef S
static TABLE(daemon_table, "daemon", daemon_fields, NULL);

/* ---- control ---- */
#define S struct tsn_cfg_control
static const struct cfg_field control_fields[] = {
	{ .key = "socket", .type = CFG_STRING, .offset = offsetof(S, socket), .size = TSN_SOCK_PATH_MAX,
	  .str = STR_PATH, .def = "/run/tsnd/tsnd.sock", .doc = "control socket path (restart to change)" },
	{ .key = "socket-mode", .type = CFG_FILE_MODE, .offset = offsetof(S, socket_mode), .max = 0777,
	  .def = "0660", .doc = "file mode of the control socket" },
	{ .key = "read-group", .type = CFG_STRING, .offset = offsetof(S, read_group), .size = TSN_NAME_MAX,
	  .str = STR_NAME, .def = "", .doc = "group whose members may run read-only commands (\"\": root only)" },
	{ .key = "admin-group", .type = CFG_STRING, .offset = offsetof(S, admin_group), .size = TSN_NAME_MAX,
	  .str = STR_NAME, .def = "", .doc = "group whose members may change state (\"\": root only)" },
	{ .key = "max-request", .type = CFG_UINT, .offset = offsetof(S, max_request), .min = 1024,
	  .max = 16u << 20, .def = "65536", .doc = "longest request in bytes" },
	{ .key = "timeout", .type = CFG_DURATION, .offset = offsetof(S, timeout_ns), .min = 10000000ull,
	  .max = 3600000000000ull, .def = "5s", .doc = "a request must arrive complete within this" },
	{ .key = "max-clients", .type = CFG_UINT, .offset = offsetof(S, max_clients), .min = 1, .max = 1024,
	  .def = "32", .doc = "concurrent control connections" },
	{ .key = "audit-log", .type = CFG_STRING, .offset = offsetof(S, audit_log), .size = TSN_PATH_MAX,
	  .str = STR_PATH, .def = "", .doc = "file that records every change request (\"\": the daemon log only)" },
};
#undef S
static TABLE(control_table, "control", control_fields, NULL);

/* ---- ports[].schedule ---- */
#define S struct tsn_cfg_gate_entry
static const struct cfg_field gate_entry_fields[] = {
	{ .key = "op", .type = CFG_ENUM, .offset = offsetof(S, op), .names = gate_ops, .def = "set-gates",
	  .doc = "gate operation" },
	{ .key = "gates", .type = CFG_GATES, .offset = offsetof(S, gates), .max = TSN_MAX_TC - 1,
	  .flags = CFG_F_REQUIRED, .doc = "open traffic classes, e.g. [0-2, 7]; [] closes all" },
	{ .key = "interval", .type = CFG_DURATION, .offset = offsetof(S, interval_ns), .min = 1,
	  .max = UINT32_MAX, .flags = CFG_F_REQUIRED, .doc = "how long this entry lasts" },
};
#undef S
static TABLE(gate_entry_table, "gate entry", gate_entry_fields, NULL);

static const struct cfg_field map_elem = { .key = "map[]", .type = CFG_UINT, .max = TSN_MAX_TC - 1 };
static const struct cfg_field queue_elem = { .key = "queues[]", .type = CFG_QUEUES };
static const struct cfg_field max_sdu_elem = { .key = "max-sdu[]", .type = CFG_UINT, .max = 65535 };
static const struct cfg_field gate_entry_elem = { .key = "entries[]", .type = CFG_OBJECT,
						   .sub = &gate_entry_table };

/* ---- ports[].schedule.shapers, launch-time (docs/shapers.md) ---- */
#define S struct tsn_cfg_shaper
static const struct cfg_field shaper_fields[] = {
	{ .key = "class", .type = CFG_UINT, .offset = offsetof(S, tc), .max = TSN_MAX_TC - 1,
	  .flags = CFG_F_REQUIRED, .doc = "traffic class shaped (it needs exactly one TX queue)" },
	{ .key = "idle-slope", .type = CFG_RATE, .offset = offsetof(S, idle_slope_bps),
	  .present = offsetof(S, has_idle_slope), .min = 1000, .max = 2147483647000ull, .flags = CFG_F_OPTIONAL,
	  .doc = "reserved bandwidth, whole kbit/s (or give share)" },
	{ .key = "share", .type = CFG_UINT, .offset = offsetof(S, share_pct), .present = offsetof(S, has_share),
	  .min = 1, .max = 100, .flags = CFG_F_OPTIONAL, .doc = "reserved bandwidth in percent of the link speed" },
	{ .key = "max-frame", .type = CFG_SIZE, .offset = offsetof(S, max_frame), .min = 64, .max = 65535,
	  .def = "1522B", .doc = "largest frame of this class (loCredit)" },
	{ .key = "max-interference", .type = CFG_SIZE, .offset = offsetof(S, max_interference),
	  .present = offsetof(S, has_max_interference), .min = 64, .max = 1ull << 24, .flags = CFG_F_OPTIONAL,
	  .doc = "most bytes that may delay this class (hiCredit); absent: 1522B for the highest shaped "
		 "class, derived from the higher ones for the others" },
};
#undef S
static TABLE(shaper_table, "shaper", shaper_fields, NULL);
static const struct cfg_field shaper_elem = { .key = "shapers[]", .type = CFG_OBJECT, .sub = &shaper_table };

#define S struct tsn_cfg_launch_time
static const struct cfg_field launch_time_fields[] = {
	{ .key = "class", .type = CFG_UINT, .offset = offsetof(S, tc), .max = TSN_MAX_TC - 1,
	  .flags = CFG_F_REQUIRED, .doc = "traffic class: an etf on each of its TX queues" },
	{ .key = "delta", .type = CFG_DURATION, .offset = offsetof(S, delta_ns), .min = 1, .max = INT32_MAX,
	  .def = "200us", .doc = "a frame leaves the etf this long before its launch time" },
	{ .key = "clock", .type = CFG_ENUM, .offset = offsetof(S, clock), .names = tsn_clock_names, .def = "tai",
	  .doc = "clock of the launch times (etf takes tai only)" },
	{ .key = "deadline-mode", .type = CFG_BOOL, .offset = offsetof(S, deadline_mode), .def = "false",
	  .doc = "launch times are deadlines: a frame is sent as soon as it is dequeued" },
	{ .key = "offload", .type = CFG_BOOL, .offset = offsetof(S, offload), .def = "false",
	  .doc = "the NIC enforces the launch time (LaunchTime hardware)" },
	{ .key = "skip-sock-check", .type = CFG_BOOL, .offset = offsetof(S, skip_sock_check), .def = "false",
	  .doc = "accept frames of sockets without SO_TXTIME (forwarded or taprio-stamped frames)" },
};
#undef S
static TABLE(launch_time_table, "launch time", launch_time_fields, NULL);
static const struct cfg_field launch_time_elem = { .key = "launch-time[]", .type = CFG_OBJECT,
						    .sub = &launch_time_table };

#define S struct tsn_cfg_schedule
static const struct cfg_field schedule_fields[] = {
	{ .key = "mode", .type = CFG_ENUM, .offset = offsetof(S, mode), .names = sched_modes,
	  .def = "software", .doc = "taprio mode, or mqprio: no gate list, only shapers and launch-time" },
	{ .key = "clock", .type = CFG_ENUM, .offset = offsetof(S, clock), .names = tsn_clock_names, .def = "tai",
	  .doc = "clock of base-time and the schedule (ignored by full-offload: the port's own clock)" },
	{ .key = "num-tc", .type = CFG_UINT, .offset = offsetof(S, num_tc), .min = 1, .max = TSN_MAX_TC,
	  .flags = CFG_F_REQUIRED, .doc = "number of traffic classes" },
	{ .key = "map", .type = CFG_LIST, .offset = offsetof(S, map), .count = offsetof(S, n_map),
	  .size = sizeof(uint32_t), .max = TSN_NUM_PRIO, .elem = &map_elem, .flags = CFG_F_INLINE | CFG_F_REQUIRED,
	  .doc = "16 entries: traffic class of priority 0..15" },
	{ .key = "queues", .type = CFG_LIST, .offset = offsetof(S, queues), .count = offsetof(S, n_queues),
	  .size = sizeof(struct tsn_cfg_queue_range), .max = TSN_MAX_TC, .elem = &queue_elem,
	  .flags = CFG_F_INLINE | CFG_F_REQUIRED, .doc = "per class \"count@offset\" TX queues" },
	{ .key = "base-time", .type = CFG_BASE_TIME, .offset = offsetof(S, base_time_ns),
	  .present = offsetof(S, base_time_auto), .max = INT64_MAX, .def = "auto",
	  .doc = "auto, or absolute nanoseconds on `clock`" },
	{ .key = "base-time-lead", .type = CFG_DURATION, .offset = offsetof(S, base_time_lead_ns),
	  .max = 3600000000000ull, .def = "1s", .doc = "auto: the start is at least this far ahead" },
	{ .key = "cycle-time", .type = CFG_DURATION, .offset = offsetof(S, cycle_time_ns), .max = INT64_MAX,
	  .def = "0ns", .doc = "0: the sum of the intervals" },
	{ .key = "cycle-time-extension", .type = CFG_DURATION, .offset = offsetof(S, cycle_time_extension_ns),
	  .max = INT64_MAX, .def = "0ns", .doc = "how far the last entry of the old cycle may stretch" },
	{ .key = "txtime-delay", .type = CFG_DURATION, .offset = offsetof(S, txtime_delay_ns),
	  .max = UINT32_MAX, .def = "0ns", .doc = "txtime-assist only: launch-time offset" },
	{ .key = "require-sync", .type = CFG_BOOL, .offset = offsetof(S, require_sync), .def = "false",
	  .doc = "apply only once PTP is locked" },
	{ .key = "link-recovery", .type = CFG_BOOL, .offset = offsetof(S, link_recovery), .def = "true",
	  .doc = "re-install at a fresh base time when the link comes back (Linux 6.1's taprio stops)" },
	{ .key = "max-sdu", .type = CFG_LIST, .offset = offsetof(S, max_sdu), .count = offsetof(S, n_max_sdu),
	  .size = sizeof(uint32_t), .max = TSN_MAX_TC, .elem = &max_sdu_elem, .flags = CFG_F_INLINE,
	  .doc = "per class largest SDU in bytes (frame without Ethernet header, as the MTU), 0 = no limit" },
	{ .key = "entries", .type = CFG_LIST, .offset = offsetof(S, entries), .count = offsetof(S, n_entries),
	  .size = sizeof(struct tsn_cfg_gate_entry), .max = 4096, .elem = &gate_entry_elem,
	  .doc = "the gate control list (required, except with mode: mqprio)" },
	{ .key = "shapers", .type = CFG_LIST, .offset = offsetof(S, shapers), .count = offsetof(S, n_shapers),
	  .size = sizeof(struct tsn_cfg_shaper), .max = TSN_MAX_TC, .elem = &shaper_elem,
	  .doc = "802.1Qav credit-based shapers (cbs), one per class" },
	{ .key = "shaper-limit", .type = CFG_UINT, .offset = offsetof(S, shaper_limit_pct), .min = 1, .max = 100,
	  .def = "75", .doc = "percent of the link all shapers may reserve together (802.1Q's default: 75)" },
	{ .key = "launch-time", .type = CFG_LIST, .offset = offsetof(S, launch_times),
	  .count = offsetof(S, n_launch_times), .size = sizeof(struct tsn_cfg_launch_time), .max = TSN_MAX_TC,
	  .elem = &launch_time_elem, .doc = "LaunchTime: etf qdiscs, one entry per class" },
};
#undef S
static TABLE(schedule_table, "schedule", schedule_fields, cfg_check_schedule);

/* ---- ports[].acl, storm-guard ---- */
static const struct cfg_field mac_elem = { .key = "mac", .type = CFG_MAC };
static const struct cfg_field prefix_elem = { .key = "prefix", .type = CFG_PREFIX };
static const struct cfg_field ethertype_elem = { .key = "ethertype", .type = CFG_UINT, .min = 0x600,
						  .max = 0xffff, .flags = CFG_F_HEX };
#define S struct tsn_cfg_acl
static const struct cfg_field acl_fields[] = {
	{ .key = "default", .type = CFG_ENUM, .offset = offsetof(S, default_action), .names = acl_defaults,
	  .def = "allow", .doc = "what happens to frames no allow list matches" },
	{ .key = "allow-src-mac", .type = CFG_LIST, .offset = offsetof(S, src_macs), .count = offsetof(S, n_src_macs),
	  .size = sizeof(struct tsn_cfg_mac), .max = 4096, .elem = &mac_elem, .doc = "source MACs let in" },
	{ .key = "allow-prefix", .type = CFG_LIST, .offset = offsetof(S, prefixes), .count = offsetof(S, n_prefixes),
	  .size = sizeof(struct tsn_cfg_prefix), .max = 4096, .elem = &prefix_elem, .doc = "IPv6 source prefixes let in" },
	{ .key = "allow-ethertype", .type = CFG_LIST, .offset = offsetof(S, ethertypes),
	  .count = offsetof(S, n_ethertypes), .size = sizeof(uint32_t), .max = 256, .elem = &ethertype_elem,
	  .doc = "EtherTypes let in" },
};
#undef S
static TABLE(acl_table, "acl", acl_fields, NULL);

#define S struct tsn_cfg_storm_guard
static const struct cfg_field storm_fields[] = {
	{ .key = "broadcast", .type = CFG_RATE, .offset = offsetof(S, broadcast_bps), .def = "0bit",
	  .doc = "broadcast rate limit, 0 = none" },
	{ .key = "multicast", .type = CFG_RATE, .offset = offsetof(S, multicast_bps), .def = "0bit",
	  .doc = "multicast rate limit, 0 = none" },
	{ .key = "unknown", .type = CFG_RATE, .offset = offsetof(S, unknown_bps), .def = "0bit",
	  .doc = "unknown-destination rate limit, 0 = none" },
};
#undef S
static TABLE(storm_table, "storm-guard", storm_fields, NULL);

/* ---- ports ---- */
#define S struct tsn_cfg_port
static const struct cfg_field port_fields[] = {
	{ .key = "name", .type = CFG_STRING, .offset = offsetof(S, name), .size = IFNAMSIZ, .str = STR_IFNAME,
	  .flags = CFG_F_REQUIRED, .doc = "network interface" },
	{ .key = "link-speed", .type = CFG_LINK_SPEED, .offset = offsetof(S, link_speed_mbps), .max = 1000000,
	  .def = "auto", .doc = "Mbit/s, or auto to ask the kernel" },
	{ .key = "link-speed-default", .type = CFG_UINT, .offset = offsetof(S, link_speed_default_mbps), .min = 1,
	  .max = 1000000, .def = "1000", .doc = "Mbit/s assumed when link-speed is auto and the kernel does not know" },
	{ .key = "xdp", .type = CFG_ENUM, .offset = offsetof(S, xdp), .names = tsn_xdp_mode_names, .def = "off",
	  .doc = "attach tsnd's XDP program" },
	{ .key = "unmatched-priority", .type = CFG_ENUM, .offset = offsetof(S, unmatched_priority),
	  .names = unmatched_policies, .def = "pass",
	  .doc = "frames of no stream that carry a scheduled priority" },
	{ .key = "schedule", .type = CFG_OBJECT, .offset = offsetof(S, schedule), .present = offsetof(S, has_schedule),
	  .flags = CFG_F_OPTIONAL, .sub = &schedule_table, .doc = "802.1Qbv gate schedule (taprio)" },
	{ .key = "acl", .type = CFG_OBJECT, .offset = offsetof(S, acl), .present = offsetof(S, has_acl),
	  .flags = CFG_F_OPTIONAL, .sub = &acl_table, .doc = "ingress allow lists" },
	{ .key = "storm-guard", .type = CFG_OBJECT, .offset = offsetof(S, storm_guard),
	  .present = offsetof(S, has_storm_guard), .flags = CFG_F_OPTIONAL, .sub = &storm_table,
	  .doc = "ingress rate limits" },
};
#undef S
static TABLE(port_table, "port", port_fields, cfg_check_port_qos);
static const struct cfg_field port_elem = { .key = "ports[]", .type = CFG_OBJECT, .sub = &port_table };

/* ---- ptp ---- */
#define S struct tsn_cfg_ptp_port
static const struct cfg_field ptp_port_fields[] = {
	{ .key = "name", .type = CFG_STRING, .offset = offsetof(S, name), .size = IFNAMSIZ, .str = STR_IFNAME,
	  .flags = CFG_F_REQUIRED, .doc = "a configured port" },
	{ .key = "delay-mechanism", .type = CFG_ENUM, .offset = offsetof(S, delay_mechanism), .names = ptp_delays,
	  .def = "auto", .doc = "auto follows the profile" },
	{ .key = "timestamping", .type = CFG_ENUM, .offset = offsetof(S, timestamping), .names = ptp_tstamps,
	  .def = "auto", .doc = "auto: hardware if the port has it" },
};
#undef S
static TABLE(ptp_port_table, "ptp port", ptp_port_fields, NULL);
static const struct cfg_field ptp_port_elem = { .key = "ports[]", .type = CFG_OBJECT, .sub = &ptp_port_table };

#define S struct tsn_cfg_ptp
static const struct cfg_field ptp_fields[] = {
	{ .key = "enabled", .type = CFG_BOOL, .offset = offsetof(S, enabled), .def = "false",
	  .doc = "run ptp4l (and phc2sys where needed)" },
	{ .key = "profile", .type = CFG_ENUM, .offset = offsetof(S, profile), .names = ptp_profiles,
	  .def = "default", .doc = "IEEE 1588 default or IEEE 802.1AS gPTP" },
	{ .key = "transport", .type = CFG_ENUM, .offset = offsetof(S, transport), .names = ptp_transports,
	  .def = "udpv4", .doc = "network transport (gptp: l2, its default)" },
	{ .key = "domain", .type = CFG_UINT, .offset = offsetof(S, domain), .max = 127, .def = "0",
	  .doc = "PTP domain number" },
	{ .key = "priority1", .type = CFG_UINT, .offset = offsetof(S, priority1), .max = 255, .def = "128",
	  .doc = "BMCA priority1 (gptp: 248 unless given)" },
	{ .key = "priority2", .type = CFG_UINT, .offset = offsetof(S, priority2), .max = 255, .def = "128",
	  .doc = "BMCA priority2 (gptp: 248 unless given)" },
	{ .key = "free-running", .type = CFG_BOOL, .offset = offsetof(S, free_running), .def = "false",
	  .doc = "never steer a clock (labs, tests)" },
	{ .key = "ptp4l", .type = CFG_STRING, .offset = offsetof(S, ptp4l), .size = TSN_PATH_MAX, .str = STR_PATH,
	  .def = "/usr/sbin/ptp4l", .doc = "ptp4l binary" },
	{ .key = "phc2sys", .type = CFG_STRING, .offset = offsetof(S, phc2sys), .size = TSN_PATH_MAX,
	  .str = STR_PATH, .def = "/usr/sbin/phc2sys", .doc = "phc2sys binary" },
	{ .key = "uds-address", .type = CFG_STRING, .offset = offsetof(S, uds_address), .size = TSN_SOCK_PATH_MAX,
	  .str = STR_PATH, .def = "/run/tsnd/ptp4l.sock", .doc = "ptp4l management socket" },
	{ .key = "lock-threshold", .type = CFG_DURATION, .offset = offsetof(S, lock_threshold_ns), .min = 1,
	  .max = 1000000000ull, .def = "1us", .doc = "|offset| below this counts as locked" },
	{ .key = "lock-time", .type = CFG_DURATION, .offset = offsetof(S, lock_time_ns),
	  .max = 3600000000000ull, .def = "5s", .doc = "locked this long before held schedules apply" },
	{ .key = "neighbor-prop-delay-thresh", .type = CFG_DURATION,
	  .offset = offsetof(S, neighbor_prop_delay_thresh_ns), .max = UINT32_MAX, .def = "0ns",
	  .doc = "P2P: a larger peer delay is no 802.1AS neighbor; 0: gptp 800ns, else 20ms" },
	{ .key = "ports", .type = CFG_LIST, .offset = offsetof(S, ports), .count = offsetof(S, n_ports),
	  .size = sizeof(struct tsn_cfg_ptp_port), .max = 256, .elem = &ptp_port_elem,
	  .doc = "ports that run PTP" },
	{ .key = "options", .type = CFG_KV_MAP, .offset = offsetof(S, options), .count = offsetof(S, n_options),
	  .max = 256, .doc = "raw ptp4l [global] options, passed through" },
};
#undef S
static TABLE(ptp_table, "ptp", ptp_fields, NULL);

/* ---- classification ---- */
#define S struct tsn_cfg_prio_rule
static const struct cfg_field ethertype_rule_fields[] = {
	{ .key = "ethertype", .type = CFG_UINT, .offset = offsetof(S, match), .min = 0x600, .max = 0xffff,
	  .flags = CFG_F_REQUIRED | CFG_F_HEX, .doc = "EtherType" },
	{ .key = "priority", .type = CFG_UINT, .offset = offsetof(S, priority), .max = 7,
	  .flags = CFG_F_REQUIRED, .doc = "internal priority" },
};
static const struct cfg_field pcp_rule_fields[] = {
	{ .key = "pcp", .type = CFG_UINT, .offset = offsetof(S, match), .max = 7, .flags = CFG_F_REQUIRED,
	  .doc = "VLAN PCP" },
	{ .key = "priority", .type = CFG_UINT, .offset = offsetof(S, priority), .max = 7,
	  .flags = CFG_F_REQUIRED, .doc = "internal priority" },
};
static const struct cfg_field dscp_rule_fields[] = {
	{ .key = "dscp", .type = CFG_UINT, .offset = offsetof(S, match), .max = 63, .flags = CFG_F_REQUIRED,
	  .doc = "IPv6 DSCP" },
	{ .key = "priority", .type = CFG_UINT, .offset = offsetof(S, priority), .max = 7,
	  .flags = CFG_F_REQUIRED, .doc = "internal priority" },
};
#undef S
static TABLE(ethertype_rule_table, "ethertype rule", ethertype_rule_fields, NULL);
static TABLE(pcp_rule_table, "pcp rule", pcp_rule_fields, NULL);
static TABLE(dscp_rule_table, "dscp rule", dscp_rule_fields, NULL);
static const struct cfg_field ethertype_rule_elem = { .type = CFG_OBJECT, .sub = &ethertype_rule_table };
static const struct cfg_field pcp_rule_elem = { .type = CFG_OBJECT, .sub = &pcp_rule_table };
static const struct cfg_field dscp_rule_elem = { .type = CFG_OBJECT, .sub = &dscp_rule_table };

#define S struct tsn_cfg_classification
static const struct cfg_field classification_fields[] = {
	{ .key = "default-priority", .type = CFG_UINT, .offset = offsetof(S, default_priority), .max = 7,
	  .def = "0", .doc = "priority of frames no rule matches" },
	{ .key = "ethertype", .type = CFG_LIST, .offset = offsetof(S, ethertype), .count = offsetof(S, n_ethertype),
	  .size = sizeof(struct tsn_cfg_prio_rule), .max = 64, .elem = &ethertype_rule_elem,
	  .doc = "priority by EtherType" },
	{ .key = "pcp", .type = CFG_LIST, .offset = offsetof(S, pcp), .count = offsetof(S, n_pcp),
	  .size = sizeof(struct tsn_cfg_prio_rule), .max = 8, .elem = &pcp_rule_elem, .doc = "priority by VLAN PCP" },
	{ .key = "dscp", .type = CFG_LIST, .offset = offsetof(S, dscp), .count = offsetof(S, n_dscp),
	  .size = sizeof(struct tsn_cfg_prio_rule), .max = 64, .elem = &dscp_rule_elem,
	  .doc = "priority by IPv6 DSCP" },
};
#undef S
static TABLE(classification_table, "classification", classification_fields, NULL);

/* ---- streams ---- */
#define S struct tsn_cfg_stream
#define OPT(k, t, m, doc_) { .key = k, .type = t, .offset = offsetof(S, m), .present = offsetof(S, has_##m), \
			     .flags = CFG_F_OPTIONAL, .doc = doc_
static const struct cfg_field stream_fields[] = {
	{ .key = "id", .type = CFG_UINT, .offset = offsetof(S, id), .min = 1, .max = UINT32_MAX - 1,
	  .flags = CFG_F_REQUIRED, .doc = "stream handle, unique" },
	{ .key = "name", .type = CFG_STRING, .offset = offsetof(S, name), .size = TSN_NAME_MAX, .str = STR_NAME,
	  .def = "", .doc = "label shown by tsnctl" },
	{ .key = "identification", .type = CFG_ENUM, .offset = offsetof(S, identification), .names = tsn_stream_ident_names,
	  .flags = CFG_F_REQUIRED, .doc = "802.1CB stream identification function" },
	OPT("dst-mac", CFG_MAC, dst_mac, "destination MAC (dst-mac-vlan)") },
	OPT("src-mac", CFG_MAC, src_mac, "source MAC (src-mac-vlan)") },
	OPT("vlan", CFG_UINT, vlan, "VLAN id; absent: untagged (MAC kinds), any (ipv6)"), .max = 4094 },
	OPT("src", CFG_IPV6, src, "IPv6 source (ipv6)") },
	OPT("dst", CFG_IPV6, dst, "IPv6 destination (ipv6)") },
	OPT("dscp", CFG_UINT, dscp, "DSCP (ipv6)"), .max = 63 },
	OPT("next-header", CFG_UINT, next_header, "IPv6 next header, e.g. 17 (ipv6)"), .max = 255 },
	OPT("src-port", CFG_UINT, src_port, "UDP/TCP source port (ipv6)"), .max = 65535 },
	OPT("dst-port", CFG_UINT, dst_port, "UDP/TCP destination port (ipv6)"), .max = 65535 },
	{ .key = "priority", .type = CFG_UINT, .offset = offsetof(S, priority), .max = 7, .flags = CFG_F_REQUIRED,
	  .doc = "internal priority of the stream's frames" },
	{ .key = "filter", .type = CFG_STRING, .offset = offsetof(S, filter), .size = TSN_NAME_MAX, .str = STR_NAME,
	  .def = "", .doc = "stream filter name (\"\": none)" },
};
#undef OPT
#undef S
static TABLE(stream_table, "stream", stream_fields, cfg_check_stream);
static const struct cfg_field stream_elem = { .type = CFG_OBJECT, .sub = &stream_table };

/* ---- 802.1Qci ---- */
#define S struct tsn_cfg_stream_filter
static const struct cfg_field stream_filter_fields[] = {
	{ .key = "name", .type = CFG_STRING, .offset = offsetof(S, name), .size = TSN_NAME_MAX, .str = STR_NAME,
	  .flags = CFG_F_REQUIRED, .doc = "filter name, unique" },
	{ .key = "max-sdu", .type = CFG_UINT, .offset = offsetof(S, max_sdu), .max = 65535, .def = "0",
	  .doc = "largest frame in bytes, 0 = no limit" },
	{ .key = "meter", .type = CFG_STRING, .offset = offsetof(S, meter), .size = TSN_NAME_MAX, .str = STR_NAME,
	  .def = "", .doc = "flow meter name (\"\": none)" },
	{ .key = "gate", .type = CFG_STRING, .offset = offsetof(S, gate), .size = TSN_NAME_MAX, .str = STR_NAME,
	  .def = "", .doc = "stream gate name (\"\": none)" },
};
#undef S
static TABLE(stream_filter_table, "stream filter", stream_filter_fields, NULL);
static const struct cfg_field stream_filter_elem = { .type = CFG_OBJECT, .sub = &stream_filter_table };

#define S struct tsn_cfg_flow_meter
static const struct cfg_field flow_meter_fields[] = {
	{ .key = "name", .type = CFG_STRING, .offset = offsetof(S, name), .size = TSN_NAME_MAX, .str = STR_NAME,
	  .flags = CFG_F_REQUIRED, .doc = "meter name, unique" },
	{ .key = "cir", .type = CFG_RATE, .offset = offsetof(S, cir_bps), .min = 1, .flags = CFG_F_REQUIRED,
	  .doc = "committed information rate" },
	{ .key = "cbs", .type = CFG_SIZE, .offset = offsetof(S, cbs_bytes), .min = 64, .max = 1ull << 30,
	  .flags = CFG_F_REQUIRED, .doc = "committed burst size" },
	{ .key = "eir", .type = CFG_RATE, .offset = offsetof(S, eir_bps), .def = "0bit",
	  .doc = "excess information rate" },
	{ .key = "ebs", .type = CFG_SIZE, .offset = offsetof(S, ebs_bytes), .max = 1ull << 30, .def = "0B",
	  .doc = "excess burst size" },
	{ .key = "color-mode", .type = CFG_ENUM, .offset = offsetof(S, color_mode), .names = color_modes,
	  .def = "blind", .doc = "color-blind, or color-aware: a frame with its VLAN tag's DEI set arrives yellow" },
	{ .key = "coupling", .type = CFG_BOOL, .offset = offsetof(S, coupling), .def = "false",
	  .doc = "committed tokens that overflow cbs go to the excess bucket (MEF 10.3 CF)" },
	{ .key = "on-exceed", .type = CFG_ENUM, .offset = offsetof(S, on_exceed), .names = exceed_actions,
	  .def = "drop", .doc = "what happens to red frames" },
	{ .key = "demote-priority", .type = CFG_UINT, .offset = offsetof(S, demote_priority), .max = 7,
	  .def = "0", .doc = "priority given to demoted frames" },
};
#undef S
static TABLE(flow_meter_table, "flow meter", flow_meter_fields, cfg_check_flow_meter);
static const struct cfg_field flow_meter_elem = { .type = CFG_OBJECT, .sub = &flow_meter_table };

#define S struct tsn_cfg_sgate_entry
static const struct cfg_field sgate_entry_fields[] = {
	{ .key = "state", .type = CFG_ENUM, .offset = offsetof(S, state), .names = gate_states,
	  .flags = CFG_F_REQUIRED, .doc = "gate open or closed" },
	{ .key = "interval", .type = CFG_DURATION, .offset = offsetof(S, interval_ns), .min = 1, .max = UINT32_MAX,
	  .flags = CFG_F_REQUIRED, .doc = "how long this entry lasts" },
	{ .key = "priority", .type = CFG_UINT, .offset = offsetof(S, priority), .present = offsetof(S, has_priority),
	  .max = 7, .flags = CFG_F_OPTIONAL, .doc = "internal priority while open (absent: unchanged)" },
};
#undef S
static TABLE(sgate_entry_table, "stream gate entry", sgate_entry_fields, NULL);
static const struct cfg_field sgate_entry_elem = { .type = CFG_OBJECT, .sub = &sgate_entry_table };

#define S struct tsn_cfg_stream_gate
static const struct cfg_field stream_gate_fields[] = {
	{ .key = "name", .type = CFG_STRING, .offset = offsetof(S, name), .size = TSN_NAME_MAX, .str = STR_NAME,
	  .flags = CFG_F_REQUIRED, .doc = "gate name, unique" },
	{ .key = "clock", .type = CFG_ENUM, .offset = offsetof(S, clock), .names = tsn_clock_names, .def = "tai",
	  .doc = "clock of the gate schedule" },
	{ .key = "base-time", .type = CFG_BASE_TIME, .offset = offsetof(S, base_time_ns),
	  .present = offsetof(S, base_time_auto), .max = INT64_MAX, .def = "auto",
	  .doc = "auto, or absolute nanoseconds" },
	{ .key = "cycle-time", .type = CFG_DURATION, .offset = offsetof(S, cycle_time_ns), .max = INT64_MAX,
	  .def = "0ns", .doc = "0: the sum of the intervals" },
	{ .key = "entries", .type = CFG_LIST, .offset = offsetof(S, entries), .count = offsetof(S, n_entries),
	  .size = sizeof(struct tsn_cfg_sgate_entry), .max = 1024, .elem = &sgate_entry_elem,
	  .flags = CFG_F_REQUIRED, .doc = "gate control list" },
};
#undef S
static TABLE(stream_gate_table, "stream gate", stream_gate_fields, cfg_check_stream_gate);
static const struct cfg_field stream_gate_elem = { .type = CFG_OBJECT, .sub = &stream_gate_table };

/* ---- routes ---- */
#define S struct tsn_cfg_route
static const struct cfg_field route_fields[] = {
	{ .key = "prefix", .type = CFG_PREFIX, .offset = offsetof(S, prefix), .flags = CFG_F_REQUIRED,
	  .doc = "destination prefix" },
	{ .key = "via", .type = CFG_IPV6, .offset = offsetof(S, via), .present = offsetof(S, has_via),
	  .flags = CFG_F_OPTIONAL, .doc = "next hop (absent: directly connected)" },
	{ .key = "dev", .type = CFG_STRING, .offset = offsetof(S, dev), .size = IFNAMSIZ, .str = STR_IFNAME,
	  .flags = CFG_F_REQUIRED, .doc = "egress port (a configured port)" },
	{ .key = "metric", .type = CFG_UINT, .offset = offsetof(S, metric), .max = UINT32_MAX, .def = "1024",
	  .doc = "route metric" },
};
#undef S
static TABLE(route_table, "route", route_fields, cfg_check_route);
static const struct cfg_field route_elem = { .type = CFG_OBJECT, .sub = &route_table };

/* ---- bridge (802.1Q bridging, docs/bridge.md) ---- */
#define S struct tsn_cfg_bridge_vlan
static const struct cfg_field bridge_vlan_fields[] = {
	{ .key = "vid", .type = CFG_UINT, .offset = offsetof(S, vid), .min = 1, .max = 4094,
	  .flags = CFG_F_REQUIRED, .doc = "VLAN id the port is a member of" },
	{ .key = "untagged", .type = CFG_BOOL, .offset = offsetof(S, untagged), .def = "false",
	  .doc = "frames of this VLAN leave the port without a tag" },
};
#undef S
static TABLE(bridge_vlan_table, "bridge port VLAN", bridge_vlan_fields, NULL);
static const struct cfg_field bridge_vlan_elem = { .type = CFG_OBJECT, .sub = &bridge_vlan_table };
static const struct cfg_field bridge_pcp_elem = { .key = "pcp-map[]", .type = CFG_UINT, .max = 7 };

#define S struct tsn_cfg_bridge_port
static const struct cfg_field bridge_port_fields[] = {
	{ .key = "name", .type = CFG_STRING, .offset = offsetof(S, name), .size = IFNAMSIZ, .str = STR_IFNAME,
	  .flags = CFG_F_REQUIRED, .doc = "network interface enslaved to the bridge" },
	{ .key = "pvid", .type = CFG_UINT, .offset = offsetof(S, pvid), .max = 4094, .def = "0",
	  .doc = "VLAN of untagged frames received (one of vlans); 0: none, they are dropped with vlan-filtering" },
	{ .key = "default-priority", .type = CFG_UINT, .offset = offsetof(S, default_priority), .max = 7,
	  .def = "0", .doc = "priority of untagged frames received" },
	{ .key = "pcp-map", .type = CFG_LIST, .offset = offsetof(S, pcp_map), .count = offsetof(S, n_pcp_map),
	  .size = sizeof(uint32_t), .max = 8, .elem = &bridge_pcp_elem, .flags = CFG_F_INLINE,
	  .doc = "8 entries: priority of tagged frames with PCP 0..7 (absent: the PCP itself)" },
	{ .key = "vlans", .type = CFG_LIST, .offset = offsetof(S, vlans), .count = offsetof(S, n_vlans),
	  .size = sizeof(struct tsn_cfg_bridge_vlan), .max = 4094, .elem = &bridge_vlan_elem,
	  .doc = "VLAN membership (vlan-filtering only)" },
};
#undef S
static TABLE(bridge_port_table, "bridge port", bridge_port_fields, cfg_check_bridge_port);
static const struct cfg_field bridge_port_elem = { .type = CFG_OBJECT, .sub = &bridge_port_table };
static const struct cfg_field bridge_fdb_port_elem = { .key = "ports[]", .type = CFG_STRING, .size = IFNAMSIZ,
							.str = STR_IFNAME };

#define S struct tsn_cfg_bridge_fdb
static const struct cfg_field bridge_fdb_fields[] = {
	{ .key = "mac", .type = CFG_MAC, .offset = offsetof(S, mac), .flags = CFG_F_REQUIRED,
	  .doc = "destination MAC, unicast or multicast" },
	{ .key = "vid", .type = CFG_UINT, .offset = offsetof(S, vid), .max = 4094, .def = "0",
	  .doc = "VLAN id (1..4094 with vlan-filtering, else 0)" },
	{ .key = "ports", .type = CFG_LIST, .offset = offsetof(S, ports), .count = offsetof(S, n_ports),
	  .size = IFNAMSIZ, .max = TSN_BRIDGE_MAX_FDB_PORTS, .elem = &bridge_fdb_port_elem,
	  .flags = CFG_F_INLINE | CFG_F_REQUIRED,
	  .doc = "egress bridge ports: exactly one for a unicast MAC, one or more for a multicast one" },
};
#undef S
static TABLE(bridge_fdb_table, "bridge static entry", bridge_fdb_fields, cfg_check_bridge_fdb);
static const struct cfg_field bridge_fdb_elem = { .type = CFG_OBJECT, .sub = &bridge_fdb_table };

#define S struct tsn_cfg_bridge
static const struct cfg_field bridge_fields[] = {
	{ .key = "name", .type = CFG_STRING, .offset = offsetof(S, name), .size = IFNAMSIZ, .str = STR_IFNAME,
	  .flags = CFG_F_REQUIRED, .doc = "the Linux bridge tsnd creates, or adopts if it exists" },
	{ .key = "vlan-filtering", .type = CFG_BOOL, .offset = offsetof(S, vlan_filtering), .def = "false",
	  .doc = "802.1Q VLAN-aware bridging (VLAN membership, PVID, tagged/untagged egress)" },
	{ .key = "ageing-time", .type = CFG_UINT, .offset = offsetof(S, ageing_time_s), .min = 10, .max = 1000000,
	  .def = "300", .doc = "seconds a learnt entry lives (802.1Q allows 10 to 1000000)" },
	{ .key = "ports", .type = CFG_LIST, .offset = offsetof(S, ports), .count = offsetof(S, n_ports),
	  .size = sizeof(struct tsn_cfg_bridge_port), .max = 256, .elem = &bridge_port_elem,
	  .flags = CFG_F_REQUIRED, .doc = "bridged ports" },
	{ .key = "fdb", .type = CFG_LIST, .offset = offsetof(S, fdb), .count = offsetof(S, n_fdb),
	  .size = sizeof(struct tsn_cfg_bridge_fdb), .max = 65536, .elem = &bridge_fdb_elem,
	  .doc = "static filtering entries (MAC + VID to ports), the entries a CNC writes for streams" },
};
#undef S
static TABLE(bridge_table, "bridge", bridge_fields, cfg_check_bridge);
/* ---- frer (802.1CB, docs/frer.md) ---- */
#define S struct tsn_cfg_frer_path
static const struct cfg_field frer_path_fields[] = {
	{ .key = "port", .type = CFG_STRING, .offset = offsetof(S, port), .size = IFNAMSIZ, .str = STR_IFNAME,
	  .flags = CFG_F_REQUIRED, .doc = "egress port of this copy (a configured port)" },
	{ .key = "vlan", .type = CFG_UINT, .offset = offsetof(S, vlan), .present = offsetof(S, has_vlan), .min = 1,
	  .max = 4094, .flags = CFG_F_OPTIONAL, .doc = "VLAN of this copy (absent: the frame's own)" },
};
#undef S
static TABLE(frer_path_table, "frer path", frer_path_fields, NULL);
static const struct cfg_field frer_path_elem = { .type = CFG_OBJECT, .sub = &frer_path_table };

#define S struct tsn_cfg_frer_latent
static const struct cfg_field frer_latent_fields[] = {
	{ .key = "paths", .type = CFG_UINT, .offset = offsetof(S, paths), .min = 2, .max = 8, .def = "2",
	  .doc = "paths that should deliver each frame (frerSeqRcvyLatentErrorPaths)" },
	{ .key = "difference", .type = CFG_UINT, .offset = offsetof(S, difference), .max = UINT32_MAX, .def = "0",
	  .doc = "missing duplicates tolerated per period (frerSeqRcvyLatentErrorDifference)" },
	{ .key = "period", .type = CFG_DURATION, .offset = offsetof(S, period_ns), .min = 1000000ull,
	  .max = 3600000000000ull, .def = "2s", .doc = "test interval (frerSeqRcvyLatentErrorPeriod)" },
	{ .key = "reset-period", .type = CFG_DURATION, .offset = offsetof(S, reset_period_ns), .min = 1000000ull,
	  .max = 3600000000000ull, .def = "30s", .doc = "base taken anew (frerSeqRcvyLatentResetPeriod)" },
};
#undef S
static TABLE(frer_latent_table, "frer latent-error", frer_latent_fields, NULL);

#define S struct tsn_cfg_frer
static const struct cfg_field frer_fields[] = {
	{ .key = "stream", .type = CFG_STRING, .offset = offsetof(S, stream), .size = TSN_NAME_MAX, .str = STR_NAME,
	  .flags = CFG_F_REQUIRED, .doc = "a stream of `streams`, by name or id; one entry per stream" },
	{ .key = "role", .type = CFG_ENUM, .offset = offsetof(S, role), .names = frer_roles, .flags = CFG_F_REQUIRED,
	  .doc = "generator: number and tag; recovery: eliminate and untag; recovery-generator: both" },
	{ .key = "paths", .type = CFG_LIST, .offset = offsetof(S, paths), .count = offsetof(S, n_paths),
	  .size = sizeof(struct tsn_cfg_frer_path), .max = TSN_FRER_CFG_MAX_PATHS, .elem = &frer_path_elem,
	  .doc = "stream splitting: one copy per path, through the port's qdisc ([]: forwarded as usual)" },
	{ .key = "algorithm", .type = CFG_ENUM, .offset = offsetof(S, algorithm), .names = frer_algorithms,
	  .def = "vector", .doc = "recovery: VectorRecoveryAlgorithm or MatchRecoveryAlgorithm" },
	{ .key = "history", .type = CFG_UINT, .offset = offsetof(S, history), .min = 2, .max = 64, .def = "32",
	  .doc = "recovery, vector: frerSeqRcvyHistoryLength" },
	{ .key = "reset-timeout", .type = CFG_DURATION, .offset = offsetof(S, reset_timeout_ns),
	  .max = 3600000000000ull, .def = "1s", .doc = "recovery: reset after this long without a passed frame (0: never)" },
	{ .key = "individual-recovery", .type = CFG_BOOL, .offset = offsetof(S, individual_recovery),
	  .def = "false", .doc = "recovery: a recovery function per ingress port first" },
	{ .key = "take-no-sequence", .type = CFG_BOOL, .offset = offsetof(S, take_no_sequence), .def = "false",
	  .doc = "recovery: pass frames without R-TAG (frerSeqRcvyTakeNoSequence)" },
	{ .key = "latent-error", .type = CFG_OBJECT, .offset = offsetof(S, latent_error),
	  .present = offsetof(S, has_latent_error), .flags = CFG_F_OPTIONAL, .sub = &frer_latent_table,
	  .doc = "recovery: latent error detection" },
};
#undef S
static TABLE(frer_table, "frer", frer_fields, cfg_check_frer);
static const struct cfg_field frer_elem = { .type = CFG_OBJECT, .sub = &frer_table };

/* ---- dataplane, telemetry ---- */
#define S struct tsn_cfg_dataplane
static const struct cfg_field dataplane_fields[] = {
	{ .key = "pin-dir", .type = CFG_STRING, .offset = offsetof(S, pin_dir), .size = TSN_PATH_MAX,
	  .str = STR_PATH, .def = "/sys/fs/bpf/tsnd", .doc = "bpffs directory for the pinned maps and programs (\"\": none)" },
	{ .key = "keep-on-exit", .type = CFG_BOOL, .offset = offsetof(S, keep_on_exit), .def = "false",
	  .doc = "leave programs, pins and routes in place when tsnd stops" },
	{ .key = "fib-cache", .type = CFG_BOOL, .offset = offsetof(S, fib_cache), .def = "true",
	  .doc = "cache the fast path's FIB lookups (invalidated on every route, neighbour, link and address change)" },
};
#undef S
static TABLE(dataplane_table, "dataplane", dataplane_fields, NULL);

#define S struct tsn_cfg_telemetry
static const struct cfg_field telemetry_fields[] = {
	{ .key = "residence-time", .type = CFG_BOOL, .offset = offsetof(S, residence_time), .def = "false",
	  .doc = "measure residence time per class and stream, count gate-conformance violations (docs/telemetry.md)" },
	{ .key = "conformance-tolerance", .type = CFG_DURATION, .offset = offsetof(S, conformance_tolerance_ns),
	  .max = 1000000000ull, .def = "1us", .doc = "slack added to one maximum frame's wire time before a frame counts as sent while its gate was closed" },
	{ .key = "prometheus", .type = CFG_BOOL, .offset = offsetof(S, prometheus), .def = "false",
	  .doc = "serve metrics over HTTP" },
	{ .key = "prometheus-listen", .type = CFG_STRING, .offset = offsetof(S, prometheus_listen), .size = 64,
	  .str = STR_HOSTPORT, .def = "127.0.0.1:9464", .doc = "address:port of the metrics listener" },
};
#undef S
static TABLE(telemetry_table, "telemetry", telemetry_fields, cfg_check_telemetry);

/* ---- root ---- */
#define S struct tsn_config
#define SECTION(k, m, t, d) { .key = k, .type = CFG_OBJECT, .offset = offsetof(S, m), .sub = &t, .doc = d }
#define LIST(k, m, n, T, e, mx, d) { .key = k, .type = CFG_LIST, .offset = offsetof(S, m), .count = offsetof(S, n), \
				     .size = sizeof(T), .max = mx, .elem = &e, .doc = d }
static const struct cfg_field root_fields[] = {
	SECTION("daemon", daemon, daemon_table, "process settings"),
	SECTION("control", control, control_table, "control socket"),
	LIST("ports", ports, n_ports, struct tsn_cfg_port, port_elem, 256, "switch ports"),
	SECTION("ptp", ptp, ptp_table, "time synchronization (linuxptp)"),
	SECTION("classification", classification, classification_table, "default priority rules"),
	LIST("streams", streams, n_streams, struct tsn_cfg_stream, stream_elem, 65536, "identified streams"),
	LIST("stream-filters", stream_filters, n_stream_filters, struct tsn_cfg_stream_filter, stream_filter_elem,
	     4096, "802.1Qci stream filters"),
	LIST("flow-meters", flow_meters, n_flow_meters, struct tsn_cfg_flow_meter, flow_meter_elem, 4096,
	     "802.1Qci flow meters"),
	LIST("stream-gates", stream_gates, n_stream_gates, struct tsn_cfg_stream_gate, stream_gate_elem, 1024,
	     "802.1Qci stream gates"),
	LIST("routes", routes, n_routes, struct tsn_cfg_route, route_elem, 65536, "IPv6 routes"),
	{ .key = "bridge", .type = CFG_OBJECT, .offset = offsetof(S, bridge), .present = offsetof(S, bridge.enabled),
	  .flags = CFG_F_OPTIONAL, .sub = &bridge_table, .doc = "802.1Q bridging on the kernel's bridge (docs/bridge.md)" },
	LIST("frer", frer, n_frer, struct tsn_cfg_frer, frer_elem, 65536,
	     "802.1CB frame replication and elimination per stream"),
	SECTION("dataplane", dataplane, dataplane_table, "eBPF/XDP data plane"),
	SECTION("telemetry", telemetry, telemetry_table, "measurement"),
};
#undef S
const struct cfg_table tsn_cfg_root = { "tsnd.yaml", root_fields, N(root_fields), NULL };

const char *const *tsn_config_sections(size_t *count)
{
	/* The root rows' keys, collected once: a new section is never missed. */
	static const char *names[N(root_fields)];

	if (!names[0])
		for (size_t i = 0; i < N(root_fields); i++)
			names[i] = root_fields[i].key;
	*count = N(root_fields);
	return names;
}
