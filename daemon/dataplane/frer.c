/* SPDX-License-Identifier: GPL-2.0-only */
/* frer.c — IEEE 802.1CB FRER: load bpf/frer.bpf.c, write its tables from a list of
 * struct frer_stream_conf, read its counters and events (docs/frer.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/frer.skel.h"
#include "dataplane.h"
#include "frer.h"

#define FRER_FLAGS_ALL (TSN_FRER_GEN | TSN_FRER_RCVY | TSN_FRER_INDIV | TSN_FRER_TAKE_NO_SEQ | \
			TSN_FRER_KEEP_TAG | TSN_FRER_LATENT)
#define FRER_RCVY_ONLY (TSN_FRER_INDIV | TSN_FRER_TAKE_NO_SEQ | TSN_FRER_KEEP_TAG | TSN_FRER_LATENT)

struct frer {
	struct frer_bpf *skel;
	struct ring_buffer *rb;
	void (*cb)(const struct tsn_frer_event *ev, void *ctx);
	void *cb_ctx;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct frer *f = ctx;

	if (len >= sizeof(struct tsn_frer_event) && f->cb)
		f->cb(data, f->cb_ctx);
	return 0;
}

struct frer *frer_new(char *err, size_t errlen)
{
	struct frer *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->skel = frer_bpf__open();
	if (f->skel) {
		f->skel->rodata->frer_xdp_meta = dataplane_xdp_meta_ok();
		if (frer_bpf__load(f->skel)) {
			int e = errno;

			frer_bpf__destroy(f->skel);
			f->skel = NULL;
			errno = e;
		}
	}
	if (!f->skel) {
		snprintf(err, errlen, "cannot load the FRER programs: %s", strerror(errno));
		free(f);
		return NULL;
	}
	f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.frer_events), on_event, f, NULL);
	if (!f->rb) {
		snprintf(err, errlen, "cannot open the FRER event ring: %s", strerror(errno));
		frer_free(f);
		return NULL;
	}
	return f;
}

void frer_free(struct frer *f)
{
	if (!f)
		return;
	ring_buffer__free(f->rb);
	frer_bpf__destroy(f->skel);
	free(f);
}

int frer_xdp_fd(const struct frer *f)
{
	return bpf_program__fd(f->skel->progs.frer_xdp);
}

int frer_tc_fd(const struct frer *f)
{
	return bpf_program__fd(f->skel->progs.frer_tc);
}

int frer_map_fd(const struct frer *f, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(f->skel->obj, name);

	return m ? bpf_map__fd(m) : -1;
}

int frer_events_fd(const struct frer *f)
{
	return ring_buffer__epoll_fd(f->rb);
}

int frer_events_consume(struct frer *f, void (*cb)(const struct tsn_frer_event *ev, void *ctx), void *ctx)
{
	int n;

	f->cb = cb;
	f->cb_ctx = ctx;
	n = ring_buffer__consume(f->rb);
	f->cb = NULL;
	return n;
}

/* ---- tc ---- */

static void tc_init(struct bpf_tc_hook *h, struct bpf_tc_opts *o, int ifindex, int prog_fd)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = BPF_TC_INGRESS;
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = FRER_TC_HANDLE;
	o->priority = FRER_TC_PRIO;
	o->prog_fd = prog_fd;
}

/* frer_tc on clsact, at FRER_TC_PRIO: before tsn_tc_ingress (TSND_TC_PRIO). */
static int attach_clsact(struct frer *f, int ifindex, char *err, size_t errlen)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;
	int rc;

	tc_init(&h, &o, ifindex, frer_tc_fd(f));
	rc = bpf_tc_hook_create(&h);
	if (rc && rc != -EEXIST) {
		snprintf(err, errlen, "port %d: cannot add the clsact qdisc: %s", ifindex, strerror(-rc));
		return rc;
	}
	o.flags = BPF_TC_F_REPLACE;
	rc = bpf_tc_attach(&h, &o);
	if (rc)
		snprintf(err, errlen, "port %d: cannot attach frer_tc: %s", ifindex, strerror(-rc));
	return rc;
}

