// SPDX-License-Identifier: GPL-2.0
/*
 * cacheproxy_bench.ko: the in-kernel benchmark, the kernel twin of the Go
 * demo's benchmark. Each insmod runs one benchmark, given by the module
 * parameters (README.md, "The in-kernel benchmark"), on a fresh cache of
 * its own: kernel threads call cacheproxy_lookup() directly, without
 * system calls. The result goes to the kernel log as "name value" lines;
 * init fails when the parameters are wrong, when the run was interrupted
 * or when any answer was wrong, so a module that loaded measured a run
 * whose every answer was checked. Built, as cacheproxy_kunit.ko, only for
 * a kernel with KUnit: the cache's functions are exported to test modules
 * only (EXPORTED_FOR_KUNIT_TESTING).
 *
 * Data flow: init checks the parameters, formats the keys, builds the
 * cache (or the bare RCU table of bench_floor.c), starts one kernel thread
 * per requested thread, bound to the online CPUs in turn, and waits,
 * killably, for the last thread to finish. The threads meet at a start
 * gate (burst.h; the last to arrive takes the start time), then either
 * look every key up in turn (hit, rcu-floor) or meet again before each
 * step in burst groups that ask for one key at once (singlekey, multikey,
 * barrier). Each thread counts into its own struct bench_worker; init
 * reads them after the threads were reaped with kthread_stop().
 *
 * Every value is checked against the loader's contract ("KEY:N", N > 0)
 * and, for the strategies that share loads, every member of a burst must
 * see the same N: anything else counts as wrong.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <linux/cacheproxy.h>

#include "bench_floor.h"
#include "burst.h"
#include "cache.h"
#include "loader.h"

#define BENCH_KEYS_MAX		1048576U
#define BENCH_THREADS_MAX	64U
#define BENCH_ROUNDS_MAX	1000000U
#define BENCH_BURSTS_MAX	1000000000ULL
#define BENCH_CAPACITY_MAX	1048576U

enum bench_scenario {
	BENCH_SINGLEKEY,
	BENCH_MULTIKEY,
	BENCH_HIT,
	BENCH_RCU_FLOOR,
	BENCH_BARRIER,
};

static const char * const bench_scenario_names[] = {
	[BENCH_SINGLEKEY] = "singlekey",
	[BENCH_MULTIKEY] = "multikey",
	[BENCH_HIT] = "hit",
	[BENCH_RCU_FLOOR] = "rcu-floor",
	[BENCH_BARRIER] = "barrier",
};

/* What a run asks for, checked by bench_params_get(). */
struct bench_params {
	enum cacheproxy_strategy strategy;
	enum bench_scenario scenario;
	unsigned int keys;
	unsigned int threads;
	unsigned int burst;
	unsigned int rounds;
	unsigned int load_delay_us;
	unsigned int loader_max_active;
	unsigned int shards;
	unsigned int capacity;
	u64 bursts;
};

/* One key, formatted once before the run: "key-N", at most 11 bytes. */
struct bench_key {
	char s[15];
	u8 len;
};

/**
 * struct bench_group - threads that ask for one key at once
 * @arrived:	members at the barrier
 * @gen:	the barrier's generation; bumped (release) by the decider
 * @wait:	where members wait for @gen to move
 * @size:	members
 * @index:	g of G
 * @slot:	N seen by each member in the current step, 0 for none; each
 *		member writes its own before it meets the others
 * @step:	the step to run now (keys @step * G + g, modulo the keys)
 * @steps:	steps in all
 * @started:	the first meeting happened
 * @stop:	no more steps
 * @same_n_wrong: members of a deduplicating strategy's burst whose N
 *		differed from the first member's
 *
 * @step, @started, @stop and @same_n_wrong are written only by the decider
 * (the member that arrived last, while every other member sleeps) and read
 * by the members after they saw @gen move.
 */
struct bench_group {
	atomic_t arrived;
	u32 gen;
	wait_queue_head_t wait;
	unsigned int size;
	unsigned int index;
	u64 *slot;
	u64 step;
	u64 steps;
	bool started;
	bool stop;
	u64 same_n_wrong;
};

struct bench_run;

