/* SPDX-License-Identifier: GPL-2.0-only */
/* telemetry.c — residence-time histograms and gate-conformance counters: load
 * and attach bpf/telemetry.bpf.c, keep its maps in step with the configuration,
 * read and merge the per-CPU values.  docs/telemetry.md describes the measurement.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "schedule.h"
#include "telemetry.h"
#include "tsn/bpf_shared.h"
#include "tsn/log.h"
#include "tsn/timefmt.h"
#include "bpf/telemetry.skel.h"

enum tele_state { TELE_OFF, TELE_ON, TELE_UNAVAILABLE };

struct telemetry {
	enum tele_state state;
	char message[256];
	struct telemetry_bpf *skel;	/* loaded once; kept while off (see load) */
	bool attached;
	int ncpu;
	void *buf;			/* ncpu values of the largest per-CPU map */
	time_t since;
	uint64_t fast_path_base;	/* port_stats' XDP_REDIRECT count at the last reset */
	bool need_fast_base;
};

/* ---- histogram arithmetic ---- */

uint64_t tele_bucket_lower(uint32_t i)
{
	uint32_t g, sub;

	if (i < TSN_HIST_SUB)
		return i;
	if (i >= TSN_HIST_OVERFLOW)
		return 1ull << TSN_HIST_TOP_BITS;
	g = (i - TSN_HIST_SUB) / TSN_HIST_SUB;	/* power: 2^(g + SUB_BITS) */
	sub = (i - TSN_HIST_SUB) % TSN_HIST_SUB;
	return (uint64_t)(TSN_HIST_SUB + sub) << g;
}

uint64_t tele_bucket_upper(uint32_t i)
{
	if (i >= TSN_HIST_OVERFLOW)
		return UINT64_MAX;
	if (i < TSN_HIST_SUB)
		return i;
	return tele_bucket_lower(i) + (1ull << ((i - TSN_HIST_SUB) / TSN_HIST_SUB)) - 1;
}

