/* SPDX-License-Identifier: GPL-2.0-only */
/* test_cli_output.c — tsnctl's printing path, without the daemon: the table
 * engine, every renderer, -j JSON, error messages and exit statuses.
 *
 * The unit-test rule links libtsn.a and the daemon objects, not the CLI objects,
 * so the CLI modules under test are compiled into this file.  The client has
 * its own test (test_cli_client.c). */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "../../cli/client.c"
#include "../../cli/output.c"
#include "../../cli/render_bridge.c"
#include "../../cli/render_latency.c"
#include "../../cli/render_ptp.c"
#include "../../cli/render_schedule.c"
#include "../../cli/render_status.c"
#include "../../cli/render_streams.c"
#include "../../cli/render_frer.c"
#include "../../cli/render_util.c"
#include "../../cli/table.c"
#include "test_util.h"

/* ---- capturing output ----------------------------------------------------------- */

struct capture {
	char *out, *err;
	size_t out_len, err_len;
	struct output o;
};

static void capture_begin(struct capture *c, bool json, bool pretty)
{
	memset(c, 0, sizeof(*c));
	c->o.out = open_memstream(&c->out, &c->out_len);
	c->o.err = open_memstream(&c->err, &c->err_len);
	c->o.json = json;
	c->o.pretty = pretty;
	c->o.socket = "/run/tsnd/tsnd.sock";
	CU_ASSERT_FATAL(c->o.out && c->o.err);
}

static void capture_end(struct capture *c)
{
	fclose(c->o.out);
	fclose(c->o.err);
}

static void capture_free(struct capture *c)
{
	free(c->out);
	free(c->err);
}

/* Render an answer given as JSON text; returns the exit status. */
static int render(struct capture *c, bool json, bool pretty, const char *command,
		  enum tsn_ctl_code code, const char *message, const char *data)
{
	struct tsn_ctl_response resp = { .version = 1, .id = 1, .code = code };

	snprintf(resp.message, sizeof(resp.message), "%s", message);
	if (data) {
		resp.data = json_tokener_parse(data);
		CU_ASSERT_FATAL(resp.data != NULL);
	}
	capture_begin(c, json, pretty);
	int status = output_response(&c->o, command, &resp);
	capture_end(c);
	tsn_ctl_response_release(&resp);
	return status;
}

#define ASSERT_TEXT(actual, expected)                                                  \
	do {                                                                           \
		if (strcmp((actual), (expected)) != 0)                                 \
			fprintf(stderr, "\n--- expected:\n%s--- got:\n%s---\n", (expected), \
				(actual));                                             \
		CU_ASSERT_STRING_EQUAL((actual), (expected));                          \
	} while (0)

/* ---- table module --------------------------------------------------------------- */

static char *table_text(struct table *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_FATAL(f != NULL);
	table_print(t, f);
	fclose(f);
	table_free(t);
	return buf;
}

static void test_table_alignment(void)
{
	struct table *t = table_new();
	table_add_column(t, "NAME");
	table_add_column(t, "N");
	table_add_column(t, "LAST");
	table_add_row(t);
	table_add_cell(t, "a");
	table_add_cell(t, "%d", 12345);
	table_add_cell(t, "x");
	table_add_row(t);
	table_add_cell(t, "longer-name");
	table_add_cell(t, "7");
	table_add_cell(t, "last column is not padded");
	char *s = table_text(t);
	ASSERT_TEXT(s, "NAME         N      LAST\n"
		       "a            12345  x\n"
		       "longer-name  7      last column is not padded\n");
	free(s);
}

/* table_add_columns is table_add_column for each title. */
static void test_table_add_columns(void)
{
	struct table *t = table_new();
	table_add_columns(t, "NAME", "N", "LAST", NULL);
	table_add_row(t);
	table_add_cell(t, "longer-name");
	table_add_cell(t, "7");
	table_add_cell(t, "x");
	char *s = table_text(t);
	ASSERT_TEXT(s, "NAME         N  LAST\n"
		       "longer-name  7  x\n");
	free(s);
}

