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
 * rcu_read_unlock(), because the last put frees it after a grace period.
 *
 * Nothing here does work proportional to the table under one critical
 * section, except teardown: flushes and dumps go in bounded steps, and the
 * owner drops its lock between them.
 */
#include <linux/ctype.h>
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

#include "cache_object.h"
#include "counters.h"
#include "entry.h"
#include "strategy.h"
#include "table.h"

static void table_assert_owned(const struct cacheproxy_table *t)
{
	if (t->lock)
		lockdep_assert_held(t->lock);
	else
		lockdep_assert(!t->owner || current == t->owner);
}

/*
 * A table of @capacity entries holding at most @capacity_bytes, with the
 * lifetimes of @cache's configuration. @lock is the spinlock the owner
 * holds around every call but cacheproxy_table_find_rcu(); NULL when a
 * single thread owns the table, in which case the owner stores its task
 * in t->owner once it knows it.
 */
int cacheproxy_table_init(struct cacheproxy_table *t,
			  struct cacheproxy_cache *cache,
			  unsigned int capacity, size_t capacity_bytes,
			  spinlock_t *lock)
{
	/* About one entry per bucket when full; at least two buckets. */
	t->bits = max(order_base_2(capacity), 1);
	t->buckets = kvcalloc(1U << t->bits, sizeof(*t->buckets), GFP_KERNEL);
	if (!t->buckets)
		return -ENOMEM;
	INIT_LIST_HEAD(&t->clock);
	t->count = 0;
	t->capacity = capacity;
	t->bytes = 0;
	t->capacity_bytes = capacity_bytes;
	t->ttl_ns = (u64)cache->cfg.ttl_ms * NSEC_PER_MSEC;
	t->neg_ttl_ns = (u64)cache->cfg.neg_ttl_ms * NSEC_PER_MSEC;
	t->cache = cache;
	t->lock = lock;
	t->owner = NULL;
	return 0;
}

static void table_remove(struct cacheproxy_table *t, struct cacheproxy_entry *e,
			 enum cacheproxy_counter why)
{
	hlist_del_rcu(&e->node);
	list_del(&e->clock);
	t->count--;
	t->bytes -= cacheproxy_entry_bytes(e);
	cacheproxy_counters_dec(&t->cache->counters, CACHEPROXY_CTR_ENTRIES);
	cacheproxy_counters_add(&t->cache->counters, CACHEPROXY_CTR_BYTES,
				-(s64)cacheproxy_entry_bytes(e));
	if (why != CACHEPROXY_NR_COUNTERS)
		cacheproxy_counters_inc(&t->cache->counters, why);
	cacheproxy_entry_put(e);
}

/*
 * Tears the table down. The caller guarantees that nobody else uses it any
 * more, so there is no lock to check (and it may sleep); removed entries
 * are not counted.
 */
void cacheproxy_table_uninit(struct cacheproxy_table *t)
{
	struct cacheproxy_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &t->clock, clock) {
		table_remove(t, e, CACHEPROXY_NR_COUNTERS);
		cond_resched();
	}
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
					       u32 hash)
{
	struct cacheproxy_entry *e;

	table_assert_owned(t);
	hlist_for_each_entry(e, cacheproxy_table_bucket(t, hash), node) {
		if (!cacheproxy_entry_matches(e, key, key_len, hash))
			continue;
		if (cacheproxy_entry_expired(e, cacheproxy_now(t->cache))) {
			table_remove(t, e, CACHEPROXY_CTR_EXPIRATIONS);
			return NULL;
		}
		WRITE_ONCE(e->referenced, true);
		return e;
	}
	return NULL;
}

/*
 * Makes room for one entry of @bytes (at most the table's byte capacity):
 * drops the expired, evicts the unreferenced, until both the entry count
 * and the bytes leave room. Lock-free readers set the CLOCK bit without
 * the lock, so on a small hot table the hand could find every entry
 * referenced again on every pass: after two full passes it evicts the
 * entry under the hand regardless.
 */
static void table_make_room(struct cacheproxy_table *t, u64 now, size_t bytes)
{
	unsigned int spared = 0;
	struct cacheproxy_entry *e;

	/* t->bytes <= t->capacity_bytes always: the difference cannot wrap. */
	while (t->count >= t->capacity ||
	       bytes > t->capacity_bytes - t->bytes) {
		e = list_first_entry(&t->clock, struct cacheproxy_entry, clock);
		if (cacheproxy_entry_expired(e, now)) {
			table_remove(t, e, CACHEPROXY_CTR_EXPIRATIONS);
		} else if (READ_ONCE(e->referenced) && spared < 2 * t->count) {
			/* The test hook plays a reader that hits non-stop. */
			WRITE_ONCE(e->referenced, IS_ENABLED(CONFIG_KUNIT) &&
				   READ_ONCE(t->cache->test_sticky_refs));
			list_move_tail(&e->clock, &t->clock);
			spared++;
		} else {
			table_remove(t, e, CACHEPROXY_CTR_EVICTIONS);
		}
	}
}

/*
 * Inserts @e (a fresh entry from the loader, never inserted before) and
 * takes a reference of its own; the caller keeps its reference. Replaces an
 * older entry of the same key. A negative entry is not inserted when
 * negative caching is off, nor an entry larger than the table's byte
 * capacity (the older entry of its key is still removed: it is stale).
 */
