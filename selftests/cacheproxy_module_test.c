// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of loading cacheproxy.ko: bad parameters are refused with
 * EINVAL, leave no module behind and log one line naming the parameter
 * (module/cache.c config_check(), module/params.c strategy_set()); good
 * ones load, show the strategy in sysfs and /proc, and unload. A shard
 * count above the capacity is lowered to fit it.
 */
#include "cacheproxy_selftest.h"
#include "kselftest_harness.h"

#define KMSG		"/dev/kmsg"

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

/*
 * /dev/kmsg opened at its end: reads return what the kernel logs from now
 * on, one record per read. Returns the fd or -errno.
 */
static int kmsg_open(void)
{
	int fd = open(KMSG, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Reads the records logged since kmsg_open() (or the last call) and looks
 * for one whose text is @line. Returns 1 when found, 0 when not, or
 * -errno. The records read are copied to @seen (up to @size bytes), for
 * the test's log.
 */
static int kmsg_find(int fd, const char *line, char *seen, size_t size)
{
	char rec[8192], *text, *end;
	size_t used = 0;
	int found = 0;
	ssize_t n;

	if (size)
		seen[0] = '\0';
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten: read on */
			continue;
		if (n < 0)
			return errno == EAGAIN ? found : -errno;
		if (!n)
			return found;
		rec[n] = '\0';
		/* "PRIO,SEQ,TS,FLAGS;TEXT\n" then continuation lines. */
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		if (end)
			*end = '\0';
		if (!strcmp(text, line))
			found = 1;
		if (used + 1 < size)
			used += snprintf(seen + used, size - used, "%s\n",
					 text);
		if (used >= size)
			used = size - 1;
	}
}

/*
 * Every numeric parameter just outside its range, and a strategy that is
 * none: EINVAL, nothing loaded, and the one-line message naming the
 * parameter and its value (with pr_fmt's "cacheproxy: "); the strategy's
 * message (line NULL) lists the strategies (unknown_strategy_line()).
 */
static const struct {
	const char *params;
	const char *line;
} out_of_range[] = {
	{ "capacity=0", "capacity=0 out of range (1..1048576)" },
	{ "capacity=1048577", "capacity=1048577 out of range (1..1048576)" },
	{ "capacity_bytes=8191",
	  "capacity_bytes=8191 out of range (8192..1099511627776)" },
	{ "capacity_bytes=1099511627777",
	  "capacity_bytes=1099511627777 out of range (8192..1099511627776)" },
	{ "load_delay_us=10000001",
	  "load_delay_us=10000001 out of range (0..10000000)" },
	{ "slow_load_ms=600001",
	  "slow_load_ms=600001 out of range (0..600000)" },
	{ "loader_max_active=0", "loader_max_active=0 out of range (1..512)" },
	{ "loader_max_active=513",
	  "loader_max_active=513 out of range (1..512)" },
	{ "shards=3",
	  "shards=3 invalid (0 for automatic, or a power of two up to 1024)" },
	{ "shards=2048",
	  "shards=2048 invalid (0 for automatic, or a power of two up to 1024)" },
	{ "max_inflight=0", "max_inflight=0 out of range (1..65536)" },
	{ "max_inflight=65537", "max_inflight=65537 out of range (1..65536)" },
	{ "upcall_timeout_ms=0", "upcall_timeout_ms=0 out of range (1..600000)" },
	{ "upcall_timeout_ms=600001",
	  "upcall_timeout_ms=600001 out of range (1..600000)" },
	{ "lat_sample=0",
	  "lat_sample=0 invalid (a power of two up to 1024)" },
	{ "lat_sample=3",
	  "lat_sample=3 invalid (a power of two up to 1024)" },
	{ "lat_sample=2048",
	  "lat_sample=2048 invalid (a power of two up to 1024)" },
	{ "strategy=bogus", NULL },
};

/* "unknown strategy 'bogus' (spinlock, kthread, shard or singleflight)" */
static void unknown_strategy_line(char *buf, size_t size)
{
	size_t len = snprintf(buf, size, "unknown strategy 'bogus' (");
	int s;

	for (s = 0; s < CP_NR_STRATEGIES && len < size; s++)
		len += snprintf(buf + len, size - len, "%s%s",
				!s ? "" :
				s == CP_NR_STRATEGIES - 1 ? " or " : ", ",
				cp_strategy_names[s]);
	if (len < size)
		snprintf(buf + len, size - len, ")");
}

TEST(insmod_out_of_range)
{
	char params[256], line[256], strategy_msg[128], seen[4096];
	const char *msg;
	size_t i;
	int kmsg, ret;

	PREPARE();
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("%s: %s", KMSG, strerror(-kmsg));
	for (i = 0; i < ARRAY_SIZE(out_of_range); i++) {
		/* Alone, and among good values of every other parameter. */
		snprintf(params, sizeof(params), "%s %s", CP_PARAMS,
			 out_of_range[i].params);
		msg = out_of_range[i].line;
		if (!msg) {
			unknown_strategy_line(strategy_msg,
					      sizeof(strategy_msg));
			msg = strategy_msg;
		}
		snprintf(line, sizeof(line), CP_MODULE ": %s", msg);
		EXPECT_REFUSED(out_of_range[i].params);
		ret = kmsg_find(kmsg, line, seen, sizeof(seen));
		EXPECT_EQ(1, ret) TH_LOG("'%s': no line '%s' in the log (%s):\n%s",
					 out_of_range[i].params, line,
					 ret < 0 ? strerror(-ret) : "not found",
					 seen);
		EXPECT_REFUSED(params);
		ret = kmsg_find(kmsg, line, seen, sizeof(seen));
		EXPECT_EQ(1, ret) TH_LOG("'%s': no line '%s' in the log (%s):\n%s",
					 params, line,
					 ret < 0 ? strerror(-ret) : "not found",
					 seen);
	}
	close(kmsg);
}

/*
 * The control for insmod_out_of_range: every bound itself loads (the
 * largest capacity sizes the table for 2^20 entries: 8 MiB of buckets).
 */
TEST(insmod_bounds_load)
{
	static const char * const good[] = {
		"capacity=1 capacity_bytes=8192 load_delay_us=0 slow_load_ms=0 loader_max_active=1 shards=1 max_inflight=1 lat_sample=1",
		"capacity=1048576 capacity_bytes=1099511627776 load_delay_us=10000000 slow_load_ms=600000 loader_max_active=512 shards=1024 max_inflight=65536 lat_sample=1024",
	};
	size_t i;
	int ret;

	PREPARE();
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		ret = cp_load(good[i]);
		EXPECT_EQ(0, ret) TH_LOG("'%s': %s", good[i], strerror(-ret));
		if (ret)
			continue;
		EXPECT_EQ(0, cp_unload(CP_MODULE, CP_UNLOAD_MS));
	}
}

