/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a strategy implements, and the cache object the strategies share.
 * cache.c is the common front: it validates keys, hashes them, counts
 * lookups and their latency, and calls the strategy through its ops.
 */
#ifndef _CACHEPROXY_STRATEGY_H
#define _CACHEPROXY_STRATEGY_H

#include <linux/atomic.h>
#include <linux/types.h>

#include "cache.h"
#include "loader.h"
#include "stats.h"

struct seq_file;

/**
 * enum cacheproxy_outcome - how a lookup was served, for the counters
 * @CACHEPROXY_HIT:	from the cache, without waiting for a load
 * @CACHEPROXY_MISS:	waited for a load it started (or failed to start)
 * @CACHEPROXY_COALESCED: waited for a load another caller started
 * @CACHEPROXY_NOMEM:	missed, and failed with -ENOMEM before it started or
 *			joined a load
 */
enum cacheproxy_outcome {
	CACHEPROXY_HIT,
	CACHEPROXY_MISS,
	CACHEPROXY_COALESCED,
	CACHEPROXY_NOMEM,
};

/**
 * struct cacheproxy_key_ref - a validated key, borrowed from the caller
 * @key:	the bytes, 1..CACHEPROXY_KEY_MAX of them, no NUL, no newline
 * @len:	their number
 * @hash:	jhash of the bytes with the cache's seed
 */
struct cacheproxy_key_ref {
	const char *key;
	size_t len;
	u32 hash;
};

/**
 * struct cacheproxy_strategy_ops - one concurrency strategy
 * @name:	as in "strategy="
 * @init:	builds cache->priv; the loader and counters already exist
 * @uninit:	frees cache->priv; called after the loader was stopped and
 *		drained (every load's done callback has returned), with no
 *		lookup running
 * @lookup:	looks @k up, waiting killably for a load on a miss; copies
 *		the value as cacheproxy_lookup() documents. Calls
 *		cacheproxy_count_lookup() exactly once, as soon as the
 *		outcome is known and before sleeping, so that waiters show
 *		in the counters while they wait
 * @invalidate:	forgets @k; a load of @k in flight must not be cached
 * @flush:	forgets everything; loads in flight must not be cached
 * @show_entries: prints the table as cacheproxy_table_show() does
 */
struct cacheproxy_strategy_ops {
	const char *name;
	int (*init)(struct cacheproxy_cache *cache);
	void (*uninit)(struct cacheproxy_cache *cache);
	int (*lookup)(struct cacheproxy_cache *cache,
		      const struct cacheproxy_key_ref *k, char *val,
		      size_t val_size, size_t *val_len);
	void (*invalidate)(struct cacheproxy_cache *cache,
			   const struct cacheproxy_key_ref *k);
	void (*flush)(struct cacheproxy_cache *cache);
	void (*show_entries)(struct cacheproxy_cache *cache,
			     struct seq_file *m);
};

extern const struct cacheproxy_strategy_ops cacheproxy_spinlock_ops;
extern const struct cacheproxy_strategy_ops cacheproxy_kthread_ops;
extern const struct cacheproxy_strategy_ops cacheproxy_shard_ops;
extern const struct cacheproxy_strategy_ops cacheproxy_singleflight_ops;
/* The negative control; defined only where CACHEPROXY_HAS_BUSTED. */
extern const struct cacheproxy_strategy_ops cacheproxy_busted_ops;

/**
 * struct cacheproxy_cache - one cache
 * @cfg:	its configuration, shards resolved (never 0)
 * @ops:	its strategy
 * @priv:	the strategy's state
 * @loader:	its loader
 * @counters:	its counters
 * @seed:	jhash seed of its keys
 * @clock_offset: added to ktime_get_ns() to make the cache's clock; only
 *		grows (test hook)
 */
struct cacheproxy_cache {
	struct cacheproxy_config cfg;
	const struct cacheproxy_strategy_ops *ops;
	void *priv;
	struct cacheproxy_loader loader;
	struct cacheproxy_counters counters;
	u32 seed;
	atomic64_t clock_offset;
};

u64 cacheproxy_now(struct cacheproxy_cache *cache);
void cacheproxy_count_lookup(struct cacheproxy_cache *cache,
			     enum cacheproxy_outcome how);

#endif /* _CACHEPROXY_STRATEGY_H */