void tele_hist_merge(struct tsn_hist *dst, const struct tsn_hist *src)
{
	if (!src->count)
		return;
	if (!dst->count || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	for (uint32_t i = 0; i < TSN_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

uint64_t tele_hist_percentile(const struct tsn_hist *h, unsigned permille)
{
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	/* ceil(count * permille / 1000), at least 1; 128-bit: count may be large. */
	rank = (uint64_t)(((unsigned __int128)h->count * permille + 999) / 1000);
	if (rank == 0)
		rank = 1;
	for (uint32_t i = 0; i < TSN_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t v = tele_bucket_upper(i);
			if (v > h->max_ns)
				v = h->max_ns;
			if (v < h->min_ns)
				v = h->min_ns;
			return v;
		}
	}
	return h->max_ns;	/* buckets lag the count (read while written) */
}

json_object *tele_hist_json(const struct tsn_hist *h)
{
	json_object *o = json_object_new_object(), *b = json_object_new_array();
	static const struct { const char *key; unsigned permille; } pct[] = {
		{ "p50_ns", 500 }, { "p99_ns", 990 }, { "p999_ns", 999 },
	};

	json_object_object_add(o, "count", json_object_new_uint64(h->count));
	json_object_object_add(o, "min_ns", h->count ? json_object_new_uint64(h->min_ns) : NULL);
	json_object_object_add(o, "mean_ns", h->count ? json_object_new_uint64(h->sum_ns / h->count) : NULL);
	json_object_object_add(o, "max_ns", h->count ? json_object_new_uint64(h->max_ns) : NULL);
	/* exact, for exporters (Prometheus' _sum): mean_ns is rounded down */
	json_object_object_add(o, "sum_ns", json_object_new_uint64(h->sum_ns));
	for (size_t k = 0; k < sizeof(pct) / sizeof(pct[0]); k++)
		json_object_object_add(o, pct[k].key, h->count ?
				       json_object_new_uint64(tele_hist_percentile(h, pct[k].permille)) : NULL);
	for (uint32_t i = 0; i < TSN_HIST_BUCKETS; i++) {
		if (!h->b[i])
			continue;
		json_object *pair = json_object_new_array();
		json_object_array_add(pair, i >= TSN_HIST_OVERFLOW ? json_object_new_int(-1) :
				      json_object_new_uint64(tele_bucket_upper(i)));
		json_object_array_add(pair, json_object_new_uint64(h->b[i]));
		json_object_array_add(b, pair);
	}
	json_object_object_add(o, "buckets", b);
	return o;
}

/* ---- maps ---- */

static int map_fd(const struct telemetry *t, const char *name)
{
	struct bpf_map *m;

	if (!t->skel)
		return -1;
	m = bpf_object__find_map_by_name(t->skel->obj, name);
	return m ? bpf_map__fd(m) : -1;
}

/* Sum the per-CPU histograms of one key into out.  0 or -errno. */
static int read_hist(struct telemetry *t, int fd, const void *key, struct tsn_hist *out)
{
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(fd, key, t->buf) < 0)
		return -errno;
	for (int c = 0; c < t->ncpu; c++)
		tele_hist_merge(out, (const struct tsn_hist *)t->buf + c);
	return 0;
}

/* Create key with zeroed per-CPU values unless it exists (counts survive reloads).
 * The maps are not preallocated: the kernel's allocator refills its per-CPU
 * caches asynchronously, so a burst of creations may see ENOMEM for a moment. */
static int ensure_key(struct telemetry *t, int fd, const void *key, size_t value_size)
{
	memset(t->buf, 0, value_size * (size_t)t->ncpu);
	for (int tries = 0; bpf_map_update_elem(fd, key, t->buf, BPF_NOEXIST) < 0; tries++) {
		if (errno == EEXIST)
			return 0;
		if (errno != ENOMEM || tries == 100)
			return -errno;
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	return 0;
}

static bool port_wanted(const struct tsn_config *cfg, uint32_t ifindex)
{
	char name[IF_NAMESIZE];

	return if_indextoname(ifindex, name) && tsn_config_port(cfg, name);
}

static bool stream_wanted(const struct tsn_config *cfg, uint32_t id)
{
	for (size_t i = 0; i < cfg->n_streams && i < TSN_TELE_MAX_STREAMS; i++)
		if (cfg->streams[i].id == id)
			return true;
	return false;
}

/* Delete the keys of a map that `keep` refuses.  Keys are collected first:
 * deleting while walking would restart the walk. */
static void prune(int fd, size_t key_size, const struct tsn_config *cfg,
		  bool (*keep)(const struct tsn_config *, const void *))
{
	unsigned char key[8], next[8];
	unsigned char (*gone)[8] = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		if (keep(cfg, key))
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			void *p = realloc(gone, ncap * sizeof(*gone));
			if (!p)
				break;
			gone = p;
			cap = ncap;
		}
		memcpy(gone[n++], key, key_size);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, gone[i]);
	free(gone);
}

static bool keep_port_key(const struct tsn_config *cfg, const void *key)
{
	const struct tsn_tele_key *k = key;
	return k->tc < TSN_NUM_TC_MAX && port_wanted(cfg, k->ifindex);
}

static bool keep_stream_key(const struct tsn_config *cfg, const void *key)
{
	uint32_t id;
	memcpy(&id, key, sizeof(id));
	return stream_wanted(cfg, id);
}

static void set_stamp(struct dataplane *dp, bool on)
{
	int fd = dataplane_map_fd(dp, "tsn_tele_on");
	struct tsn_tele_on v = { .on = on };
	uint32_t zero = 0;

	if (fd >= 0 && bpf_map_update_elem(fd, &zero, &v, BPF_ANY) < 0)
		log_warn("telemetry: cannot switch the XDP ingress stamp %s: %s", on ? "on" : "off",
			 strerror(errno));
}

