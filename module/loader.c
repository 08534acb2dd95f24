// SPDX-License-Identifier: GPL-2.0
/*
 * The loader. With loader=user a load is queued for the daemons
 * (upcall.c) and completes when one answers; the rest of this file is the
 * synthetic loader and the life every load shares.
 *
 * The synthetic loader: a load of key K answers "K:N", N the number of
 * that load from the per-cache counter; "enoent-" keys fail with -ENOENT
 * (a negative entry the strategy may cache), "eio-" keys with -EIO (never
 * cached), and "slow-" keys take slow_ms instead of delay_us.
 *
 * Life of a load: a flight (flight.c) embeds a struct cacheproxy_load and
 * queues it here; the work item waits at the gate (tests only),
 * sleeps its delay, builds the result and calls load->done(), which hands
 * the result to the strategy and may free the flight.
 *
 * Teardown: cacheproxy_loader_stop() wakes every load sleeping at the gate
 * or in a long delay and makes it fail with -ESHUTDOWN;
 * with loader=user it also fails every load the daemons hold and waits for
 * the completions already under way (upcall.c).
 * cacheproxy_loader_drain() then waits for every work item, so every done
 * callback has returned; cacheproxy_loader_uninit() destroys the workqueue.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include <linux/cacheproxy.h>

#include "counters.h"
#include "entry.h"
#include "loader.h"

/* Delays up to this long are slept with usleep_range(), uninterrupted. */
#define LOADER_SHORT_DELAY_US	20000

static bool has_prefix(const struct cacheproxy_load *load, const char *prefix)
{
	size_t n = strlen(prefix);

	return load->key_len >= n && !memcmp(load->key, prefix, n);
}

/* Sleeps @us unless the loader stops; returns -ESHUTDOWN if it did. */
static int loader_delay(struct cacheproxy_loader *l, unsigned long us)
{
	if (us <= LOADER_SHORT_DELAY_US) {
		if (us)
			usleep_range(us, us + us / 4 + 1);
		return 0;
	}
	wait_event_idle_timeout(l->wait, READ_ONCE(l->stopping),
				usecs_to_jiffies(us));
	return READ_ONCE(l->stopping) ? -ESHUTDOWN : 0;
}

static int loader_produce(struct cacheproxy_load *load)
{
	char val[CACHEPROXY_SYNTH_VALUE_MAX];
	int len;

	if (has_prefix(load, "eio-"))
		return -EIO;
	if (has_prefix(load, "enoent-")) {
		load->entry = cacheproxy_entry_alloc(load->key, load->key_len,
						     load->hash, NULL, 0,
						     -ENOENT);
		return -ENOENT;
	}
	len = scnprintf(val, sizeof(val), "%.*s:%llu", (int)load->key_len,
			load->key, atomic64_inc_return(&load->loader->seq));
	load->entry = cacheproxy_entry_alloc(load->key, load->key_len,
					     load->hash, val, len, 0);
	return load->entry ? 0 : -ENOMEM;
}

/**
 * cacheproxy_load_complete - hand a load's result over
 * @load:	the load, its entry set (or NULL)
 * @err:	its result
 *
 * Counts the load and calls its done callback, in process context with no
 * cacheproxy lock held. The record embedding @load may be gone once this
 * returns.
 */
void cacheproxy_load_complete(struct cacheproxy_load *load, int err)
{
	struct cacheproxy_loader *l = load->loader;

	load->err = err;
	cacheproxy_counters_inc(l->counters, err ? CACHEPROXY_CTR_LOADS_FAILED :
						   CACHEPROXY_CTR_LOADS_OK);
	load->done(load);
	/*
	 * In flight until its result is handed over: done() has cached it (or
	 * posted it to the kthread owner, ahead of any later request), so a
	 * reader who sees the gauge drop finds the entry. @l outlives every
	 * load (cacheproxy_loader_drain()).
	 */
	cacheproxy_counters_dec(l->counters, CACHEPROXY_CTR_INFLIGHT);
}