static int clsact_detach(int ifindex)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;

	tc_init(&h, &o, ifindex, 0);
	return bpf_tc_detach(&h, &o);
}

static uint32_t clsact_attached(int ifindex)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;

	tc_init(&h, &o, ifindex, 0);
	return bpf_tc_query(&h, &o) == 0 ? o.prog_id : 0;
}

/* Detach the frer_tc (any frer's: a predecessor's too) on ifindex's tcx list. */
static int tcx_detach(int ifindex)
{
	uint32_t id = dataplane_tcx_find(ifindex, FRER_TC_NAME, 0);
	int fd, rc;

	if (!id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	rc = dataplane_tcx_detach(ifindex, fd);
	close(fd);
	return rc;
}

/* frer_tc first on the tcx list, so it runs before tsn_tc_ingress as on clsact
 * (TC_ACT_UNSPEC is TCX_NEXT); a predecessor's is replaced where it is. */
static int attach_tcx(struct frer *f, int ifindex, char *err, size_t errlen)
{
	uint32_t mine = dataplane_prog_id(frer_tc_fd(f));
	uint32_t id = dataplane_tcx_find(ifindex, FRER_TC_NAME, mine);
	int old = -1, rc;

	if (id && id == mine)
		return 0;
	if (id && (old = bpf_prog_get_fd_by_id(id)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "port %d: cannot open the running frer_tc: %s", ifindex,
			 strerror(-rc));
		return rc;
	}
	rc = dataplane_tcx_attach(ifindex, frer_tc_fd(f), old, true);
	if (old >= 0)
		close(old);
	if (rc)
		snprintf(err, errlen, "port %d: cannot attach frer_tc to tcx ingress: %s", ifindex,
			 strerror(-rc));
	return rc;
}

int frer_tc_attach(struct frer *f, int ifindex, char *err, size_t errlen)
{
	bool tcx = dataplane_tcx_wanted();
	int rc = tcx ? attach_tcx(f, ifindex, err, errlen) : attach_clsact(f, ifindex, err, errlen);

	/* One on the other hook (the hook changed across a restart) comes off once
	 * this one is on: tcx runs first, so frames meet one of them at a time. */
	if (rc == 0 && tcx)
		clsact_detach(ifindex);
	else if (rc == 0)
		tcx_detach(ifindex);
	return rc;
}

int frer_tc_detach(int ifindex)
{
	int a = tcx_detach(ifindex), b = clsact_detach(ifindex);

	if (b == 0)
		return 0;
	return a == 0 ? 1 : b;	/* 1: clsact untouched, its qdisc is not ours to judge */
}

uint32_t frer_tc_attached(int ifindex)
{
	uint32_t id = dataplane_tcx_find(ifindex, FRER_TC_NAME, 0);

	return id ? id : clsact_attached(ifindex);
}

/* ---- checking ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct ident_ix {
	struct tsn_frer_ident_key k;
	size_t i;
};

static int cmp_ident(const void *a, const void *b)
{
	const struct ident_ix *x = a, *y = b;
	int c = memcmp(&x->k, &y->k, sizeof(x->k));

	return c ? c : (x->i < y->i ? -1 : x->i > y->i);
}

static int check_one(const struct frer_stream_conf *c, size_t i, char *err, size_t errlen)
{
#define BAD(...) do { int n_ = snprintf(err, errlen, "frer[%zu].", i); \
	snprintf(err + (n_ > 0 && (size_t)n_ < errlen ? n_ : 0), errlen - (n_ > 0 && (size_t)n_ < errlen ? (size_t)n_ : 0), \
		 __VA_ARGS__); return -EINVAL; } while (0)
	if (c->stream_id == 0 || c->stream_id == UINT32_MAX)
		BAD("stream: %u is not a stream id (1..4294967294)", c->stream_id);
	if (c->flags & ~(unsigned)FRER_FLAGS_ALL)
		BAD("roles: unknown flags 0x%x", c->flags & ~(unsigned)FRER_FLAGS_ALL);
	if (!(c->flags & (TSN_FRER_GEN | TSN_FRER_RCVY)) && c->n_split == 0)
		BAD("roles: neither generation, recovery nor paths: nothing to do");
	if ((c->flags & FRER_RCVY_ONLY) && !(c->flags & TSN_FRER_RCVY))
		BAD("roles: individual recovery, take-no-sequence, keep-tag and latent-error need recovery");
	if (c->flags & TSN_FRER_RCVY) {
		if (c->algorithm != TSN_FRER_ALG_VECTOR && c->algorithm != TSN_FRER_ALG_MATCH)
			BAD("algorithm: %d is neither vector nor match", (int)c->algorithm);
		if (c->algorithm == TSN_FRER_ALG_VECTOR &&
		    (c->history < TSN_FRER_HIST_MIN || c->history > TSN_FRER_HIST_MAX))
			BAD("history: %u is outside %d..%d", c->history, TSN_FRER_HIST_MIN, TSN_FRER_HIST_MAX);
	}
	if (c->flags & TSN_FRER_LATENT) {
		if (c->lat_paths < 2 || c->lat_paths > 8)
			BAD("latent-error.paths: %u is outside 2..8", c->lat_paths);
		if (c->lat_period_ns == 0)
			BAD("latent-error.period: must be more than 0");
		if (c->lat_reset_ns < c->lat_period_ns)
			BAD("latent-error.reset-period: shorter than the period");
	}
	if (c->priority > 7)
		BAD("priority: %u is outside 0..7", c->priority);
	if (c->n_split > TSN_FRER_MAX_SPLIT)
		BAD("paths: %u ports, at most %d", c->n_split, TSN_FRER_MAX_SPLIT);
	for (unsigned p = 0; p < c->n_split; p++) {
		if (c->split_ifindex[p] == 0)
			BAD("paths[%u]: no such port", p);
		if (c->split_vid[p] > 4094)
			BAD("paths[%u].vlan: %u is outside 1..4094", p, c->split_vid[p]);
		for (unsigned q = 0; q < p; q++)
			if (c->split_ifindex[q] == c->split_ifindex[p] && c->split_vid[q] == c->split_vid[p])
				BAD("paths[%u]: the same port and VLAN as paths[%u]", p, q);
	}
	if (c->has_ident && c->ident_vid > 4095 && c->ident_vid != TSN_FRER_VID_UNTAGGED)
		BAD("identification.vlan: %u is outside 0..4095", c->ident_vid);
	return 0;
#undef BAD
}

int frer_check(const struct frer_stream_conf *s, size_t n, char *err, size_t errlen)
{
	uint32_t *ids = NULL;
	struct ident_ix *ix = NULL;
	size_t nix = 0;
	int rc = 0;

	if (n > TSN_FRER_MAX_STREAMS) {
		snprintf(err, errlen, "frer: %zu streams, at most %d", n, TSN_FRER_MAX_STREAMS);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = check_one(&s[i], i, err, errlen)))
			return rc;
	/* Each stream once, each identification once: O(n log n) by sorting. */
	ids = malloc((n ? n : 1) * sizeof(*ids));
	ix = malloc((n ? n : 1) * sizeof(*ix));
	if (!ids || !ix) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		ids[i] = s[i].stream_id;
		if (s[i].has_ident) {
			memset(&ix[nix], 0, sizeof(ix[nix]));
			memcpy(ix[nix].k.mac, s[i].ident_mac, 6);
			ix[nix].k.vid = s[i].ident_vid;
			ix[nix++].i = i;
		}
	}
	qsort(ids, n, sizeof(*ids), cmp_u32);
	for (size_t i = 1; i < n; i++)
		if (ids[i] == ids[i - 1]) {
			size_t first = n, second = n;

			for (size_t j = 0; j < n; j++)
				if (s[j].stream_id == ids[i]) {
					if (first == n)
						first = j;
					else if (second == n)
						second = j;
				}
			snprintf(err, errlen, "frer[%zu].stream: stream %u again (frer[%zu] has it)", second, ids[i],
				 first);
			rc = -EINVAL;
			goto out;
		}
	qsort(ix, nix, sizeof(*ix), cmp_ident);
	for (size_t i = 1; i < nix; i++)
		if (memcmp(&ix[i].k, &ix[i - 1].k, sizeof(ix[i].k)) == 0) {
			snprintf(err, errlen, "frer[%zu].identification: the same as frer[%zu]'s", ix[i].i,
				 ix[i - 1].i);
			rc = -EINVAL;
			goto out;
		}
