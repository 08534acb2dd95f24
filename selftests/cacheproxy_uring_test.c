// SPDX-License-Identifier: GPL-2.0
/*
 * kselftests of the io_uring face: CACHEPROXY_URING_GET commands on
 * /dev/cacheproxy (liburing, linked statically).
 *
 * answers	misses then hits of 64 keys, every value checked, the CQE's
 *		res its length; one SQE per strategy of every errno the
 *		command documents (ENOSPC writes value_len)
 * async	64 misses of distinct slow keys from one thread: the submit
 *		returns before the first load ends, and all 64 answers come
 *		in about one load time, not 64; misses of one slow key share
 *		one load where the strategy deduplicates
 * bound	max_async: the misses beyond it get EAGAIN at once, their loads
 *		going on and cached
 * teardown	a buffer unmapped before the answer gets EFAULT; a key
 *		invalidated while its lookup waits is answered and not
 *		cached; rmmod is refused while a ring holds the device, and
 *		clean after; a submitter killed with lookups pending is
 *		reaped promptly (6.7 and later cancel its commands; on 6.1
 *		the ring's exit worker waits for the loads), and nothing
 *		stays in flight
 * workers	commands issued from io_uring's workers (IOSQE_ASYNC)
 * sampled	lat_sample=8: about one lookup in 8 is timed, misses answered
 *		later as well as hits answered at once
 *
 * Every test runs once per strategy and loads the module with its own
 * parameters.
 */
#include <assert.h>
#include <limits.h>
#include <liburing.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "cacheproxy_selftest.h"
#include "kselftest_harness.h"

#define NKEYS		64
#define SLOW_MS		4000

/* One lookup's buffers; the struct must live until its CQE. */
struct u_get {
	struct cacheproxy_get get;
	char key[64];
	char val[CACHEPROXY_VALUE_MAX + 1];
};

/* Queues command @op with the bytes @cmd (user_data @tag) on @ring. */
static struct io_uring_sqe *u_sqe(struct io_uring *ring, int dev, __u32 op,
				  const struct cacheproxy_uring_get *cmd,
				  __u64 tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	assert(sqe);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, dev, NULL, 0, 0);
	sqe->cmd_op = op;
	memcpy(sqe->cmd, cmd, sizeof(*cmd));
	sqe->user_data = tag;
	return sqe;
}

/* Queues a CACHEPROXY_URING_GET of @g (user_data @tag) on @ring. */
static struct io_uring_sqe *u_prep(struct io_uring *ring, int dev,
				   struct u_get *g, __u32 get_size, __u64 tag)
{
	struct cacheproxy_uring_get cmd = {
		.get = (uintptr_t)&g->get,
		.get_size = get_size,
	};

	return u_sqe(ring, dev, CACHEPROXY_URING_GET, &cmd, tag);
}

static void u_fill(struct u_get *g, const char *key)
{
	memset(&g->get, 0, sizeof(g->get));
	snprintf(g->key, sizeof(g->key), "%s", key);
	g->get.key = (uintptr_t)g->key;
	g->get.key_len = strlen(g->key);
	g->get.value = (uintptr_t)g->val;
	g->get.value_size = sizeof(g->val);
}

/* Waits for one CQE; returns its res and stores its user_data in *@tag. */
static int u_wait(struct io_uring *ring, __u64 *tag)
{
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return ret == -EINTR ? u_wait(ring, tag) : INT_MIN;
	*tag = cqe->user_data;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* One command of @g with @get_size, submitted alone: its CQE's res. */
static int u_get_one(struct io_uring *ring, int dev, struct u_get *g,
		     __u32 get_size)
{
	__u64 tag;

	u_prep(ring, dev, g, get_size, 1);
	if (io_uring_submit(ring) != 1)
		return INT_MIN;
	return u_wait(ring, &tag);
}

/* One command @op with the bytes @cmd, submitted alone: its CQE's res. */
static int u_cmd(struct io_uring *ring, int dev, __u32 op,
		 const struct cacheproxy_uring_get *cmd)
{
	__u64 tag;

	u_sqe(ring, dev, op, cmd, 0);
	if (io_uring_submit(ring) != 1)
		return INT_MIN;
	return u_wait(ring, &tag);
}

/* True when the kernel cancels pending commands (6.7 and later). */
static bool u_kernel_cancels(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 7);
}

