/* SPDX-License-Identifier: GPL-2.0-only */
/* cfg_print.c — walks the schema to free, compare and print a config: normalized
 * JSON (every field, canonical units), YAML made from that JSON, and the Markdown
 * schema reference of docs/config.md. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cfg_schema.h"
#include "tsn/units.h"

static bool field_present(const struct cfg_field *f, const void *base)
{
	return !(f->flags & CFG_F_OPTIONAL) || *(const bool *)((const char *)base + f->present);
}

/* ---- free ---- */
static void free_object(const struct cfg_table *t, void *obj);

static void free_field(const struct cfg_field *f, void *base)
{
	void *dst = (char *)base + f->offset;
	if (f->type == CFG_OBJECT) {
		free_object(f->sub, dst);
	} else if (f->type == CFG_LIST) {
		size_t n = *(size_t *)((char *)base + f->count);
		char *elems = (f->flags & CFG_F_INLINE) ? dst : *(char **)dst;
		if (f->elem->type == CFG_OBJECT && elems)
			for (size_t i = 0; i < n; i++)
				free_object(f->elem->sub, elems + i * f->size);
		if (!(f->flags & CFG_F_INLINE))
			free(*(void **)dst);
	} else if (f->type == CFG_KV_MAP) {
		free(*(void **)dst);
	}
}

static void free_object(const struct cfg_table *t, void *obj)
{
	for (size_t i = 0; i < t->n_fields; i++)
		free_field(&t->fields[i], obj);
}

void tsn_config_free(struct tsn_config *cfg)
{
	if (!cfg)
		return;
	free_object(&tsn_cfg_root, cfg);
	cfg_index_free(cfg->where);
	free(cfg);
}

/* ---- compare ---- */
static bool object_equal(const struct cfg_table *t, const void *a, const void *b);

static size_t scalar_size(const struct cfg_field *f)
{
	switch (f->type) {
	case CFG_BOOL: return sizeof(bool);
	case CFG_UINT: case CFG_GATES: case CFG_FILE_MODE: case CFG_LINK_SPEED: return sizeof(uint32_t);
	case CFG_DURATION: case CFG_RATE: case CFG_SIZE: return sizeof(uint64_t);
	case CFG_ENUM: return sizeof(int);
	case CFG_MAC: return sizeof(struct tsn_cfg_mac);
	case CFG_IPV6: return sizeof(struct in6_addr);
	case CFG_QUEUES: return sizeof(struct tsn_cfg_queue_range);
	case CFG_BASE_TIME: return sizeof(int64_t);
	default: return 0;
	}
}

static bool value_equal(const struct cfg_field *f, const void *x, const void *y)
{
	switch (f->type) {
	case CFG_STRING:
		return strcmp(x, y) == 0;
	case CFG_PREFIX: {
		const struct tsn_cfg_prefix *p = x, *q = y;
		return p->len == q->len && memcmp(&p->addr, &q->addr, sizeof(p->addr)) == 0;
	}
	case CFG_OBJECT:
		return object_equal(f->sub, x, y);
	default:
		return memcmp(x, y, scalar_size(f)) == 0;
	}
}

static bool field_equal(const struct cfg_field *f, const void *a, const void *b)
{
	const char *x = (const char *)a + f->offset, *y = (const char *)b + f->offset;
	if (field_present(f, a) != field_present(f, b))
		return false;
	if (!field_present(f, a))
		return true;
	if (f->type == CFG_BASE_TIME) {
		bool auto_a = *(const bool *)((const char *)a + f->present);
		bool auto_b = *(const bool *)((const char *)b + f->present);
		return auto_a == auto_b && (auto_a || memcmp(x, y, sizeof(int64_t)) == 0);
	}
	if (f->type == CFG_LIST || f->type == CFG_KV_MAP) {
		size_t n = *(const size_t *)((const char *)a + f->count);
		if (n != *(const size_t *)((const char *)b + f->count))
			return false;
		if (f->type == CFG_KV_MAP)
			return n == 0 || memcmp(*(void *const *)x, *(void *const *)y, n * sizeof(struct tsn_cfg_kv)) == 0;
		const char *ex = (f->flags & CFG_F_INLINE) ? x : *(const char *const *)x;
		const char *ey = (f->flags & CFG_F_INLINE) ? y : *(const char *const *)y;
		for (size_t i = 0; i < n; i++)
			if (!value_equal(f->elem, ex + i * f->size, ey + i * f->size))
				return false;
		return true;
	}
	return value_equal(f, x, y);
}

