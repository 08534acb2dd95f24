// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel benchmark, the kernel twin of the Go demo's benchmark:
 * kernel threads call cacheproxy_lookup() directly, without system calls,
 * on a fresh cache made for the run (capacity above the key count and no
 * expiry, so nothing is evicted).
 *
 * Writing a command to /sys/kernel/debug/cacheproxy/bench runs one
 * benchmark synchronously, e.g.
 *
 *	strategy=shard scenario=singlekey keys=20000 burst=8 load_delay_us=10
 *
 * Words (name=value, any order, all optional):
 *	strategy	spinlock, kthread, shard or singleflight (default shard)
 *	scenario	singlekey (default): for each key in turn, @burst threads
 *			ask for it at the same moment, then the next key;
 *			multikey: @threads / @burst such groups at once, group
 *			g of G on keys g, g + G, g + 2G...;
 *			hit: every key preloaded, then each thread looks up
 *			all keys @rounds times (the in-kernel hit cost);
 *			rcu-floor: as hit, on a bare RCU hash table (hlist
 *			buckets, jhash, rcu_read_lock(), memcpy of the value)
 *			holding the same keys: the floor of any lookup;
 *			barrier: as singlekey without the lookup: the cost of
 *			the burst barrier itself
 *	keys		data size, distinct keys "key-0".. (default 20000)
 *	threads		singlekey, barrier: must equal burst; multikey: a
 *			multiple of burst (default 4 x burst); hit, rcu-floor:
 *			any (default 1)
 *	burst		threads asking for one key at once (default 8)
 *	rounds		passes over the keys (default 1)
 *	bursts		singlekey, multikey, barrier: bursts in all (default
 *			keys x rounds)
 *	load_delay_us, loader_max_active, shards, capacity: of the cache
 *			(defaults 10, 16, 0 = automatic, max(2 x keys,
 *			keys + 1024) capped at 1048576)
 *
 * Anything else fails the write with -EINVAL; a write while a run is in
 * progress fails with -EBUSY. A fatal signal to the writer stops the run
 * (the threads finish the lookup in hand) and the write fails with -EINTR.
 * Reading the file returns the last result as "name value" lines.
 *
 * Thread i runs on the i-th online CPU (round robin, kthread_bind()), so
 * that where the scheduler puts them does not decide a figure. Threads
 * start together on a countdown barrier (the last to arrive takes
 * the start time and wakes the others) and report through a completion
 * (the last to finish takes the end time); the writer then reaps them
 * with kthread_stop(). Every value is checked against the loader's
 * contract ("KEY:N", N > 0) and, for the deduplicating strategies, every
 * member of a burst must see the same N: anything else counts as wrong.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <linux/cacheproxy.h>

#include "bench.h"
#include "cache.h"
#include "loader.h"

#define BENCH_CMD_MAX		512
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

/* What a command asks for, checked by bench_parse(). */
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

/* An entry of the bare RCU table: key, then value "KEY:1". */
struct floor_entry {
	struct hlist_node node;
	u32 hash;
	u16 key_len;
	u16 val_len;
	char data[];
};

/**
 * struct floor_table - the bare RCU hash table of scenario rcu-floor
 * @buckets:	1 << @bits hlist heads; filled before the threads start and
 *		only read while they run
 * @bits:	as the cache's table sizes itself for the same capacity
 * @seed:	jhash seed
 */