FIXTURE(uring) {
	bool loaded;
	int dev;
	struct io_uring ring;
	bool ring_up;
	struct u_get *g;
};

CP_STRATEGY_VARIANTS(uring);

/*
 * Loads the module with @extra, opens the device and a ring of 256.
 * Returns false when the test was skipped (no io_uring commands here).
 */
static bool u_setup(struct __test_metadata *_metadata,
		    FIXTURE_DATA(uring) *self, const char *strategy,
		    const char *extra)
{
	struct cacheproxy_uring_get cmd = { .get_size = sizeof(struct cacheproxy_get) };
	const char *step;
	int ret;

	ret = cp_reload(strategy, extra, &step);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", step, strerror(-ret));
	self->loaded = true;
	self->dev = open(CP_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev) TH_LOG("open: %s", strerror(errno));
	ret = io_uring_queue_init(256, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return false, "io_uring is not available here: %s",
		     strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("io_uring_queue_init: %s", strerror(-ret));
	self->ring_up = true;
	self->g = calloc(256, sizeof(*self->g));
	ASSERT_NE(NULL, self->g);
	/* A module built without io_uring commands (u_setup's caller skips). */
	cmd.get = (uintptr_t)&self->g[0].get;
	ret = u_cmd(&self->ring, self->dev, CACHEPROXY_URING_GET + 1, &cmd);
	if (ret == -EOPNOTSUPP)
		SKIP(return false, "this kernel's build of the module has no io_uring commands");
	EXPECT_EQ(-ENOTTY, ret);
	return true;
}

FIXTURE_SETUP(uring)
{
	const char *why = cp_cannot_run();

	self->dev = -1;
	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(uring)
{
	int ret;

	if (self->ring_up)
		io_uring_queue_exit(&self->ring);
	if (self->dev >= 0)
		close(self->dev);
	free(self->g);
	if (!self->loaded)
		return;
	ret = cp_unload(CP_MODULE, CP_UNLOAD_MS);
	EXPECT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
}

/*
 * Submits @n lookups of self->g[0..n-1] at once and collects their CQEs
 * into @res (by tag). Returns the submit's duration in ms.
 */
static long long u_burst(struct __test_metadata *_metadata,
			 FIXTURE_DATA(uring) *self, int n, int *res)
{
	long long t0;
	__u64 tag;
	int i, ret;

	for (i = 0; i < n; i++)
		u_prep(&self->ring, self->dev, &self->g[i],
		       sizeof(self->g[i].get), i);
	t0 = cp_now_ms();
	ret = io_uring_submit(&self->ring);
	t0 = cp_now_ms() - t0;
	EXPECT_EQ(n, ret);
	for (i = 0; i < n; i++) {
		ret = u_wait(&self->ring, &tag);
		EXPECT_NE(INT_MIN, ret);
		if (tag < (__u64)n)
			res[tag] = ret;
	}
	return t0;
}

/* Checks that res[i] is the length of a whole "key:N" in g[i]. */
static void u_check_values(struct __test_metadata *_metadata,
			   FIXTURE_DATA(uring) *self, int n, const int *res)
{
	__u64 seq;
	int i;

	for (i = 0; i < n; i++) {
		struct u_get *g = &self->g[i];

		ASSERT_LT(0, res[i]) TH_LOG("%s: %s", g->key, strerror(-res[i]));
		EXPECT_EQ(0, cp_parse_value(g->key, strlen(g->key), g->val,
					    res[i], &seq))
			TH_LOG("%s: '%.*s'", g->key, res[i], g->val);
	}
}

TEST_F(uring, misses_then_hits)
{
	struct cacheproxy_stats st0, st;
	int res[NKEYS], i;
	char key[64];

	/* Room for every key in any shard: nothing is evicted. */
	if (!u_setup(_metadata, self, variant->strategy, "capacity=1024"))
		return;
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st0));
	for (i = 0; i < NKEYS; i++) {
		snprintf(key, sizeof(key), "uring-%d", i);
		u_fill(&self->g[i], key);
	}
	u_burst(_metadata, self, NKEYS, res);
	u_check_values(_metadata, self, NKEYS, res);
	for (i = 0; i < NKEYS; i++)
		memset(self->g[i].val, 0, sizeof(self->g[i].val));
	u_burst(_metadata, self, NKEYS, res);
	u_check_values(_metadata, self, NKEYS, res);
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, 5000));
	EXPECT_EQ(st0.lookups + 2 * NKEYS, st.lookups);
	EXPECT_EQ(st0.hits + NKEYS, st.hits);
	EXPECT_EQ(st0.loads_started + NKEYS, st.loads_started);
	EXPECT_EQ((__u64)0, st.inflight);
}

