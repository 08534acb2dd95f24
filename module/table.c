// SPDX-License-Identifier: GPL-2.0
/*
 * The table: buckets of entries hashed by jhash (the caller's hash, spread
 * again with hash_32() so that a shard's keys, which share their low hash
 * bits, still spread over all buckets), and a CLOCK ring for eviction.
 *
 * Writers are serialised by the owner (see table.h) and checked with
 * table_assert_owned(). Entries are published with hlist_add_head_rcu()
 * after their times are set, and unpublished with hlist_del_rcu() before
 * the table's reference is dropped, so cacheproxy_table_find_rcu() may run
 * under rcu_read_lock() alone: the entry it returns stays valid until
 * rcu_read_unlock(), because the last put frees it with kfree_rcu().
 */
#include <linux/hash.h>
#include <linux/lockdep.h>
#include <linux/math64.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/time64.h>

#include "entry.h"
#include "stats.h"
#include "table.h"

static void table_assert_owned(const struct cacheproxy_table *t)
{
	if (t->lock)
		lockdep_assert_held(t->lock);
	else
		lockdep_assert(!t->owner || current == t->owner);
}

static struct hlist_head *table_bucket(const struct cacheproxy_table *t,
				       u32 hash)
{
	return &t->buckets[hash_32(hash, t->bits)];
}

/*
 * @lock is the spinlock the owner holds around every call but
 * cacheproxy_table_find_rcu(); NULL when a single thread owns the table, in
 * which case the owner stores its task in t->owner once it knows it.
 */
int cacheproxy_table_init(struct cacheproxy_table *t, unsigned int capacity,
			  unsigned int ttl_ms, unsigned int neg_ttl_ms,
			  spinlock_t *lock, struct cacheproxy_counters *counters)
{
	/* About one entry per bucket when full; at least two buckets. */
	t->bits = max(order_base_2(capacity), 1);
	t->buckets = kvcalloc(1U << t->bits, sizeof(*t->buckets), GFP_KERNEL);
	if (!t->buckets)
		return -ENOMEM;
	INIT_LIST_HEAD(&t->clock);
	t->count = 0;
	t->capacity = capacity;
	t->gen = 0;
	t->ttl_ns = (u64)ttl_ms * NSEC_PER_MSEC;
	t->neg_ttl_ns = (u64)neg_ttl_ms * NSEC_PER_MSEC;
	t->lock = lock;
	t->owner = NULL;
	t->counters = counters;
	return 0;
}

static void table_remove(struct cacheproxy_table *t, struct cacheproxy_entry *e,
			 enum cacheproxy_counter why)
{
	hlist_del_rcu(&e->node);
	list_del(&e->clock);
	t->count--;
	cacheproxy_counters_dec(t->counters, CACHEPROXY_CTR_ENTRIES);
	if (why != CACHEPROXY_NR_COUNTERS)
		cacheproxy_counters_inc(t->counters, why);
	cacheproxy_entry_put(e);
}

/*
 * Tears the table down. The caller guarantees that nobody else uses it any
 * more, so there is no lock to check; removed entries are not counted.
 */
void cacheproxy_table_uninit(struct cacheproxy_table *t)
{
	struct cacheproxy_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &t->clock, clock)
		table_remove(t, e, CACHEPROXY_NR_COUNTERS);
	kvfree(t->buckets);
	t->buckets = NULL;
}

/*
 * Returns the live entry of @key, borrowed (valid while the caller keeps
 * the table owned), or NULL. An expired entry found on the way is removed
 * and counted. Marks the entry referenced for CLOCK.
 */
struct cacheproxy_entry *cacheproxy_table_find(struct cacheproxy_table *t,
					       const char *key, size_t key_len,
					       u32 hash, u64 now)
{
	struct cacheproxy_entry *e;

	table_assert_owned(t);
	hlist_for_each_entry(e, table_bucket(t, hash), node) {
		if (!cacheproxy_entry_matches(e, key, key_len, hash))
			continue;
		if (cacheproxy_entry_expired(e, now)) {
			table_remove(t, e, CACHEPROXY_CTR_EXPIRATIONS);
			return NULL;
		}
		WRITE_ONCE(e->referenced, true);
		return e;
	}
	return NULL;
}

/*
 * Lock-free variant: must be called under rcu_read_lock(); the entry
 * returned is valid until rcu_read_unlock(). It may be expired (the caller
 * checks) and it may already have been removed from the table.
 */