/* The schedule as the conformance program needs it.  false: not checkable. */
static bool sched_value(const struct tsn_cfg_schedule *s, uint64_t tolerance, struct tsn_tele_sched *v)
{
	uint64_t sum = 0;

	memset(v, 0, sizeof(*v));
	if (!s->n_entries || s->n_entries > TSN_TELE_MAX_ENTRIES)
		return false;
	for (size_t i = 0; i < s->n_entries; i++) {
		sum += s->entries[i].interval_ns;
		v->end_ns[i] = sum;
		v->gates[i] = (uint8_t)s->entries[i].gates;
	}
	v->cycle_ns = s->cycle_time_ns ? s->cycle_time_ns : sum;
	/* A cycle shorter than the list cuts it; a longer one extends the last entry. */
	for (size_t i = 0; i < s->n_entries; i++)
		if (v->end_ns[i] > v->cycle_ns)
			v->end_ns[i] = v->cycle_ns;
	v->end_ns[s->n_entries - 1] = v->cycle_ns;
	v->n = (uint32_t)s->n_entries;
	v->tolerance_ns = tolerance;
	v->num_tc = (uint8_t)s->num_tc;
	for (size_t p = 0; p < 16; p++)
		v->prio_tc[p] = p < s->n_map ? (uint8_t)s->map[p] : 0;
	/* base-time auto puts the base on the grid of cycle multiples anchored at 0. */
	v->base_ns = s->base_time_auto ? 0 : s->base_time_ns;
	switch (s->clock) {
	case TSN_CLOCK_MONOTONIC:
		v->clock = TSN_TELE_CLK_MONO;
		break;
	case TSN_CLOCK_BOOTTIME:
		v->clock = TSN_TELE_CLK_BOOT;
		break;
	case TSN_CLOCK_REALTIME: {
		/* BPF has no realtime clock: compare on TAI, the base moved by TAI-UTC. */
		struct timespec tai, rt;
		clock_gettime(CLOCK_TAI, &tai);
		clock_gettime(CLOCK_REALTIME, &rt);
		long off = (long)(tai.tv_sec - rt.tv_sec) + (tai.tv_nsec - rt.tv_nsec >= 500000000L ? 1 : 0);
		v->base_ns += (int64_t)off * 1000000000LL;	/* also the auto grid's 0 */
		v->clock = TSN_TELE_CLK_TAI;
		break;
	}
	default:
		v->clock = TSN_TELE_CLK_TAI;
	}
	return true;
}

static long sysfs_long(const char *dev, const char *attr)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", dev, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* The stated tolerance of a port (docs/telemetry.md): one maximum frame's time on
 * the wire at the port's link speed (MTU + 38 bytes of Ethernet header, FCS,
 * preamble and gap) plus telemetry.conformance-tolerance. */
static uint64_t port_tolerance(const struct tsn_config *cfg, const struct tsn_cfg_port *cp)
{
	long mbps = cp->link_speed_mbps ? (long)cp->link_speed_mbps : sysfs_long(cp->name, "speed");
	long mtu = sysfs_long(cp->name, "mtu");

	if (mbps <= 0)
		mbps = cp->link_speed_default_mbps ? (long)cp->link_speed_default_mbps : 1000;
	if (mtu <= 0)
		mtu = 1500;
	return cfg->telemetry.conformance_tolerance_ns +
	       ((uint64_t)(mtu + 38) * 8000 + (uint64_t)mbps - 1) / (uint64_t)mbps;
}

