// SPDX-License-Identifier: GPL-2.0
/*
 * The user loader's request queue. A load (embedded in a flight) is queued
 * here instead of on the synthetic loader's workqueue; a daemon takes it
 * (cacheproxy_upcall_take(), a read of its channel), looks the key up
 * wherever the data lives and answers it (cacheproxy_upcall_answer(), a
 * write); the answer becomes the load's result, and the load completes in
 * the daemon's context.
 *
 * Life of a load here, every step under the upcall's lock:
 *   queued:  in @ids and on @pending, its timeout armed;
 *   taken:   moved to the taking daemon's @taken list;
 *   claimed: removed from @ids (and its list) by exactly one of: the
 *	      daemon's answer, its timeout, the last daemon's detach, or stop;
 *	      counted in @completing until it is completed.
 * The claimer owns the load: it cancels the timeout (waiting for it if it
 * is running; a running timeout finds the load claimed and leaves it) and
 * completes it outside the lock. Once completed, the flight embedding the
 * load may be freed at any time.
 *
 * Failure rules: no daemon attached when a load is queued: the load fails
 * at once with -ENOTCONN (on the workqueue, as synthetic loads complete);
 * no answer within the timeout: -ETIMEDOUT; a daemon that detaches gives
 * back what it took: to the other daemons, or, when it was the last, every
 * load fails with -ENOTCONN; stop (the cache's shutdown): every load fails
 * with -ESHUTDOWN. A daemon's own error becomes -EIO for the callers. Only
 * a value and -ENOENT are cached.
 *
 * Bounds: a load is queued only for a flight, so max_inflight bounds the
 * queue; detach and stop walk it UPCALL_BATCH loads (or buckets) per lock
 * hold; every load has its timeout, so a daemon that never answers holds
 * nothing for longer.
 */
#include <linux/cacheproxy.h>
#include <linux/hash.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "entry.h"
#include "loader.h"
#include "upcall.h"

/* Loads (or buckets) handled per lock hold by stop and detach. */
#define UPCALL_BATCH	64

static struct hlist_head *upcall_bucket(struct cacheproxy_upcall *up, u64 id)
{
	return &up->ids[hash_64(id, up->id_bits)];
}

/* Claims @load for its completion: it leaves the queue for good. */
static void upcall_claim(struct cacheproxy_upcall *up,
			 struct cacheproxy_load *load)
{
	lockdep_assert_held(&up->lock);
	hlist_del_init(&load->id_node);
	list_del_init(&load->up_node);
	load->taker = NULL;
	atomic_inc(&up->completing);
}

/* Completes a claimed @load; the flight embedding it may go at once. */
static void upcall_complete(struct cacheproxy_upcall *up,
			    struct cacheproxy_load *load, int err)
{
	cacheproxy_load_complete(load, err);
	if (atomic_dec_and_test(&up->completing))
		wake_up_var(&up->completing);
}

/* Completes the loads claimed together (detach, stop) on @claimed. */
static void upcall_complete_list(struct cacheproxy_upcall *up,
				 struct list_head *claimed, int err)
{
	struct cacheproxy_load *load, *tmp;

	list_for_each_entry_safe(load, tmp, claimed, up_node) {
		list_del_init(&load->up_node);
		cancel_delayed_work_sync(&load->timeout);
		upcall_complete(up, load, err);
	}
}

static void upcall_timeout(struct work_struct *work)
{
	struct cacheproxy_load *load =
		container_of(to_delayed_work(work), struct cacheproxy_load,
			     timeout);
	struct cacheproxy_upcall *up = &load->loader->up;
	bool claimed = false;

	spin_lock(&up->lock);
	if (!hlist_unhashed(&load->id_node)) {
		upcall_claim(up, load);
		claimed = true;
	}
	spin_unlock(&up->lock);
	/*
	 * Not claimed: another claimer owns the load and waits for this
	 * function to return (cancel_delayed_work_sync()) before it completes
	 * it, so @load was valid up to here. Claimed: no one else touches it.
	 */
	if (claimed)
		upcall_complete(up, load, -ETIMEDOUT);
}

