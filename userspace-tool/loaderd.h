/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cacheproxy-loaderd: what the daemon (loaderd.c) and its backends
 * (loaderd-static.c, loaderd-sqlite.c, loaderd-redis.c) share.
 *
 * A backend answers one key at a time on a connection of its own per
 * thread: ld_backend_ops.get() returns 0 with the value, -ENOENT when the
 * key is not there, -EFBIG when its value is longer than
 * CACHEPROXY_VALUE_MAX, -ENOTCONN when the backend could not be reached
 * (the daemon answers EIO to the rest of the read without asking), or
 * -EIO with a one-line reason in @err. It never prints; the daemon logs
 * and answers the kernel.
 */
#ifndef _CP_LOADERD_H
#define _CP_LOADERD_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/types.h>

#define LD_PROG		"cacheproxy-loaderd"
/* Room for one error message of a backend. */
#define LD_ERR_MAX	256

/**
 * struct ld_backend_ops - one kind of backend, named by the prefix of the
 *	BACKEND argument ("sqlite:", "redis:", "static:")
 * @name:	the prefix without its colon
 * @parse:	reads the rest of the argument into a new configuration
 *		*@cfg; returns 0, or -1 with a usage error in @err
 * @open:	a connection for one thread; returns 0, or a negative errno
 *		with the reason in @err (the daemon does not start)
 * @get:	looks @key (@key_len bytes, not NUL-terminated) up; the value
 *		goes to @val (room for CACHEPROXY_VALUE_MAX bytes), its length
 *		to *@val_len (with -EFBIG: the length it has); returns 0,
 *		-ENOENT, -EFBIG, or -ENOTCONN or -EIO with the reason in @err;
 *		a query takes at most about the @timeout_ms given to @open
 *		(redis: all of it; SQLite: the wait for a lock), and a query
 *		waiting for a server gives up (-EIO) once ld_stopping()
 * @close:	ends a connection @open made
 */
struct ld_backend_ops {
	const char *name;
	int (*parse)(const char *arg, void **cfg, char *err, size_t err_size);
	int (*open)(void *cfg, int timeout_ms, void **conn, char *err,
		    size_t err_size);
	int (*get)(void *conn, const char *key, size_t key_len, char *val,
		   size_t *val_len, char *err, size_t err_size);
	void (*close)(void *conn);
};

extern const struct ld_backend_ops ld_static_ops;
extern const struct ld_backend_ops ld_sqlite_ops;
extern const struct ld_backend_ops ld_redis_ops;

/*
 * --invalidate-redis: a thread that follows the keyspace notifications of
 * the redis server of @cfg (a configuration ld_redis_ops.parse() made) and
 * invalidates the keys that change. ld_redis_watch_start() connects and
 * subscribes (returns 0, or a negative errno with the reason in @err: the
 * daemon does not start); the thread runs until ld_stopping().
 */
int ld_redis_watch_start(void *cfg, int timeout_ms, char *err,
			 size_t err_size);
void ld_redis_watch_join(void);

/*
 * The hidden --fake-channel SOCKET of the host test (loaderd-test.c):
 * every channel is a SOCK_SEQPACKET connection on which the test plays the
 * kernel. The daemon sends one message per read(2) or write(2) of a
 * channel: a struct ld_fake_op, op LD_FAKE_READ with @len the read's size,
 * or op LD_FAKE_WRITE with @len bytes of answers after it. The test
 * replies to each with one struct ld_fake_op whose @len is the call's
 * result (the bytes read or taken, or a negative errno), followed for a
 * read by the bytes read. A read waits for its reply; a read interrupted
 * by a signal is still pending, and the next read takes its reply.
 */
#define LD_FAKE_READ	1
#define LD_FAKE_WRITE	2

struct ld_fake_op {
	__u32 op;
	__s32 len;
};

/* Services of the daemon to the backends and the watcher. */

/*
 * One line "cacheproxy-loaderd: ..." on stderr, at most a few a second
 * (how many more were not printed is said later, and at exit).
 */
__attribute__((format(printf, 1, 2)))
void ld_log(const char *fmt, ...);
/* Writes @key printable (other bytes as \ooo) into @buf, NUL-terminated. */
const char *ld_key_str(const char *key, size_t len, char *buf, size_t size);
#define LD_KEY_STR_MAX	(4 * 255 + 1)
/* The daemon is stopping: threads finish what they hold and return. */
bool ld_stopping(void);
/* A file descriptor that polls readable once the daemon is stopping. */
int ld_stop_fd(void);
/* CACHEPROXY_IOC_INVALIDATE / CACHEPROXY_IOC_FLUSH: 0 or a negative errno. */
int ld_invalidate(const char *key, size_t key_len);
int ld_flush(void);

#endif /* _CP_LOADERD_H */
