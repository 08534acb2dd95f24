// SPDX-License-Identifier: GPL-2.0
/*
 * The common front of every strategy: configuration checks, key checks and
 * hashing, the lookup counters and latency histogram, the cache's clock,
 * and the order in which a cache is built and torn down.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/cacheproxy.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <kunit/visibility.h>

#include "cache_object.h"
#include "entry.h"
#include "flight.h"
#include "strategy.h"

#define CACHEPROXY_CAPACITY_MAX		1048576U
#define CACHEPROXY_CAPACITY_BYTES_MIN	8192UL
/* 1 TiB, or what an unsigned long holds on a 32-bit kernel. */
#define CACHEPROXY_CAPACITY_BYTES_MAX	\
	((unsigned long)min_t(u64, BIT_ULL(40), ULONG_MAX))
#define CACHEPROXY_LOAD_DELAY_US_MAX	10000000U
#define CACHEPROXY_SLOW_LOAD_MS_MAX	600000U
#define CACHEPROXY_MAX_ACTIVE_MAX	WQ_MAX_ACTIVE
#define CACHEPROXY_SHARDS_MAX		1024U
#define CACHEPROXY_MAX_INFLIGHT_MAX	65536U
#define CACHEPROXY_MAX_ASYNC_MAX	65536U
#define CACHEPROXY_LAT_SAMPLE_MAX	1024U
#define CACHEPROXY_UPCALL_TIMEOUT_MS_MAX	600000U

/* The least budget holds the largest entry (one per shard: see shard). */
static_assert(CACHEPROXY_CAPACITY_BYTES_MIN >= CACHEPROXY_ENTRY_BYTES_MAX);

/*
 * The strategy table: the ops of each strategy built, by its number. The
 * ops say the rest: the name, and whether misses share loads.
 */
static const struct cacheproxy_strategy_ops *const strategies[] = {
	[CACHEPROXY_SPINLOCK] = &cacheproxy_spinlock_ops,
	[CACHEPROXY_KTHREAD] = &cacheproxy_kthread_ops,
	[CACHEPROXY_SHARD] = &cacheproxy_shard_ops,
	[CACHEPROXY_SINGLEFLIGHT] = &cacheproxy_singleflight_ops,
	[CACHEPROXY_BUSTED] = CACHEPROXY_HAS_BUSTED ?
			      &cacheproxy_busted_ops : NULL,
};

static_assert(ARRAY_SIZE(strategies) == CACHEPROXY_NR_STRATEGIES);

/* The ops of strategy @s, or NULL where it is not built. */
static const struct cacheproxy_strategy_ops *
strategy_ops(enum cacheproxy_strategy s)
{
	return s < CACHEPROXY_NR_STRATEGIES ? strategies[s] : NULL;
}

/* The name of strategy @s, as "strategy=" takes it, or "unknown". */
const char *cacheproxy_strategy_name(enum cacheproxy_strategy s)
{
	const struct cacheproxy_strategy_ops *ops = strategy_ops(s);

	return ops ? ops->name : "unknown";
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_strategy_name);

/*
 * Returns the strategy named by @buf (a trailing newline is ignored) or
 * -EINVAL; a strategy not built has no name.
 */
int cacheproxy_strategy_parse(const char *buf)
{
	int s;

	for (s = 0; s < CACHEPROXY_NR_STRATEGIES; s++)
		if (strategies[s] && sysfs_streq(buf, strategies[s]->name))
			return s;
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_strategy_parse);

/*
 * True when concurrent misses of one key share one load on strategy @s
 * (see struct cacheproxy_strategy_ops); false for a strategy not built.
 */
bool cacheproxy_strategy_dedup(enum cacheproxy_strategy s)
{
	const struct cacheproxy_strategy_ops *ops = strategy_ops(s);

	return ops && ops->dedup;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_strategy_dedup);