/**
 * struct bench_worker - one kernel thread
 * @run:	its run
 * @task:	the thread, reaped with kthread_stop()
 * @group:	its burst group, NULL in hit and rcu-floor
 * @index:	its number
 * @member:	its index in @group
 * @lookups:	lookups it made (the timed ones)
 * @wrong:	answers that broke the loader's contract
 * @errors:	lookups that failed
 * @first_error: the first error seen
 *
 * The counters are the thread's own; the writer reads them after the
 * done completion.
 */
struct bench_worker {
	struct bench_run *run;
	struct task_struct *task;
	struct bench_group *group;
	unsigned int index;
	unsigned int member;
	u64 lookups;
	u64 wrong;
	u64 errors;
	int first_error;
};

/**
 * struct bench_run - one run
 * @p:		its parameters
 * @cache:	the fresh cache under test, NULL for rcu-floor and barrier
 * @floor:	the bare RCU table of rcu-floor (bench_floor.h)
 * @keys:	the keys, formatted once
 * @dedup:	check that a burst's members all see the same N
 * @ngroups:	burst groups (singlekey, multikey, barrier)
 * @groups:	the groups
 * @workers:	the threads
 * @start:	where the threads meet before they start; the last to arrive
 *		opens it
 * @running:	threads not yet finished
 * @done:	completed by the last thread to finish
 * @stop:	set by init on a fatal signal
 * @t0:		start time, set by the last thread at the start barrier
 * @t1:		end time, set by the last thread to finish
 */
struct bench_run {
	struct bench_params p;
	struct cacheproxy_cache *cache;
	struct cacheproxy_floor floor;
	struct bench_key *keys;
	bool dedup;
	unsigned int ngroups;
	struct bench_group *groups;
	struct bench_worker *workers;
	struct cacheproxy_start_gate start;
	atomic_t running;
	struct completion done;
	bool stop;
	u64 t0;
	u64 t1;
};

/* The outcome of a run, printed by bench_report(). */
struct bench_result {
	bool valid;
	bool interrupted;
	struct bench_params p;
	unsigned int capacity;
	u64 ns;
	u64 bursts;
	u64 lookups;
	u64 distinct;
	u64 wrong;
	u64 errors;
	int first_error;
	bool have_stats;
	struct cacheproxy_stats st;
};

/* ---- one lookup, checked ---- */

/* Looks key @idx up, checks the answer; returns N, or 0 for none. */
static u64 bench_one(struct bench_worker *w, unsigned int idx)
{
	struct bench_run *b = w->run;
	const struct bench_key *k = &b->keys[idx];
	char val[CACHEPROXY_SYNTH_VALUE_MAX];
	size_t len = 0;
	u64 n = 0;
	int ret;

	if (b->cache)
		ret = cacheproxy_lookup(b->cache, k->s, k->len, val,
					sizeof(val), &len);
	else
		ret = cacheproxy_floor_lookup(&b->floor, k->s, k->len, val,
					      sizeof(val), &len);
	w->lookups++;
	if (ret) {
		w->errors++;
		if (!w->first_error)
			w->first_error = ret;
		return 0;
	}
	if (!cacheproxy_synth_value_ok(k->s, k->len, val, len, &n)) {
		w->wrong++;
		return 0;
	}
	return n;
}

/* ---- barriers ---- */

/* The start gate: the last thread to arrive takes the start time. */
static void bench_start(struct bench_run *b)
{
	if (cacheproxy_start_gate_arrive(&b->start) == b->p.threads) {
		/* hit: count the timed lookups only, not the preload */
		if (b->cache)
			cacheproxy_stats_reset(b->cache);
		WRITE_ONCE(b->t0, ktime_get_ns());
		cacheproxy_start_gate_open(&b->start);
		return;
	}
	cacheproxy_start_gate_wait(&b->start);
}

/* The decider: check the step that ended, then publish the next one. */
static void group_decide(struct bench_run *b, struct bench_group *g)
{
	unsigned int m;

	if (g->started && b->dedup) {
		u64 ref = 0;

		for (m = 0; m < g->size; m++) {
			u64 n = g->slot[m];

			if (!n)
				continue;	/* counted already */
			if (!ref)
				ref = n;
			else if (n != ref)
				g->same_n_wrong++;
		}
	}
	if (g->started)
		g->step++;
	g->started = true;
	if (g->step >= g->steps || READ_ONCE(b->stop))
		g->stop = true;
}

