// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the cache semantics every strategy shares, one caller at a
 * time: the value contract, hits, lifetimes, errors, capacity, invalidation,
 * flush, stats and bad input. Each case runs once per strategy, on a cache
 * of its own; lifetimes are crossed by moving the cache's clock.
 */
#include <kunit/test.h>
#include <linux/string.h>
#include <linux/time64.h>

#include "helpers.h"

static void advance_ms(struct cacheproxy_cache *cache, u64 ms)
{
	cacheproxy_test_advance_clock(cache, ms * NSEC_PER_MSEC);
}

/* The checker the other cases rely on rejects what it must. */
static void value_parser(struct kunit *test)
{
	u64 seq = 0;

	KUNIT_EXPECT_TRUE(test, cacheproxy_kunit_parse_value("k", "k:1", 3, &seq));
	KUNIT_EXPECT_EQ(test, seq, 1);
	KUNIT_EXPECT_TRUE(test, cacheproxy_kunit_parse_value("a:b", "a:b:42", 6,
							     &seq));
	KUNIT_EXPECT_EQ(test, seq, 42);
	KUNIT_EXPECT_FALSE(test, cacheproxy_kunit_parse_value("k", "k:0", 3, &seq));
	KUNIT_EXPECT_FALSE(test, cacheproxy_kunit_parse_value("k", "k:01", 4, &seq));
	KUNIT_EXPECT_FALSE(test, cacheproxy_kunit_parse_value("k", "k:", 2, &seq));
	KUNIT_EXPECT_FALSE(test, cacheproxy_kunit_parse_value("k", "x:1", 3, &seq));
	KUNIT_EXPECT_FALSE(test, cacheproxy_kunit_parse_value("k", "k1", 2, &seq));
	KUNIT_EXPECT_FALSE(test, cacheproxy_kunit_parse_value("k", "k:1a", 4, &seq));
	KUNIT_EXPECT_FALSE(test, cacheproxy_kunit_parse_value("k", "k:1\n", 4, &seq));
	/* Only @len bytes count: the "1" after them is not part of the value. */
	KUNIT_EXPECT_FALSE(test, cacheproxy_kunit_parse_value("k", "k:1", 2, &seq));
	KUNIT_EXPECT_FALSE(test, cacheproxy_kunit_parse_value("k", "k:99999999999999999999",
							      22, &seq));
}

/* A value is "KEY:N", N the sequence number of its load: later loads count up. */
static void value_contract(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	u64 a, b;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "alpha", &a), 0);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "beta", &b), 0);
	KUNIT_EXPECT_GT(test, b, a);
}

static void hit_after_miss(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 first, second;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "hit", &first), 0);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "hit", &second), 0);
	KUNIT_EXPECT_EQ(test, first, second);

	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.lookups, 2);
	KUNIT_EXPECT_EQ(test, st.misses, 1);
	KUNIT_EXPECT_EQ(test, st.hits, 1);
	KUNIT_EXPECT_EQ(test, st.loads_started, 1);
	KUNIT_EXPECT_EQ(test, st.loads_ok, 1);
	KUNIT_EXPECT_EQ(test, st.loads_failed, 0);
	KUNIT_EXPECT_EQ(test, st.coalesced, 0);
	KUNIT_EXPECT_EQ(test, st.entries, 1);
	KUNIT_ASSERT_LT(test, strnlen(st.strategy, sizeof(st.strategy)),
			sizeof(st.strategy));
	KUNIT_EXPECT_STREQ(test, st.strategy,
			   cacheproxy_strategy_name(cfg.strategy));
}

/*
 * A value lives ttl_ms on the cache's clock: alive 1 s before its end,
 * gone at it. The clock is moved, not slept on; real time passing during
 * the case only ages the entry more, so it could only make the "alive"
 * probe fail, never let a wrong lifetime pass (a 1 s margin: a case takes
 * milliseconds).
 */