static void write_schedules(struct telemetry *t, const struct tsn_config *cfg, struct schedules *sched)
{
	int fd = map_fd(t, "tele_sched"), cfd = map_fd(t, "tele_conf");
	struct tsn_tele_sched *v = malloc(sizeof(*v));

	if (!v)
		return;
	/* Ports that lost their schedule stop being checked; their counters go. */
	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct tsn_cfg_port *cp = &cfg->ports[i];
		uint32_t ifindex = if_nametoindex(cp->name);
		const char *st = sched ? schedules_port_state(sched, cp->name) : "none";

		if (!ifindex)
			continue;
		if (!cp->has_schedule || (strcmp(st, "applied") != 0 && strcmp(st, "drift") != 0) ||
		    !sched_value(&cp->schedule, port_tolerance(cfg, cp), v)) {
			bpf_map_delete_elem(fd, &ifindex);
			continue;
		}
		for (uint32_t c = 0; c < TSN_NUM_TC_MAX; c++) {
			struct tsn_tele_key k = { .ifindex = ifindex, .tc = c };
			ensure_key(t, cfd, &k, sizeof(struct tsn_tele_conf));
		}
		if (bpf_map_update_elem(fd, &ifindex, v, BPF_ANY) < 0)
			log_warn("telemetry: %s: cannot write the conformance schedule: %s", cp->name,
				 strerror(errno));
	}
	free(v);
	/* Schedules of ports no longer configured. */
	uint32_t key, next;
	void *prev = NULL;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!port_wanted(cfg, key)) {
			bpf_map_delete_elem(fd, &key);
			prev = NULL;	/* start over: the walk lost its place */
		}
	}
	prune(cfd, sizeof(struct tsn_tele_key), cfg, keep_port_key);
}

static void detach(struct telemetry *t, struct dataplane *dp)
{
	set_stamp(dp, false);
	if (t->skel)
		telemetry_bpf__detach(t->skel);
	t->attached = false;
}

static void unload(struct telemetry *t, struct dataplane *dp)
{
	detach(t, dp);
	telemetry_bpf__destroy(t->skel);
	t->skel = NULL;
	free(t->buf);
	t->buf = NULL;
}

/* Loading a tracing program needs CAP_PERFMON, which tsnd drops after start-up
 * (privs.c): the object is loaded when telemetry is first on and then kept, only
 * detached while telemetry is off, so that a reload can turn it back on. */
static int load(struct telemetry *t)
{
	int rc;

	t->ncpu = libbpf_num_possible_cpus();
	if (t->ncpu <= 0) {
		snprintf(t->message, sizeof(t->message), "cannot count the CPUs: %s", strerror(-t->ncpu));
		return -1;
	}
	t->buf = calloc((size_t)t->ncpu, sizeof(struct tsn_hist));
	t->skel = telemetry_bpf__open_and_load();
	if (!t->buf || !t->skel) {
		rc = t->skel ? -ENOMEM : -errno;
		snprintf(t->message, sizeof(t->message), "cannot load the tracing programs (tp_btf "
			 "netif_receive_skb, net_dev_start_xmit): %s (needs kernel BTF, CAP_BPF and "
			 "CAP_PERFMON, which tsnd has only while it starts: restart tsnd)", strerror(-rc));
		return -1;
	}
	return 0;
}

static void zero_map(struct telemetry *t, int fd, size_t key_size, size_t value_size)
{
	unsigned char key[8], next[8];
	void *prev = NULL;

	memset(t->buf, 0, value_size * (size_t)t->ncpu);
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		bpf_map_update_elem(fd, key, t->buf, BPF_EXIST);
	}
}

/* Every histogram, total and conformance counter to 0.  0 or -errno. */
static int zero_all(struct telemetry *t)
{
	uint32_t zero = 0;

	zero_map(t, map_fd(t, "tele_cls"), sizeof(struct tsn_tele_key), sizeof(struct tsn_hist));
	zero_map(t, map_fd(t, "tele_strm"), sizeof(uint32_t), sizeof(struct tsn_hist));
	zero_map(t, map_fd(t, "tele_conf"), sizeof(struct tsn_tele_key), sizeof(struct tsn_tele_conf));
	memset(t->buf, 0, sizeof(struct tsn_tele_totals) * (size_t)t->ncpu);
	if (bpf_map_update_elem(map_fd(t, "tele_tot"), &zero, t->buf, BPF_ANY) < 0)
		return -errno;
	return 0;
}

