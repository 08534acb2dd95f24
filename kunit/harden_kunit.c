// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of what an adversarial caller or an unload can do to the
 * cache: a killed caller's request still queued at teardown, loads in
 * flight beyond max_inflight, an invalidation of one key while another
 * loads, gauges read while they move, eviction under readers that hit
 * every entry non-stop, shutdown with waiters, and the entries dump.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/time64.h>

#include "counters.h"
#include "helpers.h"

/**
 * struct lone_waiter - one lookup in a thread of its own, killable
 * @cache:	the cache
 * @task:	the thread, until lone_waiter_stop()
 * @key:	what it looks up
 * @started:	set just before the lookup
 * @done:	completed when the lookup returned
 * @ret:	the lookup's result
 * @val:	the value
 * @val_len:	its length
 */
struct lone_waiter {
	struct cacheproxy_cache *cache;
	struct task_struct *task;
	const char *key;
	bool started;
	struct completion done;
	int ret;
	char val[CACHEPROXY_KUNIT_VAL_SIZE];
	size_t val_len;
};

/* Kernel threads ignore signals unless they allow them. */
static int lone_waiter_thread(void *data)
{
	struct lone_waiter *w = data;

	allow_signal(SIGKILL);
	allow_signal(SIGUSR1);
	WRITE_ONCE(w->started, true);
	w->ret = cacheproxy_lookup(w->cache, w->key, strlen(w->key), w->val,
				   sizeof(w->val), &w->val_len);
	flush_signals(current);
	complete(&w->done);
	/* Never exits on its own: the test stops it (kthread_stop()). */
	while (!kthread_should_stop())
		schedule_timeout_idle(HZ / 10);
	return 0;
}

/*
 * Ends the waiter's lookup if it still waits (the pause and the gate open,
 * SIGKILL ends the wait; a held owner stays held, teardown releases it)
 * and stops the thread. Idempotent; also run when the case ends,
 * before the cache is destroyed, so that a failed assertion leaves no
 * thread behind.
 */
static void lone_waiter_stop(struct lone_waiter *w)
{
	if (!w->task)
		return;
	/* The pause ignores signals (TASK_IDLE): open it too. */
	cacheproxy_test_pause_flight(w->cache, false);
	cacheproxy_test_gate_loads(w->cache, false);
	send_sig(SIGKILL, w->task, 1);
	kthread_stop(w->task);
	w->task = NULL;
}

KUNIT_DEFINE_ACTION_WRAPPER(lone_waiter_stop_action, lone_waiter_stop,
			    struct lone_waiter *);