/* The range checks of the module parameters, one pr_err per mistake. */
static int config_check(const struct cacheproxy_config *cfg)
{
	if (!strategy_ops(cfg->strategy)) {
		pr_err("unknown strategy %d\n", cfg->strategy);
		return -EINVAL;
	}
	if (!cfg->capacity || cfg->capacity > CACHEPROXY_CAPACITY_MAX) {
		pr_err("capacity=%u out of range (1..%u)\n", cfg->capacity,
		       CACHEPROXY_CAPACITY_MAX);
		return -EINVAL;
	}
	if (cfg->capacity_bytes < CACHEPROXY_CAPACITY_BYTES_MIN ||
	    cfg->capacity_bytes > CACHEPROXY_CAPACITY_BYTES_MAX) {
		pr_err("capacity_bytes=%lu out of range (%lu..%lu)\n",
		       cfg->capacity_bytes, CACHEPROXY_CAPACITY_BYTES_MIN,
		       CACHEPROXY_CAPACITY_BYTES_MAX);
		return -EINVAL;
	}
	if (cfg->load_delay_us > CACHEPROXY_LOAD_DELAY_US_MAX) {
		pr_err("load_delay_us=%u out of range (0..%u)\n",
		       cfg->load_delay_us, CACHEPROXY_LOAD_DELAY_US_MAX);
		return -EINVAL;
	}
	if (cfg->slow_load_ms > CACHEPROXY_SLOW_LOAD_MS_MAX) {
		pr_err("slow_load_ms=%u out of range (0..%u)\n",
		       cfg->slow_load_ms, CACHEPROXY_SLOW_LOAD_MS_MAX);
		return -EINVAL;
	}
	if (!cfg->loader_max_active ||
	    cfg->loader_max_active > CACHEPROXY_MAX_ACTIVE_MAX) {
		pr_err("loader_max_active=%u out of range (1..%u)\n",
		       cfg->loader_max_active, CACHEPROXY_MAX_ACTIVE_MAX);
		return -EINVAL;
	}
	if (cfg->shards > CACHEPROXY_SHARDS_MAX ||
	    (cfg->shards && !is_power_of_2(cfg->shards))) {
		pr_err("shards=%u invalid (0 for automatic, or a power of two up to %u)\n",
		       cfg->shards, CACHEPROXY_SHARDS_MAX);
		return -EINVAL;
	}
	if (!cfg->max_inflight || cfg->max_inflight > CACHEPROXY_MAX_INFLIGHT_MAX) {
		pr_err("max_inflight=%u out of range (1..%u)\n",
		       cfg->max_inflight, CACHEPROXY_MAX_INFLIGHT_MAX);
		return -EINVAL;
	}
	if (!is_power_of_2(cfg->lat_sample) ||
	    cfg->lat_sample > CACHEPROXY_LAT_SAMPLE_MAX) {
		pr_err("lat_sample=%u invalid (a power of two up to %u)\n",
		       cfg->lat_sample, CACHEPROXY_LAT_SAMPLE_MAX);
		return -EINVAL;
	}
	if (!cfg->max_async || cfg->max_async > CACHEPROXY_MAX_ASYNC_MAX) {
		pr_err("max_async=%u out of range (1..%u)\n",
		       cfg->max_async, CACHEPROXY_MAX_ASYNC_MAX);
		return -EINVAL;
	}
	if (cfg->loader != CACHEPROXY_LOADER_SYNTHETIC &&
	    cfg->loader != CACHEPROXY_LOADER_USER) {
		pr_err("unknown loader %d\n", cfg->loader);
		return -EINVAL;
	}
	if (!cfg->upcall_timeout_ms ||
	    cfg->upcall_timeout_ms > CACHEPROXY_UPCALL_TIMEOUT_MS_MAX) {
		pr_err("upcall_timeout_ms=%u out of range (1..%u)\n",
		       cfg->upcall_timeout_ms, CACHEPROXY_UPCALL_TIMEOUT_MS_MAX);
		return -EINVAL;
	}
	return 0;
}

/*
 * Returns a new cache built from @cfg, or an ERR_PTR: -EINVAL for an
 * out-of-range configuration (logged), -ENOMEM.
 */
