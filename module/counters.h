/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU counters of one cache: events, three gauges and a log2 histogram of
 * lookup latency. Updates are this_cpu operations, never contended and safe
 * from any context, but for the sampling decision (process context: it may
 * draw a random number); readers sum over the possible CPUs.
 */
#ifndef _CACHEPROXY_COUNTERS_H
#define _CACHEPROXY_COUNTERS_H

#include <linux/cache.h>
#include <linux/percpu.h>
#include <linux/types.h>

#include <linux/cacheproxy.h>

enum cacheproxy_counter {
	/*
	 * Events, zeroed by cacheproxy_counters_reset(). Lookups are not
	 * counted apart: every lookup is a hit or a miss.
	 */
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

/*
 * One CPU's slots: @sample_gap (lookups to start here before the next one
 * timed: cacheproxy_counters_sampled()) and the counters, a hit's two
 * slots in its first cache line, then the histogram.
 */
struct cacheproxy_counters_cpu {
	int sample_gap;
	u64 ctr[CACHEPROXY_NR_COUNTERS];
	u64 lat[CACHEPROXY_LAT_BUCKETS];
} ____cacheline_aligned;

/**
 * struct cacheproxy_counters - the counters of one cache
 * @pcpu: one &struct cacheproxy_counters_cpu per possible CPU
 */
struct cacheproxy_counters {
	struct cacheproxy_counters_cpu __percpu *pcpu;
};

/**
 * struct cacheproxy_counter_field - a counter as user space reads it
 * @name:	its name in /proc/cacheproxy/stats
 * @offset:	its __u64 field in struct cacheproxy_stats
 * @ctr:	the per-CPU counter it sums, or -1 for "lookups", which is
 *		hits + misses
 *
 * cacheproxy_counter_fields[] is the one list of them, in the order of the
 * stats file: cacheproxy_counters_read() fills the struct from it and the
 * stats file prints it.
 */
struct cacheproxy_counter_field {
	const char *name;
	size_t offset;
	int ctr;
};

#define CACHEPROXY_NR_COUNTER_FIELDS	(CACHEPROXY_NR_COUNTERS + 1)

extern const struct cacheproxy_counter_field
	cacheproxy_counter_fields[CACHEPROXY_NR_COUNTER_FIELDS];

/* The value of field @f of @st (a field of cacheproxy_counter_fields[]). */
static inline u64
cacheproxy_counter_field_value(const struct cacheproxy_stats *st,
			       const struct cacheproxy_counter_field *f)
{
	return *(const u64 *)((const char *)st + f->offset);
}

int cacheproxy_counters_init(struct cacheproxy_counters *c);
void cacheproxy_counters_uninit(struct cacheproxy_counters *c);
void cacheproxy_counters_lat(struct cacheproxy_counters *c, u64 ns);
void cacheproxy_counters_read(struct cacheproxy_counters *c,
			      struct cacheproxy_stats *out);
void cacheproxy_counters_reset(struct cacheproxy_counters *c);

bool cacheproxy_counters_sample_next(struct cacheproxy_counters *c,
				     unsigned int every);

/*
 * Whether the lookup about to start on this CPU is timed for the latency
 * histogram: about one in @every (a power of two), chosen where the lookup
 * starts (its outcome may be counted on another CPU: kthread's owner
 * counts it). Each CPU counts down a gap drawn at random with mean @every,
 * so that no periodic pattern of lookups (a batch's positions) is always
 * timed or never. A caller moved to another CPU between the two per-CPU
 * operations may shorten a gap: statistics only.
 */
static inline bool cacheproxy_counters_sampled(struct cacheproxy_counters *c,
					       unsigned int every)
{
	if (every == 1)
		return true;
	if (this_cpu_dec_return(c->pcpu->sample_gap) > 0)
		return false;
	return cacheproxy_counters_sample_next(c, every);
}

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
