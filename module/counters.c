// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counters. A reset stores zeros into every CPU's event slots while
 * those CPUs may be incrementing them: an increment racing with the reset
 * may survive it or be lost, which is the usual contract of a statistics
 * reset. Readers never see torn values on 64-bit; on 32-bit a slot read in
 * the middle of an update may be off, which only statistics suffer.
 */
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/percpu.h>
#include <linux/stddef.h>
#include <linux/random.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "counters.h"

/* NAME, a __u64 field of struct cacheproxy_stats, sums counter CTR. */
#define FIELD(name, ctr)	\
	{ #name, offsetof(struct cacheproxy_stats, name), ctr }

const struct cacheproxy_counter_field cacheproxy_counter_fields[] = {
	FIELD(lookups, -1),
	FIELD(hits, CACHEPROXY_CTR_HITS),
	FIELD(misses, CACHEPROXY_CTR_MISSES),
	FIELD(loads_started, CACHEPROXY_CTR_LOADS_STARTED),
	FIELD(loads_ok, CACHEPROXY_CTR_LOADS_OK),
	FIELD(loads_failed, CACHEPROXY_CTR_LOADS_FAILED),
	FIELD(coalesced, CACHEPROXY_CTR_COALESCED),
	FIELD(evictions, CACHEPROXY_CTR_EVICTIONS),
	FIELD(expirations, CACHEPROXY_CTR_EXPIRATIONS),
	FIELD(invalidations, CACHEPROXY_CTR_INVALIDATIONS),
	FIELD(entries, CACHEPROXY_CTR_ENTRIES),
	FIELD(inflight, CACHEPROXY_CTR_INFLIGHT),
	FIELD(nomem, CACHEPROXY_CTR_NOMEM),
	FIELD(refused, CACHEPROXY_CTR_REFUSED),
	FIELD(bytes, CACHEPROXY_CTR_BYTES),
};
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_counter_fields);

/* every counter has its field (plus lookups): no entry is left zero */
static_assert(ARRAY_SIZE(cacheproxy_counter_fields) ==
	      CACHEPROXY_NR_COUNTER_FIELDS);

/* A gauge summed while it moves may dip below zero: report 0 then. */
static u64 gauge(u64 sum)
{
	return (s64)sum < 0 ? 0 : sum;
}

int cacheproxy_counters_init(struct cacheproxy_counters *c)
{
	c->pcpu = alloc_percpu(struct cacheproxy_counters_cpu);
	return c->pcpu ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_counters_init);

void cacheproxy_counters_uninit(struct cacheproxy_counters *c)
{
	free_percpu(c->pcpu);
	c->pcpu = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_counters_uninit);

/*
 * The slow path of cacheproxy_counters_sampled() (process context): this
 * CPU's gap ran out, so this lookup is timed; add the next gap, drawn
 * from 1..2 * @every - 1 (mean @every). Added, not stored: a caller moved
 * here from another CPU between the two per-CPU operations then costs no
 * gap its own.
 */
bool cacheproxy_counters_sample_next(struct cacheproxy_counters *c,
				     unsigned int every)
{
	u32 span = 2 * every - 1;

	this_cpu_add(c->pcpu->sample_gap,
		     1 + (u32)(((u64)get_random_u32() * span) >> 32));
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_counters_sample_next);

/* Counts one lookup that took @ns nanoseconds. */
void cacheproxy_counters_lat(struct cacheproxy_counters *c, u64 ns)
{
	unsigned int b = ns ? min(ilog2(ns), CACHEPROXY_LAT_BUCKETS - 1) : 0;

	this_cpu_inc(c->pcpu->lat[b]);
}

/* Fills the counter fields of @out; the caller fills the rest. */
void cacheproxy_counters_read(struct cacheproxy_counters *c,
			      struct cacheproxy_stats *out)
{
	u64 sum[CACHEPROXY_NR_COUNTERS] = { };
	unsigned int i;
	int cpu;

	memset(out->lat_ns_log2, 0, sizeof(out->lat_ns_log2));
	for_each_possible_cpu(cpu) {
		struct cacheproxy_counters_cpu *p = per_cpu_ptr(c->pcpu, cpu);

		for (i = 0; i < CACHEPROXY_NR_COUNTERS; i++)
			sum[i] += READ_ONCE(p->ctr[i]);
		for (i = 0; i < CACHEPROXY_LAT_BUCKETS; i++)
			out->lat_ns_log2[i] += READ_ONCE(p->lat[i]);
	}
	for (i = 0; i < CACHEPROXY_NR_COUNTER_FIELDS; i++) {
		const struct cacheproxy_counter_field *f =
			&cacheproxy_counter_fields[i];
		u64 *field = (u64 *)((char *)out + f->offset);

		if (f->ctr < 0)
			continue;
		*field = f->ctr < CACHEPROXY_NR_EVENTS ? sum[f->ctr] :
			 gauge(sum[f->ctr]);
	}
	out->lookups = out->hits + out->misses;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_counters_read);

/* Zeroes the events and the histogram; the gauges are left alone. */
void cacheproxy_counters_reset(struct cacheproxy_counters *c)
{
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct cacheproxy_counters_cpu *p = per_cpu_ptr(c->pcpu, cpu);

		for (i = 0; i < CACHEPROXY_NR_EVENTS; i++)
			WRITE_ONCE(p->ctr[i], 0);
		for (i = 0; i < CACHEPROXY_LAT_BUCKETS; i++)
			WRITE_ONCE(p->lat[i], 0);
	}
}
