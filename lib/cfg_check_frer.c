/* SPDX-License-Identifier: GPL-2.0-only */
/* cfg_check_frer.c — rules of the `frer:` section (IEEE 802.1CB, docs/frer.md):
 * one entry's fields against its role, and the section against `streams:` and
 * `ports:`.  Lookups go through sorted indexes: 65 536 entries against 65 536
 * streams stay O(n log n). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_schema.h"

void cfg_check_frer(struct cfg_checker *chk, void *obj)
{
	struct tsn_cfg_frer *f = obj;
	const char *role = f->role == TSN_FRER_ROLE_GENERATOR ? "generator" : NULL;
	/* Values, not presence: the normalized form (tsnctl config, golden files)
	 * writes every field, and must parse back. */
	struct { const void *field; const char *key; bool set; } rcvy[] = {
		{ &f->algorithm, "algorithm", f->algorithm != TSN_FRER_ALG_CFG_VECTOR },
		{ &f->history, "history", f->history != TSN_FRER_CFG_HISTORY_DEFAULT },
		{ &f->reset_timeout_ns, "reset-timeout", f->reset_timeout_ns != TSN_FRER_CFG_RESET_DEFAULT },
		{ &f->individual_recovery, "individual-recovery", f->individual_recovery },
		{ &f->take_no_sequence, "take-no-sequence", f->take_no_sequence },
	};

	/* A generator has no recovery function: its settings would be ignored. */
	for (size_t i = 0; role && i < sizeof(rcvy) / sizeof(rcvy[0]); i++)
		if (rcvy[i].set)
			cfg_error(chk, rcvy[i].field, "'%s' belongs to a recovery function; role is %s", rcvy[i].key,
				  role);
	if (role && f->has_latent_error)
		cfg_error(chk, &f->latent_error, "'latent-error' belongs to a recovery function; role is %s", role);
	if (f->algorithm == TSN_FRER_ALG_CFG_MATCH && f->history != TSN_FRER_CFG_HISTORY_DEFAULT)
		cfg_error(chk, &f->history, "the match algorithm keeps no history; 'history' is for vector");
	if (f->has_latent_error && f->latent_error.reset_period_ns < f->latent_error.period_ns)
		cfg_error(chk, &f->latent_error.reset_period_ns, "must be at least the period");
	for (size_t i = 0; i < f->n_paths; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(f->paths[i].port, f->paths[j].port) == 0 &&
			    f->paths[i].has_vlan == f->paths[j].has_vlan &&
			    (!f->paths[i].has_vlan || f->paths[i].vlan == f->paths[j].vlan))
				cfg_error(chk, f->paths[i].port, "paths[%zu] sends the same copy already (port %s%s)", j,
					  f->paths[i].port, f->paths[i].has_vlan ? " in that VLAN" : "");
}

/* ---- lookups ---- */

struct by_name {
	const char *name;
	size_t idx;
};

static int cmp_by_name(const void *a, const void *b)
{
	return strcmp(((const struct by_name *)a)->name, ((const struct by_name *)b)->name);
}

struct by_id {
	uint32_t id;
	size_t idx;
};

static int cmp_by_id(const void *a, const void *b)
{
	uint32_t x = ((const struct by_id *)a)->id, y = ((const struct by_id *)b)->id;
	return (x > y) - (x < y);
}

/* A decimal stream id, or 0 if text is not one. */
static uint32_t parse_id(const char *text)
{
	char *end;
	unsigned long v;

	if (text[0] < '1' || text[0] > '9')
		return 0;
	errno = 0;
	v = strtoul(text, &end, 10);
	return *end || errno || v >= UINT32_MAX ? 0 : (uint32_t)v;
}

/* The index in cfg->streams of the stream numbered text, or -1. */
static long find_id(const struct tsn_config *cfg, const struct by_id *ids, const char *text)
{
	struct by_id ki = { .id = parse_id(text) };
	const struct by_id *d = ki.id ? bsearch(&ki, ids, cfg->n_streams, sizeof(*ids), cmp_by_id) : NULL;
	return d ? (long)d->idx : -1;
}

const struct tsn_cfg_stream *tsn_config_frer_stream(const struct tsn_config *cfg, const struct tsn_cfg_frer *f)
{
	/* For one lookup a scan is cheaper than sorting. */
	for (size_t i = 0; i < cfg->n_streams; i++)
		if (cfg->streams[i].name[0] && strcmp(cfg->streams[i].name, f->stream) == 0)
			return &cfg->streams[i];
	uint32_t id = parse_id(f->stream);
	for (size_t i = 0; id && i < cfg->n_streams; i++)
		if (cfg->streams[i].id == id)
			return &cfg->streams[i];
	return NULL;
}

