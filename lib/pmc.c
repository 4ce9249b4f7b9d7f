/* SPDX-License-Identifier: GPL-2.0-only */
/* pmc.c — linuxptp management messages: build, parse, UNIX datagram transport.
 *
 * The parser reads through a cursor that knows how many bytes remain; every
 * read is checked against it, so a short or lying message can only end in an
 * error, never in a read past the buffer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsn/pmc.h"

/* Offsets in the fixed part of a management message. */
enum {
	OFF_TYPE = 0,		/* transportSpecific << 4 | messageType */
	OFF_VERSION = 1,	/* minorVersionPTP << 4 | versionPTP */
	OFF_LENGTH = 2,
	OFF_DOMAIN = 4,
	OFF_SOURCE = 20,	/* sourcePortIdentity, 10 bytes */
	OFF_SEQUENCE = 30,
	OFF_CONTROL = 32,
	OFF_LOG_INTERVAL = 33,
	OFF_TARGET = 34,	/* targetPortIdentity, 10 bytes */
	OFF_START_HOPS = 44,
	OFF_HOPS = 45,
	OFF_ACTION = 46,
	OFF_TLV = PMC_MGMT_LEN,
};

/* ---- byte order ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put_port_id(uint8_t *p, const struct pmc_port_id *id)
{
	memcpy(p, id->clock, 8);
	put16(p + 8, id->port);
}

/* ---- a bounds-checked reader ---- */

struct cursor {
	const uint8_t *p;
	size_t left;
	bool bad;	/* a read ran past the end: every later read yields zeros */
};

static const uint8_t *take(struct cursor *c, size_t n)
{
	if (c->bad || n > c->left) {
		c->bad = true;
		return NULL;
	}
	const uint8_t *p = c->p;
	c->p += n;
	c->left -= n;
	return p;
}

static uint8_t rd8(struct cursor *c)
{
	const uint8_t *p = take(c, 1);
	return p ? p[0] : 0;
}

static uint16_t rd16(struct cursor *c)
{
	const uint8_t *p = take(c, 2);
	return p ? get16(p) : 0;
}

static uint32_t rd32(struct cursor *c)
{
	const uint8_t *p = take(c, 4);
	return p ? get32(p) : 0;
}

static uint64_t rd64(struct cursor *c)
{
	const uint8_t *p = take(c, 8);
	return p ? get64(p) : 0;
}

