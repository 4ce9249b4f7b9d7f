/* SPDX-License-Identifier: GPL-2.0-only */
/* pmc.h — a client of linuxptp's management protocol (IEEE 1588 management
 * messages over ptp4l's UNIX datagram socket, as linuxptp's pmc speaks it).
 *
 * Two halves, both libc only:
 *   - pure functions over byte buffers: pmc_build_* write a request, pmc_parse
 *     reads a response or notification and checks every length against the
 *     buffer before it is used (fuzzed: tests/fuzz/fuzz_pmc.c);
 *   - a small transport: an AF_UNIX SOCK_DGRAM socket bound to its own path,
 *     sending to ptp4l's uds_address.
 *
 * Wire format (big-endian): a 34-byte PTP header (messageType 0xD, versionPTP
 * 2), targetPortIdentity, startingBoundaryHops, boundaryHops, actionField,
 * reserved (48 bytes so far), then one TLV: type (MANAGEMENT or
 * MANAGEMENT_ERROR_STATUS), length, managementId, data.  Dataset layouts are
 * those of IEEE 1588-2008 clause 15.5.3 and linuxptp's own (…_NP) ids.
 */
#ifndef TSN_PMC_H
#define TSN_PMC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#define PMC_HEADER_LEN		34	/* the common PTP header */
#define PMC_MGMT_LEN		48	/* header + management message fields */
#define PMC_TLV_HEAD_LEN	4	/* tlvType, lengthField */
#define PMC_MSG_MAX		1500	/* linuxptp's largest message; longer is refused */
#define PMC_MESSAGE_TYPE	0xD	/* MANAGEMENT */
#define PMC_CONTROL		4	/* controlField of management messages */
#define PMC_EVENT_BITMASK_LEN	64	/* SUBSCRIBE_EVENTS_NP bitmask bytes */
#define PMC_TEXT_MAX		255	/* PTPText: one length byte */

enum pmc_action {
	PMC_GET = 0,
	PMC_SET = 1,
	PMC_RESPONSE = 2,
	PMC_COMMAND = 3,
	PMC_ACKNOWLEDGE = 4,
};

enum pmc_tlv_type {
	PMC_TLV_MANAGEMENT = 0x0001,
	PMC_TLV_MANAGEMENT_ERROR_STATUS = 0x0002,
};

/* managementId values this client reads (IEEE 1588 table 40 and linuxptp's). */
enum pmc_id {
	PMC_ID_NULL_MANAGEMENT = 0x0000,
	PMC_ID_DEFAULT_DATA_SET = 0x2000,
	PMC_ID_CURRENT_DATA_SET = 0x2001,
	PMC_ID_PARENT_DATA_SET = 0x2002,
	PMC_ID_TIME_PROPERTIES_DATA_SET = 0x2003,
	PMC_ID_PORT_DATA_SET = 0x2004,
	PMC_ID_TIME_STATUS_NP = 0xC000,
	PMC_ID_SUBSCRIBE_EVENTS_NP = 0xC003,
	PMC_ID_PORT_PROPERTIES_NP = 0xC004,
};

/* Fixed data sizes of the datasets above (PORT_PROPERTIES_NP is variable). */
#define PMC_DEFAULT_DS_LEN	20
#define PMC_CURRENT_DS_LEN	18
#define PMC_PARENT_DS_LEN	32
#define PMC_TIME_PROPS_LEN	4
#define PMC_PORT_DS_LEN		26
#define PMC_TIME_STATUS_LEN	50
#define PMC_SUBSCRIBE_LEN	(2 + PMC_EVENT_BITMASK_LEN)
#define PMC_PORT_PROPS_MIN	13	/* portIdentity, state, timestamping, text length */

/* SUBSCRIBE_EVENTS_NP event numbers: bit (n % 8) of bitmask byte n / 8. */
enum pmc_event {
	PMC_EVENT_PORT_STATE = 0,	/* notifications carry PORT_DATA_SET */
	PMC_EVENT_TIME_SYNC = 1,	/* notifications carry TIME_STATUS_NP */
	PMC_EVENT_PARENT_DATA_SET = 2,	/* newer linuxptp only; older ones ignore the bit */
};

/* portState (IEEE 1588 table 8). */
enum pmc_port_state {
	PMC_PS_INITIALIZING = 1,
	PMC_PS_FAULTY = 2,
	PMC_PS_DISABLED = 3,
	PMC_PS_LISTENING = 4,
	PMC_PS_PRE_MASTER = 5,
	PMC_PS_MASTER = 6,
	PMC_PS_PASSIVE = 7,
	PMC_PS_UNCALIBRATED = 8,
	PMC_PS_SLAVE = 9,
};

