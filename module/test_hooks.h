/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test hooks of the cache: handles the KUnit tests turn to make a race
 * happen on purpose (a gate on the loader, a clock they move, an owner
 * thread held, a miss paused before its flight). Built only into a module
 * for a kernel with KUnit (Kbuild: test_hooks.o), and exported to the
 * test modules only (EXPORT_SYMBOL_IF_KUNIT): a cacheproxy.ko built for a
 * kernel without KUnit has none.
 */
#ifndef _CACHEPROXY_TEST_HOOKS_H
#define _CACHEPROXY_TEST_HOOKS_H

#include <linux/types.h>

struct cacheproxy_cache;

void cacheproxy_test_advance_clock(struct cacheproxy_cache *cache, u64 ns);
void cacheproxy_test_gate_loads(struct cacheproxy_cache *cache, bool closed);
void cacheproxy_test_hold_owner(struct cacheproxy_cache *cache, bool held);
void cacheproxy_test_sticky_refs(struct cacheproxy_cache *cache, bool sticky);
void cacheproxy_test_pause_flight(struct cacheproxy_cache *cache, bool paused);
bool cacheproxy_test_flight_paused(struct cacheproxy_cache *cache);

#endif /* _CACHEPROXY_TEST_HOOKS_H */
