// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of concurrent callers: kernel threads released together on a
 * barrier. Where a case needs every caller to miss the same load, the
 * cache's loader gate holds the load at its start until the counters show
 * all the callers waiting, so the burst is deterministic, not a race the
 * test usually wins.
 *
 * The spinlock strategy is the control of these cases: it does not dedup,
 * so the same burst must show 16 loads there. That proves the burst really
 * puts 16 callers on one key at once, and that "one load" for the other
 * strategies is their doing, not the test's.
 */
#include <kunit/test.h>
#include <linux/string.h>

#include "helpers.h"

#define NR_THREADS	CACHEPROXY_KUNIT_THREADS

static bool dedups(const struct cacheproxy_config *cfg)
{
	return cacheproxy_strategy_dedup(cfg->strategy);
}

/*
 * Starts NR_THREADS threads looking up @key with the loader gate closed,
 * waits until all of them have missed (and, without dedup, every load has
 * been queued), opens the gate and waits for them. Returns the burst.
 */
static struct cacheproxy_kunit_burst *
gated_burst(struct kunit *test, struct cacheproxy_cache *cache,
	    const struct cacheproxy_config *cfg, const char *key)
{
	u64 loads = dedups(cfg) ? 1 : NR_THREADS;
	struct cacheproxy_kunit_burst *b;
	struct cacheproxy_stats st;
	bool ok;

	cacheproxy_test_gate_loads(cache, true);
	b = cacheproxy_kunit_burst_alloc(test, cache,
					 cacheproxy_kunit_lookup_one);
	b->key = key;
	cacheproxy_kunit_burst_start(test, b, NR_THREADS);
	cacheproxy_kunit_burst_go(b);

	ok = cacheproxy_kunit_wait_misses(cache, NR_THREADS, loads, &st);
	KUNIT_ASSERT_TRUE_MSG(test, ok,
			      "gate closed: misses %llu, loads_started %llu; want %u and %llu",
			      st.misses, st.loads_started, NR_THREADS, loads);
	/* With the gate closed no load can finish: all 16 share this window. */
	KUNIT_EXPECT_EQ(test, st.loads_started, loads);
	KUNIT_EXPECT_EQ(test, st.hits, 0);

	cacheproxy_test_gate_loads(cache, false);
	KUNIT_ASSERT_TRUE_MSG(test, cacheproxy_kunit_burst_join(b),
			      "threads did not finish once the gate opened");
	return b;
}

static void one_key_burst(struct kunit *test)
{
	u64 loads, seq[NR_THREADS];
	struct cacheproxy_kunit_burst *b;
	struct cacheproxy_kunit_worker *w;
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	unsigned int i, j;
	bool ok;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);
	loads = dedups(&cfg) ? 1 : NR_THREADS;
	b = gated_burst(test, cache, &cfg, "burst");

	for (i = 0; i < NR_THREADS; i++) {
		w = &b->workers[i];
		seq[i] = 0;
		KUNIT_EXPECT_EQ_MSG(test, w->ret, 0, "thread %u", i);
		if (w->ret)
			continue;
		ok = w->val_len <= CACHEPROXY_VALUE_MAX &&
		     cacheproxy_kunit_parse_value("burst", w->val, w->val_len,
						  &seq[i]);
		KUNIT_EXPECT_TRUE_MSG(test, ok, "thread %u got '%.*s'", i,
				      (int)min_t(size_t, w->val_len,
						 CACHEPROXY_VALUE_MAX), w->val);
	}
	for (i = 1; i < NR_THREADS; i++) {
		if (dedups(&cfg)) {
			/* One load: everyone has its value, the same N. */
			KUNIT_EXPECT_EQ_MSG(test, seq[i], seq[0], "thread %u", i);
			continue;
		}
		/* One load each: every N is different. */
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE_MSG(test, seq[i], seq[j],
					    "threads %u and %u", i, j);
	}

	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.lookups, NR_THREADS);
	KUNIT_EXPECT_EQ(test, st.misses, NR_THREADS);
	KUNIT_EXPECT_EQ(test, st.hits, 0);
	KUNIT_EXPECT_EQ(test, st.loads_started, loads);
	KUNIT_EXPECT_EQ(test, st.loads_ok, loads);
	KUNIT_EXPECT_EQ(test, st.loads_failed, 0);
	KUNIT_EXPECT_EQ(test, st.coalesced, NR_THREADS - loads);
}

/* A failed load answers every caller that waited for it with its error. */
static void error_burst(struct kunit *test)
{
	struct cacheproxy_kunit_burst *b;
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	unsigned int i;
	u64 loads, seq;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);
	loads = dedups(&cfg) ? 1 : NR_THREADS;
	b = gated_burst(test, cache, &cfg, "eio-burst");

	for (i = 0; i < NR_THREADS; i++)
		KUNIT_EXPECT_EQ_MSG(test, b->workers[i].ret, -EIO, "thread %u", i);

	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.misses, NR_THREADS);
	KUNIT_EXPECT_EQ(test, st.loads_started, loads);
	KUNIT_EXPECT_EQ(test, st.loads_failed, loads);
	KUNIT_EXPECT_EQ(test, st.loads_ok, 0);
	KUNIT_EXPECT_EQ(test, st.coalesced, NR_THREADS - loads);
	KUNIT_EXPECT_EQ(test, st.entries, 0);

	/* A shared EIO is not cached either: the next lookup loads again. */
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "eio-burst", &seq),
			-EIO);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, loads + 1);
}

