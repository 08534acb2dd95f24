// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters. "strategy=" is a choice among names, parsed the way
 * mm/memory_hotplug.c parses online_policy: an enum, its names and a
 * module_param_cb setter; the names are the core's strategy table
 * (cacheproxy_strategy_parse()). The numbers are plain uints, range-checked
 * once at load time by cacheproxy_cache_create() (one pr_err line and
 * -EINVAL for a value out of range). Parameters are read-only in sysfs:
 * they are fixed when the module is loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/sysfs.h>

#include "cache.h"
#include "params.h"

/* The names "strategy=" takes, for its messages. */
#define STRATEGY_CHOICES	"spinlock, kthread, shard or singleflight"

static enum cacheproxy_strategy strategy = CACHEPROXY_SHARD;

static int strategy_set(const char *val, const struct kernel_param *kp)
{
	int s = cacheproxy_strategy_parse(val);

	if (s < 0) {
		pr_err("unknown strategy '%s' (" STRATEGY_CHOICES ")\n", val);
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
module_param_cb(strategy, &strategy_ops, &strategy, 0444);
MODULE_PARM_DESC(strategy,
		 "Concurrency strategy: " STRATEGY_CHOICES " (default: shard)");

static unsigned int capacity = 4096;
module_param(capacity, uint, 0444);
MODULE_PARM_DESC(capacity, "Most entries cached at once, 1..1048576 (default: 4096)");

static unsigned long capacity_bytes = 64UL << 20;
module_param(capacity_bytes, ulong, 0444);
MODULE_PARM_DESC(capacity_bytes, "Most memory the cached entries hold at once, in bytes (each entry counted at its slab object size: a header of about 90 bytes, the key and the value, rounded up to a power of two up to 4096, or the size of the largest entry), 8192..1099511627776 (default: 67108864)");

static unsigned int ttl_ms = 60000;
module_param(ttl_ms, uint, 0444);
MODULE_PARM_DESC(ttl_ms, "Lifetime of a cached value in ms, 0 for no expiry (default: 60000)");

static unsigned int neg_ttl_ms = 1000;
module_param(neg_ttl_ms, uint, 0444);
MODULE_PARM_DESC(neg_ttl_ms, "Lifetime of a cached ENOENT in ms, 0 to not cache it (default: 1000)");

static unsigned int load_delay_us = 10;
module_param(load_delay_us, uint, 0444);
MODULE_PARM_DESC(load_delay_us, "Time one load takes in us, 0..10000000 (default: 10)");

static unsigned int slow_load_ms = 2000;
module_param(slow_load_ms, uint, 0444);
MODULE_PARM_DESC(slow_load_ms, "Time one load of a \"slow-\" key takes in ms, 0..600000 (default: 2000)");

static unsigned int loader_max_active = 16;
module_param(loader_max_active, uint, 0444);
MODULE_PARM_DESC(loader_max_active, "Loads running at once, 1..512 (default: 16)");

static unsigned int max_inflight = 1024;
module_param(max_inflight, uint, 0444);
MODULE_PARM_DESC(max_inflight, "Most loads in flight at once, with their waiters, 1..65536; a miss that needs one more fails with EAGAIN (default: 1024)");

static unsigned int max_async = 4096;
module_param(max_async, uint, 0444);
MODULE_PARM_DESC(max_async, "Most asynchronous (io_uring) lookups waiting for a load at once, 1..65536; a lookup submitted beyond fails with EAGAIN (default: 4096)");

static unsigned int lat_sample = CACHEPROXY_LAT_SAMPLE_DEFAULT;
module_param(lat_sample, uint, 0444);
MODULE_PARM_DESC(lat_sample, "The latency histogram times about one lookup in this many per CPU, at random gaps, a power of two up to 1024, 1 for every lookup; the counters count every one (default: 8)");

static unsigned int shards;
module_param(shards, uint, 0444);
MODULE_PARM_DESC(shards, "Shards of the shard strategy: a power of two up to 1024, or 0 for the smallest power of two >= 4 x possible CPUs (default: 0)");

static const char * const loader_names[] = {
	[CACHEPROXY_LOADER_SYNTHETIC] = "synthetic",
	[CACHEPROXY_LOADER_USER] = "user",
};

static enum cacheproxy_loader_kind loader = CACHEPROXY_LOADER_SYNTHETIC;

static int loader_set(const char *val, const struct kernel_param *kp)
{
	int l = sysfs_match_string(loader_names, val);

	if (l < 0) {
		pr_err("unknown loader '%s' (synthetic or user)\n", val);
		return l;
	}
	*(enum cacheproxy_loader_kind *)kp->arg = l;
	return 0;
}

static int loader_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  loader_names[*(enum cacheproxy_loader_kind *)kp->arg]);
}

static const struct kernel_param_ops loader_ops = {
	.set = loader_set,
	.get = loader_get,
};
module_param_cb(loader, &loader_ops, &loader, 0444);
MODULE_PARM_DESC(loader,
		 "Where loads come from: synthetic (made up in the kernel) or user (daemons attached through CACHEPROXY_IOC_LOADER_ATTACH) (default: synthetic)");

static unsigned int upcall_timeout_ms = 5000;
module_param(upcall_timeout_ms, uint, 0444);
MODULE_PARM_DESC(upcall_timeout_ms, "loader=user: time daemons have to answer a load in ms, 1..600000; then it fails with ETIMEDOUT (default: 5000)");

/* Fills @cfg from the module parameters. */
void cacheproxy_params_config(struct cacheproxy_config *cfg)
{
	cfg->strategy = strategy;
	cfg->capacity = capacity;
	cfg->capacity_bytes = capacity_bytes;
	cfg->ttl_ms = ttl_ms;
	cfg->neg_ttl_ms = neg_ttl_ms;
	cfg->load_delay_us = load_delay_us;
	cfg->slow_load_ms = slow_load_ms;
	cfg->loader_max_active = loader_max_active;
	cfg->shards = shards;
	cfg->max_inflight = max_inflight;
	cfg->max_async = max_async;
	cfg->lat_sample = lat_sample;
	cfg->loader = loader;
	cfg->upcall_timeout_ms = upcall_timeout_ms;
}
