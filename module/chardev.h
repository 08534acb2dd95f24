/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /dev/cacheproxy misc device.
 */
#ifndef _CACHEPROXY_CHARDEV_H
#define _CACHEPROXY_CHARDEV_H

struct cacheproxy_cache;

int cacheproxy_chardev_init(struct cacheproxy_cache *cache);
void cacheproxy_chardev_uninit(void);

#endif /* _CACHEPROXY_CHARDEV_H */
