/* SPDX-License-Identifier: GPL-2.0-only */
/* ptp_status.c — `ptp.status` (tsnctl ptp status) and the summary in
 * status.subsystems.ptp, from what the session heard and the sync state. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "evloop.h"
#include "ptp_priv.h"
#include "tsn/timefmt.h"

static json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *clock_id_json(const uint8_t id[8])
{
	char buf[24];
	return json_object_new_string(pmc_clock_id_str(id, buf, sizeof(buf)));
}

static const char *port_role(uint8_t state)
{
	switch (state) {
	case PMC_PS_MASTER:
	case PMC_PS_PRE_MASTER: return "master";
	case PMC_PS_SLAVE:
	case PMC_PS_UNCALIBRATED: return "slave";
	case PMC_PS_PASSIVE: return "passive";
	case PMC_PS_FAULTY:
	case PMC_PS_DISABLED: return "disabled";
	default: return "none";
	}
}

static const char *delay_name(int d)
{
	return d == TSN_PTP_DELAY_P2P ? "p2p" : "e2e";
}

static json_object *window_json(const struct ptp *p)
{
	json_object *o = json_object_new_object();
	int64_t min = 0, max = 0;
	double sum = 0;

	for (size_t i = 0; i < p->win_count; i++) {
		int64_t v = p->window[(p->win_head + i) % PTP_WINDOW_MAX].offset_ns;
		if (i == 0 || v < min)
			min = v;
		if (i == 0 || v > max)
			max = v;
		sum += (double)v;
	}
	json_object_object_add(o, "window_s", json_object_new_uint64(PTP_WINDOW_NS / 1000000000ull));
	json_object_object_add(o, "samples", json_object_new_uint64(p->win_count));
	json_object_object_add(o, "min_ns", p->win_count ? json_object_new_int64(min) : NULL);
	json_object_object_add(o, "max_ns", p->win_count ? json_object_new_int64(max) : NULL);
	json_object_object_add(o, "mean_ns", p->win_count ? json_object_new_int64(
		(int64_t)(sum / (double)p->win_count + (sum >= 0 ? 0.5 : -0.5))) : NULL);
	/* Syncs ptp4l took without a delay measurement: never samples (ptp_sync.c). */
	json_object_object_add(o, "unmeasured_syncs", json_object_new_uint64(p->unmeasured));
	return o;
}

static json_object *sync_json(const struct ptp *p)
{
	json_object *o = json_object_new_object();
	char when[32];
	uint64_t now = evloop_now_ns();

	json_object_object_add(o, "state", json_object_new_string(ptp_sync_state_name(p->sync)));
	json_object_object_add(o, "reason", json_object_new_string(p->sync_reason));
	if (p->sync_since_wall) {
		tsn_format_rfc3339(p->sync_since_wall, when, sizeof(when));
		json_object_object_add(o, "since", json_object_new_string(when));
	} else {
		json_object_object_add(o, "since", NULL);
	}
	json_object_object_add(o, "lock_threshold_ns", json_object_new_uint64(p->lock_threshold_ns));
	json_object_object_add(o, "lock_time_ns", json_object_new_uint64(p->lock_time_ns));
	json_object_object_add(o, "stale_after_ns", json_object_new_uint64(ptp_sync_stale_after_ns(p)));
	json_object_object_add(o, "sync_interval_ns",
			       json_object_new_uint64(ptp_log_interval_ns(p->log_sync_interval)));
	json_object_object_add(o, "within_threshold_ns",
			       json_object_new_uint64(p->streak && now >= p->streak_since_ns
							      ? now - p->streak_since_ns : 0));
	json_object_object_add(o, "last_sample_age_ms", p->last_sample_ns
				? json_object_new_uint64((now - p->last_sample_ns) / 1000000ull) : NULL);
	return o;
}

static json_object *quality_json(const struct pmc_clock_quality *q, json_object *o)
{
	json_object_object_add(o, "class", json_object_new_int(q->clock_class));
	json_object_object_add(o, "accuracy", json_object_new_int(q->accuracy));
	json_object_object_add(o, "variance", json_object_new_int(q->variance));
	return o;
}