/* Timed lookups in @st's histogram, from bucket @from up. */
static __u64 u_timed(const struct cacheproxy_stats *st, int from)
{
	__u64 n = 0;
	int i;

	for (i = from; i < CACHEPROXY_LAT_BUCKETS; i++)
		n += st->lat_ns_log2[i];
	return n;
}

/*
 * lat_sample=8: 128 misses of slow keys (2 s loads, so bucket 30 or
 * above when timed) and 768 hits (far below 1 s), submitted from one CPU
 * (kthread's commands are issued by io_uring's workers, on any CPU: each
 * CPU samples at the same rate): about 112 timed (standard deviation near
 * 6), about 16 of them misses. A lookup answered later (a miss) must be
 * timed from its start to its answer, one never timed leave no trace.
 */
TEST_F_TIMEOUT(uring, latency_sampled, 120)
{
	struct cacheproxy_stats st0, st;
	int res[128], i, round, cpu;
	__u64 timed, slow;
	char key[64];

	if (!u_setup(_metadata, self, variant->strategy,
		     "lat_sample=8 capacity=1024 loader_max_active=128"))
		return;
	cpu = cp_pin_to_this_cpu();
	if (cpu < 0)
		SKIP(return, "cannot stay on one CPU: %s", strerror(-cpu));
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st0));
	for (i = 0; i < 128; i++) {
		snprintf(key, sizeof(key), "slow-sampled-%d", i);
		u_fill(&self->g[i], key);
	}
	for (round = 0; round < 7; round++) {
		for (i = 0; i < 128; i++)
			memset(self->g[i].val, 0, sizeof(self->g[i].val));
		u_burst(_metadata, self, 128, res);
		u_check_values(_metadata, self, 128, res);
	}
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, 5000));
	EXPECT_EQ(8U, st.lat_sample);
	EXPECT_EQ(st0.lookups + 7 * 128, st.lookups);
	EXPECT_EQ(st0.hits + 6 * 128, st.hits);
	timed = u_timed(&st, 0) - u_timed(&st0, 0);
	slow = u_timed(&st, 30) - u_timed(&st0, 30);
	EXPECT_LE(80ULL, timed);
	EXPECT_GE(150ULL, timed);
	EXPECT_LE(8ULL, slow) TH_LOG("%llu misses timed of 128",
				     (unsigned long long)slow);
	EXPECT_GE(32ULL, slow);
	EXPECT_LT(slow, timed) TH_LOG("no hit timed");
}