static void test_table_wide_cells(void)
{
	char wide[201];
	memset(wide, 'w', 200);
	wide[200] = '\0';

	struct table *t = table_new();
	table_add_column(t, "A");
	table_add_column(t, "B");
	table_add_row(t);
	table_add_cell(t, "%s", wide);
	table_add_cell(t, "b");
	table_add_row(t);
	table_add_cell(t, "süß");	/* three columns on a terminal, five bytes */
	table_add_cell(t, "c");
	char *s = table_text(t);

	char expected[1024];
	snprintf(expected, sizeof(expected), "A%*sB\n%s  b\nsüß%*sc\n", 201, "", wide, 199, "");
	ASSERT_TEXT(s, expected);
	free(s);
}

static void test_table_empty(void)
{
	struct table *t = table_new();
	table_add_column(t, "PORT");
	table_add_column(t, "STATE");
	char *s = table_text(t);
	ASSERT_TEXT(s, "PORT  STATE\n");
	free(s);

	s = table_text(table_new());	/* no columns at all */
	ASSERT_TEXT(s, "");
	free(s);
}

static void test_table_missing_cells(void)
{
	struct table *t = table_new();
	table_add_column(t, NULL);	/* headerless: no header line */
	table_add_column(t, NULL);
	table_add_column(t, NULL);
	table_add_row(t);
	table_add_cell(t, "key");
	table_add_cell(t, "value");
	table_add_cell(t, "more");
	table_add_cell(t, "dropped: more cells than columns");
	table_add_row(t);
	table_add_cell(t, "k");	/* cells not given print empty, no trailing blanks */
	table_add_row(t);
	table_add_cell(t, "%s", "");
	table_add_cell(t, "%s", "");
	table_add_cell(t, "third");
	char *s = table_text(t);
	ASSERT_TEXT(s, "key  value  more\n"
		       "k\n"
		       "            third\n");
	free(s);
}

/* ---- human rendering of each command --------------------------------------------- */

static const char status_data[] =
	"{\"daemon\":{\"version\":\"0.1.0\",\"pid\":4242,\"uptime_s\":93784,"
	"\"started\":\"2025-03-01T10:00:00Z\"},"
	"\"config\":{\"file\":\"/etc/tsnd/tsnd.yaml\",\"generation\":3,"
	"\"loaded\":\"2025-03-02T12:03:04Z\",\"warnings\":1,"
	"\"last_reload\":{\"time\":\"2025-03-02T12:03:04Z\",\"result\":\"ok\",\"message\":\"\"}},"
	"\"ports\":[{\"name\":\"sw0p1\",\"present\":true,\"oper_state\":\"up\",\"speed_mbps\":10000,"
	"\"schedule\":\"configured\",\"xdp\":\"generic\"},"
	"{\"name\":\"sw0p2\",\"present\":false,\"oper_state\":\"\",\"speed_mbps\":0,"
	"\"schedule\":\"none\",\"xdp\":\"off\"}],"
	"\"subsystems\":{\"dataplane\":{\"state\":\"loaded\",\"ports_attached\":1},"
	"\"ptp\":{\"state\":\"disabled\"}}}";

static void test_render_status(void)
{
	struct capture c;
	int status = render(&c, false, false, "status", TSN_CTL_OK, "", status_data);

	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out, "daemon:       tsnd 0.1.0, pid 4242\n"
			   "uptime:       1d 2h 3m 4s, since 2025-03-01T10:00:00Z\n"
			   "config:       /etc/tsnd/tsnd.yaml\n"
			   "generation:   3, loaded 2025-03-02T12:03:04Z, 1 warning\n"
			   "last reload:  2025-03-02T12:03:04Z ok\n"
			   "\n"
			   "PORT   STATE   SPEED   SCHEDULE    XDP\n"
			   "sw0p1  up      10000M  configured  generic\n"
			   "sw0p2  absent  -       none        off\n"
			   "\n"
			   "dataplane:    loaded, 1 port attached\n"
			   "ptp:          disabled\n");
	ASSERT_TEXT(c.err, "");
	capture_free(&c);
}

