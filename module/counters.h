/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU counters of one cache: events, three gauges and a log2 histogram of
 * lookup latency. Updates are this_cpu operations, safe from any context and
 * never contended; readers sum over the possible CPUs.
 */
#ifndef _CACHEPROXY_COUNTERS_H
#define _CACHEPROXY_COUNTERS_H

#include <linux/percpu.h>
#include <linux/types.h>

#include <linux/cacheproxy.h>

enum cacheproxy_counter {
	/* Events, zeroed by cacheproxy_counters_reset(). */
	CACHEPROXY_CTR_LOOKUPS,
	CACHEPROXY_CTR_HITS,
	CACHEPROXY_CTR_MISSES,
	CACHEPROXY_CTR_LOADS_STARTED,
	CACHEPROXY_CTR_LOADS_OK,
	CACHEPROXY_CTR_LOADS_FAILED,
	CACHEPROXY_CTR_COALESCED,
	CACHEPROXY_CTR_EVICTIONS,
	CACHEPROXY_CTR_EXPIRATIONS,
	CACHEPROXY_CTR_INVALIDATIONS,
	CACHEPROXY_CTR_NOMEM,
	CACHEPROXY_CTR_REFUSED,
	CACHEPROXY_NR_EVENTS,
	/*
	 * Gauges: incremented and decremented, possibly on different CPUs,
	 * so one CPU's slot may wrap; the sum over all CPUs is exact modulo
	 * 2^64 once the updates are done, and a reader racing with them may
	 * see a decrement without its increment: it reports 0, never a
	 * negative count. A reset leaves them alone: they describe the
	 * present.
	 */
	CACHEPROXY_CTR_ENTRIES = CACHEPROXY_NR_EVENTS,
	CACHEPROXY_CTR_INFLIGHT,
	CACHEPROXY_CTR_BYTES,
	CACHEPROXY_NR_COUNTERS,
};

/* One CPU's slots. */
struct cacheproxy_counters_cpu {
	u64 ctr[CACHEPROXY_NR_COUNTERS];
	u64 lat[CACHEPROXY_LAT_BUCKETS];
};

/**
 * struct cacheproxy_counters - the counters of one cache
 * @pcpu: one &struct cacheproxy_counters_cpu per possible CPU
 */
struct cacheproxy_counters {
	struct cacheproxy_counters_cpu __percpu *pcpu;
};

int cacheproxy_counters_init(struct cacheproxy_counters *c);
void cacheproxy_counters_uninit(struct cacheproxy_counters *c);
void cacheproxy_counters_lat(struct cacheproxy_counters *c, u64 ns);
void cacheproxy_counters_read(struct cacheproxy_counters *c,
			      struct cacheproxy_stats *out);
void cacheproxy_counters_reset(struct cacheproxy_counters *c);

static inline void cacheproxy_counters_inc(struct cacheproxy_counters *c,
					   enum cacheproxy_counter i)
{
	this_cpu_inc(c->pcpu->ctr[i]);
}

static inline void cacheproxy_counters_dec(struct cacheproxy_counters *c,
					   enum cacheproxy_counter i)
{
	this_cpu_dec(c->pcpu->ctr[i]);
}

/* Adds @n to a gauge; a negative @n takes it away (modulo 2^64). */
static inline void cacheproxy_counters_add(struct cacheproxy_counters *c,
					   enum cacheproxy_counter i, s64 n)
{
	this_cpu_add(c->pcpu->ctr[i], n);
}

#endif /* _CACHEPROXY_COUNTERS_H */
