/* SPDX-License-Identifier: GPL-2.0-only */
/* frer_conf.c — tsnd's FRER: the `frer:` section made real on the data plane
 * (docs/frer.md "How FRER joins the pipeline").
 *
 * One call, frer_plane_apply, takes FRER from whatever it is to what a
 * configuration says: bpf/frer.bpf.o loaded at the first entry (at start-up by
 * a thread, beside the data plane's own load: frer_plane_preload), its tables written
 * (frer_apply: all or nothing, state kept for unchanged streams), frer_tc on the
 * tc ingress hook of every XDP port (in front of tsn_tc_ingress), frer_xdp in
 * tsn_xdp's tail-call slot.  The reload transaction's abort is the same call with
 * the old configuration. */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "evloop.h"
#include "frer.h"
#include "ports.h"
#include "startup_probe.h"
#include "tsn/log.h"

struct frer_plane {
	struct frer *f;
	struct ev_io *io;		/* the latent-error ring buffer */
	int *tc;			/* ifindexes that carry frer_tc */
	size_t n_tc;
	bool slot;			/* frer_xdp is in tsn_frer_prog */
	uint64_t latent_events;		/* latent-error events read (and logged) */
};

/* The object loaded ahead at start-up (frer_plane_preload): one thread, joined
 * by the first apply or by frer_plane_free. */
static struct {
	pthread_t thread;
	bool running;
	struct frer *f;
	uint64_t wall_ns, cpu_ns;	/* the load's own time, for the start-up probe */
	char err[256];
} preload;

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *preload_main(void *arg)
{
	uint64_t w = clock_ns(CLOCK_MONOTONIC), c = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	(void)arg;
	preload.f = frer_new(preload.err, sizeof(preload.err));
	preload.wall_ns = clock_ns(CLOCK_MONOTONIC) - w;
	preload.cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c;
	return NULL;
}

void frer_plane_preload(void)
{
	/* Whatever the configuration: once start-up is over tsnd may no longer
	 * load programs (privs.c drops CAP_PERFMON and CAP_SYS_ADMIN), and a
	 * reload, such as tsncnc's deploy of a redundant stream, may turn FRER on. */
	if (preload.running || preload.f)
		return;
	/* Without the thread, the first apply loads the object itself. */
	if (pthread_create(&preload.thread, NULL, preload_main, NULL) == 0)
		preload.running = true;
}

bool frer_plane_test_preloaded(void)
{
	return preload.running || preload.f;
}

/* The preloaded object, else a new one; NULL with err on failure. */
static struct frer *take_frer(char *err, size_t errlen)
{
	struct frer *f;
	struct sprobe pr;

	sprobe_start(&pr);
	if (!preload.running) {
		f = frer_new(err, errlen);
		sprobe_end(&pr, "frer_load");
		return f;
	}
	pthread_join(preload.thread, NULL);
	preload.running = false;
	sprobe_end(&pr, "frer_wait");
	sprobe_add("frer_load", preload.wall_ns, preload.cpu_ns);
	f = preload.f;
	preload.f = NULL;
	if (!f)
		snprintf(err, errlen, "%s", preload.err);
	return f;
}

static void preload_drop(void)
{
	if (preload.running) {
		pthread_join(preload.thread, NULL);
		preload.running = false;
	}
	frer_free(preload.f);
	preload.f = NULL;
}

static void on_latent(const struct tsn_frer_event *ev, void *ctx)
{
	struct frer_plane *fp = ctx;

	fp->latent_events++;
	log_warn("frer: stream %u: latent error, %lld duplicates missing since the last reset "
		 "(passed %llu, discarded %llu): a path may be down", ev->stream_id, (long long)ev->diff,
		 (unsigned long long)ev->passed, (unsigned long long)ev->discarded);
}

static void on_events(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct frer_plane *fp = arg;

	(void)loop;
	(void)fd;
	(void)events;
	frer_events_consume(fp->f, on_latent, fp);
}

