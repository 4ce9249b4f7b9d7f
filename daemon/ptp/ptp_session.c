/* SPDX-License-Identifier: GPL-2.0-only */
/* ptp_session.c — tsnd's own management client of ptp4l: it polls the data
 * sets once a second, subscribes to port-state and time-sync notifications and
 * hands what it hears to the sync-state machine (ptp_sync.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "evloop.h"
#include "ptp_priv.h"
#include "tsn/log.h"

void ptp_session_reset(struct ptp *p)
{
	p->have_dds = p->have_cds = p->have_pds = p->have_tp = p->have_ts = false;
	for (size_t i = 0; i < p->n_ports; i++) {
		p->ports[i].have_ds = p->ports[i].have_props = false;
		p->ports[i].number = (uint16_t)(i + 1);
	}
	p->sub_ok = false;
	p->sub_unsupported = false;
	p->sub_confirmed_ns = p->sub_sent_ns = 0;
	p->last_rx_ns = 0;
	p->session_start_ns = evloop_now_ns();
	p->last_ingress_ns = 0;
	/* Samples of an earlier ptp4l say nothing about this one. */
	p->last_sample_ns = 0;
	p->last_unmeasured_ns = 0;
	p->streak = false;
	for (size_t i = 0; i < sizeof(p->reqs) / sizeof(p->reqs[0]); i++)
		p->reqs[i].open = false;
}

static void mgmt_send(struct ptp *p, uint8_t action, uint16_t id, uint64_t now)
{
	uint8_t buf[256];
	struct pmc_request req = {
		.action = action,
		.id = id,
		.domain = (uint8_t)p->domain,
		.transport_specific = (uint8_t)p->transport_specific,
		.sequence = p->seq++,
		.source = p->self,
		.target = pmc_wildcard(),
		.boundary_hops = 0,
	};
	ssize_t n = action == PMC_SET && id == PMC_ID_SUBSCRIBE_EVENTS_NP
			    ? pmc_build_subscribe(buf, sizeof(buf), &req, PTP_SUBSCRIBE_S,
						  1u << PMC_EVENT_PORT_STATE | 1u << PMC_EVENT_TIME_SYNC |
							  1u << PMC_EVENT_PARENT_DATA_SET)
			    : pmc_build(buf, sizeof(buf), &req);
	if (n < 0 || p->uds.fd < 0)
		return;
	if (pmc_uds_send(&p->uds, buf, (size_t)n) < 0) {
		/* ENOENT/ECONNREFUSED while ptp4l starts up: the next poll retries. */
		log_debug("ptp: sending %s to %s: %s", pmc_id_name(id), p->uds_address, strerror(errno));
		return;
	}
	p->sent++;
	struct req *r = &p->reqs[p->next_req++ % (sizeof(p->reqs) / sizeof(p->reqs[0]))];
	if (r->open)
		p->timeouts++;	/* overwritten before an answer came */
	*r = (struct req){ .seq = req.sequence, .id = id, .sent_ns = now, .open = true };
}

static struct pport *port_by_number(struct ptp *p, uint16_t number)
{
	for (size_t i = 0; i < p->n_ports; i++)
		if (p->ports[i].number == number)
			return &p->ports[i];
	return NULL;
}

/* True if m answers one of our requests; else it is a notification. */
static bool mark_answered(struct ptp *p, const struct pmc_msg *m)
{
	for (size_t i = 0; i < sizeof(p->reqs) / sizeof(p->reqs[0]); i++) {
		struct req *r = &p->reqs[i];
		if (r->sent_ns && r->seq == m->sequence && r->id == m->id) {
			/* Several answers to one wildcard request (one per port). */
			r->open = false;
			return true;
		}
	}
	p->notifications++;
	return false;
}