/* A load that could not be queued (no daemon, stopping) fails from here. */
static void upcall_fail_now(struct work_struct *work)
{
	struct cacheproxy_load *load = container_of(work, struct cacheproxy_load,
						    work);

	cacheproxy_load_complete(load, load->err);
}

/**
 * cacheproxy_upcall_init - an empty queue
 * @up:		the queue
 * @timeout_ms:	how long a daemon has to answer a load, from its queueing
 * @max_inflight: the most loads that can be queued at once (sizes the ids)
 * @wq:		the workqueue the loads' timeouts run on; it must outlive
 *		every load (the loader drains it after cacheproxy_upcall_stop())
 *
 * Return: 0 or -ENOMEM.
 */
int cacheproxy_upcall_init(struct cacheproxy_upcall *up, unsigned int timeout_ms,
			   unsigned int max_inflight, struct workqueue_struct *wq)
{
	unsigned int i;

	up->id_bits = clamp(order_base_2(max_inflight), 4, 16);
	up->ids = kvmalloc_array(1U << up->id_bits, sizeof(*up->ids),
				 GFP_KERNEL);
	if (!up->ids)
		return -ENOMEM;
	for (i = 0; i < 1U << up->id_bits; i++)
		INIT_HLIST_HEAD(&up->ids[i]);
	spin_lock_init(&up->lock);
	INIT_LIST_HEAD(&up->pending);
	up->daemons = 0;
	up->next_id = 1;
	up->stopping = false;
	atomic_set(&up->completing, 0);
	init_waitqueue_head(&up->wait);
	up->timeout = msecs_to_jiffies(timeout_ms);
	up->wq = wq;
	return 0;
}

/* After cacheproxy_upcall_stop(), with no daemon attached any more. */
void cacheproxy_upcall_uninit(struct cacheproxy_upcall *up)
{
	WARN_ON_ONCE(up->daemons);
	kvfree(up->ids);
	up->ids = NULL;
}

/*
 * Queues @load (prepared by cacheproxy_load_init(), counted by the loader)
 * for a daemon, or fails it at once when there is none or the queue is
 * stopping. Never sleeps; never completes @load in the caller's context.
 */
void cacheproxy_upcall_queue(struct cacheproxy_upcall *up,
			     struct cacheproxy_load *load)
{
	int err = 0;

	INIT_DELAYED_WORK(&load->timeout, upcall_timeout);
	INIT_LIST_HEAD(&load->up_node);
	INIT_HLIST_NODE(&load->id_node);
	load->taker = NULL;

	spin_lock(&up->lock);
	if (up->stopping) {
		err = -ESHUTDOWN;
	} else if (!up->daemons) {
		err = -ENOTCONN;
	} else {
		load->id = up->next_id++;
		hlist_add_head(&load->id_node, upcall_bucket(up, load->id));
		list_add_tail(&load->up_node, &up->pending);
		queue_delayed_work(up->wq, &load->timeout, up->timeout);
	}
	spin_unlock(&up->lock);

	if (err) {
		load->err = err;
		INIT_WORK(&load->work, upcall_fail_now);
		queue_work(up->wq, &load->work);
		return;
	}
	/* One daemon (and every poller) for one load. */
	wake_up_interruptible(&up->wait);
}

/*
 * Fails every load with -ESHUTDOWN and refuses new ones; daemons waiting
 * for a request wake up and get -ESHUTDOWN. The loads are claimed a few
 * buckets per lock hold (nothing enters the table once it is stopping).
 * Returns once every claimed load is completed, those claimed by others
 * (an answer, a detach, a timeout) included; a timeout that found its load
 * claimed may still be returning (the loader's drain waits for it). Sleeps.
 */
void cacheproxy_upcall_stop(struct cacheproxy_upcall *up)
{
	unsigned int i = 0, end, nr = 1U << up->id_bits;
	struct cacheproxy_load *load;
	struct hlist_node *tmp;
	LIST_HEAD(claimed);

	might_sleep();
	spin_lock(&up->lock);
	up->stopping = true;
	spin_unlock(&up->lock);
	wake_up_interruptible_all(&up->wait);
	while (i < nr) {
		end = min(i + UPCALL_BATCH, nr);
		spin_lock(&up->lock);
		for (; i < end; i++) {
			hlist_for_each_entry_safe(load, tmp, &up->ids[i],
						  id_node) {
				upcall_claim(up, load);
				list_add_tail(&load->up_node, &claimed);
			}
		}
		spin_unlock(&up->lock);
		upcall_complete_list(up, &claimed, -ESHUTDOWN);
	}
	wait_var_event(&up->completing, !atomic_read(&up->completing));
}

