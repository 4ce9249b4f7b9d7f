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

/* ---- writing ---- */

static int write_streams(const struct cls_maps *m, const struct tsn_config *cfg, uint32_t gen,
			 char *err, size_t errlen)
{
	int ncpus = libbpf_num_possible_cpus();
	struct tsn_stream_counters *zero;
	bool *frer = tsn_config_frer_marks(cfg);	/* FRER streams: TSN_STRM_FRER */
	int rc = 0;

	if (ncpus <= 0) {
		snprintf(err, errlen, "classifier: cannot count the CPUs: %s", strerror(-ncpus));
		return ncpus ? ncpus : -EINVAL;
	}
	zero = calloc((size_t)ncpus, sizeof(*zero));
	if (!zero || (cfg->n_frer && cfg->n_streams && !frer)) {
		free(zero);
		free(frer);
		snprintf(err, errlen, "classifier: out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_streams && rc == 0; i++) {
		const struct tsn_cfg_stream *s = &cfg->streams[i];
		struct tsn_stream_val v = {
			.stream_id = s->id,
			.priority = (uint8_t)s->priority,
			.flags = frer && frer[i] ? TSN_STRM_FRER : 0,
		};

		/* Filter ids count from 1 in configuration order; 0 means none. */
		for (size_t f = 0; s->filter[0] && f < cfg->n_stream_filters; f++)
			if (strcmp(cfg->stream_filters[f].name, s->filter) == 0)
				v.filter_id = (uint16_t)(f + 1);
		if (s->identification == TSN_IDENT_IPV6) {
			struct tsn_ip6_key k;

			tsn_stream_ip6_key(s, (uint8_t)gen, &k);
			rc = bpf_map_update_elem(m->ip6, &k, &v, BPF_NOEXIST);
		} else {
			struct tsn_mac_key k;

			tsn_stream_mac_key(s, (uint8_t)gen, &k);
			rc = bpf_map_update_elem(m->mac, &k, &v, BPF_NOEXIST);
		}
		if (rc < 0) {
			snprintf(err, errlen, "stream %u (streams[%zu]): cannot add it to the data "
				 "plane: %s", s->id, i, rc == -EEXIST ?
				 "another stream identifies the same frames" : strerror(-rc));
			break;
		}
		/* Counters survive a reload: only a new stream id gets a new entry. */
		rc = bpf_map_update_elem(m->stream_stats, &s->id, zero, BPF_NOEXIST);
		if (rc == -EEXIST)
			rc = 0;
		if (rc < 0)
			snprintf(err, errlen, "stream %u: cannot create its counters: %s", s->id,
				 strerror(-rc));
	}
	free(zero);
	free(frer);
	return rc;
}

int cls_write(const struct cls_maps *m, const struct tsn_config *cfg, const struct cls_port *ports,
	      size_t n_ports, uint8_t rule_flags, uint32_t gen, char *err, size_t errlen)
{
	struct tsn_cfg_prio_rule et[TSN_MAX_ETHERTYPE_RULES];
	size_t n_et = tsn_ethertype_rules(cfg, et, TSN_MAX_ETHERTYPE_RULES);
	struct tsn_rules rules;
	int rc;

	gen &= 1;
	rc = cls_clear(m, gen);
	if (rc < 0) {
		snprintf(err, errlen, "classifier: cannot clear generation %u: %s", gen, strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < n_ports; i++) {
		struct tsn_port_key k = { .ifindex = (uint32_t)ports[i].ifindex, .gen = gen };
		struct tsn_port_conf pc;

		cls_port_conf(ports[i].cfg, ports[i].mac, &pc);
		rc = bpf_map_update_elem(m->ports, &k, &pc, BPF_ANY);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: cannot write its data plane entry: %s",
				 ports[i].cfg->name, strerror(-rc));
			return rc;
		}
		rc = acl_write_port(m->acl, m->acl_pfx, ports[i].ifindex, ports[i].cfg, gen, err,
				    errlen);
		if (rc == 0)
			rc = storm_write_port(m->storm_conf, ports[i].ifindex, ports[i].cfg, gen, err,
					      errlen);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < n_et; i++) {
		uint32_t k = TSN_ETHERTYPE_KEY(gen, et[i].match), prio = et[i].priority;

		rc = bpf_map_update_elem(m->ethertype, &k, &prio, BPF_ANY);
		if (rc < 0) {
			snprintf(err, errlen, "classification: cannot write the rule for EtherType "
				 "0x%04x: %s", et[i].match, strerror(-rc));
			return rc;
		}
	}
	rc = write_streams(m, cfg, gen, err, errlen);
	if (rc < 0)
		return rc;
	rc = pol_write(m->filters, m->gates, m->gate_ents, cfg, gen, err, errlen);
	if (rc < 0)
		return rc;
	cls_rules(cfg, &rules);
	rules.flags |= rule_flags;
	rc = bpf_map_update_elem(m->rules, &gen, &rules, BPF_ANY);
	if (rc < 0)
		snprintf(err, errlen, "classification: cannot write the rules: %s", strerror(-rc));
	return rc;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int cls_prune_stream_stats(const struct cls_maps *m, const struct tsn_config *cfg)
{
	uint32_t *ids = calloc(cfg->n_streams ? cfg->n_streams : 1, sizeof(*ids));
	uint32_t key, next, *stale = NULL;
	size_t n_stale = 0, cap = 0;
	int rc;

	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_streams; i++)
		ids[i] = cfg->streams[i].id;
	qsort(ids, cfg->n_streams, sizeof(*ids), cmp_u32);
	for (rc = bpf_map_get_next_key(m->stream_stats, NULL, &next); rc == 0;
	     rc = bpf_map_get_next_key(m->stream_stats, &key, &next)) {
		key = next;
		if (bsearch(&key, ids, cfg->n_streams, sizeof(*ids), cmp_u32))
			continue;
		if (n_stale == cap) {
			uint32_t *grown = realloc(stale, (cap ? cap * 2 : 64) * sizeof(*stale));

			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			stale = grown;
			cap = cap ? cap * 2 : 64;
		}
		stale[n_stale++] = key;
	}
	if (rc == -ENOENT)
		rc = delete_keys(m->stream_stats, stale, sizeof(*stale), n_stale);
	free(stale);
	free(ids);
	return rc;
}
