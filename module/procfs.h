/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /proc/cacheproxy directory.
 */
#ifndef _CACHEPROXY_PROCFS_H
#define _CACHEPROXY_PROCFS_H

int cacheproxy_procfs_init(void);
void cacheproxy_procfs_uninit(void);

#endif /* _CACHEPROXY_PROCFS_H */
