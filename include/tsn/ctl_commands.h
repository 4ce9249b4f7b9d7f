/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_commands.h — the one table of control commands.
 *
 * Every row names a command once: its id (enum tsn_ctl_cmd), the stem of its
 * functions (tsnd's cmd_<fn>, tsnctl's render_<fn>), its wire name, the rights
 * it needs, its arguments and its one-line summary.  The protocol
 * (lib/ctl_proto.c), tsnd's handlers (daemon/ctl_handlers.c), tsnctl's verbs
 * (cli/tsnctl.c) and its renderers (cli/output.c) are all built from it, so a
 * command without a handler or a renderer does not compile.
 *
 * The wire name "object.verb" is also tsnctl's `tsnctl object verb`; tsnctl
 * lists its few exceptions itself.  Names and order are part of the protocol's
 * "unknown command" message: add rows, do not rename them. */
#ifndef TSN_CTL_COMMANDS_H
#define TSN_CTL_COMMANDS_H

/*  X(ID,             fn,             "name",          access,        args,        "summary") */
#define TSN_CTL_COMMANDS(X)                                                                      \
	X(HELLO,          hello,          "hello",          TSN_CTL_READ,  ARGS_NONE,   \
	  "protocol and daemon version")                                                         \
	X(STATUS,         status,         "status",         TSN_CTL_READ,  ARGS_NONE,   \
	  "daemon, configuration, ports and subsystems at a glance")                             \
	X(CONFIG_SHOW,    config_show,    "config.show",    TSN_CTL_READ,  ARGS_SHOW,   \
	  "the running configuration as normalized YAML")                                        \
	X(CONFIG_CHECK,   config_check,   "config.check",   TSN_CTL_READ,  ARGS_CHECK,  \
	  "validate the configuration file on disk, or a configuration text")                    \
	X(CONFIG_RELOAD,  config_reload,  "config.reload",  TSN_CTL_ADMIN, ARGS_NONE,   \
	  "load tsnd's configuration file, all or nothing")                                      \
	X(CONFIG_APPLY,   config_apply,   "config.apply",   TSN_CTL_ADMIN, ARGS_APPLY,  \
	  "apply FILE, all or nothing; T: undone unless confirmed")                              \
	X(CONFIG_CONFIRM, config_confirm, "config.confirm", TSN_CTL_ADMIN, ARGS_NONE,   \
	  "keep what 'config apply --confirm-within' applied, write the file")                   \
	X(CONFIG_CANCEL,  config_cancel,  "config.cancel",  TSN_CTL_ADMIN, ARGS_NONE,   \
	  "roll back what 'config apply --confirm-within' applied")                              \
	X(PORT_SHOW,      port_show,      "port.show",      TSN_CTL_READ,  ARGS_DEV,    \
	  "configured ports: link state, queues, qdisc, XDP")                                    \
	X(SCHEDULE_SHOW,  schedule_show,  "schedule.show",  TSN_CTL_READ,  ARGS_DEV,    \
	  "gate schedules: configured, in the kernel (oper, admin), drift")                      \
	X(PTP_STATUS,     ptp_status,     "ptp.status",     TSN_CTL_READ,  ARGS_NONE,   \
	  "time sync: sync state, grandmaster, offsets, ports, ptp4l")                           \
	X(STREAM_SHOW,    stream_show,    "stream.show",    TSN_CTL_READ,  ARGS_ID,     \
	  "identified streams (802.1CB): match, priority, counters")                             \
	X(CLASS_STATS,    class_stats,    "class.stats",    TSN_CTL_READ,  ARGS_DEV,    \
	  "per port and traffic class: packets, bytes, drops")                                   \
	X(ROUTE_SHOW,     route_show,     "route.show",     TSN_CTL_READ,  ARGS_NONE,   \
	  "configured IPv6 routes and whether the kernel has them")                              \
	X(FILTER_SHOW,    filter_show,    "filter.show",    TSN_CTL_READ,  ARGS_NAME,   \
	  "stream filters (802.1Qci): max SDU, meter, counters")                                 \
	X(LATENCY_SHOW,   latency_show,   "latency.show",   TSN_CTL_READ,  ARGS_LATENCY, \
	  "residence time: min, mean, max, p50, p99, p99.9")                                     \
	X(LATENCY_RESET,  latency_reset,  "latency.reset",  TSN_CTL_ADMIN, ARGS_NONE,   \
	  "zero the residence-time histograms and conformance counters")                         \
	X(BRIDGE_SHOW,    bridge_show,    "bridge.show",    TSN_CTL_READ,  ARGS_NONE,   \
	  "802.1Q bridge: settings, ports, VLANs as the kernel has them, drift")                 \
	X(FDB_SHOW,       fdb_show,       "fdb.show",       TSN_CTL_READ,  ARGS_NONE,   \
	  "the bridge's filtering entries: static and learnt, fast-path counters")               \
	X(FRER_SHOW,      frer_show,      "frer.show",      TSN_CTL_READ,  ARGS_ID,     \
	  "FRER (802.1CB): roles, sequence numbers, 802.1CB counters per stream and port")

enum tsn_ctl_cmd {
#define TSN_CTL_CMD_ENUM(id, fn, name, access, args, summary) TSN_CMD_##id,
	TSN_CTL_COMMANDS(TSN_CTL_CMD_ENUM)
#undef TSN_CTL_CMD_ENUM
	TSN_CMD_COUNT
};

/* What an argument's value is; both ends check it the same way. */
enum tsn_ctl_arg_type {
	TSN_ARG_DEV,		/* string, 1 to IFNAMSIZ - 1 bytes */
	TSN_ARG_STREAM_ID,	/* integer 1 .. 4294967294 */
	TSN_ARG_CLASS,		/* integer 0 .. 7 */
	TSN_ARG_NAME,		/* string, 1 to TSN_NAME_MAX - 1 bytes (tsn/config.h) */
	TSN_ARG_CONFIG,		/* a configuration text; tsnctl reads it from FILE */
	TSN_ARG_MS,		/* integer milliseconds; tsnctl takes a duration 1ms .. 1h */
	TSN_ARG_FLAG,		/* true; tsnctl: the flag alone, without a value */
};

/* One argument of one command: its wire name and how tsnctl spells it. */
struct tsn_ctl_arg {
	const char *name;	/* key in "args" */
	enum tsn_ctl_arg_type type;
	const char *meta;	/* tsnctl's placeholder: DEV, ID, N, FILE, T */
	const char *flag;	/* tsnctl: "--class" takes the next word; NULL: positional */
	const char *keyword;	/* tsnctl: optional word before the value ("dev DEV", "class N") */
	const char *what;	/* in tsnd's messages: "an interface name" */
	unsigned required : 1;	/* the command is refused without it */
	unsigned alone : 1;	/* excludes every other argument */
};


#endif
