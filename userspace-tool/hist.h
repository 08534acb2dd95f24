/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log-linear latency histogram: each power of two is split into 16 linear
 * sub-buckets, so any recorded value is known to within 1/16 (6.25 %)
 * without keeping the samples. Adding is O(1); percentiles walk the
 * buckets once. One histogram per thread, merged at the end: no locking.
 */
#ifndef _CP_HIST_H
#define _CP_HIST_H

#include <stdint.h>

#define CP_HIST_SUB_BITS	4
#define CP_HIST_SUB		(1u << CP_HIST_SUB_BITS)
#define CP_HIST_BUCKETS		((64 - CP_HIST_SUB_BITS + 1) * CP_HIST_SUB)

struct cp_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t bucket[CP_HIST_BUCKETS];
};

void cp_hist_init(struct cp_hist *h);
void cp_hist_add(struct cp_hist *h, uint64_t v);
void cp_hist_merge(struct cp_hist *dst, const struct cp_hist *src);
unsigned int cp_hist_index(uint64_t v);
uint64_t cp_hist_bucket_low(unsigned int idx);
uint64_t cp_hist_bucket_high(unsigned int idx);
/* The value at percentile @p (0..100), as the upper bound of its bucket
 * capped by the largest value seen; 0 when the histogram is empty. */
uint64_t cp_hist_percentile(const struct cp_hist *h, double p);

#endif /* _CP_HIST_H */