/* TIME_PROPERTIES_DATA_SET flags. */
#define PMC_TP_LEAP_61		0x01
#define PMC_TP_LEAP_59		0x02
#define PMC_TP_UTC_OFF_VALID	0x04
#define PMC_TP_PTP_TIMESCALE	0x08
#define PMC_TP_TIME_TRACEABLE	0x10
#define PMC_TP_FREQ_TRACEABLE	0x20

/* MANAGEMENT_ERROR_STATUS managementErrorId values. */
enum pmc_mgmt_error {
	PMC_ERR_RESPONSE_TOO_BIG = 0x0001,
	PMC_ERR_NO_SUCH_ID = 0x0002,
	PMC_ERR_WRONG_LENGTH = 0x0003,
	PMC_ERR_WRONG_VALUE = 0x0004,
	PMC_ERR_NOT_SETABLE = 0x0005,
	PMC_ERR_NOT_SUPPORTED = 0x0006,
	PMC_ERR_GENERAL_ERROR = 0xFFFE,
};

/* Why pmc_parse refused a message (returned negated). */
enum pmc_parse_error {
	PMC_OK = 0,
	PMC_E_TRUNCATED,	/* shorter than the fixed part, or than messageLength */
	PMC_E_OVERSIZED,	/* longer than PMC_MSG_MAX */
	PMC_E_TYPE,		/* messageType is not MANAGEMENT */
	PMC_E_VERSION,		/* versionPTP is not 2 */
	PMC_E_LENGTH,		/* messageLength disagrees with the datagram */
	PMC_E_ACTION,		/* actionField out of range */
	PMC_E_TLV,		/* TLV missing, or its length runs past the message */
	PMC_E_TLV_TYPE,		/* neither MANAGEMENT nor MANAGEMENT_ERROR_STATUS */
	PMC_E_DATA_LENGTH,	/* dataset length does not fit its managementId */
	PMC_E_TEXT,		/* a PTPText runs past its TLV */
	PMC_E_COUNT
};

struct pmc_port_id {
	uint8_t clock[8];
	uint16_t port;
};

struct pmc_clock_quality {
	uint8_t clock_class;
	uint8_t accuracy;
	uint16_t variance;		/* offsetScaledLogVariance */
};

struct pmc_default_ds {
	bool two_step;
	bool slave_only;
	uint16_t number_ports;
	uint8_t priority1;
	struct pmc_clock_quality quality;
	uint8_t priority2;
	uint8_t clock_id[8];
	uint8_t domain;
};

/* TimeInterval values are nanoseconds * 2^16 (pmc_scaled_ns converts). */
struct pmc_current_ds {
	uint16_t steps_removed;
	int64_t offset_scaled;
	int64_t delay_scaled;
};

struct pmc_parent_ds {
	struct pmc_port_id parent;
	bool parent_stats;
	uint16_t observed_variance;
	int32_t observed_change_rate;
	uint8_t gm_priority1;
	struct pmc_clock_quality gm_quality;
	uint8_t gm_priority2;
	uint8_t gm_id[8];
};

struct pmc_time_props {
	int16_t utc_offset;		/* currentUtcOffset, seconds (TAI - UTC) */
	uint8_t flags;			/* PMC_TP_* */
	uint8_t time_source;
};

struct pmc_port_ds {
	struct pmc_port_id id;
	uint8_t state;			/* enum pmc_port_state */
	int8_t log_min_delay_req;
	int64_t peer_delay_scaled;
	int8_t log_announce;
	uint8_t announce_timeout;
	int8_t log_sync;
	uint8_t delay_mechanism;	/* 1 E2E, 2 P2P, 0xFE disabled */
	int8_t log_min_pdelay_req;
	uint8_t version;
};

struct pmc_time_status {
	int64_t master_offset_ns;
	int64_t ingress_time_ns;	/* 0: no Sync received yet */
	int32_t cumulative_rate_offset;
	int32_t scaled_last_gm_phase_change;
	uint16_t gm_time_base_indicator;
	uint8_t last_gm_phase_change[12];	/* ScaledNs, raw */
	int32_t gm_present;
	uint8_t gm_id[8];
};

struct pmc_port_props {
	struct pmc_port_id id;
	uint8_t state;
	uint8_t timestamping;		/* linuxptp: 0 software, 1 hardware, 2 legacy, 3 one-step, ... */
	char iface[PMC_TEXT_MAX + 1];	/* NUL-terminated; embedded NULs end it early */
};

struct pmc_subscribe {
	uint16_t duration_s;
	uint8_t bitmask[PMC_EVENT_BITMASK_LEN];
};

struct pmc_error_status {
	uint16_t error_id;		/* enum pmc_mgmt_error */
	uint16_t id;			/* the managementId it is about */
	char text[PMC_TEXT_MAX + 1];	/* displayData, may be empty */
};

