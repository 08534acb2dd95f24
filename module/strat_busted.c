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
 * are cached under the generation rule, nothing leaks and lockdep stays
 * quiet. The tests that must catch it are the ones that check dedup: the
 * KUnit burst cases (loads_started and the N of every caller in one burst)
 * and the torture soak's dedup phase (the same N within one burst).
 *
 * Locks: bc->lock protects the table and the flight list.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/list.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "entry.h"
#include "strategy.h"
#include "table.h"

#define BUSTED_WINDOW_US	2000

/**
 * struct busted_cache - the state of the strategy
 * @cache:	the cache it belongs to
 * @lock:	protects @table and @flights
 * @table:	the entries
 * @flights:	the registered flights (several per key: the bug)
 */
struct busted_cache {
	struct cacheproxy_cache *cache;
	spinlock_t lock; /* protects table, flights */
	struct cacheproxy_table table;
	struct list_head flights;
};

/**
 * struct busted_flight - one load and everyone waiting for it
 * @node:	link in bc->flights while registered (under bc->lock)
 * @load:	the load; its result is what every waiter gets
 * @ref:	one for the load, one per waiter
 * @done:	completed when the result is set
 * @bc:		the strategy state
 * @gen:	the table's generation at the miss
 * @key:	the key
 */
struct busted_flight {
	struct list_head node;
	struct cacheproxy_load load;
	refcount_t ref;
	struct completion done;
	struct busted_cache *bc;
	u64 gen;
	char key[];
};

static void busted_flight_put(struct busted_flight *f)
{
	if (refcount_dec_and_test(&f->ref)) {
		cacheproxy_entry_put(f->load.entry);
		kfree(f);
	}
}

static struct busted_flight *busted_find(struct busted_cache *bc,
					 const struct cacheproxy_key_ref *k)
{
	struct busted_flight *f;

	lockdep_assert_held(&bc->lock);
	list_for_each_entry(f, &bc->flights, node) {
		if (f->load.hash == k->hash && f->load.key_len == k->len &&
		    !memcmp(f->key, k->key, k->len))
			return f;
	}
	return NULL;
}

/* Loader workqueue context. */
static void busted_load_done(struct cacheproxy_load *load)
{
	struct busted_flight *f = container_of(load, struct busted_flight,
					       load);
	struct busted_cache *bc = f->bc;
	u64 now = cacheproxy_now(bc->cache);

	spin_lock(&bc->lock);
	if (load->entry && cacheproxy_table_gen(&bc->table) == f->gen)
		cacheproxy_table_insert(&bc->table, load->entry, now);
	list_del_init(&f->node);
	spin_unlock(&bc->lock);
	complete_all(&f->done);
	busted_flight_put(f);
}

static int busted_lookup(struct cacheproxy_cache *cache,
			 const struct cacheproxy_key_ref *k, char *val,
			 size_t val_size, size_t *val_len)
{
	struct busted_cache *bc = cache->priv;
	u64 now = cacheproxy_now(cache);
	struct cacheproxy_entry *e;
	struct busted_flight *f;
	u64 gen;
	int ret;

	spin_lock(&bc->lock);
	e = cacheproxy_table_find(&bc->table, k->key, k->len, k->hash, now);
	if (e) {
		ret = cacheproxy_entry_copy(e, val, val_size, val_len);
		spin_unlock(&bc->lock);
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		return ret;
	}
	f = busted_find(bc, k);
	if (f) {
		refcount_inc(&f->ref);
		spin_unlock(&bc->lock);
		cacheproxy_count_lookup(cache, CACHEPROXY_COALESCED);
		goto wait;
	}
	gen = cacheproxy_table_gen(&bc->table);
	spin_unlock(&bc->lock);

	/* THE BUG: the check above is stale by the time we register. */
	f = kmalloc(struct_size(f, key, k->len), GFP_KERNEL);
	if (!f) {
		cacheproxy_count_lookup(cache, CACHEPROXY_NOMEM);
		return -ENOMEM;
	}
	cacheproxy_count_lookup(cache, CACHEPROXY_MISS);
	refcount_set(&f->ref, 2);
	init_completion(&f->done);
	f->bc = bc;
	f->gen = gen;
	memcpy(f->key, k->key, k->len);
	cacheproxy_load_init(&f->load, f->key, k->len, k->hash);
	usleep_range(BUSTED_WINDOW_US, 2 * BUSTED_WINDOW_US);

	spin_lock(&bc->lock);
	list_add(&f->node, &bc->flights);
	spin_unlock(&bc->lock);
	cacheproxy_loader_queue(&cache->loader, &f->load, busted_load_done);
wait:
	ret = cacheproxy_load_wait(&f->load, &f->done, val, val_size, val_len);
	busted_flight_put(f);
	return ret;
}

static void busted_invalidate(struct cacheproxy_cache *cache,
			      const struct cacheproxy_key_ref *k)
{
	struct busted_cache *bc = cache->priv;
	struct busted_flight *f;

	spin_lock(&bc->lock);
	cacheproxy_table_invalidate(&bc->table, k->key, k->len, k->hash);
	while ((f = busted_find(bc, k)))
		list_del_init(&f->node);
	spin_unlock(&bc->lock);
}

static void busted_flush(struct cacheproxy_cache *cache)
{
	struct busted_cache *bc = cache->priv;
	struct busted_flight *f, *tmp;

	spin_lock(&bc->lock);
	cacheproxy_table_flush(&bc->table);
	list_for_each_entry_safe(f, tmp, &bc->flights, node)
		list_del_init(&f->node);
	spin_unlock(&bc->lock);
}

static void busted_show_entries(struct cacheproxy_cache *cache,
				struct seq_file *m)
{
	struct busted_cache *bc = cache->priv;
	u64 now = cacheproxy_now(cache);

	spin_lock(&bc->lock);
	cacheproxy_table_show(&bc->table, m, now);
	spin_unlock(&bc->lock);
}

static int busted_init(struct cacheproxy_cache *cache)
{
	struct busted_cache *bc;
	int ret;

	bc = kzalloc(sizeof(*bc), GFP_KERNEL);
	if (!bc)
		return -ENOMEM;
	bc->cache = cache;
	spin_lock_init(&bc->lock);
	INIT_LIST_HEAD(&bc->flights);
	ret = cacheproxy_table_init(&bc->table, cache->cfg.capacity,
				    cache->cfg.ttl_ms, cache->cfg.neg_ttl_ms,
				    &bc->lock, &cache->counters);
	if (ret) {
		kfree(bc);
		return ret;
	}
	cache->priv = bc;
	pr_warn("strategy busted: deliberately broken, a negative control for the tests\n");
	return 0;
}

/* The loader is drained: every flight was unregistered by its load. */
static void busted_uninit(struct cacheproxy_cache *cache)
{
	struct busted_cache *bc = cache->priv;

	WARN_ON(!list_empty(&bc->flights));
	cacheproxy_table_uninit(&bc->table);
	kfree(bc);
	cache->priv = NULL;
}

const struct cacheproxy_strategy_ops cacheproxy_busted_ops = {
	.name = "busted",
	.init = busted_init,
	.uninit = busted_uninit,
	.lookup = busted_lookup,
	.invalidate = busted_invalidate,
	.flush = busted_flush,
	.show_entries = busted_show_entries,
};
