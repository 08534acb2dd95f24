// SPDX-License-Identifier: GPL-2.0
/*
 * Strategy "shard": the table split into independently locked shards by
 * key hash, lock-free hits, per-shard deduplication of loads (the
 * sync.Map LoadOrStore idea).
 *
 * Data flow. A lookup picks the shard of its key's hash. Hit path, no lock
 * and no reference: under rcu_read_lock() it walks the shard's bucket,
 * and if the entry is there and alive copies the value and sets the CLOCK
 * bit with WRITE_ONCE. An entry removed meanwhile stays readable until the
 * grace period ends (entries are freed with kfree_rcu()), so a hit may
 * return a value that was invalidated a moment ago, as with any lock-free
 * read. Miss path: take the shard's lock, look again (removing an expired
 * entry), then LoadOrStore the in-flight record of the key: attach to the
 * load already in flight, or register a new one and queue its load. Sleep
 * killably on the record's completion. The done callback, in workqueue
 * context, takes the shard's lock once to insert the result (if the shard's
 * generation is unchanged: no invalidate or flush came in between) and to
 * unregister the record, then completes every waiter.
 *
 * Capacity: every shard holds capacity / shards entries; the shard count
 * is lowered to a power of two not above capacity so that each shard holds
 * at least one, and the total never exceeds capacity.
 *
 * Lifetime. An in-flight record is refcounted: one reference for the load,
 * one per waiter; a killed waiter drops its own and returns -EINTR.
 */
#include <linux/cache.h>
#include <linux/completion.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "entry.h"
#include "strategy.h"
#include "table.h"

/**
 * struct shard - one independently locked part of the cache
 * @lock:	protects @table (its writers; readers may use RCU alone)
 *		and @inflight
 * @table:	the entries of the keys hashed here
 * @inflight:	the loads in flight of those keys (struct shard_flight)
 */
struct shard {
	spinlock_t lock; /* protects table writers and inflight */
	struct cacheproxy_table table;
	struct list_head inflight;
} ____cacheline_aligned_in_smp;

/**
 * struct shard_cache - the state of the strategy
 * @cache:	the cache it belongs to
 * @nr:		number of shards, a power of two
 * @shards:	the shards
 */
struct shard_cache {
	struct cacheproxy_cache *cache;
	unsigned int nr;
	struct shard shards[];
};

/**
 * struct shard_flight - one load in flight and everyone waiting for it
 * @node:	link in shard->inflight while registered (under shard->lock);
 *		invalidate and flush unlink it (the result is then not cached,
 *		by @gen) so that later lookups start a fresh load
 * @load:	the load; its result is what every waiter gets
 * @ref:	one for the load, one per waiter
 * @done:	completed (complete_all) when the result is set
 * @cache:	the cache
 * @shard:	the shard of the key
 * @gen:	the shard table's generation when the load was registered
 * @key:	the key
 */
struct shard_flight {
	struct list_head node;
	struct cacheproxy_load load;
	refcount_t ref;
	struct completion done;
	struct cacheproxy_cache *cache;
	struct shard *shard;
	u64 gen;
	char key[];
};

static struct shard *shard_of(struct shard_cache *sc, u32 hash)
{
	return &sc->shards[hash & (sc->nr - 1)];
}

static void shard_flight_put(struct shard_flight *f)
{
	if (refcount_dec_and_test(&f->ref)) {
		cacheproxy_entry_put(f->load.entry);
		kfree(f);
	}
}

static struct shard_flight *shard_flight_find(struct shard *sh,
					      const struct cacheproxy_key_ref *k)
{
	struct shard_flight *f;

	lockdep_assert_held(&sh->lock);
	list_for_each_entry(f, &sh->inflight, node) {
		if (f->load.hash == k->hash && f->load.key_len == k->len &&
		    !memcmp(f->key, k->key, k->len))
			return f;
	}
	return NULL;
}

/* Loader workqueue context: insert and unregister in one section. */
static void shard_load_done(struct cacheproxy_load *load)
{
	struct shard_flight *f = container_of(load, struct shard_flight, load);
	struct shard *sh = f->shard;
	u64 now = cacheproxy_now(f->cache);

	spin_lock(&sh->lock);
	if (load->entry && cacheproxy_table_gen(&sh->table) == f->gen)
		cacheproxy_table_insert(&sh->table, load->entry, now);
	list_del_init(&f->node);
	spin_unlock(&sh->lock);
	complete_all(&f->done);
	shard_flight_put(f);
}

/* The lock-free hit path; returns false on a miss. */
static bool shard_lookup_rcu(struct shard *sh,
			     const struct cacheproxy_key_ref *k, u64 now,
			     char *val, size_t val_size, size_t *val_len,
			     int *ret)
{
	struct cacheproxy_entry *e;
	bool hit = false;

	rcu_read_lock();
	e = cacheproxy_table_find_rcu(&sh->table, k->key, k->len, k->hash);
	if (e && !cacheproxy_entry_expired(e, now)) {
		*ret = cacheproxy_entry_copy(e, val, val_size, val_len);
		if (!READ_ONCE(e->referenced))
			WRITE_ONCE(e->referenced, true);
		hit = true;
	}
	rcu_read_unlock();
	return hit;
}

