// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of /dev/cacheproxy: GET, GET_BATCH, INVALIDATE, FLUSH and
 * STATS, every bad input with its exact errno, GET_BATCH failing as a
 * whole (EFAULT, EINTR) with only the items done written, and a waiter
 * killed while a slow load is in flight. Every test runs once per
 * strategy, on a module freshly loaded with it.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "cacheproxy_selftest.h"
#include "kselftest_harness.h"

#define VAL_SIZE	(CACHEPROXY_VALUE_MAX + 1)

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* A page that user space cannot touch, so the kernel cannot either. */
static void *bad_page(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Counters once no load is in flight. Returns 0 or -errno. */
static int quiet_stats(int dev, struct cacheproxy_stats *st)
{
	return cp_stats_quiet(dev, st, 5000);
}

static __u64 lat_sum(const struct cacheproxy_stats *st)
{
	__u64 sum = 0;
	int i;

	for (i = 0; i < CACHEPROXY_LAT_BUCKETS; i++)
		sum += st->lat_ns_log2[i];
	return sum;
}

FIXTURE(dev) {
	bool loaded;
	int dev;
};

CP_STRATEGY_VARIANTS(dev);

FIXTURE_SETUP(dev)
{
	const char *why = cp_cannot_run();
	const char *step;
	int ret;

	self->dev = -1;
	if (why)
		SKIP(return, "%s", why);
	ret = cp_reload(variant->strategy, NULL, &step);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", step, strerror(-ret));
	self->loaded = true;
	self->dev = open(CP_DEV, O_RDWR | O_CLOEXEC);
	if (self->dev < 0) {
		ret = -errno;
		cp_unload(CP_MODULE, CP_UNLOAD_MS);
		self->loaded = false;
		ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", CP_DEV,
					       strerror(-ret));
	}
}

FIXTURE_TEARDOWN(dev)
{
	int ret;

	if (self->dev >= 0)
		close(self->dev);
	if (!self->loaded)
		return;
	ret = cp_unload(CP_MODULE, CP_UNLOAD_MS);
	EXPECT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
}

TEST_F(dev, device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(CP_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);
}

TEST_F(dev, get_round_trip)
{
	char val[VAL_SIZE], expect[VAL_SIZE];
	__u64 a, b, other;
	size_t len;

	ASSERT_EQ(0, cp_get_seq(self->dev, "io-a", &a));
	/* A hit: the same value, byte for byte and length. */
	ASSERT_EQ(0, cp_dev_get(self->dev, "io-a", 4, val, sizeof(val), &len));
	snprintf(expect, sizeof(expect), "io-a:%llu", (unsigned long long)a);
	ASSERT_EQ(strlen(expect), len);
	EXPECT_EQ(0, memcmp(val, expect, len));
	ASSERT_EQ(0, cp_get_seq(self->dev, "io-a", &b));
	EXPECT_EQ(a, b);
	ASSERT_EQ(0, cp_get_seq(self->dev, "io-b", &other));
	EXPECT_GT(other, a);
}

/*
 * lat_sample=8: the histogram times about one lookup in 8 per CPU, at
 * random gaps of 1..15, the counters count every one. On one CPU, 800
 * lookups put about 100 in it (a standard deviation near 5; the bounds are
 * 6 of them, so a rate of 1 in 6 or 1 in 12 fails), and STATS says the
 * rate.
 */
