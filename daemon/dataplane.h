/* dataplane.h — tsnd's eBPF/XDP programs: load, attach to ports, read counters.
 *
 * Today it carries one small program (bpf/port_counters.bpf.c) that counts frames
 * per kind on each port's receive path and passes them on; the stream classifier,
 * IPv6 fast path and per-stream policing plug in here later. */
#ifndef TSND_DATAPLANE_H
#define TSND_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>

#include <json.h>

#include "tsn/config.h"

struct dataplane;

/* Open and load the BPF objects (runs the verifier).  NULL on failure, with a
 * reason in err. */
struct dataplane *dataplane_create(char *err, size_t errlen);
/* Make the attachments match cfg: attach to every port whose `xdp` is not off, detach
 * from ports no longer listed or switched off.  All or nothing: on failure every
 * port is left as it was before the call and err names the port and the reason. */
int dataplane_apply(struct dataplane *dp, const struct tsn_config *cfg, char *err, size_t errlen);
/* Detach everything (unless keep_attached) and free. */
void dataplane_destroy(struct dataplane *dp, bool keep_attached);

/* {"state":"loaded","ports_attached":N} */
json_object *dataplane_status_json(const struct dataplane *dp);
/* For one port: {"mode":"off|native|generic","attached":bool,"prog_id":N,
 *  "counters":{"<kind>":{"packets":N,"bytes":N},...}} or NULL if unknown. */
json_object *dataplane_port_json(const struct dataplane *dp, const char *port);

#endif