static void ttl_expiry(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 a, b, c;

	cacheproxy_kunit_config(test, &cfg);
	cfg.ttl_ms = 7000;
	cache = cacheproxy_kunit_cache(test, &cfg);

	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "ttl", &a), 0);
	advance_ms(cache, cfg.ttl_ms - 1000);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "ttl", &b), 0);
	KUNIT_EXPECT_EQ(test, b, a);
	/* Exactly at the end (plus the real time that passed): expired. */
	advance_ms(cache, 1000);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "ttl", &c), 0);
	KUNIT_EXPECT_GT(test, c, a);

	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 2);
	KUNIT_EXPECT_EQ(test, st.hits, 1);
	KUNIT_EXPECT_EQ(test, st.expirations, 1);
	KUNIT_EXPECT_EQ(test, st.entries, 1);
}

static void ttl_zero_never_expires(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 a, b;

	cacheproxy_kunit_config(test, &cfg);
	cfg.ttl_ms = 0;
	cache = cacheproxy_kunit_cache(test, &cfg);

	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "forever", &a), 0);
	advance_ms(cache, 24ULL * 3600 * 1000);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "forever", &b), 0);
	KUNIT_EXPECT_EQ(test, b, a);

	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 1);
	KUNIT_EXPECT_EQ(test, st.expirations, 0);
}

/*
 * ENOENT is cached for exactly neg_ttl_ms (a value other than the
 * default, and other than the lifetime of values): still cached 1 s before
 * its end, gone at it, while a value of the same age lives on.
 */
static void negative_cached(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 seq, alive, still;

	cacheproxy_kunit_config(test, &cfg);
	cfg.ttl_ms = 60000;
	cfg.neg_ttl_ms = 3000;
	cache = cacheproxy_kunit_cache(test, &cfg);

	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "alive", &alive), 0);
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "enoent-x", &seq),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "enoent-x", &seq),
			-ENOENT);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 2);
	KUNIT_EXPECT_EQ(test, st.loads_failed, 1);
	KUNIT_EXPECT_EQ(test, st.hits, 1);

	/* 1 s before the end of neg_ttl_ms: still cached (a hit). */
	advance_ms(cache, cfg.neg_ttl_ms - 1000);
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "enoent-x", &seq),
			-ENOENT);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 2);
	KUNIT_EXPECT_EQ(test, st.hits, 2);

	/* At the end: loaded again; the value (60 s) lives on. */
	advance_ms(cache, 1000);
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "enoent-x", &seq),
			-ENOENT);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "alive", &still), 0);
	KUNIT_EXPECT_EQ(test, still, alive);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 3);
	KUNIT_EXPECT_EQ(test, st.loads_failed, 2);
	KUNIT_EXPECT_EQ(test, st.expirations, 1);
}

static void negative_ttl_zero_not_cached(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 seq;

	cacheproxy_kunit_config(test, &cfg);
	cfg.neg_ttl_ms = 0;
	cache = cacheproxy_kunit_cache(test, &cfg);

	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "enoent-y", &seq),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "enoent-y", &seq),
			-ENOENT);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 2);
	KUNIT_EXPECT_EQ(test, st.hits, 0);
}

static void eio_not_cached(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 seq;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "eio-x", &seq),
			-EIO);
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "eio-x", &seq),
			-EIO);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 2);
	KUNIT_EXPECT_EQ(test, st.loads_failed, 2);
	KUNIT_EXPECT_EQ(test, st.loads_ok, 0);
	KUNIT_EXPECT_EQ(test, st.hits, 0);
	KUNIT_EXPECT_EQ(test, st.entries, 0);
}

#define CAPACITY_SMALL	4
#define CAPACITY_KEYS	(3 * CAPACITY_SMALL)

