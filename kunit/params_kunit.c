// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the module parameters and the strategy table they name.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "cache.h"

static void strategy_names_round_trip(struct kunit *test)
{
	int s;

	for (s = 0; s < CACHEPROXY_NR_STRATEGIES; s++) {
		if (s == CACHEPROXY_BUSTED && !CACHEPROXY_HAS_BUSTED)
			continue;
		KUNIT_EXPECT_EQ(test,
				cacheproxy_strategy_parse(cacheproxy_strategy_name(s)),
				s);
	}
}

/* The negative control exists only in a test build (strat_busted.c). */
static void strategy_busted_only_in_test_builds(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cacheproxy_strategy_parse("busted"),
			CACHEPROXY_HAS_BUSTED ? CACHEPROXY_BUSTED :
							-EINVAL);
}

static void strategy_unknown_is_einval(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cacheproxy_strategy_parse("bogus"), -EINVAL);
	KUNIT_EXPECT_EQ(test, cacheproxy_strategy_parse(""), -EINVAL);
	KUNIT_EXPECT_EQ(test, cacheproxy_strategy_parse("shard\n"),
			CACHEPROXY_SHARD);
}

/*
 * Which strategies share one load among concurrent misses of a key: the
 * one place the tests say it. Every case that counts loads per burst (and
 * every kselftest, through /proc/cacheproxy/stats) takes its expectation
 * from the property, so a wrong property fails them; a strategy that gave
 * up sharing loads and said so would fail only here. spinlock is the
 * baseline that never shares; busted claims to, and its burst cases must
 * catch that it does not.
 */
static void strategy_dedup(struct kunit *test)
{
	int s;

	for (s = 0; s < CACHEPROXY_NR_STRATEGIES; s++) {
		if (s == CACHEPROXY_BUSTED && !CACHEPROXY_HAS_BUSTED)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, cacheproxy_strategy_dedup(s),
				    s != CACHEPROXY_SPINLOCK, "strategy %s",
				    cacheproxy_strategy_name(s));
	}
	KUNIT_EXPECT_FALSE(test,
			   cacheproxy_strategy_dedup(CACHEPROXY_NR_STRATEGIES));
}

static struct kunit_case cacheproxy_params_cases[] = {
	KUNIT_CASE(strategy_names_round_trip),
	KUNIT_CASE(strategy_unknown_is_einval),
	KUNIT_CASE(strategy_busted_only_in_test_builds),
	KUNIT_CASE(strategy_dedup),
	{}
};

static struct kunit_suite cacheproxy_params_suite = {
	.name = "cacheproxy_params",
	.test_cases = cacheproxy_params_cases,
};

kunit_test_suite(cacheproxy_params_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for cacheproxy");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
