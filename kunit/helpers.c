// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the KUnit suites of cacheproxy (see helpers.h).
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "helpers.h"

static const enum cacheproxy_strategy cacheproxy_kunit_strategy_list[] = {
	CACHEPROXY_SPINLOCK,
	CACHEPROXY_KTHREAD,
	CACHEPROXY_SHARD,
	CACHEPROXY_SINGLEFLIGHT,
	CACHEPROXY_BUSTED,	/* the negative control, where built */
};

static void strategy_desc(const enum cacheproxy_strategy *s, char *desc)
{
	strscpy(desc, cacheproxy_strategy_name(*s), KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(strategy, cacheproxy_kunit_strategy_list, strategy_desc);

const void *cacheproxy_kunit_strategies(const void *prev, char *desc)
{
	const enum cacheproxy_strategy *s;

	BUILD_BUG_ON(ARRAY_SIZE(cacheproxy_kunit_strategy_list) !=
		     CACHEPROXY_NR_STRATEGIES);
	s = strategy_gen_params(prev, desc);
	if (s && *s == CACHEPROXY_BUSTED && !CACHEPROXY_HAS_BUSTED)
		s = strategy_gen_params(s, desc);
	return s;
}

void cacheproxy_kunit_config(struct kunit *test,
			     struct cacheproxy_config *cfg)
{
	const enum cacheproxy_strategy *strategy = test->param_value;

	KUNIT_ASSERT_NOT_NULL(test, strategy);
	*cfg = (struct cacheproxy_config) {
		.strategy = *strategy,
		.capacity = 64,
		.capacity_bytes = 1UL << 20,
		.ttl_ms = 10000,
		.neg_ttl_ms = 5000,
		.load_delay_us = 10,
		.slow_load_ms = 2000,
		.loader_max_active = 16,
		.shards = 4,
		.max_inflight = 1024,
		.max_async = 4096,
		.lat_sample = 1,
		.loader = CACHEPROXY_LOADER_SYNTHETIC,
		.upcall_timeout_ms = 5000,
	};
}

KUNIT_DEFINE_ACTION_WRAPPER(cache_destroy_action, cacheproxy_cache_destroy,
			    struct cacheproxy_cache *);
KUNIT_DEFINE_ACTION_WRAPPER(kvfree_action, kvfree, const void *);

struct cacheproxy_cache *cacheproxy_kunit_cache(struct kunit *test,
						const struct cacheproxy_config *cfg)
{
	struct cacheproxy_cache *cache;
	int ret;

	cache = cacheproxy_cache_create(cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cache);
	ret = kunit_add_action_or_reset(test, cache_destroy_action, cache);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return cache;
}

void cacheproxy_kunit_cache_destroy(struct kunit *test,
				    struct cacheproxy_cache *cache)
{
	kunit_release_action(test, cache_destroy_action, cache);
}

bool cacheproxy_kunit_parse_value(const char *key, const char *val,
				  size_t len, u64 *seq)
{
	return cacheproxy_synth_value_ok(key, strlen(key), val, len, seq);
}

int cacheproxy_kunit_get(struct kunit *test, struct cacheproxy_cache *cache,
			 const char *key, u64 *seq)
{
	char val[CACHEPROXY_KUNIT_SYNTH_VAL_SIZE];
	size_t len = 0;
	bool ok;
	int ret;

	*seq = 0;
	ret = cacheproxy_lookup(cache, key, strlen(key), val, sizeof(val),
				&len);
	if (ret)
		return ret;
	ok = len <= CACHEPROXY_VALUE_MAX &&
	     cacheproxy_kunit_parse_value(key, val, len, seq);
	KUNIT_EXPECT_TRUE_MSG(test, ok, "value of '%s' is '%.*s' (%zu bytes), want '%s:N'",
			      key, (int)min_t(size_t, len, CACHEPROXY_VALUE_MAX),
			      val, len, key);
	return ret;
}

void cacheproxy_kunit_stats(struct cacheproxy_cache *cache,
			    struct cacheproxy_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	cacheproxy_stats_read(cache, st);
}

bool cacheproxy_kunit_wait_misses(struct cacheproxy_cache *cache, u64 misses,
				  u64 loads_started,
				  struct cacheproxy_stats *st)
{
	unsigned long deadline;

	deadline = jiffies + msecs_to_jiffies(CACHEPROXY_KUNIT_WAIT_MS);
	for (;;) {
		cacheproxy_kunit_stats(cache, st);
		if (st->misses >= misses && st->loads_started >= loads_started)
			return true;
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(1000, 2000);
	}
}

bool cacheproxy_kunit_quiesce(struct cacheproxy_cache *cache,
			      struct cacheproxy_stats *st)
{
	unsigned long deadline;

	deadline = jiffies + msecs_to_jiffies(CACHEPROXY_KUNIT_WAIT_MS);
	for (;;) {
		cacheproxy_kunit_stats(cache, st);
		if (!st->inflight)
			return true;
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(1000, 2000);
	}
}

void cacheproxy_kunit_lookup_one(struct cacheproxy_kunit_worker *w)
{
	struct cacheproxy_kunit_burst *b = w->burst;

	w->ret = cacheproxy_lookup(b->cache, b->key, strlen(b->key), w->val,
				   sizeof(w->val), &w->val_len);
}

void cacheproxy_kunit_many_key(char *buf, size_t size, unsigned int i)
{
	snprintf(buf, size, "many-%u", i);
}

void cacheproxy_kunit_lookup_many(struct cacheproxy_kunit_worker *w)
{
	struct cacheproxy_kunit_burst *b = w->burst;
	unsigned int r;
	char key[16];
	u64 seq;
	int ret;

	for (r = 0; r < b->rounds; r++) {
		/* Threads start at different keys and meet on every one. */
		cacheproxy_kunit_many_key(key, sizeof(key),
					  (w->id * 7 + r) % b->nr_keys);
		ret = cacheproxy_lookup(b->cache, key, strlen(key), w->val,
					sizeof(w->val), &w->val_len);
		if (ret)
			w->failed++;
		else if (w->val_len > CACHEPROXY_VALUE_MAX ||
			 !cacheproxy_kunit_parse_value(key, w->val, w->val_len,
							&seq))
			w->wrong++;
		cond_resched();
	}
}

/*
 * Waits at the barrier, does its work, says so, then waits for
 * kthread_stop(): a thread never exits on its own, so the test can always
 * stop it, and the module's text outlives it.
 */
static int burst_thread(void *data)
{
	struct cacheproxy_kunit_worker *w = data;
	struct cacheproxy_kunit_burst *b = w->burst;

	cacheproxy_start_gate_arrive(&b->gate);
	if (cacheproxy_start_gate_wait(&b->gate))
		b->work(w);
	/* Fully ordered: the results are visible to whoever sees done. */
	atomic_inc_return(&b->done);
	wake_up_all(&b->wq);
	wait_event_idle(b->wq, kthread_should_stop());
	return 0;
}

/*
 * Runs when the case ends, before the cache is destroyed: lets every thread
 * through the barrier and the loader gate, then stops it. A user loader's
 * loads have no gate: the cache is shut down, which fails those left
 * unanswered (a case that failed half-way), so no thread waits for them.
 */
static void burst_release(void *data)
{
	struct cacheproxy_kunit_burst *b = data;
	unsigned int i;

	cacheproxy_start_gate_open(&b->gate);
	cacheproxy_test_gate_loads(b->cache, false);
	if (cacheproxy_cache_upcall(b->cache))
		cacheproxy_cache_shutdown(b->cache);
	for (i = 0; i < b->nr; i++)
		kthread_stop(b->tasks[i]);
}

struct cacheproxy_kunit_burst *
cacheproxy_kunit_burst_alloc(struct kunit *test, struct cacheproxy_cache *cache,
			     void (*work)(struct cacheproxy_kunit_worker *w))
{
	struct cacheproxy_kunit_burst *b;
	int ret;

	/* A value buffer per worker: tens of KiB, so not one kmalloc. */
	b = kvzalloc(sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	ret = kunit_add_action_or_reset(test, kvfree_action, b);
	KUNIT_ASSERT_EQ(test, ret, 0);
	b->cache = cache;
	b->work = work;
	cacheproxy_start_gate_init(&b->gate);
	atomic_set(&b->done, 0);
	init_waitqueue_head(&b->wq);
	/* Registered after the cache's action and the allocation: runs first. */
	ret = kunit_add_action_or_reset(test, burst_release, b);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return b;
}

void cacheproxy_kunit_burst_start(struct kunit *test,
				  struct cacheproxy_kunit_burst *b,
				  unsigned int nr)
{
	struct task_struct *task;
	long left, wait;
	unsigned int i;

	KUNIT_ASSERT_LE(test, nr, CACHEPROXY_KUNIT_THREADS);
	for (i = 0; i < nr; i++) {
		b->workers[i].burst = b;
		b->workers[i].id = i;
		task = kthread_run(burst_thread, &b->workers[i],
				   "cacheproxy_kunit/%u", i);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(task), "kthread_run: %ld",
				       PTR_ERR(task));
		b->tasks[b->nr++] = task;
	}
	wait = msecs_to_jiffies(CACHEPROXY_KUNIT_WAIT_MS);
	left = cacheproxy_start_gate_wait_arrived(&b->gate, nr, wait);
	KUNIT_ASSERT_GT_MSG(test, left, 0, "%d of %u threads at the barrier",
			    atomic_read(&b->gate.arrived), nr);
}

void cacheproxy_kunit_burst_go(struct cacheproxy_kunit_burst *b)
{
	cacheproxy_start_gate_open(&b->gate);
}

bool cacheproxy_kunit_burst_join(struct cacheproxy_kunit_burst *b)
{
	return wait_event_idle_timeout(b->wq,
				       atomic_read_acquire(&b->done) == b->nr,
				       msecs_to_jiffies(CACHEPROXY_KUNIT_JOIN_MS)) > 0;
}