static void capacity_eviction(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 last = 0, again;
	char key[16];
	unsigned int i;

	cacheproxy_kunit_config(test, &cfg);
	cfg.capacity = CAPACITY_SMALL;
	cache = cacheproxy_kunit_cache(test, &cfg);

	for (i = 0; i < CAPACITY_KEYS; i++) {
		snprintf(key, sizeof(key), "cap-%u", i);
		KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, key, &last),
				0);
		KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
		KUNIT_EXPECT_LE_MSG(test, st.entries, CAPACITY_SMALL,
				    "after %u keys", i + 1);
		if (i == 0)
			KUNIT_EXPECT_EQ(test, st.entries, 1);
	}

	/* Every value loaded is still cached or was evicted. */
	KUNIT_EXPECT_EQ(test, st.loads_ok, CAPACITY_KEYS);
	KUNIT_EXPECT_EQ(test, st.entries + st.evictions, CAPACITY_KEYS);
	KUNIT_EXPECT_GE(test, st.evictions, CAPACITY_KEYS - CAPACITY_SMALL);
	KUNIT_EXPECT_EQ(test, st.expirations, 0);
	KUNIT_EXPECT_EQ(test, st.invalidations, 0);

	/* The newest entry is never the one evicted to make room for itself. */
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, key, &again), 0);
	KUNIT_EXPECT_EQ(test, again, last);
}

#define BYTES_BUDGET	8192
#define BYTES_KEYS	160
/* A key "bytes-NNN" and its value "bytes-NNN:N" fit the 128-byte class. */
#define BYTES_ENTRY	128

/*
 * The byte budget is held like the entry count: entries far below the
 * count capacity, each counted at its slab object size, are evicted so
 * that the bytes never exceed capacity_bytes.
 */
static void capacity_bytes_eviction(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 last = 0, again;
	char key[16];
	unsigned int i;

	cacheproxy_kunit_config(test, &cfg);
	cfg.capacity = 4 * BYTES_KEYS;
	cfg.capacity_bytes = BYTES_BUDGET;
	cache = cacheproxy_kunit_cache(test, &cfg);

	for (i = 0; i < BYTES_KEYS; i++) {
		snprintf(key, sizeof(key), "bytes-%03u", i);
		KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, key, &last),
				0);
		KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
		KUNIT_ASSERT_LE_MSG(test, st.bytes, BYTES_BUDGET,
				    "after %u keys", i + 1);
		KUNIT_ASSERT_EQ_MSG(test, st.bytes, st.entries * BYTES_ENTRY,
				    "after %u keys", i + 1);
	}
	KUNIT_EXPECT_EQ(test, st.loads_ok, BYTES_KEYS);
	KUNIT_EXPECT_EQ(test, st.entries + st.evictions, BYTES_KEYS);
	KUNIT_EXPECT_GE(test, st.evictions,
			BYTES_KEYS - BYTES_BUDGET / BYTES_ENTRY);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, key, &again), 0);
	KUNIT_EXPECT_EQ(test, again, last);

	/* A flush gives every byte back. */
	cacheproxy_flush(cache);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.entries, 0);
	KUNIT_EXPECT_EQ(test, st.bytes, 0);
}

static void invalidate_one(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 a, b, keep, kept;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "inv", &a), 0);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "keep", &keep), 0);
	KUNIT_EXPECT_EQ(test, cacheproxy_invalidate(cache, "inv", 3), 0);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.invalidations, 1);
	KUNIT_EXPECT_EQ(test, st.entries, 1);

	/* Invalidating a key that is not cached succeeds and removes nothing. */
	KUNIT_EXPECT_EQ(test, cacheproxy_invalidate(cache, "never", 5), 0);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.invalidations, 1);

	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "inv", &b), 0);
	KUNIT_EXPECT_GT(test, b, a);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "keep", &kept), 0);
	KUNIT_EXPECT_EQ(test, kept, keep);
}

static void flush_all(struct kunit *test)
{
	static const char * const keys[] = { "f1", "f2", "f3" };
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 before[ARRAY_SIZE(keys)], after;
	unsigned int i;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, keys[i],
							   &before[i]), 0);
	cacheproxy_flush(cache);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.entries, 0);
	KUNIT_EXPECT_EQ(test, st.invalidations, ARRAY_SIZE(keys));

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, keys[i],
							   &after), 0);
		KUNIT_EXPECT_GT(test, after, before[i]);
	}
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 2 * ARRAY_SIZE(keys));
}

