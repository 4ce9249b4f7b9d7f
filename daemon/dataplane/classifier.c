/* SPDX-License-Identifier: GPL-2.0-only */
/* classifier.c — write the classifier's tables, one generation at a time.
 *
 * Every key of a generational map names its generation, and the XDP program reads
 * the active one (tsn_gen) once per frame.  An update therefore:
 *   1. writes the new tables under the inactive generation (no frame reads it),
 *   2. flips tsn_gen with one array update (frames that start after it use the
 *      new tables, frames already running finish with the old ones),
 *   3. waits for an RCU grace period (XDP and tc programs run inside RCU read
 *      sections: after it, no frame can still hold the old generation),
 *   4. deletes the old generation, so that the next update finds it empty.
 * No frame ever sees a table that is half old and half new.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tsn/bpf_frer.h"	/* TSN_STRM_FRER */

#include "classifier.h"
#include "policing.h"
#include "acl.h"
#include "tsn/log.h"
#include "tsn/stream_id.h"

uint8_t cls_sched_mask(const struct tsn_cfg_schedule *s)
{
	uint8_t mask = 0;

	for (uint32_t tc = 0; tc < s->num_tc && tc < TSN_NUM_TC_MAX; tc++)
		for (size_t e = 0; e < s->n_entries; e++)
			if (!(s->entries[e].gates & (1u << tc)))
				mask |= (uint8_t)(1u << tc);
	return mask;
}

void cls_port_conf(const struct tsn_cfg_port *p, const uint8_t mac[6], struct tsn_port_conf *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->mac, mac, 6);
	for (uint32_t prio = 0; prio < TSN_NUM_PRIO_MAX; prio++)
		out->prio_tc[prio] = (uint8_t)prio;
	if (p->has_schedule) {
		out->flags |= TSN_PORT_SCHEDULED;
		out->sched_mask = cls_sched_mask(&p->schedule);
		for (uint32_t prio = 0; prio < TSN_NUM_PRIO_MAX && prio < p->schedule.n_map; prio++)
			out->prio_tc[prio] = (uint8_t)(p->schedule.map[prio] & 7);
	}
	switch (p->unmatched_priority) {
	case TSN_UNMATCHED_DROP: out->unmatched = TSN_BPF_UNMATCHED_DROP; break;
	case TSN_UNMATCHED_DEMOTE: out->unmatched = TSN_BPF_UNMATCHED_DEMOTE; break;
	default: out->unmatched = TSN_BPF_UNMATCHED_PASS; break;
	}
	out->acl = acl_port_flags(p);
	out->storm = storm_port_flag(p);
}

void cls_rules(const struct tsn_config *cfg, struct tsn_rules *r)
{
	const struct tsn_cfg_classification *c = &cfg->classification;
	struct tsn_cfg_prio_rule et[TSN_MAX_ETHERTYPE_RULES];
	size_t n_masks;

	memset(r, 0, sizeof(*r));
	r->default_priority = (uint8_t)(c->default_priority & 7);
	memset(r->pcp_prio, TSN_NO_RULE, sizeof(r->pcp_prio));
	memset(r->dscp_prio, TSN_NO_RULE, sizeof(r->dscp_prio));
	for (size_t i = 0; i < c->n_pcp; i++)
		r->pcp_prio[c->pcp[i].match & 7] = (uint8_t)c->pcp[i].priority;
	for (size_t i = 0; i < c->n_dscp; i++)
		r->dscp_prio[c->dscp[i].match & 63] = (uint8_t)c->dscp[i].priority;
	size_t n_et = tsn_ethertype_rules(cfg, et, TSN_MAX_ETHERTYPE_RULES);

	if (n_et)
		r->flags |= TSN_RULES_ETHERTYPE;
	for (size_t i = 0; i < n_et; i++)
		r->ethertype_hint[(et[i].match >> 3) & 31] |= (uint8_t)(1u << (et[i].match & 7));

	n_masks = tsn_stream_ip6_masks(cfg, r->ip6_masks, TSN_IP6_MAX_MASKS);
	r->n_ip6_masks = (uint8_t)(n_masks < TSN_IP6_MAX_MASKS ? n_masks : TSN_IP6_MAX_MASKS);
	for (size_t i = 0; i < r->n_ip6_masks; i++)
		if (r->ip6_masks[i] & TSN_IP6F_PORTS)
			r->flags |= TSN_RULES_PORTS_NEEDED;
	for (size_t i = 0; i < cfg->n_streams; i++) {
		if (cfg->streams[i].identification == TSN_IDENT_DST_MAC_VLAN)
			r->flags |= TSN_RULES_MAC_DST;
		else if (cfg->streams[i].identification == TSN_IDENT_SRC_MAC_VLAN)
			r->flags |= TSN_RULES_MAC_SRC;
	}

	/* A priority is protected when some port's schedule gates its class. */
	for (size_t i = 0; i < cfg->n_ports; i++) {
		const struct tsn_cfg_port *p = &cfg->ports[i];
		uint8_t gated;

		if (!p->has_schedule)
			continue;
		gated = cls_sched_mask(&p->schedule);
		for (uint32_t prio = 0; prio < TSN_NUM_PRIO_MAX && prio < p->schedule.n_map; prio++)
			if (gated & (1u << (p->schedule.map[prio] & 7)))
				r->protected_prios |= (uint8_t)(1u << prio);
	}
}

