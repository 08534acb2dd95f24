/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user loader (loader=user): loads handed to daemons in user space
 * through a request queue, the way the sunrpc cache hands misses to its
 * upcall channel. This is the queue; channel.c is the daemon's file.
 */
#ifndef _CACHEPROXY_UPCALL_H
#define _CACHEPROXY_UPCALL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

struct cacheproxy_load;
struct workqueue_struct;

/**
 * struct cacheproxy_upcall - the request queue of one cache's loader
 * @lock:	protects @pending, @ids, @daemons, @next_id, @stopping, every
 *		daemon's @taken list and the upcall fields of the loads on
 *		them; taken in process context (a load's timeout runs on the
 *		workqueue) and always alone: no cacheproxy lock is held around
 *		it, and none is taken inside it
 * @pending:	loads no daemon has taken yet, oldest first
 * @ids:	every load queued and not yet claimed for completion (pending
 *		or taken), hashed by id in 1 << @id_bits buckets; a load
 *		leaves it exactly once, under @lock, and whoever removes it
 *		(claims it) completes it
 * @id_bits:	log2 of the bucket count, from max_inflight
 * @daemons:	attached daemons; with none, a load fails at once (ENOTCONN)
 * @next_id:	the id of the next load (the first is 1): ids below it were
 *		issued, ids from it on never were
 * @stopping:	set once by cacheproxy_upcall_stop(): every load is failed
 *		and no new one is taken
 * @completing:	loads claimed and not yet completed; stop waits for none
 * @wait:	daemons wait here (exclusively: one is woken per load) for a
 *		pending load, or for @stopping; poll waits here too
 * @timeout:	jiffies a daemon has to answer a load once it is queued
 * @wq:		the loader's workqueue: timeouts and immediate failures run
 *		there
 */
struct cacheproxy_upcall {
	spinlock_t lock; /* see above: the queue, its ids, the daemons' lists */
	struct list_head pending;
	struct hlist_head *ids;
	unsigned int id_bits;
	unsigned int daemons;
	u64 next_id;
	bool stopping;
	atomic_t completing;
	wait_queue_head_t wait;
	unsigned long timeout;
	struct workqueue_struct *wq;
};

/**
 * struct cacheproxy_upcall_daemon - one attached daemon (a channel)
 * @taken:	loads it took and has not answered; under the upcall's lock
 */
struct cacheproxy_upcall_daemon {
	struct list_head taken;
};

int cacheproxy_upcall_init(struct cacheproxy_upcall *up, unsigned int timeout_ms,
			   unsigned int max_inflight, struct workqueue_struct *wq);
void cacheproxy_upcall_uninit(struct cacheproxy_upcall *up);
void cacheproxy_upcall_queue(struct cacheproxy_upcall *up,
			     struct cacheproxy_load *load);
void cacheproxy_upcall_stop(struct cacheproxy_upcall *up);

void cacheproxy_upcall_attach(struct cacheproxy_upcall *up,
			      struct cacheproxy_upcall_daemon *d);
void cacheproxy_upcall_detach(struct cacheproxy_upcall *up,
			      struct cacheproxy_upcall_daemon *d);
bool cacheproxy_upcall_readable(struct cacheproxy_upcall *up);
bool cacheproxy_upcall_stopping(struct cacheproxy_upcall *up);
ssize_t cacheproxy_upcall_take(struct cacheproxy_upcall *up,
			       struct cacheproxy_upcall_daemon *d,
			       void *buf, size_t size);
void cacheproxy_upcall_untake(struct cacheproxy_upcall *up,
			      struct cacheproxy_upcall_daemon *d,
			      const void *buf, size_t len);
int cacheproxy_upcall_answer(struct cacheproxy_upcall *up,
			     struct cacheproxy_upcall_daemon *d, u64 id,
			     int status, const char *val, size_t val_len);

#endif /* _CACHEPROXY_UPCALL_H */
