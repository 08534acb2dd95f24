/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Planted bugs: the negative control of the tests (scripts/negative-control).
 * A test build made with "make CACHEPROXY_PLANT=NAME" turns one of them on;
 * each must turn its named test red while every other test stays green.
 * Every other build has them all at 0, and the compiler removes the code
 * they guard. Never set one in a module anyone uses.
 *
 * NO_SECOND_LOOK	singleflight's leader does not look at the table again
 *			after registering: a load that landed between its miss
 *			and its registration is loaded again
 *			(cacheproxy_harden.miss_then_load_lands)
 * ENOSPC_OFF_BY_ONE	a value exactly the size of the buffer is -ENOSPC
 *			(cacheproxy_cache.value_buffer_too_small)
 * UNINTERRUPTIBLE	waiters sleep uninterruptibly: a signal does not end
 *			the wait (cacheproxy_harden.signal_ends_wait)
 * NO_KEY_INVALIDATE	invalidate leaves the key's flights alone: a stale
 *			load is cached (cacheproxy_burst.invalidate_inflight)
 */
#ifndef _CACHEPROXY_PLANT_H
#define _CACHEPROXY_PLANT_H

#ifndef CACHEPROXY_PLANT_NO_SECOND_LOOK
#define CACHEPROXY_PLANT_NO_SECOND_LOOK		0
#endif
#ifndef CACHEPROXY_PLANT_ENOSPC_OFF_BY_ONE
#define CACHEPROXY_PLANT_ENOSPC_OFF_BY_ONE	0
#endif
#ifndef CACHEPROXY_PLANT_UNINTERRUPTIBLE
#define CACHEPROXY_PLANT_UNINTERRUPTIBLE	0
#endif
#ifndef CACHEPROXY_PLANT_NO_KEY_INVALIDATE
#define CACHEPROXY_PLANT_NO_KEY_INVALIDATE	0
#endif

/* Non-zero in a build with a planted bug. */
#define CACHEPROXY_PLANTED	(CACHEPROXY_PLANT_NO_SECOND_LOOK | \
				 CACHEPROXY_PLANT_ENOSPC_OFF_BY_ONE | \
				 CACHEPROXY_PLANT_UNINTERRUPTIBLE | \
				 CACHEPROXY_PLANT_NO_KEY_INVALIDATE)

#endif /* _CACHEPROXY_PLANT_H */