/* A fresh daemon: never reloaded, no ports, a data plane that failed to load. */
static void test_render_status_sparse(void)
{
	struct capture c;
	int status = render(&c, false, false, "status", TSN_CTL_OK, "",
			    "{\"daemon\":{\"version\":\"0.1.0\",\"uptime_s\":59},"
			    "\"config\":{\"file\":\"/x.yaml\",\"generation\":1,\"warnings\":0,"
			    "\"last_reload\":null},\"ports\":[],"
			    "\"subsystems\":{\"dataplane\":{\"state\":\"error\",\"ports_attached\":0,"
			    "\"message\":\"BPF verifier refused port_counters\"}}}");

	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out, "daemon:       tsnd 0.1.0, pid -\n"
			   "uptime:       59s, since -\n"
			   "config:       /x.yaml\n"
			   "generation:   1, loaded -, 0 warnings\n"
			   "last reload:  never\n"
			   "\n"
			   "PORT  STATE  SPEED  SCHEDULE  XDP\n"
			   "\n"
			   "dataplane:    error, 0 ports attached (BPF verifier refused port_counters)\n");
	capture_free(&c);
}

static void test_render_status_failed_reload(void)
{
	struct capture c;
	render(&c, false, false, "status", TSN_CTL_OK, "",
	       "{\"daemon\":{\"version\":\"0.1.0\",\"pid\":1,\"uptime_s\":3600,"
	       "\"started\":\"2025-01-01T00:00:00Z\"},\"config\":{\"file\":\"/x.yaml\","
	       "\"generation\":2,\"loaded\":\"2025-01-01T00:10:00Z\",\"warnings\":2,"
	       "\"last_reload\":{\"time\":\"2025-01-01T00:20:00Z\",\"result\":\"config-invalid\","
	       "\"message\":\"2 errors\"}}}");
	ASSERT_TEXT(c.out, "daemon:       tsnd 0.1.0, pid 1\n"
			   "uptime:       1h 0m 0s, since 2025-01-01T00:00:00Z\n"
			   "config:       /x.yaml\n"
			   "generation:   2, loaded 2025-01-01T00:10:00Z, 2 warnings\n"
			   "last reload:  2025-01-01T00:20:00Z config-invalid: 2 errors\n"
			   "\n"
			   "PORT  STATE  SPEED  SCHEDULE  XDP\n"
			   "\n");
	capture_free(&c);
}

static const char port_data[] =
	"{\"ports\":["
	"{\"name\":\"sw0p1\",\"present\":true,\"ifindex\":5,\"oper_state\":\"up\",\"admin_up\":true,"
	"\"carrier\":true,\"speed_mbps\":10000,\"mtu\":1500,\"tx_queues\":4,\"rx_queues\":4,"
	"\"mac\":\"02:00:00:00:00:01\",\"qdisc\":\"noqueue\",\"configured\":true,"
	"\"tx_vlan_offload\":false,\"tx_vlan_offload_off_by_tsnd\":true,"
	"\"xdp\":{\"mode\":\"generic\",\"attached\":true,\"prog_id\":17,"
	"\"counters\":{\"ipv6\":{\"packets\":1200,\"bytes\":99},\"other\":{\"packets\":34,\"bytes\":1}}}},"
	"{\"name\":\"sw0p2\",\"present\":true,\"ifindex\":6,\"oper_state\":\"lowerlayerdown\","
	"\"speed_mbps\":0,\"mtu\":9000,\"tx_queues\":1,\"qdisc\":\"\",\"configured\":true,"
	"\"tx_vlan_offload\":true,"
	"\"xdp\":{\"mode\":\"native\",\"attached\":false}},"
	"{\"name\":\"sw0p3\",\"present\":false,\"ifindex\":0,\"oper_state\":\"\",\"mtu\":0,"
	"\"tx_queues\":0,\"qdisc\":\"\",\"configured\":true,"
	"\"xdp\":{\"mode\":\"off\",\"attached\":false}}]}";

static void test_render_port_show(void)
{
	struct capture c;
	int status = render(&c, false, false, "port.show", TSN_CTL_OK, "", port_data);

	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out,
		    "PORT   STATE           SPEED   MTU   TXQ  QDISC    XDP                RX-PKTS  TXVLAN\n"
		    "sw0p1  up              10000M  1500  4    noqueue  generic            1234     off (tsnd)\n"
		    "sw0p2  lowerlayerdown  -       9000  1    -        native (detached)  -        on\n"
		    "sw0p3  absent          -       -     -    -        off                -        -\n");
	ASSERT_TEXT(c.err, "");
	capture_free(&c);
}

