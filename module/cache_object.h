/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cache object, struct cacheproxy_cache: what the core (cache.c,
 * flight.c, table.c) and the strategies share. Everything else (the faces,
 * the tests) holds a cache only as the opaque pointer of cache.h.
 */
#ifndef _CACHEPROXY_CACHE_OBJECT_H
#define _CACHEPROXY_CACHE_OBJECT_H

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/types.h>

#include "cache.h"
#include "clock.h"
#include "counters.h"
#include "loader.h"
#include "strategy.h"

/**
 * struct cacheproxy_cache - one cache
 * @cfg:	its configuration, shards resolved (never 0)
 * @ops:	its strategy
 * @priv:	the strategy's state
 * @loader:	its loader
 * @counters:	its counters
 * @seed:	jhash seed of its keys
 * @clock:	its clock
 * @flights:	flights alive (struct cacheproxy_flight), at most
 *		cfg.max_inflight; atomic, no lock
 * @waiters:	asynchronous lookups waiting (struct cacheproxy_waiter), at
 *		most cfg.max_async; atomic, no lock
 * @test_sticky_refs: test hook: CLOCK eviction finds every entry referenced
 *		again right after clearing its bit, as lock-free readers
 *		hitting every entry non-stop would
 * @test_pause:	test hook: 1 = the next flight allocation waits (then 2)
 *		until the test sets 0 or the cache shuts down
 */
struct cacheproxy_cache {
	struct cacheproxy_config cfg;
	const struct cacheproxy_strategy_ops *ops;
	void *priv;
	struct cacheproxy_loader loader;
	struct cacheproxy_counters counters;
	u32 seed;
	struct cacheproxy_clock clock;
	/* Written by every miss: off the line every hit reads. */
	atomic_t flights ____cacheline_aligned_in_smp;
	/* Written by every asynchronous miss: off the flights' line too. */
	atomic_t waiters ____cacheline_aligned_in_smp;
	atomic_t test_pause;
	bool test_sticky_refs;
};

/* The cache's clock; see clock.h for where to read it. */
static inline u64 cacheproxy_now(const struct cacheproxy_cache *cache)
{
	return cacheproxy_clock_now(&cache->clock);
}

/* True once teardown began: no new load may start. */
static inline bool cacheproxy_cache_stopping(const struct cacheproxy_cache *cache)
{
	return READ_ONCE(cache->loader.stopping);
}

/*
 * Counts one lookup and its outcome. Strategies call it once per lookup,
 * before they sleep: a caller waiting for a load is already a miss. Inline:
 * with a constant @how (a hit) it is one per-CPU increment.
 */
static inline void cacheproxy_count_lookup(struct cacheproxy_cache *cache,
					   enum cacheproxy_outcome how)
{
	struct cacheproxy_counters *c = &cache->counters;

	if (how == CACHEPROXY_HIT) {
		cacheproxy_counters_inc(c, CACHEPROXY_CTR_HITS);
		return;
	}
	cacheproxy_counters_inc(c, CACHEPROXY_CTR_MISSES);
	if (how == CACHEPROXY_COALESCED)
		cacheproxy_counters_inc(c, CACHEPROXY_CTR_COALESCED);
	else if (how == CACHEPROXY_NOMEM)
		cacheproxy_counters_inc(c, CACHEPROXY_CTR_NOMEM);
	else if (how == CACHEPROXY_REFUSED)
		cacheproxy_counters_inc(c, CACHEPROXY_CTR_REFUSED);
}

#endif /* _CACHEPROXY_CACHE_OBJECT_H */
