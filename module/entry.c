// SPDX-License-Identifier: GPL-2.0
/*
 * Entries. The loader allocates one per load result, the strategies pass
 * references around and the table keeps one; the last put frees the entry
 * after a grace period, so a lock-free reader that found it in a table
 * under rcu_read_lock() may still copy its value after it was removed.
 *
 * Entries come from slab caches of their own, one per size class
 * ("cacheproxy_entry_128", "_256", ... "_4096", and "_max" for the
 * longest key and value), so that an entry costs at most twice its size,
 * the byte budget (capacity_bytes) counts the object an entry really
 * occupies, and the number of entries alive is readable in
 * /proc/slabinfo (with slab_nomerge): a test can require it to be exactly
 * zero once the caches are flushed and a grace period has passed.
 */
#include <linux/cacheproxy.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "entry.h"
#include "fault.h"
#include "plant.h"

#define ENTRY_SIZE(n)		struct_size_t(struct cacheproxy_entry, data, n)
#define ENTRY_SIZE_MAX		CACHEPROXY_ENTRY_BYTES_MAX

/* Object sizes of the classes, smallest first; the last fits any entry. */
static const unsigned int entry_class_size[] = {
	128, 256, 512, 1024, 2048, 4096, ENTRY_SIZE_MAX,
};

static const char *const entry_class_name[] = {
	"cacheproxy_entry_128", "cacheproxy_entry_256", "cacheproxy_entry_512",
	"cacheproxy_entry_1024", "cacheproxy_entry_2048",
	"cacheproxy_entry_4096", "cacheproxy_entry_max",
};

/* One name per class; the last class is above the one before it. */
static_assert(ARRAY_SIZE(entry_class_size) == ARRAY_SIZE(entry_class_name) &&
	      ENTRY_SIZE_MAX > 4096);

static struct kmem_cache *entry_slab[ARRAY_SIZE(entry_class_size)];

/* The class of an entry with @data bytes of key and value. */
static unsigned int entry_class(size_t data)
{
	unsigned int i = 0;

	while (ENTRY_SIZE(data) > entry_class_size[i])
		i++;
	return i;
}

/*
 * Lookups copy long values to user space straight from the entry: the
 * key and value bytes are the caches' usercopy region, which
 * CONFIG_HARDENED_USERCOPY (Debian's kernels) requires of a slab cache
 * whose objects reach copy_to_user(); the header never does.
 */
int cacheproxy_entry_slab_init(void)
{
	const unsigned int data = offsetof(struct cacheproxy_entry, data);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(entry_slab); i++) {
		entry_slab[i] =
			kmem_cache_create_usercopy(entry_class_name[i],
						   entry_class_size[i], 0, 0,
						   data,
						   entry_class_size[i] - data,
						   NULL);
		if (!entry_slab[i]) {
			cacheproxy_entry_slab_uninit();
			return -ENOMEM;
		}
	}
	return 0;
}

/*
 * Every entry was put; waits for the grace periods of the last puts (their
 * callbacks free into the caches and live in this module) before the
 * caches go. Also unwinds a partial init.
 */
void cacheproxy_entry_slab_uninit(void)
{
	unsigned int i;

	rcu_barrier();
	for (i = 0; i < ARRAY_SIZE(entry_slab); i++) {
		kmem_cache_destroy(entry_slab[i]);
		entry_slab[i] = NULL;
	}
}

/*
 * Returns a new entry holding one reference, or NULL. @err is 0 for a value
 * or -ENOENT for a negative entry (then @val_len is 0).
 */
struct cacheproxy_entry *cacheproxy_entry_alloc(const char *key, size_t key_len,
						u32 hash, const char *val,
						size_t val_len, int err)
{
	struct cacheproxy_entry *e;

	if (key_len > CACHEPROXY_KEY_MAX || val_len > CACHEPROXY_VALUE_MAX)
		return NULL;
	/* Runs in the loader's worker: the fault point stands for failslab. */
	if (cacheproxy_fault_fail_alloc(ENTRY_SIZE(key_len + val_len)))
		return NULL;
	e = kmem_cache_alloc(entry_slab[entry_class(key_len + val_len)],
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
 * The memory @e holds, as the byte budget counts it: the size of its
 * slab object.
 */
size_t cacheproxy_entry_bytes(const struct cacheproxy_entry *e)
{
	return entry_class_size[entry_class(e->key_len + e->val_len)];
}

/* RCU callback of the last put. */
void cacheproxy_entry_free_rcu(struct rcu_head *rcu)
{
	struct cacheproxy_entry *e = container_of(rcu, struct cacheproxy_entry,
						  rcu);

	kmem_cache_free(entry_slab[entry_class(e->key_len + e->val_len)], e);
}

/* Drops the reference a lookup may have left in @v. */
void cacheproxy_value_release(struct cacheproxy_value *v)
{
	cacheproxy_entry_put(v->entry);
	v->entry = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_value_release);
