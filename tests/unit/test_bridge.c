/* SPDX-License-Identifier: GPL-2.0-only */
/* test_bridge.c — daemon/bridge/ against the kernel bridge of a network namespace
 * of the test's own: a configuration applied, a second one applied and aborted
 * leaves the kernel exactly as the first left it, a change the kernel refuses
 * half way undoes its own part, drift is seen, and removal deletes what tsnd
 * created.  The oracle is iproute2 (`ip -j link`, `bridge -j fdb/mdb`).  Needs
 * root.  (valgrind's run of this test also checks that every request the step
 * sends is initialised, padding included.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "bridge.h"
#include "test_util.h"
#include "tsn/log.h"

#define BR "brt0"

static struct bridge *br;

static struct tsn_config *cfg_of(const char *text)
{
	struct tsn_diags d;
	struct tsn_config *cfg;

	tsn_diags_init(&d, "test");
	cfg = tsn_config_parse(text, strlen(text), "test", &d);
	if (!cfg)
		tsn_diags_print(&d, stderr);
	tsn_diags_free(&d);
	return cfg;
}

/* The kernel's bridge objects as one string (malloc'd). */
static char *snapshot(void)
{
	static const char *cmd =
		"ip -j -d link show type bridge | jq -S -c '[.[] | {ifname, flags, "
		"age: .linkinfo.info_data.ageing_time}]';"
		"ip -j link show | jq -S -c '[.[] | select(.ifname | startswith(\"rt\")) | {ifname, master}]';"
		"bridge -j fdb show | jq -S -c '[.[] | select(.state == \"static\") | {mac, ifname, vlan}] | sort';"
		"bridge -j mdb show | jq -S -c '[.[].mdb[]? | select(.state == \"permanent\") | {port, grp, vid}] | sort'";
	FILE *f = popen(cmd, "r");
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap);

	if (!f || !buf) {
		if (f)
			pclose(f);
		free(buf);
		return NULL;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0)
		len += n;
	buf[len] = '\0';
	pclose(f);
	return buf;
}

static const char *cfg_a =
	"bridge:\n"
	"  name: " BR "\n"
	"  ports: [{ name: rt1 }, { name: rt2 }, { name: rt3 }]\n"
	"  fdb:\n"
	"    - { mac: 02:00:00:00:00:01, ports: [rt1] }\n"
	"    - { mac: 01:1b:19:00:00:01, ports: [rt2, rt3] }\n";

/* Everything differs: ageing, a port gone, an entry moved, one new, a multicast port less. */
static const char *cfg_b =
	"bridge:\n"
	"  name: " BR "\n"
	"  ageing-time: 100\n"
	"  ports: [{ name: rt1 }, { name: rt2 }]\n"
	"  fdb:\n"
	"    - { mac: 02:00:00:00:00:01, ports: [rt2] }\n"
	"    - { mac: 02:00:00:00:00:02, ports: [rt1] }\n"
	"    - { mac: 01:1b:19:00:00:01, ports: [rt2] }\n";

static struct tsn_config *running;

static int run(struct tsn_config *cfg, char *err, size_t errlen)
{
	if (bridge_prepare(br, running, cfg, err, errlen) < 0 || bridge_apply(br, err, errlen) < 0)
		return -1;
	bridge_commit(br, cfg);
	tsn_config_free(running);
	running = cfg;
	return 0;
}

static int suite_init(void)
{
	char err[256];

	tsn_log_setup("test_bridge", TSN_LOG_STDERR, TSN_LOG_WARNING);
	if (tu_netns_enter() < 0)
		return -1;
	for (int i = 1; i <= 4; i++)
		if (tu_sh("ip link add rt%d type veth peer name rp%d && ip link set rt%d up && ip link set rp%d up", i,
			  i, i, i))
			return -1;
	br = bridge_new(NULL, err, sizeof(err));
	if (!br)
		fprintf(stderr, "%s\n", err);
	running = tsn_config_defaults();
	return br && running ? 0 : -1;
}

static int suite_cleanup(void)
{
	bridge_free(br);
	tsn_config_free(running);
	tu_netns_leave();
	return 0;
}