/* ---- generations ---- */

/* Every key of map fd (keys of key_size bytes) whose generation, as gen_of reads
 * it, is gen; malloc'd, *count set. */
static void *collect_keys(int fd, size_t key_size, uint32_t (*gen_of)(const void *key),
			  uint32_t gen, size_t *count, int *err)
{
	unsigned char *keys = NULL, *cur = NULL;
	size_t n = 0, cap = 0;
	unsigned char *prev = malloc(key_size), *next = malloc(key_size);
	int rc;

	*err = 0;
	if (!prev || !next) {
		*err = -ENOMEM;
		goto out;
	}
	for (rc = bpf_map_get_next_key(fd, NULL, next); rc == 0;
	     rc = bpf_map_get_next_key(fd, prev, next)) {
		memcpy(prev, next, key_size);
		if (gen_of(next) != gen)
			continue;
		if (n == cap) {
			unsigned char *grown = realloc(keys, (cap ? cap * 2 : 64) * key_size);

			if (!grown) {
				*err = -ENOMEM;
				goto out;
			}
			keys = grown;
			cap = cap ? cap * 2 : 64;
		}
		memcpy(keys + n * key_size, next, key_size);
		n++;
	}
	if (rc != -ENOENT)
		*err = rc;
	cur = keys;
	keys = NULL;
out:
	free(keys);
	free(prev);
	free(next);
	*count = cur ? n : 0;
	return cur;
}

static int delete_keys(int fd, const void *keys, size_t key_size, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		int rc = bpf_map_delete_elem(fd, (const unsigned char *)keys + i * key_size);

		if (rc < 0 && rc != -ENOENT)
			return rc;
	}
	return 0;
}

static uint32_t gen_of_u32_hi(const void *key)
{
	uint32_t k;

	memcpy(&k, key, sizeof(k));
	return k >> 16;
}

static uint32_t gen_of_port(const void *key)
{
	return ((const struct tsn_port_key *)key)->gen;
}

static uint32_t gen_of_mac(const void *key)
{
	return ((const struct tsn_mac_key *)key)->gen;
}

static uint32_t gen_of_ip6(const void *key)
{
	return ((const struct tsn_ip6_key *)key)->gen;
}

static int clear_map(int fd, size_t key_size, uint32_t (*gen_of)(const void *), uint32_t gen)
{
	size_t n;
	int err;
	void *keys = collect_keys(fd, key_size, gen_of, gen, &n, &err);

	if (!err)
		err = delete_keys(fd, keys, key_size, n);
	free(keys);
	return err;
}

int cls_clear(const struct cls_maps *m, uint32_t gen)
{
	int rc = clear_map(m->ethertype, sizeof(uint32_t), gen_of_u32_hi, gen);

	if (!rc)
		rc = clear_map(m->ports, sizeof(struct tsn_port_key), gen_of_port, gen);
	if (!rc)
		rc = clear_map(m->mac, sizeof(struct tsn_mac_key), gen_of_mac, gen);
	if (!rc)
		rc = clear_map(m->ip6, sizeof(struct tsn_ip6_key), gen_of_ip6, gen);
	if (!rc)
		rc = clear_map(m->acl, sizeof(struct tsn_acl_key), acl_gen_of, gen);
	if (!rc)
		rc = clear_map(m->acl_pfx, sizeof(struct tsn_acl_pfx_key), acl_pfx_gen_of, gen);
	if (!rc)
		rc = clear_map(m->storm_conf, sizeof(struct tsn_port_key), gen_of_port, gen);
	return rc;
}

uint32_t cls_active(const struct cls_maps *m)
{
	struct tsn_gen g = { 0 };
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(m->gen, &zero, &g) < 0)
		return 0;
	return g.active & 1;
}