out:
	free(ids);
	free(ix);
	return rc;
}

/* ---- applying ---- */

static void to_cfg(const struct frer_stream_conf *c, struct tsn_frer_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->flags = (__u8)c->flags;
	cfg->algorithm = (__u8)c->algorithm;
	cfg->history = (__u8)c->history;
	cfg->lat_paths = (__u8)c->lat_paths;
	cfg->priority = c->priority;
	cfg->lat_difference = c->lat_difference;
	cfg->reset_ns = c->reset_ns;
	cfg->lat_period_ns = c->lat_period_ns;
	cfg->lat_reset_ns = c->lat_reset_ns;
}

/* What to do to undo one map write. */
struct undo {
	int fd;
	bool had;			/* restore old, else delete key */
	uint8_t key[sizeof(struct tsn_frer_ident_key)];
	union {
		struct tsn_frer_stream stream;
		struct tsn_frer_split split;
		uint32_t sid;
	} old;
};

struct undo_log {
	struct undo *u;
	size_t n, cap;
};

static int undo_push(struct undo_log *l, int fd, const void *key, size_t klen, const void *old, size_t vlen)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct undo *u = realloc(l->u, cap * sizeof(*u));

		if (!u)
			return -ENOMEM;
		l->u = u;
		l->cap = cap;
	}
	struct undo *u = &l->u[l->n++];

	memset(u, 0, sizeof(*u));
	u->fd = fd;
	memcpy(u->key, key, klen);
	u->had = old != NULL;
	if (old)
		memcpy(&u->old, old, vlen);
	return 0;
}