static struct task_struct *lone_waiter_start(struct kunit *test,
					     struct lone_waiter *w,
					     struct cacheproxy_cache *cache,
					     const char *key)
{
	struct task_struct *t;
	unsigned int ms;

	w->cache = cache;
	w->key = key;
	w->started = false;
	init_completion(&w->done);
	t = kthread_run(lone_waiter_thread, w, "cacheproxy_kunit_w");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	w->task = t;
	/* Registered after the cache's destroy action: runs before it. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							lone_waiter_stop_action,
							w), 0);
	for (ms = 0; !READ_ONCE(w->started) && ms < CACHEPROXY_KUNIT_WAIT_MS;
	     ms += 20)
		msleep(20);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(w->started));
	return t;
}

/*
 * Starts a waiter on @key that misses and then waits, paused in its flight
 * allocation (between its first look and its registration), until the
 * test calls cacheproxy_test_pause_flight(cache, false).
 */
static void lone_waiter_start_paused(struct kunit *test, struct lone_waiter *w,
				     struct cacheproxy_cache *cache,
				     const char *key)
{
	unsigned int ms;

	cacheproxy_test_pause_flight(cache, true);
	lone_waiter_start(test, w, cache, key);
	for (ms = 0; !cacheproxy_test_flight_paused(cache) &&
	     ms < CACHEPROXY_KUNIT_WAIT_MS; ms += 20)
		msleep(20);
	KUNIT_ASSERT_TRUE(test, cacheproxy_test_flight_paused(cache));
}

/*
 * What a lookup interrupted by a signal returns on the case's strategy: one
 * that shares loads restarts it if the handler asks (the restart rejoins
 * the load in flight); one that does not (spinlock) restarts the call only
 * when no handler ran, since a restart could not rejoin its load.
 */
static int interrupted(struct kunit *test)
{
	const enum cacheproxy_strategy *strategy = test->param_value;

	return cacheproxy_strategy_dedup(*strategy) ? -ERESTARTSYS :
						      -ERESTARTNOHAND;
}

/* Waits (generously) for the waiter's lookup to return. */
static bool lone_waiter_returned(struct lone_waiter *w)
{
	return wait_for_completion_timeout(&w->done,
			msecs_to_jiffies(CACHEPROXY_KUNIT_WAIT_MS)) > 0;
}

/*
 * A caller killed while its request is still queued leaves the request
 * behind; destroying the cache right then must handle it before the loader
 * is drained, never after (a load queued on a drained loader is a
 * use-after-free). For kthread the request is the second trip of a miss,
 * the one that carries a flight: the caller is paused between its trips,
 * the owner is held, the second trip is queued behind the hold and its
 * sender killed; the hold lasts until teardown's quiesce stage, so a
 * teardown without that stage hangs (red) instead of passing. Every
 * strategy runs it; the others have no owner to hold.
 */
static void teardown_killed_request(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct lone_waiter *w;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);
	cacheproxy_test_gate_loads(cache, true);

	lone_waiter_start_paused(test, w, cache, "slow-killed");
	cacheproxy_test_hold_owner(cache, true);
	cacheproxy_test_pause_flight(cache, false);
	/* Not a timed assertion: the kill may come before or after the post. */
	msleep(20);
	send_sig(SIGKILL, w->task, 1);
	KUNIT_EXPECT_TRUE(test, lone_waiter_returned(w));
	KUNIT_EXPECT_EQ(test, w->ret, interrupted(test));
	lone_waiter_stop(w);

	/* Destroyed now, with the killed caller's request still queued. */
	cacheproxy_kunit_cache_destroy(test, cache);
}

/*
 * Invalidating one key does not throw away another key's load in flight:
 * the load of "a" still caches its value.
 */
static void invalidate_other_inflight(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	struct lone_waiter *w;
	u64 first = 0, second = 0;
	bool ok;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	cacheproxy_test_gate_loads(cache, true);
	lone_waiter_start(test, w, cache, "a");
	ok = cacheproxy_kunit_wait_misses(cache, 1, 1, &st);
	KUNIT_EXPECT_TRUE_MSG(test, ok, "misses %llu, loads_started %llu",
			      st.misses, st.loads_started);
	KUNIT_EXPECT_EQ(test, cacheproxy_invalidate(cache, "other", 5), 0);
	cacheproxy_test_gate_loads(cache, false);
	KUNIT_EXPECT_TRUE(test, lone_waiter_returned(w));
	lone_waiter_stop(w);
	KUNIT_ASSERT_EQ(test, w->ret, 0);
	ok = cacheproxy_kunit_parse_value("a", w->val, w->val_len, &first);
	KUNIT_EXPECT_TRUE(test, ok);

	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.entries, 1);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "a", &second),
			0);
	KUNIT_EXPECT_EQ(test, second, first);
	cacheproxy_kunit_stats(cache, &st);
	KUNIT_EXPECT_EQ(test, st.loads_started, 1);
	KUNIT_EXPECT_EQ(test, st.hits, 1);
}

/*
 * A gauge summed while it moves can see a decrement without its increment;
 * it must read 0, not 2^64 - 1.
 */
static void gauge_never_negative(struct kunit *test)
{
	struct cacheproxy_counters c;
	struct cacheproxy_stats *st;

	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_EQ(test, cacheproxy_counters_init(&c), 0);
	cacheproxy_counters_dec(&c, CACHEPROXY_CTR_ENTRIES);
	cacheproxy_counters_dec(&c, CACHEPROXY_CTR_INFLIGHT);
	cacheproxy_counters_read(&c, st);
	cacheproxy_counters_uninit(&c);
	KUNIT_EXPECT_EQ(test, st->entries, 0);
	KUNIT_EXPECT_EQ(test, st->inflight, 0);
}

/*
 * The stats file's one list of counters names every per-CPU counter once,
 * plus "lookups"; reading sums each counter into its own field (each
 * counter given a different value here), and lookups is hits + misses.
 */
