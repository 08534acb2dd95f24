// SPDX-License-Identifier: GPL-2.0
/*
 * The counters of struct cacheproxy_stats (see counters.h).
 */
#include <string.h>

#include <linux/cacheproxy.h>

#include "counters.h"

#define COUNTER(field, ver, is_gauge) {					\
	.name = #field,							\
	.offset = offsetof(struct cacheproxy_stats, field),		\
	.version = ver,							\
	.gauge = is_gauge,						\
}

const struct cp_counter cp_counters[] = {
	COUNTER(lookups, 1, false),
	COUNTER(hits, 1, false),
	COUNTER(misses, 1, false),
	COUNTER(loads_started, 1, false),
	COUNTER(loads_ok, 1, false),
	COUNTER(loads_failed, 1, false),
	COUNTER(coalesced, 1, false),
	COUNTER(evictions, 1, false),
	COUNTER(expirations, 1, false),
	COUNTER(invalidations, 1, false),
	COUNTER(entries, 1, true),
	COUNTER(inflight, 1, true),
	COUNTER(nomem, 2, false),
	COUNTER(refused, 3, false),
	COUNTER(bytes, 4, true),
};

const unsigned int cp_nr_counters = sizeof(cp_counters) /
				    sizeof(cp_counters[0]);

uint64_t cp_counter_value(const struct cacheproxy_stats *st, unsigned int i)
{
	uint64_t v;

	memcpy(&v, (const char *)st + cp_counters[i].offset, sizeof(v));
	return v;
}
