/* SPDX-License-Identifier: GPL-2.0-only */
/* config.h — tsnd's configuration: the in-memory model and the API to load,
 * validate, compare and print it.
 *
 * The YAML schema is declared once, as descriptor tables in lib/cfg_schema.c; the
 * parser, the printer, the comparer and docs/config.md all follow those tables.
 * Durations are kept in nanoseconds, rates in bit/s, sizes in bytes.
 */
#ifndef TSN_CONFIG_H
#define TSN_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>

#define TSN_MAX_TC 8			/* traffic classes per port (802.1Q) */
#define TSN_NUM_PRIO 16			/* entries in the priority -> class map */
#define TSN_NAME_MAX 32			/* names of streams, filters, meters, gates */
#define TSN_PATH_MAX 256
#define TSN_SOCK_PATH_MAX 108		/* sizeof(sun_path) */

#define TSN_DEFAULT_CONFIG "/etc/tsnd/tsnd.yaml"

/* ---- enumerations (names in the YAML are listed in cfg_schema.c) ---- */
enum tsn_xdp_mode { TSN_XDP_OFF, TSN_XDP_AUTO, TSN_XDP_NATIVE, TSN_XDP_GENERIC };
enum tsn_sched_mode { TSN_SCHED_SOFTWARE, TSN_SCHED_TXTIME_ASSIST, TSN_SCHED_FULL_OFFLOAD,
		      TSN_SCHED_MQPRIO /* no gate list: an mqprio root for shapers and etf */ };
enum tsn_clock { TSN_CLOCK_TAI, TSN_CLOCK_REALTIME, TSN_CLOCK_MONOTONIC, TSN_CLOCK_BOOTTIME };
enum tsn_gate_op { TSN_GATE_SET, TSN_GATE_SET_AND_HOLD, TSN_GATE_SET_AND_RELEASE };
enum tsn_unmatched_policy { TSN_UNMATCHED_PASS, TSN_UNMATCHED_DROP, TSN_UNMATCHED_DEMOTE };
enum tsn_acl_default { TSN_ACL_ALLOW, TSN_ACL_DENY };
enum tsn_ptp_profile { TSN_PTP_DEFAULT, TSN_PTP_GPTP };
enum tsn_ptp_transport { TSN_PTP_UDPV4, TSN_PTP_UDPV6, TSN_PTP_L2 };
enum tsn_ptp_delay { TSN_PTP_DELAY_AUTO, TSN_PTP_DELAY_E2E, TSN_PTP_DELAY_P2P };
enum tsn_ptp_tstamp { TSN_TSTAMP_AUTO, TSN_TSTAMP_HARDWARE, TSN_TSTAMP_SOFTWARE };
enum tsn_stream_ident { TSN_IDENT_DST_MAC_VLAN, TSN_IDENT_SRC_MAC_VLAN, TSN_IDENT_IPV6 };
enum tsn_color_mode { TSN_COLOR_BLIND, TSN_COLOR_AWARE };
enum tsn_exceed_action { TSN_EXCEED_DROP, TSN_EXCEED_DEMOTE };
enum tsn_gate_state { TSN_SGATE_CLOSED, TSN_SGATE_OPEN };

/* ---- daemon, control ---- */
struct tsn_cfg_daemon {
	int log_level;			/* enum tsn_log_level */
	int log_target;			/* enum tsn_log_target */
	char pid_file[TSN_PATH_MAX];
	char state_dir[TSN_PATH_MAX];	/* generated files (ptp4l.conf, ...) */
};

struct tsn_cfg_control {
	char socket[TSN_SOCK_PATH_MAX];
	uint32_t socket_mode;		/* file mode of the socket */
	char read_group[TSN_NAME_MAX];	/* empty: root only */
	char admin_group[TSN_NAME_MAX];	/* empty: root only */
	uint32_t max_request;		/* bytes */
	uint64_t timeout_ns;		/* a request must be complete within this */
	uint32_t max_clients;
	char audit_log[TSN_PATH_MAX];	/* empty: changes are audited to the log only */
};

/* ---- ports and gate schedules (802.1Qbv) ---- */
struct tsn_cfg_gate_entry {
	int op;				/* enum tsn_gate_op */
	uint32_t gates;			/* bit n = traffic class n open */
	uint64_t interval_ns;
};

struct tsn_cfg_queue_range {
	uint32_t count;
	uint32_t offset;
};

