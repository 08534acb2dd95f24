// SPDX-License-Identifier: GPL-2.0
/*
 * Strategy "shard": the table split into independently locked shards by
 * key hash, lock-free hits, per-shard deduplication of loads (the
 * sync.Map LoadOrStore idea).
 *
 * Data flow. A lookup picks the shard of its key's hash. Hit path, no
 * lock: under rcu_read_lock() it walks the shard's bucket, and if the
 * entry is there and alive copies the value and sets the CLOCK bit with
 * WRITE_ONCE. A value too long for the caller's buffer (over 256 bytes
 * through GET, any through /proc) is handed over by a reference instead,
 * taken only if the entry still has one: such a hit costs two atomic
 * operations on the entry. An entry removed meanwhile stays readable
 * until the grace period ends (entries are freed after one), so a hit may return a
 * value that was invalidated a moment ago, as with any lock-free read.
 * Miss path: take the shard's lock, look again (removing an expired
 * entry), then LoadOrStore the key's flight (flight.h): join the flight
 * already registered, or — after allocating one outside the lock and
 * looking once more — register a new one and queue its load. Sleep on the
 * flight. The done callback (the loader's context) takes the shard's lock
 * once to cache the result (unless an invalidate of the key or a flush
 * made the flight stale) and to unregister the flight, then answers every
 * waiter.
 *
 * Capacity: every shard holds capacity / shards entries and
 * capacity_bytes / shards bytes; the shard count is lowered to a power of
 * two so that each shard holds at least one entry, and one of the largest
 * size, and the totals never exceed the capacities. The price of
 * per-shard capacity: a hot shard evicts while other shards still have
 * room, so the cache may evict before it holds capacity entries.
 *
 * Lifetime. A flight is refcounted: one reference for the load, one per
 * waiter; an interrupted waiter drops its own and returns.
 *
 * Locks: each shard's lock protects its table's writers and its flight
 * set; no two shard locks are ever held together.
 */
#include <linux/cache.h>
#include <linux/err.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "cache_object.h"
#include "entry.h"
#include "flight.h"
#include "strategy.h"
#include "table.h"

/**
 * struct shard - one independently locked part of the cache
 * @lock:	protects @table (its writers; readers may use RCU alone)
 *		and @flights
 * @table:	the entries of the keys hashed here
 * @flights:	the registered flights of those keys, one per key
 */
struct shard {
	spinlock_t lock; /* protects table writers and flights */
	struct cacheproxy_table table;
	struct cacheproxy_flight_set flights;
} ____cacheline_aligned_in_smp;

/**
 * struct shard_cache - the state of the strategy
 * @nr:		number of shards, a power of two
 * @chunks:	chunks of one shard's table in /proc/cacheproxy/entries
 * @shards:	the shards
 */
struct shard_cache {
	unsigned int nr;
	unsigned long chunks;
	struct shard shards[];
};

static struct shard *shard_of(struct shard_cache *sc, u32 hash)
{
	return &sc->shards[hash & (sc->nr - 1)];
}

/*
 * Done callback (process context, no lock held: see struct
 * cacheproxy_load): cache and unregister in one section.
 */
static void shard_load_done(struct cacheproxy_load *load)
{
	struct cacheproxy_flight *f = cacheproxy_flight_of(load);
	struct shard *sh = f->home;

	spin_lock(&sh->lock);
	cacheproxy_flight_land(f, &sh->table);
	cacheproxy_flight_unregister(&sh->flights, f);
	spin_unlock(&sh->lock);
	cacheproxy_flight_finish(f);
}

/*
 * The lock-free hit path; returns false on a miss. A long value is handed
 * over by reference (see struct cacheproxy_value); an entry whose last
 * reference went meanwhile cannot be, and counts as a miss.
 */
static bool shard_lookup_rcu(struct cacheproxy_cache *cache, struct shard *sh,
			     const struct cacheproxy_key_ref *k,
			     struct cacheproxy_value *v, int *ret)
{
	struct cacheproxy_entry *e;
	bool hit = false;

	rcu_read_lock();
	e = cacheproxy_table_find_rcu(&sh->table, k->key, k->len, k->hash);
	if (e && !cacheproxy_entry_expired(e, cacheproxy_now(cache))) {
		*ret = cacheproxy_entry_copy(e, v);
		hit = *ret != -ESTALE;
		if (hit && !READ_ONCE(e->referenced))
			WRITE_ONCE(e->referenced, true);
	}
	rcu_read_unlock();
	return hit;
}

/*
 * Under sh->lock: a hit (copied, returns true), or a reference to the
 * key's flight in *@f (or NULL when none is registered).
 */
static bool shard_find_locked(struct shard *sh,
			      const struct cacheproxy_key_ref *k,
			      struct cacheproxy_value *v, int *ret,
			      struct cacheproxy_flight **f)
{
	struct cacheproxy_entry *e;

	lockdep_assert_held(&sh->lock);
	e = cacheproxy_table_find(&sh->table, k->key, k->len, k->hash);
	if (e) {
		*ret = cacheproxy_entry_copy(e, v);
		return true;
	}
	*f = cacheproxy_flight_find(&sh->flights, k);
	if (*f)
		cacheproxy_flight_get(*f);
	return false;
}

static int shard_lookup(struct cacheproxy_cache *cache,
			const struct cacheproxy_key_ref *k,
			struct cacheproxy_value *v,
			struct cacheproxy_flight **wait)
{
	struct shard_cache *sc = cache->priv;
	struct shard *sh = shard_of(sc, k->hash);
	struct cacheproxy_flight *f, *mine = NULL;
	bool hit;
	int ret;