static bool object_equal(const struct cfg_table *t, const void *a, const void *b)
{
	for (size_t i = 0; i < t->n_fields; i++)
		if (!field_equal(&t->fields[i], a, b))
			return false;
	return true;
}

bool tsn_config_equal(const struct tsn_config *a, const struct tsn_config *b)
{
	return object_equal(&tsn_cfg_root, a, b);
}

bool tsn_config_section_equal(const struct tsn_config *a, const struct tsn_config *b, const char *section)
{
	for (size_t i = 0; i < tsn_cfg_root.n_fields; i++)
		if (strcmp(tsn_cfg_root.fields[i].key, section) == 0)
			return field_equal(&tsn_cfg_root.fields[i], a, b);
	return false;
}

bool tsn_config_port_member_equal(const struct tsn_cfg_port *a, const struct tsn_cfg_port *b,
				  const char *key)
{
	for (size_t i = 0; i < tsn_cfg_root.n_fields; i++) {
		const struct cfg_field *f = &tsn_cfg_root.fields[i];
		if (strcmp(f->key, "ports") != 0)
			continue;
		const struct cfg_table *t = f->elem->sub;
		for (size_t k = 0; k < t->n_fields; k++)
			if (strcmp(t->fields[k].key, key) == 0)
				return field_equal(&t->fields[k], a, b);
	}
	return false;
}

/* ---- JSON ---- */
static json_object *object_json(const struct cfg_table *t, const void *obj);

static json_object *value_json(const struct cfg_field *f, const void *v)
{
	char buf[64];
	switch (f->type) {
	case CFG_BOOL:
		return json_object_new_boolean(*(const bool *)v);
	case CFG_UINT:
		if (f->flags & CFG_F_HEX) {
			snprintf(buf, sizeof(buf), "0x%04x", *(const uint32_t *)v);
			return json_object_new_string(buf);
		}
		return json_object_new_int64(*(const uint32_t *)v);
	case CFG_LINK_SPEED:
		if (*(const uint32_t *)v == 0)
			return json_object_new_string("auto");
		return json_object_new_int64(*(const uint32_t *)v);
	case CFG_DURATION:
		return json_object_new_string(tsn_format_duration(*(const uint64_t *)v, buf, sizeof(buf)));
	case CFG_RATE:
		return json_object_new_string(tsn_format_rate(*(const uint64_t *)v, buf, sizeof(buf)));
	case CFG_SIZE:
		return json_object_new_string(tsn_format_size(*(const uint64_t *)v, buf, sizeof(buf)));
	case CFG_STRING:
		return json_object_new_string(v);
	case CFG_ENUM:
		return json_object_new_string(f->names[*(const int *)v]);
	case CFG_MAC: {
		const uint8_t *m = ((const struct tsn_cfg_mac *)v)->addr;
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
		return json_object_new_string(buf);
	}
	case CFG_IPV6:
		inet_ntop(AF_INET6, v, buf, sizeof(buf));
		return json_object_new_string(buf);
	case CFG_PREFIX: {
		const struct tsn_cfg_prefix *p = v;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &p->addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%s/%u", a, p->len);
		return json_object_new_string(buf);
	}
	case CFG_GATES: {
		json_object *arr = json_object_new_array();
		for (int b = 0; b < 32; b++)
			if (*(const uint32_t *)v & (1u << b))
				json_object_array_add(arr, json_object_new_int(b));
		return arr;
	}
	case CFG_QUEUES: {
		const struct tsn_cfg_queue_range *q = v;
		snprintf(buf, sizeof(buf), "%u@%u", q->count, q->offset);
		return json_object_new_string(buf);
	}
	case CFG_FILE_MODE:
		snprintf(buf, sizeof(buf), "%04o", *(const uint32_t *)v);
		return json_object_new_string(buf);
	case CFG_OBJECT:
		return object_json(f->sub, v);
	case CFG_BASE_TIME:
	case CFG_LIST:
	case CFG_KV_MAP:
		break;	/* handled in field_json: they need the enclosing object */
	}
	return NULL;
}