/* cfg's entries as frer_apply's list; NULL with err on failure. */
static struct frer_stream_conf *to_confs(const struct tsn_config *cfg, char *err, size_t errlen)
{
	struct frer_stream_conf *c = calloc(cfg->n_frer ? cfg->n_frer : 1, sizeof(*c));
	long *res = tsn_config_frer_resolve(cfg);

	if (!c || !res) {
		snprintf(err, errlen, "frer: out of memory");
		goto fail;
	}
	for (size_t i = 0; i < cfg->n_frer; i++) {
		const struct tsn_cfg_frer *e = &cfg->frer[i];
		struct frer_stream_conf *s = &c[i];

		if (res[i] < 0) {	/* the parser refused it already */
			snprintf(err, errlen, "frer[%zu]: no stream '%s'", i, e->stream);
			goto fail;
		}
		s->stream_id = cfg->streams[res[i]].id;
		s->priority = (uint8_t)cfg->streams[res[i]].priority;
		/* Without XDP metadata tsn_xdp cannot tell frer_xdp which stream it
		 * identified; a stream identified by destination MAC and VLAN is then
		 * found by frer_xdp's own null stream identification, the same key
		 * (docs/dataplane.md, "Without XDP metadata"). */
		const struct tsn_cfg_stream *st = &cfg->streams[res[i]];

		if (!dataplane_xdp_meta_ok() && st->identification == TSN_IDENT_DST_MAC_VLAN && st->has_dst_mac) {
			s->has_ident = true;
			memcpy(s->ident_mac, st->dst_mac.addr, sizeof(s->ident_mac));
			s->ident_vid = st->has_vlan ? (uint16_t)st->vlan : TSN_FRER_VID_UNTAGGED;
		}
		s->flags = e->role == TSN_FRER_ROLE_GENERATOR ? TSN_FRER_GEN :
			   e->role == TSN_FRER_ROLE_RECOVERY ? TSN_FRER_RCVY : TSN_FRER_RCVY | TSN_FRER_GEN;
		if (s->flags & TSN_FRER_RCVY) {
			s->algorithm = e->algorithm == TSN_FRER_ALG_CFG_MATCH ? TSN_FRER_ALG_MATCH : TSN_FRER_ALG_VECTOR;
			s->history = e->history;
			s->reset_ns = e->reset_timeout_ns;
			s->flags |= (e->individual_recovery ? TSN_FRER_INDIV : 0) |
				    (e->take_no_sequence ? TSN_FRER_TAKE_NO_SEQ : 0);
			if (e->has_latent_error) {
				s->flags |= TSN_FRER_LATENT;
				s->lat_paths = e->latent_error.paths;
				s->lat_difference = e->latent_error.difference;
				s->lat_period_ns = e->latent_error.period_ns;
				s->lat_reset_ns = e->latent_error.reset_period_ns;
			}
		}
		s->n_split = (unsigned)e->n_paths;
		for (size_t j = 0; j < e->n_paths && j < TSN_FRER_MAX_SPLIT; j++) {
			s->split_ifindex[j] = if_nametoindex(e->paths[j].port);
			if (!s->split_ifindex[j]) {
				snprintf(err, errlen, "frer[%zu].paths[%zu]: port %s: %s", i, j, e->paths[j].port,
					 strerror(errno));
				goto fail;
			}
			s->split_vid[j] = e->paths[j].has_vlan ? (uint16_t)e->paths[j].vlan : 0;
		}
	}
	free(res);
	return c;
fail:
	free(res);
	free(c);
	return NULL;
}

/* The ports frer_tc belongs on: every XDP port, while there is a frer entry
 * (a split stream may arrive on any of them). */
