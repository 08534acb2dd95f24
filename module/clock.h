/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cache's clock: monotonic nanoseconds plus an offset that only tests
 * move (forward). Read it where the value is compared, under the lock that
 * orders what it is compared with: a time read before a lock or a sleeping
 * allocation is stale by the time it is used.
 */
#ifndef _CACHEPROXY_CLOCK_H
#define _CACHEPROXY_CLOCK_H

#include <linux/atomic.h>
#include <linux/timekeeping.h>
#include <linux/types.h>

/**
 * struct cacheproxy_clock - one cache's clock
 * @offset:	added to ktime_get_ns(); only grows (test hook)
 */
struct cacheproxy_clock {
	atomic64_t offset;
};

static inline u64 cacheproxy_clock_now(const struct cacheproxy_clock *c)
{
	/* only a test moves it (test_hooks.c): never without KUnit */
	return ktime_get_ns() +
	       (IS_ENABLED(CONFIG_KUNIT) ? atomic64_read(&c->offset) : 0);
}

#endif /* _CACHEPROXY_CLOCK_H */