int cls_activate(const struct cls_maps *m, uint32_t gen)
{
	struct tsn_gen g = { 0 };
	uint32_t zero = 0;

	bpf_map_lookup_elem(m->gen, &zero, &g);
	g.active = gen & 1;
	g.serial++;
	/* An array element of 8 bytes: the program reads active in one load. */
	return bpf_map_update_elem(m->gen, &zero, &g, BPF_ANY);
}

void cls_quiesce(void)
{
	/* MEMBARRIER_CMD_GLOBAL waits for synchronize_rcu() in the kernel: every
	 * RCU read section running now, so every XDP/tc program run, has ended. */
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return;
	/* Not available (nohz_full CPUs): wait far longer than a program runs. */
	log_debug("classifier: membarrier: %s; waiting 100 ms instead", strerror(errno));
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	nanosleep(&pause, NULL);
}

/* ---- counter slots ---- */

struct slot_pair {
	uint32_t id;		/* stream id, or port ifindex */
	uint32_t slot;
};

/* One kind of slot (streams or ports): the current assignment, the one cls_write
 * is building, and what may hold counts. */
struct slot_set {
	uint32_t n_slots;
	uint32_t first;			/* lowest slot to hand out */
	uint32_t *cur_of;		/* slot -> id in the active generation, 0: none */
	uint32_t *next_of;		/* slot -> id in the generation being written */
	uint8_t *dirty;			/* slot may hold counts (zero before use) */
	struct slot_pair *cur, *next;	/* sorted by id */
	size_t n_cur, n_next;
	uint32_t *freed;		/* slots the last commit removed */
	size_t n_freed;
	uint32_t hint;			/* where the search for a free slot goes on */
};

struct cls_slots {
	int ncpus;
	struct slot_set streams, ports;
	bool port_full_warned;
};

static int set_init(struct slot_set *s, uint32_t n_slots, uint32_t first, bool dirty)
{
	memset(s, 0, sizeof(*s));
	s->n_slots = n_slots;
	s->first = first;
	s->hint = first;
	s->cur_of = calloc(n_slots, sizeof(*s->cur_of));
	s->next_of = calloc(n_slots, sizeof(*s->next_of));
	s->dirty = malloc(n_slots);
	s->cur = calloc(n_slots, sizeof(*s->cur));
	s->next = calloc(n_slots, sizeof(*s->next));
	s->freed = calloc(n_slots, sizeof(*s->freed));
	if (!s->cur_of || !s->next_of || !s->dirty || !s->cur || !s->next || !s->freed)
		return -ENOMEM;
	memset(s->dirty, dirty, n_slots);
	return 0;
}

static void set_free(struct slot_set *s)
{
	free(s->cur_of);
	free(s->next_of);
	free(s->dirty);
	free(s->cur);
	free(s->next);
	free(s->freed);
}

struct cls_slots *cls_slots_new(int ncpus, bool maybe_used)
{
	struct cls_slots *sl = calloc(1, sizeof(*sl));

	if (!sl)
		return NULL;
	sl->ncpus = ncpus;
	if (set_init(&sl->streams, TSN_MAX_STREAMS, 0, maybe_used) < 0 ||
	    set_init(&sl->ports, TSN_PORT_SLOTS, TSN_PORT_SLOT_NONE + 1, maybe_used) < 0) {
		cls_slots_free(sl);
		return NULL;
	}
	return sl;
}

void cls_slots_free(struct cls_slots *sl)
{
	if (!sl)
		return;
	set_free(&sl->streams);
	set_free(&sl->ports);
	free(sl);
}