static void rd_bytes(struct cursor *c, uint8_t *out, size_t n)
{
	const uint8_t *p = take(c, n);
	if (p)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

static void rd_port_id(struct cursor *c, struct pmc_port_id *id)
{
	rd_bytes(c, id->clock, 8);
	id->port = rd16(c);
}

static void rd_quality(struct cursor *c, struct pmc_clock_quality *q)
{
	q->clock_class = rd8(c);
	q->accuracy = rd8(c);
	q->variance = rd16(c);
}

/* A PTPText: a length byte, then that many bytes.  false if it does not fit. */
static bool rd_text(struct cursor *c, char *out, size_t outlen)
{
	uint8_t n = rd8(c);
	const uint8_t *p = take(c, n);

	if (!p)
		return false;
	size_t copy = n < outlen - 1 ? n : outlen - 1;
	memcpy(out, p, copy);
	out[copy] = '\0';
	return true;
}

/* ---- building ---- */

struct pmc_port_id pmc_wildcard(void)
{
	struct pmc_port_id id;

	memset(id.clock, 0xff, sizeof(id.clock));
	id.port = 0xffff;
	return id;
}

ssize_t pmc_build(uint8_t *buf, size_t cap, const struct pmc_request *req)
{
	size_t total = PMC_MGMT_LEN + PMC_TLV_HEAD_LEN + 2 + req->data_len;

	/* The TLV length field holds managementId + data. */
	if (total > cap || total > PMC_MSG_MAX || (req->data_len && !req->data) ||
	    req->action > PMC_ACKNOWLEDGE)
		return -1;
	memset(buf, 0, PMC_MGMT_LEN);
	buf[OFF_TYPE] = (uint8_t)((req->transport_specific & 0xf) << 4 | PMC_MESSAGE_TYPE);
	buf[OFF_VERSION] = 2;
	put16(buf + OFF_LENGTH, (uint16_t)total);
	buf[OFF_DOMAIN] = req->domain;
	put_port_id(buf + OFF_SOURCE, &req->source);
	put16(buf + OFF_SEQUENCE, req->sequence);
	buf[OFF_CONTROL] = PMC_CONTROL;
	buf[OFF_LOG_INTERVAL] = 0x7f;
	put_port_id(buf + OFF_TARGET, &req->target);
	buf[OFF_START_HOPS] = req->boundary_hops;
	buf[OFF_HOPS] = req->boundary_hops;
	buf[OFF_ACTION] = req->action;
	put16(buf + OFF_TLV, PMC_TLV_MANAGEMENT);
	put16(buf + OFF_TLV + 2, (uint16_t)(2 + req->data_len));
	put16(buf + OFF_TLV + 4, req->id);
	if (req->data_len)
		memcpy(buf + OFF_TLV + 6, req->data, req->data_len);
	return (ssize_t)total;
}

ssize_t pmc_build_subscribe(uint8_t *buf, size_t cap, const struct pmc_request *base,
			    uint16_t duration_s, uint32_t events)
{
	uint8_t data[PMC_SUBSCRIBE_LEN];
	struct pmc_request req = *base;

	memset(data, 0, sizeof(data));
	put16(data, duration_s);
	for (unsigned e = 0; e < 32; e++)
		if (events & (1u << e))
			data[2 + e / 8] |= (uint8_t)(1u << (e % 8));
	req.action = PMC_SET;
	req.id = PMC_ID_SUBSCRIBE_EVENTS_NP;
	req.data = data;
	req.data_len = sizeof(data);
	return pmc_build(buf, cap, &req);
}

/* ---- parsing ---- */

/* The data length a known id must have in a response, or -1 if variable/unknown. */
static int fixed_len(uint16_t id)
{
	switch (id) {
	case PMC_ID_NULL_MANAGEMENT: return 0;
	case PMC_ID_DEFAULT_DATA_SET: return PMC_DEFAULT_DS_LEN;
	case PMC_ID_CURRENT_DATA_SET: return PMC_CURRENT_DS_LEN;
	case PMC_ID_PARENT_DATA_SET: return PMC_PARENT_DS_LEN;
	case PMC_ID_TIME_PROPERTIES_DATA_SET: return PMC_TIME_PROPS_LEN;
	case PMC_ID_PORT_DATA_SET: return PMC_PORT_DS_LEN;
	case PMC_ID_TIME_STATUS_NP: return PMC_TIME_STATUS_LEN;
	case PMC_ID_SUBSCRIBE_EVENTS_NP: return PMC_SUBSCRIBE_LEN;
	default: return -1;
	}
}

static bool known_id(uint16_t id)
{
	return fixed_len(id) >= 0 || id == PMC_ID_PORT_PROPERTIES_NP;
}

/* Decode the data of a MANAGEMENT TLV of a known id.  `c` holds exactly the
 * data field.  Returns PMC_OK or a negated error. */
static int parse_dataset(struct cursor *c, struct pmc_msg *m)
{
	int want = fixed_len(m->id);

	if (want >= 0 && m->data_len != (size_t)want)
		return -PMC_E_DATA_LENGTH;
	switch (m->id) {
	case PMC_ID_DEFAULT_DATA_SET: {
		struct pmc_default_ds *d = &m->u.dds;
		uint8_t flags = rd8(c);
		d->two_step = flags & 0x01;
		d->slave_only = flags & 0x02;
		rd8(c);
		d->number_ports = rd16(c);
		d->priority1 = rd8(c);
		rd_quality(c, &d->quality);
		d->priority2 = rd8(c);
		rd_bytes(c, d->clock_id, 8);
		d->domain = rd8(c);
		rd8(c);
		break;
	}
	case PMC_ID_CURRENT_DATA_SET:
		m->u.cds.steps_removed = rd16(c);
		m->u.cds.offset_scaled = (int64_t)rd64(c);
		m->u.cds.delay_scaled = (int64_t)rd64(c);
		break;
	case PMC_ID_PARENT_DATA_SET: {
		struct pmc_parent_ds *p = &m->u.pds;
		rd_port_id(c, &p->parent);
		p->parent_stats = rd8(c) != 0;
		rd8(c);
		p->observed_variance = rd16(c);
		p->observed_change_rate = (int32_t)rd32(c);
		p->gm_priority1 = rd8(c);
		rd_quality(c, &p->gm_quality);
		p->gm_priority2 = rd8(c);
		rd_bytes(c, p->gm_id, 8);
		break;
	}
	case PMC_ID_TIME_PROPERTIES_DATA_SET:
		m->u.tp.utc_offset = (int16_t)rd16(c);
		m->u.tp.flags = rd8(c);
		m->u.tp.time_source = rd8(c);
		break;
	case PMC_ID_PORT_DATA_SET: {
		struct pmc_port_ds *p = &m->u.pods;
		rd_port_id(c, &p->id);
		p->state = rd8(c);
		p->log_min_delay_req = (int8_t)rd8(c);
		p->peer_delay_scaled = (int64_t)rd64(c);
		p->log_announce = (int8_t)rd8(c);
		p->announce_timeout = rd8(c);
		p->log_sync = (int8_t)rd8(c);
		p->delay_mechanism = rd8(c);
		p->log_min_pdelay_req = (int8_t)rd8(c);
		p->version = rd8(c);
		break;
	}
	case PMC_ID_TIME_STATUS_NP: {
		struct pmc_time_status *t = &m->u.ts;
		t->master_offset_ns = (int64_t)rd64(c);
		t->ingress_time_ns = (int64_t)rd64(c);
		t->cumulative_rate_offset = (int32_t)rd32(c);
		t->scaled_last_gm_phase_change = (int32_t)rd32(c);
		t->gm_time_base_indicator = rd16(c);
		rd_bytes(c, t->last_gm_phase_change, sizeof(t->last_gm_phase_change));
		t->gm_present = (int32_t)rd32(c);
		rd_bytes(c, t->gm_id, 8);
		break;
	}
	case PMC_ID_SUBSCRIBE_EVENTS_NP:
		m->u.sub.duration_s = rd16(c);
		rd_bytes(c, m->u.sub.bitmask, sizeof(m->u.sub.bitmask));
		break;
	case PMC_ID_PORT_PROPERTIES_NP: {
		struct pmc_port_props *p = &m->u.pp;
		if (m->data_len < PMC_PORT_PROPS_MIN)
			return -PMC_E_DATA_LENGTH;
		rd_port_id(c, &p->id);
		p->state = rd8(c);
		p->timestamping = rd8(c);
		if (!rd_text(c, p->iface, sizeof(p->iface)))
			return -PMC_E_TEXT;
		/* At most one pad byte keeps the TLV length even. */
		if (c->left > 1)
			return -PMC_E_DATA_LENGTH;
		break;
	}
	case PMC_ID_NULL_MANAGEMENT:
		break;
	}
	return c->bad ? -PMC_E_DATA_LENGTH : PMC_OK;
}

static int parse_error_status(struct cursor *c, struct pmc_msg *m, size_t tlv_len)
{
	/* managementErrorId, managementId, 4 reserved bytes, optional displayData. */
	if (tlv_len < 8)
		return -PMC_E_DATA_LENGTH;
	m->u.err.error_id = rd16(c);
	m->u.err.id = rd16(c);
	take(c, 4);
	m->u.err.text[0] = '\0';
	m->id = m->u.err.id;
	m->data_len = tlv_len - 8;
	if (m->data_len && !rd_text(c, m->u.err.text, sizeof(m->u.err.text)))
		return -PMC_E_TEXT;
	if (c->left > 1)
		return -PMC_E_DATA_LENGTH;
	m->has_data = true;
	return c->bad ? -PMC_E_DATA_LENGTH : PMC_OK;
}

/* TLVs after the first are not used, but they must be well formed. */
static int check_trailing_tlvs(struct cursor *c)
{
	while (c->left) {
		if (c->left < PMC_TLV_HEAD_LEN)
			return -PMC_E_TLV;
		rd16(c);
		uint16_t len = rd16(c);
		if (len > c->left)
			return -PMC_E_TLV;
		take(c, len);
	}
	return PMC_OK;
}

int pmc_parse(const uint8_t *buf, size_t len, struct pmc_msg *out)
{
	struct pmc_msg m;
	struct cursor c;

	if (len > PMC_MSG_MAX)
		return -PMC_E_OVERSIZED;
	if (!buf || len < PMC_HEADER_LEN)
		return -PMC_E_TRUNCATED;
	memset(&m, 0, sizeof(m));
	if ((buf[OFF_TYPE] & 0x0f) != PMC_MESSAGE_TYPE)
		return -PMC_E_TYPE;
	m.transport_specific = buf[OFF_TYPE] >> 4;
	m.version = buf[OFF_VERSION] & 0x0f;
	if (m.version != 2)
		return -PMC_E_VERSION;
	m.length = get16(buf + OFF_LENGTH);
	if (m.length > len)
		return -PMC_E_TRUNCATED;
	if (m.length != len)
		return -PMC_E_LENGTH;
	if (len < PMC_MGMT_LEN + PMC_TLV_HEAD_LEN)
		return len < PMC_MGMT_LEN ? -PMC_E_TRUNCATED : -PMC_E_TLV;

	c = (struct cursor){ .p = buf + OFF_DOMAIN, .left = len - OFF_DOMAIN };
	m.domain = rd8(&c);
	c = (struct cursor){ .p = buf + OFF_SOURCE, .left = len - OFF_SOURCE };
	rd_port_id(&c, &m.source);
	m.sequence = rd16(&c);
	c = (struct cursor){ .p = buf + OFF_TARGET, .left = len - OFF_TARGET };
	rd_port_id(&c, &m.target);
	m.starting_hops = rd8(&c);
	m.hops = rd8(&c);
	m.action = rd8(&c) & 0x0f;
	rd8(&c);
	if (m.action > PMC_ACKNOWLEDGE)
		return -PMC_E_ACTION;

	m.tlv_type = rd16(&c);
	uint16_t tlv_len = rd16(&c);
	if (tlv_len > c.left)
		return -PMC_E_TLV;
	struct cursor tlv = { .p = c.p, .left = tlv_len };
	take(&c, tlv_len);

	int rc;
	switch (m.tlv_type) {
	case PMC_TLV_MANAGEMENT:
		if (tlv_len < 2)
			return -PMC_E_TLV;
		m.id = rd16(&tlv);
		m.data_len = tlv_len - 2u;
		/* A request (GET without data) carries no dataset to decode. */
		if (!known_id(m.id) || (m.action == PMC_GET && m.data_len == 0) ||
		    m.action == PMC_COMMAND) {
			rc = PMC_OK;
			break;
		}
		rc = parse_dataset(&tlv, &m);
		m.has_data = rc == PMC_OK && m.id != PMC_ID_NULL_MANAGEMENT;
		break;
	case PMC_TLV_MANAGEMENT_ERROR_STATUS:
		rc = parse_error_status(&tlv, &m, tlv_len);
		break;
	default:
		return -PMC_E_TLV_TYPE;
	}
	if (rc != PMC_OK)
		return rc;
	rc = check_trailing_tlvs(&c);
	if (rc != PMC_OK)
		return rc;
	*out = m;
	return PMC_OK;
}

/* ---- names ---- */

const char *pmc_strerror(int err)
{
	static const char *const names[PMC_E_COUNT] = {
		[PMC_OK] = "ok",
		[PMC_E_TRUNCATED] = "truncated message",
		[PMC_E_OVERSIZED] = "message too long",
		[PMC_E_TYPE] = "not a management message",
		[PMC_E_VERSION] = "not PTP version 2",
		[PMC_E_LENGTH] = "messageLength disagrees with the datagram size",
		[PMC_E_ACTION] = "actionField out of range",
		[PMC_E_TLV] = "TLV missing or longer than the message",
		[PMC_E_TLV_TYPE] = "TLV is not a management TLV",
		[PMC_E_DATA_LENGTH] = "dataset length does not match its managementId",
		[PMC_E_TEXT] = "text field runs past its TLV",
	};
	if (err < 0)
		err = -err;
	return err < PMC_E_COUNT && names[err] ? names[err] : "unknown error";
}

const char *pmc_id_name(uint16_t id)
{
	static __thread char buf[8];

	switch (id) {
	case PMC_ID_NULL_MANAGEMENT: return "NULL_MANAGEMENT";
	case PMC_ID_DEFAULT_DATA_SET: return "DEFAULT_DATA_SET";
	case PMC_ID_CURRENT_DATA_SET: return "CURRENT_DATA_SET";
	case PMC_ID_PARENT_DATA_SET: return "PARENT_DATA_SET";
	case PMC_ID_TIME_PROPERTIES_DATA_SET: return "TIME_PROPERTIES_DATA_SET";
	case PMC_ID_PORT_DATA_SET: return "PORT_DATA_SET";
	case PMC_ID_TIME_STATUS_NP: return "TIME_STATUS_NP";
	case PMC_ID_SUBSCRIBE_EVENTS_NP: return "SUBSCRIBE_EVENTS_NP";
	case PMC_ID_PORT_PROPERTIES_NP: return "PORT_PROPERTIES_NP";
	default:
		snprintf(buf, sizeof(buf), "0x%04x", id);
		return buf;
	}
}

const char *pmc_port_state_name(uint8_t state)
{
	static const char *const names[] = {
		[PMC_PS_INITIALIZING] = "INITIALIZING", [PMC_PS_FAULTY] = "FAULTY",
		[PMC_PS_DISABLED] = "DISABLED",         [PMC_PS_LISTENING] = "LISTENING",
		[PMC_PS_PRE_MASTER] = "PRE_MASTER",     [PMC_PS_MASTER] = "MASTER",
		[PMC_PS_PASSIVE] = "PASSIVE",           [PMC_PS_UNCALIBRATED] = "UNCALIBRATED",
		[PMC_PS_SLAVE] = "SLAVE",
	};
	if (state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return "UNKNOWN";
}

const char *pmc_action_name(uint8_t action)
{
	static const char *const names[] = { "GET", "SET", "RESPONSE", "COMMAND", "ACKNOWLEDGE" };
	return action < sizeof(names) / sizeof(names[0]) ? names[action] : "UNKNOWN";
}

const char *pmc_error_name(uint16_t error_id)
{
	switch (error_id) {
	case PMC_ERR_RESPONSE_TOO_BIG: return "RESPONSE_TOO_BIG";
	case PMC_ERR_NO_SUCH_ID: return "NO_SUCH_ID";
	case PMC_ERR_WRONG_LENGTH: return "WRONG_LENGTH";
	case PMC_ERR_WRONG_VALUE: return "WRONG_VALUE";
	case PMC_ERR_NOT_SETABLE: return "NOT_SETABLE";
	case PMC_ERR_NOT_SUPPORTED: return "NOT_SUPPORTED";
	case PMC_ERR_GENERAL_ERROR: return "GENERAL_ERROR";
	default: return "UNKNOWN_ERROR";
	}
}

int64_t pmc_scaled_ns(int64_t scaled)
{
	/* Round half away from zero without overflowing at the extremes. */
	int64_t q = scaled / 65536, r = scaled % 65536;
	if (r >= 32768)
		q++;
	else if (r <= -32768)
		q--;
	return q;
}

char *pmc_clock_id_str(const uint8_t id[8], char *buf, size_t len)
{
	snprintf(buf, len, "%02x%02x%02x.%02x%02x.%02x%02x%02x", id[0], id[1], id[2], id[3], id[4],
		 id[5], id[6], id[7]);
	return buf;
}

char *pmc_port_id_str(const struct pmc_port_id *id, char *buf, size_t len)
{
	char clock[24];
	snprintf(buf, len, "%s-%u", pmc_clock_id_str(id->clock, clock, sizeof(clock)), id->port);
	return buf;
}

/* ---- transport ---- */

static int set_path(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!path[0] || strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

int pmc_uds_open(struct pmc_uds *u, const char *local_path, const char *server_path,
		 char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;

	u->fd = -1;
	if (set_path(&sa, server_path) < 0) {
		snprintf(err, errlen, "management socket path \"%s\" is empty or longer than %zu bytes",
			 server_path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	snprintf(u->server, sizeof(u->server), "%s", server_path);
	if (set_path(&sa, local_path) < 0) {
		snprintf(err, errlen, "client socket path \"%s\" is empty or longer than %zu bytes",
			 local_path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	snprintf(u->local, sizeof(u->local), "%s", local_path);
	/* A socket left behind by an earlier run is removed; one that somebody
	 * still receives on (it accepts a connect) is not, nor anything else. */
	if (lstat(local_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		bool live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			snprintf(err, errlen, "%s is in use by another process", local_path);
			return -1;
		}
		unlink(local_path);
	}
	u->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0) {
		snprintf(err, errlen, "cannot create a UNIX datagram socket: %s", strerror(errno));
		return -1;
	}
	mode_t old = umask(0177);
	int rc = bind(u->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		snprintf(err, errlen, "cannot bind %s: %s", local_path, strerror(errno));
		close(u->fd);
		u->fd = -1;
		return -1;
	}
	return 0;
}

int pmc_uds_send(struct pmc_uds *u, const void *buf, size_t len)
{
	struct sockaddr_un sa;

	if (u->fd < 0 || set_path(&sa, u->server) < 0) {
		errno = EBADF;
		return -1;
	}
	ssize_t n = sendto(u->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

ssize_t pmc_uds_recv(struct pmc_uds *u, void *buf, size_t cap, bool *from_server)
{
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);

	*from_server = false;
	memset(&sa, 0, sizeof(sa));
	ssize_t n = recvfrom(u->fd, buf, cap, MSG_TRUNC, (struct sockaddr *)&sa, &salen);
	if (n < 0)
		return -1;
	size_t plen = salen > offsetof(struct sockaddr_un, sun_path)
			      ? strnlen(sa.sun_path, salen - offsetof(struct sockaddr_un, sun_path))
			      : 0;
	*from_server = sa.sun_family == AF_UNIX && plen == strlen(u->server) &&
		       memcmp(sa.sun_path, u->server, plen) == 0;
	return n;
}

void pmc_uds_close(struct pmc_uds *u)
{
	if (u->fd >= 0) {
		close(u->fd);
		u->fd = -1;
		if (u->local[0])
			unlink(u->local);
	}
}
