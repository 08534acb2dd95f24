// SPDX-License-Identifier: GPL-2.0
/*
 * Strategy "kthread": message passing. One kernel thread, the owner, owns
 * the table and the set of flights; no other context touches them, so they
 * need no lock at all (the table and the set check that only the owner
 * calls them).
 *
 * Data flow. Every operation is a message (struct kt_msg) queued on the
 * owner's kthread_worker, carrying its return address: a completion and a
 * reply slot. A lookup posts a message and sleeps on its completion. The
 * owner answers a hit at once (the reply slot receives a reference to the
 * entry; the caller copies the value). On a miss it answers with the key's
 * flight (flight.h) to join, or, when none is registered, asks the caller
 * to bring one: the caller allocates a flight in its own context (charged
 * to its memory cgroup, bounded by max_inflight) and posts the message
 * again with it; the owner registers and starts it (or, if the key was
 * cached or a flight registered meanwhile, answers as before and the spare
 * flight is dropped). Either way the caller then sleeps on the flight, as
 * in every other strategy: the reply is a future. When the load ends, the
 * loader's done callback posts the flight itself, as a load-done message,
 * back to the owner; the owner caches the result, unless an invalidate of
 * the key or a flush made the flight stale meanwhile, unregisters it and
 * answers every waiter. Invalidate, flush and the entries dump are
 * messages too.
 *
 * Lifetime. A lookup message is allocated and holds two references, the
 * sender's and the owner's. A caller interrupted while it waits drops its
 * own and returns; the owner later answers into a message nobody waits on
 * and drops the last reference (with what the reply held). The owner never
 * waits for a load, so a message lives only as long as the queue ahead of
 * it; what outlives a caller is its flight, bounded by max_inflight. The
 * other messages are answered without waiting for a load, and their
 * senders wait uninterruptibly, so they live on the sender's stack
 * (nothing to allocate, nothing to fail): for them complete() is the
 * owner's last access.
 *
 * Shutdown (unlike the Go demo's goroutine, the owner exits cleanly): once
 * the loader is stopping, the owner starts no flight (it answers
 * -ESHUTDOWN); teardown's quiesce stage flushes the owner's queue, so a
 * killed caller's lookup still queued is handled before the loader is
 * drained, never after; the drain then posts every
 * load-done message, and kthread_destroy_worker() runs them all, answering
 * every waiter, before the thread exits.
 */
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "cache_object.h"
#include "entry.h"
#include "flight.h"
#include "strategy.h"
#include "table.h"

/**
 * struct kt_cache - the state of the strategy
 * @cache:	the cache it belongs to
 * @worker:	the owner thread and its message queue
 * @table:	the entries; owner only
 * @flights:	the registered flights, one per key; owner only
 * @hold:	test hook: a message that keeps the owner busy while @held
 * @held:	see cacheproxy_test_hold_owner(); WRITE_ONCE/READ_ONCE, and
 *		the loader's wait queue orders it against the owner's sleep;
 *		cleared by the test or by kt_quiesce()
 */
struct kt_cache {
	struct cacheproxy_cache *cache;
	struct kthread_worker *worker;
	struct cacheproxy_table table;
	struct cacheproxy_flight_set flights;
	struct kthread_work hold;
	bool held;
};

enum kt_op {
	KT_LOOKUP,
	KT_INVALIDATE,
	KT_FLUSH,
	KT_SHOW,
};

/**
 * struct kt_msg - a request to the owner and its reply
 * @work:	the message in the owner's queue
 * @ref:	KT_LOOKUP: the sender's reference and the owner's; the other
 *		messages live on their sender's stack and are not counted
 * @reply:	the return address, completed by the owner
 * @kc:		the strategy state
 * @op:		what is asked
 * @m:		KT_SHOW: where to print; the sender waits uninterruptibly
 * @chunk:	KT_SHOW: which chunk of the table
 * @spare:	KT_LOOKUP: a flight the sender allocated, for the owner to
 *		register when the key has none (the owner takes it over)
 * @spare_err:	KT_LOOKUP: why the sender has no spare (its allocation
 *		failed): on a second trip the owner answers a hit or a join
 *		still, and fails the lookup with this only if it needed one
 * @entry:	reply: a reference to the entry found, or NULL
 * @flight:	reply: a reference to the flight to wait on, or NULL
 * @need_flight: reply: no flight is registered for the key; post again
 *		with @spare set
 * @err:	reply: the error when nothing else is set
 * @k:		KT_LOOKUP, KT_INVALIDATE: the key; for KT_LOOKUP its bytes
 *		point to @key_buf, which outlives an interrupted sender
 * @key_buf:	KT_LOOKUP: a copy of the key
 */