/* For each frer entry, the index of its stream in cfg->streams or -1; NULL if
 * out of memory.  Sorted indexes: O(n log n). */
long *tsn_config_frer_resolve(const struct tsn_config *cfg)
{
	struct by_name *names = calloc(cfg->n_streams + 1, sizeof(*names));
	struct by_id *ids = calloc(cfg->n_streams + 1, sizeof(*ids));
	long *res = calloc(cfg->n_frer + 1, sizeof(*res));
	size_t n_names = 0;

	if (!names || !ids || !res) {
		free(res);
		res = NULL;
		goto out;
	}
	for (size_t i = 0; i < cfg->n_streams; i++) {
		if (cfg->streams[i].name[0])
			names[n_names++] = (struct by_name){ cfg->streams[i].name, i };
		ids[i] = (struct by_id){ cfg->streams[i].id, i };
	}
	qsort(names, n_names, sizeof(*names), cmp_by_name);
	qsort(ids, cfg->n_streams, sizeof(*ids), cmp_by_id);
	for (size_t i = 0; i < cfg->n_frer; i++) {
		struct by_name kn = { .name = cfg->frer[i].stream };
		const struct by_name *hit = n_names ? bsearch(&kn, names, n_names, sizeof(*names), cmp_by_name) : NULL;
		/* A name wins over an id: "7" is the stream named 7 if there is one. */
		res[i] = hit ? (long)hit->idx : find_id(cfg, ids, cfg->frer[i].stream);
	}
out:
	free(names);
	free(ids);
	return res;
}

bool *tsn_config_frer_marks(const struct tsn_config *cfg)
{
	long *res;
	bool *marks;

	if (!cfg->n_frer || !cfg->n_streams)
		return NULL;
	res = tsn_config_frer_resolve(cfg);
	marks = calloc(cfg->n_streams, sizeof(*marks));
	for (size_t i = 0; res && marks && i < cfg->n_frer; i++)
		if (res[i] >= 0)
			marks[res[i]] = true;
	free(res);
	return marks;
}

void cfg_check_frer_config(struct cfg_checker *chk, struct tsn_config *cfg)
{
	struct by_name *ports = NULL;
	long *owner = NULL, *res = NULL;
	bool xdp = false;

	if (!cfg->n_frer)
		return;
	for (size_t i = 0; i < cfg->n_ports; i++)
		xdp |= cfg->ports[i].xdp != TSN_XDP_OFF;
	if (!xdp)
		cfg_error(chk, &cfg->n_frer, "FRER runs in the data plane: give the ports the streams arrive on "
			  "'xdp: auto' (no port has XDP)");
	res = tsn_config_frer_resolve(cfg);
	ports = calloc(cfg->n_ports + 1, sizeof(*ports));
	owner = malloc((cfg->n_streams + 1) * sizeof(*owner));
	if (!res || !ports || !owner) {
		cfg_error(chk, &cfg->n_frer, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cfg->n_streams; i++)
		owner[i] = -1;
	for (size_t i = 0; i < cfg->n_ports; i++)
		ports[i] = (struct by_name){ cfg->ports[i].name, i };
	qsort(ports, cfg->n_ports, sizeof(*ports), cmp_by_name);

	for (size_t i = 0; i < cfg->n_frer; i++) {
		struct tsn_cfg_frer *f = &cfg->frer[i];
		long s = res[i];

		if (s < 0)
			cfg_error(chk, f->stream, "no stream named or numbered '%s' (see streams)", f->stream);
		else if (owner[s] >= 0)
			cfg_error(chk, f->stream, "stream '%s' has an entry already (frer[%ld]); one entry per stream",
				  f->stream, owner[s]);
		else
			owner[s] = (long)i;
		for (size_t j = 0; j < f->n_paths; j++) {
			struct by_name kp = { .name = f->paths[j].port };
			if (!cfg->n_ports || !bsearch(&kp, ports, cfg->n_ports, sizeof(*ports), cmp_by_name))
				cfg_error(chk, f->paths[j].port, "'%s' is not a configured port (see ports)",
					  f->paths[j].port);
		}
	}
out:
	free(res);
	free(ports);
	free(owner);
}