static void undo_all(struct undo_log *l)
{
	while (l->n > 0) {
		struct undo *u = &l->u[--l->n];

		if (u->had)
			bpf_map_update_elem(u->fd, u->key, &u->old, 0);
		else
			bpf_map_delete_elem(u->fd, u->key);
	}
}

/* Write key -> val into fd, logging how to undo it. */
static int write_logged(struct undo_log *l, int fd, const void *key, size_t klen, const void *val, size_t vlen,
			uint64_t lookup_flags)
{
	union {
		struct tsn_frer_stream stream;
		struct tsn_frer_split split;
		uint32_t sid;
	} old;
	bool had = bpf_map_lookup_elem_flags(fd, key, &old, lookup_flags) == 0;
	int rc = undo_push(l, fd, key, klen, had ? &old : NULL, vlen);

	if (rc)
		return rc;
	if (bpf_map_update_elem(fd, key, val, 0)) {
		rc = -errno;
		l->n--;		/* nothing written */
		return rc;
	}
	return 0;
}

/* Delete every key of fd (key size klen, value size vlen) that keep() refuses. */
static int prune(struct undo_log *l, int fd, size_t klen, size_t vlen, uint64_t lookup_flags,
		 bool (*keep)(const void *key, const struct frer_stream_conf *s, size_t n),
		 const struct frer_stream_conf *s, size_t n)
{
	uint8_t key[sizeof(struct tsn_frer_ident_key)], next[sizeof(struct tsn_frer_ident_key)];
	uint8_t *doomed = NULL;
	size_t nd = 0, cap = 0;
	void *prev = NULL;
	int rc = 0;

	/* Collect first: deleting while walking would restart the walk. */
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, klen);
		prev = key;
		if (keep(key, s, n))
			continue;
		if (nd == cap) {
			uint8_t *d = realloc(doomed, (cap = cap ? cap * 2 : 64) * klen);

			if (!d) {
				free(doomed);
				return -ENOMEM;
			}
			doomed = d;
		}
		memcpy(doomed + nd++ * klen, key, klen);
	}
	for (size_t i = 0; i < nd && rc == 0; i++) {
		union {
			struct tsn_frer_stream stream;
			struct tsn_frer_split split;
			uint32_t sid;
		} old;
		uint8_t *k = doomed + i * klen;

		if (bpf_map_lookup_elem_flags(fd, k, &old, lookup_flags))
			continue;
		rc = undo_push(l, fd, k, klen, &old, vlen);
		if (rc == 0 && bpf_map_delete_elem(fd, k) && errno != ENOENT)
			rc = -errno;
	}
	free(doomed);
	return rc;
}

