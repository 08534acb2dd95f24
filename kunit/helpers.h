/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the KUnit suites of cacheproxy: a cache per test case
 * that is destroyed when the case ends, value checks, and bursts of kernel
 * threads that start together on a barrier.
 */
#ifndef _CACHEPROXY_KUNIT_HELPERS_H
#define _CACHEPROXY_KUNIT_HELPERS_H

#include <linux/atomic.h>
#include <linux/cacheproxy.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "burst.h"
#include "cache.h"
#include "loader.h"
#include "test_hooks.h"

struct kunit;
struct task_struct;

/* Threads in a burst. */
#define CACHEPROXY_KUNIT_THREADS	16
/* How long a test waits for a state it polls for before it fails. */
#define CACHEPROXY_KUNIT_WAIT_MS	10000
/* How long a burst may take to finish once released (debug kernels are slow). */
#define CACHEPROXY_KUNIT_JOIN_MS	60000

/* One more byte than the longest value, so a value always fits. */
#define CACHEPROXY_KUNIT_VAL_SIZE	(CACHEPROXY_VALUE_MAX + 1)
/* Room for a synthetic value ("KEY:N", N a u64) and one more byte: on stacks. */
#define CACHEPROXY_KUNIT_SYNTH_VAL_SIZE	(CACHEPROXY_SYNTH_VALUE_MAX + 1)

/* Generator for KUNIT_CASE_PARAM: every strategy in turn. */
const void *cacheproxy_kunit_strategies(const void *prev, char *desc);

/*
 * Fills @cfg with small settings for the strategy of the running case (its
 * param_value). Lifetimes are long (seconds) because the tests move the
 * cache's clock instead of sleeping: real time can never expire an entry in
 * the middle of a case, even on a slow debug kernel.
 */
void cacheproxy_kunit_config(struct kunit *test,
			     struct cacheproxy_config *cfg);

/*
 * Creates a cache from @cfg that is destroyed when the case ends; fails the
 * case when the cache cannot be created.
 */
struct cacheproxy_cache *cacheproxy_kunit_cache(struct kunit *test,
						const struct cacheproxy_config *cfg);

/* Destroys @cache, made by cacheproxy_kunit_cache(), now. */
void cacheproxy_kunit_cache_destroy(struct kunit *test,
				    struct cacheproxy_cache *cache);

/*
 * Returns true when @val (@len bytes, not NUL-terminated) is "@key:N" with
 * N a decimal number >= 1 without leading zeros, and stores N in @seq.
 */
bool cacheproxy_kunit_parse_value(const char *key, const char *val,
				  size_t len, u64 *seq);

/*
 * Looks @key up with a buffer large enough for any value. Returns the
 * lookup's result; on success checks the value is "@key:N" (failing the case
 * otherwise) and stores N in @seq.
 */
int cacheproxy_kunit_get(struct kunit *test, struct cacheproxy_cache *cache,
			 const char *key, u64 *seq);

/* Reads the counters of @cache. */
void cacheproxy_kunit_stats(struct cacheproxy_cache *cache,
			    struct cacheproxy_stats *st);

/*
 * Polls the counters (every millisecond, at most CACHEPROXY_KUNIT_WAIT_MS)
 * until misses >= @misses and loads_started >= @loads_started. Returns
 * whether they got there; @st holds the last counters read.
 */
bool cacheproxy_kunit_wait_misses(struct cacheproxy_cache *cache, u64 misses,
				  u64 loads_started,
				  struct cacheproxy_stats *st);

/*
 * Polls the counters (as above) until no load is in flight, so that every
 * counter of the loads already finished has been updated. Returns whether
 * that happened; @st holds the last counters read.
 */
bool cacheproxy_kunit_quiesce(struct cacheproxy_cache *cache,
			      struct cacheproxy_stats *st);

struct cacheproxy_kunit_burst;

/**
 * struct cacheproxy_kunit_worker - one thread of a burst
 * @burst:	the burst it belongs to
 * @id:		0..nr-1
 * @ret:	result of its lookup (one-key bursts)
 * @val:	value it got (one-key bursts)
 * @val_len:	length of @val
 * @failed:	lookups that failed (many-key bursts)
 * @wrong:	values that were not "KEY:N" for the key asked (many-key bursts)
 *
 * Written by the thread before it counts itself done, read by the test
 * after cacheproxy_kunit_burst_join().
 */
struct cacheproxy_kunit_worker {
	struct cacheproxy_kunit_burst *burst;
	unsigned int id;
	int ret;
	char val[CACHEPROXY_KUNIT_VAL_SIZE];
	size_t val_len;
	unsigned long failed;
	unsigned long wrong;
};

/**
 * struct cacheproxy_kunit_burst - threads that start together
 * @cache:	the cache they use
 * @key:	the key of a one-key burst
 * @rounds:	lookups per thread in a many-key burst
 * @nr_keys:	distinct keys of a many-key burst
 * @work:	what each thread does once released
 * @nr:		threads started so far
 * @tasks:	the threads; they report through kthread_stop()
 * @gate:	where the threads wait until the test opens it
 * @done:	threads whose work is finished (results readable)
 * @wq:		where the test waits for @done, and finished threads for
 *		kthread_stop()
 * @workers:	per-thread state and results
 */
struct cacheproxy_kunit_burst {
	struct cacheproxy_cache *cache;
	const char *key;
	unsigned int rounds;
	unsigned int nr_keys;
	void (*work)(struct cacheproxy_kunit_worker *w);
	unsigned int nr;
	struct task_struct *tasks[CACHEPROXY_KUNIT_THREADS];
	struct cacheproxy_start_gate gate;
	atomic_t done;
	wait_queue_head_t wq;
	struct cacheproxy_kunit_worker workers[CACHEPROXY_KUNIT_THREADS];
};

/* Work of a one-key burst: one lookup of burst->key. */
void cacheproxy_kunit_lookup_one(struct cacheproxy_kunit_worker *w);
/* Work of a many-key burst: burst->rounds lookups over burst->nr_keys. */
void cacheproxy_kunit_lookup_many(struct cacheproxy_kunit_worker *w);
/* Key number @i of a many-key burst, written to @buf. */
void cacheproxy_kunit_many_key(char *buf, size_t size, unsigned int i);

/*
 * Allocates a burst whose threads will run @work on @cache; set its key or
 * keys before starting it. When the case ends the barrier and the loader
 * gate of @cache are opened and every thread is stopped, before the cache is
 * destroyed (so create the cache first).
 */
struct cacheproxy_kunit_burst *
cacheproxy_kunit_burst_alloc(struct kunit *test, struct cacheproxy_cache *cache,
			     void (*work)(struct cacheproxy_kunit_worker *w));

/*
 * Starts @nr threads (at most CACHEPROXY_KUNIT_THREADS) and waits until all
 * of them wait at the barrier; fails the case if they do not get there.
 */
void cacheproxy_kunit_burst_start(struct kunit *test,
				  struct cacheproxy_kunit_burst *b,
				  unsigned int nr);

/* Releases the threads of @b at once. */
void cacheproxy_kunit_burst_go(struct cacheproxy_kunit_burst *b);

/*
 * Waits (at most CACHEPROXY_KUNIT_JOIN_MS) until every thread of @b has
 * finished its work. Returns whether they did.
 */
bool cacheproxy_kunit_burst_join(struct cacheproxy_kunit_burst *b);

#endif /* _CACHEPROXY_KUNIT_HELPERS_H */