TEST_F(dev, latency_sampled)
{
	struct cacheproxy_stats s0, s1;
	char val[CACHEPROXY_VALUE_MAX + 1];
	unsigned long long n = 0, timed;
	const char *step;
	size_t len;
	int i, ret, cpu;

	close(self->dev);
	self->dev = -1;
	ret = cp_reload(variant->strategy, "lat_sample=8", &step);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", step, strerror(-ret));
	ASSERT_EQ(0, cp_proc_stat(CP_PROC_STATS, "lat_sample", &n));
	ASSERT_EQ(8ULL, n);
	self->dev = open(CP_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	cpu = cp_pin_to_this_cpu();
	if (cpu < 0)
		SKIP(return, "cannot stay on one CPU: %s", strerror(-cpu));
	ASSERT_EQ(0, quiet_stats(self->dev, &s0));
	EXPECT_EQ(8U, s0.lat_sample);
	for (i = 0; i < 800; i++)
		ASSERT_EQ(0, cp_dev_get(self->dev, "sampled", 7, val,
					sizeof(val), &len));
	ASSERT_EQ(0, quiet_stats(self->dev, &s1));
	EXPECT_EQ(s0.lookups + 800, s1.lookups);
	timed = lat_sum(&s1) - lat_sum(&s0);
	EXPECT_LE(70ULL, timed);
	EXPECT_GE(135ULL, timed);
}

TEST_F(dev, get_enospc)
{
	char val[VAL_SIZE];
	size_t full, len, i;

	ASSERT_EQ(0, cp_dev_get(self->dev, "io-small", 8, val, sizeof(val),
				&full));
	ASSERT_LT((size_t)2, full);
	EXPECT_EQ(-ENOSPC, cp_dev_get(self->dev, "io-small", 8, val, full - 1,
				      &len));
	EXPECT_EQ(full, len);

	/* Nothing is written past value_size. */
	memset(val, 'X', sizeof(val));
	EXPECT_EQ(-ENOSPC, cp_dev_get(self->dev, "io-small", 8, val, 1, &len));
	EXPECT_EQ(full, len);
	for (i = 1; i < sizeof(val); i++)
		ASSERT_EQ('X', val[i]) TH_LOG("byte %zu written", i);
}

TEST_F(dev, get_errors)
{
	char val[VAL_SIZE], key[CACHEPROXY_KEY_MAX + 1];
	__u64 seq;
	size_t len;

	EXPECT_EQ(-ENOENT, cp_dev_get(self->dev, "enoent-io", 9, val,
				      sizeof(val), &len));
	EXPECT_EQ(-EIO, cp_dev_get(self->dev, "eio-io", 6, val, sizeof(val),
				   &len));
	EXPECT_EQ(-EINVAL, cp_dev_get(self->dev, "", 0, val, sizeof(val),
				      &len));
	EXPECT_EQ(-EINVAL, cp_dev_get(self->dev, "a\0b", 3, val, sizeof(val),
				      &len));
	EXPECT_EQ(-EINVAL, cp_dev_get(self->dev, "a\nb", 3, val, sizeof(val),
				      &len));
	EXPECT_EQ(-EINVAL, cp_dev_get(self->dev, "ab\n", 3, val, sizeof(val),
				      &len));
	memset(key, 'k', sizeof(key));
	EXPECT_EQ(-ENAMETOOLONG, cp_dev_get(self->dev, key,
					    CACHEPROXY_KEY_MAX + 1, val,
					    sizeof(val), &len));
	key[CACHEPROXY_KEY_MAX] = '\0';
	EXPECT_EQ(0, cp_get_seq(self->dev, key, &seq));
}

TEST_F(dev, get_batch)
{
	static const char * const keys[] = {
		"bt-1", "bt-2", "enoent-bt", "eio-bt", "", "bt-small", "bt-1",
	};
	static const int status[] = { 0, 0, -ENOENT, -EIO, -EINVAL, -ENOSPC, 0 };
	struct cacheproxy_batch_item items[7];
	struct cacheproxy_get_batch batch = {
		.items = (uintptr_t)items,
		.count = 7,
	};
	char vals[7][VAL_SIZE];
	__u64 seq = 0, first = 0;
	size_t i, full;

	for (i = 0; i < 7; i++) {
		items[i] = (struct cacheproxy_batch_item) {
			.key = (uintptr_t)keys[i],
			.key_len = strlen(keys[i]),
			.value = (uintptr_t)vals[i],
			.value_size = sizeof(vals[i]),
			.value_len = UINT32_MAX,
			.status = 12345,
		};
	}
	items[5].value_size = 2;

	ASSERT_EQ(0, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));
	for (i = 0; i < 7; i++) {
		EXPECT_EQ(status[i], items[i].status)
			TH_LOG("item %zu '%s'", i, keys[i]);
		if (status[i] || items[i].status)
			continue;
		ASSERT_GE((__u32)CACHEPROXY_VALUE_MAX, items[i].value_len);
		EXPECT_EQ(0, cp_parse_value(keys[i], strlen(keys[i]), vals[i],
					    items[i].value_len, &seq))
			TH_LOG("item %zu: '%.*s'", i, (int)items[i].value_len,
			       vals[i]);
		if (!strcmp(keys[i], "bt-1")) {
			/* The same key twice in one batch: the second hits. */
			if (first)
				EXPECT_EQ(first, seq);
			first = seq;
		}
	}
	/* The ENOSPC item carries the value's length, like GET does. */
	ASSERT_EQ(0, cp_dev_get(self->dev, "bt-small", 8, vals[0],
				sizeof(vals[0]), &full));
	EXPECT_EQ(full, items[5].value_len);
	/* And the batch's values are in the cache. */
	ASSERT_EQ(0, cp_get_seq(self->dev, "bt-1", &seq));
	EXPECT_EQ(first, seq);
}

