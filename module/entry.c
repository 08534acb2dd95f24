// SPDX-License-Identifier: GPL-2.0
/*
 * Entries. The loader allocates one per load result, the strategies pass
 * references around and the table keeps one; the last put frees the entry
 * with kfree_rcu(), so a lock-free reader that found it in a table under
 * rcu_read_lock() may still copy its value after it was removed.
 */
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "entry.h"
#include "fault.h"

/*
 * Returns a new entry holding one reference, or NULL. @err is 0 for a value
 * or -ENOENT for a negative entry (then @val_len is 0).
 */
struct cacheproxy_entry *cacheproxy_entry_alloc(const char *key, size_t key_len,
						u32 hash, const char *val,
						size_t val_len, int err)
{
	struct cacheproxy_entry *e;

	if (key_len > U16_MAX || val_len > U16_MAX)
		return NULL;
	/* Runs in the loader's worker: the fault point stands for failslab. */
	e = cacheproxy_fault_kmalloc(struct_size(e, data, key_len + val_len),
				     GFP_KERNEL);
	if (!e)
		return NULL;
	INIT_HLIST_NODE(&e->node);
	INIT_LIST_HEAD(&e->clock);
	refcount_set(&e->ref, 1);
	e->created = 0;
	e->expires = U64_MAX;
	e->hash = hash;
	e->err = err;
	e->referenced = false;
	e->key_len = key_len;
	e->val_len = val_len;
	memcpy(e->data, key, key_len);
	if (val_len)
		memcpy(e->data + key_len, val, val_len);
	return e;
}

/*
 * Copies the value of @e into @val and its length into *@val_len. Returns 0,
 * the entry's cached error, or -ENOSPC when @val_size is too small (*@val_len
 * is still set). Safe under rcu_read_lock() on an entry found by an RCU walk.
 */
int cacheproxy_entry_copy(const struct cacheproxy_entry *e, char *val,
			  size_t val_size, size_t *val_len)
{
	if (e->err)
		return e->err;
	*val_len = e->val_len;
	if (val_size < e->val_len)
		return -ENOSPC;
	memcpy(val, e->data + e->key_len, e->val_len);
	return 0;
}

bool cacheproxy_entry_matches(const struct cacheproxy_entry *e,
			      const char *key, size_t key_len, u32 hash)
{
	return e->hash == hash && e->key_len == key_len &&
	       !memcmp(e->data, key, key_len);
}
