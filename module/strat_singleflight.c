// SPDX-License-Identifier: GPL-2.0
/*
 * Strategy "singleflight": a table under one lock, plus a separate group of
 * loads in flight under a lock of its own (Go's x/sync/singleflight).
 *
 * Data flow. A lookup takes sc->lock; a hit copies the value and returns.
 * A miss drops it and takes sc->group_lock: if a flight for the key is
 * registered, the caller attaches to it (a follower) and sleeps killably on
 * its completion. Otherwise the caller becomes the leader: it registers a
 * new flight, drops group_lock, and then looks at the table once more under
 * sc->lock. That second look closes the double-load race: a load that
 * finished between the caller's miss and its registration has already
 * inserted its value (the done callback inserts before it unregisters), so
 * the leader finds it, answers its followers with it and loads nothing.
 * Else the leader notes the generation and queues the load. The done
 * callback, in workqueue context, inserts the result under sc->lock (if no
 * invalidate or flush came in between), unregisters the flight under
 * group_lock and completes it: leader and followers all get the leader's
 * value or error. Exactly one load per key per in-flight window.
 *
 * Locks: sc->lock and sc->group_lock are never held together.
 *
 * Lifetime. A flight is refcounted: one reference for the load (or for the
 * leader's second look, which stands in for it), one per waiter. A waiter
 * killed while it waits drops its reference and returns -EINTR; the last
 * put frees the flight and the result entry it holds.
 */
#include <linux/completion.h>
#include <linux/hashtable.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "entry.h"
#include "strategy.h"
#include "table.h"

#define SF_GROUP_BITS	8

/**
 * struct sf_cache - the state of the strategy
 * @cache:	the cache it belongs to
 * @lock:	protects @table
 * @table:	the entries
 * @group_lock:	protects @group
 * @group:	the flights, hashed by key hash
 */
struct sf_cache {
	struct cacheproxy_cache *cache;
	spinlock_t lock; /* protects table */
	struct cacheproxy_table table;
	spinlock_t group_lock; /* protects group */
	DECLARE_HASHTABLE(group, SF_GROUP_BITS);
};

/**
 * struct sf_flight - one load and everyone waiting for it
 * @node:	link in sc->group while registered (under group_lock);
 *		invalidate and flush unlink it (the result is then not cached,
 *		by @gen) so that later lookups start a fresh flight
 * @load:	the load; its result (entry, err) is what every waiter gets
 * @ref:	one for the load, one per waiter
 * @done:	completed (complete_all) when the result is set
 * @sc:		the strategy state
 * @gen:	the table's generation at the leader's second look
 * @key:	the key
 */
struct sf_flight {
	struct hlist_node node;
	struct cacheproxy_load load;
	refcount_t ref;
	struct completion done;
	struct sf_cache *sc;
	u64 gen;
	char key[];
};

static void sf_flight_put(struct sf_flight *f)
{
	if (refcount_dec_and_test(&f->ref)) {
		cacheproxy_entry_put(f->load.entry);
		kfree(f);
	}
}

/* Returns the registered flight of @k, or NULL. */
static struct sf_flight *sf_group_find(struct sf_cache *sc,
				       const struct cacheproxy_key_ref *k)
{
	struct sf_flight *f;

	lockdep_assert_held(&sc->group_lock);
	hash_for_each_possible(sc->group, f, node, k->hash) {
		if (f->load.hash == k->hash && f->load.key_len == k->len &&
		    !memcmp(f->key, k->key, k->len))
			return f;
	}
	return NULL;
}

/*
 * Unregisters @f (unless invalidate or flush did), answers its waiters and
 * drops the load's reference.
 */
static void sf_flight_finish(struct sf_flight *f)
{
	struct sf_cache *sc = f->sc;

	spin_lock(&sc->group_lock);
	hash_del(&f->node);
	spin_unlock(&sc->group_lock);
	complete_all(&f->done);
	sf_flight_put(f);
}

/* Loader workqueue context: insert first, then unregister (see above). */
static void sf_load_done(struct cacheproxy_load *load)
{
	struct sf_flight *f = container_of(load, struct sf_flight, load);
	struct sf_cache *sc = f->sc;

	if (load->entry) {
		u64 now = cacheproxy_now(sc->cache);

		spin_lock(&sc->lock);
		if (cacheproxy_table_gen(&sc->table) == f->gen)
			cacheproxy_table_insert(&sc->table, load->entry, now);
		spin_unlock(&sc->lock);
	}
	sf_flight_finish(f);
}

/*
 * Returns a new reference to the live entry of @k, or NULL after storing
 * the table's generation in *@gen.
 */
static struct cacheproxy_entry *sf_table_get(struct sf_cache *sc,
					     const struct cacheproxy_key_ref *k,
					     u64 now, u64 *gen)
{
	struct cacheproxy_entry *e;

	spin_lock(&sc->lock);
	e = cacheproxy_table_find(&sc->table, k->key, k->len, k->hash, now);
	if (e)
		cacheproxy_entry_get(e);
	else
		*gen = cacheproxy_table_gen(&sc->table);
	spin_unlock(&sc->lock);
	return e;
}

