// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring lookups (see uring.h), with liburing: each command carries a
 * struct cacheproxy_uring_get naming its struct cacheproxy_get; the CQE's
 * res is the value's length or a negative errno.
 */
#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uring.h"

struct cp_uring {
	struct io_uring ring;
	unsigned int depth;
};

/* A ring for @depth commands at once. Returns 0 or -errno. */
int cp_uring_open(struct cp_uring **u, unsigned int depth)
{
	int ret;

	*u = calloc(1, sizeof(**u));
	if (!*u)
		return -ENOMEM;
	ret = io_uring_queue_init(depth, &(*u)->ring, 0);
	if (ret) {
		free(*u);
		*u = NULL;
		return ret;
	}
	(*u)->depth = depth;
	return 0;
}

void cp_uring_close(struct cp_uring *u)
{
	if (!u)
		return;
	io_uring_queue_exit(&u->ring);
	free(u);
}

/*
 * Submits a lookup of each of @gets[0..count) on device @fd at once and
 * waits for every answer: @res[i] is the CQE's res of @gets[i]. Returns 0,
 * or -errno when the ring itself failed (then @res is not all set).
 */
int cp_uring_get_many(struct cp_uring *u, int fd, struct cacheproxy_get *gets,
		      int *res, unsigned int count)
{
	struct io_uring_cqe *cqe;
	unsigned int i, done;
	int ret;

	if (count > u->depth)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
		struct cacheproxy_uring_get cmd = {
			.get = (uintptr_t)&gets[i],
			.get_size = sizeof(gets[i]),
		};

		if (!sqe)
			return -EBUSY;
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
		sqe->cmd_op = CACHEPROXY_URING_GET;
		memcpy(sqe->cmd, &cmd, sizeof(cmd));
		sqe->user_data = i;
	}
	ret = io_uring_submit_and_wait(&u->ring, count);
	if (ret < 0)
		return ret;
	if ((unsigned int)ret != count)
		return -EIO;
	for (done = 0; done < count; done++) {
		do
			ret = io_uring_wait_cqe(&u->ring, &cqe);
		while (ret == -EINTR);
		if (ret)
			return ret;
		if (cqe->user_data < count)
			res[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(&u->ring, cqe);
	}
	return 0;
}