static void counter_fields(struct kunit *test)
{
	unsigned int seen[CACHEPROXY_NR_COUNTERS] = { };
	const struct cacheproxy_counter_field *f;
	struct cacheproxy_counters c;
	struct cacheproxy_stats *st;
	unsigned int i, j, derived = 0;

	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_EQ(test, cacheproxy_counters_init(&c), 0);
	for (i = 0; i < CACHEPROXY_NR_COUNTERS; i++)
		cacheproxy_counters_add(&c, i, 100 + i);
	cacheproxy_counters_read(&c, st);
	cacheproxy_counters_uninit(&c);

	for (i = 0; i < CACHEPROXY_NR_COUNTER_FIELDS; i++) {
		f = &cacheproxy_counter_fields[i];
		KUNIT_EXPECT_EQ_MSG(test, f->offset % sizeof(u64), 0, "%s",
				    f->name);
		KUNIT_EXPECT_LE_MSG(test, f->offset + sizeof(u64), sizeof(*st),
				    "%s", f->name);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, f->name,
					    cacheproxy_counter_fields[j].name);
		if (f->ctr < 0) {
			derived++;
			KUNIT_EXPECT_STREQ(test, f->name, "lookups");
			continue;
		}
		KUNIT_ASSERT_LT(test, f->ctr, CACHEPROXY_NR_COUNTERS);
		seen[f->ctr]++;
		KUNIT_EXPECT_EQ_MSG(test, cacheproxy_counter_field_value(st, f),
				    100 + f->ctr, "%s", f->name);
	}
	KUNIT_EXPECT_EQ(test, derived, 1);
	for (i = 0; i < CACHEPROXY_NR_COUNTERS; i++)
		KUNIT_EXPECT_EQ_MSG(test, seen[i], 1, "counter %u", i);
	KUNIT_EXPECT_EQ(test, st->lookups, st->hits + st->misses);
}

/*
 * The histogram's sampling: on a fresh CPU slot the first lookup is timed;
 * then every gap between timed lookups is 1..2N-1, and the mean of 2000
 * gaps is within 8 % of N (more than 6 standard deviations of the mean).
 */
static void sample_gaps(struct kunit *test)
{
	static const unsigned int every[] = { 1, 2, 8, 1024 };
	struct cacheproxy_counters c;
	unsigned int i, n, gap, e;
	u64 total;

	for (i = 0; i < ARRAY_SIZE(every); i++) {
		e = every[i];
		total = 0;
		KUNIT_ASSERT_EQ(test, cacheproxy_counters_init(&c), 0);
		migrate_disable();	/* one CPU's slot throughout */
		KUNIT_EXPECT_TRUE(test, cacheproxy_counters_sampled(&c, e));
		for (n = 0; n < 2000; n++) {
			gap = 1;
			while (!cacheproxy_counters_sampled(&c, e) &&
			       gap < 2 * e)
				gap++;
			KUNIT_EXPECT_LE_MSG(test, gap, 2 * e - 1, "every %u", e);
			total += gap;
			if (!(n & 63))
				cond_resched();
		}
		migrate_enable();
		cacheproxy_counters_uninit(&c);
		KUNIT_EXPECT_GE_MSG(test, total * 100, 92ULL * 2000 * e,
				    "every %u", e);
		KUNIT_EXPECT_LE_MSG(test, total * 100, 108ULL * 2000 * e,
				    "every %u", e);
	}
}

/*
 * Readers that hit every entry non-stop (played by the sticky test hook:
 * CLOCK finds each bit set again right after clearing it) cannot keep the
 * eviction sweep going forever: inserts into a full table still evict.
 */
static void eviction_under_sticky_refs(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	char key[8];
	unsigned int i;
	u64 seq;

	cacheproxy_kunit_config(test, &cfg);
	cfg.capacity = 2;
	cfg.shards = 1;
	cache = cacheproxy_kunit_cache(test, &cfg);
	cacheproxy_test_sticky_refs(cache, true);
	for (i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, key,
							   &seq), 0);
		/* A hit: the entry is referenced. */
		KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, key,
							   &seq), 0);
	}
	cacheproxy_test_sticky_refs(cache, false);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_LE(test, st.entries, 2);
	KUNIT_EXPECT_EQ(test, st.evictions, 4);
}