TEST_F(dev, get_batch_count)
{
	static struct cacheproxy_batch_item items[CACHEPROXY_BATCH_MAX + 1];
	static char keys[CACHEPROXY_BATCH_MAX + 1][16];
	static char vals[CACHEPROXY_BATCH_MAX + 1][VAL_SIZE];
	struct cacheproxy_get_batch batch = { .items = (uintptr_t)items };
	__u64 seq;
	size_t i;

	for (i = 0; i <= CACHEPROXY_BATCH_MAX; i++) {
		snprintf(keys[i], sizeof(keys[i]), "bc-%zu", i);
		items[i] = (struct cacheproxy_batch_item) {
			.key = (uintptr_t)keys[i],
			.key_len = strlen(keys[i]),
			.value = (uintptr_t)vals[i],
			.value_size = sizeof(vals[i]),
			.status = 12345,
		};
	}
	batch.count = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));
	batch.count = CACHEPROXY_BATCH_MAX + 1;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));
	EXPECT_EQ(12345, items[0].status);

	batch.count = CACHEPROXY_BATCH_MAX;
	ASSERT_EQ(0, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));
	for (i = 0; i < CACHEPROXY_BATCH_MAX; i++) {
		ASSERT_EQ(0, items[i].status) TH_LOG("item %zu", i);
		ASSERT_GE((__u32)CACHEPROXY_VALUE_MAX, items[i].value_len);
		ASSERT_EQ(0, cp_parse_value(keys[i], strlen(keys[i]), vals[i],
					    items[i].value_len, &seq))
			TH_LOG("item %zu", i);
	}
	EXPECT_EQ(12345, items[CACHEPROXY_BATCH_MAX].status);
}

TEST_F(dev, invalidate)
{
	struct cacheproxy_key key = { .key = (uintptr_t)"iv", .key_len = 2 };
	struct cacheproxy_key none = { .key = (uintptr_t)"iv-none", .key_len = 7 };
	__u64 a, b, keep, kept;

	ASSERT_EQ(0, cp_get_seq(self->dev, "iv", &a));
	ASSERT_EQ(0, cp_get_seq(self->dev, "iv-keep", &keep));
	ASSERT_EQ(0, xioctl(self->dev, CACHEPROXY_IOC_INVALIDATE, &key));
	ASSERT_EQ(0, cp_get_seq(self->dev, "iv", &b));
	EXPECT_GT(b, a);
	ASSERT_EQ(0, cp_get_seq(self->dev, "iv-keep", &kept));
	EXPECT_EQ(keep, kept);
	EXPECT_EQ(0, xioctl(self->dev, CACHEPROXY_IOC_INVALIDATE, &none));
}

TEST_F(dev, flush)
{
	struct cacheproxy_stats st;
	__u64 a, b, again;

	ASSERT_EQ(0, cp_get_seq(self->dev, "fl-1", &a));
	ASSERT_EQ(0, cp_get_seq(self->dev, "fl-2", &b));
	ASSERT_EQ(0, xioctl(self->dev, CACHEPROXY_IOC_FLUSH, NULL));
	ASSERT_EQ(0, quiet_stats(self->dev, &st));
	EXPECT_EQ(0ULL, st.entries);
	ASSERT_EQ(0, cp_get_seq(self->dev, "fl-1", &again));
	EXPECT_GT(again, b);
}

