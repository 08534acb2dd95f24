/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcacheproxy, the counters of struct cacheproxy_stats: the one list of
 * their names, in the order the tools print them. Each is named as its
 * field and as its line of /proc/cacheproxy/stats.
 */
#ifndef _CP_COUNTERS_H
#define _CP_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cacheproxy_stats;

/**
 * struct cp_counter - one __u64 counter of struct cacheproxy_stats
 * @name:	the field's name, also its line in /proc/cacheproxy/stats
 * @offset:	offsetof(struct cacheproxy_stats, the field)
 * @version:	the CACHEPROXY_STATS_VERSION that added it (a kernel of an
 *		older version leaves it 0)
 * @gauge:	a level now (entries, inflight, bytes), not a running count:
 *		a difference of two readings means nothing
 */
struct cp_counter {
	const char *name;
	size_t offset;
	unsigned int version;
	bool gauge;
};

extern const struct cp_counter cp_counters[];
extern const unsigned int cp_nr_counters;

/* The value of counter @i (an index into cp_counters) in @st. */
uint64_t cp_counter_value(const struct cacheproxy_stats *st, unsigned int i);

#endif /* _CP_COUNTERS_H */