struct kt_msg {
	struct kthread_work work;
	refcount_t ref;
	struct completion reply;
	struct kt_cache *kc;
	enum kt_op op;
	struct seq_file *m;
	unsigned long chunk;
	struct cacheproxy_flight *spare;
	int spare_err;
	struct cacheproxy_entry *entry;
	struct cacheproxy_flight *flight;
	bool need_flight;
	int err;
	struct cacheproxy_key_ref k;
	char key_buf[];
};

/* Everything the owner owns may be touched from the owner thread only. */
static void kt_assert_owner(const struct kt_cache *kc)
{
	lockdep_assert(current == kc->worker->task);
}

static void kt_msg_put(struct kt_msg *msg)
{
	if (refcount_dec_and_test(&msg->ref)) {
		cacheproxy_entry_put(msg->entry);
		if (msg->flight)
			cacheproxy_flight_put(msg->flight);
		if (msg->spare)
			cacheproxy_flight_put(msg->spare);
		kfree(msg);
	}
}

/* Owner: wake the sender; the message is not the owner's any more. */
static void kt_reply(struct kt_msg *msg)
{
	if (msg->op != KT_LOOKUP) {
		/* On the sender's stack: complete() is our last access. */
		complete(&msg->reply);
		return;
	}
	complete(&msg->reply);
	kt_msg_put(msg);
}

/* Owner: the load-done message. Cache the result, answer every waiter. */
static void kt_handle_done(struct kthread_work *work)
{
	struct cacheproxy_flight *f = container_of(work,
						   struct cacheproxy_flight,
						   post);
	struct kt_cache *kc = f->cache->priv;

	kt_assert_owner(kc);
	cacheproxy_flight_land(f, &kc->table);
	cacheproxy_flight_unregister(&kc->flights, f);
	cacheproxy_flight_finish(f);
}

/*
 * Done callback (process context, no lock held: see struct
 * cacheproxy_load): post the result back to the owner.
 */
static void kt_load_done(struct cacheproxy_load *load)
{
	struct cacheproxy_flight *f = cacheproxy_flight_of(load);
	struct kt_cache *kc = f->cache->priv;

	kthread_queue_work(kc->worker, &f->post);
}

/*
 * Owner: a lookup. Answer a hit, or with the key's flight: the one
 * registered, or the sender's spare, or ask for a spare.
 */
static void kt_handle_lookup(struct kt_cache *kc, struct kt_msg *msg)
{
	struct cacheproxy_cache *cache = kc->cache;
	struct cacheproxy_flight *f;
	struct cacheproxy_entry *e;

	e = cacheproxy_table_find(&kc->table, msg->k.key, msg->k.len,
				  msg->k.hash);
	if (e) {
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		msg->entry = cacheproxy_entry_get(e);
		return;
	}
	f = cacheproxy_flight_find(&kc->flights, &msg->k);
	if (f) {
		cacheproxy_count_lookup(cache, CACHEPROXY_COALESCED);
		msg->flight = cacheproxy_flight_get(f);
		return;
	}
	if (msg->spare_err) {
		/* Second trip without a spare: no load can start. */
		msg->err = cacheproxy_flight_alloc_failed(cache, msg->spare_err);
		return;
	}
	if (!msg->spare) {
		/* Counted on the second trip (or when the sender gives up). */
		msg->need_flight = true;
		return;
	}
	if (cacheproxy_cache_stopping(cache)) {
		msg->err = cacheproxy_flight_alloc_failed(cache, -ESHUTDOWN);
		return;
	}
	cacheproxy_count_lookup(cache, CACHEPROXY_MISS);
	f = msg->spare;
	msg->spare = NULL;
	kthread_init_work(&f->post, kt_handle_done);
	cacheproxy_flight_register(&kc->flights, f);
	cacheproxy_flight_start(f, kt_load_done);
	/* The spare's reference goes back to the sender, for its wait. */
	msg->flight = f;
}

/* Owner: every message but load-done arrives here. */
static void kt_handle_msg(struct kthread_work *work)
{
	struct kt_msg *msg = container_of(work, struct kt_msg, work);
	struct kt_cache *kc = msg->kc;

	kt_assert_owner(kc);
	switch (msg->op) {
	case KT_LOOKUP:
		kt_handle_lookup(kc, msg);
		break;
	case KT_INVALIDATE:
		cacheproxy_table_invalidate(&kc->table, msg->k.key, msg->k.len,
					    msg->k.hash);
		cacheproxy_flight_set_invalidate(&kc->flights, &msg->k);
		break;
	case KT_FLUSH:
		cacheproxy_flight_set_flush(&kc->flights);
		cacheproxy_table_flush(&kc->table);
		break;
	case KT_SHOW:
		cacheproxy_table_show_chunk(&kc->table, msg->m, msg->chunk);
		break;
	}
	kt_reply(msg);
}

