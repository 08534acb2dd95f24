/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel benchmark: /sys/kernel/debug/cacheproxy/bench (0600).
 * Writing a command runs one benchmark on a fresh cache of its own, in
 * kernel threads that call cacheproxy_lookup() directly; reading returns
 * the result of the last run as "name value" lines. See bench.c.
 */
#ifndef _CACHEPROXY_BENCH_H
#define _CACHEPROXY_BENCH_H

int cacheproxy_bench_init(void);
void cacheproxy_bench_uninit(void);

#endif /* _CACHEPROXY_BENCH_H */