/* s sorted by stream id (a copy) for the prune predicates. */
static const struct frer_stream_conf *find_sid(const struct frer_stream_conf *s, size_t n, uint32_t sid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s[mid].stream_id == sid)
			return &s[mid];
		if (s[mid].stream_id < sid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool keep_stream(const void *key, const struct frer_stream_conf *s, size_t n)
{
	uint32_t sid;

	memcpy(&sid, key, sizeof(sid));
	return find_sid(s, n, sid) != NULL;
}

static bool keep_split(const void *key, const struct frer_stream_conf *s, size_t n)
{
	uint32_t sid;
	const struct frer_stream_conf *c;

	memcpy(&sid, key, sizeof(sid));
	c = find_sid(s, n, sid);
	return c && c->n_split > 0;
}

static bool keep_ident(const void *key, const struct frer_stream_conf *s, size_t n)
{
	struct tsn_frer_ident_key k;

	memcpy(&k, key, sizeof(k));
	for (size_t i = 0; i < n; i++)	/* only at prune time, once per stale key */
		if (s[i].has_ident && memcmp(s[i].ident_mac, k.mac, 6) == 0 && s[i].ident_vid == k.vid)
			return true;
	return false;
}

static int cmp_conf(const void *a, const void *b)
{
	return cmp_u32(&((const struct frer_stream_conf *)a)->stream_id,
		       &((const struct frer_stream_conf *)b)->stream_id);
}

int frer_apply(struct frer *f, const struct frer_stream_conf *s, size_t n, char *err, size_t errlen)
{
	int streams = bpf_map__fd(f->skel->maps.frer_streams), split = bpf_map__fd(f->skel->maps.frer_split);
	int ident = bpf_map__fd(f->skel->maps.frer_ident), indiv = bpf_map__fd(f->skel->maps.frer_indiv);
	struct frer_stream_conf *sorted = NULL;
	struct undo_log log = { 0 };
	int rc = frer_check(s, n, err, errlen);

	if (rc)
		return rc;
	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (!sorted) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (n)		/* s may be NULL for no streams */
		memcpy(sorted, s, n * sizeof(*s));
	qsort(sorted, n, sizeof(*sorted), cmp_conf);

	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct frer_stream_conf *c = &s[i];
		struct tsn_frer_stream cur, val;
		uint32_t sid = c->stream_id;

		memset(&val, 0, sizeof(val));
		to_cfg(c, &val.cfg);
		/* Same configuration: the state and counters stay. */
		if (bpf_map_lookup_elem_flags(streams, &sid, &cur, BPF_F_LOCK) != 0 ||
		    memcmp(&cur.cfg, &val.cfg, sizeof(val.cfg)) != 0) {
			rc = write_logged(&log, streams, &sid, sizeof(sid), &val, sizeof(val), BPF_F_LOCK);
			if (rc) {
				snprintf(err, errlen, "frer[%zu]: cannot write stream %u: %s", i, sid, strerror(-rc));
				break;
			}
		}
		if (c->n_split) {
			struct tsn_frer_split sp = { .n = c->n_split };

			memcpy(sp.ifindex, c->split_ifindex, c->n_split * sizeof(sp.ifindex[0]));
			memcpy(sp.vid, c->split_vid, c->n_split * sizeof(sp.vid[0]));
			rc = write_logged(&log, split, &sid, sizeof(sid), &sp, sizeof(sp), 0);
			if (rc) {
				snprintf(err, errlen, "frer[%zu].paths: cannot write: %s", i, strerror(-rc));
				break;
			}
		}
		if (c->has_ident) {
			struct tsn_frer_ident_key k = { .vid = c->ident_vid };

			memcpy(k.mac, c->ident_mac, 6);
			rc = write_logged(&log, ident, &k, sizeof(k), &sid, sizeof(sid), 0);
			if (rc) {
				snprintf(err, errlen, "frer[%zu].identification: cannot write: %s", i, strerror(-rc));
				break;
			}
		}
	}
	if (rc == 0 && (rc = prune(&log, streams, sizeof(uint32_t), sizeof(struct tsn_frer_stream), BPF_F_LOCK,
				   keep_stream, sorted, n)) != 0)
		snprintf(err, errlen, "frer: cannot remove a stream: %s", strerror(-rc));
	if (rc == 0 && (rc = prune(&log, split, sizeof(uint32_t), sizeof(struct tsn_frer_split), 0, keep_split,
				   sorted, n)) != 0)
		snprintf(err, errlen, "frer: cannot remove a split: %s", strerror(-rc));
	if (rc == 0 && (rc = prune(&log, ident, sizeof(struct tsn_frer_ident_key), sizeof(uint32_t), 0,
				   keep_ident, sorted, n)) != 0)
		snprintf(err, errlen, "frer: cannot remove an identification: %s", strerror(-rc));
	if (rc) {
		undo_all(&log);
	} else {
		/* Member streams of streams that changed or went start afresh (best effort:
		 * the program recreates them at their next frame). */
		struct tsn_frer_indiv_key k, next, *prev = NULL;
		struct tsn_frer_indiv_key *stale = NULL;
		size_t ns = 0, cap = 0, nw = 0;
		uint32_t *written = malloc((log.n ? log.n : 1) * sizeof(*written));

		/* The streams this apply wrote, sorted: one lookup per member stream. */
		for (size_t u = 0; written && u < log.n; u++)
			if (log.u[u].fd == streams)
				memcpy(&written[nw++], log.u[u].key, sizeof(uint32_t));
		if (written)
			qsort(written, nw, sizeof(*written), cmp_u32);
		while (bpf_map_get_next_key(indiv, prev, &next) == 0) {
			const struct frer_stream_conf *c = find_sid(sorted, n, next.stream_id);
			bool fresh = !written || bsearch(&next.stream_id, written, nw, sizeof(*written), cmp_u32);

			k = next;
			prev = &k;
			if (c && !fresh)
				continue;
			if (ns == cap) {
				struct tsn_frer_indiv_key *st = realloc(stale, (cap = cap ? cap * 2 : 16) * sizeof(*st));

				if (!st)
					break;
				stale = st;
			}
			stale[ns++] = k;
		}
		for (size_t i = 0; i < ns; i++)
			bpf_map_delete_elem(indiv, &stale[i]);
		free(stale);
		free(written);
	}
	free(log.u);
	free(sorted);
	return rc;
}

