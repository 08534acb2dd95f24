/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The loader, the cache's "slow database": the synthetic loader (loads
 * made up on the cache's own workqueue) or, with loader=user, daemons in
 * user space (upcall.c). Loads never run in the caller's context.
 */
#ifndef _CACHEPROXY_LOADER_H
#define _CACHEPROXY_LOADER_H

#include <linux/atomic.h>
#include <linux/cacheproxy.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "upcall.h"

/* The synthetic loader's longest value, "KEY:N" with N a decimal u64. */
#define CACHEPROXY_SYNTH_VALUE_MAX	(CACHEPROXY_KEY_MAX + 1 + 20)

struct cacheproxy_counters;
struct cacheproxy_entry;

/**
 * struct cacheproxy_load - one load, embedded in a flight
 * @work:	the synthetic loader's work item (the user loader's, for a
 *		load it fails at once)
 * @loader:	the loader it was queued on
 * @done:	called once the result is set, in process context with no
 *		cacheproxy lock held: from the loader's workqueue, or from a
 *		daemon's write or close (loader=user) or the cache's
 *		shutdown; it must not touch the load after handing it off
 * @entry:	result: a value or a negative entry holding one reference,
 *		owned by the flight; NULL when @err is not cached
 * @err:	result: 0, -ENOENT, -EIO, -ESHUTDOWN or -ENOMEM; with
 *		loader=user also -ETIMEDOUT, -ENOTCONN or a daemon's errno
 * @key:	the key, owned by the flight
 * @key_len:	its length
 * @hash:	its hash
 * @id:		loader=user: the id the daemons know the load by
 * @up_node:	loader=user: on the queue's pending list or its taker's
 * @id_node:	loader=user: in the queue's ids while queued
 * @taker:	loader=user: the daemon that took it, NULL while pending
 * @timeout:	loader=user: fails the load when no daemon answered in time
 *
 * The loader=user fields are the upcall queue's, under its lock.
 */
struct cacheproxy_load {
	struct work_struct work;
	struct cacheproxy_loader *loader;
	void (*done)(struct cacheproxy_load *load);
	struct cacheproxy_entry *entry;
	int err;
	const char *key;
	size_t key_len;
	u32 hash;
	u64 id;
	struct list_head up_node;
	struct hlist_node id_node;
	struct cacheproxy_upcall_daemon *taker;
	struct delayed_work timeout;
};

/**
 * struct cacheproxy_loader - the loader of one cache
 * @wq:		WQ_UNBOUND workqueue, max_active = loader_max_active
 * @seq:	number of the last load that produced a value (first is 1)
 * @wait:	where loads wait for the gate to open and long delays sleep;
 *		woken when @gate_closed or @stopping change
 * @gate_closed: test hook: loads wait before their delay while it is set
 * @stopping:	set once, when the cache is shut down (the first stage of its
 *		destruction): long delays and the gate are cut short, the
 *		loads fail with -ESHUTDOWN, and no new flight starts
 * @delay_us:	delay of an ordinary load
 * @slow_ms:	delay of a "slow-" load
 * @counters:	where loads started, ok, failed and in flight are counted
 * @user:	loader=user: loads go to @up, for daemons
 * @up:		loader=user: the daemons' request queue
 *
 * @gate_closed and @stopping are written with WRITE_ONCE and read with
 * READ_ONCE; the wait queue orders them against the sleepers.
 */
struct cacheproxy_loader {
	struct workqueue_struct *wq;
	atomic64_t seq;
	wait_queue_head_t wait;
	bool gate_closed;
	bool stopping;
	unsigned int delay_us;
	unsigned int slow_ms;
	struct cacheproxy_counters *counters;
	bool user;
	struct cacheproxy_upcall up;
};

/**
 * struct cacheproxy_loader_config - what a loader is made from
 * @user:		daemons answer the loads (loader=user), else synthetic
 * @max_active:		concurrency of the loader's workqueue
 * @delay_us:		time one synthetic load takes
 * @slow_ms:		time one synthetic load of a "slow-" key takes
 * @upcall_timeout_ms:	@user: how long daemons have to answer a load
 * @max_queued:		@user: most loads queued for the daemons at once
 *
 * The cache fills it from its own configuration (struct cacheproxy_config),
 * which the loader does not see.
 */
struct cacheproxy_loader_config {
	bool user;
	unsigned int max_active;
	unsigned int delay_us;
	unsigned int slow_ms;
	unsigned int upcall_timeout_ms;
	unsigned int max_queued;
};

int cacheproxy_loader_init(struct cacheproxy_loader *l,
			   const struct cacheproxy_loader_config *cfg,
			   struct cacheproxy_counters *counters);
void cacheproxy_loader_stop(struct cacheproxy_loader *l);
void cacheproxy_loader_drain(struct cacheproxy_loader *l);
void cacheproxy_loader_uninit(struct cacheproxy_loader *l);
void cacheproxy_load_init(struct cacheproxy_load *load, const char *key,
			  size_t key_len, u32 hash);
void cacheproxy_loader_queue(struct cacheproxy_loader *l,
			     struct cacheproxy_load *load,
			     void (*done)(struct cacheproxy_load *load));
void cacheproxy_load_complete(struct cacheproxy_load *load, int err);

#endif /* _CACHEPROXY_LOADER_H */