struct floor_table {
	struct hlist_head *buckets;
	unsigned int bits;
	u32 seed;
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
 * @floor:	the bare RCU table of rcu-floor
 * @keys:	the keys, formatted once
 * @dedup:	check that a burst's members all see the same N
 * @ngroups:	burst groups (singlekey, multikey, barrier)
 * @groups:	the groups
 * @workers:	the threads
 * @startup:	threads not yet at the start barrier
 * @running:	threads not yet finished
 * @start_wait:	where threads wait for @startup to reach 0
 * @done:	completed by the last thread to finish
 * @stop:	set by the writer on a fatal signal
 * @t0:		start time, set by the last thread at the start barrier
 * @t1:		end time, set by the last thread to finish
 */
struct bench_run {
	struct bench_params p;
	struct cacheproxy_cache *cache;
	struct floor_table floor;
	struct bench_key *keys;
	bool dedup;
	unsigned int ngroups;
	struct bench_group *groups;
	struct bench_worker *workers;
	atomic_t startup;
	atomic_t running;
	wait_queue_head_t start_wait;
	struct completion done;
	bool stop;
	u64 t0;
	u64 t1;
};

/* The outcome of the last run, printed by bench_show(). */
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

static struct dentry *bench_dir;
/* Held for the whole of a run: a second writer gets -EBUSY. */
static DEFINE_MUTEX(bench_lock);
/* Protects bench_last. Lock order: bench_lock, then bench_result_lock. */
static DEFINE_MUTEX(bench_result_lock);
static struct bench_result bench_last;

/* ---- the bare RCU hash table ---- */

static int floor_build(struct floor_table *t, const struct bench_key *keys,
		       unsigned int nkeys, unsigned int capacity)
{
	unsigned int i;

	t->bits = max(order_base_2(capacity), 1);
	t->seed = get_random_u32();
	t->buckets = kvcalloc(1U << t->bits, sizeof(*t->buckets), GFP_KERNEL);
	if (!t->buckets)
		return -ENOMEM;
	for (i = 0; i < nkeys; i++) {
		const struct bench_key *k = &keys[i];
		struct floor_entry *e;
		size_t vlen = k->len + 2;

		e = kmalloc(struct_size(e, data, k->len + vlen), GFP_KERNEL);
		if (!e)
			return -ENOMEM;
		e->hash = jhash(k->s, k->len, t->seed);
		e->key_len = k->len;
		e->val_len = vlen;
		memcpy(e->data, k->s, k->len);
		memcpy(e->data + k->len, k->s, k->len);
		memcpy(e->data + 2 * k->len, ":1", 2);
		hlist_add_head_rcu(&e->node,
				   &t->buckets[hash_32(e->hash, t->bits)]);
		cond_resched();
	}
	return 0;
}

/* No reader is left: every thread was reaped. */
static void floor_free(struct floor_table *t)
{
	struct floor_entry *e;
	struct hlist_node *tmp;
	unsigned int i;

	if (!t->buckets)
		return;
	for (i = 0; i < 1U << t->bits; i++) {
		hlist_for_each_entry_safe(e, tmp, &t->buckets[i], node)
			kfree(e);
	}
	kvfree(t->buckets);
	t->buckets = NULL;
}

static int floor_lookup(struct floor_table *t, const char *key,
			size_t key_len, char *val, size_t val_size,
			size_t *val_len)
{
	u32 hash = jhash(key, key_len, t->seed);
	struct floor_entry *e;
	int ret = -ENOENT;

	rcu_read_lock();
	hlist_for_each_entry_rcu(e, &t->buckets[hash_32(hash, t->bits)],
				 node) {
		if (e->hash != hash || e->key_len != key_len ||
		    memcmp(e->data, key, key_len))
			continue;
		*val_len = e->val_len;
		ret = -ENOSPC;
		if (e->val_len <= val_size) {
			memcpy(val, e->data + key_len, e->val_len);
			ret = 0;
		}
		break;
	}
	rcu_read_unlock();
	return ret;
}

/* ---- one lookup, checked ---- */

/* True when @val is "KEY:N" for key @k, N a decimal > 0, stored in *@n. */
static bool bench_value_ok(const struct bench_key *k, const char *val,
			   size_t len, u64 *n)
{
	char num[21];
	size_t i, dl;

	if (len <= k->len + 1 || memcmp(val, k->s, k->len) ||
	    val[k->len] != ':')
		return false;
	dl = len - k->len - 1;
	if (dl >= sizeof(num))
		return false;
	for (i = 0; i < dl; i++) {
		if (!isdigit(val[k->len + 1 + i]))
			return false;
		num[i] = val[k->len + 1 + i];
	}
	num[dl] = '\0';
	return !kstrtou64(num, 10, n) && *n;
}

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
		ret = floor_lookup(&b->floor, k->s, k->len, val, sizeof(val),
				   &len);
	w->lookups++;
	if (ret) {
		w->errors++;
		if (!w->first_error)
			w->first_error = ret;
		return 0;
	}
	if (!bench_value_ok(k, val, len, &n)) {
		w->wrong++;
		return 0;
	}
	return n;
}

/* ---- barriers ---- */