/* ---- counters ---- */

static void add_counters(json_object *o, const struct tsn_frer_counters *c)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
		{ "passed_packets", offsetof(struct tsn_frer_counters, passed) },
		{ "discarded_packets", offsetof(struct tsn_frer_counters, discarded) },
		{ "out_of_order_packets", offsetof(struct tsn_frer_counters, out_of_order) },
		{ "rogue_packets", offsetof(struct tsn_frer_counters, rogue) },
		{ "lost_packets", offsetof(struct tsn_frer_counters, lost) },
		{ "tagless_packets", offsetof(struct tsn_frer_counters, tagless) },
		{ "resets", offsetof(struct tsn_frer_counters, resets) },
		{ "latent_error_resets", offsetof(struct tsn_frer_counters, latent_error_resets) },
		{ "latent_errors", offsetof(struct tsn_frer_counters, latent_errors) },
		{ "encode_errored_packets", offsetof(struct tsn_frer_counters, encode_errored) },
		{ "generated_packets", offsetof(struct tsn_frer_counters, generated) },
		{ "replicated_packets", offsetof(struct tsn_frer_counters, replicated) },
		{ "replicate_errors", offsetof(struct tsn_frer_counters, replicate_errors) },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t v;

		memcpy(&v, (const uint8_t *)c + names[i].off, sizeof(v));
		json_object_object_add(o, names[i].name, json_object_new_uint64(v));
	}
}

