/* SPDX-License-Identifier: GPL-2.0-only */
/* frer.h — IEEE 802.1CB FRER: tsnd's side of bpf/frer.bpf.c (docs/frer.md).
 *
 * frer_new loads the object; frer_apply makes its tables say what a list of
 * struct frer_stream_conf says (checked first, all or nothing); the counters come
 * back as JSON named after 802.1CB's managed objects; latent-error events are read
 * from the ring buffer.  The `frer:` configuration section, attaching the programs
 * to ports and the reload hook come with the integration step (docs/frer.md). */
#ifndef TSND_FRER_H
#define TSND_FRER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "tsn/bpf_frer.h"

/* One stream's FRER functions on this switch, as the `frer:` section will hold it. */
struct frer_stream_conf {
	uint32_t stream_id;		/* the stream's id (streams[].id) */
	unsigned flags;			/* TSN_FRER_* */
	enum tsn_frer_alg algorithm;
	unsigned history;		/* 2..64, Vector only (0: 2) */
	uint64_t reset_ns;		/* 0: no reset timer */
	unsigned lat_paths;		/* LATENT: 2..8 */
	uint32_t lat_difference;
	uint64_t lat_period_ns;		/* LATENT: > 0 */
	uint64_t lat_reset_ns;		/* LATENT: >= lat_period_ns */
	uint8_t priority;		/* 0..7: used when tsn_xdp left no metadata */
	unsigned n_split;		/* 0..TSN_FRER_MAX_SPLIT egress ports */
	uint32_t split_ifindex[TSN_FRER_MAX_SPLIT];
	uint16_t split_vid[TSN_FRER_MAX_SPLIT];	/* 0: the frame's VLAN, else 1..4094 */
	bool has_ident;			/* null stream identification in frer_ident */
	uint8_t ident_mac[6];
	uint16_t ident_vid;		/* TSN_FRER_VID_UNTAGGED: untagged */
};

struct frer;

/* Load bpf/frer.bpf.o (not attached).  NULL with the reason in err. */
struct frer *frer_new(char *err, size_t errlen);
void frer_free(struct frer *f);

/* 0, or -EINVAL with "frer[i].field: reason" in err.  No side effects. */
int frer_check(const struct frer_stream_conf *s, size_t n, char *err, size_t errlen);

/* Make the tables hold exactly s[0..n): a stream whose configuration did not change
 * keeps its state and counters, a changed one starts afresh, a removed one goes.
 * Checked first; a map write that fails undoes the writes made before it.  0, or a
 * negative errno with the reason in err (the tables then as before). */
int frer_apply(struct frer *f, const struct frer_stream_conf *s, size_t n, char *err, size_t errlen);

/* {"streams":[{"stream_id", roles, "seq_rcvy": {counters...}, "gen_seq", ...}],
 *  "ports":[{"ifindex", counters...}]}; stream_id 0: every stream. */
json_object *frer_counters_json(struct frer *f, uint32_t stream_id);

/* Hand each pending latent-error event to cb; the number handled or a negative
 * errno.  frer_events_fd: poll it for readability (the event loop). */
int frer_events_consume(struct frer *f, void (*cb)(const struct tsn_frer_event *ev, void *ctx), void *ctx);
int frer_events_fd(const struct frer *f);

/* frer_tc on a port's tc ingress hook, where it runs before tsn_tc_ingress: frames
 * of no split stream fall through to it.  The hook is the data plane's
 * (dataplane_tcx_wanted): first on the tcx list, or on clsact (created if
 * missing) at a priority before tsnd's (dataplane_priv.h: 0x7473).  0 or a
 * negative errno with the reason in err. */
#define FRER_TC_NAME "frer_tc"
#define FRER_TC_HANDLE 0x7472
#define FRER_TC_PRIO 0x7472
int frer_tc_attach(struct frer *f, int ifindex, char *err, size_t errlen);
/* Remove it from either hook (the clsact qdisc stays: tsn_tc_ingress may sit
 * there).  0 if it came off clsact, 1 if off tcx only, or -errno. */
int frer_tc_detach(int ifindex);
/* The id of frer_tc on ifindex's tcx list or at FRER_TC_PRIO on clsact, 0 if none. */
uint32_t frer_tc_attached(int ifindex);

/* Programs and maps (loader, tests, benchmarks); -1 if none of that name. */
int frer_xdp_fd(const struct frer *f);
int frer_tc_fd(const struct frer *f);
int frer_map_fd(const struct frer *f, const char *name);

/* ---- tsnd: the `frer:` section on the data plane (frer_conf.c) ---- */
struct dataplane;
struct evloop;
struct tsn_config;
struct frer_plane;

/* Make FRER what cfg->frer says: the object loaded at the first entry (*fp set;
 * its latent-error events read on loop and logged), the tables written, frer_tc
 * on every XDP port, frer_xdp in tsn_xdp's tail-call slot (dp's tsn_frer_prog);
 * with no entry, the slot emptied and frer_tc removed.  On failure the ports are
 * as before and err says why; the tables may be new: the transaction's abort
 * calls this again with the old configuration. */
int frer_plane_apply(struct frer_plane **fp, struct dataplane *dp, struct evloop *loop,
		     const struct tsn_config *cfg, char *err, size_t errlen);
/* Start-up: load bpf/frer.bpf.o in a thread now, while the data plane's own
 * programs are verified, whatever the configuration (a later reload
 * may add FRER entries, when tsnd can no longer load programs); the first
 * frer_plane_apply with entries takes it (or its error). */
void frer_plane_preload(void);
/* For tests: an object is being loaded or waits to be taken. */
bool frer_plane_test_preloaded(void);
/* Off the hook and off the ports, then freed (before dataplane_destroy); an
 * object preloaded and never taken is freed too. */
void frer_plane_free(struct frer_plane *fp, struct dataplane *dp);
struct frer *frer_plane_frer(const struct frer_plane *fp);
uint64_t frer_plane_latent_events(const struct frer_plane *fp);
/* frer_counters_json with names: {"enabled", "latent_error_events",
 * "streams":[{..., "name", "role", "paths":[{"ifindex","port","vlan"}]}],
 * "ports":[{"ifindex","port","counters"}]}.  fp may be NULL (FRER off). */
json_object *frer_plane_json(const struct frer_plane *fp, const struct tsn_config *cfg, uint32_t stream_id);

#endif