/* Resetting the counters does not drop what is cached. */
static void stats_reset(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	u64 a, b;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "rs", &a), 0);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "rs", &b), 0);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_ASSERT_EQ(test, st.lookups, 2);

	cacheproxy_stats_reset(cache);
	cacheproxy_kunit_stats(cache, &st);
	KUNIT_EXPECT_EQ(test, st.lookups, 0);
	KUNIT_EXPECT_EQ(test, st.hits, 0);
	KUNIT_EXPECT_EQ(test, st.misses, 0);
	KUNIT_EXPECT_EQ(test, st.loads_started, 0);
	KUNIT_EXPECT_EQ(test, st.loads_ok, 0);

	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "rs", &b), 0);
	KUNIT_EXPECT_EQ(test, b, a);
	cacheproxy_kunit_stats(cache, &st);
	KUNIT_EXPECT_EQ(test, st.lookups, 1);
	KUNIT_EXPECT_EQ(test, st.hits, 1);
}

static int lookup_raw(struct cacheproxy_cache *cache, const char *key,
		      size_t key_len)
{
	char val[CACHEPROXY_KUNIT_SYNTH_VAL_SIZE];
	size_t len = 0;

	return cacheproxy_lookup(cache, key, key_len, val, sizeof(val), &len);
}

static void bad_keys(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	char *longest;
	u64 seq;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);
	longest = kunit_kzalloc(test, CACHEPROXY_KEY_MAX + 2, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, longest);
	memset(longest, 'a', CACHEPROXY_KEY_MAX + 1);

	KUNIT_EXPECT_EQ(test, lookup_raw(cache, "", 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, lookup_raw(cache, longest, CACHEPROXY_KEY_MAX + 1),
			-ENAMETOOLONG);
	KUNIT_EXPECT_EQ(test, lookup_raw(cache, "a\0b", 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, lookup_raw(cache, "a\nb", 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, lookup_raw(cache, "ab\n", 3), -EINVAL);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 0);

	/* The longest key is fine, and so is its value. */
	longest[CACHEPROXY_KEY_MAX] = '\0';
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, longest, &seq), 0);
}

static void value_buffer_too_small(struct kunit *test)
{
	char val[CACHEPROXY_KUNIT_SYNTH_VAL_SIZE];
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	size_t full = 0, len;
	u64 seq;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	KUNIT_ASSERT_EQ(test, cacheproxy_lookup(cache, "small", 5, val,
						sizeof(val), &full), 0);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_parse_value("small", val, full,
							     &seq));

	len = 0;
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup(cache, "small", 5, val,
						full - 1, &len), -ENOSPC);
	KUNIT_EXPECT_EQ(test, len, full);
	len = 0;
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup(cache, "small", 5, val, 1, &len),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, len, full);
	/* An exact fit is no error: the classic off-by-one. */
	len = 0;
	memset(val, 0, sizeof(val));
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup(cache, "small", 5, val, full,
						&len), 0);
	KUNIT_EXPECT_EQ(test, len, full);
	KUNIT_EXPECT_TRUE(test, cacheproxy_kunit_parse_value("small", val, len,
							     &seq));

	/* The value stayed cached: no second load. */
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 1);
}

static struct kunit_case cacheproxy_cache_cases[] = {
	KUNIT_CASE(value_parser),
	KUNIT_CASE_PARAM(value_contract, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(hit_after_miss, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(ttl_expiry, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(ttl_zero_never_expires, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(negative_cached, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(negative_ttl_zero_not_cached,
			 cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(eio_not_cached, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(capacity_eviction, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(capacity_bytes_eviction, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(invalidate_one, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(flush_all, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(stats_reset, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(bad_keys, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(value_buffer_too_small, cacheproxy_kunit_strategies),
	{}
};

static struct kunit_suite cacheproxy_cache_suite = {
	.name = "cacheproxy_cache",
	.test_cases = cacheproxy_cache_cases,
};

kunit_test_suite(cacheproxy_cache_suite);
