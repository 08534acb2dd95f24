/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RCU floor of the in-kernel benchmark: a bare RCU hash table (hlist
 * buckets, jhash, rcu_read_lock(), a memcpy of the value) holding the same
 * keys as the cache under test, with none of the cache's work (no key
 * check, no counters, no expiry, no flights). What a lookup costs here is
 * the floor of any lookup; the benchmark divides the cache's hit by it.
 */
#ifndef _CACHEPROXY_BENCH_FLOOR_H
#define _CACHEPROXY_BENCH_FLOOR_H

#include <linux/types.h>

struct hlist_head;

/**
 * struct cacheproxy_floor - the table
 * @buckets:	1 << @bits hlist heads; filled by cacheproxy_floor_add()
 *		before any reader starts, only read while readers run
 * @bits:	as the cache's table sizes itself for the same capacity
 * @seed:	jhash seed
 */
struct cacheproxy_floor {
	struct hlist_head *buckets;
	unsigned int bits;
	u32 seed;
};

int cacheproxy_floor_init(struct cacheproxy_floor *t, unsigned int capacity);
int cacheproxy_floor_add(struct cacheproxy_floor *t, const char *key,
			 size_t key_len);
int cacheproxy_floor_lookup(struct cacheproxy_floor *t, const char *key,
			    size_t key_len, char *val, size_t val_size,
			    size_t *val_len);
void cacheproxy_floor_uninit(struct cacheproxy_floor *t);

#endif /* _CACHEPROXY_BENCH_FLOOR_H */
