// SPDX-License-Identifier: GPL-2.0
/*
 * The test hooks of test_hooks.h: each sets one of the cache's test
 * fields, which the code paths concerned read (strategy.h says which).
 */
#include <linux/atomic.h>
#include <linux/export.h>
#include <linux/wait.h>
#include <kunit/visibility.h>

#include "cache_object.h"
#include "test_hooks.h"

/* Test hook: moves the cache's clock @ns forward. */
void cacheproxy_test_advance_clock(struct cacheproxy_cache *cache, u64 ns)
{
	atomic64_add(ns, &cache->clock.offset);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_test_advance_clock);

/*
 * Test hook: while @closed, loads wait before their delay, until reopened
 * or the cache is destroyed.
 */
void cacheproxy_test_gate_loads(struct cacheproxy_cache *cache, bool closed)
{
	WRITE_ONCE(cache->loader.gate_closed, closed);
	wake_up_all(&cache->loader.wait);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_test_gate_loads);

/*
 * Test hook: while @held, the strategy's owner thread (kthread) handles no
 * message; teardown's quiesce stage releases it. No effect on the
 * strategies without an owner.
 */
void cacheproxy_test_hold_owner(struct cacheproxy_cache *cache, bool held)
{
	if (cache->ops->test_hold)
		cache->ops->test_hold(cache, held);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_test_hold_owner);

/* Test hook: see struct cacheproxy_cache. */
void cacheproxy_test_sticky_refs(struct cacheproxy_cache *cache, bool sticky)
{
	WRITE_ONCE(cache->test_sticky_refs, sticky);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_test_sticky_refs);

/*
 * Test hook: while @paused, the next flight allocation (a miss about to
 * start a load, between its first look and its registration) waits; it
 * goes on when the test unpauses or the cache shuts down.
 */
void cacheproxy_test_pause_flight(struct cacheproxy_cache *cache, bool paused)
{
	atomic_set(&cache->test_pause, paused ? 1 : 0);
	wake_up_all(&cache->loader.wait);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_test_pause_flight);

/* Test hook: whether a flight allocation waits at the pause now. */
bool cacheproxy_test_flight_paused(struct cacheproxy_cache *cache)
{
	return atomic_read(&cache->test_pause) == 2;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_test_flight_paused);
