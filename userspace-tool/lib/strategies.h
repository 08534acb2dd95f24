/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcacheproxy, the module's strategies: the one list of their names in
 * user-space C (scripts/lib.sh's CP_STRATEGIES is the scripts' list; the
 * module's own table is the source of both, checked by
 * scripts/runner-selftest). Which strategy shares loads is not written
 * here: the module says it ("dedup 0|1" in /proc/cacheproxy/stats,
 * cp_proc_dedup()).
 */
#ifndef _CP_STRATEGIES_H
#define _CP_STRATEGIES_H

/*
 * CP_STRATEGIES(X, arg) calls X(arg, NAME, name) once per strategy, in the
 * module's order: an enum constant CP_NAME, and the name "strategy="
 * takes. (The kselftests make one FIXTURE_VARIANT per strategy of it.)
 */
#define CP_STRATEGIES(X, arg)						\
	X(arg, SPINLOCK, spinlock)					\
	X(arg, KTHREAD, kthread)					\
	X(arg, SHARD, shard)						\
	X(arg, SINGLEFLIGHT, singleflight)

#define CP_STRATEGY_ENUM(arg, upper, lower)	CP_##upper,

enum cp_strategy {
	CP_STRATEGIES(CP_STRATEGY_ENUM, _)
	CP_NR_STRATEGIES
};

/* The module's default, with no strategy= at load. */
#define CP_STRATEGY_DEFAULT	CP_SHARD

/* The names, indexed by enum cp_strategy. */
extern const char * const cp_strategy_names[CP_NR_STRATEGIES];

#endif /* _CP_STRATEGIES_H */