/* A schedule held before it reaches the kernel: the indented key/value lines. */
static void test_render_schedule_held(void)
{
	struct capture c;
	int status = render(&c, false, false, "schedule.show", TSN_CTL_OK, "",
			    "{\"ports\":[{\"name\":\"sw0p1\",\"state\":\"held\","
			    "\"message\":\"until PTP is locked\",\"kernel\":null,"
			    "\"config\":{\"base-time\":\"auto\",\"cycle-time\":\"1ms\",\"mode\":\"software\","
			    "\"entries\":[{\"op\":\"set-gates\",\"gates\":[0,1],\"interval\":\"500us\"},"
			    "{\"op\":\"set-gates\",\"gates\":[0],\"interval\":\"500us\"}]},"
			    "\"drift\":[\"base time moved\"]}]}");

	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out,
		    "sw0p1: held: until PTP is locked\n"
		    "  configured:   base-time auto, cycle-time 1ms, software mode; not in the kernel\n"
		    "  #  OP         GATES  INTERVAL  START-OFFSET\n"
		    "  0  set-gates  [0-1]  500us     0ns\n"
		    "  1  set-gates  [0]    500us     500us\n"
		    "  drift:        base time moved\n");
	ASSERT_TEXT(c.err, "");
	capture_free(&c);
}

/* The cbs and etf qdiscs under tsnd's taprio (docs/shapers.md). */
static void test_render_schedule_shapers(void)
{
	struct capture c;
	int status = render(&c, false, false, "schedule.show", TSN_CTL_OK, "",
			    "{\"ports\":[{\"name\":\"sw0p1\",\"state\":\"applied\",\"message\":\"\","
			    "\"kernel\":{\"kind\":\"taprio\",\"handle\":\"7473:\",\"num_tc\":3,\"clockid\":\"tai\","
			    "\"flags\":0,\"map\":[0,1,2],\"queues\":[\"1@0\",\"1@1\",\"1@2\"]},"
			    "\"children\":[{\"kind\":\"etf\",\"handle\":\"7481:\",\"parent\":\"7473:2\","
			    "\"delta_ns\":300000,\"clockid\":\"tai\",\"deadline_mode\":true,\"offload\":false,"
			    "\"skip_sock_check\":false},"
			    "{\"kind\":\"cbs\",\"handle\":\"7482:\",\"parent\":\"7473:3\",\"idleslope_kbps\":100000,"
			    "\"sendslope_kbps\":-9900000,\"hicredit\":16,\"locredit\":-1507,\"offload\":false}],"
			    "\"drift\":[]}]}");

	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out,
		    "sw0p1: applied\n"
		    "  qdisc:        taprio 7473:, 3 classes, clock tai, flags 0x0 (software)\n"
		    "  map:          0 1 2\n"
		    "  queues:       1@0 1@1 1@2\n"
		    "  oper:         none yet (the schedule has not started)\n"
		    "  launch-time:  etf 7481: under 7473:2: delta 300us, clock tai, deadline-mode\n"
		    "  shaper:       cbs 7482: under 7473:3: idleslope 100000 kbit/s, sendslope -9900000 kbit/s, "
		    "hicredit 16 B, locredit -1507 B\n");
	ASSERT_TEXT(c.err, "");
	capture_free(&c);
}

static void test_render_port_show_empty(void)
{
	struct capture c;
	render(&c, false, false, "port.show", TSN_CTL_OK, "", "{\"ports\":[]}");
	ASSERT_TEXT(c.out, "PORT  STATE  SPEED  MTU  TXQ  QDISC  XDP  RX-PKTS  TXVLAN\n");
	capture_free(&c);
}

static const char show_data[] =
	"{\"file\":\"/etc/tsnd/tsnd.yaml\",\"generation\":2,"
	"\"config\":{\"daemon\":{\"log-level\":\"info\"},\"ports\":[]},"
	"\"yaml\":\"daemon:\\n  log-level: info\\nports: []\\n\"}";

