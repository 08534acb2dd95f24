// SPDX-License-Identifier: GPL-2.0
/*
 * Strategy "singleflight": a table under one lock, plus a separate group of
 * flights under a lock of its own (Go's x/sync/singleflight).
 *
 * Data flow. A lookup takes sc->lock; a hit copies the value and returns.
 * A miss drops it and takes sc->group_lock: if a flight for the key is
 * registered, the caller joins it (a follower) and sleeps on it. Otherwise
 * the caller drops group_lock, allocates a flight (flight.h) and takes
 * group_lock again: if a flight of the key appeared meanwhile it joins that
 * one (even if its own allocation failed), else it becomes the leader and
 * registers its own. Then it looks at
 * the table once more under sc->lock. That second look closes the
 * double-load race: a load that finished between the caller's miss and its
 * registration has already inserted its value (the done callback inserts
 * before it unregisters), so the leader finds it, answers its followers
 * with it and loads nothing. Else it queues the load. The done callback,
 * in the loader's context, inserts the result under sc->lock unless an
 * invalidate of the key (or a flush) made the flight stale, unregisters
 * the flight under group_lock and answers it: leader and followers all get
 * the leader's value or error. Exactly one load per key per in-flight
 * window.
 *
 * Locks: sc->lock and sc->group_lock are never held together. Invalidate
 * and flush make flights stale under group_lock before they remove
 * entries under sc->lock; the done callback reads the stale flag under
 * sc->lock, so it either sees it or inserts before the removal that
 * follows (flight.c).
 *
 * Lifetime. A flight is refcounted: one reference for the load (or for the
 * leader's second look, which stands in for it), one per waiter. A waiter
 * interrupted while it waits drops its reference and returns; the last put
 * frees the flight and the result entry it holds.
 */
#include <linux/err.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "cache_object.h"
#include "entry.h"
#include "flight.h"
#include "plant.h"
#include "strategy.h"
#include "table.h"

/**
 * struct sf_cache - the state of the strategy
 * @lock:	protects @table
 * @table:	the entries
 * @group_lock:	protects @group
 * @group:	the registered flights, at most one per key
 */
struct sf_cache {
	spinlock_t lock; /* protects table */
	struct cacheproxy_table table;
	spinlock_t group_lock; /* protects group */
	struct cacheproxy_flight_set group;
};

/*
 * Done callback (process context, no lock held: see struct
 * cacheproxy_load): insert first, then unregister (see above).
 */
static void sf_load_done(struct cacheproxy_load *load)
{
	struct cacheproxy_flight *f = cacheproxy_flight_of(load);
	struct sf_cache *sc = f->cache->priv;

	spin_lock(&sc->lock);
	cacheproxy_flight_land(f, &sc->table);
	spin_unlock(&sc->lock);
	spin_lock(&sc->group_lock);
	cacheproxy_flight_unregister(&sc->group, f);
	spin_unlock(&sc->group_lock);
	cacheproxy_flight_finish(f);
}

/* Returns a new reference to the live entry of @k, or NULL. */
static struct cacheproxy_entry *sf_table_get(struct sf_cache *sc,
					     const struct cacheproxy_key_ref *k)
{
	struct cacheproxy_entry *e;

	spin_lock(&sc->lock);
	e = cacheproxy_table_find(&sc->table, k->key, k->len, k->hash);
	if (e)
		cacheproxy_entry_get(e);
	spin_unlock(&sc->lock);
	return e;
}

/* Returns a new reference to the registered flight of @k, or NULL. */
static struct cacheproxy_flight *sf_join(struct sf_cache *sc,
					 const struct cacheproxy_key_ref *k)
{
	struct cacheproxy_flight *f;

	lockdep_assert_held(&sc->group_lock);
	f = cacheproxy_flight_find(&sc->group, k);
	return f ? cacheproxy_flight_get(f) : NULL;
}

static int sf_lookup(struct cacheproxy_cache *cache,
		     const struct cacheproxy_key_ref *k,
		     struct cacheproxy_value *v,
		     struct cacheproxy_flight **wait)
{
	struct sf_cache *sc = cache->priv;
	struct cacheproxy_flight *f, *mine;
	struct cacheproxy_entry *e;
	int ret;

	e = sf_table_get(sc, k);
	if (e) {
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		ret = cacheproxy_entry_copy(e, v);
		cacheproxy_entry_put(e);
		return ret;
	}

	spin_lock(&sc->group_lock);
	f = sf_join(sc, k);
	spin_unlock(&sc->group_lock);
	if (f) {
		cacheproxy_count_lookup(cache, CACHEPROXY_COALESCED);
		goto wait;
	}

