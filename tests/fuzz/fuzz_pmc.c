/* SPDX-License-Identifier: GPL-2.0-only */
/* fuzz_pmc.c — libFuzzer target for the management-message parser (lib/pmc.c).
 *
 * Any byte string goes to pmc_parse; whatever it accepts must be consistent
 * (lengths within the input, text NUL-terminated) and survive being printed.
 * Built with clang -fsanitize=fuzzer,address,undefined (make fuzz; a short run
 * is part of make test).  Seeds: tests/fuzz/corpus/pmc, datagrams ptp4l sent. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tsn/pmc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmc_msg m;
	char buf[64];

	int rc = pmc_parse(data, size, &m);
	if (rc != PMC_OK) {
		if (rc >= 0 || rc <= -PMC_E_COUNT)
			__builtin_trap();	/* an error outside the documented set */
		(void)pmc_strerror(rc);
		return 0;
	}
	/* What was accepted fits what was given. */
	if (size < PMC_MGMT_LEN + PMC_TLV_HEAD_LEN || m.length != size ||
	    m.data_len > size - PMC_MGMT_LEN - PMC_TLV_HEAD_LEN || m.action > PMC_ACKNOWLEDGE)
		__builtin_trap();
	pmc_port_id_str(&m.source, buf, sizeof(buf));
	pmc_port_id_str(&m.target, buf, sizeof(buf));
	(void)pmc_id_name(m.id);
	(void)pmc_action_name(m.action);
	if (m.has_data) {
		switch (m.id) {
		case PMC_ID_PORT_PROPERTIES_NP:
			if (strlen(m.u.pp.iface) > PMC_TEXT_MAX || strlen(m.u.pp.iface) > m.data_len)
				__builtin_trap();
			(void)pmc_port_state_name(m.u.pp.state);
			break;
		case PMC_ID_PORT_DATA_SET:
			(void)pmc_port_state_name(m.u.pods.state);
			(void)pmc_scaled_ns(m.u.pods.peer_delay_scaled);
			break;
		case PMC_ID_CURRENT_DATA_SET:
			(void)pmc_scaled_ns(m.u.cds.offset_scaled);
			(void)pmc_scaled_ns(m.u.cds.delay_scaled);
			break;
		case PMC_ID_PARENT_DATA_SET:
			pmc_clock_id_str(m.u.pds.gm_id, buf, sizeof(buf));
			break;
		default:
			break;
		}
		if (m.tlv_type == PMC_TLV_MANAGEMENT_ERROR_STATUS &&
		    (strlen(m.u.err.text) > PMC_TEXT_MAX || m.data_len + 8 > size))
			__builtin_trap();
	}
	return 0;
}
