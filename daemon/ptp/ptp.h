/* SPDX-License-Identifier: GPL-2.0-only */
/* ptp.h — time synchronisation: tsnd runs linuxptp and reads its state itself.
 *
 * The module's public API, in parts (docs/ptp.md):
 *   - configuration (ptp_config.c): checks against the system (timestamping
 *     capabilities read from the kernel, ptp4l's own option parser), the
 *     gate-window rule for PTP frames, and the generated ptp4l.conf / phc2sys
 *     command line;
 *   - life cycle and the reload step (ptp.c): ptp4l (and phc2sys where a port
 *     has a PTP hardware clock) run as children of tsnd under the generic
 *     supervisor (supervisor.c): output to tsnd's log, restarts with back-off,
 *     stopped when tsnd stops;
 *   - the management session (ptp_session.c): tsnd's own client (lib/pmc.c)
 *     polls ptp4l's data sets and subscribes to its notifications;
 *   - the sync-state machine (ptp_sync.c): an offset window and the lock events
 *     that hold gate schedules (ptp_locked_for, ptp_set_lock_callback);
 *   - the status (ptp_status.c): `ptp.status` and the summary.
 * ptp_priv.h holds the running state those files share.
 */
#ifndef TSND_PTP_H
#define TSND_PTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json.h>

#include "tsn/config.h"
#include "tsn/pmc.h"

struct evloop;
struct ptp;

enum ptp_sync_state {
	PTP_SYNC_DISABLED,	/* ptp.enabled is false */
	PTP_SYNC_FAULT,		/* ptp4l down or not answering, or a port FAULTY */
	PTP_SYNC_FREE_RUNNING,	/* follows no master and was never locked, or is the grandmaster */
	PTP_SYNC_LOCKING,	/* follows a master, not (yet) within the threshold for lock-time */
	PTP_SYNC_LOCKED,	/* |offset| < lock-threshold for lock-time, samples fresh */
	PTP_SYNC_HOLDOVER,	/* was locked; now no fresh sample or no master to follow */
};

/* Timing of the supervision (passed to supervisor.c) and the management
 * session (docs/ptp.md). */
#define PTP_POLL_NS		1000000000ull	/* GET of every data set */
#define PTP_REQUEST_TIMEOUT_NS	1000000000ull	/* an unanswered request counts as a timeout */
#define PTP_MGMT_DEAD_NS	5000000000ull	/* no answer this long: fault */
#define PTP_SUBSCRIBE_S		60		/* SUBSCRIBE_EVENTS_NP duration */
#define PTP_RENEW_NS		20000000000ull	/* renewed every third of it */
#define PTP_WINDOW_NS		60000000000ull	/* offset statistics window */
#define PTP_WINDOW_MAX		1024		/* samples kept in it at most */
#define PTP_STALE_INTERVALS	4		/* sync intervals without a sample: stale */
#define PTP_STALE_MIN_NS	3000000000ull	/* ... but never less than this */
#define PTP_BACKOFF_MIN_NS	1000000000ull	/* first restart delay */
#define PTP_BACKOFF_MAX_NS	60000000000ull	/* doubling up to this */
#define PTP_STABLE_NS		60000000000ull	/* a run this long resets the back-off */
#define PTP_STOP_GRACE_NS	3000000000ull	/* SIGTERM, then SIGKILL after this */

/* ---- configuration (ptp_config.c; nothing here keeps running state) ---- */

/* What the kernel says about a port's timestamping (ETHTOOL_GET_TS_INFO). */
struct ptp_port_caps {
	bool known;		/* the ioctl answered */
	bool hardware;		/* TX, RX and raw hardware stamps and a PHC */
	bool software;		/* TX and RX software stamps */
	int phc_index;		/* -1: no PTP hardware clock */
	int err;		/* errno when !known */
};

