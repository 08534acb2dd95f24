/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a strategy implements: its ops, called by cache.c, the common front,
 * which validates keys, hashes them, counts lookups and their latency. The
 * cache object the ops work on is cache_object.h's.
 */
#ifndef _CACHEPROXY_STRATEGY_H
#define _CACHEPROXY_STRATEGY_H

#include <linux/types.h>

struct cacheproxy_cache;
struct cacheproxy_flight;
struct cacheproxy_value;
struct seq_file;

/* @lookup's answer when the caller must wait for a flight (see below). */
#define CACHEPROXY_LOOKUP_WAIT	1

/**
 * enum cacheproxy_outcome - how a lookup was served, for the counters
 * @CACHEPROXY_HIT:	from the cache, without waiting for a load
 * @CACHEPROXY_MISS:	waited for a load it started (or failed to start)
 * @CACHEPROXY_COALESCED: waited for a load another caller started
 * @CACHEPROXY_NOMEM:	missed, and failed with -ENOMEM before it started or
 *			joined a load
 * @CACHEPROXY_REFUSED:	missed, and failed with -EAGAIN: max_inflight flights
 *			were alive, so no load could start
 */
enum cacheproxy_outcome {
	CACHEPROXY_HIT,
	CACHEPROXY_MISS,
	CACHEPROXY_COALESCED,
	CACHEPROXY_NOMEM,
	CACHEPROXY_REFUSED,
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
 * @dedup:	concurrent misses of one key share one load: a miss that
 *		finds the key's load in flight waits for it (and counts as
 *		coalesced) instead of starting another. User space reads it as
 *		the "dedup" line of /proc/cacheproxy/stats; the tests derive
 *		their loads per burst from it
 * @owner:	lookups are messages to an owner thread, and wait for its
 *		reply (which never waits for a load): an asynchronous caller
 *		that must not sleep sends them from a worker
 * @init:	builds cache->priv; the loader and counters already exist
 * @quiesce:	optional; teardown stage 2 (see cacheproxy_cache_destroy()):
 *		the loader is stopping and no lookup runs any more; afterwards
 *		nothing of the strategy may start a load
 * @uninit:	frees cache->priv; called after the loader was stopped and
 *		drained (every load's done callback has returned), with no
 *		lookup running
 * @lookup:	looks @k up: a hit copies the value as cacheproxy_lookup()
 *		documents and returns its result, as does a miss that fails
 *		without a load (-EAGAIN, -ENOMEM, -ESHUTDOWN); a miss that
 *		started or joined a load returns CACHEPROXY_LOOKUP_WAIT with
 *		a reference to its flight in *@wait, and the front waits for
 *		it (synchronous callers) or watches it (asynchronous ones,
 *		cacheproxy_lookup_start()). Never waits for a load itself (it
 *		may sleep to allocate, or for kthread's owner to reply). Calls
 *		cacheproxy_count_lookup() exactly once, as soon as the outcome
 *		is known, so that waiters show in the counters while they wait
 * @invalidate:	forgets @k; a flight of @k in flight goes stale (not cached),
 *		and only that key's
 * @flush:	forgets everything; every flight in flight goes stale; never
 *		holds a spinlock for work proportional to the table
 * @show_chunks: the number of chunks @show_chunk prints the table in
 * @show_chunk:	prints the entries of one chunk as
 *		cacheproxy_table_show_chunk() does (bounded work per call)
 * @test_hold:	optional test hook: while @held, the strategy's owner (if it
 *		has one) handles no message; released by @quiesce
 */
struct cacheproxy_strategy_ops {
	const char *name;
	bool dedup;
	bool owner;
	int (*init)(struct cacheproxy_cache *cache);
	void (*quiesce)(struct cacheproxy_cache *cache);
	void (*uninit)(struct cacheproxy_cache *cache);
	int (*lookup)(struct cacheproxy_cache *cache,
		      const struct cacheproxy_key_ref *k,
		      struct cacheproxy_value *v,
		      struct cacheproxy_flight **wait);
	void (*invalidate)(struct cacheproxy_cache *cache,
			   const struct cacheproxy_key_ref *k);
	void (*flush)(struct cacheproxy_cache *cache);
	unsigned long (*show_chunks)(struct cacheproxy_cache *cache);
	void (*show_chunk)(struct cacheproxy_cache *cache, struct seq_file *m,
			   unsigned long chunk);
	void (*test_hold)(struct cacheproxy_cache *cache, bool held);
};

extern const struct cacheproxy_strategy_ops cacheproxy_spinlock_ops;
extern const struct cacheproxy_strategy_ops cacheproxy_kthread_ops;
extern const struct cacheproxy_strategy_ops cacheproxy_shard_ops;
extern const struct cacheproxy_strategy_ops cacheproxy_singleflight_ops;
/* The negative control; defined only where CACHEPROXY_HAS_BUSTED. */
extern const struct cacheproxy_strategy_ops cacheproxy_busted_ops;

#endif /* _CACHEPROXY_STRATEGY_H */