static void test_render_config_show(void)
{
	struct capture c;
	int status = render(&c, false, false, "config.show", TSN_CTL_OK, "", show_data);
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out, "daemon:\n  log-level: info\nports: []\n");
	capture_free(&c);

	/* A YAML text without its final newline still ends the output with one. */
	render(&c, false, false, "config.show", TSN_CTL_OK, "", "{\"yaml\":\"a: 1\"}");
	ASSERT_TEXT(c.out, "a: 1\n");
	capture_free(&c);

	/* --no-yaml: the configuration as JSON, as -j prints it but indented. */
	status = render(&c, false, false, "config.show", TSN_CTL_OK, "", "{\"config\":{\"ports\":[]}}");
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out, "{\n  \"ports\": [\n  ]\n}\n");
	capture_free(&c);

	status = render(&c, false, false, "config.show", TSN_CTL_OK, "", "{\"file\":\"x\"}");
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_PROTOCOL);
	ASSERT_TEXT(c.out, "");
	ASSERT_TEXT(c.err, "tsnctl: tsnd's answer to config show lacks the field \"yaml\"\n");
	capture_free(&c);
}

static const char check_valid_data[] =
	"{\"file\":\"/etc/tsnd/tsnd.yaml\",\"valid\":true,\"errors\":0,\"warnings\":1,"
	"\"diagnostics\":[{\"severity\":\"warning\",\"file\":\"/etc/tsnd/tsnd.yaml\",\"line\":12,"
	"\"column\":7,\"path\":\"ports[0].xdp\",\"message\":\"generic XDP is slow\"}]}";

static const char check_invalid_data[] =
	"{\"file\":\"/etc/tsnd/tsnd.yaml\",\"valid\":false,\"errors\":2,\"warnings\":1,"
	"\"diagnostics\":["
	"{\"severity\":\"error\",\"file\":\"/etc/tsnd/tsnd.yaml\",\"line\":3,\"column\":5,"
	"\"path\":\"ports[0].name\",\"message\":\"must not be empty\"},"
	"{\"severity\":\"warning\",\"file\":\"/etc/tsnd/tsnd.yaml\",\"line\":9,\"column\":1,"
	"\"path\":\"ptp\",\"message\":\"unused\"},"
	"{\"severity\":\"error\",\"file\":\"/etc/tsnd/tsnd.yaml\",\"line\":0,\"column\":0,"
	"\"path\":\"\",\"message\":\"no ports configured\"}]}";

static void test_render_config_check(void)
{
	struct capture c;
	int status = render(&c, false, false, "config.check", TSN_CTL_OK, "", check_valid_data);
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out, "/etc/tsnd/tsnd.yaml: configuration valid (1 warning)\n");
	ASSERT_TEXT(c.err, "/etc/tsnd/tsnd.yaml:12:7: ports[0].xdp: warning: generic XDP is slow\n");
	capture_free(&c);

	status = render(&c, false, false, "config.check", TSN_CTL_E_CONFIG_INVALID,
			"configuration has 2 errors", check_invalid_data);
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_CONFIG_INVALID);
	ASSERT_TEXT(c.out, "");
	ASSERT_TEXT(c.err, "/etc/tsnd/tsnd.yaml:3:5: ports[0].name: must not be empty\n"
			   "/etc/tsnd/tsnd.yaml:9:1: ptp: warning: unused\n"
			   "/etc/tsnd/tsnd.yaml: no ports configured\n"
			   "tsnctl: /etc/tsnd/tsnd.yaml: configuration invalid: 2 errors, 1 warning\n");
	capture_free(&c);
}