static int shard_lookup(struct cacheproxy_cache *cache,
			const struct cacheproxy_key_ref *k, char *val,
			size_t val_size, size_t *val_len)
{
	struct shard_cache *sc = cache->priv;
	struct shard *sh = shard_of(sc, k->hash);
	u64 now = cacheproxy_now(cache);
	struct shard_flight *f, *mine;
	struct cacheproxy_entry *e;
	int ret;

	if (shard_lookup_rcu(sh, k, now, val, val_size, val_len, &ret)) {
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		return ret;
	}

	/* Allocated outside the lock; freed unused if not needed. */
	mine = kmalloc(struct_size(mine, key, k->len), GFP_KERNEL);

	spin_lock(&sh->lock);
	e = cacheproxy_table_find(&sh->table, k->key, k->len, k->hash, now);
	if (e) {
		ret = cacheproxy_entry_copy(e, val, val_size, val_len);
		spin_unlock(&sh->lock);
		kfree(mine);
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		return ret;
	}
	f = shard_flight_find(sh, k);
	if (f) {
		/* Load: attach to the load in flight. */
		refcount_inc(&f->ref);
		spin_unlock(&sh->lock);
		kfree(mine);
		cacheproxy_count_lookup(cache, CACHEPROXY_COALESCED);
		goto wait;
	}
	if (!mine) {
		spin_unlock(&sh->lock);
		cacheproxy_count_lookup(cache, CACHEPROXY_NOMEM);
		return -ENOMEM;
	}
	/* Store: register our own load. */
	f = mine;
	refcount_set(&f->ref, 2);
	init_completion(&f->done);
	f->cache = cache;
	f->shard = sh;
	f->gen = cacheproxy_table_gen(&sh->table);
	memcpy(f->key, k->key, k->len);
	cacheproxy_load_init(&f->load, f->key, k->len, k->hash);
	list_add(&f->node, &sh->inflight);
	spin_unlock(&sh->lock);
	cacheproxy_count_lookup(cache, CACHEPROXY_MISS);
	cacheproxy_loader_queue(&cache->loader, &f->load, shard_load_done);

wait:
	ret = cacheproxy_load_wait(&f->load, &f->done, val, val_size, val_len);
	shard_flight_put(f);
	return ret;
}

static void shard_invalidate(struct cacheproxy_cache *cache,
			     const struct cacheproxy_key_ref *k)
{
	struct shard *sh = shard_of(cache->priv, k->hash);
	struct shard_flight *f;

	spin_lock(&sh->lock);
	cacheproxy_table_invalidate(&sh->table, k->key, k->len, k->hash);
	f = shard_flight_find(sh, k);
	if (f)
		list_del_init(&f->node);
	spin_unlock(&sh->lock);
}

static void shard_flush(struct cacheproxy_cache *cache)
{
	struct shard_cache *sc = cache->priv;
	unsigned int i;

	for (i = 0; i < sc->nr; i++) {
		struct shard *sh = &sc->shards[i];
		struct shard_flight *f, *tmp;

		spin_lock(&sh->lock);
		cacheproxy_table_flush(&sh->table);
		list_for_each_entry_safe(f, tmp, &sh->inflight, node)
			list_del_init(&f->node);
		spin_unlock(&sh->lock);
	}
}

static void shard_show_entries(struct cacheproxy_cache *cache,
			       struct seq_file *m)
{
	struct shard_cache *sc = cache->priv;
	u64 now = cacheproxy_now(cache);
	unsigned int i;

	for (i = 0; i < sc->nr; i++) {
		struct shard *sh = &sc->shards[i];

		spin_lock(&sh->lock);
		cacheproxy_table_show(&sh->table, m, now);
		spin_unlock(&sh->lock);
	}
}

static void shard_free(struct shard_cache *sc, unsigned int nr)
{
	while (nr--)
		cacheproxy_table_uninit(&sc->shards[nr].table);
	kvfree(sc);
}

static int shard_init(struct cacheproxy_cache *cache)
{
	unsigned int nr = min(cache->cfg.shards,
			      rounddown_pow_of_two(cache->cfg.capacity));
	struct shard_cache *sc;
	unsigned int i;
	int ret;

	sc = kvzalloc(struct_size(sc, shards, nr), GFP_KERNEL);
	if (!sc)
		return -ENOMEM;
	sc->cache = cache;
	sc->nr = nr;
	for (i = 0; i < nr; i++) {
		struct shard *sh = &sc->shards[i];

		spin_lock_init(&sh->lock);
		INIT_LIST_HEAD(&sh->inflight);
		ret = cacheproxy_table_init(&sh->table,
					    cache->cfg.capacity / nr,
					    cache->cfg.ttl_ms,
					    cache->cfg.neg_ttl_ms, &sh->lock,
					    &cache->counters);
		if (ret) {
			shard_free(sc, i);
			return ret;
		}
	}
	cache->priv = sc;
	return 0;
}

/* The loader is drained: no load is registered any more. */
static void shard_uninit(struct cacheproxy_cache *cache)
{
	struct shard_cache *sc = cache->priv;

	shard_free(sc, sc->nr);
	cache->priv = NULL;
}

const struct cacheproxy_strategy_ops cacheproxy_shard_ops = {
	.name = "shard",
	.init = shard_init,
	.uninit = shard_uninit,
	.lookup = shard_lookup,
	.invalidate = shard_invalidate,
	.flush = shard_flush,
	.show_entries = shard_show_entries,
};