static bool loader_gate_open(struct cacheproxy_loader *l)
{
	return !READ_ONCE(l->gate_closed) || READ_ONCE(l->stopping);
}

static void loader_work(struct work_struct *work)
{
	struct cacheproxy_load *load = container_of(work, struct cacheproxy_load,
						    work);
	struct cacheproxy_loader *l = load->loader;
	unsigned long us = l->delay_us;
	int err;

	/* the tests' gate (test_hooks.c): never closed without KUnit */
	if (IS_ENABLED(CONFIG_KUNIT))
		wait_event_idle(l->wait, loader_gate_open(l));
	if (has_prefix(load, "slow-"))
		us = (unsigned long)l->slow_ms * USEC_PER_MSEC;
	err = READ_ONCE(l->stopping) ? -ESHUTDOWN : loader_delay(l, us);
	if (!err)
		err = loader_produce(load);
	cacheproxy_load_complete(load, err);
}

int cacheproxy_loader_init(struct cacheproxy_loader *l,
			   const struct cacheproxy_loader_config *cfg,
			   struct cacheproxy_counters *counters)
{
	l->wq = alloc_workqueue("cacheproxy-load", WQ_UNBOUND,
				cfg->max_active);
	if (!l->wq)
		return -ENOMEM;
	atomic64_set(&l->seq, 0);
	init_waitqueue_head(&l->wait);
	l->gate_closed = false;
	l->stopping = false;
	l->delay_us = cfg->delay_us;
	l->slow_ms = cfg->slow_ms;
	l->counters = counters;
	l->user = cfg->user;
	if (l->user &&
	    cacheproxy_upcall_init(&l->up, cfg->upcall_timeout_ms,
				   cfg->max_queued, l->wq)) {
		destroy_workqueue(l->wq);
		l->wq = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Stage 1 of teardown: cut every wait short; later loads fail at once.
 * With loader=user, every load the daemons hold fails with -ESHUTDOWN.
 */
void cacheproxy_loader_stop(struct cacheproxy_loader *l)
{
	WRITE_ONCE(l->stopping, true);
	wake_up_all(&l->wait);
	if (l->user)
		cacheproxy_upcall_stop(&l->up);
}

/*
 * Stage 2: returns once every queued load has called its done callback
 * (and every timeout of the user loader has returned).
 */
void cacheproxy_loader_drain(struct cacheproxy_loader *l)
{
	flush_workqueue(l->wq);
}

/* Stage 3: nothing may be queued any more. */
void cacheproxy_loader_uninit(struct cacheproxy_loader *l)
{
	if (l->user)
		cacheproxy_upcall_uninit(&l->up);
	destroy_workqueue(l->wq);
	l->wq = NULL;
}

/*
 * Prepares @load to load @key (which must stay valid until the load's done
 * callback runs). Called before the record embedding @load is published
 * where other callers look for it by key: they read @key, @key_len and
 * @hash under the strategy's lock, and nothing writes them again.
 */
void cacheproxy_load_init(struct cacheproxy_load *load, const char *key,
			  size_t key_len, u32 hash)
{
	load->entry = NULL;
	load->err = 0;
	load->key = key;
	load->key_len = key_len;
	load->hash = hash;
}

/*
 * Queues @load, prepared by cacheproxy_load_init(). @done is called exactly
 * once, never in the caller's context (see struct cacheproxy_load), with
 * load->err and load->entry set; it owns load->entry.
 */
void cacheproxy_loader_queue(struct cacheproxy_loader *l,
			     struct cacheproxy_load *load,
			     void (*done)(struct cacheproxy_load *load))
{
	load->loader = l;
	load->done = done;
	cacheproxy_counters_inc(l->counters, CACHEPROXY_CTR_LOADS_STARTED);
	cacheproxy_counters_inc(l->counters, CACHEPROXY_CTR_INFLIGHT);
	if (l->user) {
		cacheproxy_upcall_queue(&l->up, load);
		return;
	}
	INIT_WORK(&load->work, loader_work);
	queue_work(l->wq, &load->work);
}
