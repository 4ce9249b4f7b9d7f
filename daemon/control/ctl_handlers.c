/* SPDX-License-Identifier: GPL-2.0-only */
/* ctl_handlers.c — the control commands: permissions, audit, and one handler each.
 * Data shapes are documented in docs/control-protocol.md; keep them in step. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"
#include "bridge_fast.h"
#include "audit.h"
#include "cfg_digest.h"
#include "ctl_handlers.h"
#include "dataplane.h"
#include "frer.h"
#include "policing.h"
#include "routes.h"
#include "evloop.h"
#include "nlio.h"
#include "ports.h"
#include "ptp.h"
#include "schedule.h"
#include "telemetry.h"
#include "tsn/log.h"
#include "tsn/timefmt.h"
#include "tsn/prom.h"
#include "reload.h"
#include "tsnd.h"

/* One request being answered. */
struct ctl_call {
	struct tsnd *d;
	const struct ctl_peer *peer;
	const char *who;		/* "uid 0 pid 123", for the audit log */
	json_object *args;		/* always an object */
	struct tsn_ctl_response *resp;
};

typedef enum tsn_ctl_code (*ctl_handler_fn)(struct ctl_call *call);


static enum tsn_ctl_code reply(struct ctl_call *call, enum tsn_ctl_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum tsn_ctl_code reply(struct ctl_call *call, enum tsn_ctl_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(call->resp->message, sizeof(call->resp->message), fmt, ap);
	va_end(ap);
	return code;
}

/* ---- hello ---- */

static enum tsn_ctl_code cmd_hello(struct ctl_call *call)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "protocol", json_object_new_int(TSN_CTL_PROTOCOL_VERSION));
	json_object_object_add(o, "version", json_object_new_string(TSN_VERSION));
	call->resp->data = o;
	return TSN_CTL_OK;
}

/* ---- status ---- */

static json_object *status_daemon(const struct tsnd *d)
{
	char started[32];
	json_object *o = json_object_new_object();

	tsn_format_rfc3339(d->started, started, sizeof(started));
	json_object_object_add(o, "version", json_object_new_string(TSN_VERSION));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(o, "uptime_s",
			       json_object_new_uint64((evloop_now_ns() - d->started_mono_ns) / 1000000000ull));
	json_object_object_add(o, "started", json_object_new_string(started));
	return o;
}

static json_object *status_config(const struct tsnd *d)
{
	char when[32];
	json_object *o = json_object_new_object();

	tsn_format_rfc3339(d->loaded, when, sizeof(when));
	json_object_object_add(o, "file", json_object_new_string(d->config_path));
	json_object_object_add(o, "generation", json_object_new_uint64(d->generation));
	json_object_object_add(o, "loaded", json_object_new_string(when));
	json_object_object_add(o, "warnings", json_object_new_uint64(d->warnings));
	if (d->last_reload.valid) {
		json_object *lr = json_object_new_object();
		tsn_format_rfc3339(d->last_reload.time, when, sizeof(when));
		json_object_object_add(lr, "time", json_object_new_string(when));
		json_object_object_add(lr, "result",
				       json_object_new_string(tsn_ctl_code_name(d->last_reload.result)));
		json_object_object_add(lr, "message", json_object_new_string(d->last_reload.message));
		json_object_object_add(o, "last_reload", lr);
	} else {
		json_object_object_add(o, "last_reload", NULL);
	}
	json_object_object_add(o, "confirm", tsnd_confirm_json(d));
	return o;
}