/*
 * At most max_inflight flights are alive: a miss that needs one more fails
 * at once with -EAGAIN (counted as refused) instead of holding memory.
 */
static void flight_bound(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	struct lone_waiter *w;
	u64 seq;
	bool ok;

	w = kunit_kcalloc(test, 3, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	cacheproxy_kunit_config(test, &cfg);
	cfg.max_inflight = 2;
	cache = cacheproxy_kunit_cache(test, &cfg);

	cacheproxy_test_gate_loads(cache, true);
	lone_waiter_start(test, &w[0], cache, "a");
	lone_waiter_start(test, &w[1], cache, "b");
	ok = cacheproxy_kunit_wait_misses(cache, 2, 2, &st);
	KUNIT_EXPECT_TRUE_MSG(test, ok, "misses %llu, loads_started %llu",
			      st.misses, st.loads_started);
	/* The gate is still closed: only the bound can end this lookup. */
	lone_waiter_start(test, &w[2], cache, "c");
	KUNIT_EXPECT_TRUE(test, lone_waiter_returned(&w[2]));
	KUNIT_EXPECT_EQ(test, w[2].ret, -EAGAIN);
	cacheproxy_kunit_stats(cache, &st);
	KUNIT_EXPECT_EQ(test, st.refused, 1);
	KUNIT_EXPECT_EQ(test, st.loads_started, 2);
	KUNIT_EXPECT_EQ(test, st.misses, st.loads_started + st.coalesced +
					 st.nomem + st.refused);

	cacheproxy_test_gate_loads(cache, false);
	KUNIT_EXPECT_TRUE(test, lone_waiter_returned(&w[0]));
	KUNIT_EXPECT_TRUE(test, lone_waiter_returned(&w[1]));
	KUNIT_EXPECT_EQ(test, w[0].ret, 0);
	KUNIT_EXPECT_EQ(test, w[1].ret, 0);
	/* Room again once the loads are done. */
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "c", &seq), 0);
}

/*
 * Shutting the cache down (the first stage of an unload) answers a caller
 * waiting for a load at once with -ESHUTDOWN, fails new misses the same
 * way, and still answers hits.
 */
static void shutdown_answers_waiters(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	char val[CACHEPROXY_KUNIT_SYNTH_VAL_SIZE];
	struct lone_waiter *w;
	size_t len;
	u64 seq;
	bool ok;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "cached", &seq),
			0);

	cacheproxy_test_gate_loads(cache, true);
	lone_waiter_start(test, w, cache, "slow-waiting");
	ok = cacheproxy_kunit_wait_misses(cache, 2, 2, &st);
	KUNIT_EXPECT_TRUE(test, ok);
	cacheproxy_cache_shutdown(cache);
	/* The gate stays closed: only the shutdown can end this wait. */
	KUNIT_EXPECT_TRUE(test, lone_waiter_returned(w));
	lone_waiter_stop(w);
	KUNIT_EXPECT_EQ(test, w->ret, -ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup(cache, "new", 3, val,
						sizeof(val), &len),
			-ESHUTDOWN);
	KUNIT_EXPECT_EQ(test, cacheproxy_lookup(cache, "cached", 6, val,
						sizeof(val), &len), 0);
}

/* A handled signal ends a wait at once; the load goes on for the others. */
static void signal_ends_wait(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	struct lone_waiter *w;
	struct task_struct *t;
	u64 seq;
	bool ok;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	cacheproxy_test_gate_loads(cache, true);
	t = lone_waiter_start(test, w, cache, "sig");
	ok = cacheproxy_kunit_wait_misses(cache, 1, 1, &st);
	KUNIT_EXPECT_TRUE(test, ok);
	send_sig(SIGUSR1, t, 1);
	KUNIT_EXPECT_TRUE(test, lone_waiter_returned(w));
	KUNIT_EXPECT_EQ(test, w->ret, interrupted(test));
	lone_waiter_stop(w);
	/*
	 * The abandoned load still lands: the next lookup waits for it or
	 * hits (kthread: queued behind the load-done message), never loads.
	 */
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, cacheproxy_kunit_get(test, cache, "sig", &seq),
			0);
	cacheproxy_kunit_stats(cache, &st);
	KUNIT_EXPECT_EQ(test, st.loads_started, 1);
	KUNIT_EXPECT_EQ(test, st.entries, 1);
}