/* ---- credit-based shapers (802.1Qav) and launch time (etf); docs/shapers.md ---- */
#define TSN_SHAPER_DEFAULT_FRAME 1522	/* bytes: a full VLAN-tagged Ethernet frame */

struct tsn_cfg_shaper {
	uint32_t tc;			/* traffic class; it must have exactly one TX queue */
	bool has_idle_slope;
	uint64_t idle_slope_bps;	/* the reservation in bit/s ... */
	bool has_share;
	uint32_t share_pct;		/* ... or in percent of the link speed */
	uint64_t max_frame;		/* bytes: this class's largest frame (loCredit) */
	bool has_max_interference;
	uint64_t max_interference;	/* bytes (hiCredit); absent: derived, lib/shaper.c */
};

struct tsn_cfg_launch_time {
	uint32_t tc;			/* traffic class: an etf on each of its TX queues */
	uint64_t delta_ns;		/* etf's delta: how early before its launch time a frame is dequeued */
	int clock;			/* enum tsn_clock; etf takes tai only */
	bool deadline_mode;
	bool offload;
	bool skip_sock_check;
};

struct tsn_cfg_schedule {
	int mode;			/* enum tsn_sched_mode */
	int clock;			/* enum tsn_clock */
	uint32_t num_tc;
	uint32_t map[TSN_NUM_PRIO];	/* priority -> traffic class */
	size_t n_map;
	struct tsn_cfg_queue_range queues[TSN_MAX_TC];	/* traffic class -> TX queues */
	size_t n_queues;
	bool base_time_auto;
	int64_t base_time_ns;		/* absolute, on `clock`, when !base_time_auto */
	uint64_t base_time_lead_ns;	/* auto: at least this far in the future */
	uint64_t cycle_time_ns;		/* 0: the sum of the intervals */
	uint64_t cycle_time_extension_ns;
	uint64_t txtime_delay_ns;	/* txtime-assist only */
	bool require_sync;		/* hold until PTP is locked */
	bool link_recovery;		/* re-install after the port's link comes back */
	uint32_t max_sdu[TSN_MAX_TC];	/* per class, 0 = no limit */
	size_t n_max_sdu;
	struct tsn_cfg_gate_entry *entries;
	size_t n_entries;
	struct tsn_cfg_shaper *shapers;	/* 802.1Qav: cbs under the class's queue */
	size_t n_shapers;
	uint32_t shaper_limit_pct;	/* all reservations together: at most this share of the link */
	struct tsn_cfg_launch_time *launch_times;	/* etf under the class's queues */
	size_t n_launch_times;
};

struct tsn_cfg_mac {
	uint8_t addr[6];
};

struct tsn_cfg_prefix {
	struct in6_addr addr;
	uint32_t len;
};

struct tsn_cfg_acl {
	int default_action;		/* enum tsn_acl_default */
	struct tsn_cfg_mac *src_macs;
	size_t n_src_macs;
	struct tsn_cfg_prefix *prefixes;
	size_t n_prefixes;
	uint32_t *ethertypes;
	size_t n_ethertypes;
};

struct tsn_cfg_storm_guard {
	uint64_t broadcast_bps;		/* 0: no limit */
	uint64_t multicast_bps;
	uint64_t unknown_bps;
};

struct tsn_cfg_port {
	char name[IFNAMSIZ];
	uint32_t link_speed_mbps;	/* 0: read from the kernel */
	uint32_t link_speed_default_mbps;	/* when the kernel does not know either */
	int xdp;			/* enum tsn_xdp_mode */
	int unmatched_priority;		/* enum tsn_unmatched_policy */
	bool has_schedule;
	struct tsn_cfg_schedule schedule;
	bool has_acl;
	struct tsn_cfg_acl acl;
	bool has_storm_guard;
	struct tsn_cfg_storm_guard storm_guard;
};

/* ---- time sync (linuxptp) ---- */
struct tsn_cfg_ptp_port {
	char name[IFNAMSIZ];
	int delay_mechanism;		/* enum tsn_ptp_delay */
	int timestamping;		/* enum tsn_ptp_tstamp */
};

struct tsn_cfg_kv {
	char key[64];
	char value[128];
};