struct cacheproxy_cache *cacheproxy_cache_create(const struct cacheproxy_config *cfg)
{
	const struct cacheproxy_loader_config lcfg = {
		.user = cfg->loader == CACHEPROXY_LOADER_USER,
		.max_active = cfg->loader_max_active,
		.delay_us = cfg->load_delay_us,
		.slow_ms = cfg->slow_load_ms,
		.upcall_timeout_ms = cfg->upcall_timeout_ms,
		/* every queued load belongs to a flight */
		.max_queued = cfg->max_inflight,
	};
	struct cacheproxy_cache *cache;
	int ret;

	ret = config_check(cfg);
	if (ret)
		return ERR_PTR(ret);

	cache = kzalloc(sizeof(*cache), GFP_KERNEL);
	if (!cache)
		return ERR_PTR(-ENOMEM);
	cache->cfg = *cfg;
	if (!cache->cfg.shards)
		cache->cfg.shards = min(roundup_pow_of_two(4 * num_possible_cpus()),
					CACHEPROXY_SHARDS_MAX);
	cache->ops = strategy_ops(cfg->strategy);
	cache->seed = get_random_u32();
	atomic64_set(&cache->clock.offset, 0);
	atomic_set(&cache->flights, 0);
	atomic_set(&cache->waiters, 0);
	cache->test_sticky_refs = false;
	atomic_set(&cache->test_pause, 0);

	ret = cacheproxy_counters_init(&cache->counters);
	if (ret)
		goto err_counters;
	ret = cacheproxy_loader_init(&cache->loader, &lcfg, &cache->counters);
	if (ret)
		goto err_loader;
	ret = cache->ops->init(cache);
	if (ret)
		goto err_strategy;
	return cache;

err_strategy:
	cacheproxy_loader_uninit(&cache->loader);
err_loader:
	cacheproxy_counters_uninit(&cache->counters);
err_counters:
	kfree(cache);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_cache_create);

/*
 * Teardown stage 1, also the first step of cacheproxy_cache_destroy(): stops
 * new work and answers every waiter. Loads at the gate or in a long delay
 * end at once with -ESHUTDOWN, so every caller waiting for one returns
 * promptly; lookups that miss from now on fail with -ESHUTDOWN (hits are
 * still answered). Idempotent; the cache stays usable for the lookups
 * still running. The module calls it before removing its faces, whose
 * removal waits for the handlers still running.
 */
void cacheproxy_cache_shutdown(struct cacheproxy_cache *cache)
{
	cacheproxy_loader_stop(&cache->loader);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_cache_shutdown);

/*
 * Destroys @cache. No lookup, invalidate, flush or dump may be running or
 * start; callers interrupted while they waited may have left flights and
 * (kthread) messages behind. The stages:
 * 1. shut down (cacheproxy_cache_shutdown()): no load waits any more;
 * 2. the strategy quiesces: the kthread owner handles every message still
 *    queued (a killed caller's lookup among them: it starts no flight, the
 *    cache is stopping) now, never after stage 3;
 * 3. drain the loader: every done callback has returned, so every waiter
 *    was answered and no flight is referenced by a load any more;
 * 4. the strategy tears itself down and frees its table; every flight is
 *    gone by then;
 * 5. the workqueue and the counters go. Entries still waiting for a grace
 *    period are freed by their RCU callbacks (rcu_barrier() at module
 *    exit).
 */
void cacheproxy_cache_destroy(struct cacheproxy_cache *cache)
{
	if (IS_ERR_OR_NULL(cache))
		return;
	cacheproxy_cache_shutdown(cache);
	if (cache->ops->quiesce)
		cache->ops->quiesce(cache);
	cacheproxy_loader_drain(&cache->loader);
	cache->ops->uninit(cache);
	WARN_ON(atomic_read(&cache->flights));
	cacheproxy_loader_uninit(&cache->loader);
	cacheproxy_counters_uninit(&cache->counters);
	kfree(cache);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_cache_destroy);