TEST_F(dev, stats_header)
{
	struct {
		struct cacheproxy_stats st;
		unsigned char tail[64];
	} big;
	struct cacheproxy_stats st;
	size_t i;
	int ret;

	/* EBADMSG: the kernel left the strategy without its NUL */
	ret = cp_dev_stats(self->dev, &st);
	ASSERT_EQ(0, ret) TH_LOG("STATS: %s", strerror(-ret));
	EXPECT_EQ(sizeof(st), st.size);
	EXPECT_EQ((__u32)CACHEPROXY_STATS_VERSION, st.version);
	ASSERT_GT(sizeof(st.strategy), strnlen(st.strategy, sizeof(st.strategy)));
	EXPECT_STREQ(variant->strategy, st.strategy);

	/* A newer caller's larger struct: the kernel fills only its own size. */
	memset(&big, 0xaa, sizeof(big));
	big.st.size = sizeof(big);
	ASSERT_EQ(0, xioctl(self->dev, CACHEPROXY_IOC_STATS, &big));
	EXPECT_EQ(sizeof(st), big.st.size);
	EXPECT_EQ((__u32)CACHEPROXY_STATS_VERSION, big.st.version);
	for (i = 0; i < sizeof(big.tail); i++)
		ASSERT_EQ(0xaa, big.tail[i]) TH_LOG("tail byte %zu written", i);
}

TEST_F(dev, stats_deltas)
{
	struct cacheproxy_stats s0, s1, s2, s3;
	char val[VAL_SIZE];
	__u64 seq;
	size_t len;

	ASSERT_EQ(0, quiet_stats(self->dev, &s0));
	ASSERT_EQ(0, cp_get_seq(self->dev, "sd", &seq));
	ASSERT_EQ(0, quiet_stats(self->dev, &s1));
	ASSERT_EQ(0, cp_get_seq(self->dev, "sd", &seq));
	ASSERT_EQ(0, quiet_stats(self->dev, &s2));
	ASSERT_EQ(-EIO, cp_dev_get(self->dev, "eio-sd", 6, val, sizeof(val),
				   &len));
	ASSERT_EQ(0, quiet_stats(self->dev, &s3));

	/* A miss. */
	EXPECT_EQ(s0.lookups + 1, s1.lookups);
	EXPECT_EQ(s0.misses + 1, s1.misses);
	EXPECT_EQ(s0.hits, s1.hits);
	EXPECT_EQ(s0.loads_started + 1, s1.loads_started);
	EXPECT_EQ(s0.loads_ok + 1, s1.loads_ok);
	EXPECT_EQ(s0.coalesced, s1.coalesced);
	EXPECT_EQ(s0.entries + 1, s1.entries);
	EXPECT_EQ(0ULL, s1.inflight);
	EXPECT_EQ(lat_sum(&s0) + 1, lat_sum(&s1));
	/* A hit. */
	EXPECT_EQ(s1.lookups + 1, s2.lookups);
	EXPECT_EQ(s1.hits + 1, s2.hits);
	EXPECT_EQ(s1.misses, s2.misses);
	EXPECT_EQ(s1.loads_started, s2.loads_started);
	EXPECT_EQ(s1.entries, s2.entries);
	EXPECT_EQ(lat_sum(&s1) + 1, lat_sum(&s2));
	/* A failed load, not cached. */
	EXPECT_EQ(s2.misses + 1, s3.misses);
	EXPECT_EQ(s2.loads_started + 1, s3.loads_started);
	EXPECT_EQ(s2.loads_failed + 1, s3.loads_failed);
	EXPECT_EQ(s2.loads_ok, s3.loads_ok);
	EXPECT_EQ(s2.entries, s3.entries);
}

/* The same counters through /proc and through the ioctl. */
TEST_F(dev, stats_match_proc)
{
	static char text[65536];
	struct cacheproxy_stats st;
	unsigned long long v;
	__u64 seq;
	size_t i;

	ASSERT_EQ(0, cp_get_seq(self->dev, "sm", &seq));
	ASSERT_EQ(0, cp_get_seq(self->dev, "sm", &seq));
	ASSERT_EQ(0, quiet_stats(self->dev, &st));
	ASSERT_LT(0, cp_read_file(CP_PROC_STATS, text, sizeof(text)));
	for (i = 0; i < cp_nr_counters; i++) {
		ASSERT_EQ(0, cp_stat_line(text, cp_counters[i].name, &v))
			TH_LOG("%s", cp_counters[i].name);
		EXPECT_EQ(cp_counter_value(&st, i), v)
			TH_LOG("%s", cp_counters[i].name);
	}
}

