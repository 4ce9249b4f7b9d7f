/* SPDX-License-Identifier: GPL-2.0-only */
/* ptp_sync.c — the sync-state machine (disabled, fault, free-running, locking,
 * locked, holdover; docs/ptp.md), fed by the management session: the offset
 * samples, their window, the lock events for the schedule engine, and the
 * kernel's TAI offset while tsnd's ptp4l steers the system clock. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include "evloop.h"
#include "ptp_priv.h"
#include "tsn/log.h"
#include "tsn/units.h"

bool ptp_ptp4l_running(const struct ptp *p)
{
	return p->test_running || p->ptp4l.state == SV_RUNNING;
}

static void window_add(struct ptp *p, uint64_t now, int64_t offset)
{
	size_t cap = PTP_WINDOW_MAX;
	p->window[(p->win_head + p->win_count) % cap] = (struct sample){ now, offset };
	if (p->win_count < cap)
		p->win_count++;
	else
		p->win_head = (p->win_head + 1) % cap;
}

static void window_expire(struct ptp *p, uint64_t now)
{
	while (p->win_count && now - p->window[p->win_head].t_ns > PTP_WINDOW_NS) {
		p->win_head = (p->win_head + 1) % PTP_WINDOW_MAX;
		p->win_count--;
	}
}

static uint64_t abs64(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* Did ptp4l measure anything with this Sync?  ptp4l sets TIME_STATUS_NP's
 * ingress_time on every Sync it takes, but computes master_offset only once its
 * delay filter holds a path delay (an answered Delay_Req or Pdelay_Req); until
 * then master_offset keeps its start value 0, and so does CURRENT_DATA_SET's
 * meanPathDelay, which ptp4l sets from the same measurement.  That is the case
 * for about a second after every ptp4l start, and for good when the master
 * never answers (a P2P master next to an E2E port, or the reverse).  A real
 * measurement gives both exactly 0 ns practically never, so: offset 0 counts
 * only beside a known non-zero path delay. */
bool ptp_sync_sample_measured(bool have_cds, int64_t mean_path_delay_ns, int64_t master_offset_ns)
{
	return master_offset_ns != 0 || (have_cds && mean_path_delay_ns != 0);
}

/* A new offset sample (a TIME_STATUS_NP whose ingress time moved). */
void ptp_sync_take_sample(struct ptp *p, const struct pmc_time_status *ts, uint64_t now)
{
	char id[24];

	if (!ts->gm_present || ts->ingress_time_ns == 0 || ts->ingress_time_ns == p->last_ingress_ns)
		return;
	p->last_ingress_ns = ts->ingress_time_ns;
	/* The CURRENT_DATA_SET of the same poll arrives before TIME_STATUS_NP. */
	if (!ptp_sync_sample_measured(p->have_cds, p->have_cds ? pmc_scaled_ns(p->cds.delay_scaled) : 0,
				      ts->master_offset_ns)) {
		/* Sync came, but nothing was measured: neither a sample nor in the threshold. */
		p->unmeasured++;
		p->last_unmeasured_ns = now;
		p->streak = false;
		return;
	}
	if (!p->have_sample_gm || memcmp(p->sample_gm, ts->gm_id, 8) != 0) {
		/* A new grandmaster: its offsets start a new window and a new lock. */
		if (p->have_sample_gm)
			log_notice("ptp: grandmaster is now %s", pmc_clock_id_str(ts->gm_id, id, sizeof(id)));
		memcpy(p->sample_gm, ts->gm_id, 8);
		p->have_sample_gm = true;
		p->win_count = p->win_head = 0;
		p->streak = false;
	}
	p->last_sample_ns = now;
	p->last_offset_ns = ts->master_offset_ns;
	window_add(p, now, ts->master_offset_ns);
	if (abs64(ts->master_offset_ns) < p->lock_threshold_ns) {
		if (!p->streak) {
			p->streak = true;
			p->streak_since_ns = now;
		}
	} else {
		p->streak = false;
	}
}

/* PORT_DATA_SET's delayMechanism: 2 is P2P. */
#define PMC_DELAY_P2P 2

/* The peer delay of a P2P port that ptp4l measured and judges too long, in ns; 0
 * if none.  Above neighborPropDelayThresh ptp4l declares the neighbor not
 * 802.1AS-capable and takes no time from it (software timestamps on veth measure
 * 1-3 us against gptp's 800 ns). */