/*
 * A sense-reversing barrier: the last member to arrive decides while the
 * others sleep, then bumps @gen (release) and wakes them. TASK_IDLE
 * sleeps: a long run is not a hung task.
 */
static void group_meet(struct bench_run *b, struct bench_group *g)
{
	/* pairs with the decider's release: we see the step it published */
	u32 gen = smp_load_acquire(&g->gen);

	if (atomic_inc_return(&g->arrived) == g->size) {
		group_decide(b, g);
		atomic_set(&g->arrived, 0);
		/* publishes the decision before the members see @gen move */
		smp_store_release(&g->gen, gen + 1);
		wake_up_all(&g->wait);
		return;
	}
	/* acquire: pairs with the release above */
	wait_event_idle(g->wait, smp_load_acquire(&g->gen) != gen);
}

/* ---- the threads ---- */

static void bench_group_loop(struct bench_worker *w)
{
	struct bench_run *b = w->run;
	struct bench_group *g = w->group;
	u64 idx;

	for (;;) {
		group_meet(b, g);
		if (g->stop)
			break;
		if (b->p.scenario == BENCH_BARRIER)
			continue;
		idx = (g->step * b->ngroups + g->index) % b->p.keys;
		g->slot[w->member] = bench_one(w, idx);
		cond_resched();
	}
}

static void bench_flat_loop(struct bench_worker *w)
{
	struct bench_run *b = w->run;
	unsigned int nkeys = b->p.keys;
	unsigned int off = (u64)w->index * nkeys / b->p.threads;
	unsigned int r, i;

	for (r = 0; r < b->p.rounds; r++) {
		for (i = 0; i < nkeys; i++) {
			unsigned int idx = off + i;

			if (idx >= nkeys)
				idx -= nkeys;
			bench_one(w, idx);
			if (!(i & 63)) {
				if (READ_ONCE(b->stop))
					return;
				cond_resched();
			}
		}
	}
}

/* hit: this thread's share of the keys goes into the cache first. */
static void bench_preload(struct bench_worker *w)
{
	struct bench_run *b = w->run;
	unsigned int i;
	u64 saved = w->lookups;

	for (i = w->index; i < b->p.keys; i += b->p.threads) {
		if (READ_ONCE(b->stop))
			break;
		bench_one(w, i);
		cond_resched();
	}
	w->lookups = saved;
}