static int attach(struct telemetry *t)
{
	struct tsn_tele_cfg cfg = { 0 };
	struct stat st;
	uint32_t zero = 0;
	int rc;

	/* The tracepoint fires in every namespace; ifindexes are tsnd's only here. */
	if (stat("/proc/self/ns/net", &st) == 0)
		cfg.netns_ino = (uint32_t)st.st_ino;
	if (!cfg.netns_ino || bpf_map_update_elem(map_fd(t, "tele_cfg"), &zero, &cfg, BPF_ANY) < 0) {
		snprintf(t->message, sizeof(t->message), "cannot tell the programs tsnd's network "
			 "namespace: %s", strerror(errno));
		return -1;
	}
	rc = telemetry_bpf__attach(t->skel);

	if (rc < 0) {
		snprintf(t->message, sizeof(t->message), "cannot attach the tracing programs: %s",
			 strerror(-rc));
		return -1;
	}
	t->attached = true;
	/* Counts from before a pause would mix with the new ones: since starts now. */
	zero_all(t);
	t->since = time(NULL);
	t->need_fast_base = true;
	return 0;
}

struct telemetry *telemetry_new(void)
{
	return calloc(1, sizeof(struct telemetry));
}

void telemetry_free(struct telemetry *t, struct dataplane *dp)
{
	if (!t)
		return;
	unload(t, dp);
	free(t);
}

static uint64_t fast_path_now(const struct telemetry *t, const struct tsn_config *cfg,
			      struct dataplane *dp)
{
	struct port_counters pc;
	uint64_t sum = 0;

	(void)t;
	for (size_t i = 0; i < cfg->n_ports; i++) {
		uint32_t ifindex = if_nametoindex(cfg->ports[i].name);

		if (ifindex && dataplane_port_counters(dp, (int)ifindex, &pc) == 0)
			sum += pc.fwd[TSN_FWD_REDIRECT];
	}
	return sum;
}

void telemetry_apply(struct telemetry *t, const struct tsn_config *cfg, struct dataplane *dp,
		     struct schedules *sched)
{
	if (!cfg->telemetry.residence_time) {
		if (t->state != TELE_OFF)
			log_info("telemetry: off");
		detach(t, dp);
		t->state = TELE_OFF;
		t->message[0] = '\0';
		return;
	}
	if (!t->attached) {
		if ((!t->skel && load(t) < 0) || attach(t) < 0) {
			if (t->state != TELE_UNAVAILABLE)
				log_warn("telemetry: %s", t->message);
			if (!t->skel || !t->buf)
				unload(t, dp);
			else
				detach(t, dp);
			t->state = TELE_UNAVAILABLE;
			return;
		}
		log_info("telemetry: residence time and gate conformance on");
	}
	t->state = TELE_ON;
	t->message[0] = '\0';

	int cls = map_fd(t, "tele_cls"), strm = map_fd(t, "tele_strm");
	for (size_t i = 0; i < cfg->n_ports; i++) {
		uint32_t ifindex = if_nametoindex(cfg->ports[i].name);
		for (uint32_t c = 0; ifindex && c < TSN_NUM_TC_MAX; c++) {
			struct tsn_tele_key k = { .ifindex = ifindex, .tc = c };
			if (ensure_key(t, cls, &k, sizeof(struct tsn_hist)) < 0)
				log_warn("telemetry: %s: cannot create the histogram of class %u: %s",
					 cfg->ports[i].name, c, strerror(errno));
		}
	}
	prune(cls, sizeof(struct tsn_tele_key), cfg, keep_port_key);
	for (size_t i = 0; i < cfg->n_streams && i < TSN_TELE_MAX_STREAMS; i++)
		if (ensure_key(t, strm, &cfg->streams[i].id, sizeof(struct tsn_hist)) < 0)
			log_warn("telemetry: stream %u: cannot create its histogram: %s", cfg->streams[i].id,
				 strerror(errno));
	prune(strm, sizeof(uint32_t), cfg, keep_stream_key);
	write_schedules(t, cfg, sched);
	if (t->need_fast_base) {
		t->fast_path_base = fast_path_now(t, cfg, dp);
		t->need_fast_base = false;
	}
	set_stamp(dp, true);
}

