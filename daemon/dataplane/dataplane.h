/* SPDX-License-Identifier: GPL-2.0-only */
/* dataplane.h — tsnd's eBPF data plane (bpf/dataplane.bpf.c): load, pin, attach
 * to ports, program the classifier's tables, read counters.
 *
 * Each port whose `xdp` is not off gets the XDP program (classifier, counters,
 * IPv6 fast path) and the tc ingress program that hands frames of scheduled
 * classes to the egress qdisc.  See docs/dataplane.md. */
#ifndef TSND_DATAPLANE_H
#define TSND_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "tsn/bpf_shared.h"
#include "tsn/config.h"

struct dataplane;

/* Open and load the BPF programs (runs the verifier).  With cfg, and a non-empty
 * dataplane.pin-dir, maps are pinned there: maps a previous tsnd left pinned are
 * reused when their layout matches (tables and counters carry over), otherwise
 * replaced.  NULL on failure, with a reason in err. */
struct dataplane *dataplane_create(const struct tsn_config *cfg, char *err, size_t errlen);
/* Make the data plane match cfg: programs on every port whose `xdp` is not off
 * (and off every other port tsnd attached to), the classifier's tables, the
 * ports XDP may redirect to, the pin directory.  All or nothing: on failure the
 * ports and the tables are as before the call, and err names the port or the
 * table entry and the reason. */
int dataplane_apply(struct dataplane *dp, const struct tsn_config *cfg, char *err, size_t errlen);
/* Detach everything and remove the pins (unless keep_attached), then free. */
void dataplane_destroy(struct dataplane *dp, bool keep_attached);

/* {"state":"loaded","ports_attached":N,"generation":G,"pin_dir":"...",
 *  "tc_hook":"tcx"|"clsact"} */
json_object *dataplane_status_json(const struct dataplane *dp);
/* For one port: {"mode":"off|native|generic","attached":bool,"tc_attached":bool,
 *  "tc_hook":"tcx"|"clsact","prog_id":N,"counters":{"<kind>":{"packets":N,"bytes":N},...},
 *  "forwarding":{"<reason>":N,...},"tc":{"redirected":N,...}} or NULL if unknown. */
json_object *dataplane_port_json(const struct dataplane *dp, const char *port);
/* {"streams":[{"id","name","identification","match":{...},"match_text","priority",
 *  "filter","counters":{"packets","bytes","drops"}|null}]}; only stream `id` when
 * has_id.  dp may be NULL (no counters). */
json_object *dataplane_streams_json(const struct dataplane *dp, const struct tsn_config *cfg,
				    bool has_id, uint32_t id);
/* {"ports":[{"name","attached","scheduled","classes":[{"class","priorities":[..],
 *  "scheduled","packets","bytes","drops"}]}]}; only port dev when dev != NULL. */
json_object *dataplane_class_stats_json(const struct dataplane *dp, const struct tsn_config *cfg,
					const char *dev);

/* The fast path's FIB cache (docs/dataplane.md "FIB cache") is used only while
 * watched is true — someone calls dataplane_fib_invalidate on every change of
 * the kernel's routes, neighbours, links and addresses — and the configuration's
 * dataplane.fib-cache is on.  Both calls start a new cache generation. */
void dataplane_fib_watched(struct dataplane *dp, bool watched);
void dataplane_fib_invalidate(struct dataplane *dp);
bool dataplane_fib_cache_on(const struct dataplane *dp);

/* Names of enum tsn_fwd_reason, for JSON and docs. */
const char *dataplane_fwd_reason_name(unsigned reason);

/* The bridge's XDP fast path (bridge_fast.h: bridge_fast_counters for `tsnctl
 * fdb show`), or NULL if its program could not be loaded. */
struct bridge_fast *dataplane_bridge(const struct dataplane *dp);

/* A port's (by ifindex) or a stream's counters, summed over the CPUs.  The
 * counters live in arrays indexed by slots tsnd keeps per port and stream id
 * (classifier.c): read them here, not by key from the maps.  A port without a
 * slot reads all zero (0); a stream without one -ENOENT. */
int dataplane_port_counters(const struct dataplane *dp, int ifindex, struct port_counters *sum);
int dataplane_stream_counters(const struct dataplane *dp, uint32_t id, struct tsn_stream_counters *sum);
/* For tests: the counter slot of a stream id or a port, or -ENOENT. */
int dataplane_stream_slot(const struct dataplane *dp, uint32_t id);
int dataplane_port_slot(const struct dataplane *dp, int ifindex);

/* The tc hook (docs/dataplane.md, "tc hook"): tsnd's tc programs (tsn_tc_ingress,
 * frer_tc) go on the tcx ingress list where the kernel has tcx (6.6+), else on
 * the clsact qdisc as cls_bpf filters.  TSND_TC_HOOK=clsact forces clsact (and
 * =tcx forces tcx); read when the data plane and FRER attach. */
bool dataplane_kernel_has_tcx(void);		/* probed once */
/* Whether XDP programs may reserve metadata for tc here (bpf_xdp_adjust_meta;
 * some kernels refuse the helper).  Probed once; TSND_XDP_META=0 says no on any
 * kernel (tests of the fallback).  Without it frames for tc reach the kernel
 * unclassified (docs/dataplane.md, "Without XDP metadata"). */
bool dataplane_xdp_meta_ok(void);
bool dataplane_tcx_wanted(void);
const char *dataplane_tc_hook(const struct dataplane *dp);	/* "tcx" or "clsact" */
/* On ifindex's tcx ingress list: id if there, else the id of a program named
 * name (the kernel's truncated name), else 0 (also without tcx). */
uint32_t dataplane_tcx_find(int ifindex, const char *name, uint32_t id);
uint32_t dataplane_prog_id(int prog_fd);	/* the kernel's id of a program, 0 on error */
/* Attach prog_fd: in replace_fd's place (>= 0), else first or last.  Detach
 * exactly prog_fd.  0 or -errno. */
int dataplane_tcx_attach(int ifindex, int prog_fd, int replace_fd, bool first);
int dataplane_tcx_detach(int ifindex, int prog_fd);

/* For tests and benchmarks: the programs' and maps' file descriptors. */
int dataplane_xdp_fd(const struct dataplane *dp);
int dataplane_tc_fd(const struct dataplane *dp);
int dataplane_map_fd(const struct dataplane *dp, const char *map_name);

/* For tests only.  dataplane_apply fails right after the named step ("vlans",
 * "tables", "devmap"; NULL or "" for none), as if the kernel had refused, so
 * that the rollback of what came before can be checked. */
void dataplane_test_fail_after(struct dataplane *dp, const char *step);
/* A VLAN sub-interface (port, vid) -> sub_ifindex added to what the kernel's
 * link list says, for kernels without 8021q (this host's); cleared by
 * dataplane_test_clear_vlans.  0 or -ENOMEM. */
int dataplane_test_add_vlan(struct dataplane *dp, int port_ifindex, unsigned vid, int sub_ifindex);
void dataplane_test_clear_vlans(struct dataplane *dp);

#endif