TEST_F(uring, every_errno)
{
	struct cacheproxy_uring_get cmd = { .get_size = 40 };
	struct u_get *g;
	int ret;

	if (!u_setup(_metadata, self, variant->strategy, NULL))
		return;
	g = &self->g[0];

	u_fill(g, "x");
	g->get.key_len = 0;
	EXPECT_EQ(-EINVAL, u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	u_fill(g, "x");
	g->get.key_len = CACHEPROXY_KEY_MAX + 1;
	EXPECT_EQ(-ENAMETOOLONG,
		  u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	u_fill(g, "a\nb");
	EXPECT_EQ(-EINVAL, u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	u_fill(g, "x");
	g->get.flags = 1;
	EXPECT_EQ(-EINVAL, u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	u_fill(g, "x");
	g->get.reserved = 1;
	EXPECT_EQ(-EINVAL, u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	u_fill(g, "x");
	EXPECT_EQ(-EINVAL, u_get_one(&self->ring, self->dev, g, 32));
	EXPECT_EQ(-E2BIG, u_get_one(&self->ring, self->dev, g,
				    CACHEPROXY_URING_GET_SIZE_MAX + 8));
	/* A longer struct (a later caller's): its tail must be zero. */
	u_fill(g, "x");
	EXPECT_EQ(-E2BIG, u_get_one(&self->ring, self->dev, g,
				    sizeof(g->get) + 8))
		TH_LOG("the key's bytes follow the struct");
	u_fill(g, "uring-tail");
	memmove(g->key + 8, g->key, strlen("uring-tail") + 1);
	memset(g->key, 0, 8);
	g->get.key = (uintptr_t)(g->key + 8);
	ret = u_get_one(&self->ring, self->dev, g, sizeof(g->get) + 8);
	EXPECT_EQ((int)strlen("uring-tail:1"), ret) TH_LOG("%s", strerror(-ret));
	u_fill(g, "enoent-u");
	EXPECT_EQ(-ENOENT, u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	u_fill(g, "eio-u");
	EXPECT_EQ(-EIO, u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	u_fill(g, "uring-enospc");
	g->get.value_size = 3;
	g->get.value_len = 0;
	EXPECT_EQ(-ENOSPC, u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	EXPECT_EQ(strlen("uring-enospc:1"), g->get.value_len);
	/* Again, now a hit: the same answer inline. */
	g->get.value_len = 0;
	EXPECT_EQ(-ENOSPC, u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	EXPECT_EQ(strlen("uring-enospc:1"), g->get.value_len);
	u_fill(g, "x");
	g->get.key = 8;
	EXPECT_EQ(-EFAULT, u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	u_fill(g, "uring-efault");
	g->get.value = 8;
	EXPECT_EQ(-EFAULT, u_get_one(&self->ring, self->dev, g, sizeof(g->get)));
	/* The struct itself unreadable; another command; command flags. */
	cmd.get = 8;
	EXPECT_EQ(-EFAULT, u_cmd(&self->ring, self->dev,
				 CACHEPROXY_URING_GET, &cmd));
	u_fill(g, "x");
	cmd.get = (uintptr_t)&g->get;
	EXPECT_EQ(-ENOTTY, u_cmd(&self->ring, self->dev,
				 CACHEPROXY_URING_GET + 1, &cmd));
	cmd.flags = 1;
	EXPECT_EQ(-EINVAL, u_cmd(&self->ring, self->dev,
				 CACHEPROXY_URING_GET, &cmd));
}

/*
 * Commands issued from io_uring's workers (IOSQE_ASYNC: the issue does not
 * hold the ring's lock): misses and then hits, every value checked.
 */
TEST_F(uring, issued_from_workers)
{
	struct cacheproxy_stats st0, st;
	int round, i, ret;
	char key[64];
	__u64 tag, seq;

	if (!u_setup(_metadata, self, variant->strategy, "capacity=1024"))
		return;
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st0));
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 16; i++) {
			snprintf(key, sizeof(key), "iowq-%d", i);
			u_fill(&self->g[i], key);
			u_prep(&self->ring, self->dev, &self->g[i],
			       sizeof(self->g[i].get), i)->flags |= IOSQE_ASYNC;
		}
		ASSERT_EQ(16, io_uring_submit(&self->ring));
		for (i = 0; i < 16; i++) {
			ret = u_wait(&self->ring, &tag);
			ASSERT_GT((__u64)16, tag);
			ASSERT_LT(0, ret) TH_LOG("%s", strerror(-ret));
			EXPECT_EQ(0, cp_parse_value(self->g[tag].key,
						    strlen(self->g[tag].key),
						    self->g[tag].val, ret,
						    &seq));
		}
	}
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, 5000));
	EXPECT_EQ(st0.lookups + 32, st.lookups);
	EXPECT_EQ(st0.hits + 16, st.hits);
	EXPECT_EQ(st0.loads_started + 16, st.loads_started);
}

/*
 * A GET waiting for its load while the same thread's io_uring commands
 * complete: their task-work notification wakes the GET's wait like a
 * signal, and must not restart it (where loads are not shared, spinlock, a
 * restart would load the key again): one load for the GET.
 */
TEST_F_TIMEOUT(uring, get_beside_completions, 120)
{
	struct cacheproxy_stats st0, st;
	char val[CACHEPROXY_VALUE_MAX + 1];
	size_t len = 0;
	int res[8], i, ret;
	char key[64];
	__u64 tag, seq;

	if (!u_setup(_metadata, self, variant->strategy,
		     "load_delay_us=500000 slow_load_ms=3000 loader_max_active=64"))
		return;
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st0));
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "beside-%d", i);
		u_fill(&self->g[i], key);
		u_prep(&self->ring, self->dev, &self->g[i],
		       sizeof(self->g[i].get), i);
	}
	ASSERT_EQ(8, io_uring_submit(&self->ring));
	/* Their loads end after 0.5 s, while this GET waits 3 s. */
	ret = cp_dev_get(self->dev, "slow-beside", strlen("slow-beside"), val,
			 sizeof(val), &len);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	/* Their task work ran as the GET returned: they came during it. */
	EXPECT_EQ(8U, io_uring_cq_ready(&self->ring));
	EXPECT_EQ(0, cp_parse_value("slow-beside", strlen("slow-beside"), val,
				    len, &seq));
	for (i = 0; i < 8; i++) {
		ret = u_wait(&self->ring, &tag);
		if (tag < 8)
			res[tag] = ret;
	}
	u_check_values(_metadata, self, 8, res);
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, 5000));
	EXPECT_EQ(st0.loads_started + 9, st.loads_started)
		TH_LOG("the GET was restarted and loaded again");
	EXPECT_EQ(st0.lookups + 9, st.lookups)
		TH_LOG("the GET was restarted and counted again");
}

