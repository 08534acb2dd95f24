/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's own fault point, /sys/kernel/debug/fail_cacheproxy (the
 * kernel's fault_attr knobs: probability, interval, times, verbose...; see
 * Documentation/fault-injection/fault-injection.rst), as fail_sunrpc is
 * sunrpc's.
 *
 * It fails the allocation the module makes on behalf of a caller but
 * outside the caller's task: the loader's result entry (in a workqueue
 * worker). Allocations made in the caller's own task (flights, kthread's
 * messages) are failed by the kernel's failslab, stepped with
 * /proc/self/task/<tid>/fail-nth; no fault-nth can reach a shared worker.
 *
 * Built where the kernel has CONFIG_FAULT_INJECTION; elsewhere the stubs
 * below never fail and create nothing.
 */
#ifndef _CACHEPROXY_FAULT_H
#define _CACHEPROXY_FAULT_H

#include <linux/kconfig.h>
#include <linux/types.h>

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
void cacheproxy_fault_init(void);
void cacheproxy_fault_uninit(void);
bool cacheproxy_fault_fail_alloc(size_t size);
#else
static inline void cacheproxy_fault_init(void)
{
}

static inline void cacheproxy_fault_uninit(void)
{
}

static inline bool cacheproxy_fault_fail_alloc(size_t size)
{
	return false;
}
#endif

#endif /* _CACHEPROXY_FAULT_H */
