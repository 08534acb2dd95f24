// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of loading cacheproxy.ko: bad parameters are refused with
 * EINVAL and leave no module behind; good ones load, show the strategy in
 * sysfs and /proc, and unload.
 */
#include "cacheproxy_selftest.h"
#include "kselftest_harness.h"

/* Skips when the tests cannot run; unloads any instance left over. */
#define PREPARE() do {							\
	const char *why = cp_cannot_run();				\
	int ret;							\
									\
	if (why)							\
		SKIP(return, "%s", why);				\
	ret = cp_unload(CP_KUNIT_MODULE, CP_UNLOAD_MS);			\
	ASSERT_TRUE(!ret || ret == -ENOENT) TH_LOG("%s", strerror(-ret)); \
	ret = cp_unload(CP_MODULE, CP_UNLOAD_MS);			\
	ASSERT_TRUE(!ret || ret == -ENOENT) TH_LOG("%s", strerror(-ret)); \
} while (0)

/* Loads with @params, expects EINVAL and no module left loaded. */
#define EXPECT_REFUSED(params) do {					\
	int __ret = cp_load(params);					\
									\
	EXPECT_EQ(-EINVAL, __ret) TH_LOG("'%s': %s", params,		\
					 strerror(-__ret));		\
	EXPECT_FALSE(cp_module_present(CP_MODULE)) TH_LOG("'%s'", params); \
	if (!__ret)							\
		cp_unload(CP_MODULE, CP_UNLOAD_MS);			\
} while (0)

TEST(insmod_strategy_bogus)
{
	PREPARE();
	EXPECT_REFUSED("strategy=bogus");
	EXPECT_REFUSED("strategy=bogus " CP_PARAMS);
}

TEST(insmod_capacity_zero)
{
	PREPARE();
	EXPECT_REFUSED("capacity=0");
	EXPECT_REFUSED("strategy=shard capacity=0");
}

/* The control for the two above: the same loads with good values work. */
TEST(insmod_good_params)
{
	PREPARE();
	ASSERT_EQ(0, cp_load("strategy=shard capacity=1"));
	EXPECT_TRUE(cp_module_present(CP_MODULE));
	EXPECT_EQ(0, cp_unload(CP_MODULE, CP_UNLOAD_MS));
	ASSERT_EQ(0, cp_load(""));
	EXPECT_TRUE(cp_module_present(CP_MODULE));
	EXPECT_EQ(0, cp_unload(CP_MODULE, CP_UNLOAD_MS));
	EXPECT_FALSE(cp_module_present(CP_MODULE));
}

CP_LOADED_FIXTURE(loaded);

TEST_F(loaded, strategy_shown)
{
	char buf[4096], expect[64];

	ASSERT_LT(0, cp_read_file("/sys/module/cacheproxy/parameters/strategy",
				  buf, sizeof(buf)));
	snprintf(expect, sizeof(expect), "%s\n", variant->strategy);
	EXPECT_STREQ(expect, buf);
	ASSERT_LT(0, cp_read_file(CP_PROC_STATS, buf, sizeof(buf)));
	snprintf(expect, sizeof(expect), "strategy %s\n", variant->strategy);
	EXPECT_NE(NULL, strstr(buf, expect)) TH_LOG("stats:\n%s", buf);
}

/* Unloading is refused while the device is open, and works once closed. */
TEST_F(loaded, unload_while_open)
{
	int fd, ret;

	fd = open(CP_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ret = syscall(SYS_delete_module, CP_MODULE, O_NONBLOCK);
	EXPECT_EQ(-1, ret);
	EXPECT_TRUE(errno == EAGAIN || errno == EBUSY) TH_LOG("%s",
							      strerror(errno));
	EXPECT_TRUE(cp_module_present(CP_MODULE));
	close(fd);
}

TEST_HARNESS_MAIN