static int key_check(struct cacheproxy_cache *cache, const char *key,
		     size_t key_len, struct cacheproxy_key_ref *k)
{
	size_t i;

	if (!key_len)
		return -EINVAL;
	if (key_len > CACHEPROXY_KEY_MAX)
		return -ENAMETOOLONG;
	/* One pass for both bytes a key may not hold. */
	for (i = 0; i < key_len; i++) {
		if (key[i] == '\0' || key[i] == '\n')
			return -EINVAL;
	}
	k->key = key;
	k->len = key_len;
	k->hash = jhash(key, key_len, cache->seed);
	return 0;
}

/*
 * The latency histogram times about one lookup in lat_sample per CPU (the
 * counters count every one): the others skip two clock reads and the
 * bucket's update. 0 for a lookup not timed (the clock never reads 0).
 */
static u64 lookup_sample_start(struct cacheproxy_cache *cache)
{
	if (!cacheproxy_counters_sampled(&cache->counters,
					 cache->cfg.lat_sample))
		return 0;
	return ktime_get_ns();
}

static void lookup_sample_end(struct cacheproxy_cache *cache, u64 start)
{
	if (start)
		cacheproxy_counters_lat(&cache->counters,
					ktime_get_ns() - start);
}

/*
 * A synchronous lookup's wait for @f (cacheproxy_flight_wait()).
 *
 * A wake-up by io_uring's task-work notification (TIF_NOTIFY_SIGNAL and no
 * signal: the caller has io_uring commands completing) does not end the
 * wait: a restart would count the lookup again (and where misses do not
 * share loads, load the key again). The wait goes on killably, looking for
 * a real signal every 10 ms; the caller's task work runs when the call
 * returns.
 *
 * Where misses do not share loads, a restarted lookup could not join this
 * flight: it would start another load, and a caller with a frequent
 * SA_RESTART signal would start loads until max_inflight is spent. So
 * there: restart only after a freeze (no handler ran), and a handled
 * signal ends the call with EINTR.
 */
static int lookup_wait(struct cacheproxy_cache *cache,
		       struct cacheproxy_flight *f, struct cacheproxy_value *v)
{
	long left;
	int ret;

	ret = cacheproxy_flight_wait(f, v);
	while (ret == -ERESTARTSYS && !task_sigpending(current) &&
	       !fatal_signal_pending(current)) {
		left = wait_for_completion_killable_timeout(&f->done, HZ / 100);
		if (left > 0)
			ret = cacheproxy_flight_result(f, v);
	}
	if (ret == -ERESTARTSYS && !cache->ops->dedup)
		ret = -ERESTARTNOHAND;
	return ret;
}

/**
 * cacheproxy_lookup_value - look a key up, loading it on a miss
 * @cache:	the cache
 * @key:	the key, not NUL-terminated
 * @key_len:	its length
 * @v:		where the value goes: copied to v->buf when it fits, else
 *		handed over by a reference in v->entry if v->by_ref (the
 *		caller then releases it, cacheproxy_value_release()); v->len
 *		is its length
 *
 * May sleep, interruptibly and freezably (cacheproxy_flight_wait()).
 * Return: 0; -ENOSPC when the value does not fit in v->buf and v->by_ref
 * is false (v->len is set); -EINVAL for an empty key or one with NUL or
 * newline; -ENAMETOOLONG for a key longer than CACHEPROXY_KEY_MAX; -ENOENT
 * or -EIO from the loader; -ESHUTDOWN once the cache is being destroyed;
 * -EAGAIN when a load would be needed but max_inflight flights are alive;
 * -ERESTARTSYS when a signal came while waiting; -ENOMEM; with loader=user
 * also -ENOTCONN (no daemon attached) and -ETIMEDOUT (none answered in
 * time), a daemon's own error being -EIO. Invalid keys are not counted as
 * lookups.
 */
int cacheproxy_lookup_value(struct cacheproxy_cache *cache, const char *key,
			    size_t key_len, struct cacheproxy_value *v)
{
	struct cacheproxy_flight *f;
	struct cacheproxy_key_ref k;
	u64 start;
	int ret;

	v->entry = NULL;
	ret = key_check(cache, key, key_len, &k);
	if (ret)
		return ret;

	start = lookup_sample_start(cache);
	ret = cache->ops->lookup(cache, &k, v, &f);
	if (ret == CACHEPROXY_LOOKUP_WAIT) {
		ret = lookup_wait(cache, f, v);
		cacheproxy_flight_put(f);
	}
	lookup_sample_end(cache, start);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_lookup_value);

