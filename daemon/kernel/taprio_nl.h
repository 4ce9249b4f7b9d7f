/* SPDX-License-Identifier: GPL-2.0-only */
/* taprio_nl.h — taprio qdiscs over route netlink.
 *
 * libnl has no taprio object, so the messages are built and read here with its
 * message and attribute API:
 *
 *   RTM_NEWQDISC / RTM_DELQDISC / RTM_GETQDISC  struct tcmsg
 *     TCA_KIND     "taprio"
 *     TCA_OPTIONS  TCA_TAPRIO_ATTR_PRIOMAP (struct tc_mqprio_qopt), CLOCKID (s32),
 *                  FLAGS (u32), TXTIME_DELAY (u32), TC_ENTRY nests {INDEX, MAX_SDU},
 *                  the schedule: SCHED_BASE_TIME, SCHED_CYCLE_TIME,
 *                  SCHED_CYCLE_TIME_EXTENSION (s64), SCHED_ENTRY_LIST nest of
 *                  SCHED_ENTRY nests {INDEX u32, CMD u8, GATE_MASK u32, INTERVAL u32},
 *                  and in dumps only ADMIN_SCHED, a nest holding a second schedule
 *                  (the one that takes over at its base time).
 *
 * The module also replays a dumped qdisc of any kind, which the schedule
 * transaction uses to put back what a port had.  Requests, acks and dumps go
 * through nlio (nlio.h).  docs/schedules.md maps config fields to these attributes.
 */
#ifndef TSND_TAPRIO_NL_H
#define TSND_TAPRIO_NL_H

#include <linux/pkt_sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

struct nl_msg;
struct nlmsghdr;

/* The handle tsnd gives its taprio qdiscs: 7473: ("ts" in ASCII).  It lies below
 * the kernel's automatic handles (8000: and up) and is unusual for people to pick,
 * so "root qdisc taprio 7473:" means "put there by tsnd".  Pass the same one to
 * tc (`handle 7473:`) to get identical `tc qdisc show` output. */
#define TSND_TAPRIO_HANDLE 0x74730000u

/* Traffic classes the kernel keeps (and dumps) per-class data for. */
#define TAPRIO_TC_MAX TC_QOPT_MAX_QUEUE

struct taprio_entry {
	uint32_t index;		/* position in the list (the kernel numbers them itself) */
	uint8_t cmd;		/* TC_TAPRIO_CMD_SET_GATES, _SET_AND_HOLD, _SET_AND_RELEASE */
	uint32_t gate_mask;	/* bit n: traffic class n open */
	uint32_t interval;	/* ns */
};

/* One gate control list with its timing (the "oper" attributes at the top of
 * TCA_OPTIONS, or the ADMIN_SCHED nest). */
struct taprio_sched {
	bool has_base_time, has_cycle_time, has_cycle_time_extension, has_entries;
	int64_t base_time;
	int64_t cycle_time;
	int64_t cycle_time_extension;
	struct taprio_entry *entries;	/* malloc'd */
	size_t n_entries;
};

/* One qdisc message.  `kind` is any qdisc's; the taprio fields are filled for
 * kind "taprio" only.  has_* say whether an attribute is (to be) present. */
struct taprio_qdisc {
	int ifindex;
	uint32_t handle;
	uint32_t parent;
	char kind[32];

	bool has_priomap;
	struct tc_mqprio_qopt priomap;
	bool has_clockid;
	int32_t clockid;
	bool has_flags;
	uint32_t flags;
	bool has_txtime_delay;
	uint32_t txtime_delay;
	uint32_t max_sdu_set;		/* bit tc: a TC_ENTRY for class tc */
	uint32_t max_sdu[TAPRIO_TC_MAX];

	struct taprio_sched oper;	/* the schedule at the top level */
	bool has_admin;
	struct taprio_sched admin;	/* ADMIN_SCHED (dumps) */
};

/* Bytes of one encoded schedule entry, and the most TCA_OPTIONS may hold: a
 * netlink attribute's length is 16 bits, so a list of more than about 1800
 * entries cannot reach the kernel at all. */
#define TAPRIO_ENTRY_SIZE 36
#define TAPRIO_OPTIONS_MAX 65535u

/* Free the entry lists and zero *q. */
void taprio_qdisc_clear(struct taprio_qdisc *q);
/* Deep copy (entry lists included).  0 or -ENOMEM. */
int taprio_qdisc_copy(struct taprio_qdisc *dst, const struct taprio_qdisc *src);

/* Size of the TCA_OPTIONS attribute taprio_build writes for q. */
size_t taprio_options_size(const struct taprio_qdisc *q);

