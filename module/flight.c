// SPDX-License-Identifier: GPL-2.0
/*
 * Flights and flight sets (see flight.h). Flights come from a slab cache of
 * their own, "cacheproxy_flight", always in the caller's context (charged
 * to its memory cgroup), and each cache has at most max_inflight of them
 * unanswered: a caller that would need one more fails with -EAGAIN at
 * once, so no caller, killed or not, can make the kernel hold more loads.
 * A flight gives its slot back when it is answered, not when it is freed:
 * an answered flight is held only by its waiters, each of which holds one
 * (a sleeping caller, or an asynchronous waiter counted by max_async), so
 * a ring that is slow to reap its answers cannot keep other callers'
 * misses out. What a flight does not bound: a kthread request message
 * lives until the owner has handled it (the owner never waits for a load),
 * and an abandoned flight's load still runs to its end before its slot is
 * free again.
 */
#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/hash.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cache_object.h"
#include "entry.h"
#include "flight.h"
#include "plant.h"
#include "strategy.h"
#include "table.h"

/* Buckets of the largest flight set. */
#define FLIGHT_SET_BITS_MAX	12

static struct kmem_cache *flight_slab;

int cacheproxy_flight_slab_init(void)
{
	flight_slab = KMEM_CACHE(cacheproxy_flight, 0);
	return flight_slab ? 0 : -ENOMEM;
}

/* Every flight was freed: caches free theirs before they are destroyed. */
void cacheproxy_flight_slab_uninit(void)
{
	kmem_cache_destroy(flight_slab);
	flight_slab = NULL;
}

/**
 * cacheproxy_flight_alloc - a new flight for a miss of @k
 * @cache:	the cache; the flight takes one of its max_inflight slots
 * @k:		the key, copied into the flight
 *
 * Return: the flight, holding the caller's reference and not registered
 * anywhere; ERR_PTR(-EAGAIN) when max_inflight flights are alive,
 * -ESHUTDOWN once the cache is being destroyed, -ENOMEM.
 */
struct cacheproxy_flight *cacheproxy_flight_alloc(struct cacheproxy_cache *cache,
						  const struct cacheproxy_key_ref *k)
{
	struct cacheproxy_flight *f;

	if (IS_ENABLED(CONFIG_KUNIT) && atomic_read(&cache->test_pause) == 1 &&
	    atomic_cmpxchg(&cache->test_pause, 1, 2) == 1)
		wait_event_idle(cache->loader.wait,
				!atomic_read(&cache->test_pause) ||
				cacheproxy_cache_stopping(cache));
	if (cacheproxy_cache_stopping(cache))
		return ERR_PTR(-ESHUTDOWN);
	if (!atomic_add_unless(&cache->flights, 1, cache->cfg.max_inflight))
		return ERR_PTR(-EAGAIN);
	f = kmem_cache_alloc(flight_slab, GFP_KERNEL_ACCOUNT);
	if (!f) {
		atomic_dec(&cache->flights);
		return ERR_PTR(-ENOMEM);
	}
	INIT_HLIST_NODE(&f->node);
	refcount_set(&f->ref, 1);
	init_completion(&f->done);
	f->cache = cache;
	f->home = NULL;
	f->stale = false;
	f->holds_slot = true;
	spin_lock_init(&f->watch_lock);
	INIT_LIST_HEAD(&f->watchers);
	f->answered = false;
	memcpy(f->key, k->key, k->len);
	cacheproxy_load_init(&f->load, f->key, k->len, k->hash);
	return f;
}

/*
 * Counts the lookup whose cacheproxy_flight_alloc() failed with @err (a
 * miss that started no load: nomem or refused) and returns @err.
 */
int cacheproxy_flight_alloc_failed(struct cacheproxy_cache *cache, int err)
{
	cacheproxy_count_lookup(cache, err == -ENOMEM ? CACHEPROXY_NOMEM :
							CACHEPROXY_REFUSED);
	return err;
}

/*
 * Gives the max_inflight slot of @f back, once: when it is answered, or
 * when it is freed unanswered (a spare flight never registered). Called by
 * the one context that answers @f, or by its last put, which the refcount
 * orders after the answer.
 */
static void flight_release_slot(struct cacheproxy_flight *f)
{
	if (f->holds_slot) {
		f->holds_slot = false;
		atomic_dec(&f->cache->flights);
	}
}

/* Drops a reference; the last one frees the flight (and its slot). */
void cacheproxy_flight_put(struct cacheproxy_flight *f)
{
	if (!refcount_dec_and_test(&f->ref))
		return;
	flight_release_slot(f);
	cacheproxy_entry_put(f->load.entry);
	kmem_cache_free(flight_slab, f);
}

