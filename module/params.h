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
	CACHEPROXY_BUSTED,	/* test builds only: see strat_busted.c */
	CACHEPROXY_NR_STRATEGIES,
};

/*
 * 1 in the test build that adds the negative control "busted" (Kbuild,
 * make CACHEPROXY_BUSTED=1; see strat_busted.c), 0 in every other build.
 */
#ifndef CACHEPROXY_HAS_BUSTED
#define CACHEPROXY_HAS_BUSTED	0
#endif

/* The strategy chosen by "strategy=" (set only at load time). */
extern enum cacheproxy_strategy cacheproxy_param_strategy;

const char *cacheproxy_strategy_name(enum cacheproxy_strategy s);
int cacheproxy_strategy_parse(const char *buf);
void cacheproxy_params_config(struct cacheproxy_config *cfg);

#endif /* _CACHEPROXY_PARAMS_H */