TEST_F(dev, unknown_command)
{
	struct cacheproxy_stats st;
	__u32 word = 0;

	EXPECT_EQ(-ENOTTY, xioctl(self->dev, _IO(CACHEPROXY_IOC_MAGIC, 0x7f),
				  NULL));
	EXPECT_EQ(-ENOTTY, xioctl(self->dev, _IO('x', 1), NULL));
	/* The number of GET with another size is another command. */
	EXPECT_EQ(-ENOTTY, xioctl(self->dev, _IOWR(CACHEPROXY_IOC_MAGIC, 1, __u32),
				  &word));
	/* The device still works. */
	EXPECT_EQ(0, cp_dev_stats(self->dev, &st));
}

TEST_F(dev, bad_pointers)
{
	struct cacheproxy_get_batch batch = { .count = 1 };
	struct cacheproxy_key key = { .key_len = 3 };
	char val[VAL_SIZE];
	struct cacheproxy_get get = {
		.key = (uintptr_t)"bp-1",
		.key_len = 4,
		.value = (uintptr_t)val,
		.value_size = sizeof(val),
	};
	void *bad = bad_page();

	/* Not ASSERT_NE(NULL, ...): a pointer is no intmax_t with -m32. */
	ASSERT_TRUE(bad != NULL);
	EXPECT_EQ(-EFAULT, xioctl(self->dev, CACHEPROXY_IOC_GET, bad));
	EXPECT_EQ(-EFAULT, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, bad));
	EXPECT_EQ(-EFAULT, xioctl(self->dev, CACHEPROXY_IOC_INVALIDATE, bad));
	EXPECT_EQ(-EFAULT, xioctl(self->dev, CACHEPROXY_IOC_STATS, bad));

	get.key = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(self->dev, CACHEPROXY_IOC_GET, &get));
	get.key = (uintptr_t)"bp-1";
	get.value = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(self->dev, CACHEPROXY_IOC_GET, &get));

	batch.items = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));

	key.key = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(self->dev, CACHEPROXY_IOC_INVALIDATE, &key));
}

#define BATCH_WHOLE	4
#define UNTOUCHED_STATUS	12345

/* Items for @keys (NULL: the key pointer is @bad), marked untouched. */
static void batch_prepare(struct cacheproxy_batch_item *items,
			  const char * const *keys, char (*vals)[VAL_SIZE],
			  size_t n, void *bad)
{
	size_t i;

	for (i = 0; i < n; i++) {
		items[i] = (struct cacheproxy_batch_item) {
			.key = (uintptr_t)(keys[i] ? keys[i] : bad),
			.key_len = keys[i] ? strlen(keys[i]) : 4,
			.value = (uintptr_t)vals[i],
			.value_size = VAL_SIZE,
			.value_len = UINT32_MAX,
			.status = UNTOUCHED_STATUS,
		};
	}
}

/*
 * Items [0, @done) were looked up: status 0 and their value; the others
 * were not written at all.
 */
static void batch_check_done(struct __test_metadata *_metadata,
			     const struct cacheproxy_batch_item *items,
			     const char * const *keys, char (*vals)[VAL_SIZE],
			     size_t n, size_t done)
{
	__u64 seq;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i >= done) {
			EXPECT_EQ(UNTOUCHED_STATUS, items[i].status)
				TH_LOG("item %zu written after the failure", i);
			EXPECT_EQ(UINT32_MAX, items[i].value_len)
				TH_LOG("item %zu written after the failure", i);
			continue;
		}
		EXPECT_EQ(0, items[i].status) TH_LOG("item %zu", i);
		ASSERT_GE((__u32)CACHEPROXY_VALUE_MAX, items[i].value_len)
			TH_LOG("item %zu", i);
		EXPECT_EQ(0, cp_parse_value(keys[i], strlen(keys[i]), vals[i],
					    items[i].value_len, &seq))
			TH_LOG("item %zu: '%.*s'", i, (int)items[i].value_len,
			       vals[i]);
	}
}