/* Everything the generated files depend on besides the config itself. */
struct ptp_plan {
	int timestamping;			/* TSN_TSTAMP_HARDWARE or TSN_TSTAMP_SOFTWARE */
	struct ptp_port_caps *caps;		/* per cfg->ptp.ports[i] */
	size_t n_caps;
	bool ro_supported;			/* this ptp4l knows uds_ro_address */
	bool phc2sys;				/* run phc2sys */
	int log_sync_interval;			/* effective logSyncInterval */
	unsigned transport_specific;		/* effective transportSpecific */
	char conf_path[TSN_PATH_MAX];		/* <state-dir>/ptp4l.conf */
	char phc2sys_conf_path[TSN_PATH_MAX];	/* <state-dir>/phc2sys.conf */
	char ro_address[TSN_SOCK_PATH_MAX];	/* <uds-address>.ro */
	char client_path[TSN_SOCK_PATH_MAX];	/* <state-dir>/tsnd-pmc.sock: tsnd's own end */
};

/* Read a port's timestamping capabilities from the kernel. */
void ptp_port_caps_read(const char *ifname, struct ptp_port_caps *caps);

/* Decide the plan for cfg: read capabilities, probe ptp4l, resolve the
 * timestamping mode.  Problems go to diags (may be NULL) at the field they
 * concern.  Returns false if an error was found.  ptp_plan_free releases it. */
bool ptp_plan_build(const struct tsn_config *cfg, struct ptp_plan *plan, struct tsn_diags *diags);
void ptp_plan_free(struct ptp_plan *plan);

/* The ptp4l.conf text for cfg under plan (malloc'd; NULL if out of memory). */
char *ptp_render_ptp4l(const struct tsn_config *cfg, const struct ptp_plan *plan);
/* The phc2sys.conf text (malloc'd). */
char *ptp_render_phc2sys(const struct tsn_config *cfg, const struct ptp_plan *plan);
/* NULL-terminated argument vectors (free with sv_argv_free, supervisor.h). */
char **ptp_ptp4l_argv(const struct tsn_config *cfg, const struct ptp_plan *plan);
char **ptp_phc2sys_argv(const struct tsn_config *cfg, const struct ptp_plan *plan);

/* The checks of tsnd_config_prepare: the plan (capabilities, ptp4l options,
 * paths) and the gate-window rule.  Returns false if an error was added. */
bool ptp_config_check(const struct tsn_config *cfg, struct tsn_diags *diags);

/* Warn, at the schedule's entries, for every PTP port whose gate schedule does
 * not open the traffic class that carries PTP (EtherType 0x88f7 ->
 * classification priority -> the schedule's map) at least once per sync
 * interval.  Called by ptp_config_check. */
void ptp_check_schedule_windows(const struct tsn_config *cfg, struct tsn_diags *diags);
/* The priority PTP frames get (the EtherType 0x88f7 rule in effect: configured,
 * else built-in; else the default priority) and the effective sync interval in ns. */
uint32_t ptp_frame_priority(const struct tsn_config *cfg);
uint64_t ptp_sync_interval_ns(const struct tsn_config *cfg);
/* The longest stretch (ns) in one cycle of `s` during which traffic class `tc`
 * is closed, counted around the cycle's end; the cycle time if it never opens. */
uint64_t ptp_longest_closed_ns(const struct tsn_cfg_schedule *s, uint32_t tc);

/* Effective settings (ptp.options win over the profile's). */
int ptp_effective_log_sync(const struct tsn_cfg_ptp *ptp);		/* logSyncInterval */
unsigned ptp_effective_transport_specific(const struct tsn_cfg_ptp *ptp);
/* neighborPropDelayThresh in force, ns: ptp.options, ptp.neighbor-prop-delay-thresh,
 * then the profile's (gptp 800, linuxptp's 20 ms otherwise). */
uint64_t ptp_effective_neighbor_thresh_ns(const struct tsn_cfg_ptp *ptp);
int ptp_effective_delay(const struct tsn_cfg_ptp *ptp, const struct tsn_cfg_ptp_port *port);
const char *ptp_transport_name(int transport);			/* "UDPv4", "UDPv6", "L2" */
uint64_t ptp_log_interval_ns(int log_interval);			/* 2^n seconds in ns */