static json_object *field_json(const struct cfg_field *f, const void *base)
{
	const char *v = (const char *)base + f->offset;
	if (f->type == CFG_BASE_TIME) {
		if (*(const bool *)((const char *)base + f->present))
			return json_object_new_string("auto");
		return json_object_new_int64(*(const int64_t *)v);
	}
	if (f->type == CFG_KV_MAP) {
		json_object *o = json_object_new_object();
		const struct tsn_cfg_kv *kv = *(const struct tsn_cfg_kv *const *)v;
		size_t n = *(const size_t *)((const char *)base + f->count);
		for (size_t i = 0; i < n; i++)
			json_object_object_add(o, kv[i].key, json_object_new_string(kv[i].value));
		return o;
	}
	if (f->type == CFG_LIST) {
		json_object *arr = json_object_new_array();
		const char *elems = (f->flags & CFG_F_INLINE) ? v : *(const char *const *)v;
		size_t n = *(const size_t *)((const char *)base + f->count);
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, value_json(f->elem, elems + i * f->size));
		return arr;
	}
	return value_json(f, v);
}

static json_object *object_json(const struct cfg_table *t, const void *obj)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cfg_field *f = &t->fields[i];
		if (field_present(f, obj))
			json_object_object_add(o, f->key, field_json(f, obj));
	}
	return o;
}

json_object *tsn_config_to_json(const struct tsn_config *cfg)
{
	return object_json(&tsn_cfg_root, cfg);
}

/* ---- YAML, from the JSON tree: mappings in block style, lists of scalars in flow
 * style (map: [0, 1, ...]), lists of mappings in block style. ---- */
static int emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	return yaml_emitter_emit(e, ev) ? 0 : -1;
}

static bool all_scalars(json_object *arr)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_type t = json_object_get_type(json_object_array_get_idx(arr, i));
		if (t == json_type_object || t == json_type_array)
			return false;
	}
	return true;
}

static int emit_json(yaml_emitter_t *e, json_object *v)
{
	yaml_event_t ev;
	switch (json_object_get_type(v)) {
	case json_type_object:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (emit(e, &ev))
			return -1;
		json_object_object_foreach(v, key, val) {
			yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)key, (int)strlen(key), 1, 1,
						     YAML_PLAIN_SCALAR_STYLE);
			if (emit(e, &ev) || emit_json(e, val))
				return -1;
		}
		yaml_mapping_end_event_initialize(&ev);
		return emit(e, &ev);
	case json_type_array:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     all_scalars(v) ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
		if (emit(e, &ev))
			return -1;
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (emit_json(e, json_object_array_get_idx(v, i)))
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return emit(e, &ev);
	case json_type_string: {
		const char *s = json_object_get_string(v);
		yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, json_object_get_string_len(v), 1, 1,
					     *s ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
		return emit(e, &ev);
	}
	default: {
		const char *s = json_object_to_json_string(v);
		yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
					     YAML_PLAIN_SCALAR_STYLE);
		return emit(e, &ev);
	}
	}
}

struct strbuf {
	char *data;
	size_t len, cap;
	bool failed;
};

static int strbuf_write(void *data, unsigned char *buf, size_t size)
{
	struct strbuf *sb = data;
	if (sb->len + size + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 4096;
		while (cap < sb->len + size + 1)
			cap *= 2;
		char *p = realloc(sb->data, cap);
		if (!p) {
			sb->failed = true;
			return 0;
		}
		sb->data = p;
		sb->cap = cap;
	}
	memcpy(sb->data + sb->len, buf, size);
	sb->len += size;
	sb->data[sb->len] = '\0';
	return 1;
}

char *tsn_config_to_yaml(const struct tsn_config *cfg)
{
	json_object *root = tsn_config_to_json(cfg);
	struct strbuf sb = { 0 };
	yaml_emitter_t e;
	yaml_event_t ev;
	int rc = -1;

	if (!root || !yaml_emitter_initialize(&e)) {
		json_object_put(root);
		return NULL;
	}
	yaml_emitter_set_output(&e, strbuf_write, &sb);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, 100);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit(&e, &ev) == 0) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
		if (emit(&e, &ev) == 0 && emit_json(&e, root) == 0) {
			yaml_document_end_event_initialize(&ev, 1);
			if (emit(&e, &ev) == 0) {
				yaml_stream_end_event_initialize(&ev);
				rc = emit(&e, &ev);
			}
		}
	}
	yaml_emitter_delete(&e);
	json_object_put(root);
	if (rc || sb.failed) {
		free(sb.data);
		return NULL;
	}
	return sb.data;
}