/*
 * A batch whose third item has a bad key pointer, then one whose third
 * item has a bad value pointer: EFAULT for the whole call; the two items
 * before it carry their status and value, the rest is not written.
 */
TEST_F(dev, get_batch_efault)
{
	static const char * const keys[BATCH_WHOLE] = {
		"bf-1", "bf-2", NULL, "bf-4",
	};
	static const char * const vkeys[BATCH_WHOLE] = {
		"bv-1", "bv-2", "bv-3", "bv-4",
	};
	struct cacheproxy_batch_item items[BATCH_WHOLE];
	struct cacheproxy_get_batch batch = {
		.items = (uintptr_t)items,
		.count = BATCH_WHOLE,
	};
	char vals[BATCH_WHOLE][VAL_SIZE];
	struct cacheproxy_stats s0, s1;
	void *bad = bad_page();
	__u64 seq;

	ASSERT_TRUE(bad != NULL);
	batch_prepare(items, keys, vals, BATCH_WHOLE, bad);
	EXPECT_EQ(-EFAULT, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));
	batch_check_done(_metadata, items, keys, vals, BATCH_WHOLE, 2);
	/* The item after the bad one was never looked up: a miss now. */
	ASSERT_EQ(0, quiet_stats(self->dev, &s0));
	ASSERT_EQ(0, cp_get_seq(self->dev, "bf-4", &seq));
	ASSERT_EQ(0, quiet_stats(self->dev, &s1));
	EXPECT_EQ(s0.misses + 1, s1.misses);

	batch_prepare(items, vkeys, vals, BATCH_WHOLE, bad);
	items[2].value = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));
	batch_check_done(_metadata, items, vkeys, vals, BATCH_WHOLE, 2);
}

static void on_sigusr1(int sig)
{
}

/* What the batch child and the test share (MAP_SHARED). */
struct batch_call {
	struct cacheproxy_batch_item items[3];
	char vals[3][VAL_SIZE];
	int ret;
	long long returned_ms;
};

/*
 * The child: SIGUSR1 handled (@restart: with SA_RESTART), then one batch
 * of @keys into @c. Never returns. (A child, not a thread: the 32-bit
 * static build's pthread_join() aborts on this guest.)
 */
static void __attribute__((noreturn))
batch_child(int dev, struct batch_call *c, const char * const *keys,
	    bool restart)
{
	struct cacheproxy_get_batch batch = {
		.items = (uintptr_t)c->items,
		.count = 3,
	};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	if (sigaction(SIGUSR1, &sa, NULL))
		_exit(2);
	batch_prepare(c->items, keys, c->vals, 3, NULL);
	c->ret = xioctl(dev, CACHEPROXY_IOC_GET_BATCH, &batch);
	c->returned_ms = cp_now_ms();
	_exit(0);
}

/*
 * A batch of a fast key, then a slow one (2 s load), then another: a
 * handled SIGUSR1 while it waits on the slow load fails the call with
 * EINTR, promptly, without SA_RESTART and with it (an item was done: the
 * call is not restarted from its first item). The first item carries its
 * status and value; the others are not written.
 */
TEST_F_TIMEOUT(dev, get_batch_eintr, 60)
{
	static const char * const keys[2][3] = {
		{ "be-1", "slow-be-norestart", "be-3" },
		{ "be-4", "slow-be-restart", "be-6" },
	};
	struct cacheproxy_stats s0, st;
	long long end, sent;
	struct batch_call *c;
	int restart, status;
	bool waiting;
	pid_t pid;

	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(c != MAP_FAILED);
	for (restart = 0; restart < 2; restart++) {
		const char *how = restart ? "SA_RESTART" : "no SA_RESTART";

		c->ret = 1;
		ASSERT_EQ(0, quiet_stats(self->dev, &s0));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			batch_child(self->dev, c, keys[restart], restart);

		/* Its first item done, its second waiting on the slow load. */
		waiting = false;
		end = cp_now_ms() + 1000;
		while (!waiting && cp_now_ms() < end) {
			ASSERT_EQ(0, cp_dev_stats(self->dev, &st));
			waiting = st.misses >= s0.misses + 2 && st.inflight;
			if (!waiting)
				usleep(1000);
		}
		sent = cp_now_ms();
		ASSERT_EQ(0, kill(pid, SIGUSR1));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(waiting)
			TH_LOG("%s: the batch never waited on the slow load",
			       how);
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("%s: child status %#x", how, status);
		EXPECT_EQ(-EINTR, c->ret) TH_LOG("%s: %s", how,
						 strerror(-c->ret));
		EXPECT_GT(CP_REAP_MAX_MS, c->returned_ms - sent)
			TH_LOG("%s: returned %lld ms after the signal", how,
			       c->returned_ms - sent);
		batch_check_done(_metadata, c->items, keys[restart], c->vals,
				 3, 1);
	}
	munmap(c, sizeof(*c));
}