static void test_render_config_reload(void)
{
	struct capture c;
	int status = render(&c, false, false, "config.reload", TSN_CTL_OK, "",
			    "{\"generation\":4,\"changed\":[\"ports\",\"ptp\"],\"diagnostics\":[]}");
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out, "configuration reloaded: generation 4, changed: ports, ptp\n");
	ASSERT_TEXT(c.err, "");
	capture_free(&c);

	render(&c, false, false, "config.reload", TSN_CTL_OK, "",
	       "{\"generation\":5,\"changed\":[],\"diagnostics\":[{\"severity\":\"warning\","
	       "\"file\":\"/a.yaml\",\"line\":2,\"column\":3,\"path\":\"ptp.domain\","
	       "\"message\":\"domain 0 is shared\"}]}");
	ASSERT_TEXT(c.out, "configuration reloaded: generation 5, nothing changed\n");
	ASSERT_TEXT(c.err, "/a.yaml:2:3: ptp.domain: warning: domain 0 is shared\n");
	capture_free(&c);

	status = render(&c, false, false, "config.reload", TSN_CTL_E_CONFIG_INVALID,
			"configuration has 2 errors", check_invalid_data);
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_CONFIG_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.err, "tsnctl: /etc/tsnd/tsnd.yaml: configuration invalid: "
					     "2 errors, 1 warning; nothing was changed\n"));
	capture_free(&c);

	status = render(&c, false, false, "config.reload", TSN_CTL_E_CONFIG_INVALID, "1 error",
			"{\"file\":\"/a.yaml\",\"valid\":false,\"errors\":1,\"warnings\":0,"
			"\"diagnostics\":[{\"severity\":\"error\",\"file\":\"/a.yaml\",\"line\":1,"
			"\"column\":1,\"path\":\"ports\",\"message\":\"expected a list\"}]}");
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_CONFIG_INVALID);
	ASSERT_TEXT(c.err, "/a.yaml:1:1: ports: expected a list\n"
			   "tsnctl: /a.yaml: configuration invalid: 1 error; nothing was changed\n");
	capture_free(&c);

	status = render(&c, false, false, "config.reload", TSN_CTL_E_APPLY_FAILED,
			"port sw0p1: taprio: Operation not supported; previous state restored", NULL);
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_ERROR);
	ASSERT_TEXT(c.err, "tsnctl: config reload: port sw0p1: taprio: Operation not supported; "
			   "previous state restored (apply-failed)\n");
	capture_free(&c);
}

static void test_render_errors(void)
{
	struct capture c;
	int status = render(&c, false, false, "port.show", TSN_CTL_E_NOT_FOUND,
			    "no configured port named 'eth9'", NULL);
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_ERROR);
	ASSERT_TEXT(c.out, "");
	ASSERT_TEXT(c.err, "tsnctl: port show: no configured port named 'eth9' (not-found)\n");
	capture_free(&c);

	status = render(&c, false, false, "config.reload", TSN_CTL_E_PERMISSION,
			"uid 1000 is not in group tsnadm", NULL);
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_PERMISSION);
	ASSERT_TEXT(c.err, "tsnctl: tsnd at /run/tsnd/tsnd.sock refused config reload: uid 1000 is "
			   "not in group tsnadm (permission-denied)\n"
			   "tsnctl: 'config reload' needs root or membership in tsnd's "
			   "admin group (control.admin-group in tsnd.yaml)\n");
	capture_free(&c);

	status = render(&c, false, false, "status", TSN_CTL_E_BUSY, "", NULL);
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_ERROR);
	ASSERT_TEXT(c.err, "tsnctl: status: no reason given (busy)\n");
	capture_free(&c);
}

/* ---- JSON rendering ---------------------------------------------------------------- */

static void test_json_data(void)
{
	struct capture c;
	int status = render(&c, true, false, "port.show", TSN_CTL_OK, "",
			    "{\"ports\":[{\"name\":\"sw0p1\",\"mtu\":1500,\"qdisc\":\"mq\"}]}");
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out, "{\"ports\":[{\"name\":\"sw0p1\",\"mtu\":1500,\"qdisc\":\"mq\"}]}\n");
	capture_free(&c);

	/* Paths are printed as they are, without escaped slashes. */
	render(&c, true, false, "config.check", TSN_CTL_OK, "",
	       "{\"file\":\"/etc/tsnd/tsnd.yaml\",\"valid\":true}");
	ASSERT_TEXT(c.out, "{\"file\":\"/etc/tsnd/tsnd.yaml\",\"valid\":true}\n");
	ASSERT_TEXT(c.err, "");
	capture_free(&c);

	render(&c, true, true, "status", TSN_CTL_OK, "", "{\"daemon\":{\"pid\":7},\"ports\":[]}");
	ASSERT_TEXT(c.out, "{\n"
			   "  \"daemon\": {\n"
			   "    \"pid\": 7\n"
			   "  },\n"
			   "  \"ports\": [\n"
			   "  ]\n"
			   "}\n");
	capture_free(&c);
}