/* Makes @f, allocated by the caller, the registered flight of @k. */
static void sf_flight_register(struct sf_cache *sc, struct sf_flight *f,
			       const struct cacheproxy_key_ref *k)
{
	lockdep_assert_held(&sc->group_lock);
	refcount_set(&f->ref, 2);
	init_completion(&f->done);
	f->sc = sc;
	memcpy(f->key, k->key, k->len);
	cacheproxy_load_init(&f->load, f->key, k->len, k->hash);
	hash_add(sc->group, &f->node, k->hash);
}

static int sf_lookup(struct cacheproxy_cache *cache,
		     const struct cacheproxy_key_ref *k, char *val,
		     size_t val_size, size_t *val_len)
{
	struct sf_cache *sc = cache->priv;
	u64 now = cacheproxy_now(cache);
	struct cacheproxy_entry *e;
	struct sf_flight *f, *leader;
	u64 gen;
	int ret;

	e = sf_table_get(sc, k, now, &gen);
	if (e) {
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		ret = cacheproxy_entry_copy(e, val, val_size, val_len);
		cacheproxy_entry_put(e);
		return ret;
	}

	/* Allocated outside group_lock; freed unused if we follow. */
	f = kmalloc(struct_size(f, key, k->len), GFP_KERNEL);
	if (!f) {
		cacheproxy_count_lookup(cache, CACHEPROXY_NOMEM);
		return -ENOMEM;
	}

	spin_lock(&sc->group_lock);
	leader = sf_group_find(sc, k);
	if (leader) {
		/* Follower: share the registered flight. */
		refcount_inc(&leader->ref);
		spin_unlock(&sc->group_lock);
		kfree(f);
		f = leader;
		cacheproxy_count_lookup(cache, CACHEPROXY_COALESCED);
		goto wait;
	}
	/* Leader: register, then look at the table again. */
	sf_flight_register(sc, f, k);
	spin_unlock(&sc->group_lock);

	e = sf_table_get(sc, k, now, &f->gen);
	if (e) {
		/* A load finished meanwhile: share its result, load nothing. */
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		f->load.entry = e;
		f->load.err = e->err;
		sf_flight_finish(f);
	} else {
		cacheproxy_count_lookup(cache, CACHEPROXY_MISS);
		cacheproxy_loader_queue(&cache->loader, &f->load,
					sf_load_done);
	}

wait:
	ret = cacheproxy_load_wait(&f->load, &f->done, val, val_size, val_len);
	sf_flight_put(f);
	return ret;
}

static void sf_invalidate(struct cacheproxy_cache *cache,
			  const struct cacheproxy_key_ref *k)
{
	struct sf_cache *sc = cache->priv;
	struct sf_flight *f;

	spin_lock(&sc->lock);
	cacheproxy_table_invalidate(&sc->table, k->key, k->len, k->hash);
	spin_unlock(&sc->lock);

	spin_lock(&sc->group_lock);
	f = sf_group_find(sc, k);
	if (f)
		hash_del(&f->node);
	spin_unlock(&sc->group_lock);
}

static void sf_flush(struct cacheproxy_cache *cache)
{
	struct sf_cache *sc = cache->priv;

	struct hlist_node *tmp;
	struct sf_flight *f;
	unsigned int bkt;

	spin_lock(&sc->lock);
	cacheproxy_table_flush(&sc->table);
	spin_unlock(&sc->lock);

	spin_lock(&sc->group_lock);
	hash_for_each_safe(sc->group, bkt, tmp, f, node)
		hash_del(&f->node);
	spin_unlock(&sc->group_lock);
}

static void sf_show_entries(struct cacheproxy_cache *cache,
			    struct seq_file *m)
{
	struct sf_cache *sc = cache->priv;
	u64 now = cacheproxy_now(cache);

	spin_lock(&sc->lock);
	cacheproxy_table_show(&sc->table, m, now);
	spin_unlock(&sc->lock);
}

static int sf_init(struct cacheproxy_cache *cache)
{
	struct sf_cache *sc;
	int ret;

	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc)
		return -ENOMEM;
	sc->cache = cache;
	spin_lock_init(&sc->lock);
	spin_lock_init(&sc->group_lock);
	hash_init(sc->group);
	ret = cacheproxy_table_init(&sc->table, cache->cfg.capacity,
				    cache->cfg.ttl_ms, cache->cfg.neg_ttl_ms,
				    &sc->lock, &cache->counters);
	if (ret) {
		kfree(sc);
		return ret;
	}
	cache->priv = sc;
	return 0;
}

/* The loader is drained: every flight was finished and unregistered. */
static void sf_uninit(struct cacheproxy_cache *cache)
{
	struct sf_cache *sc = cache->priv;

	WARN_ON(!hash_empty(sc->group));
	cacheproxy_table_uninit(&sc->table);
	kfree(sc);
	cache->priv = NULL;
}

const struct cacheproxy_strategy_ops cacheproxy_singleflight_ops = {
	.name = "singleflight",
	.init = sf_init,
	.uninit = sf_uninit,
	.lookup = sf_lookup,
	.invalidate = sf_invalidate,
	.flush = sf_flush,
	.show_entries = sf_show_entries,
};
