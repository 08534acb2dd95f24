/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lookups through io_uring (CACHEPROXY_URING_GET), for cacheproxy-stress
 * --via uring: one ring per thread, a batch of commands submitted at once.
 */
#ifndef _CP_URING_H
#define _CP_URING_H

#include <linux/cacheproxy.h>

struct cp_uring;

int cp_uring_open(struct cp_uring **u, unsigned int depth);
void cp_uring_close(struct cp_uring *u);
int cp_uring_get_many(struct cp_uring *u, int fd, struct cacheproxy_get *gets,
		      int *res, unsigned int count);

#endif /* _CP_URING_H */
