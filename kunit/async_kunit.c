// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the asynchronous lookup (cacheproxy_lookup_start() and
 * its waiter), the core under the io_uring face, for every strategy:
 * a hit answers at once and a miss calls back once; a waiter cancelled
 * before the answer is never called back and the load goes on for the
 * others; one cancelled after is not cancelled; shutdown answers the
 * waiters; max_async bounds them; an answered flight gives its
 * max_inflight slot back while a waiter still holds it.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/slab.h>

#include "cache.h"
#include "entry.h"
#include "helpers.h"

/* A waiter and what its callback saw. */
struct async_w {
	struct cacheproxy_waiter w;
	struct completion called;
	atomic_t calls;
};

static void async_done(struct cacheproxy_waiter *w)
{
	struct async_w *a = container_of(w, struct async_w, w);

	atomic_inc(&a->calls);
	complete(&a->called);
}

/* Starts an asynchronous lookup of @key into @a; returns its result. */
static int async_start(struct cacheproxy_cache *cache, const char *key,
		       struct async_w *a, char *val, size_t size)
{
	struct cacheproxy_value v = { .buf = val, .size = size };

	init_completion(&a->called);
	atomic_set(&a->calls, 0);
	INIT_LIST_HEAD(&a->w.node);
	return cacheproxy_lookup_start(cache, key, strlen(key), &v, &a->w);
}

/* Ends @a after its callback; returns the result, the value in @val. */
static int async_end(struct async_w *a, char *val, size_t size, size_t *len)
{
	struct cacheproxy_value v = { .buf = val, .size = size };
	int ret;

	ret = cacheproxy_lookup_end(&a->w, &v);
	*len = v.len;
	return ret;
}

static bool async_called(struct async_w *a)
{
	return wait_for_completion_timeout(&a->called,
					   msecs_to_jiffies(CACHEPROXY_KUNIT_WAIT_MS));
}

static void async_hit_and_miss(struct kunit *test)
{
	char val[CACHEPROXY_KUNIT_SYNTH_VAL_SIZE];
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	struct async_w *a;
	size_t len = 0;
	bool watched;
	u64 seq;
	int ret;

	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	ret = async_start(cache, "async", a, val, sizeof(val));
	KUNIT_ASSERT_EQ(test, ret, -EINPROGRESS);
	watched = cacheproxy_lookup_watch(&a->w, async_done);
	if (watched)
		KUNIT_ASSERT_TRUE(test, async_called(a));
	ret = async_end(a, val, sizeof(val), &len);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, cacheproxy_kunit_parse_value("async", val, len,
							     &seq));
	/* Called back once when it watched, never when it was too late. */
	KUNIT_EXPECT_EQ(test, atomic_read(&a->calls), watched ? 1 : 0);

	/* Now a hit: answered at once, no waiter. */
	ret = async_start(cache, "async", a, val, sizeof(val));
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.lookups, 2);
	KUNIT_EXPECT_EQ(test, st.hits, 1);
	KUNIT_EXPECT_EQ(test, st.loads_started, 1);
}

/*
 * Cancelled before the answer: never called back; a second waiter of the
 * same load still gets the value (dedup strategies), and the value is
 * cached.
 */
static void async_cancel_before_answer(struct kunit *test)
{
	char val[CACHEPROXY_KUNIT_SYNTH_VAL_SIZE];
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	struct async_w *a, *b;
	size_t len = 0;
	u64 seq;
	int ret;

	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);
	cacheproxy_test_gate_loads(cache, true);

	KUNIT_ASSERT_EQ(test, async_start(cache, "gated", a, val, sizeof(val)),
			-EINPROGRESS);
	KUNIT_ASSERT_TRUE(test, cacheproxy_lookup_watch(&a->w, async_done));
	KUNIT_ASSERT_EQ(test, async_start(cache, "gated", b, val, sizeof(val)),
			-EINPROGRESS);
	KUNIT_ASSERT_TRUE(test, cacheproxy_lookup_watch(&b->w, async_done));

	KUNIT_EXPECT_TRUE(test, cacheproxy_lookup_cancel(&a->w));
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup_end(&a->w, NULL), -ECANCELED);
	cacheproxy_test_gate_loads(cache, false);

	KUNIT_ASSERT_TRUE(test, async_called(b));
	/* Too late to cancel: the answer took it off. */
	KUNIT_EXPECT_FALSE(test, cacheproxy_lookup_cancel(&b->w));
	ret = async_end(b, val, sizeof(val), &len);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, cacheproxy_kunit_parse_value("gated", val, len,
							     &seq));
	KUNIT_EXPECT_EQ(test, atomic_read(&a->calls), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->calls), 1);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	/* Cached: a synchronous lookup hits. */
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "gated", &seq), 0);
	cacheproxy_kunit_stats(cache, &st);
	KUNIT_EXPECT_EQ(test, st.hits, 1);
}