/*
 * Starts the load of @f; the load holds a reference until @done calls
 * cacheproxy_flight_finish().
 */
void cacheproxy_flight_start(struct cacheproxy_flight *f,
			     void (*done)(struct cacheproxy_load *load))
{
	cacheproxy_flight_get(f);
	cacheproxy_loader_queue(&f->cache->loader, &f->load, done);
}

/**
 * cacheproxy_flight_wait - wait for the result of @f and hand it to @v
 * @f:		the flight; the caller holds a reference (and keeps it)
 * @v:		where the value goes (cacheproxy_entry_copy())
 *
 * Sleeps interruptibly: a signal, handled or fatal, ends the wait at once
 * and the load goes on for the other waiters. The freezers (suspend's and
 * the cgroup freezer) wake such a sleeper with a fake signal, so the
 * caller leaves the system call, freezes outside it holding no lock, and
 * the call restarts when it thaws. (TASK_FREEZABLE would freeze the caller
 * in place, but callers may hold locks here: a /proc write holds the
 * superblock's write reference, an entries read its seq_file mutex.)
 *
 * Return: as cacheproxy_lookup(); -ERESTARTSYS when a signal came first:
 * the system call is restarted after a freeze or if the signal's handler
 * asked for it (SA_RESTART), and the restarted lookup joins the load still
 * in flight where the strategy joins flights; otherwise the caller gets
 * EINTR.
 */
int cacheproxy_flight_wait(struct cacheproxy_flight *f,
			   struct cacheproxy_value *v)
{
	int ret;

	if (CACHEPROXY_PLANT_UNINTERRUPTIBLE)
		ret = wait_for_completion_killable(&f->done);
	else
		ret = wait_for_completion_interruptible(&f->done);
	if (ret)
		return ret;
	return cacheproxy_flight_result(f, v);
}

/* The result of @f, answered already, handed to @v as the wait does. */
int cacheproxy_flight_result(struct cacheproxy_flight *f,
			     struct cacheproxy_value *v)
{
	if (f->load.entry)
		return cacheproxy_entry_copy(f->load.entry, v);
	return f->load.err;
}

/*
 * Adds @w to the watchers of @f (the caller holds a reference to @f).
 * Returns false when @f is answered already: @w is not added.
 */
bool cacheproxy_flight_watch(struct cacheproxy_flight *f,
			     struct cacheproxy_waiter *w)
{
	bool added = false;

	spin_lock(&f->watch_lock);
	if (!f->answered) {
		list_add_tail(&w->node, &f->watchers);
		added = true;
	}
	spin_unlock(&f->watch_lock);
	return added;
}

/*
 * Takes @w off the watchers of @f. Returns false when it was not on the
 * list any more: the answer took it off, and calls (or called) it back.
 */
bool cacheproxy_flight_unwatch(struct cacheproxy_flight *f,
			       struct cacheproxy_waiter *w)
{
	bool removed = false;

	spin_lock(&f->watch_lock);
	if (!list_empty(&w->node)) {
		list_del_init(&w->node);
		removed = true;
	}
	spin_unlock(&f->watch_lock);
	return removed;
}

/*
 * Calls back every watcher of @f, whose result is set, and closes the list.
 * Each is taken off under the lock and called outside it, so that a
 * cancellation either finds it still on the list or never runs its
 * callback twice; a callback may free its waiter.
 */
static void flight_call_watchers(struct cacheproxy_flight *f)
{
	struct cacheproxy_waiter *w;

	spin_lock(&f->watch_lock);
	f->answered = true;
	while ((w = list_first_entry_or_null(&f->watchers,
					     struct cacheproxy_waiter, node))) {
		list_del_init(&w->node);
		spin_unlock(&f->watch_lock);
		w->done(w);
		spin_lock(&f->watch_lock);
	}
	spin_unlock(&f->watch_lock);
}

/*
 * Answers the waiters of @f, never started and already unregistered, with
 * @e (a reference handed over): a leader's second look found the key
 * cached after all.
 */
void cacheproxy_flight_answer(struct cacheproxy_flight *f,
			      struct cacheproxy_entry *e)
{
	f->load.entry = e;
	f->load.err = e->err;
	flight_release_slot(f);
	complete_all(&f->done);
	flight_call_watchers(f);
}

/*
 * The done callback's step under the owner of @t: caches the result of @f
 * in @t unless @f went stale. The stale flag is set under the flight set's
 * owner: the same lock as @t's (spinlock, shard) or thread (kthread), or a
 * lock taken before @t's by the invalidation (singleflight, whose
 * invalidate then removes the entry under @t's lock).
 */