/* ---- Markdown reference ---- */
static void type_text(const struct cfg_field *f, char *buf, size_t len)
{
	static const char *const names[] = {
		[CFG_BOOL] = "bool", [CFG_UINT] = "integer", [CFG_DURATION] = "duration", [CFG_RATE] = "rate",
		[CFG_SIZE] = "size", [CFG_STRING] = "string", [CFG_ENUM] = "enum", [CFG_MAC] = "MAC",
		[CFG_IPV6] = "IPv6 address", [CFG_PREFIX] = "IPv6 prefix", [CFG_GATES] = "class set",
		[CFG_QUEUES] = "count@offset", [CFG_BASE_TIME] = "auto or ns", [CFG_FILE_MODE] = "octal mode",
		[CFG_LINK_SPEED] = "auto or Mbit/s", [CFG_OBJECT] = "mapping", [CFG_LIST] = "list",
		[CFG_KV_MAP] = "mapping",
	};
	if (f->type == CFG_ENUM) {
		size_t off = 0;
		for (const char *const *n = f->names; *n; n++)
			if (**n)
				off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " \\| " : "", *n);
	} else if (f->type == CFG_LIST) {
		char inner[128];
		type_text(f->elem, inner, sizeof(inner));
		snprintf(buf, len, "list of %s (at most %llu)", f->elem->type == CFG_OBJECT ? f->elem->sub->name : inner,
			 (unsigned long long)f->max);
	} else {
		snprintf(buf, len, "%s", names[f->type]);
	}
}

static void range_text(const struct cfg_field *f, char *buf, size_t len)
{
	char lo[32], hi[32];
	buf[0] = '\0';
	switch (f->type) {
	case CFG_UINT:
		if (f->flags & CFG_F_HEX)
			snprintf(buf, len, "0x%04llx..0x%04llx", (unsigned long long)f->min, (unsigned long long)f->max);
		else
			snprintf(buf, len, "%llu..%llu", (unsigned long long)f->min,
				 (unsigned long long)(f->max ? f->max : UINT32_MAX));
		break;
	case CFG_DURATION:
		snprintf(buf, len, "%s..%s", tsn_format_duration(f->min, lo, sizeof(lo)),
			 f->max ? tsn_format_duration(f->max, hi, sizeof(hi)) : "");
		break;
	case CFG_SIZE:
		snprintf(buf, len, "%s..%s", tsn_format_size(f->min, lo, sizeof(lo)),
			 f->max ? tsn_format_size(f->max, hi, sizeof(hi)) : "");
		break;
	case CFG_GATES:
		snprintf(buf, len, "classes 0..%llu", (unsigned long long)f->max);
		break;
	case CFG_STRING:
		snprintf(buf, len, "at most %zu chars", f->size - 1);
		break;
	default:
		break;
	}
}

static void markdown_table(FILE *out, const struct cfg_table *t, const char *path)
{
	fprintf(out, "### `%s`\n\n| key | type | default | range | description |\n|---|---|---|---|---|\n",
		path[0] ? path : "(top level)");
	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cfg_field *f = &t->fields[i];
		char type[256], range[64];
		type_text(f, type, sizeof(type));
		range_text(f, range, sizeof(range));
		const char *def = (f->flags & CFG_F_REQUIRED) ? "*required*"
				  : (f->flags & CFG_F_OPTIONAL) ? "*optional*"
				  : f->def			 ? f->def
				  : f->type == CFG_LIST		 ? "[]"
								 : "";
		fprintf(out, "| `%s` | %s | %s%s%s | %s | %s |\n", f->key, type,
			f->def && !(f->flags & (CFG_F_REQUIRED | CFG_F_OPTIONAL)) ? "`" : "",
			(f->def && !*f->def) ? "\"\"" : def,
			f->def && !(f->flags & (CFG_F_REQUIRED | CFG_F_OPTIONAL)) ? "`" : "", range,
			f->doc ? f->doc : "");
	}
	fputc('\n', out);
	for (size_t i = 0; i < t->n_fields; i++) {
		const struct cfg_field *f = &t->fields[i];
		const struct cfg_table *sub = f->type == CFG_OBJECT ? f->sub
					      : (f->type == CFG_LIST && f->elem->type == CFG_OBJECT) ? f->elem->sub
												     : NULL;
		if (!sub)
			continue;
		char sub_path[128];
		snprintf(sub_path, sizeof(sub_path), "%s%s%s%s", path, path[0] ? "." : "", f->key,
			 f->type == CFG_LIST ? "[]" : "");
		markdown_table(out, sub, sub_path);
	}
}

void tsn_config_schema_markdown(FILE *out)
{
	markdown_table(out, &tsn_cfg_root, "");
}
