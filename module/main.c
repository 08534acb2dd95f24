// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy: an in-kernel key cache in front of a deliberately slow loader,
 * written four ways (see README.md). This file holds only init, exit and
 * the module metadata.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "cache.h"
#include "entry.h"
#include "fault.h"
#include "flight.h"
#include "miscdev.h"
#include "params.h"
#include "plant.h"
#include "procfs.h"

static struct cacheproxy_cache *cacheproxy_main_cache;

static int __init cacheproxy_init(void)
{
	struct cacheproxy_config cfg;
	int ret;

	cacheproxy_fault_init();
	ret = cacheproxy_entry_slab_init();
	if (ret)
		goto err_entry_slab;
	ret = cacheproxy_flight_slab_init();
	if (ret)
		goto err_flight_slab;
	cacheproxy_params_config(&cfg);
	cacheproxy_main_cache = cacheproxy_cache_create(&cfg);
	if (IS_ERR(cacheproxy_main_cache)) {
		ret = PTR_ERR(cacheproxy_main_cache);
		goto err_cache;
	}
	ret = cacheproxy_procfs_init(cacheproxy_main_cache);
	if (ret)
		goto err_procfs;
	/* Last: an open device pins the module, which must not fail now. */
	ret = cacheproxy_miscdev_init(cacheproxy_main_cache);
	if (ret)
		goto err_miscdev;

	if (CACHEPROXY_HAS_BUSTED || CACHEPROXY_PLANTED) {
		pr_warn("a test build with a deliberate bug: never use it\n");
		add_taint(TAINT_TEST, LOCKDEP_STILL_OK);
	}
	pr_info("loaded, strategy %s\n", cacheproxy_strategy_name(cfg.strategy));
	return 0;

err_miscdev:
	/* A /proc lookup may already wait for a load: answer it first. */
	cacheproxy_cache_shutdown(cacheproxy_main_cache);
	cacheproxy_procfs_uninit();
err_procfs:
	cacheproxy_cache_destroy(cacheproxy_main_cache);
err_cache:
	cacheproxy_flight_slab_uninit();
err_flight_slab:
	cacheproxy_entry_slab_uninit();
err_entry_slab:
	cacheproxy_fault_uninit();
	return ret;
}

/*
 * The reverse of init, after a first stage: shutting the cache down answers
 * every caller waiting for a load (-ESHUTDOWN), so that removing the faces,
 * which waits for the handlers still running (/proc), does not wait for
 * loads. The device cannot have callers here: an open file pins the
 * module, so rmmod is refused while one is open.
 */
static void __exit cacheproxy_exit(void)
{
	cacheproxy_cache_shutdown(cacheproxy_main_cache);
	cacheproxy_miscdev_uninit();
	cacheproxy_procfs_uninit();
	cacheproxy_cache_destroy(cacheproxy_main_cache);
	cacheproxy_flight_slab_uninit();
	cacheproxy_entry_slab_uninit();
	cacheproxy_fault_uninit();
}

module_init(cacheproxy_init);
module_exit(cacheproxy_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel key cache in front of a slow loader, four concurrency strategies");
MODULE_AUTHOR("The cacheproxy authors");