/* ---- running (ptp.c, ptp_session.c, ptp_sync.c, ptp_status.c) ---- */

struct ptp *ptp_new(struct evloop *loop);
/* Stops the children (SIGTERM, SIGKILL after PTP_STOP_GRACE_NS) and closes the
 * management session. */
void ptp_free(struct ptp *p);

/* A reload step.  ptp_apply (the apply half) does what can fail — binaries,
 * state directory, the new ptp4l.conf/phc2sys.conf written and renamed into
 * place, the replaced files kept as <file>.old — and changes nothing that runs
 * (ptp4l read its file when it started); 0 or -1 with a message naming the file
 * and the reason.  ptp_commit puts the new configuration in force (restarting
 * ptp4l/phc2sys if their generated configuration changed, or if they were
 * stopped) and drops the .old copies; it cannot fail.  ptp_abort puts the old
 * files back and forgets the prepared configuration. */
int ptp_apply(struct ptp *p, const struct tsn_config *cfg, char *err, size_t errlen);
void ptp_commit(struct ptp *p, const struct tsn_config *cfg);
void ptp_abort(struct ptp *p);

/* SIGCHLD arrived: reap the children that ended (only tsnd's own). */
void ptp_on_sigchld(struct ptp *p);

/* `ptp.status` data, and the summary in status.subsystems.ptp. */
json_object *ptp_status_json(const struct ptp *p);
json_object *ptp_summary_json(const struct ptp *p);

/* ---- for the schedule engine ---- */

enum ptp_sync_state ptp_sync_state(const struct ptp *p);
const char *ptp_sync_state_name(enum ptp_sync_state s);
/* True if the offset has stayed within lock-threshold for at least `ns` up to
 * now with fresh samples from a master (ptp_locked_for(p, lock-time) is the
 * "locked" state).  False when PTP is disabled. */
bool ptp_locked_for(const struct ptp *p, uint64_t ns);
/* ptp_locked_for(p, ptp.lock-time): what `require-sync` waits for. */
bool ptp_locked(const struct ptp *p);
/* TAI - UTC in seconds as PTP announces it, if the grandmaster marks it valid
 * (TIME_PROPERTIES_DATA_SET currentUtcOffsetValid).  false otherwise. */
bool ptp_tai_utc_offset(const struct ptp *p, int *seconds);

/* The kernel's TAI offset (CLOCK_TAI - CLOCK_REALTIME, what taprio and the stream
 * gates run on).  ptp4l steering CLOCK_REALTIME does not set it (phc2sys does, where
 * it runs), so tsnd does: when its ptp4l steers the system clock itself (not
 * free-running, no phc2sys), PTP is locked and the grandmaster marks the UTC offset
 * valid.  Returns the offset to set, or -1 to leave the kernel as it is.  Pure: the
 * caller passes the kernel's current offset (adjtimex). */
int ptp_kernel_tai_to_set(bool ptp4l_steers_system_clock, bool locked, bool utc_offset_valid,
			  int utc_offset, int kernel_tai);
/* Called when the sync state enters LOCKED (locked true) and when it leaves
 * it (false).  One listener; NULL removes it. */
typedef void (*ptp_lock_fn)(void *arg, bool locked);
void ptp_set_lock_callback(struct ptp *p, ptp_lock_fn fn, void *arg);

/* ---- for tests ---- */

/* Process one datagram as if it came from ptp4l at monotonic time now_ns. */
void ptp_handle_datagram(struct ptp *p, const uint8_t *buf, size_t len, uint64_t now_ns);
/* Re-evaluate the sync state at now_ns. */
void ptp_evaluate(struct ptp *p, uint64_t now_ns);
/* Configure the state machine from cfg without starting anything, and
 * pretend ptp4l runs (for the state-machine tests). */
void ptp_test_setup(struct ptp *p, const struct tsn_config *cfg, bool ptp4l_running);

#endif
