// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters. "strategy=" is a choice among names, parsed the way
 * mm/memory_hotplug.c parses online_policy: an enum, a name table and
 * sysfs_match_string() in a module_param_cb setter. Parameters are read-only
 * in sysfs: they are fixed when the module is loaded.
 */
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <kunit/visibility.h>

#include "params.h"

static const char * const cacheproxy_strategy_names[] = {
	[CACHEPROXY_SPINLOCK] = "spinlock",
	[CACHEPROXY_KTHREAD] = "kthread",
	[CACHEPROXY_SHARD] = "shard",
	[CACHEPROXY_SINGLEFLIGHT] = "singleflight",
};

enum cacheproxy_strategy cacheproxy_param_strategy = CACHEPROXY_SHARD;

const char *cacheproxy_strategy_name(enum cacheproxy_strategy s)
{
	if (s >= CACHEPROXY_NR_STRATEGIES)
		return "unknown";
	return cacheproxy_strategy_names[s];
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_strategy_name);

/*
 * Returns the strategy named by @buf (a trailing newline is ignored) or
 * -EINVAL.
 */
int cacheproxy_strategy_parse(const char *buf)
{
	return sysfs_match_string(cacheproxy_strategy_names, buf);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_strategy_parse);

static int strategy_set(const char *val, const struct kernel_param *kp)
{
	int s = cacheproxy_strategy_parse(val);

	if (s < 0) {
		pr_err("cacheproxy: unknown strategy '%s' (spinlock, kthread, shard or singleflight)\n",
		       val);
		return s;
	}
	*(enum cacheproxy_strategy *)kp->arg = s;
	return 0;
}

static int strategy_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  cacheproxy_strategy_name(*(enum cacheproxy_strategy *)kp->arg));
}

static const struct kernel_param_ops strategy_ops = {
	.set = strategy_set,
	.get = strategy_get,
};
module_param_cb(strategy, &strategy_ops, &cacheproxy_param_strategy, 0444);
MODULE_PARM_DESC(strategy,
		 "Concurrency strategy: spinlock, kthread, shard or singleflight (default: shard)");
