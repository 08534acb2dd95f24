/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A hash table of entries with a CLOCK eviction ring, a capacity in
 * entries and in bytes, and lifetimes. The table has no lock of its own:
 * its owner serialises every writer, either with a spinlock it registers
 * at init (the table then lockdep-checks it) or by touching the table
 * from one thread only (the table then checks that thread). Bucket lists
 * are written with the _rcu helpers, so lookups may also run under
 * rcu_read_lock() alone.
 *
 * The table reads the cache's clock itself, inside the owner's critical
 * section, so that no caller compares a stale time with an entry inserted
 * after it was read.
 */
#ifndef _CACHEPROXY_TABLE_H
#define _CACHEPROXY_TABLE_H

#include <linux/hash.h>
#include <linux/list.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "entry.h"

struct cacheproxy_cache;
struct seq_file;
struct task_struct;

/* Buckets printed per call of cacheproxy_table_show_chunk(). */
#define CACHEPROXY_TABLE_CHUNK	16

/**
 * struct cacheproxy_table - a hash table of entries
 * @buckets:	1 << @bits bucket heads, fixed for the table's life
 * @bits:	log2 of the bucket count
 * @clock:	CLOCK ring of every entry, oldest first; the hand is its head
 * @count:	entries in the table, at most @capacity
 * @capacity:	most entries held at once
 * @bytes:	memory of the entries in the table (cacheproxy_entry_bytes()),
 *		at most @capacity_bytes
 * @capacity_bytes: most memory held at once
 * @ttl_ns:	lifetime of a value, 0 for no expiry
 * @neg_ttl_ns:	lifetime of a negative entry, 0 for not cached
 * @cache:	the cache it belongs to: its clock (read under the owner's
 *		serialisation), its counters (evictions, expirations,
 *		invalidations, the entries gauge) and its test hooks
 * @lock:	the lock of the owner that serialises writers, or NULL
 * @owner:	when @lock is NULL, the only task that may touch the table
 *
 * Everything but @buckets' RCU walk is protected by @lock (or by being
 * @owner).
 */
struct cacheproxy_table {
	struct hlist_head *buckets;
	unsigned int bits;
	struct list_head clock;
	unsigned int count;
	unsigned int capacity;
	size_t bytes;
	size_t capacity_bytes;
	u64 ttl_ns;
	u64 neg_ttl_ns;
	struct cacheproxy_cache *cache;
	spinlock_t *lock; /* the owner's; see above */
	struct task_struct *owner;
};

int cacheproxy_table_init(struct cacheproxy_table *t,
			  struct cacheproxy_cache *cache, unsigned int capacity,
			  size_t capacity_bytes, spinlock_t *lock);
void cacheproxy_table_uninit(struct cacheproxy_table *t);

struct cacheproxy_entry *cacheproxy_table_find(struct cacheproxy_table *t,
					       const char *key, size_t key_len,
					       u32 hash);
void cacheproxy_table_insert(struct cacheproxy_table *t,
			     struct cacheproxy_entry *e);
void cacheproxy_table_invalidate(struct cacheproxy_table *t, const char *key,
				 size_t key_len, u32 hash);
void cacheproxy_table_flush(struct cacheproxy_table *t);
unsigned long cacheproxy_table_chunks(const struct cacheproxy_table *t);
void cacheproxy_table_show_chunk(struct cacheproxy_table *t, struct seq_file *m,
				 unsigned long chunk);

/* The bucket of @hash. */
static inline struct hlist_head *
cacheproxy_table_bucket(const struct cacheproxy_table *t, u32 hash)
{
	return &t->buckets[hash_32(hash, t->bits)];
}

/*
 * Lock-free lookup: must be called under rcu_read_lock(); the entry
 * returned is valid until rcu_read_unlock(). It may be expired (the caller
 * checks) and it may already have been removed from the table. Inline: it
 * is the shard strategy's hit.
 */
static inline struct cacheproxy_entry *
cacheproxy_table_find_rcu(struct cacheproxy_table *t, const char *key,
			  size_t key_len, u32 hash)
{
	struct cacheproxy_entry *e;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "needs rcu_read_lock()");
	hlist_for_each_entry_rcu(e, cacheproxy_table_bucket(t, hash), node) {
		if (cacheproxy_entry_matches(e, key, key_len, hash))
			return e;
	}
	return NULL;
}

#endif /* _CACHEPROXY_TABLE_H */