static json_object *status_ports(const struct tsnd *d)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < d->cfg->n_ports; i++) {
		const struct tsn_cfg_port *cp = &d->cfg->ports[i];
		struct port_info info;
		json_object *o = json_object_new_object();

		memset(&info, 0, sizeof(info));
		int rc = d->ports ? ports_query(d->ports, cp->name, &info) : -1;
		if (rc < 0) {
			log_warn("status: cannot query port %s: %s", cp->name, strerror(-rc));
			info.present = false;
			snprintf(info.oper_state, sizeof(info.oper_state), "unknown");
		} else if (!info.present) {
			snprintf(info.oper_state, sizeof(info.oper_state), "absent");
		}
		json_object_object_add(o, "name", json_object_new_string(cp->name));
		json_object_object_add(o, "present", json_object_new_boolean(info.present));
		json_object_object_add(o, "oper_state", json_object_new_string(info.oper_state));
		/* The configured link speed is what schedules are computed with. */
		json_object_object_add(o, "speed_mbps",
				       json_object_new_uint64(cp->link_speed_mbps ? cp->link_speed_mbps
										   : info.speed_mbps));
		json_object_object_add(o, "schedule",
				       json_object_new_string(cp->has_schedule ? "configured" : "none"));
		json_object_object_add(o, "schedule_state",
				       json_object_new_string(schedules_port_state(d->sched, cp->name)));
		json_object_object_add(o, "xdp", json_object_new_string(tsn_xdp_mode_names[cp->xdp]));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *status_subsystems(const struct tsnd *d)
{
	json_object *o = json_object_new_object();
	json_object *dp = d->dp ? dataplane_status_json(d->dp) : NULL;

	if (!dp) {
		dp = json_object_new_object();
		json_object_object_add(dp, "state", json_object_new_string(d->dp ? "error" : "unavailable"));
		json_object_object_add(dp, "ports_attached", json_object_new_int(0));
		json_object_object_add(dp, "message", json_object_new_string(
			d->dp ? "the data plane did not report its state" : d->dp_message));
	}
	json_object_object_add(o, "dataplane", dp);
	json_object_object_add(o, "ptp", ptp_summary_json(d->ptp));
	if (d->sched)
		json_object_object_add(o, "schedules", schedules_status_json(d->sched));
	if (d->tele)
		json_object_object_add(o, "telemetry", telemetry_status_json(d->tele, d->cfg));
	return o;
}

static enum tsn_ctl_code cmd_status(struct ctl_call *call)
{
	const struct tsnd *d = call->d;
	json_object *o = json_object_new_object();

	/* Read-only (the metrics listener runs it too): schedule states are those the
	 * drift watch keeps current from the kernel's notifications; nothing here
	 * writes a map or asks the kernel to change. */
	json_object_object_add(o, "daemon", status_daemon(d));
	json_object_object_add(o, "config", status_config(d));
	json_object_object_add(o, "ports", status_ports(d));
	json_object_object_add(o, "subsystems", status_subsystems(d));
	call->resp->data = o;
	return TSN_CTL_OK;
}

/* ---- config.* ---- */

static enum tsn_ctl_code cmd_config_show(struct ctl_call *call)
{
	const struct tsnd *d = call->d;
	bool with_yaml = !json_object_object_get_ex(call->args, "no-yaml", NULL);
	char *yaml = with_yaml ? tsn_config_to_yaml(d->cfg) : NULL;
	json_object *cfg = tsn_config_to_json(d->cfg);

	if ((with_yaml && !yaml) || !cfg) {
		free(yaml);
		json_object_put(cfg);
		return reply(call, TSN_CTL_E_INTERNAL, "cannot print the running configuration (out of memory)");
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(d->config_path));
	json_object_object_add(o, "generation", json_object_new_uint64(d->generation));
	json_object_object_add(o, "config", cfg);
	if (yaml)
		json_object_object_add(o, "yaml", json_object_new_string(yaml));
	json_object_object_add(o, "confirm", tsnd_confirm_json(d));
	free(yaml);
	call->resp->data = o;
	return TSN_CTL_OK;
}

/* The "config" argument of config.check and config.apply (checked by the
 * dispatcher: a string without NUL, present where required): NULL if absent. */
static void config_arg(struct ctl_call *call, const char **text, size_t *len)
{
	json_object *v;

	*text = NULL;
	*len = 0;
	if (json_object_object_get_ex(call->args, "config", &v)) {
		*text = json_object_get_string(v);
		*len = (size_t)json_object_get_string_len(v);
	}
}

/* Parsed off the loop and answered later (reload.c), as config.reload. */
static enum tsn_ctl_code cmd_config_check(struct ctl_call *call)
{
	const char *text;
	size_t len;

	config_arg(call, &text, &len);
	return tsnd_config_check(call->d, call->who, text, len, &call->resp->data, call->resp->message,
				 sizeof(call->resp->message));
}

static enum tsn_ctl_code cmd_config_reload(struct ctl_call *call)
{
	return tsnd_reload(call->d, call->who, &call->resp->data, call->resp->message,
			   sizeof(call->resp->message));
}

static enum tsn_ctl_code cmd_config_apply(struct ctl_call *call)
{
	const char *text;
	size_t len;
	uint64_t confirm_ms = 0;
	json_object *v;

	config_arg(call, &text, &len);
	if (json_object_object_get_ex(call->args, "confirm-within-ms", &v))
		confirm_ms = (uint64_t)json_object_get_int64(v);
	enum tsn_ctl_code code = tsnd_config_apply(call->d, call->who, text, len, confirm_ms, &call->resp->data,
						   call->resp->message, sizeof(call->resp->message));
	/* The digest of what runs now (cfg_digest.h), when asked: a client that
	 * sent the configuration can tell whether tsnd runs exactly its normal form. */
	char hex[CFG_DIGEST_HEX];
	if (code == TSN_CTL_OK && json_object_object_get_ex(call->args, "digest", NULL) && call->resp->data &&
	    call->d->cfg && cfg_digest(call->d->cfg, hex) == 0)
		json_object_object_add(call->resp->data, "digest", json_object_new_string(hex));
	return code;
}

static enum tsn_ctl_code cmd_config_confirm(struct ctl_call *call)
{
	return tsnd_config_confirm(call->d, call->who, call->resp->message, sizeof(call->resp->message));
}

static enum tsn_ctl_code cmd_config_cancel(struct ctl_call *call)
{
	return tsnd_config_cancel(call->d, call->who, &call->resp->data, call->resp->message,
				  sizeof(call->resp->message));
}

/* ---- port.show ---- */

static json_object *port_json(const struct tsnd *d, const struct tsn_cfg_port *cp, int *err)
{
	struct port_info info;

	memset(&info, 0, sizeof(info));
	int rc = d->ports ? ports_query(d->ports, cp->name, &info) : -1;
	if (rc < 0) {
		*err = rc;
		return NULL;
	}
	json_object *o = port_info_to_json(&info);
	if (!o)
		return NULL;
	json_object_object_add(o, "configured", json_object_new_boolean(true));
	/* off by tsnd: a veth bridge port (docs/bridge.md, "The VLAN tag over veth") */
	json_object_object_add(o, "tx_vlan_offload_off_by_tsnd",
			       json_object_new_boolean(bridge_txvlan_off(d->bridge, cp->name)));
	json_object *xdp = d->dp ? dataplane_port_json(d->dp, cp->name) : NULL;
	if (!xdp) {
		xdp = json_object_new_object();
		json_object_object_add(xdp, "mode", json_object_new_string("off"));
		json_object_object_add(xdp, "attached", json_object_new_boolean(false));
	}
	json_object_object_add(o, "xdp", xdp);
	return o;
}

/* The optional "dev" argument: absent (*dev NULL), or a configured port's name. */
static enum tsn_ctl_code port_arg(struct ctl_call *call, const char **dev)
{
	json_object *v;

	*dev = NULL;
	if (!json_object_object_get_ex(call->args, "dev", &v))
		return TSN_CTL_OK;
	*dev = json_object_get_string(v);
	if (!tsn_config_port(call->d->cfg, *dev))
		return reply(call, TSN_CTL_E_NOT_FOUND,
			     "port \"%.*s\" is not configured (see `tsnctl port show` for the list)",
			     IFNAMSIZ, *dev);
	return TSN_CTL_OK;
}

static enum tsn_ctl_code cmd_port_show(struct ctl_call *call)
{
	const struct tsnd *d = call->d;
	const char *dev = NULL;

	enum tsn_ctl_code code = port_arg(call, &dev);
	if (code != TSN_CTL_OK)
		return code;
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < d->cfg->n_ports; i++) {
		const struct tsn_cfg_port *cp = &d->cfg->ports[i];
		if (dev && strcmp(cp->name, dev) != 0)
			continue;
		int err = -12;	/* -ENOMEM unless netlink says otherwise */
		json_object *o = port_json(d, cp, &err);
		if (!o) {
			json_object_put(arr);
			return reply(call, TSN_CTL_E_INTERNAL, "cannot query port %s from the kernel: %s",
				     cp->name, strerror(-err));
		}
		json_object_array_add(arr, o);
	}
	json_object *out = json_object_new_object();
	json_object_object_add(out, "ports", arr);
	call->resp->data = out;
	return TSN_CTL_OK;
}

