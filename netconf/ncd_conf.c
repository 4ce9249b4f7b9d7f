/* SPDX-License-Identifier: GPL-2.0-only */
/* ncd_conf.c — tsn-netconfd's own configuration file (YAML, docs/netconf.md):
 * where to listen, the host key, the users with their public keys and roles,
 * where tsnd's control socket is.  Every error names file:line:col and the field. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ncd_conf.h"
#include "tsn/units.h"

struct ctx {
	const char *file;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	int failed;
};

static int bad(struct ctx *c, const yaml_node_t *n, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(struct ctx *c, const yaml_node_t *n, const char *field, const char *fmt, ...)
{
	va_list ap;
	if (c->failed++)
		return -1;	/* the first error is the one reported */
	int o = snprintf(c->err, c->errlen, "%s:%zu:%zu: %s: ", c->file, n ? n->start_mark.line + 1 : 0,
			 n ? n->start_mark.column + 1 : 0, field);
	if (o < 0 || (size_t)o >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + o, c->errlen - (size_t)o, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *scalar(struct ctx *c, yaml_node_t *n, const char *field)
{
	if (n->type != YAML_SCALAR_NODE) {
		bad(c, n, field, "a single value is expected");
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static int copy_str(struct ctx *c, yaml_node_t *n, const char *field, char *dst, size_t size)
{
	const char *s = scalar(c, n, field);
	if (!s)
		return -1;
	if (strlen(s) >= size)
		return bad(c, n, field, "longer than %zu characters", size - 1);
	strcpy(dst, s);
	return 0;
}

static int get_uint(struct ctx *c, yaml_node_t *n, const char *field, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *s = scalar(c, n, field);
	if (!s)
		return -1;
	if (!tsn_parse_u64(s, out) || *out < min || *out > max)
		return bad(c, n, field, "'%s' is not a number in %llu..%llu", s, (unsigned long long)min,
			   (unsigned long long)max);
	return 0;
}

static int get_duration_ms(struct ctx *c, yaml_node_t *n, const char *field, unsigned min, unsigned max, unsigned *out)
{
	const char *s = scalar(c, n, field);
	uint64_t ns;
	if (!s)
		return -1;
	if (!tsn_parse_duration(s, &ns) || ns / 1000000 < min || ns / 1000000 > max)
		return bad(c, n, field, "'%s' is not a duration between %u ms and %u s", s, min, max / 1000);
	*out = (unsigned)(ns / 1000000);
	return 0;
}

static int parse_user(struct ctx *c, yaml_node_t *m, struct ncd_user *u, size_t idx)
{
	char field[64];
	bool have_role = false;
	if (m->type != YAML_MAPPING_NODE)
		return bad(c, m, "users[]", "a mapping with name, role and keys is expected");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *v = yaml_document_get_node(c->doc, p->value);
		const char *key = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "?";
		snprintf(field, sizeof(field), "users[%zu].%s", idx, key);
		if (strcmp(key, "name") == 0) {
			if (copy_str(c, v, field, u->name, sizeof(u->name)))
				return -1;
			if (!u->name[0])
				return bad(c, v, field, "must not be empty");
		} else if (strcmp(key, "role") == 0) {
			const char *s = scalar(c, v, field);
			if (!s)
				return -1;
			if (strcmp(s, "read") == 0)
				u->role = NCD_ROLE_READ;
			else if (strcmp(s, "admin") == 0)
				u->role = NCD_ROLE_ADMIN;
			else
				return bad(c, v, field, "unknown role '%s'; allowed: read, admin", s);
			have_role = true;
		} else if (strcmp(key, "keys") == 0) {
			if (v->type != YAML_SEQUENCE_NODE)
				return bad(c, v, field, "a list of public key files is expected");
			for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				if (u->n_keys == NCD_MAX_KEYS)
					return bad(c, v, field, "at most %d keys per user", NCD_MAX_KEYS);
				yaml_node_t *kn = yaml_document_get_node(c->doc, *it);
				if (copy_str(c, kn, field, u->keys[u->n_keys], sizeof(u->keys[0])))
					return -1;
				if (u->keys[u->n_keys][0] != '/')
					return bad(c, kn, field, "'%s' is not an absolute path", u->keys[u->n_keys]);
				u->n_keys++;
			}
		} else {
			return bad(c, k, field, "unknown field; allowed: name, role, keys");
		}
	}
	snprintf(field, sizeof(field), "users[%zu]", idx);
	if (!u->name[0])
		return bad(c, m, field, "name is required");
	if (!have_role)
		return bad(c, m, field, "role is required (read or admin)");
	if (!u->n_keys)
		return bad(c, m, field, "keys: at least one public key file is required");
	return 0;
}

void ncd_conf_defaults(struct ncd_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	snprintf(conf->address, sizeof(conf->address), "::");
	conf->port = 830;
	snprintf(conf->host_key, sizeof(conf->host_key), "/etc/tsnd/netconf/ssh_host_ed25519_key");
	snprintf(conf->tsnd_socket, sizeof(conf->tsnd_socket), "/run/tsnd/tsnd.sock");
	conf->tsnd_timeout_ms = 30000;
	snprintf(conf->yang_dir, sizeof(conf->yang_dir), "%s", NCD_DEFAULT_YANG_DIR);
	snprintf(conf->ietf_yang_dirs[0], sizeof(conf->ietf_yang_dirs[0]), "/usr/share/yuma/modules/ietf");
	snprintf(conf->ietf_yang_dirs[1], sizeof(conf->ietf_yang_dirs[1]), "/usr/share/yuma/modules/ietf-derived");
	snprintf(conf->ietf_yang_dirs[2], sizeof(conf->ietf_yang_dirs[2]), "/usr/share/yuma/modules/netconfcentral");
	conf->n_ietf_yang_dirs = 3;
	conf->idle_timeout_s = 3600;
	conf->hello_timeout_s = 30;
	conf->auth_timeout_s = 10;
	conf->max_sessions = 128;
}

int ncd_conf_load(const char *path, struct ncd_conf *conf, char *err, size_t errlen)
{
	struct ctx c = { .file = path, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f = fopen(path, "rb");

	ncd_conf_defaults(conf);
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		return -1;
	}
	c.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		bad(&c, root, "(top)", "a mapping is expected");
		goto out;
	}
	bool have_users = false;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top && !c.failed; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key), *v = yaml_document_get_node(&doc, p->value);
		const char *key = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "?";
		uint64_t u;
		if (strcmp(key, "listen") == 0) {
			copy_str(&c, v, key, conf->address, sizeof(conf->address));
		} else if (strcmp(key, "port") == 0) {
			if (get_uint(&c, v, key, 1, 65535, &u) == 0)
				conf->port = (uint16_t)u;
		} else if (strcmp(key, "host-key") == 0) {
			copy_str(&c, v, key, conf->host_key, sizeof(conf->host_key));
		} else if (strcmp(key, "tsnd-socket") == 0) {
			copy_str(&c, v, key, conf->tsnd_socket, sizeof(conf->tsnd_socket));
		} else if (strcmp(key, "tsnd-timeout") == 0) {
			get_duration_ms(&c, v, key, 100, 600000, &conf->tsnd_timeout_ms);
		} else if (strcmp(key, "yang-dir") == 0) {
			copy_str(&c, v, key, conf->yang_dir, sizeof(conf->yang_dir));
		} else if (strcmp(key, "ietf-yang-dirs") == 0) {
			if (v->type != YAML_SEQUENCE_NODE) {
				bad(&c, v, key, "a list of directories is expected");
				break;
			}
			conf->n_ietf_yang_dirs = 0;
			for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				if (conf->n_ietf_yang_dirs == NCD_MAX_DIRS) {
					bad(&c, v, key, "at most %d directories", NCD_MAX_DIRS);
					break;
				}
				copy_str(&c, yaml_document_get_node(&doc, *it), key, conf->ietf_yang_dirs[conf->n_ietf_yang_dirs],
					 sizeof(conf->ietf_yang_dirs[0]));
				conf->n_ietf_yang_dirs++;
			}
		} else if (strcmp(key, "idle-timeout") == 0) {
			unsigned ms;
			if (get_duration_ms(&c, v, key, 0, 86400000, &ms) == 0)
				conf->idle_timeout_s = ms / 1000;
		} else if (strcmp(key, "hello-timeout") == 0) {
			unsigned ms;
			if (get_duration_ms(&c, v, key, 1000, 600000, &ms) == 0)
				conf->hello_timeout_s = ms / 1000;
		} else if (strcmp(key, "auth-timeout") == 0) {
			unsigned ms;
			if (get_duration_ms(&c, v, key, 1000, 600000, &ms) == 0)
				conf->auth_timeout_s = ms / 1000;
		} else if (strcmp(key, "max-sessions") == 0) {
			if (get_uint(&c, v, key, 1, 1024, &u) == 0)
				conf->max_sessions = (unsigned)u;
		} else if (strcmp(key, "users") == 0) {
			have_users = true;
			if (v->type != YAML_SEQUENCE_NODE) {
				bad(&c, v, key, "a list of users is expected");
				break;
			}
			for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				if (conf->n_users == NCD_MAX_USERS) {
					bad(&c, v, key, "at most %d users", NCD_MAX_USERS);
					break;
				}
				struct ncd_user *nu = &conf->users[conf->n_users];
				if (parse_user(&c, yaml_document_get_node(&doc, *it), nu, conf->n_users))
					break;
				for (size_t i = 0; i < conf->n_users; i++)
					if (strcmp(conf->users[i].name, nu->name) == 0)
						bad(&c, yaml_document_get_node(&doc, *it), "users[].name", "user '%s' is listed twice",
						    nu->name);
				conf->n_users++;
			}
		} else {
			bad(&c, k, key, "unknown field; allowed: listen, port, host-key, tsnd-socket, tsnd-timeout, "
				       "yang-dir, ietf-yang-dirs, idle-timeout, hello-timeout, auth-timeout, max-sessions, users");
		}
	}
	if (!c.failed && (!have_users || !conf->n_users))
		bad(&c, root, "users", "at least one user is required");
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return c.failed ? -1 : 0;
}

const struct ncd_user *ncd_conf_user(const struct ncd_conf *conf, const char *name)
{
	for (size_t i = 0; name && i < conf->n_users; i++)
		if (strcmp(conf->users[i].name, name) == 0)
			return &conf->users[i];
	return NULL;
}
