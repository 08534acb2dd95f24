/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cacheproxy: an in-kernel key cache in front of a slow loader.
 *
 * User-space interface of /dev/cacheproxy. Every struct has the same layout
 * for 32-bit and 64-bit callers (fixed-width types, user pointers carried in
 * __u64, explicit padding), so 32-bit processes use it unchanged through
 * compat_ioctl. Reserved fields and flags must be zero (EINVAL otherwise).
 *
 * Errors common to every command: EFAULT for a bad user pointer, EINVAL for
 * non-zero reserved fields or flags, ENOTTY for an unknown command.
 */
#ifndef _UAPI_LINUX_CACHEPROXY_H
#define _UAPI_LINUX_CACHEPROXY_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Keys are 1..255 bytes with no NUL and no newline. */
#define CACHEPROXY_KEY_MAX	255
/* A value is "KEY:N", N a decimal u64: at most 255 + 1 + 20 bytes. */
#define CACHEPROXY_VALUE_MAX	276
/* GET_BATCH takes at most this many keys per call. */
#define CACHEPROXY_BATCH_MAX	256

/**
 * struct cacheproxy_get - one lookup (CACHEPROXY_IOC_GET)
 * @key:	in: user pointer to the key bytes (not NUL-terminated)
 * @value:	in: user pointer to a buffer for the value
 * @key_len:	in: length of the key, 1..CACHEPROXY_KEY_MAX
 * @value_size:	in: size of the @value buffer
 * @value_len:	out: length of the value; written even when @value_size is
 *		too small, in which case the ioctl fails with ENOSPC
 * @flags:	in: must be 0
 * @reserved:	must be 0
 *
 * Errors: the lookup's own errno (ENOENT, EIO from the loader; EINVAL for an
 * empty key or one with NUL or newline; ENAMETOOLONG for a long key; EINTR
 * when the caller was killed while waiting; ENOMEM), or ENOSPC as above.
 */
struct cacheproxy_get {
	__u64 key;
	__u64 value;
	__u32 key_len;
	__u32 value_size;
	__u32 value_len;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct cacheproxy_batch_item - one key of a CACHEPROXY_IOC_GET_BATCH
 * @key:	in: user pointer to the key bytes
 * @value:	in: user pointer to a buffer for the value
 * @key_len:	in: length of the key
 * @value_size:	in: size of the @value buffer
 * @value_len:	out: length of the value (also when @status is -ENOSPC)
 * @status:	out: 0 or a negative errno, as CACHEPROXY_IOC_GET would fail
 */
struct cacheproxy_batch_item {
	__u64 key;
	__u64 value;
	__u32 key_len;
	__u32 value_size;
	__u32 value_len;
	__s32 status;
};

/**
 * struct cacheproxy_get_batch - many lookups in one call
 * @items:	in: user pointer to an array of struct cacheproxy_batch_item
 * @count:	in: number of items, 1..CACHEPROXY_BATCH_MAX (EINVAL otherwise)
 * @flags:	in: must be 0
 * @reserved:	must be 0
 *
 * The ioctl returns 0 when every item was looked up (each item then carries
 * its own status), or fails as a whole (EFAULT, EINVAL, EINTR, ENOMEM).
 */
struct cacheproxy_get_batch {
	__u64 items;
	__u32 count;
	__u32 flags;
	__u64 reserved;
};

/**
 * struct cacheproxy_key - a key to invalidate (CACHEPROXY_IOC_INVALIDATE)
 * @key:	in: user pointer to the key bytes
 * @key_len:	in: length of the key
 * @reserved:	must be 0
 *
 * Invalidating a key that is not cached succeeds. A load of the key that is
 * in flight when it is invalidated answers its waiters but is not cached.
 */
struct cacheproxy_key {
	__u64 key;
	__u32 key_len;
	__u32 reserved;
};

#define CACHEPROXY_STATS_VERSION	2
#define CACHEPROXY_LAT_BUCKETS		32
#define CACHEPROXY_STRATEGY_LEN		16

/**
 * struct cacheproxy_stats - counters (CACHEPROXY_IOC_STATS)
 * @size:	in: sizeof(struct cacheproxy_stats) as the caller knows it,
 *		at least 8 (@size and @version; EINVAL below that); out: the
 *		kernel's size. The kernel fills min(in size, its size) bytes,
 *		so old callers keep working.
 * @version:	out: CACHEPROXY_STATS_VERSION (1: up to @strategy; 2 added
 *		@nomem)
 * @lookups:	lookups made (hits + misses)
 * @hits:	lookups answered from the cache, without waiting for a load
 * @misses:	lookups that waited for a load (their own or a shared one),
 *		or failed with ENOMEM trying (@nomem):
 *		misses = loads_started + coalesced + nomem
 * @loads_started: loads queued on the loader workqueue
 * @loads_ok:	loads that produced a value
 * @loads_failed: loads that failed (ENOENT, EIO, shutdown)
 * @coalesced:	misses served by a load they did not start
 * @evictions:	entries removed to make room
 * @expirations: entries removed because their lifetime ended
 * @invalidations: entries removed by invalidate or flush
 * @entries:	entries cached now
 * @inflight:	loads in flight now
 * @lat_ns_log2: lookup latency histogram: bucket i counts lookups that
 *		took [2^i, 2^(i+1)) ns (bucket 0 also counts 0 ns; the last
 *		bucket counts everything longer)
 * @strategy:	NUL-terminated name of the strategy in use
 * @nomem:	misses that failed with ENOMEM before they started or joined
 *		a load (a load that fails for want of memory counts in
 *		@loads_failed instead)
 */
struct cacheproxy_stats {
	__u32 size;
	__u32 version;
	__u64 lookups;
	__u64 hits;
	__u64 misses;
	__u64 loads_started;
	__u64 loads_ok;
	__u64 loads_failed;
	__u64 coalesced;
	__u64 evictions;
	__u64 expirations;
	__u64 invalidations;
	__u64 entries;
	__u64 inflight;
	__u64 lat_ns_log2[CACHEPROXY_LAT_BUCKETS];
	char strategy[CACHEPROXY_STRATEGY_LEN];
	__u64 nomem;
};

#define CACHEPROXY_IOC_MAGIC	0xCB

#define CACHEPROXY_IOC_GET	  _IOWR(CACHEPROXY_IOC_MAGIC, 1, struct cacheproxy_get)
#define CACHEPROXY_IOC_GET_BATCH  _IOW(CACHEPROXY_IOC_MAGIC, 2, struct cacheproxy_get_batch)
#define CACHEPROXY_IOC_INVALIDATE _IOW(CACHEPROXY_IOC_MAGIC, 3, struct cacheproxy_key)
#define CACHEPROXY_IOC_FLUSH	  _IO(CACHEPROXY_IOC_MAGIC, 4)
#define CACHEPROXY_IOC_STATS	  _IOWR(CACHEPROXY_IOC_MAGIC, 5, struct cacheproxy_stats)

#endif /* _UAPI_LINUX_CACHEPROXY_H */
