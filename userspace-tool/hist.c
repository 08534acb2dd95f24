// SPDX-License-Identifier: GPL-2.0
/*
 * Log-linear histogram (see hist.h). Index layout: values below 16 have a
 * bucket each; a value with its top bit at position e >= 4 goes to
 * (e - 3) * 16 + the 4 bits below its top bit.
 */
#include <string.h>

#include "hist.h"

void cp_hist_init(struct cp_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned int cp_hist_index(uint64_t v)
{
	unsigned int e, shift;

	if (v < CP_HIST_SUB)
		return v;
	e = 63 - __builtin_clzll(v);
	shift = e - CP_HIST_SUB_BITS;
	return (shift + 1) * CP_HIST_SUB +
	       (unsigned int)((v >> shift) & (CP_HIST_SUB - 1));
}

uint64_t cp_hist_bucket_low(unsigned int idx)
{
	unsigned int shift;

	if (idx < CP_HIST_SUB)
		return idx;
	shift = idx / CP_HIST_SUB - 1;
	return (uint64_t)(CP_HIST_SUB + idx % CP_HIST_SUB) << shift;
}

uint64_t cp_hist_bucket_high(unsigned int idx)
{
	if (idx + 1 >= CP_HIST_BUCKETS)
		return UINT64_MAX;
	return cp_hist_bucket_low(idx + 1) - 1;
}

void cp_hist_add(struct cp_hist *h, uint64_t v)
{
	h->bucket[cp_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void cp_hist_merge(struct cp_hist *dst, const struct cp_hist *src)
{
	unsigned int i;

	for (i = 0; i < CP_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t cp_hist_percentile(const struct cp_hist *h, double p)
{
	uint64_t rank, seen = 0, high;
	unsigned int i;

	if (!h->count)
		return 0;
	if (p >= 100.0)
		return h->max;
	rank = (uint64_t)(p / 100.0 * (double)h->count);
	if ((double)rank < p / 100.0 * (double)h->count)
		rank++;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < CP_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	if (i == CP_HIST_BUCKETS)
		return h->max;
	high = cp_hist_bucket_high(i);
	return high < h->max ? high : h->max;
}