void telemetry_schedules_changed(struct telemetry *t, const struct tsn_config *cfg,
				 struct schedules *sched)
{
	if (t && t->attached)
		write_schedules(t, cfg, sched);
}

const char *telemetry_state(const struct telemetry *t)
{
	static const char *const names[] = { "off", "on", "unavailable" };
	return names[t->state];
}

time_t telemetry_since(const struct telemetry *t)
{
	return t->since;
}

int telemetry_map_fd(const struct telemetry *t, const char *name)
{
	return map_fd(t, name);
}

int telemetry_prog_fd(const struct telemetry *t)
{
	return t->skel ? bpf_program__fd(t->skel->progs.tele_tx_skb) : -1;
}

int telemetry_reset(struct telemetry *t)
{
	t->since = time(NULL);
	t->need_fast_base = true;	/* taken at the next apply or show */
	return t->skel ? zero_all(t) : 0;
}

static void totals(struct telemetry *t, struct tsn_tele_totals *sum)
{
	uint32_t zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (!t->attached || bpf_map_lookup_elem(map_fd(t, "tele_tot"), &zero, t->buf) < 0)
		return;
	for (int c = 0; c < t->ncpu; c++) {
		const struct tsn_tele_totals *v = (const struct tsn_tele_totals *)t->buf + c;
		sum->stamped += v->stamped;
		sum->measured += v->measured;
		sum->unmatched += v->unmatched;
	}
}

json_object *telemetry_latency_json(struct telemetry *t, const struct tsn_config *cfg,
				    struct dataplane *dp, const char *dev, int cls,
				    bool has_stream, uint32_t stream)
{
	json_object *o = json_object_new_object(), *ports = json_object_new_array();
	json_object *streams = json_object_new_array(), *tot = json_object_new_object();
	struct tsn_tele_totals sum;
	struct tsn_hist *h = malloc(sizeof(*h));
	char since[TSN_RFC3339_LEN];

	json_object_object_add(o, "state", json_object_new_string(telemetry_state(t)));
	if (t->state == TELE_UNAVAILABLE)
		json_object_object_add(o, "message", json_object_new_string(t->message));
	tsn_format_rfc3339(t->since, since, sizeof(since));
	json_object_object_add(o, "since", t->attached ? json_object_new_string(since) : NULL);
	json_object_object_add(o, "clock", json_object_new_string("monotonic"));
	json_object_object_add(o, "bucket_error_pct", json_object_new_double(100.0 / TSN_HIST_SUB));
	if (t->attached && t->need_fast_base) {
		t->fast_path_base = fast_path_now(t, cfg, dp);
		t->need_fast_base = false;
	}
	totals(t, &sum);
	uint64_t fast = t->attached ? fast_path_now(t, cfg, dp) : 0;
	json_object_object_add(tot, "stamped", json_object_new_uint64(sum.stamped));
	json_object_object_add(tot, "measured", json_object_new_uint64(sum.measured));
	json_object_object_add(tot, "fast_path", json_object_new_uint64(fast >= t->fast_path_base ?
					       fast - t->fast_path_base : 0));
	json_object_object_add(tot, "unmatched", json_object_new_uint64(sum.unmatched));
	json_object_object_add(o, "totals", tot);
	json_object_object_add(o, "ports", ports);
	json_object_object_add(o, "streams", streams);
	if (!t->attached || !h) {
		free(h);
		return o;
	}
	int cfd = map_fd(t, "tele_cls"), sfd = map_fd(t, "tele_strm");
	for (size_t i = 0; i < cfg->n_ports && !has_stream; i++) {
		const struct tsn_cfg_port *cp = &cfg->ports[i];
		uint32_t ifindex = if_nametoindex(cp->name);
		json_object *p, *arr;

		if (dev && strcmp(dev, cp->name) != 0)
			continue;
		p = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(p, "name", json_object_new_string(cp->name));
		for (int c = 0; ifindex && c < TSN_NUM_TC_MAX; c++) {
			struct tsn_tele_key k = { .ifindex = ifindex, .tc = (uint32_t)c };
			if ((cls >= 0 && c != cls) || read_hist(t, cfd, &k, h) < 0)
				continue;
			if (!h->count && cls < 0)
				continue;
			json_object *e = tele_hist_json(h);
			json_object_object_add(e, "class", json_object_new_int(c));
			json_object_array_add(arr, e);
		}
		json_object_object_add(p, "classes", arr);
		json_object_array_add(ports, p);
	}
	for (size_t i = 0; i < cfg->n_streams && i < TSN_TELE_MAX_STREAMS; i++) {
		uint32_t id = cfg->streams[i].id;
		if ((has_stream && id != stream) || (!has_stream && (dev || cls >= 0)))
			continue;
		if (read_hist(t, sfd, &id, h) < 0 || (!h->count && !has_stream))
			continue;
		json_object *e = tele_hist_json(h);
		json_object_object_add(e, "id", json_object_new_uint64(id));
		json_object_array_add(streams, e);
	}
	free(h);
	return o;
}

