/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cache instance: the one API that /proc, the misc device, the module
 * init and the KUnit tests use. Every strategy sits behind it.
 *
 * A cache is an object: the module makes one from its parameters at load
 * time, and the KUnit tests make their own with small lifetimes, a gate on
 * the loader and a clock they can move.
 */
#ifndef _CACHEPROXY_CACHE_H
#define _CACHEPROXY_CACHE_H

#include <linux/list.h>
#include <linux/types.h>

struct cacheproxy_cache;
struct cacheproxy_flight;
struct cacheproxy_stats;
struct cacheproxy_upcall;
struct cacheproxy_value;
struct seq_file;

/*
 * The strategies, numbered as in "strategy=" and struct cacheproxy_config.
 * Each describes itself in its ops (strategy.h): its name, and whether
 * concurrent misses of one key share one load.
 */
enum cacheproxy_strategy {
	CACHEPROXY_SPINLOCK,
	CACHEPROXY_KTHREAD,
	CACHEPROXY_SHARD,
	CACHEPROXY_SINGLEFLIGHT,
	CACHEPROXY_BUSTED,	/* test builds only: see strat_busted.c */
	CACHEPROXY_NR_STRATEGIES,
};

/*
 * 1 in the test build that adds the negative control "busted" (Kbuild,
 * make CACHEPROXY_BUSTED=1; see strat_busted.c), 0 in every other build.
 */
#ifndef CACHEPROXY_HAS_BUSTED
#define CACHEPROXY_HAS_BUSTED	0
#endif

/*
 * The lat_sample parameter's default, also what the in-kernel bench runs
 * with: it measures the hit path users get.
 */
#define CACHEPROXY_LAT_SAMPLE_DEFAULT	8

const char *cacheproxy_strategy_name(enum cacheproxy_strategy s);
int cacheproxy_strategy_parse(const char *buf);
bool cacheproxy_strategy_dedup(enum cacheproxy_strategy s);

/* Where loads come from: made up in the kernel, or from daemons. */
enum cacheproxy_loader_kind {
	CACHEPROXY_LOADER_SYNTHETIC,
	CACHEPROXY_LOADER_USER,
};

/**
 * struct cacheproxy_config - how to build a cache
 * @strategy:		which of the four implementations
 * @capacity:		most entries cached at once (>= 1)
 * @capacity_bytes:	most memory the cached entries hold at once, each
 *			counted as cacheproxy_entry_bytes() says
 * @ttl_ms:		lifetime of a value; 0 means no expiry
 * @neg_ttl_ms:		lifetime of a cached ENOENT; 0 means not cached
 * @load_delay_us:	time one load takes
 * @slow_load_ms:	time one load of a "slow-" key takes
 * @loader_max_active:	concurrency of the loader workqueue
 * @shards:		shard count for the shard strategy (power of two)
 * @max_inflight:	most flights (loads in flight, with their waiters)
 *			alive at once; a miss beyond fails with -EAGAIN
 * @max_async:		most asynchronous lookups (struct cacheproxy_waiter)
 *			waiting at once; a lookup beyond fails with -EAGAIN
 * @lat_sample:		the latency histogram times about one lookup in this
 *			many per CPU, at random gaps (a power of two,
 *			1..1024; 1 times every one)
 * @loader:		synthetic, or user (daemons answer the loads)
 * @upcall_timeout_ms:	loader=user: how long daemons have to answer a load
 */
struct cacheproxy_config {
	enum cacheproxy_strategy strategy;
	unsigned int capacity;
	unsigned long capacity_bytes;
	unsigned int ttl_ms;
	unsigned int neg_ttl_ms;
	unsigned int load_delay_us;
	unsigned int slow_load_ms;
	unsigned int loader_max_active;
	unsigned int shards;
	unsigned int max_inflight;
	unsigned int max_async;
	unsigned int lat_sample;
	enum cacheproxy_loader_kind loader;
	unsigned int upcall_timeout_ms;
};

struct cacheproxy_cache *cacheproxy_cache_create(const struct cacheproxy_config *cfg);
void cacheproxy_cache_shutdown(struct cacheproxy_cache *cache);
void cacheproxy_cache_destroy(struct cacheproxy_cache *cache);

int cacheproxy_lookup_value(struct cacheproxy_cache *cache, const char *key,
			    size_t key_len, struct cacheproxy_value *v);

/**
 * struct cacheproxy_waiter - an asynchronous lookup waiting for its load
 * @node:	in its flight's list of watchers while it waits, under the
 *		flight's lock; empty (list_empty()) once taken off
 * @done:	see cacheproxy_lookup_watch()
 * @flight:	the flight it waits for (a reference), until
 *		cacheproxy_lookup_end()
 * @start:	when the lookup started, for the latency histogram; 0 when
 *		it is not one of those timed (lat_sample)
 *
 * Owned by the caller (embedded in its request); see
 * cacheproxy_lookup_start() for its life.
 */
struct cacheproxy_waiter {
	struct list_head node;
	void (*done)(struct cacheproxy_waiter *w);
	struct cacheproxy_flight *flight;
	u64 start;
};

int cacheproxy_lookup_start(struct cacheproxy_cache *cache, const char *key,
			    size_t key_len, struct cacheproxy_value *v,
			    struct cacheproxy_waiter *w);
bool cacheproxy_lookup_may_sleep(const struct cacheproxy_cache *cache);
bool cacheproxy_lookup_watch(struct cacheproxy_waiter *w,
			     void (*done)(struct cacheproxy_waiter *w));
bool cacheproxy_lookup_cancel(struct cacheproxy_waiter *w);
int cacheproxy_lookup_end(struct cacheproxy_waiter *w,
			  struct cacheproxy_value *v);
int cacheproxy_lookup(struct cacheproxy_cache *cache, const char *key,
		      size_t key_len, char *val, size_t val_size,
		      size_t *val_len);
int cacheproxy_invalidate(struct cacheproxy_cache *cache, const char *key,
			  size_t key_len);
void cacheproxy_flush(struct cacheproxy_cache *cache);

void cacheproxy_stats_read(struct cacheproxy_cache *cache,
			   struct cacheproxy_stats *out);
void cacheproxy_stats_reset(struct cacheproxy_cache *cache);
bool cacheproxy_cache_dedup(const struct cacheproxy_cache *cache);
struct cacheproxy_upcall *cacheproxy_cache_upcall(struct cacheproxy_cache *cache);
unsigned long cacheproxy_entries_chunks(struct cacheproxy_cache *cache);
void cacheproxy_show_entries(struct cacheproxy_cache *cache, struct seq_file *m,
			     unsigned long chunk);

#endif /* _CACHEPROXY_CACHE_H */