struct tsn_cfg_ptp {
	bool enabled;
	int profile;			/* enum tsn_ptp_profile */
	int transport;			/* enum tsn_ptp_transport */
	uint32_t domain;
	uint32_t priority1;
	uint32_t priority2;
	bool free_running;		/* never steer a clock (labs, tests) */
	char ptp4l[TSN_PATH_MAX];
	char phc2sys[TSN_PATH_MAX];
	char uds_address[TSN_SOCK_PATH_MAX];
	uint64_t lock_threshold_ns;	/* |offset| below this counts as locked */
	uint64_t lock_time_ns;		/* locked this long before schedules are released */
	uint64_t neighbor_prop_delay_thresh_ns;	/* 0: the profile's (ptp_config.c) */
	struct tsn_cfg_ptp_port *ports;
	size_t n_ports;
	struct tsn_cfg_kv *options;	/* raw ptp4l [global] options */
	size_t n_options;
};

/* ---- classification, streams (802.1CB identification), 802.1Qci ---- */
struct tsn_cfg_prio_rule {
	uint32_t match;			/* an EtherType, PCP or DSCP value */
	uint32_t priority;
};

struct tsn_cfg_classification {
	uint32_t default_priority;
	struct tsn_cfg_prio_rule *ethertype;
	size_t n_ethertype;
	struct tsn_cfg_prio_rule *pcp;
	size_t n_pcp;
	struct tsn_cfg_prio_rule *dscp;
	size_t n_dscp;
};

struct tsn_cfg_stream {
	uint32_t id;
	char name[TSN_NAME_MAX];
	int identification;		/* enum tsn_stream_ident */
	bool has_dst_mac, has_src_mac, has_vlan, has_src, has_dst, has_dscp,
	     has_next_header, has_src_port, has_dst_port;
	struct tsn_cfg_mac dst_mac;
	struct tsn_cfg_mac src_mac;
	uint32_t vlan;
	struct in6_addr src;
	struct in6_addr dst;
	uint32_t dscp;
	uint32_t next_header;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t priority;
	char filter[TSN_NAME_MAX];	/* empty: no stream filter */
};

struct tsn_cfg_stream_filter {
	char name[TSN_NAME_MAX];
	uint32_t max_sdu;		/* 0: no limit */
	char meter[TSN_NAME_MAX];
	char gate[TSN_NAME_MAX];
};

struct tsn_cfg_flow_meter {
	char name[TSN_NAME_MAX];
	uint64_t cir_bps;
	uint64_t cbs_bytes;
	uint64_t eir_bps;
	uint64_t ebs_bytes;
	int color_mode;			/* enum tsn_color_mode */
	bool coupling;			/* committed overflow feeds the excess bucket */
	int on_exceed;			/* enum tsn_exceed_action */
	uint32_t demote_priority;
};

struct tsn_cfg_sgate_entry {
	int state;			/* enum tsn_gate_state */
	uint64_t interval_ns;
	bool has_priority;
	uint32_t priority;		/* internal priority value while this entry is active */
};

struct tsn_cfg_stream_gate {
	char name[TSN_NAME_MAX];
	int clock;
	bool base_time_auto;
	int64_t base_time_ns;
	uint64_t cycle_time_ns;		/* 0: the sum of the intervals */
	struct tsn_cfg_sgate_entry *entries;
	size_t n_entries;
};

/* ---- IPv6 routes ---- */
struct tsn_cfg_route {
	struct tsn_cfg_prefix prefix;
	bool has_via;
	struct in6_addr via;
	char dev[IFNAMSIZ];
	uint32_t metric;
};

/* ---- 802.1Q bridging (docs/bridge.md) ---- */
#define TSN_BRIDGE_MAX_FDB_PORTS 8	/* egress ports of one static filtering entry */

struct tsn_cfg_bridge_vlan {
	uint32_t vid;			/* 1..4094 */
	bool untagged;			/* egress untagged on this port */
};

struct tsn_cfg_bridge_port {
	char name[IFNAMSIZ];
	uint32_t pvid;			/* VID given to untagged frames; 0: none (dropped) */
	uint32_t default_priority;	/* priority of untagged frames */
	uint32_t pcp_map[8];		/* tagged frames: PCP -> priority */
	struct tsn_cfg_bridge_vlan *vlans;
	size_t n_vlans;
	size_t n_pcp_map;		/* entries given in pcp_map (8 once checked) */
};

/* A static filtering entry (802.1Q 8.8.1): the entries a CNC writes for streams. */
struct tsn_cfg_bridge_fdb {
	struct tsn_cfg_mac mac;		/* unicast or multicast */
	uint32_t vid;			/* 0 on a bridge without VLAN filtering */
	char ports[TSN_BRIDGE_MAX_FDB_PORTS][IFNAMSIZ];
	size_t n_ports;
};

