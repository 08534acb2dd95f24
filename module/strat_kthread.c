// SPDX-License-Identifier: GPL-2.0
/*
 * Strategy "kthread": message passing. One kernel thread, the owner, owns
 * the table and the list of pending loads; no other context touches them,
 * so they need no lock at all (the table checks that only the owner calls
 * it).
 *
 * Data flow. Every operation is a message (struct kt_msg) queued on the
 * owner's kthread_worker, carrying its return address: a completion and a
 * result slot. A lookup posts a message and sleeps killably on its
 * completion. The owner answers a hit at once (the result slot receives a
 * reference to the entry; the caller copies the value). On a miss it
 * attaches the message to the key's pending record (struct kt_pending),
 * creating the record and handing its load to the loader workqueue if
 * there is none. When the load ends, the loader's done callback posts the
 * record itself, as a load-done message, back to the owner; the owner
 * caches the result, unless an invalidate or flush marked the record stale
 * meanwhile, and answers every attached message. Invalidate, flush and the
 * entries dump are messages too.
 *
 * Lifetime. A lookup message is allocated and holds two references, the
 * sender's and the owner's. A caller killed while it waits drops its own
 * and returns -EINTR; the owner later answers into a message nobody waits
 * on and drops the last reference. The other messages are answered at once
 * and their senders wait uninterruptibly, so they live on the sender's
 * stack (nothing to allocate, nothing to fail): for them complete() is the
 * owner's last access. A pending record belongs to the owner, except
 * between handing its load to the loader and receiving the load-done
 * message.
 *
 * Shutdown (unlike the Go demo's goroutine, the owner exits cleanly): the
 * loader is stopped and drained first, so every load-done message has been
 * posted; kthread_destroy_worker() then runs every message still queued,
 * answering every pending waiter, before the thread exits.
 */
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "entry.h"
#include "fault.h"
#include "strategy.h"
#include "table.h"

/**
 * struct kt_cache - the state of the strategy
 * @cache:	the cache it belongs to
 * @worker:	the owner thread and its message queue
 * @table:	the entries; owner only
 * @pending:	the pending records whose result will be cached; owner only
 */