void cacheproxy_table_insert(struct cacheproxy_table *t,
			     struct cacheproxy_entry *e)
{
	u64 ttl = e->err ? t->neg_ttl_ns : t->ttl_ns;
	size_t bytes = cacheproxy_entry_bytes(e);
	struct cacheproxy_entry *old;
	u64 now;

	table_assert_owned(t);
	if (e->err && !ttl)
		return;
	hlist_for_each_entry(old, cacheproxy_table_bucket(t, e->hash), node) {
		if (cacheproxy_entry_matches(old, cacheproxy_entry_key(e),
					     e->key_len, e->hash)) {
			table_remove(t, old, CACHEPROXY_NR_COUNTERS);
			break;
		}
	}
	if (bytes > t->capacity_bytes)
		return;
	now = cacheproxy_now(t->cache);
	table_make_room(t, now, bytes);

	e->created = now;
	e->expires = ttl ? now + ttl : U64_MAX;
	list_add_tail(&e->clock, &t->clock);
	hlist_add_head_rcu(&cacheproxy_entry_get(e)->node,
			   cacheproxy_table_bucket(t, e->hash));
	t->count++;
	t->bytes += bytes;
	cacheproxy_counters_inc(&t->cache->counters, CACHEPROXY_CTR_ENTRIES);
	cacheproxy_counters_add(&t->cache->counters, CACHEPROXY_CTR_BYTES, bytes);
}

/* Removes @key if cached (counted). Loads in flight are the caller's. */
void cacheproxy_table_invalidate(struct cacheproxy_table *t, const char *key,
				 size_t key_len, u32 hash)
{
	struct cacheproxy_entry *e;

	table_assert_owned(t);
	hlist_for_each_entry(e, cacheproxy_table_bucket(t, hash), node) {
		if (cacheproxy_entry_matches(e, key, key_len, hash)) {
			table_remove(t, e, CACHEPROXY_CTR_INVALIDATIONS);
			break;
		}
	}
}

/* Entries a flush removes per critical section. */
#define TABLE_FLUSH_BATCH	64

/* Removes up to @max of the oldest entries (each counted). */
static unsigned int table_flush_some(struct cacheproxy_table *t,
				     unsigned int max)
{
	struct cacheproxy_entry *e;
	unsigned int n = 0;

	table_assert_owned(t);
	while (n < max && !list_empty(&t->clock)) {
		e = list_first_entry(&t->clock, struct cacheproxy_entry, clock);
		table_remove(t, e, CACHEPROXY_CTR_INVALIDATIONS);
		n++;
	}
	return n;
}

/*
 * Removes the entries cached when it is called (each counted), in batches
 * of TABLE_FLUSH_BATCH: called WITHOUT the owner's lock, it takes and drops
 * t->lock around each batch, so a large table is never flushed in one
 * critical section. An owner thread (no lock) calls it itself and may be
 * rescheduled between batches. Entries inserted meanwhile may survive.
 */
void cacheproxy_table_flush(struct cacheproxy_table *t)
{
	unsigned int left, n;

	if (!t->lock) {
		left = t->count;
		while (left && (n = table_flush_some(t, min(left, TABLE_FLUSH_BATCH)))) {
			left -= n;
			cond_resched();
		}
		return;
	}
	spin_lock(t->lock);
	left = t->count;
	while (left && (n = table_flush_some(t, min(left, TABLE_FLUSH_BATCH)))) {
		left -= n;
		spin_unlock(t->lock);
		cond_resched();
		spin_lock(t->lock);
	}
	spin_unlock(t->lock);
}

/* The number of chunks cacheproxy_table_show_chunk() prints the table in. */
unsigned long cacheproxy_table_chunks(const struct cacheproxy_table *t)
{
	return DIV_ROUND_UP(1UL << t->bits, CACHEPROXY_TABLE_CHUNK);
}

/*
 * Prints the key of @e, escaping the bytes that would break the line's
 * fields: control characters, space, DEL and backslash become a backslash
 * and three octal digits, as /proc/self/mountinfo prints paths.
 */
static void table_show_key(struct seq_file *m, const struct cacheproxy_entry *e)
{
	static const char escaped[] = " \\\177"
		"\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017"
		"\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037";

	seq_escape_mem(m, cacheproxy_entry_key(e), e->key_len, ESCAPE_OCTAL,
		       escaped);
}

/*
 * Prints one line per entry of the buckets of @chunk (a bounded amount of
 * work): "KEY STATE AGE_MS VALUE_LEN", STATE being "value", "enoent" or
 * "expired" (not yet removed), the key escaped as table_show_key() says.
 */
void cacheproxy_table_show_chunk(struct cacheproxy_table *t, struct seq_file *m,
				 unsigned long chunk)
{
	unsigned long b = chunk * CACHEPROXY_TABLE_CHUNK;
	unsigned long end = min(b + CACHEPROXY_TABLE_CHUNK, 1UL << t->bits);
	struct cacheproxy_entry *e;
	const char *state;
	u64 now;

	table_assert_owned(t);
	now = cacheproxy_now(t->cache);
	for (; b < end; b++) {
		hlist_for_each_entry(e, &t->buckets[b], node) {
			if (cacheproxy_entry_expired(e, now))
				state = "expired";
			else
				state = e->err ? "enoent" : "value";
			table_show_key(m, e);
			seq_printf(m, " %s %llu %u\n", state,
				   div_u64(now - e->created, NSEC_PER_MSEC),
				   e->val_len);
		}
	}
}