static void test_json_config_show(void)
{
	struct capture c;
	int status = render(&c, true, false, "config.show", TSN_CTL_OK, "", show_data);
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_OK);
	ASSERT_TEXT(c.out, "{\"daemon\":{\"log-level\":\"info\"},\"ports\":[]}\n");
	capture_free(&c);

	status = render(&c, true, false, "config.show", TSN_CTL_OK, "", "{\"yaml\":\"\"}");
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_PROTOCOL);
	ASSERT_TEXT(c.out, "");
	capture_free(&c);
}

static void test_json_errors(void)
{
	struct capture c;
	int status = render(&c, true, false, "port.show", TSN_CTL_E_NOT_FOUND,
			    "no configured port named 'eth9'", NULL);
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_ERROR);
	ASSERT_TEXT(c.out, "{\"error\":{\"code\":9,\"result\":\"not-found\","
			   "\"message\":\"no configured port named 'eth9'\"},\"data\":null}\n");
	ASSERT_TEXT(c.err, "tsnctl: port show: no configured port named 'eth9' (not-found)\n");
	capture_free(&c);

	status = render(&c, true, false, "config.check", TSN_CTL_E_CONFIG_INVALID, "bad",
			"{\"file\":\"/a.yaml\",\"valid\":false,\"errors\":1,\"warnings\":0,"
			"\"diagnostics\":[]}");
	CU_ASSERT_EQUAL(status, TSNCTL_EXIT_CONFIG_INVALID);
	ASSERT_TEXT(c.out, "{\"error\":{\"code\":8,\"result\":\"config-invalid\",\"message\":\"bad\"},"
			   "\"data\":{\"file\":\"/a.yaml\",\"valid\":false,\"errors\":1,"
			   "\"warnings\":0,\"diagnostics\":[]}}\n");
	capture_free(&c);
}

/* ---- exit statuses ----------------------------------------------------------------- */

static void test_exit_for_code(void)
{
	static const struct { enum tsn_ctl_code code; int status; } cases[] = {
		{ TSN_CTL_OK, 0 },
		{ TSN_CTL_E_MALFORMED, 6 },
		{ TSN_CTL_E_VERSION, 6 },
		{ TSN_CTL_E_UNKNOWN_COMMAND, 1 },
		{ TSN_CTL_E_INVALID_ARGUMENT, 1 },
		{ TSN_CTL_E_PERMISSION, 4 },
		{ TSN_CTL_E_TOO_LARGE, 6 },
		{ TSN_CTL_E_TIMEOUT, 6 },
		{ TSN_CTL_E_CONFIG_INVALID, 5 },
		{ TSN_CTL_E_NOT_FOUND, 1 },
		{ TSN_CTL_E_APPLY_FAILED, 1 },
		{ TSN_CTL_E_BUSY, 1 },
		{ TSN_CTL_E_INTERNAL, 1 },
		{ (enum tsn_ctl_code)99, 1 },	/* a code from a newer daemon */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(output_exit_for_code(cases[i].code), cases[i].status);
		if (output_exit_for_code(cases[i].code) != cases[i].status)
			fprintf(stderr, "code %d\n", cases[i].code);
	}
}

