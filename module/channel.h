/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A loader daemon's channel: the file CACHEPROXY_IOC_LOADER_ATTACH returns.
 */
#ifndef _CACHEPROXY_CHANNEL_H
#define _CACHEPROXY_CHANNEL_H

struct cacheproxy_upcall;

int cacheproxy_channel_open(struct cacheproxy_upcall *up, unsigned int flags);

#endif /* _CACHEPROXY_CHANNEL_H */
