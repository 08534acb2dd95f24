/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Access to the module: the ioctls of /dev/cacheproxy, the lookup file
 * /proc/cacheproxy/lookup and the stats file's dedup line. Every function
 * returns 0 or a negative errno (never sets a global); none prints
 * anything.
 */
#ifndef _CP_CLIENT_H
#define _CP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#define CP_DEFAULT_DEVICE	"/dev/cacheproxy"
#define CP_DEFAULT_PROC_LOOKUP	"/proc/cacheproxy/lookup"
#define CP_DEFAULT_PROC_STATS	"/proc/cacheproxy/stats"

struct cacheproxy_batch_item;
struct cacheproxy_stats;

/* Returns an fd opened O_RDWR | O_CLOEXEC, or a negative errno. */
int cp_open(const char *path);

int cp_dev_get(int fd, const char *key, size_t key_len, char *val,
	       size_t val_size, size_t *val_len);
/* 0 when the call as a whole worked; each item then has its own status. */
int cp_dev_get_batch(int fd, struct cacheproxy_batch_item *items,
		     unsigned int count);
/*
 * An ioctl the module does not know (the floor of a system call into the
 * driver): returns -ENOTTY from a working module.
 */
int cp_dev_noop(int fd);
int cp_dev_invalidate(int fd, const char *key, size_t key_len);
int cp_dev_flush(int fd);
/* Fills @st (zeroed first); the strategy name is always NUL-terminated. */
int cp_dev_stats(int fd, struct cacheproxy_stats *st);

/*
 * Whether the module's strategy shares one load among concurrent misses of
 * a key: the "dedup 0|1" line of the stats file at @path. Returns 1, 0,
 * -ENODATA without such a line (a module older than the tool), -EINVAL for
 * another value, or the errno of the read.
 */
int cp_proc_dedup(const char *path);

/**
 * struct cp_proc - one open /proc/cacheproxy/lookup
 * @fd:		the file, opened O_RDWR
 * @stream:	the file refused positioned I/O (ESPIPE): plain write/read
 */
struct cp_proc {
	int fd;
	bool stream;
};

/*
 * One lookup through the proc file: pwrite(key, offset 0), which fails
 * with the lookup's errno, then pread(offset 0), which returns "value\n";
 * the trailing newline is stripped. Positioned I/O leaves the file offset
 * at 0, so no lseek is needed; if the file refuses it, plain write/read.
 * @val_size must leave room for the newline.
 */
int cp_proc_get(struct cp_proc *p, const char *key, size_t key_len,
		char *val, size_t val_size, size_t *val_len);

#endif /* _CP_CLIENT_H */