static json_object *roles_json(unsigned flags)
{
	static const struct {
		unsigned bit;
		const char *name;
	} roles[] = {
		{ TSN_FRER_GEN, "generation" }, { TSN_FRER_RCVY, "recovery" },
		{ TSN_FRER_INDIV, "individual-recovery" }, { TSN_FRER_TAKE_NO_SEQ, "take-no-sequence" },
		{ TSN_FRER_KEEP_TAG, "keep-tag" }, { TSN_FRER_LATENT, "latent-error-detection" },
	};
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (flags & roles[i].bit)
			json_object_array_add(a, json_object_new_string(roles[i].name));
	return a;
}

struct member {
	struct tsn_frer_indiv_key k;
	struct tsn_frer_counters c;
};

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	if (x->k.stream_id != y->k.stream_id)
		return x->k.stream_id < y->k.stream_id ? -1 : 1;
	return x->k.ifindex < y->k.ifindex ? -1 : x->k.ifindex > y->k.ifindex;
}

/* One stream; m[0..nm) its member streams (individual recovery). */
static json_object *stream_json(struct frer *f, uint32_t sid, const struct tsn_frer_stream *v,
				const struct member *m, size_t nm)
{
	json_object *o = json_object_new_object(), *c = json_object_new_object();
	json_object *members = json_object_new_array();
	struct tsn_frer_split sp;

	json_object_object_add(o, "stream_id", json_object_new_uint64(sid));
	json_object_object_add(o, "roles", roles_json(v->cfg.flags));
	if (v->cfg.flags & TSN_FRER_RCVY) {
		json_object_object_add(o, "algorithm", json_object_new_string(
			v->cfg.algorithm == TSN_FRER_ALG_MATCH ? "match" : "vector"));
		json_object_object_add(o, "history", json_object_new_int(v->cfg.history));
		json_object_object_add(o, "reset_ns", json_object_new_uint64(v->cfg.reset_ns));
		json_object_object_add(o, "take_any", json_object_new_boolean(!v->rcvy.synced));
		json_object_object_add(o, "recov_seq_num", v->rcvy.synced ? json_object_new_int(v->rcvy.seq) : NULL);
	}
	if (v->cfg.flags & TSN_FRER_GEN)
		json_object_object_add(o, "gen_seq_num", json_object_new_int(v->gen_seq));
	if (bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.frer_split), &sid, &sp) == 0) {
		json_object *p = json_object_new_array();

		for (uint32_t i = 0; i < sp.n && i < TSN_FRER_MAX_SPLIT; i++) {
			json_object *po = json_object_new_object();

			json_object_object_add(po, "ifindex", json_object_new_uint64(sp.ifindex[i]));
			json_object_object_add(po, "vlan", sp.vid[i] ? json_object_new_int(sp.vid[i]) : NULL);
			json_object_array_add(p, po);
		}
		json_object_object_add(o, "paths", p);
	}
	add_counters(c, &v->c);
	json_object_object_add(o, "counters", c);
	for (size_t i = 0; i < nm; i++) {
		json_object *mo = json_object_new_object(), *mc = json_object_new_object();

		json_object_object_add(mo, "ifindex", json_object_new_uint64(m[i].k.ifindex));
		add_counters(mc, &m[i].c);
		json_object_object_add(mo, "counters", mc);
		json_object_array_add(members, mo);
	}
	json_object_object_add(o, "individual", members);
	return o;
}