json_object *telemetry_status_json(struct telemetry *t, const struct tsn_config *cfg)
{
	json_object *o = json_object_new_object(), *ports = json_object_new_array();
	uint64_t closed = 0, over = 0;
	int sfd = map_fd(t, "tele_sched"), cfd = map_fd(t, "tele_conf");
	struct tsn_tele_conf *vals = t->attached ? calloc((size_t)t->ncpu, sizeof(*vals)) : NULL;

	json_object_object_add(o, "state", json_object_new_string(telemetry_state(t)));
	if (t->state == TELE_UNAVAILABLE)
		json_object_object_add(o, "message", json_object_new_string(t->message));
	json_object_object_add(o, "residence_time", json_object_new_boolean(cfg->telemetry.residence_time));
	json_object_object_add(o, "tolerance_ns", json_object_new_uint64(cfg->telemetry.conformance_tolerance_ns));
	for (size_t i = 0; vals && i < cfg->n_ports; i++) {
		const struct tsn_cfg_port *cp = &cfg->ports[i];
		uint32_t ifindex = if_nametoindex(cp->name);
		struct tsn_tele_sched *sv = malloc(sizeof(*sv));
		bool checked = ifindex && sv && bpf_map_lookup_elem(sfd, &ifindex, sv) == 0;
		uint64_t tol = checked ? sv->tolerance_ns : 0;

		free(sv);
		if (!cp->has_schedule)
			continue;
		json_object *p = json_object_new_object(), *arr = json_object_new_array();
		json_object_object_add(p, "name", json_object_new_string(cp->name));
		json_object_object_add(p, "scheduled", json_object_new_boolean(checked));
		json_object_object_add(p, "tolerance_ns", checked ? json_object_new_uint64(tol) : NULL);
		for (uint32_t c = 0; checked && c < cp->schedule.num_tc && c < TSN_NUM_TC_MAX; c++) {
			struct tsn_tele_key k = { .ifindex = ifindex, .tc = c };
			uint64_t sc = 0, oc = 0;
			if (bpf_map_lookup_elem(cfd, &k, vals) == 0)
				for (int n = 0; n < t->ncpu; n++) {
					sc += vals[n].sent_closed;
					oc += vals[n].over_cycle;
				}
			closed += sc;
			over += oc;
			json_object *e = json_object_new_object();
			json_object_object_add(e, "class", json_object_new_int((int)c));
			json_object_object_add(e, "sent_while_closed", json_object_new_uint64(sc));
			json_object_object_add(e, "waited_over_cycle", json_object_new_uint64(oc));
			json_object_array_add(arr, e);
		}
		json_object_object_add(p, "classes", arr);
		json_object_array_add(ports, p);
	}
	free(vals);
	json_object_object_add(o, "sent_while_closed", json_object_new_uint64(closed));
	json_object_object_add(o, "waited_over_cycle", json_object_new_uint64(over));
	json_object_object_add(o, "ports", ports);
	return o;
}