/* ---- ptp.status ---- */

static enum tsn_ctl_code cmd_ptp_status(struct ctl_call *call)
{
	if (!call->d->ptp)
		return reply(call, TSN_CTL_E_INTERNAL, "time synchronization is not set up");
	call->resp->data = ptp_status_json(call->d->ptp);
	return TSN_CTL_OK;
}

/* ---- schedule.show ---- */

static enum tsn_ctl_code cmd_schedule_show(struct ctl_call *call)
{
	const struct tsnd *d = call->d;
	const char *dev = NULL;
	char err[512];

	enum tsn_ctl_code code = port_arg(call, &dev);
	if (code != TSN_CTL_OK)
		return code;
	if (!d->sched)
		return reply(call, TSN_CTL_E_INTERNAL, "gate schedules are not set up");
	call->resp->data = schedules_show_json(d->sched, d->cfg, dev, err, sizeof(err));
	if (!call->resp->data)
		return reply(call, TSN_CTL_E_INTERNAL, "%s", err);
	return TSN_CTL_OK;
}

/* ---- stream.show, class.stats, route.show (the data plane) ---- */

static enum tsn_ctl_code cmd_stream_show(struct ctl_call *call)
{
	const struct tsnd *d = call->d;
	bool has_id = false;
	uint32_t id = 0;
	json_object *v;