struct tsn_cfg_bridge {
	bool enabled;			/* the section is present */
	char name[IFNAMSIZ];		/* the Linux bridge tsnd creates or adopts */
	bool vlan_filtering;
	uint32_t ageing_time_s;
	struct tsn_cfg_bridge_port *ports;
	size_t n_ports;
	struct tsn_cfg_bridge_fdb *fdb;
	size_t n_fdb;
};

/* ---- FRER, IEEE 802.1CB (docs/frer.md) ---- */
#define TSN_FRER_CFG_MAX_PATHS 8	/* egress ports (and VLANs) of one stream's splitting */
#define TSN_FRER_CFG_HISTORY_DEFAULT 32	/* as the schema's default (cfg_schema.c) */
#define TSN_FRER_CFG_RESET_DEFAULT 1000000000ull

enum tsn_frer_role { TSN_FRER_ROLE_GENERATOR, TSN_FRER_ROLE_RECOVERY, TSN_FRER_ROLE_RECOVERY_GENERATOR };
enum tsn_frer_algorithm { TSN_FRER_ALG_CFG_VECTOR, TSN_FRER_ALG_CFG_MATCH };

struct tsn_cfg_frer_path {
	char port[IFNAMSIZ];		/* a configured port */
	bool has_vlan;
	uint32_t vlan;			/* absent: the frame's own VLAN */
};

struct tsn_cfg_frer_latent {
	uint32_t paths;			/* frerSeqRcvyLatentErrorPaths */
	uint32_t difference;		/* frerSeqRcvyLatentErrorDifference */
	uint64_t period_ns;		/* frerSeqRcvyLatentErrorPeriod */
	uint64_t reset_period_ns;	/* frerSeqRcvyLatentResetPeriod */
};

struct tsn_cfg_frer {
	char stream[TSN_NAME_MAX];	/* a stream's name, or its id in decimal */
	int role;			/* enum tsn_frer_role */
	struct tsn_cfg_frer_path *paths;	/* stream splitting: one copy each */
	size_t n_paths;
	int algorithm;			/* enum tsn_frer_algorithm */
	uint32_t history;		/* frerSeqRcvyHistoryLength, vector */
	uint64_t reset_timeout_ns;	/* frerSeqRcvyResetMSec; 0: none */
	bool individual_recovery;
	bool take_no_sequence;		/* frerSeqRcvyTakeNoSequence */
	bool has_latent_error;
	struct tsn_cfg_frer_latent latent_error;
};

/* ---- data plane, telemetry ---- */
struct tsn_cfg_dataplane {
	char pin_dir[TSN_PATH_MAX];
	bool keep_on_exit;		/* leave programs attached when tsnd stops */
	bool fib_cache;			/* the fast path caches FIB results (docs/dataplane.md) */
};

struct tsn_cfg_telemetry {
	bool residence_time;
	uint64_t conformance_tolerance_ns;
	bool prometheus;
	char prometheus_listen[64];	/* host:port; loopback by default */
};

struct cfg_index;

struct tsn_config {
	char source[TSN_PATH_MAX];	/* file it was read from */
	struct cfg_index *where;	/* line/column/path of every field (see tsn_config_report) */
	struct tsn_cfg_daemon daemon;
	struct tsn_cfg_control control;
	struct tsn_cfg_port *ports;
	size_t n_ports;
	struct tsn_cfg_ptp ptp;
	struct tsn_cfg_classification classification;
	struct tsn_cfg_stream *streams;
	size_t n_streams;
	struct tsn_cfg_stream_filter *stream_filters;
	size_t n_stream_filters;
	struct tsn_cfg_flow_meter *flow_meters;
	size_t n_flow_meters;
	struct tsn_cfg_stream_gate *stream_gates;
	size_t n_stream_gates;
	struct tsn_cfg_route *routes;
	size_t n_routes;
	struct tsn_cfg_bridge bridge;
	struct tsn_cfg_frer *frer;		/* FRER (802.1CB) per stream */
	size_t n_frer;
	struct tsn_cfg_dataplane dataplane;
	struct tsn_cfg_telemetry telemetry;
};

/* ---- diagnostics ---- */
enum tsn_diag_severity { TSN_DIAG_ERROR, TSN_DIAG_WARNING };