static void test_abort_is_exact(void)
{
	char err[512];
	struct tsn_config *a = cfg_of(cfg_a), *b = cfg_of(cfg_b);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL_FATAL(run(a, err, sizeof(err)), 0);
	char *before = snapshot();
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	CU_ASSERT_PTR_NOT_NULL(strstr(before, "\"ifname\":\"rt3\",\"master\":\"" BR "\""));
	CU_ASSERT_EQUAL_FATAL(bridge_prepare(br, running, b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(bridge_apply(br, err, sizeof(err)), 0);
	char *applied = snapshot();
	CU_ASSERT_PTR_NOT_NULL(strstr(applied, "\"age\":10000"));
	CU_ASSERT_STRING_NOT_EQUAL(before, applied);
	bridge_abort(br);	/* a later step failed */
	char *after = snapshot();
	if (strcmp(before, after) != 0)
		fprintf(stderr, "\nbefore: %s\nafter: %s\n", before, after);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(applied);
	free(after);
	/* and the same change goes through afterwards */
	CU_ASSERT_EQUAL(run(b, err, sizeof(err)), 0);
	after = snapshot();
	CU_ASSERT_PTR_NOT_NULL(strstr(after, "{\"ifname\":\"rt3\",\"master\":null}"));	/* released */
	free(after);
}

/* The kernel refuses a request half way (a port vanished after prepare): the
 * step undoes what it did itself, and says which field. */
static void test_refusal_undoes_its_part(void)
{
	char err[512];
	struct tsn_config *c = cfg_of(
		"bridge:\n"
		"  name: " BR "\n"
		"  ageing-time: 200\n"
		"  ports: [{ name: rt1 }, { name: rt2 }, { name: rt4 }]\n"
		"  fdb:\n"
		"    - { mac: 02:00:00:00:00:01, ports: [rt4] }\n");

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(bridge_prepare(br, running, c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(tu_sh("ip link del rt4"), 0);
	char *before = snapshot();
	CU_ASSERT_EQUAL(bridge_apply(br, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bridge.ports[2].name"));
	bridge_abort(br);
	char *after = snapshot();
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	tsn_config_free(c);
	CU_ASSERT_EQUAL(tu_sh("ip link add rt4 type veth peer name rp4 && ip link set rt4 up"), 0);
}

static void test_drift(void)
{
	CU_ASSERT_EQUAL_FATAL(tu_sh("bridge fdb del 02:00:00:00:00:02 dev rt1 master"), 0);
	json_object *o = bridge_show_json(br);
	CU_ASSERT_TRUE(json_object_get_boolean(tu_jget(o, "drift")));
	CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(tu_jget(o, "drift_reason")), "02:00:00:00:00:02"));
	json_object_put(o);
	CU_ASSERT_EQUAL(tu_sh("bridge fdb add 02:00:00:00:00:02 dev rt1 master static"), 0);
	o = bridge_show_json(br);
	CU_ASSERT_FALSE(json_object_get_boolean(tu_jget(o, "drift")));
	json_object_put(o);
}

static void test_removal_deletes_created(void)
{
	char err[512];

	CU_ASSERT_EQUAL_FATAL(run(tsn_config_defaults(), err, sizeof(err)), 0);
	CU_ASSERT_NOT_EQUAL(system("ip link show " BR " >/dev/null 2>&1"), 0);
	char *s = snapshot();
	CU_ASSERT_PTR_NULL(strstr(s, "\"master\":\"" BR));
	free(s);
}

int main(void)
{
	CU_pSuite suite;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite("bridge", suite_init, suite_cleanup);
	if (!suite || !CU_add_test(suite, "apply, abort: exactly as before", test_abort_is_exact) ||
	    !CU_add_test(suite, "a refusal undoes the step's own part", test_refusal_undoes_its_part) ||
	    !CU_add_test(suite, "drift seen and gone", test_drift) ||
	    !CU_add_test(suite, "removal deletes the created bridge", test_removal_deletes_created)) {
		CU_cleanup_registry();
		return 2;
	}
	return tu_run_tests();
}
