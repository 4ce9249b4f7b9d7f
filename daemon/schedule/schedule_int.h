/* SPDX-License-Identifier: GPL-2.0-only */
/* schedule_int.h — what the schedule_*.c files share and no other module sees:
 * the subsystem's state, the per-port states, and small helpers.
 *
 *   schedule.c        life cycle, per-port state, helpers
 *   schedule_check.c  validation against the port (schedule_check.h)
 *   schedule_kview.c  the kernel's qdiscs from one dump, desired taprio, diff
 *   schedule_apply.c  the transaction across ports, the time-sync hook
 *   schedule_watch.c  read back and drift: refresh, RTNLGRP_TC, polling
 *   schedule_json.c   schedule.show and the status figures
 */
#ifndef TSND_SCHEDULE_INT_H
#define TSND_SCHEDULE_INT_H

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schedule.h"
#include "schedule_kview.h"
#include "qdisc_nl.h"
#include "taprio_nl.h"

struct ev_io;
struct ev_timer;
struct nlio;
struct nlio_mon;

#define MIN_FRAME_WIRE 84		/* bytes: 64 B frame + 8 B preamble + 12 B inter-frame gap */
#define FRAME_OVERHEAD_WIRE 38		/* bytes around an SDU: 14 header + 4 FCS + 8 preamble + 12 gap */
#define VLAN_TAG_BYTES 4
#define ASSUMED_MTU 1500		/* for a port that does not exist on this host */
#define KERNEL_MIN_FRAME 60		/* taprio's shortest interval: ETH_ZLEN byte times */
#define KERNEL_DEFAULT_MBPS 10		/* taprio's speed when the driver reports none */
#define KERNEL_CYCLE_MAX 2147483647ll	/* taprio's cycle arithmetic is 32-bit (ns) */
#define NOTIFY_ENTRIES_MAX 80		/* entries a one-page notification holds */
#define POLL_INTERVAL_NS (10ull * 1000000000ull)
#define MAX_DRIFT_ITEMS 16
#define NLM_REPLACE (NLM_F_CREATE | NLM_F_REPLACE)

/* SCHED_UNREAD: the kernel's qdisc dump did not list the port's root although
 * the device is up: a qdisc too large to dump (on this port or one dumped
 * before it) ended the dump early.  Nothing is known, so nothing is changed. */
enum sched_state { SCHED_APPLIED, SCHED_HELD, SCHED_DRIFT, SCHED_ERROR, SCHED_UNREAD, SCHED_N_STATES };

struct strlist {
	char **v;
	size_t n;		/* kept (at most MAX_DRIFT_ITEMS) */
	size_t total;		/* found */
};

/* One port with a configured schedule. */
struct sched_port {
	char name[IFNAMSIZ];
	int ifindex;
	enum sched_state state;
	char message[1024];
	bool tracked;			/* `expected` is what tsnd put in the kernel */
	struct taprio_qdisc expected;
	/* The cbs and etf qdiscs tsnd put under its taprio (docs/shapers.md), by queue. */
	struct child_qdisc children[TSN_ETF_MAX];
	size_t n_children;
	struct strlist drift;
	bool drift_logged;
	/* The root the port had before tsnd's taprio, to give back when its schedule
	 * goes away; NULL: the kernel's default (handle 0), or not known (tsnd
	 * adopted a taprio left by an earlier run). */
	struct snapshot *before;
	/* Link watch (RTNLGRP_LINK): the last carrier state seen, and the
	 * re-installations after the link came back (schedule_apply.c). */
	bool link_known, link_up, recover;
	uint64_t recoveries;
	char last_recovery[160];
};

struct txn;

/* A port's root qdisc (and the visible qdiscs under it) as dumped: what a
 * rollback, a removed schedule and a shutdown put back. */
struct snapshot {
	unsigned char *root;		/* raw RTM_NEWQDISC, NULL: none listed */
	unsigned char **children;
	size_t n_children;
	struct taprio_qdisc root_q;	/* root decoded without gate lists (kind, handle, layout) */
};

void sched_snapshot_free(struct snapshot *sn);
/* A deep copy in a new allocation; NULL if out of memory. */
struct snapshot *sched_snapshot_dup(const struct snapshot *sn);

struct schedules {
	struct evloop *loop;
	struct nlio *nl;			/* requests and dumps */
	struct nlio_mon *mon;		/* RTNLGRP_TC notifications */
	struct ev_io *mon_io;
	struct ev_timer *poll;		/* backstop for lists too long to be notified */
	struct sched_port *ports;
	size_t n_ports;
	const struct tsn_config *cfg;	/* committed */
	struct txn *txn;		/* applied, not yet committed */
	schedule_sync_fn sync;
	void *sync_arg;
	bool recheck;			/* a rollback ran: compare on the next notification */
	uint64_t recoveries;		/* of every port, also of ports since removed */
};

extern const char *const sched_state_names[];

/* ---- helpers (schedule.c) ---- */

/* Keep a formatted item (at most MAX_DRIFT_ITEMS; all are counted). */
void sched_sl_add(struct strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sched_sl_free(struct strlist *l);
/* "a; b; c (and 3 more)" */
void sched_sl_join(const struct strlist *l, char *buf, size_t len);
bool sched_sl_equal(const struct strlist *a, const struct strlist *b);
const char *sched_dur(uint64_t ns, char *buf, size_t len);
int sched_clock_id(int clock);
int sched_read_clock(int clock, int64_t *now);
uint64_t sched_intervals_sum(const struct tsn_cfg_schedule *s);
uint64_t sched_effective_cycle(const struct tsn_cfg_schedule *s);
/* Nanoseconds to send `bytes` at `mbps` Mbit/s, rounded up. */
uint64_t sched_wire_ns(uint64_t bytes, uint32_t mbps);
bool sched_is_held(const struct schedules *s, const struct tsn_cfg_port *cp);

/* ---- per-port state (schedule.c) ---- */

void sched_port_clear(struct sched_port *p);
void sched_ports_free(struct sched_port *ports, size_t n);
struct sched_port *sched_find_port(struct sched_port *ports, size_t n, const char *name);
int sched_port_copy(struct sched_port *next, const struct sched_port *prev);
int sched_port_track(struct sched_port *p, const struct taprio_qdisc *want);
/* Compare the port's kernel root with what tsnd applied; update state and drift. */
void sched_port_check(struct sched_port *p, const struct kroot *r);
/* The same with the whole view: a port the dump could not list is "unreadable". */
void sched_port_check_in(struct sched_port *p, struct kview *kv);

/* The cbs and etf qdiscs port cp asks for under tsnd's taprio, by queue (out has
 * room for TSN_ETF_MAX); the shapers are computed at the configured link speed,
 * else the driver's, else link-speed-default.  0, or -1 with err. */
int sched_desired_children(const struct tsn_cfg_port *cp, int ifindex, struct child_qdisc *out, size_t *n,
			   char *err, size_t errlen);
/* Each difference of the port's children in the kernel (r) from `want`, into out. */
void sched_diff_children(const struct child_qdisc *want, size_t n, const struct kroot *r, struct strlist *out);

/* ---- drift watch (schedule_watch.c) ---- */

void sched_refresh_with(struct schedules *s, struct kview *kv);
void sched_on_monitor(struct evloop *loop, int fd, uint32_t events, void *arg);
void sched_on_poll(struct evloop *loop, void *arg);
void sched_poll_update(struct schedules *s);

/* Re-install the schedule of every port marked `recover` (its link came back)
 * at a fresh base time, one small transaction per port (schedule_apply.c). */
void sched_recover_links(struct schedules *s);

#endif