	if (json_object_object_get_ex(call->args, "id", &v)) {
		has_id = true;
		id = (uint32_t)json_object_get_int64(v);
		bool found = false;
		for (size_t i = 0; i < d->cfg->n_streams && !found; i++)
			found = d->cfg->streams[i].id == id;
		if (!found)
			return reply(call, TSN_CTL_E_NOT_FOUND,
				     "stream %u is not configured (see `tsnctl stream show` for the list)", id);
	}
	call->resp->data = dataplane_streams_json(d->dp, d->cfg, has_id, id);
	return TSN_CTL_OK;
}

static enum tsn_ctl_code cmd_class_stats(struct ctl_call *call)
{
	const struct tsnd *d = call->d;
	const char *dev = NULL;

	enum tsn_ctl_code code = port_arg(call, &dev);
	if (code != TSN_CTL_OK)
		return code;
	call->resp->data = dataplane_class_stats_json(d->dp, d->cfg, dev);
	return TSN_CTL_OK;
}

static enum tsn_ctl_code cmd_route_show(struct ctl_call *call)
{
	call->resp->data = routes_json(call->d->routes, call->d->cfg);
	return TSN_CTL_OK;
}

/* ---- bridge.show, fdb.show (802.1Q bridging) ---- */

static enum tsn_ctl_code cmd_bridge_show(struct ctl_call *call)
{
	if (!call->d->bridge)
		return reply(call, TSN_CTL_E_INTERNAL, "bridging is not set up");
	call->resp->data = bridge_show_json(call->d->bridge);
	return TSN_CTL_OK;
}

static enum tsn_ctl_code cmd_fdb_show(struct ctl_call *call)
{
	if (!call->d->bridge)
		return reply(call, TSN_CTL_E_INTERNAL, "bridging is not set up");
	struct bridge_fast *fast = call->d->dp ? dataplane_bridge(call->d->dp) : NULL;

	call->resp->data = bridge_fdb_json(call->d->bridge, fast);
	/* The per-verdict counters tell which path (XDP, qdisc, kernel) frames took. */
	json_object_object_add(call->resp->data, "bridge_fast", bridge_fast_json(fast));
	return TSN_CTL_OK;
}

/* ---- filter.show (802.1Qci) ---- */

static enum tsn_ctl_code cmd_filter_show(struct ctl_call *call)
{
	const struct tsnd *d = call->d;
	const char *name = NULL;
	json_object *v;

	if (json_object_object_get_ex(call->args, "name", &v)) {
		name = json_object_get_string(v);
		bool found = false;
		for (size_t i = 0; i < d->cfg->n_stream_filters && !found; i++)
			found = strcmp(d->cfg->stream_filters[i].name, name) == 0;
		if (!found)
			return reply(call, TSN_CTL_E_NOT_FOUND,
				     "stream filter \"%.*s\" is not configured (see `tsnctl filter show` "
				     "for the list)", TSN_NAME_MAX, name);
	}
	call->resp->data = pol_filters_json(d->cfg, dataplane_map_fd(d->dp, "tsn_filter_stats"),
					    name);
	return TSN_CTL_OK;
}

/* ---- latency.show, latency.reset (telemetry) ---- */

static enum tsn_ctl_code cmd_latency_show(struct ctl_call *call)
{
	struct tsnd *d = call->d;
	const char *dev = NULL;
	bool has_stream = false;
	uint32_t stream = 0;
	int cls = -1;
	json_object *v;