/* A parsed management message. */
struct pmc_msg {
	uint8_t transport_specific;
	uint8_t version;		/* versionPTP (low nibble) */
	uint16_t length;		/* messageLength */
	uint8_t domain;
	struct pmc_port_id source;
	uint16_t sequence;
	struct pmc_port_id target;
	uint8_t starting_hops, hops;
	uint8_t action;			/* enum pmc_action */
	uint16_t tlv_type;		/* enum pmc_tlv_type */
	uint16_t id;			/* managementId (of the error, for an error status) */
	size_t data_len;		/* bytes of the TLV's data field */
	bool has_data;			/* a dataset of a known id was decoded into u */
	union {
		struct pmc_default_ds dds;
		struct pmc_current_ds cds;
		struct pmc_parent_ds pds;
		struct pmc_time_props tp;
		struct pmc_port_ds pods;
		struct pmc_time_status ts;
		struct pmc_port_props pp;
		struct pmc_subscribe sub;
		struct pmc_error_status err;
	} u;
};

/* What a request carries besides its TLV. */
struct pmc_request {
	uint8_t action;			/* PMC_GET, PMC_SET, ... */
	uint16_t id;
	uint8_t domain;
	uint8_t transport_specific;	/* 0..15; must match ptp4l's transportSpecific */
	uint16_t sequence;
	struct pmc_port_id source;	/* who we are: replies are addressed to it */
	struct pmc_port_id target;	/* pmc_wildcard() for every port of the clock */
	uint8_t boundary_hops;		/* 0: the local ptp4l only */
	const uint8_t *data;		/* TLV data, may be NULL when data_len is 0 */
	size_t data_len;
};

/* The all-ones targetPortIdentity: every clock, every port. */
struct pmc_port_id pmc_wildcard(void);

/* Write a request into buf.  Returns the message length, or -1 if it does not
 * fit into `cap` or PMC_MSG_MAX.  A GET carries no data (as `pmc -z` sends
 * it); ptp4l accepts that for every id. */
ssize_t pmc_build(uint8_t *buf, size_t cap, const struct pmc_request *req);
/* A SET SUBSCRIBE_EVENTS_NP request for `events` (a bit per enum pmc_event)
 * lasting duration_s seconds; the other fields come from *base. */
ssize_t pmc_build_subscribe(uint8_t *buf, size_t cap, const struct pmc_request *base,
			    uint16_t duration_s, uint32_t events);

/* Parse one datagram.  Returns PMC_OK (0) or a negated enum pmc_parse_error;
 * *out is fully written only on success.  Responses of known ids are decoded
 * into out->u (has_data); others keep only their id and data length. */
int pmc_parse(const uint8_t *buf, size_t len, struct pmc_msg *out);

const char *pmc_strerror(int err);		/* for pmc_parse's result */
const char *pmc_id_name(uint16_t id);		/* "CURRENT_DATA_SET", "0x1234" for others */
const char *pmc_port_state_name(uint8_t state);	/* "SLAVE", ... "UNKNOWN" */
const char *pmc_action_name(uint8_t action);
const char *pmc_error_name(uint16_t error_id);	/* "NOT_SUPPORTED", ... */

/* TimeInterval (ns * 2^16) to nanoseconds, rounded to the nearest. */
int64_t pmc_scaled_ns(int64_t scaled);

/* "001122.fffe.334455" as linuxptp prints a clockIdentity (buf >= 19 bytes). */
char *pmc_clock_id_str(const uint8_t id[8], char *buf, size_t len);
/* "001122.fffe.334455-1" (buf >= 25 bytes). */
char *pmc_port_id_str(const struct pmc_port_id *id, char *buf, size_t len);

/* ---- transport ---- */

struct pmc_uds {
	int fd;				/* -1 when closed */
	char local[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char server[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Bind a non-blocking, close-on-exec datagram socket to `local_path` (a stale
 * file there is removed; the socket is mode 0600) and remember `server_path`.
 * 0, or -1 with a reason in err. */
int pmc_uds_open(struct pmc_uds *u, const char *local_path, const char *server_path,
		 char *err, size_t errlen);
/* Send one message to the server.  Every message is addressed anew (sendto),
 * so a restarted ptp4l is found at the same path.  0 or -1 with errno. */
int pmc_uds_send(struct pmc_uds *u, const void *buf, size_t len);
/* Receive one datagram.  Returns its full length (more than cap if it was
 * cut: treat as oversized; 0 for an empty one), or -1 with errno (EAGAIN:
 * nothing is waiting).
 * *from_server is false when the sender is not the server's socket path. */
ssize_t pmc_uds_recv(struct pmc_uds *u, void *buf, size_t cap, bool *from_server);
/* Close the socket and remove its path. */
void pmc_uds_close(struct pmc_uds *u);

#endif
