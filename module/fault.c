// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/fail_cacheproxy: see fault.h. The attribute is static
 * and starts disabled (probability 0), so the fault point is safe to
 * consult before its debugfs directory exists and after it is gone.
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fault-inject.h>

#include "fault.h"

static DECLARE_FAULT_ATTR(fail_cacheproxy);
static struct dentry *fail_cacheproxy_dir;

/* Returns true when the allocation of @size bytes must pretend to fail. */
bool cacheproxy_fault_fail_alloc(size_t size)
{
	return should_fail(&fail_cacheproxy, size);
}

/*
 * Creates the knobs. Without debugfs the point simply stays disabled: a
 * debugging aid, so its absence does not fail the module's load.
 */
void cacheproxy_fault_init(void)
{
	struct dentry *dir;

	dir = fault_create_debugfs_attr("fail_cacheproxy", NULL,
					&fail_cacheproxy);
	fail_cacheproxy_dir = IS_ERR(dir) ? NULL : dir;
}

void cacheproxy_fault_uninit(void)
{
	debugfs_remove(fail_cacheproxy_dir);
	fail_cacheproxy_dir = NULL;
}