	enum tsn_ctl_code code = port_arg(call, &dev);
	if (code != TSN_CTL_OK)
		return code;
	/* Types, ranges and "stream" alone: checked by the dispatcher. */
	if (json_object_object_get_ex(call->args, "class", &v))
		cls = (int)json_object_get_int64(v);
	if (json_object_object_get_ex(call->args, "stream", &v)) {
		has_stream = true;
		stream = (uint32_t)json_object_get_int64(v);
		bool found = false;
		for (size_t i = 0; i < d->cfg->n_streams && !found; i++)
			found = d->cfg->streams[i].id == stream;
		if (!found)
			return reply(call, TSN_CTL_E_NOT_FOUND,
				     "stream %u is not configured (see `tsnctl stream show` for the list)", stream);
	}
	if (!d->tele)
		return reply(call, TSN_CTL_E_INTERNAL, "telemetry is not set up");
	call->resp->data = telemetry_latency_json(d->tele, d->cfg, d->dp, dev, cls, has_stream, stream);
	return TSN_CTL_OK;
}

static enum tsn_ctl_code cmd_latency_reset(struct ctl_call *call)
{
	struct tsnd *d = call->d;
	char since[32];

	if (!d->tele)
		return reply(call, TSN_CTL_E_INTERNAL, "telemetry is not set up");
	int rc = telemetry_reset(d->tele);
	if (rc < 0)
		return reply(call, TSN_CTL_E_INTERNAL, "cannot zero the histograms: %s", strerror(-rc));
	tsn_format_rfc3339(telemetry_since(d->tele), since, sizeof(since));
	call->resp->data = json_object_new_object();
	json_object_object_add(call->resp->data, "since", json_object_new_string(since));
	return reply(call, TSN_CTL_OK, "residence-time histograms and conformance counters zeroed");
}

/* ---- frer.show (802.1CB, docs/frer.md) ---- */

static enum tsn_ctl_code cmd_frer_show(struct ctl_call *call)
{
	const struct tsnd *d = call->d;
	uint32_t id = 0;
	json_object *v;

	if (json_object_object_get_ex(call->args, "id", &v)) {
		id = (uint32_t)json_object_get_int64(v);
		long *res = tsn_config_frer_resolve(d->cfg);
		bool found = false;
		for (size_t i = 0; res && i < d->cfg->n_frer && !found; i++)
			found = res[i] >= 0 && d->cfg->streams[res[i]].id == id;
		free(res);
		if (!found)
			return reply(call, TSN_CTL_E_NOT_FOUND, "stream %u has no frer entry (see `tsnctl frer show`)", id);
	}
	call->resp->data = frer_plane_json(d->frer, d->cfg, id);
	return TSN_CTL_OK;
}

/* ---- the table ---- */

/* One handler per row of TSN_CTL_COMMANDS: a command without cmd_<fn> does not
 * compile. */
static const ctl_handler_fn handlers[] = {
#define HANDLER_ROW(id, fn, name, access, args, summary) [TSN_CMD_##id] = cmd_##fn,
	TSN_CTL_COMMANDS(HANDLER_ROW)
#undef HANDLER_ROW
};

_Static_assert(sizeof(handlers) / sizeof(handlers[0]) == TSN_CMD_COUNT, "one handler per command");

/* Commands that write their own audit line (tsnd_reload does). */
static bool self_audited(enum tsn_ctl_cmd id)
{
	return id == TSN_CMD_CONFIG_RELOAD || id == TSN_CMD_CONFIG_APPLY;
}

bool ctl_handlers_complete(void)
{
	bool ok = true;

	/* The table is indexed by command id; a gap would be a NULL here. */
	for (size_t i = 0; i < TSN_CMD_COUNT; i++) {
		if (!handlers[i]) {
			log_err("internal error: control command \"%s\" has no handler",
				tsn_ctl_command_get((enum tsn_ctl_cmd)i)->name);
			ok = false;
		}
	}
	return ok;
}

enum ctl_role ctl_peer_role(const struct tsnd *d, const struct ctl_peer *peer)
{
	if (peer->uid == 0)
		return CTL_ROLE_ADMIN;
	if (d->groups.has_admin && ctl_peer_in_group(peer, d->groups.admin_gid))
		return CTL_ROLE_ADMIN;
	if (d->groups.has_read && ctl_peer_in_group(peer, d->groups.read_gid))
		return CTL_ROLE_READ;
	return CTL_ROLE_NONE;
}

/* Names, types and ranges from the command table (tsn_ctl_args_check). */
static bool check_args(struct ctl_call *call, const struct tsn_ctl_command *cmd)
{
	return tsn_ctl_args_check(cmd, call->args, call->resp->message,
				  sizeof(call->resp->message)) == TSN_CTL_OK;
}

