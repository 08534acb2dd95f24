// SPDX-License-Identifier: GPL-2.0
/*
 * Strategy "spinlock": one lock over everything, no deduplication.
 *
 * Data flow. A lookup takes sc->lock, and on a hit copies the value and
 * drops the lock. On a miss it drops the lock, allocates a flight of its
 * own (flight.h), registers it under sc->lock and queues its load on the
 * loader workqueue; then it sleeps on the flight. The loader's done
 * callback takes sc->lock, caches the result unless
 * an invalidate of the key (or a flush) made the flight stale meanwhile,
 * unregisters the flight, drops the lock and answers the caller. N callers
 * missing the same key at once make N flights and N loads: the thundering
 * herd this baseline is here to show. Its flights are registered only so
 * that invalidate and flush can reach them; nobody ever joins one.
 *
 * Why not simply hold the lock across the load, as the Go demo's mutex
 * does? A spinlock holder may not sleep, and a load sleeps for
 * milliseconds to minutes: every other CPU that wants the lock would spin
 * that long with preemption off. A sleeping lock (a mutex) could be held
 * across it, but would then serialise even the hits behind every load.
 *
 * Lifetime. A flight holds the caller's reference and the load's. A caller
 * interrupted while it waits drops its reference and returns (EINTR even
 * with SA_RESTART: a restart could not rejoin the load); the load goes on,
 * fills the cache for others, and the done callback's put frees the
 * flight.
 *
 * Locks: sc->lock protects the table and the flight set; held only for
 * table and set operations, never across a sleep.
 */
#include <linux/err.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "cache_object.h"
#include "entry.h"
#include "flight.h"
#include "strategy.h"
#include "table.h"

/**
 * struct spin_cache - the state of the strategy
 * @lock:	protects @table and @flights
 * @table:	the entries
 * @flights:	every flight in flight, several per key possibly
 */
struct spin_cache {
	spinlock_t lock; /* protects table, flights */
	struct cacheproxy_table table;
	struct cacheproxy_flight_set flights;
};

/*
 * Done callback (process context, no lock held: see struct
 * cacheproxy_load): cache the result, then answer the caller.
 */
static void spin_load_done(struct cacheproxy_load *load)
{
	struct cacheproxy_flight *f = cacheproxy_flight_of(load);
	struct spin_cache *sc = f->cache->priv;

	spin_lock(&sc->lock);
	cacheproxy_flight_land(f, &sc->table);
	cacheproxy_flight_unregister(&sc->flights, f);
	spin_unlock(&sc->lock);
	cacheproxy_flight_finish(f);
}

static int spin_lookup(struct cacheproxy_cache *cache,
		       const struct cacheproxy_key_ref *k,
		       struct cacheproxy_value *v,
		       struct cacheproxy_flight **wait)
{
	struct spin_cache *sc = cache->priv;
	struct cacheproxy_flight *f;
	struct cacheproxy_entry *e;
	int ret;

	spin_lock(&sc->lock);
	e = cacheproxy_table_find(&sc->table, k->key, k->len, k->hash);
	if (e) {
		ret = cacheproxy_entry_copy(e, v);
		spin_unlock(&sc->lock);
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		return ret;
	}
	spin_unlock(&sc->lock);

	f = cacheproxy_flight_alloc(cache, k);
	if (IS_ERR(f))
		return cacheproxy_flight_alloc_failed(cache, PTR_ERR(f));
	cacheproxy_count_lookup(cache, CACHEPROXY_MISS);
	spin_lock(&sc->lock);
	cacheproxy_flight_register(&sc->flights, f);
	spin_unlock(&sc->lock);
	cacheproxy_flight_start(f, spin_load_done);
	*wait = f;
	return CACHEPROXY_LOOKUP_WAIT;
}

static void spin_invalidate(struct cacheproxy_cache *cache,
			    const struct cacheproxy_key_ref *k)
{
	struct spin_cache *sc = cache->priv;

	spin_lock(&sc->lock);
	cacheproxy_table_invalidate(&sc->table, k->key, k->len, k->hash);
	cacheproxy_flight_set_invalidate(&sc->flights, k);
	spin_unlock(&sc->lock);
}

static void spin_flush(struct cacheproxy_cache *cache)
{
	struct spin_cache *sc = cache->priv;

	spin_lock(&sc->lock);
	cacheproxy_flight_set_flush(&sc->flights);
	spin_unlock(&sc->lock);
	cacheproxy_table_flush(&sc->table);
}

static unsigned long spin_show_chunks(struct cacheproxy_cache *cache)
{
	struct spin_cache *sc = cache->priv;

	return cacheproxy_table_chunks(&sc->table);
}

static void spin_show_chunk(struct cacheproxy_cache *cache, struct seq_file *m,
			    unsigned long chunk)
{
	struct spin_cache *sc = cache->priv;

	spin_lock(&sc->lock);
	cacheproxy_table_show_chunk(&sc->table, m, chunk);
	spin_unlock(&sc->lock);
}

static int spin_init(struct cacheproxy_cache *cache)
{
	struct spin_cache *sc;
	int ret;

	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc)
		return -ENOMEM;
	spin_lock_init(&sc->lock);
	ret = cacheproxy_table_init(&sc->table, cache, cache->cfg.capacity,
				    cache->cfg.capacity_bytes, &sc->lock);
	if (ret)
		goto err_table;
	ret = cacheproxy_flight_set_init(&sc->flights, cache->cfg.max_inflight,
					 &sc->lock);
	if (ret)
		goto err_flights;
	cache->priv = sc;
	return 0;

err_flights:
	cacheproxy_table_uninit(&sc->table);
err_table:
	kfree(sc);
	return ret;
}

/* The loader is drained: every flight was unregistered. */
static void spin_uninit(struct cacheproxy_cache *cache)
{
	struct spin_cache *sc = cache->priv;

	cacheproxy_flight_set_uninit(&sc->flights);
	cacheproxy_table_uninit(&sc->table);
	kfree(sc);
	cache->priv = NULL;
}

const struct cacheproxy_strategy_ops cacheproxy_spinlock_ops = {
	.name = "spinlock",
	.dedup = false,
	.init = spin_init,
	.uninit = spin_uninit,
	.lookup = spin_lookup,
	.invalidate = spin_invalidate,
	.flush = spin_flush,
	.show_chunks = spin_show_chunks,
	.show_chunk = spin_show_chunk,
};