/* @d starts taking loads. */
void cacheproxy_upcall_attach(struct cacheproxy_upcall *up,
			      struct cacheproxy_upcall_daemon *d)
{
	INIT_LIST_HEAD(&d->taken);
	spin_lock(&up->lock);
	up->daemons++;
	spin_unlock(&up->lock);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_upcall_attach);

/*
 * @d goes away: the loads it took and did not answer go back to the head
 * of the queue, in order, for another daemon, keeping their ids and
 * deadlines; while no daemon is left, the pending loads fail with
 * -ENOTCONN instead (until one attaches again). A batch of loads per lock
 * hold. Sleeps.
 */
void cacheproxy_upcall_detach(struct cacheproxy_upcall *up,
			      struct cacheproxy_upcall_daemon *d)
{
	struct cacheproxy_load *load;
	bool more, requeued = false;
	LIST_HEAD(claimed);
	unsigned int n;

	might_sleep();
	spin_lock(&up->lock);
	up->daemons--;
	spin_unlock(&up->lock);
	/* The newest first, each to the head: the queue keeps their order. */
	do {
		spin_lock(&up->lock);
		for (n = 0; n < UPCALL_BATCH && !list_empty(&d->taken); n++) {
			load = list_last_entry(&d->taken, struct cacheproxy_load,
					       up_node);
			load->taker = NULL;
			list_move(&load->up_node, &up->pending);
			requeued = true;
		}
		more = !list_empty(&d->taken);
		spin_unlock(&up->lock);
	} while (more);
	if (requeued)
		wake_up_interruptible_all(&up->wait);
	do {
		spin_lock(&up->lock);
		for (n = 0; n < UPCALL_BATCH; n++) {
			if (up->daemons || list_empty(&up->pending))
				break;
			load = list_first_entry(&up->pending,
						struct cacheproxy_load, up_node);
			upcall_claim(up, load);
			list_add_tail(&load->up_node, &claimed);
		}
		spin_unlock(&up->lock);
		upcall_complete_list(up, &claimed, -ENOTCONN);
	} while (n);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_upcall_detach);

/* A load is waiting to be taken, or the queue stopped: a read won't wait. */
bool cacheproxy_upcall_readable(struct cacheproxy_upcall *up)
{
	bool ready;

	spin_lock(&up->lock);
	ready = up->stopping || !list_empty(&up->pending);
	spin_unlock(&up->lock);
	return ready;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_upcall_readable);

/* The queue is stopping: its daemons have nothing more to do. */
bool cacheproxy_upcall_stopping(struct cacheproxy_upcall *up)
{
	return READ_ONCE(up->stopping);
}

static size_t request_size(const struct cacheproxy_load *load)
{
	return ALIGN(sizeof(struct cacheproxy_load_request) + load->key_len, 8);
}

/**
 * cacheproxy_upcall_take - take pending loads for @d
 * @up:		the queue
 * @d:		the daemon taking them
 * @buf:	where their requests are written (struct
 *		cacheproxy_load_request, key, zero padding; see the UAPI)
 * @size:	its size
 *
 * Takes the oldest pending loads whose requests fit in @size. Never sleeps.
 * Return: the bytes written; 0 when no load is pending; -EINVAL when the
 * oldest does not fit; -ESHUTDOWN once the queue stopped.
 */
ssize_t cacheproxy_upcall_take(struct cacheproxy_upcall *up,
			       struct cacheproxy_upcall_daemon *d,
			       void *buf, size_t size)
{
	struct cacheproxy_load *load, *tmp;
	bool more;
	size_t len = 0;

	spin_lock(&up->lock);
	if (up->stopping) {
		spin_unlock(&up->lock);
		return -ESHUTDOWN;
	}
	list_for_each_entry_safe(load, tmp, &up->pending, up_node) {
		struct cacheproxy_load_request *req = buf + len;
		size_t n = request_size(load);

		if (n > size - len)
			break;
		memset(req, 0, n);
		req->size = sizeof(*req);
		req->id = load->id;
		req->key_len = load->key_len;
		memcpy(req + 1, load->key, load->key_len);
		len += n;
		load->taker = d;
		list_move_tail(&load->up_node, &d->taken);
	}
	more = !list_empty(&up->pending);
	spin_unlock(&up->lock);
	if (!len)
		return more ? -EINVAL : 0;
	/* What this daemon left is for the next one. */
	if (more)
		wake_up_interruptible(&up->wait);
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_upcall_take);