struct cacheproxy_entry *cacheproxy_table_find_rcu(struct cacheproxy_table *t,
						   const char *key,
						   size_t key_len, u32 hash)
{
	struct cacheproxy_entry *e;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "needs rcu_read_lock()");
	hlist_for_each_entry_rcu(e, table_bucket(t, hash), node) {
		if (cacheproxy_entry_matches(e, key, key_len, hash))
			return e;
	}
	return NULL;
}

/* Makes room for one entry: drops the expired, evicts the unreferenced. */
static void table_make_room(struct cacheproxy_table *t, u64 now)
{
	struct cacheproxy_entry *e;

	/* Each entry is passed over at most once (its bit is then clear). */
	while (t->count >= t->capacity) {
		e = list_first_entry(&t->clock, struct cacheproxy_entry, clock);
		if (cacheproxy_entry_expired(e, now)) {
			table_remove(t, e, CACHEPROXY_CTR_EXPIRATIONS);
		} else if (READ_ONCE(e->referenced)) {
			WRITE_ONCE(e->referenced, false);
			list_move_tail(&e->clock, &t->clock);
		} else {
			table_remove(t, e, CACHEPROXY_CTR_EVICTIONS);
		}
	}
}

/*
 * Inserts @e (a fresh entry from the loader, never inserted before) and
 * takes a reference of its own; the caller keeps its reference. Replaces an
 * older entry of the same key. A negative entry is not inserted when
 * negative caching is off.
 */
void cacheproxy_table_insert(struct cacheproxy_table *t,
			     struct cacheproxy_entry *e, u64 now)
{
	u64 ttl = e->err ? t->neg_ttl_ns : t->ttl_ns;
	struct cacheproxy_entry *old;

	table_assert_owned(t);
	if (e->err && !ttl)
		return;
	hlist_for_each_entry(old, table_bucket(t, e->hash), node) {
		if (cacheproxy_entry_matches(old, cacheproxy_entry_key(e),
					     e->key_len, e->hash)) {
			table_remove(t, old, CACHEPROXY_NR_COUNTERS);
			break;
		}
	}
	table_make_room(t, now);

	e->created = now;
	e->expires = ttl ? now + ttl : U64_MAX;
	list_add_tail(&e->clock, &t->clock);
	hlist_add_head_rcu(&cacheproxy_entry_get(e)->node,
			   table_bucket(t, e->hash));
	t->count++;
	cacheproxy_counters_inc(t->counters, CACHEPROXY_CTR_ENTRIES);
}

/* Removes @key if cached (counted) and starts a new generation. */
void cacheproxy_table_invalidate(struct cacheproxy_table *t, const char *key,
				 size_t key_len, u32 hash)
{
	struct cacheproxy_entry *e;

	table_assert_owned(t);
	t->gen++;
	hlist_for_each_entry(e, table_bucket(t, hash), node) {
		if (cacheproxy_entry_matches(e, key, key_len, hash)) {
			table_remove(t, e, CACHEPROXY_CTR_INVALIDATIONS);
			break;
		}
	}
}

/* Removes every entry (each counted) and starts a new generation. */
void cacheproxy_table_flush(struct cacheproxy_table *t)
{
	struct cacheproxy_entry *e, *tmp;

	table_assert_owned(t);
	t->gen++;
	list_for_each_entry_safe(e, tmp, &t->clock, clock)
		table_remove(t, e, CACHEPROXY_CTR_INVALIDATIONS);
}

/* Returns the current generation, to compare when a load completes. */
u64 cacheproxy_table_gen(struct cacheproxy_table *t)
{
	table_assert_owned(t);
	return t->gen;
}

/*
 * Prints one line per entry, in CLOCK order: "KEY STATE AGE_MS VALUE_LEN",
 * STATE being "value", "enoent" or "expired" (not yet removed).
 */
void cacheproxy_table_show(struct cacheproxy_table *t, struct seq_file *m,
			   u64 now)
{
	struct cacheproxy_entry *e;
	const char *state;

	table_assert_owned(t);
	list_for_each_entry(e, &t->clock, clock) {
		if (cacheproxy_entry_expired(e, now))
			state = "expired";
		else
			state = e->err ? "enoent" : "value";
		seq_printf(m, "%.*s %s %llu %u\n", e->key_len,
			   cacheproxy_entry_key(e), state,
			   div_u64(now - e->created, NSEC_PER_MSEC), e->val_len);
	}
}