	if (shard_lookup_rcu(cache, sh, k, v, &ret)) {
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		return ret;
	}

	spin_lock(&sh->lock);
	hit = shard_find_locked(sh, k, v, &ret, &f);
	spin_unlock(&sh->lock);
	if (!hit && !f) {
		/*
		 * Store: allocate outside the lock, then look once more (also
		 * when the allocation failed: near max_inflight, a flight of
		 * the key may have come meanwhile, and joining needs no slot).
		 */
		mine = cacheproxy_flight_alloc(cache, k);
		spin_lock(&sh->lock);
		hit = shard_find_locked(sh, k, v, &ret, &f);
		if (!hit && !f && !IS_ERR(mine)) {
			mine->home = sh;
			cacheproxy_flight_register(&sh->flights, mine);
		}
		spin_unlock(&sh->lock);
		if (IS_ERR(mine)) {
			if (!hit && !f)
				return cacheproxy_flight_alloc_failed(cache,
								      PTR_ERR(mine));
			mine = NULL;
		}
	}
	if (hit || f) {
		/* Found after all: a spare flight was never registered. */
		if (mine)
			cacheproxy_flight_put(mine);
		cacheproxy_count_lookup(cache, hit ? CACHEPROXY_HIT :
						     CACHEPROXY_COALESCED);
		if (hit)
			return ret;
	} else {
		f = mine;
		cacheproxy_count_lookup(cache, CACHEPROXY_MISS);
		cacheproxy_flight_start(f, shard_load_done);
	}
	*wait = f;
	return CACHEPROXY_LOOKUP_WAIT;
}

static void shard_invalidate(struct cacheproxy_cache *cache,
			     const struct cacheproxy_key_ref *k)
{
	struct shard *sh = shard_of(cache->priv, k->hash);

	spin_lock(&sh->lock);
	cacheproxy_table_invalidate(&sh->table, k->key, k->len, k->hash);
	cacheproxy_flight_set_invalidate(&sh->flights, k);
	spin_unlock(&sh->lock);
}

static void shard_flush(struct cacheproxy_cache *cache)
{
	struct shard_cache *sc = cache->priv;
	unsigned int i;

	for (i = 0; i < sc->nr; i++) {
		struct shard *sh = &sc->shards[i];

		spin_lock(&sh->lock);
		cacheproxy_flight_set_flush(&sh->flights);
		spin_unlock(&sh->lock);
		cacheproxy_table_flush(&sh->table);
	}
}

static unsigned long shard_show_chunks(struct cacheproxy_cache *cache)
{
	struct shard_cache *sc = cache->priv;

	return sc->nr * sc->chunks;
}

static void shard_show_chunk(struct cacheproxy_cache *cache, struct seq_file *m,
			     unsigned long chunk)
{
	struct shard_cache *sc = cache->priv;
	struct shard *sh = &sc->shards[chunk / sc->chunks];

	spin_lock(&sh->lock);
	cacheproxy_table_show_chunk(&sh->table, m, chunk % sc->chunks);
	spin_unlock(&sh->lock);
}

static void shard_free(struct shard_cache *sc, unsigned int nr)
{
	while (nr--) {
		cacheproxy_flight_set_uninit(&sc->shards[nr].flights);
		cacheproxy_table_uninit(&sc->shards[nr].table);
	}
	kvfree(sc);
}

static int shard_init(struct cacheproxy_cache *cache)
{
	/* capacity_bytes is at least CACHEPROXY_ENTRY_BYTES_MAX (cache.c). */
	unsigned long by_bytes = cache->cfg.capacity_bytes /
				 CACHEPROXY_ENTRY_BYTES_MAX;
	unsigned int nr = min(cache->cfg.shards,
			      rounddown_pow_of_two(cache->cfg.capacity));
	struct shard_cache *sc;
	unsigned int i;
	int ret;

	nr = min_t(unsigned long, nr, rounddown_pow_of_two(by_bytes));
	sc = kvzalloc(struct_size(sc, shards, nr), GFP_KERNEL);
	if (!sc)
		return -ENOMEM;
	sc->nr = nr;
	for (i = 0; i < nr; i++) {
		struct shard *sh = &sc->shards[i];

		spin_lock_init(&sh->lock);
		ret = cacheproxy_table_init(&sh->table, cache,
					    cache->cfg.capacity / nr,
					    cache->cfg.capacity_bytes / nr,
					    &sh->lock);
		if (ret)
			goto err_shard;
		ret = cacheproxy_flight_set_init(&sh->flights,
						 cache->cfg.max_inflight / nr,
						 &sh->lock);
		if (ret) {
			cacheproxy_table_uninit(&sh->table);
			goto err_shard;
		}
	}
	sc->chunks = cacheproxy_table_chunks(&sc->shards[0].table);
	cache->priv = sc;
	return 0;

err_shard:
	shard_free(sc, i);
	return ret;
}

/* The loader is drained: no flight is registered any more. */
static void shard_uninit(struct cacheproxy_cache *cache)
{
	struct shard_cache *sc = cache->priv;

	shard_free(sc, sc->nr);
	cache->priv = NULL;
}

const struct cacheproxy_strategy_ops cacheproxy_shard_ops = {
	.name = "shard",
	.dedup = true,
	.init = shard_init,
	.uninit = shard_uninit,
	.lookup = shard_lookup,
	.invalidate = shard_invalidate,
	.flush = shard_flush,
	.show_chunks = shard_show_chunks,
	.show_chunk = shard_show_chunk,
};