/* The start barrier: the last thread to arrive takes the start time. */
static void bench_start_barrier(struct bench_run *b)
{
	if (atomic_dec_and_test(&b->startup)) {
		/* hit: count the timed lookups only, not the preload */
		if (b->cache)
			cacheproxy_stats_reset(b->cache);
		WRITE_ONCE(b->t0, ktime_get_ns());
		wake_up_all(&b->start_wait);
		return;
	}
	wait_event_idle(b->start_wait, !atomic_read(&b->startup));
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
	unsigned int keys = b->p.keys;
	unsigned int off = (u64)w->index * keys / b->p.threads;
	unsigned int r, i;

	for (r = 0; r < b->p.rounds; r++) {
		for (i = 0; i < keys; i++) {
			unsigned int idx = off + i;

			if (idx >= keys)
				idx -= keys;
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
	bench_start_barrier(b);
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
	for (i = 0; i < p->keys; i++)
		b->keys[i].len = scnprintf(b->keys[i].s, sizeof(b->keys[i].s),
					   "key-%u", i);

	if (p->scenario == BENCH_RCU_FLOOR) {
		ret = floor_build(&b->floor, b->keys, p->keys,
				  bench_capacity(p));
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
	atomic_set(&b->startup, p->threads);
	atomic_set(&b->running, p->threads);
	init_waitqueue_head(&b->start_wait);
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
	floor_free(&b->floor);
	kvfree(b->keys);
}

/* Asks every thread to stop after the lookup in hand. */
static void bench_stop(struct bench_run *b)
{
	unsigned int i;

	WRITE_ONCE(b->stop, true);
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

/* ---- the command ---- */

static int bench_parse_word(struct bench_params *p, char *name,
			    const char *val)
{
	static const struct {
		const char *name;
		size_t off;
	} uints[] = {
		{ "keys", offsetof(struct bench_params, keys) },
		{ "threads", offsetof(struct bench_params, threads) },
		{ "burst", offsetof(struct bench_params, burst) },
		{ "rounds", offsetof(struct bench_params, rounds) },
		{ "load_delay_us", offsetof(struct bench_params, load_delay_us) },
		{ "loader_max_active",
		  offsetof(struct bench_params, loader_max_active) },
		{ "shards", offsetof(struct bench_params, shards) },
		{ "capacity", offsetof(struct bench_params, capacity) },
	};
	unsigned int i;
	int s;

	if (!strcmp(name, "strategy")) {
		s = cacheproxy_strategy_parse(val);
		if (s < 0)
			return -EINVAL;
		p->strategy = s;
		return 0;
	}
	if (!strcmp(name, "scenario")) {
		s = match_string(bench_scenario_names,
				 ARRAY_SIZE(bench_scenario_names), val);
		if (s < 0)
			return -EINVAL;
		p->scenario = s;
		return 0;
	}
	if (!strcmp(name, "bursts"))
		return kstrtou64(val, 10, &p->bursts);
	for (i = 0; i < ARRAY_SIZE(uints); i++) {
		if (!strcmp(name, uints[i].name))
			return kstrtouint(val, 10,
					  (unsigned int *)((char *)p +
							   uints[i].off));
	}
	return -EINVAL;
}

/* Parses and checks @cmd (modified in place) into @p. */
static int bench_parse(char *cmd, struct bench_params *p)
{
	char *word, *val;
	int ret;

	*p = (struct bench_params) {
		.strategy = CACHEPROXY_SHARD,
		.scenario = BENCH_SINGLEKEY,
		.keys = 20000,
		.burst = 8,
		.rounds = 1,
		.load_delay_us = 10,
		.loader_max_active = 16,
	};
	while ((word = strsep(&cmd, " \t\n")) != NULL) {
		if (!*word)
			continue;
		val = strchr(word, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		ret = bench_parse_word(p, word, val);
		if (ret)
			return -EINVAL;
	}

	if (!p->keys || p->keys > BENCH_KEYS_MAX || !p->rounds ||
	    p->rounds > BENCH_ROUNDS_MAX || p->bursts > BENCH_BURSTS_MAX ||
	    !p->burst || p->burst > BENCH_THREADS_MAX ||
	    p->capacity > BENCH_CAPACITY_MAX)
		return -EINVAL;
	switch (p->scenario) {
	case BENCH_SINGLEKEY:
	case BENCH_BARRIER:
		if (!p->threads)
			p->threads = p->burst;
		if (p->threads != p->burst)
			return -EINVAL;
		break;
	case BENCH_MULTIKEY:
		if (!p->threads)
			p->threads = min(4 * p->burst, BENCH_THREADS_MAX);
		if (p->threads % p->burst)
			return -EINVAL;
		break;
	case BENCH_HIT:
	case BENCH_RCU_FLOOR:
		if (!p->threads)
			p->threads = 1;
		break;
	}
	if (p->threads > BENCH_THREADS_MAX)
		return -EINVAL;
	/* the cache's own range checks, without its log lines */
	if (p->capacity && p->capacity <= p->keys)
		return -EINVAL;
	if (!p->loader_max_active || p->loader_max_active > WQ_MAX_ACTIVE ||
	    p->load_delay_us > 10000000 ||
	    (p->shards && !is_power_of_2(p->shards)) || p->shards > 1024)
		return -EINVAL;
	return 0;
}

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	struct bench_params p;
	struct bench_result *r;
	char *cmd;
	int ret;

	if (count >= BENCH_CMD_MAX)
		return -EINVAL;
	cmd = memdup_user_nul(ubuf, count);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);
	ret = bench_parse(cmd, &p);
	kfree(cmd);
	if (ret)
		return ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	if (!mutex_trylock(&bench_lock)) {
		kfree(r);
		return -EBUSY;
	}
	ret = bench_run(&p, r);
	if (r->valid) {
		mutex_lock(&bench_result_lock);
		bench_last = *r;
		mutex_unlock(&bench_result_lock);
	}
	mutex_unlock(&bench_lock);
	kfree(r);
	return ret ? ret : count;
}

/* "a.bb" of @num / @den, rounded down; "-" for 0 / 0. */
static void bench_print_ratio(struct seq_file *m, const char *name, u64 num,
			      u64 den, unsigned int digits)
{
	u64 scale = digits == 2 ? 100 : 10000;
	u64 x;

	if (!den) {
		seq_printf(m, "%s -\n", name);
		return;
	}
	x = div64_u64(num * scale, den);
	seq_printf(m, "%s %llu.%0*llu\n", name, div64_u64(x, scale), digits,
		   x - div64_u64(x, scale) * scale);
}

static int bench_show(struct seq_file *m, void *v)
{
	const struct bench_result *r;
	const struct bench_params *p;
	u64 ops;

	mutex_lock(&bench_result_lock);
	r = &bench_last;
	p = &r->p;
	if (!r->valid) {
		seq_puts(m, "runs 0\n");
		goto out;
	}
	seq_printf(m, "strategy %s\n",
		   p->scenario == BENCH_RCU_FLOOR || p->scenario == BENCH_BARRIER ?
		   "none" : cacheproxy_strategy_name(p->strategy));
	seq_printf(m, "scenario %s\n", bench_scenario_names[p->scenario]);
	seq_printf(m, "keys %u\nthreads %u\nburst %u\nrounds %u\n", p->keys,
		   p->threads, p->burst, p->rounds);
	seq_printf(m, "load_delay_us %u\nloader_max_active %u\ncapacity %u\n",
		   p->load_delay_us, p->loader_max_active, r->capacity);
	seq_printf(m, "interrupted %d\n", r->interrupted);
	seq_printf(m, "ns %llu\n", r->ns);
	seq_printf(m, "bursts %llu\n", r->bursts);
	seq_printf(m, "ns_per_burst %llu\n",
		   r->bursts ? div64_u64(r->ns, r->bursts) : 0);
	ops = p->scenario == BENCH_BARRIER ? r->bursts : r->lookups;
	seq_printf(m, "lookups %llu\n", r->lookups);
	seq_printf(m, "ns_per_op %llu\n", ops ? div64_u64(r->ns, ops) : 0);
	seq_printf(m, "ops_per_sec %llu\n",
		   r->ns ? div64_u64(ops * NSEC_PER_SEC, r->ns) : 0);
	if (r->have_stats) {
		seq_printf(m, "hits %llu\nmisses %llu\n", r->st.hits,
			   r->st.misses);
		seq_printf(m, "loads_started %llu\ncoalesced %llu\n",
			   r->st.loads_started, r->st.coalesced);
		seq_printf(m, "evictions %llu\nentries %llu\n",
			   r->st.evictions, r->st.entries);
		bench_print_ratio(m, "hit_ratio", r->st.hits, r->st.lookups,
				  4);
		if (p->scenario != BENCH_HIT)
			bench_print_ratio(m, "loads_per_key",
					  r->st.loads_started, r->distinct, 2);
	}
	seq_printf(m, "distinct_keys %llu\n", r->distinct);
	seq_printf(m, "wrong %llu\nerrors %llu\nfirst_error %d\n", r->wrong,
		   r->errors, r->first_error);
out:
	mutex_unlock(&bench_result_lock);
	return 0;
}

static int bench_open(struct inode *inode, struct file *file)
{
	return single_open(file, bench_show, NULL);
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.open = bench_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = bench_write,
	.release = single_release,
};

/*
 * Creates /sys/kernel/debug/cacheproxy/bench. Without debugfs the module
 * loads without the benchmark.
 */
int cacheproxy_bench_init(void)
{
	bench_dir = debugfs_create_dir("cacheproxy", NULL);
	debugfs_create_file("bench", 0600, bench_dir, NULL, &bench_fops);
	return 0;
}

/*
 * Removes the file. debugfs waits for a write in progress to return, and
 * an open file holds a reference on the module, so no run outlives us.
 */
void cacheproxy_bench_uninit(void)
{
	debugfs_remove(bench_dir);
}