static int64_t peer_delay_over(const struct ptp *p, const struct pport *pp)
{
	if (!pp->have_ds || pp->ds.delay_mechanism != PMC_DELAY_P2P)
		return 0;
	int64_t d = pmc_scaled_ns(pp->ds.peer_delay_scaled);
	return d > 0 && (uint64_t)d > p->neighbor_thresh_ns ? d : 0;
}

void ptp_sync_check_peer_delay(struct ptp *p, struct pport *pp)
{
	char a[48], b[48];
	int64_t d = peer_delay_over(p, pp);

	if (d && !pp->npd_over) {
		tsn_format_duration((uint64_t)d, a, sizeof(a));
		tsn_format_duration(p->neighbor_thresh_ns, b, sizeof(b));
		log_warn("ptp: port %s: measured peer delay %s is above neighborPropDelayThresh %s: ptp4l "
			 "takes no time through this port; raise ptp.neighbor-prop-delay-thresh if the link "
			 "is right (software timestamps measure microseconds)", pp->name, a, b);
	} else if (!d && pp->npd_over && pp->have_ds) {
		log_info("ptp: port %s: peer delay within neighborPropDelayThresh again", pp->name);
	}
	pp->npd_over = d != 0;
}

/* " (port X: measured peer delay D is above neighborPropDelayThresh T ...)" for
 * the first such port, or "". */
static void peer_delay_note(const struct ptp *p, char *out, size_t len)
{
	char a[48], b[48];

	out[0] = '\0';
	for (size_t i = 0; i < p->n_ports; i++) {
		int64_t d = peer_delay_over(p, &p->ports[i]);
		if (!d)
			continue;
		tsn_format_duration((uint64_t)d, a, sizeof(a));
		tsn_format_duration(p->neighbor_thresh_ns, b, sizeof(b));
		snprintf(out, len, "; port %s: measured peer delay %s is above neighborPropDelayThresh %s, "
			 "so ptp4l takes no time through it (ptp.neighbor-prop-delay-thresh)", p->ports[i].name, a, b);
		return;
	}
}

/* ====================================================================== */
/* Sync state                                                             */
/* ====================================================================== */

const char *ptp_sync_state_name(enum ptp_sync_state s)
{
	switch (s) {
	case PTP_SYNC_DISABLED: return "disabled";
	case PTP_SYNC_FAULT: return "fault";
	case PTP_SYNC_FREE_RUNNING: return "free-running";
	case PTP_SYNC_LOCKING: return "locking";
	case PTP_SYNC_LOCKED: return "locked";
	case PTP_SYNC_HOLDOVER: return "holdover";
	}
	return "unknown";
}

uint64_t ptp_sync_stale_after_ns(const struct ptp *p)
{
	uint64_t n = PTP_STALE_INTERVALS * ptp_log_interval_ns(p->log_sync_interval);
	return n > PTP_STALE_MIN_NS ? n : PTP_STALE_MIN_NS;
}

static bool port_follows(const struct pport *pp)
{
	/* UNCALIBRATED: the servo has not locked yet; under free_running ptp4l's
	 * servo never runs, and the port stays UNCALIBRATED while it measures. */
	return pp->have_ds && (pp->ds.state == PMC_PS_SLAVE || pp->ds.state == PMC_PS_UNCALIBRATED);
}

static bool following(const struct ptp *p)
{
	for (size_t i = 0; i < p->n_ports; i++)
		if (port_follows(&p->ports[i]))
			return true;
	return false;
}

static bool fresh(const struct ptp *p, uint64_t now)
{
	return p->last_sample_ns && now - p->last_sample_ns <= ptp_sync_stale_after_ns(p);
}

bool ptp_sync_self_grandmaster(const struct ptp *p)
{
	return p->have_dds && p->have_pds && memcmp(p->dds.clock_id, p->pds.gm_id, 8) == 0;
}

/* The delay mechanism of the following port (PORT_DATA_SET's delayMechanism:
 * 1 E2E, 2 P2P), for the messages above. */
static const char *delay_mechanism_name(const struct ptp *p)
{
	for (size_t i = 0; i < p->n_ports; i++)
		if (port_follows(&p->ports[i]))
			return p->ports[i].ds.delay_mechanism == 2 ? "Pdelay_Req" : "Delay_Req";
	return "delay";
}

