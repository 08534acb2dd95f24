// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring commands on /dev/cacheproxy: CACHEPROXY_URING_GET, a lookup
 * that never waits for a load in the submitting thread (the command's
 * contract is in include/uapi/linux/cacheproxy.h).
 *
 * Data flow. The issue path reads the command and the key and starts the
 * lookup (cacheproxy_lookup_start()). A hit, or a miss that fails without
 * a load, completes right there: the handler returns the CQE's result. A
 * miss that started or joined a load leaves a request (struct uring_get)
 * watching the load's flight, and the command returns -EIOCBQUEUED. When
 * the flight is answered, in whatever context answers it, the watcher only
 * queues task work; the task work runs in the submitting task, copies the
 * value to its buffer there and posts the CQE (io_uring_cmd_done()).
 *
 * Ownership. The request is allocated only for a miss that waits (the
 * hit path allocates nothing) and owned by whoever takes it off its
 * flight: the answer (then the task work frees it), or a cancellation. A
 * request holds one of the cache's max_async slots and a reference to its
 * flight until it ends, so a ring can make the kernel hold at most
 * max_async requests in all. Its command holds /dev/cacheproxy open, which
 * pins the module: rmmod is refused while a ring has a lookup pending, and
 * the cache outlives every request.
 *
 * Cancellation (6.7 and later, uring_compat.h): a pending command is marked
 * cancelable before it watches its flight. When its ring is closed (also
 * by its task's exit, which closes the task's files; an exit alone does
 * not cancel commands io_uring does not track), io_uring's exit worker
 * calls ->uring_cmd with IO_URING_F_CANCEL under the ring's lock; taking
 * the request off its flight decides the race with the answer
 * (cacheproxy_lookup_cancel()): the winner completes the command, the
 * loser does nothing (its task work completes it, and until it runs the
 * exit worker retries). The load goes on for its other waiters. Task work
 * run by an exiting task, or by io_uring's fallback worker, completes with
 * -ECANCELED without a copy to user space.
 */
#include <linux/cacheproxy.h>
#include <linux/errno.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cache.h"
#include "entry.h"
#include "miscdev.h"
#include "uring.h"

#if CACHEPROXY_URING
#include "uring_compat.h"

/**
 * struct uring_get - a CACHEPROXY_URING_GET waiting for its load
 * @w:		the lookup's waiter: on its flight's list while it waits
 * @cmd:	the command to complete
 * @uget:	the caller's struct cacheproxy_get (for value_len on ENOSPC)
 * @value:	the caller's value buffer
 * @value_size:	its size
 */
struct uring_get {
	struct cacheproxy_waiter w;
	struct io_uring_cmd *cmd;
	u64 uget;
	u64 value;
	u32 value_size;
};

/* What the command keeps in its pdu: the request of a pending lookup. */
struct uring_pdu {
	struct uring_get *req;
};

static struct uring_pdu *uring_pdu(struct io_uring_cmd *cmd)
{
	BUILD_BUG_ON(sizeof(struct uring_pdu) > sizeof(cmd->pdu));
	return (struct uring_pdu *)cmd->pdu;
}

/*
 * The CQE's result of a lookup that returned @ret with the value in @v:
 * its length, or a negative errno. The value goes to the caller's buffer;
 * on ENOSPC the length needed goes to the struct's value_len.
 */
static int uring_answer(int ret, struct cacheproxy_value *v, u64 uget,
			u64 value, u32 value_size)
{
	struct cacheproxy_get __user *ug = u64_to_user_ptr(uget);
	u32 len;

	if (ret == -ERESTARTSYS || ret == -ERESTARTNOHAND)
		return -EINTR;	/* a CQE cannot restart */
	if (ret)
		return ret;
	ret = cacheproxy_value_to_user(v, value, value_size, &len);
	if (ret == -ENOSPC && put_user(len, &ug->value_len))
		return -EFAULT;
	return ret ? ret : len;
}

/* Task work of an answered request, in the submitting task. */
static void uring_get_complete(struct io_uring_cmd *cmd,
			       unsigned int issue_flags)
{
	struct uring_get *req = uring_pdu(cmd)->req;
	char buf[CACHEPROXY_VALUE_INLINE];
	struct cacheproxy_value v = {
		.buf = buf, .size = sizeof(buf), .by_ref = true,
	};
	int ret;

	if (current->flags & (PF_EXITING | PF_KTHREAD)) {
		/* No user memory to copy to: the task is gone or going. */
		ret = cacheproxy_lookup_end(&req->w, NULL);
	} else {
		ret = cacheproxy_lookup_end(&req->w, &v);
		ret = uring_answer(ret, &v, req->uget, req->value,
				   req->value_size);
	}
	kfree(req);
	io_uring_cmd_done(cmd, ret, 0, issue_flags);
}

/* The flight answered @w (any context, no lock held): to the task. */
static void uring_get_done(struct cacheproxy_waiter *w)
{
	struct uring_get *req = container_of(w, struct uring_get, w);

	cp_uring_complete_in_task(req->cmd, uring_get_complete);
}

/*
 * Leaves a miss waiting for its load: @w is the lookup's waiter (on the
 * issuer's stack). Returns -EIOCBQUEUED, or the result when the request
 * cannot be made.
 */