TEST_F_TIMEOUT(uring, slow_burst_one_load_time, 120)
{
	struct cacheproxy_stats st0, st;
	int res[NKEYS], i;
	long long t0, submit_ms, all_ms;
	char key[64];

	if (!u_setup(_metadata, self, variant->strategy,
			"slow_load_ms=4000 loader_max_active=128"))
		return;
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st0));
	for (i = 0; i < NKEYS; i++) {
		snprintf(key, sizeof(key), "slow-uring-%d", i);
		u_fill(&self->g[i], key);
	}
	t0 = cp_now_ms();
	submit_ms = u_burst(_metadata, self, NKEYS, res);
	all_ms = cp_now_ms() - t0;
	u_check_values(_metadata, self, NKEYS, res);
	/* Wide margins: one load is 4 s, a loop of GETs would take 256 s. */
	EXPECT_GT(SLOW_MS / 2, submit_ms)
		TH_LOG("the submit waited %lld ms", submit_ms);
	EXPECT_GT(4 * SLOW_MS, all_ms)
		TH_LOG("64 slow misses took %lld ms", all_ms);
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, 5000));
	EXPECT_EQ(st0.loads_started + NKEYS, st.loads_started);
	TH_LOG("submit %lld ms, 64 answers %lld ms", submit_ms, all_ms);
}