static enum ptp_sync_state decide(struct ptp *p, uint64_t now, char *why, size_t len)
{
	char a[48], b[48];

	if (!p->enabled) {
		snprintf(why, len, "ptp.enabled is false");
		return PTP_SYNC_DISABLED;
	}
	if (!ptp_ptp4l_running(p)) {
		if (p->ptp4l.state == SV_BACKOFF)
			snprintf(why, len, "ptp4l is not running (%s; restart in %llus)",
				 p->ptp4l.has_exit ? p->ptp4l.last_exit : "start failed",
				 (unsigned long long)((p->ptp4l.restart_at_ns > now ? p->ptp4l.restart_at_ns - now
										    : 0) / 1000000000ull));
		else
			snprintf(why, len, "ptp4l is %s", sv_child_state_name(&p->ptp4l));
		return PTP_SYNC_FAULT;
	}
	uint64_t heard = p->last_rx_ns > p->session_start_ns ? p->last_rx_ns : p->session_start_ns;
	uint64_t silent = now > heard ? now - heard : 0;
	if (silent > PTP_MGMT_DEAD_NS) {
		snprintf(why, len, "ptp4l does not answer on %s (for %llus)", p->uds_address,
			 (unsigned long long)(silent / 1000000000ull));
		return PTP_SYNC_FAULT;
	}
	for (size_t i = 0; i < p->n_ports; i++)
		if (p->ports[i].have_ds && p->ports[i].ds.state == PMC_PS_FAULTY) {
			snprintf(why, len, "port %s is FAULTY", p->ports[i].name);
			return PTP_SYNC_FAULT;
		}
	bool follow = following(p), is_fresh = fresh(p, now);
	if (!follow || !is_fresh)
		p->streak = false;
	if (follow && is_fresh) {
		tsn_format_duration(p->lock_threshold_ns, a, sizeof(a));
		tsn_format_duration(p->lock_time_ns, b, sizeof(b));
		if (p->streak && now - p->streak_since_ns >= p->lock_time_ns) {
			snprintf(why, len, "|offset| below %s for at least %s", a, b);
			return PTP_SYNC_LOCKED;
		}
		if (p->streak)
			snprintf(why, len, "|offset| below %s for %llus of the lock-time %s", a,
				 (unsigned long long)((now - p->streak_since_ns) / 1000000000ull), b);
		else if (abs64(p->last_offset_ns) >= p->lock_threshold_ns)
			snprintf(why, len, "offset %" PRId64 "ns is not below the lock-threshold %s",
				 p->last_offset_ns, a);
		else
			snprintf(why, len, "waiting for the next Sync sample");
		return PTP_SYNC_LOCKING;
	}
	if (follow) {
		/* A port follows a master, but no fresh sample came. */
		if (p->last_unmeasured_ns > p->last_sample_ns && now - p->last_unmeasured_ns <= ptp_sync_stale_after_ns(p))
			snprintf(why, len, "Sync messages arrive, but ptp4l has measured no path delay "
				 "(offset and mean path delay 0: no answer to its %s requests; does the master use "
				 "the same delay mechanism?)", delay_mechanism_name(p));
		else if (!p->last_sample_ns)
			snprintf(why, len, "waiting for Sync messages from the master");
		else
			snprintf(why, len, "no Sync sample for %llus",
				 (unsigned long long)((now - p->last_sample_ns) / 1000000000ull));
		return p->was_locked ? PTP_SYNC_HOLDOVER : PTP_SYNC_LOCKING;
	}
	char note[256];
	peer_delay_note(p, note, sizeof(note));
	if (ptp_sync_self_grandmaster(p)) {
		p->was_locked = false;
		snprintf(why, len, "this clock is the grandmaster%s", note);
		return PTP_SYNC_FREE_RUNNING;
	}
	if (p->was_locked) {
		snprintf(why, len, "no port follows a master%s", note);
		return PTP_SYNC_HOLDOVER;
	}
	snprintf(why, len, "no master to follow%s", note);
	return PTP_SYNC_FREE_RUNNING;
}

