/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What both test modules share, cacheproxy_kunit.ko (helpers.c) and
 * cacheproxy_bench.ko (bench.c): the start gate where a burst of kernel
 * threads waits so that its members ask at the same moment, and the check
 * of a synthetic loader's answer.
 *
 * Static inline, so that each module carries its own copy and neither
 * depends on the other.
 */
#ifndef _CACHEPROXY_BURST_H
#define _CACHEPROXY_BURST_H

#include <linux/atomic.h>
#include <linux/ctype.h>
#include <linux/kthread.h>
#include <linux/overflow.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/wait.h>

/**
 * struct cacheproxy_start_gate - where the threads of a burst meet
 * @arrived:	threads at the gate so far
 * @open:	set once, with release, by whoever opens it; read with
 *		acquire, so that a thread past the gate sees what the opener
 *		wrote before opening it, whether it slept or not
 * @wq:		where threads wait for @open, and an opener for @arrived
 *
 * Used once: the threads arrive, one party (the last thread, or a test
 * that saw them all arrive) opens it, and every thread goes on.
 */
struct cacheproxy_start_gate {
	atomic_t arrived;
	bool open;
	wait_queue_head_t wq;
};

static inline void cacheproxy_start_gate_init(struct cacheproxy_start_gate *g)
{
	atomic_set(&g->arrived, 0);
	g->open = false;
	init_waitqueue_head(&g->wq);
}

/*
 * Counts the calling thread in and wakes whoever waits for arrivals.
 * Returns the number of threads arrived so far, this one included.
 */
static inline unsigned int
cacheproxy_start_gate_arrive(struct cacheproxy_start_gate *g)
{
	unsigned int n = atomic_inc_return(&g->arrived);

	wake_up_all(&g->wq);
	return n;
}

/*
 * For an opener that is not one of the threads: waits (TASK_IDLE) at most
 * @timeout jiffies until @nr threads arrived. Returns what
 * wait_event_idle_timeout() does: 0 when they did not all arrive.
 */
static inline long
cacheproxy_start_gate_wait_arrived(struct cacheproxy_start_gate *g,
				   unsigned int nr, long timeout)
{
	return wait_event_idle_timeout(g->wq,
				       atomic_read(&g->arrived) == nr,
				       timeout);
}

/* Opens the gate: every thread waiting there goes on. */
static inline void cacheproxy_start_gate_open(struct cacheproxy_start_gate *g)
{
	/* pairs with the acquire in cacheproxy_start_gate_wait() */
	smp_store_release(&g->open, true);
	wake_up_all(&g->wq);
}

/* Whether the gate is open, and what its opener wrote before is seen. */
static inline bool cacheproxy_start_gate_is_open(struct cacheproxy_start_gate *g)
{
	/* pairs with the release in cacheproxy_start_gate_open() */
	return smp_load_acquire(&g->open);
}

/*
 * Sleeps (TASK_IDLE: a long wait is not a hung task) until the gate opens
 * or the calling kernel thread is asked to stop. Returns whether it opened.
 */
static inline bool cacheproxy_start_gate_wait(struct cacheproxy_start_gate *g)
{
	wait_event_idle(g->wq,
			cacheproxy_start_gate_is_open(g) || kthread_should_stop());
	return cacheproxy_start_gate_is_open(g);
}

/*
 * The synthetic loader's contract: the value of key K is "K:N", N the
 * decimal number of the load that produced it (>= 1, no leading zero).
 * Returns true when @val (@len bytes, not NUL-terminated) is that answer
 * for @key (@key_len bytes), and stores N in *@n.
 */
static inline bool cacheproxy_synth_value_ok(const char *key, size_t key_len,
					     const char *val, size_t len,
					     u64 *n)
{
	u64 num = 0;
	size_t i;

	if (len <= key_len + 1 || memcmp(val, key, key_len) ||
	    val[key_len] != ':' || val[key_len + 1] == '0')
		return false;
	for (i = key_len + 1; i < len; i++) {
		if (!isdigit(val[i]))
			return false;
		if (check_mul_overflow(num, (u64)10, &num) ||
		    check_add_overflow(num, (u64)(val[i] - '0'), &num))
			return false;
	}
	*n = num;
	return true;
}

#endif /* _CACHEPROXY_BURST_H */