json_object *ptp_status_json(const struct ptp *p)
{
	json_object *o = json_object_new_object();
	char buf[48];

	json_object_object_add(o, "enabled", json_object_new_boolean(p->enabled));
	json_object_object_add(o, "sync", sync_json(p));
	if (!p->enabled)
		return o;

	json_object *clock = json_object_new_object();
	json_object_object_add(clock, "identity", p->have_dds ? clock_id_json(p->dds.clock_id) : NULL);
	json_object_object_add(clock, "domain", json_object_new_int((int)p->domain));
	json_object_object_add(clock, "priority1", p->have_dds ? json_object_new_int(p->dds.priority1) : NULL);
	json_object_object_add(clock, "priority2", p->have_dds ? json_object_new_int(p->dds.priority2) : NULL);
	if (p->have_dds)
		quality_json(&p->dds.quality, clock);
	json_object_object_add(clock, "profile", json_object_new_string(p->profile == TSN_PTP_GPTP ? "gptp"
												 : "default"));
	json_object_object_add(clock, "transport", json_object_new_string(ptp_transport_name(p->transport)));
	json_object_object_add(clock, "timestamping", json_object_new_string(
		p->timestamping == TSN_TSTAMP_HARDWARE ? "hardware" : "software"));
	json_object_object_add(clock, "free_running", json_object_new_boolean(p->free_running));
	json_object_object_add(o, "clock", clock);

	json_object *gm = NULL;
	if (p->have_pds) {
		gm = json_object_new_object();
		json_object_object_add(gm, "identity", clock_id_json(p->pds.gm_id));
		quality_json(&p->pds.gm_quality, gm);
		json_object_object_add(gm, "priority1", json_object_new_int(p->pds.gm_priority1));
		json_object_object_add(gm, "priority2", json_object_new_int(p->pds.gm_priority2));
		json_object_object_add(gm, "is_self", json_object_new_boolean(ptp_sync_self_grandmaster(p)));
		json_object_object_add(gm, "parent_port",
				       json_object_new_string(pmc_port_id_str(&p->pds.parent, buf, sizeof(buf))));
	}
	json_object_object_add(o, "grandmaster", gm);

	json_object *cur = NULL;
	if (p->have_cds) {
		cur = json_object_new_object();
		json_object_object_add(cur, "offset_ns", json_object_new_int64(pmc_scaled_ns(p->cds.offset_scaled)));
		json_object_object_add(cur, "mean_path_delay_ns",
				       json_object_new_int64(pmc_scaled_ns(p->cds.delay_scaled)));
		json_object_object_add(cur, "steps_removed", json_object_new_int(p->cds.steps_removed));
	}
	json_object_object_add(o, "current", cur);

	json_object *ts = NULL;
	if (p->have_ts) {
		ts = json_object_new_object();
		json_object_object_add(ts, "master_offset_ns", json_object_new_int64(p->ts.master_offset_ns));
		json_object_object_add(ts, "ingress_time_ns", json_object_new_int64(p->ts.ingress_time_ns));
		json_object_object_add(ts, "gm_present", json_object_new_boolean(p->ts.gm_present != 0));
		json_object_object_add(ts, "gm_identity", clock_id_json(p->ts.gm_id));
	}
	json_object_object_add(o, "time_status", ts);

	json_object *utc = NULL;
	if (p->have_tp) {
		utc = json_object_new_object();
		json_object_object_add(utc, "offset_s", json_object_new_int(p->tp.utc_offset));
		json_object_object_add(utc, "valid", json_object_new_boolean(p->tp.flags & PMC_TP_UTC_OFF_VALID));
		json_object_object_add(utc, "ptp_timescale",
				       json_object_new_boolean(p->tp.flags & PMC_TP_PTP_TIMESCALE));
		json_object_object_add(utc, "time_traceable",
				       json_object_new_boolean(p->tp.flags & PMC_TP_TIME_TRACEABLE));
		json_object_object_add(utc, "time_source", json_object_new_int(p->tp.time_source));
	}
	json_object_object_add(o, "utc", utc);
	json_object_object_add(o, "offset_window", window_json(p));

	json_object *ports = json_object_new_array();
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct pport *pp = &p->ports[i];
		json_object *po = json_object_new_object();
		json_object_object_add(po, "name", json_object_new_string(pp->name));
		json_object_object_add(po, "port_number", json_object_new_int(pp->number));
		json_object_object_add(po, "state", pp->have_ds
			? json_object_new_string(pmc_port_state_name(pp->ds.state)) : NULL);
		json_object_object_add(po, "role", pp->have_ds ? json_object_new_string(port_role(pp->ds.state))
							       : NULL);
		json_object_object_add(po, "delay_mechanism", json_object_new_string(delay_name(pp->delay)));
		json_object_object_add(po, "peer_mean_path_delay_ns", pp->have_ds
			? json_object_new_int64(pmc_scaled_ns(pp->ds.peer_delay_scaled)) : NULL);
		json_object_object_add(po, "log_sync_interval", pp->have_ds
			? json_object_new_int(pp->ds.log_sync) : NULL);
		json_object_object_add(po, "log_announce_interval", pp->have_ds
			? json_object_new_int(pp->ds.log_announce) : NULL);
		json_object_object_add(po, "identity", pp->have_ds
			? json_object_new_string(pmc_port_id_str(&pp->ds.id, buf, sizeof(buf))) : NULL);
		json_object_array_add(ports, po);
	}
	json_object_object_add(o, "ports", ports);

	json_object *procs = json_object_new_object();
	json_object_object_add(procs, "ptp4l", sv_child_json(&p->ptp4l, true, NULL));
	json_object_object_add(procs, "phc2sys", sv_child_json(&p->phc2sys, p->phc2sys_needed,
		p->free_running ? "free-running: no clock is steered"
				: "no port has a PTP hardware clock in use"));
	json_object_object_add(o, "processes", procs);

	json_object *m = json_object_new_object();
	uint64_t now = evloop_now_ns();
	json_object_object_add(m, "uds_address", json_object_new_string(p->uds_address));
	json_object_object_add(m, "client_socket", json_object_new_string(p->client_path));
	json_object_object_add(m, "config", json_object_new_string(p->conf_path));
	json_object_object_add(m, "subscribed", json_object_new_boolean(p->sub_ok &&
		now - p->sub_confirmed_ns < PTP_SUBSCRIBE_S * 1000000000ull));
	json_object_object_add(m, "subscription_renewals", json_object_new_uint64(p->renewals));
	json_object_object_add(m, "requests", json_object_new_uint64(p->sent));
	json_object_object_add(m, "responses", json_object_new_uint64(p->received));
	json_object_object_add(m, "notifications", json_object_new_uint64(p->notifications));
	json_object_object_add(m, "timeouts", json_object_new_uint64(p->timeouts));
	json_object_object_add(m, "rejected", json_object_new_uint64(p->rejected));
	json_object_object_add(m, "last_rejected", jstr_or_null(p->rejected ? p->last_reject : NULL));
	json_object_object_add(m, "last_response_age_ms", p->last_rx_ns
		? json_object_new_uint64((now - p->last_rx_ns) / 1000000ull) : NULL);
	json_object_object_add(o, "management", m);
	return o;
}

json_object *ptp_summary_json(const struct ptp *p)
{
	json_object *o = json_object_new_object();
	char msg[448], gm[24];

	if (!p || !p->enabled) {
		json_object_object_add(o, "state", json_object_new_string("disabled"));
		json_object_object_add(o, "sync_state", json_object_new_string("disabled"));
		return o;
	}
	json_object_object_add(o, "state", json_object_new_string(sv_child_state_name(&p->ptp4l)));
	json_object_object_add(o, "sync_state", json_object_new_string(ptp_sync_state_name(p->sync)));
	if (p->sync == PTP_SYNC_LOCKED || p->sync == PTP_SYNC_LOCKING)
		snprintf(msg, sizeof(msg), "sync %s, grandmaster %s, offset %" PRId64 "ns",
			 ptp_sync_state_name(p->sync),
			 p->have_sample_gm ? pmc_clock_id_str(p->sample_gm, gm, sizeof(gm)) : "-",
			 p->last_offset_ns);
	else
		snprintf(msg, sizeof(msg), "sync %s: %s", ptp_sync_state_name(p->sync), p->sync_reason);
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "restarts", json_object_new_uint64(p->ptp4l.restarts));
	return o;
}