void ptp_sync_evaluate(struct ptp *p, uint64_t now)
{
	char why[sizeof(p->sync_reason)], gm[24];

	window_expire(p, now);
	enum ptp_sync_state s = decide(p, now, why, sizeof(why));
	enum ptp_sync_state old = p->sync;
	snprintf(p->sync_reason, sizeof(p->sync_reason), "%s", why);
	if (s == old)
		return;
	p->sync = s;
	p->sync_since_ns = now;
	p->sync_since_wall = time(NULL);
	if (s == PTP_SYNC_LOCKED) {
		p->was_locked = true;
		log_notice("ptp: locked to grandmaster %s: %s (offset now %" PRId64 "ns)",
			   p->have_sample_gm ? pmc_clock_id_str(p->sample_gm, gm, sizeof(gm)) : "?", why,
			   p->last_offset_ns);
	} else if (old == PTP_SYNC_LOCKED) {
		log_warn("ptp: lost sync, now %s: %s", ptp_sync_state_name(s), why);
	} else if (s == PTP_SYNC_FAULT) {
		log_warn("ptp: fault: %s", why);
	} else {
		log_info("ptp: sync state %s: %s", ptp_sync_state_name(s), why);
	}
	if ((s == PTP_SYNC_LOCKED || old == PTP_SYNC_LOCKED) && p->lock_fn)
		p->lock_fn(p->lock_arg, s == PTP_SYNC_LOCKED);
}

void ptp_evaluate(struct ptp *p, uint64_t now_ns)
{
	ptp_sync_evaluate(p, now_ns);
}

enum ptp_sync_state ptp_sync_state(const struct ptp *p)
{
	return p ? p->sync : PTP_SYNC_DISABLED;
}

bool ptp_locked_for(const struct ptp *p, uint64_t ns)
{
	uint64_t now = evloop_now_ns();

	if (!p || !p->enabled || p->sync == PTP_SYNC_FAULT || !ptp_ptp4l_running(p))
		return false;
	return following(p) && fresh(p, now) && p->streak && now - p->streak_since_ns >= ns;
}

bool ptp_locked(const struct ptp *p)
{
	return p && ptp_locked_for(p, p->lock_time_ns);
}

bool ptp_tai_utc_offset(const struct ptp *p, int *seconds)
{
	if (!p || !p->enabled || !p->have_tp || !(p->tp.flags & PMC_TP_UTC_OFF_VALID))
		return false;
	*seconds = p->tp.utc_offset;
	return true;
}

int ptp_kernel_tai_to_set(bool ptp4l_steers_system_clock, bool locked, bool utc_offset_valid,
			  int utc_offset, int kernel_tai)
{
	/* 0 is not a real TAI-UTC offset (37 s since 2017); a value far off is a
	 * misconfigured grandmaster, not something to push into the kernel. */
	if (!ptp4l_steers_system_clock || !locked || !utc_offset_valid || utc_offset < 1 || utc_offset > 100)
		return -1;
	return utc_offset == kernel_tai ? -1 : utc_offset;
}

/* Called when the time-properties data set arrives: keep the kernel's TAI offset
 * equal to what the grandmaster announces (see ptp_kernel_tai_to_set). */
void ptp_sync_update_kernel_tai(struct ptp *p)
{
	struct timex tx = { .modes = 0 };
	int offset = 0;
	bool valid = ptp_tai_utc_offset(p, &offset);

	if (adjtimex(&tx) < 0)
		return;
	/* Only for a ptp4l of ours that is running: never from replayed messages. */
	bool steers = p->enabled && !p->free_running && !p->phc2sys_needed && p->ptp4l.pid > 0;
	int set = ptp_kernel_tai_to_set(steers, ptp_locked(p), valid, offset, tx.tai);
	if (set < 0)
		return;
	struct timex adj = { .modes = ADJ_TAI, .constant = set };
	if (adjtimex(&adj) < 0)
		log_warn("ptp: cannot set the kernel's TAI offset to %d s (PTP's UTC offset): %s", set,
			 strerror(errno));
	else
		log_notice("ptp: kernel TAI offset set to %d s from PTP (was %d s); CLOCK_TAI is now TAI", set,
			   tx.tai);
}

void ptp_set_lock_callback(struct ptp *p, ptp_lock_fn fn, void *arg)
{
	p->lock_fn = fn;
	p->lock_arg = arg;
}