static int want_tc(const struct tsn_config *cfg, int **out, size_t *n, char *err, size_t errlen)
{
	*n = 0;
	*out = calloc(cfg->n_ports ? cfg->n_ports : 1, sizeof(**out));
	if (!*out) {
		snprintf(err, errlen, "frer: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; cfg->n_frer && i < cfg->n_ports; i++) {
		if (cfg->ports[i].xdp == TSN_XDP_OFF)
			continue;
		int ifindex = (int)if_nametoindex(cfg->ports[i].name);
		if (!ifindex) {
			snprintf(err, errlen, "frer: port %s: %s", cfg->ports[i].name, strerror(errno));
			free(*out);
			*out = NULL;
			return -ENODEV;
		}
		(*out)[(*n)++] = ifindex;
	}
	return 0;
}

static bool has(const int *v, size_t n, int x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* frer_tc off a port; the clsact qdisc too when nothing else is left on it
 * (tsnd's own tc program went with the port's data plane already). */
static void tc_off(int ifindex)
{
	char name[IF_NAMESIZE] = "?";

	if (frer_tc_detach(ifindex) != 0)	/* 1: it was on tcx, clsact is not frer's */
		return;
	if_indextoname((unsigned)ifindex, name);
	if (ports_tc_filters(ifindex, FRER_TC_PRIO) == 0) {
		struct bpf_tc_hook h = { .sz = sizeof(h), .ifindex = ifindex,
					 .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS };
		if (bpf_tc_hook_destroy(&h) < 0)
			log_debug("frer: port %s: cannot remove the clsact qdisc", name);
	}
}

static int set_slot(struct frer_plane *fp, struct dataplane *dp, bool on, char *err, size_t errlen)
{
	int fd = dp ? dataplane_map_fd(dp, "tsn_frer_prog") : -1;
	uint32_t zero = 0;
	int rc;

	if (fd < 0) {
		if (!on)
			return 0;
		snprintf(err, errlen, "frer: the data plane has no FRER hook (tsn_frer_prog)");
		return -ENOENT;
	}
	if (on) {
		int prog = frer_xdp_fd(fp->f);
		rc = bpf_map_update_elem(fd, &zero, &prog, BPF_ANY);
	} else {
		rc = bpf_map_delete_elem(fd, &zero);
		if (rc == -ENOENT)
			rc = 0;
	}
	if (rc < 0) {
		snprintf(err, errlen, "frer: cannot %s the FRER hook of tsn_xdp: %s", on ? "fill" : "empty",
			 strerror(-rc));
		return rc;
	}
	fp->slot = on;
	return 0;
}

static int apply(struct frer_plane **fpp, struct dataplane *dp, struct evloop *loop, const struct tsn_config *cfg,
		 char *err, size_t errlen)
{
	struct frer_plane *fp = *fpp;
	struct frer_stream_conf *confs = NULL;
	int *want = NULL, *added = NULL;
	size_t n_want = 0, n_added = 0;
	int rc;

	err[0] = '\0';
	if (!cfg->n_frer && !fp)
		return 0;
	if (!fp) {
		fp = calloc(1, sizeof(*fp));
		if (!fp) {
			snprintf(err, errlen, "frer: out of memory");
			return -ENOMEM;
		}
		fp->f = take_frer(err, errlen);
		if (!fp->f) {
			free(fp);
			return -EIO;
		}
		if (loop)
			fp->io = evloop_io_add(loop, frer_events_fd(fp->f), EPOLLIN, on_events, fp);
		*fpp = fp;
	}
	confs = to_confs(cfg, err, errlen);
	if (!confs)
		return -EINVAL;
	rc = want_tc(cfg, &want, &n_want, err, errlen);
	added = calloc(n_want ? n_want : 1, sizeof(*added));
	if (rc == 0 && !added) {
		snprintf(err, errlen, "frer: out of memory");
		rc = -ENOMEM;
	}
	/* The tables first: a frame that reaches frer_xdp or frer_tc finds its stream. */
	if (rc == 0)
		rc = frer_apply(fp->f, confs, cfg->n_frer, err, errlen);
	for (size_t i = 0; rc == 0 && i < n_want; i++) {
		if (has(fp->tc, fp->n_tc, want[i]))
			continue;
		rc = frer_tc_attach(fp->f, want[i], err, errlen);
		if (rc == 0)
			added[n_added++] = want[i];
	}
	if (rc == 0)
		rc = set_slot(fp, dp, cfg->n_frer > 0, err, errlen);
	if (rc < 0) {
		/* Undo this call's attachments; the caller's abort restores the tables. */
		for (size_t i = 0; i < n_added; i++)
			tc_off(added[i]);
		free(want);
		free(added);
		free(confs);
		return rc;
	}
	for (size_t i = 0; i < fp->n_tc; i++)
		if (!has(want, n_want, fp->tc[i]))
			tc_off(fp->tc[i]);
	free(fp->tc);
	fp->tc = want;
	fp->n_tc = n_want;
	free(added);
	free(confs);
	return 0;
}

int frer_plane_apply(struct frer_plane **fpp, struct dataplane *dp, struct evloop *loop,
		     const struct tsn_config *cfg, char *err, size_t errlen)
{
	int rc = apply(fpp, dp, loop, cfg, err, errlen);

	/* Every reason names FRER: "frer: ..." or "frer[i]...". */
	if (rc < 0 && strncmp(err, "frer", 4) != 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "frer: %s", why);
	}
	return rc;
}

void frer_plane_free(struct frer_plane *fp, struct dataplane *dp)
{
	char err[256];

	preload_drop();
	if (!fp)
		return;
	/* Off the hook first, then off the ports: no frame meets half of FRER. */
	if (fp->slot)
		set_slot(fp, dp, false, err, sizeof(err));
	for (size_t i = 0; i < fp->n_tc; i++)
		frer_tc_detach(fp->tc[i]);
	evloop_io_del(fp->io);
	frer_free(fp->f);
	free(fp->tc);
	free(fp);
}

struct frer *frer_plane_frer(const struct frer_plane *fp)
{
	return fp ? fp->f : NULL;
}

uint64_t frer_plane_latent_events(const struct frer_plane *fp)
{
	return fp ? fp->latent_events : 0;
}

/* ---- reports ---- */

static const char *port_name(int ifindex, char *buf)
{
	return if_indextoname((unsigned)ifindex, buf) ? buf : NULL;
}

static void name_ports(json_object *arr)
{
	char buf[IF_NAMESIZE];
	size_t n = arr ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i), *ix;
		if (json_object_object_get_ex(o, "ifindex", &ix)) {
			const char *nm = port_name(json_object_get_int(ix), buf);
			json_object_object_add(o, "port", nm ? json_object_new_string(nm) : NULL);
		}
	}
}