static int bench_thread(void *arg)
{
	struct bench_worker *w = arg;
	struct bench_run *b = w->run;

	if (b->p.scenario == BENCH_HIT)
		bench_preload(w);
	bench_start(b);
	if (w->group)
		bench_group_loop(w);
	else
		bench_flat_loop(w);
	if (atomic_dec_and_test(&b->running)) {
		WRITE_ONCE(b->t1, ktime_get_ns());
		complete(&b->done);
	}

	/* Wait to be reaped, so that kthread_stop() finds us. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* ---- one run ---- */

static bool bench_grouped(enum bench_scenario s)
{
	return s == BENCH_SINGLEKEY || s == BENCH_MULTIKEY ||
	       s == BENCH_BARRIER;
}

static unsigned int bench_capacity(const struct bench_params *p)
{
	u64 c = p->capacity;

	if (!c)
		c = max_t(u64, 2ULL * p->keys, p->keys + 1024ULL);
	return min_t(u64, c, BENCH_CAPACITY_MAX);
}

static int bench_setup(struct bench_run *b)
{
	const struct bench_params *p = &b->p;
	unsigned int i;
	u64 total;
	int ret;

	b->keys = kvmalloc_array(p->keys, sizeof(*b->keys), GFP_KERNEL);
	if (!b->keys)
		return -ENOMEM;
	for (i = 0; i < p->keys; i++) {
		b->keys[i].len = scnprintf(b->keys[i].s, sizeof(b->keys[i].s),
					   "key-%u", i);
		if (!(i & 1023))
			cond_resched();
	}

	if (p->scenario == BENCH_RCU_FLOOR) {
		ret = cacheproxy_floor_init(&b->floor, bench_capacity(p));
		for (i = 0; !ret && i < p->keys; i++) {
			ret = cacheproxy_floor_add(&b->floor, b->keys[i].s,
						   b->keys[i].len);
			cond_resched();
		}
		if (ret)
			return ret;
	} else if (p->scenario != BENCH_BARRIER) {
		struct cacheproxy_config cfg = {
			.strategy = p->strategy,
			.capacity = bench_capacity(p),
			/* Never the binding bound: entries are short. */
			.capacity_bytes = 1UL << 30,
			.ttl_ms = 0,
			.neg_ttl_ms = 1000,
			.load_delay_us = p->load_delay_us,
			.slow_load_ms = 2000,
			.loader_max_active = p->loader_max_active,
			.shards = p->shards,
			.max_inflight = 65536,
			.max_async = 1,
			.lat_sample = CACHEPROXY_LAT_SAMPLE_DEFAULT,
			.loader = CACHEPROXY_LOADER_SYNTHETIC,
			.upcall_timeout_ms = 5000,
		};

		b->cache = cacheproxy_cache_create(&cfg);
		if (IS_ERR(b->cache)) {
			ret = PTR_ERR(b->cache);
			b->cache = NULL;
			return ret;
		}
	}
	b->dedup = cacheproxy_strategy_dedup(p->strategy) &&
		   p->scenario != BENCH_BARRIER;

	b->workers = kcalloc(p->threads, sizeof(*b->workers), GFP_KERNEL);
	if (!b->workers)
		return -ENOMEM;
	if (bench_grouped(p->scenario)) {
		b->ngroups = p->threads / p->burst;
		b->groups = kcalloc(b->ngroups, sizeof(*b->groups), GFP_KERNEL);
		if (!b->groups)
			return -ENOMEM;
		total = p->bursts ? p->bursts : (u64)p->keys * p->rounds;
		for (i = 0; i < b->ngroups; i++) {
			struct bench_group *g = &b->groups[i];

			atomic_set(&g->arrived, 0);
			init_waitqueue_head(&g->wait);
			g->size = p->burst;
			g->index = i;
			g->steps = DIV_ROUND_UP_ULL(total, b->ngroups);
			g->slot = kcalloc(p->burst, sizeof(*g->slot),
					  GFP_KERNEL);
			if (!g->slot)
				return -ENOMEM;
		}
	}
	for (i = 0; i < p->threads; i++) {
		struct bench_worker *w = &b->workers[i];

		w->run = b;
		w->index = i;
		if (b->groups) {
			w->group = &b->groups[i / p->burst];
			w->member = i % p->burst;
		}
	}
	cacheproxy_start_gate_init(&b->start);
	atomic_set(&b->running, p->threads);
	init_completion(&b->done);
	return 0;
}

static void bench_teardown(struct bench_run *b)
{
	unsigned int i;

	for (i = 0; b->groups && i < b->ngroups; i++)
		kfree(b->groups[i].slot);
	kfree(b->groups);
	kfree(b->workers);
	cacheproxy_cache_destroy(b->cache);
	cacheproxy_floor_uninit(&b->floor);
	kvfree(b->keys);
}

/*
 * Asks every thread to stop after the lookup in hand; shutting the cache
 * down answers a lookup waiting for a load at once (-ESHUTDOWN), so that
 * none waits out its load.
 */
static void bench_stop(struct bench_run *b)
{
	unsigned int i;

	WRITE_ONCE(b->stop, true);
	if (b->cache)
		cacheproxy_cache_shutdown(b->cache);
	for (i = 0; i < b->ngroups; i++)
		wake_up_all(&b->groups[i].wait);
}

/*
 * Waits for the threads, killably; a fatal signal stops them. The wait
 * wakes once a second so that a long run is never a hung task.
 */
static bool bench_wait(struct bench_run *b)
{
	bool killed = false;
	long t;

	for (;;) {
		t = wait_for_completion_killable_timeout(&b->done, HZ);
		if (t > 0)
			break;
		if (t < 0 || fatal_signal_pending(current)) {
			killed = true;
			bench_stop(b);
			while (!wait_for_completion_timeout(&b->done, HZ))
				;
			break;
		}
	}
	return killed;
}

static void bench_collect(struct bench_run *b, struct bench_result *r)
{
	const struct bench_params *p = &b->p;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->valid = true;
	r->p = *p;
	r->capacity = bench_capacity(p);
	r->ns = b->t1 - b->t0;
	for (i = 0; i < p->threads; i++) {
		const struct bench_worker *w = &b->workers[i];

		r->lookups += w->lookups;
		r->wrong += w->wrong;
		r->errors += w->errors;
		if (!r->first_error)
			r->first_error = w->first_error;
	}
	for (i = 0; i < b->ngroups; i++) {
		r->bursts += b->groups[i].step;
		r->wrong += b->groups[i].same_n_wrong;
	}
	if (bench_grouped(p->scenario))
		r->distinct = min_t(u64, r->bursts, p->keys);
	else
		r->distinct = p->keys;
	if (b->cache) {
		cacheproxy_stats_read(b->cache, &r->st);
		r->have_stats = true;
	}
}

static int bench_run(const struct bench_params *p, struct bench_result *r)
{
	struct bench_run *b;
	unsigned int i, cpu, created = 0;
	bool killed = false;
	int ret;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->p = *p;
	ret = bench_setup(b);
	if (ret)
		goto out;

	cpu = cpumask_first(cpu_online_mask);
	for (i = 0; i < p->threads; i++) {
		struct task_struct *t;

		t = kthread_create(bench_thread, &b->workers[i],
				   "cacheproxy-bench/%u", i);
		if (IS_ERR(t)) {
			ret = PTR_ERR(t);
			break;
		}
		/*
		 * One thread per online CPU in turn, so that a figure measures
		 * the cache, not where the scheduler put the threads (two on
		 * one CPU of two halved the 2-CPU throughput in some runs).
		 */
		kthread_bind(t, cpu);
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		get_task_struct(t);
		b->workers[i].task = t;
		created++;
	}
	if (ret) {
		/* Never woken: kthread_stop() makes them exit unrun. */
		for (i = 0; i < created; i++) {
			kthread_stop(b->workers[i].task);
			put_task_struct(b->workers[i].task);
		}
		goto out;
	}
	for (i = 0; i < p->threads; i++)
		wake_up_process(b->workers[i].task);

	killed = bench_wait(b);
	for (i = 0; i < p->threads; i++) {
		kthread_stop(b->workers[i].task);
		put_task_struct(b->workers[i].task);
	}
	bench_collect(b, r);
	r->interrupted = killed;
	ret = killed ? -EINTR : 0;
out:
	bench_teardown(b);
	kfree(b);
	return ret;
}

/* ---- the parameters ---- */

static char *strategy = "shard";
module_param(strategy, charp, 0444);
MODULE_PARM_DESC(strategy, "the cache's strategy, as cacheproxy.ko's strategy= (default shard)");

static char *scenario = "singlekey";
module_param(scenario, charp, 0444);
MODULE_PARM_DESC(scenario, "singlekey (default): for each key in turn, burst threads ask for it at once; multikey: threads/burst such groups at once, group g of G on keys g, g+G...; hit: every key preloaded, each thread looks all up rounds times; rcu-floor: hit on a bare RCU hash table; barrier: singlekey without the lookup");

static unsigned int keys = 20000;
module_param(keys, uint, 0444);
MODULE_PARM_DESC(keys, "distinct keys \"key-0\".. (1..1048576, default 20000)");

static unsigned int threads;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "kernel threads (at most 64); singlekey, barrier: equal to burst; multikey: a multiple of burst (default 4 x burst); hit, rcu-floor: any (default 1)");

