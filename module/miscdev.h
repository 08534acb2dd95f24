/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /dev/cacheproxy misc device.
 */
#ifndef _CACHEPROXY_MISCDEV_H
#define _CACHEPROXY_MISCDEV_H

struct cacheproxy_cache;

int cacheproxy_miscdev_init(struct cacheproxy_cache *cache);
void cacheproxy_miscdev_uninit(void);

#endif /* _CACHEPROXY_MISCDEV_H */