static void kt_msg_init(struct kt_msg *msg, struct kt_cache *kc,
			enum kt_op op, const struct cacheproxy_key_ref *k)
{
	kthread_init_work(&msg->work, kt_handle_msg);
	init_completion(&msg->reply);
	msg->kc = kc;
	msg->op = op;
	msg->m = NULL;
	msg->chunk = 0;
	msg->spare = NULL;
	msg->spare_err = 0;
	msg->entry = NULL;
	msg->flight = NULL;
	msg->need_flight = false;
	msg->err = 0;
	if (k)
		msg->k = *k;
	else
		memset(&msg->k, 0, sizeof(msg->k));
}

/*
 * Sender: posts a message answered without waiting for a load and waits
 * for the answer, uninterruptibly: the message lives on the sender's
 * stack, and the owner answers as soon as the messages ahead are handled.
 */
static void kt_call(struct kt_cache *kc, struct kt_msg *msg)
{
	kthread_queue_work(kc->worker, &msg->work);
	wait_for_completion(&msg->reply);
}

/*
 * Sender: posts a new lookup message for @k (with @spare, a flight for the
 * owner to register, an ERR_PTR saying why there is none, or NULL on a
 * first trip), holding it and giving the owner a reference, and waits for
 * the reply, killably. Returns the message (the sender's reference) or an
 * ERR_PTR: -ENOMEM, -ERESTARTSYS (killed; the message was dropped). @spare
 * is the message's either way. A message is never posted twice: the owner
 * drops its reference after completing the reply, so a second trip is a
 * new message.
 */
static struct kt_msg *kt_post_lookup(struct kt_cache *kc,
				     const struct cacheproxy_key_ref *k,
				     struct cacheproxy_flight *spare)
{
	struct kt_msg *msg;

	msg = kmalloc(struct_size(msg, key_buf, k->len), GFP_KERNEL_ACCOUNT);
	if (!msg) {
		if (!IS_ERR_OR_NULL(spare))
			cacheproxy_flight_put(spare);
		cacheproxy_count_lookup(kc->cache, CACHEPROXY_NOMEM);
		return ERR_PTR(-ENOMEM);
	}
	kt_msg_init(msg, kc, KT_LOOKUP, k);
	memcpy(msg->key_buf, k->key, k->len);
	msg->k.key = msg->key_buf;
	if (IS_ERR(spare))
		msg->spare_err = PTR_ERR(spare);
	else
		msg->spare = spare;
	refcount_set(&msg->ref, 2);
	kthread_queue_work(kc->worker, &msg->work);
	/*
	 * No trip waits for a load, and a handled signal that ended one could
	 * leave a lookup counted as a hit or a miss whose caller got EINTR, or
	 * not counted at all: only a fatal signal ends the wait. (Nor may
	 * io_uring's task-work notification, which looks like a signal, end
	 * an asynchronous lookup's trip: it cannot be restarted.)
	 */
	if (wait_for_completion_killable(&msg->reply)) {
		kt_msg_put(msg);
		return ERR_PTR(-ERESTARTSYS);
	}
	return msg;
}

static int kt_lookup(struct cacheproxy_cache *cache,
		     const struct cacheproxy_key_ref *k,
		     struct cacheproxy_value *v,
		     struct cacheproxy_flight **wait)
{
	struct kt_cache *kc = cache->priv;
	struct cacheproxy_flight *spare;
	struct kt_msg *msg;
	int ret;

	msg = kt_post_lookup(kc, k, NULL);
	if (!IS_ERR(msg) && msg->need_flight) {
		kt_msg_put(msg);
		/*
		 * Even when it failed: meanwhile the key may have been cached
		 * or got a flight to join, which needs no slot.
		 */
		spare = cacheproxy_flight_alloc(cache, k);
		msg = kt_post_lookup(kc, k, spare);
	}
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	if (msg->entry) {
		ret = cacheproxy_entry_copy(msg->entry, v);
	} else if (msg->flight) {
		/* The reply is a future: the caller waits on it. */
		*wait = cacheproxy_flight_get(msg->flight);
		ret = CACHEPROXY_LOOKUP_WAIT;
	} else {
		ret = msg->err;
	}
	kt_msg_put(msg);
	return ret;
}

