/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the cacheproxy kselftests share: constants, the fixture macros and
 * the prototypes of cacheproxy_selftest.c (loading and unloading the
 * module, waits, lookups checked against the value contract), which every
 * test links with libcacheproxy (userspace-tool/lib: the ioctl client,
 * the /proc files, the value contract, the counter and strategy lists).
 * The helpers return 0 or -errno and leave the verdicts to the tests'
 * ASSERT/EXPECT.
 */
#ifndef _CACHEPROXY_SELFTEST_H
#define _CACHEPROXY_SELFTEST_H

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cacheproxy.h>

#include "client.h"
#include "counters.h"
#include "procfs.h"
#include "strategies.h"
#include "verify.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

#define CP_MODULE		"cacheproxy"
#define CP_KUNIT_MODULE		"cacheproxy_kunit"
#define CP_KO_DEFAULT		"/opt/cacheproxy/cacheproxy.ko"
#define CP_DEV			CP_DEFAULT_DEVICE
#define CP_PROC_LOOKUP		CP_DEFAULT_PROC_LOOKUP
#define CP_PROC_STATS		CP_DEFAULT_PROC_STATS
#define CP_PROC_ENTRIES		CP_PROC_DIR "entries"
#define CP_PROC_CONTROL		CP_PROC_DIR "control"

/*
 * Small, fast settings; lifetimes long enough never to expire in a test;
 * every lookup timed for the latency histogram (the tests count them).
 */
#define CP_PARAMS \
	"capacity=64 ttl_ms=600000 neg_ttl_ms=600000 load_delay_us=10 " \
	"slow_load_ms=2000 loader_max_active=16 shards=4 lat_sample=1"

/*
 * How long a caller killed while it waits for a load may take to be reaped
 * (SIGKILL to waitpid()), one waiting thread per process; also how long a
 * handled signal may take to end a wait. Measured on the debug guest
 * kernel (QEMU TCG, KASAN, lockdep): 8-61 ms over 36 kills (default
 * kernel: 1-13 ms). The bound, over 6 times that, is far below any load
 * it is used with (2 s, 60 s), and tight enough that a wait noticing the
 * signal only by polling once a second passes a kill in 40 % of the cases
 * at best: the tests kill several waiters in a row.
 */
#define CP_REAP_MAX_MS		400

/* How long unloading may be refused while loads drain. */
#define CP_UNLOAD_MS		10000

/* CLOCK_MONOTONIC in milliseconds. */
long long cp_now_ms(void);

/* $CACHEPROXY_KO, or CP_KO_DEFAULT. */
const char *cp_ko_path(void);

/* Is a module of that name in /proc/modules (in any state)? */
bool cp_module_present(const char *name);

/*
 * Keeps the calling thread on the CPU it runs on (per-CPU counts): that
 * CPU, or -errno when the thread may not be pinned there.
 */
int cp_pin_to_this_cpu(void);

/*
 * Unloads @name, retrying while it is busy for up to @ms. Returns 0, or
 * -errno of the last attempt (-ENOENT when it was not loaded).
 */
int cp_unload(const char *name, int ms);

/* finit_module() of $CACHEPROXY_KO with @params. Returns 0 or -errno. */
int cp_load(const char *params);

/*
 * Why the module tests cannot run here, or NULL. They need root and the
 * module file.
 */
const char *cp_cannot_run(void);

/*
 * Unloads whatever instance is there (and the KUnit module that would pin
 * it), then loads the module with strategy @strategy and CP_PARAMS plus
 * @extra. Returns 0 or -errno of the step that failed, named in @step.
 */
int cp_reload(const char *strategy, const char *extra, const char **step);

/* A command to /proc/cacheproxy/control. Returns 0 or -errno. */
int cp_control(const char *cmd);

/*
 * GET of a NUL-terminated @key with a buffer for any value; on success
 * checks the value is "@key:N" (-EBADMSG otherwise) and stores N in @seq.
 */
int cp_get_seq(int dev, const char *key, __u64 *seq);

/*
 * The counters once no load is in flight, waiting up to @ms for that (then
 * the last reading, in flight or not). Returns 0 or -errno.
 */
int cp_stats_quiet(int dev, struct cacheproxy_stats *st, int ms);

/* A GET of @key through a device opened for it. Returns 0 or -errno. */
int cp_module_answers(const char *key);

/*
 * Reaps child @pid, waiting up to @ms. Returns 0 with its wait status in
 * *@status, -ETIMEDOUT if it is still running, or -errno of waitpid().
 */
int cp_wait_child(pid_t pid, int ms, int *status);

/*
 * The strategies (the library's CP_STRATEGIES) as variants of fixture @f:
 * every TEST_F(f, ...) runs once per strategy, which it finds in
 * variant->strategy.
 */
#define CP_STRATEGY_VARIANT(f, upper, lower)				\
	FIXTURE_VARIANT_ADD(f, lower) {					\
		.strategy = #lower,					\
	};
#define CP_STRATEGY_VARIANTS(f)						\
	FIXTURE_VARIANT(f) {						\
		const char *strategy;					\
	};								\
	CP_STRATEGIES(CP_STRATEGY_VARIANT, f)				\
	struct cp_strategy_variants_##f

/*
 * Fixture @f: the module loaded with the variant's strategy (and
 * CP_PARAMS) before each test, unloaded after it; the unload must succeed.
 * Skips when the tests cannot run here (cp_cannot_run()).
 */
#define CP_LOADED_FIXTURE(f)						\
	FIXTURE(f) {							\
		bool loaded;						\
	};								\
	CP_STRATEGY_VARIANTS(f);					\
	FIXTURE_SETUP(f)						\
	{								\
		const char *why = cp_cannot_run();			\
		const char *step;					\
		int ret;						\
									\
		if (why)						\
			SKIP(return, "%s", why);			\
		ret = cp_reload(variant->strategy, NULL, &step);	\
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", step, strerror(-ret)); \
		self->loaded = true;					\
	}								\
	FIXTURE_TEARDOWN(f)						\
	{								\
		int ret;						\
									\
		if (!self->loaded)					\
			return;						\
		ret = cp_unload(CP_MODULE, CP_UNLOAD_MS);		\
		EXPECT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret)); \
	}

#endif /* _CACHEPROXY_SELFTEST_H */