/*
 * strategy=shard with more shards than capacity: the shard count is lowered
 * to fit, so the module loads, answers, and never holds more than capacity
 * entries.
 */
TEST(shards_lowered_to_fit_capacity)
{
	static const unsigned long long capacity = 2;
	unsigned long long entries, max_entries = 0, evictions;
	char key[32], params[128];
	__u64 seq, again;
	int dev, i, ret;

	PREPARE();
	snprintf(params, sizeof(params), "strategy=%s capacity=%llu shards=8",
		 cp_strategy_names[CP_SHARD], capacity);
	ret = cp_load(params);
	ASSERT_EQ(0, ret) TH_LOG("'%s': %s", params, strerror(-ret));
	dev = open(CP_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dev) TH_LOG("%s: %s", CP_DEV, strerror(errno));
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "fit-%d", i);
		ret = cp_get_seq(dev, key, &seq);
		EXPECT_EQ(0, ret) TH_LOG("GET %s: %s", key, strerror(-ret));
		ASSERT_EQ(0, cp_proc_stat(CP_PROC_STATS, "entries", &entries));
		if (entries > max_entries)
			max_entries = entries;
	}
	/* The last key is cached: a hit gives the same value. */
	ASSERT_EQ(0, cp_get_seq(dev, key, &again));
	EXPECT_EQ(seq, again);
	close(dev);
	ASSERT_EQ(0, cp_proc_stat(CP_PROC_STATS, "evictions", &evictions));
	TH_LOG("capacity %llu, 8 shards asked: at most %llu entries, %llu evictions",
	       capacity, max_entries, evictions);
	EXPECT_GE(capacity, max_entries);
	EXPECT_LT(0ULL, max_entries);
	/* Ten keys into two places: at least eight were evicted. */
	EXPECT_LE(10 - capacity, evictions);
	EXPECT_EQ(0, cp_unload(CP_MODULE, CP_UNLOAD_MS));
}

/* The control for the refusals: the same loads with good values work. */
TEST(insmod_good_params)
{
	char params[64];

	snprintf(params, sizeof(params), "strategy=%s capacity=1",
		 cp_strategy_names[CP_SHARD]);
	PREPARE();
	ASSERT_EQ(0, cp_load(params));
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
