// SPDX-License-Identifier: GPL-2.0
/*
 * Strategy "spinlock": one lock over everything, no deduplication.
 *
 * Data flow. A lookup takes sc->lock, and on a hit copies the value and
 * drops the lock. On a miss it notes the table's generation, drops the
 * lock, and queues a load of its own (struct spin_req) on the loader
 * workqueue; then it sleeps killably on the request's completion. The
 * loader's done callback, in workqueue context, takes sc->lock, inserts the
 * result if the generation is unchanged (no invalidate or flush came in
 * between), drops the lock and completes the request. N callers missing
 * the same key at once make N loads: the thundering herd this baseline is
 * here to show.
 *
 * Lifetime. A request holds two references, the caller's and the load's.
 * A caller killed while it waits drops its reference and returns -EINTR;
 * the load goes on, fills the cache for others, and the done callback's
 * put frees the request.
 */
#include <linux/completion.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "entry.h"
#include "strategy.h"
#include "table.h"

/**
 * struct spin_cache - the state of the strategy
 * @cache:	the cache it belongs to
 * @lock:	protects @table
 * @table:	the entries
 */
struct spin_cache {
	struct cacheproxy_cache *cache;
	spinlock_t lock; /* protects table */
	struct cacheproxy_table table;
};

/**
 * struct spin_req - one miss and its load
 * @load:	the load; its result belongs to the request
 * @ref:	the caller's reference and the load's
 * @done:	completed by the load's done callback
 * @sc:		the strategy state
 * @gen:	the table's generation when the miss was seen
 * @key:	the key, owned here for the load
 */
struct spin_req {
	struct cacheproxy_load load;
	refcount_t ref;
	struct completion done;
	struct spin_cache *sc;
	u64 gen;
	char key[];
};

static void spin_req_put(struct spin_req *req)
{
	if (refcount_dec_and_test(&req->ref)) {
		cacheproxy_entry_put(req->load.entry);
		kfree(req);
	}
}

/* Loader workqueue context: cache the result, then answer the caller. */
static void spin_load_done(struct cacheproxy_load *load)
{
	struct spin_req *req = container_of(load, struct spin_req, load);
	struct spin_cache *sc = req->sc;

	if (load->entry) {
		u64 now = cacheproxy_now(sc->cache);

		spin_lock(&sc->lock);
		if (cacheproxy_table_gen(&sc->table) == req->gen)
			cacheproxy_table_insert(&sc->table, load->entry, now);
		spin_unlock(&sc->lock);
	}
	complete(&req->done);
	spin_req_put(req);
}

static int spin_lookup(struct cacheproxy_cache *cache,
		       const struct cacheproxy_key_ref *k, char *val,
		       size_t val_size, size_t *val_len)
{
	struct spin_cache *sc = cache->priv;
	u64 now = cacheproxy_now(cache);
	struct cacheproxy_entry *e;
	struct spin_req *req;
	u64 gen;
	int ret;

	spin_lock(&sc->lock);
	e = cacheproxy_table_find(&sc->table, k->key, k->len, k->hash, now);
	if (e) {
		ret = cacheproxy_entry_copy(e, val, val_size, val_len);
		spin_unlock(&sc->lock);
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		return ret;
	}
	gen = cacheproxy_table_gen(&sc->table);
	spin_unlock(&sc->lock);

	req = kmalloc(struct_size(req, key, k->len), GFP_KERNEL);
	if (!req) {
		cacheproxy_count_lookup(cache, CACHEPROXY_NOMEM);
		return -ENOMEM;
	}
	cacheproxy_count_lookup(cache, CACHEPROXY_MISS);
	refcount_set(&req->ref, 2);
	init_completion(&req->done);
	req->sc = sc;
	req->gen = gen;
	memcpy(req->key, k->key, k->len);
	cacheproxy_load_init(&req->load, req->key, k->len, k->hash);
	cacheproxy_loader_queue(&cache->loader, &req->load, spin_load_done);

	ret = cacheproxy_load_wait(&req->load, &req->done, val, val_size,
				   val_len);
	spin_req_put(req);
	return ret;
}

static void spin_invalidate(struct cacheproxy_cache *cache,
			    const struct cacheproxy_key_ref *k)
{
	struct spin_cache *sc = cache->priv;

	spin_lock(&sc->lock);
	cacheproxy_table_invalidate(&sc->table, k->key, k->len, k->hash);
	spin_unlock(&sc->lock);
}

static void spin_flush(struct cacheproxy_cache *cache)
{
	struct spin_cache *sc = cache->priv;

	spin_lock(&sc->lock);
	cacheproxy_table_flush(&sc->table);
	spin_unlock(&sc->lock);
}

static void spin_show_entries(struct cacheproxy_cache *cache,
			      struct seq_file *m)
{
	struct spin_cache *sc = cache->priv;
	u64 now = cacheproxy_now(cache);

	spin_lock(&sc->lock);
	cacheproxy_table_show(&sc->table, m, now);
	spin_unlock(&sc->lock);
}

static int spin_init(struct cacheproxy_cache *cache)
{
	struct spin_cache *sc;
	int ret;

	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc)
		return -ENOMEM;
	sc->cache = cache;
	spin_lock_init(&sc->lock);
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

/* The loader is drained: no request is left. */
static void spin_uninit(struct cacheproxy_cache *cache)
{
	struct spin_cache *sc = cache->priv;

	cacheproxy_table_uninit(&sc->table);
	kfree(sc);
	cache->priv = NULL;
}

const struct cacheproxy_strategy_ops cacheproxy_spinlock_ops = {
	.name = "spinlock",
	.init = spin_init,
	.uninit = spin_uninit,
	.lookup = spin_lookup,
	.invalidate = spin_invalidate,
	.flush = spin_flush,
	.show_entries = spin_show_entries,
};
