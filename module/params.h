/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module parameters of cacheproxy.ko.
 */
#ifndef _CACHEPROXY_PARAMS_H
#define _CACHEPROXY_PARAMS_H

struct cacheproxy_config;

void cacheproxy_params_config(struct cacheproxy_config *cfg);

#endif /* _CACHEPROXY_PARAMS_H */
