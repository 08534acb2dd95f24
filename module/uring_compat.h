/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The io_uring command API of the kernels cacheproxy is built for: Debian
 * 12's stock 6.1, and 6.12 (stock and built for the guests).
 *
 *			6.1			6.7 to 6.12
 * header		<linux/io_uring.h>	<linux/io_uring/cmd.h>
 * command bytes	cmd->cmd		cmd->sqe->cmd (16 bytes in an
 *						ordinary SQE, either way)
 * cancellation		none			io_uring_cmd_mark_cancelable(),
 *						->uring_cmd(IO_URING_F_CANCEL)
 * task work		a wake-up per command	io_uring_cmd_do_in_task_lazy()
 * result returned	posted only when issued	posted
 *  by ->uring_cmd	inline, or < 0
 *
 * io_uring_cmd_done() and the task-work callback take the issue flags in
 * both (6.1 has that backport). The kernels between, whose API changed
 * step by step, and the later ones that changed it again (the task-work
 * callback's type, io_uring_cmd_done()'s arguments), get no io_uring
 * commands rather than a guess: Kbuild sets CACHEPROXY_URING_API from the
 * declarations in the kernel's headers (uring-api.sh), not its version.
 * Without cancellation (6.1), a ring that goes away with lookups pending
 * waits for their loads, which end within slow_load_ms (or
 * upcall_timeout_ms).
 */
#ifndef _CACHEPROXY_URING_COMPAT_H
#define _CACHEPROXY_URING_COMPAT_H

#include "uring.h"

#if CACHEPROXY_URING_API == 2

#include <linux/io_uring/cmd.h>

#define CP_URING_CANCELABLE	1

static inline const void *cp_uring_cmd_bytes(const struct io_uring_cmd *cmd)
{
	return io_uring_sqe_cmd(cmd->sqe);
}

static inline void cp_uring_complete_in_task(struct io_uring_cmd *cmd,
					     void (*cb)(struct io_uring_cmd *,
							unsigned int))
{
	io_uring_cmd_do_in_task_lazy(cmd, cb);
}

/* The CQE of a command answered while it is issued: returned. */
static inline int cp_uring_answer_now(struct io_uring_cmd *cmd, int res,
				      unsigned int issue_flags)
{
	return res;
}

#else

#include <linux/io_uring.h>

#define CP_URING_CANCELABLE	0
#define IO_URING_F_CANCEL	0

static inline void io_uring_cmd_mark_cancelable(struct io_uring_cmd *cmd,
						unsigned int issue_flags)
{
}

static inline const void *cp_uring_cmd_bytes(const struct io_uring_cmd *cmd)
{
	return cmd->cmd;
}

static inline void cp_uring_complete_in_task(struct io_uring_cmd *cmd,
					     void (*cb)(struct io_uring_cmd *,
							unsigned int))
{
	io_uring_cmd_complete_in_task(cmd, cb);
}

/*
 * The CQE of a command answered while it is issued. 6.1 posts a returned
 * error either way, but a returned result >= 0 only when the command was
 * issued inline: issued from an io-wq worker (IOSQE_ASYNC, or after
 * EAGAIN) the request was never completed and the ring hung. Post those.
 */
static inline int cp_uring_answer_now(struct io_uring_cmd *cmd, int res,
				      unsigned int issue_flags)
{
	if (res < 0)
		return res;
	io_uring_cmd_done(cmd, res, 0, issue_flags);
	return -EIOCBQUEUED;
}

#endif

#endif /* _CACHEPROXY_URING_COMPAT_H */
