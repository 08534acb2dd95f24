/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module parameters of cacheproxy.ko.
 */
#ifndef _CACHEPROXY_PARAMS_H
#define _CACHEPROXY_PARAMS_H

struct cacheproxy_config;

enum cacheproxy_strategy {
	CACHEPROXY_SPINLOCK,
	CACHEPROXY_KTHREAD,
	CACHEPROXY_SHARD,
	CACHEPROXY_SINGLEFLIGHT,
	CACHEPROXY_NR_STRATEGIES,
};

/* The strategy chosen by "strategy=" (set only at load time). */
extern enum cacheproxy_strategy cacheproxy_param_strategy;

const char *cacheproxy_strategy_name(enum cacheproxy_strategy s);
int cacheproxy_strategy_parse(const char *buf);
void cacheproxy_params_config(struct cacheproxy_config *cfg);

#endif /* _CACHEPROXY_PARAMS_H */
