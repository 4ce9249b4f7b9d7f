/* SPDX-License-Identifier: GPL-2.0-only */
/* ptp_priv.h — the running PTP module's state, shared by its files and by no
 * one else (the public API is ptp.h):
 *   ptp.c          life cycle and the reload step (prepare, commit, abort);
 *   ptp_session.c  tsnd's management session with ptp4l (lib/pmc.c on a UDS);
 *   ptp_sync.c     the sync-state machine, the offset window, the kernel's TAI offset;
 *   ptp_status.c   `ptp.status` and the status summary.
 * ptp4l and phc2sys run under daemon/core/supervisor.c. */
#ifndef TSND_PTP_PRIV_H
#define TSND_PTP_PRIV_H

#include <net/if.h>

#include "ptp.h"
#include "supervisor.h"

struct pport {
	char name[IFNAMSIZ];
	int delay;			/* effective enum tsn_ptp_delay */
	uint16_t number;		/* PTP port number: config order, confirmed by PORT_PROPERTIES_NP */
	bool have_ds, have_props;
	bool npd_over;			/* measured peer delay above neighborPropDelayThresh (warned) */
	struct pmc_port_ds ds;
	struct pmc_port_props props;
};

struct sample {
	uint64_t t_ns;
	int64_t offset_ns;
};

struct req {
	uint16_t seq;
	uint16_t id;
	uint64_t sent_ns;
	bool open;
};

/* A generated file put in place by ptp_apply, with the one it replaced kept
 * beside it until ptp_commit (removed) or ptp_abort (put back). */
struct staged_file {
	char path[TSN_PATH_MAX];
	char tmp[TSN_PATH_MAX + 8];	/* <path>.new while it exists */
	char old[TSN_PATH_MAX + 8];	/* <path>.old: the replaced file */
	bool had_old;			/* there was a file at path */
	bool installed;			/* tmp was renamed to path */
};

/* A configuration prepared by ptp_apply, waiting for commit or abort. */
struct pending {
	bool enabled;
	struct ptp_plan plan;
	char *conf, *phc2sys_conf;
	char **ptp4l_argv, **phc2sys_argv;
	struct staged_file conf_file, phc2sys_file;
};

struct ptp {
	struct evloop *loop;
	struct pending *pending;

	/* configuration in force */
	bool enabled;
	bool free_running;
	int profile, transport, timestamping;
	uint32_t domain;
	unsigned transport_specific;
	int log_sync_interval;
	uint64_t lock_threshold_ns, lock_time_ns;
	uint64_t neighbor_thresh_ns;	/* ptp4l's neighborPropDelayThresh */
	char uds_address[TSN_SOCK_PATH_MAX];
	char client_path[TSN_SOCK_PATH_MAX];
	char conf_path[TSN_PATH_MAX];
	char *conf, *phc2sys_conf;	/* generated text in force */
	bool phc2sys_needed;
	struct pport *ports;
	size_t n_ports;

	struct sv_child ptp4l, phc2sys;

	/* management session */
	struct pmc_uds uds;
	struct ev_io *uds_io;
	struct ev_timer *poll_timer;
	uint16_t seq;
	struct pmc_port_id self;
	struct req reqs[32];
	size_t next_req;
	uint64_t session_start_ns;	/* when this ptp4l run began to be asked */
	uint64_t last_rx_ns;
	uint64_t sent, received, timeouts, rejected, notifications;
	char last_reject[128];
	bool sub_ok, sub_unsupported;
	uint64_t sub_confirmed_ns, sub_sent_ns;
	uint64_t renewals;

	/* what ptp4l told */
	bool have_dds, have_cds, have_pds, have_tp, have_ts;
	struct pmc_default_ds dds;
	struct pmc_current_ds cds;
	struct pmc_parent_ds pds;
	struct pmc_time_props tp;
	struct pmc_time_status ts;

	/* sync state */
	enum ptp_sync_state sync;
	char sync_reason[384];
	uint64_t sync_since_ns;
	time_t sync_since_wall;
	bool was_locked;
	bool streak;			/* every sample since streak_since within the threshold */
	uint64_t streak_since_ns;
	uint64_t last_sample_ns;
	int64_t last_ingress_ns;
	int64_t last_offset_ns;
	uint64_t unmeasured;		/* Syncs ptp4l took without a measurement */
	uint64_t last_unmeasured_ns;
	uint8_t sample_gm[8];
	bool have_sample_gm;
	struct sample window[PTP_WINDOW_MAX];
	size_t win_head, win_count;

	ptp_lock_fn lock_fn;
	void *lock_arg;
	bool test_running;		/* ptp_test_setup: pretend ptp4l runs */
};

/* ---- ptp_session.c ---- */

/* Forget what the session heard (a new ptp4l, or a new socket). */
void ptp_session_reset(struct ptp *p);
int ptp_session_open(struct ptp *p, char *err, size_t errlen);
void ptp_session_close(struct ptp *p);
/* The poll timer: GET every data set, renew the subscription. */
void ptp_session_on_poll(struct evloop *loop, void *arg);

/* ---- ptp_sync.c ---- */

bool ptp_ptp4l_running(const struct ptp *p);
/* Evaluate the sync state at now; logs and calls the lock listener on changes. */
void ptp_sync_evaluate(struct ptp *p, uint64_t now);
/* A TIME_STATUS_NP arrived: a new offset sample if its ingress time moved. */
void ptp_sync_take_sample(struct ptp *p, const struct pmc_time_status *ts, uint64_t now);
/* Whether a TIME_STATUS_NP sample holds a measurement (see ptp_sync.c). */
bool ptp_sync_sample_measured(bool have_cds, int64_t mean_path_delay_ns, int64_t master_offset_ns);
/* A PORT_DATA_SET arrived: warn once when its measured peer delay is above
 * neighborPropDelayThresh (ptp4l then never syncs through that port). */
void ptp_sync_check_peer_delay(struct ptp *p, struct pport *pp);
/* The time-properties data set arrived: keep the kernel's TAI offset in line. */
void ptp_sync_update_kernel_tai(struct ptp *p);
uint64_t ptp_sync_stale_after_ns(const struct ptp *p);
bool ptp_sync_self_grandmaster(const struct ptp *p);

#endif
