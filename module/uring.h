/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Asynchronous lookups through io_uring commands on /dev/cacheproxy.
 */
#ifndef _CACHEPROXY_URING_H
#define _CACHEPROXY_URING_H

/*
 * Which io_uring command API the kernel has, as Kbuild sets it from the
 * kernel's version and CONFIG_IO_URING: 1 that of 6.1, 2 that of 6.7 and
 * later, 0 none the module knows (no io_uring, or a kernel between).
 */
#ifndef CACHEPROXY_URING_API
#define CACHEPROXY_URING_API	0
#endif

/* 1 where the device takes io_uring commands. */
#define CACHEPROXY_URING	(CACHEPROXY_URING_API != 0)

struct cacheproxy_cache;
struct io_uring_cmd;

int cacheproxy_uring_cmd(struct cacheproxy_cache *cache,
			 struct io_uring_cmd *cmd, unsigned int issue_flags);

#endif /* _CACHEPROXY_URING_H */
