/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flight: one load in flight and everyone waiting for its result. Every
 * strategy uses this one object; they differ only in where a flight is
 * registered (a flight set, under which lock or owner), whether a second
 * caller may join a registered flight (every strategy but spinlock), and
 * who answers the waiters.
 *
 * Life of a flight:
 * 1. cacheproxy_flight_alloc() in the caller's context: one reference (the
 *    caller's), counted against the cache's max_inflight until it is
 *    answered (-EAGAIN beyond),
 *    charged to the caller's memory cgroup (kthread's callers allocate it
 *    when the owner asks them to);
 * 2. the strategy registers it in a flight set, under its lock, and starts
 *    its load (cacheproxy_flight_start(), which takes the load's
 *    reference);
 * 3. callers wait on it (cacheproxy_flight_wait()), each with a reference
 *    of its own; a caller that is interrupted drops its reference and
 *    returns, and the load goes on for the others. Asynchronous callers
 *    (struct cacheproxy_waiter) watch it instead of sleeping: each holds a
 *    reference too, and is called back when the flight is answered;
 * 4. the load's done callback caches the result unless the flight went
 *    stale, and unregisters it, each under the lock (or in the thread) of
 *    the table and set it touches; then
 *    cacheproxy_flight_finish() answers every waiter, gives the flight's
 *    max_inflight slot back and drops the load's reference. The last put
 *    frees the flight.
 *
 * Invalidate and flush make a registered flight stale and unregister it,
 * under the lock it is registered under: the flight still answers its
 * waiters, but its result is not cached, and later lookups start a fresh
 * flight. Only the flights of the invalidated key go stale.
 */
#ifndef _CACHEPROXY_FLIGHT_H
#define _CACHEPROXY_FLIGHT_H

#include <linux/cacheproxy.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "loader.h"

struct cacheproxy_cache;
struct cacheproxy_key_ref;
struct cacheproxy_table;
struct cacheproxy_value;
struct cacheproxy_waiter;
struct task_struct;

/**
 * struct cacheproxy_flight - one load and its waiters
 * @node:	link in a flight set while registered; changed under the set's
 *		lock (or by its owner)
 * @load:	the load; its result (entry, err) is what every waiter gets
 * @ref:	one for the caller that allocated it until it waits or gives
 *		up, one per waiter, one for the load while it runs
 * @done:	completed (complete_all) when the result is set
 * @cache:	the cache; its flight count holds this flight's slot
 * @home:	shard only: the shard the flight is registered in
 * @holds_slot: holds one of the cache's max_inflight slots: from its
 *		allocation until it is answered (or freed unanswered)
 * @stale:	the result must not be cached; set under the set's lock (or
 *		by its owner thread) together with the unregistration, read by
 *		the done callback (cacheproxy_flight_land() says under what)
 * @post:	kthread only: the load-done message posted to the owner
 * @watch_lock:	protects @watchers and @answered; taken alone (innermost),
 *		never held across a call back
 * @watchers:	asynchronous waiters (struct cacheproxy_waiter) to call
 *		back when the flight is answered
 * @answered:	the result is set and the watchers were (or are being)
 *		called back: no waiter may join the list any more
 * @key:	the key (@load.key points here)
 */
struct cacheproxy_flight {
	struct hlist_node node;
	struct cacheproxy_load load;
	refcount_t ref;
	struct completion done;
	struct cacheproxy_cache *cache;
	void *home;
	bool holds_slot;
	bool stale;
	struct kthread_work post;
	spinlock_t watch_lock; /* protects watchers and answered */
	struct list_head watchers;
	bool answered;
	char key[CACHEPROXY_KEY_MAX];
};

/**
 * struct cacheproxy_flight_set - registered flights, hashed by key
 * @buckets:	1 << @bits heads
 * @bits:	log2 of the bucket count
 * @lock:	the owner's lock that protects the set, or NULL
 * @owner:	when @lock is NULL, the only task that may touch the set
 *
 * A set may hold several flights of one key (spinlock does not join
 * flights); cacheproxy_flight_find() returns any of them.
 */
struct cacheproxy_flight_set {
	struct hlist_head *buckets;
	unsigned int bits;
	spinlock_t *lock; /* the owner's; see above */
	struct task_struct *owner;
};

int cacheproxy_flight_slab_init(void);
void cacheproxy_flight_slab_uninit(void);

struct cacheproxy_flight *cacheproxy_flight_alloc(struct cacheproxy_cache *cache,
						  const struct cacheproxy_key_ref *k);
int cacheproxy_flight_alloc_failed(struct cacheproxy_cache *cache, int err);
void cacheproxy_flight_put(struct cacheproxy_flight *f);
void cacheproxy_flight_start(struct cacheproxy_flight *f,
			     void (*done)(struct cacheproxy_load *load));
int cacheproxy_flight_wait(struct cacheproxy_flight *f,
			   struct cacheproxy_value *v);
int cacheproxy_flight_result(struct cacheproxy_flight *f,
			     struct cacheproxy_value *v);
bool cacheproxy_flight_watch(struct cacheproxy_flight *f,
			     struct cacheproxy_waiter *w);
bool cacheproxy_flight_unwatch(struct cacheproxy_flight *f,
			       struct cacheproxy_waiter *w);
void cacheproxy_flight_answer(struct cacheproxy_flight *f,
			      struct cacheproxy_entry *e);
void cacheproxy_flight_land(struct cacheproxy_flight *f,
			    struct cacheproxy_table *t);
void cacheproxy_flight_finish(struct cacheproxy_flight *f);

static inline struct cacheproxy_flight *
cacheproxy_flight_get(struct cacheproxy_flight *f)
{
	refcount_inc(&f->ref);
	return f;
}

static inline struct cacheproxy_flight *
cacheproxy_flight_of(struct cacheproxy_load *load)
{
	return container_of(load, struct cacheproxy_flight, load);
}

int cacheproxy_flight_set_init(struct cacheproxy_flight_set *s,
			       unsigned int size_hint, spinlock_t *lock);
void cacheproxy_flight_set_uninit(struct cacheproxy_flight_set *s);
struct cacheproxy_flight *
cacheproxy_flight_find(struct cacheproxy_flight_set *s,
		       const struct cacheproxy_key_ref *k);
void cacheproxy_flight_register(struct cacheproxy_flight_set *s,
				struct cacheproxy_flight *f);
void cacheproxy_flight_unregister(struct cacheproxy_flight_set *s,
				  struct cacheproxy_flight *f);
void cacheproxy_flight_set_invalidate(struct cacheproxy_flight_set *s,
				      const struct cacheproxy_key_ref *k);
void cacheproxy_flight_set_flush(struct cacheproxy_flight_set *s);

#endif /* _CACHEPROXY_FLIGHT_H */