static unsigned int burst = 8;
module_param(burst, uint, 0444);
MODULE_PARM_DESC(burst, "threads asking for one key at once (1..64, default 8)");

static unsigned int rounds = 1;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "passes over the keys (1..1000000, default 1)");

static unsigned long long bursts;
module_param(bursts, ullong, 0444);
MODULE_PARM_DESC(bursts, "singlekey, multikey, barrier: bursts in all (default keys x rounds)");

static unsigned int load_delay_us = 10;
module_param(load_delay_us, uint, 0444);
MODULE_PARM_DESC(load_delay_us, "the cache's load time (default 10)");

static unsigned int loader_max_active = 16;
module_param(loader_max_active, uint, 0444);
MODULE_PARM_DESC(loader_max_active, "the cache's loader concurrency (default 16)");

static unsigned int shards;
module_param(shards, uint, 0444);
MODULE_PARM_DESC(shards, "the shard strategy's shards, a power of two (default 0: automatic)");

static unsigned int capacity;
module_param(capacity, uint, 0444);
MODULE_PARM_DESC(capacity, "the cache's capacity, above keys (default 0: max(2 x keys, keys + 1024), at most 1048576)");

static unsigned int run_id;
module_param(run_id, uint, 0444);
MODULE_PARM_DESC(run_id, "printed on the result's first line (\"begin RUN_ID\"), so that a script finds this run's lines in the kernel log (default 0)");

