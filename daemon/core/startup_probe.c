/* SPDX-License-Identifier: GPL-2.0-only */
/* startup_probe.c — phase timings of tsnd's start-up (startup_probe.h).  Main
 * thread only: a helper thread's time comes in through sprobe_add after it is
 * joined. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "startup_probe.h"
#include "tsn/log.h"

#define SPROBE_MAX 24

static struct {
	const char *name;
	uint64_t wall_ns, cpu_ns;
} phases[SPROBE_MAX];
static size_t n_phases;
static bool reported;

static uint64_t ns_of(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void sprobe_start(struct sprobe *p)
{
	p->wall_ns = ns_of(CLOCK_MONOTONIC);
	p->cpu_ns = ns_of(CLOCK_PROCESS_CPUTIME_ID);
}

void sprobe_add(const char *name, uint64_t wall_ns, uint64_t cpu_ns)
{
	size_t i;

	if (reported)
		return;
	for (i = 0; i < n_phases && strcmp(phases[i].name, name) != 0; i++)
		;
	if (i == SPROBE_MAX)
		return;
	if (i == n_phases)
		phases[n_phases++].name = name;
	phases[i].wall_ns += wall_ns;
	phases[i].cpu_ns += cpu_ns;
}

/* The process's CPU time: a phase that overlaps another thread's work counts
 * that work too (sprobe_add reports the thread's own). */
void sprobe_end(const struct sprobe *p, const char *name)
{
	sprobe_add(name, ns_of(CLOCK_MONOTONIC) - p->wall_ns, ns_of(CLOCK_PROCESS_CPUTIME_ID) - p->cpu_ns);
}

/* When the process started, on CLOCK_BOOTTIME: field 22 of /proc/self/stat, in
 * clock ticks (USER_HZ, 100 on Linux) since boot.  0 if unknown. */
static uint64_t process_start_ns(void)
{
	char buf[1024], *p;
	unsigned long long ticks = 0;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold spaces */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			 "%*d %*d %llu", &ticks) != 1)
		return 0;
	return ticks * (1000000000u / 100u);
}

void sprobe_report(void)
{
	char wall[1024], cpu[1024];
	uint64_t start = process_start_ns(), now = ns_of(CLOCK_BOOTTIME);
	int w, c;

	if (reported)
		return;
	w = snprintf(wall, sizeof(wall), "total=%llu",
		     start && now > start ? (unsigned long long)((now - start) / 1000) : 0ULL);
	c = snprintf(cpu, sizeof(cpu), "total=%llu",
		     (unsigned long long)(ns_of(CLOCK_PROCESS_CPUTIME_ID) / 1000));
	for (size_t i = 0; i < n_phases; i++) {
		if (w > 0 && (size_t)w < sizeof(wall))
			w += snprintf(wall + w, sizeof(wall) - (size_t)w, " %s=%llu", phases[i].name,
				      (unsigned long long)(phases[i].wall_ns / 1000));
		if (c > 0 && (size_t)c < sizeof(cpu))
			c += snprintf(cpu + c, sizeof(cpu) - (size_t)c, " %s=%llu", phases[i].name,
				      (unsigned long long)(phases[i].cpu_ns / 1000));
	}
	log_info("start-up: %s", wall);
	log_info("start-up cpu: %s", cpu);
	reported = true;
}
