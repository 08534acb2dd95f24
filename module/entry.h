/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A cached entry: key and value inline in one allocation, immutable once
 * published except for its table linkage, its CLOCK bit and the times the
 * table sets before it publishes the entry.
 */
#ifndef _CACHEPROXY_ENTRY_H
#define _CACHEPROXY_ENTRY_H

#include <linux/cacheproxy.h>
#include <linux/list.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/string.h>
#include <linux/types.h>

#include "plant.h"

/**
 * struct cacheproxy_entry - one key and its value (or its cached error)
 * @node:	link in a table bucket; changed under the table's lock with the
 *		_rcu list helpers, so RCU readers may walk it
 * @clock:	link in the table's CLOCK ring; protected by the table's lock
 * @rcu:	the entry is freed one grace period after its last put
 * @ref:	one reference for the table that holds it, one for every
 *		context that copies its value outside the table's lock
 * @created:	cache-clock time of insertion (set before publication)
 * @expires:	cache-clock time the entry dies, U64_MAX for never (ditto)
 * @hash:	hash of the key
 * @err:	0 for a value, -ENOENT for a cached "no such key"
 * @referenced:	CLOCK bit; set without a lock by readers that hit (a lost
 *		update only makes eviction less exact), cleared under the
 *		table's lock
 * @key_len:	length of the key at @data
 * @val_len:	length of the value at @data + @key_len
 * @data:	the key, then the value; neither NUL-terminated
 */
struct cacheproxy_entry {
	struct hlist_node node;
	struct list_head clock;
	struct rcu_head rcu;
	refcount_t ref;
	u64 created;
	u64 expires;
	u32 hash;
	int err;
	bool referenced;
	u16 key_len;
	u16 val_len;
	char data[];
};

/**
 * struct cacheproxy_value - where a lookup leaves the value it found
 * @buf:	in: a buffer for the value (NULL when @size is 0)
 * @size:	in: its size
 * @by_ref:	in: a value longer than @size is handed over as a reference
 *		to its entry in @entry, instead of failing with -ENOSPC
 * @len:	out: the value's length (set also with -ENOSPC)
 * @entry:	out: NULL, or (see @by_ref) a reference to the entry whose
 *		value is the answer: @len bytes at cacheproxy_entry_value();
 *		the caller drops it with cacheproxy_value_release()
 *
 * Short values are copied to @buf under the strategy's lock or RCU read
 * section, so a shard hit on one takes no reference. Long values are not
 * bounced through a buffer: the caller copies them to where they go (user
 * space) straight from the entry, outside any lock, the reference keeping
 * the entry alive meanwhile. Such an entry may outlive its place in the
 * table (evicted, flushed) until that copy ends: its memory then no longer
 * counts in the byte budget, one entry per lookup in progress at most.
 */
struct cacheproxy_value {
	char *buf;
	size_t size;
	bool by_ref;
	size_t len;
	struct cacheproxy_entry *entry;
};

/* The memory of the largest entry, as cacheproxy_entry_bytes() counts it. */
#define CACHEPROXY_ENTRY_BYTES_MAX					\
	struct_size_t(struct cacheproxy_entry, data,			\
		      CACHEPROXY_KEY_MAX + CACHEPROXY_VALUE_MAX)

int cacheproxy_entry_slab_init(void);
void cacheproxy_entry_slab_uninit(void);
struct cacheproxy_entry *cacheproxy_entry_alloc(const char *key, size_t key_len,
						u32 hash, const char *val,
						size_t val_len, int err);
size_t cacheproxy_entry_bytes(const struct cacheproxy_entry *e);
void cacheproxy_entry_free_rcu(struct rcu_head *rcu);
void cacheproxy_value_release(struct cacheproxy_value *v);

/* True when two keys, each with its hash, are the same bytes. */
static inline bool cacheproxy_key_equal(const char *a, size_t a_len, u32 a_hash,
					const char *b, size_t b_len, u32 b_hash)
{
	return a_hash == b_hash && a_len == b_len && !memcmp(a, b, a_len);
}

static inline bool cacheproxy_entry_matches(const struct cacheproxy_entry *e,
					    const char *key, size_t key_len,
					    u32 hash)
{
	return cacheproxy_key_equal(e->data, e->key_len, e->hash, key, key_len,
				    hash);
}

/* Returns a new reference to @e; the caller must already hold one. */
static inline struct cacheproxy_entry *
cacheproxy_entry_get(struct cacheproxy_entry *e)
{
	refcount_inc(&e->ref);
	return e;
}

/* Drops a reference; the last one frees @e after a grace period. */
static inline void cacheproxy_entry_put(struct cacheproxy_entry *e)
{
	if (e && refcount_dec_and_test(&e->ref))
		call_rcu(&e->rcu, cacheproxy_entry_free_rcu);
}

static inline const char *cacheproxy_entry_key(const struct cacheproxy_entry *e)
{
	return e->data;
}

static inline const char *
cacheproxy_entry_value(const struct cacheproxy_entry *e)
{
	return e->data + e->key_len;
}

/* The value of @v: in its buffer, or in the entry it holds. */
static inline const char *cacheproxy_value_data(const struct cacheproxy_value *v)
{
	return v->entry ? cacheproxy_entry_value(v->entry) : v->buf;
}

/* True when @e has lived past its lifetime at cache-clock time @now. */
static inline bool cacheproxy_entry_expired(const struct cacheproxy_entry *e,
					    u64 now)
{
	return now >= READ_ONCE(e->expires);
}

/*
 * Hands the value of @e to @v (see struct cacheproxy_value): copies it to
 * v->buf when it fits, otherwise takes a reference in v->entry if v->by_ref
 * allows. Returns 0, the entry's cached error, -ENOSPC when the value does
 * not fit and may not be referenced (v->len is still set), or -ESTALE when
 * @e is being freed: only possible on an entry found by an RCU walk (the
 * caller holds no reference and the table dropped its own), which the
 * caller then treats as not found. Safe under rcu_read_lock(). Inline:
 * it is most of a hit.
 */
static inline int cacheproxy_entry_copy(struct cacheproxy_entry *e,
					struct cacheproxy_value *v)
{
	if (e->err)
		return e->err;
	v->len = e->val_len;
	if (v->size >= e->val_len + CACHEPROXY_PLANT_ENOSPC_OFF_BY_ONE) {
		memcpy(v->buf, cacheproxy_entry_value(e), e->val_len);
		return 0;
	}
	if (!v->by_ref)
		return -ENOSPC;
	if (!refcount_inc_not_zero(&e->ref))
		return -ESTALE;
	v->entry = e;
	return 0;
}

#endif /* _CACHEPROXY_ENTRY_H */