void cacheproxy_flight_land(struct cacheproxy_flight *f,
			    struct cacheproxy_table *t)
{
	if (t->lock)
		lockdep_assert_held(t->lock);
	if (f->load.entry && !READ_ONCE(f->stale))
		cacheproxy_table_insert(t, f->load.entry);
}

/* Answers every waiter of @f and drops the load's reference. */
void cacheproxy_flight_finish(struct cacheproxy_flight *f)
{
	/* Before the wake-ups: a woken caller's next miss finds the slot. */
	flight_release_slot(f);
	complete_all(&f->done);
	flight_call_watchers(f);
	cacheproxy_flight_put(f);
}

static void flight_set_assert_owned(const struct cacheproxy_flight_set *s)
{
	if (s->lock)
		lockdep_assert_held(s->lock);
	else
		lockdep_assert(!s->owner || current == s->owner);
}

/*
 * @size_hint: the most flights the set is expected to hold at once (about
 * one per bucket). @lock: as for cacheproxy_table_init().
 */
int cacheproxy_flight_set_init(struct cacheproxy_flight_set *s,
			       unsigned int size_hint, spinlock_t *lock)
{
	s->bits = clamp(order_base_2(size_hint), 1, FLIGHT_SET_BITS_MAX);
	s->buckets = kvcalloc(1U << s->bits, sizeof(*s->buckets), GFP_KERNEL);
	if (!s->buckets)
		return -ENOMEM;
	s->lock = lock;
	s->owner = NULL;
	return 0;
}

/* Every flight was unregistered (the loader is drained). */
void cacheproxy_flight_set_uninit(struct cacheproxy_flight_set *s)
{
	unsigned int i;

	for (i = 0; i < 1U << s->bits; i++)
		WARN_ON(!hlist_empty(&s->buckets[i]));
	kvfree(s->buckets);
	s->buckets = NULL;
}

static struct hlist_head *flight_bucket(const struct cacheproxy_flight_set *s,
					u32 hash)
{
	return &s->buckets[hash_32(hash, s->bits)];
}

static bool flight_matches(const struct cacheproxy_flight *f,
			   const struct cacheproxy_key_ref *k)
{
	return cacheproxy_key_equal(f->key, f->load.key_len, f->load.hash,
				    k->key, k->len, k->hash);
}

/* Returns a registered flight of @k (borrowed), or NULL. */
struct cacheproxy_flight *
cacheproxy_flight_find(struct cacheproxy_flight_set *s,
		       const struct cacheproxy_key_ref *k)
{
	struct cacheproxy_flight *f;

	flight_set_assert_owned(s);
	hlist_for_each_entry(f, flight_bucket(s, k->hash), node) {
		if (flight_matches(f, k))
			return f;
	}
	return NULL;
}

void cacheproxy_flight_register(struct cacheproxy_flight_set *s,
				struct cacheproxy_flight *f)
{
	flight_set_assert_owned(s);
	hlist_add_head(&f->node, flight_bucket(s, f->load.hash));
}

/* Unregisters @f unless invalidate or flush already did. */
void cacheproxy_flight_unregister(struct cacheproxy_flight_set *s,
				  struct cacheproxy_flight *f)
{
	flight_set_assert_owned(s);
	if (!hlist_unhashed(&f->node))
		hlist_del_init(&f->node);
}

static void flight_detach(struct cacheproxy_flight *f)
{
	WRITE_ONCE(f->stale, true);
	hlist_del_init(&f->node);
}

/* Makes every registered flight of @k stale and unregisters it. */
void cacheproxy_flight_set_invalidate(struct cacheproxy_flight_set *s,
				      const struct cacheproxy_key_ref *k)
{
	struct cacheproxy_flight *f;
	struct hlist_node *tmp;

	flight_set_assert_owned(s);
	if (CACHEPROXY_PLANT_NO_KEY_INVALIDATE)
		return;
	hlist_for_each_entry_safe(f, tmp, flight_bucket(s, k->hash), node) {
		if (flight_matches(f, k))
			flight_detach(f);
	}
}

/*
 * Makes every registered flight stale and unregisters it: bounded work,
 * the set holds at most max_inflight flights.
 */
void cacheproxy_flight_set_flush(struct cacheproxy_flight_set *s)
{
	struct cacheproxy_flight *f;
	struct hlist_node *tmp;
	unsigned int i;

	flight_set_assert_owned(s);
	for (i = 0; i < 1U << s->bits; i++)
		hlist_for_each_entry_safe(f, tmp, &s->buckets[i], node)
			flight_detach(f);
}