TEST_F_TIMEOUT(uring, one_key_shares_a_load, 120)
{
	struct cacheproxy_stats st0, st;
	int res[32], i, dedup;

	if (!u_setup(_metadata, self, variant->strategy,
			"slow_load_ms=2000 loader_max_active=64"))
		return;
	dedup = cp_proc_dedup(CP_PROC_STATS);
	ASSERT_LE(0, dedup) TH_LOG("no dedup line in " CP_PROC_STATS);
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st0));
	for (i = 0; i < 32; i++)
		u_fill(&self->g[i], "slow-uring-shared");
	u_burst(_metadata, self, 32, res);
	u_check_values(_metadata, self, 32, res);
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, 5000));
	EXPECT_EQ(st0.loads_started + (dedup ? 1 : 32), st.loads_started);
	EXPECT_EQ(st0.lookups + 32, st.lookups);
}

TEST_F_TIMEOUT(uring, max_async_bound, 120)
{
	struct cacheproxy_stats st0, st;
	int res[8], i, again = 0, ok = 0;
	char key[64];

	if (!u_setup(_metadata, self, variant->strategy,
			"slow_load_ms=2000 max_async=4"))
		return;
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st0));
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "slow-bound-%d", i);
		u_fill(&self->g[i], key);
	}
	u_burst(_metadata, self, 8, res);
	for (i = 0; i < 8; i++) {
		if (res[i] == -EAGAIN)
			again++;
		else if (res[i] > 0)
			ok++;
	}
	EXPECT_EQ(4, ok);
	EXPECT_EQ(4, again);
	/* The loads of the refused ones went on, and were cached. */
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, 5000));
	EXPECT_EQ(st0.refused, st.refused);
	EXPECT_EQ(st0.loads_started + 8, st.loads_started);
	for (i = 0; i < 8; i++)
		res[i] = INT_MIN;
	u_burst(_metadata, self, 8, res);
	u_check_values(_metadata, self, 8, res);
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st0));
	EXPECT_EQ(st.hits + 8, st0.hits);
}

TEST_F_TIMEOUT(uring, unmapped_buffer_efault, 120)
{
	struct cacheproxy_stats st0, st;
	struct u_get *g;
	char *page;
	__u64 tag;
	int ret;

	if (!u_setup(_metadata, self, variant->strategy, "slow_load_ms=2000"))
		return;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	g = &self->g[0];
	u_fill(g, "slow-unmapped");
	g->get.value = (uintptr_t)page;
	g->get.value_size = 4096;
	u_prep(&self->ring, self->dev, g, sizeof(g->get), 7);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, munmap(page, 4096));
	ret = u_wait(&self->ring, &tag);
	EXPECT_EQ(-EFAULT, ret);
	/* The value was cached all the same, and the module still answers. */
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st0));
	u_fill(g, "slow-unmapped");
	ret = u_get_one(&self->ring, self->dev, g, sizeof(g->get));
	EXPECT_EQ((int)strlen("slow-unmapped:1"), ret);
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st));
	EXPECT_EQ(st0.hits + 1, st.hits);
}

