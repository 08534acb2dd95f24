// SPDX-License-Identifier: GPL-2.0
/*
 * Strategy "busted": the negative control of the tests, as lock_busted is
 * locktorture's. It is built only by "make CACHEPROXY_BUSTED=1" (see
 * Kbuild), never into the module users load; only such a build accepts
 * "strategy=busted", and only there does cacheproxy_kunit run its cases
 * on it as well.
 *
 * It claims what singleflight claims, one load per key per in-flight
 * window, and breaks it with the classic check-then-act bug. Data flow: a
 * lookup takes bc->lock; a hit copies the value; a miss looks for a flight
 * of the key, and follows it if there is one. Otherwise it drops the lock
 * to allocate a flight of its own, and later registers it and queues its
 * load WITHOUT LOOKING AGAIN: every caller that missed while the lock was
 * dropped becomes a leader too, and loads. BUSTED_WINDOW_US widens that
 * window on purpose, so that the tests meet the race in a short run rather
 * than once a week.
 *
 * Everything else is right: answers are correct values or errors, results
 * are cached under the stale-flight rule, nothing leaks and lockdep stays
 * quiet. The tests that must catch it are the ones that check dedup: the
 * KUnit burst cases (loads_started and the N of every caller in one burst)
 * and the torture soak's dedup phase (the same N within one burst).
 *
 * Locks: bc->lock protects the table and the flight set.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "cache_object.h"
#include "entry.h"
#include "flight.h"
#include "strategy.h"
#include "table.h"

#define BUSTED_WINDOW_US	2000

/**
 * struct busted_cache - the state of the strategy
 * @lock:	protects @table and @flights
 * @table:	the entries
 * @flights:	the registered flights (several per key: the bug)
 */
struct busted_cache {
	spinlock_t lock; /* protects table, flights */
	struct cacheproxy_table table;
	struct cacheproxy_flight_set flights;
};

/* Done callback (process context, no lock held: see struct cacheproxy_load). */
static void busted_load_done(struct cacheproxy_load *load)
{
	struct cacheproxy_flight *f = cacheproxy_flight_of(load);
	struct busted_cache *bc = f->cache->priv;

	spin_lock(&bc->lock);
	cacheproxy_flight_land(f, &bc->table);
	cacheproxy_flight_unregister(&bc->flights, f);
	spin_unlock(&bc->lock);
	cacheproxy_flight_finish(f);
}

static int busted_lookup(struct cacheproxy_cache *cache,
			 const struct cacheproxy_key_ref *k,
			 struct cacheproxy_value *v,
			 struct cacheproxy_flight **wait)
{
	struct busted_cache *bc = cache->priv;
	struct cacheproxy_entry *e;
	struct cacheproxy_flight *f;
	int ret;

	spin_lock(&bc->lock);
	e = cacheproxy_table_find(&bc->table, k->key, k->len, k->hash);
	if (e) {
		ret = cacheproxy_entry_copy(e, v);
		spin_unlock(&bc->lock);
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		return ret;
	}
	f = cacheproxy_flight_find(&bc->flights, k);
	if (f) {
		cacheproxy_flight_get(f);
		spin_unlock(&bc->lock);
		cacheproxy_count_lookup(cache, CACHEPROXY_COALESCED);
		goto wait;
	}
	spin_unlock(&bc->lock);

	/* THE BUG: the check above is stale by the time we register. */
	f = cacheproxy_flight_alloc(cache, k);
	if (IS_ERR(f))
		return cacheproxy_flight_alloc_failed(cache, PTR_ERR(f));
	cacheproxy_count_lookup(cache, CACHEPROXY_MISS);
	usleep_range(BUSTED_WINDOW_US, 2 * BUSTED_WINDOW_US);

	spin_lock(&bc->lock);
	cacheproxy_flight_register(&bc->flights, f);
	spin_unlock(&bc->lock);
	cacheproxy_flight_start(f, busted_load_done);
wait:
	*wait = f;
	return CACHEPROXY_LOOKUP_WAIT;
}

static void busted_invalidate(struct cacheproxy_cache *cache,
			      const struct cacheproxy_key_ref *k)
{
	struct busted_cache *bc = cache->priv;

	spin_lock(&bc->lock);
	cacheproxy_table_invalidate(&bc->table, k->key, k->len, k->hash);
	cacheproxy_flight_set_invalidate(&bc->flights, k);
	spin_unlock(&bc->lock);
}

static void busted_flush(struct cacheproxy_cache *cache)
{
	struct busted_cache *bc = cache->priv;

	spin_lock(&bc->lock);
	cacheproxy_flight_set_flush(&bc->flights);
	spin_unlock(&bc->lock);
	cacheproxy_table_flush(&bc->table);
}

static unsigned long busted_show_chunks(struct cacheproxy_cache *cache)
{
	struct busted_cache *bc = cache->priv;

	return cacheproxy_table_chunks(&bc->table);
}

static void busted_show_chunk(struct cacheproxy_cache *cache,
			      struct seq_file *m, unsigned long chunk)
{
	struct busted_cache *bc = cache->priv;

	spin_lock(&bc->lock);
	cacheproxy_table_show_chunk(&bc->table, m, chunk);
	spin_unlock(&bc->lock);
}

static int busted_init(struct cacheproxy_cache *cache)
{
	struct busted_cache *bc;
	int ret;

	bc = kzalloc(sizeof(*bc), GFP_KERNEL);
	if (!bc)
		return -ENOMEM;
	spin_lock_init(&bc->lock);
	ret = cacheproxy_table_init(&bc->table, cache, cache->cfg.capacity,
				    cache->cfg.capacity_bytes, &bc->lock);
	if (ret)
		goto err_table;
	ret = cacheproxy_flight_set_init(&bc->flights, cache->cfg.max_inflight,
					 &bc->lock);
	if (ret)
		goto err_flights;
	cache->priv = bc;
	pr_warn("strategy busted: deliberately broken, a negative control for the tests\n");
	return 0;

err_flights:
	cacheproxy_table_uninit(&bc->table);
err_table:
	kfree(bc);
	return ret;
}

/* The loader is drained: every flight was unregistered by its load. */
static void busted_uninit(struct cacheproxy_cache *cache)
{
	struct busted_cache *bc = cache->priv;

	cacheproxy_flight_set_uninit(&bc->flights);
	cacheproxy_table_uninit(&bc->table);
	kfree(bc);
	cache->priv = NULL;
}

const struct cacheproxy_strategy_ops cacheproxy_busted_ops = {
	.name = "busted",
	/* Claimed as singleflight claims it, and broken: see above. */
	.dedup = true,
	.init = busted_init,
	.uninit = busted_uninit,
	.lookup = busted_lookup,
	.invalidate = busted_invalidate,
	.flush = busted_flush,
	.show_chunks = busted_show_chunks,
	.show_chunk = busted_show_chunk,
};