/*
 * The dump prints every entry once, with the bytes of a key that would
 * break the line's fields escaped in octal.
 */
static void entries_dump_escaped(struct kunit *test)
{
	static const char key[] = "a b\\c\t\001";
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct seq_file *m;
	unsigned long i, n;
	char val[CACHEPROXY_KUNIT_SYNTH_VAL_SIZE];
	size_t len;

	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);
	KUNIT_ASSERT_EQ(test, cacheproxy_lookup(cache, key, strlen(key), val,
						sizeof(val), &len), 0);
	KUNIT_ASSERT_EQ(test, cacheproxy_lookup(cache, "plain", 5, val,
						sizeof(val), &len), 0);

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->size = PAGE_SIZE;
	m->buf = kunit_kzalloc(test, m->size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->buf);
	n = cacheproxy_entries_chunks(cache);
	KUNIT_EXPECT_GT(test, n, 0);
	for (i = 0; i < n; i++)
		cacheproxy_show_entries(cache, m, i);
	KUNIT_ASSERT_LT(test, m->count, m->size);
	m->buf[m->count] = '\0';
	KUNIT_EXPECT_NOT_NULL(test, strstr(m->buf, "a\\040b\\134c\\011\\001 value "));
	KUNIT_EXPECT_NOT_NULL(test, strstr(m->buf, "plain value "));
	KUNIT_EXPECT_EQ(test, (int)strlen(m->buf), (int)m->count);
}

/*
 * The double-load race the second look closes: a caller B misses, and
 * before it registers its flight (paused in the allocation by the test
 * hook) another caller's load of the key lands. B must then answer with
 * that value and load nothing, on every strategy that shares loads;
 * spinlock, which never does, loads again.
 */
static void miss_then_load_lands(struct kunit *test)
{
	const enum cacheproxy_strategy *strategy = test->param_value;
	bool dedup = cacheproxy_strategy_dedup(*strategy);
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	struct lone_waiter *w;
	u64 a = 0, b = 0;
	bool ok;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	lone_waiter_start_paused(test, w, cache, "race");

	/* Meanwhile A's lookup loads the key and caches it. */
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "race", &a), 0);
	cacheproxy_test_pause_flight(cache, false);
	KUNIT_ASSERT_TRUE(test, lone_waiter_returned(w));
	KUNIT_ASSERT_EQ(test, w->ret, 0);
	ok = cacheproxy_kunit_parse_value("race", w->val, w->val_len, &b);
	KUNIT_EXPECT_TRUE(test, ok);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	if (dedup) {
		KUNIT_EXPECT_EQ(test, b, a);
		KUNIT_EXPECT_EQ(test, st.loads_started, 1);
	} else {
		KUNIT_EXPECT_GT(test, b, a);
		KUNIT_EXPECT_EQ(test, st.loads_started, 2);
	}
}

/* A flush while a load is in flight answers it but does not cache it. */
static void flush_inflight(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	struct lone_waiter *w;
	u64 first = 0, second = 0;
	bool ok;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	cacheproxy_test_gate_loads(cache, true);
	lone_waiter_start(test, w, cache, "flushed");
	ok = cacheproxy_kunit_wait_misses(cache, 1, 1, &st);
	KUNIT_EXPECT_TRUE(test, ok);
	cacheproxy_flush(cache);
	cacheproxy_test_gate_loads(cache, false);
	KUNIT_EXPECT_TRUE(test, lone_waiter_returned(w));
	KUNIT_ASSERT_EQ(test, w->ret, 0);
	ok = cacheproxy_kunit_parse_value("flushed", w->val, w->val_len, &first);
	KUNIT_EXPECT_TRUE(test, ok);

	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.entries, 0);
	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "flushed",
						   &second), 0);
	KUNIT_EXPECT_GT(test, second, first);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 2);
}

/*
 * One of two callers waiting for the same key is killed: it returns at
 * once, and the other still gets the value (from the shared load where
 * the strategy shares loads).
 */