TEST_F_TIMEOUT(uring, invalidated_while_pending, 120)
{
	struct cacheproxy_stats st0, st;
	struct cacheproxy_key k = { 0 };
	long long end;
	struct u_get *g;
	__u64 tag, seq;
	int ret;

	if (!u_setup(_metadata, self, variant->strategy, "slow_load_ms=2000"))
		return;
	ASSERT_EQ(0, cp_dev_stats(self->dev, &st0));
	g = &self->g[0];
	u_fill(g, "slow-inval");
	u_prep(&self->ring, self->dev, g, sizeof(g->get), 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	/* Invalidated once the lookup waits (kthread issues from a worker). */
	end = cp_now_ms() + 1500;
	do {
		ASSERT_EQ(0, cp_dev_stats(self->dev, &st));
	} while (st.misses == st0.misses && cp_now_ms() < end && !usleep(1000));
	ASSERT_EQ(st0.misses + 1, st.misses);
	k.key = (uintptr_t)g->key;
	k.key_len = strlen(g->key);
	ASSERT_EQ(0, ioctl(self->dev, CACHEPROXY_IOC_INVALIDATE, &k));
	ret = u_wait(&self->ring, &tag);
	ASSERT_LT(0, ret) TH_LOG("%s", strerror(-ret));
	EXPECT_EQ(0, cp_parse_value(g->key, strlen(g->key), g->val, ret, &seq));
	/* Not cached: the next lookup loads again. */
	ret = u_get_one(&self->ring, self->dev, g, sizeof(g->get));
	EXPECT_LT(0, ret);
	ASSERT_EQ(0, cp_stats_quiet(self->dev, &st, 5000));
	EXPECT_EQ(st0.loads_started + 2, st.loads_started);
}

TEST_F_TIMEOUT(uring, unload_refused_while_pending, 120)
{
	struct u_get *g;
	__u64 tag;
	int ret;

	if (!u_setup(_metadata, self, variant->strategy, "slow_load_ms=3000"))
		return;
	g = &self->g[0];
	u_fill(g, "slow-unload");
	u_prep(&self->ring, self->dev, g, sizeof(g->get), 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	/* The device is open (and the command holds it): refused. */
	close(self->dev);
	self->dev = -1;
	ret = syscall(SYS_delete_module, CP_MODULE, O_NONBLOCK);
	EXPECT_EQ(-1, ret);
	EXPECT_TRUE(errno == EBUSY || errno == EAGAIN) TH_LOG("%s", strerror(errno));
	ret = u_wait(&self->ring, &tag);
	EXPECT_EQ((int)strlen("slow-unload:1"), ret);
	io_uring_queue_exit(&self->ring);
	self->ring_up = false;
	/* The fixture's teardown unloads: it must succeed now. */
}

TEST_F_TIMEOUT(uring, killed_submitter_pending, 120)
{
	int pipefd[2], status, ret, i;
	long long t0, reaped_ms, unload_ms;
	char c;
	pid_t pid;

	if (!u_setup(_metadata, self, variant->strategy,
			"slow_load_ms=6000 loader_max_active=64"))
		return;
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct io_uring ring;
		char key[64];

		if (io_uring_queue_init(64, &ring, 0))
			_exit(2);
		for (i = 0; i < 16; i++) {
			snprintf(key, sizeof(key), "slow-killed-%d", i);
			u_fill(&self->g[i], key);
			u_prep(&ring, self->dev, &self->g[i],
			       sizeof(self->g[i].get), i);
		}
		if (io_uring_submit(&ring) != 16)
			_exit(3);
		if (write(pipefd[1], "s", 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	usleep(200000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	t0 = cp_now_ms();
	ret = cp_wait_child(pid, 30000, &status);
	reaped_ms = cp_now_ms() - t0;
	ASSERT_EQ(0, ret);
	EXPECT_TRUE(WIFSIGNALED(status));
	/* Wide margin: the loads take 6 s. */
	EXPECT_GT(3000, reaped_ms) TH_LOG("reaped after %lld ms", reaped_ms);
	/*
	 * The ring went with the child: where the kernel cancels commands
	 * (6.7 and later) they are cancelled then, and nothing holds the
	 * module long before the loads end; on 6.1 the ring's exit worker
	 * waits for the loads. Our own device and ring closed first.
	 */
	io_uring_queue_exit(&self->ring);
	self->ring_up = false;
	close(self->dev);
	self->dev = -1;
	t0 = cp_now_ms();
	ret = cp_unload(CP_MODULE, 20000);
	ASSERT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
	self->loaded = false;
	unload_ms = cp_now_ms() - t0;
	if (u_kernel_cancels())
		EXPECT_GT(3000, unload_ms)
			TH_LOG("unloaded after %lld ms: not cancelled", unload_ms);
	TH_LOG("reaped after %lld ms, unloaded after %lld ms (%s)", reaped_ms,
	       unload_ms, u_kernel_cancels() ? "cancelable" : "no cancellation");
}

TEST_HARNESS_MAIN