/* Every member stream, sorted by (stream, port): one walk of frer_indiv. */
static struct member *members_all(struct frer *f, size_t *n_out)
{
	int fd = bpf_map__fd(f->skel->maps.frer_indiv);
	struct tsn_frer_indiv_key k, next, *prev = NULL;
	struct member *m = NULL;
	size_t n = 0, cap = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct tsn_frer_indiv iv;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem_flags(fd, &k, &iv, BPF_F_LOCK))
			continue;
		if (n == cap) {
			struct member *g = realloc(m, (cap = cap ? cap * 2 : 16) * sizeof(*g));

			if (!g)
				break;
			m = g;
		}
		m[n].k = k;
		m[n++].c = iv.c;
	}
	if (m)
		qsort(m, n, sizeof(*m), cmp_member);
	*n_out = n;
	return m;
}

json_object *frer_counters_json(struct frer *f, uint32_t stream_id)
{
	int streams = bpf_map__fd(f->skel->maps.frer_streams), ports = bpf_map__fd(f->skel->maps.frer_port_stats);
	json_object *o = json_object_new_object(), *sa = json_object_new_array(), *pa = json_object_new_array();
	int ncpus = libbpf_num_possible_cpus();
	struct tsn_frer_counters *pc = calloc(ncpus > 0 ? (size_t)ncpus : 1, sizeof(*pc));
	uint32_t *ids = NULL, key, next, *prev = NULL;
	size_t n = 0, cap = 0;

	/* Streams in id order. */
	while (bpf_map_get_next_key(streams, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (stream_id && key != stream_id)
			continue;
		if (n == cap) {
			uint32_t *g = realloc(ids, (cap = cap ? cap * 2 : 64) * sizeof(*g));

			if (!g)
				break;
			ids = g;
		}
		ids[n++] = key;
	}
	if (ids)
		qsort(ids, n, sizeof(*ids), cmp_u32);
	size_t nm = 0, mi = 0;
	struct member *m = members_all(f, &nm);

	for (size_t i = 0; i < n; i++) {
		struct tsn_frer_stream v;
		size_t first;

		/* Both sorted by stream: one merge pass. */
		while (mi < nm && m[mi].k.stream_id < ids[i])
			mi++;
		first = mi;
		while (mi < nm && m[mi].k.stream_id == ids[i])
			mi++;
		if (bpf_map_lookup_elem_flags(streams, &ids[i], &v, BPF_F_LOCK) == 0)
			json_object_array_add(sa, stream_json(f, ids[i], &v, m ? m + first : NULL, mi - first));
	}
	free(m);
	free(ids);
	json_object_object_add(o, "streams", sa);

	/* Ports: per-CPU sums. */
	prev = NULL;
	while (pc && ncpus > 0 && bpf_map_get_next_key(ports, prev, &next) == 0) {
		struct tsn_frer_counters sum;
		json_object *p, *c;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(ports, &key, pc))
			continue;
		memset(&sum, 0, sizeof(sum));
		for (int cpu = 0; cpu < ncpus; cpu++) {
			const uint64_t *src = (const uint64_t *)&pc[cpu];
			uint64_t *dst = (uint64_t *)&sum;

			for (size_t w = 0; w < sizeof(sum) / sizeof(uint64_t); w++)
				dst[w] += src[w];
		}
		p = json_object_new_object();
		c = json_object_new_object();
		json_object_object_add(p, "ifindex", json_object_new_uint64(key));
		add_counters(c, &sum);
		json_object_object_add(p, "counters", c);
		json_object_array_add(pa, p);
	}
	free(pc);
	json_object_object_add(o, "ports", pa);
	return o;
}
