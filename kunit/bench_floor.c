// SPDX-License-Identifier: GPL-2.0
/*
 * The RCU floor table of the in-kernel benchmark (bench_floor.h).
 *
 * Filled before the reader threads start and freed after they were
 * reaped, so it needs no lock: readers only take rcu_read_lock(), as the
 * cache's hit does. The value of key K is "K:1", the shape of the
 * synthetic loader's first answer.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "bench_floor.h"

/* An entry: key, then value "KEY:1". */
struct floor_entry {
	struct hlist_node node;
	u32 hash;
	u16 key_len;
	u16 val_len;
	char data[];
};

/* Sizes @t for @capacity keys. Returns 0 or -ENOMEM. */
int cacheproxy_floor_init(struct cacheproxy_floor *t, unsigned int capacity)
{
	t->bits = max(order_base_2(capacity), 1);
	t->seed = get_random_u32();
	t->buckets = kvcalloc(1U << t->bits, sizeof(*t->buckets), GFP_KERNEL);
	return t->buckets ? 0 : -ENOMEM;
}

/* Adds @key with its value; no reader may run yet. Returns 0 or -ENOMEM. */
int cacheproxy_floor_add(struct cacheproxy_floor *t, const char *key,
			 size_t key_len)
{
	size_t vlen = key_len + 2;
	struct floor_entry *e;

	e = kmalloc(struct_size(e, data, key_len + vlen), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->hash = jhash(key, key_len, t->seed);
	e->key_len = key_len;
	e->val_len = vlen;
	memcpy(e->data, key, key_len);
	memcpy(e->data + key_len, key, key_len);
	memcpy(e->data + 2 * key_len, ":1", 2);
	hlist_add_head_rcu(&e->node, &t->buckets[hash_32(e->hash, t->bits)]);
	return 0;
}

/*
 * Copies the value of @key into @val as cacheproxy_lookup() does: 0,
 * -ENOSPC when it does not fit (*@val_len says its size), -ENOENT.
 */
int cacheproxy_floor_lookup(struct cacheproxy_floor *t, const char *key,
			    size_t key_len, char *val, size_t val_size,
			    size_t *val_len)
{
	u32 hash = jhash(key, key_len, t->seed);
	struct floor_entry *e;
	int ret = -ENOENT;

	rcu_read_lock();
	hlist_for_each_entry_rcu(e, &t->buckets[hash_32(hash, t->bits)],
				 node) {
		if (e->hash != hash || e->key_len != key_len ||
		    memcmp(e->data, key, key_len))
			continue;
		*val_len = e->val_len;
		ret = -ENOSPC;
		if (e->val_len <= val_size) {
			memcpy(val, e->data + key_len, e->val_len);
			ret = 0;
		}
		break;
	}
	rcu_read_unlock();
	return ret;
}

/* Frees every entry; no reader may be left. Safe on a table never sized. */
void cacheproxy_floor_uninit(struct cacheproxy_floor *t)
{
	struct floor_entry *e;
	struct hlist_node *tmp;
	unsigned int i;

	if (!t->buckets)
		return;
	for (i = 0; i < 1U << t->bits; i++) {
		hlist_for_each_entry_safe(e, tmp, &t->buckets[i], node)
			kfree(e);
		if (!(i & 1023))
			cond_resched();
	}
	kvfree(t->buckets);
	t->buckets = NULL;
}
