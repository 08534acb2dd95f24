/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /dev/cacheproxy misc device, and the user copies its ioctls and its
 * io_uring commands (uring.c) share.
 */
#ifndef _CACHEPROXY_MISCDEV_H
#define _CACHEPROXY_MISCDEV_H

#include <linux/types.h>

struct cacheproxy_cache;
struct cacheproxy_value;

/*
 * Values up to this long are copied through the caller's stack under the
 * strategy's lock or RCU; longer ones go to user space straight from their
 * entry (struct cacheproxy_value).
 */
#define CACHEPROXY_VALUE_INLINE	256

int cacheproxy_miscdev_init(struct cacheproxy_cache *cache);
void cacheproxy_miscdev_uninit(void);

int cacheproxy_key_from_user(char *key, u64 ukey, u32 key_len);
int cacheproxy_value_to_user(struct cacheproxy_value *v, u64 uval,
			     u32 value_size, u32 *value_len);

#endif /* _CACHEPROXY_MISCDEV_H */