static int uring_get_wait(struct io_uring_cmd *cmd, unsigned int issue_flags,
			  struct cacheproxy_waiter *w,
			  const struct cacheproxy_get *arg, u64 uget)
{
	struct uring_get *req;

	req = kmalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!req) {
		cacheproxy_lookup_end(w, NULL);
		return -ENOMEM;
	}
	req->w = *w;
	INIT_LIST_HEAD(&req->w.node);
	req->cmd = cmd;
	req->uget = uget;
	req->value = arg->value;
	req->value_size = arg->value_size;
	uring_pdu(cmd)->req = req;
	/*
	 * Cancelable before it watches: once it watches, the answer may
	 * complete it at once (from io-wq, the task work can run in the
	 * submitter meanwhile). A cancel that comes before the watch finds
	 * nothing to take off, and io_uring tries again.
	 */
	io_uring_cmd_mark_cancelable(cmd, issue_flags);
	if (!cacheproxy_lookup_watch(&req->w, uring_get_done)) {
		/*
		 * Answered already. Completed through task work all the same:
		 * it runs under the ring's lock, as a cancellation does, while
		 * this issue may not hold it (io-wq).
		 */
		uring_get_done(&req->w);
	}
	return -EIOCBQUEUED;
}

static int uring_get(struct cacheproxy_cache *cache, struct io_uring_cmd *cmd,
		     unsigned int issue_flags)
{
	const struct cacheproxy_uring_get *ucmd = cp_uring_cmd_bytes(cmd);
	char buf[CACHEPROXY_VALUE_INLINE];
	struct cacheproxy_value v = {
		.buf = buf, .size = sizeof(buf), .by_ref = true,
	};
	char key[CACHEPROXY_KEY_MAX];
	struct cacheproxy_waiter w;
	struct cacheproxy_get arg;
	u32 size, flags;
	u64 uget;
	int ret;

	/* The SQE is in memory the submitter can still write: read once. */
	uget = READ_ONCE(ucmd->get);
	size = READ_ONCE(ucmd->get_size);
	flags = READ_ONCE(ucmd->flags);
	if (flags || size < CACHEPROXY_GET_SIZE_VER0)
		return -EINVAL;
	if (size > CACHEPROXY_URING_GET_SIZE_MAX)
		return -E2BIG;
	ret = copy_struct_from_user(&arg, sizeof(arg), u64_to_user_ptr(uget),
				    size);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved)
		return -EINVAL;
	ret = cacheproxy_key_from_user(key, arg.key, arg.key_len);
	if (ret)
		return ret;
	ret = cacheproxy_lookup_start(cache, key, arg.key_len, &v, &w);
	if (ret == -EINPROGRESS)
		return uring_get_wait(cmd, issue_flags, &w, &arg, uget);
	return uring_answer(ret, &v, uget, arg.value, arg.value_size);
}

/* IO_URING_F_CANCEL: the ring or its task is going away. */
static int uring_cancel(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct uring_get *req = uring_pdu(cmd)->req;

	if (!cacheproxy_lookup_cancel(&req->w))
		return 0;	/* answered: its task work completes it */
	cacheproxy_lookup_end(&req->w, NULL);
	kfree(req);
	io_uring_cmd_done(cmd, -ECANCELED, 0, issue_flags);
	return 0;
}

/**
 * cacheproxy_uring_cmd - ->uring_cmd of /dev/cacheproxy
 * @cache:	the device's cache
 * @cmd:	the command
 * @issue_flags: io_uring's flags, passed on as they are
 *
 * May sleep to allocate, and with kthread for the owner's reply, but never
 * waits for a load. Return: the CQE's result, or -EIOCBQUEUED when the
 * command completes (or completed) through io_uring_cmd_done().
 */
int cacheproxy_uring_cmd(struct cacheproxy_cache *cache,
			 struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	int ret;

	if (CP_URING_CANCELABLE && (issue_flags & IO_URING_F_CANCEL))
		return uring_cancel(cmd, issue_flags);
	/*
	 * As the ioctls: the size encoded in the number is the caller's idea
	 * of the struct, so that the struct can grow (get_size says it).
	 */
	if (_IOC_TYPE(cmd->cmd_op) != _IOC_TYPE(CACHEPROXY_URING_GET) ||
	    _IOC_NR(cmd->cmd_op) != _IOC_NR(CACHEPROXY_URING_GET) ||
	    _IOC_DIR(cmd->cmd_op) != _IOC_DIR(CACHEPROXY_URING_GET))
		return -ENOTTY;
	/*
	 * kthread's lookups wait for the owner's reply: not in a
	 * non-blocking issue (an SQPOLL thread serves other rings too).
	 * Returned before anything is done, EAGAIN makes io_uring issue the
	 * command again from a worker, which may sleep.
	 */
	if ((issue_flags & IO_URING_F_NONBLOCK) &&
	    cacheproxy_lookup_may_sleep(cache))
		return -EAGAIN;
	ret = uring_get(cache, cmd, issue_flags);
	if (ret == -EAGAIN) {
		/*
		 * An answer (max_inflight, max_async): returned, io_uring
		 * would take it for the above and issue again. Post it.
		 */
		io_uring_cmd_done(cmd, ret, 0, issue_flags);
		return -EIOCBQUEUED;
	}
	return cp_uring_answer_now(cmd, ret, issue_flags);
}

#endif /* CACHEPROXY_URING */