static void test_exit_for_client_error(void)
{
	static const struct { enum client_failure kind; int errnum; int status; } cases[] = {
		{ CLIENT_CONNECT, ENOENT, 3 },
		{ CLIENT_CONNECT, ECONNREFUSED, 3 },
		{ CLIENT_CONNECT, ENOTSOCK, 3 },
		{ CLIENT_CONNECT, ENOTDIR, 3 },
		{ CLIENT_CONNECT, EACCES, 4 },
		{ CLIENT_CONNECT, EPERM, 4 },
		{ CLIENT_TIMEOUT, ETIMEDOUT, 6 },
		{ CLIENT_PROTOCOL, 0, 6 },
		{ CLIENT_PROTOCOL, ECONNRESET, 6 },
		{ CLIENT_PROTOCOL, EBADMSG, 6 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct client_error e = { .kind = cases[i].kind, .errnum = cases[i].errnum };
		CU_ASSERT_EQUAL(output_exit_for_client_error(&e), cases[i].status);
	}
}

static void test_client_error_messages(void)
{
	struct client_error e = { .kind = CLIENT_CONNECT, .errnum = ECONNREFUSED };
	struct capture c;

	snprintf(e.detail, sizeof(e.detail), "%s", strerror(ECONNREFUSED));
	capture_begin(&c, false, false);
	CU_ASSERT_EQUAL(output_client_error(&c.o, "status", &e), TSNCTL_EXIT_UNREACHABLE);
	capture_end(&c);
	ASSERT_TEXT(c.err, "tsnctl: cannot reach tsnd at /run/tsnd/tsnd.sock: Connection refused "
			   "(is tsnd running?)\n");
	ASSERT_TEXT(c.out, "");
	capture_free(&c);

	e.errnum = EACCES;
	snprintf(e.detail, sizeof(e.detail), "%s", strerror(EACCES));
	capture_begin(&c, true, false);
	CU_ASSERT_EQUAL(output_client_error(&c.o, "port.show", &e), TSNCTL_EXIT_PERMISSION);
	capture_end(&c);
	ASSERT_TEXT(c.err, "tsnctl: permission denied connecting to tsnd at /run/tsnd/tsnd.sock: "
			   "Permission denied; 'port show' needs root or membership in tsnd's read "
			   "group (control.read-group in tsnd.yaml)\n");
	ASSERT_TEXT(c.out, "{\"error\":{\"code\":null,\"result\":\"permission-denied\","
			   "\"message\":\"permission denied connecting to tsnd at /run/tsnd/tsnd.sock: "
			   "Permission denied; 'port show' needs root or membership in tsnd's read "
			   "group (control.read-group in tsnd.yaml)\"},\"data\":null}\n");
	capture_free(&c);

	e = (struct client_error){ .kind = CLIENT_TIMEOUT, .errnum = ETIMEDOUT };
	snprintf(e.detail, sizeof(e.detail), "no answer from tsnd within 10 s");
	capture_begin(&c, false, false);
	CU_ASSERT_EQUAL(output_client_error(&c.o, "status", &e), TSNCTL_EXIT_PROTOCOL);
	capture_end(&c);
	ASSERT_TEXT(c.err, "tsnctl: timeout talking to tsnd at /run/tsnd/tsnd.sock: no answer from "
			   "tsnd within 10 s\n");
	capture_free(&c);
}


int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} output_tests[] = {
		{ "table alignment", test_table_alignment },
		{ "table wide cells", test_table_wide_cells },
		{ "table columns at once", test_table_add_columns },
		{ "table empty", test_table_empty },
		{ "table missing cells", test_table_missing_cells },
		{ "status", test_render_status },
		{ "status, sparse", test_render_status_sparse },
		{ "status, failed reload", test_render_status_failed_reload },
		{ "port show", test_render_port_show },
		{ "port show, no ports", test_render_port_show_empty },
		{ "schedule show, held", test_render_schedule_held },
		{ "schedule show, shapers and etf", test_render_schedule_shapers },
		{ "config show", test_render_config_show },
		{ "config check", test_render_config_check },
		{ "config reload", test_render_config_reload },
		{ "error answers", test_render_errors },
		{ "json data", test_json_data },
		{ "json config show", test_json_config_show },
		{ "json errors", test_json_errors },
		{ "exit status for result codes", test_exit_for_code },
		{ "exit status for client errors", test_exit_for_client_error },
		{ "client error messages", test_client_error_messages },
	};

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite out = CU_add_suite("tsnctl output", NULL, NULL);
	if (!out)
		goto fail;
	for (size_t i = 0; i < sizeof(output_tests) / sizeof(output_tests[0]); i++)
		if (!CU_add_test(out, output_tests[i].name, output_tests[i].fn))
			goto fail;

	return tu_run_tests();
fail:
	CU_cleanup_registry();
	return 1;
}
