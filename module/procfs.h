/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /proc/cacheproxy directory.
 */
#ifndef _CACHEPROXY_PROCFS_H
#define _CACHEPROXY_PROCFS_H

struct cacheproxy_cache;

int cacheproxy_procfs_init(struct cacheproxy_cache *cache);
void cacheproxy_procfs_uninit(void);

#endif /* _CACHEPROXY_PROCFS_H */