json_object *frer_plane_json(const struct frer_plane *fp, const struct tsn_config *cfg, uint32_t stream_id)
{
	json_object *o = fp ? frer_counters_json(fp->f, stream_id) : NULL, *sa, *pa;
	long *res = cfg ? tsn_config_frer_resolve(cfg) : NULL;

	if (!o) {
		o = json_object_new_object();
		json_object_object_add(o, "streams", json_object_new_array());
		json_object_object_add(o, "ports", json_object_new_array());
	}
	json_object_object_add(o, "enabled", json_object_new_boolean(fp != NULL));
	json_object_object_add(o, "latent_error_events", json_object_new_uint64(frer_plane_latent_events(fp)));
	/* Names for the numbers: stream names, role as configured, port names. */
	if (json_object_object_get_ex(o, "streams", &sa)) {
		for (size_t i = 0; i < json_object_array_length(sa); i++) {
			json_object *s = json_object_array_get_idx(sa, i), *id, *p, *ind;
			uint32_t sid = json_object_object_get_ex(s, "stream_id", &id) ? (uint32_t)json_object_get_int64(id) : 0;

			for (size_t k = 0; res && k < cfg->n_frer; k++) {
				if (res[k] < 0 || cfg->streams[res[k]].id != sid)
					continue;
				json_object_object_add(s, "name", json_object_new_string(cfg->streams[res[k]].name));
				json_object_object_add(s, "role", json_object_new_string(
					cfg->frer[k].role == TSN_FRER_ROLE_GENERATOR ? "generator" :
					cfg->frer[k].role == TSN_FRER_ROLE_RECOVERY ? "recovery" : "recovery-generator"));
				break;
			}
			if (json_object_object_get_ex(s, "paths", &p))
				name_ports(p);
			if (json_object_object_get_ex(s, "individual", &ind))
				name_ports(ind);
		}
	}
	if (json_object_object_get_ex(o, "ports", &pa))
		name_ports(pa);
	free(res);
	return o;
}