static int cmp_pair(const void *a, const void *b)
{
	const struct slot_pair *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct slot_pair *find_pair(const struct slot_pair *p, size_t n, uint32_t id)
{
	struct slot_pair k = { .id = id };

	return n ? bsearch(&k, p, n, sizeof(*p), cmp_pair) : NULL;
}

/* Zero slot slot in every CPU's region of the counter array fd. */
static int zero_slot(int fd, int ncpus, uint32_t n_slots, uint32_t slot, size_t size)
{
	uint64_t zero[64] = { 0 };	/* the largest counter set, port_counters, fits */

	if (size > sizeof(zero))
		return -EINVAL;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		uint32_t key = (uint32_t)cpu * n_slots + slot;
		int rc = bpf_map_update_elem(fd, &key, zero, BPF_ANY);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static void next_reset(struct slot_set *s)
{
	for (size_t i = 0; i < s->n_next; i++)
		s->next_of[s->next[i].slot] = 0;
	s->n_next = 0;
	s->hint = s->first;
}

/* The slot of id in the generation being written: its current one, else the
 * next slot free in both generations, zeroed first if it may hold counts.
 * Called in ascending id order (next[] stays sorted); a repeated id gets the
 * same slot.  -ENOSPC when every slot is taken. */
static int next_assign(struct slot_set *s, int fd, int ncpus, size_t size, uint32_t id)
{
	const struct slot_pair *have = find_pair(s->cur, s->n_cur, id);
	uint32_t slot;
	int rc;

	if (s->n_next && s->next[s->n_next - 1].id == id)
		return (int)s->next[s->n_next - 1].slot;
	if (have) {
		slot = have->slot;
	} else {
		for (slot = s->hint; slot < s->n_slots; slot++)
			if (!s->cur_of[slot] && !s->next_of[slot])
				break;
		if (slot >= s->n_slots)
			return -ENOSPC;
		s->hint = slot + 1;
		if (s->dirty[slot]) {
			rc = zero_slot(fd, ncpus, s->n_slots, slot, size);
			if (rc < 0)
				return rc;
			s->dirty[slot] = 0;
		}
	}
	s->next_of[slot] = id;
	s->next[s->n_next++] = (struct slot_pair){ .id = id, .slot = slot };
	return (int)slot;
}

#define SLOT_RELEASED UINT32_MAX	/* cur_of: removed, not zeroed yet (no stream id) */

static void set_commit(struct slot_set *s)
{
	struct slot_pair *t;

	/* A kept id has the same slot in both: a slot of cur that next does not
	 * hold is a removed stream's (or port's). */
	for (size_t i = 0; i < s->n_cur; i++) {
		uint32_t slot = s->cur[i].slot;

		s->cur_of[slot] = 0;
		if (!s->next_of[slot]) {
			s->cur_of[slot] = SLOT_RELEASED;	/* taken until zeroed */
			s->freed[s->n_freed++] = slot;
		}
	}
	for (size_t i = 0; i < s->n_next; i++) {
		s->cur_of[s->next[i].slot] = s->next[i].id;
		s->dirty[s->next[i].slot] = 1;	/* counted in from now on */
	}
	t = s->cur;
	s->cur = s->next;
	s->n_cur = s->n_next;
	s->next = t;
	/* next mirrors cur (and next_of already does) until the next cls_write. */
	memcpy(s->next, s->cur, s->n_cur * sizeof(*s->next));
	s->n_next = s->n_cur;
}

void cls_slots_commit(const struct cls_maps *m)
{
	if (!m->slots)
		return;
	set_commit(&m->slots->streams);
	set_commit(&m->slots->ports);
}

static int set_prune(struct slot_set *s, int fd, int ncpus, size_t size)
{
	int err = 0;

	for (size_t i = 0; i < s->n_freed; i++) {
		uint32_t slot = s->freed[i];
		int rc = zero_slot(fd, ncpus, s->n_slots, slot, size);

		/* Not zeroed: zeroed when it is handed out again. */
		s->dirty[slot] = rc < 0;
		if (rc < 0)
			err = rc;
		if (s->cur_of[slot] == SLOT_RELEASED)
			s->cur_of[slot] = 0;
	}
	s->n_freed = 0;
	return err;
}

int cls_prune_counters(const struct cls_maps *m)
{
	int rc, rc2;

	if (!m->slots)
		return 0;
	rc = set_prune(&m->slots->streams, m->stream_stats, m->slots->ncpus,
		       sizeof(struct tsn_stream_counters));
	rc2 = set_prune(&m->slots->ports, m->port_stats, m->slots->ncpus, sizeof(struct port_counters));
	return rc < 0 ? rc : rc2;
}

int cls_stream_slot(const struct cls_maps *m, uint32_t id)
{
	const struct slot_pair *p = m->slots ? find_pair(m->slots->streams.cur,
							 m->slots->streams.n_cur, id) : NULL;

	return p ? (int)p->slot : -ENOENT;
}

int cls_port_slot(const struct cls_maps *m, int ifindex)
{
	const struct slot_pair *p = m->slots ? find_pair(m->slots->ports.cur, m->slots->ports.n_cur,
							 (uint32_t)ifindex) : NULL;

	return p ? (int)p->slot : -ENOENT;
}

int cls_slot_sum(int fd, int ncpus, uint32_t slots, uint32_t slot, void *sum, size_t size)
{
	uint64_t val[64], *out = sum;
	size_t words = size / sizeof(uint64_t);

	memset(sum, 0, size);
	if (size > sizeof(val) || size % sizeof(uint64_t) || slot >= slots)
		return -EINVAL;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		uint32_t key = (uint32_t)cpu * slots + slot;
		int rc = bpf_map_lookup_elem(fd, &key, val);

		if (rc < 0)
			return rc;
		for (size_t w = 0; w < words; w++)
			out[w] += val[w];
	}
	return 0;
}

int cls_stream_counters(const struct cls_maps *m, uint32_t id, struct tsn_stream_counters *sum)
{
	int slot = cls_stream_slot(m, id);

	memset(sum, 0, sizeof(*sum));
	if (slot < 0)
		return slot;
	return cls_slot_sum(m->stream_stats, m->slots->ncpus, TSN_MAX_STREAMS, (uint32_t)slot, sum,
			    sizeof(*sum));
}

int cls_port_counters(const struct cls_maps *m, int ifindex, struct port_counters *sum)
{
	int slot = cls_port_slot(m, ifindex);

	memset(sum, 0, sizeof(*sum));
	if (slot < 0)
		return 0;
	return cls_slot_sum(m->port_stats, m->slots->ncpus, TSN_PORT_SLOTS, (uint32_t)slot, sum,
			    sizeof(*sum));
}

/* Add (id, slot) to the current set while rebuilding; a slot or id seen twice
 * keeps its first owner (the other gets a new slot at the next cls_write). */
static void rebuild_add(struct slot_set *s, uint32_t id, uint32_t slot)
{
	if (id == 0 || slot < s->first || slot >= s->n_slots || s->cur_of[slot])
		return;
	s->cur_of[slot] = id;
	s->dirty[slot] = 1;
	s->cur[s->n_cur++] = (struct slot_pair){ .id = id, .slot = slot };
}

static void rebuild_sort(struct slot_set *s)
{
	size_t out = 0;

	qsort(s->cur, s->n_cur, sizeof(*s->cur), cmp_pair);
	for (size_t i = 0; i < s->n_cur; i++) {
		if (out && s->cur[out - 1].id == s->cur[i].id) {
			s->cur_of[s->cur[i].slot] = 0;	/* an id twice: one slot is enough */
			continue;
		}
		s->cur[out++] = s->cur[i];
	}
	s->n_cur = out;
	memcpy(s->next, s->cur, s->n_cur * sizeof(*s->next));
	s->n_next = s->n_cur;
	for (size_t i = 0; i < s->n_cur; i++)
		s->next_of[s->cur[i].slot] = s->cur[i].id;
}

int cls_slots_rebuild(const struct cls_maps *m)
{
	uint32_t active = cls_active(m);
	struct tsn_stream_val v;
	struct tsn_port_conf pc;
	union {
		struct tsn_mac_key mac;
		struct tsn_ip6_key ip6;
		struct tsn_port_key port;
	} k, next;
	int rc;

	if (!m->slots)
		return -ENOMEM;
	for (rc = bpf_map_get_next_key(m->mac, NULL, &next.mac); rc == 0;
	     rc = bpf_map_get_next_key(m->mac, &k.mac, &next.mac)) {
		k.mac = next.mac;
		if (k.mac.gen == active && bpf_map_lookup_elem(m->mac, &k.mac, &v) == 0 &&
		    m->slots->streams.n_cur < TSN_MAX_STREAMS)
			rebuild_add(&m->slots->streams, v.stream_id, v.slot);
	}
	if (rc != -ENOENT)
		return rc;
	for (rc = bpf_map_get_next_key(m->ip6, NULL, &next.ip6); rc == 0;
	     rc = bpf_map_get_next_key(m->ip6, &k.ip6, &next.ip6)) {
		k.ip6 = next.ip6;
		if (k.ip6.gen == active && bpf_map_lookup_elem(m->ip6, &k.ip6, &v) == 0 &&
		    m->slots->streams.n_cur < TSN_MAX_STREAMS)
			rebuild_add(&m->slots->streams, v.stream_id, v.slot);
	}
	if (rc != -ENOENT)
		return rc;
	for (rc = bpf_map_get_next_key(m->ports, NULL, &next.port); rc == 0;
	     rc = bpf_map_get_next_key(m->ports, &k.port, &next.port)) {
		k.port = next.port;
		if (k.port.gen == active && bpf_map_lookup_elem(m->ports, &k.port, &pc) == 0 &&
		    m->slots->ports.n_cur < TSN_PORT_SLOTS)
			rebuild_add(&m->slots->ports, k.port.ifindex, pc.slot);
	}
	if (rc != -ENOENT)
		return rc;
	rebuild_sort(&m->slots->streams);
	rebuild_sort(&m->slots->ports);
	return 0;
}

/* ---- writing ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Slots for every stream id of cfg, in the generation being written. */
static int assign_stream_slots(const struct cls_maps *m, const struct tsn_config *cfg, char *err,
			       size_t errlen)
{
	struct slot_set *s = &m->slots->streams;
	uint32_t *ids = malloc((cfg->n_streams ? cfg->n_streams : 1) * sizeof(*ids));
	int rc = 0;

	if (!ids) {
		snprintf(err, errlen, "classifier: out of memory");
		return -ENOMEM;
	}
	next_reset(s);
	for (size_t i = 0; i < cfg->n_streams; i++)
		ids[i] = cfg->streams[i].id;
	qsort(ids, cfg->n_streams, sizeof(*ids), cmp_u32);
	for (size_t i = 0; i < cfg->n_streams && rc >= 0; i++)
		rc = next_assign(s, m->stream_stats, m->slots->ncpus, sizeof(struct tsn_stream_counters),
				 ids[i]);
	if (rc < 0)
		snprintf(err, errlen, "streams: cannot give every stream its counters: %s",
			 rc == -ENOSPC ? "more streams than counter slots" : strerror(-rc));
	free(ids);
	return rc < 0 ? rc : 0;
}

/* Slots for the ports, in the generation being written; *slot_of[i] is port i's.
 * Past the last slot a port counts with the ports that have none (logged). */
static int assign_port_slots(const struct cls_maps *m, const struct cls_port *ports, size_t n,
			     uint8_t *slot_of)
{
	struct slot_set *s = &m->slots->ports;
	struct slot_pair *order = calloc(n ? n : 1, sizeof(*order));
	int rc = 0;

	if (!order)
		return -ENOMEM;
	next_reset(s);
	for (size_t i = 0; i < n; i++)
		order[i] = (struct slot_pair){ .id = (uint32_t)ports[i].ifindex, .slot = (uint32_t)i };
	qsort(order, n, sizeof(*order), cmp_pair);
	for (size_t i = 0; i < n; i++) {
		rc = next_assign(s, m->port_stats, m->slots->ncpus, sizeof(struct port_counters),
				 order[i].id);
		if (rc == -ENOSPC) {
			if (!m->slots->port_full_warned)
				log_warn("classifier: more than %d ports: port ifindex %u and later "
					 "ones share one set of counters", TSN_PORT_SLOTS - 1,
					 order[i].id);
			m->slots->port_full_warned = true;
			rc = TSN_PORT_SLOT_NONE;
		}
		if (rc < 0)
			break;
		slot_of[order[i].slot] = (uint8_t)rc;
		rc = 0;
	}
	free(order);
	return rc;
}

/* ---- the stream table (tsn_strm_tab) ---- */

#define STRM_SEEDS	8	/* seeds tried at one size before the next size */

/* Robin Hood insertion into a linear-probing table: a key farther from its hash
 * than the one in its way takes that place and moves the other on, which keeps
 * the longest distance short.  home[i]: where entry i's hash points.  false: some
 * key would sit TSN_STRM_PROBES or more entries from its hash. */
static bool strm_place(struct tsn_strm_ent *ents, uint32_t *home, uint32_t mask,
		       struct tsn_strm_ent e, uint32_t h)
{
	for (uint32_t dist = 0; dist < TSN_STRM_PROBES; dist++) {
		uint32_t idx = (h + dist) & mask, d_res;

		if (!ents[idx].val.stream_id) {
			ents[idx] = e;
			home[idx] = h;
			return true;
		}
		d_res = (idx - home[idx]) & mask;
		if (d_res < dist) {
			struct tsn_strm_ent t = ents[idx];
			uint32_t th = home[idx];

			ents[idx] = e;
			home[idx] = h;
			e = t;
			h = th;
			dist = d_res;
		}
	}
	return false;
}

int cls_build_strm_tab(const union tsn_strm_key *keys, const struct tsn_stream_val *vals, size_t n,
		       struct tsn_strm_ent *ents, uint32_t *mask, uint32_t *seed)
{
	uint32_t size = 16;

	while (size < 2 * n && size <= TSN_STRM_TAB_CAP)
		size <<= 1;
	for (; size <= TSN_STRM_TAB_CAP; size <<= 1) {
		uint32_t *home = malloc(size * sizeof(*home));

		if (!home)
			return -ENOMEM;
		for (uint32_t s = 0; s < STRM_SEEDS; s++) {
			uint32_t sd = s * 0x9e3779b9u;
			bool ok = true;

			memset(ents, 0, size * sizeof(*ents));
			for (size_t i = 0; i < n && ok; i++) {
				struct tsn_strm_ent e = { .key = keys[i], .val = vals[i] };

				ok = strm_place(ents, home, size - 1, e,
						tsn_strm_hash(keys[i].w, sd) & (size - 1));
			}
			if (ok) {
				free(home);
				*mask = size - 1;
				*seed = sd;
				return 0;
			}
		}
		free(home);
	}
	return -E2BIG;
}

int cls_write_strm_tab(int fd, uint32_t gen, const union tsn_strm_key *keys,
		       const struct tsn_stream_val *vals, size_t n, struct tsn_rules *r, char *err,
		       size_t errlen)
{
	/* Built aside (malloc's pages are touched only as far as a size is tried),
	 * then copied into a mapping of the part of generation gen's region the
	 * table uses: mapping a BPF array maps all of it at once, 8 MiB. */
	struct tsn_strm_ent *ents = malloc((size_t)TSN_STRM_TAB_CAP * sizeof(*ents));
	size_t region = (size_t)TSN_STRM_TAB_CAP * sizeof(*ents), page = (size_t)sysconf(_SC_PAGESIZE);
	uint32_t mask = 0, seed = 0;
	size_t len;
	void *mem;
	int rc;

	if (!ents) {
		snprintf(err, errlen, "classifier: out of memory");
		return -ENOMEM;
	}
	rc = cls_build_strm_tab(keys, vals, n, ents, &mask, &seed);
	if (rc < 0) {
		free(ents);
		if (rc == -E2BIG)
			snprintf(err, errlen, "streams: %zu streams do not fit the data plane's stream "
				 "table (%d entries, every stream within %d of its hash)", n,
				 TSN_STRM_TAB_CAP, TSN_STRM_PROBES);
		else
			snprintf(err, errlen, "streams: cannot build the stream table: %s", strerror(-rc));
		return rc;
	}
	len = ((size_t)(mask + 1) * sizeof(*ents) + page - 1) / page * page;
	/* Generation gen's region only: the other one is what frames read now. */
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)((gen & 1) * region));
	if (mem == MAP_FAILED) {
		rc = -errno;
		free(ents);
		snprintf(err, errlen, "streams: cannot map the data plane's stream table: %s",
			 strerror(-rc));
		return rc;
	}
	memcpy(mem, ents, (size_t)(mask + 1) * sizeof(*ents));
	munmap(mem, len);
	free(ents);
	r->strm_mask = mask;
	r->strm_seed = seed;
	return 0;
}

