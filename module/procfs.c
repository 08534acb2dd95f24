// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/cacheproxy: stats.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "params.h"
#include "procfs.h"

static struct proc_dir_entry *cacheproxy_proc_dir;

static int stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "strategy %s\n",
		   cacheproxy_strategy_name(cacheproxy_param_strategy));
	return 0;
}

int cacheproxy_procfs_init(void)
{
	cacheproxy_proc_dir = proc_mkdir("cacheproxy", NULL);
	if (!cacheproxy_proc_dir)
		return -ENOMEM;
	if (!proc_create_single("stats", 0444, cacheproxy_proc_dir,
				stats_show)) {
		proc_remove(cacheproxy_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void cacheproxy_procfs_uninit(void)
{
	proc_remove(cacheproxy_proc_dir);
}