/*
 * Takes the parameters into @p, with the defaults that depend on others;
 * one pr_err per mistake. Returns 0 or -EINVAL.
 */
static int bench_params_get(struct bench_params *p)
{
	int s;

	*p = (struct bench_params) {
		.keys = keys,
		.threads = threads,
		.burst = burst,
		.rounds = rounds,
		.bursts = bursts,
		.load_delay_us = load_delay_us,
		.loader_max_active = loader_max_active,
		.shards = shards,
		.capacity = capacity,
	};
	s = cacheproxy_strategy_parse(strategy);
	if (s < 0) {
		pr_err("strategy=%s is not a strategy of cacheproxy.ko\n",
		       strategy);
		return -EINVAL;
	}
	p->strategy = s;
	s = sysfs_match_string(bench_scenario_names, scenario);
	if (s < 0) {
		pr_err("scenario=%s is not a scenario\n", scenario);
		return -EINVAL;
	}
	p->scenario = s;

	if (!p->keys || p->keys > BENCH_KEYS_MAX || !p->rounds ||
	    p->rounds > BENCH_ROUNDS_MAX || p->bursts > BENCH_BURSTS_MAX ||
	    !p->burst || p->burst > BENCH_THREADS_MAX ||
	    p->capacity > BENCH_CAPACITY_MAX) {
		pr_err("keys, rounds, bursts, burst or capacity out of range\n");
		return -EINVAL;
	}
	switch (p->scenario) {
	case BENCH_SINGLEKEY:
	case BENCH_BARRIER:
		if (!p->threads)
			p->threads = p->burst;
		if (p->threads != p->burst) {
			pr_err("threads=%u: %s needs threads = burst (%u)\n",
			       p->threads, scenario, p->burst);
			return -EINVAL;
		}
		break;
	case BENCH_MULTIKEY:
		/* 4 x burst, or the most that fits, a multiple of burst */
		if (!p->threads)
			p->threads = min(4U, BENCH_THREADS_MAX / p->burst) *
				     p->burst;
		if (p->threads % p->burst) {
			pr_err("threads=%u: multikey needs a multiple of burst (%u)\n",
			       p->threads, p->burst);
			return -EINVAL;
		}
		break;
	case BENCH_HIT:
	case BENCH_RCU_FLOOR:
		if (!p->threads)
			p->threads = 1;
		break;
	}
	if (p->threads > BENCH_THREADS_MAX) {
		pr_err("threads=%u out of range (1..%u)\n", p->threads,
		       BENCH_THREADS_MAX);
		return -EINVAL;
	}
	/* one bound on a run's work: bursts in all, or each thread's lookups */
	if ((p->bursts ? p->bursts : (u64)p->keys * p->rounds) >
	    BENCH_BURSTS_MAX) {
		pr_err("keys x rounds (or bursts) above %llu\n",
		       BENCH_BURSTS_MAX);
		return -EINVAL;
	}
	/* the cache's own range checks, in its words */
	if (p->capacity && p->capacity <= p->keys) {
		pr_err("capacity=%u: at most keys (%u), so keys would be evicted\n",
		       p->capacity, p->keys);
		return -EINVAL;
	}
	if (!p->loader_max_active || p->loader_max_active > WQ_MAX_ACTIVE ||
	    p->load_delay_us > 10000000 ||
	    (p->shards && !is_power_of_2(p->shards)) || p->shards > 1024) {
		pr_err("loader_max_active, load_delay_us or shards out of range\n");
		return -EINVAL;
	}
	return 0;
}