void ptp_handle_datagram(struct ptp *p, const uint8_t *buf, size_t len, uint64_t now)
{
	struct pmc_msg m;
	int rc = pmc_parse(buf, len, &m);

	if (rc != PMC_OK) {
		p->rejected++;
		snprintf(p->last_reject, sizeof(p->last_reject), "%s (%zu bytes)", pmc_strerror(rc), len);
		log_debug("ptp: ignoring a message from ptp4l: %s", p->last_reject);
		return;
	}
	if (m.action != PMC_RESPONSE && m.action != PMC_ACKNOWLEDGE)
		return;		/* our own kind of message reflected: not an answer */
	p->received++;
	p->last_rx_ns = now;
	/* Answers to the poll are judged together at the next poll, so that one
	 * data set is never seen beside the stale rest; notifications at once. */
	bool notification = !mark_answered(p, &m);
	if (m.tlv_type == PMC_TLV_MANAGEMENT_ERROR_STATUS) {
		if (m.id == PMC_ID_SUBSCRIBE_EVENTS_NP && !p->sub_unsupported) {
			p->sub_unsupported = true;
			log_warn("ptp: ptp4l refuses SUBSCRIBE_EVENTS_NP (%s); tsnd polls only",
				 pmc_error_name(m.u.err.error_id));
		} else {
			log_debug("ptp: ptp4l answers %s with %s", pmc_id_name(m.id),
				  pmc_error_name(m.u.err.error_id));
		}
		return;
	}
	if (!m.has_data)
		return;
	struct pport *pp;
	switch (m.id) {
	case PMC_ID_DEFAULT_DATA_SET:
		p->dds = m.u.dds;
		p->have_dds = true;
		break;
	case PMC_ID_CURRENT_DATA_SET:
		p->cds = m.u.cds;
		p->have_cds = true;
		break;
	case PMC_ID_PARENT_DATA_SET:
		p->pds = m.u.pds;
		p->have_pds = true;
		break;
	case PMC_ID_TIME_PROPERTIES_DATA_SET:
		p->tp = m.u.tp;
		p->have_tp = true;
		ptp_sync_update_kernel_tai(p);
		break;
	case PMC_ID_TIME_STATUS_NP:
		p->ts = m.u.ts;
		p->have_ts = true;
		ptp_sync_take_sample(p, &m.u.ts, now);
		break;
	case PMC_ID_PORT_DATA_SET:
		pp = port_by_number(p, m.u.pods.id.port);
		if (pp) {
			if (pp->have_ds && pp->ds.state != m.u.pods.state)
				log_info("ptp: port %s: %s -> %s", pp->name, pmc_port_state_name(pp->ds.state),
					 pmc_port_state_name(m.u.pods.state));
			pp->ds = m.u.pods;
			pp->have_ds = true;
			ptp_sync_check_peer_delay(p, pp);
		}
		break;
	case PMC_ID_PORT_PROPERTIES_NP:
		for (size_t i = 0; i < p->n_ports; i++) {
			if (strcmp(p->ports[i].name, m.u.pp.iface) != 0)
				continue;
			/* ptp4l's numbering is authoritative: free the number first. */
			struct pport *other = port_by_number(p, m.u.pp.id.port);
			if (other && other != &p->ports[i])
				other->number = p->ports[i].number;
			p->ports[i].number = m.u.pp.id.port;
			p->ports[i].props = m.u.pp;
			p->ports[i].have_props = true;
		}
		break;
	case PMC_ID_SUBSCRIBE_EVENTS_NP:
		if (!p->sub_ok)
			log_info("ptp: subscribed to ptp4l's port-state and time-sync events for %us",
				 (unsigned)m.u.sub.duration_s);
		else
			p->renewals++;
		p->sub_ok = true;
		p->sub_confirmed_ns = now;
		break;
	}
	if (notification)
		ptp_sync_evaluate(p, now);
}

static void on_uds_readable(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct ptp *p = arg;
	uint8_t buf[PMC_MSG_MAX + 1];

	(void)loop;
	(void)fd;
	(void)events;
	for (int i = 0; i < 64; i++) {
		bool from_server;
		ssize_t n = pmc_uds_recv(&p->uds, buf, sizeof(buf), &from_server);
		if (n < 0)
			break;
		if (!from_server) {
			p->rejected++;
			snprintf(p->last_reject, sizeof(p->last_reject), "datagram from a stranger");
			continue;
		}
		/* Longer than the buffer: pmc_parse sees PMC_MSG_MAX + 1 and refuses. */
		ptp_handle_datagram(p, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf),
				    evloop_now_ns());
	}
}

void ptp_session_close(struct ptp *p)
{
	evloop_io_del(p->uds_io);
	p->uds_io = NULL;
	pmc_uds_close(&p->uds);
}

int ptp_session_open(struct ptp *p, char *err, size_t errlen)
{
	if (pmc_uds_open(&p->uds, p->client_path, p->uds_address, err, errlen) < 0)
		return -1;
	p->uds_io = evloop_io_add(p->loop, p->uds.fd, EPOLLIN, on_uds_readable, p);
	if (!p->uds_io) {
		snprintf(err, errlen, "cannot watch the management socket: %s", strerror(errno));
		pmc_uds_close(&p->uds);
		return -1;
	}
	return 0;
}

void ptp_session_on_poll(struct evloop *loop, void *arg)
{
	struct ptp *p = arg;
	uint64_t now = evloop_now_ns();
	static const uint16_t ids[] = {
		PMC_ID_DEFAULT_DATA_SET, PMC_ID_CURRENT_DATA_SET, PMC_ID_PARENT_DATA_SET,
		PMC_ID_TIME_PROPERTIES_DATA_SET, PMC_ID_TIME_STATUS_NP, PMC_ID_PORT_DATA_SET,
		PMC_ID_PORT_PROPERTIES_NP,
	};

	(void)loop;
	for (size_t i = 0; i < sizeof(p->reqs) / sizeof(p->reqs[0]); i++) {
		struct req *r = &p->reqs[i];
		if (r->open && now - r->sent_ns >= PTP_REQUEST_TIMEOUT_NS) {
			r->open = false;
			p->timeouts++;
		}
	}
	ptp_sync_evaluate(p, now);
	if (p->enabled && ptp_ptp4l_running(p) && p->uds.fd >= 0) {
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			mgmt_send(p, PMC_GET, ids[i], now);
		bool due = !p->sub_ok || now - p->sub_confirmed_ns >= PTP_RENEW_NS;
		if (!p->sub_unsupported && due)
			mgmt_send(p, PMC_SET, PMC_ID_SUBSCRIBE_EVENTS_NP, now);
	}
	if (p->enabled)
		evloop_timer_arm_at(p->poll_timer, now + PTP_POLL_NS);
}