static void kt_invalidate(struct cacheproxy_cache *cache,
			  const struct cacheproxy_key_ref *k)
{
	struct kt_msg msg;

	kt_msg_init(&msg, cache->priv, KT_INVALIDATE, k);
	kt_call(cache->priv, &msg);
}

static void kt_flush(struct cacheproxy_cache *cache)
{
	struct kt_msg msg;

	kt_msg_init(&msg, cache->priv, KT_FLUSH, NULL);
	kt_call(cache->priv, &msg);
}

static unsigned long kt_show_chunks(struct cacheproxy_cache *cache)
{
	struct kt_cache *kc = cache->priv;

	/* Fixed for the table's life: no message needed. */
	return cacheproxy_table_chunks(&kc->table);
}

static void kt_show_chunk(struct cacheproxy_cache *cache, struct seq_file *m,
			  unsigned long chunk)
{
	struct kt_msg msg;

	kt_msg_init(&msg, cache->priv, KT_SHOW, NULL);
	msg.m = m;
	msg.chunk = chunk;
	kt_call(cache->priv, &msg);
}

/*
 * Owner: the test hook's message; busy until released, by the test or by
 * teardown's quiesce stage (not by the shutdown before it, so that a test
 * sees what a teardown without that stage would do).
 */
static void kt_handle_hold(struct kthread_work *work)
{
	struct kt_cache *kc = container_of(work, struct kt_cache, hold);

	wait_event_idle(kc->cache->loader.wait, !READ_ONCE(kc->held));
}

static void kt_test_hold(struct cacheproxy_cache *cache, bool held)
{
	struct kt_cache *kc = cache->priv;

	WRITE_ONCE(kc->held, held);
	if (held)
		kthread_queue_work(kc->worker, &kc->hold);
	else
		wake_up_all(&cache->loader.wait);
}

/* Teardown stage 2: every message queued so far is handled. */
static void kt_quiesce(struct cacheproxy_cache *cache)
{
	struct kt_cache *kc = cache->priv;

	/* a test's hold ends here (see kt_handle_hold()) */
	WRITE_ONCE(kc->held, false);
	wake_up_all(&cache->loader.wait);
	kthread_flush_worker(kc->worker);
}

static int kt_init(struct cacheproxy_cache *cache)
{
	struct kt_cache *kc;
	int ret;

	kc = kzalloc(sizeof(*kc), GFP_KERNEL);
	if (!kc)
		return -ENOMEM;
	kc->cache = cache;
	/* the test hook's message, only where it can be sent (KUnit) */
	if (IS_ENABLED(CONFIG_KUNIT))
		kthread_init_work(&kc->hold, kt_handle_hold);
	ret = cacheproxy_table_init(&kc->table, cache, cache->cfg.capacity,
				    cache->cfg.capacity_bytes, NULL);
	if (ret)
		goto err_table;
	ret = cacheproxy_flight_set_init(&kc->flights, cache->cfg.max_inflight,
					 NULL);
	if (ret)
		goto err_flights;
	kc->worker = kthread_create_worker(0, "cacheproxy-owner");
	if (IS_ERR(kc->worker)) {
		ret = PTR_ERR(kc->worker);
		goto err_worker;
	}
	kc->table.owner = kc->worker->task;
	kc->flights.owner = kc->worker->task;
	cache->priv = kc;
	return 0;

err_worker:
	cacheproxy_flight_set_uninit(&kc->flights);
err_flights:
	cacheproxy_table_uninit(&kc->table);
err_table:
	kfree(kc);
	return ret;
}

/*
 * The loader is drained, so every load-done message is queued; destroying
 * the worker runs them all (answering every waiter) before the owner exits.
 * The table and the set then have no owner left and are freed here.
 */
static void kt_uninit(struct cacheproxy_cache *cache)
{
	struct kt_cache *kc = cache->priv;

	kthread_destroy_worker(kc->worker);
	cacheproxy_flight_set_uninit(&kc->flights);
	cacheproxy_table_uninit(&kc->table);
	kfree(kc);
	cache->priv = NULL;
}

const struct cacheproxy_strategy_ops cacheproxy_kthread_ops = {
	.name = "kthread",
	.dedup = true,
	.owner = true,
	.init = kt_init,
	.quiesce = kt_quiesce,
	.uninit = kt_uninit,
	.lookup = kt_lookup,
	.invalidate = kt_invalidate,
	.flush = kt_flush,
	.show_chunks = kt_show_chunks,
	.show_chunk = kt_show_chunk,
	.test_hold = IS_ENABLED(CONFIG_KUNIT) ? kt_test_hold : NULL,
};