/* ---- the result ---- */

/* "NAME a.bb" of @num / @den, rounded down; "NAME -" for 0 / 0. */
static void bench_print_ratio(const char *name, u64 num, u64 den,
			      unsigned int digits)
{
	u64 scale = digits == 2 ? 100 : 10000;
	u64 x;

	if (!den) {
		pr_info("%s -\n", name);
		return;
	}
	x = div64_u64(num * scale, den);
	pr_info("%s %llu.%0*llu\n", name, div64_u64(x, scale), digits,
		x - div64_u64(x, scale) * scale);
}

/*
 * Prints @r to the kernel log as "name value" lines, one per line (the
 * lines scripts/bench parses, each behind the "cacheproxy_bench: " of
 * pr_fmt), between "begin RUN_ID" and "end RUN_ID".
 */
static void bench_report(const struct bench_result *r)
{
	const struct bench_params *p = &r->p;
	u64 ops;

	pr_info("begin %u\n", run_id);
	pr_info("strategy %s\n",
		p->scenario == BENCH_RCU_FLOOR || p->scenario == BENCH_BARRIER ?
		"none" : cacheproxy_strategy_name(p->strategy));
	pr_info("scenario %s\n", bench_scenario_names[p->scenario]);
	pr_info("keys %u\n", p->keys);
	pr_info("threads %u\n", p->threads);
	pr_info("burst %u\n", p->burst);
	pr_info("rounds %u\n", p->rounds);
	pr_info("load_delay_us %u\n", p->load_delay_us);
	pr_info("loader_max_active %u\n", p->loader_max_active);
	pr_info("capacity %u\n", r->capacity);
	pr_info("interrupted %d\n", r->interrupted);
	pr_info("ns %llu\n", r->ns);
	pr_info("bursts %llu\n", r->bursts);
	pr_info("ns_per_burst %llu\n",
		r->bursts ? div64_u64(r->ns, r->bursts) : 0);
	ops = p->scenario == BENCH_BARRIER ? r->bursts : r->lookups;
	pr_info("lookups %llu\n", r->lookups);
	pr_info("ns_per_op %llu\n", ops ? div64_u64(r->ns, ops) : 0);
	pr_info("ops_per_sec %llu\n",
		r->ns ? mul_u64_u64_div_u64(ops, NSEC_PER_SEC, r->ns) : 0);
	if (r->have_stats) {
		pr_info("hits %llu\n", r->st.hits);
		pr_info("misses %llu\n", r->st.misses);
		pr_info("loads_started %llu\n", r->st.loads_started);
		pr_info("coalesced %llu\n", r->st.coalesced);
		pr_info("evictions %llu\n", r->st.evictions);
		pr_info("entries %llu\n", r->st.entries);
		bench_print_ratio("hit_ratio", r->st.hits, r->st.lookups, 4);
		if (p->scenario != BENCH_HIT)
			bench_print_ratio("loads_per_key", r->st.loads_started,
					  r->distinct, 2);
	}
	pr_info("distinct_keys %llu\n", r->distinct);
	pr_info("wrong %llu\n", r->wrong);
	pr_info("errors %llu\n", r->errors);
	pr_info("first_error %d\n", r->first_error);
	pr_info("end %u\n", run_id);
}

/* ---- init and exit ---- */

static int __init cacheproxy_bench_init(void)
{
	struct bench_result *r;
	struct bench_params p;
	int ret;

	ret = bench_params_get(&p);
	if (ret)
		return ret;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	ret = bench_run(&p, r);
	if (r->valid)
		bench_report(r);
	if (!ret && (r->wrong || r->errors)) {
		pr_err("FAILURE: %llu wrong answers, %llu failed lookups (first error %d)\n",
		       r->wrong, r->errors, r->first_error);
		ret = -EINVAL;
	}
	kfree(r);
	return ret;
}

/* Nothing to undo: the run ended, and its threads were reaped, in init. */
static void __exit cacheproxy_bench_exit(void)
{
}

module_init(cacheproxy_bench_init);
module_exit(cacheproxy_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel benchmark of cacheproxy: one run per load, parameters at insmod");
MODULE_AUTHOR("The cacheproxy authors");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