#define MANY_KEYS	32
#define MANY_ROUNDS	256

static void many_key_burst(struct kunit *test)
{
	struct cacheproxy_kunit_burst *b;
	struct cacheproxy_kunit_worker *w;
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 lat = 0;
	unsigned int i;

	cacheproxy_kunit_config(test, &cfg);
	/* Fewer than the keys: the bound must hold while CLOCK evicts. */
	cfg.capacity = MANY_KEYS / 2;
	cache = cacheproxy_kunit_cache(test, &cfg);
	b = cacheproxy_kunit_burst_alloc(test, cache,
					 cacheproxy_kunit_lookup_many);
	b->nr_keys = MANY_KEYS;
	b->rounds = MANY_ROUNDS;
	cacheproxy_kunit_burst_start(test, b, NR_THREADS);
	cacheproxy_kunit_burst_go(b);
	KUNIT_ASSERT_TRUE_MSG(test, cacheproxy_kunit_burst_join(b),
			      "threads did not finish");

	for (i = 0; i < NR_THREADS; i++) {
		w = &b->workers[i];
		KUNIT_EXPECT_EQ_MSG(test, w->failed, 0, "thread %u", i);
		KUNIT_EXPECT_EQ_MSG(test, w->wrong, 0, "thread %u", i);
	}

	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	/* lookups is hits + misses: every lookup made counted once. */
	KUNIT_EXPECT_EQ(test, st.lookups, NR_THREADS * MANY_ROUNDS);
	KUNIT_EXPECT_EQ(test, st.loads_ok + st.loads_failed, st.loads_started);
	KUNIT_EXPECT_EQ(test, st.loads_failed, 0);
	/* A miss either started its load or was served by another's. */
	KUNIT_EXPECT_EQ(test, st.misses, st.loads_started + st.coalesced +
					 st.nomem + st.refused);
	KUNIT_EXPECT_EQ(test, st.nomem, 0);
	KUNIT_EXPECT_EQ(test, st.refused, 0);
	KUNIT_EXPECT_GE(test, st.loads_started, MANY_KEYS);
	KUNIT_EXPECT_LE(test, st.entries, cfg.capacity);
	KUNIT_EXPECT_GT(test, st.evictions, 0);
	KUNIT_EXPECT_EQ(test, st.expirations, 0);
	KUNIT_EXPECT_EQ(test, st.invalidations, 0);
	if (dedups(&cfg)) {
		/* Each load filled a key that was absent: cached or evicted. */
		KUNIT_EXPECT_EQ(test, st.loads_ok, st.entries + st.evictions);
	} else {
		/* Concurrent loads of one key overwrite each other. */
		KUNIT_EXPECT_GE(test, st.loads_ok, st.entries + st.evictions);
		KUNIT_EXPECT_EQ(test, st.coalesced, 0);
	}
	for (i = 0; i < CACHEPROXY_LAT_BUCKETS; i++)
		lat += st.lat_ns_log2[i];
	KUNIT_EXPECT_EQ(test, lat, st.lookups);
}

/*
 * A load in flight when its key is invalidated answers its waiter but does
 * not put its (stale) value in the cache.
 */
static void invalidate_inflight(struct kunit *test)
{
	struct cacheproxy_kunit_burst *b;
	struct cacheproxy_kunit_worker *w;
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 first = 0, second;
	bool ok;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	cacheproxy_test_gate_loads(cache, true);
	b = cacheproxy_kunit_burst_alloc(test, cache,
					 cacheproxy_kunit_lookup_one);
	b->key = "stale";
	cacheproxy_kunit_burst_start(test, b, 1);
	cacheproxy_kunit_burst_go(b);
	ok = cacheproxy_kunit_wait_misses(cache, 1, 1, &st);
	KUNIT_ASSERT_TRUE_MSG(test, ok, "misses %llu, loads_started %llu",
			      st.misses, st.loads_started);

	KUNIT_EXPECT_EQ(test, cacheproxy_invalidate(cache, "stale", 5), 0);
	cacheproxy_test_gate_loads(cache, false);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_burst_join(b));

	w = &b->workers[0];
	KUNIT_ASSERT_EQ(test, w->ret, 0);
	ok = w->val_len <= CACHEPROXY_VALUE_MAX &&
	     cacheproxy_kunit_parse_value("stale", w->val, w->val_len, &first);
	KUNIT_EXPECT_TRUE(test, ok);

	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.entries, 0);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "stale", &second),
			0);
	KUNIT_EXPECT_GT(test, second, first);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 2);
}

static struct kunit_case cacheproxy_burst_cases[] = {
	KUNIT_CASE_PARAM(one_key_burst, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(error_burst, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(many_key_burst, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(invalidate_inflight, cacheproxy_kunit_strategies),
	{}
};

static struct kunit_suite cacheproxy_burst_suite = {
	.name = "cacheproxy_burst",
	.test_cases = cacheproxy_burst_cases,
};

kunit_test_suite(cacheproxy_burst_suite);