/* The longest message a qdisc dump can carry: the kernel fills each dump part
 * into one skb of at most SKB_WITH_OVERHEAD(32768) bytes (net/netlink/af_netlink.c:
 * netlink_recvmsg caps the socket's max_recvmsg_len there, netlink_dump allocates
 * that much), i.e. 32 KiB less the cache-aligned struct skb_shared_info (320 bytes
 * on x86-64).  A qdisc whose message is longer does not fit even an empty part:
 * tc_dump_qdisc then returns 0 and the dump ends early without an error, so
 * neither that qdisc nor any qdisc of a later device is listed. */
#define QDISC_DUMP_MSG_MAX 32448u

/* Bytes of the RTM_NEWQDISC message the kernel (Linux 6.1, x86-64) dumps for a
 * taprio like q whose operational list has n_oper entries and, with has_admin,
 * a pending admin list of n_admin: header, kind, options (the priority map, the
 * clock, flags, txtime delay, all 16 per-class max-SDU nests, each list with its
 * three times), the hardware-offload flag and the statistics.  Measured in the
 * kernel lab (tests/kernel-lab/guest/tests/test_long_list.sh). */
size_t taprio_dump_size(const struct taprio_qdisc *q, size_t n_oper, bool has_admin, size_t n_admin);

/* Build an RTM_NEWQDISC (or RTM_DELQDISC, which carries only the tcmsg and kind)
 * with nlmsg flags `flags` (NLM_F_CREATE, NLM_F_REPLACE, ...; NLM_F_REQUEST and
 * NLM_F_ACK are added when it is sent).  NULL if out of memory or if the options
 * exceed TAPRIO_OPTIONS_MAX. */
struct nl_msg *taprio_build(int type, int flags, const struct taprio_qdisc *q);

/* Read an RTM_NEWQDISC or RTM_DELQDISC message: the tcmsg, the kind and, for
 * taprio, every option.  0, or -EINVAL with the reason in err (a truncated or
 * malformed message).  On success the caller clears *q. */
/* Write a parse error's reason into err and return -EINVAL (taprio_nl.c and
 * qdisc_nl.c report malformed kernel messages the same way). */
__attribute__((format(printf, 3, 4)))
int qdisc_parse_error(char *err, size_t errlen, const char *fmt, ...);

int taprio_parse(const struct nlmsghdr *nlh, struct taprio_qdisc *q, char *err, size_t errlen);

/* The same without the gate control lists (oper and admin keep their times;
 * entries stay empty, has_entries false): what deciding between the change path
 * and a new root needs.  Decoding a long list costs more than the decision. */
int taprio_parse_layout(const struct nlmsghdr *nlh, struct taprio_qdisc *q, char *err, size_t errlen);

/* An RTM_NEWQDISC that re-creates the dumped qdisc `nlh` (any kind) with the same
 * ifindex, handle, parent, kind and options.  A dumped taprio is rebuilt from its
 * decoded options with its newest schedule (admin, else oper) as the one to run;
 * other kinds get their TCA_OPTIONS back byte for byte.  NULL on error (err). */
struct nl_msg *qdisc_replay_msg(const struct nlmsghdr *nlh, int flags, char *err, size_t errlen);

struct nlio;

/* Put back a dumped root qdisc (RTM_NEWQDISC with NLM_F_CREATE | NLM_F_REPLACE)
 * and then the visible qdiscs that were under it, each once its parent qdisc is
 * back.  0 when the root is back: *lost counts children that could not return
 * (their parent class is gone, as under htb, or the kernel refused; each is
 * logged).  A negative errno, with the kernel's message in ext, when the root
 * itself is refused. */
int qdisc_tree_replay(struct nlio *t, const struct nlmsghdr *root, const struct nlmsghdr *const *children,
		      size_t n_children, size_t *lost, char *ext, size_t extlen);

/* Names: "tai", "realtime", "monotonic", "boottime" for a clockid, NULL for others. */
const char *taprio_clock_name(int32_t clockid);
/* "set-gates", "set-and-hold", "set-and-release", or "cmd-N". */
const char *taprio_cmd_name(uint8_t cmd, char *buf, size_t len);
/* "7473:", "1:", "8001:a", "0:" — as tc prints handles. */
char *tc_handle_format(uint32_t handle, char *buf, size_t len);

/* The "kernel" object of schedule.show (docs/control-protocol.md):
 * {"kind","handle","num_tc","map","queues","clockid","flags","txtime_delay_ns",
 *  "max_sdu","oper","admin"}. */
json_object *taprio_to_json(const struct taprio_qdisc *q);
/* {"base_time_ns","cycle_time_ns","cycle_time_extension_ns","entries":[...]}. */
json_object *taprio_sched_to_json(const struct taprio_sched *s);

#endif
