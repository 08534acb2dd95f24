// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy: an in-kernel key cache in front of a deliberately slow loader,
 * written four ways (see README.md). This file holds only init, exit and
 * the module metadata.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "params.h"
#include "procfs.h"

static int __init cacheproxy_init(void)
{
	int ret;

	ret = cacheproxy_procfs_init();
	if (ret)
		goto err_procfs;

	pr_info("loaded, strategy %s\n",
		cacheproxy_strategy_name(cacheproxy_param_strategy));
	return 0;

err_procfs:
	return ret;
}

static void __exit cacheproxy_exit(void)
{
	cacheproxy_procfs_uninit();
}

module_init(cacheproxy_init);
module_exit(cacheproxy_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel key cache in front of a slow loader, four concurrency strategies");
MODULE_AUTHOR("The cacheproxy authors");