/* The queued load with @id, whoever holds it, or NULL. */
static struct cacheproxy_load *upcall_find(struct cacheproxy_upcall *up,
					   u64 id)
{
	struct cacheproxy_load *load;

	lockdep_assert_held(&up->lock);
	hlist_for_each_entry(load, upcall_bucket(up, id), id_node)
		if (load->id == id)
			return load;
	return NULL;
}

/*
 * Gives back the loads of the requests in @buf (@len bytes, as written by
 * cacheproxy_upcall_take() for @d), which never reached the daemon: they
 * go back to the head of the queue, in order.
 */
void cacheproxy_upcall_untake(struct cacheproxy_upcall *up,
			      struct cacheproxy_upcall_daemon *d,
			      const void *buf, size_t len)
{
	const struct cacheproxy_load_request *req;
	struct cacheproxy_load *load;
	size_t off = 0;
	LIST_HEAD(back);

	spin_lock(&up->lock);
	while (len - off >= sizeof(*req)) {
		req = buf + off;
		load = upcall_find(up, req->id);
		if (load && load->taker == d) {
			load->taker = NULL;
			list_move_tail(&load->up_node, &back);
		}
		off += ALIGN(req->size + req->key_len, 8);
	}
	list_splice(&back, &up->pending);
	spin_unlock(&up->lock);
	wake_up_interruptible_all(&up->wait);
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_upcall_untake);

/*
 * The statuses a daemon may answer with: 0 with a value of at most
 * CACHEPROXY_VALUE_MAX bytes, or a -errno (-1..-4095) with none.
 */
static bool answer_valid(int status, size_t val_len)
{
	if (status > 0 || status < -MAX_ERRNO)
		return false;
	if (status)
		return !val_len;
	return val_len <= CACHEPROXY_VALUE_MAX;
}

/**
 * cacheproxy_upcall_answer - the answer of @d to its load @id
 * @up:		the queue
 * @d:		the daemon answering
 * @id:		the load's id, as @d took it
 * @status:	0: @val is the value; -ENOENT: no such key (a negative entry);
 *		another -errno: the load failed, and its callers get -EIO
 * @val:	the value (any bytes), when @status is 0
 * @val_len:	its length, up to CACHEPROXY_VALUE_MAX (0 otherwise)
 *
 * Completes the load in the caller's context. Sleeps.
 * Return: 0; -EINVAL for a bad status or length, or an id never issued;
 * -ESTALE for an id that is not a load @d holds (answered already, timed
 * out, failed by a detach or stop, or taken by another daemon). A refused
 * answer changes nothing.
 */
int cacheproxy_upcall_answer(struct cacheproxy_upcall *up,
			     struct cacheproxy_upcall_daemon *d, u64 id,
			     int status, const char *val, size_t val_len)
{
	struct cacheproxy_load *load;
	int ret = 0;

	might_sleep();
	if (!answer_valid(status, val_len))
		return -EINVAL;
	spin_lock(&up->lock);
	load = upcall_find(up, id);
	if (load && load->taker == d)
		upcall_claim(up, load);
	else
		ret = id && id < up->next_id ? -ESTALE : -EINVAL;
	spin_unlock(&up->lock);
	if (ret)
		return ret;

	cancel_delayed_work_sync(&load->timeout);
	if (status && status != -ENOENT)
		status = -EIO;
	if (!status || status == -ENOENT) {
		load->entry = cacheproxy_entry_alloc(load->key, load->key_len,
						     load->hash, val, val_len,
						     status);
		if (!load->entry && !status)
			status = -ENOMEM;
	}
	upcall_complete(up, load, status);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(cacheproxy_upcall_answer);