/* Shutdown answers every waiter (-ESHUTDOWN) through its callback. */
static void async_shutdown_answers(struct kunit *test)
{
	char val[CACHEPROXY_KUNIT_SYNTH_VAL_SIZE];
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct async_w *a;
	size_t len = 0;

	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);
	cacheproxy_test_gate_loads(cache, true);

	KUNIT_ASSERT_EQ(test, async_start(cache, "slow-down", a, val,
					  sizeof(val)), -EINPROGRESS);
	KUNIT_ASSERT_TRUE(test, cacheproxy_lookup_watch(&a->w, async_done));
	cacheproxy_cache_shutdown(cache);
	/* The gate stays closed: only the shutdown can answer. */
	KUNIT_ASSERT_TRUE(test, async_called(a));
	KUNIT_EXPECT_EQ(test, async_end(a, val, sizeof(val), &len), -ESHUTDOWN);
}

/*
 * max_async waiters at once: the next miss gets -EAGAIN, its load going on
 * and cached; a hit is answered all the same.
 */
static void async_bound(struct kunit *test)
{
	char val[CACHEPROXY_KUNIT_SYNTH_VAL_SIZE];
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	struct async_w *a;
	size_t len = 0;
	int i;

	a = kunit_kcalloc(test, 3, sizeof(*a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	cacheproxy_kunit_config(test, &cfg);
	cfg.max_async = 2;
	cache = cacheproxy_kunit_cache(test, &cfg);
	cacheproxy_test_gate_loads(cache, true);

	KUNIT_ASSERT_EQ(test, async_start(cache, "b0", &a[0], val, sizeof(val)),
			-EINPROGRESS);
	KUNIT_ASSERT_EQ(test, async_start(cache, "b1", &a[1], val, sizeof(val)),
			-EINPROGRESS);
	KUNIT_EXPECT_EQ(test, async_start(cache, "b2", &a[2], val, sizeof(val)),
			-EAGAIN);
	cacheproxy_kunit_stats(cache, &st);
	KUNIT_EXPECT_EQ(test, st.refused, 0);
	KUNIT_EXPECT_EQ(test, st.loads_started, 3);
	/* Given up unwatched: the slot comes back at once. */
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup_end(&a[1].w, NULL), -ECANCELED);
	KUNIT_EXPECT_EQ(test, async_start(cache, "b2", &a[2], val, sizeof(val)),
			-EINPROGRESS);
	cacheproxy_test_gate_loads(cache, false);
	for (i = 0; i < 3; i += 2) {
		if (cacheproxy_lookup_watch(&a[i].w, async_done))
			KUNIT_EXPECT_TRUE(test, async_called(&a[i]));
		KUNIT_EXPECT_EQ(test, async_end(&a[i], val, sizeof(val), &len), 0);
	}
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	/* The second "b2" joined the first's load, where loads are shared. */
	KUNIT_EXPECT_EQ(test, st.loads_started,
			cacheproxy_strategy_dedup(cfg.strategy) ? 3 : 4);
	/* Full again, and a hit still answers. */
	KUNIT_EXPECT_EQ(test, async_start(cache, "h0", &a[0], val, sizeof(val)),
			-EINPROGRESS);
	KUNIT_EXPECT_EQ(test, async_start(cache, "h1", &a[1], val, sizeof(val)),
			-EINPROGRESS);
	KUNIT_EXPECT_EQ(test, async_start(cache, "b2", &a[2], val, sizeof(val)),
			0);
	for (i = 0; i < 2; i++)
		cacheproxy_lookup_end(&a[i].w, NULL);
}

/*
 * An answered flight gives its max_inflight slot back at once, though a
 * waiter still holds it (a ring slow to reap): with max_inflight=1, a miss
 * of another key loads while the answered waiter is not ended.
 */
static void async_answered_frees_slot(struct kunit *test)
{
	char val[CACHEPROXY_KUNIT_SYNTH_VAL_SIZE];
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct async_w *a;
	size_t len = 0;
	u64 seq;

	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	cacheproxy_kunit_config(test, &cfg);
	cfg.max_inflight = 1;
	cache = cacheproxy_kunit_cache(test, &cfg);
	cacheproxy_test_gate_loads(cache, true);

	KUNIT_ASSERT_EQ(test, async_start(cache, "held", a, val, sizeof(val)),
			-EINPROGRESS);
	KUNIT_ASSERT_TRUE(test, cacheproxy_lookup_watch(&a->w, async_done));
	/* The slot is taken while the load runs. */
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "other", &seq),
			-EAGAIN);
	cacheproxy_test_gate_loads(cache, false);
	KUNIT_ASSERT_TRUE(test, async_called(a));
	/* Answered, not ended: the flight lives on, its slot is free. */
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "other", &seq), 0);
	KUNIT_EXPECT_EQ(test, async_end(a, val, sizeof(val), &len), 0);
}

static struct kunit_case cacheproxy_async_cases[] = {
	KUNIT_CASE_PARAM(async_hit_and_miss, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(async_cancel_before_answer, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(async_shutdown_answers, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(async_bound, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(async_answered_frees_slot, cacheproxy_kunit_strategies),
	{}
};

static struct kunit_suite cacheproxy_async_suite = {
	.name = "cacheproxy_async",
	.test_cases = cacheproxy_async_cases,
};

kunit_test_suite(cacheproxy_async_suite);