	/*
	 * Allocated outside group_lock: it may sleep. Look again even when
	 * it failed: near max_inflight, a leader may have registered the
	 * key meanwhile, and following needs no slot.
	 */
	mine = cacheproxy_flight_alloc(cache, k);
	spin_lock(&sc->group_lock);
	f = sf_join(sc, k);
	if (!f && !IS_ERR(mine))
		cacheproxy_flight_register(&sc->group, mine);
	spin_unlock(&sc->group_lock);
	if (f) {
		/* Follower after all: a leader registered meanwhile. */
		if (!IS_ERR(mine))
			cacheproxy_flight_put(mine);
		cacheproxy_count_lookup(cache, CACHEPROXY_COALESCED);
		goto wait;
	}
	if (IS_ERR(mine))
		return cacheproxy_flight_alloc_failed(cache, PTR_ERR(mine));

	/* Leader: look at the table again. */
	f = mine;
	e = CACHEPROXY_PLANT_NO_SECOND_LOOK ? NULL : sf_table_get(sc, k);
	if (e) {
		/*
		 * A load finished meanwhile: share its result with the
		 * followers that joined, load nothing, and answer the leader
		 * at once, a hit.
		 */
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		spin_lock(&sc->group_lock);
		cacheproxy_flight_unregister(&sc->group, f);
		spin_unlock(&sc->group_lock);
		cacheproxy_flight_answer(f, e);
		ret = cacheproxy_flight_result(f, v);
		cacheproxy_flight_put(f);
		return ret;
	}
	cacheproxy_count_lookup(cache, CACHEPROXY_MISS);
	cacheproxy_flight_start(f, sf_load_done);

wait:
	*wait = f;
	return CACHEPROXY_LOOKUP_WAIT;
}

static void sf_invalidate(struct cacheproxy_cache *cache,
			  const struct cacheproxy_key_ref *k)
{
	struct sf_cache *sc = cache->priv;

	spin_lock(&sc->group_lock);
	cacheproxy_flight_set_invalidate(&sc->group, k);
	spin_unlock(&sc->group_lock);

	spin_lock(&sc->lock);
	cacheproxy_table_invalidate(&sc->table, k->key, k->len, k->hash);
	spin_unlock(&sc->lock);
}

static void sf_flush(struct cacheproxy_cache *cache)
{
	struct sf_cache *sc = cache->priv;

	spin_lock(&sc->group_lock);
	cacheproxy_flight_set_flush(&sc->group);
	spin_unlock(&sc->group_lock);
	cacheproxy_table_flush(&sc->table);
}

static unsigned long sf_show_chunks(struct cacheproxy_cache *cache)
{
	struct sf_cache *sc = cache->priv;

	return cacheproxy_table_chunks(&sc->table);
}

static void sf_show_chunk(struct cacheproxy_cache *cache, struct seq_file *m,
			  unsigned long chunk)
{
	struct sf_cache *sc = cache->priv;

	spin_lock(&sc->lock);
	cacheproxy_table_show_chunk(&sc->table, m, chunk);
	spin_unlock(&sc->lock);
}

static int sf_init(struct cacheproxy_cache *cache)
{
	struct sf_cache *sc;
	int ret;

	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc)
		return -ENOMEM;
	spin_lock_init(&sc->lock);
	spin_lock_init(&sc->group_lock);
	ret = cacheproxy_table_init(&sc->table, cache, cache->cfg.capacity,
				    cache->cfg.capacity_bytes, &sc->lock);
	if (ret)
		goto err_table;
	ret = cacheproxy_flight_set_init(&sc->group, cache->cfg.max_inflight,
					 &sc->group_lock);
	if (ret)
		goto err_group;
	cache->priv = sc;
	return 0;

err_group:
	cacheproxy_table_uninit(&sc->table);
err_table:
	kfree(sc);
	return ret;
}

/* The loader is drained: every flight was finished and unregistered. */
static void sf_uninit(struct cacheproxy_cache *cache)
{
	struct sf_cache *sc = cache->priv;

	cacheproxy_flight_set_uninit(&sc->group);
	cacheproxy_table_uninit(&sc->table);
	kfree(sc);
	cache->priv = NULL;
}

const struct cacheproxy_strategy_ops cacheproxy_singleflight_ops = {
	.name = "singleflight",
	.dedup = true,
	.init = sf_init,
	.uninit = sf_uninit,
	.lookup = sf_lookup,
	.invalidate = sf_invalidate,
	.flush = sf_flush,
	.show_chunks = sf_show_chunks,
	.show_chunk = sf_show_chunk,
};