/**
 * cacheproxy_lookup_start - begin a lookup that does not wait for a load
 * @cache:	the cache
 * @key:	the key, not NUL-terminated
 * @key_len:	its length
 * @v:		where the value goes on a hit, as for cacheproxy_lookup_value()
 * @w:		the waiter, filled when the answer must come from a load
 *
 * The asynchronous lookup (io_uring): a hit, or a miss that fails without
 * a load, is answered at once, as cacheproxy_lookup_value() would answer
 * it. A miss that started or joined a load holds one of the cache's
 * max_async slots and a reference to the load's flight in @w; the caller
 * then either hands @w to cacheproxy_lookup_watch() or gives up with
 * cacheproxy_lookup_end(). A miss that would wait while max_async waiters
 * wait already fails with -EAGAIN (counted as the miss it was; the load it
 * started or joined goes on and is cached), so no caller can make the
 * kernel hold more of them. Only @w's flight and start are filled: the
 * caller may move @w, and initializes its node (INIT_LIST_HEAD) where it
 * stays before it can be watched or cancelled. May sleep to allocate (and
 * with kthread, for the owner's reply, which never waits for a load: see
 * cacheproxy_lookup_may_sleep()).
 *
 * Return: as cacheproxy_lookup_value(), -ERESTARTSYS only while waiting for
 * kthread's owner; or -EINPROGRESS when @w waits.
 */
int cacheproxy_lookup_start(struct cacheproxy_cache *cache, const char *key,
			    size_t key_len, struct cacheproxy_value *v,
			    struct cacheproxy_waiter *w)
{
	struct cacheproxy_key_ref k;
	int ret;

	v->entry = NULL;
	ret = key_check(cache, key, key_len, &k);
	if (ret)
		return ret;
	w->done = NULL;
	w->start = lookup_sample_start(cache);
	ret = cache->ops->lookup(cache, &k, v, &w->flight);
	if (ret != CACHEPROXY_LOOKUP_WAIT) {
		lookup_sample_end(cache, w->start);
		return ret;
	}
	if (!atomic_add_unless(&cache->waiters, 1, cache->cfg.max_async)) {
		/* The load goes on (and is cached) for everyone else. */
		cacheproxy_flight_put(w->flight);
		w->flight = NULL;
		lookup_sample_end(cache, w->start);
		return -EAGAIN;
	}
	return -EINPROGRESS;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_lookup_start);

/*
 * True when a lookup may sleep for another thread, not only to allocate:
 * kthread's callers wait for the owner's reply (never for a load). An
 * asynchronous caller that must not sleep sends those from a worker.
 */
bool cacheproxy_lookup_may_sleep(const struct cacheproxy_cache *cache)
{
	return cache->ops->owner;
}

/**
 * cacheproxy_lookup_watch - have @done called when the load of @w ends
 * @w:		a waiter cacheproxy_lookup_start() filled; it must stay
 *		where it is until @done was called or
 *		cacheproxy_lookup_cancel() returned true
 * @done:	called once with @w, from the context that answers the
 *		flight (a loader worker, kthread's owner, another lookup),
 *		with no lock of the cache held; it must not sleep
 *
 * Return: true when @done will be called; false when the flight was
 * answered already: the result is there, and @done will not be called.
 */
bool cacheproxy_lookup_watch(struct cacheproxy_waiter *w,
			     void (*done)(struct cacheproxy_waiter *w))
{
	w->done = done;
	return cacheproxy_flight_watch(w->flight, w);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_lookup_watch);

/*
 * Takes @w off its flight before the answer. Returns true when it was
 * still waiting: @done will not be called, and the caller ends @w with
 * cacheproxy_lookup_end(w, NULL). False: @done was or is being called.
 */
bool cacheproxy_lookup_cancel(struct cacheproxy_waiter *w)
{
	return cacheproxy_flight_unwatch(w->flight, w);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_lookup_cancel);

