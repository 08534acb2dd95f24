/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What cacheproxy-stress prints: the live line, the summary, the JSON.
 */
#ifndef _CP_REPORT_H
#define _CP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/cacheproxy.h>

#include "hist.h"
#include "lookaside.h"
#include "workers.h"

/* Everything a run measured, summed over the workers and groups. */
struct cp_results {
	uint64_t elapsed_ns;
	uint64_t ops;
	uint64_t calls;
	uint64_t bursts;
	uint64_t wrong;
	uint64_t errors;
	uint64_t tolerated;
	uint64_t distinct;
	uint64_t mix_inval;
	uint64_t mix_flush;
	bool dedup;	/* the module's strategy shares loads ("dedup 1") */
	bool same_n;
	uint64_t same_n_checked;
	uint64_t same_n_excused;
	uint64_t errs[CP_ERRNO_SLOTS];
	uint64_t expected[CP_ERRNO_SLOTS];
	struct cp_hist hist;
	struct cacheproxy_stats before;
	struct cacheproxy_stats after;
	/* --via memcached: the counters before/after maps */
	struct cp_la_stats la_before;
	struct cp_la_stats la_after;
	bool have_after;	/* STATS worked at the end */
	bool interrupted;	/* stopped by SIGINT or SIGTERM */
};

/* Sum up a joined run; @r->before, ->after, ->dedup, ->have_after and
 * ->interrupted are the caller's to fill. */
void cp_results_collect(struct cp_results *r, struct cp_run *run,
			uint64_t end_ns);
void cp_report_text(FILE *f, const struct cp_results *r,
		    const struct cp_opts *o);
/* Returns 0, or -1 after printing one line naming the problem. */
int cp_report_json(const char *path, const struct cp_results *r,
		   const struct cp_opts *o);

/*
 * The live line: elapsed, ops/s and hit ratio since the previous line,
 * loads started since the start. Overwrites itself with '\r'.
 */
void cp_live_line(FILE *f, uint64_t elapsed_ns, uint64_t d_ns, uint64_t d_ops,
		  const struct cacheproxy_stats *prev,
		  const struct cacheproxy_stats *now,
		  const struct cacheproxy_stats *start);

#endif /* _CP_REPORT_H */