/* The streams into the hash maps (tsnd's record, which also refuses two streams
 * of one key) and into the program's table; its mask and seed go to *r. */
static int write_streams(const struct cls_maps *m, const struct tsn_config *cfg, uint32_t gen,
			 struct tsn_rules *r, char *err, size_t errlen)
{
	bool *frer = tsn_config_frer_marks(cfg);	/* FRER streams: TSN_STRM_FRER */
	const struct slot_set *slots = &m->slots->streams;
	size_t n = cfg->n_streams ? cfg->n_streams : 1;
	union tsn_strm_key *keys = calloc(n, sizeof(*keys));
	struct tsn_stream_val *vals = calloc(n, sizeof(*vals));
	int rc = 0;

	if ((cfg->n_frer && cfg->n_streams && !frer) || !keys || !vals) {
		free(frer);
		free(keys);
		free(vals);
		snprintf(err, errlen, "classifier: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_streams && rc == 0; i++) {
		const struct tsn_cfg_stream *s = &cfg->streams[i];
		const struct slot_pair *sp = find_pair(slots->next, slots->n_next, s->id);
		struct tsn_stream_val v = {
			.stream_id = s->id,
			.priority = (uint8_t)s->priority,
			.flags = frer && frer[i] ? TSN_STRM_FRER : 0,
			.slot = sp ? sp->slot : 0,
		};

		/* Filter ids count from 1 in configuration order; 0 means none. */
		for (size_t f = 0; s->filter[0] && f < cfg->n_stream_filters; f++)
			if (strcmp(cfg->stream_filters[f].name, s->filter) == 0)
				v.filter_id = (uint16_t)(f + 1);
		/* keys[i] is zeroed: bytes past the key stay zero. */
		if (s->identification == TSN_IDENT_IPV6) {
			tsn_stream_ip6_key(s, (uint8_t)gen, &keys[i].ip6);
			rc = bpf_map_update_elem(m->ip6, &keys[i].ip6, &v, BPF_NOEXIST);
		} else {
			tsn_stream_mac_key(s, (uint8_t)gen, &keys[i].mac);
			rc = bpf_map_update_elem(m->mac, &keys[i].mac, &v, BPF_NOEXIST);
		}
		vals[i] = v;
		if (rc < 0)
			snprintf(err, errlen, "stream %u (streams[%zu]): cannot add it to the data "
				 "plane: %s", s->id, i, rc == -EEXIST ?
				 "another stream identifies the same frames" : strerror(-rc));
	}
	if (rc == 0)
		rc = cls_write_strm_tab(m->strm_tab, gen, keys, vals, cfg->n_streams, r, err, errlen);
	free(frer);
	free(keys);
	free(vals);
	return rc;
}

int cls_write(const struct cls_maps *m, const struct tsn_config *cfg, const struct cls_port *ports,
	      size_t n_ports, uint8_t rule_flags, uint32_t gen, char *err, size_t errlen)
{
	struct tsn_cfg_prio_rule et[TSN_MAX_ETHERTYPE_RULES];
	size_t n_et = tsn_ethertype_rules(cfg, et, TSN_MAX_ETHERTYPE_RULES);
	struct tsn_rules rules, tab = { 0 };
	int rc;

	uint8_t *port_slot = calloc(n_ports ? n_ports : 1, 1);

	gen &= 1;
	if (!m->slots || !port_slot) {
		free(port_slot);
		snprintf(err, errlen, "classifier: out of memory");
		return -ENOMEM;
	}
	rc = cls_clear(m, gen);
	if (rc < 0) {
		free(port_slot);
		snprintf(err, errlen, "classifier: cannot clear generation %u: %s", gen, strerror(-rc));
		return rc;
	}
	rc = assign_port_slots(m, ports, n_ports, port_slot);
	if (rc < 0) {
		free(port_slot);
		snprintf(err, errlen, "classifier: cannot give the ports their counters: %s",
			 strerror(-rc));
		return rc;
	}
	rc = assign_stream_slots(m, cfg, err, errlen);
	if (rc < 0) {
		free(port_slot);
		return rc;
	}
	for (size_t i = 0; i < n_ports; i++) {
		struct tsn_port_key k = { .ifindex = (uint32_t)ports[i].ifindex, .gen = gen };
		struct tsn_port_conf pc;

		cls_port_conf(ports[i].cfg, ports[i].mac, &pc);
		pc.slot = port_slot[i];
		rc = bpf_map_update_elem(m->ports, &k, &pc, BPF_ANY);
		if (rc < 0) {
			free(port_slot);
			snprintf(err, errlen, "port %s: cannot write its data plane entry: %s",
				 ports[i].cfg->name, strerror(-rc));
			return rc;
		}
		rc = acl_write_port(m->acl, m->acl_pfx, ports[i].ifindex, ports[i].cfg, gen, err,
				    errlen);
		if (rc == 0)
			rc = storm_write_port(m->storm_conf, ports[i].ifindex, ports[i].cfg, gen, err,
					      errlen);
		if (rc < 0) {
			free(port_slot);
			return rc;
		}
	}
	free(port_slot);
	for (size_t i = 0; i < n_et; i++) {
		uint32_t k = TSN_ETHERTYPE_KEY(gen, et[i].match), prio = et[i].priority;

		rc = bpf_map_update_elem(m->ethertype, &k, &prio, BPF_ANY);
		if (rc < 0) {
			snprintf(err, errlen, "classification: cannot write the rule for EtherType "
				 "0x%04x: %s", et[i].match, strerror(-rc));
			return rc;
		}
	}
	rc = write_streams(m, cfg, gen, &tab, err, errlen);
	if (rc < 0)
		return rc;
	rc = pol_write(m->filters, m->gates, m->gate_ents, cfg, gen, err, errlen);
	if (rc < 0)
		return rc;
	cls_rules(cfg, &rules);
	rules.flags |= rule_flags;
	rules.strm_mask = tab.strm_mask;
	rules.strm_seed = tab.strm_seed;
	rc = bpf_map_update_elem(m->rules, &gen, &rules, BPF_ANY);
	if (rc < 0)
		snprintf(err, errlen, "classification: cannot write the rules: %s", strerror(-rc));
	return rc;
}