struct kt_cache {
	struct cacheproxy_cache *cache;
	struct kthread_worker *worker;
	struct cacheproxy_table table;
	struct list_head pending;
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
 * @waiter:	link in a pending record's waiters (owner only)
 * @m:		KT_SHOW: where to print; the sender waits uninterruptibly
 * @entry:	reply: a reference to the entry found or loaded, or NULL
 * @err:	reply: the error when @entry is NULL
 * @hash:	KT_LOOKUP, KT_INVALIDATE: the key's hash
 * @key_len:	its length
 * @key:	the key: @key_buf for KT_LOOKUP, the sender's for KT_INVALIDATE
 * @key_buf:	KT_LOOKUP: a copy of the key, which outlives a killed sender
 */
struct kt_msg {
	struct kthread_work work;
	refcount_t ref;
	struct completion reply;
	struct kt_cache *kc;
	enum kt_op op;
	struct list_head waiter;
	struct seq_file *m;
	struct cacheproxy_entry *entry;
	int err;
	u32 hash;
	size_t key_len;
	const char *key;
	char key_buf[];
};

/**
 * struct kt_pending - a load in flight and the lookups waiting for it
 * @node:	link in kc->pending; unlinked (and @stale set) by invalidate
 *		and flush, so that later lookups start a fresh load
 * @waiters:	the lookup messages to answer (struct kt_msg)
 * @done_work:	the load-done message the loader posts to the owner
 * @load:	the load
 * @kc:		the strategy state
 * @stale:	do not cache the result
 * @key:	the key
 *
 * All fields are the owner's, except @load while the loader has it.
 */
struct kt_pending {
	struct list_head node;
	struct list_head waiters;
	struct kthread_work done_work;
	struct cacheproxy_load load;
	struct kt_cache *kc;
	bool stale;
	char key[];
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

static struct kt_pending *kt_pending_find(struct kt_cache *kc,
					  const struct kt_msg *msg)
{
	struct kt_pending *p;

	kt_assert_owner(kc);
	list_for_each_entry(p, &kc->pending, node) {
		if (p->load.hash == msg->hash &&
		    p->load.key_len == msg->key_len &&
		    !memcmp(p->key, msg->key, msg->key_len))
			return p;
	}
	return NULL;
}

static void kt_pending_detach(struct kt_pending *p)
{
	p->stale = true;
	list_del_init(&p->node);
}

/* Owner: the load-done message. Cache the result, answer every waiter. */
static void kt_handle_done(struct kthread_work *work)
{
	struct kt_pending *p = container_of(work, struct kt_pending,
					    done_work);
	struct kt_cache *kc = p->kc;
	struct kt_msg *msg, *tmp;

	kt_assert_owner(kc);
	if (!p->stale) {
		if (p->load.entry)
			cacheproxy_table_insert(&kc->table, p->load.entry,
						cacheproxy_now(kc->cache));
		list_del(&p->node);
	}
	list_for_each_entry_safe(msg, tmp, &p->waiters, waiter) {
		list_del(&msg->waiter);
		if (p->load.entry)
			msg->entry = cacheproxy_entry_get(p->load.entry);
		msg->err = p->load.err;
		kt_reply(msg);
	}
	cacheproxy_entry_put(p->load.entry);
	kfree(p);
}

/* Loader workqueue context: post the result back to the owner. */
static void kt_load_done(struct cacheproxy_load *load)
{
	struct kt_pending *p = container_of(load, struct kt_pending, load);

	kthread_queue_work(p->kc->worker, &p->done_work);
}

/* Owner: a lookup. Answer a hit, or attach to the key's pending load. */
static void kt_handle_lookup(struct kt_cache *kc, struct kt_msg *msg)
{
	struct cacheproxy_cache *cache = kc->cache;
	struct cacheproxy_entry *e;
	struct kt_pending *p;

	e = cacheproxy_table_find(&kc->table, msg->key, msg->key_len,
				  msg->hash, cacheproxy_now(cache));
	if (e) {
		cacheproxy_count_lookup(cache, CACHEPROXY_HIT);
		msg->entry = cacheproxy_entry_get(e);
		kt_reply(msg);
		return;
	}
	p = kt_pending_find(kc, msg);
	if (p) {
		cacheproxy_count_lookup(cache, CACHEPROXY_COALESCED);
		list_add_tail(&msg->waiter, &p->waiters);
		return;
	}
	/* The owner's allocation: no caller's fail-nth reaches it. */
	p = cacheproxy_fault_kmalloc(struct_size(p, key, msg->key_len),
				     GFP_KERNEL);
	if (!p) {
		cacheproxy_count_lookup(cache, CACHEPROXY_NOMEM);
		msg->err = -ENOMEM;
		kt_reply(msg);
		return;
	}
	cacheproxy_count_lookup(cache, CACHEPROXY_MISS);
	INIT_LIST_HEAD(&p->waiters);
	kthread_init_work(&p->done_work, kt_handle_done);
	p->kc = kc;
	p->stale = false;
	memcpy(p->key, msg->key, msg->key_len);
	cacheproxy_load_init(&p->load, p->key, msg->key_len, msg->hash);
	list_add_tail(&msg->waiter, &p->waiters);
	list_add(&p->node, &kc->pending);
	cacheproxy_loader_queue(&cache->loader, &p->load, kt_load_done);
}

/* Owner: every message but load-done arrives here. */
static void kt_handle_msg(struct kthread_work *work)
{
	struct kt_msg *msg = container_of(work, struct kt_msg, work);
	struct kt_cache *kc = msg->kc;
	struct kt_pending *p, *tmp;

	switch (msg->op) {
	case KT_LOOKUP:
		kt_handle_lookup(kc, msg);
		return;
	case KT_INVALIDATE:
		cacheproxy_table_invalidate(&kc->table, msg->key, msg->key_len,
					    msg->hash);
		p = kt_pending_find(kc, msg);
		if (p)
			kt_pending_detach(p);
		break;
	case KT_FLUSH:
		cacheproxy_table_flush(&kc->table);
		list_for_each_entry_safe(p, tmp, &kc->pending, node)
			kt_pending_detach(p);
		break;
	case KT_SHOW:
		cacheproxy_table_show(&kc->table, msg->m,
				      cacheproxy_now(kc->cache));
		break;
	}
	kt_reply(msg);
}

static void kt_msg_init(struct kt_msg *msg, struct kt_cache *kc,
			enum kt_op op, const struct cacheproxy_key_ref *k)
{
	kthread_init_work(&msg->work, kt_handle_msg);
	init_completion(&msg->reply);
	INIT_LIST_HEAD(&msg->waiter);
	msg->kc = kc;
	msg->op = op;
	msg->m = NULL;
	msg->entry = NULL;
	msg->err = 0;
	msg->hash = k ? k->hash : 0;
	msg->key_len = k ? k->len : 0;
	msg->key = k ? k->key : NULL;
}

/*
 * Sender: posts a message that is answered at once and waits for the
 * answer, uninterruptibly (the owner never blocks on a load).
 */
static void kt_call(struct kt_cache *kc, enum kt_op op,
		    const struct cacheproxy_key_ref *k, struct seq_file *m)
{
	struct kt_msg msg;

	kt_msg_init(&msg, kc, op, k);
	msg.m = m;
	kthread_queue_work(kc->worker, &msg.work);
	wait_for_completion(&msg.reply);
}

static int kt_lookup(struct cacheproxy_cache *cache,
		     const struct cacheproxy_key_ref *k, char *val,
		     size_t val_size, size_t *val_len)
{
	struct kt_cache *kc = cache->priv;
	struct kt_msg *msg;
	int ret;

	msg = kmalloc(struct_size(msg, key_buf, k->len), GFP_KERNEL);
	if (!msg) {
		cacheproxy_count_lookup(cache, CACHEPROXY_NOMEM);
		return -ENOMEM;
	}
	kt_msg_init(msg, kc, KT_LOOKUP, k);
	refcount_set(&msg->ref, 2);
	memcpy(msg->key_buf, k->key, k->len);
	msg->key = msg->key_buf;
	kthread_queue_work(kc->worker, &msg->work);
	if (wait_for_completion_killable(&msg->reply)) {
		kt_msg_put(msg);
		return -EINTR;
	}
	if (msg->entry)
		ret = cacheproxy_entry_copy(msg->entry, val, val_size, val_len);
	else
		ret = msg->err;
	kt_msg_put(msg);
	return ret;
}

static void kt_invalidate(struct cacheproxy_cache *cache,
			  const struct cacheproxy_key_ref *k)
{
	kt_call(cache->priv, KT_INVALIDATE, k, NULL);
}

static void kt_flush(struct cacheproxy_cache *cache)
{
	kt_call(cache->priv, KT_FLUSH, NULL, NULL);
}

static void kt_show_entries(struct cacheproxy_cache *cache,
			    struct seq_file *m)
{
	kt_call(cache->priv, KT_SHOW, NULL, m);
}

static int kt_init(struct cacheproxy_cache *cache)
{
	struct kt_cache *kc;
	int ret;

	kc = kzalloc(sizeof(*kc), GFP_KERNEL);
	if (!kc)
		return -ENOMEM;
	kc->cache = cache;
	INIT_LIST_HEAD(&kc->pending);
	ret = cacheproxy_table_init(&kc->table, cache->cfg.capacity,
				    cache->cfg.ttl_ms, cache->cfg.neg_ttl_ms,
				    NULL, &cache->counters);
	if (ret)
		goto err_table;
	kc->worker = kthread_create_worker(0, "cacheproxy-owner");
	if (IS_ERR(kc->worker)) {
		ret = PTR_ERR(kc->worker);
		goto err_worker;
	}
	kc->table.owner = kc->worker->task;
	cache->priv = kc;
	return 0;

err_worker:
	cacheproxy_table_uninit(&kc->table);
err_table:
	kfree(kc);
	return ret;
}

/*
 * The loader is drained, so every load-done message is queued; destroying
 * the worker runs them all (answering every waiter) before the owner exits.
 * The table then has no owner left and is freed here.
 */
static void kt_uninit(struct cacheproxy_cache *cache)
{
	struct kt_cache *kc = cache->priv;

	kthread_destroy_worker(kc->worker);
	WARN_ON(!list_empty(&kc->pending));
	cacheproxy_table_uninit(&kc->table);
	kfree(kc);
	cache->priv = NULL;
}

const struct cacheproxy_strategy_ops cacheproxy_kthread_ops = {
	.name = "kthread",
	.init = kt_init,
	.uninit = kt_uninit,
	.lookup = kt_lookup,
	.invalidate = kt_invalidate,
	.flush = kt_flush,
	.show_entries = kt_show_entries,
};