static void killed_waiter_co_waiter(struct kunit *test)
{
	const enum cacheproxy_strategy *strategy = test->param_value;
	bool dedup = cacheproxy_strategy_dedup(*strategy);
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	struct lone_waiter *w;
	u64 seq = 0;
	bool ok;

	w = kunit_kcalloc(test, 2, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	cacheproxy_test_gate_loads(cache, true);
	lone_waiter_start(test, &w[0], cache, "co");
	/* The second caller comes once the first one's load is registered. */
	ok = cacheproxy_kunit_wait_misses(cache, 1, 1, &st);
	KUNIT_EXPECT_TRUE(test, ok);
	lone_waiter_start(test, &w[1], cache, "co");
	ok = cacheproxy_kunit_wait_misses(cache, 2, dedup ? 1 : 2, &st);
	KUNIT_EXPECT_TRUE(test, ok);
	send_sig(SIGKILL, w[0].task, 1);
	KUNIT_EXPECT_TRUE(test, lone_waiter_returned(&w[0]));
	KUNIT_EXPECT_EQ(test, w[0].ret, interrupted(test));
	cacheproxy_test_gate_loads(cache, false);
	KUNIT_EXPECT_TRUE(test, lone_waiter_returned(&w[1]));
	KUNIT_ASSERT_EQ(test, w[1].ret, 0);
	ok = cacheproxy_kunit_parse_value("co", w[1].val, w[1].val_len, &seq);
	KUNIT_EXPECT_TRUE(test, ok);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, dedup ? 1 : 2);
	KUNIT_EXPECT_EQ(test, st.coalesced, dedup ? 1 : 0);
}

/*
 * The clock is read where it is compared: a caller that slept (here,
 * paused in its flight allocation) between its first look and its second
 * must not judge an entry by the time it read before sleeping. The entry
 * loaded meanwhile expires during the pause, so the second look must find
 * it expired and load afresh, never serve it as a hit.
 */
static void clock_read_after_sleep(struct kunit *test)
{
	struct cacheproxy_config cfg;
	struct cacheproxy_cache *cache;
	struct cacheproxy_stats st;
	struct lone_waiter *w;
	u64 a = 0, b = 0;
	bool ok;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	cacheproxy_kunit_config(test, &cfg);
	cache = cacheproxy_kunit_cache(test, &cfg);

	lone_waiter_start_paused(test, w, cache, "aging");

	KUNIT_ASSERT_EQ(test, cacheproxy_kunit_get(test, cache, "aging", &a), 0);
	/* The value dies while the other caller sleeps. */
	cacheproxy_test_advance_clock(cache,
				      (u64)(cfg.ttl_ms + 1000) * NSEC_PER_MSEC);
	cacheproxy_test_pause_flight(cache, false);
	KUNIT_ASSERT_TRUE(test, lone_waiter_returned(w));
	KUNIT_ASSERT_EQ(test, w->ret, 0);
	ok = cacheproxy_kunit_parse_value("aging", w->val, w->val_len, &b);
	KUNIT_EXPECT_TRUE(test, ok);
	KUNIT_EXPECT_GT(test, b, a);
	KUNIT_ASSERT_TRUE(test, cacheproxy_kunit_quiesce(cache, &st));
	KUNIT_EXPECT_EQ(test, st.loads_started, 2);
}

static struct kunit_case cacheproxy_harden_cases[] = {
	KUNIT_CASE_PARAM(teardown_killed_request, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(invalidate_other_inflight, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(miss_then_load_lands, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(clock_read_after_sleep, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(flush_inflight, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(killed_waiter_co_waiter, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(flight_bound, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(shutdown_answers_waiters, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(signal_ends_wait, cacheproxy_kunit_strategies),
	KUNIT_CASE_PARAM(entries_dump_escaped, cacheproxy_kunit_strategies),
	KUNIT_CASE(gauge_never_negative),
	KUNIT_CASE(counter_fields),
	KUNIT_CASE(sample_gaps),
	KUNIT_CASE_PARAM(eviction_under_sticky_refs,
			 cacheproxy_kunit_strategies),
	{}
};

static struct kunit_suite cacheproxy_harden_suite = {
	.name = "cacheproxy_harden",
	.test_cases = cacheproxy_harden_cases,
};

kunit_test_suite(cacheproxy_harden_suite);