/* A command name from the wire, made safe for one log line. */
static void printable(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in && o + 5 < outlen; in++) {
		unsigned char ch = (unsigned char)*in;
		if (isprint(ch) && ch != '\\')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", ch);
	}
	out[o] = '\0';
}

void ctl_handlers_dispatch(void *arg, const struct ctl_peer *peer,
			   const struct tsn_ctl_request *req, struct tsn_ctl_response *resp)
{
	struct tsnd *d = arg;
	char who[64], name[4 * TSN_CTL_COMMAND_MAX + 8];
	struct ctl_call call = { .d = d, .peer = peer, .who = who, .args = req->args, .resp = resp };
	enum ctl_role role = ctl_peer_role(d, peer);
	const struct tsn_ctl_command *cmd = tsn_ctl_command_find(req->command);
	bool audit = false;

	snprintf(who, sizeof(who), "uid %d pid %d", (int)peer->uid, (int)peer->pid);
	printable(req->command, name, sizeof(name));
	/* Without any role, every command is refused alike: outsiders learn nothing. */
	if (role == CTL_ROLE_NONE) {
		resp->code = reply(&call, TSN_CTL_E_PERMISSION,
				   "uid %d is not root and not a member of control.read-group or "
				   "control.admin-group", (int)peer->uid);
		audit = true;
	} else if (!cmd) {
		size_t n;
		const struct tsn_ctl_command *cmds = tsn_ctl_commands(&n);
		char list[512] = "";
		size_t used = 0;
		for (size_t i = 0; i < n && used < sizeof(list); i++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
						 cmds[i].name);
		resp->code = reply(&call, TSN_CTL_E_UNKNOWN_COMMAND, "unknown command \"%s\" (known: %s)",
				   name, list);
	} else if (cmd->access == TSN_CTL_ADMIN && role != CTL_ROLE_ADMIN) {
		resp->code = reply(&call, TSN_CTL_E_PERMISSION,
				   "%s changes the daemon: only root and members of control.admin-group "
				   "may run it", cmd->name);
		audit = true;
	} else if (check_args(&call, cmd)) {
		/* A read-only command reads every qdisc from one dump (nlio.h). */
		if (cmd->access == TSN_CTL_READ)
			nlio_scope_begin();
		resp->code = handlers[cmd->id](&call);
		if (cmd->access == TSN_CTL_READ)
			nlio_scope_end();
		audit = cmd->access == TSN_CTL_ADMIN && !self_audited(cmd->id);
	} else {
		resp->code = TSN_CTL_E_INVALID_ARGUMENT;
		audit = cmd->access == TSN_CTL_ADMIN;
	}
	if (resp->code != TSN_CTL_OK && !resp->message[0])
		snprintf(resp->message, sizeof(resp->message), "%s", tsn_ctl_code_name(resp->code));
	if (audit)
		audit_record(d->cfg ? d->cfg->control.audit_log : "", who, name,
			     tsn_ctl_code_name(resp->code), resp->message);
	else
		log_debug("control: %s command %s: %s", who, name, tsn_ctl_code_name(resp->code));
}

/* ---- in-process answers: the metrics listener ---- */

json_object *ctl_handlers_local(struct tsnd *d, const char *command)
{
	const struct tsn_ctl_command *cmd = tsn_ctl_command_find(command);
	struct tsn_ctl_response resp = { .version = TSN_CTL_PROTOCOL_VERSION };
	struct ctl_call call = { .d = d, .who = "metrics", .resp = &resp };

	/* Read-only commands only: the listener is unauthenticated. */
	if (!cmd || cmd->access != TSN_CTL_READ)
		return NULL;
	call.args = json_object_new_object();
	resp.code = handlers[cmd->id](&call);
	json_object_put(call.args);
	if (resp.code != TSN_CTL_OK) {
		log_debug("metrics: %s: %s", command, resp.message);
		json_object_put(resp.data);
		return NULL;
	}
	return resp.data;
}

char *ctl_handlers_metrics(void *arg, size_t *len)
{
	struct tsnd *d = arg;
	json_object *answers = json_object_new_object();

	nlio_scope_begin();	/* one qdisc dump for the whole scrape */
	for (const char *const *c = tsn_prom_commands; *c; c++)
		json_object_object_add(answers, *c, ctl_handlers_local(d, *c));
	nlio_scope_end();
	char *text = tsn_prom_render(answers, len);
	json_object_put(answers);
	return text;
}
