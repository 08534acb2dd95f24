/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cacheproxy-stress --via memcached: the look-aside pattern, as a program
 * uses a cache server when no cache sits in the kernel, and as the Go
 * demo's proxies use their database:
 *
 *	get KEY from memcached; on a miss: ask the database, then set KEY.
 *
 * The database is one per process: one mutex held across a --delay-us
 * sleep (queries one at a time, as the demo's), counting its queries of
 * each key. Its answer for key K is "K:N", N the number of queries of K so
 * far (1 the first); "enoent-" and "eio-" keys fail with ENOENT and EIO
 * after the same sleep and are not stored. Nothing deduplicates: callers
 * that miss a key at the same time each query the database for it.
 */
#ifndef _CP_LOOKASIDE_H
#define _CP_LOOKASIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "keygen.h"
#include "memcached.h"

struct cp_opts;
struct cp_la;
struct cacheproxy_stats;

/**
 * struct cp_la_stats - the counters of a look-aside run
 * @server:	memcached's "stats"
 * @queries:	database queries made (each miss makes one)
 * @values:	queries that answered a value (each is then set)
 * @failures:	queries that failed (ENOENT, EIO)
 * @query_ns:	time the queries held the database, summed
 */
struct cp_la_stats {
	struct cp_mc_stats server;
	uint64_t queries;
	uint64_t values;
	uint64_t failures;
	uint64_t query_ns;
};

/*
 * Connect the control connection to o->memcached, check that memcached
 * answers there ("stats"), and make the database for o->keys keys.
 * Returns NULL after writing one phrase naming the problem into @err.
 */
struct cp_la *cp_la_open(const struct cp_opts *o, char *err, size_t err_size);
void cp_la_close(struct cp_la *la);

/*
 * Before the run: flush_all with o->flush; with --scenario hit, store
 * every key's first value ("K:1", counted as a query, without the sleep)
 * in pipelined sets. Returns 0, or -1 after writing the problem into @err.
 */
int cp_la_prepare(struct cp_la *la, char *err, size_t err_size);

/*
 * One look-aside lookup of key @num of @kind (@key, @key_len its text) on
 * the worker's own connection @mc. Returns 0 with the value in @val (the
 * cached one, or the database's after a miss), a positive errno the
 * database failed with (ENOENT, EIO), or a negative errno of memcached's
 * (memcached.h; cp_mc_last_error() says more).
 */
int cp_la_lookup(struct cp_la *la, struct cp_mc *mc, enum cp_key_kind kind,
		 uint64_t num, const char *key, size_t key_len, char *val,
		 size_t val_size, size_t *val_len);

/*
 * The database's queries of key @num (CP_KEY_NORMAL) so far, when every
 * value in the cache came from this run (cp_la_prepare() flushed or
 * stored every key): a value "K:N" with N above it was never loaded.
 * Returns UINT64_MAX when the cache may hold older values.
 */
uint64_t cp_la_loads(const struct cp_la *la, uint64_t num);

/* Over the control connection; the caller's thread only. */
int cp_la_stats(struct cp_la *la, struct cp_la_stats *st);
/* What went wrong last on the control connection, in words. */
const char *cp_la_last_error(const struct cp_la *la);
/* The counters as the module names them (strategy "memcached"). */
void cp_la_stats_map(const struct cp_la_stats *st,
		     struct cacheproxy_stats *out);

/* The summary's lines for memcached and the database (after - before). */
void cp_la_report_text(FILE *f, const struct cp_la_stats *before,
		       const struct cp_la_stats *after);
/*
 * The members of the JSON object "memcached" after its first one (the
 * address, which the caller wrote), the object's "}" and ",\n".
 */
void cp_la_report_json(FILE *f, const struct cp_opts *o,
		       const struct cp_la_stats *before,
		       const struct cp_la_stats *after);

#endif /* _CP_LOOKASIDE_H */