TEST_F(dev, reserved_must_be_zero)
{
	struct cacheproxy_batch_item item;
	struct cacheproxy_get_batch batch = {
		.items = (uintptr_t)&item,
		.count = 1,
	};
	struct cacheproxy_key key = { .key = (uintptr_t)"rz", .key_len = 2 };
	char val[VAL_SIZE];
	struct cacheproxy_get get = {
		.key = (uintptr_t)"rz",
		.key_len = 2,
		.value = (uintptr_t)val,
		.value_size = sizeof(val),
	};

	item = (struct cacheproxy_batch_item) {
		.key = (uintptr_t)"rz",
		.key_len = 2,
		.value = (uintptr_t)val,
		.value_size = sizeof(val),
	};

	/* Control: all-zero reserved fields work. */
	ASSERT_EQ(0, xioctl(self->dev, CACHEPROXY_IOC_GET, &get));
	ASSERT_EQ(0, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));
	ASSERT_EQ(0, xioctl(self->dev, CACHEPROXY_IOC_INVALIDATE, &key));

	get.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, CACHEPROXY_IOC_GET, &get));
	get.flags = 0;
	get.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, CACHEPROXY_IOC_GET, &get));

	batch.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));
	batch.flags = 0;
	batch.reserved = 1U << 31;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, CACHEPROXY_IOC_GET_BATCH, &batch));

	key.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->dev, CACHEPROXY_IOC_INVALIDATE, &key));
}

/*
 * A caller killed while it waits for a slow load returns at once; the load
 * goes on and fills the cache for the next caller; the module still unloads
 * (in the teardown).
 */
TEST_F_TIMEOUT(dev, killed_waiter, 60)
{
	struct cacheproxy_stats before, st;
	long long start, elapsed, end;
	bool waiting = false;
	int status;
	__u64 seq;
	pid_t pid;

	ASSERT_EQ(0, quiet_stats(self->dev, &before));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char val[VAL_SIZE];
		size_t len;
		int fd;

		fd = open(CP_DEV, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(2);
		cp_dev_get(fd, "slow-kill", 9, val, sizeof(val), &len);
		_exit(3);
	}

	/* Wait until its lookup has missed and the slow load is in flight. */
	end = cp_now_ms() + 10000;
	while (cp_now_ms() < end) {
		if (cp_dev_stats(self->dev, &st))
			break;
		waiting = st.misses > before.misses && st.inflight > 0;
		if (waiting)
			break;
		usleep(1000);
	}

	start = cp_now_ms();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	elapsed = cp_now_ms() - start;
	ASSERT_TRUE(waiting) TH_LOG("the child never waited on a load");
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("child status %#x", status);
	EXPECT_GT(CP_REAP_MAX_MS, elapsed)
		TH_LOG("killed waiter took %lld ms", elapsed);
	TH_LOG("SIGKILL to reaped: %lld ms", elapsed);

	/* The orphaned load finishes and is cached: the next GET is a hit. */
	ASSERT_EQ(0, quiet_stats(self->dev, &st));
	EXPECT_EQ(0ULL, st.inflight);
	EXPECT_EQ(before.loads_started + 1, st.loads_started);
	ASSERT_EQ(0, cp_get_seq(self->dev, "slow-kill", &seq));
	ASSERT_EQ(0, quiet_stats(self->dev, &st));
	EXPECT_EQ(before.loads_started + 1, st.loads_started);
	EXPECT_EQ(before.hits + 1, st.hits);
}

TEST_HARNESS_MAIN