struct tsn_diag {
	enum tsn_diag_severity severity;
	unsigned line, column;		/* 1-based; 0 when not tied to a place */
	char path[160];			/* field path, e.g. ports[0].schedule.entries[2].interval */
	char message[256];
};

struct tsn_diags {
	char file[TSN_PATH_MAX];
	struct tsn_diag *items;
	size_t count, cap;
	size_t errors, warnings;
};

void tsn_diags_init(struct tsn_diags *d, const char *file);
void tsn_diags_free(struct tsn_diags *d);
void tsn_diags_add(struct tsn_diags *d, enum tsn_diag_severity sev, unsigned line,
		   unsigned column, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* "file:line:column: path: message" (warnings get "warning: " before the message). */
void tsn_diag_format(const struct tsn_diags *d, const struct tsn_diag *diag, char *buf, size_t len);
void tsn_diags_print(const struct tsn_diags *d, FILE *out);
/* [{"severity","file","line","column","path","message"}, ...] */
json_object *tsn_diags_to_json(const struct tsn_diags *d);

/* ---- loading ---- */

/* Parse and validate YAML text.  Returns a new config, or NULL if there were
 * errors; every error and warning is added to diags (all of them, not only the
 * first).  `name` is used in messages. */
struct tsn_config *tsn_config_parse(const char *text, size_t len, const char *name,
				    struct tsn_diags *diags);
/* Read and parse a file. */
struct tsn_config *tsn_config_load(const char *path, struct tsn_diags *diags);
/* A config holding only defaults (no file). */
struct tsn_config *tsn_config_defaults(void);
void tsn_config_free(struct tsn_config *cfg);

/* The top-level section keys in schema (YAML) order, from the schema itself. */
const char *const *tsn_config_sections(size_t *count);

/* The schema's names of an enum's values, indexed by the C enum (NULL-terminated):
 * the one spelling for messages and JSON as for the YAML file. */
extern const char *const tsn_xdp_mode_names[];		/* enum tsn_xdp_mode */
extern const char *const tsn_clock_names[];		/* enum tsn_clock */
extern const char *const tsn_stream_ident_names[];	/* enum tsn_stream_ident */

/* Deep comparison of two configs, or of one section (see tsn_config_section_equal). */
bool tsn_config_equal(const struct tsn_config *a, const struct tsn_config *b);
/* Compare one top-level section by its YAML key ("ports", "ptp", "control", ...).
 * Subsystems use this on reload to touch only what changed. */
bool tsn_config_section_equal(const struct tsn_config *a, const struct tsn_config *b,
			      const char *section);
/* Compare one member of two ports by its YAML key ("schedule", "acl", ...), as
 * tsn_config_equal would; false for a key the ports table does not have. */
bool tsn_config_port_member_equal(const struct tsn_cfg_port *a, const struct tsn_cfg_port *b,
				  const char *key);

/* The normalized config: every field with its effective value, canonical units. */
json_object *tsn_config_to_json(const struct tsn_config *cfg);
/* Normalized YAML (same content as to_json); malloc'd string. */
char *tsn_config_to_yaml(const struct tsn_config *cfg);

/* Add a diagnostic at the place in the file where `field` (the address of a member
 * of cfg) was written; if it was not written (a default), at the object holding it.
 * For checks made outside the parser, e.g. against what the kernel reports. */
void tsn_config_report(const struct tsn_config *cfg, struct tsn_diags *diags,
		       enum tsn_diag_severity sev, const void *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The stream a `frer:` entry names (by name, else by decimal id), or NULL. */
const struct tsn_cfg_stream *tsn_config_frer_stream(const struct tsn_config *cfg, const struct tsn_cfg_frer *f);
/* Per stream (index in cfg->streams): true if a `frer:` entry names it.  malloc'd;
 * NULL when there is none (or out of memory). */
bool *tsn_config_frer_marks(const struct tsn_config *cfg);
/* Per `frer:` entry, the index of its stream in cfg->streams (-1: none).  malloc'd;
 * NULL if out of memory.  O(n log n). */
long *tsn_config_frer_resolve(const struct tsn_config *cfg);

/* Find a port by name, or NULL. */
const struct tsn_cfg_port *tsn_config_port(const struct tsn_config *cfg, const char *name);

/* Write the schema reference (Markdown table per section) for docs/config.md. */
void tsn_config_schema_markdown(FILE *out);

#endif