/**
 * cacheproxy_lookup_end - the result of a waiter, and its release
 * @w:		a waiter cacheproxy_lookup_start() filled, answered (not
 *		watched, or @done was called), or cancelled
 * @v:		where the value goes, as for cacheproxy_lookup_value(); NULL
 *		to give the result up
 *
 * Drops the flight and the max_async slot, and counts the lookup's latency
 * (from its start to now: every lookup counted has one). The load goes on
 * when it is not over. Return: as cacheproxy_lookup_value() for the
 * flight's result, or -ECANCELED when @v is NULL.
 */
int cacheproxy_lookup_end(struct cacheproxy_waiter *w,
			  struct cacheproxy_value *v)
{
	struct cacheproxy_cache *cache = w->flight->cache;
	int ret = -ECANCELED;

	if (v) {
		v->entry = NULL;
		ret = cacheproxy_flight_result(w->flight, v);
	}
	lookup_sample_end(cache, w->start);
	cacheproxy_flight_put(w->flight);
	w->flight = NULL;
	atomic_dec(&cache->waiters);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_lookup_end);

/*
 * cacheproxy_lookup_value() into @val of @val_size bytes, nothing by
 * reference: -ENOSPC (with *@val_len set) when the value is longer.
 */
int cacheproxy_lookup(struct cacheproxy_cache *cache, const char *key,
		      size_t key_len, char *val, size_t val_size,
		      size_t *val_len)
{
	struct cacheproxy_value v = { .buf = val, .size = val_size };
	int ret;

	ret = cacheproxy_lookup_value(cache, key, key_len, &v);
	if (!ret || ret == -ENOSPC)
		*val_len = v.len;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_lookup);

/*
 * Forgets @key; a load of it in flight is not cached. Returns 0 (also when
 * the key was not cached) or the key's -EINVAL / -ENAMETOOLONG.
 */
int cacheproxy_invalidate(struct cacheproxy_cache *cache, const char *key,
			  size_t key_len)
{
	struct cacheproxy_key_ref k;
	int ret;

	ret = key_check(cache, key, key_len, &k);
	if (ret)
		return ret;
	cache->ops->invalidate(cache, &k);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_invalidate);

/* Forgets every key; loads in flight are not cached. */
void cacheproxy_flush(struct cacheproxy_cache *cache)
{
	cache->ops->flush(cache);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_flush);

/* Fills all of @out, size and version included. */
void cacheproxy_stats_read(struct cacheproxy_cache *cache,
			   struct cacheproxy_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->version = CACHEPROXY_STATS_VERSION;
	cacheproxy_counters_read(&cache->counters, out);
	out->lat_sample = cache->cfg.lat_sample;
	strscpy(out->strategy, cache->ops->name, sizeof(out->strategy));
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_stats_read);

/* Whether the cache's strategy shares one load among concurrent misses. */
bool cacheproxy_cache_dedup(const struct cacheproxy_cache *cache)
{
	return cache->ops->dedup;
}

/* Zeroes the event counters and the histogram (not the gauges). */
void cacheproxy_stats_reset(struct cacheproxy_cache *cache)
{
	cacheproxy_counters_reset(&cache->counters);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_stats_reset);

/* The daemons' request queue of a loader=user cache, or NULL. */
struct cacheproxy_upcall *cacheproxy_cache_upcall(struct cacheproxy_cache *cache)
{
	return cache->loader.user ? &cache->loader.up : NULL;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_cache_upcall);

/* The number of chunks cacheproxy_show_entries() prints the table in. */
unsigned long cacheproxy_entries_chunks(struct cacheproxy_cache *cache)
{
	return cache->ops->show_chunks(cache);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_entries_chunks);

/*
 * One line per entry of @chunk, "KEY STATE AGE_MS VALUE_LEN" (see table.c):
 * a bounded amount of work under the table's lock. Entries inserted or
 * removed between two chunks may be missed or shown twice.
 */
void cacheproxy_show_entries(struct cacheproxy_cache *cache, struct seq_file *m,
			     unsigned long chunk)
{
	cache->ops->show_chunk(cache, m, chunk);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_show_entries);
